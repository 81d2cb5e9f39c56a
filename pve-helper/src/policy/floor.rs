//! The fixed floor: API endpoints that no policy can open, because they hand out a
//! shell, a console, credentials, or control of the cluster itself.

use super::config_file::GuestSettings;
use pve_mcp_proto::{ApiMethod, ApiParams, ApiPath, GuestType};

/// Console and tunnel endpoints of nodes and guests (any method).
const CONSOLE: &[&str] = &[
    "termproxy",
    "vncproxy",
    "spiceproxy",
    "vncwebsocket",
    "vncshell",
    "spiceshell",
    "mtunnel",
    "mtunnelwebsocket",
];

/// Guest-agent commands that run programs or move files inside a guest (any method).
const AGENT_SHELL: &[&str] = &[
    "exec",
    "exec-status",
    "file-read",
    "file-write",
    "set-user-password",
];

/// Configuration keys that hand a guest host code, raw hypervisor arguments or host
/// devices, refused on every write whatever the policy says: exact keys, then
/// numbered families (`hostpci0`, ...).
const FLOOR_KEYS: &[(&str, &str)] = &[
    ("hookscript", "host scripts run by Proxmox"),
    ("args", "raw QEMU arguments"),
    ("ivshmem", "host shared memory"),
];
const FLOOR_FAMILIES: &[(&str, &str)] = &[
    ("hostpci", "host PCI devices"),
    ("usb", "host USB devices"),
    ("serial", "host serial devices"),
    ("parallel", "host parallel ports"),
    ("virtiofs", "host directories"),
    ("dev", "host device nodes in containers"),
];

/// Keys whose value names a volume (or, for root only, a host path).
fn holds_volume(key: &str) -> bool {
    pve_mcp_proto::is_disk_key(key) || matches!(key, "archive" | "ostemplate" | "import-from")
}

/// Why `key` may never be set, whatever its value.
pub fn config_key_floor(key: &str) -> Option<&'static str> {
    if let Some((_, why)) = FLOOR_KEYS.iter().find(|(k, _)| *k == key) {
        return Some(why);
    }
    if key.starts_with("lxc") {
        return Some("raw LXC settings");
    }
    FLOOR_FAMILIES.iter().find_map(|(fam, why)| {
        key.strip_prefix(fam)
            .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            .map(|_| *why)
    })
}

/// Why setting `key` to `value` on a guest (by any tool or raw API write) is on the
/// fixed floor: host code, host devices, host paths, or a privileged container.
pub fn config_floor(key: &str, value: &str) -> Option<String> {
    if let Some(why) = config_key_floor(key) {
        return Some(format!(
            "setting {key:?} ({why}) is on the fixed floor and can never be allowed"
        ));
    }
    if key == "unprivileged" && !truthy(value) {
        return Some(
            "privileged containers (unprivileged=0) are on the fixed floor and can never be \
             allowed"
                .into(),
        );
    }
    if key == "features"
        && value
            .split([',', ';'])
            .any(|f| f.trim().starts_with("mount="))
    {
        return Some(
            "\"features\": the container feature \"mount\" (host file system mounts) is on the \
             fixed floor and can never be allowed"
                .into(),
        );
    }
    if holds_volume(key) || key == "cdrom" {
        return volume_floor(key, value);
    }
    None
}

/// PVE's true values of a boolean setting.
fn truthy(value: &str) -> bool {
    matches!(
        value.trim().to_ascii_lowercase().as_str(),
        "1" | "true" | "yes" | "on"
    )
}

/// Why the volume `value` of `key` is on the floor: the host's own CD/DVD drive, or a
/// host path (a bind mount, a pass-through disk, an image outside any storage).
fn volume_floor(key: &str, value: &str) -> Option<String> {
    let volumes = value
        .split(',')
        .filter_map(|item| match item.split_once('=') {
            Some(("file" | "volume" | "import-from", v)) => Some(v.trim()),
            Some(_) => None,
            None => Some(item.trim()),
        });
    let mut host_path = false;
    for v in volumes {
        if v == "cdrom" {
            return Some(format!(
                "{key:?} names the host's physical CD/DVD drive (\"cdrom\"); host devices are \
                 on the fixed floor and can never be allowed (use an ISO volume such as \
                 local:iso/NAME.iso, or none)"
            ));
        }
        host_path |= v.starts_with('/');
    }
    host_path.then(|| {
        format!(
            "{key:?} names a host path; host paths, bind mounts and pass-through disks are on \
             the fixed floor and can never be allowed (use STORAGE:SIZE or a volume id)"
        )
    })
}

