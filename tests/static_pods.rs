//! Static pods beside DaemonSets: mirror pods (the API's copies of the pods a kubelet runs from
//! its manifest folder, `pkg/kubelet/types/pod_update.go: IsMirrorPod`) are never a DaemonSet's
//! pods, and `--static-pods` audits them as families of their own (README, "Static pods").

use ds_coverage::coverage::{Options, compute};
use ds_coverage::report::{Report, State};
use ds_coverage::snapshot::Snapshot;
use ds_coverage::source::file::load_text;
use serde_json::json;

const REAL: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real");

fn real(files: &[&str]) -> Snapshot {
    let mut snap = Snapshot::new(ds_coverage::report::Source::File { paths: vec![] });
    for f in files {
        let path = format!("{REAL}/{f}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        load_text(f, &text, &mut snap).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    snap
}

fn kind1() -> Snapshot {
    real(&[
        "sonobuoy-kind1-nodes.list.json",
        "sonobuoy-kind1-daemonsets.list.json",
        "sonobuoy-kind1-pods.list.json",
    ])
}

/// A DaemonSet in kube-system whose selector (`tier=control-plane`) matches kubeadm's four mirror
/// pods, with no pod of its own.
fn control_plane_selecting_daemon_set() -> String {
    json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "cp-agent",
            "namespace": "kube-system",
            "uid": "0a4bd2a6-5c1e-4c33-9a53-3b1f0c000001",
            "generation": 1,
            "creationTimestamp": "2019-07-26T14:00:00Z"
        },
        "spec": {
            "selector": {"matchLabels": {"tier": "control-plane"}},
            "template": {
                "metadata": {"labels": {"tier": "control-plane"}},
                "spec": {
                    "containers": [{"name": "agent", "image": "registry.example/agent:1"}],
                    "tolerations": [{"operator": "Exists"}]
                }
            },
            "updateStrategy": {"type": "RollingUpdate"}
        },
        "status": {"desiredNumberScheduled": 1, "numberMisscheduled": 0, "currentNumberScheduled": 0, "numberReady": 0, "observedGeneration": 1}
    })
    .to_string()
}

fn report(snap: &Snapshot) -> Report {
    let mut opts = Options::new("2019-07-31T12:00:00Z".parse().unwrap());
    opts.include_ineligible = true;
    compute(snap, &opts).expect("report")
}

/// kind v1.14's mirror pods carry no owner reference (the kubelet names the node as controller
/// only since 1.17), so a selector that matches them used to "adopt" them. The controller's
/// `ClaimPods` (pkg/controller/controller_ref_manager.go) can never take a pod the kubelet
/// mirrors: the kubelet owns it, and a DaemonSet that relies on one has no pod there.
#[test]
fn a_daemon_set_whose_selector_matches_mirror_pods_does_not_adopt_them() {
    let mut snap = kind1();
    load_text(
        "cp-agent.json",
        &control_plane_selecting_daemon_set(),
        &mut snap,
    )
    .unwrap();
    let mirrors = snap.pods.iter().filter(|p| p.is_mirror()).count();
    assert_eq!(mirrors, 4, "kind1 holds kubeadm's four mirror pods");
    let r = report(&snap);
    let ds = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "cp-agent")
        .expect("cp-agent audited");
    assert_eq!(ds.nodes.len(), 1);
    let pair = &ds.nodes[0];
    assert_eq!(pair.node, "kind-control-plane");
    assert_eq!(pair.state, State::Missing, "{pair:?}");
    assert_eq!(pair.duplicates, 0);
    assert!(pair.pods.is_empty(), "{:?}", pair.pods);
    assert_eq!(ds.computed_status.current_number_scheduled, 0);
    assert!(
        r.orphans
            .iter()
            .all(|o| o.daemon_set != "kube-system/cp-agent"),
        "no mirror pod is adopted: {:?}",
        r.orphans
    );
    // The other DaemonSets of the capture are untouched.
    assert!(
        r.daemon_sets
            .iter()
            .flat_map(|d| &d.nodes)
            .flat_map(|p| &p.pods)
            .all(|p| !p.name.ends_with("-kind-control-plane")),
        "no mirror pod counted for any DaemonSet"
    );
}

/// A 1.17+ mirror pod names its node as controller: it is in no DaemonSet's claim either, and
/// is no orphan.
#[test]
fn a_mirror_pod_owned_by_its_node_is_neither_claimed_nor_an_orphan() {
    let mut snap = kind1();
    let node_uid = snap.nodes[0].metadata.uid.clone();
    for p in snap.pods.iter_mut().filter(|p| p.is_mirror()) {
        p.metadata.owner_references = vec![ds_coverage::model::OwnerReference {
            api_version: "v1".into(),
            kind: "Node".into(),
            name: "kind-control-plane".into(),
            uid: node_uid.clone(),
            controller: true,
        }];
    }
    load_text(
        "cp-agent.json",
        &control_plane_selecting_daemon_set(),
        &mut snap,
    )
    .unwrap();
    let r = report(&snap);
    let ds = r.daemon_sets.iter().find(|d| d.name == "cp-agent").unwrap();
    assert_eq!(ds.nodes[0].state, State::Missing);
    assert!(ds.nodes[0].pods.is_empty());
    assert!(
        r.orphans
            .iter()
            .all(|o| !o.name.ends_with("-kind-control-plane"))
    );
}
