//! One parsed document (a `kubectl get` object, a `List`, a typed list, a bare array), decoded
//! item by item: each item becomes a typed object as soon as it is read, so a `List` of a
//! million objects is never held as one `Value` tree. Items without `kind` are kept as `Value`s
//! until the loader can tell their kind (the list's kind, their selfLink, the file's name).

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::hash::{self, content_hash};
use super::pyclient;
use crate::model::{ControllerRevision, DaemonSet, Node, Pod};

/// One object of a document, decoded. Unboxed: the items are mostly pods, each moved once into
/// the snapshot.
#[allow(clippy::large_enum_variant)]
pub(super) enum Item {
    Node(Node),
    Pod(Pod),
    DaemonSet(DaemonSet),
    Revision(ControllerRevision),
    /// An object without `kind` (sonobuoy's bare arrays, kindless support-bundle lists).
    Kindless(Value),
    /// A scalar where an object was expected.
    Bare,
}

/// An item and a hash of its content (for "same UID, different content").
pub(super) struct Decoded {
    pub item: Item,
    /// The content hash ([`super::hash`]); where `text_at` is set, a hash of the item's bytes.
    pub hash: u64,
    /// Where the item's text lies in its input, when the input can be read again: its content
    /// hash is taken from there only if another copy of the object is met
    /// (`Loader::same_content`), and `hash` is then of its bytes.
    pub text_at: Option<TextAt>,
}

/// Where an item's text lies in its input.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct TextAt {
    pub offset: u64,
    pub len: usize,
    /// A YAML list item (a `- ` block, as `kubectl get -o yaml` writes them), else a JSON value.
    pub yaml: bool,
}

impl Decoded {
    pub fn hashed(item: Item, hash: u64) -> Decoded {
        Decoded {
            item,
            hash,
            text_at: None,
        }
    }

    /// An item read from `text`, which lies at `offset` in an input that can be read again:
    /// hashed by its bytes (its content is hashed only if another copy is met).
    pub fn placed(item: Item, text: &[u8], offset: u64, yaml: bool) -> Decoded {
        Decoded {
            item,
            hash: crate::fasthash::bytes_hash(text),
            text_at: Some(TextAt {
                offset,
                len: text.len(),
                yaml,
            }),
        }
    }
}

#[derive(Default)]
pub(super) struct Doc {
    pub items: Vec<Decoded>,
}

impl<'de> Deserialize<'de> for Doc {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor {
            emit: None,
            yaml: false,
        })
    }
}

/// Where typed list items go as soon as they are decoded, instead of into the [`Doc`]: a
/// 5,000-node `kubectl get … -o json` is one `List` of 200,000 objects, which would otherwise
/// all be held in the `Doc` before the first reaches the snapshot. Items without a kind stay in
/// the `Doc` (the list's kind, read after them, may still tell theirs).
pub(super) type Emit<'s> = &'s mut dyn FnMut(Decoded) -> Result<(), String>;

/// [`Doc`] decoded with its typed list items handed to an [`Emit`].
pub(super) struct DocSeed<'s>(pub Emit<'s>);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Doc;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc, D::Error> {
        d.deserialize_any(DocVisitor {
            emit: Some(self.0),
            yaml: true,
        })
    }
}

/// Whether a YAML list whose other top-level members are `rest` looks like kubectl's cut
/// short: `kubectl get -o yaml` writes `apiVersion`, then `items`, then `kind` and `metadata`
/// (keys sorted), so a list with the first but neither of the last was most likely truncated
/// — still YAML, and it would be audited as a cluster that lost its last pods. A list written
/// by hand with `items` alone is read as before.
pub(super) fn looks_cut_short(rest: &Map<String, Value>) -> bool {
    rest.contains_key("apiVersion") && !rest.contains_key("kind") && !rest.contains_key("metadata")
}

/// What a YAML list that [`looks_cut_short`] is told.
pub(super) const CUT_SHORT: &str = "a list ends here with `apiVersion` but without `kind` or \
     `metadata` after its items (kubectl writes both): the file looks cut short; if it is whole, add `kind: List`";

