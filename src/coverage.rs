//! `compute(&Snapshot, &Options) -> Report`: the DaemonSet controller's view of every
//! (DaemonSet, node) pair, with no I/O and no clock (`now` is an input).
//!
//! Cost: pods are indexed once by controller UID and orphans by namespace (O(pods)); each
//! DaemonSet compiles its placement once and evaluates it per node (O(nodes × DaemonSets)); pods
//! are grouped per node through a hash map. Nothing scans all pods per DaemonSet or per node.

use std::collections::{BTreeMap, HashMap, HashSet};

use jiff::Timestamp;

use crate::eligibility::Placement;
use crate::eligibility::labels::Selector;
use crate::model::{ControllerRevision, DaemonSet, Node, Pod};
use crate::reason::{Reason, Rule};
use crate::report::{
    Claim, ComputedStatus, ControllerStatus, Counts, DaemonSetReport, Exclusion, NodeReport,
    OrphanReport, PairReport, PlacementSummary, PodOnMissingNode, PodReport, Report, State,
    Summary,
};
use crate::snapshot::Snapshot;

/// What to audit and how.
#[derive(Debug, Clone)]
pub struct Options {
    /// The evaluation instant (`--as-of`, or the clock read by the caller).
    pub now: Timestamp,
    /// `None`: every namespace.
    pub namespace: Option<String>,
    /// DaemonSet names; empty means all.
    pub names: Vec<String>,
    /// `-l`: DaemonSet labels.
    pub selector: Option<Selector>,
    /// `--node-selector`: restrict the audited nodes.
    pub node_selector: Option<Selector>,
    /// Report Ineligible pairs too.
    pub include_ineligible: bool,
    /// The `TaintTolerationComparisonOperators` feature gate (Lt/Gt tolerations).
    pub comparison_operators: bool,
    /// Audit only DaemonSets read from `--manifest` (what-if).
    pub only_manifests: bool,
}

impl Options {
    pub fn new(now: Timestamp) -> Options {
        Options {
            now,
            namespace: None,
            names: Vec::new(),
            selector: None,
            node_selector: None,
            include_ineligible: false,
            comparison_operators: false,
            only_manifests: false,
        }
    }
}

/// A DaemonSet named on the command line is not in the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("daemonset {name:?} not found{}", match .namespace { Some(ns) => format!(" in namespace {ns:?}"), None => String::new() })]
pub struct NotFound {
    pub namespace: Option<String>,
    pub name: String,
}

