//! The object store: every object serialised once (without `kind`/`apiVersion`, as list items are),
//! plus the few fields selectors need. Lists are built by concatenating those bytes.
//!
//! Loaded objects (files, generated clusters) are kept compressed: objects of one family (same
//! resource, same controller) are nearly identical, so each is stored as an LZ4 block against the
//! first object of its family as the dictionary ([`Body::Packed`]); a page decompresses them
//! straight into the response. The index beside them (key, namespace, labels, field-selector
//! values) stays uncompressed, with repeated strings and label sets shared. Objects written while
//! serving are kept whole ([`Body::Plain`]).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};

use crate::resources::{NAMESPACES, PODS, RESOURCES, find_by_kind};
use crate::selectors::{FieldSelector, LabelSelector};
use crate::util::{Rng, b64_decode, b64url_encode, now_unix, rfc3339};

/// An object's labels, shared between objects that have the same ones.
pub(crate) type Labels = Arc<BTreeMap<String, String>>;

/// An object's JSON (without `kind` and `apiVersion`).
#[derive(Debug)]
pub(crate) enum Body {
    /// The bytes themselves.
    Plain(Box<[u8]>),
    /// An LZ4 block of the bytes, compressed with `base` (its family's first object) as the
    /// dictionary; `len` is the JSON's length.
    Packed {
        base: Arc<[u8]>,
        data: Box<[u8]>,
        len: u32,
    },
}

impl Body {
    /// The JSON's length in bytes.
    pub(crate) fn len(&self) -> usize {
        match self {
            Body::Plain(b) => b.len(),
            Body::Packed { len, .. } => *len as usize,
        }
    }

    /// Appends the JSON to `out`.
    pub(crate) fn append_to(&self, out: &mut Vec<u8>) {
        match self {
            Body::Plain(b) => out.extend_from_slice(b),
            Body::Packed { base, data, len } => {
                let start = out.len();
                out.resize(start + *len as usize, 0);
                // Only this module packs, from bytes it just compressed: the block is valid.
                let n = lz4_flex::block::decompress_into_with_dict(data, &mut out[start..], base)
                    .expect("a packed object decompresses");
                debug_assert_eq!(n, *len as usize);
            }
        }
    }

    /// The JSON.
    pub(crate) fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len());
        self.append_to(&mut out);
        out
    }
}

/// One stored object.
#[derive(Debug)]
pub(crate) struct Object {
    /// etcd-like key within the resource: `namespace/name`, or `name` when cluster-scoped.
    pub key: Arc<str>,
    pub namespace: Arc<str>,
    pub uid: Box<str>,
    pub resource_version: Box<str>,
    pub labels: Labels,
    /// The resource (index into `RESOURCES`).
    res: u8,
    /// Field-selector values, in the order of the resource's `fields` (`metadata.*` come from
    /// the fields above).
    fields: Box<[Arc<str>]>,
    /// The object's JSON without `kind` and `apiVersion`.
    pub body: Body,
    /// Pods only: the object's protobuf message (`v1.Pod`, without the envelope), packed as
    /// `body` is (see [`crate::protobuf`]); or why the JSON has no protobuf encoding (a value of
    /// the wrong type: such a pod is still served in JSON, and a protobuf answer that would hold
    /// it fails as the real server fails to encode, 500).
    pub pb: Option<Result<Body, Box<str>>>,
}

/// A family of objects: the resource, whether the bodies are protobuf, and the uid of their
/// controller ("" without one).
type Family = (usize, bool, String);

/// Shares equal strings and label sets between the objects of a store being loaded, and the
/// dictionaries (first objects) of each family.
#[derive(Debug, Default)]
pub(crate) struct Interner {
    strings: HashSet<Arc<str>>,
    labels: HashSet<Labels>,
    /// Families of objects packed against the same base: (resource, controller uid) → base.
    /// `None`: objects are kept whole.
    bases: Option<HashMap<Family, Arc<[u8]>>>,
    /// Scratch space for compression.
    scratch: Vec<u8>,
}

/// Bases above this are not used (an LZ4 dictionary reaches back 64 KiB at most).
const MAX_BASE: usize = 60 * 1024;

