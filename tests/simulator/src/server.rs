//! The HTTP side: routing, authentication, faults, content negotiation, gzip, and the handlers.

use std::collections::BTreeSet;
use std::io::Write;
use std::sync::{Arc, Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{ACCEPT, ACCEPT_ENCODING, AUTHORIZATION, HeaderMap, USER_AGENT};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Response};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use crate::controller::{self, ControllerMode};
use crate::faults::{self, Fault, FaultKind, RequestInfo, Verb};
use crate::resources::{self, PODS, RESOURCES};
use crate::selectors::{parse_field_selector, parse_label_selector};
use crate::status::{self, Reply};
use crate::store::{ContinueToken, ListQuery, Store, list_bytes, list_protobuf};
use crate::table::{self, IncludeObject};
use crate::util::{Rng, now_unix, parse_query, rfc3339};
use crate::watch::{self, WatchBody, WatchSpec};
use crate::{PdbRule, Request, SimOptions, SimStats};

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// State shared by the handlers, the controller and the `Simulator` handle.
#[derive(Debug)]
pub(crate) struct Shared {
    store: RwLock<Store>,
    pub(crate) controller: Option<ControllerMode>,
    token: Option<String>,
    git_version: String,
    /// Changed while serving by `/_sim/config?gzipThreshold=N` (the benchmark's gzip on/off).
    gzip_threshold: std::sync::atomic::AtomicUsize,
    continue_ttl: Option<Duration>,
    /// [`SimOptions::protobuf`].
    protobuf: bool,
    user: String,
    pub(crate) server_address: String,
    pub(crate) faults: Mutex<Vec<Fault>>,
    pub(crate) pdb_rules: Mutex<Vec<PdbRule>>,
    pub(crate) log: Mutex<Vec<Request>>,
    pub(crate) stats: Mutex<SimStats>,
    rng: Mutex<Rng>,
    pub(crate) never_ready: Mutex<BTreeSet<String>>,
    /// Bumped by [`crate::Simulator::drop_watches`]: every open watch aborts its connection.
    pub(crate) watch_drops: tokio::sync::watch::Sender<u64>,
}

impl Shared {
    pub(crate) fn new(store: Store, opts: &SimOptions, rng: Rng, server_address: String) -> Shared {
        let never_ready = opts
            .controller
            .as_ref()
            .map(|c| c.never_ready_nodes.clone())
            .unwrap_or_default();
        Shared {
            store: RwLock::new(store),
            controller: opts.controller.clone(),
            token: opts.token.clone(),
            git_version: opts.git_version.clone(),
            gzip_threshold: std::sync::atomic::AtomicUsize::new(opts.gzip_threshold),
            continue_ttl: opts.continue_ttl,
            protobuf: opts.protobuf,
            user: opts.user.clone(),
            server_address,
            faults: Mutex::new(opts.faults.clone()),
            pdb_rules: Mutex::new(opts.pdb_rules.clone()),
            log: Mutex::new(Vec::new()),
            stats: Mutex::new(SimStats::default()),
            rng: Mutex::new(rng),
            never_ready: Mutex::new(never_ready),
            watch_drops: tokio::sync::watch::channel(0).0,
        }
    }

    pub(crate) fn read_store(&self) -> RwLockReadGuard<'_, Store> {
        self.store
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn write_store(&self) -> RwLockWriteGuard<'_, Store> {
        self.store
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub(crate) fn rng(&self) -> MutexGuard<'_, Rng> {
        lock(&self.rng)
    }

    pub(crate) fn set_gzip_threshold(&self, bytes: usize) {
        self.gzip_threshold
            .store(bytes, std::sync::atomic::Ordering::Relaxed);
    }

    fn gzip_threshold(&self) -> usize {
        self.gzip_threshold
            .load(std::sync::atomic::Ordering::Relaxed)
    }

    pub(crate) fn never_ready(&self, node: &str) -> bool {
        lock(&self.never_ready).contains(node)
    }
}

/// The error that makes hyper close a connection without answering.
#[derive(Debug)]
struct Dropped;

impl std::fmt::Display for Dropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for Dropped {}

