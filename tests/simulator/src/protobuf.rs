//! Kubernetes protobuf, as kube-apiserver serves it to clients that ask for
//! `application/vnd.kubernetes.protobuf` (k8s.io/apimachinery/pkg/runtime/serializer/protobuf,
//! `Serializer.Encode`): the 4 bytes `k8s\0`, then a `runtime.Unknown` message whose `typeMeta`
//! names the object's apiVersion and kind and whose `raw` is the object's own message.
//!
//! Objects are encoded from their JSON by the upstream `generated.proto` files themselves
//! (copied under `proto/`, see `proto/README.md`), read by a small parser of the proto2 subset
//! they use: messages, `optional`/`repeated` fields, `map<k, v>`, package-relative and fully
//! qualified type names. No field number is typed by hand here. The encoding is what Go's
//! generated marshallers (gogo-protobuf) write: fields in field-number order, map entries sorted
//! by key with key and value always written, repeated scalars unpacked, embedded structs
//! (`json:""` in k8s.io/api's types.go) as their own field. A few messages marshal by hand
//! upstream and are encoded as they do:
//!
//! - meta/v1 `Time` (time_proto.go, `Time.ProtoTime`): seconds, and nanos always 0 (JSON only
//!   carries seconds); `MicroTime` (micro_time_proto.go): seconds and nanos truncated to
//!   microseconds;
//! - meta/v1 `Duration`: the Go duration string as nanoseconds;
//! - meta/v1 `FieldsV1` and runtime `RawExtension`: the JSON itself as bytes (their `Raw`);
//! - api/resource `Quantity` (quantity_proto.go): its string (as stored: not canonicalised);
//! - util/intstr `IntOrString`: type (0 int, 1 string), intVal and strVal, all three written.
//!
//! What differs from a Go server's bytes: Go writes every non-pointer field, zero or not, while
//! this encoder writes what the JSON holds (a decoder reads an absent field as its zero value,
//! so the decoded object is the same); JSON keys the schema does not know are dropped, as Go's
//! JSON decoding drops them before the object is ever marshalled.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::Value;

use crate::util::{b64_decode, parse_rfc3339};

/// The media type of Kubernetes protobuf.
pub const MEDIA_TYPE: &str = "application/vnd.kubernetes.protobuf";

/// The 4 bytes every protobuf body starts with (protobuf.go, `protoEncodingPrefix`).
pub const MAGIC: [u8; 4] = [0x6b, 0x38, 0x73, 0x00];

/// The upstream files, by the import path they are known by.
const FILES: &[(&str, &str)] = &[
    (
        "k8s.io/apimachinery/pkg/runtime/generated.proto",
        include_str!("../proto/k8s.io/apimachinery/pkg/runtime/generated.proto"),
    ),
    (
        "k8s.io/apimachinery/pkg/runtime/schema/generated.proto",
        include_str!("../proto/k8s.io/apimachinery/pkg/runtime/schema/generated.proto"),
    ),
    (
        "k8s.io/apimachinery/pkg/api/resource/generated.proto",
        include_str!("../proto/k8s.io/apimachinery/pkg/api/resource/generated.proto"),
    ),
    (
        "k8s.io/apimachinery/pkg/util/intstr/generated.proto",
        include_str!("../proto/k8s.io/apimachinery/pkg/util/intstr/generated.proto"),
    ),
    (
        "k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto",
        include_str!("../proto/k8s.io/apimachinery/pkg/apis/meta/v1/generated.proto"),
    ),
    (
        "k8s.io/api/core/v1/generated.proto",
        include_str!("../proto/k8s.io/api/core/v1/generated.proto"),
    ),
    (
        "k8s.io/api/apps/v1/generated.proto",
        include_str!("../proto/k8s.io/api/apps/v1/generated.proto"),
    ),
];

const META: &str = "k8s.io.apimachinery.pkg.apis.meta.v1";

/// Go structs embedded with `json:""` in k8s.io/api's core/v1/types.go: their fields appear in the
/// JSON of the outer object, and in protobuf as one message field of the outer message.
const INLINE: &[(&str, &str)] = &[
    ("k8s.io.api.core.v1.Volume", "volumeSource"),
    (
        "k8s.io.api.core.v1.PersistentVolumeSpec",
        "persistentVolumeSource",
    ),
    (
        "k8s.io.api.core.v1.SecretProjection",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapVolumeSource",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapProjection",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapKeySelector",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.SecretKeySelector",
        "localObjectReference",
    ),
    (
        "k8s.io.api.core.v1.ConfigMapEnvSource",
        "localObjectReference",
    ),
    ("k8s.io.api.core.v1.SecretEnvSource", "localObjectReference"),
    ("k8s.io.api.core.v1.Probe", "handler"),
    (
        "k8s.io.api.core.v1.EphemeralContainer",
        "ephemeralContainerCommon",
    ),
];

