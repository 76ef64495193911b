//! A snapshot from a live API server: only what the audit needs — nodes (with
//! `--node-selector` sent to the server), DaemonSets (namespace or all, `-l` sent to the server),
//! per DaemonSet its pods and ControllerRevisions by its own selector, and with `--static-pods`
//! the mirror pods of the nodes that matter ([`static_pod_nodes`]) — read through the
//! client layer ([`crate::client`]): paged, gzip-compressed, a few requests at once, with a
//! progress line on a terminal.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::SharedWriter;
use crate::client::{Connection, FetchArgs, ListQuery, Transport, encode};
use crate::error::{Error, Result};
use crate::model::{ControllerRevision, Node, Pod};
use crate::report::Source;
use crate::snapshot::Snapshot;

/// What to fetch.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    /// `-l`, in the API's syntax, sent as `labelSelector` (empty: everything).
    pub daemon_set_selector: Option<String>,
    /// `--node-selector`, sent as `labelSelector` on nodes (empty: every node).
    pub node_selector: Option<String>,
    /// `--static-pods`: the `--expect-static` node selectors (see [`static_pod_nodes`]).
    pub static_pods: Option<Vec<crate::eligibility::labels::Selector>>,
}

/// The nodes whose mirror pods `--static-pods` reads live: the control-plane nodes
/// (`node-role.kubernetes.io/control-plane` or the older `master` role) and the nodes an
/// `--expect-static` selector matches.
///
/// Chosen over the alternatives by cost. Mirror pods carry no label to select them by, and
/// listing every pod of the cluster is what the audit avoids. Listing kube-system would fetch
/// every daemon pod of kube-proxy, the CNI agent and the CSI drivers (a few per node: it grows
/// with the cluster). One `spec.nodeName=NODE` list per node that matters fetches only that
/// node's pods (tens): three small requests for a three-member control plane, whatever the
/// cluster's size. Measured on the generator's 300-node, 40-DaemonSet cluster (pods padded to
/// real size): every pod is 9,954 pods and 60 MB of JSON, kube-system 2,607 pods and 16 MB, the
/// three control-plane nodes' pods 76 pods and 0.45 MB. The price: static pods on other nodes (a distribution that runs kube-proxy
/// statically on workers) are read only when an `--expect-static` selector names those nodes
/// (README, "Static pods"); offline, every mirror pod in the input is read.
pub fn static_pod_nodes<'a>(
    nodes: &'a [Node],
    expectations: &[crate::eligibility::labels::Selector],
) -> Vec<&'a str> {
    const CONTROL_PLANE: [&str; 2] = [
        "node-role.kubernetes.io/control-plane",
        "node-role.kubernetes.io/master",
    ];
    nodes
        .iter()
        .filter(|n| {
            let labels = &n.metadata.labels;
            CONTROL_PLANE.iter().any(|k| labels.contains_key(*k))
                || expectations.iter().any(|s| s.matches(labels))
        })
        .map(|n| n.name())
        .collect()
}

