//! PVE's property strings (`virtio,bridge=vmbr0,firewall=1`, `local-lvm:32,iothread=1`):
//! parsing with a format's keys as `PVE::JSONSchema::parse_property_string` does, with
//! its exact complaints, printing in PVE's key order, and disk sizes (`32G`, `528K`).
//! Values come from clients and are untrusted: every problem becomes a message.

use super::{Ty, check_value};
use crate::sim::errors::schema;

/// The keys of one property-string format.
#[derive(Debug, Clone, Copy)]
pub struct Format {
    /// The key a value without `key=` belongs to (`file`, `volume`, `model`, ...).
    pub default_key: Option<&'static str>,
    pub keys: &'static [(&'static str, Ty)],
    /// Keys that must be present.
    pub required: &'static [&'static str],
    /// `key=value` forms that set another key (`virtio=MAC` sets `macaddr` and records
    /// `virtio` as the `model`): `(alias, target, key_alias)`.
    pub aliases: &'static [(&'static str, &'static str, &'static str)],
}

/// A parsed property string: `(key, value)` in the order given.
pub type Props = Vec<(String, String)>;

/// The value of `key`.
pub fn get<'a>(props: &'a Props, key: &str) -> Option<&'a str> {
    props
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// Sets `key` (replacing it, or appending it).
pub fn set(props: &mut Props, key: &str, value: &str) {
    match props.iter_mut().find(|(k, _)| k == key) {
        Some(entry) => entry.1 = value.to_owned(),
        None => props.push((key.to_owned(), value.to_owned())),
    }
}

pub fn remove(props: &mut Props, key: &str) {
    props.retain(|(k, _)| k != key);
}

/// Parses `data` for parameter `path`; the error is what follows "invalid format - ".
pub fn parse(format: &Format, data: &str, path: &str) -> Result<Props, String> {
    let mut res: Props = Vec::new();
    let mut default_used = false;
    for part in data.split(',').filter(|p| !p.trim().is_empty()) {
        if let Some((k, v)) = part
            .split_once('=')
            .filter(|(k, v)| !k.is_empty() && !v.is_empty())
        {
            if get(&res, k).is_some() {
                return Err(format!(
                    "duplicate key in comma-separated list property: {k}\n"
                ));
            }
            if let Some((_, target, key_alias)) = format.aliases.iter().find(|(a, _, _)| *a == k) {
                if get(&res, key_alias).is_some() {
                    return Err(format!("key alias '{key_alias}' is already defined\n"));
                }
                res.push(((*key_alias).to_owned(), k.to_owned()));
                res.push(((*target).to_owned(), v.to_owned()));
                continue;
            }
            let Some((_, ty)) = format.keys.iter().find(|(name, _)| *name == k) else {
                return Err(format!(
                    "invalid key in comma-separated list property: {k}\n"
                ));
            };
            // `parse_boolean`: yes/no, on/off, true/false (any case) are read as 1/0.
            let v = match ty {
                Ty::Bool => crate::sim::schema::check::parse_boolean(v).unwrap_or(v),
                _ => v,
            };
            res.push((k.to_owned(), v.to_owned()));
        } else if !part.contains('=') {
            let Some(key) = format.default_key else {
                return Err(
                    "value without key, but schema does not define a default key\n".to_owned(),
                );
            };
            if default_used || get(&res, key).is_some() {
                return Err(format!(
                    "duplicate key in comma-separated list property: {key}\n"
                ));
            }
            default_used = true;
            res.push((key.to_owned(), part.to_owned()));
        } else {
            return Err("missing key in comma-separated list property\n".to_owned());
        }
    }
    let mut errors: Vec<String> = Vec::new();
    for (k, v) in &res {
        let ty = format
            .keys
            .iter()
            .find(|(name, _)| name == k)
            .map(|(_, t)| *t);
        if let Some(problem) = ty.and_then(|t| check_value(t, k, v)) {
            errors.push(format!("{path}.{k}: {problem}"));
        }
    }
    for key in format.required {
        if get(&res, key).is_none() {
            errors.push(format!("{path}.{key}: {}", schema::MISSING));
        }
    }
    if errors.is_empty() {
        Ok(res)
    } else {
        errors.sort();
        let mut msg = "format error\n".to_owned();
        for e in errors {
            msg.push_str(e.trim_end_matches('\n'));
            msg.push('\n');
        }
        Err(msg)
    }
}

