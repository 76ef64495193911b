//! `--check --wait`: read the cluster once (lists), then follow it (watches from each list's
//! resourceVersion, with bookmarks; a 410 Gone relists, a dropped watch resumes from the last
//! version seen — the protocol of client-go's `tools/cache/reflector.go: ListAndWatch`), and
//! recompute the report as the objects change until the gate passes, waiting cannot help, or
//! the deadline comes.
//!
//! The reads are those of a single audit ([`crate::source::cluster`]): nodes (`--node-selector`),
//! DaemonSets (namespace or all, `-l`), and per DaemonSet its pods and ControllerRevisions by
//! its own selector; when the DaemonSets (or their selectors) change, the per-DaemonSet feeds
//! follow.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::SharedWriter;
use crate::client::transport::backoff;
use crate::client::watch::is_gone;
use crate::client::{ClientError, ListQuery, Transport, encode};
use crate::config::{Config, WaitSettings, WatchSettings};
use crate::coverage;
use crate::error::{Error, Exit, Result};
use crate::gate::{self, GateReport};
use crate::model::{ControllerRevision, DaemonSet, Node, Pod};
use crate::report::{Report, Source};
use crate::session::Session;
use crate::snapshot::Snapshot;

/// What a feed reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Nodes,
    DaemonSets,
    Pods,
    Revisions,
}

/// One object of a feed, decoded.
enum Object {
    Node(Box<Node>),
    DaemonSet(Box<DaemonSet>),
    Pod(Box<Pod>),
    Revision(Box<ControllerRevision>),
}

/// What a feed task tells the loop.
enum Message {
    /// A (re)list: the feed's whole content.
    Reset { feed: u64, items: Vec<Value> },
    /// ADDED, MODIFIED or DELETED.
    Change {
        feed: u64,
        deleted: bool,
        object: Value,
    },
    /// The feed cannot be read (and will not be retried).
    Failed { feed: u64, error: ClientError },
    /// A list or watch failed and is retried (the server unreachable, a 5xx): the error.
    Trouble { feed: u64, error: String },
    /// A watch opened again after [`Message::Trouble`].
    Answering { feed: u64 },
}

struct Feed {
    kind: Kind,
    /// The namespace and selector of the DaemonSet a pod or revision feed serves.
    target: Option<(String, String)>,
    /// By `namespace/name`.
    objects: BTreeMap<String, Object>,
    listed: bool,
    task: tokio::task::JoinHandle<()>,
}

/// A refusal no retry changes (403, 404, 400 …): everything else (410 aside, which relists) is
/// retried until the deadline.
fn fatal(e: &ClientError) -> bool {
    e.api().is_some_and(|a| {
        a.status.is_client_error()
            && a.status != http::StatusCode::GONE
            && a.status != http::StatusCode::TOO_MANY_REQUESTS
    })
}

/// List, then watch from the list's version; resume after a dropped or ended watch, relist
/// after a 410. Only a first list that fails, or a refusal, ends the feed (with `Failed`).
async fn run_feed(
    t: Arc<Transport>,
    feed: u64,
    query: ListQuery,
    tx: mpsc::UnboundedSender<Message>,
) {
    let mut first = true;
    let mut attempt = 0u32;
    'relist: loop {
        let (items, mut rv) = match t.list_versioned::<Value>(&query).await {
            Ok(x) => x,
            Err(error) if first || fatal(&error) => {
                let _ = tx.send(Message::Failed { feed, error });
                return;
            }
            Err(e) => {
                attempt += 1;
                t.log(&format!("{e}; listing {} again", query.resource));
                trouble(&tx, feed, &e);
                tokio::time::sleep(backoff(attempt)).await;
                continue;
            }
        };
        first = false;
        if tx.send(Message::Reset { feed, items }).is_err() {
            return;
        }
        loop {
            let mut stream = match t.watch(&query, &rv).await {
                Ok(s) => {
                    if attempt > 0 && tx.send(Message::Answering { feed }).is_err() {
                        return;
                    }
                    s
                }
                Err(e) if is_gone(&e) => {
                    t.log(&format!(
                        "watch of {} from {rv}: 410 Gone; relisting",
                        query.resource
                    ));
                    continue 'relist;
                }
                Err(error) if fatal(&error) => {
                    let _ = tx.send(Message::Failed { feed, error });
                    return;
                }
                Err(e) => {
                    attempt += 1;
                    trouble(&tx, feed, &e);
                    resume_later(&t, &e, &query, &rv, attempt).await;
                    continue;
                }
            };
            loop {
                match stream.next().await {
                    Ok(Some(ev)) => {
                        attempt = 0;
                        if ev.is_gone() {
                            t.log(&format!(
                                "watch of {} from {rv}: 410 Gone; relisting",
                                query.resource
                            ));
                            continue 'relist;
                        }
                        if ev.kind == "ERROR" {
                            t.log(&format!(
                                "watch of {}: error event; resuming",
                                query.resource
                            ));
                            break;
                        }
                        if let Some(v) = ev.resource_version() {
                            rv = v.to_string();
                        }
                        if matches!(ev.kind.as_str(), "ADDED" | "MODIFIED" | "DELETED") {
                            let change = Message::Change {
                                feed,
                                deleted: ev.kind == "DELETED",
                                object: ev.object,
                            };
                            if tx.send(change).is_err() {
                                return;
                            }
                        }
                    }
                    // The server's timeout: resume.
                    Ok(None) => break,
                    Err(e) => {
                        attempt += 1;
                        trouble(&tx, feed, &e);
                        resume_later(&t, &e, &query, &rv, attempt).await;
                        break;
                    }
                }
            }
        }
    }
}

