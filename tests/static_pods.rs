//! Static pods beside DaemonSets: mirror pods (the API's copies of the pods a kubelet runs from
//! its manifest folder, `pkg/kubelet/types/pod_update.go: IsMirrorPod`) are never a DaemonSet's
//! pods, and `--static-pods` audits them as families of their own (README, "Static pods").

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};

use ds_coverage::coverage::{Options, compute};
use ds_coverage::report::{Report, State};
use ds_coverage::snapshot::Snapshot;
use ds_coverage::source::file::load_text;
use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::Value;
use serde_json::json;
use support::generator::{AS_OF, ClusterSpec, StaticFault, add_kubeadm_static_pods, generate};

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
            uid: node_uid.as_str().into(),
            controller: true,
        }]
        .into();
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

// ---------------------------------------------------------------------------------------------
// A generated kubeadm-like cluster: 3 control-plane nodes (node-00000..2) with kubeadm's four
// static pods, etcd missing on node-00001, kube-apiserver NotReady on node-00002.

fn kubeadm_cluster() -> Value {
    let spec = ClusterSpec {
        drift: 0.0,
        ..ClusterSpec::small(11)
    };
    let mut c = generate(&spec);
    add_kubeadm_static_pods(
        &mut c,
        &[
            ("etcd", 1, StaticFault::Absent),
            ("kube-apiserver", 2, StaticFault::NotReady),
        ],
    );
    c.to_list()
}

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ds-coverage-static-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn cluster_file(tag: &str) -> String {
    let path = temp_dir(tag).join("cluster.json");
    std::fs::write(&path, serde_json::to_string(&kubeadm_cluster()).unwrap()).unwrap();
    path.to_str().unwrap().to_string()
}

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .args(["--as-of", AS_OF])
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("COLUMNS", "100")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json_of(o: &Output) -> Value {
    assert_eq!(
        o.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    serde_json::from_slice(&o.stdout).unwrap()
}

fn family<'a>(r: &'a Value, name: &str) -> &'a Value {
    r["staticPods"]
        .as_array()
        .expect("staticPods[]")
        .iter()
        .find(|f| f["name"] == name)
        .unwrap_or_else(|| panic!("no family {name}: {}", r["staticPods"]))
}

