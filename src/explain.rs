//! `explain DAEMONSET NODE`: every rule the DaemonSet controller applies to one (DaemonSet, node)
//! pair, in its order, the verdict in plain words, the daemon pods on the node, the smallest
//! change that flips the verdict (as YAML to paste), and for an eligible node whose daemon is
//! Pending or missing, whether its requests fit the node.
//!
//! Pure: a function of the snapshot and the options, like `coverage::compute`. Live-only extras
//! (the node's other pods, Warning events) are read by `source::cluster` and attached by `run`.

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde::Serialize;

use crate::coverage::{self, Options};
use crate::eligibility::Placement;
use crate::eligibility::labels::{Op, validate_label_key, validate_label_value};
use crate::eligibility::trace::{
    self, AffinityCheck, Check, NodeSelectorCheck, RequirementCheck, RequirementKind, Status,
    TaintCheck, TermKind, yaml_scalar,
};
use crate::error::Error;
use crate::model::{DaemonSet, Labels, Node, Pod, PodSpec, Toleration};
use crate::quantity;
use crate::reason::Reason;
use crate::report::{PodReport, State};
use crate::snapshot::Snapshot;

pub const KIND: &str = "DaemonSetNodeExplanation";

/// The answer to "why is (or isn't) this daemon on this node, and what to change".
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Explanation {
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

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ExplainVerdict {
    pub should_run: bool,
    pub should_continue_running: bool,
    pub text: String,
}

/// One Warning event of a daemon pod.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PodEvent {
    pub pod: String,
    pub reason: String,
    pub message: String,
    pub count: i64,
    pub last_timestamp: Option<Timestamp>,
}

/// Where a suggestion's YAML goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Target {
    DaemonSet,
    Node,
}

/// What to do with the YAML at `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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

#[derive(Debug, Clone, Serialize)]
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

/// Explain one pair from the snapshot (offline: every pod bound to the node is in it).
pub fn explain(
    snap: &Snapshot,
    namespace: Option<&str>,
    name: &str,
    node: &str,
    opts: &Options,
) -> Result<Explanation, Error> {
    explain_with(snap, namespace, name, node, opts, &NodePods::InSnapshot)
}

/// [`explain`], saying where the node's pods come from.
pub fn explain_with(
    snap: &Snapshot,
    namespace: Option<&str>,
    name: &str,
    node_name: &str,
    opts: &Options,
    node_pods: &NodePods,
) -> Result<Explanation, Error> {
    let ds = find_daemon_set(snap, namespace, name)?;
    let node = snap
        .nodes
        .iter()
        .find(|n| n.name() == node_name)
        .ok_or_else(|| Error::NotFound(format!("node {node_name:?} not found")))?;
    let placement = Placement::compile(ds, opts.comparison_operators);
    let verdict = placement.evaluate(node);
    let traced = trace::trace(ds, node, opts.comparison_operators);

    // The pair as the report sees it: state, reasons, pods.
    let mut pair_opts = Options::new(opts.now);
    pair_opts.namespace = Some(ds.namespace().to_string());
    pair_opts.names = vec![ds.name().to_string()];
    pair_opts.include_ineligible = true;
    pair_opts.comparison_operators = opts.comparison_operators;
    let report = coverage::compute(snap, &pair_opts).map_err(|e| Error::NotFound(e.to_string()))?;
    let ds_report = report
        .daemon_sets
        .into_iter()
        .find(|d| d.uid == ds.metadata.uid)
        .ok_or_else(|| Error::NotFound(format!("daemonset {name:?} not found")))?;
    let pair = ds_report
        .nodes
        .into_iter()
        .find(|p| p.node == node_name)
        .ok_or_else(|| Error::NotFound(format!("node {node_name:?} not found")))?;

    let suggestions = if verdict.should_run {
        Vec::new()
    } else {
        suggest(&traced.checks, ds, node)
    };
    let fit = (verdict.should_run && matches!(pair.state, State::Pending | State::Missing))
        .then(|| fit_check(snap, ds, node, &pair.pods, node_pods));

    Ok(Explanation {
        kind: KIND.to_string(),
        generated_at: opts.now,
        daemon_set: format!("{}/{}", ds.namespace(), ds.name()),
        node: node_name.to_string(),
        from_manifest: ds.from_manifest,
        verdict: ExplainVerdict {
            should_run: verdict.should_run,
            should_continue_running: verdict.should_continue_running,
            text: verdict_text(&traced, verdict.should_run, verdict.should_continue_running),
        },
        checks: traced.checks,
        state: pair.state,
        reasons: pair.reasons,
        pods: pair.pods,
        events: None,
        suggestions,
        fit,
        warnings: ds_report.warnings,
    })
}

