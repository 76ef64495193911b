//! The engine against real cluster captures (tests/fixtures/real, see its README): the computed
//! status must equal what the real DaemonSet controller wrote to every DaemonSet's `.status`.

use ds_coverage::coverage::{Options, compute};
use ds_coverage::report::{Report, State};
use ds_coverage::source::file::load;
use jiff::Timestamp;

/// After every capture in the directory (the newest timestamp is from 2024-11-20).
const NOW: &str = "2025-01-01T00:00:00Z";

/// The one DaemonSet whose captured status lags behind its pod (README, "status lag").
const STALE: &str = "heptio-sonobuoy/sonobuoy-e2eds-daemon-set-e3edc45d5adf4fb1";

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/real/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn audit(files: &[&str], include_ineligible: bool) -> Report {
    let paths: Vec<String> = files.iter().map(|f| fixture(f)).collect();
    let snap = load(&paths, &mut std::io::empty()).expect("fixtures load");
    let mut opts = Options::new(NOW.parse::<Timestamp>().unwrap());
    opts.include_ineligible = include_ineligible;
    compute(&snap, &opts).expect("compute")
}

/// Every DaemonSet's computed desired/current/misscheduled/ready equal its captured `.status`,
/// and statusAgrees is true (false only for the known stale one). Returns how many were checked.
fn assert_matches_controller(
    group: &str,
    files: &[&str],
    want_daemon_sets: usize,
    want_nodes: usize,
) {
    let r = audit(files, false);
    assert_eq!(r.summary.nodes, want_nodes, "{group}: nodes");
    assert_eq!(r.daemon_sets.len(), want_daemon_sets, "{group}: DaemonSets");
    let mut checked = 0;
    for d in &r.daemon_sets {
        let id = format!("{}/{}", d.namespace, d.name);
        let cs = d
            .controller_status
            .as_ref()
            .unwrap_or_else(|| panic!("{group} {id}: the capture has a status"));
        let (want, got) = (&cs.numbers, &d.computed_status);
        let project = |s: &ds_coverage::report::ComputedStatus| {
            (
                s.desired_number_scheduled,
                s.current_number_scheduled,
                s.number_misscheduled,
                s.number_ready,
            )
        };
        if id == STALE {
            // The capture says ready 0; the pod has been Ready for a while. The newer copy in the
            // same tarball shows ready 1, which is what the objects say.
            assert_eq!(project(want), (1, 1, 0, 0), "{group} {id}: captured status");
            assert_eq!(project(got), (1, 1, 0, 1), "{group} {id}: computed status");
            assert_eq!(d.status_agrees, Some(false), "{group} {id}");
            assert!(
                d.warnings
                    .iter()
                    .any(|w| w.contains("numberReady 0 (objects say 1)")),
                "{group} {id}: {:?}",
                d.warnings
            );
        } else {
            assert_eq!(
                project(got),
                project(want),
                "{group} {id}: computed vs .status"
            );
            assert_eq!(
                d.status_agrees,
                Some(true),
                "{group} {id}: {:?}",
                d.warnings
            );
        }
        // The pairs agree with the numbers: eligible pairs = desired, misscheduled likewise.
        assert_eq!(
            d.counts.eligible as i64, got.desired_number_scheduled,
            "{group} {id}: eligible"
        );
        assert_eq!(
            d.counts.misscheduled as i64, got.number_misscheduled,
            "{group} {id}: misscheduled pairs"
        );
        assert_eq!(
            (d.counts.eligible - d.counts.missing) as i64,
            got.current_number_scheduled,
            "{group} {id}: pairs with a pod"
        );
        checked += 1;
    }
    assert_eq!(
        checked, want_daemon_sets,
        "{group}: every DaemonSet checked"
    );
}

#[test]
fn mustgather_ocp48_aws6_matches_the_controller() {
    assert_matches_controller(
        "mustgather-ocp48-aws6",
        &[
            "mustgather-ocp48-aws6-nodes.yaml",
            "mustgather-ocp48-aws6-daemonsets.yaml",
            "mustgather-ocp48-aws6-pods.yaml",
        ],
        18,
        6,
    );
}

#[test]
fn sonobuoy_aws3_matches_the_controller() {
    assert_matches_controller(
        "sonobuoy-aws3",
        &[
            "sonobuoy-aws3-nodes.list.json",
            "sonobuoy-aws3-daemonsets.list.json",
            "sonobuoy-aws3-pods.list.json",
        ],
        4,
        3,
    );
}

#[test]
fn sonobuoy_kind1_matches_the_controller_except_the_stale_status() {
    assert_matches_controller(
        "sonobuoy-kind1",
        &[
            "sonobuoy-kind1-nodes.list.json",
            "sonobuoy-kind1-daemonsets.list.json",
            "sonobuoy-kind1-pods.list.json",
        ],
        6,
        1,
    );
}

#[test]
fn kalc_gke5_matches_the_controller() {
    assert_matches_controller(
        "kalc-gke5",
        &[
            "kalc-gke5-nodes.json",
            "kalc-gke5-daemonsets.json",
            "kalc-gke5-pods.json",
        ],
        5,
        5,
    );
}

