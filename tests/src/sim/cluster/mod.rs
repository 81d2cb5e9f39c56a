//! The simulated cluster's state: the deterministic dataset it starts from, the mutable
//! cluster (nodes, guests, tasks) behind its versioned lock, and what surrounds the
//! guests: pools, HA resources and rules, scheduled jobs, the nodes' networks.

pub mod dataset;
pub(crate) mod ha;
pub(crate) mod jobs;
pub(crate) mod network;
pub(crate) mod pools;
pub(crate) mod shared;
pub(crate) mod state;
