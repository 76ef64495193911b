//! `-o table` and `-o wide`: one row per DaemonSet in kubectl's borderless style, then under each
//! imperfect row the nodes concerned with their state and the first reason.

use std::io::Write;

use comfy_table::{Cell, CellAlignment, Color, Table, presets};

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{DaemonSetReport, OrphanAction, PairReport, Report, State};

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
            coverage = match style::counts_tone(c) {
                Tone::Good => coverage.fg(Color::Green),
                Tone::Bad => coverage.fg(Color::Red),
                Tone::Plain => coverage,
                _ => coverage.fg(Color::Yellow),
            };
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
        if d.from_manifest && d.counts.eligible > 0 {
            // What-if: where would it land?
            let nodes: Vec<&str> = d
                .nodes
                .iter()
                .filter(|p| p.eligible)
                .map(|p| p.node.as_str())
                .collect();
            let more = if nodes.len() > 8 {
                format!(", … {} more", nodes.len() - 8)
            } else {
                String::new()
            };
            writeln!(
                out,
                "  would run on {} {}: {}{more}",
                nodes.len(),
                plural(nodes.len(), "node", "nodes"),
                nodes[..nodes.len().min(8)].join(", ")
            )?;
        }
        for m in &d.pods_on_missing_nodes {
            writeln!(
                out,
                "  {}  pod {} is for node {}, which no longer exists ({} removes it)",
                painter.paint("gone", Tone::Warn),
                m.pod,
                m.node,
                m.removed_by
            )?;
        }
        for w in &d.warnings {
            writeln!(out, "  {} {w}", painter.paint("note:", Tone::Warn))?;
        }
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
        for o in &report.orphans {
            let verb = match o.action {
                OrphanAction::Adopt => "adopts",
                OrphanAction::Release => "releases",
            };
            writeln!(
                out,
                "{} pod {}/{}{} has no DaemonSet controller reference: {} {verb} it",
                painter.paint("note:", Tone::Warn),
                o.namespace,
                o.name,
                o.node
                    .as_ref()
                    .map(|n| format!(" on {n}"))
                    .unwrap_or_default(),
                o.daemon_set
            )?;
        }
        for w in &report.warnings {
            writeln!(out, "{} {w}", painter.paint("note:", Tone::Warn))?;
        }
    }
    Ok(())
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 { one } else { many }
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
        let reason = detail_reason(pair);
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
            format!("{first}; {fate}")
        }
        State::Ready => pair
            .reasons
            .iter()
            .filter(|r| matches!(r.rule, Rule::Duplicate | Rule::Revision | Rule::Terminating))
            .map(|r| r.message.as_str())
            .collect::<Vec<_>>()
            .join("; "),
        _ => first,
    }
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
