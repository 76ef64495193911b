//! ds-coverage: DaemonSet coverage as the DaemonSet controller sees it.
//!
//! The flow is fetch → snapshot → compute → report → render: [`source`] reads objects into a
//! [`snapshot::Snapshot`], [`coverage::compute`] turns it into a [`report::Report`] (pure, with
//! `now` injected), and [`render`] prints it.

pub mod cli;
pub mod config;
pub mod coverage;
pub mod duration;
pub mod eligibility;
pub mod error;
pub mod gate;
pub mod model;
pub mod reason;
pub mod render;
pub mod report;
pub mod snapshot;
pub mod source;

use std::io::{Read, Write};

use config::{Config, Input};
use error::{Error, Exit, Result};

/// Run the audit described by `config`, writing the output to `out`.
pub fn run(
    config: &Config,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<Exit> {
    let snapshot = match &config.input {
        Input::Files(paths) => source::file::load(paths, stdin)?,
    };
    let report =
        coverage::compute(&snapshot, &config.audit).map_err(|e| Error::NotFound(e.to_string()))?;
    if report.daemon_sets.is_empty() && config.render.format.is_human() {
        // As kubectl: the notice goes to stderr, so a pipeline sees empty output.
        writeln!(err, "{}", no_daemon_sets_message(config))?;
        return Ok(Exit::Ok);
    }
    render::render(&report, &config.render, out)?;
    Ok(Exit::Ok)
}

fn no_daemon_sets_message(config: &Config) -> String {
    match (&config.audit.namespace, &config.input) {
        (Some(ns), _) => {
            format!("No DaemonSets found in namespace {ns}. Use -A to audit all namespaces.")
        }
        (None, Input::Files(_)) => "No DaemonSets found in the input.".to_string(),
    }
}
