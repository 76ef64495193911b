//! Reads: paged lists (`limit`/`continue`, restarted when a continue token expires), single
//! objects, and names for completion. Pages are decoded straight into the caller's slim types.

use std::sync::atomic::Ordering;

use http::StatusCode;
use kube::api::ListParams;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ClientError};
use super::transport::{Retry, Transport};

/// What to list: the collection's path, and the selectors sent with it.
#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// The resource's plural name, for messages (`pods`).
    pub resource: String,
    /// `/api/v1/namespaces/NS/pods`.
    pub path: String,
    /// `labelSelector`, in the API's syntax; empty or `None`: everything (not sent).
    pub label_selector: Option<String>,
    /// `fieldSelector` (`spec.nodeName=NODE`).
    pub field_selector: Option<String>,
}

impl ListQuery {
    pub fn new(resource: &str, path: impl Into<String>) -> ListQuery {
        ListQuery {
            resource: resource.to_string(),
            path: path.into(),
            ..ListQuery::default()
        }
    }

    pub fn labels(mut self, selector: Option<&str>) -> ListQuery {
        self.label_selector = selector.filter(|s| !s.is_empty()).map(str::to_string);
        self
    }

    pub fn fields(mut self, selector: impl Into<String>) -> ListQuery {
        self.field_selector = Some(selector.into());
        self
    }

    /// The GET of one page, built by kube-core (`Request::list`), its URL tidied: kube-core
    /// starts the query with `?&` and leaves a bare `?` when there is none.
    fn request(
        &self,
        limit: u32,
        continue_token: Option<String>,
    ) -> Result<http::Request<Vec<u8>>, ClientError> {
        let invalid = |message: String| ClientError::Decode {
            url: format!("GET {}", self.path),
            ctx: String::from("(not sent)"),
            message,
        };
        let mut req = kube::core::Request::new(&self.path)
            .list(&self.params(limit, continue_token))
            .map_err(|e| invalid(e.to_string()))?;
        let url = req.uri().to_string().replacen("?&", "?", 1);
        let url = url.strip_suffix('?').unwrap_or(&url);
        *req.uri_mut() = url
            .parse()
            .map_err(|e: http::uri::InvalidUri| invalid(e.to_string()))?;
        Ok(req)
    }

