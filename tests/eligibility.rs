//! Table-driven tests that pin `Placement::evaluate` to the DaemonSet controller's
//! `NodeShouldRunDaemonPod` and the upstream helpers it calls:
//! - pkg/controller/daemon/daemon_controller.go: `NodeShouldRunDaemonPod`, `NewPod`, `predicates`;
//! - pkg/controller/daemon/util/daemonset_util.go: `AddOrUpdateDaemonPodTolerations`;
//! - staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go;
//! - staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go:
//!   `FindMatchingUntoleratedTaint`;
//! - staging/src/k8s.io/api/core/v1/toleration.go: `Toleration.ToleratesTaint`;
//! - pkg/controller/nodelifecycle/node_lifecycle_controller.go (the taints it writes).
//!
//! Each row is its own `#[test]`, named after the rule it pins.

use ds_coverage::eligibility::{Placement, Verdict};
use ds_coverage::model::{DaemonSet, Node};
use ds_coverage::reason::Rule;
use ds_coverage::source::file::daemon_set_from_value;
use serde_json::{Value, json};

// ---------------------------------------------------------------------------------------------
// Builders: real-looking API objects, decoded the way the tool decodes kubectl output.

/// A node named `name` with the given labels (object) and taints (array).
fn node(name: &str, labels: Value, taints: Value) -> Node {
    node_from(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {
            "name": name,
            "uid": format!("uid-{name}"),
            "creationTimestamp": "2024-05-01T10:00:00Z",
            "labels": labels,
        },
        "spec": { "taints": taints },
        "status": {
            "conditions": [{ "type": "Ready", "status": "True", "reason": "KubeletReady" }]
        }
    }))
}

fn node_from(v: Value) -> Node {
    serde_json::from_value::<Node>(v).expect("node JSON decodes")
}

/// A node with only a name (no labels, no taints).
fn plain(name: &str) -> Node {
    node(name, json!({}), json!([]))
}

/// A node `n1` with the given labels and no taints.
fn labelled(labels: Value) -> Node {
    node("n1", labels, json!([]))
}

/// A node `n1` with the given taints and no labels.
fn tainted(taints: Value) -> Node {
    node("n1", json!({}), taints)
}

fn taint(key: &str, value: &str, effect: &str) -> Value {
    if value.is_empty() {
        json!({ "key": key, "effect": effect })
    } else {
        json!({ "key": key, "value": value, "effect": effect })
    }
}

/// A DaemonSet whose pod template spec is `template_spec` (a container is added if none is given).
fn ds(template_spec: Value) -> DaemonSet {
    let mut spec = template_spec;
    if spec.get("containers").is_none() {
        spec["containers"] = json!([{ "name": "agent", "image": "registry.example/agent:1.0" }]);
    }
    daemon_set_from_value(json!({
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {
            "name": "agent",
            "namespace": "ops",
            "uid": "8f0c1c2e-0000-4000-8000-000000000001",
            "generation": 1,
            "annotations": { "deprecated.daemonset.template.generation": "1" }
        },
        "spec": {
            "selector": { "matchLabels": { "app": "agent" } },
            "template": {
                "metadata": { "labels": { "app": "agent" } },
                "spec": spec
            },
            "updateStrategy": { "type": "RollingUpdate" }
        }
    }))
    .map_err(|(e, _)| e)
    .expect("DaemonSet JSON decodes")
}

/// A template spec with no placement rules.
fn any() -> Value {
    json!({})
}

/// Template spec with required node affinity made of the given terms.
fn terms(terms: Value) -> Value {
    json!({
        "affinity": { "nodeAffinity": {
            "requiredDuringSchedulingIgnoredDuringExecution": { "nodeSelectorTerms": terms }
        } }
    })
}

/// Template spec with one required term holding the given matchExpressions.
fn exprs(expressions: Value) -> Value {
    terms(json!([{ "matchExpressions": expressions }]))
}

/// Template spec with one required term holding one expression.
fn expr(key: &str, op: &str, values: &[&str]) -> Value {
    exprs(json!([{ "key": key, "operator": op, "values": values }]))
}

/// Template spec with one required term holding one matchFields requirement.
fn field(key: &str, op: &str, values: &[&str]) -> Value {
    terms(json!([{ "matchFields": [{ "key": key, "operator": op, "values": values }] }]))
}

/// Template spec with the given tolerations.
fn tolerating(tolerations: Value) -> Value {
    json!({ "tolerations": tolerations })
}

/// Merge two template specs (top-level keys of `b` win).
fn and(a: Value, b: Value) -> Value {
    let mut out = a;
    for (k, v) in b.as_object().expect("object").clone() {
        out[k] = v;
    }
    out
}

// ---------------------------------------------------------------------------------------------
// The checker and the table macro.

struct Expect {
    want: (bool, bool),
    /// Every reason must come from this rule.
    rule: Option<Rule>,
    /// Some reason's message must contain this.
    msg: Option<&'static str>,
}

fn check(name: &str, ds: &DaemonSet, node: &Node, gate: bool, e: Expect) -> Verdict {
    let v = Placement::compile(ds, gate).evaluate(node);
    assert_eq!(
        (v.should_run, v.should_continue_running),
        e.want,
        "{name}: (shouldRun, shouldContinueRunning) differs; reasons: {:#?}",
        v.reasons
    );
    // pkg/controller/daemon/daemon_controller.go: NodeShouldRunDaemonPod never returns
    // (true, false); reasons are given exactly when shouldRun is false.
    assert!(
        v.should_run <= v.should_continue_running,
        "{name}: (true, false) is impossible"
    );
    assert_eq!(
        v.should_run,
        v.reasons.is_empty(),
        "{name}: reasons {:#?}",
        v.reasons
    );
    if let Some(rule) = e.rule {
        assert!(
            v.reasons.iter().all(|r| r.rule == rule),
            "{name}: expected only {rule:?} reasons, got {:#?}",
            v.reasons
        );
    }
    if let Some(msg) = e.msg {
        assert!(
            v.reasons.iter().any(|r| r.message.contains(msg)),
            "{name}: no reason mentions {msg:?}: {:#?}",
            v.reasons
        );
    }
    v
}

