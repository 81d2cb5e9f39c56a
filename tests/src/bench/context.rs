//! What pve-mcp costs a model's context, in bytes: the `tools/list` answer with every
//! tool granted, the six tools of a minimal deployment, and a default `list_vms` page.
//!
//! A client hands the model each tool's name, description and input schema; the
//! output schema and annotations stay with the client. So the model's share of a tool
//! is the compact JSON of those three fields ([`model_bytes`]); the whole answer line
//! is reported beside it. The figures are exact and deterministic: the bench reports
//! them, and `tools::context` in the end-to-end tests holds them to [`BUDGET`].

use super::mcp::{FrontCmd, Session};
use crate::{
    sim::SimConfig,
    stack::{Stack, StackOptions, workspace_bin},
};
use anyhow::Context;
use serde::Serialize;
use serde_json::{Value, json};

/// A policy that grants every tool: every action, every bound, every raw API method,
/// commands and guest-agent programs.
pub const EVERY_TOOL_POLICY: &str = concat!(
    include_str!("../../tests/data/wide-policy.toml"),
    r#"
[commands]
allow = [["uptime"], ["df", "-h"]]

[agent]
exec = [["uname", "-a"], ["systemctl", "is-active", "*"]]
"#
);

/// The tools of a minimal deployment: list, inspect, start and stop guests, read a
/// node's status, call the API, run a command.
pub const SEED_TOOLS: [&str; 6] = [
    "list_vms",
    "vm_status",
    "vm_action",
    "node_status",
    "proxmox_api",
    "execute_command",
];

/// Guests in the cluster whose default `list_vms` page is measured.
pub const LISTING_GUESTS: usize = 3000;

/// The most each figure may be, in bytes.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Budget {
    pub tools_model_bytes: usize,
    pub seed_model_bytes: usize,
    pub list_vms_answer_bytes: usize,
}

pub const BUDGET: Budget = Budget {
    tools_model_bytes: 32 * 1024,
    seed_model_bytes: 8 * 1024,
    list_vms_answer_bytes: 24 * 1024,
};

/// One tool's share.
#[derive(Debug, Clone, Serialize)]
pub struct ToolCost {
    pub name: String,
    /// Name, description and input schema, compact JSON.
    pub model_bytes: usize,
    pub description_bytes: usize,
    pub input_schema_bytes: usize,
}

/// The figures.
#[derive(Debug, Clone, Serialize)]
pub struct ContextCost {
    pub tools: usize,
    /// Sum of every listed tool's [`ToolCost::model_bytes`].
    pub tools_model_bytes: usize,
    /// The whole `tools/list` answer line (output schemas and annotations included).
    pub tools_list_answer_bytes: usize,
    pub seed_model_bytes: usize,
    pub per_tool: Vec<ToolCost>,
    pub list_vms_guests: usize,
    /// The whole answer line of `list_vms {}`.
    pub list_vms_answer_bytes: usize,
    /// Its text content, as the model reads it.
    pub list_vms_text_bytes: usize,
    pub budget: Budget,
}

impl ContextCost {
    /// Each figure over its budget, named; empty when all hold.
    pub fn over_budget(&self) -> Vec<String> {
        let b = &self.budget;
        [
            (
                "tools/list, every tool",
                self.tools_model_bytes,
                b.tools_model_bytes,
            ),
            (
                "the six seed tools",
                self.seed_model_bytes,
                b.seed_model_bytes,
            ),
            (
                "list_vms {} answer",
                self.list_vms_answer_bytes,
                b.list_vms_answer_bytes,
            ),
        ]
        .into_iter()
        .filter(|(_, got, max)| got > max)
        .map(|(what, got, max)| format!("{what}: {got} bytes, budget {max}"))
        .collect()
    }
}

/// The model's share of one `tools/list` entry.
pub fn model_bytes(tool: &Value) -> usize {
    let three = json!({
        "name": tool["name"],
        "description": tool["description"],
        "inputSchema": tool["inputSchema"],
    });
    three.to_string().len()
}

fn len(v: &Value) -> usize {
    v.as_str().map_or_else(|| v.to_string().len(), str::len)
}

/// Measures it all against a fresh stack of [`LISTING_GUESTS`] guests under
/// [`EVERY_TOOL_POLICY`].
pub fn measure() -> anyhow::Result<ContextCost> {
    let mut opts = StackOptions::new(EVERY_TOOL_POLICY);
    opts.sim = SimConfig {
        guests: LISTING_GUESTS,
        ..SimConfig::default()
    };
    let stack = Stack::start(opts).context("starting the stack")?;
    let bin = workspace_bin("mcp-front");
    let log = stack.dir().join("front-context.log");
    let front = FrontCmd {
        bin: &bin,
        socket: &stack.socket,
        log: &log,
        log_filter: "warn",
    };
    let mut session = Session::start(&front)?;
    let (list, tools_list_answer_bytes) = session.list_tools()?;
    let per_tool: Vec<ToolCost> = list["tools"]
        .as_array()
        .context("tools/list has no tools")?
        .iter()
        .map(|t| ToolCost {
            name: t["name"].as_str().unwrap_or_default().to_owned(),
            model_bytes: model_bytes(t),
            description_bytes: len(&t["description"]),
            input_schema_bytes: len(&t["inputSchema"]),
        })
        .collect();
    let seed: Vec<&ToolCost> = per_tool
        .iter()
        .filter(|t| SEED_TOOLS.contains(&t.name.as_str()))
        .collect();
    anyhow::ensure!(
        seed.len() == SEED_TOOLS.len(),
        "not every seed tool is listed under the policy that grants every tool"
    );
    let (page, list_vms_answer_bytes) = session.call_result("list_vms", &json!({}))?;
    let list_vms_text_bytes = page["content"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["text"].as_str())
        .map(str::len)
        .sum();
    session.close()?;
    Ok(ContextCost {
        tools: per_tool.len(),
        tools_model_bytes: per_tool.iter().map(|t| t.model_bytes).sum(),
        tools_list_answer_bytes,
        seed_model_bytes: seed.iter().map(|t| t.model_bytes).sum(),
        per_tool,
        list_vms_guests: LISTING_GUESTS,
        list_vms_answer_bytes,
        list_vms_text_bytes,
        budget: BUDGET,
    })
}
