//! The CI gate: a truth table per policy flag on the example cluster, grace boundaries with
//! --as-of, exit codes from the binary, and the CI formats (markdown, JUnit).

use std::collections::BTreeSet;
use std::process::Command;

use ds_coverage::coverage::{Options, compute};
use ds_coverage::eligibility::labels::Selector;
use ds_coverage::gate::{Exemption, FailOn, GateReport, Policy, ViolationState, evaluate};
use ds_coverage::report::Report;

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn report_at(path: &str, as_of: &str) -> Report {
    let snap = ds_coverage::source::file::load(&[path.to_string()], &mut std::io::empty()).unwrap();
    compute(&snap, &Options::new(as_of.parse().unwrap())).unwrap()
}

fn example() -> Report {
    report_at("examples/cluster.yaml", AS_OF)
}

/// (DaemonSet, node, state) of each violation.
fn violations(g: &GateReport) -> BTreeSet<(String, String, String)> {
    g.violations
        .iter()
        .map(|v| (v.daemon_set.clone(), v.node.clone(), v.state.to_string()))
        .collect()
}

fn v(ds: &str, node: &str, state: &str) -> (String, String, String) {
    (ds.to_string(), node.to_string(), state.to_string())
}

fn default_violations() -> BTreeSet<(String, String, String)> {
    [
        // The toleration typo leaves dcgm-exporter eligible nowhere: a violation of its own.
        v("gpu-operator/dcgm-exporter", "*", "NoEligibleNode"),
        v("gpu-operator/nvidia-device-plugin", "gpu-2", "Pending"),
        v("kube-system/kube-proxy", "worker-3", "NotReady"),
        v("logging/fluent-bit", "cp-1", "NotReady"),
        v("logging/fluent-bit", "worker-2", "Missing"),
        v("logging/fluent-bit", "worker-3", "Misscheduled"),
        v("logging/fluent-bit", "worker-5", "Misscheduled"),
        v("monitoring/node-exporter", "worker-2", "Failed"),
        v("monitoring/node-exporter", "worker-3", "NotReady"),
    ]
    .into_iter()
    .collect()
}

#[test]
fn default_policy_fails_every_eligible_pair_not_ready_and_every_misscheduled_pair() {
    let g = evaluate(&example(), &Policy::default());
    assert!(!g.passed);
    assert_eq!(violations(&g), default_violations());
    assert!(
        g.violations.iter().all(|v| !v.reason.is_empty()),
        "every violation says why"
    );
}

#[test]
fn healthy_cluster_passes() {
    let g = evaluate(
        &report_at("examples/healthy-cluster.yaml", AS_OF),
        &Policy::default(),
    );
    assert!(g.passed, "{:?}", g.violations);
}

#[test]
fn fail_on_narrows_and_widens() {
    let only_missing = Policy {
        fail_on: [FailOn::Missing].into(),
        ..Policy::default()
    };
    assert_eq!(
        violations(&evaluate(&example(), &only_missing)),
        [v("logging/fluent-bit", "worker-2", "Missing")].into()
    );

    let mut with_outdated = Policy::default();
    with_outdated.fail_on.insert(FailOn::Outdated);
    let mut want = default_violations();
    want.insert(v("monitoring/node-exporter", "worker-1", "outdated"));
    assert_eq!(violations(&evaluate(&example(), &with_outdated)), want);

    let nothing = Policy {
        fail_on: BTreeSet::new(),
        ..Policy::default()
    };
    assert!(evaluate(&example(), &nothing).passed);
}

