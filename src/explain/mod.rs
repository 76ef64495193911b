//! `explain DAEMONSET NODE`: every rule the DaemonSet controller applies to one (DaemonSet, node)
//! pair, in its order, the verdict in plain words, the daemon pods on the node, the smallest
//! change that flips the verdict (as YAML to paste), and for an eligible node whose daemon is
//! Pending or missing, whether its requests fit the node.
//!
//! Pure: a function of the snapshot and the options, like `coverage::compute`. Live-only extras
//! (the node's other pods, Warning events) are read from the cluster by the caller and attached.

//!
//! `assemble` puts the explanation together, `suggest` finds the changes that flip the verdict,
//! `fit` does the scheduler's resource arithmetic.

mod assemble;
mod fit;
pub mod statics;
mod suggest;

use jiff::Timestamp;
use serde::Serialize;

use crate::eligibility::trace::Check;
use crate::reason::Reason;
use crate::report::{PodReport, State};

pub use assemble::{explain, explain_with, warning_events};
pub use fit::{pod_requests, show};

pub const KIND: &str = "DaemonSetNodeExplanation";
/// The version of the explanation's JSON (`schema explain`).
pub const SCHEMA_VERSION: u32 = 1;

/// The answer to "why is (or isn't) this daemon on this node, and what to change".
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DaemonSetNodeExplanation")]
pub struct Explanation {
    pub schema_version: u32,
    pub kind: String,
    /// The instant the pair was evaluated at (`--as-of`, or the clock).
    pub generated_at: Timestamp,
    /// `namespace/name`.
    pub daemon_set: String,
    pub node: String,
    /// The DaemonSet was read from `--manifest` (not applied in this form).
    pub from_manifest: bool,
    /// One entry per rule, in the controller's order: nodeName, nodeSelector entries, required
    /// node affinity terms, node taints.
    pub checks: Vec<Check>,
    pub verdict: ExplainVerdict,
    /// The pair's state, as the report has it.
    pub state: State,
    pub reasons: Vec<Reason>,
    /// The daemon pods for this node, the one the controller looks at first.
    pub pods: Vec<PodReport>,
    /// Recent Warning events of those pods (live cluster only; null when not read).
    pub events: Option<Vec<PodEvent>>,
    /// Changes that flip shouldRun to true. Entries with the same `fixes` are alternatives;
    /// every distinct `fixes` is needed.
    pub suggestions: Vec<Suggestion>,
    /// Whether the daemon's requests fit the node (eligible nodes whose daemon is Pending or
    /// Missing only).
    pub fit: Option<Fit>,
    /// About the DaemonSet as a whole, and about what could not be read.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ExplainVerdict {
    pub should_run: bool,
    pub should_continue_running: bool,
    pub text: String,
}

/// One Warning event of a daemon pod.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct PodEvent {
    pub pod: String,
    pub reason: String,
    pub message: String,
    pub count: i64,
    pub last_timestamp: Option<Timestamp>,
}

/// Where a suggestion's YAML goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    DaemonSet,
    Node,
}

/// What to do with the YAML at `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// `yaml` is a list: append its items to the list at `path`.
    Append,
    /// `yaml` is a mapping: merge it into the mapping at `path` (a `null` value removes the key,
    /// as in a JSON merge patch).
    Merge,
    /// `yaml` is a list: remove the items equal to these from the list at `path`.
    Remove,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Suggestion {
    /// Index in `checks` of the rule this change satisfies.
    pub fixes: usize,
    pub description: String,
    pub target: Target,
    /// Dotted path in the target object (`spec.template.spec.tolerations`, `metadata.labels`).
    pub path: String,
    pub action: Action,
    pub yaml: String,
    /// The same change as a kubectl command, when there is a simple one.
    pub command: Option<String>,
}

/// The scheduler's resource fit (NodeResourcesFit) for the daemon on this node.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Fit {
    /// Every resource fits; null when it cannot be told.
    pub fits: Option<bool>,
    /// Non-terminal pods bound to the node whose requests were counted (the daemon's own
    /// excluded).
    pub pods_counted: usize,
    pub resources: Vec<ResourceFit>,
    pub hints: Vec<Hint>,
    /// Why the numbers may be incomplete.
    pub note: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResourceFit {
    /// `cpu` (millicores), `memory` (bytes) or `pods` (count).
    pub resource: String,
    pub unit: String,
    /// `status.allocatable`; null when the node does not report it.
    pub allocatable: Option<i64>,
    /// Requests of the pods counted.
    pub requested: Option<i64>,
    pub free: Option<i64>,
    /// What the daemon pod requests.
    pub needed: i64,
    pub fits: Option<bool>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Hint {
    pub text: String,
    /// A snippet to add to `spec.template.spec`, when the hint is a template change.
    pub yaml: Option<String>,
}

/// Where the pods bound to the node come from.
#[derive(Debug, Clone)]
pub enum NodePods {
    /// Every pod bound to the node is in the snapshot (offline files; live after fetching them).
    InSnapshot,
    /// Only the daemon pods are; the message says why the others could not be read.
    Unreadable(String),
}