impl Interner {
    /// Shares strings and labels; packs bodies when `pack`.
    pub(crate) fn new(pack: bool) -> Interner {
        Interner {
            bases: pack.then(HashMap::new),
            ..Interner::default()
        }
    }

    fn string(&mut self, s: &str) -> Arc<str> {
        if let Some(have) = self.strings.get(s) {
            return have.clone();
        }
        let new: Arc<str> = Arc::from(s);
        self.strings.insert(new.clone());
        new
    }

    fn labels(&mut self, labels: BTreeMap<String, String>) -> Labels {
        if let Some(have) = self.labels.get(&labels) {
            return have.clone();
        }
        let new = Arc::new(labels);
        self.labels.insert(new.clone());
        new
    }

    fn body(&mut self, res: usize, pb: bool, family: String, bytes: Vec<u8>) -> Body {
        let Some(bases) = &mut self.bases else {
            return Body::Plain(bytes.into_boxed_slice());
        };
        let family = (res, pb, family);
        let base = match bases.get(&family) {
            Some(base) => base.clone(),
            None if bytes.len() <= MAX_BASE && u32::try_from(bytes.len()).is_ok() => {
                let base: Arc<[u8]> = Arc::from(&bytes[..]);
                bases.insert(family, base.clone());
                base
            }
            None => return Body::Plain(bytes.into_boxed_slice()),
        };
        let Ok(len) = u32::try_from(bytes.len()) else {
            return Body::Plain(bytes.into_boxed_slice());
        };
        self.scratch
            .resize(lz4_flex::block::get_maximum_output_size(bytes.len()), 0);
        match lz4_flex::block::compress_into_with_dict(&bytes, &mut self.scratch, &base) {
            Ok(n) if n < bytes.len() => Body::Packed {
                base,
                data: Box::from(&self.scratch[..n]),
                len,
            },
            _ => Body::Plain(bytes.into_boxed_slice()),
        }
    }
}

/// The uid of an object's controller (`metadata.ownerReferences[controller=true]`), or "".
fn controller_uid(v: &Value) -> String {
    v["metadata"]["ownerReferences"]
        .as_array()
        .and_then(|refs| refs.iter().find(|r| r["controller"] == true))
        .and_then(|r| r["uid"].as_str())
        .unwrap_or("")
        .to_string()
}

impl Object {
    /// `metadata.name`.
    pub(crate) fn name(&self) -> &str {
        if RESOURCES[self.res as usize].namespaced {
            &self.key[self.namespace.len() + 1..]
        } else {
            &self.key
        }
    }

    /// Field-selector lookup.
    pub(crate) fn field(&self, f: &str) -> Option<&str> {
        match f {
            "metadata.name" => Some(self.name()),
            "metadata.namespace" => Some(&self.namespace),
            _ => RESOURCES[self.res as usize]
                .fields
                .iter()
                .position(|k| *k == f)
                .and_then(|i| self.fields.get(i))
                .map(|v| &**v),
        }
    }

    /// The object's protobuf message, or why there is none.
    pub(crate) fn protobuf(&self) -> Result<&Body, String> {
        match &self.pb {
            Some(Ok(b)) => Ok(b),
            Some(Err(e)) => Err(e.to_string()),
            None => Err(format!(
                "{} {} has no protobuf encoding here",
                RESOURCES[self.res as usize].kind, self.key
            )),
        }
    }

    /// The object's JSON without `kind` and `apiVersion`.
    pub(crate) fn bytes(&self) -> Vec<u8> {
        self.body.to_vec()
    }

    /// The object as JSON, without `kind`/`apiVersion`.
    pub(crate) fn value(&self) -> Value {
        serde_json::from_slice(&self.bytes()).unwrap_or(Value::Null)
    }

    /// The object's JSON with `kind` and `apiVersion` first, as a single GET returns it.
    pub(crate) fn full_bytes(&self, res: usize) -> Vec<u8> {
        let r = &RESOURCES[res];
        let head = format!(
            "{{\"kind\":\"{}\",\"apiVersion\":\"{}\"",
            r.kind,
            r.api_version()
        );
        let bytes = self.bytes();
        let mut out = Vec::with_capacity(head.len() + bytes.len() + 1);
        out.extend_from_slice(head.as_bytes());
        let rest = &bytes[1..];
        if rest.first() != Some(&b'}') {
            out.push(b',');
        }
        out.extend_from_slice(rest);
        out
    }

