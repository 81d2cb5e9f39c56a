//! Injected faults over real HTTPS: error statuses for N requests, garbage bodies,
//! connections reset mid-body, hangs, latency, and the `/_sim/faults` control endpoint.

use pve_mcp_tests::sim_client;

use std::time::{Duration, Instant};

use pve_mcp_tests::sim::{self, Faults, SimConfig, SimHandle};
use sim_client::{Api, client_config, raw, raw_get};

async fn sim() -> SimHandle {
    sim::start(SimConfig {
        guests: 20,
        expects_invalid_requests: true,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

fn auth(sim: &SimHandle) -> String {
    format!("PVEAPIToken={}", sim.token())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fail_status_for_n_requests() {
    let sim = sim().await;
    sim.set_faults(Faults {
        fail_status: Some((503, "Service Unavailable".into())),
        count: Some(2),
        ..Faults::default()
    });
    let api = Api::new(&sim);
    for _ in 0..2 {
        let (code, body) = api.get("/version").await;
        assert_eq!(
            (code, body["message"].clone()),
            (503, "Service Unavailable".into())
        );
    }
    assert_eq!(api.get("/version").await.0, 200);
    assert_eq!(sim.faults().fail_status, None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn garbage_reset_and_hang() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let url = format!("{}/version", api.base);
    sim.set_faults(Faults {
        garbage: true,
        count: Some(1),
        ..Faults::default()
    });
    let resp = api
        .client
        .get(&url)
        .header("Authorization", &api.auth)
        .send()
        .await;
    let resp = resp.expect("answered");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(
        resp.json::<serde_json::Value>().await.is_err(),
        "body is not JSON"
    );

    sim.set_faults(Faults {
        reset: true,
        count: Some(1),
        ..Faults::default()
    });
    let resources = format!("{}/cluster/resources", api.base);
    let resp = api
        .client
        .get(&resources)
        .header("Authorization", &api.auth)
        .send()
        .await;
    let body = match resp {
        Ok(r) => r.bytes().await.map(|b| b.len()),
        Err(e) => Err(e),
    };
    assert!(body.is_err(), "reading a reset body fails: {body:?}");

    sim.set_faults(Faults {
        hang: true,
        path_prefix: Some("/api2/json/version".into()),
        ..Faults::default()
    });
    let hung = api
        .client
        .get(&url)
        .header("Authorization", &api.auth)
        .timeout(Duration::from_millis(300))
        .send()
        .await;
    assert!(hung.is_err_and(|e| e.is_timeout()));
    assert_eq!(api.get("/nodes").await.0, 200, "other paths still answer");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn latency_and_control_endpoint() {
    let sim = sim().await;
    let api = Api::new(&sim);
    let control = reqwest::Client::builder()
        .tls_backend_preconfigured(client_config(&sim))
        .build()
        .expect("client");
    let set = control
        .post(format!("{}/_sim/faults", sim.url()))
        .body(r#"{"latency_ms":150}"#)
        .send()
        .await
        .expect("control answers");
    assert_eq!(set.status().as_u16(), 200);
    let t = Instant::now();
    assert_eq!(api.get("/version").await.0, 200);
    assert!(t.elapsed() >= Duration::from_millis(150));
    let bad = control
        .post(format!("{}/_sim/faults", sim.url()))
        .body(r#"{"latency":1}"#)
        .send()
        .await
        .expect("control answers");
    assert_eq!(bad.status().as_u16(), 400);
    let stats: serde_json::Value = control
        .get(format!("{}/_sim/stats", sim.url()))
        .send()
        .await
        .expect("stats")
        .json()
        .await
        .expect("stats JSON");
    assert_eq!(stats["per_path"]["GET /api2/json/version"], 1);
    let guest: serde_json::Value = control
        .get(format!("{}/_sim/guests/100", sim.url()))
        .send()
        .await
        .expect("guest")
        .json()
        .await
        .expect("guest JSON");
    assert_eq!(guest["power"], "running");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_requests_get_pve_answers() {
    let sim = sim().await;
    let a = auth(&sim);
    let huge = format!("/api2/json/nodes/{}/qemu", "x".repeat(4000));
    let text = raw(&sim, &raw_get(&huge, Some(&a))).await;
    assert!(
        text.starts_with("HTTP/1.1 500 hostname lookup"),
        "{}",
        &text[..60.min(text.len())]
    );
    let text = raw(
        &sim,
        &raw_get("/api2/json/nodes/pve1/qemu/%FF%00/config", Some(&a)),
    )
    .await;
    assert!(
        text.starts_with("HTTP/1.1 400 Parameter verification failed."),
        "{text}"
    );
    let text = raw(&sim, &raw_get("/api2/extjs/version", Some(&a))).await;
    assert!(text.starts_with("HTTP/1.1 501 "), "{text}");
    let text = raw(&sim, &raw_get("/index.html", None)).await;
    assert!(text.starts_with("HTTP/1.1 500 no such file"), "{text}");
    let trace = "TRACE /api2/json/version HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    assert!(
        raw(&sim, trace)
            .await
            .starts_with("HTTP/1.1 501 method 'TRACE' not available")
    );
    let post = format!(
        "POST /api2/json/nodes/pve1/qemu/100/status/stop HTTP/1.1\r\nHost: x\r\n\
         Authorization: {a}\r\nContent-Type: application/json\r\nContent-Length: 5\r\n\
         Connection: close\r\n\r\n{{\"a\":"
    );
    assert!(
        raw(&sim, &post)
            .await
            .starts_with("HTTP/1.1 500 malformed JSON")
    );
    let big = "POST /api2/json/version HTTP/1.1\r\nHost: x\r\nContent-Length: 9999999\r\n\
               Connection: close\r\n\r\n";
    assert!(
        raw(&sim, big)
            .await
            .starts_with("HTTP/1.1 501 for data too large")
    );
    assert_eq!(Api::new(&sim).get("/version").await.0, 200, "still serving");
}
