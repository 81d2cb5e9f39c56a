//! A change asked for as a plan (`dry_run`): the helper judges it as it would judge it
//! (rule, bounds, the fixed floor) and answers with the Proxmox requests it would send,
//! sending none; nothing is confirmed, since nothing is done. Answered as a
//! [`PlanResult`].
//!
//! The request comes from validated tool arguments; the plan from the helper, whose
//! paths and parameter values are shown escaped (a value may carry a guest's text).

use crate::{
    change::{engine::Engine, operation::Operation},
    helper::describe,
    render::untrusted::line,
    tools::reply::{helper_error_text, structured, tool_error, unexpected},
};
use pve_mcp_proto::{Payload, Plan, Request, Response};
use rmcp::model::CallToolResult;
use schemars::JsonSchema;
use serde::Serialize;
use std::fmt::Write;

/// One Proxmox request of a plan.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlannedRequest {
    pub method: String,
    /// The path below `/api2/json`.
    pub path: String,
    /// Its parameters, in order (secret values read `[redacted]`).
    pub params: Vec<(String, String)>,
}

/// Result of a change asked for with `dry_run`.
#[derive(Debug, Clone, Serialize, JsonSchema)]
pub struct PlanResult {
    /// Always true: nothing was done.
    pub dry_run: bool,
    /// The rule that allows the change.
    pub rule: String,
    /// Whether the policy would ask the user to confirm it.
    pub confirm: bool,
    /// The Proxmox requests it would send, in order.
    pub requests: Vec<PlannedRequest>,
    /// The command that would run, for execute_command.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<Vec<String>>,
    /// Later requests depend on Proxmox's answers to earlier ones.
    pub stepwise: bool,
}

impl From<Plan> for PlanResult {
    fn from(p: Plan) -> Self {
        let Plan {
            calls,
            command,
            rule,
            confirm,
            stepwise,
        } = p;
        Self {
            dry_run: true,
            rule: line(&rule).into_owned(),
            confirm,
            requests: calls
                .into_iter()
                .map(|c| PlannedRequest {
                    method: c.method.to_string(),
                    path: line(&c.path).into_owned(),
                    params: c
                        .params
                        .into_iter()
                        .map(|(k, v)| (line(&k).into_owned(), line(&v).into_owned()))
                        .collect(),
                })
                .collect(),
            command: command.map(|c| c.into_iter().map(|a| line(&a).into_owned()).collect()),
            stepwise,
        }
    }
}

/// The plan as text: the verdict, then one line per request.
pub fn render_plan(what: &str, p: &PlanResult) -> String {
    let mut out = format!(
        "Plan only, nothing done: {what} is allowed by rule {}{}.",
        p.rule,
        if p.confirm {
            "; the user would be asked to confirm it first"
        } else {
            ""
        }
    );
    if let Some(argv) = &p.command {
        let _ = write!(out, "\nWould run: {}", argv.join(" "));
    }
    if p.requests.is_empty() && p.command.is_none() {
        out.push_str("\nIt would send Proxmox nothing.");
    }
    for (i, r) in p.requests.iter().enumerate() {
        let params: Vec<String> = r.params.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = write!(out, "\n{}. {} {}", i + 1, r.method, r.path);
        if !params.is_empty() {
            let _ = write!(out, " {}", params.join(" "));
        }
    }
    if p.stepwise {
        out.push_str(
            "\nEach request after the first is sent once the one before it has succeeded.",
        );
    }
    out.push('\n');
    out
}

/// The helper's plan of `what`, as a tool result.
pub fn answer(p: Plan, what: &str) -> CallToolResult {
    let p = PlanResult::from(p);
    let text = render_plan(what, &p);
    structured(&p, text)
}

/// Asks the helper for the plan of `request`, described to the user as `what`.
pub async fn plan(engine: Engine<'_>, request: &Request, what: &str) -> CallToolResult {
    match engine.helper.plan(request).await {
        Ok(Response::Ok(Payload::Plan(p))) => answer(p, what),
        Ok(Response::Ok(other)) => unexpected(request.op(), &other),
        Ok(Response::Err(e)) => tool_error(describe(&e)),
        Err(e) => tool_error(helper_error_text(&e)),
    }
}

/// [`plan`] for a change engine operation.
pub async fn plan_operation(engine: Engine<'_>, op: &Operation) -> CallToolResult {
    plan(engine, &op.unconfirmed().request(), &op.phrase()).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use pve_mcp_proto::{ApiMethod, PlannedCall};

    #[test]
    fn a_plan_reads_as_the_requests_it_would_send() {
        let p = PlanResult::from(Plan {
            calls: vec![
                PlannedCall {
                    method: ApiMethod::Post,
                    path: "/nodes/pve1/qemu/101/status/stop".into(),
                    params: vec![],
                },
                PlannedCall {
                    method: ApiMethod::Delete,
                    path: "/nodes/pve1/qemu/101".into(),
                    params: vec![
                        ("purge".into(), "1".into()),
                        ("x".into(), "a\u{202E}b".into()),
                    ],
                },
            ],
            command: None,
            rule: "lab".into(),
            confirm: true,
            stepwise: true,
        });
        assert_eq!(
            render_plan("delete guest 101", &p),
            "Plan only, nothing done: delete guest 101 is allowed by rule lab; the user would \
             be asked to confirm it first.\n1. POST /nodes/pve1/qemu/101/status/stop\n\
             2. DELETE /nodes/pve1/qemu/101 purge=1 x=a\\u{202E}b\n\
             Each request after the first is sent once the one before it has succeeded.\n"
        );
    }
}
