//! A fast reader for the narrow YAML `kubectl get -o yaml` prints, with serde-saphyr behind it
//! for everything else.
//!
//! kubectl writes YAML through sigs.k8s.io/yaml (`yaml.JSONToYAML`, go-yaml v2's encoder): block
//! mappings indented by 2, sequences of mappings at their key's column (`- ` unindented), plain,
//! single- and double-quoted scalars on one line, `|`/`|-`/`>` block scalars, `[]` and `{}` for
//! empty collections; no anchors, tags, comments or flow content. [`parse`] reads one block of
//! exactly that (a list item or a top-level entry) into a flat tape of nodes, and [`Cursor`] is a
//! serde `Deserializer` over it. Anything else in the block (an anchor, a tag, a comment, a
//! flow map, a multi-line plain or quoted scalar, an indented sequence, a duplicate key, a tab,
//! a carriage return) gives [`Unsupported`], and the caller reads the block with serde-saphyr
//! instead (`stream.rs`, `read_yaml`). What the objects of one DaemonSet repeat line for line
//! (env, probes, volumes, tolerations) is read once a thread and found again by its text
//! ([`Blocks`]).
//!
//! Scalars are typed as serde-saphyr's `deserialize_any` types them (its
//! `de/deserializer.rs`), which is how the YAML path has always read them (through a
//! `serde_json::Value`): quoted and block scalars are strings; plain ones are null (`~`, `null`,
//! `Null`, `NULL`), YAML 1.1 booleans (`true`, `yes`, `on`, `y` and their negatives, any case),
//! decimal integers, and strings when no numeric form can match them (they start with a letter,
//! or hold a character no number has). The few plain scalars left (floats, `0x1F`, `.inf`,
//! `1_000`, `1:30`, leading zeros) are resolved by serde-saphyr itself.

use std::borrow::Cow;
use std::cell::RefCell;

use crate::fasthash::{PREFIX_BYTES, prefix_slot, starts_with_ends_first};

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};
use serde_json::Value;

mod template;

pub(super) use template::{PodTape, SharedParts};

/// One node of the tape: collections give their length and where their last node ends.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Node<'a> {
    Map { len: u32, end: u32 },
    Seq { len: u32, end: u32 },
    Key(Cow<'a, str>),
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
    Str(Cow<'a, str>),
}

/// The block holds something outside the subset this reader takes.
#[derive(Debug)]
pub(super) struct Unsupported;

type R<T> = Result<T, Unsupported>;

/// Implicit keys are at most 1024 characters (YAML 1.2, 7.4.2 / `ns-s-implicit-yaml-key`).
const MAX_KEY: usize = 1024;

thread_local! {
    static BLOCKS: RefCell<Blocks> = RefCell::new(Blocks::new());
}

/// Blocks this thread has read, found again by their text.
///
/// The objects of one DaemonSet repeat most of their YAML line for line (env, probes, volumes,
/// tolerations), and a block reads the same wherever it stands given the same few facts of the
/// line that ends it: a block's parse looks only at its own lines (blank lines up to the next
/// line included: a block scalar at its end reads them) and, of the first line after them, at
/// its column, whether it is a `- ` entry, and whether there is one (every test of it in
/// [`P::map`], [`P::seq`] and [`P::block_scalar`]). So a block is remembered with its tape (text
/// as places in the block), the nesting it adds and those facts; met again — the same bytes up
/// to the next line, then a line with the same facts, and room for its nesting — its tape is
/// copied, not parsed. Looked up by its first [`PREFIX_BYTES`] bytes, one block a slot; a slot
/// whose block stops matching is given to the newer block after a few misses.
struct Blocks {
    slots: Box<[BlockSlot]>,
    /// The blocks' text and tapes, one after another; started afresh (a new `generation`) when
    /// either is full.
    bytes: Vec<u8>,
    nodes: Vec<Kept>,
    generation: u32,
    /// Blocks found again (for the tests).
    #[cfg(test)]
    hits: usize,
}

/// How a remembered block was reached: its parse, and where its text starts, differ.
#[derive(Clone, Copy, Default, PartialEq)]
enum Reached {
    /// On the lines below a key or an entry, read by [`P::block`] (text from its line's start).
    #[default]
    Below,
    /// A sequence at its key's column, read by [`P::seq`] (no level of its own).
    KeyColumn,
    /// A mapping or sequence after an entry's `- `, read by [`P::block`] (text from after the
    /// dash, the column remembered).
    AfterDash,
}

#[derive(Clone, Copy, Default, PartialEq)]
struct Ends {
    col: usize,
    dash: bool,
    end: bool,
}

#[derive(Clone, Copy, Default)]
struct BlockSlot {
    /// The `generation` the slot's block lies in; any other is an empty slot.
    generation: u32,
    at: u32,
    len: u32,
    nodes_at: u32,
    nodes_len: u32,
    /// The nesting the block adds, how it was reached ([`Reached`]) and at which column, and
    /// the line after it.
    depth: usize,
    reached: Reached,
    col: usize,
    ends: Ends,
    /// What of the block its tape keeps ([`Shape`]).
    shape: Shape,
    misses: u32,
}

/// What a parse keeps of what it reads: all of it, or of a pod only what `slim::Pod` reads
/// ([`parse_pod`]). A mapping's keys are all read and checked (a duplicate is still refused, a
/// value stepped over is still checked or found again in [`Blocks`]); the value of a key the
/// shape does not keep is left off the tape, key and all, as `slim::Pod`'s `Deserialize` skips
/// an unknown field. Only map entries are ever left off: a value of another type than the
/// shape expects is kept whole, for serde to refuse as before.
#[derive(Clone, Copy, Default, Debug, PartialEq)]
pub(super) enum Shape {
    #[default]
    Full,
    /// Checked, left off the tape.
    Skip,
    /// A list item that is a pod: a sequence of one [`Shape::Pod`].
    PodItem,
    Pod,
    Meta,
    Spec,
    /// `spec.containers`, `spec.initContainers`: a sequence of [`Shape::Container`].
    Containers,
    Container,
    Status,
    /// `status.conditions`: a sequence of [`Shape::Condition`].
    Conditions,
    Condition,
    /// `status.containerStatuses`, `status.initContainerStatuses`: a sequence of
    /// [`Shape::ContainerStatus`].
    ContainerStatuses,
    ContainerStatus,
}

impl Shape {
    /// The shape of the value of `key`, in a mapping of this shape.
    fn key(self, key: &str) -> Shape {
        match (self, key) {
            (Shape::Pod, "metadata") => Shape::Meta,
            (Shape::Pod, "spec") => Shape::Spec,
            (Shape::Pod, "status") => Shape::Status,
            // `slim::Meta` reads every member of an object's metadata but these.
            (Shape::Meta, "managedFields") => Shape::Skip,
            (
                Shape::Spec,
                "nodeName" | "affinity" | "priorityClassName" | "overhead" | "resources",
            ) => Shape::Full,
            (Shape::Spec, "containers" | "initContainers") => Shape::Containers,
            (Shape::Container, "name" | "resources" | "restartPolicy") => Shape::Full,
            (Shape::Status, "phase" | "reason" | "message") => Shape::Full,
            (Shape::Status, "conditions") => Shape::Conditions,
            (Shape::Status, "containerStatuses" | "initContainerStatuses") => {
                Shape::ContainerStatuses
            }
            // `model::Condition` and `model::ContainerStatus`'s members.
            (Shape::Condition, "type" | "status" | "reason" | "message" | "lastTransitionTime") => {
                Shape::Full
            }
            (Shape::ContainerStatus, "name" | "ready" | "restartCount" | "state" | "lastState") => {
                Shape::Full
            }
            (
                Shape::Spec
                | Shape::Container
                | Shape::Status
                | Shape::Condition
                | Shape::ContainerStatus,
                _,
            ) => Shape::Skip,
            _ => Shape::Full,
        }
    }

    /// The shape of an entry, in a sequence of this shape.
    fn entry(self) -> Shape {
        match self {
            Shape::PodItem => Shape::Pod,
            Shape::Containers => Shape::Container,
            Shape::Conditions => Shape::Condition,
            Shape::ContainerStatuses => Shape::ContainerStatus,
            _ => Shape::Full,
        }
    }
}

/// A tape node of a remembered block: text as a place in the block (or owned), collections'
/// ends counted from the block's first node.
enum Kept {
    Map { len: u32, end: u32 },
    Seq { len: u32, end: u32 },
    Key(KeptText),
    Str(KeptText),
    Null,
    Bool(bool),
    U64(u64),
    I64(i64),
    F64(f64),
}

enum KeptText {
    At { from: u32, len: u32 },
    Owned(Box<str>),
}

const BLOCK_SLOTS: usize = 1 << 12;
const BLOCK_BYTES: usize = 2 << 20;
const BLOCK_NODES: usize = 1 << 16;
const BLOCK_LONGEST: usize = 64 << 10;
const BLOCK_MISSES: u32 = 8;

impl Blocks {
    fn new() -> Blocks {
        Blocks {
            slots: vec![BlockSlot::default(); BLOCK_SLOTS].into_boxed_slice(),
            bytes: Vec::new(),
            nodes: Vec::new(),
            generation: 1,
            #[cfg(test)]
            hits: 0,
        }
    }

    /// The slot's block if `rest` starts with its text and it was reached the same way, with the
    /// nesting it adds at most `room`.
    fn find(
        &mut self,
        slot: usize,
        rest: &[u8],
        (reached, col): (Reached, usize),
        room: usize,
        shape: Shape,
    ) -> Option<BlockSlot> {
        let s = &mut self.slots[slot];
        if s.generation != self.generation {
            return None;
        }
        let (at, len) = (s.at as usize, s.len as usize);
        // A block to step over needs only to have been found well formed, whatever its tape.
        if (s.reached, s.col) == (reached, col)
            && (s.shape == shape || shape == Shape::Skip)
            && s.depth <= room
            && starts_with_ends_first(rest, &self.bytes[at..at + len])
        {
            Some(*s)
        } else {
            s.misses = s.misses.saturating_add(1);
            None
        }
    }

    fn missed(&mut self, slot: usize) {
        let s = &mut self.slots[slot];
        s.misses = s.misses.saturating_add(1);
    }

    fn found(&mut self, slot: usize) {
        self.slots[slot].misses = 0;
        #[cfg(test)]
        {
            self.hits += 1;
        }
    }

    /// Remember the block `text` (at byte `start` of `s`) read into `tape` (whose first node is
    /// node `first` of the whole tape).
    #[allow(clippy::too_many_arguments)]
    fn keep(
        &mut self,
        slot: usize,
        s: &str,
        start: usize,
        text: &[u8],
        tape: &[Node<'_>],
        first: usize,
        depth: usize,
        (reached, col): (Reached, usize),
        ends: Ends,
        shape: Shape,
    ) {
        let old = self.slots[slot];
        if (old.generation == self.generation && old.misses < BLOCK_MISSES)
            || !(PREFIX_BYTES..=BLOCK_LONGEST).contains(&text.len())
            || tape.len() > BLOCK_NODES / 16
        {
            return;
        }
        if self.bytes.len() + text.len() > BLOCK_BYTES
            || self.nodes.len() + tape.len() > BLOCK_NODES
        {
            self.bytes.clear();
            self.nodes.clear();
            self.generation = self.generation.wrapping_add(1).max(1);
        }
        let base = s.as_ptr() as usize + start;
        let nodes_at = self.nodes.len();
        self.nodes.extend(
            tape.iter()
                .map(|n| to_kept(n, base, text.len(), first as u32)),
        );
        self.slots[slot] = BlockSlot {
            generation: self.generation,
            at: self.bytes.len() as u32,
            len: text.len() as u32,
            nodes_at: nodes_at as u32,
            nodes_len: tape.len() as u32,
            depth,
            reached,
            col,
            ends,
            shape,
            misses: 0,
        };
        self.bytes.extend_from_slice(text);
    }

    /// The tape of a block found again, at byte `start` of `s`, appended to `tape`.
    fn copy<'a>(&self, found: &BlockSlot, s: &'a str, start: usize, tape: &mut Vec<Node<'a>>) {
        let first = tape.len() as u32;
        let nodes = &self.nodes[found.nodes_at as usize..][..found.nodes_len as usize];
        tape.extend(nodes.iter().map(|n| {
            from_kept(n, first, |t| match t {
                KeptText::At { from, len } => {
                    let from = start + *from as usize;
                    Cow::Borrowed(&s[from..from + *len as usize])
                }
                KeptText::Owned(o) => Cow::Owned(o.to_string()),
            })
        }));
    }
}

/// A tape node kept: text within the `len` bytes at address `base` as its place there, other
/// text owned; collections' ends counted from node `first`.
fn to_kept(n: &Node<'_>, base: usize, len: usize, first: u32) -> Kept {
    let place = |t: &Cow<'_, str>| match t {
        Cow::Borrowed(b)
            if (b.as_ptr() as usize) >= base && b.as_ptr() as usize + b.len() <= base + len =>
        {
            KeptText::At {
                from: (b.as_ptr() as usize - base) as u32,
                len: b.len() as u32,
            }
        }
        other => KeptText::Owned(other.as_ref().into()),
    };
    match n {
        Node::Map { len, end } => Kept::Map {
            len: *len,
            end: end - first,
        },
        Node::Seq { len, end } => Kept::Seq {
            len: *len,
            end: end - first,
        },
        Node::Key(t) => Kept::Key(place(t)),
        Node::Str(t) => Kept::Str(place(t)),
        Node::Null => Kept::Null,
        Node::Bool(b) => Kept::Bool(*b),
        Node::U64(v) => Kept::U64(*v),
        Node::I64(v) => Kept::I64(*v),
        Node::F64(v) => Kept::F64(*v),
    }
}

