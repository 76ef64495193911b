//! The content hash behind "same UID, other content", taken while an object's text is parsed
//! (no `Value` tree), and the few top-level facts the reader needs to type it on the way.
//!
//! "Same content" means the same data, not the same bytes: key order, whitespace and the
//! format do not count, so one object written by `kubectl get -o json` (the API server's field
//! order) and by `kubectl get -o yaml` (keys sorted) hashes the same. Maps hash as the
//! wrapping sum of their entries' hashes (order-independent), arrays in order; strings,
//! integers, floats, booleans and null each under their own tag. A `serde_json::Value` hashes
//! the same way through [`content_hash`], so objects read through a `Value` (kindless items,
//! Python-client dumps, YAML) and objects read from JSON text compare as equals.
//!
//! `metadata.managedFields` is not content: the API server's bookkeeping of which manager set
//! which field, which `kubectl get` shows or leaves out (`--show-managed-fields`), so two
//! captures of one object differ by it alone. Every hash of an object leaves it out alike:
//! [`head`], [`content_hash`] and the one-pass decoder (`tee.rs`).

use std::fmt;
use std::hash::Hasher;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;

const NULL: u8 = 0;
const BOOL: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const STR: u8 = 4;
const SEQ: u8 = 5;
const MAP: u8 = 6;

/// The hash only tells whether two copies of an object differ: an unkeyed hasher
/// (`crate::fasthash`); SipHash's resistance to chosen inputs buys nothing here and cost a third
/// of the time of reading a dump.
type Fast = crate::fasthash::FastHasher;

fn tagged(tag: u8) -> Fast {
    let mut h = Fast::default();
    h.write_u8(tag);
    h
}

// The hash of each kind of value, shared by the visitor below and by the decoder that hashes as
// it decodes (`tee.rs`), so that both give one object the same hash.

pub(super) fn null() -> u64 {
    tagged(NULL).finish()
}

pub(super) fn boolean(b: bool) -> u64 {
    let mut h = tagged(BOOL);
    h.write_u8(u8::from(b));
    h.finish()
}

pub(super) fn int(i: i128) -> u64 {
    let mut h = tagged(INT);
    h.write_i128(i);
    h.finish()
}

pub(super) fn uint(u: u128) -> u64 {
    i128::try_from(u).map_or_else(|_| string(&u.to_string()), int)
}

pub(super) fn float(f: f64) -> u64 {
    let mut h = tagged(FLOAT);
    h.write_u64(f.to_bits());
    h.finish()
}

pub(super) fn string(s: &str) -> u64 {
    let mut h = tagged(STR);
    h.write(s.as_bytes());
    h.finish()
}

/// An array's hash, element by element in order.
pub(super) struct SeqHash {
    h: Fast,
    n: u64,
}

impl SeqHash {
    pub(super) fn new() -> Self {
        SeqHash {
            h: tagged(SEQ),
            n: 0,
        }
    }

    pub(super) fn add(&mut self, element: u64) {
        self.h.write_u64(element);
        self.n += 1;
    }

    pub(super) fn finish(mut self) -> u64 {
        self.h.write_u64(self.n);
        self.h.finish()
    }
}

/// A map's hash: the wrapping sum of its entries' hashes, whatever their order.
#[derive(Default)]
pub(super) struct MapHash {
    sum: u64,
    n: u64,
}

impl MapHash {
    pub(super) fn add(&mut self, key: u64, value: u64) {
        let mut e = Fast::default();
        e.write_u64(key);
        e.write_u64(value);
        self.sum = self.sum.wrapping_add(e.finish());
        self.n += 1;
    }

    pub(super) fn finish(self) -> u64 {
        let mut h = tagged(MAP);
        h.write_u64(self.n);
        h.write_u64(self.sum);
        h.finish()
    }
}

/// The content hash of the value a deserializer holds.
pub(super) fn any<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    Seed(Cap::None, true).deserialize(d)
}

/// The content hash of an object already parsed: the hash [`head`] takes of its text.
pub(super) fn content_hash(v: &Value) -> u64 {
    // A `&Value` is a deserializer that cannot fail on this visitor.
    let mut head = Head::default();
    Seed(Cap::Top(&mut head), true).deserialize(v).unwrap_or(0)
}

/// What an object's top level says, read while it is hashed.
#[derive(Default)]
pub(super) struct Head {
    pub hash: u64,
    /// The value is an object (not an array or a scalar).
    pub object: bool,
    /// Its `kind`, when a string.
    pub kind: Option<String>,
    /// Python-client shape: `api_version` at the top or `creation_timestamp` in `metadata`
    /// (`pyclient::is_pyclient`).
    pub pyclient: bool,
    /// It has an `items` array (a list inside the input).
    pub items: bool,
}

