//! Renderers: each a function of (&Report, options, writer). None decides a verdict.

pub mod explain;
pub mod fleet;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod prometheus;
pub mod statics;
pub mod style;
pub mod table;

use std::io::Write;

use crate::cli::Format;
use crate::config::RenderOptions;
use crate::report::Report;

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    match opts.format {
        Format::Json | Format::Yaml => serialized(report, opts.format, out),
        Format::Table | Format::Wide => {
            table::render(report, opts, opts.format == Format::Wide, out)?;
            statics::write_table(report, opts, out)
        }
        Format::Matrix => match statics::with_static_columns(report) {
            Some(view) => matrix::render(&view, opts, out),
            None => matrix::render(report, opts, out),
        },
        Format::Markdown => {
            markdown::render(report, out)?;
            statics::write_markdown(report, out)
        }
        Format::Junit => {
            // Without --check the default policy decides which pairs fail.
            let gate = match &report.gate {
                Some(g) => g.clone(),
                None => crate::gate::evaluate(report, &crate::gate::Policy::default()),
            };
            match statics::with_static_columns(report) {
                Some(view) => junit::render(&view, &gate, out),
                None => junit::render(report, &gate, out),
            }
        }
        Format::Prometheus => prometheus::write(
            &[prometheus::ClusterMetrics {
                cluster: metrics_cluster(report),
                outcome: prometheus::Outcome::Report(report),
            }],
            &prometheus::Options {
                max_gaps: opts.metrics_max_gaps,
            },
            out,
        ),
    }
}

/// The `cluster` label of a single run: the kubeconfig context; none for files, and none for
/// the in-cluster configuration, whose context names no cluster (the Pushgateway grouping key
/// or Prometheus' external labels say which).
fn metrics_cluster(report: &Report) -> Option<&str> {
    match &report.source {
        crate::report::Source::Cluster { context, .. } if context != "in-cluster" => {
            Some(context.as_str())
        }
        _ => None,
    }
}

/// `-o json` or `-o yaml` of a report, or of [`crate::coverage::Streamed`], written as it is
/// serialized (never built whole as text first).
pub fn serialized<T: serde::Serialize>(
    report: &T,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if format == Format::Yaml {
        serde_saphyr::to_io_writer(&mut &mut *out, report).map_err(|e| match e {
            serde_saphyr::SerializeError::IO { error } => error,
            other => std::io::Error::other(other),
        })
    } else {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
