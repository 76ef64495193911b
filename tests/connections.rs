//! Connecting as a user in a company network would (issue 14), against the simulated API server:
//! proxies (HTTP CONNECT and SOCKS5, from the environment and the kubeconfig), TLS with a CA and
//! client certificates, kubectl's connection flags and their precedence, credentials never sent
//! over plain http://, secrets never printed, partial access, and a server's huge answer.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use ds_coverage_simulator::{Fault, FaultKind, Matcher, SimOptions, SimTls, Simulator, Verb};
use serde_json::Value;
use support::proxy::Proxy;

const PROXY_VARS: [&str; 6] = [
    "HTTPS_PROXY",
    "https_proxy",
    "HTTP_PROXY",
    "http_proxy",
    "NO_PROXY",
    "no_proxy",
];

fn temp_dir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("ds-coverage-conn-{tag}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The binary with a clean environment: no kubeconfig, no proxy variables but `env`'s.
fn bin(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().unwrap()
}

/// [`bin`]'s command, not started yet.
fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    c.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST");
    for v in PROXY_VARS {
        c.env_remove(v);
    }
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn report(o: &Output) -> Value {
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(o));
    serde_json::from_slice(&o.stdout).unwrap()
}

fn without_source(mut r: Value) -> Value {
    r.as_object_mut().unwrap().remove("source");
    r
}

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/tls")
        .join(name)
        .to_str()
        .unwrap()
        .to_string()
}

/// A kubeconfig of one cluster `c` and user `u`, `cluster` and `user` being YAML lines (already
/// indented by four spaces).
fn kubeconfig(dir: &Path, name: &str, server: &str, cluster: &[&str], user: &[&str]) -> String {
    let mut y = format!(
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: {server}\n"
    );
    for l in cluster {
        y.push_str(&format!("    {l}\n"));
    }
    y.push_str("contexts:\n- name: ctx\n  context:\n    cluster: c\n    user: u\ncurrent-context: ctx\nusers:\n- name: u\n  user:\n");
    if user.is_empty() {
        y.push_str("    {}\n");
    }
    for l in user {
        y.push_str(&format!("    {l}\n"));
    }
    let p = dir.join(name);
    std::fs::write(&p, y).unwrap();
    p.to_str().unwrap().to_string()
}

fn plain_sim() -> Simulator {
    Simulator::start(support::example_objects(), SimOptions::default())
}

fn tls_sim(token: Option<&str>) -> Simulator {
    let read = |n: &str| std::fs::read_to_string(fixture(n)).unwrap();
    Simulator::start(
        support::example_objects(),
        SimOptions {
            token: token.map(str::to_string),
            tls: Some(SimTls {
                cert_pem: read("server.crt"),
                key_pem: read("server.key"),
                client_ca_pem: Some(read("ca.crt")),
            }),
            ..SimOptions::default()
        },
    )
}

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn audit(kc: &str, extra: &[&str], env: &[(&str, &str)]) -> Output {
    let mut args = vec!["--kubeconfig", kc, "-A", "-o", "json", "--as-of", AS_OF];
    args.extend_from_slice(extra);
    bin(&args, env)
}

#[test]
fn an_http_connect_proxy_from_the_environment_reaches_a_server_only_it_resolves() {
    let sim = plain_sim();
    let dir = temp_dir("connect");
    let direct = report(&audit(
        &kubeconfig(&dir, "direct", &sim.url(), &[], &[]),
        &[],
        &[],
    ));
    let port = sim.addr().port();
    let named = format!("http://cluster.test:{port}");
    let kc = kubeconfig(&dir, "named", &named, &[], &[]);
    let proxy = Proxy::connect(sim.addr());
    let proxy_url = format!("http://{}", proxy.addr);
    for var in ["HTTP_PROXY", "http_proxy"] {
        let r = report(&audit(&kc, &[], &[(var, &proxy_url)]));
        assert_eq!(without_source(r.clone()), without_source(direct.clone()));
        assert_eq!(r["source"]["server"], named.as_str());
    }
    let target = format!("cluster.test:{port}");
    let seen = proxy.targets();
    assert!(
        !seen.is_empty() && seen.iter().all(|t| *t == target),
        "{seen:?}"
    );
    // NO_PROXY matches the server (not the proxy): direct, and cluster.test does not resolve.
    let before = proxy.targets().len();
    for no_proxy in [".test", "cluster.test", &target, "*"] {
        let o = audit(
            &kc,
            &[],
            &[("HTTP_PROXY", &proxy_url), ("NO_PROXY", no_proxy)],
        );
        assert_eq!(o.status.code(), Some(3), "NO_PROXY={no_proxy}");
    }
    assert_eq!(proxy.targets().len(), before);
    let other_port = format!("cluster.test:{}", port.wrapping_add(1));
    let o = audit(
        &kc,
        &[],
        &[("HTTP_PROXY", &proxy_url), ("no_proxy", &other_port)],
    );
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    // HTTPS_PROXY is for https:// servers only.
    let before = proxy.targets().len();
    assert!(before > seen.len());
    let o = audit(&kc, &[], &[("HTTPS_PROXY", &proxy_url)]);
    assert_eq!(o.status.code(), Some(3));
    assert_eq!(proxy.targets().len(), before);
}

