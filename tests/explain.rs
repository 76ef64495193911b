//! `explain`: the per-rule trace agrees with `Placement::evaluate`, every suggested change really
//! flips the verdict when applied to the objects, the fit arithmetic, the DaemonSet/node lookup,
//! and the command line (formats, exit codes, the rule list as JSON).

use std::collections::BTreeMap;
use std::process::{Command, Output};

use ds_coverage::coverage::Options;
use ds_coverage::eligibility::Placement;
use ds_coverage::eligibility::trace::{self, Check, Status};
use ds_coverage::error::Error;
use ds_coverage::explain::{self, Action, Suggestion, Target};
use ds_coverage::model::{DaemonSet, Node};
use ds_coverage::snapshot::Snapshot;
use ds_coverage::source::file::daemon_set_from_value;
use serde_json::{Value, json};

const AS_OF: &str = "2026-11-20T12:00:00Z";
const EXAMPLE: &str = "examples/cluster.yaml";
const FIXTURE: &str = "tests/fixtures/explain/cluster.json";

fn opts() -> Options {
    Options::new(AS_OF.parse().unwrap())
}

fn snapshot(path: &str) -> Snapshot {
    ds_coverage::source::file::load(&[path.to_string()], &mut std::io::empty()).unwrap()
}

/// The file's items as JSON values, to change and decode again.
fn raw_items(path: &str) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap();
    let list: Value = serde_saphyr::from_str(&text).unwrap();
    list["items"].as_array().unwrap().clone()
}

fn raw<'a>(items: &'a [Value], kind: &str, ns: &str, name: &str) -> &'a Value {
    items
        .iter()
        .find(|i| {
            i["kind"] == kind
                && i["metadata"]["name"] == name
                && i["metadata"]["namespace"].as_str().unwrap_or("") == ns
        })
        .unwrap_or_else(|| panic!("{kind} {ns}/{name} in the file"))
}

fn decode_ds(v: Value) -> DaemonSet {
    daemon_set_from_value(v).map_err(|(e, _)| e).unwrap()
}

fn decode_node(v: Value) -> Node {
    serde_json::from_value(v).unwrap()
}

// ---------------------------------------------------------------------------------------------
// Applying a suggestion the way a user would: parse the YAML and put it at its path.

/// `a.b[0].c` → the value there, created (as an object) when missing.
fn at<'a>(mut v: &'a mut Value, path: &str) -> &'a mut Value {
    for seg in path.split('.') {
        let (key, indexes) = match seg.find('[') {
            Some(i) => (&seg[..i], &seg[i..]),
            None => (seg, ""),
        };
        if v.is_null() {
            *v = json!({});
        }
        v = v
            .as_object_mut()
            .expect("path goes through objects")
            .entry(key)
            .or_insert(Value::Null);
        for idx in indexes.split(['[', ']']).filter(|s| !s.is_empty()) {
            let i: usize = idx.parse().unwrap();
            v = &mut v.as_array_mut().expect("indexed path is a list")[i];
        }
    }
    v
}

/// JSON merge patch (RFC 7386).
fn merge(target: &mut Value, patch: &Value) {
    let Some(p) = patch.as_object() else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = json!({});
    }
    let t = target.as_object_mut().unwrap();
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// Every key of `item` has the same value in `have`.
fn contains(have: &Value, item: &Value) -> bool {
    item.as_object()
        .unwrap()
        .iter()
        .all(|(k, v)| have.get(k) == Some(v))
}

fn apply(obj: &mut Value, s: &Suggestion) {
    let patch: Value = serde_saphyr::from_str(&s.yaml)
        .unwrap_or_else(|e| panic!("suggested YAML does not parse ({e}):\n{}", s.yaml));
    let target = at(obj, &s.path);
    match s.action {
        Action::Append => {
            if target.is_null() {
                *target = json!([]);
            }
            let list = target.as_array_mut().expect("append to a list");
            list.extend(patch.as_array().expect("appended YAML is a list").clone());
        }
        Action::Merge => merge(target, &patch),
        Action::Remove => {
            let items = patch.as_array().expect("removed YAML is a list");
            let list = target.as_array_mut().expect("remove from a list");
            let before = list.len();
            list.retain(|have| !items.iter().any(|i| contains(have, i)));
            assert!(list.len() < before, "nothing to remove at {}", s.path);
        }
    }
}

/// Apply one suggestion per rule (picking alternative `pick[fixes]`, default the first) and
/// re-evaluate the pair.
fn apply_and_evaluate(
    items: &[Value],
    ds: &DaemonSet,
    node: &Node,
    chosen: &[&Suggestion],
) -> (bool, bool) {
    let mut ds_raw = raw(items, "DaemonSet", ds.namespace(), ds.name()).clone();
    let mut node_raw = raw(items, "Node", "", node.name()).clone();
    for s in chosen {
        match s.target {
            Target::DaemonSet => apply(&mut ds_raw, s),
            Target::Node => apply(&mut node_raw, s),
        }
    }
    let v = Placement::compile(&decode_ds(ds_raw), false).evaluate(&decode_node(node_raw));
    (v.should_run, v.should_continue_running)
}