/// `name: template_spec, node => (shouldRun, shouldContinueRunning) [, Rule] [, "message part"]
/// [, gate];` — one `#[test]` per row. `gate` turns on `TaintTolerationComparisonOperators`.
macro_rules! cases {
    ($(
        $name:ident : $spec:expr , $node:expr => ($run:expr, $cont:expr)
        $(, rule = $rule:ident)? $(, msg = $msg:literal)? $(, gate = $gate:literal)? ;
    )*) => {$(
        #[test]
        fn $name() {
            #[allow(unused_mut, unused_assignments)]
            let mut gate = false;
            $(gate = $gate;)?
            #[allow(unused_mut, unused_assignments)]
            let mut rule: Option<Rule> = None;
            $(rule = Some(Rule::$rule);)?
            #[allow(unused_mut, unused_assignments)]
            let mut msg: Option<&'static str> = None;
            $(msg = Some($msg);)?
            check(
                stringify!($name),
                &ds($spec),
                &$node,
                gate,
                Expect { want: ($run, $cont), rule, msg },
            );
        }
    )*};
}

// ---------------------------------------------------------------------------------------------
// pkg/controller/daemon/daemon_controller.go: NodeShouldRunDaemonPod, first check:
// template nodeName, checked before anything else.

cases! {
    node_name_equal_to_node_runs:
        json!({ "nodeName": "n1" }), plain("n1") => (true, true);
    node_name_other_node_is_false_false:
        json!({ "nodeName": "n2" }), plain("n1") => (false, false), rule = NodeName, msg = "n2";
    node_name_other_node_decides_before_selector_and_taints:
        json!({ "nodeName": "n2", "nodeSelector": { "disk": "ssd" } }),
        node("n1", json!({ "disk": "hdd" }), json!([taint("dedicated", "x", "NoExecute")]))
        => (false, false), rule = NodeName;
    node_name_on_other_node_beats_tolerate_everything:
        and(json!({ "nodeName": "n2" }), tolerating(json!([{ "operator": "Exists" }]))),
        plain("n1") => (false, false), rule = NodeName;
    node_name_equal_does_not_bypass_node_selector:
        json!({ "nodeName": "n1", "nodeSelector": { "disk": "ssd" } }), plain("n1")
        => (false, false), rule = NodeSelector;
    node_name_equal_does_not_bypass_taints:
        json!({ "nodeName": "n1" }), tainted(json!([taint("dedicated", "x", "NoSchedule")]))
        => (false, true), rule = Taint;
    no_rules_at_all_runs_everywhere:
        any(), plain("n1") => (true, true);
}

// ---------------------------------------------------------------------------------------------
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// GetRequiredNodeAffinity, the nodeSelector part (labels.SelectorFromSet, exact bytes, no
// validation).

cases! {
    node_selector_match:
        json!({ "nodeSelector": { "disk": "ssd" } }), labelled(json!({ "disk": "ssd" })) => (true, true);
    node_selector_empty_map_restricts_nothing:
        json!({ "nodeSelector": {} }), plain("n1") => (true, true);
    node_selector_null_restricts_nothing:
        json!({ "nodeSelector": null }), plain("n1") => (true, true);
    node_selector_missing_label:
        json!({ "nodeSelector": { "disk": "ssd" } }), plain("n1")
        => (false, false), rule = NodeSelector, msg = "node has no label disk";
    node_selector_wrong_value:
        json!({ "nodeSelector": { "disk": "ssd" } }), labelled(json!({ "disk": "hdd" }))
        => (false, false), rule = NodeSelector, msg = "disk=hdd";
    node_selector_empty_value_needs_present_empty_label:
        json!({ "nodeSelector": { "gpu": "" } }), labelled(json!({ "gpu": "" })) => (true, true);
    node_selector_empty_value_missing_label_fails:
        json!({ "nodeSelector": { "gpu": "" } }), plain("n1") => (false, false), rule = NodeSelector;
    node_selector_empty_value_nonempty_label_fails:
        json!({ "nodeSelector": { "gpu": "" } }), labelled(json!({ "gpu": "nvidia" }))
        => (false, false), rule = NodeSelector;
    node_selector_value_is_case_sensitive:
        json!({ "nodeSelector": { "disk": "SSD" } }), labelled(json!({ "disk": "ssd" }))
        => (false, false), rule = NodeSelector;
    node_selector_key_is_case_sensitive:
        json!({ "nodeSelector": { "Disk": "ssd" } }), labelled(json!({ "disk": "ssd" }))
        => (false, false), rule = NodeSelector;
    node_selector_entries_are_anded:
        json!({ "nodeSelector": { "disk": "ssd", "zone": "a" } }), labelled(json!({ "disk": "ssd" }))
        => (false, false), rule = NodeSelector, msg = "zone=a";
    node_selector_invalid_value_is_not_validated:
        json!({ "nodeSelector": { "team": "a b" } }), labelled(json!({ "team": "a b" })) => (true, true);
    node_selector_master_role_empty_value:
        json!({ "nodeSelector": { "node-role.kubernetes.io/master": "" } }),
        labelled(json!({ "node-role.kubernetes.io/master": "", "kubernetes.io/os": "linux" }))
        => (true, true);
}

// ---------------------------------------------------------------------------------------------
// Required affinity, every operator:
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// nodeSelectorRequirementsAsSelector, then
// staging/src/k8s.io/apimachinery/pkg/labels/selector.go: Requirement.Matches.

