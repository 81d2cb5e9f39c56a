//! Parameters as the schema describes them, and the reading of hostile values as
//! Proxmox reads them: exact scalar types, numbered keys (`scsi5`) and property strings
//! (`local-lvm:32,cache=none`) with Proxmox's rules for default keys, aliases and
//! duplicates (pve-common's `PVE::JSONSchema::parse_property_string`).

use std::collections::BTreeMap;
use std::sync::Arc;

/// The type of a parameter.
#[derive(Debug, Clone, PartialEq)]
pub enum Ty {
    String,
    Integer,
    Number,
    Boolean,
    /// Several values of the item type (sent as repeated form fields).
    Array(Box<Param>),
    /// Anything else the schema names (`object`, `null`, no type).
    Other,
}

/// A format the judgment of guest references cares about; the others are `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Named {
    /// `pve-vmid`.
    Vmid,
    /// `pve-vmid-list`: vmids separated by commas, semicolons or spaces.
    VmidList,
    /// `pve-volume-id`.
    VolumeId,
    /// `pve-volume-id-or-qm-path`, `pve-volume-id-or-absolute-path`,
    /// `pve-lxc-mp-string`: a volume, or a host path.
    VolumeOrPath,
    /// `pve-storage-id`.
    StorageId,
    /// `pve-storage-id-list`.
    StorageIdList,
    /// `pve-poolid`.
    PoolId,
    /// `pve-ha-resource-or-vm-id`: `vm:N`, `ct:N` or `N`.
    HaResource,
    /// `pve-replication-job-id`: `VMID-N`.
    ReplicationJob,
    /// `pve-node`.
    Node,
    /// `pve-configid-list`.
    ConfigIdList,
    /// `pve-tag-list`.
    TagList,
    /// `pve-qm-ide`: the property string of an IDE drive (`cdrom`).
    QmIde,
    /// `pve-qm-cicustom`: `user=VOLUME,network=VOLUME,...`.
    QmCicustom,
    Other,
}

impl Named {
    pub fn from_name(name: &str) -> Self {
        match name {
            "pve-vmid" => Self::Vmid,
            "pve-vmid-list" => Self::VmidList,
            "pve-volume-id" => Self::VolumeId,
            "pve-volume-id-or-qm-path" | "pve-volume-id-or-absolute-path" | "pve-lxc-mp-string" => {
                Self::VolumeOrPath
            }
            "pve-storage-id" => Self::StorageId,
            "pve-storage-id-list" => Self::StorageIdList,
            "pve-poolid" => Self::PoolId,
            "pve-ha-resource-or-vm-id" => Self::HaResource,
            "pve-replication-job-id" => Self::ReplicationJob,
            "pve-node" => Self::Node,
            "pve-configid-list" => Self::ConfigIdList,
            "pve-tag-list" => Self::TagList,
            "pve-qm-ide" => Self::QmIde,
            "pve-qm-cicustom" => Self::QmCicustom,
            _ => Self::Other,
        }
    }
}

/// A parameter's format.
#[derive(Debug, Clone, PartialEq)]
pub enum Format {
    None,
    Named(Named),
    /// A property string with these sub-keys.
    Props(Arc<Props>),
}

/// One parameter (or property-string sub-key).
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub ty: Ty,
    pub format: Format,
    pub optional: bool,
    /// For a property-string sub-key: the key it stands for.
    pub alias: Option<String>,
    /// For a property-string sub-key with an alias: the key that gets this key's name
    /// (`virtio=MAC` sets `model=virtio` and `macaddr=MAC`).
    pub key_alias: Option<String>,
    pub default_key: bool,
    /// The parameter that must be given with this one.
    pub requires: Option<String>,
}

/// The sub-keys of a property string.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Props {
    pub keys: BTreeMap<String, Param>,
}

impl Props {
    /// The key whose value may be given without `key=`.
    pub fn default_key(&self) -> Option<&str> {
        self.keys
            .iter()
            .find(|(_, p)| p.default_key)
            .map(|(k, _)| k.as_str())
    }
}

/// A property string read as Proxmox reads it: canonical key → value, aliases
/// resolved (`volume=` is `file=`), the default key filled from a bare value.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PropString(pub BTreeMap<String, String>);

impl PropString {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).map(String::as_str)
    }
}