/// A scalar type of the subset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    String,
    Bytes,
    Bool,
    Int32,
    Int64,
}

/// What a field holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Scalar(Scalar),
    /// A message, by its fully qualified name (without the leading dot).
    Message(String),
}

/// `optional`, `repeated`, or `map<key, value>` (the value is the field's kind).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    Optional,
    Repeated,
    Map(Scalar),
}

/// One field of a message.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub number: u32,
    pub label: Label,
    pub kind: Kind,
    /// A Go struct embedded with `json:""`: its fields are read from the outer JSON object.
    pub inline: bool,
    /// The message's index in the schema (message fields only).
    target: usize,
}

/// One message: its fields in field-number order.
#[derive(Debug, Clone)]
pub struct Message {
    pub name: String,
    pub fields: Vec<Field>,
    /// How upstream marshals it by hand, if it does.
    special: Option<Special>,
    /// Whether a field is embedded (`inline`).
    has_inline: bool,
}

impl Message {
    /// The field named `name`.
    pub fn field(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.name == name)
    }

    fn number(&self, name: &str) -> u32 {
        // Only called for fields that `Schema::parse` checked exist (the special messages).
        self.field(name).map_or(0, |f| f.number)
    }
}

/// Every message of the files, by fully qualified name.
#[derive(Debug)]
pub struct Schema {
    messages: Vec<Message>,
    by_name: HashMap<String, usize>,
}

/// How a special message is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Special {
    Time,
    MicroTime,
    Duration,
    FieldsV1,
    RawExtension,
    Quantity,
    IntOrString,
}

/// The messages upstream marshals by hand, by fully qualified name.
pub fn special(name: &str) -> Option<Special> {
    Some(match name {
        "k8s.io.apimachinery.pkg.apis.meta.v1.Time" => Special::Time,
        "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime" => Special::MicroTime,
        "k8s.io.apimachinery.pkg.apis.meta.v1.Duration" => Special::Duration,
        "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1" => Special::FieldsV1,
        "k8s.io.apimachinery.pkg.runtime.RawExtension" => Special::RawExtension,
        "k8s.io.apimachinery.pkg.api.resource.Quantity" => Special::Quantity,
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => Special::IntOrString,
        _ => return None,
    })
}

/// The fields each special message must have.
const SPECIAL_FIELDS: &[(&str, &[&str])] = &[
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Time",
        &["seconds", "nanos"],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
        &["seconds", "nanos"],
    ),
    (
        "k8s.io.apimachinery.pkg.apis.meta.v1.Duration",
        &["duration"],
    ),
    ("k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1", &["Raw"]),
    ("k8s.io.apimachinery.pkg.runtime.RawExtension", &["raw"]),
    ("k8s.io.apimachinery.pkg.api.resource.Quantity", &["string"]),
    (
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
        &["type", "intVal", "strVal"],
    ),
];

/// The schema of the embedded files, parsed once.
pub fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The files are part of this crate and a test parses them: a failure is a build defect.
        Schema::parse(FILES).unwrap_or_else(|e| panic!("the embedded proto files: {e}"))
    })
}

/// A token of a `.proto` file.
fn tokens(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if b[i..].starts_with(b"//") {
            while i < b.len() && b[i] != b'\n' {
                i += 1;
            }
        } else if b[i..].starts_with(b"/*") {
            i = text[i + 2..].find("*/").map_or(b.len(), |e| i + 2 + e + 2);
        } else if c == b'"' {
            let end = text[i + 1..].find('"').map_or(b.len(), |e| i + 1 + e + 1);
            out.push(&text[i..end]);
            i = end;
        } else if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b'.') {
                i += 1;
            }
            out.push(&text[start..i]);
        } else {
            out.push(&text[i..=i]);
            i += 1;
        }
    }
    out
}

fn scalar(t: &str) -> Option<Scalar> {
    Some(match t {
        "string" => Scalar::String,
        "bytes" => Scalar::Bytes,
        "bool" => Scalar::Bool,
        "int32" => Scalar::Int32,
        "int64" => Scalar::Int64,
        _ => return None,
    })
}

/// A field as written, before its type name is resolved.
struct RawField {
    name: String,
    number: u32,
    label: Label,
    type_name: String,
}

