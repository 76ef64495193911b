//! Following a live cluster: `--check --wait`.
//!
//! This module is pure — what a report means for a rollout being waited for: the rollout's own
//! violations (generation not observed, updated pods not yet available), the states waiting
//! cannot cure (fail fast), and the one-line progress. [`live`] is the I/O around it: the
//! reads and watches through the client layer, the loop, the clock.

pub mod live;

use std::collections::HashMap;

use serde::Serialize;

use crate::gate::{FailOn, GateReport, Violation, ViolationState};
use crate::model::Pod;
use crate::report::{Report, State, Unscheduled};
use crate::snapshot::Snapshot;

/// Container waiting reasons no amount of waiting fixes: the image cannot be pulled or named,
/// the container's configuration (a missing ConfigMap or Secret key) cannot be built
/// (`pkg/kubelet/images/types.go`, `pkg/kubelet/kuberuntime/kuberuntime_container.go`).
pub const HOPELESS_WAITING: [&str; 4] = [
    "ImagePullBackOff",
    "ErrImagePull",
    "InvalidImageName",
    "CreateContainerConfigError",
];

/// A container in CrashLoopBackOff with at least this many restarts will not come up by
/// itself.
pub const CRASH_LOOP_RESTARTS: i64 = 3;

/// What a rollout still lacks beyond the gate's pair states: the controller has not observed
/// the DaemonSet's current generation (`observedGeneration < generation`, as `kubectl rollout
/// status` checks in `pkg/kubectl/polymorphichelpers/rollout_status.go:
/// DaemonSetStatusViewer.Status`), or an eligible node's updated pod is Ready but not available
/// yet (`podutil.IsPodAvailable` with the DaemonSet's `minReadySeconds`).
pub fn rollout_violations(report: &Report, snap: &Snapshot) -> Vec<Violation> {
    let pods = pods_by_uid(snap);
    let mut out = Vec::new();
    for d in &report.daemon_sets {
        let id = format!("{}/{}", d.namespace, d.name);
        if let Some(cs) = &d.controller_status
            && let Some(generation) = cs.generation
            && cs.observed_generation.is_none_or(|o| o < generation)
        {
            out.push(Violation {
                daemon_set: id.clone(),
                node: "*".into(),
                state: ViolationState::GenerationNotObserved,
                reason: match cs.observed_generation {
                    Some(o) => format!(
                        "the DaemonSet controller has observed generation {o}, not {generation} yet"
                    ),
                    None => format!(
                        "the DaemonSet controller has not observed generation {generation} yet"
                    ),
                },
            });
        }
        let min_ready = snap
            .daemon_sets
            .iter()
            .find(|s| s.namespace() == d.namespace && s.metadata.name == d.name)
            .map_or(0, |s| s.spec.min_ready_seconds);
        if min_ready <= 0 {
            continue;
        }
        for pair in &d.nodes {
            if !pair.eligible || pair.state != State::Ready || pair.outdated {
                continue;
            }
            let Some(first) = pair.pods.first() else {
                continue;
            };
            if let Some(pod) = pods.get(first.uid.as_str())
                && !pod.is_available(min_ready, report.generated_at)
            {
                out.push(Violation {
                    daemon_set: id.clone(),
                    node: pair.node.clone(),
                    state: ViolationState::NotAvailable,
                    reason: format!(
                        "pod {} is Ready but not yet for minReadySeconds ({min_ready}s)",
                        first.name
                    ),
                });
            }
        }
    }
    out
}

/// Violations waiting cannot cure: a daemon pod whose container cannot start
/// ([`HOPELESS_WAITING`], or CrashLoopBackOff with [`CRASH_LOOP_RESTARTS`] restarts or more),
/// a daemon pod the scheduler finds no room for on its node (`Insufficient <resource>`), a
/// DaemonSet eligible on no node.
pub fn hopeless(report: &Report, gate: &GateReport, snap: &Snapshot) -> Vec<Violation> {
    let pods = pods_by_uid(snap);
    let mut out: Vec<Violation> = gate
        .violations
        .iter()
        .filter(|v| v.state == ViolationState::FailOn(FailOn::NoEligibleNode))
        .cloned()
        .collect();
    for d in &report.daemon_sets {
        let id = format!("{}/{}", d.namespace, d.name);
        for pair in &d.nodes {
            if !pair.eligible || (pair.state == State::Ready && !pair.outdated) {
                continue;
            }
            let state = match FailOn::of(pair.state) {
                Some(f) => ViolationState::FailOn(f),
                None => ViolationState::FailOn(FailOn::Outdated),
            };
            let mut reasons: Vec<String> = pair
                .pods
                .iter()
                .filter_map(|p| pods.get(p.uid.as_str()).map(|pod| (p, pod)))
                .filter_map(|(p, pod)| {
                    cannot_start(pod).map(|why| format!("pod {}: {why}", p.name))
                })
                .collect();
            if pair.unscheduled == Some(Unscheduled::InsufficientResources) {
                let said = pair
                    .reasons
                    .iter()
                    .find(|r| r.rule == crate::reason::Rule::Scheduling)
                    .map(|r| r.message.clone())
                    .unwrap_or_else(|| "the scheduler finds no room on the node".into());
                reasons.push(format!("does not fit on the node: {said}"));
            }
            if !reasons.is_empty() {
                out.push(Violation {
                    daemon_set: id.clone(),
                    node: pair.node.clone(),
                    state,
                    reason: reasons.join("; "),
                });
            }
        }
    }
    out
}

