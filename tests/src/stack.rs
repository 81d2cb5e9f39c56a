//! A running pve-mcp stack for end-to-end tests, the demo and benchmarks: the
//! simulator, the real `pve-helper` binary on a real Unix socket in a temporary
//! directory, and the real `mcp-front` binary driven by an MCP client (rmcp's).

use crate::sim::{self, SimConfig, SimHandle};
use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

/// The directory holding this build's binaries (`target/debug` or `target/release`).
pub fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("PVE_MCP_BIN_DIR") {
        return PathBuf::from(dir);
    }
    let exe = std::env::current_exe().unwrap_or_default();
    let mut dir = exe.parent().map(Path::to_path_buf).unwrap_or_default();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir
}

/// Whether cargo sets `name` for running this package's tests (as opposed to a
/// setting the user gave cargo, such as `CARGO_HOME` or `CARGO_TARGET_DIR`).
fn is_cargo_set_for_this_package(name: &str) -> bool {
    const USER: [&str; 10] = [
        "CARGO_HOME",
        "CARGO_TARGET_DIR",
        "CARGO_BUILD_",
        "CARGO_PROFILE_",
        "CARGO_NET_",
        "CARGO_HTTP_",
        "CARGO_REGISTRIES_",
        "CARGO_REGISTRY_",
        "CARGO_TERM_",
        "CARGO_INCREMENTAL",
    ];
    name == "OUT_DIR" || (name.starts_with("CARGO_") && !USER.iter().any(|u| name.starts_with(u)))
}

/// Path of a workspace binary. Under `cargo test`/`cargo run` (which set `CARGO`) the
/// workspace's binaries are built first, once per process, so that a test of this crate
/// alone never runs stale binaries; otherwise (scripts, `PVE_MCP_BIN_DIR`) they must exist.
///
/// The build is `cargo build --workspace --bins`, as `scripts/demo.sh` runs it: with
/// the same packages, Cargo resolves the same features as `cargo test --workspace`,
/// so after that command (or the demo) nothing is rebuilt, and the tests and the demo
/// never rebuild each other's binaries. Cargo's progress is shown, not hidden.
pub fn workspace_bin(name: &str) -> PathBuf {
    static BUILT: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    let dir = bin_dir();
    let cargo = std::env::var_os("CARGO").filter(|_| std::env::var_os("PVE_MCP_BIN_DIR").is_none());
    if let Some(cargo) = cargo {
        let built = BUILT.get_or_init(|| {
            let mut cmd = Command::new(cargo);
            cmd.args(["build", "--workspace", "--bins"]);
            if dir.ends_with("release") {
                cmd.arg("--release");
            }
            // Cargo runs this test with variables about this package (CARGO_PKG_*,
            // CARGO_MANIFEST_DIR, OUT_DIR, ...); passed on, build scripts that watch them
            // (ring's) would rerun and rebuild the TLS stack and both binaries.
            for (name, _) in std::env::vars_os() {
                if let Some(name) = name.to_str()
                    && is_cargo_set_for_this_package(name)
                {
                    cmd.env_remove(name);
                }
            }
            // Straight to stderr: libtest would hold an `eprintln!` back.
            let _ = writeln!(
                std::io::stderr(),
                "pve-mcp tests: building the workspace's binaries (cargo build --workspace --bins)"
            );
            match cmd.current_dir(env!("CARGO_MANIFEST_DIR")).status() {
                Ok(s) if s.success() => Ok(()),
                Ok(s) => Err(format!("cargo build exited with {s}")),
                Err(e) => Err(format!("cannot run cargo: {e}")),
            }
        });
        if let Err(e) = built {
            panic!("building the front and the helper failed: {e}");
        }
    }
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: build the workspace first (cargo build)",
        path.display()
    );
    path
}

