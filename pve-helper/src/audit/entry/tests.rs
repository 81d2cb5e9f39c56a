use super::*;
use crate::audit::{Auditor, Record};
use crate::peer::{Client, Peer};
use pve_mcp_proto::{ErrorBody, ErrorKind, Payload};
use std::sync::{Arc, Mutex};

fn record(line: &str) -> Entry {
    match parse_line(line) {
        Line::Record(e) => *e,
        other => panic!("not a record: {other:?} from {line}"),
    }
}

fn malformed(line: &str) -> String {
    match parse_line(line) {
        Line::Malformed(reason) => reason,
        other => panic!("not malformed: {other:?} from {line}"),
    }
}

/// What the helper writes, for one allowed and one denied request, through the same
/// `Auditor` and the same `tracing` format as the daemon (its `main`).
fn written() -> (String, String) {
    #[derive(Clone, Default)]
    struct Buf(Arc<Mutex<Vec<u8>>>);
    impl std::io::Write for Buf {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let log = Buf::default();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("audit.jsonl");
    let auditor = Auditor::open(Some(&file)).unwrap();
    let subscriber = tracing_subscriber::fmt()
        .with_writer({
            let log = log.clone();
            move || log.clone()
        })
        .with_ansi(false)
        .finish();
    let peer = Peer {
        uid: 1001,
        gid: 1001,
        pid: 77,
    };
    let client = Client {
        peer,
        name: Some("ci-bot".into()),
    };
    let started = std::time::Instant::now();
    tracing::subscriber::with_default(subscriber, || {
        let ok: Result<Payload, ErrorBody> = Ok(Payload::Nodes(Vec::new()));
        auditor.record(&Record::new(
            &client,
            "guest_status vmid=101",
            "allow",
            "guests.allow \"100-199\"",
            &ok,
            started,
        ));
        let mut refused = ErrorBody::new(ErrorKind::Denied, "no \"stop\"\nhere");
        refused.upstream_status = Some(403);
        let refused: Result<Payload, ErrorBody> = Err(refused);
        auditor.record(&Record::new(
            &client,
            "api GET /nodes/pve1/lxc/205/config params=[]",
            "deny",
            "guests.actions",
            &refused,
            started,
        ));
        crate::audit::connection_event(&peer, "peer refused", "uid 1001 is \"not\" a client");
    });
    let log = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    (std::fs::read_to_string(file).unwrap(), log)
}

#[test]
fn reads_back_what_the_helper_writes_to_its_file_and_its_log() {
    let (file, log) = written();
    let from_file: Vec<Entry> = file.lines().map(record).collect();
    let from_log: Vec<Entry> = log
        .lines()
        .filter_map(|l| match parse_line(l) {
            Line::Record(e) => Some(*e),
            Line::Other => None,
            Line::Malformed(r) => panic!("{r}: {l}"),
        })
        .collect();
    assert_eq!(from_file.len(), 2);
    assert_eq!(from_log.len(), 3, "{log}");
    for (f, l) in from_file.iter().zip(&from_log) {
        assert_eq!(
            (
                &f.tool,
                &f.detail,
                f.guest,
                &f.decision,
                &f.rule,
                &f.outcome
            ),
            (
                &l.tool,
                &l.detail,
                l.guest,
                &l.decision,
                &l.rule,
                &l.outcome
            )
        );
        assert_eq!(
            (f.uid, f.pid, f.upstream_status),
            (l.uid, l.pid, l.upstream_status)
        );
        // The client whose policy judged it, as the helper named it.
        assert_eq!(
            (f.client.as_deref(), l.client.as_deref()),
            (Some("ci-bot"), Some("ci-bot"))
        );
        assert!((f.time - l.time).num_seconds().abs() < 5);
    }
    let allowed = &from_file[0];
    assert_eq!(
        (
            allowed.tool.as_str(),
            allowed.detail.as_str(),
            allowed.guest
        ),
        ("guest_status", "vmid=101", Some(101))
    );
    assert_eq!(allowed.rule, "guests.allow \"100-199\"");
    let denied = &from_file[1];
    assert_eq!((denied.tool.as_str(), denied.guest), ("api", Some(205)));
    assert_eq!(
        (denied.outcome.as_str(), denied.upstream_status),
        ("denied", Some(403))
    );
    let conn = &from_log[2];
    assert_eq!(
        (
            conn.tool.as_str(),
            conn.decision.as_str(),
            conn.rule.as_str()
        ),
        ("connection", "deny", "peer refused")
    );
    assert_eq!(conn.detail, "uid 1001 is \"not\" a client");
}

#[test]
fn journal_entries_carry_the_log_line_and_the_journals_time() {
    let (_, log) = written();
    let line = log.lines().next().unwrap();
    let entry = serde_json::json!({
        "__CURSOR": "s=1",
        "__REALTIME_TIMESTAMP": "1765015200000000",
        "MESSAGE": line,
    });
    let e = record(&entry.to_string());
    assert_eq!(e.time.timestamp(), 1_765_015_200);
    assert_eq!((e.tool.as_str(), e.guest), ("guest_status", Some(101)));
    // A message that is not UTF-8 comes as bytes.
    let bytes: Vec<u8> = line.bytes().collect();
    let entry = serde_json::json!({"MESSAGE": bytes, "__REALTIME_TIMESTAMP": "1765015200000000"});
    assert_eq!(record(&entry.to_string()).tool, "guest_status");
    // systemd's own messages about the unit, and the helper's other logs, are not records.
    for other in [
        r#"{"MESSAGE": "Started pve-mcp-helper.service", "__REALTIME_TIMESTAMP": "1"}"#,
        r#"{"MESSAGE": "2026-12-06T10:00:00.000000Z  INFO pve_helper::cli: serving"}"#,
        "2026-12-06T10:00:00.000000Z  INFO pve_helper::cli: serving socket=/run/x",
        "",
        "   ",
    ] {
        assert_eq!(parse_line(other), Line::Other, "{other}");
    }
}

#[test]
fn broken_lines_are_malformed_never_a_panic() {
    for line in [
        "garbage",
        "{\"time\": \"2026-12-06T09:01:04",
        "[1, 2]",
        "{}",
        r#"{"time": "yesterday", "peer_uid": 1, "peer_pid": 1, "request": "x", "decision": "allow", "rule": "r", "outcome": "ok"}"#,
        r#"{"time": "2026-12-06T09:00:00Z", "peer_uid": -1, "peer_pid": 1, "request": "x", "decision": "allow", "rule": "r", "outcome": "ok"}"#,
        "2026-12-06T10:00:00Z  INFO pve_mcp::audit: audit peer_uid=1 request=\"cut",
        "2026-12-06T10:00:00Z  INFO pve_mcp::audit: audit peer_uid=1",
        "nonsense pve_mcp::audit: audit request=\"x\" decision=\"allow\" rule=\"r\" outcome=\"ok\"",
    ] {
        assert!(!malformed(line).is_empty());
    }
    // Arbitrary bytes and cut escapes.
    for line in [
        "2026-12-06T10:00:00Z INFO pve_mcp::audit: a=\"\\u{zz}\"",
        "2026-12-06T10:00:00Z INFO pve_mcp::audit: a=\"\\u{110000}\"",
        "2026-12-06T10:00:00Z INFO pve_mcp::audit: a=\"\\",
        "2026-12-06T10:00:00Z INFO pve_mcp::audit: ==== \"",
        "{\"MESSAGE\": 5}",
        "\u{0}\u{1b}[2J",
    ] {
        let _ = parse_line(line);
    }
}

#[test]
fn the_guest_comes_from_vmid_the_task_or_the_api_path() {
    assert_eq!(guest_of("guest_action vmid=101 action=stop"), Some(101));
    assert_eq!(guest_of("guest_create type=qemu node=pve1 vmid=next"), None);
    assert_eq!(
        guest_of("task_status upid=UPID:pve1:00001234:00ABCDEF:675F0000:qmstart:104:mcp@pve!mcp:"),
        Some(104)
    );
    assert_eq!(
        guest_of("api GET /nodes/pve1/qemu/250/status/current params=[]"),
        Some(250)
    );
    assert_eq!(guest_of("api GET /nodes/pve1/status params=[]"), None);
    assert_eq!(guest_of("run_command argv=qm list"), None);
    assert_eq!(guest_of(""), None);
}

#[test]
fn debug_escapes_are_undone() {
    let f = fields(r#"audit a="x \"y\" \\ \n \u{1b} é" b=3 c="" msg"#).unwrap();
    assert_eq!(
        f,
        [
            ("a".to_owned(), "x \"y\" \\ \n \u{1b} é".to_owned()),
            ("b".to_owned(), "3".to_owned()),
            ("c".to_owned(), String::new()),
        ]
    );
}
