//! Pods read as what differs from a pod read before.
//!
//! The pods of one DaemonSet (or one ReplicaSet) are, in kubectl's YAML, the same lines with
//! other values: a name, a uid, a node's name, the token volume's name, IPs, timestamps. A pod
//! read whole becomes a [`Template`]: its text, its tape, and for each line where a one-line
//! scalar stands (after a key's `: ` or an entry's `- `), where the scalar starts and which node
//! of the tape holds it. A pod met later is compared with the template byte by byte; where a
//! line differs, it must differ only from where the template's scalar starts, and its rest must
//! be a one-line scalar as [`line_scalar`] reads it (plain, or quoted with only spaces after).
//! Then the pod is the template's lines with other scalars: the same keys, the same nesting and
//! the same kinds of node, so its parse is the template's with those scalars in place (no scalar
//! of one line changes how another line reads: [`P::map`] and [`P::seq`] refuse a line deeper
//! than the node before it, and the lines around are the template's). Its tape is the template's,
//! text found at the same places shifted by what the lines before grew or shrank, and the nodes
//! of the lines that differ read again. Anything else — a line more or less, a key that
//! differs, a value that becomes a block, a flow collection, a comment or a control character —
//! and the pod is read whole ([`super::parse_recording`]) and becomes a template in its turn.
//!
//! What pods share (a label set, owner references, the containers' names, requests and restart
//! policies) the template also holds decoded and shared ([`SharedParts`]): where none of its
//! scalars that the tape keeps differ, its value on the tape is a null and the pod takes the
//! template's, as the JSON reader's pods take theirs from `KnownRuns` (`fastjson.rs`).
//!
//! And where every scalar that differs is one whose part in the decoded pod is known
//! ([`Role`]: the name, uid, resourceVersion, creation time and node of the pod, a condition's
//! time, a value of the node affinity a bound pod drops, a member the decoding ignores), the
//! pod is the template's decoded pod with those set, each read by the very function its field
//! is decoded with: no tape, no decoding of the rest ([`Base`]). A value any such function
//! refuses is left to the tape, whose decoding reports it as before.

use std::borrow::Cow;
use std::cell::RefCell;

use serde::Deserialize;

use super::super::hash::{self, Head};
use super::{Cursor, Kept, Node, R, Unsupported, from_kept, has_control, line_scalar, to_kept};
use crate::model::{
    self, Condition, InlineStr, Interned, Labels, OwnerReference, PodConditions, Shared,
    SharedList, slim,
};
use std::rc::Rc;

/// Where a one-line scalar was read: the start of its line and its own start (bytes in the
/// text), and its node (`OFF`: left off the tape, [`super::Shape::Skip`]).
#[derive(Clone, Copy, Debug)]
pub(in super::super) struct Rec {
    pub(in super::super) line: u32,
    pub(in super::super) value: u32,
    pub(in super::super) node: u32,
}

const OFF: u32 = u32::MAX;

/// The tape was cut back to `mark` nodes: the scalars read since are left off it.
pub(super) fn left_off(recs: &mut [Rec], mark: usize) {
    for r in recs.iter_mut().rev() {
        if r.node != OFF && (r.node as usize) < mark {
            break;
        }
        r.node = OFF;
    }
}

/// A pod read whole, to read others as their differences from it.
pub(super) struct Template {
    text: Box<str>,
    /// Where each line starts.
    lines: Vec<u32>,
    /// Per line: where its one-line scalar starts, from the line's start, and its node (`OFF`:
    /// no such scalar, or not on the tape).
    values: Vec<(u32, u32)>,
    /// The tape, text as places in `text`; and for each node, the line of its text.
    tape: Vec<Kept>,
    node_lines: Vec<u32>,
    /// The parts pods share: where each value lies on the tape, and the template's decoded.
    parts: Vec<Part>,
    shared: SharedParts,
    /// The template's [`Head`], and the node of its `kind`: a pod whose `kind` is the
    /// template's has its head (the head reads the keys of the top level and of `metadata`,
    /// and the value of `kind`; the keys are the template's).
    head: Option<(Rc<Head>, Option<u32>)>,
    /// The template's pod decoded, to set what differs on.
    base: Option<Base>,
}