/// With a namespace, exact; without, by name across namespaces (an error when it is ambiguous).
fn find_daemon_set<'a>(
    snap: &'a Snapshot,
    namespace: Option<&str>,
    name: &str,
) -> Result<&'a DaemonSet, Error> {
    if let Some(ns) = namespace {
        return snap
            .daemon_sets
            .iter()
            .find(|d| d.namespace() == ns && d.name() == name)
            .ok_or_else(|| {
                Error::NotFound(format!("daemonset {name:?} not found in namespace {ns:?}"))
            });
    }
    let found: Vec<&DaemonSet> = snap
        .daemon_sets
        .iter()
        .filter(|d| d.name() == name)
        .collect();
    match found.as_slice() {
        [] => Err(Error::NotFound(format!("daemonset {name:?} not found"))),
        [one] => Ok(one),
        many => {
            let mut namespaces: Vec<&str> = many.iter().map(|d| d.namespace()).collect();
            namespaces.sort_unstable();
            namespaces.dedup();
            Err(Error::Usage(format!(
                "daemonset {name:?} is in several namespaces ({}): use NAMESPACE/NAME or -n",
                namespaces.join(", ")
            )))
        }
    }
}

fn verdict_text(t: &trace::Trace, should_run: bool, should_continue: bool) -> String {
    if should_run {
        return "the controller places a daemon pod here (shouldRun=true, shouldContinueRunning=true)."
            .to_string();
    }
    let mut text = String::from("the controller will not place a pod here (shouldRun=false)");
    let why: Option<String> = if t.pinned_elsewhere() {
        t.checks.iter().find_map(|c| match c {
            Check::NodeName(n) => n
                .wanted
                .as_ref()
                .map(|w| format!("the template pins spec.nodeName to {w}")),
            _ => None,
        })
    } else if !t.fits_affinity() {
        let selector = t
            .checks
            .iter()
            .any(|c| matches!(c, Check::NodeSelector(s) if s.status == Status::Fail));
        Some(
            if selector {
                "the node does not match the template's nodeSelector"
            } else {
                "the node does not match the template's required node affinity"
            }
            .to_string(),
        )
    } else {
        None
    };
    if let Some(why) = why {
        text.push_str(&format!(
            ": {why}. An existing pod would be deleted (shouldContinueRunning=false)."
        ));
        return text;
    }
    let untolerated: Vec<&TaintCheck> = t.untolerated().collect();
    let evicting: Vec<&str> = untolerated
        .iter()
        .filter(|c| c.effect == "NoExecute")
        .map(|c| c.taint.as_str())
        .collect();
    text.push('.');
    if should_continue {
        text.push_str(" An existing pod would be kept (only NoSchedule taints are untolerated).");
    } else {
        text.push_str(&format!(
            " An existing pod would be deleted (shouldContinueRunning=false: untolerated NoExecute taint {}).",
            evicting.join(", ")
        ));
    }
    text
}

// ---------------------------------------------------------------------------------------------
// Suggestions

