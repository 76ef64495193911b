//! One request exchange for every call the tool makes (the audit's lists, explain's reads,
//! `fix`'s reads and writes, completion), with one retry policy and the `-v` request log.
//!
//! kube's own retry layer is off (`Config::default_retry = false`): retries are deliberate,
//! bounded and visible here. Reads are retried on 429 (honouring `Retry-After`), 5xx and broken
//! connections; writes on 5xx and broken connections only (safe: every write the tool sends
//! carries UID and resourceVersion preconditions), and a 429 on a write — a
//! PodDisruptionBudget refusing an eviction — is the caller's to decide.

use std::io::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use http::StatusCode;
use http_body_util::BodyExt;

use super::connect::Connection;
use super::error::{ClientError, one_line};
use crate::SharedWriter;

/// How to send requests: page size, concurrency, logging, attempts (kubectl's flags, resolved by
/// `config`).
#[derive(Debug, Clone)]
pub struct FetchArgs {
    /// `--chunk-size` (kubectl's name); 0 disables paging.
    pub page_size: u32,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// `-v`: log every request (never a token) and every retry to stderr.
    pub verbose: bool,
    /// Show a progress line on stderr, redrawn in place in at most this many columns (only
    /// when stderr is a terminal: `render::style::redraw_width`).
    pub progress: Option<usize>,
    /// Attempts per request for retryable failures.
    pub attempts: u32,
}

impl Default for FetchArgs {
    fn default() -> FetchArgs {
        FetchArgs {
            page_size: 500,
            concurrency: 4,
            verbose: false,
            progress: None,
            attempts: 5,
        }
    }
}

/// Which failures a request may be repeated on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GET: 429, 5xx, broken connections.
    Read,
    /// DELETE / POST with preconditions: 5xx and broken connections; a 429 goes to the caller.
    Write,
    /// Nothing: one attempt (shell completion, where no answer beats a slow one).
    Never,
}

/// What the server answered (any status; the caller decides what an error status means).
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub retry_after: Option<Duration>,
    pub body: bytes::Bytes,
    /// Whether the body is Kubernetes protobuf (`Content-Type:
    /// application/vnd.kubernetes.protobuf`, sent only to a request that accepted it).
    pub protobuf: bool,
    /// Requests sent for this answer (more than one when retried).
    pub attempts: u32,
}

/// The largest answer one request may bring. A page of `--chunk-size` (500) objects is a few MB
/// even of large pods; more than this is not a Kubernetes answer, and holding it (with its
/// decoded copy) would exhaust a small runner's memory. An unpaged list (`--chunk-size 0`) of a
/// large cluster can exceed it: the error says to page.
pub const MAX_BODY: usize = 256 * 1024 * 1024;

/// Response buffers kept for reuse: as many as requests in flight plus pages being decoded.
const BUFFERS_KEPT: usize = 6;

/// The wait before retry number `attempt` (1-based): doubling from 200 ms, at most 5 s. The one
/// backoff of the tool (reads, writes and `fix`'s PodDisruptionBudget retries).
pub fn backoff(attempt: u32) -> Duration {
    Duration::from_millis(200u64.saturating_mul(1 << attempt.min(5))).min(Duration::from_secs(5))
}

/// A server's `Retry-After` is honoured up to this long.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// Sends requests over a [`Connection`].
pub struct Transport {
    client: kube::Client,
    /// `https://server (context name)`, for messages.
    pub ctx: String,
    /// The connection's credentials were withheld from a plain `http://` server.
    pub(crate) credentials_withheld: bool,
    /// The proxy the requests go through, redacted (see [`Transport::unreachable`]).
    proxy: Option<String>,
    timeout: Option<Duration>,
    args: FetchArgs,
    log: SharedWriter,
    limit: tokio::sync::Semaphore,
    buffers: Mutex<Vec<Vec<u8>>>,
    max_body: usize,
    /// Requests sent so far (the progress line).
    pub requests: AtomicUsize,
    /// Objects decoded so far (the progress line).
    pub objects: AtomicUsize,
}

