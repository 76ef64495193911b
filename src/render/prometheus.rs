//! `-o prometheus`: the OpenMetrics text format (<https://openmetrics.io>) for node-exporter's
//! textfile collector or a Pushgateway.
//!
//! Every family is a gauge (the types both the OpenMetrics parsers and the classic Prometheus
//! text parser, which the textfile collector and the Pushgateway use, accept), written once with
//! the samples of every cluster of the run, and the text ends in `# EOF`. Per-node series exist
//! only for gaps (pairs neither Ready nor Ineligible), at most `max_gaps` of them per run, so a
//! cluster of thousands of nodes stays a few series per DaemonSet. README ("Monitoring") lists
//! every series.

use std::io::Write;

use crate::gate::{FailOn, ViolationState};
use crate::report::{Counts, DaemonSetReport, OrphanAction, PairReport, Report, State};

/// One cluster of a run: its label and what reading it gave.
#[derive(Debug, Clone, Copy)]
pub struct ClusterMetrics<'a> {
    /// The `cluster` label: the kubeconfig context of a live run; `None` (or empty) leaves the
    /// label out (a file, or the in-cluster configuration).
    pub cluster: Option<&'a str>,
    pub outcome: Outcome<'a>,
}

/// What reading a cluster gave.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    /// The report (with its gate verdict when `--check` was given).
    Report(&'a Report),
    /// The cluster could not be read: the error (said on stderr) is free text, no label, so
    /// the metrics say only `ds_coverage_cluster_up 0`.
    Unreadable(&'a str),
}

/// What the run decides beyond the reports.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// At most this many `ds_coverage_gap` series (DaemonSets and static pods together) over
    /// the whole run; the rest are counted in `ds_coverage_gaps_truncated`.
    pub max_gaps: usize,
}

/// The default of `--metrics-max-gaps`.
pub const DEFAULT_MAX_GAPS: usize = 500;

/// Every gate violation kind, so each gets a series (zero included) when the gate ran.
const VIOLATION_KINDS: [ViolationState; 14] = [
    ViolationState::FailOn(FailOn::Missing),
    ViolationState::FailOn(FailOn::Pending),
    ViolationState::FailOn(FailOn::NotReady),
    ViolationState::FailOn(FailOn::Failed),
    ViolationState::FailOn(FailOn::Misscheduled),
    ViolationState::FailOn(FailOn::NoEligibleNode),
    ViolationState::FailOn(FailOn::Unknown),
    ViolationState::FailOn(FailOn::Outdated),
    ViolationState::Ineligible,
    ViolationState::NoNodes,
    ViolationState::NoDaemonSets,
    ViolationState::NoExpectedNode,
    ViolationState::GenerationNotObserved,
    ViolationState::NotAvailable,
];

const ORPHAN_ACTIONS: [OrphanAction; 3] = [
    OrphanAction::Adopt,
    OrphanAction::Release,
    OrphanAction::Contested,
];

