//! fakepve as a subprocess: found in the cache `tests/fakepve/install.sh` fills (without
//! it the test is ignored, or fails under `PVE_MCP_REQUIRE_CLIENTS`), started through
//! `tests/fakepve/launch.py` on loopback with the lab of `tests/fakepve/lab.json`, and
//! the launcher's command channel. fakepve is a black box here: only the launcher's
//! commands and fakepve's HTTP API ([`Api`]) are used.

use super::api::Api;
use serde_json::{Value, json};
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::Duration,
};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader, Lines},
    process::{Child, ChildStdin, ChildStdout, Command},
};

/// The fakepve release `tests/fakepve/install.sh` pins (read by `tests/build.rs`).
pub const FAKEPVE_VERSION: &str = env!("PVE_MCP_FAKEPVE_PINNED");

/// Where `tests/fakepve/install.sh` puts fakepve's venv (found by `tests/build.rs`).
fn venv() -> PathBuf {
    Path::new(env!("PVE_MCP_CLIENTS_CACHE")).join("fakepve")
}

/// The venv's python of the pinned fakepve. The test runs only when `tests/build.rs`
/// found it installed, or when `PVE_MCP_REQUIRE_CLIENTS` is set (as in CI): so a
/// missing one is a failure, with the command that installs it.
pub fn require() -> PathBuf {
    let dir = venv();
    let pinned = std::fs::read_to_string(dir.join(".pinned")).unwrap_or_default();
    let python = dir.join("bin/python");
    assert!(
        pinned.trim() == FAKEPVE_VERSION && python.exists(),
        "fakepve {FAKEPVE_VERSION} is not installed under {}: bash tests/fakepve/install.sh",
        dir.display()
    );
    python
}

/// A running fakepve; killed when dropped.
pub struct Fake {
    /// Held for `kill_on_drop`.
    _child: Child,
    stdin: ChildStdin,
    stdout: Lines<BufReader<ChildStdout>>,
    pub url: String,
    /// The certificate it serves (PEM), as setup would pin it.
    pub cert: PathBuf,
    der: Vec<u8>,
}

impl Fake {
    /// Starts `launch.py` with `python`, its files (certificate, log) in `dir`.
    pub async fn start(python: &Path, dir: &Path) -> Fake {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("fakepve/launch.py");
        let log = std::fs::File::create(dir.join("fakepve.log")).expect("fakepve log");
        let mut child = Command::new(python)
            .arg(script)
            .arg("--dir")
            .arg(dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .expect("fakepve starts");
        let stdin = child.stdin.take().expect("stdin");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let first = tokio::time::timeout(Duration::from_secs(20), stdout.next_line()).await;
        let Ok(Ok(Some(line))) = first else {
            let log = std::fs::read_to_string(dir.join("fakepve.log")).unwrap_or_default();
            panic!("fakepve did not start: {first:?}\n{log}");
        };
        let hello: Value = serde_json::from_str(&line).expect("fakepve's first line");
        let der = hex(hello["der"].as_str().expect("der"));
        Fake {
            _child: child,
            stdin,
            stdout,
            url: hello["url"].as_str().expect("url").to_owned(),
            cert: PathBuf::from(hello["cert"].as_str().expect("cert")),
            der,
        }
    }

    /// Sends one command to the launcher and returns its answer.
    pub async fn command(&mut self, command: Value) -> Value {
        let line = format!("{command}\n");
        self.stdin.write_all(line.as_bytes()).await.expect("write");
        self.stdin.flush().await.expect("flush");
        let answer = tokio::time::timeout(Duration::from_secs(10), self.stdout.next_line())
            .await
            .expect("the launcher answers")
            .expect("read")
            .expect("a line");
        serde_json::from_str(&answer).expect("JSON answer")
    }

    /// The bodies of the requests fakepve recorded for `method` and `path` (below
    /// `/api2/json`), oldest first: what the product sent.
    pub async fn requests(&mut self, method: &str, path: &str) -> Vec<String> {
        let answer = self
            .command(json!({"op": "requests", "method": method, "path": path}))
            .await;
        answer["bodies"]
            .as_array()
            .map(|b| {
                b.iter()
                    .filter_map(|b| b.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// fakepve's API, logged in as root.
    pub async fn root(&self) -> Api {
        Api::login(&self.url, &self.der).await
    }
}

fn hex(text: &str) -> Vec<u8> {
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&text[i..i + 2], 16).expect("hex"))
        .collect()
}