    /// The object's full JSON value with `kind` and `apiVersion`.
    pub(crate) fn full_value(&self, res: usize) -> Value {
        let mut v = self.value();
        if let Some(m) = v.as_object_mut() {
            let r = &RESOURCES[res];
            m.insert("kind".into(), json!(r.kind));
            m.insert("apiVersion".into(), json!(r.api_version()));
        }
        v
    }

    /// Builds a stored object from JSON (kind/apiVersion are dropped), kept whole.
    pub(crate) fn from_value(res: usize, v: Value) -> Result<Object, String> {
        Object::build(res, v, &mut Interner::new(false))
    }

    /// Builds a stored object from JSON (kind/apiVersion are dropped), sharing strings, labels
    /// and dictionaries through `interner`.
    pub(crate) fn build(
        res: usize,
        mut v: Value,
        interner: &mut Interner,
    ) -> Result<Object, String> {
        let m = v
            .as_object_mut()
            .ok_or_else(|| "an object must be a JSON object".to_string())?;
        m.remove("kind");
        m.remove("apiVersion");
        let meta = m
            .get("metadata")
            .and_then(Value::as_object)
            .ok_or_else(|| "an object needs metadata".to_string())?;
        let s = |k: &str| meta.get(k).and_then(Value::as_str).unwrap_or("");
        let name = s("name");
        if name.is_empty() {
            return Err(format!("a {} without metadata.name", RESOURCES[res].kind));
        }
        let uid = Box::from(s("uid"));
        let resource_version = Box::from(s("resourceVersion"));
        let r = &RESOURCES[res];
        let namespace = if r.namespaced {
            match s("namespace") {
                "" => "default",
                ns => ns,
            }
        } else {
            ""
        };
        let key: Arc<str> = if r.namespaced {
            Arc::from(format!("{namespace}/{name}"))
        } else {
            Arc::from(name)
        };
        let namespace = interner.string(namespace);
        let labels = meta
            .get("labels")
            .and_then(Value::as_object)
            .map(|l| {
                l.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                    .collect()
            })
            .unwrap_or_default();
        let labels = interner.labels(labels);
        let fields = r
            .fields
            .iter()
            .map(|f| interner.string(&field_value(&v, f)))
            .collect();
        let family = controller_uid(&v);
        let pb = if res == PODS {
            let schema = crate::protobuf::schema();
            let pod = schema
                .kind("v1", "Pod")
                .ok_or_else(|| "no protobuf message for pods".to_string())?;
            let mut bytes = Vec::with_capacity(1024);
            // Fields the schema does not know are dropped, as Go's JSON decoding drops them.
            Some(match schema.encode(pod, &v, &mut bytes, &mut Vec::new()) {
                Ok(()) => Ok(interner.body(res, true, family.clone(), bytes)),
                Err(e) => Err(Box::from(format!(
                    "pod {key} cannot be encoded in protobuf: {e}"
                ))),
            })
        } else {
            None
        };
        let bytes = serde_json::to_vec(&v).map_err(|e| e.to_string())?;
        let body = interner.body(res, false, family, bytes);
        Ok(Object {
            key,
            namespace,
            uid,
            resource_version,
            labels,
            res: res as u8,
            fields,
            body,
            pb,
        })
    }
}

/// Reads a field-selector label from an object. Booleans read as "true"/"false", unset as "".
fn field_value(v: &Value, field: &str) -> String {
    let path: Vec<&str> = match field {
        "source" => vec!["source", "component"],
        f => f.split('.').collect(),
    };
    let mut cur = v;
    for p in &path {
        match cur.get(p) {
            Some(next) => cur = next,
            None => {
                return if matches!(field, "spec.unschedulable" | "spec.hostNetwork") {
                    "false".into()
                } else {
                    String::new()
                };
            }
        }
    }
    match cur {
        Value::String(s) => s.clone(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        _ => String::new(),
    }
}

/// Where a list starts and which resourceVersion it reads at, decoded from a continue token.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ContinueToken {
    pub rv: u64,
    /// The key to continue *after* (the apiserver stores `lastKey + "\0"`).
    pub after: String,
}

