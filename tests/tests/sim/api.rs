//! The simulated PVE API over real HTTPS: auth, listings, stateful actions and tasks,
//! PVE's error shapes and reason phrases, and the connection counters.

use pve_mcp_tests::sim_client;

use std::time::Duration;

use pve_mcp_tests::sim::{
    self, GuestKind, PowerState, PveVersion, SimConfig, SimHandle, Upid, dataset,
};
use serde_json::Value;
use sim_client::{Api, RawConn, encode, keepalive_get, raw, raw_get};

async fn sim(guests: usize) -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests,
        task_duration: Duration::from_millis(100),
        expects_invalid_requests: true,
        // These tests hold PVE 8.4's answers and wording; `versions` the other's.
        pve: PveVersion::Pve8,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn auth_failures_are_401_like_pve() {
    let sim = sim(10).await;
    let (code, body) = Api::with_token(&sim, "mcp@pve!mcp=wrong")
        .get("/version")
        .await;
    assert_eq!((code, body), (401, Value::Null));
    let colon = sim.token().replacen('=', ":", 1);
    assert_eq!(Api::with_token(&sim, &colon).get("/version").await.0, 401);
    let no_ticket = raw(&sim, &raw_get("/api2/json/version", None)).await;
    assert!(
        no_ticket.starts_with("HTTP/1.1 401 No ticket\r\n"),
        "{no_ticket}"
    );
    assert!(
        no_ticket.ends_with("\r\n\r\n"),
        "401 has an empty body: {no_ticket}"
    );
    let bad = raw(
        &sim,
        &raw_get("/api2/json/version", Some("PVEAPIToken=mcp@pve!mcp=x")),
    )
    .await;
    assert!(
        bad.starts_with("HTTP/1.1 401 Authentication failed!\r\n"),
        "{bad}"
    );
    let (code, body) = Api::new(&sim).get("/version").await;
    assert_eq!(code, 200);
    assert_eq!(body["data"]["release"], "8.4");
    assert_eq!(sim.stats().auth_failures, 4);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_match_the_dataset() {
    let sim = sim(300).await;
    let api = Api::new(&sim);
    let seeds = dataset(3, 300);
    let (_, all) = api.get("/cluster/resources").await;
    let all = all["data"].as_array().expect("array").clone();
    // 3 pools + 300 guests + 3 nodes + 3 storages x 3 nodes + 3 SDN zones
    assert_eq!(all.len(), 3 + 300 + 3 + 9 + 3);
    assert_eq!(all[0]["id"], "/pool/ci");
    let (_, vms) = api.get("/cluster/resources?type=vm").await;
    let vms = vms["data"].as_array().expect("array").clone();
    assert_eq!(vms.len(), 300);
    let v101 = vms.iter().find(|v| v["vmid"] == 101).expect("vm 101");
    assert_eq!(v101["id"], "qemu/101");
    assert_eq!(v101["node"], "pve2");
    assert_eq!(v101["name"], "db-001");
    assert_eq!(v101["template"], 0);
    assert_eq!(v101["pool"], "prod");
    let v109 = vms.iter().find(|v| v["vmid"] == 109).expect("vm 109");
    assert_eq!(
        (v109["template"].clone(), v109["status"].clone()),
        (1.into(), "stopped".into())
    );
    let ct = vms.iter().find(|v| v["vmid"] == 106).expect("ct 106");
    assert_eq!(ct["type"], "lxc");
    assert!(
        vms.iter()
            .all(|v| v["vmid"].is_u64() && v["maxmem"].is_u64())
    );
    let (_, nodes) = api.get("/cluster/resources?type=node").await;
    assert_eq!(nodes["data"][0]["id"], "node/pve1");
    for node in ["pve1", "pve2", "pve3"] {
        for kind in [GuestKind::Qemu, GuestKind::Lxc] {
            let (code, list) = api.get(&format!("/nodes/{node}/{}", kind.as_str())).await;
            assert_eq!(code, 200);
            let want = seeds
                .iter()
                .filter(|g| g.node == node && g.kind == kind)
                .count();
            assert_eq!(
                list["data"].as_array().map(Vec::len),
                Some(want),
                "{node} {kind:?}"
            );
        }
    }
    let limited = seeds
        .iter()
        .find(|g| g.cpulimit.is_some())
        .expect("a cpulimit CT");
    let (_, list) = api.get(&format!("/nodes/{}/lxc", limited.node)).await;
    let item = list["data"]
        .as_array()
        .and_then(|l| l.iter().find(|i| i["vmid"] == limited.vmid))
        .expect("listed");
    assert_eq!(item["cpus"], "1.5", "PVE reports a cpulimit as a string");
    let (_, cfg) = api.get("/nodes/pve1/qemu/100/config").await;
    assert_eq!(cfg["data"]["memory"], "1024");
    assert_eq!(cfg["data"]["tags"], "mcp;web");
    assert_eq!(cfg["data"]["digest"].as_str().map(str::len), Some(40));
    let (_, status) = api.get("/nodes/pve1/status").await;
    assert_eq!(status["data"]["loadavg"].as_array().map(Vec::len), Some(3));
    assert!(status["data"]["loadavg"][0].is_string());
    assert!(status["data"]["cpuinfo"]["cpus"].is_u64());
    let (_, nodes) = api.get("/nodes").await;
    assert_eq!(nodes["data"][0]["ssl_fingerprint"], sim.fingerprint());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn actions_run_tasks_that_change_guests() {
    let sim = sim(30).await;
    let api = Api::new(&sim);
    let (code, body) = api.post("/nodes/pve1/qemu/100/status/shutdown", &[]).await;
    assert_eq!(code, 200, "{body}");
    let upid = body["data"].as_str().expect("UPID").to_owned();
    let parsed = Upid::parse(&upid).expect("real UPID format");
    assert_eq!(
        (parsed.node.as_str(), parsed.kind.as_str()),
        ("pve1", "qmshutdown")
    );
    assert_eq!(
        (parsed.id.as_str(), parsed.user.as_str()),
        ("100", "mcp@pve!mcp")
    );
    let (_, running) = api
        .get(&format!("/nodes/pve1/tasks/{}/status", encode(&upid)))
        .await;
    assert_eq!(running["data"]["status"], "running");
    assert_eq!(running["data"]["user"], "mcp@pve");
    assert_eq!(running["data"]["tokenid"], "mcp");
    let done = api.wait_task("pve1", &upid).await;
    assert_eq!(done["exitstatus"], "OK");
    assert_eq!(
        sim.guest_state(100).map(|g| g.power),
        Some(PowerState::Stopped)
    );
    let (_, log) = api
        .get(&format!("/nodes/pve1/tasks/{}/log", encode(&upid)))
        .await;
    assert_eq!(log["data"], serde_json::json!([{"n": 1, "t": "TASK OK"}]));
    assert_eq!(log["total"], 1);
    let (_, vm) = api.get("/nodes/pve1/qemu/100/status/current").await;
    assert_eq!(
        (vm["data"]["status"].clone(), vm["data"]["uptime"].clone()),
        ("stopped".into(), 0.into())
    );

    let (_, body) = api.post("/nodes/pve1/qemu/100/status/start", &[]).await;
    let start = body["data"].as_str().expect("UPID").to_owned();
    assert_eq!(api.wait_task("pve1", &start).await["exitstatus"], "OK");
    let (_, body) = api.post("/nodes/pve1/qemu/100/status/suspend", &[]).await;
    let pause = body["data"].as_str().expect("UPID").to_owned();
    assert!(pause.contains(":qmpause:100:"), "{pause}");
    api.wait_task("pve1", &pause).await;
    let (_, vm) = api.get("/nodes/pve1/qemu/100/status/current").await;
    assert_eq!(
        (
            vm["data"]["status"].clone(),
            vm["data"]["qmpstatus"].clone()
        ),
        ("running".into(), "paused".into())
    );
    let (_, res) = api.get("/cluster/resources?type=vm").await;
    assert_eq!(res["data"][0]["status"], "paused");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_transitions_fail_like_pve() {
    let sim = sim(30).await;
    let api = Api::new(&sim);
    let (_, body) = api.post("/nodes/pve2/qemu/101/status/start", &[]).await;
    let upid = body["data"].as_str().expect("UPID").to_owned();
    let done = api.wait_task("pve2", &upid).await;
    assert_eq!(done["exitstatus"], "VM 101 already running");
    let (_, log) = api
        .get(&format!(
            "/nodes/pve2/tasks/{}/log?start=0&limit=10",
            encode(&upid)
        ))
        .await;
    assert_eq!(log["data"][0]["t"], "TASK ERROR: VM 101 already running");
    let (code, body) = api.post("/nodes/pve1/qemu/103/status/reset", &[]).await;
    assert_eq!(
        (code, body["message"].clone()),
        (500, "VM 103 not running\n".into())
    );
    let (code, body) = api.post("/nodes/pve1/lxc/106/status/start", &[]).await;
    assert_eq!(
        (code, body["message"].clone()),
        (500, "CT 106 already running\n".into())
    );
    let (_, body) = api.post("/nodes/pve1/qemu/109/status/start", &[]).await;
    let upid = body["data"].as_str().expect("UPID").to_owned();
    let done = api.wait_task("pve1", &upid).await;
    assert_eq!(
        done["exitstatus"],
        "you can't start a vm if it's a template"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_shapes_match_pve() {
    let sim = sim(30).await;
    let api = Api::new(&sim);
    let (code, body) = api.get("/nodes/pve1/qemu/abc/status/current").await;
    assert_eq!(code, 400);
    assert_eq!(
        body["errors"]["vmid"],
        "type check ('integer') failed - got 'abc'"
    );
    assert_eq!(body["message"], "Parameter verification failed.\n");
    let (code, body) = api.get("/cluster/resources?type=pool").await;
    assert_eq!(code, 400);
    assert!(
        body["errors"]["type"]
            .as_str()
            .is_some_and(|m| m.contains("enumeration"))
    );
    let (code, body) = api.post("/nodes/pve1/qemu/105/status/stop", &[]).await;
    assert_eq!(
        (code, body["message"].clone()),
        (
            403,
            "Permission check failed (/vms/105, VM.PowerMgmt)\n".into()
        )
    );
    let (code, body) = api.get("/nodes/pve2/qemu/100/status/current").await;
    assert_eq!(code, 500);
    assert_eq!(
        body["message"],
        "Configuration file 'nodes/pve2/qemu-server/100.conf' does not exist\n"
    );
    let (code, body) = api.get("/nodes/pve9/qemu").await;
    assert_eq!(code, 500);
    assert!(
        body["message"]
            .as_str()
            .is_some_and(|m| m.starts_with("hostname lookup 'pve9' failed"))
    );
    let (code, body) = api.post("/nodes/pve1/lxc/106/status/reset", &[]).await;
    assert_eq!(
        (code, body["message"].clone()),
        (
            501,
            "Method 'POST /nodes/pve1/lxc/106/status/reset' not implemented".into()
        )
    );
    let (code, _) = api.get("/no/such/path").await;
    assert_eq!(code, 501);
    let (code, body) = api.get("/nodes/pve1/tasks/nope/status").await;
    assert_eq!(
        (code, body["errors"]["upid"].clone()),
        (400, "unable to parse worker upid".into())
    );
    let auth = format!("PVEAPIToken={}", sim.token());
    let text = raw(
        &sim,
        &raw_get("/api2/json/nodes/pve2/lxc/100/config", Some(&auth)),
    )
    .await;
    let reason = "HTTP/1.1 500 Configuration file 'nodes/pve2/lxc/100.conf' does not exist\r\n";
    assert!(text.starts_with(reason), "{text}");
    assert!(
        text.to_ascii_lowercase().contains("connection: close"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_show_keep_alive_reuse() {
    let sim = sim(10).await;
    let auth = format!("PVEAPIToken={}", sim.token());
    let mut conn = RawConn::open(&sim).await;
    for _ in 0..5 {
        let r = conn
            .request(&keepalive_get("/api2/json/cluster/resources", &auth))
            .await;
        let r = r.expect("answered on the same connection");
        assert_eq!(r.status_line, "HTTP/1.1 200 OK");
        assert!(!r.headers.contains("connection: close"));
    }
    let s = sim.stats();
    assert_eq!((s.connections, s.tls_handshakes, s.requests), (1, 1, 5));
    assert_eq!(s.path_count("/api2/json/cluster/resources"), 5);
    // PVE closes the connection after every error.
    let r = conn
        .request(&keepalive_get(
            "/api2/json/nodes/pve1/qemu/abc/config",
            &auth,
        ))
        .await;
    let r = r.expect("error answered");
    assert!(r.status_line.starts_with("HTTP/1.1 400 "));
    assert!(r.headers.contains("connection: close"));
    assert!(conn.closed().await);
    // A pooled client reuses its connection across requests, and reconnects after errors.
    let api = Api::new(&sim);
    for _ in 0..10 {
        assert_eq!(api.get("/version").await.0, 200);
    }
    assert_eq!(api.get("/nodes/pve1/qemu/abc/config").await.0, 400);
    assert_eq!(api.get("/version").await.0, 200);
    let s = sim.stats();
    assert_eq!(s.requests, 6 + 12);
    assert!(s.connections >= 3 && s.connections <= 5, "{s:?}");
    assert_eq!(s.per_status.get(&400), Some(&2));
    sim.reset_stats();
    assert_eq!(sim.stats().requests, 0);
}

#[test]
fn spawn_serves_sync_callers() {
    let sim = sim::spawn(SimConfig {
        guests: 3000,
        expects_invalid_requests: true,
        ..SimConfig::default()
    })
    .expect("simulator spawns");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let api = Api::new(&sim);
    let (code, body) = rt.block_on(api.get("/cluster/resources?type=vm"));
    assert_eq!(code, 200);
    assert_eq!(body["data"].as_array().map(Vec::len), Some(3000));
    let addr = sim.addr();
    drop(sim);
    assert!(
        std::net::TcpStream::connect(addr).is_err(),
        "server stopped on drop"
    );
}
