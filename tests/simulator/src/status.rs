//! Replies, and `meta/v1` `Status` bodies worded as kube-apiserver words them.

use serde_json::{Value, json};

use crate::resources::ResourceInfo;

/// A response before encoding (gzip) and logging.
#[derive(Debug)]
pub(crate) struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub(crate) fn json(status: u16, v: &Value) -> Reply {
        Reply::bytes(status, v.to_string().into_bytes())
    }

    pub(crate) fn bytes(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            headers: Vec::new(),
            body,
        }
    }

    /// A Kubernetes protobuf body (see [`crate::protobuf`]).
    pub(crate) fn protobuf(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            content_type: crate::protobuf::MEDIA_TYPE,
            headers: Vec::new(),
            body,
        }
    }

    /// An error `Status` in protobuf (meta/v1 `Status` in the same envelope as objects), as
    /// kube-apiserver answers a request that negotiated protobuf; other replies unchanged.
    pub(crate) fn into_protobuf_status(self) -> Reply {
        if self.status < 400 || self.content_type != "application/json" {
            return self;
        }
        let Ok(v) = serde_json::from_slice::<Value>(&self.body) else {
            return self;
        };
        if v["kind"] != "Status" {
            return self;
        }
        match crate::protobuf::encode_object(&v) {
            Ok(body) => Reply {
                content_type: crate::protobuf::MEDIA_TYPE,
                body,
                ..self
            },
            Err(_) => self,
        }
    }

    pub(crate) fn text(status: u16, body: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            headers: Vec::new(),
            body: body.as_bytes().to_vec(),
        }
    }
}

/// A failure `Status`.
pub(crate) fn failure(code: u16, reason: &str, message: &str, details: Option<Value>) -> Reply {
    let mut v = json!({
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
    });
    if let Some(d) = details {
        v["details"] = d;
    }
    v["code"] = json!(code);
    Reply::json(code, &v)
}

/// `details` naming an object: `{"name", "group"?, "kind": plural}`.
pub(crate) fn details(r: &ResourceInfo, name: Option<&str>) -> Value {
    let mut d = serde_json::Map::new();
    if let Some(n) = name {
        d.insert("name".into(), json!(n));
    }
    if !r.group.is_empty() {
        d.insert("group".into(), json!(r.group));
    }
    d.insert("kind".into(), json!(r.plural));
    Value::Object(d)
}

pub(crate) fn success(code: u16) -> Reply {
    Reply::json(
        code,
        &json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "code": code}),
    )
}

pub(crate) fn not_found(r: &ResourceInfo, name: &str) -> Reply {
    failure(
        404,
        "NotFound",
        &format!("{} {name:?} not found", r.qualified()),
        Some(details(r, Some(name))),
    )
}

pub(crate) fn no_route() -> Reply {
    failure(
        404,
        "NotFound",
        "the server could not find the requested resource",
        Some(json!({})),
    )
}

pub(crate) fn bad_request(message: &str) -> Reply {
    failure(400, "BadRequest", message, None)
}

pub(crate) fn unauthorized() -> Reply {
    failure(401, "Unauthorized", "Unauthorized", None)
}

pub(crate) fn method_not_allowed(method: &str) -> Reply {
    failure(
        405,
        "MethodNotAllowed",
        &format!("the server does not allow this method on the requested resource ({method})"),
        Some(json!({})),
    )
}

pub(crate) fn not_acceptable(accept: &str) -> Reply {
    failure(
        406,
        "NotAcceptable",
        &format!(
            "only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io (asked for {accept})"
        ),
        None,
    )
}

/// 403 as RBAC words it.
pub(crate) fn forbidden(
    user: &str,
    verb: &str,
    r: &ResourceInfo,
    sub: Option<&str>,
    namespace: Option<&str>,
    name: Option<&str>,
) -> Reply {
    let resource = match sub {
        Some(s) => format!("{}/{s}", r.plural),
        None => r.plural.to_string(),
    };
    let subject = match name {
        Some(n) => format!("{} {n:?}", r.qualified()),
        None => r.qualified(),
    };
    let scope = match namespace {
        Some(ns) => format!("in the namespace {ns:?}"),
        None => "at the cluster scope".to_string(),
    };
    failure(
        403,
        "Forbidden",
        &format!(
            "{subject} is forbidden: User {user:?} cannot {verb} resource {resource:?} in API group {:?} {scope}",
            r.group
        ),
        Some(details(r, name)),
    )
}

/// 403 for a non-resource URL (discovery).
pub(crate) fn forbidden_path(user: &str, verb: &str, path: &str) -> Reply {
    failure(
        403,
        "Forbidden",
        &format!("forbidden: User {user:?} cannot {verb} path {path:?}"),
        Some(json!({})),
    )
}

pub(crate) fn too_many_requests(retry_after: u64) -> Reply {
    let mut reply = failure(
        429,
        "TooManyRequests",
        "Too many requests, please try again later.",
        Some(json!({"retryAfterSeconds": retry_after})),
    );
    reply.headers.push(("Retry-After", retry_after.to_string()));
    reply
}

pub(crate) fn internal_error(message: &str) -> Reply {
    failure(
        500,
        "InternalError",
        &format!("Internal error occurred: {message}"),
        Some(json!({"causes": [{"message": message}]})),
    )
}

pub(crate) fn service_unavailable() -> Reply {
    let mut reply = failure(
        503,
        "ServiceUnavailable",
        "the server is currently unable to handle the request",
        None,
    );
    reply.headers.push(("Retry-After", "1".into()));
    reply
}

/// Any other status code, with the reason kube-apiserver uses for it.
pub(crate) fn generic(code: u16) -> Reply {
    let reason = match code {
        400 => "BadRequest",
        404 => "NotFound",
        409 => "Conflict",
        410 => "Gone",
        422 => "Invalid",
        504 => "Timeout",
        _ => "Unknown",
    };
    failure(code, reason, &format!("simulated {code}"), None)
}

/// 410 Gone for an expired continue token.
pub(crate) fn expired() -> Reply {
    failure(
        410,
        "Expired",
        "The provided continuation parameter is too old to display a consistent list result. You can start a new list without the continue parameter.",
        None,
    )
}

/// 409 for a failed delete precondition.
pub(crate) fn conflict(r: &ResourceInfo, name: &str, message: &str) -> Reply {
    failure(409, "Conflict", message, Some(details(r, Some(name))))
}

/// 429 for an eviction a PodDisruptionBudget refuses.
pub(crate) fn pdb_refusal(pdb: &str) -> Reply {
    failure(
        429,
        "TooManyRequests",
        "Cannot evict pod as it would violate the pod's disruption budget.",
        Some(json!({"causes": [{
            "reason": "DisruptionBudget",
            "message": format!("The disruption budget {pdb} needs 1 healthy pods and has 1 currently")
        }]})),
    )
}