#[test]
fn min_coverage_waives_eligible_violations_per_daemonset_but_not_misscheduled() {
    // Coverage: nvidia 50 %, kube-proxy 87.5 %, fluent-bit 50 %, node-exporter 75 %.
    let floor_80 = Policy {
        min_coverage: Some(80.0),
        ..Policy::default()
    };
    let g = evaluate(&example(), &floor_80);
    let mut want = default_violations();
    want.remove(&v("kube-system/kube-proxy", "worker-3", "NotReady"));
    assert_eq!(violations(&g), want);
    assert_eq!(g.waived.len(), 1);
    assert_eq!(g.waived[0].daemon_set, "kube-system/kube-proxy");

    let floor_50 = Policy {
        min_coverage: Some(50.0),
        ..Policy::default()
    };
    let g = evaluate(&example(), &floor_50);
    assert_eq!(
        violations(&g),
        [
            v("gpu-operator/dcgm-exporter", "*", "NoEligibleNode"),
            v("logging/fluent-bit", "worker-3", "Misscheduled"),
            v("logging/fluent-bit", "worker-5", "Misscheduled")
        ]
        .into()
    );
    // Just above a DaemonSet's coverage: not waived.
    let floor_50_01 = Policy {
        min_coverage: Some(50.01),
        ..Policy::default()
    };
    assert!(violations(&evaluate(&example(), &floor_50_01)).contains(&v(
        "logging/fluent-bit",
        "worker-2",
        "Missing"
    )));
}

#[test]
fn ignore_unready_nodes_sets_their_pairs_aside() {
    let p = Policy {
        ignore_unready_nodes: true,
        ..Policy::default()
    };
    let g = evaluate(&example(), &p);
    assert!(g.violations.iter().all(|v| v.node != "worker-3"));
    assert_eq!(violations(&g).len(), default_violations().len() - 3);
    let ignored: BTreeSet<&str> = g.ignored.iter().map(|i| i.node.as_str()).collect();
    assert_eq!(ignored, ["worker-3"].into());
}

#[test]
fn grace_boundary_for_pods_is_exclusive_of_the_exact_age() {
    // The Pending device-plugin pod on gpu-2 was created 2026-11-20T08:15:42Z: 13458 s before AS_OF.
    let pending = v("gpu-operator/nvidia-device-plugin", "gpu-2", "Pending");
    let at = |secs: i64| Policy {
        grace_seconds: Some(secs),
        ..Policy::default()
    };
    assert!(
        violations(&evaluate(&example(), &at(13458))).contains(&pending),
        "exactly the grace: counted"
    );
    let g = evaluate(&example(), &at(13459));
    assert!(
        !violations(&g).contains(&pending),
        "younger than the grace: ignored"
    );
    assert!(g.ignored.iter().any(|i| {
        i.node == "gpu-2"
            && i.reason
                .to_string()
                .contains("younger than the grace period")
    }));
}

#[test]
fn grace_boundary_for_nodes_uses_as_of() {
    // worker-2 (no fluent-bit pod) joined 2026-11-02T08:04:39Z; audit it 120 s later.
    let r = report_at("examples/cluster.yaml", "2026-11-02T08:06:39Z");
    let at = |secs: i64| Policy {
        grace_seconds: Some(secs),
        ..Policy::default()
    };
    let missing = v("logging/fluent-bit", "worker-2", "Missing");
    assert!(
        violations(&evaluate(&r, &at(120))).contains(&missing),
        "120 s old, 120 s grace: counted"
    );
    let g = evaluate(&r, &at(121));
    assert!(
        !violations(&g).contains(&missing),
        "120 s old, 121 s grace: ignored"
    );
    assert!(
        g.ignored
            .iter()
            .any(|i| i.node == "worker-2" && i.reason == Exemption::YoungNode(120))
    );
}

