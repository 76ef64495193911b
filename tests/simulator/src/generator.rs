//! A deterministic synthetic-cluster generator (engineering.md, tests tier 5), used by the
//! integration tests (through `tests/support`) and by the simulator binary's `--generate`.
//!
//! [`generate`] builds Nodes, DaemonSets, daemon and ordinary Pods and ControllerRevisions shaped
//! as `kubectl get -o json` returns them (the shapes of `examples/cluster.yaml`). Every choice
//! comes from a splitmix64 stream derived from the seed, so the same [`ClusterSpec`] always gives
//! byte-identical JSON.
//!
//! Each DaemonSet's `.status` is computed from the pods generated for it with the controller's
//! rules (daemonset-semantics.md §10). To know where the controller wants a pod, the generator
//! carries a deliberately small copy of `NodeShouldRunDaemonPod` (§2) that covers only the shapes
//! it generates: nodeSelector equality, one required affinity term of `In`/`NotIn` expressions,
//! and `Equal`/`Exists` tolerations plus the controller's default tolerations (§3) against
//! NoSchedule/NoExecute taints (§5). Tests cross-check it against the real engine.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use serde_json::{Map, Value, json};

/// The instant generated clusters are captured at (`--as-of`); every timestamp is earlier.
pub const AS_OF: &str = "2026-11-20T12:00:00Z";

const MIN: i64 = 60;
const HOUR: i64 = 3_600;
const DAY: i64 = 86_400;
/// Seconds from the epoch base, 2026-11-01T00:00:00Z, to [`AS_OF`].
const AS_OF_OFFSET: i64 = 19 * DAY + 12 * HOUR;
const CLUSTER_NAME: &str = "prod-eu-west-1";
const REGION: &str = "eu-west-1";
const ZONES: [&str; 3] = ["eu-west-1a", "eu-west-1b", "eu-west-1c"];
const KUBELET_VERSION: &str = "v1.31.4";
/// Padding levels tried by the size calibration (see [`pad_template`]).
const MAX_PAD_LEVEL: usize = 160;

// ---------------------------------------------------------------------------------------------
// Public API

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterSpec {
    pub seed: u64,
    pub nodes: usize,
    pub daemon_sets: usize,
    pub ordinary_pods_per_node: usize,
    /// 0.0..=1.0: the fraction of eligible (DaemonSet, node) pairs that drift (missing, not
    /// ready, pending, failed, outdated or duplicated pods). Above 0 it also makes a few nodes
    /// unreachable, cordoned, or tainted `dedicated=infra:NoSchedule` after their pods started.
    pub drift: f64,
    /// Pad daemon pods to the size real ones have: 5–8 KB of JSON each.
    pub daemon_pod_padding: bool,
}

impl ClusterSpec {
    /// 12 nodes, 6 DaemonSets, 2 ordinary pods per node, drift 0.2, no padding.
    pub fn small(seed: u64) -> Self {
        ClusterSpec {
            seed,
            nodes: 12,
            daemon_sets: 6,
            ordinary_pods_per_node: 2,
            drift: 0.2,
            daemon_pod_padding: false,
        }
    }

    /// `nodes` × `daemon_sets` with 3 ordinary pods per node, the given drift, padded pods.
    pub fn sized(seed: u64, nodes: usize, daemon_sets: usize, drift: f64) -> Self {
        ClusterSpec {
            seed,
            nodes,
            daemon_sets,
            ordinary_pods_per_node: 3,
            drift,
            daemon_pod_padding: true,
        }
    }
}

/// The generated objects, each kind sorted as kubectl lists it (nodes by name, the rest by
/// namespace/name).
#[derive(Debug, Clone, PartialEq)]
pub struct Cluster {
    pub nodes: Vec<Value>,
    pub daemon_sets: Vec<Value>,
    pub pods: Vec<Value>,
    pub revisions: Vec<Value>,
}

impl Cluster {
    /// A `v1` `List` as `kubectl get nodes,daemonsets,pods,controllerrevisions -A -o json` prints
    /// it.
    pub fn to_list(&self) -> Value {
        let items: Vec<Value> = self.items().cloned().collect();
        json!({
            "apiVersion": "v1",
            "items": items,
            "kind": "List",
            "metadata": {"resourceVersion": ""},
        })
    }

    /// `serde_json::to_string(&self.to_list())`, without cloning every object.
    pub fn to_json(&self) -> String {
        let mut out = Vec::with_capacity(self.approximate_json_len());
        self.write_json(&mut out)
            .expect("writing to a Vec cannot fail");
        String::from_utf8(out).expect("serde_json writes UTF-8")
    }

    /// Write [`Cluster::to_json`] to `w`.
    pub fn write_json(&self, mut w: impl Write) -> std::io::Result<()> {
        w.write_all(LIST_HEAD.as_bytes())?;
        for (i, item) in self.items().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            serde_json::to_writer(&mut w, item)?;
        }
        w.write_all(LIST_TAIL.as_bytes())
    }

    /// Every object in list order: nodes, daemonsets, pods, controllerrevisions.
    pub fn items(&self) -> impl Iterator<Item = &Value> {
        self.nodes
            .iter()
            .chain(&self.daemon_sets)
            .chain(&self.pods)
            .chain(&self.revisions)
    }

    /// Pods whose controller is a DaemonSet.
    pub fn daemon_pods(&self) -> impl Iterator<Item = &Value> {
        self.pods
            .iter()
            .filter(|p| controller_kind(p) == Some("DaemonSet"))
    }

    /// Pods whose controller is not a DaemonSet.
    pub fn ordinary_pods(&self) -> impl Iterator<Item = &Value> {
        self.pods
            .iter()
            .filter(|p| controller_kind(p) != Some("DaemonSet"))
    }

    fn approximate_json_len(&self) -> usize {
        self.nodes.len() * 4_000
            + self.daemon_sets.len() * 8_000
            + self.pods.len() * 6_500
            + self.revisions.len() * 6_000
            + 128
    }
}

fn controller_kind(obj: &Value) -> Option<&str> {
    obj.pointer("/metadata/ownerReferences")?
        .as_array()?
        .iter()
        .find(|r| r["controller"] == true)?
        .get("kind")?
        .as_str()
}

/// What the generator meant for one (DaemonSet, node) pair, in the report's vocabulary
/// (product.md): the state, shouldRun, whether the pod the status looks at is on an old
/// revision, and how many extra live daemon pods the node has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedPair {
    pub state: &'static str,
    pub eligible: bool,
    pub outdated: bool,
    pub duplicates: usize,
    pub pods: usize,
}

/// The generator's intent, pair by pair. Keys are (`namespace/name`, node); Ineligible pairs
/// (no pod, none wanted) are left out, as the report leaves them out by default.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Expectations {
    pub pairs: BTreeMap<(String, String), ExpectedPair>,
}

/// Generate the cluster described by `spec`.
pub fn generate(spec: &ClusterSpec) -> Cluster {
    generate_with_expectations(spec).0
}

/// [`generate`], plus what each (DaemonSet, node) pair is meant to show.
pub fn generate_with_expectations(spec: &ClusterSpec) -> (Cluster, Expectations) {
    let (o, expectations) = Generator::new(spec).run(&mut |v| Some(v));
    let cluster = Cluster {
        nodes: o.nodes,
        daemon_sets: o.daemon_sets,
        pods: o.pods,
        revisions: o.revisions,
    };
    (cluster, expectations)
}

/// The same cluster as [`generate`], each object already serialized. A `serde_json::Value`
/// takes about 14 times the memory of its JSON, so at 5,000 nodes [`Cluster`] needs over 10 GB
/// where this needs about the JSON's size: use it for simulators and benchmarks.
pub fn generate_serialized(spec: &ClusterSpec) -> SerializedCluster {
    let mut generator = Generator::new(spec);
    generator.expectations = false;
    let (o, _) =
        generator.run(&mut |v| Some(serde_json::to_string(&v).expect("a Value always serializes")));
    SerializedCluster {
        nodes: o.nodes,
        daemon_sets: o.daemon_sets,
        pods: o.pods,
        revisions: o.revisions,
    }
}

/// Every object of the cluster [`generate`] builds, handed to `sink` one at a time as soon as it
/// is built, in generation order: the nodes; then per DaemonSet its daemon pods, the DaemonSet and
/// its ControllerRevisions; then the ordinary pods. Nothing is kept, so memory stays at the
/// generator's plan (well under 1 KB per pod) at any size: 15,000 nodes × 40 DaemonSets (about
/// 750,000 objects, 3.6 GB of JSON) stream through it. The objects are byte-identical to
/// [`generate`]'s; only their order differs (no sorting, which would need them all at once).
pub fn generate_each(spec: &ClusterSpec, sink: &mut dyn FnMut(Value)) {
    let mut generator = Generator::new(spec);
    generator.expectations = false;
    generator.run::<()>(&mut |v| {
        sink(v);
        None
    });
}

/// The shape of a generated cluster: object counts and JSON sizes (for the simulator's startup line and the benchmark's notes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Shape {
    pub nodes: usize,
    pub daemon_sets: usize,
    /// Pods whose controller is a DaemonSet.
    pub daemon_pods: usize,
    pub ordinary_pods: usize,
    pub revisions: usize,
    /// Compact JSON bytes of every object.
    pub json_bytes: u64,
    /// Compact JSON bytes of the daemon pods alone, and the smallest and largest of them.
    pub daemon_pod_bytes: u64,
    pub daemon_pod_min: usize,
    pub daemon_pod_max: usize,
}

