//! A minimal MCP client for the benchmark: newline-delimited JSON-RPC over the stdio of
//! one spawned `mcp-front`, blocking I/O, no SDK. Each timed call serializes its request
//! before the clock starts, and stops the clock as soon as the answering line is read:
//! parsing and checking the answer happen after. The front is trusted to answer; a
//! malformed or failed answer aborts the benchmark.

use anyhow::{Context, bail};
use serde_json::{Value, json};
use std::{
    io::{BufRead, BufReader, Write},
    path::Path,
    process::{Child, ChildStdin, ChildStdout, Command, Stdio},
    time::{Duration, Instant},
};

/// The MCP revision the benchmark asks for.
pub const PROTOCOL_VERSION: &str = "2025-06-18";

/// How to start one `mcp-front`.
#[derive(Debug, Clone)]
pub struct FrontCmd<'a> {
    pub bin: &'a Path,
    pub socket: &'a Path,
    /// Where the front's stderr is appended.
    pub log: &'a Path,
    /// The front's `PVE_MCP_LOG`.
    pub log_filter: &'a str,
}

/// One MCP session with a running `mcp-front`.
#[derive(Debug)]
pub struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
    next_id: u64,
    line: Vec<u8>,
}

impl Session {
    /// Spawns the front without talking to it yet.
    pub fn spawn(cmd: &FrontCmd<'_>) -> anyhow::Result<Session> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(cmd.log)?;
        let mut child = Command::new(cmd.bin)
            .arg("--socket")
            .arg(cmd.socket)
            .env("PVE_MCP_LOG", cmd.log_filter)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .with_context(|| format!("spawning {}", cmd.bin.display()))?;
        let stdin = child.stdin.take().context("front stdin")?;
        let stdout = child.stdout.take().context("front stdout")?;
        Ok(Session {
            child,
            stdin: Some(stdin),
            stdout: BufReader::with_capacity(256 * 1024, stdout),
            next_id: 1,
            line: Vec::with_capacity(256 * 1024),
        })
    }

    /// Spawns the front and completes the handshake (`initialize`, then
    /// `notifications/initialized`).
    pub fn start(cmd: &FrontCmd<'_>) -> anyhow::Result<Session> {
        let mut s = Session::spawn(cmd)?;
        s.initialize()?;
        s.initialized()?;
        Ok(s)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Size of the last answer line read, in bytes.
    pub fn last_answer_len(&self) -> usize {
        self.line.len()
    }

    /// Sends `initialize` and waits for its answer; returns the time spent.
    pub fn initialize(&mut self) -> anyhow::Result<Duration> {
        let params = json!({
            "protocolVersion": PROTOCOL_VERSION,
            "capabilities": {},
            "clientInfo": {"name": "pve-bench", "version": env!("CARGO_PKG_VERSION")},
        });
        let (elapsed, result) = self.request("initialize", params)?;
        if result["protocolVersion"] != PROTOCOL_VERSION {
            bail!("initialize negotiated {}", result["protocolVersion"]);
        }
        Ok(elapsed)
    }

    pub fn initialized(&mut self) -> anyhow::Result<()> {
        let msg = json!({"jsonrpc": "2.0", "method": "notifications/initialized"});
        self.send_line(&msg.to_string())
    }

    /// Calls a tool and returns how long the answer took; fails if the tool failed.
    pub fn call(&mut self, tool: &str, arguments: &Value) -> anyhow::Result<Duration> {
        let params = json!({"name": tool, "arguments": arguments});
        let (elapsed, result) = self.request("tools/call", params)?;
        if result["isError"].as_bool().unwrap_or(false) {
            bail!("{tool} {arguments} failed: {}", result["content"]);
        }
        Ok(elapsed)
    }

    /// `tools/list`, whole: the `result` and the size of its answer line.
    pub fn list_tools(&mut self) -> anyhow::Result<(Value, usize)> {
        let (_, result) = self.request("tools/list", json!({}))?;
        Ok((result, self.line.len()))
    }

    /// Calls a tool and returns its `result` and the size of its answer line; fails if
    /// the tool failed.
    pub fn call_result(&mut self, tool: &str, arguments: &Value) -> anyhow::Result<(Value, usize)> {
        let params = json!({"name": tool, "arguments": arguments});
        let (_, result) = self.request("tools/call", params)?;
        if result["isError"].as_bool().unwrap_or(false) {
            bail!("{tool} {arguments} failed: {}", result["content"]);
        }
        Ok((result, self.line.len()))
    }

    /// One request, timed from writing the line to reading the answering line.
    fn request(&mut self, method: &str, params: Value) -> anyhow::Result<(Duration, Value)> {
        let id = self.next_id;
        self.next_id += 1;
        let mut msg = json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params})
            .to_string()
            .into_bytes();
        msg.push(b'\n');
        let stdin = self.stdin.as_mut().context("session closed")?;
        let start = Instant::now();
        stdin.write_all(&msg)?;
        loop {
            self.line.clear();
            if self.stdout.read_until(b'\n', &mut self.line)? == 0 {
                bail!("mcp-front closed stdout during {method}");
            }
            // Notifications carry no id; JSON-RPC answers name theirs near the start.
            let head = &self.line[..self.line.len().min(64)];
            if head.windows(5).any(|w| w == b"\"id\":") {
                break;
            }
        }
        let elapsed = start.elapsed();
        let mut answer: Value = serde_json::from_slice(&self.line)
            .with_context(|| format!("{method}: answer is not JSON"))?;
        if answer["id"] != id {
            bail!("{method}: answer for id {} instead of {id}", answer["id"]);
        }
        if let Some(err) = answer.get("error") {
            bail!("{method}: {err}");
        }
        Ok((elapsed, answer["result"].take()))
    }

    fn send_line(&mut self, msg: &str) -> anyhow::Result<()> {
        let stdin = self.stdin.as_mut().context("session closed")?;
        stdin.write_all(format!("{msg}\n").as_bytes())?;
        Ok(())
    }

    /// Closes stdin (ending the session) and reaps the front, killing it after 2 s.
    pub fn close(mut self) -> anyhow::Result<()> {
        self.stdin = None;
        let deadline = Instant::now() + Duration::from_secs(2);
        while Instant::now() < deadline {
            if self.child.try_wait()?.is_some() {
                return Ok(());
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        self.child.kill()?;
        self.child.wait()?;
        bail!("mcp-front did not exit after stdin closed")
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Peak resident set size (`VmHWM`) of a process, in bytes.
pub fn peak_rss(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .with_context(|| format!("no VmHWM for pid {pid}"))?;
    Ok(kb * 1024)
}

/// Time on a processor and context switches, summed over a process's threads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct OnCpu {
    pub nanos: u64,
    pub switches: u64,
}

impl OnCpu {
    /// From `/proc/{pid}/task/*/schedstat` (time run, time waiting, times run).
    pub fn of(pid: u32) -> anyhow::Result<OnCpu> {
        let mut total = OnCpu::default();
        for task in std::fs::read_dir(format!("/proc/{pid}/task"))? {
            // A thread that ended between the listing and the read counts as nothing.
            let Ok(line) = std::fs::read_to_string(task?.path().join("schedstat")) else {
                continue;
            };
            let fields: Vec<u64> = line
                .split_whitespace()
                .map(str::parse)
                .collect::<Result<_, _>>()
                .with_context(|| format!("schedstat of pid {pid}: {line:?}"))?;
            let [nanos, _, switches] = fields[..] else {
                anyhow::bail!("schedstat of pid {pid} has {} fields", fields.len());
            };
            total.nanos += nanos;
            total.switches += switches;
        }
        Ok(total)
    }
}
