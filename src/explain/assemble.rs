//! The explanation of one pair: the traced rules, the verdict in words, the pods, and the
//! suggestions and fit check attached.

use crate::coverage::{self, Options};
use crate::eligibility::Placement;
use crate::eligibility::trace::{self, Check, Status, TaintCheck};
use crate::error::Error;
use crate::model::DaemonSet;
use crate::report::State;
use crate::snapshot::Snapshot;

use super::fit::fit_check;
use super::suggest::suggest;
use super::{ExplainVerdict, Explanation, KIND, NodePods, PodEvent};

/// Explain one pair from the snapshot (offline: every pod bound to the node is in it).
pub fn explain(
    snap: &Snapshot,
    namespace: Option<&str>,
    name: &str,
    node: &str,
    opts: &Options,
) -> Result<Explanation, Error> {
    explain_with(snap, namespace, name, node, opts, &NodePods::InSnapshot)
}

/// [`explain`], saying where the node's pods come from.
pub fn explain_with(
    snap: &Snapshot,
    namespace: Option<&str>,
    name: &str,
    node_name: &str,
    opts: &Options,
    node_pods: &NodePods,
) -> Result<Explanation, Error> {
    let ds = find_daemon_set(snap, namespace, name)?;
    let node = snap
        .nodes
        .iter()
        .find(|n| n.name() == node_name)
        .ok_or_else(|| Error::NotFound(format!("node {node_name:?} not found")))?;
    let placement = Placement::compile(ds, opts.comparison_operators);
    let verdict = placement.evaluate(node);
    let traced = trace::trace(ds, node, opts.comparison_operators);

    // The pair as the report sees it: state, reasons, pods.
    let mut pair_opts = Options::new(opts.now);
    pair_opts.namespace = Some(ds.namespace().to_string());
    pair_opts.names = vec![ds.name().to_string()];
    pair_opts.include_ineligible = true;
    pair_opts.comparison_operators = opts.comparison_operators;
    let report = coverage::compute(snap, &pair_opts).map_err(|e| Error::NotFound(e.to_string()))?;
    let input_warnings = report.warnings;
    let ds_report = report
        .daemon_sets
        .into_iter()
        .find(|d| d.uid == ds.metadata.uid)
        .ok_or_else(|| Error::NotFound(format!("daemonset {name:?} not found")))?;
    if let Some(u) = &ds_report.unknown {
        // No pair is judged without the pods: saying Missing or Ready here would be invented.
        return Err(Error::Cluster(format!(
            "cannot explain {}/{} on node {node_name}: its pods could not be read ({}); its \
             state is Unknown",
            ds.namespace(),
            ds.name(),
            u.reason
        )));
    }
    let pair = ds_report
        .nodes
        .into_iter()
        .find(|p| p.node == node_name)
        .ok_or_else(|| Error::NotFound(format!("node {node_name:?} not found")))?;

    let suggestions = if verdict.should_run {
        Vec::new()
    } else {
        suggest(&traced.checks, ds, node)
    };
    let fit = (verdict.should_run && matches!(pair.state, State::Pending | State::Missing))
        .then(|| fit_check(snap, ds, node, &pair.pods, node_pods));
    let warnings = input_warnings
        .into_iter()
        .filter(|w| concerns_pair(w, ds, node_name, &pair.pods))
        .chain(ds_report.warnings)
        .collect();

    Ok(Explanation {
        schema_version: super::SCHEMA_VERSION,
        kind: KIND.to_string(),
        generated_at: opts.now,
        daemon_set: format!("{}/{}", ds.namespace(), ds.name()),
        node: node_name.to_string(),
        from_manifest: ds.from_manifest,
        verdict: ExplainVerdict {
            should_run: verdict.should_run,
            should_continue_running: verdict.should_continue_running,
            text: verdict_text(
                &traced,
                verdict.should_run,
                verdict.should_continue_running,
                pair.removed_by_controller == Some(true),
            ),
        },
        checks: traced.checks,
        state: pair.state,
        reasons: pair.reasons,
        pods: pair.pods,
        events: None,
        suggestions,
        fit,
        warnings,
    })
}

/// Whether a report-wide warning bears on the pair explained. The input's own warnings about one
/// object (two UIDs for one name, one UID with two contents) begin with the object's kind and
/// `namespace/name` (`source/file`); those count when the object is the DaemonSet, the node, a
/// pod of the pair or one of the DaemonSet's ControllerRevisions (named `<daemonset>-<hash>`).
/// The others (no pods in the input, an audit instant before every object, skipped files, more
/// conflicts) are about what was read, so about every pair; but missing ControllerRevisions
/// (`coverage::compute`'s warning) only bear on a pair with pods, whose revision they decide.
fn concerns_pair(
    warning: &str,
    ds: &DaemonSet,
    node: &str,
    pods: &[crate::report::PodReport],
) -> bool {
    const KINDS: [&str; 4] = ["DaemonSet ", "Node ", "Pod ", "ControllerRevision "];
    let Some(rest) = KINDS.iter().find_map(|k| warning.strip_prefix(k)) else {
        return !pods.is_empty() || !warning.starts_with("no ControllerRevisions");
    };
    let object = rest.split(' ').next().unwrap_or_default();
    let ds_id = format!("{}/{}", ds.namespace(), ds.name());
    match &warning[..warning.len() - rest.len()] {
        "DaemonSet " => object == ds_id,
        "Node " => object == node,
        "Pod " => pods
            .iter()
            .any(|p| object == format!("{}/{}", ds.namespace(), p.name)),
        _ => object
            .strip_prefix(&ds_id)
            .and_then(|hash| hash.strip_prefix('-'))
            .is_some_and(|hash| !hash.is_empty() && !hash.contains('-')),
    }
}

