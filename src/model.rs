//! Slim Kubernetes object types: only the fields the audit reads.
//!
//! Decoding into these instead of full `k8s-openapi` types keeps memory low on large clusters
//! (unknown fields are skipped while parsing) and lets one set of types serve files and the API.
//! Field names follow the API's JSON exactly; `null` is accepted wherever the API may omit a value.

use std::collections::BTreeMap;

use jiff::Timestamp;

use crate::interned::SharedTable;
pub use crate::interned::{InlineStr, Interned, Seconds, Shared, SharedList};
use serde::{Deserialize, Deserializer};

/// Deserialize `null` as the type's default (the API and some dumps write `null` for "unset").
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de> + Default,
{
    Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
}

pub type Labels = BTreeMap<String, String>;

/// A `metav1.Time` (or null). The API server writes RFC 3339 in UTC to the second
/// (`2026-01-02T03:04:05Z`, `k8s.io/apimachinery/pkg/apis/meta/v1: Time.MarshalJSON`); that form
/// is read here directly (a pod carries half a dozen), every other one through jiff's parser.
pub(crate) fn timestamp<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
    struct Visit;
    impl<'de> serde::de::Visitor<'de> for Visit {
        type Value = Option<Timestamp>;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an RFC 3339 timestamp")
        }
        fn visit_none<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_str(self)
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Self::Value, E> {
            parse_time(s).map(Some).map_err(E::custom)
        }
    }
    d.deserialize_option(Visit)
}

/// A `metav1.Time`'s text, as [`timestamp`] reads it.
pub(crate) fn parse_time(s: &str) -> Result<Timestamp, jiff::Error> {
    match utc_seconds(s.as_bytes()).and_then(|t| Timestamp::from_second(t).ok()) {
        Some(t) => Ok(t),
        None => s.parse(),
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` as seconds since the Unix epoch; `None` for anything else (another
/// form, or a date or time that does not exist), which jiff then reads or rejects.
fn utc_seconds(s: &[u8]) -> Option<i64> {
    if s.len() != 20 || s[19] != b'Z' || s[10] != b'T' {
        return None;
    }
    if s[4] != b'-' || s[7] != b'-' || s[13] != b':' || s[16] != b':' {
        return None;
    }
    let num = |from: usize, to: usize| -> Option<i64> {
        s[from..to].iter().try_fold(0i64, |n, &b| {
            b.is_ascii_digit().then(|| n * 10 + i64::from(b - b'0'))
        })
    };
    let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
    let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let days_in_month = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if d < 1 || d > days_in_month || hh > 23 || mm > 59 || ss > 59 {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's `days_from_civil`).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3_600 + mm * 60 + ss)
}

/// The annotation the kubelet puts on a mirror pod (`pkg/kubelet/types/pod_update.go:
/// ConfigMirrorAnnotationKey`).
pub const MIRROR_ANNOTATION: &str = "kubernetes.io/config.mirror";

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ObjectMeta {
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub namespace: Interned,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
    #[serde(deserialize_with = "nullable")]
    pub resource_version: String,
    pub generation: Option<i64>,
    #[serde(deserialize_with = "timestamp")]
    pub creation_timestamp: Option<Timestamp>,
    #[serde(deserialize_with = "timestamp")]
    pub deletion_timestamp: Option<Timestamp>,
    #[serde(deserialize_with = "nullable")]
    pub labels: Labels,
    /// Only the annotations the audit reads ([`READ_ANNOTATIONS`]).
    #[serde(deserialize_with = "read_annotations")]
    pub annotations: Labels,
    #[serde(deserialize_with = "nullable")]
    pub owner_references: Vec<OwnerReference>,
}

/// The annotations of a node, DaemonSet or ControllerRevision that anything here reads: the
/// DaemonSet's template generation ([`DaemonSet::template_generation`]). The rest — a node's
/// cloud and CSI annotations (a kilobyte or more a node on a managed cluster), a DaemonSet's
/// `kubectl.kubernetes.io/last-applied-configuration` (the whole object again) — are skipped as
/// they are read.
pub const READ_ANNOTATIONS: [&str; 1] = ["deprecated.daemonset.template.generation"];

fn read_annotations<'de, D: Deserializer<'de>>(d: D) -> Result<Labels, D::Error> {
    d.deserialize_option(KeptAnnotations(&READ_ANNOTATIONS))
}

/// Reads an `annotations` map (or null) keeping only the keys named; the other values are
/// skipped as they are read, never allocated.
struct KeptAnnotations(&'static [&'static str]);

impl<'de> serde::de::Visitor<'de> for KeptAnnotations {
    type Value = Labels;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a map of annotations")
    }

    fn visit_none<E: serde::de::Error>(self) -> Result<Labels, E> {
        Ok(Labels::new())
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Labels, E> {
        Ok(Labels::new())
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Labels, D::Error> {
        d.deserialize_map(self)
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Labels, A::Error> {
        let mut kept = Labels::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            if self.0.contains(&&*key) {
                let value = map.next_value::<Option<String>>()?;
                kept.insert(key.into_owned(), value.unwrap_or_default());
            } else {
                map.next_value::<serde::de::IgnoredAny>()?;
            }
        }
        Ok(kept)
    }
}

/// What identifies an object, from an [`ObjectMeta`] or a [`PodMeta`] alike.
#[derive(Debug, Clone, Copy)]
pub struct ObjectKeys<'a> {
    pub name: &'a str,
    pub namespace: &'a str,
    pub uid: &'a str,
    pub resource_version: &'a str,
}

/// What [`ObjectMeta`] and [`PodMeta`] both answer.
macro_rules! meta_methods {
    ($($t:ty),*) => {$(
        impl $t {
            pub fn keys(&self) -> ObjectKeys<'_> {
                ObjectKeys {
                    name: &self.name,
                    namespace: &self.namespace,
                    uid: &self.uid,
                    resource_version: &self.resource_version,
                }
            }

            /// The owner reference with `controller: true`, as `metav1.GetControllerOf` finds
            /// it.
            pub fn controller_ref(&self) -> Option<&OwnerReference> {
                self.owner_references.iter().find(|r| r.controller)
            }
        }
    )*};
}
meta_methods!(ObjectMeta, PodMeta);

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct OwnerReference {
    #[serde(deserialize_with = "nullable")]
    pub api_version: Interned,
    #[serde(deserialize_with = "nullable")]
    pub kind: Interned,
    #[serde(deserialize_with = "nullable")]
    pub name: Interned,
    #[serde(deserialize_with = "nullable")]
    pub uid: Interned,
    #[serde(deserialize_with = "nullable")]
    pub controller: bool,
}

/// A DaemonSet's `spec.updateStrategy.type` (`DaemonSetUpdateStrategyType`), defaulted (see [`DaemonSet::update_strategy`]).
/// Serialized as the API spells it; a type the API does not define is kept as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UpdateStrategyType {
    RollingUpdate,
    OnDelete,
    Other(String),
}

impl UpdateStrategyType {
    pub fn as_str(&self) -> &str {
        match self {
            UpdateStrategyType::RollingUpdate => "RollingUpdate",
            UpdateStrategyType::OnDelete => "OnDelete",
            UpdateStrategyType::Other(s) => s,
        }
    }
}

