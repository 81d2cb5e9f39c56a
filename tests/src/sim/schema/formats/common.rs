//! The formats pve-common registers (`PVE::JSONSchema`, `PVE::ParseUtils`): IDs, node
//! names, addresses and networks, MAC addresses, DNS names, sizes, tags, startup orders,
//! storage and bridge maps. Each returns the `die` text PVE's check produces.

use super::super::pattern::is;
use super::{CodeFormat, Registered, fail};
use crate::sim::schema::version::PveVersion;

pub(super) fn lookup(name: &str) -> Option<Registered> {
    let f: CodeFormat = match name {
        "string" => |_, _| Ok(()),
        "urlencoded" => urlencoded,
        "pve-configid" => configid,
        "pve-storage-id" => |v, ver| parse_id(v, "storage", ver),
        "acme-plugin-id" => |v, ver| parse_id(v, "ACME plugin", ver),
        "pve-bridge-id" => bridge_id,
        "pve-vmid" => vmid,
        "pve-node" => node,
        "mac-addr" => mac_addr,
        "ipv4" => |v, _| ipv4(v),
        "ipv6" => |v, _| ipv6(v),
        "ip" => |v, _| ip(v),
        "ipv4mask" => ipv4mask,
        "CIDRv4" => |v, _| cidr(v, 4),
        "CIDRv6" => |v, _| cidr(v, 6),
        "CIDR" => cidr_any,
        "pve-ipv4-config" => ipv4_config,
        "pve-ipv6-config" => ipv6_config,
        "email" => email,
        "email-or-username" => email_or_username,
        "dns-name" => |v, _| dns_name(v),
        "pve-iface" => |v, _| iface(v),
        "pve-vlan-id-or-range" => vlan_id_or_range,
        "address" => address,
        "disk-size" => disk_size,
        "pve-startup-order" => startup_order,
        "pve-tag" => tag,
        "storage-pair" => |v, ver| id_pair(v, ver, |x| parse_id(x, "storage", ver)),
        "bridge-pair" => |v, ver| id_pair(v, ver, |x| bridge_id(x, ver)),
        "pve-task-status-type" => task_status_type,
        "ldap-simple-attr" => ldap_simple_attr,
        _ => return None,
    };
    Some(Registered::Code(f))
}

fn urlencoded(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"^[-%a-zA-Z0-9_.!~*'()]*$", v) {
        Ok(())
    } else {
        fail(format!("invalid urlencoded string: {v}"))
    }
}

fn configid(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"(?i)^[a-z][a-z0-9_-]+$", v) {
        Ok(())
    } else {
        fail(format!("invalid configuration ID '{v}'"))
    }
}

/// `parse_id`: storage and plugin IDs (PVE 9 names the length problem apart).
pub(super) fn parse_id(id: &str, what: &str, version: PveVersion) -> Result<(), String> {
    if version == PveVersion::Pve9 && id.chars().count() < 2 {
        return fail(format!(
            "{what} ID '{id}' cannot be shorter than 2 characters"
        ));
    }
    if is(r"(?i)^[a-z][a-z0-9\-\_\.]*[a-z0-9]$", id) {
        Ok(())
    } else {
        fail(format!("{what} ID '{id}' contains illegal characters"))
    }
}

pub(super) fn bridge_id(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"^[-_.\w\d]+$", v) {
        Ok(())
    } else {
        fail(format!("invalid bridge ID '{v}'"))
    }
}

fn vmid(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"^[1-9][0-9]{2,8}$", v) {
        Ok(())
    } else {
        fail("value does not look like a valid VM ID".into())
    }
}

fn node(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"^([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)$", v) {
        Ok(())
    } else {
        fail("value does not look like a valid node name".into())
    }
}

fn mac_addr(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"(?i)^[a-f0-9][02468ace](?::[a-f0-9]{2}){5}$", v) {
        Ok(())
    } else {
        fail("value does not look like a valid unicast MAC address".into())
    }
}

const IPV4OCTET: &str = "(?:25[0-5]|(?:2[0-4]|1[0-9]|[1-9])?[0-9])";

fn ipv4_re() -> String {
    format!(r"(?:(?:{IPV4OCTET}\.){{3}}{IPV4OCTET})")
}