impl Head {
    /// The kind to decode the object as (its own `kind`, or the list's `implied`), when it can
    /// be decoded straight into a type: `None` for shapes that need a `Value` (not an object,
    /// kindless, a Python-client object, a list inside the input).
    pub fn typed_kind<'a>(&'a self, implied: Option<&'a str>) -> Option<&'a str> {
        self.kind
            .as_deref()
            .filter(|k| !k.is_empty())
            .or(implied)
            .filter(|_| self.object && !self.pyclient && !self.items)
    }
}

/// Hash one object's text and read its [`Head`].
pub(super) fn head<'de, D: Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
    let mut head = Head::default();
    let hash = Seed(Cap::Top(&mut head), true).deserialize(d)?;
    head.hash = hash;
    Ok(head)
}

/// An object's [`Head`] without its hash (`hash` is 0): only the top level and `metadata`'s keys
/// are read, every other value skipped by the parser.
pub(super) fn head_unhashed<'de, D: Deserializer<'de>>(d: D) -> Result<Head, D::Error> {
    let mut head = Head::default();
    Seed(Cap::Top(&mut head), false).deserialize(d)?;
    Ok(head)
}

/// What a value being hashed should also tell.
enum Cap<'a> {
    None,
    /// The object's top level.
    Top(&'a mut Head),
    /// The value of `kind`.
    Kind(&'a mut Option<String>),
    /// The value of `items`: whether it is an array.
    Items(&'a mut bool),
    /// The value of `metadata`: whether it has `creation_timestamp`.
    Meta(&'a mut bool),
}

/// What to look for, and whether to hash (else values looked at for nothing are skipped).
struct Seed<'a>(Cap<'a>, bool);

impl<'de> DeserializeSeed<'de> for Seed<'_> {
    type Value = u64;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        if !self.1 && matches!(self.0, Cap::None) {
            d.deserialize_ignored_any(de::IgnoredAny)?;
            return Ok(0);
        }
        d.deserialize_any(HashVisitor(self.0, self.1))
    }
}

struct HashVisitor<'a>(Cap<'a>, bool);

