//! Writes: DELETE with preconditions and dryRun, the eviction subresource, controller mode.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::*;
use ds_coverage_simulator::client::{self, Response};
use ds_coverage_simulator::{ControllerMode, PdbRule, SimOptions, Simulator};
use serde_json::{Value, json};

fn delete(url: &str, target: &str, body: &Value) -> Response {
    let body = body.to_string();
    client::request(
        url,
        "DELETE",
        target,
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )
    .expect("request succeeds")
}

fn evict(url: &str, ns: &str, name: &str, delete_options: Value) -> Response {
    let body = json!({
        "apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": name, "namespace": ns},
        "deleteOptions": delete_options
    })
    .to_string();
    client::request(
        url,
        "POST",
        &format!("/api/v1/namespaces/{ns}/pods/{name}/eviction"),
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    )
    .expect("request succeeds")
}

const POD: &str = "/api/v1/namespaces/beta/pods/pod-001";

#[test]
fn delete_checks_preconditions() {
    let sim = Simulator::start(many_pods(6), SimOptions::default());
    let url = sim.url();

    let uid_conflict = delete(&url, POD, &json!({"preconditions": {"uid": "wrong"}}));
    assert_eq!(uid_conflict.status, 409);
    assert_eq!(
        json(&uid_conflict),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Precondition failed: UID in precondition: wrong, UID in object meta: uid-beta-pod-001","reason":"Conflict","details":{"name":"pod-001","kind":"pods"},"code":409})
    );
    let rv_conflict = delete(
        &url,
        POD,
        &json!({"preconditions": {"uid": "uid-beta-pod-001", "resourceVersion": "99"}}),
    );
    assert_eq!(rv_conflict.status, 409);
    assert_eq!(
        json(&rv_conflict)["message"],
        "Precondition failed: ResourceVersion in precondition: 99, ResourceVersion in object meta: 100"
    );
    assert_eq!(get(&url, POD).status, 200, "nothing was deleted");

    let before = sim.resource_version();
    let deleted = delete(
        &url,
        POD,
        &json!({"preconditions": {"uid": "uid-beta-pod-001", "resourceVersion": "100"}}),
    );
    assert_eq!(deleted.status, 200);
    let body = json(&deleted);
    assert_eq!(
        (body["kind"].as_str(), body["metadata"]["name"].as_str()),
        (Some("Pod"), Some("pod-001"))
    );
    assert!(body["metadata"]["deletionTimestamp"].is_string());
    assert_eq!(get(&url, POD).status, 404);
    assert_eq!(names(&json(&get(&url, "/api/v1/pods"))).len(), 5);
    assert!(
        sim.resource_version() > before,
        "a write bumps the resourceVersion"
    );
    assert_eq!(delete(&url, POD, &json!({})).status, 404);
}

#[test]
fn delete_dry_run_changes_nothing() {
    let sim = Simulator::start(many_pods(6), SimOptions::default());
    let url = sim.url();
    let rv = sim.resource_version();

    let by_query = delete(
        &url,
        &format!("{POD}?dryRun=All"),
        &json!({"preconditions": {"uid": "uid-beta-pod-001"}}),
    );
    assert_eq!(by_query.status, 200);
    assert_eq!(json(&by_query)["metadata"]["uid"], "uid-beta-pod-001");
    let by_body = delete(
        &url,
        POD,
        &json!({"dryRun": ["All"], "preconditions": {"resourceVersion": "100"}}),
    );
    assert_eq!(by_body.status, 200);
    // Preconditions are still checked in a dry run.
    assert_eq!(
        delete(
            &url,
            &format!("{POD}?dryRun=All"),
            &json!({"preconditions": {"uid": "x"}})
        )
        .status,
        409
    );
    assert_eq!(
        delete(&url, &format!("{POD}?dryRun=Bogus"), &json!({})).status,
        400
    );
    // Also with no body at all.
    let no_body = client::request(&url, "DELETE", &format!("{POD}?dryRun=All"), &[], None).unwrap();
    assert_eq!(no_body.status, 200);

    assert_eq!(get(&url, POD).status, 200);
    assert_eq!(sim.resource_version(), rv);
    assert_eq!(sim.objects("pods").len(), 6);
}

const PDB_REFUSAL: &str = r#"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Cannot evict pod as it would violate the pod's disruption budget.","reason":"TooManyRequests","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget web-pdb needs 1 healthy pods and has 1 currently"}]},"code":429}"#;

