//! The fix plan, pure: a report in, the actions that remove drift out, each with its reason, and
//! the gaps that no API call can close, each with a hint.
//!
//! Only daemon pods of audited DaemonSets are ever planned: pods come from the report's pairs
//! (claimed by the DaemonSet's own rules) and its pods on missing nodes, and [`pin`] then checks
//! each against the objects read (controller reference to the DaemonSet, UID) and records its
//! resourceVersion for the preconditions. An orphan the controller would adopt is not a daemon
//! pod yet: it is never removed, only named in a gap.

use serde::{Deserialize, Serialize};

use crate::eligibility::labels::label_selector_query;
use crate::model::UpdateStrategyType;
use crate::report::{
    Claim, DaemonSetReport, PairReport, PodReport, Report, Source, State, Unscheduled,
};
use crate::snapshot::Snapshot;

pub const PLAN_KIND: &str = "DaemonSetFixPlan";
pub const PLAN_SCHEMA_VERSION: u32 = 1;

/// What to plan (`fix` flags).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", default)]
pub struct FixOptions {
    /// `--delete`: delete misscheduled pods instead of evicting them.
    pub delete: bool,
    /// `--keep-tolerated`: leave misscheduled pods the controller itself keeps.
    pub keep_tolerated: bool,
    /// `--outdated`: replace outdated pods of OnDelete DaemonSets.
    pub outdated: bool,
}

/// How a pod is removed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum ActionKind {
    /// The eviction API: PodDisruptionBudgets are respected.
    Evict,
    /// A plain delete (what the controller itself would do).
    Delete,
    /// Delete an outdated pod of an OnDelete DaemonSet and wait for its replacement to be Ready.
    Replace,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Evict => "evict",
            ActionKind::Delete => "delete",
            ActionKind::Replace => "replace",
        }
    }
}

/// Why a pod is removed.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum Cause {
    /// The DaemonSet does not want a pod on the node.
    Misscheduled,
    /// Another daemon pod on the node is the one the controller keeps.
    Duplicate,
    /// The pod failed (or succeeded); the controller recreates it once it is gone.
    Failed,
    /// The pod targets a node that no longer exists.
    MissingNode,
    /// The pod runs an older revision of an OnDelete DaemonSet.
    Outdated,
}

/// One planned call on one pod.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Action {
    pub action: ActionKind,
    pub cause: Cause,
    pub namespace: String,
    pub daemon_set: String,
    pub daemon_set_uid: String,
    pub node: String,
    pub pod: String,
    /// The pod's UID when planned: a pod with another UID is another pod.
    pub pod_uid: String,
    /// The pod's resourceVersion when planned; sent, with the UID, as the delete preconditions.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
    pub reason: String,
    /// Replace only: the DaemonSet's selector (to find the replacement pod).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// Replace only: the revision the replacement must run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<String>,
}

impl Action {
    /// `namespace/daemonset`.
    pub fn daemon_set_id(&self) -> String {
        format!("{}/{}", self.namespace, self.daemon_set)
    }
}

/// Drift no API call of `fix` can remove, with what to look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Gap {
    pub namespace: String,
    pub daemon_set: String,
    pub node: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The pair's state (Missing, Pending, NotReady, ...), or what the pod is (Duplicate, ...)
    /// when the gap is about one pod the plan will not touch.
    pub state: GapState,
    pub reason: String,
    pub hint: String,
}

/// What a gap is about: a pair in a state no call fixes, or a pod the plan will not touch.
/// Serialized as one word: the pair state's name, or the variant's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GapState {
    /// The pair's state.
    Pair(State),
    /// An extra pod the plan leaves (an orphan, or the kept pod is one).
    Duplicate,
    /// An outdated pod that is not a daemon pod of its DaemonSet.
    Outdated,
    /// A pod bound to a node that is not in the node list.
    NodeGone,
    /// A pod targeting a node that no longer exists, not a daemon pod of its DaemonSet.
    OnMissingNode,
    /// The DaemonSet's pods could not be read: nothing is planned for it.
    Unknown,
}

impl GapState {
    const OTHERS: [GapState; 5] = [
        GapState::Duplicate,
        GapState::Outdated,
        GapState::NodeGone,
        GapState::OnMissingNode,
        GapState::Unknown,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            GapState::Pair(s) => s.as_str(),
            GapState::Duplicate => "Duplicate",
            GapState::Outdated => "Outdated",
            GapState::NodeGone => "NodeGone",
            GapState::OnMissingNode => "OnMissingNode",
            GapState::Unknown => "Unknown",
        }
    }
}

impl std::fmt::Display for GapState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for GapState {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl schemars::JsonSchema for GapState {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "GapState".into()
    }

    /// One word: a pair state's name or one of the others.
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let words: Vec<&str> = State::ALL
            .into_iter()
            .map(GapState::Pair)
            .chain(GapState::OTHERS)
            .map(GapState::as_str)
            .collect();
        schemars::json_schema!({ "type": "string", "enum": words })
    }
}

impl<'de> Deserialize<'de> for GapState {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<GapState, D::Error> {
        let word = String::deserialize(d)?;
        State::ALL
            .into_iter()
            .map(GapState::Pair)
            .chain(GapState::OTHERS)
            .find(|g| g.as_str() == word)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown gap state {word:?}")))
    }
}

impl From<Cause> for GapState {
    /// The gap an action becomes when its pod turns out not to be a daemon pod.
    fn from(c: Cause) -> GapState {
        match c {
            Cause::Misscheduled => GapState::Pair(State::Misscheduled),
            Cause::Duplicate => GapState::Duplicate,
            Cause::Failed => GapState::Pair(State::Failed),
            Cause::MissingNode => GapState::OnMissingNode,
            Cause::Outdated => GapState::Outdated,
        }
    }
}

/// A pod the controller itself removes (`podsShouldBeOnNode` in
/// `pkg/controller/daemon/daemon_controller.go` deletes every daemon pod on a node where
/// `shouldContinueRunning` is false): fix plans no call for it, and says so. Ordered by
/// namespace, DaemonSet, node, pod (the field order), as actions and gaps are.
#[derive(
    Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub struct Note {
    pub namespace: String,
    pub daemon_set: String,
    pub node: String,
    pub pod: String,
    pub reason: String,
}

/// Where the plan's objects came from: the report's source, read back with `--plan-file`.
pub type PlanSource = Source;

