//! The lifecycle tools end to end over the real binary's stdio, against the fake
//! helper (which wants `delete` confirmed): guest_delete asks the user in each
//! protocol era, guest_create follows its task with progress and names the new guest,
//! guest_configure shows a change applied at once, and bad arguments reach nothing.

mod support;

use pve_mcp_proto::{PROTO_VERSION, Request};
use serde_json::{Value, json};
use support::{
    fake_helper::{FakeHelper, UPID_CREATE, UPID_DESTROY},
    mcp_client::{Mcp, is_error, text},
};

fn deletes(helper: &FakeHelper, confirmed: bool) -> usize {
    helper
        .seen
        .count(|r| matches!(r, Request::GuestDelete(d) if d.confirmed == confirmed))
}

#[tokio::test]
async fn guest_delete_asks_the_user_before_destroying() {
    let helper = FakeHelper::start("delete", PROTO_VERSION.major);
    let caps = json!({"elicitation": {"form": {}}});
    let (mut mcp, _) = Mcp::start_with(&helper.socket, "2025-11-25", caps).await;
    let id = mcp
        .start_request(
            "tools/call",
            json!({"name": "guest_delete", "arguments": {"vmid": 101}}),
        )
        .await;
    let question = mcp.server_request().await;
    assert_eq!(question["method"], "elicitation/create", "{question}");
    let message = question["params"]["message"].as_str().unwrap();
    assert!(
        message.contains(
            "wants to destroy VM 101 \"web-01\" on node pve1 (now running) with all its \
             disks, removing it from backup jobs, replication and HA."
        ),
        "{message}"
    );
    assert!(message.contains("confirm \"delete\" actions"), "{message}");
    assert_eq!(
        deletes(&helper, true),
        0,
        "nothing destroyed before the answer"
    );
    let yes = json!({"action": "accept", "content": {"confirm": true}});
    mcp.send(&json!({"jsonrpc": "2.0", "id": question["id"], "result": yes}))
        .await;
    let r = mcp.response(id).await["result"].clone();
    assert!(!is_error(&r), "{r}");
    assert!(
        text(&r).starts_with(
            "OK: destroy guest 101 with all its disks, removing it from backup jobs, \
             replication and HA: finished in"
        ),
        "{r}"
    );
    let s = &r["structuredContent"];
    assert_eq!(s["operation"], "delete");
    assert_eq!(s["vmid"], 101);
    assert_eq!(s["outcome"], "succeeded");
    assert_eq!(s["upid"], UPID_DESTROY);
    assert_eq!((deletes(&helper, false), deletes(&helper, true)), (1, 1));

    // A declined question destroys nothing.
    let id = mcp
        .start_request(
            "tools/call",
            json!({"name": "guest_delete", "arguments": {"vmid": 101, "purge": false}}),
        )
        .await;
    let question = mcp.server_request().await;
    let message = question["params"]["message"].as_str().unwrap();
    assert!(
        !message.contains("removing it from backup jobs"),
        "{message}"
    );
    mcp.send(&json!({"jsonrpc": "2.0", "id": question["id"],
                     "result": {"action": "decline"}}))
        .await;
    let r = mcp.response(id).await["result"].clone();
    assert!(is_error(&r) && text(&r).contains("the user declined to destroy guest 101"));
    assert_eq!(deletes(&helper, true), 1);
}

#[tokio::test]
async fn guest_delete_without_elicitation_is_refused_with_guidance() {
    let helper = FakeHelper::start("delete-noask", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let r = mcp.call("guest_delete", json!({"vmid": 101})).await;
    assert!(is_error(&r), "{r}");
    let t = text(&r);
    assert!(
        t.starts_with("Confirmation required: \"delete\" of guest 101 needs the user's"),
        "{t}"
    );
    assert!(t.contains("let \"delete\" run without confirmation"), "{t}");
    assert_eq!(deletes(&helper, true), 0);
}

fn meta() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {"form": {}}},
        "io.modelcontextprotocol/clientInfo": {"name": "mcp-front-test", "version": "0"}
    })
}

#[tokio::test]
async fn a_2026_confirmation_is_bound_to_every_argument_of_the_delete() {
    let helper = FakeHelper::start("delete-mrtr", PROTO_VERSION.major);
    let mut mcp = Mcp::spawn(&helper.socket);
    let call = json!({"name": "guest_delete", "arguments": {"vmid": 101, "wait": false},
                      "_meta": meta()});
    let first = mcp.request("tools/call", call.clone()).await;
    assert_eq!(first["resultType"], "input_required", "{first}");
    let yes = json!({"confirm": {"action": "accept", "content": {"confirm": true}}});

    // The same state cannot confirm a delete that also destroys unreferenced disks.
    let mut wider = call.clone();
    wider["arguments"]["destroy_unreferenced_disks"] = json!(true);
    wider["requestState"] = first["requestState"].clone();
    wider["inputResponses"] = yes.clone();
    let r = mcp.request("tools/call", wider).await;
    assert!(
        is_error(&r) && text(&r).contains("the user was asked to confirm"),
        "{r}"
    );
    assert_eq!(deletes(&helper, true), 0);

    let first = mcp.request("tools/call", call.clone()).await;
    let mut answer = call.clone();
    answer["requestState"] = first["requestState"].clone();
    answer["inputResponses"] = yes;
    let r = mcp.request("tools/call", answer).await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "started", "{r}");
    assert_eq!(deletes(&helper, true), 1);
}

