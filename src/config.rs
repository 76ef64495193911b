//! `Cli` → `Config`: validated and resolved once. Nothing past here sees clap types, reads the
//! environment or the clock: those come in through [`Env`].

use jiff::Timestamp;

use crate::cli::{Cli, ColorWhen, Format};
use crate::coverage::Options;
use crate::eligibility::labels::Selector;
use crate::error::{Error, Result};

/// What the process environment says, gathered by `main` (and faked by tests).
#[derive(Debug, Clone)]
pub struct Env {
    pub now: Timestamp,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    pub stdout_is_terminal: bool,
}

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub format: Format,
    pub color: bool,
    pub no_headers: bool,
    pub group_by: Option<String>,
    pub all_nodes: bool,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub input: Input,
    pub audit: Options,
    pub render: RenderOptions,
}

impl Config {
    pub fn from_cli(cli: Cli, env: &Env) -> Result<Config> {
        let s = cli.scope;
        let now = match &s.as_of {
            Some(t) => t.parse::<Timestamp>().map_err(|e| {
                Error::Usage(format!(
                    "invalid --as-of {t:?}: {e} (expected RFC 3339, e.g. 2026-11-20T12:00:00Z)"
                ))
            })?,
            None => env.now,
        };
        let selector = parse_selector("--selector", s.selector.as_deref())?;
        let node_selector = parse_selector("--node-selector", s.node_selector.as_deref())?;
        if s.all_namespaces && !cli.daemon_sets.is_empty() {
            return Err(Error::Usage(
                "a DaemonSet name cannot be combined with --all-namespaces; use -n NAMESPACE"
                    .into(),
            ));
        }
        let input = if s.from_file.is_empty() {
            return Err(Error::Usage(
                "no input: reading a live cluster is not available in this build yet; \
                 pass --from-file with `kubectl get nodes,daemonsets,pods,controllerrevisions -A -o json` output"
                    .into(),
            ));
        } else {
            Input::Files(s.from_file)
        };
        // With files the files are the scope (as `kubectl get -f`): every namespace unless -n.
        let namespace = if s.all_namespaces { None } else { s.namespace };
        let mut audit = Options::new(now);
        audit.namespace = namespace;
        audit.names = cli.daemon_sets;
        audit.selector = selector;
        audit.node_selector = node_selector;
        audit.include_ineligible = cli.output.include_ineligible;
        audit.comparison_operators = s.toleration_comparison_operators;
        let machine = matches!(cli.output.output, Format::Json | Format::Yaml);
        let color = !machine
            && match cli.output.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => env.stdout_is_terminal && !env.no_color,
            };
        if cli.output.group_by.is_some() && cli.output.output != Format::Matrix {
            return Err(Error::Usage("--group-by applies to -o matrix".into()));
        }
        let render = RenderOptions {
            format: cli.output.output,
            color,
            no_headers: cli.output.no_headers,
            group_by: cli.output.group_by,
            all_nodes: cli.output.all_nodes,
        };
        Ok(Config {
            input,
            audit,
            render,
        })
    }
}

fn parse_selector(flag: &str, s: Option<&str>) -> Result<Option<Selector>> {
    s.map(|s| Selector::parse(s).map_err(|e| Error::Usage(format!("invalid {flag}: {e}"))))
        .transpose()
}