fn suggest(checks: &[Check], ds: &DaemonSet, node: &Node) -> Vec<Suggestion> {
    let mut out = Vec::new();
    let affinity: Vec<(usize, &AffinityCheck)> = checks
        .iter()
        .enumerate()
        .filter_map(|(i, c)| match c {
            Check::NodeAffinity(a) => Some((i, a)),
            _ => None,
        })
        .collect();
    let affinity_matches = affinity.iter().any(|(_, a)| {
        a.status == Status::Pass && matches!(a.outcome, TermKind::Absent | TermKind::Matched)
    });
    for (i, check) in checks.iter().enumerate() {
        match check {
            Check::NodeName(n) if n.status == Status::Fail => out.push(Suggestion {
                fixes: i,
                description: format!(
                    "the template pins spec.nodeName to {}; a DaemonSet template should not set it (the controller places one pod per node itself): remove it",
                    n.wanted.as_deref().unwrap_or("another node")
                ),
                target: Target::DaemonSet,
                path: "spec.template.spec".into(),
                action: Action::Merge,
                yaml: "nodeName: null\n".into(),
                command: None,
            }),
            Check::NodeSelector(s) if s.status == Status::Fail => {
                out.push(selector_suggestion(i, s, node));
            }
            Check::Taint(t) if t.status == Status::Fail => {
                out.extend(taint_suggestions(i, t, ds, node));
            }
            _ => {}
        }
    }
    if !affinity_matches {
        out.extend(affinity_suggestions(&affinity, node));
    }
    out.sort_by_key(|s| s.fixes);
    out
}

fn selector_suggestion(i: usize, s: &NodeSelectorCheck, node: &Node) -> Suggestion {
    let valid =
        validate_label_key(&s.key).is_ok() && validate_label_value(&s.key, &s.wanted).is_ok();
    if !valid {
        let mut patch = BTreeMap::new();
        patch.insert(s.key.clone(), None);
        return Suggestion {
            fixes: i,
            description: format!(
                "nodeSelector {}={} is not a valid label, so no node can ever carry it: fix or remove the entry",
                s.key, s.wanted
            ),
            target: Target::DaemonSet,
            path: "spec.template.spec.nodeSelector".into(),
            action: Action::Merge,
            yaml: mapping_yaml(&patch),
            command: None,
        };
    }
    if describes_node(&s.key) {
        let mut patch = BTreeMap::new();
        patch.insert(s.key.clone(), None);
        return Suggestion {
            fixes: i,
            description: format!(
                "{} is set by Kubernetes to describe the node ({}), not a label to change: if the daemon belongs on this node, drop or change the nodeSelector entry {}={}",
                s.key, s.message, s.key, s.wanted
            ),
            target: Target::DaemonSet,
            path: "spec.template.spec.nodeSelector".into(),
            action: Action::Merge,
            yaml: mapping_yaml(&patch),
            command: None,
        };
    }
    let mut labels = BTreeMap::new();
    labels.insert(s.key.clone(), Some(s.wanted.clone()));
    Suggestion {
        fixes: i,
        description: match &s.node_value {
            Some(v) => format!(
                "nodeSelector wants {}={}, the node has {:?}: relabel the node",
                s.key, s.wanted, v
            ),
            None => format!(
                "nodeSelector wants {}={}, the node has no such label: label the node",
                s.key, s.wanted
            ),
        },
        target: Target::Node,
        path: "metadata.labels".into(),
        action: Action::Merge,
        command: Some(label_command(node.name(), &labels, &node.metadata.labels)),
        yaml: mapping_yaml(&labels),
    }
}

