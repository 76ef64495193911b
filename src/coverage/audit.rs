//! One DaemonSet against every node, in named steps: check its selector, claim its pods, group
//! them by node, find the current revision, decide each (DaemonSet, node) pair, then compare the
//! status numbers and group the excluded nodes.

use std::collections::BTreeMap;

use crate::eligibility::labels::Selector;
use crate::eligibility::{Placement, Verdict};
use crate::model::{DaemonSet, Node, Pod};
use crate::reason::{Reason, Rule};
use crate::report::{
    ComputedStatus, Counts, DaemonSetReport, Exclusion, OrphanReport, PairReport, PlacementSummary,
    PodReport, State,
};

use super::claim::{self, Claimed, controller_order};
use super::reasons;
use super::revision::{self, UpdateCheck};
use super::status;
use super::{Ctx, PodIndex};

pub(super) fn audit_daemon_set(
    ctx: &Ctx,
    ds: &DaemonSet,
    index: &PodIndex,
    orphans: &mut Vec<OrphanReport>,
) -> DaemonSetReport {
    let mut warnings = Vec::new();
    let deleting = ds.metadata.deletion_timestamp.is_some();
    let selects_all = ds.selector().is_empty();
    let selector = check_selector(ds, &mut warnings);

    let claimed = match &selector {
        Some(sel) => claim::claim_pods(ds, sel, index, deleting, selects_all, orphans),
        None => Vec::new(),
    };
    let mut by_node =
        claim::group_by_node(&claimed, ctx.known_nodes, ctx.nodes_complete, &mut warnings);

    // A DaemonSet being deleted adopts nothing, revisions included.
    let revision = revision::current_revision(ds, ctx.revisions, selector.as_ref(), !deleting);
    if let Some(w) = &revision.warning {
        warnings.push(w.clone());
    }
    let updates = UpdateCheck::new(ds, &revision);

    let nodes = audit_nodes(ctx, ds, &mut by_node, &updates);

    let controller_status = status::read(ds);
    let status_agrees = match &controller_status {
        Some(cs) if !ctx.nodes_restricted && !deleting && !selects_all && selector.is_some() => {
            Some(status::agrees(
                cs,
                &nodes.status,
                updates.unknowable(),
                &mut warnings,
            ))
        }
        _ => None,
    };

    DaemonSetReport {
        namespace: ds.namespace().to_string(),
        name: ds.name().to_string(),
        uid: ds.metadata.uid.clone(),
        from_manifest: ds.from_manifest,
        update_strategy: ds.update_strategy(),
        current_revision: updates.hash,
        placement: PlacementSummary::of(ds),
        counts: nodes.counts,
        computed_status: nodes.status,
        controller_status,
        status_agrees,
        nodes: nodes.pairs,
        exclusions: group_exclusions(nodes.exclusions),
        pods_on_missing_nodes: by_node.on_missing,
        warnings,
    }
}

/// `LabelSelectorAsSelector` on `spec.selector`, with the warnings about a selector the
/// controller will not sync with (`pkg/controller/daemon/daemon_controller.go: syncDaemonSet`
/// refuses an invalid or empty selector) and about a DaemonSet being deleted.
fn check_selector(ds: &DaemonSet, warnings: &mut Vec<String>) -> Option<Selector> {
    let label_selector = ds.selector();
    let selector = match Selector::from_label_selector(&label_selector) {
        Ok(s) => Some(s),
        Err(e) => {
            warnings.push(format!(
                "spec.selector is invalid ({e}); the controller cannot sync this DaemonSet"
            ));
            None
        }
    };
    if label_selector.is_empty() {
        warnings.push(
            "spec.selector is empty and selects every pod: the controller refuses to manage \
             this DaemonSet (SelectingAll) and does not update its status"
                .to_string(),
        );
    }
    if ds.metadata.deletion_timestamp.is_some() {
        warnings.push(
            "the DaemonSet is being deleted: the controller no longer creates pods or updates \
             its status"
                .to_string(),
        );
    }
    selector
}

/// What the pass over the nodes gives.
struct NodesAudit {
    pairs: Vec<PairReport>,
    counts: Counts,
    status: ComputedStatus,
    /// (rule, reason without the node's details) → the nodes it excludes.
    exclusions: BTreeMap<(Rule, String), Vec<String>>,
}

