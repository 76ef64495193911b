//! `ds-coverage-floor`: the benchmark's floor, a raw paged fetch with nothing on top.
//!
//! ```text
//! ds-coverage-floor --url http://127.0.0.1:PORT [--lists plugin|kubectl] [--gzip] [--protobuf]
//!                   [--limit 500]
//! ```
//! One keep-alive HTTP/1.1 connection, one request at a time, `limit`/`continue` paging. Bodies
//! are read (and gunzipped with `--gzip`) into a reused buffer and dropped; only the continue
//! token is looked up (the list's `metadata` comes before its items). Nothing is decoded except
//! the DaemonSet list, whose selectors name the per-DaemonSet lists.
//!
//! `--lists plugin` (default) fetches what `kubectl-ds_coverage -A` fetches: nodes, DaemonSets,
//! then per DaemonSet its pods and ControllerRevisions by its selector. `--lists kubectl` fetches
//! what `kubectl get nodes,daemonsets,pods -A` fetches: nodes, DaemonSets, every pod. Prints one
//! JSON line: requests, pages, body bytes on the wire and decoded, seconds.
//!
//! `--protobuf` asks for the pod lists in Kubernetes protobuf, as client-go does (`Accept:
//! application/vnd.kubernetes.protobuf, application/json`; the continue token is read from the
//! PodList's ListMeta, which precedes its items); everything else is fetched as JSON as before.
//! A pod page that does not come back as protobuf is an error.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use ds_coverage_simulator::protobuf;
use serde_json::Value;

/// client-go's Accept for built-in types.
const PROTOBUF_ACCEPT: &str = "application/vnd.kubernetes.protobuf, application/json";

struct Conn {
    host: String,
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    gzip: bool,
    requests: u64,
    wire: u64,
    decoded: u64,
    /// Reused for every body.
    buf: Vec<u8>,
}

impl Conn {
    fn open(url: &str, gzip: bool) -> std::io::Result<Conn> {
        let host = url
            .strip_prefix("http://")
            .ok_or_else(|| std::io::Error::other("only http:// URLs"))?
            .trim_end_matches('/')
            .to_string();
        let stream = TcpStream::connect(&host)?;
        stream.set_nodelay(true)?;
        stream.set_read_timeout(Some(Duration::from_secs(120)))?;
        Ok(Conn {
            host,
            reader: BufReader::with_capacity(1 << 16, stream.try_clone()?),
            writer: stream,
            gzip,
            requests: 0,
            wire: 0,
            decoded: 0,
            buf: Vec::new(),
        })
    }

    /// GET `target`; the decoded body is left in `self.buf`. Returns the status and whether the
    /// body is protobuf.
    fn get(&mut self, target: &str, accept: &str) -> std::io::Result<(u16, bool)> {
        let enc = if self.gzip {
            "Accept-Encoding: gzip\r\n"
        } else {
            ""
        };
        write!(
            self.writer,
            "GET {target} HTTP/1.1\r\nHost: {}\r\nAccept: {accept}\r\n{enc}\r\n",
            self.host
        )?;
        self.requests += 1;
        let mut line = String::new();
        self.reader.read_line(&mut line)?;
        let status: u16 = line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
        let (mut len, mut chunked, mut gzipped, mut pb) = (None, false, false, false);
        loop {
            line.clear();
            self.reader.read_line(&mut line)?;
            let l = line.trim_end();
            if l.is_empty() {
                break;
            }
            if let Some((k, v)) = l.split_once(':') {
                let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
                match k.as_str() {
                    "content-length" => len = v.parse::<u64>().ok(),
                    "transfer-encoding" => chunked = v.eq_ignore_ascii_case("chunked"),
                    "content-encoding" => gzipped = v.eq_ignore_ascii_case("gzip"),
                    "content-type" => pb = v == protobuf::MEDIA_TYPE,
                    _ => {}
                }
            }
        }
        let mut raw = Vec::new();
        if chunked {
            loop {
                line.clear();
                self.reader.read_line(&mut line)?;
                let size = u64::from_str_radix(line.trim().split(';').next().unwrap_or(""), 16)
                    .map_err(|_| std::io::Error::other("bad chunk size"))?;
                if size == 0 {
                    line.clear();
                    self.reader.read_line(&mut line)?;
                    break;
                }
                (&mut self.reader).take(size).read_to_end(&mut raw)?;
                let mut crlf = [0u8; 2];
                self.reader.read_exact(&mut crlf)?;
            }
        } else {
            let len = len.ok_or_else(|| std::io::Error::other("no content-length"))?;
            (&mut self.reader).take(len).read_to_end(&mut raw)?;
        }
        self.wire += raw.len() as u64;
        self.buf.clear();
        if gzipped {
            flate2::read::GzDecoder::new(&raw[..]).read_to_end(&mut self.buf)?;
        } else {
            self.buf = raw;
        }
        self.decoded += self.buf.len() as u64;
        Ok((status, pb))
    }

