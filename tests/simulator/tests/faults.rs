//! Fault injection: each kind, matchers, and `times`.

mod common;

use std::time::Duration;

use common::*;
use ds_coverage_simulator::client;
use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
use serde_json::json;

fn sim() -> Simulator {
    let mut objects = many_pods(20);
    objects.push(node("node-1", json!({})));
    Simulator::start(objects, SimOptions::default())
}

#[test]
fn forbidden_has_an_rbac_status_body() {
    let sim = sim();
    let url = sim.url();
    sim.set_faults(vec![
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Status(403),
        ),
        Fault::new(
            Matcher::resource("daemonsets", Verb::List),
            FaultKind::Status(403),
        ),
        Fault::new(Matcher::resource("pods", Verb::Get), FaultKind::Status(403)),
    ]);

    let nodes = get(&url, "/api/v1/nodes");
    assert_eq!(nodes.status, 403);
    assert_eq!(
        json(&nodes),
        json!({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"nodes is forbidden: User \"system:serviceaccount:ci:auditor\" cannot list resource \"nodes\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"nodes"},"code":403})
    );
    // Node gets are not matched.
    assert_eq!(get(&url, "/api/v1/nodes/node-1").status, 200);

    let ds = get_with(
        &url,
        "/apis/apps/v1/namespaces/kube-system/daemonsets",
        &[("Impersonate-User", "jane")],
    );
    assert_eq!(ds.status, 403);
    let body = json(&ds);
    assert_eq!(
        body["message"],
        "daemonsets.apps is forbidden: User \"jane\" cannot list resource \"daemonsets\" in API group \"apps\" in the namespace \"kube-system\""
    );
    assert_eq!(
        body["details"],
        json!({"group": "apps", "kind": "daemonsets"})
    );

    let pod = json(&get(&url, "/api/v1/namespaces/beta/pods/pod-001"));
    assert_eq!(
        pod["message"],
        "pods \"pod-001\" is forbidden: User \"system:serviceaccount:ci:auditor\" cannot get resource \"pods\" in API group \"\" in the namespace \"beta\""
    );
    // Faults without `times` stay.
    assert_eq!(get(&url, "/api/v1/nodes").status, 403);
    assert_eq!(sim.faults().len(), 3);
}

#[test]
fn too_many_requests_with_retry_after_then_recovers() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::Status(429),
        )
        .times(2),
    );
    for _ in 0..2 {
        let r = get(&url, "/api/v1/pods");
        assert_eq!(r.status, 429);
        assert_eq!(r.header("retry-after"), Some("1"));
        let body = json(&r);
        assert_eq!(body["reason"], "TooManyRequests");
        assert_eq!(body["details"]["retryAfterSeconds"], 1);
    }
    assert_eq!(get(&url, "/api/v1/pods").status, 200);
    assert!(sim.faults().is_empty(), "an exhausted fault is gone");
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [429, 429, 200]);
    assert_eq!(sim.stats().errors, 2);
}

#[test]
fn internal_error_and_path_prefix_matcher() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(Fault::new(Matcher::path("/apis"), FaultKind::Status(500)).times(1));
    let r = get(&url, "/apis/apps/v1");
    assert_eq!(r.status, 500);
    let body = json(&r);
    assert_eq!(
        (body["reason"].as_str(), body["code"].as_i64()),
        (Some("InternalError"), Some(500))
    );
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .starts_with("Internal error occurred")
    );
    assert_eq!(get(&url, "/apis/apps/v1").status, 200);

    sim.add_fault(Fault::new(Matcher::any(), FaultKind::Status(503)).times(1));
    let r = get(&url, "/api/v1/nodes");
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
}

#[test]
fn slow_replies_still_answer() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::Slow(Duration::from_millis(50)),
        )
        .times(1),
    );
    let r = get(&url, "/api/v1/pods");
    assert_eq!(r.status, 200);
    assert_eq!(names(&json(&r)).len(), 20);
    let log = sim.requests();
    assert!(log[0].fault.as_deref().unwrap_or("").starts_with("Slow"));
    assert_eq!(log[0].status, 200);
}

#[test]
fn dropped_connections_get_no_response() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::DropConnection,
        )
        .times(1),
    );
    client::get(&url, "/api/v1/pods").expect_err("the connection is closed without an answer");
    assert_eq!(get(&url, "/api/v1/pods").status, 200);
    let statuses: Vec<u16> = sim.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, [0, 200]);
}

#[test]
fn malformed_bodies_are_truncated_json() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List),
            FaultKind::MalformedBody,
        )
        .times(1),
    );
    let r = get(&url, "/api/v1/pods");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert!(r.json().is_err());
    assert!(r.text().starts_with("{\"kind\":\"PodList\""));
    assert!(get(&url, "/api/v1/pods").json().is_ok());
}

#[test]
fn expired_continue_fault_hits_only_continued_pages() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods", Verb::List).continued(),
            FaultKind::ExpiredContinue,
        )
        .times(1),
    );
    let first = json(&get(&url, "/api/v1/pods?limit=7"));
    let token = first["metadata"]["continue"].as_str().unwrap().to_string();
    let gone = get(&url, &format!("/api/v1/pods?limit=7&continue={token}"));
    assert_eq!(gone.status, 410);
    assert_eq!(json(&gone)["reason"], "Expired");
    // A client restarting the list gets everything.
    let (items, pages) = client::list_all(&url, "/api/v1/pods", "", 7, &[]).unwrap();
    assert_eq!((items.len(), pages), (20, 3));
}

#[test]
fn faults_can_target_one_namespace() {
    let sim = sim();
    let url = sim.url();
    sim.add_fault(Fault::new(
        Matcher::resource("pods", Verb::List).in_namespace("beta"),
        FaultKind::Status(403),
    ));
    assert_eq!(get(&url, "/api/v1/namespaces/beta/pods").status, 403);
    assert_eq!(get(&url, "/api/v1/namespaces/alpha/pods").status, 200);
    assert_eq!(get(&url, "/api/v1/pods").status, 200);
}

#[test]
fn touch_bumps_the_resource_version_before_answering() {
    let sim = sim();
    let url = sim.url();
    let pod = "/api/v1/namespaces/beta/pods/pod-001";
    let rv = json(&get(&url, pod))["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    sim.add_fault(
        Fault::new(
            Matcher::resource("pods/eviction", Verb::Create),
            FaultKind::Touch,
        )
        .times(1),
    );
    let body = json!({
        "apiVersion": "policy/v1", "kind": "Eviction",
        "metadata": {"name": "pod-001", "namespace": "beta"},
        "deleteOptions": {"preconditions": {"uid": "uid-beta-pod-001", "resourceVersion": rv}}
    })
    .to_string();
    let evict = || {
        client::request(
            &url,
            "POST",
            &format!("{pod}/eviction"),
            &[("Content-Type", "application/json")],
            Some(body.as_bytes()),
        )
        .unwrap()
    };
    let conflict = evict();
    assert_eq!(conflict.status, 409, "the pod changed under the eviction");
    let now = json(&get(&url, pod));
    assert_ne!(
        now["metadata"]["resourceVersion"].as_str(),
        Some(rv.as_str())
    );
    assert_eq!(
        now["metadata"]["uid"], "uid-beta-pod-001",
        "the same pod, touched"
    );
    // The fault is used up: with the old resourceVersion the eviction still conflicts, the pod
    // stays.
    assert_eq!(evict().status, 409);
    assert_eq!(get(&url, pod).status, 200);
}
