//! The policy through the real binaries: reload under load (no lost request, never a
//! half-loaded policy), a bad file keeping the old policy, reload on file change,
//! rate limits, and the JSON-lines audit trail.

use pve_mcp_proto::*;
use pve_mcp_tests::{
    client::{is_error, text},
    sim::SimConfig,
    stack::{Stack, StackOptions},
};
use serde_json::json;
use std::{
    collections::HashMap,
    io::Read,
    sync::{
        Arc,
        atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering::SeqCst},
    },
    time::{Duration, Instant},
};
use tokio::net::UnixStream;

/// Policy A: 101 in scope and the raw API path granted. Policy B: neither. A request
/// for `GET /nodes/pve2/qemu/101/status/current` is allowed under A and "not found"
/// under B; a mix of the two (A's scope with B's [api]) would deny it.
fn policy(a: bool) -> String {
    let (scope, api) = if a {
        ("\"100-199\"", "\"GET /nodes/*/qemu/**\"")
    } else {
        ("\"200-299\"", "\"GET /version\"")
    };
    format!(
        "[clients]\nusers = [{{uid}}]\n[guests]\nallow = [{scope}]\n[api]\nallow = [{api}]\n\
         [limits]\nrequests_per_minute = 100000\nconcurrent = 256\n"
    )
}

fn options(policy: &str) -> StackOptions {
    let mut o = StackOptions::new(policy);
    o.sim = SimConfig {
        nodes: 3,
        guests: 30,
        ..SimConfig::default()
    };
    o
}

async fn connect(stack: &Stack) -> UnixStream {
    let mut s = UnixStream::connect(&stack.socket).await.unwrap();
    let hello = FrontFrame::Hello {
        proto_version: PROTO_VERSION,
    };
    write_frame(&mut s, &hello, MAX_REQUEST_FRAME)
        .await
        .unwrap();
    let w: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
    assert!(matches!(w, HelperFrame::Welcome { .. }), "{w:?}");
    s
}

fn probe() -> Request {
    Request::Api(ApiCall {
        method: ApiMethod::Get,
        path: ApiPath::parse("/nodes/pve2/qemu/101/status/current").unwrap(),
        params: ApiParams::default(),
    })
}

/// Most probes one connection sends: 4 connections stay under the 100000 requests a
/// minute of [`policy`], however slowly the reloads go.
const MAX_PROBES: u64 = 10_000;

/// What the probing connections and the reloading thread share: the answers so far by
/// kind, and whether the reloads are done (then the probes stop).
#[derive(Debug, Default)]
struct Tally {
    allow: AtomicUsize,
    not_found: AtomicUsize,
    done: AtomicBool,
}

/// Sends probes on one connection, pipelined (the helper reads at most 16 ahead), until
/// the reloads are done or [`MAX_PROBES`] went out; returns each answer's kind by id.
async fn burst(stack: &Stack, first_id: u64, tally: Arc<Tally>) -> HashMap<u64, &'static str> {
    let s = connect(stack).await;
    let (mut r, mut w) = s.into_split();
    // How many probes were sent, once the last one is about to go (0 until then).
    let sent = Arc::new(AtomicU64::new(0));
    let writer = tokio::spawn({
        let (tally, sent) = (tally.clone(), sent.clone());
        async move {
            for id in first_id.. {
                let n = id - first_id + 1;
                let last = tally.done.load(SeqCst) || n == MAX_PROBES;
                if last {
                    sent.store(n, SeqCst);
                }
                let call = FrontFrame::Call {
                    id,
                    request: probe(),
                    plan: false,
                };
                write_frame(&mut w, &call, MAX_REQUEST_FRAME).await.unwrap();
                if last {
                    break;
                }
                if id % 4 == 0 {
                    tokio::time::sleep(Duration::from_millis(2)).await;
                }
            }
            w
        }
    });
    let mut seen = HashMap::new();
    // The last probe's answer comes after `sent` is set, so this ends.
    while sent.load(SeqCst) == 0 || (seen.len() as u64) < sent.load(SeqCst) {
        let f: HelperFrame = read_frame(&mut r, MAX_RESPONSE_FRAME).await.unwrap();
        let HelperFrame::Reply { id, response } = f else {
            panic!("{f:?}")
        };
        let kind = match response {
            Response::Ok(_) => "allow",
            Response::Err(e) if e.kind == ErrorKind::NotFound => "not_found",
            Response::Err(e) if e.kind == ErrorKind::Denied => "deny",
            Response::Err(e) => panic!("unexpected error {e:?}"),
        };
        match kind {
            "allow" => tally.allow.fetch_add(1, SeqCst),
            "not_found" => tally.not_found.fetch_add(1, SeqCst),
            _ => 0,
        };
        assert!(seen.insert(id, kind).is_none(), "reply {id} twice");
    }
    let sent = sent.load(SeqCst);
    assert!(
        (first_id..first_id + sent).all(|id| seen.contains_key(&id)),
        "a reply to no probe"
    );
    drop(writer.await.unwrap());
    seen
}

