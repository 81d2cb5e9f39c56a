//! What the raw API's parameters say, for the conversions of raw writes into the typed
//! requests that judge them ([`super::api`], [`super::firewall`]): a refusal naming the
//! endpoint, the parameters a conversion may let through, the guest the path names,
//! and a parsed value or the refusal of it.

use super::common::denied;
use crate::policy::api_call::Analysis;
use crate::policy::decision::{Decision, Rule};
use crate::policy::refs;
use pve_mcp_proto::{InvalidValue, VmId};

/// A refusal of the raw call `a`'s parameters, naming its endpoint.
pub(super) fn bad(a: &Analysis, why: String) -> Decision {
    denied(
        Rule::ApiParams,
        format!("{} {}: {why}", a.endpoint.method, a.endpoint.template),
    )
}

/// Parameters a conversion reads or lets through; any other is refused.
pub(super) fn only(a: &Analysis, allowed: &[&str], tool: &str) -> Result<(), Decision> {
    match a
        .params
        .keys()
        .find(|k| !allowed.contains(&k.as_str()) && !matches!(k.as_str(), "node" | "vmid"))
    {
        Some(k) => Err(bad(
            a,
            format!("parameter {k} is not judged through the raw API; use {tool}, or leave it out"),
        )),
        None => Ok(()),
    }
}

/// The guest the call's path names.
pub(super) fn path_vmid(a: &Analysis) -> Result<VmId, Decision> {
    a.param("vmid")
        .and_then(|v| refs::vmid(v).ok())
        .ok_or_else(|| bad(a, "the path names no guest".into()))
}

/// A value read from a parameter, or the refusal naming why it does not read.
pub(super) fn parsed<T>(a: &Analysis, r: Result<T, InvalidValue>) -> Result<T, Decision> {
    r.map_err(|e| bad(a, e.0))
}