/// README facts that pin specific rules: master-only nodeSelector, an unmatched nodeSelector and
/// an unmatched required affinity (desired 0), master taints limiting coverage.
#[test]
fn fixture_ground_truth_details() {
    let r = audit(
        &[
            "kalc-gke5-nodes.json",
            "kalc-gke5-daemonsets.json",
            "kalc-gke5-pods.json",
        ],
        true,
    );
    let by_name = |name: &str| r.daemon_sets.iter().find(|d| d.name == name).unwrap();
    for name in ["metadata-proxy-v0.1", "nvidia-gpu-device-plugin"] {
        let d = by_name(name);
        assert_eq!(d.computed_status.desired_number_scheduled, 0, "{name}");
        assert!(
            d.nodes.iter().all(|p| p.state == State::Ineligible),
            "{name}"
        );
    }
    assert!(
        by_name("metadata-proxy-v0.1").exclusions[0]
            .reason
            .message
            .contains("beta.kubernetes.io/metadata-proxy-ready=true")
    );
    assert_eq!(
        by_name("fluentd-gcp-v3.2.0")
            .computed_status
            .desired_number_scheduled,
        5
    );
    // GKE's kube-proxy runs as static pods with no owner: nothing adopts them.
    assert!(
        r.orphans.iter().all(|o| !o.name.starts_with("kube-proxy")),
        "{:?}",
        r.orphans
    );

    let r = audit(
        &[
            "sonobuoy-aws3-nodes.list.json",
            "sonobuoy-aws3-daemonsets.list.json",
            "sonobuoy-aws3-pods.list.json",
        ],
        false,
    );
    let etcd = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "calico-etcd")
        .unwrap();
    assert_eq!(etcd.computed_status.desired_number_scheduled, 1);
    assert_eq!(etcd.nodes.len(), 1);
    assert_eq!(etcd.nodes[0].state, State::Ready);

    let r = audit(
        &[
            "mustgather-ocp48-aws6-nodes.yaml",
            "mustgather-ocp48-aws6-daemonsets.yaml",
            "mustgather-ocp48-aws6-pods.yaml",
        ],
        false,
    );
    let canary = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "ingress-canary")
        .unwrap();
    assert_eq!(canary.computed_status.desired_number_scheduled, 3);
    assert!(
        canary
            .exclusions
            .iter()
            .any(|e| e.count == 3 && e.reason.message.contains("node-role.kubernetes.io/master")),
        "{:?}",
        canary.exclusions
    );
    let term = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "machine-api-termination-handler")
        .unwrap();
    assert_eq!(term.computed_status.desired_number_scheduled, 0);
}

/// oc-upgrade: cordoned nodes stay eligible (the unschedulable taint is tolerated by default and
/// the flag is ignored); master-tainted ones are not; PreferNoSchedule is ignored.
#[test]
fn cordoned_nodes_are_eligible_master_tainted_are_not() {
    let ds = r#"{
      "apiVersion": "apps/v1",
      "kind": "DaemonSet",
      "metadata": { "name": "node-agent", "namespace": "monitoring", "uid": "0d5c5f0e-1111-4222-8333-444455556666", "generation": 1 },
      "spec": {
        "selector": { "matchLabels": { "app": "node-agent" } },
        "template": {
          "metadata": { "labels": { "app": "node-agent" } },
          "spec": { "containers": [{ "name": "agent", "image": "registry.example/node-agent:1.0" }] }
        }
      }
    }"#;
    let paths = vec![fixture("oc-upgrade-aws6-cordoned-nodes.yaml")];
    let mut snap = load(&paths, &mut std::io::empty()).expect("nodes load");
    ds_coverage::source::file::load_text("inline.json", ds, &mut snap).expect("DaemonSet loads");
    assert_eq!(snap.nodes.len(), 6);
    let mut opts = Options::new(NOW.parse::<Timestamp>().unwrap());
    opts.include_ineligible = true;
    let r = compute(&snap, &opts).unwrap();
    let d = &r.daemon_sets[0];
    let eligible = |name: &str| {
        d.nodes
            .iter()
            .find(|p| p.node == name)
            .unwrap_or_else(|| panic!("no pair for {name}"))
            .eligible
    };
    // Cordoned worker: flag and taint, still eligible.
    assert!(eligible("ip-10-0-22-179.us-east-2.compute.internal"));
    // Cordoned master: eligible only for the cordon, the master taint excludes it.
    assert!(!eligible("ip-10-0-33-81.us-east-2.compute.internal"));
    // Masters with UpdateInProgress:PreferNoSchedule: the master taint excludes them.
    assert!(!eligible("ip-10-0-45-170.us-east-2.compute.internal"));
    assert!(!eligible("ip-10-0-95-224.us-east-2.compute.internal"));
    // Workers, one with only PreferNoSchedule.
    assert!(eligible("ip-10-0-17-117.us-east-2.compute.internal"));
    assert!(eligible("ip-10-0-72-40.us-east-2.compute.internal"));
    assert_eq!(d.computed_status.desired_number_scheduled, 3);
    assert_eq!(d.counts.missing, 3);
    let master = d
        .nodes
        .iter()
        .find(|p| p.node == "ip-10-0-33-81.us-east-2.compute.internal")
        .unwrap();
    assert_eq!(master.state, State::Ineligible);
    assert!(
        master
            .reasons
            .iter()
            .all(|r| r.message.contains("node-role.kubernetes.io/master")),
        "only the master taint excludes it: {:?}",
        master.reasons
    );
    // The node report shows the cordon.
    let cordoned: Vec<&str> = r
        .nodes
        .iter()
        .filter(|n| n.unschedulable)
        .map(|n| n.name.as_str())
        .collect();
    assert_eq!(
        cordoned,
        [
            "ip-10-0-22-179.us-east-2.compute.internal",
            "ip-10-0-33-81.us-east-2.compute.internal"
        ]
    );
}
