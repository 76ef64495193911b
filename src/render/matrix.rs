//! `-o matrix`: rows are nodes (or `--group-by` label values), columns are DaemonSets (numbered,
//! with a key below), one symbol per cell, a legend and the notes the table prints. On clusters
//! with more than [`ROW_LIMIT`] rows only rows with a gap are shown unless `--all-nodes`. The
//! DaemonSet columns come in pages that fit [`RenderOptions::width`] (`--max-columns` caps a
//! page, `--hide-covered` leaves out fully covered DaemonSets); key, legend and notes wrap
//! between entries.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{DaemonSetReport, PairReport, Report, State};

/// Above this many rows, fully covered rows are hidden by default.
pub const ROW_LIMIT: usize = 50;

/// The cell of a DaemonSet whose pods could not be read.
const UNKNOWN: &str = "?";

/// One rendered cell: plain text (for width) and the tone to paint it with.
struct CellText {
    text: String,
    tone: Tone,
}

/// DaemonSet columns a page has room for before row labels are cut (see `render`).
const MIN_PAGE: usize = 8;
/// The narrowest a row label is cut to.
const MIN_LABEL: usize = 16;

struct Row {
    label: String,
    status: String,
    status_tone: Tone,
    cells: Vec<CellText>,
    gap: bool,
}