/// The TLS acceptor of [`crate::SimTls`].
pub(crate) fn tls_acceptor(tls: &crate::SimTls) -> std::io::Result<tokio_rustls::TlsAcceptor> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let bad = |what: &str, e: &dyn std::fmt::Display| {
        std::io::Error::new(std::io::ErrorKind::InvalidInput, format!("{what}: {e}"))
    };
    let certs: Vec<CertificateDer<'static>> =
        CertificateDer::pem_slice_iter(tls.cert_pem.as_bytes())
            .collect::<Result<_, _>>()
            .map_err(|e| bad("certificate", &e))?;
    let key = PrivateKeyDer::from_pem_slice(tls.key_pem.as_bytes()).map_err(|e| bad("key", &e))?;
    let provider = std::sync::Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| bad("protocols", &e))?;
    let builder = match &tls.client_ca_pem {
        Some(ca) => {
            let mut roots = rustls::RootCertStore::empty();
            for c in CertificateDer::pem_slice_iter(ca.as_bytes()) {
                roots
                    .add(c.map_err(|e| bad("client CA", &e))?)
                    .map_err(|e| bad("client CA", &e))?;
            }
            let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(
                Arc::new(roots),
                provider,
            )
            .allow_unauthenticated()
            .build()
            .map_err(|e| bad("client CA", &e))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder
        .with_single_cert(certs, key)
        .map_err(|e| bad("certificate", &e))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

/// Accepts connections until `shutdown` fires.
pub(crate) async fn serve(
    listener: std::net::TcpListener,
    shared: Arc<Shared>,
    mut shutdown: oneshot::Receiver<()>,
    tls: Option<tokio_rustls::TlsAcceptor>,
) {
    let listener = match TcpListener::from_std(listener) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("ds-coverage-simulator: cannot listen: {e}");
            return;
        }
    };
    loop {
        tokio::select! {
            _ = &mut shutdown => break,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors and the like: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let shared = shared.clone();
                let tls = tls.clone();
                tokio::spawn(async move {
                    let Some(tls) = tls else {
                        let svc = service_fn(move |req| handle(shared.clone(), req, false));
                        let _ = http1::Builder::new()
                            .keep_alive(true)
                            .serve_connection(TokioIo::new(stream), svc)
                            .await;
                        return;
                    };
                    let Ok(stream) = tls.accept(stream).await else {
                        return;
                    };
                    let client_cert = stream.get_ref().1.peer_certificates().is_some_and(|c| !c.is_empty());
                    let svc = service_fn(move |req| handle(shared.clone(), req, client_cert));
                    let _ = http1::Builder::new()
                        .keep_alive(true)
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
            }
        }
    }
}

/// A response body: the usual full one, [`FaultKind::HugeBody`]'s streamed spaces, or a watch.
type SimBody = http_body_util::Either<Full<Bytes>, http_body_util::Either<Spaces, WatchBody>>;

/// `remaining` bytes of spaces, in 1 MiB frames of one static buffer.
pub(crate) struct Spaces {
    remaining: usize,
}

static SPACES: [u8; 1 << 20] = [b' '; 1 << 20];

impl hyper::body::Body for Spaces {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<hyper::body::Frame<Bytes>, Self::Error>>> {
        if self.remaining == 0 {
            return std::task::Poll::Ready(None);
        }
        let n = self.remaining.min(SPACES.len());
        self.remaining -= n;
        std::task::Poll::Ready(Some(Ok(hyper::body::Frame::data(Bytes::from_static(
            &SPACES[..n],
        )))))
    }

    fn size_hint(&self) -> hyper::body::SizeHint {
        hyper::body::SizeHint::with_exact(self.remaining as u64)
    }
}

/// Where a path leads.
#[derive(Debug, Clone, PartialEq)]
enum Route {
    Version,
    Health,
    Api,
    Apis,
    ApiGroup(String),
    GroupVersion(String, String),
    Resource {
        res: usize,
        namespace: Option<String>,
        name: Option<String>,
        sub: Option<String>,
    },
    NotFound,
}

fn route(path: &str) -> Route {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    match segs.as_slice() {
        ["version"] => Route::Version,
        ["healthz" | "livez" | "readyz", ..] => Route::Health,
        ["api"] => Route::Api,
        ["apis"] => Route::Apis,
        ["apis", g] => Route::ApiGroup((*g).to_string()),
        ["api", v, rest @ ..] => resource_route("", v, rest),
        ["apis", g, v, rest @ ..] => resource_route(g, v, rest),
        _ => Route::NotFound,
    }
}

fn resource_route(group: &str, version: &str, rest: &[&str]) -> Route {
    let s = |x: Option<&&str>| x.map(|x| (*x).to_string());
    if rest.is_empty() {
        return Route::GroupVersion(group.into(), version.into());
    }
    if let ["namespaces", ns, plural, tail @ ..] = rest {
        if let Some(res) =
            resources::find(group, version, plural).filter(|r| RESOURCES[*r].namespaced)
        {
            if tail.len() > 2 {
                return Route::NotFound;
            }
            return Route::Resource {
                res,
                namespace: Some((*ns).to_string()),
                name: s(tail.first()),
                sub: s(tail.get(1)),
            };
        }
    }
    let [plural, tail @ ..] = rest else {
        return Route::NotFound;
    };
    match resources::find(group, version, plural) {
        Some(res) if RESOURCES[res].namespaced && tail.is_empty() => Route::Resource {
            res,
            namespace: None,
            name: None,
            sub: None,
        },
        Some(res) if !RESOURCES[res].namespaced && tail.len() <= 2 => Route::Resource {
            res,
            namespace: None,
            name: s(tail.first()),
            sub: s(tail.get(1)),
        },
        _ => Route::NotFound,
    }
}

fn param<'a>(params: &'a [(String, String)], key: &str) -> Option<&'a str> {
    params
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

