//! A small DaemonSet controller. Rollouts ([`Rollout`], driven by the test): node by node, the
//! outdated pod replaced by an updated one that becomes Ready, or gets stuck. Replacements: when
//! a daemon pod is deleted or evicted, a replacement appears on
//! the same node (if the node is still eligible and has no other pod of that DaemonSet) at the
//! DaemonSet's current revision, Pending first and Running+Ready later — unless its node is told
//! never to become Ready. DaemonSet `.status` counters are recomputed after each change.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Map, Value, json};

use crate::resources::{CONTROLLERREVISIONS, DAEMONSETS, NODES, PODS};
use crate::server::Shared;
use crate::store::Store;
use crate::util::{now_unix, rfc3339};

/// Controller mode: how the simulated DaemonSet controller and kubelet react to removed daemon pods.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerMode {
    /// Delay between a daemon pod's removal and its replacement's creation (Pending).
    pub recreate_after: Duration,
    /// Delay between the replacement's creation and it becoming Running and Ready.
    pub ready_after: Duration,
    /// Nodes whose replacement pods stay Pending forever (also settable at run time).
    pub never_ready_nodes: BTreeSet<String>,
}

impl Default for ControllerMode {
    fn default() -> Self {
        ControllerMode {
            recreate_after: Duration::from_millis(50),
            ready_after: Duration::from_millis(100),
            never_ready_nodes: BTreeSet::new(),
        }
    }
}

/// The DaemonSet that controls a pod: (namespace, name, uid).
fn owner_ds(pod: &Value) -> Option<(String, String, String)> {
    let owner = pod["metadata"]["ownerReferences"]
        .as_array()?
        .iter()
        .find(|o| o["kind"] == "DaemonSet" && o["controller"] != false)?;
    Some((
        pod["metadata"]["namespace"].as_str()?.to_string(),
        owner["name"].as_str()?.to_string(),
        owner["uid"].as_str().unwrap_or("").to_string(),
    ))
}

/// Called (with the store locked) after a pod was deleted or evicted for real.
pub(crate) fn pod_removed(shared: &Arc<Shared>, store: &mut Store, pod: &Value) {
    let Some(mode) = shared.controller.clone() else {
        return;
    };
    let Some((ns, ds, ds_uid)) = owner_ds(pod) else {
        return;
    };
    refresh_ds_status(store, &ns, &ds);
    let Some(node) = pod["spec"]["nodeName"].as_str().map(str::to_string) else {
        return;
    };
    let shared = shared.clone();
    tokio::spawn(async move {
        tokio::time::sleep(mode.recreate_after).await;
        let created = {
            let mut store = shared.write_store();
            let created = recreate(&shared, &mut store, &ns, &ds, &ds_uid, &node);
            if created.is_some() {
                refresh_ds_status(&mut store, &ns, &ds);
            }
            created
        };
        let Some((name, uid)) = created else {
            return;
        };
        tokio::time::sleep(mode.ready_after).await;
        if shared.never_ready(&node) {
            return;
        }
        let mut store = shared.write_store();
        if mark_ready(&shared, &mut store, &ns, &name, &uid) {
            refresh_ds_status(&mut store, &ns, &ds);
        }
    });
}

fn labels_of(v: &Value) -> BTreeMap<String, String> {
    v["metadata"]["labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_string()))
                .collect()
        })
        .unwrap_or_default()
}

