//! The benchmark's data, at a small size (BENCHMARKS.md; the benchmark itself is `scripts/bench`
//! and is not a test): the cluster `ds-coverage-simulator --generate` serves has the documented
//! shape, and the live report on it is correct.

mod support;

use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

use ds_coverage_simulator::generator::{
    ClusterSpec, ObjectClass, Shape, StaticFault, add_kubeadm_static_pods, generate_each,
    generate_serialized, generate_with_expectations,
};
use ds_coverage_simulator::{SimOptions, Simulator, client};
use serde_json::Value;
use support::generator::AS_OF;

/// The benchmark's shape (40 DaemonSets, 10 ordinary pods per node, padded daemon pods, drift
/// 0.05, seed 1) with few nodes.
fn bench_spec(nodes: usize) -> ClusterSpec {
    ClusterSpec {
        seed: 1,
        nodes,
        daemon_sets: 40,
        ordinary_pods_per_node: 10,
        drift: 0.05,
        daemon_pod_padding: true,
    }
}

fn shape_of(spec: &ClusterSpec) -> (Shape, Vec<String>) {
    let mut shape = Shape::default();
    let mut all = Vec::new();
    generate_each(spec, &mut |v| {
        let json = serde_json::to_string(&v).unwrap();
        shape.count(Shape::classify(&v), json.len());
        all.push(json);
    });
    (shape, all)
}

#[test]
fn the_generated_cluster_has_the_documented_shape() {
    let spec = bench_spec(30);
    let (shape, mut streamed) = shape_of(&spec);
    assert_eq!(shape.nodes, 30);
    assert_eq!(shape.daemon_sets, 40);
    assert_eq!(shape.ordinary_pods, 300, "10 ordinary pods per node");
    // Some DaemonSets select only GPU, arm64 or control-plane nodes; drift adds duplicates and
    // removes pods: between half a pod and a little over one pod per (DaemonSet, node) pair.
    assert!(
        (600..=1_320).contains(&shape.daemon_pods),
        "{} daemon pods for 1,200 pairs",
        shape.daemon_pods
    );
    assert!(shape.revisions >= 40, "one revision or two per DaemonSet");
    assert!(
        shape.daemon_pod_min >= 5_000 && shape.daemon_pod_max <= 8_000,
        "daemon pods of 5–8 KB of JSON: {}–{} bytes",
        shape.daemon_pod_min,
        shape.daemon_pod_max
    );
    // Streaming gives the same objects as the sorted, serialized form; only the order differs.
    let sorted = generate_serialized(&spec);
    let mut listed: Vec<String> = sorted.items().map(str::to_string).collect();
    assert_eq!(streamed.len(), listed.len());
    streamed.sort();
    listed.sort();
    assert!(
        streamed == listed,
        "generate_each and generate_serialized differ"
    );
    assert_eq!(
        sorted.pods.len(),
        shape.daemon_pods + shape.ordinary_pods,
        "every pod is a daemon pod or an ordinary one"
    );
}

