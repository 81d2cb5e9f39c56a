//! Property tests of the one notion of a guest reference: for thousands of vmids, every
//! spelling Proxmox accepts for naming a guest (a path segment, vmid lists with each
//! separator, HA and replication ids, volume ids of every storage plugin placed every
//! way a property string allows, backups, tasks, free text) is found by the extractor
//! that judges raw API calls; and every spelling Proxmox would not read as that vmid
//! (a sign, a leading zero, white space, a decimal point, an exponent) is refused, never
//! read as another guest or as none.

use pve_helper::policy::{analyze, refs};
use pve_mcp_proto::{ApiCall, ApiMethod, ApiParams, ApiPath, VmId};
use serde_json::{Value, json};

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
    /// A vmid, often at the edges of a digit count.
    fn vmid(&mut self) -> u32 {
        let edges = [
            100,
            101,
            999,
            1000,
            9999,
            10_000,
            99_999_999,
            100_000_000,
            999_999_999,
        ];
        if self.below(4) == 0 {
            *self.pick(&edges)
        } else {
            100 + self.below(999_999_900) as u32
        }
    }
}

fn call(method: ApiMethod, path: &str, params: Value) -> ApiCall {
    ApiCall {
        method,
        path: ApiPath::parse(path).unwrap_or_else(|e| panic!("{path}: {e}")),
        params: serde_json::from_value::<ApiParams>(params).unwrap(),
    }
}

/// The guests `call` names, or why it was refused.
fn guests(c: &ApiCall) -> Result<Vec<u32>, String> {
    analyze(c)
        .map(|a| a.guests().into_iter().map(VmId::get).collect())
        .map_err(|e| e.reason)
}

fn names(c: &ApiCall, v: u32) {
    match guests(c) {
        Ok(g) => assert!(
            g.contains(&v),
            "{} {} {:?} names {v} but the extractor found {g:?}",
            c.method,
            c.path,
            c.params
        ),
        Err(e) => panic!("{} {} {:?} was refused: {e}", c.method, c.path, c.params),
    }
}

/// Volume ids naming guest `v`, in every plugin's spelling (the base, if any, `b`).
fn volumes(v: u32, b: u32, k: u64) -> Vec<String> {
    vec![
        format!("local-lvm:vm-{v}-disk-{k}"),
        format!("zfs:subvol-{v}-disk-{k}"),
        format!("zfs:basevol-{v}-disk-{k}"),
        format!("zfs:base-{b}-disk-0/vm-{v}-disk-{k}"),
        format!("ceph:base-{b}-disk-0/vm-{v}-disk-{k}"),
        format!("local:{v}/vm-{v}-disk-{k}.qcow2"),
        format!("local:{v}/vm-{v}-disk-{k}.raw"),
        format!("local:{b}/base-{b}-disk-0.qcow2/{v}/vm-{v}-disk-{k}.qcow2"),
        format!("local-lvm:vm-{v}-cloudinit"),
        format!("local-lvm:vm-{v}-state-snap{k}"),
        format!("local-lvm:base-{v}-disk-{k}"),
    ]
}

/// `value` placed in a drive's property string every way Proxmox reads it: as the
/// bare default key first, or among other options, or as `file=`/`volume=`, with
/// blank parts.
fn drive_strings(rng: &mut Rng, key: &str, value: &str) -> Vec<String> {
    let opts: &[&str] = match key {
        "efidisk0" | "tpmstate0" => &["size=4M", "format=raw"],
        _ => &[
            "cache=none",
            "size=8G",
            "discard=on",
            "backup=0",
            "format=raw",
        ],
    };
    let mut extra: Vec<&str> = (0..rng.below(4)).map(|_| *rng.pick(opts)).collect();
    extra.sort();
    extra.dedup();
    let tail = if extra.is_empty() {
        String::new()
    } else {
        format!(",{}", extra.join(","))
    };
    vec![
        format!("{value}{tail}"),
        format!(
            "{}{value}",
            extra.iter().map(|o| format!("{o},")).collect::<String>()
        ),
        format!("file={value}{tail}"),
        format!("volume={value}{tail}"),
        format!("{value},,{tail}"),
    ]
}

