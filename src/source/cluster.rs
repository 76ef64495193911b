//! Cluster state from a live API server, read the way kubectl connects: kubeconfig (flag,
//! `KUBECONFIG` with several files merged, `~/.kube/config`) or in-cluster config, context /
//! cluster / user overrides, impersonation, request timeout.
//!
//! Only what the audit needs is fetched: nodes (with `--node-selector` sent to the server),
//! DaemonSets (namespace or all, `-l` sent to the server), and per DaemonSet its pods and
//! ControllerRevisions by its own selector. Lists are paged (`limit`/`continue`), decoded page by
//! page straight into the slim model types, fetched concurrently with a small bound, and
//! gzip-compressed on the wire. Retries are ours (kube's own retry layer is off), bounded and
//! logged with `-v`.

use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::{Request, StatusCode};
use http_body_util::BodyExt;
use kube::config::{KubeConfigOptions, Kubeconfig};
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};
use crate::model::{ControllerRevision, LabelSelector, Node, Pod};
use crate::report::Source;
use crate::snapshot::Snapshot;

/// How to reach the cluster: kubectl's connection flags, resolved by `config`.
#[derive(Debug, Clone, Default)]
pub struct ConnectArgs {
    /// `--kubeconfig`.
    pub kubeconfig: Option<PathBuf>,
    /// The `KUBECONFIG` environment variable (several paths, merged, first wins).
    pub kubeconfig_env: Option<OsString>,
    /// `~/.kube/config`, if the home directory is known.
    pub default_kubeconfig: Option<PathBuf>,
    /// `KUBERNETES_SERVICE_HOST` is set: running in a pod.
    pub in_cluster: bool,
    pub context: Option<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub impersonate: Option<String>,
    pub impersonate_groups: Vec<String>,
    /// `None`: no timeout (`--request-timeout=0`, kubectl's default).
    pub request_timeout: Option<Duration>,
    pub insecure_skip_tls_verify: bool,
}

/// How to fetch: page size, concurrency, logging.
#[derive(Debug, Clone)]
pub struct FetchArgs {
    /// `--chunk-size` (kubectl's name); 0 disables paging.
    pub page_size: u32,
    pub concurrency: usize,
    /// `-v`: log every request (never a token) and every retry to stderr.
    pub verbose: bool,
    /// Show a progress line on stderr (only when stderr is a terminal).
    pub progress: bool,
    /// Attempts per request for retryable failures (429, 5xx, connection resets).
    pub attempts: u32,
}

impl Default for FetchArgs {
    fn default() -> FetchArgs {
        FetchArgs {
            page_size: 500,
            concurrency: 4,
            verbose: false,
            progress: false,
            attempts: 5,
        }
    }
}

/// What to fetch.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    /// `None`: all namespaces.
    pub namespace: Option<String>,
    /// `-l`, in kubectl syntax, sent as `labelSelector`.
    pub daemon_set_selector: Option<String>,
    /// `--node-selector`, sent as `labelSelector` on nodes.
    pub node_selector: Option<String>,
}

/// A connected client and what the kubeconfig said.
pub struct Connection {
    client: kube::Client,
    pub context: String,
    pub server: String,
    /// The context's namespace (or the in-cluster service account's), else `default`.
    pub default_namespace: String,
    timeout: Option<Duration>,
}

impl Connection {
    /// Names of the objects listed at `path` (one unpaged request, no retries): for shell
    /// completion, where a quick answer or none beats a slow one.
    pub async fn names(&self, path: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Named {
            #[serde(default)]
            metadata: crate::model::ObjectMeta,
        }
        let req = Request::get(path)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
            .map_err(|e| Error::Cluster(e.to_string()))?;
        let resp = self
            .client
            .send(req)
            .await
            .map_err(|e| Error::Cluster(describe_kube_error(&e)))?;
        if !resp.status().is_success() {
            return Err(Error::Cluster(format!("GET {path}: {}", resp.status())));
        }
        let body = resp
            .into_body()
            .collect()
            .await
            .map_err(|e| Error::Cluster(e.to_string()))?
            .to_bytes();
        let page: ListPage<Named> =
            serde_json::from_slice(&body).map_err(|e| Error::Cluster(e.to_string()))?;
        Ok(page.items.into_iter().map(|n| n.metadata.name).collect())
    }
}