fn taint_suggestions(i: usize, t: &TaintCheck, ds: &DaemonSet, node: &Node) -> Vec<Suggestion> {
    let exact = |operator: &str, value: &str| Toleration {
        key: t.key.clone(),
        operator: operator.into(),
        value: value.into(),
        effect: t.effect.clone(),
        toleration_seconds: None,
    };
    let precise = if t.value.is_empty() {
        exact("Exists", "")
    } else {
        exact("Equal", &t.value)
    };
    let near = ds
        .spec
        .template
        .spec
        .tolerations
        .iter()
        .find(|tol| tol.key == t.key);
    let wrong_value = near.filter(|tol| {
        matches!(tol.operator.as_str(), "" | "Equal")
            && tol.value != t.value
            && (tol.effect.is_empty() || tol.effect == t.effect)
    });
    let tolerate = |tol: Toleration, description: String| Suggestion {
        fixes: i,
        description,
        target: Target::DaemonSet,
        path: "spec.template.spec.tolerations".into(),
        action: Action::Append,
        yaml: toleration_yaml(&tol),
        command: None,
    };
    let mut out = Vec::new();
    if let Some(tol) = wrong_value {
        out.push(tolerate(
            exact("Exists", ""),
            format!(
                "operator Exists tolerates any value of {}: replace the Equal toleration for value {:?} with this, or add it next to it",
                t.key, tol.value
            ),
        ));
        if !t.value.is_empty() {
            out.push(tolerate(
                precise,
                format!("keep operator Equal with the taint's value {:?}", t.value),
            ));
        }
    } else {
        let mut description = format!("tolerate the taint {}", t.taint);
        if let Some(why) = &t.near_miss {
            description.push_str(&format!(" ({why})"));
        }
        if let Some(tol) = near.filter(|tol| matches!(tol.operator.as_str(), "Lt" | "Gt")) {
            description.push_str(&format!(
                "; {} uses operator {}, which counts only with the TaintTolerationComparisonOperators feature gate (--toleration-comparison-operators)",
                trace::flow(tol),
                tol.operator
            ));
        }
        match t.key.as_str() {
            "node.kubernetes.io/network-unavailable" => description.push_str(
                "; the control plane sets it until the node's network is ready, and only hostNetwork DaemonSets tolerate it by default",
            ),
            "node.kubernetes.io/not-ready" | "node.kubernetes.io/unreachable" => description.push_str(
                "; the control plane sets it while the node is not Ready and removes it when the node recovers: tolerate it only for an agent that must run there (CNI, kube-proxy)",
            ),
            _ => {}
        }
        out.push(tolerate(precise, description));
    }
    // Taints a person added can also be taken off the node; those the control plane writes
    // come back.
    if crate::eligibility::taints::well_known(&crate::model::Taint {
        key: t.key.clone(),
        value: t.value.clone(),
        effect: t.effect.clone(),
        time_added: None,
    })
    .is_none()
    {
        let mut taint = BTreeMap::new();
        taint.insert("key".to_string(), Some(t.key.clone()));
        if !t.value.is_empty() {
            taint.insert("value".to_string(), Some(t.value.clone()));
        }
        taint.insert("effect".to_string(), Some(t.effect.clone()));
        out.push(Suggestion {
            fixes: i,
            description: format!(
                "{} was put there by a person or a tool: without it, every pod may land on the node",
                t.taint
            ),
            target: Target::Node,
            path: "spec.taints".into(),
            action: Action::Remove,
            yaml: list_item_yaml(&["key", "value", "effect"], &taint),
            command: Some(format!("kubectl taint node {} {}-", node.name(), t.taint)),
        });
    }
    out
}

/// No required node affinity term matches: change the node's labels to satisfy the closest term,
/// or add a term that matches this node.
fn affinity_suggestions(terms: &[(usize, &AffinityCheck)], node: &Node) -> Vec<Suggestion> {
    // The term with the fewest unmet requirements (invalid terms last: labels cannot fix them).
    let closest = terms
        .iter()
        .filter(|(_, a)| matches!(a.outcome, TermKind::Failed | TermKind::Invalid))
        .min_by_key(|(_, a)| {
            let unmet = a
                .requirements
                .iter()
                .filter(|r| r.status != Status::Pass)
                .count();
            (a.outcome == TermKind::Invalid, unmet)
        });
    let fixes = match closest {
        Some((i, _)) => *i,
        None => match terms.first() {
            Some((i, _)) => *i,
            None => return Vec::new(),
        },
    };
    let mut out = Vec::new();
    if let Some((_, term)) = closest
        && term.outcome == TermKind::Failed
    {
        out.extend(relax_expression(fixes, term));
    }
    if let Some((_, term)) = closest
        && term.outcome == TermKind::Failed
        && let Some(labels) = labels_for_term(&term.requirements, &node.metadata.labels)
    {
        let term_no = term.index.map(|i| i + 1).unwrap_or(1);
        out.push(Suggestion {
            fixes,
            description: format!(
                "label the node so that required node affinity term {term_no} matches ({})",
                term.requirements
                    .iter()
                    .map(|r| r.text.clone())
                    .collect::<Vec<_>>()
                    .join(" AND ")
            ),
            target: Target::Node,
            path: "metadata.labels".into(),
            action: Action::Merge,
            command: Some(label_command(node.name(), &labels, &node.metadata.labels)),
            yaml: mapping_yaml(&labels),
        });
    }
    let why = match closest {
        Some((_, t)) if t.outcome == TermKind::Invalid => format!(
            "term {} does not parse (see above): fix it, or ",
            t.index.map(|i| i + 1).unwrap_or(1)
        ),
        _ => String::new(),
    };
    out.push(Suggestion {
        fixes,
        description: format!(
            "{why}add a required node affinity term naming this node: terms are OR-ed, so one that matches lets it in"
        ),
        target: Target::DaemonSet,
        path: "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms".into(),
        action: Action::Append,
        yaml: format!(
            "- matchFields:\n  - key: metadata.name\n    operator: In\n    values:\n    - {}\n",
            yaml_scalar(node.name())
        ),
        command: None,
    });
    out
}

