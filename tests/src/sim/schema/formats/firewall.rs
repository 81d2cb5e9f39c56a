//! The formats pve-firewall registers (`PVE::Firewall`): rule addresses (a list of
//! addresses, networks or one range; an IP set `+name`; an alias), source and
//! destination ports (numbers, `a:b` ranges, service names; ICMP type names as a
//! destination port, alone), protocols (by name or number, as `/etc/protocols` lists
//! them) and ICMP types. Each returns the `die` text pve-firewall produces.
//!
//! `pve-fw-comment-spec` (PVE 9's schema names it; its check is not in the
//! pve-firewall sources at hand) is modelled as what a `.fw` file needs of a comment,
//! which it keeps on the rule's own line: no line break.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::super::pattern::is;
use super::{CodeFormat, Registered, fail};

pub(super) fn lookup(name: &str) -> Option<Registered> {
    let f: CodeFormat = match name {
        "pve-fw-addr-spec" => |v, _| addr_spec(v),
        "pve-fw-dport-spec" => |v, _| port_spec(v, true),
        "pve-fw-sport-spec" => |v, _| port_spec(v, false),
        "pve-fw-protocol-spec" => |v, _| protocol_spec(v),
        "pve-fw-icmp-type-spec" => |v, _| icmp_type_spec(v),
        "pve-fw-comment-spec" => |v, _| comment_spec(v),
        _ => return None,
    };
    Some(Registered::Code(f))
}

/// `$ip_alias_pattern`, `$max_alias_name_length`, `$max_ipset_name_length`.
const ALIAS: &str = r"^[A-Za-z][A-Za-z0-9\-_]+$";
const MAX_ALIAS: usize = 64;
const MAX_IPSET: usize = 64;

/// `iptables -p icmp -h`, as pve-firewall lists them.
const ICMP_TYPES: &[&str] = &[
    "any",
    "echo-reply",
    "destination-unreachable",
    "network-unreachable",
    "host-unreachable",
    "protocol-unreachable",
    "port-unreachable",
    "fragmentation-needed",
    "source-route-failed",
    "network-unknown",
    "host-unknown",
    "network-prohibited",
    "host-prohibited",
    "TOS-network-unreachable",
    "TOS-host-unreachable",
    "communication-prohibited",
    "host-precedence-violation",
    "precedence-cutoff",
    "source-quench",
    "redirect",
    "network-redirect",
    "host-redirect",
    "TOS-network-redirect",
    "TOS-host-redirect",
    "echo-request",
    "router-advertisement",
    "router-solicitation",
    "time-exceeded",
    "ttl-zero-during-transit",
    "ttl-zero-during-reassembly",
    "parameter-problem",
    "ip-header-bad",
    "required-option-missing",
    "timestamp-request",
    "timestamp-reply",
    "address-mask-request",
    "address-mask-reply",
];

/// `ip6tables -p icmpv6 -h`, as pve-firewall lists them.
const ICMPV6_TYPES: &[&str] = &[
    "destination-unreachable",
    "no-route",
    "communication-prohibited",
    "beyond-scope",
    "address-unreachable",
    "port-unreachable",
    "failed-policy",
    "reject-route",
    "packet-too-big",
    "time-exceeded",
    "ttl-zero-during-transit",
    "ttl-zero-during-reassembly",
    "parameter-problem",
    "bad-header",
    "unknown-header-type",
    "unknown-option",
    "echo-request",
    "echo-reply",
    "router-solicitation",
    "router-advertisement",
    "neighbor-solicitation",
    "neighbour-solicitation",
    "neighbor-advertisement",
    "neighbour-advertisement",
    "redirect",
];