#[test]
fn every_suggestion_applied_to_the_objects_flips_the_verdict() {
    let mut flipped = 0;
    for path in [EXAMPLE, FIXTURE] {
        let snap = snapshot(path);
        let items = raw_items(path);
        for ds in &snap.daemon_sets {
            for node in &snap.nodes {
                let verdict = Placement::compile(ds, false).evaluate(node);
                let e =
                    explain::explain(&snap, Some(ds.namespace()), ds.name(), node.name(), &opts())
                        .unwrap();
                let pair = format!("{}/{} on {}", ds.namespace(), ds.name(), node.name());
                if verdict.should_run {
                    assert!(
                        e.suggestions.is_empty(),
                        "{pair}: eligible, nothing to change"
                    );
                    continue;
                }
                assert!(!e.suggestions.is_empty(), "{pair}: no suggestion");
                let mut groups: BTreeMap<usize, Vec<&Suggestion>> = BTreeMap::new();
                for s in &e.suggestions {
                    groups.entry(s.fixes).or_default().push(s);
                    assert!(
                        !matches!(e.checks[s.fixes].status(), Status::Pass),
                        "{pair}: a suggestion fixes a rule that passes"
                    );
                }
                // The first of each group together, then each alternative in its place.
                let primaries: Vec<&Suggestion> = groups.values().map(|g| g[0]).collect();
                assert_eq!(
                    apply_and_evaluate(&items, ds, node, &primaries),
                    (true, true),
                    "{pair}: the first suggestions do not flip the verdict: {primaries:#?}"
                );
                for (k, (_, group)) in groups.iter().enumerate() {
                    for alt in group.iter().skip(1) {
                        let mut chosen = primaries.clone();
                        chosen[k] = alt;
                        assert_eq!(
                            apply_and_evaluate(&items, ds, node, &chosen),
                            (true, true),
                            "{pair}: alternative does not flip the verdict: {alt:#?}"
                        );
                    }
                }
                flipped += 1;
            }
        }
    }
    assert!(flipped >= 30, "only {flipped} ineligible pairs were tried");
}

#[test]
fn the_mock_up_case_suggests_exists_and_names_the_wrong_value() {
    let snap = snapshot(EXAMPLE);
    let e = explain::explain(
        &snap,
        Some("gpu-operator"),
        "dcgm-exporter",
        "gpu-1",
        &opts(),
    )
    .unwrap();
    assert!(!e.verdict.should_run && e.verdict.should_continue_running);
    assert_eq!(
        e.verdict.text,
        "the controller will not place a pod here (shouldRun=false). An existing pod would be kept (only NoSchedule taints are untolerated)."
    );
    let first = &e.suggestions[0];
    assert_eq!(first.path, "spec.template.spec.tolerations");
    assert_eq!(
        first.yaml,
        "- key: nvidia.com/gpu\n  operator: Exists\n  effect: NoSchedule\n"
    );
    assert!(
        first
            .description
            .contains("Equal toleration for value \"true\"")
    );
    assert_eq!(
        e.suggestions[1].yaml,
        "- key: nvidia.com/gpu\n  operator: Equal\n  value: present\n  effect: NoSchedule\n"
    );
    let Check::Taint(t) = &e.checks[3] else {
        panic!("fourth rule is the taint: {:?}", e.checks[3])
    };
    assert_eq!(
        t.near_miss.as_deref(),
        Some(
            "toleration {key: nvidia.com/gpu, operator: Equal, value: \"true\", effect: NoSchedule} has value \"true\", the taint has \"present\": it does not match"
        )
    );
}

#[test]
fn labels_that_describe_the_node_are_never_suggested_as_relabels() {
    let snap = snapshot(EXAMPLE);
    // netdata wants kubernetes.io/hostname In [cp-1, worker-1, worker-2].
    let e = explain::explain(&snap, Some("monitoring"), "netdata", "gpu-1", &opts()).unwrap();
    assert!(
        e.suggestions.iter().all(|s| s.target != Target::Node),
        "{:#?}",
        e.suggestions
    );
    assert_eq!(e.suggestions[0].yaml, "- gpu-1\n");
    assert!(
        e.suggestions[0]
            .path
            .ends_with("nodeSelectorTerms[0].matchExpressions[0].values")
    );
}

// ---------------------------------------------------------------------------------------------
// The trace recomputes the verdict from its rules: it must agree with Placement::evaluate.

