//! Objects and helpers shared by the simulator's tests.
#![allow(dead_code)]

use ds_coverage_simulator::client::{self, Response};
use serde_json::{Value, json};

/// The example cluster (`examples/cluster.yaml`, a `kind: List`).
pub fn example_cluster() -> Vec<Value> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/cluster.yaml");
    let text = std::fs::read_to_string(path).expect("examples/cluster.yaml is readable");
    let list: Value = serde_saphyr::from_str(&text).expect("examples/cluster.yaml is valid YAML");
    vec![list]
}

pub fn node(name: &str, labels: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": name, "labels": labels, "creationTimestamp": "2026-11-02T08:00:00Z"},
        "spec": {},
        "status": {
            "conditions": [{"type": "Ready", "status": "True"}],
            "nodeInfo": {"kubeletVersion": "v1.31.4"},
            "addresses": [{"type": "InternalIP", "address": "10.0.0.1"}]
        }
    })
}

pub fn pod(ns: &str, name: &str, node: &str, labels: Value, phase: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name, "namespace": ns, "labels": labels,
            "uid": format!("uid-{ns}-{name}"), "resourceVersion": "100",
            "creationTimestamp": "2026-11-02T08:00:00Z"
        },
        "spec": {"nodeName": node, "containers": [{"name": "c", "image": "busybox"}]},
        "status": {
            "phase": phase,
            "conditions": [{"type": "Ready", "status": if phase == "Running" { "True" } else { "False" }}],
            "containerStatuses": [{
                "name": "c", "ready": phase == "Running", "restartCount": 0,
                "state": if phase == "Running" { json!({"running": {}}) } else { json!({"waiting": {"reason": "ContainerCreating"}}) }
            }]
        }
    })
}

/// `n` pods spread over three namespaces and four nodes, with labels `app`, `tier` and `idx`.
pub fn many_pods(n: usize) -> Vec<Value> {
    let namespaces = ["alpha", "beta", "kube-system"];
    (0..n)
        .map(|i| {
            let ns = namespaces[i % 3];
            let app = ["web", "api", "db"][(i / 3) % 3];
            let tier = if i % 2 == 0 { "front" } else { "back" };
            let phase = if i % 5 == 0 { "Pending" } else { "Running" };
            pod(
                ns,
                &format!("pod-{i:03}"),
                &format!("node-{}", i % 4),
                json!({"app": app, "tier": tier, "idx": i.to_string()}),
                phase,
            )
        })
        .collect()
}

pub fn get(url: &str, target: &str) -> Response {
    client::get(url, target).expect("request succeeds")
}

pub fn get_with(url: &str, target: &str, headers: &[(&str, &str)]) -> Response {
    client::request(url, "GET", target, headers, None).expect("request succeeds")
}

pub fn json(resp: &Response) -> Value {
    resp.json()
        .unwrap_or_else(|e| panic!("body is JSON ({e}): {}", resp.text()))
}

pub fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["metadata"]["name"].as_str().unwrap_or("").to_string())
        .collect()
}
