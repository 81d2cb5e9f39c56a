//! Raw API passthrough: the call was judged whole (the schema, every guest it names,
//! its endpoint's class, the `[api]` pattern); its answer is filtered by that class
//! before it leaves the helper, so that guests outside the scope never show up.

use super::answers::Viewer;
use super::outcome::{OpResult, upstream_error};
use super::state::Service;
use crate::policy::{Class, Policy, analyze};
use pve_mcp_proto::{ApiCall, ApiResult, ErrorBody, ErrorKind, Payload};

pub async fn call(svc: &Service, policy: &Policy, call: &ApiCall) -> OpResult {
    // `decide` allowed the call, so it reads; judged again here all the same.
    let class = analyze(call)
        .map_err(|e| ErrorBody::new(ErrorKind::Denied, e.reason))?
        .class;
    let mut data = svc
        .pve
        .call(call.method, call.path.as_str(), &call.params)
        .await
        .map_err(upstream_error)?;
    if let Class::Filtered(filter) = class {
        let snap = svc.cache.get(&svc.pve).await.map_err(upstream_error)?;
        let viewer = Viewer {
            policy,
            snap: &snap,
        };
        if viewer.filter(filter, &mut data).is_err() {
            return Err(ErrorBody::new(
                ErrorKind::NotFound,
                format!("{} {}: not found", call.method, call.path),
            ));
        }
    }
    Ok(Payload::Api(ApiResult { data }))
}