pub fn compute(snap: &Snapshot, opts: &Options) -> Result<Report, NotFound> {
    let mut nodes: Vec<&Node> = snap
        .nodes
        .iter()
        .filter(|n| {
            opts.node_selector
                .as_ref()
                .is_none_or(|s| s.matches(&n.metadata.labels))
        })
        .collect();
    nodes.sort_by(|a, b| a.name().cmp(b.name()));
    let known_nodes: HashSet<&str> = snap.nodes.iter().map(|n| n.name()).collect();

    let daemon_sets = select_daemon_sets(snap, opts)?;
    let index = PodIndex::new(&snap.pods);
    let ctx = Ctx {
        opts,
        nodes: &nodes,
        known_nodes: &known_nodes,
        nodes_complete: snap.nodes_complete,
        nodes_restricted: opts.node_selector.is_some(),
        revisions: &snap.revisions,
    };

    let mut reports = Vec::with_capacity(daemon_sets.len());
    let mut orphans = Vec::new();
    let mut per_node: HashMap<&str, (Vec<String>, Vec<String>)> = HashMap::new();
    for (r, mut own_orphans) in audit_all(&ctx, &daemon_sets, &index) {
        orphans.append(&mut own_orphans);
        let id = format!("{}/{}", r.namespace, r.name);
        for pair in &r.nodes {
            match pair.state {
                State::Missing => {
                    let entry = per_node.entry(nodes_key(&nodes, &pair.node)).or_default();
                    entry.0.push(id.clone());
                }
                State::Misscheduled => {
                    let entry = per_node.entry(nodes_key(&nodes, &pair.node)).or_default();
                    entry.1.push(id.clone());
                }
                _ => {}
            }
        }
        reports.push(r);
    }

    let node_reports = nodes
        .iter()
        .map(|n| {
            let (missing, misscheduled) = per_node.remove(n.name()).unwrap_or_default();
            NodeReport {
                name: n.name().to_string(),
                ready: n.is_ready(),
                unschedulable: n.spec.unschedulable,
                created_at: n.metadata.creation_timestamp,
                labels: n.metadata.labels.clone(),
                taints: n.spec.taints.iter().map(|t| t.to_string()).collect(),
                missing,
                misscheduled,
            }
        })
        .collect();

    let mut totals = Counts::default();
    for r in &reports {
        totals.merge(&r.counts);
    }
    totals.finish();
    let mut warnings = Vec::new();
    if nodes.is_empty() && !reports.is_empty() {
        warnings.push(if snap.nodes.is_empty() {
            "no nodes in the input: nothing could be checked (add `nodes` to the kubectl get)"
                .to_string()
        } else {
            "no node matches --node-selector: nothing could be checked".to_string()
        });
    }
    if snap.revisions.is_empty() && !reports.is_empty() {
        warnings.push(
            "no ControllerRevisions in the input: outdated pods are found through the \
             pod-template-generation label only (add controllerrevisions to the dump for the \
             revision hash)"
                .to_string(),
        );
    }
    // An instant before anything existed (a mistyped --as-of) would read every age as 0s.
    let earliest = snap
        .nodes
        .iter()
        .map(|n| &n.metadata)
        .chain(snap.daemon_sets.iter().map(|d| &d.metadata))
        .chain(snap.pods.iter().map(|p| &p.metadata))
        .filter_map(|m| m.creation_timestamp)
        .min();
    if let Some(first) = earliest
        && opts.now < first
    {
        warnings.push(format!(
            "the audit instant {} is before every object was created (the first at {first}): \
             every age reads 0s; check --as-of",
            opts.now
        ));
    }
    orphans.sort_by(|a: &OrphanReport, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));

    Ok(Report {
        schema_version: crate::report::SCHEMA_VERSION,
        kind: crate::report::KIND.to_string(),
        generated_at: opts.now,
        source: snap.source.clone(),
        summary: Summary {
            daemon_sets: reports.len(),
            nodes: nodes.len(),
            pairs: reports.len() * nodes.len(),
            counts: totals,
        },
        daemon_sets: reports,
        nodes: node_reports,
        orphans,
        warnings,
        gate: None,
    })
}

/// Audits every DaemonSet, in order. Each is audited on its own, so on a large cluster they are
/// spread over the cores (compute runs after the fetch, when they are free): thread `t` of `n`
/// takes DaemonSets `t`, `t + n`, … (costs differ: some run on few nodes), and the results are
/// put back in order, so the report is the same however many threads ran.
fn audit_all(
    ctx: &Ctx,
    daemon_sets: &[&DaemonSet],
    index: &PodIndex,
) -> Vec<(DaemonSetReport, Vec<OrphanReport>)> {
    let one = |ds: &DaemonSet| {
        let mut orphans = Vec::new();
        let report = audit_daemon_set(ctx, ds, index, &mut orphans);
        (report, orphans)
    };
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4)
        .min(daemon_sets.len());
    // Below some thousands of pairs a thread costs more than it saves.
    if threads < 2 || daemon_sets.len() * ctx.nodes.len() < 20_000 {
        return daemon_sets.iter().map(|ds| one(ds)).collect();
    }
    let mut slots: Vec<Option<(DaemonSetReport, Vec<OrphanReport>)>> =
        daemon_sets.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                scope.spawn(move || {
                    daemon_sets
                        .iter()
                        .enumerate()
                        .skip(t)
                        .step_by(threads)
                        .map(|(i, ds)| (i, one(ds)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for worker in workers {
            let done = worker
                .join()
                .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
            for (i, result) in done {
                slots[i] = Some(result);
            }
        }
    });
    slots
        .into_iter()
        .map(|s| s.expect("every DaemonSet is audited by one thread"))
        .collect()
}

/// The node name as borrowed from the node list (so the map key outlives the pair report).
fn nodes_key<'a>(nodes: &[&'a Node], name: &str) -> &'a str {
    nodes
        .binary_search_by(|n| n.name().cmp(name))
        .map(|i| nodes[i].name())
        .unwrap_or("")
}