/// Fetch the snapshot. `progress` lines and `-v` logs go to `err`.
pub async fn fetch(
    conn: &Connection,
    scope: &Scope,
    args: &FetchArgs,
    manifests: &[crate::model::DaemonSet],
    err: SharedWriter,
) -> Result<Snapshot> {
    let fetcher = Arc::new(conn.transport(args, err.clone()));
    // Stopped, and its line cleared, when the fetch ends, an error returned early included.
    let _progress = args.progress.map(|w| Progress {
        task: spawn_progress(fetcher.clone(), w),
        err: err.clone(),
    });

    let ds_path = match &scope.namespace {
        Some(ns) => format!("/apis/apps/v1/namespaces/{}/daemonsets", encode(ns)),
        None => "/apis/apps/v1/daemonsets".to_string(),
    };
    let nodes_query =
        ListQuery::new("nodes", "/api/v1/nodes").labels(scope.node_selector.as_deref());
    let ds_query =
        ListQuery::new("daemonsets", ds_path).labels(scope.daemon_set_selector.as_deref());
    let nodes_fut = fetcher.list::<Node>(&nodes_query);
    let ds_fut = fetcher.list::<serde_json::Value>(&ds_query);
    let (nodes, raw_daemon_sets) = tokio::try_join!(nodes_fut, ds_fut)?;

    let mut daemon_sets = Vec::with_capacity(raw_daemon_sets.len());
    for v in raw_daemon_sets {
        let ds = crate::source::file::daemon_set_from_value(v).map_err(|(e, v)| {
            Error::Cluster(format!(
                "unexpected DaemonSet {} from the API server: {e}",
                v.pointer("/metadata/name")
                    .and_then(|n| n.as_str())
                    .unwrap_or("?")
            ))
        })?;
        daemon_sets.push(ds);
    }

    // Per DaemonSet: its pods (owned and adoptable ones are exactly those its selector matches)
    // and its ControllerRevisions (labelled with the template labels).
    let mut tasks = tokio::task::JoinSet::new();
    // With --manifest, the pods that matter are the ones the manifests' selectors match.
    let targets: Vec<&crate::model::DaemonSet> = if manifests.is_empty() {
        daemon_sets.iter().collect()
    } else {
        manifests.iter().collect()
    };
    for ds in targets {
        let sel = ds.selector();
        if sel.is_empty() {
            continue; // the controller refuses a DaemonSet that selects everything
        }
        let selector = crate::eligibility::labels::label_selector_query(&sel);
        let ns = encode(ds.namespace());
        let f = fetcher.clone();
        let s = selector.clone();
        let path = format!("/api/v1/namespaces/{ns}/pods");
        let namespace = ds.namespace().to_string();
        tasks.spawn(async move {
            match f
                .list::<Pod>(&ListQuery::new("pods", path).labels(Some(&s)))
                .await
            {
                // Partial access (RBAC per namespace): the DaemonSets of this namespace are
                // reported Unknown with the API's words, the rest of the audit goes on.
                Err(e)
                    if e.api()
                        .is_some_and(|a| a.status == http::StatusCode::FORBIDDEN) =>
                {
                    let a = e.api().map(|a| a.message.clone()).unwrap_or_default();
                    f.log(&format!("{e}; its DaemonSets are reported Unknown"));
                    Ok(Fetched::PodsUnreadable {
                        namespace,
                        reason: format!("403 Forbidden: {a}"),
                    })
                }
                other => other.map(Fetched::Pods),
            }
        });
        let f = fetcher.clone();
        let path = format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions");
        let namespace = ds.namespace().to_string();
        tasks.spawn(async move {
            let revisions = f
                .list::<ControllerRevision>(
                    &ListQuery::new("controllerrevisions", path).labels(Some(&selector)),
                )
                .await;
            match revisions {
                // Revisions are optional, as offline: without them outdated pods are found
                // through the pod-template-generation label (the report says so).
                Err(e)
                    if e.api().is_some_and(|a| {
                        matches!(
                            a.status,
                            http::StatusCode::FORBIDDEN | http::StatusCode::NOT_FOUND
                        )
                    }) =>
                {
                    f.log(&format!("{e}; going on without them"));
                    let a = e.api().map(|a| (a.status_line(), a.message.clone()));
                    let (status, message) = a.unwrap_or_default();
                    Ok(Fetched::RevisionsUnreadable {
                        namespace,
                        reason: format!("{status}: {message}"),
                    })
                }
                other => other.map(Fetched::Revisions),
            }
        });
    }
    if let Some(expectations) = &scope.static_pods {
        for node in static_pod_nodes(&nodes, expectations) {
            let f = fetcher.clone();
            let query =
                ListQuery::new("pods", "/api/v1/pods").fields(format!("spec.nodeName={node}"));
            tasks.spawn(async move {
                f.list::<Pod>(&query)
                    .await
                    .map(|pods| Fetched::Pods(pods.into_iter().filter(Pod::is_mirror).collect()))
            });
        }
    }
    let mut snap = Snapshot::new(Source::Cluster {
        context: conn.context.clone(),
        server: conn.server.clone(),
    });
    snap.nodes_complete = scope.node_selector.is_none();
    for n in nodes {
        snap.add_node(n);
    }
    for d in daemon_sets {
        snap.add_daemon_set(d);
    }
    snap.pods.reserve(expected_pods(&snap));
    while let Some(joined) = tasks.join_next().await {
        let fetched = joined.map_err(|e| Error::Cluster(format!("fetch task failed: {e}")))??;
        match fetched {
            Fetched::Pods(pods) => pods.into_iter().for_each(|p| snap.add_pod(p)),
            Fetched::Revisions(revs) => revs.into_iter().for_each(|r| snap.add_revision(r)),
            Fetched::PodsUnreadable { namespace, reason } => {
                snap.unreadable_pods.entry(namespace).or_insert(reason);
            }
            Fetched::RevisionsUnreadable { namespace, reason } => {
                snap.unreadable_revisions.entry(namespace).or_insert(reason);
            }
        }
    }
    Ok(snap)
}

/// The progress line's task: stopped and its line cleared when dropped, however the fetch ends
/// (an error's message would otherwise follow the last progress line on its row).
struct Progress {
    task: tokio::task::JoinHandle<()>,
    err: SharedWriter,
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.task.abort();
        let mut e = self.err.lock().unwrap_or_else(|p| p.into_inner());
        let _ = write!(e, "\r\x1b[2K");
    }
}

enum Fetched {
    Pods(Vec<Pod>),
    /// The pods of a namespace cannot be listed (403).
    PodsUnreadable {
        namespace: String,
        reason: String,
    },
    Revisions(Vec<ControllerRevision>),
    /// The ControllerRevisions of a namespace cannot be listed (403, 404): optional, as offline.
    RevisionsUnreadable {
        namespace: String,
        reason: String,
    },
}

