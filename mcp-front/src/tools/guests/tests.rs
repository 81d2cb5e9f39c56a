use super::*;
use crate::tools::args::testing::parse;
use crate::tools::guests::output::*;
use serde_json::json;

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
