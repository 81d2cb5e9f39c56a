//! Backups and storage volumes: a backup started (fakepve writes no archive), the
//! seeded backups listed, restores (refused on fakepve's placeholder backup
//! configuration; fakepve cannot restore a VM from an archive at all), a backup
//! deleted after the user confirms, and an ISO image downloaded and deleted.

use super::{Lab, steps::Expect};
use serde_json::json;

const VM_BACKUP: &str = "local:backup/vzdump-qemu-101-2025_01_15-02_00_00.vma.zst";
const CT_BACKUP: &str = "local:backup/vzdump-lxc-110-2025_01_15-02_10_00.tar.zst";
const ISO_URL: &str = "https://releases.ubuntu.com/24.04/ubuntu-24.04.1-live-server-amd64.iso";
const ISO_SHA256: &str = "e240e4b801f7bb68c20d1356b60968ad0c33a41d00d828e74ceb3364a0317be9";

async fn backups_of(lab: &Lab, vmid: u32) -> Vec<String> {
    let all = lab.root.volumes("pve1", "local").await;
    let prefix = "local:backup/vzdump-";
    all.into_iter()
        .filter(|v| v.starts_with(prefix) && v.contains(&format!("-{vmid}-")))
        .collect()
}

pub async fn backup(lab: &mut Lab) {
    let before = backups_of(lab, 101).await;
    lab.ok(
        "back up a VM",
        "backup_start",
        json!({"vmid": 101, "storage": "local"}),
    )
    .await;
    let after = backups_of(lab, 101).await;
    lab.gap(
        "back up a VM",
        "vzdump is generic: the task ends OK and no archive appears on the storage",
        after == before,
        &format!("{after:?}"),
    );
    let listed = lab
        .ok("list a VM's backups", "list_backups", json!({"vmid": 101}))
        .await;
    assert_eq!(listed["volumes"][0]["volid"], VM_BACKUP, "{listed}");
}

pub async fn restore(lab: &mut Lab) {
    let extracted = lab
        .root
        .get_with("/nodes/pve1/vzdump/extractconfig", &[("volume", VM_BACKUP)])
        .await;
    lab.gap(
        "read a backup's configuration",
        "vzdump/extractconfig answers the placeholder \"fake\"",
        extracted == "fake",
        &extracted.to_string(),
    );
    let vm = json!({"volume": VM_BACKUP, "node": "pve1"});
    let gap = Expect::Gap {
        gap: "extractconfig's placeholder is no configuration: the helper refuses to restore what it cannot judge",
        error: "its configuration holds a line pve-mcp cannot judge (\"fake\") (rule: fixed floor)",
    };
    lab.call(
        "restore a VM backup to a new guest",
        "backup_restore",
        vm,
        gap,
    )
    .await;
    let ct = json!({"volume": CT_BACKUP, "node": "pve2", "storage": "local-lvm"});
    let gap = Expect::Gap {
        gap: "extractconfig's placeholder lacks unprivileged: 1: the helper takes the container as privileged",
        error: "it is a privileged container (its configuration lacks unprivileged: 1)",
    };
    lab.call(
        "restore a container backup to a new guest",
        "backup_restore",
        ct,
        gap,
    )
    .await;
    // Past the helper, fakepve would refuse a VM restore anyway: checked as root.
    let (status, body) = lab
        .root
        .call(
            "POST",
            "/nodes/pve1/qemu",
            &[("vmid", "9050"), ("archive", VM_BACKUP)],
        )
        .await;
    lab.gap(
        "restore a VM backup (as root)",
        "a VM cannot be restored from an archive",
        status == 500
            && body["message"]
                == "unable to restore VM 9050 - restoring an archive is not supported\n",
        &format!("{status} {body}"),
    );
}

pub async fn volumes(lab: &mut Lab) {
    let gone = json!({"node": "pve1", "volume": CT_BACKUP});
    lab.confirmed("delete a backup (confirmed)", "volume_delete", gone)
        .await;
    assert!(backups_of(lab, 110).await.is_empty());

    let iso = "local:iso/ubuntu-24.04.1-live-server-amd64.iso";
    let download = json!({"node": "pve1", "storage": "local", "url": ISO_URL, "content": "iso",
        "filename": "ubuntu-24.04.1-live-server-amd64.iso",
        "checksum": {"algorithm": "sha256", "value": ISO_SHA256}});
    let done = lab
        .ok("download an ISO image", "storage_download", download)
        .await;
    assert_eq!(done["volume"], iso, "{done}");
    assert!(
        lab.root
            .volumes("pve1", "local")
            .await
            .iter()
            .any(|v| v == iso)
    );
    let sent = lab
        .fake
        .requests("POST", "/nodes/pve1/storage/local/download-url")
        .await;
    assert!(
        sent.iter()
            .any(|b| b.contains(&format!("checksum={ISO_SHA256}"))
                && b.contains("checksum-algorithm=sha256")),
        "{sent:?}"
    );
    let gone = json!({"node": "pve1", "volume": iso});
    lab.ok("delete an ISO image", "volume_delete", gone).await;
    assert!(
        !lab.root
            .volumes("pve1", "local")
            .await
            .iter()
            .any(|v| v == iso)
    );
}
