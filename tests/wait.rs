//! `--check --wait` against the simulated API server, the rollout scripted by the test: a
//! rollout that completes passes (exit 0), a stuck one fails fast with its reason, a watch
//! dropped (and its version compacted away) mid-rollout is resumed, the deadline fails with the
//! violations; and the flag's usage errors. No timing is asserted: deadlines are generous, and
//! "before the deadline" is proven by how the run ended (its exit code and its words).

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::{Value, json};

const DS_UID: &str = "7f0c6a52-1111-4a4a-9a9a-000000000001";

fn node(name: &str) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": format!("uid-node-{name}"),
                     "labels": {"kubernetes.io/hostname": name, "kubernetes.io/os": "linux"},
                     "creationTimestamp": "2026-11-01T08:00:00Z"},
        "spec": {},
        "status": {
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-01T08:01:00Z"}],
            "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"},
            "nodeInfo": {"kubeletVersion": "v1.31.4"}
        }
    })
}

/// The DaemonSet at template generation 2; `observed` is the controller's observedGeneration.
fn daemon_set(observed: i64) -> Value {
    json!({
        "apiVersion": "apps/v1", "kind": "DaemonSet",
        "metadata": {
            "name": "agent", "namespace": "monitoring", "uid": DS_UID, "generation": 2,
            "annotations": {"deprecated.daemonset.template.generation": "2"},
            "creationTimestamp": "2026-11-01T09:00:00Z"
        },
        "spec": {
            "selector": {"matchLabels": {"app": "agent"}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 1}},
            "template": {
                "metadata": {"labels": {"app": "agent"}},
                "spec": {"containers": [{"name": "agent", "image": "agent:2"}]}
            }
        },
        "status": {
            "currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberMisscheduled": 0,
            "numberReady": 2, "numberAvailable": 2, "updatedNumberScheduled": 1,
            "numberUnavailable": 1, "observedGeneration": observed
        }
    })
}

/// How a daemon pod's container is doing.
#[derive(Clone, Copy)]
enum Is {
    Ready,
    Creating,
    Waiting(&'static str),
}

fn pod(name: &str, node: &str, generation: i64, is: Is) -> Value {
    let ready = matches!(is, Is::Ready);
    let state = match is {
        Is::Ready => json!({"running": {"startedAt": "2026-11-20T10:00:00Z"}}),
        Is::Creating => json!({"waiting": {"reason": "ContainerCreating"}}),
        Is::Waiting(reason) => {
            json!({"waiting": {"reason": reason, "message": format!("{reason} for agent:2")}})
        }
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": name, "namespace": "monitoring", "uid": format!("uid-pod-{name}"),
            "labels": {"app": "agent", "pod-template-generation": generation.to_string()},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "agent",
                                 "uid": DS_UID, "controller": true}],
            "creationTimestamp": "2026-11-20T09:59:00Z"
        },
        "spec": {"nodeName": node, "containers": [{"name": "agent", "image": "agent:2"}]},
        "status": {
            "phase": if ready { "Running" } else { "Pending" },
            "conditions": [{"type": "Ready", "status": if ready { "True" } else { "False" },
                            "lastTransitionTime": "2026-11-20T10:00:00Z"}],
            "containerStatuses": [{"name": "agent", "ready": ready, "restartCount": 0, "state": state}]
        }
    })
}

/// Mid-rollout: n1 updated and Ready, n2 still on generation 1, n3 without a pod; the
/// controller has not observed generation 2 yet.
fn mid_rollout() -> Vec<Value> {
    vec![
        node("n1"),
        node("n2"),
        node("n3"),
        json!({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "monitoring"}}),
        daemon_set(1),
        pod("agent-a", "n1", 2, Is::Ready),
        pod("agent-b", "n2", 1, Is::Ready),
    ]
}

