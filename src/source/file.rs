//! Cluster state from `kubectl get -o json|yaml` output: single objects, `List` and typed lists
//! (`NodeList`, ...), bare JSON arrays, concatenated JSON documents (`kubectl cluster-info dump`),
//! multi-document YAML with comments (must-gather), directories read recursively, and stdin.
//! Kinds other than Node, Pod, DaemonSet and ControllerRevision are skipped.

use std::io::Read;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::error::{Error, Result};
use crate::model::{ControllerRevision, DaemonSet, Node, Pod};
use crate::report::Source;
use crate::snapshot::Snapshot;

/// Read every path (`-` is stdin) into one snapshot; input without a single object the audit
/// reads is an error.
pub fn load(paths: &[String], stdin: &mut dyn Read) -> Result<Snapshot> {
    let snap = load_any(paths, stdin)?;
    if snap.nodes.is_empty()
        && snap.daemon_sets.is_empty()
        && snap.pods.is_empty()
        && snap.revisions.is_empty()
    {
        // An empty pipe from a failed `kubectl get` must not audit as "all fine".
        return Err(Error::Input {
            path: paths.join(", "),
            message: "no nodes, DaemonSets, pods or ControllerRevisions in the input (expected \
                      `kubectl get nodes,daemonsets,pods,controllerrevisions -A -o json` output)"
                .into(),
        });
    }
    Ok(snap)
}

fn load_any(paths: &[String], stdin: &mut dyn Read) -> Result<Snapshot> {
    let mut snap = Snapshot::new(Source::File {
        paths: paths.to_vec(),
    });
    let mut stdin_used = false;
    for p in paths {
        if p == "-" {
            if stdin_used {
                return Err(Error::Usage(
                    "standard input (-) can be given only once".into(),
                ));
            }
            stdin_used = true;
            let mut text = String::new();
            stdin.read_to_string(&mut text).map_err(|e| Error::Input {
                path: "<stdin>".into(),
                message: format!("cannot read: {e}"),
            })?;
            load_text("<stdin>", &text, &mut snap)?;
            continue;
        }
        let path = Path::new(p);
        let meta = std::fs::metadata(path).map_err(|e| Error::Input {
            path: p.clone(),
            message: io_message(&e),
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(path, &mut files)?;
            for f in files {
                load_file(&f, &mut snap)?;
            }
        } else {
            load_file(path, &mut snap)?;
        }
    }
    Ok(snap)
}

fn io_message(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        _ => format!("cannot read: {e}"),
    }
}

/// Files under a directory with a JSON or YAML extension, sorted for a stable order.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::Input {
        path: dir.display().to_string(),
        message: io_message(&e),
    })?;
    let mut paths: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(
            p.extension().and_then(|e| e.to_str()),
            Some("json" | "yaml" | "yml")
        ) {
            out.push(p);
        }
    }
    Ok(())
}

fn load_file(path: &Path, snap: &mut Snapshot) -> Result<()> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Input {
        path: name.clone(),
        message: io_message(&e),
    })?;
    let text = String::from_utf8(bytes).map_err(|_| Error::Input {
        path: name.clone(),
        message: "not UTF-8 text: expected kubectl -o json or -o yaml output".into(),
    })?;
    load_text(&name, &text, snap)
}

/// DaemonSets from `--manifest` files (multi-document YAML as `helm template` prints it; other
/// kinds skipped). A file without any DaemonSet is a usage error: it is surely the wrong file.
pub fn load_manifests(paths: &[String], stdin: &mut dyn Read) -> Result<Vec<DaemonSet>> {
    let snap = load_any(paths, stdin)?;
    if snap.daemon_sets.is_empty() {
        return Err(Error::Usage(format!(
            "no DaemonSet in --manifest {}",
            paths.join(", ")
        )));
    }
    Ok(snap.daemon_sets)
}