/// Debian's `/etc/protocols` (netbase), name and number, which a node reads; pve-firewall
/// adds `icmpv6`.
const PROTOCOLS: &[(&str, u8)] = &[
    ("ip", 0),
    ("hopopt", 0),
    ("icmp", 1),
    ("igmp", 2),
    ("ggp", 3),
    ("ipencap", 4),
    ("st", 5),
    ("tcp", 6),
    ("egp", 8),
    ("igp", 9),
    ("pup", 12),
    ("udp", 17),
    ("hmp", 20),
    ("xns-idp", 22),
    ("rdp", 27),
    ("iso-tp4", 29),
    ("dccp", 33),
    ("xtp", 36),
    ("ddp", 37),
    ("idpr-cmtp", 38),
    ("ipv6", 41),
    ("ipv6-route", 43),
    ("ipv6-frag", 44),
    ("idrp", 45),
    ("rsvp", 46),
    ("gre", 47),
    ("esp", 50),
    ("ah", 51),
    ("skip", 57),
    ("ipv6-icmp", 58),
    ("ipv6-nonxt", 59),
    ("ipv6-opts", 60),
    ("rspf", 73),
    ("vmtp", 81),
    ("eigrp", 88),
    ("ospf", 89),
    ("ax.25", 93),
    ("ipip", 94),
    ("etherip", 97),
    ("encap", 98),
    ("pim", 103),
    ("ipcomp", 108),
    ("vrrp", 112),
    ("l2tp", 115),
    ("isis", 124),
    ("sctp", 132),
    ("fc", 133),
    ("mobility-header", 135),
    ("udplite", 136),
    ("mpls-in-ip", 137),
    ("manet", 138),
    ("hip", 139),
    ("shim6", 140),
    ("wesp", 141),
    ("rohc", 142),
    ("ethernet", 143),
];

/// Service names of Debian's `/etc/services` the simulator knows (a part of it).
const SERVICES: &[&str] = &[
    "ftp",
    "ssh",
    "telnet",
    "smtp",
    "domain",
    "http",
    "pop3",
    "ntp",
    "imap2",
    "snmp",
    "ldap",
    "https",
    "submission",
    "imaps",
    "pop3s",
    "mysql",
    "postgresql",
    "rsync",
];

/// `parse_address_list`.
fn addr_spec(v: &str) -> Result<(), String> {
    if let Some(name) = v.strip_prefix('+')
        && !name.is_empty()
        && !name.contains(char::is_whitespace)
    {
        if v.len() > MAX_IPSET + 1 {
            return fail("ipset name too long".into());
        }
        return Ok(());
    }
    if is(ALIAS, v) {
        if v.len() > MAX_ALIAS {
            return fail("alias name too long".into());
        }
        return Ok(());
    }
    let elements: Vec<&str> = v.split(',').filter(|e| !e.is_empty()).collect();
    if elements.join(",") != v {
        return fail("extraneous commas in list".into());
    }
    let mut family = None;
    let mut range = false;
    for e in &elements {
        let Some(f) = net_ip(e) else {
            return fail(format!("invalid IP address: {e}"));
        };
        range |= e.contains('-');
        if family.is_some_and(|g| g != f) {
            return fail(format!(
                "detected mixed ipv4/ipv6 addresses in address list '{v}'"
            ));
        }
        family = Some(f);
    }
    if range && elements.len() > 1 {
        return fail("you can't use a range in a list".into());
    }
    Ok(())
}

/// What `Net::IP->new` reads: an address, `address/prefix` whose host bits are zero,
/// or `first-last` of one family in order; IPv4 may be short (`10/8` is `10.0.0.0/8`).
/// The family, 4 or 6.
fn net_ip(e: &str) -> Option<u8> {
    if let Some((a, b)) = e.split_once('-') {
        let (a, b) = (address(a.trim())?, address(b.trim())?);
        return match (a, b) {
            (IpAddr::V4(x), IpAddr::V4(y)) if x <= y => Some(4),
            (IpAddr::V6(x), IpAddr::V6(y)) if x <= y => Some(6),
            _ => None,
        };
    }
    let (addr, prefix) = match e.split_once('/') {
        Some((a, p)) => (a, Some(p)),
        None => (e, None),
    };
    let ip = address(addr)?;
    let Some(prefix) = prefix else {
        return Some(family(ip));
    };
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) || prefix.len() > 3 {
        return None;
    }
    let len: u32 = prefix.parse().ok()?;
    let host_bits_zero = match ip {
        IpAddr::V4(a) if len <= 32 => u32::from(a).checked_shl(len).unwrap_or(0) == 0,
        IpAddr::V6(a) if len <= 128 => u128::from(a).checked_shl(len).unwrap_or(0) == 0,
        _ => return None,
    };
    host_bits_zero.then_some(family(ip))
}

fn family(ip: IpAddr) -> u8 {
    if ip.is_ipv4() { 4 } else { 6 }
}

/// An address as `Net::IP` expands it: IPv4 of one to four dotted numbers, padded with
/// zeros; IPv6 as written.
fn address(a: &str) -> Option<IpAddr> {
    if a.contains(':') {
        return a.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    let parts: Vec<&str> = a.split('.').collect();
    if parts.is_empty() || parts.len() > 4 {
        return None;
    }
    let mut octets = [0u8; 4];
    for (slot, p) in octets.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 3 || !p.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        *slot = p.parse().ok()?;
    }
    Some(IpAddr::V4(Ipv4Addr::from(octets)))
}

