//! The current revision of a DaemonSet and whether a pod runs it.

use crate::eligibility::labels::Selector;
use crate::model::UpdateStrategyType;
use crate::model::{ControllerRevision, DaemonSet, Pod};

/// `pkg/controller/daemon/util/daemonset_util.go: SurgeCount(ds, 1)`: 0 unless a RollingUpdate
/// sets `maxSurge`; an integer is taken as it is, a percentage of one pod rounds up
/// (`intstr.GetScaledValueFromIntOrPercent` with `roundUp`). Anything else is the error the
/// controller gets: a string without `%` ("1"), or one whose number is not an integer ("0.5%").
pub(super) fn surge_count(ds: &DaemonSet) -> Result<i64, String> {
    if ds.update_strategy() != UpdateStrategyType::RollingUpdate {
        return Ok(0);
    }
    let surge = ds
        .spec
        .update_strategy
        .rolling_update
        .as_ref()
        .and_then(|r| r.max_surge.as_ref());
    match surge {
        None | Some(serde_json::Value::Null) => Ok(0),
        Some(serde_json::Value::Number(n)) => {
            n.as_i64().ok_or_else(|| format!("{n} is not an integer"))
        }
        Some(serde_json::Value::String(s)) => {
            let Some(number) = s.strip_suffix('%') else {
                return Err(format!("{s:?} is a string but not a percentage"));
            };
            // Go's strconv.Atoi: an optional sign and decimal digits, nothing else.
            let digits = number.strip_prefix(['+', '-']).unwrap_or(number);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("{s:?} is not a whole-number percentage"));
            }
            let percent: i64 = number
                .trim_start_matches('+')
                .parse()
                .map_err(|_| format!("{s:?} is out of range"))?;
            // ceil(percent × 1 / 100)
            Ok((percent as f64 / 100.0).ceil() as i64)
        }
        Some(other) => Err(format!("{other} is neither an integer nor a percentage")),
    }
}

/// `pkg/controller/daemon/util/daemonset_util.go: AllowsSurge`: `SurgeCount(ds, 1)` succeeds and
/// is above zero. The error, when the controller cannot scale `maxSurge`, is returned for the
/// warning (the DaemonSet then behaves as without surge).
fn allows_surge(ds: &DaemonSet) -> (bool, Option<String>) {
    match surge_count(ds) {
        Ok(n) => (n > 0, None),
        Err(why) => (false, Some(why)),
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
/// DaemonSet controls (or would adopt, `controlledHistories`: an orphan being deleted is never
/// adopted, `controller_ref_manager.go: claimObject`), every one whose template equals the
/// DaemonSet's (`Match`) is current; of several, `dedupCurHistories` keeps the highest
/// `revision`. Its hash is its `controller-revision-hash` label (the controller sets the label
/// to the revision's name when it is missing). None matching: the controller has not recorded
/// the template yet, so the hash is not known.
pub(super) fn current_revision(
    ds: &DaemonSet,
    revisions: &[ControllerRevision],
    selector: Option<&Selector>,
    adopt: bool,
) -> CurrentRevision {
    let controlled: Vec<&ControllerRevision> = revisions
        .iter()
        .filter(|r| r.metadata.namespace == ds.namespace())
        .filter(|r| {
            let labels_match = selector.is_some_and(|s| s.matches(&r.metadata.labels));
            match r.metadata.controller_ref() {
                Some(c) => c.uid == ds.metadata.uid && labels_match,
                None => adopt && labels_match && r.metadata.deletion_timestamp.is_none(),
            }
        })
        .collect();
    let by_number = |a: &&&ControllerRevision, b: &&&ControllerRevision| {
        a.revision
            .cmp(&b.revision)
            .then_with(|| a.metadata.name.cmp(&b.metadata.name))
    };
    let current = controlled
        .iter()
        .filter(|r| matches_template(ds, r))
        .max_by(by_number);
    let Some(current) = current else {
        let Some(newest) = controlled.iter().max_by(by_number) else {
            return CurrentRevision {
                hash: None,
                warning: None,
                template_differs: false,
            };
        };
        let warning = if ds.from_manifest {
            format!(
                "the manifest changes the pod template (applied: revision {}): applying it \
                 replaces every existing pod",
                newest.revision
            )
        } else {
            format!(
                "no ControllerRevision matches the current template (the newest, {}, is \
                 revision {}): the controller has not recorded the latest change yet, so \
                 outdated pods cannot be told by revision hash",
                newest.metadata.name, newest.revision
            )
        };
        return CurrentRevision {
            hash: None,
            warning: Some(warning),
            template_differs: true,
        };
    };
    match current.metadata.labels.get("controller-revision-hash") {
        Some(h) if !h.is_empty() => CurrentRevision {
            hash: Some(h.clone()),
            warning: None,
            template_differs: false,
        },
        // constructHistory labels a revision that lacks the label with its own name.
        None => CurrentRevision {
            hash: Some(current.metadata.name.clone()),
            warning: None,
            template_differs: false,
        },
        Some(_) => CurrentRevision {
            hash: None,
            warning: Some(format!(
                "ControllerRevision {} has an empty controller-revision-hash label",
                current.metadata.name
            )),
            template_differs: false,
        },
    }
}

/// `pkg/controller/daemon/update.go: Match`: the revision records the DaemonSet's template.
fn matches_template(ds: &DaemonSet, r: &ControllerRevision) -> bool {
    r.data.pointer("/spec/template").is_some_and(|t| {
        if ds.from_manifest {
            // A manifest lacks the API server's defaults: unchanged means every field it sets
            // has the applied value.
            subset(&ds.template_raw, t)
        } else {
            same(t, &ds.template_raw)
        }
    })
}

/// A member that counts: `null` members and the strategic-merge `$patch` directive are left
/// out, so that a template read back from a revision compares equal to the one in the
/// DaemonSet.
fn kept(key: &str, v: &serde_json::Value) -> bool {
    !v.is_null() && key != "$patch"
}

/// The members of `x` that count ([`kept`]).
fn members(
    x: &serde_json::Map<String, serde_json::Value>,
) -> impl Iterator<Item = (&String, &serde_json::Value)> {
    x.iter().filter(|(k, v)| kept(k, v))
}

/// `a` and `b` are equal but for the members that do not count ([`kept`]); compared in place
/// (both templates were cloned to compare them, 5 % of an audit's instructions).
fn same(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            members(x).count() == members(y).count()
                && members(x).all(|(k, v)| y.get(k).is_some_and(|w| kept(k, w) && same(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| same(v, w))
        }
        _ => a == b,
    }
}

/// Every member of `a` that counts ([`kept`]) has the same value in `b` (lists element by
/// element, same length).
fn subset(a: &serde_json::Value, b: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            members(x).all(|(k, v)| y.get(k).is_some_and(|w| kept(k, w) && subset(v, w)))
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(v, w)| subset(v, w))
        }
        _ => a == b,
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
    /// `maxSurge` is set but the controller cannot scale it (`SurgeCount` errors): why.
    pub surge_error: Option<String>,
}

