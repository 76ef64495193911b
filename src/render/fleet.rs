//! A fleet's output: every format of the single-cluster report, with the cluster named —
//! a CLUSTER column and a summary line per cluster in table and wide, a section per cluster in
//! matrix and markdown, testsuites led by the cluster in JUnit, the fleet report in JSON/YAML.

use std::io::Write;

use super::style::{Painter, Tone};
use crate::cli::Format;
use crate::config::RenderOptions;
use crate::report::fleet::{ClusterEntry, FleetReport, Outcome};
use crate::report::{Report, Source};

pub fn render(
    fleet: &FleetReport,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match opts.format {
        Format::Json | Format::Yaml => super::serialized(fleet, opts.format, out),
        Format::Table | Format::Wide => table(fleet, opts, opts.format == Format::Wide, out),
        Format::Matrix => matrix(fleet, opts, out),
        Format::Markdown => markdown(fleet, out),
        Format::Junit => {
            let gates: Vec<_> = fleet
                .clusters
                .iter()
                .map(|c| match &c.outcome {
                    Outcome::Report(r) => {
                        // Without --check the default policy decides which pairs fail.
                        let gate = r.gate.clone().unwrap_or_else(|| {
                            crate::gate::evaluate(r, &crate::gate::Policy::default())
                        });
                        (c.name.as_str(), Ok((r.as_ref(), gate)))
                    }
                    Outcome::Error(e) => (c.name.as_str(), Err(e.message.as_str())),
                })
                .collect();
            super::junit::render_fleet(&gates, fleet.generated_at, out)
        }
        Format::Prometheus => {
            // One exposition, every series labelled with its cluster (the context, or the NAME
            // of `-f NAME=PATH`); an unreadable cluster is `ds_coverage_cluster_up 0`.
            let clusters: Vec<_> = fleet
                .clusters
                .iter()
                .map(|c| super::prometheus::ClusterMetrics {
                    cluster: Some(c.name.as_str()),
                    outcome: match &c.outcome {
                        Outcome::Report(r) => super::prometheus::Outcome::Report(r.as_ref()),
                        Outcome::Error(e) => super::prometheus::Outcome::Unreadable(&e.message),
                    },
                })
                .collect();
            let metrics = super::prometheus::Options {
                max_gaps: opts.metrics_max_gaps,
            };
            super::prometheus::write(&clusters, &metrics, out)
        }
    }
}

/// The line that stands for a cluster that could not be read.
fn unreadable(c: &ClusterEntry) -> Option<String> {
    match &c.outcome {
        Outcome::Error(e) => Some(format!("cannot be read ({}): {}", e.reason, e.message)),
        Outcome::Report(_) => None,
    }
}

fn table(
    fleet: &FleetReport,
    opts: &RenderOptions,
    wide: bool,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let reports: Vec<(&str, &Report)> = fleet
        .clusters
        .iter()
        .filter_map(|c| match &c.outcome {
            Outcome::Report(r) => Some((c.name.as_str(), r.as_ref())),
            Outcome::Error(_) => None,
        })
        .collect();
    // One table of every cluster's rows, so the columns line up across clusters.
    let mut all = match reports.first() {
        Some((_, r)) => (*r).clone(),
        None => empty_report(fleet),
    };
    all.daemon_sets = reports
        .iter()
        .flat_map(|(_, r)| r.daemon_sets.iter().cloned())
        .collect();
    let rows: Vec<&str> = reports
        .iter()
        .flat_map(|(name, r)| std::iter::repeat_n(*name, r.daemon_sets.len()))
        .collect();
    // No row to show (every cluster unreadable or without DaemonSets): no bare header either.
    let any_row = !all.daemon_sets.is_empty();
    if any_row || opts.no_headers {
        super::table::render_fleet_rows(&all, &rows, opts, wide, out)?;
    }
    if opts.no_headers {
        return Ok(());
    }
    if any_row {
        writeln!(out)?;
    }
    let p = Painter { color: opts.color };
    for c in &fleet.clusters {
        match &c.outcome {
            Outcome::Report(_) if c.empty_notice.is_some() => {
                let line = format!("{}: {}", c.name, c.empty_notice.as_deref().unwrap_or(""));
                for l in wrapped(&line, opts.width) {
                    writeln!(out, "{l}")?;
                }
            }
            Outcome::Report(r) => {
                super::table::write_footer(r, opts, &format!("{}: ", c.name), out)?
            }
            Outcome::Error(_) => {
                let line = format!("{}: {}", c.name, unreadable(c).unwrap_or_default());
                for l in wrapped(&line, opts.width) {
                    writeln!(out, "{}", p.paint(&l, Tone::Bad))?;
                }
            }
        }
    }
    for (name, r) in &reports {
        if r.static_pods.is_some() {
            writeln!(out, "\n{name}:")?;
            super::statics::write_table(r, opts, out)?;
        }
    }
    write_fleet_line(fleet, opts, out)
}

fn write_fleet_line(
    fleet: &FleetReport,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    for l in wrapped(&fleet_line(fleet), opts.width) {
        writeln!(out, "{l}")?;
    }
    Ok(())
}

