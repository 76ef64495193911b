//! A simulated kube-apiserver for ds-coverage's integration tests and benchmarks.
//!
//! [`Simulator::start`] serves a set of objects on `127.0.0.1` with an ephemeral port, from its own
//! thread and tokio runtime, shaped as kube-apiserver v1.31 shapes them: legacy discovery,
//! list/get of nodes, namespaces, pods, events, daemonsets, controllerrevisions and
//! poddisruptionbudgets (cluster-wide and namespaced), label and field selectors, `limit`/`continue`
//! paging (410 once a token is compacted away), server-side `Table` printing for kubectl, gzip,
//! bearer-token auth, pod DELETE with preconditions and `dryRun`, the eviction subresource with
//! PodDisruptionBudget refusals, fault injection, and a small DaemonSet controller.
//!
//! Objects are serialised once at start (kept compressed, see [`SimOptions::pack_objects`]); list
//! pages are concatenations of those bytes.
//!
//! ```no_run
//! use ds_coverage_simulator::{SimOptions, Simulator};
//! let node = serde_json::json!({"apiVersion": "v1", "kind": "Node", "metadata": {"name": "n1"}});
//! let sim = Simulator::start(vec![node], SimOptions::default());
//! sim.write_kubeconfig("/tmp/kubeconfig", None, None).unwrap();
//! // run `kubectl --kubeconfig /tmp/kubeconfig get nodes`, then inspect sim.requests()
//! ```

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

pub mod client;
mod controller;
mod faults;
pub mod generator;
mod load;
pub mod protobuf;
mod resources;
mod selectors;
mod server;
mod status;
mod store;
mod table;
mod util;
mod watch;

pub use controller::{ControllerMode, Rollout, Stuck};
pub use faults::{Fault, FaultKind, Matcher, Verb};

use server::Shared;
use store::{Store, StoreBuilder};

fn seed(opts: &SimOptions) -> u64 {
    if opts.seed != 0 {
        return opts.seed;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
}

/// How a simulator behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// Where to listen; the default `127.0.0.1:0` picks a free port.
    pub listen: SocketAddr,
    /// When set, every request needs `Authorization: Bearer <token>` (else 401).
    pub token: Option<String>,
    /// `/version`'s gitVersion; kubectl's dispatcher picks its binary from it.
    pub git_version: String,
    /// Responses larger than this many bytes are gzip-compressed when the client accepts gzip
    /// (kube-apiserver's own threshold is 128 KiB; the default here is 1 KiB so tests see it).
    pub gzip_threshold: usize,
    /// When set, etcd "compacts" this often (checked lazily on each list), expiring every continue
    /// token issued before: a token older than this always gets 410 Gone.
    pub continue_ttl: Option<Duration>,
    /// The user named in injected 403 messages unless the request impersonates another.
    pub user: String,
    /// Faults active from the start.
    pub faults: Vec<Fault>,
    /// Evictions PodDisruptionBudgets refuse from the start.
    pub pdb_rules: Vec<PdbRule>,
    /// Enables the DaemonSet controller (replacement pods after delete/evict).
    pub controller: Option<ControllerMode>,
    /// Seed for generated names and UIDs (0: derived from the clock).
    pub seed: u64,
    /// Tokio worker threads.
    pub worker_threads: usize,
    /// Serve HTTPS with this certificate (and, when set, accept client certificates of a CA).
    pub tls: Option<SimTls>,
    /// Keep loaded objects compressed against their family's first object (the default; a
    /// 65,000-node generated cluster fits in a few GiB). `false` keeps every object's JSON whole:
    /// the responses are the same bytes either way.
    pub pack_objects: bool,
    /// Answer pod lists and GETs in Kubernetes protobuf when the client prefers it (the
    /// default, as kube-apiserver does); `false`: JSON whatever the Accept, as an aggregated
    /// API server or a proxy that speaks only JSON would.
    pub protobuf: bool,
}

