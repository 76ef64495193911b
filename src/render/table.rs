//! `-o table` and `-o wide`: one row per DaemonSet in kubectl's borderless style, then under each
//! imperfect row the nodes concerned with their state and the first reason. Every line fits
//! [`RenderOptions::width`] (names at least 8 columns wide): the count columns never wrap, long
//! reasons end in "…" in `table` and wrap whole in `wide`.

use std::io::Write;

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{DaemonSetReport, OrphanAction, PairReport, Report, State};

/// Nodes listed under a DaemonSet before "… and N more" (unless `--all-problems`).
const DETAIL_LIMIT: usize = 5;
/// Nodes named in a what-if's "would run on" line before "… N more" (unless `--all-problems`).
const WOULD_RUN_LIMIT: usize = 8;
/// The narrowest a name column is cut to before the line is left wider than the terminal.
const MIN_NAME: usize = 5;
/// The narrowest a node name under a DaemonSet's row is cut to.
const MIN_NODE: usize = 16;
/// The least room beside a problem row's state for its reason; with less, the reason goes on
/// a line of its own under the row.
const MIN_REASON: usize = 20;

/// The count columns in full: the header and the value. Narrow terminals get [`short_columns`].
const COUNTS: [&str; 8] = [
    "ELIGIBLE",
    "READY",
    "NOT-READY",
    "PENDING",
    "FAILED",
    "MISSING",
    "MISSCHED",
    "OUTDATED",
];

fn count_values(c: &crate::report::Counts) -> [usize; 8] {
    [
        c.eligible,
        c.ready,
        c.not_ready,
        c.pending,
        c.failed,
        c.missing,
        c.misscheduled,
        c.outdated,
    ]
}

/// A right-aligned column after the names: its header and one value per DaemonSet.
struct Column {
    head: &'static str,
    values: Vec<String>,
    /// May be left out when every value is zero and the line is still too wide.
    optional: bool,
    /// The coverage column (painted).
    coverage: bool,
}

impl Column {
    fn width(&self, headers: bool) -> usize {
        self.values
            .iter()
            .map(|v| style::width(v))
            .chain([if headers { style::width(self.head) } else { 0 }])
            .max()
            .unwrap_or(0)
    }

    fn all_zero(&self) -> bool {
        self.values.iter().all(|v| v == "0")
    }
}

fn coverage_column(report: &Report, head: &'static str) -> Column {
    Column {
        head,
        values: report
            .daemon_sets
            .iter()
            .map(|d| match d.unknown {
                Some(_) => "Unknown".to_string(),
                None => style::coverage(&d.counts),
            })
            .collect(),
        optional: false,
        coverage: true,
    }
}

/// One column per count, as `kubectl get` headers read.
fn full_columns(report: &Report) -> Vec<Column> {
    let mut cols: Vec<Column> = COUNTS
        .iter()
        .enumerate()
        .map(|(i, head)| Column {
            head,
            values: report
                .daemon_sets
                .iter()
                .map(|d| count_values(&d.counts)[i].to_string())
                .collect(),
            optional: false,
            coverage: false,
        })
        .collect();
    cols.push(coverage_column(report, "COVERAGE"));
    cols
}

/// For narrow terminals: READY as ready/eligible (as `kubectl get pods` shows containers), the
/// other counts under short headers.
fn short_columns(report: &Report) -> Vec<Column> {
    let mut cols = vec![Column {
        head: "READY",
        values: report
            .daemon_sets
            .iter()
            .map(|d| format!("{}/{}", d.counts.ready, d.counts.eligible))
            .collect(),
        optional: false,
        coverage: false,
    }];
    for (i, head) in [
        (2, "NRDY"),
        (3, "PEND"),
        (4, "FAIL"),
        (5, "MISS"),
        (6, "MSCHD"),
        (7, "OLD"),
    ] {
        cols.push(Column {
            head,
            values: report
                .daemon_sets
                .iter()
                .map(|d| count_values(&d.counts)[i].to_string())
                .collect(),
            optional: true,
            coverage: false,
        });
    }
    cols.push(coverage_column(report, "COV"));
    cols
}

