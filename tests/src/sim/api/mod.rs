//! The `/api2/json` endpoints: the dispatcher that takes every request through
//! pveproxy's steps, and the route tables of the guest lifecycle and of the auditor's
//! reads, with the parameter schemas the lifecycle routes declare. Paths and
//! parameters are untrusted.

pub(crate) mod audit_routes;
pub(crate) mod dispatch;
pub(crate) mod health_routes;
pub(crate) mod lifecycle_endpoints;
pub(crate) mod lifecycle_routes;
pub(crate) mod lifecycle_run;
pub(crate) mod lifecycle_schema;
