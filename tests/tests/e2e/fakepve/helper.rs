//! The real `pve-helper` against any Proxmox VE URL, with a pinned certificate
//! fingerprint and a token, as `pve-helper setup` leaves a node (helper.toml, a 0600
//! token file, the policy), and the real `mcp-front` driven by the project's MCP
//! client. `Stack` in `tests/src/stack.rs` does the same around the simulator only.

use pve_mcp_tests::{client::Client, stack::workspace_bin};
use std::{
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// A running helper; killed when dropped.
pub struct Helper {
    child: Option<Child>,
    dir: PathBuf,
    pub socket: PathBuf,
}

impl Helper {
    /// Writes the configuration into `dir` and starts the helper: Proxmox at `url`,
    /// its certificate pinned by `fingerprint`, `token` (`USER!ID=SECRET`) in a 0600
    /// file, and `policy` with `{uid}` replaced by the uid running the test.
    pub fn start(dir: &Path, url: &str, fingerprint: &str, token: &str, policy: &str) -> Helper {
        let socket = dir.join("helper.sock");
        let token_file = dir.join("token");
        std::fs::write(&token_file, format!("{token}\n")).expect("token file");
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))
            .expect("chmod 600");
        let uid = std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid());
        let policy_file = dir.join("policy.toml");
        std::fs::write(&policy_file, policy.replace("{uid}", &uid.to_string())).expect("policy");
        std::fs::write(
            dir.join("helper.toml"),
            format!(
                "socket = {socket:?}\npolicy = {policy_file:?}\naudit_file = {:?}\n\n[pve]\n\
                 url = {url:?}\ntoken_file = {token_file:?}\nfingerprint = {fingerprint:?}\n\
                 timeout_secs = 10\n",
                dir.join("audit.jsonl")
            ),
        )
        .expect("helper.toml");
        let log = std::fs::File::create(dir.join("helper.log")).expect("helper log");
        let mut child = Command::new(workspace_bin("pve-helper"))
            .arg("--config")
            .arg(dir.join("helper.toml"))
            .args(["serve", "--allow-root"])
            .env("PVE_MCP_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("pve-helper starts");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::os::unix::net::UnixStream::connect(&socket).is_err() {
            let exited = child.try_wait().expect("wait");
            if exited.is_some() || Instant::now() > deadline {
                let _ = child.kill();
                panic!(
                    "pve-helper did not listen ({exited:?}):\n{}",
                    read(&dir.join("helper.log"))
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        Helper {
            child: Some(child),
            dir: dir.to_owned(),
            socket,
        }
    }

    /// What `pve-helper status --no-service` prints for this configuration.
    pub fn status(&self) -> String {
        let out = Command::new(workspace_bin("pve-helper"))
            .arg("--config")
            .arg(self.dir.join("helper.toml"))
            .args(["status", "--no-service"])
            .output()
            .expect("pve-helper status runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The audit records (one per request the helper judged) so far.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        read(&self.dir.join("audit.jsonl"))
            .lines()
            .map(|l| serde_json::from_str(l).expect("an audit record is JSON"))
            .collect()
    }

    /// Everything the helper logged so far.
    pub fn log(&self) -> String {
        read(&self.dir.join("helper.log"))
    }

    /// `mcp-front` on this helper's socket, with an MCP client whose user accepts
    /// every confirmation.
    pub async fn client(&self) -> Client {
        let mut cmd = tokio::process::Command::new(workspace_bin("mcp-front"));
        cmd.arg("--socket")
            .arg(&self.socket)
            .env("PVE_MCP_LOG", "warn");
        Client::spawn_confirming(cmd, &self.dir.join("front.log"), true)
            .await
            .expect("mcp-front starts and initializes")
    }
}

impl Drop for Helper {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}
