//! Which pods the controller counts for a DaemonSet, and on which node:
//! `pkg/controller/daemon/daemon_controller.go: getDaemonPods` (claiming through
//! `pkg/controller/controller_ref_manager.go: ClaimPods`) and `getNodesToDaemonPods`.

use std::collections::HashMap;

use crate::fasthash::FastBuild;

use crate::eligibility::labels::Selector;
use crate::model::{DaemonSet, Pod};
use crate::report::{Claim, OrphanAction, OrphanReport, PodOnMissingNode, RemovedBy};

use super::PodIndex;

/// A pod the controller counts for this DaemonSet.
pub(super) struct Claimed<'a> {
    pub pod: &'a Pod,
    pub claim: Claim,
}

/// Orphans that more than one DaemonSet would adopt, by (namespace, name), with those
/// DaemonSets (`namespace/name`, sorted).
pub(super) type Contested = HashMap<(String, String), Vec<String>>;

/// Orphans several DaemonSets would adopt. `controller_ref_manager.go: AdoptPod` patches a
/// controller reference in, and the API server rejects a second one, so the DaemonSet that syncs
/// first wins; the controller's work queue gives no order, so none is counted as the owner.
/// `adopters` are the DaemonSets that adopt (not being deleted, a valid selector that does not
/// select everything), each with its compiled selector.
pub(super) fn contested_orphans(
    adopters: &[(&DaemonSet, Selector)],
    index: &PodIndex,
) -> Contested {
    let mut matched: HashMap<(String, String), Vec<String>> = HashMap::new();
    for (ds, sel) in adopters {
        for p in adoptable(ds, sel, index) {
            matched
                .entry((p.metadata.namespace.to_string(), p.name().to_string()))
                .or_default()
                .push(format!("{}/{}", ds.namespace(), ds.name()));
        }
    }
    matched.retain(|_, ds| ds.len() > 1);
    for ds in matched.values_mut() {
        ds.sort();
    }
    matched
}

/// The orphans in the DaemonSet's namespace that `claimObject` would adopt for it: not being
/// deleted, labels matching the selector.
fn adoptable<'i, 'a>(
    ds: &DaemonSet,
    sel: &'i Selector,
    index: &'i PodIndex<'a>,
) -> impl Iterator<Item = &'a Pod> + 'i {
    index
        .orphans_by_ns
        .get(ds.namespace())
        .into_iter()
        .flatten()
        .copied()
        .filter(move |p| !p.is_terminating() && sel.matches(&p.metadata.labels))
}

/// `ClaimPods`: owned pods (controller reference with this UID, kind and name) that match are
/// counted, owned pods that no longer match are released, and orphans that match are adopted,
/// unless the pod or the DaemonSet is being deleted (`deleting`) or the selector selects
/// everything (`selects_all`: the controller refuses to adopt then), or another DaemonSet's
/// selector matches it too (`contested`: counted for none, with a warning). Releases, adoptions
/// and contests are recorded in `orphans`.
pub(super) fn claim_pods<'a>(
    ds: &DaemonSet,
    sel: &Selector,
    index: &PodIndex<'a>,
    deleting: bool,
    selects_all: bool,
    contested: &Contested,
    orphans: &mut Vec<OrphanReport>,
) -> Vec<Claimed<'a>> {
    let id = format!("{}/{}", ds.namespace(), ds.name());
    let orphan = |p: &Pod, action: OrphanAction, reason: &str| OrphanReport {
        namespace: p.metadata.namespace.to_string(),
        name: p.name().to_string(),
        node: target_node_name(p).ok().map(str::to_string),
        daemon_set: id.clone(),
        action,
        reason: reason.into(),
    };
    let owned = index.by_controller.get(ds.metadata.uid.as_str());
    let mut claimed = Vec::with_capacity(owned.map_or(0, Vec::len));
    for p in owned.into_iter().flatten() {
        let Some(r) = p.metadata.controller_ref() else {
            continue;
        };
        if p.metadata.namespace != ds.namespace() || r.kind != "DaemonSet" || r.name != ds.name() {
            continue;
        }
        if sel.matches(&p.metadata.labels) {
            claimed.push(Claimed {
                pod: p,
                claim: Claim::Owned,
            });
        } else if !deleting {
            orphans.push(orphan(
                p,
                OrphanAction::Release,
                "owned by the DaemonSet but its labels no longer match the selector: \
                 the controller releases it and no longer counts it",
            ));
        }
    }
    if !selects_all && !deleting {
        for p in adoptable(ds, sel, index) {
            let key = || (p.metadata.namespace.to_string(), p.name().to_string());
            if let Some(rivals) = (!contested.is_empty())
                .then(|| contested.get(&key()))
                .flatten()
            {
                let why = format!(
                    "has no controller and matches the selectors of {}: only one controller can \
                     adopt it (the first to sync; the API server rejects a second controller \
                     reference), so it is counted for none of them",
                    rivals.join(" and ")
                );
                orphans.push(orphan(p, OrphanAction::Contested, &why));
                continue;
            }
            claimed.push(Claimed {
                pod: p,
                claim: Claim::Adopted,
            });
            orphans.push(orphan(
                p,
                OrphanAction::Adopt,
                "has no controller and matches the DaemonSet's selector: the \
                 controller adopts it and counts it as a daemon pod",
            ));
        }
    }
    claimed
}

