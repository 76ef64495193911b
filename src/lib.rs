//! ds-coverage: DaemonSet coverage as the DaemonSet controller sees it.
//!
//! The flow is fetch → snapshot → compute → report → render: [`source`] reads objects into a
//! [`snapshot::Snapshot`], [`coverage::compute`] turns it into a [`report::Report`] (pure, with
//! `now` injected), and [`render`] prints it.

pub mod cli;
pub mod client;
pub mod complete;
pub mod config;
pub mod coverage;
pub mod duration;
pub mod eligibility;
pub mod error;
pub mod explain;
pub mod fasthash;
pub mod fix;
pub mod fleet;
pub mod follow;
pub mod gate;
pub mod interned;
pub mod model;
pub mod protobuf;
pub mod quantity;
pub mod reason;
pub mod render;
pub mod report;
pub mod schema;
pub mod session;
pub mod snapshot;
pub mod source;

use std::io::{Read, Write};
use std::sync::{Arc, Mutex};

use config::{Config, Input};
use error::{Error, Exit, Result};
use snapshot::Snapshot;

/// Standard error, shared with the fetch tasks (progress line, `-v` request log).
pub type SharedWriter = Arc<Mutex<Box<dyn Write + Send>>>;

/// Run the audit described by `config`, writing the output to `out`.
pub fn run(
    config: &Config,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    match config.mode {
        config::Mode::Completion(shell) => {
            write_completion(shell, out)?;
            return Ok(Exit::Ok);
        }
        config::Mode::Schema(which) => {
            schema::write(which, config.render.format, out)?;
            return Ok(Exit::Ok);
        }
        _ => {}
    }
    // What a person reads goes through the control-character filter; the machine formats
    // escape (JSON, YAML) or drop (JUnit) control characters themselves, and Prometheus' text
    // format is read by a scraper.
    use cli::Format;
    if matches!(
        config.render.format,
        Format::Json | Format::Yaml | Format::Junit | Format::Prometheus
    ) {
        return run_output(config, stdin, out, err);
    }
    let allowed = render::safe::Allowed {
        colour: config.render.color,
        redraw: config.watch.as_ref().is_some_and(|w| w.redraw),
    };
    let mut safe = render::safe::TerminalSafe::new(out, allowed);
    let code = run_output(config, stdin, &mut safe, err);
    safe.flush()?;
    code
}

/// [`run`], for every mode that audits.
fn run_output(
    config: &Config,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    if let config::Mode::Fix(settings) = &config.mode {
        return fix::run(settings, config, stdin, out, err);
    }
    if let Some(fleet) = &config.fleet {
        return fleet::run(config, fleet, stdin, out, err);
    }
    if let Some(wait) = &config.wait {
        return follow::live::run(config, wait, out, err);
    }
    if let Some(watch) = &config.watch {
        return follow::live::watch(config, watch, out, err);
    }
    let mut audit = config.audit.clone();
    let manifests = if config.manifests.is_empty() {
        Vec::new()
    } else {
        source::file::load_manifests(&config.manifests, stdin)?
    };
    // `explain NS/NAME` names its namespace as -n would.
    let named_namespace = match &config.mode {
        config::Mode::Explain { namespace, .. } => namespace.as_deref(),
        _ => None,
    };
    let session::Loaded { mut snapshot, live } = session::load(
        config,
        &mut audit,
        named_namespace,
        &manifests,
        stdin,
        err.clone(),
    )?;
    let explain = explain_request(&config.mode, audit.namespace.as_deref(), &manifests);
    if !manifests.is_empty() {
        let default_ns = audit
            .namespace
            .clone()
            .unwrap_or_else(|| "default".to_string());
        snapshot.apply_manifests(manifests, &default_ns);
        // The manifests say which DaemonSets to audit, in whatever namespace they name.
        audit.namespace = None;
    }
    if let Some(request) = explain {
        return run_explain(&request, config, &audit, snapshot, live, out);
    }
    if matches!(config.render.format, cli::Format::Json | cli::Format::Yaml) {
        // Every pair is written, but nothing reads them all at once: each DaemonSet's pairs
        // are produced as they are written (`coverage::Streamed`). A gate judges a report of
        // problems (what it reads: `gate::problems`), as `-o table --check` does.
        let mut streamed = coverage::compute_streamed(&snapshot, &audit)
            .map_err(|e| Error::NotFound(e.to_string()))?;
        let mut exit = Exit::Ok;
        if let Some(policy) = &config.gate {
            let mut lean = audit.clone();
            lean.pairs =
                coverage::Pairs::Problems(gate::problems(policy, &snapshot.nodes, audit.now));
            let judged =
                coverage::compute(&snapshot, &lean).map_err(|e| Error::NotFound(e.to_string()))?;
            let verdict = gate::evaluate_scoped(
                &judged,
                policy,
                &no_daemon_sets_message(&audit, &config.input),
            );
            exit = announce(config, &judged, &verdict, &err)?;
            streamed.set_gate(verdict);
        }
        render::streamed(&streamed, config.render.format, out)?;
        drop(streamed);
        drop_snapshot(snapshot);
        return Ok(exit);
    }
    audit.pairs = pairs_read_by(config, &snapshot, audit.now);
    let report =
        coverage::compute(&snapshot, &audit).map_err(|e| Error::NotFound(e.to_string()))?;
    drop_snapshot(snapshot);
    let verdict = config.gate.as_ref().map(|policy| {
        gate::evaluate_scoped(
            &report,
            policy,
            &no_daemon_sets_message(&audit, &config.input),
        )
    });
    conclude(config, &audit, report, verdict, out, &err)
}