    /// Every page of `path` (in protobuf when `pb`); `each` sees each page's body. Returns the
    /// page count.
    fn list(
        &mut self,
        path: &str,
        selector: Option<&str>,
        limit: usize,
        pb: bool,
        each: &mut dyn FnMut(&[u8]),
    ) -> std::io::Result<u64> {
        let accept = if pb {
            PROTOBUF_ACCEPT
        } else {
            "application/json"
        };
        let mut cont: Option<String> = None;
        let mut pages = 0;
        loop {
            let mut target = format!("{path}?limit={limit}");
            if let Some(s) = selector {
                target.push_str("&labelSelector=");
                target.push_str(&encode(s));
            }
            if let Some(c) = &cont {
                target.push_str("&continue=");
                target.push_str(&encode(c));
            }
            let (status, is_pb) = self.get(&target, accept)?;
            if status != 200 {
                return Err(std::io::Error::other(format!("GET {target}: {status}")));
            }
            if is_pb != pb {
                return Err(std::io::Error::other(format!(
                    "GET {target}: asked for {}, got {}",
                    if pb { "protobuf" } else { "JSON" },
                    if is_pb { "protobuf" } else { "something else" }
                )));
            }
            pages += 1;
            each(&self.buf);
            cont = if pb {
                protobuf::list_continue(&self.buf)
            } else {
                continue_token(&self.buf)
            };
            if cont.is_none() {
                return Ok(pages);
            }
        }
    }
}

/// The list's `metadata.continue`, read from the head of the body (metadata precedes items).
fn continue_token(body: &[u8]) -> Option<String> {
    let head = &body[..body.len().min(4096)];
    let items = find(head, b"\"items\"").unwrap_or(head.len());
    let at = find(&head[..items], b"\"continue\":\"")? + 12;
    let end = at + head[at..].iter().position(|&b| b == b'"')?;
    let token = std::str::from_utf8(&head[at..end]).ok()?;
    (!token.is_empty()).then(|| token.to_string())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn encode(s: &str) -> String {
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

/// A DaemonSet's selector in the API's query syntax (as the plugin sends it).
fn selector(ds: &Value) -> String {
    let sel = &ds["spec"]["selector"];
    let mut parts: Vec<String> = sel["matchLabels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    for e in sel["matchExpressions"].as_array().into_iter().flatten() {
        let key = e["key"].as_str().unwrap_or("");
        let values: Vec<&str> = e["values"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        parts.push(match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", values.join(",")),
            "NotIn" => format!("{key} notin ({})", values.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            _ => continue,
        });
    }
    parts.join(",")
}

fn run(url: &str, lists: &str, gzip: bool, pb: bool, limit: usize) -> std::io::Result<String> {
    let started = Instant::now();
    let mut c = Conn::open(url, gzip)?;
    let mut pages = c.list("/api/v1/nodes", None, limit, false, &mut |_| {})?;
    let mut daemon_sets: Vec<(String, String)> = Vec::new();
    pages += c.list(
        "/apis/apps/v1/daemonsets",
        None,
        limit,
        false,
        &mut |body| {
            let doc: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
            for ds in doc["items"].as_array().into_iter().flatten() {
                let ns = ds["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or("")
                    .to_string();
                daemon_sets.push((ns, selector(ds)));
            }
        },
    )?;
    match lists {
        "kubectl" => pages += c.list("/api/v1/pods", None, limit, pb, &mut |_| {})?,
        _ => {
            for (ns, sel) in &daemon_sets {
                if sel.is_empty() {
                    continue;
                }
                let ns = encode(ns);
                pages += c.list(
                    &format!("/api/v1/namespaces/{ns}/pods"),
                    Some(sel),
                    limit,
                    pb,
                    &mut |_| {},
                )?;
                pages += c.list(
                    &format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions"),
                    Some(sel),
                    limit,
                    false,
                    &mut |_| {},
                )?;
            }
        }
    }
    Ok(serde_json::json!({
        "lists": lists,
        "gzip": gzip,
        "protobuf": pb,
        "requests": c.requests,
        "pages": pages,
        "daemonSets": daemon_sets.len(),
        "bytesOnWire": c.wire,
        "bytesDecoded": c.decoded,
        "seconds": started.elapsed().as_secs_f64(),
    })
    .to_string())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let (mut url, mut lists, mut gzip, mut pb, mut limit) =
        (None, "plugin".to_string(), false, false, 500);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--url" => url = args.next(),
            "--lists" => lists = args.next().unwrap_or_default(),
            "--gzip" => gzip = true,
            "--protobuf" => pb = true,
            "--limit" => limit = args.next().and_then(|l| l.parse().ok()).unwrap_or(500),
            _ => {
                eprintln!(
                    "usage: ds-coverage-floor --url http://127.0.0.1:PORT [--lists plugin|kubectl] \
                     [--gzip] [--protobuf] [--limit N]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let Some(url) = url else {
        eprintln!("ds-coverage-floor: --url is required");
        return ExitCode::from(2);
    };
    if !matches!(lists.as_str(), "plugin" | "kubectl") {
        eprintln!("ds-coverage-floor: --lists is plugin or kubectl");
        return ExitCode::from(2);
    }
    match run(&url, &lists, gzip, pb, limit) {
        Ok(line) => {
            println!("{line}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("ds-coverage-floor: {e}");
            ExitCode::from(1)
        }
    }
}