struct Live {
    sim: Simulator,
    kubeconfig: String,
    dir: PathBuf,
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn start(tag: &str) -> Live {
    let sim = Simulator::start(mid_rollout(), SimOptions::default());
    let dir = std::env::temp_dir().join(format!("ds-coverage-wait-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, Some("monitoring"))).unwrap();
    Live {
        sim,
        kubeconfig: kc.to_str().unwrap().to_string(),
        dir,
    }
}

impl Live {
    fn spawn(&self, args: &[&str]) -> Child {
        Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
            .args(args)
            .args(["--kubeconfig", &self.kubeconfig])
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent")
            .env_remove("KUBERNETES_SERVICE_HOST")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Open watches of pods the plugin has sent so far.
    fn pod_watches(&self) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/pods") && r.param("watch").is_some())
            .count()
    }

    /// Blocks until the plugin has opened at least `n` watches of pods: it is following.
    fn await_pod_watches(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.pod_watches() < n {
            assert!(Instant::now() < deadline, "the plugin never watched pods");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The controller's side of finishing the rollout: generation observed, n2's pod replaced
    /// by an updated one, n3 given one (Pending first, then Ready).
    fn replace_n2(&self) {
        self.sim.apply(daemon_set(2)).unwrap();
        assert!(self.sim.remove("pods", Some("monitoring"), "agent-b"));
        self.sim
            .apply(pod("agent-b2", "n2", 2, Is::Creating))
            .unwrap();
        self.sim.apply(pod("agent-b2", "n2", 2, Is::Ready)).unwrap();
    }

    fn place_n3(&self, is: Is) {
        self.sim.apply(pod("agent-c", "n3", 2, is)).unwrap();
    }
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json_report(o: &Output) -> Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("-o json on stdout ({e}); stderr: {}", stderr(o)))
}

fn violations(r: &Value) -> Vec<(String, String)> {
    r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["node"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_rollout_that_completes_passes_before_the_deadline() {
    let live = start("completes");
    let child = live.spawn(&["--check", "--wait", "10m", "-o", "json"]);
    live.await_pod_watches(1);
    live.replace_n2();
    live.place_n3(Is::Creating);
    live.place_n3(Is::Ready);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert!(!err.contains("timed out"), "{err}");
    let r = json_report(&out);
    assert_eq!(r["gate"]["passed"], true);
    assert_eq!(r["gate"]["violations"], json!([]));
    // Outdated counts while waiting (no --fail-on given).
    assert!(
        r["gate"]["failOn"]
            .as_array()
            .unwrap()
            .contains(&json!("outdated"))
    );
    let ds = &r["daemonSets"][0];
    assert_eq!(ds["counts"]["ready"], 3, "{ds}");
    let pods: Vec<&str> = ds["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["pods"][0]["name"].as_str().unwrap())
        .collect();
    assert_eq!(pods, ["agent-a", "agent-b2", "agent-c"]);
    // It followed with watches from each list's version, with bookmarks, never relisting.
    let reqs = live.sim.requests();
    let watches: Vec<_> = reqs.iter().filter(|r| r.param("watch").is_some()).collect();
    assert!(watches.iter().all(|w| {
        w.param("allowWatchBookmarks").as_deref() == Some("true")
            && w.param("resourceVersion")
                .is_some_and(|v| !v.is_empty() && v != "0")
    }));
    let pod_watch = watches.iter().find(|w| w.path.ends_with("/pods")).unwrap();
    assert_eq!(pod_watch.path, "/api/v1/namespaces/monitoring/pods");
    assert_eq!(
        pod_watch.param("labelSelector").as_deref(),
        Some("app=agent")
    );
    let pod_lists = reqs
        .iter()
        .filter(|r| r.path.ends_with("/pods") && r.param("watch").is_none())
        .count();
    assert_eq!(pod_lists, 1);
}

#[test]
fn a_pod_whose_image_cannot_be_pulled_fails_fast_with_the_reason() {
    let live = start("stuck");
    let child = live.spawn(&["--check", "--wait", "10m"]);
    live.await_pod_watches(1);
    live.replace_n2();
    live.place_n3(Is::Waiting("ImagePullBackOff"));
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(
        err.contains("before the deadline: waiting cannot help"),
        "{err}"
    );
    assert!(
        err.contains("monitoring/agent on n3: pod agent-c: container agent ImagePullBackOff"),
        "{err}"
    );
    assert!(!err.contains("timed out"), "{err}");
    // The last report is printed (the table, by default).
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(table.contains("agent"), "{table}");
}

#[test]
fn a_crash_loop_past_the_restart_threshold_fails_fast_and_no_fail_fast_waits() {
    let live = start("crash");
    let mut crashing = pod("agent-c", "n3", 2, Is::Waiting("CrashLoopBackOff"));
    crashing["status"]["containerStatuses"][0]["restartCount"] = json!(5);
    live.sim.apply(crashing).unwrap();
    let out = live
        .spawn(&["--check", "--wait", "10m"])
        .wait_with_output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("CrashLoopBackOff (5 restarts)"), "{err}");

    let out = live
        .spawn(&["--check", "--wait", "2s", "--no-fail-fast", "-o", "json"])
        .wait_with_output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("timed out after 2s"), "{err}");
    assert!(!err.contains("waiting cannot help"), "{err}");
}

#[test]
fn a_pod_the_scheduler_finds_no_room_for_fails_fast() {
    let live = start("nocpu");
    let child = live.spawn(&["--check", "--wait", "10m"]);
    live.await_pod_watches(1);
    // As the scheduler leaves an unplaceable daemon pod: unbound, pinned by the controller's
    // matchFields term, PodScheduled False with the fit plugin's words.
    let mut p = pod("agent-c", "n3", 2, Is::Creating);
    p["spec"].as_object_mut().unwrap().remove("nodeName");
    p["spec"]["affinity"] = json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
        {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": ["n3"]}]}]}}});
    p["status"] = json!({"phase": "Pending", "conditions": [{"type": "PodScheduled", "status": "False",
        "reason": "Unschedulable", "message": "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) didn't match Pod's node affinity/selector."}]});
    live.sim.apply(p).unwrap();
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("waiting cannot help"), "{err}");
    assert!(
        err.contains("monitoring/agent on n3: does not fit on the node"),
        "{err}"
    );
    assert!(err.contains("Insufficient cpu"), "{err}");
}

#[test]
fn a_daemon_set_eligible_on_no_node_fails_fast() {
    let live = start("nowhere");
    let mut ds = daemon_set(2);
    ds["spec"]["template"]["spec"]["nodeSelector"] = json!({"accelerator": "tpu"});
    live.sim.apply(ds).unwrap();
    let out = live
        .spawn(&["--check", "--wait", "10m"])
        .wait_with_output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("waiting cannot help"), "{err}");
    assert!(
        err.contains("monitoring/agent on *: eligible on no node"),
        "{err}"
    );
}

#[test]
fn a_watch_dropped_mid_rollout_is_resumed_and_the_rollout_still_passes() {
    let live = start("dropped");
    let child = live.spawn(&["--check", "--wait", "10m", "-o", "json"]);
    live.await_pod_watches(1);
    live.replace_n2();
    // Every open watch breaks, and the versions they had are compacted away: resuming gets
    // 410 Gone, and the plugin relists.
    live.sim.drop_watches();
    live.sim.compact();
    live.await_pod_watches(2);
    live.place_n3(Is::Ready);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    assert_eq!(json_report(&out)["gate"]["passed"], true);
    let reqs = live.sim.requests();
    let pod_lists = reqs
        .iter()
        .filter(|r| r.path.ends_with("/pods") && r.param("watch").is_none())
        .count();
    assert!(pod_lists >= 2, "relisted after the 410: {pod_lists} lists");
}

#[test]
fn the_deadline_fails_with_the_last_report_and_its_violations() {
    let live = start("deadline");
    let out = live
        .spawn(&["--check", "--wait", "2s", "-o", "json"])
        .wait_with_output()
        .unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("timed out after 2s"), "{err}");
    // Not a terminal: progress as whole lines (never carriage returns), one per change.
    assert!(!err.contains('\r'), "{err:?}");
    let progress: Vec<&str> = err.lines().filter(|l| l.starts_with("waiting (")).collect();
    assert_eq!(progress.len(), 1, "{err}");
    assert!(
        progress[0].ends_with("monitoring/agent 2/3 available, 1/3 updated"),
        "{err}"
    );
    let r = json_report(&out);
    assert_eq!(r["gate"]["passed"], false);
    let v = violations(&r);
    for expected in [
        ("n3", "Missing"),
        ("n2", "outdated"),
        ("*", "GenerationNotObserved"),
    ] {
        assert!(
            v.contains(&(expected.0.to_string(), expected.1.to_string())),
            "{expected:?} in {v:?}"
        );
    }
    assert_eq!(v.len(), 3, "{v:?}");
}

#[test]
fn wait_is_a_usage_error_without_a_live_cluster_or_check_or_for_a_what_if() {
    let live = start("usage");
    let manifest = live.dir.join("ds.json");
    std::fs::write(&manifest, daemon_set(2).to_string()).unwrap();
    let cluster = live.dir.join("cluster.json");
    std::fs::write(
        &cluster,
        json!({"kind": "List", "apiVersion": "v1", "items": mid_rollout()}).to_string(),
    )
    .unwrap();
    for (args, says) in [
        (
            vec!["--check", "--wait", "1m", "-f", cluster.to_str().unwrap()],
            "--from-file",
        ),
        (
            vec![
                "--check",
                "--wait",
                "1m",
                "--manifest",
                manifest.to_str().unwrap(),
            ],
            "what-if",
        ),
        (vec!["--wait", "1m"], "add --check"),
        (vec!["--check", "--wait", "soon"], "invalid --wait"),
        (vec!["--check", "--wait", "0"], "invalid --wait"),
        (
            vec!["--check", "--no-fail-fast"],
            "--no-fail-fast applies to --wait",
        ),
    ] {
        let out = live.spawn(&args).wait_with_output().unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}
