//! Worker tasks: UPIDs and the bounded task store, task listings, tasks run by others
//! than the token (history), and what the cluster's logs say about tasks.

pub(crate) mod history;
pub(crate) mod list;
pub(crate) mod logs;
pub(crate) mod store;
