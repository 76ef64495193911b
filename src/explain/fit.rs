//! The scheduler's resource fit (`pkg/scheduler/framework/plugins/noderesources/fit.go:
//! fitsRequest`) for a daemon pod on a node, and hints on what frees room.

use std::collections::BTreeMap;

use crate::model::{Container, DaemonSet, Node, Pod, PodSpec, Quantity, Requests};
use crate::quantity;
use crate::report::PodReport;
use crate::snapshot::Snapshot;

use super::{Fit, Hint, NodePods, ResourceFit};

const CPU: &str = "cpu";
const MEMORY: &str = "memory";

/// A pod's requests as the scheduler counts them (`k8s.io/component-helpers/resource/helpers.go:
/// PodRequests`, which NodeResourcesFit reads; in older releases
/// `pkg/api/v1/resource/helpers.go: PodRequests`), per resource: the containers' requests plus the sidecars' (init containers with
/// `restartPolicy: Always`), or more if an init container needs more while it runs (itself and
/// the sidecars started before it), or the pod-level request (`spec.resources.requests`) for a
/// resource it names, plus the pod overhead. CPU in millicores, memory in bytes. Unparseable
/// quantities are listed, not counted.
pub fn pod_requests(spec: &PodSpec) -> (BTreeMap<&'static str, i128>, Vec<String>) {
    let overhead = (!spec.overhead.is_empty()).then_some(&spec.overhead);
    requests(
        &spec.containers,
        &spec.init_containers,
        spec.pod_level_requests(),
        overhead,
    )
}

/// [`pod_requests`] of containers, init containers, pod-level requests and overhead (a
/// template's or a pod's).
///
/// `aggregateContainerResourcesByFn` in the same file: the sum over containers, and over the
/// restartable init containers (sidecars) in order, each also adding to the sidecars that run
/// from then on; an init container runs to completion beside the sidecars started before it,
/// so it uses its own request plus theirs; the pod takes the larger of the sum and the largest
/// init container's use (a sidecar's use is the sidecars so far, never more than the sum).
/// Pod-level resources (`spec.resources`, the `PodLevelResources` feature, KEP-2837: alpha in
/// 1.32, beta and on by default since 1.34): when the pod has pod-level requests
/// (`IsPodLevelRequestsSet`), `PodRequests` takes each one of a supported resource
/// (`IsSupportedPodLevelResource`: cpu and memory, of those counted here) instead of what the
/// containers add up to; a resource it does not name is still the containers'. `PodRequests`
/// then adds `spec.overhead`, to either. (Requests from the pod's status during an in-place
/// resize are not read. An API server with the feature off drops `spec.resources` from new
/// pods, so a pod that has it was admitted with the feature on.)
fn requests(
    containers: &[Container],
    init_containers: &[Container],
    pod_level: Option<&Requests>,
    overhead: Option<&Requests>,
) -> (BTreeMap<&'static str, i128>, Vec<String>) {
    let mut errors = Vec::new();
    let mut parse = |what: &dyn std::fmt::Display, q: &Quantity, resource: &'static str| {
        amount(resource, q).unwrap_or_else(|e| {
            errors.push(format!("{what}: {resource} request: {e}"));
            0
        })
    };
    let mut out = BTreeMap::new();
    for resource in [CPU, MEMORY] {
        let mut read = |c: &Container| match c.resources.requests.get(resource) {
            Some(q) => parse(&format_args!("container {}", c.name), q, resource),
            None => 0,
        };
        let mut sum: i128 = containers.iter().map(&mut read).sum();
        let (mut sidecars, mut init) = (0i128, 0i128);
        for c in init_containers {
            let r = read(c);
            if c.restarts_always() {
                sum += r;
                sidecars += r;
            } else {
                init = init.max(r + sidecars);
            }
        }
        let aggregated = match pod_level.and_then(|r| r.get(resource)) {
            Some(q) => parse(&"spec.resources", q, resource),
            None => sum.max(init),
        };
        let extra = match overhead.and_then(|o| o.get(resource)) {
            Some(q) => parse(&"overhead", q, resource),
            None => 0,
        };
        out.insert(resource, aggregated + extra);
    }
    (out, errors)
}

