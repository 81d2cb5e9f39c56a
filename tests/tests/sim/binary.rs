//! The `pve-sim` binary: one JSON line on stdout, a working server, and a clean exit on
//! stdin EOF (`--exit-on-stdin-eof`) and on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

fn launch(extra: &[&str]) -> (Child, Value) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pve-sim"))
        .args(["--nodes", "2", "--guests", "50", "--task-ms", "50"])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("pve-sim starts");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .expect("announcement line");
    let announced: Value = serde_json::from_str(&line).expect("announcement is JSON");
    (child, announced)
}

fn wait_exit(child: &mut Child) -> std::process::ExitStatus {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = child.try_wait().expect("wait works") {
            return status;
        }
        assert!(Instant::now() < deadline, "pve-sim did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn announces_serves_and_exits_on_stdin_eof() {
    let (mut child, a) = launch(&["--exit-on-stdin-eof", "--token", "ci@pve!bench=s3cret"]);
    let keys: Vec<&str> = a
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default();
    assert_eq!(
        keys,
        ["fingerprint", "guests", "nodes", "pve", "token", "url"]
    );
    assert_eq!(a["pve"], "8.4.1");
    assert_eq!(a["token"], "ci@pve!bench=s3cret");
    assert_eq!(
        (a["nodes"].clone(), a["guests"].clone()),
        (2.into(), 50.into())
    );
    let fp = a["fingerprint"].as_str().expect("fingerprint");
    assert_eq!(fp.split(':').count(), 32);
    assert!(
        fp.bytes()
            .all(|b| b == b':' || b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
    );
    let url = a["url"].as_str().expect("url");
    assert!(url.starts_with("https://127.0.0.1:"));
    let port: u16 = url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());

    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn answers_as_the_release_asked_for() {
    let (mut child, a) = launch(&["--exit-on-stdin-eof", "--pve", "9"]);
    assert_eq!(a["pve"], "9.2.11");
    drop(child.stdin.take());
    assert!(wait_exit(&mut child).success());
    let out = Command::new(env!("CARGO_BIN_EXE_pve-sim"))
        .args(["--pve", "7"])
        .stdin(Stdio::null())
        .output()
        .expect("pve-sim runs");
    assert!(!out.status.success());
}

#[test]
fn exits_cleanly_on_sigterm() {
    let (mut child, _) = launch(&[]);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(killed.success());
    assert!(wait_exit(&mut child).success());
}

#[test]
fn rejects_bad_flags() {
    let out = Command::new(env!("CARGO_BIN_EXE_pve-sim"))
        .args(["--token", "no-equals-sign"])
        .stdin(Stdio::null())
        .output()
        .expect("pve-sim runs");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
}
