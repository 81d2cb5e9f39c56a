//! The real pve-helper binary against hostile peers on its socket, with no Proxmox
//! behind it: slow senders, a peer outside `[clients]` that sends at once, too many
//! connections, a peer that never reads its replies, and a peer that leaves while its
//! command runs. Each ends in a precise error and an audit event, and the helper keeps
//! serving everyone else and frees what the peer held.

use pve_mcp_proto::*;
use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::UnixStream};

/// Bounds every wait for something that should happen promptly; only a hang hits it.
const PATIENCE: Duration = Duration::from_secs(20);

struct Helper {
    child: Child,
    socket: PathBuf,
    dir: tempfile::TempDir,
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Helper {
    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("helper.log")).unwrap_or_default()
    }

    fn audit(&self) -> Vec<String> {
        self.log()
            .lines()
            .filter(|l| l.contains("pve_mcp::audit"))
            .map(str::to_owned)
            .collect()
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn marker_runs(&self) -> usize {
        std::fs::read_to_string(self.dir.path().join("marker.log"))
            .unwrap_or_default()
            .lines()
            .count()
    }
}

fn me() -> u32 {
    nix::unistd::getuid().as_raw()
}

/// Starts the helper with `clients` in the policy; Proxmox is unreachable (port 1).
/// The policy allows `marker *` (a script that logs its runs), `echo *` and a command
/// that forks and sleeps.
fn start(clients: &str) -> Helper {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let token = p("token");
    std::fs::write(&token, "mcp@pve!mcp=0123-secret-4567\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    let marker = p("marker");
    std::fs::write(
        &marker,
        format!("#!/bin/sh\necho \"$@\" >> {}\n", p("marker.log").display()),
    )
    .unwrap();
    std::fs::set_permissions(&marker, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        p("policy.toml"),
        format!(
            "[clients]\nusers = [{clients}]\n[guests]\nallow = [\"*\"]\n[commands]\n\
             allow = [[{marker:?}, \"*\"], [\"echo\", \"*\"], [\"timeout\", \"60\", \"sleep\", \"27.1828\"]]\n\
             timeout_secs = 30\n[limits]\nrequests_per_minute = 100000\nconcurrent = 256\n"
        ),
    )
    .unwrap();
    let socket = p("helper.sock");
    std::fs::write(
        p("helper.toml"),
        format!(
            "socket = {:?}\npolicy = {:?}\n[pve]\nurl = \"https://127.0.0.1:1\"\ntoken_file = {:?}\nfingerprint = \"{}\"\ntimeout_secs = 2\n",
            socket,
            p("policy.toml"),
            token,
            ["00"; 32].join(":")
        ),
    )
    .unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_pve-helper"))
        .args([
            "--config",
            p("helper.toml").to_str().unwrap(),
            "serve",
            "--allow-root",
        ])
        .stdin(Stdio::null())
        .stderr(std::fs::File::create(p("helper.log")).unwrap())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + PATIENCE;
    while Instant::now() < deadline {
        if socket.exists() {
            return Helper { child, socket, dir };
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!(
        "helper did not create its socket: {}",
        std::fs::read_to_string(p("helper.log")).unwrap_or_default()
    );
}

async fn next(s: &mut UnixStream) -> Result<HelperFrame, FrameError> {
    tokio::time::timeout(PATIENCE, read_frame(s, MAX_RESPONSE_FRAME))
        .await
        .expect("the helper answers in time")
}

async fn hello(socket: &Path) -> UnixStream {
    let mut s = UnixStream::connect(socket).await.unwrap();
    let h = FrontFrame::Hello {
        proto_version: PROTO_VERSION,
    };
    write_frame(&mut s, &h, MAX_REQUEST_FRAME).await.unwrap();
    let w = next(&mut s).await.unwrap();
    assert!(matches!(w, HelperFrame::Welcome { .. }), "{w:?}");
    s
}

async fn send(s: &mut UnixStream, id: u64, request: Request) {
    write_frame(
        s,
        &FrontFrame::Call {
            id,
            request,
            plan: false,
        },
        MAX_REQUEST_FRAME,
    )
    .await
    .unwrap();
}

async fn call(s: &mut UnixStream, id: u64, request: Request) -> Response {
    send(s, id, request).await;
    match next(s).await {
        Ok(HelperFrame::Reply { id: got, response }) if got == id => response,
        other => panic!("expected the reply to {id}: {other:?}"),
    }
}

fn argv(v: &[&str]) -> Request {
    Request::RunCommand(RunCommand {
        argv: Argv::new(v.iter().map(|s| s.to_string()).collect()).unwrap(),
    })
}

async fn expect_fatal(s: &mut UnixStream, kind: ErrorKind, needle: &str) {
    let f = next(s).await;
    let Ok(HelperFrame::Fatal { error }) = &f else {
        panic!("expected a fatal {needle:?}, got {f:?}")
    };
    assert_eq!(error.kind, kind, "{error:?}");
    assert!(
        error.message.contains(needle),
        "{needle:?} not in {error:?}"
    );
    assert!(
        matches!(next(s).await, Err(FrameError::Closed | FrameError::Io(_))),
        "the connection stays open"
    );
}

/// Open file descriptors of `pid`.
fn fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd"))
        .unwrap()
        .count()
}

/// Waits (bounded) for `pid`'s descriptors to return to `n`; returns the last count.
fn settle(pid: u32, n: usize) -> usize {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = fds(pid);
        if now == n || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Three slow senders at once (silent before the handshake, a body trickled a byte
/// every half second, a length prefix left unfinished) are each cut off after the
/// helper's 10 s frame timeout. The timeout is not configurable; this test pays it
/// once, while the helper keeps answering a well-behaved client.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_senders_are_cut_off_and_audited_while_others_are_served() {
    let h = start(&me().to_string());
    let socket = h.socket.clone();
    let silent = tokio::spawn({
        let socket = socket.clone();
        async move {
            let mut s = UnixStream::connect(&socket).await.unwrap();
            expect_fatal(&mut s, ErrorKind::Invalid, "no handshake in time").await;
        }
    });
    let trickle = tokio::spawn({
        let socket = socket.clone();
        async move {
            let mut s = hello(&socket).await;
            s.write_all(&100u32.to_be_bytes()).await.unwrap();
            let (mut r, mut w) = s.into_split();
            let writer = tokio::spawn(async move {
                for _ in 0..40 {
                    if w.write_all(b" ").await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            });
            let f = tokio::time::timeout(
                PATIENCE,
                read_frame::<HelperFrame, _>(&mut r, MAX_RESPONSE_FRAME),
            )
            .await
            .unwrap();
            writer.abort();
            let Ok(HelperFrame::Fatal { error }) = &f else {
                panic!("{f:?}")
            };
            assert!(
                error
                    .message
                    .contains("frame not received whole within 10 s"),
                "{error:?}"
            );
        }
    });
    let half_prefix = tokio::spawn({
        let socket = socket.clone();
        async move {
            let mut s = hello(&socket).await;
            s.write_all(&[0, 0]).await.unwrap();
            expect_fatal(
                &mut s,
                ErrorKind::Invalid,
                "frame not received whole within 10 s",
            )
            .await;
        }
    });
    // Meanwhile a well-behaved client is served at once.
    let mut good = hello(&socket).await;
    for i in 0..20 {
        let r = call(&mut good, i, argv(&["echo", "fine"])).await;
        assert!(
            matches!(&r, Response::Ok(Payload::Command(o)) if o.stdout == "fine\n"),
            "{r:?}"
        );
    }
    assert!(
        !silent.is_finished() && !trickle.is_finished() && !half_prefix.is_finished(),
        "the slow senders were cut off before the other client was served"
    );
    silent.await.unwrap();
    trickle.await.unwrap();
    half_prefix.await.unwrap();
    let audit = h.audit().join("\n");
    assert!(
        audit.contains("event=\"bad handshake\"") && audit.contains("no handshake in time"),
        "{audit}"
    );
    assert_eq!(
        audit
            .matches("frame not received whole within 10 s")
            .count(),
        2,
        "{audit}"
    );
    println!("slow senders: 3 cut off after 10 s each, audited; 20 other calls served meanwhile");
}

/// A uid outside `[clients]` that sends at once (an oversized prefix, a hello, a call
/// to a command) is refused with `Denied` before any of it is read or parsed.
#[tokio::test]
async fn a_peer_outside_clients_is_refused_before_its_bytes_are_read() {
    let h = start("4242");
    let mut s = UnixStream::connect(&h.socket).await.unwrap();
    let mut burst = u32::MAX.to_be_bytes().to_vec();
    burst.extend_from_slice(b"garbage");
    let hello = serde_json::to_vec(&FrontFrame::Hello {
        proto_version: PROTO_VERSION,
    })
    .unwrap();
    let run = serde_json::to_vec(&FrontFrame::Call {
        plan: false,
        id: 1,
        request: argv(&[h.dir.path().join("marker").to_str().unwrap(), "ran"]),
    })
    .unwrap();
    for body in [&hello, &run] {
        burst.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes());
        burst.extend_from_slice(body);
    }
    // The helper may close before reading everything: a failed write is fine.
    let _ = s.write_all(&burst).await;
    expect_fatal(
        &mut s,
        ErrorKind::Denied,
        &format!("uid {} is not allowed to use the helper", me()),
    )
    .await;
    let audit = h.audit().join("\n");
    assert!(
        audit.contains("event=\"peer refused\"")
            && !audit.contains("bad frame")
            && !audit.contains("bad handshake"),
        "the frames of a refused peer must not be parsed: {audit}"
    );
    assert_eq!(h.marker_runs(), 0);
}

/// The 65th connection is refused (and audited) while 64 are open; closing one makes
/// room again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_limit_are_refused_with_a_clear_error() {
    let h = start(&me().to_string());
    let mut open = Vec::new();
    for _ in 0..64 {
        open.push(hello(&h.socket).await);
    }
    let mut extra = UnixStream::connect(&h.socket).await.unwrap();
    expect_fatal(&mut extra, ErrorKind::Unavailable, "too many connections").await;
    assert!(
        h.audit()
            .iter()
            .any(|l| l.contains("event=\"refused\"") && l.contains("too many connections")),
        "{}",
        h.log()
    );
    drop(open.pop());
    let deadline = Instant::now() + PATIENCE;
    loop {
        let mut s = UnixStream::connect(&h.socket).await.unwrap();
        // A refused connection may be closed before the hello is written.
        let _ = write_frame(
            &mut s,
            &FrontFrame::Hello {
                proto_version: PROTO_VERSION,
            },
            MAX_REQUEST_FRAME,
        )
        .await;
        match next(&mut s).await {
            Ok(HelperFrame::Welcome { .. }) => break,
            Ok(HelperFrame::Fatal { error }) if error.kind == ErrorKind::Unavailable => {
                assert!(Instant::now() < deadline, "the freed slot was never reused");
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            other => panic!("{other:?}"),
        }
    }
}

/// A peer that pipelines thousands of calls and never reads the replies is held back
/// by its own bounded queue; others are served meanwhile, and everything it held is
/// freed when it leaves.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_that_never_reads_cannot_stall_the_helper() {
    let h = start(&me().to_string());
    let pid = h.pid();
    // Warm up, then count.
    let mut good = hello(&h.socket).await;
    call(&mut good, 0, Request::Describe(Describe {})).await;
    let baseline = fds(pid);
    let hog = hello(&h.socket).await;
    let (hog_r, mut hog_w) = hog.into_split();
    let writer = tokio::spawn(async move {
        let mut sent = 0u64;
        for id in 0..200_000u64 {
            let f = FrontFrame::Call {
                id,
                request: Request::Describe(Describe {}),
                plan: false,
            };
            match tokio::time::timeout(
                Duration::from_secs(2),
                write_frame(&mut hog_w, &f, MAX_REQUEST_FRAME),
            )
            .await
            {
                Ok(Ok(())) => sent += 1,
                // The helper stopped reading: its back-pressure works.
                _ => break,
            }
        }
        (sent, hog_w)
    });
    let (sent, hog_w) = writer.await.unwrap();
    assert!(
        sent < 200_000,
        "the helper read {sent} calls without anyone reading replies"
    );
    for i in 1..20 {
        let r = call(&mut good, i, argv(&["echo", "served"])).await;
        assert!(matches!(r, Response::Ok(_)), "{r:?}");
    }
    drop((hog_r, hog_w));
    let after = settle(pid, baseline);
    assert_eq!(after, baseline, "descriptors leaked after the hog left");
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM"))
        .unwrap_or("");
    println!(
        "never-reading peer: blocked after {sent} pipelined calls; others served; \
         fds {baseline} -> {after}; helper {hwm}"
    );
}

/// A peer that leaves while its command runs: the command and everything it started
/// are killed, and the helper's descriptors return to where they were.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_peer_leaving_mid_command_leaves_nothing_behind() {
    let h = start(&me().to_string());
    let pid = h.pid();
    let mut probe = hello(&h.socket).await;
    call(&mut probe, 0, argv(&["echo", "warm"])).await;
    let baseline = fds(pid);
    let mut s = hello(&h.socket).await;
    send(&mut s, 1, argv(&["timeout", "60", "sleep", "27.1828"])).await;
    let sleeping = || {
        std::fs::read_dir("/proc").unwrap().flatten().any(|e| {
            std::fs::read(e.path().join("cmdline")).is_ok_and(|c| c == b"sleep\x0027.1828\x00")
        })
    };
    let deadline = Instant::now() + PATIENCE;
    while !sleeping() {
        assert!(Instant::now() < deadline, "the command never started");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    drop(s);
    let deadline = Instant::now() + PATIENCE;
    while sleeping() {
        assert!(
            Instant::now() < deadline,
            "the command outlived its connection"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(settle(pid, baseline), baseline, "descriptors leaked");
    let children = || -> Vec<String> {
        std::fs::read_dir(format!("/proc/{pid}/task"))
            .unwrap()
            .flatten()
            .map(|t| std::fs::read_to_string(t.path().join("children")).unwrap_or_default())
            .filter(|c| !c.trim().is_empty())
            .collect()
    };
    let deadline = Instant::now() + PATIENCE;
    while !children().is_empty() {
        assert!(
            Instant::now() < deadline,
            "the helper still has children: {:?}",
            children()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Still serving.
    assert!(matches!(
        call(&mut probe, 2, argv(&["echo", "ok"])).await,
        Response::Ok(_)
    ));
}
