//! End to end: one helper, two assistants, each judged by its own policy. The lab
//! assistant runs as root (the main policy names its uid); the CI bot runs as
//! `nobody` (a second peer uid, by `setpriv`), whose policy is `clients.d/nobody.toml`.
//! Each sees only its own guests, tools and grants; what one may do the other may
//! not, with the rule that says so; the audit names each; reloading the bot's file
//! (good, broken, removed) changes the bot's next call and nothing of the lab's.

use pve_mcp_tests::{
    client::{Client, is_error, text},
    sim::SimConfig,
    stack::{Stack, StackOptions, workspace_bin},
};
use serde_json::{Value, json};
use std::{process::Command, time::Duration};

/// The lab assistant (root): guests 100-119, may stop them, reads `/version`.
const LAB: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-119"]
actions = ["stop"]

[api]
allow = ["GET /version"]
"#;

/// The CI bot (`nobody`): guests 120-139, may start them; no raw API.
const CI: &str = r#"
[guests]
allow = ["120-139"]
actions = ["start"]
"#;

const CI_STOPS_TOO: &str = r#"
[clients]
users = ["nobody"]

[guests]
allow = ["120-139"]
actions = ["start", "stop"]
"#;

const BOT: &str = "nobody";

fn stack() -> Stack {
    let mut o = StackOptions::new(LAB);
    o.sim = SimConfig {
        nodes: 2,
        guests: 40,
        ..SimConfig::default()
    };
    o.audit_file = true;
    o.client_policies = vec![(BOT.to_owned(), CI.to_owned())];
    Stack::start(o).expect("stack starts")
}

/// Whether the call was refused, and its text.
async fn call(client: &Client, tool: &str, args: Value) -> (bool, String) {
    let r = client.call(tool, args).await.expect("call answered");
    (is_error(&r), text(&r))
}

async fn status_found(client: &Client, vmid: u32) -> bool {
    let (err, t) = call(client, "vm_status", json!({"vmid": vmid})).await;
    assert!(!err || t.to_lowercase().contains("not found"), "{t}");
    !err
}

