//! The privileges Proxmox checks for setting one guest configuration key, as
//! qemu-server's `check_vm_modify_config_perm` (`PVE::API2::Qemu`: `$cpuoptions`,
//! `$memoryoptions`, `$hwtypeoptions`, `$generaloptions`, `$vmpoweroptions`,
//! `$diskoptions`, `$cloudinitoptions`, drives by their media) and pve-container's
//! `check_ct_modify_config_perm` (`PVE::LXC`) group them. Pure data and lookups.

use crate::policy::numbered;
use pve_mcp_proto::is_disk_key;

const QEMU_CPU: &[&str] = &[
    "cores",
    "cpu",
    "runningcpu",
    "cpulimit",
    "cpuunits",
    "numa",
    "smp",
    "sockets",
    "vcpus",
];
const QEMU_MEMORY: &[&str] = &["memory", "balloon", "shares", "allow-ksm"];
const QEMU_HWTYPE: &[&str] = &[
    "acpi",
    "hotplug",
    "kvm",
    "machine",
    "runningmachine",
    "scsihw",
    "smbios1",
    "tablet",
    "vga",
    "watchdog",
    "audio0",
    "rng0",
];
const QEMU_GENERAL: &[&str] = &[
    "agent",
    "autostart",
    "bios",
    "description",
    "keyboard",
    "localtime",
    "migrate_downtime",
    "migrate_speed",
    "name",
    "onboot",
    "ostype",
    "protection",
    "reboot",
    "startdate",
    "startup",
    "tdf",
    "template",
];
const QEMU_DISK: &[&str] = &["boot", "bootdisk", "vmstatestorage"];
const QEMU_CLOUDINIT: &[&str] = &[
    "cicustom",
    "cipassword",
    "citype",
    "ciuser",
    "ciupgrade",
    "nameserver",
    "searchdomain",
    "sshkeys",
];

/// pve-container's configuration keys (`PVE::LXC::Config` `$confdesc`), without the
/// numbered families.
const LXC_KEYS: &[&str] = &[
    "arch",
    "cmode",
    "console",
    "cores",
    "cpulimit",
    "cpuunits",
    "debug",
    "description",
    "entrypoint",
    "env",
    "features",
    "hookscript",
    "hostname",
    "lock",
    "memory",
    "nameserver",
    "onboot",
    "ostype",
    "protection",
    "rootfs",
    "searchdomain",
    "startup",
    "swap",
    "tags",
    "template",
    "timezone",
    "tty",
    "unprivileged",
];

/// What Proxmox checks for setting one key on one kind of guest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCheck {
    /// Not a key of this kind of guest.
    NoSuchKey,
    /// Only `root@pam` may set it ("only root can set ..."), whatever the token holds.
    RootOnly,
    /// These privileges on the guest.
    Needs(&'static [&'static str]),
}

/// qemu-server's option groups and the privilege each needs.
const QEMU_GROUPS: &[(&[&str], &[&str])] = &[
    (QEMU_CPU, &["VM.Config.CPU"]),
    (QEMU_MEMORY, &["VM.Config.Memory"]),
    (QEMU_HWTYPE, &["VM.Config.HWType"]),
    (QEMU_GENERAL, &["VM.Config.Options"]),
    (QEMU_DISK, &["VM.Config.Disk"]),
    (QEMU_CLOUDINIT, &["VM.Config.Cloudinit"]),
];

