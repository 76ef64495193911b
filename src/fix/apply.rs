//! Carrying out a plan through the API, safely: every pod is re-read just before its call and
//! skipped when it is not the pod the plan saw; every delete and eviction carries the UID and
//! resourceVersion as preconditions; a PodDisruptionBudget refusal is retried with backoff until
//! `--timeout`; removals run at most `--max-concurrent` at once; an OnDelete roll replaces at most
//! `--max-unavailable` pods at a time and stops at the first replacement that is not Ready in time.

use std::collections::HashSet;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::plan::{Action, ActionKind};
use crate::SharedWriter;
use crate::client::{Preconditions, Removal, Transport as PodApi, WriteAnswer, Written};
use crate::model::Pod;

/// `--dry-run`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DryRun {
    /// Act for real.
    #[default]
    None,
    /// Re-read every pod, send no write.
    Client,
    /// Send every write with `dryRun=All`: the API server validates, nothing changes.
    Server,
}

/// How to act (`fix` flags).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplyOptions {
    pub dry_run: DryRun,
    /// How long to retry a refused eviction, and to wait for each replacement to be Ready.
    pub timeout: Duration,
    /// Removals in flight at once.
    pub max_concurrent: usize,
    /// Replacements of one DaemonSet not yet Ready at once.
    pub max_unavailable: usize,
}

impl Default for ApplyOptions {
    fn default() -> ApplyOptions {
        ApplyOptions {
            dry_run: DryRun::None,
            timeout: Duration::from_secs(300),
            max_concurrent: 4,
            max_unavailable: 1,
        }
    }
}

/// What became of one action.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The call succeeded (with a dry run: would have been made / was validated).
    Done,
    /// Not acted on: the pod changed since the plan, is gone, or is already being deleted.
    Skipped,
    /// The call was refused or did not finish in time.
    Failed,
    /// Not tried: an earlier replacement of the same roll failed.
    NotAttempted,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::NotAttempted => "not attempted",
        }
    }
}

/// One action and what became of it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ActionResult {
    #[serde(flatten)]
    pub action: Action,
    pub outcome: Outcome,
    /// What happened, in a sentence.
    pub detail: String,
    /// Replace: the pod that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replacement: Option<String>,
    /// Calls made (more than one when a PodDisruptionBudget refused the eviction at first).
    pub attempts: u32,
}

impl ActionResult {
    pub fn new(action: Action, outcome: Outcome, detail: impl Into<String>) -> ActionResult {
        ActionResult {
            action,
            outcome,
            detail: detail.into(),
            replacement: None,
            attempts: 0,
        }
    }
}

/// Whether the pod read now is still the one the plan saw, and still ours to remove.
pub fn still_as_planned(action: &Action, pod: &Pod) -> Result<(), String> {
    let meta = &pod.metadata;
    if meta.uid != action.pod_uid {
        return Err(format!(
            "replaced since the plan: the pod named {} now has UID {} (planned: {})",
            action.pod, meta.uid, action.pod_uid
        ));
    }
    if pod.is_terminating() {
        return Err("already being deleted".to_string());
    }
    match meta.controller_ref() {
        Some(r)
            if r.kind == "DaemonSet"
                && r.name == action.daemon_set
                && r.uid == action.daemon_set_uid => {}
        _ => {
            return Err(format!(
                "no longer controlled by DaemonSet {}",
                action.daemon_set_id()
            ));
        }
    }
    if let Some(rv) = &action.resource_version
        && *rv != meta.resource_version
    {
        return Err(format!(
            "changed since the plan: resourceVersion {} (planned: {rv})",
            meta.resource_version
        ));
    }
    Ok(())
}

/// The wait before the next call after a 429: the server's Retry-After, else the client layer's
/// backoff; `None` when it would end past the deadline.
pub fn next_wait(
    attempt: u32,
    retry_after: Option<Duration>,
    now: Instant,
    deadline: Instant,
) -> Option<Duration> {
    let wait = retry_after
        .unwrap_or_else(|| crate::client::transport::backoff(attempt))
        .min(crate::client::transport::MAX_RETRY_AFTER);
    (now + wait < deadline).then_some(wait)
}