fn strs(v: &Value) -> Vec<&str> {
    v.as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn requirement_matches(e: &Value, value: Option<&str>) -> bool {
    let vals = strs(&e["values"]);
    match e["operator"].as_str().unwrap_or("") {
        "In" => value.is_some_and(|v| vals.contains(&v)),
        "NotIn" => value.is_none_or(|v| !vals.contains(&v)),
        "Exists" => value.is_some(),
        "DoesNotExist" => value.is_none(),
        op @ ("Gt" | "Lt") => {
            let (Some(v), Some(bound)) = (
                value.and_then(|v| v.parse::<i64>().ok()),
                vals.first().and_then(|b| b.parse::<i64>().ok()),
            ) else {
                return false;
            };
            if op == "Gt" { v > bound } else { v < bound }
        }
        _ => false,
    }
}

/// The tolerations the DaemonSet controller adds to every daemon pod.
fn default_tolerations(host_network: bool) -> Vec<Value> {
    let mut t = vec![
        json!({"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute"}),
        json!({"key": "node.kubernetes.io/disk-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/memory-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/pid-pressure", "operator": "Exists", "effect": "NoSchedule"}),
        json!({"key": "node.kubernetes.io/unschedulable", "operator": "Exists", "effect": "NoSchedule"}),
    ];
    if host_network {
        t.push(json!({"key": "node.kubernetes.io/network-unavailable", "operator": "Exists", "effect": "NoSchedule"}));
    }
    t
}

fn tolerates(toleration: &Value, taint: &Value) -> bool {
    let effect = toleration["effect"].as_str().unwrap_or("");
    if !effect.is_empty() && effect != taint["effect"].as_str().unwrap_or("") {
        return false;
    }
    let key = toleration["key"].as_str().unwrap_or("");
    let exists = toleration["operator"] == "Exists";
    if key.is_empty() {
        return exists;
    }
    key == taint["key"].as_str().unwrap_or("")
        && (exists
            || toleration["value"].as_str().unwrap_or("") == taint["value"].as_str().unwrap_or(""))
}

/// Whether the DaemonSet's template should run on the node: nodeSelector, required node affinity
/// and NoSchedule/NoExecute taints (resources are not checked).
pub(crate) fn eligible(template_spec: &Value, node: &Value) -> bool {
    let labels = labels_of(node);
    let node_name = node["metadata"]["name"].as_str().unwrap_or("");
    let selector_ok = template_spec["nodeSelector"].as_object().is_none_or(|sel| {
        sel.iter()
            .all(|(k, v)| labels.get(k).map(String::as_str) == v.as_str())
    });
    let required = &template_spec["affinity"]["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"];
    let affinity_ok = required.is_null()
        || required["nodeSelectorTerms"]
            .as_array()
            .is_some_and(|terms| {
                terms.iter().any(|t| {
                    let exprs = t["matchExpressions"]
                        .as_array()
                        .map_or(&[][..], Vec::as_slice);
                    let fields = t["matchFields"].as_array().map_or(&[][..], Vec::as_slice);
                    (!exprs.is_empty() || !fields.is_empty())
                        && exprs.iter().all(|e| {
                            requirement_matches(
                                e,
                                labels
                                    .get(e["key"].as_str().unwrap_or(""))
                                    .map(String::as_str),
                            )
                        })
                        && fields.iter().all(|e| {
                            e["key"] == "metadata.name" && requirement_matches(e, Some(node_name))
                        })
                })
            });
    let mut tolerations = template_spec["tolerations"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    tolerations.extend(default_tolerations(template_spec["hostNetwork"] == true));
    let taints_ok = node["spec"]["taints"]
        .as_array()
        .map_or(&[][..], Vec::as_slice)
        .iter()
        .filter(|t| matches!(t["effect"].as_str(), Some("NoSchedule" | "NoExecute")))
        .all(|t| tolerations.iter().any(|tol| tolerates(tol, t)));
    selector_ok && affinity_ok && taints_ok
}

fn owned_by(pod: &Value, ds_name: &str, ds_uid: &str) -> bool {
    pod["metadata"]["ownerReferences"]
        .as_array()
        .is_some_and(|refs| {
            refs.iter().any(|o| {
                o["kind"] == "DaemonSet"
                    && o["name"] == ds_name
                    && (ds_uid.is_empty() || o["uid"].as_str().is_none_or(|u| u == ds_uid))
            })
        })
}

/// The DaemonSet's current revision: (controller-revision-hash, revision number).
fn current_revision(store: &Store, ns: &str, ds_name: &str, ds_uid: &str) -> Option<(String, i64)> {
    let prefix = format!("{ns}/");
    store.collections[CONTROLLERREVISIONS]
        .range::<str, _>((
            std::ops::Bound::Included(prefix.as_str()),
            std::ops::Bound::Unbounded,
        ))
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, o)| o.value())
        .filter(|cr| owned_by(cr, ds_name, ds_uid))
        .max_by_key(|cr| cr["revision"].as_i64().unwrap_or(0))
        .map(|cr| {
            let hash = cr["metadata"]["labels"]["controller-revision-hash"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| {
                    let name = cr["metadata"]["name"].as_str().unwrap_or("");
                    name.strip_prefix(&format!("{ds_name}-"))
                        .unwrap_or(name)
                        .to_string()
                });
            (hash, cr["revision"].as_i64().unwrap_or(0))
        })
}

