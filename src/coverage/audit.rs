//! One DaemonSet against every node, in named steps: check its selector, claim its pods, group
//! them by node, find the current revision, decide each (DaemonSet, node) pair, then compare the
//! status numbers and group the excluded nodes.

use std::collections::BTreeMap;

use crate::eligibility::labels::Selector;
use crate::eligibility::{Placement, Verdict};
use crate::model::{DaemonSet, Pod};
use crate::reason::{Reason, Rule};
use crate::report::{
    ComputedStatus, Counts, DaemonSetReport, Exclusion, OrphanAction, OrphanReport, PairReport,
    PlacementSummary, PodReport, State,
};

use super::claim::{self, Claimed, controller_order};
use super::reasons;
use super::revision::{self, UpdateCheck};
use super::status;
use super::{Ctx, PodIndex};

/// One DaemonSet's report, its Missing and Misscheduled nodes in `marks`; without `keep_pairs`
/// only counted: its `nodes` and `exclusions` are left empty (nothing is built for a pair).
pub(super) fn audit_daemon_set(
    ctx: &Ctx,
    ds: &DaemonSet,
    index: &PodIndex,
    orphans: &mut Vec<OrphanReport>,
    marks: &mut Vec<(String, State)>,
    keep_pairs: bool,
) -> DaemonSetReport {
    if let Some(reason) = ctx.unreadable_pods.get(ds.namespace()) {
        return unknown(ds, reason);
    }
    let mut warnings = Vec::new();
    let deleting = ds.metadata.deletion_timestamp.is_some();
    let selects_all = ds.selector().is_empty();
    let selector = check_selector(ds, &mut warnings);

    let claimed = match &selector {
        Some(sel) => claim::claim_pods(
            ds,
            sel,
            index,
            deleting,
            selects_all,
            ctx.contested,
            orphans,
        ),
        None => Vec::new(),
    };
    for o in orphans.iter() {
        if o.action == OrphanAction::Contested {
            warnings.push(format!(
                "pod {} is contested: it {}; make the selectors disjoint",
                o.name, o.reason
            ));
        }
    }
    let mut by_node = claim::group_by_node(
        &claimed,
        ctx.known_nodes,
        ctx.nodes.len(),
        ctx.nodes_complete,
        &mut warnings,
    );

    // A DaemonSet being deleted adopts nothing, revisions included.
    let revision = revision::current_revision(ds, ctx.revisions, selector.as_ref(), !deleting);
    if let Some(w) = &revision.warning {
        warnings.push(w.clone());
    }
    // Revisions readable elsewhere but not here: this DaemonSet alone degrades (the report-wide
    // warning covers the case where none could be read).
    if !ctx.revisions.is_empty()
        && let Some(reason) = ctx.unreadable_revisions.get(ds.namespace())
    {
        warnings.push(format!(
            "its ControllerRevisions could not be read ({reason}): outdated pods are found \
             through the pod-template-generation label only"
        ));
    }
    let updates = UpdateCheck::new(ds, &revision);
    if let Some(why) = &updates.surge_error {
        warnings.push(format!(
            "maxSurge {why}: the controller cannot scale it (SurgeCount fails), so it treats the \
             DaemonSet as without surge (one pod per node) and its rolling update stops with \
             \"invalid value for MaxSurge\""
        ));
    }

    let nodes = audit_nodes(ctx, ds, &mut by_node, &updates, marks, keep_pairs);

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
        unknown: None,
    }
}

