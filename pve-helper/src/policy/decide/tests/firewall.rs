//! Unit tests of guest firewall changes: the operation and scope, the rule against
//! `[firewall]`, position changes judged on the rule they hit, the precedence of
//! rules outside the bounds, and the digest.

use super::{node, vmid};
use crate::policy::firewall::{GuestRules, RuleFields};
use crate::policy::*;
use pve_mcp_proto::*;
use std::path::Path;

const POLICY: &str = r#"
[guests]
allow = ["pool:lab"]
actions = ["firewall.rules"]

[[rule]]
name = "web"
guests = ["tag:web"]
actions = ["firewall.enable"]
confirm = ["firewall.enable"]

[firewall]
directions = ["in"]
actions = ["ACCEPT", "REJECT"]
protocols = ["tcp"]
dports = ["80", "443"]
sources = ["10.0.0.0/8"]
dests = ["10.0.0.0/8"]
"#;

fn policy() -> Policy {
    Policy::parse(POLICY, Path::new("p.toml")).unwrap().0
}

fn rule(pairs: &[(&str, &str)]) -> RuleFields {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn ours(port: &str) -> RuleFields {
    rule(&[
        ("type", "in"),
        ("action", "ACCEPT"),
        ("proto", "tcp"),
        ("dport", port),
        ("source", "10.1.0.0/16"),
        ("dest", "10.2.0.1"),
        ("enable", "1"),
        ("ipversion", "4"),
    ])
}

fn admin_drop() -> RuleFields {
    rule(&[
        ("type", "in"),
        ("action", "DROP"),
        ("source", "10.9.0.0/16"),
        ("enable", "1"),
    ])
}

/// 9001: a lab guest tagged web; 9002: a lab guest; 400: outside the lab. The rules
/// of 9001: ours at 0, the admin's DROP at 1, ours at 2 and 3.
fn facts(rules: Vec<RuleFields>) -> Facts {
    let mut f = Facts::default();
    for (id, pool, tags) in [
        (9001, "lab", vec!["web".to_owned()]),
        (9002, "lab", vec![]),
        (400, "prod", vec![]),
    ] {
        f.guests.insert(
            vmid(id),
            GuestFacts {
                vmid: vmid(id),
                node: node("pve1"),
                guest_type: GuestType::Qemu,
                pool: Some(pool.to_owned()),
                tags,
                running: true,
            },
        );
    }
    f.firewall = Some(GuestRules {
        rules,
        digest: Some("d1".into()),
    });
    f
}

fn standard() -> Facts {
    facts(vec![ours("80"), admin_drop(), ours("443"), ours("80")])
}

fn fw(s: &str) -> FwValue {
    FwValue::parse(s).unwrap()
}

fn new_rule(port: &str) -> FwFields {
    FwFields {
        rule_type: Some(fw("in")),
        action: Some(fw("ACCEPT")),
        proto: Some(fw("tcp")),
        dport: Some(fw(port)),
        source: Some(fw("10.0.0.0/8")),
        dest: Some(fw("10.0.0.5")),
        enable: Some(true),
        ..FwFields::default()
    }
}

fn edit(id: u64, change: FirewallChange) -> Request {
    Request::FirewallEdit(FirewallEdit {
        vmid: vmid(id),
        change,
        digest: Some(fw("d1")),
        confirmed: false,
    })
}

fn judge(r: &Request, f: &Facts) -> Decision {
    decide(&policy(), r, f)
}

fn allowed(d: &Decision) -> bool {
    matches!(d, Decision::Allow { .. })
}

fn denied_by(d: &Decision, rule: Rule) -> bool {
    matches!(d, Decision::Deny { rule: r, .. } if *r == rule)
}

#[test]
fn rules_within_bounds_are_added_below_the_admins() {
    let f = standard();
    for pos in [None, Some(2), Some(3), Some(4)] {
        let d = judge(
            &edit(
                9001,
                FirewallChange::Add {
                    rule: Box::new(new_rule("443")),
                    pos,
                },
            ),
            &f,
        );
        assert!(allowed(&d), "pos {pos:?}: {d:?}");
    }
    for pos in [Some(0), Some(1)] {
        let d = judge(
            &edit(
                9001,
                FirewallChange::Add {
                    rule: Box::new(new_rule("443")),
                    pos,
                },
            ),
            &f,
        );
        assert!(denied_by(&d, Rule::Firewall), "pos {pos:?}: {d:?}");
    }
    let d = judge(
        &edit(
            9001,
            FirewallChange::Add {
                rule: Box::new(new_rule("443")),
                pos: Some(5),
            },
        ),
        &f,
    );
    assert!(denied_by(&d, Rule::Firewall));
    // On a guest without rules outside the bounds, the top is fine.
    let clean = facts(vec![ours("80")]);
    let d = judge(
        &edit(
            9001,
            FirewallChange::Add {
                rule: Box::new(new_rule("80")),
                pos: Some(0),
            },
        ),
        &clean,
    );
    assert!(allowed(&d), "{d:?}");
}

#[test]
fn a_new_rule_outside_the_bounds_is_refused() {
    let f = standard();
    for (k, v) in [
        ("dport", "22"),
        ("dport", "1:65535"),
        ("source", "0.0.0.0/0"),
        ("proto", "udp"),
        ("action", "DROP"),
        ("type", "out"),
    ] {
        let mut r = new_rule("443");
        let value = Some(fw(v));
        match k {
            "dport" => r.dport = value,
            "source" => r.source = value,
            "proto" => r.proto = value,
            "action" => r.action = value,
            _ => r.rule_type = value,
        }
        let d = judge(
            &edit(
                9001,
                FirewallChange::Add {
                    rule: Box::new(r),
                    pos: None,
                },
            ),
            &f,
        );
        assert!(denied_by(&d, Rule::Firewall), "{k}={v:?}: {d:?}");
    }
}

#[test]
fn changes_by_position_are_judged_on_the_rule_they_hit() {
    let f = standard();
    // The admin's rule at 1 is neither deleted, changed nor moved.
    for change in [
        FirewallChange::Delete { pos: 1 },
        FirewallChange::Update {
            pos: 1,
            set: Box::new(FwFields {
                enable: Some(false),
                ..FwFields::default()
            }),
            delete: vec![],
        },
        FirewallChange::Move { pos: 1, to: 3 },
    ] {
        let d = judge(&edit(9001, change.clone()), &f);
        assert!(denied_by(&d, Rule::Firewall), "{change:?}: {d:?}");
    }
    // Ours below it may be.
    for change in [
        FirewallChange::Delete { pos: 2 },
        FirewallChange::Delete { pos: 0 },
        FirewallChange::Update {
            pos: 2,
            set: Box::new(FwFields {
                dport: Some(fw("80")),
                ..FwFields::default()
            }),
            delete: vec![],
        },
        FirewallChange::Move { pos: 3, to: 2 },
    ] {
        let d = judge(&edit(9001, change.clone()), &f);
        assert!(allowed(&d), "{change:?}: {d:?}");
    }
    // The result must be within the bounds too.
    let widen = FirewallChange::Update {
        pos: 2,
        set: Box::default(),
        delete: vec![fw("source")],
    };
    assert!(denied_by(&judge(&edit(9001, widen), &f), Rule::Firewall));
    // No rule there.
    assert!(denied_by(
        &judge(&edit(9001, FirewallChange::Delete { pos: 4 }), &f),
        Rule::Firewall
    ));
}

#[test]
fn rules_outside_the_bounds_keep_their_precedence() {
    let f = standard();
    // Ours at 0 sits above the admin's rule: it may be deleted, not changed or moved.
    let set = Box::new(FwFields {
        dport: Some(fw("443")),
        ..FwFields::default()
    });
    let d = judge(
        &edit(
            9001,
            FirewallChange::Update {
                pos: 0,
                set,
                delete: vec![],
            },
        ),
        &f,
    );
    assert!(denied_by(&d, Rule::Firewall), "{d:?}");
    // Moving ours above the admin's rule.
    for (pos, to) in [(2, 0), (2, 1), (3, 0)] {
        let d = judge(&edit(9001, FirewallChange::Move { pos, to }), &f);
        assert!(denied_by(&d, Rule::Firewall), "{pos}->{to}: {d:?}");
    }
    // Moving ours at 0 below it is fine.
    let d = judge(&edit(9001, FirewallChange::Move { pos: 0, to: 3 }), &f);
    assert!(allowed(&d), "{d:?}");
}

#[test]
fn a_stale_or_missing_digest_is_refused() {
    let f = standard();
    let mut r = edit(9001, FirewallChange::Delete { pos: 2 });
    if let Request::FirewallEdit(e) = &mut r {
        e.digest = Some(fw("other"));
    }
    assert!(denied_by(&judge(&r, &f), Rule::Firewall));
    if let Request::FirewallEdit(e) = &mut r {
        e.digest = None;
    }
    assert!(denied_by(&judge(&r, &f), Rule::Firewall));
    // Unread rules refuse the change.
    let mut unread = standard();
    unread.firewall = None;
    assert!(denied_by(
        &judge(&edit(9001, FirewallChange::Delete { pos: 2 }), &unread),
        Rule::Firewall
    ));
}

#[test]
fn operations_scope_and_confirmation() {
    let f = standard();
    // Outside the scope: as absent as a guest that does not exist.
    for id in [400, 7777] {
        let d = judge(&edit(id, FirewallChange::Delete { pos: 0 }), &f);
        let Decision::NotFound { reason } = d else {
            panic!("{d:?}")
        };
        assert!(
            reason.contains("does not exist or is not visible"),
            "{reason}"
        );
    }
    // firewall.enable only where granted, and confirmed.
    let on = FirewallChange::Enable { enable: false };
    assert!(matches!(
        judge(&edit(9001, on.clone()), &f),
        Decision::Confirm { .. }
    ));
    assert!(denied_by(&judge(&edit(9002, on), &f), Rule::GuestsActions));
    // firewall.rules does not grant enable, nor the reverse.
    let p = Policy::parse(
        &POLICY.replace("\"firewall.rules\"", "\"start\""),
        Path::new("p.toml"),
    )
    .unwrap()
    .0;
    let d = decide(&p, &edit(9002, FirewallChange::Delete { pos: 0 }), &f);
    assert!(denied_by(&d, Rule::GuestsActions), "{d:?}");
}

#[test]
fn the_section_is_read_strictly() {
    for bad in [
        "directions = [\"forward\"]",
        "actions = [\"accept\"]",
        "dports = [\"ssh\"]",
        "dports = [\"1-2\"]",
        "sources = [\"0/0\"]",
        "sources = [\"10.0.0.0/8 \"]",
        "protocols = [\"TCP\"]",
        "macros = [\"+x\"]",
        "colour = [\"red\"]",
    ] {
        let text = format!("[firewall]\n{bad}\n");
        assert!(Policy::parse(&text, Path::new("p.toml")).is_err(), "{bad}");
    }
}

#[test]
fn a_nic_firewall_flag_needs_firewall_enable() {
    let text = POLICY.replace(
        "actions = [\"firewall.rules\"]",
        "actions = [\"firewall.rules\", \"config.write\"]",
    ) + "\n[config]\nkeys = [\"net*\"]\n\n[bounds]\nbridges = [\"vmbr0\", \"vmbr1\"]\n";
    let p = Policy::parse(&text, Path::new("p.toml")).unwrap().0;
    let mut f = standard();
    let before = "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1";
    for id in [9001, 9002] {
        f.configs
            .insert(vmid(id), super::settings(&[("net0", before)]));
    }
    let set = |id: u64, v: &str| {
        let m = std::collections::BTreeMap::from([(
            ConfigKey::parse("net0").unwrap(),
            ConfigValue::parse(v).unwrap(),
        )]);
        Request::GuestConfigure(GuestConfigure {
            vmid: vmid(id),
            set: ConfigMap::try_from(m).unwrap(),
            delete: vec![],
            confirmed: false,
        })
    };
    // The flag kept: config.write alone.
    let keep = "virtio=BC:24:11:00:00:01,bridge=vmbr1,firewall=1";
    assert!(allowed(&decide(&p, &set(9002, keep), &f)));
    // The flag off: firewall.enable, which 9002 lacks and 9001 has with confirm.
    let off = "virtio=BC:24:11:00:00:01,bridge=vmbr0";
    assert!(denied_by(
        &decide(&p, &set(9002, off), &f),
        Rule::GuestsActions
    ));
    assert!(matches!(
        decide(&p, &set(9001, off), &f),
        Decision::Confirm { .. }
    ));
    let zero = "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=0";
    assert!(denied_by(
        &decide(&p, &set(9002, zero), &f),
        Rule::GuestsActions
    ));
}

#[test]
fn a_firewall_grant_lets_the_guests_firewall_be_read() {
    let f = standard();
    let read = |id: u64| {
        Request::Firewall(FirewallQuery {
            node: None,
            vmid: Some(vmid(id)),
        })
    };
    assert!(allowed(&judge(&read(9001), &f)));
    assert!(matches!(judge(&read(400), &f), Decision::NotFound { .. }));
    // Without the grant, and without [api] patterns: refused.
    let p = Policy::parse(
        &POLICY.replace("\"firewall.rules\"", "\"start\""),
        Path::new("p.toml"),
    )
    .unwrap()
    .0;
    assert!(!allowed(&decide(&p, &read(9002), &f)));
}
