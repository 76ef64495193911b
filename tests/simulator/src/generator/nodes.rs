//! Nodes: instance types, node states and the node objects.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum NodeState {
    Ready,
    /// Ready=Unknown with the unreachable NoSchedule and NoExecute taints.
    Unreachable,
    /// `spec.unschedulable` and the unschedulable:NoSchedule taint.
    Cordoned,
    /// `dedicated=infra:NoSchedule`, added after its daemon pods started.
    Dedicated,
}

#[derive(Debug, Clone, Copy)]
pub(super) struct Instance {
    pub(super) name: &'static str,
    pub(super) cpu: u32,
    pub(super) memory_gib: u64,
    pub(super) gpus: u32,
}

const fn inst(name: &'static str, cpu: u32, memory_gib: u64, gpus: u32) -> Instance {
    Instance {
        name,
        cpu,
        memory_gib,
        gpus,
    }
}

const CONTROL_PLANE_TYPE: Instance = inst("m6i.xlarge", 4, 16, 0);
const AMD64_TYPES: [Instance; 5] = [
    inst("m6i.large", 2, 8, 0),
    inst("m6i.xlarge", 4, 16, 0),
    inst("m6i.2xlarge", 8, 32, 0),
    inst("c6i.2xlarge", 8, 16, 0),
    inst("r6i.xlarge", 4, 32, 0),
];
const ARM64_TYPES: [Instance; 2] = [inst("m7g.xlarge", 4, 16, 0), inst("c7g.2xlarge", 8, 16, 0)];
const GPU_TYPES: [Instance; 2] = [inst("g5.xlarge", 4, 16, 1), inst("g5.2xlarge", 8, 32, 1)];

#[derive(Debug, Clone)]
pub(super) struct NodePlan {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) labels: BTreeMap<String, String>,
    pub(super) taints: Vec<Taint>,
    pub(super) state: NodeState,
    pub(super) created: i64,
    /// When drift hit the node (unreachable since, cordoned at, tainted at).
    pub(super) changed: i64,
    pub(super) ip: String,
    /// The first three octets of the node's pod CIDR.
    pub(super) pod_net: String,
    pub(super) zone: &'static str,
    pub(super) arch: &'static str,
    pub(super) instance: Instance,
    pub(super) control_plane: bool,
    pub(super) gpu: bool,
}

impl NodePlan {
    pub(super) fn new(seed: u64, index: usize) -> NodePlan {
        let mut rng = Rng::derive(seed, "node", index as u64);
        let control_plane = index < 3;
        // About 5 % GPU nodes, at fixed positions among the workers so that small clusters get
        // one too.
        let gpu = !control_plane && (index - 3) % 20 == 4;
        let arm = !control_plane && !gpu && rng.chance(0.10);
        let instance = if control_plane {
            CONTROL_PLANE_TYPE
        } else if gpu {
            GPU_TYPES[rng.below(2) as usize]
        } else if arm {
            ARM64_TYPES[rng.below(2) as usize]
        } else {
            AMD64_TYPES[rng.below(5) as usize]
        };
        let arch = if arm { "arm64" } else { "amd64" };
        let zone_index = index % 3;
        let zone = ZONES[zone_index];
        let name = format!("node-{index:05}");
        let k = index / 3;
        let ip = format!(
            "10.{}.{}.{}",
            zone_index * 32 + k / 62_500,
            (k / 250) % 250,
            k % 250 + 4
        );
        let pod_net = format!("10.{}.{}", 128 + (index / 256) % 128, index % 256);
        let created = if control_plane {
            index as i64 * 7 * MIN + rng.range(0, 60)
        } else {
            HOUR + rng.range(0, 9 * DAY)
        };

        let mut labels = BTreeMap::new();
        let mut set = |k: &str, v: &str| {
            labels.insert(k.to_string(), v.to_string());
        };
        set("beta.kubernetes.io/arch", arch);
        set("beta.kubernetes.io/instance-type", instance.name);
        set("beta.kubernetes.io/os", "linux");
        set("kubernetes.io/arch", arch);
        set("kubernetes.io/hostname", &name);
        set("kubernetes.io/os", "linux");
        set("node.kubernetes.io/instance-type", instance.name);
        set("topology.kubernetes.io/region", REGION);
        set("topology.kubernetes.io/zone", zone);
        let mut taints = Vec::new();
        if control_plane {
            set("node-role.kubernetes.io/control-plane", "");
            set(
                "node.kubernetes.io/exclude-from-external-load-balancers",
                "",
            );
            taints.push(Taint {
                key: "node-role.kubernetes.io/control-plane",
                value: "",
                effect: "NoSchedule",
                time_added: None,
                drift: false,
            });
        }
        if gpu {
            set("nvidia.com/gpu.count", "1");
            set("nvidia.com/gpu.present", "true");
            set("nvidia.com/gpu.product", "NVIDIA-A10G");
            taints.push(Taint {
                key: "nvidia.com/gpu",
                value: "present",
                effect: "NoSchedule",
                time_added: None,
                drift: false,
            });
        }
        NodePlan {
            index,
            name,
            labels,
            taints,
            state: NodeState::Ready,
            created,
            changed: 0,
            ip,
            pod_net,
            zone,
            arch,
            instance,
            control_plane,
            gpu,
        }
    }

