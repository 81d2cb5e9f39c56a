//! Other views of a guest's config, as qemu-server and pve-container give them:
//! `GET .../{vmid}/pending` (`config_with_pending_array`: every key with its value, the
//! cloud-init password masked), `GET .../qemu/{vmid}/cloudinit/dump?type=user|network|meta`
//! (`PVE::QemuServer::Cloudinit::dump_cloudinit_config`, nocloud format: the user data
//! holds the password hash unless the caller lacks `VM.Config.Cloudinit`), and `GET
//! .../{vmid}/snapshot/{snapname}/config` (the snapshot's section, unmasked, as
//! `get_snapshot_config` returns it).

use serde_json::{Map, Value, json};

use super::file::{MASKED, mac};
use crate::sim::cluster::state::{Cluster, Guest};
use crate::sim::errors::ApiError;

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `GET .../{vmid}/pending`: `{key, value}` for every config line (no change is ever
/// pending in the simulator).
pub fn pending(g: &Guest) -> Value {
    let rendered = super::file::render(g);
    let list: Vec<Value> = rendered
        .as_object()
        .into_iter()
        .flatten()
        .map(|(k, v)| json!({"key": k, "value": text(v)}))
        .collect();
    Value::Array(list)
}

/// Whether the token may see cloud-init secrets (`VM.Config.Cloudinit`); the default,
/// unchecked role may.
fn sees_cloudinit_secrets(c: &Cluster) -> bool {
    c.role
        .as_ref()
        .is_none_or(|r| r.contains("VM.Config.Cloudinit"))
}

fn user_data(g: &Guest, mask: bool) -> String {
    let name = g.seed.name.clone();
    let mut out =
        format!("#cloud-config\nhostname: {name}\nmanage_etc_hosts: true\nfqdn: {name}\n");
    let conf = g.config_map();
    if let Some(user) = conf.get("ciuser") {
        out.push_str(&format!("user: {user}\n"));
    }
    if let Some(pw) = conf.get("cipassword") {
        let shown = if mask { MASKED } else { pw.as_str() };
        out.push_str(&format!("password: {shown}\n"));
    }
    if let Some(keys) = conf.get("sshkeys") {
        let keys = crate::sim::params::percent_decode(keys);
        out.push_str("ssh_authorized_keys:\n");
        for k in keys.lines().filter(|l| !l.trim().is_empty()) {
            out.push_str(&format!("  - {k}\n"));
        }
    }
    out.push_str("chpasswd:\n  expire: False\nusers:\n  - default\npackage_upgrade: true\n");
    out
}

fn network_data(g: &Guest) -> String {
    format!(
        "version: 1\nconfig:\n    - type: physical\n      name: eth0\n      mac_address: '{}'\n      \
         subnets:\n      - type: dhcp4\n",
        mac(g.seed.vmid).to_lowercase()
    )
}

/// `GET .../qemu/{vmid}/cloudinit/dump?type=`.
pub fn cloudinit_dump(c: &Cluster, g: &Guest, ty: &str) -> Value {
    let mask = !sees_cloudinit_secrets(c);
    let text = match ty {
        "user" => user_data(g, mask),
        "network" => network_data(g),
        _ => {
            let both = user_data(g, false) + &network_data(g);
            let d = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, both.as_bytes());
            format!(
                "instance-id: {}\n",
                crate::sim::server::tls::hex_lower(d.as_ref())
            )
        }
    };
    Value::String(text)
}

/// `GET .../{vmid}/snapshot/{snapname}/config`: the snapshot's section, unmasked.
pub fn snapshot_config(g: &Guest, name: &str) -> Result<Value, ApiError> {
    let s = g
        .snapshots
        .iter()
        .find(|s| s.name == name)
        .ok_or_else(|| ApiError::Internal(format!("snapshot '{name}' does not exist")))?;
    let (config, tags) = match &s.saved {
        Some(saved) => (saved.config.clone(), saved.tags.clone()),
        None => (g.config_map().into_owned(), g.tags.clone()),
    };
    let mut m: Map<String, Value> = config.into_iter().map(|(k, v)| (k, json!(v))).collect();
    if let Some(t) = tags {
        m.insert("tags".into(), json!(t));
    }
    m.insert("snaptime".into(), json!(s.snaptime));
    if !s.description.is_empty() {
        m.insert("description".into(), json!(s.description));
    }
    if let Some(p) = &s.parent {
        m.insert("parent".into(), json!(p));
    }
    Ok(Value::Object(m))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn cloud_init_secrets_follow_the_privilege() {
        // Guest 101 (index 1) is a VM with cloud-init in the dataset.
        let mut c = Cluster::new(1, 3, Duration::ZERO, String::new());
        let dump = |c: &Cluster| cloudinit_dump(c, c.guest(101).unwrap(), "user");
        let shown = dump(&c);
        assert!(
            shown.as_str().unwrap().contains("password: $5$dataset$"),
            "{shown}"
        );
        c.role = Some(["VM.Audit".to_owned()].into());
        let masked = dump(&c);
        assert!(
            masked.as_str().unwrap().contains("password: **********"),
            "{masked}"
        );
        let pending = pending(c.guest(101).unwrap());
        let pw = pending
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["key"] == "cipassword")
            .unwrap();
        assert_eq!(pw["value"], MASKED);
        // The dataset's snapshot (guest 100, index 0) shows the config unmasked.
        let snap = snapshot_config(c.guest(100).unwrap(), "base").unwrap();
        assert_eq!(snap["snaptime"], 1_700_000_000);
        assert!(snapshot_config(c.guest(100).unwrap(), "nope").is_err());
    }
}
