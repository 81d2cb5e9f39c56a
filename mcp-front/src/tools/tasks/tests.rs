use super::*;

#[test]
fn a_cancel_says_whether_the_task_stopped() {
    let mut s = TaskStatus {
        upid: "UPID:pve1:0:0:0:qmigrate:101:mcp@pve!mcp:".into(),
        node: "pve1".into(),
        task_type: "qmigrate".into(),
        status: "running".into(),
        exitstatus: None,
        starttime: 0,
        succeeded: false,
        log_tail: vec![],
        waited_ms: 0,
    };
    assert!(render_cancel(&s).contains("(qmigrate on pve1): it is still running"));
    s.exitstatus = Some("interrupted by signal".into());
    assert!(render_cancel(&s).ends_with("it stopped: interrupted by signal.\n"));
}

#[test]
fn a_listing_is_one_line_per_task() {
    let l = TaskList {
        total: 3,
        tasks: vec![Task {
            upid: "UPID:pve1:00100001:000F4240:6553F100:qmstart:101:mcp@pve!mcp:".into(),
            node: "pve1".into(),
            task_type: "qmstart".into(),
            id: "101".into(),
            user: "mcp@pve!mcp".into(),
            starttime: 1_700_000_000,
            endtime: Some(1_700_000_002),
            status: "OK".into(),
        }],
    };
    assert_eq!(
        render_list(&l),
        "2023-11-14 22:13 UTC  pve1  qmstart  101  mcp@pve!mcp  OK (2s)\n\
         1 of 3 matching task(s) shown; UPIDs are in the structured result.\n"
    );
}
