use super::*;
use pve_mcp_proto::{GuestAction, SnapshotName, SnapshotTarget, VmId};
use serde_json::json;

fn request(vmid: u64, action: GuestAction) -> Operation {
    Operation::Power(pve_mcp_proto::GuestActionRequest {
        vmid: VmId::new(vmid).unwrap(),
        action,
        confirmed: false,
    })
}

fn answer(v: serde_json::Value) -> InputResponses {
    InputResponses::from([(KEY.to_owned(), v)])
}

#[test]
fn a_request_state_confirms_its_own_action_once() {
    let c = Confirmations::default();
    let stop = request(101, GuestAction::Stop);
    let yes = answer(json!({"action": "accept", "content": {"confirm": true}}));
    let state = c.remember(&stop);
    assert!(state.starts_with("confirm-") && state.len() > 20);
    assert!(c.resume(&state, &yes, &stop).is_ok());
    assert!(c.resume(&state, &yes, &stop).is_err(), "single use");

    let state = c.remember(&stop);
    let other = request(102, GuestAction::Stop);
    let err = c.resume(&state, &yes, &other).unwrap_err();
    assert!(format!("{err:?}").contains("not to stop guest 102"));
    assert!(c.resume("confirm-forged", &yes, &stop).is_err());
}

#[test]
fn only_an_accepted_checked_form_is_a_yes() {
    let c = Confirmations::default();
    let stop = request(101, GuestAction::Stop);
    for (reply, ok) in [
        (
            json!({"action": "accept", "content": {"confirm": true}}),
            true,
        ),
        (json!({"action": "accept"}), true),
        (
            json!({"action": "accept", "content": {"confirm": false}}),
            false,
        ),
        (json!({"action": "decline"}), false),
        (json!({"action": "cancel"}), false),
        (json!({"nonsense": 1}), false),
    ] {
        let state = c.remember(&stop);
        assert_eq!(
            c.resume(&state, &answer(reply.clone()), &stop).is_ok(),
            ok,
            "{reply}"
        );
    }
    let state = c.remember(&stop);
    assert!(c.resume(&state, &InputResponses::new(), &stop).is_err());
}

#[test]
fn pending_confirmations_are_bounded() {
    let c = Confirmations::default();
    let stop = request(101, GuestAction::Stop);
    let first = c.remember(&stop);
    for _ in 0..MAX_PENDING {
        c.remember(&stop);
    }
    assert_eq!(c.lock().len(), MAX_PENDING);
    assert!(!c.lock().contains_key(&first), "the oldest is forgotten");
}

#[test]
fn the_form_asks_one_checked_box() {
    let q = elicitation("Stop?".into()).unwrap();
    let v = serde_json::to_value(&q).unwrap();
    assert_eq!(v["method"], "elicitation/create");
    let prop = &v["params"]["requestedSchema"]["properties"][KEY];
    assert_eq!(prop["type"], "boolean");
    assert_eq!(prop["default"], true);
    assert!(has_form_elicitation(Some(
        &serde_json::from_value(json!({"elicitation": {}})).unwrap()
    )));
    assert!(!has_form_elicitation(Some(
        &serde_json::from_value(json!({"elicitation": {"url": {}}})).unwrap()
    )));
    assert!(!has_form_elicitation(None));
}

#[test]
fn a_confirmation_is_bound_to_its_snapshot() {
    let c = Confirmations::default();
    let target = |name: &str| {
        Operation::SnapshotRollback(SnapshotTarget {
            vmid: VmId::new(101).unwrap(),
            name: SnapshotName::parse(name).unwrap(),
            confirmed: false,
        })
    };
    let yes = answer(json!({"action": "accept", "content": {"confirm": true}}));
    let state = c.remember(&target("s1"));
    let err = c.resume(&state, &yes, &target("s2")).unwrap_err();
    assert!(
        format!("{err:?}").contains("asked to confirm roll back guest 101 to snapshot"),
        "{err:?}"
    );
    let state = c.remember(&target("s1"));
    assert!(c.resume(&state, &yes, &target("s1")).is_ok());
}

#[test]
fn a_delete_confirmation_covers_exactly_that_delete() {
    let c = Confirmations::default();
    let delete = |vmid: u64, purge: bool| {
        Operation::Delete(pve_mcp_proto::GuestDelete {
            vmid: VmId::new(vmid).unwrap(),
            purge,
            destroy_unreferenced_disks: false,
            confirmed: false,
        })
    };
    let yes = answer(json!({"action": "accept", "content": {"confirm": true}}));
    let state = c.remember(&delete(101, true));
    let err = c.resume(&state, &yes, &delete(101, false)).unwrap_err();
    assert!(
        format!("{err:?}").contains(
            "asked to confirm destroy guest 101 with all its disks, removing it from backup \
             jobs, replication and HA, not to destroy guest 101 with all its disks;"
        ),
        "{err:?}"
    );
    let state = c.remember(&delete(101, true));
    assert!(c.resume(&state, &yes, &delete(101, true)).is_ok());
    let no = answer(json!({"action": "decline"}));
    let state = c.remember(&delete(101, true));
    let err = c.resume(&state, &no, &delete(101, true)).unwrap_err();
    assert!(
        format!("{err:?}").contains("the user declined to destroy guest 101"),
        "{err:?}"
    );
    // A creation carries no confirmation: it is allowed or refused, never asked about.
    let create: pve_mcp_proto::GuestCreate = serde_json::from_value(json!({
        "type": "qemu", "node": "pve1", "name": "web1", "cores": 1, "memory_mib": 512,
        "disk": {"storage": "local-lvm", "size_gib": 8}
    }))
    .unwrap();
    assert!(!Operation::Create(Box::new(create)).confirmable());
}