#[test]
fn draining_nodes_are_ignored_unless_counted() {
    let text = r#"{"apiVersion":"v1","kind":"List","items":[
      {"apiVersion":"v1","kind":"Node","metadata":{"name":"n1","creationTimestamp":"2026-11-01T00:00:00Z"},
       "spec":{"taints":[{"key":"ToBeDeletedByClusterAutoscaler","value":"1763000000","effect":"NoSchedule"}]},
       "status":{"conditions":[{"type":"Ready","status":"True"}]}},
      {"apiVersion":"v1","kind":"Node","metadata":{"name":"n2","creationTimestamp":"2026-11-01T00:00:00Z"},
       "spec":{"taints":[{"key":"karpenter.sh/disrupted","effect":"NoSchedule"}]},
       "status":{"conditions":[{"type":"Ready","status":"True"}]}},
      {"apiVersion":"apps/v1","kind":"DaemonSet","metadata":{"name":"agent","namespace":"ns","uid":"u1"},
       "spec":{"selector":{"matchLabels":{"app":"agent"}},"template":{"metadata":{"labels":{"app":"agent"}},
         "spec":{"tolerations":[{"operator":"Exists"}],"containers":[{"name":"c","image":"i"}]}}}}]}"#;
    let mut snap =
        ds_coverage::snapshot::Snapshot::new(ds_coverage::report::Source::File { paths: vec![] });
    ds_coverage::source::file::load_text("inline", text, &mut snap).unwrap();
    let r = compute(&snap, &Options::new(AS_OF.parse().unwrap())).unwrap();
    let g = evaluate(&r, &Policy::default());
    // Both nodes are set aside: no pair fails, but nothing was checked, which fails the gate.
    assert_eq!(violations(&g), [v("*", "*", "NoNodes")].into());
    assert_eq!(g.ignored.len(), 2);
    assert_eq!(
        g.ignored[0].reason.to_string(),
        "node is being removed (taint ToBeDeletedByClusterAutoscaler=1763000000:NoSchedule)"
    );
    let json = serde_json::to_value(&g.ignored[1]).unwrap();
    assert_eq!(
        json["reason"],
        "node is being removed (taint karpenter.sh/disrupted:NoSchedule)"
    );
    // The verdict groups nodes by the kind of exemption, without the details.
    assert!(
        ds_coverage::gate::verdict_text(&r, &g)
            .contains("ignored: node is being removed (n1, n2)\n"),
        "{}",
        ds_coverage::gate::verdict_text(&r, &g)
    );
    let counted = evaluate(
        &r,
        &Policy {
            include_draining_nodes: true,
            ..Policy::default()
        },
    );
    assert_eq!(
        violations(&counted),
        [
            v("ns/agent", "n1", "Missing"),
            v("ns/agent", "n2", "Missing")
        ]
        .into()
    );
}

#[test]
fn expect_nodes_catches_a_daemonset_that_misses_gpu_nodes() {
    let p = Policy {
        expect_nodes: Some(Selector::parse("nvidia.com/gpu.present=true").unwrap()),
        ..Policy::default()
    };
    let g = evaluate(&example(), &p);
    let dcgm: Vec<_> = g
        .violations
        .iter()
        .filter(|v| {
            v.daemon_set == "gpu-operator/dcgm-exporter" && v.state == ViolationState::Ineligible
        })
        .collect();
    assert_eq!(dcgm.len(), 2);
    assert!(dcgm.iter().all(|v| {
        v.state == ViolationState::Ineligible
            && v.reason
                .contains("has value \"true\", the taint has \"present\"")
    }));
    // The device plugin is eligible on both GPU nodes: no Ineligible violation for it.
    assert!(
        !g.violations
            .iter()
            .any(|v| v.daemon_set == "gpu-operator/nvidia-device-plugin"
                && v.state == ViolationState::Ineligible)
    );
}