impl Shape {
    /// What kind of object `v` is, for [`Shape::count`].
    pub fn classify(v: &Value) -> ObjectClass {
        match v["kind"].as_str().unwrap_or("") {
            "Node" => ObjectClass::Node,
            "DaemonSet" => ObjectClass::DaemonSet,
            "ControllerRevision" => ObjectClass::Revision,
            "Pod" if controller_kind(v) == Some("DaemonSet") => ObjectClass::DaemonPod,
            "Pod" => ObjectClass::OrdinaryPod,
            _ => ObjectClass::Other,
        }
    }

    /// Counts one object given as a `Value` and its compact JSON length.
    pub fn add(&mut self, v: &Value, json_len: usize) {
        self.count(Shape::classify(v), json_len);
    }

    /// Counts one object of class `class` whose compact JSON is `json_len` bytes.
    pub fn count(&mut self, class: ObjectClass, json_len: usize) {
        self.json_bytes += json_len as u64;
        match class {
            ObjectClass::Node => self.nodes += 1,
            ObjectClass::DaemonSet => self.daemon_sets += 1,
            ObjectClass::Revision => self.revisions += 1,
            ObjectClass::DaemonPod => {
                self.daemon_pods += 1;
                self.daemon_pod_bytes += json_len as u64;
                self.daemon_pod_min = if self.daemon_pods == 1 {
                    json_len
                } else {
                    self.daemon_pod_min.min(json_len)
                };
                self.daemon_pod_max = self.daemon_pod_max.max(json_len);
            }
            ObjectClass::OrdinaryPod => self.ordinary_pods += 1,
            ObjectClass::Other => {}
        }
    }

    /// `1000 nodes, 40 DaemonSets, 38000 daemon pods (5.1–7.9 KB), 10000 ordinary pods, 52
    /// revisions, 240.1 MB of JSON`.
    pub fn summary(&self) -> String {
        format!(
            "{} nodes, {} DaemonSets, {} daemon pods ({:.1}–{:.1} KB, mean {:.1} KB), {} ordinary \
             pods, {} revisions, {:.1} MB of JSON",
            self.nodes,
            self.daemon_sets,
            self.daemon_pods,
            self.daemon_pod_min as f64 / 1e3,
            self.daemon_pod_max as f64 / 1e3,
            self.daemon_pod_bytes as f64 / 1e3 / self.daemon_pods.max(1) as f64,
            self.ordinary_pods,
            self.revisions,
            self.json_bytes as f64 / 1e6
        )
    }
}

/// The kinds [`Shape`] counts apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectClass {
    Node,
    DaemonSet,
    DaemonPod,
    OrdinaryPod,
    Revision,
    Other,
}

/// [`Cluster`] with every object as compact JSON text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SerializedCluster {
    pub nodes: Vec<String>,
    pub daemon_sets: Vec<String>,
    pub pods: Vec<String>,
    pub revisions: Vec<String>,
}

impl SerializedCluster {
    /// Every object in list order: nodes, daemonsets, pods, controllerrevisions.
    pub fn items(&self) -> impl Iterator<Item = &str> {
        self.nodes
            .iter()
            .chain(&self.daemon_sets)
            .chain(&self.pods)
            .chain(&self.revisions)
            .map(String::as_str)
    }

    /// The same bytes as [`Cluster::to_json`].
    pub fn to_json(&self) -> String {
        let len: usize = self.items().map(|i| i.len() + 1).sum();
        let mut out = String::with_capacity(len + 96);
        out.push_str(LIST_HEAD);
        for (i, item) in self.items().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(item);
        }
        out.push_str(LIST_TAIL);
        out
    }

    /// Write [`SerializedCluster::to_json`] to `w`.
    pub fn write_json(&self, mut w: impl Write) -> std::io::Result<()> {
        w.write_all(LIST_HEAD.as_bytes())?;
        for (i, item) in self.items().enumerate() {
            if i > 0 {
                w.write_all(b",")?;
            }
            w.write_all(item.as_bytes())?;
        }
        w.write_all(LIST_TAIL.as_bytes())
    }
}

/// What [`Generator::run`] builds, in list order.
struct Objects<T> {
    nodes: Vec<T>,
    daemon_sets: Vec<T>,
    pods: Vec<T>,
    revisions: Vec<T>,
}

/// A `v1` `List` around the items, as `serde_json` writes it (keys sorted).
const LIST_HEAD: &str = r#"{"apiVersion":"v1","items":["#;
const LIST_TAIL: &str = r#"],"kind":"List","metadata":{"resourceVersion":""}}"#;

// ---------------------------------------------------------------------------------------------
// Randomness, ids and time

/// splitmix64: tiny, fast, and good enough for test data.
#[derive(Debug, Clone)]
struct Rng(u64);

fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The alphabet of Kubernetes' generated name suffixes and hashes (`rand.SafeEncodeString`).
const SAFE: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

impl Rng {
    /// An independent stream for (seed, domain, index): adding a DaemonSet does not reshuffle
    /// the nodes, and so on.
    fn derive(seed: u64, domain: &str, index: u64) -> Rng {
        let mut h = mix(seed ^ 0x9e37_79b9_7f4a_7c15);
        for b in domain.bytes() {
            h = mix(h ^ u64::from(b));
        }
        Rng(mix(h ^ mix(index.wrapping_add(0x632b_e59b_d9b4_e019))))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }

    /// Uniform in `0..n` (0 when n is 0).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `lo..hi` (lo when the range is empty).
    fn range(&mut self, lo: i64, hi: i64) -> i64 {
        if hi <= lo {
            lo
        } else {
            lo + self.below((hi - lo) as u64) as i64
        }
    }

    /// True with probability `p`.
    fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64) / ((1u64 << 53) as f64) < p
    }

    fn hex(&mut self, len: usize) -> String {
        const HEX: &[u8] = b"0123456789abcdef";
        (0..len)
            .map(|_| HEX[self.below(16) as usize] as char)
            .collect()
    }

    fn safe(&mut self, len: usize) -> String {
        (0..len)
            .map(|_| SAFE[self.below(SAFE.len() as u64) as usize] as char)
            .collect()
    }

    /// A random (version 4) UUID.
    fn uuid(&mut self) -> String {
        let h = self.hex(32);
        let variant = ["8", "9", "a", "b"][self.below(4) as usize];
        format!(
            "{}-{}-4{}-{}{}-{}",
            &h[0..8],
            &h[8..12],
            &h[13..16],
            variant,
            &h[17..20],
            &h[20..32]
        )
    }
}

/// RFC 3339 for `offset` seconds after 2026-11-01T00:00:00Z (always before [`AS_OF`]).
fn ts(offset: i64) -> String {
    assert!(
        (0..AS_OF_OFFSET).contains(&offset),
        "timestamp offset {offset}s is outside 2026-11-01 .. {AS_OF}"
    );
    let (day, rest) = (offset / DAY, offset % DAY);
    format!(
        "2026-11-{:02}T{:02}:{:02}:{:02}Z",
        day + 1,
        rest / HOUR,
        rest % HOUR / MIN,
        rest % MIN
    )
}

/// Monotonic resourceVersions, in generation order.
struct ResourceVersions {
    next: u64,
    rng: Rng,
}

impl ResourceVersions {
    fn take(&mut self) -> String {
        self.next += 1 + self.rng.below(40);
        self.next.to_string()
    }
}

// ---------------------------------------------------------------------------------------------
// Placement: the generator's own, small NodeShouldRunDaemonPod

#[derive(Debug, Clone, PartialEq, Eq)]
struct Taint {
    key: &'static str,
    value: &'static str,
    effect: &'static str,
    time_added: Option<i64>,
    /// Added by drift (after the node's daemon pods started).
    drift: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Toleration {
    key: &'static str,
    operator: &'static str,
    value: &'static str,
    effect: &'static str,
    seconds: Option<i64>,
}

const fn tol(key: &'static str, operator: &'static str, effect: &'static str) -> Toleration {
    Toleration {
        key,
        operator,
        value: "",
        effect,
        seconds: None,
    }
}

/// `AddOrUpdateDaemonPodTolerations` (§3); network-unavailable only with hostNetwork.
fn default_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut out = vec![
        tol("node.kubernetes.io/not-ready", "Exists", "NoExecute"),
        tol("node.kubernetes.io/unreachable", "Exists", "NoExecute"),
        tol("node.kubernetes.io/disk-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/memory-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/pid-pressure", "Exists", "NoSchedule"),
        tol("node.kubernetes.io/unschedulable", "Exists", "NoSchedule"),
    ];
    if host_network {
        out.push(tol(
            "node.kubernetes.io/network-unavailable",
            "Exists",
            "NoSchedule",
        ));
    }
    out
}

/// `Toleration.ToleratesTaint` (§5.1) for the operators generated here.
fn tolerates(t: &Toleration, taint: &Taint) -> bool {
    (t.effect.is_empty() || t.effect == taint.effect)
        && (t.key.is_empty() || t.key == taint.key)
        && match t.operator {
            "Exists" => true,
            "" | "Equal" => t.value == taint.value,
            _ => false,
        }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    In,
    NotIn,
}

#[derive(Debug, Clone)]
struct Requirement {
    key: &'static str,
    op: Op,
    values: Vec<String>,
}

