//! The report's JSON Schema: generated from the Rust types, committed, kept current, and real
//! outputs validated against it.

mod support;

use std::process::Command;

const AS_OF: &str = "2026-11-20T12:00:00Z";
const SCHEMA: &str = "schema/report.schema.json";

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn committed_schema_is_current() {
    let generated = ds_coverage::report_schema() + "\n";
    let printed = String::from_utf8(bin(&["schema"]).stdout).unwrap();
    assert_eq!(
        printed, generated,
        "`kubectl ds-coverage schema` prints the generated schema"
    );
    if std::env::var_os("DS_COVERAGE_GOLDEN").is_some() {
        std::fs::write(SCHEMA, &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(SCHEMA).unwrap();
    assert!(
        committed == generated,
        "{SCHEMA} is out of date: regenerate with `DS_COVERAGE_GOLDEN=1 cargo test --test schema`"
    );
}

fn validator() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(SCHEMA).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

fn assert_valid(v: &jsonschema::Validator, report: &serde_json::Value, what: &str) {
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

#[test]
fn real_outputs_are_valid() {
    let v = validator();
    let real = "tests/fixtures/real";
    let cases: Vec<(&str, Vec<String>)> = vec![
        ("example", vec!["-f".into(), "examples/cluster.yaml".into()]),
        (
            "example, ineligible pairs",
            vec![
                "-f".into(),
                "examples/cluster.yaml".into(),
                "--include-ineligible".into(),
            ],
        ),
        (
            "example, gate",
            vec![
                "-f".into(),
                "examples/cluster.yaml".into(),
                "--check".into(),
                "--grace".into(),
                "1h".into(),
                "--expect-nodes".into(),
                "nvidia.com/gpu.present=true".into(),
            ],
        ),
        (
            "healthy",
            vec![
                "-f".into(),
                "examples/healthy-cluster.yaml".into(),
                "--check".into(),
            ],
        ),
        (
            "manifest what-if",
            vec![
                "-f".into(),
                "examples/cluster.yaml".into(),
                "--manifest".into(),
                "examples/whatif-gpu-operator.yaml".into(),
            ],
        ),
        (
            "must-gather",
            vec![
                "-f".into(),
                format!("{real}/mustgather-ocp48-aws6-nodes.yaml"),
                "-f".into(),
                format!("{real}/mustgather-ocp48-aws6-daemonsets.yaml"),
                "-f".into(),
                format!("{real}/mustgather-ocp48-aws6-pods.yaml"),
            ],
        ),
        (
            "kind, stale status",
            vec![
                "-f".into(),
                format!("{real}/sonobuoy-kind1-nodes.list.json"),
                "-f".into(),
                format!("{real}/sonobuoy-kind1-daemonsets.list.json"),
                "-f".into(),
                format!("{real}/sonobuoy-kind1-pods.list.json"),
            ],
        ),
        (
            "cluster-info dump",
            vec!["-f".into(), "tests/fixtures/cluster-info-dump".into()],
        ),
    ];
    for (what, mut args) in cases {
        args.extend(["-o".into(), "json".into(), "--as-of".into(), AS_OF.into()]);
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = bin(&refs);
        assert!(
            matches!(o.status.code(), Some(0 | 1)),
            "{what}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_valid(&v, &report, what);
    }
    // A generated cluster with every state.
    let spec = support::generator::ClusterSpec::sized(5, 30, 8, 0.3);
    let dir = std::env::temp_dir().join(format!("ds-coverage-schema-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("generated.json");
    std::fs::write(&path, support::generator::generate(&spec).to_json()).unwrap();
    let o = bin(&["-f", path.to_str().unwrap(), "-o", "json", "--as-of", AS_OF]);
    assert_valid(&v, &serde_json::from_slice(&o.stdout).unwrap(), "generated");
}

#[test]
fn the_schema_rejects_what_the_report_never_contains() {
    let v = validator();
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    let good: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v.is_valid(&good));
    let mut bad_state = good.clone();
    bad_state["daemonSets"][0]["nodes"] = serde_json::json!([{"node": "x", "state": "Sleeping"}]);
    assert!(!v.is_valid(&bad_state), "unknown state");
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("summary");
    assert!(!v.is_valid(&missing), "required field");
    let mut wrong_type = good;
    wrong_type["summary"]["ready"] = serde_json::json!("many");
    assert!(!v.is_valid(&wrong_type), "wrong type");
}
