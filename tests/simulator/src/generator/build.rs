//! The generator: the cluster put together, with drift, and the DaemonSets' status.

use std::collections::HashSet;

use serde_json::{Map, Value, json};

use super::*;

/// How an eligible pair drifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    Missing,
    NotReady,
    Pending,
    Failed,
    Outdated,
    /// Two live pods: the controller's status looks at the first in `podByCreationTimestampAndPhase`
    /// order.
    Duplicate,
}

const DRIFTS: [Drift; 6] = [
    Drift::Missing,
    Drift::NotReady,
    Drift::Pending,
    Drift::Failed,
    Drift::Outdated,
    Drift::Duplicate,
];

pub(super) struct Generator<'a> {
    pub(super) spec: &'a ClusterSpec,
    pub(super) seed: u64,
    pub(super) drift: f64,
    pub(super) nodes: Vec<NodePlan>,
    pub(super) daemon_sets: Vec<DsPlan>,
    pub(super) rv: ResourceVersions,
    /// Next pod IP per node (last octet).
    ip_slots: Vec<u32>,
    /// Record what each pair is meant to show (off when streaming: it grows with the pairs).
    pub(super) expectations: bool,
}

impl<'a> Generator<'a> {
    pub(super) fn new(spec: &'a ClusterSpec) -> Self {
        let seed = spec.seed;
        let drift = if spec.drift.is_nan() {
            0.0
        } else {
            spec.drift.clamp(0.0, 1.0)
        };
        let mut nodes: Vec<NodePlan> = (0..spec.nodes).map(|i| NodePlan::new(seed, i)).collect();
        if drift > 0.0 {
            // A few regular workers drift: unreachable, tainted after their pods started,
            // cordoned.
            let mut rng = Rng::derive(seed, "node-drift", 0);
            let mut candidates: Vec<usize> = nodes
                .iter()
                .filter(|n| !n.control_plane && !n.gpu)
                .map(|n| n.index)
                .collect();
            shuffle(&mut candidates, &mut rng);
            let few = ((spec.nodes as f64) * drift * 0.05).ceil() as usize;
            let states = [
                NodeState::Unreachable,
                NodeState::Dedicated,
                NodeState::Cordoned,
            ];
            for (slot, &i) in candidates.iter().enumerate().take(few * states.len()) {
                nodes[i].drift(states[slot / few], &mut rng);
            }
        }
        let daemon_sets = (0..spec.daemon_sets)
            .map(|i| DsPlan::new(seed, i))
            .collect();
        Generator {
            spec,
            seed,
            drift,
            ip_slots: vec![2; nodes.len()],
            expectations: true,
            nodes,
            daemon_sets,
            rv: ResourceVersions {
                next: 4_000 + Rng::derive(seed, "rv", 0).below(1_000),
                rng: Rng::derive(seed, "rv", 1),
            },
        }
    }

    fn next_pod_ip(&mut self, node: usize) -> String {
        let slot = self.ip_slots[node];
        self.ip_slots[node] += 1;
        format!("{}.{}", self.nodes[node].pod_net, slot % 253 + 2)
    }

