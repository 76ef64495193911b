//! The public API: what to generate, the generated cluster and its serialized forms.

use std::collections::BTreeMap;
use std::io::Write;

use serde_json::{Value, json};

use super::*;

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
/// (README, "States"): the state, shouldRun, whether the pod the status looks at is on an old
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
pub(super) struct Objects<T> {
    pub(super) nodes: Vec<T>,
    pub(super) daemon_sets: Vec<T>,
    pub(super) pods: Vec<T>,
    pub(super) revisions: Vec<T>,
}

/// A `v1` `List` around the items, as `serde_json` writes it (keys sorted).
const LIST_HEAD: &str = r#"{"apiVersion":"v1","items":["#;
const LIST_TAIL: &str = r#"],"kind":"List","metadata":{"resourceVersion":""}}"#;
