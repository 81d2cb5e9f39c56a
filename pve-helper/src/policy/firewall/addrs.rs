//! Address lists as Proxmox spells them in a rule's `source` and `dest`: addresses,
//! networks (`10.0.0.0/8`, `fd00::/8`) and ranges (`10.0.0.1-10.0.0.9`), comma
//! separated; or one alias (`mgmt`, `dc/mgmt`, `guest/mgmt`) or IP set (`+trusted`).
//! Every address of a rule's list must lie inside one allowed network; names must be
//! listed exactly as written.

use std::net::IpAddr;

/// A network: its first address and prefix length, per family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Net {
    V4(u32, u8),
    V6(u128, u8),
}

impl Net {
    fn contains(self, ip: IpAddr) -> bool {
        match (self, ip) {
            (Net::V4(base, len), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                u32::from(a) & mask == base
            }
            (Net::V6(base, len), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                u128::from(a) & mask == base
            }
            _ => false,
        }
    }

    /// `ADDR/LEN` or `ADDR`, host bits dropped; with the range it spans.
    fn parse(s: &str) -> Option<(Net, IpAddr, IpAddr)> {
        let (addr, len) = match s.split_once('/') {
            Some((a, l)) => {
                if l.is_empty() || l.len() > 3 || !l.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                (a, Some(l.parse::<u8>().ok()?))
            }
            None => (s, None),
        };
        match addr.parse::<IpAddr>().ok()? {
            IpAddr::V4(a) => {
                let len = len.unwrap_or(32);
                if len > 32 {
                    return None;
                }
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                let base = u32::from(a) & mask;
                let last = base | !mask;
                Some((
                    Net::V4(base, len),
                    IpAddr::from(base.to_be_bytes()),
                    IpAddr::from(last.to_be_bytes()),
                ))
            }
            IpAddr::V6(a) => {
                let len = len.unwrap_or(128);
                if len > 128 {
                    return None;
                }
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                let base = u128::from(a) & mask;
                let last = base | !mask;
                Some((
                    Net::V6(base, len),
                    IpAddr::from(base.to_be_bytes()),
                    IpAddr::from(last.to_be_bytes()),
                ))
            }
        }
    }
}

/// Allowed addresses: networks, and alias or IP set names.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AddrSet {
    nets: Vec<Net>,
    names: Vec<String>,
}

/// Whether `s` is an alias or IP set name as Proxmox spells one, with its optional
/// scope (`dc/`, `guest/`) and, for an IP set, its `+`.
fn is_name(s: &str) -> bool {
    let s = s.strip_prefix('+').unwrap_or(s);
    let s = s
        .strip_prefix("dc/")
        .or_else(|| s.strip_prefix("guest/"))
        .unwrap_or(s);
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.len() <= 64
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

impl AddrSet {
    /// The set of the policy's entries: networks or addresses, or names.
    pub fn parse<'a>(entries: impl IntoIterator<Item = &'a str>) -> Result<Self, String> {
        let mut set = Self::default();
        for e in entries {
            if let Some((net, _, _)) = Net::parse(e) {
                set.nets.push(net);
            } else if is_name(e) {
                set.names.push(e.to_owned());
            } else {
                return Err(format!(
                    "{e:?} is neither a network (10.0.0.0/8, fd00::/8), an address, an alias \
                     name nor an IP set (+name)"
                ));
            }
        }
        Ok(set)
    }

    fn covers(&self, lo: IpAddr, hi: IpAddr) -> bool {
        self.nets.iter().any(|n| n.contains(lo) && n.contains(hi))
    }

    /// Whether the rule's `field` (absent: every address) is allowed.
    pub fn judge(&self, field: &str, value: Option<&str>) -> Result<(), String> {
        let Some(value) = value else {
            let all4 = IpAddr::from([0u8; 4]);
            let all6 = IpAddr::from([0u8; 16]);
            let last4 = IpAddr::from([255u8; 4]);
            let last6 = IpAddr::from([255u8; 16]);
            if self.covers(all4, last4) && self.covers(all6, last6) {
                return Ok(());
            }
            return Err(format!(
                "a rule without {field} matches every address (0.0.0.0/0 and ::/0), outside \
                 [firewall] {field}s; give {field}"
            ));
        };
        if is_name(value) && Net::parse(value).is_none() {
            if self.names.iter().any(|n| n == value) {
                return Ok(());
            }
            return Err(format!(
                "{field} {value:?} is an alias or IP set that [firewall] {field}s does not \
                 name"
            ));
        }
        for item in value.split(',') {
            let (lo, hi) = match item.split_once('-') {
                Some((a, b)) => match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
                    (Ok(a), Ok(b)) if a.is_ipv4() == b.is_ipv4() && a <= b => (a, b),
                    _ => return Err(unreadable(field, item)),
                },
                None => match Net::parse(item) {
                    Some((_, lo, hi)) => (lo, hi),
                    None => return Err(unreadable(field, item)),
                },
            };
            if !self.covers(lo, hi) {
                return Err(format!("{field} {item:?} is outside [firewall] {field}s"));
            }
        }
        Ok(())
    }
}

fn unreadable(field: &str, item: &str) -> String {
    format!(
        "{field} {item:?} is not an address, network (ADDR/LEN) or range (ADDR-ADDR); a \
         name must stand alone"
    )
}