/// A way of turning the counts into columns ([`full_columns`], [`short_columns`]).
type ColumnSet = fn(&Report) -> Vec<Column>;

/// How the rows are laid out to fit the width.
struct Layout {
    gap: usize,
    columns: Vec<Column>,
    widths: Vec<usize>,
    /// A fleet's CLUSTER column (0: none).
    cluster_w: usize,
    ns_w: usize,
    name_w: usize,
}

impl Layout {
    fn total(&self) -> usize {
        let cluster = if self.cluster_w > 0 {
            self.cluster_w + 2
        } else {
            0
        };
        cluster
            + self.ns_w
            + 2
            + self.name_w
            + self.widths.iter().map(|w| self.gap + w).sum::<usize>()
    }
}

/// The NAME cell. Rows without headers give the bare name: a run with `--manifest` audits only
/// the manifests, so every row is a what-if, and a mark with a space in it would split the field.
fn name_cell(d: &DaemonSetReport, headers: bool) -> String {
    if d.from_manifest && headers {
        format!("{} (what-if)", d.name)
    } else {
        d.name.clone()
    }
}

/// The first layout that fits: full headers three then two spaces apart; short columns; short
/// columns without all-zero ones, two then one space apart; then the name columns cut with "…".
/// Without headers (`--no-headers`, rows for scripts) the layout is fixed instead: every
/// column of [`full_columns`] three spaces apart, names whole, whatever the width, so that a
/// script reads the same fields from every run (as `kubectl get --no-headers` prints the
/// columns of its headed table).
fn layout(report: &Report, clusters: Option<&[&str]>, headers: bool, width: usize) -> Layout {
    let head = |h: &str| if headers { style::width(h) } else { 0 };
    let widest = |header: &str, cell: &dyn Fn(&DaemonSetReport) -> String| {
        report
            .daemon_sets
            .iter()
            .map(|d| style::width(&cell(d)))
            .chain([head(header)])
            .max()
            .unwrap_or(0)
    };
    let ns_w = widest("NAMESPACE", &|d| d.namespace.clone());
    let name_w = widest("NAME", &|d| name_cell(d, headers));
    let cluster_w = clusters.map_or(0, |c| {
        c.iter()
            .map(|n| style::width(n))
            .chain([head("CLUSTER"), 1])
            .max()
            .unwrap_or(1)
    });
    let make = |gap: usize, columns: Vec<Column>| {
        let widths = columns.iter().map(|c| c.width(headers)).collect();
        Layout {
            gap,
            columns,
            widths,
            cluster_w,
            ns_w,
            name_w,
        }
    };
    if !headers {
        return make(3, full_columns(report));
    }
    let drop_zero = |cols: Vec<Column>| -> Vec<Column> {
        cols.into_iter()
            .filter(|c| !(c.optional && c.all_zero()))
            .collect()
    };
    let tries: [(usize, ColumnSet, bool); 5] = [
        (3, full_columns, false),
        (2, full_columns, false),
        (2, short_columns, false),
        (2, short_columns, true),
        (1, short_columns, true),
    ];
    let mut last = None;
    for (gap, columns, drop) in tries {
        let cols = columns(report);
        let l = make(gap, if drop { drop_zero(cols) } else { cols });
        if l.total() <= width {
            return l;
        }
        last = Some(l);
    }
    // Still too wide: cut the longest of the name columns, a column at a time.
    let mut l = last.expect("layouts tried");
    while l.total() > width && (l.ns_w > MIN_NAME || l.name_w > MIN_NAME || l.cluster_w > MIN_NAME)
    {
        if l.cluster_w > l.name_w && l.cluster_w > l.ns_w {
            l.cluster_w -= 1;
        } else if l.name_w >= l.ns_w {
            l.name_w -= 1;
        } else {
            l.ns_w -= 1;
        }
    }
    l
}

pub fn render(
    report: &Report,
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    render_rows(report, None, opts, wide, out)?;
    if !opts.no_headers {
        writeln!(out)?;
        write_footer(report, opts, "", out)?;
    }
    Ok(())
}

