//! Why a pair is in its state: the rule that decided it and a sentence a user understands.

use serde::Serialize;

/// The rule or source a reason comes from. Serialized in camelCase (`nodeSelector`, `taint`, ...).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Rule {
    /// The template pins `spec.nodeName` to another node.
    NodeName,
    /// A `nodeSelector` entry is unmet.
    NodeSelector,
    /// No required node affinity term matches (or every term is invalid).
    NodeAffinity,
    /// An untolerated NoSchedule/NoExecute taint.
    Taint,
    /// No daemon pod exists for an eligible node.
    NoPod,
    /// The pod's scheduling state (PodScheduled condition, unbound pod).
    Scheduling,
    /// A container's state (waiting reason, last termination, readiness).
    Container,
    /// The pod's own status reason/message (e.g. Evicted).
    PodStatus,
    /// The node itself (not Ready, cordoned, young).
    Node,
    /// The pod is being deleted.
    Terminating,
    /// More than one live daemon pod on the node.
    Duplicate,
    /// The pod runs an older revision of the template.
    Revision,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Reason {
    pub rule: Rule,
    pub message: String,
}

impl Reason {
    pub fn new(rule: Rule, message: impl Into<String>) -> Reason {
        Reason {
            rule,
            message: message.into(),
        }
    }
}
