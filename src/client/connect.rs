//! Connecting the way kubectl does: kubeconfig (`--kubeconfig`, `KUBECONFIG` with several files
//! merged, `~/.kube/config`) or the in-cluster service account; context / cluster / user
//! overrides, impersonation, TLS verification, request timeout.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{AuthInfo, KubeConfigOptions, Kubeconfig, KubeconfigError};
use secrecy::ExposeSecret;

use super::error::{ClientError, one_line};
use super::proxy::{ProxyEnv, redact_url};

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
    /// `--as-uid`.
    pub impersonate_uid: Option<String>,
    /// `None`: no timeout (`--request-timeout=0`, kubectl's default).
    pub request_timeout: Option<Duration>,
    pub insecure_skip_tls_verify: bool,
    /// `-s/--server`.
    pub server: Option<String>,
    /// `--token`.
    pub token: Option<String>,
    /// `--certificate-authority`.
    pub certificate_authority: Option<PathBuf>,
    /// `--client-certificate`, `--client-key`.
    pub client_certificate: Option<PathBuf>,
    pub client_key: Option<PathBuf>,
    /// `--tls-server-name`.
    pub tls_server_name: Option<String>,
    /// `--disable-compression`.
    pub disable_compression: bool,
    /// The proxy variables of the environment.
    pub proxy: ProxyEnv,
}

/// A connected client and what the kubeconfig said.
pub struct Connection {
    pub(crate) client: kube::Client,
    /// The kubeconfig context used; empty with connection flags and no kubeconfig (`-s URL`),
    /// as kubectl has none then.
    pub context: String,
    /// The server's URL, any `user:password@` in it redacted.
    pub server: String,
    /// The context's namespace (or the in-cluster service account's), else `default`.
    pub default_namespace: String,
    pub(crate) timeout: Option<Duration>,
    /// Credentials configured but not sent, because the server is plain `http://`.
    pub credentials_withheld: bool,
    /// The proxy the requests go through (its `user:password@` redacted), for messages.
    pub proxy: Option<String>,
}

