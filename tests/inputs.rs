//! Every shape of saved cluster state a user has (README, "Reading saved state"): the stream
//! `kubectl cluster-info dump` prints (with log blocks), large YAML, Python-client dumps,
//! kindless sonobuoy arrays, troubleshoot.sh and Rancher support-bundle folders, mixed input,
//! and directory walks that end and never block. Real captures must give the status the
//! DaemonSet controller wrote.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use ds_coverage::coverage::{Options, compute};
use ds_coverage::error::Exit;
use ds_coverage::report::Report;
use ds_coverage::source::file::load;
use jiff::Timestamp;
use serde_json::{Value, json};

/// After every capture used here.
const NOW: &str = "2027-01-01T00:00:00Z";

fn real(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn read_json(name: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(real(name)).unwrap()).unwrap()
}

/// A fresh empty directory under the system's temp dir.
fn temp_dir(tag: &str) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let d = std::env::temp_dir().join(format!(
        "ds-coverage-inputs-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn compute_at(snap: &ds_coverage::snapshot::Snapshot, now: &str) -> Report {
    compute(snap, &Options::new(now.parse::<Timestamp>().unwrap())).expect("compute")
}

fn audit_paths(paths: &[String]) -> Report {
    let snap = load(paths, &mut std::io::empty()).expect("input loads");
    compute_at(&snap, NOW)
}

/// The report without where it came from, for comparing two inputs.
fn content(r: &Report) -> Value {
    let mut v = serde_json::to_value(r).unwrap();
    let o = v.as_object_mut().unwrap();
    o.remove("source");
    o.remove("generatedAt");
    v
}

/// Every DaemonSet's computed desired/current/misscheduled/ready equal the `.status` the real
/// controller wrote, except the DaemonSets named in `stale`.
fn assert_matches_controller(r: &Report, want_daemon_sets: usize, stale: &[&str]) {
    assert_eq!(r.daemon_sets.len(), want_daemon_sets);
    for d in &r.daemon_sets {
        if stale.contains(&d.name.as_str()) {
            continue;
        }
        let cs = d.controller_status.as_ref().expect("captured status");
        let p = |s: &ds_coverage::report::ComputedStatus| {
            (
                s.desired_number_scheduled,
                s.current_number_scheduled,
                s.number_misscheduled,
                s.number_ready,
            )
        };
        assert_eq!(p(&d.computed_status), p(&cs.numbers), "{}", d.name);
        assert_eq!(d.status_agrees, Some(true), "{}: {:?}", d.name, d.warnings);
    }
}

// ---- kubectl cluster-info dump, stdout ----------------------------------------------------

/// The stream `kubectl cluster-info dump` writes to stdout, from the objects of the
/// `--output-directory` capture in tests/fixtures/cluster-info-dump: indented JSON documents
/// (NodeList, then per namespace ServiceList, DaemonSetList, PodList) and, after each
/// namespace's lists, every pod's log between START and END lines (kubectl
/// `pkg/cmd/clusterinfo/clusterinfo_dump.go`). The logs hold JSON, braces and `====` lines.
fn cluster_info_dump_stream() -> String {
    let dir = real("cluster-info-dump");
    let mut out = String::new();
    let doc = |p: &str| -> String {
        let v: Value = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        serde_json::to_string_pretty(&v).unwrap() + "\n"
    };
    out += &doc(&format!("{dir}/nodes.json"));
    let mut namespaces: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    namespaces.sort();
    for ns in namespaces {
        let name = ns.file_name().unwrap().to_str().unwrap().to_string();
        for list in ["services", "daemonsets", "pods"] {
            out += &doc(&format!("{}/{list}.json", ns.display()));
        }
        let pods: Value = read_json(&format!("cluster-info-dump/{name}/pods.json"));
        for pod in pods["items"].as_array().unwrap() {
            let pod_name = pod["metadata"]["name"].as_str().unwrap();
            for c in pod["spec"]["containers"].as_array().unwrap() {
                let c = c["name"].as_str().unwrap();
                out +=
                    &format!("==== START logs for container {c} of pod {name}/{pod_name} ====\n");
                out += "{\"level\":\"info\",\"msg\":\"started\",\"items\":[{\"kind\":\"Node\"}]}\n";
                out += "[\n{\n";
                out += "==== END logs for container other of pod x/y ====\n";
                out += "==== START logs for container nested of pod x/y ====\n";
                // The last line has no newline: the END line follows on the same line.
                out += "panic: }]} unbalanced";
                out += &format!("==== END logs for container {c} of pod {name}/{pod_name} ====\n");
            }
        }
    }
    out
}

#[test]
fn cluster_info_dump_stdout_reads_as_its_directory_does() {
    let stream = cluster_info_dump_stream();
    assert!(
        stream.contains("==== START logs") && stream.matches("\"kind\": \"PodList\"").count() >= 5
    );
    let from_dir = audit_paths(&[real("cluster-info-dump")]);
    assert!(!from_dir.daemon_sets.is_empty() && from_dir.summary.nodes > 0);

    // From stdin, as `kubectl cluster-info dump | kubectl ds-coverage -f -`.
    let snap = load(&["-".to_string()], &mut stream.as_bytes()).expect("the stream loads");
    assert_eq!(content(&compute_at(&snap, NOW)), content(&from_dir));

    // From a file.
    let d = temp_dir("cid");
    let f = d.join("dump.txt");
    write(&f, &stream);
    let r = audit_paths(&[f.display().to_string()]);
    assert_eq!(content(&r), content(&from_dir));
}

#[test]
fn a_cut_short_cluster_info_dump_is_an_input_error() {
    let stream = cluster_info_dump_stream();
    // Cut inside a log block: the END line never comes.
    let cut = stream.find("panic: }]}").unwrap();
    let e = load(&["-".to_string()], &mut &stream.as_bytes()[..cut]).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(e.to_string().contains("has no END line"), "{e}");
    // Cut inside a JSON document.
    let e = load(
        &["-".to_string()],
        &mut &stream.as_bytes()[..stream.len() / 3],
    )
    .unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(
        e.to_string().starts_with("<stdin>: invalid JSON at line "),
        "{e}"
    );
    // Text that is neither JSON nor a log block, with its position.
    let e = load(&["-".to_string()], &mut "{}\nhello\n".as_bytes()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "<stdin>: invalid JSON at line 2, column 1: expected a JSON document (or a `kubectl \
         cluster-info dump` log block)"
    );
}

// ---- large YAML --------------------------------------------------------------------------

#[test]
fn multi_megabyte_yaml_reads_like_its_json() {
    use support::generator::{AS_OF, ClusterSpec, generate};
    let cluster = generate(&ClusterSpec::sized(11, 100, 8, 0.25));
    let list = cluster.to_list();
    let yaml = serde_saphyr::to_string(&list).unwrap();
    assert!(yaml.len() > 3_000_000, "{} bytes", yaml.len());
    let items = list["items"].as_array().unwrap().len();
    assert!(items > 700, "{items} objects");

    let d = temp_dir("yaml");
    let (y, j) = (d.join("cluster.yaml"), d.join("cluster.json"));
    write(&y, &yaml);
    write(&j, &cluster.to_json());
    let snap = load(&[y.display().to_string()], &mut std::io::empty()).expect("large YAML loads");
    assert_eq!(snap.nodes.len(), 100);
    let from_yaml = compute_at(&snap, AS_OF);
    let snap = load(&[j.display().to_string()], &mut std::io::empty()).unwrap();
    assert_eq!(content(&from_yaml), content(&compute_at(&snap, AS_OF)));

    // Multi-document: one object a document, as `kubectl get -o yaml` per object would be.
    let mut docs = String::new();
    for item in list["items"].as_array().unwrap() {
        docs += "---\n";
        docs += &serde_saphyr::to_string(item).unwrap();
    }
    let m = d.join("multi.yaml");
    write(&m, &docs);
    let snap = load(&[m.display().to_string()], &mut std::io::empty()).unwrap();
    assert_eq!(content(&compute_at(&snap, AS_OF)), content(&from_yaml));
}

/// A repeated key is refused, as kubectl refuses it, in the words of the file, not with the
/// YAML library's advice to its own callers.
#[test]
fn a_repeated_yaml_key_is_named_without_the_librarys_advice() {
    let text = "apiVersion: v1\nkind: Node\nmetadata:\n  name: n1\n  labels: {}\n  name: n2\n";
    let e = load(&["-".to_string()], &mut text.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    let msg = e.to_string();
    assert!(msg.contains("duplicate mapping key: name"), "{msg}");
    assert!(!msg.contains("Policy") && !msg.contains("Options"), "{msg}");
}

#[test]
fn yaml_alias_bombs_and_deep_nesting_are_still_refused() {
    // The "billion laughs": nine levels of nine aliases each.
    let mut bomb = String::from(
        "a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    let names = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"];
    for w in names.windows(2) {
        let (prev, cur) = (w[0], w[1]);
        bomb += &format!(
            "{cur}: &{cur} [{}]\n",
            vec![format!("*{prev}"); 9].join(",")
        );
    }
    let e = load(&["-".to_string()], &mut bomb.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(e.to_string().starts_with("<stdin>: invalid YAML"), "{e}");

    let deep = format!(
        "kind: Node\nmetadata:\n  labels: {}{}\n",
        "[".repeat(5000),
        "]".repeat(5000)
    );
    let e = load(&["-".to_string()], &mut deep.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(e.to_string().starts_with("<stdin>: invalid YAML"), "{e}");

    // And deep JSON: serde_json's recursion limit.
    let deep = format!(
        "{{\"kind\":\"Node\",\"x\":{}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let e = load(&["-".to_string()], &mut deep.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
}

// ---- Python-client dumps -----------------------------------------------------------------

#[test]
fn python_client_dumps_read_as_the_api_json_does() {
    let py = audit_paths(&[
        real("real/kalc-gke5-nodes.pyclient.yaml"),
        real("real/kalc-gke5-daemonsets.pyclient.yaml"),
        real("real/kalc-gke5-pods.pyclient.yaml"),
    ]);
    let api = audit_paths(&[
        real("real/kalc-gke5-nodes.json"),
        real("real/kalc-gke5-daemonsets.json"),
        real("real/kalc-gke5-pods.json"),
    ]);
    assert_eq!(content(&py), content(&api));
    assert_eq!(py.summary.nodes, 5);
    assert_matches_controller(&py, 5, &[]);
    assert!(
        py.daemon_sets
            .iter()
            .all(|d| d.warnings.iter().all(|w| !w.contains("SelectingAll")))
    );
}

#[test]
fn a_python_client_field_without_an_api_name_is_refused() {
    let text = std::fs::read_to_string(real("real/kalc-gke5-nodes.pyclient.yaml")).unwrap();
    let bad = text.replacen("  metadata:\n", "  metadata:\n    Weird_Key: 1\n", 1);
    assert_ne!(bad, text);
    let e = load(&["-".to_string()], &mut bad.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(
        e.to_string()
            .contains("field `Weird_Key` that has no known API name"),
        "{e}"
    );
    assert_eq!(e.to_string().lines().count(), 1);
}

// ---- kindless arrays (sonobuoy) ----------------------------------------------------------

/// sonobuoy's layout (`resources/cluster/Nodes.json`, `resources/ns/<ns>/DaemonSets.json`),
/// with the selfLinks removed, so that only the file names tell the kinds.
fn sonobuoy_layout(dir: &Path, names: [&str; 3]) {
    for (part, name) in ["nodes", "daemonsets", "pods"].iter().zip(names) {
        let mut v = read_json(&format!("real/sonobuoy-aws3-{part}.json"));
        for item in v.as_array_mut().unwrap() {
            item["metadata"].as_object_mut().unwrap().remove("selfLink");
            assert!(item.get("kind").is_none());
        }
        write(&dir.join(name), &serde_json::to_string(&v).unwrap());
    }
}

#[test]
fn kindless_arrays_take_their_kind_from_the_file_name() {
    let d = temp_dir("sonobuoy");
    sonobuoy_layout(
        &d,
        [
            "resources/cluster/Nodes.json",
            "resources/ns/kube-system/DaemonSets.json",
            "resources/ns/kube-system/Pods.json",
        ],
    );
    let r = audit_paths(&[d.display().to_string()]);
    assert_eq!(r.summary.nodes, 3);
    assert_matches_controller(&r, 4, &[]);
    assert_eq!(
        content(&r),
        content(&audit_paths(&[
            real("real/sonobuoy-aws3-nodes.list.json"),
            real("real/sonobuoy-aws3-daemonsets.list.json"),
            real("real/sonobuoy-aws3-pods.list.json"),
        ]))
    );
    // The original arrays still carry their selfLinks, which say the kind too.
    let r = audit_paths(&[
        real("real/sonobuoy-aws3-nodes.json"),
        real("real/sonobuoy-aws3-daemonsets.json"),
        real("real/sonobuoy-aws3-pods.json"),
    ]);
    assert_matches_controller(&r, 4, &[]);
}

#[test]
fn kindless_objects_under_an_unhelpful_name_say_what_is_missing() {
    let d = temp_dir("kindless");
    sonobuoy_layout(&d, ["a.json", "b.json", "c.json"]);
    let e = load(
        &[d.join("a.json").display().to_string()],
        &mut std::io::empty(),
    )
    .unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    let msg = e.to_string();
    assert!(msg.contains("3 object(s) without `kind`"), "{msg}");
    assert!(
        msg.contains("name the file nodes.json, daemonsets.json, pods.json"),
        "{msg}"
    );
    // A file name that disagrees with the objects' shape is not trusted.
    let f = d.join("pods.json");
    std::fs::copy(d.join("a.json"), &f).unwrap();
    let e = load(&[f.display().to_string()], &mut std::io::empty()).unwrap_err();
    assert!(e.to_string().contains("without `kind`"), "{e}");
}

/// A file of mappings that are not Kubernetes objects at all (no `kind`, no `metadata`: a
/// compose file, a values file) is named as such, without the advice for kindless objects.
#[test]
fn a_file_that_holds_no_kubernetes_objects_says_so() {
    let compose = "services:\n  web:\n    image: nginx\n    ports:\n    - \"80:80\"\n";
    let e = load(&["-".to_string()], &mut compose.as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    let msg = e.to_string();
    assert!(msg.contains("expected Kubernetes objects"), "{msg}");
    assert!(msg.contains("neither `kind` nor `metadata`"), "{msg}");
    assert!(!msg.contains("nodes.json"), "{msg}");
}

/// A member of the wrong type is named in the API's words, not the reader's.
#[test]
fn a_member_of_the_wrong_type_is_named_in_the_apis_words() {
    for text in [
        r#"{"apiVersion":"v1","kind":"Node","metadata":5}"#,
        "apiVersion: v1\nkind: Node\nmetadata: 5\n",
    ] {
        let e = load(&["-".to_string()], &mut text.as_bytes()).unwrap_err();
        assert_eq!(e.exit(), Exit::Input);
        let msg = e.to_string();
        assert!(msg.contains("expected an object (ObjectMeta)"), "{msg}");
        assert!(!msg.contains("struct"), "{msg}");
    }
}

// ---- support bundles ---------------------------------------------------------------------

/// Objects of one sonobuoy-aws3 list, without kinds, in a kindless list as typed clients
/// marshal it.
fn kindless_list(part: &str, namespace: Option<&str>) -> String {
    let v = read_json(&format!("real/sonobuoy-aws3-{part}.json"));
    let items: Vec<Value> = v
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| namespace.is_none_or(|ns| i["metadata"]["namespace"] == ns))
        .map(|i| {
            let mut i = i.clone();
            i["metadata"].as_object_mut().unwrap().remove("selfLink");
            i
        })
        .collect();
    serde_json::to_string_pretty(&json!({"metadata": {"resourceVersion": "1"}, "items": items}))
        .unwrap()
}

#[test]
fn a_troubleshoot_support_bundle_folder_reads_as_laid_out() {
    let d = temp_dir("troubleshoot");
    let cr = d.join("support-bundle-2024-01-01T00_00_00/cluster-resources");
    write(&cr.join("nodes.json"), &kindless_list("nodes", None));
    for ns in ["kube-system", "heptio-sonobuoy"] {
        write(
            &cr.join(format!("daemonsets/{ns}.json")),
            &kindless_list("daemonsets", Some(ns)),
        );
        write(
            &cr.join(format!("pods/{ns}.json")),
            &kindless_list("pods", Some(ns)),
        );
        // Files the audit does not read, some of them kindless lists too.
        write(
            &cr.join(format!("deployments/{ns}.json")),
            r#"{"metadata":{},"items":[{"metadata":{"name":"d"},"spec":{"replicas":1}}]}"#,
        );
        write(&cr.join(format!("pods/logs/{ns}/x.log")), "{ not json\n");
    }
    write(
        &cr.join("pods-errors.json"),
        r#"["could not list pods in ns x"]"#,
    );
    write(
        &d.join("support-bundle-2024-01-01T00_00_00/version.yaml"),
        "apiVersion: troubleshoot.sh/v1beta2\nkind: SupportBundleVersion\nspec:\n  versionNumber: 0.1\n",
    );
    let snap = load(&[d.display().to_string()], &mut std::io::empty()).expect("bundle loads");
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.contains("without `kind`") && w.contains("deployments")),
        "{:?}",
        snap.warnings
    );
    let r = compute_at(&snap, NOW);
    assert_eq!(r.summary.nodes, 3);
    assert_matches_controller(&r, 4, &[]);
}

#[test]
fn a_rancher_support_bundle_folder_reads_as_laid_out() {
    // support-bundle-kit writes `yamls/cluster/kubernetes/<resource>.yaml` and
    // `yamls/namespaced/<ns>/<group>/<resource>.yaml`, each a List of full objects.
    let d = temp_dir("rancher");
    let y = d.join("supportbundle_x/yamls");
    let yaml_items = |file: &str| -> Vec<Value> {
        let text = std::fs::read_to_string(real(&format!("real/{file}"))).unwrap();
        let docs: Vec<Value> = serde_saphyr::from_multiple(&text).unwrap();
        docs.into_iter()
            .flat_map(|d| match d.get("items") {
                Some(Value::Array(a)) => a.clone(),
                _ => vec![d],
            })
            .collect()
    };
    let as_list = |items: Vec<Value>| {
        serde_saphyr::to_string(&json!({"apiVersion": "v1", "kind": "List", "items": items}))
            .unwrap()
    };
    write(
        &y.join("cluster/kubernetes/nodes.yaml"),
        &as_list(yaml_items("mustgather-ocp48-aws6-nodes.yaml")),
    );
    let ds = yaml_items("mustgather-ocp48-aws6-daemonsets.yaml");
    let pods = yaml_items("mustgather-ocp48-aws6-pods.yaml");
    let mut namespaces: Vec<String> = ds
        .iter()
        .map(|d| d["metadata"]["namespace"].as_str().unwrap().to_string())
        .collect();
    namespaces.sort();
    namespaces.dedup();
    for ns in &namespaces {
        let of = |v: &[Value]| {
            v.iter()
                .filter(|i| i["metadata"]["namespace"] == ns.as_str())
                .cloned()
                .collect::<Vec<_>>()
        };
        write(
            &y.join(format!("namespaced/{ns}/apps/daemonsets.yaml")),
            &as_list(of(&ds)),
        );
        write(
            &y.join(format!("namespaced/{ns}/kubernetes/pods.yaml")),
            &as_list(of(&pods)),
        );
    }
    let r = audit_paths(&[d.display().to_string()]);
    assert_eq!(r.summary.nodes, 6);
    assert_matches_controller(&r, 18, &[]);
}

// ---- mixed and incomplete input ----------------------------------------------------------

fn node(name: &str, uid: &str, rv: &str, zone: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Node",
           "metadata": {"name": name, "uid": uid, "resourceVersion": rv,
                        "labels": {"topology.kubernetes.io/zone": zone}},
           "status": {"conditions": [{"type": "Ready", "status": "True"}]}})
}

#[test]
fn one_name_under_two_uids_is_a_warning_naming_it() {
    let d = temp_dir("mixed");
    let a = d.join("cluster-a.json");
    let b = d.join("cluster-b.json");
    write(
        &a,
        &node(
            "worker-1",
            "11111111-1111-4111-8111-111111111111",
            "10",
            "a",
        )
        .to_string(),
    );
    write(
        &b,
        &node(
            "worker-1",
            "22222222-2222-4222-8222-222222222222",
            "10",
            "b",
        )
        .to_string(),
    );
    let snap = load(&[d.display().to_string()], &mut std::io::empty()).unwrap();
    assert_eq!(snap.nodes.len(), 1);
    assert!(
        snap.warnings.iter().any(
            |w| w.contains("Node worker-1 is in the input under two UIDs")
                && w.contains("cluster-a.json")
                && w.contains("cluster-b.json")
        ),
        "{:?}",
        snap.warnings
    );
}

#[test]
fn one_uid_with_two_contents_is_a_warning_and_the_newer_is_kept() {
    let uid = "33333333-3333-4333-8333-333333333333";
    // The impostor comes first; the real node has the higher resourceVersion.
    let text = format!(
        "{}\n{}\n{}\n",
        node("worker-1", uid, "5", "impostor"),
        node("worker-1", uid, "900", "real"),
        node("worker-1", uid, "900", "real")
    );
    let snap = load(&["-".to_string()], &mut text.as_bytes()).unwrap();
    assert_eq!(snap.nodes.len(), 1);
    assert_eq!(
        snap.nodes[0].metadata.labels["topology.kubernetes.io/zone"],
        "real"
    );
    let w: Vec<_> = snap
        .warnings
        .iter()
        .filter(|w| w.contains("twice with different content"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", snap.warnings);
    assert!(w[0].contains(uid));
}

#[test]
fn no_pods_in_the_input_is_reported_in_the_report() {
    let snap = load(
        &[
            real("real/kalc-gke5-nodes.json"),
            real("real/kalc-gke5-daemonsets.json"),
        ],
        &mut std::io::empty(),
    )
    .unwrap();
    let r = compute_at(&snap, NOW);
    assert!(
        r.warnings
            .iter()
            .any(|w| w.starts_with("no pods in the input")),
        "{:?}",
        r.warnings
    );
    // With the pods, no such warning.
    let r = audit_paths(&[
        real("real/kalc-gke5-nodes.json"),
        real("real/kalc-gke5-daemonsets.json"),
        real("real/kalc-gke5-pods.json"),
    ]);
    assert!(
        r.warnings.iter().all(|w| !w.contains("no pods")),
        "{:?}",
        r.warnings
    );
    // Identical copies of one object (sonobuoy-kind1's per-namespace files) warn about nothing.
    let r = audit_paths(&[
        real("real/sonobuoy-kind1-nodes.list.json"),
        real("real/sonobuoy-kind1-pods.list.json"),
        real("real/sonobuoy-kind1-pods.list.json"),
        real("real/sonobuoy-kind1-daemonsets.list.json"),
    ]);
    assert!(
        r.warnings.iter().all(|w| !w.contains("twice")),
        "{:?}",
        r.warnings
    );
}

// ---- directory walks ---------------------------------------------------------------------

fn mkfifo(path: &Path) {
    let st = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo (coreutils) must be installed for this test");
    assert!(st.success());
}

#[test]
fn symlink_loops_end_and_fifos_in_a_walk_are_skipped() {
    let d = temp_dir("walk");
    let sub = d.join("a/b");
    std::fs::create_dir_all(&sub).unwrap();
    std::fs::copy(real("real/kalc-gke5-nodes.json"), sub.join("nodes.json")).unwrap();
    std::os::unix::fs::symlink(&d, sub.join("up")).unwrap();
    std::os::unix::fs::symlink(d.join("a"), d.join("a/b/again")).unwrap();
    mkfifo(&d.join("a/stuck.json"));
    let snap = load(&[d.display().to_string()], &mut std::io::empty()).expect("the walk ends");
    assert_eq!(snap.nodes.len(), 5);
    assert!(
        snap.warnings
            .iter()
            .any(|w| w.contains("stuck.json (not a regular file)")),
        "{:?}",
        snap.warnings
    );
}

#[test]
fn a_fifo_given_directly_is_read() {
    let d = temp_dir("fifo");
    let f = d.join("pipe");
    mkfifo(&f);
    let text = std::fs::read_to_string(real("real/kalc-gke5-nodes.json")).unwrap();
    let writer = {
        let f = f.clone();
        std::thread::spawn(move || {
            let mut w = std::fs::OpenOptions::new().write(true).open(&f).unwrap();
            w.write_all(text.as_bytes()).unwrap();
        })
    };
    let snap = load(&[f.display().to_string()], &mut std::io::empty()).unwrap();
    writer.join().unwrap();
    assert_eq!(snap.nodes.len(), 5);
}

/// What the real `kubectl get nodes,daemonsets,pods,controllerrevisions -A` with `args` writes
/// from the cluster of the kubeconfig `kc`.
fn kubectl_get(kc: &Path, args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("kubectl")
        .args(["get", "nodes,daemonsets,pods,controllerrevisions", "-A"])
        .args(args)
        .env("KUBECONFIG", kc)
        .output()
        .expect("kubectl must be on PATH for this test");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

// ---- a YAML dump written by the real kubectl (100 nodes, over 4 MB; main refused it) ------

#[test]
fn a_multi_megabyte_kubectl_get_yaml_dump_reads_like_the_cluster() {
    use ds_coverage_simulator::{SimOptions, Simulator};
    use support::generator::{AS_OF, ClusterSpec, generate};
    let cluster = generate(&ClusterSpec::sized(21, 100, 8, 0.25));
    let sim = Simulator::start(vec![cluster.to_list()], SimOptions::default());
    let d = temp_dir("kubectl-yaml");
    let kc = d.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    let out = kubectl_get(&kc, &["-o", "yaml"]);
    assert!(out.len() > 4_000_000, "{} bytes", out.len());
    let y = d.join("cluster.yaml");
    std::fs::write(&y, &out).unwrap();
    let j = d.join("cluster.json");
    write(&j, &cluster.to_json());
    let from_yaml = load(&[y.display().to_string()], &mut std::io::empty()).expect("loads");
    assert_eq!(from_yaml.nodes.len(), 100);
    let from_json = load(&[j.display().to_string()], &mut std::io::empty()).unwrap();
    let want = content(&compute_at(&from_json, AS_OF));
    assert_eq!(content(&compute_at(&from_yaml, AS_OF)), want);

    // A comment line at column 0 ends no YAML block: inside a list item (a line commented out
    // by hand), between items, before the list's own keys, the dump reads as without them.
    let yaml = String::from_utf8(out).unwrap();
    // Inside each item after its `kind` (a wrapped plain scalar never continues at the
    // column of an item's own keys), between items (not before the first: the fast reader
    // leaves such a list to serde-saphyr whole), before the list's own keys.
    let mut commented = String::new();
    for line in yaml.lines() {
        let item_key = ["  metadata:", "  spec:", "  status:"];
        if (line.starts_with("- ") && commented.contains("\n- "))
            || line.starts_with("kind:")
            || item_key.iter().any(|k| line.starts_with(k))
        {
            commented += "#  commented: out\n";
        }
        commented += line;
        commented += "\n";
    }
    assert!(commented.matches("\n#").count() > 1_000);
    let c = d.join("commented.yaml");
    write(&c, &commented);
    let snap = load(&[c.display().to_string()], &mut std::io::empty()).expect("commented YAML");
    assert_eq!(snap.pods.len(), from_json.pods.len());
    assert_eq!(content(&compute_at(&snap, AS_OF)), want);

    // Cut short at a line's end the dump is still YAML, a cluster that lost its last pods: it
    // is refused, by the fast reader and by serde-saphyr (a comment before the first item
    // leaves the list to it), unless the list says it is whole.
    let lines: Vec<&str> = yaml.lines().collect();
    let cut = lines[..lines.len() * 3 / 5].join("\n") + "\n";
    let commented_first = cut.replacen("\n- ", "\n# the first item\n- ", 1);
    for (name, text) in [("cut.yaml", &cut), ("cut-slow.yaml", &commented_first)] {
        let f = d.join(name);
        write(&f, text);
        let e = load(&[f.display().to_string()], &mut std::io::empty()).unwrap_err();
        assert_eq!(e.exit(), Exit::Input);
        let msg = e.to_string();
        assert!(msg.contains("the file looks cut short"), "{msg}");
        assert!(
            !msg.contains("invalid YAML") && !msg.contains('\n'),
            "{msg}"
        );
        write(&f, &format!("{text}kind: List\n"));
        let snap = load(&[f.display().to_string()], &mut std::io::empty()).expect("kind: List");
        assert!(snap.pods.len() < from_json.pods.len());
    }
}

#[test]
fn yaml_nested_as_deep_as_a_crd_schema_is_read_and_deeper_is_refused() {
    let nest = |depth: usize| {
        let mut s =
            String::from("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: deep\ndata:\n");
        for i in 0..depth {
            s += &format!("{}k{i}:\n", "  ".repeat(i + 1));
        }
        s += &format!("{}leaf: 1\n---\n", "  ".repeat(depth + 1));
        s += &std::fs::read_to_string(real("real/kalc-gke5-nodes.json")).unwrap();
        s
    };
    // A ConfigMap 100 levels deep beside the nodes (as JSON, which is YAML too).
    let snap = load(&["-".to_string()], &mut nest(100).as_bytes()).expect("depth 100 reads");
    assert_eq!(snap.nodes.len(), 5);
    let e = load(&["-".to_string()], &mut nest(200).as_bytes()).unwrap_err();
    assert_eq!(e.exit(), Exit::Input);
    assert!(e.to_string().starts_with("<stdin>: invalid YAML"), "{e}");
}

/// Nodes whose `spec.providerID`s place them in two clusters (a GKE capture and an AWS one merged
/// in one folder) are a warning naming both; each capture alone, and the examples, are not.
#[test]
fn nodes_of_several_clusters_in_one_input_are_a_warning() {
    let dir = temp_dir("two-clusters");
    for name in [
        "kalc-gke5-nodes.json",
        "kalc-gke5-daemonsets.json",
        "sonobuoy-aws3-nodes.json",
    ] {
        std::fs::copy(real(&format!("real/{name}")), dir.join(name)).unwrap();
    }
    let merged = audit_paths(&[dir.to_str().unwrap().to_string()]);
    let w: Vec<&String> = merged
        .warnings
        .iter()
        .filter(|w| w.starts_with("nodes of several clusters"))
        .collect();
    assert_eq!(w.len(), 1, "{:?}", merged.warnings);
    assert!(
        w[0].contains("5 on GCE project closercriticalhop") && w[0].contains("3 on aws"),
        "{}",
        w[0]
    );
    for alone in [
        vec![
            real("real/kalc-gke5-nodes.json"),
            real("real/kalc-gke5-daemonsets.json"),
        ],
        vec![
            real("real/sonobuoy-aws3-nodes.json"),
            real("real/sonobuoy-aws3-daemonsets.json"),
        ],
        vec![format!(
            "{}/examples/cluster.yaml",
            env!("CARGO_MANIFEST_DIR")
        )],
    ] {
        let r = audit_paths(&alone);
        assert!(
            !r.warnings.iter().any(|w| w.contains("several clusters")),
            "{alone:?}: {:?}",
            r.warnings
        );
    }
}

/// `metadata.managedFields` is the API server's bookkeeping, not content: `kubectl get` leaves
/// it out unless `--show-managed-fields`, so two captures of one cluster differ by it alone.
/// Every way of reading an object hashes it alike without it — JSON and YAML files (the fast
/// readers, their copies compared again from the file), stdin (hashed as decoded) — so the
/// copies are one object each, not a conflict; a real change is still one.
#[test]
fn copies_that_differ_only_by_managed_fields_are_the_same_objects() {
    use ds_coverage_simulator::{SimOptions, Simulator};
    use support::generator::{ClusterSpec, generate};
    let cluster = generate(&ClusterSpec::sized(31, 12, 3, 0.25));
    let mut list = cluster.to_list();
    for item in list["items"].as_array_mut().unwrap() {
        let manager = item["kind"].as_str().unwrap().to_lowercase();
        item["metadata"]["managedFields"] = json!([{
            "apiVersion": item["apiVersion"].clone(),
            "fieldsType": "FieldsV1",
            "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}, "f:spec": {}},
            "manager": format!("{manager}-controller"),
            "operation": "Update",
            "time": "2026-11-16T04:02:17Z"
        }]);
    }
    let sim = Simulator::start(vec![list], SimOptions::default());
    let d = temp_dir("managed-fields");
    let kc = d.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, None)).unwrap();
    let kubectl = |format: &str, managed: bool| {
        let mut args = vec!["-o", format];
        if managed {
            args.push("--show-managed-fields");
        }
        let text = String::from_utf8(kubectl_get(&kc, &args)).unwrap();
        assert_eq!(text.contains("managedFields"), managed, "{format}");
        text
    };
    let mut texts = Vec::new();
    for format in ["json", "yaml"] {
        for managed in [true, false] {
            let text = kubectl(format, managed);
            let p = d.join(format!("{format}-{managed}.{format}"));
            write(&p, &text);
            texts.push((format!("{format} {managed}"), p.display().to_string(), text));
        }
    }
    // A comment before the first item leaves the whole list to serde-saphyr (objects hashed
    // from a `Value`), not the fast reader.
    for managed in [true, false] {
        let text = kubectl("yaml", managed).replacen("\n- ", "\n# the first item\n- ", 1);
        let p = d.join(format!("slow-{managed}.yaml"));
        write(&p, &text);
        texts.push((
            format!("slow yaml {managed}"),
            p.display().to_string(),
            text,
        ));
    }
    let alone = load(&[texts[0].1.clone()], &mut std::io::empty()).unwrap();
    let want = content(&compute_at(&alone, NOW));
    let objects = |s: &ds_coverage::snapshot::Snapshot| {
        (
            s.nodes.len(),
            s.daemon_sets.len(),
            s.pods.len(),
            s.revisions.len(),
        )
    };
    assert!(alone.warnings.is_empty(), "{:?}", alone.warnings);
    for (a, pa, _) in &texts {
        for (b, pb, tb) in &texts {
            if a == b {
                continue;
            }
            // Both from files, and the second through stdin.
            for snap in [
                load(&[pa.clone(), pb.clone()], &mut std::io::empty()).unwrap(),
                load(&[pa.clone(), "-".to_string()], &mut tb.as_bytes()).unwrap(),
            ] {
                assert!(snap.warnings.is_empty(), "{a} + {b}: {:?}", snap.warnings);
                assert_eq!(objects(&snap), objects(&alone), "{a} + {b}");
                assert_eq!(content(&compute_at(&snap, NOW)), want, "{a} + {b}");
            }
        }
    }

    // A real change beside the managed fields (one pod relabelled) is still a conflict, by
    // every way of reading.
    let mut changed: Value = serde_json::from_str(&texts[0].2).unwrap();
    let pod = changed["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["kind"] == "Pod")
        .unwrap();
    pod["metadata"]["labels"]["edited"] = json!("by-hand");
    let name = pod["metadata"]["name"].as_str().unwrap().to_string();
    let changed_json = serde_json::to_string_pretty(&changed).unwrap();
    let changed_yaml = serde_saphyr::to_string(&changed).unwrap();
    for (what, text) in [("json", &changed_json), ("yaml", &changed_yaml)] {
        let p = d.join(format!("changed.{what}"));
        write(&p, text);
        for (b, pb, tb) in &texts {
            for snap in [
                load(
                    &[p.display().to_string(), pb.clone()],
                    &mut std::io::empty(),
                )
                .unwrap(),
                load(&[pb.clone(), "-".to_string()], &mut text.as_bytes()).unwrap(),
                load(
                    &[p.display().to_string(), "-".to_string()],
                    &mut tb.as_bytes(),
                )
                .unwrap(),
            ] {
                let warned: Vec<_> = snap
                    .warnings
                    .iter()
                    .filter(|w| w.contains("twice with different content"))
                    .collect();
                assert_eq!(warned.len(), 1, "changed {what} + {b}: {:?}", snap.warnings);
                assert!(warned[0].contains(&name), "{warned:?}");
            }
        }
    }
}
