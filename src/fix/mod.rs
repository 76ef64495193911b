//! `fix`: turn the report into actions ([`plan`], pure), show them ([`output`]), and carry them out
//! only when told to ([`apply`], through the API with preconditions).
//!
//! Acting needs a live cluster and either `--yes`, a `--dry-run`, or a "yes" typed at the prompt
//! (stdin and stderr both terminals). Without any of these the plan is printed and nothing changes.

pub mod apply;
pub mod output;
pub mod plan;

use std::io::{BufRead, Read, Write};
use std::sync::Arc;

use serde::Serialize;

use crate::SharedWriter;
use crate::cli::Format;
use crate::config::Config;
use crate::coverage;
use crate::error::{Error, Exit, Result};
use crate::snapshot::Snapshot;
use apply::{ActionResult, ApplyOptions, DryRun, Outcome};
use plan::{FixOptions, Gap, Plan, PlanSource};

pub const RESULT_KIND: &str = "DaemonSetFixResult";

/// `fix`'s settings, resolved by `config`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FixSettings {
    /// DaemonSet names (`fix NAME...`), as the report's positional names.
    pub names: Vec<String>,
    pub options: FixOptions,
    pub apply: ApplyOptions,
    /// `--yes`: act without asking.
    pub yes: bool,
    /// `--plan-file`: act on a plan saved with `fix -o json`.
    pub plan_file: Option<String>,
    /// stdin and stderr are terminals: ask before acting.
    pub interactive: bool,
}

