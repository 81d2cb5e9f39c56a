//! Hostile input through the real binaries, against the simulated cluster: frames and
//! requests sent raw to the helper's socket (what a compromised front could send),
//! and tool arguments sent through mcp-front (what a talked-into-it model could send).
//!
//! Every case must end in a precise error, leave an audit record (a decision record,
//! or a connection-level event for a refused frame; arguments mcp-front refuses never
//! reach the helper, which is checked instead), and change nothing: no task started,
//! no write request reached Proxmox, no guest changed state, no command ran. The
//! policy is deliberately broad (`GET /**`, `POST /**`) so that only validation and
//! the fixed floor stand in the way.

use super::{Raw, audit_lines, audit_since, frame, own_uid, report};
use pve_mcp_proto::*;
use pve_mcp_tests::{
    client::{is_error, text},
    sim::{PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::{Value, json};
use std::{os::unix::fs::PermissionsExt, path::PathBuf};

const GUESTS: usize = 60;

/// A broad policy; `MARKER` is replaced by a script that records each run.
const POLICY: &str = r#"
[clients]
users = [{uid}]

[guests]
allow = ["100-149"]
deny = ["120"]
actions = ["start", "shutdown"]

[api]
allow = ["GET /**", "POST /**", "PUT /nodes/*/qemu/*/config"]

[commands]
allow = [["uptime"], ["echo", "*"], ["MARKER", "*"]]
timeout_secs = 5

[limits]
requests_per_minute = 100000
concurrent = 64
"#;

/// The stack, and a command that leaves a trace of every run in `marker.log`.
struct World {
    stack: Stack,
    marker: PathBuf,
    marker_log: PathBuf,
    power: Vec<Option<PowerState>>,
    _dir: tempfile::TempDir,
}

impl World {
    fn start() -> World {
        let dir = tempfile::tempdir().unwrap();
        let marker = dir.path().join("marker");
        let marker_log = dir.path().join("marker.log");
        std::fs::write(
            &marker,
            format!("#!/bin/sh\necho \"$@\" >> {}\n", marker_log.display()),
        )
        .unwrap();
        std::fs::set_permissions(&marker, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut o = StackOptions::new(&POLICY.replace("MARKER", marker.to_str().unwrap()));
        o.sim = SimConfig {
            nodes: 3,
            guests: GUESTS,
            ..SimConfig::default()
        };
        let stack = Stack::start(o).expect("stack starts");
        let power = (0..GUESTS as u32)
            .map(|i| stack.sim.guest_state(100 + i).map(|g| g.power))
            .collect();
        World {
            stack,
            marker,
            marker_log,
            power,
            _dir: dir,
        }
    }

    fn audit_count(&self) -> usize {
        audit_lines(&self.stack.helper_log()).len()
    }

    /// Audit lines written since `before`. The helper writes a record before it
    /// answers, so no waiting is needed once the answer is in.
    fn new_audit(&self, before: usize) -> Vec<String> {
        audit_since(&self.stack.helper_log(), before)
    }

    fn marker_runs(&self) -> usize {
        std::fs::read_to_string(&self.marker_log)
            .unwrap_or_default()
            .lines()
            .count()
    }

    /// Nothing changed: no task, no write reached Proxmox, every guest as it was.
    fn assert_unchanged(&self, marker_runs: usize) {
        let stats = self.stack.sim.stats();
        assert_eq!(stats.tasks_started, 0, "a task was started");
        let writes: Vec<&String> = stats
            .per_path
            .keys()
            .filter(|k| !k.starts_with("GET "))
            .collect();
        assert!(
            writes.is_empty(),
            "write requests reached Proxmox: {writes:?}"
        );
        let power: Vec<Option<PowerState>> = (0..GUESTS as u32)
            .map(|i| self.stack.sim.guest_state(100 + i).map(|g| g.power))
            .collect();
        assert_eq!(power, self.power, "a guest changed state");
        assert_eq!(self.marker_runs(), marker_runs, "a command ran");
    }
}

/// Sends one hostile frame on a fresh connection (after the handshake when `hello`),
/// expects a fatal `Invalid` error containing `needle` and one audit event.
async fn refused_frame(w: &World, hello: bool, bytes: &[u8], needle: &str, event: &str) {
    let before = w.audit_count();
    let mut raw = if hello {
        Raw::connect(&w.stack.socket).await
    } else {
        Raw::bare(&w.stack.socket).await
    };
    raw.send_bytes(bytes).await;
    let msg = raw.expect_fatal(ErrorKind::Invalid, needle).await;
    let new = w.new_audit(before);
    assert_eq!(new.len(), 1, "one audit event for {msg:?}: {new:?}");
    assert!(
        new[0].contains(&format!("event=\"{event}\""))
            && new[0].contains(&format!("peer_uid={}", own_uid())),
        "{new:?}"
    );
}

fn call(request: Value) -> Vec<u8> {
    frame(
        json!({"type": "call", "id": 1, "request": request})
            .to_string()
            .as_bytes(),
    )
}

fn api(method: &str, path: &str) -> Value {
    json!({"op": "api", "args": {"method": method, "path": path}})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_close_the_connection_with_an_audited_error() {
    let w = World::start();
    let deep = format!(
        "{{\"type\":\"call\",\"id\":1,\"request\":{}{}}}",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let cases: Vec<(Vec<u8>, &str)> = vec![
        (frame(b"{nope"), "malformed frame: key must be a string"),
        (
            frame(br#"{"type":"call""#),
            "malformed frame: EOF while parsing",
        ),
        (0u32.to_be_bytes().to_vec(), "empty frame"),
        (
            u32::MAX.to_be_bytes().to_vec(),
            "frame of 4294967295 bytes exceeds the limit of 262144 bytes",
        ),
        (
            (MAX_REQUEST_FRAME + 1).to_be_bytes().to_vec(),
            "exceeds the limit of 262144 bytes",
        ),
        (frame(deep.as_bytes()), "recursion limit exceeded"),
        (
            frame(b"{\"type\":\"call\",\"id\":1,\"request\":\xff\xfe}"),
            "malformed frame",
        ),
        (
            frame(b"{\"type\":\"hello\",\"proto_version\":{\"major\":1,\"minor\":0}} trailing"),
            "trailing characters",
        ),
        (frame(b"\0\0\0\0"), "malformed frame"),
        (frame(b"null"), "malformed frame"),
        (frame(b"[]"), "malformed frame"),
        (frame(br#"{"type":"launch"}"#), "unknown variant `launch`"),
        (frame(br#"{"id":1}"#), "missing field `type`"),
        (
            frame(
                br#"{"type":"call","type":"hello","id":1,"request":{"op":"describe","args":{}}}"#,
            ),
            "duplicate field `type`",
        ),
        (
            frame(br#"{"type":"call","id":1,"id":2,"request":{"op":"describe","args":{}}}"#),
            "duplicate field `id`",
        ),
        (
            frame(br#"{"type":"hello","proto_version":{"major":1,"minor":0}}"#),
            "unexpected second hello",
        ),
    ];
    let n = cases.len();
    for (bytes, needle) in &cases {
        let event = if needle.contains("second hello") {
            "protocol error"
        } else {
            "bad frame"
        };
        refused_frame(&w, true, bytes, needle, event).await;
    }
    // Before the handshake: the same refusal, audited as a bad handshake.
    let handshake: Vec<(Vec<u8>, &str)> = vec![
        (
            call(json!({"op": "describe", "args": {}})),
            "expected hello first",
        ),
        (
            frame(br#"{"type":"hello","proto_version":{"major":2,"minor":0}}"#),
            "protocol version 2.0 is not supported",
        ),
        (
            frame(br#"{"type":"hello","proto_version":{"major":1,"minor":0,"patch":1}}"#),
            "unknown field `patch`",
        ),
        (
            frame(br#"{"type":"hello"}"#),
            "missing field `proto_version`",
        ),
        (u32::MAX.to_be_bytes().to_vec(), "exceeds the limit"),
    ];
    for (bytes, needle) in &handshake {
        refused_frame(&w, false, bytes, needle, "bad handshake").await;
    }
    w.assert_unchanged(0);
    report(
        "hostile-frames",
        &format!(
            "{} malformed frames refused and audited",
            n + handshake.len()
        ),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_with_wrong_types_or_out_of_range_values_are_refused() {
    let w = World::start();
    let status = |vmid: Value| json!({"op": "guest_status", "args": {"vmid": vmid}});
    let action = |vmid: Value, action: Value| json!({"op": "guest_action", "args": {"vmid": vmid, "action": action}});
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"op": "format_disk", "args": {}}),
            "unknown variant `format_disk`",
        ),
        (
            json!({"op": "Guest_Status", "args": {"vmid": 101}}),
            "unknown variant `Guest_Status`",
        ),
        (
            json!({"op": "guest_status", "args": {"vmid": 101, "node": "pve1"}}),
            "unknown field `node`",
        ),
        (
            json!({"op": "guest_status", "args": {"vmid": 101}, "sudo": true}),
            "expected \"op\" or \"args\"",
        ),
        (json!({"op": "guest_status"}), "malformed frame"),
        (
            json!({"op": "list_guests", "args": {"limit": 0}}),
            "limit 0 is out of range",
        ),
        (
            json!({"op": "list_guests", "args": {"limit": 1_000_000}}),
            "out of range",
        ),
        (
            json!({"op": "list_guests", "args": {"offset": -1}}),
            "invalid value: integer `-1`",
        ),
        (
            json!({"op": "list_guests", "args": {"name": ""}}),
            "name filter must be 1 to 128",
        ),
        (
            json!({"op": "list_guests", "args": {"name": "a\u{0}b"}}),
            "printable",
        ),
        (
            json!({"op": "list_guests", "args": {"tag": "-x"}}),
            "tag \"-x\" is invalid",
        ),
        (
            json!({"op": "list_guests", "args": {"node": "pve1/../x"}}),
            "node name \"pve1/../x\" is invalid",
        ),
        (
            json!({"op": "list_guests", "args": {"node": "pve\u{0031}\u{fe0f}"}}),
            "is invalid",
        ),
        (
            json!({"op": "node_status", "args": {"node": "-pve"}}),
            "is invalid",
        ),
        (
            json!({"op": "task_status", "args": {"upid": "UPID:pve1:../../etc:0:0:qmstart:101:root@pam:"}}),
            "is not a Proxmox task id",
        ),
        (
            json!({"op": "task_status", "args": {"upid": "x".repeat(300)}}),
            "is not a Proxmox task id",
        ),
        (status(json!(0)), "vmid 0 is out of range"),
        (status(json!(-1)), "invalid value: integer `-1`"),
        (status(json!(99)), "vmid 99 is out of range"),
        (
            status(json!(1_000_000_000u64)),
            "vmid 1000000000 is out of range",
        ),
        (
            status(json!(4_294_967_296u64)),
            "vmid 4294967296 is out of range",
        ),
        (
            status(json!(99_999_999_999u64)),
            "vmid 99999999999 is out of range",
        ),
        (status(json!(u64::MAX)), "out of range"),
        (status(json!(101.0)), "invalid type: floating point"),
        (status(json!(1e2)), "invalid type: floating point"),
        (status(json!("101")), "invalid type: string \"101\""),
        (status(json!(null)), "invalid type: null"),
        (status(json!(true)), "invalid type: boolean"),
        (status(json!([101])), "invalid type: sequence"),
        (status(json!({"$gt": 100})), "invalid type: map"),
        (
            action(json!(101), json!("destroy")),
            "unknown variant `destroy`",
        ),
        (
            action(json!(101), json!("START")),
            "unknown variant `START`",
        ),
        (
            action(json!(101), json!("start ")),
            "unknown variant `start `",
        ),
        (action(json!(101), json!(["start", "stop"])), "invalid type"),
        (
            json!({"op": "guest_action", "args": {"vmid": 101, "action": "start", "confirmed": "yes"}}),
            "invalid type: string \"yes\"",
        ),
        (
            json!({"op": "run_command", "args": {"argv": "uptime; id"}}),
            "invalid type: string",
        ),
        (
            json!({"op": "run_command", "args": {"argv": []}}),
            "the command is empty",
        ),
        (
            json!({"op": "run_command", "args": {"argv": [""]}}),
            "the program name is empty",
        ),
        (
            json!({"op": "run_command", "args": {"argv": ["echo", "a\u{0}b"]}}),
            "NUL byte",
        ),
        (
            json!({"op": "run_command", "args": {"argv": vec!["echo"; 65]}}),
            "65 arguments; at most 64",
        ),
        (
            json!({"op": "run_command", "args": {"argv": ["echo", "a".repeat(4097)]}}),
            "longer than 4096 bytes",
        ),
        (
            json!({"op": "run_command", "args": {"argv": vec!["a".repeat(4000); 9]}}),
            "longer than 32768 bytes",
        ),
        (
            json!({"op": "run_command", "args": {"argv": [["echo"], "x"]}}),
            "invalid type: sequence",
        ),
        (
            json!({"op": "run_command", "args": {"argv": ["echo"], "env": {"LD_PRELOAD": "/tmp/x.so"}}}),
            "unknown field `env`",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"a b": 1}}}),
            "parameter name \"a b\" is invalid",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"__proto__": 1}}}),
            "is invalid",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"x": {"y": 1}}}}),
            "untagged enum ParamValue",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"x": [1]}}}),
            "untagged enum ParamValue",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"x": null}}}),
            "untagged enum ParamValue",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"x": "a\u{0}"}}}),
            "contains a NUL byte",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": {"x": "a".repeat(70_000)}}}),
            "more than 65536 bytes of text",
        ),
        (
            json!({"op": "api", "args": {"method": "GET", "path": "/version", "params": (0..65).map(|i| (format!("p{i}"), json!(1))).collect::<serde_json::Map<_, _>>()}}),
            "more than 64 parameters",
        ),
    ];
    let n = cases.len();
    for (request, needle) in &cases {
        refused_frame(&w, true, &call(request.clone()), needle, "bad frame").await;
    }
    // A negative or fractional call id is refused before the request is looked at.
    for (id, needle) in [
        (json!(-1), "integer `-1`"),
        (json!(1.5), "floating point"),
        (json!("1"), "string"),
    ] {
        let bytes = frame(
            json!({"type": "call", "id": id, "request": {"op": "describe", "args": {}}})
                .to_string()
                .as_bytes(),
        );
        refused_frame(&w, true, &bytes, needle, "bad frame").await;
    }
    w.assert_unchanged(0);
    report(
        "hostile-values",
        &format!(
            "{} requests with wrong types or out-of-range values refused and audited",
            n + 3
        ),
    );
}

