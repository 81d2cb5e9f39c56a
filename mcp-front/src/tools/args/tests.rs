use super::*;
use serde_json::json;

fn parse<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, serde_json::Error> {
    serde_json::from_value(v)
}

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

#[test]
fn method_folding_and_endpoint_validation() {
    let api = |v: Value| parse::<ProxmoxApiArgs>(v).unwrap().into_request();
    let call = api(json!({"endpoint": "/api2/json/version/"})).unwrap();
    assert_eq!(call.method, ApiMethod::Get);
    assert_eq!(call.path.as_str(), "/version");
    assert_eq!(
        api(json!({"endpoint": "/version", "method": "post"}))
            .unwrap()
            .method,
        ApiMethod::Post
    );
    let err = api(json!({"endpoint": "/version", "method": "PATCH"})).unwrap_err();
    assert!(err.0.contains("GET, POST, PUT or DELETE"), "{err}");
    let err = api(json!({"endpoint": "/nodes/../access"})).unwrap_err();
    assert!(err.0.contains("'..'"), "{err}");
    let err = api(json!({"endpoint": "/nodes?x=1"})).unwrap_err();
    assert!(err.0.contains("query string"), "{err}");
}

#[test]
fn data_object_conversion() {
    let p = api_params(
        json!({"cores": 4, "onboot": true, "name": "x", "ratio": 0.5})
            .as_object()
            .unwrap()
            .clone(),
    )
    .unwrap();
    let got: Vec<_> = p.iter().map(|(k, v)| (k.as_str(), v.to_form())).collect();
    assert_eq!(
        got,
        [
            ("cores", "4".into()),
            ("name", "x".into()),
            ("onboot", "1".into()),
            ("ratio", "0.5".into())
        ]
    );
    let err = |v: Value| api_params(v.as_object().unwrap().clone()).unwrap_err().0;
    assert!(err(json!({"net0": ["a"]})).contains("data.net0"));
    assert!(err(json!({"x": {"y": 1}})).contains("array or object"));
    assert!(err(json!({"x": null})).contains("null"));
    assert!(err(json!({"bad key": 1})).contains("parameter name"));
    assert!(err(json!({"x": u64::MAX})).contains("too large"));
    let many: Map<String, Value> = (0..65).map(|i| (format!("p{i}"), json!(i))).collect();
    assert!(api_params(many).unwrap_err().0.contains("at most 64"));
}

#[test]
fn command_lines_split_into_argv_or_are_refused() {
    let argv = |c: &str| {
        ExecuteCommandArgs { command: c.into() }
            .into_request()
            .map(|r| r.argv.args().to_vec())
    };
    assert_eq!(argv("qm config 101").unwrap(), ["qm", "config", "101"]);
    assert_eq!(
        argv(r#"echo "a b" 'c;d' "e f""#).unwrap(),
        ["echo", "a b", "c;d", "e f"]
    );
    // No shell: shell syntax is refused, never dropped or passed on.
    let err = argv("df -h #; id").unwrap_err().0;
    assert!(
        err.starts_with("the command contains '#': commands run without a shell"),
        "{err}"
    );
    assert!(argv("ls | rm -rf /").unwrap_err().0.contains("'|'"));
    assert!(argv(r"\uptime").unwrap_err().0.contains("backslash"));
    assert!(
        argv("echo 'unbalanced")
            .unwrap_err()
            .0
            .contains("unterminated")
    );
    assert!(argv("   ").unwrap_err().0.contains("empty"));
    assert!(argv(&"x ".repeat(70)).unwrap_err().0.contains("arguments"));
    assert!(argv("echo a\u{0}b").unwrap_err().0.contains("NUL byte"));
    let long = "x".repeat(MAX_COMMAND_LEN + 1);
    assert!(argv(&long).unwrap_err().0.contains("longer than"));
}

#[test]
fn list_defaults_and_bounds() {
    let req = ListVmsArgs::default().into_request().unwrap();
    assert_eq!((req.limit.get(), req.offset), (100, 0));
    let args: ListVmsArgs =
        parse(json!({"type": "lxc", "status": "running", "tag": "Prod", "limit": 5})).unwrap();
    let req = args.into_request().unwrap();
    assert_eq!(req.guest_type, Some(GuestType::Lxc));
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

#[test]
fn snapshot_plans() {
    let create = |v: Value| parse::<SnapshotCreateArgs>(v).unwrap().into_plan();
    let p = create(json!({"vmid": 101, "name": "pre-up", "include_ram": true})).unwrap();
    assert!(
        matches!(&p.request, Operation::SnapshotCreate(c) if c.include_ram && c.description.is_none())
    );
    assert!(create(json!({"vmid": 101, "name": "current"})).is_err());
    assert!(create(json!({"vmid": 101, "name": "a/b"})).is_err());
    assert!(create(json!({"vmid": 101, "name": "ok", "description": "a\u{0}"})).is_err());
    assert!(parse::<SnapshotCreateArgs>(json!({"vmid": 101, "name": "s1", "vmstate": 1})).is_err());
    let target = |v: Value, rollback| parse::<SnapshotTargetArgs>(v).unwrap().into_plan(rollback);
    let p = target(json!({"vmid": 101, "name": "s1", "wait": false}), true).unwrap();
    assert!(matches!(&p.request, Operation::SnapshotRollback(t) if t.name.as_str() == "s1"));
    assert_eq!(p.wait, None);
    let p = target(json!({"vmid": 101, "name": "s1"}), false).unwrap();
    assert!(matches!(&p.request, Operation::SnapshotDelete(_)));
    assert!(target(json!({"vmid": 101, "name": "s1", "timeout_secs": 0}), false).is_err());
}

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

mod create;
mod lifecycle;
