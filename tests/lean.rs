//! `-o table|wide|markdown|prometheus` (with and without `--check`) compute a report of problems
//! (`coverage::Pairs::Problems`): a plain Ready pair is counted on its DaemonSet's thread and
//! never collected. `-o json|yaml --check` write every pair as it is produced and gate a report
//! of problems. Everything these formats print, and the gate's verdict, must be byte for
//! byte what the whole report gives: each run here goes through `ds_coverage::run` (the lean
//! report) and is compared with the whole report (`coverage::Pairs::All`) rendered and gated
//! from the same input, on generated clusters and on the real fixtures.

mod support;

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::{Arc, Mutex};

use clap::Parser;
use ds_coverage::cli::Cli;
use ds_coverage::config::{Config, Env};
use ds_coverage::coverage::{self, Pairs};
use ds_coverage::report::{Report, State};
use support::generator::{ClusterSpec, StaticFault, add_kubeadm_static_pods, generate};

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn env() -> Env {
    Env {
        now: AS_OF.parse().unwrap(),
        kubeconfig: None,
        home: None,
        in_cluster: false,
        stderr_is_terminal: false,
        no_color: true,
        stdout_is_terminal: false,
        stdin_is_terminal: false,
        proxy: Default::default(),
        width: Some(100),
        stderr_width: None,
        height: None,
    }
}