/// API paths and methods that must never reach Proxmox as written: refused while
/// decoding (connection closed, audited) or by the fixed floor (answered, audited).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_paths_and_methods_that_could_escape_the_policy_are_refused() {
    let w = World::start();
    let too_long = "/a".repeat(300);
    let invalid: Vec<(&str, &str, &str)> = vec![
        ("GET", "/nodes/../access/users", "'.' or '..'"),
        ("GET", "/nodes/pve1/..", "'.' or '..'"),
        ("GET", "/nodes/./pve1", "'.' or '..'"),
        ("GET", "/nodes/%2e%2e/access", "'.' or '..'"),
        ("GET", "/nodes/%2E%2e/access", "'.' or '..'"),
        ("POST", "/nodes/pve1%2Fexecute", "0x2F"),
        ("POST", "/nodes/pve1%2fexecute", "0x2F"),
        ("GET", "/nodes/%252e%252e/access", "0x25"),
        ("POST", "/nodes/pve1%5Cexecute", "0x5C"),
        ("GET", "/nodes/%", "malformed percent-escape"),
        ("GET", "/nodes/%zz", "malformed percent-escape"),
        ("GET", "/nodes/pve1%00", "0x00"),
        ("GET", "//access/users", "empty segment"),
        ("GET", "/nodes//pve1/status", "empty segment"),
        ("GET", "/version//", "empty segment"),
        ("POST", "/nodes/pve1/status;/execute", "contains ';'"),
        ("POST", "/nodes/pve1;execute", "contains ';'"),
        ("GET", "/version?x=/../access/ticket", "query string"),
        ("GET", "/version%3Fx=1", "0x3F"),
        ("GET", "/version#frag", "query string"),
        ("GET", "/version\u{0}", "printable ASCII"),
        ("GET", "/version\n", "printable ASCII"),
        ("GET", "/version\r\nX-Injected: 1", "printable ASCII"),
        ("POST", "/nodes/pve1/termpr\u{043e}xy", "printable ASCII"),
        ("POST", "/nodes/pve1\u{2215}execute", "printable ASCII"),
        ("POST", "/nodes/pve1\u{ff0f}execute", "printable ASCII"),
        ("POST", "/access\u{200b}/users", "printable ASCII"),
        ("GET", "/ｖersion", "printable ASCII"),
        ("POST", "/nodes/pve1/\texecute", "printable ASCII"),
        ("POST", "/nodes/pve1/ execute", "contains ' '"),
        ("POST", "/nodes/pve1\\execute", "contains '\\\\'"),
        // Regressions (fixed): after the `/api2/json` prefix a backslash escaped every
        // check, and the URL parser turned it into '/'.
        ("POST", "/api2/json\\nodes/pve1/execute", "below /api2/json"),
        ("POST", "/api2/json\\access/users", "below /api2/json"),
        (
            "GET",
            "/api2/json\\nodes/pve2/qemu/130/config",
            "below /api2/json",
        ),
        ("GET", "/api2/json/api2/json/version", "below /api2/json"),
        ("GET", "/api2/extjs/version", "below /api2/json"),
        ("GET", "nodes/pve1/status", "must start with '/'"),
        ("GET", "\\nodes", "must start with '/'"),
        ("GET", "", "must start with '/'"),
        ("GET", &too_long, "longer than 512 bytes"),
        ("get", "/version", "unknown variant `get`"),
        ("Get", "/version", "unknown variant `Get`"),
        ("pOST", "/version", "unknown variant `pOST`"),
        ("PATCH", "/version", "unknown variant `PATCH`"),
        ("HEAD", "/version", "unknown variant `HEAD`"),
        ("OPTIONS", "/version", "unknown variant `OPTIONS`"),
        ("TRACE", "/version", "unknown variant `TRACE`"),
        ("CONNECT", "/version", "unknown variant `CONNECT`"),
        ("GET /version HTTP/1.1\r\n", "/version", "unknown variant"),
        ("", "/version", "unknown variant ``"),
    ];
    for (method, path, needle) in &invalid {
        refused_frame(&w, true, &call(api(method, path)), needle, "bad frame").await;
    }
    // Well-formed, but closed by the fixed floor whatever the policy grants; or
    // naming a guest out of scope. Answered on a live connection, each audited.
    let floor = "fixed floor";
    let hidden = "does not exist or is not visible";
    let unreadable = "api.params";
    let refused: Vec<(&str, &str, Value, &str)> = vec![
        ("POST", "/nodes/pve1/execute", json!({}), floor),
        ("POST", "/nodes/pve1/termproxy", json!({}), floor),
        ("POST", "/nodes/pve1/termproxy/", json!({}), floor),
        ("POST", "/api2/json/nodes/pve1/vncshell", json!({}), floor),
        ("POST", "/nodes/pve1/%74ermproxy", json!({}), floor),
        ("GET", "/nodes/pve1/vncwebsocket", json!({}), floor),
        ("POST", "/nodes/pve2/qemu/101/vncproxy", json!({}), floor),
        (
            "POST",
            "/nodes/pve2/qemu/101/agent/exec",
            json!({"command": "id"}),
            floor,
        ),
        (
            "POST",
            "/nodes/pve2/qemu/101/agent/file-write",
            json!({}),
            floor,
        ),
        ("GET", "/access/ticket", json!({}), floor),
        ("POST", "/access/users", json!({"userid": "x@pve"}), floor),
        ("POST", "/access/users/", json!({"userid": "x@pve"}), floor),
        (
            "POST",
            "/access/users/root@pam/token/evil",
            json!({}),
            floor,
        ),
        ("POST", "/cluster/config/join", json!({}), floor),
        ("POST", "/nodes/pve1/certificates/custom", json!({}), floor),
        (
            "PUT",
            "/nodes/pve2/qemu/101/config",
            json!({"hookscript": "local:snippets/x.pl"}),
            floor,
        ),
        (
            "PUT",
            "/nodes/pve2/qemu/101/config",
            json!({"args": "-monitor stdio"}),
            floor,
        ),
        ("GET", "/nodes/pve2/qemu/155/config", json!({}), hidden),
        ("GET", "/nodes/pve1/qemu/120/config", json!({}), hidden),
        // A vmid not written as Proxmox writes one is refused as such, never judged
        // as another guest.
        ("GET", "/nodes/pve2/qemu/0155/config", json!({}), unreadable),
        ("GET", "/nodes/pve2/qemu/+155/config", json!({}), unreadable),
        (
            "POST",
            "/nodes/pve2/qemu/155/status/start",
            json!({}),
            hidden,
        ),
        (
            "POST",
            "/nodes/pve1/qemu/999999999/status/start",
            json!({}),
            hidden,
        ),
    ];
    let mut raw = Raw::connect(&w.stack.socket).await;
    for (i, (method, path, params, needle)) in refused.iter().enumerate() {
        let before = w.audit_count();
        let request =
            json!({"op": "api", "args": {"method": method, "path": path, "params": params}});
        let r = raw.call_json(i as u64, request).await;
        let Response::Err(e) = &r else {
            panic!("{method} {path} was allowed: {r:?}")
        };
        if *needle == unreadable {
            assert_eq!(
                (e.kind, e.rule.as_deref()),
                (ErrorKind::Denied, Some(unreadable)),
                "{method} {path}: {e:?}"
            );
        } else if *needle == floor {
            assert_eq!(
                (e.kind, e.rule.as_deref()),
                (ErrorKind::Denied, Some(floor)),
                "{method} {path}: {e:?}"
            );
            assert!(
                e.message.contains("can never be allowed")
                    || e.message.contains("is on the fixed floor"),
                "{method} {path}: {e:?}"
            );
        } else {
            assert_eq!(e.kind, ErrorKind::NotFound, "{method} {path}: {e:?}");
            assert!(e.message.contains(needle), "{method} {path}: {e:?}");
        }
        let new = w.new_audit(before);
        assert!(
            new.len() == 1
                && new[0].contains("request=\"api ")
                && new[0].contains(if *needle == floor || *needle == unreadable {
                    "decision=\"deny\""
                } else {
                    "decision=\"not_found\""
                }),
            "{method} {path}: {new:?}"
        );
    }
    w.assert_unchanged(0);
    let reached: Vec<String> = w.stack.sim.stats().per_path.into_keys().collect();
    assert!(
        reached
            .iter()
            .all(|k| k == "GET /api2/json/cluster/resources" || k == "GET /api2/json/version"),
        "only guest lookups and the release (which schema judges) may reach Proxmox: {reached:?}"
    );
    report(
        "hostile-api",
        &format!(
            "{} API paths and methods refused ({} while decoding, {} by the floor or the scope), all audited",
            invalid.len() + refused.len(),
            invalid.len(),
            refused.len()
        ),
    );
}

