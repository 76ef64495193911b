//! The scheduler's resource fit (`pkg/scheduler/framework/plugins/noderesources/fit.go:
//! fitsRequest`) for a daemon pod on a node, and hints on what frees room.

use std::collections::BTreeMap;

use crate::model::{Container, DaemonSet, Node, Pod, PodSpec};
use crate::quantity;
use crate::report::PodReport;
use crate::snapshot::Snapshot;

use super::{Fit, Hint, NodePods, ResourceFit};

const CPU: &str = "cpu";
const MEMORY: &str = "memory";

/// A pod's requests as the scheduler counts them: the sum over containers, and at least the
/// largest init container's (`max(max(init), sum(containers))`), per resource. CPU in
/// millicores, memory in bytes. Unparseable quantities are listed, not counted.
pub fn pod_requests(spec: &PodSpec) -> (BTreeMap<&'static str, i128>, Vec<String>) {
    requests(&spec.containers, &spec.init_containers)
}

/// [`pod_requests`] of containers and init containers (a template's or a pod's).
fn requests(
    containers: &[Container],
    init_containers: &[Container],
) -> (BTreeMap<&'static str, i128>, Vec<String>) {
    let mut errors = Vec::new();
    let mut read = |c: &Container, resource: &'static str| -> i128 {
        let Some(q) = c.resources.requests.get(resource) else {
            return 0;
        };
        let parsed = if resource == CPU {
            quantity::milli(&q.0)
        } else {
            quantity::units(&q.0)
        };
        parsed.unwrap_or_else(|e| {
            errors.push(format!("container {}: {resource} request: {e}", c.name));
            0
        })
    };
    let mut out = BTreeMap::new();
    for resource in [CPU, MEMORY] {
        let sum: i128 = containers.iter().map(|c| read(c, resource)).sum();
        let init = init_containers
            .iter()
            .map(|c| read(c, resource))
            .max()
            .unwrap_or(0);
        out.insert(resource, sum.max(init));
    }
    (out, errors)
}

/// A priority class's standing for preemption: the two built-in system classes above all
/// others (user classes are at most 1e9).
fn priority_rank(class: &str) -> u8 {
    match class {
        "system-node-critical" => 2,
        "system-cluster-critical" => 1,
        _ => 0,
    }
}

