//! DaemonSet profiles: the kinds of DaemonSets generated and their plans.

use serde_json::{Map, Value, json};

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Placing {
    /// `tolerations: [{operator: Exists}]`, nodeSelector kubernetes.io/os=linux.
    TolerateAll,
    /// Calico's form: Exists for every NoSchedule and every NoExecute taint.
    TolerateAllByEffect,
    /// Tolerates the control-plane taint only.
    ControlPlane,
    /// nodeSelector kubernetes.io/os=linux, no tolerations.
    LinuxOnly,
    /// nodeSelector nvidia.com/gpu.present=true, tolerates the nvidia.com/gpu taint.
    Gpu,
    /// Required affinity kubernetes.io/arch In [amd64], tolerates the control-plane taint.
    Amd64,
    /// Required affinity topology.kubernetes.io/zone In [one zone].
    Zone,
    /// Required affinity eks.amazonaws.com/compute-type NotIn [fargate, hybrid]; tolerates
    /// CriticalAddonsOnly and every NoExecute taint.
    NotFargate,
}

#[derive(Debug)]
pub(super) struct Profile {
    pub(super) name: &'static str,
    pub(super) namespace: &'static str,
    placing: Placing,
    pub(super) image: &'static str,
    /// [previous, current] image tags.
    pub(super) versions: [&'static str; 2],
    pub(super) port: u16,
    pub(super) host_network: bool,
    pub(super) on_delete: bool,
    pub(super) priority_class: &'static str,
    /// Helm-style `app.kubernetes.io/*` labels, else `k8s-app`.
    pub(super) helm: bool,
    pub(super) privileged: bool,
    /// cpu request, memory request, memory limit ("" for none).
    pub(super) resources: (&'static str, &'static str, &'static str),
    pub(super) args: &'static [&'static str],
    pub(super) host_paths: &'static [(&'static str, &'static str)],
}

const PROFILES: &[Profile] = &[
    Profile {
        name: "kube-proxy",
        namespace: "kube-system",
        placing: Placing::TolerateAll,
        image: "registry.k8s.io/kube-proxy",
        versions: ["v1.31.3", "v1.31.4"],
        port: 10249,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("100m", "64Mi", ""),
        args: &[
            "--config=/var/lib/kube-proxy/config.conf",
            "--hostname-override=$(NODE_NAME)",
        ],
        host_paths: &[
            ("xtables-lock", "/run/xtables.lock"),
            ("lib-modules", "/lib/modules"),
        ],
    },
    Profile {
        name: "fluent-bit",
        namespace: "logging",
        placing: Placing::ControlPlane,
        image: "cr.fluentbit.io/fluent/fluent-bit",
        versions: ["3.1.8", "3.1.9"],
        port: 2020,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "256Mi"),
        args: &[
            "--workdir=/fluent-bit/etc",
            "--config=/fluent-bit/etc/conf/fluent-bit.conf",
        ],
        host_paths: &[
            ("varlog", "/var/log"),
            ("varlibdockercontainers", "/var/lib/docker/containers"),
            ("etcmachineid", "/etc/machine-id"),
        ],
    },
    Profile {
        name: "node-exporter",
        namespace: "monitoring",
        placing: Placing::TolerateAll,
        image: "quay.io/prometheus/node-exporter",
        versions: ["v1.7.0", "v1.8.2"],
        port: 9100,
        host_network: true,
        on_delete: true,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "64Mi", "180Mi"),
        args: &[
            "--path.procfs=/host/proc",
            "--path.sysfs=/host/sys",
            "--path.rootfs=/host/root",
            "--web.listen-address=:9100",
        ],
        host_paths: &[("proc", "/proc"), ("sys", "/sys"), ("root", "/")],
    },
    Profile {
        name: "nvidia-device-plugin",
        namespace: "gpu-operator",
        placing: Placing::Gpu,
        image: "nvcr.io/nvidia/k8s-device-plugin",
        versions: ["v0.16.2", "v0.17.0"],
        port: 0,
        host_network: false,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: true,
        privileged: false,
        resources: ("50m", "32Mi", "128Mi"),
        args: &["--fail-on-init-error=false"],
        host_paths: &[("device-plugin", "/var/lib/kubelet/device-plugins")],
    },
    Profile {
        name: "falco",
        namespace: "security",
        placing: Placing::Amd64,
        image: "docker.io/falcosecurity/falco",
        versions: ["0.38.2", "0.39.1"],
        port: 8765,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("100m", "512Mi", "1024Mi"),
        args: &["/usr/bin/falco", "-pk"],
        host_paths: &[
            ("proc-fs", "/proc"),
            ("boot-fs", "/boot"),
            ("lib-modules", "/lib/modules"),
            ("usr-fs", "/usr"),
            ("etc-fs", "/etc"),
            ("containerd-socket", "/run/containerd/containerd.sock"),
        ],
    },
    Profile {
        name: "metallb-speaker",
        namespace: "networking",
        placing: Placing::Zone,
        image: "quay.io/metallb/speaker",
        versions: ["v0.14.5", "v0.14.8"],
        port: 7472,
        host_network: true,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "128Mi"),
        args: &["--port=7472", "--log-level=info"],
        host_paths: &[],
    },
    Profile {
        name: "calico-node",
        namespace: "networking",
        placing: Placing::TolerateAllByEffect,
        image: "quay.io/calico/node",
        versions: ["v3.28.1", "v3.28.2"],
        port: 9091,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("250m", "128Mi", ""),
        args: &[],
        host_paths: &[
            ("lib-modules", "/lib/modules"),
            ("var-run-calico", "/var/run/calico"),
            ("var-lib-calico", "/var/lib/calico"),
            ("xtables-lock", "/run/xtables.lock"),
            ("cni-bin-dir", "/opt/cni/bin"),
            ("cni-net-dir", "/etc/cni/net.d"),
        ],
    },
    Profile {
        name: "datadog-agent",
        namespace: "monitoring",
        placing: Placing::LinuxOnly,
        image: "gcr.io/datadoghq/agent",
        versions: ["7.57.2", "7.58.0"],
        port: 8126,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("200m", "256Mi", "512Mi"),
        args: &["agent", "run"],
        host_paths: &[
            ("procdir", "/proc"),
            ("cgroups", "/sys/fs/cgroup"),
            ("runtimesocketdir", "/var/run/containerd"),
        ],
    },
    Profile {
        name: "ebs-csi-node",
        namespace: "kube-system",
        placing: Placing::NotFargate,
        image: "public.ecr.aws/ebs-csi-driver/aws-ebs-csi-driver",
        versions: ["v1.34.0", "v1.35.0"],
        port: 9808,
        host_network: false,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: true,
        privileged: true,
        resources: ("10m", "40Mi", "256Mi"),
        args: &[
            "node",
            "--endpoint=$(CSI_ENDPOINT)",
            "--logging-format=text",
            "--v=2",
        ],
        host_paths: &[
            ("kubelet-dir", "/var/lib/kubelet"),
            ("plugin-dir", "/var/lib/kubelet/plugins/ebs.csi.aws.com/"),
            ("registration-dir", "/var/lib/kubelet/plugins_registry/"),
            ("device-dir", "/dev"),
        ],
    },
    Profile {
        name: "dcgm-exporter",
        namespace: "gpu-operator",
        placing: Placing::Gpu,
        image: "nvcr.io/nvidia/k8s/dcgm-exporter",
        versions: ["3.3.8-3.6.0-ubuntu22.04", "3.3.9-3.6.1-ubuntu22.04"],
        port: 9400,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "128Mi", "512Mi"),
        args: &["-f", "/etc/dcgm-exporter/dcp-metrics-included.csv"],
        host_paths: &[("pod-gpu-resources", "/var/lib/kubelet/pod-resources")],
    },
    Profile {
        name: "promtail",
        namespace: "logging",
        placing: Placing::ControlPlane,
        image: "docker.io/grafana/promtail",
        versions: ["3.1.1", "3.2.0"],
        port: 3101,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("50m", "64Mi", "256Mi"),
        args: &["-config.file=/etc/promtail/promtail.yaml"],
        host_paths: &[
            ("run", "/run/promtail"),
            ("pods", "/var/log/pods"),
            ("containers", "/var/lib/docker/containers"),
        ],
    },
    Profile {
        name: "node-problem-detector",
        namespace: "kube-system",
        placing: Placing::LinuxOnly,
        image: "registry.k8s.io/node-problem-detector/node-problem-detector",
        versions: ["v0.8.19", "v0.8.20"],
        port: 20257,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("20m", "20Mi", "100Mi"),
        args: &[
            "--logtostderr",
            "--config.system-log-monitor=/config/kernel-monitor.json",
        ],
        host_paths: &[
            ("log", "/var/log"),
            ("kmsg", "/dev/kmsg"),
            ("localtime", "/etc/localtime"),
        ],
    },
    Profile {
        name: "kured",
        namespace: "kube-system",
        placing: Placing::ControlPlane,
        image: "ghcr.io/kubereboot/kured",
        versions: ["1.15.1", "1.16.0"],
        port: 8080,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("10m", "32Mi", "64Mi"),
        args: &[
            "--period=1h",
            "--reboot-days=mon,tue,wed,thu",
            "--start-time=02:00",
        ],
        host_paths: &[("sentinel", "/var/run")],
    },
    Profile {
        name: "otel-collector-agent",
        namespace: "monitoring",
        placing: Placing::Zone,
        image: "docker.io/otel/opentelemetry-collector-contrib",
        versions: ["0.110.0", "0.112.0"],
        port: 4317,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: false,
        resources: ("100m", "128Mi", "512Mi"),
        args: &["--config=/conf/relay.yaml"],
        host_paths: &[
            ("varlogpods", "/var/log/pods"),
            ("varlibdockercontainers", "/var/lib/docker/containers"),
        ],
    },
    Profile {
        name: "aws-node",
        namespace: "networking",
        placing: Placing::TolerateAll,
        image: "602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni",
        versions: ["v1.18.5", "v1.18.6"],
        port: 61678,
        host_network: true,
        on_delete: false,
        priority_class: "system-node-critical",
        helm: false,
        privileged: true,
        resources: ("25m", "64Mi", ""),
        args: &[],
        host_paths: &[
            ("cni-bin-dir", "/opt/cni/bin"),
            ("cni-net-dir", "/etc/cni/net.d"),
            ("log-dir", "/var/log/aws-routed-eni"),
            ("run-dir", "/var/run/aws-node"),
            ("xtables-lock", "/run/xtables.lock"),
        ],
    },
    Profile {
        name: "aqua-enforcer",
        namespace: "security",
        placing: Placing::Amd64,
        image: "registry.aquasec.com/enforcer",
        versions: ["2022.4.588", "2022.4.612"],
        port: 0,
        host_network: false,
        on_delete: false,
        priority_class: "",
        helm: true,
        privileged: true,
        resources: ("100m", "256Mi", "1Gi"),
        args: &[],
        host_paths: &[
            ("var-run", "/var/run"),
            ("dev", "/dev"),
            ("sys", "/sys"),
            ("proc", "/proc"),
            ("etc", "/etc"),
        ],
    },
];

