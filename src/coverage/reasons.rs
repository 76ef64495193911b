//! The reason sentences: why a pair is in its state, in the words of the objects (pod and
//! container status, node conditions) where they have any.

use std::collections::HashMap;

use jiff::Timestamp;

use crate::client::error::one_line;
use crate::model::{Node, Pod};
use crate::reason::{Reason, Rule};
use crate::report::{State, Unscheduled};

use super::claim::Claimed;

/// A reason with the node's own value left out (`(node has kubernetes.io/hostname=a)`), so
/// that exclusions group nodes excluded by the same rule.
pub(super) fn without_node_details(message: &str) -> String {
    let mut out = message.to_string();
    for marker in [" (node has ", " (node is "] {
        while let Some(start) = out.find(marker) {
            let Some(len) = out[start..].find(')') else {
                break;
            };
            out.replace_range(start..start + len + 1, "");
        }
    }
    out
}

pub(super) fn outdated_message(p: &Pod, hash: Option<&str>, generation: Option<i64>) -> String {
    let labels = &p.metadata.labels;
    match (hash, labels.get("controller-revision-hash")) {
        (Some(h), Some(have)) => format!(
            "pod {} runs revision {have}, the current revision is {h}",
            p.name()
        ),
        _ => format!(
            "pod {} has pod-template-generation {}, the DaemonSet's template generation is {}",
            p.name(),
            labels
                .get("pod-template-generation")
                .map(String::as_str)
                .unwrap_or("(none)"),
            generation
                .map(|g| g.to_string())
                .unwrap_or_else(|| "unknown".into())
        ),
    }
}

/// One state per pair, with the reasons a user needs.
pub(super) fn classify(
    node: &Node,
    verdict: &crate::eligibility::Verdict,
    pods: &[&Claimed],
    now: Timestamp,
    finalizing: &HashMap<&str, Vec<&str>, crate::fasthash::FastBuild>,
) -> (State, Vec<Reason>) {
    if !verdict.should_run {
        if pods.is_empty() {
            return (State::Ineligible, verdict.reasons.clone());
        }
        let mut reasons = verdict.reasons.clone();
        reasons.push(Reason::new(Rule::Node, misscheduled_fate(verdict, pods)));
        return (State::Misscheduled, reasons);
    }
    let Some(first) = pods.first().map(|c| c.pod) else {
        let mut msg = "no daemon pod for this node".to_string();
        if let Some(created) = node.metadata.creation_timestamp {
            let age = now.as_second() - created.as_second();
            if (0..600).contains(&age) {
                msg.push_str(&format!(
                    " (the node joined {} ago)",
                    crate::duration::short(age)
                ));
            }
        }
        let mut reasons = vec![Reason::new(Rule::NoPod, msg)];
        if let Some(names) = finalizing.get(node.name()) {
            reasons.push(Reason::new(
                Rule::Terminating,
                format!(
                    "{} finished and is being deleted (held by a finalizer); the controller ignores it and creates a replacement",
                    names.join(", ")
                ),
            ));
        }
        return (State::Missing, reasons);
    };
    let mut reasons = Vec::new();
    if first.is_terminating() {
        reasons.push(Reason::new(
            Rule::Terminating,
            format!("pod {} is being deleted", first.name()),
        ));
    }
    let state = if first.is_ready() {
        State::Ready
    } else if pods.iter().all(|c| c.pod.is_terminal()) || first.is_terminal() {
        // The oldest pod is the one `updateDaemonSetStatus` counts for the node, finished or
        // not; a younger one running beside it is said first (the table shows one reason), not
        // hidden.
        if let Some(live) = pods.iter().map(|c| c.pod).find(|p| !p.is_terminal()) {
            reasons.push(Reason::new(
                Rule::PodStatus,
                format!(
                    "pod {} also runs here ({}); the DaemonSet's status counts the oldest pod, \
                     {}, until the controller deletes it (a Failed pod after a backoff, a \
                     Succeeded one at once)",
                    live.name(),
                    if live.is_ready() {
                        "Ready"
                    } else {
                        "not Ready"
                    },
                    first.name()
                ),
            ));
        }
        reasons.extend(failed_reasons(first));
        State::Failed
    } else if first.spec.node_name.is_empty() || first.status.phase == "Pending" {
        reasons.extend(pending_reasons(first));
        State::Pending
    } else {
        reasons.extend(not_ready_reasons(first, node));
        State::NotReady
    };
    (state, reasons)
}