/// The plan (`fix -o json` without acting); `fix --plan-file` reads it back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct Plan {
    pub schema_version: u32,
    pub kind: String,
    pub source: PlanSource,
    pub options: FixOptions,
    pub actions: Vec<Action>,
    pub gaps: Vec<Gap>,
    /// Pods the controller removes itself: no call is planned for them.
    #[serde(default)]
    pub notes: Vec<Note>,
}

/// Plan the removal of the drift in `report`.
pub fn plan(report: &Report, opts: &FixOptions) -> Plan {
    let mut actions = Vec::new();
    let mut gaps = Vec::new();
    let mut notes = Vec::new();
    let not_ready: std::collections::HashSet<&str> = report
        .nodes
        .iter()
        .filter(|n| !n.ready)
        .map(|n| n.name.as_str())
        .collect();
    for ds in report.daemon_sets.iter().filter(|d| !d.from_manifest) {
        if let Some(u) = &ds.unknown {
            // Nothing is known of its pods: no call is planned, and the plan says why.
            gaps.push(Gap {
                namespace: ds.namespace.clone(),
                daemon_set: ds.name.clone(),
                node: "*".to_string(),
                pod: None,
                state: GapState::Unknown,
                reason: format!("its pods could not be read: {}", u.reason),
                hint: format!(
                    "nothing is planned for it; grant list on pods in namespace {}",
                    ds.namespace
                ),
            });
            continue;
        }
        for pair in &ds.nodes {
            let node_not_ready = not_ready.contains(pair.node.as_str());
            if pair.state == State::Misscheduled && pair.removed_by_controller == Some(true) {
                // The controller deletes every pod here itself (`podsShouldBeOnNode`: not
                // `shouldContinueRunning`): an evict or delete would only race it.
                for p in pair.pods.iter().filter(|p| !p.terminating) {
                    notes.push(Note {
                        namespace: ds.namespace.clone(),
                        daemon_set: ds.name.clone(),
                        node: pair.node.clone(),
                        pod: p.name.clone(),
                        reason: format!(
                            "Misscheduled: {} (the controller deletes it; nothing to do)",
                            first_reason(pair)
                        ),
                    });
                }
                continue;
            }
            plan_pair(ds, pair, node_not_ready, opts, &mut actions, &mut gaps);
        }
        for m in &ds.pods_on_missing_nodes {
            if m.bound {
                // A bound pod whose node is not in the list: the pod garbage collector's job once
                // the node is really gone, and a dump that simply lacks the node looks the same.
                gaps.push(Gap {
                    namespace: ds.namespace.clone(),
                    daemon_set: ds.name.clone(),
                    node: m.node.clone(),
                    pod: Some(m.pod.clone()),
                    state: GapState::NodeGone,
                    reason: format!(
                        "pod {} is bound to node {}, which is not in the node list",
                        m.pod, m.node
                    ),
                    hint: "the pod garbage collector deletes pods of deleted nodes; if the node \
                           exists, the input lacks it"
                        .to_string(),
                });
                continue;
            }
            let removed_by = "the DaemonSet controller would delete it";
            actions.push(Action {
                action: ActionKind::Delete,
                cause: Cause::MissingNode,
                namespace: ds.namespace.clone(),
                daemon_set: ds.name.clone(),
                daemon_set_uid: ds.uid.clone(),
                node: m.node.clone(),
                pod: m.pod.clone(),
                // The report does not carry it: `pin` fills it from the objects read.
                pod_uid: String::new(),
                resource_version: None,
                reason: format!("node {} no longer exists ({removed_by})", m.node),
                selector: None,
                revision: None,
            });
        }
    }
    sort(&mut actions, &mut gaps);
    notes.sort();
    Plan {
        schema_version: PLAN_SCHEMA_VERSION,
        kind: PLAN_KIND.to_string(),
        source: report.source.clone(),
        options: *opts,
        actions,
        gaps,
        notes,
    }
}

fn sort(actions: &mut [Action], gaps: &mut [Gap]) {
    // Replacements last: removals first restore coverage, then rolls run one DaemonSet at a time.
    actions.sort_by(|a, b| {
        (
            a.action == ActionKind::Replace,
            &a.namespace,
            &a.daemon_set,
            &a.node,
            &a.pod,
        )
            .cmp(&(
                b.action == ActionKind::Replace,
                &b.namespace,
                &b.daemon_set,
                &b.node,
                &b.pod,
            ))
    });
    gaps.sort_by(|a, b| {
        (&a.namespace, &a.daemon_set, &a.node, &a.pod).cmp(&(
            &b.namespace,
            &b.daemon_set,
            &b.node,
            &b.pod,
        ))
    });
}

fn first_reason(pair: &PairReport) -> String {
    pair.reasons
        .iter()
        .find(|r| r.rule != crate::reason::Rule::Terminating)
        .or_else(|| pair.reasons.first())
        .map(|r| r.message.clone())
        .unwrap_or_default()
}

/// A failed pod's status reason in short (`Evicted`, not the kubelet's whole message).
fn failed_reason(pair: &PairReport) -> String {
    // A younger pod running beside the failed one is said first (`reasons::classify`); the
    // failed pod's own reason comes after it.
    let live = pair
        .pods
        .iter()
        .find(|p| !is_finished(p))
        .map(|p| format!("pod {} also runs here", p.name));
    let own = pair
        .reasons
        .iter()
        .find(|r| live.as_deref().is_none_or(|l| !r.message.starts_with(l)));
    match own {
        Some(r) if r.rule == crate::reason::Rule::PodStatus => r
            .message
            .split_once(": ")
            .map_or(r.message.clone(), |(head, _)| head.to_string()),
        _ => first_reason(pair),
    }
}

