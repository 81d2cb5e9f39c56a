//! Unit tests of parsing and deciding, on small inline policies.

use super::*;
use pve_mcp_proto::*;
use std::path::Path;

const POLICY: &str = r#"
[clients]
users = ["claude-user", 1000]

[guests]
allow = ["100-199", "pool:lab", "tag:mcp"]
deny = ["150"]
actions = ["start", "shutdown", "reboot"]

[api]
allow = ["GET /version", "GET /cluster/resources", "GET /nodes/*/status", "GET /nodes/*/qemu/*/config"]

[commands]
allow = [["uptime"], ["df", "-h"], ["df", "-h", "*"]]
timeout_secs = 5
max_output_bytes = 1000
"#;

fn policy() -> Policy {
    Policy::parse(POLICY, Path::new("policy.toml")).unwrap().0
}

fn guest(vmid: u32, node: &str, pool: Option<&str>, tags: &[&str]) -> GuestFacts {
    GuestFacts {
        vmid: VmId::new(vmid.into()).unwrap(),
        node: NodeName::parse(node).unwrap(),
        guest_type: GuestType::Qemu,
        pool: pool.map(str::to_owned),
        tags: tags.iter().map(|t| t.to_string()).collect(),
        running: false,
    }
}

fn facts() -> Facts {
    let mut f = Facts::default();
    for g in [
        guest(101, "pve1", None, &[]),
        guest(150, "pve1", Some("lab"), &["mcp"]),
        guest(250, "pve2", Some("lab"), &[]),
        guest(300, "pve2", None, &["MCP"]),
        guest(400, "pve2", Some("prod"), &["db"]),
    ] {
        f.guests.insert(g.vmid, g);
    }
    f
}

fn vmid(n: u32) -> VmId {
    VmId::new(n.into()).unwrap()
}

fn action(n: u32, a: GuestAction) -> Request {
    Request::GuestAction(GuestActionRequest {
        vmid: vmid(n),
        action: a,
        confirmed: false,
    })
}

fn api(method: ApiMethod, path: &str) -> Request {
    Request::Api(ApiCall {
        method,
        path: ApiPath::parse(path).unwrap(),
        params: ApiParams::default(),
    })
}

fn cmd(argv: &[&str]) -> Request {
    Request::RunCommand(RunCommand {
        argv: Argv::new(argv.iter().map(|s| s.to_string()).collect()).unwrap(),
    })
}

fn allowed(r: &Request) -> bool {
    matches!(decide(&policy(), r, &facts()), Decision::Allow { .. })
}

#[test]
fn scope_selectors_and_deny_wins() {
    let status = |n| Request::GuestStatus(GuestRef { vmid: vmid(n) });
    assert!(allowed(&status(101)), "range");
    assert!(allowed(&status(250)), "pool");
    assert!(allowed(&status(300)), "tag, case-insensitive");
    assert!(
        matches!(
            decide(&policy(), &status(150), &facts()),
            Decision::NotFound { .. }
        ),
        "deny beats allow"
    );
    assert!(
        matches!(
            decide(&policy(), &status(400), &facts()),
            Decision::NotFound { .. }
        ),
        "out of scope"
    );
    assert!(
        matches!(
            decide(&policy(), &status(199), &facts()),
            Decision::NotFound { .. }
        ),
        "nonexistent"
    );
}

#[test]
fn actions_need_a_grant_and_say_which_rule() {
    assert!(allowed(&action(101, GuestAction::Start)));
    let d = decide(&policy(), &action(101, GuestAction::Stop), &facts());
    let Decision::Deny { rule, reason } = d else {
        panic!("{d:?}")
    };
    assert_eq!(rule, Rule::GuestsActions);
    assert!(
        reason.contains("add \"stop\" to [guests] actions, or to a [[rule]] whose guests include 101, in policy.toml"),
        "{reason}"
    );
    // Out of scope is not found, whatever the action.
    assert!(matches!(
        decide(&policy(), &action(400, GuestAction::Start), &facts()),
        Decision::NotFound { .. }
    ));
}

