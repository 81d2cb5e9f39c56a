//! The hardening suites (`hostile`, `faults`, `load`, `secrets`) and their support: a raw frame
//! client for the helper's socket, the helper's audit trail read back from its log, a
//! census of a process's file descriptors, threads and memory from `/proc`, and the
//! figures each suite reports (printed, and kept under `target/tmp/pve-mcp-figures/`
//! for `.ci/run` to show).

mod faults;
mod hostile;
mod load;
mod secrets;

use pve_mcp_proto::*;
use serde_json::Value;
use std::{
    collections::{BTreeMap, BTreeSet},
    path::Path,
    time::{Duration, Instant},
};
use tokio::{io::AsyncWriteExt, net::UnixStream};

/// How long a test waits for something that should happen at once (a reply, a file
/// descriptor being closed). Generous: only a hang reaches it.
pub const PATIENCE: Duration = Duration::from_secs(20);

/// A frame on the wire: the big-endian length, then `body`.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let len = u32::try_from(body.len()).unwrap_or(u32::MAX);
    [&len.to_be_bytes()[..], body].concat()
}

/// A connection to the helper speaking raw frames.
pub struct Raw {
    pub stream: UnixStream,
}

impl Raw {
    /// Connects without a handshake.
    pub async fn bare(socket: &Path) -> Raw {
        let stream = UnixStream::connect(socket).await.expect("helper socket");
        Raw { stream }
    }

    /// Connects and completes Hello/Welcome.
    pub async fn connect(socket: &Path) -> Raw {
        let mut raw = Raw::bare(socket).await;
        let hello = FrontFrame::Hello {
            proto_version: PROTO_VERSION,
        };
        write_frame(&mut raw.stream, &hello, MAX_REQUEST_FRAME)
            .await
            .unwrap();
        let w = raw.next().await.expect("welcome");
        assert!(matches!(w, HelperFrame::Welcome { .. }), "{w:?}");
        raw
    }

    pub async fn send_bytes(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
        self.stream.flush().await.unwrap();
    }

    /// Sends any JSON value as one frame.
    pub async fn send_json(&mut self, v: &Value) {
        self.send_bytes(&frame(v.to_string().as_bytes())).await;
    }

    /// The next frame from the helper (bounded by [`PATIENCE`]).
    pub async fn next(&mut self) -> Result<HelperFrame, FrameError> {
        tokio::time::timeout(PATIENCE, read_frame(&mut self.stream, MAX_RESPONSE_FRAME))
            .await
            .expect("the helper answers in time")
    }

    /// Sends one call and waits for its reply.
    pub async fn call(&mut self, id: u64, request: Request) -> Response {
        write_frame(
            &mut self.stream,
            &FrontFrame::Call {
                id,
                request,
                plan: false,
            },
            MAX_REQUEST_FRAME,
        )
        .await
        .unwrap();
        self.reply(id).await
    }

    /// Sends a call given as raw JSON for its `request` member.
    pub async fn call_json(&mut self, id: u64, request: Value) -> Response {
        self.send_json(&serde_json::json!({"type": "call", "id": id, "request": request}))
            .await;
        self.reply(id).await
    }

    pub async fn reply(&mut self, id: u64) -> Response {
        match self.next().await {
            Ok(HelperFrame::Reply { id: got, response }) => {
                assert_eq!(got, id, "reply to another call");
                response
            }
            other => panic!("expected the reply to {id}, got {other:?}"),
        }
    }

    /// Expects a `Fatal` frame of `kind` whose message contains `needle`, then the end
    /// of the connection. Returns the message.
    pub async fn expect_fatal(&mut self, kind: ErrorKind, needle: &str) -> String {
        let f = self.next().await;
        let Ok(HelperFrame::Fatal { error }) = f else {
            panic!("expected a fatal error containing {needle:?}, got {f:?}")
        };
        assert_eq!(error.kind, kind, "{error:?}");
        assert!(
            error.message.contains(needle),
            "{needle:?} not in {:?}",
            error.message
        );
        let end = self.next().await;
        assert!(
            matches!(end, Err(FrameError::Closed | FrameError::Io(_))),
            "the connection stays open after a fatal error: {end:?}"
        );
        error.message
    }
}

/// The helper's audit lines (target `pve_mcp::audit`) in a log text.
pub fn audit_lines(log: &str) -> Vec<&str> {
    log.lines()
        .filter(|l| l.contains("pve_mcp::audit"))
        .collect()
}