/// When a term fails on one `In` expression only and the node has the label: add the node's
/// value to that expression's values.
fn relax_expression(fixes: usize, term: &AffinityCheck) -> Option<Suggestion> {
    let index = term.index?;
    let mut failing = term
        .requirements
        .iter()
        .enumerate()
        .filter(|(_, r)| r.status != Status::Pass);
    let (j, r) = failing.next()?;
    if failing.next().is_some() || r.kind != RequirementKind::Expression || r.operator != "In" {
        return None;
    }
    let value = r.node_value.as_ref()?;
    Some(Suggestion {
        fixes,
        description: format!(
            "relax {} (term {}): add this node's value {value:?}",
            r.text,
            index + 1
        ),
        target: Target::DaemonSet,
        path: format!(
            "spec.template.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{index}].matchExpressions[{j}].values"
        ),
        action: Action::Append,
        yaml: format!("- {}\n", yaml_scalar(value)),
        command: None,
    })
}

/// Labels Kubernetes itself (kubelet, cloud provider) sets to describe the node: changing them
/// would make the node lie about itself. `node-role.kubernetes.io/*` is the administrator's.
fn describes_node(key: &str) -> bool {
    let Some((prefix, _)) = key.split_once('/') else {
        return false;
    };
    let owned = ["kubernetes.io", "k8s.io"]
        .iter()
        .any(|d| prefix == *d || prefix.ends_with(&format!(".{d}")));
    owned && !prefix.starts_with("node-role.")
}

/// Node label changes (`None` removes) that make every expression of a term match, if labels
/// alone can (a failing matchFields requirement, or a label that describes the node, cannot be
/// changed that way).
fn labels_for_term(
    requirements: &[RequirementCheck],
    node_labels: &Labels,
) -> Option<BTreeMap<String, Option<String>>> {
    let mut changes: BTreeMap<String, Option<String>> = BTreeMap::new();
    for r in requirements.iter().filter(|r| r.status != Status::Pass) {
        if r.kind != RequirementKind::Expression
            || r.status == Status::Invalid
            || describes_node(&r.key)
        {
            return None;
        }
        let value = match r.operator.as_str() {
            "In" => Some(r.values.first()?.clone()),
            "NotIn" | "DoesNotExist" => None,
            "Exists" => Some(String::new()),
            "Gt" => Some(
                r.values
                    .first()?
                    .parse::<i64>()
                    .ok()?
                    .checked_add(1)?
                    .to_string(),
            ),
            "Lt" => Some(
                r.values
                    .first()?
                    .parse::<i64>()
                    .ok()?
                    .checked_sub(1)?
                    .to_string(),
            ),
            _ => return None,
        };
        if let Some(v) = &value {
            validate_label_value(&r.key, v).ok()?;
        }
        changes.insert(r.key.clone(), value);
    }
    // The changes must satisfy the whole term at once (two requirements may name one key).
    let mut labels = node_labels.clone();
    for (k, v) in &changes {
        match v {
            Some(v) => labels.insert(k.clone(), v.clone()),
            None => labels.remove(k),
        };
    }
    let all_match = requirements.iter().all(|r| {
        let op = match r.operator.as_str() {
            "In" => Op::In,
            "NotIn" => Op::NotIn,
            "Exists" => Op::Exists,
            "DoesNotExist" => Op::DoesNotExist,
            "Gt" => Op::Gt,
            "Lt" => Op::Lt,
            _ => return false,
        };
        crate::eligibility::labels::Requirement::new(&r.key, op, &r.values)
            .is_ok_and(|req| req.matches(&labels))
    });
    (all_match && !changes.is_empty()).then_some(changes)
}

