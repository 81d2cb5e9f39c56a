use super::*;
use crate::tools::args::testing::parse;
use serde_json::json;

#[test]
fn vmid_bounds() {
    for bad in [0u64, 5, 99, 1_000_000_000, 1 << 32, u64::MAX] {
        let err = VmStatusArgs { vmid: bad }.into_request().unwrap_err();
        assert!(err.0.contains("out of range"), "{bad}: {err}");
    }
    assert_eq!(
        VmStatusArgs { vmid: 101 }
            .into_request()
            .unwrap()
            .vmid
            .get(),
        101
    );
    assert!(parse::<VmStatusArgs>(json!({"vmid": -1})).is_err());
    assert!(parse::<VmStatusArgs>(json!({"vmid": "101"})).is_err());
    assert!(parse::<VmStatusArgs>(json!({"vmid": 101, "node": "x"})).is_err());
}
