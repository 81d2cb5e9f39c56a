//! End to end: the limits of `agent_exec` under the lab-builder policy with `[agent]`
//! set, through the real front and helper against the simulated guest agent (whose
//! `sleep N` runs N real seconds): a program is stopped being waited for at `[agent]
//! timeout_secs`, and may run that long even when it is longer than the front's own
//! call timeout, with progress reported meanwhile; output past `[agent]
//! max_output_bytes` is cut and marked.

use super::{lab_policy, ok, refused, stack, with_agent};
use pve_mcp_tests::{
    client::{Client, text},
    stack::Stack,
};
use serde_json::json;
use std::time::{Duration, Instant};

/// A running lab VM whose agent answers (dataset index 2, `cache-002`).
const VM: u32 = 102;

/// The lab builder with `agent.exec` granted, a few programs, and the given limits.
fn policy(timeout_secs: u64, max_output_bytes: u64) -> String {
    with_agent(
        &lab_policy(),
        &format!(
            "exec = [[\"sleep\", \"*\"], [\"cat\", \"/etc/os-release\"], [\"hostname\"]]\n\
             timeout_secs = {timeout_secs}\nmax_output_bytes = {max_output_bytes}"
        ),
    )
}

/// A client of a front that gives up on any other call after 2 s.
async fn impatient_client(stack: &Stack) -> Client {
    let mut cmd = stack.front_command();
    cmd.env("PVE_MCP_CALL_TIMEOUT", "2");
    Client::spawn(cmd, &stack.dir().join("front.log"))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_program_may_run_up_to_the_agent_timeout_with_progress_and_no_longer() {
    let stack = stack(&policy(5, 65536), 30);
    let client = impatient_client(&stack).await;
    // The model is told the bound.
    let tools = client.tools().await.unwrap();
    let exec = tools.iter().find(|t| t.name == "agent_exec").unwrap();
    let description = exec.description.as_deref().unwrap_or_default();
    assert!(
        description.ends_with("Each may run for up to 5 s."),
        "{description}"
    );
    let mine = text(&ok(&client, "my_permissions", json!({})).await);
    assert!(
        mine.contains("Each guest agent program may run for 5 s"),
        "{mine}"
    );
    let started = Instant::now();
    let r = ok(
        &client,
        "agent_exec",
        json!({"vmid": VM, "argv": ["sleep", "3"]}),
    )
    .await;
    assert_eq!(r["structuredContent"]["exit_code"], 0, "{r}");
    assert!(started.elapsed() >= Duration::from_secs(3));
    client.assert_waited_with_progress(
        5.0,
        "run `\"sleep\" \"3\"` in guest 102 through its guest agent: running for",
    );

    let started = Instant::now();
    let why = refused(
        &client,
        "agent_exec",
        json!({"vmid": VM, "argv": ["sleep", "30"]}),
    )
    .await;
    let waited = started.elapsed();
    assert!(
        why.starts_with("Timeout: ")
            && why.contains(
                "\"sleep\" \"30\" still runs in guest 102 after 5 s ([agent] timeout_secs"
            ),
        "{why}"
    );
    assert!(
        waited >= Duration::from_secs(5) && waited < Duration::from_secs(8),
        "{waited:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn output_past_the_agent_output_bound_is_cut_and_marked() {
    let stack = stack(&policy(5, 64), 30);
    let client = stack.client().await.unwrap();
    let r = ok(
        &client,
        "agent_exec",
        json!({"vmid": VM, "argv": ["cat", "/etc/os-release"]}),
    )
    .await;
    let out = &r["structuredContent"];
    assert_eq!(out["truncated"], true, "{out}");
    let stdout = out["stdout"].as_str().unwrap();
    assert_eq!(stdout.len(), 64, "{stdout:?}");
    assert!(
        stdout.starts_with("PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME="),
        "{stdout:?}"
    );
    let r = ok(
        &client,
        "agent_exec",
        json!({"vmid": VM, "argv": ["hostname"]}),
    )
    .await;
    let out = &r["structuredContent"];
    assert_eq!(
        (&out["stdout"], &out["truncated"]),
        (&json!("cache-002\n"), &json!(false)),
        "{out}"
    );
}