/// A DaemonSet whose pods could not be read: its pairs are not judged (no Missing pair is
/// invented from an absence of pods that may be there); the placement and the status as read
/// are still shown.
fn unknown(ds: &DaemonSet, reason: &str) -> DaemonSetReport {
    DaemonSetReport {
        namespace: ds.namespace().to_string(),
        name: ds.name().to_string(),
        uid: ds.metadata.uid.clone(),
        from_manifest: ds.from_manifest,
        update_strategy: ds.update_strategy(),
        current_revision: None,
        placement: PlacementSummary::of(ds),
        counts: Counts::default(),
        computed_status: ComputedStatus::default(),
        controller_status: status::read(ds),
        status_agrees: None,
        nodes: Vec::new(),
        exclusions: Vec::new(),
        pods_on_missing_nodes: Vec::new(),
        warnings: Vec::new(),
        unknown: Some(crate::report::Unknown {
            reason: reason.to_string(),
        }),
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
    /// (rule, reason without the node's details) → how many nodes it excludes, and those of
    /// them the report names (all of them unless `Options::pairs` says otherwise).
    exclusions: BTreeMap<(Rule, String), (usize, Vec<String>)>,
}

/// Every node: the placement verdict, the status numbers, the pair's state and reasons.
fn audit_nodes(
    ctx: &Ctx,
    ds: &DaemonSet,
    by_node: &mut claim::ByNode,
    updates: &UpdateCheck,
    marks: &mut Vec<(String, State)>,
    keep_pairs: bool,
) -> NodesAudit {
    let placement = Placement::compile(ds, ctx.opts.comparison_operators);
    let mut out = NodesAudit {
        pairs: Vec::new(),
        counts: Counts::default(),
        status: ComputedStatus::default(),
        exclusions: BTreeMap::new(),
    };
    // One verdict per class of alike nodes where the placement allows it (see `NodeClasses`).
    let shared = ctx.classes.shared_by(&placement);
    let mut verdicts: Vec<Option<Verdict>> = match shared {
        true => vec![None; ctx.classes.count()],
        false => Vec::new(),
    };
    if keep_pairs && ctx.opts.pairs == super::Pairs::All {
        out.pairs.reserve(ctx.nodes.len());
    }
    for (i, node) in ctx.nodes.iter().enumerate() {
        let name = ctx.node_names.get(i);
        if let Some(&[from, to]) = by_node
            .starts
            .get(i + PREFETCH_AHEAD..i + PREFETCH_AHEAD + 2)
        {
            by_node.pods[from..to].iter().for_each(|c| prefetch(c.pod));
        }
        let own;
        let verdict: &Verdict = if shared {
            verdicts[ctx.classes.of(i)].get_or_insert_with(|| placement.evaluate(node))
        } else {
            own = placement.evaluate(node);
            &own
        };
        let pods = &mut by_node.pods[by_node.starts[i]..by_node.starts[i + 1]];
        pods.sort_by(|a, b| controller_order(a.pod, b.pod));
        let pods: &[&Claimed] = pods;
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
            reasons::classify(node, verdict, pods, ctx.opts.now, &by_node.finalizing)
        };
        if ds.from_manifest && state == State::Missing {
            reasons = reasons::manifest_missing();
        }
        out.counts.add(state, outdated);
        if matches!(state, State::Missing | State::Misscheduled) {
            marks.push((name.to_string(), state));
        }
        if !keep_pairs {
            continue;
        }
        if !verdict.should_run {
            let named = ctx.opts.pairs.names_excluded(name);
            for r in &verdict.reasons {
                let (count, nodes) = out
                    .exclusions
                    .entry((r.rule, reasons::without_node_details(&r.message)))
                    .or_default();
                *count += 1;
                if named {
                    nodes.push(name.to_string());
                }
            }
        }
        if state == State::Ineligible && !ctx.opts.include_ineligible {
            continue;
        }
        let pair = pair_report(
            name,
            verdict,
            pods,
            state,
            reasons,
            outdated,
            updates,
            ctx.opts.now,
            ds.spec.min_ready_seconds,
        );
        // Left out here, on the DaemonSet's thread, the pair is never collected.
        if ctx.opts.pairs.keeps(ds.from_manifest, &pair, ctx.opts.now) {
            out.pairs.push(pair);
        }
    }
    status::finish(&mut out.status);
    out.counts.finish();
    out
}

/// How many nodes ahead of the one being audited its pods are asked into the cache.
const PREFETCH_AHEAD: usize = 8;

