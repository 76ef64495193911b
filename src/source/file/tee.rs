//! Decoding an object into its type and taking its content hash ([`super::hash`]) in the same
//! pass: a `Deserializer` that wraps the parser's and hashes every value as the typed decode
//! reads it. The typed decode skips most of an object (`IgnoredAny`: a pod's env, probes,
//! volumes…); the skipped values are hashed here all the same, so the hash is the one
//! `hash::head` takes of the whole text, and objects read this way compare with objects read
//! from a `Value` or from YAML.
//!
//! It also notes what `hash::head` reads at the top of the object (its `kind`, whether it is an
//! object at all), and marks as *odd* what the reader handles another way (a Python-client
//! shape, an `items` member, a map key that is not a string, an enum): the caller then decodes
//! the text again the general way, so that an odd object reads exactly as before.
//!
//! [`Unhashed`] does the same without the hash, for items of a file that can be read again:
//! their skipped values are left to the parser's own skipping (syntax checked, not parsed), and
//! the loader hashes an item's text by content only if another copy of it is met.

use std::cell::{Cell, RefCell};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::hash;

/// An object decoded as `T`, its content hash, and what its top level says.
pub(super) struct Teed<T> {
    pub value: T,
    pub hash: u64,
    /// The top-level `kind`, when a string.
    pub kind: Option<String>,
    /// The value is an object.
    pub object: bool,
    /// Something is read another way (see the module's comment): decode the text again.
    pub odd: bool,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Teed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        teed(d, true)
    }
}

/// A [`Teed`] without the content hash (`hash` is 0): what the top level says is still noted,
/// and skipped values are skipped by the parser, not read. For items whose text can be read
/// again to hash it if it is ever compared (`Loader::same_content`).
pub(super) struct Unhashed<T>(pub Teed<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Unhashed<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        teed(d, false).map(Unhashed)
    }
}

fn teed<'de, T: Deserialize<'de>, D: Deserializer<'de>>(
    d: D,
    hashing: bool,
) -> Result<Teed<T>, D::Error> {
    let seen = Seen {
        hashing,
        ..Seen::default()
    };
    let slot = Cell::new(0);
    let value = T::deserialize(Tee {
        d,
        slot: &slot,
        seen: &seen,
        at: At::Top,
        next: None,
    })?;
    Ok(Teed {
        value,
        hash: if hashing { slot.get() } else { 0 },
        kind: seen.kind.into_inner(),
        object: seen.object.get(),
        odd: seen.odd.get(),
    })
}

#[derive(Default)]
struct Seen {
    /// Whether values are hashed (else only the top level is noted).
    hashing: bool,
    kind: RefCell<Option<String>>,
    object: Cell<bool>,
    odd: Cell<bool>,
}

/// Where a value stands, for what `hash::head` reads.
#[derive(Clone, Copy)]
enum At {
    /// The object itself.
    Top,
    /// The value of the top-level `metadata`.
    Meta,
    /// The value of the top-level `kind`.
    Kind,
    /// A map key, in a map standing at the given place.
    Key(Parent),
    /// The value of `metadata.managedFields`: not hashed (see `hash`'s module comment).
    Unhashed,
    Other,
}

#[derive(Clone, Copy)]
enum Parent {
    Top,
    Meta,
    Other,
}

/// The wrapped deserializer of one value; its hash goes to `slot`. A key also tells the place
/// of its value (`next`).
struct Tee<'s, D> {
    d: D,
    slot: &'s Cell<u64>,
    seen: &'s Seen,
    at: At,
    next: Option<&'s Cell<At>>,
}

impl<'s, D> Tee<'s, D> {
    fn visitor<V>(&self, v: V) -> TeeVisitor<'s, V> {
        TeeVisitor {
            v,
            slot: self.slot,
            seen: self.seen,
            at: self.at,
            next: self.next,
        }
    }
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(
            fn $name<V: Visitor<'de>>(self, $($arg: $ty,)* v: V) -> Result<V::Value, D::Error> {
                let tv = self.visitor(v);
                self.d.$name($($arg,)* tv)
            }
        )*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for Tee<'_, D> {
    type Error = D::Error;

    forward! {
        deserialize_any();
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_bytes();
        deserialize_byte_buf();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_newtype_struct(name: &'static str);
        deserialize_seq();
        deserialize_tuple(len: usize);
        deserialize_tuple_struct(name: &'static str, len: usize);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
        deserialize_identifier();
    }

    /// A skipped value is read all the same, to hash it ([`Unhashed`]: the parser skips it).
    fn deserialize_ignored_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, D::Error> {
        match self.at {
            At::Unhashed => {
                self.d.deserialize_ignored_any(IgnoredAny)?;
            }
            At::Other if !self.seen.hashing => {
                self.d.deserialize_ignored_any(IgnoredAny)?;
            }
            // Nothing to note below: the plain hash.
            At::Other => self.slot.set(hash::any(self.d)?),
            _ => {
                let tv = self.visitor(IgnoredAny);
                self.d.deserialize_any(tv)?;
            }
        }
        v.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        self.d.is_human_readable()
    }
}

struct TeeVisitor<'s, V> {
    v: V,
    slot: &'s Cell<u64>,
    seen: &'s Seen,
    at: At,
    next: Option<&'s Cell<At>>,
}