#[derive(Debug, Clone)]
struct Placement {
    node_selector: Vec<(&'static str, String)>,
    /// One required node affinity term (its expressions are AND-ed); empty means none.
    required: Vec<Requirement>,
    tolerations: Vec<Toleration>,
    host_network: bool,
}

/// (shouldRun, shouldContinueRunning).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Verdict {
    should_run: bool,
    should_continue: bool,
}

impl Placement {
    /// `NodeShouldRunDaemonPod` (§2) for the shapes generated here. With `with_drift` false the
    /// taints drift added are left out: the answer from before the node drifted.
    fn evaluate(&self, node: &NodePlan, with_drift: bool) -> Verdict {
        let label = |k: &str| node.labels.get(k);
        let selector_ok = self.node_selector.iter().all(|(k, v)| label(k) == Some(v));
        let affinity_ok = self.required.iter().all(|r| match r.op {
            Op::In => label(r.key).is_some_and(|v| r.values.contains(v)),
            Op::NotIn => label(r.key).is_none_or(|v| !r.values.contains(v)),
        });
        if !selector_ok || !affinity_ok {
            return Verdict {
                should_run: false,
                should_continue: false,
            };
        }
        let defaults = default_tolerations(self.host_network);
        let tolerated = |taint: &Taint| {
            self.tolerations
                .iter()
                .chain(&defaults)
                .any(|t| tolerates(t, taint))
        };
        let mut no_schedule = false;
        let mut no_execute = false;
        for taint in node.taints.iter().filter(|t| with_drift || !t.drift) {
            match taint.effect {
                "NoSchedule" if !tolerated(taint) => no_schedule = true,
                "NoExecute" if !tolerated(taint) => no_execute = true,
                _ => {}
            }
        }
        Verdict {
            should_run: !no_schedule && !no_execute,
            should_continue: !no_execute,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Nodes

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum NodeState {
    Ready,
    /// Ready=Unknown with the unreachable NoSchedule and NoExecute taints.
    Unreachable,
    /// `spec.unschedulable` and the unschedulable:NoSchedule taint.
    Cordoned,
    /// `dedicated=infra:NoSchedule`, added after its daemon pods started.
    Dedicated,
}

#[derive(Debug, Clone, Copy)]
struct Instance {
    name: &'static str,
    cpu: u32,
    memory_gib: u64,
    gpus: u32,
}

const fn inst(name: &'static str, cpu: u32, memory_gib: u64, gpus: u32) -> Instance {
    Instance {
        name,
        cpu,
        memory_gib,
        gpus,
    }
}

const CONTROL_PLANE_TYPE: Instance = inst("m6i.xlarge", 4, 16, 0);
const AMD64_TYPES: [Instance; 5] = [
    inst("m6i.large", 2, 8, 0),
    inst("m6i.xlarge", 4, 16, 0),
    inst("m6i.2xlarge", 8, 32, 0),
    inst("c6i.2xlarge", 8, 16, 0),
    inst("r6i.xlarge", 4, 32, 0),
];
const ARM64_TYPES: [Instance; 2] = [inst("m7g.xlarge", 4, 16, 0), inst("c7g.2xlarge", 8, 16, 0)];
const GPU_TYPES: [Instance; 2] = [inst("g5.xlarge", 4, 16, 1), inst("g5.2xlarge", 8, 32, 1)];

#[derive(Debug, Clone)]
struct NodePlan {
    index: usize,
    name: String,
    labels: BTreeMap<String, String>,
    taints: Vec<Taint>,
    state: NodeState,
    created: i64,
    /// When drift hit the node (unreachable since, cordoned at, tainted at).
    changed: i64,
    ip: String,
    /// The first three octets of the node's pod CIDR.
    pod_net: String,
    zone: &'static str,
    arch: &'static str,
    instance: Instance,
    control_plane: bool,
    gpu: bool,
}

impl NodePlan {
    fn new(seed: u64, index: usize) -> NodePlan {
        let mut rng = Rng::derive(seed, "node", index as u64);
        let control_plane = index < 3;
        // About 5 % GPU nodes, at fixed positions among the workers so that small clusters get
        // one too.
        let gpu = !control_plane && (index - 3) % 20 == 4;
        let arm = !control_plane && !gpu && rng.chance(0.10);
        let instance = if control_plane {
            CONTROL_PLANE_TYPE
        } else if gpu {
            GPU_TYPES[rng.below(2) as usize]
        } else if arm {
            ARM64_TYPES[rng.below(2) as usize]
        } else {
            AMD64_TYPES[rng.below(5) as usize]
        };
        let arch = if arm { "arm64" } else { "amd64" };
        let zone_index = index % 3;
        let zone = ZONES[zone_index];
        let name = format!("node-{index:05}");
        let k = index / 3;
        let ip = format!(
            "10.{}.{}.{}",
            zone_index * 32 + k / 62_500,
            (k / 250) % 250,
            k % 250 + 4
        );
        let pod_net = format!("10.{}.{}", 128 + (index / 256) % 128, index % 256);
        let created = if control_plane {
            index as i64 * 7 * MIN + rng.range(0, 60)
        } else {
            HOUR + rng.range(0, 9 * DAY)
        };

        let mut labels = BTreeMap::new();
        let mut set = |k: &str, v: &str| {
            labels.insert(k.to_string(), v.to_string());
        };
        set("beta.kubernetes.io/arch", arch);
        set("beta.kubernetes.io/instance-type", instance.name);
        set("beta.kubernetes.io/os", "linux");
        set("kubernetes.io/arch", arch);
        set("kubernetes.io/hostname", &name);
        set("kubernetes.io/os", "linux");
        set("node.kubernetes.io/instance-type", instance.name);
        set("topology.kubernetes.io/region", REGION);
        set("topology.kubernetes.io/zone", zone);
        let mut taints = Vec::new();
        if control_plane {
            set("node-role.kubernetes.io/control-plane", "");
            set(
                "node.kubernetes.io/exclude-from-external-load-balancers",
                "",
            );
            taints.push(Taint {
                key: "node-role.kubernetes.io/control-plane",
                value: "",
                effect: "NoSchedule",
                time_added: None,
                drift: false,
            });
        }
        if gpu {
            set("nvidia.com/gpu.count", "1");
            set("nvidia.com/gpu.present", "true");
            set("nvidia.com/gpu.product", "NVIDIA-A10G");
            taints.push(Taint {
                key: "nvidia.com/gpu",
                value: "present",
                effect: "NoSchedule",
                time_added: None,
                drift: false,
            });
        }
        NodePlan {
            index,
            name,
            labels,
            taints,
            state: NodeState::Ready,
            created,
            changed: 0,
            ip,
            pod_net,
            zone,
            arch,
            instance,
            control_plane,
            gpu,
        }
    }

    /// Put the node in a drifted state, with the taints the control plane (or a person) writes.
    fn drift(&mut self, state: NodeState, rng: &mut Rng) {
        self.state = state;
        match state {
            NodeState::Ready => {}
            NodeState::Unreachable => {
                self.changed = AS_OF_OFFSET - rng.range(20 * MIN, 3 * HOUR);
                for (effect, delay) in [("NoSchedule", 0), ("NoExecute", 5)] {
                    self.taints.push(Taint {
                        key: "node.kubernetes.io/unreachable",
                        value: "",
                        effect,
                        time_added: Some(self.changed + delay),
                        drift: true,
                    });
                }
            }
            NodeState::Cordoned => {
                self.changed = AS_OF_OFFSET - rng.range(HOUR, 20 * HOUR);
                self.taints.push(Taint {
                    key: "node.kubernetes.io/unschedulable",
                    value: "",
                    effect: "NoSchedule",
                    time_added: Some(self.changed),
                    drift: true,
                });
            }
            NodeState::Dedicated => {
                // After every daemon pod in the cluster started (rollouts end by Nov 16).
                self.changed = 17 * DAY + rng.range(0, 12 * HOUR);
                self.taints.push(Taint {
                    key: "dedicated",
                    value: "infra",
                    effect: "NoSchedule",
                    time_added: Some(self.changed),
                    drift: true,
                });
            }
        }
    }

    fn to_json(&self, seed: u64, rv: &mut ResourceVersions) -> Value {
        let mut rng = Rng::derive(seed, "node-json", self.index as u64);
        let uid = rng.uuid();
        let cpu = self.instance.cpu;
        let memory_ki = self.instance.memory_gib * 1_048_576 - 420_000 - rng.below(60_000);
        let mut capacity = json!({
            "cpu": cpu.to_string(),
            "ephemeral-storage": "83873772Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": format!("{memory_ki}Ki"),
            "pods": "110",
        });
        let mut allocatable = json!({
            "cpu": format!("{}m", cpu * 1000 - 60 - 10 * cpu.trailing_zeros()),
            "ephemeral-storage": "77298068148",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": format!("{}Ki", memory_ki - 614_912),
            "pods": "110",
        });
        if self.instance.gpus > 0 {
            capacity["nvidia.com/gpu"] = json!(self.instance.gpus.to_string());
            allocatable["nvidia.com/gpu"] = json!(self.instance.gpus.to_string());
        }
        let heartbeat = AS_OF_OFFSET - rng.range(5, 60);
        let conditions: Vec<Value> = if self.state == NodeState::Unreachable {
            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                .iter()
                .map(|t| {
                    json!({
                        "lastHeartbeatTime": ts(self.changed - 51),
                        "lastTransitionTime": ts(self.changed),
                        "message": "Kubelet stopped posting node status.",
                        "reason": "NodeStatusUnknown",
                        "status": "Unknown",
                        "type": t,
                    })
                })
                .collect()
        } else {
            [
                (
                    "MemoryPressure",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                (
                    "DiskPressure",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                (
                    "PIDPressure",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
            ]
            .iter()
            .map(|(t, reason, message)| {
                json!({
                    "lastHeartbeatTime": ts(heartbeat),
                    "lastTransitionTime": ts(self.created + 1),
                    "message": message,
                    "reason": reason,
                    "status": "False",
                    "type": t,
                })
            })
            .chain(std::iter::once(json!({
                "lastHeartbeatTime": ts(heartbeat),
                "lastTransitionTime": ts(self.created + 38),
                "message": "kubelet is posting ready status",
                "reason": "KubeletReady",
                "status": "True",
                "type": "Ready",
            })))
            .collect()
        };
        let mut spec = json!({
            "podCIDR": format!("{}.0/24", self.pod_net),
            "podCIDRs": [format!("{}.0/24", self.pod_net)],
            "providerID": format!("aws:///{}/i-0{}", self.zone, rng.hex(16)),
        });
        if !self.taints.is_empty() {
            spec["taints"] = Value::Array(self.taints.iter().map(taint_json).collect());
        }
        if self.state == NodeState::Cordoned {
            spec["unschedulable"] = json!(true);
        }
        let dns = format!("ip-{}.{REGION}.compute.internal", self.ip.replace('.', "-"));
        let boot_id = rng.uuid();
        let machine_id = rng.hex(32);
        let system_uuid = format!("ec2{}", &rng.uuid()[3..]);
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "alpha.kubernetes.io/provided-node-ip": self.ip,
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
                "creationTimestamp": ts(self.created),
                "labels": self.labels,
                "name": self.name,
                "resourceVersion": rv.take(),
                "uid": uid,
            },
            "spec": spec,
            "status": {
                "addresses": [
                    {"address": self.ip, "type": "InternalIP"},
                    {"address": dns, "type": "InternalDNS"},
                    {"address": self.name, "type": "Hostname"},
                ],
                "allocatable": allocatable,
                "capacity": capacity,
                "conditions": conditions,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": self.arch,
                    "bootID": boot_id,
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "kernelVersion": "6.8.0-1021-aws",
                    "kubeProxyVersion": "",
                    "kubeletVersion": KUBELET_VERSION,
                    "machineID": machine_id,
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.1 LTS",
                    "systemUUID": system_uuid,
                },
            },
        })
    }
}

fn taint_json(t: &Taint) -> Value {
    let mut m = Map::new();
    m.insert("effect".into(), json!(t.effect));
    m.insert("key".into(), json!(t.key));
    if let Some(at) = t.time_added {
        m.insert("timeAdded".into(), json!(ts(at)));
    }
    if !t.value.is_empty() {
        m.insert("value".into(), json!(t.value));
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------
// DaemonSet profiles

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placing {
    /// `tolerations: [{operator: Exists}]`, nodeSelector kubernetes.io/os=linux.
    TolerateAll,
    /// Calico's form: Exists for every NoSchedule and every NoExecute taint.
    TolerateAllByEffect,
    /// Tolerates the control-plane taint only.
    ControlPlane,
    /// nodeSelector kubernetes.io/os=linux, no tolerations.
    LinuxOnly,
    /// nodeSelector nvidia.com/gpu.present=true, tolerates the nvidia.com/gpu taint.
    Gpu,
    /// Required affinity kubernetes.io/arch In [amd64], tolerates the control-plane taint.
    Amd64,
    /// Required affinity topology.kubernetes.io/zone In [one zone].
    Zone,
    /// Required affinity eks.amazonaws.com/compute-type NotIn [fargate, hybrid]; tolerates
    /// CriticalAddonsOnly and every NoExecute taint.
    NotFargate,
}

#[derive(Debug)]
struct Profile {
    name: &'static str,
    namespace: &'static str,
    placing: Placing,
    image: &'static str,
    /// [previous, current] image tags.
    versions: [&'static str; 2],
    port: u16,
    host_network: bool,
    on_delete: bool,
    priority_class: &'static str,
    /// Helm-style `app.kubernetes.io/*` labels, else `k8s-app`.
    helm: bool,
    privileged: bool,
    /// cpu request, memory request, memory limit ("" for none).
    resources: (&'static str, &'static str, &'static str),
    args: &'static [&'static str],
    host_paths: &'static [(&'static str, &'static str)],
}

const PROFILES: &[Profile] = &[
    Profile {
        name: "kube-proxy",
        namespace: "kube-system",
        placing: Placing::TolerateAll,
        image: "registry.k8s.io/kube-proxy",
        versions: ["v1.31.3", "v1.31.4"],
        port: 10249,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("100m", "64Mi", ""),
        args: &[
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=$(NODE_NAME)",
        ],
        host_paths: &[
            ("xtables-lock", "/run/xtables.lock"),
            ("lib-modules", "/lib/modules"),
        ],
    },
    Profile {
        name: "fluent-bit",
        namespace: "logging",
        placing: Placing::ControlPlane,
        image: "cr.fluentbit.io/fluent/fluent-bit",
        versions: ["3.1.8", "3.1.9"],
        port: 2020,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "256Mi"),
        args: &[
            "--workdir=/fluent-bit/etc",
            "--config=/fluent-bit/etc/conf/fluent-bit.conf",
        ],
        host_paths: &[
            ("varlog", "/var/log"),
            ("varlibdockercontainers", "/var/lib/docker/containers"),
            ("etcmachineid", "/etc/machine-id"),
        ],
    },
    Profile {
        name: "node-exporter",
        namespace: "monitoring",
        placing: Placing::TolerateAll,
        image: "quay.io/prometheus/node-exporter",
        versions: ["v1.7.0", "v1.8.2"],
        port: 9100,
        host_network: true,
        on_delete: true,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "64Mi", "180Mi"),
        args: &[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/host/root",
            "--web.listen-address=:9100",
        ],
        host_paths: &[("proc", "/proc"), ("sys", "/sys"), ("root", "/")],
    },
    Profile {
        name: "nvidia-device-plugin",
        namespace: "gpu-operator",
        placing: Placing::Gpu,
        image: "nvcr.io/nvidia/k8s-device-plugin",
        versions: ["v0.16.2", "v0.17.0"],
        port: 0,
        host_network: false,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: true,
        privileged: false,
        resources: ("50m", "32Mi", "128Mi"),
        args: &["--fail-on-init-error=false"],
        host_paths: &[("device-plugin", "/var/lib/kubelet/device-plugins")],
    },
    Profile {
        name: "falco",
        namespace: "security",
        placing: Placing::Amd64,
        image: "docker.io/falcosecurity/falco",
        versions: ["0.38.2", "0.39.1"],
        port: 8765,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("100m", "512Mi", "1024Mi"),
        args: &["/usr/bin/falco", "-pk"],
        host_paths: &[
            ("proc-fs", "/proc"),
            ("boot-fs", "/boot"),
            ("lib-modules", "/lib/modules"),
            ("usr-fs", "/usr"),
            ("etc-fs", "/etc"),
            ("containerd-socket", "/run/containerd/containerd.sock"),
        ],
    },
    Profile {
        name: "metallb-speaker",
        namespace: "networking",
        placing: Placing::Zone,
        image: "quay.io/metallb/speaker",
        versions: ["v0.14.5", "v0.14.8"],
        port: 7472,
        host_network: true,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "128Mi"),
        args: &["--port=7472", "--log-level=info"],
        host_paths: &[],
    },
    Profile {
        name: "calico-node",
        namespace: "networking",
        placing: Placing::TolerateAllByEffect,
        image: "quay.io/calico/node",
        versions: ["v3.28.1", "v3.28.2"],
        port: 9091,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("250m", "128Mi", ""),
        args: &[],
        host_paths: &[
            ("lib-modules", "/lib/modules"),
            ("var-run-calico", "/var/run/calico"),
            ("var-lib-calico", "/var/lib/calico"),
            ("xtables-lock", "/run/xtables.lock"),
            ("cni-bin-dir", "/opt/cni/bin"),
            ("cni-net-dir", "/etc/cni/net.d"),
        ],
    },
    Profile {
        name: "datadog-agent",
        namespace: "monitoring",
        placing: Placing::LinuxOnly,
        image: "gcr.io/datadoghq/agent",
        versions: ["7.57.2", "7.58.0"],
        port: 8126,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("200m", "256Mi", "512Mi"),
        args: &["agent", "run"],
        host_paths: &[
            ("procdir", "/proc"),
            ("cgroups", "/sys/fs/cgroup"),
            ("runtimesocketdir", "/var/run/containerd"),
        ],
    },
    Profile {
        name: "ebs-csi-node",
        namespace: "kube-system",
        placing: Placing::NotFargate,
        image: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver",
        versions: ["v1.34.0", "v1.35.0"],
        port: 9808,
        host_network: false,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: true,
        privileged: true,
        resources: ("10m", "40Mi", "256Mi"),
        args: &[
            "node",
            "--endpoint=$(CSI_ENDPOINT)",
            "--logging-format=text",
            "--v=2",
        ],
        host_paths: &[
            ("kubelet-dir", "/var/lib/kubelet"),
            ("plugin-dir", "/var/lib/kubelet/plugins/ebs.csi.aws.com/"),
            ("registration-dir", "/var/lib/kubelet/plugins_registry/"),
            ("device-dir", "/dev"),
        ],
    },
    Profile {
        name: "dcgm-exporter",
        namespace: "gpu-operator",
        placing: Placing::Gpu,
        image: "nvcr.io/nvidia/k8s/dcgm-exporter",
        versions: ["3.3.8-3.6.0-ubuntu22.04", "3.3.9-3.6.1-ubuntu22.04"],
        port: 9400,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "128Mi", "512Mi"),
        args: &["-f", "/etc/dcgm-exporter/dcp-metrics-included.csv"],
        host_paths: &[("pod-gpu-resources", "/var/lib/kubelet/pod-resources")],
    },
    Profile {
        name: "promtail",
        namespace: "logging",
        placing: Placing::ControlPlane,
        image: "docker.io/grafana/promtail",
        versions: ["3.1.1", "3.2.0"],
        port: 3101,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "256Mi"),
        args: &["-config.file=/etc/promtail/promtail.yaml"],
        host_paths: &[
            ("run", "/run/promtail"),
            ("pods", "/var/log/pods"),
            ("containers", "/var/lib/docker/containers"),
        ],
    },
    Profile {
        name: "node-problem-detector",
        namespace: "kube-system",
        placing: Placing::LinuxOnly,
        image: "registry.k8s.io/node-problem-detector/node-problem-detector",
        versions: ["v0.8.19", "v0.8.20"],
        port: 20257,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("20m", "20Mi", "100Mi"),
        args: &[
            "--logtostderr",
            "--config.system-log-monitor=/config/kernel-monitor.json",
        ],
        host_paths: &[
            ("log", "/var/log"),
            ("kmsg", "/dev/kmsg"),
            ("localtime", "/etc/localtime"),
        ],
    },
    Profile {
        name: "kured",
        namespace: "kube-system",
        placing: Placing::ControlPlane,
        image: "ghcr.io/kubereboot/kured",
        versions: ["1.15.1", "1.16.0"],
        port: 8080,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("10m", "32Mi", "64Mi"),
        args: &[
            "--period=1h",
            "--reboot-days=mon,tue,wed,thu",
            "--start-time=02:00",
        ],
        host_paths: &[("sentinel", "/var/run")],
    },
    Profile {
        name: "otel-collector-agent",
        namespace: "monitoring",
        placing: Placing::Zone,
        image: "docker.io/otel/opentelemetry-collector-contrib",
        versions: ["0.110.0", "0.112.0"],
        port: 4317,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "128Mi", "512Mi"),
        args: &["--config=/conf/relay.yaml"],
        host_paths: &[
            ("varlogpods", "/var/log/pods"),
            ("varlibdockercontainers", "/var/lib/docker/containers"),
        ],
    },
    Profile {
        name: "aws-node",
        namespace: "networking",
        placing: Placing::TolerateAll,
        image: "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni",
        versions: ["v1.18.5", "v1.18.6"],
        port: 61678,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("25m", "64Mi", ""),
        args: &[],
        host_paths: &[
            ("cni-bin-dir", "/opt/cni/bin"),
            ("cni-net-dir", "/etc/cni/net.d"),
            ("log-dir", "/var/log/aws-routed-eni"),
            ("run-dir", "/var/run/aws-node"),
            ("xtables-lock", "/run/xtables.lock"),
        ],
    },
    Profile {
        name: "aqua-enforcer",
        namespace: "security",
        placing: Placing::Amd64,
        image: "registry.aquasec.com/enforcer",
        versions: ["2022.4.588", "2022.4.612"],
        port: 0,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("100m", "256Mi", "1Gi"),
        args: &[],
        host_paths: &[
            ("var-run", "/var/run"),
            ("dev", "/dev"),
            ("sys", "/sys"),
            ("proc", "/proc"),
            ("etc", "/etc"),
        ],
    },
];

