//! Pod reads and writes for `explain` and `fix`: one pod, the pods on one node, a pod's Warning
//! events, and deletes and evictions guarded by preconditions.

use std::time::Duration;

use http::StatusCode;
use kube::api::{DeleteParams, Preconditions as KubePreconditions};

use super::error::{ClientError, status_message};
use super::list::{ListQuery, encode};
use super::transport::{Retry, Transport};
use crate::model::{Event, Pod};

/// The preconditions of a delete or eviction: the pod the plan saw, and no other.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preconditions {
    pub uid: String,
    /// `None` when the plan had none (saved objects without one): the UID alone is checked.
    pub resource_version: Option<String>,
}

/// How the API server answered a delete or an eviction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WriteAnswer {
    /// 200/201/202: done (or, with `dryRun=All`, validated). Also a 404 after an attempt of ours
    /// whose answer was lost (a 5xx or a broken connection after the server acted).
    Accepted,
    /// 404 on the first attempt: the pod was already gone.
    NotFound,
    /// 409: a precondition failed (the pod changed since the plan).
    Conflict(String),
    /// 429: a PodDisruptionBudget refused the eviction, or the server is throttling.
    TooManyRequests {
        message: String,
        retry_after: Option<Duration>,
    },
    /// Anything else (403, 422, 5xx after the retries...).
    Refused { status: u16, message: String },
}

/// How a pod is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// DELETE: no PodDisruptionBudget is consulted.
    Delete,
    /// The eviction subresource: PodDisruptionBudgets may refuse (429).
    Evict,
}

/// A write's answer and the requests it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    pub answer: WriteAnswer,
    pub attempts: u32,
}

/// The DeleteOptions of a delete or eviction: preconditions, and `dryRun` when asked.
pub fn delete_params(pre: &Preconditions, dry_run: bool) -> DeleteParams {
    let mut dp = DeleteParams::default().preconditions(KubePreconditions {
        uid: Some(pre.uid.clone()),
        resource_version: pre.resource_version.clone(),
    });
    if dry_run {
        dp = dp.dry_run();
    }
    dp
}

/// The policy/v1 Eviction body for a pod. (kube-core's `Request::evict` writes the options
/// under `delete_options`, which the API server ignores; the field is `deleteOptions`.)
pub fn eviction_body(
    namespace: &str,
    name: &str,
    pre: &Preconditions,
    dry_run: bool,
) -> serde_json::Value {
    serde_json::json!({
        "apiVersion": "policy/v1",
        "kind": "Eviction",
        "metadata": { "name": name, "namespace": namespace },
        "deleteOptions": delete_params(pre, dry_run),
    })
}

fn pods_path(namespace: &str) -> String {
    format!("/api/v1/namespaces/{}/pods", encode(namespace))
}

impl Transport {
    /// The pod as it is now; `None` when it is gone.
    pub async fn get_pod(&self, namespace: &str, name: &str) -> Result<Option<Pod>, ClientError> {
        let path = format!("{}/{}", pods_path(namespace), encode(name));
        self.get(&format!("get pod {namespace}/{name}"), &path)
            .await
    }

    /// The pods bound to `node`: in `namespace` and matching `selector`, or (both `None`) every
    /// pod in the cluster (`fieldSelector=spec.nodeName=NODE`).
    pub async fn pods_on_node(
        &self,
        namespace: Option<&str>,
        selector: Option<&str>,
        node: &str,
    ) -> Result<Vec<Pod>, ClientError> {
        let path = match namespace {
            Some(ns) => pods_path(ns),
            None => "/api/v1/pods".to_string(),
        };
        let query = ListQuery::new("pods", path)
            .labels(selector)
            .fields(format!("spec.nodeName={node}"));
        self.list(&query).await
    }

    /// The Warning events of each pod (`involvedObject.name=POD,type=Warning`), in order.
    pub async fn warning_events(
        &self,
        namespace: &str,
        pods: &[String],
    ) -> Result<Vec<(String, Vec<Event>)>, ClientError> {
        let mut out = Vec::with_capacity(pods.len());
        for pod in pods {
            let query = ListQuery::new(
                "events",
                format!("/api/v1/namespaces/{}/events", encode(namespace)),
            )
            .fields(format!("involvedObject.name={pod},type=Warning"));
            out.push((pod.clone(), self.list::<Event>(&query).await?));
        }
        Ok(out)
    }