fn select_daemon_sets<'a>(
    snap: &'a Snapshot,
    opts: &Options,
) -> Result<Vec<&'a DaemonSet>, NotFound> {
    let mut out: Vec<&DaemonSet> = snap
        .daemon_sets
        .iter()
        .filter(|d| {
            opts.namespace
                .as_deref()
                .is_none_or(|ns| d.namespace() == ns)
        })
        .filter(|d| {
            opts.selector
                .as_ref()
                .is_none_or(|s| s.matches(&d.metadata.labels))
        })
        .filter(|d| opts.names.is_empty() || opts.names.iter().any(|n| n == d.name()))
        .filter(|d| !opts.only_manifests || d.from_manifest)
        .collect();
    for name in &opts.names {
        if !out.iter().any(|d| d.name() == name) {
            return Err(NotFound {
                namespace: opts.namespace.clone(),
                name: name.clone(),
            });
        }
    }
    out.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    Ok(out)
}

struct Ctx<'a> {
    opts: &'a Options,
    nodes: &'a [&'a Node],
    known_nodes: &'a HashSet<&'a str>,
    nodes_complete: bool,
    nodes_restricted: bool,
    revisions: &'a [ControllerRevision],
}

/// Pods indexed the way the controller's informer finds them: by controller UID, and orphans
/// (no controller reference) by namespace.
struct PodIndex<'a> {
    by_controller: HashMap<&'a str, Vec<&'a Pod>>,
    orphans_by_ns: HashMap<&'a str, Vec<&'a Pod>>,
}

impl<'a> PodIndex<'a> {
    fn new(pods: &'a [Pod]) -> PodIndex<'a> {
        let mut by_controller: HashMap<&str, Vec<&Pod>> = HashMap::new();
        let mut orphans_by_ns: HashMap<&str, Vec<&Pod>> = HashMap::new();
        for p in pods {
            match p.metadata.controller_ref() {
                Some(r) => by_controller.entry(r.uid.as_str()).or_default().push(p),
                None => orphans_by_ns
                    .entry(p.metadata.namespace.as_str())
                    .or_default()
                    .push(p),
            }
        }
        PodIndex {
            by_controller,
            orphans_by_ns,
        }
    }
}

/// A pod the controller counts for this DaemonSet.
struct Claimed<'a> {
    pod: &'a Pod,
    claim: Claim,
}