#[test]
fn api_patterns_floor_and_path_vmids() {
    assert!(allowed(&api(ApiMethod::Get, "/version")));
    assert!(allowed(&api(ApiMethod::Get, "/nodes/pve1/status")));
    assert!(!allowed(&api(ApiMethod::Post, "/version")));
    assert!(!allowed(&api(ApiMethod::Get, "/nodes")));
    assert!(allowed(&api(ApiMethod::Get, "/nodes/pve1/qemu/101/config")));
    assert!(matches!(
        decide(
            &policy(),
            &api(ApiMethod::Get, "/nodes/pve2/qemu/400/config"),
            &facts()
        ),
        Decision::NotFound { .. }
    ));
    let d = decide(
        &policy(),
        &api(ApiMethod::Post, "/nodes/pve1/termproxy"),
        &facts(),
    );
    assert!(
        matches!(&d, Decision::Deny { rule, .. } if *rule == Rule::FixedFloor),
        "{d:?}"
    );
    let upid = "/nodes/pve2/tasks/UPID:pve2:0000000A:0000000B:6000:qmstop:400:root@pam:/status";
    assert!(matches!(
        decide(&policy(), &api(ApiMethod::Get, upid), &facts()),
        Decision::NotFound { .. }
    ));
}

#[test]
fn node_and_task_status() {
    let node = |n: Option<&str>| {
        Request::NodeStatus(NodeQuery {
            node: n.map(|n| NodeName::parse(n).unwrap()),
        })
    };
    assert!(allowed(&node(Some("pve1"))));
    assert!(!allowed(&node(None)), "GET /nodes is not granted");
    let task = |u: &str| {
        Request::TaskStatus(TaskRef {
            upid: Upid::parse(u).unwrap(),
        })
    };
    assert!(allowed(&task(
        "UPID:pve1:0000000A:0000000B:6000:qmstart:101:mcp@pve!mcp:"
    )));
    assert!(!allowed(&task(
        "UPID:pve2:0000000A:0000000B:6000:qmstart:400:mcp@pve!mcp:"
    )));
    assert!(!allowed(&task(
        "UPID:pve2:0000000A:0000000B:6000:vzdump::mcp@pve!mcp:"
    )));
}

#[test]
fn commands_match_argument_for_argument() {
    assert!(allowed(&cmd(&["uptime"])));
    assert!(allowed(&cmd(&["/usr/bin/uptime"])));
    assert!(allowed(&cmd(&["df", "-h"])));
    assert!(allowed(&cmd(&["df", "-h", "tmpfs"])));
    for hostile in [
        &["uptime", "-p"][..],
        &["uptime;", "id"],
        &["df", "-h", "/"],
        &["df", "-h", "--output"],
        &["df", "-h", "a", "b"],
        &["sh", "-c", "uptime"],
        &["uptime && id"],
        &["df", "-h", "$(id)"],
    ] {
        assert!(!allowed(&cmd(hostile)), "{hostile:?}");
    }
}

#[test]
fn listing_is_allowed_and_filtered_by_scope() {
    let p = policy();
    assert!(allowed(&Request::ListGuests(ListGuests::default())));
    let visible: Vec<u32> = facts()
        .guests
        .values()
        .filter(|g| p.guest_scope(*g).is_some())
        .map(|g| g.vmid.get())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    assert_eq!(visible, vec![101, 250, 300]);
}

fn errors(text: &str) -> Vec<String> {
    match Policy::parse(text, Path::new("p.toml")) {
        Ok(_) => Vec::new(),
        Err(PolicyError::Invalid(d)) => d
            .into_iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| d.to_string())
            .collect(),
        Err(e) => vec![e.to_string()],
    }
}