/// `kubectl label node N k=v k2-`, with `--overwrite` when an existing value changes.
fn label_command(node: &str, changes: &BTreeMap<String, Option<String>>, have: &Labels) -> String {
    let mut parts = vec![format!("kubectl label node {node}")];
    let mut overwrite = false;
    for (k, v) in changes {
        match v {
            Some(v) => {
                overwrite |= have.get(k).is_some_and(|h| h != v);
                parts.push(shell_word(&format!("{k}={v}")));
            }
            None => parts.push(shell_word(&format!("{k}-"))),
        }
    }
    if overwrite {
        parts.push("--overwrite".into());
    }
    parts.join(" ")
}

/// Quote a shell word when it holds anything but safe characters.
fn shell_word(s: &str) -> String {
    if !s.is_empty()
        && s.bytes().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/' | b'=' | b':')
        })
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// A block mapping, one `key: value` per line; `None` is `null`.
fn mapping_yaml(m: &BTreeMap<String, Option<String>>) -> String {
    m.iter()
        .map(|(k, v)| {
            format!(
                "{}: {}\n",
                yaml_scalar(k),
                v.as_deref()
                    .map(yaml_scalar)
                    .unwrap_or_else(|| "null".into())
            )
        })
        .collect()
}

/// One list item with the given keys in this order.
fn list_item_yaml(order: &[&str], m: &BTreeMap<String, Option<String>>) -> String {
    let mut out = String::new();
    for k in order {
        if let Some(Some(v)) = m.get(*k) {
            out.push_str(if out.is_empty() { "- " } else { "  " });
            out.push_str(&format!("{k}: {}\n", yaml_scalar(v)));
        }
    }
    out
}

fn toleration_yaml(t: &Toleration) -> String {
    let mut m = BTreeMap::new();
    for (k, v) in [
        ("key", &t.key),
        ("operator", &t.operator),
        ("value", &t.value),
        ("effect", &t.effect),
    ] {
        if !v.is_empty() {
            m.insert(k.to_string(), Some(v.clone()));
        }
    }
    list_item_yaml(&["key", "operator", "value", "effect"], &m)
}

// ---------------------------------------------------------------------------------------------
// Fit

const CPU: &str = "cpu";
const MEMORY: &str = "memory";

/// A pod's requests as the scheduler counts them: the sum over containers, and at least the
/// largest init container's (`max(max(init), sum(containers))`), per resource. CPU in
/// millicores, memory in bytes. Unparseable quantities are listed, not counted.
pub fn pod_requests(spec: &PodSpec) -> (BTreeMap<&'static str, i128>, Vec<String>) {
    let mut errors = Vec::new();
    let mut read = |c: &crate::model::Container, resource: &'static str| -> i128 {
        let Some(q) = c.resources.requests.get(resource) else {
            return 0;
        };
        let parsed = if resource == CPU {
            quantity::milli(&q.0)
        } else {
            quantity::units(&q.0)
        };
        parsed.unwrap_or_else(|e| {
            errors.push(format!("container {}: {resource} request: {e}", c.name));
            0
        })
    };
    let mut out = BTreeMap::new();
    for resource in [CPU, MEMORY] {
        let sum: i128 = spec.containers.iter().map(|c| read(c, resource)).sum();
        let init = spec
            .init_containers
            .iter()
            .map(|c| read(c, resource))
            .max()
            .unwrap_or(0);
        out.insert(resource, sum.max(init));
    }
    (out, errors)
}

/// A priority class's standing for preemption: the two built-in system classes above all
/// others (user classes are at most 1e9).
fn priority_rank(class: &str) -> u8 {
    match class {
        "system-node-critical" => 2,
        "system-cluster-critical" => 1,
        _ => 0,
    }
}

