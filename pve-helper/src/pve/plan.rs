//! Plans: a change judged and run without reaching Proxmox. While a request runs as a
//! plan ([`recording`]), every write the client would send is recorded instead
//! ([`intercept`]) and answered as Proxmox answers a write that starts a task, with a
//! task id of the plan's own (user `pve-mcp@pve!plan`); that task reads as ended OK
//! with an empty log. Reads still reach Proxmox: a plan is judged on the cluster as it
//! is. What the request would send is then the recorded writes, in order.
//!
//! Input is the helper's own request, as built by the services from judged requests.

use pve_mcp_proto::{ApiMethod, PlannedCall};
use std::{cell::RefCell, future::Future};

tokio::task_local! {
    static PLAN: RefCell<Vec<PlannedCall>>;
}

/// The user in the task ids of a plan's writes: no Proxmox task has it.
const PLAN_USER: &str = "pve-mcp@pve!plan";

/// Runs `f` as a plan; returns its output and the writes it would have sent.
pub async fn recording<F: Future>(f: F) -> (F::Output, Vec<PlannedCall>) {
    PLAN.scope(RefCell::new(Vec::new()), async {
        let out = f.await;
        let calls = PLAN.with(|p| p.take());
        (out, calls)
    })
    .await
}

/// Whether a plan is being recorded.
pub fn active() -> bool {
    PLAN.try_with(|_| ()).is_ok()
}

/// The node a path is about (`/nodes/{node}/...`), for the plan's task ids.
fn node_of(path: &str) -> &str {
    let mut segs = path.trim_start_matches('/').split('/');
    match (segs.next(), segs.next()) {
        (Some("nodes"), Some(n)) if !n.is_empty() => n,
        _ => "localhost",
    }
}

/// Proxmox's answer to a write or to a read of one of the plan's tasks, when a plan
/// is recorded; `None` otherwise (the request is sent).
pub fn intercept(
    method: ApiMethod,
    path: &str,
    query: &[(&str, &str)],
    form: Option<&[(String, String)]>,
) -> Option<bytes::Bytes> {
    PLAN.try_with(|plan| {
        if method == ApiMethod::Get {
            if !path.contains(PLAN_USER) {
                return None;
            }
            let data = if path.ends_with("/log") {
                serde_json::json!([])
            } else {
                serde_json::json!({
                    "status": "stopped", "exitstatus": "OK", "node": node_of(path),
                    "type": "plan", "id": "", "user": PLAN_USER, "pid": 1, "pstart": 1,
                    "starttime": 0, "upid": task_of(path),
                })
            };
            return Some(bytes::Bytes::from(
                serde_json::json!({ "data": data }).to_string(),
            ));
        }
        let params: Vec<(String, String)> = match form {
            Some(form) => form.to_vec(),
            None => query
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        let mut calls = plan.borrow_mut();
        calls.push(PlannedCall {
            method,
            path: path.to_owned(),
            params,
        });
        let upid = format!(
            "UPID:{}:{:08X}:00000001:00000000:plan::{PLAN_USER}:",
            node_of(path),
            calls.len()
        );
        Some(bytes::Bytes::from(
            serde_json::json!({ "data": upid }).to_string(),
        ))
    })
    .ok()
    .flatten()
}

/// The task id in `/nodes/{node}/tasks/{upid}/...`.
fn task_of(path: &str) -> &str {
    path.split('/')
        .find(|s| s.starts_with("UPID:"))
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn writes_are_recorded_and_answered_reads_pass() {
        assert!(
            intercept(
                ApiMethod::Post,
                "/nodes/pve1/qemu/101/status/stop",
                &[],
                None
            )
            .is_none()
        );
        let ((), calls) = recording(async {
            assert!(active());
            let form = vec![("timeout".to_owned(), "60".to_owned())];
            let answer = intercept(
                ApiMethod::Post,
                "/nodes/pve1/qemu/101/status/shutdown",
                &[],
                Some(&form),
            )
            .expect("answered");
            let data: serde_json::Value = serde_json::from_slice(&answer).unwrap();
            let upid = data["data"].as_str().unwrap().to_owned();
            assert!(pve_mcp_proto::Upid::parse(&upid).is_ok(), "{upid}");
            assert!(intercept(ApiMethod::Get, "/nodes/pve1/qemu/101/config", &[], None).is_none());
            let status = intercept(
                ApiMethod::Get,
                &format!("/nodes/pve1/tasks/{upid}/status"),
                &[],
                None,
            )
            .expect("the plan's own task");
            let status: serde_json::Value = serde_json::from_slice(&status).unwrap();
            assert_eq!(status["data"]["exitstatus"], "OK");
            intercept(
                ApiMethod::Delete,
                "/nodes/pve1/qemu/101",
                &[("purge", "1")],
                None,
            );
        })
        .await;
        assert_eq!(calls.len(), 2);
        assert_eq!(calls[0].path, "/nodes/pve1/qemu/101/status/shutdown");
        assert_eq!(calls[0].params, [("timeout".to_owned(), "60".to_owned())]);
        assert_eq!(calls[1].method, ApiMethod::Delete);
        assert_eq!(calls[1].params, [("purge".to_owned(), "1".to_owned())]);
        assert!(!active());
    }
}