#[tokio::test]
async fn guest_create_follows_its_task_and_names_the_new_guest() {
    let helper = FakeHelper::start("create", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let args = json!({"type": "qemu", "node": "pve1", "name": "web-02", "cores": 2,
                      "memory_mib": 2048, "disk": {"storage": "local-lvm", "size_gib": 16},
                      "iso": "local:iso/debian-12.iso", "bridge": "vmbr0"});
    let params = json!({"name": "guest_create", "arguments": args,
                        "_meta": {"progressToken": "create-1"}});
    let r = mcp.request("tools/call", params).await;
    assert!(!is_error(&r), "{r}");
    let s = &r["structuredContent"];
    assert_eq!(s["operation"], "create");
    assert_eq!(s["vmid"], 9001);
    assert_eq!(s["node"], "pve1");
    assert_eq!(s["outcome"], "succeeded");
    assert_eq!(s["upid"], UPID_CREATE);
    assert!(
        text(&r).contains("\nThe guest is 9001 on node pve1.\n"),
        "{}",
        text(&r)
    );
    let progress: Vec<&Value> = mcp
        .notifications
        .iter()
        .filter(|n| n["method"] == "notifications/progress")
        .collect();
    assert!(!progress.is_empty(), "{:?}", mcp.notifications);
    assert_eq!(progress[0]["params"]["total"], 600.0);
    let message = progress[0]["params"]["message"].as_str().unwrap();
    assert!(message.contains("\"create\" of guest 9001"), "{message}");
    let created = helper.seen.count(|r| {
        matches!(r, Request::GuestCreate(c)
            if c.name.as_str() == "web-02" && c.iso.is_some() && c.vmid.is_none())
    });
    assert_eq!(created, 1);

    let r = mcp.call("next_vmid", json!({})).await;
    assert_eq!(r["structuredContent"]["vmid"], 9001, "{r}");
}

#[tokio::test]
async fn guest_configure_shows_a_change_applied_at_once() {
    let helper = FakeHelper::start("configure", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let r = mcp
        .call(
            "guest_configure",
            json!({"vmid": 101, "set": {"description": "web front"}}),
        )
        .await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(r["structuredContent"]["outcome"], "applied");
    assert_eq!(r["structuredContent"]["config"]["description"], "web front");
    assert!(r["structuredContent"].get("upid").is_none(), "{r}");
    assert!(
        text(&r).starts_with(
            "OK: change the configuration of guest 101 (set description): applied at once."
        ),
        "{}",
        text(&r)
    );
    let r = mcp
        .call("guest_configure", json!({"vmid": 101, "set": {"cores": 4}}))
        .await;
    assert_eq!(r["structuredContent"]["outcome"], "succeeded", "{r}");
}

#[tokio::test]
async fn bad_lifecycle_arguments_reach_nothing() {
    let helper = FakeHelper::start("lifecycle-bad", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let vm = json!({"type": "qemu", "node": "pve1", "name": "web-02", "cores": 2,
                    "memory_mib": 2048, "disk": {"storage": "local-lvm", "size_gib": 16},
                    "cloud_init": {"password_hash": "hunter2"}});
    let r = mcp.call("guest_create", vm).await;
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with(
            "Invalid arguments: cloud_init.password_hash: password must be given as a crypt hash"
        ),
        "{}",
        text(&r)
    );
    assert!(!text(&r).contains("hunter2"));
    for (tool, args, want) in [
        (
            "guest_delete",
            json!({"vmid": 5}),
            "Invalid arguments: vmid 5 is out of range",
        ),
        (
            "guest_configure",
            json!({"vmid": 101}),
            "Invalid arguments: nothing to change",
        ),
        (
            "guest_delete",
            json!({"vmid": 101, "confirmed": true}),
            "Invalid arguments: unknown field `confirmed`",
        ),
    ] {
        let r = mcp.call(tool, args).await;
        assert!(is_error(&r) && text(&r).starts_with(want), "{tool}: {r}");
    }
    let lifecycle = helper.seen.count(|r| {
        matches!(
            r,
            Request::GuestCreate(_) | Request::GuestDelete(_) | Request::GuestConfigure(_)
        )
    });
    assert_eq!(lifecycle, 0, "nothing was sent to the helper");
}

#[tokio::test]
async fn agent_programs_and_task_cancels_are_rendered() {
    let helper = FakeHelper::start("exec-cancel", PROTO_VERSION.major);
    let (mut mcp, _) = Mcp::start(&helper.socket).await;
    let r = mcp
        .call(
            "agent_exec",
            json!({"vmid": 101, "argv": ["systemctl", "is-active", "nginx"]}),
        )
        .await;
    assert!(!is_error(&r), "{r}");
    assert_eq!(
        text(&r),
        "VM 101, \"systemctl\" \"is-active\" \"nginx\": exit code 3 after 7 ms\n\
         stdout (output of the program in the guest, shown as data):\n│ inactive\n"
    );
    assert_eq!(r["structuredContent"]["exit_code"], 3);
    let sent = helper.seen.count(|r| {
        matches!(r, Request::AgentExec(a)
            if a.argv.args() == ["systemctl", "is-active", "nginx"] && !a.confirmed)
    });
    assert_eq!(sent, 1);

    let r = mcp.call("task_cancel", json!({"upid": UPID_CREATE})).await;
    assert!(!is_error(&r), "{r}");
    assert!(
        text(&r).ends_with("it stopped: interrupted by signal.\n"),
        "{}",
        text(&r)
    );
    assert_eq!(r["structuredContent"]["status"], "stopped");
}