#[test]
fn check_reports_every_error_with_position() {
    assert_eq!(
        errors("[guests]\nalow = [\"1\"]\n")[0].split(": ").next(),
        Some("p.toml:2:1")
    );
    let e = errors(
        "[clients]\nusers = [\"a\"]\n[guests]\nallow = [\"199-100\", \"pool:\", \"x:y\", \"5\"]\nactions = [\"start\", \"destroy\", \"start\"]\n[api]\nallow = [\"GET nodes\", \"PATCH /x\", \"POST /nodes/*/termproxy\", \"GET /version\", \"GET /version\"]\n[commands]\nallow = [[\"no-such-program-xyz\"], []]\ntimeout_secs = 0\n",
    );
    let want = [
        "p.toml:4:10:",
        "p.toml:4:21:",
        "p.toml:4:30:",
        "p.toml:4:37:",
        "p.toml:5:21:",
        "p.toml:5:32:",
        "p.toml:7:10:",
        "p.toml:7:23:",
        "p.toml:7:35:",
        "p.toml:7:78:",
        "p.toml:9:10:",
        "p.toml:9:35:",
        "p.toml:10:16:",
    ];
    for w in want {
        assert!(e.iter().any(|l| l.starts_with(w)), "missing {w} in {e:#?}");
    }
    assert_eq!(e.len(), want.len(), "{e:#?}");
    assert!(e.iter().any(|l| l.contains("fixed floor")));
}

#[test]
fn shipped_policies_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../policy");
    let mut files = vec![root.join("policy.toml")];
    for e in std::fs::read_dir(root.join("examples")).unwrap() {
        files.push(e.unwrap().path());
    }
    for f in files {
        if let Err(e) = Policy::load(&f) {
            panic!("{}: {e}", f.display());
        }
    }
}

const RULES: &str = r#"
[clients]
users = [1000]

[guests]
allow = ["100-199", "pool:lab", "tag:mcp&type:lxc"]
deny = ["150"]
actions = ["start", "shutdown"]

[[rule]]
name = "lab power"
guests = ["pool:lab"]
actions = ["stop", "reset", "snapshot.rollback"]
confirm = ["reset", "snapshot.rollback"]

[[rule]]
name = "web reboots"
guests = ["tag:web", "node:pve2&type:qemu"]
actions = ["reboot"]
confirm = ["reboot"]

[commands]
timeout_secs = 3
env = ["TZ"]
allow = [["uptime"]]

[[command]]
argv = ["echo", "status", "{vmid}", "{node}"]
timeout_secs = 30
max_output_bytes = 100

[limits]
requests_per_minute = 60
concurrent = 4
"#;

fn rules_policy() -> Policy {
    Policy::parse(RULES, Path::new("p.toml")).unwrap().0
}

fn rules_facts() -> Facts {
    let mut f = Facts::default();
    let mut lxc = guest(300, "pve1", None, &["mcp"]);
    lxc.guest_type = GuestType::Lxc;
    for g in [
        guest(101, "pve1", Some("lab"), &[]),
        guest(102, "pve2", None, &["web"]),
        guest(103, "pve1", None, &[]),
        guest(250, "pve2", Some("lab"), &["web"]),
        lxc,
        guest(301, "pve1", None, &["mcp"]),
        guest(400, "pve2", None, &[]),
    ] {
        f.guests.insert(g.vmid, g);
    }
    f
}

fn decide_rules(r: &Request) -> Decision {
    decide(&rules_policy(), r, &rules_facts())
}

fn confirmed(n: u32, a: GuestAction) -> Request {
    Request::GuestAction(GuestActionRequest {
        vmid: vmid(n),
        action: a,
        confirmed: true,
    })
}

#[test]
fn rules_grant_on_part_of_the_scope() {
    assert!(
        matches!(decide_rules(&action(101, GuestAction::Stop)), Decision::Allow { ref rule } if *rule == Rule::Grant("lab power".into()))
    );
    assert!(
        matches!(
            decide_rules(&action(103, GuestAction::Stop)),
            Decision::Deny { .. }
        ),
        "not in the lab pool"
    );
    assert!(
        matches!(decide_rules(&action(103, GuestAction::Start)), Decision::Allow { ref rule } if *rule == Rule::GuestsActions)
    );
    // Combined selectors: tag:mcp&type:lxc brings 300 into scope, not 301.
    assert!(matches!(
        decide_rules(&Request::GuestStatus(GuestRef { vmid: vmid(300) })),
        Decision::Allow { .. }
    ));
    assert!(matches!(
        decide_rules(&Request::GuestStatus(GuestRef { vmid: vmid(301) })),
        Decision::NotFound { .. }
    ));
    // A rule never widens the scope: 400 is a qemu guest on pve2 ("web reboots"
    // covers it) but no [guests] allow selector matches it.
    assert!(matches!(
        decide_rules(&confirmed(400, GuestAction::Reboot)),
        Decision::NotFound { .. }
    ));
}