    /// Generate every object, handing each to `convert` as soon as it is built (so a caller
    /// that serializes them never holds more than one `Value` at a time). What `convert` returns
    /// is kept and sorted; `None` keeps nothing (streaming).
    pub(super) fn run<T>(
        mut self,
        convert: &mut dyn FnMut(Value) -> Option<T>,
    ) -> (Objects<T>, Expectations) {
        let n = self.nodes.len();
        let mut node_json = Vec::with_capacity(n);
        for node in &self.nodes {
            // Node names are zero-padded: generation order is name order.
            node_json.extend(convert(node.to_json(self.seed, &mut self.rv)));
        }

        // Where each DaemonSet wants pods now, and wanted them before drift tainted nodes.
        let verdicts: Vec<Vec<Verdict>> = self
            .daemon_sets
            .iter()
            .map(|ds| {
                self.nodes
                    .iter()
                    .map(|nd| ds.placement.evaluate(nd, true))
                    .collect()
            })
            .collect();
        let before: Vec<Vec<bool>> = self
            .daemon_sets
            .iter()
            .map(|ds| {
                self.nodes
                    .iter()
                    .map(|nd| ds.placement.evaluate(nd, false).should_run)
                    .collect()
            })
            .collect();

        // Drift: exactly round(drift × eligible pairs on reachable nodes), kinds in turn.
        let mut drifts: Vec<Option<Drift>> = vec![None; self.daemon_sets.len() * n];
        let mut eligible: Vec<usize> = Vec::new();
        for (d, row) in verdicts.iter().enumerate() {
            for (i, v) in row.iter().enumerate() {
                if v.should_run && self.nodes[i].state != NodeState::Unreachable {
                    eligible.push(d * n + i);
                }
            }
        }
        let count = (self.drift * eligible.len() as f64).round() as usize;
        let mut rng = Rng::derive(self.seed, "pair-drift", 0);
        for k in 0..count.min(eligible.len()) {
            let j = k + rng.below((eligible.len() - k) as u64) as usize;
            eligible.swap(k, j);
            drifts[eligible[k]] = Some(DRIFTS[k % DRIFTS.len()]);
        }

        let mut expectations = Expectations::default();
        let mut ds_json = Vec::new();
        let mut pods = Vec::new();
        let mut revision_json = Vec::new();
        let daemon_sets = std::mem::take(&mut self.daemon_sets);
        for ds in &daemon_sets {
            let d = ds.index;
            let row = &drifts[d * n..(d + 1) * n];
            let two = ds.two_revisions_by_chance || row.contains(&Some(Drift::Outdated));
            let revisions = self.revisions(ds, two);
            let current = revisions.last().expect("at least one revision");
            let mut names: HashSet<String> = HashSet::new();
            let mut name_rng = Rng::derive(self.seed, "pod-names", d as u64);
            let mut status = DsStatus::default();
            for i in 0..n {
                let verdict = verdicts[d][i];
                let plans = self.pod_plans(ds, i, verdict, before[d][i], row[i], two);
                let mut facts = Vec::with_capacity(plans.len());
                for (k, plan) in plans.iter().enumerate() {
                    let rev = if plan.old { &revisions[0] } else { current };
                    let name = unique_name(&ds.name, &mut names, &mut name_rng);
                    let pod_ip = self.next_pod_ip(i);
                    let mut rng = Rng::derive(
                        self.seed,
                        "pod",
                        ((d as u64) << 40) | ((i as u64) << 8) | k as u64,
                    );
                    let pod = daemon_pod(
                        self.seed,
                        ds,
                        rev,
                        &self.nodes[i],
                        plan,
                        &name,
                        &pod_ip,
                        n,
                        &mut rng,
                        &mut self.rv,
                    );
                    if let Some(t) = convert(pod) {
                        pods.push(((ds.namespace, name.clone()), t));
                    }
                    facts.push(PodFacts {
                        bound: plan.kind != PodKind::Pending,
                        created: plan.created,
                        name,
                        ready: plan.kind == PodKind::Ready,
                        terminal: plan.kind == PodKind::Failed,
                        phase_pending: plan.kind == PodKind::Pending,
                        hash: rev.hash.clone(),
                        template_generation: rev.template_generation,
                    });
                }
                if let Some(pair) = status.add(verdict, facts, current)
                    && self.expectations
                {
                    expectations.pairs.insert(
                        (
                            format!("{}/{}", ds.namespace, ds.name),
                            self.nodes[i].name.clone(),
                        ),
                        pair,
                    );
                }
            }
            let json = self.daemon_set_json(ds, current, &status);
            if let Some(t) = convert(json) {
                ds_json.push(((ds.namespace, ds.name.clone()), t));
            }
            for rev in &revisions {
                let json = self.revision_json(ds, rev);
                if let Some(t) = convert(json) {
                    let name = format!("{}-{}", ds.name, rev.hash);
                    revision_json.push(((ds.namespace, name), t));
                }
            }
        }

        // Ordinary pods: ReplicaSet-owned, bound, Running.
        let mut rs_rng = Rng::derive(self.seed, "replicasets", 0);
        let replica_sets: Vec<(String, String)> = DEPLOYMENTS
            .iter()
            .map(|_| (rs_rng.safe(10), rs_rng.uuid()))
            .collect();
        let mut ordinary_names: HashSet<String> = HashSet::new();
        let mut name_rng = Rng::derive(self.seed, "ordinary-names", 0);
        for i in 0..n {
            for j in 0..self.spec.ordinary_pods_per_node {
                let dep = (i * self.spec.ordinary_pods_per_node + j) % DEPLOYMENTS.len();
                let (rs_hash, rs_uid) = &replica_sets[dep];
                let prefix = format!("{}-{rs_hash}", DEPLOYMENTS[dep].1);
                let name = unique_name(&prefix, &mut ordinary_names, &mut name_rng);
                let pod_ip = self.next_pod_ip(i);
                let mut rng = Rng::derive(self.seed, "ordinary-pod", ((i as u64) << 16) | j as u64);
                let pod = ordinary_pod(
                    self.seed,
                    dep,
                    rs_hash,
                    rs_uid,
                    &self.nodes[i],
                    &name,
                    &pod_ip,
                    n,
                    &mut rng,
                    &mut self.rv,
                );
                if let Some(t) = convert(pod) {
                    pods.push(((DEPLOYMENTS[dep].0, name), t));
                }
            }
        }

        (
            Objects {
                nodes: node_json,
                daemon_sets: sorted(ds_json),
                pods: sorted(pods),
                revisions: sorted(revision_json),
            },
            expectations,
        )
    }