impl Schema {
    /// Parses `(path, text)` files; every type name must resolve.
    pub fn parse(files: &[(&str, &str)]) -> Result<Schema, String> {
        // (message name, package, fields)
        let mut raw: Vec<(String, String, Vec<RawField>)> = Vec::new();
        for (path, text) in files {
            let t = tokens(text);
            let err = |at: usize, what: &str| {
                format!(
                    "{path}: {what} at token {at} ({:?})",
                    t.get(at).unwrap_or(&"")
                )
            };
            let mut package = String::new();
            let mut stack: Vec<(String, Vec<RawField>)> = Vec::new();
            let mut i = 0;
            while i < t.len() {
                match t[i] {
                    "syntax" | "option" | "import" => {
                        while i < t.len() && t[i] != ";" {
                            i += 1;
                        }
                        i += 1;
                    }
                    "package" => {
                        package = t.get(i + 1).ok_or_else(|| err(i, "package"))?.to_string();
                        i += 3;
                    }
                    "message" => {
                        let name = t.get(i + 1).ok_or_else(|| err(i, "message name"))?;
                        if t.get(i + 2) != Some(&"{") {
                            return Err(err(i + 2, "expected {"));
                        }
                        let full = match stack.last() {
                            Some((outer, _)) => format!("{outer}.{name}"),
                            None => format!("{package}.{name}"),
                        };
                        stack.push((full, Vec::new()));
                        i += 3;
                    }
                    "}" => {
                        let (name, fields) = stack.pop().ok_or_else(|| err(i, "unbalanced }"))?;
                        raw.push((name, package.clone(), fields));
                        i += 1;
                    }
                    "optional" | "repeated" | "map" => {
                        let (label, type_name, rest) = if t[i] == "map" {
                            // map < key , value > name = N ;
                            if t.get(i + 1) != Some(&"<")
                                || t.get(i + 3) != Some(&",")
                                || t.get(i + 5) != Some(&">")
                            {
                                return Err(err(i, "malformed map"));
                            }
                            let key = scalar(t[i + 2]).ok_or_else(|| err(i + 2, "map key type"))?;
                            (Label::Map(key), t[i + 4], i + 6)
                        } else {
                            let label = if t[i] == "optional" {
                                Label::Optional
                            } else {
                                Label::Repeated
                            };
                            (label, *t.get(i + 1).ok_or_else(|| err(i, "type"))?, i + 2)
                        };
                        let name = t.get(rest).ok_or_else(|| err(rest, "field name"))?;
                        if t.get(rest + 1) != Some(&"=") || t.get(rest + 3) != Some(&";") {
                            return Err(err(rest, "expected `name = N;`"));
                        }
                        let number = t[rest + 2]
                            .parse::<u32>()
                            .map_err(|_| err(rest + 2, "field number"))?;
                        let (_, fields) = stack
                            .last_mut()
                            .ok_or_else(|| err(i, "a field outside a message"))?;
                        fields.push(RawField {
                            name: name.to_string(),
                            number,
                            label,
                            type_name: type_name.to_string(),
                        });
                        i = rest + 4;
                    }
                    other => return Err(err(i, &format!("unexpected {other:?}"))),
                }
            }
            if !stack.is_empty() {
                return Err(format!("{path}: unclosed message"));
            }
        }
        let by_name: HashMap<String, usize> = raw
            .iter()
            .enumerate()
            .map(|(i, (n, _, _))| (n.clone(), i))
            .collect();
        let mut messages = Vec::with_capacity(raw.len());
        for (name, package, fields) in raw {
            let mut resolved = Vec::with_capacity(fields.len());
            for f in fields {
                let mut target = usize::MAX;
                let kind = match scalar(&f.type_name) {
                    Some(s) => Kind::Scalar(s),
                    None => {
                        let candidates = match f.type_name.strip_prefix('.') {
                            Some(abs) => vec![abs.to_string()],
                            None => vec![
                                format!("{name}.{}", f.type_name),
                                format!("{package}.{}", f.type_name),
                                f.type_name.clone(),
                            ],
                        };
                        let found = candidates.into_iter().find(|c| by_name.contains_key(c));
                        let found = found.ok_or_else(|| {
                            format!("{name}.{}: unknown type {}", f.name, f.type_name)
                        })?;
                        target = by_name[&found];
                        Kind::Message(found)
                    }
                };
                let inline = INLINE.contains(&(name.as_str(), f.name.as_str()));
                resolved.push(Field {
                    name: f.name,
                    number: f.number,
                    label: f.label,
                    kind,
                    inline,
                    target,
                });
            }
            resolved.sort_by_key(|f| f.number);
            messages.push(Message {
                special: special(&name),
                has_inline: resolved.iter().any(|f| f.inline),
                name,
                fields: resolved,
            });
        }
        let schema = Schema { messages, by_name };
        for (msg, field) in INLINE {
            if schema.message(msg).and_then(|m| m.field(field)).is_none() {
                return Err(format!("inline field {msg}.{field} is not in the schema"));
            }
        }
        for (msg, fields) in SPECIAL_FIELDS {
            for f in *fields {
                if schema.message(msg).and_then(|m| m.field(f)).is_none() {
                    return Err(format!("{msg}.{f} is not in the schema"));
                }
            }
        }
        Ok(schema)
    }

