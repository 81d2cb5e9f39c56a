//! The guest config keys PVE 8's API accepts (`PVE::QemuServer::json_config_properties`,
//! `PVE::LXC::Config->json_config_properties`), each with its type or format check and
//! PVE's complaint texts. Values are untrusted client input; nothing here changes state.

use super::value_formats::{
    check_agent, check_boot, check_drive, check_features, check_ipconfig, check_lxc_net,
    check_memory, check_mp, check_qemu_net, check_rootfs,
};
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::params::Ty;
use crate::sim::params::property_string::Format;

pub use super::value_formats::{
    AGENT, FEATURES, LXC_MP, LXC_NET, LXC_ROOTFS, QEMU_DRIVE, QEMU_NET,
};
pub use crate::sim::params::formats::{
    check_dns, check_node, check_poolid, check_storage_id, check_tags, check_vmid_format,
    split_list, ssh_keys_valid,
};

use crate::sim::params::formats::check_description;

/// `name42` → `("name", Some(42))`; a name without digits → `(name, None)`.
pub fn numbered(name: &str) -> (&str, Option<u32>) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    if digits == 0 || digits == name.len() {
        return (name, None);
    }
    let (prefix, n) = name.split_at(name.len() - digits);
    if n.len() > 1 && n.starts_with('0') {
        return (name, None);
    }
    (prefix, n.parse().ok())
}

/// Whether `name` is a QEMU drive key (`ide0`-`ide3`, `sata0`-`sata5`, `scsi0`-`scsi30`,
/// `virtio0`-`virtio15`, `efidisk0`, `tpmstate0`).
pub fn is_qemu_drive(name: &str) -> bool {
    match numbered(name) {
        ("ide", Some(n)) => n < 4,
        ("sata", Some(n)) => n < 6,
        ("scsi", Some(n)) => n < 31,
        ("virtio", Some(n)) => n < 16,
        ("efidisk", Some(0)) | ("tpmstate", Some(0)) => true,
        _ => false,
    }
}

/// Whether `name` is a container volume key (`rootfs`, `mp0`-`mp255`).
pub fn is_lxc_volume(name: &str) -> bool {
    name == "rootfs" || matches!(numbered(name), ("mp", Some(n)) if n < 256)
}

/// Whether `name` is an `unusedN` key.
pub fn is_unused(name: &str) -> bool {
    matches!(numbered(name), ("unused", Some(n)) if n < 256)
}

const QEMU_OSTYPES: [&str; 14] = [
    "other", "wxp", "w2k", "w2k3", "w2k8", "wvista", "win7", "win8", "win10", "win11", "l24",
    "l26", "solaris", "wnt",
];
const SCSIHW: [&str; 6] = [
    "lsi",
    "lsi53c810",
    "virtio-scsi-pci",
    "virtio-scsi-single",
    "megasas",
    "pvscsi",
];
const LXC_OSTYPES: [&str; 11] = [
    "debian",
    "devuan",
    "ubuntu",
    "centos",
    "fedora",
    "opensuse",
    "archlinux",
    "alpine",
    "gentoo",
    "nixos",
    "unmanaged",
];

/// The type of QEMU config key `name`, or `None` if PVE's schema has no such key.
pub fn qemu_key(name: &str) -> Option<Ty> {
    if is_qemu_drive(name) {
        return Some(Ty::Format(check_drive));
    }
    let ty = match name {
        "name" => Ty::Format(check_dns),
        "cores" | "sockets" | "vcpus" => Ty::Int { min: 1 },
        "memory" => Ty::Format(check_memory),
        "balloon" => Ty::Int { min: 0 },
        "shares" => Ty::Range { min: 0, max: 50000 },
        "cpulimit" => Ty::Num,
        "cpuunits" => Ty::Range {
            min: 1,
            max: 262_144,
        },
        "ostype" => Ty::Enum(&QEMU_OSTYPES),
        "scsihw" => Ty::Enum(&SCSIHW),
        "boot" => Ty::Format(check_boot),
        "agent" => Ty::Format(check_agent),
        "bios" => Ty::Enum(&["seabios", "ovmf"]),
        "citype" => Ty::Enum(&["configdrive2", "nocloud", "opennebula"]),
        "description" => Ty::Format(check_description),
        "tags" => Ty::Format(check_tags),
        "onboot" | "protection" | "numa" | "acpi" | "kvm" | "tablet" | "localtime" | "reboot"
        | "freeze" | "template" | "ciupgrade" | "autostart" | "keephugepages" => Ty::Bool,
        "cpu" | "hotplug" | "machine" | "vga" | "ciuser" | "cipassword" | "cicustom"
        | "sshkeys" | "nameserver" | "searchdomain" | "smbios1" | "vmgenid" | "startup"
        | "keyboard" | "watchdog" | "audio0" | "rng0" | "affinity" | "hookscript" | "args"
        | "arch" | "spice_enhancements" | "vmstatestorage" | "startdate" | "tdf" | "lock"
        | "ivshmem" | "amd-sev" | "hugepages" | "smp" | "cdrom" | "bootdisk"
        | "migrate_downtime" | "migrate_speed" => Ty::Str,
        _ => match numbered(name) {
            ("net", Some(n)) if n < 32 => Ty::Format(check_qemu_net),
            ("ipconfig", Some(n)) if n < 32 => Ty::Format(check_ipconfig),
            ("unused", Some(n)) if n < 256 => Ty::Str,
            ("serial", Some(n)) if n < 4 => Ty::Str,
            ("parallel", Some(n)) if n < 3 => Ty::Str,
            ("usb", Some(n)) if n < 14 => Ty::Str,
            ("hostpci", Some(n)) if n < 16 => Ty::Str,
            ("numa", Some(n)) if n < 8 => Ty::Str,
            ("virtiofs", Some(n)) if n < 10 => Ty::Str,
            _ => return None,
        },
    };
    Some(ty)
}