cases! {
    affinity_in_value_listed:
        expr("zone", "In", &["a", "b"]), labelled(json!({ "zone": "b" })) => (true, true);
    affinity_in_value_not_listed:
        expr("zone", "In", &["a", "b"]), labelled(json!({ "zone": "c" }))
        => (false, false), rule = NodeAffinity, msg = "zone=c";
    affinity_in_label_absent:
        expr("zone", "In", &["a"]), plain("n1")
        => (false, false), rule = NodeAffinity, msg = "no label zone";
    affinity_notin_label_absent_matches:
        expr("zone", "NotIn", &["a"]), plain("n1") => (true, true);
    affinity_notin_value_listed:
        expr("zone", "NotIn", &["a"]), labelled(json!({ "zone": "a" })) => (false, false), rule = NodeAffinity;
    affinity_notin_other_value:
        expr("zone", "NotIn", &["a"]), labelled(json!({ "zone": "b" })) => (true, true);
    affinity_exists_present:
        expr("gpu", "Exists", &[]), labelled(json!({ "gpu": "nvidia" })) => (true, true);
    affinity_exists_empty_value_counts:
        expr("gpu", "Exists", &[]), labelled(json!({ "gpu": "" })) => (true, true);
    affinity_exists_absent:
        expr("gpu", "Exists", &[]), plain("n1") => (false, false), rule = NodeAffinity;
    affinity_exists_values_null_is_fine:
        exprs(json!([{ "key": "gpu", "operator": "Exists", "values": null }])),
        labelled(json!({ "gpu": "x" })) => (true, true);
    affinity_does_not_exist_absent:
        expr("spot", "DoesNotExist", &[]), plain("n1") => (true, true);
    affinity_does_not_exist_present:
        expr("spot", "DoesNotExist", &[]), labelled(json!({ "spot": "" })) => (false, false), rule = NodeAffinity;
    affinity_gt_is_numeric_not_lexical:
        expr("cores", "Gt", &["9"]), labelled(json!({ "cores": "10" })) => (true, true);
    affinity_gt_leading_zeros_accepted:
        expr("version", "Gt", &["0204"]), labelled(json!({ "version": "0206" })) => (true, true);
    affinity_gt_is_strict:
        expr("cores", "Gt", &["8"]), labelled(json!({ "cores": "8" })) => (false, false), rule = NodeAffinity;
    affinity_gt_smaller:
        expr("cores", "Gt", &["8"]), labelled(json!({ "cores": "4" })) => (false, false), rule = NodeAffinity;
    affinity_gt_non_integer_node_label_is_false:
        expr("version", "Gt", &["4"]), labelled(json!({ "version": "v5" })) => (false, false), rule = NodeAffinity;
    affinity_gt_overflowing_node_label_is_false:
        expr("size", "Gt", &["1"]), labelled(json!({ "size": "9223372036854775808" }))
        => (false, false), rule = NodeAffinity;
    affinity_gt_label_absent:
        expr("cores", "Gt", &["1"]), plain("n1") => (false, false), rule = NodeAffinity;
    affinity_gt_max_int64_label:
        expr("size", "Gt", &["1"]), labelled(json!({ "size": "9223372036854775807" })) => (true, true);
    affinity_lt_is_numeric_not_lexical:
        expr("cores", "Lt", &["10"]), labelled(json!({ "cores": "9" })) => (true, true);
    affinity_lt_lexically_smaller_but_numerically_larger:
        expr("cores", "Lt", &["9"]), labelled(json!({ "cores": "10" })) => (false, false), rule = NodeAffinity;
    affinity_lt_is_strict:
        expr("cores", "Lt", &["9"]), labelled(json!({ "cores": "9" })) => (false, false), rule = NodeAffinity;
    affinity_lt_non_integer_node_label_is_false:
        expr("cores", "Lt", &["9"]), labelled(json!({ "cores": "" })) => (false, false), rule = NodeAffinity;
}

// ---------------------------------------------------------------------------------------------
// Parse errors:
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// nodeSelectorRequirementsAsSelector (labels.NewRequirement), and
// pkg/controller/daemon/daemon_controller.go: predicates discards the error. A bad term matches no
// node, and the verdict is (false, false).

cases! {
    parse_error_unknown_operator:
        expr("zone", "Equals", &["a"]), labelled(json!({ "zone": "a" }))
        => (false, false), rule = NodeAffinity, msg = "not supported";
    parse_error_lowercase_operator:
        expr("zone", "in", &["a"]), labelled(json!({ "zone": "a" })) => (false, false), rule = NodeAffinity;
    parse_error_invalid_key_with_space:
        expr("invalid key", "Exists", &[]), labelled(json!({ "invalid key": "" }))
        => (false, false), rule = NodeAffinity, msg = "invalid label key";
    parse_error_invalid_key_prefix_uppercase:
        expr("Example.COM/role", "DoesNotExist", &[]), plain("n1") => (false, false), rule = NodeAffinity;
    parse_error_in_without_values:
        expr("zone", "In", &[]), labelled(json!({ "zone": "a" }))
        => (false, false), rule = NodeAffinity, msg = "non-empty";
    parse_error_notin_without_values_even_if_label_absent:
        expr("zone", "NotIn", &[]), plain("n1") => (false, false), rule = NodeAffinity;
    parse_error_exists_with_values:
        expr("gpu", "Exists", &["nvidia"]), labelled(json!({ "gpu": "nvidia" }))
        => (false, false), rule = NodeAffinity, msg = "must be empty";
    parse_error_does_not_exist_with_values:
        expr("spot", "DoesNotExist", &["true"]), plain("n1") => (false, false), rule = NodeAffinity;
    parse_error_gt_with_two_values:
        expr("cores", "Gt", &["1", "2"]), labelled(json!({ "cores": "10" }))
        => (false, false), rule = NodeAffinity, msg = "exactly one value";
    parse_error_gt_without_values:
        expr("cores", "Gt", &[]), labelled(json!({ "cores": "10" })) => (false, false), rule = NodeAffinity;
    parse_error_gt_not_an_integer:
        expr("cores", "Gt", &["abc"]), labelled(json!({ "cores": "10" }))
        => (false, false), rule = NodeAffinity, msg = "not an integer";
    parse_error_gt_decimal_fraction:
        expr("cores", "Gt", &["1.5"]), labelled(json!({ "cores": "10" })) => (false, false), rule = NodeAffinity;
    parse_error_gt_past_int64:
        expr("size", "Lt", &["9223372036854775808"]), labelled(json!({ "size": "1" }))
        => (false, false), rule = NodeAffinity;
    parse_error_gt_negative_fails_label_value_syntax:
        expr("cores", "Gt", &["-1"]), labelled(json!({ "cores": "5" }))
        => (false, false), rule = NodeAffinity, msg = "invalid label value";
    parse_error_lt_plus_sign_fails_label_value_syntax:
        expr("cores", "Lt", &["+5"]), labelled(json!({ "cores": "1" })) => (false, false), rule = NodeAffinity;
    parse_error_notin_invalid_value_never_matches_even_without_label:
        expr("zone", "NotIn", &["invalid value: ___@#$%^"]), plain("n1")
        => (false, false), rule = NodeAffinity, msg = "invalid label value";
    parse_error_in_value_too_long:
        expr("zone", "In", &["a".repeat(64).as_str()]), labelled(json!({ "zone": "a".repeat(64) }))
        => (false, false), rule = NodeAffinity;
    parse_error_poisons_the_whole_term:
        exprs(json!([
            { "key": "zone", "operator": "In", "values": ["a"] },
            { "key": "cores", "operator": "Gt", "values": ["abc"] }
        ])),
        labelled(json!({ "zone": "a", "cores": "10" })) => (false, false), rule = NodeAffinity;
    parse_error_unknown_operator_with_default_tolerations_still_false_false:
        and(expr("zone", "Bogus", &["a"]), tolerating(json!([{ "operator": "Exists" }]))),
        tainted(json!([taint("node.kubernetes.io/not-ready", "", "NoSchedule")]))
        => (false, false), rule = NodeAffinity;
}

