//! `compute(&Snapshot, &Options) -> Report`: the DaemonSet controller's view of every
//! (DaemonSet, node) pair, with no I/O and no clock (`now` is an input).
//!
//! Cost: pods are indexed once by controller UID and orphans by namespace (O(pods)); each
//! DaemonSet compiles its placement once and evaluates it per node (O(nodes × DaemonSets)); pods
//! are grouped per node through a hash map. Nothing scans all pods per DaemonSet or per node.
//!
//! The steps, one module each: `claim` (which pods count, on which node), `revision` (the
//! current revision and whether a pod runs it), `reasons` (the sentences), `status` (the
//! status numbers), and `audit`, which puts them together for one DaemonSet.

mod audit;
mod claim;
mod reasons;
mod revision;
mod statics;
mod status;

use std::collections::{HashMap, HashSet};

use jiff::Timestamp;

use crate::eligibility::labels::Selector;
use crate::fasthash::FastBuild;
use crate::interned::Interned;
use crate::model::{ControllerRevision, DaemonSet, Node, Pod};
use crate::report::{
    Counts, DaemonSetReport, NodeReport, OrphanReport, PairReport, Report, State, Summary,
};
use crate::snapshot::Snapshot;

pub use claim::{controller_order, target_node_name};
pub use revision::is_pod_updated;
pub use statics::{ExpectStatic, ROLE_PREFIX, StaticOptions, manifest_name};

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
    /// `--static-pods`: audit static-pod families too.
    pub static_pods: Option<StaticOptions>,
    /// Which pairs each DaemonSet's report lists (every one, or only those a reader of
    /// problems reads).
    pub pairs: Pairs,
}

/// Which (DaemonSet, node) pairs a report lists in each DaemonSet's `nodes`, and which excluded
/// nodes its `exclusions` name. The counts, statuses, node reports and exclusion counts are the
/// same either way: only the per-pair records a reader does not look at are left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Pairs {
    /// Every pair (`-o json|yaml|matrix|junit`, `fix`, `explain`, `--wait`, `--watch`).
    #[default]
    All,
    /// The pairs the problem formats read (`-o table|wide|markdown|prometheus`, see
    /// [`Problems::keeps`]), plus those the gate needs (`Problems::nodes`,
    /// `Problems::pods_younger_than`). A plain Ready pair elsewhere is only counted.
    Problems(Problems),
}

/// What a report of problems keeps beyond the problem pairs themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Problems {
    /// Nodes whose pairs are kept whatever their state (the nodes the gate sets aside: a Ready
    /// pair there leaves its DaemonSet's coverage under `--min-coverage`).
    pub nodes: HashSet<String>,
    /// Keep the pairs whose first pod is younger than this many seconds at `now` (or created
    /// after it): the gate's `--grace` sets them aside.
    pub pods_younger_than: Option<i64>,
    /// The excluded nodes `exclusions` name (those `--expect-nodes` matches); the others are
    /// only counted.
    pub excluded_nodes: HashSet<String>,
}

impl Pairs {
    /// Whether a DaemonSet's report keeps this pair.
    pub fn keeps(&self, from_manifest: bool, pair: &PairReport, now: Timestamp) -> bool {
        match self {
            Pairs::All => true,
            Pairs::Problems(p) => from_manifest || p.keeps(pair, now),
        }
    }

    /// Whether a DaemonSet's `exclusions` name this excluded node.
    pub fn names_excluded(&self, node: &str) -> bool {
        match self {
            Pairs::All => true,
            Pairs::Problems(p) => p.excluded_nodes.contains(node),
        }
    }
}

impl Problems {
    /// A pair that is not plainly Ready (any other state, an outdated pod, duplicates: what
    /// `-o table` lists under its row, `-o markdown` in its details, `-o prometheus` as a gap
    /// and the gate as a violation), or one the gate may set aside. What-if DaemonSets
    /// (`--manifest`) keep every pair: the table names the nodes they would run on.
    fn keeps(&self, pair: &PairReport, now: Timestamp) -> bool {
        pair.state != State::Ready
            || pair.outdated
            || pair.duplicates > 0
            || self.nodes.contains(&pair.node)
            || self.pods_younger_than.is_some_and(|grace| {
                pair.pods
                    .first()
                    .and_then(|p| p.created_at)
                    .is_some_and(|c| now.as_second() - c.as_second() < grace)
            })
    }
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
            static_pods: None,
            pairs: Pairs::All,
        }
    }
}

