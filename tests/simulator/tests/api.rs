//! Reads: discovery, list/get shapes, paging, selectors, gzip, auth, Table printing.

mod common;

use std::collections::BTreeSet;
use std::time::Duration;

use common::*;
use ds_coverage_simulator::client;
use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::{Value, json};

const TABLE_ACCEPT: &str = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";

#[test]
fn discovery_documents_are_legacy_and_complete() {
    let sim = Simulator::start(Vec::new(), SimOptions::default());
    let url = sim.url();

    let version = get(&url, "/version");
    assert_eq!(version.status, 200);
    assert_eq!(version.header("content-type"), Some("application/json"));
    let v = json(&version);
    assert_eq!(v["gitVersion"], "v1.31.4");
    assert_eq!(
        (v["major"].as_str(), v["minor"].as_str()),
        (Some("1"), Some("31"))
    );

    assert_eq!(json(&get(&url, "/api"))["versions"], json!(["v1"]));
    let apis = json(&get(&url, "/apis"));
    assert_eq!(apis["kind"], "APIGroupList");
    let groups: Vec<&str> = apis["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(groups, ["apps", "policy"]);
    assert_eq!(
        json(&get(&url, "/apis/apps"))["preferredVersion"]["groupVersion"],
        "apps/v1"
    );

    let core = json(&get(&url, "/api/v1"));
    let find = |doc: &Value, name: &str| -> Value {
        doc["resources"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("{name} in discovery"))
    };
    let pods = find(&core, "pods");
    assert_eq!(pods["namespaced"], true);
    assert_eq!(pods["kind"], "Pod");
    assert_eq!(pods["singularName"], "pod");
    assert_eq!(pods["shortNames"], json!(["po"]));
    assert!(pods["verbs"].as_array().unwrap().contains(&json!("list")));
    let nodes = find(&core, "nodes");
    assert_eq!(
        (nodes["namespaced"].as_bool(), nodes["shortNames"].clone()),
        (Some(false), json!(["no"]))
    );
    assert_eq!(find(&core, "namespaces")["shortNames"], json!(["ns"]));
    let eviction = find(&core, "pods/eviction");
    assert_eq!(
        (eviction["kind"].as_str(), eviction["group"].as_str()),
        (Some("Eviction"), Some("policy"))
    );
    assert_eq!(eviction["verbs"], json!(["create"]));

    let apps = json(&get(&url, "/apis/apps/v1"));
    assert_eq!(apps["groupVersion"], "apps/v1");
    assert_eq!(find(&apps, "daemonsets")["shortNames"], json!(["ds"]));
    assert_eq!(find(&apps, "controllerrevisions")["namespaced"], true);
    assert_eq!(
        find(&json(&get(&url, "/apis/policy/v1")), "poddisruptionbudgets")["kind"],
        "PodDisruptionBudget"
    );

    assert_eq!(get(&url, "/openapi/v2").status, 404);
    assert_eq!(get(&url, "/apis/batch/v1").status, 404);
}

#[test]
fn lists_and_gets_are_shaped_like_the_api_server() {
    let mut objects = many_pods(10);
    objects.push(node("node-b", json!({"role": "b"})));
    objects.push(node("node-a", json!({"role": "a"})));
    let sim = Simulator::start(objects, SimOptions::default());
    let url = sim.url();

    let list = json(&get(&url, "/api/v1/pods"));
    assert_eq!(
        (list["kind"].as_str(), list["apiVersion"].as_str()),
        (Some("PodList"), Some("v1"))
    );
    assert!(
        list["metadata"]["resourceVersion"]
            .as_str()
            .unwrap()
            .parse::<u64>()
            .is_ok()
    );
    assert!(list["metadata"].get("continue").is_none());
    let items = list["items"].as_array().unwrap();
    assert_eq!(items.len(), 10);
    assert!(
        items
            .iter()
            .all(|i| i.get("kind").is_none() && i.get("apiVersion").is_none())
    );
    let keys: Vec<String> = items
        .iter()
        .map(|i| {
            format!(
                "{}/{}",
                i["metadata"]["namespace"].as_str().unwrap(),
                i["metadata"]["name"].as_str().unwrap()
            )
        })
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted, "etcd order: namespace/name");

    assert_eq!(
        names(&json(&get(&url, "/api/v1/nodes"))),
        ["node-a", "node-b"]
    );
    assert_eq!(
        names(&json(&get(&url, "/api/v1/namespaces/beta/pods"))),
        ["pod-001", "pod-004", "pod-007"]
    );
    assert!(names(&json(&get(&url, "/api/v1/namespaces/nowhere/pods"))).is_empty());

    let one = json(&get(&url, "/api/v1/namespaces/beta/pods/pod-004"));
    assert_eq!(
        (one["kind"].as_str(), one["apiVersion"].as_str()),
        (Some("Pod"), Some("v1"))
    );
    assert_eq!(one["metadata"]["uid"], "uid-beta-pod-004");
    let node = json(&get(&url, "/api/v1/nodes/node-a"));
    assert_eq!(node["kind"], "Node");

    // Namespaces were derived from the pods (plus default).
    let ns = names(&json(&get(&url, "/api/v1/namespaces")));
    assert_eq!(ns, ["alpha", "beta", "default", "kube-system"]);
    assert_eq!(
        json(&get(&url, "/api/v1/namespaces/beta"))["status"]["phase"],
        "Active"
    );

    let missing = get(&url, "/api/v1/namespaces/beta/pods/x");
    assert_eq!(missing.status, 404);
    assert_eq!(
        json(&missing),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"pods \"x\" not found","reason":"NotFound","details":{"name":"x","kind":"pods"},"code":404})
    );
    let missing_ds = json(&get(&url, "/apis/apps/v1/namespaces/beta/daemonsets/x"));
    assert_eq!(missing_ds["message"], "daemonsets.apps \"x\" not found");
    assert_eq!(
        missing_ds["details"],
        json!({"name": "x", "group": "apps", "kind": "daemonsets"})
    );
    assert_eq!(
        json(&get(&url, "/apis/apps/v1/daemonsets"))["kind"],
        "DaemonSetList"
    );
    assert_eq!(
        json(&get(&url, "/apis/apps/v1/controllerrevisions"))["kind"],
        "ControllerRevisionList"
    );
}

