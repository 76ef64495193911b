//! Connecting the way kubectl does: kubeconfig (`--kubeconfig`, `KUBECONFIG` with several files
//! merged, `~/.kube/config`) or the in-cluster service account; context / cluster / user
//! overrides, impersonation, TLS verification, request timeout.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use super::error::{ClientError, one_line};

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

/// A connected client and what the kubeconfig said.
pub struct Connection {
    pub(crate) client: kube::Client,
    pub context: String,
    pub server: String,
    /// The context's namespace (or the in-cluster service account's), else `default`.
    pub default_namespace: String,
    pub(crate) timeout: Option<Duration>,
}

/// Resolve the kubeconfig and build a client. Needs a Tokio runtime.
pub async fn connect(args: &ConnectArgs) -> Result<Connection, ClientError> {
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
                    ClientError::Config(format!(
                        "cannot use the kubeconfig: {}",
                        one_line(&e.to_string())
                    ))
                })?;
            (config, context)
        }
        None if args.in_cluster => {
            let config = kube::Config::incluster().map_err(|e| {
                ClientError::Config(format!(
                    "cannot use the in-cluster configuration: {}",
                    one_line(&e.to_string())
                ))
            })?;
            (config, "in-cluster".to_string())
        }
        None => {
            return Err(ClientError::Config(
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
        ClientError::Config(format!(
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
fn read_kubeconfig(args: &ConnectArgs) -> Result<Option<Kubeconfig>, ClientError> {
    let read = |p: &PathBuf| {
        Kubeconfig::read_from(p).map_err(|e| {
            ClientError::Config(format!(
                "{}: cannot read kubeconfig: {}",
                p.display(),
                one_line(&e.to_string())
            ))
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
                merged = merged.merge(read(p)?).map_err(|e| {
                    ClientError::Config(format!(
                        "{}: cannot merge kubeconfig: {}",
                        p.display(),
                        one_line(&e.to_string())
                    ))
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