#[test]
fn eviction_succeeds_or_is_refused_by_a_pdb() {
    let sim = Simulator::start(many_pods(6), SimOptions::default());
    let url = sim.url();

    let ok = evict(
        &url,
        "beta",
        "pod-001",
        json!({"preconditions": {"uid": "uid-beta-pod-001"}}),
    );
    assert_eq!(ok.status, 201);
    assert_eq!(
        json(&ok),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Success","code":201})
    );
    assert_eq!(get(&url, POD).status, 404);

    sim.set_pdb_rules(vec![PdbRule::all("web-pdb")]);
    let refused = evict(&url, "alpha", "pod-003", json!({}));
    assert_eq!(refused.status, 429);
    assert_eq!(
        json(&refused),
        serde_json::from_str::<Value>(PDB_REFUSAL).unwrap()
    );
    assert!(refused.header("retry-after").is_none());
    assert_eq!(
        get(&url, "/api/v1/namespaces/alpha/pods/pod-003").status,
        200
    );
    // PDBs guard only running pods: pod-000 is Pending.
    assert_eq!(evict(&url, "alpha", "pod-000", json!({})).status, 201);

    // A per-pod rule for the first attempt only.
    sim.set_pdb_rules(vec![PdbRule::pod("web-pdb", "alpha", "pod-003").times(1)]);
    assert_eq!(evict(&url, "kube-system", "pod-002", json!({})).status, 201);
    assert_eq!(evict(&url, "alpha", "pod-003", json!({})).status, 429);
    assert_eq!(evict(&url, "alpha", "pod-003", json!({})).status, 201);
    assert_eq!(sim.objects("Pod").len(), 2);
}

#[test]
fn eviction_honours_dry_run_and_preconditions() {
    let sim = Simulator::start(many_pods(6), SimOptions::default());
    let url = sim.url();
    let dry = evict(&url, "beta", "pod-001", json!({"dryRun": ["All"]}));
    assert_eq!(dry.status, 201);
    let dry_query = client::request(
        &url,
        "POST",
        &format!("{POD}/eviction?dryRun=All"),
        &[],
        Some(
            json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": "pod-001"}})
                .to_string()
                .as_bytes(),
        ),
    )
    .unwrap();
    assert_eq!(dry_query.status, 201);
    assert_eq!(get(&url, POD).status, 200);

    let conflict = evict(
        &url,
        "beta",
        "pod-001",
        json!({"preconditions": {"resourceVersion": "7"}}),
    );
    assert_eq!(conflict.status, 409);
    assert_eq!(json(&conflict)["reason"], "Conflict");
    assert_eq!(evict(&url, "beta", "nope", json!({})).status, 404);
    let mismatch = client::request(
        &url,
        "POST",
        &format!("{POD}/eviction"),
        &[],
        Some(br#"{"apiVersion":"policy/v1","kind":"Eviction","metadata":{"name":"other"}}"#),
    )
    .unwrap();
    assert_eq!(mismatch.status, 400);
    assert_eq!(get(&url, POD).status, 200);
}

fn daemon_pod(name: &str, node: &str, hash: &str) -> Value {
    let mut p = pod(
        "kube-system",
        name,
        node,
        json!({"app": "agent", "controller-revision-hash": hash}),
        "Running",
    );
    p["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid",
        "controller": true, "blockOwnerDeletion": true
    }]);
    p
}

fn controller_cluster() -> Vec<Value> {
    let revision = |name: &str, hash: &str, n: i64| {
        json!({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": name, "namespace": "kube-system",
                "labels": {"app": "agent", "controller-revision-hash": hash},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": "ds-uid", "controller": true}]},
            "revision": n, "data": {}
        })
    };
    let mut tainted = node("node-t", json!({"pool": "general"}));
    tainted["spec"]["taints"] =
        json!([{"key": "dedicated", "value": "db", "effect": "NoSchedule"}]);
    vec![
        node("node-a", json!({"pool": "general"})),
        node("node-b", json!({"pool": "general"})),
        node("node-c", json!({"pool": "gpu"})),
        tainted,
        json!({
            "apiVersion": "apps/v1", "kind": "DaemonSet",
            "metadata": {"name": "agent", "namespace": "kube-system", "uid": "ds-uid", "generation": 3,
                "annotations": {"deprecated.daemonset.template.generation": "3"}},
            "spec": {
                "selector": {"matchLabels": {"app": "agent"}},
                "updateStrategy": {"type": "OnDelete"},
                "template": {
                    "metadata": {"labels": {"app": "agent"}},
                    "spec": {"nodeSelector": {"pool": "general"}, "containers": [{"name": "agent", "image": "agent:2"}]}
                }
            },
            "status": {"desiredNumberScheduled": 2, "currentNumberScheduled": 2, "numberReady": 2,
                "updatedNumberScheduled": 0, "numberAvailable": 2, "numberMisscheduled": 2}
        }),
        revision("agent-aaa", "aaa", 1),
        revision("agent-bbb", "bbb", 2),
        daemon_pod("agent-x1", "node-a", "aaa"),
        daemon_pod("agent-x2", "node-b", "aaa"),
        daemon_pod("agent-x3", "node-c", "aaa"),
        daemon_pod("agent-x4", "node-t", "aaa"),
        pod(
            "kube-system",
            "plain",
            "node-a",
            json!({"app": "plain"}),
            "Running",
        ),
    ]
}