    /// Put the node in a drifted state, with the taints the control plane (or a person) writes.
    pub(super) fn drift(&mut self, state: NodeState, rng: &mut Rng) {
        self.state = state;
        match state {
            NodeState::Ready => {}
            NodeState::Unreachable => {
                self.changed = AS_OF_OFFSET - rng.range(20 * MIN, 3 * HOUR);
                for (effect, delay) in [("NoSchedule", 0), ("NoExecute", 5)] {
                    self.taints.push(Taint {
                        key: "node.kubernetes.io/unreachable",
                        value: "",
                        effect,
                        time_added: Some(self.changed + delay),
                        drift: true,
                    });
                }
            }
            NodeState::Cordoned => {
                self.changed = AS_OF_OFFSET - rng.range(HOUR, 20 * HOUR);
                self.taints.push(Taint {
                    key: "node.kubernetes.io/unschedulable",
                    value: "",
                    effect: "NoSchedule",
                    time_added: Some(self.changed),
                    drift: true,
                });
            }
            NodeState::Dedicated => {
                // After every daemon pod in the cluster started (rollouts end by Nov 16).
                self.changed = 17 * DAY + rng.range(0, 12 * HOUR);
                self.taints.push(Taint {
                    key: "dedicated",
                    value: "infra",
                    effect: "NoSchedule",
                    time_added: Some(self.changed),
                    drift: true,
                });
            }
        }
    }