impl Connection {
    /// A transport over this connection, logging with `-v` to `log`.
    pub fn transport(&self, args: &FetchArgs, log: SharedWriter) -> Transport {
        Transport {
            client: self.client.clone(),
            ctx: super::connect::describe(&self.server, &self.context),
            credentials_withheld: self.credentials_withheld,
            proxy: self.proxy.clone(),
            timeout: self.timeout,
            args: args.clone(),
            log,
            limit: tokio::sync::Semaphore::new(args.concurrency.max(1)),
            buffers: Mutex::new(Vec::new()),
            max_body: MAX_BODY,
            requests: AtomicUsize::new(0),
            objects: AtomicUsize::new(0),
        }
    }
}

/// Why one attempt brought no answer.
enum Failure {
    Timeout,
    Connection { detail: String, transient: bool },
    TooLarge,
}

impl Transport {
    /// Page size (`--chunk-size`; 0: unpaged).
    pub fn page_size(&self) -> u32 {
        self.args.page_size
    }

    /// Limit one answer's size (tests of the cap use a small one).
    pub fn with_max_body(mut self, max: usize) -> Transport {
        self.max_body = max;
        self
    }

    /// No answer from the server: through a proxy, the proxy is named (a refused connection
    /// may be the proxy's, not the API server's).
    pub(crate) fn unreachable(&self, detail: String, transient: bool) -> ClientError {
        let detail = match &self.proxy {
            Some(proxy) => format!("{detail} (through the proxy {proxy})"),
            None => detail,
        };
        ClientError::Unreachable {
            ctx: self.ctx.clone(),
            detail,
            transient,
        }
    }

    /// A `-v` line.
    pub fn log(&self, line: &str) {
        if self.args.verbose {
            let mut e = self.log.lock().unwrap_or_else(|p| p.into_inner());
            let _ = writeln!(e, "{line}");
        }
    }

    pub(crate) fn log_writer(&self) -> &SharedWriter {
        &self.log
    }

