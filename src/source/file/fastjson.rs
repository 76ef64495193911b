//! A fast reader for the pods of a `kubectl get -o json` dump, with serde_json behind it for
//! everything else.
//!
//! Pods are most of a dump (150,000 or more of 5–8 KB at 5,000 nodes), and most of each pod is
//! what the audit never reads: env, probes, volumes and mounts, images, most conditions. [`pod`]
//! walks one pod's text once, in the shape of [`slim::Pod`]: the members the audit reads are
//! decoded, every other value is stepped over with its syntax checked as serde_json checks what it
//! skips, and what pods repeat byte for byte (a label set, owner references, the names, requests
//! and restart policies of the containers) is found again by its bytes ([`KnownRuns`]) instead
//! of being decoded again, as is what they repeat of the text stepped over ([`Checked`]: an
//! object or array met before is compared, not checked again). Small typed values (requests,
//! overhead, pod-level resources, owner references, container states, affinity) are decoded by
//! serde_json from their own text, through the same `Deserialize` as [`slim::Pod`]'s; the rest
//! of its fields are read here to the same rules (`nullable`: `null` is the default; an unknown
//! member is skipped; a repeated member is an error).
//!
//! Anything this reader does not take gives `None`, and the caller decodes the pod the general
//! way, which reads it, or reports its error, exactly as before: malformed JSON, a value of
//! another type than the field's, a repeated member, a key with an escape, a `kind` other than
//! `Pod` (or none, where the list does not imply it), a Python-client or list shape, nesting
//! deeper than [`MAX_DEPTH`].

use std::borrow::Cow;
use std::cell::RefCell;

use serde::Deserialize;

use crate::fasthash::{PREFIX_BYTES, prefix_slot, starts_with_ends_first};
use crate::interned::{InlineStr, Interned, KnownRuns, slot};
use crate::model::{
    self, Condition, ContainerState, ContainerStatus, Labels, OwnerReference, Requests,
    ResourceRequirements, Shared, SharedList, slim,
};

/// `None`: not for this reader (see the module's comment).
type R<T> = Option<T>;

/// How deep this reader follows nested values; deeper ones are left to serde_json.
const MAX_DEPTH: u32 = 64;

thread_local! {
    static KNOWN_LABEL_SETS: KnownRuns<Shared<Labels>> = KnownRuns::new();
    static KNOWN_OWNERS: KnownRuns<SharedList<OwnerReference>> = KnownRuns::new();
    /// Containers by the text of each one's `name`, `resources` and `restartPolicy`
    /// ([`P::containers`]).
    static KNOWN_CONTAINERS: KnownRuns<SharedList<model::Container>> = KnownRuns::new();
    static CHECKED: RefCell<Checked> = RefCell::new(Checked::new());
}

/// Values this thread has stepped over and found well formed, found again by their bytes.
///
/// The pods of one DaemonSet repeat most of their text byte for byte (env, probes, ports,
/// tolerations, most volumes), and equal bytes are an equal value wherever they stand: an object
/// or an array ends at its own closing bracket, so nothing around it changes how it reads. Only
/// the nesting it adds is checked again (against [`MAX_DEPTH`] at its new place). A value is
/// looked up by the [`PREFIX_BYTES`] bytes from its start (a shorter one is never kept, so never
/// found), one value a slot; a slot whose value stops matching is given to the newer value
/// after a few misses, so a value that differs in every pod (`spec.volumes` and each container's
/// `volumeMounts`, with the pod's token volume) mostly costs a comparison, not a copy.
struct Checked {
    slots: Box<[Slot]>,
    /// The values' text, one after another; started afresh (a new `generation`) when full.
    bytes: Vec<u8>,
    generation: u32,
    /// Values found again (for the tests).
    #[cfg(test)]
    hits: usize,
}

#[derive(Clone, Copy, Default)]
struct Slot {
    /// The `generation` of `bytes` the slot's value lies in; any other is an empty slot.
    generation: u32,
    at: u32,
    len: u32,
    /// The nesting the value adds (itself included).
    depth: u32,
    /// Misses since the value last matched.
    misses: u32,
}

/// Slots a thread keeps (a power of two).
const SLOTS: usize = 1 << 12;
/// Text a thread keeps, and the longest value it keeps.
const CHECKED_BYTES: usize = 4 << 20;
const CHECKED_LONGEST: usize = 64 << 10;
/// Misses after which a slot takes the newer value.
const MISSES: u32 = 8;

impl Checked {
    fn new() -> Checked {
        Checked {
            slots: vec![Slot::default(); SLOTS].into_boxed_slice(),
            bytes: Vec::with_capacity(CHECKED_BYTES),
            generation: 1,
            #[cfg(test)]
            hits: 0,
        }
    }

    /// The length of the value at the start of `rest` if it is the slot's, and the nesting it
    /// adds is at most `room`.
    fn find(&mut self, slot: usize, rest: &[u8], room: u32) -> Option<(usize, u32)> {
        let s = &mut self.slots[slot];
        if s.generation != self.generation {
            return None;
        }
        let (at, len) = (s.at as usize, s.len as usize);
        if s.depth <= room && starts_with_ends_first(rest, &self.bytes[at..at + len]) {
            s.misses = 0;
            #[cfg(test)]
            {
                self.hits += 1;
            }
            Some((len, s.depth))
        } else {
            s.misses = s.misses.saturating_add(1);
            None
        }
    }

    /// Remember `value`, well formed and adding `depth` of nesting, in `slot` (unless the slot's
    /// value still matches often).
    fn keep(&mut self, slot: usize, value: &[u8], depth: u32) {
        let current = self.generation;
        let s = self.slots[slot];
        if (s.generation == current && s.misses < MISSES)
            || !(PREFIX_BYTES..=CHECKED_LONGEST).contains(&value.len())
        {
            return;
        }
        if self.bytes.len() + value.len() > CHECKED_BYTES {
            self.bytes.clear();
            self.generation = self.generation.wrapping_add(1).max(1);
        }
        self.slots[slot] = Slot {
            generation: self.generation,
            at: self.bytes.len() as u32,
            len: value.len() as u32,
            depth,
            misses: 0,
        };
        self.bytes.extend_from_slice(value);
    }
}

/// The pod at the start of `text` (an object, no leading space) and the length of its text, if
/// this reader takes it (see the module's comment); `implied` is the list's kind, for items
/// without their own.
pub(super) fn pod(text: &[u8], implied: Option<&str>) -> Option<(slim::Pod, usize)> {
    CHECKED.with(|checked| read_pod(text, implied, &mut checked.borrow_mut()))
}

