//! Static pods: the mirror pods a kubeadm control plane shows in the API (etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler on every control-plane node), shaped as
//! `kubectl get pods -o json` returns them from a v1.31 kubeadm cluster: the kubelet's
//! `kubernetes.io/config.*` annotations, the node as controller owner reference, name
//! `<manifest>-<node>`.

use serde_json::{Value, json};

use super::*;

/// kubeadm's control-plane manifests (`/etc/kubernetes/manifests/*.yaml`).
pub const KUBEADM_STATIC_PODS: [&str; 4] = [
    "etcd",
    "kube-apiserver",
    "kube-controller-manager",
    "kube-scheduler",
];

/// What goes wrong with one static pod on one control-plane node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StaticFault {
    /// No mirror pod (the manifest is gone from the node's folder).
    Absent,
    /// Running, its container not Ready (failing readiness probe after restarts).
    NotReady,
}

/// Adds kubeadm's four mirror pods to every control-plane node of `cluster` (nodes labelled
/// `node-role.kubernetes.io/control-plane`), but for `faults`: (manifest, index of the node
/// among the control-plane nodes, fault). The pods stay sorted as kubectl lists them.
pub fn add_kubeadm_static_pods(cluster: &mut Cluster, faults: &[(&str, usize, StaticFault)]) {
    let control_plane: Vec<(String, String)> = cluster
        .nodes
        .iter()
        .filter(|n| {
            n.pointer("/metadata/labels")
                .and_then(|l| l.get("node-role.kubernetes.io/control-plane"))
                .is_some()
        })
        .map(|n| {
            (
                n["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                n["metadata"]["uid"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        })
        .collect();
    for (i, (node, node_uid)) in control_plane.iter().enumerate() {
        for (m, manifest) in KUBEADM_STATIC_PODS.iter().enumerate() {
            let fault = faults
                .iter()
                .find(|(f, n, _)| f == manifest && *n == i)
                .map(|(_, _, f)| *f);
            if fault == Some(StaticFault::Absent) {
                continue;
            }
            let mut rng = Rng::derive(i as u64, manifest, m as u64);
            cluster.pods.push(mirror_pod(
                manifest,
                node,
                node_uid,
                i,
                fault == Some(StaticFault::NotReady),
                &mut rng,
            ));
        }
    }
    cluster.pods.sort_by(|a, b| {
        let key = |v: &Value| {
            (
                v["metadata"]["namespace"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                v["metadata"]["name"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
            )
        };
        key(a).cmp(&key(b))
    });
}

fn mirror_pod(
    manifest: &str,
    node: &str,
    node_uid: &str,
    index: usize,
    not_ready: bool,
    rng: &mut Rng,
) -> Value {
    let hash = rng.hex(32);
    let created = index as i64 * 7 * MIN + 5 * MIN + rng.range(0, 60);
    let started = created - 30;
    let ip = format!("10.{}.0.{}", (index % 3) * 32, index / 3 + 4);
    let image = match manifest {
        "etcd" => "registry.k8s.io/etcd:3.5.15-0".to_string(),
        other => format!("registry.k8s.io/{other}:{KUBELET_VERSION}"),
    };
    let mut annotations = json!({
        "kubernetes.io/config.hash": hash,
        "kubernetes.io/config.mirror": hash,
        "kubernetes.io/config.seen": ts(started - 5),
        "kubernetes.io/config.source": "file",
    });
    match manifest {
        "etcd" => {
            annotations["kubeadm.kubernetes.io/etcd.advertise-client-urls"] =
                json!(format!("https://{ip}:2379"));
        }
        "kube-apiserver" => {
            annotations["kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint"] =
                json!(format!("{ip}:6443"));
        }
        _ => {}
    }
    let ready_time = ts(started + 20);
    let (ready, conditions, state, last_state, restarts) = if not_ready {
        (
            false,
            json!([
                {"lastProbeTime": null, "lastTransitionTime": ts(started + 1), "status": "True", "type": "PodReadyToStartContainers"},
                {"lastProbeTime": null, "lastTransitionTime": ts(started + 2), "status": "True", "type": "Initialized"},
                {"lastProbeTime": null, "lastTransitionTime": ts(AS_OF_OFFSET - 25 * MIN), "message": format!("containers with unready status: [{manifest}]"), "reason": "ContainersNotReady", "status": "False", "type": "Ready"},
                {"lastProbeTime": null, "lastTransitionTime": ts(AS_OF_OFFSET - 25 * MIN), "message": format!("containers with unready status: [{manifest}]"), "reason": "ContainersNotReady", "status": "False", "type": "ContainersReady"},
                {"lastProbeTime": null, "lastTransitionTime": ts(started), "status": "True", "type": "PodScheduled"}
            ]),
            json!({"running": {"startedAt": ts(AS_OF_OFFSET - 4 * MIN)}}),
            json!({"terminated": {"containerID": format!("containerd://{}", rng.hex(64)), "exitCode": 1, "finishedAt": ts(AS_OF_OFFSET - 4 * MIN - 1), "reason": "Error", "startedAt": ts(AS_OF_OFFSET - 9 * MIN)}}),
            6,
        )
    } else {
        (
            true,
            json!([
                {"lastProbeTime": null, "lastTransitionTime": ts(started + 1), "status": "True", "type": "PodReadyToStartContainers"},
                {"lastProbeTime": null, "lastTransitionTime": ts(started + 2), "status": "True", "type": "Initialized"},
                {"lastProbeTime": null, "lastTransitionTime": ready_time, "status": "True", "type": "Ready"},
                {"lastProbeTime": null, "lastTransitionTime": ready_time, "status": "True", "type": "ContainersReady"},
                {"lastProbeTime": null, "lastTransitionTime": ts(started), "status": "True", "type": "PodScheduled"}
            ]),
            json!({"running": {"startedAt": ts(started + 3)}}),
            json!({}),
            0,
        )
    };
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "annotations": annotations,
            "creationTimestamp": ts(created),
            "labels": {"component": manifest, "tier": "control-plane"},
            "name": format!("{manifest}-{node}"),
            "namespace": "kube-system",
            "ownerReferences": [{
                "apiVersion": "v1",
                "controller": true,
                "kind": "Node",
                "name": node,
                "uid": node_uid
            }],
            "resourceVersion": format!("{}", 900 + index * 10 + manifest.len()),
            "uid": rng.uuid()
        },
        "spec": {
            "containers": [{
                "command": [manifest],
                "image": image,
                "imagePullPolicy": "IfNotPresent",
                "name": manifest,
                "resources": {"requests": {"cpu": if manifest == "kube-scheduler" { "100m" } else { "250m" }}},
                "terminationMessagePath": "/dev/termination-log",
                "terminationMessagePolicy": "File"
            }],
            "dnsPolicy": "ClusterFirst",
            "enableServiceLinks": true,
            "hostNetwork": true,
            "nodeName": node,
            "preemptionPolicy": "PreemptLowerPriority",
            "priority": 2000001000,
            "priorityClassName": "system-node-critical",
            "restartPolicy": "Always",
            "schedulerName": "default-scheduler",
            "securityContext": {"seccompProfile": {"type": "RuntimeDefault"}},
            "terminationGracePeriodSeconds": 30,
            "tolerations": [{"effect": "NoExecute", "operator": "Exists"}]
        },
        "status": {
            "conditions": conditions,
            "containerStatuses": [{
                "containerID": format!("containerd://{}", rng.hex(64)),
                "image": image,
                "imageID": format!("registry.k8s.io/{manifest}@sha256:{}", rng.hex(64)),
                "lastState": last_state,
                "name": manifest,
                "ready": ready,
                "restartCount": restarts,
                "started": true,
                "state": state
            }],
            "hostIP": ip,
            "hostIPs": [{"ip": ip}],
            "phase": "Running",
            "podIP": ip,
            "podIPs": [{"ip": ip}],
            "qosClass": "Burstable",
            "startTime": ts(started)
        }
    })
}