/// A DaemonSet named on the command line is not in the input (or `-l` leaves it out).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("daemonset {name:?} {}{}", match .unselected_by { Some(sel) => format!("does not match -l {sel}"), None => "not found".to_string() }, match .namespace { Some(ns) => format!(" in namespace {ns:?}"), None => String::new() })]
pub struct NotFound {
    pub namespace: Option<String>,
    pub name: String,
    /// The DaemonSet is there, but the label selector (`-l`) leaves it out: the selector.
    pub unselected_by: Option<String>,
}

pub fn compute(snap: &Snapshot, opts: &Options) -> Result<Report, NotFound> {
    let inputs = Inputs::new(snap, opts)?;
    Ok(assemble(snap, opts, &inputs, true))
}

/// The report for `-o json|yaml` without a gate, produced as it is serialized: the summary,
/// nodes, orphans and warnings are computed first with each DaemonSet's per-pair records
/// (`nodes`, `exclusions`) dropped as soon as they are counted, then each DaemonSet is audited
/// again while it is written and dropped once written. Serializes exactly as [`compute`]'s
/// report does; the audit of a DaemonSet is a pure function of the snapshot, so both passes
/// agree.
pub struct Streamed<'a> {
    inputs: Inputs<'a>,
    /// The report, each DaemonSet's `nodes` and `exclusions` left empty.
    skeleton: Report,
}

pub fn compute_streamed<'a>(
    snap: &'a Snapshot,
    opts: &'a Options,
) -> Result<Streamed<'a>, NotFound> {
    let inputs = Inputs::new(snap, opts)?;
    let skeleton = assemble(snap, opts, &inputs, false);
    Ok(Streamed { inputs, skeleton })
}

impl Streamed<'_> {
    /// The report without per-pair records (counts, statuses, nodes, orphans, warnings).
    pub fn skeleton(&self) -> &Report {
        &self.skeleton
    }
}

