//! The wire shape of frames, requests and responses: exact JSON, unknown fields and
//! variants refused, round trips.

use crate::*;
use serde_json::json;

fn call(v: serde_json::Value) -> Result<FrontFrame, serde_json::Error> {
    serde_json::from_value(v)
}

#[test]
fn request_wire_shape() {
    let f = call(json!({"type": "call", "id": 7,
        "request": {"op": "guest_action", "args": {"vmid": 101, "action": "start"}}}))
    .unwrap();
    let FrontFrame::Call {
        id: 7,
        request: Request::GuestAction(a),
        plan: false,
    } = f
    else {
        panic!("wrong frame {f:?}")
    };
    assert_eq!(a.action, GuestAction::Start);
    let f = call(json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {}}}))
        .unwrap();
    let FrontFrame::Call {
        request: Request::ListGuests(l),
        ..
    } = f
    else {
        panic!()
    };
    assert_eq!(l.limit.get(), 100);
}

#[test]
fn unknown_fields_and_variants_are_refused() {
    for bad in [
        json!({"type": "call", "id": 1, "request": {"op": "guest_status", "args": {"vmid": 101, "x": 1}}}),
        json!({"type": "call", "id": 1, "request": {"op": "format_disk", "args": {}}}),
        json!({"type": "call", "id": 1, "extra": true, "request": {"op": "list_guests", "args": {}}}),
        json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {}, "more": 1}}),
        json!({"type": "call", "id": 1, "request": {"op": "guest_status", "args": {"vmid": 5}}}),
        json!({"type": "call", "id": 1, "request": {"op": "guest_action", "args": {"vmid": 101, "action": "destroy"}}}),
        json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "get", "path": "/version"}}}),
        json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "PATCH", "path": "/version"}}}),
        json!({"type": "call", "id": 1, "request": {"op": "api", "args": {"method": "GET", "path": "/a/../b"}}}),
        json!({"type": "call", "id": 1, "request": {"op": "list_guests", "args": {"limit": 0}}}),
        json!({"type": "call", "id": -1, "request": {"op": "list_guests", "args": {}}}),
        json!({"type": "hello", "proto_version": {"major": 1, "minor": 0, "patch": 0}}),
    ] {
        assert!(call(bad.clone()).is_err(), "accepted {bad}");
    }
}

#[test]
fn response_round_trip() {
    let r = HelperFrame::Reply {
        id: 3,
        response: Response::Err(ErrorBody {
            kind: ErrorKind::Denied,
            message: "no".into(),
            rule: Some("guests.actions".into()),
            upstream_status: None,
        }),
    };
    let s = serde_json::to_string(&r).unwrap();
    assert_eq!(serde_json::from_str::<HelperFrame>(&s).unwrap(), r);
}

#[test]
fn requests_refuse_unknown_fields() {
    let ok = r#"{"type":"qemu","node":"pve1","name":"web1","cores":2,"memory_mib":2048,
                 "disk":{"storage":"local-lvm","size_gib":16}}"#;
    assert!(serde_json::from_str::<GuestCreate>(ok).is_ok());
    let extra = ok.replace("\"cores\"", "\"hostpci0\":\"x\",\"cores\"");
    assert!(serde_json::from_str::<GuestCreate>(&extra).is_err());
    let c: GuestClone = serde_json::from_str(r#"{"vmid":109}"#).unwrap();
    assert!(c.full);
}