#[test]
fn example_cluster_is_served() {
    let sim = Simulator::start(example_cluster(), SimOptions::default());
    let url = sim.url();
    assert_eq!(names(&json(&get(&url, "/api/v1/nodes"))).len(), 8);
    assert_eq!(names(&json(&get(&url, "/api/v1/pods"))).len(), 32);
    assert_eq!(
        names(&json(&get(&url, "/apis/apps/v1/daemonsets"))).len(),
        6
    );
    assert_eq!(
        names(&json(&get(&url, "/apis/apps/v1/controllerrevisions"))).len(),
        8
    );
    let ds = json(&get(
        &url,
        "/apis/apps/v1/namespaces/kube-system/daemonsets/kube-proxy",
    ));
    assert_eq!(ds["kind"], "DaemonSet");
    assert_eq!(ds["apiVersion"], "apps/v1");
}

/// Follows continue tokens; returns (names in order, page sizes, resourceVersions).
fn page_through(
    url: &str,
    path: &str,
    limit: usize,
) -> (Vec<String>, Vec<usize>, BTreeSet<String>) {
    let (mut all, mut sizes, mut rvs) = (Vec::new(), Vec::new(), BTreeSet::new());
    let mut cont = String::new();
    for _ in 0..100 {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut target = format!("{path}{sep}limit={limit}");
        if !cont.is_empty() {
            target.push_str(&format!("&continue={cont}"));
        }
        let page = json(&get(url, &target));
        let n = names(&page);
        sizes.push(n.len());
        all.extend(n);
        rvs.insert(
            page["metadata"]["resourceVersion"]
                .as_str()
                .unwrap()
                .to_string(),
        );
        cont = page["metadata"]["continue"]
            .as_str()
            .unwrap_or("")
            .to_string();
        if cont.is_empty() {
            return (all, sizes, rvs);
        }
    }
    panic!("paging did not end");
}