/// Tells the loop that a feed's list or watch failed and is being retried.
fn trouble(tx: &mpsc::UnboundedSender<Message>, feed: u64, e: &ClientError) {
    let _ = tx.send(Message::Trouble {
        feed,
        error: e.to_string(),
    });
}

/// Says (with `-v`) that a watch broke or could not open, and waits before resuming it.
async fn resume_later(t: &Transport, e: &ClientError, query: &ListQuery, rv: &str, attempt: u32) {
    t.log(&format!(
        "{e}; resuming the watch of {} from {rv}",
        query.resource
    ));
    tokio::time::sleep(backoff(attempt)).await;
}

fn key(v: &Value) -> String {
    let s = |p: &str| v.pointer(p).and_then(Value::as_str).unwrap_or("");
    format!("{}/{}", s("/metadata/namespace"), s("/metadata/name"))
}

fn decode(kind: Kind, v: Value) -> std::result::Result<Object, String> {
    let name = key(&v);
    let bad =
        |e: &dyn std::fmt::Display| format!("unexpected object {name} from the API server: {e}");
    Ok(match kind {
        Kind::Nodes => Object::Node(Box::new(serde_json::from_value(v).map_err(|e| bad(&e))?)),
        Kind::Pods => Object::Pod(Box::new(serde_json::from_value(v).map_err(|e| bad(&e))?)),
        Kind::Revisions => {
            Object::Revision(Box::new(serde_json::from_value(v).map_err(|e| bad(&e))?))
        }
        Kind::DaemonSets => Object::DaemonSet(Box::new(
            crate::source::file::daemon_set_from_value(v).map_err(|(e, _)| bad(&e))?,
        )),
    })
}

/// The feeds and the tasks that fill them.
struct Feeds {
    t: Arc<Transport>,
    tx: mpsc::UnboundedSender<Message>,
    feeds: BTreeMap<u64, Feed>,
    next: u64,
    /// The feeds being retried, each with its last error and when its trouble began.
    trouble: BTreeMap<u64, (String, Instant)>,
}

impl Feeds {
    fn spawn(&mut self, kind: Kind, query: ListQuery, target: Option<(String, String)>) {
        let id = self.next;
        self.next += 1;
        let task = tokio::spawn(run_feed(self.t.clone(), id, query, self.tx.clone()));
        self.feeds.insert(
            id,
            Feed {
                kind,
                target,
                objects: BTreeMap::new(),
                listed: false,
                task,
            },
        );
    }

