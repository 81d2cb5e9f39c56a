//! The real pve-helper binary and its privileges: it refuses to serve as root unless
//! told, runs as an unprivileged user with no capability and no way to gain one (nor
//! to be read by a debugger), hands the same to the commands it runs, refuses a token
//! file that others could read or that is not its own, and never echoes the token.
//!
//! These tests change users with `setpriv`, so they need root; without it they say so
//! and pass.

use pve_mcp_proto::*;
use std::{
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
    time::{Duration, Instant},
};
use tokio::net::UnixStream;

const SECRET: &str = "5ecret-0f-the-helper-4ever";
const NOBODY: u32 = 65534;

fn is_root() -> bool {
    nix::unistd::geteuid().is_root()
}

/// A directory for one helper: config, policy, token, socket; readable by `owner`.
struct Setup {
    dir: tempfile::TempDir,
}

impl Setup {
    fn new(owner: u32, token_mode: u32) -> Setup {
        let dir = tempfile::tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let s = Setup { dir };
        let run = s.path("run");
        std::fs::create_dir(&run).unwrap();
        chown(&run, owner);
        s.write_token(&format!("mcp@pve!mcp={SECRET}\n"), owner, token_mode);
        std::fs::write(
            s.path("policy.toml"),
            "[clients]\nusers = [0]\n[guests]\nallow = [\"*\"]\n[commands]\n\
             allow = [[\"cat\", \"/proc/self/status\"], [\"cat\", \"/proc/self/environ\"]]\n",
        )
        .unwrap();
        std::fs::write(
            s.path("helper.toml"),
            format!(
                "socket = {:?}\npolicy = {:?}\n[pve]\nurl = \"https://127.0.0.1:1\"\n\
                 token_file = {:?}\nfingerprint = \"{}\"\ntimeout_secs = 2\n",
                s.socket(),
                s.path("policy.toml"),
                s.path("token"),
                ["00"; 32].join(":")
            ),
        )
        .unwrap();
        s
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn socket(&self) -> PathBuf {
        self.path("run/helper.sock")
    }

    fn write_token(&self, text: &str, owner: u32, mode: u32) {
        let t = self.path("token");
        let _ = std::fs::remove_file(&t);
        std::fs::write(&t, text).unwrap();
        std::fs::set_permissions(&t, std::fs::Permissions::from_mode(mode)).unwrap();
        chown(&t, owner);
    }

    /// `pve-helper serve` as `uid` (through setpriv when not root), with `extra` args.
    fn command(&self, uid: u32, extra: &[&str]) -> Command {
        let helper = env!("CARGO_BIN_EXE_pve-helper");
        let mut cmd = if uid == 0 {
            Command::new(helper)
        } else {
            let mut c = Command::new("setpriv");
            c.args([
                &format!("--reuid={uid}"),
                &format!("--regid={uid}"),
                "--clear-groups",
                "--",
                helper,
            ]);
            c
        };
        cmd.arg("--config")
            .arg(self.path("helper.toml"))
            .arg("serve")
            .args(extra)
            .env("PVE_MCP_LOG", "trace")
            .stdin(Stdio::null());
        cmd
    }

    /// Runs a helper that must refuse to start; returns its output.
    fn refused(&self, uid: u32, extra: &[&str]) -> Output {
        let mut child = self
            .command(uid, extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(20);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("the helper started although it should have refused");
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().unwrap();
        assert!(
            !self.socket().exists(),
            "a refusing helper created its socket"
        );
        out
    }
}

fn chown(path: &Path, uid: u32) {
    nix::unistd::chown(
        path,
        Some(nix::unistd::Uid::from_raw(uid)),
        Some(nix::unistd::Gid::from_raw(uid)),
    )
    .unwrap();
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The `Name:` line of `/proc/PID/status`, value only.
fn status_field(status: &str, name: &str) -> String {
    status
        .lines()
        .find_map(|l| l.strip_prefix(name))
        .map(|v| v.trim().to_owned())
        .unwrap_or_default()
}

fn helper_pid(setpriv_pid: u32) -> u32 {
    // setpriv execs the helper: same pid.
    setpriv_pid
}

async fn run_command(socket: &Path, argv: &[&str]) -> CommandOutput {
    let mut s = UnixStream::connect(socket).await.unwrap();
    let hello = FrontFrame::Hello {
        proto_version: PROTO_VERSION,
    };
    write_frame(&mut s, &hello, MAX_REQUEST_FRAME)
        .await
        .unwrap();
    let w: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
    assert!(matches!(w, HelperFrame::Welcome { .. }), "{w:?}");
    let request = Request::RunCommand(RunCommand {
        argv: Argv::new(argv.iter().map(|a| a.to_string()).collect()).unwrap(),
    });
    write_frame(
        &mut s,
        &FrontFrame::Call {
            id: 1,
            request,
            plan: false,
        },
        MAX_REQUEST_FRAME,
    )
    .await
    .unwrap();
    match read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap() {
        HelperFrame::Reply {
            response: Response::Ok(Payload::Command(out)),
            ..
        } => out,
        other => panic!("{argv:?}: {other:?}"),
    }
}

#[test]
fn root_is_refused_without_allow_root() {
    if !is_root() {
        eprintln!("skipped: needs root");
        return;
    }
    let s = Setup::new(0, 0o600);
    let out = s.refused(0, &[]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("refusing to run as root") && err.contains("--allow-root"),
        "{err}"
    );
}

/// As an ordinary user (nobody) the helper serves with empty capability sets,
/// no-new-privs, and non-dumpable (its /proc files belong to root); so do its
/// commands, which also see only PATH and LANG.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn as_an_ordinary_user_it_holds_no_capability_and_neither_do_its_commands() {
    if !is_root() {
        eprintln!("skipped: needs root to switch users");
        return;
    }
    for bounding in [false, true] {
        let s = Setup::new(NOBODY, 0o600);
        let extra: &[&str] = &[];
        let mut cmd_prefix = s.command(NOBODY, extra);
        if bounding {
            // systemd empties the bounding set for the service: so does setpriv here.
            cmd_prefix = Command::new("setpriv");
            cmd_prefix
                .args([
                    "--reuid=65534",
                    "--regid=65534",
                    "--clear-groups",
                    "--bounding-set=-all",
                    "--",
                    env!("CARGO_BIN_EXE_pve-helper"),
                    "--config",
                ])
                .arg(s.path("helper.toml"))
                .arg("serve")
                .env("PVE_MCP_LOG", "trace")
                .stdin(Stdio::null());
        }
        let log = std::fs::File::create(s.path("helper.log")).unwrap();
        let child = cmd_prefix.stderr(log).spawn().unwrap();
        let running = Running(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !s.socket().exists() {
            assert!(
                Instant::now() < deadline,
                "no socket: {}",
                std::fs::read_to_string(s.path("helper.log")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        let pid = helper_pid(running.0.id());
        let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
        assert!(
            status_field(&status, "Uid:").starts_with("65534"),
            "{status}"
        );
        for set in ["CapInh:", "CapPrm:", "CapEff:", "CapAmb:"] {
            assert_eq!(
                status_field(&status, set),
                "0000000000000000",
                "{set}\n{status}"
            );
        }
        assert_eq!(status_field(&status, "NoNewPrivs:"), "1");
        if bounding {
            assert_eq!(status_field(&status, "CapBnd:"), "0000000000000000");
        } else {
            let log = std::fs::read_to_string(s.path("helper.log")).unwrap();
            assert!(
                log.contains("capability bounding set is not empty"),
                "{log}"
            );
        }
        // Not dumpable: /proc/PID/environ and mem belong to root, not to nobody.
        let environ = std::fs::metadata(format!("/proc/{pid}/environ")).unwrap();
        assert_eq!(environ.uid(), 0, "the helper is dumpable");
        // The socket is the helper's, mode 0660.
        let sock = std::fs::metadata(s.socket()).unwrap();
        assert_eq!((sock.uid(), sock.mode() & 0o777), (NOBODY, 0o660));
        // Its commands inherit no capability and cannot gain one.
        let out = run_command(&s.socket(), &["cat", "/proc/self/status"]).await;
        for set in ["CapInh:", "CapPrm:", "CapEff:", "CapAmb:"] {
            assert_eq!(status_field(&out.stdout, set), "0000000000000000", "{set}");
        }
        assert_eq!(status_field(&out.stdout, "NoNewPrivs:"), "1");
        let out = run_command(&s.socket(), &["cat", "/proc/self/environ"]).await;
        // NUL separators reach the client escaped.
        let mut vars: Vec<&str> = out
            .stdout
            .split("\\u{0000}")
            .filter(|v| !v.is_empty())
            .collect();
        vars.sort();
        assert_eq!(vars, ["LANG=C.UTF-8", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]);
        let log = std::fs::read_to_string(s.path("helper.log")).unwrap();
        assert!(!log.contains(SECRET), "the token is in the log");
        drop(running);
    }
}

/// A token file that others could read, that is someone else's, or that is not a
/// token, stops the helper before it listens, with a message naming the file and
/// the fix, and never its content.
#[test]
fn an_unsafe_or_bad_token_file_is_refused_without_echoing_it() {
    if !is_root() {
        eprintln!("skipped: needs root to switch users");
        return;
    }
    let s = Setup::new(NOBODY, 0o600);
    let token = s.path("token");
    let line = format!("mcp@pve!mcp={SECRET}\n");
    let cases: Vec<(String, u32, u32, String)> = vec![
        (
            line.clone(),
            NOBODY,
            0o640,
            format!(
                "token file {} is readable by group or others (mode 0640); run: chmod 600",
                token.display()
            ),
        ),
        (line.clone(), NOBODY, 0o604, "(mode 0604)".into()),
        (line.clone(), NOBODY, 0o644, "(mode 0644)".into()),
        (line.clone(), NOBODY, 0o660, "(mode 0660)".into()),
        (line.clone(), 0, 0o600, "cannot read token file".to_owned()),
        (
            format!("mcp@pve!mcp {SECRET}\n"),
            NOBODY,
            0o600,
            "does not hold one line USER@REALM!TOKENID=SECRET".into(),
        ),
        (
            format!("{SECRET}\n"),
            NOBODY,
            0o600,
            "does not hold one line".into(),
        ),
        (
            format!("mcp@pve!mcp={SECRET}; rm -rf /\n"),
            NOBODY,
            0o600,
            "does not hold one line".into(),
        ),
        (
            String::new(),
            NOBODY,
            0o600,
            "does not hold one line".into(),
        ),
        (
            format!("\n{line}"),
            NOBODY,
            0o600,
            "does not hold one line".into(),
        ),
    ];
    for (text, owner, mode, want) in &cases {
        s.write_token(text, *owner, *mode);
        let out = s.refused(NOBODY, &[]);
        assert_eq!(out.status.code(), Some(1), "{want}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(want.as_str()), "{want:?} not in {err}");
        assert!(!err.contains(SECRET), "the token was echoed: {err}");
    }
    // Someone else's file, even for a helper started as root (--allow-root): it
    // dropped CAP_DAC_OVERRIDE with every other capability before reading the token.
    s.write_token(&line, NOBODY, 0o600);
    let out = s.refused(0, &["--allow-root"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read token file")
            && err.contains("Permission denied")
            && !err.contains(SECRET),
        "{err}"
    );
    // Not a file at all.
    std::fs::remove_file(&token).unwrap();
    std::fs::create_dir(&token).unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o700)).unwrap();
    chown(&token, NOBODY);
    let out = s.refused(NOBODY, &[]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("token file {}", token.display()))
            || err.contains("cannot read token file"),
        "{err}"
    );
    println!("token files refused: {}", cases.len() + 2);
}
