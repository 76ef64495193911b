//! Packaging: completion scripts current, kubectl plugin completion, the krew manifest's rules,
//! the archive layout, and the real kubectl finding the plugin.

mod support;

use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_kubectl-ds_coverage");

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .output()
        .unwrap()
}

#[test]
fn committed_completion_scripts_are_current() {
    for (shell, file, engine) in [
        // Bash, zsh and fish ask the binary (`__complete`); tests/completion.rs drives them.
        ("bash", "completions/kubectl-ds_coverage.bash", "__complete"),
        ("zsh", "completions/_kubectl-ds_coverage", "__complete"),
        ("fish", "completions/kubectl-ds_coverage.fish", "__complete"),
        // PowerShell gets clap_complete's static script, which lists the flags.
        (
            "powershell",
            "completions/_kubectl-ds_coverage.ps1",
            "--from-file",
        ),
    ] {
        let o = run(&["completion", shell]);
        assert_eq!(o.status.code(), Some(0));
        if std::env::var_os("DS_COVERAGE_GOLDEN").is_some() {
            std::fs::write(file, &o.stdout).unwrap();
            continue;
        }
        let committed = std::fs::read(file).unwrap();
        assert!(
            committed == o.stdout,
            "{file} is out of date: regenerate with `DS_COVERAGE_GOLDEN=1 cargo test --test packaging` \
             (or `kubectl-ds_coverage completion {shell} > {file}`)"
        );
        assert!(
            String::from_utf8_lossy(&o.stdout).contains(engine),
            "{shell}: {engine}"
        );
    }
}

#[test]
fn kubectl_completion_shims_call_the_hidden_subcommand() {
    let shim = std::fs::read_to_string("completions/kubectl_complete-ds_coverage").unwrap();
    assert!(shim.starts_with("#!"));
    assert!(shim.contains("exec kubectl-ds_coverage __complete \"$@\""));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata("completions/kubectl_complete-ds_coverage")
        .unwrap()
        .permissions()
        .mode();
    assert!(mode & 0o111 != 0, "the shim is executable");
    // Windows: kubectl finds `kubectl_complete-ds_coverage` through PATHEXT, so a .cmd file.
    let cmd = std::fs::read_to_string("completions/kubectl_complete-ds_coverage.cmd").unwrap();
    assert!(cmd.contains("\r\n"), "CRLF line ends for cmd.exe");
    assert!(
        cmd.contains("kubectl-ds_coverage.exe __complete %*"),
        "{cmd}"
    );
}