    fn params(&self, limit: u32, continue_token: Option<String>) -> ListParams {
        ListParams {
            label_selector: self.label_selector.clone(),
            field_selector: self.field_selector.clone(),
            limit: (limit > 0).then_some(limit),
            continue_token,
            ..ListParams::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_urls_carry_only_the_selectors_given() {
        let url = |q: &ListQuery, limit, cont: Option<&str>| {
            q.request(limit, cont.map(str::to_string))
                .unwrap()
                .uri()
                .to_string()
        };
        let q = ListQuery::new("nodes", "/api/v1/nodes");
        assert_eq!(url(&q, 0, None), "/api/v1/nodes");
        assert_eq!(url(&q, 500, None), "/api/v1/nodes?limit=500");
        // `-l ''` is everything, as in kubectl: no labelSelector at all.
        assert_eq!(url(&q.clone().labels(Some("")), 0, None), "/api/v1/nodes");
        let q = ListQuery::new("pods", "/api/v1/pods")
            .labels(Some("app=a,tier in (x,y)"))
            .fields("spec.nodeName=n1");
        assert_eq!(
            url(&q, 50, Some("tok/en")),
            "/api/v1/pods?fieldSelector=spec.nodeName%3Dn1&labelSelector=app%3Da%2Ctier+in+%28x%2Cy%29&limit=50&continue=tok%2Fen"
        );
    }

    #[test]
    fn protobuf_pages_give_pods_token_and_version() {
        use crate::protobuf::write::Msg;
        let pod = |name: &str| Msg::new().msg(1, Msg::new().str(1, name).str(3, "ns"));
        let body = Msg::new()
            .msg(1, Msg::new().str(2, "77").str(3, "next"))
            .msg(2, pod("a"))
            .msg(2, pod("b"))
            .body("v1", "PodList");
        let page = protobuf_page(&body, crate::protobuf::pod).unwrap();
        assert_eq!(page.metadata.continue_.as_deref(), Some("next"));
        assert_eq!(page.metadata.resource_version.as_deref(), Some("77"));
        let names: Vec<&str> = page.items.iter().map(|p| p.name()).collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(&*page.items[1].metadata.namespace, "ns");
        // A single object where a list was asked for, and a broken item, are errors.
        let single = pod("a").body("v1", "Pod");
        let Err(err) = protobuf_page(&single, crate::protobuf::pod) else {
            panic!("a Pod read as a list")
        };
        assert!(
            err.to_string().contains("a Pod where a list was expected"),
            "{err}"
        );
        let broken = Msg::new()
            .msg(2, Msg::new().msg(1, Msg::new().int(1, 3)))
            .body("v1", "PodList");
        let Err(err) = protobuf_page(&broken, crate::protobuf::pod) else {
            panic!("a broken item read")
        };
        assert!(err.to_string().contains("metadata.name"), "{err}");
    }
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
    #[serde(rename = "resourceVersion", default)]
    resource_version: Option<String>,
}

/// A type list pages decode into: always from JSON, and from Kubernetes protobuf where a reader
/// exists (pods: the bulk of every audit, see [`crate::protobuf`]). A list of such a type asks
/// `Accept: application/vnd.kubernetes.protobuf, application/json`, as client-go does; the
/// server picks, and the body is read as the `Content-Type` it answered says.
pub trait Listed: DeserializeOwned {
    /// The item's protobuf reader; `None`: the type is read from JSON only.
    const PROTOBUF: Option<crate::protobuf::Reader<Self>> = None;
}

impl Listed for crate::model::Pod {
    const PROTOBUF: Option<crate::protobuf::Reader<Self>> = Some(crate::protobuf::pod);
}
impl Listed for crate::model::Node {}
impl Listed for crate::model::ControllerRevision {}
impl Listed for crate::model::Event {}
impl Listed for serde_json::Value {}

/// What `Accept` a list of protobuf-readable items sends.
const ACCEPT_PROTOBUF: &str = "application/vnd.kubernetes.protobuf, application/json";

/// Continue-token expiries (410 Gone) tolerated before a list gives up.
const RESTARTS: u32 = 3;

impl Transport {
    /// Every page of `query`, restarting (boundedly) when a continue token expires.
    pub async fn list<T: Listed>(&self, query: &ListQuery) -> Result<Vec<T>, ClientError> {
        self.list_versioned(query).await.map(|(items, _)| items)
    }

    /// [`Transport::list`], with the list's `resourceVersion` (every page of a list is read at
    /// the first page's version): where a watch of the same query starts.
    pub async fn list_versioned<T: Listed>(
        &self,
        query: &ListQuery,
    ) -> Result<(Vec<T>, String), ClientError> {
        // "list pods in namespace web": a 403 names what could not be read, and where.
        let what = match query.path.split("/namespaces/").nth(1) {
            Some(rest) => format!(
                "list {} in namespace {}",
                query.resource,
                rest.split('/').next().unwrap_or(rest)
            ),
            None => format!("list {}", query.resource),
        };
        for restart in 0..=RESTARTS {
            let mut out: Vec<T> = Vec::new();
            let mut cont: Option<String> = None;
            let expired = loop {
                let mut req = query.request(self.page_size(), cont.clone())?;
                if T::PROTOBUF.is_some() {
                    req.headers_mut().insert(
                        http::header::ACCEPT,
                        http::HeaderValue::from_static(ACCEPT_PROTOBUF),
                    );
                }
                let url = req.uri().to_string();
                let answer = self.send(&what, req, Retry::Read).await?;
                if answer.status == StatusCode::GONE && cont.is_some() {
                    break true;
                }
                if !answer.status.is_success() {
                    return Err(self.api_error(
                        &what,
                        answer.status,
                        answer.retry_after,
                        &answer.body,
                    ));
                }
                let page: ListPage<T> = match T::PROTOBUF.filter(|_| answer.protobuf) {
                    Some(item) => protobuf_page(&answer.body, item)
                        .map_err(|e| self.decode_error(&url, &e))?,
                    // The page checked as UTF-8 in one pass, then parsed as text: cheaper
                    // than checking each of its hundreds of thousands of strings on its own.
                    None => std::str::from_utf8(&answer.body)
                        .map_err(|e| self.decode_error(&url, &e))
                        .and_then(|text| {
                            serde_json::from_str(text)
                                .map_err(|e| self.json_error(&url, &answer.body, &e))
                        })?,
                };
                self.recycle(answer.body);
                self.objects.fetch_add(page.items.len(), Ordering::Relaxed);
                out.extend(page.items);
                match page.metadata.continue_.filter(|c| !c.is_empty()) {
                    Some(c) => cont = Some(c),
                    None => {
                        return Ok((out, page.metadata.resource_version.unwrap_or_default()));
                    }
                }
            };
            if expired && restart < RESTARTS {
                self.log(&format!(
                    "continue token for {} expired (410 Gone); restarting the list",
                    query.resource
                ));
            }
        }
        Err(ClientError::Api {
            what,
            ctx: self.ctx.clone(),
            api: ApiError {
                status: StatusCode::GONE,
                reason: "Expired".into(),
                message: "the API server keeps expiring the list".into(),
                retry_after: None,
                credentials_withheld: self.credentials_withheld,
            },
        })
    }

    /// One object at `path` (`/api/v1/namespaces/NS/pods/NAME`); `None` when it does not exist.
    pub async fn get<T: DeserializeOwned>(
        &self,
        what: &str,
        path: &str,
    ) -> Result<Option<T>, ClientError> {
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| self.decode_error(path, &e))?;
        let answer = self.send(what, req, Retry::Read).await?;
        if answer.status == StatusCode::NOT_FOUND {
            return Ok(None);
        }
        if !answer.status.is_success() {
            return Err(self.api_error(what, answer.status, answer.retry_after, &answer.body));
        }
        serde_json::from_slice(&answer.body)
            .map(Some)
            .map_err(|e| self.json_error(path, &answer.body, &e))
    }

    /// Names of the objects listed at `path` (one unpaged request, no retries): for shell
    /// completion, where a quick answer or none beats a slow one.
    pub async fn names(&self, path: &str) -> Result<Vec<String>, ClientError> {
        #[derive(Deserialize)]
        struct Named {
            #[serde(default)]
            metadata: crate::model::ObjectMeta,
        }
        let req = http::Request::get(path)
            .body(Vec::new())
            .map_err(|e| self.decode_error(path, &e))?;
        let answer = self.send("list names", req, Retry::Never).await?;
        if !answer.status.is_success() {
            return Err(self.api_error("list names", answer.status, None, &answer.body));
        }
        let page: ListPage<Named> = serde_json::from_slice(&answer.body)
            .map_err(|e| self.json_error(path, &answer.body, &e))?;
        Ok(page.items.into_iter().map(|n| n.metadata.name).collect())
    }

    pub(crate) fn api_error(
        &self,
        what: &str,
        status: StatusCode,
        retry_after: Option<std::time::Duration>,
        body: &[u8],
    ) -> ClientError {
        ClientError::Api {
            what: format!("cannot {what}"),
            ctx: self.ctx.clone(),
            api: ApiError {
                credentials_withheld: self.credentials_withheld,
                ..ApiError::from_response(status, retry_after, body)
            },
        }
    }

    /// An answer that did not read as the JSON object it should be. One that is not a JSON
    /// object at all is named by what it looks like, and the server address is what to check:
    /// an HTML page is a proxy's, a login page or a web server's, not an API server's. Its text
    /// is not quoted (a page can hold anything).
    pub(crate) fn json_error(&self, url: &str, body: &[u8], e: &serde_json::Error) -> ClientError {
        let looks = match body.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'{') => return self.decode_error(url, e),
            Some(b'<') => "an HTML or XML page",
            Some(_) => "not a JSON object",
            None => "empty",
        };
        ClientError::Decode {
            url: format!("GET {url}"),
            ctx: self.ctx.clone(),
            message: format!(
                "the answer is {looks}, not the Kubernetes API's: is the server address (-s, or \
                 the kubeconfig's cluster) an API server's, not a proxy's or a login page's?"
            ),
        }
    }

    pub(crate) fn decode_error(&self, url: &str, e: &dyn std::fmt::Display) -> ClientError {
        ClientError::Decode {
            url: format!("GET {url}"),
            ctx: self.ctx.clone(),
            message: super::error::one_line(&e.to_string()),
        }
    }
}

/// A protobuf list page, each item read by `item`.
fn protobuf_page<T>(
    body: &[u8],
    item: crate::protobuf::Reader<T>,
) -> Result<ListPage<T>, crate::protobuf::Error> {
    let envelope = crate::protobuf::envelope(body)?;
    if !envelope.kind.ends_with("List") {
        return Err(crate::protobuf::Error(format!(
            "body: a {} where a list was expected",
            if envelope.kind.is_empty() {
                "message without a kind"
            } else {
                envelope.kind
            }
        )));
    }
    let page = crate::protobuf::list(envelope.raw)?;
    Ok(ListPage {
        metadata: ListMeta {
            continue_: Some(page.continue_),
            resource_version: Some(page.resource_version),
        },
        items: page.items.into_iter().map(item).collect::<Result<_, _>>()?,
    })
}

/// Percent-encode a path segment or query value (RFC 3986 unreserved characters pass).
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