impl ContinueToken {
    /// Encodes as kube-apiserver does: base64url(JSON {"v","rv","start"}).
    pub(crate) fn encode(&self) -> String {
        let doc =
            json!({"v": "meta.k8s.io/v1", "rv": self.rv, "start": format!("{}\u{0}", self.after)});
        b64url_encode(doc.to_string().as_bytes())
    }

    pub(crate) fn decode(s: &str) -> Result<ContinueToken, String> {
        let bad = |why: &str| format!("continue key is not valid: {why}");
        let raw = b64_decode(s).ok_or_else(|| bad("illegal base64 data"))?;
        let doc: Value = serde_json::from_slice(&raw).map_err(|e| bad(&e.to_string()))?;
        if doc["v"] != "meta.k8s.io/v1" {
            return Err(bad("server does not recognize this encoded key"));
        }
        let rv = doc["rv"].as_u64().ok_or_else(|| {
            bad("incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
        })?;
        let start = doc["start"].as_str().ok_or_else(|| bad("missing start"))?;
        let after = start.strip_suffix('\u{0}').unwrap_or(start).to_string();
        Ok(ContinueToken { rv, after })
    }
}

/// What a list request asks for.
#[derive(Debug, Default)]
pub(crate) struct ListQuery {
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// 0 means no limit.
    pub limit: usize,
    pub cont: Option<ContinueToken>,
}

/// One page of a list.
#[derive(Debug)]
pub(crate) struct ListPage {
    pub items: Vec<Arc<Object>>,
    pub resource_version: u64,
    pub cont: Option<String>,
}

/// What happened to an object, as a watch reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum EventKind {
    Added,
    Modified,
    Deleted,
}

/// One entry of the event log (etcd's history, as the watch cache keeps it).
#[derive(Debug)]
pub(crate) struct Event {
    /// The resourceVersion of the write.
    pub rv: u64,
    pub res: usize,
    pub kind: EventKind,
    /// The object after the write (for a delete: as deleted, at the delete's resourceVersion).
    pub obj: Arc<Object>,
    /// The object before the write (selectors decide from both whether a watcher sees the
    /// change as an ADDED, MODIFIED or DELETED).
    pub prev: Option<Arc<Object>>,
}

/// Events kept for watches; a watch from before the oldest kept one gets 410 Gone.
const EVENTS_KEPT: usize = 20_000;

/// All objects, by resource and key, and the cluster's resourceVersion counter.
#[derive(Debug)]
pub(crate) struct Store {
    pub collections: Vec<BTreeMap<Arc<str>, Arc<Object>>>,
    /// The global resourceVersion; bumped on every write.
    pub rv: u64,
    /// Continue tokens below this resourceVersion are expired (etcd compaction).
    pub compacted_rv: u64,
    pub last_compaction: Instant,
    /// Writes since the store was built, oldest first (at most [`EVENTS_KEPT`]).
    pub events: VecDeque<Arc<Event>>,
    /// Watches from a resourceVersion below this one are too old (events dropped from the log).
    pub events_floor: u64,
    /// Sends the resourceVersion after each change: open watches wait on it.
    pub changes: tokio::sync::watch::Sender<u64>,
}

impl Store {
    /// Bumps and returns the global resourceVersion.
    pub(crate) fn bump(&mut self) -> u64 {
        self.rv += 1;
        self.changes.send_replace(self.rv);
        self.rv
    }

    fn record(&mut self, event: Event) {
        if self.events.len() >= EVENTS_KEPT {
            if let Some(old) = self.events.pop_front() {
                self.events_floor = old.rv;
            }
        }
        self.events.push_back(Arc::new(event));
        self.changes.send_replace(self.rv);
    }

    /// Whether a watch may start after `rv`: not compacted away, and still in the event log.
    pub(crate) fn too_old(&self, rv: u64) -> bool {
        rv < self.compacted_rv || rv < self.events_floor
    }

    /// Events after `rv` of one resource, in order.
    pub(crate) fn events_after(&self, res: usize, rv: u64) -> Vec<Arc<Event>> {
        // The log is in resourceVersion order: skip what the watcher has seen.
        let start = self.events.partition_point(|e| e.rv <= rv);
        self.events
            .range(start..)
            .filter(|e| e.res == res)
            .cloned()
            .collect()
    }