fn ds_pods(store: &Store, ns: &str, ds_name: &str, ds_uid: &str) -> Vec<Value> {
    let prefix = format!("{ns}/");
    store.collections[PODS]
        .range::<str, _>((
            std::ops::Bound::Included(prefix.as_str()),
            std::ops::Bound::Unbounded,
        ))
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(_, o)| o.value())
        .filter(|p| owned_by(p, ds_name, ds_uid))
        .collect()
}

/// Creates the replacement pod; returns its (name, uid).
fn recreate(
    shared: &Shared,
    store: &mut Store,
    ns: &str,
    ds_name: &str,
    ds_uid: &str,
    node_name: &str,
) -> Option<(String, String)> {
    let ds = store.get(DAEMONSETS, Some(ns), ds_name)?.value();
    let ds_uid_now = ds["metadata"]["uid"].as_str().unwrap_or("").to_string();
    if !ds_uid.is_empty() && ds_uid != ds_uid_now {
        return None;
    }
    let node = store.get(NODES, None, node_name)?.value();
    let template = &ds["spec"]["template"];
    if !eligible(&template["spec"], &node) {
        return None;
    }
    let existing = ds_pods(store, ns, ds_name, &ds_uid_now);
    if existing
        .iter()
        .any(|p| p["spec"]["nodeName"] == node_name && p["metadata"]["deletionTimestamp"].is_null())
    {
        return None;
    }
    let now = rfc3339(now_unix());
    let (name, uid) = {
        let mut rng = shared.rng();
        let mut name = format!("{ds_name}-{}", rng.name_suffix(5));
        while store.get(PODS, Some(ns), &name).is_some() {
            name = format!("{ds_name}-{}", rng.name_suffix(5));
        }
        (name, rng.uuid())
    };
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    if let Some((hash, _)) = current_revision(store, ns, ds_name, &ds_uid_now) {
        labels.insert("controller-revision-hash".into(), json!(hash));
    }
    let generation = template_generation(&ds);
    labels.insert("pod-template-generation".into(), json!(generation));

    let mut spec = template["spec"].as_object().cloned().unwrap_or_default();
    spec.insert("nodeName".into(), json!(node_name));
    // The controller pins the pod with a matchFields term, replacing any required terms.
    let mut affinity = spec.get("affinity").cloned().unwrap_or_else(|| json!({}));
    if !affinity.is_object() {
        affinity = json!({});
    }
    if !affinity["nodeAffinity"].is_object() {
        affinity["nodeAffinity"] = json!({});
    }
    affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
        "nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name", "operator": "In", "values": [node_name]}]}]
    });
    spec.insert("affinity".into(), affinity);
    let mut tolerations = spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for t in default_tolerations(spec.get("hostNetwork") == Some(&json!(true))) {
        if !tolerations
            .iter()
            .any(|x| x["key"] == t["key"] && x["effect"] == t["effect"])
        {
            tolerations.push(t);
        }
    }
    spec.insert("tolerations".into(), Value::Array(tolerations));

    let containers = spec
        .get("containers")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let container_statuses: Vec<Value> = containers
        .iter()
        .map(|c| {
            json!({
                "name": c["name"], "image": c["image"], "imageID": "", "ready": false,
                "restartCount": 0, "started": false,
                "state": {"waiting": {"reason": "ContainerCreating"}}
            })
        })
        .collect();
    let host_ip = node["status"]["addresses"]
        .as_array()
        .and_then(|a| a.iter().find(|x| x["type"] == "InternalIP"))
        .map(|a| a["address"].clone())
        .unwrap_or(json!(""));
    let mut meta = Map::new();
    meta.insert("name".into(), json!(name));
    meta.insert("generateName".into(), json!(format!("{ds_name}-")));
    meta.insert("namespace".into(), json!(ns));
    meta.insert("uid".into(), json!(uid));
    meta.insert("creationTimestamp".into(), json!(now));
    meta.insert("labels".into(), Value::Object(labels));
    if let Some(a) = template["metadata"]["annotations"].as_object() {
        meta.insert("annotations".into(), Value::Object(a.clone()));
    }
    meta.insert(
        "ownerReferences".into(),
        json!([{
            "apiVersion": "apps/v1", "kind": "DaemonSet", "name": ds_name, "uid": ds_uid_now,
            "controller": true, "blockOwnerDeletion": true
        }]),
    );
    let pod = json!({
        "metadata": meta,
        "spec": spec,
        "status": {
            "phase": "Pending",
            "hostIP": host_ip,
            "startTime": now,
            "qosClass": "Burstable",
            "conditions": [
                {"type": "PodReadyToStartContainers", "status": "False", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "Initialized", "status": "True", "lastProbeTime": null, "lastTransitionTime": now},
                {"type": "Ready", "status": "False", "lastProbeTime": null, "lastTransitionTime": now,
                 "reason": "ContainersNotReady", "message": "containers with unready status"},
                {"type": "ContainersReady", "status": "False", "lastProbeTime": null, "lastTransitionTime": now,
                 "reason": "ContainersNotReady", "message": "containers with unready status"},
                {"type": "PodScheduled", "status": "True", "lastProbeTime": null, "lastTransitionTime": now}
            ],
            "containerStatuses": container_statuses
        }
    });
    store.put(PODS, pod).ok()?;
    Some((name, uid))
}