impl std::fmt::Display for UpdateStrategyType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for UpdateStrategyType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// ---------------------------------------------------------------------------------------------
// Scheduling vocabulary shared by pods and DaemonSet templates

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Taint {
    #[serde(deserialize_with = "nullable")]
    pub key: String,
    #[serde(deserialize_with = "nullable")]
    pub value: String,
    #[serde(deserialize_with = "nullable")]
    pub effect: String,
    pub time_added: Option<Timestamp>,
}

impl std::fmt::Display for Taint {
    /// kubectl's notation: `key=value:Effect`, or `key:Effect` without a value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_empty() {
            write!(f, "{}:{}", self.key, self.effect)
        } else {
            write!(f, "{}={}:{}", self.key, self.value, self.effect)
        }
    }
}

#[derive(
    Debug, Clone, Default, PartialEq, Eq, Deserialize, serde::Serialize, schemars::JsonSchema,
)]
#[serde(rename_all = "camelCase", default)]
pub struct Toleration {
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub key: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub operator: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub value: String,
    #[serde(
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub effect: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorRequirement {
    #[serde(deserialize_with = "nullable")]
    pub key: String,
    #[serde(deserialize_with = "nullable")]
    pub operator: String,
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelectorTerm {
    #[serde(deserialize_with = "nullable")]
    pub match_expressions: Vec<NodeSelectorRequirement>,
    #[serde(deserialize_with = "nullable")]
    pub match_fields: Vec<NodeSelectorRequirement>,
}

/// `requiredDuringSchedulingIgnoredDuringExecution`. Present-but-empty (`{}`) matches no node,
/// which is why it is kept apart from "absent" (`Option::None` one level up).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSelector {
    #[serde(deserialize_with = "nullable")]
    pub node_selector_terms: Vec<NodeSelectorTerm>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeAffinity {
    pub required_during_scheduling_ignored_during_execution: Option<NodeSelector>,
}

/// Every string under it is a plain `String`: the YAML reader takes a bound pod's affinity
/// strings changed for others without decoding them (`source/file/fastyaml/template.rs`,
/// `Role::Affinity`); a field that parses its string would have to be named there.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Affinity {
    pub node_affinity: Option<NodeAffinity>,
}

impl Affinity {
    /// `nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution`, if set.
    pub fn required(&self) -> Option<&NodeSelector> {
        self.node_affinity
            .as_ref()?
            .required_during_scheduling_ignored_during_execution
            .as_ref()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ResourceRequirements {
    #[serde(deserialize_with = "nullable")]
    pub requests: Requests,
}

/// `resources.requests`: a few entries in a sorted vector, with the map methods its readers use.
/// Every container of every pod has one: as a `BTreeMap` its first node alone takes 540 bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Requests(Vec<(String, Quantity)>);

impl Requests {
    pub fn get(&self, resource: &str) -> Option<&Quantity> {
        self.find(resource).ok().map(|i| &self.0[i].1)
    }

    pub fn contains_key(&self, resource: &str) -> bool {
        self.find(resource).is_ok()
    }

    /// Sets a request; returns the one it replaces.
    pub fn insert(&mut self, resource: String, quantity: Quantity) -> Option<Quantity> {
        match self.find(&resource) {
            Ok(i) => Some(std::mem::replace(&mut self.0[i].1, quantity)),
            Err(i) => {
                self.0.insert(i, (resource, quantity));
                None
            }
        }
    }

    pub fn remove(&mut self, resource: &str) -> Option<Quantity> {
        let i = self.find(resource).ok()?;
        Some(self.0.remove(i).1)
    }

    /// In resource-name order.
    pub fn iter(&self) -> impl Iterator<Item = (&String, &Quantity)> {
        self.0.iter().map(|(k, v)| (k, v))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn find(&self, resource: &str) -> Result<usize, usize> {
        self.0.binary_search_by(|(k, _)| k.as_str().cmp(resource))
    }
}

impl FromIterator<(String, Quantity)> for Requests {
    fn from_iter<I: IntoIterator<Item = (String, Quantity)>>(iter: I) -> Self {
        let mut r = Requests::default();
        for (k, v) in iter {
            r.insert(k, v);
        }
        r.0.shrink_to_fit();
        r
    }
}

impl<'a> IntoIterator for &'a Requests {
    type Item = (&'a String, &'a Quantity);
    type IntoIter = std::iter::Map<
        std::slice::Iter<'a, (String, Quantity)>,
        fn(&'a (String, Quantity)) -> (&'a String, &'a Quantity),
    >;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter().map(|(k, v)| (k, v))
    }
}

impl<'de> Deserialize<'de> for Requests {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> serde::de::Visitor<'de> for Visit {
            type Value = Requests;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of resource quantities")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Requests, A::Error> {
                let mut r = Requests(Vec::with_capacity(map.size_hint().unwrap_or(0)));
                while let Some((k, v)) = map.next_entry::<String, Quantity>()? {
                    r.insert(k, v); // a repeated key: the last wins, as in a map
                }
                r.0.shrink_to_fit();
                Ok(r)
            }
        }
        d.deserialize_map(Visit)
    }
}

/// A resource quantity as written by the API (`"100m"`, `"1.5"`, `"512Mi"`; some dumps use numbers).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Quantity(pub String);

impl<'de> Deserialize<'de> for Quantity {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            S(String),
            I(i64),
            F(f64),
        }
        Ok(Quantity(match Raw::deserialize(d)? {
            Raw::S(s) => s,
            Raw::I(i) => i.to_string(),
            Raw::F(f) => f.to_string(),
        }))
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Container {
    #[serde(deserialize_with = "nullable")]
    pub name: Interned,
    #[serde(deserialize_with = "nullable")]
    pub image: String,
    #[serde(deserialize_with = "nullable")]
    pub resources: ResourceRequirements,
    /// `restartPolicy` as written (empty when unset); `Always` on an init container makes it a
    /// sidecar ([`Container::restarts_always`]).
    #[serde(deserialize_with = "nullable")]
    pub restart_policy: Interned,
}

impl Container {
    /// `restartPolicy: Always`: on an init container, a sidecar (a restartable init container,
    /// Kubernetes 1.28+), which starts in the init sequence and then runs beside the
    /// containers (`k8s.io/component-helpers/resource/helpers.go:
    /// isRestartableInitContainer`).
    pub fn restarts_always(&self) -> bool {
        self.restart_policy == "Always"
    }
}

/// The part of a pod spec (or a DaemonSet's pod template spec) that placement and reports use.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodSpec {
    #[serde(deserialize_with = "nullable")]
    pub node_name: Interned,
    #[serde(deserialize_with = "nullable")]
    pub node_selector: Labels,
    pub affinity: Option<Affinity>,
    #[serde(deserialize_with = "nullable")]
    pub tolerations: Vec<Toleration>,
    #[serde(deserialize_with = "nullable")]
    pub host_network: bool,
    #[serde(deserialize_with = "nullable")]
    pub containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    pub init_containers: Vec<Container>,
    #[serde(deserialize_with = "nullable")]
    pub priority_class_name: Interned,
    /// `spec.overhead`: what the pod's RuntimeClass adds to its requests. The RuntimeClass
    /// admission controller sets it on pods, so a template rarely has it.
    #[serde(deserialize_with = "nullable")]
    pub overhead: Requests,
    #[serde(deserialize_with = "nullable")]
    pub runtime_class_name: Interned,
    /// `spec.resources`: pod-level resources (`PodLevelResources`, KEP-2837: alpha in 1.32,
    /// beta and on by default since 1.34); only its `requests` are kept, which the scheduler
    /// counts instead of the containers' for the resources they name.
    #[serde(deserialize_with = "nullable")]
    pub resources: ResourceRequirements,
}

