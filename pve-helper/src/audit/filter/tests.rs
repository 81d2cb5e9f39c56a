use super::*;
use crate::audit::entry::{Line, parse_line};

fn entry(uid: u32, request: &str, decision: &str, time: &str) -> Entry {
    let line = serde_json::json!({
        "time": time, "peer_uid": uid, "peer_pid": 1, "request": request,
        "decision": decision, "rule": "r", "outcome": "ok", "duration_ms": 1,
    });
    match parse_line(&line.to_string()) {
        Line::Record(e) => *e,
        other => panic!("{other:?}"),
    }
}

#[test]
fn filters_by_decision_client_guest_and_time() {
    let es = [
        entry(
            1001,
            "guest_status vmid=101",
            "allow",
            "2026-12-06T09:00:00Z",
        ),
        entry(
            1001,
            "guest_action vmid=101 action=stop",
            "deny",
            "2026-12-06T10:00:00Z",
        ),
        entry(
            1002,
            "guest_status vmid=150",
            "not_found",
            "2026-12-06T11:00:00Z",
        ),
        entry(
            0,
            "list_guests limit=50 offset=0",
            "limited",
            "2026-12-06T12:00:00Z",
        ),
        entry(
            1001,
            "guest_action vmid=102 action=stop",
            "confirm",
            "2026-12-06T13:00:00Z",
        ),
    ];
    let names = |e: &Entry| match e.uid {
        Some(1001) => Some("claude-user"),
        Some(0) => Some("root"),
        _ => None,
    };
    let shown = |f: &Filter| -> Vec<usize> {
        (0..es.len())
            .filter(|&i| f.admits(&es[i], names(&es[i])))
            .collect()
    };
    let with = |d| Filter {
        decision: Some(d),
        ..Filter::default()
    };
    assert_eq!(shown(&Filter::default()), [0, 1, 2, 3, 4]);
    let describe = entry(1001, "describe", "allow", "2026-12-06T09:00:00Z");
    assert!(!Filter::default().admits(&describe, None));
    let all = Filter {
        describe: true,
        ..Filter::default()
    };
    assert!(all.admits(&describe, None));
    assert_eq!(shown(&with(DecisionFilter::Allow)), [0]);
    assert_eq!(shown(&with(DecisionFilter::Deny)), [1, 2, 3, 4]);
    assert_eq!(shown(&with(DecisionFilter::Denied)), [1]);
    assert_eq!(shown(&with(DecisionFilter::NotFound)), [2]);
    assert_eq!(shown(&with(DecisionFilter::Confirm)), [4]);
    assert_eq!(shown(&with(DecisionFilter::Limited)), [3]);
    let client = |c: &str| Filter {
        client: Some(c.parse().unwrap()),
        ..Filter::default()
    };
    assert_eq!(shown(&client("claude-user")), [0, 1, 4]);
    assert_eq!(shown(&client("1002")), [2]);
    assert_eq!(shown(&client("nobody")), Vec::<usize>::new());
    assert!("".parse::<ClientFilter>().is_err());
    let guest = Filter {
        guest: Some(101),
        ..Filter::default()
    };
    assert_eq!(shown(&guest), [0, 1]);
    let t = |s: &str| Some(crate::audit::entry::parse_time(s).unwrap());
    let window = Filter {
        since: t("2026-12-06T10:00:00Z"),
        until: t("2026-12-06T12:00:00Z"),
        ..Filter::default()
    };
    assert_eq!(shown(&window), [1, 2]);
    let both = Filter {
        client: Some("claude-user".parse().unwrap()),
        decision: Some(DecisionFilter::Deny),
        ..window
    };
    assert_eq!(shown(&both), [1]);
}

#[test]
fn times_as_an_admin_writes_them() {
    let now = Local
        .with_ymd_and_hms(2026, 12, 6, 15, 30, 0)
        .single()
        .unwrap();
    let local = |y, mo, d, h, mi| {
        Local
            .with_ymd_and_hms(y, mo, d, h, mi, 0)
            .single()
            .unwrap()
            .with_timezone(&Utc)
    };
    let when = |s| parse_when(s, now).unwrap();
    assert_eq!(when("today"), local(2026, 12, 6, 0, 0));
    assert_eq!(when("yesterday"), local(2026, 12, 5, 0, 0));
    assert_eq!(when("now"), now.with_timezone(&Utc));
    assert_eq!(when("2h"), local(2026, 12, 6, 13, 30));
    assert_eq!(when("7d"), local(2026, 11, 29, 15, 30));
    assert_eq!(when("30min"), local(2026, 12, 6, 15, 0));
    assert_eq!(when("2026-12-01"), local(2026, 12, 1, 0, 0));
    assert_eq!(when("2026-12-01 08:15"), local(2026, 12, 1, 8, 15));
    assert_eq!(when("2026-12-01T08:15:00"), local(2026, 12, 1, 8, 15));
    assert_eq!(
        when("2026-12-01T08:15:00Z"),
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 15, 0)
            .single()
            .unwrap()
    );
    for bad in ["", "soon", "2026-13-01", "99999999999d", "-1h"] {
        assert!(parse_when(bad, now).is_err(), "{bad}");
    }
}
