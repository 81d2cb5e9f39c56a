//! Third-party MCP clients against the real mcp-front (`sdks`), and their support:
//! finding and running them, and reading what they saw: a [`Report`] in the shape
//! `tests/clients/mcp_py.py` prints (the Inspector's answers are assembled into the
//! same shape here).

mod sdks;

use pve_mcp_tests::stack::{Stack, workspace_bin};
use serde_json::{Map, Value, json};
use std::{
    path::{Path, PathBuf},
    process::Stdio,
    time::{Duration, Instant},
};

/// Longest run of one client process.
const CLIENT_TIMEOUT: Duration = Duration::from_secs(120);

#[derive(Debug, Clone, Copy)]
pub enum Client {
    /// The official Python SDK, 1.x line.
    Python1,
    /// The official Python SDK, 2.x line.
    Python2,
    /// `@modelcontextprotocol/inspector` CLI, run with Node 22.
    Inspector,
}

/// Where `tests/clients/install.sh` puts the clients (found by `tests/build.rs`).
fn cache() -> PathBuf {
    PathBuf::from(env!("PVE_MCP_CLIENTS_CACHE"))
}

/// The program that runs `client`. Its test runs only when `tests/build.rs` found the
/// client installed, or when `PVE_MCP_REQUIRE_CLIENTS` is set (as in CI): so a missing
/// one is a failure, with the command that installs it.
pub fn require(client: Client) -> PathBuf {
    let root = cache();
    let program = match client {
        Client::Python1 => root.join("py-mcp1/bin/python"),
        Client::Python2 => root.join("py-mcp2/bin/python"),
        Client::Inspector => root.join("node22/node_modules/node/bin/node"),
    };
    let extra = inspector_launcher(&root);
    let present = program.exists() && (!matches!(client, Client::Inspector) || extra.exists());
    assert!(
        present,
        "MCP client {client:?} is not installed under {}: bash tests/clients/install.sh",
        root.display()
    );
    program
}

fn inspector_launcher(root: &Path) -> PathBuf {
    root.join(
        "inspector/node_modules/@modelcontextprotocol/inspector/clients/launcher/build/index.js",
    )
}

/// One client run against a stack.
pub struct Run {
    front: PathBuf,
    socket: PathBuf,
    log: PathBuf,
}

impl Run {
    pub fn new(stack: &Stack) -> Self {
        Self {
            front: workspace_bin("mcp-front"),
            socket: stack.socket.clone(),
            log: stack.dir().join("client.log"),
        }
    }

    /// Runs `program args`, with stderr kept in the log; returns stdout.
    async fn output(&self, program: &Path, args: &[String]) -> (bool, String) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("client log");
        let started = Instant::now();
        let child = tokio::process::Command::new(program)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", program.display()));
        let out = tokio::time::timeout(CLIENT_TIMEOUT, child.wait_with_output())
            .await
            .unwrap_or_else(|_| panic!("{} timed out:\n{}", program.display(), self.log_text()))
            .expect("client output");
        let what = args
            .iter()
            .skip_while(|a| *a != "--method")
            .nth(1)
            .map_or("mcp_py.py", String::as_str);
        eprintln!(
            "{} {what}: {:.1} s",
            program.display(),
            started.elapsed().as_secs_f64()
        );
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Runs `tests/clients/mcp_py.py` with `python` in `mode`.
    pub async fn python(
        &self,
        python: &Path,
        mode: &str,
        version: Option<&str>,
        calls: &[(&str, &str, Value)],
    ) -> Report {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("clients/mcp_py.py");
        let plan = json!({
            "front": self.front,
            "socket": self.socket,
            "mode": mode,
            "version": version,
            "calls": calls.iter().map(|(id, tool, args)| json!({"id": id, "tool": tool, "args": args})).collect::<Vec<_>>(),
        });
        let args = [script.display().to_string(), plan.to_string()];
        let (ok, stdout) = self.output(python, &args).await;
        assert!(
            ok,
            "the Python client failed:\n{stdout}\n{}",
            self.log_text()
        );
        let report = serde_json::from_str(stdout.trim())
            .unwrap_or_else(|e| panic!("bad report ({e}):\n{stdout}\n{}", self.log_text()));
        Report(report)
    }

