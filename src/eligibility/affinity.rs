//! nodeSelector and required node affinity, as `component-helpers/scheduling/corev1/nodeaffinity`
//! evaluates them (`nodeaffinity.go: GetRequiredNodeAffinity`, `NodeSelector.Match`).

use super::labels::{Op, Requirement, describe_node_value};
use crate::model::{Labels, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};

/// One `matchFields` requirement (`nodeSelectorRequirementsAsFieldSelector`): In or NotIn with
/// exactly one value.
#[derive(Debug, Clone)]
pub struct FieldRequirement {
    pub key: String,
    pub negate: bool,
    pub value: String,
}

impl FieldRequirement {
    /// In: the node's field equals the value; NotIn: it differs.
    pub fn matches(&self, node_name: &str) -> bool {
        // The node's only field is `metadata.name`; any other key reads as "".
        let have = if self.key == "metadata.name" {
            node_name
        } else {
            ""
        };
        (have == self.value) != self.negate
    }
}

impl std::fmt::Display for FieldRequirement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let op = if self.negate { "NotIn" } else { "In" };
        write!(f, "{} {op} [{}]", self.key, self.value)
    }
}

/// A parsed, non-empty node selector term. Parse errors are kept per term ("lazy errors").
#[derive(Debug, Clone)]
pub struct Term {
    /// Position in the original `nodeSelectorTerms` list (0-based), for messages.
    pub index: usize,
    pub expressions: Vec<Requirement>,
    pub fields: Vec<FieldRequirement>,
    pub errors: Vec<String>,
}

/// How one term fared against a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TermOutcome {
    Matched,
    /// The first requirement that failed, described with the node's value.
    Failed(String),
    Invalid(String),
}

impl Term {
    pub fn parse(index: usize, term: &NodeSelectorTerm) -> Term {
        let mut errors = Vec::new();
        let mut expressions = Vec::new();
        for r in &term.match_expressions {
            match parse_expression(r) {
                Ok(req) => expressions.push(req),
                Err(e) => errors.push(e),
            }
        }
        let mut fields = Vec::new();
        for r in &term.match_fields {
            match parse_field(r) {
                Ok(f) => fields.push(f),
                Err(e) => errors.push(e),
            }
        }
        Term {
            index,
            expressions,
            fields,
            errors,
        }
    }

    /// `nodeSelectorTerm.match`: invalid terms never match; expressions and fields are AND-ed.
    pub fn evaluate(&self, node_name: &str, labels: &Labels) -> TermOutcome {
        if !self.errors.is_empty() {
            return TermOutcome::Invalid(self.errors.join("; "));
        }
        if let Some(r) = self.expressions.iter().find(|r| !r.matches(labels)) {
            return TermOutcome::Failed(format!("{r} ({})", describe_node_value(&r.key, labels)));
        }
        // An empty node name would skip the field half upstream; real nodes always have one.
        if !node_name.is_empty()
            && let Some(f) = self.fields.iter().find(|f| !f.matches(node_name))
        {
            return TermOutcome::Failed(format!("{f} (node is {node_name})"));
        }
        TermOutcome::Matched
    }
}

/// One `matchExpressions` requirement, validated as `labels.NewRequirement` does.
pub fn parse_expression(r: &NodeSelectorRequirement) -> Result<Requirement, String> {
    let op: Op = r.operator.parse().map_err(|_| {
        format!(
            "{}: operator {:?} is not supported (In, NotIn, Exists, DoesNotExist, Gt, Lt)",
            r.key, r.operator
        )
    })?;
    Requirement::new(&r.key, op, &r.values)
}

/// One `matchFields` requirement (In/NotIn, exactly one value).
pub fn parse_field(r: &NodeSelectorRequirement) -> Result<FieldRequirement, String> {
    if r.values.len() != 1 {
        return Err(format!(
            "matchFields {}: must have exactly one value, has {}",
            r.key,
            r.values.len()
        ));
    }
    let negate = match r.operator.as_str() {
        "In" => false,
        "NotIn" => true,
        other => {
            return Err(format!(
                "matchFields {}: operator {other:?} is not supported (In, NotIn)",
                r.key
            ));
        }
    };
    Ok(FieldRequirement {
        key: r.key.clone(),
        negate,
        value: r.values[0].clone(),
    })
}

/// `requiredDuringSchedulingIgnoredDuringExecution` compiled once per DaemonSet.
#[derive(Debug, Clone)]
pub struct RequiredAffinity {
    /// Non-empty terms only; empty ones are dropped before matching.
    pub terms: Vec<Term>,
    /// How many terms were given in all (for "matches no node: no non-empty terms").
    pub given: usize,
}

impl RequiredAffinity {
    pub fn compile(sel: &NodeSelector) -> RequiredAffinity {
        let terms = sel
            .node_selector_terms
            .iter()
            .enumerate()
            .filter(|(_, t)| !(t.match_expressions.is_empty() && t.match_fields.is_empty()))
            .map(|(i, t)| Term::parse(i, t))
            .collect();
        RequiredAffinity {
            terms,
            given: sel.node_selector_terms.len(),
        }
    }

    /// Terms are OR-ed; `None` when one matches, else the reason none did.
    pub fn mismatch(&self, node_name: &str, labels: &Labels) -> Option<String> {
        let mut failures = Vec::new();
        for t in &self.terms {
            match t.evaluate(node_name, labels) {
                TermOutcome::Matched => return None,
                TermOutcome::Failed(why) => failures.push((t.index, why)),
                TermOutcome::Invalid(why) => {
                    failures.push((t.index, format!("invalid, matches no node: {why}")))
                }
            }
        }
        Some(match failures.as_slice() {
            [] if self.given == 0 => {
                "required node affinity has no nodeSelectorTerms, so it matches no node".to_string()
            }
            [] => "every required node affinity term is empty, so it matches no node".to_string(),
            [(_, why)] if self.terms.len() == 1 && self.given == 1 => {
                format!("required node affinity does not match: {why}")
            }
            many => {
                let parts: Vec<String> = many
                    .iter()
                    .map(|(i, why)| format!("term {}: {why}", i + 1))
                    .collect();
                format!(
                    "no required node affinity term matches ({})",
                    parts.join("; ")
                )
            }
        })
    }
}

/// The template's `nodeSelector`: each entry must be a node label with exactly that value
/// (`labels.SelectorFromSet`, no validation). Returns every unmet entry, described.
pub fn node_selector_mismatches(selector: &Labels, labels: &Labels) -> Vec<String> {
    selector
        .iter()
        .filter(|(k, v)| labels.get(*k) != Some(*v))
        .map(|(k, v)| {
            format!(
                "nodeSelector wants {k}={v}, {}",
                describe_node_value(k, labels)
            )
        })
        .collect()
}
