//! `--check --wait` against the simulated API server, the rollout scripted by the test: a
//! rollout that completes passes (exit 0), a stuck one fails fast with its reason, a watch
//! dropped (and its version compacted away) mid-rollout is resumed, the deadline fails with the
//! violations; and the flag's usage errors. No timing is asserted: deadlines are generous, and
//! "before the deadline" is proven by how the run ended (its exit code and its words).

mod support;

use std::process::Output;

use ds_coverage_simulator::{Rollout, Stuck};
use serde_json::{Value, json};
use support::rollout::*;

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
    let out = live.run(&["--check", "--wait", "10m"]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "stderr: {err}");
    assert!(err.contains("CrashLoopBackOff (5 restarts)"), "{err}");

    let out = live.run(&["--check", "--wait", "2s", "--no-fail-fast", "-o", "json"]);
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
    let out = live.run(&["--check", "--wait", "10m"]);
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
    let out = live.run(&["--check", "--wait", "2s", "-o", "json"]);
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
        // The feeds follow DaemonSets' reads only: mirror pods are not followed, and a family
        // judged on none would be Missing everywhere (or absent).
        (
            vec!["--check", "--wait", "2s", "--static-pods"],
            "--wait does not follow static pods",
        ),
        (
            vec![
                "--check",
                "--wait",
                "2s",
                "--static-pods",
                "--expect-static",
                "etcd=node-role.kubernetes.io/control-plane",
            ],
            "--wait does not follow static pods",
        ),
    ] {
        let out = live.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "one line: {err}");
    }
}

/// The simulator's controller rolls the DaemonSet out node by node while the plugin waits.
fn controller_rollout(tag: &str, stuck: Option<(Stuck, &str)>) -> std::process::Output {
    let live = start(tag);
    let child = live.spawn(&["--check", "--wait", "10m", "-o", "json"]);
    live.await_pod_watches(1);
    let roll = live.sim.roll_out(
        "monitoring",
        "agent",
        Rollout {
            ready_after: std::time::Duration::from_millis(100),
            stuck: stuck.map(|(how, node)| (how, [node.to_string()].into_iter().collect())),
        },
    );
    let out = child.wait_with_output().unwrap();
    roll.join().unwrap();
    out
}

#[test]
fn a_rollout_the_controller_completes_passes() {
    let out = controller_rollout("ctl-completes", None);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "stderr: {err}");
    let r = json_report(&out);
    assert_eq!(r["gate"]["passed"], true);
    let ds = &r["daemonSets"][0];
    assert_eq!(ds["counts"]["ready"], 3, "{ds}");
    assert_eq!(ds["controllerStatus"]["observedGeneration"], 2, "{ds}");
    // n1 kept its updated pod; n2's was replaced, n3 got one.
    let nodes = ds["nodes"].as_array().unwrap();
    assert_eq!(nodes[0]["pods"][0]["name"], "agent-a");
    assert!(
        nodes[1..]
            .iter()
            .all(|n| n["pods"][0]["name"] != "agent-b" && n["outdated"] == false)
    );
}

#[test]
fn a_rollout_the_controller_gets_stuck_in_fails_fast_with_the_reason() {
    for (tag, how, node, says) in [
        (
            "ctl-pull",
            Stuck::ImagePull,
            "n3",
            "ImagePullBackOff: Back-off pulling image \"agent:2\"",
        ),
        (
            "ctl-crash",
            Stuck::CrashLoop,
            "n2",
            "CrashLoopBackOff (5 restarts)",
        ),
        ("ctl-cpu", Stuck::InsufficientCpu, "n2", "Insufficient cpu"),
    ] {
        let out = controller_rollout(tag, Some((how, node)));
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(1), "{how:?}: {err}");
        assert!(err.contains("waiting cannot help"), "{how:?}: {err}");
        assert!(
            err.contains(&format!("monitoring/agent on {node}: ")),
            "{how:?}: {err}"
        );
        assert!(err.contains(says), "{how:?}: {err}");
        assert_eq!(json_report(&out)["gate"]["passed"], false);
    }
}

/// The API server lost while waiting: said on stderr once it has been gone a few seconds, and
/// when the time runs out the run fails as a cluster that cannot be read (exit 3), not as a
/// rollout that did not converge (exit 1).
#[test]
fn an_api_server_lost_while_waiting_is_said_and_is_exit_3() {
    let live = start("lost");
    let child = live.spawn(&["--check", "--wait", "8s", "-o", "json"]);
    live.await_pod_watches(1);
    drop(live);
    let out = child.wait_with_output().unwrap();
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(3), "{err}");
    assert!(
        err.lines().any(|l| l.starts_with("warning: ")
            && l.ends_with("; retrying until it answers (the report stays as last read)")),
        "{err}"
    );
    assert!(
        err.contains("error: --wait: the API server could not be read when its 8s ran out"),
        "{err}"
    );
    assert!(out.stdout.is_empty(), "no report of a state not known");
}