/// Marks a replacement pod Running and Ready; false if it is gone or was replaced.
fn mark_ready(shared: &Shared, store: &mut Store, ns: &str, name: &str, uid: &str) -> bool {
    let Some(obj) = store.get(PODS, Some(ns), name) else {
        return false;
    };
    if *obj.uid != *uid {
        return false;
    }
    let mut pod = obj.value();
    let now = rfc3339(now_unix());
    let ip = {
        let mut rng = shared.rng();
        format!(
            "10.244.{}.{}",
            rng.next_u64() % 250 + 1,
            rng.next_u64() % 250 + 2
        )
    };
    let status = &mut pod["status"];
    status["phase"] = json!("Running");
    status["podIP"] = json!(ip);
    status["podIPs"] = json!([{"ip": ip}]);
    if let Some(conds) = status["conditions"].as_array_mut() {
        for c in conds {
            c["status"] = json!("True");
            c["lastTransitionTime"] = json!(now);
            if let Some(m) = c.as_object_mut() {
                m.remove("reason");
                m.remove("message");
            }
        }
    }
    if let Some(cs) = status["containerStatuses"].as_array_mut() {
        for c in cs {
            c["ready"] = json!(true);
            c["started"] = json!(true);
            c["state"] = json!({"running": {"startedAt": now}});
            c["imageID"] = json!(format!(
                "{}@sha256:{:064x}",
                c["image"].as_str().unwrap_or(""),
                0
            ));
            c["containerID"] = json!(format!("containerd://{}", uid.replace('-', "")));
        }
    }
    store.put(PODS, pod).is_ok()
}

fn pod_ready(p: &Value) -> bool {
    p["status"]["conditions"].as_array().is_some_and(|c| {
        c.iter()
            .any(|c| c["type"] == "Ready" && c["status"] == "True")
    })
}

