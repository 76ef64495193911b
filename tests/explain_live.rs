//! `explain` against the simulated API server: the node's other pods are read for the fit check
//! (field selector on spec.nodeName), the daemon pods' Warning events are shown, NS/NAME picks
//! the namespace to fetch, and pods or events that cannot be read are said, not fatal.

mod support;

use std::process::{Command, Output};

use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn event(
    name: &str,
    pod: &str,
    type_: &str,
    reason: &str,
    message: &str,
    count: i64,
    last: &str,
) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": name,
            "namespace": "gpu-operator",
            "uid": format!("uid-{name}"),
            "resourceVersion": "220911",
            "creationTimestamp": "2026-11-20T08:40:11Z"
        },
        "involvedObject": {
            "apiVersion": "v1",
            "kind": "Pod",
            "name": pod,
            "namespace": "gpu-operator",
            "uid": "4c9f1f7e-1a63-4f0e-a1d5-8b5c1f2d9e01",
            "resourceVersion": "220880"
        },
        "type": type_,
        "reason": reason,
        "message": message,
        "count": count,
        "firstTimestamp": "2026-11-20T08:40:11Z",
        "lastTimestamp": last,
        "source": { "component": "default-scheduler" },
        "reportingComponent": "default-scheduler",
        "reportingInstance": ""
    })
}

fn objects() -> Vec<Value> {
    let mut objects = support::example_objects();
    objects.push(json!({ "apiVersion": "v1", "kind": "List", "items": [
        event(
            "nvidia-device-plugin-czsxw.1879a3c2f0b1d4e7",
            "nvidia-device-plugin-czsxw",
            "Warning",
            "FailedScheduling",
            "0/8 nodes are available: 1 Insufficient cpu, 7 node(s) didn't match Pod's node affinity/selector.",
            37,
            "2026-11-20T11:57:00Z",
        ),
        event(
            "nvidia-device-plugin-czsxw.1879a3c2f0b1d4e8",
            "nvidia-device-plugin-czsxw",
            "Normal",
            "NotTriggerScaleUp",
            "pod didn't trigger scale-up",
            3,
            "2026-11-20T11:50:00Z",
        ),
        event(
            "nvidia-device-plugin-8gp28.1879a3c2f0b1d4e9",
            "nvidia-device-plugin-8gp28",
            "Warning",
            "BackOff",
            "Back-off restarting failed container",
            2,
            "2026-11-19T10:00:00Z",
        ),
    ] }));
    objects
}

struct Live {
    sim: Simulator,
    kubeconfig: String,
}

fn start(tag: &str) -> Live {
    start_with(tag, objects())
}

