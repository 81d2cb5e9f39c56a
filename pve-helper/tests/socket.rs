//! The real pve-helper binary on a real Unix socket, driven by a raw frame client:
//! peer checks, handshake, hostile frames, and commands. Proxmox is unreachable here
//! on purpose (port 1); calls that need it must fail cleanly.

use pve_mcp_proto::*;
use std::{
    io::Write,
    os::unix::fs::PermissionsExt,
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::Duration,
};
use tokio::{io::AsyncWriteExt, net::UnixStream};

struct Helper {
    child: Child,
    socket: PathBuf,
    _dir: tempfile::TempDir,
}

impl Drop for Helper {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(clients: &str, commands: &str) -> Helper {
    let dir = tempfile::tempdir().unwrap();
    let p = |n: &str| dir.path().join(n);
    let token = p("token");
    std::fs::write(&token, "mcp@pve!mcp=0123-secret-4567\n").unwrap();
    std::fs::set_permissions(&token, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::write(
        p("policy.toml"),
        format!("[clients]\nusers = [{clients}]\n[guests]\nallow = [\"*\"]\n[commands]\nallow = [{commands}]\ntimeout_secs = 2\nmax_output_bytes = 64\n"),
    )
    .unwrap();
    let socket = p("helper.sock");
    std::fs::write(
        p("helper.toml"),
        format!(
            "socket = {:?}\npolicy = {:?}\n[pve]\nurl = \"https://127.0.0.1:1\"\ntoken_file = {:?}\nfingerprint = \"{}\"\ntimeout_secs = 2\n",
            socket, p("policy.toml"), token, ["00"; 32].join(":")
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
    for _ in 0..200 {
        if socket.exists() {
            return Helper {
                child,
                socket,
                _dir: dir,
            };
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

fn me() -> String {
    nix::unistd::getuid().as_raw().to_string()
}

async fn hello(h: &Helper) -> UnixStream {
    let mut s = UnixStream::connect(&h.socket).await.unwrap();
    write_frame(
        &mut s,
        &FrontFrame::Hello {
            proto_version: PROTO_VERSION,
        },
        MAX_REQUEST_FRAME,
    )
    .await
    .unwrap();
    let w: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
    assert!(matches!(w, HelperFrame::Welcome { .. }), "{w:?}");
    s
}

async fn call(s: &mut UnixStream, id: u64, request: Request) -> Response {
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
    match read_frame(s, MAX_RESPONSE_FRAME).await.unwrap() {
        HelperFrame::Reply { id: got, response } => {
            assert_eq!(got, id);
            response
        }
        other => panic!("unexpected {other:?}"),
    }
}

fn argv(v: &[&str]) -> Request {
    Request::RunCommand(RunCommand {
        argv: Argv::new(v.iter().map(|s| s.to_string()).collect()).unwrap(),
    })
}

#[tokio::test]
async fn socket_mode_is_0660() {
    let h = start(&me(), "");
    let mode = std::fs::metadata(&h.socket).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o660);
}

#[tokio::test]
async fn refuses_peer_not_in_clients_before_reading() {
    let h = start("4242", "");
    let mut s = UnixStream::connect(&h.socket).await.unwrap();
    let f: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
    let HelperFrame::Fatal { error } = f else {
        panic!("{f:?}")
    };
    assert_eq!(error.kind, ErrorKind::Denied);
    assert!(
        error
            .message
            .contains(&format!("uid {} is not allowed", me())),
        "{}",
        error.message
    );
    assert!(matches!(
        read_frame::<HelperFrame, _>(&mut s, MAX_RESPONSE_FRAME).await,
        Err(FrameError::Closed)
    ));
}

#[tokio::test]
async fn hostile_frames_end_the_connection_with_an_error() {
    let h = start(&me(), "");
    let cases: Vec<Vec<u8>> = vec![
        u32::MAX.to_be_bytes().to_vec(),
        (MAX_REQUEST_FRAME + 1).to_be_bytes().to_vec(),
        0u32.to_be_bytes().to_vec(),
        [&5u32.to_be_bytes()[..], b"{nope"].concat(),
        [&17u32.to_be_bytes()[..], br#"{"type":"launch"}"#].concat(),
    ];
    for raw in cases {
        let mut s = hello(&h).await;
        s.write_all(&raw).await.unwrap();
        let f: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
        let HelperFrame::Fatal { error } = f else {
            panic!("{f:?}")
        };
        assert_eq!(error.kind, ErrorKind::Invalid, "{raw:?}");
    }
    // The helper still serves new connections.
    let mut s = hello(&h).await;
    assert!(
        matches!(call(&mut s, 1, argv(&["uptime"])).await, Response::Err(e) if e.kind == ErrorKind::Denied)
    );
}

#[tokio::test]
async fn wrong_handshake_is_refused() {
    let h = start(&me(), "");
    let mut s = UnixStream::connect(&h.socket).await.unwrap();
    let bad = FrontFrame::Hello {
        proto_version: ProtoVersion { major: 9, minor: 0 },
    };
    write_frame(&mut s, &bad, MAX_REQUEST_FRAME).await.unwrap();
    let f: HelperFrame = read_frame(&mut s, MAX_RESPONSE_FRAME).await.unwrap();
    assert!(
        matches!(f, HelperFrame::Fatal { ref error } if error.message.contains("9.0")),
        "{f:?}"
    );
}

#[tokio::test]
async fn commands_run_only_when_allowed() {
    let h = start(
        &me(),
        r#"["uptime"], ["echo", "*"], ["sleep", "5"], ["seq", "1000"]"#,
    );
    let mut s = hello(&h).await;
    let Response::Ok(Payload::Command(out)) = call(&mut s, 1, argv(&["uptime"])).await else {
        panic!()
    };
    assert!(out.stdout.contains("load average"), "{out:?}");
    let Response::Ok(Payload::Command(out)) = call(&mut s, 2, argv(&["echo", "hello"])).await
    else {
        panic!()
    };
    assert_eq!(out.stdout, "hello\n");
    for hostile in [
        &["echo", "$(id)"][..],
        &["echo", "a;id"],
        &["echo", "-e"],
        &["echo", "/etc/shadow"],
        &["sh", "-c", "id"],
        &["uptime", "&&", "id"],
    ] {
        let r = call(&mut s, 3, argv(hostile)).await;
        assert!(
            matches!(&r, Response::Err(e) if e.kind == ErrorKind::Denied && e.message.contains("matches no [commands] allow entry")),
            "{hostile:?}: {r:?}"
        );
    }
    let r = call(&mut s, 4, argv(&["sleep", "5"])).await;
    assert!(
        matches!(&r, Response::Err(e) if e.kind == ErrorKind::Timeout),
        "{r:?}"
    );
    let Response::Ok(Payload::Command(out)) = call(&mut s, 5, argv(&["seq", "1000"])).await else {
        panic!()
    };
    assert!(out.truncated && out.stdout.len() == 64);
}

#[tokio::test]
async fn unreachable_proxmox_is_a_clean_error() {
    let h = start(&me(), "");
    let mut s = hello(&h).await;
    let r = call(&mut s, 1, Request::ListGuests(ListGuests::default())).await;
    let Response::Err(e) = r else { panic!("{r:?}") };
    assert_eq!(e.kind, ErrorKind::Unavailable, "{e:?}");
    assert!(
        e.message
            .contains("cannot reach Proxmox at https://127.0.0.1:1"),
        "{}",
        e.message
    );
}

#[test]
fn check_reports_errors_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("p.toml");
    std::fs::File::create(&f)
        .unwrap()
        .write_all(b"[guests]\nallow = [\"pool:lab\", \"x:1\"]\nactons = []\n")
        .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_pve-helper"))
        .args(["check", f.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("{}:3:1: unknown field `actons`", f.display())),
        "{err}"
    );
    let ok = Command::new(env!("CARGO_BIN_EXE_pve-helper"))
        .args([
            "check",
            concat!(env!("CARGO_MANIFEST_DIR"), "/../policy/policy.toml"),
        ])
        .output()
        .unwrap();
    assert_eq!(
        ok.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    let summary = String::from_utf8_lossy(&ok.stdout);
    assert!(
        summary.contains("clients: claude-user") && summary.contains("guests: tag:mcp"),
        "{summary}"
    );
}
