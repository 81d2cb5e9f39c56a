//! What this client is shown of the policy in force, drawn from the tools' table and the
//! helper's description: the server instructions (`instructions`), and
//! `my_permissions`, the full description as a tool and a resource.
//!
//! Informational only: the helper judges every call whatever is shown here.

pub(crate) mod instructions;
pub(crate) mod my_permissions;
