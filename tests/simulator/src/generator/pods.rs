//! Pods: daemon pods as the controller creates them, their status, and ordinary pods.

use serde_json::{Map, Value, json};

use super::*;

/// What a generated pod looks like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PodKind {
    /// Running and Ready.
    Ready,
    /// Running, its container waiting in CrashLoopBackOff.
    CrashLoop,
    /// Not bound: the scheduler found no room (Insufficient cpu).
    Pending,
    /// Evicted: phase Failed, no deletionTimestamp.
    Failed,
    /// Running, Ready=False because its node stopped reporting (set by the node controller).
    NodeLost,
}

/// One daemon pod to build.
#[derive(Debug, Clone)]
pub(super) struct PodPlan {
    pub(super) kind: PodKind,
    pub(super) created: i64,
    /// On the previous revision.
    pub(super) old: bool,
}

/// What the status computation (`updateDaemonSetStatus`) needs from a pod.
#[derive(Debug, Clone)]
pub(super) struct PodFacts {
    pub(super) bound: bool,
    pub(super) created: i64,
    pub(super) name: String,
    pub(super) ready: bool,
    pub(super) terminal: bool,
    pub(super) phase_pending: bool,
    pub(super) hash: String,
    pub(super) template_generation: i64,
}

/// Default tolerations merged into the template's as `AddOrUpdateTolerationInPodSpec` does: an
/// identical one is replaced in place, anything else is appended.
fn pod_tolerations(template_spec: &Map<String, Value>, host_network: bool) -> Value {
    let mut list: Vec<Value> = template_spec
        .get("tolerations")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    for d in default_tolerations(host_network) {
        let d = toleration_json(&d);
        match list.iter_mut().find(|t| **t == d) {
            Some(same) => *same = d,
            None => list.push(d),
        }
    }
    Value::Array(list)
}

fn priority_of(class: Option<&Value>) -> i64 {
    match class.and_then(Value::as_str) {
        Some("system-node-critical") => 2_000_001_000,
        Some("system-cluster-critical") => 2_000_000_000,
        _ => 0,
    }
}

fn kube_api_access(name: &str) -> (Value, Value) {
    let volume = json!({
        "name": name,
        "projected": {
            "defaultMode": 420,
            "sources": [
                {"serviceAccountToken": {"expirationSeconds": 3607, "path": "token"}},
                {"configMap": {"items": [{"key": "ca.crt", "path": "ca.crt"}], "name": "kube-root-ca.crt"}},
                {"downwardAPI": {"items": [{
                    "fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"},
                    "path": "namespace",
                }]}},
            ],
        },
    });
    let mount = json!({
        "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount",
        "name": name,
        "readOnly": true,
    });
    (volume, mount)
}

/// Add the ServiceAccount admission's token volume to a pod spec.
fn add_token_volume(spec: &mut Map<String, Value>, rng: &mut Rng) {
    let (volume, mount) = kube_api_access(&format!("kube-api-access-{}", rng.safe(5)));
    if let Some(Value::Array(containers)) = spec.get_mut("containers") {
        for c in containers {
            if let Some(obj) = c.as_object_mut() {
                match obj.get_mut("volumeMounts") {
                    Some(Value::Array(mounts)) => mounts.push(mount.clone()),
                    _ => {
                        obj.insert("volumeMounts".into(), json!([mount.clone()]));
                    }
                }
            }
        }
    }
    match spec.get_mut("volumes") {
        Some(Value::Array(volumes)) => volumes.push(volume),
        _ => {
            spec.insert("volumes".into(), json!([volume]));
        }
    }
}

fn condition(kind: &str, status: &str, at: i64) -> Value {
    json!({"lastProbeTime": null, "lastTransitionTime": ts(at), "status": status, "type": kind})
}

fn condition_why(kind: &str, status: &str, at: i64, reason: &str, message: &str) -> Value {
    let mut c = condition(kind, status, at);
    c["reason"] = json!(reason);
    if !message.is_empty() {
        c["message"] = json!(message);
    }
    c
}

/// An image's digest, the same for every pod that runs it.
fn image_id(seed: u64, image: &str) -> String {
    let mut h = 0u64;
    for b in image.bytes() {
        h = mix(h ^ u64::from(b));
    }
    let digest = Rng::derive(seed, "image", h).hex(64);
    let repo = image.rsplit_once(':').map_or(image, |(r, _)| r);
    format!("{repo}@sha256:{digest}")
}