/// Resolve the kubeconfig and build a client. Needs a Tokio runtime.
pub async fn connect(args: &ConnectArgs) -> Result<Connection> {
    let options = KubeConfigOptions {
        context: args.context.clone(),
        cluster: args.cluster.clone(),
        user: args.user.clone(),
    };
    let (mut config, context) = match read_kubeconfig(args)? {
        Some(kc) => {
            let context = args
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| {
                    Error::Cluster(format!(
                        "cannot use the kubeconfig: {}",
                        one_line(&e.to_string())
                    ))
                })?;
            (config, context)
        }
        None if args.in_cluster => {
            let config = kube::Config::incluster().map_err(|e| {
                Error::Cluster(format!(
                    "cannot use the in-cluster configuration: {}",
                    one_line(&e.to_string())
                ))
            })?;
            (config, "in-cluster".to_string())
        }
        None => {
            return Err(Error::Cluster(
                "no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config) and not running in a \
                 cluster; to audit saved objects use --from-file"
                    .into(),
            ));
        }
    };
    // Retries are deliberate and visible here, not hidden in the client (kube retries 429 itself).
    config.default_retry = false;
    if args.insecure_skip_tls_verify {
        config.accept_invalid_certs = true;
    }
    if let Some(user) = &args.impersonate {
        config.auth_info.impersonate = Some(user.clone());
    }
    if !args.impersonate_groups.is_empty() {
        config.auth_info.impersonate_groups = Some(args.impersonate_groups.clone());
    }
    // --request-timeout bounds each whole request (sent, answered, body read) in `Fetcher::send`;
    // the connect timeout only keeps an unreachable server from outlasting it.
    if let Some(t) = args.request_timeout {
        config.connect_timeout = Some(t);
    }
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let default_namespace = config.default_namespace.clone();
    let client = kube::Client::try_from(config).map_err(|e| {
        Error::Cluster(format!(
            "cannot create a client for {server} (context {context}): {}",
            one_line(&e.to_string())
        ))
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
        timeout: args.request_timeout,
    })
}

/// `--kubeconfig`, else `KUBECONFIG` (merged), else `~/.kube/config` if it exists.
fn read_kubeconfig(args: &ConnectArgs) -> Result<Option<Kubeconfig>> {
    let read = |p: &PathBuf| {
        Kubeconfig::read_from(p).map_err(|e| Error::Input {
            path: p.display().to_string(),
            message: format!("cannot read kubeconfig: {}", one_line(&e.to_string())),
        })
    };
    if let Some(p) = &args.kubeconfig {
        return read(p).map(Some);
    }
    if let Some(value) = &args.kubeconfig_env {
        let paths: Vec<PathBuf> = std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect();
        if !paths.is_empty() {
            let mut merged = Kubeconfig::default();
            for p in &paths {
                // kubectl skips KUBECONFIG entries that do not exist.
                if !p.exists() {
                    continue;
                }
                merged = merged.merge(read(p)?).map_err(|e| Error::Input {
                    path: p.display().to_string(),
                    message: format!("cannot merge kubeconfig: {}", one_line(&e.to_string())),
                })?;
            }
            return Ok(Some(merged));
        }
    }
    match &args.default_kubeconfig {
        Some(p) if p.exists() => read(p).map(Some),
        _ => Ok(None),
    }
}

/// Fetch the snapshot. `progress` lines and `-v` logs go to `err`.
pub async fn fetch(
    conn: &Connection,
    scope: &Scope,
    args: &FetchArgs,
    manifests: &[crate::model::DaemonSet],
    err: Arc<Mutex<Box<dyn Write + Send>>>,
) -> Result<Snapshot> {
    let fetcher = Arc::new(Fetcher {
        client: conn.client.clone(),
        ctx: format!("{} (context {})", conn.server, conn.context),
        args: args.clone(),
        timeout: conn.timeout,
        log: err.clone(),
        objects: AtomicUsize::new(0),
        requests: AtomicUsize::new(0),
        limit: tokio::sync::Semaphore::new(args.concurrency.max(1)),
    });
    let progress = args.progress.then(|| spawn_progress(fetcher.clone()));

    let ds_path = match &scope.namespace {
        Some(ns) => format!("/apis/apps/v1/namespaces/{}/daemonsets", encode(ns)),
        None => "/apis/apps/v1/daemonsets".to_string(),
    };
    let nodes_fut = fetcher.list::<Node>("nodes", "/api/v1/nodes", scope.node_selector.as_deref());
    let ds_fut = fetcher.list::<serde_json::Value>(
        "daemonsets",
        &ds_path,
        scope.daemon_set_selector.as_deref(),
    );
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
        let selector = selector_string(&sel);
        let ns = encode(ds.namespace());
        let f = fetcher.clone();
        let s = selector.clone();
        let path = format!("/api/v1/namespaces/{ns}/pods");
        tasks.spawn(async move {
            f.list::<Pod>("pods", &path, Some(&s))
                .await
                .map(Fetched::Pods)
        });
        let f = fetcher.clone();
        let path = format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions");
        tasks.spawn(async move {
            f.list::<ControllerRevision>("controllerrevisions", &path, Some(&selector))
                .await
                .map(Fetched::Revisions)
        });
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
    while let Some(joined) = tasks.join_next().await {
        let fetched = joined.map_err(|e| Error::Cluster(format!("fetch task failed: {e}")))??;
        match fetched {
            Fetched::Pods(pods) => pods.into_iter().for_each(|p| snap.add_pod(p)),
            Fetched::Revisions(revs) => revs.into_iter().for_each(|r| snap.add_revision(r)),
        }
    }
    if let Some(p) = progress {
        p.abort();
        let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
        let _ = write!(e, "\r\x1b[2K");
    }
    Ok(snap)
}