    /// Expires every continue token issued so far.
    pub(crate) fn compact(&mut self) {
        let rv = self.bump();
        self.compacted_rv = rv;
        self.last_compaction = Instant::now();
    }

    pub(crate) fn get(
        &self,
        res: usize,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<Arc<Object>> {
        let key = match namespace {
            Some(ns) if RESOURCES[res].namespaced => format!("{ns}/{name}"),
            _ => name.to_string(),
        };
        self.collections[res].get(key.as_str()).cloned()
    }

    /// Inserts or replaces an object, giving it a fresh resourceVersion.
    pub(crate) fn put(&mut self, res: usize, mut v: Value) -> Result<Arc<Object>, String> {
        if !v["metadata"].is_object() {
            return Err("an object needs metadata".into());
        }
        if RESOURCES[res].namespaced && v["metadata"]["namespace"].as_str().unwrap_or("").is_empty()
        {
            v["metadata"]["namespace"] = json!("default");
        }
        let rv = self.bump();
        v["metadata"]["resourceVersion"] = json!(rv.to_string());
        let obj = Arc::new(Object::from_value(res, v)?);
        let prev = self.collections[res].insert(obj.key.clone(), obj.clone());
        self.record(Event {
            rv,
            res,
            kind: if prev.is_some() {
                EventKind::Modified
            } else {
                EventKind::Added
            },
            obj: obj.clone(),
            prev,
        });
        Ok(obj)
    }

    pub(crate) fn remove(&mut self, res: usize, key: &str) -> Option<Arc<Object>> {
        let removed = self.collections[res].remove(key);
        if let Some(old) = &removed {
            let rv = self.bump();
            // A DELETED event carries the object at the delete's resourceVersion.
            let mut v = old.value();
            v["metadata"]["resourceVersion"] = json!(rv.to_string());
            let obj = Object::from_value(res, v).map_or_else(|_| old.clone(), Arc::new);
            self.record(Event {
                rv,
                res,
                kind: EventKind::Deleted,
                obj,
                prev: Some(old.clone()),
            });
        }
        removed
    }

    /// One page: matching objects in key order from the continue position, up to the limit.
    pub(crate) fn list(&self, res: usize, q: &ListQuery) -> ListPage {
        let coll = &self.collections[res];
        let prefix = q
            .namespace
            .as_ref()
            .filter(|_| RESOURCES[res].namespaced)
            .map(|ns| format!("{ns}/"));
        let lower: Bound<&str> = match (&q.cont, &prefix) {
            (Some(c), _) => Bound::Excluded(c.after.as_str()),
            (None, Some(p)) => Bound::Included(p.as_str()),
            (None, None) => Bound::Unbounded,
        };
        let resource_version = q.cont.as_ref().map_or(self.rv, |c| c.rv);
        let mut iter = coll
            .range::<str, _>((lower, Bound::Unbounded))
            .take_while(|(k, _)| prefix.as_ref().is_none_or(|p| k.starts_with(p.as_str())))
            .peekable();
        let mut items = Vec::new();
        let mut cont = None;
        while let Some((key, obj)) = iter.next() {
            if !q.labels.matches(&obj.labels) || !q.fields.matches(|f| obj.field(f)) {
                continue;
            }
            items.push(obj.clone());
            if q.limit > 0 && items.len() == q.limit {
                // Like etcd paging: more keys in range means a continue token, matching or not.
                if iter.peek().is_some() {
                    cont = Some(
                        ContinueToken {
                            rv: resource_version,
                            after: key.to_string(),
                        }
                        .encode(),
                    );
                }
                break;
            }
        }
        ListPage {
            items,
            resource_version,
            cont,
        }
    }
}

/// Builds a store one object at a time, so large clusters never exist as a whole in `Value` form.
#[derive(Debug)]
pub(crate) struct StoreBuilder {
    store: Store,
    interner: Interner,
    namespaces: BTreeSet<String>,
    max_rv: u64,
    /// Objects without a resourceVersion get 1, 2, 3 … (all below the list resourceVersion).
    next_missing_rv: u64,
}

impl StoreBuilder {
    /// A builder that keeps objects compressed when `pack` (see [`Body`]), whole otherwise.
    pub(crate) fn new(pack: bool) -> StoreBuilder {
        StoreBuilder {
            interner: Interner::new(pack),
            store: Store {
                collections: RESOURCES.iter().map(|_| BTreeMap::new()).collect(),
                rv: 0,
                compacted_rv: 0,
                last_compaction: Instant::now(),
                events: VecDeque::new(),
                events_floor: 0,
                changes: tokio::sync::watch::channel(0).0,
            },
            namespaces: BTreeSet::from(["default".to_string()]),
            max_rv: 0,
            next_missing_rv: 1,
        }
    }

