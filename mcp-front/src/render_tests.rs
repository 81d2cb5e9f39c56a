use super::*;
use crate::output::{GuestCounts, GuestState};

fn guest(vmid: u32, name: &str, running: bool) -> Guest {
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
fn units() {
    assert_eq!(bytes(0), "0B");
    assert_eq!(bytes(1023), "1023B");
    assert_eq!(bytes(1536), "1.5K");
    assert_eq!(bytes(4 << 30), "4.0G");
    assert_eq!(bytes(120 << 30), "120G");
    assert_eq!(bytes(u64::MAX), "16.0E");
    assert_eq!(uptime(0), "-");
    assert_eq!(uptime(42), "42s");
    assert_eq!(uptime(3 * 60 + 5), "3m");
    assert_eq!(uptime(5 * 3600 + 12 * 60), "5h12m");
    assert_eq!(uptime(3 * 86_400 + 4 * 3600 + 59), "3d4h");
    assert_eq!(elapsed(3400), "3.4 s");
    assert_eq!(truncate("héllo", 2), "h");
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

fn action_result(outcome: ActionOutcome) -> ActionResult {
    ActionResult {
        vmid: 101,
        action: "stop".into(),
        snapshot: None,
        outcome,
        upid: "UPID:pve1:0:0:0:qmstop:101:root@pam:".into(),
        node: "pve1".into(),
        exitstatus: None,
        elapsed_ms: 3400,
        log_tail: vec![],
    }
}

#[test]
fn action_outcomes_name_the_upid() {
    let mut r = action_result(ActionOutcome::Succeeded);
    r.exitstatus = Some("OK".into());
    assert!(action(&r).starts_with("OK: \"stop\" on guest 101 finished in 3.4 s"));
    let mut r = action_result(ActionOutcome::Failed);
    r.exitstatus = Some("command failed".into());
    r.log_tail = vec!["line 1".into(), "error: boom".into()];
    let text = action(&r);
    assert!(
        text.starts_with("Failed: \"stop\" on guest 101 ended after 3.4 s with: command failed")
    );
    assert!(text.contains("\n  error: boom"));
    for outcome in [ActionOutcome::Started, ActionOutcome::StillRunning] {
        let text = action(&action_result(outcome));
        assert!(
            text.contains("GET /nodes/pve1/tasks/UPID:pve1:0:0:0:qmstop:101:root@pam:/status"),
            "{text}"
        );
    }
}

#[test]
fn nodes_table_and_details() {
    let n = Node {
        node: "pve1".into(),
        status: "online".into(),
        cpu: 0.05,
        maxcpu: 16,
        mem: 12 << 30,
        maxmem: 64 << 30,
        disk: 20 << 30,
        maxdisk: 100 << 30,
        uptime: 12 * 86_400,
        loadavg: Some([0.5, 0.25, 0.125]),
        kversion: None,
        pveversion: Some("pve-manager/8.2.4".into()),
        cpu_model: None,
    };
    let text = nodes(&Nodes { nodes: vec![n] });
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines[0], "1 nodes (1 online)");
    assert_eq!(
        lines[2],
        "pve1  online  5%   12.0G/64.0G  20.0G/100G  12d0h"
    );
    assert_eq!(lines[3], "pve1: load average 0.50 0.25 0.12");
    assert_eq!(lines[4], "pve1: PVE pve-manager/8.2.4");
}

#[test]
fn command_output() {
    let c = CommandResult {
        exit_code: Some(1),
        signal: None,
        stdout: String::new(),
        stderr: "no such storage\n".into(),
        truncated: true,
        duration_ms: 12,
    };
    assert_eq!(
        command(&c),
        "exit code 1 after 12 ms\n--- stderr ---\nno such storage\n\
         [output beyond the policy's cap was dropped]\n"
    );
}

#[test]
fn api_text_is_cut() {
    let a = ApiAnswer {
        method: "GET".into(),
        path: "/version".into(),
        data: serde_json::Value::Null,
        truncated: false,
    };
    assert_eq!(api(&a, "{}"), "GET /version:\n{}\n");
    let long = "x".repeat(TEXT_LIMIT + 10);
    let text = api(&a, &long);
    assert!(text.contains(&format!(
        "showing {TEXT_LIMIT} of {} bytes",
        TEXT_LIMIT + 10
    )));
}

#[test]
fn utc_dates() {
    assert_eq!(utc(0), "1970-01-01 00:00 UTC");
    assert_eq!(utc(951_825_600), "2000-02-29 12:00 UTC");
    assert_eq!(utc(1_700_000_000), "2023-11-14 22:13 UTC");
    assert_eq!(utc(4_102_444_799), "2099-12-31 23:59 UTC");
}