/// Why a guest made from `config` (a clone of it, or a restore of a backup holding
/// it) would be on the floor whatever it is given: a container that is not
/// unprivileged (a privileged container has no `unprivileged` key at all).
pub fn inherited_floor(kind: GuestType, config: &GuestSettings) -> Option<String> {
    if kind == GuestType::Lxc && !config.get("unprivileged").is_some_and(|v| truthy(v)) {
        return Some(
            "it is a privileged container (its configuration lacks unprivileged: 1), and a \
             copy of it would be privileged too; privileged containers are on the fixed floor \
             and can never be allowed"
                .into(),
        );
    }
    None
}

/// Paths the floor is known to cover, used by `check` to warn about broad patterns.
pub const EXAMPLES: &[(ApiMethod, &str)] = &[
    (ApiMethod::Post, "/nodes/x/termproxy"),
    (ApiMethod::Get, "/nodes/x/vncwebsocket"),
    (ApiMethod::Post, "/nodes/x/qemu/100/vncproxy"),
    (ApiMethod::Post, "/nodes/x/lxc/100/spiceproxy"),
    (ApiMethod::Post, "/nodes/x/execute"),
    (ApiMethod::Post, "/nodes/x/qemu/100/agent/exec"),
    (ApiMethod::Post, "/nodes/x/lxc/100/clone"),
    (ApiMethod::Post, "/access/ticket"),
    (ApiMethod::Put, "/access/users/x"),
    (ApiMethod::Post, "/access/users/x/token/x"),
    (ApiMethod::Post, "/cluster/config/join"),
    (ApiMethod::Post, "/nodes/x/certificates/custom"),
];

/// Why the floor closes this call, or `None` if it does not.
pub fn floor_reason(method: ApiMethod, path: &ApiPath, params: &ApiParams) -> Option<String> {
    path_floor_reason(method, path).or_else(|| params_floor_reason(method, path, params))
}

/// Why the floor closes `method path` whatever its parameters: consoles, shells,
/// tickets, `/access` and cluster writes, certificates.
pub fn path_floor_reason(method: ApiMethod, path: &ApiPath) -> Option<String> {
    let segs: Vec<&str> = path.segments().collect();
    let write = method != ApiMethod::Get;
    let why = match segs.as_slice() {
        ["nodes", _, last] if CONSOLE.contains(last) => "node consoles and shells",
        ["nodes", _, "qemu" | "lxc", _, last] if CONSOLE.contains(last) => {
            "guest consoles and tunnels"
        }
        ["nodes", _, "execute"] => "running commands on a node through the API",
        ["nodes", _, "qemu" | "lxc", _, "clone"] if write => {
            "cloning a guest through the raw API (use guest_clone, which judges what the \
             clone inherits)"
        }
        ["nodes", _, "qemu", _, "agent", cmd] if AGENT_SHELL.contains(cmd) => {
            "guest agent commands that run programs, move files or set passwords"
        }
        ["access", "ticket" | "vncticket"] => "issuing login tickets",
        ["access", ..] if write => "changing users, tokens, roles or ACLs",
        ["cluster", "config", ..] if write => "joining or reconfiguring the cluster",
        ["nodes", _, "certificates", ..] if write => "replacing node certificates",
        _ => return None,
    };
    Some(format!("{why} can never be allowed"))
}

