//! The protobuf encoder against Go, and the simulator's protobuf responses.

use ds_coverage_simulator::client::{self, Response};
use ds_coverage_simulator::generator::ClusterSpec;
use ds_coverage_simulator::protobuf::{self, Kind, Label, Message, Scalar, Wire, schema};
use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
use serde_json::{Map, Value, json};

/// What client-go sends for built-in types.
const CLIENT_GO: &str = "application/vnd.kubernetes.protobuf, application/json";

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

// ---- A small test-only decoder: protobuf back to the JSON the API would have served. ----

/// Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
fn civil(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn rfc3339(secs: i64, micros: Option<i64>) -> String {
    let (y, mo, d) = civil(secs.div_euclid(86_400));
    let t = secs.rem_euclid(86_400);
    let frac = micros.map_or(String::new(), |m| format!(".{m:06}"));
    format!(
        "{y:04}-{mo:02}-{d:02}T{:02}:{:02}:{:02}{frac}Z",
        t / 3600,
        t / 60 % 60,
        t % 60
    )
}

fn varint(fields: &[(u32, Wire<'_>)], n: u32) -> u64 {
    fields
        .iter()
        .rev()
        .find_map(|(k, w)| match w {
            Wire::Varint(v) if *k == n => Some(*v),
            _ => None,
        })
        .unwrap_or(0)
}

fn text(fields: &[(u32, Wire<'_>)], n: u32) -> String {
    fields
        .iter()
        .rev()
        .find_map(|(k, w)| match w {
            Wire::Bytes(v) if *k == n => Some(String::from_utf8(v.to_vec()).unwrap()),
            _ => None,
        })
        .unwrap_or_default()
}

fn number(m: &Message, name: &str) -> u32 {
    m.field(name).unwrap().number
}

/// One value of a field.
fn decode_one(kind: &Kind, w: Wire<'_>) -> Value {
    match (kind, w) {
        (Kind::Scalar(Scalar::String), Wire::Bytes(b)) => {
            json!(String::from_utf8(b.to_vec()).unwrap())
        }
        (Kind::Scalar(Scalar::Bool), Wire::Varint(v)) => json!(v != 0),
        (Kind::Scalar(Scalar::Int32), Wire::Varint(v)) => json!(v as i32),
        (Kind::Scalar(Scalar::Int64), Wire::Varint(v)) => json!(v as i64),
        (Kind::Message(name), Wire::Bytes(b)) => {
            let m = schema().message(name).unwrap();
            let f = protobuf::fields(b).expect("a message");
            match name.rsplit('.').next().unwrap() {
                "Time" => json!(rfc3339(varint(&f, number(m, "seconds")) as i64, None)),
                "MicroTime" => json!(rfc3339(
                    varint(&f, number(m, "seconds")) as i64,
                    Some(varint(&f, number(m, "nanos")) as i64 / 1000)
                )),
                "Quantity" => json!(text(&f, number(m, "string"))),
                "IntOrString" => match varint(&f, number(m, "type")) {
                    0 => json!(varint(&f, number(m, "intVal")) as i32),
                    _ => json!(text(&f, number(m, "strVal"))),
                },
                "RawExtension" | "FieldsV1" => {
                    let raw = f.iter().find_map(|(_, w)| match w {
                        Wire::Bytes(b) => Some(*b),
                        _ => None,
                    });
                    serde_json::from_slice(raw.unwrap_or(b"null")).unwrap()
                }
                _ => decode(m, b),
            }
        }
        (kind, w) => panic!("{kind:?} cannot be {w:?}"),
    }
}

/// A message as JSON: fields by name, embedded (inline) messages merged into their parent.
fn decode(m: &Message, b: &[u8]) -> Value {
    let mut out = Map::new();
    for (n, w) in protobuf::fields(b).expect("a message") {
        let f = m
            .fields
            .iter()
            .find(|f| f.number == n)
            .unwrap_or_else(|| panic!("{}: no field {n}", m.name));
        match f.label {
            _ if f.inline => {
                if let Value::Object(inner) = decode_one(&f.kind, w) {
                    out.extend(inner);
                }
            }
            Label::Optional => {
                out.insert(f.name.clone(), decode_one(&f.kind, w));
            }
            Label::Repeated => {
                let list = out.entry(f.name.clone()).or_insert_with(|| json!([]));
                list.as_array_mut().unwrap().push(decode_one(&f.kind, w));
            }
            Label::Map(_) => {
                let Wire::Bytes(entry) = w else {
                    panic!("a map entry")
                };
                let e = protobuf::fields(entry).unwrap();
                let key = text(&e, 1);
                let value = e
                    .iter()
                    .rev()
                    .find(|(k, _)| *k == 2)
                    .map_or(Value::Null, |(_, v)| decode_one(&f.kind, *v));
                let map = out.entry(f.name.clone()).or_insert_with(|| json!({}));
                map.as_object_mut().unwrap().insert(key, value);
            }
        }
    }
    Value::Object(out)
}

/// JSON as protobuf carries it: no nulls, no empty lists or maps (protobuf has no way to say
/// them), no `kind`/`apiVersion` on items. Keys the schema does not know fail the test.
fn normalize(m: &Message, v: &mut Value) {
    let s = schema();
    let Value::Object(obj) = v else { return };
    let keys: Vec<String> = obj.keys().cloned().collect();
    for k in keys {
        let field = m.field(&k).filter(|f| !f.inline).or_else(|| {
            m.fields
                .iter()
                .filter(|f| f.inline)
                .find(|f| match &f.kind {
                    Kind::Message(inner) => s.message(inner).unwrap().field(&k).is_some(),
                    Kind::Scalar(_) => false,
                })
        });
        let Some(field) = field else {
            assert!(
                matches!(k.as_str(), "kind" | "apiVersion"),
                "{}: unknown key {k}",
                m.name
            );
            obj.remove(&k);
            continue;
        };
        // A key of an embedded message: normalise it as that message's.
        let (field, msg) = if field.inline {
            let Kind::Message(inner) = &field.kind else {
                unreachable!()
            };
            let inner = s.message(inner).unwrap();
            (inner.field(&k).unwrap(), inner)
        } else {
            (field, m)
        };
        let _ = msg;
        let value = obj.get_mut(&k).unwrap();
        let empty = match value {
            Value::Null => true,
            Value::Array(a) => a.is_empty(),
            Value::Object(o) => o.is_empty() && matches!(field.label, Label::Map(_)),
            _ => false,
        };
        if empty {
            obj.remove(&k);
            continue;
        }
        let Kind::Message(inner) = &field.kind else {
            continue;
        };
        if protobuf::special(inner).is_some() {
            if inner.ends_with(".Quantity") {
                if let Value::Object(map) = value {
                    for q in map.values_mut() {
                        if let Value::Number(n) = q {
                            *q = json!(n.to_string());
                        }
                    }
                }
            }
            continue;
        }
        let inner = s.message(inner).unwrap();
        match (field.label, value) {
            (Label::Repeated, Value::Array(items)) => {
                items.iter_mut().for_each(|i| normalize(inner, i))
            }
            (Label::Map(_), Value::Object(map)) => {
                map.values_mut().for_each(|i| normalize(inner, i))
            }
            (_, value) => normalize(inner, value),
        }
    }
}

fn pod_message() -> &'static Message {
    schema().kind("v1", "Pod").unwrap()
}

fn fetch(sim: &Simulator, target: &str, accept: &str, gzip: bool) -> Response {
    let mut headers = vec![("Accept", accept)];
    if gzip {
        headers.push(("Accept-Encoding", "gzip"));
    }
    client::request(&sim.url(), "GET", target, &headers, None).expect("the simulator answers")
}

/// Opens a protobuf body: checks the content type and the envelope, returns the raw object.
fn open<'a>(resp: &'a Response, kind: &str) -> &'a [u8] {
    assert_eq!(
        resp.header("content-type"),
        Some(protobuf::MEDIA_TYPE),
        "{}",
        resp.text()
    );
    let (api_version, k, raw) = protobuf::open_envelope(&resp.body).expect("a protobuf envelope");
    assert_eq!((api_version.as_str(), k.as_str()), ("v1", kind));
    raw
}

/// A protobuf error body: its meta/v1 Status as JSON.
fn pb_status(resp: &Response) -> Value {
    decode(schema().kind("v1", "Status").unwrap(), open(resp, "Status"))
}

/// A protobuf list page: (resourceVersion, continue, items as JSON).
fn pb_page(resp: &Response) -> (String, String, Vec<Value>) {
    assert_eq!(resp.status, 200, "{}", resp.text());
    let raw = open(resp, "PodList");
    let s = schema();
    let list = s.message("k8s.io.api.core.v1.PodList").unwrap();
    let meta = s
        .message("k8s.io.apimachinery.pkg.apis.meta.v1.ListMeta")
        .unwrap();
    let f = protobuf::fields(raw).unwrap();
    let mut items = Vec::new();
    let mut list_meta = Vec::new();
    for (n, w) in f {
        match w {
            Wire::Bytes(b) if n == number(list, "items") => items.push(decode(pod_message(), b)),
            Wire::Bytes(b) if n == number(list, "metadata") => list_meta = b.to_vec(),
            other => panic!("unexpected PodList field {n}: {other:?}"),
        }
    }
    let lm = protobuf::fields(&list_meta).unwrap();
    (
        text(&lm, number(meta, "resourceVersion")),
        text(&lm, number(meta, "continue")),
        items,
    )
}

/// Lists `path` page by page in JSON and in protobuf, and checks each protobuf page decodes to
/// the JSON page: same items, resourceVersion and continue token. Returns (pages, pods).
fn same_lists(sim: &Simulator, path: &str, query: &str, limit: usize) -> (usize, usize) {
    let (mut cont, mut pages, mut pods) = (String::new(), 0, 0);
    loop {
        let mut target = format!("{path}?limit={limit}{query}");
        if !cont.is_empty() {
            target.push_str(&format!("&continue={cont}"));
        }
        let json_page = fetch(sim, &target, "application/json", false);
        assert_eq!(json_page.header("content-type"), Some("application/json"));
        let doc = json_page.json().unwrap();
        let (rv, next, items) = pb_page(&fetch(sim, &target, CLIENT_GO, false));
        assert_eq!(
            rv,
            doc["metadata"]["resourceVersion"].as_str().unwrap(),
            "{target}"
        );
        assert_eq!(
            next,
            doc["metadata"]["continue"].as_str().unwrap_or(""),
            "{target}"
        );
        let expected = doc["items"].as_array().unwrap();
        assert_eq!(items.len(), expected.len(), "{target}");
        for (mut want, got) in expected.iter().cloned().zip(&items) {
            normalize(pod_message(), &mut want);
            assert_eq!(got, &want, "{target}: {}", want["metadata"]["name"]);
        }
        pages += 1;
        pods += items.len();
        if next.is_empty() {
            return (pages, pods);
        }
        cont = next;
    }
}

/// A generated cluster, served with this gzip threshold.
fn generated(spec: ClusterSpec, gzip_threshold: usize) -> Simulator {
    let opts = SimOptions {
        seed: spec.seed,
        gzip_threshold,
        ..SimOptions::default()
    };
    Simulator::try_start_generated(&spec, opts)
        .expect("the cluster loads")
        .0
}

fn real_fixture(name: &str) -> Simulator {
    let path = format!("{}/../fixtures/real/{name}", env!("CARGO_MANIFEST_DIR"));
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    Simulator::try_start_from_reader(
        file,
        SimOptions {
            seed: 5,
            ..SimOptions::default()
        },
    )
    .expect("the fixture loads")
}

#[test]
fn protobuf_pod_lists_of_real_clusters_decode_to_the_json_lists_page_by_page() {
    for (name, limit) in [
        ("sonobuoy-aws3-pods.list.json", 4),
        ("kalc-gke5-pods.json", 10),
    ] {
        let sim = real_fixture(name);
        let (pages, pods) = same_lists(&sim, "/api/v1/pods", "", limit);
        assert!(pages > 1 && pods > 10, "{name}: {pages} pages, {pods} pods");
        let ns = same_lists(&sim, "/api/v1/namespaces/kube-system/pods", "", limit);
        assert!(ns.1 > 0, "{name}: no kube-system pods");
    }
}

#[test]
fn protobuf_pod_lists_of_a_generated_cluster_decode_to_the_json_lists_and_follow_writes() {
    let sim = generated(ClusterSpec::sized(3, 12, 4, 0.2), usize::MAX);
    let (pages, pods) = same_lists(&sim, "/api/v1/pods", "", 25);
    assert!(pages > 2 && pods > 50, "{pages} pages, {pods} pods");
    // Per DaemonSet, as the plugin lists them: a namespace and a label selector.
    let mut selected = 0;
    for ds in sim.objects("DaemonSet") {
        let ns = ds["metadata"]["namespace"].as_str().unwrap();
        let sel: Vec<String> = ds["spec"]["selector"]["matchLabels"]
            .as_object()
            .unwrap()
            .iter()
            .map(|(k, v)| format!("{k}%3D{}", v.as_str().unwrap()))
            .collect();
        let path = format!("/api/v1/namespaces/{ns}/pods");
        selected += same_lists(&sim, &path, &format!("&labelSelector={}", sel.join(",")), 5).1;
    }
    assert!(selected > 20, "{selected} daemon pods");

    // A write is served in protobuf at once: the pod's protobuf is rebuilt with its JSON.
    let mut pod = sim.objects("Pod").remove(0);
    pod["metadata"]["labels"]["edited"] = json!("yes");
    pod["status"]["phase"] = json!("Failed");
    sim.apply(pod.clone()).unwrap();
    let (ns, name) = (
        pod["metadata"]["namespace"].as_str().unwrap(),
        pod["metadata"]["name"].as_str().unwrap(),
    );
    let got = fetch(
        &sim,
        &format!("/api/v1/namespaces/{ns}/pods/{name}"),
        CLIENT_GO,
        false,
    );
    assert_eq!(got.status, 200);
    let decoded = decode(pod_message(), open(&got, "Pod"));
    assert_eq!(decoded["metadata"]["labels"]["edited"], "yes");
    assert_eq!(decoded["status"]["phase"], "Failed");
    let mut want = fetch(
        &sim,
        &format!("/api/v1/namespaces/{ns}/pods/{name}"),
        "application/json",
        false,
    )
    .json()
    .unwrap();
    normalize(pod_message(), &mut want);
    assert_eq!(decoded, want);
    same_lists(&sim, "/api/v1/pods", "", 40);
}

#[test]
fn an_expired_continue_is_a_protobuf_status_410() {
    let sim = real_fixture("sonobuoy-aws3-pods.list.json");
    let (_, cont, _) = pb_page(&fetch(&sim, "/api/v1/pods?limit=3", CLIENT_GO, false));
    assert!(!cont.is_empty());
    sim.compact();
    let resp = fetch(
        &sim,
        &format!("/api/v1/pods?limit=3&continue={cont}"),
        CLIENT_GO,
        false,
    );
    assert_eq!(resp.status, 410);
    let status = pb_status(&resp);
    assert_eq!(status["code"], 410);
    assert_eq!(status["reason"], "Expired");
    assert_eq!(status["status"], "Failure");
    assert!(
        status["message"]
            .as_str()
            .unwrap()
            .contains("continuation parameter is too old")
    );
    // The same request asking for JSON gets the JSON Status.
    let resp = fetch(
        &sim,
        &format!("/api/v1/pods?limit=3&continue={cont}"),
        "application/json",
        false,
    );
    assert_eq!(
        (resp.status, resp.json().unwrap()["reason"].clone()),
        (410, json!("Expired"))
    );
}

#[test]
fn injected_faults_of_protobuf_requests_are_protobuf_statuses() {
    let sim = real_fixture("sonobuoy-aws3-pods.list.json");
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::Status(403),
        )
        .times(1),
    );
    let resp = fetch(
        &sim,
        "/api/v1/namespaces/kube-system/pods",
        CLIENT_GO,
        false,
    );
    assert_eq!(resp.status, 403);
    let status = pb_status(&resp);
    assert_eq!(
        (status["code"].clone(), status["reason"].clone()),
        (json!(403), json!("Forbidden"))
    );
    assert_eq!(status["details"]["kind"], "pods");
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::Status(429),
        )
        .times(1),
    );
    let busy = fetch(&sim, "/api/v1/pods", CLIENT_GO, false);
    assert_eq!((busy.status, busy.header("retry-after")), (429, Some("1")));
    let status = pb_status(&busy);
    assert_eq!(status["reason"], "TooManyRequests");
    assert_eq!(status["details"]["retryAfterSeconds"], 1);
    let missing = fetch(
        &sim,
        "/api/v1/namespaces/kube-system/pods/nope",
        CLIENT_GO,
        false,
    );
    assert_eq!(missing.status, 404);
    let status = pb_status(&missing);
    assert_eq!(status["details"]["name"], "nope");
}

