//! The task tools on the product's own tasks: a finished one's status and log, and a
//! long one (fakepve's slow guest 102 takes a minute to start) looked at while it runs
//! and cancelled; fakepve keeps a cancelled task running.

use super::Lab;
use serde_json::json;

pub async fn tasks(lab: &mut Lab) {
    let started = lab
        .ok(
            "start, to follow its task",
            "vm_action",
            json!({"vmid": 101, "action": "start"}),
        )
        .await;
    let upid = started["upid"].as_str().expect("a UPID").to_owned();
    let status = lab
        .ok(
            "a finished task's status",
            "task_status",
            json!({"upid": upid}),
        )
        .await;
    assert_eq!(
        (status["status"].as_str(), status["succeeded"].as_bool()),
        (Some("stopped"), Some(true)),
        "{status}"
    );
    let log = lab
        .ok("a finished task's log", "task_log", json!({"upid": upid}))
        .await;
    let lines = log["lines"].to_string();
    assert!(lines.contains("TASK OK"), "{log}");
    lab.ok(
        "shutdown",
        "vm_action",
        json!({"vmid": 101, "action": "shutdown"}),
    )
    .await;

    let slow = json!({"vmid": 102, "action": "start", "wait": false});
    let started = lab
        .ok("start a slow guest without waiting", "vm_action", slow)
        .await;
    let upid = started["upid"].as_str().expect("a UPID").to_owned();
    let status = lab
        .ok(
            "a running task's status",
            "task_status",
            json!({"upid": upid}),
        )
        .await;
    assert_eq!(status["status"], "running", "{status}");
    lab.ok("a running task's log", "task_log", json!({"upid": upid}))
        .await;
    let listed = lab
        .ok("the guest's tasks", "list_tasks", json!({"vmid": 102}))
        .await;
    lab.gap(
        "the guest's tasks",
        "/cluster/tasks answers a placeholder: the running task is not listed",
        listed["tasks"] == json!([]),
        &listed.to_string(),
    );
    lab.ok("cancel it", "task_cancel", json!({"upid": upid}))
        .await;
    let sent = lab
        .fake
        .requests("DELETE", &format!("/nodes/pve2/tasks/{upid}"))
        .await;
    assert_eq!(sent.len(), 1, "the helper asked fakepve to stop the task");
    let task = lab.root.task(&upid).await;
    lab.gap(
        "cancel it",
        "a cancelled task keeps running (DELETE /nodes/{node}/tasks/{upid} answers 200 and stops nothing)",
        task["status"] == "running",
        &task.to_string(),
    );
}