fn template_ds(spec: Value) -> DaemonSet {
    let mut spec = spec;
    spec["containers"] = json!([{ "name": "agent", "image": "registry.example/agent:1" }]);
    decode_ds(json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": { "name": "agent", "namespace": "ops", "uid": "u-1" },
        "spec": {
            "selector": { "matchLabels": { "app": "agent" } },
            "template": { "metadata": { "labels": { "app": "agent" } }, "spec": spec }
        }
    }))
}

fn affinity(terms: Value) -> Value {
    json!({ "affinity": { "nodeAffinity": {
        "requiredDuringSchedulingIgnoredDuringExecution": terms
    } } })
}

#[test]
fn trace_agrees_with_evaluate_on_every_pair_and_edge_case() {
    let mut daemon_sets: Vec<DaemonSet> = Vec::new();
    let mut nodes: Vec<Node> = Vec::new();
    for path in [EXAMPLE, FIXTURE] {
        let s = snapshot(path);
        daemon_sets.extend(s.daemon_sets);
        nodes.extend(s.nodes);
    }
    for spec in [
        affinity(json!({})),
        affinity(json!({ "nodeSelectorTerms": [] })),
        affinity(json!({ "nodeSelectorTerms": [{}, { "matchExpressions": [] }] })),
        affinity(json!({ "nodeSelectorTerms": [
            { "matchExpressions": [{ "key": "k", "operator": "Gt", "values": ["abc"] }] },
            { "matchExpressions": [{ "key": "kubernetes.io/os", "operator": "In", "values": ["linux"] }] }
        ] })),
        affinity(json!({ "nodeSelectorTerms": [
            { "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["node-a", "gpu-1"] }] }
        ] })),
        affinity(json!({ "nodeSelectorTerms": [
            { "matchFields": [{ "key": "metadata.name", "operator": "NotIn", "values": ["node-a"] }],
              "matchExpressions": [{ "key": "disktype", "operator": "DoesNotExist" }] }
        ] })),
        json!({ "nodeSelector": { "node-role.kubernetes.io/control-plane": "" } }),
        json!({ "nodeName": "gpu-2", "tolerations": [{ "operator": "Exists" }] }),
        json!({ "tolerations": [{ "key": "example.com/maintenance", "operator": "Gt", "value": "1", "effect": "NoExecute" }] }),
        json!({ "tolerations": [{ "operator": "Exists", "effect": "NoSchedule" }] }),
        json!({ "hostNetwork": true, "tolerations": [{ "key": "node.kubernetes.io/unreachable", "operator": "Exists" }] }),
    ] {
        daemon_sets.push(template_ds(spec));
    }
    let mut checked = 0;
    for gate in [false, true] {
        for ds in &daemon_sets {
            for node in &nodes {
                let v = Placement::compile(ds, gate).evaluate(node);
                let t = trace::trace(ds, node, gate);
                assert_eq!(
                    (t.should_run(), t.should_continue_running()),
                    (v.should_run, v.should_continue_running),
                    "{}/{} on {}: {:#?}",
                    ds.namespace(),
                    ds.name(),
                    node.name(),
                    t.checks
                );
                // One taint check per node taint, in node order.
                let taints: Vec<&str> = t
                    .checks
                    .iter()
                    .filter_map(|c| match c {
                        Check::Taint(t) => Some(t.taint.as_str()),
                        _ => None,
                    })
                    .collect();
                let want: Vec<String> = node.spec.taints.iter().map(|t| t.to_string()).collect();
                assert_eq!(taints, want);
                checked += 1;
            }
        }
    }
    assert!(checked > 300, "{checked}");
}

#[test]
fn default_tolerations_are_marked_as_added_by_the_controller() {
    let snap = snapshot(EXAMPLE);
    // Cordoned worker-4: fluent-bit has no toleration of its own for the cordon.
    let e = explain::explain(&snap, Some("logging"), "fluent-bit", "worker-4", &opts()).unwrap();
    let Some(Check::Taint(t)) = e.checks.iter().find(|c| matches!(c, Check::Taint(_))) else {
        panic!("a taint rule")
    };
    let by = t.tolerated_by.as_ref().expect("tolerated");
    assert!(by.added_by_controller);
    assert_eq!(by.toleration.key, "node.kubernetes.io/unschedulable");
    // kube-proxy tolerates it with its own `operator: Exists`.
    let e = explain::explain(
        &snap,
        Some("kube-system"),
        "kube-proxy",
        "worker-4",
        &opts(),
    )
    .unwrap();
    let Some(Check::Taint(t)) = e.checks.iter().find(|c| matches!(c, Check::Taint(_))) else {
        panic!("a taint rule")
    };
    assert!(!t.tolerated_by.as_ref().unwrap().added_by_controller);
}

// ---------------------------------------------------------------------------------------------
// Fit

#[test]
fn fit_counts_requests_exactly_with_quantities_and_init_containers() {
    let snap = snapshot(FIXTURE);
    let e = explain::explain(&snap, Some("agents"), "hungry", "node-full", &opts()).unwrap();
    let fit = e.fit.expect("eligible and Pending: a fit check");
    // Bound to node-full: api (cpu 1, 512Mi) and worker (100m/256Mi, init 300m/128Mi); the
    // Succeeded job pod and the daemon's own pod do not count.
    assert_eq!(fit.pods_counted, 2);
    let by: BTreeMap<&str, &explain::ResourceFit> = fit
        .resources
        .iter()
        .map(|r| (r.resource.as_str(), r))
        .collect();
    let cpu = by["cpu"];
    // allocatable "1.5" = 1500m; used 1000m + max(100m, init 300m); the daemon needs
    // max(100m + 150m, init 200m) = 250m.
    assert_eq!(
        (
            cpu.allocatable,
            cpu.requested,
            cpu.free,
            cpu.needed,
            cpu.fits
        ),
        (Some(1500), Some(1300), Some(200), 250, Some(false))
    );
    let mem = by["memory"];
    const MI: i64 = 1024 * 1024;
    // 1Gi - (512Mi + 256Mi); the daemon needs max(128Mi + 64Mi, init 512Mi).
    assert_eq!(
        (
            mem.allocatable,
            mem.requested,
            mem.free,
            mem.needed,
            mem.fits
        ),
        (
            Some(1024 * MI),
            Some(768 * MI),
            Some(256 * MI),
            512 * MI,
            Some(false)
        )
    );
    let pods = by["pods"];
    assert_eq!(
        (pods.allocatable, pods.requested, pods.free, pods.fits),
        (Some(4), Some(2), Some(2), Some(true))
    );
    assert_eq!(fit.fits, Some(false));
    assert!(
        fit.hints
            .iter()
            .any(|h| h.yaml.as_deref() == Some("priorityClassName: system-node-critical\n")),
        "{:#?}",
        fit.hints
    );
    assert!(
        fit.hints
            .iter()
            .any(|h| h.text.contains("cpu ≤ 200m, memory ≤ 256Mi"))
    );
}

#[test]
fn fit_says_when_preemption_cannot_help() {
    let snap = snapshot(EXAMPLE);
    let e = explain::explain(
        &snap,
        Some("gpu-operator"),
        "nvidia-device-plugin",
        "gpu-2",
        &opts(),
    )
    .unwrap();
    let fit = e.fit.unwrap();
    let cpu = &fit.resources[0];
    // 3920m - (node-exporter 100m + batch-embedder 3800m) = 20m < 200m.
    assert_eq!(
        (cpu.free, cpu.needed, cpu.fits),
        (Some(20), 200, Some(false))
    );
    assert!(fit.hints[0].text.contains("preemption cannot help"));
    assert!(
        fit.hints[0]
            .text
            .contains("default/batch-embedder-5f7d8b9c64-fpdtj (3800m)")
    );
    assert!(
        fit.hints[0].yaml.is_none(),
        "it already runs at system-node-critical"
    );
}

#[test]
fn pod_requests_follow_the_scheduler() {
    let ds = template_ds(json!({}));
    let mut spec = ds.spec.template.spec.clone();
    let c = |cpu: &str, mem: &str| -> ds_coverage::model::Container {
        serde_json::from_value(json!({
            "name": "c", "resources": { "requests": { "cpu": cpu, "memory": mem } }
        }))
        .unwrap()
    };
    spec.containers = vec![c("100m", "129M"), c("1.5", "512Mi")];
    spec.init_containers = vec![c("2", "1e3"), c("10m", "1Gi")];
    let (r, errors) = explain::pod_requests(&spec);
    assert!(errors.is_empty());
    assert_eq!(r["cpu"], 2000, "init 2 > 100m + 1.5");
    assert_eq!(r["memory"], 1 << 30, "init 1Gi > 129M + 512Mi");
    spec.containers[0]
        .resources
        .requests
        .insert("cpu".into(), ds_coverage::model::Quantity("lots".into()));
    let (_, errors) = explain::pod_requests(&spec);
    assert_eq!(errors.len(), 1, "{errors:?}");
}

const SIDECARS: &str = "tests/fixtures/explain/sidecars.json";

/// A fit's cpu row and verdict: (allocatable, requested, free, needed, fits), fits.
fn cpu_fit(snap: &Snapshot, ds: &str, node: &str) -> (CpuRow, Option<bool>) {
    let e = explain::explain(snap, Some("agents"), ds, node, &opts()).unwrap();
    let fit = e.fit.expect("eligible and Missing: a fit check");
    let r = &fit.resources[0];
    assert_eq!(r.resource, "cpu");
    (
        (r.allocatable, r.requested, r.free, r.needed, r.fits),
        fit.fits,
    )
}

type CpuRow = (Option<i64>, Option<i64>, Option<i64>, i64, Option<bool>);

/// Sidecars (init containers with `restartPolicy: Always`) run beside the containers and the
/// pod overhead comes on top (`k8s.io/component-helpers/resource/helpers.go: PodRequests`), on
/// the pods bound to the node and on the daemon's template alike. Each pair of the fixture fit
/// by the rule read before (sidecars as init containers, no overhead), and does not.
#[test]
fn fit_counts_sidecars_and_pod_overhead_as_the_scheduler_does() {
    let snap = snapshot(SIDECARS);
    // node-mesh: web 100m and its sidecar mesh-proxy 400m (mesh-init's 50m runs before the
    // sidecar starts): 500m, not max(100m, 400m); the daemon needs 550m.
    assert_eq!(
        cpu_fit(&snap, "collector", "node-mesh"),
        (
            (Some(1000), Some(500), Some(500), 550, Some(false)),
            Some(false)
        )
    );
    // node-kata: sandboxed 100m and its RuntimeClass's overhead 400m.
    assert_eq!(
        cpu_fit(&snap, "collector", "node-kata"),
        (
            (Some(1000), Some(500), Some(500), 550, Some(false)),
            Some(false)
        )
    );
    // The daemon's own sidecar: agent 150m and proxy 400m, not max(150m, 400m).
    assert_eq!(
        cpu_fit(&snap, "meshed", "node-small"),
        (
            (Some(500), Some(0), Some(500), 550, Some(false)),
            Some(false)
        )
    );
    let memory = |ds: &str, node: &str| {
        let e = explain::explain(&snap, Some("agents"), ds, node, &opts()).unwrap();
        let m = e.fit.unwrap().resources[1].clone();
        (m.requested, m.needed)
    };
    const MI: i64 = 1024 * 1024;
    // 128Mi + 256Mi; 128Mi + overhead 160Mi; the daemon's 64Mi + 128Mi.
    assert_eq!(memory("meshed", "node-mesh"), (Some(384 * MI), 192 * MI));
    assert_eq!(memory("meshed", "node-kata"), (Some(288 * MI), 192 * MI));
    let e = explain::explain(&snap, Some("agents"), "meshed", "node-small", &opts()).unwrap();
    assert!(
        e.fit.unwrap().hints.iter().any(|h| h
            .text
            .contains("of its sidecars (init containers with restartPolicy: Always)")),
        "the hint says the sidecars count with the containers"
    );
}

/// Pod-level requests (`spec.resources.requests`, `PodLevelResources`: beta and on by default
/// since Kubernetes 1.34) stand for what the containers add up to, for the resources they name
/// (`k8s.io/component-helpers/resource/helpers.go: PodRequests`): node-batch's pod asks 600m
/// cpu at pod level for a 100m container, so the node does not fit the daemon's 550m (it did by
/// the containers' 100m); its memory, not named at pod level, is still the container's.
#[test]
fn fit_counts_pod_level_requests_as_the_scheduler_does() {
    let snap = snapshot(SIDECARS);
    assert_eq!(
        cpu_fit(&snap, "collector", "node-batch"),
        (
            (Some(1000), Some(600), Some(400), 550, Some(false)),
            Some(false)
        )
    );
    let e = explain::explain(&snap, Some("agents"), "collector", "node-batch", &opts()).unwrap();
    let fit = e.fit.unwrap();
    assert_eq!(fit.pods_counted, 1);
    let m = &fit.resources[1];
    assert_eq!(
        (m.resource.as_str(), m.requested),
        ("memory", Some(128 << 20))
    );
    // Through the binary (the pods read by the JSON fast reader): the same verdict.
    let o = bin(&explain_args(
        "agents/collector",
        "node-batch",
        SIDECARS,
        &[],
    ));
    let (text, row) = unfit_cpu_row(o);
    assert_eq!(row, ["cpu", "1", "600m", "400m", "550m", "NO"], "{text}");
    // The daemon's own template: a pod-level cpu request stands for its containers' 550m, and
    // the hint names spec.resources.requests as what to lower.
    let mut snap = snap;
    let at = snap
        .daemon_sets
        .iter()
        .position(|d| d.name() == "meshed")
        .unwrap();
    let spec = &mut snap.daemon_sets[at].spec.template.spec;
    spec.resources
        .requests
        .insert("cpu".into(), ds_coverage::model::Quantity("600m".into()));
    let fit = explain::explain(&snap, Some("agents"), "meshed", "node-small", &opts())
        .unwrap()
        .fit
        .unwrap();
    assert_eq!((fit.resources[0].needed, fit.fits), (600, Some(false)));
    assert!(
        fit.hints.iter().any(|h| h
            .text
            .contains("spec.resources.requests, its pod-level requests")
            && h.text.ends_with("cpu ≤ 500m fits now")),
        "{:#?}",
        fit.hints
    );
}

/// An overhead in the template counts in what the daemon needs (and not in what its requests
/// may be lowered to); a template that names a RuntimeClass without one is noted as
/// possibly short of it.
#[test]
fn a_template_overhead_counts_and_a_runtime_class_without_one_is_noted() {
    let mut snap = snapshot(SIDECARS);
    let at = snap
        .daemon_sets
        .iter()
        .position(|d| d.name() == "collector")
        .unwrap();
    let fit = |snap: &Snapshot| {
        explain::explain(snap, Some("agents"), "collector", "node-small", &opts())
            .unwrap()
            .fit
            .unwrap()
    };
    assert!(fit(&snap).note.is_none());
    snap.daemon_sets[at].spec.template.spec.runtime_class_name = "kata".into();
    let noted = fit(&snap);
    assert_eq!(noted.resources[0].needed, 550);
    assert!(
        noted
            .note
            .as_deref()
            .is_some_and(|n| n.contains("runtimeClassName kata")),
        "{:?}",
        noted.note
    );
    let spec = &mut snap.daemon_sets[at].spec.template.spec;
    spec.overhead
        .insert("cpu".into(), ds_coverage::model::Quantity("100m".into()));
    let counted = fit(&snap);
    assert_eq!(counted.resources[0].needed, 650);
    assert!(counted.note.is_none(), "{:?}", counted.note);
    // 500m free, 100m of it the overhead's.
    assert!(
        counted
            .hints
            .iter()
            .any(|h| h.text.ends_with("cpu ≤ 400m fits now")),
        "{:#?}",
        counted.hints
    );
}

// ---------------------------------------------------------------------------------------------
// Lookup

#[test]
fn lookup_errors_are_one_line_and_ambiguity_lists_the_namespaces() {
    let mut snap = snapshot(FIXTURE);
    let err = |r: Result<explain::Explanation, Error>| match r {
        Err(e) => e,
        Ok(_) => panic!("expected an error"),
    };
    let e = err(explain::explain(
        &snap,
        Some("agents"),
        "nope",
        "node-a",
        &opts(),
    ));
    assert!(
        matches!(&e, Error::NotFound(m) if m == "daemonset \"nope\" not found in namespace \"agents\""),
        "{e}"
    );
    let e = err(explain::explain(&snap, None, "nope", "node-a", &opts()));
    assert!(
        matches!(&e, Error::NotFound(m) if m == "daemonset \"nope\" not found"),
        "{e}"
    );
    let e = err(explain::explain(&snap, None, "pinned", "node-z", &opts()));
    assert!(
        matches!(&e, Error::NotFound(m) if m == "node \"node-z\" not found"),
        "{e}"
    );
    // Found by name alone while unique; ambiguous once another namespace has one.
    assert!(explain::explain(&snap, None, "pinned", "node-a", &opts()).is_ok());
    let mut copy = snap
        .daemon_sets
        .iter()
        .find(|d| d.name() == "pinned")
        .unwrap()
        .clone();
    copy.metadata.namespace = "other".into();
    copy.metadata.uid = "u-other".into();
    snap.daemon_sets.push(copy);
    let e = err(explain::explain(&snap, None, "pinned", "node-a", &opts()));
    assert!(
        matches!(&e, Error::Usage(m) if m.contains("(agents, other)")),
        "{e}"
    );
    assert!(explain::explain(&snap, Some("other"), "pinned", "node-a", &opts()).is_ok());
}

// ---------------------------------------------------------------------------------------------
// Command line

fn bin(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn explain_args<'a>(ds: &'a str, node: &'a str, file: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["explain", ds, node, "-f", file, "--as-of", AS_OF];
    v.extend(extra);
    v
}

/// `explain`'s text, which says the pod does not fit, and its fit table's cpu row, split into
/// its columns.
fn unfit_cpu_row(o: Output) -> (String, Vec<String>) {
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("\nFit: does not fit"), "{text}");
    let row = text
        .lines()
        .find(|l| l.trim_start().starts_with("cpu "))
        .unwrap_or_else(|| panic!("a cpu row in {text}"))
        .split_whitespace()
        .map(String::from)
        .collect();
    (text, row)
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn unknown_daemonset_or_node_exits_3_with_one_line() {
    for (ds, node, extra, want) in [
        (
            "nope",
            "node-a",
            vec![],
            "error: daemonset \"nope\" not found\n",
        ),
        (
            "nope",
            "node-a",
            vec!["-n", "agents"],
            "error: daemonset \"nope\" not found in namespace \"agents\"\n",
        ),
        (
            "agents/pinned",
            "node-z",
            vec![],
            "error: node \"node-z\" not found\n",
        ),
    ] {
        let o = bin(&explain_args(ds, node, FIXTURE, &extra));
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        assert_eq!(stderr(&o), want);
        assert!(o.stdout.is_empty());
    }
}

#[test]
fn other_formats_and_check_are_usage_errors() {
    for format in ["wide", "matrix", "markdown", "junit"] {
        let o = bin(&explain_args(
            "agents/pinned",
            "node-a",
            FIXTURE,
            &["-o", format],
        ));
        assert_eq!(o.status.code(), Some(2), "{format}");
        assert!(
            stderr(&o).starts_with(&format!(
                "error: invalid value '{format}' for '--output <OUTPUT>'\n  [possible values: table, json, yaml]"
            )),
            "{}",
            stderr(&o)
        );
    }
    // The gate flags belong to the report: a usage error naming explain.
    let o = bin(&explain_args(
        "agents/pinned",
        "node-a",
        FIXTURE,
        &["--check"],
    ));
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`explain` does not take --check"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn json_has_the_rules_as_data_and_yaml_the_same() {
    let o = bin(&explain_args(
        "gpu-operator/dcgm-exporter",
        "gpu-1",
        EXAMPLE,
        &["-o", "json"],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["kind"], "DaemonSetNodeExplanation");
    assert_eq!(j["daemonSet"], "gpu-operator/dcgm-exporter");
    assert_eq!(j["node"], "gpu-1");
    let rules: Vec<&str> = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["rule"].as_str().unwrap())
        .collect();
    assert_eq!(rules, ["nodeName", "nodeSelector", "nodeAffinity", "taint"]);
    let sel = &j["checks"][1];
    assert_eq!(
        (
            &sel["status"],
            &sel["key"],
            &sel["wanted"],
            &sel["nodeValue"]
        ),
        (
            &json!("pass"),
            &json!("nvidia.com/gpu.present"),
            &json!("true"),
            &json!("true")
        )
    );
    let taint = &j["checks"][3];
    assert_eq!(taint["status"], "fail");
    assert_eq!(taint["effect"], "NoSchedule");
    assert!(taint["toleratedBy"].is_null());
    assert!(taint["nearMiss"].as_str().unwrap().contains("\"present\""));
    assert_eq!(j["verdict"]["shouldRun"], false);
    assert_eq!(j["verdict"]["shouldContinueRunning"], true);
    assert_eq!(j["state"], "Ineligible");
    assert_eq!(j["suggestions"][0]["fixes"], 3);
    assert_eq!(j["suggestions"][0]["action"], "append");
    assert!(j["fit"].is_null());

    let y = bin(&explain_args(
        "gpu-operator/dcgm-exporter",
        "gpu-1",
        EXAMPLE,
        &["-o", "yaml"],
    ));
    let y: Value = serde_saphyr::from_str(&String::from_utf8(y.stdout).unwrap()).unwrap();
    assert_eq!(y, j);
}

/// Through the binary, on the JSON a `kubectl get -o json` writes (its pods read by the fast
/// reader): the fit table and its JSON count the other pod's sidecar.
#[test]
fn the_fit_table_and_json_count_sidecars() {
    let o = bin(&explain_args(
        "agents/collector",
        "node-mesh",
        SIDECARS,
        &[],
    ));
    let (text, row) = unfit_cpu_row(o);
    assert_eq!(row, ["cpu", "1", "500m", "500m", "550m", "NO"], "{text}");
    let o = bin(&explain_args(
        "agents/collector",
        "node-mesh",
        SIDECARS,
        &["-o", "json"],
    ));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["fit"]["fits"], false);
    assert_eq!(j["fit"]["resources"][0]["requested"], 500);
    assert_eq!(j["fit"]["resources"][0]["needed"], 550);
}

