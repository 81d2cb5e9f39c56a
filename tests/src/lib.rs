//! Simulated cluster