/// The simulator's TLS: PEM texts (tests/fixtures/tls holds a set).
#[derive(Debug, Clone, Default)]
pub struct SimTls {
    pub cert_pem: String,
    pub key_pem: String,
    /// Client certificates signed by this CA are verified and recorded; clients without one are
    /// still served (as kube-apiserver with `--client-ca-file` and other authenticators).
    pub client_ca_pem: Option<String>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            token: None,
            git_version: "v1.31.4".into(),
            gzip_threshold: 1024,
            continue_ttl: None,
            user: "system:serviceaccount:ci:auditor".into(),
            faults: Vec::new(),
            pdb_rules: Vec::new(),
            controller: None,
            seed: 0,
            worker_threads: 2,
            tls: None,
            pack_objects: true,
            protobuf: true,
        }
    }
}

/// An eviction a PodDisruptionBudget refuses (429). Only Running, non-terminating pods are
/// guarded, as in kube-apiserver.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdbRule {
    /// The PodDisruptionBudget named in the refusal.
    pub pdb: String,
    /// Only pods in this namespace (`None`: any).
    pub namespace: Option<String>,
    /// Only the pod with this name (`None`: any).
    pub pod: Option<String>,
    /// Refuse this many evictions, then allow (`None`: always refuse).
    pub times: Option<usize>,
}

impl PdbRule {
    /// Refuses every eviction.
    pub fn all(pdb: impl Into<String>) -> PdbRule {
        PdbRule {
            pdb: pdb.into(),
            namespace: None,
            pod: None,
            times: None,
        }
    }

    /// Refuses evictions of one pod.
    pub fn pod(
        pdb: impl Into<String>,
        namespace: impl Into<String>,
        name: impl Into<String>,
    ) -> PdbRule {
        PdbRule {
            pdb: pdb.into(),
            namespace: Some(namespace.into()),
            pod: Some(name.into()),
            times: None,
        }
    }

    /// Refuses only the first `n` matching evictions.
    pub fn times(mut self, n: usize) -> PdbRule {
        self.times = Some(n);
        self
    }

    pub(crate) fn applies(&self, namespace: &str, name: &str) -> bool {
        self.times != Some(0)
            && self.namespace.as_deref().is_none_or(|n| n == namespace)
            && self.pod.as_deref().is_none_or(|p| p == name)
    }
}

/// One request the simulator answered (or dropped). The bearer token is never stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub method: String,
    pub path: String,
    /// The raw (still percent-encoded) query string.
    pub query: String,
    /// The response status; 0 when a fault dropped the connection.
    pub status: u16,
    /// The response body was gzip-compressed.
    pub gzip: bool,
    /// An `Authorization` header was present (its value is not kept).
    pub authorization: bool,
    pub impersonate_user: Option<String>,
    pub impersonate_groups: Vec<String>,
    pub accept: Option<String>,
    /// The request's `Accept-Encoding`.
    pub accept_encoding: Option<String>,
    /// The `Authorization` scheme (`Bearer`, `Basic`), never its credentials.
    pub authorization_scheme: Option<String>,
    /// The `Impersonate-Uid` header.
    pub impersonate_uid: Option<String>,
    /// The client presented a certificate the client CA verified (TLS only).
    pub client_certificate: bool,
    pub user_agent: Option<String>,
    /// The fault applied, if any (Debug form).
    pub fault: Option<String>,
}

impl Request {
    /// A decoded query parameter.
    pub fn param(&self, key: &str) -> Option<String> {
        util::parse_query(&self.query)
            .into_iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v)
    }
}

/// Serving statistics, for the benchmark.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimStats {
    pub requests: u64,
    /// Responses with status ≥ 400, or dropped.
    pub errors: u64,
    pub gzip_responses: u64,
    /// Response body bytes before compression.
    pub bytes_uncompressed: u64,
    /// Response body bytes sent (after compression).
    pub bytes_sent: u64,
    /// Time spent building and encoding responses (injected delays excluded).
    pub serving_time: Duration,
}

/// Why a simulator could not start.
#[derive(Debug)]
pub enum SimError {
    /// An object could not be served (unsupported kind, no name …).
    Object(String),
    Io(std::io::Error),
}

impl std::fmt::Display for SimError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SimError::Object(e) => write!(f, "cannot load objects: {e}"),
            SimError::Io(e) => write!(f, "cannot start the simulated API server: {e}"),
        }
    }
}

impl std::error::Error for SimError {}

impl From<std::io::Error> for SimError {
    fn from(e: std::io::Error) -> Self {
        SimError::Io(e)
    }
}

