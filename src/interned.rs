//! [`Interned`]: a string that many objects repeat (a namespace, a node name on each of its
//! pods, an owner's kind, apiVersion, name and UID on every pod of a DaemonSet, a phase, a
//! condition type), stored once and shared.
//!
//! A `String` per pod and field costs 24 bytes plus its own heap block (32 bytes or more); a
//! daemon pod repeats a dozen such strings, so on a 5,000-node cluster (150,000 daemon pods)
//! they add up to about 100 MB. An `Interned` is one thin pointer (8 bytes) to text decoded
//! once per distinct value and kept for the life of the process (see BENCHMARKS.md): copying
//! it touches no reference count. It reads as a `&str` (`Deref`), compares with `str` and
//! `String`, and serializes as a string.

use std::borrow::Borrow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use std::sync::{Arc, LazyLock, Mutex};

use crate::fasthash::FastBuild;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Compares, orders and hashes by its text, as the `str` it stands for. Cloning copies the
/// pointer (not `Copy` only so that the many `.clone()` calls written for `String` stay as
/// they are).
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interned(&'static String);

/// Every distinct value seen, for the life of the process (each is leaked once: the table
/// would keep it alive anyway). Only the fields whose values repeat across objects are
/// interned, so this holds thousands of strings, not millions.
static TABLE: LazyLock<Mutex<HashMap<&'static str, Interned, FastBuild>>> =
    LazyLock::new(Default::default);

thread_local! {
    /// What this thread has already looked up in [`TABLE`]: the decoding threads intern a dozen
    /// strings a pod, nearly all seen before, and this answers them without taking the lock
    /// the other decoding thread may hold. It only ever holds values the table holds, by their
    /// bytes (so that text read as bytes is found without checking its UTF-8 again).
    static SEEN: RefCell<hashbrown::HashTable<Seen>> = RefCell::default();
}

/// How many bytes of its text a [`Seen`] entry holds itself: node names (GKE's, EKS's, AKS's
/// are 27 to 44 bytes), namespaces, label values and UIDs fit.
const HEAD: usize = 44;

/// An entry of [`SEEN`] (64 bytes): a text of at most [`HEAD`] bytes is compared with the
/// copy in the entry rather than through its pointer, in memory of its own. A daemon pod's
/// node name is looked up here once a pod, in no order the cache can follow: through the
/// pointer that was a second cache miss a look-up (4 % of a 15,000-node audit's CPU).
struct Seen {
    hash: u64,
    interned: Interned,
    len: u32,
    head: [u8; HEAD],
}

impl Seen {
    fn new(hash: u64, interned: Interned) -> Seen {
        let bytes = interned.as_str().as_bytes();
        let mut head = [0; HEAD];
        let len = bytes.len().min(HEAD);
        head[..len].copy_from_slice(&bytes[..len]);
        Seen {
            hash,
            len: u32::try_from(bytes.len()).unwrap_or(u32::MAX),
            interned,
            head,
        }
    }

    fn holds(&self, bytes: &[u8]) -> bool {
        if self.len as usize != bytes.len() {
            return false;
        }
        match self.head.get(..bytes.len()) {
            Some(head) => head == bytes,
            None => self.interned.as_str().as_bytes() == bytes,
        }
    }
}

fn seen_hash(bytes: &[u8]) -> u64 {
    use std::hash::BuildHasher;
    FastBuild::default().hash_one(bytes)
}

/// `""` without a table lookup (most optional fields are empty).
static EMPTY: String = String::new();

/// How many fields [`Interned::from_utf8_repeated`] remembers the last value of.
pub const LAST_SLOTS: usize = 8;

thread_local! {
    /// The last value of each field read through [`Interned::from_utf8_repeated`].
    static LAST: [std::cell::Cell<&'static String>; LAST_SLOTS] =
        const { [const { std::cell::Cell::new(&EMPTY) }; LAST_SLOTS] };
}

/// The pod fields read through [`Interned::from_utf8_repeated`] (by the protobuf and the JSON
/// pod readers), each with its own last value.
pub(crate) mod slot {
    pub const NAMESPACE: usize = 0;
    pub const PRIORITY_CLASS: usize = 1;
    pub const PHASE: usize = 2;
    pub const CONDITION_TYPE: usize = 3;
    pub const CONDITION_STATUS: usize = 4;
    pub const CONTAINER_STATUS_NAME: usize = 5;
    pub const STATUS_REASON: usize = 6;
    pub const STATUS_MESSAGE: usize = 7;
    const _: () = assert!(STATUS_MESSAGE < super::LAST_SLOTS);
}

impl Interned {
    pub fn new(s: &str) -> Interned {
        if s.is_empty() {
            return Interned::default();
        }
        if let Some(found) = Interned::seen(s.as_bytes()) {
            return found;
        }
        Interned::insert(s)
    }

    /// The interned text of `bytes`, or `None` if they are not UTF-8: text this thread has
    /// interned before is found by its bytes without being checked again.
    pub fn from_utf8(bytes: &[u8]) -> Option<Interned> {
        if bytes.is_empty() {
            return Some(Interned::default());
        }
        if let Some(found) = Interned::seen(bytes) {
            return Some(found);
        }
        std::str::from_utf8(bytes).ok().map(Interned::insert)
    }

    /// [`Interned::from_utf8`] for a field whose value mostly repeats from one object to the
    /// next (a namespace, a phase, a condition's type): this thread's last value in `slot` (one
    /// per such field, below [`LAST_SLOTS`]) is compared first, before any hashing.
    pub fn from_utf8_repeated(slot: usize, bytes: &[u8]) -> Option<Interned> {
        let last = LAST.with(|l| l[slot].get());
        if last.as_bytes() == bytes {
            return Some(Interned(last));
        }
        let found = Interned::from_utf8(bytes)?;
        LAST.with(|l| l[slot].set(found.0));
        Some(found)
    }

    /// What this thread has already interned as `bytes`.
    fn seen(bytes: &[u8]) -> Option<Interned> {
        let hash = seen_hash(bytes);
        SEEN.with(|seen| {
            seen.borrow()
                .find(hash, |e| e.hash == hash && e.holds(bytes))
                .map(|e| e.interned.clone())
        })
    }

    /// `s` from the table (added if new), remembered by this thread.
    fn insert(s: &str) -> Interned {
        let found = {
            let mut table = TABLE.lock().unwrap_or_else(|p| p.into_inner());
            match table.get(s) {
                Some(found) => found.clone(),
                None => {
                    let leaked: &'static String = Box::leak(Box::new(s.to_string()));
                    table.insert(leaked, Interned(leaked));
                    Interned(leaked)
                }
            }
        };
        let hash = seen_hash(found.as_str().as_bytes());
        SEEN.with(|seen| {
            let mut seen = seen.borrow_mut();
            if seen
                .find(hash, |e| {
                    e.hash == hash && e.holds(found.as_str().as_bytes())
                })
                .is_none()
            {
                seen.insert_unique(hash, Seen::new(hash, found.clone()), |e| e.hash);
            }
        });
        found
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }

    /// Whether both are the one stored copy (equal values always are).
    #[cfg(test)]
    fn same(a: &Interned, b: &Interned) -> bool {
        std::ptr::eq(a.0, b.0)
    }
}

impl Default for Interned {
    fn default() -> Interned {
        Interned(&EMPTY)
    }
}

impl std::ops::Deref for Interned {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Interned {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl std::fmt::Debug for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self.0, f)
    }
}

impl std::fmt::Display for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl From<&str> for Interned {
    fn from(s: &str) -> Interned {
        Interned::new(s)
    }
}

impl From<String> for Interned {
    fn from(s: String) -> Interned {
        Interned::new(&s)
    }
}

impl From<&String> for Interned {
    fn from(s: &String) -> Interned {
        Interned::new(s)
    }
}

impl From<Interned> for String {
    fn from(s: Interned) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Interned {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Interned {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Interned {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Interned> for str {
    fn eq(&self, other: &Interned) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Interned> for &str {
    fn eq(&self, other: &Interned) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Interned> for String {
    fn eq(&self, other: &Interned) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Serialize for Interned {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0)
    }
}

impl<'de> Deserialize<'de> for Interned {
    /// Borrows the text from the input where it can (JSON without escapes), so a value already
    /// in the table costs no allocation at all.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Interned, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Interned;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Interned, E> {
                Ok(Interned::new(s))
            }
        }
        d.deserialize_str(Visit)
    }
}

/// A value many objects repeat whole — a pod's label set (the same on every pod of a DaemonSet
/// revision), its owner references, its containers' names, requests and restart policies — kept
/// once and shared through an [`Arc`]: 8 or 16 bytes a pod instead of a map or vector of its own
/// (a pod's label map alone is about 740 bytes; see BENCHMARKS.md). Reads as the value (`Deref`); the rare
/// writer gets its own copy (`DerefMut`, copy on write).
#[derive(PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Shared<T: ?Sized>(Arc<T>);

impl<T: ?Sized> Shared<T> {
    /// Whether both are the one shared copy.
    pub fn ptr_eq(a: &Shared<T>, b: &Shared<T>) -> bool {
        Arc::ptr_eq(&a.0, &b.0)
    }
}

impl<T: ?Sized> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(self.0.clone())
    }
}

impl<T: ?Sized> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Clone> std::ops::DerefMut for Shared<T> {
    fn deref_mut(&mut self) -> &mut T {
        Arc::make_mut(&mut self.0)
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Shared<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl<T: ?Sized + Serialize> Serialize for Shared<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (*self.0).serialize(s)
    }
}

impl<T> From<T> for Shared<T> {
    /// Not interned: for values built by hand (tests, the rare writer).
    fn from(v: T) -> Shared<T> {
        Shared(Arc::new(v))
    }
}

impl<T> From<Vec<T>> for Shared<[T]> {
    /// Not interned: for values built by hand.
    fn from(v: Vec<T>) -> Shared<[T]> {
        Shared(Arc::from(v))
    }
}

impl<T: Default> Default for Shared<T> {
    fn default() -> Shared<T> {
        Shared(Arc::new(T::default()))
    }
}

impl<T> Default for Shared<[T]> {
    fn default() -> Shared<[T]> {
        Shared(Arc::from(Vec::new()))
    }
}

/// A shared list behind one thin pointer (8 bytes in each object that holds it; a
/// `Shared<[T]>` is 16).
pub type SharedList<T> = Shared<Box<[T]>>;

impl<'a, T> IntoIterator for &'a Shared<Box<[T]>> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<T> From<Vec<T>> for Shared<Box<[T]>> {
    /// Not interned: for values built by hand.
    fn from(v: Vec<T>) -> Shared<Box<[T]>> {
        Shared(Arc::new(v.into_boxed_slice()))
    }
}

impl<T: Eq + std::hash::Hash> SharedTable<Box<[T]>> {
    /// The shared copy of the list `v` (`v` itself the first time it is seen).
    pub fn intern_list(&self, v: Vec<T>) -> Shared<Box<[T]>> {
        self.intern(v.into_boxed_slice())
    }
}

impl<'a, T> IntoIterator for &'a Shared<[T]> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

/// The table a [`Shared`] kind is interned through: every distinct value seen, for the life of
/// the process (thousands of label sets on a large cluster, not one per pod).
pub struct SharedTable<T: ?Sized>(LazyLock<Mutex<HashSet<Arc<T>, FastBuild>>>);

impl<T: ?Sized + Eq + std::hash::Hash> SharedTable<T> {
    pub const fn new() -> SharedTable<T> {
        SharedTable(LazyLock::new(Default::default))
    }

    fn find_or<V, Q>(
        &self,
        v: V,
        key: impl Fn(&V) -> &Q,
        make: impl FnOnce(V) -> Arc<T>,
    ) -> Shared<T>
    where
        Arc<T>: Borrow<Q>,
        Q: ?Sized + Eq + std::hash::Hash,
    {
        let mut table = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = table.get(key(&v)) {
            return Shared(found.clone());
        }
        let shared = make(v);
        table.insert(shared.clone());
        Shared(shared)
    }
}

impl<T: Eq + std::hash::Hash> SharedTable<T> {
    /// The shared copy of `v` (`v` itself the first time it is seen).
    pub fn intern(&self, v: T) -> Shared<T> {
        self.find_or(v, |v| v, Arc::new)
    }
}

impl<T: Eq + std::hash::Hash> SharedTable<[T]> {
    /// The shared copy of `v` (`v` itself the first time it is seen).
    pub fn intern_slice(&self, v: Vec<T>) -> Shared<[T]> {
        self.find_or(v, |v| &v[..], Arc::from)
    }
}

impl<T: ?Sized + Eq + std::hash::Hash> Default for SharedTable<T> {
    fn default() -> Self {
        SharedTable::new()
    }
}

/// Text that is short on most objects (a pod's name, UID or resourceVersion: unique, so not
/// worth interning), kept inline up to `N` bytes instead of in a heap block of its own (a
/// `String` is 24 bytes plus a block of 32 or 48). Longer text goes to the heap, behind a thin
/// pointer so that the type is no larger than its inline text (`InlineStr<14>` is 16 bytes).
/// Reads as a `&str` (`Deref`), compares with `str` and `String`.
#[derive(Clone)]
pub enum InlineStr<const N: usize> {
    Inline(u8, [u8; N]),
    #[allow(clippy::redundant_allocation)] // the outer box keeps the pointer thin
    Heap(Box<Box<str>>),
}

impl<const N: usize> InlineStr<N> {
    pub fn new(s: &str) -> Self {
        match u8::try_from(s.len()) {
            Ok(len) if s.len() <= N => {
                let mut buf = [0; N];
                buf[..s.len()].copy_from_slice(s.as_bytes());
                InlineStr::Inline(len, buf)
            }
            _ => InlineStr::Heap(Box::new(s.into())),
        }
    }

    /// The text's bytes, without the UTF-8 check [`InlineStr::as_str`] makes of inline text
    /// (a pod's UID is read as a number once a pod, `snapshot.rs: canonical_uuid`).
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            InlineStr::Inline(len, buf) => buf.get(..usize::from(*len)).unwrap_or_default(),
            InlineStr::Heap(s) => s.as_bytes(),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            // Always a whole `str` copied in `new`, so always valid UTF-8.
            InlineStr::Inline(len, buf) => {
                std::str::from_utf8(&buf[..usize::from(*len)]).unwrap_or_default()
            }
            InlineStr::Heap(s) => s,
        }
    }
}