/// Leads the message of an object's own fault (a field of the wrong type, ...) met by the YAML
/// reader: the YAML is valid, so the error is not worded "invalid YAML" ([`object_fault`]). A
/// control character, never in a message of serde-saphyr's or in text read.
const OBJECT_FAULT: &str = "\u{1}object: ";

/// An object's fault as a deserializer's error, marked as such for YAML ([`OBJECT_FAULT`]).
fn fault<E: de::Error>(yaml: bool, msg: String) -> E {
    if yaml {
        E::custom(format_args!("{OBJECT_FAULT}{msg}"))
    } else {
        E::custom(msg)
    }
}

/// The object's fault a YAML reader's error carries, if that is what it is (a custom error of
/// [`DocVisitor`]'s, maybe behind serde-saphyr's wrappers), its control characters escaped as
/// serde-saphyr escapes them in its own messages.
pub(super) fn object_fault(e: &serde_saphyr::Error) -> Option<String> {
    use serde_saphyr::Error;
    let mut e = e;
    loop {
        match e {
            Error::WithSnippet { error, .. } | Error::AliasError { error, .. } => e = error,
            Error::Message { msg, .. } => {
                let object = msg.strip_prefix(OBJECT_FAULT)?;
                return Some(object.chars().fold(String::new(), |mut s, c| {
                    if c.is_control() {
                        s.extend(c.escape_debug());
                    } else {
                        s.push(c);
                    }
                    s
                }));
            }
            _ => return None,
        }
    }
}

struct DocVisitor<'s> {
    emit: Option<Emit<'s>>,
    /// A YAML document: a list that ends without `kind` or `metadata` is refused ([`CUT_SHORT`];
    /// a JSON one cut short is not JSON).
    yaml: bool,
}

impl<'de> Visitor<'de> for DocVisitor<'_> {
    type Value = Doc;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("Kubernetes objects")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Doc, E> {
        Ok(Doc::default())
    }

    fn visit_none<E: de::Error>(self) -> Result<Doc, E> {
        Ok(Doc::default())
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Doc, E> {
        Ok(bare())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Doc, E> {
        Ok(bare())
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Doc, E> {
        Ok(bare())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Doc, E> {
        Ok(bare())
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Doc, E> {
        Ok(bare())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc, A::Error> {
        let mut doc = Doc::default();
        while let Some(v) = seq.next_element::<Value>()? {
            classify(v, None, &mut doc.items).map_err(|e| fault(self.yaml, e))?;
        }
        Ok(doc)
    }

    fn visit_map<A: MapAccess<'de>>(mut self, mut map: A) -> Result<Doc, A::Error> {
        let mut rest = Map::new();
        let mut items: Option<Vec<Decoded>> = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" && items.is_none() {
                // A typed list's kind read before its items (the API server and kubectl write
                // `kind` first) types each item as it is read: kindless items would otherwise
                // be held as `Value`s until the list ends (a 5,000-node `PodList`: 13 GiB).
                let implied =
                    items_kind(rest.get("kind").and_then(Value::as_str)).map(str::to_string);
                items = Some(map.next_value_seed(ItemsSeed {
                    implied,
                    emit: self.emit.take(),
                    yaml: self.yaml,
                })?);
            } else {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
            }
        }
        let kind = rest
            .get("kind")
            .and_then(Value::as_str)
            .filter(|k| !k.is_empty())
            .map(str::to_string);
        if self.yaml && items.is_some() && looks_cut_short(&rest) {
            return Err(de::Error::custom(CUT_SHORT));
        }
        let Some(items) = items else {
            // A single object.
            let mut doc = Doc::default();
            classify(Value::Object(rest), None, &mut doc.items).map_err(|e| fault(self.yaml, e))?;
            return Ok(doc);
        };
        if !kind.as_deref().is_none_or(|k| k.ends_with("List")) {
            // Some other kind with an `items` field: not one the audit reads.
            return Ok(Doc::default());
        }
        // A List, a typed list (`NodeList`: items carry no kind), or a kindless list.
        let implied = items_kind(kind.as_deref());
        let mut doc = Doc::default();
        for d in items {
            match (d.item, implied) {
                (Item::Kindless(v), Some(k)) => {
                    classify(v, Some(k), &mut doc.items).map_err(|e| fault(self.yaml, e))?
                }
                (item, _) => doc.items.push(Decoded::hashed(item, d.hash)),
            }
        }
        Ok(doc)
    }
}

/// The kind of a list's items as its own kind says it (`PodList`: `Pod`; `List`: none).
pub(super) fn items_kind(list_kind: Option<&str>) -> Option<&str> {
    list_kind
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty())
}

fn bare() -> Doc {
    Doc {
        items: vec![Decoded::hashed(Item::Bare, 0)],
    }
}

/// A list's `items`, each decoded as soon as it is read (and emitted, if there is an
/// [`Emit`]); `implied`: the kind its items have when they carry none, if the list's kind
/// says it.
struct ItemsSeed<'s> {
    implied: Option<String>,
    emit: Option<&'s mut dyn FnMut(Decoded) -> Result<(), String>>,
    /// Read by the YAML reader ([`DocVisitor`]'s `yaml`).
    yaml: bool,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_> {
    type Value = Vec<Decoded>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Vec<Decoded>, D::Error> {
        d.deserialize_any(ItemsVisitor(self))
    }
}

struct ItemsVisitor<'s>(ItemsSeed<'s>);

