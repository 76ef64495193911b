//! The only input to `compute`: the objects read, from files or a cluster.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::hash::BuildHasher;

use crate::fasthash::FastBuild;

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
    /// Notes on the input itself (objects that conflict, kinds missing from a capture); the
    /// report carries them with its own warnings.
    pub warnings: Vec<String>,
    /// Namespaces whose pods could not be read (a live 403), with the API's reason: their
    /// DaemonSets are reported Unknown, never judged.
    pub unreadable_pods: BTreeMap<String, String>,
    /// Namespaces whose ControllerRevisions could not be read (a live 403 or 404), with the
    /// API's reason: their DaemonSets fall back to the pod-template-generation label.
    pub unreadable_revisions: BTreeMap<String, String>,
    seen: HashSet<(&'static str, String)>,
    /// `seen` for UIDs in the API's canonical form (lowercase 8-4-4-4-12 hex), as numbers: 16
    /// bytes an object instead of about 90 (most objects are pods, and they are many), one set
    /// per kind (a kind beside each number would double it).
    seen_uuids: HashMap<&'static str, HashSet<u128>>,
    /// `seen_uuids` for pods, most of the objects: each pod with a canonical UID as 32 bits of
    /// its UID's hash (so that growing the table need not read the UIDs again: that was 4 % of a
    /// live run) and its index in `pods` (the UID is read back from the pod to compare), so that
    /// the set costs about 10 bytes a pod instead of about 30.
    pod_uuids: hashbrown::HashTable<(u32, u32)>,
}

/// A UID in canonical UUID form as a number (one text form only, so distinct UIDs stay
/// distinct).
fn canonical_uuid(b: &[u8]) -> Option<u128> {
    if b.len() != 36 {
        return None;
    }
    let mut n: u128 = 0;
    for (i, &c) in b.iter().enumerate() {
        if matches!(i, 8 | 13 | 18 | 23) {
            if c != b'-' {
                return None;
            }
            continue;
        }
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => return None,
        };
        n = (n << 4) | u128::from(d);
    }
    Some(n)
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
            warnings: Vec::new(),
            unreadable_pods: BTreeMap::new(),
            unreadable_revisions: BTreeMap::new(),
            seen: HashSet::new(),
            seen_uuids: HashMap::new(),
            pod_uuids: hashbrown::HashTable::new(),
        }
    }

    /// Whether this object was not seen before (by UID, else namespace/name). The same object
    /// often appears twice in dumps (per-namespace files that each hold every namespace).
    fn first_sighting(&mut self, kind: &'static str, meta: crate::model::ObjectKeys<'_>) -> bool {
        if let Some(n) = canonical_uuid(meta.uid.as_bytes()) {
            return self.seen_uuids.entry(kind).or_default().insert(n);
        }
        let key = if meta.uid.is_empty() {
            format!("{}/{}", meta.namespace, meta.name)
        } else {
            meta.uid.to_string()
        };
        self.seen.insert((kind, key))
    }

    pub fn add_node(&mut self, n: Node) {
        if self.first_sighting("Node", n.metadata.keys()) {
            self.nodes.push(n);
        }
    }

    pub fn add_daemon_set(&mut self, d: DaemonSet) {
        if self.first_sighting("DaemonSet", d.metadata.keys()) {
            self.daemon_sets.push(d);
        }
    }

    pub fn add_pod(&mut self, p: Pod) {
        let index = u32::try_from(self.pods.len());
        let Some((uuid, index)) = canonical_uuid(p.metadata.uid.as_bytes()).zip(index.ok()) else {
            if self.first_sighting("Pod", p.metadata.keys()) {
                self.pods.push(p);
            }
            return;
        };
        let pods = &self.pods;
        let short = (FastBuild::default().hash_one(uuid) >> 32) as u32;
        // Both halves from the 32 bits: hashbrown takes its tag from the top bits and the bucket
        // from the low ones.
        let wide = |h: u32| u64::from(h) << 32 | u64::from(h);
        match self.pod_uuids.entry(
            wide(short),
            |&(h, i)| {
                h == short && canonical_uuid(pods[i as usize].metadata.uid.as_bytes()) == Some(uuid)
            },
            |&(h, _)| wide(h),
        ) {
            hashbrown::hash_table::Entry::Occupied(_) => {}
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((short, index));
                self.pods.push(p);
            }
        }
    }

    /// Put DaemonSets from `--manifest` in place: one with the namespace/name of a DaemonSet in
    /// the snapshot replaces it and keeps its UID, so that the pods it owns are judged against
    /// the new template (what the change would do); a new one gets a placeholder UID.
    /// `default_namespace` fills manifests without one.
    pub fn apply_manifests(&mut self, manifests: Vec<DaemonSet>, default_namespace: &str) {
        for mut m in manifests {
            if m.metadata.namespace.is_empty() {
                m.metadata.namespace = default_namespace.into();
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
        if self.first_sighting("ControllerRevision", r.metadata.keys()) {
            self.revisions.push(r);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::canonical_uuid;

    #[test]
    fn only_canonical_uuids_become_numbers() {
        assert_eq!(
            canonical_uuid(b"6014c695-7bd7-4c3b-bae1-d5beae441315"),
            Some(0x6014c6957bd74c3bbae1d5beae441315)
        );
        for other in [
            "6014C695-7BD7-4C3B-BAE1-D5BEAE441315",
            "6014c6957bd74c3bbae1d5beae441315",
            "6014c695-7bd7-4c3b-bae1-d5beae44131",
            "6014c695-7bd7-4c3b-bae1_d5beae441315",
            "uid-1",
            "",
        ] {
            assert_eq!(canonical_uuid(other.as_bytes()), None, "{other}");
        }
    }

    #[test]
    fn a_pod_seen_twice_is_kept_once_whatever_its_uid() {
        let pod = |name: &str, uid: &str| -> crate::model::Pod {
            serde_json::from_value(serde_json::json!({"metadata": {"name": name,
                "namespace": "ns", "uid": uid}}))
            .unwrap()
        };
        let mut s = super::Snapshot::new(crate::report::Source::File { paths: vec![] });
        let uids = (0..1000).map(|i| format!("6014c695-7bd7-4c3b-bae1-{i:012x}"));
        for (i, uid) in uids.clone().enumerate() {
            s.add_pod(pod(&format!("p{i}"), &uid));
        }
        for (i, uid) in uids.enumerate() {
            s.add_pod(pod(&format!("again{i}"), &uid));
        }
        s.add_pod(pod("odd", "uid-1"));
        s.add_pod(pod("odd-again", "uid-1"));
        s.add_pod(pod("nameless", ""));
        s.add_pod(pod("nameless", ""));
        s.add_pod(pod("upper", "6014C695-7BD7-4C3B-BAE1-000000000000"));
        assert_eq!(s.pods.len(), 1003);
        assert_eq!(s.pods[999].name(), "p999");
        assert_eq!(s.pods[1000].name(), "odd");
        assert_eq!(s.pods[1001].name(), "nameless");
        assert_eq!(s.pods[1002].name(), "upper");
    }
}