/// What `pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode` does with the pods on a
/// node the DaemonSet should not run on. Without shouldContinueRunning (an untolerated NoExecute
/// taint, or a placement rule the node no longer meets) it deletes every pod not already being
/// deleted. With it (only NoSchedule taints untolerated) it keeps a running pod, but still
/// deletes Failed pods (after a backoff) and Succeeded ones.
fn misscheduled_fate(verdict: &crate::eligibility::Verdict, pods: &[&Claimed]) -> String {
    let open: Vec<&Pod> = pods
        .iter()
        .map(|c| c.pod)
        .filter(|p| !p.is_terminating())
        .collect();
    if !verdict.should_continue_running {
        return match open.len() {
            0 | 1 => "the controller deletes the pod on this node".to_string(),
            n => format!("the controller deletes every daemon pod on this node ({n})"),
        };
    }
    if open.iter().any(|p| !p.is_terminal()) {
        return "the controller would not place a pod here but keeps the existing one (no untolerated NoExecute taint)"
            .to_string();
    }
    let finished: Vec<String> = open
        .iter()
        .map(|p| format!("{} pod {}", p.status.phase, p.name()))
        .collect();
    if finished.is_empty() {
        return "the controller would not place a pod here and creates none once the pod being deleted is gone"
            .to_string();
    }
    format!(
        "the controller would not place a pod here: it deletes the finished {} (a Failed pod \
         after a backoff) and creates none",
        finished.join(", ")
    )
}

fn failed_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    let status = &p.status;
    match (status.reason.is_empty(), status.message.is_empty()) {
        (false, false) => out.push(Reason::new(
            Rule::PodStatus,
            format!("{}: {}", status.reason, one_line(&status.message)),
        )),
        (false, true) => out.push(Reason::new(Rule::PodStatus, status.reason.to_string())),
        (true, false) => out.push(Reason::new(Rule::PodStatus, one_line(&status.message))),
        (true, true) => {}
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        out.push(Reason::new(
            Rule::PodStatus,
            format!("pod {} is {}", p.name(), status.phase),
        ));
    }
    out
}

fn pending_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(c) = p.condition("PodScheduled").filter(|c| c.status != "True") {
        let text = match (c.reason.is_empty(), c.message.is_empty()) {
            (_, false) => one_line(&c.message),
            (false, true) => c.reason.clone(),
            (true, true) => "not scheduled yet".to_string(),
        };
        out.push(Reason::new(Rule::Scheduling, text));
    } else if p.spec.node_name.is_empty() {
        out.push(Reason::new(Rule::Scheduling, "not bound to the node yet"));
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        out.push(Reason::new(
            Rule::Container,
            "containers have not started yet",
        ));
    }
    out
}

/// What the scheduler says about a pod it has not placed, from the same facts as
/// [`pending_reasons`]' scheduling reason: a PodScheduled condition that is not True, or no node.
pub(super) fn unscheduled(p: &Pod) -> Option<Unscheduled> {
    if let Some(c) = p.condition("PodScheduled").filter(|c| c.status != "True") {
        // The scheduler's message is the only place the fit failure is named.
        return Some(if c.message.contains("Insufficient") {
            Unscheduled::InsufficientResources
        } else {
            Unscheduled::Other
        });
    }
    p.spec.node_name.is_empty().then_some(Unscheduled::Other)
}