/// A kept node back on a tape whose node `first` is the first kept, its text by `at`.
fn from_kept<'a>(k: &Kept, first: u32, at: impl Fn(&KeptText) -> Cow<'a, str>) -> Node<'a> {
    match k {
        Kept::Map { len, end } => Node::Map {
            len: *len,
            end: end + first,
        },
        Kept::Seq { len, end } => Node::Seq {
            len: *len,
            end: end + first,
        },
        Kept::Key(t) => Node::Key(at(t)),
        Kept::Str(t) => Node::Str(at(t)),
        Kept::Null => Node::Null,
        Kept::Bool(b) => Node::Bool(*b),
        Kept::U64(v) => Node::U64(*v),
        Kept::I64(v) => Node::I64(*v),
        Kept::F64(v) => Node::F64(*v),
    }
}

/// Parse a block of lines that is one block node at column 0 (a `- ` item, or a `key:` entry)
/// into a tape.
pub(super) fn parse(text: &str) -> R<Vec<Node<'_>>> {
    BLOCKS.with(|blocks| parse_with(text, &mut blocks.borrow_mut(), Shape::Full))
}

/// [`parse`] of a list item that is a pod, into a tape of what `slim::Pod` reads ([`Shape`]):
/// the tape reads as [`parse`]'s into a pod, but not as the item's full content. A text
/// [`parse`] refuses this refuses too.
///
/// A pod that is another read before with other one-line scalars is read as its differences
/// from it ([`template`]); any other is read whole and kept to read the next ones so.
pub(super) fn parse_pod(text: &str) -> R<PodTape<'_>> {
    if let Some(read) = template::read_known(text) {
        return Ok(read);
    }
    let (tape, recs) = BLOCKS
        .with(|blocks| parse_recording(text, &mut blocks.borrow_mut(), Shape::PodItem, true))?;
    let recs = recs.unwrap_or_default();
    template::learn(template::Template::new(text, &tape, &recs));
    Ok(PodTape {
        tape,
        set: None,
        shared: SharedParts::default(),
        head: None,
    })
}

/// [`parse`] with `blocks` as the memory of blocks read before, keeping `shape` of the text.
fn parse_with<'a>(text: &'a str, blocks: &mut Blocks, shape: Shape) -> R<Vec<Node<'a>>> {
    parse_recording(text, blocks, shape, false).map(|(tape, _)| tape)
}

/// [`parse_with`], and with `record` where each one-line scalar was read ([`template::Rec`]),
/// without the memory of blocks.
fn parse_recording<'a>(
    text: &'a str,
    blocks: &mut Blocks,
    shape: Shape,
    record: bool,
) -> R<(Vec<Node<'a>>, Option<Vec<template::Rec>>)> {
    // Control characters other than newline and tab (and so any `\r`) are left to serde-saphyr,
    // which rejects or normalizes them.
    if has_control(text.as_bytes()) {
        return Err(Unsupported);
    }
    let mut p = P {
        s: text,
        b: text.as_bytes(),
        pos: 0,
        col: 0,
        eol: 0,
        end: false,
        tape: Vec::with_capacity(text.len() / 16),
        keys: Vec::new(),
        depth: 0,
        peak: 0,
        blocks,
        recs: record.then(Vec::new),
    };
    p.advance_line(0)?;
    if p.end || p.col != 0 {
        return Err(Unsupported);
    }
    p.block(shape)?;
    if !p.end {
        return Err(Unsupported);
    }
    Ok((p.tape, p.recs))
}

/// A control character other than newline and tab (so any `\r`), or DEL.
fn is_control(b: u8) -> bool {
    (b < 0x20 && b != b'\n' && b != b'\t') || b == 0x7f
}

/// Whether `b` holds an [`is_control`] byte, sixteen bytes at a time (every byte of every block
/// is looked at: a fifth of reading a YAML dump went into this check a byte at a time), or a C1
/// control ([`has_c1`]).
fn has_control(b: &[u8]) -> bool {
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    {
        let mut blocks = b.chunks_exact(16);
        // SAFETY: SSE2 is part of the target (the `cfg` above).
        if blocks.by_ref().any(|c| unsafe { sse2_has_control(c) }) {
            return true;
        }
        blocks.remainder().iter().copied().any(is_control) || has_c1(b)
    }
    #[cfg(not(all(target_arch = "x86_64", target_feature = "sse2")))]
    {
        b.iter().copied().any(is_control) || has_c1(b)
    }
}

/// Whether `b` (UTF-8) holds a C1 control other than NEL (U+0080–U+009F but U+0085): not a
/// printable character in YAML, which serde-saphyr refuses and this reader read as it was.
fn has_c1(b: &[u8]) -> bool {
    memchr::memchr_iter(0xc2, b).any(|i| matches!(b.get(i + 1), Some(0x80..=0x84 | 0x86..=0x9f)))
}

/// [`has_control`] of sixteen bytes.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn sse2_has_control(chunk: &[u8]) -> bool {
    use std::arch::x86_64::{
        _mm_andnot_si128, _mm_cmpeq_epi8, _mm_loadu_si128, _mm_max_epu8, _mm_movemask_epi8,
        _mm_or_si128, _mm_set1_epi8,
    };
    assert!(chunk.len() >= 16);
    // SAFETY: `chunk` holds 16 bytes, and `loadu` has no alignment requirement.
    let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
    let low = _mm_set1_epi8(0x1f);
    // Unsigned: at most 0x1f.
    let below = _mm_cmpeq_epi8(_mm_max_epu8(v, low), low);
    let allowed = _mm_or_si128(
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)),
        _mm_cmpeq_epi8(v, _mm_set1_epi8(b'\t' as i8)),
    );
    let del = _mm_cmpeq_epi8(v, _mm_set1_epi8(0x7f));
    _mm_movemask_epi8(_mm_or_si128(_mm_andnot_si128(allowed, below), del)) != 0
}

struct P<'a, 'c> {
    s: &'a str,
    b: &'a [u8],
    /// Start of the current line's content (after its indentation, or after a `- `).
    pos: usize,
    /// Column of `pos`.
    col: usize,
    /// End of the current line (its newline, or the end of the text).
    eol: usize,
    /// No more lines.
    end: bool,
    tape: Vec<Node<'a>>,
    /// Keys of the mappings being read, innermost last (duplicate keys are serde-saphyr's to
    /// judge).
    keys: Vec<Cow<'a, str>>,
    /// Collections open; deeper than serde-saphyr's limit (`stream.rs`, `yaml_options`) is its
    /// to refuse, and a bounded depth keeps the recursion off the end of the stack.
    depth: usize,
    /// The deepest yet (for [`Blocks`]).
    peak: usize,
    blocks: &'c mut Blocks,
    /// Where each one-line scalar was read, when the parse makes a [`template::Template`]
    /// (the memory of blocks is then not used: a copied block's scalars are not recorded).
    recs: Option<Vec<template::Rec>>,
}

/// The deepest nesting read here (serde-saphyr's `max_depth` in `stream.rs`, `yaml_options`).
const MAX_DEPTH: usize = 128;

/// Where the spaces from `i` end (at most `b.len()`), eight at a time: a pod's lines are
/// indented by ten spaces and more.
fn indent_end(b: &[u8], mut i: usize) -> usize {
    while b.get(i..i + 8) == Some(b"        ") {
        i += 8;
    }
    while b.get(i) == Some(&b' ') {
        i += 1;
    }
    i
}