/// `$IPV6RE`, as `PVE::ParseUtils` builds it.
fn ipv6_re() -> String {
    let h16 = "(?:[0-9a-fA-F]{1,4})";
    let ls32 = format!("(?:(?:{}|{h16}:{h16}))", ipv4_re());
    [
        format!("(?:(?:(?:{h16}:){{6}}){ls32})"),
        format!("(?:(?:::(?:{h16}:){{5}}){ls32})"),
        format!("(?:(?:(?:{h16})?::(?:{h16}:){{4}}){ls32})"),
        format!("(?:(?:(?:(?:{h16}:){{0,1}}{h16})?::(?:{h16}:){{3}}){ls32})"),
        format!("(?:(?:(?:(?:{h16}:){{0,2}}{h16})?::(?:{h16}:){{2}}){ls32})"),
        format!("(?:(?:(?:(?:{h16}:){{0,3}}{h16})?::(?:{h16}:){{1}}){ls32})"),
        format!("(?:(?:(?:(?:{h16}:){{0,4}}{h16})?::){ls32})"),
        format!("(?:(?:(?:(?:{h16}:){{0,5}}{h16})?::){h16})"),
        format!("(?:(?:(?:(?:{h16}:){{0,6}}{h16})?::))"),
    ]
    .join("|")
}

pub(super) fn is_ipv4(v: &str) -> bool {
    is(&format!("^(?:{})$", ipv4_re()), v)
}

pub(super) fn is_ipv6(v: &str) -> bool {
    is(&format!("^(?:{})$", ipv6_re()), v)
}

fn ipv4(v: &str) -> Result<(), String> {
    if is_ipv4(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv4 address".into())
    }
}

fn ipv6(v: &str) -> Result<(), String> {
    if is_ipv6(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IPv6 address".into())
    }
}

pub(super) fn ip(v: &str) -> Result<(), String> {
    if is_ipv4(v) || is_ipv6(v) {
        Ok(())
    } else {
        fail("value does not look like a valid IP address".into())
    }
}

fn ipv4mask(v: &str, _: PveVersion) -> Result<(), String> {
    let bits: Vec<u32> = v
        .split('.')
        .filter_map(|o| o.parse::<u8>().ok())
        .map(u32::from)
        .collect();
    let mask = (bits.len() == 4 && v.split('.').count() == 4)
        .then(|| bits.iter().fold(0u32, |m, b| (m << 8) | b));
    let canonical = |m: u32| {
        v.split('.')
            .all(|o| o == o.parse::<u8>().map(|b| b.to_string()).unwrap_or_default())
            && m.leading_ones() + m.trailing_zeros() == 32
    };
    match mask {
        Some(m) if canonical(m) => Ok(()),
        _ => fail("value does not look like a valid IP netmask".into()),
    }
}

fn is_cidr(v: &str, family: u8) -> bool {
    let (re, max) = match family {
        4 => (ipv4_re(), 32),
        _ => (ipv6_re(), 128),
    };
    let Some((addr, bits)) = v.rsplit_once('/') else {
        return false;
    };
    let bits_ok = is(r"^\d+$", bits)
        && bits
            .trim_end()
            .parse::<u32>()
            .is_ok_and(|b| b > 7 && b <= max);
    bits_ok && is(&format!("^(?:{re})$"), addr) && !addr.ends_with('\n')
}

fn cidr(v: &str, family: u8) -> Result<(), String> {
    if is_cidr(v, family) {
        return Ok(());
    }
    let name = if family == 4 { "IPv4" } else { "IPv6" };
    fail(format!(
        "value does not look like a valid {name} CIDR network"
    ))
}

fn cidr_any(v: &str, _: PveVersion) -> Result<(), String> {
    if is_cidr(v, 4) || is_cidr(v, 6) {
        Ok(())
    } else {
        fail("value does not look like a valid CIDR network".into())
    }
}

fn ipv4_config(v: &str, _: PveVersion) -> Result<(), String> {
    if is("^(?:dhcp|manual)$", v) || is_cidr(v, 4) {
        Ok(())
    } else {
        fail("value does not look like a valid ipv4 network configuration".into())
    }
}

fn ipv6_config(v: &str, _: PveVersion) -> Result<(), String> {
    if is("^(?:auto|dhcp|manual)$", v) || is_cidr(v, 6) {
        Ok(())
    } else {
        fail("value does not look like a valid ipv6 network configuration".into())
    }
}