    /// Send `req`, retrying by `retry`. `what` names the operation in errors ("list nodes").
    pub async fn send(
        &self,
        what: &str,
        req: http::Request<Vec<u8>>,
        retry: Retry,
    ) -> Result<Answer, ClientError> {
        let (parts, body) = req.into_parts();
        let attempts = match retry {
            Retry::Never => 1,
            _ => self.args.attempts.max(1),
        };
        let method = parts.method.clone();
        let url = parts.uri.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let req = self.rebuild(&parts, &body, &url)?;
            let permit = self.limit.acquire().await.ok();
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let result = self.exchange(req).await;
            drop(permit);
            let ms = started.elapsed().as_millis();
            let wait = match result {
                Ok((status, retry_after, protobuf, body)) => {
                    self.log(&format!(
                        "{method} {url} {} {ms}ms{}",
                        status.as_u16(),
                        if protobuf { " protobuf" } else { "" }
                    ));
                    let retryable = status.is_server_error()
                        || (retry == Retry::Read && status == StatusCode::TOO_MANY_REQUESTS);
                    if !retryable || attempt >= attempts {
                        return Ok(Answer {
                            status,
                            retry_after,
                            body,
                            protobuf,
                            attempts: attempt,
                        });
                    }
                    let wait = retry_after
                        .unwrap_or_else(|| backoff(attempt))
                        .min(MAX_RETRY_AFTER);
                    self.log(&format!(
                        "retrying {method} {url} in {}ms ({} {}, attempt {attempt}/{attempts})",
                        wait.as_millis(),
                        status.as_u16(),
                        status.canonical_reason().unwrap_or("")
                    ));
                    wait
                }
                Err(Failure::Timeout) => {
                    self.log(&format!("{method} {url} timed out after {ms}ms"));
                    return Err(ClientError::Timeout {
                        what: format!("cannot {what}"),
                        ctx: self.ctx.clone(),
                        after: crate::duration::short(
                            self.timeout.map(|t| t.as_secs() as i64).unwrap_or(0),
                        ),
                    });
                }
                Err(Failure::TooLarge) => {
                    return Err(ClientError::TooLarge {
                        url,
                        ctx: self.ctx.clone(),
                        limit_mib: self.max_body / (1024 * 1024),
                    });
                }
                Err(Failure::Connection { detail, transient }) => {
                    self.log(&format!("{method} {url} failed after {ms}ms: {detail}"));
                    if !transient || attempt >= attempts {
                        return Err(self.unreachable(detail, transient));
                    }
                    let wait = backoff(attempt);
                    self.log(&format!(
                        "retrying {method} {url} in {}ms (attempt {attempt}/{attempts})",
                        wait.as_millis()
                    ));
                    wait
                }
            };
            tokio::time::sleep(wait).await;
        }
    }

    /// One attempt's request: the method, URI and headers given (Accept JSON unless set).
    fn rebuild(
        &self,
        parts: &http::request::Parts,
        body: &[u8],
        url: &str,
    ) -> Result<http::Request<kube::client::Body>, ClientError> {
        let mut builder = http::Request::builder()
            .method(parts.method.clone())
            .uri(parts.uri.clone());
        if !parts.headers.contains_key(http::header::ACCEPT) {
            builder = builder.header(http::header::ACCEPT, "application/json");
        }
        for (k, v) in &parts.headers {
            builder = builder.header(k, v);
        }
        builder
            .body(kube::client::Body::from(body.to_vec()))
            .map_err(|e| ClientError::Decode {
                url: url.to_string(),
                ctx: self.ctx.clone(),
                message: e.to_string(),
            })
    }

    /// A request whose body is read by the caller as it arrives (a watch): sent and answered
    /// within the timeout (the body is not bounded by it), logged with `-v`, and repeated on
    /// broken connections by `retry` (its status, whatever it is, goes to the caller).
    pub(crate) async fn open(
        &self,
        what: &str,
        req: http::Request<Vec<u8>>,
        retry: Retry,
    ) -> Result<(StatusCode, Option<Duration>, kube::client::Body), ClientError> {
        let (parts, body) = req.into_parts();
        let attempts = match retry {
            Retry::Never => 1,
            _ => self.args.attempts.max(1),
        };
        let url = parts.uri.to_string();
        let mut attempt = 0;
        loop {
            attempt += 1;
            let req = self.rebuild(&parts, &body, &url)?;
            self.requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let sent = self.client.send(req);
            let answer = match self.timeout {
                Some(t) => tokio::time::timeout(t, sent).await.ok(),
                None => Some(sent.await),
            };
            let ms = started.elapsed().as_millis();
            let (detail, transient) = match answer {
                Some(Ok(resp)) => {
                    self.log(&format!("GET {url} {} {ms}ms", resp.status().as_u16()));
                    let retry_after = retry_after(resp.headers());
                    return Ok((resp.status(), retry_after, resp.into_body()));
                }
                Some(Err(e)) => (describe_kube_error(&e), is_transient(&e)),
                None => {
                    return Err(ClientError::Timeout {
                        what: format!("cannot {what}"),
                        ctx: self.ctx.clone(),
                        after: crate::duration::short(
                            self.timeout.map(|t| t.as_secs() as i64).unwrap_or(0),
                        ),
                    });
                }
            };
            self.log(&format!("GET {url} failed after {ms}ms: {detail}"));
            if !transient || attempt >= attempts {
                return Err(self.unreachable(detail, transient));
            }
            tokio::time::sleep(backoff(attempt)).await;
        }
    }

    /// One request: sent, answered and its body read, all within the timeout (kubectl's
    /// `--request-timeout` bounds the whole exchange).
    async fn exchange(
        &self,
        req: http::Request<kube::client::Body>,
    ) -> Result<(StatusCode, Option<Duration>, bool, bytes::Bytes), Failure> {
        let call = async {
            let resp = self
                .client
                .send(req)
                .await
                .map_err(|e| Failure::Connection {
                    detail: describe_kube_error(&e),
                    transient: is_transient(&e),
                })?;
            let status = resp.status();
            let retry_after = retry_after(resp.headers());
            let protobuf = resp
                .headers()
                .get(http::header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with(crate::protobuf::MEDIA_TYPE));
            // Into one buffer from the pool: a list page is megabytes, and a fresh buffer for
            // each costs a page fault per 4 KiB (and, with gzip, a copy from decoded chunks).
            let mut body = resp.into_body();
            let mut buf = self.buffer();
            while let Some(frame) = body.frame().await {
                let frame = frame.map_err(|e| Failure::Connection {
                    detail: format!(
                        "connection lost while reading the response: {}",
                        one_line(&e.to_string())
                    ),
                    transient: true,
                })?;
                if let Ok(data) = frame.into_data() {
                    if buf.len() + data.len() > self.max_body {
                        return Err(Failure::TooLarge);
                    }
                    buf.extend_from_slice(&data);
                }
            }
            Ok((status, retry_after, protobuf, bytes::Bytes::from(buf)))
        };
        match self.timeout {
            Some(t) => tokio::time::timeout(t, call)
                .await
                .unwrap_or(Err(Failure::Timeout)),
            None => call.await,
        }
    }

    fn buffer(&self) -> Vec<u8> {
        let mut pool = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        pool.pop().unwrap_or_default()
    }

    /// Gives a decoded answer's buffer back to the pool (when nothing else holds it).
    pub fn recycle(&self, body: bytes::Bytes) {
        let Ok(buf) = body.try_into_mut() else {
            return;
        };
        let mut buf: Vec<u8> = buf.into();
        buf.clear();
        let mut pool = self.buffers.lock().unwrap_or_else(|p| p.into_inner());
        if pool.len() < BUFFERS_KEPT {
            pool.push(buf);
        }
    }
}