impl Streamed<'_> {
    /// The report field for field as `Report` derives it, with `daemon_sets` written as its
    /// `daemonSets` (the renderers pass [`Produced`] or a sequence of their own that reads
    /// [`Streamed::each_daemon_set`]; `tests/bench_shape.rs` compares the outputs with the
    /// whole report's).
    pub fn serialize_with<S: serde::Serializer, D: serde::Serialize + ?Sized>(
        &self,
        s: S,
        daemon_sets: &D,
    ) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let r = &self.skeleton;
        let mut out = s.serialize_struct("Report", 12)?;
        out.serialize_field("schemaVersion", &r.schema_version)?;
        out.serialize_field("kind", &r.kind)?;
        out.serialize_field("generatedAt", &r.generated_at)?;
        out.serialize_field("source", &r.source)?;
        match &r.node_selector {
            Some(s) => out.serialize_field("nodeSelector", s)?,
            None => out.skip_field("nodeSelector")?,
        }
        out.serialize_field("summary", &r.summary)?;
        out.serialize_field("daemonSets", daemon_sets)?;
        out.serialize_field("nodes", &r.nodes)?;
        out.serialize_field("orphans", &r.orphans)?;
        out.serialize_field("warnings", &r.warnings)?;
        match &r.gate {
            Some(g) => out.serialize_field("gate", g)?,
            None => out.skip_field("gate")?,
        }
        match &r.static_pods {
            Some(f) => out.serialize_field("staticPods", f)?,
            None => out.skip_field("staticPods")?,
        }
        out.end()
    }

    /// The gate's verdict, written as the report's `gate`.
    pub fn set_gate(&mut self, verdict: crate::gate::GateReport) {
        self.skeleton.gate = Some(verdict);
    }

    /// How many DaemonSet reports [`Streamed::each_daemon_set`] produces.
    pub fn daemon_set_count(&self) -> usize {
        self.inputs.daemon_sets.len()
    }

    /// Each DaemonSet's report, in the report's order: audited and passed through `finish` on
    /// the audit threads (a renderer serializes it there, so writing is spread over the cores
    /// as auditing is), then handed to `each` on this thread. The threads run at most a few
    /// DaemonSets ahead of what `each` has taken, so few are held at once whatever their
    /// sizes. Stops at the first error `each` returns.
    pub fn each_daemon_set<T: Send, E>(
        &self,
        finish: impl Fn(DaemonSetReport) -> T + Sync,
        mut each: impl FnMut(T) -> Result<(), E>,
    ) -> Result<(), E> {
        let inputs = &self.inputs;
        let ctx = inputs.ctx();
        let daemon_sets = &inputs.daemon_sets;
        let threads = audit_threads(&ctx, daemon_sets);
        let produce = |ds: &DaemonSet| finish(audit_one(&ctx, ds, &inputs.index, true).report);
        if threads < 2 {
            return daemon_sets.iter().try_for_each(|ds| each(produce(ds)));
        }
        let ahead = threads;
        // (next index to take, how many `each` has taken, stop).
        let state = std::sync::Mutex::new((0usize, 0usize, false));
        let taken = std::sync::Condvar::new();
        let (tx, rx) = std::sync::mpsc::channel::<(usize, T)>();
        std::thread::scope(|scope| {
            for _ in 0..threads {
                let tx = tx.clone();
                let (state, taken, produce) = (&state, &taken, &produce);
                scope.spawn(move || {
                    loop {
                        let i = {
                            let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                            while !s.2 && s.0 < daemon_sets.len() && s.0 >= s.1 + ahead {
                                s = taken.wait(s).unwrap_or_else(|p| p.into_inner());
                            }
                            if s.2 || s.0 >= daemon_sets.len() {
                                return;
                            }
                            s.0 += 1;
                            s.0 - 1
                        };
                        if tx.send((i, produce(daemon_sets[i]))).is_err() {
                            return;
                        }
                    }
                });
            }
            drop(tx);
            let mut done: std::collections::BTreeMap<usize, T> = Default::default();
            let mut next = 0;
            for (i, produced) in rx.iter() {
                done.insert(i, produced);
                while let Some(produced) = done.remove(&next) {
                    next += 1;
                    let written = each(produced);
                    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
                    s.1 = next;
                    s.2 = written.is_err();
                    taken.notify_all();
                    drop(s);
                    written?;
                }
            }
            Ok(())
        })
    }
}

impl serde::Serialize for Streamed<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.serialize_with(s, &Produced(self))
    }
}

/// The DaemonSet reports, audited a few at a time (on the audit threads) as the sequence is
/// written.
struct Produced<'s, 'a>(&'s Streamed<'a>);

impl serde::Serialize for Produced<'_, '_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.0.daemon_set_count()))?;
        self.0
            .each_daemon_set(|report| report, |report| seq.serialize_element(&report))?;
        seq.end()
    }
}

/// Every node in the input by name: its place among the audited nodes (`Ctx::nodes`), or
/// `None` if `--node-selector` leaves it out.
#[derive(Default)]
pub(super) struct NodeNames<'a> {
    by_name: HashMap<&'a str, Option<usize>, FastBuild>,
    /// The same by the address of the name's [`Interned`] copy: a pod's `spec.nodeName` is
    /// interned, and equal interned texts are one stored copy, so its node is found by hashing
    /// and comparing a pointer rather than the name (a look-up a daemon pod; 600,000 at 15,000
    /// nodes).
    by_interned: HashMap<usize, Option<usize>, FastBuild>,
}

impl<'a> NodeNames<'a> {
    fn new(all: &'a [Node], audited: &[&'a Node]) -> NodeNames<'a> {
        let mut by_name: HashMap<&str, Option<usize>, FastBuild> =
            all.iter().map(|n| (n.name(), None)).collect();
        // Two nodes of one name (the input never has them: the API and the file loader keep
        // one) would take the first one's place, as its pods did before.
        for (i, n) in audited.iter().enumerate() {
            by_name.entry(n.name()).and_modify(|p| *p = p.or(Some(i)));
        }
        let by_interned = by_name
            .iter()
            .map(|(name, place)| (Self::address(&Interned::new(name)), *place))
            .collect();
        NodeNames {
            by_name,
            by_interned,
        }
    }

    fn address(name: &Interned) -> usize {
        name.as_str().as_ptr() as usize
    }

    /// The node named `name`: `None` if the input has none, else its place as above.
    pub(super) fn get(&self, name: &str) -> Option<Option<usize>> {
        self.by_name.get(name).copied()
    }

    /// [`NodeNames::get`] of an interned name.
    pub(super) fn get_interned(&self, name: &Interned) -> Option<Option<usize>> {
        if name.is_empty() {
            return self.get("");
        }
        self.by_interned.get(&Self::address(name)).copied()
    }
}