fn audit_daemon_set(
    ctx: &Ctx,
    ds: &DaemonSet,
    index: &PodIndex,
    orphans: &mut Vec<OrphanReport>,
) -> DaemonSetReport {
    let id = format!("{}/{}", ds.namespace(), ds.name());
    let mut warnings = Vec::new();
    let deleting = ds.metadata.deletion_timestamp.is_some();
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
    let selects_all = label_selector.is_empty();
    if selects_all {
        warnings.push(
            "spec.selector is empty and selects every pod: the controller refuses to manage \
             this DaemonSet (SelectingAll) and does not update its status"
                .to_string(),
        );
    }
    if deleting {
        warnings.push(
            "the DaemonSet is being deleted: the controller no longer creates pods or updates \
             its status"
                .to_string(),
        );
    }

    // §7: claim pods. Owned (controller ref with this UID, kind and name) and matching: counted.
    // Owned but not matching: released. Orphans matching: adopted, unless the pod or the
    // DaemonSet is being deleted.
    let mut claimed: Vec<Claimed> = Vec::new();
    if let Some(sel) = &selector {
        for p in index
            .by_controller
            .get(ds.metadata.uid.as_str())
            .into_iter()
            .flatten()
        {
            let Some(r) = p.metadata.controller_ref() else {
                continue;
            };
            if p.metadata.namespace != ds.namespace()
                || r.kind != "DaemonSet"
                || r.name != ds.name()
            {
                continue;
            }
            if sel.matches(&p.metadata.labels) {
                claimed.push(Claimed {
                    pod: p,
                    claim: Claim::Owned,
                });
            } else if !deleting {
                orphans.push(OrphanReport {
                    namespace: p.metadata.namespace.clone(),
                    name: p.name().to_string(),
                    node: target_node_name(p).ok().map(str::to_string),
                    daemon_set: id.clone(),
                    action: "release".into(),
                    reason: "owned by the DaemonSet but its labels no longer match the selector: \
                             the controller releases it and no longer counts it"
                        .into(),
                });
            }
        }
        if !selects_all && !deleting {
            for p in index
                .orphans_by_ns
                .get(ds.namespace())
                .into_iter()
                .flatten()
            {
                if p.is_terminating() || !sel.matches(&p.metadata.labels) {
                    continue;
                }
                claimed.push(Claimed {
                    pod: p,
                    claim: Claim::Adopted,
                });
                orphans.push(OrphanReport {
                    namespace: p.metadata.namespace.clone(),
                    name: p.name().to_string(),
                    node: target_node_name(p).ok().map(str::to_string),
                    daemon_set: id.clone(),
                    action: "adopt".into(),
                    reason: "has no controller and matches the DaemonSet's selector: the \
                             controller adopts it and counts it as a daemon pod"
                        .into(),
                });
            }
        }
    }

    // getNodesToDaemonPods: terminal pods with a deletionTimestamp are invisible; pods whose
    // node cannot be resolved are skipped.
    let mut by_node: HashMap<&str, Vec<&Claimed>> = HashMap::new();
    let mut finalizing: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut on_missing = Vec::new();
    for c in &claimed {
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
            finalizing.entry(node).or_default().push(c.pod.name());
            continue;
        }
        if !ctx.known_nodes.contains(node) {
            if ctx.nodes_complete {
                let bound = !c.pod.spec.node_name.is_empty();
                on_missing.push(PodOnMissingNode {
                    pod: c.pod.name().to_string(),
                    node: node.to_string(),
                    bound,
                    removed_by: if bound {
                        "pod-gc"
                    } else {
                        "daemonset-controller"
                    }
                    .to_string(),
                });
            }
            continue;
        }
        by_node.entry(node).or_default().push(c);
    }
    on_missing.sort_by(|a, b| (&a.node, &a.pod).cmp(&(&b.node, &b.pod)));

    // A DaemonSet being deleted adopts nothing, revisions included.
    let revision = current_revision(ds, ctx.revisions, selector.as_ref(), !deleting);
    if let Some(w) = &revision.warning {
        warnings.push(w.clone());
    }
    let template_generation = ds.template_generation();
    // A manifest that changes the applied template: every existing pod would be replaced.
    let manifest_replaces = ds.from_manifest && revision.template_differs;
    let template_generation = if manifest_replaces {
        None
    } else {
        template_generation
    };
    let generation_label = template_generation.map(|g| g.to_string());
    let is_updated = |p: &Pod| -> Option<bool> {
        if manifest_replaces {
            return Some(false);
        }
        if revision.hash.is_none() && template_generation.is_none() {
            return None;
        }
        Some(pod_is_updated(
            p,
            revision.hash.as_deref(),
            generation_label.as_deref(),
        ))
    };

    let placement = Placement::compile(ds, ctx.opts.comparison_operators);
    let surge = allows_surge(ds);
    let mut status = ComputedStatus::default();
    let mut counts = Counts::default();
    let mut pairs = Vec::new();
    let mut exclusions: BTreeMap<(Rule, String), Vec<String>> = BTreeMap::new();
    for node in ctx.nodes {
        let verdict = placement.evaluate(node);
        let mut pods: Vec<&Claimed> = by_node.remove(node.name()).unwrap_or_default();
        pods.sort_by(|a, b| controller_order(a.pod, b.pod));
        let first = pods.first().map(|c| c.pod);
        let outdated = first.and_then(is_updated).is_some_and(|u| !u);

        // §10: the controller's numbers.
        if verdict.should_run {
            status.desired_number_scheduled += 1;
            if let Some(p) = first {
                status.current_number_scheduled += 1;
                if p.is_ready() {
                    status.number_ready += 1;
                    if p.is_available(ds.spec.min_ready_seconds, ctx.opts.now) {
                        status.number_available += 1;
                    }
                }
                if first.and_then(is_updated).unwrap_or(false) {
                    status.updated_number_scheduled += 1;
                }
            }
        } else if first.is_some() {
            status.number_misscheduled += 1;
        }

        // Ineligible pairs without pods are left out of the report unless asked for: their
        // reasons (a clone of the verdict's) would be built for nothing.
        let left_out = !verdict.should_run && pods.is_empty() && !ctx.opts.include_ineligible;
        let (state, mut reasons) = if left_out {
            (State::Ineligible, Vec::new())
        } else {
            classify(node, &verdict, &pods, ctx.opts.now, &finalizing)
        };
        if ds.from_manifest && state == State::Missing {
            reasons = vec![Reason::new(
                Rule::NoPod,
                "no daemon pod yet: the controller would create one once the manifest is applied",
            )];
        }
        counts.add(state, outdated);
        if !verdict.should_run {
            for r in &verdict.reasons {
                exclusions
                    .entry((r.rule, without_node_details(&r.message)))
                    .or_default()
                    .push(node.name().to_string());
            }
        }
        if state == State::Ineligible && !ctx.opts.include_ineligible {
            continue;
        }
        let live: Vec<&Pod> = pods
            .iter()
            .map(|c| c.pod)
            .filter(|p| !p.is_terminal() && !p.is_terminating())
            .collect();
        // §9: the pods manage keeps. Without surge: the first in the controller's order. With
        // surge (RollingUpdate and maxSurge > 0): the oldest on the current revision and the
        // oldest on an older one, so a rollout's new pod is not an extra.
        let kept: Vec<&str> = if surge {
            let newest = live.iter().find(|p| is_updated(p).unwrap_or(true));
            let older = live.iter().find(|p| !is_updated(p).unwrap_or(true));
            newest.into_iter().chain(older).map(|p| p.name()).collect()
        } else {
            live.first().map(|p| p.name()).into_iter().collect()
        };
        let extras: Vec<&str> = live
            .iter()
            .map(|p| p.name())
            .filter(|n| !kept.contains(n))
            .collect();
        let duplicates = extras.len();
        if duplicates > 0 {
            let keep = kept.join(" and ");
            let which = if surge && kept.len() == 2 {
                "the newest revision's oldest pod and the oldest older one (surge rollout)"
            } else {
                "the oldest"
            };
            reasons.push(Reason::new(
                Rule::Duplicate,
                format!(
                    "{} live daemon pods on this node: the controller keeps {which}, {keep}, and deletes the rest",
                    live.len()
                ),
            ));
        } else if kept.len() == 2 {
            reasons.push(Reason::new(
                Rule::Revision,
                format!(
                    "rolling update with surge: {} replaces {} once it is available",
                    kept[0], kept[1]
                ),
            ));
        }
        if outdated && let Some(p) = first {
            reasons.push(Reason::new(
                Rule::Revision,
                outdated_message(p, revision.hash.as_deref(), template_generation),
            ));
        }
        pairs.push(PairReport {
            node: node.name().to_string(),
            state,
            eligible: verdict.should_run,
            removed_by_controller: (state == State::Misscheduled)
                .then_some(!verdict.should_continue_running),
            outdated,
            duplicates,
            terminating: pods.iter().any(|c| c.pod.is_terminating()),
            reasons,
            pods: pods
                .iter()
                .map(|c| pod_report(c, extras.contains(&c.pod.name())))
                .collect(),
        });
    }
    status.number_unavailable = (status.desired_number_scheduled - status.number_available).max(0);
    counts.finish();

    let controller_status = ds.status.as_ref().map(|s| ControllerStatus {
        numbers: ComputedStatus {
            desired_number_scheduled: s.desired_number_scheduled,
            current_number_scheduled: s.current_number_scheduled,
            number_misscheduled: s.number_misscheduled,
            number_ready: s.number_ready,
            number_available: s.number_available.unwrap_or(0),
            updated_number_scheduled: s.updated_number_scheduled.unwrap_or(0),
            number_unavailable: s.number_unavailable.unwrap_or(0),
        },
        observed_generation: s.observed_generation,
        generation: ds.metadata.generation,
    });
    let status_agrees = match &controller_status {
        Some(cs) if !ctx.nodes_restricted && !deleting && !selects_all && selector.is_some() => {
            // Without a revision hash or template generation, "updated" cannot be computed: do
            // not call the status wrong for it.
            let mut comparable = status.clone();
            if revision.hash.is_none() && template_generation.is_none() {
                comparable.updated_number_scheduled = cs.numbers.updated_number_scheduled;
            }
            let numbers_agree = cs.numbers == comparable;
            let generation_current = match (cs.observed_generation, cs.generation) {
                (Some(o), Some(g)) => o >= g,
                _ => true,
            };
            if !generation_current {
                warnings.push(format!(
                    "status is stale: observedGeneration {} is behind generation {}; the \
                     controller has not processed the latest change",
                    cs.observed_generation.unwrap_or(0),
                    cs.generation.unwrap_or(0)
                ));
            } else if !numbers_agree {
                warnings.push(status_difference(&cs.numbers, &comparable));
            }
            Some(numbers_agree && generation_current)
        }
        _ => None,
    };

    let mut exclusions: Vec<Exclusion> = exclusions
        .into_iter()
        .map(|((rule, message), nodes)| Exclusion {
            reason: Reason { rule, message },
            count: nodes.len(),
            nodes,
        })
        .collect();
    exclusions.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| a.reason.message.cmp(&b.reason.message))
    });

    DaemonSetReport {
        namespace: ds.namespace().to_string(),
        name: ds.name().to_string(),
        uid: ds.metadata.uid.clone(),
        from_manifest: ds.from_manifest,
        update_strategy: ds.update_strategy().to_string(),
        current_revision: revision.hash,
        placement: placement_summary(ds),
        counts,
        computed_status: status,
        controller_status,
        status_agrees,
        nodes: pairs,
        exclusions,
        pods_on_missing_nodes: on_missing,
        warnings,
    }
}