fn read_pod(
    text: &[u8],
    implied: Option<&str>,
    checked: &mut Checked,
) -> Option<(slim::Pod, usize)> {
    let mut p = P {
        b: text,
        i: 0,
        depth: 0,
        peak: 0,
        checked,
    };
    let mut pod = slim::Pod::default();
    let mut kind = None;
    let mut seen = Once::default();
    p.object(|p, key| {
        match key {
            b"kind" => {
                seen.first(0)?;
                let (from, to) = p.plain()?;
                // SAFETY: `P::plain` returned `from..to`.
                kind = Some(unsafe { p.str_at(from, to) });
            }
            b"metadata" => {
                seen.first(1)?;
                pod.metadata = p.meta()?;
            }
            b"spec" => {
                seen.first(2)?;
                if !p.null() {
                    pod.spec = p.spec()?;
                }
            }
            b"status" => {
                seen.first(3)?;
                if !p.null() {
                    pod.status = p.status()?;
                }
            }
            // A list inside the input, or a Python-client object: read the general way.
            b"items" | b"api_version" => return None,
            _ => p.skip()?,
        }
        Some(())
    })?;
    let kind = kind.filter(|k| !k.is_empty()).or(implied);
    (kind == Some("Pod")).then_some((pod, p.i))
}

/// Members met once already (a repeated one is an error to serde's derived structs).
#[derive(Default)]
struct Once(u32);

impl Once {
    fn first(&mut self, bit: u32) -> R<()> {
        let fresh = self.0 & (1 << bit) == 0;
        self.0 |= 1 << bit;
        fresh.then_some(())
    }
}

/// A value decoded by serde_json from its own text, `null` as the default (`model::nullable`).
fn nullable<T: for<'de> Deserialize<'de> + Default>(text: &[u8]) -> R<T> {
    serde_json::from_slice::<Option<T>>(text)
        .ok()
        .map(Option::unwrap_or_default)
}

/// The parser: `b` from `i` on, `depth` collections deep (`peak` the deepest yet, for
/// [`Checked`]).
struct P<'a, 'c> {
    b: &'a [u8],
    i: usize,
    depth: u32,
    peak: u32,
    checked: &'c mut Checked,
}

