use super::*;
use crate::{render, tools::args::testing::parse};
use serde_json::{Value, json};

#[test]
fn api_result_truncates_large_answers() {
    let big: Vec<_> = (0..40_000).map(|i| format!("item-{i}")).collect();
    let r = api_result("GET".into(), "/x".into(), serde_json::json!(big));
    let text = r.content[0].as_text().unwrap().text.clone();
    assert!(text.len() < render::TEXT_LIMIT + 500, "{}", text.len());
    assert!(text.contains("[truncated: showing"));
    let structured = crate::tools::reply::structured_value(&r).unwrap();
    assert_eq!(structured["truncated"], false);
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
fn api_text_is_cut() {
    let a = ApiAnswer {
        method: "GET".into(),
        path: "/version".into(),
        data: serde_json::Value::Null,
        truncated: false,
    };
    assert_eq!(render_api(&a, "{}"), "GET /version:\n{}\n");
    let long = "x".repeat(TEXT_LIMIT + 10);
    let text = render_api(&a, &long);
    assert!(text.contains(&format!(
        "showing {TEXT_LIMIT} of {} bytes",
        TEXT_LIMIT + 10
    )));
}
