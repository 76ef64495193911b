//! Typed errors of the client layer: what the API server answered (status, reason, message,
//! `Retry-After`) or why no answer came, so that callers decide by fields, never by text.

use std::time::Duration;

use http::StatusCode;
use serde::Deserialize;

/// An error answer of the API server: a non-2xx status with its `Status` body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    /// `Status.reason` (`Forbidden`, `NotFound`, `Expired`…), empty when the body had none.
    pub reason: String,
    /// `Status.message` with its causes, on one line (or the start of a non-Status body).
    pub message: String,
    pub retry_after: Option<Duration>,
    /// The request went without the kubeconfig's credentials (a plain `http://` server:
    /// client-go sends them over TLS only), so a 401 is no rejection of them.
    pub credentials_withheld: bool,
}

impl ApiError {
    pub fn from_response(status: StatusCode, retry_after: Option<Duration>, body: &[u8]) -> Self {
        let (reason, message) = status_message(body);
        ApiError {
            status,
            reason,
            message,
            retry_after,
            credentials_withheld: false,
        }
    }

    /// `"403 Forbidden"`.
    pub fn status_line(&self) -> String {
        format!(
            "{} {}",
            self.status.as_u16(),
            self.status.canonical_reason().unwrap_or("")
        )
    }

    /// `User "x" cannot list ...` → `x`.
    pub fn user(&self) -> Option<&str> {
        let rest = &self.message[self.message.find("User \"")? + 6..];
        Some(&rest[..rest.find('"')?])
    }
}

/// Why a request did not produce an answer, or what the answer was when it is an error.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The kubeconfig or in-cluster configuration cannot be used.
    #[error("{0}")]
    Config(String),
    /// No connection, or the connection broke, after the retries.
    #[error("cannot reach the API server {ctx}: {detail}")]
    Unreachable {
        ctx: String,
        detail: String,
        /// Whether retrying may help (a reset or half-read answer, not a refused connection).
        transient: bool,
    },
    /// `--request-timeout` elapsed.
    #[error("{what}: the request to {ctx} timed out after {after} (--request-timeout)")]
    Timeout {
        what: String,
        ctx: String,
        after: String,
    },
    /// The API server answered with an error status.
    #[error("{}", api_message(what, ctx, api))]
    Api {
        what: String,
        ctx: String,
        api: ApiError,
    },
    /// An answer that is not what the API sends.
    #[error("unexpected response to {url} from {ctx}: {message}")]
    Decode {
        url: String,
        ctx: String,
        message: String,
    },
    /// An answer larger than any API server sends for one request.
    #[error(
        "the answer to {url} from {ctx} is larger than {limit_mib} MiB: not a Kubernetes API response (lower --chunk-size if it is one)"
    )]
    TooLarge {
        url: String,
        ctx: String,
        limit_mib: usize,
    },
}

impl ClientError {
    /// The API's status when the server answered with an error.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            ClientError::Api { api, .. } => Some(api),
            _ => None,
        }
    }
}

/// One line that names the operation, what the server said and what to do.
fn api_message(what: &str, ctx: &str, api: &ApiError) -> String {
    match api.status {
        StatusCode::UNAUTHORIZED if api.credentials_withheld => format!(
            "{what}: unauthorized by {ctx} — the server wants credentials, and the kubeconfig's \
             credentials are not sent over plain http (kubectl sends them over https:// only); use \
             the server's https:// address"
        ),
        StatusCode::UNAUTHORIZED => format!(
            "{what}: unauthorized by {ctx} — the credentials were rejected; refresh the token or log in again"
        ),
        StatusCode::FORBIDDEN => format!(
            "{what}: forbidden{} — ds-coverage needs list on nodes, pods, daemonsets, controllerrevisions; see README 'RBAC'",
            api.user()
                .map(|u| format!(" for user {u}"))
                .unwrap_or_default()
        ),
        _ => format!(
            "{what}: the API server {ctx} answered {}{}: {}",
            api.status_line(),
            if api.reason.is_empty() {
                String::new()
            } else {
                format!(" ({})", api.reason)
            },
            api.message
        ),
    }
}

