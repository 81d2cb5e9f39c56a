//! PVE's registered string formats (`dns-name`, `pve-storage-id`, `pve-poolid`,
//! `pve-node`, `pve-tag-list`, addresses) as [`super::Ty::Format`] checks that return PVE's
//! complaint, and the SSH key check. Values are untrusted client input.

use super::property_string::{self as propstr, Format};
use crate::sim::errors::schema;

pub(crate) fn fmt_err(why: &str) -> String {
    schema::invalid_format(why)
}

pub(crate) fn prop(format: &'static Format) -> impl Fn(&str, &str) -> Result<(), String> {
    move |name, value| {
        propstr::parse(format, value, name)
            .map(|_| ())
            .map_err(|e| fmt_err(&e))
    }
}

/// `dns-name`.
pub fn check_dns(_: &str, v: &str) -> Result<(), String> {
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if v.split('.').all(label_ok) {
        Ok(())
    } else {
        Err(fmt_err("value does not look like a valid DNS name"))
    }
}

/// `pve-tag-list`: tags split at `;`, `,` or spaces, each `[a-z0-9_][a-z0-9_+.-]*`.
pub fn check_tags(_: &str, v: &str) -> Result<(), String> {
    let tag_ok = |t: &str| {
        let b = t.as_bytes();
        !b.is_empty()
            && (b[0].is_ascii_alphanumeric() || b[0] == b'_')
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || b"_-+.".contains(c))
    };
    if split_list(v).all(tag_ok) {
        Ok(())
    } else {
        Err(fmt_err("invalid characters in tag"))
    }
}

/// `PVE::Tools::split_list`: items separated by `,`, `;` or whitespace.
pub fn split_list(v: &str) -> impl Iterator<Item = &str> {
    v.split(|c: char| c == ',' || c == ';' || c.is_whitespace())
        .filter(|s| !s.is_empty())
}

pub(crate) fn check_description(_: &str, v: &str) -> Result<(), String> {
    if v.len() > 8192 {
        Err(schema::max_length(8192))
    } else {
        Ok(())
    }
}

/// `pve-storage-id`.
pub fn check_storage_id(_: &str, v: &str) -> Result<(), String> {
    let b = v.as_bytes();
    let ok = b.len() >= 2
        && b[0].is_ascii_alphabetic()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || b"-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(fmt_err(&format!(
            "storage ID '{v}' contains illegal characters"
        )))
    }
}

/// `pve-poolid`.
pub fn check_poolid(_: &str, v: &str) -> Result<(), String> {
    let part_ok = |p: &str| {
        !p.is_empty()
            && p.bytes()
                .all(|c| c.is_ascii_alphanumeric() || b".-_".contains(&c))
    };
    if v.split('/').count() > 3 {
        return Err(fmt_err(&format!(
            "pool name '{v}' nested too deeply (max levels = 3)"
        )));
    }
    if v.split('/').all(part_ok) {
        Ok(())
    } else {
        Err(fmt_err(&format!(
            "pool name '{v}' contains invalid characters"
        )))
    }
}

/// `pve-node`.
pub fn check_node(_: &str, v: &str) -> Result<(), String> {
    if crate::sim::tasks::store::is_node_name(v) {
        Ok(())
    } else {
        Err(fmt_err("value does not look like a valid node name"))
    }
}

/// `pve-vmid`.
pub fn check_vmid_format(_: &str, v: &str) -> Result<(), String> {
    super::check_vmid(v).map(|_| ())
}

fn is_ipv4(v: &str) -> bool {
    let parts: Vec<&str> = v.split('.').collect();
    parts.len() == 4
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.len() <= 3
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u16>().is_ok_and(|n| n < 256)
        })
}

/// An IPv4 CIDR with a prefix from 8 to 32 (`pve-ipv4-cidr`).
fn is_cidr4(v: &str) -> bool {
    v.split_once('/').is_some_and(|(ip, len)| {
        is_ipv4(ip) && len.parse::<u8>().is_ok_and(|l| (8..=32).contains(&l))
    })
}

pub(crate) fn check_ipv4(_: &str, v: &str) -> Result<(), String> {
    if is_ipv4(v) {
        Ok(())
    } else {
        Err(fmt_err("value does not look like a valid IPv4 address"))
    }
}

pub(crate) fn check_ip4_config(_: &str, v: &str) -> Result<(), String> {
    if v == "dhcp" || v == "manual" || is_cidr4(v) {
        Ok(())
    } else {
        Err(fmt_err(
            "value does not look like a valid ipv4 network configuration",
        ))
    }
}

pub(crate) fn check_ip4_cidr_or_dhcp(_: &str, v: &str) -> Result<(), String> {
    if v == "dhcp" || is_cidr4(v) {
        Ok(())
    } else {
        Err(fmt_err(
            "value does not look like a valid ipv4 network configuration",
        ))
    }
}

pub(crate) fn check_mac(_: &str, v: &str) -> Result<(), String> {
    let parts: Vec<&str> = v.split(':').collect();
    let hex = parts.len() == 6
        && parts
            .iter()
            .all(|p| p.len() == 2 && p.bytes().all(|b| b.is_ascii_hexdigit()));
    let unicast = hex && u8::from_str_radix(parts[0], 16).is_ok_and(|b| b & 1 == 0);
    if unicast {
        Ok(())
    } else {
        Err(fmt_err(
            "value does not look like a valid unicast MAC address",
        ))
    }
}

pub(crate) fn check_bridge(_: &str, v: &str) -> Result<(), String> {
    if !v.is_empty()
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
    {
        Ok(())
    } else {
        Err(fmt_err(&format!("invalid bridge ID '{v}'")))
    }
}

pub(crate) fn check_iface(_: &str, v: &str) -> Result<(), String> {
    let ok = (2..=20).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(fmt_err(&format!("invalid network interface name '{v}'")))
    }
}

/// Checks SSH public keys like `PVE::Tools::validate_ssh_public_keys` (which asks
/// `ssh-keygen -l`): every non-empty line must be `TYPE BASE64 [comment]`.
pub fn ssh_keys_valid(keys: &str) -> bool {
    const TYPES: [&str; 7] = [
        "ssh-ed25519",
        "ssh-rsa",
        "ssh-dss",
        "ecdsa-sha2-nistp256",
        "ecdsa-sha2-nistp384",
        "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
    ];
    keys.lines().filter(|l| !l.trim().is_empty()).all(|line| {
        let mut parts = line.split_whitespace();
        let (Some(ty), Some(blob)) = (parts.next(), parts.next()) else {
            return false;
        };
        TYPES.contains(&ty)
            && blob.len() >= 16
            && blob
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b))
    })
}
