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

    /// Put DaemonSets from `--manifest` in place: one with the namespace/name of a DaemonSet in
    /// the snapshot replaces it and keeps its UID, so that the pods it owns are judged against
    /// the new template (what the change would do); a new one gets a placeholder UID.
    /// `default_namespace` fills manifests without one.
    pub fn apply_manifests(&mut self, manifests: Vec<DaemonSet>, default_namespace: &str) {
        for mut m in manifests {
            if m.metadata.namespace.is_empty() {
                m.metadata.namespace = default_namespace.to_string();
            }
            m.from_manifest = true;
            m.status = None;
            match self
                .daemon_sets
                .iter_mut()
                .find(|d| d.namespace() == m.namespace() && d.name() == m.name())
            {
                Some(existing) => {
                    m.metadata.uid = existing.metadata.uid.clone();
                    *existing = m;
                }
                None => {
                    m.metadata.uid = format!("manifest:{}/{}", m.namespace(), m.name());
                    self.daemon_sets.push(m);
                }
            }
        }
    }

    pub fn add_revision(&mut self, r: ControllerRevision) {
        if self.first_sighting("ControllerRevision", &r.metadata) {
            self.revisions.push(r);
        }
    }
}
