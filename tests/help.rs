//! Each subcommand's help lists what applies to it; a flag that does not apply is a usage error
//! naming the subcommand; `schema -o yaml` prints the schema as YAML.

use std::process::Command;

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap()
}

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn subcommand_help_lists_only_its_flags() {
    let explain = stdout(&bin(&["explain", "--help"]));
    for present in [
        "--namespace",
        "--from-file",
        "--manifest",
        "--output",
        "--kubeconfig",
    ] {
        assert!(explain.contains(present), "{present} in explain --help");
    }
    for absent in [
        "--group-by",
        "--all-nodes",
        "--no-headers",
        "--include-ineligible",
        "--selector",
        "--check",
        "matrix",
        "junit",
        "prometheus",
        "--metrics-max-gaps",
    ] {
        assert!(
            !explain.contains(absent),
            "{absent} in explain --help:\n{explain}"
        );
    }
    let fix = stdout(&bin(&["fix", "--help"]));
    for present in ["--dry-run", "--selector", "--output"] {
        assert!(fix.contains(present), "{present} in fix --help");
    }
    for absent in [
        "--group-by",
        "--manifest",
        "--check",
        "markdown",
        "--include-ineligible",
    ] {
        assert!(!fix.contains(absent), "{absent} in fix --help:\n{fix}");
    }
    for sub in ["schema", "completion"] {
        let help = stdout(&bin(&[sub, "--help"]));
        for absent in [
            "--kubeconfig",
            "--namespace",
            "--context",
            "--from-file",
            "--check",
        ] {
            assert!(!help.contains(absent), "{absent} in {sub} --help:\n{help}");
        }
    }
    // The report keeps every flag.
    let report = stdout(&bin(&["--help"]));
    for present in ["--group-by", "--check", "--kubeconfig", "junit"] {
        assert!(report.contains(present), "{present} in --help");
    }
}

#[test]
fn a_flag_that_does_not_apply_is_a_usage_error_naming_the_subcommand() {
    for (args, want) in [
        (
            &["explain", "ds", "node", "-l", "app=x"][..],
            "`explain` does not take --selector",
        ),
        (
            &["explain", "ds", "node", "--check"][..],
            "`explain` does not take --check",
        ),
        (
            &["-l", "app=x", "explain", "ds", "node"][..],
            "`explain` does not take --selector",
        ),
        (
            &["schema", "-n", "x"][..],
            "`schema` does not take --namespace",
        ),
        (
            &["completion", "bash", "-A"][..],
            "`completion` does not take --all-namespaces",
        ),
        (
            &["fix", "--group-by", "zone"][..],
            "`fix` does not take --group-by",
        ),
    ] {
        let o = bin(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains(want), "{args:?}: {err}");
    }
    let o = bin(&["explain", "ds", "node", "-o", "matrix"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("[possible values: table, json, yaml]"));
}

#[test]
fn schema_prints_yaml_when_asked() {
    let json: serde_json::Value = serde_json::from_slice(&bin(&["schema"]).stdout).unwrap();
    let o = bin(&["schema", "-o", "yaml"]);
    assert_eq!(o.status.code(), Some(0));
    let text = stdout(&o);
    assert!(
        !text.trim_start().starts_with('{'),
        "YAML, not JSON: {text:.80}"
    );
    let yaml: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    assert_eq!(yaml, json);
    assert_eq!(bin(&["schema", "-o", "table"]).status.code(), Some(2));
}

#[test]
fn schema_help_offers_each_json_output() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(["schema", "--help"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0));
    let help = String::from_utf8_lossy(&o.stdout);
    assert!(
        help.contains("Usage: kubectl ds-coverage schema [OPTIONS] [WHICH]"),
        "{help}"
    );
    for which in ["- report:", "- explain:", "- plan:", "[default: report]"] {
        assert!(help.contains(which), "{which} in {help}");
    }
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(["schema", "events"])
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown schema is a usage error"
    );
}