/// The reason and message of an API `Status` body, with its causes (a PodDisruptionBudget
/// refusal names the budget there), on one line.
pub fn status_message(body: &[u8]) -> (String, String) {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Cause {
        message: String,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Details {
        causes: Vec<Cause>,
    }
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct Status {
        message: String,
        reason: String,
        details: Option<Details>,
    }
    // A request that accepted protobuf gets its error Status as protobuf too.
    let s: Status = match crate::protobuf::status(body) {
        Some((reason, message, causes)) => Status {
            message,
            reason,
            details: Some(Details {
                causes: causes
                    .into_iter()
                    .map(|message| Cause { message })
                    .collect(),
            }),
        },
        None => serde_json::from_slice(body).unwrap_or_default(),
    };
    let mut parts = Vec::new();
    if !s.message.is_empty() {
        parts.push(s.message.clone());
    }
    for c in s.details.map(|d| d.causes).unwrap_or_default() {
        if !c.message.is_empty() && !s.message.contains(&c.message) {
            parts.push(c.message);
        }
    }
    if parts.is_empty() {
        if body.starts_with(crate::protobuf::MAGIC) {
            // Binary: its bytes would reach the terminal as control characters.
            return (
                s.reason,
                "a protobuf answer without a Status message".into(),
            );
        }
        let start: String = String::from_utf8_lossy(body).chars().take(200).collect();
        return (s.reason, one_line(&start));
    }
    let joined = parts.iter().skip(1).fold(parts[0].clone(), |acc, p| {
        let sep = if acc.ends_with('.') { " " } else { ": " };
        format!("{acc}{sep}{p}")
    });
    (s.reason, one_line(&joined))
}

/// Whitespace (newlines included) folded to single spaces, every other control character
/// escaped (`render::safe::one_line`): every error and every message quoted from the cluster is
/// one line that a terminal prints as it is.
pub fn one_line(s: &str) -> String {
    let folded = s.split_whitespace().collect::<Vec<_>>().join(" ");
    crate::render::safe::one_line(&folded).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_messages_include_the_pdb_cause() {
        let body = br#"{"kind":"Status","reason":"TooManyRequests","message":"Cannot evict pod as it would violate the pod's disruption budget.","details":{"causes":[{"reason":"DisruptionBudget","message":"The disruption budget fb-pdb needs 1 healthy pods and has 1 currently"}]}}"#;
        let (reason, message) = status_message(body);
        assert_eq!(reason, "TooManyRequests");
        assert_eq!(
            message,
            "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget fb-pdb needs 1 healthy pods and has 1 currently"
        );
        assert_eq!(status_message(b"plain\ntext").1, "plain text");
    }

    #[test]
    fn protobuf_statuses_read_as_json_ones_and_other_binaries_are_not_printed() {
        use crate::protobuf::write::Msg;
        let body = Msg::new()
            .str(
                3,
                "Cannot evict pod as it would violate the pod's disruption budget.",
            )
            .str(4, "TooManyRequests")
            .msg(
                5,
                Msg::new().msg(4, Msg::new().str(2, "The disruption budget fb-pdb needs 1")),
            )
            .int(6, 429)
            .body("v1", "Status");
        assert_eq!(
            status_message(&body),
            (
                "TooManyRequests".to_string(),
                "Cannot evict pod as it would violate the pod's disruption budget. The disruption budget fb-pdb needs 1".to_string()
            )
        );
        let mut garbage = crate::protobuf::MAGIC.to_vec();
        garbage.extend([0x0a, 0xff, 0x01, 0x07, 0x1b, b'[', b'2', b'J']);
        let (reason, message) = status_message(&garbage);
        assert_eq!(reason, "");
        assert_eq!(message, "a protobuf answer without a Status message");
    }

    #[test]
    fn forbidden_messages_name_the_user() {
        let api = ApiError::from_response(
            StatusCode::FORBIDDEN,
            None,
            br#"{"message":"nodes is forbidden: User \"system:serviceaccount:ci:auditor\" cannot list resource \"nodes\"","reason":"Forbidden"}"#,
        );
        assert_eq!(api.user(), Some("system:serviceaccount:ci:auditor"));
        assert_eq!(api.reason, "Forbidden");
        assert_eq!(api.status_line(), "403 Forbidden");
    }
}