/// A DaemonSet decided before any of its objects is built.
#[derive(Debug)]
struct DsPlan {
    index: usize,
    name: String,
    namespace: &'static str,
    profile: &'static Profile,
    placement: Placement,
    uid: String,
    created: i64,
    /// When revision 2 was created (used only with two revisions).
    rev2_created: i64,
    /// Two revisions by chance (drift that needs an old revision forces it too).
    two_revisions_by_chance: bool,
    /// With two revisions: generation 3, a non-template change after the rollout.
    extra_generation: bool,
    on_delete: bool,
    /// [previous, current] controller-revision-hash values.
    hashes: [String; 2],
    revision_uids: [String; 2],
    checksum: String,
    /// The smallest daemon pod of this DaemonSet should be at least this large when padded.
    min_pod_bytes: usize,
}

impl DsPlan {
    fn new(seed: u64, index: usize) -> DsPlan {
        let profile = &PROFILES[index % PROFILES.len()];
        let copy = index / PROFILES.len();
        let name = if copy == 0 {
            profile.name.to_string()
        } else {
            format!("{}-{}", profile.name, copy + 1)
        };
        let mut rng = Rng::derive(seed, "daemonset", index as u64);
        let control_plane = tol(
            "node-role.kubernetes.io/control-plane",
            "Exists",
            "NoSchedule",
        );
        let linux = vec![("kubernetes.io/os", "linux".to_string())];
        let zone = ZONES[index % ZONES.len()];
        let (node_selector, required, tolerations) = match profile.placing {
            Placing::TolerateAll => (linux, vec![], vec![tol("", "Exists", "")]),
            Placing::TolerateAllByEffect => (
                linux,
                vec![],
                vec![
                    tol("", "Exists", "NoSchedule"),
                    tol("CriticalAddonsOnly", "Exists", ""),
                    tol("", "Exists", "NoExecute"),
                ],
            ),
            Placing::ControlPlane => (vec![], vec![], vec![control_plane]),
            Placing::LinuxOnly => (linux, vec![], vec![]),
            Placing::Gpu => (
                vec![("nvidia.com/gpu.present", "true".to_string())],
                vec![],
                vec![tol("nvidia.com/gpu", "Exists", "NoSchedule")],
            ),
            Placing::Amd64 => (
                vec![],
                vec![Requirement {
                    key: "kubernetes.io/arch",
                    op: Op::In,
                    values: vec!["amd64".into()],
                }],
                vec![control_plane],
            ),
            Placing::Zone => (
                linux,
                vec![Requirement {
                    key: "topology.kubernetes.io/zone",
                    op: Op::In,
                    values: vec![zone.into()],
                }],
                vec![],
            ),
            Placing::NotFargate => (
                linux,
                vec![Requirement {
                    key: "eks.amazonaws.com/compute-type",
                    op: Op::NotIn,
                    values: vec!["fargate".into(), "hybrid".into()],
                }],
                vec![
                    tol("CriticalAddonsOnly", "Exists", ""),
                    Toleration {
                        seconds: Some(300),
                        ..tol("", "Exists", "NoExecute")
                    },
                ],
            ),
        };
        let uid = rng.uuid();
        let created = 20 * MIN + index as i64 * 3 * MIN + rng.range(0, 120);
        let rev2_created = 11 * DAY + rng.range(0, 4 * DAY);
        let two_revisions_by_chance = rng.chance(0.5);
        let extra_generation = rng.chance(0.3);
        let on_delete = profile.on_delete || (copy > 0 && rng.chance(0.1));
        let old_hash = rng.safe(10);
        let mut new_hash = rng.safe(10);
        while new_hash == old_hash {
            new_hash = rng.safe(10);
        }
        let revision_uids = [rng.uuid(), rng.uuid()];
        let checksum = rng.hex(64);
        let min_pod_bytes = 5_250 + rng.below(450) as usize;
        DsPlan {
            index,
            name,
            namespace: profile.namespace,
            profile,
            placement: Placement {
                node_selector,
                required,
                tolerations,
                host_network: profile.host_network,
            },
            uid,
            created,
            rev2_created,
            two_revisions_by_chance,
            extra_generation,
            on_delete,
            hashes: [old_hash, new_hash],
            revision_uids,
            checksum,
            min_pod_bytes,
        }
    }

