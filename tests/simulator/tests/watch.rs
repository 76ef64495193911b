//! `?watch=1`: the event stream, resourceVersion, selectors, bookmarks, timeoutSeconds, 410 for
//! a compacted version, dropped watches — and the real `kubectl get -w` following it.

mod common;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use common::*;
use ds_coverage_simulator::{SimOptions, Simulator};
use serde_json::{Value, json};

/// Generous: never a timing assertion, only a bound on a hang.
const PATIENCE: Duration = Duration::from_secs(30);

/// A watch opened over a raw HTTP/1.1 connection; each event arrives as one JSON line (the
/// chunk-size lines of the chunked encoding are skipped). The reader thread ends at the end of
/// the stream ("end") or when the connection breaks ("aborted"), and says which.
struct RawWatch {
    events: mpsc::Receiver<Result<Value, String>>,
}

impl RawWatch {
    fn open(sim: &Simulator, target: &str) -> RawWatch {
        let mut stream = TcpStream::connect(sim.addr()).expect("connect");
        write!(
            stream,
            "GET {target} HTTP/1.1\r\nHost: sim\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stream);
            let mut status = String::new();
            reader.read_line(&mut status).unwrap();
            let _ = tx.send(Ok(json!({"status": status.split_whitespace().nth(1)})));
            let mut line = String::new();
            // A clean end is the chunked encoding's last chunk; an aborted one just stops.
            let mut last_chunk = false;
            loop {
                line.clear();
                match reader.read_line(&mut line) {
                    Ok(0) => {
                        let how = if last_chunk { "end" } else { "aborted" };
                        let _ = tx.send(Err(how.into()));
                        return;
                    }
                    Ok(_) if line == "0\r\n" => last_chunk = true,
                    Ok(_) if line.starts_with('{') => {
                        let _ = tx.send(Ok(serde_json::from_str(&line).unwrap()));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let _ = tx.send(Err(format!("broken: {e}")));
                        return;
                    }
                }
            }
        });
        let w = RawWatch { events: rx };
        let status = w.next().expect("a status line");
        assert_eq!(status["status"], "200", "watch {target}");
        w
    }

    fn next(&self) -> Result<Value, String> {
        self.events
            .recv_timeout(PATIENCE)
            .unwrap_or_else(|_| panic!("no event within {PATIENCE:?}"))
    }

    /// The next event that is not a BOOKMARK.
    fn next_change(&self) -> Value {
        loop {
            let e = self.next().expect("an event");
            if e["type"] != "BOOKMARK" {
                return e;
            }
        }
    }
}

/// An event's type and its object's name.
fn typed(e: &Value) -> (String, String) {
    let s = |v: &Value| v.as_str().unwrap_or_default().to_string();
    (s(&e["type"]), s(&e["object"]["metadata"]["name"]))
}

fn two_nodes() -> Vec<Value> {
    vec![
        node("a", json!({"pool": "x"})),
        node("b", json!({"pool": "y"})),
        pod("web", "p1", "a", json!({"app": "web"}), "Running"),
    ]
}

#[test]
fn a_watch_from_the_lists_version_sees_each_change_once_in_order() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let list = json(&get(&sim.url(), "/api/v1/nodes"));
    let rv = list["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();
    let w = RawWatch::open(&sim, &format!("/api/v1/nodes?watch=1&resourceVersion={rv}"));

    let mut c = node("c", json!({"pool": "x"}));
    let added_rv = sim.apply(c.clone()).unwrap();
    c["metadata"]["labels"]["pool"] = json!("z");
    let modified_rv = sim.apply(c).unwrap();
    assert!(sim.remove("nodes", None, "c"));
    let deleted_rv = sim.resource_version();
    assert!(added_rv < modified_rv && modified_rv < deleted_rv);

    let seen: Vec<(String, String, String)> = (0..3)
        .map(|_| {
            let e = w.next_change();
            let (kind, name) = typed(&e);
            let rv = e["object"]["metadata"]["resourceVersion"].as_str().unwrap();
            (kind, name, rv.to_string())
        })
        .collect();
    let s = |t: &str, rv: u64| (t.to_string(), "c".to_string(), rv.to_string());
    assert_eq!(
        seen,
        [
            s("ADDED", added_rv),
            s("MODIFIED", modified_rv),
            s("DELETED", deleted_rv)
        ]
    );
    // Full objects, with kind and apiVersion, as kube-apiserver sends them.
    sim.apply(node("d", json!({}))).unwrap();
    let e = w.next_change();
    assert_eq!(
        (
            e["object"]["kind"].as_str(),
            e["object"]["apiVersion"].as_str()
        ),
        (Some("Node"), Some("v1"))
    );
}