fn start_with(tag: &str, objects: Vec<Value>) -> Live {
    let sim = Simulator::start(objects, SimOptions::default());
    let dir =
        std::env::temp_dir().join(format!("ds-coverage-explain-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    Live {
        sim,
        kubeconfig: kc.to_str().unwrap().to_string(),
    }
}

fn explain(live: &Live, args: &[&str]) -> Output {
    let mut all = vec!["explain"];
    all.extend(args);
    all.extend(["--kubeconfig", &live.kubeconfig, "--as-of", AS_OF]);
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(&all)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap()
}

fn ok_json(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

#[test]
fn live_explain_reads_the_node_pods_and_warning_events() {
    let live = start("events");
    // The context's namespace is `default`: NS/NAME decides where the DaemonSet is fetched.
    let j = ok_json(&explain(
        &live,
        &["gpu-operator/nvidia-device-plugin", "gpu-2", "-o", "json"],
    ));
    assert_eq!(j["state"], "Pending");
    // The same numbers as offline: node-exporter and batch-embedder were read by field selector.
    let cpu = &j["fit"]["resources"][0];
    assert_eq!(
        (&cpu["requested"], &cpu["free"]),
        (&json!(3900), &json!(20))
    );
    assert_eq!(j["fit"]["podsCounted"], 3);
    assert!(j["fit"]["note"].is_null(), "{}", j["fit"]["note"]);
    let events = j["events"].as_array().expect("events read");
    assert_eq!(
        events.len(),
        1,
        "Warning only, this node's pod only: {events:#?}"
    );
    assert_eq!(events[0]["pod"], "nvidia-device-plugin-czsxw");
    assert_eq!(events[0]["reason"], "FailedScheduling");
    assert_eq!(events[0]["count"], 37);
    assert_eq!(events[0]["lastTimestamp"], "2026-11-20T11:57:00Z");

    let reqs = live.sim.requests();
    let node_pods: Vec<_> = reqs.iter().filter(|r| r.path == "/api/v1/pods").collect();
    assert_eq!(node_pods.len(), 1);
    assert_eq!(
        node_pods[0].param("fieldSelector").as_deref(),
        Some("spec.nodeName=gpu-2")
    );
    let ev: Vec<_> = reqs
        .iter()
        .filter(|r| r.path == "/api/v1/namespaces/gpu-operator/events")
        .collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(
        ev[0].param("fieldSelector").as_deref(),
        Some("involvedObject.name=nvidia-device-plugin-czsxw,type=Warning")
    );
    assert!(
        reqs.iter()
            .any(|r| r.path == "/apis/apps/v1/namespaces/gpu-operator/daemonsets"),
        "DaemonSets fetched in the namespace of NS/NAME"
    );
    assert!(reqs.iter().all(|r| r.method == "GET"));

    // The text shows the events under the pods.
    let o = explain(&live, &["gpu-operator/nvidia-device-plugin", "gpu-2"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(
        text.contains("  Warning events:\n    nvidia-device-plugin-czsxw  FailedScheduling (x37,"),
        "{text}"
    );
    // Wrapped to the width (80 columns here), every word kept.
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        flat.contains("FailedScheduling (x37, 3m ago): 0/8 nodes are available"),
        "{text}"
    );
}

/// The node's other pods, read as Kubernetes protobuf (as client-go asks for pods), count their
/// sidecar, their overhead and their pod-level requests as the same pods read from the file do
/// (`tests/explain.rs`).
#[test]
fn live_fit_counts_sidecars_and_overhead_of_pods_read_as_protobuf() {
    let text = std::fs::read_to_string("tests/fixtures/explain/sidecars.json").unwrap();
    let live = start_with("sidecars", vec![serde_json::from_str(&text).unwrap()]);
    // node-batch: its pod's pod-level request (spec.resources, PodSpec field 40) of 600m
    // stands for its container's 100m.
    for (node, requested, free) in [
        ("node-mesh", 500, 500),
        ("node-kata", 500, 500),
        ("node-batch", 600, 400),
    ] {
        let j = ok_json(&explain(&live, &["agents/collector", node, "-o", "json"]));
        let cpu = &j["fit"]["resources"][0];
        assert_eq!(
            (
                &cpu["requested"],
                &cpu["free"],
                &cpu["needed"],
                &j["fit"]["fits"]
            ),
            (&json!(requested), &json!(free), &json!(550), &json!(false)),
            "{node}: {:#}",
            j["fit"]
        );
        assert_eq!(j["fit"]["podsCounted"], 1, "{node}");
        if node == "node-batch" {
            assert_eq!(j["fit"]["resources"][1]["requested"], json!(128 << 20));
        }
    }
    let reqs = live.sim.requests();
    let node_pods: Vec<_> = reqs.iter().filter(|r| r.path == "/api/v1/pods").collect();
    assert_eq!(node_pods.len(), 3);
    for r in node_pods {
        assert_eq!(
            r.accept.as_deref(),
            Some("application/vnd.kubernetes.protobuf, application/json")
        );
        assert_eq!(r.status, 200);
    }
}

#[test]
fn eligible_ready_or_ineligible_pairs_do_not_list_the_node_pods() {
    let live = start("noextra");
    let j = ok_json(&explain(
        &live,
        &[
            "nvidia-device-plugin",
            "gpu-1",
            "-n",
            "gpu-operator",
            "-o",
            "json",
        ],
    ));
    assert_eq!(j["state"], "Ready");
    assert!(j["fit"].is_null());
    let events = j["events"].as_array().expect("its events were read");
    assert_eq!(events.len(), 1);
    assert_eq!(
        (&events[0]["pod"], &events[0]["reason"]),
        (&json!("nvidia-device-plugin-8gp28"), &json!("BackOff"))
    );
    assert!(!live.sim.requests().iter().any(|r| r.path == "/api/v1/pods"));
}

#[test]
fn forbidden_events_and_node_pods_are_reported_not_fatal() {
    let live = start("forbidden");
    live.sim.set_faults(vec![
        Fault::new(
            Matcher::resource("events", Verb::List),
            FaultKind::Status(403),
        ),
        Fault::new(Matcher::path("/api/v1/pods"), FaultKind::Status(403)),
    ]);
    let o = explain(
        &live,
        &["gpu-operator/nvidia-device-plugin", "gpu-2", "-o", "json"],
    );
    let j = ok_json(&o);
    assert!(j["events"].is_null());
    let warnings = j["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| {
            let w = w.as_str().unwrap();
            w.starts_with(
                "Warning events of the daemon pods not shown: cannot list events in namespace gpu-operator: forbidden",
            )
        }),
        "{warnings:#?}"
    );
    let fit = &j["fit"];
    assert!(
        fit["fits"].is_null(),
        "cannot tell without the other pods: {fit:#}"
    );
    assert!(fit["resources"][0]["requested"].is_null());
    assert_eq!(fit["resources"][0]["allocatable"], 3920);
    assert!(
        fit["note"]
            .as_str()
            .unwrap()
            .contains("the other pods on the node could not be read (cannot list pods: forbidden")
    );
    let o = explain(&live, &["gpu-operator/nvidia-device-plugin", "gpu-2"]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("Fit: cannot tell"), "{text}");
    assert!(
        text.contains("  - Warning events of the daemon pods not shown:"),
        "{text}"
    );
}
