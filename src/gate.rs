//! The CI gate: Report + policy → violations, ignored pairs and a verdict (pure; `now` comes in
//! the report's `generatedAt`).

use std::collections::BTreeSet;

use jiff::Timestamp;
use serde::Serialize;

use crate::eligibility::labels::Selector;
use crate::model::{Node, Taint};
use crate::report::{DaemonSetReport, NodeReport, PairReport, Report, State};

/// What `--fail-on` can name: the pair states, plus `outdated`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
pub enum FailOn {
    Missing,
    Pending,
    NotReady,
    Failed,
    Misscheduled,
    // A DaemonSet eligible on no node at all (no coverage figure). Not judged when the audited
    // nodes are narrowed (`--node-selector`): the nodes left out are not known.
    NoEligibleNode,
    // A DaemonSet whose pods could not be read (a 403 on its namespace): nothing is known.
    Unknown,
    #[serde(rename = "outdated")]
    Outdated,
}

impl FailOn {
    pub const DEFAULT: [FailOn; 7] = [
        FailOn::Missing,
        FailOn::Pending,
        FailOn::NotReady,
        FailOn::Failed,
        FailOn::Misscheduled,
        FailOn::NoEligibleNode,
        FailOn::Unknown,
    ];

    pub fn parse(s: &str) -> Result<FailOn, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "notready" | "not-ready" => FailOn::NotReady,
            "pending" => FailOn::Pending,
            "failed" => FailOn::Failed,
            "missing" => FailOn::Missing,
            "misscheduled" => FailOn::Misscheduled,
            "outdated" => FailOn::Outdated,
            "noeligiblenode" | "no-eligible-node" => FailOn::NoEligibleNode,
            "unknown" => FailOn::Unknown,
            "" => {
                return Err(
                    "empty state (use Missing, Pending, NotReady, Failed, Misscheduled, NoEligibleNode, Unknown, outdated)"
                        .to_string(),
                );
            }
            other => {
                return Err(format!(
                    "unknown state {other:?} (use Missing, Pending, NotReady, Failed, Misscheduled, NoEligibleNode, Unknown, outdated)"
                ));
            }
        })
    }

    /// The `--fail-on` item a pair state is (none for Ready and Ineligible).
    pub fn of(state: State) -> Option<FailOn> {
        Some(match state {
            State::NotReady => FailOn::NotReady,
            State::Pending => FailOn::Pending,
            State::Failed => FailOn::Failed,
            State::Missing => FailOn::Missing,
            State::Misscheduled => FailOn::Misscheduled,
            State::Ready | State::Ineligible => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            FailOn::NotReady => "NotReady",
            FailOn::Pending => "Pending",
            FailOn::Failed => "Failed",
            FailOn::Missing => "Missing",
            FailOn::Misscheduled => "Misscheduled",
            FailOn::Outdated => "outdated",
            FailOn::NoEligibleNode => "NoEligibleNode",
            FailOn::Unknown => "Unknown",
        }
    }
}

/// Taints the cluster autoscaler and Karpenter put on nodes they are draining away.
pub const DRAINING_TAINTS: [&str; 3] = [
    "ToBeDeletedByClusterAutoscaler",
    "karpenter.sh/disrupted",
    "karpenter.sh/disruption",
];

#[derive(Debug, Clone)]
pub struct Policy {
    pub fail_on: BTreeSet<FailOn>,
    /// Per DaemonSet: coverage at or above this waives its eligible-pair violations.
    pub min_coverage: Option<f64>,
    /// Ignore nodes and pods younger than this many seconds.
    pub grace_seconds: Option<i64>,
    pub ignore_unready_nodes: bool,
    /// Count nodes that the cluster autoscaler or Karpenter is removing (ignored by default).
    pub include_draining_nodes: bool,
    /// Every node matching must be eligible for every audited DaemonSet.
    pub expect_nodes: Option<Selector>,
    /// `--allow-empty`: an audit of zero DaemonSets passes (it fails by default).
    pub allow_empty: bool,
}

