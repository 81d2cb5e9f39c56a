//! What the policy in force lets this client do, as the helper describes it: the
//! description itself, cached ([`permissions`]); the words the tools' rules and notes
//! share about it (`grants`, `bounds`); the server instructions
//! (`instructions`); and `my_permissions`, the full description as a tool and a
//! resource.
//!
//! Informational only: the helper judges every call whatever is shown here.

pub(crate) mod bounds;
pub(crate) mod grants;
pub(crate) mod instructions;
pub(crate) mod my_permissions;
pub mod permissions;
