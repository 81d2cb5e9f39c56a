//! The parameter schemas of [`super::lifecycle_endpoints`]' routes, as PVE's API declares them:
//! each parameter's type or format, the required ones, and `requires` pairs.

use super::lifecycle_endpoints::Route;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::errors::schema;
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::Ty;

fn max_len(max: usize) -> impl Fn(&str) -> Option<String> {
    move |v: &str| (v.len() > max).then(|| schema::max_length(max))
}

fn digest_len(_: &str, v: &str) -> Result<(), String> {
    max_len(40)(v).map_or(Ok(()), Err)
}
fn volume_len(_: &str, v: &str) -> Result<(), String> {
    max_len(255)(v).map_or(Ok(()), Err)
}
fn input_len(_: &str, v: &str) -> Result<(), String> {
    max_len(64 * 1024)(v).map_or(Ok(()), Err)
}
fn password_len(_: &str, v: &str) -> Result<(), String> {
    if v.chars().count() < 5 {
        Err(schema::min_length(5))
    } else {
        Ok(())
    }
}
fn snapname(_: &str, v: &str) -> Result<(), String> {
    crate::sim::guests::snapshots::check_name(v)
}
fn url_pattern(_: &str, v: &str) -> Result<(), String> {
    if v.starts_with("http://") || v.starts_with("https://") {
        Ok(())
    } else {
        Err(schema::PATTERN.to_owned())
    }
}
fn size_pattern(_: &str, v: &str) -> Result<(), String> {
    let v = v.strip_prefix('+').unwrap_or(v);
    crate::sim::params::property_string::parse_size(v)
        .map(|_| ())
        .ok_or_else(|| schema::PATTERN.to_owned())
}

fn enum_check(value: &str, names: &[String]) -> Result<(), String> {
    if names.iter().any(|n| n == value) {
        Ok(())
    } else {
        let all: Vec<&str> = names.iter().map(String::as_str).collect();
        Err(schema::not_in_enum(value, &all))
    }
}

/// `valid_drive_names()`, in PVE's order.
fn qemu_drive_names() -> Vec<String> {
    let mut v: Vec<String> = Vec::new();
    for (bus, n) in [("ide", 4), ("sata", 6), ("scsi", 31), ("virtio", 16)] {
        v.extend((0..n).map(|i| format!("{bus}{i}")));
    }
    v.push("efidisk0".into());
    v.push("tpmstate0".into());
    v
}

fn qemu_disk(_: &str, v: &str) -> Result<(), String> {
    enum_check(v, &qemu_drive_names())
}

/// `valid_drive_names_with_unused()`.
fn qemu_disk_or_unused(_: &str, v: &str) -> Result<(), String> {
    let mut names = qemu_drive_names();
    names.extend((0..256).map(|i| format!("unused{i}")));
    enum_check(v, &names)
}

/// `valid_volume_keys_with_unused()`.
fn lxc_volume_or_unused(_: &str, v: &str) -> Result<(), String> {
    let mut names = vec!["rootfs".to_owned()];
    names.extend((0..256).map(|i| format!("mp{i}")));
    names.extend((0..256).map(|i| format!("unused{i}")));
    enum_check(v, &names)
}

fn lxc_disk(_: &str, v: &str) -> Result<(), String> {
    let mut names = vec!["rootfs".to_owned()];
    names.extend((0..256).map(|i| format!("mp{i}")));
    enum_check(v, &names)
}

const NODE: Ty = Ty::Format(cs::check_node);
const STORAGE: Ty = Ty::Format(cs::check_storage_id);
const POOL: Ty = Ty::Format(cs::check_poolid);
const VMID: Ty = Ty::Format(cs::check_vmid_format);

/// A parameter name's type, or `None` if the schema has no such parameter.
type Lookup = Box<dyn Fn(&str) -> Option<Ty>>;

/// A route's parameters: their types, the required ones, and `requires` pairs.
pub struct Schema {
    pub lookup: Lookup,
    pub required: &'static [&'static str],
    pub requires: &'static [(&'static str, &'static str)],
}

fn fixed(list: &'static [(&'static str, Ty)]) -> Lookup {
    Box::new(move |n| list.iter().find(|(k, _)| *k == n).map(|(_, t)| *t))
}

fn with_config(kind: GuestKind, extra: &'static [(&'static str, Ty)]) -> Lookup {
    Box::new(move |n| {
        extra
            .iter()
            .find(|(k, _)| *k == n)
            .map(|(_, t)| *t)
            .or_else(|| cs::config_key(kind, n))
    })
}

