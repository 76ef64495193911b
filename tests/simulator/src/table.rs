//! Server-side printing: `meta.k8s.io/v1` `Table` responses with the columns kubectl shows.

use std::sync::Arc;

use serde_json::{Value, json};

use crate::resources::{
    CONTROLLERREVISIONS, DAEMONSETS, EVENTS, NAMESPACES, NODES, PDBS, PODS, RESOURCES,
};
use crate::store::Object;
use crate::util::{human_duration, parse_rfc3339};

/// What each row's `object` holds (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IncludeObject {
    None,
    Metadata,
    Object,
}

impl IncludeObject {
    pub(crate) fn parse(s: Option<&str>) -> Result<IncludeObject, String> {
        match s {
            None | Some("") | Some("Metadata") => Ok(IncludeObject::Metadata),
            Some("None") => Ok(IncludeObject::None),
            Some("Object") => Ok(IncludeObject::Object),
            Some(other) => Err(format!(
                "includeObject: Unsupported value: {other:?}: supported values: \"Metadata\", \"None\", \"Object\""
            )),
        }
    }
}

/// (name, type, format, priority)
type Col = (&'static str, &'static str, &'static str, u8);

fn columns(res: usize) -> &'static [Col] {
    match res {
        NODES => &[
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Roles", "string", "", 0),
            ("Age", "string", "", 0),
            ("Version", "string", "", 0),
            ("Internal-IP", "string", "", 1),
            ("External-IP", "string", "", 1),
            ("OS-Image", "string", "", 1),
            ("Kernel-Version", "string", "", 1),
            ("Container-Runtime", "string", "", 1),
        ],
        PODS => &[
            ("Name", "string", "name", 0),
            ("Ready", "string", "", 0),
            ("Status", "string", "", 0),
            ("Restarts", "string", "", 0),
            ("Age", "string", "", 0),
            ("IP", "string", "", 1),
            ("Node", "string", "", 1),
            ("Nominated Node", "string", "", 1),
            ("Readiness Gates", "string", "", 1),
        ],
        DAEMONSETS => &[
            ("Name", "string", "name", 0),
            ("Desired", "integer", "", 0),
            ("Current", "integer", "", 0),
            ("Ready", "integer", "", 0),
            ("Up-to-date", "integer", "", 0),
            ("Available", "integer", "", 0),
            ("Node Selector", "string", "", 0),
            ("Age", "string", "", 0),
            ("Containers", "string", "", 1),
            ("Images", "string", "", 1),
            ("Selector", "string", "", 1),
        ],
        NAMESPACES => &[
            ("Name", "string", "name", 0),
            ("Status", "string", "", 0),
            ("Age", "string", "", 0),
        ],
        CONTROLLERREVISIONS => &[
            ("Name", "string", "name", 0),
            ("Controller", "string", "", 0),
            ("Revision", "integer", "", 0),
            ("Age", "string", "", 0),
        ],
        PDBS => &[
            ("Name", "string", "name", 0),
            ("Min Available", "string", "", 0),
            ("Max Unavailable", "string", "", 0),
            ("Allowed Disruptions", "integer", "", 0),
            ("Age", "string", "", 0),
        ],
        EVENTS => &[
            ("Last Seen", "string", "", 0),
            ("Type", "string", "", 0),
            ("Reason", "string", "", 0),
            ("Object", "string", "", 0),
            ("Message", "string", "", 0),
        ],
        _ => &[("Name", "string", "name", 0), ("Created At", "date", "", 0)],
    }
}

fn s<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |cur, p| cur.get(p))
        .and_then(Value::as_str)
        .unwrap_or("")
}