    /// The message with this fully qualified name.
    pub fn message(&self, name: &str) -> Option<&Message> {
        self.by_name.get(name).map(|&i| &self.messages[i])
    }

    /// The message of a built-in kind (`v1` `Pod`, `apps/v1` `DaemonSet`, `v1` `Status`, …).
    pub fn kind(&self, api_version: &str, kind: &str) -> Option<&Message> {
        let package = match (api_version, kind) {
            ("v1", "Status") => META.to_string(),
            ("v1", _) => "k8s.io.api.core.v1".to_string(),
            (av, _) => match av.split_once('/') {
                Some((group, version)) => {
                    format!(
                        "k8s.io.api.{}.{version}",
                        group.split('.').next().unwrap_or("")
                    )
                }
                None => return None,
            },
        };
        self.message(&format!("{package}.{kind}"))
    }

    /// Appends the message `msg` encoded from `v` (a JSON object) to `out`. JSON keys the schema
    /// does not know are dropped and their paths pushed to `dropped`; a value of the wrong JSON
    /// type is an error.
    pub fn encode(
        &self,
        msg: &Message,
        v: &Value,
        out: &mut Vec<u8>,
        dropped: &mut Vec<String>,
    ) -> Result<(), String> {
        let mut path = String::new();
        self.encode_message(msg, v, out, &mut path, dropped)
    }

    fn encode_message(
        &self,
        msg: &Message,
        v: &Value,
        out: &mut Vec<u8>,
        path: &mut String,
        dropped: &mut Vec<String>,
    ) -> Result<(), String> {
        let obj = v
            .as_object()
            .ok_or_else(|| format!("{}: expected an object for {}", at(path), msg.name))?;
        let mut seen = 0;
        for f in &msg.fields {
            if f.inline {
                let inner = &self.messages[f.target];
                // An embedded struct is a non-pointer field: Go always writes it.
                put_tag(out, f.number, 2);
                nested(out, |out| {
                    self.encode_message(inner, v, out, path, &mut Vec::new())
                })?;
                continue;
            }
            let Some(value) = obj.get(&f.name) else {
                continue;
            };
            seen += 1;
            if value.is_null() {
                continue;
            }
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&f.name);
            let r = self.encode_field(f, value, out, path, dropped);
            path.truncate(len);
            r?;
        }
        // Every key was a field unless some were not (or an inline field read some).
        if seen < obj.len() || msg.has_inline {
            for k in obj.keys() {
                if !self.knows(msg, k) {
                    dropped.push(if path.is_empty() {
                        k.clone()
                    } else {
                        format!("{path}.{k}")
                    });
                }
            }
        }
        Ok(())
    }

    /// Whether a JSON key of `msg` is a field of it or of one of its inline fields.
    fn knows(&self, msg: &Message, key: &str) -> bool {
        msg.fields.iter().any(|f| {
            if f.inline {
                match &f.kind {
                    Kind::Message(inner) => self
                        .message(inner)
                        .is_some_and(|inner| self.knows(inner, key)),
                    Kind::Scalar(_) => false,
                }
            } else {
                f.name == key
            }
        })
    }

    fn encode_field(
        &self,
        f: &Field,
        value: &Value,
        out: &mut Vec<u8>,
        path: &mut String,
        dropped: &mut Vec<String>,
    ) -> Result<(), String> {
        match f.label {
            Label::Optional => self.encode_one(f.number, f, value, out, path, dropped),
            Label::Repeated => {
                let items = value
                    .as_array()
                    .ok_or_else(|| format!("{}: expected an array", at(path)))?;
                for item in items {
                    if !item.is_null() {
                        self.encode_one(f.number, f, item, out, path, dropped)?;
                    }
                }
                Ok(())
            }
            Label::Map(key) => {
                let entries = value
                    .as_object()
                    .ok_or_else(|| format!("{}: expected an object", at(path)))?;
                // Go's generated marshallers write map entries sorted by key (`sort.Strings`).
                let mut keys: Vec<&String> = entries.keys().collect();
                keys.sort();
                for k in keys {
                    put_tag(out, f.number, 2);
                    nested(out, |out| {
                        match key {
                            Scalar::String => put_bytes(out, 1, k.as_bytes()),
                            _ => return Err(format!("{}: map keys other than strings", at(path))),
                        }
                        match &entries[k] {
                            // A nil slice or pointer value: Go writes the entry's value empty.
                            Value::Null => match &f.kind {
                                Kind::Scalar(_) => Ok(()),
                                Kind::Message(_) => {
                                    put_tag(out, 2, 2);
                                    put_varint(out, 0);
                                    Ok(())
                                }
                            },
                            v => self.encode_one(2, f, v, out, path, dropped),
                        }
                    })?;
                }
                Ok(())
            }
        }
    }

    /// One value of field `f` (a map entry's value: `number` 2).
    fn encode_one(
        &self,
        number: u32,
        f: &Field,
        value: &Value,
        out: &mut Vec<u8>,
        path: &mut String,
        dropped: &mut Vec<String>,
    ) -> Result<(), String> {
        match f.kind {
            Kind::Scalar(s) => scalar_field(out, number, s, value, path),
            Kind::Message(_) => {
                let msg = &self.messages[f.target];
                put_tag(out, number, 2);
                match msg.special {
                    Some(sp) => nested(out, |out| encode_special(sp, msg, value, out, path)),
                    None => nested(out, |out| {
                        self.encode_message(msg, value, out, path, dropped)
                    }),
                }
            }
        }
    }
}