/// Every node: the placement verdict, the status numbers, the pair's state and reasons.
fn audit_nodes(
    ctx: &Ctx,
    ds: &DaemonSet,
    by_node: &mut claim::ByNode,
    updates: &UpdateCheck,
) -> NodesAudit {
    let placement = Placement::compile(ds, ctx.opts.comparison_operators);
    let mut out = NodesAudit {
        pairs: Vec::new(),
        counts: Counts::default(),
        status: ComputedStatus::default(),
        exclusions: BTreeMap::new(),
    };
    for node in ctx.nodes {
        let verdict = placement.evaluate(node);
        let mut pods: Vec<&Claimed> = by_node.pods.remove(node.name()).unwrap_or_default();
        pods.sort_by(|a, b| controller_order(a.pod, b.pod));
        let first = pods.first().map(|c| c.pod);
        let updated = first.and_then(|p| updates.is_updated(p));
        let outdated = updated.is_some_and(|u| !u);
        status::count(
            &mut out.status,
            verdict.should_run,
            first,
            updated.unwrap_or(false),
            ds,
            ctx.opts.now,
        );

        // Ineligible pairs without pods are left out of the report unless asked for: their
        // reasons (a clone of the verdict's) would be built for nothing.
        let left_out = !verdict.should_run && pods.is_empty() && !ctx.opts.include_ineligible;
        let (state, mut reasons) = if left_out {
            (State::Ineligible, Vec::new())
        } else {
            reasons::classify(node, &verdict, &pods, ctx.opts.now, &by_node.finalizing)
        };
        if ds.from_manifest && state == State::Missing {
            reasons = reasons::manifest_missing();
        }
        out.counts.add(state, outdated);
        if !verdict.should_run {
            for r in &verdict.reasons {
                out.exclusions
                    .entry((r.rule, reasons::without_node_details(&r.message)))
                    .or_default()
                    .push(node.name().to_string());
            }
        }
        if state == State::Ineligible && !ctx.opts.include_ineligible {
            continue;
        }
        out.pairs.push(pair_report(
            node, &verdict, &pods, state, reasons, outdated, updates,
        ));
    }
    status::finish(&mut out.status);
    out.counts.finish();
    out
}

/// One reported pair: which of its live pods the controller keeps, and the reasons about
/// extras, a surge rollout and an outdated pod added to the state's own.
fn pair_report(
    node: &Node,
    verdict: &Verdict,
    pods: &[&Claimed],
    state: State,
    mut reasons: Vec<Reason>,
    outdated: bool,
    updates: &UpdateCheck,
) -> PairReport {
    let live: Vec<&Pod> = pods
        .iter()
        .map(|c| c.pod)
        .filter(|p| !p.is_terminal() && !p.is_terminating())
        .collect();
    let kept = kept_pods(&live, updates);
    let extras: Vec<&str> = live
        .iter()
        .map(|p| p.name())
        .filter(|n| !kept.contains(n))
        .collect();
    reasons.extend(reasons::kept_pods_reason(
        live.len(),
        &kept,
        extras.len(),
        updates.surge,
    ));
    if outdated && let Some(c) = pods.first() {
        reasons.push(Reason::new(
            Rule::Revision,
            reasons::outdated_message(c.pod, updates.hash.as_deref(), updates.template_generation),
        ));
    }
    PairReport {
        node: node.name().to_string(),
        state,
        eligible: verdict.should_run,
        removed_by_controller: (state == State::Misscheduled)
            .then_some(!verdict.should_continue_running),
        outdated,
        duplicates: extras.len(),
        terminating: pods.iter().any(|c| c.pod.is_terminating()),
        reasons,
        pods: pods
            .iter()
            .map(|c| pod_report(c, extras.contains(&c.pod.name())))
            .collect(),
        unscheduled: pods
            .first()
            .filter(|_| state == State::Pending)
            .and_then(|c| reasons::unscheduled(c.pod)),
    }
}

/// `pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode`: the live pods the
/// controller keeps. Without surge: the first in the controller's order. With surge
/// (RollingUpdate and maxSurge > 0): the oldest on the current revision and the oldest on an
/// older one, so a rollout's new pod is not an extra.
fn kept_pods<'a>(live: &[&'a Pod], updates: &UpdateCheck) -> Vec<&'a str> {
    if updates.surge {
        let newest = live.iter().find(|p| updates.is_updated(p).unwrap_or(true));
        let older = live.iter().find(|p| !updates.is_updated(p).unwrap_or(true));
        newest.into_iter().chain(older).map(|p| p.name()).collect()
    } else {
        live.first().map(|p| p.name()).into_iter().collect()
    }
}

/// Excluded nodes grouped by reason, the largest group first.
fn group_exclusions(exclusions: BTreeMap<(Rule, String), Vec<String>>) -> Vec<Exclusion> {
    let mut out: Vec<Exclusion> = exclusions
        .into_iter()
        .map(|((rule, message), nodes)| Exclusion {
            reason: Reason { rule, message },
            count: nodes.len(),
            nodes,
        })
        .collect();
    out.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.reason.message.cmp(&b.reason.message))
    });
    out
}

/// A daemon pod as the report shows it.
fn pod_report(c: &Claimed, duplicate: bool) -> PodReport {
    let p = c.pod;
    PodReport {
        duplicate,
        name: p.name().to_string(),
        uid: p.metadata.uid.clone(),
        phase: if p.status.phase.is_empty() {
            "Unknown".into()
        } else {
            p.status.phase.to_string()
        },
        ready: p.is_ready(),
        restarts: p.restarts(),
        revision: p.metadata.labels.get("controller-revision-hash").cloned(),
        created_at: p.metadata.creation_timestamp,
        terminating: p.is_terminating(),
        claim: c.claim,
    }
}
