//! `explain --static-pods NAME NODE`: one static-pod family on one node. No rule of the API
//! places a static pod (the kubelet runs every manifest in its manifest folder,
//! `pkg/kubelet/config/file.go`), so there is no rule to check: the explanation gives the mirror
//! pod's status, the node's conditions, and the expectation the state is judged against.

use jiff::Timestamp;
use serde::Serialize;

use crate::coverage::Options;
use crate::error::Error;
use crate::reason::Reason;
use crate::report::{PodReport, State, StaticExpectation};
use crate::snapshot::Snapshot;

pub const KIND: &str = "StaticPodNodeExplanation";

/// What can be said about a static-pod family on one node.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "StaticPodNodeExplanation")]
pub struct StaticExplanation {
    /// The version of this JSON, shared with `DaemonSetNodeExplanation` (`schema explain`).
    pub schema_version: u32,
    pub kind: String,
    pub generated_at: Timestamp,
    /// `namespace/name` (the manifest name).
    pub static_pod: String,
    pub node: String,
    /// The pair's state, as the report has it (`Ineligible`: neither run nor expected here).
    pub state: State,
    /// The node is expected to run the family.
    pub expected: bool,
    pub expectation: StaticExpectation,
    /// Where placement comes from: the node's manifest folder, not a rule.
    pub placement: String,
    pub reasons: Vec<Reason>,
    /// The node's mirror pod(s) of the family.
    pub pods: Vec<PodReport>,
    /// The node's conditions as it reports them.
    pub node_conditions: Vec<NodeCondition>,
    /// What to look at or change.
    pub next_steps: Vec<String>,
}

#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct NodeCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    pub reason: String,
    pub message: String,
}

/// Explain static-pod family `name` (in `namespace` if it has one there, else in the only
/// namespace that has it) on `node`. `opts.static_pods` must be set.
pub fn explain_static(
    snap: &Snapshot,
    namespace: Option<&str>,
    name: &str,
    node_name: &str,
    opts: &Options,
) -> Result<StaticExplanation, Error> {
    let node = snap
        .nodes
        .iter()
        .find(|n| n.name() == node_name)
        .ok_or_else(|| Error::NotFound(format!("node {node_name:?} not found")))?;
    let mut scoped = opts.clone();
    scoped.static_pods.get_or_insert_with(Default::default);
    scoped.node_selector = None;
    let report =
        crate::coverage::compute(snap, &scoped).map_err(|e| Error::NotFound(e.to_string()))?;
    let families = report.static_pods.unwrap_or_default();
    let named: Vec<_> = families.iter().filter(|f| f.name == name).collect();
    let family = match namespace.and_then(|ns| named.iter().find(|f| f.namespace == ns)) {
        Some(f) => *f,
        None => match named.as_slice() {
            [one] => *one,
            [] => {
                return Err(Error::NotFound(format!(
                    "static pod {name:?} not found: no mirror pod named {name}-<node> in the \
                     input, and no --expect-static {name}=SELECTOR"
                )));
            }
            more => {
                let ns: Vec<&str> = more.iter().map(|f| f.namespace.as_str()).collect();
                return Err(Error::NotFound(format!(
                    "static pod {name:?} is in several namespaces ({}): name it NAMESPACE/{name}",
                    ns.join(", ")
                )));
            }
        },
    };
    let pair = family.nodes.iter().find(|p| p.node == node_name);
    let (state, expected, reasons, pods) = match pair {
        Some(p) => (p.state, p.eligible, p.reasons.clone(), p.pods.clone()),
        None => (
            State::Ineligible,
            false,
            vec![Reason::new(
                crate::reason::Rule::Node,
                format!(
                    "no mirror pod of {name} here, and none is expected: the node is not among {}",
                    family.expectation.nodes
                ),
            )],
            Vec::new(),
        ),
    };
    let manifest = format!("{name}.yaml");
    let mut next_steps = Vec::new();
    match state {
        State::Missing => {
            next_steps.push(format!(
                "on {node_name}, look for {manifest} in the kubelet's staticPodPath \
                 (/etc/kubernetes/manifests on kubeadm nodes); put it back to have the kubelet \
                 start it"
            ));
            next_steps.push(format!(
                "if the manifest is there, read the kubelet's log on {node_name} \
                 (journalctl -u kubelet): it says why it does not run the pod or cannot create \
                 its mirror pod"
            ));
        }
        State::NotReady | State::Pending | State::Failed => {
            next_steps.push(format!(
                "read the container's log: kubectl logs -n {} {}-{node_name} --previous",
                family.namespace, name
            ));
            next_steps.push(format!(
                "the kubelet restarts it from {manifest} in its manifest folder; deleting the \
                 mirror pod does not restart the static pod"
            ));
        }
        _ => {}
    }
    if family.expectation.inferred && state != State::Ready {
        next_steps.push(format!(
            "this expectation is inferred from node roles; state it with --expect-static \
             {name}=SELECTOR"
        ));
    }
    Ok(StaticExplanation {
        schema_version: super::SCHEMA_VERSION,
        kind: KIND.to_string(),
        generated_at: opts.now,
        static_pod: format!("{}/{}", family.namespace, family.name),
        node: node_name.to_string(),
        state,
        expected,
        expectation: family.expectation.clone(),
        placement: format!(
            "a static pod runs where a kubelet finds its manifest in its own manifest folder: \
             {name} is on {node_name} exactly when {manifest} is in that node's folder. No rule \
             of the API places it and no controller replaces it (the mirror pod only shows it)"
        ),
        reasons,
        pods,
        node_conditions: node
            .status
            .conditions
            .iter()
            .map(|c| NodeCondition {
                type_: c.type_.to_string(),
                status: c.status.to_string(),
                reason: c.reason.clone(),
                message: crate::client::error::one_line(&c.message),
            })
            .collect(),
        next_steps,
    })
}