impl PodSpec {
    /// The required node affinity, if the spec has one (`None` = no restriction).
    pub fn required_node_affinity(&self) -> Option<&NodeSelector> {
        self.affinity.as_ref()?.required()
    }

    /// `spec.resources.requests` (pod-level requests), if any.
    pub fn pod_level_requests(&self) -> Option<&Requests> {
        (!self.resources.requests.is_empty()).then_some(&self.resources.requests)
    }
}

// ---------------------------------------------------------------------------------------------
// Label selectors (metav1.LabelSelector)

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelectorRequirement {
    #[serde(deserialize_with = "nullable")]
    pub key: String,
    #[serde(deserialize_with = "nullable")]
    pub operator: String,
    #[serde(deserialize_with = "nullable")]
    pub values: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LabelSelector {
    #[serde(deserialize_with = "nullable")]
    pub match_labels: Labels,
    #[serde(deserialize_with = "nullable")]
    pub match_expressions: Vec<LabelSelectorRequirement>,
}

impl LabelSelector {
    /// `{}`: selects everything (the DaemonSet controller refuses to act on it).
    pub fn is_empty(&self) -> bool {
        self.match_labels.is_empty() && self.match_expressions.is_empty()
    }
}

// ---------------------------------------------------------------------------------------------
// Node

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Node {
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub spec: NodeSpec,
    #[serde(deserialize_with = "nullable")]
    pub status: NodeStatus,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeSpec {
    #[serde(deserialize_with = "nullable")]
    pub unschedulable: bool,
    /// The cloud provider's ID of the machine (`gce://PROJECT/ZONE/NAME`, `aws:///ZONE/ID`,
    /// `kind://docker/CLUSTER/NODE`, …): it tells captures of several clusters apart.
    #[serde(rename = "providerID", deserialize_with = "nullable")]
    pub provider_id: String,
    #[serde(deserialize_with = "nullable")]
    pub taints: Vec<Taint>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct NodeStatus {
    #[serde(deserialize_with = "nullable")]
    pub conditions: Vec<Condition>,
    #[serde(deserialize_with = "nullable")]
    pub allocatable: BTreeMap<String, Quantity>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Condition {
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub type_: Interned,
    #[serde(deserialize_with = "nullable")]
    pub status: Interned,
    #[serde(deserialize_with = "nullable")]
    pub reason: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    #[serde(deserialize_with = "timestamp")]
    pub last_transition_time: Option<Timestamp>,
}

impl Node {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn condition(&self, type_: &str) -> Option<&Condition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    /// The node's own Ready condition is `True`.
    pub fn is_ready(&self) -> bool {
        self.condition("Ready").is_some_and(|c| c.status == "True")
    }
}

// ---------------------------------------------------------------------------------------------
// Pod

/// A pod, decoded compact (see [`slim`]): the fields the audit, `explain` and `fix` read, and
/// no others, with what many pods repeat kept once. Pods are most of a snapshot (150,000 5–8 KB
/// objects at 5,000 nodes), so each byte here is 150 KB there (BENCHMARKS.md, issue 19).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(from = "slim::Pod")]
pub struct Pod {
    pub metadata: PodMeta,
    /// `affinity` only while `nodeName` is unset (it is read only to find the node of an
    /// unbound pod), see [`RareSpec`].
    pub spec: PodSpecSlim,
    /// With only the `Ready` condition and an unmet `PodScheduled` one; ready containers without
    /// their `state`/`lastState` (only unready ones are explained).
    pub status: PodStatus,
}

/// A pod's metadata: [`ObjectMeta`] without `generation`, with the label set, owner references
/// and (of the annotations) only [`MIRROR_ANNOTATION`], each shared with the other pods that
/// carry the same. Name, UID and resourceVersion are unique to the pod: kept inline (no heap
/// block) up to 30, 36 (a UUID) and 14 bytes; the timestamps in whole seconds ([`Seconds`]).
#[derive(Debug, Clone, Default)]
pub struct PodMeta {
    pub name: InlineStr<30>,
    pub namespace: Interned,
    pub uid: InlineStr<36>,
    pub resource_version: InlineStr<14>,
    pub creation_timestamp: Seconds,
    pub deletion_timestamp: Seconds,
    pub labels: Shared<Labels>,
    pub annotations: Shared<Labels>,
    pub owner_references: SharedList<OwnerReference>,
}

/// What a pod's spec keeps: [`PodSpec`] without `tolerations`, `nodeSelector`, `hostNetwork`,
/// `runtimeClassName` and container images (the audit reads those on DaemonSet templates, never
/// on pods); the containers (names, requests and restart policies) shared with the pods that
/// have the same.
#[derive(Debug, Clone, Default)]
pub struct PodSpecSlim {
    pub node_name: Interned,
    /// What few pods have, in a box of its own only when they do (8 bytes on the others).
    pub rare: Option<Box<RareSpec>>,
    pub containers: SharedList<Container>,
    pub init_containers: SharedList<Container>,
    pub priority_class_name: Interned,
}

/// The part of a pod's spec that few pods have.
#[derive(Debug, Clone, Default)]
pub struct RareSpec {
    /// `affinity`, only while `nodeName` is unset (it is read only to find the node of an
    /// unbound pod).
    pub affinity: Option<Affinity>,
    /// `spec.overhead` (RuntimeClass pod overhead: what `explain`'s fit adds to the pod's
    /// requests), shared with the pods that carry the same: the pods of one RuntimeClass do.
    pub overhead: Option<Shared<Requests>>,
    /// `spec.resources.requests` (pod-level requests, `PodLevelResources`: beta and on by
    /// default since Kubernetes 1.34), which `explain`'s fit counts instead of the containers'
    /// for the resources they name; shared with the pods that carry the same.
    pub requests: Option<Shared<Requests>>,
}

impl PodSpecSlim {
    /// The required node affinity, if the spec has one (`None` = no restriction).
    pub fn required_node_affinity(&self) -> Option<&NodeSelector> {
        self.rare.as_deref()?.affinity.as_ref()?.required()
    }

    /// `spec.overhead`, if set.
    pub fn overhead(&self) -> Option<&Requests> {
        self.rare.as_deref()?.overhead.as_deref()
    }

    /// `spec.resources.requests` (pod-level requests), if set.
    pub fn pod_level_requests(&self) -> Option<&Requests> {
        self.rare.as_deref()?.requests.as_deref()
    }
}

impl RareSpec {
    /// What a pod keeps of these: nothing (no box) when it has none.
    fn kept(
        affinity: Option<Affinity>,
        overhead: Requests,
        requests: Requests,
    ) -> Option<Box<RareSpec>> {
        let overhead = (!overhead.is_empty()).then(|| OVERHEADS.intern(overhead));
        let requests = (!requests.is_empty()).then(|| POD_LEVEL_REQUESTS.intern(requests));
        (affinity.is_some() || overhead.is_some() || requests.is_some()).then(|| {
            Box::new(RareSpec {
                affinity,
                overhead,
                requests,
            })
        })
    }
}

/// A pod's label set, shared with the pods that carry the same.
pub(crate) fn intern_labels(labels: Labels) -> Shared<Labels> {
    LABEL_SETS.intern(labels)
}

/// A pod's owner references, shared with the pods that carry the same.
pub(crate) fn intern_owners(owners: Vec<OwnerReference>) -> SharedList<OwnerReference> {
    OWNER_SETS.intern_list(owners)
}

/// A pod's containers as kept (name, requests and restart policy), shared with the pods that
/// have the same.
pub(crate) fn intern_containers(containers: Vec<slim::Container>) -> SharedList<Container> {
    CONTAINER_SETS.intern_list(containers.into_iter().map(slim::Container::kept).collect())
}

/// The tables pods' shared parts are interned through (see [`Shared`]).
static LABEL_SETS: SharedTable<Labels> = SharedTable::new();
static OWNER_SETS: SharedTable<Box<[OwnerReference]>> = SharedTable::new();
static CONTAINER_SETS: SharedTable<Box<[Container]>> = SharedTable::new();
static OVERHEADS: SharedTable<Requests> = SharedTable::new();
static POD_LEVEL_REQUESTS: SharedTable<Requests> = SharedTable::new();

/// A pod's status: `reason` and `message` interned (evictions repeat them word for word), the
/// container statuses shared with the pods whose containers stand the same (the ready ones
/// without their state: the same on most pods of a DaemonSet).
#[derive(Debug, Clone, Default)]
pub struct PodStatus {
    pub phase: Interned,
    pub reason: Interned,
    pub message: Interned,
    pub conditions: PodConditions,
    pub container_statuses: SharedList<ContainerStatus>,
    pub init_container_statuses: SharedList<ContainerStatus>,
}

static STATUS_SETS: SharedTable<Box<[ContainerStatus]>> = SharedTable::new();

/// A pod's container statuses as kept (a ready container's without its states), shared with
/// the pods whose containers stand the same.
pub(crate) fn intern_statuses(statuses: Vec<ContainerStatus>) -> SharedList<ContainerStatus> {
    STATUS_SETS.intern_list(statuses.into_iter().map(ContainerStatus::quiet).collect())
}

/// The conditions a pod keeps (its `Ready` condition and an unmet `PodScheduled` one, see
/// [`slim`]), read through [`Pod::condition`]. Most pods keep only a `Ready` condition with
/// status `True` or `False` and no reason or message: its status and time are all there is
/// to keep (16 bytes in the pod instead of a list of 88-byte [`Condition`]s in a heap block of
/// its own).
#[derive(Debug, Clone, Default)]
pub enum PodConditions {
    #[default]
    None,
    /// A lone `Ready` condition, status `True`, without reason or message: its
    /// `lastTransitionTime`.
    ReadyTrue(Seconds),
    /// The same with status `False`.
    ReadyFalse(Seconds),
    /// Anything else, as read.
    Kept(SharedList<Condition>),
}

/// `"Ready"`, `"True"` and `"False"`, interned once.
static READY: std::sync::LazyLock<[Interned; 3]> =
    std::sync::LazyLock::new(|| ["Ready", "True", "False"].map(Interned::new));

impl PodConditions {
    pub(crate) fn from_kept(kept: Vec<Condition>) -> PodConditions {
        match &kept[..] {
            [] => PodConditions::None,
            [c] if c.type_ == "Ready" && c.reason.is_empty() && c.message.is_empty() => {
                let time = c.last_transition_time.into();
                match c.status.as_str() {
                    "True" => PodConditions::ReadyTrue(time),
                    "False" => PodConditions::ReadyFalse(time),
                    _ => PodConditions::Kept(kept.into()),
                }
            }
            _ => PodConditions::Kept(kept.into()),
        }
    }

    /// The first condition of this type, as read.
    pub fn get(&self, type_: &str) -> Option<Condition> {
        let ready = |status: usize, time: &Seconds| {
            (type_ == "Ready").then(|| Condition {
                type_: READY[0].clone(),
                status: READY[status].clone(),
                last_transition_time: time.get(),
                ..Condition::default()
            })
        };
        match self {
            PodConditions::None => None,
            PodConditions::ReadyTrue(time) => ready(1, time),
            PodConditions::ReadyFalse(time) => ready(2, time),
            PodConditions::Kept(all) => all.iter().find(|c| c.type_ == type_).cloned(),
        }
    }

    /// The `Ready` condition's status and time, without building a [`Condition`].
    fn ready(&self) -> Option<(&str, Seconds)> {
        match self {
            PodConditions::None => None,
            PodConditions::ReadyTrue(time) => Some(("True", *time)),
            PodConditions::ReadyFalse(time) => Some(("False", *time)),
            PodConditions::Kept(all) => all
                .iter()
                .find(|c| c.type_ == "Ready")
                .map(|c| (c.status.as_str(), Seconds::from(c.last_transition_time))),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerStatus {
    #[serde(deserialize_with = "nullable")]
    pub name: Interned,
    #[serde(deserialize_with = "nullable")]
    pub ready: bool,
    #[serde(deserialize_with = "nullable")]
    pub restart_count: i64,
    #[serde(deserialize_with = "nullable")]
    pub state: ContainerState,
    #[serde(deserialize_with = "nullable")]
    pub last_state: ContainerState,
}

impl ContainerStatus {
    /// What a pod keeps: a ready container without its `state` and `lastState` (only unready
    /// ones are explained).
    fn quiet(mut self) -> ContainerStatus {
        if self.ready {
            self.state = Default::default();
            self.last_state = Default::default();
        }
        self
    }
}

/// Boxed details: most containers are running, and two inline `StateDetail`s per state (two
/// states per container status) would cost about 250 bytes a pod for nothing.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ContainerState {
    pub waiting: Option<Box<StateDetail>>,
    pub running: Option<serde::de::IgnoredAny>,
    pub terminated: Option<Box<StateDetail>>,
}

/// Equal when the same details are set and `running` is set alike (its content is not read).
impl PartialEq for ContainerState {
    fn eq(&self, other: &Self) -> bool {
        self.waiting == other.waiting
            && self.running.is_some() == other.running.is_some()
            && self.terminated == other.terminated
    }
}

impl Eq for ContainerState {}

impl std::hash::Hash for ContainerState {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        self.waiting.hash(h);
        self.running.is_some().hash(h);
        self.terminated.hash(h);
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct StateDetail {
    #[serde(deserialize_with = "nullable")]
    pub reason: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    pub exit_code: Option<i64>,
}

impl Pod {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    /// The pod's condition of this type (only `Ready` and an unmet `PodScheduled` are kept).
    pub fn condition(&self, type_: &str) -> Option<Condition> {
        self.status.conditions.get(type_)
    }

    /// `podutil.IsPodReady`: a `Ready` condition with status `True`. Phase and deletion are not
    /// looked at, exactly as upstream.
    pub fn is_ready(&self) -> bool {
        self.status
            .conditions
            .ready()
            .is_some_and(|(status, _)| status == "True")
    }

    /// `podutil.IsPodAvailable` (1.34+: the boundary is inclusive).
    pub fn is_available(&self, min_ready_seconds: i64, now: Timestamp) -> bool {
        if !self.is_ready() {
            return false;
        }
        if min_ready_seconds <= 0 {
            return true;
        }
        match self.status.conditions.ready().and_then(|(_, t)| t.get()) {
            Some(t) => t.as_second().saturating_add(min_ready_seconds) <= now.as_second(),
            None => false,
        }
    }

    /// Phase Failed or Succeeded.
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.phase.as_str(), "Failed" | "Succeeded")
    }

    pub fn is_terminating(&self) -> bool {
        self.metadata.deletion_timestamp.is_some()
    }

    /// A mirror pod: the API's copy of a static pod the kubelet runs from its manifest folder
    /// (`pkg/kubelet/types/pod_update.go: IsMirrorPod`, the [`MIRROR_ANNOTATION`]
    /// annotation). No controller adopts it: the kubelet makes the node its controller
    /// (`pkg/kubelet/pod/mirror_client.go: CreateMirrorPod`).
    pub fn is_mirror(&self) -> bool {
        self.metadata.annotations.contains_key(MIRROR_ANNOTATION)
    }

    pub fn restarts(&self) -> i64 {
        self.status
            .container_statuses
            .iter()
            .map(|c| c.restart_count)
            .sum()
    }
}

/// What a pod is decoded through: its JSON minus everything no reader of [`Pod`] looks at, so
/// the skipped parts (most of a daemon pod: env, probes, volumes, mounts, annotations, the default
/// tolerations, most conditions) are never allocated. Readers, checked with grep: `coverage`
/// (claim, node, state, reasons, pod report), `explain` (requests and restart policies of
/// containers and init containers, overhead, pod-level requests, priority class, node name, phase), `fix` (uid, resourceVersion, name, namespace,
/// labels, ownerReferences, deletionTimestamp, nodeName, phase).
pub(crate) mod slim {
    use super::{
        Affinity, Condition, ContainerStatus, InlineStr, Interned, Labels, OwnerReference,
        Requests, ResourceRequirements, Timestamp, nullable,
    };
    use serde::Deserialize;

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub(crate) struct Pod {
        pub(crate) metadata: Meta,
        #[serde(deserialize_with = "nullable")]
        pub(crate) spec: Spec,
        #[serde(deserialize_with = "nullable")]
        pub(crate) status: Status,
    }

    /// The YAML reader sets some of these fields on a template's decoded pod by hand, each with
    /// its field's type and decode function (`source/file/fastyaml/template.rs`, `Role`):
    /// change a field's type or `deserialize_with` there too.
    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub(crate) struct Meta {
        #[serde(deserialize_with = "nullable")]
        pub(crate) name: InlineStr<30>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) namespace: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) uid: InlineStr<36>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) resource_version: InlineStr<14>,
        #[serde(deserialize_with = "super::timestamp")]
        pub(crate) creation_timestamp: Option<Timestamp>,
        #[serde(deserialize_with = "super::timestamp")]
        pub(crate) deletion_timestamp: Option<Timestamp>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) labels: Labels,
        #[serde(deserialize_with = "mirror_annotation")]
        pub(crate) annotations: Labels,
        #[serde(deserialize_with = "nullable")]
        pub(crate) owner_references: Vec<OwnerReference>,
        /// The label set already shared ([`super::intern_labels`]), when the reader found it
        /// so; `labels` is then empty and unread.
        #[serde(skip)]
        pub(crate) shared_labels: Option<super::Shared<Labels>>,
        /// The same for the owner references ([`super::intern_owners`]).
        #[serde(skip)]
        pub(crate) shared_owners: Option<super::SharedList<OwnerReference>>,
    }

    /// Of a pod's annotations only the mirror pod one ([`super::MIRROR_ANNOTATION`]) is kept;
    /// the others are skipped as they are read.
    pub(crate) fn mirror_annotation<'de, D: serde::Deserializer<'de>>(
        d: D,
    ) -> Result<Labels, D::Error> {
        d.deserialize_option(super::KeptAnnotations(&[super::MIRROR_ANNOTATION]))
    }

    /// `node_name` is set by hand too, as `Meta`'s fields are.
    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub(crate) struct Spec {
        #[serde(deserialize_with = "nullable")]
        pub(crate) node_name: Interned,
        pub(crate) affinity: Option<Affinity>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) containers: Vec<Container>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) init_containers: Vec<Container>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) priority_class_name: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) overhead: Requests,
        /// `spec.resources` (pod-level; only `requests` is read).
        #[serde(deserialize_with = "nullable")]
        pub(crate) resources: ResourceRequirements,
        /// The containers already shared ([`super::intern_containers`]), when the reader found
        /// them so; `containers` is then empty and unread.
        #[serde(skip)]
        pub(crate) shared_containers: Option<super::SharedList<super::Container>>,
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub(crate) struct Container {
        #[serde(deserialize_with = "nullable")]
        pub(crate) name: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) resources: ResourceRequirements,
        #[serde(deserialize_with = "nullable")]
        pub(crate) restart_policy: Interned,
    }

    impl Container {
        /// What a pod keeps of a container: its name, requests and restart policy (no image).
        pub(crate) fn kept(self) -> super::Container {
            super::Container {
                name: self.name,
                image: String::new(),
                resources: self.resources,
                restart_policy: self.restart_policy,
            }
        }
    }

    #[derive(Debug, Default, Deserialize)]
    #[serde(rename_all = "camelCase", default)]
    pub(crate) struct Status {
        #[serde(deserialize_with = "nullable")]
        pub(crate) phase: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) reason: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) message: Interned,
        #[serde(deserialize_with = "nullable")]
        pub(crate) conditions: Conditions,
        #[serde(deserialize_with = "nullable")]
        pub(crate) container_statuses: Vec<ContainerStatus>,
        #[serde(deserialize_with = "nullable")]
        pub(crate) init_container_statuses: Vec<ContainerStatus>,
    }

    /// The `Ready` condition, and `PodScheduled` unless it is `True` (only an unscheduled pod's
    /// is read); the others are skipped as they are read.
    #[derive(Debug, Default)]
    pub(crate) struct Conditions(pub(crate) Vec<Condition>);

    impl<'de> Deserialize<'de> for Conditions {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            struct Visit;
            impl<'de> serde::de::Visitor<'de> for Visit {
                type Value = Conditions;
                fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                    f.write_str("a list of pod conditions")
                }
                fn visit_seq<A: serde::de::SeqAccess<'de>>(
                    self,
                    mut seq: A,
                ) -> Result<Conditions, A::Error> {
                    let mut kept = Vec::new();
                    while let Some(c) = seq.next_element::<Maybe>()? {
                        kept.extend(c.0);
                    }
                    Ok(Conditions(kept))
                }
            }
            d.deserialize_seq(Visit)
        }
    }

    /// One condition, kept only if its type is read.
    struct Maybe(Option<Condition>);

    impl<'de> Deserialize<'de> for Maybe {
        fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            let c = Condition::deserialize(d)?;
            Ok(Maybe(
                is_read(c.type_.as_bytes(), c.status.as_bytes()).then_some(c),
            ))
        }
    }

    /// A pod condition the audit reads: `Ready`, and `PodScheduled` unless it is `True`.
    pub(crate) fn is_read(type_: &[u8], status: &[u8]) -> bool {
        match type_ {
            b"Ready" => true,
            b"PodScheduled" => status != b"True",
            _ => false,
        }
    }

    impl From<Pod> for super::Pod {
        fn from(p: Pod) -> super::Pod {
            let Pod {
                metadata: m,
                spec: s,
                status: st,
            } = p;
            // What is not shared is kept at its exact length (a vector decoded from JSON
            // starts at four slots: three spare Conditions of 104 bytes).
            super::Pod {
                metadata: super::PodMeta {
                    name: m.name,
                    namespace: m.namespace,
                    uid: m.uid,
                    resource_version: m.resource_version,
                    creation_timestamp: m.creation_timestamp.into(),
                    deletion_timestamp: m.deletion_timestamp.into(),
                    labels: m
                        .shared_labels
                        .unwrap_or_else(|| super::LABEL_SETS.intern(m.labels)),
                    annotations: super::LABEL_SETS.intern(m.annotations),
                    owner_references: m
                        .shared_owners
                        .unwrap_or_else(|| super::intern_owners(m.owner_references)),
                },
                spec: super::PodSpecSlim {
                    rare: super::RareSpec::kept(
                        s.affinity.filter(|_| s.node_name.is_empty()),
                        s.overhead,
                        s.resources.requests,
                    ),
                    node_name: s.node_name,
                    containers: s
                        .shared_containers
                        .unwrap_or_else(|| super::intern_containers(s.containers)),
                    init_containers: super::intern_containers(s.init_containers),
                    priority_class_name: s.priority_class_name,
                },
                status: super::PodStatus {
                    phase: st.phase,
                    reason: st.reason,
                    message: st.message,
                    conditions: super::PodConditions::from_kept(st.conditions.0),
                    container_statuses: super::intern_statuses(st.container_statuses),
                    init_container_statuses: super::intern_statuses(st.init_container_statuses),
                },
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// DaemonSet

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSet {
    #[serde(deserialize_with = "nullable")]
    pub api_version: String,
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub spec: DaemonSetSpec,
    pub status: Option<DaemonSetStatus>,
    /// `spec.template` exactly as read, for comparing with ControllerRevision data
    /// (`pkg/controller/daemon/update.go: Match`).
    #[serde(skip)]
    pub template_raw: serde_json::Value,
    /// Read from `--manifest`: not applied (yet) in this form.
    #[serde(skip)]
    pub from_manifest: bool,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetSpec {
    /// `None` only in hand-written manifests of old API versions; see `DaemonSet::selector`.
    pub selector: Option<LabelSelector>,
    #[serde(deserialize_with = "nullable")]
    pub template: PodTemplateSpec,
    #[serde(deserialize_with = "nullable")]
    pub update_strategy: UpdateStrategy,
    #[serde(deserialize_with = "nullable")]
    pub min_ready_seconds: i64,
    /// `extensions/v1beta1` and `apps/v1beta2` expose the template generation as a field.
    pub template_generation: Option<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct PodTemplateSpec {
    #[serde(deserialize_with = "nullable")]
    pub metadata: TemplateMeta,
    #[serde(deserialize_with = "nullable")]
    pub spec: PodSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TemplateMeta {
    #[serde(deserialize_with = "nullable")]
    pub labels: Labels,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct UpdateStrategy {
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub type_: String,
    pub rolling_update: Option<RollingUpdate>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RollingUpdate {
    pub max_unavailable: Option<serde_json::Value>,
    pub max_surge: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DaemonSetStatus {
    #[serde(deserialize_with = "nullable")]
    pub desired_number_scheduled: i64,
    #[serde(deserialize_with = "nullable")]
    pub current_number_scheduled: i64,
    #[serde(deserialize_with = "nullable")]
    pub number_misscheduled: i64,
    #[serde(deserialize_with = "nullable")]
    pub number_ready: i64,
    pub number_available: Option<i64>,
    pub updated_number_scheduled: Option<i64>,
    pub number_unavailable: Option<i64>,
    pub observed_generation: Option<i64>,
}

impl DaemonSet {
    pub fn name(&self) -> &str {
        &self.metadata.name
    }

    pub fn namespace(&self) -> &str {
        &self.metadata.namespace
    }

    /// The selector the controller uses. Old API versions (`extensions/v1beta1`) defaulted an
    /// absent selector to the template's labels; the API server stores the defaulted value, so
    /// only hand-written manifests can lack it.
    pub fn selector(&self) -> LabelSelector {
        self.spec.selector.clone().unwrap_or_else(|| LabelSelector {
            match_labels: self.spec.template.metadata.labels.clone(),
            match_expressions: Vec::new(),
        })
    }

    /// `updateStrategy.type`, defaulted as the API server does (`RollingUpdate` for apps/v1,
    /// `OnDelete` for extensions/v1beta1).
    pub fn update_strategy(&self) -> UpdateStrategyType {
        match self.spec.update_strategy.type_.as_str() {
            "" if self.api_version == "extensions/v1beta1" => UpdateStrategyType::OnDelete,
            "" | "RollingUpdate" => UpdateStrategyType::RollingUpdate,
            "OnDelete" => UpdateStrategyType::OnDelete,
            other => UpdateStrategyType::Other(other.to_string()),
        }
    }

    /// `GetTemplateGeneration`: the `deprecated.daemonset.template.generation` annotation as
    /// int64 (a parse error turns the generation path off). Old API versions served the same
    /// number as `spec.templateGeneration` instead of the annotation.
    pub fn template_generation(&self) -> Option<i64> {
        match self
            .metadata
            .annotations
            .get("deprecated.daemonset.template.generation")
        {
            Some(v) => v.parse().ok(),
            None => self.spec.template_generation,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// ControllerRevision

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ControllerRevision {
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub revision: i64,
    #[serde(deserialize_with = "nullable")]
    pub data: serde_json::Value,
}

// ---------------------------------------------------------------------------------------------
// Event (core/v1), for `explain` on a live cluster

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct Event {
    pub metadata: ObjectMeta,
    #[serde(deserialize_with = "nullable")]
    pub involved_object: EventObject,
    #[serde(rename = "type", deserialize_with = "nullable")]
    pub type_: String,
    #[serde(deserialize_with = "nullable")]
    pub reason: String,
    #[serde(deserialize_with = "nullable")]
    pub message: String,
    pub count: Option<i64>,
    pub first_timestamp: Option<Timestamp>,
    pub last_timestamp: Option<Timestamp>,
    /// Set instead of the timestamps above by events.k8s.io writers.
    pub event_time: Option<Timestamp>,
    pub series: Option<EventSeries>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventObject {
    #[serde(deserialize_with = "nullable")]
    pub kind: String,
    #[serde(deserialize_with = "nullable")]
    pub name: String,
    #[serde(deserialize_with = "nullable")]
    pub namespace: String,
    #[serde(deserialize_with = "nullable")]
    pub uid: String,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EventSeries {
    pub count: Option<i64>,
    pub last_observed_time: Option<Timestamp>,
}

impl Event {
    /// How often it happened: the series count, else `count`, else once.
    pub fn occurrences(&self) -> i64 {
        self.series
            .as_ref()
            .and_then(|s| s.count)
            .or(self.count)
            .unwrap_or(1)
    }

    /// When it last happened, whichever field the writer filled in.
    pub fn last_seen(&self) -> Option<Timestamp> {
        self.series
            .as_ref()
            .and_then(|s| s.last_observed_time)
            .or(self.last_timestamp)
            .or(self.event_time)
            .or(self.first_timestamp)
            .or(self.metadata.creation_timestamp)
    }
}

#[cfg(test)]
mod tests {
    use super::{DaemonSet, Node, Pod, PodSpec, Shared};

    #[test]
    fn api_server_timestamps_read_directly_are_what_jiff_reads() {
        use jiff::Timestamp;
        // Every day boundary over four centuries and a spread of times of day (leap days, the
        // 100- and 400-year rules), and forms the fast reader leaves to jiff.
        let mut second = Timestamp::from_second(-2_208_988_800).unwrap().as_second(); // 1900
        let end = Timestamp::from_second(7_258_118_400).unwrap().as_second(); // 2200
        while second < end {
            let t = Timestamp::from_second(second).unwrap();
            let text = t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string();
            assert_eq!(super::utc_seconds(text.as_bytes()), Some(second), "{text}");
            second += 86_400 + 1_237;
        }
        for (text, fast) in [
            ("2024-02-29T23:59:59Z", true),
            ("2000-02-29T00:00:00Z", true),
            ("0001-01-01T00:00:00Z", true),
            ("9999-12-31T23:59:59Z", true),
            ("2023-02-29T00:00:00Z", false),
            ("1900-02-29T00:00:00Z", false),
            ("2026-04-31T00:00:00Z", false),
            ("2026-01-01T24:00:00Z", false),
            ("2026-12-31T23:59:60Z", false),
            ("2026-01-02T03:04:05.5Z", false),
            ("2026-01-02T03:04:05+01:00", false),
            ("2026-01-02t03:04:05z", false),
            ("2026-1-02T03:04:05Z", false),
        ] {
            let direct = super::utc_seconds(text.as_bytes());
            assert_eq!(direct.is_some(), fast, "{text}");
            let jiff: Result<Timestamp, _> = text.parse();
            // (9999-12-31T23:59:59Z is past jiff's last instant: both readers refuse it.)
            if let (Some(s), Ok(t)) = (direct, &jiff) {
                assert_eq!(t.as_second(), s, "{text}");
            }
            // Through serde either way: what jiff reads, or jiff's error.
            let json = serde_json::json!({ "metadata": { "creationTimestamp": text } });
            let read: Result<Node, _> = serde_json::from_value(json);
            match jiff {
                Ok(t) => assert_eq!(read.unwrap().metadata.creation_timestamp, Some(t), "{text}"),
                Err(_) => assert!(read.is_err(), "{text}"),
            }
        }
    }

    #[test]
    fn only_the_annotations_read_are_kept() {
        let node: Node = serde_json::from_str(
            r#"{"metadata": {"name": "n1", "annotations": {
                "csi.volume.kubernetes.io/nodeid": "{\"pd.csi.storage.gke.io\":\"projects/p/zones/z/instances/n1\"}",
                "node.alpha.kubernetes.io/ttl": "0"}}}"#,
        )
        .unwrap();
        assert!(node.metadata.annotations.is_empty());
        let ds: DaemonSet = serde_json::from_str(
            r#"{"metadata": {"name": "agent", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"kind\":\"DaemonSet\"}",
                "deprecated.daemonset.template.generation": "4"}}, "spec": {}}"#,
        )
        .unwrap();
        assert_eq!(
            ds.metadata.annotations.keys().collect::<Vec<_>>(),
            ["deprecated.daemonset.template.generation"]
        );
        assert_eq!(ds.template_generation(), Some(4));
        for absent in [
            r#"{"metadata": {"annotations": null}}"#,
            r#"{"metadata": {}}"#,
        ] {
            let node: Node = serde_json::from_str(absent).unwrap();
            assert!(node.metadata.annotations.is_empty(), "{absent}");
        }
        let mirror: Pod = serde_json::from_str(
            r#"{"metadata": {"name": "etcd-cp1", "annotations": {
                "kubernetes.io/config.mirror": "abc", "kubernetes.io/config.hash": "abc"}}}"#,
        )
        .unwrap();
        assert!(mirror.is_mirror());
        assert_eq!(mirror.metadata.annotations.len(), 1);
        let yaml: Node = serde_saphyr::from_str(
            "metadata:\n  name: n1\n  annotations:\n    node.alpha.kubernetes.io/ttl: \"0\"\n",
        )
        .unwrap();
        assert!(yaml.metadata.annotations.is_empty());
    }

    fn pod(name: &str, node: &str, hash: &str) -> Pod {
        serde_json::from_value(serde_json::json!({
            "metadata": {
                "name": name, "namespace": "kube-system", "uid": format!("uid-{name}"),
                "resourceVersion": "7",
                "labels": {"app": "agent", "controller-revision-hash": hash},
                "annotations": {"kubectl.kubernetes.io/restartedAt": "x"},
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "DaemonSet",
                    "name": "agent", "uid": "ds-uid", "controller": true}],
            },
            "spec": {"nodeName": node, "containers": [{"name": "agent", "image": "agent:1",
                "resources": {"requests": {"cpu": "100m"}}}]},
            "status": {"phase": "Running"},
        }))
        .unwrap()
    }

    #[test]
    fn pods_of_one_revision_share_labels_owners_and_containers() {
        let (a, b, c) = (
            pod("a", "n1", "h1"),
            pod("b", "n2", "h1"),
            pod("c", "n3", "h2"),
        );
        assert!(Shared::ptr_eq(&a.metadata.labels, &b.metadata.labels));
        assert!(!Shared::ptr_eq(&a.metadata.labels, &c.metadata.labels));
        assert_eq!(
            c.metadata.labels.get("controller-revision-hash").unwrap(),
            "h2"
        );
        assert!(Shared::ptr_eq(
            &a.metadata.owner_references,
            &c.metadata.owner_references
        ));
        assert_eq!(a.metadata.controller_ref().unwrap().name, "agent");
        assert!(Shared::ptr_eq(&a.spec.containers, &c.spec.containers));
        assert_eq!(
            a.spec.containers[0]
                .resources
                .requests
                .get("cpu")
                .unwrap()
                .0,
            "100m"
        );
        assert_eq!((a.name(), b.spec.node_name.as_str()), ("a", "n2"));
        assert!(!a.is_mirror() && a.metadata.annotations.is_empty());
    }

    /// Only the pods that have an overhead (or, unbound, an affinity) carry the box for them,
    /// and the pods of one overhead share it; the containers keep their restart policies.
    #[test]
    fn overheads_are_boxed_only_where_set_and_shared() {
        let spec = |node: &str, overhead: serde_json::Value| -> Pod {
            serde_json::from_value(serde_json::json!({"spec": {
                "nodeName": node, "overhead": overhead,
                "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution":
                    {"nodeSelectorTerms": [{"matchFields": [{"key": "metadata.name",
                        "operator": "In", "values": ["n1"]}]}]}}},
                "initContainers": [{"name": "sc", "restartPolicy": "Always"}],
            }}))
            .unwrap()
        };
        let kata = serde_json::json!({"cpu": "250m", "memory": "120Mi"});
        let (a, b) = (spec("n1", kata.clone()), spec("n2", kata));
        assert_eq!(a.spec.overhead().unwrap().get("memory").unwrap().0, "120Mi");
        assert!(Shared::ptr_eq(
            a.spec.rare.as_ref().unwrap().overhead.as_ref().unwrap(),
            b.spec.rare.as_ref().unwrap().overhead.as_ref().unwrap()
        ));
        assert!(a.spec.required_node_affinity().is_none(), "bound: dropped");
        assert!(a.spec.init_containers[0].restarts_always());
        for none in [serde_json::Value::Null, serde_json::json!({})] {
            let bound = spec("n1", none.clone());
            assert!(bound.spec.rare.is_none() && bound.spec.overhead().is_none());
            let unbound = spec("", none);
            assert!(unbound.spec.required_node_affinity().is_some());
            assert!(unbound.spec.overhead().is_none());
        }
    }

    /// Pod-level requests (`spec.resources.requests`) are kept in the rare box, shared by the
    /// pods that carry the same; their limits and an empty or null `resources` are not.
    #[test]
    fn pod_level_requests_are_kept_in_the_rare_box_and_shared() {
        let pod = |resources: serde_json::Value| -> Pod {
            serde_json::from_value(serde_json::json!({"spec": {
                "nodeName": "n1", "resources": resources,
                "containers": [{"name": "app", "resources": {"requests": {"cpu": "100m"}}}],
            }}))
            .unwrap()
        };
        let set = serde_json::json!({"requests": {"cpu": "800m"}, "limits": {"cpu": "1"}});
        let (a, b) = (pod(set.clone()), pod(set));
        let r = a.spec.pod_level_requests().unwrap();
        assert_eq!(r.get("cpu").unwrap().0, "800m");
        assert!(r.get("memory").is_none() && a.spec.overhead().is_none());
        assert!(Shared::ptr_eq(
            a.spec.rare.as_ref().unwrap().requests.as_ref().unwrap(),
            b.spec.rare.as_ref().unwrap().requests.as_ref().unwrap()
        ));
        for none in [
            serde_json::Value::Null,
            serde_json::json!({}),
            serde_json::json!({"limits": {"cpu": "1"}}),
        ] {
            let p = pod(none);
            assert!(p.spec.rare.is_none() && p.spec.pod_level_requests().is_none());
        }
        let template: PodSpec = serde_json::from_value(
            serde_json::json!({"resources": {"requests": {"memory": "1Gi"}}}),
        )
        .unwrap();
        assert_eq!(
            template
                .pod_level_requests()
                .unwrap()
                .get("memory")
                .unwrap()
                .0,
            "1Gi"
        );
        assert!(PodSpec::default().pod_level_requests().is_none());
    }

    fn with(meta: serde_json::Value, status: serde_json::Value) -> Pod {
        serde_json::from_value(serde_json::json!({"metadata": meta, "status": status})).unwrap()
    }

    #[test]
    fn a_daemon_pod_fits_in_a_few_hundred_bytes() {
        use std::mem::size_of;
        // Size checks, not timings: each byte here is 2 MB at 2 million pods (issue 19).
        assert!(
            size_of::<super::PodMeta>() <= 136,
            "{}",
            size_of::<super::PodMeta>()
        );
        assert!(size_of::<super::PodSpecSlim>() <= 40);
        assert!(size_of::<super::PodStatus>() <= 56);
        assert!(size_of::<Pod>() <= 232, "{}", size_of::<Pod>());
    }

    #[test]
    fn name_uid_and_resource_version_read_back_as_written_inline_or_not() {
        let long = "a-daemon-set-with-a-name-longer-than-thirty-bytes-x7k2p";
        let p = with(
            serde_json::json!({"name": long, "uid": "6014c695-7bd7-4c3b-bae1-d5beae441315",
                "resourceVersion": "123456789012345678901234"}),
            serde_json::json!({}),
        );
        assert_eq!(p.name(), long);
        assert!(matches!(p.metadata.name, super::InlineStr::Heap(_)));
        assert_eq!(p.metadata.uid, "6014c695-7bd7-4c3b-bae1-d5beae441315");
        assert!(matches!(p.metadata.uid, super::InlineStr::Inline(..)));
        assert_eq!(p.metadata.resource_version, "123456789012345678901234");
        let q = with(
            serde_json::json!({"name": "agent-x7k2p", "uid": "uid-1", "resourceVersion": "7",
                "creationTimestamp": "2026-01-02T03:04:05Z"}),
            serde_json::json!({}),
        );
        assert_eq!(
            (q.name(), q.metadata.uid.as_str()),
            ("agent-x7k2p", "uid-1")
        );
        assert!(matches!(q.metadata.name, super::InlineStr::Inline(..)));
        assert_eq!(q.metadata.keys().resource_version, "7");
        assert_eq!(
            q.metadata.creation_timestamp.get().unwrap().to_string(),
            "2026-01-02T03:04:05Z"
        );
        assert!(q.metadata.deletion_timestamp.is_none() && !q.is_terminating());
        assert!(p.metadata.creation_timestamp < q.metadata.creation_timestamp);
    }

    #[test]
    fn conditions_read_back_whether_kept_compact_or_whole() {
        let t = "2026-01-02T03:04:05Z";
        let ready = |status: &str, extra: serde_json::Value| {
            let mut c = serde_json::json!({"type": "Ready", "status": status,
                "lastTransitionTime": t});
            c.as_object_mut()
                .unwrap()
                .extend(extra.as_object().unwrap().clone());
            with(
                serde_json::json!({"name": "p"}),
                serde_json::json!({"conditions": [
                    {"type": "Initialized", "status": "True"}, c,
                    {"type": "PodScheduled", "status": "True"}]}),
            )
        };
        let now: jiff::Timestamp = "2026-01-02T03:05:05Z".parse().unwrap();
        let a = ready("True", serde_json::json!({}));
        assert!(matches!(
            a.status.conditions,
            super::PodConditions::ReadyTrue(_)
        ));
        assert!(a.is_ready() && a.is_available(60, now) && !a.is_available(61, now));
        let c = a.condition("Ready").unwrap();
        assert_eq!((c.type_.as_str(), c.status.as_str()), ("Ready", "True"));
        assert_eq!(c.last_transition_time.unwrap().to_string(), t);
        assert!(a.condition("PodScheduled").is_none() && a.condition("Initialized").is_none());
        let b = ready("False", serde_json::json!({}));
        assert!(matches!(
            b.status.conditions,
            super::PodConditions::ReadyFalse(_)
        ));
        assert!(!b.is_ready() && b.condition("Ready").unwrap().status == "False");
        let c = ready(
            "False",
            serde_json::json!({"reason": "ContainersNotReady",
            "message": "containers with unready status: [agent]"}),
        );
        assert!(matches!(c.status.conditions, super::PodConditions::Kept(_)));
        let r = c.condition("Ready").unwrap();
        assert_eq!(r.message, "containers with unready status: [agent]");
        assert_eq!(r.reason, "ContainersNotReady");
        let u = ready("Unknown", serde_json::json!({}));
        assert_eq!(u.condition("Ready").unwrap().status, "Unknown");
        let pending = with(
            serde_json::json!({"name": "p"}),
            serde_json::json!({"conditions": [{"type": "PodScheduled", "status": "False",
                "reason": "Unschedulable", "message": "0/3 nodes are available"}]}),
        );
        assert!(!pending.is_ready());
        assert_eq!(
            pending.condition("PodScheduled").unwrap().message,
            "0/3 nodes are available"
        );
        let none = with(serde_json::json!({"name": "p"}), serde_json::json!({}));
        assert!(none.condition("Ready").is_none() && !none.is_ready());
    }
}