/// Recomputes a DaemonSet's status counters from its pods (desiredNumberScheduled is kept).
pub(crate) fn refresh_ds_status(store: &mut Store, ns: &str, ds_name: &str) {
    let Some(ds_obj) = store.get(DAEMONSETS, Some(ns), ds_name) else {
        return;
    };
    let mut ds = ds_obj.value();
    let uid = ds_obj.uid.clone();
    let hash = current_revision(store, ns, ds_name, &uid).map(|(h, _)| h);
    let mut by_node: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for p in ds_pods(store, ns, ds_name, &uid) {
        if let Some(n) = p["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) {
            by_node.entry(n.to_string()).or_default().push(p);
        }
    }
    let (mut current, mut misscheduled, mut ready, mut updated) = (0, 0, 0, 0);
    for (node_name, pods) in &by_node {
        let should_run = store
            .get(NODES, None, node_name)
            .is_some_and(|n| eligible(&ds["spec"]["template"]["spec"], &n.value()));
        if !should_run {
            misscheduled += 1;
            continue;
        }
        current += 1;
        if pods.iter().any(pod_ready) {
            ready += 1;
        }
        if hash.as_ref().is_some_and(|h| {
            pods.iter()
                .any(|p| p["metadata"]["labels"]["controller-revision-hash"] == h.as_str())
        }) {
            updated += 1;
        }
    }
    let desired = ds["status"]["desiredNumberScheduled"]
        .as_i64()
        .unwrap_or(current);
    let st = &mut ds["status"];
    if !st.is_object() {
        *st = json!({});
    }
    st["currentNumberScheduled"] = json!(current);
    st["numberMisscheduled"] = json!(misscheduled);
    st["numberReady"] = json!(ready);
    st["numberAvailable"] = json!(ready);
    st["updatedNumberScheduled"] = json!(updated);
    st["desiredNumberScheduled"] = json!(desired);
    let unavailable = (desired - ready).max(0);
    if unavailable > 0 {
        st["numberUnavailable"] = json!(unavailable);
    } else if let Some(m) = st.as_object_mut() {
        m.remove("numberUnavailable");
    }
    if let Some(g) = ds["metadata"]["generation"].as_i64() {
        ds["status"]["observedGeneration"] = json!(g);
    }
    let _ = store.put(DAEMONSETS, ds);
}

/// How the replacement pods of a simulated rollout get stuck.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stuck {
    /// The image cannot be pulled: `ImagePullBackOff`, the pod Pending.
    ImagePull,
    /// The container keeps crashing: `CrashLoopBackOff` with 5 restarts, the pod Running.
    CrashLoop,
    /// The scheduler finds no room: unbound, `PodScheduled` False with `Insufficient cpu`.
    InsufficientCpu,
}

/// A rollout the simulated controller carries out node by node (as a RollingUpdate with
/// `maxUnavailable: 1`): delete the node's outdated pod, create the updated one (Pending), make it
/// Ready after `ready_after`, go on to the next node — unless the node is one of `stuck`'s, where
/// the replacement gets stuck and the rollout stops, as the real controller's would.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollout {
    pub ready_after: Duration,
    pub stuck: Option<(Stuck, BTreeSet<String>)>,
}

/// The template generation a pod must carry to be updated (`pod-template-generation`).
fn template_generation(ds: &Value) -> String {
    ds["metadata"]["annotations"]["deprecated.daemonset.template.generation"]
        .as_str()
        .map(str::to_string)
        .unwrap_or_else(|| {
            ds["metadata"]["generation"]
                .as_i64()
                .unwrap_or(1)
                .to_string()
        })
}

