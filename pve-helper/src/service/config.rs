//! Reading a guest's configuration, from its own node and type (resolved from the
//! vmid). Values from Proxmox are untrusted: every one is redacted (`redact`) before
//! it leaves the helper, and a value naming a guest outside the client's scope is
//! withheld, as in raw answers (`answers`).

use super::guests::{guest_path, lookup};
use super::outcome::{OpResult, upstream_error};
use super::redact::redact;
use super::state::Service;
use pve_mcp_proto::*;

pub async fn read(svc: &Service, policy: &crate::policy::Policy, vmid: VmId) -> OpResult {
    let g = lookup(svc, vmid).await?;
    let raw: serde_json::Map<String, serde_json::Value> = svc
        .pve
        .get(&format!("{}/config", guest_path(&g)), &[])
        .await
        .map_err(upstream_error)?;
    let (mut config, mut redacted) = redact(raw);
    // A value naming a guest out of scope (a disk of another guest, attached by an
    // admin) is withheld, as in raw answers.
    let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
    let viewer = super::answers::Viewer {
        policy,
        snap: &snap,
    };
    for (key, value) in config.iter_mut() {
        if key != "description" && !viewer.text(value) {
            *value = super::answers::WITHHELD.to_owned();
            redacted.push(key.clone());
        }
    }
    Ok(Payload::Config(GuestConfig {
        vmid,
        guest_type: g.guest_type,
        node: g.node,
        config,
        redacted,
    }))
}