fn plan_pair(
    ds: &DaemonSetReport,
    pair: &PairReport,
    node_not_ready: bool,
    opts: &FixOptions,
    actions: &mut Vec<Action>,
    gaps: &mut Vec<Gap>,
) {
    let action = |kind: ActionKind, cause: Cause, pod: &PodReport, reason: String| Action {
        action: kind,
        cause,
        namespace: ds.namespace.clone(),
        daemon_set: ds.name.clone(),
        daemon_set_uid: ds.uid.clone(),
        node: pair.node.clone(),
        pod: pod.name.clone(),
        pod_uid: pod.uid.clone(),
        resource_version: None,
        reason,
        selector: None,
        revision: None,
    };
    let gap = |pod: Option<&str>, reason: String, hint: String| Gap {
        namespace: ds.namespace.clone(),
        daemon_set: ds.name.clone(),
        node: pair.node.clone(),
        pod: pod.map(str::to_string),
        state: GapState::Pair(pair.state),
        reason,
        hint,
    };
    let orphan_hint = |pod: &str| {
        format!(
            "fix removes only daemon pods; if it is not needed: `kubectl delete pod -n {} {pod}`",
            ds.namespace
        )
    };
    // Pods already being deleted are left alone, as the controller leaves them.
    let live: Vec<&PodReport> = pair.pods.iter().filter(|p| !p.terminating).collect();

    let mut evicted = false;
    if pair.state == State::Misscheduled {
        // Only pods the controller keeps reach here: the ones it removes are notes (`plan`).
        if !opts.keep_tolerated {
            evicted = true;
            let kind = if opts.delete {
                ActionKind::Delete
            } else {
                ActionKind::Evict
            };
            let who = "the controller keeps it";
            // Finished pods are not evicted: the controller deletes them itself (below).
            for p in live.iter().filter(|p| !is_finished(p)) {
                if p.claim == Claim::Adopted {
                    gaps.push(gap(
                        Some(&p.name),
                        format!(
                            "misscheduled pod {} is an orphan (no controller) the DaemonSet would adopt",
                            p.name
                        ),
                        orphan_hint(&p.name),
                    ));
                } else {
                    actions.push(action(
                        kind,
                        Cause::Misscheduled,
                        p,
                        if node_not_ready {
                            // An eviction needs the kubelet: say what to expect.
                            format!(
                                "Misscheduled: {} ({who}; the node is not ready, so the pod stays \
                                 Terminating until it returns)",
                                first_reason(pair)
                            )
                        } else {
                            format!("Misscheduled: {} ({who})", first_reason(pair))
                        },
                    ));
                }
            }
        }
        // Kept (--keep-tolerated): the controller still deletes failed pods and duplicates.
    }

    // Failed (and Succeeded) pods: the controller deletes them (`podsShouldBeOnNode`, a Failed
    // one after a backoff) and, where the DaemonSet should run, creates a replacement.
    for p in live.iter().filter(|p| is_finished(p)) {
        if p.claim == Claim::Adopted {
            gaps.push(gap(
                Some(&p.name),
                format!(
                    "{} pod {} is an orphan (no controller) the DaemonSet would adopt",
                    p.phase, p.name
                ),
                orphan_hint(&p.name),
            ));
        } else {
            let why = if pair.state == State::Failed
                && pair.pods.first().map(|f| &f.name) == Some(&p.name)
            {
                failed_reason(pair)
            } else {
                format!("phase {}", p.phase)
            };
            let then = if pair.state == State::Misscheduled {
                "the controller deletes it too and creates none here"
            } else if live.iter().any(|l| !is_finished(l)) {
                // `podsShouldBeOnNode` creates a pod only where none runs.
                "a live pod runs beside it: the controller creates none"
            } else {
                "the controller recreates it"
            };
            actions.push(action(
                ActionKind::Delete,
                Cause::Failed,
                p,
                format!("{}: {why} ({then})", p.phase),
            ));
        }
    }
    if evicted {
        return;
    }

    // Duplicates: the pods the audit marks as extras (the controller keeps the first running pod
    // in its order, or with surge one pod per revision) are deleted.
    let running: Vec<&PodReport> = live.iter().copied().filter(|p| !is_finished(p)).collect();
    let extras: Vec<&PodReport> = running.iter().copied().filter(|p| p.duplicate).collect();
    if let Some(keep) = running.iter().find(|p| !p.duplicate) {
        for p in extras {
            if p.claim == Claim::Adopted {
                let mut g = gap(
                    Some(&p.name),
                    format!(
                        "duplicate pod {} is an orphan (no controller) the DaemonSet would adopt, \
                         then delete: the controller keeps {}",
                        p.name, keep.name
                    ),
                    orphan_hint(&p.name),
                );
                g.state = GapState::Duplicate;
                gaps.push(g);
            } else if keep.claim == Claim::Adopted {
                let mut g = gap(
                    Some(&p.name),
                    format!(
                        "duplicate {}: the controller keeps {}, an orphan it has not adopted yet",
                        p.name, keep.name
                    ),
                    "fix removes nothing here until the orphan is adopted (run fix again then)"
                        .to_string(),
                );
                g.state = GapState::Duplicate;
                gaps.push(g);
            } else {
                actions.push(action(
                    ActionKind::Delete,
                    Cause::Duplicate,
                    p,
                    format!("duplicate: the controller keeps {}", keep.name),
                ));
            }
        }
    }

    // Outdated pods of OnDelete DaemonSets are replaced only when deleted.
    if opts.outdated
        && pair.outdated
        && pair.state.is_eligible()
        && ds.update_strategy == UpdateStrategyType::OnDelete
        && let Some(first) = pair.pods.first()
        && !first.terminating
        && !is_finished(first)
    {
        if first.claim == Claim::Adopted {
            gaps.push(gap(
                Some(&first.name),
                format!(
                    "outdated pod {} is an orphan the DaemonSet would adopt",
                    first.name
                ),
                orphan_hint(&first.name),
            ));
        } else {
            let mut a = action(
                ActionKind::Replace,
                Cause::Outdated,
                first,
                format!(
                    "outdated: runs revision {}, the current revision is {} (OnDelete: replaced only when deleted)",
                    first.revision.as_deref().unwrap_or("?"),
                    ds.current_revision.as_deref().unwrap_or("?")
                ),
            );
            a.revision = ds.current_revision.clone();
            actions.push(a);
        }
    }

    // What no call can fix.
    let pod = pair.pods.first().map(|p| p.name.as_str());
    let explain = format!(
        "see `kubectl ds-coverage explain -n {} {} {}`",
        ds.namespace, ds.name, pair.node
    );
    let describe = |pod: &str| format!("`kubectl describe pod -n {} {pod}`", ds.namespace);
    let terminating = pair.pods.first().is_some_and(|p| p.terminating);
    match pair.state {
        State::Missing => gaps.push(gap(
            None,
            first_reason(pair),
            "no pod created: check the DaemonSet controller (kube-controller-manager) and events"
                .to_string(),
        )),
        _ if terminating && pair.state != State::Ready => gaps.push(gap(
            pod,
            first_reason(pair),
            if pair.surge_creates {
                "the pod is being deleted: with surge the controller creates its replacement now"
            } else {
                "the pod is being deleted: the controller replaces it once it is gone"
            }
            .to_string(),
        )),
        State::Pending => {
            let hint = match pair.unscheduled {
                Some(Unscheduled::InsufficientResources) => format!("{explain} for the fit check"),
                Some(Unscheduled::Other) => explain,
                None => pod
                    .map(|p| format!("see {}", describe(p)))
                    .unwrap_or(explain),
            };
            gaps.push(gap(pod, first_reason(pair), hint));
        }
        State::NotReady => {
            let node_rule = pair
                .reasons
                .iter()
                .any(|r| r.rule == crate::reason::Rule::Node);
            let hint = match pod {
                _ if node_rule => format!(
                    "the node is not ready: check it with `kubectl describe node {}`",
                    pair.node
                ),
                Some(p) => format!(
                    "check the pod: `kubectl logs -n {} {p} --previous` and {}",
                    ds.namespace,
                    describe(p)
                ),
                None => explain,
            };
            gaps.push(gap(pod, first_reason(pair), hint));
        }
        _ => {}
    }
}