/// Resolve the kubeconfig and build a client. Needs a Tokio runtime.
pub async fn connect(args: &ConnectArgs) -> Result<Connection, ClientError> {
    let mut found = read_kubeconfig(args)?;
    // kubectl connects with the flags alone (`-s URL --token T`) when there is no kubeconfig:
    // then there is no context to name (the kubeconfig made for them is internal).
    let flags_only = found.config.is_none() && args.server.is_some();
    let kubeconfig = match found.config.take() {
        Some(kc) => Some(kc),
        None if flags_only => Some(flags_only_kubeconfig()),
        None => None,
    };
    let (mut config, context, cluster_proxy) = match kubeconfig {
        Some(mut kc) => {
            let context = args
                .context
                .clone()
                .or_else(|| kc.current_context.clone())
                .unwrap_or_default();
            let cluster_proxy = override_cluster(&mut kc, &context, args)?;
            let options = KubeConfigOptions {
                context: Some(context.clone()).filter(|c| !c.is_empty()),
                cluster: args.cluster.clone(),
                user: args.user.clone(),
            };
            let config = kube::Config::from_custom_kubeconfig(kc, &options)
                .await
                .map_err(|e| {
                    ClientError::Config(format!(
                        "cannot use the kubeconfig: {}",
                        describe_config(&e)
                    ))
                })?;
            (config, context, cluster_proxy)
        }
        None if args.in_cluster => {
            let config = kube::Config::incluster().map_err(|e| {
                ClientError::Config(format!(
                    "cannot use the in-cluster configuration: {}",
                    one_line(&e.to_string())
                ))
            })?;
            (config, "in-cluster".to_string(), None)
        }
        None => {
            return Err(ClientError::Config(format!(
                "{} and not running in a cluster; to audit saved objects use --from-file",
                found.none_found()
            )));
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
    if let Some(uid) = &args.impersonate_uid {
        config.auth_info.impersonate_uid = Some(uid.clone());
    }
    if args.disable_compression {
        config.disable_compression = true;
    }
    // --request-timeout bounds each whole request (sent, answered, body read) in `Fetcher::send`;
    // the connect timeout only keeps an unreachable server from outlasting it.
    if let Some(t) = args.request_timeout {
        config.connect_timeout = Some(t);
    }
    let server = redact_url(config.cluster_url.to_string().trim_end_matches('/'));
    let withheld = override_user(&mut config.auth_info, &config.cluster_url, args)?;
    config.proxy_url =
        super::proxy::choose(cluster_proxy.as_deref(), &config.cluster_url, &args.proxy)
            .map_err(ClientError::Config)?;
    let proxy = config
        .proxy_url
        .as_ref()
        .map(|p| redact_url(p.to_string().trim_end_matches('/')));
    let default_namespace = config.default_namespace.clone();
    let plugin = config
        .auth_info
        .exec
        .as_ref()
        .and_then(|x| x.command.clone());
    let context = if flags_only { String::new() } else { context };
    let client = kube::Client::try_from(config).map_err(|e| {
        ClientError::Config(format!(
            "cannot create a client for {}: {}",
            describe(&server, &context),
            describe_client_error(&e, plugin.as_deref().unwrap_or("command"))
        ))
    })?;
    Ok(Connection {
        client,
        context,
        server,
        default_namespace,
        timeout: args.request_timeout,
        credentials_withheld: withheld,
        proxy,
    })
}
/// The names of the kubeconfig's contexts, in the file's order (with `KUBECONFIG` listing
/// several files, merged as kubectl merges them: the first file naming a context wins), for a
/// fleet's `--all-contexts` and `--contexts-matching`.
pub fn context_names(args: &ConnectArgs) -> Result<Vec<String>, ClientError> {
    let found = read_kubeconfig(args)?;
    match found.config {
        Some(kc) => Ok(kc.contexts.into_iter().map(|c| c.name).collect()),
        None => Err(ClientError::Config(format!(
            "{}: a fleet is made of its contexts",
            found.none_found()
        ))),
    }
}

/// "SERVER (context NAME)", or the server alone where no context was used (connection flags
/// without a kubeconfig: `-s URL`), for messages.
pub fn describe(server: &str, context: &str) -> String {
    if context.is_empty() {
        server.to_string()
    } else {
        format!("{server} (context {context})")
    }
}

/// A kubeconfig of one cluster, `-s`'s, for a run with connection flags and no kubeconfig file.
fn flags_only_kubeconfig() -> Kubeconfig {
    use kube::config::{Cluster, Context, NamedCluster, NamedContext};
    Kubeconfig {
        clusters: vec![NamedCluster {
            name: "flags".into(),
            cluster: Some(Cluster::default()),
            other: Default::default(),
        }],
        contexts: vec![NamedContext {
            name: "flags".into(),
            context: Some(Context {
                cluster: "flags".into(),
                ..Context::default()
            }),
            other: Default::default(),
        }],
        current_context: Some("flags".into()),
        ..Kubeconfig::default()
    }
}

/// kubectl's cluster flags over the kubeconfig's cluster (client-go `clientcmd`
/// `DirectClientConfig.getCluster` merges the overrides last), and the context, `--user` and
/// `--cluster` checked as `DirectClientConfig.ConfirmUsable` does. Returns the cluster's `proxy-url`.
fn override_cluster(
    kc: &mut Kubeconfig,
    context: &str,
    args: &ConnectArgs,
) -> Result<Option<String>, ClientError> {
    if !context.is_empty() && !kc.contexts.iter().any(|c| c.name == context) {
        // kubectl: `context was not found for specified context: NAME`.
        let from = if args.context.is_some() {
            "--context"
        } else {
            "the kubeconfig's current-context"
        };
        return Err(ClientError::Config(format!(
            "context {context:?} ({from}) does not exist in the kubeconfig"
        )));
    }
    if let Some(user) = &args.user
        && !kc.auth_infos.iter().any(|u| &u.name == user)
    {
        return Err(ClientError::Config(format!(
            "user {user:?} does not exist in the kubeconfig (--user)"
        )));
    }
    if let Some(cluster) = &args.cluster
        && !kc.clusters.iter().any(|c| &c.name == cluster)
    {
        return Err(ClientError::Config(format!(
            "cluster {cluster:?} does not exist in the kubeconfig (--cluster)"
        )));
    }
    let cluster_name = args.cluster.clone().or_else(|| {
        kc.contexts
            .iter()
            .find(|c| c.name == context)
            .and_then(|c| c.context.as_ref())
            .map(|c| c.cluster.clone())
    });
    let Some(named) = cluster_name.and_then(|n| kc.clusters.iter_mut().find(|c| c.name == n))
    else {
        return Ok(None); // kube names the missing context or cluster
    };
    let cluster = named.cluster.get_or_insert_with(Default::default);
    if let Some(server) = &args.server {
        // kubectl accepts a bare host:port for -s.
        cluster.server = Some(if server.contains("://") {
            server.clone()
        } else {
            format!("https://{server}")
        });
    }
    if let Some(ca) = &args.certificate_authority {
        cluster.certificate_authority = Some(ca.display().to_string());
        cluster.certificate_authority_data = None;
    }
    if let Some(name) = &args.tls_server_name {
        cluster.tls_server_name = Some(name.clone());
    }
    if let Some(server) = &cluster.server
        && server.parse::<http::Uri>().is_err()
    {
        return Err(ClientError::Config(format!(
            "invalid server URL {}",
            redact_url(server)
        )));
    }
    Ok(cluster.proxy_url.take())
}

/// kubectl's user flags over the kubeconfig's user (`--token` wins over a token file and an exec
/// plugin, as client-go `clientcmd` `getUserIdentificationPartialConfig` and the exec
/// authenticator's `UpdateTransportConfig` decide), then the credentials checked before use.
/// Returns whether credentials were withheld from a plain `http://` server: client-go
/// `DirectClientConfig.ClientConfig` reads the user's credentials only when
/// `restclient.IsConfigTransportTLS`.
fn override_user(
    auth: &mut AuthInfo,
    server: &http::Uri,
    args: &ConnectArgs,
) -> Result<bool, ClientError> {
    if let Some(token) = &args.token {
        auth.token = Some(token.clone().into());
        auth.token_file = None;
        auth.exec = None;
        auth.auth_provider = None;
    }
    if let Some(cert) = &args.client_certificate {
        auth.client_certificate = Some(cert.display().to_string());
        auth.client_certificate_data = None;
    }
    if let Some(key) = &args.client_key {
        auth.client_key = Some(key.display().to_string());
        auth.client_key_data = None;
    }
    if server.scheme_str() == Some("http") {
        let had = auth.token.is_some()
            || auth.token_file.is_some()
            || auth.exec.is_some()
            || auth.auth_provider.is_some()
            || auth.username.is_some()
            || auth.password.is_some()
            || auth.client_certificate.is_some()
            || auth.client_certificate_data.is_some();
        auth.token = None;
        auth.token_file = None;
        auth.exec = None;
        auth.auth_provider = None;
        auth.username = None;
        auth.password = None;
        auth.client_certificate = None;
        auth.client_certificate_data = None;
        auth.client_key = None;
        auth.client_key_data = None;
        return Ok(had);
    }
    // A token file is read once and trimmed, as kubectl does (client-go
    // `transport.NewCachedFileTokenSource` → `strings.TrimSpace`): `kubectl create token > f`
    // leaves a newline that is not allowed in a header.
    if auth.token.is_none()
        && let Some(path) = auth.token_file.take()
    {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| ClientError::Config(file_error("token", Path::new(&path), &e)))?;
        auth.token = Some(text.trim().to_string().into());
    }
    if let Some(token) = &auth.token
        && http::HeaderValue::from_str(&format!("Bearer {}", token.expose_secret())).is_err()
    {
        return Err(ClientError::Config(
            "the user's token contains a newline or another character not allowed in an HTTP header"
                .into(),
        ));
    }
    Ok(false)
}

/// A kubeconfig error in one line, never with the file's text: a YAML error's excerpt of the
/// source may show a token or a key.
/// A file named in it is named once, unquoted, as the token file is (kube's own message quotes
/// the path's `Debug` form, `'"/path"'`).
fn describe_config(e: &KubeconfigError) -> String {
    use kube::config::LoadDataError;
    let file = |what: &str, data: &LoadDataError| match data {
        LoadDataError::ReadFile(io, path) => Some(file_error(what, path, io)),
        _ => None,
    };
    let named = match e {
        KubeconfigError::ReadConfig(io, path) => Some(file_error("kubeconfig", path, io)),
        KubeconfigError::LoadCertificateAuthority(d) => file("certificate-authority", d),
        KubeconfigError::LoadClientCertificate(d) => file("client-certificate", d),
        KubeconfigError::LoadClientKey(d) => file("client-key", d),
        _ => None,
    };
    if let Some(named) = named {
        return named;
    }
    match e {
        KubeconfigError::Parse(yaml) => match yaml.location() {
            Some(l) => format!("not valid YAML (line {}, column {})", l.line(), l.column()),
            None => "not valid YAML".into(),
        },
        other => redact_url(&one_line(&other.to_string())),
    }
}

/// `the client-key file /p does not exist`, `cannot read the token file /p: Permission denied`.
fn file_error(what: &str, path: &Path, io: &std::io::Error) -> String {
    if io.kind() == std::io::ErrorKind::NotFound {
        format!("the {what} file {} does not exist", path.display())
    } else {
        format!("cannot read the {what} file {}: {io}", path.display())
    }
}

/// A client that cannot be built, in one line: an exec credential plugin's failure shows only
/// its exit status and standard error (as kubectl does), never its output, which holds the token.
fn describe_client_error(e: &kube::Error, plugin: &str) -> String {
    use kube::client::AuthError;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(config) = s.downcast_ref::<KubeconfigError>() {
            return describe_config(config);
        }
        if let Some(auth) = s.downcast_ref::<AuthError>() {
            return match auth {
                AuthError::AuthExecRun { out, .. } => {
                    let stderr = one_line(&String::from_utf8_lossy(&out.stderr));
                    format!(
                        "the exec credential plugin {} failed ({}){}",
                        plugin,
                        out.status,
                        if stderr.is_empty() {
                            String::new()
                        } else {
                            format!(": {stderr}")
                        }
                    )
                }
                AuthError::AuthExecParse(_) => {
                    "the exec credential plugin's output is not an ExecCredential (output not shown: it may hold credentials)".into()
                }
                AuthError::AuthExecStart(io) => {
                    format!("cannot run the exec credential plugin: {io}")
                }
                AuthError::AuthExec(_) => "the exec credential plugin failed".into(),
                other => one_line(&other.to_string()),
            };
        }
        src = s.source();
    }
    one_line(&e.to_string())
}