impl Default for Policy {
    fn default() -> Policy {
        Policy {
            fail_on: FailOn::DEFAULT.into_iter().collect(),
            min_coverage: None,
            grace_seconds: None,
            ignore_unready_nodes: false,
            include_draining_nodes: false,
            expect_nodes: None,
            allow_empty: false,
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct GateReport {
    pub passed: bool,
    pub fail_on: Vec<FailOn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_coverage: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grace_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expect_nodes: Option<String>,
    pub violations: Vec<Violation>,
    /// Pairs the policy set aside (young node or pod, unready node, node being drained).
    pub ignored: Vec<Ignored>,
    /// DaemonSets whose violations were waived by --min-coverage.
    pub waived: Vec<Waived>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Violation {
    pub daemon_set: String,
    pub node: String,
    /// A pair state, `outdated`, or `Ineligible` (for --expect-nodes).
    #[schemars(with = "String")]
    pub state: ViolationState,
    pub reason: String,
}

/// What a violation is: a `--fail-on` state, `Ineligible` (a node `--expect-nodes` names that
/// the DaemonSet excludes), or `NoNodes` (nothing was checked). Serialized as one word.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ViolationState {
    FailOn(FailOn),
    Ineligible,
    NoNodes,
    /// No DaemonSet was audited (and `--allow-empty` was not given).
    NoDaemonSets,
    /// `--wait`: the DaemonSet controller has not observed the current generation yet.
    GenerationNotObserved,
    /// `--wait`: the node's updated pod is Ready but not available yet (minReadySeconds).
    NotAvailable,
    /// `--expect-nodes` matches no node.
    NoExpectedNode,
}

impl ViolationState {
    pub fn as_str(self) -> &'static str {
        match self {
            ViolationState::FailOn(f) => f.as_str(),
            ViolationState::Ineligible => "Ineligible",
            ViolationState::NoNodes => "NoNodes",
            ViolationState::NoDaemonSets => "NoDaemonSets",
            ViolationState::NoExpectedNode => "NoExpectedNode",
            ViolationState::GenerationNotObserved => "GenerationNotObserved",
            ViolationState::NotAvailable => "NotAvailable",
        }
    }
}

impl std::fmt::Display for ViolationState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ViolationState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Ignored {
    pub daemon_set: String,
    pub node: String,
    #[serde(serialize_with = "crate::report::display")]
    #[schemars(with = "String")]
    pub reason: Exemption,
}

/// Why the policy sets a pair aside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exemption {
    /// The node carries a taint the cluster autoscaler or Karpenter puts on nodes it removes.
    Draining(Taint),
    /// `--ignore-unready-nodes` and the node is not Ready.
    NodeNotReady,
    /// The node is younger than `--grace` (age in seconds).
    YoungNode(i64),
    /// The pod the pair's state comes from is younger than `--grace`.
    YoungPod { pod: String, age: i64 },
}

impl Exemption {
    /// The exemption without its details: what the verdict groups nodes by.
    pub fn kind(&self) -> String {
        match self {
            Exemption::Draining(_) => "node is being removed".into(),
            Exemption::NodeNotReady => "node is not Ready".into(),
            Exemption::YoungNode(_) => "node is younger than the grace period".into(),
            Exemption::YoungPod { pod, .. } => {
                format!("pod {pod} is younger than the grace period")
            }
        }
    }
}

impl std::fmt::Display for Exemption {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.kind())?;
        match self {
            Exemption::Draining(t) => write!(f, " (taint {t})"),
            Exemption::NodeNotReady => Ok(()),
            Exemption::YoungNode(age) | Exemption::YoungPod { age, .. } => {
                write!(f, " ({} old)", crate::duration::short(*age))
            }
        }
    }
}

#[derive(Debug, Clone, Serialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Waived {
    pub daemon_set: String,
    pub coverage_percent: f64,
    pub violations: usize,
}

/// Why the policy sets a node aside, if it does.
fn node_exemption(n: &NodeReport, p: &Policy, now: Timestamp) -> Option<Exemption> {
    exempt_node(&n.taints, n.ready, n.created_at, p, now)
}

/// [`node_exemption`] from the node's parts (a node report's, or the node's own).
fn exempt_node(
    taints: &[Taint],
    ready: bool,
    created_at: Option<Timestamp>,
    p: &Policy,
    now: Timestamp,
) -> Option<Exemption> {
    if !p.include_draining_nodes
        && let Some(t) = taints
            .iter()
            .find(|t| DRAINING_TAINTS.contains(&t.key.as_str()))
    {
        return Some(Exemption::Draining(t.clone()));
    }
    if p.ignore_unready_nodes && !ready {
        return Some(Exemption::NodeNotReady);
    }
    if let (Some(grace), Some(created)) = (p.grace_seconds, created_at) {
        let age = now.as_second() - created.as_second();
        // A node created after --as-of is not "young": the audit instant is wrong, not the node.
        if (0..grace).contains(&age) {
            return Some(Exemption::YoungNode(age));
        }
    }
    None
}