/// Asks the CPU to bring `r` into its cache. The pods of a node are read in node order, which
/// is no order in memory: each read of a pod missed the cache.
fn prefetch<T>(r: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let p = (r as *const T).cast::<i8>();
        for offset in (0..size_of::<T>()).step_by(64) {
            // SAFETY: a prefetch never faults and reads nothing; the address is within `r`.
            unsafe { _mm_prefetch::<_MM_HINT_T0>(p.wrapping_add(offset)) }
        }
    }
    // Elsewhere (the aarch64 release builds) a hint only: nothing is asked.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = r;
}

/// One reported pair: what the controller does next with its pods (`next_action`), and the
/// reasons about extras, a surge rollout and an outdated pod added to the state's own.
#[allow(clippy::too_many_arguments)]
fn pair_report(
    node: &str,
    verdict: &Verdict,
    pods: &[&Claimed],
    state: State,
    mut reasons: Vec<Reason>,
    outdated: bool,
    updates: &UpdateCheck,
    now: jiff::Timestamp,
    min_ready_seconds: i64,
) -> PairReport {
    let next = next_action(verdict, pods, updates, now, min_ready_seconds);
    reasons.extend(next.reasons);
    if outdated && let Some(c) = pods.first() {
        reasons.push(Reason::new(
            Rule::Revision,
            reasons::outdated_message(c.pod, updates.hash.as_deref(), updates.template_generation),
        ));
    }
    PairReport {
        node: node.to_string(),
        state,
        eligible: verdict.should_run,
        removed_by_controller: (state == State::Misscheduled).then_some(next.removes_all),
        outdated,
        duplicates: next.extras.len(),
        terminating: pods.iter().any(|c| c.pod.is_terminating()),
        reasons,
        pods: pods
            .iter()
            .map(|c| pod_report(c, next.extras.contains(&c.pod.name())))
            .collect(),
        unscheduled: pods
            .first()
            .filter(|_| state == State::Pending)
            .and_then(|c| reasons::unscheduled(c.pod)),
        surge_creates: next.surge_creates,
    }
}

/// What `pkg/controller/daemon/daemon_controller.go: podsShouldBeOnNode` does with one node's pods.
struct NextAction<'a> {
    /// Running pods deleted because more run than the controller keeps (duplicates).
    extras: Vec<&'a str>,
    /// No pod is left once the controller is done (Misscheduled pairs: `removedByController`).
    removes_all: bool,
    /// Surge: a pod is created now although the node has pods (all being deleted or finished).
    surge_creates: bool,
    reasons: Vec<Reason>,
}