    /// The DaemonSet's revisions, oldest first; the last is current.
    pub(super) fn revisions(&self, ds: &DsPlan, two: bool) -> Vec<Revision> {
        let pad = if self.spec.daemon_pod_padding {
            self.calibrate(ds, two)
        } else {
            0
        };
        let [old_version, new_version] = ds.profile.versions;
        if two {
            vec![
                Revision {
                    template: build_template(ds, old_version, pad, None),
                    hash: ds.hashes[0].clone(),
                    template_generation: 1,
                    number: 1,
                    created: ds.created,
                },
                Revision {
                    template: build_template(ds, new_version, pad, Some(ds.rev2_created - 2)),
                    hash: ds.hashes[1].clone(),
                    template_generation: 2,
                    number: 2,
                    created: ds.rev2_created,
                },
            ]
        } else {
            vec![Revision {
                template: build_template(ds, new_version, pad, None),
                hash: ds.hashes[1].clone(),
                template_generation: 1,
                number: 1,
                created: ds.created,
            }]
        }
    }

    /// The smallest padding level at which every kind of daemon pod of this DaemonSet is at
    /// least `ds.min_pod_bytes` of JSON (sizes grow with the level, so a binary search works).
    fn calibrate(&self, ds: &DsPlan, two: bool) -> usize {
        let Some(node) = self.nodes.first() else {
            return 0;
        };
        let version = ds.profile.versions[1];
        let restarted = two.then_some(ds.rev2_created - 2);
        let smallest_pod = |level: usize| -> usize {
            let rev = Revision {
                template: build_template(ds, version, level, restarted),
                hash: ds.hashes[1].clone(),
                template_generation: 2,
                number: 2,
                created: ds.created,
            };
            [
                PodKind::Ready,
                PodKind::Pending,
                PodKind::CrashLoop,
                PodKind::Failed,
            ]
            .iter()
            .map(|&kind| {
                let plan = PodPlan {
                    kind,
                    created: 16 * DAY,
                    old: false,
                };
                let mut rng = Rng::derive(self.seed, "calibrate", 0);
                let mut rv = ResourceVersions {
                    next: 1_000_000,
                    rng: Rng::derive(self.seed, "calibrate", 1),
                };
                let name = format!("{}-xxxxx", ds.name);
                let pod = daemon_pod(
                    self.seed,
                    ds,
                    &rev,
                    node,
                    &plan,
                    &name,
                    "10.128.0.2",
                    self.spec.nodes,
                    &mut rng,
                    &mut rv,
                );
                serde_json::to_vec(&pod).map_or(0, |v| v.len())
            })
            .min()
            .unwrap_or(0)
        };
        let (mut lo, mut hi) = (0, MAX_PAD_LEVEL);
        while lo < hi {
            let mid = (lo + hi) / 2;
            if smallest_pod(mid) >= ds.min_pod_bytes {
                hi = mid;
            } else {
                lo = mid + 1;
            }
        }
        lo
    }