/// Everything needed to build one pod's `status`.
struct StatusInput<'a> {
    pub(super) kind: PodKind,
    pub(super) created: i64,
    pub(super) container: &'a str,
    pub(super) image: &'a str,
    image_id: &'a str,
    host_ip: &'a str,
    pub(super) pod_ip: &'a str,
    node_lost_at: i64,
    pod_name: &'a str,
    pub(super) namespace: &'a str,
    pub(super) uid: &'a str,
    node_count: usize,
}

fn pod_status(s: &StatusInput, rng: &mut Rng) -> Value {
    let c = s.created;
    let container_id = format!("containerd://{}", rng.hex(64));
    let ips = |status: &mut Map<String, Value>| {
        status.insert("hostIP".into(), json!(s.host_ip));
        status.insert("hostIPs".into(), json!([{"ip": s.host_ip}]));
        status.insert("podIP".into(), json!(s.pod_ip));
        status.insert("podIPs".into(), json!([{"ip": s.pod_ip}]));
        status.insert("startTime".into(), json!(ts(c + 1)));
    };
    let mut status = Map::new();
    match s.kind {
        PodKind::Ready | PodKind::NodeLost => {
            let ready = if s.kind == PodKind::Ready {
                condition("Ready", "True", c + 8)
            } else {
                condition("Ready", "False", s.node_lost_at)
            };
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition("PodReadyToStartContainers", "True", c + 2),
                    condition("Initialized", "True", c + 1),
                    ready,
                    condition("ContainersReady", "True", c + 8),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {},
                    "name": s.container,
                    "ready": true,
                    "restartCount": 0,
                    "started": true,
                    "state": {"running": {"startedAt": ts(c + 2)}},
                }]),
            );
            ips(&mut status);
            status.insert("phase".into(), json!("Running"));
        }
        PodKind::CrashLoop => {
            let restarts = 3 + rng.below(25);
            let finished = AS_OF_OFFSET - rng.range(20, 280);
            let unready = format!("containers with unready status: [{}]", s.container);
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition("PodReadyToStartContainers", "True", c + 2),
                    condition("Initialized", "True", c + 1),
                    condition_why("Ready", "False", c + 1, "ContainersNotReady", &unready),
                    condition_why(
                        "ContainersReady",
                        "False",
                        c + 1,
                        "ContainersNotReady",
                        &unready,
                    ),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {"terminated": {
                        "containerID": container_id,
                        "exitCode": 1,
                        "finishedAt": ts(finished),
                        "reason": "Error",
                        "startedAt": ts(finished - 5),
                    }},
                    "name": s.container,
                    "ready": false,
                    "restartCount": restarts,
                    "started": false,
                    "state": {"waiting": {
                        "message": format!(
                            "back-off 5m0s restarting failed container={} pod={}_{}({})",
                            s.container, s.pod_name, s.namespace, s.uid
                        ),
                        "reason": "CrashLoopBackOff",
                    }},
                }]),
            );
            ips(&mut status);
            status.insert("phase".into(), json!("Running"));
        }
        PodKind::Pending => {
            let n = s.node_count;
            let message = if n > 1 {
                format!(
                    "0/{n} nodes are available: 1 Insufficient cpu, {} node(s) didn't match Pod's node affinity/selector. preemption: 0/{n} nodes are available: 1 No preemption victims found for incoming pod, {} Preemption is not helpful for scheduling.",
                    n - 1,
                    n - 1
                )
            } else {
                "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.".to_string()
            };
            status.insert(
                "conditions".into(),
                Value::Array(vec![condition_why(
                    "PodScheduled",
                    "False",
                    c,
                    "Unschedulable",
                    &message,
                )]),
            );
            status.insert("phase".into(), json!("Pending"));
        }
        PodKind::Failed => {
            let failed = AS_OF_OFFSET - rng.range(2 * HOUR, 8 * HOUR);
            let message = format!(
                "The node was low on resource: memory. Threshold quantity: 100Mi, available: 94208Ki. Container {} was using 97412Ki, request is 64Mi, has larger consumption of memory. ",
                s.container
            );
            status.insert(
                "conditions".into(),
                Value::Array(vec![
                    condition_why(
                        "DisruptionTarget",
                        "True",
                        failed,
                        "TerminationByKubelet",
                        &message,
                    ),
                    condition("PodReadyToStartContainers", "False", failed + 1),
                    condition("Initialized", "True", c + 1),
                    condition_why("Ready", "False", failed, "PodFailed", ""),
                    condition_why("ContainersReady", "False", failed, "PodFailed", ""),
                    condition("PodScheduled", "True", c),
                ]),
            );
            status.insert(
                "containerStatuses".into(),
                json!([{
                    "containerID": container_id,
                    "image": s.image,
                    "imageID": s.image_id,
                    "lastState": {},
                    "name": s.container,
                    "ready": false,
                    "restartCount": 0,
                    "started": false,
                    "state": {"terminated": {
                        "containerID": container_id,
                        "exitCode": 137,
                        "finishedAt": ts(failed),
                        "reason": "Error",
                        "startedAt": ts(c + 2),
                    }},
                }]),
            );
            ips(&mut status);
            status.insert("message".into(), json!(message));
            status.insert("phase".into(), json!("Failed"));
            status.insert("reason".into(), json!("Evicted"));
        }
    }
    status.insert("qosClass".into(), json!("Burstable"));
    Value::Object(status)
}

