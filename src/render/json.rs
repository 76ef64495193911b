//! A DaemonSet's `-o json` text written by hand where the report is largest: its `nodes`, one
//! object per (DaemonSet, node) pair and one per daemon pod (about 26 lines a pair, 11 million
//! lines at 15,000 nodes). serde_json's pretty serializer spends a call through its formatter on
//! every token; here a pair is a few appends to one buffer. Everything else in the DaemonSet's
//! report (placement, counts, statuses, exclusions, ...) and every pair's reasons (only pairs
//! with a problem have any) still go through serde_json. The bytes are those
//! `serde_json::to_writer_pretty` writes of the derived `Serialize` (tests here and in
//! `tests/bench_shape.rs` compare them).

use serde::Serialize;

use crate::report::{DaemonSetReport, PairReport, PodReport};

/// `report` as `serde_json::to_writer_pretty` writes it `depth` levels deep in a document (its
/// lines after the first indented two spaces a level more), appended to `out`.
pub(super) fn daemon_set(
    report: &DaemonSetReport,
    depth: usize,
    out: &mut Vec<u8>,
) -> serde_json::Result<()> {
    // Room for the pairs at once (a pair with its pod is about 550 bytes) rather than the text
    // grown by doubling, each step copying what was written.
    out.reserve(4096 + 640 * report.nodes.len());
    let mut w = Pretty {
        out,
        depth,
        keys: None,
    };
    w.out.push(b'{');
    w.depth += 1;
    w.key(true, "namespace");
    w.str(&report.namespace)?;
    w.key(false, "name");
    w.str(&report.name)?;
    w.key(false, "uid");
    w.str(&report.uid)?;
    w.key(false, "fromManifest");
    w.bool(report.from_manifest);
    w.key(false, "updateStrategy");
    w.value(&report.update_strategy)?;
    w.key(false, "currentRevision");
    w.value(&report.current_revision)?;
    w.key(false, "placement");
    w.value(&report.placement)?;
    w.key(false, "counts");
    w.value(&report.counts)?;
    w.key(false, "computedStatus");
    w.value(&report.computed_status)?;
    w.key(false, "controllerStatus");
    w.value(&report.controller_status)?;
    w.key(false, "statusAgrees");
    w.value(&report.status_agrees)?;
    w.key(false, "nodes");
    w.each(&report.nodes, Pretty::pair)?;
    w.key(false, "exclusions");
    w.value(&report.exclusions)?;
    w.key(false, "podsOnMissingNodes");
    w.value(&report.pods_on_missing_nodes)?;
    w.key(false, "warnings");
    w.value(&report.warnings)?;
    if let Some(unknown) = &report.unknown {
        w.key(false, "unknown");
        w.value(unknown)?;
    }
    w.close(b'}');
    Ok(())
}

/// Two spaces a level, for the deepest line a report has (`MAX_DEPTH` is far below).
const SPACES: &[u8; 256] = &[b' '; 256];

/// Pretty JSON appended to a buffer, `depth` levels in.
struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    /// The pairs' constant text, for the depth they were last written at.
    keys: Option<Box<Keys>>,
}