enum Fetched {
    Pods(Vec<Pod>),
    Revisions(Vec<ControllerRevision>),
}

fn spawn_progress(f: Arc<Fetcher>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        // Only fetches that last more than about a second show progress.
        tokio::time::sleep(Duration::from_secs(1)).await;
        loop {
            {
                let mut e = f.log.lock().unwrap_or_else(|p| p.into_inner());
                let _ = write!(
                    e,
                    "\r\x1b[2Kfetching from {}: {} objects, {} requests…",
                    f.ctx,
                    f.objects.load(Ordering::Relaxed),
                    f.requests.load(Ordering::Relaxed)
                );
                let _ = e.flush();
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    })
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: DeserializeOwned"))]
struct ListPage<T> {
    #[serde(default)]
    metadata: ListMeta,
    #[serde(default = "Vec::new", deserialize_with = "crate::model::nullable")]
    items: Vec<T>,
}

#[derive(Deserialize, Default)]
struct ListMeta {
    #[serde(rename = "continue", default)]
    continue_: Option<String>,
}

/// The API's error body.
#[derive(Deserialize, Default)]
struct Status {
    #[serde(default)]
    message: String,
    #[serde(default)]
    reason: String,
}

struct Fetcher {
    client: kube::Client,
    ctx: String,
    args: FetchArgs,
    timeout: Option<Duration>,
    log: Arc<Mutex<Box<dyn Write + Send>>>,
    objects: AtomicUsize,
    requests: AtomicUsize,
    limit: tokio::sync::Semaphore,
}

/// What one request attempt ended with.
enum Outcome {
    Body(bytes::Bytes),
    Gone,
}

impl Fetcher {
    fn log(&self, line: &str) {
        if self.args.verbose {
            let mut e = self.log.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(e, "{line}");
        }
    }

    /// List every page of `resource` at `path`, restarting (boundedly) when a continue token
    /// expires (410 Gone).
    async fn list<T: DeserializeOwned>(
        &self,
        resource: &str,
        path: &str,
        selector: Option<&str>,
    ) -> Result<Vec<T>> {
        const RESTARTS: u32 = 3;
        'restart: for restart in 0..=RESTARTS {
            let mut out: Vec<T> = Vec::new();
            let mut cont: Option<String> = None;
            loop {
                let mut query = Vec::new();
                if self.args.page_size > 0 {
                    query.push(format!("limit={}", self.args.page_size));
                }
                if let Some(s) = selector.filter(|s| !s.is_empty()) {
                    query.push(format!("labelSelector={}", encode(s)));
                }
                if let Some(c) = &cont {
                    query.push(format!("continue={}", encode(c)));
                }
                let url = if query.is_empty() {
                    path.to_string()
                } else {
                    format!("{path}?{}", query.join("&"))
                };
                let body = match self.get(resource, &url).await? {
                    Outcome::Body(b) => b,
                    Outcome::Gone if cont.is_some() && restart < RESTARTS => {
                        self.log(&format!(
                            "continue token for {resource} expired (410 Gone); restarting the list"
                        ));
                        continue 'restart;
                    }
                    Outcome::Gone => {
                        return Err(Error::Cluster(format!(
                            "cannot list {resource}: the API server keeps expiring the list (410 Gone) from {}",
                            self.ctx
                        )));
                    }
                };
                let unexpected = |e: &dyn std::fmt::Display| {
                    Error::Cluster(format!(
                        "unexpected response to GET {url} from {}: {e}",
                        self.ctx
                    ))
                };
                // The page checked as UTF-8 in one pass, then parsed as text: cheaper than
                // checking each of its hundreds of thousands of strings on its own.
                let text = std::str::from_utf8(&body).map_err(|e| unexpected(&e))?;
                let page: ListPage<T> = serde_json::from_str(text).map_err(|e| unexpected(&e))?;
                recycle(body);
                self.objects.fetch_add(page.items.len(), Ordering::Relaxed);
                out.extend(page.items);
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(c) => cont = Some(c),
                    None => return Ok(out),
                }
            }
        }
        unreachable!("the restart loop returns on its last round")
    }

    /// One GET with bounded retries for 429 (honouring Retry-After), 5xx and connection errors.
    async fn get(&self, resource: &str, url: &str) -> Result<Outcome> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let _permit = self
                .limit
                .acquire()
                .await
                .map_err(|e| Error::Cluster(e.to_string()))?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result = self.send(url).await;
            let ms = started.elapsed().as_millis();
            let retry_in = |n: u32| {
                Duration::from_millis(200u64.saturating_mul(1 << n.min(5)))
                    .min(Duration::from_secs(5))
            };
            match result {
                Ok((status, retry_after, body)) => {
                    self.log(&format!("GET {url} {} {ms}ms", status.as_u16()));
                    if status.is_success() {
                        return Ok(Outcome::Body(body));
                    }
                    if status == StatusCode::GONE {
                        return Ok(Outcome::Gone);
                    }
                    let retryable =
                        status == StatusCode::TOO_MANY_REQUESTS || status.is_server_error();
                    if retryable && attempt < self.args.attempts {
                        let wait = retry_after
                            .unwrap_or_else(|| retry_in(attempt))
                            .min(Duration::from_secs(30));
                        self.log(&format!(
                            "retrying GET {url} in {}ms ({} {}, attempt {attempt}/{})",
                            wait.as_millis(),
                            status.as_u16(),
                            status.canonical_reason().unwrap_or(""),
                            self.args.attempts
                        ));
                        drop(_permit);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(self.status_error(resource, status, &body));
                }
                Err(SendError::Timeout) => {
                    self.log(&format!("GET {url} timed out after {ms}ms"));
                    return Err(Error::Cluster(format!(
                        "cannot list {resource}: the request to {} timed out after {} (--request-timeout)",
                        self.ctx,
                        crate::duration::short(
                            self.timeout.map(|t| t.as_secs() as i64).unwrap_or(0)
                        )
                    )));
                }
                Err(SendError::Other(e)) => {
                    self.log(&format!("GET {url} failed after {ms}ms: {e}"));
                    if attempt < self.args.attempts && is_transient(&e) {
                        let wait = retry_in(attempt);
                        self.log(&format!(
                            "retrying GET {url} in {}ms (attempt {attempt}/{})",
                            wait.as_millis(),
                            self.args.attempts
                        ));
                        drop(_permit);
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Err(Error::Cluster(format!(
                        "cannot reach the API server {}: {e}",
                        self.ctx
                    )));
                }
            }
        }
    }

    async fn send(
        &self,
        url: &str,
    ) -> std::result::Result<(StatusCode, Option<Duration>, bytes::Bytes), SendError> {
        let req = Request::get(url)
            .header(http::header::ACCEPT, "application/json")
            .body(kube::client::Body::empty())
            .map_err(|e| SendError::Other(e.to_string()))?;
        exchange(&self.client, req, self.timeout).await
    }

    /// One line that names the verb, the resource and what to do.
    fn status_error(&self, resource: &str, status: StatusCode, body: &[u8]) -> Error {
        let s: Status = serde_json::from_slice(body).unwrap_or_default();
        let msg = match status {
            StatusCode::UNAUTHORIZED => format!(
                "cannot list {resource}: unauthorized by {} — the credentials were rejected; refresh the token or log in again",
                self.ctx
            ),
            StatusCode::FORBIDDEN => {
                let who = quoted_user(&s.message)
                    .map(|u| format!(" for user {u}"))
                    .unwrap_or_default();
                format!(
                    "cannot list {resource}: forbidden{who} — ds-coverage needs get/list on nodes, pods, daemonsets, \
                     controllerrevisions; see README 'RBAC'"
                )
            }
            _ => {
                let detail = if s.message.is_empty() {
                    String::from_utf8_lossy(body).chars().take(200).collect()
                } else {
                    s.message.clone()
                };
                format!(
                    "cannot list {resource}: the API server {} answered {} {}{}: {}",
                    self.ctx,
                    status.as_u16(),
                    status.canonical_reason().unwrap_or(""),
                    if s.reason.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", s.reason)
                    },
                    one_line(&detail)
                )
            }
        };
        Error::Cluster(msg)
    }
}