impl<'a> P<'a, '_> {
    fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.b.get(self.i) {
            self.i += 1;
        }
    }

    /// The next byte after any whitespace, not consumed.
    fn peek(&mut self) -> R<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    fn eat(&mut self, c: u8) -> R<()> {
        (self.peek()? == c).then(|| self.i += 1)
    }

    fn literal(&mut self, word: &[u8]) -> R<()> {
        self.b[self.i..]
            .starts_with(word)
            .then(|| self.i += word.len())
    }

    /// A `null`, consumed if there.
    fn null(&mut self) -> bool {
        self.peek() == Some(b'n') && self.literal(b"null").is_some()
    }

    fn deeper(&mut self) -> R<()> {
        self.depth += 1;
        self.peak = self.peak.max(self.depth);
        (self.depth <= MAX_DEPTH).then_some(())
    }

    /// An object's members: `f` is given each key (without escapes) and reads its value.
    fn object(&mut self, mut f: impl FnMut(&mut Self, &'a [u8]) -> R<()>) -> R<()> {
        self.eat(b'{')?;
        self.deeper()?;
        if self.peek()? == b'}' {
            self.i += 1;
        } else {
            loop {
                let (from, to) = self.plain()?;
                self.eat(b':')?;
                let b = self.b;
                f(self, &b[from..to])?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b'}' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// An array's elements: `f` reads each.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        self.eat(b'[')?;
        self.deeper()?;
        if self.peek()? == b']' {
            self.i += 1;
        } else {
            loop {
                f(self)?;
                match self.peek()? {
                    b',' => self.i += 1,
                    b']' => {
                        self.i += 1;
                        break;
                    }
                    _ => return None,
                }
            }
        }
        self.depth -= 1;
        Some(())
    }

    /// A string: where its content lies, and whether it has an escape.
    fn string(&mut self) -> R<(usize, usize, bool)> {
        if self.peek()? != b'"' {
            return None;
        }
        let from = self.i + 1;
        let mut i = from;
        let (mut escaped, mut wide) = (false, false);
        loop {
            i = plain_run(self.b, i);
            match *self.b.get(i)? {
                b'"' => {
                    // Text beyond ASCII is checked here: no other part of the text may hold it,
                    // so a pod read whole is UTF-8 throughout.
                    if wide {
                        std::str::from_utf8(&self.b[from..i]).ok()?;
                    }
                    self.i = i + 1;
                    return Some((from, i, escaped));
                }
                0x80.. => {
                    wide = true;
                    i += 1;
                }
                b'\\' => {
                    escaped = true;
                    i += match *self.b.get(i + 1)? {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                        // Four hex digits, all serde_json checks of a string it skips (one it
                        // reads is decoded by serde_json itself, surrogates and all).
                        b'u' if self.b.get(i + 2..i + 6)?.iter().all(u8::is_ascii_hexdigit) => 6,
                        _ => return None,
                    };
                }
                // A control character: an error to serde_json.
                _ => return None,
            }
        }
    }

    /// A string without escapes: where its content lies.
    fn plain(&mut self) -> R<(usize, usize)> {
        let (from, to, escaped) = self.string()?;
        (!escaped).then_some((from, to))
    }

    /// A string member's text, `null` as empty.
    fn text(&mut self) -> R<Cow<'a, str>> {
        if self.null() {
            return Some(Cow::Borrowed(""));
        }
        self.ws();
        let at = self.i;
        let (from, to, escaped) = self.string()?;
        if escaped {
            serde_json::from_slice(&self.b[at..self.i])
                .ok()
                .map(Cow::Owned)
        } else {
            // SAFETY: `P::string` returned `from..to`.
            Some(Cow::Borrowed(unsafe { self.str_at(from, to) }))
        }
    }

    /// The content of a string [`P::string`] read, as text: it is UTF-8 already (ASCII, or
    /// checked there), so it is not checked again (a check of each short string cost a hundred
    /// instructions, 1.3 % of reading a dump).
    ///
    /// # Safety
    /// `from..to` is a content [`P::string`] (or [`P::plain`]) returned.
    unsafe fn str_at(&self, from: usize, to: usize) -> &'a str {
        let bytes = &self.b[from..to];
        debug_assert!(std::str::from_utf8(bytes).is_ok());
        // SAFETY: `P::string` returned `from..to` after finding every byte there ASCII, or
        // checking the whole content with `from_utf8` (`wide`).
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// A pod's `annotations` (`null` as none) as [`slim::mirror_annotation`] reads them: of
    /// them only [`model::MIRROR_ANNOTATION`] is kept. Most pods' do not hold it: their text,
    /// stepped over (and found [`Checked`] when repeated), is an object without the key's
    /// text and without escapes (an escape could spell the key otherwise), and nothing is
    /// kept; any other is read member by member.
    fn kept_annotations(&mut self) -> R<Labels> {
        const QUOTED: &[u8] = b"\"kubernetes.io/config.mirror\"";
        debug_assert_eq!(
            &QUOTED[1..QUOTED.len() - 1],
            model::MIRROR_ANNOTATION.as_bytes()
        );
        let mut kept = Labels::new();
        if self.null() {
            return Some(kept);
        }
        self.ws();
        let from = self.i;
        self.skip()?;
        let text = &self.b[from..self.i];
        if text.first() != Some(&b'{') {
            return None;
        }
        if memchr::memchr(b'\\', text).is_none() && memchr::memmem::find(text, QUOTED).is_none() {
            return Some(kept);
        }
        self.i = from;
        self.object(|p, key| {
            if key == model::MIRROR_ANNOTATION.as_bytes() {
                let value = p.text()?.into_owned();
                kept.insert(model::MIRROR_ANNOTATION.to_string(), value);
                Some(())
            } else {
                p.skip()
            }
        })?;
        Some(kept)
    }

    /// Whether the value at the reader is the node affinity the DaemonSet controller gives each
    /// of its pods (`ReplaceDaemonSetPodNodeNameNodeAffinity`, pkg/controller/daemon/util:
    /// one required term of one `matchFields` requirement, `metadata.name In [node]`), with no
    /// other member and no escape: consumed if so, the reader left where it was if not. Such
    /// an affinity decodes, and a bound pod drops its affinity ([`slim::Pod`]): it need not be
    /// decoded to read the pod.
    fn controller_affinity(&mut self) -> bool {
        let (i, depth, peak) = (self.i, self.depth, self.peak);
        if self.controller_affinity_members().is_some() {
            return true;
        }
        (self.i, self.depth, self.peak) = (i, depth, peak);
        false
    }

    fn controller_affinity_members(&mut self) -> R<()> {
        self.only_member(b"nodeAffinity", |p| {
            p.only_member(b"requiredDuringSchedulingIgnoredDuringExecution", |p| {
                p.only_member(b"nodeSelectorTerms", |p| {
                    p.only_element(|p| {
                        p.only_member(b"matchFields", |p| p.only_element(P::name_requirement))
                    })
                })
            })
        })
    }

    /// `{"key":"metadata.name","operator":"In","values":["NAME"]}`, members in any order.
    fn name_requirement(&mut self) -> R<()> {
        let mut seen = Once::default();
        self.object(|p, key| match key {
            b"key" => {
                seen.first(0)?;
                let (from, to) = p.plain()?;
                (&p.b[from..to] == b"metadata.name").then_some(())
            }
            b"operator" => {
                seen.first(1)?;
                let (from, to) = p.plain()?;
                (&p.b[from..to] == b"In").then_some(())
            }
            b"values" => {
                seen.first(2)?;
                p.only_element(|p| p.plain().map(drop))
            }
            _ => None,
        })?;
        (seen.0 == 0b111).then_some(())
    }

    /// An object of one member, `key`, whose value `f` reads.
    fn only_member(&mut self, key: &[u8], mut f: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        let mut members = 0;
        self.object(|p, k| {
            members += 1;
            (k == key && members == 1).then_some(())?;
            f(p)
        })?;
        (members == 1).then_some(())
    }

    /// An array of one element, which `f` reads.
    fn only_element(&mut self, mut f: impl FnMut(&mut Self) -> R<()>) -> R<()> {
        let mut elements = 0;
        self.array(|p| {
            elements += 1;
            (elements == 1).then_some(())?;
            f(p)
        })?;
        (elements == 1).then_some(())
    }

    /// A string member interned (see [`Interned::from_utf8_repeated`] for `slot`).
    /// Text without escapes is looked up by its bytes (UTF-8 already checked by [`P::string`]).
    fn interned(&mut self, slot: Option<usize>) -> R<Interned> {
        if self.null() {
            return Some(Interned::default());
        }
        self.ws();
        let at = self.i;
        let (from, to, escaped) = self.string()?;
        let bytes = &self.b[from..to];
        match (escaped, slot) {
            (false, Some(slot)) => Interned::from_utf8_repeated(slot, bytes),
            (false, None) => Interned::from_utf8(bytes),
            (true, _) => serde_json::from_slice::<String>(&self.b[at..self.i])
                .ok()
                .map(|s| Interned::new(&s)),
        }
    }

    /// A `metav1.Time` member (`model::timestamp`'s rules).
    fn time(&mut self) -> R<Option<jiff::Timestamp>> {
        if self.null() {
            return Some(None);
        }
        self.text()
            .and_then(|s| model::parse_time(&s).ok())
            .map(Some)
    }

    fn boolean(&mut self) -> R<bool> {
        match self.peek()? {
            b't' => self.literal(b"true").map(|()| true),
            b'f' => self.literal(b"false").map(|()| false),
            b'n' => self.literal(b"null").map(|()| false),
            _ => None,
        }
    }

    /// An `int64` member, `null` as 0 (a fraction or an exponent is left to serde_json, which
    /// rejects it, and so is `-0`, which serde_json reads as a float).
    fn int(&mut self) -> R<i64> {
        if self.null() {
            return Some(0);
        }
        self.ws();
        let from = self.i;
        self.number()?;
        match &self.b[from..self.i] {
            b"-0" => None,
            digits => std::str::from_utf8(digits).ok()?.parse().ok(),
        }
    }

    /// The text of the next value, stepped over.
    fn value(&mut self) -> R<&'a [u8]> {
        self.ws();
        let from = self.i;
        self.skip()?;
        Some(&self.b[from..self.i])
    }

    /// Step over one value, checking its syntax (or finding it [`Checked`] already).
    fn skip(&mut self) -> R<()> {
        match self.peek()? {
            b'"' => self.string().map(drop),
            open @ (b'{' | b'[') => {
                let from = self.i;
                let slot = prefix_slot(&self.b[from..], SLOTS);
                if let Some(slot) = slot {
                    let room = MAX_DEPTH.saturating_sub(self.depth);
                    if let Some((len, adds)) = self.checked.find(slot, &self.b[from..], room) {
                        self.i += len;
                        self.peak = self.peak.max(self.depth + adds);
                        return Some(());
                    }
                }
                let (depth, peak) = (self.depth, self.peak);
                self.peak = depth;
                if open == b'{' {
                    self.object(|p, _| p.skip())?;
                } else {
                    self.array(P::skip)?;
                }
                let adds = self.peak - depth;
                self.peak = self.peak.max(peak);
                if let Some(slot) = slot {
                    self.checked.keep(slot, &self.b[from..self.i], adds);
                }
                Some(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            b'-' | b'0'..=b'9' => self.number(),
            _ => None,
        }
    }

    /// A number as JSON writes it: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    fn number(&mut self) -> R<()> {
        let b = self.b;
        let mut i = self.i;
        let digits = |i: &mut usize| {
            let from = *i;
            while b.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i > from
        };
        if b.get(i) == Some(&b'-') {
            i += 1;
        }
        match b.get(i)? {
            b'0' => i += 1,
            b'1'..=b'9' => {
                digits(&mut i);
            }
            _ => return None,
        }
        if b.get(i) == Some(&b'.') {
            i += 1;
            digits(&mut i).then_some(())?;
        }
        if let Some(b'e' | b'E') = b.get(i) {
            i += 1;
            if let Some(b'+' | b'-') = b.get(i) {
                i += 1;
            }
            digits(&mut i).then_some(())?;
        }
        self.i = i;
        Some(())
    }

    /// `metadata`, as [`slim::Meta`] reads it.
    fn meta(&mut self) -> R<slim::Meta> {
        let mut m = slim::Meta::default();
        let mut seen = Once::default();
        self.object(|p, key| {
            match key {
                b"name" => {
                    seen.first(0)?;
                    m.name = InlineStr::new(&p.text()?);
                }
                b"namespace" => {
                    seen.first(1)?;
                    m.namespace = p.interned(Some(slot::NAMESPACE))?;
                }
                b"uid" => {
                    seen.first(2)?;
                    m.uid = InlineStr::new(&p.text()?);
                }
                b"resourceVersion" => {
                    seen.first(3)?;
                    m.resource_version = InlineStr::new(&p.text()?);
                }
                b"creationTimestamp" => {
                    seen.first(4)?;
                    m.creation_timestamp = p.time()?;
                }
                b"deletionTimestamp" => {
                    seen.first(5)?;
                    m.deletion_timestamp = p.time()?;
                }
                b"labels" => {
                    seen.first(6)?;
                    let v = p.value()?;
                    if v != b"null" {
                        let read = |run: &[u8]| {
                            let labels = nullable(run);
                            labels.map(model::intern_labels).ok_or(())
                        };
                        m.shared_labels = Some(KNOWN_LABEL_SETS.with(|k| k.get(v, read)).ok()?);
                    }
                }
                b"annotations" => {
                    seen.first(7)?;
                    m.annotations = p.kept_annotations()?;
                }
                b"ownerReferences" => {
                    seen.first(8)?;
                    let v = p.value()?;
                    let read = |run: &[u8]| {
                        let owners = nullable(run);
                        owners.map(model::intern_owners).ok_or(())
                    };
                    m.shared_owners = Some(KNOWN_OWNERS.with(|k| k.get(v, read)).ok()?);
                }
                b"creation_timestamp" => return None,
                _ => p.skip()?,
            }
            Some(())
        })?;
        Some(m)
    }

    /// `spec`, as [`slim::Spec`] reads it.
    fn spec(&mut self) -> R<slim::Spec> {
        let mut s = slim::Spec::default();
        let mut seen = Once::default();
        // Its text, and whether it is the DaemonSet controller's (`controller_affinity`): it is
        // decoded once `nodeName` is known (it follows `affinity` in the API server's order),
        // unless the pod is bound and it is that one.
        let mut affinity = None;
        self.object(|p, key| {
            match key {
                b"nodeName" => {
                    seen.first(0)?;
                    s.node_name = p.interned(None)?;
                }
                b"affinity" => {
                    seen.first(1)?;
                    p.ws();
                    let from = p.i;
                    let usual = p.controller_affinity();
                    if !usual {
                        p.skip()?;
                    }
                    affinity = Some((&p.b[from..p.i], usual));
                }
                b"containers" => {
                    seen.first(2)?;
                    s.shared_containers = shared_containers(&p.containers()?)?;
                }
                b"initContainers" => {
                    seen.first(3)?;
                    s.init_containers = decode_containers(&p.containers()?)?;
                }
                b"priorityClassName" => {
                    seen.first(4)?;
                    s.priority_class_name = p.interned(Some(slot::PRIORITY_CLASS))?;
                }
                b"overhead" => {
                    seen.first(5)?;
                    s.overhead = nullable::<Requests>(p.value()?)?;
                }
                b"resources" => {
                    seen.first(6)?;
                    s.resources = nullable::<ResourceRequirements>(p.value()?)?;
                }
                _ => p.skip()?,
            }
            Some(())
        })?;
        if let Some((text, usual)) = affinity
            && (s.node_name.is_empty() || !usual)
        {
            s.affinity = serde_json::from_slice(text).ok()?;
        }
        Some(s)
    }

    /// A list of containers (`null` as none): the text of each one's `name`, `resources` and
    /// `restartPolicy`, all a pod keeps of a container.
    fn containers(&mut self) -> R<Vec<ContainerText<'a>>> {
        let mut kept = Vec::new();
        if self.null() {
            return Some(kept);
        }
        self.array(|p| {
            let mut c = ContainerText([b"null"; 3]);
            let mut seen = Once::default();
            p.object(|p, k| {
                let i = match k {
                    b"name" => 0,
                    b"resources" => 1,
                    b"restartPolicy" => 2,
                    _ => return p.skip(),
                };
                seen.first(i as u32)?;
                c.0[i] = p.value()?;
                Some(())
            })?;
            kept.push(c);
            Some(())
        })?;
        Some(kept)
    }

    /// `status`, as [`slim::Status`] reads it.
    fn status(&mut self) -> R<slim::Status> {
        let mut s = slim::Status::default();
        let mut seen = Once::default();
        self.object(|p, key| {
            match key {
                b"phase" => {
                    seen.first(0)?;
                    s.phase = p.interned(Some(slot::PHASE))?;
                }
                b"reason" => {
                    seen.first(1)?;
                    s.reason = p.interned(Some(slot::STATUS_REASON))?;
                }
                b"message" => {
                    seen.first(2)?;
                    s.message = p.interned(None)?;
                }
                b"conditions" => {
                    seen.first(3)?;
                    if !p.null() {
                        p.array(|p| {
                            s.conditions.0.extend(p.condition()?);
                            Some(())
                        })?;
                    }
                }
                b"containerStatuses" => {
                    seen.first(4)?;
                    s.container_statuses = p.container_statuses()?;
                }
                b"initContainerStatuses" => {
                    seen.first(5)?;
                    s.init_container_statuses = p.container_statuses()?;
                }
                _ => p.skip()?,
            }
            Some(())
        })?;
        Some(s)
    }

    /// A pod condition ([`Condition`]'s fields and rules), kept if the audit reads its type
    /// ([`slim::is_read`]).
    fn condition(&mut self) -> R<Option<Condition>> {
        let (mut type_, mut status) = (Interned::default(), Interned::default());
        let (mut reason, mut message) = (Cow::Borrowed(""), Cow::Borrowed(""));
        let mut time = None;
        let mut seen = Once::default();
        self.object(|p, key| {
            match key {
                b"type" => {
                    seen.first(0)?;
                    type_ = p.interned(Some(slot::CONDITION_TYPE))?;
                }
                b"status" => {
                    seen.first(1)?;
                    status = p.interned(Some(slot::CONDITION_STATUS))?;
                }
                b"reason" => {
                    seen.first(2)?;
                    reason = p.text()?;
                }
                b"message" => {
                    seen.first(3)?;
                    message = p.text()?;
                }
                b"lastTransitionTime" => {
                    seen.first(4)?;
                    time = p.time()?;
                }
                _ => p.skip()?,
            }
            Some(())
        })?;
        Some(
            slim::is_read(type_.as_bytes(), status.as_bytes()).then(|| Condition {
                type_,
                status,
                reason: reason.into_owned(),
                message: message.into_owned(),
                last_transition_time: time,
            }),
        )
    }

    /// A list of container statuses (`null` as none), [`ContainerStatus`]'s fields and rules.
    fn container_statuses(&mut self) -> R<Vec<ContainerStatus>> {
        let mut all = Vec::new();
        if self.null() {
            return Some(all);
        }
        self.array(|p| {
            let mut c = ContainerStatus::default();
            let mut seen = Once::default();
            p.object(|p, key| {
                match key {
                    b"name" => {
                        seen.first(0)?;
                        c.name = p.interned(Some(slot::CONTAINER_STATUS_NAME))?;
                    }
                    b"ready" => {
                        seen.first(1)?;
                        c.ready = p.boolean()?;
                    }
                    b"restartCount" => {
                        seen.first(2)?;
                        c.restart_count = p.int()?;
                    }
                    b"state" => {
                        seen.first(3)?;
                        c.state = nullable::<ContainerState>(p.value()?)?;
                    }
                    b"lastState" => {
                        seen.first(4)?;
                        c.last_state = nullable::<ContainerState>(p.value()?)?;
                    }
                    _ => p.skip()?,
                }
                Some(())
            })?;
            all.push(c);
            Some(())
        })?;
        Some(all)
    }
}