/// Write the metrics of every cluster of the run, then `# EOF`.
pub fn write(
    clusters: &[ClusterMetrics<'_>],
    opts: &Options,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut m = Metrics { out };
    let reports: Vec<(Labels, &Report)> = clusters
        .iter()
        .filter_map(|c| match c.outcome {
            Outcome::Report(r) => Some((Labels::cluster(c.cluster), r)),
            Outcome::Unreadable(_) => None,
        })
        .collect();

    m.family(
        "ds_coverage_build_info",
        "The ds-coverage build that wrote these metrics (always 1).",
        None,
    )?;
    m.sample(
        "ds_coverage_build_info",
        &Labels(vec![("version", env!("CARGO_PKG_VERSION").to_string())]),
        1,
    )?;

    m.family(
        "ds_coverage_cluster_up",
        "1 when the cluster (or file) was read and audited, 0 when it could not be read.",
        None,
    )?;
    for c in clusters {
        let up = u8::from(matches!(c.outcome, Outcome::Report(_)));
        m.sample("ds_coverage_cluster_up", &Labels::cluster(c.cluster), up)?;
    }

    m.family(
        "ds_coverage_last_run_timestamp_seconds",
        "The instant the audit was evaluated at (the report's generatedAt), in Unix seconds.",
        Some("seconds"),
    )?;
    for (l, r) in &reports {
        let t = r.generated_at.as_millisecond() as f64 / 1000.0;
        m.sample("ds_coverage_last_run_timestamp_seconds", l, t)?;
    }

    m.family(
        "ds_coverage_nodes",
        "Nodes audited (after --node-selector).",
        None,
    )?;
    for (l, r) in &reports {
        m.sample("ds_coverage_nodes", l, r.nodes.len())?;
    }

    m.family("ds_coverage_daemonsets", "DaemonSets audited.", None)?;
    for (l, r) in &reports {
        m.sample("ds_coverage_daemonsets", l, r.daemon_sets.len())?;
    }

    m.family(
        "ds_coverage_daemonset_info",
        "One series per audited DaemonSet (always 1): its update strategy, and what_if=\"true\" for a --manifest not applied yet.",
        None,
    )?;
    for (l, r) in &reports {
        for d in &r.daemon_sets {
            let labels = l
                .ds(&d.namespace, &d.name)
                .with("update_strategy", d.update_strategy.as_str())
                .with("what_if", if d.from_manifest { "true" } else { "false" });
            m.sample("ds_coverage_daemonset_info", &labels, 1)?;
        }
    }

    // Every DaemonSet: Unknown or not.
    m.per_daemon_set(
        &reports,
        "ds_coverage_daemonset_unknown",
        "1 when the DaemonSet's pods could not be read (403 on its namespace): no pair of it is judged and its pair, status and coverage series are absent.",
        None,
        |d| Some(f64::from(u8::from(d.unknown.is_some()))),
    )?;

    m.family(
        "ds_coverage_pairs",
        "(DaemonSet, node) pairs in each state, zeros included.",
        None,
    )?;
    for (l, r) in &reports {
        for d in r.daemon_sets.iter().filter(|d| d.unknown.is_none()) {
            let base = l.ds(&d.namespace, &d.name);
            for state in State::ALL {
                let n = state_count(&d.counts, state, r.nodes.len());
                m.sample(
                    "ds_coverage_pairs",
                    &base.clone().with("state", state.as_str()),
                    n,
                )?;
            }
        }
    }

    // Facts of a known DaemonSet (absent for an Unknown one), one series each.
    type Fact = fn(&DaemonSetReport) -> Option<f64>;
    let computed = "as the DaemonSet controller computes it from the audited objects.";
    let facts: [(&str, String, Option<&str>, Fact); 10] = [
        (
            "ds_coverage_outdated_pairs",
            "Eligible pairs whose pod runs an older revision of the template.".into(),
            None,
            |d| Some(d.counts.outdated as f64),
        ),
        (
            "ds_coverage_coverage_ratio",
            "Ready pairs / eligible pairs; absent for a DaemonSet eligible on no node.".into(),
            Some("ratio"),
            |d| ratio(&d.counts),
        ),
        (
            "ds_coverage_status_desired_number_scheduled",
            format!("desiredNumberScheduled {computed}"),
            None,
            |d| Some(d.computed_status.desired_number_scheduled as f64),
        ),
        (
            "ds_coverage_status_current_number_scheduled",
            format!("currentNumberScheduled {computed}"),
            None,
            |d| Some(d.computed_status.current_number_scheduled as f64),
        ),
        (
            "ds_coverage_status_number_misscheduled",
            format!("numberMisscheduled {computed}"),
            None,
            |d| Some(d.computed_status.number_misscheduled as f64),
        ),
        (
            "ds_coverage_status_number_ready",
            format!("numberReady {computed}"),
            None,
            |d| Some(d.computed_status.number_ready as f64),
        ),
        (
            "ds_coverage_status_number_available",
            format!("numberAvailable {computed}"),
            None,
            |d| Some(d.computed_status.number_available as f64),
        ),
        (
            "ds_coverage_status_updated_number_scheduled",
            format!("updatedNumberScheduled {computed}"),
            None,
            |d| Some(d.computed_status.updated_number_scheduled as f64),
        ),
        (
            "ds_coverage_status_number_unavailable",
            format!("numberUnavailable {computed}"),
            None,
            |d| Some(d.computed_status.number_unavailable as f64),
        ),
        (
            "ds_coverage_status_agrees",
            "1 when the computed status equals the DaemonSet's own .status and observedGeneration is current, 0 when not; absent when the comparison means nothing.".into(),
            None,
            |d| d.status_agrees.map(|a| f64::from(u8::from(a))),
        ),
    ];
    for (name, help, unit, fact) in facts {
        m.per_daemon_set(&reports, name, &help, unit, |d| {
            d.unknown.is_none().then(|| fact(d)).flatten()
        })?;
    }

    m.family(
        "ds_coverage_orphan_pods",
        "Pods whose labels and ownership disagree, by what the controller does with them (adopt, release, contested), zeros included.",
        None,
    )?;
    for (l, r) in &reports {
        for d in r.daemon_sets.iter().filter(|d| d.unknown.is_none()) {
            let id = format!("{}/{}", d.namespace, d.name);
            for action in ORPHAN_ACTIONS {
                let n = r
                    .orphans
                    .iter()
                    .filter(|o| o.daemon_set == id && o.action == action)
                    .count();
                let labels = l
                    .ds(&d.namespace, &d.name)
                    .with("action", orphan_action(action));
                m.sample("ds_coverage_orphan_pods", &labels, n)?;
            }
        }
    }

    m.per_daemon_set(
        &reports,
        "ds_coverage_pods_on_missing_nodes",
        "Daemon pods whose node is no longer in the cluster.",
        None,
        |d| {
            d.unknown
                .is_none()
                .then_some(d.pods_on_missing_nodes.len() as f64)
        },
    )?;

    // Static-pod families (--static-pods): the same facts, their own label.
    let statics: Vec<(usize, &crate::report::StaticPodReport)> = reports
        .iter()
        .enumerate()
        .flat_map(|(i, (_, r))| r.static_pods.iter().flatten().map(move |s| (i, s)))
        .collect();
    if reports.iter().any(|(_, r)| r.static_pods.is_some()) {
        m.family(
            "ds_coverage_static_pod_pairs",
            "--static-pods: (static-pod family, node) pairs in each state, zeros included.",
            None,
        )?;
        for (i, s) in &statics {
            let l = &reports[*i].0;
            for state in State::ALL.into_iter().filter(|s| *s != State::Ineligible) {
                let n = state_count(&s.counts, state, 0);
                let labels = l
                    .statics(&s.namespace, &s.name)
                    .with("state", state.as_str());
                m.sample("ds_coverage_static_pod_pairs", &labels, n)?;
            }
        }
        m.family(
            "ds_coverage_static_pod_coverage_ratio",
            "--static-pods: Ready pairs / expected pairs of a static-pod family; absent when no node is expected to run it.",
            Some("ratio"),
        )?;
        for (i, s) in &statics {
            let l = &reports[*i].0;
            if let Some(ratio) = ratio(&s.counts) {
                m.sample(
                    "ds_coverage_static_pod_coverage_ratio",
                    &l.statics(&s.namespace, &s.name),
                    ratio,
                )?;
            }
        }
    }

    // Gaps: one series per pair that is neither Ready nor Ineligible, within the budget.
    let mut budget = opts.max_gaps;
    // Per report: gap series left out.
    let mut truncated = vec![0usize; reports.len()];
    m.family(
        "ds_coverage_gap",
        "One series (always 1) per (DaemonSet, node) pair that is neither Ready nor Ineligible; reason is the rule of its first reason. At most --metrics-max-gaps per run.",
        None,
    )?;
    for (i, (l, r)) in reports.iter().enumerate() {
        for d in &r.daemon_sets {
            let base = l.ds(&d.namespace, &d.name);
            for p in d.nodes.iter().filter(|p| is_gap(p)) {
                if budget == 0 {
                    truncated[i] += 1;
                    continue;
                }
                budget -= 1;
                m.sample("ds_coverage_gap", &gap_labels(&base, p), 1)?;
            }
        }
    }
    if !statics.is_empty() {
        m.family(
            "ds_coverage_static_pod_gap",
            "--static-pods: one series (always 1) per (static-pod family, node) pair that is not Ready; shares --metrics-max-gaps with ds_coverage_gap.",
            None,
        )?;
        for (i, s) in &statics {
            let base = reports[*i].0.statics(&s.namespace, &s.name);
            for p in s.nodes.iter().filter(|p| is_gap(p)) {
                if budget == 0 {
                    truncated[*i] += 1;
                    continue;
                }
                budget -= 1;
                m.sample("ds_coverage_static_pod_gap", &gap_labels(&base, p), 1)?;
            }
        }
    }
    m.family(
        "ds_coverage_gaps_truncated",
        "Gap series left out because of --metrics-max-gaps (0 when every gap has its series).",
        None,
    )?;
    for ((l, _), n) in reports.iter().zip(&truncated) {
        m.sample("ds_coverage_gaps_truncated", l, n)?;
    }

    // The gate (--check): present only when it ran.
    let gated: Vec<(&Labels, &crate::gate::GateReport)> = reports
        .iter()
        .filter_map(|(l, r)| r.gate.as_ref().map(|g| (l, g)))
        .collect();
    if !gated.is_empty() {
        m.family(
            "ds_coverage_gate_passed",
            "--check: 1 when the cluster passes the policy, 0 when it fails.",
            None,
        )?;
        for (l, g) in &gated {
            m.sample("ds_coverage_gate_passed", l, u8::from(g.passed))?;
        }
        m.family(
            "ds_coverage_gate_violations",
            "--check: violations of the policy by kind (a --fail-on state, Ineligible for --expect-nodes, NoNodes, NoDaemonSets, ...), zeros included.",
            None,
        )?;
        for (l, g) in &gated {
            for kind in VIOLATION_KINDS {
                let n = g.violations.iter().filter(|v| v.state == kind).count();
                let labels = (*l).clone().with("kind", kind.as_str());
                m.sample("ds_coverage_gate_violations", &labels, n)?;
            }
        }
        m.family(
            "ds_coverage_gate_ignored_pairs",
            "--check: pairs the policy set aside (young node or pod, unready node, node being removed).",
            None,
        )?;
        for (l, g) in &gated {
            m.sample("ds_coverage_gate_ignored_pairs", l, g.ignored.len())?;
        }
    }

    writeln!(m.out, "# EOF")
}

/// Pairs of a DaemonSet in `state`: the counts, and for Ineligible the audited nodes that are
/// neither eligible nor misscheduled.
fn state_count(c: &Counts, state: State, nodes: usize) -> usize {
    match state {
        State::Ready => c.ready,
        State::NotReady => c.not_ready,
        State::Pending => c.pending,
        State::Failed => c.failed,
        State::Missing => c.missing,
        State::Misscheduled => c.misscheduled,
        State::Ineligible => nodes.saturating_sub(c.eligible + c.misscheduled),
    }
}

fn ratio(c: &Counts) -> Option<f64> {
    (c.eligible > 0).then(|| c.ready as f64 / c.eligible as f64)
}

fn is_gap(p: &PairReport) -> bool {
    !matches!(p.state, State::Ready | State::Ineligible)
}

fn gap_labels(base: &Labels, p: &PairReport) -> Labels {
    let rule = p
        .reasons
        .first()
        .and_then(|r| serde_json::to_value(r.rule).ok())
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default();
    base.clone()
        .with("node", &p.node)
        .with("state", p.state.as_str())
        .with("reason", &rule)
}

fn orphan_action(a: OrphanAction) -> &'static str {
    match a {
        OrphanAction::Adopt => "adopt",
        OrphanAction::Release => "release",
        OrphanAction::Contested => "contested",
    }
}