/// A VM's key. Drives need `VM.Config.Disk`, or `VM.Config.CDROM` as CD/DVD drives
/// (so both for the buses that take either); cloud-init keys take
/// `VM.Config.Cloudinit` (or `VM.Config.Network`); `startup` also `Sys.Modify`.
pub fn qemu(key: &str) -> KeyCheck {
    if key == "startup" {
        return KeyCheck::Needs(&["VM.Config.Options", "Sys.Modify"]);
    }
    if let Some((_, needs)) = QEMU_GROUPS.iter().find(|(keys, _)| keys.contains(&key)) {
        return KeyCheck::Needs(needs);
    }
    let needs: &'static [&'static str] = match key {
        "freeze" => &["VM.PowerMgmt"],
        "tags" => &["VM.Config.Options"],
        "cdrom" => &["VM.Config.CDROM"],
        "vmstate" => &["VM.Config.Disk", "VM.PowerMgmt"],
        "arch" | "hookscript" | "lock" => return KeyCheck::RootOnly,
        k if numbered(k, "numa") => &["VM.Config.CPU"],
        k if numbered(k, "net") => &["VM.Config.Network"],
        k if numbered(k, "ipconfig") => &["VM.Config.Cloudinit"],
        k if numbered(k, "unused") => &["VM.Config.Disk"],
        k if ["ide", "sata", "scsi"].iter().any(|b| numbered(k, b)) => {
            &["VM.Config.Disk", "VM.Config.CDROM"]
        }
        k if is_disk_key(k) && k != "rootfs" && !numbered(k, "mp") => &["VM.Config.Disk"],
        k if LXC_KEYS.contains(&k) || numbered(k, "mp") || k == "rootfs" => {
            return KeyCheck::NoSuchKey;
        }
        // qemu-server: "catches args, lock, etc.; new options will be checked here".
        _ => return KeyCheck::RootOnly,
    };
    KeyCheck::Needs(needs)
}

/// A container's key.
pub fn lxc(key: &str) -> KeyCheck {
    let known = LXC_KEYS.contains(&key)
        || ["mp", "net", "dev", "unused"]
            .iter()
            .any(|p| numbered(key, p));
    if !known {
        return KeyCheck::NoSuchKey;
    }
    let needs: &'static [&'static str] = match key {
        "cores" | "cpuunits" | "cpulimit" => &["VM.Config.CPU"],
        "rootfs" => &["VM.Config.Disk"],
        k if numbered(k, "mp") => &["VM.Config.Disk"],
        "memory" | "swap" => &["VM.Config.Memory"],
        k if numbered(k, "net") => &["VM.Config.Network"],
        "nameserver" | "searchdomain" | "hostname" => &["VM.Config.Network"],
        // Only nesting may be changed by others than root@pam.
        "features" => &["VM.Allocate"],
        k if numbered(k, "dev") => return KeyCheck::RootOnly,
        "hookscript" => return KeyCheck::RootOnly,
        _ => &["VM.Config.Options"],
    };
    KeyCheck::Needs(needs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_like_proxmox_checks_them() {
        for (key, want) in [
            ("scsihw", "VM.Config.HWType"),
            ("vga", "VM.Config.HWType"),
            ("machine", "VM.Config.HWType"),
            ("smbios1", "VM.Config.HWType"),
            ("cpu", "VM.Config.CPU"),
            ("numa1", "VM.Config.CPU"),
            ("shares", "VM.Config.Memory"),
            ("agent", "VM.Config.Options"),
            ("tags", "VM.Config.Options"),
            ("boot", "VM.Config.Disk"),
            ("efidisk0", "VM.Config.Disk"),
            ("ipconfig3", "VM.Config.Cloudinit"),
            ("freeze", "VM.PowerMgmt"),
            ("cdrom", "VM.Config.CDROM"),
        ] {
            let KeyCheck::Needs(got) = qemu(key) else {
                panic!("{key}: {:?}", qemu(key))
            };
            assert!(got.contains(&want), "{key}: {got:?}");
        }
        assert_eq!(qemu("vmgenid"), KeyCheck::RootOnly);
        assert_eq!(qemu("affinity"), KeyCheck::RootOnly);
        assert_eq!(qemu("hostname"), KeyCheck::NoSuchKey);
        assert_eq!(lxc("hostname"), KeyCheck::Needs(&["VM.Config.Network"]));
        assert_eq!(lxc("swap"), KeyCheck::Needs(&["VM.Config.Memory"]));
        assert_eq!(lxc("mp3"), KeyCheck::Needs(&["VM.Config.Disk"]));
        assert_eq!(lxc("timezone"), KeyCheck::Needs(&["VM.Config.Options"]));
        assert_eq!(lxc("dev0"), KeyCheck::RootOnly);
        assert_eq!(lxc("scsihw"), KeyCheck::NoSuchKey);
    }
}