    /// Adds one object, or every object of a `List`; returns the bytes stored for them.
    pub(crate) fn add(&mut self, v: Value, rng: &mut Rng) -> Result<usize, String> {
        let mut stored = 0;
        let mut flat = Vec::new();
        flatten(vec![v], "", &mut flat)?;
        for (res, mut v) in flat {
            fill_defaults(&mut v, rng);
            if RESOURCES[res].namespaced {
                let ns = v["metadata"]["namespace"]
                    .as_str()
                    .filter(|ns| !ns.is_empty())
                    .unwrap_or("default")
                    .to_string();
                v["metadata"]["namespace"] = json!(ns);
                self.namespaces.insert(ns);
            }
            match v["metadata"]["resourceVersion"]
                .as_str()
                .and_then(|s| s.parse::<u64>().ok())
            {
                Some(rv) => self.max_rv = self.max_rv.max(rv),
                None => {
                    v["metadata"]["resourceVersion"] = json!(self.next_missing_rv.to_string());
                    self.max_rv = self.max_rv.max(self.next_missing_rv);
                    self.next_missing_rv += 1;
                }
            }
            let obj = Object::build(res, v, &mut self.interner)?;
            stored += obj.body.len();
            self.store.collections[res].insert(obj.key.clone(), Arc::new(obj));
        }
        Ok(stored)
    }

    /// Derives namespaces when none were given, and sets the global resourceVersion.
    pub(crate) fn finish(mut self, rng: &mut Rng) -> Result<Store, String> {
        self.store.rv = self.max_rv.max(1000) + 1;
        if self.store.collections[NAMESPACES].is_empty() {
            for ns in std::mem::take(&mut self.namespaces) {
                let v = json!({
                    "metadata": {
                        "name": ns,
                        "uid": rng.uuid(),
                        "resourceVersion": self.store.rv.to_string(),
                        "creationTimestamp": "2026-11-02T08:00:00Z",
                        "labels": {"kubernetes.io/metadata.name": ns}
                    },
                    "spec": {"finalizers": ["kubernetes"]},
                    "status": {"phase": "Active"}
                });
                let obj = Object::build(NAMESPACES, v, &mut self.interner)?;
                self.store.collections[NAMESPACES].insert(obj.key.clone(), Arc::new(obj));
            }
        }
        Ok(self.store)
    }
}

/// Builds a list body by concatenating pre-serialised items.
pub(crate) fn list_bytes(res: usize, page: &ListPage) -> Vec<u8> {
    let r = &RESOURCES[res];
    let mut head = format!(
        "{{\"kind\":\"{}List\",\"apiVersion\":\"{}\",\"metadata\":{{\"resourceVersion\":\"{}\"",
        r.kind,
        r.api_version(),
        page.resource_version
    );
    if let Some(c) = &page.cont {
        head.push_str(&format!(",\"continue\":\"{c}\""));
    }
    head.push_str("},\"items\":[");
    let size = head.len() + page.items.iter().map(|o| o.body.len() + 1).sum::<usize>() + 2;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(head.as_bytes());
    for (i, o) in page.items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        o.body.append_to(&mut out);
    }
    out.extend_from_slice(b"]}");
    out
}