/// Parse one file's text (JSON when it starts with `{` or `[`, else YAML) into the snapshot.
pub fn load_text(name: &str, text: &str, snap: &mut Snapshot) -> Result<()> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    let docs: Vec<Value> = if trimmed.starts_with('{') || trimmed.starts_with('[') {
        let mut docs = Vec::new();
        for doc in serde_json::Deserializer::from_str(trimmed).into_iter::<Value>() {
            docs.push(doc.map_err(|e| Error::Input {
                path: name.into(),
                message: format!(
                    "invalid JSON at line {}, column {}: {}",
                    e.line(),
                    e.column(),
                    json_message(&e)
                ),
            })?);
        }
        docs
    } else {
        serde_saphyr::from_multiple::<Value>(text).map_err(|e| Error::Input {
            path: name.into(),
            message: yaml_message(&e),
        })?
    };
    for doc in docs {
        add_document(name, doc, None, snap)?;
    }
    Ok(())
}

fn json_message(e: &serde_json::Error) -> String {
    // serde_json appends " at line X column Y"; it is already in front.
    let s = e.to_string();
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn yaml_message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let mut first = text.lines().next().unwrap_or("").trim();
    // The parser's own text repeats "error: line X column Y:"; the location is given once.
    first = first.strip_prefix("error: ").unwrap_or(first);
    if first.starts_with("line ")
        && let Some(i) = first.find(": ")
    {
        first = &first[i + 2..];
    }
    match e.location() {
        Some(loc) => format!(
            "invalid YAML at line {}, column {}: {first}",
            loc.line(),
            loc.column()
        ),
        None => format!("invalid YAML: {first}"),
    }
}

/// Add one parsed document: an object, a list of objects, or nothing (empty YAML document).
/// `item_kind` is the kind implied by a typed list (`NodeList` items omit their kind).
fn add_document(
    name: &str,
    doc: Value,
    item_kind: Option<&str>,
    snap: &mut Snapshot,
) -> Result<()> {
    match doc {
        Value::Null => Ok(()),
        Value::Array(items) => {
            for item in items {
                add_document(name, item, item_kind, snap)?;
            }
            Ok(())
        }
        Value::Object(mut obj) => {
            let kind = obj
                .get("kind")
                .and_then(Value::as_str)
                .map(str::to_string)
                .or_else(|| item_kind.map(str::to_string))
                .unwrap_or_default();
            if let Some(Value::Array(_)) = obj.get("items")
                && (kind.is_empty() || kind.ends_with("List"))
            {
                let Some(Value::Array(items)) = obj.remove("items") else {
                    unreachable!()
                };
                let implied = kind.strip_suffix("List").filter(|k| !k.is_empty());
                for item in items {
                    add_document(name, item, implied, snap)?;
                }
                return Ok(());
            }
            add_object(name, &kind, Value::Object(obj), snap)
        }
        _ => Err(Error::Input {
            path: name.into(),
            message:
                "expected Kubernetes objects (kubectl get -o json|yaml output), found a bare value"
                    .into(),
        }),
    }
}

fn add_object(name: &str, kind: &str, v: Value, snap: &mut Snapshot) -> Result<()> {
    let bad = |e: serde_json::Error, v: &Value| Error::Input {
        path: name.into(),
        message: format!("{kind} {}: {e}", object_name(v)),
    };
    match kind {
        "Node" => snap.add_node(serde_json::from_value::<Node>(v.clone()).map_err(|e| bad(e, &v))?),
        "Pod" => snap.add_pod(serde_json::from_value::<Pod>(v.clone()).map_err(|e| bad(e, &v))?),
        "DaemonSet" => snap.add_daemon_set(daemon_set_from_value(v).map_err(|(e, v)| bad(e, &v))?),
        "ControllerRevision" => snap.add_revision(
            serde_json::from_value::<ControllerRevision>(v.clone()).map_err(|e| bad(e, &v))?,
        ),
        _ => {}
    }
    Ok(())
}

/// A DaemonSet with its raw template kept for revision comparison.
pub fn daemon_set_from_value(
    v: Value,
) -> std::result::Result<DaemonSet, (serde_json::Error, Value)> {
    let template_raw = v.pointer("/spec/template").cloned().unwrap_or(Value::Null);
    match serde_json::from_value::<DaemonSet>(v.clone()) {
        Ok(mut ds) => {
            ds.template_raw = template_raw;
            Ok(ds)
        }
        Err(e) => Err((e, v)),
    }
}

fn object_name(v: &Value) -> String {
    let get = |k: &str| {
        v.pointer(&format!("/metadata/{k}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    match (get("namespace"), get("name")) {
        ("", "") => "(unnamed)".into(),
        ("", n) => n.into(),
        (ns, n) => format!("{ns}/{n}"),
    }
}
