//! `pve-helper setup` and `status` as an admin runs them, against a stand-in `pveum`
//! and `systemctl` first on PATH (shell scripts that keep state in files and record
//! every call) and a fake certificate: dry run, first run, idempotent second run, token
//! rotation, and that the token secret never reaches the output.

use std::{
    os::unix::fs::{MetadataExt, PermissionsExt},
    path::{Path, PathBuf},
    process::{Command, Output},
};

/// A stand-in for PVE's `pveum`: users, roles, ACLs and tokens as files under $STATE.
const FAKE_PVEUM: &str = r#"#!/bin/bash
set -euo pipefail
S="$STATE"; echo "pveum $*" >> "$S/log"
json() { local sep=""; printf '['; while read -r l; do [ -n "$l" ] && { printf '%s%s' "$sep" "$l"; sep=","; }; done; printf ']\n'; }
case "$1 $2" in
  "user list") { echo '{"userid":"root@pam","enable":1}'; [ -f "$S/user" ] && echo "{\"userid\":\"$(cat "$S/user")\",\"enable\":1}"; true; } | json ;;
  "role list") { echo '{"roleid":"PVEAdmin","privs":"Sys.Audit,VM.Allocate","special":1}'; for r in "$S"/role.*; do [ -f "$r" ] && echo "{\"roleid\":\"${r##*/role.}\",\"privs\":\"$(cat "$r")\",\"special\":0}"; done; true; } | json ;;
  "acl list") { [ -f "$S/acl" ] && cat "$S/acl"; true; } | json ;;
  "user add") [ ! -f "$S/user" ] || { echo "create user failed: user '$3' already exists" >&2; exit 255; }; echo "$3" > "$S/user" ;;
  "role add") [ ! -f "$S/role.$3" ] || { echo "role '$3' already exists" >&2; exit 255; }; echo "$5" > "$S/role.$3" ;;
  "role modify") echo "$5" > "$S/role.$3" ;;
  "acl modify") kind=user; [ "$4" = --tokens ] && kind=token
     grep -v "\"ugid\":\"$5\"" "$S/acl" > "$S/acl.new" 2>/dev/null || true; mv "$S/acl.new" "$S/acl"
     echo "{\"path\":\"$3\",\"type\":\"$kind\",\"ugid\":\"$5\",\"roleid\":\"$7\",\"propagate\":1}" >> "$S/acl" ;;
  "user token")
    case "$3" in
      list) { [ -f "$S/token" ] && echo "{\"tokenid\":\"$(cat "$S/token")\",\"privsep\":1}"; true; } | json ;;
      add) [ ! -f "$S/token" ] || { echo "Token already exists." >&2; exit 255; }
           n=$(( $(cat "$S/serial" 2>/dev/null || echo 0) + 1 )); echo $n > "$S/serial"; echo "$5" > "$S/token"
           echo "{\"full-tokenid\":\"$4!$5\",\"info\":{\"privsep\":\"1\"},\"value\":\"5ec12e7-000$n\"}" ;;
      remove) rm -f "$S/token"; grep -v "\"type\":\"token\"" "$S/acl" > "$S/acl.new" || true; mv "$S/acl.new" "$S/acl" ;;
    esac ;;
  *) echo "fake pveum: unknown command $*" >&2; exit 2 ;;
esac
"#;

/// A stand-in for `pveversion`, printing the release the test asks for.
const FAKE_PVEVERSION: &str =
    "#!/bin/sh\necho \"pve-manager/${PVE_RELEASE}/0123abcd (running kernel: 6.8.12-4-pve)\"\n";

const FAKE_SYSTEMCTL: &str = "#!/bin/sh\necho \"systemctl $*\" >> \"$STATE/log\"\n[ \"$1\" = is-active ] && echo active\nexit 0\n";

