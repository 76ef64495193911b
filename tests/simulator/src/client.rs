//! A minimal blocking HTTP/1.1 client over `std::net::TcpStream`, for tests and the benchmark's
//! raw-fetch floor. One request per connection (`Connection: close`); gzip bodies are decoded.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use serde_json::Value;

/// A response, with the body already un-chunked and un-gzipped.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// The decoded body.
    pub body: Vec<u8>,
    /// The body's size on the wire (compressed, if it was).
    pub wire_len: usize,
}

impl Response {
    /// A header's value (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// Whether the body came gzip-compressed.
    pub fn gzipped(&self) -> bool {
        self.header("content-encoding") == Some("gzip")
    }

    /// The body as JSON.
    pub fn json(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }

    /// The body as text (lossy).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

fn invalid(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

/// Sends one request. `base_url` is `http://host:port`; `target` is the path and query.
pub fn request(
    base_url: &str,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> io::Result<Response> {
    let host = base_url
        .strip_prefix("http://")
        .ok_or_else(|| invalid("only http:// URLs are supported"))?
        .trim_end_matches('/');
    let mut stream = TcpStream::connect(host)?;
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    stream.set_write_timeout(Some(Duration::from_secs(30)))?;
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(b) = body {
        head.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if let Some(b) = body {
        stream.write_all(b)?;
    }
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw)?;
    parse_response(&raw)
}

fn parse_response(raw: &[u8]) -> io::Result<Response> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| invalid("connection closed before a complete response head"))?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let status = status_line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| invalid(format!("bad status line {status_line:?}")))?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut resp = Response {
        status,
        headers,
        body: Vec::new(),
        wire_len: 0,
    };
    let rest = &raw[split + 4..];
    let body = if resp
        .header("transfer-encoding")
        .is_some_and(|t| t.eq_ignore_ascii_case("chunked"))
    {
        dechunk(rest)?
    } else if let Some(len) = resp
        .header("content-length")
        .and_then(|l| l.parse::<usize>().ok())
    {
        if rest.len() < len {
            return Err(invalid(format!(
                "body truncated: {} of {len} bytes",
                rest.len()
            )));
        }
        rest[..len].to_vec()
    } else {
        rest.to_vec()
    };
    resp.wire_len = body.len();
    resp.body = if resp.gzipped() {
        let mut out = Vec::with_capacity(body.len() * 4);
        flate2::read::GzDecoder::new(&body[..]).read_to_end(&mut out)?;
        out
    } else {
        body
    };
    Ok(resp)
}

fn dechunk(mut data: &[u8]) -> io::Result<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let line_end = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or_else(|| invalid("bad chunk"))?;
        let size_text = String::from_utf8_lossy(&data[..line_end]);
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| invalid("bad chunk size"))?;
        data = &data[line_end + 2..];
        if size == 0 {
            return Ok(out);
        }
        if data.len() < size + 2 {
            return Err(invalid("chunk truncated"));
        }
        out.extend_from_slice(&data[..size]);
        data = &data[size + 2..];
    }
}

/// `GET target`.
pub fn get(base_url: &str, target: &str) -> io::Result<Response> {
    request(base_url, "GET", target, &[], None)
}

/// Lists every item of `path` (e.g. `/api/v1/pods`) page by page, following continue tokens.
/// `query` is extra query text (`labelSelector=...`, already encoded) or empty. Returns the items
/// and the number of pages. Stops with an error on a non-200 answer or after 1,000,000 pages.
pub fn list_all(
    base_url: &str,
    path: &str,
    query: &str,
    limit: usize,
    headers: &[(&str, &str)],
) -> io::Result<(Vec<Value>, usize)> {
    let mut items = Vec::new();
    let mut cont = String::new();
    for page in 1..=1_000_000 {
        let mut target = format!("{path}?limit={limit}");
        if !query.is_empty() {
            target.push('&');
            target.push_str(query);
        }
        if !cont.is_empty() {
            target.push_str("&continue=");
            target.push_str(&cont);
        }
        let resp = request(base_url, "GET", &target, headers, None)?;
        if resp.status != 200 {
            return Err(invalid(format!(
                "GET {target}: {} {}",
                resp.status,
                resp.text()
            )));
        }
        let mut doc = resp.json().map_err(|e| invalid(e.to_string()))?;
        if let Some(Value::Array(page_items)) = doc.get_mut("items").map(Value::take) {
            items.extend(page_items);
        }
        cont = doc["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if cont.is_empty() {
            return Ok((items, page));
        }
    }
    Err(invalid("too many pages"))
}
