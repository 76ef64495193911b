//! Fleets: several simulated API servers at once, one kubeconfig with a context for each (the
//! real `kubectl` reads the same kubeconfig), some of them unreadable; the fleet report equals
//! the single-cluster reports side by side, and named offline dumps do the same for files.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};

use ds_coverage_simulator::{
    Fault, FaultKind, FleetContext, Matcher, SimOptions, Simulator, Verb, fleet_kubeconfig_yaml,
};
use serde_json::Value;

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ds-coverage-fleet-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    c.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env("COLUMNS", "80");
    c
}

fn bin(args: &[&str]) -> Output {
    command(args).output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn json(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {}", stderr(o)))
}

fn objects(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    vec![serde_saphyr::from_str(&text).unwrap()]
}

/// The healthy example cluster, served with these faults.
fn healthy(faults: Vec<Fault>) -> Simulator {
    Simulator::start(
        objects("examples/healthy-cluster.yaml"),
        SimOptions {
            faults,
            ..SimOptions::default()
        },
    )
}

/// A port nothing listens on: bound, then closed.
fn closed_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", l.local_addr().unwrap());
    drop(l);
    url
}

/// A kubeconfig in a fresh directory; its path.
fn kubeconfig(tag: &str, contexts: &[FleetContext<'_>]) -> String {
    let path = temp_dir(tag).join("kubeconfig");
    std::fs::write(&path, fleet_kubeconfig_yaml(contexts)).unwrap();
    path.to_str().unwrap().to_string()
}

fn validator() -> jsonschema::Validator {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string("schema/fleet.schema.json").unwrap())
            .unwrap();
    jsonschema::validator_for(&schema).expect("the fleet schema is a valid JSON Schema")
}

