//! Suggestions: the smallest change to the node or the template that flips the verdict, as YAML
//! to paste or a kubectl command.

use std::collections::BTreeMap;

use crate::eligibility::labels::{Op, Requirement, validate_label_key, validate_label_value};
use crate::eligibility::trace::{
    self, AffinityCheck, Check, NodeSelectorCheck, RequirementCheck, RequirementKind, Status,
    TaintCheck, TermKind, yaml_scalar,
};
use crate::model::{DaemonSet, Labels, Node, Toleration};

use super::{Action, Suggestion, Target};

pub(super) fn suggest(checks: &[Check], ds: &DaemonSet, node: &Node) -> Vec<Suggestion> {
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
    if failing.next().is_some()
        || r.kind != RequirementKind::Expression
        || r.operator.parse::<Op>() != Ok(Op::In)
    {
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
        let value = match r.operator.parse::<Op>().ok()? {
            Op::In => Some(r.values.first()?.clone()),
            Op::NotIn | Op::DoesNotExist => None,
            Op::Exists => Some(String::new()),
            Op::Gt => Some(
                r.values
                    .first()?
                    .parse::<i64>()
                    .ok()?
                    .checked_add(1)?
                    .to_string(),
            ),
            Op::Lt => Some(
                r.values
                    .first()?
                    .parse::<i64>()
                    .ok()?
                    .checked_sub(1)?
                    .to_string(),
            ),
            Op::Equals | Op::NotEquals => return None,
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
        r.operator
            .parse::<Op>()
            .and_then(|op| Requirement::new(&r.key, op, &r.values))
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

pub(super) fn toleration_yaml(t: &Toleration) -> String {
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
