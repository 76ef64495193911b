//! Golden files for every human output. `DS_COVERAGE_GOLDEN=1 cargo test --test golden` rewrites
//! them; review the diff before committing.

use std::path::Path;
use std::process::Command;

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn check(name: &str, args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("NO_COLOR")
        .output()
        .expect("binary runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{name}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let got = String::from_utf8(o.stdout).expect("UTF-8 output");
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