/// `podsShouldBeOnNode`, past the pods already being deleted (it skips them):
/// - not shouldContinueRunning (an untolerated NoExecute taint, a rule the node no longer meets):
///   every pod is deleted;
/// - shouldContinueRunning: Failed pods (after a backoff) and Succeeded pods are deleted; of the
///   running ones, without surge the first in the controller's order is kept and the rest deleted;
///   with surge (`AllowsSurge`) the oldest pod whose `controller-revision-hash` is the current
///   hash and the oldest other one are kept, the rest deleted, and the old one goes too once it
///   is not ready or the new one is available at the evaluation instant; a node left with no
///   running pod gets a new one at once.
fn next_action<'a>(
    verdict: &Verdict,
    pods: &[&Claimed<'a>],
    updates: &UpdateCheck,
    now: jiff::Timestamp,
    min_ready_seconds: i64,
) -> NextAction<'a> {
    let mut next = NextAction {
        extras: Vec::new(),
        removes_all: false,
        surge_creates: false,
        reasons: Vec::new(),
    };
    if !verdict.should_continue_running {
        // The Misscheduled reason already says every pod goes.
        next.removes_all = true;
        return next;
    }
    // `pods` is in the controller's order already (podByCreationTimestampAndPhase).
    let mut live = pods
        .iter()
        .map(|c| c.pod)
        .filter(|p| !p.is_terminating() && !p.is_terminal());
    if !updates.surge {
        // (Nearly every pair: one pod, kept; nothing is collected for it.)
        let keep = live.next();
        next.removes_all = keep.is_none();
        next.extras = live.map(|p| p.name()).collect();
        if let Some(keep) = keep
            && !next.extras.is_empty()
        {
            next.reasons.push(Reason::new(
                Rule::Duplicate,
                format!(
                    "{} live daemon pods on this node: the controller keeps the oldest, {}, and deletes the rest",
                    next.extras.len() + 1,
                    keep.name()
                ),
            ));
        }
        return next;
    }
    let running: Vec<&'a Pod> = live.collect();
    next.removes_all = running.is_empty();
    if running.is_empty() {
        if verdict.should_run && !pods.is_empty() {
            next.surge_creates = true;
            next.reasons.push(Reason::new(
                Rule::Revision,
                "surge: with no running pod left on the node, the controller creates a new pod \
                 now, without waiting for the old one to be gone",
            ));
        }
        return next;
    }
    if running.len() == 1 {
        return next;
    }
    let is_new: Vec<Option<bool>> = running.iter().map(|p| updates.is_new_revision(p)).collect();
    if is_new.iter().any(Option::is_none) {
        next.reasons.push(Reason::new(
            Rule::Revision,
            format!(
                "{} live daemon pods on this node during a surge rollout: the current revision \
                 is not known (no ControllerRevision in the input matches the template), so \
                 which the controller keeps cannot be told",
                running.len()
            ),
        ));
        return next;
    }
    let oldest_new = running.iter().zip(&is_new).find(|(_, n)| **n == Some(true));
    let oldest_old = running
        .iter()
        .zip(&is_new)
        .find(|(_, n)| **n == Some(false));
    let kept: Vec<&str> = oldest_new
        .iter()
        .chain(oldest_old.iter())
        .map(|(p, _)| p.name())
        .collect();
    next.extras = running
        .iter()
        .map(|p| p.name())
        .filter(|n| !kept.contains(n))
        .collect();
    if !next.extras.is_empty() {
        let which = match (oldest_new, oldest_old) {
            (Some((n, _)), Some((o, _))) => format!(
                "the oldest pod on the current revision, {}, and the oldest older one, {}",
                n.name(),
                o.name()
            ),
            (Some((p, _)), None) | (None, Some((p, _))) => format!("the oldest, {}", p.name()),
            (None, None) => String::new(),
        };
        next.reasons.push(Reason::new(
            Rule::Duplicate,
            format!(
                "{} live daemon pods on this node: the controller keeps {which} (surge rollout), \
                 and deletes the rest",
                running.len()
            ),
        ));
    }
    if let (Some((new, _)), Some((old, _))) = (oldest_new, oldest_old) {
        let msg = if !old.is_ready() {
            format!(
                "rolling update with surge: {} is not ready, so the controller deletes it now \
                 ({} runs the current revision)",
                old.name(),
                new.name()
            )
        } else if new.is_available(min_ready_seconds, now) {
            format!(
                "rolling update with surge: {} is available, so the controller deletes {} now",
                new.name(),
                old.name()
            )
        } else {
            format!(
                "rolling update with surge: {} replaces {} once it is available",
                new.name(),
                old.name()
            )
        };
        next.reasons.push(Reason::new(Rule::Revision, msg));
    }
    next
}

/// Excluded nodes grouped by reason, the largest group first.
fn group_exclusions(exclusions: BTreeMap<(Rule, String), (usize, Vec<String>)>) -> Vec<Exclusion> {
    let mut out: Vec<Exclusion> = exclusions
        .into_iter()
        .map(|((rule, message), (count, nodes))| Exclusion {
            reason: Reason { rule, message },
            count,
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
    let revision = c
        .pod
        .metadata
        .labels
        .get("controller-revision-hash")
        .cloned();
    super::pod_report(c.pod, c.claim, duplicate, revision)
}