impl<const N: usize> Default for InlineStr<N> {
    fn default() -> Self {
        InlineStr::Inline(0, [0; N])
    }
}

impl<const N: usize> std::ops::Deref for InlineStr<N> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> AsRef<str> for InlineStr<N> {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> Borrow<str> for InlineStr<N> {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl<const N: usize> PartialEq for InlineStr<N> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> Eq for InlineStr<N> {}

impl<const N: usize> std::hash::Hash for InlineStr<N> {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.as_str().hash(h)
    }
}

impl<const N: usize> PartialEq<str> for InlineStr<N> {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl<const N: usize> PartialEq<&str> for InlineStr<N> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl<const N: usize> PartialEq<String> for InlineStr<N> {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> PartialEq<InlineStr<N>> for String {
    fn eq(&self, other: &InlineStr<N>) -> bool {
        self.as_str() == other.as_str()
    }
}

impl<const N: usize> PartialEq<InlineStr<N>> for str {
    fn eq(&self, other: &InlineStr<N>) -> bool {
        self == other.as_str()
    }
}

impl<const N: usize> PartialEq<InlineStr<N>> for &str {
    fn eq(&self, other: &InlineStr<N>) -> bool {
        *self == other.as_str()
    }
}

impl<const N: usize> std::fmt::Debug for InlineStr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl<const N: usize> std::fmt::Display for InlineStr<N> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> From<&str> for InlineStr<N> {
    fn from(s: &str) -> Self {
        InlineStr::new(s)
    }
}

impl<const N: usize> From<String> for InlineStr<N> {
    fn from(s: String) -> Self {
        InlineStr::new(&s)
    }
}

impl<const N: usize> From<&InlineStr<N>> for String {
    fn from(s: &InlineStr<N>) -> String {
        s.as_str().to_string()
    }
}

impl<const N: usize> Serialize for InlineStr<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de, const N: usize> Deserialize<'de> for InlineStr<N> {
    /// Borrows the text from the input where it can, so inline text costs no allocation.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit<const N: usize>;
        impl<const N: usize> serde::de::Visitor<'_> for Visit<N> {
            type Value = InlineStr<N>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<InlineStr<N>, E> {
                Ok(InlineStr::new(s))
            }
        }
        d.deserialize_str(Visit::<N>)
    }
}