/// A running simulated API server; dropping it stops it.
#[derive(Debug)]
pub struct Simulator {
    scheme: &'static str,
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Simulator {
    /// Starts serving `objects` (full JSON objects, or `List`s of them). Panics when it cannot; see
    /// [`Simulator::try_start`].
    pub fn start(objects: Vec<Value>, opts: SimOptions) -> Simulator {
        match Simulator::try_start(objects, opts) {
            Ok(sim) => sim,
            Err(e) => panic!("{e}"),
        }
    }

    /// Starts serving `objects` on `opts.listen`.
    pub fn try_start(objects: Vec<Value>, opts: SimOptions) -> Result<Simulator, SimError> {
        Simulator::try_start_iter(objects, opts)
    }

    /// Starts serving objects from an iterator; each is serialised and dropped as it comes, so a
    /// generator can feed a large cluster without it ever existing as a whole in `Value` form.
    pub fn try_start_iter(
        objects: impl IntoIterator<Item = Value>,
        opts: SimOptions,
    ) -> Result<Simulator, SimError> {
        let mut rng = util::Rng::new(seed(&opts));
        let mut builder = StoreBuilder::new(opts.pack_objects);
        for v in objects {
            builder.add(v, &mut rng).map_err(SimError::Object)?;
        }
        let store = builder.finish(&mut rng).map_err(SimError::Object)?;
        Simulator::launch(store, rng, opts)
    }

    /// Starts serving a generated cluster ([`generator::generate_each`]): each object is
    /// serialised into the store as it is generated, so the cluster never exists in `Value`
    /// form, and kept compressed ([`SimOptions::pack_objects`]): 65,000 nodes × 40 DaemonSets,
    /// 14.5 GB of JSON, take about 2.5 GiB. Returns the simulator and the cluster's shape.
    pub fn try_start_generated(
        spec: &generator::ClusterSpec,
        opts: SimOptions,
    ) -> Result<(Simulator, generator::Shape), SimError> {
        let mut rng = util::Rng::new(seed(&opts));
        let mut builder = StoreBuilder::new(opts.pack_objects);
        let mut shape = generator::Shape::default();
        let mut failed = None;
        generator::generate_each(spec, &mut |v| {
            if failed.is_some() {
                return;
            }
            let class = generator::Shape::classify(&v);
            // The store keeps objects without kind/apiVersion: count them back in.
            let head = match (v["apiVersion"].as_str(), v["kind"].as_str()) {
                (Some(a), Some(k)) => 26 + a.len() + k.len(),
                _ => 0,
            };
            match builder.add(v, &mut rng) {
                Ok(stored) => shape.count(class, stored + head),
                Err(e) => failed = Some(e),
            }
        });
        if let Some(e) = failed {
            return Err(SimError::Object(e));
        }
        let store = builder.finish(&mut rng).map_err(SimError::Object)?;
        Ok((Simulator::launch(store, rng, opts)?, shape))
    }

    /// Starts serving the objects of a JSON document (a `List`, an array, or one object) read
    /// from `reader`, streaming: items are parsed and serialised one by one.
    pub fn try_start_from_reader(
        reader: impl std::io::Read,
        opts: SimOptions,
    ) -> Result<Simulator, SimError> {
        let mut rng = util::Rng::new(seed(&opts));
        let mut builder = StoreBuilder::new(opts.pack_objects);
        load::stream_json(reader, &mut |v| builder.add(v, &mut rng).map(drop))
            .map_err(SimError::Object)?;
        let store = builder.finish(&mut rng).map_err(SimError::Object)?;
        Simulator::launch(store, rng, opts)
    }

    fn launch(store: Store, rng: util::Rng, opts: SimOptions) -> Result<Simulator, SimError> {
        let listener = std::net::TcpListener::bind(opts.listen)?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(opts.worker_threads.max(1))
            .thread_name("ds-coverage-simulator")
            .enable_io()
            .enable_time()
            .build()?;
        let tls = opts.tls.as_ref().map(server::tls_acceptor).transpose()?;
        let shared = Arc::new(Shared::new(store, &opts, rng, addr.to_string()));
        let (tx, rx) = oneshot::channel();
        let serving = shared.clone();
        let thread = std::thread::Builder::new()
            .name("ds-coverage-simulator".into())
            .spawn(move || {
                runtime.block_on(server::serve(listener, serving, rx, tls));
                runtime.shutdown_timeout(Duration::from_millis(200));
            })?;
        Ok(Simulator {
            scheme: if opts.tls.is_some() { "https" } else { "http" },
            shared,
            addr,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT` (`https://` with TLS).
    pub fn url(&self) -> String {
        format!("{}://{}", self.scheme, self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// A kubeconfig whose cluster, user and context are all named `sim`. Without a token the user
    /// is empty (kubectl never sends a bearer token over plain http anyway).
    pub fn kubeconfig_yaml(&self, token: Option<&str>, namespace: Option<&str>) -> String {
        let q = |s: &str| Value::String(s.to_string()).to_string();
        let mut out = format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster:\n    server: {}\ncontexts:\n- name: sim\n  context:\n    cluster: sim\n    user: sim\n",
            q(&self.url())
        );
        if let Some(ns) = namespace {
            out.push_str(&format!("    namespace: {}\n", q(ns)));
        }
        out.push_str("current-context: sim\nusers:\n- name: sim\n  user:");
        match token {
            Some(t) => out.push_str(&format!("\n    token: {}\n", q(t))),
            None => out.push_str(" {}\n"),
        }
        out.push_str("preferences: {}\n");
        out
    }

    /// One context of a [`fleet_kubeconfig_yaml`]: this simulator as context `name` (its
    /// cluster and user named the same), with a namespace when given.
    pub fn context<'a>(&self, name: &'a str, namespace: Option<&'a str>) -> FleetContext<'a> {
        FleetContext {
            name,
            server: self.url(),
            namespace,
        }
    }

    /// Writes [`Simulator::kubeconfig_yaml`] to `path`.
    pub fn write_kubeconfig(
        &self,
        path: impl AsRef<Path>,
        token: Option<&str>,
        namespace: Option<&str>,
    ) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml(token, namespace))
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        server_lock(&self.shared.log).clone()
    }

    /// Forgets the request log.
    pub fn reset_requests(&self) {
        server_lock(&self.shared.log).clear();
    }

    /// Replaces the active faults.
    pub fn set_faults(&self, faults: Vec<Fault>) {
        *server_lock(&self.shared.faults) = faults;
    }

    /// Adds a fault after the active ones.
    pub fn add_fault(&self, fault: Fault) {
        server_lock(&self.shared.faults).push(fault);
    }

    pub fn clear_faults(&self) {
        server_lock(&self.shared.faults).clear();
    }

    /// Faults still active (those with `times` left).
    pub fn faults(&self) -> Vec<Fault> {
        server_lock(&self.shared.faults).clone()
    }

    /// Replaces the PodDisruptionBudget refusal rules.
    pub fn set_pdb_rules(&self, rules: Vec<PdbRule>) {
        *server_lock(&self.shared.pdb_rules) = rules;
    }

    /// Controller mode: replacement pods on `node` never become Ready (or do again).
    pub fn set_node_never_ready(&self, node: &str, never_ready: bool) {
        let mut set = server_lock(&self.shared.never_ready);
        if never_ready {
            set.insert(node.to_string());
        } else {
            set.remove(node);
        }
    }

    /// Rolls the DaemonSet out node by node as its controller would (see [`Rollout`]): for
    /// tests that follow a rollout. The handle ends when the rollout is done or stuck.
    pub fn roll_out(&self, namespace: &str, name: &str, plan: Rollout) -> JoinHandle<()> {
        controller::roll(
            self.shared.clone(),
            namespace.to_string(),
            name.to_string(),
            plan,
        )
    }

    /// Aborts the connection of every open watch (as a load balancer or an API server restart
    /// would); a client must resume from the last resourceVersion it saw, or relist.
    pub fn drop_watches(&self) {
        self.shared.watch_drops.send_modify(|n| *n += 1);
    }

    /// Expires every continue token issued so far (as an etcd compaction would); a watch from
    /// a resourceVersion before now gets an `ERROR` event with a 410 `Expired` Status.
    pub fn compact(&self) {
        self.shared.write_store().compact();
    }

    /// The current global resourceVersion.
    pub fn resource_version(&self) -> u64 {
        self.shared.read_store().rv
    }

    /// All objects of a kind (`Pod`, `pods`, `po` …), with kind/apiVersion, in key order.
    pub fn objects(&self, kind: &str) -> Vec<Value> {
        let Some(res) = resources::find_by_name(kind) else {
            return Vec::new();
        };
        self.shared.read_store().collections[res]
            .values()
            .map(|o| o.full_value(res))
            .collect()
    }

    /// One object, with kind/apiVersion (`namespace` is ignored for cluster-scoped kinds).
    pub fn object(&self, kind: &str, namespace: Option<&str>, name: &str) -> Option<Value> {
        let res = resources::find_by_name(kind)?;
        self.shared
            .read_store()
            .get(res, namespace, name)
            .map(|o| o.full_value(res))
    }

    /// Creates or replaces an object (its resourceVersion is bumped); returns the new
    /// resourceVersion. A missing uid is generated.
    pub fn apply(&self, object: Value) -> Result<u64, SimError> {
        let api_version = object["apiVersion"].as_str().unwrap_or("");
        let kind = object["kind"].as_str().unwrap_or("");
        let res = resources::find_by_kind(api_version, kind)
            .ok_or_else(|| SimError::Object(format!("unsupported kind {kind:?}")))?;
        let mut object = object;
        if object["metadata"]["uid"].as_str().unwrap_or("").is_empty()
            && object["metadata"].is_object()
        {
            object["metadata"]["uid"] = Value::String(self.shared.rng().uuid());
        }
        let mut store = self.shared.write_store();
        store.put(res, object).map_err(SimError::Object)?;
        Ok(store.rv)
    }

    /// Removes an object without going through the API (no controller reaction).
    pub fn remove(&self, kind: &str, namespace: Option<&str>, name: &str) -> bool {
        let Some(res) = resources::find_by_name(kind) else {
            return false;
        };
        let mut store = self.shared.write_store();
        let Some(obj) = store.get(res, namespace, name) else {
            return false;
        };
        store.remove(res, &obj.key).is_some()
    }

    /// Serving statistics since start (or the last [`Simulator::reset_stats`]).
    pub fn stats(&self) -> SimStats {
        server_lock(&self.shared.stats).clone()
    }

    pub fn reset_stats(&self) {
        *server_lock(&self.shared.stats) = SimStats::default();
    }

    /// Changes the gzip threshold while serving (`usize::MAX`: never compress).
    pub fn set_gzip_threshold(&self, bytes: usize) {
        self.shared.set_gzip_threshold(bytes);
    }

    /// Total time spent building and encoding responses.
    pub fn serving_time(&self) -> Duration {
        self.stats().serving_time
    }

    /// Nodes whose replacement pods never become Ready.
    pub fn never_ready_nodes(&self) -> BTreeSet<String> {
        server_lock(&self.shared.never_ready).clone()
    }
}

fn server_lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// A context of a kubeconfig naming several API servers ([`fleet_kubeconfig_yaml`]).
#[derive(Debug, Clone)]
pub struct FleetContext<'a> {
    pub name: &'a str,
    /// The server's URL: a simulator's ([`Simulator::context`]), or any address (a closed
    /// port for an unreachable cluster).
    pub server: String,
    pub namespace: Option<&'a str>,
}

/// A kubeconfig with one context (and a cluster and a user of the same name) per entry, the
/// first the current one: several simulators as the clusters of one fleet.
pub fn fleet_kubeconfig_yaml(contexts: &[FleetContext<'_>]) -> String {
    let q = |s: &str| Value::String(s.to_string()).to_string();
    let mut out = String::from("apiVersion: v1\nkind: Config\nclusters:\n");
    for c in contexts {
        out.push_str(&format!(
            "- name: {}\n  cluster:\n    server: {}\n",
            q(c.name),
            q(&c.server)
        ));
    }
    out.push_str("contexts:\n");
    for c in contexts {
        out.push_str(&format!(
            "- name: {n}\n  context:\n    cluster: {n}\n    user: {n}\n",
            n = q(c.name)
        ));
        if let Some(ns) = c.namespace {
            out.push_str(&format!("    namespace: {}\n", q(ns)));
        }
    }
    if let Some(first) = contexts.first() {
        out.push_str(&format!("current-context: {}\n", q(first.name)));
    }
    out.push_str("users:\n");
    for c in contexts {
        out.push_str(&format!("- name: {}\n  user: {{}}\n", q(c.name)));
    }
    out.push_str("preferences: {}\n");
    out
}
