//! The installed `kubectl` against the simulator: proof that it speaks the real protocol.
//! These tests fail, never skip, when `kubectl` is not on PATH (.ci/run installs it).

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;
use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::Value;

fn kubectl_on_path() -> bool {
    Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// A scratch directory in the temp dir, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("ds-coverage-sim-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn kubectl(kubeconfig: &Path, cache: &Path, args: &[&str]) -> String {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .arg("--cache-dir")
        .arg(cache)
        .arg("--request-timeout=20s")
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "kubectl {args:?} failed: {}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

#[test]
fn kubectl_works_against_the_simulator() {
    assert!(
        kubectl_on_path(),
        "kubectl is required by this test (.ci/run installs it): not on PATH"
    );
    let sim = Simulator::start(example_cluster(), SimOptions::default());
    let scratch = Scratch::new("kubectl");
    let kubeconfig = scratch.0.join("kubeconfig");
    let cache = scratch.0.join("cache");
    // No token: kubectl never sends a bearer token over plain http.
    sim.write_kubeconfig(&kubeconfig, None, None).unwrap();
    let served_pods = sim.objects("pods");
    let served_names: Vec<String> = served_pods
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap().to_string())
        .collect();

    let nodes = kubectl(&kubeconfig, &cache, &["get", "nodes"]);
    let header: Vec<&str> = nodes.lines().next().unwrap().split_whitespace().collect();
    assert_eq!(header, ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]);
    for n in ["cp-1", "worker-1", "worker-5", "gpu-2"] {
        assert!(nodes.lines().any(|l| l.starts_with(n)), "{n} in\n{nodes}");
    }
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with("worker-4") && l.contains("SchedulingDisabled"))
    );
    assert!(
        nodes
            .lines()
            .any(|l| l.starts_with("cp-1") && l.contains("control-plane"))
    );

    let ds = kubectl(&kubeconfig, &cache, &["get", "ds", "-A"]);
    assert!(ds.lines().next().unwrap().starts_with("NAMESPACE"));
    assert_eq!(ds.lines().count(), 1 + 6, "{ds}");
    assert!(
        ds.lines()
            .any(|l| l.starts_with("kube-system") && l.contains("kube-proxy"))
    );

    let json_out = kubectl(&kubeconfig, &cache, &["get", "pods", "-A", "-o", "json"]);
    let list: Value = serde_json::from_str(&json_out).expect("kubectl printed JSON");
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), served_pods.len());
    assert!(items.iter().all(|i| i["kind"] == "Pod"));

    sim.reset_requests();
    let names_out = kubectl(
        &kubeconfig,
        &cache,
        &["get", "pods", "-A", "--chunk-size=7", "-o", "name"],
    );
    let listed: Vec<&str> = names_out.lines().collect();
    assert_eq!(listed.len(), served_names.len());
    for n in &served_names {
        assert!(listed.contains(&format!("pod/{n}").as_str()), "{n} listed");
    }
    let pod_lists: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.path == "/api/v1/pods")
        .collect();
    assert_eq!(pod_lists.len(), served_names.len().div_ceil(7));
    assert!(
        pod_lists
            .iter()
            .all(|r| r.param("limit").as_deref() == Some("7") && r.status == 200)
    );
    assert!(
        pod_lists
            .iter()
            .skip(1)
            .all(|r| r.param("continue").is_some())
    );
    assert!(pod_lists.iter().all(|r| !r.authorization));

    // Server-side printing with chunks, a single get, selectors, and a NotFound.
    let table = kubectl(
        &kubeconfig,
        &cache,
        &["get", "pods", "-n", "monitoring", "--chunk-size=3"],
    );
    assert!(table.lines().next().unwrap().starts_with("NAME"));
    assert!(table.contains("node-exporter-229xc"));
    let one = kubectl(
        &kubeconfig,
        &cache,
        &["get", "node", "gpu-1", "-o", "jsonpath={.metadata.name}"],
    );
    assert_eq!(one, "gpu-1");
    let selected = kubectl(
        &kubeconfig,
        &cache,
        &[
            "get",
            "pods",
            "-n",
            "kube-system",
            "-l",
            "k8s-app=kube-proxy",
            "--field-selector",
            "spec.nodeName=worker-1",
            "-o",
            "name",
        ],
    );
    assert_eq!(selected.lines().count(), 1, "{selected}");
    let missing = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["get", "pod", "nope", "-n", "default"])
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("pods \"nope\" not found"));
}

/// A 403 on the pods of one namespace (RBAC by namespace, as ds-coverage's partial-access tests
/// inject it) is what kube-apiserver answers: the real kubectl prints its own Forbidden line,
/// naming the user, the resource and the namespace, while other namespaces stay readable.
/// Needs kubectl (fails without it: .ci/run installs it).
#[test]
fn kubectl_is_forbidden_the_pods_of_a_namespace_the_simulator_forbids() {
    use ds_coverage_simulator::{Fault, FaultKind, Matcher, Verb};
    assert!(
        kubectl_on_path(),
        "kubectl is required by this test (.ci/run installs it): not on PATH"
    );
    let sim = Simulator::start(example_cluster(), SimOptions::default());
    sim.set_faults(vec![Fault::new(
        Matcher::resource("pods", Verb::List).in_namespace("monitoring"),
        FaultKind::Status(403),
    )]);
    let scratch = Scratch::new("kubectl-forbidden");
    let kubeconfig = scratch.0.join("kubeconfig");
    let cache = scratch.0.join("cache");
    sim.write_kubeconfig(&kubeconfig, None, None).unwrap();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(&cache)
        .args(["--request-timeout=20s", "get", "pods", "-n", "monitoring"])
        .env_remove("KUBECONFIG")
        .output()
        .expect("kubectl runs");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "Error from server (Forbidden): pods is forbidden: User \"system:serviceaccount:ci:auditor\" \
             cannot list resource \"pods\" in API group \"\" in the namespace \"monitoring\""
        ),
        "{err}"
    );
    // Another namespace is readable.
    let logging = kubectl(
        &kubeconfig,
        &cache,
        &["get", "pods", "-n", "logging", "-o", "name"],
    );
    assert!(logging.lines().any(|l| l.starts_with("pod/")), "{logging}");
}