/// What a kept scalar of a template's tape is to the pod decoded from it.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Role {
    /// Anything else: a pod where it differs is decoded from its tape.
    No,
    /// A member `slim::Pod` does not read (ignored by its decoding whatever it holds), or
    /// under a container state's `running` (read as `IgnoredAny`).
    Ignored,
    Name,
    Uid,
    ResourceVersion,
    Created,
    NodeName,
    /// A string of `spec.affinity`, which a bound pod drops (`From<slim::Pod>`); every string
    /// of `model::Affinity` is a plain `String`, so another string decodes alike.
    Affinity,
    /// `lastTransitionTime` of the condition at this place in `status.conditions`.
    ConditionTime(u32),
}

/// A template's pod decoded, with what each kept scalar of its tape is to it.
struct Base {
    pod: model::Pod,
    /// The conditions `slim::Conditions` kept, and for each condition of the tape, its place
    /// among them (if kept).
    conditions: Vec<Condition>,
    kept_at: Vec<Option<usize>>,
    roles: Vec<Role>,
}

/// The keys and values of the mapping at node `map` (none if it is not one).
fn entries<'t, 'a>(tape: &'t [Node<'a>], map: usize) -> Vec<(&'t str, usize)> {
    let Some(Node::Map { len, .. }) = tape.get(map) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(*len as usize);
    let mut i = map + 1;
    for _ in 0..*len {
        let Node::Key(k) = &tape[i] else {
            return Vec::new();
        };
        out.push((k.as_ref(), i + 1));
        i = after(tape, i + 1);
    }
    out
}