fn bin(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exit_codes_from_the_binary() {
    let healthy = bin(&["-f", "examples/healthy-cluster.yaml", "--check"]);
    assert_eq!(healthy.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&healthy.stderr).starts_with("PASS"));

    let drifted = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "--check",
        "-o",
        "json",
    ]);
    assert_eq!(drifted.status.code(), Some(1));
    let err = String::from_utf8_lossy(&drifted.stderr);
    assert!(
        err.starts_with("FAIL  5 of 6 DaemonSets below policy, 9 violations"),
        "{err}"
    );
    assert!(
        err.contains("logging/fluent-bit") && err.contains("worker-2") && err.contains("Missing"),
        "{err}"
    );
    let r: serde_json::Value = serde_json::from_slice(&drifted.stdout).unwrap();
    assert_eq!(r["gate"]["passed"], false);
    assert_eq!(r["gate"]["violations"].as_array().unwrap().len(), 9);
    for k in ["daemonSet", "node", "state", "reason"] {
        assert!(r["gate"]["violations"][0].get(k).is_some(), "violation.{k}");
    }

    // Without --check the report has no gate and exits 0.
    let plain = bin(&["-f", "examples/cluster.yaml", "-o", "json"]);
    assert_eq!(plain.status.code(), Some(0));
    assert!(
        serde_json::from_slice::<serde_json::Value>(&plain.stdout)
            .unwrap()
            .get("gate")
            .is_none()
    );

    for args in [
        &["-f", "examples/cluster.yaml", "--fail-on", "Missing"][..],
        &[
            "-f",
            "examples/cluster.yaml",
            "--check",
            "--fail-on",
            "Broken",
        ],
        &[
            "-f",
            "examples/cluster.yaml",
            "--check",
            "--min-coverage",
            "101",
        ],
        &["-f", "examples/cluster.yaml", "--check", "--grace", "soon"],
        // An empty --fail-on (or an empty item in the list) names no state: a usage error,
        // never a gate that passes on nothing.
        &["-f", "examples/cluster.yaml", "--check", "--fail-on", ""],
        &[
            "-f",
            "examples/cluster.yaml",
            "--check",
            "--fail-on",
            "Missing,",
        ],
        &[
            "-f",
            "examples/cluster.yaml",
            "--check",
            "--fail-on",
            "Missing,Bogus",
        ],
    ] {
        assert_eq!(bin(args).status.code(), Some(2), "{args:?}");
    }
    let narrowed = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "--check",
        "--fail-on",
        "outdated",
    ]);
    assert_eq!(narrowed.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&narrowed.stderr).contains("worker-1  outdated"));
}