#[test]
fn protobuf_is_gzipped_as_json_is() {
    let sim = generated(ClusterSpec::sized(2, 6, 3, 0.0), 1024);
    let plain = fetch(&sim, "/api/v1/pods", CLIENT_GO, false);
    let zipped = fetch(&sim, "/api/v1/pods", CLIENT_GO, true);
    assert!(!plain.gzipped() && zipped.gzipped());
    assert_eq!(zipped.body, plain.body, "gunzipped, the same protobuf");
    assert!(
        zipped.wire_len * 3 < plain.body.len(),
        "{} on the wire for {}",
        zipped.wire_len,
        plain.body.len()
    );
    let (_, _, items) = pb_page(&zipped);
    assert_eq!(items.len(), sim.objects("Pod").len());
}

#[test]
fn other_resources_answer_json_or_406_and_watches_stay_json() {
    let sim = real_fixture("sonobuoy-aws3-pods.list.json");
    for target in ["/api/v1/namespaces", "/api/v1/namespaces/kube-system"] {
        let resp = fetch(&sim, target, CLIENT_GO, false);
        assert_eq!(
            (resp.status, resp.header("content-type")),
            (200, Some("application/json")),
            "{target}"
        );
        assert!(resp.json().is_ok());
        let resp = fetch(&sim, target, protobuf::MEDIA_TYPE, false);
        assert_eq!(resp.status, 406, "{target}");
        assert_eq!(resp.json().unwrap()["reason"], "NotAcceptable");
    }
    // Protobuf asked first but JSON preferred: JSON.
    let resp = fetch(
        &sim,
        "/api/v1/pods",
        "application/json, application/vnd.kubernetes.protobuf",
        false,
    );
    assert_eq!(resp.header("content-type"), Some("application/json"));
    // A watch with client-go's Accept streams JSON events.
    let resp = fetch(
        &sim,
        "/api/v1/pods?watch=1&timeoutSeconds=1",
        CLIENT_GO,
        false,
    );
    assert_eq!(
        (resp.status, resp.header("content-type")),
        (200, Some("application/json"))
    );
    let first: Value =
        serde_json::from_slice(resp.body.split(|&b| b == b'\n').next().unwrap()).unwrap();
    assert_eq!(first["type"], "ADDED");
}