fn request_info(
    method: &Method,
    path: &str,
    route: &Route,
    params: &[(String, String)],
) -> RequestInfo {
    let (resource, namespace, name, has_name, sub) = match route {
        Route::Resource {
            res,
            namespace,
            name,
            sub,
        } => (
            Some(match sub {
                Some(s) => format!("{}/{s}", RESOURCES[*res].plural),
                None => RESOURCES[*res].plural.to_string(),
            }),
            namespace.clone(),
            name.clone(),
            name.is_some(),
            sub.is_some(),
        ),
        _ => (None, None, None, false, false),
    };
    let watch = matches!(param(params, "watch"), Some("true" | "1"));
    let verb = match (method, resource.is_some(), has_name) {
        (_, false, _) => Verb::Other,
        (&Method::GET, _, true) => Verb::Get,
        (&Method::GET, _, false) if watch => Verb::Watch,
        (&Method::GET, _, false) => Verb::List,
        (&Method::DELETE, _, true) if !sub => Verb::Delete,
        (&Method::POST, _, _) => Verb::Create,
        _ => Verb::Other,
    };
    RequestInfo {
        path: path.to_string(),
        resource,
        verb,
        namespace,
        name,
        continued: param(params, "continue").is_some_and(|c| !c.is_empty()),
    }
}

fn header(h: &HeaderMap, name: impl hyper::header::AsHeaderName) -> Option<String> {
    h.get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn accepts_gzip(h: &HeaderMap) -> bool {
    h.get_all(ACCEPT_ENCODING).iter().any(|v| {
        v.to_str().unwrap_or("").split(',').any(|enc| {
            let mut parts = enc.split(';').map(str::trim);
            parts.next().is_some_and(|e| e.eq_ignore_ascii_case("gzip"))
                && !parts.any(|p| p.replace(' ', "") == "q=0")
        })
    })
}

/// What the client accepted: plain JSON, Kubernetes protobuf, a Table, or partial metadata (with
/// the meta version).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Output {
    Json,
    Protobuf,
    Table(&'static str),
    Partial(&'static str),
}

/// The first media type of `accept` the simulator serves (clients list them in preference order,
/// as client-go does: `application/vnd.kubernetes.protobuf, application/json`). Protobuf is
/// served when `protobuf` (pod lists and pod GETs): the real server serves protobuf for every
/// built-in type, the simulator only for pods, the bulk of what the plugin reads. Elsewhere a
/// protobuf entry is passed over for a later JSON one, and an Accept naming only protobuf gets
/// `None` (406 Not Acceptable).
fn negotiate(accept: Option<&str>, protobuf: bool) -> Option<Output> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Some(Output::Json);
    };
    for entry in accept.split(',') {
        let mut parts = entry.split(';').map(str::trim);
        let media = parts.next().unwrap_or("");
        if media == crate::protobuf::MEDIA_TYPE {
            // `;as=Table` and the like in protobuf are not served.
            if protobuf && parts.all(|p| p.is_empty()) {
                return Some(Output::Protobuf);
            }
            continue;
        }
        if !matches!(media, "application/json" | "application/*" | "*/*") {
            continue;
        }
        let (mut r#as, mut g, mut v) = (None, None, None);
        for p in parts {
            match p.split_once('=') {
                Some(("as", x)) => r#as = Some(x),
                Some(("g", x)) => g = Some(x),
                Some(("v", x)) => v = Some(x),
                _ => {}
            }
        }
        let version = match v {
            Some("v1") => "v1",
            Some("v1beta1") => "v1beta1",
            _ => "",
        };
        match (r#as, g) {
            (None, _) => return Some(Output::Json),
            (Some("Table"), Some("meta.k8s.io")) if !version.is_empty() => {
                return Some(Output::Table(version));
            }
            (Some("PartialObjectMetadata" | "PartialObjectMetadataList"), Some("meta.k8s.io"))
                if !version.is_empty() =>
            {
                return Some(Output::Partial(version));
            }
            _ => continue,
        }
    }
    None
}

/// Everything a handler needs to know about the request.
struct Ctx<'a> {
    method: &'a Method,
    params: &'a [(String, String)],
    accept: Option<&'a str>,
    body: &'a [u8],
}

