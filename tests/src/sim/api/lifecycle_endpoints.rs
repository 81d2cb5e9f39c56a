//! Which lifecycle endpoint a request names: [`Route`], one variant per endpoint of
//! [`super::lifecycle_routes`] with its raw path parameters, matched from the method and
//! the path's segments ([`route`]). The vocabulary of the lifecycle's handlers, schemas
//! and privilege checks. Path segments are untrusted: they are matched, not parsed.

use crate::sim::cluster::dataset::GuestKind;
use crate::sim::guests::firewall_write::FwWrite;

/// Which firewall endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fw {
    Rules,
    Options,
}

/// A matched endpoint, with its raw path parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Create(String, GuestKind),
    Clone(String, GuestKind, String),
    Template(String, GuestKind, String),
    /// `PUT` (synchronous) or `POST` (a worker) `.../config`.
    Config(String, GuestKind, String, bool),
    Resize(String, GuestKind, String),
    Migrate(String, GuestKind, String),
    /// `qemu/{vmid}/move_disk` or `lxc/{vmid}/move_volume`.
    Move(String, GuestKind, String),
    Destroy(String, GuestKind, String),
    DeleteVolume(String, String, String),
    Download(String, String),
    StopTask(String, String),
    Exec(String, String),
    ExecStatus(String, String),
    ClusterFw(Fw),
    NodeFw(String, Fw),
    GuestFw(String, GuestKind, String, Fw),
    /// A write to a guest's rules or options.
    GuestFwWrite(
        String,
        GuestKind,
        String,
        crate::sim::guests::firewall_write::FwWrite,
    ),
    Pools,
    Pool(String),
    HaResources,
    HaGroups,
    NextId,
    ExtractConfig(String),
    Network(String),
}

fn kind_of(s: &str) -> Option<GuestKind> {
    match s {
        "qemu" => Some(GuestKind::Qemu),
        "lxc" => Some(GuestKind::Lxc),
        _ => None,
    }
}

fn fw_of(s: &str) -> Option<Fw> {
    match s {
        "rules" => Some(Fw::Rules),
        "options" => Some(Fw::Options),
        _ => None,
    }
}

/// The endpoint for `method` and path segments, if this module has it.
pub fn route(method: &str, s: &[&str]) -> Option<Route> {
    let o = |x: &str| x.to_owned();
    let r = match (method, s) {
        ("POST", ["nodes", n, k]) => Route::Create(o(n), kind_of(k)?),
        ("POST", ["nodes", n, k, v, "clone"]) => Route::Clone(o(n), kind_of(k)?, o(v)),
        ("POST", ["nodes", n, k, v, "template"]) => Route::Template(o(n), kind_of(k)?, o(v)),
        ("PUT", ["nodes", n, k, v, "config"]) => Route::Config(o(n), kind_of(k)?, o(v), true),
        ("POST", ["nodes", n, "qemu", v, "config"]) => {
            Route::Config(o(n), GuestKind::Qemu, o(v), false)
        }
        ("PUT", ["nodes", n, k, v, "resize"]) => Route::Resize(o(n), kind_of(k)?, o(v)),
        ("POST", ["nodes", n, k, v, "migrate"]) => Route::Migrate(o(n), kind_of(k)?, o(v)),
        ("POST", ["nodes", n, "qemu", v, "move_disk"]) => Route::Move(o(n), GuestKind::Qemu, o(v)),
        ("POST", ["nodes", n, "lxc", v, "move_volume"]) => Route::Move(o(n), GuestKind::Lxc, o(v)),
        ("DELETE", ["nodes", n, k, v]) if k != &"tasks" => Route::Destroy(o(n), kind_of(k)?, o(v)),
        ("DELETE", ["nodes", n, "storage", st, "content", rest @ ..]) if !rest.is_empty() => {
            Route::DeleteVolume(o(n), o(st), rest.join("/"))
        }
        ("POST", ["nodes", n, "storage", st, "download-url"]) => Route::Download(o(n), o(st)),
        ("DELETE", ["nodes", n, "tasks", upid]) => Route::StopTask(o(n), o(upid)),
        ("POST", ["nodes", n, "qemu", v, "agent", "exec"]) => Route::Exec(o(n), o(v)),
        ("GET", ["nodes", n, "qemu", v, "agent", "exec-status"]) => Route::ExecStatus(o(n), o(v)),
        ("GET", ["cluster", "firewall", f]) => Route::ClusterFw(fw_of(f)?),
        ("GET", ["nodes", n, "firewall", f]) => Route::NodeFw(o(n), fw_of(f)?),
        ("GET", ["nodes", n, k, v, "firewall", f]) => {
            Route::GuestFw(o(n), kind_of(k)?, o(v), fw_of(f)?)
        }
        ("POST", ["nodes", n, k, v, "firewall", "rules"]) => {
            Route::GuestFwWrite(o(n), kind_of(k)?, o(v), FwWrite::Add)
        }
        ("PUT", ["nodes", n, k, v, "firewall", "rules", p]) => {
            Route::GuestFwWrite(o(n), kind_of(k)?, o(v), FwWrite::Update(o(p)))
        }
        ("DELETE", ["nodes", n, k, v, "firewall", "rules", p]) => {
            Route::GuestFwWrite(o(n), kind_of(k)?, o(v), FwWrite::Delete(o(p)))
        }
        ("PUT", ["nodes", n, k, v, "firewall", "options"]) => {
            Route::GuestFwWrite(o(n), kind_of(k)?, o(v), FwWrite::Options)
        }
        ("GET", ["pools"]) => Route::Pools,
        ("GET", ["pools", id]) => Route::Pool(o(id)),
        ("GET", ["cluster", "ha", "resources"]) => Route::HaResources,
        ("GET", ["cluster", "ha", "groups"]) => Route::HaGroups,
        ("GET", ["cluster", "nextid"]) => Route::NextId,
        ("GET", ["nodes", n, "vzdump", "extractconfig"]) => Route::ExtractConfig(o(n)),
        ("GET", ["nodes", n, "network"]) => Route::Network(o(n)),
        _ => return None,
    };
    Some(r)
}
