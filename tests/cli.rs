//! The built binary, run as a user runs it: flags, inputs, errors, exit codes.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    c.env_remove("NO_COLOR").env_remove("KUBECONFIG");
    c
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("binary runs")
}

fn run_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("binary runs");
    child.stdin.take().unwrap().write_all(input).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).expect("stdout is JSON")
}

fn temp_file(name: &str, content: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("ds-coverage-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, content).unwrap();
    p
}

/// (DaemonSet "ns/name", node) → state, from a JSON report.
fn states(report: &serde_json::Value) -> std::collections::BTreeMap<(String, String), String> {
    let mut m = std::collections::BTreeMap::new();
    for d in report["daemonSets"].as_array().unwrap() {
        let id = format!(
            "{}/{}",
            d["namespace"].as_str().unwrap(),
            d["name"].as_str().unwrap()
        );
        for p in d["nodes"].as_array().unwrap() {
            m.insert(
                (id.clone(), p["node"].as_str().unwrap().to_string()),
                p["state"].as_str().unwrap().to_string(),
            );
        }
    }
    m
}

#[test]
fn help_and_version_exit_zero() {
    let o = run(&["--help"]);
    assert_eq!(o.status.code(), Some(0));
    let out = stdout(&o);
    assert!(out.contains("--from-file"), "{out}");
    assert!(out.contains("Exit codes"), "{out}");
    let o = run(&["--version"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(stdout(&o).contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn usage_errors_exit_2() {
    for args in [
        &["--no-such-flag"][..],
        &["-f", "examples/cluster.yaml", "-o", "nope"],
        &["-f", "examples/cluster.yaml", "--as-of", "yesterday"],
        &["-f", "examples/cluster.yaml", "-l", "bad key=1"],
        &["-f", "examples/cluster.yaml", "--node-selector", "a in (b"],
        &["-f", "examples/cluster.yaml", "-A", "kube-proxy"],
        &["-f", "examples/cluster.yaml", "--group-by", "zone"],
        &["-f", "-", "-f", "-"],
    ] {
        let o = run(args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(!stderr(&o).is_empty(), "{args:?} says why");
        assert!(!stderr(&o).contains("panicked"), "{args:?}");
    }
}

/// The table and matrix flags are global; fix and explain, which print neither, leave them out
/// of their help and refuse them as clap refuses a flag, instead of ignoring them.
#[test]
fn table_and_matrix_flags_are_refused_by_fix_and_explain() {
    let explain = [
        "-f",
        "examples/cluster.yaml",
        "explain",
        "-n",
        "monitoring",
        "netdata",
        "worker-1",
    ];
    let fix = ["-f", "examples/cluster.yaml", "fix"];
    for (base, command) in [(&explain[..], "explain"), (&fix[..], "fix")] {
        for flag in [
            &["--all-problems"][..],
            &["--hide-covered"],
            &["--max-columns", "3"],
            &["--group-by", "zone"],
            &["--all-nodes"],
        ] {
            let mut args = base.to_vec();
            args.extend(flag);
            let o = run(&args);
            assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
            let said = format!("error: `{command}` does not take {}", flag[0]);
            assert!(stderr(&o).starts_with(&said), "{args:?}: {}", stderr(&o));
            assert!(stdout(&o).is_empty(), "{args:?}: nothing done");
            let help = run(&[command, "--help"]);
            assert_eq!(help.status.code(), Some(0));
            let help = stdout(&help);
            assert!(help.contains("--namespace"), "{command} --help: {help}");
            assert!(
                !help.contains(flag[0]),
                "{command} --help lists {}",
                flag[0]
            );
        }
    }
}

#[test]
fn missing_file_exits_3_and_names_it() {
    let o = run(&["-f", "does/not/exist.yaml"]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("does/not/exist.yaml") && err.contains("no such file"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn broken_json_names_file_line_and_column() {
    let p = temp_file(
        "broken.json",
        "{\n  \"kind\": \"List\",\n  \"items\": [ { \"kind\": \"Node\", }\n  ]\n}\n",
    );
    let o = run(&["-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("broken.json") && err.contains("line 3"),
        "{err}"
    );
    assert!(err.contains("column"), "{err}");
    assert!(o.stdout.is_empty(), "no partial output");
}

#[test]
fn broken_yaml_names_file_and_line() {
    let p = temp_file(
        "broken.yaml",
        "apiVersion: v1\nkind: Node\nmetadata:\n  name: a\n   labels: [x\n",
    );
    let o = run(&["-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("broken.yaml") && err.contains("invalid YAML at line"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn wrong_field_type_names_the_object() {
    let p = temp_file(
        "badtype.json",
        r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","labels":["not","a","map"]}}"#,
    );
    let o = run(&["-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("badtype.json") && err.contains("Node n1"),
        "{err}"
    );
}

#[test]
fn yaml_list_from_stdin_equals_the_file() {
    let text = std::fs::read("examples/cluster.yaml").unwrap();
    let from_stdin = json(&run_stdin(
        &["-f", "-", "--as-of", AS_OF, "-o", "json"],
        &text,
    ));
    let from_file = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    assert_eq!(from_stdin["daemonSets"], from_file["daemonSets"]);
    assert_eq!(from_stdin["source"]["paths"][0], "-");
}

#[test]
fn cluster_info_dump_directory_is_read_recursively() {
    let dump = json(&run(&[
        "-f",
        "tests/fixtures/cluster-info-dump",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    let file = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    assert_eq!(dump["summary"]["daemonSets"], 6);
    assert_eq!(dump["summary"]["nodes"], 8);
    // The dump has no ControllerRevisions: states agree, revisions come from template generation.
    assert_eq!(states(&dump), states(&file));
    assert!(
        dump["warnings"][0]
            .as_str()
            .unwrap()
            .contains("no ControllerRevisions")
    );
}

#[test]
fn json_single_objects_and_concatenated_documents() {
    // `kubectl get node a -o json; kubectl get ds x -o json` → concatenated JSON documents.
    let text = r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"a","labels":{"kubernetes.io/os":"linux"}}}
{"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"d","namespace":"ns","uid":"u1"},
 "spec":{"selector":{"matchLabels":{"app":"d"}},"template":{"metadata":{"labels":{"app":"d"}},"spec":{"containers":[{"name":"c","image":"i"}]}}},
 "status":{"desiredNumberScheduled":1,"currentNumberScheduled":0,"numberMisscheduled":0,"numberReady":0,"numberUnavailable":1}}
{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"skipped","namespace":"ns"}}"#;
    let r = json(&run_stdin(&["-f", "-", "-o", "json"], text.as_bytes()));
    assert_eq!(r["summary"]["nodes"], 1);
    assert_eq!(r["daemonSets"][0]["nodes"][0]["state"], "Missing");
    assert_eq!(r["daemonSets"][0]["statusAgrees"], true);
}

#[test]
fn old_daemonset_api_versions_are_read() {
    for (group, api) in [
        ("sonobuoy-kind1", "extensions/v1beta1"),
        ("sonobuoy-aws3", "apps/v1beta2"),
    ] {
        let dir = "tests/fixtures/real";
        let r = json(&run(&[
            "-f",
            &format!("{dir}/{group}-nodes.list.json"),
            "-f",
            &format!("{dir}/{group}-daemonsets.list.json"),
            "-f",
            &format!("{dir}/{group}-pods.list.json"),
            "-o",
            "json",
        ]));
        let text = std::fs::read_to_string(format!("{dir}/{group}-daemonsets.list.json")).unwrap();
        assert!(text.contains(api));
        assert!(r["summary"]["daemonSets"].as_u64().unwrap() >= 4, "{group}");
        assert!(r["summary"]["eligible"].as_u64().unwrap() > 0, "{group}");
    }
}

#[test]
fn must_gather_multi_document_yaml_with_comments() {
    let dir = "tests/fixtures/real";
    let r = json(&run(&[
        "-f",
        &format!("{dir}/mustgather-ocp48-aws6-nodes.yaml"),
        "-f",
        &format!("{dir}/mustgather-ocp48-aws6-daemonsets.yaml"),
        "-f",
        &format!("{dir}/mustgather-ocp48-aws6-pods.yaml"),
        "-o",
        "json",
    ]));
    assert_eq!(r["summary"]["daemonSets"], 18);
    assert_eq!(r["summary"]["nodes"], 6);
    assert_eq!(r["summary"]["coveragePercent"], 100.0);
}

#[test]
fn example_cluster_shows_every_state_with_reasons() {
    let r = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    let s = states(&r);
    let at = |ds: &str, node: &str| {
        s.get(&(ds.to_string(), node.to_string()))
            .cloned()
            .unwrap_or_default()
    };
    assert_eq!(at("logging/fluent-bit", "worker-2"), "Missing");
    assert_eq!(at("logging/fluent-bit", "cp-1"), "NotReady");
    assert_eq!(at("logging/fluent-bit", "worker-3"), "Misscheduled");
    assert_eq!(at("gpu-operator/nvidia-device-plugin", "gpu-2"), "Pending");
    assert_eq!(at("monitoring/node-exporter", "worker-2"), "Failed");
    assert_eq!(at("kube-system/kube-proxy", "gpu-1"), "Ready");
    // Ineligible pairs are left out unless asked for.
    assert_eq!(at("gpu-operator/dcgm-exporter", "gpu-1"), "");
    let all = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
        "--include-ineligible",
    ]));
    let dcgm = all["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "dcgm-exporter")
        .unwrap();
    let gpu1 = dcgm["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node"] == "gpu-1")
        .unwrap();
    assert_eq!(gpu1["state"], "Ineligible");
    assert!(
        gpu1["reasons"][0]["message"]
            .as_str()
            .unwrap()
            .contains("has value \"true\", the taint has \"present\"")
    );
    // Every non-Ready pair says why, in words.
    for d in r["daemonSets"].as_array().unwrap() {
        for p in d["nodes"].as_array().unwrap() {
            if p["state"] != "Ready" {
                assert!(
                    !p["reasons"].as_array().unwrap().is_empty(),
                    "{} {} has no reason",
                    d["name"],
                    p["node"]
                );
            }
        }
    }
}

#[test]
fn json_report_has_the_documented_fields() {
    let r = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    for k in [
        "schemaVersion",
        "kind",
        "generatedAt",
        "source",
        "summary",
        "daemonSets",
        "nodes",
        "orphans",
    ] {
        assert!(r.get(k).is_some(), "missing {k}");
    }
    assert_eq!(r["schemaVersion"], 1);
    assert_eq!(r["kind"], "DaemonSetCoverageReport");
    assert_eq!(r["generatedAt"], AS_OF);
    assert_eq!(r["source"]["type"], "file");
    for k in [
        "daemonSets",
        "nodes",
        "eligible",
        "ready",
        "notReady",
        "pending",
        "failed",
        "missing",
        "misscheduled",
        "outdated",
        "coveragePercent",
    ] {
        assert!(r["summary"].get(k).is_some(), "summary.{k}");
    }
    let d = &r["daemonSets"][0];
    for k in [
        "namespace",
        "name",
        "uid",
        "updateStrategy",
        "currentRevision",
        "counts",
        "computedStatus",
        "controllerStatus",
        "statusAgrees",
        "nodes",
    ] {
        assert!(d.get(k).is_some(), "daemonSets[].{k}");
    }
    for k in [
        "desiredNumberScheduled",
        "currentNumberScheduled",
        "numberMisscheduled",
        "numberReady",
        "numberAvailable",
        "updatedNumberScheduled",
        "numberUnavailable",
    ] {
        assert!(d["computedStatus"].get(k).is_some(), "computedStatus.{k}");
        assert!(
            d["controllerStatus"].get(k).is_some(),
            "controllerStatus.{k}"
        );
    }
    let fb = r["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "fluent-bit")
        .unwrap();
    let w3 = fb["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["node"] == "worker-3")
        .unwrap();
    assert_eq!(w3["removedByController"], false);
    for k in [
        "node",
        "state",
        "eligible",
        "outdated",
        "reasons",
        "pods",
        "duplicates",
        "terminating",
    ] {
        assert!(w3.get(k).is_some(), "pair.{k}");
    }
    for k in [
        "name",
        "phase",
        "ready",
        "restarts",
        "revision",
        "createdAt",
        "terminating",
    ] {
        assert!(w3["pods"][0].get(k).is_some(), "pod.{k}");
    }
    let n = &r["nodes"][0];
    for k in [
        "name",
        "ready",
        "unschedulable",
        "createdAt",
        "taints",
        "missing",
        "misscheduled",
    ] {
        assert!(n.get(k).is_some(), "nodes[].{k}");
    }
    assert_eq!(r["orphans"][0]["name"], "fluent-bit-debug");
}

#[test]
fn yaml_output_carries_the_same_report() {
    let j = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]));
    let o = run(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "yaml",
    ]);
    assert_eq!(o.status.code(), Some(0));
    let y: serde_json::Value = serde_saphyr::from_str(&stdout(&o)).expect("stdout is YAML");
    assert_eq!(y["summary"], j["summary"]);
    assert_eq!(y["daemonSets"][3]["nodes"], j["daemonSets"][3]["nodes"]);
}

#[test]
fn filters_narrow_the_audit() {
    let base = [
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ];
    let with = |extra: &[&str]| json(&run(&[&base[..], extra].concat()));
    assert_eq!(with(&["-n", "monitoring"])["summary"]["daemonSets"], 2);
    let one = with(&["-n", "logging", "fluent-bit"]);
    assert_eq!(one["summary"]["daemonSets"], 1);
    assert_eq!(one["daemonSets"][0]["name"], "fluent-bit");
    let by_label = with(&[
        "-l",
        "app.kubernetes.io/managed-by=Helm,app.kubernetes.io/name notin (fluent-bit)",
    ]);
    let names: Vec<&str> = by_label["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["dcgm-exporter", "nvidia-device-plugin", "node-exporter"]
    );
    let gpu_nodes = with(&["--node-selector", "nvidia.com/gpu.present=true"]);
    assert_eq!(gpu_nodes["summary"]["nodes"], 2);
    assert!(
        gpu_nodes["daemonSets"][0]["statusAgrees"].is_null(),
        "a partial node set cannot be compared"
    );
    let o = run(&[&base[..], &["-n", "logging", "no-such-ds"]].concat());
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("\"no-such-ds\" not found in namespace \"logging\""),
        "{}",
        stderr(&o)
    );
}

#[test]
fn empty_namespace_says_so_on_stderr() {
    let o = run(&["-f", "examples/cluster.yaml", "-n", "nothing-here"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stdout.is_empty());
    assert_eq!(
        stderr(&o).trim(),
        "No DaemonSets found in namespace nothing-here of examples/cluster.yaml. Use -A to audit all namespaces."
    );
    // Machine formats still print a (empty) report.
    let r = json(&run(&[
        "-f",
        "examples/cluster.yaml",
        "-n",
        "nothing-here",
        "-o",
        "json",
    ]));
    assert_eq!(r["summary"]["daemonSets"], 0);
}

#[test]
fn closed_pipe_is_not_an_error() {
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "set -o pipefail; {} -f tests/fixtures/real/mustgather-ocp48-aws6-pods.yaml -f tests/fixtures/real/mustgather-ocp48-aws6-nodes.yaml -f tests/fixtures/real/mustgather-ocp48-aws6-daemonsets.yaml -o yaml | head -c 10 >/dev/null",
            env!("CARGO_BIN_EXE_kubectl-ds_coverage")
        ))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Broken pipe"));
}

#[test]
fn color_follows_flag_and_no_color() {
    let base = ["-f", "examples/cluster.yaml", "--as-of", AS_OF];
    let always = stdout(&run(&[&base[..], &["--color", "always"]].concat()));
    assert!(always.contains("\u{1b}["), "coloured");
    let never = stdout(&run(&[&base[..], &["--color", "never"]].concat()));
    assert!(!never.contains('\u{1b}'));
    // Not a terminal: auto means no colour.
    assert!(!stdout(&run(&base)).contains('\u{1b}'));
    // JSON is never coloured.
    assert!(
        !stdout(&run(
            &[&base[..], &["--color", "always", "-o", "json"]].concat()
        ))
        .contains('\u{1b}')
    );
}

#[test]
fn input_without_any_object_is_an_error_not_a_pass() {
    for input in [
        "",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: y}\n",
    ] {
        let o = run_stdin(&["-f", "-", "--check"], input.as_bytes());
        assert_eq!(o.status.code(), Some(3), "{input:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("no nodes, DaemonSets, pods or ControllerRevisions"),
            "{}",
            stderr(&o)
        );
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn a_closed_pipe_keeps_the_gate_verdict() {
    let o = Command::new("bash")
        .arg("-c")
        .arg(format!(
            "{} -f examples/cluster.yaml --check -o yaml 2>/dev/null | head -c 10 >/dev/null; echo ${{PIPESTATUS[0]}}",
            env!("CARGO_BIN_EXE_kubectl-ds_coverage")
        ))
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&o.stdout).trim(),
        "1",
        "the failed gate survives `| head`"
    );
}

#[test]
fn a_manifest_that_changes_the_template_marks_existing_pods_as_replaced() {
    let text = std::fs::read_to_string("examples/cluster.yaml").unwrap();
    let all: serde_json::Value = serde_saphyr::from_str(&text).unwrap();
    let mut ds = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["kind"] == "DaemonSet" && i["metadata"]["name"] == "kube-proxy")
        .unwrap()
        .clone();
    ds.as_object_mut().unwrap().remove("status");
    let unchanged = serde_json::to_string(&ds).unwrap();
    ds["spec"]["template"]["spec"]["containers"][0]["image"] =
        "registry.k8s.io/kube-proxy:v9.9.9".into();
    let changed = serde_json::to_string(&ds).unwrap();
    let dir = std::env::temp_dir().join(format!("ds-coverage-manifest-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let audit = |name: &str, manifest: &str| {
        let p = dir.join(name);
        std::fs::write(&p, manifest).unwrap();
        json(&run(&[
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            AS_OF,
            "--manifest",
            p.to_str().unwrap(),
            "-o",
            "json",
        ]))
    };
    let same = audit("same.json", &unchanged);
    assert_eq!(same["daemonSets"][0]["fromManifest"], true);
    assert_eq!(
        same["daemonSets"][0]["counts"]["outdated"], 0,
        "re-applying the same template replaces nothing"
    );
    let new = audit("new.json", &changed);
    assert_eq!(
        new["daemonSets"][0]["counts"]["outdated"], 8,
        "every pod would be replaced"
    );
    assert!(
        new["daemonSets"][0]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("replaces every existing pod")
    );
}

#[test]
fn broken_yaml_deep_in_a_kubectl_list_names_its_line() {
    // Items before it are read by the fast reader of kubectl's YAML; the broken one goes to
    // serde-saphyr, whose error is placed at the input's line.
    let node =
        |n: usize| format!("- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-{n}\n");
    let mut text = String::from("apiVersion: v1\nitems:\n");
    for n in 0..50 {
        text.push_str(&node(n));
    }
    text.push_str("- apiVersion: v1\n  kind: Node\n  metadata:\n    name: 'open\nkind: List\n");
    let p = temp_file("list.yaml", &text);
    let o = run(&["-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("list.yaml") && err.contains("invalid YAML at line 206,"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

/// An object of the wrong shape in valid YAML is the object's fault, said as the JSON reader
/// says it ("Node bad: invalid type: ..."), never "invalid YAML": a single document, an item
/// deep in a kubectl list (placed at its line), a typed list's kindless item, stdin.
#[test]
fn an_object_of_the_wrong_type_in_valid_yaml_is_not_invalid_yaml() {
    let fault = "Node bad: invalid type: sequence, expected a map";
    let one_line = |o: &Output, file: &str| {
        assert_eq!(o.status.code(), Some(3), "{}", stderr(o));
        let err = stderr(o);
        assert_eq!(err.lines().count(), 1, "one line: {err}");
        assert!(err.contains(file) && err.contains(fault), "{err}");
        assert!(
            !err.contains("invalid YAML") && !err.contains("\\u{"),
            "{err}"
        );
        err
    };
    let json = temp_file(
        "bad-node.json",
        r#"{"apiVersion":"v1","kind":"Node","metadata":{"name":"bad","labels":["x"]}}"#,
    );
    let from_json = one_line(&run(&["-f", json.to_str().unwrap()]), "bad-node.json");
    let doc = "apiVersion: v1\nkind: Node\nmetadata:\n  name: bad\n  labels: [x]\n";
    let yaml = temp_file("bad-node.yaml", doc);
    let from_yaml = one_line(&run(&["-f", yaml.to_str().unwrap()]), "bad-node.yaml");
    // The same words after the file's name (and the JSON reader's position).
    let words = |e: &str| e[e.find("Node bad").unwrap()..].to_string();
    assert_eq!(words(&from_yaml), words(&from_json));
    one_line(&run_stdin(&["-f", "-"], doc.as_bytes()), "<stdin>");
    // Deep in a kubectl list: the fast reader hands the item to serde-saphyr, placed at its line.
    let mut list = String::from("apiVersion: v1\nitems:\n");
    for n in 0..50 {
        list.push_str(&format!(
            "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-{n}\n"
        ));
    }
    list.push_str("- apiVersion: v1\n  kind: Node\n  metadata:\n    name: bad\n    labels: [x]\n");
    list.push_str("kind: List\nmetadata: {}\n");
    let p = temp_file("bad-list.yaml", &list);
    let err = one_line(&run(&["-f", p.to_str().unwrap()]), "bad-list.yaml");
    assert!(err.contains("at line 203, column 3: Node bad"), "{err}");
    // A NodeList's items carry no kind: typed once the list's kind is known.
    let typed = "apiVersion: v1\nkind: NodeList\nitems:\n- metadata:\n    name: a\n- metadata:\n    name: bad\n    labels: [x]\n";
    let p = temp_file("bad-nodelist.yaml", typed);
    one_line(&run(&["-f", p.to_str().unwrap()]), "bad-nodelist.yaml");
    // Invalid YAML is still said so.
    let p = temp_file("broken-node.yaml", "kind: Node\nmetadata: [\n");
    let o = run(&["-f", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("invalid YAML at line"),
        "{}",
        stderr(&o)
    );
}

/// A sequence entry where a mapping's next key is due is an error, not a key that begins with
/// a dash (the fast reader of kubectl's YAML once read it so, and audited the rest).
#[test]
fn a_misindented_list_entry_in_kubectl_yaml_is_an_error() {
    let pod = |n: usize, mounts: &str| {
        format!(
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: p-{n}\n    namespace: ns\n  \
             spec:\n    nodeName: node-1\n    volumes:\n    - hostPath:\n        path: /a\n      \
             name: a\n{mounts}"
        )
    };
    let list = |last: &str| {
        let mut text = String::from("apiVersion: v1\nitems:\n");
        for n in 0..3 {
            text.push_str(&pod(n, "    - emptyDir: {}\n      name: b\n"));
        }
        text.push_str(&pod(3, last));
        text.push_str("kind: List\n");
        text
    };
    let good = temp_file(
        "good-pods.yaml",
        &list("    - emptyDir: {}\n      name: b\n"),
    );
    let o = run(&["-f", good.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The last pod's second volume two columns too deep: inside the first volume's mapping.
    let bad = temp_file(
        "bad-pods.yaml",
        &list("      - hostPath:\n        path: /b\n      name: b\n"),
    );
    let o = run(&["-f", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("bad-pods.yaml") && err.contains("invalid YAML at line 53,"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

/// Input the YAML reader refuses for its limits or its bytes says why in words, on one line:
/// not serde-saphyr's debug form of the limit, not a bare "IO error".
#[test]
fn yaml_past_the_depth_limit_or_not_utf8_is_one_plain_line() {
    let mut deep = String::from("kind: List\nitems:\n- kind: Node\n  metadata:\n    labels:\n");
    for i in 0..300 {
        deep.push_str(&format!("{}k{i}:\n", "  ".repeat(i + 3)));
    }
    deep.push_str(&format!("{}x: y\n", "  ".repeat(303)));
    let not_utf8 = b"items:\n- kind: Pod\n  metadata:\n    name: \xff\xfe\n".to_vec();
    for (name, bytes, says) in [
        (
            "deep.yaml",
            deep.into_bytes(),
            "levels deep, more than the YAML reader allows",
        ),
        ("bytes.yaml", not_utf8, "UTF-8"),
    ] {
        let p = temp_file(name, "");
        std::fs::write(&p, &bytes).unwrap();
        let o = run(&["-f", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(3), "{name}");
        let err = stderr(&o);
        assert!(err.contains(name) && err.contains(says), "{name}: {err}");
        assert!(
            !err.contains(" { ") && !err.contains("IO error"),
            "{name}: {err}"
        );
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

/// `--no-headers` rows are for scripts (`awk '{print $3}'`), as kubectl's are: always the
/// columns the headed table has in full — NAMESPACE NAME ELIGIBLE READY NOT-READY PENDING
/// FAILED MISSING MISSCHED OUTDATED COVERAGE — with names whole, whatever the terminal's width,
/// the names' lengths or which counts are zero everywhere (the headed table may fold and cut
/// columns to fit; rows without a header to say which they are may not).
#[test]
fn no_headers_rows_have_every_column_at_any_width_and_name_length() {
    let healthy = std::fs::read_to_string("examples/healthy-cluster.yaml").unwrap();
    let long = "kube-proxy-with-a-name-of-forty-eight-characters";
    assert_eq!(long.len(), 48);
    let renamed = healthy.replacen(
        "\n    name: kube-proxy\n",
        &format!("\n    name: {long}\n"),
        1,
    );
    assert_ne!(renamed, healthy, "the DaemonSet is renamed");
    let renamed = temp_file("long-name.yaml", &renamed);
    let renamed = renamed.to_str().unwrap();
    let wanted = [
        "ELIGIBLE",
        "READY",
        "NOT-READY",
        "PENDING",
        "FAILED",
        "MISSING",
        "MISSCHED",
        "OUTDATED",
        "COVERAGE",
    ];
    for input in [
        "examples/healthy-cluster.yaml",
        "examples/cluster.yaml",
        renamed,
    ] {
        for output in ["table", "wide"] {
            // The headed table at 300 columns has every column: the rows must match it.
            let headed = bin()
                .env("COLUMNS", "300")
                .args(["-f", input, "--as-of", AS_OF, "-o", output])
                .output()
                .unwrap();
            let header: Vec<String> = stdout(&headed)
                .lines()
                .next()
                .unwrap()
                .split_whitespace()
                .map(String::from)
                .collect();
            assert_eq!(header[2..], wanted, "{input} -o {output}");
            for columns in ["20", "40", "60", "80", "300"] {
                let o = bin()
                    .env("COLUMNS", columns)
                    .args(["-f", input, "--as-of", AS_OF, "-o", output, "--no-headers"])
                    .output()
                    .unwrap();
                assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
                let rows = stdout(&o);
                assert!(!rows.is_empty());
                for row in rows.lines() {
                    let fields: Vec<&str> = row.split_whitespace().collect();
                    assert_eq!(
                        fields.len(),
                        header.len(),
                        "{input} -o {output} at {columns} columns: {row:?}"
                    );
                    assert!(!row.contains('…'), "a name cut: {row:?}");
                    // ELIGIBLE and READY are numbers, never READY as ready/eligible.
                    assert!(fields[2].parse::<usize>().is_ok(), "{row:?}");
                    assert!(fields[3].parse::<usize>().is_ok(), "{row:?}");
                }
                if input == renamed {
                    assert!(rows.contains(&format!("kube-system  {long} ")), "{rows}");
                }
            }
        }
    }
    // A what-if's rows (every row of a --manifest run is one) and a fleet's (CLUSTER first).
    let fleet = format!("prod-{long}={renamed}");
    for (args, fields) in [
        (
            vec![
                "-f",
                "examples/cluster.yaml",
                "--manifest",
                "examples/whatif-gpu-operator.yaml",
            ],
            11,
        ),
        (vec!["-f", "dev=examples/cluster.yaml", "-f", &fleet], 12),
    ] {
        for columns in ["20", "300"] {
            let o = bin()
                .env("COLUMNS", columns)
                .args(&args)
                .args(["--as-of", AS_OF, "--no-headers"])
                .output()
                .unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            let rows = stdout(&o);
            assert!(!rows.is_empty());
            for row in rows.lines() {
                assert_eq!(
                    row.split_whitespace().count(),
                    fields,
                    "{args:?} at {columns} columns: {row:?}"
                );
                assert!(!row.contains('…'), "{args:?} at {columns}: {row:?}");
            }
            if fields == 12 {
                // The long cluster name whole, first on its rows.
                assert!(
                    rows.lines()
                        .any(|r| r.starts_with(&format!("prod-{long} "))),
                    "{rows}"
                );
            }
        }
    }
}

/// kubectl's TYPE/NAME (`ds/fluent-bit`), typed out of habit, is a usage error giving the form
/// to use, in one line, for the report and for explain; not "not found in namespace ds".
#[test]
fn kubectls_type_slash_name_is_refused_with_the_form_to_give() {
    for args in [
        vec!["-f", "examples/cluster.yaml", "ds/fluent-bit"],
        vec![
            "-f",
            "examples/cluster.yaml",
            "-n",
            "logging",
            "DaemonSets.apps/fluent-bit",
        ],
        vec![
            "explain",
            "-f",
            "examples/cluster.yaml",
            "daemonset/fluent-bit",
            "worker-5",
        ],
    ] {
        let o = run(&args);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains("not kubectl's TYPE/NAME: give fluent-bit"),
            "{err}"
        );
        assert!(!err.contains("not found"), "{err}");
        assert!(o.stdout.is_empty());
    }
    // NAMESPACE/NAME still names a DaemonSet.
    let o = run(&["-f", "examples/cluster.yaml", "logging/fluent-bit"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// A flag given twice takes its last value, as kubectl's do (`-o wide -o json` is JSON); a
/// repeatable one (`-f`) still gathers every value.
#[test]
fn a_flag_given_twice_takes_its_last_value() {
    let o = run(&["-f", "examples/cluster.yaml", "-o", "matrix", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["kind"], "DaemonSetCoverageReport");
    let o = run(&[
        "-f",
        "examples/cluster.yaml",
        "-f",
        "examples/healthy-cluster.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(json(&o)["source"]["paths"].as_array().unwrap().len(), 2);
}

/// `--group-by` wants a label key: empty is a usage error; a key no node has groups every node
/// in one `<none>` row and says why.
#[test]
fn group_by_an_empty_or_absent_label_is_said() {
    let grouped = |key: &str| {
        run(&[
            "-f",
            "examples/cluster.yaml",
            "-o",
            "matrix",
            "--group-by",
            key,
        ])
    };
    let o = grouped("");
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("--group-by takes a node label key"),
        "{}",
        stderr(&o)
    );
    let o = grouped("nope");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = stdout(&o);
    assert!(text.contains("\n<none>"), "{text}");
    assert!(
        text.contains("no node has the label nope: every node is in the <none> row"),
        "{text}"
    );
    let o = grouped("kubernetes.io/arch");
    assert!(
        !stdout(&o).contains("no node has the label"),
        "{}",
        stdout(&o)
    );
}

/// A negative number given to a numeric flag is judged as a value (kubectl's flags read it so),
/// not taken for an unknown flag with a tip to pass it after `--`.
#[test]
fn a_negative_number_is_a_bad_value_not_an_unknown_flag() {
    for args in [
        &["--check", "--min-coverage", "-1"][..],
        &["--chunk-size", "-5"],
        &["-o", "matrix", "--max-columns", "-1"],
    ] {
        let o = run(&[&["-f", "examples/cluster.yaml"][..], args].concat());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(!err.contains("unexpected argument"), "{args:?}: {err}");
        assert!(err.contains(args[args.len() - 2]), "{args:?}: {err}");
    }
}

/// A flag that says how to reach a cluster, given with files to read, is refused, not ignored:
/// `--context prod -f dump.json` would otherwise report the dump as if it were prod.
#[test]
fn connection_flags_with_files_are_refused() {
    for flag in [
        &["--context", "prod"][..],
        &["--kubeconfig", "/nonexistent"],
        &["-s", "https://127.0.0.1:6443"],
        &["--token", "SECRET-TOKEN"],
    ] {
        let o = run(&[&["-f", "examples/cluster.yaml"][..], flag].concat());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{flag:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("--from-file reads files instead"), "{err}");
        assert!(!err.contains("SECRET-TOKEN"), "{err}");
        assert!(o.stdout.is_empty());
    }
}
