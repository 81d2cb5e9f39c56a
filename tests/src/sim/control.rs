//! The simulator's own control endpoints under `/_sim/` (outside `/api2`, no auth, for
//! tests and demos driving a `pve-sim` process): `GET /_sim/stats`, `DELETE /_sim/stats`,
//! `GET|POST /_sim/faults` (JSON [`Faults`]), `GET /_sim/guests/{vmid}` (its
//! [`super::GuestState`]), `GET /_sim/guests/{vmid}/config` (its stored config).

use bytes::Bytes;
use serde::Serialize;

use super::faults::Faults;
use super::reply::Reply;
use super::server::Shared;

fn json_reply(v: &impl Serialize) -> Reply {
    Reply::json(serde_json::to_vec(v).unwrap_or_default())
}

fn bad_request(msg: String) -> Reply {
    let mut r = Reply::plain_error(400, "Bad Request");
    r.body = Bytes::from(msg);
    r
}

/// Handles `/_sim/{rest}`.
pub fn handle(shared: &Shared, method: &str, rest: &str, body: &[u8]) -> Reply {
    match (method, rest) {
        ("GET", "stats") => json_reply(&shared.stats.snapshot()),
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
        ("GET", path) if path.starts_with("guests/") && path.ends_with("/config") => {
            let vmid = path
                .strip_prefix("guests/")
                .and_then(|p| p.strip_suffix("/config"))
                .and_then(|v| v.parse::<u32>().ok());
            match vmid.and_then(|v| super::guest_config(&shared.cluster, v)) {
                Some(config) => json_reply(&config),
                None => Reply::plain_error(404, "no such guest"),
            }
        }
        ("GET", path) if path.starts_with("guests/") => {
            let vmid = path["guests/".len()..].parse::<u32>().ok();
            match vmid.and_then(|v| super::guest_state(&shared.cluster, v)) {
                Some(state) => json_reply(&state),
                None => Reply::plain_error(404, "no such guest"),
            }
        }
        _ => Reply::plain_error(404, "Not Found"),
    }
}