    fn apply(&mut self, m: Message) -> Result<()> {
        match m {
            Message::Trouble { feed, error } => {
                let since = self.trouble.get(&feed).map_or_else(Instant::now, |t| t.1);
                self.trouble.insert(feed, (error, since));
            }
            Message::Answering { feed } => {
                self.trouble.remove(&feed);
            }
            Message::Reset { feed, items } => {
                // A list read: the feed answers again.
                self.trouble.remove(&feed);
                let Some(f) = self.feeds.get_mut(&feed) else {
                    return Ok(());
                };
                f.objects.clear();
                for v in items {
                    let k = key(&v);
                    f.objects
                        .insert(k, decode(f.kind, v).map_err(Error::Cluster)?);
                }
                f.listed = true;
            }
            Message::Change {
                feed,
                deleted,
                object,
            } => {
                self.trouble.remove(&feed);
                let Some(f) = self.feeds.get_mut(&feed) else {
                    return Ok(());
                };
                let k = key(&object);
                if deleted {
                    f.objects.remove(&k);
                } else {
                    f.objects
                        .insert(k, decode(f.kind, object).map_err(Error::Cluster)?);
                }
            }
            Message::Failed { feed, error } => {
                let Some(f) = self.feeds.get_mut(&feed) else {
                    return Ok(());
                };
                // Revisions are optional, as in a single audit: without them outdated pods are
                // found through the pod-template-generation label.
                let optional = f.kind == Kind::Revisions
                    && error.api().is_some_and(|a| {
                        matches!(
                            a.status,
                            http::StatusCode::FORBIDDEN | http::StatusCode::NOT_FOUND
                        )
                    });
                if !optional {
                    return Err(error.into());
                }
                self.t.log(&format!("{error}; going on without them"));
                f.listed = true;
            }
        }
        Ok(())
    }

    fn all_listed(&self) -> bool {
        self.feeds.values().all(|f| f.listed)
    }

    /// The namespace and selector of every DaemonSet read (those that select something).
    fn targets(&self) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .feeds
            .values()
            .flat_map(|f| f.objects.values())
            .filter_map(|o| match o {
                Object::DaemonSet(d) => {
                    let sel = d.selector();
                    (!sel.is_empty()).then(|| {
                        (
                            d.namespace().to_string(),
                            crate::eligibility::labels::label_selector_query(&sel),
                        )
                    })
                }
                _ => None,
            })
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// Pod and revision feeds for exactly `targets`: new DaemonSets get theirs, feeds of
    /// DaemonSets gone (or whose selector changed) stop.
    fn follow_targets(&mut self, targets: &[(String, String)]) -> bool {
        let mut changed = false;
        let stale: Vec<u64> = self
            .feeds
            .iter()
            .filter(|(_, f)| f.target.as_ref().is_some_and(|t| !targets.contains(t)))
            .map(|(id, _)| *id)
            .collect();
        for id in stale {
            if let Some(f) = self.feeds.remove(&id) {
                f.task.abort();
                changed = true;
            }
        }
        for t in targets {
            if self.feeds.values().any(|f| f.target.as_ref() == Some(t)) {
                continue;
            }
            let (ns, selector) = t;
            let pods = format!("/api/v1/namespaces/{}/pods", encode(ns));
            let revs = format!(
                "/apis/apps/v1/namespaces/{}/controllerrevisions",
                encode(ns)
            );
            self.spawn(
                Kind::Pods,
                ListQuery::new("pods", pods).labels(Some(selector)),
                Some(t.clone()),
            );
            self.spawn(
                Kind::Revisions,
                ListQuery::new("controllerrevisions", revs).labels(Some(selector)),
                Some(t.clone()),
            );
            changed = true;
        }
        changed
    }

    fn snapshot(&self, source: &Source, nodes_complete: bool) -> Snapshot {
        let mut snap = Snapshot::new(source.clone());
        snap.nodes_complete = nodes_complete;
        for f in self.feeds.values() {
            for o in f.objects.values() {
                match o {
                    Object::Node(n) => snap.add_node((**n).clone()),
                    Object::DaemonSet(d) => snap.add_daemon_set((**d).clone()),
                    Object::Pod(p) => snap.add_pod((**p).clone()),
                    Object::Revision(r) => snap.add_revision((**r).clone()),
                }
            }
        }
        snap
    }
}

impl Drop for Feeds {
    fn drop(&mut self) {
        for f in self.feeds.values() {
            f.task.abort();
        }
    }
}

