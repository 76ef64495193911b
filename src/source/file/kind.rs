//! The kind of an object that does not say it: sonobuoy's `resources/cluster/Nodes.json` and
//! `resources/ns/<ns>/Pods.json` (bare arrays of kindless items), troubleshoot.sh's
//! `cluster-resources/nodes.json` and `cluster-resources/pods/<ns>.json`, Python-client dumps.
//! The object's own selfLink decides when it has one (clusters before 1.20 set it); otherwise
//! the file's name, and only when the object's shape agrees with it.

use std::path::Path;

use serde_json::Value;

/// The kind a selfLink names (`/api/v1/nodes/NAME`, `/apis/apps/v1/namespaces/NS/daemonsets/NAME`),
/// `Some("")` for a kind the audit does not read, `None` without a selfLink.
pub(super) fn from_self_link(v: &Value) -> Option<&'static str> {
    let link = v.pointer("/metadata/selfLink")?.as_str()?;
    let segs: Vec<&str> = link.trim_end_matches('/').split('/').collect();
    if segs.len() < 3 || !matches!(segs.get(1), Some(&("api" | "apis"))) {
        return None;
    }
    Some(resource_kind(segs[segs.len() - 2]).unwrap_or(""))
}

fn resource_kind(plural: &str) -> Option<&'static str> {
    Some(match plural {
        "nodes" => "Node",
        "pods" => "Pod",
        "daemonsets" => "DaemonSet",
        "controllerrevisions" => "ControllerRevision",
        _ => return None,
    })
}

/// Words that, next to a kind's name, mean the file holds something else
/// (`kube-node-lease.json`, `pod-disruption-budgets/`, `podsecuritypolicies.json`).
const OTHER: &[&str] = &[
    "lease",
    "leases",
    "disruption",
    "budget",
    "budgets",
    "security",
    "policy",
    "policies",
    "metrics",
    "template",
    "templates",
    "logs",
    "log",
    "errors",
    "error",
    "events",
    "event",
    "presets",
];

/// The kind the file's name says: its directory when named after a kind (troubleshoot's
/// `pods/<namespace>.json`), else its own name (`Nodes.json`, `core_v1_pods.json`,
/// `sonobuoy-aws3-daemonsets.json`, `appsV2Api_list_daemon_set_for_all_namespaces.yaml`).
pub(super) fn from_path(path: &Path) -> Option<&'static str> {
    let dir = path
        .parent()
        .and_then(Path::file_name)
        .and_then(|n| n.to_str());
    if let Some(dir) = dir {
        let words = words(dir);
        if let [only] = kinds_in(&words).as_slice()
            && words.len() <= 2
            && !words.iter().any(|w| OTHER.contains(&w.as_str()))
        {
            return Some(only);
        }
    }
    let stem = path.file_stem()?.to_str()?;
    let stem = stem.strip_suffix(".pyclient").unwrap_or(stem);
    let words = words(stem);
    if words.iter().any(|w| OTHER.contains(&w.as_str())) {
        return None;
    }
    match kinds_in(&words).as_slice() {
        [only] => Some(only),
        _ => None,
    }
}

/// Lower-case words of a name: split at anything not alphanumeric and at camelCase humps.
fn words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut prev_lower = false;
    for c in name.chars() {
        if !c.is_ascii_alphanumeric() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
            prev_lower = false;
            continue;
        }
        if c.is_ascii_uppercase() && prev_lower && !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
        prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
        cur.push(c.to_ascii_lowercase());
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// The distinct kinds named by the words, alone or as two words (`daemon_set`).
fn kinds_in(words: &[String]) -> Vec<&'static str> {
    let mut found: Vec<&'static str> = Vec::new();
    let mut push = |k: &'static str| {
        if !found.contains(&k) {
            found.push(k);
        }
    };
    for (i, w) in words.iter().enumerate() {
        let next = words.get(i + 1).map(String::as_str).unwrap_or("");
        match (w.as_str(), next) {
            ("node" | "nodes", _) => push("Node"),
            ("pod" | "pods", _) => push("Pod"),
            ("daemonset" | "daemonsets", _) | ("daemon", "set" | "sets") => push("DaemonSet"),
            ("controllerrevision" | "controllerrevisions", _)
            | ("controller", "revision" | "revisions") => push("ControllerRevision"),
            _ => {}
        }
    }
    found
}

/// Whether an object has the shape of `kind`, so that a file name is never trusted against
/// the object it holds (a DaemonSet read as a Node would be a wrong report).
pub(super) fn shape_fits(kind: &str, v: &Value) -> bool {
    let has = |p: &str| v.pointer(p).is_some_and(|x| !x.is_null());
    match kind {
        "Node" => {
            !has("/metadata/namespace")
                && !has("/spec/containers")
                && !has("/spec/template")
                && !has("/data")
        }
        "Pod" => matches!(v.pointer("/spec/containers"), Some(Value::Array(_))),
        "DaemonSet" => has("/spec/template") && has("/spec/selector") && !has("/spec/replicas"),
        "ControllerRevision" => has("/revision"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_of_the_capture_tools() {
        let k = |p: &str| from_path(Path::new(p));
        assert_eq!(k("resources/cluster/Nodes.json"), Some("Node"));
        assert_eq!(
            k("resources/ns/kube-system/DaemonSets.json"),
            Some("DaemonSet")
        );
        assert_eq!(k("resources/ns/kube-system/Pods.json"), Some("Pod"));
        assert_eq!(
            k("resources/ns/kube-system/ControllerRevisions.json"),
            Some("ControllerRevision")
        );
        assert_eq!(k("resources/cluster/core_v1_nodes.json"), Some("Node"));
        assert_eq!(k("cluster-resources/nodes.json"), Some("Node"));
        assert_eq!(
            k("cluster-resources/pods/kube-node-lease.json"),
            Some("Pod")
        );
        assert_eq!(
            k("cluster-resources/daemonsets/default.json"),
            Some("DaemonSet")
        );
        assert_eq!(
            k("x/appsV2Api_list_daemon_set_for_all_namespaces.yaml"),
            Some("DaemonSet")
        );
        assert_eq!(k("x/coreV1_api_list_node.yaml"), Some("Node"));
        assert_eq!(k("x/kalc-gke5-pods.pyclient.yaml"), Some("Pod"));
        // Names that do not say one of the four kinds.
        assert_eq!(
            k("cluster-resources/pod-disruption-budgets/kube-node-lease.json"),
            None
        );
        assert_eq!(k("cluster-resources/deployments/default.json"), None);
        assert_eq!(k("cluster-resources/podsecuritypolicies.json"), None);
        assert_eq!(k("x/nodes-and-pods.json"), None);
        assert_eq!(k("cluster-resources/pods/logs/x.json"), None);
    }

    #[test]
    fn self_links_name_the_resource() {
        let v = |l: &str| serde_json::json!({"metadata": {"selfLink": l}});
        assert_eq!(from_self_link(&v("/api/v1/nodes/n1")), Some("Node"));
        assert_eq!(
            from_self_link(&v("/apis/apps/v1/namespaces/a/daemonsets/d")),
            Some("DaemonSet")
        );
        assert_eq!(
            from_self_link(&v("/apis/apps/v1/namespaces/a/deployments/d")),
            Some("")
        );
        assert_eq!(from_self_link(&serde_json::json!({})), None);
    }
}
