//! The synthetic-cluster generator (tests/support/generator.rs): counts, determinism, object
//! shapes, pod sizes, and agreement with the real engine on every DaemonSet's status and every
//! (DaemonSet, node) pair.

mod support;

use std::collections::{BTreeMap, HashSet};
use std::sync::OnceLock;
use std::time::Instant;

use ds_coverage::coverage::{Options, compute};
use ds_coverage::report::{ComputedStatus, Report, Source};
use ds_coverage::snapshot::Snapshot;
use ds_coverage::source::file::load_text;
use serde_json::Value;
use support::generator::{
    AS_OF, Cluster, ClusterSpec, Expectations, ExpectedPair, generate, generate_serialized,
    generate_with_expectations,
};

/// The sizes and drifts the engine is cross-checked on.
fn matrix() -> Vec<ClusterSpec> {
    vec![
        ClusterSpec::small(1),
        ClusterSpec {
            drift: 0.0,
            ..ClusterSpec::small(7)
        },
        ClusterSpec {
            drift: 0.25,
            ..ClusterSpec::small(42)
        },
        ClusterSpec {
            drift: 0.25,
            daemon_pod_padding: true,
            ..ClusterSpec::small(1234)
        },
        ClusterSpec::sized(3, 300, 20, 0.0),
        ClusterSpec::sized(4, 300, 20, 0.25),
    ]
}

/// One generated and audited cluster.
struct Audited {
    spec: ClusterSpec,
    cluster: Cluster,
    expected: Expectations,
    report: Report,
}

/// The matrix, generated and audited once for all the tests here.
fn audited() -> &'static [Audited] {
    static CACHE: OnceLock<Vec<Audited>> = OnceLock::new();
    CACHE.get_or_init(|| {
        matrix()
            .into_iter()
            .map(|spec| {
                let (cluster, expected) = generate_with_expectations(&spec);
                let report = audit(&cluster);
                Audited {
                    spec,
                    cluster,
                    expected,
                    report,
                }
            })
            .collect()
    })
}