fn pod_exemption(pair: &PairReport, p: &Policy, now: Timestamp) -> Option<Exemption> {
    let grace = p.grace_seconds?;
    let first = pair.pods.first()?;
    let age = now.as_second() - first.created_at?.as_second();
    (0..grace).contains(&age).then(|| Exemption::YoungPod {
        pod: first.name.clone(),
        age,
    })
}

/// What a report of problems (`coverage::Pairs::Problems`) must keep besides the problem pairs
/// for the gate to judge it as it judges the whole report: every pair on a node the policy sets
/// aside and every pair whose pod may be younger than `--grace` (a Ready pair set aside leaves
/// its DaemonSet's coverage, which `--min-coverage` reads), and the excluded nodes
/// `--expect-nodes` matches (named in its violations).
pub fn problems(policy: &Policy, nodes: &[Node], now: Timestamp) -> crate::coverage::Problems {
    crate::coverage::Problems {
        nodes: nodes
            .iter()
            .filter(|n| {
                exempt_node(
                    &n.spec.taints,
                    n.is_ready(),
                    n.metadata.creation_timestamp,
                    policy,
                    now,
                )
                .is_some()
            })
            .map(|n| n.name().to_string())
            .collect(),
        pods_younger_than: policy.grace_seconds,
        excluded_nodes: match &policy.expect_nodes {
            Some(sel) => nodes
                .iter()
                .filter(|n| sel.matches(&n.metadata.labels))
                .map(|n| n.name().to_string())
                .collect(),
            None => Default::default(),
        },
    }
}

pub fn evaluate(report: &Report, policy: &Policy) -> GateReport {
    evaluate_scoped(report, policy, "No DaemonSets were audited.")
}