/// An optional timestamp in 8 bytes (an `Option<jiff::Timestamp>` takes 24): whole seconds
/// since the Unix epoch, `i64::MIN` for none. Ordered as the `Option` is (none first).
///
/// Whole seconds are all the API serves for these fields: `metav1.Time` is written in RFC 3339
/// without a fraction (`staging/src/k8s.io/apimachinery/pkg/apis/meta/v1/time.go:
/// Time.MarshalJSON`), so a fraction can only come from a hand-edited file, and is dropped
/// (truncated to the second).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(i64);

impl Seconds {
    pub const NONE: Seconds = Seconds(i64::MIN);

    pub fn get(self) -> Option<jiff::Timestamp> {
        if self.0 == i64::MIN {
            return None;
        }
        jiff::Timestamp::from_second(self.0).ok()
    }

    pub fn is_some(self) -> bool {
        self.0 != i64::MIN
    }

    pub fn is_none(self) -> bool {
        self.0 == i64::MIN
    }
}

impl Default for Seconds {
    fn default() -> Seconds {
        Seconds::NONE
    }
}

impl From<Option<jiff::Timestamp>> for Seconds {
    fn from(t: Option<jiff::Timestamp>) -> Seconds {
        // jiff's range (years -9999 to 9999) is well inside i64 seconds, and never i64::MIN.
        t.map_or(Seconds::NONE, |t| Seconds(t.as_second()))
    }
}

