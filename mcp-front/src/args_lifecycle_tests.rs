//! Arguments of the lifecycle tools and their companions: valid input becomes the
//! request the helper expects, and each kind of invalid input is refused with a
//! message naming the argument and its rule.

use super::*;
use serde_json::json;

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(v)
}

/// The error `f` gives for the arguments `v`, which must deserialize.
fn refused<T: serde::de::DeserializeOwned, R: std::fmt::Debug>(
    v: Value,
    f: impl Fn(T) -> Result<R, ArgError>,
) -> String {
    let args = parse::<T>(v.clone()).unwrap_or_else(|e| panic!("{v}: {e}"));
    match f(args) {
        Ok(r) => panic!("{v} accepted as {r:?}"),
        Err(e) => e.0,
    }
}

#[test]
fn firewall_scopes() {
    let q = |v: Value| parse::<FirewallArgs>(v).unwrap().into_request();
    let cluster = q(json!({})).unwrap();
    assert!(cluster.node.is_none() && cluster.vmid.is_none());
    assert_eq!(
        q(json!({"node": "pve1"})).unwrap().node.unwrap().as_str(),
        "pve1"
    );
    assert_eq!(q(json!({"vmid": 101})).unwrap().vmid.unwrap().get(), 101);
    let both = refused(
        json!({"node": "pve1", "vmid": 101}),
        FirewallArgs::into_request,
    );
    assert!(both.contains("not both"), "{both}");
    assert!(refused(json!({"vmid": 7}), FirewallArgs::into_request).contains("vmid 7"));
    assert!(refused(json!({"node": "-x"}), FirewallArgs::into_request).contains("node name"));
    assert!(parse::<FirewallArgs>(json!({"scope": "cluster"})).is_err());
}

#[test]
fn pool_names() {
    let q = |v: Value| parse::<ListPoolsArgs>(v).unwrap().into_request();
    assert!(q(json!({})).unwrap().pool.is_none());
    assert_eq!(
        q(json!({"pool": "lab"})).unwrap().pool.unwrap().as_str(),
        "lab"
    );
    let bad = refused(json!({"pool": "a/b"}), ListPoolsArgs::into_request);
    assert!(bad.contains("pool name"), "{bad}");
}