#[test]
fn a_socks5_proxy_url_in_the_kubeconfig_wins_over_the_environment() {
    let sim = plain_sim();
    let dir = temp_dir("socks");
    let port = sim.addr().port();
    let socks = Proxy::socks5(sim.addr());
    let connect = Proxy::connect(sim.addr());
    let kc = kubeconfig(
        &dir,
        "socks",
        &format!("http://cluster.test:{port}"),
        &[&format!("proxy-url: socks5://{}", socks.addr)],
        &[],
    );
    let r = report(&audit(
        &kc,
        &[],
        &[
            ("HTTP_PROXY", &format!("http://{}", connect.addr)),
            ("NO_PROXY", "*"),
        ],
    ));
    assert!(r["summary"]["daemonSets"].as_u64().unwrap() > 0);
    assert!(
        socks
            .targets()
            .iter()
            .any(|t| *t == format!("cluster.test:{port}"))
    );
    assert!(connect.targets().is_empty());
    assert!(!sim.requests().is_empty());
}

/// A proxy that refuses the connection is named in the error (credentials redacted): the
/// refusal is the proxy's, not the API server's, whose address the error also gives.
#[test]
fn an_unreachable_proxy_is_named_in_the_error_without_its_password() {
    let dir = temp_dir("dead-proxy");
    // A port nothing listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let kc = kubeconfig(
        &dir,
        "dead-proxy",
        "https://api.example.invalid:6443",
        &[&format!("proxy-url: http://me:s3cret@127.0.0.1:{port}")],
        &[],
    );
    let o = audit(&kc, &["--request-timeout", "5s"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("cannot reach the API server https://api.example.invalid:6443"),
        "{e}"
    );
    assert!(
        e.contains(&format!(
            "(through the proxy http://REDACTED@127.0.0.1:{port})"
        )),
        "{e}"
    );
    assert!(!e.contains("s3cret"), "{e}");
}