/// Why the parameters of a write are on the floor: guest settings that hand out host
/// code, devices or paths, containers created privileged, and restores, whose guest
/// inherits a backup's settings that only backup_restore reads and judges.
fn params_floor_reason(method: ApiMethod, path: &ApiPath, params: &ApiParams) -> Option<String> {
    if method == ApiMethod::Get {
        return None;
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(k, _)| k.as_str() == name)
            .map(|(_, v)| v.to_form())
    };
    let segs: Vec<&str> = path.segments().collect();
    if let ["nodes", _, kind @ ("qemu" | "lxc")] = segs.as_slice() {
        let restore = match *kind {
            "qemu" => param("archive").is_some(),
            _ => param("restore").is_some_and(|v| truthy(&v)),
        };
        if restore {
            return Some(
                "restoring a backup through the raw API can never be allowed (use \
                 backup_restore, which judges what the restored guest inherits)"
                    .into(),
            );
        }
        if *kind == "lxc" && !param("unprivileged").is_some_and(|v| truthy(&v)) {
            return Some(
                "creating or restoring a privileged container: pass unprivileged=1 \
                 (privileged containers are on the fixed floor)"
                    .into(),
            );
        }
    }
    params
        .iter()
        .find_map(|(k, v)| config_floor(k.as_str(), &v.to_form()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn closed(m: ApiMethod, p: &str) -> bool {
        floor_reason(m, &ApiPath::parse(p).unwrap(), &ApiParams::default()).is_some()
    }

    #[test]
    fn floor_covers_examples_and_spares_reads() {
        for (m, p) in EXAMPLES {
            assert!(closed(*m, p), "{m} {p}");
        }
        assert!(closed(ApiMethod::Get, "/access/ticket"));
        assert!(!closed(ApiMethod::Get, "/access/users"));
        assert!(!closed(ApiMethod::Get, "/cluster/config/nodes"));
        assert!(!closed(ApiMethod::Post, "/nodes/x/qemu/100/status/start"));
        assert!(!closed(ApiMethod::Post, "/nodes/x/qemu/100/agent/ping"));
        assert!(!closed(ApiMethod::Get, "/nodes/x/status"));
    }

    #[test]
    fn floor_refuses_host_code_params() {
        let params: ApiParams =
            serde_json::from_str(r#"{"hookscript": "local:snippets/x.pl"}"#).unwrap();
        let path = ApiPath::parse("/nodes/x/qemu/100/config").unwrap();
        assert!(floor_reason(ApiMethod::Put, &path, &params).is_some());
        assert!(floor_reason(ApiMethod::Get, &path, &params).is_none());
    }

    #[test]
    fn floor_keys_cannot_be_set_by_any_write() {
        let path = ApiPath::parse("/nodes/x/qemu/100/config").unwrap();
        for (k, v) in [
            ("hostpci0", "0000:01:00.0"),
            ("usb1", "host=1234:5678"),
            ("serial0", "/dev/ttyS0"),
            ("parallel0", "/dev/parport0"),
            ("virtiofs0", "share"),
            ("ivshmem", "size=32"),
            ("args", "-device x"),
            ("hookscript", "local:snippets/x.pl"),
            ("dev0", "/dev/kvm"),
            ("scsi1", "/dev/sdb"),
            ("virtio0", "file=/dev/disk/by-id/x"),
            ("mp0", "/srv/data,mp=/data"),
            ("rootfs", "/var/lib/x"),
            ("scsi0", "local-lvm:0,import-from=/root/x.qcow2"),
            ("unprivileged", "0"),
            ("unprivileged", "false"),
            ("features", "nesting=1,mount=nfs"),
            ("archive", "/var/lib/vz/dump/x.vma"),
            ("ide2", "cdrom,media=cdrom"),
            ("ide2", "file=cdrom,media=cdrom"),
            ("cdrom", "cdrom"),
            ("sata1", "cdrom,media=cdrom"),
            ("unprivileged", "no"),
            ("unprivileged", ""),
        ] {
            let params: ApiParams = serde_json::from_value(serde_json::json!({ k: v })).unwrap();
            for m in [ApiMethod::Put, ApiMethod::Post] {
                assert!(floor_reason(m, &path, &params).is_some(), "{m} {k}={v}");
            }
        }
        for (k, v) in [
            ("scsi1", "local-lvm:32"),
            ("mp0", "local-lvm:8,mp=/data"),
            ("net0", "virtio,bridge=vmbr0"),
            ("features", "nesting=1"),
            ("unprivileged", "1"),
            ("usbx", "1"),
            ("ide2", "none,media=cdrom"),
            ("ide2", "local:iso/debian.iso,media=cdrom"),
            ("cdrom", "local:iso/debian.iso"),
            ("cdrom", "none"),
            ("unprivileged", "yes"),
        ] {
            assert!(config_floor(k, v).is_none(), "{k}={v}");
        }
    }

    #[test]
    fn containers_are_created_unprivileged_only() {
        let path = ApiPath::parse("/nodes/x/lxc").unwrap();
        let none = ApiParams::default();
        assert!(floor_reason(ApiMethod::Post, &path, &none).is_some());
        let ok: ApiParams = serde_json::from_str(r#"{"unprivileged": 1, "vmid": 200}"#).unwrap();
        assert!(floor_reason(ApiMethod::Post, &path, &ok).is_none());
        let b: ApiParams = serde_json::from_str(r#"{"unprivileged": true}"#).unwrap();
        assert!(floor_reason(ApiMethod::Post, &path, &b).is_none());
    }

    #[test]
    fn raw_clones_and_restores_are_closed() {
        assert!(closed(ApiMethod::Post, "/nodes/x/qemu/100/clone"));
        assert!(closed(ApiMethod::Post, "/nodes/x/lxc/100/clone"));
        assert!(!closed(ApiMethod::Get, "/nodes/x/lxc/100/clone"));
        let post = |kind: &str, json: serde_json::Value| {
            let params: ApiParams = serde_json::from_value(json).unwrap();
            let path = ApiPath::parse(&format!("/nodes/x/{kind}")).unwrap();
            floor_reason(ApiMethod::Post, &path, &params)
        };
        let vma = "local:backup/vzdump-qemu-100-2026_01_01-00_00_00.vma.zst";
        let why = post("qemu", serde_json::json!({"vmid": 9000, "archive": vma})).unwrap();
        assert!(why.contains("use backup_restore"), "{why}");
        let tar = "local:backup/vzdump-lxc-100-2026_01_01-00_00_00.tar.zst";
        let why = post(
            "lxc",
            serde_json::json!({"vmid": 9000, "ostemplate": tar, "restore": 1, "unprivileged": 1}),
        )
        .unwrap();
        assert!(why.contains("use backup_restore"), "{why}");
        assert!(post("qemu", serde_json::json!({"vmid": 9000, "cores": 2})).is_none());
    }

    #[test]
    fn only_unprivileged_containers_are_copied() {
        let conf = |pairs: &[(&str, &str)]| -> GuestSettings {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        let privileged = conf(&[("hostname", "ct"), ("rootfs", "local-lvm:8")]);
        assert!(inherited_floor(GuestType::Lxc, &privileged).is_some());
        let zero = conf(&[("unprivileged", "0")]);
        assert!(inherited_floor(GuestType::Lxc, &zero).is_some());
        let fine = conf(&[("unprivileged", "1")]);
        assert!(inherited_floor(GuestType::Lxc, &fine).is_none());
        assert!(inherited_floor(GuestType::Qemu, &privileged).is_none());
    }

    /// Every message of the floor reads as one sentence: no runs of spaces left by a
    /// string continued over lines.
    #[test]
    fn floor_messages_have_no_runs_of_spaces() {
        let mut messages: Vec<String> = Vec::new();
        for key in [
            "hookscript",
            "args",
            "ivshmem",
            "hostpci0",
            "dev1",
            "lxc.cgroup2",
        ] {
            messages.extend(config_floor(key, "x"));
        }
        for (k, v) in [
            ("unprivileged", "0"),
            ("features", "mount=nfs"),
            ("scsi1", "/dev/sdb"),
            ("ide2", "cdrom,media=cdrom"),
        ] {
            messages.extend(config_floor(k, v));
        }
        for (m, p) in EXAMPLES {
            messages.extend(path_floor_reason(*m, &ApiPath::parse(p).unwrap()));
        }
        let lxc = ApiPath::parse("/nodes/x/lxc").unwrap();
        messages.extend(floor_reason(ApiMethod::Post, &lxc, &ApiParams::default()));
        let restore: ApiParams = serde_json::from_str(r#"{"restore": 1}"#).unwrap();
        messages.extend(floor_reason(ApiMethod::Post, &lxc, &restore));
        messages.extend(inherited_floor(GuestType::Lxc, &GuestSettings::new()));
        assert!(messages.len() >= 20, "{messages:?}");
        for m in messages {
            assert!(!m.contains("  "), "a run of spaces in {m:?}");
        }
    }
}
