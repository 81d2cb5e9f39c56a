//! Real MCP clients nobody here wrote drive the real mcp-front, against the simulator
//! and the real helper: the official Python SDK (its 1.x line at each `initialize`
//! revision, its 2.x line in every connect mode, 2026-07-28 included) and the MCP
//! Inspector CLI (2.x, on Node 22) in both of its protocol eras. Each lists the tools,
//! calls every one, sees a denial as a tool error, and sees progress on a waiting action
//! and the confirmation of a `confirm` action where the client can show them.
//!
//! The clients live in a cache directory filled by `tests/clients/install.sh` (which
//! `.ci/run` runs). A test whose client is not installed is ignored, with the reason
//! and the command that installs it in `cargo test`'s output (`tests/build.rs`); with
//! `PVE_MCP_REQUIRE_CLIENTS=1` (set by `.ci/run`) it runs, and fails.

use super::{Client, Report, Run, require};
use pve_mcp_tests::{
    sim::{self, GuestSeed, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::time::Duration;

const NODES: usize = 2;
const GUESTS: usize = 40;

const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-139"]
actions = ["start", "stop", "shutdown"]
confirm = ["stop"]

[api]
allow = ["GET /version", "GET /nodes", "GET /nodes/*/status"]

[commands]
allow = [["uptime"]]
timeout_secs = 5
"#;

/// A stack whose tasks take long enough for a progress notification after the first.
fn stack() -> Stack {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        task_duration: Duration::from_millis(1500),
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

fn guest(state: PowerState) -> GuestSeed {
    sim::dataset(NODES, GUESTS)
        .into_iter()
        .find(|g| g.vmid < 140 && g.initial == state && !g.template && !g.locked && !g.ha)
        .expect("a plain guest in scope")
}

/// The calls every client makes, by id: every tool, a denial, a waiting action and a
/// confirmed one.
fn calls() -> Vec<(&'static str, &'static str, Value)> {
    let stopped = guest(PowerState::Stopped).vmid;
    let running = guest(PowerState::Running).vmid;
    vec![
        ("list", "list_vms", json!({"limit": 5})),
        ("status", "vm_status", json!({"vmid": running})),
        ("nodes", "node_status", json!({})),
        ("api", "proxmox_api", json!({"endpoint": "/version"})),
        ("command", "execute_command", json!({"command": "uptime"})),
        (
            "start",
            "vm_action",
            json!({"vmid": stopped, "action": "start"}),
        ),
        (
            "denied",
            "vm_action",
            json!({"vmid": running, "action": "reset"}),
        ),
        (
            "stop",
            "vm_action",
            json!({"vmid": running, "action": "stop"}),
        ),
    ]
}

/// What a client that can ask its user must have seen.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Confirm {
    /// It asked (elicitation or the 2026-07-28 round trip) and the guest stopped.
    Asked,
    /// It could not ask: a tool error says confirmation is required.
    Refused,
}

/// Checks a report against the stack it ran on.
fn check(report: &Report, stack: &Stack, confirm: Confirm, progress: bool) {
    let names = report.tool_names();
    assert_eq!(
        names,
        [
            "execute_command",
            "list_vms",
            "my_permissions",
            "node_status",
            "proxmox_api",
            "task_log",
            "task_status",
            "vm_action",
            "vm_status"
        ],
        "{report:?}"
    );
    for tool in report.tools() {
        assert!(tool["outputSchema"].is_object(), "{tool}");
        assert_eq!(tool["annotations"]["openWorldHint"], false, "{tool}");
    }
    if let Some(instructions) = report.instructions() {
        assert!(
            instructions.contains("stop after the user confirms"),
            "{instructions}"
        );
    }
    for id in ["list", "status", "nodes", "api", "command"] {
        assert!(!report.is_error(id), "{id}: {}", report.call(id));
    }
    assert!(
        report.text("list").contains("guests match"),
        "{}",
        report.call("list")
    );
    assert!(
        report.text("command").contains("load average"),
        "{}",
        report.call("command")
    );
    let start = report.call("start");
    assert!(!report.is_error("start"), "{start}");
    assert!(report.text("start").starts_with("OK: \"start\""), "{start}");
    if progress {
        let seen = report.progress("start");
        assert!(seen >= 2, "progress while waiting 1.5 s: {start}");
    }
    assert!(report.is_error("denied"), "{}", report.call("denied"));
    assert!(
        report.text("denied").starts_with("Denied:"),
        "{}",
        report.call("denied")
    );
    let running = guest(PowerState::Running).vmid;
    let power = stack.sim.guest_state(running).expect("guest").power;
    match confirm {
        Confirm::Asked => {
            assert!(!report.is_error("stop"), "{}", report.call("stop"));
            assert!(
                report.text("stop").starts_with("OK: \"stop\""),
                "{}",
                report.call("stop")
            );
            assert_eq!(power, PowerState::Stopped);
        }
        Confirm::Refused => {
            let text = report.text("stop");
            assert!(text.starts_with("Confirmation required:"), "{text}");
            assert!(text.contains("/etc/pve-mcp/policy.toml"), "{text}");
            assert_eq!(power, PowerState::Running);
        }
    }
}

async fn python(client: Client, mode: &str, version: Option<&str>) -> (Stack, Report) {
    let python = require(client);
    let stack = stack();
    let run = Run::new(&stack);
    let report = run.python(&python, mode, version, &calls()).await;
    // A client pinned to 2026-07-28 skips server/discover, so it never sees them.
    if mode != "2026-07-28" {
        assert!(report.instructions().is_some(), "{report:?}");
    }
    (stack, report)
}

macro_rules! python1 {
    ($name:ident, $version:literal, $confirm:expr) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[cfg_attr(
            not(have_mcp_python1),
            ignore = "the MCP Python SDK 1.x is not installed: bash tests/clients/install.sh"
        )]
        async fn $name() {
            let (stack, report) = python(Client::Python1, "session", Some($version)).await;
            assert_eq!(report.protocol_version(), $version, "{report:?}");
            check(&report, &stack, $confirm, true);
            if $confirm == Confirm::Asked {
                let asked = report.elicitations("stop");
                assert_eq!(asked.len(), 1, "{asked:?}");
                let message = asked[0]["message"].as_str().unwrap_or_default();
                assert!(message.contains("wants to stop VM"), "{message}");
            }
        }
    };
}

python1!(python_sdk_1_at_2024_11_05, "2024-11-05", Confirm::Refused);
python1!(python_sdk_1_at_2025_03_26, "2025-03-26", Confirm::Refused);
python1!(python_sdk_1_at_2025_06_18, "2025-06-18", Confirm::Asked);
python1!(python_sdk_1_at_2025_11_25, "2025-11-25", Confirm::Asked);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(have_mcp_python2),
    ignore = "the MCP Python SDK 2.x is not installed: bash tests/clients/install.sh"
)]
async fn python_sdk_2_auto_mode_discovers_2026_07_28() {
    let (stack, report) = python(Client::Python2, "auto", None).await;
    assert_eq!(report.protocol_version(), "2026-07-28", "{report:?}");
    check(&report, &stack, Confirm::Asked, true);
    assert_eq!(
        report.elicitations("stop").len(),
        1,
        "asked through input_required"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(have_mcp_python2),
    ignore = "the MCP Python SDK 2.x is not installed: bash tests/clients/install.sh"
)]
async fn python_sdk_2_pinned_to_2026_07_28_needs_no_handshake() {
    let (stack, report) = python(Client::Python2, "2026-07-28", None).await;
    assert_eq!(report.protocol_version(), "2026-07-28", "{report:?}");
    check(&report, &stack, Confirm::Asked, true);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(have_mcp_python2),
    ignore = "the MCP Python SDK 2.x is not installed: bash tests/clients/install.sh"
)]
async fn python_sdk_2_legacy_mode_initializes() {
    let (stack, report) = python(Client::Python2, "legacy", None).await;
    assert_eq!(report.protocol_version(), "2025-11-25", "{report:?}");
    check(&report, &stack, Confirm::Asked, true);
}