/// A daemon pod as the controller creates it from `rev` for `node` (the node affinity of
/// `daemonset_util.go: ReplaceDaemonSetPodNodeNameNodeAffinity`, the tolerations of
/// `AddOrUpdateDaemonPodTolerations`, both revision labels), in the state `plan` asks for.
#[allow(clippy::too_many_arguments)]
pub(super) fn daemon_pod(
    seed: u64,
    ds: &DsPlan,
    rev: &Revision,
    node: &NodePlan,
    plan: &PodPlan,
    name: &str,
    pod_ip: &str,
    node_count: usize,
    rng: &mut Rng,
    rv: &mut ResourceVersions,
) -> Value {
    let uid = rng.uuid();
    let template = &rev.template;
    let mut spec = template["spec"].as_object().cloned().unwrap_or_default();
    // ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become one matchFields term.
    let mut affinity = spec.remove("affinity").unwrap_or_else(|| json!({}));
    affinity["nodeAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"] = json!({
        "nodeSelectorTerms": [{"matchFields": [{
            "key": "metadata.name",
            "operator": "In",
            "values": [node.name],
        }]}],
    });
    spec.insert("affinity".into(), affinity);
    let tolerations = pod_tolerations(&spec, ds.profile.host_network);
    spec.insert("tolerations".into(), tolerations);
    spec.insert("enableServiceLinks".into(), json!(true));
    if plan.kind != PodKind::Pending {
        spec.insert("nodeName".into(), json!(node.name));
    }
    spec.insert("preemptionPolicy".into(), json!("PreemptLowerPriority"));
    let priority = priority_of(spec.get("priorityClassName"));
    spec.insert("priority".into(), json!(priority));
    add_token_volume(&mut spec, rng);

    let container = &template["spec"]["containers"][0];
    let image = container["image"].as_str().unwrap_or_default();
    let image_id = image_id(seed, image);
    let mut labels = template["metadata"]["labels"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    labels.insert("controller-revision-hash".into(), json!(rev.hash));
    labels.insert(
        "pod-template-generation".into(),
        json!(rev.template_generation.to_string()),
    );
    let mut metadata = Map::new();
    if let Some(a) = template["metadata"].get("annotations") {
        metadata.insert("annotations".into(), a.clone());
    }
    metadata.insert("creationTimestamp".into(), json!(ts(plan.created)));
    metadata.insert("generateName".into(), json!(format!("{}-", ds.name)));
    metadata.insert("labels".into(), Value::Object(labels));
    metadata.insert("name".into(), json!(name));
    metadata.insert("namespace".into(), json!(ds.namespace));
    metadata.insert("ownerReferences".into(), ds.owner_reference());
    metadata.insert("resourceVersion".into(), json!(rv.take()));
    metadata.insert("uid".into(), json!(uid));
    let pod_ip = if ds.profile.host_network {
        node.ip.as_str()
    } else {
        pod_ip
    };
    let status = pod_status(
        &StatusInput {
            kind: plan.kind,
            created: plan.created,
            container: container["name"].as_str().unwrap_or_default(),
            image,
            image_id: &image_id,
            host_ip: &node.ip,
            pod_ip,
            node_lost_at: node.changed,
            pod_name: name,
            namespace: ds.namespace,
            uid: &uid,
            node_count,
        },
        rng,
    );
    object([
        ("apiVersion", json!("v1")),
        ("kind", json!("Pod")),
        ("metadata", Value::Object(metadata)),
        ("spec", Value::Object(spec)),
        ("status", status),
    ])
}

/// An object from owned parts. (`json!` copies every interpolated `Value` through
/// `to_value`, which dominated the generation time for pods.)
pub(super) fn object<const N: usize>(entries: [(&str, Value); N]) -> Value {
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )
}