fn line_end(b: &[u8], from: usize) -> usize {
    memchr::memchr(b'\n', &b[from..]).map_or(b.len(), |k| from + k)
}

/// Whether plain text (a key or a scalar, one line) holds a `: ` (a mapping inside it) or a
/// ` #` (a comment after it), or ends in a tab.
fn plain_breaks(t: &[u8]) -> bool {
    memchr::memchr2_iter(b':', b'#', t).any(|i| {
        if t[i] == b':' {
            matches!(t.get(i + 1), None | Some(b' ' | b'\t'))
        } else {
            i > 0 && matches!(t[i - 1], b' ' | b'\t')
        }
    }) || t.last() == Some(&b'\t')
}

fn is_dash(line: &[u8]) -> bool {
    line.first() == Some(&b'-') && matches!(line.get(1), None | Some(b' '))
}

impl<'a> P<'a, '_> {
    fn line(&self) -> &'a [u8] {
        &self.b[self.pos..self.eol]
    }

    /// Move to the first line at or after byte `from` (a line start) that is not blank.
    fn advance_line(&mut self, from: usize) -> R<()> {
        let mut i = from;
        loop {
            if i >= self.b.len() {
                self.end = true;
                self.pos = self.b.len();
                self.eol = self.b.len();
                self.col = 0;
                return Ok(());
            }
            let e = line_end(self.b, i);
            let j = indent_end(&self.b[..e], i);
            if j == e {
                i = e + 1;
                continue;
            }
            if matches!(self.b[j], b'#' | b'\t') {
                return Err(Unsupported);
            }
            self.pos = j;
            self.col = j - i;
            self.eol = e;
            return Ok(());
        }
    }

    /// The block node at the cursor: a sequence or a mapping at the cursor's column.
    fn block(&mut self, shape: Shape) -> R<()> {
        self.depth += 1;
        self.peak = self.peak.max(self.depth);
        if self.depth > MAX_DEPTH {
            return Err(Unsupported);
        }
        let line = self.line();
        let done = if is_dash(line) {
            self.seq(self.col, shape)
        } else {
            self.map(self.col, shape)
        };
        self.depth -= 1;
        done
    }

    fn seq(&mut self, n: usize, shape: Shape) -> R<()> {
        let at = self.tape.len();
        self.tape.push(Node::Seq { len: 0, end: 0 });
        let mut len = 0u32;
        while !self.end && self.col == n && is_dash(self.line()) {
            len += 1;
            self.node_after(self.pos + 1, n, true, shape.entry())?;
        }
        if !self.end && self.col > n {
            return Err(Unsupported);
        }
        self.tape[at] = Node::Seq {
            len,
            end: self.tape.len() as u32,
        };
        Ok(())
    }

    /// The node after a `-` or a `key:` (from byte `from` of its line; `n`: the column of the
    /// dash or the key): on the same line (after a dash, a compact mapping or sequence too), on
    /// the lines below (deeper, or after a key a sequence at its column), or null.
    fn node_after(&mut self, from: usize, n: usize, in_seq: bool, shape: Shape) -> R<()> {
        let mut p = from;
        while p < self.eol && self.b[p] == b' ' {
            p += 1;
        }
        if p == self.eol {
            self.advance_line(self.eol + 1)?;
            if !self.end && self.col > n {
                return self.remembered(Reached::Below, n, shape);
            }
            if !in_seq && !self.end && self.col == n && is_dash(self.line()) {
                return self.remembered(Reached::KeyColumn, n, shape);
            }
            self.tape.push(Node::Null);
            return Ok(());
        }
        self.col += p - self.pos;
        self.pos = p;
        let rest = self.line();
        if in_seq && (is_dash(rest) || self.key_end(rest).is_some()) {
            self.remembered(Reached::AfterDash, n, shape)
        } else {
            self.inline_value(n)
        }
    }

    /// A block at the cursor, found again in [`Blocks`] or read (a sequence at its key's column
    /// `n`, or by [`P::block`]) and remembered.
    /// With [`Shape::Skip`] a block found again is only stepped over, and one read is read
    /// whole (and remembered so) for the caller to take off the tape.
    fn remembered(&mut self, reached: Reached, n: usize, shape: Shape) -> R<()> {
        let kept = match shape {
            Shape::Skip => Shape::Full,
            other => other,
        };
        let read = |p: &mut Self| match reached {
            Reached::KeyColumn => p.seq(n, kept),
            Reached::Below | Reached::AfterDash => p.block(kept),
        };
        let start = match reached {
            Reached::AfterDash => self.pos,
            Reached::Below | Reached::KeyColumn => self.pos - self.col,
        };
        let how = (reached, self.col);
        if self.recs.is_some() {
            return read(self);
        }
        let Some(slot) = prefix_slot(&self.b[start..], BLOCK_SLOTS) else {
            return read(self);
        };
        let room = MAX_DEPTH.saturating_sub(self.depth);
        if let Some(found) = self.blocks.find(slot, &self.b[start..], how, room, shape) {
            let cursor = (self.pos, self.col, self.eol, self.end);
            let after = start + found.len as usize;
            self.advance_line(after)?;
            // No blank line more before the next one (a block scalar at the block's end reads
            // them), and the next line alike.
            if self.pos - self.col == after && self.ends() == found.ends {
                self.blocks.found(slot);
                if shape != Shape::Skip {
                    self.blocks.copy(&found, self.s, start, &mut self.tape);
                }
                self.peak = self.peak.max(self.depth + found.depth);
                return Ok(());
            }
            (self.pos, self.col, self.eol, self.end) = cursor;
            self.blocks.missed(slot);
        }
        let (first, depth, peak) = (self.tape.len(), self.depth, self.peak);
        self.peak = depth;
        read(self)?;
        let adds = self.peak - depth;
        self.peak = self.peak.max(peak);
        let end_at = if self.end {
            self.b.len()
        } else {
            self.pos - self.col
        };
        let text = &self.b[start..end_at];
        // Only a block that ends with its line: found again, the next line starts after it.
        if text.ends_with(b"\n") {
            let ends = self.ends();
            let (s, tape) = (self.s, &self.tape[first..]);
            self.blocks
                .keep(slot, s, start, text, tape, first, adds, how, ends, kept);
        }
        Ok(())
    }

    /// What the parse of a block looks at of the line after it (the cursor's).
    fn ends(&self) -> Ends {
        Ends {
            col: self.col,
            dash: is_dash(self.line()),
            end: self.end,
        }
    }

    /// Where a plain key ends (its `:`) when the line is `key:` or `key: ...`.
    fn key_end(&self, line: &[u8]) -> Option<usize> {
        for i in memchr::memchr2_iter(b':', b'#', line) {
            match line[i] {
                b':' if matches!(line.get(i + 1), None | Some(b' ')) => return Some(i),
                b'#' if i > 0 && matches!(line[i - 1], b' ' | b'\t') => return None,
                _ => {}
            }
        }
        None
    }

    fn map(&mut self, n: usize, shape: Shape) -> R<()> {
        let at = self.tape.len();
        self.tape.push(Node::Map { len: 0, end: 0 });
        let keys_from = self.keys.len();
        let mut len = 0u32;
        // Whether the keys so far are in order (kubectl sorts them): a key after the last one
        // is then new without a search.
        let mut in_order = true;
        while !self.end && self.col == n {
            let line = self.line();
            // The key and the byte after its `:`.
            let (key, after) = match line[0] {
                b'\'' | b'"' => {
                    let (k, used) = quoted(&self.s[self.pos..self.eol])?;
                    if line.get(used) != Some(&b':')
                        || !matches!(line.get(used + 1), None | Some(b' '))
                    {
                        return Err(Unsupported);
                    }
                    (k, used + 1)
                }
                c if is_indicator(c) => return Err(Unsupported),
                // A `- ` where a key is due (a sequence entry inside a mapping): an error to a
                // YAML parser, not a key beginning with a dash.
                _ if is_dash(line) => return Err(Unsupported),
                _ => {
                    let Some(i) = self.key_end(line) else {
                        return Err(Unsupported);
                    };
                    let k = &self.s[self.pos..self.pos + i];
                    if k.ends_with(' ') || k.contains('\t') || k == "<<" {
                        return Err(Unsupported);
                    }
                    // A key serde-saphyr would read as anything but a string is its to read.
                    if !matches!(plain(k)?, Node::Str(_)) {
                        return Err(Unsupported);
                    }
                    (Cow::Borrowed(k), i + 1)
                }
            };
            if key.len() > MAX_KEY {
                return Err(Unsupported);
            }
            let mine = &self.keys[keys_from..];
            if let Some(last) = mine.last() {
                in_order &= *last < key;
                if !in_order && mine.contains(&key) {
                    return Err(Unsupported);
                }
            }
            let value = shape.key(&key);
            self.keys.push(key.clone());
            let mark = self.tape.len();
            if value != Shape::Skip {
                self.tape.push(Node::Key(key));
                len += 1;
            }
            self.node_after(self.pos + after, n, false, value)?;
            // A value stepped over and read whole (not found again) leaves the tape.
            if value == Shape::Skip {
                self.tape.truncate(mark);
                if let Some(recs) = &mut self.recs {
                    template::left_off(recs, mark);
                }
            }
            if !self.end && self.col > n {
                return Err(Unsupported);
            }
        }
        self.keys.truncate(keys_from);
        self.tape[at] = Node::Map {
            len,
            end: self.tape.len() as u32,
        };
        Ok(())
    }

    /// A value that starts at the cursor, on its line (`parent`: the column of the key or `-`
    /// it belongs to); the cursor moves to the next line.
    fn inline_value(&mut self, parent: usize) -> R<()> {
        let text = &self.s[self.pos..self.eol];
        let node = match text.as_bytes()[0] {
            b'|' | b'>' => return self.block_scalar(parent),
            b'[' | b'{' => match text.trim_end_matches(' ') {
                "[]" => Node::Seq {
                    len: 0,
                    end: self.tape.len() as u32 + 1,
                },
                "{}" => Node::Map {
                    len: 0,
                    end: self.tape.len() as u32 + 1,
                },
                _ => return Err(Unsupported),
            },
            _ => {
                let node = line_scalar(text)?;
                if let Some(recs) = &mut self.recs {
                    recs.push(template::Rec {
                        line: (self.pos - self.col) as u32,
                        value: self.pos as u32,
                        node: self.tape.len() as u32,
                    });
                }
                node
            }
        };
        self.tape.push(node);
        self.advance_line(self.eol + 1)
    }

    /// A `|` or `>` block scalar whose header is at the cursor.
    fn block_scalar(&mut self, parent: usize) -> R<()> {
        let header = self.s[self.pos..self.eol].trim_end_matches(' ');
        let folded = header.starts_with('>');
        #[derive(PartialEq)]
        enum Chomp {
            Clip,
            Strip,
            Keep,
        }
        let chomp = match &header[1..] {
            "" => Chomp::Clip,
            "-" => Chomp::Strip,
            "+" => Chomp::Keep,
            _ => return Err(Unsupported),
        };
        // The content lines (`None`: an empty line), at the indentation of the first one.
        let mut lines: Vec<Option<&'a str>> = Vec::new();
        let mut m: Option<usize> = None;
        let mut blank_max = 0usize;
        let mut i = self.eol + 1;
        while i < self.b.len() {
            let e = line_end(self.b, i);
            let mut sp = 0;
            while i + sp < e && self.b[i + sp] == b' ' {
                sp += 1;
            }
            if i + sp == e {
                if m.is_some_and(|m| sp > m) {
                    // A line of spaces only, longer than the indentation: content of spaces.
                    return Err(Unsupported);
                }
                blank_max = blank_max.max(sp);
                lines.push(None);
                i = e + 1;
                continue;
            }
            let indent = match m {
                Some(m) => m,
                None if sp > parent => {
                    m = Some(sp);
                    sp
                }
                None => break,
            };
            if sp < indent {
                break;
            }
            if folded && sp > indent {
                return Err(Unsupported);
            }
            lines.push(Some(&self.s[i + indent..e]));
            i = e + 1;
        }
        if m.is_some_and(|m| blank_max > m) {
            return Err(Unsupported);
        }
        let Some(last) = lines.iter().rposition(Option::is_some) else {
            // Empty content: clip and strip give "" (keep is left to serde-saphyr).
            if chomp == Chomp::Keep && !lines.is_empty() {
                return Err(Unsupported);
            }
            self.tape.push(Node::Str(Cow::Borrowed("")));
            return self.advance_line(i);
        };
        let trailing = lines.len() - last - 1;
        let mut out = String::new();
        if folded {
            if lines[0].is_none() {
                return Err(Unsupported);
            }
            let mut blanks = 0;
            for (k, l) in lines[..=last].iter().enumerate() {
                match l {
                    None => blanks += 1,
                    Some(t) => {
                        if k > 0 {
                            if blanks == 0 {
                                out.push(' ');
                            }
                            for _ in 0..blanks {
                                out.push('\n');
                            }
                        }
                        blanks = 0;
                        out.push_str(t);
                    }
                }
            }
        } else {
            for (k, l) in lines[..=last].iter().enumerate() {
                if k > 0 {
                    out.push('\n');
                }
                out.push_str(l.unwrap_or(""));
            }
        }
        match chomp {
            Chomp::Strip => {}
            Chomp::Clip => out.push('\n'),
            Chomp::Keep => {
                for _ in 0..=trailing {
                    out.push('\n');
                }
            }
        }
        self.tape.push(Node::Str(Cow::Owned(out)));
        self.advance_line(i)
    }
}