#[test]
fn junit_parses_and_counts_match() {
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "junit",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "junit without --check reports, exits 0"
    );
    let xml = String::from_utf8(o.stdout).unwrap();
    let mut reader = quick_xml::Reader::from_str(&xml);
    let (mut suites, mut cases, mut failures) = (0, 0, 0);
    let mut top: Option<(usize, usize)> = None;
    loop {
        match reader.read_event().expect("well-formed XML") {
            quick_xml::events::Event::Start(e) | quick_xml::events::Event::Empty(e) => {
                let attr = |k: &str| {
                    e.attributes()
                        .flatten()
                        .find(|a| a.key.as_ref() == k.as_bytes())
                        .map(|a| String::from_utf8(a.value.to_vec()).unwrap())
                };
                match e.name().as_ref() {
                    b"testsuites" => {
                        top = Some((
                            attr("tests").unwrap().parse().unwrap(),
                            attr("failures").unwrap().parse().unwrap(),
                        ))
                    }
                    b"testsuite" => suites += 1,
                    b"testcase" => cases += 1,
                    b"failure" => failures += 1,
                    _ => {}
                }
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
    }
    let r = example();
    assert_eq!(suites, r.daemon_sets.len());
    // One case per eligible pair plus the two misscheduled pairs, plus dcgm-exporter's
    // "(no eligible node)".
    assert_eq!(
        cases,
        r.summary.counts.eligible + r.summary.counts.misscheduled + 1
    );
    assert_eq!(failures, 9, "the default policy's violations");
    assert_eq!(top, Some((cases, failures)));
}

#[test]
fn an_audit_of_no_nodes_fails_the_gate() {
    let mut r = example();
    r.nodes.clear();
    for d in &mut r.daemon_sets {
        d.nodes.clear();
    }
    let g = evaluate(&r, &Policy::default());
    assert!(!g.passed);
    assert_eq!(g.violations[0].state, ViolationState::NoNodes);
}

#[test]
fn objects_newer_than_as_of_are_not_young() {
    // Auditing long before the dump: every age is negative; the grace must not excuse them.
    let r = report_at("examples/cluster.yaml", "2020-01-01T00:00:00Z");
    let g = evaluate(
        &r,
        &Policy {
            grace_seconds: Some(120),
            ..Policy::default()
        },
    );
    assert!(!g.passed);
    assert!(g.ignored.is_empty(), "{:?}", g.ignored);
}

#[test]
fn coverage_is_rounded_half_up_to_the_shown_precision() {
    use ds_coverage::render::style;
    use ds_coverage::report::percent;
    // 2 of 3: 66.666… → 66.67 in JSON, 66.7 % on screen (was truncated to 66.66 / 66.6 %).
    assert_eq!(percent(2, 3), 66.67);
    assert_eq!(style::percent(percent(2, 3)), "66.7%");
    assert_eq!(percent(1, 3), 33.33);
    assert_eq!(style::percent(percent(1, 3)), "33.3%");
    // Exactly half rounds up: 1 of 8 = 12.5 → 12.5; 1 of 16 = 6.25 → 6.3 %.
    assert_eq!(percent(1, 16), 6.25);
    assert_eq!(style::percent(6.25), "6.3%");
    assert_eq!(style::percent(66.65), "66.7%");
    // 1 of 200000 short of all never reads 100.
    assert_eq!(style::percent(percent(199_999, 200_000)), "99.9%");
    assert_eq!(style::percent(percent(3, 3)), "100.0%");
    assert_eq!(style::percent(percent(0, 3)), "0.0%");
}

/// Issue 13: an audit of zero DaemonSets fails the gate with one line saying what was looked at
/// and how to widen it; --allow-empty accepts it; `fix` gives the same line.
#[test]
fn an_empty_audit_fails_the_gate_with_one_line_unless_allowed() {
    let typo = bin(&["-f", "examples/cluster.yaml", "-l", "app=typo", "--check"]);
    assert_eq!(typo.status.code(), Some(1));
    let err = String::from_utf8_lossy(&typo.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("FAIL  No DaemonSets found matching -l app=typo in examples/cluster.yaml"),
        "{err}"
    );
    assert!(err.contains("--allow-empty"), "{err}");

    let ns = bin(&["-f", "examples/cluster.yaml", "-n", "nope", "--check"]);
    assert_eq!(ns.status.code(), Some(1));
    let err = String::from_utf8_lossy(&ns.stderr);
    assert!(
        err.contains("in namespace nope") && err.contains("Use -A"),
        "{err}"
    );

    let json = bin(&[
        "-f",
        "examples/cluster.yaml",
        "-n",
        "nope",
        "--check",
        "-o",
        "json",
    ]);
    assert_eq!(json.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(r["gate"]["violations"][0]["state"], "NoDaemonSets");

    let allowed = bin(&[
        "-f",
        "examples/cluster.yaml",
        "-n",
        "nope",
        "--check",
        "--allow-empty",
    ]);
    assert_eq!(allowed.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&allowed.stderr).starts_with("PASS"));
    // A policy flag without --check is a usage error, as the others are.
    assert_eq!(
        bin(&["-f", "examples/cluster.yaml", "--allow-empty"])
            .status
            .code(),
        Some(2)
    );

    let fix = bin(&["fix", "-f", "examples/cluster.yaml", "-n", "nope"]);
    let err = String::from_utf8_lossy(&fix.stderr);
    assert!(
        err.contains("No DaemonSets found in namespace nope") && err.contains("Use -A"),
        "{err}"
    );
}

/// Under a node selector NoEligibleNode is not judged, but a gate whose DaemonSets are all
/// eligible on none of the selected nodes checked nothing: it fails (NoNodes), it never passes.
#[test]
fn a_node_selector_on_which_no_daemon_set_is_eligible_fails_the_gate() {
    let run = |namespace: &str| {
        bin(&[
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            AS_OF,
            namespace,
            "--node-selector",
            "kubernetes.io/hostname=worker-1",
            "--check",
            "-o",
            "json",
        ])
    };
    let o = run("-ngpu-operator");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "NoNodes  no DaemonSet is eligible on any node --node-selector \
             kubernetes.io/hostname=worker-1 selects: nothing could be checked"
        ),
        "{err}"
    );
    // One DaemonSet eligible there (and Ready) is enough to judge: the gate passes.
    let o = run("-nkube-system");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}