async fn handle(
    shared: Arc<Shared>,
    req: hyper::Request<Incoming>,
    client_certificate: bool,
) -> Result<Response<SimBody>, Dropped> {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let headers = req.headers();
    let accept = header(headers, ACCEPT);
    let gzip_ok = accepts_gzip(headers);
    let authorization = header(headers, AUTHORIZATION);
    let impersonate_user = header(headers, "impersonate-user");
    let impersonate_groups: Vec<String> = headers
        .get_all("impersonate-group")
        .iter()
        .filter_map(|v| v.to_str().ok().map(str::to_string))
        .collect();
    let user_agent = header(headers, USER_AGENT);
    let accept_encoding = header(headers, ACCEPT_ENCODING);
    let impersonate_uid = header(headers, "impersonate-uid");

    if path.starts_with("/_sim/") {
        return Ok(internal(&shared, &method, &path, &query).map(SimBody::Left));
    }

    let params = parse_query(&query);
    let route = route(&path);
    let info = request_info(&method, &path, &route, &params);
    // A pod GET (list or object) that negotiated protobuf gets its errors as a protobuf Status.
    let protobuf_request = matches!(info.verb, Verb::List | Verb::Get)
        && matches!(route, Route::Resource { res: PODS, .. })
        && negotiate(accept.as_deref(), shared.protobuf) == Some(Output::Protobuf);
    let mut record = Request {
        method: method.to_string(),
        path: path.clone(),
        query,
        status: 0,
        gzip: false,
        authorization: authorization.is_some(),
        impersonate_user: impersonate_user.clone(),
        impersonate_groups,
        accept: accept.clone(),
        accept_encoding,
        authorization_scheme: authorization
            .as_deref()
            .and_then(|a| a.split_whitespace().next())
            .map(str::to_string),
        impersonate_uid,
        client_certificate,
        user_agent,
        fault: None,
    };

    let authorized = match &shared.token {
        None => true,
        Some(t) => authorization
            .as_deref()
            .and_then(|a| a.strip_prefix("Bearer "))
            .is_some_and(|given| given.trim() == t),
    };
    let (reply, started) = if !authorized {
        (status::unauthorized(), Instant::now())
    } else {
        let applied = faults::take(&mut lock(&shared.faults), &info);
        if !applied.delay.is_zero() {
            record.fault = Some(format!("Slow({:?})", applied.delay));
            tokio::time::sleep(applied.delay).await;
        }
        // Serving time excludes injected delays.
        let started = Instant::now();
        if let Some(kind) = &applied.kind {
            record.fault = Some(format!("{kind:?}"));
        }
        let user = impersonate_user
            .as_deref()
            .unwrap_or(&shared.user)
            .to_string();
        let reply = match applied.kind {
            Some(FaultKind::DropConnection) => {
                record_request(&shared, record, 0, 0, started.elapsed());
                return Err(Dropped);
            }
            Some(FaultKind::Status(code)) => fault_status(code, &user, &route, &info),
            Some(FaultKind::ExpiredContinue) => status::expired(),
            Some(FaultKind::HugeBody(bytes)) => {
                record.status = 200;
                record_request(&shared, record, bytes, bytes, started.elapsed());
                return Ok(Response::builder()
                    .header("Content-Type", "application/json")
                    .body(SimBody::Right(http_body_util::Either::Left(Spaces {
                        remaining: bytes,
                    })))
                    .unwrap_or_else(|_| Response::new(SimBody::Left(Full::new(Bytes::new())))));
            }
            kind => {
                let body = match Limited::new(req.into_body(), 8 << 20).collect().await {
                    Ok(b) => b.to_bytes(),
                    Err(_) => Bytes::new(),
                };
                if kind == Some(FaultKind::Touch) {
                    touch(&shared, &route);
                }
                let ctx = Ctx {
                    method: &method,
                    params: &params,
                    accept: accept.as_deref(),
                    body: &body,
                };
                if let (
                    Route::Resource {
                        res,
                        namespace,
                        name: None,
                        sub: None,
                    },
                    Verb::Watch,
                ) = (&route, info.verb)
                {
                    match watch_spec(*res, namespace.as_deref(), &ctx) {
                        Ok(spec) => {
                            record.status = 200;
                            record_request(&shared, record, 0, 0, started.elapsed());
                            let body = watch::start(shared.clone(), spec);
                            return Ok(Response::builder()
                                .header("Content-Type", "application/json")
                                .header("Cache-Control", "no-cache, private")
                                .body(SimBody::Right(http_body_util::Either::Right(body)))
                                .unwrap_or_else(|_| {
                                    Response::new(SimBody::Left(Full::new(Bytes::new())))
                                }));
                        }
                        Err(reply) => reply,
                    }
                } else {
                    let mut reply = dispatch(&shared, &route, &ctx);
                    if let Some(FaultKind::AfterWrite(code)) = kind {
                        reply = fault_status(code, &user, &route, &info);
                    }
                    if kind == Some(FaultKind::MalformedBody) {
                        reply.status = 200;
                        let half = reply.body.len() / 2;
                        reply.body.truncate(half.max(1));
                    }
                    reply
                }
            }
        };
        (reply, started)
    };
    let reply = if protobuf_request {
        reply.into_protobuf_status()
    } else {
        reply
    };

    let uncompressed = reply.body.len();
    let gzip = gzip_ok && uncompressed > shared.gzip_threshold();
    let body = if gzip {
        let mut enc = flate2::write::GzEncoder::new(
            Vec::with_capacity(uncompressed / 4),
            flate2::Compression::fast(),
        );
        let _ = enc.write_all(&reply.body);
        enc.finish().unwrap_or_default()
    } else {
        reply.body
    };
    let mut builder = Response::builder()
        .status(reply.status)
        .header("Content-Type", reply.content_type)
        .header("Cache-Control", "no-cache, private");
    if gzip {
        builder = builder.header("Content-Encoding", "gzip");
    }
    for (k, v) in &reply.headers {
        builder = builder.header(*k, v.as_str());
    }
    let sent = body.len();
    record.gzip = gzip;
    record.status = reply.status;
    record_request(&shared, record, uncompressed, sent, started.elapsed());
    Ok(builder
        .body(SimBody::Left(Full::new(Bytes::from(body))))
        .unwrap_or_else(|_| Response::new(SimBody::Left(Full::new(Bytes::new())))))
}

