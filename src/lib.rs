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
pub fn run(config: &Config, stdin: &mut dyn Read, out: &mut dyn Write, _err: &mut dyn Write) -> Result<Exit> {
    let snapshot = match &config.input {
        Input::Files(paths) => source::file::load(paths, stdin)?,
    };
    let report = coverage::compute(&snapshot, &config.audit).map_err(|e| Error::NotFound(e.to_string()))?;
    render::render(&report, &config.render, out)?;
    Ok(Exit::Ok)
}