/// A quantity of `resource` in the unit counted here: millicores for CPU, else units (bytes).
fn amount(resource: &str, q: &Quantity) -> Result<i128, quantity::QuantityError> {
    if resource == CPU {
        quantity::milli(&q.0)
    } else {
        quantity::units(&q.0)
    }
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
        let (r, e) = requests(
            &p.spec.containers,
            &p.spec.init_containers,
            p.spec.pod_level_requests(),
            p.spec.overhead(),
        );
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
        amount(resource, node.status.allocatable.get(resource)?).ok()
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
    if !spec.runtime_class_name.is_empty() && spec.overhead.is_empty() {
        // The RuntimeClass admission controller sets the pod's overhead from the class when the
        // pod is created; the class itself is not read here.
        notes.push(format!(
            "the template names runtimeClassName {}: the pod overhead that RuntimeClass may set (kubectl get runtimeclass {}) is not counted in what the daemon needs",
            spec.runtime_class_name, spec.runtime_class_name
        ));
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
    // What the containers may request: the room left, less the template's overhead (which
    // lowering requests does not change).
    let overhead = |resource: &str| -> i128 {
        spec.overhead
            .get(resource)
            .and_then(|q| amount(resource, q).ok())
            .unwrap_or(0)
    };
    let lower: Vec<String> = short
        .iter()
        .filter(|r| r.resource != "pods")
        .filter_map(|r| {
            let room = i128::from(r.free?) - overhead(&r.resource);
            (room > 0).then(|| format!("{} ≤ {}", r.resource, show(&r.resource, room)))
        })
        .collect();
    if !lower.is_empty() {
        let whose = if spec.pod_level_requests().is_some() {
            "spec.resources.requests, its pod-level requests, which the scheduler counts instead of its containers' for the resources they name; for the others, resources.requests of its containers"
        } else if spec.init_containers.iter().any(Container::restarts_always) {
            "resources.requests of its containers and of its sidecars (init containers with restartPolicy: Always), which run beside them; other init containers count on their own"
        } else {
            "resources.requests of its containers, and of its init containers, which count on their own"
        };
        hints.push(Hint {
            text: format!(
                "or lower the daemon's requests ({whose}): {} fits now",
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

#[cfg(test)]
mod tests {
    use super::{CPU, MEMORY, requests};
    use crate::model::{Container, Pod, PodSpec, Requests};

    /// A container requesting `cpu` (and 1Mi of memory per 100m, to see both resources move
    /// alike), a sidecar when `sidecar`.
    fn c(name: &str, cpu: &str, sidecar: bool) -> Container {
        let mi = crate::quantity::milli(cpu).unwrap() / 100;
        serde_json::from_value(serde_json::json!({
            "name": name,
            "restartPolicy": if sidecar { "Always" } else { "" },
            "resources": {"requests": {"cpu": cpu, "memory": format!("{mi}Mi")}},
        }))
        .unwrap()
    }

    /// The requests of containers, init containers and overhead: (cpu millicores, memory Mi).
    fn of(
        containers: &[Container],
        init: &[Container],
        overhead: Option<&Requests>,
    ) -> (i128, i128) {
        of_pod(containers, init, None, overhead)
    }

    /// [`of`] with pod-level requests (`spec.resources.requests`).
    fn of_pod(
        containers: &[Container],
        init: &[Container],
        pod_level: Option<&Requests>,
        overhead: Option<&Requests>,
    ) -> (i128, i128) {
        let (r, errors) = requests(containers, init, pod_level, overhead);
        assert!(errors.is_empty(), "{errors:?}");
        (r[CPU], r[MEMORY] >> 20)
    }

    fn list(entries: &[(&str, &str)]) -> Requests {
        entries
            .iter()
            .map(|(k, v)| (k.to_string(), crate::model::Quantity(v.to_string())))
            .collect()
    }

    /// Pod-level requests (`PodRequests` with `IsPodLevelRequestsSet`): each one stands for what
    /// the containers add up to, for its resource only; the overhead is added after.
    #[test]
    fn pod_level_requests_replace_the_containers_for_the_resources_they_name() {
        let app = [c("app", "100m", false)];
        let sidecar = [c("sc", "400m", true)];
        let cpu = list(&[("cpu", "800m")]);
        // cpu replaced (not 500m), memory the containers' 1Mi + 4Mi.
        assert_eq!(of_pod(&app, &sidecar, Some(&cpu), None), (800, 5));
        // Lower than the containers': the pod-level request still stands.
        let low = list(&[("cpu", "50m")]);
        assert_eq!(of_pod(&app, &sidecar, Some(&low), None), (50, 5));
        // And the init containers' max is replaced too.
        assert_eq!(
            of_pod(&app, &[c("init", "900m", false)], Some(&cpu), None),
            (800, 9)
        );
        // Both named: both replaced.
        let both = list(&[("cpu", "800m"), ("memory", "1Gi")]);
        assert_eq!(of_pod(&app, &sidecar, Some(&both), None), (800, 1024));
        // The overhead on top of either: 800m + 250m, 5Mi + 64Mi.
        let overhead = list(&[("cpu", "250m"), ("memory", "64Mi")]);
        assert_eq!(
            of_pod(&app, &sidecar, Some(&cpu), Some(&overhead)),
            (1050, 69)
        );
        // An unparseable pod-level request is listed, not counted.
        let bad = list(&[("cpu", "lots")]);
        let (r, errors) = requests(&app, &[], Some(&bad), None);
        assert_eq!(r[CPU], 0);
        assert!(
            errors[0].starts_with("spec.resources: cpu request"),
            "{errors:?}"
        );
    }

    /// `PodRequests` (k8s.io/component-helpers/resource/helpers.go), case by case: the
    /// numbers are the ones its rule gives by hand.
    #[test]
    fn requests_count_sidecars_with_the_containers_and_init_containers_on_their_own() {
        let app = [c("app", "100m", false)];
        // None: the containers alone.
        assert_eq!(of(&app, &[], None), (100, 1));
        // A plain init container: the larger of it and the containers.
        assert_eq!(of(&app, &[c("init", "300m", false)], None), (300, 3));
        assert_eq!(of(&app, &[c("init", "50m", false)], None), (100, 1));
        // Sidecars only: added to the containers (the old rule took the larger: 400m, 4Mi).
        assert_eq!(of(&app, &[c("sc", "400m", true)], None), (500, 5));
        assert_eq!(
            of(&app, &[c("a", "400m", true), c("b", "200m", true)], None),
            (700, 7)
        );
        // A sidecar started before a plain init container runs beside it: 600m + 400m there,
        // more than the containers with the sidecar (500m).
        assert_eq!(
            of(
                &app,
                &[c("sc", "400m", true), c("init", "600m", false)],
                None
            ),
            (1000, 10)
        );
        // Started after it, it does not: the init container alone (600m) is more than the
        // containers with the sidecar (500m), and no more is needed.
        assert_eq!(
            of(
                &app,
                &[c("init", "600m", false), c("sc", "400m", true)],
                None
            ),
            (600, 6)
        );
        // Only the sidecars started before count: the init container runs beside `early`
        // (600m + 200m), not `late`; more than the pod's 100m + 200m + 400m.
        assert_eq!(
            of(
                &app,
                &[
                    c("early", "200m", true),
                    c("init", "600m", false),
                    c("late", "400m", true)
                ],
                None
            ),
            (800, 8)
        );
        // A restart policy other than Always is a plain init container.
        let mut never = c("init", "400m", false);
        never.restart_policy = crate::model::Interned::new("Never");
        assert_eq!(of(&app, &[never], None), (400, 4));
    }

    #[test]
    fn the_pod_overhead_is_added_after_the_max() {
        let app = [c("app", "100m", false)];
        let overhead: Requests = [
            ("cpu".to_string(), crate::model::Quantity("250m".into())),
            ("memory".to_string(), crate::model::Quantity("64Mi".into())),
        ]
        .into_iter()
        .collect();
        assert_eq!(of(&app, &[], Some(&overhead)), (350, 65));
        // max(100m, init 500m) + 250m: the overhead is not lost inside the max.
        assert_eq!(
            of(&app, &[c("init", "500m", false)], Some(&overhead)),
            (750, 69)
        );
        let bad: Requests = [("cpu".to_string(), crate::model::Quantity("lots".into()))]
            .into_iter()
            .collect();
        let (r, errors) = requests(&app, &[], None, Some(&bad));
        assert_eq!(r[CPU], 100);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].starts_with("overhead: cpu request"), "{errors:?}");
    }

    /// A pod and a template read from their JSON count alike: the restart policy and the
    /// overhead are kept by the decoding of both.
    #[test]
    fn pods_and_templates_keep_what_the_rule_reads() {
        let spec = serde_json::json!({
            "nodeName": "n1",
            "containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}}],
            "initContainers": [
                {"name": "sc", "restartPolicy": "Always", "resources": {"requests": {"cpu": "400m"}}},
                {"name": "init", "resources": {"requests": {"cpu": "450m"}}},
            ],
            "overhead": {"cpu": "50m"},
        });
        let pod: Pod = serde_json::from_value(serde_json::json!({"spec": spec})).unwrap();
        let of_pod = |pod: &Pod| {
            requests(
                &pod.spec.containers,
                &pod.spec.init_containers,
                pod.spec.pod_level_requests(),
                pod.spec.overhead(),
            )
            .0
        };
        // max(100m + 400m, 400m + 450m) + 50m.
        assert_eq!(of_pod(&pod)[CPU], 900);
        let template: PodSpec = serde_json::from_value(spec.clone()).unwrap();
        assert_eq!(super::pod_requests(&template).0[CPU], 900);
        // Pod-level requests: cpu 1 + 50m; memory not named, the containers' (none).
        let mut spec = spec;
        spec["resources"] = serde_json::json!({"requests": {"cpu": "1"}});
        let pod: Pod = serde_json::from_value(serde_json::json!({"spec": spec})).unwrap();
        assert_eq!((of_pod(&pod)[CPU], of_pod(&pod)[MEMORY]), (1050, 0));
        let template: PodSpec = serde_json::from_value(spec).unwrap();
        assert_eq!(super::pod_requests(&template).0[CPU], 1050);
    }
}