#[test]
fn pagination_with_limit_7() {
    let sim = Simulator::start(many_pods(50), SimOptions::default());
    let url = sim.url();

    let (names_paged, sizes, rvs) = page_through(&url, "/api/v1/pods", 7);
    assert_eq!(sizes, [7, 7, 7, 7, 7, 7, 7, 1]);
    assert_eq!(
        rvs.len(),
        1,
        "every page reads at the first page's resourceVersion"
    );
    let all = names(&json(&get(&url, "/api/v1/pods")));
    assert_eq!(names_paged, all);
    assert_eq!(names_paged.iter().collect::<BTreeSet<_>>().len(), 50);

    // A namespace's range ends with the namespace: an exact fit needs no token.
    let (alpha, sizes, _) = page_through(&url, "/api/v1/namespaces/alpha/pods", 17);
    assert_eq!(alpha.len(), 17);
    assert_eq!(sizes, [17]);
    let (beta, sizes, _) = page_through(&url, "/api/v1/namespaces/beta/pods", 7);
    assert_eq!((beta.len(), sizes), (17, vec![7, 7, 3]));

    // Selectors page over matching items only.
    let (web, _, _) = page_through(&url, "/api/v1/pods?labelSelector=app%3Dweb", 7);
    let expected = names(&json(&get(&url, "/api/v1/pods?labelSelector=app%3Dweb")));
    assert_eq!(web, expected);

    // The request log has what a client sent.
    let logged = sim.requests();
    assert!(
        logged
            .iter()
            .any(|r| r.param("limit").as_deref() == Some("7") && r.param("continue").is_some())
    );

    // A malformed token is a 400.
    let bad = get(&url, "/api/v1/pods?limit=7&continue=%21%21");
    assert_eq!(bad.status, 400);
    assert_eq!(json(&bad)["reason"], "BadRequest");

    // The raw paging client sees the same.
    let (items, pages) = client::list_all(&url, "/api/v1/pods", "", 7, &[]).unwrap();
    assert_eq!((items.len(), pages), (50, 8));
}

fn expired_status() -> Value {
    json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"The provided continuation parameter is too old to display a consistent list result. You can start a new list without the continue parameter.","reason":"Expired","code":410})
}

#[test]
fn compacted_continue_tokens_get_410_gone() {
    let sim = Simulator::start(many_pods(20), SimOptions::default());
    let url = sim.url();
    let first = json(&get(&url, "/api/v1/pods?limit=7"));
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    assert_eq!(
        get(&url, &format!("/api/v1/pods?limit=7&continue={token}")).status,
        200
    );

    sim.compact();
    let gone = get(&url, &format!("/api/v1/pods?limit=7&continue={token}"));
    assert_eq!(gone.status, 410);
    assert_eq!(json(&gone), expired_status());

    // A fresh list works and its tokens are valid again.
    let (all, _, _) = page_through(&url, "/api/v1/pods", 7);
    assert_eq!(all.len(), 20);
}

#[test]
fn continue_tokens_expire_after_the_ttl() {
    let opts = SimOptions {
        continue_ttl: Some(Duration::from_millis(30)),
        ..SimOptions::default()
    };
    let sim = Simulator::start(many_pods(20), opts);
    let url = sim.url();
    let first = json(&get(&url, "/api/v1/pods?limit=7"));
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    std::thread::sleep(Duration::from_millis(60));
    let gone = get(&url, &format!("/api/v1/pods?limit=7&continue={token}"));
    assert_eq!(gone.status, 410);
    assert_eq!(json(&gone)["reason"], "Expired");
}