fn not_ready_reasons(p: &Pod, node: &Node) -> Vec<Reason> {
    let mut out = Vec::new();
    if !node.is_ready() {
        let detail = node
            .condition("Ready")
            .map(|c| {
                let mut s = format!(
                    "Ready={}",
                    if c.status.is_empty() {
                        "Unknown"
                    } else {
                        &c.status
                    }
                );
                if !c.message.is_empty() {
                    s.push_str(&format!(": {}", one_line(&c.message)));
                }
                s
            })
            .unwrap_or_else(|| "no Ready condition".into());
        out.push(Reason::new(
            Rule::Node,
            format!("the node is not ready ({detail})"),
        ));
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        let msg = p
            .condition("Ready")
            .filter(|c| !c.message.is_empty() || !c.reason.is_empty())
            .map(|c| {
                if c.message.is_empty() {
                    c.reason.clone()
                } else {
                    one_line(&c.message)
                }
            })
            .unwrap_or_else(|| "the pod is not Ready".into());
        out.push(Reason::new(Rule::Container, msg));
    }
    out
}

/// The containers' own words: waiting reasons, crash loops with restarts, last terminations,
/// running-but-unready containers.
fn container_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    let statuses = p.status.init_container_statuses.iter().map(|c| (c, true));
    for (c, init) in statuses.chain(p.status.container_statuses.iter().map(|c| (c, false))) {
        if c.ready
            || (init
                && c.state
                    .terminated
                    .as_ref()
                    .is_some_and(|t| t.exit_code == Some(0)))
        {
            continue;
        }
        let kind = if init { "init container" } else { "container" };
        let mut msg = if let Some(w) = &c.state.waiting {
            let mut s = format!(
                "{kind} {}: {}",
                c.name,
                if w.reason.is_empty() {
                    "waiting"
                } else {
                    &w.reason
                }
            );
            if c.restart_count > 0 {
                s.push_str(&format!(" (restarts {})", c.restart_count));
            }
            if !w.message.is_empty() && w.reason != "CrashLoopBackOff" {
                s.push_str(&format!(": {}", first_line(&w.message)));
            }
            s
        } else if let Some(t) = &c.state.terminated {
            format!(
                "{kind} {} terminated: {}{}",
                c.name,
                if t.reason.is_empty() {
                    "exited"
                } else {
                    &t.reason
                },
                t.exit_code
                    .map(|e| format!(" (exit code {e})"))
                    .unwrap_or_default()
            )
        } else if c.state.running.is_some() {
            format!(
                "{kind} {} is running but not ready (readiness probe failing)",
                c.name
            )
        } else {
            continue;
        };
        if let Some(t) = &c.last_state.terminated {
            msg.push_str(&format!(
                "; last exit: {}{}",
                if t.reason.is_empty() {
                    "terminated"
                } else {
                    &t.reason
                },
                t.exit_code
                    .map(|e| format!(" (code {e})"))
                    .unwrap_or_default()
            ));
        }
        out.push(Reason::new(Rule::Container, msg));
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}

/// A Missing pair of a DaemonSet read from a manifest: the pod applying it would create.
pub(super) fn manifest_missing() -> Vec<Reason> {
    vec![Reason::new(
        Rule::NoPod,
        "no daemon pod yet: the controller would create one once the manifest is applied",
    )]
}

/// The state of a node's mirror pod (a static pod, run by the kubelet from its manifest
/// folder) and its reasons, read from the pod's status as for a daemon pod: Ready, else Failed
/// when finished, Pending before it runs, NotReady otherwise.
pub(super) fn mirror_pod_state(p: &Pod, node: &Node) -> (State, Vec<Reason>) {
    if p.is_ready() {
        (State::Ready, Vec::new())
    } else if p.is_terminal() {
        (State::Failed, failed_reasons(p))
    } else if p.status.phase == "Pending" || p.status.phase.is_empty() {
        (State::Pending, pending_reasons(p))
    } else {
        (State::NotReady, not_ready_reasons(p, node))
    }
}