/// The audited nodes' names, in their order, one after the other in one text. Every pair
/// writes its node's name; read from the nodes themselves that was two cache misses a pair (the
/// node, then its name, each elsewhere in memory; 4 % of a 15,000-node `-o json` run's CPU),
/// read from here it is the next bytes after the last node's.
struct NodeNameText {
    text: String,
    /// Where each name ends in `text`.
    ends: Vec<usize>,
}

impl NodeNameText {
    fn new(nodes: &[&Node]) -> NodeNameText {
        let mut text = String::with_capacity(nodes.iter().map(|n| n.name().len()).sum());
        let ends = nodes
            .iter()
            .map(|n| {
                text.push_str(n.name());
                text.len()
            })
            .collect();
        NodeNameText { text, ends }
    }

    /// The name of the `i`th audited node.
    fn get(&self, i: usize) -> &str {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]);
        &self.text[start..self.ends[i]]
    }
}

/// What every pass of the audit reads, built once from the snapshot.
struct Inputs<'a> {
    nodes: Vec<&'a Node>,
    /// `nodes`' names.
    node_names: NodeNameText,
    /// `nodes` grouped for the placement verdicts.
    classes: crate::eligibility::NodeClasses<'a>,
    known_nodes: NodeNames<'a>,
    daemon_sets: Vec<&'a DaemonSet>,
    index: PodIndex<'a>,
    /// Orphans more than one DaemonSet would adopt (claimed by none).
    contested: claim::Contested,
    snap: &'a Snapshot,
    opts: &'a Options,
}

impl<'a> Inputs<'a> {
    fn new(snap: &'a Snapshot, opts: &'a Options) -> Result<Inputs<'a>, NotFound> {
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
        let known_nodes = NodeNames::new(&snap.nodes, &nodes);
        let daemon_sets = select_daemon_sets(snap, opts)?;
        let index = PodIndex::new(&snap.pods);
        // Every DaemonSet that adopts competes for orphans, audited or not.
        let adopters: Vec<(&DaemonSet, Selector)> = snap
            .daemon_sets
            .iter()
            .filter(|d| d.metadata.deletion_timestamp.is_none() && !d.selector().is_empty())
            .filter_map(|d| {
                Selector::from_label_selector(&d.selector())
                    .ok()
                    .map(|s| (d, s))
            })
            .collect();
        let contested = claim::contested_orphans(&adopters, &index);
        let classes = crate::eligibility::NodeClasses::new(&nodes);
        Ok(Inputs {
            node_names: NodeNameText::new(&nodes),
            nodes,
            classes,
            known_nodes,
            daemon_sets,
            index,
            contested,
            snap,
            opts,
        })
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            opts: self.opts,
            nodes: &self.nodes,
            node_names: &self.node_names,
            classes: &self.classes,
            known_nodes: &self.known_nodes,
            nodes_complete: self.snap.nodes_complete,
            nodes_restricted: self.opts.node_selector.is_some(),
            revisions: &self.snap.revisions,
            unreadable_pods: &self.snap.unreadable_pods,
            unreadable_revisions: &self.snap.unreadable_revisions,
            contested: &self.contested,
        }
    }
}