/// The audit lines of `log` after the first `before`.
pub fn audit_since(log: &str, before: usize) -> Vec<String> {
    audit_lines(log)
        .into_iter()
        .skip(before)
        .map(str::to_owned)
        .collect()
}

/// A look at a process through `/proc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Census {
    /// Open file descriptors by kind: `unix`, `tcp`, `pipe`, `file`, `anon:...`.
    pub fds: BTreeMap<String, usize>,
    pub threads: usize,
    /// Peak resident set (VmHWM) and current (VmRSS), KiB.
    pub peak_rss_kib: u64,
    pub rss_kib: u64,
}

impl Census {
    pub fn total_fds(&self) -> usize {
        self.fds.values().sum()
    }

    pub fn fds_of(&self, kind: &str) -> usize {
        self.fds.get(kind).copied().unwrap_or(0)
    }

    /// Descriptors other than TCP sockets (the pool of keep-alive connections to
    /// Proxmox legitimately grows and shrinks with load).
    pub fn local_fds(&self) -> BTreeMap<String, usize> {
        let mut fds = self.fds.clone();
        fds.remove("tcp");
        fds
    }
}

fn socket_inodes(table: &str, column: usize) -> BTreeSet<String> {
    std::fs::read_to_string(table)
        .unwrap_or_default()
        .lines()
        .skip(1)
        .filter_map(|l| l.split_whitespace().nth(column).map(str::to_owned))
        .collect()
}

/// Counts `pid`'s descriptors by kind, its threads and its memory.
pub fn census(pid: u32) -> Census {
    let unix = socket_inodes("/proc/net/unix", 6);
    let mut tcp = socket_inodes("/proc/net/tcp", 9);
    tcp.extend(socket_inodes("/proc/net/tcp6", 9));
    let mut fds = BTreeMap::new();
    let dir = format!("/proc/{pid}/fd");
    for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{dir}: {e}")) {
        let Ok(entry) = entry else { continue };
        let Ok(target) = std::fs::read_link(entry.path()) else {
            continue;
        };
        let t = target.to_string_lossy();
        let kind = if let Some(ino) = t.strip_prefix("socket:[").and_then(|s| s.strip_suffix(']')) {
            if unix.contains(ino) {
                "unix".to_owned()
            } else if tcp.contains(ino) {
                "tcp".to_owned()
            } else {
                "socket".to_owned()
            }
        } else if t.starts_with("pipe:") {
            "pipe".to_owned()
        } else if let Some(anon) = t.strip_prefix("anon_inode:") {
            format!("anon:{}", anon.trim_matches(['[', ']']))
        } else {
            "file".to_owned()
        };
        *fds.entry(kind).or_default() += 1;
    }
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Census {
        fds,
        threads: usize::try_from(field("Threads:")).unwrap_or(0),
        peak_rss_kib: field("VmHWM:"),
        rss_kib: field("VmRSS:"),
    }
}

/// Waits (bounded) until `pid`'s descriptors other than TCP sockets are back to
/// `baseline`; returns the last census either way.
pub fn settle_fds(pid: u32, baseline: &Census) -> Census {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = census(pid);
        if now.local_fds() == baseline.local_fds() || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Child processes of `pid` (all its threads).
pub fn children(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let text = std::fs::read_to_string(t.path().join("children")).unwrap_or_default();
        out.extend(
            text.split_whitespace()
                .filter_map(|p| p.parse::<u32>().ok()),
        );
    }
    out
}

/// Processes whose command line contains `needle` (ours included only if it does).
pub fn processes_with(needle: &str) -> Vec<u32> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
            continue;
        };
        let cmdline = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if String::from_utf8_lossy(&cmdline)
            .replace('\0', " ")
            .contains(needle)
        {
            out.push(pid);
        }
    }
    out
}

/// Prints a suite's figures and keeps them in `target/tmp/pve-mcp-figures/NAME.txt`.
pub fn report(name: &str, text: &str) {
    println!("{name}: {text}");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pve-mcp-figures");
    if std::fs::create_dir_all(&dir).is_ok() {
        let _ = std::fs::write(dir.join(format!("{name}.txt")), format!("{text}\n"));
    }
}

/// The uid this test runs as.
pub fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}