/// The pod that replaced `action`'s pod on its node: another daemon pod of the DaemonSet, live,
/// Ready, and on the plan's revision when it has one. `Err` says what there is instead.
pub fn replacement(action: &Action, pods: &[Pod]) -> Result<String, String> {
    let candidates: Vec<&Pod> = pods
        .iter()
        .filter(|p| p.metadata.uid != action.pod_uid && !p.is_terminating())
        .filter(|p| {
            p.metadata
                .controller_ref()
                .is_some_and(|r| r.kind == "DaemonSet" && r.uid == action.daemon_set_uid)
        })
        .collect();
    let on_revision = |p: &Pod| {
        action
            .revision
            .as_ref()
            .is_none_or(|rev| p.metadata.labels.get("controller-revision-hash") == Some(rev))
    };
    if let Some(p) = candidates.iter().find(|p| p.is_ready() && on_revision(p)) {
        return Ok(p.metadata.name.to_string());
    }
    Err(match candidates.first() {
        None => format!("no replacement pod appeared on {}", action.node),
        Some(p) if !on_revision(p) => format!(
            "replacement {} runs revision {}, not {}",
            p.metadata.name,
            p.metadata
                .labels
                .get("controller-revision-hash")
                .map(String::as_str)
                .unwrap_or("?"),
            action.revision.as_deref().unwrap_or("?")
        ),
        Some(p) => format!(
            "replacement {} is not Ready (phase {})",
            p.metadata.name,
            if p.status.phase.is_empty() {
                "Unknown"
            } else {
                &p.status.phase
            }
        ),
    })
}

/// Progress lines on stderr (table output only), fitted to standard error's width when it is
/// known (a terminal, or `COLUMNS`), else whole lines for a log.
#[derive(Clone)]
pub struct Progress(pub Option<SharedWriter>, pub Option<usize>);

impl Progress {
    fn line(&self, text: &str) {
        if let Some(w) = &self.0 {
            let mut e = w.lock().unwrap_or_else(|p| p.into_inner());
            let _ = match self.1 {
                Some(width) => write!(e, "{}", crate::render::style::fit_lines(text, width)),
                None => writeln!(e, "{text}"),
            };
        }
    }
}