fn states(f: &Value) -> Vec<(String, String)> {
    f["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["node"].as_str().unwrap().to_string(),
                p["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

/// The per-family facts both the offline and the live run must show.
fn assert_kubeadm_families(r: &Value) {
    let names: Vec<&str> = r["staticPods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler"
        ]
    );
    let etcd = family(r, "etcd");
    assert_eq!(etcd["namespace"], "kube-system");
    assert_eq!(
        states(etcd),
        pairs(&[
            ("node-00000", "Ready"),
            ("node-00001", "Missing"),
            ("node-00002", "Ready")
        ])
    );
    assert_eq!(etcd["expectation"]["inferred"], true);
    assert_eq!(
        etcd["expectation"]["nodes"],
        "node-role.kubernetes.io/control-plane"
    );
    assert_eq!(etcd["counts"]["ready"], 2);
    assert_eq!(etcd["counts"]["missing"], 1);
    assert_eq!(etcd["counts"]["coveragePercent"], 66.67);
    assert_eq!(etcd["nodes"][1]["reasons"][0]["rule"], "noPod");
    let api = family(r, "kube-apiserver");
    assert_eq!(
        states(api),
        pairs(&[
            ("node-00000", "Ready"),
            ("node-00001", "Ready"),
            ("node-00002", "NotReady")
        ])
    );
    let not_ready = &api["nodes"][2];
    assert_eq!(not_ready["pods"][0]["name"], "kube-apiserver-node-00002");
    assert_eq!(not_ready["pods"][0]["claim"], "mirror");
    assert_eq!(not_ready["pods"][0]["restarts"], 6);
    let why = not_ready["reasons"].to_string();
    assert!(why.contains("kube-apiserver"), "{why}");
    for name in ["kube-controller-manager", "kube-scheduler"] {
        let f = family(r, name);
        assert_eq!(f["counts"]["ready"], 3, "{name}");
        assert_eq!(f["counts"]["eligible"], 3, "{name}");
    }
    // No mirror pod is any DaemonSet's.
    for d in r["daemonSets"].as_array().unwrap() {
        for p in d["nodes"].as_array().unwrap() {
            for pod in p["pods"].as_array().unwrap() {
                assert_ne!(pod["claim"], "mirror");
                assert!(!pod["name"].as_str().unwrap().starts_with("etcd-"));
            }
        }
    }
}

#[test]
fn kubeadm_cluster_offline_families_states_and_inferred_expectation() {
    let file = cluster_file("offline");
    let r = json_of(&bin(&["-f", &file, "--static-pods", "-o", "json"]));
    assert_kubeadm_families(&r);
    // Without the flag the report has no staticPods at all.
    let plain = json_of(&bin(&["-f", &file, "-o", "json"]));
    assert!(plain.get("staticPods").is_none());
    assert_eq!(plain["daemonSets"], r["daemonSets"]);
}

#[test]
fn expect_static_replaces_the_inference_and_can_name_a_family_nowhere_to_be_seen() {
    let file = cluster_file("expect");
    let r = json_of(&bin(&[
        "-f",
        &file,
        "--static-pods",
        "--expect-static",
        "etcd=node-role.kubernetes.io/control-plane",
        "--expect-static",
        "kube-system/cloud-controller=node-role.kubernetes.io/control-plane",
        "-o",
        "json",
    ]));
    let etcd = family(&r, "etcd");
    assert_eq!(etcd["expectation"]["inferred"], false);
    assert_eq!(
        etcd["expectation"]["nodes"],
        "node-role.kubernetes.io/control-plane"
    );
    assert_eq!(states(etcd)[1], ("node-00001".into(), "Missing".into()));
    let absent = family(&r, "cloud-controller");
    assert_eq!(absent["namespace"], "kube-system");
    assert_eq!(absent["counts"]["missing"], 3);
    assert_eq!(absent["counts"]["ready"], 0);
    // A selector matching the workers: etcd is Missing on every worker too.
    let r = json_of(&bin(&[
        "-f",
        &file,
        "--static-pods",
        "--expect-static",
        "etcd=kubernetes.io/os=linux",
        "-o",
        "json",
    ]));
    let etcd = family(&r, "etcd");
    assert_eq!(etcd["counts"]["ready"], 2);
    assert_eq!(etcd["counts"]["missing"], 10, "12 nodes, 2 run etcd");
    // An empty selector selects every node (as `-l ''`), and says so.
    let r = json_of(&bin(&[
        "-f",
        &file,
        "--static-pods",
        "--expect-static",
        "etcd=",
        "-o",
        "json",
    ]));
    let etcd = family(&r, "etcd");
    assert_eq!(etcd["expectation"]["nodes"], "every node");
    assert_eq!(etcd["counts"]["missing"], 10, "12 nodes, 2 run etcd");
}

#[test]
fn bad_expect_static_is_a_usage_error() {
    for (args, needle) in [
        (
            &["--static-pods", "--expect-static", "etcd"][..],
            "NAME=SELECTOR",
        ),
        (&["--expect-static", "etcd=a"], "add --static-pods"),
        (&["--static-pods", "--expect-static", "=a"], "no NAME"),
        (
            &["--static-pods", "--expect-static", "etcd=a in (b"],
            "invalid --expect-static",
        ),
        (
            &["--static-pods", "--expect-static", "Etcd=a"],
            "NAME is a pod's name without its node, in lowercase",
        ),
    ] {
        let mut all = vec!["-f", "/nonexistent.json"];
        all.extend_from_slice(args);
        let o = bin(&all);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(needle), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one line: {err}");
    }
}

#[test]
fn the_gate_counts_static_pod_violations_only_with_static_pods() {
    let file = cluster_file("gate");
    let without = bin(&["-f", &file, "--check", "-o", "json"]);
    let r: Value = serde_json::from_slice(&without.stdout).unwrap();
    let violations = r["gate"]["violations"].as_array().unwrap();
    assert!(
        violations
            .iter()
            .all(|v| !v["daemonSet"].as_str().unwrap().contains("static pod")),
        "{violations:?}"
    );
    let with = bin(&["-f", &file, "--check", "--static-pods", "-o", "json"]);
    assert_eq!(with.status.code(), Some(1));
    let r: Value = serde_json::from_slice(&with.stdout).unwrap();
    let statics: Vec<(String, String, String)> = r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["daemonSet"].as_str().unwrap().contains("static pod"))
        .map(|v| {
            (
                v["daemonSet"].as_str().unwrap().into(),
                v["node"].as_str().unwrap().into(),
                v["state"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        statics,
        [
            (
                "kube-system/etcd (static pod)".to_string(),
                "node-00001".to_string(),
                "Missing".to_string()
            ),
            (
                "kube-system/kube-apiserver (static pod)".to_string(),
                "node-00002".to_string(),
                "NotReady".to_string()
            ),
        ]
    );
    let verdict = String::from_utf8_lossy(&with.stderr);
    assert!(verdict.contains("static-pod families"), "{verdict}");
    // Each kind counted of its own: the DaemonSets failing of the DaemonSets, the two
    // families of the families.
    let failing_ds: std::collections::BTreeSet<&str> = r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["daemonSet"].as_str().unwrap())
        .filter(|d| !d.contains("static pod") && *d != "*")
        .collect();
    let ds = r["daemonSets"].as_array().unwrap().len();
    let want = format!(
        "{} of {ds} DaemonSet{} and 2 of ",
        failing_ds.len(),
        if ds == 1 { "" } else { "s" }
    );
    let first = verdict.lines().next().unwrap();
    assert!(
        first.contains(&want) && first.contains("static-pod families below policy"),
        "wants {want:?}: {first}"
    );
    // --fail-on decides for static pods too.
    let r: Value = serde_json::from_slice(
        &bin(&[
            "-f",
            &file,
            "--check",
            "--static-pods",
            "--fail-on",
            "Missing",
            "-o",
            "json",
        ])
        .stdout,
    )
    .unwrap();
    let nodes: Vec<&str> = r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["daemonSet"].as_str().unwrap().contains("static pod"))
        .map(|v| v["node"].as_str().unwrap())
        .collect();
    assert_eq!(nodes, ["node-00001"]);
}

#[test]
fn human_formats_add_a_static_section_and_leave_the_rest_as_it_was() {
    let file = cluster_file("human");
    for format in ["table", "wide"] {
        let plain = stdout(&bin(&["-f", &file, "-o", format]));
        let with = stdout(&bin(&["-f", &file, "-o", format, "--static-pods"]));
        assert!(
            with.starts_with(&plain),
            "{format}: the DaemonSet part is unchanged"
        );
        let extra = &with[plain.len()..];
        assert!(extra.contains("STATIC POD"), "{extra}");
        assert!(extra.contains("etcd"), "{extra}");
        assert!(
            extra.contains("(inferred from node roles)"),
            "the inference is said: {extra}"
        );
        assert!(
            extra.contains("node-00001  Missing  no mirror pod"),
            "{extra}"
        );
        assert!(
            extra.contains("node-00002  NotReady  container kube-apiserver"),
            "{extra}"
        );
        assert!(
            extra.lines().all(|l| l.chars().count() <= 100),
            "fits COLUMNS: {extra}"
        );
    }
    let matrix = stdout(&bin(&["-f", &file, "-o", "matrix", "--static-pods"]));
    assert!(
        matrix.contains("kube-system/etcd (static pod)"),
        "static columns are marked: {matrix}"
    );
    let plain_matrix = stdout(&bin(&["-f", &file, "-o", "matrix"]));
    assert!(!plain_matrix.contains("static pod"));
    let junit = stdout(&bin(&["-f", &file, "-o", "junit", "--static-pods"]));
    assert!(
        junit.contains(r#"<testsuite name="kube-system/etcd (static pod)" tests="3" failures="1""#),
        "{junit}"
    );
    let plain_junit = stdout(&bin(&["-f", &file, "-o", "junit"]));
    assert!(!plain_junit.contains("static pod"));
    let md = stdout(&bin(&["-f", &file, "-o", "markdown", "--static-pods"]));
    assert!(md.contains("### Static pods"), "{md}");
    assert!(md.contains("| kube-system/etcd | 2/3 |"), "{md}");
}

// ---------------------------------------------------------------------------------------------
// Live (the simulated API server): the same families, read per control-plane node.

#[test]
fn kubeadm_cluster_live_reads_mirror_pods_per_control_plane_node() {
    let sim = Simulator::start(vec![kubeadm_cluster()], SimOptions::default());
    let dir = temp_dir("live");
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    let kc = kc.to_str().unwrap();
    let live = json_of(&bin(&[
        "--kubeconfig",
        kc,
        "-A",
        "--static-pods",
        "-o",
        "json",
    ]));
    assert_kubeadm_families(&live);
    let offline = json_of(&bin(&[
        "-f",
        &cluster_file("live"),
        "--static-pods",
        "-o",
        "json",
    ]));
    assert_eq!(live["staticPods"], offline["staticPods"]);
    let reqs = sim.requests();
    let pod_lists: Vec<_> = reqs.iter().filter(|r| r.path == "/api/v1/pods").collect();
    let mut fields: Vec<String> = pod_lists
        .iter()
        .map(|r| {
            r.param("fieldSelector")
                .expect("every cluster-wide pod list is per node")
        })
        .collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "spec.nodeName=node-00000",
            "spec.nodeName=node-00001",
            "spec.nodeName=node-00002"
        ],
        "only the control-plane nodes are read"
    );
    // Without the flag no node's pods are listed.
    sim.reset_requests();
    let plain = json_of(&bin(&["--kubeconfig", kc, "-A", "-o", "json"]));
    assert!(plain.get("staticPods").is_none());
    assert!(sim.requests().iter().all(|r| r.path != "/api/v1/pods"));
}

#[test]
fn real_captures_show_their_mirror_pods_as_families() {
    // kalc-gke5: GKE runs kube-proxy as a static pod on every (role-less) node.
    let gke = real(&[
        "kalc-gke5-nodes.json",
        "kalc-gke5-daemonsets.json",
        "kalc-gke5-pods.json",
    ]);
    let mut opts = Options::new("2019-06-01T00:00:00Z".parse().unwrap());
    opts.static_pods = Some(Default::default());
    let r = compute(&gke, &opts).unwrap();
    let families = r.static_pods.as_ref().unwrap();
    assert_eq!(families.len(), 1);
    assert_eq!(families[0].name, "kube-proxy");
    assert_eq!(families[0].counts.ready, 5);
    assert!(families[0].expectation.inferred);
    assert!(
        families[0]
            .expectation
            .nodes
            .contains("without a node-role"),
        "{:?}",
        families[0].expectation
    );
    // sonobuoy-aws3 (k8s 1.8): one master with the four control-plane pods, two workers.
    let aws = real(&[
        "sonobuoy-aws3-nodes.list.json",
        "sonobuoy-aws3-daemonsets.list.json",
        "sonobuoy-aws3-pods.list.json",
    ]);
    let r = compute(&aws, &opts).unwrap();
    let families = r.static_pods.as_ref().unwrap();
    let names: Vec<&str> = families.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "etcd",
            "kube-apiserver",
            "kube-controller-manager",
            "kube-scheduler"
        ]
    );
    for f in families {
        assert_eq!(f.expectation.nodes, "node-role.kubernetes.io/master");
        assert_eq!(f.nodes.len(), 1, "{}: only the master is expected", f.name);
        assert_eq!(f.nodes[0].state, State::Ready);
    }
}