/// A reason with the node's own value left out (`(node has kubernetes.io/hostname=a)`), so
/// that exclusions group nodes excluded by the same rule.
fn without_node_details(message: &str) -> String {
    let mut out = message.to_string();
    for marker in [" (node has ", " (node is "] {
        while let Some(start) = out.find(marker) {
            let Some(len) = out[start..].find(')') else {
                break;
            };
            out.replace_range(start..start + len + 1, "");
        }
    }
    out
}

/// `util.AllowsSurge`: a RollingUpdate with a non-zero `maxSurge` (an integer, or a percentage,
/// which rounds up to at least one pod when it is above zero).
fn allows_surge(ds: &DaemonSet) -> bool {
    if ds.update_strategy() != "RollingUpdate" {
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

/// `util.GetTargetNodeName` (§8): `spec.nodeName`, else the first `matchFields metadata.name In`
/// requirement of the required node affinity, which must have exactly one value.
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

/// `podByCreationTimestampAndPhase` (§10.1): bound pods first, then the oldest, then by name.
pub fn controller_order(a: &Pod, b: &Pod) -> std::cmp::Ordering {
    let key = |p: &Pod| {
        (
            p.spec.node_name.is_empty(),
            p.metadata.creation_timestamp.map(|t| t.as_second()),
        )
    };
    key(a).cmp(&key(b)).then_with(|| a.name().cmp(b.name()))
}

/// `util.IsPodUpdated` (§10.3).
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

fn outdated_message(p: &Pod, hash: Option<&str>, generation: Option<i64>) -> String {
    let labels = &p.metadata.labels;
    match (hash, labels.get("controller-revision-hash")) {
        (Some(h), Some(have)) => format!(
            "pod {} runs revision {have}, the current revision is {h}",
            p.name()
        ),
        _ => format!(
            "pod {} has pod-template-generation {}, the DaemonSet's template generation is {}",
            p.name(),
            labels
                .get("pod-template-generation")
                .map(String::as_str)
                .unwrap_or("(none)"),
            generation
                .map(|g| g.to_string())
                .unwrap_or_else(|| "unknown".into())
        ),
    }
}

struct CurrentRevision {
    hash: Option<String>,
    warning: Option<String>,
    /// The newest revision's template differs from the DaemonSet's.
    template_differs: bool,
}

/// §11: among the ControllerRevisions the DaemonSet controls (or would adopt), the highest
/// `revision` is current if its template equals the DaemonSet's; its hash is the
/// `controller-revision-hash` label. Anything else means "not known yet".
fn current_revision(
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

fn status_difference(read: &ComputedStatus, computed: &ComputedStatus) -> String {
    let pairs = [
        (
            "desiredNumberScheduled",
            read.desired_number_scheduled,
            computed.desired_number_scheduled,
        ),
        (
            "currentNumberScheduled",
            read.current_number_scheduled,
            computed.current_number_scheduled,
        ),
        (
            "numberMisscheduled",
            read.number_misscheduled,
            computed.number_misscheduled,
        ),
        ("numberReady", read.number_ready, computed.number_ready),
        (
            "numberAvailable",
            read.number_available,
            computed.number_available,
        ),
        (
            "updatedNumberScheduled",
            read.updated_number_scheduled,
            computed.updated_number_scheduled,
        ),
        (
            "numberUnavailable",
            read.number_unavailable,
            computed.number_unavailable,
        ),
    ];
    let diffs: Vec<String> = pairs
        .iter()
        .filter(|(_, r, c)| r != c)
        .map(|(n, r, c)| format!("{n} {r} (objects say {c})"))
        .collect();
    format!(
        "the DaemonSet's status disagrees with its pods: {}; the status lags or the controller is not syncing",
        diffs.join(", ")
    )
}

fn placement_summary(ds: &DaemonSet) -> PlacementSummary {
    let spec = &ds.spec.template.spec;
    PlacementSummary {
        node_name: (!spec.node_name.is_empty()).then(|| spec.node_name.clone()),
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
                            format!("field {}", requirement_text(&f.key, &f.operator, &f.values))
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

fn requirement_text(key: &str, op: &str, values: &[String]) -> String {
    if values.is_empty() {
        format!("{key} {op}")
    } else {
        format!("{key} {op} [{}]", values.join(", "))
    }
}

/// A toleration in short form: `key=value:Effect`, `key:Effect` (Exists), `*` (everything).
pub fn toleration_text(t: &crate::model::Toleration) -> String {
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

fn pod_report(c: &Claimed, duplicate: bool) -> PodReport {
    let p = c.pod;
    PodReport {
        duplicate,
        name: p.name().to_string(),
        uid: p.metadata.uid.clone(),
        phase: if p.status.phase.is_empty() {
            "Unknown".into()
        } else {
            p.status.phase.clone()
        },
        ready: p.is_ready(),
        restarts: p.restarts(),
        revision: p.metadata.labels.get("controller-revision-hash").cloned(),
        created_at: p.metadata.creation_timestamp,
        terminating: p.is_terminating(),
        claim: c.claim,
    }
}

/// One state per pair, with the reasons a user needs.
fn classify(
    node: &Node,
    verdict: &crate::eligibility::Verdict,
    pods: &[&Claimed],
    now: Timestamp,
    finalizing: &HashMap<&str, Vec<&str>>,
) -> (State, Vec<Reason>) {
    if !verdict.should_run {
        if pods.is_empty() {
            return (State::Ineligible, verdict.reasons.clone());
        }
        let mut reasons = verdict.reasons.clone();
        reasons.push(Reason::new(
            Rule::Node,
            if verdict.should_continue_running {
                "the controller would not place a pod here but keeps the existing one (no untolerated NoExecute taint)"
            } else {
                "the controller deletes the pod on this node"
            },
        ));
        return (State::Misscheduled, reasons);
    }
    let Some(first) = pods.first().map(|c| c.pod) else {
        let mut msg = "no daemon pod for this node".to_string();
        if let Some(created) = node.metadata.creation_timestamp {
            let age = now.as_second() - created.as_second();
            if (0..600).contains(&age) {
                msg.push_str(&format!(
                    " (the node joined {} ago)",
                    crate::duration::short(age)
                ));
            }
        }
        let mut reasons = vec![Reason::new(Rule::NoPod, msg)];
        if let Some(names) = finalizing.get(node.name()) {
            reasons.push(Reason::new(
                Rule::Terminating,
                format!(
                    "{} finished and is being deleted (held by a finalizer); the controller ignores it and creates a replacement",
                    names.join(", ")
                ),
            ));
        }
        return (State::Missing, reasons);
    };
    let mut reasons = Vec::new();
    if first.is_terminating() {
        reasons.push(Reason::new(
            Rule::Terminating,
            format!("pod {} is being deleted", first.name()),
        ));
    }
    let state = if first.is_ready() {
        State::Ready
    } else if pods.iter().all(|c| c.pod.is_terminal()) || first.is_terminal() {
        reasons.extend(failed_reasons(first));
        State::Failed
    } else if first.spec.node_name.is_empty() || first.status.phase == "Pending" {
        reasons.extend(pending_reasons(first));
        State::Pending
    } else {
        reasons.extend(not_ready_reasons(first, node));
        State::NotReady
    };
    (state, reasons)
}

fn failed_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    let status = &p.status;
    match (status.reason.is_empty(), status.message.is_empty()) {
        (false, false) => out.push(Reason::new(
            Rule::PodStatus,
            format!("{}: {}", status.reason, status.message.trim()),
        )),
        (false, true) => out.push(Reason::new(Rule::PodStatus, status.reason.clone())),
        (true, false) => out.push(Reason::new(
            Rule::PodStatus,
            status.message.trim().to_string(),
        )),
        (true, true) => {}
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        out.push(Reason::new(
            Rule::PodStatus,
            format!("pod {} is {}", p.name(), status.phase),
        ));
    }
    out
}

fn pending_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(c) = p.condition("PodScheduled").filter(|c| c.status != "True") {
        let text = match (c.reason.is_empty(), c.message.is_empty()) {
            (_, false) => c.message.trim().to_string(),
            (false, true) => c.reason.clone(),
            (true, true) => "not scheduled yet".to_string(),
        };
        out.push(Reason::new(Rule::Scheduling, text));
    } else if p.spec.node_name.is_empty() {
        out.push(Reason::new(Rule::Scheduling, "not bound to the node yet"));
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        out.push(Reason::new(
            Rule::Container,
            "containers have not started yet",
        ));
    }
    out
}

fn not_ready_reasons(p: &Pod, node: &Node) -> Vec<Reason> {
    let mut out = Vec::new();
    if !node.is_ready() {
        let detail = node
            .condition("Ready")
            .map(|c| {
                let mut s = format!(
                    "Ready={}",
                    if c.status.is_empty() {
                        "Unknown"
                    } else {
                        &c.status
                    }
                );
                if !c.message.is_empty() {
                    s.push_str(&format!(": {}", c.message.trim()));
                }
                s
            })
            .unwrap_or_else(|| "no Ready condition".into());
        out.push(Reason::new(
            Rule::Node,
            format!("the node is not ready ({detail})"),
        ));
    }
    out.extend(container_reasons(p));
    if out.is_empty() {
        let msg = p
            .condition("Ready")
            .filter(|c| !c.message.is_empty() || !c.reason.is_empty())
            .map(|c| {
                if c.message.is_empty() {
                    c.reason.clone()
                } else {
                    c.message.trim().to_string()
                }
            })
            .unwrap_or_else(|| "the pod is not Ready".into());
        out.push(Reason::new(Rule::Container, msg));
    }
    out
}

/// The containers' own words: waiting reasons, crash loops with restarts, last terminations,
/// running-but-unready containers.
fn container_reasons(p: &Pod) -> Vec<Reason> {
    let mut out = Vec::new();
    let statuses = p.status.init_container_statuses.iter().map(|c| (c, true));
    for (c, init) in statuses.chain(p.status.container_statuses.iter().map(|c| (c, false))) {
        if c.ready
            || (init
                && c.state
                    .terminated
                    .as_ref()
                    .is_some_and(|t| t.exit_code == Some(0)))
        {
            continue;
        }
        let kind = if init { "init container" } else { "container" };
        let mut msg = if let Some(w) = &c.state.waiting {
            let mut s = format!(
                "{kind} {}: {}",
                c.name,
                if w.reason.is_empty() {
                    "waiting"
                } else {
                    &w.reason
                }
            );
            if c.restart_count > 0 {
                s.push_str(&format!(" (restarts {})", c.restart_count));
            }
            if !w.message.is_empty() && w.reason != "CrashLoopBackOff" {
                s.push_str(&format!(": {}", first_line(&w.message)));
            }
            s
        } else if let Some(t) = &c.state.terminated {
            format!(
                "{kind} {} terminated: {}{}",
                c.name,
                if t.reason.is_empty() {
                    "exited"
                } else {
                    &t.reason
                },
                t.exit_code
                    .map(|e| format!(" (exit code {e})"))
                    .unwrap_or_default()
            )
        } else if c.state.running.is_some() {
            format!(
                "{kind} {} is running but not ready (readiness probe failing)",
                c.name
            )
        } else {
            continue;
        };
        if let Some(t) = &c.last_state.terminated {
            msg.push_str(&format!(
                "; last exit: {}{}",
                if t.reason.is_empty() {
                    "terminated"
                } else {
                    &t.reason
                },
                t.exit_code
                    .map(|e| format!(" (code {e})"))
                    .unwrap_or_default()
            ));
        }
        out.push(Reason::new(Rule::Container, msg));
    }
    out
}

fn first_line(s: &str) -> &str {
    s.lines().next().unwrap_or("").trim()
}
