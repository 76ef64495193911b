//! Every rule of `NodeShouldRunDaemonPod` for one (DaemonSet, node) pair, one result per rule, in
//! the controller's order (`pkg/controller/daemon/daemon_controller.go: NodeShouldRunDaemonPod`):
//! the template nodeName, each nodeSelector entry, each required node affinity term with each of
//! its requirements, each node taint against the tolerations (the controller's defaults
//! included).
//!
//! [`Placement::evaluate`] stays the verdict; this module explains it with the same primitives
//! (`Term::evaluate`, `Requirement::matches`, `taints::tolerates`, `near_miss`, `well_known`), and
//! [`Trace::should_run`] / [`Trace::should_continue_running`] recompute the verdict from the
//! per-rule results so that tests can hold the two to each other.

use serde::Serialize;

use super::Placement;
use super::affinity::{TermOutcome, parse_expression, parse_field};
use super::labels::describe_node_value;
use super::taints::{self, NO_EXECUTE, NO_SCHEDULE};
use crate::model::{DaemonSet, Labels, Node, NodeSelectorRequirement, Taint, Toleration};

/// How one rule fared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// The rule lets the pod onto the node.
    Pass,
    /// The rule keeps the pod off the node.
    Fail,
    /// The controller does not look at it (PreferNoSchedule taints, empty affinity terms).
    Ignored,
    /// It does not parse, so it matches no node.
    Invalid,
}

/// One rule, checked. Serialized with a `rule` tag: `nodeName`, `nodeSelector`, `nodeAffinity`,
/// `taint`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(tag = "rule", rename_all = "camelCase")]
pub enum Check {
    NodeName(NodeNameCheck),
    NodeSelector(NodeSelectorCheck),
    NodeAffinity(AffinityCheck),
    Taint(TaintCheck),
}