fn at(path: &str) -> &str {
    if path.is_empty() { "(object)" } else { path }
}

fn scalar_field(
    out: &mut Vec<u8>,
    number: u32,
    s: Scalar,
    value: &Value,
    path: &str,
) -> Result<(), String> {
    let bad = |what: &str| format!("{}: expected {what}, got {value}", at(path));
    match s {
        Scalar::String => {
            let v = value.as_str().ok_or_else(|| bad("a string"))?;
            put_bytes(out, number, v.as_bytes());
        }
        Scalar::Bytes => {
            // encoding/json writes []byte as standard base64.
            let v = value
                .as_str()
                .and_then(b64_decode)
                .ok_or_else(|| bad("base64"))?;
            put_bytes(out, number, &v);
        }
        Scalar::Bool => {
            let v = value.as_bool().ok_or_else(|| bad("a boolean"))?;
            put_tag(out, number, 0);
            put_varint(out, u64::from(v));
        }
        Scalar::Int32 => {
            let v = value
                .as_i64()
                .and_then(|n| i32::try_from(n).ok())
                .ok_or_else(|| bad("a 32-bit integer"))?;
            put_tag(out, number, 0);
            // A negative int32 is sign-extended to 64 bits on the wire.
            put_varint(out, i64::from(v) as u64);
        }
        Scalar::Int64 => {
            let v = value.as_i64().ok_or_else(|| bad("an integer"))?;
            put_tag(out, number, 0);
            put_varint(out, v as u64);
        }
    }
    Ok(())
}

