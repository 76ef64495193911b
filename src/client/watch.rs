//! Watches: a list's `resourceVersion`, then `?watch=true` from it with bookmarks, read as a
//! stream of `{"type","object"}` events (client-go's `tools/cache/reflector.go: ListAndWatch`
//! protocol). Deciding what to do with a dropped watch or a 410 is the caller's
//! ([`crate::follow`]): resume from the last version seen, or relist.

use http::StatusCode;
use http_body_util::BodyExt;
use kube::api::WatchParams;
use serde::Deserialize;

use super::error::{ClientError, one_line};
use super::list::ListQuery;
use super::transport::{Retry, Transport};

/// How long the server keeps one watch open before ending it cleanly (client-go's reflector
/// picks 5–10 minutes; kube-core refuses 295 s and more). The caller then resumes.
const WATCH_SECONDS: u32 = 290;

/// One event of a watch.
#[derive(Debug, Clone, Deserialize)]
pub struct WatchEvent {
    /// ADDED, MODIFIED, DELETED, BOOKMARK or ERROR.
    #[serde(rename = "type")]
    pub kind: String,
    /// The object; for ERROR, a Status.
    pub object: serde_json::Value,
}

impl WatchEvent {
    /// The object's `metadata.resourceVersion` (a BOOKMARK's is its whole content).
    pub fn resource_version(&self) -> Option<&str> {
        self.object
            .pointer("/metadata/resourceVersion")
            .and_then(|v| v.as_str())
            .filter(|v| !v.is_empty())
    }

    /// An ERROR event whose Status says 410 Gone: the version is too old, relist.
    pub fn is_gone(&self) -> bool {
        self.kind == "ERROR" && self.object["code"].as_u64() == Some(410)
    }
}

/// An open watch.
pub struct WatchStream {
    body: kube::client::Body,
    buf: Vec<u8>,
    url: String,
    ctx: String,
}

impl WatchStream {
    /// The next event; `Ok(None)` when the server ended the watch cleanly (its timeout), an
    /// error when the connection broke or a line is not an event.
    pub async fn next(&mut self) -> Result<Option<WatchEvent>, ClientError> {
        loop {
            if let Some(end) = self.buf.iter().position(|b| *b == b'\n') {
                let line: Vec<u8> = self.buf.drain(..=end).collect();
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return serde_json::from_slice(&line)
                    .map(Some)
                    .map_err(|e| ClientError::Decode {
                        url: format!("GET {}", self.url),
                        ctx: self.ctx.clone(),
                        message: one_line(&e.to_string()),
                    });
            }
            match self.body.frame().await {
                None => return Ok(None),
                Some(Err(e)) => {
                    return Err(ClientError::Unreachable {
                        ctx: self.ctx.clone(),
                        detail: format!("watch broken: {}", one_line(&e.to_string())),
                        transient: true,
                    });
                }
                Some(Ok(frame)) => {
                    if let Ok(data) = frame.into_data() {
                        self.buf.extend_from_slice(&data);
                    }
                }
            }
        }
    }
}

impl ListQuery {
    /// The watch GET from `resource_version`, built by kube-core (`Request::watch`).
    fn watch_request(&self, resource_version: &str) -> Result<http::Request<Vec<u8>>, ClientError> {
        let params = WatchParams {
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            timeout: Some(WATCH_SECONDS),
            bookmarks: true,
            ..WatchParams::default()
        };
        kube::core::Request::new(&self.path)
            .watch(&params, resource_version)
            .map_err(|e| ClientError::Decode {
                url: format!("GET {}", self.path),
                ctx: String::from("(not sent)"),
                message: e.to_string(),
            })
    }
}

impl Transport {
    /// Opens a watch of `query` from `resource_version` (a list's). A refused watch (410 Gone
    /// for a version too old, 403 …) is an [`ClientError::Api`] the caller decides by.
    pub async fn watch(
        &self,
        query: &ListQuery,
        resource_version: &str,
    ) -> Result<WatchStream, ClientError> {
        let what = format!("watch {}", query.resource);
        let req = query.watch_request(resource_version)?;
        let url = req.uri().to_string();
        let (status, retry_after, body) = self.open(&what, req, Retry::Read).await?;
        if !status.is_success() {
            let bytes = body
                .collect()
                .await
                .map(|b| b.to_bytes())
                .unwrap_or_default();
            return Err(self.api_error(&what, status, retry_after, &bytes));
        }
        Ok(WatchStream {
            body,
            buf: Vec::new(),
            url,
            ctx: self.ctx.clone(),
        })
    }
}

/// A refused watch or an ERROR event that says the version is gone: relist.
pub fn is_gone(e: &ClientError) -> bool {
    e.api().is_some_and(|a| a.status == StatusCode::GONE)
}