impl<'de> Visitor<'de> for ItemsVisitor<'_> {
    type Value = Vec<Decoded>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects in `items`")
    }

    fn visit_unit<E: de::Error>(self) -> Result<Vec<Decoded>, E> {
        Ok(Vec::new())
    }

    fn visit_none<E: de::Error>(self) -> Result<Vec<Decoded>, E> {
        Ok(Vec::new())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Decoded>, A::Error> {
        let ItemsSeed {
            implied,
            mut emit,
            yaml,
        } = self.0;
        let mut out = Vec::new();
        let mut one = Vec::new();
        while let Some(v) = seq.next_element::<Value>()? {
            let Some(emit) = emit.as_deref_mut() else {
                classify(v, implied.as_deref(), &mut out).map_err(|e| fault(yaml, e))?;
                continue;
            };
            // Typed items leave now; kindless ones wait in the Doc.
            classify(v, implied.as_deref(), &mut one).map_err(|e| fault(yaml, e))?;
            for d in one.drain(..) {
                match d.item {
                    Item::Kindless(_) => out.push(d),
                    _ => emit(d).map_err(de::Error::custom)?,
                }
            }
        }
        Ok(out)
    }
}

/// Decode one value: an object (typed by its kind or `implied`), a list, an array, or nothing.
pub(super) fn classify(
    v: Value,
    implied: Option<&str>,
    out: &mut Vec<Decoded>,
) -> Result<(), String> {
    match v {
        Value::Null => Ok(()),
        Value::Array(a) => {
            for x in a {
                classify(x, implied, out)?;
            }
            Ok(())
        }
        Value::Object(mut o) => {
            if pyclient::is_pyclient(&o) {
                o = pyclient::to_api(o)?;
            }
            let kind = o
                .get("kind")
                .and_then(Value::as_str)
                .filter(|k| !k.is_empty())
                .map(str::to_string)
                .or_else(|| implied.map(str::to_string));
            if matches!(o.get("items"), Some(Value::Array(_)))
                && kind.as_deref().is_none_or(|k| k.ends_with("List"))
            {
                let Some(Value::Array(items)) = o.remove("items") else {
                    return Ok(());
                };
                let implied = items_kind(kind.as_deref());
                for x in items {
                    classify(x, implied, out)?;
                }
                return Ok(());
            }
            match kind {
                None => {
                    out.push(Decoded::hashed(Item::Kindless(Value::Object(o)), 0));
                    Ok(())
                }
                Some(k) => decode(&k, Value::Object(o), out),
            }
        }
        _ => {
            out.push(Decoded::hashed(Item::Bare, 0));
            Ok(())
        }
    }
}