fn config(args: &[String]) -> Config {
    let cli = Cli::try_parse_from(
        std::iter::once("kubectl-ds_coverage".to_string()).chain(args.iter().cloned()),
    )
    .unwrap_or_else(|e| panic!("{args:?}: {e}"));
    Config::from_cli(cli, &env()).unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A writer whose bytes the test reads back (standard error for `run`).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// What a run prints: standard output, standard error, and the exit code.
type Printed = (String, String, i32);

/// The run as the binary does it: the report the format asks for (lean for these formats).
fn lean_run(config: &Config) -> Printed {
    let err = Captured::default();
    let shared: ds_coverage::SharedWriter = Arc::new(Mutex::new(Box::new(err.clone())));
    let mut out = Vec::new();
    let exit = ds_coverage::run(config, &mut std::io::empty(), &mut out, shared)
        .unwrap_or_else(|e| panic!("run: {e}"));
    let err = String::from_utf8(err.0.lock().unwrap().clone()).unwrap();
    (String::from_utf8(out).unwrap(), err, exit as i32)
}

/// The same run from the whole report: every pair computed and kept, gated, then rendered.
fn whole_run(config: &Config) -> (Printed, Report) {
    let (snapshot, mut audit) = load(config);
    audit.pairs = Pairs::All;
    let mut report = coverage::compute(&snapshot, &audit).unwrap();
    assert!(!report.daemon_sets.is_empty());
    let mut err = String::new();
    let mut exit = 0;
    if let Some(policy) = &config.gate {
        let verdict = ds_coverage::gate::evaluate(&report, policy);
        err = ds_coverage::gate::verdict_text(&report, &verdict);
        exit = if verdict.passed { 0 } else { 1 };
        report.gate = Some(verdict);
    }
    let mut out = Vec::new();
    ds_coverage::render::render(&report, &config.render, &mut out).unwrap();
    ((String::from_utf8(out).unwrap(), err, exit), report)
}

/// The lean report the run computes for `config` (to show what it leaves out).
fn lean_report(config: &Config) -> Report {
    let (snapshot, mut audit) = load(config);
    audit.pairs = ds_coverage::pairs_read_by(config, &snapshot, audit.now);
    assert!(
        matches!(audit.pairs, Pairs::Problems(_)),
        "{:?} reads problems only",
        config.render.format
    );
    coverage::compute(&snapshot, &audit).unwrap()
}

/// The snapshot and the audit options as `ds_coverage::run` reads them (files, `--manifest`).
fn load(config: &Config) -> (ds_coverage::snapshot::Snapshot, coverage::Options) {
    let mut audit = config.audit.clone();
    let sink: ds_coverage::SharedWriter = Arc::new(Mutex::new(Box::new(std::io::sink())));
    let manifests = if config.manifests.is_empty() {
        Vec::new()
    } else {
        ds_coverage::source::file::load_manifests(&config.manifests, &mut std::io::empty()).unwrap()
    };
    let loaded = ds_coverage::session::load(
        config,
        &mut audit,
        None,
        &manifests,
        &mut std::io::empty(),
        sink,
    )
    .unwrap();
    let mut snapshot = loaded.snapshot;
    if !manifests.is_empty() {
        let ns = audit.namespace.clone().unwrap_or_else(|| "default".into());
        snapshot.apply_manifests(manifests, &ns);
        audit.namespace = None;
    }
    (snapshot, audit)
}

fn pairs(r: &Report) -> usize {
    r.daemon_sets.iter().map(|d| d.nodes.len()).sum()
}

fn excluded_named(r: &Report) -> usize {
    r.daemon_sets
        .iter()
        .flat_map(|d| &d.exclusions)
        .map(|e| e.nodes.len())
        .sum()
}

/// Young nodes (the generated ones are 11 to 19 days old) and young pods set aside, Ready pairs
/// among them, and the rest judged against the floor.
const SET_ASIDE: &[&str] = &[
    "--check",
    "--min-coverage",
    "50",
    "--grace",
    "336h",
    "--ignore-unready-nodes",
];
/// Excluded nodes named in violations; nodes being drained judged.
const EXPECT_AMD64: &[&str] = &[
    "--check",
    "--fail-on",
    "Missing",
    "--fail-on",
    "outdated",
    "--expect-nodes",
    "kubernetes.io/arch=amd64",
    "--include-draining-nodes",
];
const EXPECT_LINUX: &[&str] = &[
    "--check",
    "--min-coverage",
    "99.5",
    "--expect-nodes",
    "kubernetes.io/os=linux",
];

fn joined(parts: &[&[&'static str]]) -> Vec<&'static str> {
    parts.concat()
}

/// The runs compared on each input: every lean format, alone and under gates that read what a
/// report of problems must keep beyond its problems (nodes and pods set aside, --min-coverage,
/// --expect-nodes' excluded nodes).
fn variants() -> Vec<Vec<&'static str>> {
    let formats: [&[&str]; 7] = [
        &["-o", "table"],
        &["-o", "wide"],
        &["-o", "table", "--all-problems"],
        &["-o", "wide", "--all-problems"],
        &["-o", "markdown"],
        &["-o", "prometheus"],
        &["-o", "prometheus", "--metrics-max-gaps", "100000"],
    ];
    let gates: [&[&str]; 6] = [
        &[],
        &["--check"],
        &["--check", "--min-coverage", "90"],
        SET_ASIDE,
        EXPECT_AMD64,
        EXPECT_LINUX,
    ];
    let mut out = Vec::new();
    for f in formats {
        for g in gates {
            out.push(joined(&[f, g]));
        }
    }
    // Every pair written, the gate judging a report of problems.
    out.push(vec!["-o", "json", "--check"]);
    out.push(joined(&[&["-o", "json"], SET_ASIDE]));
    out.push(vec!["-o", "yaml", "--check", "--min-coverage", "90"]);
    out.push(joined(&[&["-o", "json"], EXPECT_LINUX]));
    // The audit's own options: ineligible pairs listed, nodes narrowed.
    out.push(vec!["-o", "table", "--include-ineligible", "--check"]);
    out.push(vec![
        "-o",
        "markdown",
        "--node-selector",
        "kubernetes.io/arch=amd64",
        "--check",
        "--min-coverage",
        "80",
    ]);
    out
}

/// On a large input, fewer runs: each format once, the gates that read most beyond the problems
/// spread over them.
fn few_variants() -> Vec<Vec<&'static str>> {
    vec![
        vec!["-o", "table", "--check"],
        // Every DaemonSet with a violation waived, its coverage printed: a Ready pair on a
        // node being drained (set aside) that the report did not keep would show.
        vec!["-o", "table", "--check", "--min-coverage", "1"],
        joined(&[&["-o", "wide", "--all-problems"], SET_ASIDE]),
        joined(&[&["-o", "markdown"], EXPECT_LINUX]),
        joined(&[&["-o", "json"], SET_ASIDE]),
        joined(&[
            &["-o", "prometheus", "--metrics-max-gaps", "100000"],
            EXPECT_AMD64,
        ]),
    ]
}

/// Compares the variants on one input (`base`: the input and scope flags); returns how many
/// pairs and named excluded nodes the whole and the lean reports held for `-o table --check`.
fn compare(base: &[String], variants: &[Vec<&str>]) -> ((usize, usize), (usize, usize)) {
    let mut sizes = None;
    for v in variants {
        let args: Vec<String> = base
            .iter()
            .cloned()
            .chain(v.iter().map(|s| s.to_string()))
            .collect();
        let config = config(&args);
        let lean = lean_run(&config);
        let (whole, report) = whole_run(&config);
        assert!(!whole.0.is_empty(), "{args:?}: nothing rendered");
        if lean != whole {
            let diff = first_difference(&lean, &whole);
            panic!("{args:?}: the lean run differs from the whole report's:\n{diff}");
        }
        if sizes.is_none() && v[..] == ["-o", "table", "--check"] {
            let lean = lean_report(&config);
            sizes = Some((
                (pairs(&report), excluded_named(&report)),
                (pairs(&lean), excluded_named(&lean)),
            ));
        }
    }
    sizes.expect("-o table --check is a variant")
}

fn first_difference(lean: &Printed, whole: &Printed) -> String {
    for (what, a, b) in [("stdout", &lean.0, &whole.0), ("stderr", &lean.1, &whole.1)] {
        for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
            if x != y {
                return format!("{what} line {}:\n lean:  {x}\n whole: {y}", i + 1);
            }
        }
        if a != b {
            return format!(
                "{what}: {} lines lean, {} whole",
                a.lines().count(),
                b.lines().count()
            );
        }
    }
    format!("exit {} lean, {} whole", lean.2, whole.2)
}

fn write_temp(name: &str, text: &str) -> String {
    let dir = std::env::temp_dir().join(format!("ds-coverage-lean-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

fn base(files: &[String]) -> Vec<String> {
    let mut out = vec!["--as-of".to_string(), AS_OF.to_string(), "-A".to_string()];
    for f in files {
        out.push("-f".into());
        out.push(f.clone());
    }
    out
}

/// Generated clusters: a small one with a high drift and kubeadm's static pods (one missing),
/// and 500 nodes × 40 DaemonSets (audited on several threads) with some nodes being removed by
/// the cluster autoscaler (the taint it puts on them, which the gate sets aside by default).
#[test]
fn the_lean_report_prints_and_gates_as_the_whole_one_on_generated_clusters() {
    let mut small = generate(&ClusterSpec {
        seed: 5,
        nodes: 12,
        daemon_sets: 40,
        ordinary_pods_per_node: 1,
        drift: 0.3,
        daemon_pod_padding: false,
    });
    add_kubeadm_static_pods(&mut small, &[("etcd", 0, StaticFault::Absent)]);
    let small = write_temp("small.json", &small.to_json());
    let mut all = variants();
    all.push(vec!["-o", "table", "--static-pods", "--check"]);
    let (whole, lean) = compare(&base(std::slice::from_ref(&small)), &all);
    assert!(lean.0 < whole.0, "small: {lean:?} of {whole:?}");

    let mut large = generate(&ClusterSpec {
        seed: 9,
        nodes: 500,
        daemon_sets: 40,
        ordinary_pods_per_node: 0,
        drift: 0.1,
        daemon_pod_padding: false,
    });
    for node in large.nodes.iter_mut().step_by(37) {
        let taints = node["spec"]
            .as_object_mut()
            .unwrap()
            .entry("taints")
            .or_insert_with(|| serde_json::json!([]));
        taints.as_array_mut().unwrap().push(serde_json::json!({
            "key": "ToBeDeletedByClusterAutoscaler",
            "value": "1795003200",
            "effect": "NoSchedule",
        }));
    }
    let large = write_temp("large.json", &large.to_json());
    let (whole, lean) = compare(&base(std::slice::from_ref(&large)), &few_variants());
    // The point of it: most pairs of a healthy cluster are plain Ready, and are not kept; nor
    // are the excluded nodes' names without --expect-nodes.
    assert!(whole.0 > 10_000, "{whole:?}");
    assert!(lean.0 * 5 < whole.0, "500 nodes: {lean:?} of {whole:?}");
    assert!(whole.1 > 1_000 && lean.1 == 0, "{lean:?} of {whole:?}");
}

/// The real fixtures (GKE, kind, AWS, OpenShift must-gather), a surge rollout with duplicate
/// pods, the example cluster and a what-if manifest (whose every eligible pair is named).
#[test]
fn the_lean_report_prints_and_gates_as_the_whole_one_on_real_fixtures() {
    let real = |names: &[&str]| -> Vec<String> {
        names
            .iter()
            .map(|n| format!("tests/fixtures/real/{n}"))
            .collect()
    };
    let inputs: Vec<Vec<String>> = vec![
        real(&[
            "kalc-gke5-nodes.json",
            "kalc-gke5-daemonsets.json",
            "kalc-gke5-pods.json",
        ]),
        real(&[
            "sonobuoy-aws3-nodes.json",
            "sonobuoy-aws3-daemonsets.json",
            "sonobuoy-aws3-pods.json",
        ]),
        real(&[
            "sonobuoy-kind1-nodes.list.json",
            "sonobuoy-kind1-daemonsets.list.json",
            "sonobuoy-kind1-pods.list.json",
        ]),
        real(&[
            "mustgather-ocp48-aws6-nodes.yaml",
            "mustgather-ocp48-aws6-daemonsets.yaml",
            "mustgather-ocp48-aws6-pods.yaml",
        ]),
        vec!["tests/fixtures/surge/rollout.yaml".to_string()],
        vec!["examples/cluster.yaml".to_string()],
    ];
    let mut kept = BTreeMap::new();
    for files in &inputs {
        let (whole, lean) = compare(&base(files), &variants());
        assert!(lean.0 <= whole.0, "{files:?}: {lean:?} of {whole:?}");
        kept.insert(files[0].clone(), (whole, lean));
    }
    assert!(
        kept.values().any(|(whole, lean)| lean.0 < whole.0),
        "some real cluster has plain Ready pairs left out: {kept:?}"
    );
    let what_if = vec![
        "--manifest".to_string(),
        "examples/whatif-gpu-operator.yaml".to_string(),
    ];
    let args: Vec<String> = base(&["examples/cluster.yaml".to_string()])
        .into_iter()
        .chain(what_if)
        .collect();
    compare(&args, &variants());
}

/// What a report of problems lists: every pair that is not plainly Ready, none that is (no
/// gate: nothing is set aside), the same counts.
#[test]
fn a_report_of_problems_lists_exactly_the_problem_pairs() {
    let cluster = generate(&ClusterSpec {
        seed: 3,
        nodes: 60,
        daemon_sets: 12,
        ordinary_pods_per_node: 0,
        drift: 0.2,
        daemon_pod_padding: false,
    });
    let path = write_temp("problems.json", &cluster.to_json());
    let config = config(&base(&[path]));
    let lean = lean_report(&config);
    let (_, whole) = whole_run(&config);
    assert_eq!(lean.summary, whole.summary);
    for (l, w) in lean.daemon_sets.iter().zip(&whole.daemon_sets) {
        assert_eq!(l.counts, w.counts);
        let problems: Vec<&str> = w
            .nodes
            .iter()
            .filter(|p| p.state != State::Ready || p.outdated || p.duplicates > 0)
            .map(|p| p.node.as_str())
            .collect();
        let listed: Vec<&str> = l.nodes.iter().map(|p| p.node.as_str()).collect();
        assert_eq!(listed, problems, "{}/{}", w.namespace, w.name);
        let counted = |r: &ds_coverage::report::DaemonSetReport| -> Vec<usize> {
            r.exclusions.iter().map(|e| e.count).collect()
        };
        assert_eq!(counted(l), counted(w));
    }
    assert!(pairs(&lean) > 0 && pairs(&lean) < pairs(&whole));
}