#[test]
fn without_a_version_the_current_objects_come_first_as_added() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let w = RawWatch::open(&sim, "/api/v1/nodes?watch=true");
    let names: Vec<String> = (0..2)
        .map(|_| {
            let e = w.next_change();
            assert_eq!(e["type"], "ADDED");
            e["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn selectors_turn_objects_entering_and_leaving_into_added_and_deleted() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let rv = sim.resource_version();
    let w = RawWatch::open(
        &sim,
        &format!("/api/v1/nodes?watch=1&labelSelector=pool%3Dx&resourceVersion={rv}"),
    );
    // b moves into pool x, a out of it; a change in pool y is not seen at all.
    sim.apply(node("b", json!({"pool": "x"}))).unwrap();
    sim.apply(node("e", json!({"pool": "y"}))).unwrap();
    sim.apply(node("a", json!({"pool": "y"}))).unwrap();
    let seen: Vec<(String, String)> = (0..2).map(|_| typed(&w.next_change())).collect();
    assert_eq!(
        seen,
        [
            ("ADDED".to_string(), "b".to_string()),
            ("DELETED".to_string(), "a".to_string())
        ]
    );
    // Field selectors and namespaces, as lists.
    let rv = sim.resource_version();
    let w = RawWatch::open(
        &sim,
        &format!(
            "/api/v1/namespaces/web/pods?watch=1&fieldSelector=spec.nodeName%3Db&resourceVersion={rv}"
        ),
    );
    sim.apply(pod("other", "q1", "b", json!({}), "Running"))
        .unwrap();
    sim.apply(pod("web", "q2", "a", json!({}), "Running"))
        .unwrap();
    sim.apply(pod("web", "q3", "b", json!({}), "Running"))
        .unwrap();
    let e = w.next_change();
    assert_eq!(
        (e["type"].as_str(), e["object"]["metadata"]["name"].as_str()),
        (Some("ADDED"), Some("q3"))
    );
}

#[test]
fn bookmarks_carry_the_current_version_when_asked_for() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let rv = sim.resource_version();
    let w = RawWatch::open(
        &sim,
        &format!("/api/v1/nodes?watch=1&allowWatchBookmarks=true&resourceVersion={rv}"),
    );
    sim.apply(node("c", json!({}))).unwrap();
    let now = sim.resource_version();
    let e = w.next_change();
    assert_eq!(e["type"], "ADDED");
    let b = loop {
        let e = w.next().expect("an event");
        if e["type"] == "BOOKMARK" {
            break e;
        }
    };
    assert_eq!(b["object"]["kind"], "Node");
    assert_eq!(b["object"]["metadata"]["resourceVersion"], now.to_string());
    assert!(b["object"]["metadata"].get("name").is_none());
}

#[test]
fn timeout_seconds_ends_the_stream_cleanly() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let rv = sim.resource_version();
    let w = RawWatch::open(
        &sim,
        &format!("/api/v1/nodes?watch=1&timeoutSeconds=1&resourceVersion={rv}"),
    );
    assert_eq!(w.next(), Err("end".to_string()));
}

#[test]
fn a_compacted_version_gets_an_error_event_with_410_expired() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let old = sim.resource_version();
    sim.apply(node("c", json!({}))).unwrap();
    sim.compact();
    let w = RawWatch::open(
        &sim,
        &format!("/api/v1/nodes?watch=1&resourceVersion={old}"),
    );
    let e = w.next().expect("an event");
    assert_eq!(e["type"], "ERROR");
    assert_eq!(e["object"]["kind"], "Status");
    assert_eq!(e["object"]["code"], 410);
    assert_eq!(e["object"]["reason"], "Expired");
    assert_eq!(w.next(), Err("end".to_string()));
    // From the current version it works.
    let now = sim.resource_version();
    let w = RawWatch::open(
        &sim,
        &format!("/api/v1/nodes?watch=1&resourceVersion={now}"),
    );
    sim.apply(node("f", json!({}))).unwrap();
    assert_eq!(w.next_change()["object"]["metadata"]["name"], "f");
}