/// Command lines sent raw as argv: nothing is a shell, so metacharacters are plain
/// bytes that match no allow-listed pattern. Each is denied on a live connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn command_lines_that_try_to_escape_the_allow_list_are_denied() {
    let w = World::start();
    let marker = w.marker.to_str().unwrap().to_owned();
    let long = "a".repeat(4000);
    let many: Vec<&str> = std::iter::once("echo")
        .chain(std::iter::repeat_n("a", 63))
        .collect();
    let cases: Vec<Vec<&str>> = vec![
        vec!["echo", "a;id"],
        vec!["echo", "a", ";", "id"],
        vec!["echo", "a && id"],
        vec!["echo", "a", "&&", "id"],
        vec!["echo", "a|sh"],
        vec!["echo", "|", "sh"],
        vec!["echo", "$(id)"],
        vec!["echo", "`id`"],
        vec!["echo", "${IFS}id"],
        vec!["echo", "*"],
        vec!["echo", "/etc/*"],
        vec!["echo", "?"],
        vec!["echo", "[a-z]"],
        vec!["echo", "~root"],
        vec!["echo", "a\nid"],
        vec!["echo", "a\rid"],
        vec!["echo", "a\tb"],
        vec!["echo", "a b"],
        vec!["echo", ">/etc/passwd"],
        vec!["echo", "<", "/etc/shadow"],
        vec!["echo", "--help"],
        vec!["echo", "-e"],
        vec!["echo", "--", "x"],
        vec!["echo", "-n", "x"],
        vec!["echo", "x", "y"],
        vec!["echo"],
        vec!["echo", ""],
        vec!["echo", &long],
        many.clone(),
        vec!["FOO=bar", "echo", "x"],
        vec!["LD_PRELOAD=/tmp/x.so", "uptime"],
        vec!["env", "FOO=bar", "uptime"],
        vec!["env", "-i", "sh"],
        vec!["sh", "-c", "id"],
        vec!["/bin/sh"],
        vec!["bash", "-c", "uptime"],
        vec!["./echo", "x"],
        vec!["../../bin/echo", "x"],
        vec!["/bin/../usr/bin/echo", "x"],
        vec!["/tmp/echo", "x"],
        vec!["ECHO", "x"],
        vec!["echo ", "x"],
        vec![" uptime"],
        vec!["uptime\n"],
        vec!["uptime", "-V"],
        vec!["uptime", "--since"],
        vec!["uptime;id"],
        vec!["uptime&&id"],
        vec![&marker, "../x"],
        vec![&marker, "x y"],
        vec![&marker, "-x"],
        vec![&marker, "$HOME"],
        vec![&marker, "a", "b"],
        vec!["marker", "x"],
    ];
    let mut raw = Raw::connect(&w.stack.socket).await;
    for (i, argv) in cases.iter().enumerate() {
        let before = w.audit_count();
        let request = Request::RunCommand(RunCommand {
            argv: Argv::new(argv.iter().map(|s| s.to_string()).collect()).unwrap(),
        });
        let r = raw.call(i as u64, request).await;
        let Response::Err(e) = &r else {
            panic!("{argv:?} ran: {r:?}")
        };
        assert!(
            e.kind == ErrorKind::Denied && e.message.contains("matches no [commands] allow entry"),
            "{argv:?}: {e:?}"
        );
        let new = w.new_audit(before);
        assert!(
            new.len() == 1
                && new[0].contains("request=\"run_command argv=")
                && new[0].contains("decision=\"deny\"")
                && new[0].contains("rule=\"default deny\""),
            "{argv:?}: {new:?}"
        );
    }
    w.assert_unchanged(0);
    // The allow-listed form still runs, and its argument arrives as one word.
    let r = raw
        .call(
            999,
            Request::RunCommand(RunCommand {
                argv: Argv::new(vec![marker.clone(), "ok".into()]).unwrap(),
            }),
        )
        .await;
    assert!(
        matches!(r, Response::Ok(Payload::Command(ref o)) if o.exit_code == Some(0)),
        "{r:?}"
    );
    assert_eq!(std::fs::read_to_string(&w.marker_log).unwrap(), "ok\n");
    report(
        "hostile-commands",
        &format!(
            "{} command lines denied (argv sent raw), all audited, none ran",
            cases.len()
        ),
    );
}

