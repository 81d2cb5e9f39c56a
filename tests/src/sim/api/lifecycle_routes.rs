//! The `/api2/json` endpoints of the guest lifecycle, storage writes, task stops, guest
//! agent commands and the firewall, pool, HA, `nextid` and node network reads. Same steps as
//! [`super::dispatch`], in PVE's order: find a handler (501), check permissions (403), resolve
//! the node (500), verify parameters (400), check the role's privileges as the handler
//! does before forking ([`crate::sim::access::routes`], 403), run the handler. Paths and parameters
//! are untrusted.

use std::collections::BTreeMap;
use std::time::Instant;

use super::lifecycle_endpoints::Route;
use super::lifecycle_schema::schema_of;
use crate::sim::cluster::dataset::GuestKind;
use crate::sim::cluster::shared::SharedCluster;
use crate::sim::cluster::shared::read;
use crate::sim::errors::{ApiError, schema};
use crate::sim::guests::config::keys::{self as cs};
use crate::sim::params::{Params, check_vmid, validate_with};
use crate::sim::server::reply::Reply;
use crate::sim::server::stats::Stats;

/// The node PVE proxies the call to (none for cluster-wide files).
fn node_of(r: &Route) -> Option<&str> {
    match r {
        Route::Create(n, _)
        | Route::Clone(n, _, _)
        | Route::Template(n, _, _)
        | Route::Config(n, _, _, _)
        | Route::Resize(n, _, _)
        | Route::Migrate(n, _, _)
        | Route::Move(n, _, _)
        | Route::Destroy(n, _, _)
        | Route::DeleteVolume(n, _, _)
        | Route::Download(n, _)
        | Route::StopTask(n, _)
        | Route::Exec(n, _)
        | Route::ExecStatus(n, _)
        | Route::NodeFw(n, _)
        | Route::ExtractConfig(n)
        | Route::Network(n) => Some(n),
        _ => None,
    }
}

/// The guest a route acts on (raw vmid) and the privilege PVE checks on it.
fn privilege(
    r: &Route,
    pve: crate::sim::schema::version::PveVersion,
) -> Option<(&str, &'static str)> {
    let p = match r {
        Route::Clone(_, _, v) => (v, "VM.Clone"),
        Route::Template(_, _, v) | Route::Destroy(_, _, v) => (v, "VM.Allocate"),
        Route::Config(_, GuestKind::Qemu, v, _) => (
            v,
            "VM.Config.Disk|VM.Config.CDROM|VM.Config.CPU|VM.Config.Memory|VM.Config.Network|\
             VM.Config.HWType|VM.Config.Options|VM.Config.Cloudinit",
        ),
        Route::Config(_, GuestKind::Lxc, v, _) => (
            v,
            "VM.Config.Disk|VM.Config.CPU|VM.Config.Memory|VM.Config.Network|VM.Config.Options",
        ),
        Route::Resize(_, _, v) | Route::Move(_, _, v) => (v, "VM.Config.Disk"),
        Route::Migrate(_, _, v) => (v, "VM.Migrate"),
        Route::Exec(_, v) | Route::ExecStatus(_, v) => (v, pve.agent_exec_privilege()),
        _ => return None,
    };
    Some((p.0.as_str(), p.1))
}

/// The raw vmid of a route's path, if it has one.
fn path_vmid(r: &Route) -> Option<&str> {
    match r {
        Route::Clone(_, _, v)
        | Route::Template(_, _, v)
        | Route::Config(_, _, v, _)
        | Route::Resize(_, _, v)
        | Route::Migrate(_, _, v)
        | Route::Move(_, _, v)
        | Route::Destroy(_, _, v)
        | Route::Exec(_, v)
        | Route::ExecStatus(_, v)
        | Route::GuestFw(_, _, v, _)
        | Route::GuestFwWrite(_, _, v, _) => Some(v),
        _ => None,
    }
}

/// Verifies a route's parameters; returns the vmid from the path (0 if none).
fn verify(r: &Route, params: &Params) -> Result<u32, ApiError> {
    let mut errors = BTreeMap::new();
    let mut vmid = 0;
    if let Some(raw) = path_vmid(r) {
        match check_vmid(raw) {
            Ok(v) => vmid = v,
            Err(e) => {
                errors.insert("vmid".to_owned(), e);
            }
        }
    }
    if let Route::Pool(id) = r
        && let Err(e) = cs::check_poolid("poolid", id)
    {
        errors.insert("poolid".to_owned(), e);
    }
    let s = schema_of(r);
    validate_with(params, &s.lookup, &mut errors);
    for name in s.required {
        if params.get(name).is_none() {
            errors.insert((*name).to_owned(), schema::MISSING.to_owned());
        }
    }
    for (by, needed) in s.requires {
        if params.get(by).is_some() && params.get(needed).is_none() {
            errors.insert((*needed).to_owned(), schema::requires(by));
        }
    }
    if errors.is_empty() {
        Ok(vmid)
    } else {
        Err(ApiError::Param(errors))
    }
}

/// Handles one request for a route of this module.
pub fn handle(
    cluster: &SharedCluster,
    stats: &Stats,
    r: Route,
    params: &Params,
    user: &str,
) -> Result<Reply, ApiError> {
    let now = Instant::now();
    let pve = read(cluster, now).pve;
    if let Some((raw, privilege)) = privilege(&r, pve) {
        let c = read(cluster, now);
        let locked = check_vmid(raw)
            .ok()
            .and_then(|v| c.guest(v))
            .is_some_and(|g| g.seed.locked);
        if locked {
            return Err(ApiError::permission(&format!("/vms/{raw}"), privilege));
        }
    }
    let node = match node_of(&r) {
        Some(name) => {
            let c = read(cluster, now);
            let node = c.node(name).ok_or_else(|| ApiError::unknown_node(name))?;
            node.name.clone()
        }
        None => String::new(),
    };
    let vmid = verify(&r, params)?;
    let params = &cdrom_alias(&r, params);
    crate::sim::access::routes::check(&read(cluster, now), &r, params, user)?;
    super::lifecycle_run::run(cluster, stats, &r, &node, vmid, params, user, now)
}

/// QEMU's `cdrom` key is `ide2` as a CD/DVD drive (`$resolve_cdrom_alias`, applied by
/// `create_vm` and `update_vm` before anything else).
fn cdrom_alias<'a>(r: &Route, params: &'a Params) -> std::borrow::Cow<'a, Params> {
    let qemu = matches!(
        r,
        Route::Create(_, GuestKind::Qemu) | Route::Config(_, GuestKind::Qemu, _, _)
    );
    let Some(value) = params.get("cdrom").filter(|_| qemu) else {
        return std::borrow::Cow::Borrowed(params);
    };
    let value = if value.contains("media=") {
        value.to_owned()
    } else {
        format!("{value},media=cdrom")
    };
    let mut p = params.clone();
    p.take("cdrom");
    p.set("ide2", &value);
    std::borrow::Cow::Owned(p)
}