/// [`evaluate`], with the line that says what an empty audit looked at and how to widen it.
pub fn evaluate_scoped(report: &Report, policy: &Policy, empty_hint: &str) -> GateReport {
    let now = report.generated_at;
    let nodes: std::collections::HashMap<&str, &NodeReport> =
        report.nodes.iter().map(|n| (n.name.as_str(), n)).collect();
    let mut violations = Vec::new();
    let mut ignored = Vec::new();
    let mut waived = Vec::new();
    for d in &report.daemon_sets {
        let id = format!("{}/{}", d.namespace, d.name);
        if let Some(unknown) = &d.unknown {
            // Its pods could not be read: nothing about it can pass (no pair, nothing waived).
            if policy.fail_on.contains(&FailOn::Unknown) {
                violations.push(Violation {
                    daemon_set: id,
                    node: "*".into(),
                    state: ViolationState::FailOn(FailOn::Unknown),
                    reason: format!("its pods could not be read: {}", unknown.reason),
                });
            }
            continue;
        }
        let mut eligible_violations = Vec::new();
        let mut other_violations = Vec::new();
        // The pairs the policy sets aside are taken out of the counts below: a report of
        // problems (`coverage::Pairs::Problems`) lists those and leaves the plain Ready pairs
        // elsewhere counted only.
        let (mut eligible, mut ready) = (d.counts.eligible, d.counts.ready);
        for pair in &d.nodes {
            let exemption = nodes
                .get(pair.node.as_str())
                .and_then(|n| node_exemption(n, policy, now))
                .or_else(|| pod_exemption(pair, policy, now));
            // A manifest not applied yet has no pods: Missing is what applying it fixes.
            let wanted = FailOn::of(pair.state)
                .filter(|f| policy.fail_on.contains(f))
                .filter(|_| !(d.from_manifest && pair.state == State::Missing));
            let outdated = pair.outdated && policy.fail_on.contains(&FailOn::Outdated);
            if let Some(why) = exemption {
                if pair.state.is_eligible() {
                    eligible = eligible.saturating_sub(1);
                    ready = ready.saturating_sub(usize::from(pair.state == State::Ready));
                }
                if wanted.is_some() || outdated {
                    ignored.push(Ignored {
                        daemon_set: id.clone(),
                        node: pair.node.clone(),
                        reason: why,
                    });
                }
                continue;
            }
            if let Some(f) = wanted {
                let v = violation(&id, pair, ViolationState::FailOn(f));
                if pair.state.is_eligible() {
                    eligible_violations.push(v)
                } else {
                    other_violations.push(v)
                }
            }
            if outdated {
                other_violations.push(Violation {
                    daemon_set: id.clone(),
                    node: pair.node.clone(),
                    state: ViolationState::FailOn(FailOn::Outdated),
                    reason: reason_text(pair, |r| r.rule == crate::reason::Rule::Revision),
                });
            }
        }
        let coverage = crate::report::percent(ready, eligible);
        match policy.min_coverage {
            Some(floor) if coverage >= floor && !eligible_violations.is_empty() => {
                waived.push(Waived {
                    daemon_set: id.clone(),
                    coverage_percent: coverage,
                    violations: eligible_violations.len(),
                });
            }
            _ => violations.extend(eligible_violations),
        }
        violations.extend(other_violations);
        if let Some(sel) = &policy.expect_nodes {
            violations.extend(expected_but_excluded(d, &id, sel, report));
        }
        // With --node-selector only the selected nodes were audited: a DaemonSet eligible on
        // none of them may be eligible on a node left out, so NoEligibleNode is not judged (a
        // `--fail-on` naming it is refused with --node-selector, `config::refuse_unjudgeable`).
        if policy.fail_on.contains(&FailOn::NoEligibleNode)
            && report.node_selector.is_none()
            && !report.nodes.is_empty()
            && d.counts.eligible == 0
        {
            violations.push(no_eligible_node(d, &id));
        }
    }
    // --static-pods: each family's pairs fail on the same states (no --min-coverage waiver:
    // a control plane short of one member is not "mostly covered").
    for f in report.static_pods.iter().flatten() {
        let id = static_id(&f.namespace, &f.name);
        if !report.nodes.is_empty() && f.expected_nowhere() {
            // `--expect-static NAME=SELECTOR` that no node matches: a typo in the expectation
            // must not pass silently (as `--expect-nodes`).
            violations.push(Violation {
                daemon_set: id.clone(),
                node: "*".into(),
                state: ViolationState::NoExpectedNode,
                reason: match &report.node_selector {
                    Some(ns) => format!(
                        "no node matches the expectation --expect-static {}={} among the nodes \
                         --node-selector {ns} selects",
                        f.name, f.expectation.nodes
                    ),
                    None => format!(
                        "no node matches the expectation --expect-static {}={}",
                        f.name, f.expectation.nodes
                    ),
                },
            });
        }
        for pair in &f.nodes {
            let Some(wanted) = FailOn::of(pair.state).filter(|f| policy.fail_on.contains(f)) else {
                continue;
            };
            let exemption = nodes
                .get(pair.node.as_str())
                .and_then(|n| node_exemption(n, policy, now))
                .or_else(|| pod_exemption(pair, policy, now));
            match exemption {
                Some(why) => ignored.push(Ignored {
                    daemon_set: id.clone(),
                    node: pair.node.clone(),
                    reason: why,
                }),
                None => violations.push(violation(&id, pair, ViolationState::FailOn(wanted))),
            }
        }
    }
    if report.daemon_sets.is_empty() && !policy.allow_empty {
        // A gate must not pass on an audit of nothing (a CI job that forgot -A, a -l typo).
        violations.push(Violation {
            daemon_set: "*".into(),
            node: "*".into(),
            state: ViolationState::NoDaemonSets,
            reason: format!("{empty_hint} (--allow-empty accepts an empty audit)"),
        });
    }
    if let Some(sel) = &policy.expect_nodes
        && !report.nodes.is_empty()
        && !report.nodes.iter().any(|n| sel.matches(&n.labels))
    {
        // A typo in the expectation itself must not pass silently.
        violations.push(Violation {
            daemon_set: "*".into(),
            node: "*".into(),
            state: ViolationState::NoExpectedNode,
            reason: match &report.node_selector {
                // The nodes it would match may exist, outside what was read.
                Some(ns) => format!(
                    "no node matches the expectation --expect-nodes {sel} among the nodes \
                     --node-selector {ns} selects"
                ),
                None => format!("no node matches the expectation --expect-nodes {sel}"),
            },
        });
    }
    if report.nodes.is_empty() && !report.daemon_sets.is_empty() {
        // Nothing was checked: a gate must not pass on an audit of zero nodes.
        violations.push(Violation {
            daemon_set: "*".into(),
            node: "*".into(),
            state: ViolationState::NoNodes,
            reason: "no nodes were read (or none match --node-selector): nothing could be checked"
                .into(),
        });
    } else if let Some(ns) = report.node_selector.as_ref().filter(|_| {
        !report.daemon_sets.is_empty() && report.daemon_sets.iter().all(|d| d.counts.eligible == 0)
    }) {
        // NoEligibleNode is not judged under a node selector (a DaemonSet may run on the nodes
        // left out), but an audit in which no DaemonSet is eligible on any selected node checked
        // nothing, and must not pass either.
        violations.push(Violation {
            daemon_set: "*".into(),
            node: "*".into(),
            state: ViolationState::NoNodes,
            reason: format!(
                "no DaemonSet is eligible on any node --node-selector {ns} selects: nothing \
                 could be checked"
            ),
        });
    } else if !report.daemon_sets.is_empty()
        && report
            .nodes
            .iter()
            .all(|n| node_exemption(n, policy, now).is_some())
    {
        // Nor on one whose every node the policy sets aside (a cluster younger than --grace,
        // every node unready with --ignore-unready-nodes).
        violations.push(Violation {
            daemon_set: "*".into(),
            node: "*".into(),
            state: ViolationState::NoNodes,
            reason: format!(
                "every node is set aside by the policy ({}): nothing could be checked",
                report
                    .nodes
                    .iter()
                    .filter_map(|n| node_exemption(n, policy, now).map(|e| e.kind()))
                    .collect::<BTreeSet<String>>()
                    .into_iter()
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        });
    }
    GateReport {
        passed: violations.is_empty(),
        fail_on: policy.fail_on.iter().copied().collect(),
        min_coverage: policy.min_coverage,
        grace_seconds: policy.grace_seconds,
        expect_nodes: policy.expect_nodes.as_ref().map(|s| s.to_string()),
        violations,
        ignored,
        waived,
    }
}

/// A DaemonSet eligible on no node (a GPU DaemonSet without GPUs, a toleration typo, a what-if
/// manifest landing nowhere): one DaemonSet-level violation with the exclusions grouped.
fn no_eligible_node(d: &DaemonSetReport, id: &str) -> Violation {
    let groups: Vec<String> = d
        .exclusions
        .iter()
        .map(|e| format!("{} ({})", e.reason.message, count(e.count, "node", "nodes")))
        .collect();
    Violation {
        daemon_set: id.to_string(),
        node: "*".into(),
        state: ViolationState::FailOn(FailOn::NoEligibleNode),
        reason: if groups.is_empty() {
            "eligible on no node".to_string()
        } else {
            format!("eligible on no node: {}", groups.join("; "))
        },
    }
}

fn violation(id: &str, pair: &PairReport, state: ViolationState) -> Violation {
    Violation {
        daemon_set: id.to_string(),
        node: pair.node.clone(),
        state,
        reason: reason_text(pair, |_| true),
    }
}

fn reason_text(pair: &PairReport, keep: impl Fn(&crate::reason::Reason) -> bool) -> String {
    pair.reasons
        .iter()
        .find(|r| keep(r))
        .map(|r| r.message.clone())
        .unwrap_or_default()
}

/// `--expect-nodes`: nodes that match the selector but that the DaemonSet excludes.
fn expected_but_excluded(
    d: &DaemonSetReport,
    id: &str,
    sel: &Selector,
    report: &Report,
) -> Vec<Violation> {
    let mut out = Vec::new();
    for e in &d.exclusions {
        for node in &e.nodes {
            let matches = report
                .nodes
                .iter()
                .any(|n| &n.name == node && sel.matches(&n.labels));
            if matches {
                out.push(Violation {
                    daemon_set: id.to_string(),
                    node: node.clone(),
                    state: ViolationState::Ineligible,
                    reason: format!("expected to be eligible ({sel}) but {}", e.reason.message),
                });
            }
        }
    }
    out.sort_by(|a, b| a.node.cmp(&b.node));
    out
}

/// What ends the name of a static-pod family in the gate ([`static_id`]).
const STATIC_SUFFIX: &str = " (static pod)";

/// How the gate names a static-pod family (violations, ignored pairs, the verdict).
pub fn static_id(namespace: &str, name: &str) -> String {
    format!("{namespace}/{name}{STATIC_SUFFIX}")
}

fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

/// The short verdict printed on stderr with `--check`, in every output format.
pub fn verdict_text(report: &Report, gate: &GateReport) -> String {
    let policy: Vec<&str> = gate.fail_on.iter().map(|f| f.as_str()).collect();
    let mut s = String::new();
    if gate.passed {
        s.push_str(&format!(
            "PASS  {} the policy (fail-on: {})\n",
            count(
                report.daemon_sets.len(),
                "DaemonSet meets",
                "DaemonSets meet"
            ),
            policy.join(",")
        ));
    } else if report.daemon_sets.is_empty()
        && let [only] = gate.violations.as_slice()
        && only.state == ViolationState::NoDaemonSets
    {
        s.push_str(&format!("FAIL  {}\n", only.reason));
    } else {
        // Gate-wide violations (`*`: nothing audited, no node checked) are no DaemonSet's.
        let failing: BTreeSet<&str> = gate
            .violations
            .iter()
            .map(|v| v.daemon_set.as_str())
            .filter(|d| *d != "*")
            .collect();
        let mut audited = count(report.daemon_sets.len(), "DaemonSet", "DaemonSets");
        if let Some(families) = &report.static_pods {
            audited.push_str(&format!(
                " and {}",
                count(families.len(), "static-pod family", "static-pod families")
            ));
        }
        // "2 of 6 DaemonSets and 3 of 4 static-pod families": each kind failing of its own.
        let failing_families = failing
            .iter()
            .filter(|d| d.ends_with(STATIC_SUFFIX))
            .count();
        let below = match &report.static_pods {
            Some(families) => format!(
                "{} of {} and {} of {}",
                failing.len() - failing_families,
                count(report.daemon_sets.len(), "DaemonSet", "DaemonSets"),
                failing_families,
                count(families.len(), "static-pod family", "static-pod families")
            ),
            None => format!("{} of {audited}", failing.len()),
        };
        if failing.is_empty() {
            s.push_str(&format!(
                "FAIL  {} of {audited} checked, {} (fail-on: {})\n",
                if report.nodes.is_empty() {
                    "none"
                } else {
                    "no pair"
                },
                count(gate.violations.len(), "violation", "violations"),
                policy.join(",")
            ));
        } else {
            s.push_str(&format!(
                "FAIL  {below} below policy, {} (fail-on: {})\n",
                count(gate.violations.len(), "violation", "violations"),
                policy.join(",")
            ));
        }
        let ds_w = gate
            .violations
            .iter()
            .map(|v| v.daemon_set.len())
            .max()
            .unwrap_or(0);
        let node_w = gate
            .violations
            .iter()
            .map(|v| v.node.len())
            .max()
            .unwrap_or(0);
        let state_w = gate
            .violations
            .iter()
            .map(|v| v.state.as_str().len())
            .max()
            .unwrap_or(0);
        const LIMIT: usize = 20;
        for v in gate.violations.iter().take(LIMIT) {
            s.push_str(&format!(
                "  {:ds_w$}  {:node_w$}  {:state_w$}  {}\n",
                v.daemon_set,
                v.node,
                // `as_str`: the state's `Display` writes it without the padding asked.
                v.state.as_str(),
                v.reason
            ));
        }
        if gate.violations.len() > LIMIT {
            s.push_str(&format!(
                "  … and {} more (-o json lists them all under .gate.violations)\n",
                gate.violations.len() - LIMIT
            ));
        }
    }
    for w in &gate.waived {
        s.push_str(&format!(
            "waived: {} at {:.1}% (≥ --min-coverage), {} not Ready\n",
            w.daemon_set,
            w.coverage_percent,
            count(w.violations, "pair", "pairs")
        ));
    }
    if !gate.ignored.is_empty() {
        let mut reasons: std::collections::BTreeMap<String, BTreeSet<&str>> = Default::default();
        for i in &gate.ignored {
            reasons.entry(i.reason.kind()).or_default().insert(&i.node);
        }
        for (why, nodes) in reasons {
            let list: Vec<&str> = nodes.iter().copied().take(5).collect();
            let more = if nodes.len() > 5 {
                format!(", … {} more", nodes.len() - 5)
            } else {
                String::new()
            };
            s.push_str(&format!("ignored: {} ({}{more})\n", why, list.join(", ")));
        }
    }
    s
}
