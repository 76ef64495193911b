//! The report: named, serializable types with stable camelCase field names (schemaVersion 1).
//! Everything here is data; `coverage::compute` fills it and the renderers only read it.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::model::{Taint, UpdateStrategyType};
use crate::reason::Reason;

pub mod fleet;
mod placement;

pub use placement::toleration_text;

pub const SCHEMA_VERSION: u32 = 1;
pub const KIND: &str = "DaemonSetCoverageReport";

/// ds-coverage's report (`kubectl ds-coverage -o json`, schemaVersion 1): the state of every
/// (DaemonSet, node) pair as the DaemonSet controller decides it, and why.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DaemonSetCoverageReport")]
pub struct Report {
    pub schema_version: u32,
    pub kind: String,
    /// The instant the audit was evaluated at (`--as-of`, or the clock).
    pub generated_at: Timestamp,
    pub source: Source,
    /// `--node-selector` only: the label selector the audited nodes were narrowed to (absent
    /// without it). The nodes left out were not audited, so what holds of every node is not
    /// known: a DaemonSet eligible on none of the selected nodes may be eligible on another
    /// (the gate does not judge `NoEligibleNode` then), and `statusAgrees` is null.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_selector: Option<String>,
    pub summary: Summary,
    pub daemon_sets: Vec<DaemonSetReport>,
    pub nodes: Vec<NodeReport>,
    /// Pods the controller would adopt (selector matches, no controller) or release (owned, but
    /// the labels no longer match).
    pub orphans: Vec<OrphanReport>,
    /// Report-wide notes (e.g. no ControllerRevisions in the input).
    pub warnings: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<crate::gate::GateReport>,
    /// `--static-pods` only: one entry per static-pod family (absent without the flag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub static_pods: Option<Vec<StaticPodReport>>,
}

/// Where the objects came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Source {
    Cluster { context: String, server: String },
    File { paths: Vec<String> },
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    pub daemon_sets: usize,
    pub nodes: usize,
    /// (DaemonSet, node) pairs audited: DaemonSets × nodes.
    pub pairs: usize,
    #[serde(flatten)]
    pub counts: Counts,
}

/// One state per pair, counted. `coveragePercent` = ready / eligible, rounded half-up to two
/// decimals; null when no pair is eligible (there is no figure to give).
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Counts {
    pub eligible: usize,
    pub ready: usize,
    pub not_ready: usize,
    pub pending: usize,
    pub failed: usize,
    pub missing: usize,
    pub misscheduled: usize,
    pub outdated: usize,
    #[schemars(required, extend("type" = ["number", "null"]))]
    pub coverage_percent: Option<f64>,
}

impl Counts {
    pub fn add(&mut self, state: State, outdated: bool) {
        match state {
            State::Ready => self.ready += 1,
            State::NotReady => self.not_ready += 1,
            State::Pending => self.pending += 1,
            State::Failed => self.failed += 1,
            State::Missing => self.missing += 1,
            State::Misscheduled => self.misscheduled += 1,
            State::Ineligible => {}
        }
        if state.is_eligible() {
            self.eligible += 1;
            if outdated {
                self.outdated += 1;
            }
        }
    }

    pub fn merge(&mut self, other: &Counts) {
        self.eligible += other.eligible;
        self.ready += other.ready;
        self.not_ready += other.not_ready;
        self.pending += other.pending;
        self.failed += other.failed;
        self.missing += other.missing;
        self.misscheduled += other.misscheduled;
        self.outdated += other.outdated;
    }

    /// Fill `coverage_percent` from the counts (two decimals, none when nothing is eligible).
    pub fn finish(&mut self) {
        self.coverage_percent = (self.eligible > 0).then(|| percent(self.ready, self.eligible));
    }
}

pub fn percent(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        100.0
    } else {
        // Half-up at two decimals, in integers so 2 of 3 is 66.67 and never 66.66; anything
        // short of all stays below 100.
        let hundredths = (part as u128 * 20000 + whole as u128) / (2 * whole as u128);
        let hundredths = if part < whole {
            hundredths.min(9999)
        } else {
            hundredths
        };
        hundredths as f64 / 100.0
    }
}

/// The state of one (DaemonSet, node) pair.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
pub enum State {
    Ready,
    NotReady,
    Pending,
    Failed,
    Missing,
    Misscheduled,
    Ineligible,
}

impl State {
    pub const ALL: [State; 7] = [
        State::Ready,
        State::NotReady,
        State::Pending,
        State::Failed,
        State::Missing,
        State::Misscheduled,
        State::Ineligible,
    ];