    fn selector_labels(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if self.profile.helm {
            m.insert("app.kubernetes.io/instance".into(), json!(self.name));
            m.insert("app.kubernetes.io/name".into(), json!(self.name));
        } else {
            m.insert("k8s-app".into(), json!(self.name));
        }
        m
    }

    /// The DaemonSet's (and its revisions') annotations for a template generation.
    fn annotations(&self, template_generation: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "deprecated.daemonset.template.generation".into(),
            json!(template_generation.to_string()),
        );
        if self.profile.helm {
            m.insert("meta.helm.sh/release-name".into(), json!(self.name));
            m.insert(
                "meta.helm.sh/release-namespace".into(),
                json!(self.namespace),
            );
        }
        m
    }

    fn owner_reference(&self) -> Value {
        json!([{
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": true,
            "controller": true,
            "kind": "DaemonSet",
            "name": self.name,
            "uid": self.uid,
        }])
    }
}

/// One revision of a DaemonSet's template.
#[derive(Debug, Clone)]
struct Revision {
    template: Value,
    hash: String,
    /// The `deprecated.daemonset.template.generation` it was made at.
    template_generation: i64,
    number: i64,
    created: i64,
}

// ---------------------------------------------------------------------------------------------
// Templates

/// The parts of a template that padding grows.
struct TemplateParts {
    annotations: Map<String, Value>,
    container: Map<String, Value>,
    env: Vec<Value>,
    mounts: Vec<Value>,
    volumes: Vec<Value>,
}

fn env_field(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}})
}

