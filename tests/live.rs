//! Live clusters against the simulated API server: the live report equals the offline one,
//! kubeconfig handling, the request pattern, and every fault → its documented behaviour.

mod support;

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, Simulator, Verb};
use serde_json::Value;
use support::generator::{AS_OF, ClusterSpec, generate};

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ds-coverage-live-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    c.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn report(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

/// The report without the fields that name where it came from.
fn comparable(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("source");
    r
}

struct Live {
    sim: Simulator,
    kubeconfig: String,
    dir: PathBuf,
}

fn start(objects: Vec<Value>, opts: SimOptions, tag: &str) -> Live {
    let sim = Simulator::start(objects, opts);
    let dir = temp_dir(tag);
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    Live {
        sim,
        kubeconfig: kc.to_str().unwrap().to_string(),
        dir,
    }
}

/// The report of the same objects read from a file, `-A -o json`.
fn offline_report(live: &Live, json: String) -> Value {
    let file = live.dir.join("cluster.json");
    std::fs::write(&file, json).unwrap();
    let args = [
        "-f",
        file.to_str().unwrap(),
        "-A",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ];
    report(&bin(&args, &[]))
}

fn cluster_objects(spec: &ClusterSpec) -> (Vec<Value>, String) {
    let c = generate(spec);
    let list = c.to_list();
    let json = serde_json::to_string(&list).unwrap();
    (vec![list], json)
}

#[test]
fn live_report_equals_the_offline_report_of_the_same_objects() {
    for (seed, nodes, dss, drift) in [(1, 12, 6, 0.25), (7, 40, 9, 0.1), (42, 25, 4, 0.0)] {
        let spec = ClusterSpec::sized(seed, nodes, dss, drift);
        let (objects, json) = cluster_objects(&spec);
        let live = start(objects, SimOptions::default(), &format!("eq{seed}"));
        let offline = offline_report(&live, json);
        let online = report(&bin(
            &[
                "--kubeconfig",
                &live.kubeconfig,
                "-A",
                "-o",
                "json",
                "--as-of",
                AS_OF,
            ],
            &[],
        ));
        assert_eq!(online["source"]["type"], "cluster");
        assert_eq!(online["source"]["context"], "sim");
        assert_eq!(online["source"]["server"], live.sim.url());
        assert_eq!(
            comparable(online),
            comparable(offline.clone()),
            "seed {seed}"
        );
        // Pages of 7 give the same report.
        let paged_run = bin(
            &[
                "--kubeconfig",
                &live.kubeconfig,
                "-A",
                "-o",
                "json",
                "--as-of",
                AS_OF,
                "--chunk-size",
                "7",
                "-v",
            ],
            &[],
        );
        let paged = report(&paged_run);
        assert_eq!(
            comparable(paged),
            comparable(offline),
            "seed {seed}, chunk 7"
        );
        let reqs = live.sim.requests();
        assert!(
            reqs.iter()
                .any(|r| r.param("limit").as_deref() == Some("7") && r.param("continue").is_some())
        );
        // Pods were read as Kubernetes protobuf (as client-go asks), everything else as JSON:
        // the reports above equal the offline one through both readers.
        for r in &reqs {
            let want = if r.path.ends_with("/pods") {
                "application/vnd.kubernetes.protobuf, application/json"
            } else {
                "application/json"
            };
            assert_eq!(r.accept.as_deref(), Some(want), "{} {}", r.method, r.path);
        }
        let log = stderr(&paged_run);
        let pod_lines: Vec<&str> = log.lines().filter(|l| l.contains("/pods?")).collect();
        assert!(pod_lines.len() > dss, "{log}");
        assert!(pod_lines.iter().all(|l| l.ends_with(" protobuf")), "{log}");
        assert!(
            log.lines()
                .filter(|l| l.contains("/nodes?"))
                .all(|l| !l.ends_with(" protobuf")),
            "{log}"
        );
    }
}

/// A server that answers JSON though protobuf was asked for (an aggregated API server, a proxy
/// that speaks only JSON) is read as JSON: the same report.
#[test]
fn a_server_answering_json_to_protobuf_is_read_as_json() {
    let spec = ClusterSpec::sized(3, 15, 5, 0.2);
    let (objects, json) = cluster_objects(&spec);
    let live = start(
        objects,
        SimOptions {
            protobuf: false,
            ..SimOptions::default()
        },
        "jsononly",
    );
    let offline = offline_report(&live, json);
    let run = bin(
        &[
            "--kubeconfig",
            &live.kubeconfig,
            "-A",
            "-o",
            "json",
            "--as-of",
            AS_OF,
            "-v",
        ],
        &[],
    );
    assert_eq!(comparable(report(&run)), comparable(offline));
    let log = stderr(&run);
    assert!(log.lines().any(|l| l.contains("/pods?")), "{log}");
    assert!(!log.contains(" protobuf"), "{log}");
    assert!(
        live.sim
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/pods"))
            .all(|r| r.accept.as_deref()
                == Some("application/vnd.kubernetes.protobuf, application/json"))
    );
}

#[test]
fn fetches_only_what_the_audit_needs_paged_gzip_and_with_selectors_sent() {
    let (objects, _) = cluster_objects(&ClusterSpec::sized(3, 20, 5, 0.1));
    let live = start(objects, SimOptions::default(), "reqs");
    let r = report(&bin(
        &[
            "--kubeconfig",
            &live.kubeconfig,
            "-A",
            "-o",
            "json",
            "--node-selector",
            "kubernetes.io/arch=amd64",
            "-l",
            "app.kubernetes.io/managed-by notin (nobody)",
        ],
        &[],
    ));
    assert!(r["summary"]["daemonSets"].as_u64().unwrap() > 0);
    let reqs = live.sim.requests();
    let nodes: Vec<_> = reqs.iter().filter(|q| q.path == "/api/v1/nodes").collect();
    assert_eq!(nodes.len(), 1);
    assert_eq!(
        nodes[0].param("labelSelector").as_deref(),
        Some("kubernetes.io/arch=amd64")
    );
    assert_eq!(nodes[0].param("limit").as_deref(), Some("500"));
    let ds: Vec<_> = reqs
        .iter()
        .filter(|q| q.path == "/apis/apps/v1/daemonsets")
        .collect();
    assert_eq!(
        ds[0].param("labelSelector").as_deref(),
        Some("app.kubernetes.io/managed-by notin (nobody)")
    );
    // Pods only per DaemonSet namespace and selector, never a cluster-wide pod list.
    assert!(!reqs.iter().any(|q| q.path == "/api/v1/pods"));
    let pod_lists: Vec<_> = reqs.iter().filter(|q| q.path.ends_with("/pods")).collect();
    assert_eq!(
        pod_lists.len(),
        r["summary"]["daemonSets"].as_u64().unwrap() as usize
    );
    assert!(
        pod_lists
            .iter()
            .all(|q| q.param("labelSelector").is_some_and(|s| !s.is_empty()))
    );
    assert!(
        reqs.iter().any(|q| q.gzip),
        "large lists come gzip-compressed"
    );
    assert!(
        reqs.iter().all(|q| q.method == "GET"),
        "the audit never writes"
    );
}

#[test]
fn empty_selectors_select_everything_and_are_not_sent() {
    // `kubectl get -l ''` lists everything; an empty `$SEL` in a script must not change that.
    let (objects, _) = cluster_objects(&ClusterSpec::sized(5, 12, 4, 0.1));
    let live = start(objects, SimOptions::default(), "emptysel");
    let args = [
        "--kubeconfig",
        &live.kubeconfig,
        "-A",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ];
    let plain = report(&bin(&args, &[]));
    let before = live.sim.requests().len();
    let mut with_empty = args.to_vec();
    with_empty.extend(["-l", "", "--node-selector", ""]);
    let empty = report(&bin(&with_empty, &[]));
    assert!(plain["summary"]["daemonSets"].as_u64().unwrap() > 0);
    assert_eq!(
        empty, plain,
        "-l '' and --node-selector '' are no selector at all"
    );
    let reqs = live.sim.requests();
    let lists: Vec<_> = reqs[before..]
        .iter()
        .filter(|q| q.path == "/api/v1/nodes" || q.path == "/apis/apps/v1/daemonsets")
        .collect();
    assert_eq!(lists.len(), 2, "nodes and DaemonSets listed once each");
    assert!(
        lists.iter().all(|q| q.param("labelSelector").is_none()),
        "no labelSelector parameter is sent for an empty selector"
    );
}

#[test]
fn namespace_comes_from_the_context_and_contexts_switch() {
    let live = start(support::example_objects(), SimOptions::default(), "ctx");
    let url = live.sim.url();
    let kc = live.dir.join("two-contexts");
    std::fs::write(
        &kc,
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster: {{server: \"{url}\"}}\n\
             contexts:\n- name: logging\n  context: {{cluster: sim, user: u, namespace: logging}}\n\
             - name: monitoring\n  context: {{cluster: sim, user: u, namespace: monitoring}}\n\
             users:\n- name: u\n  user: {{}}\ncurrent-context: logging\n"
        ),
    )
    .unwrap();
    let kc = kc.to_str().unwrap();
    let names = |r: &Value| -> Vec<String> {
        r["daemonSets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| {
                format!(
                    "{}/{}",
                    d["namespace"].as_str().unwrap(),
                    d["name"].as_str().unwrap()
                )
            })
            .collect()
    };
    let current = report(&bin(&["--kubeconfig", kc, "-o", "json"], &[]));
    assert_eq!(names(&current), ["logging/fluent-bit"]);
    let other = report(&bin(
        &["--kubeconfig", kc, "--context", "monitoring", "-o", "json"],
        &[],
    ));
    assert_eq!(
        names(&other),
        ["monitoring/netdata", "monitoring/node-exporter"]
    );
    let flag = report(&bin(
        &["--kubeconfig", kc, "-n", "kube-system", "-o", "json"],
        &[],
    ));
    assert_eq!(names(&flag), ["kube-system/kube-proxy"]);
    let o = bin(&["--kubeconfig", kc, "--context", "nope"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("nope"), "{}", stderr(&o));
}

#[test]
fn kubeconfig_env_with_several_files_is_merged_first_wins() {
    let live = start(support::example_objects(), SimOptions::default(), "merge");
    let url = live.sim.url();
    let first = live.dir.join("first");
    let second = live.dir.join("second");
    // The first file sets current-context and the namespace; the second defines the cluster.
    std::fs::write(
        &first,
        "apiVersion: v1\nkind: Config\ncontexts:\n- name: audit\n  context: {cluster: sim, user: u, namespace: monitoring}\ncurrent-context: audit\nusers:\n- name: u\n  user: {}\n",
    )
    .unwrap();
    std::fs::write(
        &second,
        format!("apiVersion: v1\nkind: Config\nclusters:\n- name: sim\n  cluster: {{server: \"{url}\"}}\ncontexts:\n- name: audit\n  context: {{cluster: sim, user: u, namespace: logging}}\ncurrent-context: other\n"),
    )
    .unwrap();
    let value = format!(
        "{}:{}:{}",
        first.display(),
        live.dir.join("missing").display(),
        second.display()
    );
    let r = report(&bin(&["-o", "json"], &[("KUBECONFIG", &value)]));
    assert_eq!(
        r["daemonSets"][0]["namespace"], "monitoring",
        "first file's context wins"
    );
    assert_eq!(r["source"]["context"], "audit");
}

#[test]
fn bearer_token_is_sent_and_a_wrong_one_is_refused() {
    // Over https only: like kubectl, the tool sends no credentials to a plain http:// server.
    let tls = |n: &str| std::fs::read_to_string(format!("tests/fixtures/tls/{n}")).unwrap();
    let opts = SimOptions {
        token: Some("s3cret-token".into()),
        tls: Some(ds_coverage_simulator::SimTls {
            cert_pem: tls("server.crt"),
            key_pem: tls("server.key"),
            client_ca_pem: None,
        }),
        ..SimOptions::default()
    };
    let live = start(support::example_objects(), opts, "token");
    let good = live.dir.join("good");
    let bad = live.dir.join("bad");
    let with_ca = |token: &str| {
        live.sim.kubeconfig_yaml(Some(token), None).replace(
            "    server:",
            &format!(
                "    certificate-authority: {}/tests/fixtures/tls/ca.crt\n    server:",
                env!("CARGO_MANIFEST_DIR")
            ),
        )
    };
    std::fs::write(&good, with_ca("s3cret-token")).unwrap();
    std::fs::write(&bad, with_ca("wrong")).unwrap();
    let ok = bin(
        &[
            "--kubeconfig",
            good.to_str().unwrap(),
            "-A",
            "-o",
            "json",
            "-v",
        ],
        &[],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", stderr(&ok));
    assert!(
        !stderr(&ok).contains("s3cret-token"),
        "-v never prints the token"
    );
    assert!(live.sim.requests().iter().all(|r| r.authorization));
    let refused = bin(&["--kubeconfig", bad.to_str().unwrap(), "-A"], &[]);
    assert_eq!(refused.status.code(), Some(3));
    let err = stderr(&refused);
    assert!(
        err.contains("unauthorized") && err.contains(&live.sim.url()),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

#[test]
fn impersonation_headers_are_sent() {
    let live = start(support::example_objects(), SimOptions::default(), "as");
    let o = bin(
        &[
            "--kubeconfig",
            &live.kubeconfig,
            "-A",
            "--as",
            "jane",
            "--as-group",
            "sre",
            "--as-group",
            "oncall",
            "-o",
            "json",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let reqs = live.sim.requests();
    assert!(
        reqs.iter()
            .all(|r| r.impersonate_user.as_deref() == Some("jane"))
    );
    assert!(
        reqs.iter()
            .all(|r| r.impersonate_groups == ["sre", "oncall"])
    );
}

fn with_fault(fault: Fault, args: &[&str], tag: &str) -> (Output, Live) {
    let opts = SimOptions {
        faults: vec![fault],
        ..SimOptions::default()
    };
    let live = start(support::example_objects(), opts, tag);
    let mut all = vec!["--kubeconfig", live.kubeconfig.as_str(), "-A", "-o", "json"];
    all.extend_from_slice(args);
    let o = bin(&all, &[]);
    (o, live)
}

#[test]
fn forbidden_names_verb_resource_user_and_what_to_grant() {
    let (o, _live) = with_fault(
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Status(403),
        ),
        &[],
        "403",
    );
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert_eq!(
        err.trim(),
        "error: cannot list nodes: forbidden for user system:serviceaccount:ci:auditor — ds-coverage needs list on nodes, pods, daemonsets, controllerrevisions; see README 'RBAC'"
    );
    assert!(o.stdout.is_empty());
}

#[test]
fn throttling_is_retried_honouring_retry_after_and_visible_with_v() {
    let (o, live) = with_fault(
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Status(429),
        )
        .times(2),
        &["-v"],
        "429",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(
        err.matches("retrying GET /api/v1/nodes").count(),
        2,
        "{err}"
    );
    assert!(
        err.contains("in 1000ms (429"),
        "Retry-After: 1 is honoured: {err}"
    );
    assert_eq!(
        live.sim
            .requests()
            .iter()
            .filter(|r| r.path == "/api/v1/nodes")
            .count(),
        3
    );
    // -v logs each request: method, path, status, time.
    assert!(
        err.lines()
            .any(|l| l.starts_with("GET /api/v1/nodes?limit=500 200 ") && l.ends_with("ms")),
        "{err}"
    );
}

#[test]
fn server_errors_and_dropped_connections_are_retried_boundedly() {
    let (o, _l) = with_fault(
        Fault::new(
            Matcher::resource("daemonsets", Verb::List),
            FaultKind::Status(500),
        )
        .times(2),
        &[],
        "500",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (o, _l) = with_fault(
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::DropConnection,
        )
        .times(1),
        &[],
        "drop",
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // Always failing: bounded, then one line, exit 3.
    let (o, live) = with_fault(
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Status(500),
        ),
        &[],
        "500x",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("cannot list nodes") && stderr(&o).contains("500"),
        "{}",
        stderr(&o)
    );
    assert_eq!(
        live.sim
            .requests()
            .iter()
            .filter(|r| r.path == "/api/v1/nodes")
            .count(),
        5,
        "5 attempts, no more"
    );
}

#[test]
fn an_expired_continue_token_restarts_the_list() {
    let fault = Fault::new(
        Matcher::resource("pods", Verb::List).continued(),
        FaultKind::ExpiredContinue,
    )
    .times(1);
    let (o, live) = with_fault(fault, &["--chunk-size", "2", "-v"], "410");
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("expired (410 Gone); restarting the list"),
        "{}",
        stderr(&o)
    );
    assert!(live.sim.requests().iter().any(|r| r.status == 410));
    let offline = report(&bin(
        &[
            "-f",
            "examples/cluster.yaml",
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ],
        &[],
    ));
    let online = report(&bin(
        &[
            "--kubeconfig",
            &live.kubeconfig,
            "-A",
            "-o",
            "json",
            "--as-of",
            AS_OF,
            "--chunk-size",
            "2",
        ],
        &[],
    ));
    assert_eq!(online["summary"], offline["summary"]);
}

#[test]
fn slow_replies_hit_the_request_timeout() {
    let (o, _l) = with_fault(
        Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Slow(Duration::from_secs(5)),
        ),
        &["--request-timeout", "1s"],
        "slow",
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("timed out after 1s (--request-timeout)"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn a_malformed_body_is_one_clear_line() {
    let (o, _l) = with_fault(
        Fault::new(
            Matcher::resource("daemonsets", Verb::List),
            FaultKind::MalformedBody,
        ),
        &[],
        "malformed",
    );
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.starts_with("error: unexpected response to GET /apis/apps/v1/daemonsets"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1);
}

/// A server that answers every request with a web page (a proxy's, a login page) is named as
/// not an API server, in one line, without quoting the page.
#[test]
fn a_server_answering_a_web_page_is_named_as_not_an_api_server() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = stream.read(&mut buf);
            let page = "<!DOCTYPE html><html><body>Sign in to continue PAGE-SECRET</body></html>";
            let _ = write!(
                stream,
                "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{page}",
                page.len()
            );
        }
    });
    let o = bin(&["-s", &format!("http://{addr}"), "-A"], &[]);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("the answer is an HTML or XML page, not the Kubernetes API's"),
        "{err}"
    );
    assert!(
        !err.contains("PAGE-SECRET") && !err.contains("expected value"),
        "{err}"
    );
}

#[test]
fn an_unreachable_server_names_server_and_context() {
    let dir = temp_dir("unreachable");
    let kc = dir.join("kc");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:9\"}\ncontexts:\n- name: prod\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\ncurrent-context: prod\n",
    )
    .unwrap();
    let o = bin(&["--kubeconfig", kc.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("http://127.0.0.1:9") && err.contains("context prod"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let none = bin(&[], &[]);
    assert_eq!(none.status.code(), Some(3));
    assert!(
        stderr(&none).contains("no kubeconfig found"),
        "{}",
        stderr(&none)
    );
}

/// `-A -o json` against `kubeconfig` with `env` set, its stderr a pseudo-terminal (script(1), as
/// an SRE's shell would give it): what the terminal got (stdout is /dev/null).
fn on_a_terminal(kubeconfig: &str, env: &str) -> std::process::Output {
    let cmd = format!(
        "{env} {} --kubeconfig {kubeconfig} -A -o json >/dev/null",
        env!("CARGO_BIN_EXE_kubectl-ds_coverage"),
    );
    // script(1) (util-linux, `bsdutils` on Debian; .ci/run installs it): without it the tests
    // that need a terminal fail, they never pass unrun.
    Command::new("script")
        .args(["-qec", &cmd, "/dev/null"])
        .env("HOME", "/nonexistent")
        .output()
        .expect("script(1) is required on PATH (.ci/run installs bsdutils)")
}

/// A fetch that fails after its progress line was drawn clears the line: the error starts its
/// own row instead of following the counts.
#[test]
fn a_failed_fetch_clears_its_progress_line_before_the_error() {
    let nodes = || Matcher::resource("nodes", Verb::List);
    let opts = SimOptions {
        faults: vec![
            Fault::new(nodes(), FaultKind::Slow(Duration::from_millis(1600))),
            Fault::new(nodes(), FaultKind::Status(403)),
        ],
        ..SimOptions::default()
    };
    let live = start(support::example_objects(), opts, "progress-fails");
    let tty = String::from_utf8_lossy(&on_a_terminal(&live.kubeconfig, "").stdout).into_owned();
    assert!(tty.contains("fetching from"), "{tty:?}");
    let last = tty.rsplit("\r\x1b[2K").next().unwrap_or("");
    assert!(last.starts_with("error: "), "{tty:?}");
}

#[test]
fn progress_shows_on_a_terminal_for_slow_fetches_only() {
    let opts = SimOptions {
        faults: vec![Fault::new(
            Matcher::resource("nodes", Verb::List),
            FaultKind::Slow(Duration::from_millis(1600)),
        )],
        ..SimOptions::default()
    };
    let live = start(support::example_objects(), opts, "progress");
    let under_tty = |env: &str| {
        let o = on_a_terminal(&live.kubeconfig, env);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stdout)
        );
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    let slow = under_tty("");
    assert!(
        slow.contains("fetching from") && slow.contains("objects"),
        "{slow:?}"
    );
    // Redrawn in place (`\r\x1b[2K` clears one row), the line fits a narrow terminal (script's
    // has no size: COLUMNS says it), the server cut before the counts.
    let narrow = under_tty("COLUMNS=60");
    let drawn: Vec<&str> = narrow
        .split("\r\x1b[2K")
        .filter(|s| s.starts_with("fetching from"))
        .map(|s| s.split(['\r', '\n']).next().unwrap_or(""))
        .collect();
    assert!(!drawn.is_empty(), "{narrow:?}");
    for line in drawn {
        assert!(line.chars().count() <= 59, "{line:?}");
        assert!(
            line.contains("…: ") && line.ends_with(" requests…"),
            "{line:?}"
        );
    }
    // Not a terminal: never a progress line.
    let piped = bin(&["--kubeconfig", &live.kubeconfig, "-A", "-o", "json"], &[]);
    assert_eq!(piped.status.code(), Some(0));
    assert!(!stderr(&piped).contains("fetching"));
    // Fast fetches stay quiet on a terminal too.
    live.sim.clear_faults();
    let fast = under_tty("");
    assert!(!fast.contains("fetching from"), "{fast:?}");
}
