//! Tolerations against taints (`Toleration.ToleratesTaint`, `FindMatchingUntoleratedTaint`) and
//! the tolerations the DaemonSet controller adds to every daemon pod
//! (`pkg/controller/daemon/util/daemonset_util.go: AddOrUpdateDaemonPodTolerations`).

use crate::model::{Taint, Toleration};

pub const NO_SCHEDULE: &str = "NoSchedule";
pub const NO_EXECUTE: &str = "NoExecute";

/// `util.AddOrUpdateDaemonPodTolerations`: (key, effect) of the defaults, all `Exists`.
pub fn default_tolerations(host_network: bool) -> Vec<Toleration> {
    let mut out: Vec<Toleration> = [
        ("node.kubernetes.io/not-ready", NO_EXECUTE),
        ("node.kubernetes.io/unreachable", NO_EXECUTE),
        ("node.kubernetes.io/disk-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/memory-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/pid-pressure", NO_SCHEDULE),
        ("node.kubernetes.io/unschedulable", NO_SCHEDULE),
    ]
    .into_iter()
    .map(|(k, e)| exists(k, e))
    .collect();
    if host_network {
        out.push(exists(
            "node.kubernetes.io/network-unavailable",
            NO_SCHEDULE,
        ));
    }
    out
}

fn exists(key: &str, effect: &str) -> Toleration {
    Toleration {
        key: key.into(),
        operator: "Exists".into(),
        effect: effect.into(),
        ..Toleration::default()
    }
}

/// `Toleration.ToleratesTaint`. `comparison_operators` is the `TaintTolerationComparisonOperators`
/// feature gate (alpha in 1.35, off by default).
pub fn tolerates(t: &Toleration, taint: &Taint, comparison_operators: bool) -> bool {
    if !t.effect.is_empty() && t.effect != taint.effect {
        return false;
    }
    if !t.key.is_empty() && t.key != taint.key {
        return false;
    }
    match t.operator.as_str() {
        "" | "Equal" => t.value == taint.value,
        "Exists" => true,
        "Lt" | "Gt" if comparison_operators => {
            match (decimal_integer(&taint.value), decimal_integer(&t.value)) {
                (Some(have), Some(bound)) if t.operator == "Lt" => have < bound,
                (Some(have), Some(bound)) => have > bound,
                _ => false,
            }
        }
        _ => false,
    }
}

/// `content.IsDecimalInteger` plus an int64 fit: `0`, or an optional `-`, a digit 1-9, digits.
fn decimal_integer(s: &str) -> Option<i64> {
    let digits = s.strip_prefix('-').unwrap_or(s);
    let canonical = s == "0"
        || (!digits.is_empty()
            && digits.as_bytes()[0] != b'0'
            && digits.bytes().all(|b| b.is_ascii_digit()));
    if canonical { s.parse().ok() } else { None }
}

/// Why a toleration that names the taint's key still does not tolerate it, if one does name it:
/// the classic `Equal` with the wrong value, or the wrong effect.
pub fn near_miss(tolerations: &[Toleration], taint: &Taint) -> Option<String> {
    let t = tolerations.iter().find(|t| t.key == taint.key)?;
    let op = if t.operator.is_empty() {
        "Equal"
    } else {
        t.operator.as_str()
    };
    if !t.effect.is_empty() && t.effect != taint.effect {
        return Some(format!(
            "the toleration for {} has effect {}, the taint has {}",
            t.key, t.effect, taint.effect
        ));
    }
    if op == "Equal" && t.value != taint.value {
        return Some(format!(
            "the toleration for {} (operator Equal) has value {:?}, the taint has {:?}",
            t.key, t.value, taint.value
        ));
    }
    if !matches!(op, "Equal" | "Exists") {
        return Some(format!("the toleration for {} uses operator {op}", t.key));
    }
    None
}

/// Plain words for the taints the control plane itself writes
/// (`k8s.io/api/core/v1/well_known_taints.go`).
pub fn well_known(taint: &Taint) -> Option<&'static str> {
    Some(match taint.key.as_str() {
        "node.kubernetes.io/not-ready" => "the node is not ready",
        "node.kubernetes.io/unreachable" => {
            "the node is unreachable (its kubelet stopped reporting)"
        }
        "node.kubernetes.io/network-unavailable" => {
            "the node's network is not ready (only hostNetwork DaemonSets tolerate this by default)"
        }
        "node.cloudprovider.kubernetes.io/uninitialized" => {
            "the cloud provider has not initialised the node yet"
        }
        "node.kubernetes.io/out-of-service" => "the node is out of service (shut down)",
        "node.kubernetes.io/unschedulable" => "the node is cordoned",
        "node.kubernetes.io/memory-pressure" => "the node is under memory pressure",
        "node.kubernetes.io/disk-pressure" => "the node is under disk pressure",
        "node.kubernetes.io/pid-pressure" => "the node is under PID pressure",
        "ToBeDeletedByClusterAutoscaler" => "the cluster autoscaler is removing the node",
        "karpenter.sh/disrupted" | "karpenter.sh/disruption" => "Karpenter is removing the node",
        _ => return None,
    })
}