impl Pretty<'_> {
    /// A newline and the current indentation, after a comma unless `first`.
    fn line(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        self.out.push(b'\n');
        match SPACES.get(..2 * self.depth) {
            Some(indent) => self.out.extend_from_slice(indent),
            None => (0..self.depth).for_each(|_| self.out.extend_from_slice(b"  ")),
        }
    }

    /// `"name": ` on its own line (`name` needs no escaping: the report's own field names).
    fn key(&mut self, first: bool, name: &str) {
        self.line(first);
        self.out.push(b'"');
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(b"\": ");
    }

    /// The closing bracket of an object or array that had members.
    fn close(&mut self, bracket: u8) {
        self.depth -= 1;
        self.line(true);
        self.out.push(bracket);
    }

    /// A JSON string: copied between quotes when nothing in it is escaped (names, UIDs,
    /// phases: nearly always), else as serde_json escapes it.
    fn str(&mut self, s: &str) -> serde_json::Result<()> {
        if s.bytes().all(|b| b >= 0x20 && b != b'"' && b != b'\\') {
            self.out.push(b'"');
            self.out.extend_from_slice(s.as_bytes());
            self.out.push(b'"');
            Ok(())
        } else {
            serde_json::to_writer(&mut *self.out, s)
        }
    }

    fn bool(&mut self, b: bool) {
        self.out
            .extend_from_slice(if b { b"true" } else { b"false" });
    }

    fn int(&mut self, n: i64) {
        match u8::try_from(n) {
            Ok(digit @ 0..=9) => self.out.push(b'0' + digit),
            _ => {
                use std::io::Write;
                let _ = write!(self.out, "{n}");
            }
        }
    }

    /// Any value through serde_json, indented for its place.
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> serde_json::Result<()> {
        super::pretty_into(&mut *self.out, value, self.depth)
    }

    /// An array of `items`, each written by `item` (`[]` when empty, as serde_json writes it).
    fn each<T>(
        &mut self,
        items: &[T],
        item: fn(&mut Self, &T) -> serde_json::Result<()>,
    ) -> serde_json::Result<()> {
        if items.is_empty() {
            self.out.extend_from_slice(b"[]");
            return Ok(());
        }
        self.out.push(b'[');
        self.depth += 1;
        for (i, t) in items.iter().enumerate() {
            self.line(i == 0);
            item(self, t)?;
        }
        self.close(b']');
        Ok(())
    }

    /// A pair, field for field as `PairReport` derives `Serialize`: each key with its line
    /// break, indentation and a boolean's value one append from [`Keys`].
    fn pair(&mut self, p: &PairReport) -> serde_json::Result<()> {
        let depth = self.depth;
        let k = (self.keys.take())
            .filter(|k| k.depth == depth)
            .unwrap_or_else(|| Box::new(Keys::new(depth)));
        let written = self.pair_with(p, &k);
        self.keys = Some(k);
        written
    }

    fn pair_with(&mut self, p: &PairReport, k: &Keys) -> serde_json::Result<()> {
        self.out.extend_from_slice(&k.node);
        self.str(&p.node)?;
        self.out.extend_from_slice(&k.state);
        self.str(p.state.as_str())?;
        self.out
            .extend_from_slice(&k.eligible[usize::from(p.eligible)]);
        if let Some(removed) = p.removed_by_controller {
            self.out
                .extend_from_slice(&k.removed_by_controller[usize::from(removed)]);
        }
        self.out
            .extend_from_slice(&k.outdated[usize::from(p.outdated)]);
        self.out.extend_from_slice(&k.duplicates);
        self.int(p.duplicates as i64);
        self.out
            .extend_from_slice(&k.terminating[usize::from(p.terminating)]);
        self.out.extend_from_slice(&k.reasons);
        if p.reasons.is_empty() {
            self.out.extend_from_slice(b"[]");
        } else {
            self.depth += 1;
            self.value(&p.reasons)?;
            self.depth -= 1;
        }
        self.out.extend_from_slice(&k.pods);
        if p.pods.is_empty() {
            self.out.extend_from_slice(b"[]");
        } else {
            for (i, pod) in p.pods.iter().enumerate() {
                self.out
                    .extend_from_slice(if i == 0 { &k.first_pod } else { &k.next_pod });
                self.pod(pod, k)?;
            }
            self.out.extend_from_slice(&k.pods_end);
        }
        self.out.extend_from_slice(&k.pair_end);
        Ok(())
    }

    /// A daemon pod, field for field as `PodReport` derives `Serialize`.
    fn pod(&mut self, p: &PodReport, k: &Keys) -> serde_json::Result<()> {
        self.out
            .extend_from_slice(&k.duplicate[usize::from(p.duplicate)]);
        self.out.extend_from_slice(&k.name);
        self.str(&p.name)?;
        self.out.extend_from_slice(&k.uid);
        self.str(&p.uid)?;
        self.out.extend_from_slice(&k.phase);
        self.str(&p.phase)?;
        self.out.extend_from_slice(&k.ready[usize::from(p.ready)]);
        self.out.extend_from_slice(&k.restarts);
        self.int(p.restarts);
        self.out.extend_from_slice(&k.revision);
        match &p.revision {
            Some(r) => self.str(r)?,
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.extend_from_slice(&k.created_at);
        match &p.created_at {
            // jiff serializes a timestamp as its Display form (`collect_str`): no character
            // of it needs escaping.
            Some(t) => {
                use std::io::Write;
                let _ = write!(self.out, "\"{t}\"");
            }
            None => self.out.extend_from_slice(b"null"),
        }
        self.out
            .extend_from_slice(&k.pod_terminating[usize::from(p.terminating)]);
        self.out.extend_from_slice(&k.claim);
        self.str(p.claim.as_str())?;
        self.out.extend_from_slice(&k.pod_end);
        Ok(())
    }
}

