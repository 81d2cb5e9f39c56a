//! `PVE::JSONSchema::check_format`: a format given as a hash is a property string; a
//! named one is looked up among the formats Proxmox registers (`register_format`), with
//! `NAME-list` (each item of `split_list`) and `NAME-opt` (only when set) variants. The
//! formats are modelled where Proxmox defines them: pve-common ([`common`]), pve-storage
//! ([`storage`]), qemu-server ([`qemu`]), pve-container ([`lxc`]), access control, HA and
//! backup and replication jobs ([`cluster`]), pve-firewall ([`firewall`]). A named
//! format the simulator does not model passes and is reported (see
//! [`super::check::Ctx::unknown_formats`]). Values are hostile.

mod cluster;
mod common;
mod firewall;
mod lxc;
mod qemu;
mod storage;

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::check::Ctx;
use super::property_string::{self, Validator};
use crate::sim::schema::version::PveVersion;

/// A check registered with a code reference; its error is the `die` text.
pub type CodeFormat = fn(&str, PveVersion) -> Result<(), String>;

/// What a format name is registered as.
#[derive(Clone, Copy)]
pub enum Registered {
    Code(CodeFormat),
    /// A property-string format, and the validator registered with it.
    Hash(&'static Map<String, Value>, Option<Validator>),
}

fn lookup(name: &str, version: PveVersion) -> Option<Registered> {
    common::lookup(name)
        .or_else(|| storage::lookup(name))
        .or_else(|| qemu::lookup(name, version))
        .or_else(|| lxc::lookup(name))
        .or_else(|| cluster::lookup(name))
        .or_else(|| firewall::lookup(name))
}

/// A `die` text: the message and its newline.
fn fail(msg: String) -> Result<(), String> {
    Err(format!("{msg}\n"))
}

/// `PVE::Tools::split_list`: NUL-separated if there is a NUL, else split at commas,
/// semicolons and whitespace (empty items dropped).
pub fn split_list(list: &str) -> Vec<&str> {
    if list.contains('\0') {
        let mut items: Vec<&str> = list.split('\0').collect();
        while items.last().is_some_and(|i| i.is_empty()) {
            items.pop();
        }
        return items;
    }
    list.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
        .collect()
}

/// `$format =~ m/^(.*?)(?:-(list|opt))?$/`.
fn split_suffix(format: &str) -> (&str, Option<&str>) {
    for kind in ["list", "opt"] {
        if let Some(name) = format.strip_suffix(kind).and_then(|f| f.strip_suffix('-')) {
            return (name, Some(kind));
        }
    }
    (format, None)
}

/// Whether the named format `name` (or its `-list`/`-opt` base) is modelled here.
#[cfg(test)]
pub fn is_modelled(name: &str, version: PveVersion) -> bool {
    let (base, _) = split_suffix(name);
    name == "regex" || lookup(base, version).is_some()
}

/// Checks `value` of parameter `path` against `format`; the error is the `die` text.
pub fn check_format(cx: &mut Ctx, format: &Value, value: &str, path: &str) -> Result<(), String> {
    let name = match format {
        Value::Object(map) => {
            return property_string::parse(cx, map, value, path, None).map(drop);
        }
        Value::String(name) => name.as_str(),
        _ => return Ok(()),
    };
    if name == "regex" {
        return Ok(());
    }
    let (base, kind) = split_suffix(name);
    let Some(registered) = lookup(base, cx.version) else {
        cx.unknown_formats.insert(name.to_owned());
        return Ok(());
    };
    match (kind, registered) {
        (Some(kind), Registered::Hash(..)) => {
            Err(format!("'-{kind}' format must have code ref, not hash\n"))
        }
        (Some("list"), Registered::Code(check)) => split_list(value)
            .into_iter()
            .try_for_each(|item| check(item, cx.version)),
        (Some(_), Registered::Code(check)) => {
            if value.is_empty() || value == "0" {
                Ok(())
            } else {
                check(value, cx.version)
            }
        }
        (None, Registered::Hash(map, validator)) => {
            property_string::parse(cx, map, value, path, validator).map(drop)
        }
        (None, Registered::Code(check)) => check(value, cx.version),
    }
}

/// A property-string format written as JSON in this crate's sources (trusted), read once.
fn written(cell: &'static OnceLock<Map<String, Value>>, json: &str) -> &'static Map<String, Value> {
    cell.get_or_init(|| match serde_json::from_str::<Value>(json) {
        Ok(Value::Object(map)) => map,
        _ => {
            tracing::error!("pve-sim: a built-in property-string format does not parse");
            Map::new()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn check(version: PveVersion, format: &str, value: &str) -> Result<(), String> {
        let mut cx = Ctx::new(version);
        check_format(&mut cx, &json!(format), value, "p")
    }

    #[test]
    fn lists_and_optional_values() {
        assert_eq!(split_list("a, b;c\0"), vec!["a, b;c"]);
        assert_eq!(split_list(" 100,101;;102 "), vec!["100", "101", "102"]);
        let v = PveVersion::Pve8;
        assert!(check(v, "pve-vmid-list", "100,101 102").is_ok());
        assert!(check(v, "pve-vmid-list", "").is_ok());
        assert_eq!(
            check(v, "pve-vmid-list", "100,99").unwrap_err(),
            "value does not look like a valid VM ID\n"
        );
        assert!(check(v, "email-opt", "").is_ok());
        assert!(check(v, "email-opt", "x").is_err());
        let mut cx = Ctx::new(v);
        assert!(check_format(&mut cx, &json!("pve-no-such-format"), "x", "p").is_ok());
        assert!(cx.unknown_formats.contains("pve-no-such-format"));
    }
}
