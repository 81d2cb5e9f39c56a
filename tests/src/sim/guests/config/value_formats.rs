//! The property-string formats of guest config values (`net0`, drives, mount points,
//! `ipconfig0`, `features`, `agent`, `boot`, QEMU `memory`), with the checks that parse
//! a value against them. Values are untrusted client input.

use crate::sim::params::Ty;
use crate::sim::params::formats::{
    check_bridge, check_iface, check_ip4_cidr_or_dhcp, check_ip4_config, check_ipv4, check_mac,
    prop,
};
use crate::sim::params::property_string::{Format, check_size};

const NET_MODELS: [&str; 11] = [
    "e1000", "e1000e", "i82551", "i82557b", "i82559er", "ne2k_isa", "ne2k_pci", "pcnet", "rtl8139",
    "virtio", "vmxnet3",
];

pub static QEMU_NET: Format = Format {
    default_key: Some("model"),
    keys: &[
        ("model", Ty::Enum(&NET_MODELS)),
        ("macaddr", Ty::Format(check_mac)),
        ("bridge", Ty::Format(check_bridge)),
        ("tag", Ty::Range { min: 1, max: 4094 }),
        ("trunks", Ty::Str),
        ("rate", Ty::Num),
        ("firewall", Ty::Bool),
        ("link_down", Ty::Bool),
        ("mtu", Ty::Range { min: 1, max: 65520 }),
        ("queues", Ty::Range { min: 0, max: 64 }),
    ],
    required: &[],
    aliases: &[
        ("e1000", "macaddr", "model"),
        ("e1000e", "macaddr", "model"),
        ("i82551", "macaddr", "model"),
        ("i82557b", "macaddr", "model"),
        ("i82559er", "macaddr", "model"),
        ("ne2k_isa", "macaddr", "model"),
        ("ne2k_pci", "macaddr", "model"),
        ("pcnet", "macaddr", "model"),
        ("rtl8139", "macaddr", "model"),
        ("virtio", "macaddr", "model"),
        ("vmxnet3", "macaddr", "model"),
    ],
};

pub static LXC_NET: Format = Format {
    default_key: None,
    keys: &[
        ("name", Ty::Format(check_iface)),
        ("bridge", Ty::Format(check_bridge)),
        ("hwaddr", Ty::Format(check_mac)),
        ("ip", Ty::Format(check_ip4_config)),
        ("gw", Ty::Format(check_ipv4)),
        ("ip6", Ty::Str),
        ("gw6", Ty::Str),
        ("firewall", Ty::Bool),
        ("link_down", Ty::Bool),
        (
            "mtu",
            Ty::Range {
                min: 64,
                max: 65535,
            },
        ),
        ("rate", Ty::Num),
        ("tag", Ty::Range { min: 1, max: 4094 }),
        ("trunks", Ty::Str),
        ("type", Ty::Enum(&["veth"])),
    ],
    required: &["name"],
    aliases: &[],
};

const DRIVE_KEYS: &[(&str, Ty)] = &[
    ("file", Ty::Str),
    ("media", Ty::Enum(&["cdrom", "disk"])),
    ("size", Ty::Format(check_size)),
    (
        "format",
        Ty::Enum(&["raw", "cow", "qcow", "qed", "qcow2", "vmdk", "cloop"]),
    ),
    (
        "cache",
        Ty::Enum(&["none", "writethrough", "writeback", "unsafe", "directsync"]),
    ),
    ("aio", Ty::Enum(&["native", "threads", "io_uring"])),
    ("discard", Ty::Enum(&["ignore", "on"])),
    ("iothread", Ty::Bool),
    ("ssd", Ty::Bool),
    ("backup", Ty::Bool),
    ("replicate", Ty::Bool),
    ("snapshot", Ty::Bool),
    ("shared", Ty::Bool),
    ("ro", Ty::Bool),
    ("detect_zeroes", Ty::Bool),
    ("serial", Ty::Str),
    ("wwn", Ty::Str),
    ("model", Ty::Str),
    ("product", Ty::Str),
    ("vendor", Ty::Str),
    ("rerror", Ty::Enum(&["ignore", "report", "stop"])),
    ("werror", Ty::Enum(&["enospc", "ignore", "report", "stop"])),
    ("queues", Ty::Range { min: 2, max: 16 }),
    ("import-from", Ty::Str),
    ("efitype", Ty::Enum(&["2m", "4m"])),
    ("pre-enrolled-keys", Ty::Bool),
    ("ms-cert", Ty::Str),
    ("version", Ty::Enum(&["v1.2", "v2.0"])),
    ("iops", Ty::Int { min: 0 }),
    ("iops_rd", Ty::Int { min: 0 }),
    ("iops_wr", Ty::Int { min: 0 }),
    ("mbps", Ty::Num),
    ("mbps_rd", Ty::Num),
    ("mbps_wr", Ty::Num),
];

