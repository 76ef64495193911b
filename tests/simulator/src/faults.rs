//! Fault injection: which requests to break, how, and how many times.

use std::time::Duration;

/// The Kubernetes verb a request maps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Delete,
    /// Discovery and other non-resource requests, and methods the simulator does not serve.
    Other,
}

impl Verb {
    /// The lower-case RBAC verb.
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::List => "list",
            Verb::Watch => "watch",
            Verb::Create => "create",
            Verb::Delete => "delete",
            Verb::Other => "get",
        }
    }
}

/// Which requests a fault affects. Every field that is set must match.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Matcher {
    /// The URL path starts with this (e.g. `/api/v1/nodes`, `/apis`).
    pub path_prefix: Option<String>,
    /// The resource's plural (`pods`, `daemonsets`) or `pods/eviction`.
    pub resource: Option<String>,
    pub verb: Option<Verb>,
    pub namespace: Option<String>,
    /// `Some(true)`: only list requests carrying a continue token; `Some(false)`: only those without.
    pub continued: Option<bool>,
}

impl Matcher {
    /// Every request.
    pub fn any() -> Matcher {
        Matcher::default()
    }

    /// Requests whose path starts with `prefix`.
    pub fn path(prefix: impl Into<String>) -> Matcher {
        Matcher {
            path_prefix: Some(prefix.into()),
            ..Matcher::default()
        }
    }

    /// Requests for `resource` (plural, or `pods/eviction`) with `verb`.
    pub fn resource(resource: impl Into<String>, verb: Verb) -> Matcher {
        Matcher {
            resource: Some(resource.into()),
            verb: Some(verb),
            ..Matcher::default()
        }
    }

    /// Narrows to list requests that carry a continue token (pages after the first).
    pub fn continued(mut self) -> Matcher {
        self.continued = Some(true);
        self
    }

    /// Narrows to one namespace.
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Matcher {
        self.namespace = Some(namespace.into());
        self
    }

    pub(crate) fn matches(&self, req: &RequestInfo) -> bool {
        self.path_prefix
            .as_ref()
            .is_none_or(|p| req.path.starts_with(p.as_str()))
            && self
                .resource
                .as_ref()
                .is_none_or(|r| req.resource.as_deref() == Some(r.as_str()))
            && self.verb.is_none_or(|v| v == req.verb)
            && self
                .namespace
                .as_ref()
                .is_none_or(|n| req.namespace.as_deref() == Some(n.as_str()))
            && self.continued.is_none_or(|c| c == req.continued)
    }
}

/// What a fault does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer with this status code and a real `Status` body: 403 Forbidden (worded as RBAC
    /// words it, for the impersonated user or `SimOptions::user`), 429 with `Retry-After: 1`,
    /// 500 InternalError, 503 with `Retry-After: 1`, 401, or a generic body for other codes.
    Status(u16),
    /// Wait this long, then answer normally (or as the next matching fault says).
    Slow(Duration),
    /// Close the connection without answering.
    DropConnection,
    /// 200 with the real body cut in half (invalid JSON).
    MalformedBody,
    /// 410 Gone, reason Expired, as for a compacted continue token.
    ExpiredContinue,
    /// Just before answering, bump the resourceVersion of the object the request names (for a
    /// subresource such as `pods/eviction`, its pod), as a kubelet status update racing the
    /// request would; then answer normally. A delete or eviction with a resourceVersion
    /// precondition then gets 409 Conflict.
    Touch,
    /// 200 with a body of this many bytes (spaces, streamed: never held in memory), as a
    /// misbehaving server or a middlebox could send.
    HugeBody(usize),
    /// Carry the request out (a delete or eviction happens), then answer this status instead
    /// of the real answer, as a server whose response is lost after the write.
    AfterWrite(u16),
}

/// A fault: what to match, what to do, and how many matching requests to affect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fault {
    pub matcher: Matcher,
    pub kind: FaultKind,
    /// How many matching requests to affect; `None` means all of them.
    pub times: Option<usize>,
}

impl Fault {
    /// A fault that affects every matching request.
    pub fn new(matcher: Matcher, kind: FaultKind) -> Fault {
        Fault {
            matcher,
            kind,
            times: None,
        }
    }

    /// Affects only the first `n` matching requests, then behaves normally.
    pub fn times(mut self, n: usize) -> Fault {
        self.times = Some(n);
        self
    }
}

/// What the router knows about a request, for matching.
#[derive(Debug, Clone)]
pub(crate) struct RequestInfo {
    pub path: String,
    pub resource: Option<String>,
    pub verb: Verb,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub continued: bool,
}

/// Faults to apply to one request: the total delay, then at most one other fault.
#[derive(Debug, Default)]
pub(crate) struct Applied {
    pub delay: Duration,
    pub kind: Option<FaultKind>,
}

/// Consumes the faults that match a request. Slow faults add up; the first other one wins.
pub(crate) fn take(faults: &mut Vec<Fault>, req: &RequestInfo) -> Applied {
    let mut applied = Applied::default();
    for f in faults.iter_mut() {
        if f.times == Some(0) || !f.matcher.matches(req) {
            continue;
        }
        match &f.kind {
            FaultKind::Slow(d) => applied.delay += *d,
            other if applied.kind.is_none() => applied.kind = Some(other.clone()),
            _ => continue,
        }
        if let Some(t) = f.times.as_mut() {
            *t -= 1;
        }
    }
    faults.retain(|f| f.times != Some(0));
    applied
}
