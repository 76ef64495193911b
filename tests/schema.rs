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

/// Each JSON output's schema: the argument of `schema`, its committed file, the generated text.
fn schemas() -> [(&'static str, &'static str, String); 4] {
    [
        ("report", SCHEMA, ds_coverage::report_schema()),
        (
            "explain",
            "schema/explain.schema.json",
            ds_coverage::explain_schema(),
        ),
        (
            "plan",
            "schema/plan.schema.json",
            ds_coverage::plan_schema(),
        ),
        (
            "fleet",
            "schema/fleet.schema.json",
            ds_coverage::fleet_schema(),
        ),
    ]
}

#[test]
fn committed_schemas_are_current() {
    let default = String::from_utf8(bin(&["schema"]).stdout).unwrap();
    assert_eq!(
        default,
        ds_coverage::report_schema() + "\n",
        "`schema` alone prints the report's"
    );
    for (which, path, generated) in schemas() {
        let generated = generated + "\n";
        let printed = String::from_utf8(bin(&["schema", which]).stdout).unwrap();
        assert_eq!(
            printed, generated,
            "`kubectl ds-coverage schema {which}` prints the generated schema"
        );
        if std::env::var_os("DS_COVERAGE_GOLDEN").is_some() {
            std::fs::write(path, &generated).unwrap();
            continue;
        }
        let committed = std::fs::read_to_string(path).unwrap();
        assert!(
            committed == generated,
            "{path} is out of date: regenerate with `DS_COVERAGE_GOLDEN=1 cargo test --test schema`"
        );
    }
}

fn validator() -> jsonschema::Validator {
    validator_of(SCHEMA)
}

fn validator_of(path: &str) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
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
            "node selector",
            vec![
                "-f".into(),
                "examples/cluster.yaml".into(),
                "--node-selector".into(),
                "kubernetes.io/hostname=worker-1".into(),
            ],
        ),
        (
            "node selector, gate",
            vec![
                "-f".into(),
                "examples/cluster.yaml".into(),
                "--node-selector".into(),
                "kubernetes.io/hostname=worker-1".into(),
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

/// Every JSON output carries its schemaVersion and kind, and validates against its schema:
/// explain on every pair of the example (eligible or not, with fit checks and suggestions), the
/// plan offline, a dry run's result and a partial-access report from the simulated API server.
#[test]
fn explain_and_fix_outputs_are_valid() {
    let explain = validator_of("schema/explain.schema.json");
    let plan = validator_of("schema/plan.schema.json");
    let report = validator();
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "-A",
        "-o",
        "json",
        "--include-ineligible",
        "--as-of",
        AS_OF,
    ]);
    let full: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let mut explained = 0;
    for d in full["daemonSets"].as_array().unwrap() {
        let id = format!(
            "{}/{}",
            d["namespace"].as_str().unwrap(),
            d["name"].as_str().unwrap()
        );
        for p in d["nodes"].as_array().unwrap() {
            let node = p["node"].as_str().unwrap();
            let o = bin(&[
                "explain",
                &id,
                node,
                "-f",
                "examples/cluster.yaml",
                "-o",
                "json",
                "--as-of",
                AS_OF,
            ]);
            assert_eq!(o.status.code(), Some(0), "{id} {node}");
            let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
            assert_eq!(e["schemaVersion"], 1, "{id} {node}");
            assert_eq!(e["kind"], "DaemonSetNodeExplanation");
            assert_valid(&explain, &e, &format!("explain {id} {node}"));
            explained += 1;
        }
    }
    assert!(explained > 20, "{explained} pairs explained");
    for extra in [
        &[][..],
        &["--outdated", "--delete"][..],
        &["--keep-tolerated"][..],
    ] {
        let mut args = vec!["fix", "-A", "-f", "examples/cluster.yaml", "-o", "json"];
        args.extend_from_slice(extra);
        let o = bin(&args);
        let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(p["schemaVersion"], 1);
        assert_eq!(p["kind"], "DaemonSetFixPlan");
        assert!(!p["actions"].as_array().unwrap().is_empty(), "{extra:?}");
        assert_valid(&plan, &p, &format!("plan {extra:?}"));
    }

    // Live: a dry run's result, and a report with a namespace whose pods are forbidden.
    use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
    let sim = Simulator::start(support::example_objects(), SimOptions::default());
    let dir = std::env::temp_dir().join(format!("ds-coverage-schema-live-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    sim.write_kubeconfig(&kc, None, None).unwrap();
    let kc = kc.to_str().unwrap();
    let o = bin(&[
        "--kubeconfig",
        kc,
        "fix",
        "-A",
        "--dry-run=server",
        "--yes",
        "-o",
        "json",
    ]);
    let r: serde_json::Value = serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stderr)));
    assert_eq!(r["schemaVersion"], 1);
    assert_eq!(r["kind"], "DaemonSetFixResult");
    assert!(!r["results"].as_array().unwrap().is_empty(), "{r}");
    assert_valid(&plan, &r, "dry-run result");
    sim.set_faults(vec![Fault::new(
        Matcher::resource("pods", Verb::List).in_namespace("monitoring"),
        FaultKind::Status(403),
    )]);
    let o = bin(&["--kubeconfig", kc, "-A", "-o", "json", "--as-of", AS_OF]);
    let partial: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        partial.to_string().contains("\"unknown\":{\"reason\""),
        "{partial}"
    );
    assert_valid(&report, &partial, "partial access");
    let o = bin(&["--kubeconfig", kc, "fix", "-A", "-o", "json"]);
    let p: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(p["gaps"].to_string().contains("\"Unknown\""), "{p}");
    assert_valid(&plan, &p, "plan with Unknown gaps");
}

/// `explain --static-pods -o json` validates against the same `schema explain` (its
/// `StaticPodNodeExplanation` branch), on the static pods of a real three-node cluster's capture
/// (on its control-plane node and on a worker, where the family is neither run nor expected).
#[test]
fn static_pod_explanations_are_valid() {
    let explain = validator_of("schema/explain.schema.json");
    let files = [
        "tests/fixtures/real/sonobuoy-aws3-nodes.json",
        "tests/fixtures/real/sonobuoy-aws3-daemonsets.json",
        "tests/fixtures/real/sonobuoy-aws3-pods.json",
    ];
    let mut explained = 0;
    for (family, node) in [
        ("etcd", "ip-10-0-9-206.us-west-2.compute.internal"),
        (
            "kube-system/kube-apiserver",
            "ip-10-0-9-206.us-west-2.compute.internal",
        ),
        ("kube-scheduler", "ip-10-0-9-16.us-west-2.compute.internal"),
    ] {
        let mut args = vec![];
        for f in files {
            args.extend(["-f", f]);
        }
        args.extend([
            "explain",
            "--static-pods",
            family,
            node,
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ]);
        let o = bin(&args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{family} {node}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        assert_eq!(e["schemaVersion"], 1);
        assert_eq!(e["kind"], "StaticPodNodeExplanation");
        assert_valid(
            &explain,
            &e,
            &format!("explain --static-pods {family} {node}"),
        );
        explained += 1;
    }
    assert_eq!(explained, 3);
}
