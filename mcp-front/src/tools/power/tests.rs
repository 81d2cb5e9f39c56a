use super::*;
use crate::{change::operation::Operation, tools::args::testing::parse};
use serde_json::{Value, json};
use std::time::Duration;

#[test]
fn action_plan() {
    let plan = |v: Value| parse::<VmActionArgs>(v).unwrap().into_plan();
    let p = plan(json!({"vmid": 101, "action": "stop"})).unwrap();
    assert!(matches!(p.request, Operation::Power(ref r) if r.action == GuestAction::Stop));
    assert_eq!(p.wait, Some(Duration::from_secs(120)));
    let p = plan(json!({"vmid": 101, "action": "start", "wait": false})).unwrap();
    assert_eq!(p.wait, None);
    assert!(plan(json!({"vmid": 101, "action": "start", "timeout_secs": 3601})).is_err());
    assert!(plan(json!({"vmid": 5, "action": "start"})).is_err());
    assert!(parse::<VmActionArgs>(json!({"vmid": 101, "action": "destroy"})).is_err());
}