impl std::fmt::Debug for Seconds {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.get(), f)
    }
}

/// Values decoded once per distinct run of bytes, per thread: the pods of a DaemonSet repeat
/// their label set, owner references and containers byte for byte (in protobuf and in JSON
/// alike), so what was decoded from those bytes once is found again by them. Started afresh past
/// [`KNOWN_RUNS_KEPT`] distinct runs (a cluster has thousands, not millions).
pub(crate) struct KnownRuns<T>(RefCell<HashMap<Box<[u8]>, T, FastBuild>>);

impl<T: Clone> KnownRuns<T> {
    pub(crate) fn new() -> KnownRuns<T> {
        KnownRuns(Default::default())
    }

    /// The value of `run`, decoded by `read` the first time this thread meets those bytes.
    pub(crate) fn get<E>(
        &self,
        run: &[u8],
        read: impl FnOnce(&[u8]) -> Result<T, E>,
    ) -> Result<T, E> {
        if let Some(found) = self.0.borrow().get(run) {
            return Ok(found.clone());
        }
        let value = read(run)?;
        let mut known = self.0.borrow_mut();
        if known.len() >= KNOWN_RUNS_KEPT {
            known.clear();
        }
        known.insert(run.into(), value.clone());
        Ok(value)
    }
}

/// Distinct runs remembered per thread and kind before the memory is started afresh.
const KNOWN_RUNS_KEPT: usize = 4096;