/// How to start the helper.
#[derive(Debug, Clone)]
pub struct StackOptions {
    pub sim: SimConfig,
    /// Policy text; `{uid}` is replaced by the uid running the stack.
    pub policy: String,
    /// Overrides the pinned fingerprint (to test a wrong one).
    pub fingerprint: Option<String>,
    /// Overrides the token the helper sends (to test a rejected one).
    pub helper_token: Option<String>,
    /// Also write the audit trail as JSON lines to `audit.jsonl` in the stack's directory.
    pub audit_file: bool,
    /// The helper's `PVE_MCP_LOG` (its log goes to `helper.log`).
    pub helper_log: String,
    /// Clients' own policies, `(login, text)`, written to `clients.d/LOGIN.toml`.
    pub client_policies: Vec<(String, String)>,
}

impl StackOptions {
    pub fn new(policy: &str) -> Self {
        Self {
            sim: SimConfig::default(),
            policy: policy.to_owned(),
            fingerprint: None,
            helper_token: None,
            audit_file: false,
            helper_log: "info".to_owned(),
            client_policies: Vec::new(),
        }
    }
}

/// The environment the package's systemd unit gives the helper (its `Environment=`
/// lines), which the stack's helper runs with too.
pub fn unit_environment() -> Vec<(String, String)> {
    include_str!("../../debian/pve-mcp-helper.service")
        .lines()
        .filter_map(|l| l.strip_prefix("Environment="))
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

/// The simulator plus a running helper. Everything stops when it is dropped.
#[derive(Debug)]
pub struct Stack {
    pub sim: SimHandle,
    helper: Option<Child>,
    /// The helper's `PVE_MCP_LOG`, from [`StackOptions::helper_log`].
    pub helper_log: String,
    dir: tempfile::TempDir,
    pub socket: PathBuf,
}

impl Stack {
    pub fn start(opts: StackOptions) -> std::io::Result<Self> {
        let sim = sim::spawn(opts.sim.clone())?;
        Self::with_sim(sim, opts)
    }

    /// Starts a helper against an already running simulator.
    pub fn with_sim(sim: SimHandle, opts: StackOptions) -> std::io::Result<Self> {
        let dir = tempfile::Builder::new().prefix("pve-mcp-").tempdir()?;
        let socket = dir.path().join("helper.sock");
        let token_file = dir.path().join("token");
        let token = opts.helper_token.clone().unwrap_or_else(|| sim.token());
        std::fs::write(&token_file, format!("{token}\n"))?;
        std::fs::set_permissions(&token_file, std::fs::Permissions::from_mode(0o600))?;
        let uid = own_uid();
        std::fs::write(
            dir.path().join("policy.toml"),
            opts.policy.replace("{uid}", &uid.to_string()),
        )?;
        std::fs::create_dir(dir.path().join("clients.d"))?;
        for (login, text) in &opts.client_policies {
            write_renamed(
                &dir.path().join("clients.d").join(format!("{login}.toml")),
                text,
            )?;
        }
        let fingerprint = opts
            .fingerprint
            .clone()
            .unwrap_or_else(|| sim.fingerprint().to_owned());
        let audit = match opts.audit_file {
            true => format!("audit_file = {:?}\n", dir.path().join("audit.jsonl")),
            false => String::new(),
        };
        std::fs::write(
            dir.path().join("helper.toml"),
            format!(
                "socket = {socket:?}\npolicy = {:?}\n{audit}\n[pve]\nurl = {:?}\ntoken_file = {token_file:?}\nfingerprint = {fingerprint:?}\ntimeout_secs = 5\n",
                dir.path().join("policy.toml"),
                sim.url(),
            ),
        )?;
        let mut stack = Self {
            sim,
            helper: None,
            helper_log: opts.helper_log.clone(),
            dir,
            socket,
        };
        stack.spawn_helper()?;
        Ok(stack)
    }

    /// Starts (or restarts) the helper and waits for its socket.
    pub fn spawn_helper(&mut self) -> std::io::Result<()> {
        self.stop_helper();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.helper_log_path())?;
        let mut child = Command::new(workspace_bin("pve-helper"))
            .arg("--config")
            .arg(self.dir.path().join("helper.toml"))
            .args(["serve", "--allow-root"])
            .envs(unit_environment())
            .env("PVE_MCP_LOG", &self.helper_log)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()?;
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if std::os::unix::net::UnixStream::connect(&self.socket).is_ok() {
                self.helper = Some(child);
                return Ok(());
            }
            if let Some(status) = child.try_wait()? {
                return Err(std::io::Error::other(format!(
                    "pve-helper exited with {status}:\n{}",
                    self.helper_log()
                )));
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        let _ = child.kill();
        let _ = child.wait();
        Err(std::io::Error::other(format!(
            "pve-helper did not listen in time:\n{}",
            self.helper_log()
        )))
    }

    /// Stops the helper (SIGKILL), leaving the simulator running.
    pub fn stop_helper(&mut self) {
        if let Some(mut c) = self.helper.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Process id of the running helper.
    pub fn helper_pid(&self) -> Option<u32> {
        self.helper.as_ref().map(Child::id)
    }

    /// Replaces the policy file (`{uid}` replaced) at once, as an admin should: the text
    /// is written to a new file renamed over the old one, so the helper (on a signal or
    /// noticing the change) never reads it half-written. A file cut short can be a valid
    /// policy of its own: an empty one denies everything, with the default limits.
    pub fn write_policy(&self, policy: &str) -> std::io::Result<()> {
        let new = self.dir.path().join("policy.toml.new");
        std::fs::write(&new, policy.replace("{uid}", &own_uid().to_string()))?;
        std::fs::rename(&new, self.dir.path().join("policy.toml"))
    }

    /// Replaces (or, with `None`, removes) `login`'s own policy file in the clients
    /// directory, at once as [`Stack::write_policy`] does.
    pub fn write_client_policy(&self, login: &str, policy: Option<&str>) -> std::io::Result<()> {
        let path = self
            .dir
            .path()
            .join("clients.d")
            .join(format!("{login}.toml"));
        match policy {
            Some(text) => write_renamed(&path, text),
            None => std::fs::remove_file(path),
        }
    }

    /// Replaces the policy file ([`Stack::write_policy`]) and sends SIGHUP to the helper.
    pub fn reload_policy(&self, policy: &str) -> std::io::Result<()> {
        self.write_policy(policy)?;
        self.hup()
    }

    /// Sends SIGHUP to the helper: it reloads every policy file.
    pub fn hup(&self) -> std::io::Result<()> {
        let pid = self
            .helper_pid()
            .ok_or_else(|| std::io::Error::other("helper not running"))?;
        let ok = Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()?
            .success();
        if ok {
            Ok(())
        } else {
            Err(std::io::Error::other("kill -HUP failed"))
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// What `pve-helper status --no-service` prints for this stack's configuration.
    pub fn helper_status(&self) -> String {
        let out = Command::new(workspace_bin("pve-helper"))
            .arg("--config")
            .arg(self.dir().join("helper.toml"))
            .args(["status", "--no-service"])
            .output()
            .expect("pve-helper runs");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The audit trail's records (`audit.jsonl`: [`StackOptions::audit_file`]), each
    /// whose request line begins with `request`, in order.
    pub fn audit_records(&self, request: &str) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(self.dir().join("audit.jsonl"))
            .expect("the audit trail is written (StackOptions::audit_file)");
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).expect("a JSON record"))
            .filter(|r| {
                r["request"]
                    .as_str()
                    .is_some_and(|q| q.starts_with(request))
            })
            .collect()
    }

    /// The first audit record whose request line begins with `request`.
    pub fn audit_record(&self, request: &str) -> serde_json::Value {
        let mut records = self.audit_records(request);
        assert!(!records.is_empty(), "no audit record of {request}");
        records.swap_remove(0)
    }

    pub fn helper_log_path(&self) -> PathBuf {
        self.dir.path().join("helper.log")
    }

    /// Everything the helper logged so far.
    pub fn helper_log(&self) -> String {
        std::fs::read_to_string(self.helper_log_path()).unwrap_or_default()
    }

    /// A command that runs `mcp-front` against this helper.
    pub fn front_command(&self) -> tokio::process::Command {
        let mut cmd = tokio::process::Command::new(workspace_bin("mcp-front"));
        cmd.arg("--socket")
            .arg(&self.socket)
            .env("PVE_MCP_LOG", "warn");
        cmd
    }

    /// A command that runs `mcp-front` as the local user `user` (by `setpriv`, the
    /// stack running as root), which may then reach the socket.
    pub fn front_command_as(&self, user: &str) -> std::io::Result<tokio::process::Command> {
        let (uid, gid) = account(user)?;
        std::fs::set_permissions(self.dir.path(), std::fs::Permissions::from_mode(0o711))?;
        std::fs::set_permissions(&self.socket, std::fs::Permissions::from_mode(0o666))?;
        let mut cmd = tokio::process::Command::new("setpriv");
        cmd.arg(format!("--reuid={uid}"))
            .arg(format!("--regid={gid}"))
            .arg("--clear-groups")
            .arg(workspace_bin("mcp-front"))
            .arg("--socket")
            .arg(&self.socket)
            .env("PVE_MCP_LOG", "warn");
        Ok(cmd)
    }

    /// Starts `mcp-front` as `user` ([`Stack::front_command_as`]) with a client.
    pub async fn client_as(&self, user: &str) -> anyhow::Result<crate::client::Client> {
        let log = self.dir.path().join(format!("front-{user}.log"));
        crate::client::Client::spawn(self.front_command_as(user)?, &log).await
    }

    /// Starts `mcp-front` and connects an MCP client to it over stdio.
    pub async fn client(&self) -> anyhow::Result<crate::client::Client> {
        crate::client::Client::spawn(self.front_command(), &self.dir.path().join("front.log")).await
    }

    /// A client whose user answers every confirmation with `answer`.
    pub async fn confirming_client(&self, answer: bool) -> anyhow::Result<crate::client::Client> {
        crate::client::Client::spawn_confirming(
            self.front_command(),
            &self.dir.path().join("front.log"),
            answer,
        )
        .await
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        self.stop_helper();
    }
}

/// The uid and gid of a local user, as `getent passwd` tells.
pub fn account(user: &str) -> std::io::Result<(u32, u32)> {
    let out = Command::new("getent").args(["passwd", user]).output()?;
    let line = String::from_utf8_lossy(&out.stdout).into_owned();
    let fields: Vec<&str> = line.trim().split(':').collect();
    match (
        fields.get(2).map(|f| f.parse()),
        fields.get(3).map(|f| f.parse()),
    ) {
        (Some(Ok(uid)), Some(Ok(gid))) => Ok((uid, gid)),
        _ => Err(std::io::Error::other(format!("no local user {user}"))),
    }
}

/// Writes `text` to a new file renamed over `path`, mode 0644.
fn write_renamed(path: &Path, text: &str) -> std::io::Result<()> {
    let new = path.with_extension("toml.new");
    std::fs::write(&new, text.replace("{uid}", &own_uid().to_string()))?;
    std::fs::set_permissions(&new, std::fs::Permissions::from_mode(0o644))?;
    std::fs::rename(&new, path)
}

/// The uid this process runs as (the owner of `/proc/self`).
fn own_uid() -> u32 {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").map_or(u32::MAX, |m| m.uid())
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_helper_runs_with_its_units_environment() {
        let env = super::unit_environment();
        assert!(
            env.iter()
                .any(|(k, v)| k == "GLIBC_TUNABLES" && v.contains("mmap_threshold")),
            "{env:?}"
        );
    }
}