fn pods_on(sim: &Simulator, node: &str) -> Vec<Value> {
    sim.objects("pods")
        .into_iter()
        .filter(|p| p["spec"]["nodeName"] == node)
        .collect()
}

fn ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// Polls (bounded) until `f` returns Some.
fn wait_for<T>(what: &str, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn controller_mode_replaces_removed_daemon_pods() {
    let mode = ControllerMode {
        recreate_after: Duration::from_millis(20),
        ready_after: Duration::from_millis(20),
        never_ready_nodes: BTreeSet::from(["node-b".to_string()]),
    };
    let opts = SimOptions {
        controller: Some(mode),
        seed: 7,
        ..SimOptions::default()
    };
    let sim = Simulator::start(controller_cluster(), opts);
    let url = sim.url();

    // Evicted on an eligible node: replaced, then Ready.
    assert_eq!(
        evict(&url, "kube-system", "agent-x1", json!({})).status,
        201
    );
    let replacement = wait_for("a Ready replacement on node-a", || {
        pods_on(&sim, "node-a")
            .into_iter()
            .find(|p| p["metadata"]["name"] != "plain" && ready(p))
    });
    let name = replacement["metadata"]["name"].as_str().unwrap();
    assert!(
        name.starts_with("agent-") && name.len() == "agent-".len() + 5,
        "{name}"
    );
    assert_ne!(name, "agent-x1");
    assert_ne!(replacement["metadata"]["uid"], "uid-kube-system-agent-x1");
    let labels = &replacement["metadata"]["labels"];
    assert_eq!(labels["app"], "agent");
    assert_eq!(
        labels["controller-revision-hash"], "bbb",
        "the highest revision"
    );
    assert_eq!(labels["pod-template-generation"], "3");
    assert_eq!(
        replacement["metadata"]["ownerReferences"][0]["uid"],
        "ds-uid"
    );
    assert_eq!(replacement["status"]["phase"], "Running");
    assert_eq!(
        replacement["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
            ["nodeSelectorTerms"][0]["matchFields"][0]["values"],
        json!(["node-a"])
    );
    assert!(
        replacement["spec"]["tolerations"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["key"] == "node.kubernetes.io/unschedulable")
    );
    // The replacement is served like any pod.
    assert_eq!(
        get(&url, &format!("/api/v1/namespaces/kube-system/pods/{name}")).status,
        200
    );

    // Deleted on a never-Ready node: replaced, but stays Pending.
    assert_eq!(
        delete(
            &url,
            "/api/v1/namespaces/kube-system/pods/agent-x2",
            &json!({})
        )
        .status,
        200
    );
    let pending = wait_for("a replacement on node-b", || {
        pods_on(&sim, "node-b").into_iter().next()
    });
    assert_eq!(pending["status"]["phase"], "Pending");
    std::thread::sleep(Duration::from_millis(100));
    let still = pods_on(&sim, "node-b");
    assert_eq!(still.len(), 1);
    assert!(!ready(&still[0]));
    assert_eq!(still[0]["status"]["phase"], "Pending");

    // Removed from nodes the DaemonSet no longer wants (selector, taint): not replaced.
    // Nor is a pod that no DaemonSet owns, nor anything in a dry run.
    assert_eq!(
        delete(
            &url,
            "/api/v1/namespaces/kube-system/pods/agent-x3",
            &json!({})
        )
        .status,
        200
    );
    assert_eq!(
        evict(&url, "kube-system", "agent-x4", json!({})).status,
        201
    );
    assert_eq!(
        delete(
            &url,
            "/api/v1/namespaces/kube-system/pods/plain",
            &json!({})
        )
        .status,
        200
    );
    std::thread::sleep(Duration::from_millis(100));
    assert!(pods_on(&sim, "node-c").is_empty());
    assert!(pods_on(&sim, "node-t").is_empty());
    assert_eq!(pods_on(&sim, "node-a").len(), 1);

    // The DaemonSet's status follows.
    let ds = sim.object("ds", Some("kube-system"), "agent").unwrap();
    let status = &ds["status"];
    assert_eq!(status["currentNumberScheduled"], 2);
    assert_eq!(status["numberReady"], 1);
    assert_eq!(status["updatedNumberScheduled"], 2);
    assert_eq!(status["numberMisscheduled"], 0);
    assert_eq!(status["numberUnavailable"], 1);

    // Switching node-b back lets its next replacement become Ready.
    sim.set_node_never_ready("node-b", false);
    let pending_name = still[0]["metadata"]["name"].as_str().unwrap().to_string();
    assert_eq!(
        delete(
            &url,
            &format!("/api/v1/namespaces/kube-system/pods/{pending_name}"),
            &json!({})
        )
        .status,
        200
    );
    wait_for("a Ready replacement on node-b", || {
        pods_on(&sim, "node-b")
            .into_iter()
            .find(|p| ready(p) && p["metadata"]["name"] != pending_name.as_str())
    });
}