enum SendError {
    Timeout,
    Other(String),
}

/// One request: sent, answered and its body read, all within `timeout` (kubectl's
/// `--request-timeout` bounds the whole exchange). Status, `Retry-After` and body come back for
/// the caller's retry policy.
async fn exchange(
    client: &kube::Client,
    req: Request<kube::client::Body>,
    timeout: Option<Duration>,
) -> std::result::Result<(StatusCode, Option<Duration>, bytes::Bytes), SendError> {
    let call = async {
        let resp = client
            .send(req)
            .await
            .map_err(|e| SendError::Other(describe_kube_error(&e)))?;
        let status = resp.status();
        let retry_after = resp
            .headers()
            .get(http::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        // Into one buffer from the pool: a list page is megabytes, and a fresh buffer for each
        // costs a page fault per 4 KiB (and, with gzip, a copy from the decoded chunks).
        let mut body = resp.into_body();
        let mut buf = page_buffer();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| {
                SendError::Other(format!(
                    "connection lost while reading the response: {}",
                    one_line(&e.to_string())
                ))
            })?;
            if let Ok(data) = frame.into_data() {
                buf.extend_from_slice(&data);
            }
        }
        Ok((status, retry_after, bytes::Bytes::from(buf)))
    };
    match timeout {
        Some(t) => tokio::time::timeout(t, call)
            .await
            .unwrap_or(Err(SendError::Timeout)),
        None => call.await,
    }
}