fn i(v: &Value, path: &[&str]) -> i64 {
    path.iter()
        .try_fold(v, |cur, p| cur.get(p))
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

fn arr<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    path.iter()
        .try_fold(v, |cur, p| cur.get(p))
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

fn age(v: &Value, now: i64) -> String {
    match parse_rfc3339(s(v, &["metadata", "creationTimestamp"])) {
        Some(t) => human_duration(now - t),
        None => "<unknown>".into(),
    }
}

fn or_none(s: String) -> String {
    if s.is_empty() { "<none>".into() } else { s }
}

fn node_cells(v: &Value, now: i64) -> Vec<Value> {
    let mut status: Vec<String> = Vec::new();
    if let Some(c) = arr(v, &["status", "conditions"])
        .iter()
        .find(|c| c["type"] == "Ready")
    {
        status.push(if c["status"] == "True" {
            "Ready".into()
        } else {
            "NotReady".into()
        });
    }
    if status.is_empty() {
        status.push("Unknown".into());
    }
    if v["spec"]["unschedulable"] == true {
        status.push("SchedulingDisabled".into());
    }
    let mut roles: Vec<String> = v["metadata"]["labels"]
        .as_object()
        .map(|l| {
            l.iter()
                .filter_map(|(k, val)| {
                    if let Some(role) = k.strip_prefix("node-role.kubernetes.io/") {
                        (!role.is_empty()).then(|| role.to_string())
                    } else if k == "kubernetes.io/role" {
                        val.as_str().filter(|r| !r.is_empty()).map(str::to_string)
                    } else {
                        None
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    roles.sort();
    roles.dedup();
    let address = |kind: &str| {
        arr(v, &["status", "addresses"])
            .iter()
            .find(|a| a["type"] == kind)
            .and_then(|a| a["address"].as_str())
            .unwrap_or("<none>")
            .to_string()
    };
    let info = |k: &str| or_none(s(v, &["status", "nodeInfo", k]).to_string());
    vec![
        json!(s(v, &["metadata", "name"])),
        json!(status.join(",")),
        json!(or_none(roles.join(","))),
        json!(age(v, now)),
        json!(s(v, &["status", "nodeInfo", "kubeletVersion"])),
        json!(address("InternalIP")),
        json!(address("ExternalIP")),
        json!(info("osImage")),
        json!(info("kernelVersion")),
        json!(info("containerRuntimeVersion")),
    ]
}

/// kubectl's `printPod` status logic, trimmed to what daemon pods show.
fn pod_cells(v: &Value, now: i64) -> Vec<Value> {
    let total = arr(v, &["spec", "containers"]).len();
    let mut ready = 0;
    let mut restarts = 0;
    let mut last_restart: Option<i64> = None;
    let mut reason = s(v, &["status", "phase"]).to_string();
    if !s(v, &["status", "reason"]).is_empty() {
        reason = s(v, &["status", "reason"]).to_string();
    }
    let conditions = arr(v, &["status", "conditions"]);
    let condition_true = |t: &str| {
        conditions
            .iter()
            .any(|c| c["type"] == t && c["status"] == "True")
    };
    let init_statuses = arr(v, &["status", "initContainerStatuses"]);
    let init_total = arr(v, &["spec", "initContainers"]).len();
    let mut initializing = false;
    for (idx, c) in init_statuses.iter().enumerate() {
        restarts += c["restartCount"].as_i64().unwrap_or(0);
        let term = &c["state"]["terminated"];
        let wait = &c["state"]["waiting"];
        if term.is_object() && term["exitCode"].as_i64() == Some(0) {
            continue;
        }
        initializing = true;
        reason = if term.is_object() {
            match term["reason"].as_str() {
                Some(r) if !r.is_empty() => format!("Init:{r}"),
                _ => format!("Init:ExitCode:{}", term["exitCode"].as_i64().unwrap_or(0)),
            }
        } else if wait["reason"]
            .as_str()
            .is_some_and(|r| !r.is_empty() && r != "PodInitializing")
        {
            format!("Init:{}", wait["reason"].as_str().unwrap_or(""))
        } else {
            format!("Init:{idx}/{init_total}")
        };
        break;
    }
    if !initializing || condition_true("Initialized") {
        restarts = 0;
        let mut has_running = false;
        for c in arr(v, &["status", "containerStatuses"]).iter().rev() {
            restarts += c["restartCount"].as_i64().unwrap_or(0);
            if let Some(t) = c["lastState"]["terminated"]["finishedAt"]
                .as_str()
                .and_then(parse_rfc3339)
            {
                last_restart = Some(last_restart.map_or(t, |l: i64| l.max(t)));
            }
            let term = &c["state"]["terminated"];
            if let Some(r) = c["state"]["waiting"]["reason"]
                .as_str()
                .filter(|r| !r.is_empty())
            {
                reason = r.to_string();
            } else if let Some(r) = term["reason"].as_str().filter(|r| !r.is_empty()) {
                reason = r.to_string();
            } else if term.is_object() {
                reason = format!("ExitCode:{}", term["exitCode"].as_i64().unwrap_or(0));
            } else if c["ready"] == true && c["state"]["running"].is_object() {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            reason = if condition_true("Ready") {
                "Running".into()
            } else {
                "NotReady".into()
            };
        }
    }
    if !s(v, &["metadata", "deletionTimestamp"]).is_empty() {
        reason = if s(v, &["status", "reason"]) == "NodeLost" {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    let restarts_cell = match last_restart {
        Some(t) if restarts > 0 => format!("{restarts} ({} ago)", human_duration(now - t)),
        _ => restarts.to_string(),
    };
    let gates = arr(v, &["spec", "readinessGates"]);
    let gates_cell = if gates.is_empty() {
        "<none>".to_string()
    } else {
        let ok = gates
            .iter()
            .filter(|g| condition_true(g["conditionType"].as_str().unwrap_or("")))
            .count();
        format!("{ok}/{}", gates.len())
    };
    vec![
        json!(s(v, &["metadata", "name"])),
        json!(format!("{ready}/{total}")),
        json!(reason),
        json!(restarts_cell),
        json!(age(v, now)),
        json!(or_none(s(v, &["status", "podIP"]).to_string())),
        json!(or_none(s(v, &["spec", "nodeName"]).to_string())),
        json!(or_none(s(v, &["status", "nominatedNodeName"]).to_string())),
        json!(gates_cell),
    ]
}

fn map_string(v: &Value) -> String {
    let mut pairs: Vec<String> = v
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, val)| format!("{k}={}", val.as_str().unwrap_or("")))
                .collect()
        })
        .unwrap_or_default();
    pairs.sort();
    pairs.join(",")
}

fn selector_string(sel: &Value) -> String {
    let mut parts = Vec::new();
    if !sel["matchLabels"].is_null() {
        parts.push(map_string(&sel["matchLabels"]));
    }
    for e in sel["matchExpressions"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
    {
        let key = e["key"].as_str().unwrap_or("");
        let vals: Vec<&str> = e["values"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        parts.push(match e["operator"].as_str().unwrap_or("") {
            "In" => format!("{key} in ({})", vals.join(",")),
            "NotIn" => format!("{key} notin ({})", vals.join(",")),
            "Exists" => key.to_string(),
            "DoesNotExist" => format!("!{key}"),
            op => format!("{key} {op}"),
        });
    }
    parts.retain(|p| !p.is_empty());
    or_none(parts.join(","))
}

fn ds_cells(v: &Value, now: i64) -> Vec<Value> {
    let st = |k: &str| i(v, &["status", k]);
    let spec = &v["spec"]["template"]["spec"];
    let containers = spec["containers"].as_array().map_or(&[][..], Vec::as_slice);
    let join = |k: &str| {
        containers
            .iter()
            .filter_map(|c| c[k].as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    vec![
        json!(s(v, &["metadata", "name"])),
        json!(st("desiredNumberScheduled")),
        json!(st("currentNumberScheduled")),
        json!(st("numberReady")),
        json!(st("updatedNumberScheduled")),
        json!(st("numberAvailable")),
        json!(or_none(map_string(&spec["nodeSelector"]))),
        json!(age(v, now)),
        json!(join("name")),
        json!(join("image")),
        json!(selector_string(&v["spec"]["selector"])),
    ]
}

fn row_cells(res: usize, v: &Value, now: i64) -> Vec<Value> {
    match res {
        NODES => node_cells(v, now),
        PODS => pod_cells(v, now),
        DAEMONSETS => ds_cells(v, now),
        NAMESPACES => vec![
            json!(s(v, &["metadata", "name"])),
            json!(s(v, &["status", "phase"])),
            json!(age(v, now)),
        ],
        CONTROLLERREVISIONS => {
            let controller = arr(v, &["metadata", "ownerReferences"])
                .iter()
                .find(|o| o["controller"] == true)
                .map(|o| {
                    let group = o["apiVersion"]
                        .as_str()
                        .and_then(|a| a.split_once('/'))
                        .map_or("", |(g, _)| g);
                    let kind = o["kind"].as_str().unwrap_or("").to_ascii_lowercase();
                    let kind = if group.is_empty() {
                        kind
                    } else {
                        format!("{kind}.{group}")
                    };
                    format!("{kind}/{}", o["name"].as_str().unwrap_or(""))
                })
                .unwrap_or_else(|| "<none>".into());
            vec![
                json!(s(v, &["metadata", "name"])),
                json!(controller),
                json!(i(v, &["revision"])),
                json!(age(v, now)),
            ]
        }
        PDBS => {
            let field = |k: &str| match &v["spec"][k] {
                Value::Null => "N/A".to_string(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            vec![
                json!(s(v, &["metadata", "name"])),
                json!(field("minAvailable")),
                json!(field("maxUnavailable")),
                json!(i(v, &["status", "disruptionsAllowed"])),
                json!(age(v, now)),
            ]
        }
        EVENTS => {
            let last = ["lastTimestamp", "eventTime"]
                .iter()
                .find_map(|k| v[*k].as_str().and_then(parse_rfc3339))
                .map_or("<unknown>".to_string(), |t| human_duration(now - t));
            let obj = &v["involvedObject"];
            vec![
                json!(last),
                json!(s(v, &["type"])),
                json!(s(v, &["reason"])),
                json!(format!(
                    "{}/{}",
                    obj["kind"].as_str().unwrap_or("").to_ascii_lowercase(),
                    obj["name"].as_str().unwrap_or("")
                )),
                json!(s(v, &["message"])),
            ]
        }
        _ => vec![
            json!(s(v, &["metadata", "name"])),
            json!(s(v, &["metadata", "creationTimestamp"])),
        ],
    }
}

/// A `Table` for `objects`. `version` is `v1` or `v1beta1` (as the client asked).
pub(crate) fn table(
    res: usize,
    objects: &[Arc<Object>],
    resource_version: &str,
    cont: Option<&str>,
    include: IncludeObject,
    version: &str,
    now: i64,
) -> Value {
    let column_definitions: Vec<Value> = columns(res)
        .iter()
        .map(|(name, ty, format, priority)| {
            json!({
                "name": name,
                "type": ty,
                "format": format,
                "description": format!("{name} of the {}", RESOURCES[res].singular),
                "priority": priority
            })
        })
        .collect();
    let rows: Vec<Value> = objects
        .iter()
        .map(|o| {
            let v = o.value();
            let mut row = json!({"cells": row_cells(res, &v, now)});
            match include {
                IncludeObject::None => {}
                IncludeObject::Metadata => {
                    row["object"] = json!({
                        "kind": "PartialObjectMetadata",
                        "apiVersion": format!("meta.k8s.io/{version}"),
                        "metadata": v["metadata"]
                    });
                }
                IncludeObject::Object => row["object"] = o.full_value(res),
            }
            row
        })
        .collect();
    let mut metadata = json!({"resourceVersion": resource_version});
    if let Some(c) = cont {
        metadata["continue"] = json!(c);
    }
    json!({
        "kind": "Table",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": metadata,
        "columnDefinitions": column_definitions,
        "rows": rows
    })
}

/// `PartialObjectMetadata` / `PartialObjectMetadataList` responses.
pub(crate) fn partial(o: &Object, version: &str) -> Value {
    json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": format!("meta.k8s.io/{version}"),
        "metadata": o.value()["metadata"]
    })
}