/// A fleet's table: the rows of every cluster's DaemonSets (`report` holds them all, in order)
/// under one header, the first column naming each row's cluster (`clusters`, one per row).
/// The per-cluster summary lines are the caller's ([`write_footer`]).
pub fn render_fleet_rows(
    report: &Report,
    clusters: &[&str],
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    render_rows(report, Some(clusters), opts, wide, out)
}

/// The lines under the table: the summary line, then orphans and report-wide warnings, each
/// line after the first of the summary led by `lead` (a fleet's cluster name).
pub fn write_footer(
    report: &Report,
    opts: &RenderOptions,
    lead: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let p = Painter { color: opts.color };
    let width = opts.width;
    for line in style::wrap(&format!("{lead}{}", summary_line(report)), 0, 0, width) {
        writeln!(out, "{line}")?;
    }
    let indent = if lead.is_empty() { "" } else { "  " };
    for o in &report.orphans {
        write_note(out, &p, indent, &orphan_text(o), width)?;
    }
    for w in &report.warnings {
        write_note(out, &p, indent, w, width)?;
    }
    Ok(())
}

fn render_rows(
    report: &Report,
    clusters: Option<&[&str]>,
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let p = Painter { color: opts.color };
    let width = opts.width;
    let l = layout(report, clusters, !opts.no_headers, width);
    let gap = " ".repeat(l.gap);
    let cluster_cell = |row: usize| match clusters {
        Some(c) => format!(
            "{:w$}  ",
            style::truncate(c.get(row).copied().unwrap_or(""), l.cluster_w),
            w = l.cluster_w
        ),
        None => String::new(),
    };
    if !opts.no_headers {
        // A namespace column cut narrower than its header is headed NS.
        let ns_head = if l.ns_w < "NAMESPACE".len() {
            "NS"
        } else {
            "NAMESPACE"
        };
        let cluster_head = match clusters {
            Some(_) => format!(
                "{:w$}  ",
                style::truncate("CLUSTER", l.cluster_w),
                w = l.cluster_w
            ),
            None => String::new(),
        };
        let mut line = format!(
            "{cluster_head}{:ns$}  {:name$}",
            ns_head,
            "NAME",
            ns = l.ns_w,
            name = l.name_w
        );
        for (c, w) in l.columns.iter().zip(&l.widths) {
            line.push_str(&format!("{gap}{:>w$}", c.head));
        }
        writeln!(out, "{line}")?;
    }
    for (row, d) in report.daemon_sets.iter().enumerate() {
        let what_if = d.from_manifest;
        let mut line = format!(
            "{}{}  {}",
            cluster_cell(row),
            style::pad_paint(
                &p,
                &style::truncate(&d.namespace, l.ns_w),
                l.ns_w,
                Tone::Plain
            ),
            style::pad_paint(
                &p,
                &style::truncate(&name_cell(d, !opts.no_headers), l.name_w),
                l.name_w,
                if what_if { Tone::WhatIf } else { Tone::Plain }
            ),
        );
        for (c, w) in l.columns.iter().zip(&l.widths) {
            let tone = match (c.coverage, what_if) {
                (false, _) => Tone::Plain,
                (true, true) => Tone::WhatIf,
                (true, false) if d.unknown.is_some() => Tone::Bad,
                (true, false) => style::counts_tone(&d.counts),
            };
            line.push_str(&gap);
            line.push_str(&style::rpad_paint(&p, &c.values[row], *w, tone));
        }
        writeln!(out, "{}", line.trim_end())?;
        if opts.no_headers {
            continue;
        }
        if wide {
            // Wide gives names whole: one cut to fit the width is written out under its row.
            if style::width(&d.namespace) > l.ns_w || style::width(&name_cell(d, true)) > l.name_w {
                write_wrapped(
                    out,
                    "    name:",
                    "    name:",
                    &format!("{}/{}", d.namespace, d.name),
                    6,
                    width,
                )?;
            }
            write_placement(d, width, out)?;
            write_exclusions(d, opts, width, out)?;
        }
        if let Some(u) = &d.unknown {
            write_wrapped(
                out,
                &format!("  {}", p.paint("pods could not be read:", Tone::Bad)),
                "  pods could not be read:",
                &u.reason,
                4,
                width,
            )?;
        }
        write_details(d, &p, opts, wide, out)?;
        if d.from_manifest && d.counts.eligible > 0 {
            // What-if: where would it land?
            let nodes: Vec<String> = d
                .nodes
                .iter()
                .filter(|x| x.eligible)
                .map(|x| x.node.clone())
                .collect();
            let limit = if opts.all_problems {
                nodes.len()
            } else {
                WOULD_RUN_LIMIT
            };
            let mut entries: Vec<String> = nodes.iter().take(limit).cloned().collect();
            if nodes.len() > limit {
                entries.push(format!("… {} more", nodes.len() - limit));
            }
            let head = format!(
                "would run on {} {}:",
                nodes.len(),
                plural(nodes.len(), "node", "nodes")
            );
            write_wrapped(
                out,
                &format!("  {}", p.paint(&head, Tone::WhatIf)),
                &format!("  {head}"),
                &entries.join(", "),
                6,
                width,
            )?;
        }
        for m in &d.pods_on_missing_nodes {
            write_note(out, &p, "  ", &stranded_text(m), width)?;
        }
        for w in &d.warnings {
            write_note(out, &p, "  ", w, width)?;
        }
        if d.counts.eligible == 0 && !d.exclusions.is_empty() && !wide {
            // Eligible nowhere is the classic toleration/selector typo: say why at once. With
            // --node-selector only the selected nodes are known: it may run on others.
            let (head, tone) = match report.node_selector {
                None => ("no node is eligible:", Tone::Warn),
                Some(_) => ("eligible on none of the selected nodes:", Tone::Dim),
            };
            writeln!(out, "  {}", p.paint(head, tone))?;
            for e in d.exclusions.iter().take(2) {
                let noun = plural(e.count, "node", "nodes");
                let lead = format!("    {} {noun}: ", e.count);
                let room = width.saturating_sub(style::width(&lead));
                writeln!(out, "{lead}{}", style::truncate(&e.reason.message, room))?;
            }
        }
    }
    Ok(())
}