fn env_value(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn probe(port: u16, path: &str, period: u32, failures: u32) -> Value {
    if port == 0 {
        json!({
            "exec": {"command": ["/bin/sh", "-c", "test -S /var/lib/kubelet/device-plugins/kubelet.sock"]},
            "failureThreshold": failures,
            "periodSeconds": period,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        })
    } else {
        json!({
            "failureThreshold": failures,
            "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
            "periodSeconds": period,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        })
    }
}

/// Realistic fields of production DaemonSet templates, added one at a time: level `n` applies
/// items `0..n`. Past the named ones come numbered option variables, so every size is reachable.
fn pad_template(level: usize, ds: &DsPlan, t: &mut TemplateParts) {
    let p = ds.profile;
    let base = p.name;
    let env_prefix = base.to_uppercase().replace('-', "_");
    let port = if p.port == 0 { 8080 } else { p.port };
    for item in 0..level {
        match item {
            0 => {
                t.annotations
                    .insert("prometheus.io/scrape".into(), json!("true"));
            }
            1 => {
                t.annotations
                    .insert("prometheus.io/port".into(), json!(port.to_string()));
            }
            2 => {
                t.annotations
                    .insert("prometheus.io/path".into(), json!("/metrics"));
            }
            3 => {
                t.annotations
                    .insert("checksum/config".into(), json!(ds.checksum));
            }
            4 => t.env.push(env_field("POD_NAME", "metadata.name")),
            5 => t.env.push(env_field("POD_NAMESPACE", "metadata.namespace")),
            6 => t.env.push(env_field("NODE_IP", "status.hostIP")),
            7 => t.env.push(env_field("POD_IP", "status.podIP")),
            8 => {
                t.container
                    .insert("livenessProbe".into(), probe(p.port, "/healthz", 20, 5));
            }
            9 | 10 => t.env.push(json!({
                "name": if item == 9 { "GOMAXPROCS" } else { "GOMEMLIMIT" },
                "valueFrom": {"resourceFieldRef": {
                    "containerName": base,
                    "divisor": "0",
                    "resource": if item == 9 { "limits.cpu" } else { "limits.memory" },
                }},
            })),
            11 => t.env.push(env_value("CLUSTER_NAME", CLUSTER_NAME)),
            12 => t.env.push(env_value("AWS_REGION", REGION)),
            13 => t.env.push(env_value("AWS_STS_REGIONAL_ENDPOINTS", "regional")),
            14 => {
                t.volumes.push(json!({"emptyDir": {}, "name": "tmp"}));
                t.mounts.push(json!({"mountPath": "/tmp", "name": "tmp"}));
            }
            15 => t.env.push(env_value("LOG_LEVEL", "info")),
            16 => t.env.push(env_value("LOG_FORMAT", "json")),
            17 => t.env.push(env_value(
                "NO_PROXY",
                "localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local,.internal,10.0.0.0/8,172.20.0.0/16",
            )),
            18 | 19 => t.env.push(env_value(
                if item == 18 { "HTTP_PROXY" } else { "HTTPS_PROXY" },
                "http://egress-proxy.networking.svc.cluster.local:3128",
            )),
            20 => {
                t.container
                    .insert("startupProbe".into(), probe(p.port, "/healthz", 5, 30));
            }
            21 => {
                let sc = t
                    .container
                    .entry("securityContext")
                    .or_insert_with(|| json!({}));
                sc["seccompProfile"] = json!({"type": "RuntimeDefault"});
                if !p.privileged {
                    sc["capabilities"] = json!({"drop": ["ALL"]});
                }
            }
            22 => {
                t.volumes.push(json!({
                    "name": "tls",
                    "secret": {"defaultMode": 420, "secretName": format!("{}-tls", ds.name)},
                }));
                t.mounts.push(json!({
                    "mountPath": format!("/etc/{base}/tls"),
                    "name": "tls",
                    "readOnly": true,
                }));
            }
            23 => t.env.push(env_value(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.monitoring.svc.cluster.local:4317",
            )),
            24 => t.env.push(env_value(
                "OTEL_RESOURCE_ATTRIBUTES",
                &format!(
                    "k8s.cluster.name={CLUSTER_NAME},deployment.environment=production,service.namespace={}",
                    ds.namespace
                ),
            )),
            25 => {
                t.volumes.push(json!({
                    "configMap": {"defaultMode": 420, "name": format!("{}-config", ds.name)},
                    "name": "config",
                }));
                t.mounts.push(json!({
                    "mountPath": format!("/etc/{base}/config"),
                    "name": "config",
                    "readOnly": true,
                }));
            }
            26 => {
                let r = t.container.entry("resources").or_insert_with(|| json!({}));
                r["limits"]["cpu"] = json!("500m");
            }
            27 => {
                t.annotations
                    .insert("kubectl.kubernetes.io/default-container".into(), json!(base));
            }
            28 => {
                t.volumes.push(json!({
                    "hostPath": {"path": "/etc/localtime", "type": "File"},
                    "name": "host-localtime",
                }));
                t.mounts.push(json!({
                    "mountPath": "/etc/localtime",
                    "name": "host-localtime",
                    "readOnly": true,
                }));
            }
            29 => t.env.push(env_value("TZ", "UTC")),
            n => {
                let k = n - 29;
                let tag = mix(ds.checksum.len() as u64 ^ ((ds.index as u64) << 32) ^ k as u64);
                t.env.push(env_value(
                    &format!("{env_prefix}_OPT_{k:03}"),
                    &format!("--{base}.option-{k:03}={tag:016x}"),
                ));
            }
        }
    }
}

/// The DaemonSet's `spec.template` as the API server stores it (defaults filled in).
fn build_template(ds: &DsPlan, version: &str, pad: usize, restarted_at: Option<i64>) -> Value {
    let p = ds.profile;
    let mut parts = TemplateParts {
        annotations: Map::new(),
        container: Map::new(),
        env: vec![env_field("NODE_NAME", "spec.nodeName")],
        mounts: Vec::new(),
        volumes: Vec::new(),
    };
    for (name, path) in p.host_paths {
        let mut mount = json!({
            "mountPath": if p.name == "node-exporter" { format!("/host{path}") } else { path.to_string() },
            "name": name,
        });
        let writable = matches!(
            *name,
            "xtables-lock"
                | "varlog"
                | "run"
                | "var-run-calico"
                | "var-lib-calico"
                | "kubelet-dir"
                | "plugin-dir"
        );
        // The API leaves `readOnly: false` out (omitempty).
        if !writable {
            mount["readOnly"] = json!(true);
        }
        parts.mounts.push(mount);
        parts.volumes.push(json!({
            "hostPath": {
                "path": path,
                "type": if path.ends_with(".lock") { "FileOrCreate" } else { "" },
            },
            "name": name,
        }));
    }
    let c = &mut parts.container;
    if !p.args.is_empty() {
        c.insert("args".into(), json!(p.args));
    }
    c.insert("image".into(), json!(format!("{}:{version}", p.image)));
    c.insert("imagePullPolicy".into(), json!("IfNotPresent"));
    c.insert("name".into(), json!(p.name));
    if p.port > 0 {
        let mut port = json!({"containerPort": p.port, "name": "metrics", "protocol": "TCP"});
        if p.host_network {
            port["hostPort"] = json!(p.port);
        }
        c.insert("ports".into(), json!([port]));
        c.insert("readinessProbe".into(), probe(p.port, "/healthz", 10, 3));
    }
    let (cpu, memory, memory_limit) = p.resources;
    let mut resources = json!({"requests": {"cpu": cpu, "memory": memory}});
    if !memory_limit.is_empty() {
        resources["limits"] = json!({"memory": memory_limit});
    }
    c.insert("resources".into(), resources);
    c.insert(
        "securityContext".into(),
        if p.privileged {
            json!({"privileged": true})
        } else {
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true})
        },
    );
    c.insert(
        "terminationMessagePath".into(),
        json!("/dev/termination-log"),
    );
    c.insert("terminationMessagePolicy".into(), json!("File"));

    pad_template(pad, ds, &mut parts);
    if let Some(at) = restarted_at {
        parts
            .annotations
            .insert("kubectl.kubernetes.io/restartedAt".into(), json!(ts(at)));
    }

    let mut container = parts.container;
    container.insert("env".into(), Value::Array(parts.env));
    if !parts.mounts.is_empty() {
        container.insert("volumeMounts".into(), Value::Array(parts.mounts));
    }
    let placement = &ds.placement;
    let mut spec = Map::new();
    if !placement.required.is_empty() {
        let expressions: Vec<Value> = placement
            .required
            .iter()
            .map(|r| {
                json!({
                    "key": r.key,
                    "operator": match r.op { Op::In => "In", Op::NotIn => "NotIn" },
                    "values": r.values,
                })
            })
            .collect();
        spec.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}],
            }}}),
        );
    }
    spec.insert("containers".into(), json!([container]));
    spec.insert(
        "dnsPolicy".into(),
        json!(if p.host_network {
            "ClusterFirstWithHostNet"
        } else {
            "ClusterFirst"
        }),
    );
    if p.host_network {
        spec.insert("hostNetwork".into(), json!(true));
    }
    if !placement.node_selector.is_empty() {
        let selector: Map<String, Value> = placement
            .node_selector
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        spec.insert("nodeSelector".into(), Value::Object(selector));
    }
    if !p.priority_class.is_empty() {
        spec.insert("priorityClassName".into(), json!(p.priority_class));
    }
    spec.insert("restartPolicy".into(), json!("Always"));
    spec.insert("schedulerName".into(), json!("default-scheduler"));
    spec.insert("securityContext".into(), json!({}));
    spec.insert("serviceAccount".into(), json!(p.name));
    spec.insert("serviceAccountName".into(), json!(p.name));
    spec.insert("terminationGracePeriodSeconds".into(), json!(30));
    if !placement.tolerations.is_empty() {
        spec.insert(
            "tolerations".into(),
            Value::Array(placement.tolerations.iter().map(toleration_json).collect()),
        );
    }
    if !parts.volumes.is_empty() {
        spec.insert("volumes".into(), Value::Array(parts.volumes));
    }
    let mut metadata = Map::new();
    if !parts.annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(parts.annotations));
    }
    metadata.insert("creationTimestamp".into(), Value::Null);
    metadata.insert("labels".into(), Value::Object(ds.selector_labels()));
    json!({"metadata": metadata, "spec": spec})
}

