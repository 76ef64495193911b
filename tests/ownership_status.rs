//! Ownership, pod→node mapping, status numbers and revisions through `coverage::compute`, on
//! small snapshots read with `load_text`. Upstream functions pinned:
//! - pkg/controller/controller_ref_manager.go: `ClaimPods`;
//! - pkg/controller/daemon/daemon_controller.go: `getDaemonPods`, `getNodesToDaemonPods`,
//!   `podsShouldBeOnNode`, `updateDaemonSetStatus`, `podByCreationTimestampAndPhase`;
//! - pkg/controller/daemon/util/daemonset_util.go: `GetTargetNodeName`, `IsPodUpdated`;
//! - pkg/api/v1/pod/util.go: `IsPodReady`, `IsPodAvailable`;
//! - pkg/controller/daemon/update.go: `constructHistory`.

use ds_coverage::coverage::{NotFound, Options, compute, controller_order};
use ds_coverage::eligibility::labels::Selector;
use ds_coverage::model::Pod;
use ds_coverage::reason::Rule;
use ds_coverage::report::{
    Claim, ComputedStatus, DaemonSetReport, OrphanAction, PairReport, RemovedBy, Report, Source,
    State, Unscheduled,
};
use ds_coverage::snapshot::Snapshot;
use ds_coverage::source::file::load_text;
use jiff::Timestamp;
use serde_json::{Value, json};

const NS: &str = "ops";
const DS_UID: &str = "5b1d1c43-8a37-4d39-9a0e-3d0f2c7e0001";
const HASH: &str = "5d8f7c9b6";
const OLD_HASH: &str = "6c4b7f9d8";
const NOW: &str = "2024-06-01T12:00:00Z";

// ---------------------------------------------------------------------------------------------
// Builders

fn ts(s: &str) -> Timestamp {
    s.parse().expect("timestamp")
}

/// Set `path` (JSON-pointer-like, `/a/b`) in `v`, creating objects on the way.
fn set(mut v: Value, path: &str, x: Value) -> Value {
    let mut cur = &mut v;
    for part in path.trim_start_matches('/').split('/') {
        cur = match (cur, part.parse::<usize>()) {
            (Value::Array(a), Ok(i)) => &mut a[i],
            (other, _) => {
                if !other.is_object() {
                    *other = json!({});
                }
                other
                    .as_object_mut()
                    .unwrap()
                    .entry(part.to_string())
                    .or_insert(Value::Null)
            }
        };
    }
    *cur = x;
    v
}

/// Remove the member at `path`.
fn unset(mut v: Value, path: &str) -> Value {
    let (parent, last) = path.rsplit_once('/').unwrap();
    if let Some(Value::Object(m)) = v.pointer_mut(parent) {
        m.remove(last);
    }
    v
}

fn node(name: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": format!("node-uid-{name}"),
            "creationTimestamp": "2024-01-01T00:00:00Z",
            "labels": { "kubernetes.io/hostname": name, "kubernetes.io/os": "linux" }
        },
        "spec": {},
        "status": { "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }] }
    })
}

fn node_with_taint(name: &str, key: &str, effect: &str) -> Value {
    set(
        node(name),
        "/spec/taints",
        json!([{ "key": key, "effect": effect }]),
    )
}

/// The DaemonSet's pod template, as kubectl prints it (with `creationTimestamp: null`).
fn template(image: &str) -> Value {
    json!({
        "metadata": { "creationTimestamp": null, "labels": { "app": "agent" } },
        "spec": {
            "containers": [{ "name": "agent", "image": image, "resources": {} }],
            "restartPolicy": "Always",
            "terminationGracePeriodSeconds": 30
        }
    })
}

/// DaemonSet `ops/agent`, generation 2, template generation 2, status all zero (observed 2).
fn daemon_set() -> Value {
    json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "namespace": NS,
            "uid": DS_UID,
            "generation": 2,
            "creationTimestamp": "2024-01-02T00:00:00Z",
            "annotations": { "deprecated.daemonset.template.generation": "2" }
        },
        "spec": {
            "selector": { "matchLabels": { "app": "agent" } },
            "template": template("registry.example/agent:1.0"),
            "updateStrategy": { "type": "RollingUpdate", "rollingUpdate": { "maxUnavailable": 1, "maxSurge": 0 } },
            "revisionHistoryLimit": 10
        },
        "status": status(0, 0, 0, 0, 0, 0, 2)
    })
}

/// A `.status` block (desired, current, misscheduled, ready, available, updated, observedGeneration).
fn status(
    desired: i64,
    current: i64,
    mis: i64,
    ready: i64,
    avail: i64,
    updated: i64,
    observed: i64,
) -> Value {
    let mut s = json!({
        "desiredNumberScheduled": desired,
        "currentNumberScheduled": current,
        "numberMisscheduled": mis,
        "numberReady": ready,
        "observedGeneration": observed
    });
    // The API omits zeros, as real dumps show.
    if avail > 0 {
        s["numberAvailable"] = json!(avail);
    }
    if updated > 0 {
        s["updatedNumberScheduled"] = json!(updated);
    }
    if desired - avail > 0 {
        s["numberUnavailable"] = json!(desired - avail);
    }
    s
}

fn owner_ref() -> Value {
    json!([{
        "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": DS_UID,
        "controller": true, "blockOwnerDeletion": true
    }])
}

/// A daemon pod as the controller creates it: bound to `node`, Running and Ready since
/// `created` + 5 s, on the current hash and template generation.
fn pod(name: &str, node: &str, created: &str) -> Value {
    let ready_at = ts(created)
        .checked_add(jiff::SignedDuration::from_secs(5))
        .unwrap()
        .to_string();
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": format!("pod-uid-{name}"),
            "creationTimestamp": created,
            "labels": {
                "app": "agent",
                "controller-revision-hash": HASH,
                "pod-template-generation": "2"
            },
            "ownerReferences": owner_ref()
        },
        "spec": {
            "nodeName": node,
            "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{ "matchFields": [
                    { "key": "metadata.name", "operator": "In", "values": [node] }
                ] }]
            } } },
            "containers": [{ "name": "agent", "image": "registry.example/agent:1.0" }]
        },
        "status": {
            "phase": "Running",
            "conditions": [
                { "type": "PodScheduled", "status": "True", "lastTransitionTime": created },
                { "type": "Ready", "status": "True", "lastTransitionTime": ready_at }
            ],
            "containerStatuses": [{ "name": "agent", "ready": true, "restartCount": 0, "state": { "running": { "startedAt": created } } }]
        }
    })
}

fn not_ready(p: Value) -> Value {
    let created = p["metadata"]["creationTimestamp"].clone();
    let p = set(
        p,
        "/status/conditions",
        json!([
            { "type": "PodScheduled", "status": "True", "lastTransitionTime": created },
            { "type": "Ready", "status": "False", "reason": "ContainersNotReady", "lastTransitionTime": created }
        ]),
    );
    set(
        p,
        "/status/containerStatuses",
        json!([{ "name": "agent", "ready": false, "restartCount": 3,
                 "state": { "waiting": { "reason": "CrashLoopBackOff" } } }]),
    )
}

fn failed(p: Value) -> Value {
    let p = not_ready(p);
    let p = set(p, "/status/phase", json!("Failed"));
    set(
        p,
        "/status/containerStatuses/0/state",
        json!({ "terminated": { "reason": "Error", "exitCode": 1 } }),
    )
}

/// Not yet bound: no nodeName, Pending, PodScheduled=False; the matchFields affinity still names
/// `target`.
fn unbound(p: Value) -> Value {
    let p = unset(p, "/spec/nodeName");
    let p = set(p, "/status/phase", json!("Pending"));
    let p = unset(p, "/status/containerStatuses");
    set(
        p,
        "/status/conditions",
        json!([{ "type": "PodScheduled", "status": "False", "reason": "Unschedulable",
                 "message": "0/3 nodes are available: 1 Insufficient cpu." }]),
    )
}

fn terminating(p: Value) -> Value {
    let p = set(
        p,
        "/metadata/deletionTimestamp",
        json!("2024-06-01T11:59:00Z"),
    );
    set(p, "/metadata/finalizers", json!(["example.com/keep"]))
}

fn orphan(p: Value) -> Value {
    unset(p, "/metadata/ownerReferences")
}

fn revision(name: &str, hash: &str, number: i64, tmpl: Value, owner_uid: &str) -> Value {
    let mut data_template = tmpl;
    data_template["$patch"] = json!("replace");
    json!({
        "apiVersion": "apps/v1",
        "kind": "ControllerRevision",
        "metadata": {
            "name": name,
            "namespace": NS,
            "uid": format!("rev-uid-{name}"),
            "labels": { "app": "agent", "controller-revision-hash": hash },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": owner_uid,
                "controller": true, "blockOwnerDeletion": true
            }]
        },
        "revision": number,
        "data": { "spec": { "template": data_template } }
    })
}