/// Carries out `plan` on a thread of its own; the handle ends with the rollout (or its stop).
pub(crate) fn roll(
    shared: Arc<Shared>,
    ns: String,
    ds_name: String,
    plan: Rollout,
) -> std::thread::JoinHandle<()> {
    std::thread::spawn(move || {
        let nodes: Vec<String> = shared.read_store().collections[NODES]
            .values()
            .map(|n| n.name().to_string())
            .collect();
        for node in nodes {
            // The node's outdated pods, if it is eligible and has no updated one.
            let replace = {
                let store = shared.read_store();
                let Some(ds) = store
                    .get(DAEMONSETS, Some(&ns), &ds_name)
                    .map(|o| o.value())
                else {
                    return;
                };
                let uid = ds["metadata"]["uid"].as_str().unwrap_or("").to_string();
                let Some(n) = store.get(NODES, None, &node) else {
                    continue;
                };
                if !eligible(&ds["spec"]["template"]["spec"], &n.value()) {
                    continue;
                }
                let generation = template_generation(&ds);
                let hash = current_revision(&store, &ns, &ds_name, &uid).map(|(h, _)| h);
                let pods: Vec<Value> = ds_pods(&store, &ns, &ds_name, &uid)
                    .into_iter()
                    .filter(|p| p["spec"]["nodeName"] == node.as_str())
                    .collect();
                let updated = pods.iter().any(|p| {
                    let l = &p["metadata"]["labels"];
                    l["pod-template-generation"] == generation.as_str()
                        || hash
                            .as_deref()
                            .is_some_and(|h| l["controller-revision-hash"] == h)
                });
                (!updated).then_some((uid, pods))
            };
            let Some((uid, old)) = replace else {
                continue;
            };
            let created = {
                let mut store = shared.write_store();
                for p in &old {
                    let key = format!("{ns}/{}", p["metadata"]["name"].as_str().unwrap_or(""));
                    store.remove(PODS, &key);
                }
                let created = recreate(&shared, &mut store, &ns, &ds_name, &uid, &node);
                refresh_ds_status(&mut store, &ns, &ds_name);
                created
            };
            let Some((name, pod_uid)) = created else {
                continue;
            };
            std::thread::sleep(plan.ready_after);
            let mut store = shared.write_store();
            match &plan.stuck {
                Some((how, on)) if on.contains(&node) => {
                    let nodes = store.collections[NODES].len();
                    get_stuck(&mut store, &ns, &name, *how, nodes);
                    refresh_ds_status(&mut store, &ns, &ds_name);
                    return;
                }
                _ => {
                    mark_ready(&shared, &mut store, &ns, &name, &pod_uid);
                    refresh_ds_status(&mut store, &ns, &ds_name);
                }
            }
        }
    })
}

/// Gives a replacement pod the status of a pod stuck `how`.
fn get_stuck(store: &mut Store, ns: &str, name: &str, how: Stuck, nodes: usize) {
    let Some(obj) = store.get(PODS, Some(ns), name) else {
        return;
    };
    let mut pod = obj.value();
    let image = pod["spec"]["containers"][0]["image"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let status = &mut pod["status"];
    match how {
        Stuck::ImagePull => {
            if let Some(cs) = status["containerStatuses"].as_array_mut() {
                for c in cs {
                    c["state"] = json!({"waiting": {"reason": "ImagePullBackOff",
                        "message": format!("Back-off pulling image \"{image}\"")}});
                }
            }
        }
        Stuck::CrashLoop => {
            status["phase"] = json!("Running");
            if let Some(cs) = status["containerStatuses"].as_array_mut() {
                for c in cs {
                    c["restartCount"] = json!(5);
                    c["state"] = json!({"waiting": {"reason": "CrashLoopBackOff",
                        "message": "back-off 2m40s restarting failed container"}});
                    c["lastState"] = json!({"terminated": {"reason": "Error", "exitCode": 1}});
                }
            }
        }
        Stuck::InsufficientCpu => {
            if let Some(spec) = pod["spec"].as_object_mut() {
                spec.remove("nodeName");
            }
            let now = rfc3339(now_unix());
            pod["status"] = json!({
                "phase": "Pending",
                "conditions": [{"type": "PodScheduled", "status": "False", "lastProbeTime": null,
                    "lastTransitionTime": now, "reason": "Unschedulable",
                    "message": format!("0/{nodes} nodes are available: 1 Insufficient cpu, {} node(s) didn't match Pod's node affinity/selector. preemption: 0/{nodes} nodes are available: 1 No preemption victims found for incoming pod, {} Preemption is not helpful for scheduling.", nodes - 1, nodes - 1)}],
                "qosClass": "Burstable"
            });
        }
    }
    let _ = store.put(PODS, pod);
}