/// A plain or quoted scalar that is the rest of its line (`text`, after a key's `: ` or an
/// entry's `- `), as [`P::inline_value`] reads it: nothing but spaces after a quoted one, and a
/// plain one that neither holds a mapping or a comment nor starts like another node.
fn line_scalar(text: &str) -> R<Node<'_>> {
    let b = text.as_bytes();
    match b.first() {
        // A tab before the scalar separates it from its key or dash, as spaces do: serde-saphyr's.
        None | Some(b' ' | b'\t') => Err(Unsupported),
        Some(b'\'' | b'"') => {
            let (v, used) = quoted(text)?;
            if !b[used..].iter().all(|&c| c == b' ') {
                return Err(Unsupported);
            }
            Ok(Node::Str(v))
        }
        Some(&c) if is_indicator(c) => Err(Unsupported),
        Some(b'-') if b.get(1) == Some(&b' ') => Err(Unsupported),
        _ => {
            let t = text.trim_end_matches(' ');
            if plain_breaks(t.as_bytes()) {
                return Err(Unsupported);
            }
            plain(t)
        }
    }
}

/// Characters that cannot start a plain scalar or key here (YAML's `c-indicator`, less `-`).
fn is_indicator(c: u8) -> bool {
    matches!(
        c,
        b'?' | b':'
            | b','
            | b'['
            | b']'
            | b'{'
            | b'}'
            | b'#'
            | b'&'
            | b'*'
            | b'!'
            | b'|'
            | b'>'
            | b'\''
            | b'"'
            | b'%'
            | b'@'
            | b'`'
    )
}

/// A single- or double-quoted scalar at the start of `text`, on this line: its value and the
/// bytes it takes.
fn quoted(text: &str) -> R<(Cow<'_, str>, usize)> {
    let b = text.as_bytes();
    if b[0] == b'\'' {
        let mut i = 1;
        let mut owned: Option<String> = None;
        let mut from = 1;
        while i < b.len() {
            if b[i] == b'\'' {
                if b.get(i + 1) == Some(&b'\'') {
                    let o = owned.get_or_insert_with(String::new);
                    o.push_str(&text[from..=i]);
                    i += 2;
                    from = i;
                    continue;
                }
                return Ok(match owned {
                    None => (Cow::Borrowed(&text[1..i]), i + 1),
                    Some(mut o) => {
                        o.push_str(&text[from..i]);
                        (Cow::Owned(o), i + 1)
                    }
                });
            }
            i += 1;
        }
        return Err(Unsupported);
    }
    let mut i = 1;
    let mut owned: Option<String> = None;
    let mut from = 1;
    while i < b.len() {
        match b[i] {
            b'"' => {
                return Ok(match owned {
                    None => (Cow::Borrowed(&text[1..i]), i + 1),
                    Some(mut o) => {
                        o.push_str(&text[from..i]);
                        (Cow::Owned(o), i + 1)
                    }
                });
            }
            b'\\' => {
                let o = owned.get_or_insert_with(String::new);
                o.push_str(&text[from..i]);
                let Some(&e) = b.get(i + 1) else {
                    return Err(Unsupported);
                };
                let mut used = 2;
                let c = match e {
                    b'\\' => '\\',
                    b'"' => '"',
                    b'/' => '/',
                    b'n' => '\n',
                    b't' => '\t',
                    b'r' => '\r',
                    b'0' => '\0',
                    b'b' => '\u{8}',
                    b'f' => '\u{c}',
                    b'a' => '\u{7}',
                    b'v' => '\u{b}',
                    b'e' => '\u{1b}',
                    b' ' => ' ',
                    b'x' | b'u' => {
                        let digits = if e == b'x' { 2 } else { 4 };
                        let hex = text.get(i + 2..i + 2 + digits).ok_or(Unsupported)?;
                        if !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                            return Err(Unsupported);
                        }
                        let v = u32::from_str_radix(hex, 16).map_err(|_| Unsupported)?;
                        used += digits;
                        // Surrogates are serde-saphyr's to judge.
                        char::from_u32(v).ok_or(Unsupported)?
                    }
                    _ => return Err(Unsupported),
                };
                o.push(c);
                i += used;
                from = i;
            }
            _ => i += 1,
        }
    }
    Err(Unsupported)
}

/// A plain scalar, typed as serde-saphyr's `deserialize_any` types it.
fn plain(t: &str) -> R<Node<'_>> {
    let b = t.as_bytes();
    match t {
        "~" | "null" | "Null" | "NULL" => return Ok(Node::Null),
        _ => {}
    }
    if b.len() <= 5 {
        for (w, v) in [
            ("true", true),
            ("yes", true),
            ("y", true),
            ("on", true),
            ("false", false),
            ("no", false),
            ("n", false),
            ("off", false),
        ] {
            if t.eq_ignore_ascii_case(w) {
                return Ok(Node::Bool(v));
            }
        }
    }
    if b[0].is_ascii_alphabetic() {
        // Words a float parser may take (`inf`, `infinity`, `nan`) are serde-saphyr's.
        if b.len() <= 8
            && ["inf", "infinity", "nan"]
                .iter()
                .any(|w| t.eq_ignore_ascii_case(w))
        {
            return slow(t);
        }
        return Ok(Node::Str(Cow::Borrowed(t)));
    }
    // Decimal integers without a redundant leading zero.
    let (neg, digits) = match b[0] {
        b'-' => (true, &b[1..]),
        _ => (false, b),
    };
    if !digits.is_empty()
        && digits.len() <= 18
        && digits.iter().all(u8::is_ascii_digit)
        && (digits[0] != b'0' || digits.len() == 1)
    {
        let v = digits
            .iter()
            .fold(0i64, |a, &d| a * 10 + i64::from(d - b'0'));
        return Ok(if neg {
            if v == 0 {
                // `-0`: serde-saphyr's signed parse; keep its answer.
                return slow(t);
            }
            Node::I64(-v)
        } else {
            Node::U64(v as u64)
        });
    }
    // Text no integer or float spelling can match: a string.
    let mut dots = 0;
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'0'..=b'9' | b'_' | b':' => {}
            b'.' => dots += 1,
            b'+' | b'-' if i == 0 || matches!(b[i - 1], b'e' | b'E') => {}
            b'a'..=b'f' | b'A'..=b'F' | b'x' | b'X' | b'o' | b'O' | b'i' | b'I' | b'n' | b'N' => {}
            _ => return Ok(Node::Str(Cow::Borrowed(t))),
        }
    }
    if dots > 1 {
        return Ok(Node::Str(Cow::Borrowed(t)));
    }
    slow(t)
}

/// A plain scalar resolved by serde-saphyr itself.
fn slow(t: &str) -> R<Node<'_>> {
    Ok(
        match serde_saphyr::from_str::<Value>(t).map_err(|_| Unsupported)? {
            Value::Null => Node::Null,
            Value::Bool(b) => Node::Bool(b),
            Value::Number(n) => match (n.as_u64(), n.as_i64(), n.as_f64()) {
                (Some(u), _, _) => Node::U64(u),
                (_, Some(i), _) => Node::I64(i),
                (_, _, Some(f)) => Node::F64(f),
                _ => return Err(Unsupported),
            },
            Value::String(s) => Node::Str(Cow::Owned(s)),
            _ => return Err(Unsupported),
        },
    )
}

