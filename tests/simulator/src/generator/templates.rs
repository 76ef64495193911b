//! Templates: pod templates, their padding and the ControllerRevisions.

use serde_json::{Map, Value, json};

use super::*;

/// The parts of a template that padding grows.
pub(super) struct TemplateParts {
    pub(super) annotations: Map<String, Value>,
    pub(super) container: Map<String, Value>,
    pub(super) env: Vec<Value>,
    pub(super) mounts: Vec<Value>,
    pub(super) volumes: Vec<Value>,
}

fn env_field(name: &str, path: &str) -> Value {
    json!({"name": name, "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": path}}})
}

fn env_value(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

fn probe(port: u16, path: &str, period: u32, failures: u32) -> Value {
    if port == 0 {
        json!({
            "exec": {"command": ["/bin/sh", "-c", "test -S /var/lib/kubelet/device-plugins/kubelet.sock"]},
            "failureThreshold": failures,
            "periodSeconds": period,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        })
    } else {
        json!({
            "failureThreshold": failures,
            "httpGet": {"path": path, "port": port, "scheme": "HTTP"},
            "periodSeconds": period,
            "successThreshold": 1,
            "timeoutSeconds": 1,
        })
    }
}

/// Realistic fields of production DaemonSet templates, added one at a time: level `n` applies
/// items `0..n`. Past the named ones come numbered option variables, so every size is reachable.
pub(super) fn pad_template(level: usize, ds: &DsPlan, t: &mut TemplateParts) {
    let p = ds.profile;
    let base = p.name;
    let env_prefix = base.to_uppercase().replace('-', "_");
    let port = if p.port == 0 { 8080 } else { p.port };
    for item in 0..level {
        match item {
            0 => {
                t.annotations
                    .insert("prometheus.io/scrape".into(), json!("true"));
            }
            1 => {
                t.annotations
                    .insert("prometheus.io/port".into(), json!(port.to_string()));
            }
            2 => {
                t.annotations
                    .insert("prometheus.io/path".into(), json!("/metrics"));
            }
            3 => {
                t.annotations
                    .insert("checksum/config".into(), json!(ds.checksum));
            }
            4 => t.env.push(env_field("POD_NAME", "metadata.name")),
            5 => t.env.push(env_field("POD_NAMESPACE", "metadata.namespace")),
            6 => t.env.push(env_field("NODE_IP", "status.hostIP")),
            7 => t.env.push(env_field("POD_IP", "status.podIP")),
            8 => {
                t.container
                    .insert("livenessProbe".into(), probe(p.port, "/healthz", 20, 5));
            }
            9 | 10 => t.env.push(json!({
                "name": if item == 9 { "GOMAXPROCS" } else { "GOMEMLIMIT" },
                "valueFrom": {"resourceFieldRef": {
                    "containerName": base,
                    "divisor": "0",
                    "resource": if item == 9 { "limits.cpu" } else { "limits.memory" },
                }},
            })),
            11 => t.env.push(env_value("CLUSTER_NAME", CLUSTER_NAME)),
            12 => t.env.push(env_value("AWS_REGION", REGION)),
            13 => t.env.push(env_value("AWS_STS_REGIONAL_ENDPOINTS", "regional")),
            14 => {
                t.volumes.push(json!({"emptyDir": {}, "name": "tmp"}));
                t.mounts.push(json!({"mountPath": "/tmp", "name": "tmp"}));
            }
            15 => t.env.push(env_value("LOG_LEVEL", "info")),
            16 => t.env.push(env_value("LOG_FORMAT", "json")),
            17 => t.env.push(env_value(
                "NO_PROXY",
                "localhost,127.0.0.1,169.254.169.254,.svc,.cluster.local,.internal,10.0.0.0/8,172.20.0.0/16",
            )),
            18 | 19 => t.env.push(env_value(
                if item == 18 { "HTTP_PROXY" } else { "HTTPS_PROXY" },
                "http://egress-proxy.networking.svc.cluster.local:3128",
            )),
            20 => {
                t.container
                    .insert("startupProbe".into(), probe(p.port, "/healthz", 5, 30));
            }
            21 => {
                let sc = t
                    .container
                    .entry("securityContext")
                    .or_insert_with(|| json!({}));
                sc["seccompProfile"] = json!({"type": "RuntimeDefault"});
                if !p.privileged {
                    sc["capabilities"] = json!({"drop": ["ALL"]});
                }
            }
            22 => {
                t.volumes.push(json!({
                    "name": "tls",
                    "secret": {"defaultMode": 420, "secretName": format!("{}-tls", ds.name)},
                }));
                t.mounts.push(json!({
                    "mountPath": format!("/etc/{base}/tls"),
                    "name": "tls",
                    "readOnly": true,
                }));
            }
            23 => t.env.push(env_value(
                "OTEL_EXPORTER_OTLP_ENDPOINT",
                "http://otel-collector.monitoring.svc.cluster.local:4317",
            )),
            24 => t.env.push(env_value(
                "OTEL_RESOURCE_ATTRIBUTES",
                &format!(
                    "k8s.cluster.name={CLUSTER_NAME},deployment.environment=production,service.namespace={}",
                    ds.namespace
                ),
            )),
            25 => {
                t.volumes.push(json!({
                    "configMap": {"defaultMode": 420, "name": format!("{}-config", ds.name)},
                    "name": "config",
                }));
                t.mounts.push(json!({
                    "mountPath": format!("/etc/{base}/config"),
                    "name": "config",
                    "readOnly": true,
                }));
            }
            26 => {
                let r = t.container.entry("resources").or_insert_with(|| json!({}));
                r["limits"]["cpu"] = json!("500m");
            }
            27 => {
                t.annotations
                    .insert("kubectl.kubernetes.io/default-container".into(), json!(base));
            }
            28 => {
                t.volumes.push(json!({
                    "hostPath": {"path": "/etc/localtime", "type": "File"},
                    "name": "host-localtime",
                }));
                t.mounts.push(json!({
                    "mountPath": "/etc/localtime",
                    "name": "host-localtime",
                    "readOnly": true,
                }));
            }
            29 => t.env.push(env_value("TZ", "UTC")),
            n => {
                let k = n - 29;
                let tag = mix(ds.checksum.len() as u64 ^ ((ds.index as u64) << 32) ^ k as u64);
                t.env.push(env_value(
                    &format!("{env_prefix}_OPT_{k:03}"),
                    &format!("--{base}.option-{k:03}={tag:016x}"),
                ));
            }
        }
    }
}

/// The DaemonSet's `spec.template` as the API server stores it (defaults filled in).
pub(super) fn build_template(
    ds: &DsPlan,
    version: &str,
    pad: usize,
    restarted_at: Option<i64>,
) -> Value {
    let p = ds.profile;
    let mut parts = TemplateParts {
        annotations: Map::new(),
        container: Map::new(),
        env: vec![env_field("NODE_NAME", "spec.nodeName")],
        mounts: Vec::new(),
        volumes: Vec::new(),
    };
    for (name, path) in p.host_paths {
        let mut mount = json!({
            "mountPath": if p.name == "node-exporter" { format!("/host{path}") } else { path.to_string() },
            "name": name,
        });
        let writable = matches!(
            *name,
            "xtables-lock"
                | "varlog"
                | "run"
                | "var-run-calico"
                | "var-lib-calico"
                | "kubelet-dir"
                | "plugin-dir"
        );
        // The API leaves `readOnly: false` out (omitempty).
        if !writable {
            mount["readOnly"] = json!(true);
        }
        parts.mounts.push(mount);
        parts.volumes.push(json!({
            "hostPath": {
                "path": path,
                "type": if path.ends_with(".lock") { "FileOrCreate" } else { "" },
            },
            "name": name,
        }));
    }
    let c = &mut parts.container;
    if !p.args.is_empty() {
        c.insert("args".into(), json!(p.args));
    }
    c.insert("image".into(), json!(format!("{}:{version}", p.image)));
    c.insert("imagePullPolicy".into(), json!("IfNotPresent"));
    c.insert("name".into(), json!(p.name));
    if p.port > 0 {
        let mut port = json!({"containerPort": p.port, "name": "metrics", "protocol": "TCP"});
        if p.host_network {
            port["hostPort"] = json!(p.port);
        }
        c.insert("ports".into(), json!([port]));
        c.insert("readinessProbe".into(), probe(p.port, "/healthz", 10, 3));
    }
    let (cpu, memory, memory_limit) = p.resources;
    let mut resources = json!({"requests": {"cpu": cpu, "memory": memory}});
    if !memory_limit.is_empty() {
        resources["limits"] = json!({"memory": memory_limit});
    }
    c.insert("resources".into(), resources);
    c.insert(
        "securityContext".into(),
        if p.privileged {
            json!({"privileged": true})
        } else {
            json!({"allowPrivilegeEscalation": false, "readOnlyRootFilesystem": true})
        },
    );
    c.insert(
        "terminationMessagePath".into(),
        json!("/dev/termination-log"),
    );
    c.insert("terminationMessagePolicy".into(), json!("File"));

    pad_template(pad, ds, &mut parts);
    if let Some(at) = restarted_at {
        parts
            .annotations
            .insert("kubectl.kubernetes.io/restartedAt".into(), json!(ts(at)));
    }

    let mut container = parts.container;
    container.insert("env".into(), Value::Array(parts.env));
    if !parts.mounts.is_empty() {
        container.insert("volumeMounts".into(), Value::Array(parts.mounts));
    }
    let placement = &ds.placement;
    let mut spec = Map::new();
    if !placement.required.is_empty() {
        let expressions: Vec<Value> = placement
            .required
            .iter()
            .map(|r| {
                json!({
                    "key": r.key,
                    "operator": match r.op { Op::In => "In", Op::NotIn => "NotIn" },
                    "values": r.values,
                })
            })
            .collect();
        spec.insert(
            "affinity".into(),
            json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
                "nodeSelectorTerms": [{"matchExpressions": expressions}],
            }}}),
        );
    }
    spec.insert("containers".into(), json!([container]));
    spec.insert(
        "dnsPolicy".into(),
        json!(if p.host_network {
            "ClusterFirstWithHostNet"
        } else {
            "ClusterFirst"
        }),
    );
    if p.host_network {
        spec.insert("hostNetwork".into(), json!(true));
    }
    if !placement.node_selector.is_empty() {
        let selector: Map<String, Value> = placement
            .node_selector
            .iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        spec.insert("nodeSelector".into(), Value::Object(selector));
    }
    if !p.priority_class.is_empty() {
        spec.insert("priorityClassName".into(), json!(p.priority_class));
    }
    spec.insert("restartPolicy".into(), json!("Always"));
    spec.insert("schedulerName".into(), json!("default-scheduler"));
    spec.insert("securityContext".into(), json!({}));
    spec.insert("serviceAccount".into(), json!(p.name));
    spec.insert("serviceAccountName".into(), json!(p.name));
    spec.insert("terminationGracePeriodSeconds".into(), json!(30));
    if !placement.tolerations.is_empty() {
        spec.insert(
            "tolerations".into(),
            Value::Array(placement.tolerations.iter().map(toleration_json).collect()),
        );
    }
    if !parts.volumes.is_empty() {
        spec.insert("volumes".into(), Value::Array(parts.volumes));
    }
    let mut metadata = Map::new();
    if !parts.annotations.is_empty() {
        metadata.insert("annotations".into(), Value::Object(parts.annotations));
    }
    metadata.insert("creationTimestamp".into(), Value::Null);
    metadata.insert("labels".into(), Value::Object(ds.selector_labels()));
    json!({"metadata": metadata, "spec": spec})
}

pub(super) fn toleration_json(t: &Toleration) -> Value {
    let mut m = Map::new();
    if !t.effect.is_empty() {
        m.insert("effect".into(), json!(t.effect));
    }
    if !t.key.is_empty() {
        m.insert("key".into(), json!(t.key));
    }
    m.insert("operator".into(), json!(t.operator));
    if let Some(s) = t.seconds {
        m.insert("tolerationSeconds".into(), json!(s));
    }
    if !t.value.is_empty() {
        m.insert("value".into(), json!(t.value));
    }
    Value::Object(m)
}