/// The report; with `keep_pairs` false each DaemonSet's `nodes` and `exclusions` are dropped
/// once counted (see [`Streamed`]).
fn assemble(snap: &Snapshot, opts: &Options, inputs: &Inputs, keep_pairs: bool) -> Report {
    let nodes = &inputs.nodes;
    let daemon_sets = &inputs.daemon_sets;
    let index = &inputs.index;
    let ctx = inputs.ctx();

    let mut reports = Vec::with_capacity(daemon_sets.len());
    let mut orphans = Vec::new();
    let mut per_node: HashMap<&str, (Vec<String>, Vec<String>), FastBuild> = HashMap::default();
    for mut done in audit_all(
        &ctx,
        daemon_sets,
        index,
        keep_pairs,
        audit_threads(&ctx, daemon_sets),
    ) {
        orphans.append(&mut done.orphans);
        let r = done.report;
        let id = format!("{}/{}", r.namespace, r.name);
        for (node, state) in &done.marks {
            let entry = per_node.entry(nodes_key(nodes, node)).or_default();
            match state {
                State::Missing => entry.0.push(id.clone()),
                _ => entry.1.push(id.clone()),
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
                taints: n.spec.taints.clone(),
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
    let mut warnings = snap.warnings.clone();
    if nodes.is_empty() && !reports.is_empty() {
        warnings.push(if snap.nodes.is_empty() {
            "no nodes in the input: nothing could be checked (add `nodes` to the kubectl get)"
                .to_string()
        } else {
            "no node matches --node-selector: nothing could be checked".to_string()
        });
    }
    if snap.revisions.is_empty() && !reports.is_empty() {
        warnings.push(match &snap.source {
            crate::report::Source::Cluster { .. } if !snap.unreadable_revisions.is_empty() => {
                "no ControllerRevisions could be read: outdated pods are found through the \
                 pod-template-generation label only (grant list on controllerrevisions for the \
                 revision hash)"
                    .to_string()
            }
            _ => "no ControllerRevisions in the input: outdated pods are found through the \
                  pod-template-generation label only (add controllerrevisions to the dump for \
                  the revision hash)"
                .to_string(),
        });
    }
    // An instant before anything existed (a mistyped --as-of) would read every age as 0s.
    let earliest = snap
        .nodes
        .iter()
        .map(|n| n.metadata.creation_timestamp)
        .chain(
            snap.daemon_sets
                .iter()
                .map(|d| d.metadata.creation_timestamp),
        )
        .chain(
            snap.pods
                .iter()
                .map(|p| p.metadata.creation_timestamp.get()),
        )
        .flatten()
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

    Report {
        schema_version: crate::report::SCHEMA_VERSION,
        kind: crate::report::KIND.to_string(),
        generated_at: opts.now,
        source: snap.source.clone(),
        node_selector: opts.node_selector.as_ref().map(|s| s.to_string()),
        summary: Summary {
            daemon_sets: reports.len(),
            nodes: nodes.len(),
            // DaemonSets whose pods could not be read have no judged pair.
            pairs: reports.iter().filter(|r| r.unknown.is_none()).count() * nodes.len(),
            counts: totals,
        },
        daemon_sets: reports,
        nodes: node_reports,
        orphans,
        warnings,
        gate: None,
        static_pods: opts
            .static_pods
            .as_ref()
            .map(|s| statics::audit(&snap.pods, nodes, &snap.nodes, s)),
    }
}

/// One DaemonSet audited: its report, the orphans it found, and its Missing and Misscheduled
/// pairs by node name (for the node reports).
struct Audited {
    report: DaemonSetReport,
    orphans: Vec<OrphanReport>,
    marks: Vec<(String, State)>,
}

/// One DaemonSet audited; without `keep_pairs` only counted (see [`audit::audit_daemon_set`]):
/// its report's `nodes` and `exclusions` are left empty.
fn audit_one(ctx: &Ctx, ds: &DaemonSet, index: &PodIndex, keep_pairs: bool) -> Audited {
    let mut orphans = Vec::new();
    let mut marks = Vec::new();
    let report = audit::audit_daemon_set(ctx, ds, index, &mut orphans, &mut marks, keep_pairs);
    Audited {
        report,
        orphans,
        marks,
    }
}

/// How many threads audit `daemon_sets`: below some thousands of pairs a thread costs more than
/// it saves.
fn audit_threads(ctx: &Ctx, daemon_sets: &[&DaemonSet]) -> usize {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(4)
        .min(daemon_sets.len());
    if threads < 2 || daemon_sets.len() * ctx.nodes.len() < 20_000 {
        1
    } else {
        threads
    }
}

/// Audits every DaemonSet, in order. Each is audited on its own, so on a large cluster they are
/// spread over the cores (compute runs after the fetch, when they are free): thread `t` of `n`
/// takes DaemonSets `t`, `t + n`, … (costs differ: some run on few nodes), and the results are
/// put back in order, so the report is the same however many threads ran. Without `keep_pairs`
/// each report's `nodes` and `exclusions` are dropped on its thread once its marks are taken.
fn audit_all(
    ctx: &Ctx,
    daemon_sets: &[&DaemonSet],
    index: &PodIndex,
    keep_pairs: bool,
    threads: usize,
) -> Vec<Audited> {
    let one = |ds: &DaemonSet| audit_one(ctx, ds, index, keep_pairs);
    let threads = threads.min(daemon_sets.len());
    if threads < 2 {
        return daemon_sets.iter().map(|ds| one(ds)).collect();
    }
    let mut slots: Vec<Option<Audited>> = daemon_sets.iter().map(|_| None).collect();
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
            let there = snap.daemon_sets.iter().any(|d| {
                d.name() == name
                    && opts
                        .namespace
                        .as_deref()
                        .is_none_or(|ns| d.namespace() == ns)
                    && (!opts.only_manifests || d.from_manifest)
            });
            return Err(NotFound {
                namespace: opts.namespace.clone(),
                name: name.clone(),
                unselected_by: opts
                    .selector
                    .as_ref()
                    .filter(|_| there)
                    .map(|s| s.to_string()),
            });
        }
    }
    out.sort_by(|a, b| (a.namespace(), a.name()).cmp(&(b.namespace(), b.name())));
    Ok(out)
}

struct Ctx<'a> {
    opts: &'a Options,
    nodes: &'a [&'a Node],
    /// `nodes`' names, read in order (see [`NodeNameText`]).
    node_names: &'a NodeNameText,
    /// `nodes` grouped so that a placement is evaluated once per class where it can be.
    classes: &'a crate::eligibility::NodeClasses<'a>,
    known_nodes: &'a NodeNames<'a>,
    nodes_complete: bool,
    nodes_restricted: bool,
    revisions: &'a [ControllerRevision],
    /// Namespaces whose pods could not be read, with the API's reason.
    unreadable_pods: &'a std::collections::BTreeMap<String, String>,
    /// Namespaces whose ControllerRevisions could not be read, with the API's reason.
    unreadable_revisions: &'a std::collections::BTreeMap<String, String>,
    contested: &'a claim::Contested,
}

