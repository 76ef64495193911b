//! The resources the simulator serves and the legacy (non-aggregated) discovery documents that
//! describe them, as kube-apiserver v1.31 returns them.

use serde_json::{Value, json};

/// One served resource type.
#[derive(Debug)]
pub(crate) struct ResourceInfo {
    /// API group; `""` is the core group.
    pub group: &'static str,
    pub version: &'static str,
    pub plural: &'static str,
    pub singular: &'static str,
    pub kind: &'static str,
    pub namespaced: bool,
    pub short_names: &'static [&'static str],
    pub categories: &'static [&'static str],
    /// Field-selector labels beyond `metadata.name` / `metadata.namespace`.
    pub fields: &'static [&'static str],
}

impl ResourceInfo {
    /// `v1` or `apps/v1`.
    pub(crate) fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.to_string()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `daemonsets.apps`, as error messages name a resource.
    pub(crate) fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.to_string()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }
}

const VERBS: &[&str] = &[
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];
const CLUSTER_VERBS_NO_DELCOLL: &[&str] = &[
    "create", "delete", "get", "list", "patch", "update", "watch",
];
const STATUS_VERBS: &[&str] = &["get", "patch", "update"];

pub(crate) const NODES: usize = 0;
pub(crate) const NAMESPACES: usize = 1;
pub(crate) const PODS: usize = 2;
pub(crate) const EVENTS: usize = 3;
pub(crate) const DAEMONSETS: usize = 4;
pub(crate) const CONTROLLERREVISIONS: usize = 5;
pub(crate) const PDBS: usize = 6;

/// Every served resource; the index is the resource's id in the store.
pub(crate) const RESOURCES: &[ResourceInfo] = &[
    ResourceInfo {
        group: "",
        version: "v1",
        plural: "nodes",
        singular: "node",
        kind: "Node",
        namespaced: false,
        short_names: &["no"],
        categories: &[],
        fields: &["spec.unschedulable"],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        plural: "namespaces",
        singular: "namespace",
        kind: "Namespace",
        namespaced: false,
        short_names: &["ns"],
        categories: &[],
        fields: &["status.phase"],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        plural: "pods",
        singular: "pod",
        kind: "Pod",
        namespaced: true,
        short_names: &["po"],
        categories: &["all"],
        fields: &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
    },
    ResourceInfo {
        group: "",
        version: "v1",
        plural: "events",
        singular: "event",
        kind: "Event",
        namespaced: true,
        short_names: &["ev"],
        categories: &[],
        fields: &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
    },
    ResourceInfo {
        group: "apps",
        version: "v1",
        plural: "daemonsets",
        singular: "daemonset",
        kind: "DaemonSet",
        namespaced: true,
        short_names: &["ds"],
        categories: &["all"],
        fields: &[],
    },
    ResourceInfo {
        group: "apps",
        version: "v1",
        plural: "controllerrevisions",
        singular: "controllerrevision",
        kind: "ControllerRevision",
        namespaced: true,
        short_names: &[],
        categories: &[],
        fields: &[],
    },
    ResourceInfo {
        group: "policy",
        version: "v1",
        plural: "poddisruptionbudgets",
        singular: "poddisruptionbudget",
        kind: "PodDisruptionBudget",
        namespaced: true,
        short_names: &["pdb"],
        categories: &[],
        fields: &[],
    },
];

/// Finds a resource by group, version and plural.
pub(crate) fn find(group: &str, version: &str, plural: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .position(|r| r.group == group && r.version == version && r.plural == plural)
}

/// Finds a resource by kind (`Pod`), plural (`pods`), singular or short name, case-insensitively.
pub(crate) fn find_by_name(name: &str) -> Option<usize> {
    let n = name.to_ascii_lowercase();
    RESOURCES.iter().position(|r| {
        r.kind.eq_ignore_ascii_case(&n)
            || r.plural == n
            || r.singular == n
            || r.short_names.contains(&n.as_str())
    })
}

/// Finds the resource for an object's `apiVersion` and `kind`.
pub(crate) fn find_by_kind(api_version: &str, kind: &str) -> Option<usize> {
    RESOURCES
        .iter()
        .position(|r| r.kind == kind && (api_version.is_empty() || r.api_version() == api_version))
}

/// `/version`.
pub(crate) fn version(git_version: &str) -> Value {
    let (major, minor) = git_version
        .trim_start_matches('v')
        .split_once('.')
        .map(|(ma, rest)| {
            (
                ma.to_string(),
                rest.split('.').next().unwrap_or("0").to_string(),
            )
        })
        .unwrap_or_else(|| ("1".into(), "31".into()));
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": git_version,
        "gitCommit": "a78aa47129b8539636eb86a9d00e31b2720fe06b",
        "gitTreeState": "clean",
        "buildDate": "2024-12-10T11:36:07Z",
        "goVersion": "go1.22.9",
        "compiler": "gc",
        "platform": "linux/amd64"
    })
}

/// `/api`.
pub(crate) fn api_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}]
    })
}

fn groups() -> Vec<&'static str> {
    let mut g: Vec<&str> = RESOURCES
        .iter()
        .map(|r| r.group)
        .filter(|g| !g.is_empty())
        .collect();
    g.dedup();
    g
}

fn group_doc(group: &str) -> Value {
    let gv = json!({"groupVersion": format!("{group}/v1"), "version": "v1"});
    json!({"name": group, "versions": [gv.clone()], "preferredVersion": gv})
}

/// `/apis`.
pub(crate) fn api_group_list() -> Value {
    json!({
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": groups().into_iter().map(group_doc).collect::<Vec<_>>()
    })
}

/// `/apis/{group}`.
pub(crate) fn api_group(group: &str) -> Option<Value> {
    if !groups().contains(&group) {
        return None;
    }
    let mut doc = group_doc(group);
    doc["kind"] = json!("APIGroup");
    doc["apiVersion"] = json!("v1");
    Some(doc)
}

fn resource_doc(r: &ResourceInfo) -> Value {
    let verbs = if r.namespaced || r.plural == "nodes" {
        VERBS
    } else {
        CLUSTER_VERBS_NO_DELCOLL
    };
    let mut doc = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": verbs,
    });
    if !r.short_names.is_empty() {
        doc["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        doc["categories"] = json!(r.categories);
    }
    doc
}

fn subresource_doc(r: &ResourceInfo, sub: &str, kind: &str, verbs: &[&str]) -> Value {
    json!({
        "name": format!("{}/{sub}", r.plural),
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": kind,
        "verbs": verbs,
    })
}

/// `/api/v1` or `/apis/{group}/{version}`.
pub(crate) fn api_resource_list(group: &str, version: &str) -> Option<Value> {
    let mut resources = Vec::new();
    for r in RESOURCES
        .iter()
        .filter(|r| r.group == group && r.version == version)
    {
        resources.push(resource_doc(r));
        match r.plural {
            "pods" => {
                let mut eviction = subresource_doc(r, "eviction", "Eviction", &["create"]);
                eviction["group"] = json!("policy");
                eviction["version"] = json!("v1");
                eviction["singularName"] = json!("");
                resources.push(eviction);
                resources.push(subresource_doc(r, "status", r.kind, STATUS_VERBS));
            }
            "nodes" | "namespaces" | "daemonsets" | "poddisruptionbudgets" => {
                resources.push(subresource_doc(r, "status", r.kind, STATUS_VERBS));
            }
            _ => {}
        }
    }
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_string()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources
    }))
}
