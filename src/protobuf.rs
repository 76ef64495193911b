//! Kubernetes' protobuf wire format, read: what kube-apiserver sends a client that asks for
//! `application/vnd.kubernetes.protobuf` (as client-go's controllers do) for a pod list, and for
//! an error `Status`.
//!
//! A body is the magic `k8s\0` and a `runtime.Unknown` message (`typeMeta = 1`, `raw = 2`, see
//! `k8s.io/apimachinery/pkg/runtime/serializer/protobuf: Serializer.Encode`); `raw` is the object
//! itself, a message of the type's `generated.proto` (`k8s.io/api/core/v1`,
//! `k8s.io/apimachinery/pkg/apis/meta/v1`). Only the fields the audit reads are looked at; every
//! other field is stepped over by its length, never decoded — which is the point: a pod list
//! read this way costs a fraction of the JSON parse, and the same pod comes out
//! ([`crate::model::Pod`], built by the same code as from JSON). Field numbers are cited from
//! the `generated.proto` files beside each decoder; tests compare a pod decoded from the
//! Kubernetes project's own protobuf round-trip fixture with the same pod decoded from its JSON.

use jiff::Timestamp;

/// The four bytes a Kubernetes protobuf body starts with.
pub const MAGIC: &[u8; 4] = b"k8s\0";

/// The media type to ask for, and to recognise in `Content-Type`.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// Why a body is not the protobuf it says it is: one line, naming what was being read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("protobuf {0}")]
pub struct Error(pub String);

/// A reader of one object from its protobuf message.
pub type Reader<T> = fn(&[u8]) -> Result<T, Error>;

fn error<T>(what: &str) -> Result<T, Error> {
    Err(Error(what.to_string()))
}

fn not_utf8(what: &str) -> Error {
    Error(format!("{what}: a string that is not UTF-8"))
}

/// A field's value as the wire carries it.
#[derive(Debug, Clone, Copy)]
pub enum Wire<'a> {
    Varint(u64),
    /// Length-delimited: a string, bytes, an embedded message or a packed repeated field.
    Bytes(&'a [u8]),
    /// fixed32/fixed64: no field read here has these; stepped over.
    Fixed,
}

impl<'a> Wire<'a> {
    pub fn bytes(self, what: &str) -> Result<&'a [u8], Error> {
        match self {
            Wire::Bytes(b) => Ok(b),
            _ => error(&format!("{what}: expected a length-delimited field")),
        }
    }

    /// A protobuf `string`: UTF-8 (a Go string that is not would fail the JSON path too).
    pub fn str(self, what: &str) -> Result<&'a str, Error> {
        std::str::from_utf8(self.bytes(what)?).map_err(|_| not_utf8(what))
    }

    /// A `string` that many objects repeat, interned ([`Interned::from_utf8`]: text met before
    /// is found by its bytes, not checked again).
    pub fn interned(self, what: &str) -> Result<Interned, Error> {
        Interned::from_utf8(self.bytes(what)?).ok_or_else(|| not_utf8(what))
    }

    /// [`Wire::interned`] for a field whose value mostly repeats from one pod to the next
    /// ([`Interned::from_utf8_repeated`]; `slot` is the field's, one of [`slot`]'s).
    pub fn repeated(self, slot: usize, what: &str) -> Result<Interned, Error> {
        Interned::from_utf8_repeated(slot, self.bytes(what)?).ok_or_else(|| not_utf8(what))
    }

    pub fn varint(self, what: &str) -> Result<u64, Error> {
        match self {
            Wire::Varint(v) => Ok(v),
            _ => error(&format!("{what}: expected a varint")),
        }
    }

    /// `int64`, and `int32` (sign-extended to ten bytes on the wire when negative).
    pub fn int(self, what: &str) -> Result<i64, Error> {
        self.varint(what).map(|v| v as i64)
    }

    pub fn bool(self, what: &str) -> Result<bool, Error> {
        self.varint(what).map(|v| v != 0)
    }
}

/// The fields of one message, in wire order: `(field number, value)`.
pub struct Fields<'a> {
    buf: &'a [u8],
}

pub fn fields(buf: &[u8]) -> Fields<'_> {
    Fields { buf }
}

impl<'a> Fields<'a> {
    fn varint(&mut self) -> Result<u64, Error> {
        let mut v = 0u64;
        for (i, &b) in self.buf.iter().enumerate().take(10) {
            v |= u64::from(b & 0x7f) << (7 * i);
            if b < 0x80 {
                self.buf = &self.buf[i + 1..];
                return Ok(v);
            }
        }
        error("varint: truncated or longer than ten bytes")
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        if n > self.buf.len() {
            return error("field: its length runs past the end of the message");
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Wire<'a>), Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let buf = self.buf;
        let &key = buf.first()?;
        // Most fields of a Kubernetes object have a one-byte key (numbers up to 15) and, when
        // length-delimited, a length under 128, or a one-byte varint: read those directly.
        if key < 0x80
            && let Some(&second) = buf.get(1)
            && second < 0x80
        {
            let number = u32::from(key >> 3);
            match key & 7 {
                0 => {
                    self.buf = &buf[2..];
                    return Some(Ok((number, Wire::Varint(u64::from(second)))));
                }
                2 if 2 + second as usize <= buf.len() => {
                    let (value, rest) = buf[2..].split_at(second as usize);
                    self.buf = rest;
                    return Some(Ok((number, Wire::Bytes(value))));
                }
                _ => {}
            }
        }
        // A one-byte key and a two-byte length (128 bytes to 16 KiB): a container, a volume.
        if key & 0x87 == 2
            && let [_, low, high, ..] = *buf
            && low >= 0x80
            && high < 0x80
        {
            let n = usize::from(low & 0x7f) | usize::from(high) << 7;
            if 3 + n <= buf.len() {
                let (value, rest) = buf[3..].split_at(n);
                self.buf = rest;
                return Some(Ok((u32::from(key >> 3), Wire::Bytes(value))));
            }
        }
        let field = (|| {
            let key = self.varint()?;
            let number = u32::try_from(key >> 3).or_else(|_| error("field number too large"))?;
            let wire = match key & 7 {
                0 => Wire::Varint(self.varint()?),
                1 => {
                    self.take(8)?;
                    Wire::Fixed
                }
                2 => {
                    let n = self.varint()?;
                    Wire::Bytes(self.take(usize::try_from(n).unwrap_or(usize::MAX))?)
                }
                5 => {
                    self.take(4)?;
                    Wire::Fixed
                }
                t => {
                    return error(&format!(
                        "field {number}: wire type {t} is not used by Kubernetes"
                    ));
                }
            };
            Ok((number, wire))
        })();
        if field.is_err() {
            self.buf = &[]; // one error, then the end
        }
        Some(field)
    }
}

/// Calls `each` with every field of `buf`.
pub fn each<'a>(
    buf: &'a [u8],
    mut each: impl FnMut(u32, Wire<'a>) -> Result<(), Error>,
) -> Result<(), Error> {
    for f in fields(buf) {
        let (n, w) = f?;
        each(n, w)?;
    }
    Ok(())
}

/// A body's `runtime.Unknown`: the object's kind and its own message (`raw`).
#[derive(Debug, Clone, Copy)]
pub struct Envelope<'a> {
    pub api_version: &'a str,
    pub kind: &'a str,
    pub raw: &'a [u8],
}