#[cfg(test)]
mod tests {
    use super::Interned;

    #[test]
    fn equal_shared_values_are_kept_once_and_a_writer_gets_its_own_copy() {
        use super::{Shared, SharedTable};
        use std::collections::BTreeMap;
        static SETS: SharedTable<BTreeMap<String, String>> = SharedTable::new();
        static LISTS: SharedTable<[u32]> = SharedTable::new();
        let map = |v: &str| BTreeMap::from([("app".to_string(), v.to_string())]);
        let a = SETS.intern(map("x"));
        let b = SETS.intern(map("x"));
        assert!(std::sync::Arc::ptr_eq(&a.0, &b.0));
        assert!(!std::sync::Arc::ptr_eq(&a.0, &SETS.intern(map("y")).0));
        assert_eq!(a.get("app").map(String::as_str), Some("x"));
        let mut c = b.clone();
        c.insert("tier".into(), "node".into());
        assert_eq!(b.len(), 1, "the shared copy is untouched");
        assert_eq!(c.len(), 2);
        let l1 = LISTS.intern_slice(vec![1, 2]);
        let l2 = LISTS.intern_slice(vec![1, 2]);
        assert!(std::sync::Arc::ptr_eq(&l1.0, &l2.0));
        assert_eq!(l1.iter().sum::<u32>(), 3);
        assert_eq!(Shared::<[u32]>::default().len(), 0);
    }