/// The text of a container's `name`, `resources` and `restartPolicy` (`null` where absent).
struct ContainerText<'a>([&'a [u8]; 3]);

/// Containers from the text of each one's `name`, `resources` and `restartPolicy`.
fn decode_containers(kept: &[ContainerText<'_>]) -> R<Vec<slim::Container>> {
    kept.iter()
        .map(|&ContainerText([name, resources, restart_policy])| {
            Some(slim::Container {
                name: nullable(name)?,
                resources: nullable::<ResourceRequirements>(resources)?,
                restart_policy: nullable(restart_policy)?,
            })
        })
        .collect()
}

/// Containers shared with the pods whose containers have the same `name`, `resources` and
/// `restartPolicy` text (the rest of a container's text, its mount of the pod's own token
/// volume `kube-api-access-xxxxx`, differs from pod to pod); `None` for none.
fn shared_containers(kept: &[ContainerText<'_>]) -> R<Option<SharedList<model::Container>>> {
    if kept.is_empty() {
        return Some(None);
    }
    let len = kept.iter().flat_map(|c| c.0).map(|v| 8 + v.len()).sum();
    let mut key = Vec::with_capacity(len);
    for c in kept {
        for v in c.0 {
            key.extend((v.len() as u64).to_le_bytes());
            key.extend(v);
        }
    }
    let read = |_: &[u8]| {
        decode_containers(kept)
            .map(model::intern_containers)
            .ok_or(())
    };
    KNOWN_CONTAINERS.with(|k| k.get(&key, read)).ok().map(Some)
}

/// Where the run of ASCII string bytes from `i` ends: at the first quote, backslash, control
/// character or byte beyond ASCII (or the end), sixteen bytes at a time.
fn plain_run(b: &[u8], mut i: usize) -> usize {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while let Some(chunk) = b.get(i..i + 16) {
        // SAFETY: SSE2 is part of every x86_64 target.
        let flags = unsafe { sse2_stops(chunk) };
        if flags != 0 {
            return i + flags.trailing_zeros() as usize;
        }
        i += 16;
    }
    while b
        .get(i)
        .is_some_and(|&c| (0x20..0x80).contains(&c) && c != b'"' && c != b'\\')
    {
        i += 1;
    }
    i
}

/// Bit `k` set where `chunk[k]` (of 16) ends a run of [`plain_run`].
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn sse2_stops(chunk: &[u8]) -> u32 {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_cmplt_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128,
        _mm_set1_epi8,
    };
    assert!(chunk.len() >= 16);
    // SAFETY: `chunk` holds 16 bytes, and `loadu` has no alignment requirement.
    let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
    let quote = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'"' as i8));
    let backslash = _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\\' as i8));
    // Signed: below 0x20 is a control character, below 0 a byte beyond ASCII.
    let low = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), low)) as u32
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Pod;
    use serde_json::Value;

    /// Every pod of the real captures in `tests/fixtures/real` (JSON lists, bare arrays, and the
    /// must-gather YAML as JSON), each as kubectl indents it and as one line.
    fn real_pods() -> Vec<String> {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/real");
        let mut pods = Vec::new();
        for name in [
            "kalc-gke5-pods.json",
            "sonobuoy-aws3-pods.json",
            "sonobuoy-aws3-pods.list.json",
            "sonobuoy-kind1-pods.json",
            "sonobuoy-kind1-pods.list.json",
            "mustgather-ocp48-aws6-pods.yaml",
        ] {
            let text = std::fs::read_to_string(format!("{dir}/{name}")).unwrap();
            let docs: Vec<Value> = if name.ends_with(".yaml") {
                serde_saphyr::from_multiple(&text).unwrap()
            } else {
                vec![serde_json::from_str(&text).unwrap()]
            };
            let items = docs.into_iter().flat_map(|v| match v {
                Value::Array(items) => items,
                Value::Object(mut o) => match o.remove("items") {
                    Some(Value::Array(items)) => items,
                    _ => vec![Value::Object(o)],
                },
                other => vec![other],
            });
            for item in items.filter(|i| i["kind"] == "Pod") {
                pods.push(serde_json::to_string_pretty(&item).unwrap());
                pods.push(serde_json::to_string(&item).unwrap());
            }
        }
        assert!(pods.len() > 200, "{} pods", pods.len());
        pods
    }

    /// What the general way (serde_json into [`slim::Pod`]) reads.
    fn general(text: &str) -> Option<String> {
        serde_json::from_str::<Pod>(text)
            .ok()
            .map(|p| format!("{p:?}"))
    }

    /// What this reader reads, if it takes the text whole (as `stream::one_pass_whole` asks).
    fn fast(text: &str) -> Option<String> {
        let (p, n) = pod(text.as_bytes(), None)?;
        (n == text.len()).then(|| format!("{:?}", Pod::from(p)))
    }

    #[test]
    fn real_pods_read_as_the_general_way_reads_them() {
        for text in real_pods() {
            let want = general(&text).expect("the general way reads it");
            assert_eq!(fast(&text).as_deref(), Some(&*want), "{text}");
        }
    }

    /// What this reader reads with `checked` as its memory of values stepped over.
    fn fast_with(text: &str, checked: &mut Checked) -> Option<String> {
        let (p, n) = read_pod(text.as_bytes(), None, checked)?;
        (n == text.len()).then(|| format!("{:?}", Pod::from(p)))
    }

    /// What the fit reads of a pod beside its requests — an init container's `restartPolicy`
    /// (a sidecar's `Always`) and `spec.overhead` — is taken by this reader as the general way
    /// reads it, and containers that differ only in their restart policy are not shared.
    #[test]
    fn restart_policies_and_overhead_are_read_as_the_general_way_reads_them() {
        let text = |policy: &str, overhead: &str| {
            format!(
                r#"{{"kind":"Pod","metadata":{{"name":"p"}},"spec":{{"nodeName":"n1",
                "containers":[{{"name":"app","image":"i","resources":{{"requests":{{"cpu":"100m"}}}},"restartPolicy":{policy}}}],
                "initContainers":[{{"name":"sc","restartPolicy":{policy},"image":"i","resources":{{"requests":{{"cpu":"400m"}}}}}}],
                "overhead":{overhead},"runtimeClassName":"kata"}}}}"#
            )
        };
        let read = |text: &str| {
            let (p, n) = pod(text.as_bytes(), None).expect("taken");
            assert_eq!(n, text.len());
            let p = Pod::from(p);
            assert_eq!(Some(format!("{p:?}")), general(text), "{text}");
            p
        };
        let always = read(&text(r#""Always""#, r#"{"cpu":"250m","memory":"64Mi"}"#));
        assert!(always.spec.init_containers[0].restarts_always());
        assert!(always.spec.containers[0].restarts_always());
        let overhead = always.spec.overhead().unwrap();
        assert_eq!(overhead.get("cpu").unwrap().0, "250m");
        assert_eq!(overhead.get("memory").unwrap().0, "64Mi");
        for (policy, overhead) in [(r#""Never""#, "null"), ("null", "{}")] {
            let other = read(&text(policy, overhead));
            assert!(!other.spec.init_containers[0].restarts_always());
            assert!(!Shared::ptr_eq(
                &always.spec.containers,
                &other.spec.containers
            ));
            assert!(other.spec.overhead().is_none(), "{overhead}");
        }
        // A repeated member is left to the general way (which refuses it).
        let twice = text(r#""Always","restartPolicy":"Always""#, "{}");
        assert!(pod(twice.as_bytes(), None).is_none() && general(&twice).is_none());
    }

    /// Pod-level `spec.resources` (its requests, which the fit counts instead of the
    /// containers') is taken by this reader as the general way reads it.
    #[test]
    fn pod_level_requests_are_read_as_the_general_way_reads_them() {
        let text = |resources: &str| {
            format!(
                r#"{{"kind":"Pod","metadata":{{"name":"p"}},"spec":{{"nodeName":"n1",
                "containers":[{{"name":"app","image":"i","resources":{{"requests":{{"cpu":"100m"}}}}}}],
                "resources":{resources}}}}}"#
            )
        };
        let read = |text: &str| {
            let (p, n) = pod(text.as_bytes(), None).expect("taken");
            assert_eq!(n, text.len());
            let p = Pod::from(p);
            assert_eq!(Some(format!("{p:?}")), general(text), "{text}");
            p
        };
        let set = read(&text(
            r#"{"limits":{"cpu":"2"},"requests":{"cpu":"800m","memory":"1Gi"}}"#,
        ));
        let r = set.spec.pod_level_requests().expect("read");
        assert_eq!(r.get("cpu").unwrap().0, "800m");
        assert_eq!(r.get("memory").unwrap().0, "1Gi");
        for none in ["null", "{}", r#"{"limits":{"cpu":"2"}}"#] {
            assert!(
                read(&text(none)).spec.pod_level_requests().is_none(),
                "{none}"
            );
        }
        // A repeated member is left to the general way (which refuses it).
        let twice = text(r#"{},"resources":{}"#);
        assert!(pod(twice.as_bytes(), None).is_none() && general(&twice).is_none());
    }

    /// Values stepped over once are found again by their bytes, and the pods read the same.
    #[test]
    fn values_met_before_are_found_again_and_read_alike() {
        let pods = real_pods();
        let mut checked = Checked::new();
        let first: Vec<_> = pods.iter().map(|p| fast_with(p, &mut checked)).collect();
        let hits = checked.hits;
        let again: Vec<_> = pods.iter().map(|p| fast_with(p, &mut checked)).collect();
        assert_eq!(first, again);
        assert!(first.iter().all(Option::is_some));
        assert_eq!(first, pods.iter().map(|p| general(p)).collect::<Vec<_>>());
        // Pods read again find values again (a real pod steps over a few to dozens).
        assert!(
            checked.hits - hits > 2 * pods.len(),
            "{} {hits}",
            checked.hits
        );
    }

    /// A value found again adds its nesting at its new place: where that is deeper than this
    /// reader goes, the pod is left to the general way, as if read afresh — at the limit exactly.
    #[test]
    fn a_value_met_before_is_checked_for_depth_at_its_new_place() {
        // Forty objects, each level's first bytes its own (so each level has its own slot).
        let mut value = r#""a long enough string, past the prefix""#.to_string();
        for level in 1..=40 {
            value = format!(r#"{{"level {level:02} of forty":{value}}}"#);
        }
        // The pod's object is one level, each array one more, the value forty: 1 + 23 + 40 is
        // this reader's limit.
        let wrapped = |arrays: usize| {
            let (open, close) = ("[".repeat(arrays), "]".repeat(arrays));
            format!(r#"{{"kind":"Pod","metadata":{{}},"x":{open}{value}{close}}}"#)
        };
        assert_eq!(1 + 23 + 40, MAX_DEPTH);
        let mut checked = Checked::new();
        assert!(fast_with(&wrapped(0), &mut checked).is_some());
        let hits = checked.hits;
        let (at_limit, beyond) = (wrapped(23), wrapped(24));
        assert_eq!(fast_with(&at_limit, &mut checked), general(&at_limit));
        assert!(checked.hits > hits, "found again at the limit");
        let hits = checked.hits;
        assert_eq!(fast_with(&beyond, &mut checked), None);
        assert_eq!(checked.hits, hits, "nothing found again one level deeper");
        assert!(general(&beyond).is_some());
        // Read afresh, the same.
        assert!(fast_with(&at_limit, &mut Checked::new()).is_some());
        assert_eq!(fast_with(&beyond, &mut Checked::new()), None);
    }

    /// A slot goes to a newer value after a few misses, and the memory stays within its bound,
    /// started afresh when full, with every pod still read as the general way reads it.
    #[test]
    fn remembered_values_are_replaced_and_bounded() {
        let pod = |v: &str| format!(r#"{{"kind":"Pod","metadata":{{}},"x":{v}}}"#);
        let value = |tail: &str| format!(r#"["the same first thirty-two bytes, then", "{tail}"]"#);
        let mut checked = Checked::new();
        let (a, b) = (pod(&value("a")), pod(&value("b")));
        fast_with(&a, &mut checked).unwrap();
        fast_with(&a, &mut checked).unwrap();
        assert_eq!(checked.hits, 1);
        for _ in 0..MISSES {
            fast_with(&b, &mut checked).unwrap();
            assert_eq!(checked.hits, 1, "the slot still holds the older value");
        }
        fast_with(&b, &mut checked).unwrap();
        assert_eq!(checked.hits, 2, "the newer value took the slot");

        let generation = checked.generation;
        let big = |k: usize| format!(r#"["{k:08} {}"]"#, "x".repeat(CHECKED_LONGEST - 20));
        for k in 0..2 * CHECKED_BYTES / CHECKED_LONGEST {
            let text = pod(&big(k));
            assert_eq!(fast_with(&text, &mut checked), general(&text));
            assert!(checked.bytes.len() <= CHECKED_BYTES);
        }
        assert!(checked.generation > generation, "started afresh");
        // Longer than kept: read, not remembered.
        let huge = pod(&format!(r#"["{}"]"#, "y".repeat(CHECKED_LONGEST)));
        let before = checked.bytes.len();
        assert_eq!(fast_with(&huge, &mut checked), general(&huge));
        assert_eq!(checked.bytes.len(), before);
    }

    /// A pod is taken by its own `kind`, or by the list's when it has none (or an empty one);
    /// another kind, a `kind` that is not a plain string, and the shapes read another way (a
    /// list inside the input, a Python-client object) are left to the general way.
    #[test]
    fn only_pods_are_taken_and_only_in_the_shape_read_here() {
        let taken = |text: &str, implied| pod(text.as_bytes(), implied).is_some();
        let m = r#""metadata":{"name":"p"}"#;
        assert!(taken(&format!(r#"{{"kind":"Pod",{m}}}"#), None));
        assert!(taken(&format!(r#"{{"kind":"Pod",{m}}}"#), Some("Node")));
        assert!(taken(&format!(r#"{{{m}}}"#), Some("Pod")));
        assert!(taken(&format!(r#"{{"kind":"",{m}}}"#), Some("Pod")));
        for (text, implied) in [
            (format!(r#"{{{m}}}"#), None),
            (format!(r#"{{"kind":"",{m}}}"#), None),
            (format!(r#"{{"kind":"Node",{m}}}"#), Some("Pod")),
            (format!(r#"{{"kind":null,{m}}}"#), Some("Pod")),
            (format!(r#"{{"kind":"P\u006fd",{m}}}"#), None),
            (format!(r#"{{"kind":"Pod","kind":"Pod",{m}}}"#), None),
            (format!(r#"{{"kind":"Pod",{m},"items":[]}}"#), None),
            (format!(r#"{{"kind":"Pod","api_version":"v1",{m}}}"#), None),
            (
                r#"{"kind":"Pod","metadata":{"creation_timestamp":null}}"#.to_string(),
                None,
            ),
            (r#"{"kind":"Pod","metadata":null}"#.to_string(), None),
            (r#"["kind","Pod"]"#.to_string(), Some("Pod")),
        ] {
            assert!(!taken(&text, implied), "{text} {implied:?}");
        }
    }

    /// Text beyond ASCII is taken where it is UTF-8, in skipped strings and read ones alike,
    /// and anything else is left to the general way (which rejects the whole input).
    #[test]
    fn text_beyond_ascii_is_checked_to_be_utf8() {
        let pod = real_pods().swap_remove(0);
        let skipped = pod.find("\"image\": \"").unwrap() + 10;
        let read = pod.find("\"name\": \"").unwrap() + 9;
        for at in [skipped, read] {
            for good in ["é", "日本", "🦀", "a\u{7f}b"] {
                let mut text = pod.clone();
                text.insert_str(at, good);
                assert_eq!(fast(&text), general(&text), "{good}");
                assert!(fast(&text).is_some(), "{good}");
            }
            for bad in [
                &[0xff][..],
                &[0xe2, 0x82],
                &[0xc0, 0xaf],
                &[0xed, 0xa0, 0x80],
                &[0xf4, 0x90, 0x80, 0x80],
                &[0x80],
            ] {
                let mut text = pod.clone().into_bytes();
                text.splice(at..at, bad.iter().copied());
                assert!(pod_bytes_read(&text).is_none(), "{bad:?}");
            }
        }
    }

    /// The sixteen-at-a-time scan stops where a byte-by-byte one does, at every offset.
    #[test]
    fn string_runs_end_where_a_byte_by_byte_scan_ends_them() {
        let reference = |b: &[u8], mut i: usize| {
            while b
                .get(i)
                .is_some_and(|&c| (0x20..0x80).contains(&c) && c != b'"' && c != b'\\')
            {
                i += 1;
            }
            i
        };
        let mut rng = Rng(7);
        let odd = [b'"', b'\\', 0x00, 0x1f, 0x20, 0x7f, 0x80, 0xc3, 0xff, b'a'];
        for _ in 0..20_000 {
            let len = rng.below(70);
            let mut b: Vec<u8> = (0..len).map(|_| b'a' + rng.below(26) as u8).collect();
            for _ in 0..rng.below(3) {
                if len > 0 {
                    let at = rng.below(len);
                    b[at] = odd[rng.below(odd.len())];
                }
            }
            for i in 0..=len {
                assert_eq!(plain_run(&b, i), reference(&b, i), "{b:?} from {i}");
            }
        }
    }

    /// Integers read as serde_json reads them into an `i64`: `-0`, fractions, exponents and
    /// values out of range are its errors, and left to it.
    #[test]
    fn integers_are_taken_only_as_serde_json_takes_them() {
        for (n, taken) in [
            ("0", true),
            ("7", true),
            ("-3", true),
            ("null", true),
            ("9223372036854775807", true),
            ("-9223372036854775808", true),
            ("-0", false),
            ("1.0", false),
            ("1e2", false),
            ("9223372036854775808", false),
            ("\"1\"", false),
        ] {
            let text = format!(
                r#"{{"kind":"Pod","metadata":{{}},"status":{{"containerStatuses":[{{"name":"c","restartCount":{n}}}]}}}}"#
            );
            assert_eq!(fast(&text).is_some(), taken, "{n}");
            assert_eq!(general(&text).is_some(), taken, "{n}");
            assert_eq!(fast(&text), general(&text), "{n}");
        }
    }

    fn pod_bytes_read(text: &[u8]) -> Option<usize> {
        pod(text, None).map(|(_, n)| n)
    }

    use super::super::Rng;

    /// `text` changed once at random: a byte removed, a token put in, a member of a field this
    /// reader reads put at the start of an object (a repeated member, a value of another type),
    /// a key written with an escape.
    fn mutate(text: &str, rng: &mut Rng) -> String {
        const TOKENS: [&str; 22] = [
            "\"",
            "{",
            "}",
            "[",
            "]",
            ",",
            ":",
            "\\",
            "\\u0041",
            "\\ud800",
            " ",
            "null",
            "0",
            "-",
            "1e5",
            "é",
            "\u{1}",
            "\t",
            "\\x",
            "01",
            "true",
            "\"kind\":\"Pod\",",
        ];
        const KEYS: [&str; 30] = [
            "kind",
            "metadata",
            "spec",
            "status",
            "items",
            "api_version",
            "creation_timestamp",
            "name",
            "namespace",
            "uid",
            "resourceVersion",
            "labels",
            "annotations",
            "ownerReferences",
            "creationTimestamp",
            "nodeName",
            "affinity",
            "containers",
            "resources",
            "phase",
            "conditions",
            "type",
            "lastTransitionTime",
            "ready",
            "restartCount",
            "state",
            "containerStatuses",
            "initContainers",
            "restartPolicy",
            "overhead",
        ];
        const VALUES: [&str; 14] = [
            "null",
            "\"x\"",
            "1",
            "-0",
            "1.0",
            "true",
            "{}",
            "[]",
            "{\"a\":\"b\"}",
            "[{\"name\":\"c\"}]",
            "\"2026-01-01T00:00:00Z\"",
            "\"2026-02-30T00:00:00Z\"",
            "\"\"",
            "[null]",
        ];
        let mut t = text.to_string();
        let at = |t: &str, rng: &mut Rng| {
            let mut i = rng.below(t.len());
            while !t.is_char_boundary(i) {
                i -= 1;
            }
            i
        };
        match rng.below(4) {
            0 => {
                let i = at(&t, rng);
                t.remove(i);
            }
            1 => {
                let i = at(&t, rng);
                t.insert_str(i, TOKENS[rng.below(TOKENS.len())]);
            }
            2 => {
                let opens: Vec<usize> = t.match_indices('{').map(|(i, _)| i).collect();
                let i = opens[rng.below(opens.len())];
                let member = format!(
                    "\"{}\":{},",
                    KEYS[rng.below(KEYS.len())],
                    VALUES[rng.below(VALUES.len())]
                );
                t.insert_str(i + 1, &member);
            }
            _ => {
                let keys: Vec<usize> = t.match_indices("\"name\"").map(|(i, _)| i).collect();
                if let Some(&i) = keys.get(rng.below(keys.len().max(1))) {
                    t.replace_range(i..i + 6, "\"n\\u0061me\"");
                }
            }
        }
        t
    }

    /// Whatever a pod's text becomes, this reader either reads it as the general way does or
    /// leaves it to the general way: it never takes a text the general way rejects, nor reads
    /// one otherwise.
    #[test]
    fn mutated_pods_read_as_the_general_way_reads_them_or_are_left_to_it() {
        let pods = real_pods();
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let (mut taken, mut left, mut rejected) = (0, 0, 0);
        for round in 0..40_000 {
            let text = mutate(&pods[round % pods.len()], &mut rng);
            let want = general(&text);
            match fast(&text) {
                Some(got) => {
                    assert_eq!(Some(&got), want.as_ref(), "{text}");
                    taken += 1;
                }
                None if want.is_some() => left += 1,
                None => rejected += 1,
            }
        }
        // Each outcome happens: the test sees mutations of every kind.
        assert!(
            taken > 10_000 && left > 100 && rejected > 5_000,
            "{taken} {left} {rejected}"
        );
    }

    /// A pod with `affinity` and `annotations` as given, bound to a node or not.
    fn pod_with(affinity: &str, annotations: &str, bound: bool) -> String {
        let node = if bound { r#""nodeName":"node-1","# } else { "" };
        format!(
            r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"annotations":{annotations},"name":"ds-x","namespace":"ns","uid":"u-1"}},"spec":{{"affinity":{affinity},"containers":[{{"name":"c"}}],{node}"restartPolicy":"Always"}},"status":{{"phase":"Running"}}}}"#
        )
    }

    const CONTROLLER_AFFINITY: &str = r#"{"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchFields":[{"key":"metadata.name","operator":"In","values":["node-1"]}]}]}}}"#;

    /// The DaemonSet controller's affinity is recognised (and a bound pod's left undecoded),
    /// whatever the spacing and member order; anything else is decoded as before. Either way
    /// the pod reads as the general way reads it, or is left to it.
    #[test]
    fn the_controllers_affinity_reads_as_the_general_way_reads_it() {
        let usual = [
            CONTROLLER_AFFINITY.to_string(),
            serde_json::to_string_pretty(
                &serde_json::from_str::<Value>(CONTROLLER_AFFINITY).unwrap(),
            )
            .unwrap(),
            CONTROLLER_AFFINITY.replace(
                r#"{"key":"metadata.name","operator":"In","values":["node-1"]}"#,
                r#"{"values":["node-1"],"operator":"In","key":"metadata.name"}"#,
            ),
        ];
        let other = [
            "null".to_string(),
            "{}".to_string(),
            "[]".to_string(),
            "7".to_string(),
            CONTROLLER_AFFINITY.replace(r#""In""#, r#""NotIn""#),
            CONTROLLER_AFFINITY.replace(r#""metadata.name""#, r#""metadata.namespace""#),
            CONTROLLER_AFFINITY.replace(r#"["node-1"]"#, r#"["node-1","node-2"]"#),
            CONTROLLER_AFFINITY.replace(r#"["node-1"]"#, "[]"),
            CONTROLLER_AFFINITY.replace(r#"["node-1"]"#, r#""node-1""#),
            CONTROLLER_AFFINITY.replace(r#"["node-1"]"#, "[1]"),
            CONTROLLER_AFFINITY.replace(r#"["node-1"]"#, r#"["node\u002d1"]"#),
            CONTROLLER_AFFINITY
                .replace(r#""operator":"In","#, r#""operator":"In","operator":"In","#),
            CONTROLLER_AFFINITY.replace(r#""operator":"In","#, ""),
            CONTROLLER_AFFINITY.replace(r#""operator":"In","#, r#""operator":"In","extra":1,"#),
            CONTROLLER_AFFINITY.replace(
                r#""matchFields""#,
                r#""matchExpressions":[{"key":"gpu","operator":"Exists"}],"matchFields""#,
            ),
            CONTROLLER_AFFINITY.replace(r#"}]}]}}}"#, r#"}]},{"matchFields":[]}]}}}"#),
            CONTROLLER_AFFINITY.replace(r#"}]}}}"#, r#"}]},"x":1}}"#),
            CONTROLLER_AFFINITY.replace(r#""nodeAffinity""#, r#""node\u0041ffinity""#),
            CONTROLLER_AFFINITY.replace(r#"]}}}"#, r#"]}},"podAffinity":{}}"#),
        ];
        for (text, is_usual) in usual
            .iter()
            .map(|t| (t, true))
            .chain(other.iter().map(|t| (t, false)))
        {
            let mut checked = Checked::new();
            let mut p = P {
                b: text.as_bytes(),
                i: 0,
                depth: 0,
                peak: 0,
                checked: &mut checked,
            };
            assert_eq!(p.controller_affinity(), is_usual, "{text}");
            if is_usual {
                assert_eq!(p.i, text.len(), "{text}");
            } else {
                assert_eq!((p.i, p.depth), (0, 0), "{text}");
            }
            for bound in [true, false] {
                let pod = pod_with(text, "{}", bound);
                let want = general(&pod);
                let got = fast(&pod);
                if is_usual || text == "null" {
                    assert!(got.is_some(), "{pod}");
                }
                if got.is_some() {
                    assert_eq!(got, want, "{pod}");
                }
            }
        }
    }

    /// Only the mirror pod annotation is kept, read however the annotations are written; a
    /// text the general way rejects is left to it.
    #[test]
    fn annotations_keep_the_mirror_one_as_the_general_way_does() {
        let cases = [
            ("null", true),
            ("{}", true),
            (r#"{"a":"b","checksum/config":"0f"}"#, true),
            (r#"{"kubernetes.io/config.mirror":"abc","a":"b"}"#, true),
            (r#"{"kubernetes.io/config.mirror":null}"#, true),
            (
                r#"{"kubernetes.io/config.mirror":"a","kubernetes.io/config.mirror":"b"}"#,
                true,
            ),
            (r#"{"a":{"nested":[1,2]},"b":7}"#, true),
            (r#"{"a":"kubernetes.io/config.mirror"}"#, true),
            (r#"{"kubernetes.io\/config.mirror":"abc"}"#, false),
            (r#"{"a":"x\ny"}"#, false),
            (r#"{"kubernetes.io/config.mirror":7}"#, false),
            (r#""text""#, false),
            ("[]", false),
        ];
        for (annotations, taken) in cases {
            let pod = pod_with(CONTROLLER_AFFINITY, annotations, true);
            let want = general(&pod);
            let got = fast(&pod);
            if taken {
                assert!(got.is_some(), "{pod}");
            }
            if got.is_some() {
                assert_eq!(got, want, "{pod}");
            }
        }
        // The general way keeps the mirror annotation (the comparison above is not vacuous).
        let pod = pod_with(
            CONTROLLER_AFFINITY,
            r#"{"kubernetes.io/config.mirror":"abc"}"#,
            true,
        );
        assert!(general(&pod).unwrap().contains("abc"));
    }
}
