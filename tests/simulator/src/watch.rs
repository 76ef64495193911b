//! `?watch=1` on the list endpoints: a chunked stream of `{"type","object"}` lines, one per event,
//! read from the store's event log — as kube-apiserver's watch cache serves it
//! (`staging/src/k8s.io/apiserver/pkg/storage/cacher/cache_watcher.go`).
//!
//! - `resourceVersion` absent or `0`: synthetic ADDED events for the current objects first, then
//!   changes; a version: changes after it, or an `ERROR` event with a 410 `Expired` Status when it
//!   is older than the log (or compacted away), as `cacher.go: newErrWatcher` sends it;
//! - `labelSelector`/`fieldSelector` as lists; an object leaving the selection is a DELETED, one
//!   entering it an ADDED (`cache_watcher.go: convertToWatchEvent`);
//! - `allowWatchBookmarks=true`: a BOOKMARK (only `metadata.resourceVersion`) when idle;
//! - `timeoutSeconds`: the stream ends cleanly after it;
//! - [`crate::Simulator::drop_watches`] aborts every open watch's connection mid-stream.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use serde_json::json;
use tokio::sync::mpsc;

use crate::resources::RESOURCES;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::server::Shared;
use crate::store::{EventKind, Object};
use crate::table::{self, IncludeObject};
use crate::util::now_unix;

/// How long an idle watch with bookmarks waits before sending one (kube-apiserver: about a
/// minute; short here so tests see them).
pub(crate) const BOOKMARK_EVERY: Duration = Duration::from_millis(500);

/// What one watch request asked for, validated.
pub(crate) struct WatchSpec {
    pub res: usize,
    pub namespace: Option<String>,
    pub labels: LabelSelector,
    pub fields: FieldSelector,
    /// `None`: start with the current state (resourceVersion absent or "0").
    pub from: Option<u64>,
    pub bookmarks: bool,
    pub timeout: Option<Duration>,
    /// `Some(version)` when the client asked for Table rows (kubectl get -w).
    pub table: Option<&'static str>,
    pub include: IncludeObject,
}

/// The body of a watch response: frames from the task that follows the store.
pub(crate) struct WatchBody {
    rx: mpsc::Receiver<Result<Bytes, std::io::Error>>,
}

impl hyper::body::Body for WatchBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        self.rx
            .poll_recv(cx)
            .map(|item| item.map(|r| r.map(hyper::body::Frame::data)))
    }
}

impl WatchSpec {
    fn selects(&self, o: &Object) -> bool {
        self.namespace
            .as_deref()
            .is_none_or(|ns| !RESOURCES[self.res].namespaced || &*o.namespace == ns)
            && self.labels.matches(&o.labels)
            && self.fields.matches(|f| o.field(f))
    }

    fn line(&self, kind: &str, o: &Arc<Object>) -> Bytes {
        let object = match self.table {
            Some(version) => table::table(
                self.res,
                std::slice::from_ref(o),
                &o.resource_version,
                None,
                self.include,
                version,
                now_unix(),
            ),
            None => o.full_value(self.res),
        };
        let mut line = json!({"type": kind, "object": object}).to_string();
        line.push('\n');
        Bytes::from(line)
    }

    fn bookmark(&self, rv: u64) -> Bytes {
        let r = &RESOURCES[self.res];
        let mut line = json!({
            "type": "BOOKMARK",
            "object": {"kind": r.kind, "apiVersion": r.api_version(),
                       "metadata": {"resourceVersion": rv.to_string()}}
        })
        .to_string();
        line.push('\n');
        Bytes::from(line)
    }
}

/// The `ERROR` event kube-apiserver sends for a watch from a resourceVersion it no longer has.
fn too_old(asked: u64, current: u64) -> Bytes {
    let mut line = json!({
        "type": "ERROR",
        "object": {
            "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": format!("too old resource version: {asked} ({current})"),
            "reason": "Expired", "code": 410
        }
    })
    .to_string();
    line.push('\n');
    Bytes::from(line)
}

/// Starts following the store for `spec`; the returned body streams the events.
pub(crate) fn start(shared: Arc<Shared>, spec: WatchSpec) -> WatchBody {
    let (tx, rx) = mpsc::channel(64);
    tokio::spawn(follow(shared, spec, tx));
    WatchBody { rx }
}

async fn follow(
    shared: Arc<Shared>,
    spec: WatchSpec,
    tx: mpsc::Sender<Result<Bytes, std::io::Error>>,
) {
    // Subscribed before the first read of the store: no change slips between the two.
    let mut changes = shared.read_store().changes.subscribe();
    let mut drops = shared.watch_drops.subscribe();
    let deadline = spec.timeout.map(|t| tokio::time::Instant::now() + t);
    let mut seen = match spec.from {
        Some(rv) => {
            let (old, current) = {
                let store = shared.read_store();
                (store.too_old(rv), store.rv)
            };
            if old {
                let _ = tx.send(Ok(too_old(rv, current))).await;
                return;
            }
            rv
        }
        None => {
            let (lines, rv) = {
                let store = shared.read_store();
                let lines: Vec<Bytes> = store.collections[spec.res]
                    .values()
                    .filter(|o| spec.selects(o))
                    .map(|o| spec.line("ADDED", o))
                    .collect();
                (lines, store.rv)
            };
            for l in lines {
                if tx.send(Ok(l)).await.is_err() {
                    return;
                }
            }
            rv
        }
    };
    loop {
        let (lines, rv) = {
            let store = shared.read_store();
            let lines: Vec<Bytes> = store
                .events_after(spec.res, seen)
                .iter()
                .filter_map(|e| {
                    let now = spec.selects(&e.obj);
                    let before = e.prev.as_ref().is_some_and(|p| spec.selects(p));
                    let kind = match (e.kind, before, now) {
                        (EventKind::Deleted, true, _) => "DELETED",
                        (EventKind::Deleted, false, _) => return None,
                        (_, false, true) => "ADDED",
                        (_, true, true) => "MODIFIED",
                        (_, true, false) => "DELETED",
                        (_, false, false) => return None,
                    };
                    Some(spec.line(kind, &e.obj))
                })
                .collect();
            (lines, store.rv)
        };
        for l in lines {
            if tx.send(Ok(l)).await.is_err() {
                return;
            }
        }
        seen = rv;
        let idle = tokio::time::sleep(BOOKMARK_EVERY);
        tokio::select! {
            _ = changes.changed() => {}
            _ = drops.changed() => {
                let _ = tx
                    .send(Err(std::io::Error::new(
                        std::io::ErrorKind::ConnectionAborted,
                        "watch dropped by the test",
                    )))
                    .await;
                return;
            }
            _ = idle, if spec.bookmarks => {
                if tx.send(Ok(spec.bookmark(seen))).await.is_err() {
                    return;
                }
            }
            _ = async {
                match deadline {
                    Some(d) => tokio::time::sleep_until(d).await,
                    None => std::future::pending().await,
                }
            } => return,
            _ = tx.closed() => return,
        }
    }
}

/// A `resourceVersion` parameter: `None` for absent or "0" (start from the current state).
pub(crate) fn parse_from(rv: Option<&str>) -> Result<Option<u64>, String> {
    match rv.filter(|r| !r.is_empty() && *r != "0") {
        None => Ok(None),
        Some(r) => r
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("resourceVersion: Invalid value: {r:?}: must be an integer")),
    }
}