#[test]
fn label_selectors() {
    let pods = many_pods(30);
    let sim = Simulator::start(pods.clone(), SimOptions::default());
    let url = sim.url();
    let expect = |pred: &dyn Fn(&Value) -> bool| -> Vec<String> {
        let mut v: Vec<(String, String)> = pods
            .iter()
            .filter(|p| pred(&p["metadata"]["labels"]))
            .map(|p| {
                (
                    p["metadata"]["namespace"].as_str().unwrap().to_string(),
                    p["metadata"]["name"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        v.sort();
        v.into_iter().map(|(_, n)| n).collect()
    };
    let served = |sel: &str| {
        names(&json(&get(
            &url,
            &format!("/api/v1/pods?labelSelector={sel}"),
        )))
    };

    assert_eq!(served("app%3Dweb"), expect(&|l| l["app"] == "web"));
    assert_eq!(served("app%3D%3Dweb"), expect(&|l| l["app"] == "web"));
    assert_eq!(served("app%21%3Dweb"), expect(&|l| l["app"] != "web"));
    assert_eq!(
        served("app%20in%20(web%2Capi)"),
        expect(&|l| l["app"] == "web" || l["app"] == "api")
    );
    assert_eq!(served("app+notin+(db)"), expect(&|l| l["app"] != "db"));
    assert_eq!(
        served("app%3Dweb%2Ctier%3Dfront"),
        expect(&|l| l["app"] == "web" && l["tier"] == "front")
    );
    assert_eq!(served("tier").len(), 30);
    assert!(served("%21tier").is_empty());
    assert_eq!(served("%21missing").len(), 30);

    let bad = get(&url, "/api/v1/pods?labelSelector=app%20in%20web");
    assert_eq!(bad.status, 400);
    assert_eq!(json(&bad)["reason"], "BadRequest");
}

#[test]
fn field_selectors() {
    let sim = Simulator::start(many_pods(30), SimOptions::default());
    let url = sim.url();
    let served = |sel: &str| {
        names(&json(&get(
            &url,
            &format!("/api/v1/pods?fieldSelector={sel}"),
        )))
    };

    let on_node_1 = served("spec.nodeName%3Dnode-1");
    assert_eq!(on_node_1.len(), 8);
    assert_eq!(served("spec.nodeName%3D%3Dnode-1"), on_node_1);
    assert_eq!(served("status.phase%3DPending").len(), 6);
    assert_eq!(served("status.phase%21%3DPending").len(), 24);
    assert_eq!(
        served("spec.nodeName%3Dnode-1%2Cstatus.phase%21%3DPending").len(),
        6
    );
    assert_eq!(served("metadata.name%3Dpod-004"), ["pod-004"]);
    assert_eq!(served("metadata.namespace%3Dalpha").len(), 10);
    assert!(served("spec.nodeName%3D").is_empty());
    let nodes_fs = get(&url, "/api/v1/nodes?fieldSelector=metadata.name%3Dnode-1");
    assert_eq!(nodes_fs.status, 200);

    let unsupported = get(&url, "/api/v1/pods?fieldSelector=spec.priority%3D1");
    assert_eq!(unsupported.status, 400);
    assert_eq!(
        json(&unsupported)["message"],
        "field label not supported: spec.priority"
    );
    // resourceVersion is accepted and ignored.
    assert_eq!(
        get(&url, "/api/v1/pods?resourceVersion=0&limit=3").status,
        200
    );
}

#[test]
fn events_list_with_involved_object_selector() {
    let event = json!({
        "apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "pod-001.17a", "namespace": "beta"},
        "involvedObject": {"kind": "Pod", "name": "pod-001", "namespace": "beta"},
        "reason": "BackOff", "type": "Warning", "message": "Back-off restarting failed container"
    });
    let mut objects = many_pods(3);
    objects.push(event);
    let sim = Simulator::start(objects, SimOptions::default());
    let url = sim.url();
    assert_eq!(
        names(&json(&get(
            &url,
            "/api/v1/namespaces/beta/events?fieldSelector=involvedObject.name%3Dpod-001"
        ))),
        ["pod-001.17a"]
    );
    assert!(
        names(&json(&get(
            &url,
            "/api/v1/namespaces/beta/events?fieldSelector=involvedObject.name%3Dother"
        )))
        .is_empty()
    );
    assert!(names(&json(&get(&url, "/api/v1/namespaces/alpha/events"))).is_empty());
}

#[test]
fn gzip_when_asked_and_large() {
    let sim = Simulator::start(many_pods(40), SimOptions::default());
    let url = sim.url();
    let gz = get_with(&url, "/api/v1/pods", &[("Accept-Encoding", "gzip")]);
    assert_eq!(gz.status, 200);
    assert!(gz.gzipped());
    assert!(
        gz.wire_len < gz.body.len() / 3,
        "{} vs {}",
        gz.wire_len,
        gz.body.len()
    );
    assert_eq!(names(&json(&gz)).len(), 40);

    let plain = get(&url, "/api/v1/pods");
    assert!(!plain.gzipped());
    assert_eq!(plain.body, gz.body);
    let small = get_with(&url, "/version", &[("Accept-Encoding", "gzip")]);
    assert!(!small.gzipped(), "small bodies are not compressed");

    let log = sim.requests();
    assert_eq!(
        log.iter().map(|r| r.gzip).collect::<Vec<_>>(),
        [true, false, false]
    );
    let stats = sim.stats();
    assert_eq!(
        (stats.requests, stats.gzip_responses, stats.errors),
        (3, 1, 0)
    );
    assert!(stats.bytes_sent < stats.bytes_uncompressed);
}

#[test]
fn bearer_token_auth() {
    let opts = SimOptions {
        token: Some("s3cret-token".into()),
        ..SimOptions::default()
    };
    let sim = Simulator::start(many_pods(3), opts);
    let url = sim.url();
    let unauthorized = json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401});

    let none = get(&url, "/api/v1/pods");
    assert_eq!(none.status, 401);
    assert_eq!(json(&none), unauthorized);
    let wrong = get_with(&url, "/api/v1/pods", &[("Authorization", "Bearer nope")]);
    assert_eq!((wrong.status, json(&wrong)), (401, unauthorized));
    let right = get_with(
        &url,
        "/api/v1/pods",
        &[("Authorization", "Bearer s3cret-token")],
    );
    assert_eq!(right.status, 200);

    let log = sim.requests();
    assert_eq!(
        log.iter()
            .map(|r| (r.status, r.authorization))
            .collect::<Vec<_>>(),
        [(401, false), (401, true), (200, true)]
    );
    assert!(
        !format!("{log:?}").contains("s3cret"),
        "the token is never recorded"
    );

    let kubeconfig = sim.kubeconfig_yaml(Some("s3cret-token"), Some("beta"));
    assert!(kubeconfig.contains("token: \"s3cret-token\""));
    assert!(kubeconfig.contains("namespace: \"beta\""));
    assert!(kubeconfig.contains(&format!("server: \"{url}\"")));
}

#[test]
fn impersonation_headers_are_recorded() {
    let sim = Simulator::start(Vec::new(), SimOptions::default());
    let resp = get_with(
        &sim.url(),
        "/api/v1/nodes",
        &[
            ("Impersonate-User", "jane"),
            ("Impersonate-Group", "devs"),
            ("Impersonate-Group", "ops"),
        ],
    );
    assert_eq!(resp.status, 200);
    let r = &sim.requests()[0];
    assert_eq!(r.impersonate_user.as_deref(), Some("jane"));
    assert_eq!(r.impersonate_groups, ["devs", "ops"]);
    assert_eq!(
        (r.method.as_str(), r.path.as_str()),
        ("GET", "/api/v1/nodes")
    );
}

fn column_names(table: &Value) -> Vec<String> {
    table["columnDefinitions"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["priority"] == 0)
        .map(|c| c["name"].as_str().unwrap().to_uppercase())
        .collect()
}

#[test]
fn table_output_for_kubectl() {
    let sim = Simulator::start(example_cluster(), SimOptions::default());
    let url = sim.url();
    let accept = [("Accept", TABLE_ACCEPT)];

    let nodes = json(&get_with(&url, "/api/v1/nodes?limit=500", &accept));
    assert_eq!(
        (nodes["kind"].as_str(), nodes["apiVersion"].as_str()),
        (Some("Table"), Some("meta.k8s.io/v1"))
    );
    assert_eq!(
        column_names(&nodes),
        ["NAME", "STATUS", "ROLES", "AGE", "VERSION"]
    );
    let rows = nodes["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 8);
    let cp = &rows[0];
    assert_eq!(cp["cells"][0], "cp-1");
    assert_eq!(cp["cells"][1], "Ready");
    assert_eq!(cp["cells"][2], "control-plane");
    assert_eq!(cp["cells"][4], "v1.31.4");
    assert_eq!(cp["object"]["kind"], "PartialObjectMetadata");
    assert_eq!(cp["object"]["metadata"]["name"], "cp-1");
    assert!(cp["object"].get("spec").is_none());
    let cordoned = rows.iter().find(|r| r["cells"][0] == "worker-4").unwrap();
    assert_eq!(cordoned["cells"][1], "Ready,SchedulingDisabled");
    let unreachable = rows.iter().find(|r| r["cells"][0] == "worker-3").unwrap();
    assert_eq!(unreachable["cells"][1], "NotReady");

    let pods = json(&get_with(&url, "/api/v1/namespaces/logging/pods", &accept));
    assert_eq!(
        column_names(&pods),
        ["NAME", "READY", "STATUS", "RESTARTS", "AGE"]
    );
    let crashing = pods["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"][2] == "CrashLoopBackOff")
        .expect("a crash-looping fluent-bit pod");
    assert_eq!(crashing["cells"][1], "0/1");
    assert!(crashing["cells"][3].as_str().unwrap().starts_with("14 ("));
    assert_eq!(crashing["object"]["metadata"]["namespace"], "logging");

    let ds = json(&get_with(&url, "/apis/apps/v1/daemonsets", &accept));
    assert_eq!(
        column_names(&ds),
        [
            "NAME",
            "DESIRED",
            "CURRENT",
            "READY",
            "UP-TO-DATE",
            "AVAILABLE",
            "NODE SELECTOR",
            "AGE"
        ]
    );
    let kube_proxy = ds["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["cells"][0] == "kube-proxy")
        .unwrap();
    assert_eq!(kube_proxy["cells"][1], 8);
    assert_eq!(kube_proxy["cells"][6], "kubernetes.io/os=linux");

    let ns = json(&get_with(&url, "/api/v1/namespaces", &accept));
    assert_eq!(column_names(&ns), ["NAME", "STATUS", "AGE"]);

    // A single get is a one-row Table; includeObject selects what rows carry.
    let one = json(&get_with(
        &url,
        "/api/v1/nodes/gpu-1?includeObject=Object",
        &accept,
    ));
    assert_eq!(one["rows"].as_array().unwrap().len(), 1);
    assert_eq!(one["rows"][0]["object"]["kind"], "Node");
    assert!(one["rows"][0]["object"]["status"].is_object());
    let bare = json(&get_with(&url, "/api/v1/nodes?includeObject=None", &accept));
    assert!(bare["rows"][0].get("object").is_none());

    // Paged tables carry the continue token.
    let paged = json(&get_with(&url, "/api/v1/pods?limit=7", &accept));
    assert_eq!(paged["rows"].as_array().unwrap().len(), 7);
    assert!(paged["metadata"]["continue"].is_string());

    // Without the Table media type: plain JSON.
    assert_eq!(json(&get(&url, "/api/v1/nodes"))["kind"], "NodeList");
    // Only protobuf: 406.
    let proto = get_with(
        &url,
        "/api/v1/nodes",
        &[("Accept", "application/vnd.kubernetes.protobuf")],
    );
    assert_eq!(proto.status, 406);
}