/// With `--node-selector`, an expectation matching none of the nodes read still fails (the
/// flags may contradict each other, or the pool be gone), and the reason says the nodes read
/// were only those the selector selects.
#[test]
fn expect_nodes_under_a_node_selector_names_the_selector() {
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "--node-selector",
        "kubernetes.io/hostname=worker-1",
        "--expect-nodes",
        "nvidia.com/gpu.present=true",
        "--check",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(
            "NoExpectedNode  no node matches the expectation --expect-nodes \
             nvidia.com/gpu.present=true among the nodes --node-selector \
             kubernetes.io/hostname=worker-1 selects"
        ),
        "{err}"
    );
}

/// Issue 13: `--expect-nodes` matching no node is a violation of its own (a typo in the
/// expectation must not pass silently).
#[test]
fn expect_nodes_matching_no_node_is_a_violation() {
    let sel = |s: &str| Some(Selector::parse(s).unwrap());
    let healthy = report_at("examples/healthy-cluster.yaml", AS_OF);
    let typo = evaluate(
        &healthy,
        &Policy {
            expect_nodes: sel("no-such-label=anything"),
            ..Policy::default()
        },
    );
    assert!(!typo.passed);
    assert_eq!(typo.violations.len(), 1, "{:?}", typo.violations);
    assert_eq!(typo.violations[0].state, ViolationState::NoExpectedNode);
    assert!(typo.violations[0].reason.contains("no node matches"));
    // A selector that matches every node keeps the healthy cluster passing.
    let all = evaluate(
        &healthy,
        &Policy {
            expect_nodes: sel("kubernetes.io/os=linux"),
            ..Policy::default()
        },
    );
    assert!(all.passed, "{:?}", all.violations);
}