#[test]
fn the_simulator_serves_the_generated_cluster_with_its_shape() {
    let spec = bench_spec(20);
    let (expected, _) = shape_of(&spec);
    let (sim, shape) = Simulator::try_start_generated(&spec, SimOptions::default()).unwrap();
    assert_eq!(shape, expected, "the shape the simulator reports");
    assert!(shape.summary().starts_with("20 nodes, 40 DaemonSets, "));
    let count = |path: &str| client::list_all(&sim.url(), path, "", 500, &[]).unwrap().0;
    assert_eq!(count("/api/v1/nodes").len(), 20);
    assert_eq!(count("/apis/apps/v1/daemonsets").len(), 40);
    assert_eq!(
        count("/apis/apps/v1/controllerrevisions").len(),
        shape.revisions
    );
    let pods = count("/api/v1/pods");
    assert_eq!(pods.len(), shape.daemon_pods + shape.ordinary_pods);
    // List items come without kind/apiVersion, as kube-apiserver sends them.
    let daemon = pods
        .iter()
        .map(|p| {
            let mut p = p.clone();
            p["kind"] = "Pod".into();
            p
        })
        .filter(|p| Shape::classify(p) == ObjectClass::DaemonPod)
        .count();
    assert_eq!(daemon, shape.daemon_pods);
    // Pages of 500, gzip above the threshold, and the serving statistics the benchmark reads.
    sim.reset_stats();
    let (items, pages) = client::list_all(
        &sim.url(),
        "/api/v1/pods",
        "",
        100,
        &[("Accept-Encoding", "gzip")],
    )
    .unwrap();
    assert_eq!(items.len(), pods.len());
    let stats = sim.stats();
    assert_eq!(stats.requests as usize, pages);
    assert!(stats.gzip_responses > 0 && stats.bytes_sent < stats.bytes_uncompressed);
    sim.set_gzip_threshold(usize::MAX);
    sim.reset_stats();
    client::list_all(
        &sim.url(),
        "/api/v1/nodes",
        "",
        500,
        &[("Accept-Encoding", "gzip")],
    )
    .unwrap();
    let stats = sim.stats();
    assert_eq!(stats.gzip_responses, 0, "gzip switched off while serving");
    assert_eq!(stats.bytes_sent, stats.bytes_uncompressed);
}