impl<'s, V> TeeVisitor<'s, V> {
    /// A scalar's hash; a key that is not a string is odd.
    fn scalar(&self, h: u64) {
        self.slot.set(h);
        if let At::Key(_) = self.at {
            self.seen.odd.set(true);
        }
    }

    fn string(&self, s: &str) {
        if self.seen.hashing {
            self.slot.set(hash::string(s));
        }
        match self.at {
            At::Kind => *self.seen.kind.borrow_mut() = Some(s.to_string()),
            At::Key(parent) => {
                let next = match (parent, s) {
                    (Parent::Top, "kind") => At::Kind,
                    (Parent::Top, "metadata") => At::Meta,
                    // A Python-client shape (`pyclient::is_pyclient`) or a list inside the
                    // input: read another way.
                    (Parent::Top, "api_version" | "items")
                    | (Parent::Meta, "creation_timestamp") => {
                        self.seen.odd.set(true);
                        At::Other
                    }
                    (Parent::Meta, "managedFields") => At::Unhashed,
                    _ => At::Other,
                };
                if let Some(n) = self.next {
                    n.set(next);
                }
            }
            _ => {}
        }
    }

    fn wrap<D>(&self, d: D) -> Tee<'s, D> {
        Tee {
            d,
            slot: self.slot,
            seen: self.seen,
            at: self.at,
            next: self.next,
        }
    }
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TeeVisitor<'_, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        self.v.expecting(f)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V::Value, E> {
        self.scalar(hash::boolean(b));
        self.v.visit_bool(b)
    }

    fn visit_i64<E: de::Error>(self, i: i64) -> Result<V::Value, E> {
        self.scalar(hash::int(i128::from(i)));
        self.v.visit_i64(i)
    }

    fn visit_u64<E: de::Error>(self, u: u64) -> Result<V::Value, E> {
        self.scalar(hash::int(i128::from(u)));
        self.v.visit_u64(u)
    }

    fn visit_i128<E: de::Error>(self, i: i128) -> Result<V::Value, E> {
        self.scalar(hash::int(i));
        self.v.visit_i128(i)
    }

    fn visit_u128<E: de::Error>(self, u: u128) -> Result<V::Value, E> {
        self.scalar(hash::uint(u));
        self.v.visit_u128(u)
    }

    fn visit_f64<E: de::Error>(self, f: f64) -> Result<V::Value, E> {
        self.scalar(hash::float(f));
        self.v.visit_f64(f)
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V::Value, E> {
        self.string(s);
        self.v.visit_str(s)
    }

    fn visit_borrowed_str<E: de::Error>(self, s: &'de str) -> Result<V::Value, E> {
        self.string(s);
        self.v.visit_borrowed_str(s)
    }

    fn visit_string<E: de::Error>(self, s: String) -> Result<V::Value, E> {
        self.string(&s);
        self.v.visit_string(s)
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V::Value, E> {
        self.scalar(hash::string(&String::from_utf8_lossy(b)));
        self.v.visit_bytes(b)
    }

    fn visit_borrowed_bytes<E: de::Error>(self, b: &'de [u8]) -> Result<V::Value, E> {
        self.scalar(hash::string(&String::from_utf8_lossy(b)));
        self.v.visit_borrowed_bytes(b)
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<V::Value, E> {
        self.scalar(hash::string(&String::from_utf8_lossy(&b)));
        self.v.visit_byte_buf(b)
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.scalar(hash::null());
        self.v.visit_unit()
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.scalar(hash::null());
        self.v.visit_none()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let t = self.wrap(d);
        self.v.visit_some(t)
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        let t = self.wrap(d);
        self.v.visit_newtype_struct(t)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        if let At::Key(_) = self.at {
            self.seen.odd.set(true);
        }
        let mut s = TeeSeq {
            inner: seq,
            seen: self.seen,
            h: hash::SeqHash::new(),
        };
        let out = self.v.visit_seq(&mut s)?;
        self.slot.set(s.h.finish());
        Ok(out)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<V::Value, A::Error> {
        let parent = match self.at {
            At::Top => {
                self.seen.object.set(true);
                Parent::Top
            }
            At::Meta => Parent::Meta,
            At::Key(_) => {
                self.seen.odd.set(true);
                Parent::Other
            }
            _ => Parent::Other,
        };
        let mut m = TeeMap {
            inner: map,
            seen: self.seen,
            parent,
            key: 0,
            next: At::Other,
            h: hash::MapHash::default(),
        };
        let out = self.v.visit_map(&mut m)?;
        self.slot.set(m.h.finish());
        Ok(out)
    }

    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        // Not hashed here (no type the file path decodes this way has one).
        self.seen.odd.set(true);
        self.v.visit_enum(data)
    }
}

/// The seed of a member, wrapped.
struct TeeSeed<'s, S> {
    seed: S,
    slot: &'s Cell<u64>,
    seen: &'s Seen,
    at: At,
    next: Option<&'s Cell<At>>,
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for TeeSeed<'_, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed.deserialize(Tee {
            d,
            slot: self.slot,
            seen: self.seen,
            at: self.at,
            next: self.next,
        })
    }
}