    /// The daemon pods of one (DaemonSet, node) pair.
    fn pod_plans(
        &self,
        ds: &DsPlan,
        node_index: usize,
        verdict: Verdict,
        had_pod: bool,
        drift: Option<Drift>,
        two: bool,
    ) -> Vec<PodPlan> {
        let node = &self.nodes[node_index];
        let mut rng = Rng::derive(
            self.seed,
            "pod-plan",
            ((ds.index as u64) << 32) | node_index as u64,
        );
        // When the pod for this node was created on the current revision: at the rollout of
        // revision 2, or when the node (or the DaemonSet) appeared.
        let first_start = node.created.max(ds.created) + rng.range(3, 40);
        let settled = if two {
            ds.rev2_created + rng.range(MIN, 6 * HOUR)
        } else {
            first_start
        };
        let plan = |kind, created, old| PodPlan { kind, created, old };
        if !verdict.should_run {
            // A pod from before the node drifted, which the controller lets stay
            // (`NodeShouldRunDaemonPod`: shouldContinueRunning, no untolerated NoExecute taint).
            if had_pod && verdict.should_continue {
                let kind = if node.state == NodeState::Unreachable {
                    PodKind::NodeLost
                } else {
                    PodKind::Ready
                };
                return vec![plan(kind, settled, false)];
            }
            return vec![];
        }
        if node.state == NodeState::Unreachable {
            return vec![plan(PodKind::NodeLost, settled, false)];
        }
        match drift {
            None => vec![plan(PodKind::Ready, settled, false)],
            Some(Drift::Missing) => vec![],
            Some(Drift::NotReady) => vec![plan(
                PodKind::CrashLoop,
                AS_OF_OFFSET - rng.range(30 * MIN, 3 * HOUR),
                false,
            )],
            Some(Drift::Pending) => vec![plan(
                PodKind::Pending,
                AS_OF_OFFSET - rng.range(10 * MIN, 4 * HOUR),
                false,
            )],
            Some(Drift::Failed) => vec![plan(PodKind::Failed, settled, false)],
            Some(Drift::Outdated) => vec![plan(PodKind::Ready, first_start, true)],
            Some(Drift::Duplicate) => {
                if rng.chance(0.5) {
                    // Two Ready pods created in the same second: the name decides
                    // (`podByCreationTimestampAndPhase`).
                    vec![
                        plan(PodKind::Ready, settled, false),
                        plan(PodKind::Ready, settled, false),
                    ]
                } else {
                    // An older crash-looping pod sits first, so the node is not ready even
                    // though a newer pod is.
                    let older = AS_OF_OFFSET - rng.range(2 * HOUR, 4 * HOUR);
                    vec![
                        plan(PodKind::CrashLoop, older, false),
                        plan(PodKind::Ready, older + rng.range(MIN, HOUR), false),
                    ]
                }
            }
        }
    }

    fn daemon_set_json(&mut self, ds: &DsPlan, current: &Revision, status: &DsStatus) -> Value {
        let generation = match (current.template_generation, ds.extra_generation) {
            (1, _) => 1,
            (g, true) => g + 1,
            (g, false) => g,
        };
        let p = ds.profile;
        let mut labels = ds.selector_labels();
        if p.helm {
            labels.insert("app.kubernetes.io/managed-by".into(), json!("Helm"));
            labels.insert(
                "app.kubernetes.io/version".into(),
                json!(p.versions[1].trim_start_matches('v')),
            );
            labels.insert(
                "helm.sh/chart".into(),
                json!(format!(
                    "{}-{}",
                    p.name,
                    p.versions[1].trim_start_matches('v')
                )),
            );
        }
        let update_strategy = if ds.on_delete {
            json!({"type": "OnDelete"})
        } else {
            json!({"rollingUpdate": {"maxSurge": 0, "maxUnavailable": 1}, "type": "RollingUpdate"})
        };
        let mut st = Map::new();
        st.insert("currentNumberScheduled".into(), json!(status.current));
        st.insert("desiredNumberScheduled".into(), json!(status.desired));
        // As the API leaves zero optional numbers out (omitempty).
        if status.available > 0 {
            st.insert("numberAvailable".into(), json!(status.available));
        }
        st.insert("numberMisscheduled".into(), json!(status.misscheduled));
        st.insert("numberReady".into(), json!(status.ready));
        if status.desired > status.available {
            st.insert(
                "numberUnavailable".into(),
                json!(status.desired - status.available),
            );
        }
        st.insert("observedGeneration".into(), json!(generation));
        if status.updated > 0 {
            st.insert("updatedNumberScheduled".into(), json!(status.updated));
        }
        json!({
            "apiVersion": "apps/v1",
            "kind": "DaemonSet",
            "metadata": {
                "annotations": ds.annotations(current.template_generation),
                "creationTimestamp": ts(ds.created),
                "generation": generation,
                "labels": labels,
                "name": ds.name,
                "namespace": ds.namespace,
                "resourceVersion": self.rv.take(),
                "uid": ds.uid,
            },
            "spec": {
                "revisionHistoryLimit": 10,
                "selector": {"matchLabels": ds.selector_labels()},
                "template": current.template,
                "updateStrategy": update_strategy,
            },
            "status": st,
        })
    }

