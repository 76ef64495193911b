//! `--static-pods`: static-pod families beside the DaemonSets. A static pod is a manifest in a
//! kubelet's manifest folder; the API shows it as a mirror pod
//! (`pkg/kubelet/types/pod_update.go: IsMirrorPod`) named `<manifest name>-<node name>`
//! (`pkg/kubelet/config/common.go: generatePodName`). No controller places it, so a node that
//! lacks one is judged against an expectation: `--expect-static NAME=SELECTOR`, else the roles
//! (`node-role.kubernetes.io/*` labels) of the nodes that run the family.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::eligibility::labels::Selector;
use crate::model::{Node, Pod};
use crate::reason::{Reason, Rule};
use crate::report::{
    Claim, Counts, PairReport, PodReport, State, StaticExpectation, StaticPodReport,
};

use super::reasons::mirror_pod_state;

/// The prefix of the role labels kubeadm and most distributions put on nodes.
pub const ROLE_PREFIX: &str = "node-role.kubernetes.io/";

/// `--expect-static NAME=SELECTOR`: every node matching `selector` runs `name`.
#[derive(Debug, Clone)]
pub struct ExpectStatic {
    /// `NAMESPACE/NAME` names a namespace; `NAME` alone matches the family in any namespace
    /// (kube-system when no mirror pod of it exists at all).
    pub namespace: Option<String>,
    pub name: String,
    pub selector: Selector,
    /// The selector as given (for the report).
    pub text: String,
}

/// What `--static-pods` asks for.
#[derive(Debug, Clone, Default)]
pub struct StaticOptions {
    pub expectations: Vec<ExpectStatic>,
}

/// The manifest name of a mirror pod: its name minus `-<node name>`; the whole name when it does
/// not end so (a kubelet with `--hostname-override` unlike the node name).
pub fn manifest_name<'a>(pod: &'a str, node: &str) -> &'a str {
    pod.strip_suffix(node)
        .and_then(|rest| rest.strip_suffix('-'))
        .filter(|m| !m.is_empty())
        .unwrap_or(pod)
}

/// The role keys (`node-role.kubernetes.io/<role>`) of a node.
fn roles(n: &Node) -> BTreeSet<&str> {
    n.metadata
        .labels
        .keys()
        .filter(|k| k.starts_with(ROLE_PREFIX))
        .map(String::as_str)
        .collect()
}

/// Whether a node is expected to run a family.
type Expected = Box<dyn Fn(&Node) -> bool>;

