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

/// What the progress line tells of each DaemonSet, in the report's order: its available and
/// updated pods of those it wants.
pub fn progress(report: &Report) -> Vec<String> {
    report
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
        .collect()
}

/// The progress line: `lead` (the time left), then every DaemonSet's [`progress`]. Fitted to
/// `width` columns when one is given (a terminal, where the line is redrawn in place over
/// itself: a line the terminal wraps onto a second row leaves that row behind at every
/// redraw): as many DaemonSets as fit, whole and in order, then how many more are not shown
/// ("… and 12 more"); when not even the first fits whole, it is cut with "…" (display width,
/// as the tables count it). Without a width (a CI log) the line is whole, for grep.
pub fn progress_line(lead: &str, parts: &[String], width: Option<usize>) -> String {
    use crate::render::style;
    let whole = if parts.is_empty() {
        format!("{lead}no DaemonSets yet")
    } else {
        format!("{lead}{}", parts.join("; "))
    };
    let Some(w) = width else {
        return whole;
    };
    if style::width(&whole) <= w {
        return whole;
    }
    let more = |n: usize| format!("; … and {n} more");
    // The most DaemonSets that fit whole with the count of the others after them.
    let mut used = style::width(lead);
    let mut shown = 0;
    for (i, part) in parts.iter().enumerate() {
        let sep = if i == 0 { 0 } else { 2 };
        let next = used + sep + style::width(part);
        if next + style::width(&more(parts.len() - i - 1)) > w {
            break;
        }
        used = next;
        shown = i + 1;
    }
    if shown > 0 {
        return format!(
            "{lead}{}{}",
            parts[..shown].join("; "),
            more(parts.len() - shown)
        );
    }
    // Not even the first whole: the first cut short, if enough of it is left to read.
    let tail = match parts.len() {
        0 | 1 => String::new(),
        n => more(n - 1),
    };
    match parts.first() {
        Some(first) => style::fit_middle(lead, first, &tail, w),
        None => style::truncate(&whole, w),
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

#[cfg(test)]
mod tests {
    use super::progress_line;
    use crate::render::style::width;

    fn parts(n: usize) -> Vec<String> {
        (0..n)
            .map(|i| format!("monitoring/exporter-{i} 2/3 available, 1/3 updated"))
            .collect()
    }

    #[test]
    fn on_a_narrow_terminal_the_line_names_the_daemon_sets_that_fit_and_counts_the_rest() {
        let lead = "waiting (4m59s left): ";
        let all = parts(14);
        for w in [100, 160, 200] {
            let line = progress_line(lead, &all, Some(w));
            assert!(width(&line) <= w, "{w}: {line}");
            let shown = line.matches(" updated").count();
            assert!(shown >= 1, "{w}: {line}");
            // Every DaemonSet is named whole or counted: none is lost.
            assert!(
                line.ends_with(&format!("; … and {} more", 14 - shown)),
                "{w}: {line}"
            );
            for p in &all[..shown] {
                assert!(line.contains(p.as_str()), "{w}: {line}");
            }
        }
        // Wider terminals name more of them.
        let at = |w| {
            progress_line(lead, &all, Some(w))
                .matches(" updated")
                .count()
        };
        assert!(at(100) < at(160), "{} {}", at(100), at(160));
    }

    #[test]
    fn when_not_even_one_fits_whole_the_first_is_cut_and_the_line_still_fits() {
        let lead = "waiting (4m59s left): ";
        let all = parts(3);
        let line = progress_line(lead, &all, Some(80));
        assert!(width(&line) <= 80, "{line}");
        assert!(
            line.starts_with("waiting (4m59s left): monitoring/"),
            "{line}"
        );
        assert!(line.ends_with("…; … and 2 more"), "{line}");
        // Narrower still: the whole line cut, never wider than the terminal.
        for w in [1, 10, 30] {
            let line = progress_line(lead, &all, Some(w));
            assert!(width(&line) <= w, "{w}: {line}");
            assert!(line.ends_with('…'), "{w}: {line}");
        }
        // Wide names (CJK) count by display width.
        let wide = vec!["名前空間/デーモン 1/2 available, 0/2 updated".to_string(); 4];
        let line = progress_line(lead, &wide, Some(70));
        assert!(width(&line) <= 70, "{line}");
    }

    #[test]
    fn a_line_that_fits_or_has_no_width_to_fit_is_whole() {
        let lead = "waiting (10s left): ";
        let all = parts(5);
        let whole = format!("{lead}{}", all.join("; "));
        assert_eq!(progress_line(lead, &all, None), whole);
        assert_eq!(progress_line(lead, &all, Some(width(&whole))), whole);
        assert_eq!(
            progress_line(lead, &[], Some(80)),
            "waiting (10s left): no DaemonSets yet"
        );
    }
}