/// What `fix` did (`-o json` once it acted).
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FixResult {
    pub schema_version: u32,
    pub kind: String,
    pub source: PlanSource,
    pub dry_run: DryRun,
    pub summary: ResultSummary,
    pub results: Vec<ActionResult>,
    /// Drift no API call can fix, with hints.
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResultSummary {
    pub done: usize,
    pub skipped: usize,
    pub failed: usize,
    pub not_attempted: usize,
}

impl FixResult {
    pub fn new(
        source: PlanSource,
        dry_run: DryRun,
        results: Vec<ActionResult>,
        gaps: Vec<Gap>,
    ) -> FixResult {
        let mut summary = ResultSummary::default();
        for r in &results {
            match r.outcome {
                Outcome::Done => summary.done += 1,
                Outcome::Skipped => summary.skipped += 1,
                Outcome::Failed => summary.failed += 1,
                Outcome::NotAttempted => summary.not_attempted += 1,
            }
        }
        FixResult {
            schema_version: plan::PLAN_SCHEMA_VERSION,
            kind: RESULT_KIND.to_string(),
            source,
            dry_run,
            summary,
            results,
            gaps,
        }
    }

    /// 0 when every action attempted succeeded (a skipped pod was not attempted: it changed), 4
    /// when one failed (and a roll stopped).
    pub fn exit(&self) -> Exit {
        if self.summary.failed > 0 || self.summary.not_attempted > 0 {
            Exit::FixIncomplete
        } else {
            Exit::Ok
        }
    }
}

/// The plan for a snapshot: compute the report, plan, pin to the objects read.
fn make_plan(snapshot: &Snapshot, audit: &coverage::Options, options: &FixOptions) -> Result<Plan> {
    let report = coverage::compute(snapshot, audit).map_err(|e| Error::NotFound(e.to_string()))?;
    let mut p = plan::plan(&report, options);
    plan::pin(&mut p, snapshot);
    Ok(p)
}

fn load_plan(path: &str) -> Result<Plan> {
    let input = |message: String| Error::Input {
        path: path.to_string(),
        message,
    };
    let text = std::fs::read_to_string(path).map_err(|e| input(format!("cannot read: {e}")))?;
    let saved: Plan = serde_json::from_str(&text).map_err(|e| {
        // A whole plan with more after it: most often the hint `fix` writes to standard error,
        // saved with the plan by `2>&1`.
        if e.to_string().starts_with("trailing characters") {
            return input(format!(
                "a fix plan followed by other text at line {} (standard error saved with it? \
                 save the plan alone: `kubectl ds-coverage fix -o json > plan.json`)",
                e.line()
            ));
        }
        input(format!(
            "not a fix plan (save one with `kubectl ds-coverage fix -o json > plan.json`): {e}"
        ))
    })?;
    if saved.kind != plan::PLAN_KIND || saved.schema_version != plan::PLAN_SCHEMA_VERSION {
        return Err(input(format!(
            "not a fix plan: kind {:?} schemaVersion {}, expected {} {}",
            saved.kind,
            saved.schema_version,
            plan::PLAN_KIND,
            plan::PLAN_SCHEMA_VERSION
        )));
    }
    Ok(saved)
}

/// A saved plan that reaches past this run's `-n` or DaemonSet names, in one line with the
/// scope to give instead.
fn outside_scope_message(
    path: &str,
    outside: &plan::OutsideScope,
    namespace: Option<&str>,
) -> String {
    let list = |v: &[String]| v.join(", ");
    if !outside.namespaces.is_empty() {
        let ns = namespace.unwrap_or_default();
        let instead = match outside.namespaces.as_slice() {
            [one] => format!("-n {one}, or -A"),
            _ => "-A".to_string(),
        };
        format!(
            "the plan in {path} has actions in {} {}, outside this run's namespace {ns}: \
             run it with the scope it was made with ({instead}); nothing was changed",
            crate::render::table::plural(outside.namespaces.len(), "namespace", "namespaces"),
            list(&outside.namespaces)
        )
    } else {
        format!(
            "the plan in {path} has actions for {} {}, not among the DaemonSets named: \
             name them too, or none; nothing was changed",
            crate::render::table::plural(outside.daemon_sets.len(), "DaemonSet", "DaemonSets"),
            list(&outside.daemon_sets)
        )
    }
}

fn note(err: &SharedWriter, text: &str) -> Result<()> {
    let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
    writeln!(e, "{text}")?;
    Ok(())
}

/// Run `fix`.
pub fn run(
    settings: &FixSettings,
    config: &Config,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    let mut audit = config.audit.clone();
    let format = config.render.format;
    // The plan and the result fit the terminal as the table does; on stderr only a terminal's
    // (or COLUMNS') width, else whole lines.
    let width = config.render.width;
    let stderr_width = config.render.stderr_width.unwrap_or(usize::MAX);
    let human = format.is_human();
    let saved = settings.plan_file.as_deref().map(load_plan).transpose()?;
    let crate::session::Loaded { snapshot, live } =
        crate::session::load(config, &mut audit, None, &[], stdin, err.clone())?;
    if let Some(s) = &saved {
        // Before anything else is said: the plan does not fit this run.
        let path = settings.plan_file.as_deref().unwrap_or("the plan file");
        if let PlanSource::Cluster { server, .. } = &s.source
            && let Some(live) = &live
            && server != live.server()
        {
            return Err(Error::Usage(format!(
                "the plan in {path} was made for {server}, not {}",
                live.server()
            )));
        }
        let outside = plan::outside_scope(s, audit.namespace.as_deref(), &audit.names);
        if !outside.is_empty() {
            return Err(Error::Usage(outside_scope_message(
                path,
                &outside,
                audit.namespace.as_deref(),
            )));
        }
    }
    // The DaemonSets this run audits (`namespace/name`), for a saved plan's actions.
    // `None` when the audit fails (a DaemonSet named that does not exist): the plan says why.
    let audited: Option<std::collections::BTreeSet<String>> =
        coverage::compute(&snapshot, &audit).ok().map(|r| {
            r.daemon_sets
                .iter()
                .map(|d| format!("{}/{}", d.namespace, d.name))
                .collect()
        });
    if audited.as_ref().is_some_and(|a| a.is_empty()) {
        // The same line the report and the gate give: what was looked at, how to widen it.
        note(&err, &crate::no_daemon_sets_message(&audit, &config.input))?;
    }
    let Some(live) = live else {
        // Offline: a plan to read; `config` refuses --yes, --dry-run and --plan-file here.
        let p = make_plan(&snapshot, &audit, &settings.options)?;
        output::write_plan(&p, format, width, out)?;
        let hint =
            "Planned from files: fix acts only on a live cluster (run it without --from-file).";
        if human && !p.actions.is_empty() {
            write!(out, "\n{}", crate::render::style::fit_lines(hint, width))?;
        } else if !p.actions.is_empty() {
            note(&err, hint)?;
        }
        return Ok(Exit::Ok);
    };

    // A saved plan is re-planned with its own options; only its pods still planned are kept,
    // with the UID and resourceVersion it saw.
    let options = saved.as_ref().map_or(settings.options, |s| s.options);
    let current = make_plan(&snapshot, &audit, &options)?;
    let (the_plan, dropped) = match &saved {
        None => (current, Vec::new()),
        Some(s) => {
            let selector = audit.selector.as_ref().map(ToString::to_string);
            let audited = audited.unwrap_or_default();
            let (keep, dropped) = plan::reconcile(s, &current, &audited, selector.as_deref());
            (
                Plan {
                    actions: keep,
                    ..current
                },
                dropped,
            )
        }
    };

    let dry_run = settings.apply.dry_run;
    if the_plan.actions.is_empty() && dropped.is_empty() {
        if human {
            output::write_plan(&the_plan, format, width, out)?;
            writeln!(out, "\nNothing to do.")?;
        } else if settings.yes || dry_run != DryRun::None {
            // Asked to act: the (empty) result, as a script expects.
            let result = FixResult::new(the_plan.source, dry_run, Vec::new(), the_plan.gaps);
            output::write_result(&result, format, width, out)?;
        } else {
            output::write_plan(&the_plan, format, width, out)?;
        }
        return Ok(Exit::Ok);
    }
    for (a, why) in &dropped {
        note(&err, &format!("skipping {}/{}: {why}", a.namespace, a.pod))?;
    }

    let act = if dry_run != DryRun::None || settings.yes {
        if human {
            output::write_plan(&the_plan, format, width, out)?;
            writeln!(out)?;
        }
        true
    } else if settings.interactive {
        // Someone at a terminal: show the plan, then ask on stderr.
        if human {
            output::write_plan(&the_plan, format, width, out)?;
            out.flush()?;
        } else {
            let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
            output::write_plan(&the_plan, Format::Table, stderr_width, &mut *e)?;
        }
        let whom = match live.context() {
            "" => live.server().to_string(),
            context => format!("context {context} ({})", live.server()),
        };
        let question = format!(
            "\nApply {} to {whom}?",
            output::count(the_plan.actions.len(), "action", "actions"),
        );
        let yes = confirm(&question, stdin, &err)?;
        if !yes {
            note(&err, "Nothing changed.")?;
            return Ok(Exit::Ok);
        }
        if human {
            writeln!(out)?;
        }
        true
    } else {
        false
    };
    if !act {
        output::write_plan(&the_plan, format, width, out)?;
        let hint = match &settings.plan_file {
            Some(f) => format!(
                "Run again with --yes to apply (kubectl ds-coverage fix --plan-file {f} --yes), or answer the prompt on a terminal."
            ),
            None => "Run again with --yes to apply (or answer the prompt on a terminal); --dry-run=server validates the plan first.".to_string(),
        };
        if human {
            write!(out, "\n{}", crate::render::style::fit_lines(&hint, width))?;
        } else {
            // After the whole plan: with `2>&1` the hint would otherwise land inside it.
            out.flush()?;
            note(&err, &hint)?;
        }
        return Ok(Exit::Ok);
    }

    let api = Arc::new(live.transport());
    let progress = apply::Progress(human.then(|| err.clone()), config.render.stderr_width);
    let mut results = live.block_on(apply::apply(
        the_plan.actions.clone(),
        api,
        &settings.apply,
        progress,
    ));
    results.extend(
        dropped
            .into_iter()
            .map(|(a, why)| ActionResult::new(a, Outcome::Skipped, why)),
    );
    let result = FixResult::new(the_plan.source.clone(), dry_run, results, the_plan.gaps);
    output::write_result(&result, format, width, out)?;
    Ok(result.exit())
}

/// Ask `question` on stderr; only "yes" proceeds.
fn confirm(question: &str, stdin: &mut dyn Read, err: &SharedWriter) -> Result<bool> {
    {
        let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
        write!(e, "{question} Only 'yes' is accepted: ")?;
        e.flush()?;
    }
    let mut line = String::new();
    std::io::BufReader::new(stdin)
        .read_line(&mut line)
        .map_err(Error::Stdin)?;
    Ok(line.trim() == "yes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_yes_confirms() {
        for (typed, want) in [
            ("yes\n", true),
            ("  yes  \n", true),
            ("y\n", false),
            ("YES\n", false),
            ("no\n", false),
            ("", false),
        ] {
            let buf: Arc<std::sync::Mutex<Vec<u8>>> = Arc::default();
            struct Shared(Arc<std::sync::Mutex<Vec<u8>>>);
            impl Write for Shared {
                fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                    self.0.lock().unwrap().extend_from_slice(b);
                    Ok(b.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            let err: SharedWriter = Arc::new(std::sync::Mutex::new(Box::new(Shared(buf.clone()))));
            let got = confirm("Apply 2 actions?", &mut typed.as_bytes(), &err).unwrap();
            assert_eq!(got, want, "{typed:?}");
            let asked = String::from_utf8(buf.lock().unwrap().clone()).unwrap();
            assert_eq!(asked, "Apply 2 actions? Only 'yes' is accepted: ");
        }
    }

    #[test]
    fn exit_is_4_when_an_attempted_action_failed() {
        use plan::{Action, ActionKind, Cause};
        let a = Action {
            action: ActionKind::Delete,
            cause: Cause::Failed,
            namespace: "ns".into(),
            daemon_set: "ds".into(),
            daemon_set_uid: "u".into(),
            node: "n".into(),
            pod: "p".into(),
            pod_uid: "pu".into(),
            resource_version: None,
            reason: "r".into(),
            selector: None,
            revision: None,
        };
        let result = |outcomes: &[Outcome]| {
            let results = outcomes
                .iter()
                .map(|o| ActionResult::new(a.clone(), *o, ""))
                .collect();
            FixResult::new(
                PlanSource::File { paths: vec![] },
                DryRun::None,
                results,
                vec![],
            )
        };
        assert_eq!(result(&[Outcome::Done, Outcome::Skipped]).exit(), Exit::Ok);
        assert_eq!(
            result(&[Outcome::Done, Outcome::Failed]).exit(),
            Exit::FixIncomplete
        );
        assert_eq!(
            result(&[Outcome::Failed, Outcome::NotAttempted]).summary,
            ResultSummary {
                done: 0,
                skipped: 0,
                failed: 1,
                not_attempted: 1
            }
        );
    }
}