pub(super) fn fit_check(
    snap: &Snapshot,
    ds: &DaemonSet,
    node: &Node,
    daemon_pods: &[PodReport],
    node_pods: &NodePods,
) -> Fit {
    let spec = &ds.spec.template.spec;
    let (needs, mut errors) = pod_requests(spec);
    let own = |p: &Pod| {
        daemon_pods.iter().any(|d| {
            (!d.uid.is_empty() && d.uid == p.metadata.uid)
                || (d.name == p.name() && p.metadata.namespace == ds.namespace())
        })
    };
    let bound: Vec<&Pod> = snap
        .pods
        .iter()
        .filter(|p| p.spec.node_name == node.name() && !p.is_terminal() && !own(p))
        .collect();
    let complete = matches!(node_pods, NodePods::InSnapshot);
    let mut used: BTreeMap<&str, i128> = BTreeMap::new();
    let mut per_pod: Vec<(&Pod, BTreeMap<&'static str, i128>)> = Vec::new();
    for p in &bound {
        let (r, e) = requests(&p.spec.containers, &p.spec.init_containers);
        errors.extend(
            e.into_iter()
                .map(|e| format!("pod {}/{}: {e}", p.metadata.namespace, p.name())),
        );
        for (k, v) in &r {
            *used.entry(k).or_default() += v;
        }
        per_pod.push((p, r));
    }

    let allocatable = |resource: &str| -> Option<i128> {
        let q = node.status.allocatable.get(resource)?;
        if resource == CPU {
            quantity::milli(&q.0).ok()
        } else {
            quantity::units(&q.0).ok()
        }
    };
    let mut resources = Vec::new();
    for (resource, unit, need, have) in [
        (
            CPU,
            "millicores",
            needs[CPU],
            used.get(CPU).copied().unwrap_or(0),
        ),
        (
            MEMORY,
            "bytes",
            needs[MEMORY],
            used.get(MEMORY).copied().unwrap_or(0),
        ),
        ("pods", "pods", 1, bound.len() as i128),
    ] {
        let alloc = allocatable(resource);
        let requested = complete.then_some(have);
        let free = alloc.zip(requested).map(|(a, r)| a - r);
        resources.push(ResourceFit {
            resource: resource.to_string(),
            unit: unit.to_string(),
            allocatable: alloc.and_then(|v| i64::try_from(v).ok()),
            requested: requested.and_then(|v| i64::try_from(v).ok()),
            free: free.and_then(|v| i64::try_from(v).ok()),
            needed: i64::try_from(need).unwrap_or(i64::MAX),
            // A resource the daemon does not request always fits (as NodeResourcesFit).
            fits: if need == 0 && resource != "pods" {
                Some(true)
            } else {
                free.map(|f| f >= need)
            },
        });
    }
    let fits = if resources.iter().any(|r| r.fits == Some(false)) {
        Some(false)
    } else if resources.iter().all(|r| r.fits == Some(true)) {
        Some(true)
    } else {
        None
    };

    let mut hints = Vec::new();
    let short: Vec<&ResourceFit> = resources.iter().filter(|r| r.fits == Some(false)).collect();
    if !short.is_empty() {
        fit_hints(spec, &short, &per_pod, &mut hints);
    } else if fits == Some(true) {
        hints.push(Hint {
            text: if daemon_pods.is_empty() {
                "the requests fit the node's allocatable, so room is not what keeps the pod away: if the controller does not create it, look at the DaemonSet's events (kubectl describe daemonset)"
            } else {
                "the requests fit the node's allocatable: the pod waits for something else (see its reasons above: host ports, volumes, image pull, the scheduler's own message)"
            }
            .into(),
            yaml: None,
        });
    }
    let mut notes = Vec::new();
    if let NodePods::Unreadable(why) = node_pods {
        notes.push(format!(
            "the other pods on the node could not be read ({why}), so what they request is unknown"
        ));
    }
    if resources.iter().any(|r| r.allocatable.is_none()) {
        notes.push("the node does not report status.allocatable for every resource".into());
    }
    notes.extend(errors);
    Fit {
        fits,
        pods_counted: bound.len(),
        resources,
        hints,
        note: (!notes.is_empty()).then(|| notes.join("; ")),
    }
}

fn fit_hints(
    spec: &PodSpec,
    short: &[&ResourceFit],
    per_pod: &[(&Pod, BTreeMap<&'static str, i128>)],
    hints: &mut Vec<Hint>,
) {
    let names: Vec<&str> = short.iter().map(|r| r.resource.as_str()).collect();
    let rank = priority_rank(&spec.priority_class_name);
    // What preemption at system-node-critical could free: the requests of lower-ranked pods.
    let target_rank = rank.max(2);
    let preemptible = |resource: &str| -> i128 {
        per_pod
            .iter()
            .filter(|(p, _)| priority_rank(&p.spec.priority_class_name) < target_rank)
            .map(|(_, r)| {
                if resource == "pods" {
                    1
                } else {
                    r.get(resource).copied().unwrap_or(0)
                }
            })
            .sum()
    };
    let enough_after_preemption = short.iter().all(|r| {
        r.free
            .is_some_and(|f| i128::from(f) + preemptible(&r.resource) >= i128::from(r.needed))
    });
    let holders = |resource: &str| -> String {
        let mut top: Vec<(&Pod, i128)> = per_pod
            .iter()
            .filter(|(p, _)| priority_rank(&p.spec.priority_class_name) >= target_rank)
            .map(|(p, r)| (*p, r.get(resource).copied().unwrap_or(0)))
            .filter(|(_, v)| *v > 0)
            .collect();
        top.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.name().cmp(b.0.name())));
        top.iter()
            .take(3)
            .map(|(p, v)| {
                format!(
                    "{}/{} ({})",
                    p.metadata.namespace,
                    p.name(),
                    show(resource, *v)
                )
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    if rank < 2 {
        hints.push(Hint {
            text: format!(
                "not enough {} on the node. A node agent usually runs at priorityClassName system-node-critical{}: the scheduler can then preempt lower-priority pods to make room{}",
                names.join(" and "),
                if spec.priority_class_name.is_empty() {
                    String::new()
                } else {
                    format!(" (this one has {})", spec.priority_class_name)
                },
                if enough_after_preemption {
                    String::new()
                } else {
                    ", though here even that would not free enough".to_string()
                }
            ),
            yaml: Some("priorityClassName: system-node-critical\n".into()),
        });
    } else if !enough_after_preemption {
        let who = short
            .iter()
            .map(|r| holders(&r.resource))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("; ");
        hints.push(Hint {
            text: format!(
                "not enough {} on the node, and preemption cannot help: the daemon already runs at {} and the room is held by pods of the same priority{}",
                names.join(" and "),
                spec.priority_class_name,
                if who.is_empty() { String::new() } else { format!(": {who}") }
            ),
            yaml: None,
        });
    } else {
        hints.push(Hint {
            text: format!(
                "not enough {} on the node right now; the daemon runs at {}, so the scheduler should preempt lower-priority pods to make room",
                names.join(" and "),
                spec.priority_class_name
            ),
            yaml: None,
        });
    }
    let lower: Vec<String> = short
        .iter()
        .filter(|r| r.resource != "pods")
        .filter_map(|r| {
            let free = r.free?;
            (free > 0).then(|| format!("{} ≤ {}", r.resource, show(&r.resource, i128::from(free))))
        })
        .collect();
    if !lower.is_empty() {
        hints.push(Hint {
            text: format!(
                "or lower the daemon's requests (resources.requests of its containers, and of its init containers, which count on their own): {} fits now",
                lower.join(", ")
            ),
            yaml: None,
        });
    }
    if short.iter().any(|r| r.resource == "pods") {
        hints.push(Hint {
            text: "the node runs as many pods as it allows (allocatable pods): remove pods or raise the kubelet's maxPods".into(),
            yaml: None,
        });
    }
}

/// A resource amount in kubectl's notation.
pub fn show(resource: &str, v: i128) -> String {
    match resource {
        CPU => quantity::format_milli(v),
        MEMORY => quantity::format_bytes(v),
        _ => v.to_string(),
    }
}