fn encode_special(
    sp: Special,
    msg: &Message,
    value: &Value,
    out: &mut Vec<u8>,
    path: &str,
) -> Result<(), String> {
    let bad = |what: &str| format!("{}: expected {what}, got {value}", at(path));
    match sp {
        Special::Time | Special::MicroTime => {
            let s = value.as_str().ok_or_else(|| bad("an RFC 3339 time"))?;
            let secs = parse_rfc3339(s).ok_or_else(|| bad("an RFC 3339 time"))?;
            // Time drops sub-second precision (`Time.ProtoTime`); MicroTime keeps microseconds.
            let nanos = if sp == Special::MicroTime {
                micros(s) * 1000
            } else {
                0
            };
            put_tag(out, msg.number("seconds"), 0);
            put_varint(out, secs as u64);
            put_tag(out, msg.number("nanos"), 0);
            put_varint(out, i64::from(nanos) as u64);
        }
        Special::Duration => {
            let s = value.as_str().ok_or_else(|| bad("a duration"))?;
            let n = go_duration(s).ok_or_else(|| bad("a duration"))?;
            put_tag(out, msg.number("duration"), 0);
            put_varint(out, n as u64);
        }
        Special::FieldsV1 | Special::RawExtension => {
            let raw = serde_json::to_vec(value).map_err(|e| e.to_string())?;
            let name = if sp == Special::FieldsV1 {
                "Raw"
            } else {
                "raw"
            };
            put_bytes(out, msg.number(name), &raw);
        }
        Special::Quantity => {
            let s = match value {
                Value::String(s) => s.clone(),
                Value::Number(n) => n.to_string(),
                _ => return Err(bad("a quantity")),
            };
            put_bytes(out, msg.number("string"), s.as_bytes());
        }
        Special::IntOrString => {
            let (ty, int, string) = match value {
                Value::Number(n) => (
                    0,
                    n.as_i64()
                        .and_then(|n| i32::try_from(n).ok())
                        .ok_or_else(|| bad("a 32-bit integer"))?,
                    "",
                ),
                Value::String(s) => (1, 0, s.as_str()),
                _ => return Err(bad("an integer or a string")),
            };
            put_tag(out, msg.number("type"), 0);
            put_varint(out, ty);
            put_tag(out, msg.number("intVal"), 0);
            put_varint(out, i64::from(int) as u64);
            put_bytes(out, msg.number("strVal"), string.as_bytes());
        }
    }
    Ok(())
}

/// The microseconds of an RFC 3339 time's fraction (`MicroTime` truncates to microseconds).
fn micros(s: &str) -> i32 {
    let Some(frac) = s.get(19..).and_then(|r| r.strip_prefix('.')) else {
        return 0;
    };
    let digits: String = frac
        .chars()
        .take_while(char::is_ascii_digit)
        .chain(std::iter::repeat('0'))
        .take(6)
        .collect();
    digits.parse().unwrap_or(0)
}

/// A Go duration string (`time.ParseDuration`: `1h2m3.5s`, `300ms`, `-1.5h`) in nanoseconds.
pub fn go_duration(s: &str) -> Option<i64> {
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let n = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .filter(|&n| n > 0)?;
        let number: f64 = rest[..n].parse().ok()?;
        rest = &rest[n..];
        let u = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = match &rest[..u] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return None,
        };
        total += number * unit;
        rest = &rest[u..];
    }
    let n = total.round() as i64;
    Some(if neg { -n } else { n })
}

/// Writes a field tag.
pub fn put_tag(out: &mut Vec<u8>, number: u32, wire_type: u8) {
    put_varint(out, u64::from(number) << 3 | u64::from(wire_type));
}

