//! JSON views of the cluster as PVE 8 and 9 render them: cluster-wide and node data,
//! guests, and a guest's RRD figures.

pub(crate) mod cluster;
pub(crate) mod guests;
pub(crate) mod rrd;
