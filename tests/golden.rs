//! Golden files for every human output. `DS_COVERAGE_GOLDEN=1 cargo test --test golden` rewrites
//! them; review the diff before committing.

mod support;

use std::path::Path;
use std::process::Command;

const AS_OF: &str = "2026-11-20T12:00:00Z";

/// The binary with the terminal width given (not a terminal: `COLUMNS` decides).
fn bin(width: usize) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    c.env_remove("NO_COLOR").env("COLUMNS", width.to_string());
    c
}

/// Goldens are written at 80 columns unless the name says otherwise.
fn check(name: &str, args: &[&str]) {
    check_at(name, args, 80);
}

fn check_at(name: &str, args: &[&str], width: usize) {
    compare(name, stdout_of(name, args, width));
}

/// Standard output of a run that must succeed.
fn stdout_of(name: &str, args: &[&str], width: usize) -> String {
    let o = bin(width).args(args).output().expect("binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("UTF-8 output")
}

/// `got` against `tests/golden/NAME.txt` (rewritten with `DS_COVERAGE_GOLDEN=1`).
fn compare(name: &str, got: String) {
    let path = Path::new("tests/golden").join(format!("{name}.txt"));
    if std::env::var_os("DS_COVERAGE_GOLDEN").is_some() {
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with DS_COVERAGE_GOLDEN=1", path.display()));
    if got != want {
        let first = got
            .lines()
            .zip(want.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "{name} differs from {} (first at line {}):\n got: {:?}\nwant: {:?}\nrerun with DS_COVERAGE_GOLDEN=1 and review the diff",
            path.display(),
            first + 1,
            got.lines().nth(first).unwrap_or(""),
            want.lines().nth(first).unwrap_or("")
        );
    }
}

fn example(extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["-f", "examples/cluster.yaml", "--as-of", AS_OF]
        .map(String::from)
        .to_vec();
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn run_golden(name: &str, args: Vec<String>) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    check(name, &refs);
}

#[test]
fn table() {
    run_golden("table", example(&[]));
}

#[test]
fn table_color() {
    run_golden("table-color", example(&["--color", "always"]));
}

#[test]
fn table_no_headers() {
    run_golden("table-no-headers", example(&["--no-headers"]));
}

#[test]
fn table_healthy() {
    run_golden(
        "table-healthy",
        vec![
            "-f".into(),
            "examples/healthy-cluster.yaml".into(),
            "--as-of".into(),
            AS_OF.into(),
        ],
    );
}

#[test]
fn wide() {
    run_golden("wide", example(&["-o", "wide"]));
}

#[test]
fn matrix() {
    run_golden("matrix", example(&["-o", "matrix"]));
}

#[test]
fn matrix_color() {
    run_golden(
        "matrix-color",
        example(&["-o", "matrix", "--color", "always"]),
    );
}

#[test]
fn matrix_grouped() {
    run_golden(
        "matrix-grouped",
        example(&["-o", "matrix", "--group-by", "topology.kubernetes.io/zone"]),
    );
}

#[test]
fn json_report() {
    run_golden("report-json", example(&["-o", "json"]));
}

#[test]
fn markdown() {
    run_golden("markdown", example(&["-o", "markdown"]));
}

#[test]
fn markdown_with_gate() {
    // The gate fails (exit 1); the golden check wants exit 0, so use a policy that passes.
    run_golden(
        "markdown-gate",
        example(&[
            "-o",
            "markdown",
            "--check",
            "--fail-on",
            "Missing",
            "-n",
            "monitoring",
        ]),
    );
}

#[test]
fn junit() {
    run_golden("junit", example(&["-o", "junit"]));
}

/// `-o prometheus`, with the build's version written as `VERSION` (it changes every release).
fn prometheus_golden(name: &str, args: Vec<String>) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let got = stdout_of(name, &refs, 80);
    let version = format!("version=\"{}\"", env!("CARGO_PKG_VERSION"));
    assert!(got.contains(&version), "{got}");
    compare(name, got.replace(&version, "version=\"VERSION\""));
}

#[test]
fn prometheus() {
    prometheus_golden("prometheus", example(&["-o", "prometheus"]));
}

#[test]
fn prometheus_with_gate() {
    // A policy the example passes (exit 0), as markdown-gate.
    prometheus_golden(
        "prometheus-gate",
        example(&[
            "-o",
            "prometheus",
            "--check",
            "--fail-on",
            "Missing",
            "-n",
            "monitoring",
        ]),
    );
}

/// A generated 300-node cluster (deterministic), written once per test process.
fn generated_300() -> String {
    support::generated_file(300, 300, 12, 0.03)
}

fn generated(extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "-f".to_string(),
        generated_300(),
        "--as-of".into(),
        AS_OF.into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

#[test]
fn table_300_nodes() {
    run_golden("table-300", generated(&[]));
}

#[test]
fn matrix_300_nodes_hides_fully_covered_rows() {
    run_golden("matrix-300", generated(&["-o", "matrix"]));
    let text = std::fs::read_to_string("tests/golden/matrix-300.txt").unwrap();
    let hidden = text
        .lines()
        .find(|l| l.contains("fully covered nodes hidden (of 300)"));
    assert!(hidden.is_some(), "the hidden-rows line is there");
    // Rows of the first page of DaemonSet columns (each page repeats them).
    let shown = text
        .lines()
        .skip_while(|l| !l.starts_with("NODE"))
        .skip(1)
        .take_while(|l| !l.is_empty() && !l.starts_with('…'))
        .count();
    let n: usize = hidden
        .unwrap()
        .split_whitespace()
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(
        shown + n,
        300,
        "shown rows and hidden rows add up to the nodes"
    );
}

#[test]
fn matrix_300_nodes_all_rows() {
    let args = generated(&["-o", "matrix", "--all-nodes"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = bin(200).args(&refs).output().unwrap();
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(!text.contains("hidden"));
    assert_eq!(
        text.lines().take_while(|l| !l.is_empty()).count(),
        301,
        "header and 300 rows"
    );
}

#[test]
fn matrix_300_nodes_grouped_by_zone() {
    run_golden(
        "matrix-300-grouped",
        generated(&["-o", "matrix", "--group-by", "topology.kubernetes.io/zone"]),
    );
}

#[test]
fn matrix_300_nodes_grouped_color() {
    run_golden(
        "matrix-300-grouped-color",
        generated(&[
            "-o",
            "matrix",
            "--group-by",
            "node.kubernetes.io/instance-type",
            "--color",
            "always",
        ]),
    );
}

// ---------------------------------------------------------------------------------------------
// Widths: table, wide and matrix at 80 and 120 columns, on the example and on a generated
// 300-node, 40-DaemonSet cluster; and no line of a human format wider than it was told.

/// A generated 300-node, 40-DaemonSet cluster (deterministic), written once per test process.
fn generated_40() -> String {
    support::generated_file(40, 300, 40, 0.03)
}

fn generated_40_args(extra: &[&str]) -> Vec<String> {
    let mut v = vec![
        "-f".to_string(),
        generated_40(),
        "--as-of".into(),
        AS_OF.into(),
    ];
    v.extend(extra.iter().map(|s| s.to_string()));
    v
}

fn at(name: &str, args: Vec<String>, width: usize) {
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    check_at(name, &refs, width);
}

#[test]
fn example_at_120_columns() {
    at("table-120", example(&[]), 120);
    at("wide-120", example(&["-o", "wide"]), 120);
    at("matrix-120", example(&["-o", "matrix"]), 120);
}

#[test]
fn generated_40_daemon_sets_at_80_and_120_columns() {
    for w in [80, 120] {
        at(&format!("table-300x40-{w}"), generated_40_args(&[]), w);
        at(
            &format!("wide-300x40-{w}"),
            generated_40_args(&["-o", "wide"]),
            w,
        );
        at(
            &format!("matrix-300x40-{w}"),
            generated_40_args(&["-o", "matrix"]),
            w,
        );
    }
    at(
        "matrix-300x40-hide-covered-80",
        generated_40_args(&["-o", "matrix", "--hide-covered"]),
        80,
    );
}

/// Display width, counted independently of the renderer's own helper.
fn columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// Every line fits `width`, unless one whitespace-free token (a long name) cannot.
fn assert_fits(what: &str, text: &str, width: usize) {
    for line in text.lines() {
        if columns(line) <= width {
            continue;
        }
        let indent = line.len() - line.trim_start().len();
        let unbreakable = line.split_whitespace().any(|t| indent + columns(t) > width);
        assert!(
            unbreakable,
            "{what} at {width} columns: a line of {} columns:\n{line}",
            columns(line)
        );
    }
}

#[test]
fn no_line_of_a_human_format_exceeds_the_width() {
    let formats: [&[&str]; 7] = [
        &[],
        &["-o", "wide"],
        &["-o", "matrix"],
        &["-o", "matrix", "--all-nodes"],
        &["-o", "matrix", "--group-by", "topology.kubernetes.io/zone"],
        &["--all-problems"],
        &["-o", "wide", "--all-problems"],
    ];
    let inputs = [example(&[]), generated_40_args(&[])];
    let mut checked = 0;
    for input in &inputs {
        for f in formats {
            for width in [72, 80, 120, 200] {
                let mut args = input.clone();
                args.extend(f.iter().map(|s| s.to_string()));
                let o = bin(width).args(&args).output().unwrap();
                assert_eq!(o.status.code(), Some(0), "{args:?}");
                let text = String::from_utf8(o.stdout).unwrap();
                assert!(text.lines().count() > 3, "{args:?} printed a report");
                assert_fits(&format!("{args:?}"), &text, width);
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 2 * 7 * 4);
}

#[test]
fn table_shortens_reasons_and_wide_keeps_them_whole() {
    let reason = "Container node-exporter was using 97412Ki, request is 64Mi, has larger consumption of memory.";
    let table = String::from_utf8(bin(120).args(example(&[])).output().unwrap().stdout).unwrap();
    let wide = String::from_utf8(
        bin(120)
            .args(example(&["-o", "wide"]))
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let evicted = table
        .lines()
        .find(|l| l.contains("Evicted: The node was low"))
        .expect("the Failed pair's line");
    assert!(evicted.ends_with('…'), "{evicted}");
    assert!(!table.contains(reason));
    let joined = wide.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(
        joined.contains(reason),
        "wide keeps the whole reason:\n{wide}"
    );
}

// ---------------------------------------------------------------------------------------------
// explain: one golden per rule kind. The example cluster has nodeSelector, `In` affinity,
// NoSchedule taints, the default tolerations (cordoned worker-4, unreachable worker-3), an
// `Equal` toleration with the wrong value and a Pending pod that does not fit; the rest comes from
// tests/fixtures/explain/cluster.json.

/// `explain` comes first: flags before a subcommand make clap read it as a DaemonSet name.
fn explain_example(ds: &str, node: &str, extra: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = ["explain", ds, node].map(String::from).to_vec();
    v.extend(example(extra));
    v
}

fn explain_fixture(ds: &str, node: &str) -> Vec<String> {
    [
        "explain",
        ds,
        node,
        "-f",
        "tests/fixtures/explain/cluster.json",
        "--as-of",
        AS_OF,
    ]
    .map(String::from)
    .to_vec()
}

#[test]
fn explain_node_selector() {
    run_golden(
        "explain-node-selector",
        explain_example("gpu-operator/nvidia-device-plugin", "worker-1", &[]),
    );
}

#[test]
fn explain_affinity_in() {
    run_golden(
        "explain-affinity-in",
        explain_example("monitoring/netdata", "gpu-1", &[]),
    );
}

#[test]
fn explain_no_schedule_taint_kept_pod() {
    run_golden(
        "explain-no-schedule",
        explain_example("logging/fluent-bit", "worker-5", &[]),
    );
}

#[test]
fn explain_equal_toleration_with_another_value() {
    run_golden(
        "explain-equal-value",
        explain_example("gpu-operator/dcgm-exporter", "gpu-1", &[]),
    );
}

#[test]
fn explain_equal_toleration_color() {
    run_golden(
        "explain-equal-value-color",
        explain_example(
            "gpu-operator/dcgm-exporter",
            "gpu-1",
            &["--color", "always"],
        ),
    );
}

#[test]
fn explain_default_toleration_cordoned() {
    run_golden(
        "explain-default-tolerations-cordoned",
        explain_example("logging/fluent-bit", "worker-4", &[]),
    );
}

#[test]
fn explain_default_toleration_unreachable() {
    run_golden(
        "explain-default-tolerations-unreachable",
        explain_example("logging/fluent-bit", "worker-3", &[]),
    );
}

#[test]
fn explain_pending_pod_that_does_not_fit() {
    run_golden(
        "explain-fit-pending",
        explain_example("nvidia-device-plugin", "gpu-2", &["-n", "gpu-operator"]),
    );
}

#[test]
fn explain_missing_pod_that_fits() {
    run_golden(
        "explain-fit-missing",
        explain_example("logging/fluent-bit", "worker-2", &[]),
    );
}

#[test]
fn explain_manifest_not_applied() {
    run_golden(
        "explain-manifest",
        explain_example(
            "gpu-operator/gpu-feature-discovery",
            "gpu-1",
            &["--manifest", "examples/whatif-gpu-operator.yaml"],
        ),
    );
}

#[test]
fn explain_node_name() {
    run_golden(
        "explain-node-name",
        explain_fixture("agents/pinned", "node-a"),
    );
}

#[test]
fn explain_affinity_not_in() {
    run_golden(
        "explain-affinity-notin",
        explain_fixture("agents/notin", "node-a"),
    );
}

#[test]
fn explain_affinity_exists() {
    run_golden(
        "explain-affinity-exists",
        explain_fixture("agents/exists", "node-a"),
    );
}

#[test]
fn explain_affinity_does_not_exist() {
    run_golden(
        "explain-affinity-doesnotexist",
        explain_fixture("agents/doesnotexist", "node-a"),
    );
}

#[test]
fn explain_affinity_gt() {
    run_golden(
        "explain-affinity-gt",
        explain_fixture("agents/gt", "node-a"),
    );
}

#[test]
fn explain_affinity_lt() {
    run_golden(
        "explain-affinity-lt",
        explain_fixture("agents/lt", "node-a"),
    );
}

#[test]
fn explain_affinity_match_fields() {
    run_golden(
        "explain-affinity-fields",
        explain_fixture("agents/fields", "node-a"),
    );
}

#[test]
fn explain_affinity_parse_error() {
    run_golden(
        "explain-parse-error",
        explain_fixture("agents/invalid", "node-a"),
    );
}

#[test]
fn explain_no_execute_taint() {
    run_golden(
        "explain-no-execute",
        explain_fixture("agents/evictable", "node-evict"),
    );
}

#[test]
fn explain_host_network_tolerates_network_unavailable() {
    run_golden(
        "explain-host-network",
        explain_fixture("agents/hostnet", "node-net"),
    );
}

#[test]
fn explain_pod_network_does_not() {
    run_golden(
        "explain-pod-network",
        explain_fixture("agents/podnet", "node-net"),
    );
}

#[test]
fn explain_fit_init_containers_and_quantities() {
    run_golden(
        "explain-fit-quantities",
        explain_fixture("agents/hungry", "node-full"),
    );
}