impl UpdateCheck {
    pub fn new(ds: &DaemonSet, revision: &CurrentRevision) -> UpdateCheck {
        let manifest_replaces = ds.from_manifest && revision.template_differs;
        let template_generation = if manifest_replaces {
            None
        } else {
            ds.template_generation()
        };
        let (surge, surge_error) = allows_surge(ds);
        UpdateCheck {
            manifest_replaces,
            hash: revision.hash.clone(),
            template_generation,
            generation_label: template_generation.map(|g| g.to_string()),
            surge,
            surge_error,
        }
    }

    /// `podsShouldBeOnNode` with surge: the pod carries the current revision's
    /// `controller-revision-hash` (the template generation plays no part). `None` when the current
    /// hash is not known; a pod without the label is never new.
    pub fn is_new_revision(&self, p: &Pod) -> Option<bool> {
        if self.manifest_replaces {
            return Some(false);
        }
        let hash = self.hash.as_deref()?;
        Some(
            p.metadata
                .labels
                .get("controller-revision-hash")
                .map(String::as_str)
                == Some(hash),
        )
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

#[cfg(test)]
mod tests {
    use super::{same, subset};
    use serde_json::{Value, json};

    /// The comparison as it was made before: both sides cloned without the members that do not
    /// count, then compared whole.
    fn normalized(v: &Value) -> Value {
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

    fn reference_subset(a: &Value, b: &Value) -> bool {
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => x
                .iter()
                .all(|(k, v)| y.get(k).is_some_and(|w| reference_subset(v, w))),
            (Value::Array(x), Value::Array(y)) => {
                x.len() == y.len() && x.iter().zip(y).all(|(v, w)| reference_subset(v, w))
            }
            _ => a == b,
        }
    }

    #[test]
    fn templates_compare_in_place_as_their_normalized_copies_do() {
        let base = json!({
            "metadata": {"labels": {"app": "a"}, "annotations": null},
            "spec": {
                "$patch": "replace",
                "containers": [{"name": "c", "image": "i:1", "args": null, "ports": [{"containerPort": 80}]}],
                "nodeSelector": {"disk": "ssd"},
                "tolerations": [null, {"operator": "Exists"}]
            }
        });
        let variants = [
            base.clone(),
            json!({
                "metadata": {"labels": {"app": "a"}},
                "spec": {
                    "containers": [{"name": "c", "image": "i:1", "ports": [{"containerPort": 80}]}],
                    "nodeSelector": {"disk": "ssd"},
                    "tolerations": [null, {"operator": "Exists"}]
                }
            }),
            json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i:2"}]}}),
            json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i:1"}]}}),
            json!({"metadata": {"labels": {"app": "a", "extra": null}}, "spec": {"containers": []}}),
            json!({"metadata": {"labels": {"app": "a"}}, "spec": {"containers": [{"name": "c", "image": "i:1", "args": []}]}}),
            json!({"metadata": {"labels": null}, "spec": null}),
            json!({"metadata": {}, "spec": {"$patch": "replace"}}),
            json!({"metadata": {"labels": {"app": "a"}}, "spec": {"nodeSelector": {"disk": null}}}),
            json!({"metadata": {"labels": {"app": "a"}}, "spec": {"nodeSelector": {}}}),
            json!([1, null, {"a": null}]),
            json!([1, null, {}]),
            json!(null),
            json!("x"),
        ];
        let mut equal_pairs = 0;
        for a in &variants {
            for b in &variants {
                let want = normalized(a) == normalized(b);
                equal_pairs += usize::from(want);
                assert_eq!(same(a, b), want, "same({a}, {b})");
                assert_eq!(
                    subset(a, b),
                    reference_subset(&normalized(a), &normalized(b)),
                    "subset({a}, {b})"
                );
            }
        }
        // Not only the diagonal is equal: the cases exercise what does not count.
        assert!(equal_pairs > variants.len() + 4, "{equal_pairs}");
    }
}