/// A typed object from a value whose kind is known; kinds the audit does not read are dropped.
pub(super) fn decode(kind: &str, v: Value, out: &mut Vec<Decoded>) -> Result<(), String> {
    if !matches!(kind, "Node" | "Pod" | "DaemonSet" | "ControllerRevision") {
        return Ok(());
    }
    let hash = content_hash(&v);
    let bad = |e: serde_json::Error, v: &Value| {
        format!("{kind} {}: {}", object_name(v), in_words(&e.to_string()))
    };
    let item = match kind {
        "Node" => Item::Node(Node::deserialize(&v).map_err(|e| bad(e, &v))?),
        "Pod" => Item::Pod(Pod::deserialize(&v).map_err(|e| bad(e, &v))?),
        "DaemonSet" => {
            Item::DaemonSet(super::daemon_set_from_value(v).map_err(|(e, v)| bad(e, &v))?)
        }
        _ => Item::Revision(ControllerRevision::deserialize(&v).map_err(|e| bad(e, &v))?),
    };
    out.push(Decoded::hashed(item, hash));
    Ok(())
}

/// A decoding error as its reader says it: serde's "expected struct ObjectMeta" becomes
/// "expected an object (ObjectMeta)" (the type named as the API names it, as kube-apiserver's
/// own errors do), the rest as it is.
pub(super) fn in_words(msg: &str) -> String {
    match msg.split_once("expected struct ") {
        Some((before, name)) => format!("{before}expected an object ({name})"),
        None => msg.to_string(),
    }
}

pub(super) fn object_name(v: &Value) -> String {
    let get = |k: &str| {
        v.get("metadata")
            .and_then(|m| m.get(k))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    match (get("namespace"), get("name")) {
        ("", "") => "(unnamed)".into(),
        ("", n) => n.into(),
        (ns, n) => format!("{ns}/{n}"),
    }
}

/// Why an item's text could not be read: the JSON itself (with a position inside the item), or
/// the object in it.
pub(super) enum TextFail {
    Json(serde_json::Error),
    Object(String),
}

impl From<serde_json::Error> for TextFail {
    fn from(e: serde_json::Error) -> Self {
        TextFail::Json(e)
    }
}

/// Decode one JSON value given as text (a list item, a document) straight into its typed
/// object, as the live path decodes a page (`src/source/cluster.rs`): one pass hashes it and
/// reads its `kind` ([`hash::head`]), a second decodes it into the kind's type, with no `Value`
/// tree between. Shapes that need one (items without a kind, Python-client objects, lists
/// inside the input, arrays, scalars) go through [`classify`] as before.
pub(super) fn decode_text(
    text: &str,
    implied: Option<&str>,
    out: &mut Vec<Decoded>,
) -> Result<(), TextFail> {
    let head = hash::head(&mut serde_json::Deserializer::from_str(text))?;
    let kind = head.typed_kind(implied);
    let Some(kind) = kind else {
        let v: Value = serde_json::from_str(text)?;
        return classify(v, implied, out).map_err(TextFail::Object);
    };
    let bad = |e: serde_json::Error| {
        let name = serde_json::from_str::<Value>(text)
            .map(|v| object_name(&v))
            .unwrap_or_else(|_| "(unnamed)".into());
        let msg = e.to_string();
        let msg = msg.rfind(" at line ").map_or(&msg[..], |i| &msg[..i]);
        TextFail::Object(format!("{kind} {name}: {}", in_words(msg)))
    };
    let item =
        match kind {
            "Node" => Item::Node(serde_json::from_str(text).map_err(bad)?),
            "Pod" => Item::Pod(serde_json::from_str(text).map_err(bad)?),
            "ControllerRevision" => Item::Revision(serde_json::from_str(text).map_err(bad)?),
            "DaemonSet" => {
                // Few, and their template is kept raw for revision comparison.
                let v: Value = serde_json::from_str(text)?;
                Item::DaemonSet(super::daemon_set_from_value(v).map_err(|(e, v)| {
                    TextFail::Object(format!("{kind} {}: {e}", object_name(&v)))
                })?)
            }
            _ => return Ok(()),
        };
    out.push(Decoded::hashed(item, head.hash));
    Ok(())
}