fn is_finished(p: &PodReport) -> bool {
    matches!(p.phase.as_str(), "Failed" | "Succeeded")
}

/// Check every action against the objects read and record what the report does not carry: the
/// pod's UID (pods on missing nodes), its resourceVersion (the preconditions), and for
/// replacements the DaemonSet's selector. An action whose pod is not a daemon pod of its
/// DaemonSet (no controller reference to it: an orphan) becomes a gap.
pub fn pin(plan: &mut Plan, snapshot: &Snapshot) {
    let mut kept = Vec::with_capacity(plan.actions.len());
    for mut a in std::mem::take(&mut plan.actions) {
        let pod = snapshot
            .pods
            .iter()
            .find(|p| p.metadata.namespace == a.namespace && p.metadata.name == a.pod);
        let verdict = match pod {
            None => Err(format!("pod {} is not in the objects read", a.pod)),
            Some(p) if !a.pod_uid.is_empty() && p.metadata.uid != a.pod_uid => Err(format!(
                "pod {} has UID {}, not {}",
                a.pod, p.metadata.uid, a.pod_uid
            )),
            Some(p) => match p.metadata.controller_ref() {
                Some(r)
                    if r.kind == "DaemonSet"
                        && r.name == a.daemon_set
                        && r.uid == a.daemon_set_uid =>
                {
                    Ok(p)
                }
                Some(r) => Err(format!(
                    "pod {} is controlled by {} {}, not by the DaemonSet",
                    a.pod, r.kind, r.name
                )),
                None => Err(format!(
                    "pod {} is an orphan (no controller) the DaemonSet would adopt",
                    a.pod
                )),
            },
        };
        match verdict {
            Ok(p) => {
                a.pod_uid = p.metadata.uid.to_string();
                a.resource_version = Some(p.metadata.resource_version.to_string()).filter(|v| !v.is_empty());
                if a.action == ActionKind::Replace {
                    a.selector = snapshot
                        .daemon_sets
                        .iter()
                        .find(|d| d.metadata.uid == a.daemon_set_uid)
                        .map(|d| label_selector_query(&d.selector()))
                        .filter(|s| !s.is_empty());
                }
                kept.push(a);
            }
            Err(reason) => plan.gaps.push(Gap {
                namespace: a.namespace.clone(),
                daemon_set: a.daemon_set.clone(),
                node: a.node.clone(),
                pod: Some(a.pod.clone()),
                state: a.cause.into(),
                reason,
                hint: format!(
                    "fix removes only daemon pods; if it is not needed: `kubectl delete pod -n {} {}`",
                    a.namespace, a.pod
                ),
            }),
        }
    }
    plan.actions = kept;
    sort(&mut plan.actions, &mut plan.gaps);
}

/// Why a saved plan (`--plan-file`) does not fit this run's scope: its actions in namespaces
/// other than `-n`'s, or for DaemonSets not named on the command line. Such a run refuses the
/// plan rather than skip those actions as if they were no longer drift, as `kubectl apply -f`
/// refuses a file whose namespace is not `-n`'s (cli-runtime `resource.RequireNamespace`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OutsideScope {
    /// The namespaces of actions outside `-n`'s namespace, sorted, each once.
    pub namespaces: Vec<String>,
    /// `namespace/name` of the DaemonSets with actions that are not among those named.
    pub daemon_sets: Vec<String>,
}

impl OutsideScope {
    pub fn is_empty(&self) -> bool {
        self.namespaces.is_empty() && self.daemon_sets.is_empty()
    }
}

/// The parts of a saved plan outside the scope of a run auditing `namespace` (`None`: every
/// namespace) and the DaemonSets `names` (empty: every one).
pub fn outside_scope(saved: &Plan, namespace: Option<&str>, names: &[String]) -> OutsideScope {
    let mut namespaces = std::collections::BTreeSet::new();
    let mut daemon_sets = std::collections::BTreeSet::new();
    for a in &saved.actions {
        if namespace.is_some_and(|ns| ns != a.namespace) {
            namespaces.insert(a.namespace.clone());
        } else if !names.is_empty() && !names.contains(&a.daemon_set) {
            daemon_sets.insert(a.daemon_set_id());
        }
    }
    OutsideScope {
        namespaces: namespaces.into_iter().collect(),
        daemon_sets: daemon_sets.into_iter().collect(),
    }
}