fn fit_check(
    snap: &Snapshot,
    ds: &DaemonSet,
    node: &Node,
    daemon_pods: &[PodReport],
    node_pods: &NodePods,
) -> Fit {
    let spec = &ds.spec.template.spec;
    let (needs, mut errors) = pod_requests(spec);
    let own = |p: &Pod| {
        daemon_pods.iter().any(|d| {
            (!d.uid.is_empty() && d.uid == p.metadata.uid)
                || (d.name == p.name() && p.metadata.namespace == ds.namespace())
        })
    };
    let bound: Vec<&Pod> = snap
        .pods
        .iter()
        .filter(|p| p.spec.node_name == node.name() && !p.is_terminal() && !own(p))
        .collect();
    let complete = matches!(node_pods, NodePods::InSnapshot);
    let mut used: BTreeMap<&str, i128> = BTreeMap::new();
    let mut per_pod: Vec<(&Pod, BTreeMap<&'static str, i128>)> = Vec::new();
    for p in &bound {
        let (r, e) = pod_requests(&p.spec);
        errors.extend(
            e.into_iter()
                .map(|e| format!("pod {}/{}: {e}", p.metadata.namespace, p.name())),
        );
        for (k, v) in &r {
            *used.entry(k).or_default() += v;
        }
        per_pod.push((p, r));
    }

    let allocatable = |resource: &str| -> Option<i128> {
        let q = node.status.allocatable.get(resource)?;
        if resource == CPU {
            quantity::milli(&q.0).ok()
        } else {
            quantity::units(&q.0).ok()
        }
    };
    let mut resources = Vec::new();
    for (resource, unit, need, have) in [
        (
            CPU,
            "millicores",
            needs[CPU],
            used.get(CPU).copied().unwrap_or(0),
        ),
        (
            MEMORY,
            "bytes",
            needs[MEMORY],
            used.get(MEMORY).copied().unwrap_or(0),
        ),
        ("pods", "pods", 1, bound.len() as i128),
    ] {
        let alloc = allocatable(resource);
        let requested = complete.then_some(have);
        let free = alloc.zip(requested).map(|(a, r)| a - r);
        resources.push(ResourceFit {
            resource: resource.to_string(),
            unit: unit.to_string(),
            allocatable: alloc.and_then(|v| i64::try_from(v).ok()),
            requested: requested.and_then(|v| i64::try_from(v).ok()),
            free: free.and_then(|v| i64::try_from(v).ok()),
            needed: i64::try_from(need).unwrap_or(i64::MAX),
            // A resource the daemon does not request always fits (as NodeResourcesFit).
            fits: if need == 0 && resource != "pods" {
                Some(true)
            } else {
                free.map(|f| f >= need)
            },
        });
    }
    let fits = if resources.iter().any(|r| r.fits == Some(false)) {
        Some(false)
    } else if resources.iter().all(|r| r.fits == Some(true)) {
        Some(true)
    } else {
        None
    };

    let mut hints = Vec::new();
    let short: Vec<&ResourceFit> = resources.iter().filter(|r| r.fits == Some(false)).collect();
    if !short.is_empty() {
        fit_hints(spec, &short, &per_pod, &mut hints);
    } else if fits == Some(true) {
        hints.push(Hint {
            text: if daemon_pods.is_empty() {
                "the requests fit the node's allocatable, so room is not what keeps the pod away: if the controller does not create it, look at the DaemonSet's events (kubectl describe daemonset)"
            } else {
                "the requests fit the node's allocatable: the pod waits for something else (see its reasons above: host ports, volumes, image pull, the scheduler's own message)"
            }
            .into(),
            yaml: None,
        });
    }
    let mut notes = Vec::new();
    if let NodePods::Unreadable(why) = node_pods {
        notes.push(format!(
            "the other pods on the node could not be read ({why}), so what they request is unknown"
        ));
    }
    if resources.iter().any(|r| r.allocatable.is_none()) {
        notes.push("the node does not report status.allocatable for every resource".into());
    }
    notes.extend(errors);
    Fit {
        fits,
        pods_counted: bound.len(),
        resources,
        hints,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

fn fit_hints(
    spec: &PodSpec,
    short: &[&ResourceFit],
    per_pod: &[(&Pod, BTreeMap<&'static str, i128>)],
    hints: &mut Vec<Hint>,
) {
    let names: Vec<&str> = short.iter().map(|r| r.resource.as_str()).collect();
    let rank = priority_rank(&spec.priority_class_name);
    // What preemption at system-node-critical could free: the requests of lower-ranked pods.
    let target_rank = rank.max(2);
    let preemptible = |resource: &str| -> i128 {
        per_pod
            .iter()
            .filter(|(p, _)| priority_rank(&p.spec.priority_class_name) < target_rank)
            .map(|(_, r)| {
                if resource == "pods" {
                    1
                } else {
                    r.get(resource).copied().unwrap_or(0)
                }
            })
            .sum()
    };
    let enough_after_preemption = short.iter().all(|r| {
        r.free
            .is_some_and(|f| i128::from(f) + preemptible(&r.resource) >= i128::from(r.needed))
    });
    let holders = |resource: &str| -> String {
        let mut top: Vec<(&Pod, i128)> = per_pod
            .iter()
            .filter(|(p, _)| priority_rank(&p.spec.priority_class_name) >= target_rank)
            .map(|(p, r)| (*p, r.get(resource).copied().unwrap_or(0)))
            .filter(|(_, v)| *v > 0)
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name().cmp(b.0.name())));
        top.iter()
            .take(3)
            .map(|(p, v)| {
                format!(
                    "{}/{} ({})",
                    p.metadata.namespace,
                    p.name(),
                    show(resource, *v)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rank < 2 {
        hints.push(Hint {
            text: format!(
                "not enough {} on the node. A node agent usually runs at priorityClassName system-node-critical{}: the scheduler can then preempt lower-priority pods to make room{}",
                names.join(" and "),
                if spec.priority_class_name.is_empty() {
                    String::new()
                } else {
                    format!(" (this one has {})", spec.priority_class_name)
                },
                if enough_after_preemption {
                    String::new()
                } else {
                    ", though here even that would not free enough".to_string()
                }
            ),
            yaml: Some("priorityClassName: system-node-critical\n".into()),
        });
    } else if !enough_after_preemption {
        let who = short
            .iter()
            .map(|r| holders(&r.resource))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        hints.push(Hint {
            text: format!(
                "not enough {} on the node, and preemption cannot help: the daemon already runs at {} and the room is held by pods of the same priority{}",
                names.join(" and "),
                spec.priority_class_name,
                if who.is_empty() { String::new() } else { format!(": {who}") }
            ),
            yaml: None,
        });
    } else {
        hints.push(Hint {
            text: format!(
                "not enough {} on the node right now; the daemon runs at {}, so the scheduler should preempt lower-priority pods to make room",
                names.join(" and "),
                spec.priority_class_name
            ),
            yaml: None,
        });
    }
    let lower: Vec<String> = short
        .iter()
        .filter(|r| r.resource != "pods")
        .filter_map(|r| {
            let free = r.free?;
            (free > 0).then(|| format!("{} ≤ {}", r.resource, show(&r.resource, i128::from(free))))
        })
        .collect();
    if !lower.is_empty() {
        hints.push(Hint {
            text: format!(
                "or lower the daemon's requests (resources.requests of its containers, and of its init containers, which count on their own): {} fits now",
                lower.join(", ")
            ),
            yaml: None,
        });
    }
    if short.iter().any(|r| r.resource == "pods") {
        hints.push(Hint {
            text: "the node runs as many pods as it allows (allocatable pods): remove pods or raise the kubelet's maxPods".into(),
            yaml: None,
        });
    }
}

/// A resource amount in kubectl's notation.
pub fn show(resource: &str, v: i128) -> String {
    match resource {
        CPU => quantity::format_milli(v),
        MEMORY => quantity::format_bytes(v),
        _ => v.to_string(),
    }
}

/// The most recent Warning events of the daemon pods (at most `limit` per pod), newest first.
pub fn warning_events(pods: &[(String, Vec<crate::model::Event>)], limit: usize) -> Vec<PodEvent> {
    let mut out = Vec::new();
    for (pod, events) in pods {
        let mut mine: Vec<&crate::model::Event> = events
            .iter()
            .filter(|e| e.type_.is_empty() || e.type_ == "Warning")
            .collect();
        mine.sort_by(|a, b| {
            b.last_seen()
                .cmp(&a.last_seen())
                .then_with(|| a.reason.cmp(&b.reason))
        });
        out.extend(mine.into_iter().take(limit).map(|e| PodEvent {
            pod: pod.clone(),
            reason: e.reason.clone(),
            message: e.message.trim().to_string(),
            count: e.occurrences(),
            last_timestamp: e.last_seen(),
        }));
    }
    out
}
