//! The DaemonSet controller's placement predicate, `NodeShouldRunDaemonPod`, as a pure function of
//! (DaemonSet template, node): `pkg/controller/daemon/daemon_controller.go:
//! NodeShouldRunDaemonPod` with the node-affinity, taint and toleration helpers it calls.
//!
//! A [`Placement`] is compiled once per DaemonSet (affinity terms parsed, default tolerations
//! merged) and then evaluated against every node, so the audit stays linear in
//! nodes × DaemonSets.

pub mod affinity;
pub mod labels;
pub mod taints;
pub mod trace;

use crate::model::{DaemonSet, Node, Toleration};
use crate::reason::{Reason, Rule};
use affinity::RequiredAffinity;
use taints::{NO_EXECUTE, NO_SCHEDULE};

/// The controller's two answers for one node, with the reasons when either is false.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The controller wants a daemon pod here (counts in desiredNumberScheduled).
    pub should_run: bool,
    /// An existing daemon pod may stay here.
    pub should_continue_running: bool,
    /// Empty when `should_run`; otherwise every rule that excludes the node.
    pub reasons: Vec<Reason>,
}

/// A DaemonSet's placement rules, ready to evaluate against nodes.
#[derive(Debug, Clone)]
pub struct Placement {
    pub node_name: String,
    pub node_selector: crate::model::Labels,
    pub required: Option<RequiredAffinity>,
    /// The template's tolerations followed by the controller's defaults.
    pub tolerations: Vec<Toleration>,
    /// How many of `tolerations` come from the template (the rest are the defaults).
    pub template_tolerations: usize,
    pub comparison_operators: bool,
}

impl Placement {
    /// `NewPod` + `AddOrUpdateDaemonPodTolerations`: the template with the default tolerations
    /// (network-unavailable only for hostNetwork).
    pub fn compile(ds: &DaemonSet, comparison_operators: bool) -> Placement {
        let spec = &ds.spec.template.spec;
        let mut tolerations = spec.tolerations.clone();
        let template_tolerations = tolerations.len();
        tolerations.extend(taints::default_tolerations(spec.host_network));
        Placement {
            node_name: spec.node_name.to_string(),
            node_selector: spec.node_selector.clone(),
            required: spec.required_node_affinity().map(RequiredAffinity::compile),
            tolerations,
            template_tolerations,
            comparison_operators,
        }
    }

    /// Whether a toleration at this index was added by the controller.
    pub fn is_default_toleration(&self, index: usize) -> bool {
        index >= self.template_tolerations
    }

    /// `NodeShouldRunDaemonPod(node, ds)`.
    pub fn evaluate(&self, node: &Node) -> Verdict {
        let name = node.name();
        // 1. Template nodeName: decisive on its own.
        if !self.node_name.is_empty() && self.node_name != name {
            return Verdict {
                should_run: false,
                should_continue_running: false,
                reasons: vec![Reason::new(
                    Rule::NodeName,
                    format!("the template pins spec.nodeName to {}", self.node_name),
                )],
            };
        }
        // 2. nodeSelector AND required node affinity (fitsNodeAffinity).
        let labels = &node.metadata.labels;
        let mut reasons: Vec<Reason> =
            affinity::node_selector_mismatches(&self.node_selector, labels)
                .into_iter()
                .map(|m| Reason::new(Rule::NodeSelector, m))
                .collect();
        if let Some(why) = self
            .required
            .as_ref()
            .and_then(|r| r.mismatch(name, labels))
        {
            reasons.push(Reason::new(Rule::NodeAffinity, why));
        }
        if !reasons.is_empty() {
            return Verdict {
                should_run: false,
                should_continue_running: false,
                reasons,
            };
        }
        // 3. Taints: NoSchedule and NoExecute decide shouldRun, NoExecute alone decides
        //    shouldContinueRunning; PreferNoSchedule never counts.
        let mut evicting = false;
        for taint in &node.spec.taints {
            if taint.effect != NO_SCHEDULE && taint.effect != NO_EXECUTE {
                continue;
            }
            if self
                .tolerations
                .iter()
                .any(|t| taints::tolerates(t, taint, self.comparison_operators))
            {
                continue;
            }
            evicting |= taint.effect == NO_EXECUTE;
            reasons.push(Reason::new(Rule::Taint, self.describe_untolerated(taint)));
        }
        Verdict {
            should_run: reasons.is_empty(),
            should_continue_running: !evicting,
            reasons,
        }
    }

    fn describe_untolerated(&self, taint: &crate::model::Taint) -> String {
        let mut msg = format!("untolerated taint {taint}");
        if let Some(words) = taints::well_known(taint) {
            msg = format!("{words}: {msg}");
        }
        if let Some(near) = taints::near_miss(&self.tolerations[..self.template_tolerations], taint)
        {
            msg.push_str(&format!(" ({near})"));
        }
        msg
    }
}