/// Unwraps a protobuf body (`k8s.io/apimachinery/pkg/runtime/generated.proto`: `Unknown` —
/// `typeMeta = 1` {`apiVersion = 1`, `kind = 2`}, `raw = 2`, `contentEncoding = 3`,
/// `contentType = 4`).
pub fn envelope(body: &[u8]) -> Result<Envelope<'_>, Error> {
    let Some(rest) = body.strip_prefix(MAGIC) else {
        return error("body: does not start with the Kubernetes protobuf magic \"k8s\\0\"");
    };
    let mut env = Envelope {
        api_version: "",
        kind: "",
        raw: &[],
    };
    each(rest, |n, w| {
        match n {
            1 => each(w.bytes("typeMeta")?, |n, w| {
                match n {
                    1 => env.api_version = w.str("typeMeta.apiVersion")?,
                    2 => env.kind = w.str("typeMeta.kind")?,
                    _ => {}
                }
                Ok(())
            })?,
            2 => env.raw = w.bytes("raw")?,
            3 if !w.bytes("contentEncoding")?.is_empty() => {
                return error("body: a contentEncoding other than none");
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(env)
}

/// One page of a list (`PodList` and every `*List`: `metadata = 1` a `ListMeta`, `items = 2`):
/// its continue token and resourceVersion, and each item's own message, not yet decoded.
#[derive(Debug, Default)]
pub struct ListPage<'a> {
    pub continue_: String,
    pub resource_version: String,
    pub items: Vec<&'a [u8]>,
}

/// Reads a list (`meta/v1 ListMeta`: `selfLink = 1`, `resourceVersion = 2`, `continue = 3`,
/// `remainingItemCount = 4`).
pub fn list(raw: &[u8]) -> Result<ListPage<'_>, Error> {
    let mut page = ListPage::default();
    each(raw, |n, w| {
        match n {
            1 => each(w.bytes("list metadata")?, |n, w| {
                match n {
                    2 => page.resource_version = w.str("metadata.resourceVersion")?.to_string(),
                    3 => page.continue_ = w.str("metadata.continue")?.to_string(),
                    _ => {}
                }
                Ok(())
            })?,
            2 => page.items.push(w.bytes("items")?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(page)
}

/// A `meta/v1 Time` (`seconds = 1`, `nanos = 2`; `Time.Unmarshal` reads the seconds only, and an
/// empty message is the zero time, which JSON writes as `null`).
pub fn time(buf: &[u8], what: &str) -> Result<Option<Timestamp>, Error> {
    if buf.is_empty() {
        return Ok(None);
    }
    let mut seconds = 0;
    each(buf, |n, w| {
        if n == 1 {
            seconds = w.int(what)?;
        }
        Ok(())
    })?;
    Timestamp::from_second(seconds)
        .map(Some)
        .or_else(|_| error(&format!("{what}: {seconds} seconds is out of range")))
}

/// One `map<string, V>` entry (`key = 1`, `value = 2`), the value as its wire bytes.
pub fn entry<'a>(buf: &'a [u8], what: &str) -> Result<(&'a str, Option<Wire<'a>>), Error> {
    let (mut key, mut value) = ("", None);
    each(buf, |n, w| {
        match n {
            1 => key = w.str(what)?,
            2 => value = Some(w),
            _ => {}
        }
        Ok(())
    })?;
    Ok((key, value))
}

/// A `map<string, string>` entry.
pub fn string_entry<'a>(buf: &'a [u8], what: &str) -> Result<(&'a str, &'a str), Error> {
    let (key, value) = entry(buf, what)?;
    Ok((key, value.map(|v| v.str(what)).transpose()?.unwrap_or("")))
}

/// The reason and message of a protobuf `meta/v1 Status` body (`message = 3`, `reason = 4`,
/// `details = 5` whose `causes = 4` have `message = 2`); `None` when the body is not one.
pub fn status(body: &[u8]) -> Option<(String, String, Vec<String>)> {
    let env = envelope(body).ok()?;
    if env.kind != "Status" {
        return None;
    }
    let (mut reason, mut message, mut causes) = (String::new(), String::new(), Vec::new());
    each(env.raw, |n, w| {
        match n {
            3 => message = w.str("Status.message")?.to_string(),
            4 => reason = w.str("Status.reason")?.to_string(),
            5 => each(w.bytes("Status.details")?, |n, w| {
                if n == 4 {
                    each(w.bytes("Status.details.causes")?, |n, w| {
                        if n == 2 {
                            causes.push(w.str("cause.message")?.to_string());
                        }
                        Ok(())
                    })?;
                }
                Ok(())
            })?,
            _ => {}
        }
        Ok(())
    })
    .ok()?;
    Some((reason, message, causes))
}

// ---------------------------------------------------------------------------------------------
// Pods (`k8s.io/api/core/v1/generated.proto`)

use crate::interned::{KnownRuns, slot};
use crate::model::slim;
use crate::model::{
    Affinity, Condition, ContainerState, ContainerStatus, Interned, NodeAffinity, NodeSelector,
    NodeSelectorRequirement, NodeSelectorTerm, OwnerReference, Pod, Quantity, Requests,
    ResourceRequirements, Shared, StateDetail,
};

/// A pod from its protobuf message: the same [`Pod`] its JSON decodes to.
pub fn pod(buf: &[u8]) -> Result<Pod, Error> {
    slim_pod(buf, false).map(Pod::from)
}

/// `Pod`: `metadata = 1`, `spec = 2`, `status = 3`. With `whole`, every field the JSON reader
/// reads is read (to compare the two); without, a bound pod's affinity is not (the audit does
/// not keep it).
pub(crate) fn slim_pod(buf: &[u8], whole: bool) -> Result<slim::Pod, Error> {
    let mut p = slim::Pod::default();
    each(buf, |n, w| {
        match n {
            1 => p.metadata = pod_meta(w.bytes("metadata")?)?,
            2 => p.spec = pod_spec(w.bytes("spec")?, whole)?,
            3 => p.status = pod_status(w.bytes("status")?)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(p)
}

/// `meta/v1 ObjectMeta`: `name = 1`, `namespace = 3`, `uid = 5`, `resourceVersion = 6`,
/// `creationTimestamp = 8`, `deletionTimestamp = 9`, `labels = 11`, `annotations = 12`,
/// `ownerReferences = 13`. Of the annotations only the mirror pod's is kept, as from JSON.
fn pod_meta(buf: &[u8]) -> Result<slim::Meta, Error> {
    let (mut labels, mut owners) = (Run::None, Run::None);
    let mut m = slim::Meta::default();
    each(buf, |n, w| {
        match n {
            1 => m.name = w.str("metadata.name")?.into(),
            3 => m.namespace = w.repeated(slot::NAMESPACE, "metadata.namespace")?,
            5 => m.uid = w.str("metadata.uid")?.into(),
            6 => m.resource_version = w.str("metadata.resourceVersion")?.into(),
            8 => {
                m.creation_timestamp = time(
                    w.bytes("metadata.creationTimestamp")?,
                    "metadata.creationTimestamp",
                )?
            }
            9 => {
                m.deletion_timestamp = time(
                    w.bytes("metadata.deletionTimestamp")?,
                    "metadata.deletionTimestamp",
                )?
            }
            11 => labels.note(buf, 11, w.bytes("metadata.labels")?),
            12 => {
                // Only the mirror annotation is kept: the others (often long: a
                // last-applied-configuration) are not read past their key.
                let what = "metadata.annotations";
                let (k, v) = entry(w.bytes(what)?, what)?;
                if k == crate::model::MIRROR_ANNOTATION {
                    let v = v.map(|v| v.str(what)).transpose()?.unwrap_or("");
                    m.annotations.insert(k.to_string(), v.to_string());
                }
            }
            13 => owners.note(buf, 13, w.bytes("metadata.ownerReferences")?),
            _ => {}
        }
        Ok(())
    })?;
    match labels {
        Run::None => {}
        Run::At(from, to) => m.shared_labels = Some(known_labels(&buf[from..to])?),
        Run::Scattered => m.labels = label_entries(buf)?,
    }
    match owners {
        Run::None => {}
        Run::At(from, to) => m.shared_owners = Some(known_owners(&buf[from..to])?),
        Run::Scattered => m.owner_references = owner_entries(buf)?,
    }
    Ok(m)
}

/// Where the fields of one repeated field number lie in a message: Go writes them one after
/// another, so the pods that repeat a value (a label set, owner references) repeat
/// the bytes of that run, and the value decoded once is found again by them.
#[derive(Clone, Copy)]
enum Run {
    None,
    /// `buf[from..to]`, headers included.
    At(usize, usize),
    /// Apart, or with a header longer than needed: read field by field.
    Scattered,
}

impl Run {
    /// Field `n` (under 16, length-delimited) of `buf` with value `v` (a slice of `buf`).
    fn note(&mut self, buf: &[u8], n: u8, v: &[u8]) {
        // Where the field lies, header included: its key, its length and its value.
        let end = v.as_ptr() as usize - buf.as_ptr() as usize + v.len();
        let start = end - v.len() - 1 - varint_len(v.len());
        // Only a minimal header (as Go writes) is where it is computed to be; anything else is
        // read field by field.
        let minimal = buf
            .get(start..end - v.len())
            .is_some_and(|h| is_minimal_header(h, n, v.len()));
        *self = match *self {
            Run::None if minimal => Run::At(start, end),
            Run::At(from, to) if minimal && to == start => Run::At(from, end),
            _ => Run::Scattered,
        };
    }
}

thread_local! {
    /// Label sets this thread has read: the pods of a DaemonSet revision (or a ReplicaSet)
    /// carry the same.
    static KNOWN_LABEL_SETS: KnownRuns<Shared<crate::model::Labels>> = KnownRuns::new();
    /// Owner references: the pods of a DaemonSet carry the same.
    static KNOWN_OWNERS: KnownRuns<crate::model::SharedList<OwnerReference>> = KnownRuns::new();
    /// Containers, by the names, requests and restart policies of each ([`Projected`]).
    static KNOWN_CONTAINERS: KnownRuns<crate::model::SharedList<crate::model::Container>> =
        KnownRuns::new();
}

/// The shared label set whose entries are `run` (consecutive `labels = 11` fields).
fn known_labels(run: &[u8]) -> Result<Shared<crate::model::Labels>, Error> {
    KNOWN_LABEL_SETS.with(|k| {
        k.get(run, |run| {
            Ok(crate::model::intern_labels(label_entries(run)?))
        })
    })
}

/// The shared owner references that are `run` (consecutive `ownerReferences = 13` fields).
fn known_owners(run: &[u8]) -> Result<crate::model::SharedList<OwnerReference>, Error> {
    KNOWN_OWNERS.with(|k| {
        k.get(run, |run| {
            Ok(crate::model::intern_owners(owner_entries(run)?))
        })
    })
}

/// The `ownerReferences = 13` entries among `buf`'s fields.
fn owner_entries(buf: &[u8]) -> Result<Vec<OwnerReference>, Error> {
    let mut owners = Vec::new();
    each(buf, |n, w| {
        if n == 13 {
            owners.push(owner(w.bytes("metadata.ownerReferences")?)?);
        }
        Ok(())
    })?;
    Ok(owners)
}

/// The `labels = 11` entries among `buf`'s fields.
fn label_entries(buf: &[u8]) -> Result<crate::model::Labels, Error> {
    let mut labels = crate::model::Labels::new();
    each(buf, |n, w| {
        if n == 11 {
            let (k, v) = string_entry(w.bytes("metadata.labels")?, "metadata.labels")?;
            labels.insert(k.to_string(), v.to_string());
        }
        Ok(())
    })?;
    Ok(labels)
}

/// Whether `h` is the minimal header of length-delimited field `n` (under 16) of `len` bytes.
fn is_minimal_header(h: &[u8], n: u8, len: usize) -> bool {
    let Some((&key, rest)) = h.split_first() else {
        return false;
    };
    if key != (n << 3 | 2) || rest.len() != varint_len(len) {
        return false;
    }
    let mut v = len;
    rest.iter().enumerate().all(|(i, &b)| {
        let want = if i + 1 == rest.len() {
            v as u8
        } else {
            (v as u8 & 0x7f) | 0x80
        };
        v >>= 7;
        b == want
    })
}

/// How many bytes a varint of `v` takes.
fn varint_len(v: usize) -> usize {
    (usize::BITS - (v | 1).leading_zeros()).div_ceil(7) as usize
}

/// `meta/v1 OwnerReference`: `kind = 1`, `name = 3`, `uid = 4`, `apiVersion = 5`,
/// `controller = 6`.
fn owner(buf: &[u8]) -> Result<OwnerReference, Error> {
    let mut o = OwnerReference::default();
    each(buf, |n, w| {
        let what = "metadata.ownerReferences";
        match n {
            1 => o.kind = w.interned(what)?,
            3 => o.name = w.interned(what)?,
            4 => o.uid = w.interned(what)?,
            5 => o.api_version = w.interned(what)?,
            6 => o.controller = w.bool(what)?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(o)
}

/// `PodSpec`: `containers = 2`, `nodeName = 10`, `affinity = 18`, `initContainers = 20`,
/// `priorityClassName = 24`, `overhead = 32` (a `map<string, Quantity>`), `resources = 40`
/// (pod-level `ResourceRequirements`, read as a container's: only `requests`). A bound pod's
/// affinity is not read (the audit reads it only to find an unbound pod's node, see
/// [`crate::model::RareSpec`]) unless `whole`.
fn pod_spec(buf: &[u8], whole: bool) -> Result<slim::Spec, Error> {
    let mut s = slim::Spec::default();
    let mut affinity_at = None;
    // Room for a few containers' kept fields at once: grown from nothing, the key was
    // reallocated five or six times a pod.
    let mut containers = Projected {
        items: Vec::with_capacity(4),
        key: Vec::with_capacity(512),
    };
    let mut overhead = Vec::new();
    each(buf, |n, w| {
        match n {
            2 => containers.add_container(w.bytes("spec.containers")?)?,
            10 => s.node_name = w.interned("spec.nodeName")?,
            18 => affinity_at = Some(w.bytes("spec.affinity")?),
            20 => s
                .init_containers
                .push(container(w.bytes("spec.initContainers")?)?),
            24 => {
                s.priority_class_name =
                    w.repeated(slot::PRIORITY_CLASS, "spec.priorityClassName")?
            }
            32 => overhead.push(quantity_entry(w.bytes("spec.overhead")?, "spec.overhead")?),
            40 => s.resources = resources(w.bytes("spec.resources")?)?,
            _ => {}
        }
        Ok(())
    })?;
    s.overhead = overhead.into_iter().collect();
    if let Some(a) = affinity_at
        && (whole || s.node_name.is_empty())
    {
        s.affinity = Some(affinity(a)?);
    }
    if !containers.items.is_empty() {
        s.shared_containers = Some(KNOWN_CONTAINERS.with(|k| {
            k.get(&containers.key, |_| {
                let read = containers.items.iter().map(|c| container(c));
                Ok(crate::model::intern_containers(
                    read.collect::<Result<_, _>>()?,
                ))
            })
        })?);
    }
    Ok(s)
}

/// The messages of a repeated field (containers) with the key they are
/// found again by: the bytes of only the fields the audit keeps. Their whole bytes differ from
/// pod to pod (a container's volume mount of the pod's own service account token,
/// `kube-api-access-xxxxx`), what is kept rarely does.
#[derive(Default)]
struct Projected<'a> {
    items: Vec<&'a [u8]>,
    /// Each kept field as its number, its length (8 bytes) and its bytes.
    key: Vec<u8>,
}

impl<'a> Projected<'a> {
    fn keep(&mut self, n: u32, v: &[u8]) {
        self.key.push(n as u8);
        self.key.extend((v.len() as u64).to_le_bytes());
        self.key.extend(v);
    }

    /// A `Container`: its `name = 1`, `resources = 8` and `restartPolicy = 24` are what
    /// [`container`] reads.
    fn add_container(&mut self, c: &'a [u8]) -> Result<(), Error> {
        self.items.push(c);
        self.key.push(0);
        each(c, |n, w| {
            if matches!(n, 1 | 8 | 24) {
                self.keep(n, w.bytes("spec.containers")?);
            }
            Ok(())
        })
    }
}

/// `Container`: `name = 1`, `resources = 8` (`ResourceRequirements`: `requests = 2`, a
/// `map<string, Quantity>`; `Quantity`: `string = 1`), `restartPolicy = 24`.
fn container(buf: &[u8]) -> Result<slim::Container, Error> {
    let mut c = slim::Container::default();
    each(buf, |n, w| {
        match n {
            1 => c.name = w.interned("container name")?,
            8 => c.resources = resources(w.bytes("container resources")?)?,
            24 => c.restart_policy = w.interned("container restartPolicy")?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(c)
}

fn resources(buf: &[u8]) -> Result<ResourceRequirements, Error> {
    let mut requests = Vec::new();
    each(buf, |n, w| {
        if n == 2 {
            let what = "resources.requests";
            requests.push(quantity_entry(w.bytes(what)?, what)?);
        }
        Ok(())
    })?;
    Ok(ResourceRequirements {
        requests: requests.into_iter().collect::<Requests>(),
    })
}

/// An entry of a `map<string, Quantity>` (`Quantity`: `string = 1`).
fn quantity_entry(buf: &[u8], what: &str) -> Result<(String, Quantity), Error> {
    let (k, v) = entry(buf, what)?;
    let mut q = "";
    if let Some(v) = v {
        each(v.bytes(what)?, |n, w| {
            if n == 1 {
                q = w.str(what)?;
            }
            Ok(())
        })?;
    }
    Ok((k.to_string(), Quantity(q.to_string())))
}

/// `Affinity`: `nodeAffinity = 1` (`NodeAffinity`:
/// `requiredDuringSchedulingIgnoredDuringExecution = 1`, a `NodeSelector`).
fn affinity(buf: &[u8]) -> Result<Affinity, Error> {
    let mut a = Affinity::default();
    each(buf, |n, w| {
        if n == 1 {
            let mut na = NodeAffinity::default();
            each(w.bytes("nodeAffinity")?, |n, w| {
                if n == 1 {
                    na.required_during_scheduling_ignored_during_execution =
                        Some(node_selector(w.bytes("nodeAffinity.required")?)?);
                }
                Ok(())
            })?;
            a.node_affinity = Some(na);
        }
        Ok(())
    })?;
    Ok(a)
}

/// `NodeSelector`: `nodeSelectorTerms = 1`; `NodeSelectorTerm`: `matchExpressions = 1`,
/// `matchFields = 2`; `NodeSelectorRequirement`: `key = 1`, `operator = 2`, `values = 3`.
fn node_selector(buf: &[u8]) -> Result<NodeSelector, Error> {
    let what = "nodeSelectorTerms";
    let requirement = |buf: &[u8]| -> Result<NodeSelectorRequirement, Error> {
        let mut r = NodeSelectorRequirement::default();
        each(buf, |n, w| {
            match n {
                1 => r.key = w.str(what)?.to_string(),
                2 => r.operator = w.str(what)?.to_string(),
                3 => r.values.push(w.str(what)?.to_string()),
                _ => {}
            }
            Ok(())
        })?;
        Ok(r)
    };
    let mut s = NodeSelector::default();
    each(buf, |n, w| {
        if n == 1 {
            let mut t = NodeSelectorTerm::default();
            each(w.bytes(what)?, |n, w| {
                match n {
                    1 => t.match_expressions.push(requirement(w.bytes(what)?)?),
                    2 => t.match_fields.push(requirement(w.bytes(what)?)?),
                    _ => {}
                }
                Ok(())
            })?;
            s.node_selector_terms.push(t);
        }
        Ok(())
    })?;
    Ok(s)
}

/// `PodStatus`: `phase = 1`, `conditions = 2`, `message = 3`, `reason = 4`,
/// `containerStatuses = 8`, `initContainerStatuses = 10`.
fn pod_status(buf: &[u8]) -> Result<slim::Status, Error> {
    let mut s = slim::Status::default();
    each(buf, |n, w| {
        match n {
            1 => s.phase = w.repeated(slot::PHASE, "status.phase")?,
            2 => {
                let c = w.bytes("status.conditions")?;
                if condition_is_read(c)? {
                    s.conditions.0.push(condition(c)?);
                }
            }
            3 => s.message = w.repeated(slot::STATUS_MESSAGE, "status.message")?,
            4 => s.reason = w.repeated(slot::STATUS_REASON, "status.reason")?,
            8 => s
                .container_statuses
                .push(container_status(w.bytes("status.containerStatuses")?)?),
            10 => s
                .init_container_statuses
                .push(container_status(w.bytes("status.containerStatuses")?)?),
            _ => {}
        }
        Ok(())
    })?;
    Ok(s)
}

/// Whether the audit reads this `PodCondition` ([`slim::is_read`]), from its `type = 1` and
/// `status = 2` alone: the others (most of a pod's) are stepped over, not decoded.
fn condition_is_read(buf: &[u8]) -> Result<bool, Error> {
    let (mut type_, mut status): (&[u8], &[u8]) = (b"", b"");
    each(buf, |n, w| {
        match n {
            1 => type_ = w.bytes("status.conditions")?,
            2 => status = w.bytes("status.conditions")?,
            _ => {}
        }
        Ok(())
    })?;
    Ok(slim::is_read(type_, status))
}

/// `PodCondition`: `type = 1`, `status = 2`, `lastTransitionTime = 4`, `reason = 5`,
/// `message = 6`.
fn condition(buf: &[u8]) -> Result<Condition, Error> {
    let mut c = Condition::default();
    let what = "status.conditions";
    each(buf, |n, w| {
        match n {
            1 => c.type_ = w.repeated(slot::CONDITION_TYPE, what)?,
            2 => c.status = w.repeated(slot::CONDITION_STATUS, what)?,
            4 => c.last_transition_time = time(w.bytes(what)?, what)?,
            5 => c.reason = w.str(what)?.to_string(),
            6 => c.message = w.str(what)?.to_string(),
            _ => {}
        }
        Ok(())
    })?;
    Ok(c)
}

/// `ContainerStatus`: `name = 1`, `state = 2`, `lastState = 3`, `ready = 4`,
/// `restartCount = 5`.
fn container_status(buf: &[u8]) -> Result<ContainerStatus, Error> {
    let mut c = ContainerStatus::default();
    let what = "status.containerStatuses";
    each(buf, |n, w| {
        match n {
            1 => c.name = w.repeated(slot::CONTAINER_STATUS_NAME, what)?,
            2 => c.state = container_state(w.bytes(what)?)?,
            3 => c.last_state = container_state(w.bytes(what)?)?,
            4 => c.ready = w.bool(what)?,
            5 => c.restart_count = i64::from(w.int(what)? as i32),
            _ => {}
        }
        Ok(())
    })?;
    Ok(c)
}

/// `ContainerState`: `waiting = 1` (`reason = 1`, `message = 2`), `running = 2`, `terminated = 3`
/// (`exitCode = 1`, `reason = 3`, `message = 4`). Go writes `exitCode` always, as its JSON does.
fn container_state(buf: &[u8]) -> Result<ContainerState, Error> {
    let what = "container state";
    let mut s = ContainerState::default();
    each(buf, |n, w| {
        match n {
            1 => {
                let mut d = StateDetail::default();
                each(w.bytes(what)?, |n, w| {
                    match n {
                        1 => d.reason = w.str(what)?.to_string(),
                        2 => d.message = w.str(what)?.to_string(),
                        _ => {}
                    }
                    Ok(())
                })?;
                s.waiting = Some(Box::new(d));
            }
            2 => {
                w.bytes(what)?;
                s.running = Some(serde::de::IgnoredAny);
            }
            3 => {
                let mut d = StateDetail {
                    exit_code: Some(0),
                    ..StateDetail::default()
                };
                each(w.bytes(what)?, |n, w| {
                    match n {
                        1 => d.exit_code = Some(i64::from(w.int(what)? as i32)),
                        3 => d.reason = w.str(what)?.to_string(),
                        4 => d.message = w.str(what)?.to_string(),
                        _ => {}
                    }
                    Ok(())
                })?;
                s.terminated = Some(Box::new(d));
            }
            _ => {}
        }
        Ok(())
    })?;
    Ok(s)
}

#[cfg(test)]
pub(crate) mod write {
    //! A protobuf writer for tests: builds messages field by field.

    #[derive(Default, Clone)]
    pub struct Msg(pub Vec<u8>);

    fn varint(out: &mut Vec<u8>, mut v: u64) {
        while v >= 0x80 {
            out.push((v as u8) | 0x80);
            v >>= 7;
        }
        out.push(v as u8);
    }

    impl Msg {
        pub fn new() -> Msg {
            Msg::default()
        }
        pub fn int(mut self, n: u32, v: i64) -> Msg {
            varint(&mut self.0, u64::from(n) << 3);
            varint(&mut self.0, v as u64);
            self
        }
        pub fn bytes(mut self, n: u32, b: &[u8]) -> Msg {
            varint(&mut self.0, (u64::from(n) << 3) | 2);
            varint(&mut self.0, b.len() as u64);
            self.0.extend_from_slice(b);
            self
        }
        pub fn str(self, n: u32, s: &str) -> Msg {
            self.bytes(n, s.as_bytes())
        }
        pub fn msg(self, n: u32, m: Msg) -> Msg {
            self.bytes(n, &m.0)
        }
        pub fn entry(self, n: u32, k: &str, v: &str) -> Msg {
            self.msg(n, Msg::new().str(1, k).str(2, v))
        }
        /// The whole body: magic and `runtime.Unknown`.
        pub fn body(self, api_version: &str, kind: &str) -> Vec<u8> {
            let mut out = super::MAGIC.to_vec();
            out.extend(
                Msg::new()
                    .msg(1, Msg::new().str(1, api_version).str(2, kind))
                    .msg(2, self)
                    .str(3, "")
                    .str(4, "")
                    .0,
            );
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::write::Msg;
    use super::*;

    /// A slim pod with its shared label set (if the reader found one) written back as its
    /// labels, to compare with the JSON reader's.
    pub(super) fn settled(mut p: slim::Pod) -> slim::Pod {
        if let Some(shared) = p.metadata.shared_labels.take() {
            p.metadata.labels = (*shared).clone();
        }
        if let Some(shared) = p.metadata.shared_owners.take() {
            p.metadata.owner_references = shared.to_vec();
        }
        if let Some(shared) = p.spec.shared_containers.take() {
            p.spec.containers = shared
                .iter()
                .map(|c| slim::Container {
                    name: c.name.clone(),
                    resources: c.resources.clone(),
                    restart_policy: c.restart_policy.clone(),
                })
                .collect();
        }
        p
    }

    /// Label entries read in one run (as Go writes them) or scattered among other fields, or
    /// with a longer-than-needed length: the same labels, the run shared by the pods that
    /// carry it.
    #[test]
    fn label_sets_read_alike_however_they_lie() {
        let run = Msg::new()
            .str(1, "p")
            .entry(11, "a", "1")
            .entry(11, "b", "2")
            .str(3, "ns");
        let scattered = Msg::new()
            .entry(11, "b", "2")
            .str(1, "p")
            .entry(11, "a", "1")
            .str(3, "ns");
        // Entry `a=1` (6 bytes) with its length written in two bytes, 0x86 0x00.
        let mut padded = Msg::new().str(1, "p").0;
        padded.extend([0x5a, 0x86, 0x00]);
        padded.extend(Msg::new().str(1, "a").str(2, "1").0);
        let padded = Msg(padded).entry(11, "b", "2").str(3, "ns");
        let read = |m: &Msg| pod_meta(&m.0).unwrap();
        let first = read(&run);
        assert!(first.shared_labels.is_some() && first.labels.is_empty());
        let again = read(&run);
        assert!(Shared::ptr_eq(
            first.shared_labels.as_ref().unwrap(),
            again.shared_labels.as_ref().unwrap()
        ));
        for m in [&run, &scattered, &padded] {
            let p = settled(slim::Pod {
                metadata: read(m),
                ..slim::Pod::default()
            });
            let want: crate::model::Labels = [("a", "1"), ("b", "2")]
                .map(|(k, v)| (k.into(), v.into()))
                .into();
            assert_eq!(p.metadata.labels, want);
            assert_eq!(&*p.metadata.namespace, "ns");
        }
        assert!(read(&scattered).shared_labels.is_none());
        assert!(read(&padded).shared_labels.is_none());
    }

    #[test]
    fn lists_give_their_token_version_and_items() {
        let body = Msg::new()
            .msg(1, Msg::new().str(2, "42").str(3, "tok").int(4, 7))
            .msg(2, Msg::new().str(1, "a"))
            .msg(2, Msg::new().str(1, "b"))
            .body("v1", "PodList");
        let env = envelope(&body).unwrap();
        assert_eq!((env.api_version, env.kind), ("v1", "PodList"));
        let page = list(env.raw).unwrap();
        assert_eq!(page.resource_version, "42");
        assert_eq!(page.continue_, "tok");
        assert_eq!(page.items, vec![&b"\x0a\x01a"[..], &b"\x0a\x01b"[..]]);
    }

    #[test]
    fn malformed_bodies_are_errors_not_panics() {
        assert!(envelope(b"{\"kind\":\"PodList\"}").is_err());
        let mut good = MAGIC.to_vec();
        good.extend(Msg::new().msg(2, Msg::new().str(1, "abc")).0);
        // Every cut of a valid body inside its message is an error, not a panic.
        for cut in MAGIC.len() + 1..good.len() {
            assert!(envelope(&good[..cut]).is_err(), "cut at {cut}");
        }
        let mut long = MAGIC.to_vec();
        long.extend([0x12, 0xff, 0xff, 0xff, 0xff, 0x0f, 1, 2]); // raw: 4 GiB claimed
        assert!(envelope(&long).unwrap_err().0.contains("past the end"));
        let mut groups = MAGIC.to_vec();
        groups.extend([0x0b]); // field 1, wire type 3 (start group)
        assert!(envelope(&groups).unwrap_err().0.contains("wire type 3"));
        let mut endless = MAGIC.to_vec();
        endless.extend([
            0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ]);
        assert!(envelope(&endless).unwrap_err().0.contains("varint"));
        let mut encoded = MAGIC.to_vec();
        encoded.extend(Msg::new().msg(2, Msg::new()).str(3, "gzip").0);
        assert!(
            envelope(&encoded)
                .unwrap_err()
                .0
                .contains("contentEncoding")
        );
    }

    #[test]
    fn times_read_seconds_and_empty_is_unset() {
        assert_eq!(time(&[], "t").unwrap(), None);
        let t = Msg::new().int(1, 1_700_000_000).int(2, 500).0;
        assert_eq!(time(&t, "t").unwrap().unwrap().as_second(), 1_700_000_000);
        let before_epoch = Msg::new().int(1, -86_400).0;
        assert_eq!(
            time(&before_epoch, "t").unwrap().unwrap().as_second(),
            -86_400
        );
        let absurd = Msg::new().int(1, i64::MAX).0;
        assert!(
            time(&absurd, "creationTimestamp")
                .unwrap_err()
                .0
                .contains("out of range")
        );
    }

    #[test]
    fn statuses_give_reason_message_and_causes() {
        let body = Msg::new()
            .str(2, "Failure")
            .str(3, "Cannot evict pod")
            .str(4, "TooManyRequests")
            .msg(
                5,
                Msg::new().msg(4, Msg::new().str(1, "DisruptionBudget").str(2, "budget fb")),
            )
            .int(6, 429)
            .body("v1", "Status");
        assert_eq!(
            status(&body),
            Some((
                "TooManyRequests".to_string(),
                "Cannot evict pod".to_string(),
                vec!["budget fb".to_string()]
            ))
        );
        assert_eq!(status(&Msg::new().body("v1", "PodList")), None);
        assert_eq!(status(b"{\"kind\":\"Status\"}"), None);
    }
    /// What the Go fixture cannot show (its condition type is a placeholder, its containers
    /// ready): the conditions kept and dropped, the mirror annotation kept among others, a
    /// zero time, unready containers' states, a negative exit code, an unbound pod's affinity.
    #[test]
    fn pods_read_from_protobuf_as_from_json() {
        let time = |s: i64| Msg::new().int(1, s).int(2, 0);
        let cond = |t: &str, st: &str, at: i64| {
            Msg::new()
                .str(1, t)
                .str(2, st)
                .msg(3, Msg::new())
                .msg(4, time(at))
                .str(5, "")
                .str(6, "")
        };
        let meta = Msg::new()
            .str(1, "kube-proxy-abc")
            .str(3, "kube-system")
            .str(5, "0b0c")
            .str(6, "123")
            .msg(8, time(1_700_000_000))
            .msg(9, Msg::new())
            .entry(11, "k8s-app", "kube-proxy")
            .entry(11, "tier", "node")
            .entry(12, "kubernetes.io/config.mirror", "abc")
            .entry(12, "other", "x")
            .msg(
                13,
                Msg::new()
                    .str(1, "DaemonSet")
                    .str(3, "kube-proxy")
                    .str(4, "u1")
                    .str(5, "apps/v1")
                    .int(6, 1),
            );
        let requirement = Msg::new()
            .str(1, "zone")
            .str(2, "In")
            .str(3, "a")
            .str(3, "b");
        let spec = Msg::new()
            .msg(
                2,
                Msg::new().str(1, "proxy").str(2, "img").msg(
                    8,
                    Msg::new()
                        .msg(1, Msg::new().str(1, "cpu").msg(2, Msg::new().str(1, "1")))
                        .msg(
                            2,
                            Msg::new()
                                .str(1, "memory")
                                .msg(2, Msg::new().str(1, "64Mi")),
                        )
                        .msg(
                            2,
                            Msg::new().str(1, "cpu").msg(2, Msg::new().str(1, "100m")),
                        ),
                ),
            )
            .str(10, "")
            .msg(
                20,
                Msg::new().str(1, "sidecar").str(24, "Always").msg(
                    8,
                    Msg::new().msg(
                        2,
                        Msg::new().str(1, "cpu").msg(2, Msg::new().str(1, "200m")),
                    ),
                ),
            )
            .msg(
                32,
                Msg::new().str(1, "cpu").msg(2, Msg::new().str(1, "250m")),
            )
            .msg(
                18,
                Msg::new().msg(
                    1,
                    Msg::new().msg(1, Msg::new().msg(1, Msg::new().msg(2, requirement))),
                ),
            )
            .str(24, "system-node-critical");
        let waiting = Msg::new().str(1, "CrashLoopBackOff").str(2, "back-off 5m");
        let terminated = Msg::new().int(1, -1).int(2, 0).str(3, "Error").str(4, "");
        let status = Msg::new()
            .str(1, "Running")
            .msg(2, cond("Initialized", "True", 1))
            .msg(2, cond("Ready", "False", 1_700_000_100))
            .msg(2, cond("PodScheduled", "True", 2))
            .str(3, "")
            .str(4, "")
            .msg(
                8,
                Msg::new()
                    .str(1, "proxy")
                    .msg(2, Msg::new().msg(1, waiting))
                    .msg(3, Msg::new().msg(3, terminated))
                    .int(4, 0)
                    .int(5, 7),
            )
            .msg(
                10,
                Msg::new()
                    .str(1, "init")
                    .msg(2, Msg::new().msg(2, Msg::new()))
                    .int(4, 1),
            );
        let pb = Msg::new().msg(1, meta).msg(2, spec).msg(3, status);
        let json = r#"{"metadata":{"name":"kube-proxy-abc","namespace":"kube-system","uid":"0b0c",
            "resourceVersion":"123","creationTimestamp":"2023-11-14T22:13:20Z","deletionTimestamp":null,
            "labels":{"k8s-app":"kube-proxy","tier":"node"},
            "annotations":{"kubernetes.io/config.mirror":"abc","other":"x"},
            "ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"kube-proxy","uid":"u1","controller":true}]},
          "spec":{"containers":[{"name":"proxy","image":"img","resources":{"limits":{"cpu":"1"},"requests":{"memory":"64Mi","cpu":"100m"}}}],
            "initContainers":[{"name":"sidecar","restartPolicy":"Always","resources":{"requests":{"cpu":"200m"}}}],
            "overhead":{"cpu":"250m"},
            "affinity":{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"zone","operator":"In","values":["a","b"]}]}]}}},
            "priorityClassName":"system-node-critical"},
          "status":{"phase":"Running","conditions":[
              {"type":"Initialized","status":"True","lastTransitionTime":"1970-01-01T00:00:01Z"},
              {"type":"Ready","status":"False","lastTransitionTime":"2023-11-14T22:15:00Z"},
              {"type":"PodScheduled","status":"True","lastTransitionTime":"1970-01-01T00:00:02Z"}],
            "containerStatuses":[{"name":"proxy","state":{"waiting":{"reason":"CrashLoopBackOff","message":"back-off 5m"}},
              "lastState":{"terminated":{"exitCode":-1,"reason":"Error"}},"ready":false,"restartCount":7}],
            "initContainerStatuses":[{"name":"init","state":{"running":{}},"ready":true,"restartCount":0}]}}"#;
        let from_pb = settled(slim_pod(&pb.0, true).unwrap());
        let from_json: slim::Pod = serde_json::from_str(json).unwrap();
        let (a, b) = (format!("{from_pb:#?}"), format!("{from_json:#?}"));
        assert_eq!(a, b);
        let flat = format!("{from_pb:?}");
        for shown in [
            "CrashLoopBackOff",
            "exit_code: Some(-1)",
            "system-node-critical",
            "\"100m\"",
            "config.mirror",
            "restart_count: 7",
            "restart_policy: \"Always\"",
            "\"250m\"",
        ] {
            assert!(flat.contains(shown), "{shown} missing from {flat}");
        }
        assert!(
            !flat.contains("Initialized") && !flat.contains("\"other\""),
            "{flat}"
        );
        let p = pod(&pb.0).unwrap();
        assert!(!p.is_ready());
        assert_eq!(
            p.metadata.creation_timestamp.get().map(|t| t.as_second()),
            Some(1_700_000_000)
        );
        assert!(
            p.spec.required_node_affinity().is_some(),
            "an unbound pod keeps its affinity"
        );
        assert!(p.spec.init_containers[0].restarts_always());
        assert_eq!(p.spec.overhead().unwrap().get("cpu").unwrap().0, "250m");
        assert_eq!(
            format!("{p:?}"),
            format!("{:?}", serde_json::from_str::<Pod>(json).unwrap())
        );
    }

    /// Conditions are chosen by type and status before they are decoded (in any field order):
    /// `Ready` always, `PodScheduled` unless `True`; the others are stepped over like any field
    /// the audit does not read, their content unchecked.
    #[test]
    fn conditions_are_chosen_before_they_are_decoded() {
        let status = |conditions: Vec<Msg>| {
            let mut m = Msg::new().str(1, "Running");
            for c in conditions {
                m = m.msg(2, c);
            }
            pod_status(&m.0).unwrap()
        };
        let not_utf8 = Msg::new().bytes(5, &[0xff, 0xfe]);
        let s = status(vec![
            not_utf8.clone().str(1, "Initialized").str(2, "True"),
            Msg::new()
                .str(2, "False")
                .str(1, "PodScheduled")
                .str(5, "Unschedulable"),
            not_utf8.clone().str(1, "PodScheduled").str(2, "True"),
            Msg::new().str(2, "True").str(1, "Ready"),
        ]);
        let kept: Vec<(&str, &str, &str)> = s
            .conditions
            .0
            .iter()
            .map(|c| (&*c.type_, &*c.status, c.reason.as_str()))
            .collect();
        assert_eq!(
            kept,
            [
                ("PodScheduled", "False", "Unschedulable"),
                ("Ready", "True", "")
            ]
        );
        // A condition that is read is decoded whole, its errors reported.
        let bad = Msg::new().msg(2, not_utf8.str(1, "Ready")).0;
        assert!(pod_status(&bad).unwrap_err().0.contains("not UTF-8"));
    }

    /// Owner references in one run (as Go writes them) are decoded once and shared by the pods
    /// that carry the same bytes; scattered ones read the same.
    #[test]
    fn owner_references_read_alike_however_they_lie() {
        let owner = |name: &str| {
            Msg::new()
                .str(1, "DaemonSet")
                .str(3, name)
                .str(4, "u-1")
                .str(5, "apps/v1")
                .int(6, 1)
        };
        let run = Msg::new()
            .str(1, "p")
            .msg(13, owner("a"))
            .msg(13, owner("b"))
            .str(3, "ns");
        let scattered = Msg::new()
            .msg(13, owner("a"))
            .str(1, "p")
            .msg(13, owner("b"))
            .str(3, "ns");
        let first = pod_meta(&run.0).unwrap();
        let again = pod_meta(&run.0).unwrap();
        assert!(Shared::ptr_eq(
            first.shared_owners.as_ref().unwrap(),
            again.shared_owners.as_ref().unwrap()
        ));
        let apart = pod_meta(&scattered.0).unwrap();
        assert!(apart.shared_owners.is_none());
        let names = |m: slim::Meta| {
            let p = settled(slim::Pod {
                metadata: m,
                ..slim::Pod::default()
            });
            p.metadata
                .owner_references
                .iter()
                .map(|o| {
                    format!(
                        "{}/{}/{}/{}/{}",
                        o.api_version, o.kind, o.name, o.uid, o.controller
                    )
                })
                .collect::<Vec<_>>()
        };
        let want = [
            "apps/v1/DaemonSet/a/u-1/true",
            "apps/v1/DaemonSet/b/u-1/true",
        ];
        assert_eq!(names(first), want);
        assert_eq!(names(apart), want);
        // A bad owner in a run is an error the first time and every time after.
        let bad = Msg::new().msg(13, Msg::new().bytes(3, &[0xff]));
        assert!(pod_meta(&bad.0).is_err());
        assert!(pod_meta(&bad.0).is_err());
    }

    /// Containers are found again by their names, requests and restart policies alone: two pods
    /// whose containers differ only elsewhere (each pod's own token volume mount) share one list;
    /// other requests, names or restart policies are another list; a bad container is an error
    /// every time.
    #[test]
    fn containers_are_found_again_by_what_is_kept_of_them() {
        let container = |name: &str, cpu: &str, mount: &str| {
            Msg::new()
                .str(1, name)
                .str(2, "registry.k8s.io/img:1")
                .msg(
                    8,
                    Msg::new().msg(2, Msg::new().str(1, "cpu").msg(2, Msg::new().str(1, cpu))),
                )
                .msg(9, Msg::new().str(1, mount).str(3, "/var/run/secrets"))
        };
        let spec = |cs: Vec<Msg>| {
            let mut m = Msg::new().msg(1, Msg::new().str(1, "vol"));
            for c in cs {
                m = m.msg(2, c);
            }
            pod_spec(&m.str(10, "node-1").0, false).unwrap()
        };
        let shared = |s: &slim::Spec| s.shared_containers.clone().unwrap();
        let a = spec(vec![container("agent", "100m", "kube-api-access-abcde")]);
        let b = spec(vec![container("agent", "100m", "kube-api-access-zyxwv")]);
        assert!(Shared::ptr_eq(&shared(&a), &shared(&b)));
        let c = spec(vec![container("agent", "200m", "kube-api-access-abcde")]);
        let d = spec(vec![
            container("agent", "100m", "kube-api-access-abcde"),
            container("sidecar", "100m", "kube-api-access-abcde"),
        ]);
        let e = spec(vec![
            container("agent", "100m", "kube-api-access-abcde").str(24, "Always"),
        ]);
        for other in [&c, &d, &e] {
            assert!(!Shared::ptr_eq(&shared(&a), &shared(other)));
        }
        assert!(shared(&e)[0].restarts_always() && !shared(&a)[0].restarts_always());
        let read = |s: &slim::Spec| {
            shared(s)
                .iter()
                .map(|c| format!("{}:{}", c.name, c.resources.requests.get("cpu").unwrap().0))
                .collect::<Vec<_>>()
        };
        assert_eq!(read(&a), ["agent:100m"]);
        assert_eq!(read(&c), ["agent:200m"]);
        assert_eq!(read(&d), ["agent:100m", "sidecar:100m"]);
        let bad = Msg::new().msg(2, Msg::new().bytes(1, &[0xff]));
        for _ in 0..2 {
            assert!(pod_spec(&bad.0, false).unwrap_err().0.contains("not UTF-8"));
        }
    }

    /// Pod-level requests (`PodSpec.resources = 40`, a `ResourceRequirements`: `limits = 1`,
    /// `requests = 2`) are read as the JSON of the same pod reads them; the limits are not kept.
    #[test]
    fn pod_level_requests_are_read_from_field_40() {
        let quantity = |k: &str, v: &str| Msg::new().str(1, k).msg(2, Msg::new().str(1, v));
        let spec = Msg::new()
            .msg(
                2,
                Msg::new()
                    .str(1, "app")
                    .msg(8, Msg::new().msg(2, quantity("cpu", "100m"))),
            )
            .str(10, "node-1")
            .msg(
                40,
                Msg::new()
                    .msg(1, quantity("cpu", "2"))
                    .msg(2, quantity("cpu", "800m"))
                    .msg(2, quantity("memory", "1Gi")),
            );
        let p = pod(&Msg::new().msg(2, spec).0).unwrap();
        let r = p
            .spec
            .pod_level_requests()
            .expect("pod-level requests read");
        assert_eq!(r.get("cpu").unwrap().0, "800m");
        assert_eq!(r.get("memory").unwrap().0, "1Gi");
        let json = r#"{"spec":{"nodeName":"node-1",
            "containers":[{"name":"app","resources":{"requests":{"cpu":"100m"}}}],
            "resources":{"limits":{"cpu":"2"},"requests":{"cpu":"800m","memory":"1Gi"}}}}"#;
        assert_eq!(
            format!("{p:?}"),
            format!("{:?}", serde_json::from_str::<Pod>(json).unwrap())
        );
        let bad = Msg::new().msg(40, Msg::new().int(2, 1)); // requests as a varint
        assert!(pod_spec(&bad.0, false).is_err());
    }

    /// A bound pod's affinity is not read (the audit reads it only for an unbound pod), in
    /// either field order; an unbound pod's is, errors included.
    #[test]
    fn only_an_unbound_pods_affinity_is_read() {
        let bad_affinity = Msg::new().msg(1, Msg::new().int(1, 3)); // required: a varint
        let bound = Msg::new().msg(18, bad_affinity.clone()).str(10, "node-1");
        let spec = pod_spec(&bound.0, false).unwrap();
        assert_eq!(&*spec.node_name, "node-1");
        assert!(spec.affinity.is_none());
        assert!(pod_spec(&bound.0, true).is_err(), "read when asked");
        let unbound = Msg::new().msg(18, bad_affinity);
        assert!(pod_spec(&unbound.0, false).is_err());
    }

    #[test]
    fn pod_fields_of_the_wrong_wire_type_are_errors() {
        let bad = Msg::new().msg(1, Msg::new().int(1, 5)).0; // metadata.name as a varint
        assert!(pod(&bad).unwrap_err().0.contains("metadata.name"));
        let bad = Msg::new().msg(1, Msg::new().bytes(3, &[0xff, 0xfe])).0;
        assert!(pod(&bad).unwrap_err().to_string().contains("not UTF-8"));
    }
}

#[cfg(test)]
mod kubernetes_fixture {
    use super::*;

    const PB: &[u8] = include_bytes!("../tests/simulator/tests/fixtures/protobuf/core.v1.Pod.pb");
    const JSON: &[u8] =
        include_bytes!("../tests/simulator/tests/fixtures/protobuf/core.v1.Pod.json");

    /// Kubernetes' own round-trip fixture, one pod written by Go as protobuf and as JSON: both
    /// read to the same pod, field for field — before the audit's trimming (every field read,
    /// the affinity of a bound pod included) and after it.
    #[test]
    fn the_go_encoded_pod_reads_as_its_json_twin() {
        let env = envelope(PB).unwrap();
        assert_eq!((env.api_version, env.kind), ("v1", "Pod"));
        let from_pb = super::tests::settled(slim_pod(env.raw, true).unwrap());
        let from_json: slim::Pod = serde_json::from_slice(JSON).unwrap();
        let (pb, json) = (format!("{from_pb:#?}"), format!("{from_json:#?}"));
        assert_eq!(pb, json);
        // The fixture fills every field: what is compared is not defaults.
        for filled in [
            "nameValue",
            "namespaceValue",
            "uidValue",
            "resourceVersionValue",
            "labelsKey",
            "apiVersionValue",
            "nodeNameValue",
            "priorityClassNameValue",
            "match_expressions",
            "match_fields",
            "keyValue",
            "phaseValue",
            "exit_code: Some(",
            "restart_count: 5",
            "restart_policy: \"restartPolicyValue\"",
            "overheadKey",
        ] {
            assert!(pb.contains(filled), "{filled} missing from {pb}");
        }
        assert_eq!(
            format!("{:?}", pod(env.raw).unwrap()),
            format!("{:?}", serde_json::from_slice::<Pod>(JSON).unwrap())
        );
    }
}