/// Writes a varint.
pub fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push(v as u8 | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The bytes a varint takes.
pub fn varint_len(v: u64) -> usize {
    (64 - (v | 1).leading_zeros() as usize).div_ceil(7)
}

/// Writes a length-delimited field.
pub fn put_bytes(out: &mut Vec<u8>, number: u32, b: &[u8]) {
    put_tag(out, number, 2);
    put_varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

/// Writes what `f` writes, preceded by its length (the tag is the caller's).
fn nested(
    out: &mut Vec<u8>,
    f: impl FnOnce(&mut Vec<u8>) -> Result<(), String>,
) -> Result<(), String> {
    let start = out.len();
    out.push(0);
    f(out)?;
    let len = out.len() - start - 1;
    let n = varint_len(len as u64);
    if n > 1 {
        out.resize(out.len() + n - 1, 0);
        out.copy_within(start + 1..start + 1 + len, start + n);
    }
    let mut v = len as u64;
    for b in &mut out[start..start + n] {
        *b = v as u8 & 0x7f | if v >= 0x80 { 0x80 } else { 0 };
        v >>= 7;
    }
    Ok(())
}

/// The `runtime.Unknown` envelope (protobuf.go `Serializer.Encode`, runtime/types_proto.go
/// `Unknown.NestedMarshalTo`): magic, typeMeta {apiVersion, kind}, raw (`raw_len` bytes that the
/// caller appends next), then contentEncoding and contentType, both empty, which the caller
/// appends with [`envelope_tail`].
pub fn envelope_head(out: &mut Vec<u8>, api_version: &str, kind: &str, raw_len: usize) {
    let s = schema();
    let unknown = s
        .message("k8s.io.apimachinery.pkg.runtime.Unknown")
        .expect("runtime.Unknown is in the schema");
    let type_meta = s
        .message("k8s.io.apimachinery.pkg.runtime.TypeMeta")
        .expect("runtime.TypeMeta is in the schema");
    out.extend_from_slice(&MAGIC);
    let mut tm = Vec::with_capacity(api_version.len() + kind.len() + 4);
    put_bytes(
        &mut tm,
        type_meta.number("apiVersion"),
        api_version.as_bytes(),
    );
    put_bytes(&mut tm, type_meta.number("kind"), kind.as_bytes());
    put_bytes(out, unknown.number("typeMeta"), &tm);
    put_tag(out, unknown.number("raw"), 2);
    put_varint(out, raw_len as u64);
}

/// The end of the envelope: empty contentEncoding and contentType, as Go writes them.
pub fn envelope_tail(out: &mut Vec<u8>) {
    let unknown = schema()
        .message("k8s.io.apimachinery.pkg.runtime.Unknown")
        .expect("runtime.Unknown is in the schema");
    put_bytes(out, unknown.number("contentEncoding"), b"");
    put_bytes(out, unknown.number("contentType"), b"");
}

/// A whole body: the envelope around `raw`.
pub fn envelope(api_version: &str, kind: &str, raw: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(raw.len() + 32);
    envelope_head(&mut out, api_version, kind, raw.len());
    out.extend_from_slice(raw);
    envelope_tail(&mut out);
    out
}

/// Encodes a JSON object of a built-in kind (its own `kind`/`apiVersion` name the message) as a
/// whole protobuf body. Unknown kinds and values of the wrong type are errors.
pub fn encode_object(v: &Value) -> Result<Vec<u8>, String> {
    let api_version = v["apiVersion"].as_str().unwrap_or("");
    let kind = v["kind"].as_str().unwrap_or("");
    let s = schema();
    let msg = s
        .kind(api_version, kind)
        .ok_or_else(|| format!("no protobuf message for {api_version} {kind}"))?;
    let mut raw = Vec::new();
    s.encode(msg, v, &mut raw, &mut Vec::new())?;
    Ok(envelope(api_version, kind, &raw))
}

/// One field read off the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire<'a> {
    Varint(u64),
    Fixed64(u64),
    Bytes(&'a [u8]),
    Fixed32(u32),
}

/// Reads a varint at `*at`.
pub fn read_varint(b: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let byte = *b.get(*at)?;
        *at += 1;
        v |= u64::from(byte & 0x7f) << shift;
        if byte < 0x80 {
            return Some(v);
        }
    }
    None
}

/// The fields of a message, in wire order; `None` when the bytes are not a message.
pub fn fields(b: &[u8]) -> Option<Vec<(u32, Wire<'_>)>> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let tag = read_varint(b, &mut at)?;
        let number = u32::try_from(tag >> 3).ok()?;
        let value = match tag & 7 {
            0 => Wire::Varint(read_varint(b, &mut at)?),
            1 => {
                let v = u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?);
                at += 8;
                Wire::Fixed64(v)
            }
            2 => {
                let len = usize::try_from(read_varint(b, &mut at)?).ok()?;
                let v = b.get(at..at.checked_add(len)?)?;
                at += len;
                Wire::Bytes(v)
            }
            5 => {
                let v = u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?);
                at += 4;
                Wire::Fixed32(v)
            }
            _ => return None,
        };
        out.push((number, value));
    }
    Some(out)
}

/// The last length-delimited field `number` of a message (protobuf's "last one wins").
pub fn bytes_field(b: &[u8], number: u32) -> Option<&[u8]> {
    fields(b)?.into_iter().rev().find_map(|(n, v)| match v {
        Wire::Bytes(x) if n == number => Some(x),
        _ => None,
    })
}

