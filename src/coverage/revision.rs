//! The current revision of a DaemonSet and whether a pod runs it.

use crate::eligibility::labels::Selector;
use crate::model::UpdateStrategyType;
use crate::model::{ControllerRevision, DaemonSet, Pod};

/// `pkg/controller/daemon/util/daemonset_util.go: AllowsSurge`: a RollingUpdate with a non-zero
/// `maxSurge` (an integer, or a percentage, which rounds up to at least one pod when it is above
/// zero).
fn allows_surge(ds: &DaemonSet) -> bool {
    if ds.update_strategy() != UpdateStrategyType::RollingUpdate {
        return false;
    }
    let surge = ds
        .spec
        .update_strategy
        .rolling_update
        .as_ref()
        .and_then(|r| r.max_surge.as_ref());
    match surge {
        Some(serde_json::Value::Number(n)) => n.as_f64().is_some_and(|v| v > 0.0),
        Some(serde_json::Value::String(s)) => s
            .trim_end_matches('%')
            .trim()
            .parse::<f64>()
            .is_ok_and(|v| v > 0.0),
        _ => false,
    }
}

/// `pkg/controller/daemon/util/daemonset_util.go: IsPodUpdated`: the pod carries the current
/// revision's `controller-revision-hash`, or the template generation as `pod-template-generation`.
pub fn is_pod_updated(pod: &Pod, hash: Option<&str>, template_generation: Option<i64>) -> bool {
    let generation = template_generation.map(|g| g.to_string());
    pod_is_updated(pod, hash, generation.as_deref())
}

/// [`is_pod_updated`] with the template generation already in label form (once per DaemonSet,
/// not once per pod).
fn pod_is_updated(pod: &Pod, hash: Option<&str>, generation: Option<&str>) -> bool {
    let labels = &pod.metadata.labels;
    let by_hash = hash.is_some_and(|h| {
        !h.is_empty() && labels.get("controller-revision-hash").map(String::as_str) == Some(h)
    });
    let by_generation = generation.is_some_and(|g| {
        labels
            .get("pod-template-generation")
            .is_some_and(|v| v == g)
    });
    by_hash || by_generation
}

pub(super) struct CurrentRevision {
    pub hash: Option<String>,
    pub warning: Option<String>,
    /// The newest revision's template differs from the DaemonSet's.
    pub template_differs: bool,
}

/// `pkg/controller/daemon/update.go: constructHistory`: among the ControllerRevisions the
/// DaemonSet controls (or would adopt, `controlledHistories`), the highest `revision` is current
/// if its template equals the DaemonSet's (`Match`); its hash is the `controller-revision-hash`
/// label. Anything else means "not known yet".
pub(super) fn current_revision(
    ds: &DaemonSet,
    revisions: &[ControllerRevision],
    selector: Option<&Selector>,
    adopt: bool,
) -> CurrentRevision {
    let newest = revisions
        .iter()
        .filter(|r| r.metadata.namespace == ds.namespace())
        .filter(|r| {
            let labels_match = selector.is_some_and(|s| s.matches(&r.metadata.labels));
            match r.metadata.controller_ref() {
                Some(c) => c.uid == ds.metadata.uid && labels_match,
                None => adopt && labels_match,
            }
        })
        .max_by(|a, b| {
            a.revision
                .cmp(&b.revision)
                .then_with(|| a.metadata.name.cmp(&b.metadata.name))
        });
    let Some(newest) = newest else {
        return CurrentRevision {
            hash: None,
            warning: None,
            template_differs: false,
        };
    };
    let recorded = newest.data.pointer("/spec/template");
    let matches = recorded.is_some_and(|t| {
        if ds.from_manifest {
            // A manifest lacks the API server's defaults: unchanged means every field it sets
            // has the applied value.
            subset(&normalized(&ds.template_raw), &normalized(t))
        } else {
            normalized(t) == normalized(&ds.template_raw)
        }
    });
    if !matches {
        let warning = if ds.from_manifest {
            format!(
                "the manifest changes the pod template (applied: revision {}): applying it \
                 replaces every existing pod",
                newest.revision
            )
        } else {
            format!(
                "the newest ControllerRevision {} (revision {}) does not match the current \
                 template: the controller has not recorded the latest change yet, so outdated \
                 pods cannot be told by revision hash",
                newest.metadata.name, newest.revision
            )
        };
        return CurrentRevision {
            hash: None,
            warning: Some(warning),
            template_differs: true,
        };
    }
    match newest.metadata.labels.get("controller-revision-hash") {
        Some(h) if !h.is_empty() => CurrentRevision {
            hash: Some(h.clone()),
            warning: None,
            template_differs: false,
        },
        _ => CurrentRevision {
            hash: None,
            warning: Some(format!(
                "ControllerRevision {} has no controller-revision-hash label",
                newest.metadata.name
            )),
            template_differs: false,
        },
    }
}

/// Every field `a` sets has the same value in `b` (lists element by element, same length).
fn subset(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x
            .iter()
            .all(|(k, v)| y.get(k).is_some_and(|w| subset(v, w))),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| subset(v, w))
        }
        _ => a == b,
    }
}

/// A JSON value with `null` members and the strategic-merge `$patch` directive removed, so a
/// template read back from a revision compares equal to the one in the DaemonSet.
fn normalized(v: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match v {
        Value::Object(m) => Value::Object(
            m.iter()
                .filter(|(k, v)| !v.is_null() && k.as_str() != "$patch")
                .map(|(k, v)| (k.clone(), normalized(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.iter().map(normalized).collect()),
        other => other.clone(),
    }
}

/// Whether a pod runs the current template, decided once per DaemonSet.
pub(super) struct UpdateCheck {
    /// A manifest that changes the applied template: every existing pod would be replaced.
    manifest_replaces: bool,
    pub hash: Option<String>,
    /// The template generation (`None` when the manifest replaces every pod).
    pub template_generation: Option<i64>,
    generation_label: Option<String>,
    /// The rollout may run two pods on a node (`AllowsSurge`).
    pub surge: bool,
}

impl UpdateCheck {
    pub fn new(ds: &DaemonSet, revision: &CurrentRevision) -> UpdateCheck {
        let manifest_replaces = ds.from_manifest && revision.template_differs;
        let template_generation = if manifest_replaces {
            None
        } else {
            ds.template_generation()
        };
        UpdateCheck {
            manifest_replaces,
            hash: revision.hash.clone(),
            template_generation,
            generation_label: template_generation.map(|g| g.to_string()),
            surge: allows_surge(ds),
        }
    }

    /// Neither a revision hash nor a template generation: "updated" cannot be told.
    pub fn unknowable(&self) -> bool {
        self.hash.is_none() && self.template_generation.is_none()
    }

    /// `Some(updated)`, or `None` when it cannot be told.
    pub fn is_updated(&self, p: &Pod) -> Option<bool> {
        if self.manifest_replaces {
            return Some(false);
        }
        if self.unknowable() {
            return None;
        }
        Some(pod_is_updated(
            p,
            self.hash.as_deref(),
            self.generation_label.as_deref(),
        ))
    }
}