/// A serde `Deserializer` over a tape, from node `i` on. Every scalar is given as its type
/// (`deserialize_any`), as a `serde_json::Value` would give it.
pub(super) struct Cursor<'t, 'a> {
    nodes: &'t [Node<'a>],
    i: usize,
}

impl<'t, 'a> Cursor<'t, 'a> {
    pub(super) fn new(nodes: &'t [Node<'a>], i: usize) -> Self {
        Cursor { nodes, i }
    }

    fn next(&mut self) -> Result<&'t Node<'a>, serde_json::Error> {
        let n = self
            .nodes
            .get(self.i)
            .ok_or_else(|| de::Error::custom("the YAML ends early"))?;
        self.i += 1;
        Ok(n)
    }
}

type E = serde_json::Error;

impl<'de> Deserializer<'de> for &mut Cursor<'_, 'de> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.next()? {
            Node::Null => v.visit_unit(),
            Node::Bool(b) => v.visit_bool(*b),
            Node::U64(u) => v.visit_u64(*u),
            Node::I64(i) => v.visit_i64(*i),
            Node::F64(f) => v.visit_f64(*f),
            Node::Str(Cow::Borrowed(s)) | Node::Key(Cow::Borrowed(s)) => v.visit_borrowed_str(s),
            Node::Str(Cow::Owned(s)) | Node::Key(Cow::Owned(s)) => v.visit_str(s),
            n @ (Node::Seq { len, .. } | Node::Map { len, .. }) => {
                let mut a = Access {
                    c: self,
                    left: *len,
                };
                let out = match n {
                    Node::Map { .. } => v.visit_map(&mut a)?,
                    _ => v.visit_seq(&mut a)?,
                };
                if a.left > 0 {
                    return Err(de::Error::invalid_length(*len as usize, &"fewer entries"));
                }
                Ok(out)
            }
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        if matches!(self.nodes.get(self.i), Some(Node::Null)) {
            self.i += 1;
            v.visit_none()
        } else {
            v.visit_some(self)
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _: &'static str,
        v: V,
    ) -> Result<V::Value, E> {
        v.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _: &'static str,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, E> {
        match self.nodes.get(self.i) {
            Some(Node::Str(s)) => {
                self.i += 1;
                v.visit_enum(s.to_string().into_deserializer())
            }
            Some(Node::Map { len: 1, .. }) => {
                self.i += 1;
                v.visit_enum(Enum { c: self })
            }
            _ => self.deserialize_any(v),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, E> {
        match self.next()? {
            Node::Map { end, .. } | Node::Seq { end, .. } => self.i = *end as usize,
            _ => {}
        }
        v.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

struct Access<'c, 't, 'a> {
    c: &'c mut Cursor<'t, 'a>,
    left: u32,
}

impl<'de> SeqAccess<'de> for &mut Access<'_, '_, 'de> {
    type Error = E;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, E> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.c).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left as usize)
    }
}

impl<'de> MapAccess<'de> for &mut Access<'_, '_, 'de> {
    type Error = E;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, E> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        seed.deserialize(&mut *self.c).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, E> {
        seed.deserialize(&mut *self.c)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left as usize)
    }
}

/// An enum written as a one-entry map (`{variant: value}`), as `serde_json::Value` reads one.
struct Enum<'c, 't, 'a> {
    c: &'c mut Cursor<'t, 'a>,
}

impl<'de, 'c, 't> de::EnumAccess<'de> for Enum<'c, 't, 'de> {
    type Error = E;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self), E> {
        let v = seed.deserialize(&mut *self.c)?;
        Ok((v, self))
    }
}