    /// shouldRun is true for this pair.
    pub fn is_eligible(self) -> bool {
        !matches!(self, State::Misscheduled | State::Ineligible)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            State::Ready => "Ready",
            State::NotReady => "NotReady",
            State::Pending => "Pending",
            State::Failed => "Failed",
            State::Missing => "Missing",
            State::Misscheduled => "Misscheduled",
            State::Ineligible => "Ineligible",
        }
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct DaemonSetReport {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    /// Read from `--manifest` (not applied in this form): Missing pairs are pods the controller
    /// would create, Misscheduled pairs pods it would no longer want.
    pub from_manifest: bool,
    #[schemars(with = "String")]
    pub update_strategy: UpdateStrategyType,
    /// The current revision's `controller-revision-hash`, or null when it cannot be told.
    pub current_revision: Option<String>,
    pub placement: PlacementSummary,
    pub counts: Counts,
    pub computed_status: ComputedStatus,
    /// The DaemonSet's own `.status` as read; null when the object has none (not applied yet).
    pub controller_status: Option<ControllerStatus>,
    /// computedStatus equals controllerStatus and observedGeneration is current. Null when the
    /// comparison means nothing (nodes restricted by --node-selector, DaemonSet being deleted or
    /// selecting everything, no status).
    pub status_agrees: Option<bool>,
    /// Every pair except Ineligible ones (those too with --include-ineligible), by node name.
    pub nodes: Vec<PairReport>,
    /// Nodes the DaemonSet does not want, grouped by reason (largest group first).
    pub exclusions: Vec<Exclusion>,
    /// Daemon pods whose node is not in the cluster.
    pub pods_on_missing_nodes: Vec<PodOnMissingNode>,
    pub warnings: Vec<String>,
    /// Present when the DaemonSet's pods could not be read (a 403 on its namespace): its state
    /// is Unknown, no pair is judged (`nodes` is empty, the counts are zero, the coverage null),
    /// and it fails the gate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unknown: Option<Unknown>,
}

/// Why a DaemonSet's state is Unknown.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Unknown {
    /// The API's answer, naming the resource and the namespace (`403 Forbidden: pods is
    /// forbidden: User … cannot list resource "pods" … in the namespace "…"`).
    pub reason: String,
}

/// The template's placement rules in short form.
#[derive(Debug, Clone, Default, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlacementSummary {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node_name: Option<String>,
    pub node_selector: BTreeMap<String, String>,
    /// One string per required node affinity term (terms are OR-ed, parts of a term AND-ed);
    /// null when the template has no required node affinity.
    pub required_node_affinity: Option<Vec<String>>,
    /// The template's own tolerations, in kubectl-like notation.
    pub tolerations: Vec<String>,
    pub host_network: bool,
}

/// The seven `.status` numbers, computed as `daemon_controller.go: updateDaemonSetStatus` does.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ComputedStatus {
    pub desired_number_scheduled: i64,
    pub current_number_scheduled: i64,
    pub number_misscheduled: i64,
    pub number_ready: i64,
    pub number_available: i64,
    pub updated_number_scheduled: i64,
    pub number_unavailable: i64,
}

/// The DaemonSet's `.status` as read (absent numbers read as 0, as the API omits zeros).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ControllerStatus {
    #[serde(flatten)]
    pub numbers: ComputedStatus,
    pub observed_generation: Option<i64>,
    pub generation: Option<i64>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairReport {
    pub node: String,
    pub state: State,
    /// shouldRun.
    pub eligible: bool,
    /// Misscheduled only: the controller leaves no pod on the node: shouldContinueRunning is
    /// false (it deletes every pod), or no pod is still running (it deletes Failed and Succeeded
    /// pods all the same).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub removed_by_controller: Option<bool>,
    /// The pod that speaks for the node is not on the current revision.
    pub outdated: bool,
    /// Extra live daemon pods on the node beyond the one the controller keeps.
    pub duplicates: usize,
    /// Some daemon pod on the node is being deleted.
    pub terminating: bool,
    pub reasons: Vec<Reason>,
    /// Daemon pods on the node, the one the controller's status looks at first.
    pub pods: Vec<PodReport>,
    /// Pending only: why the scheduler has not placed the pod, from its PodScheduled condition
    /// (not in the JSON: the reasons carry the scheduler's own words).
    #[serde(skip)]
    pub unscheduled: Option<Unscheduled>,
    /// Surge rollout, every pod on the node being deleted or finished: the controller creates a
    /// new pod now rather than once they are gone (not in the JSON: the reasons say it).
    #[serde(skip)]
    pub surge_creates: bool,
}