const EMAIL_USER_RE: &str = r"[\w\+\-\~]+(\.[\w\+\-\~]+)*";

fn is_email(v: &str) -> bool {
    is(
        &format!(r"^{EMAIL_USER_RE}@[a-zA-Z0-9\-]+(\.[a-zA-Z0-9\-]+)*$"),
        v,
    )
}

fn email(v: &str, _: PveVersion) -> Result<(), String> {
    if is_email(v) {
        Ok(())
    } else {
        fail("value does not look like a valid email address".into())
    }
}

fn email_or_username(v: &str, _: PveVersion) -> Result<(), String> {
    if is_email(v) || is(&format!("^{EMAIL_USER_RE}$"), v) {
        Ok(())
    } else {
        fail("value does not look like a valid email address or user name".into())
    }
}

pub(super) fn is_dns_name(v: &str) -> bool {
    let name = r"([a-zA-Z0-9]([a-zA-Z0-9\-]*[a-zA-Z0-9])?)";
    is(&format!(r"^({name}\.)*{name}$"), v)
}

fn dns_name(v: &str) -> Result<(), String> {
    if is_dns_name(v) {
        Ok(())
    } else {
        fail("value does not look like a valid DNS name".into())
    }
}

pub(super) fn iface(v: &str) -> Result<(), String> {
    if is(r"(?i)^[a-z][a-z0-9_]{1,20}([:\.]\d+)?$", v) {
        Ok(())
    } else {
        fail(format!("invalid network interface name '{v}'"))
    }
}

fn vlan_id_or_range(v: &str, _: PveVersion) -> Result<(), String> {
    let Some((start, end)) = v
        .split_once('-')
        .map(|(a, b)| (a, Some(b)))
        .or(Some((v, None)))
        .filter(|(a, b)| is(r"^\d+$", a) && b.is_none_or(|b| is(r"^\d+$", b)))
    else {
        return fail(format!("invalid VLAN configuration '{v}'"));
    };
    let tag = |t: &str| -> Result<u64, String> {
        let n: u64 = t.trim_end().parse().unwrap_or(u64::MAX);
        if !(2..=4094).contains(&n) {
            return Err(format!("invalid VLAN tag '{t}'\n"));
        }
        Ok(n)
    };
    let s = tag(start)?;
    if let Some(end) = end.filter(|e| e.trim_end().parse::<u64>().is_ok_and(|n| n != 0))
        && s >= tag(end)?
    {
        return fail(format!("VLAN range must go from lower to higher tag '{v}'"));
    }
    Ok(())
}

fn address(v: &str, _: PveVersion) -> Result<(), String> {
    if ip(v).is_ok() || is_dns_name(v) {
        Ok(())
    } else {
        fail(format!("value does not look like a valid address: {v}"))
    }
}

/// `parse_size`: PVE 9 also takes `KiB`..`TiB`.
pub fn parse_size(v: &str, version: PveVersion) -> Option<u64> {
    let re = match version {
        PveVersion::Pve8 => r"^(\d+(\.\d+)?)([KMGT])?$",
        PveVersion::Pve9 => r"^(\d+(\.\d+)?)([KMGT](?:iB)?)?$",
    };
    if !is(re, v) {
        return None;
    }
    let v = v.trim_end_matches('\n');
    let num_end = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(num_end);
    let shift = match unit.trim_end_matches("iB") {
        "K" => 10,
        "M" => 20,
        "G" => 30,
        "T" => 40,
        _ => 0,
    };
    let bytes = num.parse::<f64>().ok()? * (1u64 << shift) as f64;
    Some(if bytes >= u64::MAX as f64 {
        u64::MAX
    } else {
        bytes as u64
    })
}

fn disk_size(v: &str, version: PveVersion) -> Result<(), String> {
    match parse_size(v, version) {
        Some(_) => Ok(()),
        None => fail(format!("value does not look like a valid disk size: {v}")),
    }
}

fn startup_order(v: &str, _: PveVersion) -> Result<(), String> {
    let parsed = !v.is_empty()
        && v != "0"
        && v.split(',').all(|p| {
            is(r"^\s*$", p)
                || is(r"^(order=)?(\d+)$", p)
                || is(r"^up=(\d+)$", p)
                || is(r"^down=(\d+)$", p)
        });
    if parsed {
        Ok(())
    } else {
        fail("unable to parse startup options".into())
    }
}