    /// One Inspector CLI invocation (a fresh mcp-front each); returns its `result`.
    async fn inspector_call(&self, node: &Path, era: &str, method: &[&str]) -> Value {
        let mut args = vec![
            inspector_launcher(&cache()).display().to_string(),
            "--cli".into(),
            self.front.display().to_string(),
            "--socket".into(),
            self.socket.display().to_string(),
            "--format".into(),
            "json".into(),
            "--protocol-era".into(),
            era.into(),
        ];
        args.extend(method.iter().map(|s| s.to_string()));
        // A tool error makes the CLI exit non-zero after printing the result.
        let (_, stdout) = self.output(node, &args).await;
        let first = stdout.lines().next().unwrap_or_default();
        let answer: Value = serde_json::from_str(first).unwrap_or_else(|e| {
            panic!("bad inspector output ({e}):\n{stdout}\n{}", self.log_text())
        });
        answer
            .get("result")
            .cloned()
            .unwrap_or_else(|| panic!("no result: {answer}\n{}", self.log_text()))
    }

    /// The Inspector CLI in `era`: initialize, tools/list, then each call.
    pub async fn inspector(&self, node: &Path, era: &str, calls: &[(&str, &str, Value)]) -> Report {
        let mut report = Map::new();
        if era == "legacy" {
            let init = self
                .inspector_call(node, era, &["--method", "initialize"])
                .await;
            report.insert("protocolVersion".into(), init["protocolVersion"].clone());
            report.insert("instructions".into(), init["instructions"].clone());
        }
        let tools = self
            .inspector_call(node, era, &["--method", "tools/list"])
            .await;
        report.insert("tools".into(), tools["tools"].clone());
        let mut results = Map::new();
        for (id, tool, args) in calls {
            let args = args.to_string();
            let method = [
                "--method",
                "tools/call",
                "--tool-name",
                tool,
                "--tool-args-json",
                &args,
            ];
            results.insert(
                id.to_string(),
                self.inspector_call(node, era, &method).await,
            );
        }
        report.insert("calls".into(), Value::Object(results));
        Report(Value::Object(report))
    }
}

/// What one client saw.
#[derive(Debug)]
pub struct Report(pub Value);

impl Report {
    /// What the client showed for a server that failed to start, if it did.
    pub fn connect_error(&self) -> Option<&str> {
        self.0["connectError"].as_str()
    }

    pub fn protocol_version(&self) -> &str {
        self.0["protocolVersion"].as_str().unwrap_or_default()
    }

    /// The instructions, when the client shows them.
    pub fn instructions(&self) -> Option<&str> {
        self.0["instructions"].as_str()
    }

    pub fn tools(&self) -> &[Value] {
        self.0["tools"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    pub fn tool_names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = self
            .tools()
            .iter()
            .filter_map(|t| t["name"].as_str())
            .collect();
        names.sort_unstable();
        names
    }

    pub fn call(&self, id: &str) -> &Value {
        &self.0["calls"][id]
    }

    pub fn is_error(&self, id: &str) -> bool {
        self.call(id)["isError"].as_bool().unwrap_or(false)
    }

    pub fn text(&self, id: &str) -> String {
        self.call(id)["content"]
            .as_array()
            .map(|c| {
                c.iter()
                    .filter_map(|b| b["text"].as_str())
                    .collect::<Vec<_>>()
                    .join("\n")
            })
            .unwrap_or_default()
    }

    /// How many progress notifications the call produced.
    pub fn progress(&self, id: &str) -> usize {
        self.call(id)["progressSeen"].as_array().map_or(0, Vec::len)
    }

    /// The confirmation questions the call produced.
    pub fn elicitations(&self, id: &str) -> &[Value] {
        self.call(id)["elicitationsSeen"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or_default()
    }
}