async fn inspector(era: &str) {
    let node = require(Client::Inspector);
    let stack = stack();
    let run = Run::new(&stack);
    let report = run.inspector(&node, era, &calls()).await;
    check(&report, &stack, Confirm::Refused, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(have_node22, have_mcp_inspector)),
    ignore = "the MCP Inspector CLI (Node 22) is not installed: bash tests/clients/install.sh"
)]
async fn inspector_cli_legacy_era() {
    inspector("legacy").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(have_node22, have_mcp_inspector)),
    ignore = "the MCP Inspector CLI (Node 22) is not installed: bash tests/clients/install.sh"
)]
async fn inspector_cli_modern_era() {
    inspector("modern").await;
}

/// What each Python SDK line shows its user when mcp-front cannot serve: a failed
/// server, with the reason and the fix, never a healthy one whose calls all fail.
async fn connect_errors(stack: &Stack) -> Vec<String> {
    let mut errors = Vec::new();
    for (client, mode) in [(Client::Python1, "session"), (Client::Python2, "auto")] {
        let python = require(client);
        let report = Run::new(stack).python(&python, mode, None, &[]).await;
        let error = report.connect_error().unwrap_or_else(|| {
            panic!("{client:?} connected to a front that cannot serve: {report:?}")
        });
        errors.push(error.to_owned());
    }
    errors
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(have_mcp_python1, have_mcp_python2)),
    ignore = "the MCP Python SDK 1.x and 2.x are not installed: bash tests/clients/install.sh"
)]
async fn python_sdks_fail_to_connect_when_the_helper_is_down() {
    let mut stack = stack();
    stack.stop_helper();
    for error in connect_errors(&stack).await {
        for needed in [
            "pve-mcp cannot serve this session",
            stack.socket.to_str().unwrap(),
            "systemctl status pve-mcp-helper",
            "pve-helper setup",
        ] {
            assert!(error.contains(needed), "{needed:?} missing from: {error}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(all(have_mcp_python1, have_mcp_python2)),
    ignore = "the MCP Python SDK 1.x and 2.x are not installed: bash tests/clients/install.sh"
)]
async fn python_sdks_fail_to_connect_when_the_helper_refuses_this_user() {
    // Only `nobody` may connect; the tests run as another user.
    let stack =
        Stack::start(StackOptions::new(&POLICY.replace("{uid}", "65534"))).expect("stack starts");
    for error in connect_errors(&stack).await {
        for needed in [
            "pve-mcp cannot serve this session",
            "is not allowed to use the helper",
            "[clients] users",
        ] {
            assert!(error.contains(needed), "{needed:?} missing from: {error}");
        }
    }
}
