//! Changes the policy may want confirmed.

pub(crate) mod action;
pub(crate) mod confirm;
pub(crate) mod engine;
pub(crate) mod lifecycle;
pub(crate) mod long_call;
pub(crate) mod operation;
pub(crate) mod outcome;
pub(crate) mod progress;