#[test]
fn hidden_complete_answers_in_cobra_protocol() {
    let out = |args: &[&str]| {
        String::from_utf8(run(&[&["__complete"][..], args].concat()).stdout).unwrap()
    };
    let formats = out(&["-o", ""]);
    assert_eq!(formats.lines().last(), Some(":4"), "{formats}");
    assert!(formats.lines().any(|l| l == "junit"));
    let flags = out(&["--kube"]);
    assert!(flags.starts_with("--kubeconfig\t"), "{flags}");
    // Contexts and namespaces come from the kubeconfig named on the line, offline.
    let dir = std::env::temp_dir().join(format!("ds-coverage-complete-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("config");
    std::fs::write(
        &kc,
        "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: \"http://127.0.0.1:1\"}\n\
         contexts:\n- name: prod\n  context: {cluster: c, user: u, namespace: payments}\n- name: staging\n  context: {cluster: c, user: u}\n\
         users:\n- name: u\n  user: {}\ncurrent-context: prod\n",
    )
    .unwrap();
    let contexts = out(&["--kubeconfig", kc.to_str().unwrap(), "--context", ""]);
    assert_eq!(contexts, "prod\nstaging\n:4\n");
    let namespaces = out(&["--kubeconfig", kc.to_str().unwrap(), "-n", "pay"]);
    assert_eq!(
        namespaces, "payments\n:4\n",
        "the unreachable cluster adds nothing, silently"
    );
}

/// A tiny YAML reader is enough: the manifest is parsed with the crate's own YAML library.
fn manifest(path: &str) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap();
    serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{path} is not YAML: {e}"))
}

#[test]
fn krew_manifest_follows_krews_rules() {
    let m = manifest("krew-manifest.yaml");
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    assert_eq!(m["metadata"]["name"], "ds-coverage");
    let spec = &m["spec"];
    assert_eq!(spec["version"], format!("v{}", env!("CARGO_PKG_VERSION")));
    assert!(spec["homepage"].as_str().unwrap().starts_with("https://"));
    let short = spec["shortDescription"].as_str().unwrap();
    assert!(
        short.len() <= 50,
        "shortDescription too long: {}",
        short.len()
    );
    assert!(!short.ends_with('.'));
    let lower = short.to_lowercase();
    assert!(
        !lower.contains("plugin") && !lower.contains("kubernetes"),
        "{short}"
    );
    for line in spec["description"].as_str().unwrap().lines() {
        assert!(
            line.chars().count() <= 80,
            "description line over 80 columns: {line}"
        );
    }
    assert!(
        spec["caveats"]
            .as_str()
            .unwrap()
            .contains("kubectl_complete-ds_coverage")
    );

    let platforms = spec["platforms"].as_array().unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for p in platforms {
        let labels = &p["selector"]["matchLabels"];
        let (os, arch) = (
            labels["os"].as_str().unwrap(),
            labels["arch"].as_str().unwrap(),
        );
        assert!(
            seen.insert((os.to_string(), arch.to_string())),
            "overlapping selector {os}/{arch}"
        );
        let uri = p["uri"].as_str().unwrap();
        assert!(uri.ends_with(".tar.gz") || uri.ends_with(".zip"), "{uri}");
        assert!(
            uri.contains(&format!("v{}", env!("CARGO_PKG_VERSION"))),
            "{uri}"
        );
        let sha = p["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64
                && sha
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{sha}"
        );
        let bin = p["bin"].as_str().unwrap();
        assert_eq!(
            bin,
            if os == "windows" {
                "kubectl-ds_coverage.exe"
            } else {
                "kubectl-ds_coverage"
            }
        );
        let files: Vec<&str> = p["files"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["from"].as_str().unwrap())
            .collect();
        assert!(
            files.contains(&bin) && files.contains(&"LICENSE"),
            "{files:?}"
        );
    }
    let want: std::collections::BTreeSet<(String, String)> = [
        ("darwin", "amd64"),
        ("darwin", "arm64"),
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("windows", "amd64"),
    ]
    .iter()
    .map(|(o, a)| (o.to_string(), a.to_string()))
    .collect();
    assert_eq!(seen, want);
}

#[test]
fn krew_release_bot_template_uses_the_tag_and_add_uri_and_sha() {
    let text = std::fs::read_to_string(".krew.yaml").unwrap();
    assert!(text.contains("version: \"{{ .TagName }}\""));
    assert_eq!(text.matches("{{addURIAndSha \"https://").count(), 5);
    let released = std::fs::read_to_string("krew-manifest.yaml").unwrap();
    // Same plugin text in both: only version, uri and sha256 differ.
    let strip = |s: &str| {
        s.lines()
            .filter(|l| {
                !l.trim_start().starts_with('#') && !l.contains("uri:") && !l.contains("sha256:")
            })
            .filter(|l| !l.contains("addURIAndSha") && !l.contains("version:"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(&text), strip(&released));
}

#[test]
fn package_script_builds_the_archive_the_manifest_describes() {
    let out = std::env::temp_dir().join(format!("ds-coverage-dist-{}", std::process::id()));
    let o = Command::new("bash")
        .args([
            "scripts/package",
            "--binary",
            BIN,
            "--target",
            "x86_64-unknown-linux-musl",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let archive = String::from_utf8(o.stdout).unwrap().trim().to_string();
    assert!(archive.ends_with(&format!(
        "kubectl-ds_coverage-v{}-x86_64-unknown-linux-musl.tar.gz",
        env!("CARGO_PKG_VERSION")
    )));
    let listing = Command::new("tar")
        .args(["tzf", &archive])
        .output()
        .unwrap();
    let mut entries: Vec<String> = String::from_utf8(listing.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    entries.sort();
    let m = manifest("krew-manifest.yaml");
    let linux = m["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["selector"]["matchLabels"]["os"] == "linux")
        .unwrap();
    let mut wanted: Vec<String> = linux["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["from"].as_str().unwrap().to_string())
        .collect();
    wanted.sort();
    assert_eq!(entries, wanted);
    let sha = std::fs::read_to_string(format!("{archive}.sha256")).unwrap();
    assert_eq!(sha.split_whitespace().next().unwrap().len(), 64);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn real_kubectl_finds_the_plugin() {
    let version = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .expect("kubectl is required on PATH (.ci/run installs it)");
    assert!(version.status.success(), "{version:?}");
    let dir = std::path::Path::new(BIN).parent().unwrap();
    let path = format!(
        "{}:{}",
        dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let list = Command::new("kubectl")
        .args(["plugin", "list"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&list.stdout).contains("kubectl-ds_coverage"),
        "{list:?}"
    );
    let help = Command::new("kubectl")
        .args(["ds-coverage", "--help"])
        .env("PATH", &path)
        .output()
        .unwrap();
    assert_eq!(help.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&help.stdout).contains("DaemonSet"));
}

#[test]
fn hidden_complete_offers_daemonset_and_node_names_from_the_cluster() {
    let sim =
        ds_coverage_simulator::Simulator::start(support::example_objects(), Default::default());
    let dir = std::env::temp_dir().join(format!("ds-coverage-complete-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kc = dir.join("kubeconfig");
    std::fs::write(&kc, sim.kubeconfig_yaml(None, Some("logging"))).unwrap();
    let kc = kc.to_str().unwrap();
    let out = |args: &[&str]| {
        let mut all = vec!["__complete", "--kubeconfig", kc];
        all.extend_from_slice(args);
        String::from_utf8(run(&all).stdout).unwrap()
    };
    // `kubectl ds-coverage explain -n kube-system <TAB>`
    assert_eq!(
        out(&["explain", "-n", "kube-system", ""]),
        "kube-proxy\n:4\n"
    );
    // The context's namespace when -n is not typed; prefix filtering.
    assert_eq!(out(&["explain", "fl"]), "fluent-bit\n:4\n");
    // Node names after the DaemonSet.
    let nodes = out(&["explain", "-n", "logging", "fluent-bit", "worker-"]);
    assert_eq!(
        nodes,
        "worker-1\nworker-2\nworker-3\nworker-4\nworker-5\n:4\n"
    );
    // The report's DaemonSet argument, across namespaces with -A.
    let all = out(&["-A", "node-"]);
    assert_eq!(all, "node-exporter\n:4\n");
    let namespaces = out(&["-n", "mon"]);
    assert_eq!(namespaces, "monitoring\n:4\n");
}