impl Props {
    /// Reads `value` like `parse_property_string`: parts split at commas (blank parts
    /// skipped), `KEY=VALUE` with a non-empty value, at most one bare value for the
    /// default key, no key twice (also not through an alias), and only known keys.
    pub fn parse(&self, value: &str) -> Result<PropString, String> {
        let mut out = BTreeMap::new();
        let mut bare_seen = false;
        for part in value.split(',') {
            // Perl's `\s`: ASCII white space only.
            if part.bytes().all(|b| b" \t\n\r\x0b\x0c".contains(&b)) {
                continue;
            }
            match part.split_once('=') {
                Some((k, v)) if !k.is_empty() && !v.is_empty() => {
                    let Some(spec) = self.keys.get(k) else {
                        return Err(format!("invalid key in property string: {k:?}"));
                    };
                    if out.contains_key(k) {
                        return Err(format!("duplicate key in property string: {k:?}"));
                    }
                    if let (Some(_), Some(named)) = (&spec.alias, &spec.key_alias)
                        && out.insert(named.clone(), k.to_owned()).is_some()
                    {
                        return Err(format!("duplicate key in property string: {named:?}"));
                    }
                    let canonical = spec.alias.as_deref().unwrap_or(k);
                    if !self.keys.contains_key(canonical) {
                        return Err(format!("invalid key in property string: {k:?}"));
                    }
                    if out.insert(canonical.to_owned(), v.to_owned()).is_some() {
                        return Err(format!("duplicate key in property string: {canonical:?}"));
                    }
                }
                Some(_) => {
                    return Err(format!(
                        "missing key or value in property string part {part:?}"
                    ));
                }
                None => {
                    let Some(key) = self.default_key() else {
                        return Err(format!(
                            "value {part:?} without key, but this property string has no default key"
                        ));
                    };
                    if bare_seen || out.contains_key(key) {
                        return Err(format!("duplicate key in property string: {key:?}"));
                    }
                    bare_seen = true;
                    out.insert(key.to_owned(), part.to_owned());
                }
            }
        }
        // What `check_object` then demands of the whole.
        for (key, spec) in &self.keys {
            if !spec.optional && spec.alias.is_none() && !out.contains_key(key) {
                return Err(format!(
                    "property string without the key {key:?}, which is not optional"
                ));
            }
        }
        missing_required(&self.keys, |k| out.contains_key(k))?;
        Ok(PropString(out))
    }
}

/// The first parameter given without the one it `requires`, as Proxmox refuses it.
pub fn missing_required<P: std::borrow::Borrow<Param>>(
    specs: &BTreeMap<String, P>,
    given: impl Fn(&str) -> bool,
) -> Result<(), String> {
    for (key, spec) in specs {
        if let Some(required) = &spec.borrow().requires
            && given(key)
            && !given(required)
        {
            return Err(format!("{key:?} requires {required:?}, which is missing"));
        }
    }
    Ok(())
}

/// The parameters of one endpoint: exact names and numbered families (`net[n]`). A
/// parameter described alike by many endpoints (`node`, `vmid`) is one, shared.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Params {
    pub exact: BTreeMap<String, Arc<Param>>,
    /// `(prefix, spec)` for `prefix[n]`.
    pub numbered: Vec<(String, Arc<Param>)>,
}

impl Params {
    /// The spec of parameter `name` as spelled by a caller: exact, or a numbered family
    /// with a canonical number within the family's range. Names are case-sensitive,
    /// as in Proxmox (`HOSTPCI0` is no parameter).
    pub fn get(&self, name: &str) -> Option<&Param> {
        if let Some(p) = self.exact.get(name) {
            return Some(p);
        }
        self.numbered.iter().find_map(|(prefix, p)| {
            let n = name.strip_prefix(prefix.as_str())?;
            let n = canonical_u64(n)?;
            (n <= numbered_max(prefix)).then_some(&**p)
        })
    }
}

/// The highest index of a numbered family, as Proxmox defines it (`scsi0`..`scsi30`).
pub fn numbered_max(prefix: &str) -> u64 {
    match prefix {
        "ide" => 3,
        "sata" => 5,
        "scsi" => 30,
        "virtio" => 15,
        "net" | "ipconfig" => 31,
        "unused" | "mp" | "dev" => 255,
        "hostpci" => 15,
        "usb" => 14,
        "serial" | "parallel" => 3,
        "numa" | "link" => 7,
        "virtiofs" => 9,
        "acmedomain" => 4,
        _ => 255,
    }
}

/// A non-negative integer written canonically: digits only, no leading zero, no sign.
pub fn canonical_u64(s: &str) -> Option<u64> {
    let ok = !s.is_empty()
        && s.len() <= 19
        && s.bytes().all(|b| b.is_ascii_digit())
        && (s == "0" || !s.starts_with('0'));
    ok.then(|| s.parse().ok()).flatten()
}

