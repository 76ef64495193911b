//! Objects dumped by the Kubernetes Python client (`api.list_…().to_dict()` written as YAML or
//! JSON): field names in snake_case (`match_labels`, `node_selector`, `owner_references`), unset
//! fields as `null`, timestamps as `2019-08-15 17:53:52+00:00`. Each field name maps one-to-one
//! onto the API's camelCase name (the client generates them from the OpenAPI spec with a fixed
//! rule, plus acronyms and names that clash with Python keywords); the keys of free-form maps
//! (labels, annotations, selectors, resource lists) are data and are kept as they are. A name
//! that fits neither is refused rather than guessed, so a dump is read right or not at all.

use serde_json::{Map, Value};

/// Fields whose value is a free-form map: its keys are data (label keys, resource names, the
/// raw `data` of a ControllerRevision, managed-field paths), never renamed.
const FREE_FORM: &[&str] = &[
    "labels",
    "annotations",
    "node_selector",
    "match_labels",
    "capacity",
    "allocatable",
    "limits",
    "requests",
    "overhead",
    "allocated_resources",
    "data",
    "binary_data",
    "string_data",
    "volume_attributes",
    "parameters",
    "fields_v1",
];

/// Python names whose API spelling the plain rule (drop `_`, capitalise the next letter) gets
/// wrong: acronyms, and names the client prefixes with `_` because they clash with Python.
const IRREGULAR: &[(&str, &str)] = &[
    ("_continue", "continue"),
    ("_exec", "exec"),
    ("_from", "from"),
    ("_not", "not"),
    ("_ref", "$ref"),
    ("_schema", "$schema"),
    ("boot_id", "bootID"),
    ("container_id", "containerID"),
    ("external_id", "externalID"),
    ("image_id", "imageID"),
    ("machine_id", "machineID"),
    ("provider_id", "providerID"),
    ("volume_id", "volumeID"),
    ("system_uuid", "systemUUID"),
    ("dataset_uuid", "datasetUUID"),
    ("host_ip", "hostIP"),
    ("pod_ip", "podIP"),
    ("cluster_ip", "clusterIP"),
    ("load_balancer_ip", "loadBalancerIP"),
    ("pod_ips", "podIPs"),
    ("pod_i_ps", "podIPs"),
    ("host_i_ps", "hostIPs"),
    ("external_i_ps", "externalIPs"),
    ("cluster_i_ps", "clusterIPs"),
    ("pod_cidr", "podCIDR"),
    ("pod_cidrs", "podCIDRs"),
    ("pod_cid_rs", "podCIDRs"),
    ("host_pid", "hostPID"),
    ("host_ipc", "hostIPC"),
    ("downward_api", "downwardAPI"),
    ("scale_io", "scaleIO"),
    ("disk_uri", "diskURI"),
    ("target_ww_ns", "targetWWNs"),
    ("non_resource_ur_ls", "nonResourceURLs"),
    ("fields_v1", "fieldsV1"),
];

/// Whether an object is in the Python client's shape: it always writes every field, so
/// `api_version` (top level) and `creation_timestamp` (metadata) are there, if only as null.
pub(super) fn is_pyclient(o: &Map<String, Value>) -> bool {
    o.contains_key("api_version")
        || o.get("metadata")
            .and_then(Value::as_object)
            .is_some_and(|m| m.contains_key("creation_timestamp"))
}

/// The object as the API server writes it.
pub(super) fn to_api(o: Map<String, Value>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for (k, v) in o {
        if v.is_null() {
            continue;
        }
        let name = camel(&k)?;
        let v = if FREE_FORM.contains(&k.as_str()) && v.is_object() {
            v
        } else {
            convert(v)?
        };
        out.insert(name, v);
    }
    Ok(out)
}

fn convert(v: Value) -> Result<Value, String> {
    Ok(match v {
        Value::Object(o) => Value::Object(to_api(o)?),
        Value::Array(a) => Value::Array(
            a.into_iter()
                .filter(|x| !x.is_null())
                .map(convert)
                .collect::<Result<_, _>>()?,
        ),
        Value::String(s) => Value::String(timestamp(&s).unwrap_or(s)),
        other => other,
    })
}

fn camel(key: &str) -> Result<String, String> {
    if let Some((_, api)) = IRREGULAR.iter().find(|(py, _)| *py == key) {
        return Ok((*api).to_string());
    }
    let snake = key.split('_').enumerate().all(|(i, w)| {
        !w.is_empty()
            && w.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            && (i > 0 || w.as_bytes()[0].is_ascii_lowercase())
    });
    if !snake {
        return Err(format!(
            "a Python-client dump (snake_case field names) with a field `{key}` that has no \
             known API name: read it with `kubectl get -o json` instead"
        ));
    }
    let mut out = String::with_capacity(key.len());
    for (i, w) in key.split('_').enumerate() {
        if i == 0 {
            out.push_str(w);
        } else {
            let mut c = w.chars();
            if let Some(f) = c.next() {
                out.extend(f.to_uppercase());
                out.push_str(c.as_str());
            }
        }
    }
    Ok(out)
}

/// `2019-08-15 17:53:52+00:00` (Python's `str(datetime)`) as RFC 3339, as the API writes it.
fn timestamp(s: &str) -> Option<String> {
    let b = s.as_bytes();
    let shape = b.len() >= 25
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b' '
        && b[13] == b':'
        && b[16] == b':'
        && b[..4].iter().all(u8::is_ascii_digit);
    if !shape {
        return None;
    }
    let t: jiff::Timestamp = s.replacen(' ', "T", 1).parse().ok()?;
    Some(t.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_onto_the_api_spelling() {
        assert_eq!(camel("node_name").unwrap(), "nodeName");
        assert_eq!(camel("owner_references").unwrap(), "ownerReferences");
        assert_eq!(camel("pod_ip").unwrap(), "podIP");
        assert_eq!(camel("_exec").unwrap(), "exec");
        assert_eq!(camel("kind").unwrap(), "kind");
        assert!(camel("f:metadata").is_err());
        assert!(camel("nodeName").is_err());
    }

    #[test]
    fn python_timestamps_become_rfc3339() {
        assert_eq!(
            timestamp("2019-08-15 17:53:52+00:00").as_deref(),
            Some("2019-08-15T17:53:52Z")
        );
        assert_eq!(
            timestamp("2019-08-15 19:53:52.250000+02:00").as_deref(),
            Some("2019-08-15T17:53:52.25Z")
        );
        assert_eq!(timestamp("not a time at all, not at all"), None);
    }

    #[test]
    fn free_form_keys_stay_and_nulls_go() {
        let v: Value = serde_json::json!({
            "api_version": null, "kind": "Pod",
            "metadata": {"labels": {"app_name": "x", "k8s-app": "y"}, "owner_references": null,
                         "creation_timestamp": "2019-08-15 17:53:52+00:00"},
            "spec": {"node_selector": {"beta.kubernetes.io/os": "linux"}, "host_pid": true}
        });
        let Value::Object(o) = v else { unreachable!() };
        assert!(is_pyclient(&o));
        let out = Value::Object(to_api(o).unwrap());
        assert_eq!(
            out,
            serde_json::json!({
                "kind": "Pod",
                "metadata": {"labels": {"app_name": "x", "k8s-app": "y"},
                             "creationTimestamp": "2019-08-15T17:53:52Z"},
                "spec": {"nodeSelector": {"beta.kubernetes.io/os": "linux"}, "hostPID": true}
            })
        );
    }
}
