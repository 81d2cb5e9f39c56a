//! An independent second check of the whole stack: the real `pve-helper` and
//! `mcp-front`, driven by the project's MCP client with every confirmation accepted,
//! run the shipped lab-builder policy's whole workflow against **fakepve** (PyPI
//! `fakepve`, a third party's fake of the Proxmox VE 9 API, AGPL, run as a separate
//! process and never copied from): it validates every request against PVE 9's
//! published schema, checks permissions as the schema states them, answers with PVE's
//! error catalogue and runs tasks.
//!
//! The helper's identity is made as `pve-helper setup` makes it: the privileges are the
//! real `required_privileges(policy, release)` for the release fakepve reports, each
//! checked to be a PVE 9 privilege; user `mcp@pve`, the role, the ACLs on `/` and a
//! privilege-separated token are created through fakepve's API as root, as `pveum`
//! does; the helper pins fakepve's certificate by fingerprint and `pve-helper status`
//! must find exactly those privileges on the token. Then every tool the policy grants
//! runs (the submodules here), each step asserted as a success or as a fakepve
//! gap (its exact error or the state it leaves), and what a step did is read back from
//! fakepve as root. A report of every step is printed at the end.
//!
//! fakepve's known gaps (never worked around in the product; each step that meets one
//! asserts it as such, so this test fails when fakepve changes):
//! - `/access` writes keep no state: creating a user, role, ACL or token answers 200
//!   and changes nothing, and a new token's id and secret read "fake".
//!   `tests/fakepve/launch.py` replays root's writes onto fakepve's access model.
//! - A VM cannot be restored from an archive (`unable to restore VM N - restoring an
//!   archive is not supported`), and `vzdump/extractconfig` answers the placeholder
//!   "fake", which the helper refuses to judge, so no restore gets that far.
//! - A cancelled task keeps running (the DELETE answers 200 and stops nothing).
//! - Generic, stateless answers where the product reads back: `vzdump` writes no
//!   archive; a VM's `migrate` and `resize` end OK and change nothing (no local-disk
//!   check either); `/cluster/tasks`, `rrddata`, `/nodes/{node}/status` and the HA
//!   reads answer placeholders, and `/cluster/ha/groups` answers 200 where PVE 9
//!   answers 500.
//! - A disk imported with `import-from` is allocated with size 0, and a cloud-init
//!   drive as `vm-N-disk-0`.
//!
//! fakepve is installed by `tests/fakepve/install.sh` (pinned, with `[crypto]`), which
//! `.ci/run` runs. Without it the test is ignored, with the reason in `cargo test`'s
//! output (`tests/build.rs`), or fails when `PVE_MCP_REQUIRE_CLIENTS` is set (as in CI).

pub mod api;
pub mod backups;
pub mod build;
pub mod fake;
pub mod ha;
pub mod helper;
pub mod identity;
pub mod inventory;
pub mod power;
pub mod steps;
pub mod tasks;

pub use steps::Lab;

/// The lab fakepve is seeded with (`tests/fakepve/lab.json`).
const LAB: &str = include_str!("../../../fakepve/lab.json");

/// The guests outside the lab pool, which must stay invisible.
pub const OUT_OF_SCOPE: [u64; 2] = [200, 210];

/// The guests of the lab pool, sorted.
pub fn in_scope() -> Vec<u64> {
    let lab: serde_json::Value = serde_json::from_str(LAB).expect("lab.json");
    let mut ids: Vec<u64> = ["vms", "cts"]
        .iter()
        .flat_map(|kind| lab[kind].as_array().cloned().unwrap_or_default())
        .filter(|g| g["pool"] == "lab")
        .filter_map(|g| g["vmid"].as_u64())
        .collect();
    ids.sort_unstable();
    assert!(ids.iter().all(|id| !OUT_OF_SCOPE.contains(id)), "{ids:?}");
    ids
}

use fake::Fake;
use helper::Helper;
use pve_helper::setup::cert_fingerprint;
use std::time::Instant;

const LAB_BUILDER: &str = include_str!("../../../../policy/examples/lab-builder.toml");

/// Every shipped policy, and one granting the guest agent, for the privilege check.
const POLICIES: [(&str, &str); 5] = [
    (
        "policy.toml",
        include_str!("../../../../policy/policy.toml"),
    ),
    (
        "auditor.toml",
        include_str!("../../../../policy/examples/auditor.toml"),
    ),
    (
        "ci-runner.toml",
        include_str!("../../../../policy/examples/ci-runner.toml"),
    ),
    (
        "lab-operator.toml",
        include_str!("../../../../policy/examples/lab-operator.toml"),
    ),
    ("lab-builder.toml", LAB_BUILDER),
];

/// The tools the lab builder lists (it grants no agent, firewall, HA or command).
const TOOLS: [&str; 36] = [
    "backup_restore",
    "backup_start",
    "cluster_health",
    "cluster_status",
    "disk_resize",
    "guest_clone",
    "guest_config",
    "guest_configure",
    "guest_create",
    "guest_delete",
    "guest_export",
    "guest_metrics",
    "guest_migrate",
    "guest_template",
    "list_backups",
    "list_pools",
    "list_storage",
    "list_tasks",
    "list_vms",
    "my_permissions",
    "next_vmid",
    "node_networks",
    "node_status",
    "proxmox_api",
    "snapshot_create",
    "snapshot_delete",
    "snapshot_list",
    "snapshot_rollback",
    "storage_content",
    "storage_download",
    "task_cancel",
    "task_log",
    "task_status",
    "vm_action",
    "vm_status",
    "volume_delete",
];

