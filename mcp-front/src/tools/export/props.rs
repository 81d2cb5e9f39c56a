//! Proxmox property strings as a guest's configuration stores them
//! (`local-lvm:vm-101-disk-0,size=32G,iothread=1`), read for the export: the leading
//! value without a key, then `key=value` pairs. Sizes (`32G`) in GiB.
//!
//! Input is a configuration value from the helper (already judged and redacted);
//! nothing here decides anything: a value that does not read as expected is left out
//! of the export, and the export says so.

use std::collections::BTreeMap;

/// One property string: its leading value (a volume, a model) and its keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Props {
    /// The first item when it has no `=`: a volume (`local-lvm:vm-101-disk-0`), `none`.
    pub head: Option<String>,
    pub keys: BTreeMap<String, String>,
}

impl Props {
    pub fn parse(value: &str) -> Props {
        let mut props = Props::default();
        for (i, item) in value.split(',').map(str::trim).enumerate() {
            match item.split_once('=') {
                Some((k, v)) => {
                    props.keys.insert(k.trim().to_owned(), v.trim().to_owned());
                }
                None if i == 0 && !item.is_empty() => props.head = Some(item.to_owned()),
                None => {}
            }
        }
        props
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.keys.get(key).map(String::as_str)
    }

    /// A boolean key as Proxmox writes it (`1`/`0`, `on`/`off`, `yes`/`no`).
    pub fn flag(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(flag)
    }

    pub fn number(&self, key: &str) -> Option<u64> {
        self.get(key).and_then(|v| v.parse().ok())
    }
}

/// A boolean as Proxmox writes it.
pub fn flag(v: &str) -> Option<bool> {
    match v {
        "1" | "on" | "yes" | "true" => Some(true),
        "0" | "off" | "no" | "false" => Some(false),
        _ => None,
    }
}

/// A Proxmox size (`32G`, `512M`, `1T`, bytes without a unit) in whole GiB, rounded
/// up; `None` when it does not read as a size.
pub fn size_gib(v: &str) -> Option<u64> {
    let (digits, unit) = v.split_at(v.find(|c: char| !c.is_ascii_digit()).unwrap_or(v.len()));
    let n: u64 = digits.parse().ok()?;
    let bytes_per = match unit {
        "" => 1,
        "K" => 1 << 10,
        "M" => 1 << 20,
        "G" => 1 << 30,
        "T" => 1 << 40,
        _ => return None,
    };
    let bytes = n.checked_mul(bytes_per)?;
    Some(bytes.div_ceil(1 << 30))
}

/// The storage of a volume id (`local-lvm` of `local-lvm:vm-101-disk-0`).
pub fn storage_of(volume: &str) -> Option<&str> {
    volume
        .split_once(':')
        .map(|(s, _)| s)
        .filter(|s| !s.is_empty())
}

/// Text Proxmox stores percent-encoded (`sshkeys`), decoded; invalid encodings stay.
pub fn percent_decode(v: &str) -> String {
    let bytes = v.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        if bytes[i] == b'%'
            && let (Some(h), Some(l)) = (
                bytes.get(i + 1).copied().and_then(hex),
                bytes.get(i + 2).copied().and_then(hex),
            )
        {
            out.push((h * 16 + l) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn property_strings_read_as_proxmox_writes_them() {
        let p = Props::parse("local-lvm:vm-101-disk-0,iothread=1,size=32G");
        assert_eq!(p.head.as_deref(), Some("local-lvm:vm-101-disk-0"));
        assert_eq!(p.get("size"), Some("32G"));
        assert_eq!(p.flag("iothread"), Some(true));
        let net = Props::parse("virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1,tag=20");
        assert_eq!(net.head, None);
        assert_eq!(net.get("virtio"), Some("BC:24:11:00:00:01"));
        assert_eq!(net.number("tag"), Some(20));
        assert_eq!(Props::parse(""), Props::default());
    }

    #[test]
    fn sizes_are_whole_gib_rounded_up() {
        assert_eq!(size_gib("32G"), Some(32));
        assert_eq!(size_gib("1T"), Some(1024));
        assert_eq!(size_gib("512M"), Some(1));
        assert_eq!(size_gib("4096M"), Some(4));
        assert_eq!(size_gib("1073741824"), Some(1));
        assert_eq!(size_gib("12X"), None);
        assert_eq!(size_gib("G"), None);
        assert_eq!(size_gib("99999999999999T"), None);
    }

    #[test]
    fn ssh_keys_are_decoded() {
        assert_eq!(
            percent_decode("ssh-ed25519%20AAAA%2B%2F%3D%20me%40host%0A"),
            "ssh-ed25519 AAAA+/= me@host\n"
        );
        assert_eq!(percent_decode("50%"), "50%");
        assert_eq!(percent_decode("%zz"), "%zz");
    }
}