/// The helper's SIGHUP reloads, good or bad, counted from its log as it grows.
struct Reloads {
    log: std::fs::File,
    unread: Vec<u8>,
    count: usize,
}

impl Reloads {
    fn new(stack: &Stack) -> Self {
        Self {
            log: std::fs::File::open(stack.helper_log_path()).unwrap(),
            unread: Vec::new(),
            count: 0,
        }
    }

    /// Waits until the helper has logged `n` reloads since this started counting.
    fn wait_for(&mut self, n: usize) {
        let deadline = Instant::now() + PATIENCE;
        loop {
            self.log.read_to_end(&mut self.unread).unwrap();
            let whole = self
                .unread
                .iter()
                .rposition(|b| *b == b'\n')
                .map_or(0, |i| i + 1);
            let lines = String::from_utf8_lossy(&self.unread[..whole]).into_owned();
            self.count += lines
                .lines()
                .filter(|l| l.contains("policy reload") && l.contains("SIGHUP"))
                .count();
            self.unread.drain(..whole);
            if self.count >= n {
                return;
            }
            assert!(Instant::now() < deadline, "reload {n} not logged in time");
            std::thread::sleep(Duration::from_millis(2));
        }
    }
}

/// How long the reloader waits for the helper, or for an answer, before failing.
const PATIENCE: Duration = Duration::from_secs(60);