#[test]
fn explain_a_static_family_on_a_node_offline_and_live() {
    let file = cluster_file("explain");
    let o = bin(&[
        "-f",
        &file,
        "explain",
        "--static-pods",
        "etcd",
        "node-00001",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let text = stdout(&o);
    assert!(
        text.starts_with("Static pod kube-system/etcd on node node-00001: Missing"),
        "{text}"
    );
    assert!(text.contains("manifest folder"), "{text}");
    assert!(text.contains("No rule"), "placement is no rule: {text}");
    assert!(text.contains("Ready=True"), "node conditions: {text}");
    let e = json_of(&bin(&[
        "-f",
        &file,
        "explain",
        "--static-pods",
        "kube-system/kube-apiserver",
        "node-00002",
        "-o",
        "json",
    ]));
    assert_eq!(e["kind"], "StaticPodNodeExplanation");
    assert_eq!(e["state"], "NotReady");
    assert_eq!(e["expected"], true);
    assert_eq!(e["pods"][0]["name"], "kube-apiserver-node-00002");
    assert!(
        e["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("readiness"),
        "{}",
        e["reasons"]
    );
    let missing = bin(&[
        "-f",
        &file,
        "explain",
        "--static-pods",
        "nope",
        "node-00001",
    ]);
    assert_eq!(missing.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("static pod \"nope\" not found"));

    // Live: the node's own pods are read for it.
    let sim = Simulator::start(vec![kubeadm_cluster()], SimOptions::default());
    let kc = temp_dir("explain-live").join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    let live = json_of(&bin(&[
        "--kubeconfig",
        kc.to_str().unwrap(),
        "explain",
        "--static-pods",
        "kube-apiserver",
        "node-00002",
        "-o",
        "json",
    ]));
    for key in [
        "staticPod",
        "state",
        "expected",
        "reasons",
        "pods",
        "nodeConditions",
    ] {
        assert_eq!(live[key], e[key], "{key}");
    }
}

/// An `--expect-static` selector no node matches (a typo) is a gate violation of its own
/// (`NoExpectedNode`, as `--expect-nodes`), and the family says so; it never hides the family's
/// failures by expecting it nowhere.
#[test]
fn an_expect_static_selector_matching_no_node_fails_the_gate() {
    let file = cluster_file("typo");
    let gate = |expectation: &str| {
        bin(&[
            "-f",
            &file,
            "--check",
            "--static-pods",
            "--expect-static",
            expectation,
            "-o",
            "json",
        ])
    };
    let o = gate("etcd=node-role.kubernetes.io/controlplane");
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    // The gate fails (exit 1): the report is read as it is.
    let report = |o: &Output| -> Value { serde_json::from_slice(&o.stdout).unwrap() };
    let r = report(&o);
    let typo: Vec<&Value> = r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "NoExpectedNode")
        .collect();
    assert_eq!(typo.len(), 1, "{typo:?}");
    assert_eq!(typo[0]["daemonSet"], "kube-system/etcd (static pod)");
    assert!(
        typo[0]["reason"]
            .as_str()
            .unwrap()
            .contains("--expect-static etcd=node-role.kubernetes.io/controlplane"),
        "{}",
        typo[0]
    );
    let etcd = family(&r, "etcd");
    assert!(
        etcd["warnings"]
            .to_string()
            .contains("no node matches the expectation"),
        "{etcd}"
    );
    // The right selector: no such violation, no such note.
    let r = report(&gate("etcd=node-role.kubernetes.io/control-plane"));
    assert!(
        !r["gate"]["violations"]
            .to_string()
            .contains("NoExpectedNode"),
        "{}",
        r["gate"]["violations"]
    );
    assert!(
        !family(&r, "etcd")["warnings"]
            .to_string()
            .contains("no node matches")
    );
}