fn toleration_json(t: &Toleration) -> Value {
    let mut m = Map::new();
    if !t.effect.is_empty() {
        m.insert("effect".into(), json!(t.effect));
    }
    if !t.key.is_empty() {
        m.insert("key".into(), json!(t.key));
    }
    m.insert("operator".into(), json!(t.operator));
    if let Some(s) = t.seconds {
        m.insert("tolerationSeconds".into(), json!(s));
    }
    if !t.value.is_empty() {
        m.insert("value".into(), json!(t.value));
    }
    Value::Object(m)
}

// ---------------------------------------------------------------------------------------------
// Pods

/// What a generated pod looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PodKind {
    /// Running and Ready.
    Ready,
    /// Running, its container waiting in CrashLoopBackOff.
    CrashLoop,
    /// Not bound: the scheduler found no room (Insufficient cpu).
    Pending,
    /// Evicted: phase Failed, no deletionTimestamp.
    Failed,
    /// Running, Ready=False because its node stopped reporting (set by the node controller).
    NodeLost,
}

/// One daemon pod to build.
#[derive(Debug, Clone)]
struct PodPlan {
    kind: PodKind,
    created: i64,
    /// On the previous revision.
    old: bool,
}

/// What the status computation needs from a pod (§10).
#[derive(Debug, Clone)]
struct PodFacts {
    bound: bool,
    created: i64,
    name: String,
    ready: bool,
    terminal: bool,
    phase_pending: bool,
    hash: String,
    template_generation: i64,
}

/// Default tolerations merged into the template's as `AddOrUpdateTolerationInPodSpec` does: an
/// identical one is replaced in place, anything else is appended.
fn pod_tolerations(template_spec: &Map<String, Value>, host_network: bool) -> Value {
    let mut list: Vec<Value> = template_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for d in default_tolerations(host_network) {
        let d = toleration_json(&d);
        match list.iter_mut().find(|t| **t == d) {
            Some(same) => *same = d,
            None => list.push(d),
        }
    }
    Value::Array(list)
}

fn priority_of(class: Option<&Value>) -> i64 {
    match class.and_then(Value::as_str) {
        Some("system-node-critical") => 2_000_001_000,
        Some("system-cluster-critical") => 2_000_000_000,
        _ => 0,
    }
}

fn kube_api_access(name: &str) -> (Value, Value) {
    let volume = json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{
                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                    "path": "namespace",
                }]}},
            ],
        },
    });
    let mount = json!({
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "name": name,
        "readOnly": true,
    });
    (volume, mount)
}

/// Add the ServiceAccount admission's token volume to a pod spec.
fn add_token_volume(spec: &mut Map<String, Value>, rng: &mut Rng) {
    let (volume, mount) = kube_api_access(&format!("kube-api-access-{}", rng.safe(5)));
    if let Some(Value::Array(containers)) = spec.get_mut("containers") {
        for c in containers {
            if let Some(obj) = c.as_object_mut() {
                match obj.get_mut("volumeMounts") {
                    Some(Value::Array(mounts)) => mounts.push(mount.clone()),
                    _ => {
                        obj.insert("volumeMounts".into(), json!([mount.clone()]));
                    }
                }
            }
        }
    }
    match spec.get_mut("volumes") {
        Some(Value::Array(volumes)) => volumes.push(volume),
        _ => {
            spec.insert("volumes".into(), json!([volume]));
        }
    }
}

fn condition(kind: &str, status: &str, at: i64) -> Value {
    json!({"lastProbeTime": null, "lastTransitionTime": ts(at), "status": status, "type": kind})
}

fn condition_why(kind: &str, status: &str, at: i64, reason: &str, message: &str) -> Value {
    let mut c = condition(kind, status, at);
    c["reason"] = json!(reason);
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

/// An image's digest, the same for every pod that runs it.
fn image_id(seed: u64, image: &str) -> String {
    let mut h = 0u64;
    for b in image.bytes() {
        h = mix(h ^ u64::from(b));
    }
    let digest = Rng::derive(seed, "image", h).hex(64);
    let repo = image.rsplit_once(':').map_or(image, |(r, _)| r);
    format!("{repo}@sha256:{digest}")
}

/// Everything needed to build one pod's `status`.
struct StatusInput<'a> {
    kind: PodKind,
    created: i64,
    container: &'a str,
    image: &'a str,
    image_id: &'a str,
    host_ip: &'a str,
    pod_ip: &'a str,
    node_lost_at: i64,
    pod_name: &'a str,
    namespace: &'a str,
    uid: &'a str,
    node_count: usize,
}

fn pod_status(s: &StatusInput, rng: &mut Rng) -> Value {
    let c = s.created;
    let container_id = format!("containerd://{}", rng.hex(64));
    let ips = |status: &mut Map<String, Value>| {
        status.insert("hostIP".into(), json!(s.host_ip));
        status.insert("hostIPs".into(), json!([{"ip": s.host_ip}]));
        status.insert("podIP".into(), json!(s.pod_ip));
        status.insert("podIPs".into(), json!([{"ip": s.pod_ip}]));
        status.insert("startTime".into(), json!(ts(c + 1)));
    };
    let mut status = Map::new();
    match s.kind {
        PodKind::Ready | PodKind::NodeLost => {
            let ready = if s.kind == PodKind::Ready {
                condition("Ready", "True", c + 8)
            } else {
                condition("Ready", "False", s.node_lost_at)
            };
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition("PodReadyToStartContainers", "True", c + 2),
                    condition("Initialized", "True", c + 1),
                    ready,
                    condition("ContainersReady", "True", c + 8),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {},
                    "name": s.container,
                    "ready": true,
                    "restartCount": 0,
                    "started": true,
                    "state": {"running": {"startedAt": ts(c + 2)}},
                }]),
            );
            ips(&mut status);
            status.insert("phase".into(), json!("Running"));
        }
        PodKind::CrashLoop => {
            let restarts = 3 + rng.below(25);
            let finished = AS_OF_OFFSET - rng.range(20, 280);
            let unready = format!("containers with unready status: [{}]", s.container);
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition("PodReadyToStartContainers", "True", c + 2),
                    condition("Initialized", "True", c + 1),
                    condition_why("Ready", "False", c + 1, "ContainersNotReady", &unready),
                    condition_why(
                        "ContainersReady",
                        "False",
                        c + 1,
                        "ContainersNotReady",
                        &unready,
                    ),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {"terminated": {
                        "containerID": container_id,
                        "exitCode": 1,
                        "finishedAt": ts(finished),
                        "reason": "Error",
                        "startedAt": ts(finished - 5),
                    }},
                    "name": s.container,
                    "ready": false,
                    "restartCount": restarts,
                    "started": false,
                    "state": {"waiting": {
                        "message": format!(
                            "back-off 5m0s restarting failed container={} pod={}_{}({})",
                            s.container, s.pod_name, s.namespace, s.uid
                        ),
                        "reason": "CrashLoopBackOff",
                    }},
                }]),
            );
            ips(&mut status);
            status.insert("phase".into(), json!("Running"));
        }
        PodKind::Pending => {
            let n = s.node_count;
            let message = if n > 1 {
                format!(
                    "0/{n} nodes are available: 1 Insufficient cpu, {} node(s) didn't match Pod's node affinity/selector. preemption: 0/{n} nodes are available: 1 No preemption victims found for incoming pod, {} Preemption is not helpful for scheduling.",
                    n - 1,
                    n - 1
                )
            } else {
                "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.".to_string()
            };
            status.insert(
                "conditions".into(),
                Value::Array(vec![condition_why(
                    "PodScheduled",
                    "False",
                    c,
                    "Unschedulable",
                    &message,
                )]),
            );
            status.insert("phase".into(), json!("Pending"));
        }
        PodKind::Failed => {
            let failed = AS_OF_OFFSET - rng.range(2 * HOUR, 8 * HOUR);
            let message = format!(
                "The node was low on resource: memory. Threshold quantity: 100Mi, available: 94208Ki. Container {} was using 97412Ki, request is 64Mi, has larger consumption of memory. ",
                s.container
            );
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition_why(
                        "DisruptionTarget",
                        "True",
                        failed,
                        "TerminationByKubelet",
                        &message,
                    ),
                    condition("PodReadyToStartContainers", "False", failed + 1),
                    condition("Initialized", "True", c + 1),
                    condition_why("Ready", "False", failed, "PodFailed", ""),
                    condition_why("ContainersReady", "False", failed, "PodFailed", ""),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {},
                    "name": s.container,
                    "ready": false,
                    "restartCount": 0,
                    "started": false,
                    "state": {"terminated": {
                        "containerID": container_id,
                        "exitCode": 137,
                        "finishedAt": ts(failed),
                        "reason": "Error",
                        "startedAt": ts(c + 2),
                    }},
                }]),
            );
            ips(&mut status);
            status.insert("message".into(), json!(message));
            status.insert("phase".into(), json!("Failed"));
            status.insert("reason".into(), json!("Evicted"));
        }
    }
    status.insert("qosClass".into(), json!("Burstable"));
    Value::Object(status)
}

