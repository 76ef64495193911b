//! The placement rules of a DaemonSet's pod template in short form, as the report shows them.

use crate::model::{DaemonSet, Toleration};

use super::PlacementSummary;

impl PlacementSummary {
    /// The template's placement rules in short form.
    pub fn of(ds: &DaemonSet) -> PlacementSummary {
        let spec = &ds.spec.template.spec;
        PlacementSummary {
            node_name: (!spec.node_name.is_empty()).then(|| spec.node_name.to_string()),
            node_selector: spec.node_selector.clone(),
            required_node_affinity: spec.required_node_affinity().map(|r| {
                r.node_selector_terms
                    .iter()
                    .map(|t| {
                        let parts: Vec<String> = t
                            .match_expressions
                            .iter()
                            .map(|e| requirement_text(&e.key, &e.operator, &e.values))
                            .chain(t.match_fields.iter().map(|f| {
                                format!(
                                    "field {}",
                                    requirement_text(&f.key, &f.operator, &f.values)
                                )
                            }))
                            .collect();
                        if parts.is_empty() {
                            "(empty term)".to_string()
                        } else {
                            parts.join(" AND ")
                        }
                    })
                    .collect()
            }),
            tolerations: spec.tolerations.iter().map(toleration_text).collect(),
            host_network: spec.host_network,
        }
    }
}

fn requirement_text(key: &str, op: &str, values: &[String]) -> String {
    if values.is_empty() {
        format!("{key} {op}")
    } else {
        format!("{key} {op} [{}]", values.join(", "))
    }
}

/// A toleration in short form: `key=value:Effect`, `key:Effect` (Exists), `*` (everything).
pub fn toleration_text(t: &Toleration) -> String {
    let effect = if t.effect.is_empty() {
        String::new()
    } else {
        format!(":{}", t.effect)
    };
    let key = if t.key.is_empty() {
        "*"
    } else {
        t.key.as_str()
    };
    match t.operator.as_str() {
        "Exists" => format!("{key}{effect} (Exists)"),
        "" | "Equal" => format!("{key}={}{effect}", t.value),
        op => format!("{key} {op} {}{effect}", t.value),
    }
}
