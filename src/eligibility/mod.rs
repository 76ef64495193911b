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

    /// Whether `evaluate` reads the node's name: `spec.nodeName`, or a `matchFields` term.
    fn reads_node_name(&self) -> bool {
        !self.node_name.is_empty()
            || self
                .required
                .as_ref()
                .is_some_and(|r| r.terms.iter().any(|t| !t.fields.is_empty()))
    }

    /// The node labels `evaluate` reads: the nodeSelector's keys and the affinity terms'.
    fn label_keys(&self) -> impl Iterator<Item = &str> {
        self.node_selector.keys().map(String::as_str).chain(
            self.required
                .iter()
                .flat_map(|r| &r.terms)
                .flat_map(|t| &t.expressions)
                .map(|e| e.key.as_str()),
        )
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

/// Nodes grouped so that a DaemonSet's placement is evaluated once per group rather than once
/// per node (at 15,000 nodes the label lookups of 600,000 evaluations were half of an audit's
/// time). Nodes of one class have the same taints and the same value, or absence, of every label
/// but those nearly unique to a node (`kubernetes.io/hostname`, instance IDs: more distinct
/// values than [`NodeClasses::PER_NODE`] allows). [`Placement::evaluate`] reads nothing of a node
/// but its name, its taints and the labels its rules name, so where the rules name none of those
/// per-node labels and not the name, every node of a class gets the same verdict, reasons
/// included ([`NodeClasses::shared_by`]).
#[derive(Debug, Clone, Default)]
pub struct NodeClasses<'a> {
    /// Each node's class, by its place in the node list.
    class: Vec<u32>,
    count: usize,
    /// Label keys left out of the classes.
    per_node: std::collections::HashSet<&'a str, crate::fasthash::FastBuild>,
}

impl<'a> NodeClasses<'a> {
    /// A key with more distinct values than this (and than an eighth of the nodes) is a
    /// per-node label.
    pub const PER_NODE: usize = 16;

    pub fn new(nodes: &[&'a Node]) -> NodeClasses<'a> {
        use std::collections::{HashMap, HashSet};
        type Fast = crate::fasthash::FastBuild;
        let mut values: HashMap<&str, HashSet<&str, Fast>, Fast> = HashMap::default();
        for n in nodes {
            for (k, v) in &n.metadata.labels {
                values.entry(k).or_default().insert(v);
            }
        }
        let limit = Self::PER_NODE.max(nodes.len() / 8);
        let per_node: HashSet<&str, Fast> = values
            .into_iter()
            .filter(|(_, v)| v.len() > limit)
            .map(|(k, _)| k)
            .collect();
        type Key<'n> = (Vec<(&'n str, &'n str)>, Vec<(&'n str, &'n str, &'n str)>);
        let mut ids: HashMap<Key, u32, Fast> = HashMap::default();
        let class = nodes
            .iter()
            .map(|n| {
                let labels = (n.metadata.labels.iter())
                    .filter(|(k, _)| !per_node.contains(k.as_str()))
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                // A taint's timeAdded is not read (`tolerates` has no clock).
                let taints = (n.spec.taints.iter())
                    .map(|t| (t.key.as_str(), t.value.as_str(), t.effect.as_str()))
                    .collect();
                let next = ids.len() as u32;
                *ids.entry((labels, taints)).or_insert(next)
            })
            .collect();
        NodeClasses {
            class,
            count: ids.len(),
            per_node,
        }
    }

    /// How many classes the nodes fall in.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The class of the node at this place in the list the classes were made from.
    pub fn of(&self, node: usize) -> usize {
        self.class[node] as usize
    }

    /// Whether `placement` gives every node of a class the same verdict: it reads no node name
    /// and no per-node label.
    pub fn shared_by(&self, placement: &Placement) -> bool {
        !placement.reads_node_name() && !placement.label_keys().any(|k| self.per_node.contains(k))
    }
}