fn snapshot(items: Vec<Value>) -> Snapshot {
    let text = json!({ "apiVersion": "v1", "kind": "List", "metadata": { "resourceVersion": "" }, "items": items })
        .to_string();
    let mut snap = Snapshot::new(Source::File {
        paths: vec!["inline.json".into()],
    });
    load_text("inline.json", &text, &mut snap).expect("snapshot loads");
    snap
}

fn audit_at(items: Vec<Value>, now: &str) -> Report {
    compute(&snapshot(items), &Options::new(ts(now))).expect("compute")
}

fn audit(items: Vec<Value>) -> Report {
    audit_at(items, NOW)
}

fn only(r: &Report) -> &DaemonSetReport {
    assert_eq!(r.daemon_sets.len(), 1, "one DaemonSet expected");
    &r.daemon_sets[0]
}

fn pair<'a>(d: &'a DaemonSetReport, node: &str) -> &'a PairReport {
    d.nodes
        .iter()
        .find(|p| p.node == node)
        .unwrap_or_else(|| panic!("no pair for node {node}: {:#?}", d.nodes))
}

fn cs(d: &DaemonSetReport) -> &ComputedStatus {
    &d.computed_status
}

// ---------------------------------------------------------------------------------------------
// Ownership: pkg/controller/controller_ref_manager.go: ClaimPods
// (called from pkg/controller/daemon/daemon_controller.go: getDaemonPods)

#[test]
fn orphan_matching_the_selector_is_adopted_and_counted() {
    // Read from kubectl-style YAML, as a `kind: List`.
    let yaml = format!(
        r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata: {{ name: n1, labels: {{ kubernetes.io/hostname: n1 }} }}
  status: {{ conditions: [{{ type: Ready, status: "True" }}] }}
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: {{ name: agent, namespace: {NS}, uid: {DS_UID}, generation: 1 }}
  spec:
    selector: {{ matchLabels: {{ app: agent }} }}
    template:
      metadata: {{ labels: {{ app: agent }} }}
      spec: {{ containers: [{{ name: agent, image: "agent:1" }}] }}
  status: {{ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberReady: 1, numberAvailable: 1, observedGeneration: 1 }}
- apiVersion: v1
  kind: Pod
  metadata:
    name: hand-made-agent
    namespace: {NS}
    creationTimestamp: "2024-05-01T00:00:00Z"
    labels: {{ app: agent }}
  spec: {{ nodeName: n1, containers: [{{ name: agent, image: "agent:1" }}] }}
  status:
    phase: Running
    conditions: [{{ type: Ready, status: "True", lastTransitionTime: "2024-05-01T00:00:10Z" }}]
"#
    );
    let mut snap = Snapshot::new(Source::File { paths: vec![] });
    load_text("inline.yaml", &yaml, &mut snap).expect("YAML loads");
    let r = compute(&snap, &Options::new(ts(NOW))).unwrap();
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.state, State::Ready);
    assert_eq!(p.pods.len(), 1);
    assert_eq!(p.pods[0].claim, Claim::Adopted);
    assert_eq!(r.orphans.len(), 1);
    assert_eq!(r.orphans[0].name, "hand-made-agent");
    assert_eq!(r.orphans[0].action, OrphanAction::Adopt);
    assert_eq!(r.orphans[0].daemon_set, format!("{NS}/agent"));
    assert_eq!(r.orphans[0].node.as_deref(), Some("n1"));
    assert_eq!((cs(d).current_number_scheduled, cs(d).number_ready), (1, 1));
}

#[test]
fn terminating_orphan_is_not_adopted() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        terminating(orphan(pod("agent-x", "n1", "2024-05-01T00:00:00Z"))),
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert!(r.orphans.is_empty(), "{:?}", r.orphans);
    assert_eq!(cs(d).current_number_scheduled, 0);
}

