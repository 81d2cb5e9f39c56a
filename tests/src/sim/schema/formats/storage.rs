//! The formats pve-storage registers: volume IDs, content types, and the retention
//! options of `prune-backups` (with their validator).

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::super::pattern::is;
use super::{CodeFormat, Registered, fail, written};
use crate::sim::schema::perl_values::Raw;

pub(super) fn lookup(name: &str) -> Option<Registered> {
    static PRUNE: OnceLock<Map<String, Value>> = OnceLock::new();
    let code: CodeFormat = match name {
        "pve-volume-id" => |v, _| volume_id(v),
        "pve-storage-content" => |v, _| content(v),
        "prune-backups" => {
            return Some(Registered::Hash(
                written(&PRUNE, PRUNE_BACKUPS),
                Some(prune_backups),
            ));
        }
        _ => return None,
    };
    Some(Registered::Code(code))
}

/// `parse_volume_id`: `STORAGE:VOLUME`.
pub(super) fn volume_id(v: &str) -> Result<(), String> {
    if is(r"(?i)^([a-z][a-z0-9\-\_\.]*[a-z0-9]):(.+)$", v) {
        Ok(())
    } else {
        fail(format!("unable to parse volume ID '{v}'"))
    }
}

/// `verify_content`: the content types of a directory storage (which has them all).
fn content(v: &str) -> Result<(), String> {
    let valid = [
        "images", "rootdir", "vztmpl", "iso", "backup", "snippets", "none", "import",
    ];
    if valid.contains(&v) {
        Ok(())
    } else {
        fail(format!("invalid content type '{v}'"))
    }
}

const PRUNE_BACKUPS: &str = r#"{
    "keep-all": {"type": "boolean", "optional": 1},
    "keep-last": {"type": "integer", "optional": 1, "minimum": "0"},
    "keep-hourly": {"type": "integer", "optional": 1, "minimum": "0"},
    "keep-daily": {"type": "integer", "optional": 1, "minimum": "0"},
    "keep-weekly": {"type": "integer", "optional": 1, "minimum": "0"},
    "keep-monthly": {"type": "integer", "optional": 1, "minimum": "0"},
    "keep-yearly": {"type": "integer", "optional": 1, "minimum": "0"}
}"#;

/// `validate_prune_backups`: `keep-all` excludes the other options.
fn prune_backups(p: &BTreeMap<String, Raw>) -> Result<(), String> {
    let keep_all = p.get("keep-all").is_some_and(Raw::truthy);
    let others = p.iter().filter(|(k, _)| *k != "keep-all").any(|(_, v)| {
        v.as_str()
            .and_then(|s| s.parse::<f64>().ok())
            .is_some_and(|n| n > 0.0)
    });
    if others && keep_all {
        return Err("keep-all cannot be set together with other options.\n".to_owned());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::super::check::Ctx;
    use super::super::check_format;
    use crate::sim::schema::version::PveVersion;
    use serde_json::json;

    fn check(format: &str, value: &str) -> Result<(), String> {
        let mut cx = Ctx::new(PveVersion::Pve8);
        check_format(&mut cx, &json!(format), value, "p")
    }

    #[test]
    fn storage_formats_answer_like_pve() {
        assert!(check("pve-volume-id", "local-lvm:vm-100-disk-0").is_ok());
        assert_eq!(
            check("pve-volume-id", "x").unwrap_err(),
            "unable to parse volume ID 'x'\n"
        );
        assert!(check("pve-storage-content-list", "images,rootdir").is_ok());
        assert_eq!(
            check("pve-storage-content", "disk").unwrap_err(),
            "invalid content type 'disk'\n"
        );
        assert!(check("prune-backups", "keep-last=3,keep-daily=7").is_ok());
        assert_eq!(
            check("prune-backups", "keep-all=1,keep-last=3").unwrap_err(),
            "keep-all cannot be set together with other options.\n"
        );
    }
}