/// The constant text around a pair's and a pod's values, for a pair `depth` levels deep: each
/// key after its comma, line break and indentation (the first after the opening brace),
/// booleans with their value (`[false, true]`), and the closing lines. A pair is then a few
/// appends rather than one for every comma, break, indentation, quote and key.
struct Keys {
    depth: usize,
    node: Vec<u8>,
    state: Vec<u8>,
    eligible: [Vec<u8>; 2],
    removed_by_controller: [Vec<u8>; 2],
    outdated: [Vec<u8>; 2],
    duplicates: Vec<u8>,
    terminating: [Vec<u8>; 2],
    reasons: Vec<u8>,
    pods: Vec<u8>,
    first_pod: Vec<u8>,
    next_pod: Vec<u8>,
    pods_end: Vec<u8>,
    pair_end: Vec<u8>,
    duplicate: [Vec<u8>; 2],
    name: Vec<u8>,
    uid: Vec<u8>,
    phase: Vec<u8>,
    ready: [Vec<u8>; 2],
    restarts: Vec<u8>,
    revision: Vec<u8>,
    created_at: Vec<u8>,
    pod_terminating: [Vec<u8>; 2],
    claim: Vec<u8>,
    pod_end: Vec<u8>,
}

impl Keys {
    fn new(depth: usize) -> Keys {
        // What `Pretty` writes: a line break and two spaces a level, after a comma unless first.
        let line = |first: bool, depth: usize| {
            let mut out = Vec::new();
            let mut w = Pretty {
                out: &mut out,
                depth,
                keys: None,
            };
            w.line(first);
            out
        };
        let key = |first: bool, depth: usize, name: &str| {
            let mut out = if first { b"{".to_vec() } else { Vec::new() };
            out.extend(line(first, depth));
            out.extend_from_slice(format!("\"{name}\": ").as_bytes());
            out
        };
        let flag = |first: bool, depth: usize, name: &str| {
            [false, true].map(|b| {
                let mut out = key(first, depth, name);
                out.extend_from_slice(if b { b"true" } else { b"false" });
                out
            })
        };
        let (pair, pod) = (depth + 1, depth + 3);
        Keys {
            depth,
            node: key(true, pair, "node"),
            state: key(false, pair, "state"),
            eligible: flag(false, pair, "eligible"),
            removed_by_controller: flag(false, pair, "removedByController"),
            outdated: flag(false, pair, "outdated"),
            duplicates: key(false, pair, "duplicates"),
            terminating: flag(false, pair, "terminating"),
            reasons: key(false, pair, "reasons"),
            pods: key(false, pair, "pods"),
            first_pod: [b"[".as_slice(), &line(true, depth + 2)].concat(),
            next_pod: line(false, depth + 2),
            pods_end: [line(true, pair).as_slice(), b"]"].concat(),
            pair_end: [line(true, depth).as_slice(), b"}"].concat(),
            duplicate: flag(true, pod, "duplicate"),
            name: key(false, pod, "name"),
            uid: key(false, pod, "uid"),
            phase: key(false, pod, "phase"),
            ready: flag(false, pod, "ready"),
            restarts: key(false, pod, "restarts"),
            revision: key(false, pod, "revision"),
            created_at: key(false, pod, "createdAt"),
            pod_terminating: flag(false, pod, "terminating"),
            claim: key(false, pod, "claim"),
            pod_end: [line(true, depth + 2).as_slice(), b"}"].concat(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reason::{Reason, Rule};
    use crate::report::{Claim, State};

    fn pod(name: &str, revision: Option<&str>, created: Option<&str>, claim: Claim) -> PodReport {
        PodReport {
            duplicate: name.ends_with('2'),
            name: name.into(),
            uid: "7f7b6ba7-4b16-48fd-9ca6-7858c9ce0084".into(),
            phase: "Running".into(),
            ready: true,
            restarts: 12345,
            revision: revision.map(String::from),
            created_at: created.map(|c| c.parse().unwrap()),
            terminating: false,
            claim,
        }
    }

    fn pair(node: &str, state: State, pods: Vec<PodReport>, reasons: Vec<Reason>) -> PairReport {
        PairReport {
            node: node.into(),
            state,
            eligible: state.is_eligible(),
            removed_by_controller: (state == State::Misscheduled).then_some(true),
            outdated: state == State::NotReady,
            duplicates: pods.len().saturating_sub(1) * 11,
            terminating: state == State::Failed,
            reasons,
            pods,
            unscheduled: None,
            surge_creates: false,
        }
    }

    /// Every branch of the hand-written pair and pod: escapes, a multi-digit and a negative
    /// number, null revision and timestamp, fractional seconds, each claim, reasons, several
    /// pods, none, `removedByController`, and a report deeper than the indentation table.
    #[test]
    fn pairs_are_written_as_serde_json_writes_them() {
        let mut report = DaemonSetReport {
            namespace: "kube-system".into(),
            name: "ds \"q\"".into(),
            uid: "f1303103-f021-4b65-82f1-076306fc5a67".into(),
            from_manifest: false,
            update_strategy: crate::model::UpdateStrategyType::RollingUpdate,
            current_revision: Some("5cd7b8f96c".into()),
            placement: Default::default(),
            counts: Default::default(),
            computed_status: Default::default(),
            controller_status: Some(Default::default()),
            status_agrees: Some(true),
            nodes: Vec::new(),
            exclusions: Vec::new(),
            pods_on_missing_nodes: Vec::new(),
            warnings: vec!["a \"warning\"".into()],
            unknown: None,
        };
        report.nodes = vec![
            pair(
                "node-\u{1}\\é",
                State::Misscheduled,
                vec![
                    pod(
                        "a-1",
                        Some("5cd7b8f96c"),
                        Some("2026-11-09T14:20:57Z"),
                        Claim::Owned,
                    ),
                    pod(
                        "a-2",
                        None,
                        Some("2026-11-09T14:20:57.123456789Z"),
                        Claim::Adopted,
                    ),
                ],
                vec![Reason::new(Rule::Taint, "untolerated \"taint\"\n")],
            ),
            pair("node-2", State::Missing, vec![], vec![]),
            pair(
                "node-3",
                State::NotReady,
                vec![PodReport {
                    restarts: -3,
                    ..pod("m", None, None, Claim::Mirror)
                }],
                vec![],
            ),
        ];
        report.unknown = Some(crate::report::Unknown {
            reason: "403".into(),
        });
        for depth in [0, 2, 130] {
            let mut ours = b"prefix".to_vec();
            daemon_set(&report, depth, &mut ours).unwrap();
            let mut theirs = b"prefix".to_vec();
            super::super::pretty_into(&mut theirs, &report, depth).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                String::from_utf8(theirs).unwrap(),
                "depth {depth}"
            );
        }
        let mut plain = Vec::new();
        daemon_set(&report, 0, &mut plain).unwrap();
        assert_eq!(plain, serde_json::to_vec_pretty(&report).unwrap());
        report.unknown = None;
        report.nodes.clear();
        plain.clear();
        daemon_set(&report, 0, &mut plain).unwrap();
        assert_eq!(plain, serde_json::to_vec_pretty(&report).unwrap());
    }
}
