use super::*;
use crate::audit::entry::{Line, parse_line};

fn entry(request: &str, decision: &str, outcome: &str) -> Entry {
    let line = serde_json::json!({
        "time": "2026-12-06T09:00:00.250Z", "peer_uid": 4_000_000_000u32, "peer_pid": 1,
        "request": request, "decision": decision, "rule": "guests.actions",
        "outcome": outcome, "upstream_status": if outcome == "upstream" { Some(500) } else { None },
    });
    match parse_line(&line.to_string()) {
        Line::Record(e) => *e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_row_per_record_under_a_header() {
    let es = [
        entry("guest_status vmid=101", "allow", "ok"),
        entry("guest_action vmid=101 action=stop", "deny", "denied"),
        entry("api GET /nodes/pve1/status params=[]", "allow", "upstream"),
    ];
    let rows: Vec<[String; 8]> = es.iter().map(|e| cells(e, None)).collect();
    let w = widths(&rows);
    let lines: Vec<String> = rows.iter().map(|r| row(r, &w)).collect();
    let head = header(&w);
    assert!(
        head.starts_with("TIME  ") && head.ends_with("OUTCOME       REQUEST"),
        "{head}"
    );
    assert!(
        lines[0].contains("  uid 4000000000  guest_status  101    allow"),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].ends_with("deny      guests.actions  denied        vmid=101 action=stop"),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]
            .contains("  -      allow     guests.actions  upstream 500  GET /nodes/pve1/status")
    );
    // Every column starts where the header's does.
    let at = |s: &str, col: &str| s.find(col).unwrap();
    assert_eq!(at(&head, "GUEST"), at(&lines[0], "101"));
    let named = cells(&es[0], Some("claude-user"));
    assert_eq!(named[1], "claude-user");
}

#[test]
fn control_characters_are_shown_escaped() {
    let e = entry("run_command argv=echo \u{1b}[2J\nforged", "deny", "denied");
    let line = row(&cells(&e, None), &FOLLOW_WIDTHS);
    assert!(!line.contains('\u{1b}') && !line.contains('\n'), "{line:?}");
    assert!(line.ends_with("argv=echo \\u{1b}[2J\\nforged"), "{line}");
}

#[test]
fn json_lines_hold_every_field() {
    let e = entry("guest_action vmid=101 action=stop", "deny", "denied");
    let v: serde_json::Value = serde_json::from_str(&json_line(&e, Some("claude-user"))).unwrap();
    assert_eq!(v["time"], "2026-12-06T09:00:00.250Z");
    assert_eq!(v["client"], "claude-user");
    assert_eq!(v["uid"], 4_000_000_000u32);
    assert_eq!(v["tool"], "guest_action");
    assert_eq!(v["guest"], 101);
    assert_eq!(v["decision"], "deny");
    assert_eq!(v["rule"], "guests.actions");
    assert_eq!(v["outcome"], "denied");
    assert_eq!(v["request"], "vmid=101 action=stop");
}

#[test]
fn the_summary_counts_allowed_and_refused() {
    assert_eq!(summary(std::iter::empty()), "No audit records match.");
    assert_eq!(
        summary(["allow"].into_iter()),
        "1 record: 1 allowed, 0 refused."
    );
    assert_eq!(
        summary(["allow", "deny", "not_found", "deny", "allow", "limited"].into_iter()),
        "6 records: 2 allowed, 4 refused (2 deny, 1 limited, 1 not_found)."
    );
    assert_eq!(
        summary(["allow", "plan", "deny", "plan"].into_iter()),
        "4 records: 1 allowed, 2 planned, 1 refused (1 deny)."
    );
}