    pub(super) fn to_json(&self, seed: u64, rv: &mut ResourceVersions) -> Value {
        let mut rng = Rng::derive(seed, "node-json", self.index as u64);
        let uid = rng.uuid();
        let cpu = self.instance.cpu;
        let memory_ki = self.instance.memory_gib * 1_048_576 - 420_000 - rng.below(60_000);
        let mut capacity = json!({
            "cpu": cpu.to_string(),
            "ephemeral-storage": "83873772Ki",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": format!("{memory_ki}Ki"),
            "pods": "110",
        });
        let mut allocatable = json!({
            "cpu": format!("{}m", cpu * 1000 - 60 - 10 * cpu.trailing_zeros()),
            "ephemeral-storage": "77298068148",
            "hugepages-1Gi": "0",
            "hugepages-2Mi": "0",
            "memory": format!("{}Ki", memory_ki - 614_912),
            "pods": "110",
        });
        if self.instance.gpus > 0 {
            capacity["nvidia.com/gpu"] = json!(self.instance.gpus.to_string());
            allocatable["nvidia.com/gpu"] = json!(self.instance.gpus.to_string());
        }
        let heartbeat = AS_OF_OFFSET - rng.range(5, 60);
        let conditions: Vec<Value> = if self.state == NodeState::Unreachable {
            ["MemoryPressure", "DiskPressure", "PIDPressure", "Ready"]
                .iter()
                .map(|t| {
                    json!({
                        "lastHeartbeatTime": ts(self.changed - 51),
                        "lastTransitionTime": ts(self.changed),
                        "message": "Kubelet stopped posting node status.",
                        "reason": "NodeStatusUnknown",
                        "status": "Unknown",
                        "type": t,
                    })
                })
                .collect()
        } else {
            [
                (
                    "MemoryPressure",
                    "KubeletHasSufficientMemory",
                    "kubelet has sufficient memory available",
                ),
                (
                    "DiskPressure",
                    "KubeletHasNoDiskPressure",
                    "kubelet has no disk pressure",
                ),
                (
                    "PIDPressure",
                    "KubeletHasSufficientPID",
                    "kubelet has sufficient PID available",
                ),
            ]
            .iter()
            .map(|(t, reason, message)| {
                json!({
                    "lastHeartbeatTime": ts(heartbeat),
                    "lastTransitionTime": ts(self.created + 1),
                    "message": message,
                    "reason": reason,
                    "status": "False",
                    "type": t,
                })
            })
            .chain(std::iter::once(json!({
                "lastHeartbeatTime": ts(heartbeat),
                "lastTransitionTime": ts(self.created + 38),
                "message": "kubelet is posting ready status",
                "reason": "KubeletReady",
                "status": "True",
                "type": "Ready",
            })))
            .collect()
        };
        let mut spec = json!({
            "podCIDR": format!("{}.0/24", self.pod_net),
            "podCIDRs": [format!("{}.0/24", self.pod_net)],
            "providerID": format!("aws:///{}/i-0{}", self.zone, rng.hex(16)),
        });
        if !self.taints.is_empty() {
            spec["taints"] = Value::Array(self.taints.iter().map(taint_json).collect());
        }
        if self.state == NodeState::Cordoned {
            spec["unschedulable"] = json!(true);
        }
        let dns = format!("ip-{}.{REGION}.compute.internal", self.ip.replace('.', "-"));
        let boot_id = rng.uuid();
        let machine_id = rng.hex(32);
        let system_uuid = format!("ec2{}", &rng.uuid()[3..]);
        json!({
            "apiVersion": "v1",
            "kind": "Node",
            "metadata": {
                "annotations": {
                    "alpha.kubernetes.io/provided-node-ip": self.ip,
                    "node.alpha.kubernetes.io/ttl": "0",
                    "volumes.kubernetes.io/controller-managed-attach-detach": "true",
                },
                "creationTimestamp": ts(self.created),
                "labels": self.labels,
                "name": self.name,
                "resourceVersion": rv.take(),
                "uid": uid,
            },
            "spec": spec,
            "status": {
                "addresses": [
                    {"address": self.ip, "type": "InternalIP"},
                    {"address": dns, "type": "InternalDNS"},
                    {"address": self.name, "type": "Hostname"},
                ],
                "allocatable": allocatable,
                "capacity": capacity,
                "conditions": conditions,
                "daemonEndpoints": {"kubeletEndpoint": {"Port": 10250}},
                "nodeInfo": {
                    "architecture": self.arch,
                    "bootID": boot_id,
                    "containerRuntimeVersion": "containerd://1.7.24",
                    "kernelVersion": "6.8.0-1021-aws",
                    "kubeProxyVersion": "",
                    "kubeletVersion": KUBELET_VERSION,
                    "machineID": machine_id,
                    "operatingSystem": "linux",
                    "osImage": "Ubuntu 24.04.1 LTS",
                    "systemUUID": system_uuid,
                },
            },
        })
    }
}

fn taint_json(t: &Taint) -> Value {
    let mut m = Map::new();
    m.insert("effect".into(), json!(t.effect));
    m.insert("key".into(), json!(t.key));
    if let Some(at) = t.time_added {
        m.insert("timeAdded".into(), json!(ts(at)));
    }
    if !t.value.is_empty() {
        m.insert("value".into(), json!(t.value));
    }
    Value::Object(m)
}