/// With a namespace, exact; without, by name across namespaces (an error when it is ambiguous).
fn find_daemon_set<'a>(
    snap: &'a Snapshot,
    namespace: Option<&str>,
    name: &str,
) -> Result<&'a DaemonSet, Error> {
    if let Some(ns) = namespace {
        return snap
            .daemon_sets
            .iter()
            .find(|d| d.namespace() == ns && d.name() == name)
            .ok_or_else(|| {
                Error::NotFound(format!("daemonset {name:?} not found in namespace {ns:?}"))
            });
    }
    let found: Vec<&DaemonSet> = snap
        .daemon_sets
        .iter()
        .filter(|d| d.name() == name)
        .collect();
    match found.as_slice() {
        [] => Err(Error::NotFound(format!("daemonset {name:?} not found"))),
        [one] => Ok(one),
        many => {
            let mut namespaces: Vec<&str> = many.iter().map(|d| d.namespace()).collect();
            namespaces.sort_unstable();
            namespaces.dedup();
            Err(Error::Usage(format!(
                "daemonset {name:?} is in several namespaces ({}): use NAMESPACE/NAME or -n",
                namespaces.join(", ")
            )))
        }
    }
}

/// `removed`: the report's `removedByController` for the pair (shouldContinueRunning, yet no
/// running pod is left: `podsShouldBeOnNode` deletes Failed and Succeeded pods all the same).
fn verdict_text(
    t: &trace::Trace,
    should_run: bool,
    should_continue: bool,
    removed: bool,
) -> String {
    if should_run {
        return "the controller places a daemon pod here (shouldRun=true, shouldContinueRunning=true)."
            .to_string();
    }
    let mut text = String::from("the controller will not place a pod here (shouldRun=false)");
    let why: Option<String> = if t.pinned_elsewhere() {
        t.checks.iter().find_map(|c| match c {
            Check::NodeName(n) => n
                .wanted
                .as_ref()
                .map(|w| format!("the template pins spec.nodeName to {w}")),
            _ => None,
        })
    } else if !t.fits_affinity() {
        let selector = t
            .checks
            .iter()
            .any(|c| matches!(c, Check::NodeSelector(s) if s.status == Status::Fail));
        Some(
            if selector {
                "the node does not match the template's nodeSelector"
            } else {
                "the node does not match the template's required node affinity"
            }
            .to_string(),
        )
    } else {
        None
    };
    if let Some(why) = why {
        text.push_str(&format!(
            ": {why}. An existing pod would be deleted (shouldContinueRunning=false)."
        ));
        return text;
    }
    let untolerated: Vec<&TaintCheck> = t.untolerated().collect();
    let evicting: Vec<&str> = untolerated
        .iter()
        .filter(|c| c.effect == "NoExecute")
        .map(|c| c.taint.as_str())
        .collect();
    text.push('.');
    if should_continue && removed {
        text.push_str(
            " A running pod would be kept (only NoSchedule taints are untolerated), but none is \
             left running here: the controller deletes Failed and Succeeded pods and creates none.",
        );
    } else if should_continue {
        text.push_str(" An existing pod would be kept (only NoSchedule taints are untolerated).");
    } else {
        text.push_str(&format!(
            " An existing pod would be deleted (shouldContinueRunning=false: untolerated NoExecute taint {}).",
            evicting.join(", ")
        ));
    }
    text
}

/// The most recent Warning events of the daemon pods (at most `limit` per pod), newest first.
pub fn warning_events(pods: &[(String, Vec<crate::model::Event>)], limit: usize) -> Vec<PodEvent> {
    let mut out = Vec::new();
    for (pod, events) in pods {
        let mut mine: Vec<&crate::model::Event> = events
            .iter()
            .filter(|e| e.type_.is_empty() || e.type_ == "Warning")
            .collect();
        mine.sort_by(|a, b| {
            b.last_seen()
                .cmp(&a.last_seen())
                .then_with(|| a.reason.cmp(&b.reason))
        });
        out.extend(mine.into_iter().take(limit).map(|e| PodEvent {
            pod: pod.clone(),
            reason: e.reason.clone(),
            message: crate::client::error::one_line(&e.message),
            count: e.occurrences(),
            last_timestamp: e.last_seen(),
        }));
    }
    out
}