/// Pods indexed the way the controller's informer finds them: by controller UID, and orphans
/// (no controller reference) by namespace.
struct PodIndex<'a> {
    by_controller: HashMap<&'a str, Vec<&'a Pod>, FastBuild>,
    orphans_by_ns: HashMap<&'a str, Vec<&'a Pod>, FastBuild>,
}

impl<'a> PodIndex<'a> {
    fn new(pods: &'a [Pod]) -> PodIndex<'a> {
        let mut by_controller: HashMap<&str, Vec<&Pod>, FastBuild> = HashMap::default();
        let mut orphans_by_ns: HashMap<&str, Vec<&Pod>, FastBuild> = HashMap::default();
        for p in pods {
            // A mirror pod is the kubelet's: no DaemonSet counts, adopts or releases it, even
            // one without an owner reference (kubelets before 1.17 set none); since then the
            // node is its controller, which `ClaimPods`
            // (pkg/controller/controller_ref_manager.go) never takes over.
            if p.is_mirror() {
                continue;
            }
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

/// A pod as the report shows it (a DaemonSet's, or a static pod's mirror pod).
fn pod_report(
    p: &Pod,
    claim: crate::report::Claim,
    duplicate: bool,
    revision: Option<String>,
) -> crate::report::PodReport {
    crate::report::PodReport {
        duplicate,
        name: p.name().to_string(),
        uid: p.metadata.uid.to_string(),
        phase: if p.status.phase.is_empty() {
            "Unknown".into()
        } else {
            p.status.phase.to_string()
        },
        ready: p.is_ready(),
        restarts: p.restarts(),
        revision,
        created_at: p.metadata.creation_timestamp.get(),
        terminating: p.is_terminating(),
        claim,
    }
}
