//! The policy in force as the helper describes it (`Request::Describe`): the description
//! itself, fetched and cached ([`permissions`]), the words that the tools' listing
//! rules and notes, the instructions and `my_permissions` share about it (`grants`,
//! `bounds`), and the policy's names of the changes the front asks for (`action`).
//! Nothing here judges: the helper decides every call, whatever is shown.
//!
//! Input is the helper's description, trusted to be well-formed and nothing more.

pub(crate) mod action;
pub(crate) mod bounds;
pub(crate) mod grants;
pub mod permissions;