/// The type of container config key `name`, or `None` if PVE's schema has no such key.
pub fn lxc_key(name: &str) -> Option<Ty> {
    let ty = match name {
        "rootfs" => Ty::Format(check_rootfs),
        "hostname" => Ty::Format(check_dns),
        "arch" => Ty::Enum(&["amd64", "i386", "arm64", "armhf", "riscv32", "riscv64"]),
        "cmode" => Ty::Enum(&["shell", "console", "tty"]),
        "cores" => Ty::Range { min: 1, max: 8192 },
        "cpulimit" => Ty::Num,
        "cpuunits" => Ty::Range {
            min: 0,
            max: 500_000,
        },
        "memory" => Ty::Int { min: 16 },
        "swap" => Ty::Int { min: 0 },
        "tty" => Ty::Range { min: 0, max: 6 },
        "ostype" => Ty::Enum(&LXC_OSTYPES),
        "features" => Ty::Format(check_features),
        "description" => Ty::Format(check_description),
        "tags" => Ty::Format(check_tags),
        "console" | "debug" | "onboot" | "protection" | "template" | "unprivileged" => Ty::Bool,
        "hookscript" | "nameserver" | "searchdomain" | "startup" | "timezone" | "lock"
        | "entrypoint" | "env" => Ty::Str,
        _ => match numbered(name) {
            ("net", Some(n)) if n < 32 => Ty::Format(check_lxc_net),
            ("mp", Some(n)) if n < 256 => Ty::Format(check_mp),
            ("unused", Some(n)) if n < 256 => Ty::Str,
            ("dev", Some(n)) if n < 256 => Ty::Str,
            _ => return None,
        },
    };
    Some(ty)
}

/// The type of config key `name` for a guest of `kind`.
pub fn config_key(kind: GuestKind, name: &str) -> Option<Ty> {
    match kind {
        GuestKind::Qemu => qemu_key(name),
        GuestKind::Lxc => lxc_key(name),
    }
}

/// Config keys whose values PVE's config parser returns as JSON numbers.
pub fn is_numeric(kind: GuestKind, key: &str) -> bool {
    let common = ["cores", "onboot", "protection", "template", "cpuunits"];
    if common.contains(&key) {
        return true;
    }
    match kind {
        GuestKind::Qemu => [
            "sockets",
            "numa",
            "balloon",
            "vcpus",
            "shares",
            "acpi",
            "kvm",
            "tablet",
            "localtime",
            "reboot",
            "freeze",
            "ciupgrade",
            "autostart",
        ]
        .contains(&key),
        GuestKind::Lxc => {
            ["memory", "swap", "unprivileged", "tty", "console", "debug"].contains(&key)
        }
    }
}

/// The format of a volume-holding key, to parse its value with [`crate::sim::params::property_string::parse`].
pub fn volume_format(kind: GuestKind, key: &str) -> &'static Format {
    match kind {
        GuestKind::Qemu => &QEMU_DRIVE,
        GuestKind::Lxc if key == "rootfs" || is_unused(key) => &LXC_ROOTFS,
        GuestKind::Lxc => &LXC_MP,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_follow_pves_schema() {
        assert!(is_qemu_drive("scsi30") && !is_qemu_drive("scsi31"));
        assert!(is_qemu_drive("efidisk0") && !is_qemu_drive("efidisk1"));
        assert!(!is_qemu_drive("ide01"));
        assert!(qemu_key("net31").is_some() && qemu_key("net32").is_none());
        assert!(qemu_key("hostname").is_none() && lxc_key("hostname").is_some());
        assert!(lxc_key("mp255").is_some() && lxc_key("scsi0").is_none());
        assert_eq!(numbered("net0"), ("net", Some(0)));
        assert_eq!(numbered("rootfs"), ("rootfs", None));
    }

    #[test]
    fn format_checks_word_errors_like_pve() {
        let Some(Ty::Format(net)) = qemu_key("net0") else {
            panic!("net0 has a format");
        };
        assert!(net("net0", "virtio,bridge=vmbr0,firewall=1").is_ok());
        assert_eq!(
            net("net0", "virtio,bridge=vmbr0,vlan=3").unwrap_err(),
            "invalid format - invalid key in comma-separated list property: vlan\n"
        );
        let Some(Ty::Format(lxc_net)) = lxc_key("net0") else {
            panic!("net0 has a format");
        };
        assert_eq!(
            lxc_net("net0", "bridge=vmbr0").unwrap_err(),
            "invalid format - format error\n\
             net0.name: property is missing and it is not optional\n"
        );
        assert!(check_tags("tags", "a;b,c d").is_ok());
        assert!(check_tags("tags", "a;b!").is_err());
        assert!(check_dns("name", "web-01.lab").is_ok());
        assert!(check_dns("name", "web_01").is_err());
        assert!(ssh_keys_valid(
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBv4 me@host\n"
        ));
        assert!(!ssh_keys_valid("not a key"));
    }
}