/// Issue 13: a DaemonSet eligible on no node has no coverage figure (null, `–`), fails the
/// default gate as NoEligibleNode with the grouped exclusions, gets a failing JUnit testcase and
/// a markdown line; leaving NoEligibleNode out of --fail-on passes it on purpose.
#[test]
fn a_daemon_set_eligible_on_no_node_has_no_figure_and_fails_the_default_gate() {
    let r = example();
    let dcgm = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "dcgm-exporter")
        .unwrap();
    assert_eq!(dcgm.counts.eligible, 0);
    assert_eq!(dcgm.counts.coverage_percent, None);
    assert_eq!(ds_coverage::render::style::coverage(&dcgm.counts), "–");
    let g = evaluate(&r, &Policy::default());
    let v = g
        .violations
        .iter()
        .find(|v| v.daemon_set == "gpu-operator/dcgm-exporter")
        .unwrap();
    assert_eq!(v.state, ViolationState::FailOn(FailOn::NoEligibleNode));
    assert!(
        v.reason.contains("(6 nodes)") && v.reason.contains("(2 nodes)"),
        "{}",
        v.reason
    );
    let without = evaluate(
        &r,
        &Policy {
            fail_on: FailOn::DEFAULT
                .into_iter()
                .filter(|f| *f != FailOn::NoEligibleNode)
                .collect(),
            ..Policy::default()
        },
    );
    assert!(
        without
            .violations
            .iter()
            .all(|v| v.daemon_set != "gpu-operator/dcgm-exporter")
    );

    let json = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "-o",
        "json",
    ]);
    let j: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let d = j["daemonSets"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["name"] == "dcgm-exporter")
        .unwrap();
    assert!(d["counts"]["coveragePercent"].is_null(), "{}", d["counts"]);

    let junit = String::from_utf8(
        bin(&[
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            AS_OF,
            "-o",
            "junit",
        ])
        .stdout,
    )
    .unwrap();
    let suite = &junit[junit
        .find(r#"<testsuite name="gpu-operator/dcgm-exporter""#)
        .unwrap()..];
    let suite = &suite[..suite.find("</testsuite>").unwrap()];
    assert!(
        suite.contains(r#"failures="1""#) && suite.contains(r#"type="NoEligibleNode""#),
        "{suite}"
    );

    let md = String::from_utf8(
        bin(&[
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            AS_OF,
            "-o",
            "markdown",
        ])
        .stdout,
    )
    .unwrap();
    assert!(
        md.contains("**gpu-operator/dcgm-exporter** is eligible on no node"),
        "{md}"
    );
    assert!(
        md.contains("| gpu-operator | dcgm-exporter | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | – |"),
        "{md}"
    );
}

/// Issue 13: a what-if manifest that would land on no node fails `--check` (its Missing pairs
/// are what applying fixes, but eligible-nowhere is not).
#[test]
fn a_what_if_manifest_landing_on_no_node_fails_the_gate() {
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "--manifest",
        "examples/whatif-gpu-operator.yaml",
        "--check",
        "-o",
        "json",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let states: Vec<(String, String)> = r["gate"]["violations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["daemonSet"].as_str().unwrap().to_string(),
                v["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        states,
        [(
            "gpu-operator/gpu-feature-discovery".to_string(),
            "NoEligibleNode".to_string()
        )]
    );
}

/// A policy that sets every node aside (a cluster younger than --grace, every node unready
/// with --ignore-unready-nodes) leaves nothing checked: the gate fails, as on no nodes; when
/// some node is still checked, it does not.
#[test]
fn a_policy_that_sets_every_node_aside_fails_the_gate() {
    let no_nodes = v("*", "*", "NoNodes");
    let grace = |secs: i64| Policy {
        grace_seconds: Some(secs),
        ..Policy::default()
    };
    let g = evaluate(&example(), &grace(10 * 365 * 86_400));
    assert!(!g.passed);
    assert!(violations(&g).contains(&no_nodes), "{:?}", g.violations);
    let reason = &g
        .violations
        .iter()
        .find(|v| v.daemon_set == "*")
        .unwrap()
        .reason;
    assert!(reason.contains("younger than the grace period"), "{reason}");
    assert!(!violations(&evaluate(&example(), &grace(300))).contains(&no_nodes));

    let mut unready = example();
    for n in &mut unready.nodes {
        n.ready = false;
    }
    let ignore = Policy {
        ignore_unready_nodes: true,
        ..Policy::default()
    };
    assert!(violations(&evaluate(&unready, &ignore)).contains(&no_nodes));
    assert!(!violations(&evaluate(&example(), &ignore)).contains(&no_nodes));
}

/// What fails the gate as a whole (no node checked, nothing audited) is a failing testcase in
/// JUnit and a named line in markdown: a CI report never reads green while the run fails.
#[test]
fn gate_wide_violations_fail_junit_and_are_named_in_markdown() {
    for (args, state) in [
        (
            vec![
                "-f",
                "examples/healthy-cluster.yaml",
                "--check",
                "--grace",
                "87600h",
            ],
            "NoNodes",
        ),
        (
            vec![
                "-f",
                "examples/healthy-cluster.yaml",
                "--check",
                "-n",
                "nope",
            ],
            "NoDaemonSets",
        ),
    ] {
        let with = |format: &str| {
            let mut a = args.clone();
            a.extend(["-o", format]);
            let o = bin(&a);
            assert_eq!(o.status.code(), Some(1), "{a:?}");
            String::from_utf8(o.stdout).unwrap()
        };
        let junit = with("junit");
        assert!(
            junit.contains(&format!(r#"<testcase name="{state}" classname="(gate)""#)),
            "{junit}"
        );
        assert!(
            junit.contains(&format!(r#"type="{state}">the audit as a whole: "#)),
            "{junit}"
        );
        assert!(
            !junit.contains(r#"<testsuites name="ds-coverage" tests="0""#),
            "{junit}"
        );
        let total = junit.lines().nth(1).unwrap();
        assert!(!total.contains(r#"failures="0""#), "{total}");
        let md = with("markdown");
        assert!(md.contains(&format!("- **{state}**: ")), "{md}");
    }
}

/// `--node-selector` audits only the selected nodes: a DaemonSet eligible on none of them may
/// be eligible on a node left out (nvidia-device-plugin runs on gpu-1 and gpu-2, not on
/// worker-1), so the gate does not judge NoEligibleNode — like `statusAgrees`, which is null
/// then — and no format calls it eligible on no node. A `--fail-on` naming NoEligibleNode is
/// refused (exit 2) rather than passing without having looked.
#[test]
fn with_a_node_selector_eligible_on_none_of_the_selected_nodes_is_not_judged() {
    const SEL: &str = "kubernetes.io/hostname=worker-1";
    let snap = ds_coverage::source::file::load(
        &["examples/cluster.yaml".to_string()],
        &mut std::io::empty(),
    )
    .unwrap();
    let mut opts = Options::new(AS_OF.parse().unwrap());
    opts.node_selector = Some(Selector::parse(SEL).unwrap());
    let r = compute(&snap, &opts).unwrap();
    assert_eq!(r.node_selector.as_deref(), Some(SEL));
    let plugin = r
        .daemon_sets
        .iter()
        .find(|d| d.name == "nvidia-device-plugin")
        .unwrap();
    assert_eq!(plugin.counts.eligible, 0);
    let g = evaluate(&r, &Policy::default());
    assert!(g.passed, "{:?}", g.violations);
    assert!(violations(&g).is_empty());
    // On every node the same policy judges it: dcgm-exporter is eligible on no node at all.
    assert!(
        violations(&evaluate(&example(), &Policy::default())).contains(&v(
            "gpu-operator/dcgm-exporter",
            "*",
            "NoEligibleNode"
        ))
    );

    let run = |extra: &[&str]| {
        let mut args = vec![
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            AS_OF,
            "--node-selector",
            SEL,
        ];
        args.extend(extra);
        let o = bin(&args);
        (
            o.status.code(),
            String::from_utf8(o.stdout).unwrap(),
            String::from_utf8(o.stderr).unwrap(),
        )
    };
    let (code, table, err) = run(&["--check"]);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.starts_with("PASS"), "{err}");
    assert!(!err.contains("NoEligibleNode  "), "{err}");
    assert!(
        table.contains("  eligible on none of the selected nodes:"),
        "{table}"
    );
    assert!(!table.contains("no node is eligible"), "{table}");

    let (code, json, err) = run(&["--check", "-o", "json"]);
    assert_eq!(code, Some(0), "{err}");
    let j: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(j["nodeSelector"], SEL);
    assert_eq!(j["gate"]["passed"], true);
    assert_eq!(j["gate"]["violations"], serde_json::json!([]));

    // JUnit (the default policy without --check): skipped with the reason, not failed.
    let (_, junit, _) = run(&["-o", "junit"]);
    let suite = &junit[junit
        .find(r#"<testsuite name="gpu-operator/nvidia-device-plugin""#)
        .unwrap()..];
    let suite = &suite[..suite.find("</testsuite>").unwrap()];
    assert!(
        suite.contains(r#"failures="0""#) && suite.contains(r#"skipped="1""#),
        "{suite}"
    );
    assert!(
        suite.contains("eligible on none of the nodes selected by --node-selector"),
        "{suite}"
    );

    let (_, md, _) = run(&["-o", "markdown"]);
    assert!(!md.contains("❌ **gpu-operator/"), "{md}");
    assert!(!md.contains("no node is eligible"), "{md}");
    assert!(
        md.contains(&format!(
            "> **gpu-operator/nvidia-device-plugin** is eligible on none of the nodes selected \
             by `--node-selector {SEL}`: "
        )),
        "{md}"
    );

    // Asked for by name, NoEligibleNode cannot be judged here: refused, never a silent pass.
    let (code, out, err) = run(&["--check", "--fail-on", "Missing,NoEligibleNode"]);
    assert_eq!(code, Some(2), "{err}");
    assert!(out.is_empty(), "{out}");
    assert!(
        err.contains("--fail-on NoEligibleNode cannot be judged with --node-selector"),
        "{err}"
    );
    // Other states named with a node selector are judged as usual.
    let (code, _, err) = run(&["--check", "--fail-on", "Missing,NotReady"]);
    assert_eq!(code, Some(0), "{err}");
    // Without a node selector NoEligibleNode by name is judged: dcgm-exporter fails it.
    let o = bin(&[
        "-f",
        "examples/cluster.yaml",
        "--as-of",
        AS_OF,
        "--check",
        "--fail-on",
        "NoEligibleNode",
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("gpu-operator/dcgm-exporter"),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
}