/// Prints `props` the way `print_property_string` does: the default key's bare value
/// (or the model alias, `virtio=MAC`) first, then the other keys sorted.
pub fn print(props: &Props, format: &Format) -> String {
    let mut parts = Vec::new();
    let mut rest: Vec<&(String, String)> = props.iter().collect();
    if let Some(key) = format.default_key
        && let Some(v) = get(props, key)
    {
        let alias = format
            .aliases
            .iter()
            .find(|(a, t, ka)| *ka == key && *a == v && get(props, t).is_some());
        match alias {
            Some((alias, target, _)) => {
                parts.push(format!(
                    "{alias}={}",
                    get(props, target).unwrap_or_default()
                ));
                rest.retain(|(k, _)| k != target);
            }
            None => parts.push(v.to_owned()),
        }
        rest.retain(|(k, _)| k != key);
    }
    rest.sort_by(|a, b| a.0.cmp(&b.0));
    parts.extend(rest.iter().map(|(k, v)| format!("{k}={v}")));
    parts.join(",")
}

/// `PVE::JSONSchema::parse_size`: `32G`, `512M`, `1.5T`, `4096` (bytes).
pub fn parse_size(v: &str) -> Option<u64> {
    let (num, unit) = match v.as_bytes().last() {
        Some(b'K') => (&v[..v.len() - 1], 1u64 << 10),
        Some(b'M') => (&v[..v.len() - 1], 1 << 20),
        Some(b'G') => (&v[..v.len() - 1], 1 << 30),
        Some(b'T') => (&v[..v.len() - 1], 1 << 40),
        _ => (v, 1),
    };
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() || !digits(int) || !digits(frac) || (num.contains('.') && frac.is_empty()) {
        return None;
    }
    let value: f64 = num.parse().ok()?;
    let bytes = value * unit as f64;
    (bytes < 1.8e19).then_some(bytes as u64)
}

/// `PVE::JSONSchema::format_size`: the largest unit that divides the size.
pub fn format_size(bytes: u64) -> String {
    for (unit, shift) in [("T", 40), ("G", 30), ("M", 20), ("K", 10)] {
        let size = 1u64 << shift;
        if bytes >= size && bytes.is_multiple_of(size) {
            return format!("{}{unit}", bytes / size);
        }
    }
    bytes.to_string()
}

/// The `disk-size` format, as a [`Ty::Format`] check.
pub fn check_size(_: &str, v: &str) -> Result<(), String> {
    match parse_size(v) {
        Some(_) => Ok(()),
        None => Err(schema::invalid_format(&format!(
            "value does not look like a valid disk size: {v}"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NET: Format = Format {
        default_key: Some("model"),
        keys: &[
            ("model", Ty::Enum(&["virtio", "e1000"])),
            ("macaddr", Ty::Str),
            ("bridge", Ty::Str),
            ("tag", Ty::Range { min: 1, max: 4094 }),
            ("firewall", Ty::Bool),
        ],
        required: &[],
        aliases: &[
            ("virtio", "macaddr", "model"),
            ("e1000", "macaddr", "model"),
        ],
    };

    #[test]
    fn parses_and_prints_like_pve() {
        let p = parse(
            &NET,
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1",
            "net0",
        )
        .unwrap();
        assert_eq!(get(&p, "model"), Some("virtio"));
        assert_eq!(get(&p, "macaddr"), Some("BC:24:11:00:00:01"));
        assert_eq!(
            print(&p, &NET),
            "virtio=BC:24:11:00:00:01,bridge=vmbr0,firewall=1"
        );
        let p = parse(&NET, "virtio,bridge=vmbr1", "net0").unwrap();
        assert_eq!(print(&p, &NET), "virtio,bridge=vmbr1");
        assert_eq!(
            parse(&NET, "virtio,foo=1", "net0").unwrap_err(),
            "invalid key in comma-separated list property: foo\n"
        );
        assert_eq!(
            parse(&NET, "virtio,tag=0,firewall=maybe", "net1").unwrap_err(),
            "format error\nnet1.firewall: type check ('boolean') failed - got 'maybe'\n\
             net1.tag: value must have a minimum value of 1\n"
        );
        let p = parse(&NET, "virtio,firewall=Yes", "net1").unwrap();
        assert_eq!(get(&p, "firewall"), Some("1"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size("32G"), Some(32 << 30));
        assert_eq!(parse_size("0.5G"), Some(512 << 20));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("1.G"), None);
        assert_eq!(parse_size("G"), None);
        assert_eq!(format_size(32 << 30), "32G");
        assert_eq!(format_size(540_672), "528K");
        assert_eq!(format_size(1536 << 20), "1536M");
        assert_eq!(format_size(1000), "1000");
    }
}