/// Every eligible node Ready on the current revision, one pod each, nothing misscheduled, and
/// nothing else to report: some node eligible (none is what `--check` fails as NoEligibleNode),
/// no pod on a deleted node, no note (a stale or disagreeing status), pods readable. Only such
/// a DaemonSet `--hide-covered` leaves out, so no column it hides has a note or a gate failure.
fn covered(d: &DaemonSetReport) -> bool {
    d.unknown.is_none()
        && d.counts.eligible > 0
        && d.pods_on_missing_nodes.is_empty()
        && d.warnings.is_empty()
        && d.nodes.iter().all(|p| {
            matches!(p.state, State::Ready | State::Ineligible) && !p.outdated && p.duplicates == 0
        })
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let painter = Painter { color: opts.color };
    let lookups: Vec<HashMap<&str, &PairReport>> = report
        .daemon_sets
        .iter()
        .map(|d| d.nodes.iter().map(|p| (p.node.as_str(), p)).collect())
        .collect();
    let (first_header, second_header, mut rows) = match &opts.group_by {
        Some(label) => grouped_rows(report, &lookups, label),
        None => node_rows(report, &lookups),
    };
    // What-if columns read as what-ifs, not as live failures.
    for r in &mut rows {
        for (c, d) in r.cells.iter_mut().zip(&report.daemon_sets) {
            if d.from_manifest && c.tone != Tone::Dim {
                c.tone = Tone::WhatIf;
            }
            // Pods unreadable: no cell of it is judged, and every row shows the gap.
            if d.unknown.is_some() {
                *c = CellText {
                    text: UNKNOWN.into(),
                    tone: Tone::Bad,
                };
                r.gap = true;
            }
        }
    }

    let columns: Vec<usize> = (0..report.daemon_sets.len())
        .filter(|i| !opts.hide_covered || !covered(&report.daemon_sets[*i]))
        .collect();
    let hidden_columns = report.daemon_sets.len() - columns.len();

    let total = rows.len();
    let hide = total > ROW_LIMIT && !opts.all_nodes;
    let shown: Vec<&Row> = rows.iter().filter(|r| !hide || r.gap).collect();
    let hidden = total - shown.len();

    let status_w = shown
        .iter()
        .map(|r| style::width(&r.status))
        .chain([style::width(&second_header)])
        .max()
        .unwrap_or(0);
    let col_w: Vec<usize> = (0..report.daemon_sets.len())
        .map(|i| {
            shown
                .iter()
                .map(|r| style::width(&r.cells[i].text))
                .chain([style::width(&(i + 1).to_string())])
                .max()
                .unwrap_or(1)
        })
        .collect();
    // Row labels (node names, cloud providers' long ones) are cut in the middle, their ends
    // kept, when they would leave a page fewer than `MIN_PAGE` DaemonSet columns; not below
    // `MIN_LABEL`, and never in `--no-headers` rows, which scripts read.
    let widest_label = shown
        .iter()
        .map(|r| style::width(&r.label))
        .chain([style::width(&first_header)])
        .max()
        .unwrap_or(0);
    let page_room: usize = columns.iter().take(MIN_PAGE).map(|&i| 2 + col_w[i]).sum();
    let label_w = if opts.no_headers {
        widest_label
    } else {
        widest_label.min(
            opts.width
                .saturating_sub(2 + status_w + page_room)
                .max(MIN_LABEL),
        )
    };
    let label = |text: &str| style::truncate_middle(text, label_w);

    // Pages of DaemonSet columns, each as many as fit beside the row labels.
    let fixed = label_w + 2 + status_w;
    let cap = opts.max_columns.unwrap_or(usize::MAX);
    let mut pages: Vec<Vec<usize>> = Vec::new();
    let mut page: Vec<usize> = Vec::new();
    let mut used = fixed;
    for &i in &columns {
        if !page.is_empty() && (used + 2 + col_w[i] > opts.width || page.len() >= cap) {
            pages.push(std::mem::take(&mut page));
            used = fixed;
        }
        used += 2 + col_w[i];
        page.push(i);
    }
    if !page.is_empty() || pages.is_empty() {
        pages.push(page);
    }

    for (n, page) in pages.iter().enumerate() {
        if pages.len() > 1 && !opts.no_headers {
            if n > 0 {
                writeln!(out)?;
            }
            let (first, last) = (
                page.first().map_or(0, |i| i + 1),
                page.last().map_or(0, |i| i + 1),
            );
            let which = if first == last {
                format!("DaemonSet {first}")
            } else {
                format!("DaemonSets {first}–{last}")
            };
            writeln!(out, "{which} (page {} of {})", n + 1, pages.len())?;
        }
        if !opts.no_headers {
            let mut line = format!(
                "{:label_w$}  {:status_w$}",
                label(&first_header),
                second_header
            );
            for &i in page {
                line.push_str(&format!("  {:<w$}", i + 1, w = col_w[i]));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        for r in &shown {
            let mut line = format!(
                "{}  {}",
                style::pad_paint(&painter, &label(&r.label), label_w, Tone::Plain),
                style::pad_paint(&painter, &r.status, status_w, r.status_tone)
            );
            for &i in page {
                let c = &r.cells[i];
                line.push_str("  ");
                line.push_str(&style::pad_paint(&painter, &c.text, col_w[i], c.tone));
            }
            writeln!(out, "{}", line.trim_end())?;
        }
    }
    if opts.no_headers {
        return Ok(());
    }
    let unit = if opts.group_by.is_some() {
        "groups"
    } else {
        "nodes"
    };
    if hidden > 0 {
        let line = format!(
            "… {hidden} fully covered {} hidden (of {total}); --all-nodes shows them",
            if hidden == 1 {
                unit.trim_end_matches('s')
            } else {
                unit
            }
        );
        write_lines(out, "", &style::wrap(&line, 0, 2, opts.width), 2)?;
    } else if shown.is_empty() && total == 0 {
        writeln!(out, "(no nodes)")?;
    }
    if hidden_columns > 0 {
        let line = format!(
            "… {hidden_columns} fully covered {} hidden (--hide-covered)",
            if hidden_columns == 1 {
                "DaemonSet"
            } else {
                "DaemonSets"
            }
        );
        write_lines(out, "", &style::wrap(&line, 0, 2, opts.width), 2)?;
    }
    writeln!(out)?;
    let key: Vec<String> = columns
        .iter()
        .map(|&i| {
            let d = &report.daemon_sets[i];
            let what_if = if d.from_manifest { " (what-if)" } else { "" };
            let unknown = if d.unknown.is_some() {
                " (Unknown)"
            } else {
                ""
            };
            format!("[{}] {}/{}{what_if}{unknown}", i + 1, d.namespace, d.name)
        })
        .collect();
    for line in style::wrap_entries(&key, opts.width) {
        writeln!(out, "{line}")?;
    }
    let mut legend = style::legend();
    if report.daemon_sets.iter().any(|d| d.unknown.is_some()) {
        legend.push(format!("{UNKNOWN} Unknown (pods could not be read)"));
    }
    for line in style::wrap_entries(&legend, opts.width) {
        writeln!(out, "{line}")?;
    }
    // Grouped by a label no node has: one `<none>` row, said so rather than left to be puzzled
    // over (a misspelt key, or a label the nodes do not carry).
    let mut extra = Vec::new();
    if let Some(label) = &opts.group_by
        && !report.nodes.is_empty()
        && report.nodes.iter().all(|n| !n.labels.contains_key(label))
    {
        extra.push(format!(
            "no node has the label {label}: every node is in the <none> row"
        ));
    }
    write_notes(report, &extra, &painter, opts.width, out)
}

/// The facts the cells cannot show, as the table tells them: pods of deleted nodes, status
/// notes, orphans, report-wide notes.
fn write_notes(
    report: &Report,
    extra: &[String],
    p: &Painter,
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut notes: Vec<String> = Vec::new();
    for d in &report.daemon_sets {
        let id = format!("{}/{}", d.namespace, d.name);
        if let Some(u) = &d.unknown {
            notes.push(format!("{id}: pods could not be read: {}", u.reason));
        }
        for m in &d.pods_on_missing_nodes {
            notes.push(format!("{id}: {}", super::table::stranded_text(m)));
        }
        for w in &d.warnings {
            notes.push(format!("{id}: {w}"));
        }
    }
    notes.extend(report.orphans.iter().map(super::table::orphan_text));
    notes.extend(report.warnings.iter().cloned());
    notes.extend(extra.iter().cloned());
    if !notes.is_empty() {
        writeln!(out)?;
    }
    for n in notes {
        let lead = format!("{} ", p.paint("note:", Tone::Warn));
        write_lines(out, &lead, &style::wrap(&n, 6, 2, width), 2)?;
    }
    Ok(())
}

/// Wrapped lines: the first after `lead`, the others indented by `indent` columns.
fn write_lines(
    out: &mut dyn Write,
    lead: &str,
    lines: &[String],
    indent: usize,
) -> std::io::Result<()> {
    for (i, l) in lines.iter().enumerate() {
        if i == 0 {
            writeln!(out, "{lead}{l}")?;
        } else {
            writeln!(out, "{}{l}", " ".repeat(indent))?;
        }
    }
    Ok(())
}

fn pair_state(lookup: &HashMap<&str, &PairReport>, node: &str) -> (State, bool, bool) {
    match lookup.get(node) {
        Some(p) => (p.state, p.outdated, p.duplicates > 0),
        None => (State::Ineligible, false, false),
    }
}

fn node_rows(
    report: &Report,
    lookups: &[HashMap<&str, &PairReport>],
) -> (String, String, Vec<Row>) {
    let rows = report
        .nodes
        .iter()
        .map(|n| {
            let mut gap = false;
            let cells = lookups
                .iter()
                .map(|l| {
                    let (state, outdated, dup) = pair_state(l, &n.name);
                    gap |= !matches!(state, State::Ready | State::Ineligible) || outdated || dup;
                    let mut text = style::symbol(state).to_string();
                    if outdated {
                        text.push_str(style::OUTDATED);
                    }
                    if dup {
                        text.push_str(style::DUPLICATE);
                    }
                    CellText {
                        text,
                        tone: style::tone(state),
                    }
                })
                .collect();
            let mut status = if n.ready {
                "Ready".to_string()
            } else {
                "NotReady".to_string()
            };
            if n.unschedulable {
                status.push_str(",SchedulingDisabled");
            }
            Row {
                label: n.name.clone(),
                status,
                status_tone: if n.ready { Tone::Plain } else { Tone::Bad },
                cells,
                gap,
            }
        })
        .collect();
    ("NODE".into(), "STATUS".into(), rows)
}

#[derive(Default)]
struct GroupCell {
    eligible: usize,
    ready: usize,
    misscheduled: usize,
    outdated: bool,
    duplicates: bool,
    worst: Option<State>,
}

fn grouped_rows(
    report: &Report,
    lookups: &[HashMap<&str, &PairReport>],
    label: &str,
) -> (String, String, Vec<Row>) {
    let mut groups: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    for n in &report.nodes {
        let key = n
            .labels
            .get(label)
            .cloned()
            .unwrap_or_else(|| "<none>".into());
        groups.entry(key).or_default().push(&n.name);
    }
    let rows = groups
        .into_iter()
        .map(|(value, nodes)| {
            let mut gap = false;
            let cells = lookups
                .iter()
                .map(|l| {
                    let mut g = GroupCell::default();
                    for node in &nodes {
                        let (state, outdated, dup) = pair_state(l, node);
                        g.duplicates |= dup;
                        match state {
                            State::Ready => g.ready += 1,
                            State::Misscheduled => g.misscheduled += 1,
                            State::Ineligible => {}
                            other => g.worst = Some(g.worst.map_or(other, |w| worse(w, other))),
                        }
                        if state.is_eligible() {
                            g.eligible += 1;
                            g.outdated |= outdated;
                        }
                    }
                    gap |= g.ready < g.eligible || g.misscheduled > 0 || g.outdated || g.duplicates;
                    group_cell(&g)
                })
                .collect();
            Row {
                label: value,
                status: nodes.len().to_string(),
                status_tone: Tone::Plain,
                cells,
                gap,
            }
        })
        .collect();
    let short = label.rsplit('/').next().unwrap_or(label).to_uppercase();
    (short, "NODES".into(), rows)
}

fn worse(a: State, b: State) -> State {
    let rank = |s: State| match s {
        State::Missing => 0,
        State::Failed => 1,
        State::Pending => 2,
        State::NotReady => 3,
        _ => 4,
    };
    if rank(a) <= rank(b) { a } else { b }
}

fn group_cell(g: &GroupCell) -> CellText {
    if g.eligible == 0 && g.misscheduled == 0 {
        return CellText {
            text: style::symbol(State::Ineligible).into(),
            tone: Tone::Dim,
        };
    }
    let mut text = format!("{}/{}", g.ready, g.eligible);
    let mut tone = Tone::Good;
    if let Some(w) = g.worst {
        text.push(' ');
        text.push_str(style::symbol(w));
        tone = style::tone(w);
    }
    if g.outdated {
        text.push_str(style::OUTDATED);
        if tone == Tone::Good {
            tone = Tone::Warn;
        }
    }
    if g.duplicates {
        text.push_str(style::DUPLICATE);
        if tone == Tone::Good {
            tone = Tone::Warn;
        }
    }
    if g.misscheduled > 0 {
        text.push_str(&format!(
            " {}{}",
            style::symbol(State::Misscheduled),
            g.misscheduled
        ));
        if tone == Tone::Good {
            tone = Tone::Odd;
        }
    }
    CellText { text, tone }
}