/// A saved plan (`--plan-file`) checked against the plan of the current state: a saved action is
/// kept only when its pod is still planned for (same namespace and name); the saved UID and
/// resourceVersion stay, so a pod that changed since is skipped when re-read, and a stale plan
/// removes nothing new. The others come back with the reason they are dropped: a DaemonSet this
/// run does not audit (`audited`: `namespace/name` of those it does) is named as such — deleted
/// since, or not selected by this run's `-l` (`selector`) — rather than its pods called gone.
pub fn reconcile(
    saved: &Plan,
    current: &Plan,
    audited: &std::collections::BTreeSet<String>,
    selector: Option<&str>,
) -> (Vec<Action>, Vec<(Action, String)>) {
    let mut keep = Vec::new();
    let mut dropped = Vec::new();
    for a in &saved.actions {
        let still = current
            .actions
            .iter()
            .any(|c| c.namespace == a.namespace && c.pod == a.pod && c.daemon_set == a.daemon_set);
        if still {
            keep.push(a.clone());
            continue;
        }
        let id = a.daemon_set_id();
        let why = match selector {
            _ if audited.contains(&id) => {
                "no longer planned: the pod is gone or no longer drift in the current state"
                    .to_string()
            }
            Some(selector) => format!(
                "DaemonSet {id} is not audited by this run: deleted since the plan, or not \
                 selected by -l {selector}"
            ),
            None => format!("DaemonSet {id} no longer exists"),
        };
        dropped.push((a.clone(), why));
    }
    (keep, dropped)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::{Reason, Rule};
    use crate::report::{Counts, PodOnMissingNode, RemovedBy, Summary};

    fn pod(name: &str, phase: &str, claim: Claim) -> PodReport {
        PodReport {
            duplicate: false,
            name: name.into(),
            uid: format!("uid-{name}"),
            phase: phase.into(),
            ready: phase == "Running",
            restarts: 0,
            revision: Some("old".into()),
            created_at: None,
            terminating: false,
            claim,
        }
    }

    fn owned(name: &str) -> PodReport {
        pod(name, "Running", Claim::Owned)
    }

    /// A pair whose extras are marked as the audit marks them without surge: every live pod
    /// after the first.
    fn pair(
        node: &str,
        state: State,
        mut pods: Vec<PodReport>,
        reasons: &[(Rule, &str)],
    ) -> PairReport {
        let mut seen_live = false;
        for p in pods.iter_mut() {
            let live = !p.terminating && !matches!(p.phase.as_str(), "Failed" | "Succeeded");
            p.duplicate = live && seen_live;
            seen_live |= live;
        }
        PairReport {
            node: node.into(),
            state,
            eligible: state.is_eligible(),
            removed_by_controller: None,
            outdated: false,
            duplicates: 0,
            terminating: pods.iter().any(|p| p.terminating),
            reasons: reasons.iter().map(|(r, m)| Reason::new(*r, *m)).collect(),
            pods,
            unscheduled: None,
            surge_creates: false,
        }
    }

    fn ds(strategy: UpdateStrategyType, pairs: Vec<PairReport>) -> DaemonSetReport {
        DaemonSetReport {
            namespace: "ns".into(),
            name: "ds".into(),
            uid: "ds-uid".into(),
            from_manifest: false,
            update_strategy: strategy,
            current_revision: Some("new".into()),
            placement: Default::default(),
            counts: Counts::default(),
            computed_status: Default::default(),
            controller_status: None,
            status_agrees: None,
            nodes: pairs,
            exclusions: Vec::new(),
            pods_on_missing_nodes: Vec::new(),
            warnings: Vec::new(),
            unknown: None,
        }
    }

    fn report(daemon_sets: Vec<DaemonSetReport>) -> Report {
        Report {
            schema_version: 1,
            kind: "DaemonSetCoverageReport".into(),
            generated_at: jiff::Timestamp::UNIX_EPOCH,
            source: Source::File {
                paths: vec!["x".into()],
            },
            node_selector: None,
            summary: Summary::default(),
            daemon_sets,
            nodes: Vec::new(),
            orphans: Vec::new(),
            warnings: Vec::new(),
            gate: None,
            static_pods: None,
        }
    }

    /// (kind, cause, pod) of each action, and (node, pod, hint prefix) of each gap.
    type Summary2 = (
        Vec<(ActionKind, Cause, String)>,
        Vec<(String, Option<String>)>,
    );

    fn summarize(p: &Plan) -> Summary2 {
        (
            p.actions
                .iter()
                .map(|a| (a.action, a.cause, a.pod.clone()))
                .collect(),
            p.gaps
                .iter()
                .map(|g| (g.node.clone(), g.pod.clone()))
                .collect(),
        )
    }

    /// A Pending pair the scheduler cannot fit, as the audit marks it.
    fn insufficient(mut p: PairReport) -> PairReport {
        p.unscheduled = Some(Unscheduled::InsufficientResources);
        p
    }

    fn misscheduled(removed: bool, pods: Vec<PodReport>) -> PairReport {
        let mut p = pair(
            "n1",
            State::Misscheduled,
            pods,
            &[(Rule::Taint, "untolerated taint dedicated=infra:NoSchedule")],
        );
        p.removed_by_controller = Some(removed);
        p
    }

    fn outdated_ready(node: &str, name: &str) -> PairReport {
        let mut p = pair(node, State::Ready, vec![owned(name)], &[]);
        p.outdated = true;
        p
    }

    #[test]
    fn each_kind_of_drift_plans_its_action() {
        let evict = FixOptions::default();
        let delete = FixOptions {
            delete: true,
            ..FixOptions::default()
        };
        let keep = FixOptions {
            keep_tolerated: true,
            ..FixOptions::default()
        };
        let outdated = FixOptions {
            outdated: true,
            ..FixOptions::default()
        };
        let cases: Vec<(&str, UpdateStrategyType, PairReport, FixOptions, Summary2)> = vec![
            (
                "misscheduled pods are evicted by default",
                UpdateStrategyType::RollingUpdate,
                misscheduled(false, vec![owned("a")]),
                evict,
                (
                    vec![(ActionKind::Evict, Cause::Misscheduled, "a".into())],
                    vec![],
                ),
            ),
            (
                "--delete deletes misscheduled pods",
                UpdateStrategyType::RollingUpdate,
                misscheduled(false, vec![owned("a")]),
                delete,
                (
                    vec![(ActionKind::Delete, Cause::Misscheduled, "a".into())],
                    vec![],
                ),
            ),
            (
                "--keep-tolerated leaves the pods the controller keeps",
                UpdateStrategyType::RollingUpdate,
                misscheduled(false, vec![owned("a")]),
                keep,
                (vec![], vec![]),
            ),
            (
                "every live misscheduled pod goes, terminating ones are left alone",
                UpdateStrategyType::RollingUpdate,
                misscheduled(
                    false,
                    vec![owned("a"), owned("b"), {
                        let mut t = owned("c");
                        t.terminating = true;
                        t
                    }],
                ),
                evict,
                (
                    vec![
                        (ActionKind::Evict, Cause::Misscheduled, "a".into()),
                        (ActionKind::Evict, Cause::Misscheduled, "b".into()),
                    ],
                    vec![],
                ),
            ),
            (
                "a misscheduled orphan is a gap, never removed",
                UpdateStrategyType::RollingUpdate,
                misscheduled(false, vec![pod("o", "Running", Claim::Adopted)]),
                evict,
                (vec![], vec![("n1".into(), Some("o".into()))]),
            ),
            (
                "duplicates: the first pod in the controller's order stays",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Ready,
                    vec![owned("old"), owned("new1"), owned("new2")],
                    &[],
                ),
                evict,
                (
                    vec![
                        (ActionKind::Delete, Cause::Duplicate, "new1".into()),
                        (ActionKind::Delete, Cause::Duplicate, "new2".into()),
                    ],
                    vec![],
                ),
            ),
            (
                "an orphan duplicate is a gap",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Ready,
                    vec![owned("a"), pod("o", "Running", Claim::Adopted)],
                    &[],
                ),
                evict,
                (vec![], vec![("n1".into(), Some("o".into()))]),
            ),
            (
                "an orphan kept by the controller protects its duplicates until adopted",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Ready,
                    vec![pod("o", "Running", Claim::Adopted), owned("a")],
                    &[],
                ),
                evict,
                (vec![], vec![("n1".into(), Some("a".into()))]),
            ),
            (
                "a failed pod is deleted; a running pod after it is not a duplicate",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Failed,
                    vec![pod("f", "Failed", Claim::Owned), owned("r")],
                    &[(Rule::PodStatus, "Evicted: low on memory")],
                ),
                evict,
                (
                    vec![(ActionKind::Delete, Cause::Failed, "f".into())],
                    vec![],
                ),
            ),
            (
                "a failed orphan is a gap",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Failed,
                    vec![pod("f", "Failed", Claim::Adopted)],
                    &[],
                ),
                evict,
                (vec![], vec![("n1".into(), Some("f".into()))]),
            ),
            (
                "outdated pods of OnDelete DaemonSets are replaced with --outdated",
                UpdateStrategyType::OnDelete,
                outdated_ready("n1", "a"),
                outdated,
                (
                    vec![(ActionKind::Replace, Cause::Outdated, "a".into())],
                    vec![],
                ),
            ),
            (
                "outdated pods are left without --outdated",
                UpdateStrategyType::OnDelete,
                outdated_ready("n1", "a"),
                evict,
                (vec![], vec![]),
            ),
            (
                "outdated pods of RollingUpdate DaemonSets are the controller's business",
                UpdateStrategyType::RollingUpdate,
                outdated_ready("n1", "a"),
                outdated,
                (vec![], vec![]),
            ),
            (
                "Missing is a gap",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::Missing,
                    vec![],
                    &[(Rule::NoPod, "no daemon pod for this node")],
                ),
                evict,
                (vec![], vec![("n1".into(), None)]),
            ),
            (
                "Pending is a gap",
                UpdateStrategyType::RollingUpdate,
                insufficient(pair(
                    "n1",
                    State::Pending,
                    vec![pod("p", "Pending", Claim::Owned)],
                    &[(
                        Rule::Scheduling,
                        "0/8 nodes are available: 1 Insufficient cpu",
                    )],
                )),
                evict,
                (vec![], vec![("n1".into(), Some("p".into()))]),
            ),
            (
                "NotReady is a gap",
                UpdateStrategyType::RollingUpdate,
                pair(
                    "n1",
                    State::NotReady,
                    vec![pod("p", "Running", Claim::Owned)],
                    &[(Rule::Container, "CrashLoopBackOff")],
                ),
                evict,
                (vec![], vec![("n1".into(), Some("p".into()))]),
            ),
            (
                "a Ready pair plans nothing",
                UpdateStrategyType::RollingUpdate,
                pair("n1", State::Ready, vec![owned("a")], &[]),
                evict,
                (vec![], vec![]),
            ),
        ];
        for (name, strategy, p, opts, want) in cases {
            let got = plan(&report(vec![ds(strategy, vec![p])]), &opts);
            assert_eq!(summarize(&got), want, "{name}");
        }
    }

    /// A failed pod with a live one beside it: the failed pod's own reason (the report names the
    /// live pod first), and no replacement promised (`podsShouldBeOnNode` creates only where no
    /// pod runs); alone, it is replaced.
    #[test]
    fn a_failed_pod_beside_a_live_one_is_deleted_for_its_own_reason_and_not_replaced() {
        let evict = FixOptions::default();
        let beside = pair(
            "n1",
            State::Failed,
            vec![pod("f", "Failed", Claim::Owned), owned("r")],
            &[
                (
                    Rule::PodStatus,
                    "pod r also runs here (Ready); the DaemonSet's status counts the oldest pod, f, until the controller deletes it",
                ),
                (Rule::PodStatus, "Evicted: low on memory"),
            ],
        );
        let got = plan(
            &report(vec![ds(UpdateStrategyType::RollingUpdate, vec![beside])]),
            &evict,
        );
        assert_eq!(
            got.actions[0].reason,
            "Failed: Evicted (a live pod runs beside it: the controller creates none)"
        );
        let alone = pair(
            "n1",
            State::Failed,
            vec![pod("f", "Failed", Claim::Owned)],
            &[(Rule::PodStatus, "Evicted: low on memory")],
        );
        let got = plan(
            &report(vec![ds(UpdateStrategyType::RollingUpdate, vec![alone])]),
            &evict,
        );
        assert_eq!(
            got.actions[0].reason,
            "Failed: Evicted (the controller recreates it)"
        );
    }

    /// `podsShouldBeOnNode` (pkg/controller/daemon/daemon_controller.go) deletes every daemon pod
    /// on a node where `shouldContinueRunning` is false (an untolerated NoExecute taint, a
    /// selector or affinity the node no longer meets): fix plans no evict or delete there, whatever
    /// the flags, and names each pod in a note instead.
    #[test]
    fn pods_the_controller_removes_itself_are_notes_never_actions() {
        let mut finished = pod("f", "Failed", Claim::Owned);
        finished.duplicate = false;
        let mut gone = owned("t");
        gone.terminating = true;
        let mut removed = misscheduled(
            true,
            vec![
                owned("a"),
                owned("b"),
                finished,
                gone,
                pod("o", "Running", Claim::Adopted),
            ],
        );
        removed.reasons = vec![Reason::new(
            Rule::Taint,
            "untolerated taint dedicated=infra:NoExecute",
        )];
        for opts in [
            FixOptions::default(),
            FixOptions {
                delete: true,
                ..FixOptions::default()
            },
            FixOptions {
                keep_tolerated: true,
                ..FixOptions::default()
            },
        ] {
            let p = plan(
                &report(vec![ds(
                    UpdateStrategyType::RollingUpdate,
                    vec![removed.clone()],
                )]),
                &opts,
            );
            assert!(p.actions.is_empty(), "{opts:?}: {:?}", p.actions);
            assert!(p.gaps.is_empty(), "{opts:?}: {:?}", p.gaps);
            let pods: Vec<&str> = p.notes.iter().map(|n| n.pod.as_str()).collect();
            assert_eq!(pods, ["a", "b", "f", "o"], "terminating pods are left out");
            assert_eq!(
                p.notes[0].reason,
                "Misscheduled: untolerated taint dedicated=infra:NoExecute (the controller \
                 deletes it; nothing to do)"
            );
        }
        // A pair the controller keeps is still an action: the note is only for its own removals.
        let kept = plan(
            &report(vec![ds(
                UpdateStrategyType::RollingUpdate,
                vec![misscheduled(false, vec![owned("a")])],
            )]),
            &FixOptions::default(),
        );
        assert!(kept.notes.is_empty());
        assert_eq!(kept.actions.len(), 1);
        assert!(
            kept.actions[0]
                .reason
                .ends_with("(the controller keeps it)"),
            "{}",
            kept.actions[0].reason
        );
    }

    #[test]
    fn gaps_carry_the_hint_for_what_no_call_can_fix() {
        let r = report(vec![ds(
            UpdateStrategyType::RollingUpdate,
            vec![
                pair(
                    "n1",
                    State::Missing,
                    vec![],
                    &[(Rule::NoPod, "no daemon pod for this node")],
                ),
                insufficient(pair(
                    "n2",
                    State::Pending,
                    vec![pod("p", "Pending", Claim::Owned)],
                    &[(
                        Rule::Scheduling,
                        "0/8 nodes are available: 1 Insufficient cpu",
                    )],
                )),
            ],
        )]);
        let p = plan(&r, &FixOptions::default());
        assert_eq!(p.gaps.len(), 2);
        assert_eq!(p.gaps[0].state, GapState::Pair(State::Missing));
        assert_eq!(
            p.gaps[0].hint,
            "no pod created: check the DaemonSet controller (kube-controller-manager) and events"
        );
        assert_eq!(
            p.gaps[1].reason,
            "0/8 nodes are available: 1 Insufficient cpu"
        );
        assert_eq!(
            p.gaps[1].hint,
            "see `kubectl ds-coverage explain -n ns ds n2` for the fit check"
        );
    }

    #[test]
    fn gap_states_are_one_word_and_read_back() {
        let all: Vec<GapState> = State::ALL
            .into_iter()
            .map(GapState::Pair)
            .chain(GapState::OTHERS)
            .collect();
        for g in all {
            let json = serde_json::to_string(&g).unwrap();
            assert_eq!(json, format!("\"{g}\""));
            assert_eq!(serde_json::from_str::<GapState>(&json).unwrap(), g);
        }
        assert_eq!(GapState::from(Cause::MissingNode).as_str(), "OnMissingNode");
        assert_eq!(GapState::from(Cause::Failed).as_str(), "Failed");
        assert!(serde_json::from_str::<GapState>("\"Gone\"").is_err());
    }

    #[test]
    fn pending_hints_follow_the_scheduler_verdict_field_not_the_words() {
        let pending = |unscheduled| {
            let mut p = pair(
                "n1",
                State::Pending,
                vec![pod("p", "Pending", Claim::Owned)],
                &[(Rule::Container, "Insufficient words in a container message")],
            );
            p.unscheduled = unscheduled;
            let got = plan(
                &report(vec![ds(UpdateStrategyType::RollingUpdate, vec![p])]),
                &FixOptions::default(),
            );
            got.gaps[0].hint.clone()
        };
        let explain = "see `kubectl ds-coverage explain -n ns ds n1`";
        assert_eq!(
            pending(Some(Unscheduled::InsufficientResources)),
            format!("{explain} for the fit check")
        );
        assert_eq!(pending(Some(Unscheduled::Other)), explain);
        assert_eq!(pending(None), "see `kubectl describe pod -n ns p`");
    }

    #[test]
    fn pods_on_missing_nodes_are_deleted_and_pinned_from_the_snapshot() {
        let mut d = ds(UpdateStrategyType::RollingUpdate, vec![]);
        d.pods_on_missing_nodes = vec![
            PodOnMissingNode {
                pod: "gone".into(),
                node: "gpu-3".into(),
                bound: false,
                removed_by: RemovedBy::DaemonSetController,
            },
            PodOnMissingNode {
                pod: "orphan".into(),
                node: "gpu-4".into(),
                bound: false,
                removed_by: RemovedBy::DaemonSetController,
            },
        ];
        let mut p = plan(&report(vec![d]), &FixOptions::default());
        assert_eq!(p.actions.len(), 2);
        assert!(p.actions.iter().all(|a| a.cause == Cause::MissingNode));
        let snapshot = snapshot(serde_json::json!([
            {"metadata": {"name": "gone", "namespace": "ns", "uid": "u1", "resourceVersion": "7",
              "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds", "uid": "ds-uid", "controller": true}]}},
            {"metadata": {"name": "orphan", "namespace": "ns", "uid": "u2", "resourceVersion": "8"}}
        ]));
        pin(&mut p, &snapshot);
        assert_eq!(p.actions.len(), 1, "{:?}", p.actions);
        assert_eq!(p.actions[0].pod, "gone");
        assert_eq!(p.actions[0].pod_uid, "u1");
        assert_eq!(p.actions[0].resource_version.as_deref(), Some("7"));
        assert_eq!(p.gaps.len(), 1);
        assert_eq!(p.gaps[0].pod.as_deref(), Some("orphan"));
        assert!(p.gaps[0].reason.contains("orphan"), "{}", p.gaps[0].reason);
    }

    #[test]
    fn a_bound_pod_on_a_node_missing_from_the_input_is_a_gap_not_a_delete() {
        let mut d = ds(UpdateStrategyType::RollingUpdate, vec![]);
        d.pods_on_missing_nodes = vec![PodOnMissingNode {
            pod: "bound".into(),
            node: "worker-9".into(),
            bound: true,
            removed_by: RemovedBy::PodGc,
        }];
        let p = plan(&report(vec![d]), &FixOptions::default());
        assert!(p.actions.is_empty(), "{:?}", p.actions);
        assert_eq!(p.gaps.len(), 1);
        assert_eq!(p.gaps[0].state, GapState::NodeGone);
        assert!(p.gaps[0].hint.contains("garbage collector"));
    }

    fn snapshot(pods: serde_json::Value) -> Snapshot {
        let mut s = Snapshot::new(Source::File { paths: vec![] });
        let pods: Vec<crate::model::Pod> = serde_json::from_value(pods).unwrap();
        for p in pods {
            s.add_pod(p);
        }
        s
    }

    #[test]
    fn pin_drops_pods_that_are_not_the_daemon_sets() {
        let r = report(vec![ds(
            UpdateStrategyType::RollingUpdate,
            vec![
                misscheduled(false, vec![owned("a")]),
                {
                    let mut p = misscheduled(false, vec![owned("b")]);
                    p.node = "n2".into();
                    p
                },
                {
                    let mut p = misscheduled(false, vec![owned("c")]);
                    p.node = "n3".into();
                    p
                },
            ],
        )]);
        let mut p = plan(&r, &FixOptions::default());
        assert_eq!(p.actions.len(), 3);
        let owner = |kind: &str, name: &str, uid: &str| serde_json::json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true}]);
        let s = snapshot(serde_json::json!([
            {"metadata": {"name": "a", "namespace": "ns", "uid": "uid-a", "resourceVersion": "1", "ownerReferences": owner("DaemonSet", "ds", "ds-uid")}},
            {"metadata": {"name": "b", "namespace": "ns", "uid": "uid-b", "resourceVersion": "2", "ownerReferences": owner("ReplicaSet", "web", "rs-uid")}},
            {"metadata": {"name": "c", "namespace": "ns", "uid": "another", "resourceVersion": "3", "ownerReferences": owner("DaemonSet", "ds", "ds-uid")}}
        ]));
        pin(&mut p, &s);
        assert_eq!(
            p.actions.iter().map(|a| a.pod.as_str()).collect::<Vec<_>>(),
            ["a"]
        );
        assert_eq!(p.actions[0].resource_version.as_deref(), Some("1"));
        let gap_pods: Vec<_> = p.gaps.iter().filter_map(|g| g.pod.as_deref()).collect();
        assert_eq!(gap_pods, ["b", "c"]);
    }

    #[test]
    fn replacements_come_last_and_carry_the_revision() {
        let r = report(vec![ds(
            UpdateStrategyType::OnDelete,
            vec![
                outdated_ready("n1", "a"),
                misscheduled(false, vec![owned("z")]),
            ],
        )]);
        let p = plan(
            &r,
            &FixOptions {
                outdated: true,
                ..FixOptions::default()
            },
        );
        let kinds: Vec<_> = p.actions.iter().map(|a| a.action).collect();
        assert_eq!(kinds, [ActionKind::Evict, ActionKind::Replace]);
        assert_eq!(p.actions[1].revision.as_deref(), Some("new"));
    }

    #[test]
    fn a_saved_plan_keeps_only_pods_still_planned_with_their_saved_identity() {
        let r = report(vec![ds(
            UpdateStrategyType::RollingUpdate,
            vec![misscheduled(false, vec![owned("a")]), {
                let mut p = misscheduled(false, vec![owned("b")]);
                p.node = "n2".into();
                p
            }],
        )]);
        let saved = plan(&r, &FixOptions::default());
        let mut current = saved.clone();
        current.actions[0].pod_uid = "new-uid".into();
        current.actions.remove(1);
        let audited = std::collections::BTreeSet::from([saved.actions[0].daemon_set_id()]);
        let (keep, dropped) = reconcile(&saved, &current, &audited, None);
        assert_eq!(keep.len(), 1);
        assert_eq!(
            keep[0].pod_uid, "uid-a",
            "the saved UID is the one acted on"
        );
        assert_eq!(dropped.len(), 1);
        assert_eq!(dropped[0].0.pod, "b");
        assert_eq!(
            dropped[0].1,
            "no longer planned: the pod is gone or no longer drift in the current state"
        );
    }

    /// A saved action whose DaemonSet this run does not audit is dropped as such: not selected
    /// by a narrower `-l`, or deleted; never "the pod is gone".
    #[test]
    fn a_saved_plan_names_a_daemon_set_this_run_does_not_audit() {
        let r = report(vec![ds(
            UpdateStrategyType::RollingUpdate,
            vec![misscheduled(false, vec![owned("a")])],
        )]);
        let saved = plan(&r, &FixOptions::default());
        let id = saved.actions[0].daemon_set_id();
        let current = Plan {
            actions: Vec::new(),
            ..saved.clone()
        };
        let none = std::collections::BTreeSet::new();
        let (keep, dropped) = reconcile(&saved, &current, &none, Some("tier=node"));
        assert!(keep.is_empty());
        assert_eq!(
            dropped[0].1,
            format!(
                "DaemonSet {id} is not audited by this run: deleted since the plan, or not \
                 selected by -l tier=node"
            )
        );
        let (_, dropped) = reconcile(&saved, &current, &none, None);
        assert_eq!(dropped[0].1, format!("DaemonSet {id} no longer exists"));
    }

    #[test]
    fn plans_round_trip_through_json() {
        let r = report(vec![ds(
            UpdateStrategyType::RollingUpdate,
            vec![misscheduled(false, vec![owned("a")])],
        )]);
        let p = plan(&r, &FixOptions::default());
        let text = serde_json::to_string(&p).unwrap();
        let back: Plan = serde_json::from_str(&text).unwrap();
        assert_eq!(back, p);
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["kind"], "DaemonSetFixPlan");
        assert_eq!(v["actions"][0]["action"], "evict");
        assert_eq!(v["actions"][0]["cause"], "misscheduled");
        assert_eq!(v["actions"][0]["podUid"], "uid-a");
    }
}