/// A server's `Retry-After` in seconds (the only form kube-apiserver sends).
fn retry_after(headers: &http::HeaderMap) -> Option<Duration> {
    headers
        .get(http::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs)
}

/// A broken connection worth another attempt: reset, aborted, closed mid-answer. Decided from
/// the error's types (the I/O error kind, hyper's own classification), not its text.
fn is_transient(e: &kube::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>() {
            use std::io::ErrorKind::*;
            if matches!(
                io.kind(),
                ConnectionReset | ConnectionAborted | BrokenPipe | UnexpectedEof
            ) {
                return true;
            }
        }
        if let Some(h) = s.downcast_ref::<hyper::Error>()
            && (h.is_incomplete_message() || h.is_closed() || h.is_canceled())
        {
            return true;
        }
        src = s.source();
    }
    false
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
    // rustls-webpki refuses a certificate marked CA:TRUE as the server's own
    // (`Error::CaUsedAsEndEntity`, shown only in its debug form), where Go's crypto/x509
    // (kubectl) accepts a self-signed one that is itself in the certificate-authority bundle
    // (`Certificate.Verify`: `opts.Roots.contains(c)`). Said in words, with the ways out.
    if chain.iter().any(|s| s.contains("CaUsedAsEndEntity")) {
        return "the server's certificate is a CA certificate (CA:TRUE) presented as its own; \
                kubectl accepts it when it is also the certificate-authority, ds-coverage's TLS \
                library (rustls) does not: give the API server a certificate with CA:FALSE \
                signed by that CA, or use --insecure-skip-tls-verify (no verification)"
            .into();
    }
    if let Some(words) = certificate_refused(e) {
        return words;
    }
    if let Some(root) = chain.pop() {
        last = match chain.pop() {
            Some(parent) if !parent.contains(&root) => format!("{parent}: {root}"),
            _ => root,
        };
    }
    one_line(&last)
}