/// Waits until `counter` passes `before`: a probe was answered as only the policy just
/// loaded answers it.
fn wait_past(counter: &AtomicUsize, before: usize, what: &str) {
    let deadline = Instant::now() + PATIENCE;
    while counter.load(SeqCst) <= before {
        assert!(Instant::now() < deadline, "no probe answered {what}");
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// Sets [`Tally::done`] when the reloads end, even by a failed assertion.
struct StopsProbes(Arc<Tally>);

impl Drop for StopsProbes {
    fn drop(&mut self) {
        self.0.done.store(true, SeqCst);
    }
}

/// Under the probes' load, three times: policy B, a broken file, policy A; each reload
/// waited for in the helper's log, and after B and A a probe answered as only that
/// policy answers. Returns the reloads done.
fn reload_under_load(stack: &Stack, tally: Arc<Tally>) -> usize {
    let _stop = StopsProbes(tally.clone());
    let mut reloads = Reloads::new(stack);
    wait_past(&tally.allow, 0, "under policy A at the start");
    let mut n = 0;
    for _ in 0..3 {
        for (text, answer) in [
            (
                policy(false),
                Some((&tally.not_found, "not found under policy B")),
            ),
            ("[guests\nbroken = ".to_owned(), None),
            (policy(true), Some((&tally.allow, "allowed under policy A"))),
        ] {
            let before = answer.map(|(counter, _)| counter.load(SeqCst));
            stack.reload_policy(&text).unwrap();
            n += 1;
            reloads.wait_for(n);
            if let (Some((counter, what)), Some(before)) = (answer, before) {
                wait_past(counter, before, what);
            }
        }
    }
    n
}

/// The policy is replaced (atomically, by rename) and reloaded nine times while four
/// connections keep probes in flight: every probe gets exactly one answer, and each is
/// one of a whole policy (A allows, B does not find), never a mix (A's scope with B's
/// [api] denies). The probes never exceed `[limits] concurrent`: the helper reads at
/// most 16 ahead on each connection, 64 in all, under the 256 of both policies. Each
/// step waits for the helper to log the reload, not for time to pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reload_under_load_loses_nothing_and_is_atomic() {
    let stack = Arc::new(Stack::start(options(&policy(true))).unwrap());
    let tally = Arc::new(Tally::default());
    let reloader = std::thread::spawn({
        let (stack, tally) = (stack.clone(), tally.clone());
        move || reload_under_load(&stack, tally)
    });
    let results = tokio::join!(
        burst(&stack, 0, tally.clone()),
        burst(&stack, MAX_PROBES, tally.clone()),
        burst(&stack, 2 * MAX_PROBES, tally.clone()),
        burst(&stack, 3 * MAX_PROBES, tally.clone())
    );
    let reloads = reloader.join().expect("the reloads went as planned");
    assert_eq!(reloads, 9);
    let mut counts: HashMap<&str, usize> = HashMap::new();
    let mut answered = 0;
    for r in [results.0, results.1, results.2, results.3] {
        answered += r.len();
        for kind in r.values() {
            *counts.entry(kind).or_default() += 1;
        }
    }
    assert_eq!(
        counts.get("deny"),
        None,
        "a half-loaded policy answered: {counts:?}"
    );
    assert_eq!(
        (counts["allow"], counts["not_found"]),
        (tally.allow.load(SeqCst), tally.not_found.load(SeqCst))
    );
    assert_eq!(counts.values().sum::<usize>(), answered);
    let log = stack.helper_log();
    assert!(
        log.contains("policy reload (SIGHUP) failed, keeping the old policy"),
        "{log}"
    );
    assert!(log.contains("policy reloaded"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_policy_keeps_the_old_one_and_a_changed_file_is_reloaded() {
    let stack = Stack::start(options(&policy(true))).unwrap();
    let client = stack.client().await.unwrap();
    let call = || client.call("vm_status", json!({"vmid": 101}));
    assert!(!is_error(&call().await.unwrap()));
    stack
        .reload_policy("[guests]\nallow = [\"100-199\"\n")
        .unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(
        !is_error(&call().await.unwrap()),
        "the old policy is still in force"
    );
    assert!(stack.helper_log().contains("keeping the old policy"));
    // No signal this time: the helper notices the file changed.
    stack.write_policy(&policy(false)).unwrap();
    let mut hidden = false;
    for _ in 0..50 {
        let r = call().await.unwrap();
        if is_error(&r) && text(&r).contains("does not exist or is not visible") {
            hidden = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        hidden,
        "the changed policy file was not picked up:\n{}",
        stack.helper_log()
    );
    assert!(
        stack.helper_log().contains("why=\"file changed\""),
        "{}",
        stack.helper_log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limits_answer_with_when_to_retry() {
    let p = "[clients]\nusers = [{uid}]\n[guests]\nallow = [\"*\"]\n[limits]\nrequests_per_minute = 5\n";
    let stack = Stack::start(options(p)).unwrap();
    let client = stack.client().await.unwrap();
    // The front may spend a request of its own (describe); at most 5 calls pass.
    let mut passed = 0;
    let r = loop {
        let r = client
            .call("vm_status", json!({"vmid": 101}))
            .await
            .unwrap();
        if is_error(&r) {
            break r;
        }
        passed += 1;
        assert!(passed <= 5, "the limit was not enforced");
    };
    assert!(passed >= 4, "{passed} calls passed before the limit");
    let t = text(&r);
    assert!(
        t.starts_with("Rate limited: at most 5 requests per minute; retry in 1"),
        "{t}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_decision_is_audited_as_a_json_line() {
    let p = "[clients]\nusers = [{uid}]\n[guests]\nallow = [\"100-109\"]\nactions = [\"start\"]\n";
    let mut o = options(p);
    o.audit_file = true;
    let stack = Stack::start(o).unwrap();
    let client = stack.client().await.unwrap();
    let calls = [
        ("vm_status", json!({"vmid": 101})),
        ("vm_status", json!({"vmid": 120})),
        ("vm_action", json!({"vmid": 101, "action": "stop"})),
        ("vm_action", json!({"vmid": 103, "action": "start"})),
        (
            "proxmox_api",
            json!({"endpoint": "/access/users", "method": "POST", "data": {"password": "hunter2-secret"}}),
        ),
    ];
    for (tool, args) in calls {
        client.call(tool, args).await.unwrap();
    }
    let r = stack.audit_record("guest_status vmid=101");
    assert_eq!(
        (r["decision"].as_str(), r["outcome"].as_str()),
        (Some("allow"), Some("ok"))
    );
    assert!(
        r["time"].as_str().unwrap().ends_with('Z')
            && r["peer_uid"].is_u64()
            && r["duration_ms"].is_u64()
    );
    assert_eq!(
        stack.audit_record("guest_status vmid=120")["decision"],
        "not_found"
    );
    let r = stack.audit_record("guest_action vmid=101 action=stop");
    assert_eq!(
        (r["decision"].as_str(), r["rule"].as_str()),
        (Some("deny"), Some("guests.actions"))
    );
    let r = stack.audit_record("guest_action vmid=103 action=start");
    assert!(r["upid"].as_str().unwrap().starts_with("UPID:"), "{r}");
    let r = stack.audit_record("api POST /access/users params=[password]");
    assert_eq!(r["rule"], "fixed floor");
    let text = std::fs::read_to_string(stack.dir().join("audit.jsonl")).unwrap();
    assert!(
        !text.contains("hunter2"),
        "parameter values must not be audited"
    );
    let secret = stack.sim.token().rsplit('=').next().unwrap().to_owned();
    assert!(!text.contains(&secret));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn explain_live_uses_the_clusters_data() {
    // Guest 102 is in the lab pool (dataset: i % 5 == 2), 101 is in prod.
    let p = "[clients]\nusers = [{uid}]\n[guests]\nallow = [\"pool:lab\"]\nactions = [\"start\"]\n";
    let stack = Stack::start(options(p)).unwrap();
    let explain = |req: &str, live: bool| {
        let mut cmd = std::process::Command::new(pve_mcp_tests::stack::workspace_bin("pve-helper"));
        cmd.arg("--config")
            .arg(stack.dir().join("helper.toml"))
            .arg("explain");
        if live {
            cmd.arg("--live");
        }
        let out = cmd.arg(req).output().unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = explain("vm_action 102 start", true);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("decision: allow") && !out.contains("assuming"),
        "{out}"
    );
    let (code, out) = explain("vm_action 101 start", true);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("decision: not_found"), "{out}");
    // Offline, nothing is known of 102's pool: the assumption is stated.
    let (code, out) = explain("vm_action 102 start", false);
    assert_eq!(code, Some(1), "{out}");
    assert!(out.contains("assuming: guest 102"), "{out}");
}
