//! The formats pve-container registers: mount point and device paths, addresses with a
//! link-local interface, and time zones (with pve-common's `timezone`).

use super::super::pattern::is;
use super::common::{iface, ip};
use super::{CodeFormat, Registered, fail};
use crate::sim::schema::version::PveVersion;

pub(super) fn lookup(name: &str) -> Option<Registered> {
    let code: CodeFormat = match name {
        "pve-lxc-mp-string" => mp_string,
        "pve-lxc-dev-string" => dev_string,
        "lxc-ip-with-ll-iface" => ip_with_ll_iface,
        "pve-ct-timezone" => ct_timezone,
        "timezone" => |v, _| timezone(v),
        _ => return None,
    };
    Some(Registered::Code(code))
}

fn mp_string(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"/\.\.?/", v) || is(r"/\.\.?$", v) || is(r"^\.\./", v) {
        fail(format!("{v} contains illegal character sequences"))
    } else {
        Ok(())
    }
}

fn dev_string(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"/\.\.?(?:/|$)", v) || !is("^/dev/", v) {
        fail(format!("{v} is not a valid device path"))
    } else {
        Ok(())
    }
}

fn ip_with_ll_iface(v: &str, _: PveVersion) -> Result<(), String> {
    if let Some((addr, ifname)) = v.split_once('%').filter(|(a, _)| a.starts_with("fe80:"))
        && ip(addr).is_ok()
        && iface(ifname).is_ok()
    {
        return Ok(());
    }
    ip(v)
}

/// `pve_verify_timezone`: `UTC`, or a zone of the host's `zone.tab`.
fn timezone(v: &str) -> Result<(), String> {
    if v == "UTC" {
        return Ok(());
    }
    let tab = std::fs::read_to_string("/usr/share/zoneinfo/zone.tab").unwrap_or_default();
    let known = tab
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .any(|l| l.split('\t').nth(2) == Some(v));
    if known {
        Ok(())
    } else {
        fail(format!("invalid time zone '{v}'"))
    }
}

fn ct_timezone(v: &str, _: PveVersion) -> Result<(), String> {
    if v == "host" {
        return Ok(());
    }
    timezone(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_formats_answer_like_pve() {
        let v = PveVersion::Pve8;
        assert!(mp_string("/mnt/data", v).is_ok());
        assert_eq!(
            mp_string("/mnt/../etc", v).unwrap_err(),
            "/mnt/../etc contains illegal character sequences\n"
        );
        assert!(dev_string("/dev/ttyUSB0", v).is_ok() && dev_string("/tmp/x", v).is_err());
        assert!(ip_with_ll_iface("fe80::1%eth0", v).is_ok());
        assert!(ip_with_ll_iface("10.0.0.1%eth0", v).is_err());
        assert!(ct_timezone("host", v).is_ok() && timezone("UTC").is_ok());
    }
}
