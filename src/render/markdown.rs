//! `-o markdown`: a summary table and per-DaemonSet details, for a GitHub step summary or a PR
//! comment (GitHub-flavoured: pipe tables, `<details>` blocks).

use std::io::Write;

use crate::report::{PairReport, Report, State};

pub fn render(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let c = &report.summary.counts;
    writeln!(
        out,
        "## DaemonSet coverage: {} ({} of {} eligible pairs Ready)\n",
        crate::render::style::coverage(c),
        c.ready,
        c.eligible
    )?;
    if let Some(g) = &report.gate {
        if g.passed {
            writeln!(out, "**Gate: passed** ✅\n")?;
        } else {
            writeln!(
                out,
                "**Gate: failed** ❌ — {} violations\n",
                g.violations.len()
            )?;
            // What fails the audit as a whole is no DaemonSet's row: said here.
            for v in g.violations.iter().filter(|v| v.daemon_set == "*") {
                writeln!(out, "- **{}**: {}", v.state.as_str(), cell(&v.reason))?;
            }
            if g.violations.iter().any(|v| v.daemon_set == "*") {
                writeln!(out)?;
            }
        }
    }
    writeln!(
        out,
        "| Namespace | DaemonSet | Eligible | Ready | Not ready | Pending | Failed | Missing | Misscheduled | Outdated | Coverage |"
    )?;
    writeln!(out, "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|")?;
    for d in &report.daemon_sets {
        let k = &d.counts;
        writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            cell(&d.namespace),
            cell(&if d.from_manifest {
                format!("{} (what-if)", d.name)
            } else {
                d.name.clone()
            }),
            k.eligible,
            k.ready,
            k.not_ready,
            k.pending,
            k.failed,
            k.missing,
            k.misscheduled,
            k.outdated,
            if d.unknown.is_some() {
                "Unknown".to_string()
            } else {
                crate::render::style::coverage(k)
            }
        )?;
    }
    writeln!(out)?;
    for d in report
        .daemon_sets
        .iter()
        .filter(|d| d.counts.coverage_percent.is_none() && d.unknown.is_none())
    {
        let groups: Vec<String> = d
            .exclusions
            .iter()
            .map(|e| format!("{} ({})", e.reason.message, e.count))
            .collect();
        match &report.node_selector {
            None => writeln!(
                out,
                "> ❌ **{}/{}** is eligible on no node: {}\n",
                cell(&d.namespace),
                cell(&d.name),
                cell(&groups.join("; "))
            )?,
            // Only the selected nodes were audited: it may be eligible on the others.
            Some(sel) => writeln!(
                out,
                "> **{}/{}** is eligible on none of the nodes selected by `--node-selector {}`: {}\n",
                cell(&d.namespace),
                cell(&d.name),
                cell(sel),
                cell(&groups.join("; "))
            )?,
        }
    }
    for d in &report.daemon_sets {
        if let Some(u) = &d.unknown {
            writeln!(
                out,
                "> ❌ **{}/{}** is Unknown: its pods could not be read: {}\n",
                cell(&d.namespace),
                cell(&d.name),
                cell(&u.reason)
            )?;
        }
    }
    writeln!(out, "{}\n", crate::render::table::summary_line(report))?;
    for d in &report.daemon_sets {
        let pairs: Vec<&PairReport> = d
            .nodes
            .iter()
            .filter(|p| p.state != State::Ready || p.outdated || p.duplicates > 0)
            .collect();
        let nowhere = d.counts.eligible == 0 && !d.exclusions.is_empty();
        let orphans: Vec<&crate::report::OrphanReport> = report
            .orphans
            .iter()
            .filter(|o| o.daemon_set == format!("{}/{}", d.namespace, d.name))
            .collect();
        if pairs.is_empty()
            && d.warnings.is_empty()
            && !nowhere
            && d.pods_on_missing_nodes.is_empty()
            && orphans.is_empty()
        {
            continue;
        }
        let mut head = if nowhere && report.node_selector.is_some() {
            "eligible on none of the selected nodes".to_string()
        } else if nowhere {
            "no node is eligible".to_string()
        } else {
            headline(&pairs)
        };
        if !d.pods_on_missing_nodes.is_empty() {
            let n = d.pods_on_missing_nodes.len();
            let more = format!("{n} pod{} on deleted nodes", if n == 1 { "" } else { "s" });
            head = if head == "notes" {
                more
            } else {
                format!("{head}, {more}")
            };
        }
        writeln!(
            out,
            "<details><summary><b>{}/{}</b> — {head}</summary>\n",
            d.namespace, d.name
        )?;
        if nowhere {
            writeln!(out, "| Nodes excluded | Reason |")?;
            writeln!(out, "|--:|---|")?;
            for e in &d.exclusions {
                writeln!(out, "| {} | {} |", e.count, cell(&e.reason.message))?;
            }
            writeln!(out)?;
        }
        if !pairs.is_empty() {
            writeln!(out, "| Node | State | Reason |")?;
            writeln!(out, "|---|---|---|")?;
            for p in pairs {
                let state = crate::render::table::state_label(p);
                let reasons = crate::render::style::join_sentences(
                    p.reasons.iter().map(|r| r.message.as_str()),
                );
                writeln!(
                    out,
                    "| {} | {} | {} |",
                    cell(&p.node),
                    state,
                    cell(&reasons)
                )?;
            }
            writeln!(out)?;
        }
        for m in &d.pods_on_missing_nodes {
            writeln!(
                out,
                "> ⚠️ {}\n",
                cell(&crate::render::table::stranded_text(m))
            )?;
        }
        for o in orphans {
            writeln!(
                out,
                "> ⚠️ {}\n",
                cell(&crate::render::table::orphan_text(o))
            )?;
        }
        for w in &d.warnings {
            writeln!(out, "> ⚠️ {}\n", cell(w))?;
        }
        writeln!(out, "</details>\n")?;
    }
    for w in &report.warnings {
        writeln!(out, "> ⚠️ {}\n", cell(w))?;
    }
    if let Some(g) = &report.gate
        && !g.ignored.is_empty()
    {
        writeln!(
            out,
            "Ignored by policy: {} pairs (young, unready or draining nodes).",
            g.ignored.len()
        )?;
    }
    Ok(())
}

fn headline(pairs: &[&PairReport]) -> String {
    let mut counts: std::collections::BTreeMap<State, usize> = Default::default();
    let mut outdated = 0;
    let mut duplicates = 0;
    for p in pairs {
        if p.state != State::Ready {
            *counts.entry(p.state).or_default() += 1;
        }
        outdated += usize::from(p.outdated);
        duplicates += usize::from(p.duplicates > 0);
    }
    let mut parts: Vec<String> = counts.iter().map(|(s, n)| format!("{n} {s}")).collect();
    if outdated > 0 {
        parts.push(format!("{outdated} outdated"));
    }
    if duplicates > 0 {
        parts.push(format!("{duplicates} with duplicate pods"));
    }
    if parts.is_empty() {
        "notes".into()
    } else {
        parts.join(", ")
    }
}

/// Table cells must not break the row: escape pipes, flatten newlines, escape HTML brackets.
fn cell(s: &str) -> String {
    s.replace('|', "\\|")
        .replace('\n', " ")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
