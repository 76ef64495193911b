#![allow(dead_code)]
//! Test support shared by the integration tests (each test file uses only part of it).

/// The generator lives in the simulator crate (its binary generates clusters for the benchmark).
#[allow(unused_imports)]
pub use ds_coverage_simulator::generator;

/// The example cluster (`examples/cluster.yaml`) as objects for the simulator.
pub fn example_objects() -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string("examples/cluster.yaml").expect("examples/cluster.yaml");
    vec![serde_saphyr::from_str(&text).expect("examples/cluster.yaml is YAML")]
}

/// An HTTP CONNECT proxy and a SOCKS5 proxy (the connection tests).
pub mod proxy;
