//! One session per run: the objects every subcommand (report, explain, fix) audits, read once —
//! from files, or from a live cluster whose runtime and connection stay open for the reads and
//! writes that follow (explain's extra reads, fix's calls).

use std::collections::BTreeSet;
use std::io::Read;

use crate::SharedWriter;
use crate::client::{Connection, FetchArgs, Transport};
use crate::config::{Config, Input};
use crate::coverage;
use crate::error::{Error, Result};
use crate::model::DaemonSet;
use crate::snapshot::Snapshot;
use crate::source;

/// A live cluster, connected.
pub struct Session {
    runtime: tokio::runtime::Runtime,
    conn: Connection,
    fetch: FetchArgs,
    log: SharedWriter,
}

/// What a run reads: the snapshot, and the session when it came from a cluster.
pub struct Loaded {
    pub snapshot: Snapshot,
    pub live: Option<Session>,
}

impl Session {
    /// Start the I/O runtime and connect (kubeconfig or in-cluster).
    pub fn open(input: &Input, log: SharedWriter) -> Result<Option<Session>> {
        let Input::Cluster { connect, fetch, .. } = input else {
            return Ok(None);
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|e| Error::Cluster(format!("cannot start the I/O runtime: {e}")))?;
        let conn = runtime.block_on(crate::client::connect(connect))?;
        Ok(Some(Session {
            runtime,
            conn,
            fetch: fetch.clone(),
            log,
        }))
    }

    /// Run a future of the client layer to completion.
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// A transport for this session's reads and writes.
    pub fn transport(&self) -> Transport {
        self.conn.transport(&self.fetch, self.log.clone())
    }

    pub fn context(&self) -> &str {
        &self.conn.context
    }

    pub fn server(&self) -> &str {
        &self.conn.server
    }

    /// The namespace to audit: none with -A, else -n (or `explicit`), else the context's.
    pub(crate) fn namespace(&self, input: &Input, explicit: Option<&str>) -> Option<String> {
        let Input::Cluster {
            namespace,
            all_namespaces,
            ..
        } = input
        else {
            return None;
        };
        match (all_namespaces, explicit.or(namespace.as_deref())) {
            (true, _) => None,
            (false, Some(ns)) => Some(ns.to_string()),
            (false, None) => Some(self.conn.default_namespace.clone()),
        }
    }
}

/// Read the objects to audit. For a cluster, settle `audit.namespace` (the context's unless -n,
/// `namespace` — `explain NS/NAME` — or -A) and keep the session open. With `manifests`, the
/// applied versions are looked up in the manifests' own namespaces.
pub fn load(
    config: &Config,
    audit: &mut coverage::Options,
    namespace: Option<&str>,
    manifests: &[DaemonSet],
    stdin: &mut dyn Read,
    log: SharedWriter,
) -> Result<Loaded> {
    let session = Session::open(&config.input, log.clone())?;
    load_opened(session, config, audit, namespace, manifests, stdin, log)
}

/// [`load`] with the session already open (`None` for files): a fleet opens each cluster's
/// first, so that a cluster that cannot be read still names its server.
pub fn load_opened(
    session: Option<Session>,
    config: &Config,
    audit: &mut coverage::Options,
    namespace: Option<&str>,
    manifests: &[DaemonSet],
    stdin: &mut dyn Read,
    log: SharedWriter,
) -> Result<Loaded> {
    let Some(session) = session else {
        let Input::Files(paths) = &config.input else {
            unreachable!("Session::open returns a session for every cluster input");
        };
        return Ok(Loaded {
            snapshot: source::file::load(paths, stdin)?,
            live: None,
        });
    };
    audit.namespace = session.namespace(&config.input, namespace);
    let mut scope = source::cluster::Scope {
        namespace: audit.namespace.clone(),
        // The wire form, never `Display`; everything is "" and ListQuery then sends nothing.
        daemon_set_selector: audit.selector.as_ref().map(|s| s.to_query()),
        node_selector: audit.node_selector.as_ref().map(|s| s.to_query()),
        static_pods: audit
            .static_pods
            .as_ref()
            .map(|s| s.expectations.iter().map(|e| e.selector.clone()).collect()),
    };
    if !manifests.is_empty() {
        // Find the applied versions of the manifests: their namespace(s), any labels.
        let namespaces: BTreeSet<&str> = manifests.iter().map(|m| m.namespace()).collect();
        scope.namespace = match namespaces.into_iter().collect::<Vec<_>>().as_slice() {
            [""] => audit.namespace.clone(),
            [one] => Some(one.to_string()),
            _ => None,
        };
        scope.daemon_set_selector = None;
    }
    let snapshot = session.block_on(source::cluster::fetch(
        &session.conn,
        &scope,
        &session.fetch,
        manifests,
        log,
    ))?;
    Ok(Loaded {
        snapshot,
        live: Some(session),
    })
}
