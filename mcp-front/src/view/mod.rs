//! What the policy in force lets this client do.

pub(crate) mod my_permissions;
pub mod permissions;