fn assert_valid(report: &Value, what: &str) {
    let v = validator();
    let errors: Vec<String> = v
        .iter_errors(report)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{what}: {errors:#?}");
}

/// Three live clusters: the example (with drift) whose context names namespace logging, the
/// healthy example whose context names kube-system, and one more copy of the example whose
/// context names none (so `default`, where it has no DaemonSet).
struct Three {
    _sims: Vec<Simulator>,
    kubeconfig: String,
}

fn three() -> Three {
    let a = Simulator::start(objects("examples/cluster.yaml"), SimOptions::default());
    let b = healthy(Vec::new());
    let c = Simulator::start(objects("examples/cluster.yaml"), SimOptions::default());
    let kubeconfig = kubeconfig(
        "three",
        &[
            a.context("drifting", Some("logging")),
            b.context("healthy", Some("kube-system")),
            c.context("no-namespace", None),
        ],
    );
    Three {
        _sims: vec![a, b, c],
        kubeconfig,
    }
}

#[test]
fn the_fleet_report_is_each_contexts_own_report_side_by_side() {
    let t = three();
    let kc = t.kubeconfig.as_str();
    for check in [false, true] {
        let mut args = vec![
            "--kubeconfig",
            kc,
            "--context",
            "drifting,healthy",
            "--context",
            "no-namespace",
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ];
        if check {
            args.push("--check");
        }
        let o = bin(&args);
        // The drifting cluster fails the policy; without --check nothing fails.
        assert_eq!(
            o.status.code(),
            Some(if check { 1 } else { 0 }),
            "{}",
            stderr(&o)
        );
        let fleet = json(&o);
        assert_valid(&fleet, "fleet report");
        assert_eq!(fleet["kind"], "DaemonSetCoverageFleetReport");
        assert_eq!(fleet["schemaVersion"], 1);
        let clusters = fleet["clusters"].as_array().unwrap();
        let names: Vec<&str> = clusters
            .iter()
            .map(|c| c["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, ["drifting", "healthy", "no-namespace"]);
        let mut daemon_sets = 0;
        for c in clusters {
            let name = c["name"].as_str().unwrap();
            let mut single = vec![
                "--kubeconfig",
                kc,
                "--context",
                name,
                "-o",
                "json",
                "--as-of",
                AS_OF,
            ];
            if check {
                single.push("--check");
            }
            let one = bin(&single);
            assert!(one.status.code() == Some(0) || one.status.code() == Some(1));
            assert_eq!(
                c["report"],
                json(&one),
                "{name}: the fleet's entry is the single run's report"
            );
            assert_eq!(c["source"], c["report"]["source"], "{name}");
            assert!(c.get("error").is_none());
            daemon_sets += c["report"]["summary"]["daemonSets"].as_u64().unwrap();
        }
        // Namespace per context: the context's own unless -n/-A, as kubectl.
        for (i, ns) in [(0, "logging"), (1, "kube-system")] {
            let audited = clusters[i]["report"]["daemonSets"].as_array().unwrap();
            assert!(!audited.is_empty(), "{ns}");
            assert!(audited.iter().all(|d| d["namespace"] == ns), "{ns}");
        }
        assert_eq!(clusters[2]["report"]["daemonSets"], serde_json::json!([]));
        assert_eq!(fleet["summary"]["clusters"], 3);
        assert_eq!(fleet["summary"]["read"], 3);
        assert_eq!(fleet["summary"]["unreadable"], 0);
        assert_eq!(
            fleet["summary"]["daemonSets"].as_u64().unwrap(),
            daemon_sets
        );
        if check {
            assert_eq!(fleet["summary"]["gate"]["passed"], false);
            assert_eq!(
                fleet["summary"]["gate"]["failed"],
                serde_json::json!(["drifting", "no-namespace"])
            );
            let err = stderr(&o);
            assert!(
                err.contains("drifting: FAIL  1 of 1 DaemonSet below policy"),
                "{err}"
            );
            assert!(
                err.contains("healthy: PASS  1 DaemonSet meets the policy"),
                "{err}"
            );
            // The empty-audit rule, per cluster.
            assert!(
                err.contains("no-namespace: FAIL  No DaemonSets found in namespace default."),
                "{err}"
            );
            assert!(
                err.lines().last().unwrap().starts_with("FLEET FAIL"),
                "{err}"
            );
        } else {
            assert!(fleet["summary"].get("gate").is_none());
        }
    }
    // -A: every namespace of every context, each as its own -A run.
    let o = bin(&[
        "--kubeconfig",
        kc,
        "--context",
        "no-namespace,healthy",
        "-A",
        "-o",
        "yaml",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fleet: Value = serde_saphyr::from_str(&stdout(&o)).unwrap();
    assert_valid(&fleet, "fleet report as YAML");
    for (i, name) in ["no-namespace", "healthy"].into_iter().enumerate() {
        let one = json(&bin(&[
            "--kubeconfig",
            kc,
            "--context",
            name,
            "-A",
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ]));
        assert_eq!(fleet["clusters"][i]["report"], one, "{name} with -A");
    }
}

#[test]
fn the_contexts_are_real_kubectl_reads_them() {
    let t = three();
    for (context, expected) in [("healthy", 3), ("drifting", 6)] {
        let o = Command::new("kubectl")
            .args([
                "--kubeconfig",
                &t.kubeconfig,
                "--context",
                context,
                "get",
                "ds",
                "-A",
                "-o",
                "json",
            ])
            .env_remove("KUBECONFIG")
            .output()
            .expect("kubectl on PATH (installed by .ci/run)");
        assert!(o.status.success(), "kubectl: {}", stderr(&o));
        let list: Value = serde_json::from_slice(&o.stdout).unwrap();
        let mut by_kubectl: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["metadata"]["namespace"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                )
            })
            .collect();
        by_kubectl.sort();
        assert_eq!(by_kubectl.len(), expected, "{context}");
        let fleet = json(&bin(&[
            "--kubeconfig",
            &t.kubeconfig,
            "--all-contexts",
            "-A",
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ]));
        let entry = fleet["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == context)
            .unwrap();
        let mut ours: Vec<String> = entry["report"]["daemonSets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["namespace"].as_str().unwrap(),
                    d["name"].as_str().unwrap()
                )
            })
            .collect();
        ours.sort();
        assert_eq!(
            ours, by_kubectl,
            "{context}: the fleet read what kubectl lists"
        );
    }
}

#[test]
fn an_unreadable_cluster_is_an_entry_and_never_stops_the_others() {
    let good = healthy(Vec::new());
    let forbidden = healthy(vec![Fault::new(
        Matcher::resource("nodes", Verb::List),
        FaultKind::Status(403),
    )]);
    let unauthorized = healthy(vec![Fault::new(Matcher::any(), FaultKind::Status(401))]);
    let kc = kubeconfig(
        "unreadable",
        &[
            good.context("good", Some("kube-system")),
            forbidden.context("forbidden", None),
            FleetContext {
                name: "down",
                server: closed_port(),
                namespace: None,
            },
            unauthorized.context("unauthorized", None),
        ],
    );
    let kc = kc.as_str();
    let base = [
        "--kubeconfig",
        kc,
        "--request-timeout",
        "10s",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ];
    let run = |extra: &[&str]| bin(&[&base[..], extra].concat());

    let o = run(&["--all-contexts"]);
    assert_eq!(
        o.status.code(),
        Some(3),
        "an unreadable cluster is exit 3: {}",
        stderr(&o)
    );
    let fleet = json(&o);
    assert_valid(&fleet, "fleet with errors");
    let c = fleet["clusters"].as_array().unwrap();
    assert_eq!(c.len(), 4);
    let single = json(&bin(&[
        "--kubeconfig",
        kc,
        "--context",
        "good",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]));
    assert_eq!(
        c[0]["report"], single,
        "the readable cluster is reported in full"
    );
    for (i, reason, words) in [
        (1, "Forbidden", "forbidden"),
        (2, "Unreachable", "cannot reach"),
        (3, "Unauthorized", "unauthorized"),
    ] {
        assert!(c[i].get("report").is_none());
        assert_eq!(c[i]["error"]["reason"], reason, "{}", c[i]);
        assert_eq!(c[i]["error"]["exitCode"], 3);
        let message = c[i]["error"]["message"].as_str().unwrap();
        assert!(message.contains(words), "{message}");
        // The message is the line a single run prints.
        let name = c[i]["name"].as_str().unwrap();
        let one = bin(&[
            "--kubeconfig",
            kc,
            "--context",
            name,
            "--request-timeout",
            "10s",
            "--as-of",
            AS_OF,
        ]);
        assert_eq!(one.status.code(), Some(3));
        // Which list fails first may differ between runs (they are concurrent): the failure
        // after the operation is the same.
        let single = stderr(&one);
        let why = |m: &str| m.split_once(": ").map(|(_, w)| w.trim().to_string());
        assert_eq!(
            why(single.trim().strip_prefix("error: ").unwrap()),
            why(message),
            "{single}"
        );
        assert!(
            stderr(&o).contains(&format!("error: cluster {name}: {message}")),
            "{}",
            stderr(&o)
        );
    }
    assert_eq!(c[2]["source"]["server"], closed_port_of(&c[2]));
    assert_eq!(fleet["summary"]["read"], 1);
    assert_eq!(fleet["summary"]["unreadable"], 3);

    // --allow-unreachable: a warning, and the gate decides on the rest.
    let o = run(&["--all-contexts", "--check", "--allow-unreachable"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("warning: cluster down cannot be read (--allow-unreachable)"),
        "{err}"
    );
    assert!(err.contains("good: PASS"), "{err}");
    assert!(err.contains("FLEET PASS"), "{err}");
    assert_eq!(
        json(&o)["summary"]["gate"]["unreadable"],
        serde_json::json!(["forbidden", "down", "unauthorized"])
    );
    // Without it the gate is exit 3.
    let o = run(&["--all-contexts", "--check"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).lines().last().unwrap().starts_with("FLEET FAIL"));
    // A fleet read nowhere never passes.
    let o = run(&[
        "--context",
        "down,forbidden",
        "--check",
        "--allow-unreachable",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FLEET FAIL  no cluster of 2 clusters could be read"),
        "{}",
        stderr(&o)
    );
    // Its table has no row, and no bare header: each cluster's error, then the fleet's line.
    let o = bin(&[
        "--kubeconfig",
        kc,
        "--context",
        "down,forbidden",
        "--request-timeout",
        "10s",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(
        text.starts_with("down: cannot be read (Unreachable)"),
        "{text}"
    );
    assert!(!text.contains("CLUSTER"), "{text}");
    assert!(text.contains("Fleet: 2 clusters (2 unreadable)"), "{text}");
    let o = run(&["--context", "down,forbidden", "--allow-unreachable"]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
}

fn closed_port_of(entry: &Value) -> Value {
    // The server of an unreachable context is still named (from the kubeconfig).
    let s = entry["source"]["server"].as_str().unwrap();
    assert!(s.starts_with("http://127.0.0.1:"), "{s}");
    Value::String(s.to_string())
}

#[test]
fn a_policy_failure_and_the_empty_rule_apply_per_cluster() {
    let t = three();
    // -n kube-public: no DaemonSet anywhere; the empty audit fails in every cluster.
    let o = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy,no-namespace",
        "-n",
        "kube-public",
        "--check",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("healthy: FAIL  No DaemonSets found in namespace kube-public"),
        "{err}"
    );
    assert!(
        err.contains("no-namespace: FAIL  No DaemonSets found"),
        "{err}"
    );
    let o = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy,no-namespace",
        "-n",
        "kube-public",
        "--check",
        "--allow-empty",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("FLEET PASS  2 of 2 clusters pass"),
        "{}",
        stderr(&o)
    );
    // The table says, per cluster, what an empty audit looked at (as a single run's notice).
    let table = stdout(&o);
    assert!(
        table.starts_with("healthy: No DaemonSets found in namespace kube-public. Use -A"),
        "no row, no header: {table}"
    );
    let single = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy",
        "-n",
        "kube-public",
        "--as-of",
        AS_OF,
    ]);
    assert!(single.stdout.is_empty());
    assert!(
        stderr(&single).starts_with("No DaemonSets found in namespace kube-public. Use -A"),
        "{}",
        stderr(&single)
    );
}

#[test]
fn selection_by_glob_all_contexts_and_names_with_usage_errors_naming_the_contexts() {
    let eu = healthy(Vec::new());
    let us = healthy(Vec::new());
    let kc = kubeconfig(
        "glob",
        &[
            eu.context("prod-eu", None),
            FleetContext {
                name: "staging",
                server: closed_port(),
                namespace: None,
            },
            us.context("prod-us", None),
        ],
    );
    let names = |o: &Output| -> Vec<String> {
        json(o)["clusters"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["name"].as_str().unwrap().to_string())
            .collect()
    };
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "--contexts-matching",
        "prod-*",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(names(&o), ["prod-eu", "prod-us"], "kubeconfig order");
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "--contexts-matching",
        "*-u?",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(names(&o), ["prod-us"]);
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "--all-contexts",
        "--max-concurrent-clusters",
        "1",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(3), "staging is unreachable");
    assert_eq!(names(&o), ["prod-eu", "staging", "prod-us"]);
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "--context",
        "prod-us,prod-eu",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(names(&o), ["prod-us", "prod-eu"], "the order given");

    for (args, expected) in [
        (
            &["--contexts-matching", "dev-*"][..],
            "error: --contexts-matching dev-*: no context matches; the contexts are: prod-eu, staging, prod-us",
        ),
        (
            &["--context", "prod-eu,dev"],
            "error: --context dev: no such context in the kubeconfig; the contexts are: prod-eu, staging, prod-us",
        ),
        (
            &["--all-contexts", "--context", "a,b"],
            "error: choose the fleet one way: several --context and --all-contexts cannot be combined",
        ),
        (
            &[
                "--context",
                "prod-eu,prod-us",
                "explain",
                "kube-proxy",
                "cp-1",
            ],
            "error: explain reads one cluster: name one --context (or one -f dump), not a fleet",
        ),
        (
            &["--context", "prod-eu,prod-us", "fix"],
            "error: fix reads one cluster: name one --context (or one -f dump), not a fleet",
        ),
        (
            &["--all-contexts", "--check", "--wait", "1m"],
            "error: --wait reads one cluster: name one --context (or one -f dump), not a fleet",
        ),
        (
            &["--all-contexts", "--watch"],
            "error: --watch reads one cluster: name one --context (or one -f dump), not a fleet",
        ),
        (
            &["--context", "prod-eu", "--allow-unreachable"],
            "error: --allow-unreachable applies to a fleet (several --context, --all-contexts, --contexts-matching or -f NAME=PATH)",
        ),
        (
            &["--all-contexts", "--max-concurrent-clusters", "0"],
            "error: --max-concurrent-clusters must be at least 1",
        ),
    ] {
        let o = bin(&[&["--kubeconfig", kc.as_str()][..], args].concat());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert_eq!(stderr(&o).trim(), expected, "{args:?}");
        assert!(o.stdout.is_empty());
    }
    // explain refuses the fleet flags as it refuses other flags it does not take.
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "explain",
        "kube-proxy",
        "cp-1",
        "--all-contexts",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`explain` does not take --all-contexts"),
        "{}",
        stderr(&o)
    );
}

fn real(name: &str) -> String {
    format!("tests/fixtures/real/{name}")
}

#[test]
fn named_dumps_are_offline_clusters_each_its_own_file_report() {
    let kind: Vec<String> = ["nodes", "daemonsets", "pods"]
        .iter()
        .map(|k| real(&format!("sonobuoy-kind1-{k}.json")))
        .collect();
    let aws: Vec<String> = ["nodes", "daemonsets", "pods"]
        .iter()
        .map(|k| real(&format!("sonobuoy-aws3-{k}.json")))
        .collect();
    let mut args: Vec<String> = Vec::new();
    for p in &kind {
        args.extend(["-f".into(), format!("kind={p}")]);
    }
    args.extend(["-f".into(), "example=examples/cluster.yaml".into()]);
    for p in &aws {
        args.extend(["-f".into(), format!("aws={p}")]);
    }
    args.extend(["-o", "json", "--as-of", AS_OF, "--check"].map(String::from));
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = bin(&argv);
    let fleet = json(&o);
    assert_valid(&fleet, "offline fleet");
    let c = fleet["clusters"].as_array().unwrap();
    let names: Vec<&str> = c.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["kind", "example", "aws"],
        "the order first named; several -f merge"
    );
    let mut any_failed = false;
    for (entry, paths) in c.iter().zip([
        kind.clone(),
        vec!["examples/cluster.yaml".to_string()],
        aws.clone(),
    ]) {
        let mut single: Vec<&str> = Vec::new();
        for p in &paths {
            single.extend(["-f", p.as_str()]);
        }
        single.extend(["-o", "json", "--as-of", AS_OF, "--check"]);
        let one = bin(&single);
        any_failed |= one.status.code() == Some(1);
        assert_eq!(entry["report"], json(&one), "{}", entry["name"]);
        assert_eq!(
            entry["source"],
            serde_json::json!({"type": "file", "paths": paths})
        );
    }
    assert_eq!(
        o.status.code(),
        Some(if any_failed { 1 } else { 0 }),
        "{}",
        stderr(&o)
    );
    assert!(any_failed, "the example cluster fails the default policy");

    // A dump from standard input, named.
    let mut child = command(&[
        "-f",
        "piped=-",
        "-f",
        "file=examples/healthy-cluster.yaml",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ])
    .stdin(Stdio::piped())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        stdin
            .write_all(&std::fs::read("examples/healthy-cluster.yaml").unwrap())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let f = json(&o);
    let mut piped = f["clusters"][0]["report"].clone();
    let mut file = f["clusters"][1]["report"].clone();
    piped.as_object_mut().unwrap().remove("source");
    file.as_object_mut().unwrap().remove("source");
    assert_eq!(piped, file);

    // An unreadable dump is an entry like an unreachable cluster.
    let o = bin(&[
        "-f",
        "a=examples/healthy-cluster.yaml",
        "-f",
        "gone=/nonexistent/dump.json",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(3));
    let f = json(&o);
    assert_eq!(f["clusters"][1]["error"]["reason"], "Input");
    assert!(f["clusters"][0]["report"].is_object());
}

#[test]
fn paths_with_an_equals_sign_follow_one_rule() {
    let dir = temp_dir("equals");
    let file = dir.join("a=b.json");
    std::fs::copy("examples/healthy-cluster.yaml", &file).unwrap();
    let example = std::fs::canonicalize("examples/healthy-cluster.yaml").unwrap();
    let run_in = |d: &Path, args: &[&str]| command(args).current_dir(d).output().unwrap();
    // With a directory in front it is a path: NAME holds no `/`.
    let o = bin(&["-f", file.to_str().unwrap(), "-o", "json", "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["kind"], "DaemonSetCoverageReport");
    let o = run_in(&dir, &["-f", "./a=b.json", "-o", "json", "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json(&o)["kind"], "DaemonSetCoverageReport");
    // Bare, it reads as NAME=PATH and a file of that name exists: ambiguous, refused.
    let o = run_in(&dir, &["-f", "a=b.json", "--as-of", AS_OF]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: -f a=b.json: a file of that name exists, and it also reads as NAME=PATH; write -f ./a=b.json to read the file, or NAME=./a=b.json to name it"
    );
    // Named, the path may hold `=` itself.
    let o = run_in(
        &dir,
        &[
            "-f",
            "x=./a=b.json",
            "-f",
            &format!("y={}", example.display()),
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        json(&o)["clusters"][0]["source"]["paths"],
        serde_json::json!(["./a=b.json"])
    );
    // Named and unnamed together.
    let o = bin(&[
        "-f",
        "x=examples/cluster.yaml",
        "-f",
        "examples/healthy-cluster.yaml",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        "error: -f: either name every dump (-f NAME=PATH, a fleet) or none (one cluster)"
    );
    // Standard input is one cluster's.
    let o = bin(&["-f", "x=-", "-f", "y=-"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("standard input can be the dump of one cluster only"));
}

#[test]
fn human_formats_name_the_cluster_and_fit_the_width() {
    let args = [
        "-f",
        "drifting=examples/cluster.yaml",
        "-f",
        "a-cluster-with-a-rather-long-name=examples/healthy-cluster.yaml",
        "-f",
        "gone=/nonexistent",
        "-A",
        "--as-of",
        AS_OF,
    ];
    for format in ["table", "wide"] {
        let o = bin(&[&args[..], &["-o", format]].concat());
        assert_eq!(o.status.code(), Some(3));
        let text = stdout(&o);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("CLUSTER "), "{text}");
        for l in &lines {
            assert!(l.chars().count() <= 80, "{format}: wider than 80: {l:?}");
        }
        for start in [
            "drifting  ",
            "drifting: 6 DaemonSets, 8 nodes:",
            "a-cluster-with-a-rather-long-name: 3 DaemonSets",
            "gone: cannot be read (Input):",
            "Fleet: 3 clusters (1 unreadable), 9 DaemonSets",
        ] {
            assert!(
                lines.iter().any(|l| l.starts_with(start)),
                "{start}: {text}"
            );
        }
    }
    // The gate's verdicts on stderr fit COLUMNS too, each led by its cluster.
    let o = bin(&[&args[..2], &["--check", "--as-of", AS_OF]].concat());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let verdicts = stderr(&o);
    assert!(verdicts.starts_with("drifting: FAIL"), "{verdicts}");
    assert!(verdicts.lines().count() > 10, "{verdicts}");
    for l in verdicts.lines() {
        assert!(l.chars().count() <= 80, "verdict wider than 80: {l:?}");
    }
    let o = bin(&[&args[..], &["-o", "matrix"]].concat());
    let text = stdout(&o);
    let headings: Vec<&str> = text.lines().filter(|l| l.starts_with("CLUSTER ")).collect();
    assert_eq!(
        headings,
        [
            "CLUSTER drifting (examples/cluster.yaml)",
            "CLUSTER a-cluster-with-a-rather-long-name (examples/healthy-cluster.yaml)",
            "CLUSTER gone (/nonexistent)",
        ]
    );
    let o = bin(&[&args[..], &["-o", "markdown"]].concat());
    let text = stdout(&o);
    assert!(
        text.starts_with("# DaemonSet coverage of 3 clusters"),
        "{text}"
    );
    for section in [
        "# Cluster `drifting`",
        "# Cluster `a-cluster-with-a-rather-long-name`",
        "# Cluster `gone`",
    ] {
        assert!(text.lines().any(|l| l == section), "{section}");
    }
    let o = bin(&[&args[..], &["-o", "junit"]].concat());
    let text = stdout(&o);
    assert!(
        text.contains(r#"<testsuite name="drifting: logging/fluent-bit""#),
        "{text}"
    );
    assert!(
        text.contains(
            r#"<testsuite name="a-cluster-with-a-rather-long-name: kube-system/kube-proxy""#
        ),
        "{text}"
    );
    assert!(text.contains(r#"<testsuite name="gone""#), "{text}");
    assert!(
        text.contains(r#"<testcase name="(cluster could not be read)""#),
        "{text}"
    );
}

#[test]
fn one_context_stays_a_single_cluster_run() {
    let t = three();
    let one = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy",
        "--as-of",
        AS_OF,
    ]);
    let same = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy,healthy",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(one.status.code(), Some(0));
    assert!(stdout(&one).starts_with("NAMESPACE "), "{}", stdout(&one));
    assert_eq!(
        stdout(&one),
        stdout(&same),
        "a context named twice is one context"
    );
    let o = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--context",
        "healthy",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(json(&o)["kind"], "DaemonSetCoverageReport");
}

#[test]
fn the_request_log_of_each_cluster_is_led_by_its_name() {
    let t = three();
    let o = bin(&[
        "--kubeconfig",
        &t.kubeconfig,
        "--all-contexts",
        "-v",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fleet = json(&o);
    let err = stderr(&o);
    let requests: Vec<&str> = err.lines().filter(|l| l.contains(" GET ")).collect();
    assert_eq!(fleet["clusters"].as_array().unwrap().len(), 3);
    // Each context names its own namespace (none: default), so its lists show whose they are.
    for (name, ns) in [
        ("drifting", "logging"),
        ("healthy", "kube-system"),
        ("no-namespace", "default"),
    ] {
        let lists = format!("/namespaces/{ns}/daemonsets?");
        let own: Vec<&&str> = requests
            .iter()
            .filter(|l| l.starts_with(&format!("[{name}] GET ")))
            .collect();
        assert!(
            own.iter().any(|l| l.contains("/api/v1/nodes?")),
            "{name}: {err}"
        );
        assert!(own.iter().any(|l| l.contains(&lists)), "{name}: {err}");
        let theirs = requests.iter().filter(|l| l.contains(&lists)).count();
        assert_eq!(theirs, 1, "{name}: one list, under its name: {err}");
    }
    assert!(
        err.lines().all(|l| l.starts_with('[')),
        "every -v line names its cluster: {err}"
    );
}

#[test]
fn each_cluster_has_its_own_request_timeout() {
    let fast = healthy(Vec::new());
    let slow = healthy(vec![Fault::new(
        Matcher::resource("nodes", Verb::List),
        FaultKind::Slow(std::time::Duration::from_secs(30)),
    )]);
    let kc = kubeconfig(
        "timeout",
        &[
            slow.context("slow", Some("kube-system")),
            fast.context("fast", Some("kube-system")),
        ],
    );
    let o = bin(&[
        "--kubeconfig",
        &kc,
        "--all-contexts",
        "--request-timeout",
        "1s",
        "--check",
        "--allow-unreachable",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let fleet = json(&o);
    assert_eq!(fleet["clusters"][0]["error"]["reason"], "Timeout");
    assert!(
        fleet["clusters"][0]["error"]["message"]
            .as_str()
            .unwrap()
            .contains("timed out after 1s (--request-timeout)")
    );
    assert_eq!(fleet["clusters"][1]["report"]["gate"]["passed"], true);
    assert_eq!(fleet["summary"]["gate"]["passed"], true);
}

/// A dump named once (`-f NAME=PATH`, one NAME) is one cluster to `explain` and `fix`: the
/// same output as the unnamed dump; two names are still a fleet they refuse.
#[test]
fn explain_and_fix_read_a_dump_named_once_as_its_cluster() {
    for tail in [
        &["explain", "fluent-bit", "worker-2", "-n", "logging"][..],
        &["fix", "-A"][..],
    ] {
        let plain = bin(&[&["-f", "examples/cluster.yaml", "--as-of", AS_OF][..], tail].concat());
        let named = bin(&[
            &["-f", "prod=examples/cluster.yaml", "--as-of", AS_OF][..],
            tail,
        ]
        .concat());
        assert_eq!(plain.status.code(), named.status.code(), "{tail:?}");
        assert!(!stdout(&plain).is_empty(), "{tail:?}: {}", stderr(&plain));
        assert_eq!(stdout(&plain), stdout(&named), "{tail:?}");
        let two = bin(&[
            &[
                "-f",
                "prod=examples/cluster.yaml",
                "-f",
                "dev=examples/healthy-cluster.yaml",
            ][..],
            tail,
        ]
        .concat());
        assert_eq!(two.status.code(), Some(2), "{tail:?}");
        assert!(stderr(&two).contains("not a fleet"), "{}", stderr(&two));
    }
}