    fn revision_json(&mut self, ds: &DsPlan, rev: &Revision) -> Value {
        let mut template = rev.template.clone();
        template["$patch"] = json!("replace");
        let mut labels = ds.selector_labels();
        labels.insert("controller-revision-hash".into(), json!(rev.hash));
        json!({
            "apiVersion": "apps/v1",
            "data": {"spec": {"template": template}},
            "kind": "ControllerRevision",
            "metadata": {
                "annotations": ds.annotations(rev.template_generation),
                "creationTimestamp": ts(rev.created),
                "labels": labels,
                "name": format!("{}-{}", ds.name, rev.hash),
                "namespace": ds.namespace,
                "ownerReferences": ds.owner_reference(),
                "resourceVersion": self.rv.take(),
                "uid": ds.revision_uids[(rev.number - 1) as usize],
            },
            "revision": rev.number,
        })
    }
}

/// Objects by (namespace, name), as kubectl and the API server list them.
pub(super) fn sorted<T>(mut keyed: Vec<((&'static str, String), T)>) -> Vec<T> {
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.into_iter().map(|(_, v)| v).collect()
}

/// `<prefix>-<5 safe characters>`, unique within `taken`.
fn unique_name(prefix: &str, taken: &mut HashSet<String>, rng: &mut Rng) -> String {
    loop {
        let name = format!("{prefix}-{}", rng.safe(5));
        if taken.insert(name.clone()) {
            return name;
        }
    }
}

fn shuffle<T>(v: &mut [T], rng: &mut Rng) {
    for i in (1..v.len()).rev() {
        let j = rng.below(i as u64 + 1) as usize;
        v.swap(i, j);
    }
}

/// `pkg/controller/daemon/daemon_controller.go: updateDaemonSetStatus`, node by node.
#[derive(Debug, Default)]
struct DsStatus {
    desired: i64,
    pub(super) current: i64,
    misscheduled: i64,
    pub(super) ready: i64,
    pub(super) available: i64,
    updated: i64,
}

impl DsStatus {
    /// Count one node; returns the pair as the report should show it (None when Ineligible).
    pub(super) fn add(
        &mut self,
        verdict: Verdict,
        mut pods: Vec<PodFacts>,
        current: &Revision,
    ) -> Option<ExpectedPair> {
        // `podByCreationTimestampAndPhase`: bound first, then oldest, then by name.
        pods.sort_by(|a, b| (!a.bound, a.created, &a.name).cmp(&(!b.bound, b.created, &b.name)));
        let first = pods.first();
        let updated = |p: &PodFacts| {
            p.hash == current.hash || p.template_generation == current.template_generation
        };
        let live = pods.iter().filter(|p| !p.terminal).count();
        let mut pair = ExpectedPair {
            state: "",
            eligible: verdict.should_run,
            outdated: first.is_some_and(|p| !updated(p)),
            duplicates: live.saturating_sub(1),
            pods: pods.len(),
        };
        if verdict.should_run {
            self.desired += 1;
            pair.state = match first {
                None => "Missing",
                Some(p) => {
                    self.current += 1;
                    if p.ready {
                        // minReadySeconds is 0: available = ready.
                        self.ready += 1;
                        self.available += 1;
                    }
                    if updated(p) {
                        self.updated += 1;
                    }
                    if p.ready {
                        "Ready"
                    } else if p.terminal || pods.iter().all(|p| p.terminal) {
                        "Failed"
                    } else if !p.bound || p.phase_pending {
                        "Pending"
                    } else {
                        "NotReady"
                    }
                }
            };
        } else if first.is_some() {
            self.misscheduled += 1;
            pair.state = "Misscheduled";
        } else {
            return None;
        }
        Some(pair)
    }
}