/// Progress on stderr: in place on a terminal (with the time left), else a line per change of
/// state at most every [`CI_LINE_EVERY`].
struct Progress {
    err: SharedWriter,
    terminal: bool,
    /// On a terminal: the columns a redrawn line may take (`render::style::redraw_width`).
    width: Option<usize>,
    /// The state last shown (without the time left).
    shown: String,
    /// A state not shown yet (rate limit), with the line that shows it.
    pending: Option<(String, String)>,
    last: Option<Instant>,
}

const CI_LINE_EVERY: Duration = Duration::from_secs(2);

impl Progress {
    fn update(&mut self, state: String, line: String) {
        if self.terminal || state != self.shown {
            self.pending = Some((state, line));
        }
        let due = self.terminal || self.last.is_none_or(|l| l.elapsed() >= CI_LINE_EVERY);
        let Some((state, line)) = self.pending.take().filter(|_| due) else {
            return;
        };
        // `\r\x1b[2K` clears one row: a line wider than the terminal would leave rows behind.
        let line = match self.width {
            Some(w) if self.terminal => crate::render::style::truncate(&line, w),
            _ => line,
        };
        let mut e = self.err.lock().unwrap_or_else(|p| p.into_inner());
        let _ = if self.terminal {
            write!(e, "\r\x1b[2K{line}")
        } else {
            writeln!(e, "{line}")
        };
        let _ = e.flush();
        self.shown = state;
        self.last = Some(Instant::now());
    }

    fn clear(&mut self) {
        if self.terminal && !self.shown.is_empty() {
            let mut e = self.err.lock().unwrap_or_else(|p| p.into_inner());
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }
}

/// The feeds of one run and the channel they report on.
struct Follower {
    feeds: Feeds,
    rx: mpsc::UnboundedReceiver<Message>,
    tick: tokio::time::Interval,
    source: Source,
    nodes_complete: bool,
    /// Where a lost and regained API server is said, without `-v`; whether stderr is a
    /// terminal (a progress line drawn in place is cleared first).
    err: SharedWriter,
    err_terminal: bool,
    /// The API server has been said to be lost.
    said_lost: bool,
}

impl Follower {
    /// Starts the node and DaemonSet feeds (the per-DaemonSet ones follow once those are read).
    /// Call within the session's runtime.
    fn start(
        session: &Session,
        audit: &coverage::Options,
        source: Source,
        err: SharedWriter,
        err_terminal: bool,
    ) -> Follower {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut feeds = Feeds {
            t: Arc::new(session.transport()),
            tx,
            feeds: BTreeMap::new(),
            next: 0,
            trouble: BTreeMap::new(),
        };
        let ds_path = match &audit.namespace {
            Some(ns) => format!("/apis/apps/v1/namespaces/{}/daemonsets", encode(ns)),
            None => "/apis/apps/v1/daemonsets".to_string(),
        };
        let node_selector = audit.node_selector.as_ref().map(|s| s.to_query());
        let ds_selector = audit.selector.as_ref().map(|s| s.to_query());
        feeds.spawn(
            Kind::Nodes,
            ListQuery::new("nodes", "/api/v1/nodes").labels(node_selector.as_deref()),
            None,
        );
        feeds.spawn(
            Kind::DaemonSets,
            ListQuery::new("daemonsets", ds_path).labels(ds_selector.as_deref()),
            None,
        );
        Follower {
            feeds,
            rx,
            tick: tokio::time::interval(Duration::from_secs(1)),
            source,
            nodes_complete: node_selector.is_none(),
            err,
            err_terminal,
            said_lost: false,
        }
    }

    /// The error of a feed being retried, while the API server cannot be read, and how long
    /// it has been.
    fn trouble(&self) -> Option<(&str, Duration)> {
        self.feeds
            .trouble
            .values()
            .min_by_key(|t| t.1)
            .map(|(e, since)| (e.as_str(), since.elapsed()))
    }

    /// Says on stderr, once each way, that the API server cannot be read (and what is done
    /// about it), and that it answers again: a `--watch` or `--wait` would otherwise show the
    /// last state as if nothing were wrong.
    fn say_trouble(&mut self) {
        let line = match (self.trouble(), self.said_lost) {
            // A dropped watch resumed at once is no news.
            (Some((_, lasted)), false) if lasted < LOST_AFTER => return,
            (Some((e, _)), false) => {
                format!("warning: {e}; retrying until it answers (the report stays as last read)")
            }
            (None, true) => "the API server answers again".to_string(),
            _ => return,
        };
        self.said_lost = !self.said_lost;
        let mut e = self.err.lock().unwrap_or_else(|p| p.into_inner());
        let clear = if self.err_terminal { "\r\x1b[2K" } else { "" };
        let _ = writeln!(e, "{clear}{line}");
        let _ = e.flush();
    }

