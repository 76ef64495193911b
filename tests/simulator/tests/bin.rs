//! The `ds-coverage-simulator` binary: serves a cluster file and prints its URL and kubeconfig.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use common::*;
use ds_coverage_simulator::client;
use serde_json::json;

/// Kills the child on drop so a failing assertion leaves no server behind.
struct Child(std::process::Child);

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn binary_serves_a_json_cluster_file() {
    let dir = std::env::temp_dir().join(format!("ds-coverage-sim-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("cluster.json");
    let kubeconfig = dir.join("kubeconfig");
    // A PodList whose items have no kind, as the API server returns them, inside a List.
    let pods: Vec<_> = many_pods(12)
        .into_iter()
        .map(|mut p| {
            let m = p.as_object_mut().unwrap();
            m.remove("kind");
            m.remove("apiVersion");
            p
        })
        .collect();
    let doc = json!({
        "apiVersion": "v1", "kind": "List", "metadata": {},
        "items": [node("node-0", json!({})), {"apiVersion": "v1", "kind": "PodList", "metadata": {}, "items": pods}]
    });
    std::fs::write(&file, doc.to_string()).unwrap();

    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_ds-coverage-simulator"))
            .args(["--listen", "127.0.0.1:0", "--from-file"])
            .arg(&file)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the simulator binary starts"),
    );
    let mut lines = BufReader::new(child.0.stdout.take().unwrap()).lines();
    let url_line = lines.next().unwrap().unwrap();
    let url = url_line
        .strip_prefix("url: ")
        .expect("url line")
        .to_string();
    let kc_line = lines.next().unwrap().unwrap();
    assert_eq!(kc_line, format!("kubeconfig: {}", kubeconfig.display()));
    let kc = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(kc.contains(&url));

    assert_eq!(names(&json(&get(&url, "/api/v1/nodes"))), ["node-0"]);
    let (items, _) = client::list_all(&url, "/api/v1/pods", "", 5, &[]).unwrap();
    assert_eq!(items.len(), 12);
    let stats = json(&get(&url, "/_sim/stats"));
    assert_eq!(stats["requests"], 4);
    assert!(stats["bytesSent"].as_u64().unwrap() > 0);

    drop(child);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn binary_rejects_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_ds-coverage-simulator"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    let out = Command::new(env!("CARGO_BIN_EXE_ds-coverage-simulator"))
        .args(["--from-file", "/nonexistent/cluster.json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
}
