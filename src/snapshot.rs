//! The only input to `compute`: the objects read, from files or a cluster.

use std::collections::HashSet;

use crate::model::{ControllerRevision, DaemonSet, Node, Pod};
use crate::report::Source;

#[derive(Debug, Clone)]
pub struct Snapshot {
    pub nodes: Vec<Node>,
    pub daemon_sets: Vec<DaemonSet>,
    pub pods: Vec<Pod>,
    pub revisions: Vec<ControllerRevision>,
    pub source: Source,
    /// Every node of the cluster is in `nodes` (false when a live fetch was already narrowed by
    /// `--node-selector`): only then can a pod's node be called "gone".
    pub nodes_complete: bool,
    seen: HashSet<(&'static str, String)>,
}

impl Snapshot {
    pub fn new(source: Source) -> Snapshot {
        Snapshot {
            nodes: Vec::new(),
            daemon_sets: Vec::new(),
            pods: Vec::new(),
            revisions: Vec::new(),
            source,
            nodes_complete: true,
            seen: HashSet::new(),
        }
    }

    /// Whether this object was not seen before (by UID, else namespace/name). The same object
    /// often appears twice in dumps (per-namespace files that each hold every namespace).
    fn first_sighting(&mut self, kind: &'static str, meta: &crate::model::ObjectMeta) -> bool {
        let key = if meta.uid.is_empty() {
            format!("{}/{}", meta.namespace, meta.name)
        } else {
            meta.uid.clone()
        };
        self.seen.insert((kind, key))
    }

    pub fn add_node(&mut self, n: Node) {
        if self.first_sighting("Node", &n.metadata) {
            self.nodes.push(n);
        }
    }

    pub fn add_daemon_set(&mut self, d: DaemonSet) {
        if self.first_sighting("DaemonSet", &d.metadata) {
            self.daemon_sets.push(d);
        }
    }

    pub fn add_pod(&mut self, p: Pod) {
        if self.first_sighting("Pod", &p.metadata) {
            self.pods.push(p);
        }
    }

    pub fn add_revision(&mut self, r: ControllerRevision) {
        if self.first_sighting("ControllerRevision", &r.metadata) {
            self.revisions.push(r);
        }
    }
}