    /// Waits for changes (or a second, or the deadline); returns whether the deadline came,
    /// and the snapshot when every feed has been read.
    async fn step(&mut self, deadline: Option<Instant>) -> Result<(bool, Option<Snapshot>)> {
        let timed_out = tokio::select! {
            m = self.rx.recv() => {
                if let Some(m) = m {
                    self.feeds.apply(m)?;
                }
                while let Ok(m) = self.rx.try_recv() {
                    self.feeds.apply(m)?;
                }
                false
            }
            _ = self.tick.tick() => false,
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => true,
        };
        self.say_trouble();
        let ready = self.feeds.all_listed() && {
            let targets = self.feeds.targets();
            !self.feeds.follow_targets(&targets) && self.feeds.all_listed()
        };
        Ok((
            timed_out,
            ready.then(|| self.feeds.snapshot(&self.source, self.nodes_complete)),
        ))
    }
}

/// How the wait ended.
enum Outcome {
    Passed,
    Hopeless(Vec<gate::Violation>),
    TimedOut,
}

/// `--watch`: follow the cluster and print what changes, until interrupted (or the cluster can
/// no longer be read). On a terminal (human formats) the report is redrawn in place, at most
/// [`REDRAWS_EVERY`]; otherwise one line per pair whose state changed, NDJSON with `-o json`.
/// The terminal's modes are never changed (no alternate screen, no raw mode), so exiting or
/// Ctrl-C leaves it as it was.
pub fn watch(
    config: &Config,
    settings: &WatchSettings,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    let (session, mut audit, source) = open(config, err.clone(), "--watch")?;
    session.block_on(async {
        let mut follower = Follower::start(&session, &audit, source, err, false);
        watch_loop(&mut follower, &mut audit, config, settings, out).await
    })
}

async fn watch_loop(
    follower: &mut Follower,
    audit: &mut coverage::Options,
    config: &Config,
    settings: &WatchSettings,
    out: &mut dyn Write,
) -> Result<Exit> {
    {
        let mut previous: Option<Report> = None;
        let mut drawn: Option<std::time::Instant> = None;
        let mut undrawn = false;
        loop {
            let (_, snap) = follower.step(None).await?;
            let Some(snap) = snap else {
                continue;
            };
            audit.now = now_to_the_second();
            let report = match coverage::compute(&snap, audit) {
                Ok(r) => r,
                // A DaemonSet named on the command line may be created later.
                Err(_) => continue,
            };
            let changes = super::transitions(previous.as_ref(), &report);
            if settings.redraw {
                undrawn |= !changes.is_empty() || previous.is_none();
                if undrawn && drawn.is_none_or(|d| d.elapsed() >= REDRAWS_EVERY) {
                    let mut screen = Vec::new();
                    crate::render::render(&report, &config.render, &mut screen)?;
                    let footer = format!("last change: {}  (Ctrl-C to stop)", report.generated_at);
                    out.write_all(&frame(
                        &screen,
                        &footer,
                        settings.height,
                        previous.is_none(),
                    ))?;
                    out.flush()?;
                    drawn = Some(std::time::Instant::now());
                    undrawn = false;
                }
            } else if !changes.is_empty() {
                for c in &changes {
                    if settings.ndjson {
                        writeln!(out, "{}", serde_json::to_string(c).unwrap_or_default())?;
                    } else {
                        writeln!(out, "{}", c.text())?;
                    }
                }
                out.flush()?;
            }
            previous = Some(report);
        }
    }
}

/// One `--watch` screen: the report written over the last one from the top, each line
/// clearing what is left of the old one after it, the rest of the old screen cleared below (a
/// full clear, `ESC [ 2 J`, only the first time: repeated, it pushes every frame into the
/// terminal's scrollback). A report taller than the terminal (`height` rows) is cut to it, with
/// a line saying how much is left out, so the screen never scrolls.
fn frame(screen: &[u8], footer: &str, height: Option<usize>, first: bool) -> Vec<u8> {
    let text = String::from_utf8_lossy(screen);
    let lines: Vec<&str> = text.lines().collect();
    // The report, a blank line and the footer, and the cursor's own row after it.
    let room = height.map_or(usize::MAX, |h| h.saturating_sub(3).max(1));
    let mut out = Vec::with_capacity(screen.len() + 64);
    out.extend_from_slice(if first { b"\x1b[H\x1b[2J" } else { b"\x1b[H" });
    let shown = if lines.len() > room {
        room.saturating_sub(1)
    } else {
        lines.len()
    };
    for line in &lines[..shown] {
        out.extend_from_slice(line.as_bytes());
        out.extend_from_slice(b"\x1b[K\n");
    }
    if shown < lines.len() {
        let more = lines.len() - shown;
        out.extend_from_slice(
            format!("… {more} more lines: a taller terminal shows them\x1b[K\n").as_bytes(),
        );
    }
    out.extend_from_slice(format!("\x1b[K\n{footer}\x1b[K\n\x1b[J").as_bytes());
    out
}

/// The session of a followed cluster, the audit with its namespace settled, and the report's
/// source. `flag` names the option in the error a non-live input gets.
fn open(
    config: &Config,
    err: SharedWriter,
    flag: &str,
) -> Result<(Session, coverage::Options, Source)> {
    let Some(session) = Session::open(&config.input, err)? else {
        return Err(Error::Usage(format!(
            "{flag} follows a live cluster: it cannot read --from-file"
        )));
    };
    let mut audit = config.audit.clone();
    audit.namespace = session.namespace(&config.input, None);
    let source = Source::Cluster {
        context: session.context().to_string(),
        server: session.server().to_string(),
    };
    Ok((session, audit, source))
}

/// The evaluation instant of a followed cluster's report, to the second: what the change lines
/// and the `last change:` footer show (`2026-11-20T10:02:11Z`), as kubectl's timestamps.
fn now_to_the_second() -> jiff::Timestamp {
    let now = jiff::Timestamp::now();
    now.round(
        jiff::TimestampRound::new()
            .smallest(jiff::Unit::Second)
            .mode(jiff::RoundMode::Trunc),
    )
    .unwrap_or(now)
}

/// How long the API server stays unreadable before `--watch` and `--wait` say so.
const LOST_AFTER: Duration = Duration::from_secs(3);

/// At most this often the terminal is redrawn (a few times a second).
const REDRAWS_EVERY: Duration = Duration::from_millis(300);

/// `--check --wait`: follow the cluster until the gate passes (exit 0), waiting cannot help
/// or the deadline comes (exit 1); the last report is printed either way.
pub fn run(
    config: &Config,
    wait: &WaitSettings,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    let Some(policy) = &config.gate else {
        return Err(Error::Usage(
            "--wait waits for the gate to pass: add --check".into(),
        ));
    };
    let (session, mut audit, source) = open(config, err.clone(), "--wait")?;
    let hint = crate::no_daemon_sets_message(&audit, &config.input);
    let started = std::time::Instant::now();
    let (report, verdict, outcome) = session.block_on(async {
        let mut follower = Follower::start(
            &session,
            &audit,
            source.clone(),
            err.clone(),
            wait.stderr_is_terminal,
        );
        let deadline = Instant::now() + wait.deadline;
        let mut progress = Progress {
            err: err.clone(),
            terminal: wait.stderr_is_terminal,
            width: wait
                .stderr_is_terminal
                .then(|| crate::render::style::redraw_width(config.render.stderr_width)),
            shown: String::new(),
            pending: None,
            last: None,
        };
        let mut last: Option<(Report, GateReport)> = None;
        loop {
            let (timed_out, snap) = follower.step(Some(deadline)).await?;
            if let Some(snap) = snap {
                audit.now = now_to_the_second();
                match coverage::compute(&snap, &audit) {
                    Ok(report) => {
                        let mut verdict = gate::evaluate_scoped(&report, policy, &hint);
                        let rollout = super::rollout_violations(&report, &snap);
                        if !rollout.is_empty() {
                            verdict.violations.extend(rollout);
                            verdict.passed = false;
                        }
                        if verdict.passed {
                            progress.clear();
                            return Ok((report, verdict, Outcome::Passed));
                        }
                        let left = deadline.saturating_duration_since(Instant::now());
                        let parts = super::progress(&report);
                        let lead = format!(
                            "waiting ({} left): ",
                            crate::duration::short(left.as_secs() as i64)
                        );
                        let line = super::progress_line(&lead, &parts, progress.width);
                        // The state without the time left: what a CI log gets a line for.
                        let state = super::progress_line("", &parts, None);
                        progress.update(state, line);
                        if wait.fail_fast {
                            let hopeless = super::hopeless(&report, &verdict, &snap);
                            if !hopeless.is_empty() {
                                progress.clear();
                                return Ok((report, verdict, Outcome::Hopeless(hopeless)));
                            }
                        }
                        last = Some((report, verdict));
                    }
                    // A DaemonSet named on the command line may be created while waiting.
                    Err(e) if !timed_out => {
                        progress.update(e.to_string(), format!("waiting: {e}"));
                    }
                    Err(e) => {
                        progress.clear();
                        return Err(Error::NotFound(e.to_string()));
                    }
                }
            }
            if timed_out {
                progress.clear();
                // The server lost when the time ran out: the rollout's state is not known, which
                // is not the gate failing (exit 3, not 1).
                if let Some((e, _)) = follower.trouble() {
                    return Err(Error::Cluster(format!(
                        "--wait: the API server could not be read when its {} ran out: {e}",
                        crate::duration::short(wait.deadline.as_secs() as i64)
                    )));
                }
                return match last.take() {
                    Some((report, verdict)) => Ok((report, verdict, Outcome::TimedOut)),
                    None => Err(Error::Cluster(format!(
                        "--wait: the cluster could not be read within {}",
                        crate::duration::short(wait.deadline.as_secs() as i64)
                    ))),
                };
            }
        }
    })?;
    let elapsed = crate::duration::short(started.elapsed().as_secs() as i64);
    {
        let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
        match &outcome {
            Outcome::Passed => {}
            Outcome::Hopeless(why) => {
                writeln!(
                    e,
                    "wait: gave up after {elapsed}, before the deadline: waiting cannot help"
                )?;
                for v in why {
                    writeln!(e, "  {} on {}: {}", v.daemon_set, v.node, v.reason)?;
                }
            }
            Outcome::TimedOut => writeln!(
                e,
                "wait: timed out after {}; the last report follows",
                crate::duration::short(wait.deadline.as_secs() as i64)
            )?,
        }
    }
    crate::conclude(config, &audit, report, Some(verdict), out, &err)
}

#[cfg(test)]
mod tests {
    use super::frame;

