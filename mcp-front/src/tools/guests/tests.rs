use super::*;
use crate::tools::args::testing::parse;
use crate::tools::guests::output::*;
use serde_json::{Value, json};

#[test]
fn list_defaults_and_bounds() {
    let req = ListVmsArgs::default().into_request().unwrap();
    assert_eq!((req.limit.get(), req.offset), (100, 0));
    let args: ListVmsArgs =
        parse(json!({"type": "lxc", "status": "running", "tag": "Prod", "limit": 5})).unwrap();
    let req = args.into_request().unwrap();
    assert_eq!(req.guest_type, Some(pve_mcp_proto::GuestType::Lxc));
    assert_eq!(req.tag.unwrap().as_str(), "prod");
    for bad in [json!({"limit": 0}), json!({"limit": 1001})] {
        let args: ListVmsArgs = parse(bad).unwrap();
        assert!(args.into_request().unwrap_err().0.contains("limit"));
    }
    assert!(parse::<ListVmsArgs>(json!({"type": "vm"})).is_err());
    assert!(
        parse::<ListVmsArgs>(json!({"node": "pve/1"}))
            .unwrap()
            .into_request()
            .is_err()
    );
}

pub(crate) fn guest(vmid: u32, name: &str, running: bool) -> Guest {
    Guest {
        vmid,
        name: name.into(),
        guest_type: GuestType::Qemu,
        node: "pve1".into(),
        status: if running {
            GuestState::Running
        } else {
            GuestState::Stopped
        },
        pool: None,
        tags: vec!["prod".into(), "web".into()],
        template: false,
        lock: None,
        cpu: if running { 0.5 } else { 0.0 },
        maxcpu: 4.0,
        mem: if running { 1536 << 20 } else { 0 },
        maxmem: 4 << 30,
        uptime: if running { 3 * 86_400 + 4 * 3600 } else { 0 },
    }
}

#[test]
fn guest_page_is_a_compact_table() {
    let page = GuestPage {
        total: 3000,
        offset: 0,
        limit: 2,
        next_offset: Some(2),
        counts: GuestCounts {
            running: 2000,
            stopped: 990,
            other: 10,
            qemu: 2500,
            lxc: 500,
        },
        guests: vec![guest(101, "web-01", true), guest(102, "db", false)],
    };
    let text = guest_page(&page);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(
        lines[0],
        "3000 guests match (running 2000, stopped 990, other 10; qemu 2500, lxc 500); \
         showing 1-2. CPU is % of the guest's vCPUs; memory used/assigned."
    );
    assert_eq!(
        lines[1],
        "VMID  NAME    TYPE  NODE  STATUS   CPU  MEM        UPTIME  TAGS"
    );
    assert_eq!(
        lines[2],
        "101   web-01  qemu  pve1  running  50%  1.5G/4.0G  3d4h    prod,web"
    );
    assert_eq!(
        lines[3],
        "102   db      qemu  pve1  stopped  -    -/4.0G     -       prod,web"
    );
    assert!(lines[4].contains("offset=2"));
}

#[test]
fn the_table_holds_every_field_of_every_guest_in_the_order_of_its_columns() {
    let mut odd = guest(7, "a \"quoted\" name", true);
    (odd.pool, odd.lock, odd.template) = (Some("prod".into()), Some("migrate".into()), true);
    (odd.cpu, odd.maxcpu, odd.mem) = (0.123_456, 2.5, u64::MAX);
    odd.guest_type = GuestType::Lxc;
    odd.tags.clear();
    let mut nan = guest(8, "", false);
    nan.cpu = f64::NAN;
    for guests in [
        vec![guest(101, "web-01", true), nan.clone()],
        vec![odd, nan],
    ] {
        let table = serde_json::to_value(GuestTable::of(&guests)).unwrap();
        let lock = guests.iter().any(|g| g.lock.is_some());
        let rows: Vec<Value> = guests
            .iter()
            .map(|g| {
                let mut row = vec![
                    json!(g.vmid),
                    json!(g.name),
                    json!(g.guest_type),
                    json!(g.node),
                    json!(g.status),
                    json!(g.pool),
                    json!(g.tags),
                    json!(g.template),
                ];
                if lock {
                    row.push(json!(g.lock));
                }
                let cpu = (g.cpu * 10_000.0).round() / 10_000.0;
                row.extend([json!(cpu), json!(g.maxcpu), json!(g.mem)]);
                row.extend([json!(g.maxmem), json!(g.uptime)]);
                Value::Array(row)
            })
            .collect();
        assert_eq!(table["rows"], Value::Array(rows));
        let columns = table["columns"].as_array().unwrap();
        assert_eq!(columns.len(), table["rows"][0].as_array().unwrap().len());
        assert_eq!(columns.iter().any(|c| c == "lock"), lock);
    }
}