/// Response buffers kept for reuse: as many as requests in flight plus pages being decoded.
static PAGE_BUFFERS: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
const PAGE_BUFFERS_KEPT: usize = 6;

fn page_buffer() -> Vec<u8> {
    let mut pool = PAGE_BUFFERS.lock().unwrap_or_else(|p| p.into_inner());
    pool.pop().unwrap_or_default()
}

/// Gives a decoded page's buffer back to the pool (when nothing else holds it).
fn recycle(body: bytes::Bytes) {
    let Ok(buf) = body.try_into_mut() else {
        return;
    };
    let mut buf: Vec<u8> = buf.into();
    buf.clear();
    let mut pool = PAGE_BUFFERS.lock().unwrap_or_else(|p| p.into_inner());
    if pool.len() < PAGE_BUFFERS_KEPT {
        pool.push(buf);
    }
}

fn is_transient(e: &str) -> bool {
    let e = e.to_ascii_lowercase();
    [
        "connection reset",
        "connection closed",
        "broken pipe",
        "incomplete message",
        "connection lost",
        "unexpected eof",
        "channel closed",
    ]
    .iter()
    .any(|s| e.contains(s))
}

/// kube's errors as one readable line: the root cause carries the useful part ("tcp connect
/// error: Connection refused"), the wrappers above it only say "service error".
fn describe_kube_error(e: &kube::Error) -> String {
    let mut last = e.to_string();
    let mut src = std::error::Error::source(e);
    let mut chain = Vec::new();
    while let Some(s) = src {
        chain.push(s.to_string());
        src = s.source();
    }
    if let Some(root) = chain.pop() {
        last = match chain.pop() {
            Some(parent) if !parent.contains(&root) => format!("{parent}: {root}"),
            _ => root,
        };
    }
    one_line(&last)
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `User "x" cannot list ...` → `x`.
fn quoted_user(message: &str) -> Option<&str> {
    let rest = &message[message.find("User \"")? + 6..];
    Some(&rest[..rest.find('"')?])
}

/// A `metav1.LabelSelector` in the API's query syntax.
pub fn selector_string(sel: &LabelSelector) -> String {
    crate::eligibility::labels::label_selector_query(sel)
}

/// Percent-encode a query value (RFC 3986 unreserved characters pass).
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

// ---------------------------------------------------------------------------------------------
// `explain` on a live cluster: the other pods bound to the node (for the fit check) and the
// daemon pods' Warning events. The field selector goes in the path, so these lists are not paged
// (a node holds at most a few hundred pods, a pod a handful of events); retries and `-v` logging
// are the usual ones.

fn explain_fetcher(
    conn: &Connection,
    args: &FetchArgs,
    err: Arc<Mutex<Box<dyn Write + Send>>>,
) -> Fetcher {
    Fetcher {
        client: conn.client.clone(),
        ctx: format!("{} (context {})", conn.server, conn.context),
        args: FetchArgs {
            page_size: 0,
            progress: false,
            ..args.clone()
        },
        timeout: conn.timeout,
        log: err,
        objects: AtomicUsize::new(0),
        requests: AtomicUsize::new(0),
        limit: tokio::sync::Semaphore::new(args.concurrency.max(1)),
    }
}

/// Every pod bound to `node`, in all namespaces (`fieldSelector=spec.nodeName=NODE`).
pub async fn pods_on_node(
    conn: &Connection,
    node: &str,
    args: &FetchArgs,
    err: Arc<Mutex<Box<dyn Write + Send>>>,
) -> Result<Vec<Pod>> {
    let path = format!(
        "/api/v1/pods?fieldSelector={}",
        encode(&format!("spec.nodeName={node}"))
    );
    explain_fetcher(conn, args, err)
        .list::<Pod>("pods", &path, None)
        .await
}

/// The Warning events of each pod (`fieldSelector=involvedObject.name=POD,type=Warning`), in the
/// order of `pods`.
pub async fn warning_events(
    conn: &Connection,
    namespace: &str,
    pods: &[String],
    args: &FetchArgs,
    err: Arc<Mutex<Box<dyn Write + Send>>>,
) -> Result<Vec<(String, Vec<crate::model::Event>)>> {
    let fetcher = explain_fetcher(conn, args, err);
    let mut out = Vec::with_capacity(pods.len());
    for pod in pods {
        let path = format!(
            "/api/v1/namespaces/{}/events?fieldSelector={}",
            encode(namespace),
            encode(&format!("involvedObject.name={pod},type=Warning"))
        );
        let events = fetcher
            .list::<crate::model::Event>("events", &path, None)
            .await?;
        out.push((pod.clone(), events));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_sent_in_api_syntax_and_encoded() {
        let sel: LabelSelector = serde_json::from_value(serde_json::json!({
            "matchLabels": {"app": "fluent-bit"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "canary", "operator": "DoesNotExist"}
            ]
        }))
        .unwrap();
        let s = selector_string(&sel);
        assert_eq!(s, "app=fluent-bit,tier in (a,b),!canary");
        assert_eq!(
            encode(&s),
            "app%3Dfluent-bit%2Ctier%20in%20%28a%2Cb%29%2C%21canary"
        );
    }

    #[test]
    fn forbidden_messages_name_the_user() {
        let m = r#"nodes is forbidden: User "system:serviceaccount:ci:auditor" cannot list resource "nodes""#;
        assert_eq!(quoted_user(m), Some("system:serviceaccount:ci:auditor"));
        assert_eq!(quoted_user("nothing"), None);
    }
}

// ---------------------------------------------------------------------------------------------
// `fix`: single-pod reads and writes. Reads retry like the audit's (bounded, `-v` logged); writes
// retry only 5xx and dropped connections (safe: every write carries UID and resourceVersion
// preconditions) and hand 409 and 429 back to the caller, which decides (a stale plan is skipped,
// a PodDisruptionBudget refusal is retried until `--timeout`).

/// The preconditions of a delete or eviction: the pod the plan saw, and no other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preconditions {
    pub uid: String,
    /// `None` when the plan had none (saved objects without one): the UID alone is checked.
    pub resource_version: Option<String>,
}