/// Frees a snapshot of many pods on a thread of its own: hundreds of thousands of pods take
/// tens of milliseconds to free, which the report's writing (or the process's exit, which frees
/// them all at once) need not wait for. A small one is freed here.
fn drop_snapshot(snapshot: Snapshot) {
    let large = snapshot.pods.len() >= 10_000;
    drop_aside(snapshot, large);
}

/// Drops `value` on a thread of its own if `aside` (here, when the thread cannot be started:
/// the closure holding it is dropped then).
fn drop_aside<T: Send + 'static>(value: T, aside: bool) {
    if aside {
        let _ = std::thread::Builder::new()
            .name("drop-aside".into())
            .spawn(move || drop(value));
    }
}

/// The pairs a report in `config`'s format keeps: every one for the formats that write or draw
/// each pair (`-o json|yaml|matrix|junit`); for the others only the problems they list, and what
/// the gate (`--check`) judges beyond them ([`gate::problems`]), so that the plain Ready pairs
/// are counted and never collected.
pub fn pairs_read_by(
    config: &Config,
    snapshot: &Snapshot,
    now: jiff::Timestamp,
) -> coverage::Pairs {
    use cli::Format;
    match config.render.format {
        Format::Json | Format::Yaml | Format::Matrix | Format::Junit => coverage::Pairs::All,
        Format::Table | Format::Wide | Format::Markdown | Format::Prometheus => {
            coverage::Pairs::Problems(match &config.gate {
                Some(policy) => gate::problems(policy, &snapshot.nodes, now),
                None => coverage::Problems::default(),
            })
        }
    }
}

/// The end of a report run (a single audit, or `--wait`'s last): the gate's verdict on
/// stderr, then the report in the chosen format (or, for an empty human report, the notice).
pub(crate) fn conclude(
    config: &Config,
    audit: &coverage::Options,
    mut report: report::Report,
    verdict: Option<gate::GateReport>,
    out: &mut dyn Write,
    err: &SharedWriter,
) -> Result<Exit> {
    let mut exit = Exit::Ok;
    let mut said_empty = false;
    if let Some(verdict) = verdict {
        exit = announce(config, &report, &verdict, err)?;
        said_empty = exit == Exit::GateFailed && report.daemon_sets.is_empty();
        report.gate = Some(verdict);
    }
    if report.daemon_sets.is_empty() && config.render.format.is_human() {
        // As kubectl: the notice goes to stderr, so a pipeline sees empty output.
        if !said_empty {
            let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
            writeln!(e, "{}", no_daemon_sets_message(audit, &config.input))?;
        }
        return Ok(exit);
    }
    render::render(&report, &config.render, out)?;
    Ok(exit)
}

/// The gate's verdict on stderr, in every format, so CI logs show it beside any output; the
/// exit code it gives.
fn announce(
    config: &Config,
    report: &report::Report,
    verdict: &gate::GateReport,
    err: &SharedWriter,
) -> Result<Exit> {
    let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
    let text = gate::verdict_text(report, verdict);
    let text = match config.render.stderr_width {
        Some(w) => render::style::fit_lines(&text, w),
        None => text,
    };
    let text = render::style::verdict(&text, verdict.passed, config.render.stderr_color);
    write!(e, "{text}")?;
    Ok(if verdict.passed {
        Exit::Ok
    } else {
        Exit::GateFailed
    })
}

