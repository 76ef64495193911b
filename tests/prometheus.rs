//! `-o prometheus` read back by real parsers of the format — the strict OpenMetrics parser of
//! Debian's python3-prometheus-client and `promtool check metrics` (the classic text parser the
//! textfile collector and the Pushgateway use) — and its values checked against the JSON report;
//! the monitoring recipe in deploy/ (README, "Monitoring") checked as Kubernetes objects, its
//! RBAC against what the binary requests from the simulated API server, and its alert rules
//! with `promtool check rules`. `.ci/run` installs both programs; without them these tests fail.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Output, Stdio};

use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-20T12:00:00Z";
/// Debian's interpreter: python3-prometheus-client installs for it (not for another python3
/// that may come first on PATH).
const PYTHON: &str = "/usr/bin/python3";

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap()
}

fn text(o: &Output, codes: &[i32]) -> String {
    assert!(
        codes.contains(&o.status.code().unwrap_or(-1)),
        "exit {:?}: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

/// A directory of this test process's own.
fn temp_dir(tag: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("ds-coverage-prom-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// `promtool ARGS`, which must succeed.
fn promtool(args: &[&str]) {
    let o = Command::new("promtool")
        .args(args)
        .output()
        .expect("promtool runs (Debian package prometheus; .ci/run installs it)");
    assert!(
        o.status.success(),
        "promtool {args:?}: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

fn run_with_stdin(program: &str, args: &[&str], input: &str) -> Output {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| {
            panic!("{program} cannot run ({e}): install python3-prometheus-client and prometheus (Debian packages; .ci/run does)")
        });
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

/// One sample as the parser read it.
#[derive(Debug, Clone)]
struct Sample {
    family: String,
    unit: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

const PARSE: &str = r#"
import json, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
out = []
for fam in text_string_to_metric_families(sys.stdin.read()):
    for s in fam.samples:
        out.append({"family": fam.name, "type": fam.type, "unit": fam.unit, "sample": s.name,
                    "labels": s.labels, "value": s.value})
json.dump(out, sys.stdout)
"#;

/// Parse with both parsers (failing the test on any error) and return the OpenMetrics samples.
fn parse(metrics: &str) -> Vec<Sample> {
    let o = run_with_stdin(PYTHON, &["-c", PARSE], metrics);
    assert!(
        o.status.success(),
        "the OpenMetrics parser rejects the output: {}\n{metrics}",
        String::from_utf8_lossy(&o.stderr)
    );
    let promtool = run_with_stdin("promtool", &["check", "metrics"], metrics);
    assert!(
        promtool.status.success(),
        "promtool check metrics: {}{}",
        String::from_utf8_lossy(&promtool.stdout),
        String::from_utf8_lossy(&promtool.stderr)
    );
    let v: Vec<Value> = serde_json::from_slice(&o.stdout).unwrap();
    v.into_iter()
        .map(|s| {
            assert_eq!(s["type"], "gauge", "{s}");
            assert_eq!(
                s["family"], s["sample"],
                "a gauge's sample is named as its family"
            );
            Sample {
                family: s["family"].as_str().unwrap().to_string(),
                unit: s["unit"].as_str().unwrap().to_string(),
                labels: serde_json::from_value(s["labels"].clone()).unwrap(),
                value: s["value"].as_f64().unwrap(),
            }
        })
        .collect()
}

fn of<'a>(samples: &'a [Sample], family: &str) -> Vec<&'a Sample> {
    samples.iter().filter(|s| s.family == family).collect()
}

/// The value of the one sample of `family` whose labels include `labels`.
fn value(samples: &[Sample], family: &str, labels: &[(&str, &str)]) -> Option<f64> {
    let found: Vec<f64> = of(samples, family)
        .into_iter()
        .filter(|s| {
            labels
                .iter()
                .all(|(k, v)| s.labels.get(*k).map(String::as_str) == Some(*v))
        })
        .map(|s| s.value)
        .collect();
    assert!(found.len() <= 1, "{family} {labels:?}: {found:?}");
    found.first().copied()
}

fn json_state(s: &str) -> &'static str {
    match s {
        "Ready" => "ready",
        "NotReady" => "notReady",
        "Pending" => "pending",
        "Failed" => "failed",
        "Missing" => "missing",
        "Misscheduled" => "misscheduled",
        other => panic!("{other}"),
    }
}

/// Every per-DaemonSet and per-pair series equals what the JSON report of the same input says.
fn assert_matches_report(samples: &[Sample], report: &Value) {
    let nodes = report["nodes"].as_array().unwrap().len();
    assert_eq!(value(samples, "ds_coverage_nodes", &[]), Some(nodes as f64));
    let daemon_sets = report["daemonSets"].as_array().unwrap();
    assert_eq!(
        value(samples, "ds_coverage_daemonsets", &[]),
        Some(daemon_sets.len() as f64)
    );
    let mut gaps_want = BTreeSet::new();
    for d in daemon_sets {
        let (ns, name) = (
            d["namespace"].as_str().unwrap(),
            d["name"].as_str().unwrap(),
        );
        let id = [("namespace", ns), ("daemonset", name)];
        let counts = &d["counts"];
        let mut sum = 0.0;
        for state in [
            "Ready",
            "NotReady",
            "Pending",
            "Failed",
            "Missing",
            "Misscheduled",
        ] {
            let got = value(
                samples,
                "ds_coverage_pairs",
                &[id[0], id[1], ("state", state)],
            );
            assert_eq!(
                got,
                counts[json_state(state)].as_f64(),
                "{ns}/{name} {state}"
            );
            sum += got.unwrap();
        }
        let ineligible = value(
            samples,
            "ds_coverage_pairs",
            &[id[0], id[1], ("state", "Ineligible")],
        )
        .unwrap();
        // Every audited node is one pair of the DaemonSet.
        assert_eq!(sum + ineligible, nodes as f64, "{ns}/{name}");
        let eligible = counts["eligible"].as_f64().unwrap();
        let ratio = value(samples, "ds_coverage_coverage_ratio", &id);
        if eligible == 0.0 {
            assert_eq!(ratio, None, "{ns}/{name}: no eligible node, no ratio");
            assert!(counts["coveragePercent"].is_null());
        } else {
            let r = ratio.unwrap();
            assert_eq!(r, counts["ready"].as_f64().unwrap() / eligible);
            let pct = counts["coveragePercent"].as_f64().unwrap();
            assert!((r * 100.0 - pct).abs() <= 0.005, "{r} vs {pct}");
        }
        assert_eq!(
            value(samples, "ds_coverage_outdated_pairs", &id),
            counts["outdated"].as_f64()
        );
        let status = &d["computedStatus"];
        for (family, field) in [
            (
                "ds_coverage_status_desired_number_scheduled",
                "desiredNumberScheduled",
            ),
            (
                "ds_coverage_status_current_number_scheduled",
                "currentNumberScheduled",
            ),
            (
                "ds_coverage_status_number_misscheduled",
                "numberMisscheduled",
            ),
            ("ds_coverage_status_number_ready", "numberReady"),
            ("ds_coverage_status_number_available", "numberAvailable"),
            (
                "ds_coverage_status_updated_number_scheduled",
                "updatedNumberScheduled",
            ),
            ("ds_coverage_status_number_unavailable", "numberUnavailable"),
        ] {
            assert_eq!(
                value(samples, family, &id),
                status[field].as_f64(),
                "{family}"
            );
        }
        assert_eq!(
            value(samples, "ds_coverage_status_agrees", &id),
            d["statusAgrees"].as_bool().map(|b| f64::from(u8::from(b)))
        );
        for action in ["adopt", "release", "contested"] {
            let want = report["orphans"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|o| o["daemonSet"] == format!("{ns}/{name}") && o["action"] == action)
                .count();
            assert_eq!(
                value(
                    samples,
                    "ds_coverage_orphan_pods",
                    &[id[0], id[1], ("action", action)]
                ),
                Some(want as f64)
            );
        }
        assert_eq!(
            value(samples, "ds_coverage_pods_on_missing_nodes", &id),
            Some(d["podsOnMissingNodes"].as_array().unwrap().len() as f64)
        );
        for p in d["nodes"].as_array().unwrap() {
            let state = p["state"].as_str().unwrap();
            if state != "Ready" && state != "Ineligible" {
                gaps_want.insert((
                    ns.to_string(),
                    name.to_string(),
                    p["node"].as_str().unwrap().to_string(),
                    state.to_string(),
                    p["reasons"][0]["rule"].as_str().unwrap_or("").to_string(),
                ));
            }
        }
    }
    let gaps_got: BTreeSet<_> = of(samples, "ds_coverage_gap")
        .into_iter()
        .map(|s| {
            assert_eq!(s.value, 1.0);
            let l = |k: &str| s.labels[k].clone();
            (
                l("namespace"),
                l("daemonset"),
                l("node"),
                l("state"),
                l("reason"),
            )
        })
        .collect();
    assert_eq!(gaps_got, gaps_want);
    assert_eq!(value(samples, "ds_coverage_gaps_truncated", &[]), Some(0.0));
    let generated: jiff::Timestamp = report["generatedAt"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        value(samples, "ds_coverage_last_run_timestamp_seconds", &[]),
        Some(generated.as_second() as f64)
    );
    assert_eq!(
        of(samples, "ds_coverage_last_run_timestamp_seconds")[0].unit,
        "seconds"
    );
    assert_eq!(value(samples, "ds_coverage_cluster_up", &[]), Some(1.0));
}

fn example(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["-f", "examples/cluster.yaml", "--as-of", AS_OF]
        .map(String::from)
        .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run(args: &[String], codes: &[i32]) -> String {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    text(&bin(&refs), codes)
}

#[test]
fn example_metrics_equal_the_json_report_and_carry_the_gate() {
    let metrics = run(&example(&["-o", "prometheus", "--check"]), &[1]);
    assert!(metrics.ends_with("# EOF\n"));
    let samples = parse(&metrics);
    let report: Value =
        serde_json::from_str(&run(&example(&["-o", "json", "--check"]), &[1])).unwrap();
    assert_matches_report(&samples, &report);
    // A file names no cluster: no sample carries the label.
    assert!(samples.iter().all(|s| !s.labels.contains_key("cluster")));
    // dcgm-exporter is eligible nowhere: every state series is there, at 0 but Ineligible.
    let dcgm = [
        ("namespace", "gpu-operator"),
        ("daemonset", "dcgm-exporter"),
    ];
    assert_eq!(
        value(
            &samples,
            "ds_coverage_pairs",
            &[dcgm[0], dcgm[1], ("state", "Missing")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "ds_coverage_pairs",
            &[dcgm[0], dcgm[1], ("state", "Ineligible")]
        ),
        Some(8.0)
    );
    // The gate: failed, and the violations by kind as the JSON lists them.
    assert_eq!(value(&samples, "ds_coverage_gate_passed", &[]), Some(0.0));
    let mut by_kind: BTreeMap<String, f64> = BTreeMap::new();
    for v in report["gate"]["violations"].as_array().unwrap() {
        *by_kind
            .entry(v["state"].as_str().unwrap().to_string())
            .or_default() += 1.0;
    }
    assert_eq!(by_kind["NotReady"], 3.0);
    for s in of(&samples, "ds_coverage_gate_violations") {
        let kind = &s.labels["kind"];
        assert_eq!(s.value, by_kind.get(kind).copied().unwrap_or(0.0), "{kind}");
    }
    for kind in by_kind.keys() {
        assert!(
            value(&samples, "ds_coverage_gate_violations", &[("kind", kind)]).is_some(),
            "{kind} has a series"
        );
    }
    assert_eq!(
        value(&samples, "ds_coverage_gate_ignored_pairs", &[]),
        Some(report["gate"]["ignored"].as_array().unwrap().len() as f64)
    );
    // The example's orphan is counted.
    assert_eq!(
        value(
            &samples,
            "ds_coverage_orphan_pods",
            &[
                ("namespace", "logging"),
                ("daemonset", "fluent-bit"),
                ("action", "adopt")
            ]
        ),
        Some(1.0)
    );
    let build = of(&samples, "ds_coverage_build_info");
    assert_eq!(build.len(), 1);
    assert_eq!(build[0].labels["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn without_check_there_is_no_gate_series_and_a_passing_gate_reads_1() {
    let samples = parse(&run(&example(&["-o", "prometheus"]), &[0]));
    assert!(
        samples
            .iter()
            .all(|s| !s.family.starts_with("ds_coverage_gate_"))
    );
    let healthy = [
        "-f",
        "examples/healthy-cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "prometheus",
        "--check",
    ];
    let samples = parse(&text(&bin(&healthy), &[0]));
    assert_eq!(value(&samples, "ds_coverage_gate_passed", &[]), Some(1.0));
    assert!(
        of(&samples, "ds_coverage_gate_violations")
            .iter()
            .all(|s| s.value == 0.0)
    );
    assert!(of(&samples, "ds_coverage_gap").is_empty());
}

#[test]
fn gap_series_are_bounded_and_the_truncation_is_counted() {
    let all = parse(&run(&example(&["-o", "prometheus"]), &[0]));
    let gaps = of(&all, "ds_coverage_gap").len();
    assert_eq!(
        gaps, 8,
        "the example has 8 pairs neither Ready nor Ineligible"
    );
    for (max, kept) in [(3, 3), (0, 0), (8, 8), (100, 8)] {
        let samples = parse(&run(
            &example(&["-o", "prometheus", "--metrics-max-gaps", &max.to_string()]),
            &[0],
        ));
        let got = of(&samples, "ds_coverage_gap");
        assert_eq!(got.len(), kept, "--metrics-max-gaps {max}");
        assert_eq!(
            value(&samples, "ds_coverage_gaps_truncated", &[]),
            Some((gaps - kept) as f64)
        );
        // The per-DaemonSet counts are never truncated.
        assert_eq!(
            of(&samples, "ds_coverage_pairs").len(),
            of(&all, "ds_coverage_pairs").len()
        );
    }
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--metrics-max-gaps",
        "3",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("--metrics-max-gaps applies to -o prometheus")
    );
}

/// Names no real cluster allows, in a file: label values keep `\`, `"` and newlines escaped.
#[test]
fn hostile_names_are_escaped_and_read_back_whole() {
    let node = "node \"one\"\\back\nslash";
    let ds = "agent\\\"x";
    let ns = "ns\n\"q\"";
    let objects = json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "v1", "kind": "Node",
                "metadata": {"name": node, "uid": "00000000-0000-0000-0000-000000000001",
                             "creationTimestamp": "2026-01-01T00:00:00Z"},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]}
            },
            {
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": ds, "namespace": ns, "uid": "00000000-0000-0000-0000-000000000002",
                             "generation": 1, "creationTimestamp": "2026-01-01T00:00:00Z"},
                "spec": {
                    "selector": {"matchLabels": {"app": "agent"}},
                    "template": {"metadata": {"labels": {"app": "agent"}},
                                 "spec": {"containers": [{"name": "a", "image": "a:1"}]}}
                },
                "status": {"desiredNumberScheduled": 1, "observedGeneration": 1}
            }
        ]
    });
    let file = temp_dir("hostile").join("hostile.json");
    std::fs::write(&file, objects.to_string()).unwrap();
    let metrics = text(
        &bin(&[
            "-f",
            file.to_str().unwrap(),
            "--as-of",
            AS_OF,
            "-o",
            "prometheus",
        ]),
        &[0],
    );
    assert!(
        metrics.contains(r#"node="node \"one\"\\back\nslash""#),
        "{metrics}"
    );
    let samples = parse(&metrics);
    let gaps = of(&samples, "ds_coverage_gap");
    assert_eq!(gaps.len(), 1);
    assert_eq!(gaps[0].labels["node"], node);
    assert_eq!(gaps[0].labels["daemonset"], ds);
    assert_eq!(gaps[0].labels["namespace"], ns);
    assert_eq!(gaps[0].labels["state"], "Missing");
    assert_eq!(gaps[0].labels["reason"], "noPod");
    assert_eq!(
        value(
            &samples,
            "ds_coverage_pairs",
            &[("daemonset", ds), ("state", "Missing")]
        ),
        Some(1.0)
    );
}

fn real(name: &str) -> String {
    format!("{}/tests/fixtures/real/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn real_captures_parse_and_equal_their_json_reports() {
    let groups: [&[&str]; 4] = [
        &[
            "mustgather-ocp48-aws6-nodes.yaml",
            "mustgather-ocp48-aws6-daemonsets.yaml",
            "mustgather-ocp48-aws6-pods.yaml",
        ],
        &[
            "kalc-gke5-nodes.json",
            "kalc-gke5-daemonsets.json",
            "kalc-gke5-pods.json",
        ],
        &[
            "sonobuoy-aws3-nodes.list.json",
            "sonobuoy-aws3-daemonsets.list.json",
            "sonobuoy-aws3-pods.list.json",
        ],
        &[
            "sonobuoy-kind1-nodes.list.json",
            "sonobuoy-kind1-daemonsets.list.json",
            "sonobuoy-kind1-pods.list.json",
        ],
    ];
    for files in groups {
        let mut args: Vec<String> = Vec::new();
        for f in files {
            args.push("-f".into());
            args.push(real(f));
        }
        args.extend(["--as-of", "2025-01-01T00:00:00Z", "-A", "--check"].map(String::from));
        let mut prom = args.clone();
        prom.extend(["-o", "prometheus"].map(String::from));
        let mut js = args.clone();
        js.extend(["-o", "json"].map(String::from));
        let samples = parse(&run(&prom, &[0, 1]));
        let report: Value = serde_json::from_str(&run(&js, &[0, 1])).unwrap();
        assert!(
            !report["daemonSets"].as_array().unwrap().is_empty(),
            "{files:?}"
        );
        assert_matches_report(&samples, &report);
        assert_eq!(
            value(&samples, "ds_coverage_gate_passed", &[]),
            Some(f64::from(u8::from(report["gate"]["passed"] == true)))
        );
    }
}

/// `-f` for each file of the sonobuoy-kind1 capture (kind, with kubeadm's four mirror pods).
fn kind1() -> Vec<String> {
    [
        "sonobuoy-kind1-nodes.list.json",
        "sonobuoy-kind1-daemonsets.list.json",
        "sonobuoy-kind1-pods.list.json",
    ]
    .iter()
    .flat_map(|f| ["-f".to_string(), real(f)])
    .collect()
}

/// kind's kubeadm mirror pods (sonobuoy-kind1): `--static-pods` families have their own series.
#[test]
fn static_pod_families_have_their_own_series() {
    let mut args = kind1();
    args.extend(["--as-of", "2025-01-01T00:00:00Z", "--static-pods"].map(String::from));
    let mut js = args.clone();
    js.extend(["-o", "json"].map(String::from));
    let report: Value = serde_json::from_str(&run(&js, &[0])).unwrap();
    let families = report["staticPods"].as_array().unwrap();
    assert_eq!(families.len(), 4, "kubeadm's four static pods");
    args.extend(["-o", "prometheus"].map(String::from));
    let samples = parse(&run(&args, &[0]));
    for f in families {
        let id = [
            ("namespace", f["namespace"].as_str().unwrap()),
            ("static_pod", f["name"].as_str().unwrap()),
        ];
        for (state, field) in [
            ("Ready", "ready"),
            ("Missing", "missing"),
            ("NotReady", "notReady"),
        ] {
            assert_eq!(
                value(
                    &samples,
                    "ds_coverage_static_pod_pairs",
                    &[id[0], id[1], ("state", state)]
                ),
                f["counts"][field].as_f64(),
                "{id:?} {state}"
            );
        }
        let eligible = f["counts"]["eligible"].as_f64().unwrap();
        assert_eq!(
            value(&samples, "ds_coverage_static_pod_coverage_ratio", &id),
            (eligible > 0.0).then(|| f["counts"]["ready"].as_f64().unwrap() / eligible)
        );
    }
    // The DaemonSet series are unchanged by the flag.
    assert!(!of(&samples, "ds_coverage_pairs").is_empty());
}

// ---------------------------------------------------------------------------------------------
// Live, and the recipe in deploy/.

fn kubeconfig(sim: &Simulator, tag: &str) -> String {
    let kc = temp_dir(tag).join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    kc.to_str().unwrap().to_string()
}

#[test]
fn a_live_run_labels_its_context_and_a_daemon_set_with_unreadable_pods_is_unknown() {
    let sim = Simulator::start(support::example_objects(), SimOptions::default());
    let kc = kubeconfig(&sim, "unknown");
    sim.set_faults(vec![Fault::new(
        Matcher::resource("pods", Verb::List).in_namespace("logging"),
        FaultKind::Status(403),
    )]);
    let metrics = text(
        &bin(&[
            "--kubeconfig",
            &kc,
            "-A",
            "--as-of",
            AS_OF,
            "-o",
            "prometheus",
        ]),
        &[0],
    );
    let samples = parse(&metrics);
    assert!(
        samples
            .iter()
            .filter(|s| s.family != "ds_coverage_build_info")
            .all(|s| s.labels.get("cluster").map(String::as_str) == Some("sim")),
        "every series names the context"
    );
    let fluent = [
        ("cluster", "sim"),
        ("namespace", "logging"),
        ("daemonset", "fluent-bit"),
    ];
    assert_eq!(
        value(&samples, "ds_coverage_daemonset_unknown", &fluent),
        Some(1.0)
    );
    // Nothing is known about it: no state counts, no coverage, no gaps (not zeros).
    for family in [
        "ds_coverage_pairs",
        "ds_coverage_coverage_ratio",
        "ds_coverage_status_desired_number_scheduled",
        "ds_coverage_orphan_pods",
        "ds_coverage_pods_on_missing_nodes",
        "ds_coverage_gap",
    ] {
        assert!(
            of(&samples, family)
                .iter()
                .all(|s| s.labels["daemonset"] != "fluent-bit"),
            "{family}"
        );
    }
    assert_eq!(
        value(
            &samples,
            "ds_coverage_daemonset_unknown",
            &[("daemonset", "kube-proxy")]
        ),
        Some(0.0)
    );
    assert_eq!(
        value(
            &samples,
            "ds_coverage_pairs",
            &[("daemonset", "kube-proxy"), ("state", "Ready")]
        ),
        Some(7.0)
    );
}

/// The YAML documents of a deploy/ file as JSON values.
fn documents(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A typed Kubernetes object read back and written again is the same JSON: every field of the
/// manifest is a field of the API type, with the type's shape (a misspelt or misplaced field
/// would be dropped).
fn round_trips<T: serde::de::DeserializeOwned + serde::Serialize>(doc: &Value) {
    let typed: T =
        serde_json::from_value(doc.clone()).unwrap_or_else(|e| panic!("{}: {e}", doc["kind"]));
    assert_eq!(&serde_json::to_value(&typed).unwrap(), doc);
}

#[test]
fn the_cronjob_manifest_holds_kubernetes_objects_kubectl_reads() {
    let docs = documents("deploy/cronjob.yaml");
    let kinds: Vec<&str> = docs.iter().map(|d| d["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "CronJob"
        ]
    );
    use k8s_openapi::api::{batch::v1::CronJob, core::v1::ServiceAccount, rbac::v1};
    round_trips::<ServiceAccount>(&docs[0]);
    round_trips::<v1::ClusterRole>(&docs[1]);
    round_trips::<v1::ClusterRoleBinding>(&docs[2]);
    round_trips::<CronJob>(&docs[3]);
    // The binding gives the role to the CronJob's ServiceAccount.
    let (sa, binding, job) = (&docs[0], &docs[2], &docs[3]);
    assert_eq!(binding["roleRef"]["name"], docs[1]["metadata"]["name"]);
    assert_eq!(binding["subjects"][0]["name"], sa["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0]["namespace"],
        sa["metadata"]["namespace"]
    );
    let pod = &job["spec"]["jobTemplate"]["spec"]["template"]["spec"];
    assert_eq!(pod["serviceAccountName"], sa["metadata"]["name"]);
    assert_eq!(job["metadata"]["namespace"], sa["metadata"]["namespace"]);
    // kubectl itself decodes them (offline: --local).
    let o = Command::new("kubectl")
        .args([
            "label",
            "--local",
            "--dry-run=client",
            "-o",
            "name",
            "-f",
            "deploy/cronjob.yaml",
            "checked=true",
        ])
        .env("KUBECONFIG", "/nonexistent")
        .output()
        .expect("kubectl runs (.ci/run installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "serviceaccount/ds-coverage\nclusterrole.rbac.authorization.k8s.io/ds-coverage-audit\n\
         clusterrolebinding.rbac.authorization.k8s.io/ds-coverage-audit\ncronjob.batch/ds-coverage\n"
    );
}

/// The arguments the CronJob runs the plugin with (the line of its script that calls it).
fn cronjob_args() -> Vec<String> {
    let docs = documents("deploy/cronjob.yaml");
    let container = &docs[3]["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0];
    let script = container["args"][0].as_str().unwrap();
    let line = script
        .lines()
        .find(|l| l.starts_with("kubectl-ds_coverage "))
        .expect("the script runs kubectl-ds_coverage");
    line.split_whitespace()
        .skip(1)
        .take_while(|w| *w != ">")
        .map(String::from)
        .collect()
}

/// (resource, verb) of every rule of the ClusterRole.
fn granted() -> BTreeSet<(String, String)> {
    let docs = documents("deploy/cronjob.yaml");
    let mut out = BTreeSet::new();
    for rule in docs[1]["rules"].as_array().unwrap() {
        for r in rule["resources"].as_array().unwrap() {
            for v in rule["verbs"].as_array().unwrap() {
                out.insert((r.as_str().unwrap().into(), v.as_str().unwrap().into()));
            }
        }
    }
    out
}

#[test]
fn the_cronjob_rbac_grants_exactly_what_its_audit_requests() {
    let args = cronjob_args();
    assert!(args.contains(&"prometheus".to_string()), "{args:?}");
    let sim = Simulator::start(support::example_objects(), SimOptions::default());
    let kc = kubeconfig(&sim, "rbac");
    let mut all: Vec<&str> = vec!["--kubeconfig", &kc];
    all.extend(args.iter().map(String::as_str));
    let metrics = text(&bin(&all), &[0, 1]);
    parse(&metrics);
    let mut requested = BTreeSet::new();
    for r in sim.requests() {
        assert_eq!(r.method, "GET", "{r:?}");
        // /api/v1/[namespaces/NS/]RESOURCE or /apis/GROUP/v1/[namespaces/NS/]RESOURCE[/NAME]
        let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
        let rest = if parts[0] == "api" {
            &parts[2..]
        } else {
            &parts[3..]
        };
        let rest = match rest {
            ["namespaces", _ns, tail @ ..] if !tail.is_empty() => tail,
            other => other,
        };
        let verb = match rest.len() {
            1 if r.param("watch").is_some() => "watch",
            1 => "list",
            2 => "get",
            _ => panic!("unexpected request {}", r.path),
        };
        requested.insert((rest[0].to_string(), verb.to_string()));
    }
    assert_eq!(requested, granted());
}

#[test]
fn the_alert_rules_pass_promtool_and_use_series_the_output_has() {
    promtool(&["check", "rules", "deploy/alerts.yaml"]);
    // Every series an alert reads is one the plugin writes.
    let written: BTreeSet<String> = parse(&run(&example(&["-o", "prometheus", "--check"]), &[1]))
        .into_iter()
        .map(|s| s.family)
        .collect();
    let docs = documents("deploy/alerts.yaml");
    let rules = docs[0]["groups"][0]["rules"].as_array().unwrap();
    let mut used = BTreeSet::new();
    for r in rules {
        let expr = r["expr"].as_str().unwrap();
        for (i, _) in expr.match_indices("ds_coverage_") {
            let name: String = expr[i..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            assert!(written.contains(&name), "{} uses {name}", r["alert"]);
            used.insert(name);
        }
    }
    for series in [
        "ds_coverage_pairs",
        "ds_coverage_gate_passed",
        "ds_coverage_coverage_ratio",
        "ds_coverage_last_run_timestamp_seconds",
    ] {
        assert!(used.contains(series), "an alert uses {series}");
    }
}

#[test]
fn the_readme_documents_every_series_and_includes_the_deploy_files() {
    let readme = std::fs::read_to_string("README.md").unwrap();
    // Every family written, samples or not (from the `# TYPE` lines).
    let type_lines = |metrics: &str| -> Vec<String> {
        metrics
            .lines()
            .filter_map(|l| l.strip_prefix("# TYPE "))
            .map(|l| l.split(' ').next().unwrap().to_string())
            .collect()
    };
    let mut families: BTreeSet<String> =
        type_lines(&run(&example(&["-o", "prometheus", "--check"]), &[1]))
            .into_iter()
            .collect();
    let mut statics = kind1();
    statics.extend(["--static-pods", "-o", "prometheus"].map(String::from));
    families.extend(type_lines(&run(&statics, &[0])));
    assert!(families.contains("ds_coverage_static_pod_gap"));
    for f in &families {
        assert!(readme.contains(&format!("`{f}")), "README documents {f}");
    }
    // Its excerpt of the example's output is the output.
    let output = run(&example(&["-o", "prometheus"]), &[0]);
    let lines: BTreeSet<&str> = output.lines().collect();
    let excerpt = readme
        .split("(an excerpt: `# HELP` lines and other DaemonSets left out):\n\n```\n")
        .nth(1)
        .expect("the README's excerpt")
        .split("```")
        .next()
        .unwrap();
    for line in excerpt.lines().filter(|l| *l != "…") {
        assert!(
            lines.contains(line),
            "README excerpt line not in the output: {line}"
        );
    }
    // The README shows the shipped files as they are.
    for path in ["deploy/cronjob.yaml", "deploy/alerts.yaml"] {
        let file = std::fs::read_to_string(path).unwrap();
        assert!(readme.contains(&file), "README includes {path} verbatim");
    }
}

/// Several clusters in one exposition (what a multi-cluster run passes): each family once, a
/// `cluster` label on every series, an unreadable cluster down, one gap budget for the run.
#[test]
fn several_clusters_share_one_exposition_and_one_gap_budget() {
    use ds_coverage::render::prometheus::{ClusterMetrics, Options, Outcome, write};
    let load = |path: &str| {
        let snap =
            ds_coverage::source::file::load(&[path.to_string()], &mut std::io::empty()).unwrap();
        let opts = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
        let mut r = ds_coverage::coverage::compute(&snap, &opts).unwrap();
        r.gate = Some(ds_coverage::gate::evaluate(
            &r,
            &ds_coverage::gate::Policy::default(),
        ));
        r
    };
    let (prod, staging) = (load("examples/cluster.yaml"), load("examples/cluster.yaml"));
    let healthy = load("examples/healthy-cluster.yaml");
    let mut out = Vec::new();
    write(
        &[
            ClusterMetrics {
                cluster: Some("prod"),
                outcome: Outcome::Report(&prod),
            },
            ClusterMetrics {
                cluster: Some("staging"),
                outcome: Outcome::Report(&staging),
            },
            ClusterMetrics {
                cluster: Some("edge"),
                outcome: Outcome::Unreadable("dial tcp: connection refused"),
            },
            ClusterMetrics {
                cluster: Some("dev"),
                outcome: Outcome::Report(&healthy),
            },
        ],
        &Options { max_gaps: 10 },
        &mut out,
    )
    .unwrap();
    let metrics = String::from_utf8(out).unwrap();
    let types: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("# TYPE "))
        .collect();
    let unique: BTreeSet<&&str> = types.iter().collect();
    assert_eq!(types.len(), unique.len(), "each family once");
    let samples = parse(&metrics);
    for s in samples
        .iter()
        .filter(|s| s.family != "ds_coverage_build_info")
    {
        assert!(s.labels.contains_key("cluster"), "{s:?}");
    }
    let up = |c: &str| value(&samples, "ds_coverage_cluster_up", &[("cluster", c)]);
    assert_eq!(
        (up("prod"), up("staging"), up("edge"), up("dev")),
        (Some(1.0), Some(1.0), Some(0.0), Some(1.0))
    );
    assert!(samples.iter().all(
        |s| s.labels.get("cluster").map(String::as_str) != Some("edge")
            || s.family == "ds_coverage_cluster_up"
    ));
    // 8 gaps each: prod keeps its 8, staging the 2 left of the budget.
    let gaps = |c: &str| {
        of(&samples, "ds_coverage_gap")
            .iter()
            .filter(|s| s.labels["cluster"] == c)
            .count()
    };
    assert_eq!((gaps("prod"), gaps("staging"), gaps("dev")), (8, 2, 0));
    let truncated = |c: &str| value(&samples, "ds_coverage_gaps_truncated", &[("cluster", c)]);
    assert_eq!(
        (truncated("prod"), truncated("staging"), truncated("dev")),
        (Some(0.0), Some(6.0), Some(0.0))
    );
    let passed = |c: &str| value(&samples, "ds_coverage_gate_passed", &[("cluster", c)]);
    assert_eq!(
        (passed("prod"), passed("dev"), passed("edge")),
        (Some(0.0), Some(1.0), None)
    );
    // The per-DaemonSet counts of both copies of the example are whole.
    for c in ["prod", "staging"] {
        assert_eq!(
            value(
                &samples,
                "ds_coverage_pairs",
                &[
                    ("cluster", c),
                    ("daemonset", "fluent-bit"),
                    ("state", "Missing")
                ]
            ),
            Some(1.0)
        );
    }
}

/// `promtool test rules`: the alert rules fire on the series as the plugin writes them (the
/// example cluster, audited every minute), after their `for`, and only on what they should.
/// The rules are deploy/alerts.yaml's without annotations (promtool compares annotations too;
/// their templates are checked by `promtool check rules` above).
#[test]
fn the_alert_rules_fire_on_the_plugins_own_series() {
    let samples = parse(&run(&example(&["-o", "prometheus", "--check"]), &[1]));
    let series_name = |s: &Sample| {
        let labels: Vec<String> = s
            .labels
            .iter()
            .map(|(k, v)| format!("{k}={}", serde_json::to_string(v).unwrap()))
            .collect();
        format!("{}{{{}}}", s.family, labels.join(","))
    };
    // The audit every minute for an hour: every value held, the timestamp as given.
    let input = |timestamp: Option<&str>| -> Vec<Value> {
        samples
            .iter()
            .filter_map(|s| {
                let values = if s.family == "ds_coverage_last_run_timestamp_seconds" {
                    timestamp?.to_string()
                } else {
                    format!("{}+0x60", s.value)
                };
                Some(json!({"series": series_name(s), "values": values}))
            })
            .collect()
    };
    let alert = |at: &str, name: &str, firing: Vec<Value>| {
        json!({"eval_time": at, "alertname": name, "exp_alerts": firing
            .into_iter()
            .map(|labels| json!({"exp_labels": labels}))
            .collect::<Vec<_>>()})
    };
    let warn = |labels: &[(&str, &str)]| {
        let mut m: serde_json::Map<String, Value> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        m.insert("severity".into(), json!("warning"));
        Value::Object(m)
    };
    let ds = |ns: &str, name: &str| warn(&[("namespace", ns), ("daemonset", name)]);
    let mut missing = ds("logging", "fluent-bit");
    missing["state"] = json!("Missing");
    let tests = json!([
        {
            // Audited every minute (the timestamp keeps up with the clock).
            "interval": "1m",
            "input_series": input(Some("0+60x60")),
            "alert_rule_test": [
                alert("10m", "DaemonSetPodMissing", vec![]),
                alert("20m", "DaemonSetPodMissing", vec![missing]),
                alert("20m", "DaemonSetCoverageBelowOne", vec![]),
                alert("35m", "DaemonSetCoverageBelowOne", vec![
                    ds("gpu-operator", "nvidia-device-plugin"),
                    ds("kube-system", "kube-proxy"),
                    ds("logging", "fluent-bit"),
                    ds("monitoring", "node-exporter"),
                ]),
                alert("20m", "DaemonSetCoverageGateFailing", vec![warn(&[])]),
                alert("20m", "DaemonSetCoverageUnknown", vec![]),
                alert("20m", "DaemonSetCoverageClusterUnreadable", vec![]),
                alert("50m", "DaemonSetCoverageAuditStale", vec![]),
                alert("50m", "DaemonSetCoverageAuditAbsent", vec![]),
            ],
        },
        {
            // The last push stays on the Pushgateway: the same timestamp for an hour.
            "interval": "1m",
            "input_series": input(Some("0+0x60")),
            "alert_rule_test": [
                alert("20m", "DaemonSetCoverageAuditStale", vec![]),
                alert("40m", "DaemonSetCoverageAuditStale", vec![warn(&[])]),
            ],
        },
        {
            // Never audited: no timestamp series at all.
            "interval": "1m",
            "input_series": input(None),
            "alert_rule_test": [
                alert("20m", "DaemonSetCoverageAuditAbsent", vec![]),
                alert("35m", "DaemonSetCoverageAuditAbsent", vec![json!({"severity": "warning"})]),
            ],
        },
    ]);
    let mut rules = documents("deploy/alerts.yaml").remove(0);
    for r in rules["groups"][0]["rules"].as_array_mut().unwrap() {
        r.as_object_mut().unwrap().remove("annotations");
    }
    let dir = temp_dir("rules");
    let rules_file = dir.join("rules.json");
    std::fs::write(&rules_file, rules.to_string()).unwrap();
    let test_file = dir.join("test.json");
    std::fs::write(
        &test_file,
        json!({"rule_files": [rules_file], "evaluation_interval": "1m", "tests": tests})
            .to_string(),
    )
    .unwrap();
    promtool(&["test", "rules", test_file.to_str().unwrap()]);
}

/// A generated 300-node cluster with drift: per-node series only for gaps, at most
/// `--metrics-max-gaps` of them, every other family a fixed number of series per DaemonSet.
#[test]
fn a_large_cluster_stays_a_few_series_per_daemon_set() {
    let file = support::generated_file(300, 300, 12, 0.3);
    let base = ["-f", file.as_str(), "--as-of", AS_OF];
    let report: Value =
        serde_json::from_str(&text(&bin(&[&base[..], &["-o", "json"]].concat()), &[0])).unwrap();
    let gaps: usize = report["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|d| d["nodes"].as_array().unwrap())
        .filter(|p| p["state"] != "Ready" && p["state"] != "Ineligible")
        .count();
    assert!(gaps > 50, "the drift leaves gaps: {gaps}");
    let samples = parse(&text(
        &bin(&[&base[..], &["-o", "prometheus", "--metrics-max-gaps", "50"]].concat()),
        &[0],
    ));
    let per_node = samples
        .iter()
        .filter(|s| s.labels.contains_key("node"))
        .count();
    assert_eq!(per_node, 50);
    assert_eq!(
        value(&samples, "ds_coverage_gaps_truncated", &[]),
        Some((gaps - 50) as f64)
    );
    let daemon_sets = report["daemonSets"].as_array().unwrap().len();
    assert_eq!(daemon_sets, 12);
    // Everything else: at most 23 per DaemonSet (info, unknown, 7 states, outdated, ratio, 7
    // status numbers, agrees, 3 orphan actions, pods of deleted nodes) and 8 per cluster.
    let rest = samples.len() - per_node;
    assert!(rest <= 23 * daemon_sets + 8, "{rest} series");
}

/// A what-if (`--manifest`) is labelled, and an audit of nothing still writes its verdict.
#[test]
fn what_if_daemon_sets_are_labelled_and_an_empty_audit_fails_visibly() {
    let samples = parse(&run(
        &example(&[
            "--manifest",
            "examples/whatif-gpu-operator.yaml",
            "-o",
            "prometheus",
        ]),
        &[0],
    ));
    let info = of(&samples, "ds_coverage_daemonset_info");
    assert!(!info.is_empty());
    assert!(
        info.iter().all(|s| s.labels["what_if"] == "true"),
        "{info:?}"
    );
    let samples = parse(&run(
        &example(&["-n", "no-such-namespace", "--check", "-o", "prometheus"]),
        &[1],
    ));
    assert_eq!(value(&samples, "ds_coverage_daemonsets", &[]), Some(0.0));
    assert_eq!(value(&samples, "ds_coverage_gate_passed", &[]), Some(0.0));
    assert_eq!(
        value(
            &samples,
            "ds_coverage_gate_violations",
            &[("kind", "NoDaemonSets")]
        ),
        Some(1.0)
    );
}

/// A kubeadm-like generated cluster with etcd absent on one control-plane node and
/// kube-apiserver NotReady on another: static-pod gaps have series, within the shared budget.
#[test]
fn static_pod_gaps_have_series_and_share_the_gap_budget() {
    use support::generator::{ClusterSpec, StaticFault, add_kubeadm_static_pods, generate};
    let mut c = generate(&ClusterSpec {
        drift: 0.0,
        ..ClusterSpec::small(11)
    });
    add_kubeadm_static_pods(
        &mut c,
        &[
            ("etcd", 1, StaticFault::Absent),
            ("kube-apiserver", 2, StaticFault::NotReady),
        ],
    );
    let file = temp_dir("static").join("kubeadm.json");
    std::fs::write(&file, serde_json::to_string(&c.to_list()).unwrap()).unwrap();
    let file = file.to_str().unwrap();
    let args = |max: &str| {
        [
            "-f",
            file,
            "--as-of",
            AS_OF,
            "--static-pods",
            "-o",
            "prometheus",
            "--metrics-max-gaps",
            max,
        ]
        .map(String::from)
        .to_vec()
    };
    let samples = parse(&run(&args("500"), &[0]));
    let gaps: BTreeSet<(String, String, String)> = of(&samples, "ds_coverage_static_pod_gap")
        .iter()
        .map(|s| {
            (
                s.labels["static_pod"].clone(),
                s.labels["node"].clone(),
                s.labels["state"].clone(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        BTreeSet::from([
            ("etcd".into(), "node-00001".into(), "Missing".into()),
            (
                "kube-apiserver".into(),
                "node-00002".into(),
                "NotReady".into()
            ),
        ])
    );
    let ds_gaps = of(&samples, "ds_coverage_gap").len();
    let samples = parse(&run(&args("0"), &[0]));
    assert!(of(&samples, "ds_coverage_static_pod_gap").is_empty());
    assert_eq!(
        value(&samples, "ds_coverage_gaps_truncated", &[]),
        Some((ds_gaps + 2) as f64)
    );
}

/// A fleet (`-f NAME=PATH` per cluster) is one exposition: every series labelled with its
/// cluster's NAME, each cluster's values those of its own single run, each its own gate verdict.
#[test]
fn a_fleet_run_labels_each_cluster_and_equals_the_single_runs() {
    let fleet = bin(&[
        "-f",
        "prod=examples/cluster.yaml",
        "-f",
        "dev=examples/healthy-cluster.yaml",
        "-o",
        "prometheus",
        "--check",
        "--as-of",
        AS_OF,
    ]);
    let samples = parse(&text(&fleet, &[1]));
    for (cluster, path, passed) in [
        ("prod", "examples/cluster.yaml", 0.0),
        ("dev", "examples/healthy-cluster.yaml", 1.0),
    ] {
        assert_eq!(
            value(&samples, "ds_coverage_cluster_up", &[("cluster", cluster)]),
            Some(1.0)
        );
        assert_eq!(
            value(&samples, "ds_coverage_gate_passed", &[("cluster", cluster)]),
            Some(passed),
            "{cluster}"
        );
        let single = parse(&text(
            &bin(&["-f", path, "-o", "prometheus", "--check", "--as-of", AS_OF]),
            &[0, 1],
        ));
        let pairs = of(&single, "ds_coverage_pairs");
        assert!(!pairs.is_empty());
        for s in pairs {
            let mut labels: Vec<(&str, &str)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            labels.push(("cluster", cluster));
            assert_eq!(
                value(&samples, "ds_coverage_pairs", &labels),
                Some(s.value),
                "{cluster} {:?}",
                s.labels
            );
        }
    }
}