/// The kubeconfig that was read, or why none was: the `KUBECONFIG` entries that do not exist.
struct Found {
    config: Option<Kubeconfig>,
    /// Every path `KUBECONFIG` names, when none of them exists.
    missing: Vec<PathBuf>,
    /// `KUBECONFIG` is set but names no file (`:`).
    names_none: bool,
}

/// The files a `KUBECONFIG` value names, as client-go `clientcmd`
/// (`NewDefaultClientConfigLoadingRules`) takes it: an empty value is as if unset (`None`:
/// `~/.kube/config` is read); any other is split on the path separator and its empty entries
/// skipped, so that `:` names no file at all — and `~/.kube/config` is not read either (kubectl
/// then reads no kubeconfig).
pub(crate) fn kubeconfig_env_paths(value: &std::ffi::OsStr) -> Option<Vec<PathBuf>> {
    (!value.is_empty()).then(|| {
        std::env::split_paths(value)
            .filter(|p| !p.as_os_str().is_empty())
            .collect()
    })
}

impl Found {
    /// Why there is no kubeconfig, naming the files `KUBECONFIG` lists when it lists only
    /// missing ones (client-go `clientcmd` `ClientConfigLoadingRules.Load` warns with
    /// `MissingConfigError` in that case, and does not fall back to `~/.kube/config`).
    fn none_found(&self) -> String {
        if self.names_none {
            return "KUBECONFIG names no file (only path separators: kubectl reads no kubeconfig \
                    then; unset it to read ~/.kube/config)"
                .into();
        }
        match self.missing.as_slice() {
            [] => "no kubeconfig found (--kubeconfig, KUBECONFIG, ~/.kube/config)".into(),
            [one] => format!(
                "the kubeconfig file {} (KUBECONFIG) does not exist",
                one.display()
            ),
            many => format!(
                "none of the kubeconfig files in KUBECONFIG exists ({})",
                many.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }
}

/// `--kubeconfig`, else `KUBECONFIG` (merged), else `~/.kube/config` if it exists, as client-go
/// `clientcmd` `ClientConfigLoadingRules.Load` does: a missing `--kubeconfig` file is an error,
/// missing `KUBECONFIG` entries are skipped, and when every one is missing there is no
/// kubeconfig (the flags alone or the in-cluster configuration may still serve); a `KUBECONFIG`
/// that names no file (`:`) is no kubeconfig too, an empty one is as if unset
/// ([`kubeconfig_env_paths`]).
fn read_kubeconfig(args: &ConnectArgs) -> Result<Found, ClientError> {
    let found = |config| Found {
        config,
        missing: Vec::new(),
        names_none: false,
    };
    if let Some(p) = &args.kubeconfig {
        return read_one(p, "--kubeconfig").map(|kc| found(Some(kc)));
    }
    if let Some(paths) = args
        .kubeconfig_env
        .as_deref()
        .and_then(kubeconfig_env_paths)
    {
        if paths.is_empty() {
            return Ok(Found {
                config: None,
                missing: Vec::new(),
                names_none: true,
            });
        }
        let mut merged: Option<Kubeconfig> = None;
        for p in &paths {
            // kubectl skips KUBECONFIG entries that do not exist.
            if !p.exists() {
                continue;
            }
            let kc = read_one(p, "KUBECONFIG")?;
            merged = Some(merged.unwrap_or_default().merge(kc).map_err(|e| {
                ClientError::Config(format!(
                    "{}: cannot merge kubeconfig: {}",
                    p.display(),
                    one_line(&e.to_string())
                ))
            })?);
        }
        return Ok(match merged {
            Some(kc) => found(Some(kc)),
            None => Found {
                config: None,
                missing: paths,
                names_none: false,
            },
        });
    }
    match &args.default_kubeconfig {
        Some(p) if p.exists() => read_one(p, "~/.kube/config").map(|kc| found(Some(kc))),
        _ => Ok(found(None)),
    }
}

/// One kubeconfig file, `whence` naming where its path came from.
fn read_one(p: &Path, whence: &str) -> Result<Kubeconfig, ClientError> {
    Kubeconfig::read_from(p).map_err(|e| match &e {
        KubeconfigError::ReadConfig(io, _) if io.kind() == std::io::ErrorKind::NotFound => {
            ClientError::Config(format!(
                "the kubeconfig file {} ({whence}) does not exist",
                p.display()
            ))
        }
        KubeconfigError::ReadConfig(io, _) => ClientError::Config(format!(
            "cannot read the kubeconfig file {} ({whence}): {io}",
            p.display()
        )),
        _ => ClientError::Config(format!(
            "{}: cannot read kubeconfig: {}",
            p.display(),
            describe_config(&e)
        )),
    })
}