/// A server certificate rustls refused, in words as kubectl (Go's crypto/x509) says them:
/// rustls displays its certificate errors in their debug form.
fn certificate_refused(e: &kube::Error) -> Option<String> {
    use rustls::CertificateError as C;
    let mut src: Option<&(dyn std::error::Error + 'static)> = Some(e);
    let refused = 'found: loop {
        let s = src?;
        // An I/O error's source is its inner error's source, not the inner error itself (and
        // hyper's connector wraps the TLS stream's I/O error in another).
        let mut at = Some(s);
        while let Some(e) = at {
            if let Some(rustls::Error::InvalidCertificate(c)) = e.downcast_ref::<rustls::Error>() {
                break 'found c;
            }
            at = e
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
                .map(|i| i as &(dyn std::error::Error + 'static));
        }
        src = s.source();
    };
    let time = |t: &rustls::pki_types::UnixTime| {
        i64::try_from(t.as_secs())
            .ok()
            .and_then(|s| jiff::Timestamp::from_second(s).ok())
            .map_or_else(String::new, |t| format!(" ({t})"))
    };
    let what = match refused {
        C::UnknownIssuer => "is signed by an unknown authority (not the kubeconfig's \
                             certificate-authority, nor --certificate-authority's)"
            .to_string(),
        C::NotValidForName => "is not valid for the server's name".to_string(),
        C::NotValidForNameContext {
            expected,
            presented,
        } => {
            // rustls gives each name in its debug form: `DnsName("a.test")`, `IpAddress(10.0.0.1)`.
            let bare = |n: &String| {
                n.split_once('(')
                    .and_then(|(_, rest)| rest.strip_suffix(')'))
                    .map_or_else(|| n.clone(), |v| v.trim_matches('"').to_string())
            };
            let names: Vec<String> = presented.iter().map(bare).collect();
            format!(
                "is valid for {}, not {}",
                names.join(", "),
                expected.to_str()
            )
        }
        C::Expired => "has expired".to_string(),
        C::ExpiredContext { not_after, .. } => format!("has expired{}", time(not_after)),
        C::NotValidYet => "is not valid yet".to_string(),
        C::NotValidYetContext { not_before, .. } => {
            format!("is not valid yet{}", time(not_before))
        }
        C::Revoked => "has been revoked".to_string(),
        C::BadSignature => "has a signature that does not verify".to_string(),
        C::BadEncoding => "cannot be decoded".to_string(),
        // The rest (unusual): the variant's name only, not its debug form, and no claim
        // about kubectl.
        other => {
            return Some(format!(
                "the server's certificate was refused by TLS verification ({})",
                variant_name(other)
            ));
        }
    };
    Some(format!(
        "the server's certificate {what}; kubectl refuses it too"
    ))
}

/// An enum value's variant name, without what it holds (its debug form up to the first `(`,
/// space or `{`).
fn variant_name(v: &impl std::fmt::Debug) -> String {
    let debug = format!("{v:?}");
    debug
        .split(['(', ' ', '{'])
        .next()
        .unwrap_or_default()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unusual_certificate_error_is_named_by_its_variant_only() {
        use rustls::CertificateError as C;
        assert_eq!(
            variant_name(&C::UnhandledCriticalExtension),
            "UnhandledCriticalExtension"
        );
        let other = C::Other(rustls::OtherError(std::sync::Arc::new(
            std::io::Error::other("detail { x: 1 }"),
        )));
        assert_eq!(variant_name(&other), "Other");
    }

    #[test]
    fn backoff_doubles_up_to_five_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(400));
        assert_eq!(backoff(2), Duration::from_millis(800));
        assert_eq!(backoff(4), Duration::from_millis(3200));
        assert_eq!(backoff(5), Duration::from_secs(5));
        assert_eq!(backoff(40), Duration::from_secs(5));
    }
}