struct TeeSeq<'s, A> {
    inner: A,
    seen: &'s Seen,
    h: hash::SeqHash,
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for TeeSeq<'_, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        let slot = Cell::new(0);
        let out = self.inner.next_element_seed(TeeSeed {
            seed,
            slot: &slot,
            seen: self.seen,
            at: At::Other,
            next: None,
        })?;
        if out.is_some() {
            self.h.add(slot.get());
        }
        Ok(out)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

struct TeeMap<'s, A> {
    inner: A,
    seen: &'s Seen,
    parent: Parent,
    /// The hash of the key just read, and the place of its value.
    key: u64,
    next: At,
    h: hash::MapHash,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for TeeMap<'_, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        let slot = Cell::new(0);
        let next = Cell::new(At::Other);
        let out = self.inner.next_key_seed(TeeSeed {
            seed,
            slot: &slot,
            seen: self.seen,
            at: At::Key(self.parent),
            next: Some(&next),
        })?;
        self.key = slot.get();
        self.next = next.get();
        Ok(out)
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        let slot = Cell::new(0);
        let out = self.inner.next_value_seed(TeeSeed {
            seed,
            slot: &slot,
            seen: self.seen,
            at: self.next,
            next: None,
        })?;
        if !matches!(self.next, At::Unhashed) {
            self.h.add(self.key, slot.get());
        }
        Ok(out)
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ControllerRevision, Node, Pod};

    fn head(text: &str) -> hash::Head {
        hash::head(&mut serde_json::Deserializer::from_str(text)).unwrap()
    }

    /// The one-pass hash equals the two-pass one, for the shapes the file path meets.
    #[test]
    fn the_one_pass_hash_is_the_hash_of_the_whole_text() {
        let pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","uid":"u-1","labels":{"a":"1"},"annotations":{"x":"y","kubernetes.io/config.mirror":"m"},"ownerReferences":[{"apiVersion":"apps/v1","kind":"DaemonSet","name":"d","uid":"d-1","controller":true}],"creationTimestamp":"2026-01-01T00:00:00Z"},"spec":{"nodeName":"n1","containers":[{"name":"c","image":"i","env":[{"name":"A","value":"1"}],"resources":{"requests":{"cpu":"100m","memory":1024}},"ports":[{"containerPort":80,"protocol":"TCP"}]}],"tolerations":[{"operator":"Exists","tolerationSeconds":null}],"priority":-5,"weight":1.5,"hostNetwork":true},"status":{"phase":"Running","conditions":[{"type":"Ready","status":"True"},{"type":"Initialized","status":"True"}],"containerStatuses":[{"name":"c","ready":true,"restartCount":2,"state":{"running":{"startedAt":"2026-01-01T00:00:00Z"}}}]}}"#;
        let t: Teed<Pod> = serde_json::from_str(pod).unwrap();
        let h = head(pod);
        assert_eq!(t.hash, h.hash);
        assert_eq!(t.kind.as_deref(), Some("Pod"));
        assert!(t.object && !t.odd);
        assert_eq!(t.value.metadata.name.as_str(), "p");

        let node = r#"{"kind":"Node","metadata":{"name":"n1","labels":{"k":"v"}},"spec":{"taints":[{"key":"k","effect":"NoSchedule"}],"unschedulable":false},"status":{"allocatable":{"cpu":"4","pods":"110"},"conditions":[{"type":"Ready","status":"True"}],"images":[{"names":["a","b"],"sizeBytes":123}]}}"#;
        let t: Teed<Node> = serde_json::from_str(node).unwrap();
        assert_eq!(t.hash, head(node).hash);
        assert_eq!(t.kind.as_deref(), Some("Node"));

        let rev = r#"{"metadata":{"name":"r","namespace":"ns","ownerReferences":[{"kind":"DaemonSet","name":"d","uid":"d-1"}]},"revision":3,"data":{"spec":{"template":{"$patch":"replace","spec":{"containers":[{"name":"c"}]}}}},"kind":"ControllerRevision"}"#;
        let t: Teed<ControllerRevision> = serde_json::from_str(rev).unwrap();
        assert_eq!(t.hash, head(rev).hash);
        assert_eq!(t.kind.as_deref(), Some("ControllerRevision"));
    }

    #[test]
    fn a_change_in_a_skipped_field_changes_the_hash() {
        let a = r#"{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"1"}]}]}}"#;
        let b = r#"{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c","env":[{"name":"A","value":"2"}]}]}}"#;
        let ta: Teed<Pod> = serde_json::from_str(a).unwrap();
        let tb: Teed<Pod> = serde_json::from_str(b).unwrap();
        assert_ne!(ta.hash, tb.hash);
        assert_eq!(tb.hash, head(b).hash);
    }

    /// `metadata.managedFields` is not content, for the one-pass hash as for the others; the
    /// same name anywhere else is.
    #[test]
    fn managed_fields_in_metadata_are_not_hashed_anywhere_else_they_are() {
        let managed =
            r#""managedFields":[{"manager":"m","operation":"Update","fieldsV1":{"f:spec":{}}}]"#;
        let without =
            r#"{"kind":"Pod","metadata":{"name":"p","labels":{"a":"1"}},"spec":{"nodeName":"n"}}"#;
        let with = format!(
            r#"{{"kind":"Pod","metadata":{{"name":"p",{managed},"labels":{{"a":"1"}}}},"spec":{{"nodeName":"n"}}}}"#
        );
        let plain: Teed<Pod> = serde_json::from_str(without).unwrap();
        let t: Teed<Pod> = serde_json::from_str(&with).unwrap();
        assert_eq!(t.hash, plain.hash);
        assert_eq!(t.hash, head(without).hash);
        assert_eq!(t.hash, head(&with).hash);
        let v: serde_json::Value = serde_json::from_str(&with).unwrap();
        assert_eq!(t.hash, hash::content_hash(&v));
        for elsewhere in [
            format!(
                r#"{{"kind":"Pod",{managed},"metadata":{{"name":"p","labels":{{"a":"1"}}}},"spec":{{"nodeName":"n"}}}}"#
            ),
            format!(
                r#"{{"kind":"Pod","metadata":{{"name":"p","labels":{{"a":"1"}}}},"spec":{{"nodeName":"n",{managed}}}}}"#
            ),
        ] {
            let t: Teed<Pod> = serde_json::from_str(&elsewhere).unwrap();
            assert_ne!(t.hash, plain.hash, "{elsewhere}");
            assert_eq!(t.hash, head(&elsewhere).hash, "{elsewhere}");
            let v: serde_json::Value = serde_json::from_str(&elsewhere).unwrap();
            assert_eq!(t.hash, hash::content_hash(&v), "{elsewhere}");
        }
    }

    #[test]
    fn python_client_shapes_and_lists_are_odd() {
        for text in [
            r#"{"api_version":"v1","kind":"Pod","metadata":{"name":"p"}}"#,
            r#"{"kind":"Pod","metadata":{"name":"p","creation_timestamp":null}}"#,
            r#"{"kind":"Pod","items":[]}"#,
        ] {
            let t: Teed<Pod> = serde_json::from_str(text).unwrap();
            assert!(t.odd, "{text}");
        }
        // The same names deeper down are not.
        let t: Teed<Pod> = serde_json::from_str(
            r#"{"kind":"Pod","spec":{"items":[],"api_version":1,"metadata":{"creation_timestamp":1}}}"#,
        )
        .unwrap();
        assert!(!t.odd);
    }
}