fn helper(stack: &Stack, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(workspace_bin("pve-helper"))
        .arg("--config")
        .arg(stack.dir().join("helper.toml"))
        .args(args)
        .output()
        .expect("pve-helper runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn strings(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Waits until the helper's log says a reload happened `n` times in all (one line
/// each, `policy reloaded` or `policy reload (SIGHUP) failed`).
async fn reloads(stack: &Stack, n: usize) {
    for _ in 0..200 {
        let log = stack.helper_log();
        if log.matches("policy reload").count() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("no reload:\n{}", stack.helper_log());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_client_sees_and_does_what_its_own_policy_says() {
    let stack = stack();
    let lab = stack.client().await.expect("lab front starts");
    let ci = stack.client_as(BOT).await.expect("ci front starts");

    // Tools: the raw API tool is the lab's alone.
    let names = |tools: Vec<_>| -> Vec<String> {
        tools
            .into_iter()
            .map(|t: rmcp::model::Tool| t.name.to_string())
            .collect()
    };
    let lab_tools = names(lab.tools().await.unwrap());
    let ci_tools = names(ci.tools().await.unwrap());
    assert!(
        lab_tools.iter().any(|t| t == "proxmox_api"),
        "{lab_tools:?}"
    );
    assert!(!ci_tools.iter().any(|t| t == "proxmox_api"), "{ci_tools:?}");
    assert!(ci_tools.iter().any(|t| t == "vm_action"), "{ci_tools:?}");

    // Grants: each is told its own scope and operations.
    let r = lab.call("my_permissions", json!({})).await.unwrap();
    let s = &r["structuredContent"];
    assert_eq!(strings(&s["guests"]), ["100-119"]);
    assert_eq!(strings(&s["grants"][0]["operations"]), ["stop"]);
    let r = ci.call("my_permissions", json!({})).await.unwrap();
    let s = &r["structuredContent"];
    assert_eq!(strings(&s["guests"]), ["120-139"]);
    assert_eq!(strings(&s["grants"][0]["operations"]), ["start"]);
    assert!(strings(&s["api"]).is_empty(), "{s}");

    // Scope: each one's guests are invisible to the other.
    assert!(status_found(&lab, 101).await);
    assert!(!status_found(&lab, 121).await);
    assert!(status_found(&ci, 121).await);
    assert!(!status_found(&ci, 101).await);

    // Actions: the lab may stop its guest and not start one; the bot the other way.
    let (err, t) = call(&lab, "vm_action", json!({"vmid": 101, "action": "stop"})).await;
    assert!(!err, "{t}");
    let (err, t) = call(&lab, "vm_action", json!({"vmid": 103, "action": "start"})).await;
    assert!(err && t.contains("guests.actions"), "{t}");
    let (err, t) = call(&ci, "vm_action", json!({"vmid": 123, "action": "start"})).await;
    assert!(!err, "{t}");
    let (err, t) = call(&ci, "vm_action", json!({"vmid": 121, "action": "stop"})).await;
    assert!(err && t.contains("guests.actions"), "{t}");
    let (err, t) = call(&ci, "proxmox_api", json!({"endpoint": "/version"})).await;
    assert!(err, "{t}");

    // The audit trail names each client.
    let (bot_uid, _) = pve_mcp_tests::stack::account(BOT).unwrap();
    let r = stack.audit_record("guest_action vmid=121 action=stop");
    assert_eq!(r["client"], BOT);
    assert_eq!(r["peer_uid"], bot_uid);
    assert_eq!(r["rule"], "guests.actions");
    let r = stack.audit_record("guest_action vmid=101 action=stop");
    assert_eq!(r["client"], "root");
    assert_eq!(r["decision"], "allow");

    // `pve-helper audit --client` shows one client's records.
    let (code, out, err) = helper(&stack, &["audit", "--client", BOT, "--json"]);
    assert_eq!(code, 0, "{err}");
    let shown: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(shown.len() >= 4, "{out}");
    assert!(
        shown
            .iter()
            .all(|r| r["client"] == BOT && r["uid"] == bot_uid),
        "only the bot's records: {out}"
    );

    // explain and status under each client's policy.
    let (code, out, err) = helper(&stack, &["explain", "--client", BOT, "vm_action 121 stop"]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        out.contains("nobody.toml") && out.contains("guests.actions"),
        "{out}"
    );
    let (code, out, _) = helper(
        &stack,
        &["explain", "--client", "root", "vm_action 101 stop"],
    );
    assert_eq!(code, 0, "{out}");
    let (code, out, err) = helper(&stack, &["explain", "vm_action 101 stop"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("clients with a policy of their own: nobody"),
        "{out}"
    );
    let (_, out, _) = helper(&stack, &["status", "--no-service", "--client", BOT]);
    assert!(out.contains("nobody.toml (serves nobody)"), "{out}");
    assert!(out.contains("120-139") && !out.contains("100-119"), "{out}");
}

/// What the lab is answered, whatever happens to the bot's policy.
async fn lab_answers(lab: &Client) {
    let (stop, t) = call(lab, "vm_action", json!({"vmid": 102, "action": "stop"})).await;
    assert!(!stop, "{t}");
    let (start, t) = call(lab, "vm_action", json!({"vmid": 103, "action": "start"})).await;
    assert!(start && t.contains("guests.actions"), "{t}");
    assert!(!status_found(lab, 121).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reloading_one_clients_policy_leaves_the_others_session_alone() {
    let stack = stack();
    let lab = stack.client().await.expect("lab front starts");
    let ci = stack.client_as(BOT).await.expect("ci front starts");
    lab_answers(&lab).await;
    let (err, _) = call(&ci, "vm_action", json!({"vmid": 121, "action": "stop"})).await;
    assert!(err);

    // A good change: the bot's next call is judged by it, in the same session.
    stack.write_client_policy(BOT, Some(CI_STOPS_TOO)).unwrap();
    stack.hup().unwrap();
    reloads(&stack, 1).await;
    let (err, t) = call(&ci, "vm_action", json!({"vmid": 121, "action": "stop"})).await;
    assert!(!err, "{t}");
    lab_answers(&lab).await;

    // A broken change keeps the bot's last good policy, and the log says which file.
    stack
        .write_client_policy(BOT, Some("[guests]\nallow = [\"120-139\"\n"))
        .unwrap();
    stack.hup().unwrap();
    reloads(&stack, 2).await;
    let log = stack.helper_log();
    assert!(log.contains("clients.d/nobody.toml:"), "{log}");
    let (err, t) = call(&ci, "vm_action", json!({"vmid": 122, "action": "stop"})).await;
    assert!(!err, "the last good policy stays: {t}");
    lab_answers(&lab).await;

    // A file that names another user is refused the same way.
    stack
        .write_client_policy(
            BOT,
            Some("[clients]\nusers = [\"root\"]\n[guests]\nallow = [\"*\"]\n"),
        )
        .unwrap();
    stack.hup().unwrap();
    reloads(&stack, 3).await;
    assert!(
        stack
            .helper_log()
            .contains("serves only the user it is named after")
    );
    assert!(!status_found(&ci, 101).await);

    // The bot's file removed: the bot is no client any more, at its next call.
    stack.write_client_policy(BOT, None).unwrap();
    stack.hup().unwrap();
    reloads(&stack, 4).await;
    let (err, t) = call(&ci, "vm_status", json!({"vmid": 121})).await;
    assert!(err && t.contains("not allowed to use the helper"), "{t}");
    lab_answers(&lab).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_named_by_two_policies_is_an_error_with_its_place() {
    let stack = stack();
    let (code, out, err) = helper(&stack, &["check"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("policy.toml: OK") && out.contains("nobody.toml: OK"),
        "{out}"
    );
    let (code, out, _) = helper(&stack, &["check", "--client", BOT]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("nobody is served by ") && out.contains("120-139"),
        "{out}"
    );

    // The main policy names the bot too: check says where, and the reload refuses it.
    let both = LAB.replace("users = [{uid}]", "users = [{uid}, \"nobody\"]");
    stack.write_policy(&both).unwrap();
    let (code, _, err) = helper(&stack, &["check"]);
    assert_eq!(code, 1, "{err}");
    let want = "policy.toml:3:13: \"nobody\" has a policy of its own";
    assert!(err.contains(want), "{err}");
    assert!(err.contains("clients.d/nobody.toml"), "{err}");
    stack.hup().unwrap();
    reloads(&stack, 1).await;
    assert!(stack.helper_log().contains(want));
    let ci = stack.client_as(BOT).await.expect("ci front starts");
    assert!(status_found(&ci, 121).await, "the bot keeps its own policy");
    assert!(!status_found(&ci, 101).await);

    // A file name that is no login name, and a link, are refused with their reason.
    let dir = stack.dir().join("clients.d");
    std::fs::write(dir.join("no body.toml"), CI).unwrap();
    std::os::unix::fs::symlink(dir.join("nobody.toml"), dir.join("daemon.toml")).unwrap();
    let (code, _, err) = helper(&stack, &["check"]);
    assert_eq!(code, 1);
    assert!(err.contains("\"no body\" is not a login name"), "{err}");
    assert!(err.contains("daemon.toml: is a symbolic link"), "{err}");
    // At start, a bad file refuses the whole helper.
    std::fs::remove_file(dir.join("daemon.toml")).unwrap();
    std::fs::remove_file(dir.join("no body.toml")).unwrap();
    let mut stack = stack;
    let started = stack
        .spawn_helper()
        .expect_err("the helper must refuse to start");
    assert!(started.to_string().contains("invalid policy"), "{started}");
}