pub static QEMU_DRIVE: Format = Format {
    default_key: Some("file"),
    keys: DRIVE_KEYS,
    required: &[],
    aliases: &[],
};

const MP_KEYS: &[(&str, Ty)] = &[
    ("volume", Ty::Str),
    ("mp", Ty::Str),
    ("size", Ty::Format(check_size)),
    ("acl", Ty::Bool),
    ("backup", Ty::Bool),
    ("quota", Ty::Bool),
    ("replicate", Ty::Bool),
    ("ro", Ty::Bool),
    ("shared", Ty::Bool),
    ("mountoptions", Ty::Str),
];

pub static LXC_MP: Format = Format {
    default_key: Some("volume"),
    keys: MP_KEYS,
    required: &["mp"],
    aliases: &[],
};

pub static LXC_ROOTFS: Format = Format {
    default_key: Some("volume"),
    keys: MP_KEYS,
    required: &[],
    aliases: &[],
};

static IPCONFIG: Format = Format {
    default_key: None,
    keys: &[
        ("ip", Ty::Format(check_ip4_cidr_or_dhcp)),
        ("gw", Ty::Format(check_ipv4)),
        ("ip6", Ty::Str),
        ("gw6", Ty::Str),
    ],
    required: &[],
    aliases: &[],
};

pub static FEATURES: Format = Format {
    default_key: None,
    keys: &[
        ("nesting", Ty::Bool),
        ("keyctl", Ty::Bool),
        ("fuse", Ty::Bool),
        ("mknod", Ty::Bool),
        ("force_rw_sys", Ty::Bool),
        ("mount", Ty::Str),
    ],
    required: &[],
    aliases: &[],
};

pub static AGENT: Format = Format {
    default_key: Some("enabled"),
    keys: &[
        ("enabled", Ty::Bool),
        ("fstrim_cloned_disks", Ty::Bool),
        ("freeze-fs-on-backup", Ty::Bool),
        ("type", Ty::Enum(&["virtio", "isa"])),
    ],
    required: &[],
    aliases: &[],
};

static BOOT: Format = Format {
    default_key: Some("legacy"),
    keys: &[("legacy", Ty::Str), ("order", Ty::Str)],
    required: &[],
    aliases: &[],
};

static MEMORY: Format = Format {
    default_key: Some("current"),
    keys: &[("current", Ty::Int { min: 16 })],
    required: &[],
    aliases: &[],
};

pub(crate) fn check_qemu_net(n: &str, v: &str) -> Result<(), String> {
    prop(&QEMU_NET)(n, v)
}
pub(crate) fn check_lxc_net(n: &str, v: &str) -> Result<(), String> {
    prop(&LXC_NET)(n, v)
}
pub(crate) fn check_drive(n: &str, v: &str) -> Result<(), String> {
    prop(&QEMU_DRIVE)(n, v)
}
pub(crate) fn check_mp(n: &str, v: &str) -> Result<(), String> {
    prop(&LXC_MP)(n, v)
}
pub(crate) fn check_rootfs(n: &str, v: &str) -> Result<(), String> {
    prop(&LXC_ROOTFS)(n, v)
}
pub(crate) fn check_ipconfig(n: &str, v: &str) -> Result<(), String> {
    prop(&IPCONFIG)(n, v)
}
pub(crate) fn check_features(n: &str, v: &str) -> Result<(), String> {
    prop(&FEATURES)(n, v)
}
pub(crate) fn check_agent(n: &str, v: &str) -> Result<(), String> {
    prop(&AGENT)(n, v)
}
pub(crate) fn check_boot(n: &str, v: &str) -> Result<(), String> {
    prop(&BOOT)(n, v)
}
pub(crate) fn check_memory(n: &str, v: &str) -> Result<(), String> {
    prop(&MEMORY)(n, v)
}