impl Check {
    pub fn status(&self) -> Status {
        match self {
            Check::NodeName(c) => c.status,
            Check::NodeSelector(c) => c.status,
            Check::NodeAffinity(c) => c.status,
            Check::Taint(c) => c.status,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            Check::NodeName(c) => &c.message,
            Check::NodeSelector(c) => &c.message,
            Check::NodeAffinity(c) => &c.message,
            Check::Taint(c) => &c.message,
        }
    }
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeNameCheck {
    pub status: Status,
    pub message: String,
    /// `spec.template.spec.nodeName`, when set.
    pub wanted: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeSelectorCheck {
    pub status: Status,
    pub message: String,
    pub key: String,
    /// The value the template's nodeSelector wants.
    pub wanted: String,
    /// The node's value for the key; null when the node has no such label.
    pub node_value: Option<String>,
}

/// What a required node affinity entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum TermKind {
    /// The template has no required node affinity: nothing is restricted.
    Absent,
    /// `requiredDuringScheduling...` is present with no terms: it matches no node.
    NoTerms,
    /// A term with neither matchExpressions nor matchFields: dropped before matching.
    Empty,
    /// A term that matches the node.
    Matched,
    /// A term whose requirements do not all match.
    Failed,
    /// A term that does not parse: it matches no node.
    Invalid,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct AffinityCheck {
    pub status: Status,
    pub message: String,
    /// Position in `nodeSelectorTerms` (0-based); null for the absent/no-terms entries.
    pub index: Option<usize>,
    pub outcome: TermKind,
    /// Each matchExpressions entry, then each matchFields entry, in the template's order.
    pub requirements: Vec<RequirementCheck>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum RequirementKind {
    /// `matchExpressions`: against the node's labels.
    Expression,
    /// `matchFields`: against the node's fields (`metadata.name`).
    Field,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct RequirementCheck {
    pub kind: RequirementKind,
    pub key: String,
    pub operator: String,
    pub values: Vec<String>,
    pub status: Status,
    /// The node's label value (expressions) or field value (fields); null when absent.
    pub node_value: Option<String>,
    /// The parse error, when the requirement is invalid.
    pub error: Option<String>,
    /// The requirement as the API writes it (`key In [a, b]`).
    pub text: String,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaintCheck {
    pub status: Status,
    pub message: String,
    pub key: String,
    pub value: String,
    pub effect: String,
    /// `key=value:Effect`.
    pub taint: String,
    /// The first toleration (template ones first, then the controller's) that tolerates it.
    pub tolerated_by: Option<ToleratedBy>,
    /// A template toleration that names the taint's key but does not tolerate it, and why.
    pub near_miss: Option<String>,
    /// What the taint means, for the taints the control plane and common tools write.
    pub meaning: Option<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ToleratedBy {
    pub toleration: Toleration,
    /// One of the tolerations the DaemonSet controller adds to every daemon pod
    /// (`daemonset_util.go: AddOrUpdateDaemonPodTolerations`).
    pub added_by_controller: bool,
}

/// Every rule for one pair.
#[derive(Debug, Clone)]
pub struct Trace {
    pub checks: Vec<Check>,
}

impl Trace {
    /// The template's nodeName names another node: decisive on its own.
    pub fn pinned_elsewhere(&self) -> bool {
        self.checks
            .iter()
            .any(|c| matches!(c, Check::NodeName(n) if n.status == Status::Fail))
    }

    /// nodeSelector and required node affinity both match (`fitsNodeAffinity`).
    pub fn fits_affinity(&self) -> bool {
        let selector_ok = self
            .checks
            .iter()
            .all(|c| !matches!(c, Check::NodeSelector(s) if s.status == Status::Fail));
        let affinity: Vec<&AffinityCheck> = self
            .checks
            .iter()
            .filter_map(|c| match c {
                Check::NodeAffinity(a) => Some(a),
                _ => None,
            })
            .collect();
        let affinity_ok = affinity.iter().any(|a| {
            matches!(a.outcome, TermKind::Absent | TermKind::Matched) && a.status == Status::Pass
        });
        selector_ok && affinity_ok
    }

    /// The untolerated taints that count (NoSchedule and NoExecute).
    pub fn untolerated(&self) -> impl Iterator<Item = &TaintCheck> {
        self.checks.iter().filter_map(|c| match c {
            Check::Taint(t) if t.status == Status::Fail => Some(t),
            _ => None,
        })
    }

    /// shouldRun, recomputed from the rules.
    pub fn should_run(&self) -> bool {
        !self.pinned_elsewhere() && self.fits_affinity() && self.untolerated().next().is_none()
    }

    /// shouldContinueRunning, recomputed from the rules.
    pub fn should_continue_running(&self) -> bool {
        !self.pinned_elsewhere()
            && self.fits_affinity()
            && self.untolerated().all(|t| t.effect != NO_EXECUTE)
    }
}

/// Check every rule of `ds`'s template against `node`.
pub fn trace(ds: &DaemonSet, node: &Node, comparison_operators: bool) -> Trace {
    let placement = Placement::compile(ds, comparison_operators);
    let spec = &ds.spec.template.spec;
    let name = node.name();
    let labels = &node.metadata.labels;
    let mut checks = Vec::new();

    // 1. Template nodeName.
    checks.push(Check::NodeName(if placement.node_name.is_empty() {
        NodeNameCheck {
            status: Status::Pass,
            message: "not set in the template".into(),
            wanted: None,
        }
    } else if placement.node_name == name {
        NodeNameCheck {
            status: Status::Pass,
            message: "the template pins spec.nodeName to this node".into(),
            wanted: Some(placement.node_name.clone()),
        }
    } else {
        NodeNameCheck {
            status: Status::Fail,
            message: format!(
                "the template pins spec.nodeName to {}: the controller wants its pod on that node only and checks nothing else",
                placement.node_name
            ),
            wanted: Some(placement.node_name.clone()),
        }
    }));

    // 2a. nodeSelector: every entry must be a node label with exactly that value.
    for (key, wanted) in &placement.node_selector {
        let have = labels.get(key);
        checks.push(Check::NodeSelector(NodeSelectorCheck {
            status: if have == Some(wanted) {
                Status::Pass
            } else {
                Status::Fail
            },
            message: describe_node_value(key, labels),
            key: key.clone(),
            wanted: wanted.clone(),
            node_value: have.cloned(),
        }));
    }

    // 2b. Required node affinity: terms OR-ed, requirements within a term AND-ed.
    checks.extend(affinity_checks(&placement, spec, name, labels));

    // 3. Taints, in node order, against the template's tolerations and the defaults.
    for taint in &node.spec.taints {
        checks.push(Check::Taint(taint_check(&placement, taint)));
    }
    Trace { checks }
}

fn affinity_checks(
    placement: &Placement,
    spec: &crate::model::PodSpec,
    node_name: &str,
    labels: &Labels,
) -> Vec<Check> {
    let (Some(raw), Some(required)) = (spec.required_node_affinity(), &placement.required) else {
        return vec![Check::NodeAffinity(AffinityCheck {
            status: Status::Pass,
            message: "no required node affinity".into(),
            index: None,
            outcome: TermKind::Absent,
            requirements: Vec::new(),
        })];
    };
    if raw.node_selector_terms.is_empty() {
        return vec![Check::NodeAffinity(AffinityCheck {
            status: Status::Fail,
            message: "required node affinity has no nodeSelectorTerms, so it matches no node"
                .into(),
            index: None,
            outcome: TermKind::NoTerms,
            requirements: Vec::new(),
        })];
    }
    let any_matches = required
        .terms
        .iter()
        .any(|t| t.evaluate(node_name, labels) == TermOutcome::Matched);
    let only_empty = required.terms.is_empty();
    let mut out = Vec::new();
    for (index, term) in raw.node_selector_terms.iter().enumerate() {
        let requirements: Vec<RequirementCheck> = term
            .match_expressions
            .iter()
            .map(|r| expression_check(r, labels))
            .chain(term.match_fields.iter().map(|r| field_check(r, node_name)))
            .collect();
        let compiled = required.terms.iter().find(|t| t.index == index);
        let (status, outcome, message) = match compiled.map(|t| t.evaluate(node_name, labels)) {
            None => (
                if only_empty {
                    Status::Fail
                } else {
                    Status::Ignored
                },
                TermKind::Empty,
                if only_empty {
                    "empty term: dropped before matching, and no other term is left, so the affinity matches no node".to_string()
                } else {
                    "empty term: dropped before matching".to_string()
                },
            ),
            Some(TermOutcome::Matched) => (Status::Pass, TermKind::Matched, "matches".to_string()),
            Some(TermOutcome::Failed(why)) => (
                Status::Fail,
                TermKind::Failed,
                if any_matches {
                    format!("does not match ({why}); another term matches, and terms are OR-ed")
                } else {
                    format!("does not match: {why}")
                },
            ),
            Some(TermOutcome::Invalid(why)) => (
                Status::Invalid,
                TermKind::Invalid,
                format!("invalid, so it matches no node: {why}"),
            ),
        };
        out.push(Check::NodeAffinity(AffinityCheck {
            status,
            message,
            index: Some(index),
            outcome,
            requirements,
        }));
    }
    out
}

fn expression_check(r: &NodeSelectorRequirement, labels: &Labels) -> RequirementCheck {
    let node_value = labels.get(&r.key).cloned();
    let (status, error, text) = match parse_expression(r) {
        Ok(req) => (
            if req.matches(labels) {
                Status::Pass
            } else {
                Status::Fail
            },
            None,
            req.to_string(),
        ),
        Err(e) => (Status::Invalid, Some(e), raw_text(r)),
    };
    RequirementCheck {
        kind: RequirementKind::Expression,
        key: r.key.clone(),
        operator: r.operator.clone(),
        values: r.values.clone(),
        status,
        node_value,
        error,
        text,
    }
}

fn field_check(r: &NodeSelectorRequirement, node_name: &str) -> RequirementCheck {
    // The node's only field is metadata.name; any other key reads as "".
    let node_value = (r.key == "metadata.name").then(|| node_name.to_string());
    let (status, error, text) = match parse_field(r) {
        Ok(f) => (
            if f.matches(node_name) {
                Status::Pass
            } else {
                Status::Fail
            },
            None,
            f.to_string(),
        ),
        Err(e) => (Status::Invalid, Some(e), raw_text(r)),
    };
    RequirementCheck {
        kind: RequirementKind::Field,
        key: r.key.clone(),
        operator: r.operator.clone(),
        values: r.values.clone(),
        status,
        node_value,
        error,
        text,
    }
}

/// A requirement that did not parse, as written.
fn raw_text(r: &NodeSelectorRequirement) -> String {
    if r.values.is_empty() {
        format!("{} {}", r.key, r.operator)
    } else {
        format!("{} {} [{}]", r.key, r.operator, r.values.join(", "))
    }
}

fn taint_check(placement: &Placement, taint: &Taint) -> TaintCheck {
    let mut check = TaintCheck {
        status: Status::Pass,
        message: String::new(),
        key: taint.key.clone(),
        value: taint.value.clone(),
        effect: taint.effect.clone(),
        taint: taint.to_string(),
        tolerated_by: None,
        near_miss: None,
        meaning: taints::well_known(taint).map(str::to_string),
    };
    if taint.effect != NO_SCHEDULE && taint.effect != NO_EXECUTE {
        check.status = Status::Ignored;
        check.message = format!(
            "ignored: the DaemonSet controller only counts NoSchedule and NoExecute taints, this one is {}",
            if taint.effect.is_empty() {
                "without effect"
            } else {
                &taint.effect
            }
        );
        return check;
    }
    let tolerating = placement
        .tolerations
        .iter()
        .enumerate()
        .find(|(_, t)| taints::tolerates(t, taint, placement.comparison_operators));
    if let Some((i, t)) = tolerating {
        let by_controller = placement.is_default_toleration(i);
        check.message = format!(
            "tolerated by {}{}",
            flow(t),
            if by_controller {
                " (added by the controller)"
            } else {
                ""
            }
        );
        check.tolerated_by = Some(ToleratedBy {
            toleration: t.clone(),
            added_by_controller: by_controller,
        });
        return check;
    }
    check.status = Status::Fail;
    check.near_miss = near_miss_words(
        &placement.tolerations[..placement.template_tolerations],
        taint,
    );
    check.message = if taint.effect == NO_EXECUTE {
        "not tolerated: no new pod, and an existing one is deleted (NoExecute)"
    } else {
        "not tolerated: no new pod, an existing one stays (NoSchedule)"
    }
    .to_string();
    check
}

/// `near_miss` in the words of the explain output: the toleration written out, then why.
fn near_miss_words(template: &[Toleration], taint: &Taint) -> Option<String> {
    let why = taints::near_miss(template, taint)?;
    let t = template.iter().find(|t| t.key == taint.key)?;
    let op = if t.operator.is_empty() {
        "Equal"
    } else {
        t.operator.as_str()
    };
    Some(if !t.effect.is_empty() && t.effect != taint.effect {
        format!(
            "toleration {} has effect {}, the taint has {}: it does not match",
            flow(t),
            t.effect,
            taint.effect
        )
    } else if op == "Equal" && t.value != taint.value {
        format!(
            "toleration {} has value {:?}, the taint has {:?}: it does not match",
            flow(t),
            t.value,
            taint.value
        )
    } else {
        format!("toleration {}: {why}", flow(t))
    })
}

/// A toleration in YAML flow style, as a user would write it:
/// `{key: nvidia.com/gpu, operator: Equal, value: "true", effect: NoSchedule}`.
pub fn flow(t: &Toleration) -> String {
    let mut parts = Vec::new();
    if !t.key.is_empty() {
        parts.push(format!("key: {}", yaml_scalar(&t.key)));
    }
    if !t.operator.is_empty() {
        parts.push(format!("operator: {}", yaml_scalar(&t.operator)));
    }
    if !t.value.is_empty() {
        parts.push(format!("value: {}", yaml_scalar(&t.value)));
    }
    if !t.effect.is_empty() {
        parts.push(format!("effect: {}", yaml_scalar(&t.effect)));
    }
    if let Some(s) = t.toleration_seconds {
        parts.push(format!("tolerationSeconds: {s}"));
    }
    format!("{{{}}}", parts.join(", "))
}

/// A string as a YAML scalar: plain when that reads back as the same string, else double-quoted
/// (JSON escaping is valid YAML).
pub fn yaml_scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && s.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_' || b == b'/')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/'))
        && !matches!(
            s.to_ascii_lowercase().as_str(),
            "true" | "false" | "yes" | "no" | "on" | "off" | "y" | "n" | "null" | "nan" | "inf"
        );
    if plain {
        s.to_string()
    } else {
        serde_json::Value::String(s.to_string()).to_string()
    }
}