/// How the scheduler explains a daemon pod it has not placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unscheduled {
    /// The node lacks resources the pod requests: the scheduler's NodeResourcesFit plugin says
    /// `Insufficient <resource>` (`pkg/scheduler/framework/plugins/noderesources/fit.go`).
    InsufficientResources,
    /// Not scheduled (or not bound) for another reason.
    Other,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodReport {
    /// A live extra the controller deletes (more pods on the node than it keeps).
    pub duplicate: bool,
    pub name: String,
    pub uid: String,
    pub phase: String,
    pub ready: bool,
    pub restarts: i64,
    /// The pod's `controller-revision-hash` label.
    pub revision: Option<String>,
    pub created_at: Option<Timestamp>,
    pub terminating: bool,
    /// `owned` (controller ownerReference), `adopted` (an orphan the controller would adopt) or,
    /// in `staticPods[]`, `mirror` (the kubelet's copy of a static pod).
    pub claim: Claim,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Claim {
    Owned,
    Adopted,
    // A mirror pod (static-pod families only): the kubelet runs it from its manifest folder.
    Mirror,
}

impl Claim {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Claim::Owned => "owned",
            Claim::Adopted => "adopted",
            Claim::Mirror => "mirror",
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Exclusion {
    pub reason: Reason,
    pub count: usize,
    pub nodes: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodOnMissingNode {
    pub pod: String,
    pub node: String,
    /// `spec.nodeName` is set (the pod GC removes it) or not (the DaemonSet controller deletes it).
    pub bound: bool,
    #[schemars(with = "String")]
    pub removed_by: RemovedBy,
}

/// Who deletes a daemon pod whose node is gone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum RemovedBy {
    /// The pod is bound: the pod garbage collector deletes it.
    #[serde(rename = "pod-gc")]
    PodGc,
    /// The pod is not bound: the DaemonSet controller deletes it.
    #[serde(rename = "daemonset-controller")]
    DaemonSetController,
}

impl RemovedBy {
    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            RemovedBy::PodGc => "pod-gc",
            RemovedBy::DaemonSetController => "daemonset-controller",
        }
    }
}

impl std::fmt::Display for RemovedBy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeReport {
    pub name: String,
    pub ready: bool,
    pub unschedulable: bool,
    pub created_at: Option<Timestamp>,
    pub labels: BTreeMap<String, String>,
    // In kubectl's notation (`key=value:Effect`).
    #[serde(serialize_with = "display_each")]
    #[schemars(with = "Vec<String>")]
    pub taints: Vec<Taint>,
    /// DaemonSets (`namespace/name`) that want this node and have no pod on it.
    pub missing: Vec<String>,
    /// DaemonSets with a pod here that the controller would not place.
    pub misscheduled: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct OrphanReport {
    pub namespace: String,
    pub name: String,
    pub node: Option<String>,
    /// The DaemonSet whose selector matches (or whose ownerReference it carries).
    pub daemon_set: String,
    /// `adopt`: no controller, labels match. `release`: owned, labels no longer match.
    /// `contested`: no controller, and the selectors of several DaemonSets match it.
    #[schemars(with = "String")]
    pub action: OrphanAction,
    pub reason: String,
}

/// What the controller does with a pod whose labels and ownership disagree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum OrphanAction {
    Adopt,
    Release,
    /// Several DaemonSets' selectors match the orphan: only one can adopt it, and which is not
    /// decided, so none counts it.
    Contested,
}

/// A value serialized as its `Display` form.
pub(crate) fn display<T: std::fmt::Display, S: serde::Serializer>(
    value: &T,
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_str(value)
}

/// A list serialized as the `Display` form of each item.
fn display_each<T: std::fmt::Display, S: serde::Serializer>(
    items: &[T],
    s: S,
) -> Result<S::Ok, S::Error> {
    s.collect_seq(items.iter().map(|t| t.to_string()))
}

/// A static-pod family (`--static-pods`): the mirror pods of one manifest (the pod name minus
/// `-<node name>`) in one namespace, with one pair per node that runs it or is expected to. The
/// kubelet runs whatever its manifest folder holds: placement is no rule here, so `Missing` is
/// judged against an expectation (`--expect-static`, else inferred from node roles).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticPodReport {
    pub namespace: String,
    /// The manifest name (e.g. `etcd`).
    pub name: String,
    pub expectation: StaticExpectation,
    pub counts: Counts,
    /// One pair per node running the family or expected to (same shape as a DaemonSet's).
    pub nodes: Vec<PairReport>,
    pub warnings: Vec<String>,
}

impl StaticPodReport {
    /// An `--expect-static` selector that no audited node matches (a typo, most often): the
    /// family's note and the gate's `NoExpectedNode` both read it here.
    pub fn expected_nowhere(&self) -> bool {
        !self.expectation.inferred && !self.nodes.iter().any(|p| p.eligible)
    }
}

/// Where a static-pod family is expected.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct StaticExpectation {
    /// The nodes expected to run the family, as a label selector or in words.
    pub nodes: String,
    /// True when no `--expect-static` names the family: the expectation is inferred from the
    /// `node-role.kubernetes.io/*` labels of the nodes that run it.
    pub inferred: bool,
}