/// `parse_port_name_number_or_range`.
fn port_spec(v: &str, dport: bool) -> Result<(), String> {
    let elements: Vec<&str> = v.split(',').filter(|e| !e.is_empty()).collect();
    if elements.join(",") != v {
        return fail("extraneous commas in list".into());
    }
    let number = |s: &str| -> Option<u64> {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().unwrap_or(u64::MAX))
    };
    let (mut count, mut icmp) = (0, false);
    for item in elements {
        if let Some((a, b)) = item.split_once(':')
            && let (Some(p1), Some(p2)) = (number(a), number(b))
        {
            count += 2;
            for p in [p1, p2] {
                if p > 65535 {
                    return fail(format!("invalid port '{p}'"));
                }
            }
            if p1 > p2 {
                return fail(format!(
                    "backwards range '{p1}:{p2}' not allowed, did you mean '{p2}:{p1}'?"
                ));
            }
        } else if let Some(p) = number(item) {
            count += 1;
            if p > 65535 {
                return fail(format!("invalid port '{p}'"));
            }
        } else if dport && (ICMP_TYPES.contains(&item) || ICMPV6_TYPES.contains(&item)) {
            icmp = true;
        } else if !SERVICES.contains(&item) {
            return fail(format!("invalid port '{item}'"));
        }
    }
    if icmp && count > 0 {
        return fail("ICMP ports not allowed in port range".into());
    }
    if count > 15 {
        return fail("too many entries in port list (> 15 numbers)".into());
    }
    Ok(())
}

/// `pve_fw_verify_protocol_spec`: a name or a number `/etc/protocols` lists.
fn protocol_spec(v: &str) -> Result<(), String> {
    let known = v.is_empty()
        || v == "0"
        || v == "icmpv6"
        || PROTOCOLS
            .iter()
            .any(|(name, id)| *name == v || id.to_string() == v);
    if known {
        Ok(())
    } else {
        fail(format!("unknown protocol '{v}'"))
    }
}

/// `pve_fw_verify_icmp_type_spec`.
fn icmp_type_spec(v: &str) -> Result<(), String> {
    if v.is_empty() || ICMP_TYPES.contains(&v) || ICMPV6_TYPES.contains(&v) {
        Ok(())
    } else {
        fail(format!("invalid icmp-type value '{v}'"))
    }
}

/// A comment stays on its rule's line of the `.fw` file.
fn comment_spec(v: &str) -> Result<(), String> {
    if v.contains(['\n', '\r']) {
        fail("comment must not contain line breaks".into())
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_pve_firewall_reads_them() {
        for ok in [
            "10.0.0.0/8",
            "10/8",
            "0/0",
            "192.168.1.5",
            "10.0.0.1-10.0.0.9",
            "2001:db8::/32",
            "::/0",
            "10.0.0.1,10.0.0.2",
            "+office",
            "dc-web",
        ] {
            assert_eq!(addr_spec(ok), Ok(()), "{ok}");
        }
        for bad in [
            "10.0.0.1/24",
            "10.0.0.0/33",
            "256.0.0.1",
            "10.0.0.1,,10.0.0.2",
            "10.0.0.1,2001:db8::1",
            "10.0.0.1-10.0.0.9,10.0.1.1",
            "10.0.0.9-10.0.0.1",
            "a",
            "+",
        ] {
            assert!(addr_spec(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn ports_as_pve_firewall_reads_them() {
        for ok in ["22", "80,443", "1:65535", "8000:8080,22", "ssh"] {
            assert_eq!(port_spec(ok, false), Ok(()), "{ok}");
        }
        assert_eq!(port_spec("echo-request", true), Ok(()));
        for bad in [
            "65536",
            "90:80",
            "22,,23",
            "echo-request",
            "no-such-service",
        ] {
            assert!(port_spec(bad, false).is_err(), "{bad}");
        }
        assert!(port_spec("echo-request,22", true).is_err());
        assert!(port_spec("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", false).is_err());
        assert_eq!(protocol_spec("tcp"), Ok(()));
        assert_eq!(protocol_spec("6"), Ok(()));
        assert!(protocol_spec("TCP").is_err());
        assert!(protocol_spec("250").is_err());
        assert_eq!(icmp_type_spec("echo-request"), Ok(()));
        assert!(icmp_type_spec("echo").is_err());
        assert_eq!(comment_spec("web: allow 443"), Ok(()));
        assert!(comment_spec("x\nIN ACCEPT").is_err());
    }
}
