//! The simulator's own control endpoints under `/_sim/` (outside `/api2`, no auth, for
//! tests and demos driving a `pve-sim` process): `GET /_sim/stats`, `DELETE /_sim/stats`,
//! `GET|POST /_sim/faults` (JSON [`Faults`]), `GET /_sim/guests/{vmid}` (its
//! [`crate::sim::GuestState`]), `GET /_sim/guests/{vmid}/config` (its stored config), and
//! what an administrator does behind the API ([`super::admin`]): `POST
//! /_sim/guests/{vmid}/config` (`{key: value or null}`), `POST /_sim/backups` (`{node,
//! storage, type, vmid, config}`, answers `{volid}`), `POST /_sim/privileges` (the
//! token's role: a list of privileges, or null for the default; 400 `invalid privilege
//! 'NAME'` for one the release does not have), and `GET /_sim/schema` (what the schema
//! checks judged, [`crate::sim::Figures`]).

use std::collections::BTreeMap;

use bytes::Bytes;
use serde::{Deserialize, Serialize};

use super::faults::Faults;
use super::reply::Reply;
use super::shared::Shared;
use crate::sim::cluster::dataset::GuestKind;

fn json_reply(v: &impl Serialize) -> Reply {
    Reply::json(serde_json::to_vec(v).unwrap_or_default())
}

fn bad_request(msg: String) -> Reply {
    let mut r = Reply::plain_error(400, "Bad Request");
    r.body = Bytes::from(msg);
    r
}

/// `POST /_sim/backups`.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewBackup {
    node: String,
    storage: String,
    #[serde(rename = "type")]
    kind: GuestKind,
    vmid: u32,
    config: String,
}

/// `guests/{vmid}/config`: its vmid (`Some(None)`: not a valid one); `None` for other
/// paths.
fn config_path(path: &str) -> Option<Option<u32>> {
    let id = path.strip_prefix("guests/")?.strip_suffix("/config")?;
    Some(id.parse().ok())
}

/// Handles `/_sim/{rest}`.
pub fn handle(shared: &Shared, method: &str, rest: &str, body: &[u8]) -> Reply {
    match (method, rest) {
        ("GET", "stats") => json_reply(&shared.stats.snapshot()),
        ("GET", "schema") => json_reply(&shared.tally.figures()),
        ("DELETE", "stats") => {
            shared.stats.reset();
            json_reply(&shared.stats.snapshot())
        }
        ("GET", "faults") => {
            let faults = shared
                .faults
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            json_reply(&faults)
        }
        ("POST" | "PUT", "faults") => match serde_json::from_slice::<Faults>(body) {
            Ok(f) => match f.validate() {
                Ok(()) => {
                    *shared.faults.lock().unwrap_or_else(|e| e.into_inner()) = f.clone();
                    tracing::info!("faults set: {f:?}");
                    json_reply(&f)
                }
                Err(e) => bad_request(e),
            },
            Err(e) => bad_request(format!("invalid faults: {e}")),
        },
        ("POST" | "PUT", path) if config_path(path).is_some() => {
            let vmid = config_path(path).flatten();
            let changes = serde_json::from_slice::<BTreeMap<String, Option<String>>>(body);
            match (vmid, changes) {
                (Some(v), Ok(ch)) => {
                    let ch: Vec<(String, Option<String>)> = ch.into_iter().collect();
                    if super::admin::edit_config(&shared.cluster, v, &ch) {
                        json_reply(&crate::sim::guest_config(&shared.cluster, v))
                    } else {
                        Reply::plain_error(404, "no such guest")
                    }
                }
                (_, Err(e)) => bad_request(format!("invalid config changes: {e}")),
                (None, _) => Reply::plain_error(404, "no such guest"),
            }
        }
        ("POST" | "PUT", "backups") => match serde_json::from_slice::<NewBackup>(body) {
            Ok(b) => match super::admin::add_backup(
                &shared.cluster,
                &b.node,
                &b.storage,
                b.kind,
                b.vmid,
                &b.config,
            ) {
                Ok(volid) => json_reply(&serde_json::json!({ "volid": volid })),
                Err(e) => bad_request(e),
            },
            Err(e) => bad_request(format!("invalid backup: {e}")),
        },
        ("POST" | "PUT", "privileges") => {
            match serde_json::from_slice::<Option<Vec<String>>>(body) {
                Ok(p) => match super::admin::set_role(&shared.cluster, p.as_deref()) {
                    Ok(()) => json_reply(&p),
                    Err(e) => bad_request(e),
                },
                Err(e) => bad_request(format!("invalid privileges: {e}")),
            }
        }
        ("GET", path) if config_path(path).is_some() => {
            let vmid = config_path(path).flatten();
            match vmid.and_then(|v| crate::sim::guest_config(&shared.cluster, v)) {
                Some(config) => json_reply(&config),
                None => Reply::plain_error(404, "no such guest"),
            }
        }
        ("GET", path) if path.starts_with("guests/") => {
            let vmid = path["guests/".len()..].parse::<u32>().ok();
            match vmid.and_then(|v| crate::sim::guest_state(&shared.cluster, v)) {
                Some(state) => json_reply(&state),
                None => Reply::plain_error(404, "no such guest"),
            }
        }
        _ => Reply::plain_error(404, "Not Found"),
    }
}