/// An envelope's apiVersion, kind and raw object bytes.
pub fn open_envelope(body: &[u8]) -> Option<(String, String, &[u8])> {
    let rest = body.strip_prefix(&MAGIC[..])?;
    let s = schema();
    let unknown = s.message("k8s.io.apimachinery.pkg.runtime.Unknown")?;
    let type_meta = s.message("k8s.io.apimachinery.pkg.runtime.TypeMeta")?;
    let tm = bytes_field(rest, unknown.number("typeMeta")).unwrap_or(&[]);
    let text = |n: &str| {
        bytes_field(tm, type_meta.number(n))
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    let raw = bytes_field(rest, unknown.number("raw")).unwrap_or(&[]);
    Some((text("apiVersion"), text("kind"), raw))
}

/// The first length-delimited field `number` of a message, reading no further than it (a list's
/// `metadata` precedes its items). `None` when absent or when the bytes are not a message.
pub fn first_bytes_field(b: &[u8], number: u32) -> Option<&[u8]> {
    let mut at = 0;
    while at < b.len() {
        let tag = read_varint(b, &mut at)?;
        match tag & 7 {
            0 => {
                read_varint(b, &mut at)?;
            }
            1 => at += 8,
            2 => {
                let len = usize::try_from(read_varint(b, &mut at)?).ok()?;
                let end = at.checked_add(len)?;
                if tag >> 3 == u64::from(number) {
                    return b.get(at..end);
                }
                at = end;
            }
            5 => at += 4,
            _ => return None,
        }
    }
    None
}

/// A protobuf list body's `metadata.continue` (the ListMeta of any `*List`), if not empty; read
/// without walking the items.
pub fn list_continue(body: &[u8]) -> Option<String> {
    let rest = body.strip_prefix(&MAGIC[..])?;
    let s = schema();
    let unknown = s.message("k8s.io.apimachinery.pkg.runtime.Unknown")?;
    let list = s.message("k8s.io.api.core.v1.PodList")?;
    let list_meta = s.message(&format!("{META}.ListMeta"))?;
    let raw = first_bytes_field(rest, unknown.number("raw"))?;
    let meta = first_bytes_field(raw, list.number("metadata"))?;
    let token = first_bytes_field(meta, list_meta.number("continue"))?;
    let token = std::str::from_utf8(token).ok()?;
    (!token.is_empty()).then(|| token.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_files_parse_and_every_type_resolves() {
        let s = schema();
        let pod = s.kind("v1", "Pod").expect("Pod");
        let numbers: Vec<(&str, u32)> = pod
            .fields
            .iter()
            .map(|f| (f.name.as_str(), f.number))
            .collect();
        assert_eq!(numbers, [("metadata", 1), ("spec", 2), ("status", 3)]);
        assert!(s.kind("apps/v1", "DaemonSet").is_some());
        let status = s.kind("v1", "Status").expect("Status");
        assert_eq!(status.name, format!("{META}.Status"));
        let labels = s
            .message(&format!("{META}.ObjectMeta"))
            .and_then(|m| m.field("labels"))
            .expect("ObjectMeta.labels");
        assert_eq!(labels.label, Label::Map(Scalar::String));
        let volume = s.message("k8s.io.api.core.v1.Volume").unwrap();
        assert!(volume.field("volumeSource").unwrap().inline);
    }

    #[test]
    fn varints_and_lengths() {
        for v in [0u64, 1, 127, 128, 300, 16_383, 16_384, u64::MAX] {
            let mut out = Vec::new();
            put_varint(&mut out, v);
            assert_eq!(out.len(), varint_len(v), "{v}");
            assert_eq!(read_varint(&out, &mut 0), Some(v));
        }
        // A nested message longer than 127 bytes gets a two-byte length.
        let mut out = Vec::new();
        nested(&mut out, |o| {
            o.extend(std::iter::repeat_n(7, 200));
            Ok(())
        })
        .unwrap();
        assert_eq!(&out[..2], &[0xc8, 0x01]);
        assert_eq!(out.len(), 202);
    }

    #[test]
    fn go_durations() {
        assert_eq!(go_duration("1h2m3s"), Some(3_723_000_000_000));
        assert_eq!(go_duration("1.5s"), Some(1_500_000_000));
        assert_eq!(go_duration("-300ms"), Some(-300_000_000));
        assert_eq!(go_duration("0"), Some(0));
        assert_eq!(go_duration("5 parsecs"), None);
    }

    #[test]
    fn micro_time_keeps_microseconds_and_time_drops_them() {
        assert_eq!(micros("2026-01-01T00:00:00.123456789Z"), 123_456);
        assert_eq!(micros("2026-01-01T00:00:00.5Z"), 500_000);
        assert_eq!(micros("2026-01-01T00:00:00Z"), 0);
    }

    #[test]
    fn wrong_json_types_are_errors_and_unknown_keys_are_dropped() {
        let s = schema();
        let pod = s.kind("v1", "Pod").unwrap();
        let mut dropped = Vec::new();
        let v = serde_json::json!({"metadata": {"name": "p", "color": "blue"}, "spec": {}});
        s.encode(pod, &v, &mut Vec::new(), &mut dropped).unwrap();
        assert_eq!(dropped, ["metadata.color"]);
        let bad = serde_json::json!({"metadata": {"generation": "seven"}});
        let e = s
            .encode(pod, &bad, &mut Vec::new(), &mut dropped)
            .unwrap_err();
        assert!(e.contains("metadata.generation"), "{e}");
    }
}
