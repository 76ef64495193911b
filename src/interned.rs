//! [`Interned`]: a string that many objects repeat (a namespace, a node name on each of its
//! pods, an owner's kind, apiVersion, name and UID on every pod of a DaemonSet, a phase, a
//! condition type), stored once and shared.
//!
//! A `String` per pod and field costs 24 bytes plus its own heap block (32 bytes or more); a
//! daemon pod repeats a dozen such strings, so on a 5,000-node cluster (150,000 daemon pods)
//! they add up to about 100 MB. An `Interned` is one pointer pair (16 bytes) to text decoded
//! once per distinct value (see BENCHMARKS.md). It reads as a `&str` (`Deref`), compares with
//! `str` and `String`, and serializes as a string.

use std::borrow::Borrow;
use std::collections::HashSet;
use std::sync::{Arc, LazyLock, Mutex};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Interned(Arc<str>);

/// Every distinct value seen, for the life of the process. Only the fields whose values repeat
/// across objects are interned, so this holds thousands of strings, not millions.
static TABLE: LazyLock<Mutex<HashSet<Arc<str>>>> = LazyLock::new(Default::default);

/// `""` without a table lookup (most optional fields are empty).
static EMPTY: LazyLock<Arc<str>> = LazyLock::new(|| Arc::from(""));

impl Interned {
    pub fn new(s: &str) -> Interned {
        if s.is_empty() {
            return Interned(EMPTY.clone());
        }
        let mut table = TABLE.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = table.get(s) {
            return Interned(found.clone());
        }
        let shared: Arc<str> = Arc::from(s);
        table.insert(shared.clone());
        Interned(shared)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Interned {
    fn default() -> Interned {
        Interned(EMPTY.clone())
    }
}

impl std::ops::Deref for Interned {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for Interned {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl Borrow<str> for Interned {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&*self.0, f)
    }
}

impl std::fmt::Display for Interned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for Interned {
    fn from(s: &str) -> Interned {
        Interned::new(s)
    }
}

impl From<String> for Interned {
    fn from(s: String) -> Interned {
        Interned::new(&s)
    }
}

impl From<&String> for Interned {
    fn from(s: &String) -> Interned {
        Interned::new(s)
    }
}

impl From<Interned> for String {
    fn from(s: Interned) -> String {
        s.0.to_string()
    }
}

impl PartialEq<str> for Interned {
    fn eq(&self, other: &str) -> bool {
        &*self.0 == other
    }
}

impl PartialEq<&str> for Interned {
    fn eq(&self, other: &&str) -> bool {
        &*self.0 == *other
    }
}

impl PartialEq<String> for Interned {
    fn eq(&self, other: &String) -> bool {
        *self.0 == **other
    }
}

impl PartialEq<Interned> for str {
    fn eq(&self, other: &Interned) -> bool {
        self == &*other.0
    }
}

impl PartialEq<Interned> for &str {
    fn eq(&self, other: &Interned) -> bool {
        *self == &*other.0
    }
}

impl PartialEq<Interned> for String {
    fn eq(&self, other: &Interned) -> bool {
        **self == *other.0
    }
}

impl Serialize for Interned {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for Interned {
    /// Borrows the text from the input where it can (JSON without escapes), so a value already
    /// in the table costs no allocation at all.
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Interned, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = Interned;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Interned, E> {
                Ok(Interned::new(s))
            }
        }
        d.deserialize_str(Visit)
    }
}

#[cfg(test)]
mod tests {
    use super::Interned;

    #[test]
    fn equal_values_share_one_allocation_and_read_as_str() {
        let a: Interned = serde_json::from_str("\"kube-system\"").unwrap();
        let b = Interned::from(String::from("kube-system"));
        assert!(std::sync::Arc::ptr_eq(&a.0, &b.0));
        assert_eq!(a, "kube-system");
        assert_eq!(a.len(), 11);
        assert_eq!(serde_json::to_string(&a).unwrap(), "\"kube-system\"");
        let c: Interned = serde_json::from_str("\"kube-\\u0073ystem\"").unwrap();
        assert!(
            std::sync::Arc::ptr_eq(&a.0, &c.0),
            "escaped text interned alike"
        );
        assert_ne!(Interned::from("default"), a);
        assert_eq!(Interned::default(), "");
    }
}