// ---------------------------------------------------------------------------------------------
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// NewLazyErrorNodeSelector, LazyErrorNodeSelector.Match and nodeSelectorTerm.match: terms OR (lazy
// errors), expressions AND, empty terms dropped.

fn bad_term() -> Value {
    json!({ "matchExpressions": [{ "key": "zone", "operator": "Bogus", "values": ["a"] }] })
}

fn zone_a_term() -> Value {
    json!({ "matchExpressions": [{ "key": "zone", "operator": "In", "values": ["a"] }] })
}

fn zone_b_term() -> Value {
    json!({ "matchExpressions": [{ "key": "zone", "operator": "In", "values": ["b"] }] })
}

cases! {
    lazy_errors_bad_term_then_good_term_matches:
        terms(json!([bad_term(), zone_a_term()])), labelled(json!({ "zone": "a" })) => (true, true);
    lazy_errors_good_term_then_bad_term_matches:
        terms(json!([zone_a_term(), bad_term()])), labelled(json!({ "zone": "a" })) => (true, true);
    lazy_errors_bad_term_and_failing_term:
        terms(json!([bad_term(), zone_b_term()])), labelled(json!({ "zone": "a" }))
        => (false, false), rule = NodeAffinity, msg = "term 1: invalid";
    terms_are_ored_second_matches:
        terms(json!([zone_b_term(), zone_a_term()])), labelled(json!({ "zone": "a" })) => (true, true);
    terms_are_ored_none_matches:
        terms(json!([zone_a_term(), zone_b_term()])), labelled(json!({ "zone": "c" }))
        => (false, false), rule = NodeAffinity, msg = "no required node affinity term matches";
    expressions_within_a_term_are_anded_one_fails:
        exprs(json!([
            { "key": "zone", "operator": "In", "values": ["a"] },
            { "key": "disk", "operator": "In", "values": ["ssd"] }
        ])),
        labelled(json!({ "zone": "a", "disk": "hdd" })) => (false, false), rule = NodeAffinity, msg = "disk";
    expressions_within_a_term_are_anded_all_match:
        exprs(json!([
            { "key": "zone", "operator": "In", "values": ["a"] },
            { "key": "disk", "operator": "In", "values": ["ssd"] }
        ])),
        labelled(json!({ "zone": "a", "disk": "ssd" })) => (true, true);
    expressions_and_fields_in_one_term_are_anded:
        terms(json!([{
            "matchExpressions": [{ "key": "zone", "operator": "In", "values": ["a"] }],
            "matchFields": [{ "key": "metadata.name", "operator": "NotIn", "values": ["n1"] }]
        }])),
        labelled(json!({ "zone": "a" })) => (false, false), rule = NodeAffinity;
    empty_term_is_dropped_other_term_decides:
        terms(json!([{}, zone_a_term()])), labelled(json!({ "zone": "a" })) => (true, true);
    empty_term_does_not_match_everything:
        terms(json!([{}, zone_b_term()])), labelled(json!({ "zone": "a" })) => (false, false), rule = NodeAffinity;
    only_empty_terms_match_nothing:
        terms(json!([{}, { "matchExpressions": [], "matchFields": null }])), plain("n1")
        => (false, false), rule = NodeAffinity, msg = "empty";
    empty_term_list_matches_nothing:
        terms(json!([])), plain("n1") => (false, false), rule = NodeAffinity, msg = "no nodeSelectorTerms";
    null_term_list_matches_nothing:
        terms(Value::Null), plain("n1") => (false, false), rule = NodeAffinity;
    required_empty_object_matches_nothing:
        json!({ "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": {} } } }),
        plain("n1") => (false, false), rule = NodeAffinity;
    affinity_empty_object_restricts_nothing:
        json!({ "affinity": {} }), plain("n1") => (true, true);
    node_affinity_empty_object_restricts_nothing:
        json!({ "affinity": { "nodeAffinity": {} } }), plain("n1") => (true, true);
    required_null_restricts_nothing:
        json!({ "affinity": { "nodeAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": null } } }),
        plain("n1") => (true, true);
    preferred_affinity_is_never_looked_at:
        json!({ "affinity": { "nodeAffinity": { "preferredDuringSchedulingIgnoredDuringExecution": [
            { "weight": 100, "preference": zone_b_term() }
        ] } } }),
        labelled(json!({ "zone": "a" })) => (true, true);
    pod_anti_affinity_is_never_looked_at:
        json!({ "affinity": { "podAntiAffinity": { "requiredDuringSchedulingIgnoredDuringExecution": [
            { "labelSelector": { "matchLabels": { "app": "agent" } }, "topologyKey": "kubernetes.io/hostname" }
        ] } } }),
        plain("n1") => (true, true);
}

// ---------------------------------------------------------------------------------------------
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// nodeSelectorRequirementsAsFieldSelector: matchFields (In/NotIn, exactly one value,
// metadata.name).

