//! The compact store (objects kept LZ4-compressed against their family's first object, see
//! `src/store.rs`) answers with the same bytes as objects kept whole: two simulators load the
//! same generated cluster, one packed (the default) and one with `pack_objects: false`, and every
//! answer is compared byte for byte — list pages, selectors, single gets, watches, and the writes'
//! events.

mod common;

use ds_coverage_simulator::client::{self, Response};
use ds_coverage_simulator::generator::ClusterSpec;
use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::{Value, json};

fn start(pack_objects: bool) -> Simulator {
    let opts = SimOptions {
        seed: 7,
        gzip_threshold: usize::MAX,
        pack_objects,
        ..SimOptions::default()
    };
    // Padded daemon pods (5-8 KB, as real ones) on 24 nodes, 6 DaemonSets, drift.
    let spec = ClusterSpec::sized(11, 24, 6, 0.2);
    Simulator::try_start_generated(&spec, opts)
        .expect("the generated cluster loads")
        .0
}

fn same(packed: &Simulator, whole: &Simulator, target: &str) -> Response {
    let a = common::get(&packed.url(), target);
    let b = common::get(&whole.url(), target);
    assert_eq!(a.status, b.status, "{target}: status");
    assert!(
        a.body == b.body,
        "{target}: the packed store answered other bytes:\n{}\n---\n{}",
        a.text(),
        b.text()
    );
    a
}

/// Pages through `path` on both with `limit`, comparing every page; returns every item.
fn same_pages(
    packed: &Simulator,
    whole: &Simulator,
    path: &str,
    query: &str,
    limit: usize,
) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cont = String::new();
    let mut pages = 0;
    loop {
        let mut target = format!("{path}?limit={limit}");
        if !query.is_empty() {
            target.push('&');
            target.push_str(query);
        }
        if !cont.is_empty() {
            target.push_str(&format!("&continue={cont}"));
        }
        let page = common::json(&same(packed, whole, &target));
        pages += 1;
        items.extend(page["items"].as_array().expect("items").iter().cloned());
        match page["metadata"]["continue"].as_str() {
            Some(c) if !c.is_empty() => cont = c.to_string(),
            _ => break,
        }
    }
    assert!(pages >= 1);
    items
}