/// The entries of the sequence at node `seq` (none if it is not one).
fn elements(tape: &[Node<'_>], seq: usize) -> Vec<usize> {
    let Some(Node::Seq { len, .. }) = tape.get(seq) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(*len as usize);
    let mut i = seq + 1;
    for _ in 0..*len {
        out.push(i);
        i = after(tape, i);
    }
    out
}

impl Base {
    /// The base of a pod's tape (a list item: the pod at node 1), decoded as `pod` with the
    /// conditions `slim::Conditions` kept; none if it is not bound to a node (an unbound pod
    /// keeps its affinity).
    fn new(tape: &[Node<'_>], pod: model::Pod, conditions: Vec<Condition>) -> Option<Base> {
        // One list item (a set pod has no tape for `fast_yaml_item` to check this on).
        if !matches!(tape.first(), Some(Node::Seq { len: 1, .. })) {
            return None;
        }
        if pod.spec.node_name.is_empty() {
            return None;
        }
        let mut roles = vec![Role::No; tape.len()];
        let mark = |roles: &mut Vec<Role>, at: usize, role: Role| {
            for r in &mut roles[at..after(tape, at)] {
                *r = role;
            }
        };
        let scalar = |at: usize| !matches!(tape[at], Node::Map { .. } | Node::Seq { .. });
        let mut kept_at = Vec::new();
        for (key, at) in entries(tape, 1) {
            match key {
                "apiVersion" | "kind" => {}
                "metadata" => {
                    for (key, at) in entries(tape, at) {
                        let role = match key {
                            "name" => Role::Name,
                            "uid" => Role::Uid,
                            "resourceVersion" => Role::ResourceVersion,
                            "creationTimestamp" => Role::Created,
                            // `slim::Meta`'s other members.
                            "namespace" | "deletionTimestamp" | "labels" | "annotations"
                            | "ownerReferences" => continue,
                            _ => {
                                mark(&mut roles, at, Role::Ignored);
                                continue;
                            }
                        };
                        if scalar(at) {
                            roles[at] = role;
                        }
                    }
                }
                "spec" => {
                    for (key, at) in entries(tape, at) {
                        match key {
                            "nodeName" if scalar(at) => roles[at] = Role::NodeName,
                            "affinity" => {
                                for i in at..after(tape, at) {
                                    if matches!(tape[i], Node::Str(_)) {
                                        roles[i] = Role::Affinity;
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "status" => {
                    for (key, at) in entries(tape, at) {
                        match key {
                            "conditions" => {
                                let mut kept = 0;
                                for (k, entry) in elements(tape, at).into_iter().enumerate() {
                                    let c = Condition::deserialize(&mut Cursor::new(tape, entry))
                                        .ok()?;
                                    let read =
                                        slim::is_read(c.type_.as_bytes(), c.status.as_bytes());
                                    kept_at.push(read.then_some(kept));
                                    kept += usize::from(read);
                                    for (key, at) in entries(tape, entry) {
                                        if key == "lastTransitionTime" && scalar(at) {
                                            roles[at] = Role::ConditionTime(k as u32);
                                        }
                                    }
                                }
                            }
                            "containerStatuses" | "initContainerStatuses" => {
                                for entry in elements(tape, at) {
                                    for (key, at) in entries(tape, entry) {
                                        if !matches!(key, "state" | "lastState") {
                                            continue;
                                        }
                                        // What `running` holds, not whether it is
                                        // there: `Option<IgnoredAny>` tells null apart.
                                        for (key, at) in entries(tape, at) {
                                            if key == "running"
                                                && matches!(tape[at], Node::Map { .. })
                                            {
                                                mark(&mut roles, at, Role::Ignored);
                                                roles[at] = Role::No;
                                            }
                                        }
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                // Not a member of `slim::Pod`.
                _ => mark(&mut roles, at, Role::Ignored),
            }
        }
        Some(Base {
            pod,
            conditions,
            kept_at,
            roles,
        })
    }

    /// The pod of a text whose kept scalars that differ are `kept` (node, and place in
    /// `text`), when each is one whose part is known and reads as its field reads it.
    fn patch(&self, kept: &[(u32, u32, u32)], text: &str) -> Option<model::Pod> {
        if kept
            .iter()
            .any(|(node, ..)| self.roles[*node as usize] == Role::No)
        {
            return None;
        }
        let mut pod = self.pod.clone();
        let mut conditions: Option<Vec<Condition>> = None;
        for &(node, from, to) in kept {
            let n = line_scalar(&text[from as usize..to as usize]).ok()?;
            let one = || Cursor::new(std::slice::from_ref(&n), 0);
            match self.roles[node as usize] {
                Role::No => return None,
                Role::Ignored => {}
                Role::Name => {
                    pod.metadata.name = model::nullable::<_, InlineStr<30>>(&mut one()).ok()?
                }
                Role::Uid => {
                    pod.metadata.uid = model::nullable::<_, InlineStr<36>>(&mut one()).ok()?
                }
                Role::ResourceVersion => {
                    pod.metadata.resource_version =
                        model::nullable::<_, InlineStr<14>>(&mut one()).ok()?;
                }
                Role::Created => {
                    pod.metadata.creation_timestamp = model::timestamp(&mut one()).ok()?.into();
                }
                Role::NodeName => {
                    let node: Interned = model::nullable(&mut one()).ok()?;
                    if node.is_empty() {
                        return None;
                    }
                    pod.spec.node_name = node;
                }
                Role::Affinity => {
                    if !matches!(n, Node::Str(_)) {
                        return None;
                    }
                }
                Role::ConditionTime(k) => {
                    let time = model::timestamp(&mut one()).ok()?;
                    if let Some(j) = self.kept_at[k as usize] {
                        conditions.get_or_insert_with(|| self.conditions.clone())[j]
                            .last_transition_time = time;
                    }
                }
            }
        }
        if let Some(c) = conditions {
            pod.status.conditions = PodConditions::from_kept(c);
        }
        Some(pod)
    }
}

/// A value on a template's tape that pods share: its node and where it ends.
#[derive(Clone, Copy)]
struct Part {
    which: Which,
    value: u32,
    end: u32,
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Which {
    Labels,
    Owners,
    Containers,
}

/// A pod's parts taken from its template: each, when present, stands for the null on the
/// pod's tape.
#[derive(Clone, Default)]
pub(in super::super) struct SharedParts {
    pub(in super::super) labels: Option<Shared<Labels>>,
    pub(in super::super) owners: Option<SharedList<OwnerReference>>,
    pub(in super::super) containers: Option<SharedList<model::Container>>,
}

/// A pod's tape, and what of it is taken from its template.
pub(in super::super) struct PodTape<'a> {
    /// Empty when the pod was set on its template's ([`Base`]).
    pub(in super::super) tape: Vec<Node<'a>>,
    /// The pod, set on its template's decoded pod.
    pub(in super::super) set: Option<model::Pod>,
    pub(in super::super) shared: SharedParts,
    /// Its head, when it is its template's ([`Template::head`]).
    pub(in super::super) head: Option<Rc<Head>>,
}

impl PodTape<'_> {
    /// The pod (the tape's node 1 on), with the parts taken from its template.
    pub(in super::super) fn pod(&self) -> Result<model::Pod, serde_json::Error> {
        if let Some(pod) = &self.set {
            return Ok(pod.clone());
        }
        let mut p = slim::Pod::deserialize(&mut Cursor::new(&self.tape, 1))?;
        let SharedParts {
            labels,
            owners,
            containers,
        } = self.shared.clone();
        if labels.is_some() {
            p.metadata.shared_labels = labels;
        }
        if owners.is_some() {
            p.metadata.shared_owners = owners;
        }
        if containers.is_some() {
            p.spec.shared_containers = containers;
        }
        Ok(p.into())
    }
}

/// Where the value at node `i` of a tape ends.
fn after(tape: &[Node<'_>], i: usize) -> usize {
    match tape[i] {
        Node::Map { end, .. } | Node::Seq { end, .. } => end as usize,
        _ => i + 1,
    }
}

/// The value of `key` in the mapping at node `map`, if it is one.
fn member(tape: &[Node<'_>], map: usize, key: &str) -> Option<usize> {
    entries(tape, map)
        .into_iter()
        .find_map(|(k, at)| (k == key).then_some(at))
}

/// The parts of a pod's tape (a list item: the pod at node 1) pods share, and their values in
/// `pod`, the tape decoded (interned as decoding interns them).
fn shared_parts(tape: &[Node<'_>], pod: &model::Pod) -> (Vec<Part>, SharedParts) {
    let mut parts = Vec::new();
    let meta = member(tape, 1, "metadata");
    let spec = member(tape, 1, "spec");
    for (which, at) in [
        (Which::Labels, meta.and_then(|m| member(tape, m, "labels"))),
        (
            Which::Owners,
            meta.and_then(|m| member(tape, m, "ownerReferences")),
        ),
        (
            Which::Containers,
            spec.and_then(|s| member(tape, s, "containers")),
        ),
    ] {
        let Some(at) = at else { continue };
        let shape = matches!(
            (which, &tape[at]),
            (Which::Labels, Node::Map { .. })
                | (Which::Owners | Which::Containers, Node::Seq { .. })
        );
        if shape {
            parts.push(Part {
                which,
                value: at as u32,
                end: after(tape, at) as u32,
            });
        }
    }
    let has = |w: Which| parts.iter().any(|p| p.which == w);
    let shared = SharedParts {
        labels: has(Which::Labels).then(|| pod.metadata.labels.clone()),
        owners: has(Which::Owners).then(|| pod.metadata.owner_references.clone()),
        containers: has(Which::Containers).then(|| pod.spec.containers.clone()),
    };
    (parts, shared)
}

/// How many templates a thread keeps (the most recently used first): pods of a few owners
/// can alternate in a dump (kubectl sorts pods by namespace and name).
const TEMPLATES: usize = 4;

thread_local! {
    static KNOWN: RefCell<Known> = RefCell::new(Known::default());
}

#[derive(Default)]
struct Known {
    templates: Vec<Template>,
    scratch: Scratch,
    /// Pods read through a template (for the tests).
    hits: usize,
}

impl Template {
    /// The template of `text`, read whole into `tape` with `recs` recorded.
    pub(super) fn new(text: &str, tape: &[Node<'_>], recs: &[Rec]) -> Template {
        let b = text.as_bytes();
        let mut lines = vec![0u32];
        lines.extend(
            memchr::memchr_iter(b'\n', b)
                .filter(|&k| k + 1 < b.len())
                .map(|k| (k + 1) as u32),
        );
        let line_of = |at: u32| lines.partition_point(|&s| s <= at) - 1;
        let mut values = vec![(OFF, OFF); lines.len()];
        for r in recs {
            values[line_of(r.line)] = (r.value - r.line, r.node);
        }
        let base = text.as_ptr() as usize;
        let kept: Vec<Kept> = tape.iter().map(|n| to_kept(n, base, b.len(), 0)).collect();
        let node_lines = kept
            .iter()
            .map(|k| match k {
                Kept::Key(super::KeptText::At { from, .. })
                | Kept::Str(super::KeptText::At { from, .. }) => line_of(*from) as u32,
                _ => 0,
            })
            .collect();
        // The template's pod, decoded once: the parts pods share, and the base to set pods on.
        let decoded = slim::Pod::deserialize(&mut Cursor::new(tape, 1))
            .ok()
            .map(|slim| (slim.status.conditions.0.clone(), model::Pod::from(slim)));
        let (parts, shared) = match &decoded {
            Some((_, pod)) => shared_parts(tape, pod),
            None => (Vec::new(), SharedParts::default()),
        };
        let head = hash::head_unhashed(&mut Cursor::new(tape, 1))
            .ok()
            .map(|h| (Rc::new(h), member(tape, 1, "kind").map(|k| k as u32)));
        // A pod is set on the base only with the template's head (its kind unchanged).
        let base = decoded
            .filter(|_| head.is_some())
            .and_then(|(conditions, pod)| Base::new(tape, pod, conditions));
        Template {
            text: text.into(),
            lines,
            values,
            tape: kept,
            node_lines,
            parts,
            shared,
            head,
            base,
        }
    }

    /// `text` read as what differs from this template, or [`Unsupported`]; `scratch` is
    /// emptied and used.
    pub(super) fn read<'a>(&self, text: &'a str, scratch: &mut Scratch) -> R<PodTape<'a>> {
        let (a, b) = (self.text.as_bytes(), text.as_bytes());
        let (mut i, mut j, mut line) = (0, 0, 0);
        // The lines that differ, each with how far the text after it has moved; the scalars
        // the tape keeps, by node, as places in `text`.
        let Scratch { moved, kept } = scratch;
        moved.clear();
        kept.clear();
        loop {
            let k = same_len(&a[i..], &b[j..]);
            (i, j) = (i + k, j + k);
            match (i == a.len(), j == b.len()) {
                (true, true) => break,
                (false, false) => {}
                _ => return Err(Unsupported),
            }
            line += self.lines[line..].partition_point(|&s| s as usize <= i) - 1;
            let start = self.lines[line] as usize;
            let (value, node) = self.values[line];
            if value == OFF || i - start < value as usize {
                return Err(Unsupported);
            }
            // The template's line ends where its next line starts; the pod's is near (a
            // scalar's rest): `memchr`'s set-up cost more than the search, 5 % of the reading.
            let a_end = match self.lines.get(line + 1) {
                Some(&next) => next as usize - 1,
                None => line_end(a, i),
            };
            let b_end = line_end(b, j);
            let from = j - (i - start) + value as usize;
            if has_control(&b[from..b_end]) {
                return Err(Unsupported);
            }
            if node == OFF {
                line_scalar(&text[from..b_end])?;
            } else {
                // Read below, into its place on the tape.
                kept.push((node, from as u32, b_end as u32));
            }
            moved.push((line as u32, b_end as isize - a_end as isize));
            (i, j) = (a_end, b_end);
        }
        if let Some(base) = &self.base {
            if let Some(pod) = base.patch(kept, text) {
                return Ok(PodTape {
                    tape: Vec::new(),
                    set: Some(pod),
                    shared: SharedParts::default(),
                    head: self.head.as_ref().map(|(head, _)| Rc::clone(head)),
                });
            }
            // A pod of another group (labels or owners of its own: another Deployment's pods,
            // laid out like this one's) is not read through this template: read whole, it
            // becomes its group's, through which the next ones of its group are set on the
            // decoded pod instead of each decoded from a tape (72,000 of the 5,000-node YAML
            // dump's pods were: a fifth of the instructions of reading it). A pod of this group
            // that differs elsewhere (a container's, a status) is still read from the tape.
            let in_part = |node: u32| {
                self.parts.iter().any(|p| {
                    matches!(p.which, Which::Labels | Which::Owners)
                        && (p.value..p.end).contains(&node)
                })
            };
            if kept
                .iter()
                .any(|&(node, ..)| base.roles[node as usize] == Role::No && in_part(node))
            {
                return Err(Unsupported);
            }
        }
        // The parts none of whose kept scalars differ: a null on the tape, the template's value.
        let mut shared = SharedParts::default();
        let mut nulled: [(u32, u32); 3] = [(u32::MAX, u32::MAX); 3];
        for (k, part) in self.parts.iter().enumerate() {
            if kept
                .iter()
                .any(|(node, ..)| (part.value..part.end).contains(node))
            {
                continue;
            }
            nulled[k] = (part.value, part.end);
            match part.which {
                Which::Labels => shared.labels.clone_from(&self.shared.labels),
                Which::Owners => shared.owners.clone_from(&self.shared.owners),
                Which::Containers => shared.containers.clone_from(&self.shared.containers),
            }
        }
        nulled.sort_unstable();
        // How many nodes fewer the tape has before node `end` of the template's.
        let fewer = |end: u32| -> u32 {
            nulled
                .iter()
                .filter(|(at, _)| *at < end)
                .map(|(at, to)| to - at - 1)
                .sum()
        };
        // The template's nodes, text moved as the lines before it, a null for each part taken.
        let mut tape = Vec::with_capacity(self.tape.len());
        let (mut shift, mut m) = (0isize, 0);
        let mut from = 0;
        for &(at, to) in nulled.iter().chain([&(self.tape.len() as u32, 0)]) {
            let at = (at as usize).min(self.tape.len());
            let nodes = self.tape[from..at].iter().zip(&self.node_lines[from..at]);
            tape.extend(nodes.map(|(k, &line)| match k {
                Kept::Map { len, end } => Node::Map {
                    len: *len,
                    end: end - fewer(*end),
                },
                Kept::Seq { len, end } => Node::Seq {
                    len: *len,
                    end: end - fewer(*end),
                },
                k => {
                    while let Some(&(l, s)) = moved.get(m)
                        && l < line
                    {
                        shift = s;
                        m += 1;
                    }
                    from_kept(k, 0, |t| match t {
                        // The scalar of a line that differs is read below, into its place:
                        // its old length may run past the new text or into a character.
                        super::KeptText::At { from, len } => {
                            let from = (*from as isize + shift) as usize;
                            Cow::Borrowed(text.get(from..from + *len as usize).unwrap_or(""))
                        }
                        super::KeptText::Owned(o) => Cow::Owned(o.to_string()),
                    })
                }
            }));
            if at == self.tape.len() {
                break;
            }
            tape.push(Node::Null);
            from = to as usize;
        }
        // The scalars that differ, in their places (those in a part taken are not on the tape).
        for &(node, from, to) in kept.iter() {
            if nulled.iter().all(|(at, to)| !(*at..*to).contains(&node)) {
                tape[(node - fewer(node)) as usize] =
                    line_scalar(&text[from as usize..to as usize])?;
            }
        }
        let head = self.head.as_ref().and_then(|(head, kind)| {
            let changed = kind.is_some_and(|kind| kept.iter().any(|(node, ..)| *node == kind));
            (!changed).then(|| Rc::clone(head))
        });
        Ok(PodTape {
            tape,
            set: None,
            shared,
            head,
        })
    }
}

/// What [`Template::read`] gathers, kept from pod to pod.
#[derive(Default)]
pub(super) struct Scratch {
    moved: Vec<(u32, isize)>,
    kept: Vec<(u32, u32, u32)>,
}

/// Where the line holding `b[j]` ends: its newline, or the end of `b`. Sixteen bytes at a time
/// for the first 32 (SSE2), then `memchr`.
fn line_end(b: &[u8], j: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{
            _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_set1_epi8,
        };
        for from in [j, j + 16] {
            let Some(chunk) = b.get(from..from + 16) else {
                break;
            };
            // SAFETY: SSE2 is part of every x86_64 target; `chunk` holds 16 bytes, and `loadu`
            // has no alignment requirement.
            let at = unsafe {
                let v = _mm_loadu_si128(chunk.as_ptr().cast());
                _mm_movemask_epi8(_mm_cmpeq_epi8(v, _mm_set1_epi8(b'\n' as i8)))
            };
            if at != 0 {
                return from + at.trailing_zeros() as usize;
            }
        }
    }
    memchr::memchr(b'\n', &b[j..]).map_or(b.len(), |k| j + k)
}

/// How many bytes `a` and `b` start with alike: 64 at a time where the processor has AVX2,
/// else 32 at a time (SSE2), then eight, then one. (Comparing pods with their templates is most
/// of the instructions of reading them.)
fn same_len(a: &[u8], b: &[u8]) -> usize {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked above).
        return unsafe { avx2_same_len(a, b) };
    }
    narrow_same_len(a, b)
}

/// [`same_len`] 64 bytes at a time, the rest by [`narrow_same_len`].
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_same_len(a: &[u8], b: &[u8]) -> usize {
    use std::arch::x86_64::{_mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8};
    let n = a.len().min(b.len());
    let mut i = 0;
    while i + 64 <= n {
        // SAFETY: both hold 64 bytes from `i`, and `loadu` has no alignment requirement.
        let (a0, a1, b0, b1) = unsafe {
            (
                _mm256_loadu_si256(a.as_ptr().add(i).cast()),
                _mm256_loadu_si256(a.as_ptr().add(i + 32).cast()),
                _mm256_loadu_si256(b.as_ptr().add(i).cast()),
                _mm256_loadu_si256(b.as_ptr().add(i + 32).cast()),
            )
        };
        let low = u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a0, b0)) as u32);
        let high = u64::from(_mm256_movemask_epi8(_mm256_cmpeq_epi8(a1, b1)) as u32);
        let same = low | high << 32;
        if same != u64::MAX {
            return i + same.trailing_ones() as usize;
        }
        i += 64;
    }
    i + narrow_same_len(&a[i..], &b[i..])
}

/// [`same_len`] without AVX2.
fn narrow_same_len(a: &[u8], b: &[u8]) -> usize {
    let n = a.len().min(b.len());
    let mut i = 0;
    #[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
    while i + 32 <= n {
        // SAFETY: SSE2 is part of the target (the `cfg` above); both hold 32 bytes from `i`.
        let same = unsafe { sse2_same(&a[i..i + 32], &b[i..i + 32]) };
        if same != u32::MAX {
            return i + same.trailing_ones() as usize;
        }
        i += 32;
    }
    while i + 8 <= n {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().unwrap());
        let y = u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        if x != y {
            return i + ((x ^ y).trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < n && a[i] == b[i] {
        i += 1;
    }
    i
}

/// A bit for each of 32 bytes, set where `a` and `b` hold the same byte.
#[cfg(all(target_arch = "x86_64", target_feature = "sse2"))]
#[target_feature(enable = "sse2")]
fn sse2_same(a: &[u8], b: &[u8]) -> u32 {
    use std::arch::x86_64::{_mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8};
    assert!(a.len() >= 32 && b.len() >= 32);
    // SAFETY: both hold 32 bytes, and `loadu` has no alignment requirement.
    let (a0, a1, b0, b1) = unsafe {
        (
            _mm_loadu_si128(a.as_ptr().cast()),
            _mm_loadu_si128(a.as_ptr().add(16).cast()),
            _mm_loadu_si128(b.as_ptr().cast()),
            _mm_loadu_si128(b.as_ptr().add(16).cast()),
        )
    };
    let low = _mm_movemask_epi8(_mm_cmpeq_epi8(a0, b0)) as u32 & 0xffff;
    let high = _mm_movemask_epi8(_mm_cmpeq_epi8(a1, b1)) as u32 & 0xffff;
    low | high << 16
}

/// `text` read through one of this thread's templates, the one that read it first after.
pub(super) fn read_known(text: &str) -> Option<PodTape<'_>> {
    KNOWN.with(|known| {
        let known = &mut *known.borrow_mut();
        let (k, tape) = known
            .templates
            .iter()
            .enumerate()
            .find_map(|(k, t)| t.read(text, &mut known.scratch).ok().map(|tape| (k, tape)))?;
        known.templates[..=k].rotate_right(1);
        known.hits += 1;
        Some(tape)
    })
}

/// Keep `t` as this thread's most recent template.
pub(super) fn learn(t: Template) {
    KNOWN.with(|known| {
        let mut known = known.borrow_mut();
        known.templates.truncate(TEMPLATES - 1);
        known.templates.insert(0, t);
    });
}

/// Pods this thread has read through a template.
#[cfg(test)]
pub(super) fn hits() -> usize {
    KNOWN.with(|known| known.borrow().hits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line's end is its first newline from the place asked, or the text's end, wherever it
    /// stands about the sixteen-byte probes.
    #[test]
    fn a_line_ends_at_its_first_newline() {
        for len in 0..80usize {
            for nl in (0..len).map(Some).chain([None]) {
                let mut text = vec![b'x'; len];
                if let Some(k) = nl {
                    text[k] = b'\n';
                    if k + 3 < len {
                        text[k + 3] = b'\n';
                    }
                }
                for j in 0..=len {
                    let want = memchr::memchr(b'\n', &text[j..]).map_or(len, |k| j + k);
                    assert_eq!(line_end(&text, j), want, "{len} {nl:?} {j}");
                }
            }
        }
    }

    /// Every way of comparing finds the first difference where a byte-by-byte walk does, for
    /// every length about the 8-, 32- and 64-byte steps and every place of the difference.
    #[test]
    fn the_same_length_is_where_the_first_byte_differs() {
        let reference = |a: &[u8], b: &[u8]| a.iter().zip(b).take_while(|(x, y)| x == y).count();
        for len in (0..140usize).chain([255, 256, 257]) {
            let a: Vec<u8> = (0..len).map(|k| (k * 7 % 251) as u8).collect();
            for cut in [len, len.saturating_sub(1), len / 2] {
                let b = &a[..cut];
                assert_eq!(same_len(&a, b), cut);
                assert_eq!(narrow_same_len(b, &a), cut);
            }
            for at in 0..len {
                let mut b = a.clone();
                b[at] ^= 0x20;
                let want = reference(&a, &b);
                assert_eq!(want, at);
                assert_eq!(narrow_same_len(&a, &b), want, "{len} {at}");
                assert_eq!(same_len(&a, &b), want, "{len} {at}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor has AVX2 (checked above).
                    assert_eq!(unsafe { avx2_same_len(&a, &b) }, want, "{len} {at}");
                }
            }
        }
    }
}