/// A pod list page in protobuf: the `runtime.Unknown` envelope around a `v1.PodList` whose
/// `metadata` is a ListMeta written as Go writes it (selfLink, resourceVersion and continue, empty
/// or not) and whose `items` are the stored pods' messages. `Err` names an object without a
/// protobuf encoding.
pub(crate) fn list_protobuf(res: usize, page: &ListPage) -> Result<Vec<u8>, String> {
    use crate::protobuf::{envelope_head, envelope_tail, put_bytes, put_tag, put_varint, schema};
    let r = &RESOURCES[res];
    let kind = format!("{}List", r.kind);
    let s = schema();
    let number = |msg: &str, field: &str| {
        s.message(msg)
            .and_then(|m| m.field(field))
            .map_or(0, |f| f.number)
    };
    let list = format!("k8s.io.api.core.v1.{kind}");
    let list_meta = "k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta";
    let mut meta = Vec::new();
    put_bytes(&mut meta, number(list_meta, "selfLink"), b"");
    put_bytes(
        &mut meta,
        number(list_meta, "resourceVersion"),
        page.resource_version.to_string().as_bytes(),
    );
    put_bytes(
        &mut meta,
        number(list_meta, "continue"),
        page.cont.as_deref().unwrap_or("").as_bytes(),
    );
    let items_field = number(&list, "items");
    let mut head = Vec::with_capacity(meta.len() + 8);
    put_bytes(&mut head, number(&list, "metadata"), &meta);
    let item_head = |len: usize| {
        let mut h = Vec::with_capacity(6);
        put_tag(&mut h, items_field, 2);
        put_varint(&mut h, len as u64);
        h
    };
    let bodies = page
        .items
        .iter()
        .map(|o| o.protobuf())
        .collect::<Result<Vec<&Body>, String>>()?;
    let raw_len = head.len()
        + bodies
            .iter()
            .map(|b| item_head(b.len()).len() + b.len())
            .sum::<usize>();
    let mut out = Vec::with_capacity(raw_len + 64);
    envelope_head(&mut out, &r.api_version(), &kind, raw_len);
    out.extend_from_slice(&head);
    for b in bodies {
        out.extend_from_slice(&item_head(b.len()));
        b.append_to(&mut out);
    }
    envelope_tail(&mut out);
    Ok(out)
}

/// Flattens `List`/`*List` documents and resolves each object's resource.
fn flatten(
    objects: Vec<Value>,
    list_kind: &str,
    out: &mut Vec<(usize, Value)>,
) -> Result<(), String> {
    for v in objects {
        if !v.is_object() {
            return Err(format!("expected a Kubernetes object, got {v}"));
        }
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        let api_version = v["apiVersion"].as_str().unwrap_or("").to_string();
        if kind == "List" || (kind.ends_with("List") && v.get("items").is_some()) {
            let inner = kind.strip_suffix("List").unwrap_or("").to_string();
            let items = match v {
                Value::Object(mut m) => match m.remove("items") {
                    Some(Value::Array(items)) => items,
                    _ => Vec::new(),
                },
                _ => Vec::new(),
            };
            flatten(items, &inner, out)?;
            continue;
        }
        let kind = if kind.is_empty() {
            list_kind.to_string()
        } else {
            kind
        };
        let api_version = if v["kind"].is_string() {
            api_version
        } else {
            String::new()
        };
        let res = find_by_kind(&api_version, &kind).ok_or_else(|| {
            format!(
                "unsupported object kind {kind:?} (apiVersion {api_version:?}) named {}",
                v["metadata"]["name"]
            )
        })?;
        out.push((res, v));
    }
    Ok(())
}

