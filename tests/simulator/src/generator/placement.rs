//! Placement: the generator's own, small `NodeShouldRunDaemonPod`, independent of the
//! crate's engine so that tests can cross-check the two.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Taint {
    pub(super) key: &'static str,
    pub(super) value: &'static str,
    pub(super) effect: &'static str,
    pub(super) time_added: Option<i64>,
    /// Added by drift (after the node's daemon pods started).
    pub(super) drift: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Toleration {
    pub(super) key: &'static str,
    pub(super) operator: &'static str,
    pub(super) value: &'static str,
    pub(super) effect: &'static str,
    pub(super) seconds: Option<i64>,
}

pub(super) const fn tol(
    key: &'static str,
    operator: &'static str,
    effect: &'static str,
) -> Toleration {
    Toleration {
        key,
        operator,
        value: "",
        effect,
        seconds: None,
    }
}

/// `pkg/controller/daemon/util/daemonset_util.go: AddOrUpdateDaemonPodTolerations`;
/// network-unavailable only with hostNetwork.
pub(super) fn default_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut out = vec![
        tol("node.kubernetes.io/not-ready", "Exists", "NoExecute"),
        tol("node.kubernetes.io/unreachable", "Exists", "NoExecute"),
        tol("node.kubernetes.io/disk-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/memory-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/pid-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/unschedulable", "Exists", "NoSchedule"),
    ];
    if host_network {
        out.push(tol(
            "node.kubernetes.io/network-unavailable",
            "Exists",
            "NoSchedule",
        ));
    }
    out
}

/// `k8s.io/api/core/v1/toleration.go: ToleratesTaint` for the operators generated here.
pub(super) fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    (t.effect.is_empty() || t.effect == taint.effect)
        && (t.key.is_empty() || t.key == taint.key)
        && match t.operator {
            "Exists" => true,
            "" | "Equal" => t.value == taint.value,
            _ => false,
        }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Op {
    In,
    NotIn,
}

#[derive(Debug, Clone)]
pub(super) struct Requirement {
    pub(super) key: &'static str,
    pub(super) op: Op,
    pub(super) values: Vec<String>,
}

#[derive(Debug, Clone)]
pub(super) struct Placement {
    pub(super) node_selector: Vec<(&'static str, String)>,
    /// One required node affinity term (its expressions are AND-ed); empty means none.
    pub(super) required: Vec<Requirement>,
    pub(super) tolerations: Vec<Toleration>,
    pub(super) host_network: bool,
}

/// (shouldRun, shouldContinueRunning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Verdict {
    pub(super) should_run: bool,
    pub(super) should_continue: bool,
}

impl Placement {
    /// `daemon_controller.go: NodeShouldRunDaemonPod` for the shapes generated here. With `with_drift` false the
    /// taints drift added are left out: the answer from before the node drifted.
    pub(super) fn evaluate(&self, node: &NodePlan, with_drift: bool) -> Verdict {
        let label = |k: &str| node.labels.get(k);
        let selector_ok = self.node_selector.iter().all(|(k, v)| label(k) == Some(v));
        let affinity_ok = self.required.iter().all(|r| match r.op {
            Op::In => label(r.key).is_some_and(|v| r.values.contains(v)),
            Op::NotIn => label(r.key).is_none_or(|v| !r.values.contains(v)),
        });
        if !selector_ok || !affinity_ok {
            return Verdict {
                should_run: false,
                should_continue: false,
            };
        }
        let defaults = default_tolerations(self.host_network);
        let tolerated = |taint: &Taint| {
            self.tolerations
                .iter()
                .chain(&defaults)
                .any(|t| tolerates(t, taint))
        };
        let mut no_schedule = false;
        let mut no_execute = false;
        for taint in node.taints.iter().filter(|t| with_drift || !t.drift) {
            match taint.effect {
                "NoSchedule" if !tolerated(taint) => no_schedule = true,
                "NoExecute" if !tolerated(taint) => no_execute = true,
                _ => {}
            }
        }
        Verdict {
            should_run: !no_schedule && !no_execute,
            should_continue: !no_execute,
        }
    }
}