#[derive(Debug, Clone)]
struct Labels(Vec<(&'static str, String)>);

impl Labels {
    fn cluster(cluster: Option<&str>) -> Labels {
        Labels(
            cluster
                .filter(|c| !c.is_empty())
                .map(|c| ("cluster", c.to_string()))
                .into_iter()
                .collect(),
        )
    }

    fn with(mut self, name: &'static str, value: &str) -> Labels {
        self.0.push((name, value.to_string()));
        self
    }

    fn ds(&self, namespace: &str, name: &str) -> Labels {
        self.clone()
            .with("namespace", namespace)
            .with("daemonset", name)
    }

    fn statics(&self, namespace: &str, name: &str) -> Labels {
        self.clone()
            .with("namespace", namespace)
            .with("static_pod", name)
    }
}

struct Metrics<'w> {
    out: &'w mut dyn Write,
}

impl Metrics<'_> {
    /// A family with one series per DaemonSet of every report, where `value` gives one.
    fn per_daemon_set(
        &mut self,
        reports: &[(Labels, &Report)],
        name: &str,
        help: &str,
        unit: Option<&str>,
        value: impl Fn(&DaemonSetReport) -> Option<f64>,
    ) -> std::io::Result<()> {
        self.family(name, help, unit)?;
        for (l, r) in reports {
            for d in &r.daemon_sets {
                if let Some(v) = value(d) {
                    self.sample(name, &l.ds(&d.namespace, &d.name), v)?;
                }
            }
        }
        Ok(())
    }

    fn family(&mut self, name: &str, help: &str, unit: Option<&str>) -> std::io::Result<()> {
        writeln!(self.out, "# TYPE {name} gauge")?;
        if let Some(unit) = unit {
            writeln!(self.out, "# UNIT {name} {unit}")?;
        }
        writeln!(self.out, "# HELP {name} {}", escape_help(help))
    }

    fn sample(
        &mut self,
        name: &str,
        labels: &Labels,
        value: impl std::fmt::Display,
    ) -> std::io::Result<()> {
        write!(self.out, "{name}")?;
        if !labels.0.is_empty() {
            write!(self.out, "{{")?;
            for (i, (k, v)) in labels.0.iter().enumerate() {
                if i > 0 {
                    write!(self.out, ",")?;
                }
                write!(self.out, "{k}=\"{}\"", escape_label(v))?;
            }
            write!(self.out, "}}")?;
        }
        writeln!(self.out, " {value}")
    }
}

/// A label value as the exposition formats quote it: `\` → `\\`, `"` → `\"`, newline → `\n`.
pub fn escape_label(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// HELP text: `\` → `\\`, newline → `\n`.
fn escape_help(s: &str) -> String {
    s.replace('\\', "\\\\").replace('\n', "\\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label("a\\b\"c\nd"), "a\\\\b\\\"c\\nd");
        assert_eq!(escape_label("plain"), "plain");
    }

    #[test]
    fn an_unreadable_cluster_is_down_and_has_no_other_series() {
        let mut out = Vec::new();
        write(
            &[ClusterMetrics {
                cluster: Some("prod"),
                outcome: Outcome::Unreadable("401 Unauthorized"),
            }],
            &Options { max_gaps: 10 },
            &mut out,
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("ds_coverage_cluster_up{cluster=\"prod\"} 0\n"));
        assert!(!text.contains("ds_coverage_last_run_timestamp_seconds{"));
        assert!(text.ends_with("# EOF\n"));
    }
}
