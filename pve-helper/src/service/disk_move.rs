//! Executing a disk move the policy allowed: one `move_disk` (VM) or `move_volume`
//! (container) call on the guest's own node, answered with the started task. The
//! guest's node and kind come from Proxmox (the resource cache), never from the client.

use super::guests::{guest_path, lookup, started_task};
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use pve_mcp_proto::{ApiMethod, DiskMove, GuestType, MoveTarget};

pub async fn run(svc: &Service, m: &DiskMove) -> OpResult {
    let g = lookup(svc, m.vmid).await?;
    let (endpoint, disk, target_disk) = match g.guest_type {
        GuestType::Qemu => ("move_disk", "disk", "target-disk"),
        GuestType::Lxc => ("move_volume", "volume", "target-volume"),
    };
    let mut form: Vec<(String, String)> = vec![(disk.to_owned(), m.disk.to_string())];
    match &m.to {
        MoveTarget::Storage {
            storage,
            delete_source,
        } => {
            form.push(("storage".to_owned(), storage.to_string()));
            if *delete_source {
                form.push(("delete".to_owned(), "1".to_owned()));
            }
        }
        MoveTarget::Guest { vmid, disk } => {
            form.push(("target-vmid".to_owned(), vmid.to_string()));
            let slot = disk.as_ref().unwrap_or(&m.disk);
            form.push((target_disk.to_owned(), slot.to_string()));
        }
    }
    let path = format!("{}/{endpoint}", guest_path(&g));
    let data = svc
        .pve
        .call_form(ApiMethod::Post, &path, &form)
        .await
        .map_err(upstream_error)?;
    svc.cache.invalidate().await;
    started_task(&data)
}