#[test]
fn affinity_terms_carry_each_requirement_and_parse_errors() {
    let o = bin(&explain_args(
        "agents/invalid",
        "node-a",
        FIXTURE,
        &["-o", "json"],
    ));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    let term = &j["checks"][1];
    assert_eq!(
        (
            &term["rule"],
            &term["status"],
            &term["outcome"],
            &term["index"]
        ),
        (
            &json!("nodeAffinity"),
            &json!("invalid"),
            &json!("invalid"),
            &json!(0)
        )
    );
    let reqs = term["requirements"].as_array().unwrap();
    assert_eq!(reqs.len(), 2);
    assert_eq!(reqs[0]["status"], "invalid");
    assert!(reqs[0]["error"].as_str().unwrap().contains("\"+5\""));
    assert_eq!(reqs[0]["nodeValue"], "5");
    assert!(
        reqs[1]["error"]
            .as_str()
            .unwrap()
            .contains("invalid label key")
    );
}

#[test]
fn found_by_name_across_namespaces_in_files_and_with_all_namespaces() {
    for extra in [vec![], vec!["-A"]] {
        let o = bin(&explain_args("dcgm-exporter", "gpu-1", EXAMPLE, &extra));
        assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout)
                .starts_with("DaemonSet gpu-operator/dcgm-exporter on node gpu-1: NOT ELIGIBLE")
        );
    }
}

