//! A DaemonSet mid-rollout on three nodes, served by the simulated API server, and the
//! controller's steps to finish it, for the `--wait` and `--watch` tests (tests/wait.rs,
//! tests/watch.rs).

use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::{Value, json};

const DS_UID: &str = "7f0c6a52-1111-4a4a-9a9a-000000000001";

pub fn node(name: &str) -> Value {
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
pub fn daemon_set(observed: i64) -> Value {
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
pub enum Is {
    Ready,
    Creating,
    Waiting(&'static str),
}

pub fn pod(name: &str, node: &str, generation: i64, is: Is) -> Value {
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
pub fn mid_rollout() -> Vec<Value> {
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

pub struct Live {
    pub sim: Simulator,
    pub kubeconfig: String,
    pub dir: PathBuf,
}

impl Drop for Live {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub fn start(tag: &str) -> Live {
    let sim = Simulator::start(mid_rollout(), SimOptions::default());
    let dir =
        std::env::temp_dir().join(format!("ds-coverage-rollout-{tag}-{}", std::process::id()));
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
    pub fn spawn(&self, args: &[&str]) -> Child {
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

    /// Runs the plugin to its end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.spawn(args).wait_with_output().unwrap()
    }

    /// Open watches of pods the plugin has sent so far.
    pub fn pod_watches(&self) -> usize {
        self.sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/pods") && r.param("watch").is_some())
            .count()
    }

    /// Blocks until the plugin has opened at least `n` watches of pods: it is following.
    pub fn await_pod_watches(&self, n: usize) {
        let deadline = Instant::now() + Duration::from_secs(60);
        while self.pod_watches() < n {
            assert!(Instant::now() < deadline, "the plugin never watched pods");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// The controller's side of finishing the rollout: generation observed, n2's pod replaced
    /// by an updated one, n3 given one (Pending first, then Ready).
    pub fn replace_n2(&self) {
        self.sim.apply(daemon_set(2)).unwrap();
        assert!(self.sim.remove("pods", Some("monitoring"), "agent-b"));
        self.sim
            .apply(pod("agent-b2", "n2", 2, Is::Creating))
            .unwrap();
        self.sim.apply(pod("agent-b2", "n2", 2, Is::Ready)).unwrap();
    }

    pub fn place_n3(&self, is: Is) {
        self.sim.apply(pod("agent-c", "n3", 2, is)).unwrap();
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}
