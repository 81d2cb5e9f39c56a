use super::*;
use pve_mcp_proto::{
    ErrorKind, GuestDelete, GuestRef, ListGuests, NextVmidQuery, RunCommand, VmId,
};

#[test]
fn describe_prefixes_kind_and_appends_rule_and_status() {
    let mut e = ErrorBody::new(
        ErrorKind::Denied,
        "action \"stop\" on VM 101 is not allowed",
    );
    e.rule = Some("guests.actions".into());
    assert_eq!(
        describe(&e),
        "Denied: action \"stop\" on VM 101 is not allowed (rule: guests.actions)"
    );
    let mut e = ErrorBody::new(ErrorKind::Upstream, "Permission check failed");
    e.upstream_status = Some(403);
    assert_eq!(
        describe(&e),
        "Upstream error: Permission check failed (Proxmox answered HTTP 403)"
    );
}

#[test]
fn only_reads_are_resent() {
    assert!(is_resendable(&Request::ListGuests(ListGuests::default())));
    assert!(is_resendable(&Request::GuestStatus(GuestRef {
        vmid: VmId::new(101).unwrap()
    })));
    let argv = pve_mcp_proto::Argv::new(vec!["ls".into()]).unwrap();
    assert!(!is_resendable(&Request::RunCommand(RunCommand { argv })));
    assert!(is_resendable(&Request::NextVmid(NextVmidQuery {})));
    assert!(!is_resendable(&Request::GuestDelete(GuestDelete {
        vmid: VmId::new(101).unwrap(),
        purge: true,
        destroy_unreferenced_disks: false,
        confirmed: false,
    })));
}

#[tokio::test]
async fn missing_socket_names_path_and_systemctl() {
    let client = HelperClient::new("/nonexistent/pve-mcp.sock", DEFAULT_CALL_TIMEOUT);
    let err = client
        .call(&Request::ListGuests(ListGuests::default()))
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(text.contains("/nonexistent/pve-mcp.sock"), "{text}");
    assert!(text.contains("systemctl status pve-mcp-helper"), "{text}");
}