fn record_request(
    shared: &Shared,
    record: Request,
    uncompressed: usize,
    sent: usize,
    took: Duration,
) {
    {
        let mut stats = lock(&shared.stats);
        stats.requests += 1;
        if record.status == 0 || record.status >= 400 {
            stats.errors += 1;
        }
        stats.bytes_uncompressed += uncompressed as u64;
        stats.bytes_sent += sent as u64;
        stats.serving_time += took;
        if record.gzip {
            stats.gzip_responses += 1;
        }
    }
    lock(&shared.log).push(record);
}

/// `/_sim/stats` (GET), `/_sim/reset` (POST) and `/_sim/config?gzipThreshold=N` (POST; `never`
/// turns gzip off): for the benchmark, never logged.
fn internal(shared: &Shared, method: &Method, path: &str, query: &str) -> Response<Full<Bytes>> {
    let body = match (method, path) {
        (&Method::GET, "/_sim/stats") => {
            let s = lock(&shared.stats).clone();
            json!({
                "requests": s.requests,
                "errors": s.errors,
                "gzipResponses": s.gzip_responses,
                "bytesUncompressed": s.bytes_uncompressed,
                "bytesSent": s.bytes_sent,
                "servingSeconds": s.serving_time.as_secs_f64(),
            })
        }
        (&Method::POST, "/_sim/config") => {
            let params = parse_query(query);
            match params.iter().find(|(k, _)| k == "gzipThreshold") {
                Some((_, v)) if v == "never" => shared.set_gzip_threshold(usize::MAX),
                Some((_, v)) => match v.parse() {
                    Ok(n) => shared.set_gzip_threshold(n),
                    Err(_) => {
                        return internal_reply(json!({"error": "gzipThreshold: bytes or never"}));
                    }
                },
                None => {}
            }
            let t = shared.gzip_threshold();
            json!({"gzipThreshold": if t == usize::MAX { json!("never") } else { json!(t) }})
        }
        (&Method::POST, "/_sim/reset") => {
            *lock(&shared.stats) = SimStats::default();
            lock(&shared.log).clear();
            json!({"reset": true})
        }
        _ => json!({"error": "unknown simulator endpoint"}),
    };
    internal_reply(body)
}

