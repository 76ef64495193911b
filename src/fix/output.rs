//! The plan and the result, as kubectl-style text or as JSON/YAML.

use std::io::Write;

use super::FixResult;
use super::apply::DryRun;
use super::plan::Plan;
use crate::cli::Format;
use crate::render::style;

/// `1 action`, `3 actions`.
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn machine<T: serde::Serialize>(
    value: &T,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<bool> {
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, value)?;
            writeln!(out)?;
            Ok(true)
        }
        Format::Yaml => {
            let text = serde_saphyr::to_string(value).map_err(std::io::Error::other)?;
            out.write_all(text.as_bytes())?;
            Ok(true)
        }
        _ => Ok(false),
    }
}

/// The width of each column: its widest cell.
fn widths(rows: &[Vec<String>]) -> Vec<usize> {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    (0..columns)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| style::width(s))
                .max()
                .unwrap_or(0)
        })
        .collect()
}

/// One row, each cell but the last padded to its column's width, two spaces apart; its last cell (a reason, a detail) wrapped between words
/// to `width` columns under its own column; when the other cells leave it fewer than
/// [`MIN_LAST`] columns, on lines of its own, four columns past `indent`.
fn row_lines(row: &[String], widths: &[usize], indent: &str, width: usize) -> Vec<String> {
    let Some((last, cells)) = row.split_last() else {
        return Vec::new();
    };
    let mut head = indent.to_string();
    for (c, cell) in cells.iter().enumerate() {
        // Padded by display width: a wide character takes two columns.
        let pad = widths.get(c).copied().unwrap_or(0);
        head.push_str(cell);
        head.push_str(&" ".repeat(pad.saturating_sub(style::width(cell)) + 2));
    }
    let col = style::width(&head);
    if col + style::width(last) <= width {
        return vec![format!("{head}{last}").trim_end().to_string()];
    }
    let hang = indent.len() + 4;
    let columns = indent.len()
        + widths
            .iter()
            .take(cells.len())
            .map(|w| w + 2)
            .sum::<usize>();
    if columns > width + 2 {
        // Too narrow for the columns themselves: the row's words wrapped, unaligned.
        let words = format!("{} {last}", cells.join(" "));
        let mut lines = style::wrap(&words, indent.len(), hang, width).into_iter();
        let first = lines.next().map(|l| format!("{indent}{l}"));
        return first
            .into_iter()
            .chain(lines.map(|l| format!("{:hang$}{l}", "")))
            .collect();
    }
    under(&head, last, col, hang, width)
}

/// The last column's text starts at `col` after `head` (or, with too little room there, on the
/// lines after a non-blank `head`, at `hang`), wrapped to `width`.
fn under(head: &str, text: &str, col: usize, hang: usize, width: usize) -> Vec<String> {
    let mut out = Vec::new();
    // A command to paste (in backquotes) that the column cannot hold on one line sends the
    // text under the row, where it can (`style::wrap` keeps it whole given the room).
    let command = text
        .split('`')
        .skip(1)
        .step_by(2)
        .map(|c| style::width(c) + 2)
        .max()
        .unwrap_or(0);
    let beside = col + MIN_LAST <= width && (col + command <= width || hang + command > width);
    let col = if beside { col } else { hang };
    if !beside && !head.trim().is_empty() {
        out.push(head.trim_end().to_string());
    }
    for (i, line) in style::wrap(text, col, col, width).into_iter().enumerate() {
        if i == 0 && beside {
            out.push(format!("{head}{line}"));
        } else {
            out.push(format!("{:col$}{line}", ""));
        }
    }
    out
}

/// The fewest columns a wrapped last column is given beside the others.
const MIN_LAST: usize = 24;

fn write_rows(
    rows: &[Vec<String>],
    indent: &str,
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let widths = widths(rows);
    for row in rows {
        for line in row_lines(row, &widths, indent, width) {
            writeln!(out, "{line}")?;
        }
    }
    Ok(())
}

/// The plan: one line per action, then one per gap with its hint below; lines fit `width`
/// columns (the reasons wrapped under their column).
pub fn write_plan(
    plan: &Plan,
    format: Format,
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if machine(plan, format, out)? {
        return Ok(());
    }
    let title = format!(
        "Plan ({}, {} that no action can fix):",
        count(plan.actions.len(), "action", "actions"),
        count(plan.gaps.len(), "gap", "gaps")
    );
    write!(out, "{}", style::fit_lines(&title, width))?;
    let mut rows: Vec<Vec<String>> = Vec::new();
    for a in &plan.actions {
        rows.push(vec![
            a.action.as_str().to_string(),
            format!("{}/{}", a.namespace, a.pod),
            format!("on {}", a.node),
            a.reason.clone(),
        ]);
    }
    for g in &plan.gaps {
        rows.push(vec![
            "cannot".to_string(),
            format!("{}/{}", g.namespace, g.daemon_set),
            format!("on {}", g.node),
            format!("{}: {}", g.state, g.reason),
        ]);
    }
    let indent = "  ";
    let widths = widths(&rows);
    // A gap's hint goes on its own line, under the reason column.
    let reason_col = indent.len() + widths.iter().take(3).map(|w| w + 2).sum::<usize>();
    for (i, row) in rows.iter().enumerate() {
        for line in row_lines(row, &widths, indent, width) {
            writeln!(out, "{line}")?;
        }
        if let Some(g) = i
            .checked_sub(plan.actions.len())
            .and_then(|j| plan.gaps.get(j))
        {
            let head = format!("{:reason_col$}", "");
            for line in under(&head, &format!("— {}", g.hint), reason_col, 6, width) {
                writeln!(out, "{}", line.trim_end())?;
            }
        }
    }
    if !plan.notes.is_empty() {
        let title = format!(
            "The controller removes {} itself (no call planned):",
            count(plan.notes.len(), "pod", "pods")
        );
        write!(out, "{}", style::fit_lines(&title, width))?;
        let rows: Vec<Vec<String>> = plan
            .notes
            .iter()
            .map(|n| {
                vec![
                    format!("{}/{}", n.namespace, n.pod),
                    format!("on {}", n.node),
                    n.reason.clone(),
                ]
            })
            .collect();
        write_rows(&rows, indent, width, out)?;
    }
    Ok(())
}