#[test]
fn locked_guests_show_their_lock_in_a_column_of_their_own() {
    let mut backup = guest(100, "web-01", true);
    backup.lock = Some("backup".into());
    let mut page = GuestPage {
        total: 2,
        offset: 0,
        limit: 100,
        next_offset: None,
        counts: GuestCounts::default(),
        guests: vec![backup, guest(102, "db", false)],
    };
    let text = guest_page(&page);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(
        lines[1..4],
        [
            "VMID  NAME    TYPE  NODE  STATUS   LOCK    CPU  MEM        UPTIME  TAGS",
            "100   web-01  qemu  pve1  running  backup  50%  1.5G/4.0G  3d4h    prod,web",
            "102   db      qemu  pve1  stopped  -       -    -/4.0G     -       prod,web",
        ],
        "{text}"
    );
    assert!(
        lines[4].starts_with("1 guest(s) shown hold a config lock"),
        "{text}"
    );
    // Structured: a `lock` column, set on the locked guest only.
    let json = serde_json::to_value(&page).unwrap();
    let lock = json["guests"]["columns"]
        .as_array()
        .unwrap()
        .iter()
        .position(|c| c == "lock")
        .expect("a lock column");
    assert_eq!(json["guests"]["rows"][0][lock], "backup");
    assert!(json["guests"]["rows"][1][lock].is_null(), "{json}");
    // No locked guest: no column, no note, not a byte more.
    page.guests[0].lock = None;
    let text = guest_page(&page);
    assert!(!text.contains("LOCK") && !text.contains("lock"), "{text}");
    assert!(!serde_json::to_string(&page).unwrap().contains("lock"));
}

#[test]
fn a_lock_from_the_helper_reaches_both_the_entry_and_the_status() {
    use pve_mcp_proto as proto;
    let summary = |lock: &str| proto::GuestSummary {
        vmid: proto::VmId::new(100).unwrap(),
        name: "web".into(),
        guest_type: proto::GuestType::Qemu,
        node: proto::NodeName::parse("pve1").unwrap(),
        status: proto::GuestState::Running,
        pool: None,
        tags: vec![],
        template: false,
        lock: proto::GuestLock::from_pve(lock),
        cpu: 0.0,
        maxcpu: 1.0,
        mem: 0,
        maxmem: 0,
        uptime: 0,
    };
    assert_eq!(
        Guest::from(summary("snapshot-delete")).lock.as_deref(),
        Some("snapshot-delete")
    );
    assert_eq!(Guest::from(summary("")).lock, None);
    let odd = Guest::from(summary("odd\u{202E}"));
    assert_eq!(odd.lock.as_deref(), Some("odd\\u{202E}"));
    let d = GuestDetail::from(proto::GuestDetail {
        guest: summary("backup"),
        qmpstatus: None,
        ha_state: None,
        disk: 0,
        maxdisk: 0,
        netin: 0,
        netout: 0,
        diskread: 0,
        diskwrite: 0,
    });
    assert_eq!(
        (d.lock.as_deref(), d.guest.lock.as_deref()),
        (Some("backup"), Some("backup"))
    );
    assert!(guest_detail(&d).contains("lock: backup"));
}

#[test]
fn a_full_page_of_a_large_cluster_stays_small() {
    let guests: Vec<_> = (0..100)
        .map(|i| guest(1000 + i, &format!("guest-with-a-long-name-{i}"), i % 2 == 0))
        .collect();
    let page = GuestPage {
        total: 3000,
        offset: 0,
        limit: 100,
        next_offset: Some(100),
        counts: GuestCounts::default(),
        guests,
    };
    let text = guest_page(&page);
    assert!(text.len() < 10_000, "{} bytes", text.len());
}

#[test]
fn empty_pages() {
    let mut page = GuestPage {
        total: 0,
        offset: 0,
        limit: 100,
        next_offset: None,
        counts: GuestCounts::default(),
        guests: vec![],
    };
    assert!(guest_page(&page).starts_with("0 guests match"));
    page.total = 5;
    page.offset = 100;
    assert!(guest_page(&page).contains("offset 100 is past the end"));
}

#[test]
fn guest_detail_lines() {
    let mut g = guest(101, "web-01", true);
    g.pool = Some("prod".into());
    let d = GuestDetail {
        guest: g,
        qmpstatus: Some("running".into()),
        lock: None,
        ha_state: None,
        disk: 0,
        maxdisk: 32 << 30,
        netin: 1 << 30,
        netout: 300 << 20,
        diskread: 5 << 30,
        diskwrite: 1 << 30,
    };
    let text = guest_detail(&d);
    assert!(text.starts_with("VM 101 \"web-01\" (qemu) on node pve1: running, up 3d4h\n"));
    assert!(text.contains("CPU 50% of 4 vCPUs; memory 1.5G of 4.0G; disk 0B of 32.0G"));
    assert!(text.contains("tags: prod, web; pool: prod; qmp status: running"));
}
