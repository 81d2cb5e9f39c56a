//! Load through the real binaries: many concurrent mcp-front sessions, each a real MCP
//! client issuing a few hundred mixed requests, against one helper and the simulated
//! cluster. Every answer is checked against its own request (a guest's status names
//! that guest, an echo returns its own word), so a lost or crossed reply fails. The
//! helper's file descriptors are counted before and after, and its peak memory is
//! reported. Limits are then enforced under a tight policy, each refusal worded
//! precisely. Figures are printed; nothing here asserts on time.

use super::{census, report, settle_fds};
use pve_mcp_tests::{
    client::{Client, is_error, listed_guests, text},
    sim::{self, GuestSeed, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::{sync::Arc, time::Instant};

const NODES: usize = 3;
const GUESTS: usize = 300;
const SESSIONS: usize = 50;
const REQUESTS: usize = 300;

const POLICY: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["*"]
[api]
allow = ["GET /nodes", "GET /nodes/*/status", "GET /nodes/*/qemu/*/config", "GET /nodes/*/lxc/*/config"]
[commands]
allow = [["echo", "*"]]
[limits]
requests_per_minute = 100000
concurrent = 256
"#;

fn stack(policy: &str) -> Stack {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    Stack::start(o).expect("stack starts")
}

/// Checks that an answer is the one to its own request.
type Check = Box<dyn Fn(&Value) -> bool + Send + Sync>;

/// Request `i` of session `s`: the tool, its arguments, and a check of the answer.
fn request(s: usize, i: usize, guests: &[GuestSeed]) -> (&'static str, Value, Check) {
    let g = guests[(s * 7919 + i * 104_729) % guests.len()].clone();
    match i % 10 {
        0..=3 => {
            let (vmid, name) = (g.vmid, g.name.clone());
            (
                "vm_status",
                json!({"vmid": vmid}),
                Box::new(move |r| {
                    r["structuredContent"]["guest"]["vmid"] == vmid
                        && r["structuredContent"]["guest"]["name"] == name.as_str()
                }),
            )
        }
        4 | 5 => {
            let vmid = g.vmid;
            (
                "list_vms",
                json!({"name": g.name}),
                Box::new(move |r| {
                    r["structuredContent"]["total"] == 1
                        && listed_guests(&r["structuredContent"])[0]["vmid"] == vmid
                }),
            )
        }
        6 => {
            let node = g.node.clone();
            (
                "node_status",
                json!({"node": node}),
                Box::new(move |r| r["structuredContent"]["nodes"][0]["node"] == node.as_str()),
            )
        }
        7 | 8 => {
            let (name, path) = (
                g.name.clone(),
                format!("/nodes/{}/{}/{}/config", g.node, g.kind.as_str(), g.vmid),
            );
            (
                "proxmox_api",
                json!({"endpoint": path}),
                Box::new(move |r| {
                    let d = &r["structuredContent"]["data"];
                    d["name"] == name.as_str() || d["hostname"] == name.as_str()
                }),
            )
        }
        _ => {
            let word = format!("s{s}r{i}");
            (
                "execute_command",
                json!({"command": format!("echo {word}")}),
                Box::new(move |r| {
                    r["structuredContent"]["stdout"].as_str() == Some(&format!("{word}\n"))
                }),
            )
        }
    }
}

/// One session: its own mcp-front, `REQUESTS` calls in turn; returns how many answers
/// were right.
async fn session(stack: Arc<Stack>, s: usize, guests: Arc<Vec<GuestSeed>>) -> usize {
    let client = stack.client().await.expect("mcp-front starts");
    let mut right = 0;
    for i in 0..REQUESTS {
        let (tool, args, check) = request(s, i, &guests);
        let r = client.call(tool, args.clone()).await.expect("answered");
        assert!(
            !is_error(&r),
            "session {s} call {i} {tool} {args}: {}",
            text(&r)
        );
        assert!(
            check(&r),
            "session {s} call {i}: {tool} {args} got another answer: {r}"
        );
        right += 1;
    }
    client.close().await.unwrap();
    right
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_sessions_of_mixed_requests_lose_and_cross_nothing() {
    let stack = Arc::new(stack(POLICY));
    let pid = stack.helper_pid().unwrap();
    let guests = Arc::new(sim::dataset(NODES, GUESTS));
    // Warm up with one short session, so the baseline has the runtime's threads.
    {
        let c = stack.client().await.unwrap();
        assert!(!is_error(&c.call("list_vms", json!({})).await.unwrap()));
        assert!(!is_error(
            &c.call("execute_command", json!({"command": "echo warm"}))
                .await
                .unwrap()
        ));
        c.close().await.unwrap();
    }
    let before = settle_fds(pid, &census(pid));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for s in 0..SESSIONS {
        tasks.push(tokio::spawn(session(stack.clone(), s, guests.clone())));
    }
    let mut served = 0;
    for t in tasks {
        served += t.await.expect("a session failed");
    }
    let elapsed = started.elapsed();
    assert_eq!(served, SESSIONS * REQUESTS);
    let peak = census(pid);
    let after = settle_fds(pid, &before);
    assert_eq!(
        after.local_fds(),
        before.local_fds(),
        "descriptors leaked: {:?} -> {:?}",
        before.fds,
        after.fds
    );
    assert!(
        after.fds_of("tcp") <= before.fds_of("tcp") + 32,
        "more connections to Proxmox than the pool keeps: {:?}",
        after.fds
    );
    let upstream = stack.sim.stats().requests;
    report(
        "load",
        &format!(
            "{SESSIONS} concurrent mcp-front sessions x {REQUESTS} mixed requests = {served} answered, \
             0 lost, 0 crossed, in {:.1} s ({:.0}/s, debug build); {upstream} Proxmox requests; \
             helper peak RSS {} KiB; fds {} -> {} ({} local -> {} local); threads {} -> {}",
            elapsed.as_secs_f64(),
            served as f64 / elapsed.as_secs_f64(),
            peak.peak_rss_kib,
            before.total_fds(),
            after.total_fds(),
            before.local_fds().values().sum::<usize>(),
            after.local_fds().values().sum::<usize>(),
            before.threads,
            after.threads,
        ),
    );
}

/// A tight policy: at most 3 requests at a time, 40 a minute, for the client's uid over
/// all its sessions. Every call gets exactly one answer: a right one, or a refusal that
/// says which limit and when to retry.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tight_limits_refuse_the_excess_with_clear_errors() {
    let policy = POLICY
        .replace("requests_per_minute = 100000", "requests_per_minute = 40")
        .replace("concurrent = 256", "concurrent = 3")
        .replace(
            r#"allow = [["echo", "*"]]"#,
            r#"allow = [["echo", "*"], ["sleep", "1"]]"#,
        );
    let stack = Arc::new(stack(&policy));
    let clients: Vec<Client> = futures_join(10, |_| stack.client())
        .await
        .into_iter()
        .map(|c| c.expect("mcp-front starts"))
        .collect();
    let started = Instant::now();
    // Concurrency: ten sessions each start a one-second command at once.
    let results = futures_join(10, |i| {
        clients[i].call("execute_command", json!({"command": "sleep 1"}))
    })
    .await;
    let mut ran = 0;
    let mut busy = 0;
    for r in &results {
        let r = r.as_ref().unwrap();
        if is_error(r) {
            assert!(
                text(r).starts_with("Rate limited: at most 3 requests at a time; retry in 1 s"),
                "{r}"
            );
            busy += 1;
        } else {
            ran += 1;
        }
    }
    assert_eq!(ran + busy, 10);
    assert!(
        (1..=3).contains(&ran) && busy >= 7,
        "{ran} ran, {busy} refused"
    );
    // Rate: ten sessions, ten quick calls each, one after the other.
    let mut passed = 0;
    let mut limited = 0;
    for round in 0..10 {
        let results = futures_join(10, |i| {
            clients[i].call(
                "execute_command",
                json!({"command": format!("echo c{i}r{round}")}),
            )
        })
        .await;
        for (i, r) in results.iter().enumerate() {
            let r = r.as_ref().unwrap();
            if is_error(r) {
                let t = text(r);
                assert!(
                    t.starts_with("Rate limited: at most 40 requests per minute; retry in ")
                        || t.starts_with("Rate limited: at most 3 requests at a time"),
                    "{t}"
                );
                limited += 1;
            } else {
                assert_eq!(r["structuredContent"]["stdout"], format!("c{i}r{round}\n"));
                passed += 1;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    assert_eq!(passed + limited, 100);
    // 40 in the bucket, refilled at 40 a minute; the sessions' own start-up requests
    // and the sleeps above drew on it too.
    let allowed = 40.0 + elapsed * 40.0 / 60.0 + 1.0;
    assert!(
        (passed as f64) <= allowed && limited > 0,
        "{passed} passed (at most {allowed:.0} allowed), {limited} limited"
    );
    for c in clients {
        c.close().await.unwrap();
    }
    report(
        "limits",
        &format!(
            "tight limits: 10 concurrent 1 s commands -> {ran} ran, {busy} refused (3 at a time); \
             100 quick calls -> {passed} passed, {limited} refused (40 a minute); every call answered once"
        ),
    );
}

/// Runs `n` futures made by `f(0..n)` concurrently; returns their outputs in order.
async fn futures_join<T, F, Fut>(n: usize, f: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let mut futs: Vec<std::pin::Pin<Box<Fut>>> = (0..n).map(|i| Box::pin(f(i))).collect();
    let mut out: Vec<Option<T>> = (0..n).map(|_| None).collect();
    std::future::poll_fn(|cx| {
        let mut pending = false;
        for (i, fut) in futs.iter_mut().enumerate() {
            if out[i].is_none() {
                match fut.as_mut().poll(cx) {
                    std::task::Poll::Ready(v) => out[i] = Some(v),
                    std::task::Poll::Pending => pending = true,
                }
            }
        }
        if pending {
            std::task::Poll::Pending
        } else {
            std::task::Poll::Ready(())
        }
    })
    .await;
    out.into_iter()
        .map(|v| v.expect("polled to completion"))
        .collect()
}