#[test]
fn orphan_with_other_labels_or_namespace_is_not_adopted() {
    let other_labels = set(
        orphan(pod("other-labels", "n1", "2024-05-01T00:00:00Z")),
        "/metadata/labels",
        json!({ "app": "web" }),
    );
    let other_ns = set(
        orphan(pod("other-ns", "n1", "2024-05-01T00:00:00Z")),
        "/metadata/namespace",
        json!("default"),
    );
    let r = audit(vec![node("n1"), daemon_set(), other_labels, other_ns]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert!(r.orphans.is_empty(), "{:?}", r.orphans);
}

#[test]
fn owned_pod_whose_labels_no_longer_match_is_released_and_not_counted() {
    let p = set(
        pod("agent-rel", "n1", "2024-05-01T00:00:00Z"),
        "/metadata/labels/app",
        json!("agent-old"),
    );
    let r = audit(vec![node("n1"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert!(pair(d, "n1").pods.is_empty());
    assert_eq!(cs(d).current_number_scheduled, 0);
    assert_eq!(r.orphans.len(), 1);
    assert_eq!(r.orphans[0].name, "agent-rel");
    assert_eq!(r.orphans[0].action, OrphanAction::Release);
}

#[test]
fn controller_ref_with_right_uid_but_other_kind_or_name_is_foreign() {
    let other_kind = set(
        pod("rs-pod", "n1", "2024-05-01T00:00:00Z"),
        "/metadata/ownerReferences",
        json!([{ "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "agent", "uid": DS_UID, "controller": true }]),
    );
    let other_name = set(
        pod("renamed-pod", "n2", "2024-05-01T00:00:00Z"),
        "/metadata/ownerReferences",
        json!([{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent-v2", "uid": DS_UID, "controller": true }]),
    );
    let r = audit(vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        other_kind,
        other_name,
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert_eq!(pair(d, "n2").state, State::Missing);
    assert_eq!(cs(d).current_number_scheduled, 0);
    // They have a controller, so they are not orphans either.
    assert!(r.orphans.is_empty(), "{:?}", r.orphans);
}

#[test]
fn pod_controlled_by_another_daemon_set_is_ignored_even_if_labels_match() {
    let p = set(
        pod("theirs", "n1", "2024-05-01T00:00:00Z"),
        "/metadata/ownerReferences/0/uid",
        json!("another-uid"),
    );
    let r = audit(vec![node("n1"), daemon_set(), p]);
    assert_eq!(pair(only(&r), "n1").state, State::Missing);
    assert!(r.orphans.is_empty());
}

#[test]
fn owner_ref_without_controller_flag_leaves_an_orphan_that_is_adopted() {
    let p = set(
        pod("agent-nc", "n1", "2024-05-01T00:00:00Z"),
        "/metadata/ownerReferences",
        json!([{ "apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent", "uid": DS_UID, "controller": false }]),
    );
    let r = audit(vec![node("n1"), daemon_set(), p]);
    let d = only(&r);
    let pr = pair(d, "n1");
    assert_eq!(pr.state, State::Ready);
    assert_eq!(pr.pods[0].claim, Claim::Adopted);
    assert_eq!(r.orphans.len(), 1);
    assert_eq!(r.orphans[0].action, OrphanAction::Adopt);
    assert_eq!(cs(d).current_number_scheduled, 1);
}

#[test]
fn owned_pod_is_claim_owned_and_terminating_non_terminal_pod_still_counts() {
    let r = audit(vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        pod("agent-a", "n1", "2024-05-01T00:00:00Z"),
        terminating(pod("agent-b", "n2", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").pods[0].claim, Claim::Owned);
    let p2 = pair(d, "n2");
    assert!(p2.terminating);
    assert!(p2.pods[0].terminating);
    assert!(
        p2.reasons.iter().any(|r| r.rule == Rule::Terminating),
        "{:?}",
        p2.reasons
    );
    // IsPodReady ignores deletion: the terminating pod still reports Ready and counts.
    assert_eq!((cs(d).current_number_scheduled, cs(d).number_ready), (2, 2));
    assert!(r.orphans.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Which pods map to which node: pkg/controller/daemon/daemon_controller.go: getNodesToDaemonPods
// and pkg/controller/daemon/util/daemonset_util.go: GetTargetNodeName

#[test]
fn terminal_pod_with_deletion_timestamp_is_invisible() {
    let r = audit(vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        terminating(failed(pod("agent-failed", "n1", "2024-05-01T00:00:00Z"))),
        set(
            terminating(pod("agent-done", "n2", "2024-05-01T00:00:00Z")),
            "/status/phase",
            json!("Succeeded"),
        ),
    ]);
    let d = only(&r);
    for n in ["n1", "n2"] {
        let p = pair(d, n);
        assert_eq!(p.state, State::Missing, "{n}");
        assert!(p.pods.is_empty(), "{n}: {:?}", p.pods);
        assert!(
            p.reasons
                .iter()
                .any(|r| r.rule == Rule::Terminating && r.message.contains("finalizer")),
            "{n}: {:?}",
            p.reasons
        );
    }
    assert_eq!(cs(d).desired_number_scheduled, 2);
    assert_eq!(cs(d).current_number_scheduled, 0);
    assert_eq!(cs(d).number_unavailable, 2);
}

#[test]
fn failed_pod_without_deletion_counts_as_current() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        failed(pod("agent-f", "n1", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.state, State::Failed);
    assert_eq!(p.pods[0].phase, "Failed");
    assert_eq!(cs(d).current_number_scheduled, 1);
    assert_eq!(cs(d).number_ready, 0);
    assert_eq!(cs(d).number_unavailable, 1);
}

#[test]
fn unbound_pending_pod_maps_through_match_fields() {
    let r = audit(vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        unbound(pod("agent-p", "n2", "2024-06-01T11:59:00Z")),
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    let p = pair(d, "n2");
    assert_eq!(p.state, State::Pending);
    assert_eq!(p.pods[0].name, "agent-p");
    assert!(
        p.reasons
            .iter()
            .any(|r| r.rule == Rule::Scheduling && r.message.contains("Insufficient cpu"))
    );
    assert_eq!(p.unscheduled, Some(Unscheduled::InsufficientResources));
    assert_eq!(cs(d).current_number_scheduled, 1);
    assert_eq!(cs(d).number_ready, 0);
}

#[test]
fn unbound_pod_with_two_match_fields_values_is_skipped_with_a_warning() {
    let p = set(
        unbound(pod("agent-2v", "n1", "2024-06-01T11:59:00Z")),
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
        json!([{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["n1", "n2"] }] }]),
    );
    let r = audit(vec![node("n1"), node("n2"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert_eq!(pair(d, "n2").state, State::Missing);
    assert_eq!(cs(d).current_number_scheduled, 0);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("agent-2v") && w.contains("2 values")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn unbound_pod_targeted_only_by_match_expressions_is_skipped() {
    let p = set(
        unbound(pod("agent-expr", "n1", "2024-06-01T11:59:00Z")),
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
        json!([{ "matchExpressions": [{ "key": "kubernetes.io/hostname", "operator": "In", "values": ["n1"] }] }]),
    );
    let r = audit(vec![node("n1"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("agent-expr") && w.contains("ignored")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn unbound_pod_targeted_only_by_match_fields_not_in_is_skipped() {
    let p = set(
        unbound(pod("agent-notin", "n1", "2024-06-01T11:59:00Z")),
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
        json!([{ "matchFields": [{ "key": "metadata.name", "operator": "NotIn", "values": ["n2"] }] }]),
    );
    let r = audit(vec![node("n1"), node("n2"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Missing);
    assert_eq!(cs(d).current_number_scheduled, 0);
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("agent-notin") && w.contains("ignored")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn spec_node_name_wins_over_affinity() {
    let p = set(
        pod("agent-nn", "n1", "2024-05-01T00:00:00Z"),
        "/spec/affinity/nodeAffinity/requiredDuringSchedulingIgnoredDuringExecution/nodeSelectorTerms",
        json!([{ "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["n2"] }] }]),
    );
    let r = audit(vec![node("n1"), node("n2"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Ready);
    assert_eq!(pair(d, "n2").state, State::Missing);
}

#[test]
fn pods_on_nodes_missing_from_the_list() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        unbound(pod("agent-pending-gone", "gone-1", "2024-06-01T11:00:00Z")),
        pod("agent-bound-gone", "gone-2", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(
        d.pods_on_missing_nodes.len(),
        2,
        "{:?}",
        d.pods_on_missing_nodes
    );
    let pending = d
        .pods_on_missing_nodes
        .iter()
        .find(|p| p.pod == "agent-pending-gone")
        .unwrap();
    assert_eq!((pending.node.as_str(), pending.bound), ("gone-1", false));
    assert_eq!(pending.removed_by, RemovedBy::DaemonSetController);
    let bound = d
        .pods_on_missing_nodes
        .iter()
        .find(|p| p.pod == "agent-bound-gone")
        .unwrap();
    assert_eq!((bound.node.as_str(), bound.bound), ("gone-2", true));
    assert_eq!(bound.removed_by, RemovedBy::PodGc);
    // Neither counts in the status, and no pair exists for a node that isn't there.
    assert_eq!(cs(d).desired_number_scheduled, 1);
    assert_eq!(cs(d).current_number_scheduled, 0);
    assert_eq!(cs(d).number_misscheduled, 0);
    assert_eq!(d.nodes.len(), 1);
    assert_eq!(pair(d, "n1").state, State::Missing);
}

// ---------------------------------------------------------------------------------------------
// Sort order and duplicates:
// pkg/controller/daemon/daemon_controller.go: podByCreationTimestampAndPhase

#[test]
fn duplicates_bound_pod_sorts_before_older_unbound_pod() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        unbound(pod("agent-aaa-old-unbound", "n1", "2024-05-01T00:00:00Z")),
        pod("agent-zzz-new-bound", "n1", "2024-05-02T00:00:00Z"),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.pods[0].name, "agent-zzz-new-bound");
    assert_eq!(p.state, State::Ready);
    assert_eq!(p.duplicates, 1);
    assert_eq!((cs(d).current_number_scheduled, cs(d).number_ready), (1, 1));
}

#[test]
fn duplicates_older_not_ready_pod_decides_readiness() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        pod("agent-a-new-ready", "n1", "2024-05-02T00:00:00Z"),
        not_ready(pod("agent-z-old-not-ready", "n1", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.pods[0].name, "agent-z-old-not-ready");
    assert_eq!(p.state, State::NotReady);
    assert_eq!(p.duplicates, 1);
    assert!(
        p.reasons
            .iter()
            .any(|r| r.rule == Rule::Duplicate && r.message.contains("agent-z-old-not-ready"))
    );
    assert_eq!(
        cs(d).current_number_scheduled,
        1,
        "duplicates never count twice"
    );
    assert_eq!(cs(d).number_ready, 0);
    assert_eq!(cs(d).number_misscheduled, 0);
}

#[test]
fn duplicates_equal_timestamps_sort_by_name() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        pod("agent-b", "n1", "2024-05-01T00:00:00Z"),
        not_ready(pod("agent-a", "n1", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    let names: Vec<&str> = pair(d, "n1").pods.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["agent-a", "agent-b"]);
    assert_eq!(cs(d).number_ready, 0);
}

#[test]
fn duplicates_older_failed_pod_hides_a_ready_one() {
    let r = audit(vec![
        node("n1"),
        daemon_set(),
        pod("agent-new", "n1", "2024-05-02T00:00:00Z"),
        failed(pod("agent-old", "n1", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.pods[0].name, "agent-old");
    // Only live pods count as duplicates.
    assert_eq!(p.duplicates, 0);
    assert_eq!((cs(d).current_number_scheduled, cs(d).number_ready), (1, 0));
    // The state is the counted pod's, and the ready one beside it is said first, not hidden.
    assert_eq!(p.state, State::Failed);
    assert!(
        p.reasons[0]
            .message
            .starts_with("pod agent-new also runs here (Ready); the DaemonSet's status counts the oldest pod, agent-old,"),
        "{:?}",
        p.reasons
    );
}

#[test]
fn controller_order_is_bound_then_oldest_then_name() {
    let mk = |v: Value| serde_json::from_value::<Pod>(v).unwrap();
    let mut pods = [
        mk(unbound(pod("u-old", "n1", "2024-01-01T00:00:00Z"))),
        mk(pod("b-new", "n1", "2024-03-01T00:00:00Z")),
        mk(pod("c-mid", "n1", "2024-02-01T00:00:00Z")),
        mk(pod("a-mid", "n1", "2024-02-01T00:00:00Z")),
        mk(unbound(pod("a-unbound-new", "n1", "2024-04-01T00:00:00Z"))),
    ];
    pods.sort_by(controller_order);
    let names: Vec<&str> = pods.iter().map(|p| p.name()).collect();
    assert_eq!(names, ["a-mid", "c-mid", "b-new", "u-old", "a-unbound-new"]);
}

// ---------------------------------------------------------------------------------------------
// Misscheduled:
// pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode and updateDaemonSetStatus

#[test]
fn misscheduled_on_no_schedule_taint_is_kept() {
    let r = audit(vec![
        node_with_taint("n1", "dedicated", "NoSchedule"),
        daemon_set(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.state, State::Misscheduled);
    assert!(!p.eligible);
    assert_eq!(p.removed_by_controller, Some(false));
    assert!(p.reasons.iter().any(|r| r.rule == Rule::Taint));
    assert_eq!(cs(d).number_misscheduled, 1);
    assert_eq!(
        (
            cs(d).desired_number_scheduled,
            cs(d).current_number_scheduled,
            cs(d).number_ready
        ),
        (0, 0, 0)
    );
}

#[test]
fn misscheduled_on_not_ready_node_is_kept() {
    let n = set(
        node("n1"),
        "/spec/taints",
        json!([
            { "key": "node.kubernetes.io/not-ready", "effect": "NoSchedule" },
            { "key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": "2024-06-01T11:00:00Z" }
        ]),
    );
    let n = set(
        n,
        "/status/conditions",
        json!([{ "type": "Ready", "status": "False" }]),
    );
    let r = audit(vec![
        n,
        daemon_set(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Misscheduled);
    assert_eq!(pair(d, "n1").removed_by_controller, Some(false));
    assert_eq!(cs(d).number_misscheduled, 1);
}

#[test]
fn misscheduled_on_no_execute_taint_is_removed() {
    let r = audit(vec![
        node_with_taint("n1", "dedicated", "NoExecute"),
        daemon_set(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::Misscheduled);
    assert_eq!(pair(d, "n1").removed_by_controller, Some(true));
    assert_eq!(cs(d).number_misscheduled, 1);
}

#[test]
fn misscheduled_on_node_selector_mismatch_is_removed() {
    let ds = set(
        daemon_set(),
        "/spec/template/spec/nodeSelector",
        json!({ "role": "edge" }),
    );
    let r = audit(vec![
        node("n1"),
        ds,
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    let p = pair(d, "n1");
    assert_eq!(p.state, State::Misscheduled);
    assert_eq!(p.removed_by_controller, Some(true));
    assert!(p.reasons.iter().any(|r| r.rule == Rule::NodeSelector));
    assert_eq!(cs(d).number_misscheduled, 1);
}

#[test]
fn ineligible_pairs_are_hidden_unless_asked() {
    let items = vec![
        node("n1"),
        node_with_taint("n2", "dedicated", "NoExecute"),
        daemon_set(),
    ];
    let r = audit(items.clone());
    assert_eq!(only(&r).nodes.len(), 1);
    let mut opts = Options::new(ts(NOW));
    opts.include_ineligible = true;
    let r = compute(&snapshot(items), &opts).unwrap();
    let d = only(&r);
    assert_eq!(d.nodes.len(), 2);
    assert_eq!(pair(d, "n2").state, State::Ineligible);
    assert_eq!(pair(d, "n2").removed_by_controller, None);
    assert_eq!(d.exclusions.len(), 1);
    assert_eq!(d.exclusions[0].nodes, ["n2"]);
}

// ---------------------------------------------------------------------------------------------
// The numbers, all together: pkg/controller/daemon/daemon_controller.go: updateDaemonSetStatus

#[test]
fn computed_status_counts_per_node_like_the_controller() {
    let ds = set(daemon_set(), "/status", status(5, 4, 1, 3, 3, 3, 2));
    let r = audit(vec![
        node("n1"),
        node("n2"),
        node("n3"),
        node("n4"),
        node_with_taint("n5", "dedicated", "NoSchedule"),
        node_with_taint("n6", "dedicated", "NoExecute"),
        node("n7"),
        ds,
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        not_ready(pod("agent-2", "n2", "2024-05-01T00:00:00Z")),
        // n3: no pod.
        set(
            set(
                pod("agent-4", "n4", "2024-05-01T00:00:00Z"),
                "/metadata/labels/pod-template-generation",
                json!("1"),
            ),
            "/metadata/labels/controller-revision-hash",
            json!(OLD_HASH),
        ),
        pod("agent-5", "n5", "2024-05-01T00:00:00Z"),
        // n6: tainted, no pod: contributes nothing.
        pod("agent-7a", "n7", "2024-05-01T00:00:00Z"),
        not_ready(pod("agent-7b", "n7", "2024-05-03T00:00:00Z")),
        pod("agent-gone", "gone", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(
        d.computed_status,
        ComputedStatus {
            desired_number_scheduled: 5,
            current_number_scheduled: 4,
            number_misscheduled: 1,
            number_ready: 3,
            number_available: 3,
            updated_number_scheduled: 3,
            number_unavailable: 2,
        }
    );
    assert_eq!(d.status_agrees, Some(true), "{:?}", d.warnings);
    assert_eq!(
        d.controller_status.as_ref().unwrap().numbers,
        d.computed_status
    );
    let states: Vec<(&str, State)> = d.nodes.iter().map(|p| (p.node.as_str(), p.state)).collect();
    assert_eq!(
        states,
        [
            ("n1", State::Ready),
            ("n2", State::NotReady),
            ("n3", State::Missing),
            ("n4", State::Ready),
            ("n5", State::Misscheduled),
            ("n7", State::Ready),
        ]
    );
    assert!(pair(d, "n4").outdated);
    assert!(!pair(d, "n1").outdated);
    assert_eq!(pair(d, "n7").duplicates, 1);
    let c = &d.counts;
    assert_eq!(
        (
            c.eligible,
            c.ready,
            c.not_ready,
            c.missing,
            c.misscheduled,
            c.outdated
        ),
        (5, 3, 1, 1, 1, 1)
    );
    assert_eq!(c.coverage_percent, Some(60.0));
    assert_eq!(r.summary.pairs, 7);
}

#[test]
fn status_disagreement_is_reported_with_the_numbers() {
    // The stored status says 2 ready; the pods say 1.
    let ds = set(daemon_set(), "/status", status(2, 2, 0, 2, 2, 2, 2));
    let r = audit(vec![
        node("n1"),
        node("n2"),
        ds,
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        not_ready(pod("agent-2", "n2", "2024-05-01T00:00:00Z")),
    ]);
    let d = only(&r);
    assert_eq!(d.status_agrees, Some(false));
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("numberReady 2 (objects say 1)")),
        "{:?}",
        d.warnings
    );
}

// ---------------------------------------------------------------------------------------------
// Readiness and availability with minReadySeconds: pkg/api/v1/pod/util.go: IsPodReady,
// IsPodAvailable

fn min_ready_case(now: &str) -> ComputedStatus {
    // Ready since 11:59:30; minReadySeconds 30 → available from 12:00:00 inclusive.
    let ds = set(daemon_set(), "/spec/minReadySeconds", json!(30));
    let p = set(
        pod("agent-1", "n1", "2024-06-01T11:59:00Z"),
        "/status/conditions",
        json!([{ "type": "Ready", "status": "True", "lastTransitionTime": "2024-06-01T11:59:30Z" }]),
    );
    let r = audit_at(vec![node("n1"), ds, p], now);
    only(&r).computed_status.clone()
}

#[test]
fn available_exactly_at_min_ready_seconds_boundary() {
    let s = min_ready_case("2024-06-01T12:00:00Z");
    assert_eq!(
        (s.number_ready, s.number_available, s.number_unavailable),
        (1, 1, 0)
    );
}

#[test]
fn not_available_one_second_before_the_boundary() {
    let s = min_ready_case("2024-06-01T11:59:59Z");
    assert_eq!(
        (s.number_ready, s.number_available, s.number_unavailable),
        (1, 0, 1)
    );
}

#[test]
fn ready_without_transition_time_is_not_available_with_min_ready_seconds() {
    let ds = set(daemon_set(), "/spec/minReadySeconds", json!(10));
    let p = set(
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        "/status/conditions",
        json!([{ "type": "Ready", "status": "True" }]),
    );
    let r = audit(vec![node("n1"), ds, p]);
    let s = &only(&r).computed_status;
    assert_eq!((s.number_ready, s.number_available), (1, 0));
}

#[test]
fn running_pod_without_ready_condition_is_not_ready() {
    let p = set(
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        "/status/conditions",
        json!([]),
    );
    let r = audit(vec![node("n1"), daemon_set(), p]);
    let d = only(&r);
    assert_eq!(pair(d, "n1").state, State::NotReady);
    assert_eq!(d.computed_status.number_ready, 0);
}

// ---------------------------------------------------------------------------------------------
// Revisions (pkg/controller/daemon/update.go: constructHistory) and up-to-date
// (pkg/controller/daemon/util/daemonset_util.go: IsPodUpdated)

fn two_revisions() -> Vec<Value> {
    vec![
        revision(
            &format!("agent-{OLD_HASH}"),
            OLD_HASH,
            1,
            template("registry.example/agent:0.9"),
            DS_UID,
        ),
        // Semantically equal to the DaemonSet's template: `creationTimestamp: null` left out.
        revision(
            &format!("agent-{HASH}"),
            HASH,
            2,
            unset(
                template("registry.example/agent:1.0"),
                "/metadata/creationTimestamp",
            ),
            DS_UID,
        ),
        // Another DaemonSet's revision with the same labels and a higher number: not ours.
        revision(
            "intruder-abc",
            "abc",
            9,
            template("registry.example/agent:1.0"),
            "someone-else",
        ),
    ]
}

fn outdated_pod(name: &str, node: &str) -> Value {
    let p = set(
        pod(name, node, "2024-04-01T00:00:00Z"),
        "/metadata/labels/controller-revision-hash",
        json!(OLD_HASH),
    );
    set(p, "/metadata/labels/pod-template-generation", json!("1"))
}

#[test]
fn current_revision_is_the_highest_owned_one_matching_the_template() {
    let mut items = vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        outdated_pod("agent-2", "n2"),
    ];
    items.extend(two_revisions());
    let r = audit(items);
    let d = only(&r);
    assert_eq!(d.current_revision.as_deref(), Some(HASH));
    assert!(!pair(d, "n1").outdated);
    let p2 = pair(d, "n2");
    assert!(p2.outdated);
    assert!(
        p2.reasons
            .iter()
            .any(|r| r.rule == Rule::Revision && r.message.contains(OLD_HASH)),
        "{:?}",
        p2.reasons
    );
    assert_eq!(p2.pods[0].revision.as_deref(), Some(OLD_HASH));
    assert_eq!(d.computed_status.updated_number_scheduled, 1);
    assert_eq!(d.counts.outdated, 1);
    assert!(r.warnings.is_empty(), "{:?}", r.warnings);
}

#[test]
fn pod_with_current_hash_is_updated_even_with_an_old_generation_label() {
    let p = set(
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        "/metadata/labels/pod-template-generation",
        json!("1"),
    );
    let mut items = vec![node("n1"), daemon_set(), p];
    items.extend(two_revisions());
    let d = audit(items).daemon_sets.remove(0);
    assert!(!pair(&d, "n1").outdated);
    assert_eq!(d.computed_status.updated_number_scheduled, 1);
}

/// Revision 3, hash 7f7f7f7f7: a template (agent:2.0) the DaemonSet does not have.
fn revision_3() -> Value {
    revision(
        "agent-7f7f7f7f7",
        "7f7f7f7f7",
        3,
        template("registry.example/agent:2.0"),
        DS_UID,
    )
}

/// pkg/controller/daemon/update.go: `constructHistory` / `Match`: every controlled revision whose
/// data matches the template is current, not only the highest-numbered one. After a rollback the
/// template matches an older revision until the controller renumbers it; that one's hash is the
/// current hash, and pods on the newer revision are outdated.
#[test]
fn current_revision_is_any_revision_matching_the_template_after_a_rollback() {
    let mut items = vec![
        node("n1"),
        node("n2"),
        // Rolled back: template generation 4, the template of revision 2.
        set(
            quiet(daemon_set()),
            "/metadata/annotations/deprecated.daemonset.template.generation",
            json!("4"),
        ),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        set(
            set(
                pod("agent-2", "n2", "2024-05-01T00:00:00Z"),
                "/metadata/labels/controller-revision-hash",
                json!("7f7f7f7f7"),
            ),
            "/metadata/labels/pod-template-generation",
            json!("3"),
        ),
    ];
    items.extend(two_revisions());
    items.push(revision_3());
    let r = audit(items);
    let d = only(&r);
    assert_eq!(d.current_revision.as_deref(), Some(HASH));
    assert!(d.warnings.is_empty(), "{:?}", d.warnings);
    assert!(!pair(d, "n1").outdated, "agent-1 carries the current hash");
    let p2 = pair(d, "n2");
    assert!(p2.outdated, "agent-2 runs the revision rolled back from");
    assert!(
        p2.reasons
            .iter()
            .any(|r| r.rule == Rule::Revision && r.message.contains("7f7f7f7f7")),
        "{:?}",
        p2.reasons
    );
    assert_eq!(d.computed_status.updated_number_scheduled, 1);
}

/// `constructHistory`: no controlled revision matches the template (the controller has not
/// snapshotted it yet): the current hash is unknown, with a warning naming the newest revision.
#[test]
fn no_revision_matching_the_template_leaves_the_revision_unknown() {
    let items = vec![
        node("n1"),
        node("n2"),
        daemon_set(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        outdated_pod("agent-2", "n2"),
        two_revisions().remove(0),
        revision_3(),
    ];
    let r = audit(items);
    let d = only(&r);
    assert_eq!(d.current_revision, None);
    assert!(
        d.warnings.iter().any(|w| w.contains("agent-7f7f7f7f7")
            && w.contains("no ControllerRevision matches the current template")),
        "{:?}",
        d.warnings
    );
    // The generation path still tells n2's pod apart (pod-template-generation 1 vs 2).
    assert!(pair(d, "n2").outdated);
    assert!(!pair(d, "n1").outdated);
}

#[test]
fn no_revisions_falls_back_to_the_template_generation() {
    let ds = set(
        daemon_set(),
        "/metadata/annotations/deprecated.daemonset.template.generation",
        json!("3"),
    );
    let r = audit(vec![
        node("n1"),
        node("n2"),
        ds,
        set(
            pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
            "/metadata/labels/pod-template-generation",
            json!("3"),
        ),
        pod("agent-2", "n2", "2024-05-01T00:00:00Z"), // generation 2, same hash label (unknown hash)
    ]);
    let d = only(&r);
    assert_eq!(d.current_revision, None);
    assert!(!pair(d, "n1").outdated);
    assert!(pair(d, "n2").outdated);
    assert!(
        pair(d, "n2")
            .reasons
            .iter()
            .any(|r| r.rule == Rule::Revision && r.message.contains("pod-template-generation 2"))
    );
    assert_eq!(d.computed_status.updated_number_scheduled, 1);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.contains("no ControllerRevisions")),
        "{:?}",
        r.warnings
    );
}

#[test]
fn extensions_v1beta1_template_generation_field_is_used() {
    let ds = set(
        unset(daemon_set(), "/metadata/annotations"),
        "/apiVersion",
        json!("extensions/v1beta1"),
    );
    let ds = set(ds, "/spec/templateGeneration", json!(7));
    let ds = unset(ds, "/spec/updateStrategy");
    let r = audit(vec![
        node("n1"),
        node("n2"),
        ds,
        set(
            pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
            "/metadata/labels/pod-template-generation",
            json!("7"),
        ),
        pod("agent-2", "n2", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(
        d.update_strategy,
        ds_coverage::model::UpdateStrategyType::OnDelete
    );
    assert_eq!(d.computed_status.updated_number_scheduled, 1);
    assert!(pair(d, "n2").outdated);
}

// ---------------------------------------------------------------------------------------------
// statusAgrees and options

#[test]
fn comparison_operators_option_reaches_the_placement() {
    let ds = set(
        daemon_set(),
        "/spec/template/spec/tolerations",
        json!([{ "key": "sla", "operator": "Gt", "value": "900", "effect": "NoSchedule" }]),
    );
    let n = set(
        node("n1"),
        "/spec/taints",
        json!([{ "key": "sla", "value": "950", "effect": "NoSchedule" }]),
    );
    let snap = snapshot(vec![n, ds]);
    let mut opts = Options::new(ts(NOW));
    let off = compute(&snap, &opts).unwrap();
    assert_eq!(only(&off).computed_status.desired_number_scheduled, 0);
    opts.comparison_operators = true;
    let on = compute(&snap, &opts).unwrap();
    assert_eq!(only(&on).computed_status.desired_number_scheduled, 1);
    assert_eq!(pair(only(&on), "n1").state, State::Missing);
}

#[test]
fn status_agrees_false_when_observed_generation_is_behind() {
    let good = set(daemon_set(), "/status", status(1, 1, 0, 1, 1, 1, 2));
    let r = audit(vec![
        node("n1"),
        good.clone(),
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    assert_eq!(
        only(&r).status_agrees,
        Some(true),
        "{:?}",
        only(&r).warnings
    );

    let behind = set(good, "/metadata/generation", json!(3));
    let r = audit(vec![
        node("n1"),
        behind,
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
    ]);
    let d = only(&r);
    assert_eq!(
        d.computed_status,
        d.controller_status.as_ref().unwrap().numbers,
        "numbers still agree"
    );
    assert_eq!(d.status_agrees, Some(false));
    assert!(
        d.warnings
            .iter()
            .any(|w| w.contains("observedGeneration 2 is behind generation 3")),
        "{:?}",
        d.warnings
    );
}

#[test]
fn status_agrees_is_null_without_status() {
    let r = audit(vec![node("n1"), unset(daemon_set(), "/status")]);
    let d = only(&r);
    assert!(d.controller_status.is_none());
    assert_eq!(d.status_agrees, None);
}

#[test]
fn empty_selector_or_deleting_daemon_set_makes_status_agrees_null() {
    let all = set(daemon_set(), "/spec/selector", json!({}));
    let r = audit(vec![node("n1"), all]);
    let d = only(&r);
    assert_eq!(d.status_agrees, None);
    assert!(
        d.warnings.iter().any(|w| w.contains("SelectingAll")),
        "{:?}",
        d.warnings
    );

    let deleting = set(
        daemon_set(),
        "/metadata/deletionTimestamp",
        json!("2024-06-01T11:00:00Z"),
    );
    let r = audit(vec![node("n1"), deleting]);
    assert_eq!(only(&r).status_agrees, None);
}

#[test]
fn unknown_daemon_set_name_is_not_found() {
    let snap = snapshot(vec![node("n1"), daemon_set()]);
    let mut opts = Options::new(ts(NOW));
    opts.names = vec!["nope".into()];
    let err = compute(&snap, &opts).unwrap_err();
    assert_eq!(
        err,
        NotFound {
            namespace: None,
            name: "nope".into(),
            unselected_by: None,
        }
    );
    assert!(err.to_string().contains("\"nope\" not found"), "{err}");

    // There, but left out by -l: said so, not "not found".
    opts.names = vec!["agent".into()];
    opts.selector = Some(ds_coverage::eligibility::labels::Selector::parse("app=nomatch").unwrap());
    let err = compute(&snap, &opts).unwrap_err();
    assert_eq!(err.unselected_by.as_deref(), Some("app=nomatch"));
    assert!(
        err.to_string()
            .contains("\"agent\" does not match -l app=nomatch"),
        "{err}"
    );
    opts.selector = None;

    opts.names = vec!["agent".into()];
    opts.namespace = Some("elsewhere".into());
    let err = compute(&snap, &opts).unwrap_err();
    assert_eq!(err.namespace.as_deref(), Some("elsewhere"));

    opts.namespace = Some(NS.into());
    let r = compute(&snap, &opts).unwrap();
    assert_eq!(r.daemon_sets.len(), 1);
}

#[test]
fn node_selector_option_restricts_nodes_and_makes_status_agrees_null() {
    let n1 = set(node("n1"), "/metadata/labels/zone", json!("a"));
    let n2 = set(node("n2"), "/metadata/labels/zone", json!("b"));
    let ds = set(daemon_set(), "/status", status(2, 2, 0, 2, 2, 2, 2));
    let items = vec![
        n1,
        n2,
        ds,
        pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
        pod("agent-2", "n2", "2024-05-01T00:00:00Z"),
    ];
    let r = audit(items.clone());
    assert_eq!(
        only(&r).status_agrees,
        Some(true),
        "{:?}",
        only(&r).warnings
    );

    let mut opts = Options::new(ts(NOW));
    opts.node_selector = Some(Selector::parse("zone=a").unwrap());
    let r = compute(&snapshot(items), &opts).unwrap();
    let d = only(&r);
    assert_eq!(r.summary.nodes, 1);
    assert_eq!(d.nodes.len(), 1);
    assert_eq!(d.computed_status.desired_number_scheduled, 1);
    assert_eq!(d.status_agrees, None);
    // The pod on the filtered-out node is not "on a missing node".
    assert!(
        d.pods_on_missing_nodes.is_empty(),
        "{:?}",
        d.pods_on_missing_nodes
    );
}

/// pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode with surge (RollingUpdate,
/// maxSurge > 0; pkg/controller/daemon/util/daemonset_util.go: AllowsSurge): the oldest pod on the
/// current revision and the oldest on an older one are both kept; neither is a duplicate, and fix
/// plans nothing.
#[test]
fn surge_rollout_keeps_one_pod_per_revision() {
    let text = std::fs::read_to_string("tests/fixtures/surge/rollout.yaml").unwrap();
    let mut snap = Snapshot::new(Source::File { paths: vec![] });
    load_text("rollout.yaml", &text, &mut snap).unwrap();
    let r = compute(
        &snap,
        &Options::new("2026-03-01T00:01:00Z".parse().unwrap()),
    )
    .unwrap();
    let pair = &r.daemon_sets[0].nodes[0];
    assert_eq!(pair.duplicates, 0);
    assert!(pair.pods.iter().all(|p| !p.duplicate));
    assert!(
        pair.outdated,
        "the old pod speaks for the node until it goes"
    );
    assert!(
        pair.reasons
            .iter()
            .any(|r| r.message.contains("agent-new replaces agent-old"))
    );

    // A third pod on the current revision is an extra; so is every pod once surge is off.
    let third = text
        .replace("name: agent-new", "name: agent-new2")
        .replace("uid: p2", "uid: p3")
        .replace(
            "creationTimestamp: \"2026-03-01T00:00:00Z\"",
            "creationTimestamp: \"2026-03-01T00:00:30Z\"",
        );
    let mut snap = Snapshot::new(Source::File { paths: vec![] });
    load_text("rollout.yaml", &text, &mut snap).unwrap();
    load_text("third.yaml", &third, &mut snap).unwrap();
    let r = compute(
        &snap,
        &Options::new("2026-03-01T00:01:00Z".parse().unwrap()),
    )
    .unwrap();
    let pair = &r.daemon_sets[0].nodes[0];
    assert_eq!(pair.duplicates, 1);
    let extras: Vec<&str> = pair
        .pods
        .iter()
        .filter(|p| p.duplicate)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(extras, ["agent-new2"]);

    let no_surge = text.replace("maxSurge: 1, maxUnavailable: 0", "maxUnavailable: 1");
    let mut snap = Snapshot::new(Source::File { paths: vec![] });
    load_text("rollout.yaml", &no_surge, &mut snap).unwrap();
    let r = compute(
        &snap,
        &Options::new("2026-03-01T00:01:00Z".parse().unwrap()),
    )
    .unwrap();
    let pair = &r.daemon_sets[0].nodes[0];
    let extras: Vec<&str> = pair
        .pods
        .iter()
        .filter(|p| p.duplicate)
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(
        extras,
        ["agent-new"],
        "without surge the newer pod is the extra"
    );
}

// ---------------------------------------------------------------------------------------------
// The controller's next action: pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode

fn phase(p: Value, phase: &str) -> Value {
    set(not_ready(p), "/status/phase", json!(phase))
}

/// `podsShouldBeOnNode`, `shouldContinueRunning` branch: on a node where only NoSchedule taints
/// are untolerated, a running pod is kept, but Failed pods (after the backoff) and Succeeded pods
/// are deleted, so no pod is left: `removedByController` is true.
#[test]
fn misscheduled_finished_pods_are_removed_by_the_controller() {
    let cases: Vec<(&str, Vec<Value>, bool, &str)> = vec![
        (
            "a running pod is kept",
            vec![pod("agent-1", "n1", "2024-05-01T00:00:00Z")],
            false,
            "keeps the existing one",
        ),
        (
            "a Failed pod is deleted (after the backoff)",
            vec![failed(pod("agent-1", "n1", "2024-05-01T00:00:00Z"))],
            true,
            "deletes the finished Failed pod agent-1",
        ),
        (
            "a Succeeded pod is deleted",
            vec![phase(
                pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
                "Succeeded",
            )],
            true,
            "deletes the finished Succeeded pod agent-1",
        ),
        (
            "a Failed pod beside a running one: the running one stays",
            vec![
                failed(pod("agent-1", "n1", "2024-05-01T00:00:00Z")),
                pod("agent-2", "n1", "2024-05-02T00:00:00Z"),
            ],
            false,
            "keeps the existing one",
        ),
    ];
    for (name, pods, removed, words) in cases {
        let mut items = vec![
            node_with_taint("n1", "dedicated", "NoSchedule"),
            daemon_set(),
        ];
        items.extend(pods);
        let r = audit(items);
        let d = only(&r);
        let p = pair(d, "n1");
        assert_eq!(p.state, State::Misscheduled, "{name}");
        assert_eq!(p.removed_by_controller, Some(removed), "{name}");
        assert_eq!(p.duplicates, 0, "{name}");
        assert!(
            p.reasons.iter().any(|r| r.message.contains(words)),
            "{name}: {:?}",
            p.reasons
        );
    }
}

/// `podsShouldBeOnNode`, `!shouldContinueRunning && exists`: every daemon pod on a node with an
/// untolerated NoExecute taint is deleted, not "the oldest kept and the rest deleted"; none is a
/// duplicate.
#[test]
fn no_execute_taint_deletes_every_pod_on_the_node() {
    for n in [1usize, 2, 3] {
        let mut items = vec![
            node_with_taint("n1", "dedicated", "NoExecute"),
            daemon_set(),
        ];
        for i in 0..n {
            items.push(pod(
                &format!("agent-{i}"),
                "n1",
                &format!("2024-05-0{}T00:00:00Z", i + 1),
            ));
        }
        let r = audit(items);
        let d = only(&r);
        let p = pair(d, "n1");
        assert_eq!(p.state, State::Misscheduled);
        assert_eq!(p.removed_by_controller, Some(true), "{n} pods");
        assert_eq!(p.duplicates, 0, "{n} pods");
        assert!(p.pods.iter().all(|p| !p.duplicate), "{n} pods");
        assert!(
            !p.reasons.iter().any(|r| r.message.contains("keeps")),
            "{n} pods: {:?}",
            p.reasons
        );
        let want = if n == 1 {
            "the controller deletes the pod on this node".to_string()
        } else {
            format!("the controller deletes every daemon pod on this node ({n})")
        };
        assert!(
            p.reasons.iter().any(|r| r.message == want),
            "{n} pods: {:?}",
            p.reasons
        );
    }
}

/// `controller_ref_manager.go: ClaimPods` → `AdoptPod`: an orphan matched by two DaemonSets can
/// be adopted by one only (the API server rejects a second controller reference), and which one
/// is whichever syncs first, which nothing decides. So it is counted for neither, both carry a
/// warning naming the other, and the orphan list says "contested". A DaemonSet that does not
/// adopt (being deleted: `claimObject` skips adoption) does not contest it.
#[test]
fn orphan_matched_by_two_daemon_sets_is_counted_for_neither() {
    let other = |deleting: bool| {
        let mut d = set(quiet(daemon_set()), "/metadata/name", json!("agent-b"));
        d = set(d, "/metadata/uid", json!("uid-agent-b"));
        if deleting {
            d = set(
                d,
                "/metadata/deletionTimestamp",
                json!("2024-06-01T11:00:00Z"),
            );
        }
        d
    };
    let stray = orphan(pod("stray", "n1", "2024-05-01T00:00:00Z"));

    let r = audit(vec![
        node("n1"),
        quiet(daemon_set()),
        other(false),
        stray.clone(),
    ]);
    assert_eq!(r.daemon_sets.len(), 2);
    for d in &r.daemon_sets {
        let p = pair(d, "n1");
        assert_eq!(p.state, State::Missing, "{}", d.name);
        assert!(p.pods.is_empty(), "{}", d.name);
        assert_eq!(d.computed_status.current_number_scheduled, 0, "{}", d.name);
        assert!(
            d.warnings.iter().any(|w| w.contains(&format!(
                "pod stray is contested: it has no controller and matches the selectors of \
                 {NS}/agent and {NS}/agent-b"
            ))),
            "{}: {:?}",
            d.name,
            d.warnings
        );
    }
    let contested: Vec<(&str, OrphanAction)> = r
        .orphans
        .iter()
        .map(|o| (o.daemon_set.as_str(), o.action))
        .collect();
    assert_eq!(
        contested,
        [
            ("ops/agent", OrphanAction::Contested),
            ("ops/agent-b", OrphanAction::Contested)
        ]
    );

    // Auditing one of them alone: the other still contests the pod.
    let mut opts = Options::new(ts(NOW));
    opts.names = vec!["agent".into()];
    let r = compute(
        &snapshot(vec![node("n1"), daemon_set(), other(false), stray.clone()]),
        &opts,
    )
    .unwrap();
    assert_eq!(pair(only(&r), "n1").state, State::Missing);

    // The other DaemonSet is being deleted: it adopts nothing, so agent adopts the pod.
    let r = audit(vec![node("n1"), daemon_set(), other(true), stray]);
    let d = r.daemon_sets.iter().find(|d| d.name == "agent").unwrap();
    assert_eq!(pair(d, "n1").state, State::Ready);
    assert_eq!(pair(d, "n1").pods[0].claim, Claim::Adopted);
}

/// Without `.status`: no status comparison (and its warning) in the way.
fn quiet(ds: Value) -> Value {
    unset(ds, "/status")
}

fn surge(ds: Value, max_surge: Value) -> Value {
    set(
        quiet(ds),
        "/spec/updateStrategy/rollingUpdate",
        json!({ "maxUnavailable": 0, "maxSurge": max_surge }),
    )
}

/// The pod names the report says the controller deletes on `node` now: the duplicates, plus the
/// old pod a surge step replaces (named in a Revision reason).
fn deleted_now(p: &PairReport) -> Vec<String> {
    let mut out: Vec<String> = p
        .pods
        .iter()
        .filter(|p| p.duplicate)
        .map(|p| p.name.clone())
        .collect();
    for r in &p.reasons {
        if r.rule == Rule::Revision
            && let Some(rest) = r.message.strip_prefix("rolling update with surge: ")
        {
            if let Some((old, _)) =
                rest.split_once(" is not ready, so the controller deletes it now")
            {
                out.push(old.to_string());
            } else if let Some((_, tail)) =
                rest.split_once(" is available, so the controller deletes ")
            {
                out.push(tail.trim_end_matches(" now").to_string());
            }
        }
    }
    out.sort();
    out
}

/// `podsShouldBeOnNode` with surge (`AllowsSurge`): of the running pods, the oldest whose
/// `controller-revision-hash` equals the current hash and the oldest other one are kept, the rest
/// deleted; a pod without the hash is not new, whatever its pod-template-generation. The old one
/// goes at once when it is not ready (`TestSurgeDeletesUnreadyOldPods`), or when the new one is
/// available at the evaluation instant (`TestSurgeDeletesOldReadyWithUnsatisfiedMinReady`:
/// minReadySeconds decides, at `now`).
#[test]
fn surge_keeps_by_revision_hash_and_replaces_as_upstream() {
    let new_pod = |name: &str, created: &str| pod(name, "n1", created);
    let old_pod = |name: &str| outdated_pod(name, "n1");
    let unlabelled = |name: &str, created: &str| {
        // Current template generation, but no revision hash.
        unset(
            pod(name, "n1", created),
            "/metadata/labels/controller-revision-hash",
        )
    };
    // (case, minReadySeconds, evaluation instant, pods, the pods deleted now)
    type SurgeCase = (
        &'static str,
        i64,
        &'static str,
        Vec<Value>,
        Vec<&'static str>,
    );
    let cases: Vec<SurgeCase> = vec![
        (
            "old ready, new not ready: both stay",
            0,
            NOW,
            vec![
                old_pod("old"),
                not_ready(new_pod("new", "2024-06-01T11:59:00Z")),
            ],
            vec![],
        ),
        (
            "TestSurgeDeletesUnreadyOldPods: an unready old pod goes at once",
            0,
            NOW,
            vec![
                not_ready(old_pod("old")),
                not_ready(new_pod("new", "2024-06-01T11:59:00Z")),
            ],
            vec!["old"],
        ),
        (
            "new pod available at the instant: the old one goes",
            15,
            NOW,
            vec![old_pod("old"), new_pod("new", "2024-06-01T11:59:00Z")],
            vec!["old"],
        ),
        (
            "new pod ready but not for minReadySeconds yet: both stay",
            15,
            "2024-06-01T11:59:10Z",
            vec![old_pod("old"), new_pod("new", "2024-06-01T11:59:00Z")],
            vec![],
        ),
        (
            "a pod without the hash is old, not new: the newer hashless one is an extra",
            0,
            NOW,
            vec![
                old_pod("old"),
                unlabelled("nohash", "2024-05-01T00:00:00Z"),
                not_ready(new_pod("new", "2024-06-01T11:59:00Z")),
            ],
            vec!["nohash"],
        ),
        (
            "a third pod on the current revision is an extra",
            0,
            NOW,
            vec![
                old_pod("old"),
                not_ready(new_pod("new", "2024-06-01T11:59:00Z")),
                not_ready(new_pod("new2", "2024-06-01T11:59:30Z")),
            ],
            vec!["new2"],
        ),
    ];
    for (name, min_ready, now, pods, want) in cases {
        let ds = set(
            surge(daemon_set(), json!(1)),
            "/spec/minReadySeconds",
            json!(min_ready),
        );
        let mut items = vec![node("n1"), ds];
        items.extend(pods);
        items.extend(two_revisions());
        let r = audit_at(items, now);
        let d = only(&r);
        assert!(d.warnings.is_empty(), "{name}: {:?}", d.warnings);
        let p = pair(d, "n1");
        assert_eq!(deleted_now(p), want, "{name}: {:?}", p.reasons);
        assert!(!p.surge_creates, "{name}");
    }
}

/// `podsShouldBeOnNode` with surge: a node whose only pod is being deleted has no running pod, so
/// the controller creates a new one at once (`TestSurgeCreatesNewPodWhenAtMaxSurgeAndOldPodDeleted`);
/// without surge it waits until the old pod is gone (`len(daemonPodsRunning) <= 1` breaks out).
#[test]
fn surge_creates_a_new_pod_beside_a_terminating_one() {
    for (max_surge, creates) in [(json!(1), true), (json!(0), false)] {
        let r = audit(vec![
            node("n1"),
            surge(daemon_set(), max_surge.clone()),
            terminating(outdated_pod("old", "n1")),
        ]);
        let p = pair(only(&r), "n1");
        assert_eq!(p.surge_creates, creates, "maxSurge {max_surge}");
        assert_eq!(
            p.reasons
                .iter()
                .any(|r| r.message.contains("creates a new pod now")),
            creates,
            "maxSurge {max_surge}: {:?}",
            p.reasons
        );
    }
}

/// `util.SurgeCount` → `intstr.GetScaledValueFromIntOrPercent(maxSurge, 1, true)`: a string
/// that is not a percentage, or a percentage that is not an integer, is an error, and
/// `AllowsSurge` is false: the DaemonSet behaves as without surge (the newer of two pods is an
/// extra), with a warning. A whole percentage rounds up to one pod.
#[test]
fn unscalable_max_surge_behaves_as_without_surge_with_a_warning() {
    let cases = [
        (json!("1"), false),
        (json!("0.5%"), false),
        (json!("10%"), true),
        (json!("0%"), true),
    ];
    for (max_surge, scalable) in cases {
        let r = audit({
            let mut items = vec![
                node("n1"),
                surge(daemon_set(), max_surge.clone()),
                outdated_pod("old", "n1"),
                not_ready(pod("new", "n1", "2024-06-01T11:59:00Z")),
            ];
            items.extend(two_revisions());
            items
        });
        let d = only(&r);
        let warned = d
            .warnings
            .iter()
            .any(|w| w.contains("maxSurge") && w.contains("as without surge"));
        assert_eq!(warned, !scalable, "{max_surge}: {:?}", d.warnings);
        let extras: Vec<&str> = pair(d, "n1")
            .pods
            .iter()
            .filter(|p| p.duplicate)
            .map(|p| p.name.as_str())
            .collect();
        // "0%" scales to 0: no surge either, so the newer pod is an extra there too.
        let surging = scalable && max_surge != json!("0%");
        let want: &[&str] = if surging { &[] } else { &["new"] };
        assert_eq!(extras, want, "{max_surge}");
    }
}

/// `controlledHistories` → `claimObject`: an orphan ControllerRevision being deleted is never
/// adopted, so it cannot be the current revision; the same revision not being deleted is.
#[test]
fn terminating_orphan_revision_is_not_claimed() {
    let orphan_rev = |deleting: bool| {
        let mut r = unset(two_revisions().remove(1), "/metadata/ownerReferences");
        if deleting {
            r = set(
                r,
                "/metadata/deletionTimestamp",
                json!("2024-06-01T11:00:00Z"),
            );
            r = set(r, "/metadata/finalizers", json!(["example.com/hold"]));
        }
        r
    };
    for (deleting, want) in [(false, Some(HASH)), (true, None)] {
        let r = audit(vec![
            node("n1"),
            daemon_set(),
            pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
            orphan_rev(deleting),
        ]);
        assert_eq!(
            only(&r).current_revision.as_deref(),
            want,
            "deleting: {deleting}"
        );
    }
}

/// `explain` and `fix` tell the same next action as the report on every case above that they
/// touch: the same state and reasons for the pair; fix never evicts a finished pod (the
/// controller deletes it), never acts on the old pod a surge step deletes, evicts every pod under
/// NoExecute without calling any a duplicate, touches no contested orphan, and says when surge
/// creates the replacement now.
#[test]
fn explain_and_fix_agree_with_the_report_on_the_next_action() {
    use ds_coverage::fix::plan::{ActionKind, Cause, FixOptions, plan};

    let surge_items = |pods: Vec<Value>| {
        let mut items = vec![node("n1"), surge(daemon_set(), json!(1))];
        items.extend(pods);
        items.extend(two_revisions());
        items
    };
    let other = set(
        set(quiet(daemon_set()), "/metadata/name", json!("agent-b")),
        "/metadata/uid",
        json!("uid-agent-b"),
    );
    // (case, objects, the actions fix plans, words the report's and explain's reasons carry,
    // words a gap's hint carries)
    type Case = (
        &'static str,
        Vec<Value>,
        Vec<(ActionKind, Cause, &'static str)>,
        &'static str,
        Option<&'static str>,
    );
    let cases: Vec<Case> = vec![
        (
            "a Failed pod on a NoSchedule-only node: the controller deletes it, fix plans no call",
            vec![
                node_with_taint("n1", "dedicated", "NoSchedule"),
                quiet(daemon_set()),
                failed(pod("agent-1", "n1", "2024-05-01T00:00:00Z")),
            ],
            vec![],
            "deletes the finished Failed pod agent-1",
            None,
        ),
        (
            "two pods under NoExecute: the controller deletes both, fix plans no call",
            vec![
                node_with_taint("n1", "dedicated", "NoExecute"),
                quiet(daemon_set()),
                pod("agent-1", "n1", "2024-05-01T00:00:00Z"),
                pod("agent-2", "n1", "2024-05-02T00:00:00Z"),
            ],
            vec![],
            "deletes every daemon pod on this node (2)",
            None,
        ),
        (
            "surge, unready old pod: the controller deletes it, fix does not",
            surge_items(vec![
                not_ready(outdated_pod("old", "n1")),
                not_ready(pod("new", "n1", "2024-06-01T11:59:00Z")),
            ]),
            vec![],
            "old is not ready, so the controller deletes it now",
            Some("kubectl logs"),
        ),
        (
            "surge, only a terminating pod: the replacement comes now",
            surge_items(vec![terminating(not_ready(outdated_pod("old", "n1")))]),
            vec![],
            "creates a new pod now",
            Some("with surge the controller creates its replacement now"),
        ),
        (
            "a contested orphan: counted for neither, touched by none",
            vec![
                node("n1"),
                quiet(daemon_set()),
                other,
                orphan(pod("stray", "n1", "2024-05-01T00:00:00Z")),
            ],
            vec![],
            "no daemon pod for this node",
            Some("no pod created"),
        ),
    ];
    for (name, items, want_actions, words, hint) in cases {
        let snap = snapshot(items);
        let opts = Options::new(ts(NOW));
        let report = compute(&snap, &opts).unwrap();
        let d = report
            .daemon_sets
            .iter()
            .find(|d| d.name == "agent")
            .unwrap();
        let p = pair(d, "n1");
        assert!(
            p.reasons.iter().any(|r| r.message.contains(words)),
            "{name}: report {:?}",
            p.reasons
        );

        let e = ds_coverage::explain::explain(&snap, Some(NS), "agent", "n1", &opts).unwrap();
        assert_eq!(e.state, p.state, "{name}");
        let msgs = |rs: &[ds_coverage::reason::Reason]| {
            rs.iter().map(|r| r.message.clone()).collect::<Vec<_>>()
        };
        assert_eq!(msgs(&e.reasons), msgs(&p.reasons), "{name}");
        // explain gives the DaemonSet's warnings, after the report-wide ones that bear on the
        // pair (tests/explain.rs pins which).
        let (wide, own) = e
            .warnings
            .split_at(e.warnings.len().saturating_sub(d.warnings.len()));
        assert_eq!(own, d.warnings, "{name}");
        assert!(
            wide.iter().all(|w| report.warnings.contains(w)),
            "{name}: {wide:?} not in {:?}",
            report.warnings
        );
        if p.removed_by_controller == Some(true) && e.verdict.should_continue_running {
            assert!(
                e.verdict.text.contains("none is left running here"),
                "{name}: {}",
                e.verdict.text
            );
        }

        let fix = plan(&report, &FixOptions::default());
        let mine: Vec<(ActionKind, Cause, &str)> = fix
            .actions
            .iter()
            .filter(|a| a.daemon_set == "agent")
            .map(|a| (a.action, a.cause, a.pod.as_str()))
            .collect();
        assert_eq!(mine, want_actions, "{name}: {:?}", fix.actions);
        // Pods the controller removes itself are named in notes, each, and never acted on.
        if p.removed_by_controller == Some(true) {
            let noted: Vec<&str> = fix.notes.iter().map(|n| n.pod.as_str()).collect();
            let live: Vec<&str> = p
                .pods
                .iter()
                .filter(|x| !x.terminating)
                .map(|x| x.name.as_str())
                .collect();
            assert_eq!(noted, live, "{name}");
            assert!(
                fix.notes.iter().all(|n| n
                    .reason
                    .ends_with("(the controller deletes it; nothing to do)")),
                "{name}: {:?}",
                fix.notes
            );
        }
        assert!(
            fix.actions
                .iter()
                .all(|a| a.action != ActionKind::Evict || !a.reason.starts_with("Failed")),
            "{name}"
        );
        if let Some(h) = hint {
            assert!(
                fix.gaps
                    .iter()
                    .any(|g| g.daemon_set == "agent" && g.hint.contains(h)),
                "{name}: {:?}",
                fix.gaps
            );
        }
    }
}