/// A DaemonSet decided before any of its objects is built.
#[derive(Debug)]
pub(super) struct DsPlan {
    pub(super) index: usize,
    pub(super) name: String,
    pub(super) namespace: &'static str,
    pub(super) profile: &'static Profile,
    pub(super) placement: Placement,
    pub(super) uid: String,
    pub(super) created: i64,
    /// When revision 2 was created (used only with two revisions).
    pub(super) rev2_created: i64,
    /// Two revisions by chance (drift that needs an old revision forces it too).
    pub(super) two_revisions_by_chance: bool,
    /// With two revisions: generation 3, a non-template change after the rollout.
    pub(super) extra_generation: bool,
    pub(super) on_delete: bool,
    /// [previous, current] controller-revision-hash values.
    pub(super) hashes: [String; 2],
    pub(super) revision_uids: [String; 2],
    pub(super) checksum: String,
    /// The smallest daemon pod of this DaemonSet should be at least this large when padded.
    pub(super) min_pod_bytes: usize,
}

impl DsPlan {
    pub(super) fn new(seed: u64, index: usize) -> DsPlan {
        let profile = &PROFILES[index % PROFILES.len()];
        let copy = index / PROFILES.len();
        let name = if copy == 0 {
            profile.name.to_string()
        } else {
            format!("{}-{}", profile.name, copy + 1)
        };
        let mut rng = Rng::derive(seed, "daemonset", index as u64);
        let control_plane = tol(
            "node-role.kubernetes.io/control-plane",
            "Exists",
            "NoSchedule",
        );
        let linux = vec![("kubernetes.io/os", "linux".to_string())];
        let zone = ZONES[index % ZONES.len()];
        let (node_selector, required, tolerations) = match profile.placing {
            Placing::TolerateAll => (linux, vec![], vec![tol("", "Exists", "")]),
            Placing::TolerateAllByEffect => (
                linux,
                vec![],
                vec![
                    tol("", "Exists", "NoSchedule"),
                    tol("CriticalAddonsOnly", "Exists", ""),
                    tol("", "Exists", "NoExecute"),
                ],
            ),
            Placing::ControlPlane => (vec![], vec![], vec![control_plane]),
            Placing::LinuxOnly => (linux, vec![], vec![]),
            Placing::Gpu => (
                vec![("nvidia.com/gpu.present", "true".to_string())],
                vec![],
                vec![tol("nvidia.com/gpu", "Exists", "NoSchedule")],
            ),
            Placing::Amd64 => (
                vec![],
                vec![Requirement {
                    key: "kubernetes.io/arch",
                    op: Op::In,
                    values: vec!["amd64".into()],
                }],
                vec![control_plane],
            ),
            Placing::Zone => (
                linux,
                vec![Requirement {
                    key: "topology.kubernetes.io/zone",
                    op: Op::In,
                    values: vec![zone.into()],
                }],
                vec![],
            ),
            Placing::NotFargate => (
                linux,
                vec![Requirement {
                    key: "eks.amazonaws.com/compute-type",
                    op: Op::NotIn,
                    values: vec!["fargate".into(), "hybrid".into()],
                }],
                vec![
                    tol("CriticalAddonsOnly", "Exists", ""),
                    Toleration {
                        seconds: Some(300),
                        ..tol("", "Exists", "NoExecute")
                    },
                ],
            ),
        };
        let uid = rng.uuid();
        let created = 20 * MIN + index as i64 * 3 * MIN + rng.range(0, 120);
        let rev2_created = 11 * DAY + rng.range(0, 4 * DAY);
        let two_revisions_by_chance = rng.chance(0.5);
        let extra_generation = rng.chance(0.3);
        let on_delete = profile.on_delete || (copy > 0 && rng.chance(0.1));
        let old_hash = rng.safe(10);
        let mut new_hash = rng.safe(10);
        while new_hash == old_hash {
            new_hash = rng.safe(10);
        }
        let revision_uids = [rng.uuid(), rng.uuid()];
        let checksum = rng.hex(64);
        let min_pod_bytes = 5_250 + rng.below(450) as usize;
        DsPlan {
            index,
            name,
            namespace: profile.namespace,
            profile,
            placement: Placement {
                node_selector,
                required,
                tolerations,
                host_network: profile.host_network,
            },
            uid,
            created,
            rev2_created,
            two_revisions_by_chance,
            extra_generation,
            on_delete,
            hashes: [old_hash, new_hash],
            revision_uids,
            checksum,
            min_pod_bytes,
        }
    }