/// The families, sorted by namespace and name. `nodes` are the audited nodes (sorted by name),
/// `all_nodes` every node read (for the inference and for mirror pods of nodes left out).
pub(super) fn audit(
    pods: &[Pod],
    nodes: &[&Node],
    all_nodes: &[Node],
    opts: &StaticOptions,
) -> Vec<StaticPodReport> {
    let by_name: HashMap<&str, &Node> = all_nodes.iter().map(|n| (n.name(), n)).collect();
    // (namespace, manifest) → node name → mirror pods (more than one only while one is replaced).
    let mut families: BTreeMap<(&str, &str), BTreeMap<&str, Vec<&Pod>>> = BTreeMap::new();
    for p in pods.iter().filter(|p| p.is_mirror()) {
        let node = p.spec.node_name.as_str();
        if node.is_empty() {
            continue;
        }
        families
            .entry((p.metadata.namespace.as_str(), manifest_name(p.name(), node)))
            .or_default()
            .entry(node)
            .or_default()
            .push(p);
    }
    // Expectations naming no family that exists still report one (every node Missing).
    let mut wanted: Vec<(String, String)> = Vec::new();
    for e in &opts.expectations {
        let exists = families
            .keys()
            .any(|(ns, n)| *n == e.name && e.namespace.as_deref().is_none_or(|x| x == *ns));
        if !exists {
            let ns = e.namespace.clone().unwrap_or_else(|| "kube-system".into());
            if !wanted.contains(&(ns.clone(), e.name.clone())) {
                wanted.push((ns, e.name.clone()));
            }
        }
    }
    for (ns, name) in &wanted {
        families.entry((ns.as_str(), name.as_str())).or_default();
    }

    let mut out = Vec::with_capacity(families.len());
    for ((namespace, name), running) in families {
        let mut warnings = Vec::new();
        let explicit: Vec<&ExpectStatic> = opts
            .expectations
            .iter()
            .filter(|e| e.name == name && e.namespace.as_deref().is_none_or(|x| x == namespace))
            .collect();
        let (expectation, expected): (StaticExpectation, Expected) = if explicit.is_empty() {
            let runners: Vec<&Node> = running
                .keys()
                .filter_map(|n| by_name.get(n).copied())
                .collect();
            let keys: BTreeSet<&str> = runners.iter().flat_map(|n| roles(n)).collect();
            let roleless = runners.iter().any(|n| roles(n).is_empty());
            let mut words: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
            if roleless {
                words.push(format!("nodes without a {ROLE_PREFIX}* label"));
            }
            let keys: BTreeSet<String> = keys.into_iter().map(str::to_string).collect();
            (
                StaticExpectation {
                    nodes: if words.is_empty() {
                        "no node (no node that runs it is in the input)".into()
                    } else {
                        words.join(" or ")
                    },
                    inferred: true,
                },
                Box::new(move |n: &Node| {
                    let r = roles(n);
                    r.iter().any(|k| keys.contains(*k)) || (roleless && r.is_empty())
                }),
            )
        } else {
            let text: Vec<String> = explicit.iter().map(|e| e.text.clone()).collect();
            let sels: Vec<Selector> = explicit.iter().map(|e| e.selector.clone()).collect();
            (
                StaticExpectation {
                    nodes: text.join(" or "),
                    inferred: false,
                },
                Box::new(move |n: &Node| sels.iter().any(|s| s.matches(&n.metadata.labels))),
            )
        };
        let mut counts = Counts::default();
        let mut pairs = Vec::new();
        for node in nodes {
            let want = expected(node);
            let here = running.get(node.name());
            let pair = match here {
                None if !want => continue,
                None => {
                    let reasons = vec![Reason::new(
                        Rule::NoPod,
                        format!(
                            "no mirror pod of {name} on this node: its kubelet's manifest folder \
                             has no {name} manifest, or the kubelet cannot run it or report it"
                        ),
                    )];
                    pair(node.name(), State::Missing, true, reasons, Vec::new())
                }
                Some(pods) => {
                    // The newest speaks for the node (an older one is being replaced).
                    let mut pods = pods.clone();
                    pods.sort_by_key(|p| std::cmp::Reverse(p.metadata.creation_timestamp));
                    let (state, mut reasons) = mirror_pod_state(pods[0], node);
                    if !want {
                        reasons.push(Reason::new(
                            Rule::Node,
                            if expectation.inferred {
                                "runs here although this node's roles differ from the others'"
                                    .to_string()
                            } else {
                                format!(
                                    "runs here although the node does not match {}",
                                    expectation.nodes
                                )
                            },
                        ));
                    }
                    let reports = pods
                        .iter()
                        .map(|p| super::pod_report(p, Claim::Mirror, false, None))
                        .collect();
                    pair(node.name(), state, want, reasons, reports)
                }
            };
            counts.add(pair.state, false);
            pairs.push(pair);
        }
        for node in running.keys() {
            if !by_name.contains_key(node) {
                warnings.push(format!(
                    "a mirror pod of {name} names node {node}, which is not in the input"
                ));
            }
        }
        counts.finish();
        let mut family = StaticPodReport {
            namespace: namespace.to_string(),
            name: name.to_string(),
            expectation,
            counts,
            nodes: pairs,
            warnings,
        };
        if !nodes.is_empty() && family.expected_nowhere() {
            family.warnings.push(format!(
                "no node matches the expectation {}: is the selector right?",
                family.expectation.nodes
            ));
        }
        out.push(family);
    }
    out
}

fn pair(
    node: &str,
    state: State,
    expected: bool,
    reasons: Vec<Reason>,
    pods: Vec<PodReport>,
) -> PairReport {
    PairReport {
        node: node.to_string(),
        state,
        eligible: expected,
        removed_by_controller: None,
        outdated: false,
        duplicates: 0,
        terminating: pods.first().is_some_and(|p: &PodReport| p.terminating),
        reasons,
        pods,
        unscheduled: None,
        surge_creates: false,
    }
}

#[cfg(test)]
mod tests {
    use super::manifest_name;

    #[test]
    fn manifest_names_are_the_pod_name_minus_the_node() {
        assert_eq!(manifest_name("etcd-cp-1", "cp-1"), "etcd");
        assert_eq!(
            manifest_name(
                "kube-apiserver-ip-10-0-9-206.ec2.internal",
                "ip-10-0-9-206.ec2.internal"
            ),
            "kube-apiserver"
        );
        assert_eq!(manifest_name("etcd-other", "cp-1"), "etcd-other");
        assert_eq!(manifest_name("cp-1", "cp-1"), "cp-1");
    }
}