#[test]
fn the_packed_store_serves_the_same_bytes_as_objects_kept_whole() {
    let packed = start(true);
    let whole = start(false);
    assert_eq!(packed.resource_version(), whole.resource_version());

    // Whole lists and pages of every resource the plugin and kubectl read.
    for path in [
        "/api/v1/nodes",
        "/api/v1/namespaces",
        "/api/v1/pods",
        "/apis/apps/v1/daemonsets",
        "/apis/apps/v1/controllerrevisions",
    ] {
        let all = common::json(&same(&packed, &whole, path));
        let n = all["items"].as_array().expect("items").len();
        assert!(n > 0, "{path} is empty");
        let paged = same_pages(&packed, &whole, path, "", 7);
        assert_eq!(paged, all["items"].as_array().unwrap().clone(), "{path}");
    }
    let pods = common::json(&same(&packed, &whole, "/api/v1/pods"));
    let pods = pods["items"].as_array().unwrap();
    assert!(
        pods.len() > 24 * 3,
        "daemon and ordinary pods: {}",
        pods.len()
    );

    // Per DaemonSet, as the plugin lists: its pods and revisions by label selector, paged.
    let daemon_sets = common::json(&same(&packed, &whole, "/apis/apps/v1/daemonsets"));
    let daemon_sets = daemon_sets["items"].as_array().unwrap();
    assert_eq!(daemon_sets.len(), 6);
    for ds in daemon_sets {
        let ns = ds["metadata"]["namespace"].as_str().unwrap();
        let name = ds["metadata"]["name"].as_str().unwrap();
        let selector: Vec<String> = ds["spec"]["selector"]["matchLabels"]
            .as_object()
            .expect("matchLabels")
            .iter()
            .map(|(k, v)| format!("{k}%3D{}", v.as_str().unwrap()))
            .collect();
        let query = format!("labelSelector={}", selector.join("%2C"));
        let items = same_pages(
            &packed,
            &whole,
            &format!("/api/v1/namespaces/{ns}/pods"),
            &query,
            50,
        );
        assert!(!items.is_empty(), "{ns}/{name} has pods");
        same_pages(
            &packed,
            &whole,
            &format!("/apis/apps/v1/namespaces/{ns}/controllerrevisions"),
            &query,
            50,
        );
        same(
            &packed,
            &whole,
            &format!("/apis/apps/v1/namespaces/{ns}/daemonsets/{name}"),
        );
    }

    // Field selectors, and single gets of each kind.
    let pod = &pods[0];
    let node = pod["spec"]["nodeName"].as_str().unwrap_or("");
    same(
        &packed,
        &whole,
        &format!("/api/v1/pods?fieldSelector=spec.nodeName%3D{node}"),
    );
    same(
        &packed,
        &whole,
        "/api/v1/pods?fieldSelector=status.phase%21%3DRunning",
    );
    same(&packed, &whole, &format!("/api/v1/nodes/{node}"));
    for p in pods.iter().step_by(17) {
        let (ns, name) = (
            p["metadata"]["namespace"].as_str().unwrap(),
            p["metadata"]["name"].as_str().unwrap(),
        );
        let got = common::json(&same(
            &packed,
            &whole,
            &format!("/api/v1/namespaces/{ns}/pods/{name}"),
        ));
        assert_eq!(got["metadata"]["uid"], p["metadata"]["uid"]);
    }

    // Writes: a delete, an eviction and a replaced node, each on both; then the lists and the
    // watch events from before the writes.
    let rv = packed.resource_version();
    let victims: Vec<(&str, &str)> = pods
        .iter()
        .filter(|p| p["status"]["phase"] == "Running")
        .take(2)
        .map(|p| {
            (
                p["metadata"]["namespace"].as_str().unwrap(),
                p["metadata"]["name"].as_str().unwrap(),
            )
        })
        .collect();
    let (ns, name) = victims[0];
    for sim in [&packed, &whole] {
        let del = client::request(
            &sim.url(),
            "DELETE",
            &format!("/api/v1/namespaces/{ns}/pods/{name}"),
            &[],
            None,
        )
        .expect("delete");
        assert_eq!(del.status, 200, "{}", del.text());
    }
    let (ns2, name2) = victims[1];
    let eviction = json!({"apiVersion": "policy/v1", "kind": "Eviction", "metadata": {"name": name2, "namespace": ns2}});
    for sim in [&packed, &whole] {
        let body = eviction.to_string();
        let ev = client::request(
            &sim.url(),
            "POST",
            &format!("/api/v1/namespaces/{ns2}/pods/{name2}/eviction"),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .expect("evict");
        assert_eq!(ev.status, 201, "{}", ev.text());
    }
    for sim in [&packed, &whole] {
        let mut n = sim.object("nodes", None, node).expect("the node");
        n["metadata"]["labels"]["example.com/cordoned-by"] = json!("test");
        n["spec"]["unschedulable"] = json!(true);
        sim.apply(n).expect("apply");
    }
    assert_eq!(packed.resource_version(), whole.resource_version());
    assert_eq!(packed.resource_version(), rv + 3);
    let after = common::json(&same(&packed, &whole, "/api/v1/pods"));
    assert_eq!(after["items"].as_array().unwrap().len(), pods.len() - 2);
    same_pages(&packed, &whole, "/api/v1/nodes", "", 5);
    same(
        &packed,
        &whole,
        "/api/v1/nodes?fieldSelector=spec.unschedulable%3Dtrue",
    );
    same(&packed, &whole, &format!("/api/v1/nodes/{node}"));

    let events = same(
        &packed,
        &whole,
        &format!("/api/v1/pods?watch=1&timeoutSeconds=1&resourceVersion={rv}"),
    );
    let text = events.text();
    assert_eq!(
        text.lines().filter(|l| l.contains("\"DELETED\"")).count(),
        2,
        "{text}"
    );
    let events = same(
        &packed,
        &whole,
        &format!("/api/v1/nodes?watch=1&timeoutSeconds=1&resourceVersion={rv}"),
    );
    assert_eq!(
        events
            .text()
            .lines()
            .filter(|l| l.contains("\"MODIFIED\""))
            .count(),
        1
    );
    // A watch without a version starts with every current object as ADDED.
    let events = same(
        &packed,
        &whole,
        &format!("/api/v1/namespaces/{ns}/pods?watch=1&timeoutSeconds=1"),
    );
    assert!(
        events
            .text()
            .lines()
            .filter(|l| l.contains("\"ADDED\""))
            .count()
            > 1
    );
}

/// Pods' protobuf is packed too: pod lists (paged by the protobuf continue token) and single pods
/// in protobuf are the same bytes from both stores.
#[test]
fn the_packed_store_serves_the_same_protobuf_as_objects_kept_whole() {
    use ds_coverage_simulator::protobuf;
    let packed = start(true);
    let whole = start(false);
    let accept = [(
        "Accept",
        "application/vnd.kubernetes.protobuf, application/json",
    )];
    let get = |sim: &Simulator, target: &str| {
        client::request(&sim.url(), "GET", target, &accept, None).expect("the simulator answers")
    };
    let (mut cont, mut pages) = (String::new(), 0);
    loop {
        let mut target = "/api/v1/pods?limit=9".to_string();
        if !cont.is_empty() {
            target.push_str(&format!("&continue={cont}"));
        }
        let (a, b) = (get(&packed, &target), get(&whole, &target));
        assert_eq!(a.header("content-type"), Some(protobuf::MEDIA_TYPE));
        assert!(
            a.body == b.body,
            "{target}: the packed store answered other bytes"
        );
        pages += 1;
        match protobuf::list_continue(&a.body) {
            Some(c) => cont = c,
            None => break,
        }
    }
    assert!(pages > 5, "{pages} pages");
    let pods = common::json(&same(&packed, &whole, "/api/v1/pods"));
    for pod in pods["items"].as_array().unwrap().iter().step_by(7) {
        let (ns, name) = (
            pod["metadata"]["namespace"].as_str().unwrap(),
            pod["metadata"]["name"].as_str().unwrap(),
        );
        let target = format!("/api/v1/namespaces/{ns}/pods/{name}");
        let (a, b) = (get(&packed, &target), get(&whole, &target));
        assert_eq!(a.status, 200);
        assert!(a.body == b.body, "{target}");
        assert_eq!(protobuf::open_envelope(&a.body).unwrap().1, "Pod");
    }
}
