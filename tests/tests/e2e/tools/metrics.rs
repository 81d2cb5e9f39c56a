//! End to end: `guest_metrics` through the real mcp-front and pve-helper against the
//! simulated cluster: one `rrddata` call on the guest's own node, summarized; refused
//! without `metrics.read`, and "not found" outside the scope.

use pve_mcp_tests::{
    client::{is_error, text},
    sim::{self, GuestSeed, PowerState, SimConfig},
    stack::{Stack, StackOptions},
};
use serde_json::json;

const NODES: usize = 3;
const GUESTS: usize = 60;

const POLICY: &str = r#"
[clients]
users = [{uid}]
[guests]
allow = ["100-149"]
[[rule]]
name = "metrics"
guests = ["100-139"]
actions = ["metrics.read"]
"#;

fn guest(want: impl Fn(&GuestSeed) -> bool) -> GuestSeed {
    sim::dataset::find(NODES, GUESTS, want)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_metrics_summarizes_usage_and_follows_the_policy() {
    let mut o = StackOptions::new(POLICY);
    o.sim = SimConfig {
        nodes: NODES,
        guests: GUESTS,
        ..SimConfig::default()
    };
    let stack = Stack::start(o).expect("stack starts");
    let client = stack.client().await.expect("front starts");

    let running = guest(|g| g.vmid < 140 && g.initial == PowerState::Running);
    let r = client
        .call("guest_metrics", json!({"vmid": running.vmid}))
        .await
        .unwrap();
    assert!(!is_error(&r), "{r}");
    let m = &r["structuredContent"];
    assert_eq!(m["timeframe"], "hour");
    assert_eq!(m["points"], 70);
    assert_eq!(m["step_secs"], 60);
    assert_eq!(m["maxmem"], running.maxmem());
    let cpu = &m["cpu"];
    assert!(cpu["avg"].as_f64().unwrap() > 0.0, "{m}");
    assert!(cpu["max"].as_f64() >= cpu["avg"].as_f64(), "{m}");
    assert!(m["netin"]["avg"].as_f64().unwrap() > 0.0, "{m}");
    assert!(
        text(&r).contains("over the last hour (70 points, every 60 s"),
        "{}",
        text(&r)
    );
    let kind = match running.kind {
        sim::GuestKind::Qemu => "qemu",
        sim::GuestKind::Lxc => "lxc",
    };
    let path = format!(
        "/api2/json/nodes/{}/{kind}/{}/rrddata",
        running.node, running.vmid
    );
    assert_eq!(stack.sim.stats().path_count(&path), 1);

    let r = client
        .call(
            "guest_metrics",
            json!({"vmid": running.vmid, "timeframe": "week"}),
        )
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["step_secs"], 10_800, "{r}");

    let stopped = guest(|g| g.vmid < 140 && g.initial == PowerState::Stopped);
    let r = client
        .call("guest_metrics", json!({"vmid": stopped.vmid}))
        .await
        .unwrap();
    assert_eq!(r["structuredContent"]["cpu"]["max"], 0.0, "{r}");
    assert_eq!(r["structuredContent"]["mem"]["max"], 0.0, "{r}");

    let not_granted = guest(|g| (140..150).contains(&g.vmid));
    let r = client
        .call("guest_metrics", json!({"vmid": not_granted.vmid}))
        .await
        .unwrap();
    assert!(is_error(&r), "{r}");
    assert!(
        text(&r).starts_with("Denied: action \"metrics.read\"")
            && text(&r).contains("add \"metrics.read\" to [guests] actions"),
        "{}",
        text(&r)
    );
    let r = client
        .call("guest_metrics", json!({"vmid": 155}))
        .await
        .unwrap();
    assert!(
        is_error(&r) && text(&r).contains("does not exist or is not visible"),
        "{r}"
    );
}