/// Workloads behind the ordinary pods (namespace, deployment, image, port, cpu, memory).
pub(super) const DEPLOYMENTS: [(&str, &str, &str, u16, &str, &str); 6] = [
    (
        "default",
        "web",
        "docker.io/library/nginx:1.27.3",
        80,
        "50m",
        "64Mi",
    ),
    (
        "apps",
        "checkout",
        "ghcr.io/acme/checkout:2.14.1",
        8080,
        "100m",
        "128Mi",
    ),
    (
        "apps",
        "cart",
        "ghcr.io/acme/cart:2.14.1",
        8080,
        "100m",
        "128Mi",
    ),
    (
        "default",
        "docs",
        "docker.io/library/httpd:2.4.62",
        80,
        "20m",
        "32Mi",
    ),
    (
        "apps",
        "payments-worker",
        "ghcr.io/acme/payments-worker:1.9.0",
        0,
        "250m",
        "256Mi",
    ),
    (
        "apps",
        "search",
        "ghcr.io/acme/search:3.2.7",
        9200,
        "500m",
        "1Gi",
    ),
];

/// A Running pod owned by a ReplicaSet (Ready unless its node stopped reporting).
#[allow(clippy::too_many_arguments)]
pub(super) fn ordinary_pod(
    seed: u64,
    deployment: usize,
    rs_hash: &str,
    rs_uid: &str,
    node: &NodePlan,
    name: &str,
    pod_ip: &str,
    node_count: usize,
    rng: &mut Rng,
    rv: &mut ResourceVersions,
) -> Value {
    let (namespace, app, image, port, cpu, memory) = DEPLOYMENTS[deployment];
    let uid = rng.uuid();
    // Started after the node joined, and before it stopped reporting if it did.
    let earliest = node.created.max(4 * DAY);
    let latest = if node.state == NodeState::Unreachable {
        node.changed - 10 * MIN
    } else {
        AS_OF_OFFSET - HOUR
    };
    let created = rng.range(earliest, latest.max(earliest + 1));
    let container_name = app.rsplit('-').next().unwrap_or(app);
    let mut container = json!({
        "image": image,
        "imagePullPolicy": "IfNotPresent",
        "name": container_name,
        "resources": {"limits": {"memory": memory}, "requests": {"cpu": cpu, "memory": memory}},
        "terminationMessagePath": "/dev/termination-log",
        "terminationMessagePolicy": "File",
    });
    if port > 0 {
        container["ports"] = json!([{"containerPort": port, "name": "http", "protocol": "TCP"}]);
    }
    let mut tolerations = Vec::new();
    if node.control_plane {
        tolerations.push(toleration_json(&tol(
            "node-role.kubernetes.io/control-plane",
            "Exists",
            "NoSchedule",
        )));
    }
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        tolerations.push(toleration_json(&Toleration {
            seconds: Some(300),
            ..tol(key, "Exists", "NoExecute")
        }));
    }
    let mut spec = json!({
        "containers": [container],
        "dnsPolicy": "ClusterFirst",
        "enableServiceLinks": true,
        "nodeName": node.name,
        "preemptionPolicy": "PreemptLowerPriority",
        "priority": 0,
        "restartPolicy": "Always",
        "schedulerName": "default-scheduler",
        "securityContext": {},
        "serviceAccount": "default",
        "serviceAccountName": "default",
        "terminationGracePeriodSeconds": 30,
        "tolerations": tolerations,
    });
    if let Some(obj) = spec.as_object_mut() {
        add_token_volume(obj, rng);
    }
    let kind = if node.state == NodeState::Unreachable {
        PodKind::NodeLost
    } else {
        PodKind::Ready
    };
    let status = pod_status(
        &StatusInput {
            kind,
            created,
            container: container_name,
            image,
            image_id: &image_id(seed, image),
            host_ip: &node.ip,
            pod_ip,
            node_lost_at: node.changed,
            pod_name: name,
            namespace,
            uid: &uid,
            node_count,
        },
        rng,
    );
    let metadata = json!({
            "creationTimestamp": ts(created),
            "generateName": format!("{app}-{rs_hash}-"),
            "labels": {"app": app, "pod-template-hash": rs_hash},
            "name": name,
            "namespace": namespace,
            "ownerReferences": [{
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": true,
                "controller": true,
                "kind": "ReplicaSet",
                "name": format!("{app}-{rs_hash}"),
                "uid": rs_uid,
            }],
            "resourceVersion": rv.take(),
            "uid": uid,
    });
    object([
        ("apiVersion", json!("v1")),
        ("kind", json!("Pod")),
        ("metadata", metadata),
        ("spec", spec),
        ("status", status),
    ])
}