/// Carry out `actions` (in plan order: removals, then replacements); results in the same order.
pub async fn apply(
    actions: Vec<Action>,
    api: Arc<PodApi>,
    opts: &ApplyOptions,
    progress: Progress,
) -> Vec<ActionResult> {
    let mut results: Vec<Option<ActionResult>> = vec![None; actions.len()];

    // Removals, at most --max-concurrent at once.
    let limit = Arc::new(tokio::sync::Semaphore::new(opts.max_concurrent.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (i, a) in actions.iter().enumerate() {
        if a.action == ActionKind::Replace {
            continue;
        }
        let (api, a, opts, limit, progress) = (
            api.clone(),
            a.clone(),
            opts.clone(),
            limit.clone(),
            progress.clone(),
        );
        tasks.spawn(async move {
            let _permit = limit.acquire_owned().await;
            let r = remove(&api, a, &opts).await;
            report_progress(&progress, &r);
            (i, r)
        });
    }
    while let Some(joined) = tasks.join_next().await {
        if let Ok((i, r)) = joined
            && let Some(slot) = results.get_mut(i)
        {
            *slot = Some(r);
        }
    }

    // Replacements: one DaemonSet at a time, in plan order.
    let mut rolled: HashSet<(String, String)> = HashSet::new();
    for a in actions.iter().filter(|a| a.action == ActionKind::Replace) {
        let key = (a.namespace.clone(), a.daemon_set.clone());
        if !rolled.insert(key.clone()) {
            continue;
        }
        let group: Vec<(usize, Action)> = actions
            .iter()
            .enumerate()
            .filter(|(_, b)| {
                b.action == ActionKind::Replace && b.namespace == key.0 && b.daemon_set == key.1
            })
            .map(|(i, b)| (i, b.clone()))
            .collect();
        for (i, r) in roll(group, &api, opts, &progress).await {
            if let Some(slot) = results.get_mut(i) {
                *slot = Some(r);
            }
        }
    }

    results
        .into_iter()
        .zip(actions)
        .map(|(r, a)| {
            r.unwrap_or_else(|| {
                ActionResult::new(a, Outcome::Failed, "the task ended unexpectedly")
            })
        })
        .collect()
}

fn report_progress(progress: &Progress, r: &ActionResult) {
    progress.line(&format!(
        "{} {} {}/{} on {}: {}",
        r.outcome.as_str(),
        r.action.action.as_str(),
        r.action.namespace,
        r.action.pod,
        r.action.node,
        r.detail
    ));
}

/// Roll one DaemonSet: at most `max_unavailable` replacements in flight; once one fails, start no
/// more (those in flight finish) and report the rest as not attempted.
async fn roll(
    group: Vec<(usize, Action)>,
    api: &Arc<PodApi>,
    opts: &ApplyOptions,
    progress: &Progress,
) -> Vec<(usize, ActionResult)> {
    let mut out = Vec::with_capacity(group.len());
    let mut queue = group.into_iter();
    let mut in_flight = tokio::task::JoinSet::new();
    let mut stopped: Option<String> = None;
    loop {
        while stopped.is_none() && in_flight.len() < opts.max_unavailable.max(1) {
            let Some((i, a)) = queue.next() else {
                break;
            };
            let (api, opts, progress) = (api.clone(), opts.clone(), progress.clone());
            in_flight.spawn(async move {
                let r = replace(&api, a, &opts).await;
                report_progress(&progress, &r);
                (i, r)
            });
        }
        let Some(joined) = in_flight.join_next().await else {
            break;
        };
        if let Ok((i, r)) = joined {
            if r.outcome == Outcome::Failed && stopped.is_none() {
                stopped = Some(format!(
                    "the roll of {} stopped: {} on {} failed",
                    r.action.daemon_set_id(),
                    r.action.pod,
                    r.action.node
                ));
            }
            out.push((i, r));
        }
    }
    let why = stopped.unwrap_or_else(|| "the roll stopped".to_string());
    for (i, a) in queue {
        out.push((i, ActionResult::new(a, Outcome::NotAttempted, why.clone())));
    }
    out
}

/// Re-read the pod; `Err` is the result when it must not be touched.
async fn reread(api: &PodApi, action: &Action) -> Result<(), ActionResult> {
    match api.get_pod(&action.namespace, &action.pod).await {
        Ok(Some(pod)) => still_as_planned(action, &pod)
            .map_err(|why| ActionResult::new(action.clone(), Outcome::Skipped, why)),
        Ok(None) => Err(ActionResult::new(
            action.clone(),
            Outcome::Skipped,
            "gone: the pod no longer exists",
        )),
        Err(e) => Err(ActionResult::new(
            action.clone(),
            Outcome::Failed,
            e.to_string(),
        )),
    }
}

/// The delete or eviction, with preconditions; 429 retried until the deadline.
async fn call(
    api: &PodApi,
    action: &Action,
    kind: ActionKind,
    opts: &ApplyOptions,
) -> ActionResult {
    let pre = Preconditions {
        uid: action.pod_uid.clone(),
        resource_version: action.resource_version.clone(),
    };
    let dry = opts.dry_run == DryRun::Server;
    let deadline = Instant::now() + opts.timeout;
    let mut attempt = 0;
    let mut requests = 0;
    loop {
        attempt += 1;
        let how = match kind {
            ActionKind::Evict => Removal::Evict,
            ActionKind::Delete | ActionKind::Replace => Removal::Delete,
        };
        let written = api
            .remove_pod(how, &action.namespace, &action.pod, &pre, dry)
            .await;
        let answer = match written {
            Ok(Written { answer, attempts }) => {
                requests += attempts;
                Ok(answer)
            }
            Err(e) => {
                requests += 1;
                Err(e)
            }
        };
        let (outcome, detail) = match answer {
            Err(e) => (Outcome::Failed, e.to_string()),
            Ok(WriteAnswer::Accepted) => (
                Outcome::Done,
                match (dry, kind) {
                    (true, _) => {
                        "validated by the API server (dryRun=All): nothing changed".to_string()
                    }
                    (false, ActionKind::Evict) => "evicted".to_string(),
                    (false, _) => "deleted".to_string(),
                },
            ),
            Ok(WriteAnswer::NotFound) => (
                Outcome::Skipped,
                "gone: the pod was deleted by someone else".to_string(),
            ),
            Ok(WriteAnswer::Conflict(message)) => (
                Outcome::Skipped,
                format!("changed since the plan: {message}"),
            ),
            Ok(WriteAnswer::TooManyRequests {
                message,
                retry_after,
            }) => match next_wait(attempt, retry_after, Instant::now(), deadline) {
                Some(wait) => {
                    tokio::time::sleep(wait).await;
                    continue;
                }
                None => (
                    Outcome::Failed,
                    format!(
                        "{message} (still refused after {attempt} attempts within --timeout {})",
                        crate::duration::short(opts.timeout.as_secs() as i64)
                    ),
                ),
            },
            Ok(WriteAnswer::Refused { status, message }) => {
                (Outcome::Failed, format!("refused ({status}): {message}"))
            }
        };
        let mut r = ActionResult::new(action.clone(), outcome, detail);
        r.attempts = requests;
        return r;
    }
}

async fn remove(api: &PodApi, action: Action, opts: &ApplyOptions) -> ActionResult {
    if let Err(r) = reread(api, &action).await {
        return r;
    }
    if opts.dry_run == DryRun::Client {
        let verb = if action.action == ActionKind::Evict {
            "evict"
        } else {
            "delete"
        };
        return ActionResult::new(
            action,
            Outcome::Done,
            format!("client dry run: would {verb}; nothing sent"),
        );
    }
    let kind = action.action;
    call(api, &action, kind, opts).await
}

/// Delete the outdated pod, then wait for its replacement on the node to be Ready.
async fn replace(api: &PodApi, action: Action, opts: &ApplyOptions) -> ActionResult {
    if let Err(r) = reread(api, &action).await {
        return r;
    }
    if opts.dry_run == DryRun::Client {
        return ActionResult::new(
            action,
            Outcome::Done,
            "client dry run: would delete and wait for the replacement; nothing sent",
        );
    }
    let mut r = call(api, &action, ActionKind::Replace, opts).await;
    if r.outcome != Outcome::Done || opts.dry_run == DryRun::Server {
        return r;
    }
    let Some(selector) = action.selector.clone() else {
        r.outcome = Outcome::Failed;
        r.detail =
            "deleted, but the DaemonSet's selector is unknown: cannot wait for the replacement"
                .into();
        return r;
    };
    let deadline = Instant::now() + opts.timeout;
    let mut poll = Duration::from_millis(100);
    loop {
        let last = match api
            .pods_on_node(Some(&action.namespace), Some(&selector), &action.node)
            .await
        {
            Ok(pods) => match replacement(&action, &pods) {
                Ok(name) => {
                    r.detail = format!("deleted; replacement {name} is Ready");
                    r.replacement = Some(name);
                    return r;
                }
                Err(why) => why,
            },
            Err(e) => e.to_string(),
        };
        let now = Instant::now();
        if now >= deadline {
            r.outcome = Outcome::Failed;
            r.detail = format!(
                "deleted, but {last} within --timeout {}",
                crate::duration::short(opts.timeout.as_secs() as i64)
            );
            return r;
        }
        tokio::time::sleep(poll.min(deadline - now)).await;
        poll = (poll * 2).min(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fix::plan::Cause;

    fn action() -> Action {
        Action {
            action: ActionKind::Evict,
            cause: Cause::Misscheduled,
            namespace: "ns".into(),
            daemon_set: "ds".into(),
            daemon_set_uid: "ds-uid".into(),
            node: "n1".into(),
            pod: "p".into(),
            pod_uid: "u1".into(),
            resource_version: Some("10".into()),
            reason: "Misscheduled".into(),
            selector: Some("app=x".into()),
            revision: Some("new".into()),
        }
    }

    fn pod(v: serde_json::Value) -> Pod {
        serde_json::from_value(v).unwrap()
    }

    fn owned(name: &str, uid: &str, rv: &str) -> serde_json::Value {
        serde_json::json!({"metadata": {"name": name, "namespace": "ns", "uid": uid,
            "resourceVersion": rv, "labels": {"controller-revision-hash": "new"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet", "name": "ds",
                                 "uid": "ds-uid", "controller": true}]}})
    }

    #[test]
    fn only_the_pod_the_plan_saw_is_acted_on() {
        let a = action();
        let cases: Vec<(&str, serde_json::Value, Option<&str>)> = vec![
            ("unchanged", owned("p", "u1", "10"), None),
            (
                "another pod with the same name",
                owned("p", "u2", "11"),
                Some("replaced since the plan"),
            ),
            (
                "changed",
                owned("p", "u1", "11"),
                Some("changed since the plan"),
            ),
            (
                "terminating",
                {
                    let mut v = owned("p", "u1", "11");
                    v["metadata"]["deletionTimestamp"] = "2026-01-01T00:00:00Z".into();
                    v
                },
                Some("already being deleted"),
            ),
            (
                "released",
                {
                    let mut v = owned("p", "u1", "10");
                    v["metadata"]["ownerReferences"] = serde_json::json!([]);
                    v
                },
                Some("no longer controlled by DaemonSet ns/ds"),
            ),
        ];
        for (name, v, want) in cases {
            let got = still_as_planned(&a, &pod(v));
            match want {
                None => assert_eq!(got, Ok(()), "{name}"),
                Some(w) => assert!(
                    got.as_ref().is_err_and(|e| e.starts_with(w)),
                    "{name}: {got:?}"
                ),
            }
        }
        // Without a planned resourceVersion only the UID is compared.
        let mut no_rv = action();
        no_rv.resource_version = None;
        assert_eq!(
            still_as_planned(&no_rv, &pod(owned("p", "u1", "99"))),
            Ok(())
        );
    }

    #[test]
    fn refused_evictions_back_off_until_the_deadline() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(2);
        assert_eq!(
            next_wait(1, None, now, deadline),
            Some(Duration::from_millis(400))
        );
        assert_eq!(
            next_wait(2, None, now, deadline),
            Some(Duration::from_millis(800))
        );
        assert_eq!(
            next_wait(3, None, now, deadline),
            Some(Duration::from_millis(1600))
        );
        assert_eq!(
            next_wait(4, None, now, deadline),
            None,
            "3.2 s would pass the deadline"
        );
        assert_eq!(
            next_wait(1, Some(Duration::from_secs(1)), now, deadline),
            Some(Duration::from_secs(1)),
            "Retry-After wins"
        );
        assert_eq!(
            next_wait(20, None, now, now + Duration::from_secs(60)),
            Some(Duration::from_secs(5))
        );
    }

    #[test]
    fn the_replacement_is_a_ready_pod_of_the_daemon_set_on_the_current_revision() {
        let a = action();
        let ready = |mut v: serde_json::Value| {
            v["status"] = serde_json::json!({"phase": "Running", "conditions": [{"type": "Ready", "status": "True"}]});
            v
        };
        let cases: Vec<(&str, Vec<serde_json::Value>, Result<&str, &str>)> = vec![
            ("none yet", vec![], Err("no replacement pod appeared on n1")),
            (
                "the old pod is not its own replacement",
                vec![ready(owned("p", "u1", "10"))],
                Err("no replacement"),
            ),
            (
                "pending",
                vec![{
                    let mut v = owned("q", "u2", "1");
                    v["status"] = serde_json::json!({"phase": "Pending"});
                    v
                }],
                Err("replacement q is not Ready (phase Pending)"),
            ),
            (
                "old revision",
                vec![{
                    let mut v = ready(owned("q", "u2", "1"));
                    v["metadata"]["labels"]["controller-revision-hash"] = "old".into();
                    v
                }],
                Err("replacement q runs revision old, not new"),
            ),
            ("ready", vec![ready(owned("q", "u2", "1"))], Ok("q")),
            (
                "another owner's pod does not count",
                vec![{
                    let mut v = ready(owned("q", "u2", "1"));
                    v["metadata"]["ownerReferences"][0]["uid"] = "other".into();
                    v
                }],
                Err("no replacement"),
            ),
        ];
        for (name, pods, want) in cases {
            let pods: Vec<Pod> = pods.into_iter().map(pod).collect();
            let got = replacement(&a, &pods);
            match want {
                Ok(w) => assert_eq!(got.as_deref(), Ok(w), "{name}"),
                Err(w) => assert!(
                    got.as_ref().is_err_and(|e| e.starts_with(w)),
                    "{name}: {got:?}"
                ),
            }
        }
    }
}