/// `ds-coverage-floor --protobuf`: the same pages as the JSON fetch, pods in protobuf, fewer
/// bytes; the plugin's lists (per DaemonSet) and kubectl's (every pod), gzip on and off.
#[test]
fn the_floor_fetches_pod_lists_in_protobuf() {
    let sim = generated(ClusterSpec::sized(5, 10, 4, 0.1), 4096);
    let floor = |args: &[&str]| -> Value {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_ds-coverage-floor"))
            .args(["--url", &sim.url(), "--limit", "7"])
            .args(args)
            .output()
            .expect("the floor runs");
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    for lists in ["plugin", "kubectl"] {
        for gzip in [false, true] {
            let mut args = vec!["--lists", lists];
            if gzip {
                args.push("--gzip");
            }
            sim.reset_requests();
            let json = floor(&args);
            args.push("--protobuf");
            let pb_requests = {
                sim.reset_requests();
                let pb = floor(&args);
                assert_eq!(pb["protobuf"], true);
                assert_eq!(
                    (pb["pages"].clone(), pb["requests"].clone()),
                    (json["pages"].clone(), json["requests"].clone()),
                    "{args:?}"
                );
                assert!(pb["pages"].as_u64().unwrap() > 10, "{pb}");
                assert!(
                    pb["bytesDecoded"].as_u64().unwrap() < json["bytesDecoded"].as_u64().unwrap(),
                    "{args:?}: {pb} vs {json}"
                );
                sim.requests()
            };
            let pod_pages: Vec<_> = pb_requests
                .iter()
                .filter(|r| r.path.ends_with("/pods"))
                .collect();
            assert!(pod_pages.len() > 5, "{args:?}");
            assert!(
                pod_pages
                    .iter()
                    .all(|r| r.accept.as_deref() == Some(CLIENT_GO) && r.status == 200)
            );
            assert!(
                pod_pages.iter().any(|r| r.param("continue").is_some()),
                "{args:?}: no second page"
            );
            assert!(
                pb_requests
                    .iter()
                    .filter(|r| !r.path.ends_with("/pods"))
                    .all(|r| r.accept.as_deref() == Some("application/json"))
            );
        }
    }
}

/// A pod whose JSON has a value of the wrong type (which a real server would never have stored)
/// still loads and is served in JSON; a protobuf answer that would hold it is a 500 Status naming
/// it, as a server that cannot encode an object answers.
#[test]
fn a_pod_without_a_protobuf_encoding_is_served_in_json_and_fails_protobuf_loudly() {
    let good = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "good", "namespace": "default"}, "spec": {"nodeName": "n1"}});
    let bad = json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "odd", "namespace": "default"},
        "status": {"containerStatuses": [{"name": "c", "restartCount": "three"}]}});
    let sim = Simulator::start(vec![good, bad], SimOptions::default());
    let json_list = fetch(&sim, "/api/v1/pods", "application/json", false);
    assert_eq!(
        json_list.json().unwrap()["items"].as_array().unwrap().len(),
        2
    );
    for target in ["/api/v1/pods", "/api/v1/namespaces/default/pods/odd"] {
        let resp = fetch(&sim, target, CLIENT_GO, false);
        assert_eq!(resp.status, 500, "{target}");
        let status = pb_status(&resp);
        let message = status["message"].as_str().unwrap();
        assert!(
            message.contains("default/odd") && message.contains("restartCount"),
            "{message}"
        );
    }
    let good = fetch(
        &sim,
        "/api/v1/namespaces/default/pods/good",
        CLIENT_GO,
        false,
    );
    assert_eq!(
        decode(pod_message(), open(&good, "Pod"))["spec"]["nodeName"],
        "n1"
    );
}