/// How the API server answered a delete or an eviction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAnswer {
    /// 200/201/202: done (or, with `dryRun=All`, validated).
    Accepted,
    /// 404: the pod is gone.
    NotFound,
    /// 409: a precondition failed (the pod changed since the plan).
    Conflict(String),
    /// 429: a PodDisruptionBudget refused the eviction, or the server is throttling.
    TooManyRequests {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Anything else (403, 422, 5xx after the retries...).
    Refused { status: u16, message: String },
}

/// `fix`'s client: one pod at a time.
pub struct PodApi {
    client: kube::Client,
    ctx: String,
    timeout: Option<Duration>,
    verbose: bool,
    attempts: u32,
    log: Arc<Mutex<Box<dyn Write + Send>>>,
}

/// A [`PodApi`] over the connection, logging with `-v` to `err`.
pub fn pod_api(
    conn: &Connection,
    args: &FetchArgs,
    err: Arc<Mutex<Box<dyn Write + Send>>>,
) -> PodApi {
    PodApi {
        client: conn.client.clone(),
        ctx: format!("{} (context {})", conn.server, conn.context),
        timeout: conn.timeout,
        verbose: args.verbose,
        attempts: args.attempts.max(1),
        log: err,
    }
}

/// The DeleteOptions body of a delete or eviction: preconditions, and `dryRun` when asked.
pub fn delete_options(pre: &Preconditions, dry_run: bool) -> serde_json::Value {
    let mut preconditions = serde_json::json!({ "uid": pre.uid });
    if let Some(rv) = &pre.resource_version {
        preconditions["resourceVersion"] = serde_json::Value::String(rv.clone());
    }
    let mut options = serde_json::json!({
        "kind": "DeleteOptions",
        "apiVersion": "v1",
        "preconditions": preconditions,
    });
    if dry_run {
        options["dryRun"] = serde_json::json!(["All"]);
    }
    options
}

/// The policy/v1 Eviction body for a pod.
pub fn eviction_body(
    namespace: &str,
    name: &str,
    pre: &Preconditions,
    dry_run: bool,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": { "name": name, "namespace": namespace },
        "deleteOptions": delete_options(pre, dry_run),
    })
}

