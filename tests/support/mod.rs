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
/// A DaemonSet mid-rollout in the simulator, and the steps that finish it (`--wait`, `--watch`).
pub mod rollout;
/// A generated cluster (deterministic: `sized(seed, nodes, daemon_sets, drift)`) as a
/// `kubectl get -o json` file, written once per test process and shape; its path.
pub fn generated_file(seed: u64, nodes: usize, daemon_sets: usize, drift: f64) -> String {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static FILES: OnceLock<Mutex<HashMap<String, String>>> = OnceLock::new();
    let name = format!("cluster-{seed}-{nodes}x{daemon_sets}-{drift}.json");
    let mut files = FILES
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    files
        .entry(name.clone())
        .or_insert_with(|| {
            let spec = generator::ClusterSpec::sized(seed, nodes, daemon_sets, drift);
            let dir =
                std::env::temp_dir().join(format!("ds-coverage-tests-{}", std::process::id()));
            std::fs::create_dir_all(&dir).unwrap();
            let path = dir.join(name);
            std::fs::write(&path, generator::generate(&spec).to_json()).unwrap();
            path.to_str().unwrap().to_string()
        })
        .clone()
}