fn tag(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"(?i)^[a-z0-9_][a-z0-9_\-\+\.]*$", v) {
        Ok(())
    } else {
        fail("invalid characters in tag".into())
    }
}

/// `parse_idmap` through `$verify_idpair`, which adds a newline to its `die` text.
fn id_pair(
    v: &str,
    _: PveVersion,
    check: impl Fn(&str) -> Result<(), String>,
) -> Result<(), String> {
    let wrapped = |e: String| Err(format!("{e}\n"));
    let mut identity = false;
    let mut default = false;
    let mut entries = std::collections::BTreeSet::new();
    for entry in super::split_list(v) {
        if entry == "1" {
            identity = true;
        } else if let Some((src, dst)) = entry
            .split_once(':')
            .filter(|(s, d)| !s.is_empty() && !d.is_empty() && !d.contains(':'))
        {
            if let Err(e) = check(src).and_then(|()| check(dst)) {
                return wrapped(format!("entry '{entry}' contains invalid ID - {e}\n"));
            }
            if !entries.insert(src.to_owned()) {
                return wrapped(format!("duplicate mapping for source '{src}'\n"));
            }
        } else {
            if let Err(e) = check(entry) {
                return wrapped(format!("entry '{entry}' contains invalid ID - {e}\n"));
            }
            if default {
                return wrapped("default target ID can only be provided once\n".into());
            }
            default = true;
        }
    }
    if identity && (default || !entries.is_empty()) {
        return wrapped("identity mapping cannot be combined with other mappings\n".into());
    }
    Ok(())
}

fn task_status_type(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"(?i)^(ok|error|warning|unknown)$", v) {
        Ok(())
    } else {
        fail(format!("invalid status '{v}'"))
    }
}

fn ldap_simple_attr(v: &str, _: PveVersion) -> Result<(), String> {
    if is(r"^[a-zA-Z0-9]+$", v) {
        Ok(())
    } else {
        fail(format!(
            "value '{v}' does not look like a simple ldap attribute name"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_formats_answer_like_pve() {
        let v8 = PveVersion::Pve8;
        let v9 = PveVersion::Pve9;
        assert!(ip("10.0.0.1").is_ok() && ip("fe80::1").is_ok() && ip("::").is_ok());
        assert!(ip("10.0.0.256").is_err() && ip("fe80:::1").is_err());
        assert!(cidr("10.0.0.0/24", 4).is_ok());
        assert_eq!(
            cidr("10.0.0.0/7", 4).unwrap_err(),
            "value does not look like a valid IPv4 CIDR network\n"
        );
        assert!(ipv4mask("255.255.255.0", v8).is_ok() && ipv4mask("255.0.255.0", v8).is_err());
        assert!(mac_addr("BC:24:11:AA:BB:CC", v8).is_ok());
        assert!(mac_addr("01:24:11:AA:BB:CC", v8).is_err());
        assert!(dns_name("web-1.example.org").is_ok() && dns_name("-x").is_err());
        assert_eq!(
            parse_id("a", "storage", v8).unwrap_err(),
            "storage ID 'a' contains illegal characters\n"
        );
        assert_eq!(
            parse_id("a", "storage", v9).unwrap_err(),
            "storage ID 'a' cannot be shorter than 2 characters\n"
        );
        assert_eq!(parse_size("32G", v8), Some(32 << 30));
        assert_eq!(parse_size("32GiB", v8), None);
        assert_eq!(parse_size("32GiB", v9), Some(32 << 30));
        assert!(startup_order("order=1,up=30", v8).is_ok() && startup_order("first", v8).is_err());
        assert!(vlan_id_or_range("10-20", v8).is_ok());
        assert_eq!(
            vlan_id_or_range("1", v8).unwrap_err(),
            "invalid VLAN tag '1'\n"
        );
        assert!(id_pair("local:nas,local-lvm", v8, |x| parse_id(x, "storage", v8)).is_ok());
        assert_eq!(
            id_pair("1,nas", v8, |x| parse_id(x, "storage", v8)).unwrap_err(),
            "identity mapping cannot be combined with other mappings\n\n"
        );
        assert!(email("root@example.org", v8).is_ok() && email("root", v8).is_err());
        assert!(email_or_username("root", v8).is_ok());
    }
}
