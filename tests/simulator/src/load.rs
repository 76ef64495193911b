//! Streams objects out of a JSON document (a `List`, an array, or one object) without holding the
//! whole document as a `Value`: each item is handed over as soon as it is parsed.

use std::fmt;
use std::io::{BufReader, Read};

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

/// Calls `sink` for every top-level object or `items` element of the JSON document in `reader`.
pub(crate) fn stream_json<R: Read>(
    reader: R,
    sink: &mut dyn FnMut(Value) -> Result<(), String>,
) -> Result<(), String> {
    let mut de = serde_json::Deserializer::from_reader(BufReader::with_capacity(1 << 20, reader));
    Top { sink }
        .deserialize(&mut de)
        .map_err(|e| e.to_string())?;
    de.end().map_err(|e| e.to_string())
}

struct Top<'a> {
    sink: &'a mut dyn FnMut(Value) -> Result<(), String>,
}

impl<'de> DeserializeSeed<'de> for Top<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Top<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object, a List, or an array of objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(v) = seq.next_element::<Value>()? {
            (self.sink)(v).map_err(de::Error::custom)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let mut rest = Map::new();
        let mut saw_items = false;
        let mut kindless = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                saw_items = true;
                map.next_value_seed(Items {
                    sink: &mut *self.sink,
                    list: &rest,
                    kindless: &mut kindless,
                })?;
            } else {
                let v: Value = map.next_value()?;
                rest.insert(key, v);
            }
        }
        if !saw_items {
            return (self.sink)(Value::Object(rest)).map_err(de::Error::custom);
        }
        // Items without a kind that came before the List's own kind.
        for mut item in kindless {
            set_kind_from_list(&mut item, &rest);
            (self.sink)(item).map_err(de::Error::custom)?;
        }
        Ok(())
    }
}

/// `PodList` items may omit `kind`/`apiVersion`; take them from the list.
fn set_kind_from_list(item: &mut Value, list: &Map<String, Value>) {
    let kind = list
        .get("kind")
        .and_then(Value::as_str)
        .and_then(|k| k.strip_suffix("List"))
        .filter(|k| !k.is_empty());
    if let (Some(kind), Some(m)) = (kind, item.as_object_mut()) {
        m.insert("kind".into(), Value::String(kind.to_string()));
        if let Some(av) = list.get("apiVersion") {
            m.entry("apiVersion").or_insert_with(|| av.clone());
        }
    }
}

struct Items<'a, 'b> {
    sink: &'a mut dyn FnMut(Value) -> Result<(), String>,
    list: &'b Map<String, Value>,
    kindless: &'b mut Vec<Value>,
}

impl<'de> DeserializeSeed<'de> for Items<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Items<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(mut v) = seq.next_element::<Value>()? {
            if v.get("kind").is_none() {
                if self.list.contains_key("kind") {
                    set_kind_from_list(&mut v, self.list);
                } else {
                    self.kindless.push(v);
                    continue;
                }
            }
            (self.sink)(v).map_err(de::Error::custom)?;
        }
        Ok(())
    }

    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(text: &str) -> Result<Vec<Value>, String> {
        let mut out = Vec::new();
        stream_json(text.as_bytes(), &mut |v| {
            out.push(v);
            Ok(())
        })?;
        Ok(out)
    }

    #[test]
    fn streams_lists_arrays_and_objects() {
        let list = r#"{"apiVersion":"v1","items":[{"kind":"Node","metadata":{"name":"a"}},{"kind":"Pod","metadata":{"name":"b"}}],"kind":"List","metadata":{}}"#;
        assert_eq!(collect(list).unwrap().len(), 2);
        let pods = r#"{"items":[{"metadata":{"name":"b"}}],"kind":"PodList","apiVersion":"v1"}"#;
        let got = collect(pods).unwrap();
        assert_eq!(
            (got[0]["kind"].as_str(), got[0]["apiVersion"].as_str()),
            (Some("Pod"), Some("v1"))
        );
        let pods = r#"{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"b"}}]}"#;
        assert_eq!(collect(pods).unwrap()[0]["kind"], "Pod");
        assert_eq!(
            collect(r#"[{"kind":"Node"},{"kind":"Node"}]"#)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            collect(r#"{"kind":"Node","metadata":{"name":"a"}}"#).unwrap()[0]["kind"],
            "Node"
        );
        assert_eq!(collect(r#"{"kind":"List","items":null}"#).unwrap().len(), 0);
        assert!(collect(r#"{"kind":"List","items":[}"#).is_err());
        let mut n = 0;
        let err = stream_json(r#"[{"a":1},{"a":2}]"#.as_bytes(), &mut |_| {
            n += 1;
            Err("stop".into())
        });
        assert!(err.unwrap_err().contains("stop"));
        assert_eq!(n, 1);
    }
}