/// A daemon pod as the controller creates it from `rev` for `node` (§8 affinity, §3
/// tolerations, both revision labels), in the state `plan` asks for.
#[allow(clippy::too_many_arguments)]
fn daemon_pod(
    seed: u64,
    ds: &DsPlan,
    rev: &Revision,
    node: &NodePlan,
    plan: &PodPlan,
    name: &str,
    pod_ip: &str,
    node_count: usize,
    rng: &mut Rng,
    rv: &mut ResourceVersions,
) -> Value {
    let uid = rng.uuid();
    let template = &rev.template;
    let mut spec = template["spec"].as_object().cloned().unwrap_or_default();
    // ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one matchFields term.
    let mut affinity = spec.remove("affinity").unwrap_or_else(|| json!({}));
    affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
        "nodeSelectorTerms": [{"matchFields": [{
            "key": "metadata.name",
            "operator": "In",
            "values": [node.name],
        }]}],
    });
    spec.insert("affinity".into(), affinity);
    let tolerations = pod_tolerations(&spec, ds.profile.host_network);
    spec.insert("tolerations".into(), tolerations);
    spec.insert("enableServiceLinks".into(), json!(true));
    if plan.kind != PodKind::Pending {
        spec.insert("nodeName".into(), json!(node.name));
    }
    spec.insert("preemptionPolicy".into(), json!("PreemptLowerPriority"));
    let priority = priority_of(spec.get("priorityClassName"));
    spec.insert("priority".into(), json!(priority));
    add_token_volume(&mut spec, rng);

    let container = &template["spec"]["containers"][0];
    let image = container["image"].as_str().unwrap_or_default();
    let image_id = image_id(seed, image);
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert("controller-revision-hash".into(), json!(rev.hash));
    labels.insert(
        "pod-template-generation".into(),
        json!(rev.template_generation.to_string()),
    );
    let mut metadata = Map::new();
    if let Some(a) = template["metadata"].get("annotations") {
        metadata.insert("annotations".into(), a.clone());
    }
    metadata.insert("creationTimestamp".into(), json!(ts(plan.created)));
    metadata.insert("generateName".into(), json!(format!("{}-", ds.name)));
    metadata.insert("labels".into(), Value::Object(labels));
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(ds.namespace));
    metadata.insert("ownerReferences".into(), ds.owner_reference());
    metadata.insert("resourceVersion".into(), json!(rv.take()));
    metadata.insert("uid".into(), json!(uid));
    let pod_ip = if ds.profile.host_network {
        node.ip.as_str()
    } else {
        pod_ip
    };
    let status = pod_status(
        &StatusInput {
            kind: plan.kind,
            created: plan.created,
            container: container["name"].as_str().unwrap_or_default(),
            image,
            image_id: &image_id,
            host_ip: &node.ip,
            pod_ip,
            node_lost_at: node.changed,
            pod_name: name,
            namespace: ds.namespace,
            uid: &uid,
            node_count,
        },
        rng,
    );
    object([
        ("apiVersion", json!("v1")),
        ("kind", json!("Pod")),
        ("metadata", Value::Object(metadata)),
        ("spec", Value::Object(spec)),
        ("status", status),
    ])
}

/// An object from owned parts. (`json!` copies every interpolated `Value` through
/// `to_value`, which dominated the generation time for pods.)
fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// Workloads behind the ordinary pods (namespace, deployment, image, port, cpu, memory).
const DEPLOYMENTS: [(&str, &str, &str, u16, &str, &str); 6] = [
    (
        "default",
        "web",
        "docker.io/library/nginx:1.27.3",
        80,
        "50m",
        "64Mi",
    ),
    (
        "apps",
        "checkout",
        "ghcr.io/acme/checkout:2.14.1",
        8080,
        "100m",
        "128Mi",
    ),
    (
        "apps",
        "cart",
        "ghcr.io/acme/cart:2.14.1",
        8080,
        "100m",
        "128Mi",
    ),
    (
        "default",
        "docs",
        "docker.io/library/httpd:2.4.62",
        80,
        "20m",
        "32Mi",
    ),
    (
        "apps",
        "payments-worker",
        "ghcr.io/acme/payments-worker:1.9.0",
        0,
        "250m",
        "256Mi",
    ),
    (
        "apps",
        "search",
        "ghcr.io/acme/search:3.2.7",
        9200,
        "500m",
        "1Gi",
    ),
];

/// A Running pod owned by a ReplicaSet (Ready unless its node stopped reporting).
#[allow(clippy::too_many_arguments)]
fn ordinary_pod(
    seed: u64,
    deployment: usize,
    rs_hash: &str,
    rs_uid: &str,
    node: &NodePlan,
    name: &str,
    pod_ip: &str,
    node_count: usize,
    rng: &mut Rng,
    rv: &mut ResourceVersions,
) -> Value {
    let (namespace, app, image, port, cpu, memory) = DEPLOYMENTS[deployment];
    let uid = rng.uuid();
    // Started after the node joined, and before it stopped reporting if it did.
    let earliest = node.created.max(4 * DAY);
    let latest = if node.state == NodeState::Unreachable {
        node.changed - 10 * MIN
    } else {
        AS_OF_OFFSET - HOUR
    };
    let created = rng.range(earliest, latest.max(earliest + 1));
    let container_name = app.rsplit('-').next().unwrap_or(app);
    let mut container = json!({
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": container_name,
        "resources": {"limits": {"memory": memory}, "requests": {"cpu": cpu, "memory": memory}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    });
    if port > 0 {
        container["ports"] = json!([{"containerPort": port, "name": "http", "protocol": "TCP"}]);
    }
    let mut tolerations = Vec::new();
    if node.control_plane {
        tolerations.push(toleration_json(&tol(
            "node-role.kubernetes.io/control-plane",
            "Exists",
            "NoSchedule",
        )));
    }
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        tolerations.push(toleration_json(&Toleration {
            seconds: Some(300),
            ..tol(key, "Exists", "NoExecute")
        }));
    }
    let mut spec = json!({
        "containers": [container],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": true,
        "nodeName": node.name,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": tolerations,
    });
    if let Some(obj) = spec.as_object_mut() {
        add_token_volume(obj, rng);
    }
    let kind = if node.state == NodeState::Unreachable {
        PodKind::NodeLost
    } else {
        PodKind::Ready
    };
    let status = pod_status(
        &StatusInput {
            kind,
            created,
            container: container_name,
            image,
            image_id: &image_id(seed, image),
            host_ip: &node.ip,
            pod_ip,
            node_lost_at: node.changed,
            pod_name: name,
            namespace,
            uid: &uid,
            node_count,
        },
        rng,
    );
    let metadata = json!({
            "creationTimestamp": ts(created),
            "generateName": format!("{app}-{rs_hash}-"),
            "labels": {"app": app, "pod-template-hash": rs_hash},
            "name": name,
            "namespace": namespace,
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": true,
                "controller": true,
                "kind": "ReplicaSet",
                "name": format!("{app}-{rs_hash}"),
                "uid": rs_uid,
            }],
            "resourceVersion": rv.take(),
            "uid": uid,
    });
    object([
        ("apiVersion", json!("v1")),
        ("kind", json!("Pod")),
        ("metadata", metadata),
        ("spec", spec),
        ("status", status),
    ])
}

// ---------------------------------------------------------------------------------------------
// The generator

/// How an eligible pair drifts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Drift {
    Missing,
    NotReady,
    Pending,
    Failed,
    Outdated,
    /// Two live pods: the controller's status looks at the first in §10.1 order.
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

struct Generator<'a> {
    spec: &'a ClusterSpec,
    seed: u64,
    drift: f64,
    nodes: Vec<NodePlan>,
    daemon_sets: Vec<DsPlan>,
    rv: ResourceVersions,
    /// Next pod IP per node (last octet).
    ip_slots: Vec<u32>,
    /// Record what each pair is meant to show (off when streaming: it grows with the pairs).
    expectations: bool,
}

impl<'a> Generator<'a> {
    fn new(spec: &'a ClusterSpec) -> Self {
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
    fn run<T>(mut self, convert: &mut dyn FnMut(Value) -> Option<T>) -> (Objects<T>, Expectations) {
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
    fn revisions(&self, ds: &DsPlan, two: bool) -> Vec<Revision> {
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
            // A pod from before the node drifted, which the controller lets stay (§2 step 4).
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
                    // Two Ready pods created in the same second: the name decides (§10.1).
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
fn sorted<T>(mut keyed: Vec<((&'static str, String), T)>) -> Vec<T> {
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

/// `updateDaemonSetStatus` (§10), node by node.
#[derive(Debug, Default)]
struct DsStatus {
    desired: i64,
    current: i64,
    misscheduled: i64,
    ready: i64,
    available: i64,
    updated: i64,
}

impl DsStatus {
    /// Count one node; returns the pair as the report should show it (None when Ineligible).
    fn add(
        &mut self,
        verdict: Verdict,
        mut pods: Vec<PodFacts>,
        current: &Revision,
    ) -> Option<ExpectedPair> {
        // §10.1: bound first, then oldest, then by name.
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