/// The progress line, redrawn in place on a terminal every 200 ms, in at most `width` columns.
fn spawn_progress(f: Arc<Transport>, width: usize) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Only fetches that last more than about a second show progress.
        tokio::time::sleep(Duration::from_secs(1)).await;
        loop {
            {
                let line = fetch_progress_line(
                    &f.ctx,
                    f.objects.load(Ordering::Relaxed),
                    f.requests.load(Ordering::Relaxed),
                    width,
                );
                let mut e = f.log_writer().lock().unwrap_or_else(|p| p.into_inner());
                let _ = write!(e, "\r\x1b[2K{line}");
                let _ = e.flush();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

/// "fetching from SERVER (context NAME): N objects, M requests…" in at most `width` columns:
/// `\r\x1b[2K` redraws one row, and a line the terminal wraps would leave a row behind at
/// every redraw. The server and context (an EKS endpoint and ARN run past 150 columns) are cut
/// with "…" first, so that the counts stay in sight; on a terminal too narrow even for those,
/// the whole line is cut.
fn fetch_progress_line(ctx: &str, objects: usize, requests: usize, width: usize) -> String {
    let tail = format!(": {objects} objects, {requests} requests…");
    crate::render::style::fit_middle("fetching from ", ctx, &tail, width)
}

/// How many daemon pods the lists about to be read hold, as the DaemonSets' status counts them
/// (`currentNumberScheduled + numberMisscheduled`): the snapshot's pod list is sized once rather
/// than doubled, and copied, as hundreds of thousands arrive. A status is only a hint (stale, or
/// wrong): never more than two pods a node and DaemonSet are reserved for it.
fn expected_pods(snap: &Snapshot) -> usize {
    let counted: i64 = (snap.daemon_sets.iter())
        .filter_map(|d| d.status.as_ref())
        .map(|s| (s.current_number_scheduled.max(0)).saturating_add(s.number_misscheduled.max(0)))
        .fold(0, i64::saturating_add);
    let bound = (snap.daemon_sets.len() * snap.nodes.len()).saturating_mul(2);
    usize::try_from(counted).unwrap_or(0).min(bound)
}

#[cfg(test)]
mod tests {
    use super::{Snapshot, expected_pods, fetch_progress_line};
    use crate::render::style::width;
    use serde_json::json;

    #[test]
    fn the_fetch_progress_line_fits_the_terminal_and_keeps_the_counts() {
        let eks = "https://0123456789ABCDEF0123456789ABCDEF.gr7.eu-west-1.eks.amazonaws.com \
                   (context arn:aws:eks:eu-west-1:123456789012:cluster/production-blue)";
        let whole = fetch_progress_line(eks, 15234, 37, 500);
        assert_eq!(
            whole,
            format!("fetching from {eks}: 15234 objects, 37 requests…")
        );
        for w in [60, 79, 100] {
            let line = fetch_progress_line(eks, 15234, 37, w);
            assert!(width(&line) <= w, "{w}: {line}");
            assert!(
                line.starts_with("fetching from https://0123")
                    && line.ends_with("…: 15234 objects, 37 requests…"),
                "{w}: {line}"
            );
        }
        // Too narrow for the counts with some of the server: the whole line is cut.
        for w in [1, 20, 45] {
            let line = fetch_progress_line(eks, 15234, 37, w);
            assert!(width(&line) <= w, "{w}: {line}");
            assert!(line.ends_with('…'), "{w}: {line}");
        }
        // A short server is left whole.
        let local = "https://10.0.0.1:6443 (context dev)";
        assert_eq!(
            fetch_progress_line(local, 12, 3, 79),
            format!("fetching from {local}: 12 objects, 3 requests…")
        );
    }

    fn snapshot(nodes: usize, statuses: &[serde_json::Value]) -> Snapshot {
        let mut s = Snapshot::new(crate::report::Source::File { paths: vec![] });
        for i in 0..nodes {
            s.add_node(
                serde_json::from_value(json!({"metadata": {"name": format!("n{i}")}})).unwrap(),
            );
        }
        for (i, status) in statuses.iter().enumerate() {
            let d = json!({"metadata": {"name": format!("ds{i}"), "namespace": "ns"}, "status": status});
            s.add_daemon_set(serde_json::from_value(d).unwrap());
        }
        s
    }

    #[test]
    fn the_pods_expected_are_the_statuses_counts_within_two_a_pair() {
        let counted = [
            json!({"currentNumberScheduled": 3, "numberMisscheduled": 1}),
            json!({"currentNumberScheduled": 2}),
            json!({"currentNumberScheduled": -7, "numberMisscheduled": -1}),
            json!(null),
        ];
        assert_eq!(expected_pods(&snapshot(5, &counted)), 6);
        // A status claiming far more pods than the cluster can hold reserves two a pair at most.
        let absurd = [json!({"currentNumberScheduled": i64::MAX, "numberMisscheduled": i64::MAX})];
        assert_eq!(expected_pods(&snapshot(5, &absurd)), 10);
        assert_eq!(expected_pods(&snapshot(0, &absurd)), 0);
    }
}