impl<'de> Visitor<'de> for HashVisitor<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }

    fn visit_unit<E: de::Error>(self) -> Result<u64, E> {
        Ok(null())
    }

    fn visit_none<E: de::Error>(self) -> Result<u64, E> {
        self.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<u64, E> {
        Ok(boolean(b))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<u64, E> {
        Ok(int(i128::from(i)))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<u64, E> {
        Ok(int(i128::from(u)))
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<u64, E> {
        Ok(int(i))
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<u64, E> {
        Ok(uint(u))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<u64, E> {
        Ok(float(f))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<u64, E> {
        if let Cap::Kind(k) = self.0 {
            *k = Some(s.to_string());
        }
        Ok(string(s))
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<u64, E> {
        Ok(string(&String::from_utf8_lossy(b)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        if let Cap::Items(i) = self.0 {
            *i = true;
        }
        let mut h = SeqHash::new();
        while let Some(x) = seq.next_element_seed(Seed(Cap::None, self.1))? {
            h.add(x);
        }
        Ok(h.finish())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u64, A::Error> {
        let (mut cap, hashing) = (self.0, self.1);
        let mut h = MapHash::default();
        if let Cap::None = cap {
            // Nothing to look for: the keys are hashed as any value, unnamed.
            while let Some(k) = map.next_key_seed(Seed(Cap::None, hashing))? {
                h.add(k, map.next_value_seed(Seed(Cap::None, hashing))?);
            }
            return Ok(h.finish());
        }
        if let Cap::Top(head) = &mut cap {
            head.object = true;
        }
        while let Some((k, name)) = map.next_key_seed(KeySeed)? {
            let v = match (&mut cap, name) {
                (Cap::Top(head), Name::Kind) => {
                    map.next_value_seed(Seed(Cap::Kind(&mut head.kind), hashing))?
                }
                (Cap::Top(head), Name::Items) => {
                    map.next_value_seed(Seed(Cap::Items(&mut head.items), hashing))?
                }
                (Cap::Top(head), Name::Metadata) => {
                    map.next_value_seed(Seed(Cap::Meta(&mut head.pyclient), hashing))?
                }
                (Cap::Top(head), Name::ApiVersion) => {
                    head.pyclient = true;
                    map.next_value_seed(Seed(Cap::None, hashing))?
                }
                (Cap::Meta(py), Name::CreationTimestamp) => {
                    **py = true;
                    map.next_value_seed(Seed(Cap::None, hashing))?
                }
                (Cap::Meta(_), Name::ManagedFields) => {
                    // Not content (see the module's comment): neither key nor value counts.
                    map.next_value::<de::IgnoredAny>()?;
                    continue;
                }
                _ => map.next_value_seed(Seed(Cap::None, hashing))?,
            };
            h.add(k, v);
        }
        Ok(h.finish())
    }
}

/// The keys the reader looks for.
#[derive(Clone, Copy)]
enum Name {
    Kind,
    Items,
    Metadata,
    ApiVersion,
    CreationTimestamp,
    ManagedFields,
    Other,
}

/// A map key: its hash (as any value) and which key it is.
struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = (u64, Name);

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(u64, Name), D::Error> {
        d.deserialize_any(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = (u64, Name);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a map key")
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<(u64, Name), E> {
        let name = match s {
            "kind" => Name::Kind,
            "items" => Name::Items,
            "metadata" => Name::Metadata,
            "api_version" => Name::ApiVersion,
            "creation_timestamp" => Name::CreationTimestamp,
            "managedFields" => Name::ManagedFields,
            _ => Name::Other,
        };
        Ok((string(s), name))
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<(u64, Name), E> {
        Ok((HashVisitor(Cap::None, true).visit_bool(b)?, Name::Other))
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<(u64, Name), E> {
        Ok((int(i128::from(i)), Name::Other))
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<(u64, Name), E> {
        Ok((int(i128::from(u)), Name::Other))
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<(u64, Name), E> {
        Ok((HashVisitor(Cap::None, true).visit_f64(f)?, Name::Other))
    }

    fn visit_unit<E: de::Error>(self) -> Result<(u64, Name), E> {
        Ok((null(), Name::Other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of_text(text: &str) -> Head {
        head(&mut serde_json::Deserializer::from_str(text)).unwrap()
    }

    #[test]
    fn text_and_value_hash_alike_whatever_the_key_order_or_spacing() {
        let a = r#"{"kind":"Pod","metadata":{"name":"a","labels":{"x":"1","y":"2"}},"spec":{"n":[1,2.5,true,null]}}"#;
        let b = "{ \"spec\": {\"n\": [1, 2.5, true, null]},\n  \"metadata\": {\"labels\": {\"y\": \"2\", \"x\": \"1\"}, \"name\": \"a\"}, \"kind\": \"Pod\" }";
        let v: Value = serde_json::from_str(a).unwrap();
        assert_eq!(of_text(a).hash, of_text(b).hash);
        assert_eq!(of_text(a).hash, content_hash(&v));
        assert_eq!(of_text(a).kind.as_deref(), Some("Pod"));
    }

    #[test]
    fn any_change_of_data_changes_the_hash() {
        let base = of_text(r#"{"a":{"b":"1","c":[1,2]}}"#).hash;
        for other in [
            r#"{"a":{"b":"2","c":[1,2]}}"#,
            r#"{"a":{"b":1,"c":[1,2]}}"#,
            r#"{"a":{"b":"1","c":[2,1]}}"#,
            r#"{"a":{"b":"1","c":[1,2],"d":null}}"#,
            r#"{"a":{"c":"1","b":[1,2]}}"#,
            r#"{"a":{"b":"1","c":[1.0,2]}}"#,
            r#"{"a":{"b":"1"},"c":[1,2]}"#,
        ] {
            assert_ne!(of_text(other).hash, base, "{other}");
        }
    }

    #[test]
    fn the_head_tells_kind_lists_and_python_client_shapes() {
        let h = of_text(r#"{"apiVersion":"v1","kind":"List","items":[{"kind":"Pod"}]}"#);
        assert!(h.object && h.items && !h.pyclient);
        assert_eq!(h.kind.as_deref(), Some("List"));
        // `kind` and `items` only count at the top.
        let h = of_text(r#"{"spec":{"kind":"Pod","items":[]}}"#);
        assert!(h.object && !h.items && h.kind.is_none());
        assert!(of_text(r#"{"api_version":"v1","kind":"Pod"}"#).pyclient);
        assert!(of_text(r#"{"metadata":{"creation_timestamp":null}}"#).pyclient);
        assert!(!of_text(r#"{"spec":{"creation_timestamp":null}}"#).pyclient);
        assert!(!of_text("[1]").object);
    }
}
