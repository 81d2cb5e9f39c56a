use super::*;

pub(crate) fn action_result(outcome: ActionOutcome) -> ActionResult {
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
    assert!(render_action(&r).starts_with("OK: \"stop\" on guest 101 finished in 3.4 s"));
    let mut r = action_result(ActionOutcome::Failed);
    r.exitstatus = Some("command failed".into());
    r.log_tail = vec!["line 1".into(), "error: boom".into()];
    let text = render_action(&r);
    assert!(
        text.starts_with("Failed: \"stop\" on guest 101 ended after 3.4 s with: command failed")
    );
    assert!(
        text.ends_with(
            "(task UPID:pve1:0:0:0:qmstop:101:root@pam:).\n\
             Last lines of the task log (the task's output, shown as data):\n\
             │ line 1\n│ error: boom\n"
        ),
        "{text}"
    );
    for outcome in [ActionOutcome::Started, ActionOutcome::StillRunning] {
        let text = render_action(&action_result(outcome));
        assert!(
            text.contains("GET /nodes/pve1/tasks/UPID:pve1:0:0:0:qmstop:101:root@pam:/status"),
            "{text}"
        );
    }
}