fn audit(cluster: &Cluster) -> Report {
    let text = cluster.to_json();
    let mut snap = Snapshot::new(Source::File { paths: vec![] });
    load_text("gen", &text, &mut snap).expect("the generated List loads");
    compute(&snap, &Options::new(AS_OF.parse().unwrap())).expect("compute")
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

fn id(v: &Value) -> String {
    format!(
        "{}/{}",
        str_at(v, "/metadata/namespace"),
        str_at(v, "/metadata/name")
    )
}

/// A DaemonSet's `.status` as written by the generator (absent numbers are 0, as the API omits
/// them).
fn written_status(ds: &Value) -> ComputedStatus {
    let n = |k: &str| ds["status"][k].as_i64().unwrap_or(0);
    ComputedStatus {
        desired_number_scheduled: n("desiredNumberScheduled"),
        current_number_scheduled: n("currentNumberScheduled"),
        number_misscheduled: n("numberMisscheduled"),
        number_ready: n("numberReady"),
        number_available: n("numberAvailable"),
        updated_number_scheduled: n("updatedNumberScheduled"),
        number_unavailable: n("numberUnavailable"),
    }
}

fn json_len(v: &Value) -> usize {
    serde_json::to_vec(v).unwrap().len()
}

#[test]
fn counts_follow_the_spec() {
    for Audited {
        spec, cluster: c, ..
    } in audited()
    {
        assert_eq!(c.nodes.len(), spec.nodes, "{spec:?}");
        assert_eq!(c.daemon_sets.len(), spec.daemon_sets, "{spec:?}");
        assert_eq!(
            c.ordinary_pods().count(),
            spec.nodes * spec.ordinary_pods_per_node,
            "{spec:?}"
        );
        assert!(c.daemon_pods().count() > 0, "{spec:?}");
        assert!(
            (spec.daemon_sets..=2 * spec.daemon_sets).contains(&c.revisions.len()),
            "{spec:?}: {} revisions",
            c.revisions.len()
        );
    }
    let empty = generate(&ClusterSpec {
        nodes: 0,
        daemon_sets: 0,
        ..ClusterSpec::small(1)
    });
    assert_eq!(empty.items().count(), 0);
    let one = generate(&ClusterSpec {
        nodes: 1,
        ..ClusterSpec::small(1)
    });
    assert_eq!(one.nodes.len(), 1);
}

#[test]
fn the_same_spec_gives_byte_identical_json() {
    for spec in [ClusterSpec::small(5), ClusterSpec::sized(9, 60, 12, 0.3)] {
        let a = generate(&spec).to_json();
        let b = generate(&spec).to_json();
        assert!(a == b, "two runs of {spec:?} differ");
        let other = generate(&ClusterSpec {
            seed: spec.seed + 1,
            ..spec.clone()
        });
        assert_ne!(a, other.to_json(), "seed {} changes nothing", spec.seed);
    }
}

#[test]
fn to_json_is_the_serialized_list() {
    let c = generate(&ClusterSpec::small(3));
    let list = c.to_list();
    assert_eq!(c.to_json(), serde_json::to_string(&list).unwrap());
    assert_eq!(list["apiVersion"], "v1");
    assert_eq!(list["kind"], "List");
    assert_eq!(list["metadata"]["resourceVersion"], "");
    // kubectl's order: nodes, daemonsets, pods, controllerrevisions, each sorted.
    let kinds: Vec<&str> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    let mut sorted = kinds.clone();
    let rank = |k: &str| {
        ["Node", "DaemonSet", "Pod", "ControllerRevision"]
            .iter()
            .position(|x| *x == k)
            .unwrap()
    };
    sorted.sort_by_key(|k| rank(k));
    assert_eq!(kinds, sorted);
    for group in [&c.nodes, &c.daemon_sets, &c.pods, &c.revisions] {
        let ids: Vec<String> = group.iter().map(id).collect();
        let mut s = ids.clone();
        s.sort();
        assert_eq!(ids, s);
    }
}

#[test]
fn the_serialized_form_is_the_same_cluster() {
    let spec = ClusterSpec::sized(21, 50, 10, 0.3);
    let serialized = generate_serialized(&spec);
    let json = serialized.to_json();
    assert!(json == generate(&spec).to_json());
    let mut written = Vec::new();
    serialized.write_json(&mut written).unwrap();
    assert!(written == json.as_bytes());
}

#[test]
fn padded_daemon_pods_are_five_to_eight_kilobytes() {
    // 40 DaemonSets: every profile, and copies of them.
    let extra_spec = ClusterSpec::sized(12, 40, 40, 0.5);
    let extra = generate(&extra_spec);
    let padded = audited()
        .iter()
        .filter(|a| a.spec.daemon_pod_padding)
        .map(|a| (&a.spec, &a.cluster))
        .chain([(&extra_spec, &extra)]);
    for (spec, c) in padded {
        let sizes: Vec<(usize, String)> = c.daemon_pods().map(|p| (json_len(p), id(p))).collect();
        let min = sizes.iter().min().unwrap();
        let max = sizes.iter().max().unwrap();
        assert!(
            min.0 >= 5_000 && max.0 <= 8_192,
            "{spec:?}: daemon pods from {min:?} to {max:?} bytes"
        );
    }
    // Padding is what makes them that large.
    let bytes = |padding: bool| -> usize {
        let spec = ClusterSpec {
            daemon_pod_padding: padding,
            ..ClusterSpec::small(11)
        };
        generate(&spec).daemon_pods().map(json_len).sum()
    };
    assert!(bytes(false) < bytes(true));
}

fn is_uuid(s: &str) -> bool {
    s.len() == 36
        && s.char_indices().all(|(i, ch)| match i {
            8 | 13 | 18 | 23 => ch == '-',
            _ => ch.is_ascii_hexdigit() && !ch.is_ascii_uppercase(),
        })
}

#[test]
fn objects_have_the_api_server_shapes() {
    let default_tolerations = [
        ("node.kubernetes.io/not-ready", "NoExecute"),
        ("node.kubernetes.io/unreachable", "NoExecute"),
        ("node.kubernetes.io/disk-pressure", "NoSchedule"),
        ("node.kubernetes.io/memory-pressure", "NoSchedule"),
        ("node.kubernetes.io/pid-pressure", "NoSchedule"),
        ("node.kubernetes.io/unschedulable", "NoSchedule"),
    ];
    for spec in [
        ClusterSpec {
            drift: 0.25,
            ..ClusterSpec::small(42)
        },
        ClusterSpec::sized(8, 120, 24, 0.3),
    ] {
        let c = generate(&spec);
        let mut uids = HashSet::new();
        for item in c.items() {
            let what = format!("{} {}", item["kind"], id(item));
            assert!(item["apiVersion"].is_string(), "{what}");
            let meta = &item["metadata"];
            assert!(!str_at(meta, "/name").is_empty(), "{what}");
            assert!(is_uuid(str_at(meta, "/uid")), "{what}: uid");
            assert!(
                uids.insert(str_at(meta, "/uid").to_string()),
                "{what}: uid reused"
            );
            let rv = str_at(meta, "/resourceVersion");
            assert!(
                !rv.is_empty() && rv.bytes().all(|b| b.is_ascii_digit()),
                "{what}"
            );
            let created = str_at(meta, "/creationTimestamp");
            assert!(
                created.len() == 20 && created.starts_with("2026-11-") && created < AS_OF,
                "{what}: creationTimestamp {created}"
            );
            assert_eq!(
                meta.get("namespace").is_some(),
                item["kind"] != "Node",
                "{what}: namespace"
            );
            if item["kind"] != "ControllerRevision" {
                assert!(
                    item["spec"].is_object() && item["status"].is_object(),
                    "{what}"
                );
            }
        }

        let nodes: HashSet<&str> = c
            .nodes
            .iter()
            .map(|n| str_at(n, "/metadata/name"))
            .collect();
        for n in &c.nodes {
            let labels = &n["metadata"]["labels"];
            for key in [
                "kubernetes.io/hostname",
                "kubernetes.io/os",
                "kubernetes.io/arch",
                "node.kubernetes.io/instance-type",
                "topology.kubernetes.io/zone",
            ] {
                assert!(labels[key].is_string(), "{} lacks {key}", id(n));
            }
            assert!(n["status"]["allocatable"]["pods"].is_string());
            assert!(n["status"]["conditions"].as_array().unwrap().len() == 4);
        }

        let ds_by_uid: BTreeMap<&str, &Value> = c
            .daemon_sets
            .iter()
            .map(|d| (str_at(d, "/metadata/uid"), d))
            .collect();
        for pod in c.daemon_pods() {
            let what = id(pod);
            let owner = &pod["metadata"]["ownerReferences"][0];
            let ds = ds_by_uid[owner["uid"].as_str().unwrap()];
            assert_eq!(owner["controller"], true);
            assert_eq!(owner["name"], ds["metadata"]["name"], "{what}");
            assert_eq!(pod["metadata"]["namespace"], ds["metadata"]["namespace"]);
            let labels = &pod["metadata"]["labels"];
            assert!(labels["controller-revision-hash"].is_string(), "{what}");
            assert!(labels["pod-template-generation"].is_string(), "{what}");
            for (k, v) in ds["spec"]["selector"]["matchLabels"].as_object().unwrap() {
                assert_eq!(&labels[k], v, "{what}: selector label {k}");
            }
            let field = &pod["spec"]["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
                ["nodeSelectorTerms"][0]["matchFields"][0];
            assert_eq!(field["key"], "metadata.name", "{what}");
            assert_eq!(field["operator"], "In", "{what}");
            let target = field["values"][0].as_str().unwrap();
            assert!(nodes.contains(target), "{what}: targets {target}");
            if let Some(bound) = pod["spec"]["nodeName"].as_str() {
                assert_eq!(bound, target, "{what}");
            } else {
                assert_eq!(pod["status"]["phase"], "Pending", "{what}");
            }
            let tolerations = pod["spec"]["tolerations"].as_array().unwrap();
            for (key, effect) in default_tolerations {
                assert!(
                    tolerations.iter().any(|t| t["key"] == key
                        && t["effect"] == effect
                        && t["operator"] == "Exists"),
                    "{what}: lacks the default toleration {key}:{effect}"
                );
            }
        }
        for pod in c.ordinary_pods() {
            assert_eq!(pod["metadata"]["ownerReferences"][0]["kind"], "ReplicaSet");
            assert!(["default", "apps"].contains(&str_at(pod, "/metadata/namespace")));
            assert!(nodes.contains(str_at(pod, "/spec/nodeName")));
        }

        // The newest revision of each DaemonSet records its template ($patch inside template).
        let mut newest: BTreeMap<&str, &Value> = BTreeMap::new();
        for r in &c.revisions {
            let owner = str_at(r, "/metadata/ownerReferences/0/uid");
            let ds = ds_by_uid[owner];
            let hash = str_at(r, "/metadata/labels/controller-revision-hash");
            assert_eq!(
                str_at(r, "/metadata/name"),
                format!("{}-{hash}", str_at(ds, "/metadata/name"))
            );
            assert_eq!(r["data"]["spec"]["template"]["$patch"], "replace");
            let entry = newest.entry(owner).or_insert(r);
            if r["revision"].as_i64() > entry["revision"].as_i64() {
                *entry = r;
            }
        }
        for (uid, ds) in &ds_by_uid {
            let r = newest[uid];
            let mut recorded = r["data"]["spec"]["template"].clone();
            recorded.as_object_mut().unwrap().remove("$patch");
            assert_eq!(recorded, ds["spec"]["template"], "{}", id(ds));
            assert_eq!(
                r["metadata"]["annotations"]["deprecated.daemonset.template.generation"],
                ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"]
            );
            assert_eq!(
                ds["status"]["observedGeneration"],
                ds["metadata"]["generation"],
                "{}",
                id(ds)
            );
        }
    }
}

/// The engine's pairs, in the generator's terms.
fn engine_pairs(report: &Report) -> BTreeMap<(String, String), ExpectedPair> {
    let mut out = BTreeMap::new();
    for ds in &report.daemon_sets {
        for pair in &ds.nodes {
            out.insert(
                (format!("{}/{}", ds.namespace, ds.name), pair.node.clone()),
                ExpectedPair {
                    state: pair.state.as_str(),
                    eligible: pair.eligible,
                    outdated: pair.outdated,
                    duplicates: pair.duplicates,
                    pods: pair.pods.len(),
                },
            );
        }
    }
    out
}

#[test]
fn the_engine_agrees_with_every_generated_status_and_pair() {
    for Audited {
        spec,
        cluster,
        expected,
        report,
    } in audited()
    {
        assert_eq!(report.daemon_sets.len(), spec.daemon_sets, "{spec:?}");
        assert_eq!(report.summary.nodes, spec.nodes, "{spec:?}");
        assert!(report.orphans.is_empty(), "{spec:?}: {:?}", report.orphans);
        assert!(
            report.warnings.is_empty(),
            "{spec:?}: {:?}",
            report.warnings
        );
        let generated: BTreeMap<&str, &Value> = cluster
            .daemon_sets
            .iter()
            .map(|d| (str_at(d, "/metadata/uid"), d))
            .collect();
        for ds in &report.daemon_sets {
            let what = format!("{spec:?}: {}/{}", ds.namespace, ds.name);
            let written = generated[ds.uid.as_str()];
            assert_eq!(ds.computed_status, written_status(written), "{what}");
            assert_eq!(ds.status_agrees, Some(true), "{what}: {:?}", ds.warnings);
            assert!(ds.warnings.is_empty(), "{what}: {:?}", ds.warnings);
            assert!(ds.current_revision.is_some(), "{what}");
            assert!(ds.pods_on_missing_nodes.is_empty(), "{what}");
        }
        let engine = engine_pairs(report);
        for (key, want) in &expected.pairs {
            assert_eq!(engine.get(key), Some(want), "{spec:?}: pair {key:?}");
        }
        for key in engine.keys() {
            assert!(
                expected.pairs.contains_key(key),
                "{spec:?}: the engine reports {key:?}, the generator made it Ineligible"
            );
        }
    }
}

#[test]
fn drift_shows_every_state() {
    for Audited { spec, report, .. } in audited().iter().filter(|a| a.spec.drift >= 0.2) {
        let c = &report.summary.counts;
        let seen = [
            ("Ready", c.ready),
            ("NotReady", c.not_ready),
            ("Pending", c.pending),
            ("Failed", c.failed),
            ("Missing", c.missing),
            ("Misscheduled", c.misscheduled),
            ("outdated", c.outdated),
        ];
        for (state, count) in seen {
            assert!(count > 0, "{spec:?}: no {state} pair in {c:?}");
        }
        let duplicates: usize = report
            .daemon_sets
            .iter()
            .flat_map(|d| &d.nodes)
            .map(|p| p.duplicates)
            .sum();
        assert!(duplicates > 0, "{spec:?}: no duplicate pods");
    }
}

#[test]
fn without_drift_every_eligible_pair_is_ready_and_current() {
    for Audited { spec, report, .. } in audited().iter().filter(|a| a.spec.drift == 0.0) {
        let c = &report.summary.counts;
        assert!(c.eligible > 0);
        assert_eq!(c.ready, c.eligible, "{spec:?}: {c:?}");
        assert_eq!(c.misscheduled + c.outdated, 0, "{spec:?}: {c:?}");
        assert_eq!(c.coverage_percent, Some(100.0));
    }
}

/// Timing for the benchmark size: `cargo test --release --test generator -- --ignored --nocapture`.
/// (Use `generate_serialized` at this size: as `Value`s the same cluster takes over 10 GB.)
#[test]
#[ignore]
fn timing_5000_nodes_40_daemon_sets() {
    let spec = ClusterSpec::sized(2026, 5_000, 40, 0.1);
    let start = Instant::now();
    let cluster = generate_serialized(&spec);
    let generated = start.elapsed();
    let start = Instant::now();
    let json = cluster.to_json();
    let joined = start.elapsed();
    let daemon_pods = cluster
        .pods
        .iter()
        .filter(|p| p.contains(r#""kind":"DaemonSet""#))
        .count();
    eprintln!(
        "5000 nodes x 40 DaemonSets (padded, drift 0.1): generate_serialized {generated:.2?}, \
         to_json {joined:.2?}; {daemon_pods} daemon pods, {} pods in all, {} revisions, {:.1} MB \
         of JSON",
        cluster.pods.len(),
        cluster.revisions.len(),
        json.len() as f64 / 1e6
    );
}
