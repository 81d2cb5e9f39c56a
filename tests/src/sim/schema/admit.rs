//! The checks pveproxy's `rest_handler` makes before a handler runs, in its order:
//! find the endpoint (501), merge path and request parameters (400 on a conflict),
//! refuse API tokens where `allowtoken` is off (403), check the endpoint's
//! `permissions` (403, only when the token's role is set), resolve the node to proxy to
//! (500), then normalize and validate the parameters (400). Each verdict is tallied.
//! The request is hostile.

use std::collections::{BTreeMap, BTreeSet};

use super::check::Ctx;
use super::object::validate;
use super::perl_values::Raw;
use super::permissions::{Token, check_api2};
use super::tally::{Rejection, Tally};
use super::version::PveVersion;
use super::{Api, NotFound};
use crate::sim::errors::ApiError;
use crate::sim::params::Params;

/// A request as the dispatcher received it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub method: &'a str,
    /// The decoded path after `/api2/json`.
    pub rel: &'a str,
    pub segments: &'a [&'a str],
    pub params: &'a Params,
    /// The token, `USER@REALM!TOKENID`.
    pub userid: &'a str,
}

/// What the checks decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// The request may run; the node it is proxied to, if any (by its name in the path).
    Admitted {
        proxy_node: Option<String>,
    },
    Refused(ApiError),
}

/// The state the checks read.
pub struct Judge<'a> {
    pub version: PveVersion,
    /// The token's role; `None`: the default role, whose privileges are not checked.
    pub role: Option<&'a BTreeSet<String>>,
    /// Whether the simulator has a handler for the request.
    pub served: bool,
    /// A node's name as the cluster knows it (`localhost` is the first), if it is one.
    pub node: &'a dyn Fn(&str) -> Option<String>,
    pub tally: &'a Tally,
}

impl std::fmt::Debug for Judge<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Judge")
            .field("version", &self.version)
            .field("served", &self.served)
            .finish_non_exhaustive()
    }
}

fn rejection(req: &Request<'_>, status: u16, errors: BTreeMap<String, String>) -> Rejection {
    Rejection {
        status,
        method: req.method.to_owned(),
        path: req.rel.to_owned(),
        errors,
    }
}

fn message(e: &ApiError) -> BTreeMap<String, String> {
    BTreeMap::from([(String::new(), e.message().trim_end().to_owned())])
}

/// Runs the checks of `rest_handler` on `req`.
pub fn admit(j: &Judge<'_>, req: &Request<'_>) -> Verdict {
    j.tally.judged();
    let api = Api::get(j.version);
    let found = match api.resolve(req.method, req.segments) {
        Ok(f) => f,
        Err(NotFound::NoPath | NotFound::NoMethod) => {
            let e = ApiError::no_handler(req.method, req.rel);
            j.tally.rejected(rejection(req, 501, message(&e)));
            return Verdict::Refused(e);
        }
    };
    if !j.served {
        j.tally.unsimulated();
        return Verdict::Refused(ApiError::no_handler(req.method, req.rel));
    }
    let mut params: BTreeMap<String, Raw> = found
        .path_params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), Raw::Str(v.clone())))
        .collect();
    for (k, v) in req.params.raw() {
        if let Some(Raw::Str(in_path)) = params.get(k)
            && v.as_str() != Some(in_path)
        {
            let why = "duplicate parameter (already defined in URI) with conflicting values!";
            let errors = BTreeMap::from([(k.clone(), why.to_owned())]);
            j.tally.rejected(rejection(req, 400, errors.clone()));
            return Verdict::Refused(ApiError::Param(errors));
        }
        params.insert(k.clone(), v.clone());
    }
    let endpoint = found.endpoint;
    if !endpoint.allowtoken {
        let e = ApiError::Permission(format!(
            "URI '{}' not available with API token, need proper ticket.\n",
            req.rel
        ));
        j.tally.denied(rejection(req, 403, message(&e)));
        return Verdict::Refused(e);
    }
    if let Some(role) = j.role {
        let token = Token {
            userid: req.userid,
            privileges: role,
        };
        if let Err(what) = check_api2(endpoint.permissions.as_ref(), token, &params) {
            let e = ApiError::Permission(what.unwrap_or_default());
            j.tally.denied(rejection(req, 403, message(&e)));
            return Verdict::Refused(e);
        }
    }
    let mut proxy_node = None;
    if let Some(p) = &endpoint.proxyto {
        let name = params.get(p).map(Raw::perl_string).unwrap_or_default();
        if name.is_empty() {
            return Verdict::Refused(ApiError::param(p, "proxyto parameter does not exist"));
        }
        match (j.node)(&name) {
            Some(_) => proxy_node = Some(name),
            None => return Verdict::Refused(ApiError::unknown_node(&name)),
        }
    }
    let mut cx = Ctx::new(j.version);
    let errors = validate(&mut cx, &endpoint.parameters, &params);
    if !cx.unknown_formats.is_empty() {
        j.tally.unknown_formats(&cx.unknown_formats);
    }
    if !errors.is_empty() {
        j.tally.rejected(rejection(req, 400, errors.clone()));
        return Verdict::Refused(ApiError::Param(errors));
    }
    Verdict::Admitted { proxy_node }
}
