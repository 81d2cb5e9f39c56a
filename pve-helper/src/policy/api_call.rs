//! A raw `proxmox_api` call read as Proxmox reads it: its endpoint in the published
//! schema, every parameter known and of its type, and every guest, volume and task it
//! names (in the path, in parameters, inside property strings). Hostile input: whatever
//! cannot be read exactly is refused, never passed on unjudged.

use super::api_class::{Class, classify};
use super::refs::{self, Volume};
use crate::policy::decision::Rule;
use crate::schema::{Endpoint, Format, Named, Param, Params, Schema, Ty, Unresolved};
use pve_mcp_proto::{ApiCall, Upid, VmId};
use std::collections::BTreeMap;

/// Something a raw call names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mention {
    Guest(VmId),
    Volume(Volume),
    /// A path on the node where a volume could stand (a bind mount, a device).
    HostPath(String),
    Task(Upid),
}

/// A raw call read against the schema.
#[derive(Debug)]
pub struct Analysis {
    pub endpoint: &'static Endpoint,
    pub class: Class,
    /// Every parameter, path parameters included, as Proxmox merges them.
    pub params: BTreeMap<String, String>,
    /// What the call names, each with the parameter that names it.
    pub mentions: Vec<(String, Mention)>,
}

impl Analysis {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// Every existing guest the call names, directly, through a volume or through a
    /// task (not the vmid a create gives its new guest, which `[create]` judges).
    pub fn guests(&self) -> Vec<VmId> {
        let new_guest = matches!(self.class, Class::Typed(super::api_class::Typed::Create));
        let mut out: Vec<VmId> = Vec::new();
        for (param, m) in &self.mentions {
            if new_guest && param == "vmid" {
                continue;
            }
            match m {
                Mention::Guest(v) => out.push(*v),
                Mention::Volume(vol) => out.extend(vol.guests()),
                Mention::Task(upid) => out.extend(refs::task_guest(upid).ok().flatten()),
                Mention::HostPath(_) => {}
            }
        }
        out.sort();
        out.dedup();
        out
    }
}

/// Why a call could not be read: the rule and the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub rule: Rule,
    pub reason: String,
}

fn unreadable(rule: Rule, reason: String) -> Unreadable {
    Unreadable { rule, reason }
}

/// Reads `call` against the newest release's schema.
pub fn analyze(call: &ApiCall) -> Result<Analysis, Unreadable> {
    analyze_on(call, crate::pve::release::Release::Pve9)
}