/// Checks a scalar value against a type as Proxmox's `check_type` does, a little
/// stricter: booleans are exactly `0` or `1`, integers canonical decimals, numbers
/// plain decimals. `description` (and a container's `ssh-public-keys`, never stored)
/// may hold line breaks; no other value may hold a
/// control character (Proxmox's config writer refuses them; a line break would start
/// another configuration line).
pub fn check_scalar(name: &str, ty: &Ty, value: &str) -> Result<(), String> {
    let shown: String = value.chars().take(40).collect();
    if let Some(c) = value.chars().find(|c| {
        c.is_control() && !(*c == '\n' && matches!(name, "description" | "ssh-public-keys"))
    }) {
        return Err(format!(
            "parameter {name} contains the control character {c:?}"
        ));
    }
    let ok = match ty {
        Ty::Boolean => value == "0" || value == "1",
        Ty::Integer => {
            let digits = value.strip_prefix('-').unwrap_or(value);
            canonical_u64(digits).is_some()
        }
        Ty::Number => {
            let v = value.strip_prefix('-').unwrap_or(value);
            let (int, frac) = v.split_once('.').unwrap_or((v, "0"));
            canonical_u64(int).is_some()
                && !frac.is_empty()
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
        Ty::String | Ty::Array(_) | Ty::Other => true,
    };
    if ok {
        Ok(())
    } else {
        let want = match ty {
            Ty::Boolean => "0 or 1",
            Ty::Integer => "a whole number written plainly",
            _ => "a plain decimal number",
        };
        Err(format!("parameter {name} = {shown:?} is not {want}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn disk_props() -> Props {
        let p = |default_key: bool, alias: Option<&str>| Param {
            ty: Ty::String,
            format: Format::None,
            optional: true,
            alias: alias.map(str::to_owned),
            key_alias: None,
            default_key,
            requires: None,
        };
        let mut keys = BTreeMap::new();
        keys.insert("file".to_owned(), p(true, None));
        keys.insert("volume".to_owned(), p(false, Some("file")));
        keys.insert("cache".to_owned(), p(false, None));
        keys.insert("import-from".to_owned(), p(false, None));
        Props { keys }
    }

    #[test]
    fn property_strings_read_as_proxmox_reads_them() {
        let props = disk_props();
        let r = props.parse("local-lvm:vm-102-disk-1,cache=none").unwrap();
        assert_eq!(r.get("file"), Some("local-lvm:vm-102-disk-1"));
        assert_eq!(r.get("cache"), Some("none"));
        let r = props.parse("cache=none,,volume=local:iso/x.iso").unwrap();
        assert_eq!(r.get("file"), Some("local:iso/x.iso"));
        // The default key never twice, through a bare value, the key or its alias.
        for bad in [
            "local-lvm:vm-102-disk-1,file=local-lvm:vm-250-disk-0",
            "file=local-lvm:vm-250-disk-0,local-lvm:vm-102-disk-1",
            "volume=a:b,file=c:d",
            "a:b,c:d",
            "cache=none,cache=writeback",
            " cache=none",
            "Cache=none",
            "cache=",
            "=x",
            "bridge=vmbr0",
        ] {
            assert!(props.parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scalars_are_exact() {
        for ok in ["0", "1"] {
            assert!(check_scalar("x", &Ty::Boolean, ok).is_ok());
        }
        for bad in ["1 ", "true", "yes", " 1", "01", ""] {
            assert!(check_scalar("x", &Ty::Boolean, bad).is_err(), "{bad:?}");
        }
        for ok in ["0", "250", "-3"] {
            assert!(check_scalar("x", &Ty::Integer, ok).is_ok());
        }
        for bad in ["+250", "0250", "250.0", "2.5e2", " 250", "0x10", ""] {
            assert!(check_scalar("x", &Ty::Integer, bad).is_err(), "{bad:?}");
        }
        assert!(check_scalar("x", &Ty::Number, "1.5").is_ok());
        assert!(check_scalar("x", &Ty::Number, "1e3").is_err());
        assert!(check_scalar("name", &Ty::String, "a\nhookscript: x").is_err());
        assert!(check_scalar("description", &Ty::String, "a\nb").is_ok());
        assert!(check_scalar("description", &Ty::String, "a\rb").is_err());
    }

    #[test]
    fn numbered_names_are_canonical_and_bounded() {
        let mut params = Params::default();
        let p = Param {
            ty: Ty::String,
            format: Format::None,
            optional: true,
            alias: None,
            key_alias: None,
            default_key: false,
            requires: None,
        };
        params.numbered.push(("scsi".into(), Arc::new(p)));
        assert!(params.get("scsi0").is_some());
        assert!(params.get("scsi30").is_some());
        for bad in ["scsi31", "scsi05", "scsi", "SCSI5", "scsi+5", "scsi5 "] {
            assert!(params.get(bad).is_none(), "{bad}");
        }
    }
}