cases! {
    match_fields_name_in_this_node:
        field("metadata.name", "In", &["n1"]), plain("n1") => (true, true);
    match_fields_name_in_other_node:
        field("metadata.name", "In", &["n2"]), plain("n1")
        => (false, false), rule = NodeAffinity, msg = "metadata.name In [n2]";
    match_fields_name_notin_this_node:
        field("metadata.name", "NotIn", &["n1"]), plain("n1") => (false, false), rule = NodeAffinity;
    match_fields_name_notin_other_node:
        field("metadata.name", "NotIn", &["n2"]), plain("n1") => (true, true);
    match_fields_two_values_never_match_even_on_first:
        field("metadata.name", "In", &["a", "b"]), plain("a")
        => (false, false), rule = NodeAffinity, msg = "exactly one value";
    match_fields_two_values_never_match_even_on_second:
        field("metadata.name", "In", &["a", "b"]), plain("b") => (false, false), rule = NodeAffinity;
    match_fields_no_values_is_a_parse_error:
        field("metadata.name", "NotIn", &[]), plain("n1") => (false, false), rule = NodeAffinity;
    match_fields_exists_is_a_parse_error:
        field("metadata.name", "Exists", &[]), plain("n1") => (false, false), rule = NodeAffinity;
    match_fields_exists_with_a_value_is_a_parse_error:
        field("metadata.name", "Exists", &["n1"]), plain("n1")
        => (false, false), rule = NodeAffinity, msg = "not supported";
    match_fields_gt_is_a_parse_error:
        field("metadata.name", "Gt", &["1"]), plain("2") => (false, false), rule = NodeAffinity;
    match_fields_value_compared_exactly:
        field("metadata.name", "In", &["N1"]), plain("n1") => (false, false), rule = NodeAffinity;
    match_fields_bad_term_then_good_term:
        terms(json!([
            { "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["n1", "n2"] }] },
            { "matchFields": [{ "key": "metadata.name", "operator": "In", "values": ["n1"] }] }
        ])),
        plain("n1") => (true, true);
}

// ---------------------------------------------------------------------------------------------
// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
// RequiredNodeAffinity.Match: nodeSelector AND required affinity.

cases! {
    selector_and_affinity_both_match:
        and(json!({ "nodeSelector": { "disk": "ssd" } }), expr("zone", "In", &["a"])),
        labelled(json!({ "disk": "ssd", "zone": "a" })) => (true, true);
    selector_matches_affinity_does_not:
        and(json!({ "nodeSelector": { "disk": "ssd" } }), expr("zone", "In", &["a"])),
        labelled(json!({ "disk": "ssd", "zone": "b" })) => (false, false), rule = NodeAffinity;
    affinity_matches_selector_does_not:
        and(json!({ "nodeSelector": { "disk": "ssd" } }), expr("zone", "In", &["a"])),
        labelled(json!({ "disk": "hdd", "zone": "a" })) => (false, false), rule = NodeSelector;
    selector_and_affinity_both_fail:
        and(json!({ "nodeSelector": { "disk": "ssd" } }), expr("zone", "In", &["a"])),
        plain("n1") => (false, false), msg = "nodeSelector wants disk=ssd";
    affinity_mismatch_beats_toleration_of_every_taint:
        and(expr("zone", "In", &["a"]), tolerating(json!([{ "operator": "Exists" }]))),
        labelled(json!({ "zone": "b" })) => (false, false), rule = NodeAffinity;
}

// ---------------------------------------------------------------------------------------------
// Tolerations against taints:
// staging/src/k8s.io/component-helpers/scheduling/corev1/helpers.go: FindMatchingUntoleratedTaint
// and staging/src/k8s.io/api/core/v1/toleration.go: Toleration.ToleratesTaint, as
// pkg/controller/daemon/daemon_controller.go: predicates calls them.

cases! {
    taint_no_schedule_untolerated_keeps_existing_pods:
        any(), tainted(json!([taint("dedicated", "infra", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "dedicated=infra:NoSchedule";
    taint_no_execute_untolerated_evicts:
        any(), tainted(json!([taint("dedicated", "infra", "NoExecute")]))
        => (false, false), rule = Taint, msg = "dedicated=infra:NoExecute";
    taint_no_schedule_and_no_execute_untolerated:
        any(), tainted(json!([taint("a", "", "NoSchedule"), taint("b", "", "NoExecute")]))
        => (false, false), rule = Taint;
    taint_prefer_no_schedule_is_ignored:
        any(), tainted(json!([taint("UpdateInProgress", "", "PreferNoSchedule")])) => (true, true);
    taint_tolerated_no_execute_but_untolerated_no_schedule:
        tolerating(json!([{ "key": "b", "operator": "Exists" }])),
        tainted(json!([taint("a", "", "NoSchedule"), taint("b", "", "NoExecute")]))
        => (false, true), rule = Taint, msg = "a:NoSchedule";
    toleration_empty_effect_matches_no_execute:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists" }])),
        tainted(json!([taint("dedicated", "infra", "NoExecute")])) => (true, true);
    toleration_empty_effect_matches_no_schedule:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")])) => (true, true);
    toleration_empty_key_exists_tolerates_everything:
        tolerating(json!([{ "operator": "Exists" }])),
        tainted(json!([
            taint("node.kubernetes.io/not-ready", "", "NoSchedule"),
            taint("node.kubernetes.io/out-of-service", "nodeshutdown", "NoExecute"),
            taint("node-role.kubernetes.io/master", "", "NoSchedule"),
            taint("node.kubernetes.io/memory-pressure", "", "NoExecute")
        ])) => (true, true);
    toleration_empty_key_exists_no_schedule_tolerates_any_no_schedule:
        tolerating(json!([{ "operator": "Exists", "effect": "NoSchedule" }])),
        tainted(json!([taint("x", "1", "NoSchedule"), taint("y", "", "NoSchedule")])) => (true, true);
    toleration_empty_key_exists_no_schedule_does_not_tolerate_no_execute:
        tolerating(json!([{ "operator": "Exists", "effect": "NoSchedule" }])),
        tainted(json!([taint("x", "1", "NoExecute")])) => (false, false), rule = Taint;
    toleration_effect_mismatch_on_same_key:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists", "effect": "NoSchedule" }])),
        tainted(json!([taint("dedicated", "infra", "NoExecute")]))
        => (false, false), rule = Taint, msg = "has effect NoSchedule";
    toleration_empty_operator_means_equal:
        tolerating(json!([{ "key": "dedicated", "value": "infra", "effect": "NoSchedule" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")])) => (true, true);
    toleration_key_without_value_tolerates_valueless_taint:
        tolerating(json!([{ "key": "dedicated" }])),
        tainted(json!([taint("dedicated", "", "NoSchedule")])) => (true, true);
    toleration_key_without_value_does_not_tolerate_valued_taint:
        tolerating(json!([{ "key": "dedicated" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "has value";
    toleration_equal_with_different_value_fails:
        tolerating(json!([{ "key": "dedicated", "operator": "Equal", "value": "gpu", "effect": "NoSchedule" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "has value";
    toleration_equal_value_is_case_sensitive:
        tolerating(json!([{ "key": "dedicated", "operator": "Equal", "value": "Infra" }])),
        tainted(json!([taint("dedicated", "infra", "NoExecute")])) => (false, false), rule = Taint;
    toleration_key_is_case_sensitive:
        tolerating(json!([{ "key": "Dedicated", "operator": "Exists" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")])) => (false, true), rule = Taint;
    toleration_exists_ignores_the_value:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists", "effect": "NoSchedule" }])),
        tainted(json!([taint("dedicated", "anything", "NoSchedule")])) => (true, true);
    toleration_seconds_zero_still_tolerates:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 0 }])),
        tainted(json!([taint("dedicated", "", "NoExecute")])) => (true, true);
    toleration_seconds_ignored_for_not_ready:
        tolerating(json!([{ "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300 }])),
        tainted(json!([taint("node.kubernetes.io/not-ready", "", "NoExecute")])) => (true, true);
    toleration_unknown_operator_tolerates_nothing:
        tolerating(json!([{ "key": "dedicated", "operator": "Matches", "value": "infra" }])),
        tainted(json!([taint("dedicated", "infra", "NoSchedule")])) => (false, true), rule = Taint;
    toleration_empty_key_equal_tolerates_every_valueless_taint:
        tolerating(json!([{ "operator": "Equal" }])),
        tainted(json!([taint("a", "", "NoExecute"), taint("b", "", "NoSchedule")])) => (true, true);
    toleration_empty_key_equal_does_not_tolerate_valued_taint:
        tolerating(json!([{ "operator": "Equal" }])),
        tainted(json!([taint("a", "", "NoExecute"), taint("b", "x", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "b=x:NoSchedule";
    tolerations_are_ored:
        tolerating(json!([
            { "key": "a", "operator": "Equal", "value": "1" },
            { "key": "a", "operator": "Equal", "value": "2" }
        ])),
        tainted(json!([taint("a", "2", "NoExecute")])) => (true, true);
    every_taint_must_be_tolerated:
        tolerating(json!([{ "key": "a", "operator": "Exists" }])),
        tainted(json!([taint("a", "", "NoExecute"), taint("b", "", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "b:NoSchedule";
}

// ---------------------------------------------------------------------------------------------
// Default tolerations:
// pkg/controller/daemon/util/daemonset_util.go: AddOrUpdateDaemonPodTolerations.

cases! {
    default_not_ready_no_execute_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/not-ready", "", "NoExecute")])) => (true, true);
    default_not_ready_no_schedule_not_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/not-ready", "", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "not ready";
    default_unreachable_no_execute_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/unreachable", "", "NoExecute")])) => (true, true);
    default_unreachable_no_schedule_not_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/unreachable", "", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "unreachable";
    default_unschedulable_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/unschedulable", "", "NoSchedule")])) => (true, true);
    default_unschedulable_no_execute_not_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/unschedulable", "", "NoExecute")]))
        => (false, false), rule = Taint;
    default_memory_pressure_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/memory-pressure", "", "NoSchedule")])) => (true, true);
    default_disk_pressure_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/disk-pressure", "", "NoSchedule")])) => (true, true);
    default_pid_pressure_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/pid-pressure", "", "NoSchedule")])) => (true, true);
    default_memory_pressure_no_execute_not_tolerated:
        any(), tainted(json!([taint("node.kubernetes.io/memory-pressure", "", "NoExecute")]))
        => (false, false), rule = Taint, msg = "memory pressure";
    default_network_unavailable_not_tolerated_without_host_network:
        any(), tainted(json!([taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "network";
    default_network_unavailable_not_tolerated_with_host_network_false:
        json!({ "hostNetwork": false }),
        tainted(json!([taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")]))
        => (false, true), rule = Taint;
    default_network_unavailable_tolerated_with_host_network:
        json!({ "hostNetwork": true }),
        tainted(json!([taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")])) => (true, true);
    default_network_unavailable_no_execute_not_tolerated_with_host_network:
        json!({ "hostNetwork": true }),
        tainted(json!([taint("node.kubernetes.io/network-unavailable", "", "NoExecute")]))
        => (false, false), rule = Taint;
    default_tolerations_merge_with_template_tolerations:
        tolerating(json!([{ "key": "dedicated", "operator": "Exists" }])),
        tainted(json!([
            taint("dedicated", "x", "NoSchedule"),
            taint("node.kubernetes.io/unschedulable", "", "NoSchedule"),
            taint("node.kubernetes.io/not-ready", "", "NoExecute")
        ])) => (true, true);
    cordoned_flag_without_taint_is_eligible:
        any(), node_from(json!({
            "metadata": { "name": "n1" },
            "spec": { "unschedulable": true }
        })) => (true, true);
    cordoned_flag_with_taint_is_eligible:
        any(), node_from(json!({
            "metadata": { "name": "n1" },
            "spec": {
                "unschedulable": true,
                "taints": [{ "key": "node.kubernetes.io/unschedulable", "effect": "NoSchedule", "timeAdded": "2024-05-01T10:00:00Z" }]
            }
        })) => (true, true);
    node_conditions_are_not_looked_at:
        any(), node_from(json!({
            "metadata": { "name": "n1" },
            "status": { "conditions": [
                { "type": "Ready", "status": "False", "reason": "KubeletNotReady" },
                { "type": "MemoryPressure", "status": "True" },
                { "type": "NetworkUnavailable", "status": "True" }
            ] }
        })) => (true, true);
    node_ready_unknown_without_taints_is_eligible:
        any(), node_from(json!({
            "metadata": { "name": "n1" },
            "status": { "conditions": [{ "type": "Ready", "status": "Unknown" }] }
        })) => (true, true);
}

// ---------------------------------------------------------------------------------------------
// Lt/Gt tolerations: staging/src/k8s.io/api/core/v1/toleration.go: Toleration.ToleratesTaint
// (compareNumericValues), behind the feature gate TaintTolerationComparisonOperators.

fn gt(value: &str) -> Value {
    tolerating(json!([{ "key": "sla", "operator": "Gt", "value": value, "effect": "NoSchedule" }]))
}

fn lt(value: &str) -> Value {
    tolerating(json!([{ "key": "sla", "operator": "Lt", "value": value, "effect": "NoSchedule" }]))
}

fn sla(value: &str) -> Node {
    tainted(json!([taint("sla", value, "NoSchedule")]))
}

cases! {
    comparison_gt_with_gate_off_tolerates_nothing:
        gt("900"), sla("950") => (false, true), rule = Taint;
    comparison_lt_with_gate_off_tolerates_nothing:
        lt("900"), sla("100") => (false, true), rule = Taint;
    comparison_gt_taint_greater:
        gt("900"), sla("950") => (true, true), gate = true;
    comparison_gt_is_strict:
        gt("950"), sla("950") => (false, true), rule = Taint, gate = true;
    comparison_gt_taint_smaller:
        gt("950"), sla("900") => (false, true), rule = Taint, gate = true;
    comparison_gt_numeric_not_lexical:
        gt("9"), sla("10") => (true, true), gate = true;
    comparison_lt_taint_smaller:
        lt("950"), sla("900") => (true, true), gate = true;
    comparison_lt_is_strict:
        lt("900"), sla("900") => (false, true), rule = Taint, gate = true;
    comparison_leading_zero_toleration_value_invalid:
        gt("0950"), sla("1000") => (false, true), rule = Taint, gate = true;
    comparison_leading_zero_taint_value_invalid:
        lt("1000"), sla("0950") => (false, true), rule = Taint, gate = true;
    comparison_zero_is_canonical:
        lt("1"), sla("0") => (true, true), gate = true;
    comparison_plus_sign_invalid:
        gt("+5"), sla("10") => (false, true), rule = Taint, gate = true;
    comparison_negative_toleration_value:
        gt("-5"), sla("3") => (true, true), gate = true;
    comparison_minus_zero_invalid:
        lt("5"), sla("-0") => (false, true), rule = Taint, gate = true;
    comparison_non_integer_taint_value:
        gt("1"), sla("gold") => (false, true), rule = Taint, gate = true;
    comparison_overflowing_value_invalid:
        gt("1"), sla("9223372036854775808") => (false, true), rule = Taint, gate = true;
    comparison_effect_still_checked:
        gt("1"), tainted(json!([taint("sla", "5", "NoExecute")])) => (false, false), rule = Taint, gate = true;
    comparison_gate_does_not_change_equal:
        tolerating(json!([{ "key": "sla", "value": "5" }])), sla("5") => (true, true), gate = true;
}

// ---------------------------------------------------------------------------------------------
// Node states and the taints the control plane writes
// (pkg/controller/nodelifecycle/node_lifecycle_controller.go: nodeConditionToTaintKeyStatusMap,
// doNoScheduleTaintingPass, NotReadyTaintTemplate, UnreachableTaintTemplate).

fn conditioned(name: &str, ready: &str, taints: Value) -> Node {
    node_from(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": { "name": name, "labels": { "kubernetes.io/hostname": name } },
        "spec": { "taints": taints },
        "status": { "conditions": [{ "type": "Ready", "status": ready }] }
    }))
}

cases! {
    state_not_ready_both_taints:
        any(), conditioned("n1", "False", json!([
            taint("node.kubernetes.io/not-ready", "", "NoSchedule"),
            { "key": "node.kubernetes.io/not-ready", "effect": "NoExecute", "timeAdded": "2024-05-01T10:05:00Z" }
        ])) => (false, true), rule = Taint, msg = "node.kubernetes.io/not-ready:NoSchedule";
    state_unreachable_both_taints:
        any(), conditioned("n1", "Unknown", json!([
            taint("node.kubernetes.io/unreachable", "", "NoSchedule"),
            { "key": "node.kubernetes.io/unreachable", "effect": "NoExecute", "timeAdded": "2024-05-01T10:05:00Z" }
        ])) => (false, true), rule = Taint;
    state_freshly_registered_not_ready_no_schedule:
        any(), conditioned("n1", "False", json!([taint("node.kubernetes.io/not-ready", "", "NoSchedule")]))
        => (false, true), rule = Taint;
    state_only_not_ready_no_execute:
        any(), conditioned("n1", "False", json!([taint("node.kubernetes.io/not-ready", "", "NoExecute")]))
        => (true, true);
    state_pressure_taints:
        any(), conditioned("n1", "True", json!([
            taint("node.kubernetes.io/memory-pressure", "", "NoSchedule"),
            taint("node.kubernetes.io/disk-pressure", "", "NoSchedule"),
            taint("node.kubernetes.io/pid-pressure", "", "NoSchedule")
        ])) => (true, true);
    state_network_unavailable:
        any(), conditioned("n1", "False", json!([taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")]))
        => (false, true), rule = Taint;
    state_network_unavailable_host_network:
        json!({ "hostNetwork": true }),
        conditioned("n1", "False", json!([taint("node.kubernetes.io/network-unavailable", "", "NoSchedule")]))
        => (true, true);
    state_cordoned:
        any(), node_from(json!({
            "metadata": { "name": "n1" },
            "spec": { "unschedulable": true, "taints": [taint("node.kubernetes.io/unschedulable", "", "NoSchedule")] },
            "status": { "conditions": [{ "type": "Ready", "status": "True" }] }
        })) => (true, true);
    state_cloud_uninitialized:
        any(), conditioned("n1", "True", json!([taint("node.cloudprovider.kubernetes.io/uninitialized", "true", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "cloud provider";
    state_out_of_service:
        any(), conditioned("n1", "False", json!([taint("node.kubernetes.io/out-of-service", "nodeshutdown", "NoExecute")]))
        => (false, false), rule = Taint, msg = "out of service";
    state_not_ready_tolerated_by_cni_style_exists:
        tolerating(json!([{ "operator": "Exists" }])),
        conditioned("n1", "Unknown", json!([
            taint("node.kubernetes.io/unreachable", "", "NoSchedule"),
            taint("node.kubernetes.io/unreachable", "", "NoExecute")
        ])) => (true, true);
    state_master_taint:
        any(), conditioned("n1", "True", json!([taint("node-role.kubernetes.io/master", "", "NoSchedule")]))
        => (false, true), rule = Taint;
    state_autoscaler_scale_down:
        any(), conditioned("n1", "True", json!([taint("ToBeDeletedByClusterAutoscaler", "1717171717", "NoSchedule")]))
        => (false, true), rule = Taint, msg = "autoscaler";
}

// ---------------------------------------------------------------------------------------------
// Cross-checks that don't fit a single row.

/// pkg/controller/daemon/daemon_controller.go: NewPod builds the pod for each node from the
/// template alone: a placement compiled once gives each node its own answer.
#[test]
fn one_placement_many_nodes() {
    let d = ds(and(
        json!({ "nodeSelector": { "role": "edge" } }),
        expr("zone", "NotIn", &["c"]),
    ));
    let p = Placement::compile(&d, false);
    let rows = [
        (
            node("a", json!({ "role": "edge", "zone": "a" }), json!([])),
            (true, true),
        ),
        (
            node("b", json!({ "role": "edge" }), json!([])),
            (true, true),
        ),
        (
            node("c", json!({ "role": "edge", "zone": "c" }), json!([])),
            (false, false),
        ),
        (node("d", json!({ "zone": "a" }), json!([])), (false, false)),
        (
            node(
                "e",
                json!({ "role": "edge" }),
                json!([taint("x", "", "NoSchedule")]),
            ),
            (false, true),
        ),
    ];
    for (n, want) in rows {
        let v = p.evaluate(&n);
        assert_eq!(
            (v.should_run, v.should_continue_running),
            want,
            "node {}",
            n.name()
        );
    }
}

/// pkg/controller/daemon/util/daemonset_util.go: AddOrUpdateDaemonPodTolerations: the defaults
/// are appended after the template's own tolerations, network-unavailable only for hostNetwork.
#[test]
fn default_tolerations_are_appended_after_the_template_ones() {
    let plain_ds = ds(tolerating(
        json!([{ "key": "dedicated", "operator": "Exists" }]),
    ));
    let p = Placement::compile(&plain_ds, false);
    assert_eq!(p.template_tolerations, 1);
    assert_eq!(p.tolerations.len(), 1 + 6);
    assert!(!p.is_default_toleration(0));
    assert!(p.is_default_toleration(1));
    assert!(
        p.tolerations
            .iter()
            .all(|t| t.key != "node.kubernetes.io/network-unavailable")
    );
    let host = Placement::compile(&ds(json!({ "hostNetwork": true })), false);
    assert_eq!(host.tolerations.len(), 7);
    assert!(
        host.tolerations
            .iter()
            .any(|t| t.key == "node.kubernetes.io/network-unavailable" && t.effect == "NoSchedule")
    );
    for t in &host.tolerations {
        assert_eq!(t.operator, "Exists", "{t:?}");
        assert_eq!(t.toleration_seconds, None, "{t:?}");
    }
}

/// staging/src/k8s.io/component-helpers/scheduling/corev1/nodeaffinity/nodeaffinity.go:
/// LazyErrorNodeSelector.Match (lazy errors), with every term invalid: the verdict names each bad
/// term.
#[test]
fn every_term_invalid_is_false_false_and_names_each_term() {
    let d = ds(terms(
        json!([bad_term(), { "matchExpressions": [{ "key": "a b", "operator": "Exists" }] }]),
    ));
    let v = check(
        "every_term_invalid",
        &d,
        &labelled(json!({ "zone": "a" })),
        false,
        Expect {
            want: (false, false),
            rule: Some(Rule::NodeAffinity),
            msg: Some("term 2: invalid"),
        },
    );
    assert!(
        v.reasons[0].message.contains("term 1: invalid"),
        "{:?}",
        v.reasons
    );
}

/// Verdicts on the same objects decoded from kubectl YAML and from JSON agree.
#[test]
fn yaml_and_json_decode_to_the_same_verdict() {
    let yaml = r#"
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: Node
  metadata:
    name: worker-1
    labels: { kubernetes.io/os: linux, gpu: "" }
  spec:
    taints:
    - { key: node.kubernetes.io/not-ready, effect: NoSchedule }
- apiVersion: apps/v1
  kind: DaemonSet
  metadata: { name: gpu-agent, namespace: ops, uid: u1 }
  spec:
    selector: { matchLabels: { app: gpu-agent } }
    template:
      metadata: { labels: { app: gpu-agent } }
      spec:
        nodeSelector: { gpu: "" }
        tolerations:
        - { key: node.kubernetes.io/not-ready, operator: Exists, effect: NoSchedule }
        containers: [{ name: agent, image: agent:1 }]
"#;
    let mut snap =
        ds_coverage::snapshot::Snapshot::new(ds_coverage::report::Source::File { paths: vec![] });
    ds_coverage::source::file::load_text("inline.yaml", yaml, &mut snap).expect("YAML loads");
    assert_eq!((snap.nodes.len(), snap.daemon_sets.len()), (1, 1));
    let v = Placement::compile(&snap.daemon_sets[0], false).evaluate(&snap.nodes[0]);
    assert_eq!(
        (v.should_run, v.should_continue_running),
        (true, true),
        "{:?}",
        v.reasons
    );
    let json_ds = ds(json!({
        "nodeSelector": { "gpu": "" },
        "tolerations": [{ "key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoSchedule" }]
    }));
    let w = Placement::compile(&json_ds, false).evaluate(&snap.nodes[0]);
    assert_eq!((w.should_run, w.should_continue_running), (true, true));
}

/// The audit evaluates a placement once per class of alike nodes (`NodeClasses`) where the
/// placement reads no node name and no per-node label: every node of a class must then get the
/// verdict the class's first node gets, reasons and all. Nodes differ here by hostname (per
/// node), zone, a GPU label, taints and a taint's timeAdded; the placements read each of them
/// but the last.
#[test]
fn alike_nodes_share_a_verdict_only_where_each_of_them_would_get_it() {
    use ds_coverage::eligibility::NodeClasses;
    let nodes: Vec<Node> = (0..240)
        .map(|i| {
            let mut labels = json!({
                "kubernetes.io/hostname": format!("node-{i:03}"),
                "kubernetes.io/os": "linux",
                "topology.kubernetes.io/zone": (["a", "b", "c"][i % 3]),
            });
            if i % 5 == 0 {
                labels["nvidia.com/gpu.present"] = json!("true");
            }
            let taints = match i % 7 {
                0 => json!([taint("dedicated", "gpu", "NoSchedule")]),
                1 => json!([{ "key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                              "timeAdded": "2026-11-30T10:00:00Z" }]),
                2 => json!([{ "key": "node.kubernetes.io/unreachable", "effect": "NoExecute",
                              "timeAdded": "2026-11-30T11:00:00Z" }]),
                _ => json!([]),
            };
            node(&format!("node-{i:03}"), labels, taints)
        })
        .collect();
    let refs: Vec<&Node> = nodes.iter().collect();
    let classes = NodeClasses::new(&refs);
    // 3 zones × GPU or not × 3 taint sets (a taint's timeAdded is not read, the verdict
    // does not tell those nodes apart); the hostname is left out.
    assert!(
        (12..=18).contains(&classes.count()),
        "{} classes",
        classes.count()
    );
    let placements = [
        (any(), true),
        (
            json!({ "nodeSelector": { "kubernetes.io/os": "linux" } }),
            true,
        ),
        (
            json!({ "nodeSelector": { "nvidia.com/gpu.present": "true" } }),
            true,
        ),
        (expr("topology.kubernetes.io/zone", "In", &["a", "b"]), true),
        (
            tolerating(json!([{ "key": "dedicated", "operator": "Exists" }])),
            true,
        ),
        (
            json!({ "nodeSelector": { "kubernetes.io/hostname": "node-007" } }),
            false,
        ),
        (
            expr("kubernetes.io/hostname", "NotIn", &["node-001", "node-002"]),
            false,
        ),
        (field("metadata.name", "In", &["node-003"]), false),
        (json!({ "nodeName": "node-004" }), false),
    ];
    for (spec, shared) in placements {
        let p = Placement::compile(&ds(spec.clone()), false);
        assert_eq!(classes.shared_by(&p), shared, "{spec}");
        let mut first: Vec<Option<Verdict>> = vec![None; classes.count()];
        let mut differ = 0;
        for (i, n) in refs.iter().enumerate() {
            let own = p.evaluate(n);
            let class = first[classes.of(i)].get_or_insert_with(|| own.clone());
            if *class != own {
                differ += 1;
                assert!(!shared, "{spec}: node {} differs from its class", n.name());
            }
        }
        // A placement reading the name or the hostname does tell nodes of a class apart.
        assert_eq!(differ > 0, !shared, "{spec}");
    }
}