#[test]
fn confirm_is_required_until_confirmed() {
    let d = decide_rules(&action(101, GuestAction::Reset));
    let Decision::Confirm { rule, reason } = d else {
        panic!("{d:?}")
    };
    assert_eq!(rule, Rule::Grant("lab power".into()));
    assert!(reason.contains("confirm of rule \"lab power\""), "{reason}");
    assert!(matches!(
        decide_rules(&confirmed(101, GuestAction::Reset)),
        Decision::Allow { .. }
    ));
    // reboot: granted by "web reboots" on tag:web (102) and on node:pve2&type:qemu (250).
    assert!(matches!(
        decide_rules(&action(102, GuestAction::Reboot)),
        Decision::Confirm { .. }
    ));
    assert!(matches!(
        decide_rules(&confirmed(250, GuestAction::Reboot)),
        Decision::Allow { .. }
    ));
    assert!(matches!(
        decide_rules(&confirmed(103, GuestAction::Reboot)),
        Decision::Deny { .. }
    ));
}

#[test]
fn command_placeholders_check_the_scope() {
    assert!(matches!(
        decide_rules(&cmd(&["echo", "status", "101", "pve1"])),
        Decision::Allow { .. }
    ));
    assert!(
        matches!(
            decide_rules(&cmd(&["echo", "status", "150", "pve1"])),
            Decision::NotFound { .. }
        ),
        "denied guest"
    );
    assert!(
        matches!(
            decide_rules(&cmd(&["echo", "status", "999", "pve1"])),
            Decision::NotFound { .. }
        ),
        "no such guest"
    );
    assert!(matches!(
        decide_rules(&cmd(&["echo", "status", "x", "pve1"])),
        Decision::Deny { .. }
    ));
    assert_eq!(
        referenced_vmids(&rules_policy(), &cmd(&["echo", "status", "101", "pve1"])),
        vec![vmid(101)]
    );
    let p = rules_policy();
    let echo = p
        .commands
        .allow
        .iter()
        .find(|r| r.spelled == "echo")
        .unwrap();
    assert_eq!((echo.timeout.as_secs(), echo.max_output_bytes), (30, 100));
    let up = p
        .commands
        .allow
        .iter()
        .find(|r| r.spelled == "uptime")
        .unwrap();
    assert_eq!(up.timeout.as_secs(), 3);
    assert_eq!(p.commands.env, vec!["TZ"]);
    assert_eq!((p.limits.requests_per_minute, p.limits.concurrent), (60, 4));
}

