//! `-o matrix`: rows are nodes (or `--group-by` label values), columns are DaemonSets (numbered,
//! with a key below), one symbol per cell and a legend. On clusters with more than
//! [`ROW_LIMIT`] rows only rows with a gap are shown unless `--all-nodes`.

use std::collections::{BTreeMap, HashMap};
use std::io::Write;

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{PairReport, Report, State};

/// Above this many rows, fully covered rows are hidden by default.
pub const ROW_LIMIT: usize = 50;
const KEY_WIDTH: usize = 100;

/// One rendered cell: plain text (for width) and the tone to paint it with.
struct CellText {
    text: String,
    tone: Tone,
}

struct Row {
    label: String,
    status: String,
    status_tone: Tone,
    cells: Vec<CellText>,
    gap: bool,
}

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let painter = Painter { color: opts.color };
    let lookups: Vec<HashMap<&str, &PairReport>> = report
        .daemon_sets
        .iter()
        .map(|d| d.nodes.iter().map(|p| (p.node.as_str(), p)).collect())
        .collect();
    let (first_header, second_header, rows) = match &opts.group_by {
        Some(label) => grouped_rows(report, &lookups, label),
        None => node_rows(report, &lookups),
    };

    let total = rows.len();
    let hide = total > ROW_LIMIT && !opts.all_nodes;
    let shown: Vec<&Row> = rows.iter().filter(|r| !hide || r.gap).collect();
    let hidden = total - shown.len();

    let label_w = shown
        .iter()
        .map(|r| style::width(&r.label))
        .chain([style::width(&first_header)])
        .max()
        .unwrap_or(0);
    let status_w = shown
        .iter()
        .map(|r| style::width(&r.status))
        .chain([style::width(&second_header)])
        .max()
        .unwrap_or(0);
    let ncols = report.daemon_sets.len();
    let col_w: Vec<usize> = (0..ncols)
        .map(|i| {
            shown
                .iter()
                .map(|r| style::width(&r.cells[i].text))
                .chain([style::width(&(i + 1).to_string())])
                .max()
                .unwrap_or(1)
        })
        .collect();

    if !opts.no_headers {
        let mut line = format!("{:label_w$}  {:status_w$}", first_header, second_header);
        for (i, w) in col_w.iter().enumerate() {
            line.push_str(&format!("  {:<w$}", i + 1, w = *w));
        }
        writeln!(out, "{}", line.trim_end())?;
    }
    for r in &shown {
        let mut line = format!(
            "{}  {}",
            style::pad_paint(&painter, &r.label, label_w, Tone::Plain),
            style::pad_paint(&painter, &r.status, status_w, r.status_tone)
        );
        for (c, w) in r.cells.iter().zip(&col_w) {
            line.push_str("  ");
            line.push_str(&style::pad_paint(&painter, &c.text, *w, c.tone));
        }
        writeln!(out, "{}", line.trim_end())?;
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
        writeln!(
            out,
            "… {hidden} fully covered {} hidden (of {total}); --all-nodes shows them",
            if hidden == 1 {
                unit.trim_end_matches('s')
            } else {
                unit
            }
        )?;
    } else if shown.is_empty() && total == 0 {
        writeln!(out, "(no nodes)")?;
    }
    writeln!(out)?;
    for line in key_lines(report) {
        writeln!(out, "{line}")?;
    }
    writeln!(out, "{}", style::legend())?;
    Ok(())
}

/// "[1] ns/name  [2] ns/name", wrapped.
fn key_lines(report: &Report) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for (i, d) in report.daemon_sets.iter().enumerate() {
        let entry = format!("[{}] {}/{}", i + 1, d.namespace, d.name);
        if !line.is_empty() && style::width(&line) + 2 + style::width(&entry) > KEY_WIDTH {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str("  ");
        }
        line.push_str(&entry);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
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
                        let (state, outdated, _) = pair_state(l, node);
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
                    gap |= g.ready < g.eligible || g.misscheduled > 0 || g.outdated;
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
