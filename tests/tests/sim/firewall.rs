//! Guest firewall writes in the simulated PVE API, over real HTTPS with a token, as
//! pve-firewall makes them: a new rule at the top, disabled unless `enable` is given;
//! `moveto` puts a rule before the one that was at `moveto` (or last); a deletion
//! shifts the later rules up; a stale `digest` and a position past the end are refused
//! in PVE's words; options are set; and the schema refuses what Proxmox would.

use pve_mcp_tests::sim::{self, PveVersion, SimConfig, SimHandle};
use pve_mcp_tests::sim_client::Api;
use serde_json::Value;

async fn start() -> SimHandle {
    sim::start(SimConfig {
        nodes: 3,
        guests: 30,
        expects_invalid_requests: true,
        pve: PveVersion::Pve9,
        ..SimConfig::default()
    })
    .await
    .expect("simulator starts")
}

/// A VM with the dataset's firewall file (every other guest has one).
fn guest() -> sim::GuestSeed {
    sim::dataset::find(3, 30, |g| {
        g.kind == sim::GuestKind::Qemu && g.index % 2 == 0 && !g.locked
    })
}

async fn rules(api: &Api, path: &str) -> Vec<Value> {
    let (code, body) = api.get(path).await;
    assert_eq!(code, 200, "{body}");
    body["data"].as_array().cloned().unwrap_or_default()
}

fn digest(rules: &[Value]) -> String {
    rules[0]["digest"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rules_are_added_moved_changed_and_deleted_as_pve_firewall_does() {
    let sim = start().await;
    let api = Api::new(&sim);
    let g = guest();
    let path = format!("/nodes/{}/qemu/{}/firewall/rules", g.node, g.vmid);
    let before = rules(&api, &path).await;
    let n = before.len();
    assert!(n >= 1);

    // At the top, disabled without `enable`; `pos` is not read.
    let new = [
        ("type", "in"),
        ("action", "ACCEPT"),
        ("proto", "tcp"),
        ("dport", "443"),
        ("source", "10.1.0.0/16"),
        ("pos", "3"),
    ];
    let (code, body) = api.post(&path, &new).await;
    assert_eq!(code, 200, "{body}");
    let now = rules(&api, &path).await;
    assert_eq!(now.len(), n + 1);
    assert_eq!(
        (
            now[0]["dport"].as_str(),
            now[0]["enable"].as_i64(),
            now[0]["ipversion"].as_i64()
        ),
        (Some("443"), Some(0), Some(4))
    );
    let d = digest(&now);
    assert_ne!(d, digest(&before), "the digest follows the list");

    // A stale digest and a position past the end.
    let (code, body) = api
        .put(
            &format!("{path}/0"),
            &[("enable", "1"), ("digest", &digest(&before))],
        )
        .await;
    assert_eq!(code, 500, "{body}");
    assert!(
        body.to_string().contains("detected modified configuration"),
        "{body}"
    );
    let (code, body) = api.delete(&format!("{path}/{}", n + 5), &[]).await;
    assert_eq!(code, 500, "{body}");
    assert!(body.to_string().contains("no rule at position"), "{body}");

    // moveto: before the rule that was at moveto; past the end: last.
    let (code, body) = api
        .put(
            &format!("{path}/0"),
            &[("moveto", &(n + 1).to_string()), ("digest", &d)],
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let now = rules(&api, &path).await;
    assert_eq!(now[n]["dport"], "443", "{now:?}");
    assert_eq!(
        now[..n]
            .iter()
            .map(|r| r["action"].clone())
            .collect::<Vec<_>>(),
        before
            .iter()
            .map(|r| r["action"].clone())
            .collect::<Vec<_>>()
    );

    // Changed: a field set, another removed; then deleted.
    let (code, body) = api
        .put(
            &format!("{path}/{n}"),
            &[
                ("enable", "1"),
                ("delete", "source"),
                ("digest", &digest(&now)),
            ],
        )
        .await;
    assert_eq!(code, 200, "{body}");
    let now = rules(&api, &path).await;
    assert_eq!(
        (now[n]["enable"].as_i64(), now[n].get("source")),
        (Some(1), None),
        "{now:?}"
    );
    let (code, body) = api
        .delete(&format!("{path}/{n}"), &[("digest", &digest(&now))])
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(rules(&api, &path).await.len(), n);

    // Ports need a protocol that has them; a group must exist; forward is refused by
    // the schema's enum only for what it lists.
    let (code, body) = api
        .post(
            &path,
            &[("type", "in"), ("action", "ACCEPT"), ("dport", "22")],
        )
        .await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = api
        .post(&path, &[("type", "group"), ("action", "nosuchgroup")])
        .await;
    assert_eq!(code, 400, "{body}");
    let (code, body) = api
        .post(&path, &[("type", "sideways"), ("action", "ACCEPT")])
        .await;
    assert_eq!(code, 400, "{body}");

    // Options.
    let options = format!("/nodes/{}/qemu/{}/firewall/options", g.node, g.vmid);
    let (code, body) = api.put(&options, &[("enable", "0")]).await;
    assert_eq!(code, 200, "{body}");
    let (_, body) = api.get(&options).await;
    assert_eq!(body["data"]["enable"], 0, "{body}");
}