#[test]
fn every_spelling_proxmox_accepts_is_recognized() {
    let mut rng = Rng(0x5eed_1234_abcd_0042);
    let mut checked = 0usize;
    for _ in 0..400 {
        let v = rng.vmid();
        let b = rng.vmid();
        let k = rng.below(5);
        let kind = *rng.pick(&["qemu", "lxc"]);
        // A path segment.
        names(
            &call(
                ApiMethod::Get,
                &format!("/nodes/pve1/{kind}/{v}/status/current"),
                json!({}),
            ),
            v,
        );
        // Lists, with each separator Proxmox splits on.
        for sep in [",", ";", " ", ", ", ";;"] {
            let list = format!("{b}{sep}{v}");
            names(
                &call(
                    ApiMethod::Post,
                    "/nodes/pve1/vzdump",
                    json!({"vmid": list, "storage": "local"}),
                ),
                v,
            );
            names(&call(ApiMethod::Put, "/pools/lab", json!({"vms": list})), v);
            names(
                &call(
                    ApiMethod::Post,
                    "/nodes/pve1/startall",
                    json!({"vms": list}),
                ),
                v,
            );
        }
        // HA resources and replication jobs.
        for sid in [format!("vm:{v}"), format!("ct:{v}"), format!("{v}")] {
            names(
                &call(
                    ApiMethod::Get,
                    &format!("/cluster/ha/resources/{sid}"),
                    json!({}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Post,
                    "/cluster/ha/resources",
                    json!({"sid": sid}),
                ),
                v,
            );
        }
        names(
            &call(
                ApiMethod::Get,
                &format!("/cluster/replication/{v}-{k}"),
                json!({}),
            ),
            v,
        );
        names(
            &call(
                ApiMethod::Get,
                "/cluster/ha/rules",
                json!({"resource": format!("vm:{v}")}),
            ),
            v,
        );
        // Volumes, in drives and mount points, placed every way.
        for vol in volumes(v, b, k) {
            let key = *rng.pick(&["scsi5", "virtio3", "sata1", "ide0", "efidisk0", "tpmstate0"]);
            for s in drive_strings(&mut rng, key, &vol) {
                names(
                    &call(
                        ApiMethod::Put,
                        "/nodes/pve1/qemu/100/config",
                        json!({key: s}),
                    ),
                    v,
                );
                checked += 1;
            }
            names(
                &call(
                    ApiMethod::Put,
                    "/nodes/pve1/qemu/100/config",
                    json!({"unused7": vol}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Put,
                    "/nodes/pve1/qemu/100/config",
                    json!({"scsi6": format!("local-lvm:0,import-from={vol}")}),
                ),
                v,
            );
            for mp in [
                format!("{vol},mp=/data"),
                format!("mp=/data,{vol}"),
                format!("volume={vol},mp=/data,backup=1"),
            ] {
                names(
                    &call(
                        ApiMethod::Put,
                        "/nodes/pve1/lxc/100/config",
                        json!({"mp3": mp}),
                    ),
                    v,
                );
            }
            for rootfs in [
                vol.clone(),
                format!("volume={vol},size=8G"),
                format!("size=8G,{vol},quota=1"),
            ] {
                names(
                    &call(
                        ApiMethod::Put,
                        "/nodes/pve1/lxc/100/config",
                        json!({"rootfs": rootfs}),
                    ),
                    v,
                );
            }
            names(
                &call(
                    ApiMethod::Post,
                    "/nodes/pve1/qemu/100/move_disk",
                    json!({"disk": "scsi0", "target-vmid": v}),
                ),
                v,
            );
            // Storage content routes, by volume id or by name on the path's storage.
            let (storage, name) = vol.split_once(':').unwrap();
            names(
                &call(
                    ApiMethod::Get,
                    &format!("/nodes/pve1/storage/{storage}/content/{vol}"),
                    json!({}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Delete,
                    &format!("/nodes/pve1/storage/{storage}/content/{name}"),
                    json!({}),
                ),
                v,
            );
        }
        // Backups, in every spelling of their names.
        for backup in [
            format!("nas:backup/vzdump-qemu-{v}-2026_01_01-00_00_00.vma.zst"),
            format!("nas:backup/vzdump-lxc-{v}-2026_01_01-00_00_00.tar.zst"),
            format!("local:backup/vzdump-openvz-{v}-2026_01_01-00_00_00.tar.gz"),
            format!("pbs:backup/vm/{v}/2026-01-01T00:00:00Z"),
            format!("pbs:backup/ct/{v}/2026-01-01T00:00:00Z"),
        ] {
            names(
                &call(
                    ApiMethod::Post,
                    "/nodes/pve1/qemu",
                    json!({"vmid": 9000, "archive": backup}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Post,
                    "/nodes/pve1/lxc",
                    json!({"vmid": 9000, "ostemplate": backup, "restore": 1}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Get,
                    "/nodes/pve1/vzdump/extractconfig",
                    json!({"volume": backup}),
                ),
                v,
            );
            names(
                &call(
                    ApiMethod::Delete,
                    &format!("/nodes/pve1/storage/nas/content/{backup}"),
                    json!({}),
                ),
                v,
            );
        }
        // Tasks: a guest's, and a backup deletion's VMID@STORAGE.
        for (ty, object) in [
            ("qmstart", format!("{v}")),
            ("vzdump", format!("{v}")),
            ("imgdel", format!("{v}@nas")),
        ] {
            let upid = format!("UPID:pve1:0000ABCD:00001234:65000000:{ty}:{object}:root@pam:");
            for what in ["status", "log"] {
                names(
                    &call(
                        ApiMethod::Get,
                        &format!("/nodes/pve1/tasks/{upid}/{what}"),
                        json!({}),
                    ),
                    v,
                );
            }
            names(
                &call(
                    ApiMethod::Delete,
                    &format!("/nodes/pve1/tasks/{upid}"),
                    json!({}),
                ),
                v,
            );
        }
        // Free text, as Proxmox's messages and logs write guests.
        for text in [
            format!("Starting VM {v}"),
            format!("INFO: Starting Backup of VM {v} (qemu)"),
            format!("CT {v} already exists on node 'pve3'"),
            format!("volume 'local-lvm:vm-{v}-disk-0' is in use"),
            format!("tap{v}i0: link up"),
            format!("unable to open file '/etc/pve/nodes/pve1/qemu-server/{v}.conf'"),
            format!("imgdel {v}@nas-backup"),
            format!("vm:{v} (pve1, started)"),
        ] {
            let found: Vec<u32> = refs::vmids_in_text(&text).map(VmId::get).collect();
            assert!(found.contains(&v), "{text:?}: {found:?}");
        }
        checked += 1;
    }
    assert!(checked > 4000, "only {checked} property strings checked");
}

#[test]
fn spellings_proxmox_would_not_read_as_the_vmid_are_refused_not_skipped() {
    let mut rng = Rng(0x0dd5_eed5_0000_0001);
    for _ in 0..300 {
        let v = rng.vmid();
        for bad in [
            format!("+{v}"),
            format!("0{v}"),
            format!("00{v}"),
            format!(" {v}"),
            format!("{v} "),
            format!("{v}.0"),
            format!("{v}e0"),
            format!("-{v}"),
            format!("{v}x"),
            format!("0x{v}"),
            format!("{v}\t"),
        ] {
            assert!(refs::vmid(&bad).is_err(), "{bad:?} read as a vmid");
            // White space separates the vmids of a list: there it is no error.
            let lists = if bad.trim() == v.to_string() {
                Vec::new()
            } else {
                vec![
                    call(
                        ApiMethod::Post,
                        "/nodes/pve1/vzdump",
                        json!({"vmid": bad, "storage": "local"}),
                    ),
                    call(ApiMethod::Put, "/pools/lab", json!({"vms": bad})),
                ]
            };
            for c in lists.into_iter().chain([
                call(
                    ApiMethod::Post,
                    "/cluster/ha/resources",
                    json!({"sid": format!("vm:{bad}")}),
                ),
                call(
                    ApiMethod::Put,
                    "/nodes/pve1/qemu/100/config",
                    json!({"scsi5": format!("local-lvm:vm-{bad}-disk-0")}),
                ),
            ]) {
                assert!(
                    guests(&c).is_err(),
                    "{} {} {:?} was not refused: {:?}",
                    c.method,
                    c.path,
                    c.params,
                    guests(&c)
                );
            }
            // In a path segment, only what the path normalizer lets through.
            if let Ok(path) = ApiPath::parse(&format!("/nodes/pve1/qemu/{bad}/config")) {
                let c = ApiCall {
                    method: ApiMethod::Get,
                    path,
                    params: ApiParams::default(),
                };
                assert!(guests(&c).is_err(), "GET {} was not refused", c.path);
            }
        }
    }
}

#[test]
fn a_volume_given_twice_in_one_property_string_is_refused() {
    let mut rng = Rng(7);
    for _ in 0..200 {
        let (v, w) = (rng.vmid(), rng.vmid());
        for s in [
            format!("local-lvm:vm-{v}-disk-0,file=local-lvm:vm-{w}-disk-0"),
            format!("file=local-lvm:vm-{v}-disk-0,local-lvm:vm-{w}-disk-0"),
            format!("volume=local-lvm:vm-{v}-disk-0,file=local-lvm:vm-{w}-disk-0"),
            format!("local-lvm:vm-{v}-disk-0,cache=none,local-lvm:vm-{w}-disk-0"),
        ] {
            let c = call(
                ApiMethod::Put,
                "/nodes/pve1/qemu/100/config",
                json!({"scsi1": s}),
            );
            assert!(guests(&c).is_err(), "{s} was not refused");
        }
    }
}
