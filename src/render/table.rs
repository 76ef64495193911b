//! `-o table` and `-o wide`: one row per DaemonSet in kubectl's borderless style, then under each
//! imperfect row the nodes concerned with their state and the first reason.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Color, Table, presets};

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{DaemonSetReport, PairReport, Report, State};

/// Nodes listed under a DaemonSet before "… and N more".
const DETAIL_LIMIT: usize = 5;

pub fn render(
    report: &Report,
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let painter = Painter { color: opts.color };
    let mut header = vec![
        "NAMESPACE",
        "NAME",
        "ELIGIBLE",
        "READY",
        "NOT-READY",
        "PENDING",
        "FAILED",
        "MISSING",
        "MISSCHED",
        "OUTDATED",
        "COVERAGE",
    ];
    if wide {
        header.extend(["NODE-SELECTOR", "AFFINITY", "TOLERATIONS"]);
    }
    let mut table = Table::new();
    table.load_style(presets::NOTHING);
    if opts.color {
        table.enforce_styling();
    } else {
        table.force_no_tty();
    }
    if !opts.no_headers {
        table.set_header(header.clone());
    }
    for d in &report.daemon_sets {
        let c = &d.counts;
        let name = if d.from_manifest {
            format!("{} (manifest)", d.name)
        } else {
            d.name.clone()
        };
        let mut row = vec![Cell::new(&d.namespace), Cell::new(name)];
        for n in [
            c.eligible,
            c.ready,
            c.not_ready,
            c.pending,
            c.failed,
            c.missing,
            c.misscheduled,
            c.outdated,
        ] {
            row.push(Cell::new(n).set_alignment(CellAlignment::Right));
        }
        let mut coverage =
            Cell::new(style::percent(c.coverage_percent)).set_alignment(CellAlignment::Right);
        if opts.color {
            coverage = coverage.fg(match style::counts_tone(c) {
                Tone::Good => Color::Green,
                Tone::Bad => Color::Red,
                _ => Color::Yellow,
            });
        }
        row.push(coverage);
        if wide {
            row.extend(wide_cells(d).into_iter().map(Cell::new));
        }
        table.add_row(row);
    }
    for (i, col) in table.column_iter_mut().enumerate() {
        col.set_padding((0, if i + 1 == header.len() { 0 } else { 3 }));
        if (2..=10).contains(&i) {
            col.set_cell_alignment(CellAlignment::Right);
        }
    }
    let lines: Vec<String> = table.lines().map(|l| l.trim_end().to_string()).collect();
    let (head, rows) = if opts.no_headers {
        (None, &lines[..])
    } else {
        (lines.first(), &lines[1..])
    };
    if let Some(h) = head {
        writeln!(out, "{h}")?;
    }
    for (d, line) in report.daemon_sets.iter().zip(rows) {
        writeln!(out, "{line}")?;
        if opts.no_headers {
            continue;
        }
        write_details(d, &painter, out)?;
        if d.counts.eligible == 0 && !d.exclusions.is_empty() && !wide {
            // Eligible nowhere is the classic toleration/selector typo: say why at once.
            writeln!(
                out,
                "  {}",
                painter.paint("no node is eligible:", Tone::Warn)
            )?;
            for e in d.exclusions.iter().take(2) {
                let noun = if e.count == 1 { "node" } else { "nodes" };
                writeln!(out, "    {} {noun}: {}", e.count, e.reason.message)?;
            }
        }
        if wide {
            for e in d.exclusions.iter().take(DETAIL_LIMIT) {
                let noun = if e.count == 1 { "node" } else { "nodes" };
                writeln!(out, "    {} {noun} excluded: {}", e.count, e.reason.message)?;
            }
            if d.exclusions.len() > DETAIL_LIMIT {
                writeln!(
                    out,
                    "    … and {} more exclusion reasons",
                    d.exclusions.len() - DETAIL_LIMIT
                )?;
            }
        }
    }
    if !opts.no_headers {
        writeln!(out)?;
        writeln!(out, "{}", summary_line(report))?;
    }
    Ok(())
}

/// Placement rules in short form for `-o wide`.
fn wide_cells(d: &DaemonSetReport) -> [String; 3] {
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
    let mut tolerations = p.tolerations.join(",");
    if p.host_network {
        tolerations = if tolerations.is_empty() {
            "hostNetwork".into()
        } else {
            format!("{tolerations},hostNetwork")
        };
    }
    [
        none_if_empty(selector.join(",")),
        affinity,
        none_if_empty(tolerations),
    ]
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
    !matches!(p.state, State::Ready | State::Ineligible) || p.outdated || p.duplicates > 0
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

fn write_details(d: &DaemonSetReport, p: &Painter, out: &mut dyn Write) -> std::io::Result<()> {
    let mut pairs: Vec<&PairReport> = d.nodes.iter().filter(|x| concerned(d, x)).collect();
    pairs.sort_by(|a, b| {
        severity(a.state)
            .cmp(&severity(b.state))
            .then_with(|| a.node.cmp(&b.node))
    });
    let shown = &pairs[..pairs.len().min(DETAIL_LIMIT)];
    let node_w = shown
        .iter()
        .map(|x| style::width(&x.node))
        .max()
        .unwrap_or(0);
    let labels: Vec<String> = shown.iter().map(|x| state_label(x)).collect();
    let state_w = labels.iter().map(|l| style::width(l)).max().unwrap_or(0);
    for (pair, label) in shown.iter().zip(&labels) {
        let reason = pair
            .reasons
            .first()
            .map(|r| r.message.as_str())
            .unwrap_or("");
        writeln!(
            out,
            "  {}  {}  {}",
            style::pad_paint(p, &pair.node, node_w, Tone::Plain),
            style::pad_paint(p, label, state_w, style::tone(pair.state)),
            reason
        )?;
    }
    if pairs.len() > DETAIL_LIMIT {
        writeln!(out, "  … and {} more", pairs.len() - DETAIL_LIMIT)?;
    }
    Ok(())
}

fn state_label(p: &PairReport) -> String {
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
    let plural = |n: usize, one: &str, many: &str| {
        if n == 1 {
            format!("{n} {one}")
        } else {
            format!("{n} {many}")
        }
    };
    let mut line = format!(
        "{}, {}: {} of {} eligible pairs Ready ({})",
        plural(s.daemon_sets, "DaemonSet", "DaemonSets"),
        plural(s.nodes, "node", "nodes"),
        c.ready,
        c.eligible,
        style::percent(c.coverage_percent)
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
    line.push('.');
    line
}
