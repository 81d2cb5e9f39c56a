//! The formats of access control (pools, privileges), the HA manager (resource IDs)
//! and guest jobs (replication job IDs, backup fleecing and performance), from
//! pve-access-control, pve-ha-manager and pve-guest-common.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::super::pattern::is;
use super::{CodeFormat, Registered, written};
use crate::sim::schema::perl_values::Raw;
use crate::sim::schema::version::PveVersion;

const FLEECING: &str = r#"{
    "enabled": {"type": "boolean", "optional": 1, "default_key": 1},
    "storage": {"type": "string", "format": "pve-storage-id", "optional": 1}
}"#;

const PERFORMANCE: &str = r#"{
    "max-workers": {"type": "integer", "minimum": 1, "maximum": 256, "optional": 1},
    "pbs-entries-max": {"type": "integer", "minimum": 1, "optional": 1}
}"#;

/// `verify_backup_fleecing`: a storage when fleecing is on.
fn fleecing(p: &BTreeMap<String, Raw>) -> Result<(), String> {
    let enabled = p.get("enabled").is_some_and(Raw::truthy);
    if enabled && !p.get("storage").is_some_and(Raw::truthy) {
        return Err("'storage' parameter is required when 'enabled' is set\n".to_owned());
    }
    Ok(())
}

pub(super) fn lookup(name: &str) -> Option<Registered> {
    static FLEECING_F: OnceLock<Map<String, Value>> = OnceLock::new();
    static PERFORMANCE_F: OnceLock<Map<String, Value>> = OnceLock::new();
    let f: CodeFormat = match name {
        "backup-fleecing" => {
            return Some(Registered::Hash(
                written(&FLEECING_F, FLEECING),
                Some(fleecing),
            ));
        }
        "backup-performance" => {
            return Some(Registered::Hash(written(&PERFORMANCE_F, PERFORMANCE), None));
        }
        "pve-poolid" => |v, _| poolid(v),
        "pve-priv" => privilege,
        "pve-ha-resource-id" => |v, _| ha_resource_id(v, false),
        "pve-ha-resource-or-vm-id" => |v, _| ha_resource_id(v, true),
        "pve-replication-job-id" => |v, _| replication_job_id(v),
        _ => return None,
    };
    Some(Registered::Code(f))
}

/// `verify_poolname`: up to three levels of `[A-Za-z0-9.-_]` names.
fn poolid(v: &str) -> Result<(), String> {
    let mut levels: Vec<&str> = v.split('/').collect();
    while levels.last().is_some_and(|l| l.is_empty()) {
        levels.pop();
    }
    if levels.len() > 3 {
        return Err(format!(
            "pool name '{v}' nested too deeply (max levels = 3)\n"
        ));
    }
    if is(r"^[A-Za-z0-9\.\-_]+(?:/[A-Za-z0-9\.\-_]+){0,2}$", v) {
        Ok(())
    } else {
        Err(format!("pool name '{v}' contains invalid characters\n"))
    }
}

/// `verify_privname`, against the release's privileges.
fn privilege(v: &str, version: PveVersion) -> Result<(), String> {
    if version.is_privilege(v) {
        Ok(())
    } else {
        Err(format!("invalid privilege '{v}'\n"))
    }
}

fn ha_resource_id(v: &str, or_vmid: bool) -> Result<(), String> {
    let re = if or_vmid {
        r"^([a-z]+:\S+|\d+)$"
    } else {
        r"^[a-z]+:\S+$"
    };
    if is(re, v) {
        Ok(())
    } else {
        Err("value does not look like a valid ha resource id\n".to_owned())
    }
}

/// `parse_replication_job_id`: `GUEST-JOBNUM`, guest 100 or above.
fn replication_job_id(v: &str) -> Result<(), String> {
    let msg = format!("invalid replication job id '{v}'");
    if !is(r"^(\d+)-(\d+)$", v) {
        return Err(format!("{msg}\n"));
    }
    let guest = v
        .split('-')
        .next()
        .and_then(|g| g.parse::<u64>().ok())
        .unwrap_or(u64::MAX);
    if guest < 100 {
        return Err(format!("{msg} (guest IDs < 100 are reserved)\n"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cluster_formats_answer_like_pve() {
        assert!(poolid("lab").is_ok() && poolid("a/b/c").is_ok());
        assert_eq!(
            poolid("a/b/c/d").unwrap_err(),
            "pool name 'a/b/c/d' nested too deeply (max levels = 3)\n"
        );
        assert_eq!(
            poolid("a b").unwrap_err(),
            "pool name 'a b' contains invalid characters\n"
        );
        assert!(privilege("VM.Monitor", PveVersion::Pve8).is_ok());
        assert!(privilege("VM.Monitor", PveVersion::Pve9).is_err());
        assert!(ha_resource_id("101", true).is_ok() && ha_resource_id("101", false).is_err());
        assert_eq!(
            replication_job_id("99-0").unwrap_err(),
            "invalid replication job id '99-0' (guest IDs < 100 are reserved)\n"
        );
    }
}
