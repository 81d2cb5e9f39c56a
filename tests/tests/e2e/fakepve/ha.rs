//! HA, which the lab builder does not grant: the same policy plus the HA reads, whose
//! privileges are the same ones (`Sys.Audit`), so the role setup made stays as it is.
//! fakepve answers HA reads with placeholders, and answers `/cluster/ha/groups`,
//! which PVE 9 answers 500 once groups became rules.

use super::Lab;
use serde_json::json;

/// The lab builder with the HA reads allowed.
pub fn policy(lab_builder: &str) -> String {
    let reads = "\"GET /pools/*\",\n  \"GET /cluster/ha/resources\",\n  \"GET /cluster/ha/groups\",\n  \"GET /cluster/ha/status/current\",";
    let policy = lab_builder.replace("\"GET /pools/*\",", reads);
    assert_ne!(policy, lab_builder, "the lab builder's [api] allow changed");
    policy
}

pub async fn ha(lab: &mut Lab) {
    let groups = lab.root.get("/cluster/ha/groups").await;
    lab.gap(
        "HA groups (as root)",
        "/cluster/ha/groups answers 200 with a placeholder, where PVE 9 answers 500 (groups became rules)",
        groups == json!([{"group": "fake"}]),
        &groups.to_string(),
    );
    let resources = lab.root.get("/cluster/ha/resources").await;
    lab.gap(
        "HA resources (as root)",
        "/cluster/ha/resources answers a placeholder resource \"fake\", no guest",
        resources
            .as_array()
            .is_some_and(|r| r.len() == 1 && r[0]["sid"] == "fake"),
        &resources.to_string(),
    );
    let before = lab.fake.requests("GET", "/cluster/ha/groups").await.len();
    let ha = lab.ok("HA resources", "ha_resources", json!({})).await;
    assert_eq!(ha["resources"], json!([]), "{ha}");
    // On PVE 9 the helper reads HA rules, never the groups PVE 9 answers 500 for.
    let after = lab.fake.requests("GET", "/cluster/ha/groups").await.len();
    assert_eq!(after, before, "the helper read /cluster/ha/groups on PVE 9");
    let cluster = lab.ok("cluster with HA", "cluster_status", json!({})).await;
    lab.gap(
        "cluster with HA",
        "/cluster/ha/status/current answers a placeholder quorum \"fake\"",
        cluster["ha"]["quorum"] == "fake",
        &cluster.to_string(),
    );
}