    /// The first screen clears the terminal; later ones are written over it from the top (so
    /// no frame goes into the scrollback), each line clearing the rest of the old one; a report
    /// taller than the terminal is cut to it, saying how much is left out.
    #[test]
    fn a_watch_frame_fits_the_terminal_and_clears_only_the_first_time() {
        let report = (1..=20).map(|i| format!("line {i}\n")).collect::<String>();
        let first =
            String::from_utf8(frame(report.as_bytes(), "last change: t", None, true)).unwrap();
        assert!(
            first.starts_with("\x1b[H\x1b[2Jline 1\x1b[K\n"),
            "{first:?}"
        );
        assert!(
            first.ends_with("\x1b[K\nlast change: t\x1b[K\n\x1b[J"),
            "{first:?}"
        );
        assert_eq!(first.matches("line ").count(), 20);
        let later = String::from_utf8(frame(report.as_bytes(), "f", Some(10), false)).unwrap();
        assert!(later.starts_with("\x1b[Hline 1\x1b[K\n"), "{later:?}");
        assert!(!later.contains("\x1b[2J"), "{later:?}");
        // Ten rows: six report lines, the note, a blank line, the footer, the cursor's row.
        assert_eq!(later.matches('\n').count(), 9, "{later:?}");
        assert!(
            later.contains("line 6\x1b[K\n… 14 more lines: a taller terminal shows them"),
            "{later:?}"
        );
        assert!(!later.contains("line 7"), "{later:?}");
        // A report that fits is whole.
        let fits = String::from_utf8(frame(b"a\nb\n", "f", Some(10), false)).unwrap();
        assert_eq!(fits, "\x1b[Ha\x1b[K\nb\x1b[K\n\x1b[K\nf\x1b[K\n\x1b[J");
    }
}