/// The message of an API `Status` body, with its causes (a PDB refusal names the budget there).
fn status_message(body: &[u8]) -> String {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Cause {
        message: String,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Details {
        causes: Vec<Cause>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct FullStatus {
        message: String,
        details: Option<Details>,
    }
    let s: FullStatus = serde_json::from_slice(body).unwrap_or_default();
    let mut parts = Vec::new();
    if !s.message.is_empty() {
        parts.push(s.message.clone());
    }
    for c in s.details.map(|d| d.causes).unwrap_or_default() {
        if !c.message.is_empty() && !s.message.contains(&c.message) {
            parts.push(c.message);
        }
    }
    if parts.is_empty() {
        return String::from_utf8_lossy(body).chars().take(200).collect();
    }
    let joined = parts.iter().skip(1).fold(parts[0].clone(), |acc, p| {
        let sep = if acc.ends_with('.') { " " } else { ": " };
        format!("{acc}{sep}{p}")
    });
    one_line(&joined)
}

impl PodApi {
    fn log(&self, line: &str) {
        if self.verbose {
            let mut e = self.log.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(e, "{line}");
        }
    }

    /// One request, retried (boundedly) on 5xx and dropped connections, and for reads on 429.
    async fn call(
        &self,
        method: http::Method,
        url: &str,
        body: Option<Vec<u8>>,
    ) -> Result<(StatusCode, Option<Duration>, bytes::Bytes)> {
        let read = method == http::Method::GET;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let mut builder = Request::builder()
                .method(method.clone())
                .uri(url)
                .header(http::header::ACCEPT, "application/json");
            if body.is_some() {
                builder = builder.header(http::header::CONTENT_TYPE, "application/json");
            }
            let req = builder
                .body(kube::client::Body::from(body.clone().unwrap_or_default()))
                .map_err(|e| Error::Cluster(e.to_string()))?;
            let started = Instant::now();
            let result = exchange(&self.client, req, self.timeout).await;
            let ms = started.elapsed().as_millis();
            let backoff = Duration::from_millis(200u64.saturating_mul(1 << attempt.min(5)))
                .min(Duration::from_secs(5));
            match result {
                Ok((status, retry_after, bytes)) => {
                    self.log(&format!("{method} {url} {} {ms}ms", status.as_u16()));
                    let retryable = status.is_server_error()
                        || (read && status == StatusCode::TOO_MANY_REQUESTS);
                    if retryable && attempt < self.attempts {
                        let wait = retry_after.unwrap_or(backoff).min(Duration::from_secs(30));
                        self.log(&format!(
                            "retrying {method} {url} in {}ms ({}, attempt {attempt}/{})",
                            wait.as_millis(),
                            status.as_u16(),
                            self.attempts
                        ));
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    return Ok((status, retry_after, bytes));
                }
                Err(SendError::Timeout) => {
                    self.log(&format!("{method} {url} timed out after {ms}ms"));
                    return Err(Error::Cluster(format!(
                        "{method} {url}: the request to {} timed out (--request-timeout)",
                        self.ctx
                    )));
                }
                Err(SendError::Other(e)) => {
                    self.log(&format!("{method} {url} failed after {ms}ms: {e}"));
                    if attempt < self.attempts && is_transient(&e) {
                        self.log(&format!(
                            "retrying {method} {url} in {}ms (attempt {attempt}/{})",
                            backoff.as_millis(),
                            self.attempts
                        ));
                        tokio::time::sleep(backoff).await;
                        continue;
                    }
                    return Err(Error::Cluster(format!(
                        "cannot reach the API server {}: {e}",
                        self.ctx
                    )));
                }
            }
        }
    }

    fn read_error(&self, what: &str, status: StatusCode, body: &[u8]) -> Error {
        let hint = if status == StatusCode::FORBIDDEN {
            " (fix needs get and list on pods; see README 'RBAC')"
        } else {
            ""
        };
        Error::Cluster(format!(
            "cannot {what}: the API server {} answered {} {}: {}{hint}",
            self.ctx,
            status.as_u16(),
            status.canonical_reason().unwrap_or(""),
            status_message(body)
        ))
    }

    /// The pod as it is now; `None` when it is gone.
    pub async fn get_pod(&self, namespace: &str, name: &str) -> Result<Option<Pod>> {
        let url = format!(
            "/api/v1/namespaces/{}/pods/{}",
            encode(namespace),
            encode(name)
        );
        let (status, _, body) = self.call(http::Method::GET, &url, None).await?;
        if status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(self.read_error(&format!("get pod {namespace}/{name}"), status, &body));
        }
        serde_json::from_slice(&body).map(Some).map_err(|e| {
            Error::Cluster(format!(
                "unexpected response to GET {url} from {}: {e}",
                self.ctx
            ))
        })
    }

    /// The pods in `namespace` matching `selector` bound to `node` (one unpaged list).
    pub async fn pods_on_node(
        &self,
        namespace: &str,
        selector: &str,
        node: &str,
    ) -> Result<Vec<Pod>> {
        let url = format!(
            "/api/v1/namespaces/{}/pods?labelSelector={}&fieldSelector={}",
            encode(namespace),
            encode(selector),
            encode(&format!("spec.nodeName={node}"))
        );
        let (status, _, body) = self.call(http::Method::GET, &url, None).await?;
        if !status.is_success() {
            return Err(self.read_error(&format!("list pods on {node}"), status, &body));
        }
        let page: ListPage<Pod> = serde_json::from_slice(&body).map_err(|e| {
            Error::Cluster(format!(
                "unexpected response to GET {url} from {}: {e}",
                self.ctx
            ))
        })?;
        Ok(page.items)
    }

    /// DELETE the pod with preconditions (`dryRun=All` when `dry_run`).
    pub async fn delete_pod(
        &self,
        namespace: &str,
        name: &str,
        pre: &Preconditions,
        dry_run: bool,
    ) -> Result<WriteAnswer> {
        let mut url = format!(
            "/api/v1/namespaces/{}/pods/{}",
            encode(namespace),
            encode(name)
        );
        if dry_run {
            url.push_str("?dryRun=All");
        }
        let body = delete_options(pre, dry_run).to_string().into_bytes();
        self.write(http::Method::DELETE, &url, body).await
    }

    /// POST a policy/v1 Eviction for the pod, with preconditions (`dryRun=All` when `dry_run`).
    pub async fn evict_pod(
        &self,
        namespace: &str,
        name: &str,
        pre: &Preconditions,
        dry_run: bool,
    ) -> Result<WriteAnswer> {
        let mut url = format!(
            "/api/v1/namespaces/{}/pods/{}/eviction",
            encode(namespace),
            encode(name)
        );
        if dry_run {
            url.push_str("?dryRun=All");
        }
        let body = eviction_body(namespace, name, pre, dry_run)
            .to_string()
            .into_bytes();
        self.write(http::Method::POST, &url, body).await
    }

    async fn write(&self, method: http::Method, url: &str, body: Vec<u8>) -> Result<WriteAnswer> {
        let (status, retry_after, body) = self.call(method, url, Some(body)).await?;
        Ok(match status {
            s if s.is_success() => WriteAnswer::Accepted,
            StatusCode::NOT_FOUND => WriteAnswer::NotFound,
            StatusCode::CONFLICT => WriteAnswer::Conflict(status_message(&body)),
            StatusCode::TOO_MANY_REQUESTS => WriteAnswer::TooManyRequests {
                message: status_message(&body),
                retry_after,
            },
            s => {
                let mut message = status_message(&body);
                if s == StatusCode::FORBIDDEN {
                    message.push_str(
                        " (fix needs delete on pods and create on pods/eviction; see README 'RBAC')",
                    );
                }
                WriteAnswer::Refused {
                    status: s.as_u16(),
                    message,
                }
            }
        })
    }
}

#[cfg(test)]
mod fix_tests {
    use super::*;

    #[test]
    fn writes_carry_uid_and_resource_version_preconditions() {
        let pre = Preconditions {
            uid: "u-1".into(),
            resource_version: Some("42".into()),
        };
        let body = eviction_body("logging", "fluent-bit-x", &pre, false);
        assert_eq!(body["apiVersion"], "policy/v1");
        assert_eq!(body["kind"], "Eviction");
        assert_eq!(body["metadata"]["name"], "fluent-bit-x");
        assert_eq!(body["metadata"]["namespace"], "logging");
        assert_eq!(body["deleteOptions"]["preconditions"]["uid"], "u-1");
        assert_eq!(
            body["deleteOptions"]["preconditions"]["resourceVersion"],
            "42"
        );
        assert!(body["deleteOptions"].get("dryRun").is_none());
        let dry = delete_options(&pre, true);
        assert_eq!(dry["dryRun"], serde_json::json!(["All"]));
        assert_eq!(dry["preconditions"]["resourceVersion"], "42");
        let uid_only = delete_options(
            &Preconditions {
                uid: "u-2".into(),
                resource_version: None,
            },
            false,
        );
        assert_eq!(uid_only["preconditions"], serde_json::json!({"uid": "u-2"}));
    }

    #[test]
    fn status_messages_include_the_pdb_cause() {
        let body = br#"{"kind":"Status","message":"Cannot evict pod as it would violate the pod's disruption budget.","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget fb-pdb needs 1 healthy pods and has 1 currently"}]}}"#;
        assert_eq!(
            status_message(body),
            "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget fb-pdb needs 1 healthy pods and has 1 currently"
        );
        assert_eq!(status_message(b"plain"), "plain");
    }
}