#[test]
fn tls_with_a_ca_a_token_and_client_certificates_and_the_flags_over_the_kubeconfig() {
    let sim = tls_sim(Some("tls-token-1"));
    let dir = temp_dir("tls");
    let ca = format!("certificate-authority: {}", fixture("ca.crt"));
    let kc = kubeconfig(&dir, "tls", &sim.url(), &[&ca], &["token: tls-token-1"]);
    let ok = report(&audit(&kc, &[], &[]));
    assert_eq!(ok["source"]["server"], sim.url());
    assert!(
        sim.requests()
            .iter()
            .all(|r| r.authorization_scheme.as_deref() == Some("Bearer"))
    );
    // --token over the kubeconfig's: a wrong one is refused.
    let o = audit(&kc, &["--token", "wrong-token"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("unauthorized"), "{}", stderr(&o));
    // No CA in the kubeconfig: --certificate-authority supplies it.
    let bare = kubeconfig(&dir, "bare", &sim.url(), &[], &["token: tls-token-1"]);
    let o = audit(&bare, &[], &[]);
    assert_eq!(o.status.code(), Some(3), "an unknown CA is refused");
    report(&audit(
        &bare,
        &["--certificate-authority", &fixture("ca.crt")],
        &[],
    ));
    // Client certificates.
    sim.reset_requests();
    report(&audit(
        &kc,
        &[
            "--client-certificate",
            &fixture("client.crt"),
            "--client-key",
            &fixture("client.key"),
        ],
        &[],
    ));
    assert!(sim.requests().iter().all(|r| r.client_certificate));
    // -s over the kubeconfig's server; --tls-server-name checks the certificate against a name
    // other than the URL's host.
    let elsewhere = kubeconfig(
        &dir,
        "elsewhere",
        "https://127.0.0.1:1",
        &[&ca],
        &["token: tls-token-1"],
    );
    report(&audit(&elsewhere, &["-s", &sim.url()], &[]));
    report(&audit(
        &elsewhere,
        &["--server", &sim.url(), "--tls-server-name", "cluster.test"],
        &[],
    ));
    let o = audit(
        &elsewhere,
        &["--server", &sim.url(), "--tls-server-name", "wrong.test"],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    // Through an HTTP CONNECT proxy to https://cluster.test (HTTPS_PROXY).
    let proxy = Proxy::connect(sim.addr());
    let named = kubeconfig(
        &dir,
        "named",
        &format!("https://cluster.test:{}", sim.addr().port()),
        &[&ca],
        &["token: tls-token-1"],
    );
    report(&audit(
        &named,
        &[],
        &[("HTTPS_PROXY", &format!("http://{}", proxy.addr))],
    ));
    assert!(!proxy.targets().is_empty());
    // A token file with the newline `kubectl create token > f` leaves.
    let token_file = dir.join("token");
    std::fs::write(&token_file, "tls-token-1\n").unwrap();
    let tf = kubeconfig(
        &dir,
        "tokenfile",
        &sim.url(),
        &[&ca],
        &[&format!("tokenFile: {}", token_file.display())],
    );
    report(&audit(&tf, &[], &[]));
}

#[test]
fn credentials_are_never_sent_over_plain_http() {
    let sim = plain_sim();
    let dir = temp_dir("plain");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &["token: plain-http-token"]);
    report(&audit(&kc, &[], &[]));
    report(&audit(&kc, &["--token", "flag-token"], &[]));
    assert!(!sim.requests().is_empty());
    assert!(sim.requests().iter().all(|r| !r.authorization));
}

/// A plain `http://` server that wants a token is told apart from one that rejects it: the
/// kubeconfig's token was not sent, and the message says so (and never prints it).
#[test]
fn a_server_wanting_credentials_over_plain_http_is_told_they_were_not_sent() {
    let sim = Simulator::start(
        support::example_objects(),
        SimOptions {
            token: Some("plain-http-token".into()),
            ..SimOptions::default()
        },
    );
    let dir = temp_dir("plain-401");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &["token: plain-http-token"]);
    let o = audit(&kc, &[], &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("credentials are not sent over plain http"),
        "{err}"
    );
    assert!(err.contains("https://"), "{err}");
    assert!(
        !err.contains("were rejected") && !err.contains("plain-http-token"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // Without credentials configured, the plain 401 wording stands.
    let bare = kubeconfig(&dir, "bare", &sim.url(), &[], &[]);
    let err = String::from_utf8_lossy(&audit(&bare, &[], &[]).stderr).to_string();
    assert!(
        err.contains("were rejected") && !err.contains("not sent"),
        "{err}"
    );
}

#[test]
fn as_uid_and_disable_compression_are_sent_as_kubectl_sends_them() {
    let sim = plain_sim();
    let dir = temp_dir("headers");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &[]);
    report(&audit(&kc, &[], &[]));
    assert!(sim.requests().iter().all(|r| {
        r.accept_encoding
            .as_deref()
            .is_some_and(|e| e.contains("gzip"))
    }));
    sim.reset_requests();
    report(&audit(
        &kc,
        &["--as", "alice", "--as-uid", "1234", "--disable-compression"],
        &[],
    ));
    let reqs = sim.requests();
    assert!(!reqs.is_empty());
    for r in &reqs {
        assert_eq!(r.impersonate_user.as_deref(), Some("alice"));
        assert_eq!(r.impersonate_uid.as_deref(), Some("1234"));
        assert!(
            !r.accept_encoding
                .as_deref()
                .is_some_and(|e| e.contains("gzip")),
            "{r:?}"
        );
        assert!(!r.gzip);
    }
}

#[test]
fn every_secret_case_fails_or_works_without_printing_a_secret() {
    const SECRETS: [&str; 6] = [
        "exec-token-AAA",
        "exec-token-BBB",
        "yaml-token-CCC",
        "url-password-DDD",
        "newline-token-EEE",
        "verbose-token-FFF",
    ];
    let sim = tls_sim(Some("verbose-token-FFF"));
    let plain = plain_sim();
    let dir = temp_dir("secrets");
    let ca = format!("certificate-authority: {}", fixture("ca.crt"));
    let mut outputs: Vec<(String, Output)> = Vec::new();
    let plugin = |name: &str, body: &str| {
        let p = dir.join(name);
        std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        p.to_str().unwrap().to_string()
    };
    let exec_user = |cmd: &str| {
        vec![
            "exec:".to_string(),
            "  apiVersion: client.authentication.k8s.io/v1".to_string(),
            format!("  command: {cmd}"),
            "  interactiveMode: Never".to_string(),
        ]
    };
    // 1. An exec plugin that fails after printing its credential: only its stderr is shown.
    let failing = plugin(
        "failing",
        r#"echo '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-AAA"}}'; echo 'plugin: login expired' >&2; exit 1"#,
    );
    let user = exec_user(&failing);
    let refs: Vec<&str> = user.iter().map(String::as_str).collect();
    let o = audit(
        &kubeconfig(&dir, "exec1", &sim.url(), &[&ca], &refs),
        &["-v", "9"],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("plugin: login expired"),
        "{}",
        stderr(&o)
    );
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    outputs.push(("exec failure".into(), o));
    // 2. Truncated plugin output.
    let truncated = plugin(
        "truncated",
        r#"printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token-BBB'"#,
    );
    let user = exec_user(&truncated);
    let refs: Vec<&str> = user.iter().map(String::as_str).collect();
    let o = audit(
        &kubeconfig(&dir, "exec2", &sim.url(), &[&ca], &refs),
        &[],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    outputs.push(("exec truncated".into(), o));
    // 3. A kubeconfig YAML error next to a token.
    let broken = dir.join("broken");
    std::fs::write(
        &broken,
        "apiVersion: v1\nkind: Config\nusers:\n- name: u\n  user:\n    token: yaml-token-CCC\n   bad: [indent\n",
    )
    .unwrap();
    let o = audit(broken.to_str().unwrap(), &[], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("line"), "{}", stderr(&o));
    outputs.push(("yaml".into(), o));
    // 4. A password in the server URL: redacted in the report and in errors.
    let with_password = plain
        .url()
        .replace("http://", "http://admin:url-password-DDD@");
    let o = audit(
        &kubeconfig(&dir, "pw", &with_password, &[], &[]),
        &["-v"],
        &[],
    );
    let r = report(&o);
    assert!(
        r["source"]["server"]
            .as_str()
            .unwrap()
            .contains("REDACTED@")
    );
    outputs.push(("password report".into(), o));
    let o = audit(
        &kubeconfig(
            &dir,
            "pw2",
            "http://admin:url-password-DDD@127.0.0.1:1",
            &[],
            &[],
        ),
        &[],
        &[],
    );
    assert_eq!(o.status.code(), Some(3));
    outputs.push(("password error".into(), o));
    // 5. An inline token with a newline: one line, exit 3, no panic.
    let o = audit(
        &kubeconfig(
            &dir,
            "nl",
            &sim.url(),
            &[&ca],
            &[r#"token: "newline-token-EEE\nx""#],
        ),
        &[],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(stderr(&o).lines().count(), 1, "{}", stderr(&o));
    outputs.push(("newline token".into(), o));
    // 6. Every -v level with a working token.
    let kc = kubeconfig(
        &dir,
        "ok",
        &sim.url(),
        &[&ca],
        &["token: verbose-token-FFF"],
    );
    for v in [
        &["-v"][..],
        &["-v", "6"],
        &["--v", "9"],
        &["--v=10"],
        &["-v8"],
    ] {
        let o = audit(&kc, v, &[]);
        assert_eq!(o.status.code(), Some(0), "{v:?}: {}", stderr(&o));
        assert!(
            stderr(&o).contains("GET /api/v1/nodes"),
            "{v:?}: {}",
            stderr(&o)
        );
        outputs.push((format!("{v:?}"), o));
    }
    // 7. --user nosuch is an error, as in kubectl; --request-timeout overflow a usage error.
    let o = audit(&kc, &["--user", "nosuch"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(stderr(&o).contains("nosuch"), "{}", stderr(&o));
    outputs.push(("--user".into(), o));
    let o = audit(&kc, &["--context", "nosuch"], &[]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        stderr(&o).contains("context \"nosuch\" (--context) does not exist in the kubeconfig"),
        "{}",
        stderr(&o)
    );
    outputs.push(("--context".into(), o));
    let o = audit(&kc, &["--request-timeout", "99999999999999999h"], &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    outputs.push(("--request-timeout".into(), o));

    for (case, o) in &outputs {
        let all = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        for s in SECRETS {
            assert!(!all.contains(s), "{case}: {s} printed:\n{all}");
        }
    }
}

#[test]
fn unreadable_controller_revisions_degrade_to_the_generation_label_and_403s_say_where() {
    let sim = plain_sim();
    let dir = temp_dir("partial");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &[]);
    for code in [403, 404] {
        sim.set_faults(vec![Fault::new(
            Matcher::resource("controllerrevisions", Verb::List),
            FaultKind::Status(code),
        )]);
        let r = report(&audit(&kc, &[], &[]));
        let warnings = r["warnings"].to_string();
        assert!(warnings.contains("ControllerRevisions"), "{code}: {r}");
    }
    // Readable in one namespace, forbidden in another: the report-wide warning (none could be
    // read) is not given, the DaemonSets of the forbidden namespace say it themselves.
    sim.set_faults(vec![Fault::new(
        Matcher::resource("controllerrevisions", Verb::List).in_namespace("logging"),
        FaultKind::Status(403),
    )]);
    let r = report(&audit(&kc, &[], &[]));
    assert!(
        !r["warnings"].to_string().contains("ControllerRevisions"),
        "{}",
        r["warnings"]
    );
    let fluent = r["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "fluent-bit")
        .unwrap();
    let w = fluent["warnings"].to_string();
    assert!(
        w.contains("ControllerRevisions could not be read")
            && w.contains("403 Forbidden")
            && w.contains("\\\"logging\\\""),
        "{w}"
    );
}

/// The DaemonSets of a namespace whose pods are forbidden (RBAC by namespace) are Unknown with
/// the API's reason, judge no pair, fail the gate, show in every format; the rest of the audit
/// is exactly what it is with full access. explain refuses to invent a state, fix plans nothing.
#[test]
fn a_namespace_whose_pods_are_forbidden_leaves_its_daemon_sets_unknown_and_the_rest_audited() {
    let sim = plain_sim();
    let dir = temp_dir("forbidden-pods");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &[]);
    let full = report(&audit(&kc, &[], &[]));
    sim.set_faults(vec![Fault::new(
        Matcher::resource("pods", Verb::List).in_namespace("monitoring"),
        FaultKind::Status(403),
    )]);
    let partial = report(&audit(&kc, &[], &[]));
    let by_name = |r: &Value| -> std::collections::BTreeMap<String, Value> {
        r["daemonSets"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| (d["name"].as_str().unwrap().to_string(), d.clone()))
            .collect()
    };
    let (full_ds, partial_ds) = (by_name(&full), by_name(&partial));
    assert_eq!(full_ds.len(), 6);
    assert_eq!(partial_ds.len(), 6, "every DaemonSet is reported");
    for (name, d) in &partial_ds {
        if d["namespace"] == "monitoring" {
            let reason = d["unknown"]["reason"].as_str().unwrap_or_default();
            assert!(
                reason.starts_with("403 Forbidden: pods is forbidden")
                    && reason.contains("cannot list resource \"pods\"")
                    && reason.contains("in the namespace \"monitoring\""),
                "{name}: {reason}"
            );
            assert_eq!(d["nodes"], serde_json::json!([]), "{name}: no pair judged");
            assert_eq!(d["counts"]["missing"], 0, "{name}");
            assert_eq!(d["counts"]["eligible"], 0, "{name}");
            assert!(d["counts"]["coveragePercent"].is_null(), "{name}");
            // The full run did judge pairs for it.
            assert!(!full_ds[name]["nodes"].as_array().unwrap().is_empty());
        } else {
            assert_eq!(d, &full_ds[name], "{name} is audited as with full access");
        }
    }
    // No node lists a monitoring DaemonSet as missing.
    for n in partial["nodes"].as_array().unwrap() {
        assert!(!n["missing"].to_string().contains("monitoring/"), "{n}");
    }

    // The gate fails, with one Unknown violation per DaemonSet, in the default --fail-on.
    let o = audit(&kc, &["--check"], &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let gated: Value = serde_json::from_slice(&o.stdout).unwrap();
    let unknown: Vec<&Value> = gated["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| v["state"] == "Unknown")
        .collect();
    assert_eq!(unknown.len(), 2, "{}", gated["gate"]);
    assert!(gated["gate"]["failOn"].to_string().contains("Unknown"));
    for v in &unknown {
        assert!(v["daemonSet"].as_str().unwrap().starts_with("monitoring/"));
        assert!(v["reason"].as_str().unwrap().contains("pods is forbidden"));
    }
    // Left out of --fail-on on purpose, it does not fail (the rest of the example does).
    let o = audit(&kc, &["--check", "--fail-on", "Unknown"], &[]);
    assert_eq!(o.status.code(), Some(1));
    let o = audit(
        &kc,
        &["--check", "--fail-on", "Misscheduled", "-n", "monitoring"],
        &[],
    );
    let only: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        !only["gate"]["violations"].to_string().contains("Unknown"),
        "{}",
        only["gate"]
    );

    // Every format shows it.
    let text = |fmt: &str| {
        let o = bin(
            &[
                "--kubeconfig",
                &kc,
                "-A",
                "-o",
                fmt,
                "--as-of",
                AS_OF,
                "--check",
            ],
            &[],
        );
        assert_eq!(o.status.code(), Some(1), "{fmt}: {}", stderr(&o));
        String::from_utf8_lossy(&o.stdout).into_owned()
    };
    for fmt in ["table", "wide"] {
        let t = text(fmt);
        let row = t
            .lines()
            .find(|l| l.starts_with("monitoring") && l.contains("netdata"))
            .unwrap_or_else(|| panic!("{fmt}:\n{t}"));
        assert!(row.trim_end().ends_with("Unknown"), "{fmt}: {row}");
        assert!(
            t.contains("pods could not be read: 403 Forbidden"),
            "{fmt}:\n{t}"
        );
        assert!(t.contains("2 DaemonSets Unknown"), "{fmt}:\n{t}");
    }
    let m = text("matrix");
    assert!(
        m.contains("monitoring/netdata (Unknown)")
            && m.contains("? Unknown (pods could not be read)"),
        "{m}"
    );
    assert!(
        m.contains("monitoring/node-exporter: pods could not be read"),
        "{m}"
    );
    let y = text("yaml");
    assert!(
        y.contains("unknown:") && y.contains("pods is forbidden"),
        "{y}"
    );
    let md = text("markdown");
    assert!(
        md.contains("**monitoring/netdata** is Unknown: its pods could not be read: 403 Forbidden"),
        "{md}"
    );
    assert!(
        md.lines()
            .any(|l| l.starts_with("| monitoring | netdata |") && l.ends_with("| Unknown |")),
        "{md}"
    );
    let junit = text("junit");
    let case = junit
        .split("<testsuite ")
        .find(|s| s.starts_with("name=\"monitoring/netdata\""))
        .unwrap();
    assert!(
        case.contains("<testcase name=\"(pods could not be read)\"")
            && case.contains("type=\"Unknown\"")
            && case.contains("pods is forbidden"),
        "{case}"
    );

    // explain says why it cannot judge the pair; fix plans nothing for it and says so.
    let node = full_ds["netdata"]["nodes"][0]["node"]
        .as_str()
        .unwrap()
        .to_string();
    let o = bin(
        &[
            "--kubeconfig",
            &kc,
            "explain",
            "-n",
            "monitoring",
            "netdata",
            &node,
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("its pods could not be read (403 Forbidden: pods is forbidden")
            && err.contains("state is Unknown"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    let o = bin(
        &[
            "--kubeconfig",
            &kc,
            "fix",
            "-A",
            "-o",
            "json",
            "--as-of",
            AS_OF,
        ],
        &[],
    );
    let plan: Value =
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stderr(&o)));
    assert!(
        !plan["actions"].to_string().contains("\"monitoring\""),
        "{}",
        plan["actions"]
    );
    let gaps: Vec<&Value> = plan["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["namespace"] == "monitoring")
        .collect();
    assert_eq!(gaps.len(), 2, "{}", plan["gaps"]);
    for g in gaps {
        assert_eq!(g["state"], "Unknown");
        assert!(g["hint"].as_str().unwrap().contains("nothing is planned"));
    }
}

#[test]
fn a_huge_answer_is_refused_with_the_way_out() {
    let sim = plain_sim();
    let dir = temp_dir("huge");
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &[]);
    sim.set_faults(vec![Fault::new(
        Matcher::path("/api/v1/nodes"),
        FaultKind::HugeBody(300 << 20),
    )]);
    let o = audit(&kc, &[], &[]);
    assert_eq!(o.status.code(), Some(3));
    let err = stderr(&o);
    assert!(
        err.contains("256 MiB") && err.contains("--chunk-size"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// A token file is read once per run, not once per request (client-go's
/// `transport.NewCachedFileTokenSource` caches it): replaced while the run is under way, the
/// requests after the change still carry the token read at the start. A new run reads the new
/// file (and, the token being wrong, is refused).
#[test]
fn a_token_file_is_read_once_per_run() {
    let sim = tls_sim(Some("file-token-1"));
    let dir = temp_dir("token-file-once");
    let token = dir.join("token");
    std::fs::write(&token, "file-token-1\n").unwrap();
    let ca = format!("certificate-authority: {}", fixture("ca.crt"));
    let user = format!("tokenFile: {}", token.display());
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[&ca], &[&user]);
    // The DaemonSets answer late: nodes are read (the token in use) before the file changes, and
    // every pod and revision list is sent after it changed.
    sim.set_faults(vec![Fault::new(
        Matcher::resource("daemonsets", Verb::List),
        FaultKind::Slow(std::time::Duration::from_secs(3)),
    )]);
    let child = command(
        &["--kubeconfig", &kc, "-A", "-o", "json", "--as-of", AS_OF],
        &[],
    )
    .stdout(std::process::Stdio::piped())
    .stderr(std::process::Stdio::piped())
    .spawn()
    .unwrap();
    let started = std::time::Instant::now();
    while !sim.requests().iter().any(|r| r.path == "/api/v1/nodes") {
        assert!(started.elapsed().as_secs() < 60, "nodes never listed");
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    std::fs::write(&token, "file-token-2\n").unwrap();
    let o = child.wait_with_output().unwrap();
    let r = report(&o);
    assert_eq!(r["daemonSets"].as_array().unwrap().len(), 6);
    let requests = sim.requests();
    let ds = requests
        .iter()
        .position(|r| r.path == "/apis/apps/v1/daemonsets")
        .expect("daemonsets listed");
    let after: Vec<_> = requests[ds + 1..]
        .iter()
        .filter(|r| r.path.ends_with("/pods"))
        .collect();
    assert!(!after.is_empty(), "pods listed after the change");
    for r in &requests {
        assert_eq!(r.status, 200, "{} {} sent another token", r.method, r.path);
        assert_eq!(r.authorization_scheme.as_deref(), Some("Bearer"));
    }
    // The file did change: a new run reads it, and the server refuses that token.
    sim.set_faults(Vec::new());
    let o = audit(&kc, &[], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert!(stderr(&o).contains("unauthorized"), "{}", stderr(&o));
}

/// A kubeconfig file that does not exist is named, as kubectl names it (client-go `clientcmd`
/// `ClientConfigLoadingRules.Load`): `--kubeconfig` must exist; `KUBECONFIG` entries that do not
/// exist are skipped, and when none exists there is no kubeconfig at all — the flags alone
/// still connect, else the error names every file.
#[test]
fn a_kubeconfig_file_that_does_not_exist_is_named() {
    let dir = temp_dir("missing-kc");
    let a = dir.join("no-such-a");
    let b = dir.join("no-such-b");
    let (a, b) = (a.to_str().unwrap(), b.to_str().unwrap());
    let one_line = |o: &Output| {
        assert_eq!(o.status.code(), Some(3), "{}", stderr(o));
        let err = stderr(o);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            !err.contains("current context") && !err.contains('"'),
            "{err}"
        );
        err
    };
    let err = one_line(&bin(&["--kubeconfig", a], &[]));
    assert!(
        err.contains(&format!(
            "kubeconfig file {a} (--kubeconfig) does not exist"
        )),
        "{err}"
    );
    let err = one_line(&bin(&[], &[("KUBECONFIG", a)]));
    assert!(
        err.contains(&format!("kubeconfig file {a} (KUBECONFIG) does not exist")),
        "{err}"
    );
    let both = format!("{a}:{b}");
    let err = one_line(&bin(&[], &[("KUBECONFIG", &both)]));
    assert!(
        err.contains("none of the kubeconfig files in KUBECONFIG exists")
            && err.contains(a)
            && err.contains(b),
        "{err}"
    );
    let err = one_line(&bin(&["--all-contexts"], &[("KUBECONFIG", &both)]));
    assert!(err.contains(a) && err.contains(b), "{err}");
    // With every KUBECONFIG entry missing, kubectl connects with -s alone; so does the plugin.
    let sim = plain_sim();
    report(&bin(
        &["-s", &sim.url(), "-A", "-o", "json", "--as-of", AS_OF],
        &[("KUBECONFIG", &both)],
    ));
    // One existing entry is enough; the missing one is skipped.
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[], &[]);
    report(&bin(
        &["-A", "-o", "json", "--as-of", AS_OF],
        &[("KUBECONFIG", &format!("{a}:{kc}"))],
    ));
}

/// `KUBECONFIG` as kubectl takes it (client-go `clientcmd` `NewDefaultClientConfigLoadingRules`):
/// empty is as if unset, and `~/.kube/config` is read; `:` names no file, and `~/.kube/config` is
/// not read either (`KUBECONFIG=: kubectl config view` shows an empty config). The plugin said
/// nothing and audited the cluster of `~/.kube/config`: another cluster than kubectl's.
#[test]
fn a_kubeconfig_variable_of_separators_reads_no_kubeconfig() {
    let sim = plain_sim();
    let home = temp_dir("kc-home");
    let dot_kube = home.join(".kube");
    std::fs::create_dir_all(&dot_kube).unwrap();
    kubeconfig(&dot_kube, "config", &sim.url(), &[], &[]);
    let home = home.to_str().unwrap();
    let args = ["-A", "-o", "json", "--as-of", AS_OF];
    let url = sim.url();
    report(&bin(&args, &[("HOME", home), ("KUBECONFIG", "")]));
    report(&bin(&args, &[("HOME", home)]));
    for value in [":", "::"] {
        let o = bin(&args, &[("HOME", home), ("KUBECONFIG", value)]);
        assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
        let err = stderr(&o);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.contains("KUBECONFIG names no file"), "{err}");
        // The flags alone still connect, as kubectl's do.
        let mut with_server = vec!["-s", url.as_str()];
        with_server.extend_from_slice(&args);
        report(&bin(&with_server, &[("HOME", home), ("KUBECONFIG", value)]));
    }
}

/// With connection flags and no kubeconfig (`-s URL`) there is no context, as in kubectl: the
/// report's `source.context` is empty and messages name the server alone (they said "(context
/// flags)", the name of a kubeconfig made inside the plugin).
#[test]
fn connection_flags_alone_name_no_context() {
    let sim = plain_sim();
    let url = sim.url();
    let r = report(&bin(
        &["-s", &url, "-A", "-o", "json", "--as-of", AS_OF],
        &[],
    ));
    assert_eq!(r["source"]["context"], "", "{}", r["source"]);
    assert_eq!(r["source"]["server"], url.trim_end_matches('/'));
    let o = bin(&["-s", "http://127.0.0.1:1", "-A"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("cannot reach the API server http://127.0.0.1:1:") && !err.contains("context"),
        "{err}"
    );
}

/// A certificate, key or token file the kubeconfig (or a flag) names and that cannot be read is
/// named once, unquoted, with what it is for: one line, exit 3.
#[test]
fn a_missing_certificate_key_or_token_file_is_named_once() {
    let sim = tls_sim(Some("tls-token-1"));
    let dir = temp_dir("missing-files");
    let missing = |n: &str| dir.join(n).to_str().unwrap().to_string();
    let (ca, crt, key, tok) = (
        missing("no-ca.crt"),
        missing("no-client.crt"),
        missing("no-client.key"),
        missing("no-token"),
    );
    let good_ca = format!("certificate-authority: {}", fixture("ca.crt"));
    let good_crt = format!("client-certificate: {}", fixture("client.crt"));
    let good_key = format!("client-key: {}", fixture("client.key"));
    let check = |o: &Output, what: &str, path: &str| {
        let err = stderr(o);
        assert_eq!(o.status.code(), Some(3), "{err}");
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(
            err.contains(&format!("the {what} file {path} does not exist")),
            "{err}"
        );
        assert_eq!(err.matches(path).count(), 1, "{err}");
        assert!(!err.contains('"') && !err.contains('\''), "{err}");
    };
    let bad_ca = format!("certificate-authority: {ca}");
    let kc = kubeconfig(&dir, "ca", &sim.url(), &[&bad_ca], &["token: tls-token-1"]);
    check(&audit(&kc, &[], &[]), "certificate-authority", &ca);
    let bad_crt = format!("client-certificate: {crt}");
    let kc = kubeconfig(&dir, "crt", &sim.url(), &[&good_ca], &[&bad_crt, &good_key]);
    check(&audit(&kc, &[], &[]), "client-certificate", &crt);
    let bad_key = format!("client-key: {key}");
    let kc = kubeconfig(&dir, "key", &sim.url(), &[&good_ca], &[&good_crt, &bad_key]);
    check(&audit(&kc, &[], &[]), "client-key", &key);
    let bad_tok = format!("tokenFile: {tok}");
    let kc = kubeconfig(&dir, "tok", &sim.url(), &[&good_ca], &[&bad_tok]);
    check(&audit(&kc, &[], &[]), "token", &tok);
    // The same through the flags, over a kubeconfig whose files are all there.
    let kc = kubeconfig(
        &dir,
        "good",
        &sim.url(),
        &[&good_ca],
        &[&good_crt, &good_key, "token: tls-token-1"],
    );
    report(&audit(&kc, &[], &[]));
    check(
        &audit(&kc, &["--certificate-authority", &ca], &[]),
        "certificate-authority",
        &ca,
    );
    check(
        &audit(&kc, &["--client-certificate", &crt], &[]),
        "client-certificate",
        &crt,
    );
    check(
        &audit(&kc, &["--client-key", &key], &[]),
        "client-key",
        &key,
    );
}

/// A server whose self-signed CA certificate (CA:TRUE) is also the kubeconfig's
/// certificate-authority: kubectl (Go's crypto/x509) accepts it, rustls refuses it
/// (`CaUsedAsEndEntity`). The refusal is one line in words with the ways out, not rustls's
/// debug form; `--insecure-skip-tls-verify` is one of them.
#[test]
fn a_ca_certificate_served_as_the_servers_own_is_explained() {
    let read = |n: &str| std::fs::read_to_string(fixture(n)).unwrap();
    let sim = Simulator::start(
        support::example_objects(),
        SimOptions {
            tls: Some(SimTls {
                cert_pem: read("self-signed-ca.crt"),
                key_pem: read("self-signed-ca.key"),
                client_ca_pem: None,
            }),
            ..SimOptions::default()
        },
    );
    let dir = temp_dir("ca-as-leaf");
    let ca = format!("certificate-authority: {}", fixture("self-signed-ca.crt"));
    let kc = kubeconfig(&dir, "kc", &sim.url(), &[&ca], &["token: any-token"]);
    // kubectl accepts it: the difference is rustls's, not the kubeconfig's.
    let k = Command::new("kubectl")
        .args(["--kubeconfig", &kc, "get", "nodes", "-o", "name"])
        .output()
        .expect("kubectl must be on PATH for this test");
    assert_eq!(
        k.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&k.stderr)
    );
    sim.reset_requests();
    let o = audit(&kc, &[], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("CA:TRUE") && err.contains("--insecure-skip-tls-verify"),
        "{err}"
    );
    assert!(
        !err.contains("CaUsedAsEndEntity") && !err.contains("OtherError"),
        "{err}"
    );
    assert!(
        sim.requests().is_empty(),
        "nothing was sent over the refused connection"
    );
    report(&audit(&kc, &["--insecure-skip-tls-verify"], &[]));
}

/// A server certificate rustls refuses is said in words, as kubectl says it (crypto/x509's
/// "certificate signed by unknown authority", "certificate is valid for ..., not ..."), never
/// in the TLS library's debug form.
#[test]
fn a_refused_server_certificate_is_said_in_words() {
    let sim = tls_sim(Some("tls-token-1"));
    let dir = temp_dir("tls-words");
    // Another CA than the one that signed the server's certificate.
    let other = format!("certificate-authority: {}", fixture("self-signed-ca.crt"));
    let kc = kubeconfig(
        &dir,
        "other-ca",
        &sim.url(),
        &[&other],
        &["token: tls-token-1"],
    );
    let o = audit(&kc, &[], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(err.contains("unknown authority"), "{err}");
    // A name the certificate is not for.
    let ca = format!("certificate-authority: {}", fixture("ca.crt"));
    let kc = kubeconfig(&dir, "name", &sim.url(), &[&ca], &["token: tls-token-1"]);
    let o = audit(&kc, &["--tls-server-name", "elsewhere.test"], &[]);
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    let err = stderr(&o);
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    assert!(
        err.contains("valid for cluster.test, localhost, 127.0.0.1, not elsewhere.test"),
        "{err}"
    );
    let other = audit(&kc, &["--tls-server-name", "x.test"], &[]);
    assert_eq!(other.status.code(), Some(3));
    let other = stderr(&other);
    assert!(other.contains("not x.test"), "{other}");
    for e in [&err, &other] {
        assert!(
            !e.contains("Context")
                && !e.contains("InvalidCertificate")
                && !e.contains("DnsName")
                && !e.contains("{"),
            "{e}"
        );
    }
    assert!(sim.requests().is_empty(), "nothing was sent");
}