fn for_this_user(policy: &str) -> String {
    let policy = policy.replace("users = [\"claude-user\"]", "users = [{uid}]");
    assert!(
        policy.contains("users = [{uid}]"),
        "the policy's [clients] changed"
    );
    policy
}

/// Each privilege setup grants for each shipped policy (and for the guest agent) on
/// the release fakepve reports is one PVE 9 knows.
async fn privileges_exist(root: &api::Api, release: pve_helper::setup::Release) {
    let known = identity::known_privileges(root).await;
    let agent = LAB_BUILDER
        .replace(
            "\"task.cancel\",\n]",
            "\"task.cancel\", \"agent.read\", \"agent.exec\",\n]",
        )
        .replace("[limits]", "[agent]\nexec = [[\"hostname\"]]\n\n[limits]");
    assert_ne!(agent, LAB_BUILDER);
    let agent = ("lab-builder.toml with the guest agent", agent.as_str());
    for (name, policy) in POLICIES.iter().copied().chain([agent]) {
        let unknown: Vec<String> = identity::privileges(policy, release)
            .into_iter()
            .filter(|p| !known.contains(p))
            .collect();
        assert!(
            unknown.is_empty(),
            "{name}: setup grants privileges {release} lacks: {unknown:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(have_fakepve),
    ignore = "fakepve 0.5.0 is not installed: bash tests/fakepve/install.sh"
)]
async fn the_lab_builder_workflow_runs_on_fakepve() {
    let python = fake::require();
    let began = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("pve-mcp-fakepve-")
        .tempdir()
        .unwrap();
    let mut fake = Fake::start(&python, dir.path()).await;
    let root = fake.root().await;

    // Setup, as `pve-helper setup` does it on a node.
    let release = identity::release(&root).await;
    privileges_exist(&root, release).await;
    let privileges = identity::privileges(LAB_BUILDER, release);
    let token = identity::create(&mut fake, &root, &privileges).await;
    let fingerprint = cert_fingerprint(&fake.cert).expect("fakepve's certificate");
    let policy = for_this_user(LAB_BUILDER);
    let helper_dir = dir.path().join("helper");
    std::fs::create_dir(&helper_dir).unwrap();
    let helper = Helper::start(&helper_dir, &fake.url, &fingerprint, &token, &policy);
    let status = helper.status();
    let line = status
        .lines()
        .find(|l| l.contains("privileges"))
        .unwrap_or_default();
    assert!(
        line.trim_start().starts_with("ok"),
        "{status}\n{}",
        helper.log()
    );
    assert!(status.contains("(Proxmox VE 9)"), "{status}");

    let client = helper.client().await;
    let mut tools: Vec<String> = client
        .tools()
        .await
        .unwrap()
        .iter()
        .map(|t| t.name.to_string())
        .collect();
    tools.sort();
    assert_eq!(tools, TOOLS, "the tools the lab builder lists");
    let mut lab = Lab::new(client, root, fake);
    lab.checked(
        "setup",
        &format!(
            "{} privileges on / for mcp@pve and mcp@pve!mcp; status ok",
            privileges.len()
        ),
    );

    inventory::guests(&mut lab).await;
    inventory::cluster(&mut lab).await;
    inventory::storage(&mut lab).await;
    inventory::tasks(&mut lab).await;
    inventory::raw_api(&mut lab).await;
    power::power(&mut lab).await;
    power::snapshot(&mut lab).await;
    let made = build::create(&mut lab).await;
    build::change(&mut lab, &made).await;
    build::migrate(&mut lab, &made).await;
    build::delete(&mut lab, &made).await;
    backups::backup(&mut lab).await;
    backups::restore(&mut lab).await;
    backups::volumes(&mut lab).await;
    tasks::tasks(&mut lab).await;

    // HA: the same identity serves the lab builder plus the HA reads.
    let with_ha = ha::policy(LAB_BUILDER);
    assert_eq!(
        identity::privileges(&with_ha, release),
        privileges,
        "HA reads need no other privilege"
    );
    let ha_dir = dir.path().join("helper-ha");
    std::fs::create_dir(&ha_dir).unwrap();
    let ha_helper = Helper::start(
        &ha_dir,
        &lab.fake.url,
        &fingerprint,
        &token,
        &for_this_user(&with_ha),
    );
    let previous = std::mem::replace(&mut lab.client, ha_helper.client().await);
    previous.close().await.ok();
    ha::ha(&mut lab).await;

    // fakepve refused none of the product's requests (a 400 with per-field errors, a
    // 403 naming a privilege, a 501): each would be a product bug, PVE 9 being the judge.
    let audit: Vec<_> = helper
        .audit()
        .into_iter()
        .chain(ha_helper.audit())
        .collect();
    let refused: Vec<_> = audit
        .iter()
        .filter(|r| !r["upstream_status"].is_null())
        .collect();
    assert!(refused.is_empty(), "fakepve refused requests: {refused:#?}");
    lab.checked(
        "every request",
        &format!(
            "fakepve refused none of the helper's requests ({} audited)",
            audit.len()
        ),
    );
    eprintln!("{}", lab.report());
    eprintln!("fakepve workflow: {:.1} s", began.elapsed().as_secs_f64());
    // Dropping them stops mcp-front, both helpers and fakepve.
    drop((lab, helper, ha_helper));
}