/// The claimed pods by the node they target (`getNodesToDaemonPods`).
#[derive(Default)]
pub(super) struct ByNode<'c, 'a> {
    /// Pods on the audited nodes, in the order of the nodes' places in `Ctx::nodes` (pods on
    /// nodes in the input that are not audited are left out); those of node `i` are
    /// `pods[starts[i]..starts[i + 1]]`, in the order they were claimed. Two vectors rather than
    /// one a node: a DaemonSet is audited on every node, twice a run (15,000 vectors each time
    /// at 15,000 nodes, nearly all of one pod).
    pub pods: Vec<&'c Claimed<'a>>,
    pub starts: Vec<usize>,
    /// Finished pods being deleted (held by a finalizer), by node: the controller ignores them.
    pub finalizing: HashMap<&'a str, Vec<&'a str>, FastBuild>,
    /// Pods whose node is not in the cluster (only when every node was read).
    pub on_missing: Vec<PodOnMissingNode>,
}

/// `getNodesToDaemonPods`: terminal pods with a deletionTimestamp are invisible; pods whose node
/// cannot be resolved are skipped (with a warning).
pub(super) fn group_by_node<'c, 'a>(
    claimed: &'c [Claimed<'a>],
    known_nodes: &super::NodeNames,
    audited_nodes: usize,
    nodes_complete: bool,
    warnings: &mut Vec<String>,
) -> ByNode<'c, 'a> {
    let mut out = ByNode::default();
    // Each pod's node place, then the pods counted and placed by it.
    let mut placed: Vec<(usize, &Claimed)> = Vec::with_capacity(claimed.len());
    for c in claimed {
        // Upstream drops finished pods that are being deleted before resolving their node.
        let finished = c.pod.is_terminal() && c.pod.is_terminating();
        let node = match target_node_name(c.pod) {
            Ok(n) => n,
            Err(_) if finished => continue,
            Err(why) => {
                warnings.push(format!(
                    "pod {} is ignored by the controller: {why}",
                    c.pod.name()
                ));
                continue;
            }
        };
        if finished {
            out.finalizing.entry(node).or_default().push(c.pod.name());
            continue;
        }
        let known = if c.pod.spec.node_name.is_empty() {
            known_nodes.get(node)
        } else {
            known_nodes.get_interned(&c.pod.spec.node_name)
        };
        let Some(place) = known else {
            if nodes_complete {
                let bound = !c.pod.spec.node_name.is_empty();
                out.on_missing.push(PodOnMissingNode {
                    pod: c.pod.name().to_string(),
                    node: node.to_string(),
                    bound,
                    removed_by: if bound {
                        RemovedBy::PodGc
                    } else {
                        RemovedBy::DaemonSetController
                    },
                });
            }
            continue;
        };
        if let Some(i) = place {
            placed.push((i, c));
        }
    }
    out.starts = vec![0; audited_nodes + 1];
    for &(i, _) in &placed {
        out.starts[i + 1] += 1;
    }
    for i in 0..audited_nodes {
        out.starts[i + 1] += out.starts[i];
    }
    let mut next = out.starts.clone();
    let mut pods: Vec<Option<&Claimed>> = vec![None; placed.len()];
    for (i, c) in placed {
        pods[next[i]] = Some(c);
        next[i] += 1;
    }
    out.pods = pods.into_iter().flatten().collect();
    out.on_missing
        .sort_by(|a, b| (&a.node, &a.pod).cmp(&(&b.node, &b.pod)));
    out
}

/// `pkg/controller/daemon/util/daemonset_util.go: GetTargetNodeName`: `spec.nodeName`, else the
/// first `matchFields metadata.name In` requirement of the required node affinity, which must
/// have exactly one value.
pub fn target_node_name(pod: &Pod) -> Result<&str, String> {
    if !pod.spec.node_name.is_empty() {
        return Ok(&pod.spec.node_name);
    }
    let terms = pod
        .spec
        .required_node_affinity()
        .map(|r| r.node_selector_terms.as_slice())
        .unwrap_or_default();
    for term in terms {
        for f in &term.match_fields {
            if f.key == "metadata.name" && f.operator == "In" {
                return match f.values.as_slice() {
                    [one] => Ok(one),
                    _ => Err(format!(
                        "its metadata.name node affinity has {} values instead of one",
                        f.values.len()
                    )),
                };
            }
        }
    }
    Err("it has no spec.nodeName and no matchFields metadata.name node affinity".into())
}

/// `pkg/controller/daemon/daemon_controller.go: podByCreationTimestampAndPhase`: bound pods
/// first, then the oldest, then by name.
pub fn controller_order(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    let key = |p: &Pod| {
        (
            p.spec.node_name.is_empty(),
            p.metadata.creation_timestamp.get().map(|t| t.as_second()),
        )
    };
    key(a).cmp(&key(b)).then_with(|| a.name().cmp(b.name()))
}