impl<'de> de::VariantAccess<'de> for Enum<'_, '_, 'de> {
    type Error = E;

    fn unit_variant(self) -> Result<(), E> {
        de::Deserialize::deserialize(&mut *self.c)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value, E> {
        seed.deserialize(&mut *self.c)
    }

    fn tuple_variant<V: Visitor<'de>>(self, _: usize, v: V) -> Result<V::Value, E> {
        self.c.deserialize_any(v)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _: &'static [&'static str],
        v: V,
    ) -> Result<V::Value, E> {
        self.c.deserialize_any(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[test]
    fn indentation_ends_at_the_first_other_byte() {
        for n in 0..40 {
            for tail in ["", "x", "\n", "\t", " "] {
                let line = format!("{}{tail}", " ".repeat(n));
                let want = n + usize::from(tail == " ");
                assert_eq!(indent_end(line.as_bytes(), 0), want, "{line:?}");
                assert_eq!(indent_end(line.as_bytes(), n.min(3)), want.max(n.min(3)));
            }
        }
    }

    /// The sixteen-at-a-time check finds a control character wherever a byte-by-byte one does.
    #[test]
    fn control_characters_are_found_anywhere() {
        let mut text: Vec<u8> = b"  key: value\n\t- item \xc3\xa9 \x7e\n".repeat(3);
        let base = text.clone();
        assert!(!has_control(&text));
        for at in 0..text.len() {
            for bad in [0x00, 0x01, 0x0d, 0x1f, 0x7f] {
                text[at] = bad;
                for from in [0, at / 2, at.saturating_sub(15), at] {
                    assert!(has_control(&text[from..]), "{bad} at {at} from {from}");
                }
                assert!(!has_control(&text[at + 1..]), "{bad} at {at}, after it");
                text[at] = base[at];
            }
            for fine in [b'\n', b'\t', b' ', 0x80, 0xff, 0x20, 0x7e] {
                text[at] = fine;
                assert!(!has_control(&text), "{fine} at {at}");
                text[at] = base[at];
            }
        }
        // C1 controls (not printable in YAML; serde-saphyr refuses them), but NEL; and the
        // printable characters of the same first byte.
        for c1 in ['\u{80}', '\u{9b}', '\u{9f}'] {
            assert!(has_control(format!("a: x{c1}y\n").as_bytes()), "{c1:?}");
        }
        for fine in ['\u{85}', '\u{a0}', '\u{a9}', '\u{b0}'] {
            assert!(
                !has_control(format!("a: x{fine}y\n").as_bytes()),
                "{fine:?}"
            );
        }
    }

    fn fast(text: &str) -> Value {
        let tape = parse(text).unwrap_or_else(|_| panic!("outside the subset: {text}"));
        Value::deserialize(&mut Cursor::new(&tape, 0)).unwrap()
    }

    fn saphyr(text: &str) -> Value {
        serde_saphyr::from_str::<Value>(text).unwrap()
    }

    #[test]
    fn the_subset_reads_as_serde_saphyr_reads_it() {
        for text in [
            "- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: x\n      'y': 'n'\n    name: a\n",
            "- a:\n  - b: 1\n    c: []\n  - d: {}\n  e:\n  - x\n  - 'y'\n  f:\n    g: |\n      line one\n        indented\n\n      line three\n    h: |-\n      kept\n    i: >\n      folded\n      text\n\n      para\n    j: |+\n      keep\n\n  k:\n  l: \"\"\n",
            "- - a\n  - b\n- -\n  -\n",
            "key:\n  sub: value\n  other: http://x:80/y\n",
            "- a:\n    - indented\n  b: 1\n",
        ] {
            assert_eq!(fast(text), saphyr(text), "{text}");
        }
    }

    #[test]
    fn plain_scalars_are_typed_as_serde_saphyr_types_them() {
        let mut fast_read = 0;
        for s in [
            "1",
            "-2",
            "0",
            "-0",
            "1.5",
            "-1.5e3",
            "1e3",
            "true",
            "True",
            "FALSE",
            "yes",
            "No",
            "on",
            "OFF",
            "y",
            "n",
            "~",
            "null",
            "Null",
            "NULL",
            "nil",
            "10.0.0.4",
            "10.128.0.0/24",
            "3e0a9b2f-d231-4778",
            "100m",
            "128Mi",
            "0x1F",
            "0X1F",
            "0o17",
            "0b101",
            ".inf",
            "-.inf",
            ".nan",
            "1_000",
            "0755",
            "-0755",
            "12345678901234567890",
            "123456789012345678901234",
            "nan",
            "inf",
            "Infinity",
            "1:30",
            "+5",
            "+.5",
            "6.8.0-1021-aws",
            "v1.31.4",
            "e5",
            "-foo",
            "2001-12-14",
            "1.",
            ".5",
            "-",
            "-e",
            "0.0.0.0",
        ] {
            let text = format!("- a: {s}\n");
            // Outside the subset (`Err`): left to serde-saphyr, which reads it or fails.
            if let Ok(tape) = parse(&text) {
                fast_read += 1;
                let v = Value::deserialize(&mut Cursor::new(&tape, 0)).unwrap();
                assert_eq!(
                    Ok(v),
                    serde_saphyr::from_str::<Value>(&text).map_err(|_| ()),
                    "{s}"
                );
            }
        }
        assert!(fast_read >= 50, "{fast_read}");
    }

    #[test]
    fn anything_else_is_left_to_serde_saphyr() {
        for text in [
            "- a: &x 1\n  b: *x\n",
            "- a: {b: 1}\n",
            "- a: [1, 2]\n",
            "- a: plain\n    continued\n",
            "- a: !!str 1\n",
            "- a: 1 # comment\n",
            "- # comment\n  a: 1\n",
            "- a: 'multi\n    line'\n",
            "- a: 1\n  a: 2\n",
            "- a: 1\r\n",
            "- a:\tb\n",
            // A tab between the key and the value: serde-saphyr's "b" (read "\tb" here once).
            "- a: \tb\n",
            "- a:  \t b\n",
            "- \tb\n",
            "- ? complex\n  : key\n",
            "- <<: {a: 1}\n",
            "- a: |2\n    x\n",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        // A key met before, after keys out of order.
        for text in [
            "- a: 1\n  b: 2\n  a0: 3\n  b: 4\n",
            "- b: 1\n  a: 2\n  b: 3\n",
        ] {
            assert!(parse(text).is_err(), "{text}");
        }
        // A sequence entry where the mapping's next key is due: an error, not a key "- b".
        for text in ["- a: 1\n  - b: 2\n", "- a:\n    b: 1\n    - c: 2\n"] {
            assert!(parse(text).is_err(), "{text}");
            assert_eq!(saphyr_with_options(text), None, "{text}");
        }
        // Nesting deeper than serde-saphyr's limit: its to refuse.
        let deep: String = (0..MAX_DEPTH)
            .map(|i| format!("{}- a:\n", "  ".repeat(i)))
            .collect();
        assert!(parse(&deep).is_err());
        let shallow: String = (0..10)
            .map(|i| format!("{}- a:\n", "  ".repeat(i)))
            .collect();
        assert_eq!(fast(&shallow), saphyr(&shallow));
    }

    /// The items of the real must-gather captures (kubectl's YAML, OpenShift 4.8: pods,
    /// DaemonSets, nodes), each as a `- ` block of a sequence, as the reader is given them (a
    /// document of one object made an item by indenting it).
    fn real_items() -> Vec<String> {
        let mut items: Vec<String> = Vec::new();
        for name in ["pods", "daemonsets", "nodes"] {
            let path = format!(
                "{}/tests/fixtures/real/mustgather-ocp48-aws6-{name}.yaml",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(path).unwrap();
            for doc in text.split("\n---\n") {
                let lines: Vec<&str> = doc.lines().filter(|l| !l.starts_with('#')).collect();
                if !lines.contains(&"items:") {
                    if lines.contains(&"apiVersion: v1") {
                        let indented: Vec<String> =
                            lines.iter().map(|l| format!("  {l}")).collect();
                        items.push(format!("- {}\n", &indented.join("\n")[2..]));
                    }
                    continue;
                }
                let mut open = false;
                for line in lines {
                    if line.starts_with("- ") {
                        items.push(String::new());
                        open = true;
                    } else if !line.starts_with("  ") {
                        // The list's own keys: the item has ended.
                        open = false;
                        continue;
                    }
                    if let Some(item) = items.last_mut().filter(|_| open) {
                        item.push_str(line);
                        item.push('\n');
                    }
                }
            }
        }
        for kind in ["Pod", "DaemonSet", "Node"] {
            let n = items
                .iter()
                .filter(|i| i.contains(&format!("\n  kind: {kind}\n")))
                .count();
            assert!(n >= 6, "{n} {kind} items");
        }
        items
    }

    /// What serde-saphyr reads, with the options the YAML path gives it.
    fn saphyr_with_options(text: &str) -> Option<Value> {
        serde_saphyr::from_str_with_options(text, super::super::stream::yaml_options()).ok()
    }

    /// `rounds` texts made from `items` by one or two random edits each (a byte removed, a
    /// token of YAML's syntax inserted, a line's indentation changed, a line repeated), less
    /// those no longer UTF-8; the same every run.
    fn mutated(items: &[String], rounds: usize) -> Vec<String> {
        const TOKENS: [&str; 20] = [
            ": ", ":", "- ", "-", " ", "  ", "\n", "#", " #", "'", "\"", "|", ">", "{}", "[]",
            "\\", "|+", ">+", "\n\n", "\t",
        ];
        let mut out = Vec::new();
        let mut rng = super::super::Rng(0x2545_f491_4f6c_dd1d);
        let mut below = |n: usize| rng.below(n);
        for round in 0..rounds {
            let mut text = items[round % items.len()].clone().into_bytes();
            for _ in 0..1 + below(2) {
                let at = below(text.len());
                match below(4) {
                    0 => {
                        text.remove(at);
                    }
                    1 => {
                        let t = TOKENS[below(TOKENS.len())];
                        text.splice(at..at, t.bytes());
                    }
                    2 => {
                        // A line's indentation changed: a space more or less at a line start.
                        let start = text[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        if text.get(start) == Some(&b' ') && below(2) == 0 {
                            text.remove(start);
                        } else {
                            text.insert(start, b' ');
                        }
                    }
                    _ => {
                        // A line repeated (a repeated key, or a longer block).
                        let start = text[..at]
                            .iter()
                            .rposition(|&b| b == b'\n')
                            .map_or(0, |i| i + 1);
                        let end = text[at..]
                            .iter()
                            .position(|&b| b == b'\n')
                            .map_or(text.len(), |i| at + i + 1);
                        let line = text[start..end].to_vec();
                        text.splice(end..end, line);
                    }
                }
            }
            if let Ok(text) = String::from_utf8(text) {
                out.push(text);
            }
        }
        out
    }

    /// Whatever an item's text becomes, this reader either reads it as serde-saphyr does or
    /// leaves it to serde-saphyr: it never takes a text serde-saphyr rejects, nor reads one
    /// otherwise.
    #[test]
    fn mutated_items_read_as_serde_saphyr_reads_them_or_are_left_to_it() {
        let items = real_items();
        let fast = |text: &str| {
            parse(text)
                .ok()
                .and_then(|tape| Value::deserialize(&mut Cursor::new(&tape, 0)).ok())
        };
        // Unchanged, most are taken (go-yaml wraps a long plain string over lines, which is
        // left to serde-saphyr), and each taken reads alike.
        let mut real_taken = 0;
        for item in &items {
            if let Some(read) = fast(item) {
                assert_eq!(Some(read), saphyr_with_options(item), "{item}");
                real_taken += 1;
            }
        }
        assert!(
            real_taken * 10 >= items.len() * 8,
            "{real_taken} of {}",
            items.len()
        );
        let (mut taken, mut left) = (0, 0);
        for text in mutated(&items, 20_000) {
            // The stream reads an item the general way if either step fails.
            match fast(&text) {
                Some(got) => {
                    assert_eq!(Some(got), saphyr_with_options(&text), "{text}");
                    taken += 1;
                }
                None => left += 1,
            }
        }
        // Both outcomes happen: the test sees mutations of every kind.
        assert!(taken > 3_000 && left > 5_000, "{taken} {left}");
    }

    /// A pod read through a tape of `shape`, with `blocks` as the memory: the pod and the
    /// length of its tape, or the error of either step (`Err(None)`: the text is refused).
    fn pod_read(
        text: &str,
        blocks: &mut Blocks,
        shape: Shape,
    ) -> Result<(String, usize), Option<String>> {
        let tape = parse_with(text, blocks, shape).map_err(|_| None)?;
        let pod = crate::model::Pod::deserialize(&mut Cursor::new(&tape, 1));
        Ok((
            format!("{:?}", pod.map_err(|e| Some(e.to_string()))?),
            tape.len(),
        ))
    }

    /// [`pod_read`] through the pod's shape.
    fn pod_shaped(text: &str, blocks: &mut Blocks) -> Result<(String, usize), Option<String>> {
        pod_read(text, blocks, Shape::PodItem)
    }

    /// [`pod_read`] through the whole tape.
    fn pod_whole(text: &str, blocks: &mut Blocks) -> Result<(String, usize), Option<String>> {
        pod_read(text, blocks, Shape::Full)
    }

    /// A pod's tape keeps only what `slim::Pod` reads, and reads as the whole tape does, for
    /// real pods and mutations of them (refused alike, the same error, or the same pod), with
    /// a memory of blocks shared by both ways and fresh alike: a block remembered with a pod's
    /// shape is never copied into a whole tape, nor a whole one into a pod's.
    #[test]
    fn pods_read_through_their_shape_as_through_their_whole_tape() {
        let pods: Vec<String> = real_items()
            .into_iter()
            .filter(|i| i.contains("\n  kind: Pod\n"))
            .collect();
        assert!(pods.len() >= 6);
        let mut shared = Blocks::new();
        let (mut short, mut long) = (0, 0);
        for pod in pods.iter().chain(&pods) {
            let (Ok((shaped, shaped_len)), Ok((whole, whole_len))) = (
                pod_shaped(pod, &mut shared),
                pod_whole(pod, &mut Blocks::new()),
            ) else {
                continue;
            };
            assert_eq!(shaped, whole, "{pod}");
            (short, long) = (short + shaped_len, long + whole_len);
            // The whole tape, with a memory that has read this pod's blocks shaped.
            let want = fast_with(pod, &mut Blocks::new());
            assert_eq!(fast_with(pod, &mut shared), want);
            // The shaped tape, with a memory that has read them whole.
            let mut fresh = Blocks::new();
            pod_whole(pod, &mut fresh).unwrap();
            assert_eq!(pod_shaped(pod, &mut fresh), Ok((shaped, shaped_len)));
        }
        // Most of a pod is what its audit does not read.
        assert!(short * 2 < long, "{short} {long}");
        let hits = shared.hits;
        let (mut same, mut refused) = (0, 0);
        for text in mutated(&pods, 6_000) {
            let whole = pod_whole(&text, &mut Blocks::new()).map(|r| r.0);
            let shaped = pod_shaped(&text, &mut shared).map(|r| r.0);
            // A mutation in what the shape steps over cannot change a pod's fields.
            match (&whole, &shaped) {
                (Ok(_), Ok(_)) => same += 1,
                (Err(None), _) => refused += 1,
                _ => {}
            }
            assert_eq!(shaped, whole, "{text}");
        }
        assert!(same > 1_000 && refused > 1_000, "{same} {refused}");
        assert!(shared.hits - hits > 6_000, "{} {hits}", shared.hits);
    }

    /// Values a one-line scalar may be edited to: scalars of every type, and what is not a
    /// one-line scalar at all (a block, a flow collection, a mapping, a comment, an anchor, a
    /// tag, an unclosed quote, a bad escape, a tab or a carriage return, nothing).
    const VALUES: [&str; 48] = [
        "x",
        "node-04711",
        "0",
        "42",
        "-7",
        "1.5",
        "0x1F",
        "true",
        "Yes",
        "null",
        "~",
        "''",
        "'a''b'",
        "\"a\\u0041\"",
        "\"bad\\q\"",
        "'open",
        "a: b",
        "a #c",
        "a#c",
        "|",
        ">-",
        "[a]",
        "{}",
        "[]",
        "&a x",
        "*a",
        "!t x",
        "- x",
        "",
        "a\tb",
        "a\t",
        "a\r",
        "'x'  ",
        "'x' y",
        "'2026-11-07T16:33:42Z'",
        "2026-11-07T16:33:42Z",
        "@x",
        "%x",
        "? x",
        "x: ",
        // Characters of two to four bytes, where the old value's bytes were.
        "\u{e9}",
        "ab\u{e9}",
        "node-\u{e9}",
        "x\u{1f600}",
        "\u{20ac}\u{20ac}",
        "'\u{e9}'",
        "'a: b'",
        "averyveryveryverylongvalue-averyveryveryverylongvalue",
    ];

    /// `rounds` texts made from `items` by replacing what follows the `: ` or the `- ` of one
    /// to three lines with one of [`VALUES`]; the same every run.
    fn value_edits(items: &[String], rounds: usize) -> Vec<String> {
        let mut rng = super::super::Rng(0x9e37_79b9_7f4a_7c15);
        (0..rounds)
            .map(|round| {
                let mut lines: Vec<String> = items[round % items.len()]
                    .lines()
                    .map(String::from)
                    .collect();
                for _ in 0..1 + rng.below(3) {
                    // Half the time near the item's end, where a value shorter than the
                    // template's is at the end of the text.
                    let k = if rng.below(2) == 0 {
                        lines.len() - 1 - rng.below(lines.len().min(12))
                    } else {
                        rng.below(lines.len())
                    };
                    let l = &lines[k];
                    let t = l.trim_start();
                    let at = l
                        .find(": ")
                        .map(|i| i + 2)
                        .or_else(|| t.starts_with("- ").then_some(l.len() - t.len() + 2));
                    if let Some(at) = at {
                        lines[k] = format!("{}{}", &l[..at], VALUES[rng.below(VALUES.len())]);
                    }
                }
                lines.join("\n") + "\n"
            })
            .collect()
    }

    /// A pod read from a tape: its `Debug`, or the error.
    fn pod_of(tape: &[Node<'_>]) -> Result<String, String> {
        crate::model::Pod::deserialize(&mut Cursor::new(tape, 1))
            .map(|p| format!("{p:?}"))
            .map_err(|e| e.to_string())
    }

    /// [`pod_of`] a tape with the parts taken from its template.
    fn pod_of_read(read: &PodTape<'_>) -> Result<String, String> {
        read.pod()
            .map(|p| format!("{p:?}"))
            .map_err(|e| e.to_string())
    }

    /// A pod read as its differences from the template of another reads as serde-saphyr
    /// reads it, and as this reader reads it whole: for edits of its scalars to values of
    /// every kind and for random edits of its text. What the template does not take (a line
    /// more, a key changed, a scalar become a block or a flow, a bad scalar) is left to the
    /// reading whole; both outcomes happen.
    #[test]
    fn pods_read_as_differences_from_a_template_read_as_read_whole() {
        let pods: Vec<String> = real_items()
            .into_iter()
            .filter(|i| i.contains("\n  kind: Pod\n"))
            .collect();
        let (mut taken, mut left, mut shared) = (0, 0, 0);
        let mut scratch = template::Scratch::default();
        for pod in &pods {
            let Ok((tape, recs)) = parse_recording(pod, &mut Blocks::new(), Shape::PodItem, true)
            else {
                continue;
            };
            let t = template::Template::new(pod, &tape, &recs.unwrap());
            // The template reads its own pod as it was read, its shared parts taken.
            let again = t.read(pod, &mut scratch).unwrap();
            assert_eq!(pod_of_read(&again), pod_of(&tape));
            shared += usize::from(again.set.is_some() || again.shared.labels.is_some());
            let one = std::slice::from_ref(pod);
            for text in value_edits(one, 400).iter().chain(&mutated(one, 400)) {
                let Ok(read) = t.read(text, &mut scratch) else {
                    left += 1;
                    continue;
                };
                taken += 1;
                let got = pod_of_read(&read);
                // The whole parse may refuse what the template takes (a quoted `- 'a: b'`
                // entry looks like a compact mapping to it); serde-saphyr is the judge.
                let whole = pod_whole(text, &mut Blocks::new()).map(|r| r.0);
                if whole != Err(None) {
                    assert_eq!(whole, got.clone().map_err(Some), "{text}");
                }
                let value = saphyr_with_options(text).expect(text);
                let want = crate::model::Pod::deserialize(&value[0])
                    .map(|p| format!("{p:?}"))
                    .map_err(|e| e.to_string());
                assert_eq!(got.is_ok(), want.is_ok(), "{text}");
                if got.is_ok() {
                    assert_eq!(got, want, "{text}");
                }
            }
        }
        assert!(taken > 1_000 && left > 1_000, "{taken} {left}");
        assert!(shared * 2 > pods.len(), "{shared} of {}", pods.len());
    }

    /// [`parse_pod`] reads pods through the templates of its thread, and what it reads is
    /// what a parse of the pod alone reads; a pod like one met a few pods before is read
    /// through that one's template.
    #[test]
    fn pods_like_pods_met_before_are_read_through_their_templates() {
        let pods: Vec<String> = real_items()
            .into_iter()
            .filter(|i| i.contains("\n  kind: Pod\n"))
            .collect();
        // Each pod's edits one after another, as kubectl lists one owner's pods.
        let texts: Vec<String> = pods
            .iter()
            .flat_map(|p| value_edits(std::slice::from_ref(p), 300))
            .collect();
        let (hits, mut read_alone, mut parts) = (template::hits(), 0, 0);
        let (mut heads, mut other_kind, mut set) = (0, 0, 0);
        for text in &texts {
            let alone = parse_with(text, &mut Blocks::new(), Shape::PodItem);
            read_alone += usize::from(alone.is_ok());
            let read = parse_pod(text);
            // A template may take what the whole parse leaves to serde-saphyr (a quoted
            // `- 'a: b'` entry looks like a compact mapping to it): serde-saphyr agrees.
            if let (Ok(read), Err(_)) = (&read, &alone) {
                let want = saphyr_with_options(text)
                    .and_then(|v| crate::model::Pod::deserialize(&v[0]).ok())
                    .map(|p| format!("{p:?}"));
                assert_eq!(pod_of_read(read).ok(), want, "{text}");
                continue;
            }
            assert_eq!(read.is_ok(), alone.is_ok(), "{text}");
            if let (Ok(read), Ok(alone)) = (read, alone) {
                assert_eq!(pod_of_read(&read), pod_of(&alone), "{text}");
                // A head taken from the template is the one the pod's own tape gives.
                let fresh = super::super::hash::head_unhashed(&mut Cursor::new(&alone, 1))
                    .map(|h| (h.kind, h.object, h.pyclient, h.items))
                    .ok();
                if let Some(h) = &read.head {
                    assert_eq!(
                        Some((h.kind.clone(), h.object, h.pyclient, h.items)),
                        fresh,
                        "{text}"
                    );
                    heads += 1;
                }
                other_kind += usize::from(!text.contains("\n  kind: Pod\n"));
                set += usize::from(read.set.is_some());
                parts += usize::from(read.set.is_some())
                    + usize::from(read.shared.labels.is_some())
                    + usize::from(read.shared.owners.is_some())
                    + usize::from(read.shared.containers.is_some());
            }
        }
        // Most pods read at all are read through a template (not all: an edit to `[]`, `|`
        // or nothing is read whole).
        let through = template::hits() - hits;
        assert!(through > read_alone / 2, "{through} {read_alone}");
        // Most of those take their label set, owners and containers from the template, and
        // its head; some have another kind.
        assert!(parts > through, "{parts} {through}");
        assert!(
            heads * 2 > through && other_kind > 10,
            "{heads} {other_kind}"
        );
        // Some are set on their template's decoded pod (an edit to the name, a time, ...).
        assert!(set > 100, "{set} {through}");
    }

    /// A pod of another group (its own labels or owners: another Deployment's pod laid out
    /// like the template's) is refused by the template and read whole, becoming its group's
    /// template: the next pod of its group is set on that template's decoded pod. A pod of the
    /// template's own group that differs elsewhere is still read through it. Each reads as
    /// serde-saphyr reads it.
    #[test]
    fn a_pod_of_another_group_starts_a_template_of_its_own() {
        let pod = |app: &str, owner: &str, name: &str, node: &str| {
            format!(
                "- apiVersion: v1\n  kind: Pod\n  metadata:\n    labels:\n      app: {app}\n    name: {name}\n    namespace: apps\n    ownerReferences:\n    - apiVersion: apps/v1\n      controller: true\n      kind: ReplicaSet\n      name: {owner}\n      uid: u-{owner}\n    uid: u-{name}\n  spec:\n    containers:\n    - image: i\n      name: app\n    nodeName: {node}\n  status:\n    phase: Running\n"
            )
        };
        let cart = pod("cart", "cart-1", "cart-1-a", "node-1");
        for other in [
            pod("shop", "cart-1", "cart-1-b", "node-2"),
            pod("cart", "shop-1", "cart-1-b", "node-2"),
            pod("shop", "shop-1", "shop-1-a", "node-2"),
        ] {
            let (got, want) = through_template(&cart, &other);
            assert_eq!(got, Err(None), "{other}");
            assert!(want.is_some(), "{other}");
        }
        // Same group, another node and name: set on the template's decoded pod.
        let (got, want) = through_template(&cart, &pod("cart", "cart-1", "cart-1-b", "node-2"));
        assert_eq!(got, Ok(want.unwrap()));
        // Through this thread's templates: the first shop pod is read whole and the second
        // through its template, not through cart's.
        let texts = [
            cart.clone(),
            pod("shop", "shop-1", "shop-1-a", "node-2"),
            pod("shop", "shop-1", "shop-1-b", "node-3"),
            pod("cart", "cart-1", "cart-1-c", "node-4"),
        ];
        let hits = template::hits();
        for text in &texts {
            let read = parse_pod(text).unwrap();
            let want = saphyr_with_options(text)
                .and_then(|v| crate::model::Pod::deserialize(&v[0]).ok())
                .map(|p| format!("{p:?}"));
            assert_eq!(pod_of_read(&read).ok(), want, "{text}");
        }
        assert_eq!(template::hits() - hits, 2);
    }

    /// The template of the pod `t`, and what it reads of `b` (`Err(None)`: refused), beside
    /// what serde-saphyr reads.
    fn through_template(t: &str, b: &str) -> (Result<String, Option<String>>, Option<String>) {
        let (tape, recs) = parse_recording(t, &mut Blocks::new(), Shape::PodItem, true).unwrap();
        let t = template::Template::new(t, &tape, &recs.unwrap());
        let got = match t.read(b, &mut template::Scratch::default()) {
            Ok(read) => pod_of_read(&read).map_err(Some),
            Err(_) => Err(None),
        };
        let want = saphyr_with_options(b)
            .and_then(|v| crate::model::Pod::deserialize(&v[0]).ok())
            .map(|p| format!("{p:?}"));
        (got, want)
    }

    /// A scalar the tape keeps, at the end of the text or with a character of several bytes
    /// where the template's value ended, is read whole (once sliced at the template's length
    /// before being read again: a panic, and a YAML run that never ended). Found by a review.
    #[test]
    fn a_value_shorter_than_the_templates_or_cut_in_a_character_reads_as_it_is() {
        let t = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    nodeName: node-1\n";
        for b in [
            // Shorter ("n" would be YAML 1.1's false, which no field takes).
            t.replace("node-1", "x1"),
            t.replace("node-1", "node-\u{e9}"),
            t.replace("name: a", "name: \u{e9}\u{e9}"),
        ] {
            let (got, want) = through_template(t, &b);
            assert!(want.is_some(), "{b}");
            assert_eq!(got.ok(), want, "{b}");
        }
        // The same through the template's tape (a node or a name is set on the template's pod
        // without one): the phase, the text's last scalar, shorter, and longer by a character
        // of two bytes that straddles the template's length.
        let t = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n  spec:\n    nodeName: node-1\n  status:\n    phase: Running\n";
        for b in [
            t.replace("Running", "Failed"),
            t.replace("Running", "Runnin\u{e9}"),
        ] {
            let (got, want) = through_template(t, &b);
            assert!(
                want.as_deref().is_some_and(|w| !w.contains("Running")),
                "{b}"
            );
            assert_eq!(got.ok(), want, "{b}");
        }
        let a = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    annotations:\n      note: abc\n    name: a\n  spec:\n    nodeName: node-1\n  status:\n    phase: Running\n";
        let b = a
            .replace("note: abc", "note: ab\u{e9}")
            .replace("name: a", "name: b");
        parse_pod(a).unwrap();
        let read = parse_pod(&b).map(|r| pod_of_read(&r));
        let alone = parse_with(&b, &mut Blocks::new(), Shape::PodItem).map(|t| pod_of(&t));
        assert!(matches!(alone, Ok(Ok(_))), "{b}");
        assert_eq!(read.ok(), alone.ok());
    }

    /// A container's `restartPolicy` (a sidecar's `Always`) and the pod's `overhead` are on a
    /// pod's tape, read as serde-saphyr reads them; a pod that differs from its template in
    /// one of them reads its own (the containers, shared when unchanged, are not taken from
    /// the template).
    #[test]
    fn restart_policies_and_overhead_are_kept_on_a_pods_tape() {
        let t = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    namespace: ns\n  spec:\n    containers:\n    - image: i\n      name: app\n      resources:\n        requests:\n          cpu: 100m\n      restartPolicy: Always\n    initContainers:\n    - image: i\n      name: sc\n      resources:\n        requests:\n          cpu: 400m\n      restartPolicy: Always\n    nodeName: node-1\n    overhead:\n      cpu: 250m\n    runtimeClassName: kata\n  status:\n    phase: Running\n";
        let (shaped, _) = pod_shaped(t, &mut Blocks::new()).unwrap();
        assert_eq!(
            Ok(shaped.clone()),
            pod_whole(t, &mut Blocks::new()).map(|r| r.0)
        );
        for kept in ["restart_policy: \"Always\"", "\"250m\""] {
            assert!(shaped.contains(kept), "{kept} missing from {shaped}");
        }
        let sidecar = "cpu: 400m\n      restartPolicy: Always";
        let container = "cpu: 100m\n      restartPolicy: Always";
        for (from, to, shown) in [
            (
                sidecar,
                "cpu: 400m\n      restartPolicy: Never",
                "\"Never\"",
            ),
            (
                container,
                "cpu: 100m\n      restartPolicy: OnFailure",
                "\"OnFailure\"",
            ),
            ("cpu: 250m", "cpu: 300m", "\"300m\""),
        ] {
            let b = t.replace(from, to);
            assert_ne!(b, t);
            let (got, want) = through_template(t, &b);
            let want = want.expect(&b);
            assert!(want.contains(shown), "{shown} missing from {want}");
            assert_eq!(got, Ok(want), "{b}");
        }
    }

    /// Pod-level `spec.resources` (its requests, which the fit counts instead of the
    /// containers') is on a pod's tape, read as serde-saphyr reads it; a pod whose pod-level
    /// requests differ from its template's reads its own.
    #[test]
    fn pod_level_requests_are_kept_on_a_pods_tape() {
        let t = "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: a\n    namespace: ns\n  spec:\n    containers:\n    - image: i\n      name: app\n      resources:\n        requests:\n          cpu: 100m\n    nodeName: node-1\n    resources:\n      limits:\n        cpu: '2'\n      requests:\n        cpu: 800m\n        memory: 1Gi\n  status:\n    phase: Running\n";
        let (shaped, _) = pod_shaped(t, &mut Blocks::new()).unwrap();
        assert_eq!(
            Ok(shaped.clone()),
            pod_whole(t, &mut Blocks::new()).map(|r| r.0)
        );
        for kept in ["\"800m\"", "\"1Gi\""] {
            assert!(shaped.contains(kept), "{kept} missing from {shaped}");
        }
        for (from, to, shown) in [
            ("cpu: 800m", "cpu: 900m", "\"900m\""),
            ("memory: 1Gi", "memory: 2Gi", "\"2Gi\""),
        ] {
            let b = t.replace(from, to);
            assert_ne!(b, t);
            let (got, want) = through_template(t, &b);
            let want = want.expect(&b);
            assert!(want.contains(shown), "{shown} missing from {want}");
            assert_eq!(got, Ok(want), "{b}");
        }
    }

    /// What this reader reads with `blocks` as its memory of blocks read before.
    fn fast_with(text: &str, blocks: &mut Blocks) -> Option<Value> {
        let tape = parse_with(text, blocks, Shape::Full).ok()?;
        Value::deserialize(&mut Cursor::new(&tape, 0)).ok()
    }

    /// Blocks read once are found again by their text, and the items read the same.
    #[test]
    fn blocks_met_before_are_found_again_and_read_alike() {
        let items = real_items();
        let mut blocks = Blocks::new();
        let first: Vec<_> = items.iter().map(|i| fast_with(i, &mut blocks)).collect();
        let hits = blocks.hits;
        let again: Vec<_> = items.iter().map(|i| fast_with(i, &mut blocks)).collect();
        assert_eq!(first, again);
        let fresh: Vec<_> = items
            .iter()
            .map(|i| fast_with(i, &mut Blocks::new()))
            .collect();
        assert_eq!(first, fresh);
        // And as serde-saphyr reads them (a reference without any memory of blocks).
        for (item, read) in items.iter().zip(&again) {
            if read.is_some() {
                assert_eq!(*read, saphyr_with_options(item), "{item}");
            }
        }
        assert!(again.iter().filter(|r| r.is_some()).count() * 10 >= items.len() * 8);
        assert!(
            blocks.hits - hits > 2 * items.len(),
            "{} {hits}",
            blocks.hits
        );
    }

    /// A block found again is taken only where it reads the same: the line after it alike (its
    /// column, whether it is an entry, whether there is one), its column alike after a dash,
    /// and room for its nesting — the depth limit exactly.
    #[test]
    fn a_block_met_before_is_taken_only_where_it_reads_the_same() {
        let block = "    env:\n    - name: A_LONG_ENOUGH_NAME\n      value: one\n";
        let mut blocks = Blocks::new();
        let pod = |tail: &str| format!("- kind: Pod\n  spec:\n{block}{tail}");
        let base = pod("    other: 1\n");
        assert!(fast_with(&base, &mut blocks).is_some());
        for tail in [
            "    other: 1\n",
            "  status: {}\n",
            "",
            "\n\n    other: 2\n",
            // Read afresh these are not taken: a deeper line, an entry at the key's column.
            "        deeper: 1\n",
            "    - stray: 1\n",
        ] {
            let text = pod(tail);
            let want = fast_with(&text, &mut Blocks::new());
            assert_eq!(fast_with(&text, &mut blocks), want, "{text}");
            if want.is_some() {
                assert_eq!(want, saphyr_with_options(&text), "{text}");
            }
        }
        // A block scalar at the block's end reads the blank lines after it: one more of them,
        // or a line of spaces, is not the block found again.
        for (first, then) in [
            (
                "    script: |+\n      echo the-first-line-of-a-long-script\n\n",
                "\n",
            ),
            (
                "    script: |\n      echo the-first-line-of-a-long-script\n",
                "        \n",
            ),
        ] {
            let item = |extra: &str| format!("- spec:\n{first}{extra}  status: {{}}\n");
            let mut blocks = Blocks::new();
            assert!(fast_with(&item(""), &mut blocks).is_some());
            let text = item(then);
            let want = fast_with(&text, &mut Blocks::new());
            assert_eq!(fast_with(&text, &mut blocks), want, "{text}");
            if want.is_some() {
                assert_eq!(want, saphyr_with_options(&text), "{text}");
            }
            // At the end of the text too.
            let (a, b) = (
                format!("- spec:\n{first}"),
                format!("- spec:\n{first}{then}"),
            );
            let mut blocks = Blocks::new();
            assert!(fast_with(&a, &mut blocks).is_some());
            assert_eq!(
                fast_with(&b, &mut blocks),
                fast_with(&b, &mut Blocks::new()),
                "{b}"
            );
        }
        // The same entry text after a dash at another column: read as it stands.
        let entry = "- name: A_LONG_ENOUGH_NAME_FOR_THE_PREFIX\n  value: one\n";
        let shifted = "- - name: A_LONG_ENOUGH_NAME_FOR_THE_PREFIX\n  value: one\n";
        assert!(fast_with(entry, &mut blocks).is_some());
        assert_eq!(
            fast_with(shifted, &mut blocks),
            fast_with(shifted, &mut Blocks::new())
        );
        // Nesting: a block of 40 levels at column 100, placed under more and more levels (one
        // space each, so that its text stays the same), to the depth limit and one past it.
        let mut nested = String::new();
        for level in 0..40 {
            let indent = " ".repeat(100 + 2 * level);
            nested.push_str(&format!("{indent}level-{level:02}-of-forty-levels:\n"));
        }
        nested.push_str(&format!("{}leaf: value\n", " ".repeat(180)));
        let placed = |depth: usize| {
            let mut text = String::from("- x:\n");
            for level in 0..depth {
                text.push_str(&format!("{}k{level}:\n", " ".repeat(2 + level)));
            }
            text + &nested
        };
        let limit = (0..120)
            .find(|&d| fast_with(&placed(d + 1), &mut Blocks::new()).is_none())
            .unwrap();
        assert!(limit > 40, "{limit}");
        let mut blocks = Blocks::new();
        assert!(fast_with(&placed(0), &mut blocks).is_some());
        let hits = blocks.hits;
        let (at_limit, beyond) = (placed(limit), placed(limit + 1));
        assert_eq!(
            fast_with(&at_limit, &mut blocks),
            fast_with(&at_limit, &mut Blocks::new())
        );
        assert!(blocks.hits > hits, "found again at the limit");
        let hits = blocks.hits;
        assert_eq!(fast_with(&beyond, &mut blocks), None);
        assert_eq!(blocks.hits, hits, "nothing found again one level deeper");
    }
}