/// `-o wide`: why nodes are excluded, grouped by reason, under the placement rules they follow
/// from (before the problem nodes and notes).
fn write_exclusions(
    d: &DaemonSetReport,
    opts: &RenderOptions,
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let limit = if opts.all_problems {
        d.exclusions.len()
    } else {
        DETAIL_LIMIT
    };
    for e in d.exclusions.iter().take(limit) {
        let noun = plural(e.count, "node", "nodes");
        let lead = format!("    {} {noun} excluded:", e.count);
        write_wrapped(out, &lead, &lead, &e.reason.message, 6, width)?;
    }
    if d.exclusions.len() > limit {
        writeln!(
            out,
            "    … and {} more exclusion reasons (--all-problems lists them)",
            d.exclusions.len() - limit
        )?;
    }
    Ok(())
}

/// An orphan pod in words, as every format tells it.
pub fn orphan_text(o: &crate::report::OrphanReport) -> String {
    let verb = match o.action {
        OrphanAction::Adopt => "adopts",
        OrphanAction::Release => "releases",
        OrphanAction::Contested => {
            "does not count (another DaemonSet's selector matches it too) \
                                    and may adopt"
        }
    };
    format!(
        "pod {}/{}{} has no DaemonSet controller reference: {} {verb} it",
        o.namespace,
        o.name,
        o.node
            .as_ref()
            .map(|n| format!(" on {n}"))
            .unwrap_or_default(),
        o.daemon_set
    )
}

/// A pod whose node was deleted, in words, as every format tells it.
pub fn stranded_text(m: &crate::report::PodOnMissingNode) -> String {
    format!(
        "pod {} is for node {}, which no longer exists ({} removes it)",
        m.pod, m.node, m.removed_by
    )
}

