//! The protobuf encoder against Go, and the simulator's protobuf responses.

use ds_coverage_simulator::protobuf::{self, Kind, Label, Scalar, Wire, schema};
use serde_json::Value;

fn fixture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/tests/fixtures/protobuf/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// A message as a tree of named fields, for a readable diff: `path = value` lines in wire order.
fn tree(msg: &str, b: &[u8], path: &str, out: &mut Vec<String>) {
    let s = schema();
    let m = s.message(msg).unwrap_or_else(|| panic!("no message {msg}"));
    for (n, w) in protobuf::fields(b).unwrap_or_else(|| panic!("{path}: not a message")) {
        let Some(f) = m.fields.iter().find(|f| f.number == n) else {
            out.push(format!("{path}.#{n} = {w:?}"));
            continue;
        };
        let p = format!("{path}.{}", f.name);
        match (&f.label, &f.kind, w) {
            (Label::Map(_), kind, Wire::Bytes(entry)) => {
                let e = protobuf::fields(entry).unwrap();
                let key = match e.iter().find(|(n, _)| *n == 1) {
                    Some((_, Wire::Bytes(k))) => String::from_utf8_lossy(k).into_owned(),
                    other => format!("{other:?}"),
                };
                let value = e.iter().find(|(n, _)| *n == 2).map(|(_, v)| *v);
                match (kind, value) {
                    (Kind::Message(inner), Some(Wire::Bytes(v))) => {
                        tree(inner, v, &format!("{p}[{key}]"), out)
                    }
                    (_, v) => out.push(format!("{p}[{key}] = {v:?}")),
                }
            }
            (_, Kind::Message(inner), Wire::Bytes(v)) => tree(inner, v, &p, out),
            (_, Kind::Scalar(Scalar::String), Wire::Bytes(v)) => {
                out.push(format!("{p} = {:?}", String::from_utf8_lossy(v)))
            }
            (_, _, w) => out.push(format!("{p} = {w:?}")),
        }
    }
}

/// Go's own encoding of the k8s.io/api round-trip fixtures (every field set, non-zero), byte for
/// byte: field order, map entries, embedded structs, Time, Quantity, IntOrString, RawExtension
/// and FieldsV1 all as Go writes them. A difference is reported field by field.
#[test]
fn encoding_the_json_fixtures_gives_go_bytes() {
    for (name, msg) in [
        ("core.v1.Pod", "k8s.io.api.core.v1.Pod"),
        ("core.v1.Node", "k8s.io.api.core.v1.Node"),
        ("apps.v1.DaemonSet", "k8s.io.api.apps.v1.DaemonSet"),
        (
            "apps.v1.ControllerRevision",
            "k8s.io.api.apps.v1.ControllerRevision",
        ),
    ] {
        let json: Value = serde_json::from_slice(&fixture(&format!("{name}.json"))).unwrap();
        let go = fixture(&format!("{name}.pb"));
        let ours = protobuf::encode_object(&json).unwrap();
        let (api_version, kind, _) = protobuf::open_envelope(&go).unwrap();
        assert_eq!(
            (api_version, kind),
            (
                json["apiVersion"].as_str().unwrap().to_string(),
                json["kind"].as_str().unwrap().to_string()
            )
        );
        // Nothing of the JSON was dropped: the schema knows every field Go filled.
        let mut dropped = Vec::new();
        let s = schema();
        s.encode(
            s.message(msg).unwrap(),
            &json,
            &mut Vec::new(),
            &mut dropped,
        )
        .unwrap();
        dropped.sort();
        assert_eq!(dropped, ["apiVersion", "kind"], "{name}");
        if go != ours {
            let (mut a, mut b) = (Vec::new(), Vec::new());
            tree(msg, protobuf::open_envelope(&go).unwrap().2, "", &mut a);
            tree(msg, protobuf::open_envelope(&ours).unwrap().2, "", &mut b);
            let only_go: Vec<_> = a.iter().filter(|l| !b.contains(l)).collect();
            let only_ours: Vec<_> = b.iter().filter(|l| !a.contains(l)).collect();
            panic!(
                "{name}: {} bytes from Go, {} ours\nonly Go: {only_go:#?}\nonly ours: {only_ours:#?}",
                go.len(),
                ours.len()
            );
        }
        assert!(go.len() > 400, "{name}: {} bytes", go.len());
    }
}
