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

/// PowerShell's static script completes what the dynamic engine (bash, zsh, fish) completes for
/// a subcommand's positional values: `schema report|explain|plan`, `completion SHELL`.
#[test]
fn powershell_completes_the_positional_values_the_engine_offers() {
    let script = std::fs::read_to_string("completions/_kubectl-ds_coverage.ps1").unwrap();
    for sub in ["schema", "completion"] {
        let o = run(&["__complete", sub, ""]);
        let engine: Vec<String> = String::from_utf8_lossy(&o.stdout)
            .lines()
            .filter(|l| !l.starts_with(':'))
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect();
        assert!(engine.len() >= 3, "{sub}: {engine:?}");
        let head = format!("'kubectl-ds_coverage;{sub}' {{");
        let block = script
            .split(&head)
            .nth(1)
            .and_then(|rest| rest.split("break").next())
            .unwrap_or_else(|| panic!("no {head} block in the PowerShell script"));
        for value in &engine {
            assert!(
                block.contains(&format!(
                    "[CompletionResult]::new('{value}', '{value}', [CompletionResultType]::ParameterValue"
                )),
                "PowerShell does not offer {value:?} after {sub}:\n{block}"
            );
        }
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

/// A release runner's tools: a directory of links to only those programs, to use as PATH.
struct Toolset {
    dir: std::path::PathBuf,
}

/// What every runner's bash has (coreutils, sed, grep).
const COMMON: &[&str] = &[
    "bash", "sh", "env", "sed", "grep", "head", "mktemp", "cp", "rm", "mkdir", "basename",
    "dirname", "cat", "chmod", "tr", "uname",
];

fn host_program(name: &str) -> std::path::PathBuf {
    std::env::split_paths(&std::env::var_os("PATH").unwrap_or_default())
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| panic!("{name} is required on PATH (.ci/run installs it)"))
}

impl Toolset {
    /// `tools`: (name on the runner, program here).
    fn new(runner: &str, tools: &[(&str, &str)]) -> Toolset {
        let dir =
            std::env::temp_dir().join(format!("ds-coverage-tools-{runner}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let all = COMMON.iter().map(|c| (*c, *c)).chain(tools.iter().copied());
        for (name, program) in all {
            std::os::unix::fs::symlink(host_program(program), dir.join(name)).unwrap();
        }
        Toolset { dir }
    }

    fn has(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }

    /// `scripts/package` for `target` with this PATH only; the archive's path.
    fn package(&self, target: &str, binary: &std::path::Path, out: &std::path::Path) -> String {
        let o = Command::new(self.dir.join("bash"))
            .args(["scripts/package", "--target", target, "--binary"])
            .arg(binary)
            .arg("--out")
            .arg(out)
            .env_clear()
            .env("PATH", &self.dir)
            .output()
            .unwrap();
        assert!(
            o.status.success(),
            "scripts/package --target {target} with {:?}: {}",
            self.dir,
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap().trim().to_string()
    }
}

impl Drop for Toolset {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The runners of .github/workflows/release.yml, their targets, and the tools each one has that
/// the script may use: GNU tar and sha256sum on Linux; bsdtar as `tar` and `shasum` (no
/// sha256sum) on macOS; Git Bash's GNU tar and sha256sum plus 7-Zip, and no `zip`, on Windows.
fn runners() -> Vec<(Toolset, Vec<&'static str>)> {
    vec![
        (
            Toolset::new(
                "ubuntu",
                &[("tar", "tar"), ("gzip", "gzip"), ("sha256sum", "sha256sum")],
            ),
            vec!["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"],
        ),
        (
            Toolset::new(
                "macos",
                &[("tar", "bsdtar"), ("gzip", "gzip"), ("shasum", "shasum")],
            ),
            vec!["x86_64-apple-darwin", "aarch64-apple-darwin"],
        ),
        (
            Toolset::new(
                "windows",
                &[
                    ("tar", "tar"),
                    ("gzip", "gzip"),
                    ("sha256sum", "sha256sum"),
                    ("7z", "7z"),
                ],
            ),
            vec!["x86_64-pc-windows-msvc"],
        ),
    ]
}

fn sha256_of(path: &str) -> String {
    let o = Command::new(host_program("sha256sum"))
        .arg(path)
        .output()
        .unwrap();
    String::from_utf8(o.stdout)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_string()
}

/// The archive's entries: extracted with the host's tools into `into`.
fn extract(archive: &str, into: &std::path::Path) -> Vec<String> {
    std::fs::create_dir_all(into).unwrap();
    let status = if archive.ends_with(".zip") {
        Command::new(host_program("unzip"))
            .args(["-q", archive, "-d"])
            .arg(into)
            .status()
    } else {
        Command::new(host_program("tar"))
            .args(["-xzf", archive, "-C"])
            .arg(into)
            .status()
    };
    assert!(status.unwrap().success(), "extract {archive}");
    let mut names: Vec<String> = std::fs::read_dir(into)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// krew-release-bot's rendering of `.krew.yaml`: `{{ .TagName }}` is the tag, and
/// `{{addURIAndSha "URL" .TagName}}` becomes `uri: URL` and, on the next line indented by four,
/// `sha256:` of the asset (here: the archive the script made, found by the URL's file name).
fn render_krew_template(template: &str, tag: &str, dist: &std::path::Path) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let call = &rest[start..];
        if let Some(args) = call.strip_prefix("{{addURIAndSha \"") {
            let close = args
                .find("\" .TagName }}")
                .expect("addURIAndSha URL .TagName");
            let url = args[..close].replace("{{ .TagName }}", tag);
            let file = dist.join(url.rsplit('/').next().unwrap());
            assert!(file.is_file(), "{url}: no such release asset {file:?}");
            let sha = sha256_of(file.to_str().unwrap());
            out.push_str(&format!("uri: {url}\n    sha256: {sha}"));
            rest = &args[close + "\" .TagName }}".len()..];
        } else if let Some(after) = call.strip_prefix("{{ .TagName }}") {
            out.push_str(tag);
            rest = after;
        } else {
            panic!("template action krew-release-bot does not know: {call:.40}");
        }
    }
    out.push_str(rest);
    out
}

/// krew's platforms (os, arch), for the selector checks.
const KREW_PLATFORMS: &[(&str, &str)] = &[
    ("linux", "amd64"),
    ("linux", "arm64"),
    ("linux", "arm"),
    ("linux", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("windows", "386"),
];

fn selector_matches(selector: &serde_json::Value, os: &str, arch: &str) -> bool {
    let labels = selector["matchLabels"].as_object();
    labels.is_some_and(|l| {
        l.iter().all(|(k, v)| match k.as_str() {
            "os" => v == os,
            "arch" => v == arch,
            _ => false,
        })
    })
}

/// krew's checks of a plugin manifest (kubernetes-sigs/krew: pkg/index/validation/validate.go
/// `ValidatePlugin`, `validatePlatform`, `validateSelector`; cmd/validate-krew-manifest
/// `validateManifestFile`, `isOverlappingPlatformSelectors`, `installPlatformSpec`), with the
/// install done by hand: extract the archive, apply `files`, find `bin`.
fn validate_krew_manifest(file_name: &str, m: &serde_json::Value, dist: &std::path::Path) {
    assert_eq!(
        m["apiVersion"],
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(m["kind"], "Plugin");
    let name = m["metadata"]["name"].as_str().unwrap();
    assert!(
        !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'),
        "unsafe plugin name {name}"
    );
    assert_eq!(
        file_name.strip_suffix(".yaml"),
        Some(name),
        "name = file name"
    );
    let spec = &m["spec"];
    let short = spec["shortDescription"].as_str().unwrap();
    assert!(!short.is_empty() && short.len() <= 70, "{short}");
    // krew-index's guidelines: no trailing period, no "kubectl"/"plugin" filler.
    assert!(!short.ends_with('.'));
    let lower = short.to_lowercase();
    assert!(
        !lower.contains("plugin") && !lower.contains("kubernetes"),
        "{short}"
    );
    for field in ["description", "caveats"] {
        for line in spec[field].as_str().unwrap().lines() {
            assert!(
                line.len() <= 80 || !line.trim().contains(' '),
                "{field} line over 80 columns: {line}"
            );
        }
    }
    // Semantic version with the v prefix (krew's semver.Parse).
    let version = spec["version"].as_str().unwrap();
    let core = version.strip_prefix('v').expect("version starts with v");
    let core = core.split(['-', '+']).next().unwrap();
    let parts: Vec<&str> = core.split('.').collect();
    assert!(
        parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit())),
        "version {version} is not semver"
    );
    assert!(spec["homepage"].as_str().unwrap().starts_with("https://"));

    let platforms = spec["platforms"].as_array().unwrap();
    assert!(!platforms.is_empty());
    for (os, arch) in KREW_PLATFORMS {
        let matching: Vec<usize> = (0..platforms.len())
            .filter(|&i| selector_matches(&platforms[i]["selector"], os, arch))
            .collect();
        assert!(
            matching.len() <= 1,
            "{os}/{arch} selected by platforms {matching:?}"
        );
    }
    let work = dist.join("krew-install");
    for (i, p) in platforms.iter().enumerate() {
        let labels = p["selector"]["matchLabels"].as_object().unwrap();
        assert!(!labels.is_empty(), "platform {i}: empty selector");
        assert!(
            labels.keys().all(|k| k == "os" || k == "arch"),
            "platform {i}: selector keys {labels:?}"
        );
        assert!(
            KREW_PLATFORMS
                .iter()
                .any(|(os, arch)| selector_matches(&p["selector"], os, arch)),
            "platform {i} matches no platform"
        );
        let uri = p["uri"].as_str().unwrap();
        assert!(uri.ends_with(".tar.gz") || uri.ends_with(".zip"), "{uri}");
        assert!(
            uri.contains(&format!("/{version}/")),
            "{uri} is not of {version}"
        );
        let sha = p["sha256"].as_str().unwrap();
        assert!(
            sha.len() == 64
                && sha
                    .chars()
                    .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c)),
            "{sha}"
        );
        let archive = dist.join(uri.rsplit('/').next().unwrap());
        assert_eq!(sha, sha256_of(archive.to_str().unwrap()), "{uri}");
        // Install: extract, apply `files` (from → to), then `bin` must be there.
        let extracted = work.join(format!("{i}-archive"));
        let entries = extract(archive.to_str().unwrap(), &extracted);
        let installed = work.join(format!("{i}-installed"));
        std::fs::create_dir_all(&installed).unwrap();
        let files = p["files"].as_array().unwrap();
        assert!(!files.is_empty());
        for f in files {
            let from = f["from"].as_str().unwrap();
            assert_eq!(f["to"], ".");
            assert!(
                entries.iter().any(|e| e == from),
                "{from} not in {uri}: {entries:?}"
            );
            std::fs::copy(extracted.join(from), installed.join(from)).unwrap();
        }
        let bin = p["bin"].as_str().unwrap();
        assert!(installed.join(bin).is_file(), "bin {bin} not installed");
        assert!(installed.join("LICENSE").is_file(), "LICENSE not installed");
        let os = labels["os"].as_str().unwrap();
        let (want_bin, shim) = if os == "windows" {
            (
                "kubectl-ds_coverage.exe",
                "kubectl_complete-ds_coverage.cmd",
            )
        } else {
            ("kubectl-ds_coverage", "kubectl_complete-ds_coverage")
        };
        assert_eq!(bin, want_bin);
        assert!(installed.join(shim).is_file(), "{shim} not installed");
        // Every archive entry is installed: nothing shipped for nothing.
        assert_eq!(entries.len(), files.len(), "{uri}: {entries:?}");
    }
}

/// Each runner's tools package its targets; `.krew.yaml` rendered for the tag against those
/// archives passes krew's checks and installs on every platform.
#[test]
fn each_runner_packages_and_the_rendered_krew_manifest_installs() {
    let dist = std::env::temp_dir().join(format!("ds-coverage-dist-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    let version = env!("CARGO_PKG_VERSION");
    // The debug binary stands in for each target's (a release build is too slow for tests).
    let exe = dist.join("bin/kubectl-ds_coverage.exe");
    std::fs::create_dir_all(exe.parent().unwrap()).unwrap();
    std::fs::copy(BIN, &exe).unwrap();
    for (tools, targets) in runners() {
        assert!(!tools.has("zip") && !tools.has("rustc") && !tools.has("cargo"));
        for target in targets {
            let binary = if target.contains("windows") {
                exe.as_path()
            } else {
                std::path::Path::new(BIN)
            };
            let archive = tools.package(target, binary, &dist);
            let ext = if target.contains("windows") {
                "zip"
            } else {
                "tar.gz"
            };
            assert_eq!(
                archive,
                dist.join(format!("kubectl-ds_coverage-v{version}-{target}.{ext}"))
                    .to_str()
                    .unwrap()
            );
            let sums = std::fs::read_to_string(format!("{archive}.sha256")).unwrap();
            assert_eq!(
                sums.split_whitespace().collect::<Vec<_>>(),
                [
                    sha256_of(&archive).as_str(),
                    &format!("kubectl-ds_coverage-v{version}-{target}.{ext}")
                ],
                "the .sha256 file, as `sha256sum -c` reads it"
            );
            if ext == "tar.gz" {
                // Owned by root, whichever tar made it.
                let listing = Command::new(host_program("tar"))
                    .args(["--numeric-owner", "-tvzf", &archive])
                    .output()
                    .unwrap();
                for line in String::from_utf8(listing.stdout).unwrap().lines() {
                    assert!(
                        line.split_whitespace().nth(1) == Some("0/0"),
                        "{target}: {line}"
                    );
                }
            }
        }
    }
    let tag = format!("v{version}");
    let template = std::fs::read_to_string(".krew.yaml").unwrap();
    let rendered = render_krew_template(&template, &tag, &dist);
    let m: serde_json::Value = serde_saphyr::from_str(&rendered)
        .unwrap_or_else(|e| panic!("rendered manifest is not YAML: {e}\n{rendered}"));
    validate_krew_manifest("ds-coverage.yaml", &m, &dist);
    let covered: std::collections::BTreeSet<(String, String)> = m["spec"]["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let l = &p["selector"]["matchLabels"];
            (
                l["os"].as_str().unwrap().to_string(),
                l["arch"].as_str().unwrap().to_string(),
            )
        })
        .collect();
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
    assert_eq!(covered, want);
    let _ = std::fs::remove_dir_all(&dist);
}

#[test]
fn krew_validation_rejects_what_krew_rejects() {
    // The checks above can fail: a wrong sha256, a missing file and an overlap each do.
    let dist = std::env::temp_dir().join(format!("ds-coverage-dist-bad-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dist);
    let tools = Toolset::new(
        "bad",
        &[("tar", "tar"), ("gzip", "gzip"), ("sha256sum", "sha256sum")],
    );
    tools.package(
        "x86_64-unknown-linux-musl",
        std::path::Path::new(BIN),
        &dist,
    );
    let version = env!("CARGO_PKG_VERSION");
    let good = format!(
        "apiVersion: krew.googlecontainertools.github.com/v1alpha2\nkind: Plugin\nmetadata:\n  name: ds-coverage\n\
         spec:\n  version: v{version}\n  homepage: https://example.com\n  shortDescription: Short\n  description: d\n  caveats: c\n  platforms:\n  \
         - selector:\n      matchLabels:\n        os: linux\n        arch: amd64\n    \
         {{{{addURIAndSha \"https://example.com/{{{{ .TagName }}}}/kubectl-ds_coverage-{{{{ .TagName }}}}-x86_64-unknown-linux-musl.tar.gz\" .TagName }}}}\n    \
         bin: kubectl-ds_coverage\n    files:\n    - from: kubectl-ds_coverage\n      to: .\n    - from: LICENSE\n      to: .\n    \
         - from: README.md\n      to: .\n    - from: kubectl_complete-ds_coverage\n      to: .\n"
    );
    let rendered = render_krew_template(&good, &format!("v{version}"), &dist);
    let check = |text: &str| {
        let m: serde_json::Value = serde_saphyr::from_str(text).unwrap();
        let dist = dist.clone();
        std::panic::catch_unwind(move || validate_krew_manifest("ds-coverage.yaml", &m, &dist))
            .is_ok()
    };
    let sha_line = rendered.lines().find(|l| l.contains("sha256:")).unwrap();
    let bad_sha = rendered.replace(sha_line, &format!("    sha256: {}", "0".repeat(64)));
    let no_version_v = rendered.replace(
        &format!("version: v{version}"),
        &format!("version: {version}"),
    );
    let platform = &rendered[rendered.find("  - selector:").unwrap()..];
    let overlap = format!("{rendered}{platform}");
    for (what, text) in [
        ("bad sha256", bad_sha),
        ("no v", no_version_v),
        ("overlap", overlap),
    ] {
        assert!(!check(&text), "{what} passed krew's checks");
    }
    let _ = std::fs::remove_dir_all(&dist);
}

/// The release workflow's first job: the tag must be the Cargo version (archives are named
/// from Cargo.toml, `.krew.yaml` builds URLs from the tag); a prerelease tag says so.
#[test]
fn release_tag_check() {
    let version = env!("CARGO_PKG_VERSION");
    let check = |tag: &str| {
        Command::new("bash")
            .args(["scripts/check-tag", tag])
            .output()
            .unwrap()
    };
    let ok = check(&format!("v{version}"));
    assert_eq!(ok.status.code(), Some(0), "{ok:?}");
    assert_eq!(String::from_utf8_lossy(&ok.stdout), "prerelease=false\n");
    let wrong = check("v99.0.0");
    assert_eq!(wrong.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains(version));
    let refs = check(&format!("refs/tags/v{version}"));
    assert_eq!(refs.status.code(), Some(0), "{refs:?}");
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