    /// Remove the pod — DELETE it, or POST a policy/v1 Eviction — with preconditions, and
    /// `dryRun=All` (in the options and in the query, as kubectl's `--dry-run=server` sends it)
    /// when `dry_run`.
    pub async fn remove_pod(
        &self,
        how: Removal,
        namespace: &str,
        name: &str,
        pre: &Preconditions,
        dry_run: bool,
    ) -> Result<Written, ClientError> {
        let pod = format!("{}/{}", pods_path(namespace), encode(name));
        let (method, mut url, body, verb) = match how {
            Removal::Delete => (
                http::Method::DELETE,
                pod,
                serde_json::to_value(delete_params(pre, dry_run))
                    .map_err(|e| self.decode_error(name, &e))?,
                "delete",
            ),
            Removal::Evict => (
                http::Method::POST,
                format!("{pod}/eviction"),
                eviction_body(namespace, name, pre, dry_run),
                "evict",
            ),
        };
        if dry_run {
            url.push_str("?dryRun=All");
        }
        let req = http::Request::builder()
            .method(method)
            .uri(url)
            .header(http::header::CONTENT_TYPE, "application/json")
            .body(body.to_string().into_bytes())
            .map_err(|e| self.decode_error(name, &e))?;
        self.write(&format!("{verb} pod {namespace}/{name}"), req)
            .await
    }

    async fn write(&self, what: &str, req: http::Request<Vec<u8>>) -> Result<Written, ClientError> {
        let answer = self.send(what, req, Retry::Write).await?;
        let (_, message) = status_message(&answer.body);
        let status = answer.status;
        let answer_kind = match status {
            s if s.is_success() => WriteAnswer::Accepted,
            // Our own earlier attempt was sent and its answer lost: the pod it removed is gone.
            StatusCode::NOT_FOUND if answer.attempts > 1 => WriteAnswer::Accepted,
            StatusCode::NOT_FOUND => WriteAnswer::NotFound,
            StatusCode::CONFLICT => WriteAnswer::Conflict(message),
            StatusCode::TOO_MANY_REQUESTS => WriteAnswer::TooManyRequests {
                message,
                retry_after: answer.retry_after,
            },
            s => WriteAnswer::Refused {
                status: s.as_u16(),
                message: if s == StatusCode::FORBIDDEN {
                    format!(
                        "{message} (fix needs delete on pods and create on pods/eviction; see README 'RBAC')"
                    )
                } else {
                    message
                },
            },
        };
        Ok(Written {
            answer: answer_kind,
            attempts: answer.attempts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_carry_uid_and_resource_version_preconditions() {
        let pre = Preconditions {
            uid: "u-1".into(),
            resource_version: Some("42".into()),
        };
        let body = eviction_body("logging", "fluent-bit-x", &pre, false);
        assert_eq!(body["apiVersion"], "policy/v1");
        assert_eq!(body["kind"], "Eviction");
        assert_eq!(body["metadata"]["name"], "fluent-bit-x");
        assert_eq!(body["metadata"]["namespace"], "logging");
        assert_eq!(body["deleteOptions"]["preconditions"]["uid"], "u-1");
        assert_eq!(
            body["deleteOptions"]["preconditions"]["resourceVersion"],
            "42"
        );
        assert!(body["deleteOptions"].get("dryRun").is_none());
        let dry = serde_json::to_value(delete_params(&pre, true)).unwrap();
        assert_eq!(dry["dryRun"], serde_json::json!(["All"]));
        assert_eq!(dry["preconditions"]["resourceVersion"], "42");
        let uid_only = serde_json::to_value(delete_params(
            &Preconditions {
                uid: "u-2".into(),
                resource_version: None,
            },
            false,
        ))
        .unwrap();
        assert_eq!(uid_only["preconditions"], serde_json::json!({"uid": "u-2"}));
    }
}