fn run(args: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn the_live_report_on_the_generated_cluster_is_correct() {
    let spec = bench_spec(30);
    let (sim, _) = Simulator::try_start_generated(&spec, SimOptions::default()).unwrap();
    let dir = std::env::temp_dir().join(format!("ds-coverage-bench-shape-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    sim.write_kubeconfig(&kubeconfig, None, None).unwrap();
    let live = run(&[
        "--kubeconfig",
        kubeconfig.to_str().unwrap(),
        "-A",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);

    // The same objects from a file give the same report.
    let (cluster, expected) = generate_with_expectations(&spec);
    let file = dir.join("cluster.json");
    std::fs::write(&file, cluster.to_json()).unwrap();
    let offline = run(&[
        "-f",
        file.to_str().unwrap(),
        "-A",
        "-o",
        "json",
        "--as-of",
        AS_OF,
    ]);
    let without_source = |mut r: Value| {
        r.as_object_mut().unwrap().remove("source");
        r
    };
    assert_eq!(without_source(live.clone()), without_source(offline));

    // And every pair is what the generator meant it to be.
    let mut pairs = BTreeMap::new();
    for ds in live["daemonSets"].as_array().unwrap() {
        let id = format!(
            "{}/{}",
            ds["namespace"].as_str().unwrap(),
            ds["name"].as_str().unwrap()
        );
        assert_eq!(ds["statusAgrees"], true, "{id}: {}", ds["warnings"]);
        for pair in ds["nodes"].as_array().unwrap() {
            let node = pair["node"].as_str().unwrap().to_string();
            let state = pair["state"].as_str().unwrap().to_string();
            pairs.insert((id.clone(), node), state);
        }
    }
    let wanted: BTreeMap<(String, String), String> = expected
        .pairs
        .iter()
        .map(|(k, p)| (k.clone(), p.state.to_string()))
        .collect();
    assert_eq!(pairs, wanted);
    assert_eq!(live["summary"]["daemonSets"], 40);
    assert_eq!(live["summary"]["nodes"], 30);
    let _ = std::fs::remove_dir_all(&dir);
}

/// 500 nodes × 40 DaemonSets: large enough for compute to spread the DaemonSets over threads;
/// every pair is still what the generator meant, in order.
#[test]
fn a_report_computed_on_several_threads_is_the_generators_intent() {
    let (snap, expected) = five_hundred_nodes(9, 0);
    let opts = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
    let report = ds_coverage::coverage::compute(&snap, &opts).unwrap();
    let ids: Vec<String> = report
        .daemon_sets
        .iter()
        .map(|d| format!("{}/{}", d.namespace, d.name))
        .collect();
    let mut sorted = ids.clone();
    sorted.sort();
    assert_eq!(ids, sorted, "DaemonSets in namespace/name order");
    let mut pairs = BTreeMap::new();
    for ds in &report.daemon_sets {
        assert_eq!(ds.status_agrees, Some(true), "{}/{}", ds.namespace, ds.name);
        for pair in &ds.nodes {
            pairs.insert(
                (format!("{}/{}", ds.namespace, ds.name), pair.node.clone()),
                pair.state.as_str().to_string(),
            );
        }
    }
    let wanted: BTreeMap<(String, String), String> = expected
        .pairs
        .iter()
        .map(|(k, p)| (k.clone(), p.state.to_string()))
        .collect();
    assert_eq!(pairs, wanted);
    let missing: usize = report.nodes.iter().map(|n| n.missing.len()).sum();
    assert_eq!(missing, report.summary.counts.missing);
}

/// `-o json|yaml` without a gate writes the report as it is produced (`coverage::Streamed`,
/// each DaemonSet audited again while written): byte for byte the report `compute` builds
/// whole, on one thread (few pairs) and on several (500 nodes × 40), with and without
/// `--include-ineligible` and `--node-selector`, and with `--static-pods` (kubeadm's mirror pods,
/// one missing).
#[test]
fn the_report_written_as_produced_is_the_whole_report() {
    for (nodes, drift) in [(12, 0.3), (500, 0.1)] {
        let spec = ClusterSpec {
            seed: 5,
            nodes,
            daemon_sets: 40,
            ordinary_pods_per_node: 1,
            drift,
            daemon_pod_padding: false,
        };
        let (mut cluster, _) = generate_with_expectations(&spec);
        add_kubeadm_static_pods(&mut cluster, &[("etcd", 0, StaticFault::Absent)]);
        let mut snap = ds_coverage::snapshot::Snapshot::new(ds_coverage::report::Source::File {
            paths: vec!["generated".into()],
        });
        ds_coverage::source::file::load_text("generated", &cluster.to_json(), &mut snap).unwrap();
        let mut narrowed = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
        narrowed.include_ineligible = true;
        narrowed.node_selector = Some(
            ds_coverage::eligibility::labels::Selector::parse("kubernetes.io/arch=amd64").unwrap(),
        );
        let mut statics = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
        statics.static_pods = Some(Default::default());
        for opts in [
            ds_coverage::coverage::Options::new(AS_OF.parse().unwrap()),
            narrowed,
            statics,
        ] {
            let whole = ds_coverage::coverage::compute(&snap, &opts).unwrap();
            assert_eq!(
                whole.static_pods.as_ref().map(|f| f.len()),
                opts.static_pods.as_ref().map(|_| 4),
                "kubeadm's four static-pod families, only when asked"
            );
            let streamed = ds_coverage::coverage::compute_streamed(&snap, &opts).unwrap();
            assert!(
                streamed
                    .skeleton()
                    .daemon_sets
                    .iter()
                    .all(|d| d.nodes.is_empty()),
                "the pairs are not held before they are written"
            );
            assert!(whole.daemon_sets.iter().any(|d| !d.nodes.is_empty()));
            for format in [
                ds_coverage::cli::Format::Json,
                ds_coverage::cli::Format::Yaml,
            ] {
                let mut a = Vec::new();
                let mut b = Vec::new();
                ds_coverage::render::serialized(&whole, format, &mut a).unwrap();
                ds_coverage::render::streamed(&streamed, format, &mut b).unwrap();
                assert!(a.len() > 10_000, "{nodes} nodes: {} bytes", a.len());
                assert!(
                    a == b,
                    "{nodes} nodes, {format:?}: the streamed report differs from the whole one"
                );
            }
        }
    }
}

/// A generated cluster of 500 nodes and 40 DaemonSets (drift 0.1: enough pairs for several
/// audit threads), loaded as `-f` loads a dump, with what the generator meant.
fn five_hundred_nodes(
    seed: u64,
    ordinary_pods_per_node: usize,
) -> (
    ds_coverage::snapshot::Snapshot,
    ds_coverage_simulator::generator::Expectations,
) {
    let spec = ClusterSpec {
        seed,
        nodes: 500,
        daemon_sets: 40,
        ordinary_pods_per_node,
        drift: 0.1,
        daemon_pod_padding: false,
    };
    let (cluster, expected) = generate_with_expectations(&spec);
    let mut snap = ds_coverage::snapshot::Snapshot::new(ds_coverage::report::Source::File {
        paths: vec!["generated".into()],
    });
    ds_coverage::source::file::load_text("generated", &cluster.to_json(), &mut snap).unwrap();
    (snap, expected)
}

/// The streamed audit stops at the first error its writer returns (a closed pipe): the audit
/// threads take no more DaemonSets than the few they run ahead, and what was handed over came
/// in the report's order.
#[test]
fn the_streamed_audit_stops_at_the_first_write_error() {
    let (snap, _) = five_hundred_nodes(5, 1);
    let opts = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
    let whole = ds_coverage::coverage::compute(&snap, &opts).unwrap();
    let streamed = ds_coverage::coverage::compute_streamed(&snap, &opts).unwrap();
    assert_eq!(streamed.daemon_set_count(), 40);
    let audited = std::sync::atomic::AtomicUsize::new(0);
    let mut handed = Vec::new();
    let result = streamed.each_daemon_set(
        |r| {
            audited.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            r.name
        },
        |name| {
            handed.push(name);
            if handed.len() == 3 {
                Err("closed")
            } else {
                Ok(())
            }
        },
    );
    assert_eq!(result, Err("closed"));
    let order: Vec<&str> = whole.daemon_sets.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(handed, order[..3]);
    let audited = audited.into_inner();
    assert!(
        (3..=3 + 2 * 4).contains(&audited),
        "{audited} DaemonSets audited after the writer failed on the third"
    );
    // Without an error, every DaemonSet in order.
    let mut all = Vec::new();
    streamed
        .each_daemon_set(
            |r| r.name,
            |name| {
                all.push(name);
                Ok::<_, ()>(())
            },
        )
        .unwrap();
    assert_eq!(all, order);
}

/// Not a test: the compute step's cost at two sizes, to show it is linear in
/// pods + nodes × DaemonSets (BENCHMARKS.md). Run with
/// `cargo test --release --test bench_shape -- --ignored --nocapture`.
#[test]
#[ignore]
fn compute_is_linear_in_pods_plus_pairs() {
    println!(
        "| nodes | pods | nodes × DaemonSets | pods + pairs | compute ms | ns per (pod + pair) |"
    );
    println!("|---:|---:|---:|---:|---:|---:|");
    // DS_COVERAGE_COMPUTE_SIZES=4000 DS_COVERAGE_COMPUTE_REPS=20 under `perf record` profiles it.
    let env = |k: &str| std::env::var(k).ok();
    let sizes: Vec<usize> = env("DS_COVERAGE_COMPUTE_SIZES")
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or(vec![1_000, 4_000]);
    let reps: usize = env("DS_COVERAGE_COMPUTE_REPS")
        .and_then(|r| r.parse().ok())
        .unwrap_or(3);
    for nodes in sizes {
        let spec = bench_spec(nodes);
        let text = generate_serialized(&spec).to_json();
        let mut snap = ds_coverage::snapshot::Snapshot::new(ds_coverage::report::Source::File {
            paths: vec!["generated".into()],
        });
        ds_coverage::source::file::load_text("generated", &text, &mut snap).unwrap();
        drop(text);
        let opts = ds_coverage::coverage::Options::new(AS_OF.parse().unwrap());
        let mut best = f64::MAX;
        for _ in 0..reps {
            let t = Instant::now();
            let report = ds_coverage::coverage::compute(&snap, &opts).unwrap();
            best = best.min(t.elapsed().as_secs_f64());
            std::hint::black_box(report);
        }
        let pods = snap.pods.len();
        let pairs = snap.nodes.len() * snap.daemon_sets.len();
        println!(
            "| {nodes} | {pods} | {pairs} | {} | {:.1} | {:.0} |",
            pods + pairs,
            best * 1e3,
            best * 1e9 / (pods + pairs) as f64
        );
    }
}

/// `scripts/bench-summary.py` (the benchmark's summary; python3 is required, `.ci/run` installs
/// it): every ratio column names what is divided by what, and holds that quotient of the medians
/// in the table above it.
#[test]
fn the_bench_summary_ratio_columns_name_and_hold_their_quotients() {
    let dir =
        std::env::temp_dir().join(format!("ds-coverage-bench-summary-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let line = |tool: &str, gzip: bool, wall: f64, rss_kib: u64| {
        serde_json::json!({
            "size": 1000, "gzip": gzip, "tool": tool, "run": 1, "exit": 0,
            "killedForMemory": false, "wall": wall, "cpu": wall, "maxRssKiB": rss_kib,
            "sim": {"bytesSent": 1e6, "bytesUncompressed": 1e7, "requests": 10, "servingSeconds": 0.1}
        })
        .to_string()
    };
    let rows = [
        line("plugin-json", true, 3.0, 100 * 1024),
        line("kubectl", true, 40.0, 4000 * 1024),
        line("floor-plugin", true, 2.0, 10 * 1024),
        line("floor-plugin-pb", true, 1.6, 10 * 1024),
        line("floor-kubectl", true, 2.5, 10 * 1024),
        line("plugin-json", false, 1.5, 100 * 1024),
        line("floor-plugin", false, 0.5, 10 * 1024),
        line("floor-plugin-pb", false, 0.4, 10 * 1024),
    ];
    let results = dir.join("results.jsonl");
    std::fs::write(&results, rows.join("\n") + "\n").unwrap();
    let o = Command::new("python3")
        .arg("scripts/bench-summary.py")
        .arg(&results)
        .arg(dir.join("machine.txt"))
        .arg("2500")
        .output()
        .expect("python3 is required on PATH (.ci/run installs it)");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8(o.stdout).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    let table: Vec<Vec<String>> = text
        .split("Ratios of medians")
        .nth(1)
        .expect("a ratio table")
        .lines()
        .filter(|l| l.starts_with('|'))
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect();
    let (head, values) = (&table[0], &table[2]);
    let quotient = |a: f64, b: f64| format!("{:.3}", a / b);
    let want = [
        ("plugin-json wall ÷ kubectl wall", quotient(3.0, 40.0)),
        (
            "plugin-json peak RSS ÷ kubectl peak RSS",
            quotient(100.0, 4000.0),
        ),
        ("plugin-json wall ÷ floor-plugin wall", quotient(3.0, 2.0)),
        ("same, gzip off", quotient(1.5, 0.5)),
        (
            "plugin-json wall ÷ floor-plugin-pb wall",
            quotient(3.0, 1.6),
        ),
        (
            "plugin-json wall ÷ floor-plugin-pb wall, gzip off",
            quotient(1.5, 0.4),
        ),
        ("plugin-json wall ÷ floor-kubectl wall", quotient(3.0, 2.5)),
    ];
    for (label, value) in want {
        let i = head
            .iter()
            .position(|h| h == label)
            .unwrap_or_else(|| panic!("no column {label:?} in {head:?}"));
        assert_eq!(values[i], value, "{label}");
    }
}