/// The parameters PVE's schema gives route `r` (path parameters aside).
pub fn schema_of(r: &Route) -> Schema {
    let none: &'static [(&'static str, &'static str)] = &[];
    let (lookup, required, requires): (Lookup, &'static [&'static str], _) = match r {
        Route::Create(_, GuestKind::Qemu) => (
            with_config(
                GuestKind::Qemu,
                &[
                    ("vmid", VMID),
                    ("archive", Ty::Format(volume_len)),
                    ("storage", STORAGE),
                    ("force", Ty::Bool),
                    ("unique", Ty::Bool),
                    ("live-restore", Ty::Bool),
                    ("pool", POOL),
                    ("bwlimit", Ty::Int { min: 0 }),
                    ("start", Ty::Bool),
                    ("import-working-storage", STORAGE),
                ],
            ),
            &["vmid"][..],
            &[("force", "archive"), ("unique", "archive")][..],
        ),
        Route::Create(_, GuestKind::Lxc) => (
            with_config(
                GuestKind::Lxc,
                &[
                    ("vmid", VMID),
                    ("ostemplate", Ty::Format(volume_len)),
                    ("password", Ty::Format(password_len)),
                    ("storage", STORAGE),
                    ("force", Ty::Bool),
                    ("restore", Ty::Bool),
                    ("unique", Ty::Bool),
                    ("pool", POOL),
                    ("ignore-unpack-errors", Ty::Bool),
                    ("ssh-public-keys", Ty::Str),
                    ("bwlimit", Ty::Num),
                    ("start", Ty::Bool),
                ],
            ),
            &["vmid", "ostemplate"][..],
            &[("unique", "restore")][..],
        ),
        Route::Clone(_, GuestKind::Qemu, _) => (
            fixed(&[
                ("newid", VMID),
                ("name", Ty::Format(cs::check_dns)),
                ("description", Ty::Str),
                ("pool", POOL),
                ("snapname", Ty::Format(snapname)),
                ("storage", STORAGE),
                ("format", Ty::Enum(&["raw", "qcow2", "vmdk"])),
                ("full", Ty::Bool),
                ("target", NODE),
                ("bwlimit", Ty::Int { min: 0 }),
            ]),
            &["newid"][..],
            none,
        ),
        Route::Clone(_, GuestKind::Lxc, _) => (
            fixed(&[
                ("newid", VMID),
                ("hostname", Ty::Format(cs::check_dns)),
                ("description", Ty::Str),
                ("pool", POOL),
                ("snapname", Ty::Format(snapname)),
                ("storage", STORAGE),
                ("full", Ty::Bool),
                ("target", NODE),
                ("bwlimit", Ty::Num),
            ]),
            &["newid"][..],
            none,
        ),
        Route::Template(_, GuestKind::Qemu, _) => {
            (fixed(&[("disk", Ty::Format(qemu_disk))]), &[][..], none)
        }
        Route::Config(_, GuestKind::Qemu, _, sync) => {
            let extra: &'static [(&'static str, Ty)] = if *sync {
                &[
                    ("skiplock", Ty::Bool),
                    ("delete", Ty::List),
                    ("revert", Ty::List),
                    ("force", Ty::Bool),
                    ("digest", Ty::Format(digest_len)),
                ]
            } else {
                &[
                    ("skiplock", Ty::Bool),
                    ("delete", Ty::List),
                    ("revert", Ty::List),
                    ("force", Ty::Bool),
                    ("digest", Ty::Format(digest_len)),
                    ("background_delay", Ty::Range { min: 1, max: 30 }),
                    ("import-working-storage", STORAGE),
                ]
            };
            (
                with_config(GuestKind::Qemu, extra),
                &[][..],
                &[("force", "delete")][..],
            )
        }
        Route::Config(_, GuestKind::Lxc, _, _) => (
            with_config(
                GuestKind::Lxc,
                &[
                    ("delete", Ty::List),
                    ("revert", Ty::List),
                    ("digest", Ty::Format(digest_len)),
                ],
            ),
            &[][..],
            none,
        ),
        Route::Resize(_, GuestKind::Qemu, _) => (
            fixed(&[
                ("disk", Ty::Format(qemu_disk)),
                ("size", Ty::Format(size_pattern)),
                ("digest", Ty::Format(digest_len)),
                ("skiplock", Ty::Bool),
            ]),
            &["disk", "size"][..],
            none,
        ),
        Route::Resize(_, GuestKind::Lxc, _) => (
            fixed(&[
                ("disk", Ty::Format(lxc_disk)),
                ("size", Ty::Format(size_pattern)),
                ("digest", Ty::Format(digest_len)),
            ]),
            &["disk", "size"][..],
            none,
        ),
        Route::Migrate(_, GuestKind::Qemu, _) => (
            fixed(&[
                ("target", NODE),
                ("online", Ty::Bool),
                ("force", Ty::Bool),
                ("migration_type", Ty::Enum(&["secure", "insecure"])),
                ("migration_network", Ty::Str),
                ("with-local-disks", Ty::Bool),
                ("targetstorage", Ty::Str),
                ("bwlimit", Ty::Int { min: 0 }),
            ]),
            &["target"][..],
            none,
        ),
        Route::Migrate(_, GuestKind::Lxc, _) => (
            fixed(&[
                ("target", NODE),
                ("target-storage", Ty::Str),
                ("online", Ty::Bool),
                ("restart", Ty::Bool),
                ("timeout", Ty::Int { min: i64::MIN }),
                ("bwlimit", Ty::Num),
            ]),
            &["target"][..],
            none,
        ),
        Route::Move(_, GuestKind::Qemu, _) => (
            fixed(&[
                ("disk", Ty::Format(qemu_disk_or_unused)),
                ("storage", STORAGE),
                ("format", Ty::Enum(&["raw", "qcow2", "vmdk"])),
                ("delete", Ty::Bool),
                ("digest", Ty::Format(digest_len)),
                ("bwlimit", Ty::Int { min: 0 }),
                ("target-vmid", VMID),
                ("target-disk", Ty::Format(qemu_disk_or_unused)),
                ("target-digest", Ty::Format(digest_len)),
            ]),
            &["disk"][..],
            none,
        ),
        Route::Move(_, GuestKind::Lxc, _) => (
            fixed(&[
                ("volume", Ty::Format(lxc_volume_or_unused)),
                ("storage", STORAGE),
                ("delete", Ty::Bool),
                ("digest", Ty::Format(digest_len)),
                ("bwlimit", Ty::Num),
                ("target-vmid", VMID),
                ("target-volume", Ty::Format(lxc_volume_or_unused)),
                ("target-digest", Ty::Format(digest_len)),
            ]),
            &["volume"][..],
            none,
        ),
        Route::Destroy(_, GuestKind::Qemu, _) => (
            fixed(&[
                ("skiplock", Ty::Bool),
                ("purge", Ty::Bool),
                ("destroy-unreferenced-disks", Ty::Bool),
            ]),
            &[][..],
            none,
        ),
        Route::Destroy(_, GuestKind::Lxc, _) => (
            fixed(&[
                ("force", Ty::Bool),
                ("purge", Ty::Bool),
                ("destroy-unreferenced-disks", Ty::Bool),
            ]),
            &[][..],
            none,
        ),
        Route::DeleteVolume(..) => (
            fixed(&[("delay", Ty::Range { min: 1, max: 30 })]),
            &[][..],
            none,
        ),
        Route::Download(..) => (
            fixed(&[
                ("url", Ty::Format(url_pattern)),
                ("content", Ty::Enum(&["iso", "vztmpl", "import"])),
                ("filename", Ty::Format(volume_len)),
                ("checksum", Ty::Str),
                ("compression", Ty::Enum(&["gz", "lzo", "zst", "bz2"])),
                (
                    "checksum-algorithm",
                    Ty::Enum(&["md5", "sha1", "sha224", "sha256", "sha384", "sha512"]),
                ),
                ("verify-certificates", Ty::Bool),
            ]),
            &["url", "content", "filename"][..],
            &[
                ("checksum", "checksum-algorithm"),
                ("checksum-algorithm", "checksum"),
            ][..],
        ),
        Route::Exec(..) => (
            fixed(&[
                ("command", Ty::Array),
                ("input-data", Ty::Format(input_len)),
            ]),
            &["command"][..],
            none,
        ),
        Route::ExecStatus(..) => (
            fixed(&[("pid", Ty::Int { min: i64::MIN })]),
            &["pid"][..],
            none,
        ),
        Route::Pools => (
            fixed(&[
                ("poolid", POOL),
                ("type", Ty::Enum(&["qemu", "lxc", "storage"])),
            ]),
            &[][..],
            &[("type", "poolid")][..],
        ),
        Route::Pool(_) => (
            fixed(&[("type", Ty::Enum(&["qemu", "lxc", "storage"]))]),
            &[][..],
            none,
        ),
        Route::HaResources => (fixed(&[("type", Ty::Enum(&["ct", "vm"]))]), &[][..], none),
        Route::NextId => (fixed(&[("vmid", VMID)]), &[][..], none),
        Route::ExtractConfig(_) => (fixed(&[("volume", Ty::Str)]), &["volume"][..], none),
        // The release's own enum is judged first, by its published schema.
        Route::Network(_) => (fixed(&[("type", Ty::Str)]), &[][..], none),
        _ => (fixed(&[]), &[][..], none),
    };
    Schema {
        lookup,
        required,
        requires,
    }
}