    #[test]
    fn equal_values_share_one_allocation_and_read_as_str() {
        let a: Interned = serde_json::from_str("\"kube-system\"").unwrap();
        let b = Interned::from(String::from("kube-system"));
        assert!(Interned::same(&a, &b));
        assert_eq!(a, "kube-system");
        assert_eq!(a.len(), 11);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"kube-system\"");
        let c: Interned = serde_json::from_str("\"kube-\\u0073ystem\"").unwrap();
        assert!(Interned::same(&a, &c), "escaped text interned alike");
        assert_ne!(Interned::from("default"), a);
        assert_eq!(Interned::default(), "");
    }

    /// An inline text's bytes read without the UTF-8 check are its text's, inline or not.
    #[test]
    fn inline_text_reads_as_the_same_bytes_either_way() {
        use super::InlineStr;
        for text in [
            "",
            "6014c695-7bd7-4c3b-bae1-d5beae441315",
            "é-pod",
            &"x".repeat(40),
        ] {
            let s = InlineStr::<36>::new(text);
            assert_eq!(s.as_bytes(), text.as_bytes());
            assert_eq!(s.as_str(), text);
            assert_eq!(
                matches!(s, InlineStr::Inline(..)),
                text.len() <= 36,
                "{text}"
            );
        }
    }

    /// This thread's look-up table holds a text's first bytes itself: texts longer than that,
    /// texts alike in those bytes, and texts of one length each find their own copy.
    #[test]
    fn texts_long_and_short_alike_in_their_head_are_told_apart() {
        let head = "h".repeat(super::HEAD);
        let long_a = format!("{head}-a-node-name-past-the-entry");
        let long_b = format!("{head}-b-node-name-past-the-entry");
        let texts = [
            "ip-10-0-1-23.ec2.internal".to_string(),
            "ip-10-0-1-24.ec2.internal".to_string(),
            head.clone(),
            format!("{head}x"),
            long_a.clone(),
            long_b.clone(),
        ];
        let first: Vec<Interned> = texts.iter().map(|t| Interned::new(t)).collect();
        for (t, f) in texts.iter().zip(&first) {
            assert_eq!(f.as_str(), t.as_str());
            let again = Interned::from_utf8(t.as_bytes()).unwrap();
            assert!(Interned::same(f, &again), "{t}");
            assert_eq!(Interned::seen(t.as_bytes()).as_ref(), Some(f), "{t}");
        }
        assert!(!Interned::same(&first[4], &first[5]));
        assert_eq!(Interned::seen(format!("{head}-c").as_bytes()), None);
        assert_eq!(Interned::seen(&long_a.as_bytes()[..long_a.len() - 1]), None);
    }

    /// Bytes are checked as UTF-8 unless this thread has interned that text before; either way
    /// the one stored copy comes back, and bytes that are not UTF-8 never do.
    #[test]
    fn bytes_intern_as_their_text_and_invalid_bytes_are_refused() {
        let fresh =
            Interned::from_utf8("zone-\u{e9}t\u{e9}-interned-from-bytes".as_bytes()).unwrap();
        assert_eq!(fresh, "zone-\u{e9}t\u{e9}-interned-from-bytes");
        let again = Interned::from_utf8(fresh.as_bytes()).unwrap();
        assert!(Interned::same(&fresh, &again));
        assert!(Interned::same(&fresh, &Interned::new(&fresh)));
        assert_eq!(Interned::from_utf8(b"").unwrap(), "");
        for bad in [&b"\xff"[..], b"caf\xc3", b"\xed\xa0\x80"] {
            assert!(Interned::from_utf8(bad).is_none(), "{bad:?}");
        }
        // A field's last value answers only the same bytes; other values, and other fields,
        // come from the table.
        let slot = super::LAST_SLOTS - 1;
        for text in ["Running", "Running", "Pending", "Running", ""] {
            let got = Interned::from_utf8_repeated(slot, text.as_bytes()).unwrap();
            assert_eq!(got, text);
            assert!(Interned::same(&got, &Interned::new(text)));
        }
        let other = Interned::from_utf8_repeated(0, b"Pending").unwrap();
        assert_eq!(other, "Pending");
        assert!(Interned::from_utf8_repeated(slot, b"Runn\xff").is_none());
        assert_eq!(
            Interned::from_utf8_repeated(slot, b"Running").unwrap(),
            "Running"
        );
        // Valid text's bytes with one byte cut off are not found as the text.
        let cut = &fresh.as_bytes()[..6];
        assert!(Interned::from_utf8(cut).is_none());
    }
}