/// "Fleet: 3 clusters (1 unreadable), 12 DaemonSets, 40 nodes: 118 of 120 eligible pairs Ready (98.33%)."
fn fleet_line(fleet: &FleetReport) -> String {
    let s = &fleet.summary;
    let unreadable = if s.unreadable > 0 {
        format!(" ({} unreadable)", s.unreadable)
    } else {
        String::new()
    };
    format!(
        "Fleet: {} {}{unreadable}, {} {}, {} nodes: {} of {} eligible pairs Ready ({}).",
        s.clusters,
        super::table::plural(s.clusters, "cluster", "clusters"),
        s.daemon_sets,
        super::table::plural(s.daemon_sets, "DaemonSet", "DaemonSets"),
        s.nodes,
        s.counts.ready,
        s.counts.eligible,
        super::style::coverage(&s.counts)
    )
}

/// A report of nothing, to lay out the table's header when no cluster was read.
fn empty_report(fleet: &FleetReport) -> Report {
    Report {
        schema_version: fleet.schema_version,
        kind: crate::report::KIND.to_string(),
        generated_at: fleet.generated_at,
        source: Source::File { paths: Vec::new() },
        node_selector: None,
        summary: Default::default(),
        daemon_sets: Vec::new(),
        nodes: Vec::new(),
        orphans: Vec::new(),
        warnings: Vec::new(),
        gate: None,
        static_pods: None,
    }
}

fn heading(c: &ClusterEntry) -> String {
    match &c.source {
        Source::Cluster { server, .. } if !server.is_empty() => {
            format!("CLUSTER {} ({server})", c.name)
        }
        Source::Cluster { .. } => format!("CLUSTER {}", c.name),
        Source::File { paths } => format!("CLUSTER {} ({})", c.name, paths.join(", ")),
    }
}

fn matrix(fleet: &FleetReport, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    let p = Painter { color: opts.color };
    for (i, c) in fleet.clusters.iter().enumerate() {
        if i > 0 {
            writeln!(out)?;
        }
        if !opts.no_headers {
            let head = super::style::truncate(&heading(c), opts.width);
            writeln!(out, "{}", p.bold(&head))?;
        }
        match &c.outcome {
            Outcome::Error(_) => {
                for l in wrapped(&unreadable(c).unwrap_or_default(), opts.width) {
                    writeln!(out, "{}", p.paint(&l, Tone::Bad))?;
                }
            }
            Outcome::Report(r) if r.daemon_sets.is_empty() => {
                let notice = c.empty_notice.clone();
                for l in wrapped(
                    &notice.unwrap_or_else(|| super::table::summary_line(r)),
                    opts.width,
                ) {
                    writeln!(out, "{l}")?;
                }
            }
            Outcome::Report(r) => super::render(r, opts, out)?,
        }
    }
    if !opts.no_headers {
        writeln!(out)?;
        write_fleet_line(fleet, opts, out)?;
    }
    Ok(())
}

fn markdown(fleet: &FleetReport, out: &mut dyn Write) -> std::io::Result<()> {
    let s = &fleet.summary;
    writeln!(
        out,
        "# DaemonSet coverage of {} {}: {} ({} of {} eligible pairs Ready)\n",
        s.clusters,
        if s.clusters == 1 {
            "cluster"
        } else {
            "clusters"
        },
        super::style::coverage(&s.counts),
        s.counts.ready,
        s.counts.eligible
    )?;
    if let Some(g) = &s.gate {
        writeln!(
            out,
            "**Fleet gate: {}** {}\n",
            if g.passed { "passed" } else { "failed" },
            if g.passed { "✅" } else { "❌" }
        )?;
    }
    writeln!(
        out,
        "| Cluster | DaemonSets | Nodes | Eligible | Ready | Coverage | Gate |"
    )?;
    writeln!(out, "|---|--:|--:|--:|--:|--:|---|")?;
    for c in &fleet.clusters {
        match &c.outcome {
            Outcome::Report(r) => {
                let k = &r.summary.counts;
                writeln!(
                    out,
                    "| {} | {} | {} | {} | {} | {} | {} |",
                    cell(&c.name),
                    r.summary.daemon_sets,
                    r.summary.nodes,
                    k.eligible,
                    k.ready,
                    super::style::coverage(k),
                    match &r.gate {
                        Some(g) if g.passed => "passed ✅",
                        Some(_) => "failed ❌",
                        None => "",
                    }
                )?;
            }
            Outcome::Error(e) => writeln!(
                out,
                "| {} | | | | | | cannot be read ({}) ❌ |",
                cell(&c.name),
                cell(&e.reason)
            )?,
        }
    }
    writeln!(out)?;
    for c in &fleet.clusters {
        writeln!(out, "# Cluster `{}`\n", c.name.replace('`', "'"))?;
        match &c.outcome {
            Outcome::Report(r) => {
                super::markdown::render(r, out)?;
                super::statics::write_markdown(r, out)?;
            }
            Outcome::Error(e) => writeln!(
                out,
                "> ❌ cannot be read ({}): {}\n",
                cell(&e.reason),
                cell(&e.message)
            )?,
        }
    }
    Ok(())
}

/// `text` in lines of at most `width` columns, the lines after the first indented by two.
fn wrapped(text: &str, width: usize) -> Vec<String> {
    super::style::wrap(text, 0, 2, width)
        .into_iter()
        .enumerate()
        .map(|(i, l)| if i == 0 { l } else { format!("  {l}") })
        .collect()
}

/// A table cell: pipes escaped, one line.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