#[test]
fn manifest_what_if_is_explained_before_it_is_applied() {
    let o = bin(&explain_args(
        "gpu-operator/gpu-feature-discovery",
        "gpu-1",
        EXAMPLE,
        &[
            "--manifest",
            "examples/whatif-gpu-operator.yaml",
            "-o",
            "json",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["fromManifest"], true);
    assert_eq!(j["verdict"]["shouldRun"], false);
    // Without NS/NAME the manifest's own namespace is used.
    let o = bin(&explain_args(
        "gpu-feature-discovery",
        "gpu-2",
        EXAMPLE,
        &[
            "--manifest",
            "examples/whatif-gpu-operator.yaml",
            "-n",
            "gpu-operator",
        ],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // The fixed dcgm-exporter of the same file is eligible on the GPU nodes.
    let o = bin(&explain_args(
        "dcgm-exporter",
        "gpu-1",
        EXAMPLE,
        &[
            "--manifest",
            "examples/whatif-gpu-operator.yaml",
            "-o",
            "json",
        ],
    ));
    let j: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["verdict"]["shouldRun"], true, "{j:#}");
    assert_eq!(j["state"], "Missing");
    assert_eq!(j["fit"]["fits"], true);
}

/// The input's warnings that bear on the pair are in `explain` as in the report: every
/// report-wide one about what was read (here: no ControllerRevisions), and those about one
/// object (two UIDs for one name) when the object is the DaemonSet, the node or a pod of the
/// pair; not those about other objects.
#[test]
fn explain_shows_the_input_warnings_that_concern_the_pair() {
    let items = raw_items(EXAMPLE);
    let dir = std::env::temp_dir().join(format!("ds-coverage-explain-warn-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let without_revisions: Vec<Value> = items
        .iter()
        .filter(|i| i["kind"] != "ControllerRevision")
        .cloned()
        .collect();
    let again = |kind: &str, ns: &str, name: &str| {
        let mut v = raw(&items, kind, ns, name).clone();
        v["metadata"]["uid"] = json!(format!("00000000-0000-0000-0000-{:0>12}", name.len()));
        v
    };
    let other_capture = vec![
        again("Node", "", "worker-5"),
        again("Pod", "logging", "fluent-bit-mzbwr"),
        again("DaemonSet", "monitoring", "node-exporter"),
        again("Node", "", "worker-1"),
    ];
    let list = |items: Vec<Value>| json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(dir.join("a.json"), list(without_revisions).to_string()).unwrap();
    std::fs::write(dir.join("b.json"), list(other_capture).to_string()).unwrap();
    let input = dir.to_str().unwrap();

    let report = bin(&["-f", input, "--as-of", AS_OF, "-A", "-o", "json"]);
    let report: Value = serde_json::from_slice(&report.stdout).unwrap();
    let report_warnings: Vec<&str> = report["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let o = bin(&explain_args(
        "logging/fluent-bit",
        "worker-5",
        input,
        &["-o", "json"],
    ));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let e: Value = serde_json::from_slice(&o.stdout).unwrap();
    let shown: Vec<&str> = e["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap())
        .collect();
    let from_report = |start: &str| -> &str {
        report_warnings
            .iter()
            .copied()
            .find(|w| w.starts_with(start))
            .unwrap_or_else(|| panic!("the report warns {start:?}: {report_warnings:#?}"))
    };
    for wanted in [
        "no ControllerRevisions in the input",
        "Node worker-5 is in the input under two UIDs",
        "Pod logging/fluent-bit-mzbwr is in the input under two UIDs",
    ] {
        let w = from_report(wanted);
        assert!(shown.contains(&w), "explain shows {w:?}: {shown:#?}");
    }
    for other in [
        "DaemonSet monitoring/node-exporter is in the input",
        "Node worker-1 is in the input",
    ] {
        from_report(other);
        assert!(
            !shown.iter().any(|w| w.starts_with(other)),
            "{other:?} is not about the pair: {shown:#?}"
        );
    }
    // The text says the same under Notes.
    let o = bin(&explain_args("logging/fluent-bit", "worker-5", input, &[]));
    let text = String::from_utf8(o.stdout).unwrap();
    let notes = text.split("Notes:").nth(1).expect("a Notes section");
    assert!(
        notes.contains("no ControllerRevisions in the input")
            && notes.contains("Node worker-5 is in the input under two UIDs")
            && !notes.contains("node-exporter"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
