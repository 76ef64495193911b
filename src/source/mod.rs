//! Where a `Snapshot` comes from: files (`--from-file`) or a live cluster.

pub mod cluster;
pub mod file;