/// "note: text", wrapped under itself.
fn write_note(
    out: &mut dyn Write,
    p: &Painter,
    indent: &str,
    text: &str,
    width: usize,
) -> std::io::Result<()> {
    let plain = format!("{indent}note:");
    let painted = format!("{indent}{}", p.paint("note:", Tone::Warn));
    write_wrapped(out, &painted, &plain, text, indent.len() + 2, width)
}

/// `lead` (painted; `plain` is the same text unpainted, for its width), a space, then `text`
/// wrapped between words at `width`, continuation lines indented by `indent`.
fn write_wrapped(
    out: &mut dyn Write,
    lead: &str,
    plain: &str,
    text: &str,
    indent: usize,
    width: usize,
) -> std::io::Result<()> {
    let first = style::width(plain) + 1;
    for (i, line) in style::wrap(text, first, indent, width).iter().enumerate() {
        let text = if i == 0 {
            format!("{lead} {line}")
        } else {
            format!("{}{line}", " ".repeat(indent))
        };
        writeln!(out, "{}", text.trim_end())?;
    }
    Ok(())
}

/// `one` when `n` is 1, else `many`.
pub(crate) fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
}

/// `-o wide`: the template's placement rules under the row, wrapped between rules (hostNetwork
/// on its own: it is not a toleration, though it makes the controller tolerate
/// node.kubernetes.io/network-unavailable, as `AddOrUpdateDaemonPodTolerations` in
/// pkg/controller/daemon/util/daemonset_util.go does).
fn write_placement(d: &DaemonSetReport, width: usize, out: &mut dyn Write) -> std::io::Result<()> {
    let p = &d.placement;
    let mut selector: Vec<String> = p
        .node_selector
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    if let Some(n) = &p.node_name {
        selector.insert(0, format!("nodeName={n}"));
    }
    let affinity = match &p.required_node_affinity {
        None => "<none>".to_string(),
        Some(terms) if terms.is_empty() => "(no terms: matches nothing)".to_string(),
        Some(terms) => terms.join(" OR "),
    };
    let mut entries = vec![
        format!("node-selector: {}", none_if_empty(selector.join(", "))),
        format!("affinity: {affinity}"),
        format!("tolerations: {}", none_if_empty(p.tolerations.join(", "))),
    ];
    if p.host_network {
        entries.push("hostNetwork".into());
    }
    for entry in entries {
        write_wrapped(out, "   ", "   ", &entry, 6, width)?;
    }
    Ok(())
}