/// The same attacks as a model would send them, through mcp-front: refused by the
/// front with a precise message (never reaching the helper), or denied by the helper
/// (audited). Nothing changes either way.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tool_arguments_that_try_to_escape_the_policy_are_refused_through_mcp_front() {
    let w = World::start();
    let client = w.stack.client().await.unwrap();
    // Let the front's start-up description request land before counting.
    client.tools().await.unwrap();
    let denied = "matches no [commands] allow entry";
    let floor = "fixed floor";
    let cases: Vec<(&str, Value, &str)> = vec![
        ("execute_command", json!({"command": "uptime; id"}), "';'"),
        (
            "execute_command",
            json!({"command": "uptime && id"}),
            "'&&'",
        ),
        (
            "execute_command",
            json!({"command": "uptime || id"}),
            "'||'",
        ),
        ("execute_command", json!({"command": "echo a | sh"}), "'|'"),
        ("execute_command", json!({"command": "echo $(id)"}), "'$('"),
        ("execute_command", json!({"command": "echo `id`"}), "'`'"),
        (
            "execute_command",
            json!({"command": "echo ${PATH}"}),
            "'${'",
        ),
        ("execute_command", json!({"command": "echo *"}), "'*'"),
        ("execute_command", json!({"command": "echo /etc/*"}), "'*'"),
        (
            "execute_command",
            json!({"command": "echo a > /etc/motd"}),
            "'>'",
        ),
        (
            "execute_command",
            json!({"command": "uptime\nid"}),
            "a line break",
        ),
        (
            "execute_command",
            json!({"command": "echo 'a\nid'"}),
            "a line break",
        ),
        ("execute_command", json!({"command": "echo -- x"}), denied),
        ("execute_command", json!({"command": "echo --help"}), denied),
        (
            "execute_command",
            json!({"command": "echo -e '\\x41'"}),
            denied,
        ),
        (
            "execute_command",
            json!({"command": "FOO=bar uptime"}),
            "would not set an environment variable",
        ),
        (
            "execute_command",
            json!({"command": "env LD_PRELOAD=/tmp/x.so uptime"}),
            denied,
        ),
        (
            "execute_command",
            json!({"command": "sh -c uptime"}),
            denied,
        ),
        (
            "execute_command",
            json!({"command": "/bin/../usr/bin/uptime"}),
            denied,
        ),
        ("execute_command", json!({"command": "UPTIME"}), denied),
        ("execute_command", json!({"command": "echo 'a b'"}), denied),
        (
            "execute_command",
            json!({"command": "echo \"$HOME\""}),
            "'$' inside",
        ),
        (
            "execute_command",
            json!({"command": "echo 'unbalanced"}),
            "unterminated quote",
        ),
        (
            "execute_command",
            json!({"command": "echo a\\"}),
            "a backslash",
        ),
        (
            "execute_command",
            json!({"command": "echo a\u{0}b"}),
            "NUL byte",
        ),
        (
            "execute_command",
            json!({"command": format!("echo {}", "a ".repeat(70))}),
            "at most 64",
        ),
        (
            "execute_command",
            json!({"command": format!("echo {}", "a".repeat(5000))}),
            "longer than 4096 bytes",
        ),
        (
            "execute_command",
            json!({"command": "x".repeat(40_000)}),
            "longer than 32768 bytes",
        ),
        (
            "execute_command",
            json!({"command": ["uptime"]}),
            "Invalid arguments",
        ),
        (
            "execute_command",
            json!({"command": "uptime", "env": {"A": "1"}}),
            "Invalid arguments",
        ),
        ("vm_status", json!({"vmid": 0}), "vmid 0 is out of range"),
        ("vm_status", json!({"vmid": -1}), "Invalid arguments"),
        (
            "vm_status",
            json!({"vmid": 4_294_967_296u64}),
            "out of range",
        ),
        (
            "vm_status",
            json!({"vmid": 99_999_999_999u64}),
            "out of range",
        ),
        ("vm_status", json!({"vmid": "101"}), "Invalid arguments"),
        ("vm_status", json!({"vmid": 101.5}), "Invalid arguments"),
        ("vm_status", json!({"vmid": null}), "Invalid arguments"),
        (
            "vm_status",
            json!({"vmid": 155}),
            "does not exist or is not visible",
        ),
        (
            "vm_action",
            json!({"vmid": 101, "action": "destroy"}),
            "Invalid arguments",
        ),
        (
            "vm_action",
            json!({"vmid": 101, "action": "STOP"}),
            "Invalid arguments",
        ),
        (
            "vm_action",
            json!({"vmid": -1, "action": "start"}),
            "Invalid arguments",
        ),
        (
            "vm_action",
            json!({"vmid": 101, "action": "stop"}),
            "guests.actions",
        ),
        (
            "vm_action",
            json!({"vmid": 120, "action": "start"}),
            "does not exist or is not visible",
        ),
        (
            "vm_action",
            json!({"vmid": 101, "action": "start", "confirmed": true}),
            "Invalid arguments",
        ),
        ("list_vms", json!({"limit": 0}), "out of range"),
        ("list_vms", json!({"node": "../pve1"}), "is invalid"),
        ("node_status", json!({"node": "pve1; id"}), "is invalid"),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/../access/users", "method": "POST"}),
            "'..'",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/%2e%2e/access"}),
            "'..'",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1%2Fexecute", "method": "POST"}),
            "0x2F",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "//access/users"}),
            "empty segment",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1;execute", "method": "POST"}),
            "';'",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version?x=1"}),
            "query string",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version\u{0}"}),
            "printable ASCII",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1/termpr\u{043e}xy", "method": "POST"}),
            "printable ASCII",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/api2/json\\access/users", "method": "POST"}),
            "below /api2/json",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1/termproxy/", "method": "post"}),
            floor,
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve1/execute", "method": "Post"}),
            floor,
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/access/users", "method": "POST", "data": {"userid": "x@pve"}}),
            floor,
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/nodes/pve2/qemu/101/config", "method": "PUT", "data": {"hookscript": "local:snippets/x.pl"}}),
            floor,
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "PATCH"}),
            "PATCH",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "HEAD"}),
            "HEAD",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "OPTIONS"}),
            "OPTIONS",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "TRACE"}),
            "TRACE",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "method": "CONNECT"}),
            "CONNECT",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "data": {"a&b": "1"}}),
            "parameter name",
        ),
        (
            "proxmox_api",
            json!({"endpoint": "/version", "data": {"x": {"y": 1}}}),
            "array or object",
        ),
    ];
    let mut reached = 0;
    for (tool, args, needle) in &cases {
        let before = w.audit_count();
        let r = client.call(tool, args.clone()).await.unwrap();
        assert!(is_error(&r), "{tool} {args} succeeded: {r}");
        let t = text(&r);
        assert!(t.contains(needle), "{tool} {args}: {t}");
        let new: Vec<String> = w
            .new_audit(before)
            .into_iter()
            .filter(|l| !l.contains("request=\"describe"))
            .collect();
        let refused_by_helper = [denied, floor, "does not exist", "guests.actions"]
            .iter()
            .any(|n| needle.contains(n));
        if refused_by_helper {
            assert!(
                new.len() == 1 && !new[0].contains("decision=\"allow\""),
                "{tool} {args}: {new:?}"
            );
            reached += 1;
        } else {
            assert!(new.is_empty(), "{tool} {args} reached the helper: {new:?}");
        }
    }
    w.assert_unchanged(0);
    report(
        "hostile-mcp",
        &format!(
            "{} tool calls refused through mcp-front ({} by the front, {} by the helper, audited)",
            cases.len(),
            cases.len() - reached,
            reached
        ),
    );
}
