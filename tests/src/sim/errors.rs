//! The errors the simulated API answers with, one variant per shape real PVE 8 produces
//! (see `PVE::Exception`, `PVE::HTTPServer::rest_handler`, `PVE::APIServer::AnyEvent`).

use std::collections::BTreeMap;

/// An API failure, rendered by [`crate::sim::server::reply`] the way pveproxy renders it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 401 with the message as reason phrase and an empty body ("No ticket",
    /// "Authentication failed!").
    Unauthorized(&'static str),
    /// 400 "Parameter verification failed." with `errors: {param: message}`.
    Param(BTreeMap<String, String>),
    /// 403 "Permission check failed (what)", or without parentheses when `what` is empty.
    Permission(String),
    /// 500 with a handler's `die` message (without its trailing newline).
    Internal(String),
    /// 501 "Method 'GET /x' not implemented" (no trailing newline in PVE either).
    NotImplemented(String),
    /// Any other status with a message (used by injected faults).
    Other(u16, String),
}

impl ApiError {
    /// A 400 for a single parameter.
    pub fn param(name: &str, message: impl Into<String>) -> ApiError {
        ApiError::Param(BTreeMap::from([(name.to_owned(), message.into())]))
    }

    /// A 403 as `raise_perm_exc("{path}, {privilege}")` produces it.
    pub fn permission(path: &str, privilege: &str) -> ApiError {
        ApiError::Permission(format!("{path}, {privilege}"))
    }

    /// The 501 PVE answers for a method and path it has no handler for.
    pub fn no_handler(method: &str, rel_path: &str) -> ApiError {
        ApiError::NotImplemented(format!("Method '{method} {rel_path}' not implemented"))
    }

    /// 500 for a guest config that does not exist on the node PVE looked on.
    pub fn no_config(node: &str, config_dir: &str, vmid: u32) -> ApiError {
        ApiError::Internal(format!(
            "Configuration file 'nodes/{node}/{config_dir}/{vmid}.conf' does not exist"
        ))
    }

    /// 500 for a node name that is not a cluster member (pveproxy fails to resolve it).
    pub fn unknown_node(node: &str) -> ApiError {
        ApiError::Internal(format!(
            "hostname lookup '{node}' failed - failed to get address info for: {node}: \
             Name or service not known"
        ))
    }

    /// The HTTP status code.
    pub fn status(&self) -> u16 {
        match self {
            ApiError::Unauthorized(_) => 401,
            ApiError::Param(_) => 400,
            ApiError::Permission(_) => 403,
            ApiError::Internal(_) => 500,
            ApiError::NotImplemented(_) => 501,
            ApiError::Other(code, _) => *code,
        }
    }

    /// The message as PVE puts it in the body's `message` (`die` messages keep their
    /// newline there; the reason phrase only gets the first line).
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthorized(m) => (*m).to_owned(),
            ApiError::Param(_) => "Parameter verification failed.\n".to_owned(),
            ApiError::Permission(what) if what.is_empty() => "Permission check failed\n".to_owned(),
            ApiError::Permission(what) => format!("Permission check failed ({what})\n"),
            ApiError::Internal(m) => format!("{m}\n"),
            ApiError::NotImplemented(m) => m.clone(),
            ApiError::Other(_, m) => m.clone(),
        }
    }
}

/// PVE's messages for schema violations, as `PVE::JSONSchema` words them.
pub mod schema {
    pub const NOT_IN_SCHEMA: &str =
        "property is not defined in schema and the schema does not allow additional properties";
    pub const BAD_VMID: &str = "invalid format - value does not look like a valid VM ID\n";
    pub const ROOT_ONLY: &str = "Only root may use this option.";
    pub const MISSING: &str = "property is missing and it is not optional";

    pub fn type_check(ty: &str, got: &str) -> String {
        format!("type check ('{ty}') failed - got '{got}'")
    }

    pub fn minimum(min: i64) -> String {
        format!("value must have a minimum value of {min}")
    }

    pub fn maximum(max: i64) -> String {
        format!("value must have a maximum value of {max}")
    }

    /// A list given for a parameter that is not an array.
    pub fn got_array(ty: &str) -> String {
        format!("type check ('{ty}') failed - got ARRAY")
    }

    /// A parameter given without the one it `requires`.
    pub fn requires(by: &str) -> String {
        format!("missing property - '{by}' requires this property")
    }

    /// A format check's complaint, as `check_prop` wraps it.
    pub fn invalid_format(why: &str) -> String {
        format!("invalid format - {}\n", why.trim_end_matches('\n'))
    }

    pub const PATTERN: &str = "value does not match the regex pattern";

    pub fn max_length(max: usize) -> String {
        format!("value may only be {max} characters long")
    }

    pub fn min_length(min: usize) -> String {
        format!("value must be at least {min} characters long")
    }

    pub fn not_in_enum(value: &str, allowed: &[&str]) -> String {
        format!(
            "value '{value}' does not have a value in the enumeration '{}'",
            allowed.join(", ")
        )
    }
}