fn none_if_empty(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

/// The pairs worth a line: anything but a plain Ready or Ineligible pair.
fn concerned(d: &DaemonSetReport, p: &PairReport) -> bool {
    // For a manifest, Missing pairs are the pods applying it would create: not a finding.
    if d.from_manifest && p.state == State::Missing {
        return false;
    }
    // Ineligible pairs are in the report only with --include-ineligible: then list them too.
    p.state != State::Ready || p.outdated || p.duplicates > 0
}

fn severity(s: State) -> u8 {
    match s {
        State::Missing => 0,
        State::Failed => 1,
        State::Pending => 2,
        State::NotReady => 3,
        State::Misscheduled => 4,
        State::Ready => 5,
        State::Ineligible => 6,
    }
}

fn write_details(
    d: &DaemonSetReport,
    p: &Painter,
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut pairs: Vec<&PairReport> = d.nodes.iter().filter(|x| concerned(d, x)).collect();
    pairs.sort_by(|a, b| {
        severity(a.state)
            .cmp(&severity(b.state))
            .then_with(|| a.node.cmp(&b.node))
    });
    let limit = if opts.all_problems {
        pairs.len()
    } else {
        DETAIL_LIMIT
    };
    let shown = &pairs[..pairs.len().min(limit)];
    let labels: Vec<String> = shown.iter().map(|x| state_label(x)).collect();
    let state_w = labels.iter().map(|l| style::width(l)).max().unwrap_or(0);
    // A node name that would leave the state no room (names run to 253 characters) is cut in
    // the middle, its ends kept, to what the line has beside the state.
    let node_w = shown
        .iter()
        .map(|x| style::width(&x.node))
        .max()
        .unwrap_or(0)
        .min(opts.width.saturating_sub(4 + state_w).max(MIN_NODE));
    let lead_w = 2 + node_w + 2 + state_w;
    for (pair, label) in shown.iter().zip(&labels) {
        let tone = if d.from_manifest {
            Tone::WhatIf
        } else {
            style::tone(pair.state)
        };
        let lead = format!(
            "  {}  {}",
            style::pad_paint(
                p,
                &style::truncate_middle(&pair.node, node_w),
                node_w,
                Tone::Plain
            ),
            style::pad_paint(p, label, state_w, tone)
        );
        let reason = detail_reason(pair);
        if wide {
            // Whole, wrapped under the reason column (or under the node when that is far right).
            let indent = if lead_w + 2 <= opts.width / 2 {
                lead_w + 2
            } else {
                6
            };
            let plain = " ".repeat(lead_w + 1);
            write_wrapped(
                out,
                &format!("{lead} "),
                &plain,
                &reason,
                indent,
                opts.width,
            )?;
        } else {
            let room = opts.width.saturating_sub(lead_w + 2);
            if room >= MIN_REASON {
                writeln!(
                    out,
                    "{}",
                    format!("{lead}  {}", style::truncate(&reason, room)).trim_end()
                )?;
            } else {
                // Too little room beside long node names: the reason goes under the row.
                writeln!(out, "{}", lead.trim_end())?;
                let under = opts.width.saturating_sub(6).max(MIN_REASON);
                writeln!(out, "      {}", style::truncate(&reason, under).trim_end())?;
            }
        }
    }
    if pairs.len() > limit {
        writeln!(
            out,
            "  … and {} more (--all-problems lists them)",
            pairs.len() - limit
        )?;
    }
    Ok(())
}

/// The first reason, and what the controller does about a misscheduled pod; with several
/// findings (outdated and duplicate), each one's words.
fn detail_reason(pair: &PairReport) -> String {
    use crate::reason::Rule;
    let first = pair
        .reasons
        .first()
        .map(|r| r.message.clone())
        .unwrap_or_default();
    match pair.state {
        State::Misscheduled => {
            let fate = if pair.removed_by_controller == Some(true) {
                "the controller deletes the pod"
            } else {
                "the controller keeps the pod"
            };
            style::join_sentences([first.as_str(), fate])
        }
        State::Ready => style::join_sentences(
            pair.reasons
                .iter()
                .filter(|r| matches!(r.rule, Rule::Duplicate | Rule::Revision | Rule::Terminating))
                .map(|r| r.message.as_str()),
        ),
        _ => first,
    }
}

pub fn state_label(p: &PairReport) -> String {
    let mut s = p.state.to_string();
    if p.outdated {
        s.push_str(", outdated");
    }
    if p.duplicates > 0 {
        s.push_str(", duplicate");
    }
    s
}

/// "4 DaemonSets, 128 nodes: 388 of 393 eligible pairs Ready (98.7%), 2 missing, 1 misscheduled."
pub fn summary_line(report: &Report) -> String {
    let s = &report.summary;
    let c = &s.counts;
    let count = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut line = format!(
        "{}, {}: {} of {} eligible pairs Ready ({})",
        count(s.daemon_sets, "DaemonSet", "DaemonSets"),
        count(s.nodes, "node", "nodes"),
        c.ready,
        c.eligible,
        style::coverage(c)
    );
    for (n, word) in [
        (c.not_ready, "not ready"),
        (c.pending, "pending"),
        (c.failed, "failed"),
        (c.missing, "missing"),
        (c.misscheduled, "misscheduled"),
        (c.outdated, "outdated"),
    ] {
        if n > 0 {
            line.push_str(&format!(", {n} {word}"));
        }
    }
    let unknown = report
        .daemon_sets
        .iter()
        .filter(|d| d.unknown.is_some())
        .count();
    if unknown > 0 {
        line.push_str(&format!(
            ", {} Unknown (pods could not be read)",
            count(unknown, "DaemonSet", "DaemonSets")
        ));
    }
    line.push('.');
    line
}