/// Gives an object the metadata the API server always sets: uid and creationTimestamp.
fn fill_defaults(v: &mut Value, rng: &mut Rng) {
    if !v["metadata"].is_object() {
        if let Some(m) = v.as_object_mut() {
            m.insert("metadata".into(), Value::Object(Map::new()));
        }
    }
    let meta = &mut v["metadata"];
    if meta["uid"].as_str().unwrap_or("").is_empty() {
        meta["uid"] = json!(rng.uuid());
    }
    if meta["creationTimestamp"].as_str().is_none() {
        meta["creationTimestamp"] = json!(rfc3339(now_unix()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generator::{ClusterSpec, generate_each};

    fn load(pack: bool) -> Store {
        let mut rng = Rng::new(3);
        let mut builder = StoreBuilder::new(pack);
        generate_each(&ClusterSpec::sized(5, 16, 5, 0.2), &mut |v| {
            builder.add(v, &mut rng).expect("a generated object loads");
        });
        builder.finish(&mut rng).expect("the store builds")
    }

    #[test]
    fn packed_objects_hold_the_same_json_in_a_fraction_of_the_bytes() {
        let (packed, whole) = (load(true), load(false));
        let (mut json, mut held, mut count, mut packed_count) = (0, 0, 0, 0);
        let (mut pb_count, mut pb_packed, mut pb_len, mut pb_held) = (0, 0, 0, 0);
        for (res, (p, w)) in packed
            .collections
            .iter()
            .zip(&whole.collections)
            .enumerate()
        {
            assert_eq!(
                p.keys().collect::<Vec<_>>(),
                w.keys().collect::<Vec<_>>(),
                "{}",
                RESOURCES[res].plural
            );
            for (a, b) in p.values().zip(w.values()) {
                assert!(matches!(b.body, Body::Plain(_)));
                assert_eq!(a.bytes(), b.bytes(), "{}", a.key);
                // Pods carry their protobuf too, packed against their family's the same way.
                assert_eq!(a.pb.is_some(), res == PODS, "{}", a.key);
                assert_eq!(
                    a.protobuf().ok().map(Body::to_vec),
                    b.protobuf().ok().map(Body::to_vec),
                    "{}",
                    a.key
                );
                if let Some(pb) = &a.pb {
                    let pb = pb.as_ref().expect("a generated pod encodes");
                    pb_count += 1;
                    pb_len += pb.len();
                    if let Body::Packed { data, .. } = pb {
                        pb_packed += 1;
                        pb_held += data.len();
                    } else {
                        pb_held += pb.len();
                    }
                }
                assert_eq!(a.full_bytes(res), b.full_bytes(res));
                assert_eq!((&a.labels, &a.uid, a.name()), (&b.labels, &b.uid, b.name()));
                for f in RESOURCES[res].fields {
                    assert_eq!(a.field(f), b.field(f), "{} {f}", a.key);
                }
                count += 1;
                json += a.body.len();
                held += match &a.body {
                    Body::Plain(bytes) => bytes.len(),
                    Body::Packed { data, .. } => {
                        packed_count += 1;
                        data.len()
                    }
                };
            }
        }
        // Every object of a family after its first is a small delta of it.
        assert!(
            packed_count * 10 >= count * 9,
            "{packed_count} of {count} packed"
        );
        assert!(
            held * 4 < json,
            "{held} bytes held for {json} bytes of JSON"
        );
        assert!(
            pb_packed * 10 >= pb_count * 9,
            "{pb_packed} of {pb_count} pods' protobuf packed"
        );
        assert!(
            pb_held * 4 < pb_len,
            "{pb_held} bytes held for {pb_len} bytes of protobuf"
        );
        // Equal label sets are one allocation.
        let pods = &packed.collections[crate::resources::find_by_name("pods").unwrap()];
        let mut sets: Vec<*const BTreeMap<String, String>> =
            pods.values().map(|o| Arc::as_ptr(&o.labels)).collect();
        sets.sort();
        sets.dedup();
        assert!(
            sets.len() * 2 < pods.len(),
            "{} label sets for {} pods",
            sets.len(),
            pods.len()
        );
    }

    #[test]
    fn objects_written_while_serving_are_kept_whole_and_lists_read_both() {
        let mut store = load(true);
        let nodes = crate::resources::find_by_name("nodes").unwrap();
        let first = store.collections[nodes].values().next().unwrap().clone();
        let mut v = first.value();
        v["spec"]["unschedulable"] = json!(true);
        let written = store.put(nodes, v).unwrap();
        assert!(matches!(written.body, Body::Plain(_)));
        assert_eq!(written.field("spec.unschedulable"), Some("true"));
        let page = store.list(nodes, &ListQuery::default());
        let body: Value = serde_json::from_slice(&list_bytes(nodes, &page)).unwrap();
        let items = body["items"].as_array().unwrap();
        assert_eq!(items.len(), store.collections[nodes].len());
        assert_eq!(items[0]["spec"]["unschedulable"], json!(true));
        assert_eq!(
            items[1],
            store.collections[nodes].values().nth(1).unwrap().value()
        );
    }
}