/// Reads `call` against `release`'s schema.
pub fn analyze_on(
    call: &ApiCall,
    release: crate::pve::release::Release,
) -> Result<Analysis, Unreadable> {
    let schema = Schema::for_release(release);
    let what = format!("{} {}", call.method, call.path);
    let resolved = schema
        .resolve(call.method, &call.path)
        .map_err(|e| match e {
            Unresolved::NoPath => unreadable(
                Rule::ApiSchema,
                format!("{what}: Proxmox VE's API has no such path"),
            ),
            Unresolved::NoMethod(m) => unreadable(
                Rule::ApiSchema,
                format!(
                    "{what}: Proxmox VE's API has no {} method for this path (it has {})",
                    call.method,
                    m.iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ),
        })?;
    let endpoint = resolved.endpoint;
    let mut params: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &resolved.path_params {
        params.insert((*name).to_owned(), value.clone());
    }
    for (name, value) in call.params.iter() {
        let name = name.as_str();
        if params.contains_key(name) {
            return Err(unreadable(
                Rule::ApiParams,
                format!("{what}: {name} is given in the path; do not pass it again in data"),
            ));
        }
        params.insert(name.to_owned(), value.to_form());
    }
    let mut mentions = Vec::new();
    for (name, value) in &params {
        let Some(spec) = endpoint.params.get(name) else {
            return Err(unreadable(
                Rule::ApiSchema,
                format!(
                    "{what}: the API of {release} has no parameter {name:?} for {} {}",
                    endpoint.method, endpoint.template
                ),
            ));
        };
        // `move_volume` names a container's volume by its configuration key (`mp0`),
        // not as a volume of the `storage` it moves to.
        if name == "volume" && endpoint.template.ends_with("/move_volume") {
            crate::schema::check_scalar(name, &spec.ty, value)
                .map_err(|e| unreadable(Rule::ApiParams, format!("{what}: {e}")))?;
            continue;
        }
        let mut found = Vec::new();
        read_param(
            &endpoint.params,
            params.get("storage").map(String::as_str),
            name,
            spec,
            value,
            &mut found,
        )
        .map_err(|e| unreadable(Rule::ApiParams, format!("{what}: {e}")))?;
        mentions.extend(found.into_iter().map(|m| (name.clone(), m)));
    }
    if let Some((name, _)) = endpoint
        .params
        .exact
        .iter()
        .find(|(n, p)| !p.optional && !params.contains_key(n.as_str()))
    {
        return Err(unreadable(
            Rule::ApiParams,
            format!("{what}: the parameter {name:?} is required"),
        ));
    }
    crate::schema::missing_required(&endpoint.params.exact, |k| params.contains_key(k))
        .map_err(|e| unreadable(Rule::ApiParams, format!("{what}: {e}")))?;
    let class = classify(endpoint.method, &endpoint.template);
    Ok(Analysis {
        endpoint,
        class,
        params,
        mentions,
    })
}

/// Reads one parameter (or property-string sub-key) `name = value` per its spec.
fn read_param(
    all: &Params,
    storage: Option<&str>,
    name: &str,
    spec: &Param,
    value: &str,
    out: &mut Vec<Mention>,
) -> Result<(), String> {
    let item = match &spec.ty {
        Ty::Array(item) => item.as_ref(),
        _ => spec,
    };
    crate::schema::check_scalar(name, &item.ty, value)?;
    match &item.format {
        Format::Named(Named::Vmid) => out.push(Mention::Guest(refs::vmid(value)?)),
        Format::Named(Named::VmidList) => {
            out.extend(refs::vmid_list(value)?.into_iter().map(Mention::Guest));
        }
        Format::Named(Named::HaResource) => out.push(Mention::Guest(refs::ha_resource(value)?)),
        Format::Named(Named::ReplicationJob) => {
            out.push(Mention::Guest(refs::replication_job(value)?));
        }
        Format::Named(Named::VolumeId) => out.push(Mention::Volume(refs::volume(value)?)),
        Format::Named(Named::VolumeOrPath) => volume_or_path(value, out)?,
        Format::Named(Named::QmIde) => {
            let ide = all
                .get("ide0")
                .ok_or("the schema has no IDE drive format")?;
            return read_param(all, storage, name, ide, value, out);
        }
        Format::Named(Named::QmCicustom) => {
            for part in value.split(',').filter(|p| !p.is_empty()) {
                let (_, v) = part
                    .split_once('=')
                    .ok_or_else(|| format!("{name}: {part:?} is not KIND=VOLUME"))?;
                out.push(Mention::Volume(refs::volume(v)?));
            }
        }
        Format::Props(props) => {
            let read = props.parse(value).map_err(|e| format!("{name}: {e}"))?;
            for (k, v) in &read.0 {
                let sub = &props.keys[k];
                read_param(all, storage, k, sub, v, out).map_err(|e| format!("{name}: {e}"))?;
            }
        }
        Format::Named(_) | Format::None => match name {
            // Plain strings that Proxmox reads as volumes (or host paths).
            "archive" | "ostemplate" => volume_or_path(value, out)?,
            // A storage content route's volume: a volume id, or a name on the path's
            // storage.
            "volume" => {
                let volid = match (value.contains(':'), all.get("storage")) {
                    (false, Some(_)) => format!("{}:{value}", storage.unwrap_or("")),
                    _ => value.to_owned(),
                };
                out.push(Mention::Volume(refs::volume(&volid)?));
            }
            // HA rules filtered by resource.
            "resource" => out.push(Mention::Guest(refs::ha_resource(value)?)),
            "upid" => out.push(Mention::Task(Upid::parse(value).map_err(|e| e.0)?)),
            _ => {}
        },
    }
    Ok(())
}

/// Reads settings a typed tool sends to a guest as Proxmox's own endpoint reads them
/// (`POST /nodes/{node}/{kind}` for a new guest, `PUT .../{vmid}/config` else): every
/// key one of its parameters, every value of its type, property strings exact (no key
/// twice, no unknown key). `sshkeys` is checked by its own type (it is sent encoded).
pub fn check_settings<'a>(
    kind: pve_mcp_proto::GuestType,
    new_guest: bool,
    pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> Result<(), String> {
    let (method, path) = if new_guest {
        (
            pve_mcp_proto::ApiMethod::Post,
            format!("/nodes/x/{}", kind.as_str()),
        )
    } else {
        (
            pve_mcp_proto::ApiMethod::Put,
            format!("/nodes/x/{}/100/config", kind.as_str()),
        )
    };
    let path = pve_mcp_proto::ApiPath::parse(&path).map_err(|e| e.0)?;
    let endpoint = Schema::get()
        .resolve(method, &path)
        .map_err(|_| "Proxmox's schema has no configuration endpoint".to_owned())?
        .endpoint;
    for (key, value) in pairs {
        if key == "sshkeys" {
            continue;
        }
        let spec = endpoint
            .params
            .get(key)
            .ok_or_else(|| format!("Proxmox has no setting {key:?} for a {}", kind.as_str()))?;
        read_param(&endpoint.params, None, key, spec, value, &mut Vec::new())?;
    }
    Ok(())
}

/// A drive's or mount point's volume: a volume id, a host path, or one of the values
/// that name no volume: `none`, `cdrom` (the fixed floor judges it), a new allocation
/// `STORAGE:SIZE`.
fn volume_or_path(value: &str, out: &mut Vec<Mention>) -> Result<(), String> {
    if value.starts_with('/') {
        out.push(Mention::HostPath(value.to_owned()));
        return Ok(());
    }
    if value == "none" || value == "cdrom" || is_allocation(value) {
        return Ok(());
    }
    out.push(Mention::Volume(refs::volume(value)?));
    Ok(())
}

/// `STORAGE:SIZE`: a new volume of SIZE GiB (Proxmox's `^([^:]+):(\d+(\.\d+)?)$`).
pub fn is_allocation(value: &str) -> bool {
    value.split_once(':').is_some_and(|(storage, size)| {
        refs::is_storage_id(storage) && {
            let (int, frac) = size.split_once('.').unwrap_or((size, "0"));
            !int.is_empty()
                && !frac.is_empty()
                && int.bytes().all(|b| b.is_ascii_digit())
                && frac.bytes().all(|b| b.is_ascii_digit())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pve_mcp_proto::{ApiMethod, ApiParams, ApiPath};

    fn call(method: ApiMethod, path: &str, params: serde_json::Value) -> ApiCall {
        ApiCall {
            method,
            path: ApiPath::parse(path).unwrap(),
            params: serde_json::from_value::<ApiParams>(params).unwrap(),
        }
    }

    fn v(n: u32) -> VmId {
        VmId::new(u64::from(n)).unwrap()
    }

    #[test]
    fn a_moved_volume_is_named_by_its_key_and_its_target_is_a_guest() {
        let a = analyze(&call(
            ApiMethod::Post,
            "/nodes/pve1/lxc/103/move_volume",
            serde_json::json!({"volume": "mp0", "target-vmid": 250, "target-volume": "mp3"}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(103), v(250)]);
        let a = analyze(&call(
            ApiMethod::Post,
            "/nodes/pve1/lxc/103/move_volume",
            serde_json::json!({"volume": "rootfs", "storage": "nas"}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(103)]);
    }

    #[test]
    fn every_guest_a_call_names_is_found() {
        let a = analyze(&call(
            ApiMethod::Put,
            "/nodes/pve1/qemu/102/config",
            serde_json::json!({
                "scsi5": "local-lvm:vm-250-disk-0,cache=none",
                "scsi6": "local-lvm:0,import-from=local-lvm:vm-251-disk-0",
                "ide2": "nas:iso/x.iso,media=cdrom",
            }),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(102), v(250), v(251)]);
        let a = analyze(&call(
            ApiMethod::Put,
            "/nodes/pve1/lxc/103/config",
            serde_json::json!({"mp5": "local-lvm:subvol-9005-disk-0,mp=/data"}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(103), v(9005)]);
        let a = analyze(&call(
            ApiMethod::Post,
            "/nodes/pve1/vzdump",
            serde_json::json!({"vmid": "101,250", "storage": "local"}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(101), v(250)]);
        let a = analyze(&call(
            ApiMethod::Post,
            "/nodes/pve1/lxc",
            serde_json::json!({
                "vmid": 9001,
                "ostemplate": "local:backup/vzdump-lxc-250-2026_01_01-00_00_00.tar.zst"
            }),
        ))
        .unwrap();
        // The new guest's vmid is judged by [create], not as an existing guest.
        assert_eq!(a.guests(), [v(250)]);
        let a = analyze(&call(
            ApiMethod::Get,
            "/cluster/ha/resources/vm:250",
            serde_json::json!({}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(250)]);
    }

    #[test]
    fn what_cannot_be_read_exactly_is_refused() {
        for (m, path, params) in [
            (
                ApiMethod::Get,
                "/nodes/pve1/qemu/+250/status/current",
                serde_json::json!({}),
            ),
            (
                ApiMethod::Get,
                "/nodes/pve1/qemu/0250/status/current",
                serde_json::json!({}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"HOSTPCI0": "x"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"Scsi5": "x"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"scsi5": "local-lvm:vm-102-disk-1,file=local-lvm:vm-250-disk-0"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"net0": "virtio, bridge=vmbr9"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"name": "x\nhookscript: local:snippets/x.pl"}),
            ),
            (
                ApiMethod::Post,
                "/nodes/pve1/lxc",
                serde_json::json!({"vmid": 9001, "ostemplate": "x", "unprivileged": "1 "}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"vmid": 250}),
            ),
            (ApiMethod::Get, "/nodes/pve1/nothing", serde_json::json!({})),
            (ApiMethod::Post, "/nodes/pve1/qemu", serde_json::json!({})),
            // `type` requires `poolid`; a NIC needs its model; the model set twice
            // through its key alias.
            (
                ApiMethod::Get,
                "/pools",
                serde_json::json!({"type": "qemu"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"net0": "bridge=vmbr0"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"net0": "virtio=BC:24:11:00:00:01,model=e1000"}),
            ),
            (
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({"net0": "virtio=BC:24:11:00:00:01,e1000=BC:24:11:00:00:02"}),
            ),
        ] {
            assert!(
                analyze(&call(m, path, params.clone())).is_err(),
                "{m} {path} {params}"
            );
        }
    }

    #[test]
    fn property_strings_and_companions_are_read_whole() {
        let nic = |v: &str| {
            analyze(&call(
                ApiMethod::Put,
                "/nodes/pve1/qemu/102/config",
                serde_json::json!({ "net0": v }),
            ))
        };
        assert!(nic("virtio=BC:24:11:00:00:01,bridge=vmbr0").is_ok());
        assert!(nic("model=virtio,bridge=vmbr0").is_ok());
        assert!(nic("e1000,bridge=vmbr0").is_ok());
        let pools = analyze(&call(
            ApiMethod::Get,
            "/pools",
            serde_json::json!({"type": "qemu", "poolid": "lab"}),
        ));
        assert!(pools.is_ok(), "{pools:?}");
    }

    #[test]
    fn allocations_and_empty_drives_name_no_volume() {
        let a = analyze(&call(
            ApiMethod::Put,
            "/nodes/pve1/qemu/102/config",
            serde_json::json!({"scsi1": "local-lvm:32", "ide2": "none,media=cdrom"}),
        ))
        .unwrap();
        assert_eq!(a.guests(), [v(102)]);
        assert!(is_allocation("local-lvm:0.5"));
        assert!(!is_allocation("local-lvm:vm-1-disk-0"));
    }
}