/// The JSON Schema of the report (`-o json`), generated from the Rust types.
pub fn report_schema() -> String {
    let schema = schemars::schema_for!(report::Report);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The JSON Schema of a fleet's report (`-o json` over several clusters).
pub fn fleet_schema() -> String {
    let schema = schemars::schema_for!(report::fleet::FleetReport);
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// The JSON Schema of `explain -o json`, generated from the Rust types.
pub fn explain_schema() -> String {
    schema_titled::<ExplainOutput>("DaemonSetCoverageExplanation")
}

/// The JSON Schema of `T` (an untagged choice of outputs) under `title`.
fn schema_titled<T: schemars::JsonSchema>(title: &str) -> String {
    let mut schema = schemars::SchemaGenerator::default().into_root_schema_for::<T>();
    schema.insert("title".into(), title.into());
    serde_json::to_string_pretty(&schema).unwrap_or_default()
}

/// `explain -o json`: a DaemonSet on a node (`DaemonSetNodeExplanation`) or, with
/// `--static-pods`, a static-pod family on a node (`StaticPodNodeExplanation`); `kind` tells which.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum ExplainOutput {
    DaemonSet(explain::Explanation),
    StaticPod(explain::statics::StaticExplanation),
}

/// The JSON Schema of `fix -o json`: the plan (`DaemonSetFixPlan`, also what `--plan-file`
/// reads) or, once it acted or with `--dry-run`, the result (`DaemonSetFixResult`).
pub fn plan_schema() -> String {
    schema_titled::<FixOutput>("DaemonSetFixOutput")
}

/// `fix -o json`: the plan (`DaemonSetFixPlan`), or the result once it acted or with --dry-run
/// (`DaemonSetFixResult`); `kind` tells which.
#[derive(schemars::JsonSchema)]
#[serde(untagged)]
#[allow(dead_code)]
enum FixOutput {
    Plan(fix::plan::Plan),
    Result(fix::FixResult),
}

/// The completion script for `kubectl-ds_coverage` in one shell's language.
pub fn write_completion(shell: clap_complete::Shell, out: &mut dyn Write) -> Result<()> {
    Ok(complete::write_script(shell, out)?)
}

/// What an audit that found no DaemonSet looked at, and how to widen it: one line, shared by
/// the report, the gate and `fix`.
pub(crate) fn no_daemon_sets_message(audit: &coverage::Options, input: &Input) -> String {
    let mut filters = Vec::new();
    if !audit.names.is_empty() {
        filters.push(format!("named {}", audit.names.join(",")));
    }
    if let Some(sel) = &audit.selector {
        filters.push(format!("matching -l {sel}"));
    }
    let filtered = if filters.is_empty() {
        String::new()
    } else {
        format!(" {}", filters.join(" "))
    };
    let widen_selector = if filters.is_empty() {
        ""
    } else {
        " or drop the name/-l filter"
    };
    let place = match (&audit.namespace, input) {
        (Some(ns), Input::Files(files)) => format!("in namespace {ns} of {}", files.join(", ")),
        (Some(ns), _) => format!("in namespace {ns}"),
        (None, Input::Files(files)) => format!("in {}", files.join(", ")),
        (None, Input::Cluster { .. }) => "in any namespace".to_string(),
    };
    let widen = match (&audit.namespace, input) {
        (Some(_), _) => format!("Use -A to audit all namespaces{widen_selector}."),
        (None, Input::Files(_)) if filters.is_empty() => {
            "Add the DaemonSets to the input (kubectl get nodes,daemonsets,pods,controllerrevisions -A -o json)."
                .to_string()
        }
        (None, _) if !filters.is_empty() => "Drop the name/-l filter.".to_string(),
        (None, _) => "Check the context (--context) and your RBAC.".to_string(),
    };
    format!("No DaemonSets found{filtered} {place}. {widen}")
}

/// `explain DAEMONSET NODE`, with its namespace settled.
struct ExplainRequest {
    namespace: Option<String>,
    name: String,
    node: String,
}

/// The namespace of `explain`'s DaemonSet: NS/NAME, else the manifest's that carries the name
/// (a what-if names its own namespace), else -n or the context's (`resolved`), else none (files
/// without -n: found by name).
fn explain_request(
    mode: &config::Mode,
    resolved: Option<&str>,
    manifests: &[model::DaemonSet],
) -> Option<ExplainRequest> {
    let config::Mode::Explain {
        namespace,
        name,
        node,
    } = mode
    else {
        return None;
    };
    let from_manifest = manifests
        .iter()
        .find(|m| m.name() == name)
        .map(|m| m.namespace())
        .filter(|ns| !ns.is_empty());
    Some(ExplainRequest {
        namespace: namespace
            .as_deref()
            .or(from_manifest)
            .or(resolved)
            .map(str::to_string),
        name: name.clone(),
        node: node.clone(),
    })
}

/// `explain --static-pods NAME NODE`: a static-pod family on one node. Live, the node's pods
/// are read (the snapshot holds mirror pods of the control-plane nodes only).
fn run_explain_static(
    request: &ExplainRequest,
    config: &Config,
    audit: &coverage::Options,
    mut snapshot: Snapshot,
    live: Option<session::Session>,
    out: &mut dyn Write,
) -> Result<Exit> {
    let node = request.node.as_str();
    if let Some(live) = &live {
        let pods = live
            .block_on(live.transport().pods_on_node(None, None, node))
            .map_err(|e| {
                error::Error::Cluster(format!("cannot read the pods of node {node}: {e}"))
            })?;
        pods.into_iter()
            .filter(model::Pod::is_mirror)
            .for_each(|p| snapshot.add_pod(p));
    }
    let e = explain::statics::explain_static(
        &snapshot,
        request.namespace.as_deref(),
        &request.name,
        node,
        audit,
    )?;
    render::statics::render_explanation(&e, &config.render, out)?;
    Ok(Exit::Ok)
}

/// Explain one (DaemonSet, node) pair. On a live cluster also read the node's other pods (for
/// the fit check) and the daemon pods' Warning events; when they cannot be read, say so.
fn run_explain(
    request: &ExplainRequest,
    config: &Config,
    audit: &coverage::Options,
    mut snapshot: Snapshot,
    live: Option<session::Session>,
    out: &mut dyn Write,
) -> Result<Exit> {
    let ns = request.namespace.as_deref();
    let (name, node) = (request.name.as_str(), request.node.as_str());
    if audit.static_pods.is_some() {
        return run_explain_static(request, config, audit, snapshot, live, out);
    }
    let mut explanation = explain::explain(&snapshot, ns, name, node, audit)?;
    if let Some(live) = &live {
        let api = live.transport();
        if explanation.fit.is_some() {
            // A live snapshot holds only daemon pods: the fit check needs the node's others.
            let node_pods = match live.block_on(api.pods_on_node(None, None, node)) {
                Ok(pods) => {
                    pods.into_iter().for_each(|p| snapshot.add_pod(p));
                    explain::NodePods::InSnapshot
                }
                Err(e) => explain::NodePods::Unreadable(e.to_string()),
            };
            explanation = explain::explain_with(&snapshot, ns, name, node, audit, &node_pods)?;
        }
        let pods: Vec<String> = explanation.pods.iter().map(|p| p.name.clone()).collect();
        let ds_namespace = explanation.daemon_set.split('/').next().unwrap_or_default();
        match live.block_on(api.warning_events(ds_namespace, &pods)) {
            Ok(events) => explanation.events = Some(explain::warning_events(&events, 5)),
            Err(e) => explanation
                .warnings
                .push(format!("Warning events of the daemon pods not shown: {e}")),
        }
    }
    render::explain::render(&explanation, &config.render, out)?;
    Ok(Exit::Ok)
}

#[cfg(test)]
mod tests {
    /// Records the name of the thread it is dropped on.
    struct Witness(std::sync::mpsc::Sender<Option<String>>);

    impl Drop for Witness {
        fn drop(&mut self) {
            let _ = self
                .0
                .send(std::thread::current().name().map(str::to_string));
        }
    }

    #[test]
    fn a_value_set_aside_is_dropped_on_its_own_thread_and_a_small_one_here() {
        let (tx, rx) = std::sync::mpsc::channel();
        super::drop_aside(Witness(tx.clone()), true);
        let dropped_on = rx
            .recv_timeout(std::time::Duration::from_secs(30))
            .expect("dropped");
        assert_eq!(dropped_on.as_deref(), Some("drop-aside"));
        super::drop_aside(Witness(tx), false);
        let here = std::thread::current().name().map(str::to_string);
        assert_eq!(rx.try_recv().expect("dropped at once"), here);
    }
}