/// What was done: a summary line, then one line per action with its outcome (fitting `width`
/// columns as the plan does).
pub fn write_result(
    result: &FixResult,
    format: Format,
    width: usize,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if machine(result, format, out)? {
        return Ok(());
    }
    let s = &result.summary;
    let dry = match result.dry_run {
        DryRun::None => "",
        DryRun::Client => " (client dry run: nothing sent)",
        DryRun::Server => " (server dry run: nothing changed)",
    };
    let title = format!(
        "Result{dry}: {} done, {} skipped, {} failed, {} not attempted",
        s.done, s.skipped, s.failed, s.not_attempted
    );
    write!(out, "{}", style::fit_lines(&title, width))?;
    let rows: Vec<Vec<String>> = result
        .results
        .iter()
        .map(|r| {
            let mut detail = r.detail.clone();
            if r.attempts > 1 {
                detail.push_str(&format!(" ({} attempts)", r.attempts));
            }
            vec![
                r.outcome.as_str().to_string(),
                r.action.action.as_str().to_string(),
                format!("{}/{}", r.action.namespace, r.action.pod),
                format!("on {}", r.action.node),
                detail,
            ]
        })
        .collect();
    write_rows(&rows, "  ", width, out)?;
    if !result.gaps.is_empty() {
        let line = format!(
            "{} that no action can fix remain (see the plan above).",
            count(result.gaps.len(), "gap", "gaps")
        );
        write!(out, "{}", style::fit_lines(&line, width))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::plan::{Action, ActionKind, Cause, FixOptions, Gap, PlanSource};

    #[test]
    fn the_plan_table_lines_up_actions_and_gaps_with_hints() {
        let plan = Plan {
            schema_version: 1,
            kind: "DaemonSetFixPlan".into(),
            source: PlanSource::File { paths: vec![] },
            options: FixOptions::default(),
            actions: vec![Action {
                action: ActionKind::Evict,
                cause: Cause::Misscheduled,
                namespace: "logging".into(),
                daemon_set: "fluent-bit".into(),
                daemon_set_uid: "u".into(),
                node: "worker-5".into(),
                pod: "fluent-bit-mzbwr".into(),
                pod_uid: "p".into(),
                resource_version: None,
                reason: "Misscheduled: untolerated taint".into(),
                selector: None,
                revision: None,
            }],
            gaps: vec![Gap {
                namespace: "gpu-operator".into(),
                daemon_set: "nvidia-device-plugin".into(),
                node: "gpu-2".into(),
                pod: None,
                state: crate::fix::plan::GapState::Pair(crate::report::State::Pending),
                reason: "Insufficient cpu".into(),
                hint: "see `explain`".into(),
            }],
            notes: vec![crate::fix::plan::Note {
                namespace: "logging".into(),
                daemon_set: "fluent-bit".into(),
                node: "worker-6".into(),
                pod: "fluent-bit-x".into(),
                reason: "Misscheduled: untolerated taint a=b:NoExecute (the controller deletes it; nothing to do)".into(),
            }],
        };
        let mut out = Vec::new();
        write_plan(&plan, Format::Table, usize::MAX, &mut out).unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "Plan (1 action, 1 gap that no action can fix):");
        assert!(
            lines[1].starts_with("  evict   logging/fluent-bit-mzbwr"),
            "{text}"
        );
        assert!(
            lines[2].starts_with("  cannot  gpu-operator/nvidia-device-plugin"),
            "{text}"
        );
        // The hint starts under the reason column.
        let reason_at = lines[2].find("Pending:").unwrap();
        assert_eq!(lines[3].find('—'), Some(reason_at), "{text}");
        assert_eq!(lines[1].find("Misscheduled:"), Some(reason_at), "{text}");
        assert_eq!(
            lines[4],
            "The controller removes 1 pod itself (no call planned):"
        );
        assert_eq!(
            lines[5],
            "  logging/fluent-bit-x  on worker-6  Misscheduled: untolerated taint a=b:NoExecute (the controller deletes it; nothing to do)"
        );
    }
}