/// Why a pod's container cannot start by itself, if it cannot.
fn cannot_start(pod: &Pod) -> Option<String> {
    let statuses = pod
        .status
        .init_container_statuses
        .iter()
        .chain(&pod.status.container_statuses);
    for c in statuses {
        let Some(w) = &c.state.waiting else {
            continue;
        };
        let detail = if w.message.is_empty() {
            String::new()
        } else {
            format!(": {}", w.message.lines().next().unwrap_or(""))
        };
        if HOPELESS_WAITING.contains(&w.reason.as_str()) {
            return Some(format!("container {} {}{detail}", c.name, w.reason));
        }
        if w.reason == "CrashLoopBackOff" && c.restart_count >= CRASH_LOOP_RESTARTS {
            return Some(format!(
                "container {} CrashLoopBackOff ({} restarts)",
                c.name, c.restart_count
            ));
        }
    }
    None
}

fn pods_by_uid(snap: &Snapshot) -> HashMap<&str, &Pod> {
    snap.pods
        .iter()
        .map(|p| (p.metadata.uid.as_str(), p))
        .collect()
}

/// One line of progress: per DaemonSet, its available and updated pods of those it wants.
pub fn progress(report: &Report) -> String {
    let parts: Vec<String> = report
        .daemon_sets
        .iter()
        .map(|d| {
            let c = &d.computed_status;
            format!(
                "{}/{} {}/{} available, {}/{} updated",
                d.namespace,
                d.name,
                c.number_available,
                c.desired_number_scheduled,
                c.updated_number_scheduled,
                c.desired_number_scheduled
            )
        })
        .collect();
    if parts.is_empty() {
        "no DaemonSets yet".into()
    } else {
        parts.join("; ")
    }
}

/// One pair whose state changed between two reports (`--watch`): `from` is null for a pair
/// seen for the first time, `to` null for one gone (its DaemonSet or node removed). A state is
/// the pair's, with `/outdated` when its pod runs an older revision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transition {
    /// When the new report was computed (RFC 3339).
    pub time: String,
    #[serde(rename = "daemonSet")]
    pub daemon_set: String,
    pub node: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The first reason of the new state (empty when Ready or gone).
    pub reason: String,
}

impl Transition {
    /// The text form: time, DaemonSet, node, from -> to, reason.
    pub fn text(&self) -> String {
        let s = |x: &Option<String>| x.clone().unwrap_or_else(|| "-".into());
        let mut line = format!(
            "{}  {}  {}  {} -> {}",
            self.time,
            self.daemon_set,
            self.node,
            s(&self.from),
            s(&self.to)
        );
        if !self.reason.is_empty() {
            line.push_str("  ");
            line.push_str(&self.reason);
        }
        line
    }
}

fn pair_states(r: &Report) -> std::collections::BTreeMap<(String, String), (String, String)> {
    let mut out = std::collections::BTreeMap::new();
    for d in &r.daemon_sets {
        for p in &d.nodes {
            let mut state = p.state.as_str().to_string();
            if p.outdated {
                state.push_str("/outdated");
            }
            let reason = p
                .reasons
                .first()
                .map(|r| r.message.clone())
                .unwrap_or_default();
            out.insert(
                (format!("{}/{}", d.namespace, d.name), p.node.clone()),
                (state, reason),
            );
        }
    }
    out
}

/// The pairs whose state differs between `old` (none: every pair is new) and `new`, in
/// DaemonSet then node order.
pub fn transitions(old: Option<&Report>, new: &Report) -> Vec<Transition> {
    let before = old.map(pair_states).unwrap_or_default();
    let after = pair_states(new);
    let time = new.generated_at.to_string();
    let mut keys: Vec<&(String, String)> = before.keys().chain(after.keys()).collect();
    keys.sort();
    keys.dedup();
    keys.into_iter()
        .filter_map(|k| {
            let from = before.get(k);
            let to = after.get(k);
            if from.map(|f| &f.0) == to.map(|t| &t.0) {
                return None;
            }
            Some(Transition {
                time: time.clone(),
                daemon_set: k.0.clone(),
                node: k.1.clone(),
                from: from.map(|f| f.0.clone()),
                to: to.map(|t| t.0.clone()),
                reason: to.map(|t| t.1.clone()).unwrap_or_default(),
            })
        })
        .collect()
}