#[test]
fn drop_watches_breaks_open_watch_connections_and_logs_them() {
    let sim = Simulator::start(two_nodes(), SimOptions::default());
    let rv = sim.resource_version();
    let w = RawWatch::open(&sim, &format!("/api/v1/nodes?watch=1&resourceVersion={rv}"));
    // The watch is registered once the server logged it.
    let deadline = std::time::Instant::now() + PATIENCE;
    while !sim.requests().iter().any(|r| r.param("watch").is_some()) {
        assert!(std::time::Instant::now() < deadline, "watch never logged");
        std::thread::sleep(Duration::from_millis(20));
    }
    sim.apply(node("c", json!({}))).unwrap();
    assert_eq!(w.next_change()["type"], "ADDED");
    sim.drop_watches();
    let end = w.next();
    assert!(end.is_err(), "{end:?}");
    assert_ne!(
        end,
        Err("end".to_string()),
        "an aborted chunked body, not a clean end"
    );
    let logged = sim.requests();
    let watch = logged.iter().find(|r| r.param("watch").is_some()).unwrap();
    assert_eq!((watch.method.as_str(), watch.status), ("GET", 200));
}

/// kubectl, as installed (`.ci/run` installs it): this test fails without it.
#[test]
fn kubectl_get_watch_follows_the_simulator() {
    let sim = Simulator::start(example_cluster(), SimOptions::default());
    let dir = std::env::temp_dir().join(format!("ds-coverage-sim-watch-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig, None, None).unwrap();
    let mut child = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(&kubeconfig)
        .arg("--cache-dir")
        .arg(dir.join("cache"))
        .args([
            "get",
            "ds",
            "-n",
            "kube-system",
            "-w",
            "--output-watch-events",
            "-o",
            "json",
        ])
        .env_remove("KUBECONFIG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("kubectl is on PATH (.ci/run installs it)");
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for v in serde_json::Deserializer::from_reader(stdout).into_iter::<Value>() {
            match v {
                Ok(v) => {
                    if tx.send(v).is_err() {
                        return;
                    }
                }
                Err(_) => return,
            }
        }
    });
    let next = || rx.recv_timeout(PATIENCE).expect("kubectl printed an event");
    let served: Vec<String> = sim
        .objects("daemonsets")
        .iter()
        .filter(|d| d["metadata"]["namespace"] == "kube-system")
        .map(|d| d["metadata"]["name"].as_str().unwrap().to_string())
        .collect();
    let mut listed: Vec<String> = (0..served.len())
        .map(|_| {
            let e = next();
            assert_eq!(e["type"], "ADDED");
            e["object"]["metadata"]["name"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    listed.sort();
    let mut expected = served.clone();
    expected.sort();
    assert_eq!(listed, expected);

    // A change and a delete, followed live.
    let mut ds = sim
        .object("daemonsets", Some("kube-system"), &served[0])
        .unwrap();
    ds["metadata"]["labels"]["watched"] = json!("yes");
    let rv = sim.apply(ds).unwrap();
    let e = next();
    assert_eq!(e["type"], "MODIFIED");
    assert_eq!(e["object"]["metadata"]["name"], served[0].as_str());
    assert_eq!(e["object"]["metadata"]["resourceVersion"], rv.to_string());
    assert_eq!(e["object"]["metadata"]["labels"]["watched"], "yes");
    assert!(sim.remove("daemonsets", Some("kube-system"), &served[0]));
    let e = next();
    assert_eq!(e["type"], "DELETED");
    assert_eq!(e["object"]["metadata"]["name"], served[0].as_str());

    let _ = child.kill();
    let _ = child.wait();
    let watches: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|r| r.param("watch").is_some())
        .collect();
    assert!(!watches.is_empty());
    // kubectl watches from the version its list returned, never from scratch.
    assert!(watches.iter().all(|r| {
        r.param("resourceVersion")
            .is_some_and(|v| v != "0" && !v.is_empty())
    }));
    let _ = std::fs::remove_dir_all(&dir);
}