#[test]
fn summary_and_capabilities_describe_the_policy() {
    let p = rules_policy();
    let s = p.summary();
    for want in [
        "clients: uid 1000",
        "guests: 100-199, pool:lab, tag:mcp&type:lxc minus 150",
        "actions: start, shutdown on every guest in scope",
        "rule \"lab power\": stop, reset, snapshot.rollback on pool:lab (confirm: reset, snapshot.rollback)",
        "commands: uptime (3 s, 65536 bytes), echo status {vmid} {node} (30 s, 100 bytes)",
        "limits: 60 requests per minute, 4 at a time, per client",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    let c = p.capabilities();
    assert_eq!(c.grants.len(), 3);
    assert_eq!(
        c.grants[1].confirm,
        [
            Operation::Power(GuestAction::Reset),
            Operation::SnapshotRollback
        ]
    );
    assert!(!c.node_list && !c.node_detail);
    // The front waits for the longest command (uptime 3 s, echo 30 s).
    assert_eq!(c.command_timeout_secs, 30);
    assert_eq!(
        Policy::parse("", Path::new("p"))
            .unwrap()
            .0
            .capabilities()
            .command_timeout_secs,
        0
    );
}

/// `check` says which `[api]` patterns open endpoints that are refused whatever the
/// policy says, and which open nothing at all.
#[test]
fn check_names_patterns_that_open_refused_endpoints_or_nothing() {
    let text = r#"
        [clients]
        users = ["u"]
        [api]
        allow = ["POST /nodes/*/startall", "GET /cluster/**", "GET /nothing/here", "GET /version"]
    "#;
    let (_, warnings) = Policy::parse(text, Path::new("p.toml")).unwrap();
    let all: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    let about = |pattern: &str, needle: &str| {
        all.iter()
            .any(|w| w.contains(&format!("\"{pattern}\"")) && w.contains(needle))
    };
    assert!(
        about("POST /nodes/*/startall", "refuses whatever the policy says"),
        "{all:#?}"
    );
    assert!(about("GET /cluster/**", "GET /cluster/log"), "{all:#?}");
    assert!(
        about("GET /nothing/here", "matches no endpoint"),
        "{all:#?}"
    );
    assert!(
        !all.iter().any(|w| w.contains("\"GET /version\"")),
        "{all:#?}"
    );
}

/// `check` warns when disk moves are granted with nowhere for disks to go, and when the
/// source's deletion is granted without `confirm`.
#[test]
fn check_warns_about_disk_moves_without_storages_or_unconfirmed_deletes() {
    let text = r#"
        [clients]
        users = ["u"]
        [guests]
        allow = ["pool:lab"]
        actions = ["disk.move", "disk.move.delete"]
    "#;
    let (_, warnings) = Policy::parse(text, Path::new("p.toml")).unwrap();
    let all: Vec<String> = warnings.iter().map(ToString::to_string).collect();
    assert!(
        all.iter()
            .any(|w| w.contains("disk.move is granted but [bounds] storages")),
        "{all:#?}"
    );
    assert!(
        all.iter()
            .any(|w| w.contains("disk.move.delete") && w.contains("confirm")),
        "{all:#?}"
    );
}

/// `check` warns when a guest's firewall may be turned off without the user asked,
/// and says nothing once `confirm` marks it.
#[test]
fn check_warns_about_an_unconfirmed_firewall_switch() {
    let warned = |confirm: &str| {
        let text = format!(
            "[clients]\nusers = [\"u\"]\n[guests]\nallow = [\"pool:lab\"]\n\
             actions = [\"firewall.enable\"]\nconfirm = [{confirm}]\n"
        );
        let (_, warnings) = Policy::parse(&text, Path::new("p.toml")).unwrap();
        warnings
            .iter()
            .map(ToString::to_string)
            .filter(|w| w.contains("firewall.enable") && w.contains("without confirm"))
            .collect::<Vec<_>>()
    };
    let unconfirmed = warned("");
    assert_eq!(unconfirmed.len(), 1, "{unconfirmed:#?}");
    assert!(unconfirmed[0].contains("p.toml:5:12:"), "{unconfirmed:#?}");
    assert!(warned("\"firewall.enable\"").is_empty());
}

#[test]
fn plans_only_is_read_and_a_typo_in_its_section_is_an_error() {
    let base = "[clients]\nusers = [\"a\"]\n";
    let (p, _) = Policy::parse(
        &format!("{base}[changes]\nplans_only = true\n"),
        Path::new("p.toml"),
    )
    .expect("valid");
    assert!(p.plans_only);
    let (p, _) = Policy::parse(base, Path::new("p.toml")).expect("valid");
    assert!(
        !p.plans_only,
        "changes are made unless the policy says otherwise"
    );
    let e = errors(&format!("{base}[changes]\nplan_only = true\n"));
    assert!(e.iter().any(|l| l.contains("plan_only")), "{e:?}");
}
