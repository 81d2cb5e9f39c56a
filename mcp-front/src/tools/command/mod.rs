//! `execute_command`: one allow-listed command line run on the node without a shell,
//! split into words here ([`command_line`]), answered with its exit code and output.
//! Also the rendering of a program's output that `agent_exec` shares.
//!
//! The command line is untrusted model output: shell syntax is refused with the
//! reason, never passed on; which commands run is the helper's policy to judge. The
//! output is escaped and quoted as data.

use crate::mcp::described::{self, Parameters};
use crate::{
    change::{
        long_call::{self, LongRun},
        plan,
    },
    policy::grants::some,
    render::{
        TEXT_LIMIT, truncate,
        untrusted::{self, own_text},
    },
    tools::{
        args::ArgError,
        reply::{invalid, settle, structured, tool_error, unexpected},
        session::PveMcp,
        spec::ToolSpec,
    },
};
use pve_mcp_proto as proto;
use pve_mcp_proto::{Argv, Payload, Request, RunCommand};
use rmcp::{RoleServer, model::CallToolResult, service::RequestContext, tool, tool_router};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::fmt::Write;

pub mod command_line;

#[tool_router(router = command_router, vis = "pub(crate)")]
impl PveMcp {
    /// Run one allow-listed command on the Proxmox node; returns its exit code, stdout
    /// and stderr. For node facts no other tool gives (e.g. `pvesm status`).
    #[tool(
        title = "Run an allow-listed command",
        annotations(
            read_only_hint = false,
            destructive_hint = true,
            idempotent_hint = false,
            open_world_hint = false
        ),
        output_schema = described::output::<CommandResult>()
    )]
    async fn execute_command(
        &self,
        Parameters(args): Parameters<ExecuteCommandArgs>,
        ctx: RequestContext<RoleServer>,
    ) -> CallToolResult {
        let dry_run = args.dry_run == Some(true);
        let command = match args.into_request() {
            Ok(r) => r,
            Err(e) => return invalid(e),
        };
        let what = format!("run `{}` on the node", command.argv);
        let request = Request::RunCommand(command);
        if dry_run {
            return plan::plan(self.engine(), &request, &what).await;
        }
        // The policy may let the command run longer than the call timeout.
        let wait = long_call::wait_for(self.engine(), LongRun::Command).await;
        let answer = tokio::select! {
            _ = ctx.ct.cancelled() => return tool_error(format!(
                "Cancelled: stopped waiting to {what}; the command may still run until it \
                 ends or reaches its time limit."
            )),
            answer = long_call::call(self.engine(), &request, Some(wait), what.clone(), &ctx) => answer,
        };
        match settle(answer) {
            Ok(Payload::Command(c)) => {
                let out = CommandResult::from(c);
                structured(&out, render_command(&out))
            }
            Ok(Payload::Plan(p)) => plan::answer(p, &what),
            Ok(other) => unexpected("run_command", &other),
            Err(text) => tool_error(text),
        }
    }
}

/// Longest command line accepted before splitting (the proto caps the argv too).
pub const MAX_COMMAND_LEN: usize = Argv::MAX_TOTAL;

#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ExecuteCommandArgs {
    /// Words separated by spaces, e.g. `qm config 101`; `'a b'` is one word. No shell
    /// runs it: shell syntax (`;|&<>$*?[](){}~!#`, backquotes, `\`, line breaks) is
    /// refused.
    #[schemars(length(min = 1, max = 32768))]
    pub command: String,
    /// Only show what would be sent; do nothing.
    pub dry_run: Option<bool>,
}

impl ExecuteCommandArgs {
    pub fn into_request(self) -> Result<RunCommand, ArgError> {
        if self.command.len() > MAX_COMMAND_LEN {
            return Err(ArgError(format!(
                "the command is longer than {MAX_COMMAND_LEN} bytes"
            )));
        }
        Ok(RunCommand {
            argv: Argv::new(command_line::split(&self.command)?)?,
        })
    }
}

/// Result of `execute_command`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct CommandResult {
    /// Exit code; absent when a signal ended the command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code: Option<i32>,
    /// The signal that ended the command, if one did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// Output beyond the policy's cap was dropped.
    pub truncated: bool,
    pub duration_ms: u64,
}

impl From<proto::CommandOutput> for CommandResult {
    fn from(c: proto::CommandOutput) -> Self {
        let proto::CommandOutput {
            exit_code,
            signal,
            stdout,
            stderr,
            truncated,
            duration_ms,
        } = c;
        Self {
            exit_code,
            signal,
            stdout: own_text(stdout),
            stderr: own_text(stderr),
            truncated,
            duration_ms,
        }
    }
}

/// The `execute_command` answer: exit status, then each non-empty stream quoted as
/// data (a node command may print text a guest or its admin wrote).
pub fn render_command(c: &CommandResult) -> String {
    command_from(c, "the command's output")
}

/// A command's answer, its streams quoted as data from `source`.
pub fn command_from(c: &CommandResult, source: &str) -> String {
    let mut out = match (c.exit_code, c.signal) {
        (Some(code), _) => format!("exit code {code}"),
        (None, Some(sig)) => format!("killed by signal {sig}"),
        (None, None) => "ended without an exit status".into(),
    };
    let _ = writeln!(out, " after {} ms", c.duration_ms);
    for (label, text) in [("stdout", &c.stdout), ("stderr", &c.stderr)] {
        if text.is_empty() {
            continue;
        }
        untrusted::quote(&mut out, "", (label, source), truncate(text, TEXT_LIMIT));
        if text.len() > TEXT_LIMIT {
            let _ = writeln!(out, "[{label} cut at {TEXT_LIMIT} of {} bytes]", text.len());
        }
    }
    if c.stdout.is_empty() && c.stderr.is_empty() {
        out.push_str("(no output)\n");
    }
    if c.truncated {
        out.push_str("[output beyond the policy's cap was dropped]\n");
    }
    out
}

/// `execute_command` is listed when the policy allows some command; its note names
/// them and how long each may run.
pub const EXECUTE_COMMAND: ToolSpec = ToolSpec {
    name: "execute_command",
    grant: None,
    listed: |caps| !caps.commands.is_empty(),
    note: |caps| {
        Some(format!(
            "Allowed (\"*\" is one plain argument): {}.{}",
            some(&caps.commands),
            match caps.command_timeout_secs {
                0 => String::new(),
                secs => format!(" Each may run for up to {secs} s."),
            }
        ))
    },
};

#[cfg(test)]
mod tests;