/// A certificate file: a DER blob need not be a real certificate to be fingerprinted.
const CERT: &str =
    "-----BEGIN CERTIFICATE-----\ncHZlLW1jcCB0ZXN0IGNlcnRpZmljYXRl\n-----END CERTIFICATE-----\n";
const CERT_FP: &str = "47:7B:53:54:03:03:39:32:39:D2:DC:A5:F0:C8:6D:91:E8:9A:AF:4F:3B:89:25:0A:F2:38:39:7B:36:46:8A:F5";

struct Node {
    dir: tempfile::TempDir,
}

impl Node {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path();
        std::fs::create_dir_all(p.join("bin")).unwrap();
        std::fs::create_dir_all(p.join("state")).unwrap();
        for (name, text) in [
            ("pveum", FAKE_PVEUM),
            ("systemctl", FAKE_SYSTEMCTL),
            ("pveversion", FAKE_PVEVERSION),
        ] {
            let f = p.join("bin").join(name);
            std::fs::write(&f, text).unwrap();
            std::fs::set_permissions(&f, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::write(p.join("cert.pem"), CERT).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        std::fs::copy(root.join("policy/policy.toml"), p.join("policy.toml")).unwrap();
        let shipped = std::fs::read_to_string(root.join("debian/helper.toml")).unwrap();
        let config = shipped
            .replace(
                "/etc/pve-mcp/policy.toml",
                p.join("policy.toml").to_str().unwrap(),
            )
            .replace("/etc/pve-mcp/token", p.join("token").to_str().unwrap());
        std::fs::write(p.join("helper.toml"), config).unwrap();
        std::fs::set_permissions(
            p.join("helper.toml"),
            std::fs::Permissions::from_mode(0o640),
        )
        .unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_on("9.0.10", args)
    }

    fn run_on(&self, release: &str, args: &[&str]) -> Output {
        let path = format!(
            "{}:{}",
            self.path("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new(env!("CARGO_BIN_EXE_pve-helper"))
            .arg("--config")
            .arg(self.path("helper.toml"))
            .args(args)
            .env("PATH", path)
            .env("STATE", self.path("state"))
            .env("PVE_RELEASE", release)
            .output()
            .unwrap()
    }

    fn setup(&self, extra: &[&str]) -> String {
        let cert = self.path("cert.pem");
        let mut args = vec![
            "setup",
            "--pve-cert",
            cert.to_str().unwrap(),
            "--host",
            "pve1.example.org",
        ];
        args.extend(extra);
        let out = self.run(&args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "setup {extra:?} failed:\n{text}");
        assert!(!text.contains("5ec12e7"), "the secret was printed:\n{text}");
        text
    }

    /// The calls recorded since the last one, and forget them.
    fn calls(&self) -> Vec<String> {
        let log = self.path("state/log");
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let _ = std::fs::remove_file(&log);
        text.lines().map(str::to_owned).collect()
    }
}

fn writes(calls: &[String]) -> Vec<&str> {
    calls
        .iter()
        .map(String::as_str)
        .filter(|c| !c.contains(" list") && !c.contains("is-active"))
        .collect()
}

fn is_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

#[test]
fn dry_run_shows_the_plan_and_changes_nothing() {
    let node = Node::new();
    let before = std::fs::read_to_string(node.path("helper.toml")).unwrap();
    let out = node.setup(&["--dry-run"]);
    for expected in [
        "would run: pveum user add mcp@pve --comment 'pve-mcp helper (managed by pve-helper setup)'",
        "would run: pveum role add MCPHelper --privs Sys.Audit,VM.Audit",
        "would run: pveum acl modify / --users mcp@pve --roles MCPHelper",
        "would run: pveum user token add mcp@pve mcp --privsep 1",
        "would run: pveum acl modify / --tokens 'mcp@pve!mcp' --roles MCPHelper",
        &format!("would pin {CERT_FP}"),
        "claude mcp add proxmox -- ssh claude-user@pve1.example.org",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
    assert_eq!(writes(&node.calls()), Vec::<&str>::new());
    assert_eq!(
        std::fs::read_to_string(node.path("helper.toml")).unwrap(),
        before
    );
    assert!(!node.path("token").exists());
}

#[test]
fn setup_converges_and_is_idempotent() {
    if !is_root() {
        eprintln!("skipped: setup needs root");
        return;
    }
    let node = Node::new();
    let before = std::fs::read_to_string(node.path("helper.toml")).unwrap();
    let out = node.setup(&[]);
    let calls = node.calls();
    assert_eq!(
        writes(&calls),
        [
            "pveum user add mcp@pve --comment pve-mcp helper (managed by pve-helper setup)",
            "pveum role add MCPHelper --privs Sys.Audit,VM.Audit",
            "pveum acl modify / --users mcp@pve --roles MCPHelper",
            "pveum user token add mcp@pve mcp --privsep 1 --comment pve-mcp helper --output-format json",
            "pveum acl modify / --tokens mcp@pve!mcp --roles MCPHelper",
            "systemctl enable --quiet pve-mcp-helper.service",
            "systemctl restart pve-mcp-helper.service",
        ],
        "{out}"
    );
    let token = node.path("token");
    assert_eq!(
        std::fs::read_to_string(&token).unwrap(),
        "mcp@pve!mcp=5ec12e7-0001\n"
    );
    assert_eq!(std::fs::metadata(&token).unwrap().mode() & 0o777, 0o600);
    // Only the fingerprint's value changed; comments and mode are kept.
    let after = std::fs::read_to_string(node.path("helper.toml")).unwrap();
    let placeholder = ["00"; 32].join(":");
    assert_eq!(after, before.replace(&placeholder, CERT_FP));
    assert_eq!(
        std::fs::metadata(node.path("helper.toml")).unwrap().mode() & 0o777,
        0o640
    );

    let again = node.setup(&[]);
    assert!(
        again.contains("are up to date") && again.contains("already pins"),
        "{again}"
    );
    assert_eq!(
        writes(&node.calls()),
        [
            "systemctl enable --quiet pve-mcp-helper.service",
            "systemctl start pve-mcp-helper.service"
        ]
    );

    // A policy that grants power actions widens the role, and only that.
    let policy = std::fs::read_to_string(node.path("policy.toml")).unwrap();
    std::fs::write(
        node.path("policy.toml"),
        policy.replace("actions = []", "actions = [\"start\", \"shutdown\"]"),
    )
    .unwrap();
    node.setup(&["--no-start"]);
    assert_eq!(
        writes(&node.calls()),
        ["pveum role modify MCPHelper --privs Sys.Audit,VM.Audit,VM.PowerMgmt"]
    );

    // A lost token file means a new token (the secret cannot be read back).
    std::fs::remove_file(&token).unwrap();
    node.setup(&["--no-start"]);
    assert_eq!(
        writes(&node.calls()),
        [
            "pveum user token remove mcp@pve mcp",
            "pveum user token add mcp@pve mcp --privsep 1 --comment pve-mcp helper --output-format json",
            "pveum acl modify / --tokens mcp@pve!mcp --roles MCPHelper",
        ]
    );
    assert_eq!(
        std::fs::read_to_string(&token).unwrap(),
        "mcp@pve!mcp=5ec12e7-0002\n"
    );
}

#[test]
fn setup_refuses_a_broken_policy() {
    let node = Node::new();
    std::fs::write(node.path("policy.toml"), "[guests]\nallow = [\"tag:\"]\n").unwrap();
    let out = node.run(&["setup", "--dry-run"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("policy.toml:2:"), "{err}");
    assert!(node.calls().is_empty());
}

#[test]
fn status_reports_each_check() {
    let node = Node::new();
    let cert = node.path("cert.pem");
    let out = node.run(&["status", "--pve-cert", cert.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    // Nothing is set up: the socket and token are missing, the pin is the placeholder.
    assert!(!out.status.success(), "{text}");
    assert!(
        text.contains("  ok  service    pve-mcp-helper.service active"),
        "{text}"
    );
    assert!(text.contains("FAIL  socket"), "{text}");
    assert!(text.contains("FAIL  token"), "{text}");
    assert!(text.contains("warn  pin"), "{text}");
    assert!(text.contains("  ok  policy"), "{text}");
    assert!(text.contains("clients: claude-user"), "{text}");
}

/// The guest agent's privileges differ: PVE 9 dropped VM.Monitor (its pveum refuses
/// it) for VM.GuestAgent.Audit and VM.GuestAgent.Unrestricted. Setup reads the release
/// from pveversion, and refuses to guess when it cannot tell.
#[test]
fn guest_agent_privileges_follow_the_nodes_release() {
    let node = Node::new();
    let policy = concat!(
        "[clients]\nusers = [\"claude-user\"]\n[guests]\nallow = [\"tag:mcp\"]\n",
        "actions = [\"agent.read\", \"agent.exec\"]\n[agent]\nexec = [[\"uname\", \"-a\"]]\n"
    );
    std::fs::write(node.path("policy.toml"), policy).unwrap();
    let dry = |release: &str| {
        let cert = node.path("cert.pem");
        let out = node.run_on(
            release,
            &["setup", "--dry-run", "--pve-cert", cert.to_str().unwrap()],
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned()
            + &String::from_utf8_lossy(&out.stderr);
        (out.status.success(), text)
    };
    let (ok, out) = dry("9.0.10");
    assert!(ok, "{out}");
    assert!(out.contains("release: Proxmox VE 9"), "{out}");
    assert!(
        out.contains("--privs VM.Audit,VM.GuestAgent.Audit,VM.GuestAgent.Unrestricted"),
        "{out}"
    );
    assert!(!out.contains("VM.Monitor"), "{out}");
    let (ok, out) = dry("8.4.1");
    assert!(ok, "{out}");
    assert!(out.contains("--privs VM.Audit,VM.Monitor"), "{out}");
    let (ok, out) = dry("unknown");
    assert!(!ok, "{out}");
    assert!(
        out.contains("cannot tell which Proxmox VE release"),
        "{out}"
    );
}

/// A client with a policy of its own: the dry run says its account would be made and
/// confined, and the role holds what both policies need. Nothing is made (a dry run).
#[test]
fn a_clients_own_policy_adds_its_account_and_its_privileges() {
    let node = Node::new();
    std::fs::create_dir(node.path("clients.d")).unwrap();
    let ci = node.path("clients.d/ci-pve-mcp-test.toml");
    std::fs::write(
        &ci,
        "[guests]\nallow = [\"200-299\"]\nactions = [\"start\"]\n",
    )
    .unwrap();
    std::fs::set_permissions(&ci, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = node.setup(&["--dry-run"]);
    assert!(out.contains("clients.d/ci-pve-mcp-test.toml: OK"), "{out}");
    assert!(
        out.contains("client ci-pve-mcp-test: would create (home /var/lib/pve-mcp/ci-pve-mcp-test"),
        "{out}"
    );
    assert!(
        out.contains("sshd: would write /etc/ssh/sshd_config.d/pve-mcp-clients.conf"),
        "{out}"
    );
    assert!(
        out.contains("privilege VM.PowerMgmt: power actions (start)"),
        "{out}"
    );
    assert!(
        out.contains("claude mcp add proxmox -- ssh ci-pve-mcp-test@pve1.example.org"),
        "{out}"
    );
    assert!(
        no_such_user("ci-pve-mcp-test"),
        "a dry run made the account"
    );
}

/// Whether no local user has this name.
fn no_such_user(name: &str) -> bool {
    !std::fs::read_to_string("/etc/passwd")
        .unwrap()
        .lines()
        .any(|l| l.starts_with(&format!("{name}:")))
}