fn internal_reply(body: Value) -> Response<Full<Bytes>> {
    Response::builder()
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn fault_status(code: u16, user: &str, route: &Route, info: &RequestInfo) -> Reply {
    match code {
        401 => status::unauthorized(),
        403 => match route {
            Route::Resource { res, sub, .. } => status::forbidden(
                user,
                info.verb.as_str(),
                &RESOURCES[*res],
                sub.as_deref(),
                info.namespace.as_deref(),
                info.name.as_deref(),
            ),
            _ => status::forbidden_path(user, "get", &info.path),
        },
        429 => status::too_many_requests(1),
        500 => status::internal_error("simulated failure"),
        503 => status::service_unavailable(),
        other => status::generic(other),
    }
}

fn dispatch(shared: &Arc<Shared>, route: &Route, ctx: &Ctx<'_>) -> Reply {
    let get_only = |r: Reply| {
        if ctx.method == Method::GET {
            r
        } else {
            status::method_not_allowed(ctx.method.as_str())
        }
    };
    match route {
        Route::Version => get_only(Reply::json(200, &resources::version(&shared.git_version))),
        Route::Health => get_only(Reply::text(200, "ok")),
        Route::Api => get_only(Reply::json(
            200,
            &resources::api_versions(&shared.server_address),
        )),
        Route::Apis => get_only(Reply::json(200, &resources::api_group_list())),
        Route::ApiGroup(g) => match resources::api_group(g) {
            Some(doc) => get_only(Reply::json(200, &doc)),
            None => status::no_route(),
        },
        Route::GroupVersion(g, v) => match resources::api_resource_list(g, v) {
            Some(doc) => get_only(Reply::json(200, &doc)),
            None => status::no_route(),
        },
        Route::NotFound => status::no_route(),
        Route::Resource {
            res,
            namespace,
            name,
            sub,
        } => {
            let ns = namespace.as_deref();
            match (ctx.method, name.as_deref(), sub.as_deref()) {
                (&Method::GET, None, None) => list(shared, *res, ns, ctx),
                (&Method::GET, Some(n), None | Some("status")) => get(shared, *res, ns, n, ctx),
                (&Method::DELETE, Some(n), None) => delete(shared, *res, ns, n, ctx),
                (&Method::POST, Some(n), Some("eviction")) if *res == PODS => {
                    evict(shared, ns.unwrap_or("default"), n, ctx)
                }
                (_, _, Some(s)) if !matches!(s, "status" | "eviction") => status::no_route(),
                _ => status::method_not_allowed(ctx.method.as_str()),
            }
        }
    }
}

/// A watch request's parameters, checked as a list's are.
fn watch_spec(res: usize, namespace: Option<&str>, ctx: &Ctx<'_>) -> Result<WatchSpec, Reply> {
    let r = &RESOURCES[res];
    // Watches stay JSON (negotiated without protobuf).
    let table = match negotiate(ctx.accept, false) {
        None | Some(Output::Protobuf) => {
            return Err(status::not_acceptable(ctx.accept.unwrap_or("")));
        }
        Some(Output::Json) => None,
        Some(Output::Table(version)) => Some(version),
        Some(Output::Partial(_)) => {
            return Err(status::not_acceptable(ctx.accept.unwrap_or("")));
        }
    };
    let labels = parse_label_selector(param(ctx.params, "labelSelector").unwrap_or(""))
        .map_err(|e| status::bad_request(&e))?;
    let fields = parse_field_selector(param(ctx.params, "fieldSelector").unwrap_or(""))
        .map_err(|e| status::bad_request(&e))?;
    if let Some(bad) = fields.0.iter().find(|f| {
        !matches!(f.field.as_str(), "metadata.name" | "metadata.namespace")
            && !r.fields.contains(&f.field.as_str())
    }) {
        return Err(status::bad_request(&format!(
            "field label not supported: {}",
            bad.field
        )));
    }
    let from = watch::parse_from(param(ctx.params, "resourceVersion"))
        .map_err(|e| status::bad_request(&e))?;
    let timeout = match param(ctx.params, "timeoutSeconds").filter(|t| !t.is_empty()) {
        None => None,
        Some(t) => match t.parse::<u64>() {
            Ok(0) => None,
            Ok(n) => Some(Duration::from_secs(n)),
            Err(_) => {
                return Err(status::bad_request(&format!(
                    "timeoutSeconds: Invalid value: {t:?}"
                )));
            }
        },
    };
    let include = IncludeObject::parse(param(ctx.params, "includeObject"))
        .map_err(|e| status::bad_request(&e))?;
    Ok(WatchSpec {
        res,
        namespace: namespace.map(str::to_string),
        labels,
        fields,
        from,
        bookmarks: matches!(param(ctx.params, "allowWatchBookmarks"), Some("true" | "1")),
        timeout,
        table,
        include,
    })
}

fn list(shared: &Shared, res: usize, namespace: Option<&str>, ctx: &Ctx<'_>) -> Reply {
    let r = &RESOURCES[res];
    let Some(output) = negotiate(ctx.accept, res == PODS && shared.protobuf) else {
        return status::not_acceptable(ctx.accept.unwrap_or(""));
    };
    let labels = match parse_label_selector(param(ctx.params, "labelSelector").unwrap_or("")) {
        Ok(l) => l,
        Err(e) => return status::bad_request(&e),
    };
    let fields = match parse_field_selector(param(ctx.params, "fieldSelector").unwrap_or("")) {
        Ok(f) => f,
        Err(e) => return status::bad_request(&e),
    };
    if let Some(bad) = fields.0.iter().find(|f| {
        !matches!(f.field.as_str(), "metadata.name" | "metadata.namespace")
            && !r.fields.contains(&f.field.as_str())
    }) {
        return status::bad_request(&format!("field label not supported: {}", bad.field));
    }
    let limit = match param(ctx.params, "limit").filter(|l| !l.is_empty()) {
        None => 0,
        Some(l) => match l.parse::<i64>() {
            Ok(n) => usize::try_from(n).unwrap_or(0),
            Err(_) => return status::bad_request(&format!("limit: Invalid value: {l:?}")),
        },
    };
    let cont = match param(ctx.params, "continue").filter(|c| !c.is_empty()) {
        None => None,
        Some(c) => match ContinueToken::decode(c) {
            Ok(t) => Some(t),
            Err(e) => return status::bad_request(&e),
        },
    };
    let include = match IncludeObject::parse(param(ctx.params, "includeObject")) {
        Ok(i) => i,
        Err(e) => return status::bad_request(&e),
    };
    if let Some(ttl) = shared.continue_ttl {
        if shared.read_store().last_compaction.elapsed() >= ttl {
            shared.write_store().compact();
        }
    }
    let query = ListQuery {
        namespace: namespace.map(str::to_string),
        labels,
        fields,
        limit,
        cont,
    };
    let page = {
        let store = shared.read_store();
        if let Some(c) = &query.cont {
            if c.rv < store.compacted_rv {
                return status::expired();
            }
        }
        store.list(res, &query)
    };
    match output {
        Output::Json => Reply::bytes(200, list_bytes(res, &page)),
        Output::Protobuf => match list_protobuf(res, &page) {
            Ok(body) => Reply::protobuf(200, body),
            Err(e) => status::internal_error(&e),
        },
        Output::Table(version) => Reply::json(
            200,
            &table::table(
                res,
                &page.items,
                &page.resource_version.to_string(),
                page.cont.as_deref(),
                include,
                version,
                now_unix(),
            ),
        ),
        Output::Partial(version) => {
            let mut metadata = json!({"resourceVersion": page.resource_version.to_string()});
            if let Some(c) = &page.cont {
                metadata["continue"] = json!(c);
            }
            let items: Vec<Value> = page
                .items
                .iter()
                .map(|o| {
                    let mut p = table::partial(o, version);
                    if let Some(m) = p.as_object_mut() {
                        m.remove("kind");
                        m.remove("apiVersion");
                    }
                    p
                })
                .collect();
            Reply::json(
                200,
                &json!({
                    "kind": "PartialObjectMetadataList",
                    "apiVersion": format!("meta.k8s.io/{version}"),
                    "metadata": metadata,
                    "items": items
                }),
            )
        }
    }
}

fn get(shared: &Shared, res: usize, namespace: Option<&str>, name: &str, ctx: &Ctx<'_>) -> Reply {
    let Some(output) = negotiate(ctx.accept, res == PODS && shared.protobuf) else {
        return status::not_acceptable(ctx.accept.unwrap_or(""));
    };
    let Some(obj) = shared.read_store().get(res, namespace, name) else {
        return status::not_found(&RESOURCES[res], name);
    };
    match output {
        Output::Json => Reply::bytes(200, obj.full_bytes(res)),
        Output::Protobuf => match obj.protobuf() {
            Ok(pb) => Reply::protobuf(
                200,
                crate::protobuf::envelope(
                    &RESOURCES[res].api_version(),
                    RESOURCES[res].kind,
                    &pb.to_vec(),
                ),
            ),
            Err(e) => status::internal_error(&e),
        },
        Output::Table(version) => {
            let include = match IncludeObject::parse(param(ctx.params, "includeObject")) {
                Ok(i) => i,
                Err(e) => return status::bad_request(&e),
            };
            Reply::json(
                200,
                &table::table(
                    res,
                    std::slice::from_ref(&obj),
                    &obj.resource_version,
                    None,
                    include,
                    version,
                    now_unix(),
                ),
            )
        }
        Output::Partial(version) => Reply::json(200, &table::partial(&obj, version)),
    }
}

/// [`FaultKind::Touch`]: store the named object again, which bumps its resourceVersion.
fn touch(shared: &Arc<Shared>, route: &Route) {
    let Route::Resource {
        res,
        namespace,
        name: Some(name),
        ..
    } = route
    else {
        return;
    };
    let mut store = shared.write_store();
    if let Some(obj) = store.get(*res, namespace.as_deref(), name) {
        let _ = store.put(*res, obj.full_value(*res));
    }
}

/// `dryRun` from the query or the options body; `Err` for values other than `All`.
fn dry_run(params: &[(String, String)], options: &Value) -> Result<bool, Reply> {
    let mut values: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "dryRun")
        .map(|(_, v)| v.clone())
        .collect();
    if let Some(a) = options["dryRun"].as_array() {
        values.extend(a.iter().filter_map(Value::as_str).map(str::to_string));
    }
    match values.iter().find(|v| v.as_str() != "All") {
        Some(bad) => Err(status::bad_request(&format!(
            "dryRun: Unsupported value: {bad:?}: supported values: \"All\""
        ))),
        None => Ok(!values.is_empty()),
    }
}

