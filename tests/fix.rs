//! `fix` against the simulated API server: each action kind, eviction vs delete, stale plans,
//! PodDisruptionBudget refusals, dry runs, OnDelete rolls, and that nothing but the planned daemon
//! pods is ever written to.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use ds_coverage_simulator::{
    ControllerMode, Fault, FaultKind, Matcher, PdbRule, Request, SimOptions, Simulator, Verb,
};
use serde_json::{Value, json};
use support::generator::{ClusterSpec, generate};

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap()
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_out(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("{e}: stdout {} stderr {}", stdout(o), stderr(o)))
}

fn controller() -> ControllerMode {
    ControllerMode {
        recreate_after: Duration::from_millis(50),
        ready_after: Duration::from_millis(100),
        never_ready_nodes: BTreeSet::new(),
    }
}

struct Live {
    sim: Simulator,
    kubeconfig: String,
    dir: PathBuf,
}

impl Live {
    fn start(objects: Vec<Value>, opts: SimOptions, tag: &str) -> Live {
        let sim = Simulator::start(objects, opts);
        let dir =
            std::env::temp_dir().join(format!("ds-coverage-fix-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let kc = dir.join("kubeconfig");
        std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
        Live {
            sim,
            kubeconfig: kc.to_str().unwrap().to_string(),
            dir,
        }
    }

    fn example(tag: &str) -> Live {
        Live::start(
            support::example_objects(),
            SimOptions {
                controller: Some(controller()),
                ..SimOptions::default()
            },
            tag,
        )
    }

    /// The binary with `args` (the subcommand first, as kubectl passes it), then the kubeconfig.
    fn run(&self, args: &[&str]) -> Output {
        let mut all = args.to_vec();
        all.extend(["--kubeconfig", &self.kubeconfig]);
        bin(&all)
    }

    /// Every write (delete, eviction) so far.
    fn writes(&self) -> Vec<Request> {
        self.sim
            .requests()
            .into_iter()
            .filter(|r| r.method != "GET")
            .collect()
    }

    fn pod_exists(&self, ns: &str, name: &str) -> bool {
        self.sim.object("pods", Some(ns), name).is_some()
    }

    /// `ns/name` → uid of every pod.
    fn pods(&self) -> Vec<(String, String)> {
        self.sim
            .objects("pods")
            .iter()
            .map(|p| {
                (
                    format!(
                        "{}/{}",
                        p["metadata"]["namespace"].as_str().unwrap(),
                        p["metadata"]["name"].as_str().unwrap()
                    ),
                    p["metadata"]["uid"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

/// The pod a write request targets: (namespace, name, is an eviction).
fn target(r: &Request) -> (String, String, bool) {
    let parts: Vec<&str> = r.path.trim_start_matches('/').split('/').collect();
    // api/v1/namespaces/NS/pods/NAME[/eviction]
    assert!(
        parts.len() >= 6 && parts[2] == "namespaces" && parts[4] == "pods",
        "unexpected write {} {}",
        r.method,
        r.path
    );
    (
        parts[3].to_string(),
        parts[5].to_string(),
        parts.get(6) == Some(&"eviction"),
    )
}

/// The result entry for a pod.
fn result_for<'a>(result: &'a Value, pod: &str) -> &'a Value {
    result["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["pod"] == pod)
        .unwrap_or_else(|| panic!("no result for {pod} in {result:#}"))
}

fn outcomes(result: &Value) -> Vec<(String, String, String)> {
    let mut v: Vec<(String, String, String)> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["pod"].as_str().unwrap().to_string(),
                r["action"].as_str().unwrap().to_string(),
                r["outcome"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    v.sort();
    v
}

fn s(a: &str, b: &str, c: &str) -> (String, String, String) {
    (a.to_string(), b.to_string(), c.to_string())
}

/// The audit's pair for (DaemonSet, node).
fn pair<'a>(report: &'a Value, ds: &str, node: &str) -> Option<&'a Value> {
    report["daemonSets"]
        .as_array()?
        .iter()
        .find(|d| d["name"] == ds)?["nodes"]
        .as_array()?
        .iter()
        .find(|p| p["node"] == node)
}

#[test]
fn fix_yes_on_the_drifted_example_removes_what_the_api_can_and_explains_the_rest() {
    let live = Live::example("example");
    let before = live.pods();
    let o = live.run(&["fix", "-A", "--yes", "-o", "json", "--timeout", "10s"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    assert_eq!(result["kind"], "DaemonSetFixResult");
    assert_eq!(
        outcomes(&result),
        [
            s("fluent-bit-mzbwr", "evict", "done"),
            s("fluent-bit-pws8r", "evict", "done"),
            s("node-exporter-229xc", "delete", "done"),
            s("node-exporter-5dhzp", "delete", "done"),
            s("nvidia-device-plugin-zskwg", "delete", "done"),
        ]
    );
    assert_eq!(
        result_for(&result, "node-exporter-229xc")["cause"],
        "failed"
    );
    assert_eq!(
        result_for(&result, "node-exporter-5dhzp")["cause"],
        "duplicate"
    );
    assert_eq!(
        result_for(&result, "nvidia-device-plugin-zskwg")["cause"],
        "missingNode"
    );

    // Exactly the planned pods were written to: evictions for the misscheduled ones, deletes
    // for the rest, nothing else.
    let mut written: Vec<(String, String, bool)> = live.writes().iter().map(target).collect();
    written.sort();
    assert_eq!(
        written,
        [
            (
                "gpu-operator".into(),
                "nvidia-device-plugin-zskwg".into(),
                false
            ),
            ("logging".into(), "fluent-bit-mzbwr".into(), true),
            ("logging".into(), "fluent-bit-pws8r".into(), true),
            ("monitoring".into(), "node-exporter-229xc".into(), false),
            ("monitoring".into(), "node-exporter-5dhzp".into(), false),
        ]
    );
    // Each pod was re-read just before its call.
    for (ns, name, _) in &written {
        let path = format!("/api/v1/namespaces/{ns}/pods/{name}");
        assert!(
            live.sim
                .requests()
                .iter()
                .any(|r| r.method == "GET" && r.path == path),
            "{path} was not re-read"
        );
    }
    // The orphan duplicate was not touched, and is a gap.
    assert!(live.pod_exists("logging", "fluent-bit-debug"));
    let gaps = result["gaps"].as_array().unwrap();
    let gap_at = |ds: &str, node: &str| {
        gaps.iter()
            .find(|g| g["daemonSet"] == ds && g["node"] == node)
            .unwrap_or_else(|| panic!("no gap for {ds} on {node}: {gaps:#?}"))
    };
    assert_eq!(gap_at("fluent-bit", "worker-1")["pod"], "fluent-bit-debug");
    assert_eq!(
        gap_at("fluent-bit", "worker-2")["hint"],
        "no pod created: check the DaemonSet controller (kube-controller-manager) and events"
    );
    assert_eq!(
        gap_at("nvidia-device-plugin", "gpu-2")["hint"],
        "see `kubectl ds-coverage explain -n gpu-operator nvidia-device-plugin gpu-2` for the fit check"
    );
    // No pod other than the five is gone.
    let after = live.pods();
    let removed: Vec<&String> = before
        .iter()
        .filter(|p| !after.contains(p))
        .map(|(n, _)| n)
        .collect();
    assert_eq!(removed.len(), 5, "{removed:?}");

    // The audit afterwards: once the controller's replacement for the failed pod is Ready, every
    // remaining imperfect pair is one of the gaps.
    let mut report = Value::Null;
    for _ in 0..100 {
        report = json_out(&live.run(&["-A", "-o", "json"]));
        if pair(&report, "node-exporter", "worker-2").is_some_and(|p| p["state"] == "Ready") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(
        pair(&report, "node-exporter", "worker-2").unwrap()["state"],
        "Ready",
        "the failed pod was replaced"
    );
    for d in report["daemonSets"].as_array().unwrap() {
        assert_eq!(d["counts"]["misscheduled"], 0, "{}", d["name"]);
        assert_eq!(d["podsOnMissingNodes"], json!([]), "{}", d["name"]);
        for p in d["nodes"].as_array().unwrap() {
            let orphan_duplicate = d["name"] == "fluent-bit" && p["node"] == "worker-1";
            if !orphan_duplicate {
                assert_eq!(p["duplicates"], 0, "{} {}", d["name"], p["node"]);
            }
            if p["state"] != "Ready" {
                let explained = gaps
                    .iter()
                    .any(|g| g["daemonSet"] == d["name"] && g["node"] == p["node"]);
                assert!(
                    explained,
                    "{} on {} is {} and not explained",
                    d["name"], p["node"], p["state"]
                );
            }
        }
    }
}

#[test]
fn misscheduled_pods_are_evicted_by_default_and_deleted_with_delete() {
    for (flag, eviction) in [(None, true), (Some("--delete"), false)] {
        let live = Live::example(if eviction { "evict" } else { "delete" });
        let mut args = vec!["fix", "-n", "logging", "--yes", "-o", "json"];
        args.extend(flag);
        let o = live.run(&args);
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        let kind = if eviction { "evict" } else { "delete" };
        assert_eq!(
            outcomes(&json_out(&o)),
            [
                s("fluent-bit-mzbwr", kind, "done"),
                s("fluent-bit-pws8r", kind, "done")
            ]
        );
        let writes = live.writes();
        assert_eq!(writes.len(), 2);
        for w in &writes {
            let (ns, _, is_eviction) = target(w);
            assert_eq!(ns, "logging");
            assert_eq!(is_eviction, eviction, "{} {}", w.method, w.path);
            assert_eq!(w.method, if eviction { "POST" } else { "DELETE" });
            assert_eq!(w.status, if eviction { 201 } else { 200 });
        }
        assert!(!live.pod_exists("logging", "fluent-bit-mzbwr"));
    }
}

#[test]
fn keep_tolerated_leaves_the_pods_the_controller_keeps() {
    let live = Live::example("keep");
    // Both misscheduled fluent-bit pods sit behind NoSchedule taints only: the controller keeps
    // them, so nothing is left to do in logging.
    let o = live.run(&[
        "fix",
        "-n",
        "logging",
        "--keep-tolerated",
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    assert_eq!(result["kind"], "DaemonSetFixResult");
    assert_eq!(result["results"], json!([]));
    assert!(
        result["gaps"]
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["node"] == "worker-2"),
        "the gaps are still listed: {result:#}"
    );
    assert!(live.writes().is_empty());
    // Without --keep-tolerated both are evicted.
    let o = live.run(&["fix", "-n", "logging", "--yes", "-o", "json"]);
    assert_eq!(json_out(&o)["summary"]["done"], 2);
}

#[test]
fn a_stale_plan_removes_nothing_new() {
    let live = Live::example("stale");
    let o = live.run(&["fix", "-n", "logging", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan_file = live.dir.join("plan.json");
    std::fs::write(&plan_file, &o.stdout).unwrap();
    assert!(live.writes().is_empty(), "showing the plan writes nothing");

    // Between plan and act, fluent-bit-mzbwr is replaced by a new pod with the same name.
    let mut pod = live
        .sim
        .object("pods", Some("logging"), "fluent-bit-mzbwr")
        .unwrap();
    pod["metadata"]["uid"] = json!("00000000-0000-0000-0000-00000000beef");
    live.sim.apply(pod).unwrap();
    live.sim.reset_requests();

    let o = live.run(&[
        "fix",
        "-n",
        "logging",
        "--plan-file",
        plan_file.to_str().unwrap(),
        "--yes",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    let stale = result_for(&result, "fluent-bit-mzbwr");
    assert_eq!(stale["outcome"], "skipped");
    assert!(
        stale["detail"]
            .as_str()
            .unwrap()
            .starts_with("replaced since the plan"),
        "{stale}"
    );
    assert_eq!(result_for(&result, "fluent-bit-pws8r")["outcome"], "done");
    let targets: Vec<String> = live.writes().iter().map(|w| target(w).1).collect();
    assert_eq!(targets, ["fluent-bit-pws8r"]);
    let now = live
        .sim
        .object("pods", Some("logging"), "fluent-bit-mzbwr")
        .unwrap();
    assert_eq!(
        now["metadata"]["uid"], "00000000-0000-0000-0000-00000000beef",
        "the new pod is still there"
    );
}

#[test]
fn a_pod_that_changes_under_the_call_is_protected_by_the_preconditions() {
    let live = Live::example("touch");
    // The pod changes after the re-read, as the eviction arrives: the resourceVersion
    // precondition fails (409) and the pod stays.
    live.sim.add_fault(
        Fault::new(
            Matcher::resource("pods/eviction", Verb::Create),
            FaultKind::Touch,
        )
        .times(1),
    );
    let o = live.run(&[
        "fix",
        "-n",
        "logging",
        "--yes",
        "-o",
        "json",
        "--max-concurrent",
        "1",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "a skipped pod is not a failure: {}",
        stderr(&o)
    );
    let result = json_out(&o);
    let skipped: Vec<&Value> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "skipped")
        .collect();
    assert_eq!(skipped.len(), 1, "{result:#}");
    let detail = skipped[0]["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("changed since the plan") && detail.contains("ResourceVersion"),
        "{detail}"
    );
    let pod = skipped[0]["pod"].as_str().unwrap();
    assert!(live.pod_exists("logging", pod));
    assert_eq!(result["summary"]["done"], 1);
    assert!(
        live.writes().iter().any(|w| w.status == 409),
        "the precondition was sent and checked"
    );
}

#[test]
fn a_pdb_refusal_is_retried_until_allowed_or_until_the_timeout() {
    // Refused twice, then allowed.
    let live = Live::example("pdb");
    live.sim.set_pdb_rules(vec![
        PdbRule::pod("fluent-bit-pdb", "logging", "fluent-bit-mzbwr").times(2),
    ]);
    let o = live.run(&[
        "fix",
        "-n",
        "logging",
        "fluent-bit",
        "--yes",
        "-o",
        "json",
        "--timeout",
        "30s",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let r = json_out(&o);
    let mzbwr = result_for(&r, "fluent-bit-mzbwr");
    assert_eq!(mzbwr["outcome"], "done");
    assert_eq!(mzbwr["attempts"], 3);
    let statuses: Vec<u16> = live
        .writes()
        .iter()
        .filter(|w| target(w).1 == "fluent-bit-mzbwr")
        .map(|w| w.status)
        .collect();
    assert_eq!(statuses, [429, 429, 201]);

    // Always refused: retried, then reported as failed when --timeout is up (exit 4).
    let live = Live::example("pdb-timeout");
    live.sim.set_pdb_rules(vec![PdbRule::pod(
        "fluent-bit-pdb",
        "logging",
        "fluent-bit-mzbwr",
    )]);
    let o = live.run(&[
        "fix",
        "-n",
        "logging",
        "--yes",
        "-o",
        "json",
        "--timeout",
        "1s",
    ]);
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let r = json_out(&o);
    let mzbwr = result_for(&r, "fluent-bit-mzbwr");
    assert_eq!(mzbwr["outcome"], "failed");
    let detail = mzbwr["detail"].as_str().unwrap();
    assert!(
        detail.contains("disruption budget fluent-bit-pdb"),
        "{detail}"
    );
    assert!(mzbwr["attempts"].as_u64().unwrap() >= 2, "{mzbwr}");
    assert!(live.pod_exists("logging", "fluent-bit-mzbwr"));
    assert_eq!(result_for(&r, "fluent-bit-pws8r")["outcome"], "done");
    assert_eq!(r["summary"]["failed"], 1);

    // The table says it too.
    let live = Live::example("pdb-table");
    live.sim.set_pdb_rules(vec![PdbRule::all("everything-pdb")]);
    let o = live.run(&["fix", "-n", "logging", "--yes", "--timeout", "1s"]);
    assert_eq!(o.status.code(), Some(4));
    let out = stdout(&o);
    assert!(out.contains("Result: 0 done, 0 skipped, 2 failed"), "{out}");
}

#[test]
fn server_dry_run_sends_dry_run_all_and_changes_nothing() {
    let live = Live::example("dry-server");
    let before = live.sim.objects("pods");
    let rv = live.sim.resource_version();
    let o = live.run(&["fix", "-A", "--dry-run=server", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    assert_eq!(result["dryRun"], "server");
    assert_eq!(result["summary"]["done"], 5, "{result:#}");
    let writes = live.writes();
    assert_eq!(writes.len(), 5);
    assert!(
        writes
            .iter()
            .all(|w| w.param("dryRun").as_deref() == Some("All")),
        "{writes:#?}"
    );
    assert_eq!(live.sim.objects("pods"), before);
    assert_eq!(live.sim.resource_version(), rv);

    // --dry-run=client re-reads but sends no write at all.
    let o = live.run(&["fix", "-A", "--dry-run=client", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(json_out(&o)["summary"]["done"], 5);
    assert_eq!(live.writes().len(), 5, "no new write");
    assert_eq!(live.sim.objects("pods"), before);
}

/// The result and each action's progress line on stderr fit the width `COLUMNS` gives, no word
/// lost (as the plan does).
#[test]
fn the_result_and_its_progress_lines_fit_the_width() {
    let live = Live::example("fix-width");
    let run = |columns: &str| {
        Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
            .args([
                "fix",
                "-A",
                "--dry-run=server",
                "--kubeconfig",
                &live.kubeconfig,
            ])
            .env_remove("KUBECONFIG")
            .env("COLUMNS", columns)
            .output()
            .unwrap()
    };
    // Sorted: the actions run concurrently, their progress lines in any order.
    let words = |t: &str| {
        let mut w: Vec<String> = t.split_whitespace().map(str::to_string).collect();
        w.sort();
        w
    };
    let wide = run("100000");
    assert_eq!(wide.status.code(), Some(0), "{}", stderr(&wide));
    let narrow = run("80");
    assert_eq!(narrow.status.code(), Some(0), "{}", stderr(&narrow));
    for (out, whole) in [
        (stdout(&narrow), stdout(&wide)),
        (stderr(&narrow), stderr(&wide)),
    ] {
        assert!(whole.lines().any(|l| l.chars().count() > 80), "{whole}");
        for line in out.lines() {
            assert!(line.chars().count() <= 80, "{line:?}");
        }
        assert_eq!(words(&out), words(&whole));
    }
}

#[test]
fn without_a_terminal_and_without_yes_nothing_changes() {
    let live = Live::example("no-yes");
    let before = live.sim.objects("pods");
    let o = live.run(&["fix", "-A"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    assert!(out.starts_with("Plan (5 actions, "), "{out}");
    assert!(out.contains("evict   logging/fluent-bit-mzbwr"), "{out}");
    assert!(out.contains("Run again with --yes to apply"), "{out}");
    assert!(live.writes().is_empty());
    assert_eq!(live.sim.objects("pods"), before);
    // JSON: the plan on stdout, the hint on stderr.
    let o = live.run(&["fix", "-A", "-o", "json"]);
    assert_eq!(json_out(&o)["actions"].as_array().unwrap().len(), 5);
    assert!(stderr(&o).contains("--yes"), "{}", stderr(&o));
    assert!(live.writes().is_empty());
}

/// With standard error into the same pipe (`2>&1`), the hint follows the whole plan: it was
/// written before the plan left its buffer (first, or inside a plan larger than the buffer).
#[test]
fn with_stderr_in_the_same_pipe_the_hint_follows_the_whole_plan() {
    let live = Live::example("one-pipe");
    let (mut reader, writer) = std::io::pipe().unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(["fix", "-A", "-o", "json", "--kubeconfig", &live.kubeconfig])
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdout(writer.try_clone().unwrap())
        .stderr(writer)
        .spawn()
        .unwrap();
    let mut out = String::new();
    std::io::Read::read_to_string(&mut reader, &mut out).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(0), "{out}");
    let at = out.find("Run again with --yes").expect(&out);
    let plan: Value = serde_json::from_str(&out[..at]).unwrap_or_else(|e| panic!("{e}: {out}"));
    assert_eq!(plan["actions"].as_array().unwrap().len(), 5);
    assert_eq!(out[at..].lines().count(), 1, "{out}");
    assert!(live.writes().is_empty());
}

#[test]
fn offline_fix_only_plans() {
    let plan = bin(&["fix", "-A", "-f", "examples/cluster.yaml", "-o", "json"]);
    assert_eq!(plan.status.code(), Some(0), "{}", stderr(&plan));
    let v = json_out(&plan);
    assert_eq!(v["source"]["type"], "file");
    assert_eq!(v["actions"].as_array().unwrap().len(), 5);
    assert!(
        v["actions"]
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["resourceVersion"].is_string()
                && a["podUid"].as_str().is_some_and(|u| !u.is_empty()))
    );
    let o = bin(&["fix", "-A", "-f", "examples/cluster.yaml", "--yes"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("fix needs a live cluster to act"),
        "{}",
        stderr(&o)
    );
    let o = bin(&["fix", "-A", "-f", "examples/cluster.yaml", "-o", "wide"]);
    assert_eq!(o.status.code(), Some(2));
}

// ---------------------------------------------------------------------------------------------
// OnDelete rolls, on a small cluster of their own: four nodes, one OnDelete DaemonSet whose four
// pods all run the old revision.

const DS_UID: &str = "11111111-2222-3333-4444-555555555555";
const OLD: &str = "5d8f7c6b4a";
const NEW: &str = "7b9f5c8d64";

fn roll_cluster() -> Vec<Value> {
    let mut items = Vec::new();
    let nodes = ["n1", "n2", "n3", "n4"];
    for n in nodes {
        items.push(json!({
            "apiVersion": "v1", "kind": "Node",
            "metadata": {"name": n, "uid": format!("uid-{n}"), "creationTimestamp": "2026-01-01T00:00:00Z",
                         "labels": {"kubernetes.io/hostname": n, "kubernetes.io/os": "linux"}},
            "spec": {},
            "status": {"conditions": [{"type": "Ready", "status": "True"}],
                       "allocatable": {"cpu": "4", "memory": "8Gi", "pods": "110"}}
        }));
    }
    let template = json!({
        "metadata": {"labels": {"app": "agent"}},
        "spec": {"containers": [{"name": "agent", "image": "agent:2"}]}
    });
    items.push(json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {"name": "agent", "namespace": "ops", "uid": DS_UID, "generation": 2,
                     "creationTimestamp": "2026-01-01T00:00:00Z",
                     "annotations": {"deprecated.daemonset.template.generation": "2"}},
        "spec": {"selector": {"matchLabels": {"app": "agent"}}, "template": template,
                 "updateStrategy": {"type": "OnDelete"}},
        "status": {"desiredNumberScheduled": 4, "currentNumberScheduled": 4, "numberReady": 4,
                   "numberAvailable": 4, "updatedNumberScheduled": 0, "numberMisscheduled": 0,
                   "observedGeneration": 2}
    }));
    for (rev, hash) in [(1, OLD), (2, NEW)] {
        items.push(json!({
            "apiVersion": "apps/v1", "kind": "ControllerRevision",
            "metadata": {"name": format!("agent-{hash}"), "namespace": "ops", "uid": format!("uid-cr-{rev}"),
                         "labels": {"app": "agent", "controller-revision-hash": hash},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                              "uid": DS_UID, "controller": true}]},
            "revision": rev,
            "data": {"spec": {"template": template}}
        }));
    }
    for (i, n) in nodes.iter().enumerate() {
        items.push(json!({
            "apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": format!("agent-old{i}"), "namespace": "ops", "uid": format!("uid-old-{n}"),
                         "creationTimestamp": "2026-01-02T00:00:00Z",
                         "labels": {"app": "agent", "controller-revision-hash": OLD, "pod-template-generation": "1"},
                         "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                              "uid": DS_UID, "controller": true}]},
            "spec": {"nodeName": n, "containers": [{"name": "agent", "image": "agent:1"}],
                     "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                        {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [n]}]}]}}}},
            "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True",
                        "lastTransitionTime": "2026-01-02T00:00:10Z"}]}
        }));
    }
    // Not a daemon pod: a Deployment's pod with the DaemonSet's labels, on n1.
    items.push(json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "web-7d9f-abcde", "namespace": "ops", "uid": "uid-web",
                     "creationTimestamp": "2026-01-01T00:00:00Z",
                     "labels": {"app": "agent", "controller-revision-hash": OLD},
                     "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f",
                                          "uid": "uid-rs", "controller": true}]},
        "spec": {"nodeName": "n1", "containers": [{"name": "web", "image": "web:1"}]},
        "status": {"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]}
    }));
    items
}

fn roll(never_ready: &[&str], max_unavailable: &str, tag: &str) -> (Live, Output) {
    let mut mode = controller();
    mode.never_ready_nodes = never_ready.iter().map(|n| n.to_string()).collect();
    let live = Live::start(
        roll_cluster(),
        SimOptions {
            controller: Some(mode),
            ..SimOptions::default()
        },
        tag,
    );
    let o = live.run(&[
        "fix",
        "-n",
        "ops",
        "--outdated",
        "--yes",
        "-o",
        "json",
        "--timeout",
        "2s",
        "--max-unavailable",
        max_unavailable,
    ]);
    (live, o)
}

fn deleted(live: &Live) -> Vec<String> {
    live.writes()
        .iter()
        .filter(|w| w.method == "DELETE")
        .map(|w| target(w).1)
        .collect()
}

#[test]
fn an_on_delete_roll_replaces_node_by_node() {
    let (live, o) = roll(&[], "1", "roll");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    for i in 0..4 {
        let r = result_for(&result, &format!("agent-old{i}"));
        assert_eq!(
            (r["action"].as_str(), r["outcome"].as_str()),
            (Some("replace"), Some("done"))
        );
        assert!(
            r["replacement"]
                .as_str()
                .is_some_and(|n| n.starts_with("agent-")),
            "{r}"
        );
    }
    assert_eq!(
        deleted(&live),
        ["agent-old0", "agent-old1", "agent-old2", "agent-old3"]
    );
    // One at a time: before each next delete, the previous node's replacement was looked for.
    let reqs = live.sim.requests();
    let deletes: Vec<usize> = reqs
        .iter()
        .enumerate()
        .filter(|(_, r)| r.method == "DELETE")
        .map(|(i, _)| i)
        .collect();
    for (k, w) in deletes.windows(2).enumerate() {
        let node = format!("spec.nodeName=n{}", k + 1);
        assert!(
            reqs[w[0]..w[1]]
                .iter()
                .any(
                    |r| r.param("fieldSelector").as_deref() == Some(node.as_str())
                        && r.param("labelSelector").as_deref() == Some("app=agent")
                ),
            "no wait for n{} between deletes",
            k + 1
        );
    }
    assert!(live.pod_exists("ops", "web-7d9f-abcde"), "not a daemon pod");
    let report = json_out(&live.run(&["-n", "ops", "-o", "json"]));
    let counts = &report["daemonSets"][0]["counts"];
    assert_eq!(
        (counts["ready"].as_u64(), counts["outdated"].as_u64()),
        (Some(4), Some(0)),
        "{counts}"
    );
}

#[test]
fn a_roll_stops_at_a_replacement_that_never_becomes_ready() {
    // n3's replacement never becomes Ready: n1 and n2 done, n3 failed, n4 untouched.
    let (live, o) = roll(&["n3"], "1", "roll-stop");
    assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
    let result = json_out(&o);
    let outcome = |i: usize| {
        result_for(&result, &format!("agent-old{i}"))["outcome"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        (0..4).map(outcome).collect::<Vec<_>>(),
        ["done", "done", "failed", "notAttempted"]
    );
    let failed = result_for(&result, "agent-old2")["detail"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(failed.contains("is not Ready"), "{failed}");
    assert_eq!(deleted(&live), ["agent-old0", "agent-old1", "agent-old2"]);
    assert!(live.pod_exists("ops", "agent-old3"));
}

#[test]
fn a_roll_never_has_more_than_max_unavailable_replacements_pending() {
    for (never_ready, max_unavailable, want) in [
        (vec!["n1"], "1", vec!["agent-old0"]),
        (vec!["n1", "n2"], "2", vec!["agent-old0", "agent-old1"]),
    ] {
        let (live, o) = roll(
            &never_ready,
            max_unavailable,
            &format!("mu{max_unavailable}"),
        );
        assert_eq!(o.status.code(), Some(4), "{}", stderr(&o));
        let mut got = deleted(&live);
        got.sort();
        assert_eq!(got, want, "--max-unavailable {max_unavailable}");
        let result = json_out(&o);
        assert_eq!(
            result["summary"]["notAttempted"].as_u64(),
            Some(4 - want.len() as u64)
        );
        assert!(live.pod_exists("ops", "agent-old3"));
    }
}

#[test]
fn no_non_daemon_pod_is_ever_written_to() {
    let spec = ClusterSpec {
        drift: 0.35,
        ..ClusterSpec::small(11)
    };
    let cluster = generate(&spec);
    let daemon: BTreeSet<(String, String)> = cluster
        .daemon_pods()
        .map(|p| {
            (
                p["metadata"]["namespace"].as_str().unwrap().to_string(),
                p["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let ordinary: Vec<(String, String)> = cluster
        .ordinary_pods()
        .map(|p| {
            (
                p["metadata"]["namespace"].as_str().unwrap().to_string(),
                p["metadata"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(!ordinary.is_empty());
    let live = Live::start(
        vec![cluster.to_list()],
        SimOptions {
            controller: Some(controller()),
            ..SimOptions::default()
        },
        "generated",
    );
    let o = live.run(&[
        "fix",
        "-A",
        "--yes",
        "--delete",
        "--outdated",
        "-o",
        "json",
        "--timeout",
        "1s",
    ]);
    assert!(matches!(o.status.code(), Some(0 | 4)), "{}", stderr(&o));
    let result = json_out(&o);
    let writes = live.writes();
    assert!(
        !writes.is_empty(),
        "a drifted cluster has something to fix: {result:#}"
    );
    for w in &writes {
        let (ns, name, _) = target(w);
        assert!(
            daemon.contains(&(ns.clone(), name.clone())),
            "{} {} is not a daemon pod",
            w.method,
            w.path
        );
    }
    for (ns, name) in &ordinary {
        assert!(live.pod_exists(ns, name), "{ns}/{name} was removed");
    }
}

/// `fix --yes -o json | head -1`: the reader goes away, the actions are still carried out and the
/// exit code is still the result's (it was 3, "cannot write output: Broken pipe").
#[test]
fn a_closed_stdout_changes_neither_what_fix_does_nor_its_exit_code() {
    let live = Live::example("closed-stdout");
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let o = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(["fix", "-A", "--yes", "-o", "json", "--timeout", "10s"])
        .args(["--kubeconfig", &live.kubeconfig])
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .stdout(std::process::Stdio::from(writer))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(!stderr(&o).contains("Broken pipe"), "{}", stderr(&o));
    // The five planned removals were all sent.
    assert_eq!(live.writes().len(), 5, "{:#?}", live.writes());
}

#[test]
fn a_write_that_succeeds_behind_an_error_answer_is_done_and_every_call_is_counted() {
    let live = Live::example("afterwrite");
    // Each pod's first eviction is carried out, but answered 500; the retry then gets 404.
    live.sim.set_faults(vec![
        Fault::new(
            Matcher::resource("pods/eviction", Verb::Create),
            FaultKind::AfterWrite(500),
        )
        .times(2),
    ]);
    let o = live.run(&["fix", "-n", "logging", "--yes", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    assert_eq!(
        outcomes(&result),
        [
            s("fluent-bit-mzbwr", "evict", "done"),
            s("fluent-bit-pws8r", "evict", "done")
        ]
    );
    let posts = live.writes();
    let statuses: Vec<u16> = posts.iter().map(|w| w.status).collect();
    assert_eq!(posts.len(), 4, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 500).count(), 2);
    assert_eq!(statuses.iter().filter(|s| **s == 404).count(), 2);
    let counted: u64 = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["attempts"].as_u64().unwrap())
        .sum();
    assert_eq!(counted, posts.len() as u64);
    assert!(!live.pod_exists("logging", "fluent-bit-mzbwr"));
}

/// A saved plan acted on with a narrower scope than it was made with (`-n`, DaemonSet names)
/// is refused, naming what falls outside and the scope to give, and nothing is written: its
/// pods there are still drift, not "gone". (kubectl refuses a file whose namespace is not `-n`'s.)
#[test]
fn a_plan_acted_on_outside_its_scope_is_refused_and_nothing_is_written() {
    let live = Live::example("plan-scope");
    let o = live.run(&["fix", "-A", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan: Value = json_out(&o);
    let namespaces: BTreeSet<&str> = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["namespace"].as_str().unwrap())
        .collect();
    assert!(
        namespaces.contains("logging") && namespaces.len() > 1,
        "{namespaces:?}"
    );
    let plan_file = live.dir.join("plan.json");
    std::fs::write(&plan_file, &o.stdout).unwrap();
    let pf = plan_file.to_str().unwrap();
    live.sim.reset_requests();
    let o = live.run(&["fix", "-n", "monitoring", "-o", "json"]);
    let monitoring = live.dir.join("monitoring.json");
    std::fs::write(&monitoring, &o.stdout).unwrap();
    live.sim.reset_requests();
    let refused = |pf: &str, args: &[&str], wants: &[&str]| {
        let mut all = vec!["fix", "--plan-file", pf, "--yes", "-o", "json"];
        all.extend_from_slice(args);
        let o = live.run(&all);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(!err.contains("no longer drift"), "{err}");
        for w in wants {
            assert!(err.contains(w), "{args:?}: wants {w:?} in {err}");
        }
        assert!(o.stdout.is_empty(), "{}", stdout(&o));
        assert!(live.writes().is_empty(), "{args:?}: {:?}", live.writes());
    };
    let others: Vec<&str> = namespaces
        .iter()
        .copied()
        .filter(|n| *n != "logging")
        .collect();
    let mut wants = vec!["outside this run's namespace logging", "-A"];
    wants.extend(&others);
    refused(pf, &["-n", "logging"], &wants);
    // No -n: the context's namespace is the scope, as in kubectl.
    refused(pf, &[], &["outside this run's namespace", "-A"]);
    // A DaemonSet named: the plan's others in that namespace are outside.
    refused(
        monitoring.to_str().unwrap(),
        &["-n", "monitoring", "netdata"],
        &["not among the DaemonSets named", "monitoring/node-exporter"],
    );
    // The plan's own scope (or a wider one) acts.
    let o = live.run(&["fix", "-A", "--plan-file", pf, "--yes", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let result = json_out(&o);
    assert!(
        result["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["outcome"] == "done"),
        "{result:#}"
    );
}

/// A saved plan acted on with a narrower `-l` than it was made with: the actions of the
/// DaemonSets it no longer selects are skipped, each named as not audited by this run (deleted,
/// or not selected by `-l`), never as a pod gone; their pods stay; the rest is done.
#[test]
fn a_plan_acted_on_with_a_narrower_selector_names_what_it_skips() {
    let live = Live::example("plan-selector");
    let o = live.run(&["fix", "-A", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let plan = json_out(&o);
    let plan_file = live.dir.join("plan.json");
    std::fs::write(&plan_file, &o.stdout).unwrap();
    // fluent-bit's label; the plan has actions of other DaemonSets too.
    let (selected, unselected): (Vec<&Value>, Vec<&Value>) = plan["actions"]
        .as_array()
        .unwrap()
        .iter()
        .partition(|a| a["daemonSet"] == "fluent-bit");
    assert!(!unselected.is_empty() && !selected.is_empty(), "{plan:#}");
    let selector = "app.kubernetes.io/name=fluent-bit";
    let o = live.run(&[
        "fix",
        "-A",
        "-l",
        selector,
        "--plan-file",
        plan_file.to_str().unwrap(),
        "--yes",
        "-o",
        "json",
    ]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(0), "{err}");
    for a in &unselected {
        let (ns, pod, ds) = (
            a["namespace"].as_str().unwrap(),
            a["pod"].as_str().unwrap(),
            a["daemonSet"].as_str().unwrap(),
        );
        let line = format!(
            "skipping {ns}/{pod}: DaemonSet {ns}/{ds} is not audited by this run: deleted since \
             the plan, or not selected by -l {selector}"
        );
        assert!(err.lines().any(|l| l == line), "wants {line:?} in:\n{err}");
        assert!(live.pod_exists(ns, pod), "{ns}/{pod} was removed");
    }
    assert!(!err.contains("no longer drift"), "{err}");
    let result = json_out(&o);
    let done: BTreeSet<&str> = result["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["outcome"] == "done")
        .map(|r| r["pod"].as_str().unwrap())
        .collect();
    let wanted: BTreeSet<&str> = selected
        .iter()
        .map(|a| a["pod"].as_str().unwrap())
        .collect();
    assert_eq!(done, wanted, "{result:#}");
}

/// A plan saved with standard error after it (`fix -o json > plan.json 2>&1` keeps the hint
/// there) is named as such, with how to save it; a file that is no plan at all says so; neither
/// changes anything (exit 3).
#[test]
fn a_plan_file_with_other_text_after_it_is_named_as_such() {
    let live = Live::example("plan-trailing");
    let o = live.run(&["fix", "-A", "-o", "json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let hint = stderr(&o);
    assert!(!hint.is_empty(), "fix -o json gives its hint on stderr");
    let lines = o.stdout.iter().filter(|b| **b == b'\n').count();
    let saved = live.dir.join("plan-and-stderr.json");
    std::fs::write(&saved, [o.stdout.as_slice(), hint.as_bytes()].concat()).unwrap();
    let not_a_plan = live.dir.join("report.json");
    std::fs::write(&not_a_plan, live.run(&["-A", "-o", "json"]).stdout).unwrap();
    live.sim.reset_requests();
    for (file, wants) in [
        (
            &saved,
            format!("a fix plan followed by other text at line {}", lines + 1),
        ),
        (&not_a_plan, "not a fix plan".to_string()),
    ] {
        let o = live.run(&["fix", "-A", "--plan-file", file.to_str().unwrap(), "--yes"]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains(&wants), "wants {wants:?}: {err}");
        assert!(live.writes().is_empty(), "{:?}", live.writes());
    }
}
