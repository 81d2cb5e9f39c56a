//! Timing of `/cluster/resources` over HTTPS with keep-alive, end to end (request sent to
//! body fully read, no JSON parsing). A loose bound runs always; the numbers for the
//! report come from the ignored test, in release mode:
//! `cargo test --release -p pve-mcp-tests --test sim perf:: -- --ignored --nocapture`.

use pve_mcp_tests::sim_client;

use std::time::{Duration, Instant};

use pve_mcp_tests::sim::{self, SimConfig};
use sim_client::Api;

async fn timings(guests: usize, rounds: usize) -> Vec<Duration> {
    let sim = sim::start(SimConfig {
        guests,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts");
    let api = Api::new(&sim);
    let url = format!("{}/cluster/resources", api.base);
    let mut out = Vec::with_capacity(rounds);
    for i in 0..rounds + 5 {
        let t = Instant::now();
        let resp = api
            .client
            .get(&url)
            .header("Authorization", &api.auth)
            .send()
            .await;
        let body = resp.expect("answered").bytes().await.expect("body");
        let elapsed = t.elapsed();
        assert!(body.len() > guests * 200);
        if i >= 5 {
            out.push(elapsed);
        }
    }
    let conns = sim.stats().connections;
    assert!(
        conns <= 2 + rounds as u64 / 100,
        "keep-alive reuse: {conns} connections"
    );
    out.sort();
    out
}

fn report(guests: usize, t: &[Duration]) {
    let pct = |p: usize| t[(t.len() * p / 100).min(t.len() - 1)];
    eprintln!(
        "/cluster/resources, {guests} guests: min {:?} median {:?} p90 {:?} max {:?} ({} runs)",
        t[0],
        pct(50),
        pct(90),
        t[t.len() - 1],
        t.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "timing report; run in release mode"]
async fn resources_timing_report() {
    for guests in [3000, 30_000] {
        let t = timings(guests, 200).await;
        report(guests, &t);
    }
}