fn parse_body(body: &[u8]) -> Result<Value, Reply> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(json!({}));
    }
    serde_json::from_slice(body).map_err(|e| {
        status::bad_request(&format!(
            "the body of the request was in an unknown format: {e}"
        ))
    })
}

/// Checks `preconditions` (uid, resourceVersion) against the stored object.
fn preconditions(
    r: &resources::ResourceInfo,
    obj: &crate::store::Object,
    options: &Value,
) -> Result<(), Reply> {
    let pre = &options["preconditions"];
    if let Some(uid) = pre["uid"].as_str() {
        if uid != &*obj.uid {
            return Err(status::conflict(
                r,
                obj.name(),
                &format!(
                    "Precondition failed: UID in precondition: {uid}, UID in object meta: {}",
                    obj.uid
                ),
            ));
        }
    }
    if let Some(rv) = pre["resourceVersion"].as_str() {
        if rv != &*obj.resource_version {
            return Err(status::conflict(
                r,
                obj.name(),
                &format!(
                    "Precondition failed: ResourceVersion in precondition: {rv}, ResourceVersion in object meta: {}",
                    obj.resource_version
                ),
            ));
        }
    }
    Ok(())
}

fn delete(
    shared: &Arc<Shared>,
    res: usize,
    namespace: Option<&str>,
    name: &str,
    ctx: &Ctx<'_>,
) -> Reply {
    let r = &RESOURCES[res];
    let options = match parse_body(ctx.body) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    let dry = match dry_run(ctx.params, &options) {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    let mut store = shared.write_store();
    let Some(obj) = store.get(res, namespace, name) else {
        return status::not_found(r, name);
    };
    if let Err(reply) = preconditions(r, &obj, &options) {
        return reply;
    }
    let mut deleted = obj.full_value(res);
    if res == PODS {
        let grace = options["gracePeriodSeconds"]
            .as_i64()
            .or_else(|| param(ctx.params, "gracePeriodSeconds").and_then(|g| g.parse().ok()))
            .or_else(|| deleted["spec"]["terminationGracePeriodSeconds"].as_i64())
            .unwrap_or(30);
        deleted["metadata"]["deletionTimestamp"] = json!(rfc3339(now_unix() + grace));
        deleted["metadata"]["deletionGracePeriodSeconds"] = json!(grace);
    }
    if dry {
        return Reply::json(200, &deleted);
    }
    store.remove(res, &obj.key);
    if res == PODS {
        controller::pod_removed(shared, &mut store, &deleted);
    }
    Reply::json(200, &deleted)
}

fn evict(shared: &Arc<Shared>, namespace: &str, name: &str, ctx: &Ctx<'_>) -> Reply {
    let r = &RESOURCES[PODS];
    let eviction = match parse_body(ctx.body) {
        Ok(o) => o,
        Err(reply) => return reply,
    };
    if let Some(n) = eviction["metadata"]["name"].as_str() {
        if n != name {
            return status::bad_request("name in URL does not match name in Eviction object");
        }
    }
    let options = &eviction["deleteOptions"];
    let dry = match dry_run(ctx.params, options) {
        Ok(d) => d,
        Err(reply) => return reply,
    };
    let mut store = shared.write_store();
    let Some(obj) = store.get(PODS, Some(namespace), name) else {
        return status::not_found(r, name);
    };
    if let Err(reply) = preconditions(r, &obj, options) {
        return reply;
    }
    // Like the real eviction REST handler: PDBs only guard running pods that are not terminating.
    let pod = obj.value();
    let guarded = obj.field("status.phase") == Some("Running")
        && pod["metadata"]["deletionTimestamp"].is_null();
    if guarded {
        let mut rules = lock(&shared.pdb_rules);
        if let Some(rule) = rules.iter_mut().find(|rule| rule.applies(namespace, name)) {
            let pdb = rule.pdb.clone();
            if let Some(t) = rule.times.as_mut() {
                *t -= 1;
            }
            rules.retain(|rule| rule.times != Some(0));
            return status::pdb_refusal(&pdb);
        }
    }
    if dry {
        return status::success(201);
    }
    let mut deleted = obj.full_value(PODS);
    store.remove(PODS, &obj.key);
    deleted["metadata"]["deletionTimestamp"] = json!(rfc3339(now_unix()));
    controller::pod_removed(shared, &mut store, &deleted);
    status::success(201)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes() {
        assert_eq!(route("/version"), Route::Version);
        assert_eq!(
            route("/api/v1/namespaces/kube-system/pods/x/eviction"),
            Route::Resource {
                res: PODS,
                namespace: Some("kube-system".into()),
                name: Some("x".into()),
                sub: Some("eviction".into())
            }
        );
        assert_eq!(
            route("/api/v1/namespaces/kube-system"),
            Route::Resource {
                res: resources::NAMESPACES,
                namespace: None,
                name: Some("kube-system".into()),
                sub: None
            }
        );
        assert_eq!(route("/api/v1/pods/x"), Route::NotFound);
        assert_eq!(
            route("/apis/apps/v1/daemonsets"),
            Route::Resource {
                res: resources::DAEMONSETS,
                namespace: None,
                name: None,
                sub: None
            }
        );
        assert_eq!(
            route("/apis/apps/v1"),
            Route::GroupVersion("apps".into(), "v1".into())
        );
        assert_eq!(route("/openapi/v2"), Route::NotFound);
    }

    #[test]
    fn negotiation() {
        assert_eq!(negotiate(None, true), Some(Output::Json));
        assert_eq!(
            negotiate(
                Some(
                    "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json"
                ),
                true
            ),
            Some(Output::Table("v1"))
        );
        let client_go = Some("application/vnd.kubernetes.protobuf, application/json");
        assert_eq!(negotiate(client_go, false), Some(Output::Json));
        assert_eq!(negotiate(client_go, true), Some(Output::Protobuf));
        assert_eq!(
            negotiate(
                Some("application/json, application/vnd.kubernetes.protobuf"),
                true
            ),
            Some(Output::Json)
        );
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf"), false),
            None
        );
        assert_eq!(
            negotiate(
                Some("application/vnd.kubernetes.protobuf;as=Table;v=v1;g=meta.k8s.io"),
                true
            ),
            None
        );
        assert_eq!(
            negotiate(
                Some("application/json;as=PartialObjectMetadataList;v=v1;g=meta.k8s.io"),
                true
            ),
            Some(Output::Partial("v1"))
        );
    }
}