    pub(super) fn selector_labels(&self) -> Map<String, Value> {
        let mut m = Map::new();
        if self.profile.helm {
            m.insert("app.kubernetes.io/instance".into(), json!(self.name));
            m.insert("app.kubernetes.io/name".into(), json!(self.name));
        } else {
            m.insert("k8s-app".into(), json!(self.name));
        }
        m
    }

    /// The DaemonSet's (and its revisions') annotations for a template generation.
    pub(super) fn annotations(&self, template_generation: i64) -> Map<String, Value> {
        let mut m = Map::new();
        m.insert(
            "deprecated.daemonset.template.generation".into(),
            json!(template_generation.to_string()),
        );
        if self.profile.helm {
            m.insert("meta.helm.sh/release-name".into(), json!(self.name));
            m.insert(
                "meta.helm.sh/release-namespace".into(),
                json!(self.namespace),
            );
        }
        m
    }

    pub(super) fn owner_reference(&self) -> Value {
        json!([{
            "apiVersion": "apps/v1",
            "blockOwnerDeletion": true,
            "controller": true,
            "kind": "DaemonSet",
            "name": self.name,
            "uid": self.uid,
        }])
    }
}

/// One revision of a DaemonSet's template.
#[derive(Debug, Clone)]
pub(super) struct Revision {
    pub(super) template: Value,
    pub(super) hash: String,
    /// The `deprecated.daemonset.template.generation` it was made at.
    pub(super) template_generation: i64,
    pub(super) number: i64,
    pub(super) created: i64,
}
