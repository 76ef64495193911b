//! kubectl plugin completion: kubectl (≥ 1.26) runs `kubectl_complete-ds_coverage ARGS... WORD`
//! and reads Cobra's protocol — one candidate per line (`value\tdescription`), then a last line
//! `:<directive>`. kubectl clears its own flags while completing a plugin, so flags, formats,
//! contexts and namespaces (from the kubeconfig, offline) and DaemonSet and node names (from the
//! cluster, quickly, silently on failure) are completed here.

use std::io::Write;
use std::time::Duration;

use clap::CommandFactory;

use crate::cli::Cli;
use crate::client::{ConnectArgs, FetchArgs, connect, encode};

/// Cobra's directives.
const NO_FILE: u32 = 4;
const DEFAULT: u32 = 0;

/// What the environment offers completion: where kubeconfigs are.
#[derive(Debug, Clone, Default)]
pub struct CompletionEnv {
    pub kubeconfig_env: Option<std::ffi::OsString>,
    pub default_kubeconfig: Option<std::path::PathBuf>,
    pub in_cluster: bool,
}

/// The words typed so far and the one being completed (last, possibly empty).
pub fn run(words: &[String], env: &CompletionEnv, out: &mut dyn Write) -> std::io::Result<()> {
    let (typed, current) = match words.split_last() {
        Some((cur, rest)) => (rest, cur.as_str()),
        None => (&[][..], ""),
    };
    let (candidates, directive) = candidates(typed, current, env);
    for (value, help) in candidates.iter().filter(|(v, _)| v.starts_with(current)) {
        if help.is_empty() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{value}\t{help}")?;
        }
    }
    writeln!(out, ":{directive}")
}

type Candidates = Vec<(String, String)>;

/// Flags that take a value, with their aliases, from the clap definition.
fn value_flags() -> Vec<(Vec<String>, String)> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut out = Vec::new();
    let subs: Vec<&clap::Command> = std::iter::once(&cmd).chain(cmd.get_subcommands()).collect();
    for c in subs {
        for a in c.get_arguments() {
            if a.get_num_args().is_some_and(|n| n.takes_values()) && !a.is_positional() {
                let mut names = Vec::new();
                if let Some(l) = a.get_long() {
                    names.push(format!("--{l}"));
                }
                if let Some(s) = a.get_short() {
                    names.push(format!("-{s}"));
                }
                out.push((names, a.get_id().to_string()));
            }
        }
    }
    out
}

fn flags(subcommand: Option<&str>) -> Candidates {
    let mut root = Cli::command();
    root.build();
    let cmd = match subcommand.and_then(|s| root.find_subcommand(s)) {
        Some(sub) => sub.clone(),
        None => root,
    };
    let mut out: Candidates = cmd
        .get_arguments()
        .filter(|a| !a.is_hide_set() && !a.is_positional())
        .filter_map(|a| {
            let help = a.get_help().map(|h| h.to_string()).unwrap_or_default();
            let help = help
                .split(". ")
                .next()
                .unwrap_or("")
                .trim_end_matches('.')
                .to_string();
            a.get_long().map(|l| (format!("--{l}"), help))
        })
        .collect();
    out.sort();
    out
}

/// Read the typed words the way the real parser would, for what completion needs.
#[derive(Default)]
struct Typed {
    subcommand: Option<String>,
    positionals: Vec<String>,
    kubeconfig: Option<String>,
    context: Option<String>,
    namespace: Option<String>,
    all_namespaces: bool,
}

fn scan(words: &[String]) -> Typed {
    let takes_value = value_flags();
    let mut t = Typed::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if w.starts_with('-') => (f.to_string(), Some(v.to_string())),
            _ => (w.clone(), None),
        };
        if flag.starts_with('-') && flag.len() > 1 {
            let id = takes_value
                .iter()
                .find(|(names, _)| names.contains(&flag))
                .map(|(_, id)| id.clone());
            let value = match (&id, inline) {
                (Some(_), Some(v)) => Some(v),
                (Some(_), None) => {
                    i += 1;
                    words.get(i).cloned()
                }
                (None, _) => None,
            };
            match id.as_deref() {
                Some("kubeconfig") => t.kubeconfig = value,
                Some("context") => t.context = value,
                Some("namespace") => t.namespace = value,
                _ => {}
            }
            if flag == "-A" || flag == "--all-namespaces" {
                t.all_namespaces = true;
            }
        } else if t.subcommand.is_none()
            && t.positionals.is_empty()
            && matches!(w.as_str(), "explain" | "completion" | "fix")
        {
            t.subcommand = Some(w.clone());
        } else {
            t.positionals.push(w.clone());
        }
        i += 1;
    }
    t
}

fn candidates(typed: &[String], current: &str, env: &CompletionEnv) -> (Candidates, u32) {
    let t = scan(typed);
    // A value for the flag just typed?
    if let Some(prev) = typed
        .last()
        .filter(|p| p.starts_with('-') && !p.contains('='))
    {
        let id = value_flags()
            .into_iter()
            .find(|(names, _)| names.contains(prev))
            .map(|(_, id)| id);
        if let Some(id) = id {
            return flag_values(&id, &t, env);
        }
    }
    if let Some((flag, _)) = current
        .split_once('=')
        .filter(|_| current.starts_with("--"))
    {
        // `--output=` style: complete the value with the flag prefix kept.
        if let Some((_, id)) = value_flags()
            .into_iter()
            .find(|(names, _)| names.iter().any(|n| n == flag))
        {
            let (values, directive) = flag_values(&id, &t, env);
            return (
                values
                    .into_iter()
                    .map(|(v, h)| (format!("{flag}={v}"), h))
                    .collect(),
                directive,
            );
        }
    }
    if current.starts_with('-') {
        return (flags(t.subcommand.as_deref()), NO_FILE);
    }
    match (t.subcommand.as_deref(), t.positionals.len()) {
        (Some("completion"), 0) => {
            let shells = ["bash", "zsh", "fish", "powershell", "elvish"];
            (
                shells
                    .iter()
                    .map(|s| (s.to_string(), String::new()))
                    .collect(),
                NO_FILE,
            )
        }
        (Some("explain"), 0) => (cluster_names(&t, env, Kind::DaemonSets), NO_FILE),
        (Some("explain"), 1) => (cluster_names(&t, env, Kind::Nodes), NO_FILE),
        (Some("fix"), _) => (cluster_names(&t, env, Kind::DaemonSets), NO_FILE),
        (Some(_), _) => (Vec::new(), NO_FILE),
        (None, n) => {
            let mut c = cluster_names(&t, env, Kind::DaemonSets);
            if n == 0 {
                c.push((
                    "explain".into(),
                    "every rule, checked, for one DaemonSet and node".into(),
                ));
                c.push(("completion".into(), "shell completion script".into()));
                c.push((
                    "fix".into(),
                    "plan the removal of drift, and carry it out with --yes".into(),
                ));
            }
            (c, NO_FILE)
        }
    }
}

fn flag_values(id: &str, t: &Typed, env: &CompletionEnv) -> (Candidates, u32) {
    let plain = |v: &[&str]| {
        v.iter()
            .map(|s| (s.to_string(), String::new()))
            .collect::<Candidates>()
    };
    match id {
        "output" => (
            plain(&[
                "table", "wide", "matrix", "json", "yaml", "markdown", "junit",
            ]),
            NO_FILE,
        ),
        "color" => (plain(&["auto", "always", "never"]), NO_FILE),
        "dry_run" => (plain(&["client", "server", "none"]), NO_FILE),
        "fail_on" => (
            plain(&[
                "Missing",
                "Pending",
                "NotReady",
                "Failed",
                "Misscheduled",
                "outdated",
            ]),
            NO_FILE,
        ),
        "group_by" => (
            plain(&[
                "topology.kubernetes.io/zone",
                "node.kubernetes.io/instance-type",
                "kubernetes.io/arch",
                "kubernetes.io/os",
            ]),
            NO_FILE,
        ),
        "context" => (
            kubeconfig_names(t, env, |k| {
                k.contexts.iter().map(|c| c.name.clone()).collect()
            }),
            NO_FILE,
        ),
        "cluster" => (
            kubeconfig_names(t, env, |k| {
                k.clusters.iter().map(|c| c.name.clone()).collect()
            }),
            NO_FILE,
        ),
        "user" => (
            kubeconfig_names(t, env, |k| {
                k.auth_infos.iter().map(|c| c.name.clone()).collect()
            }),
            NO_FILE,
        ),
        "namespace" => {
            let mut names = kubeconfig_names(t, env, |k| {
                k.contexts
                    .iter()
                    .filter_map(|c| c.context.as_ref()?.namespace.clone())
                    .collect()
            });
            names.extend(cluster_names(t, env, Kind::Namespaces));
            names.sort();
            names.dedup();
            (names, NO_FILE)
        }
        "from_file" | "kubeconfig" | "manifest" | "plan_file" => (Vec::new(), DEFAULT),
        _ => (Vec::new(), NO_FILE),
    }
}

fn kubeconfig_names(
    t: &Typed,
    env: &CompletionEnv,
    pick: impl Fn(&kube::config::Kubeconfig) -> Vec<String>,
) -> Candidates {
    let args = connect_args(t, env);
    let read = |p: &std::path::Path| kube::config::Kubeconfig::read_from(p).ok();
    let configs: Vec<kube::config::Kubeconfig> = match (&args.kubeconfig, &args.kubeconfig_env) {
        (Some(p), _) => read(p).into_iter().collect(),
        (None, Some(v)) => std::env::split_paths(v).filter_map(|p| read(&p)).collect(),
        (None, None) => args
            .default_kubeconfig
            .as_deref()
            .and_then(read)
            .into_iter()
            .collect(),
    };
    let mut names: Vec<String> = configs.iter().flat_map(&pick).collect();
    names.sort();
    names.dedup();
    names.into_iter().map(|n| (n, String::new())).collect()
}

fn connect_args(t: &Typed, env: &CompletionEnv) -> ConnectArgs {
    ConnectArgs {
        kubeconfig: t.kubeconfig.clone().map(Into::into),
        kubeconfig_env: env.kubeconfig_env.clone(),
        default_kubeconfig: env.default_kubeconfig.clone(),
        in_cluster: env.in_cluster,
        context: t.context.clone(),
        request_timeout: Some(Duration::from_secs(2)),
        ..ConnectArgs::default()
    }
}

enum Kind {
    DaemonSets,
    Nodes,
    Namespaces,
}

/// Names from the cluster; nothing (silently) when it cannot answer within a couple of seconds.
fn cluster_names(t: &Typed, env: &CompletionEnv, kind: Kind) -> Candidates {
    let Ok(rt) = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    else {
        return Vec::new();
    };
    let args = connect_args(t, env);
    let names = rt.block_on(async {
        let work = async {
            let conn = connect(&args).await.ok()?;
            let path = match kind {
                Kind::Nodes => "/api/v1/nodes".to_string(),
                Kind::Namespaces => "/api/v1/namespaces".to_string(),
                Kind::DaemonSets if t.all_namespaces => "/apis/apps/v1/daemonsets".to_string(),
                Kind::DaemonSets => {
                    let ns = t
                        .namespace
                        .clone()
                        .unwrap_or_else(|| conn.default_namespace.clone());
                    format!("/apis/apps/v1/namespaces/{}/daemonsets", encode(&ns))
                }
            };
            // No -v log and no retries: a completion answers fast or not at all.
            let sink: crate::SharedWriter =
                std::sync::Arc::new(std::sync::Mutex::new(Box::new(std::io::sink())));
            conn.transport(&FetchArgs::default(), sink)
                .names(&path)
                .await
                .ok()
        };
        tokio::time::timeout(Duration::from_secs(3), work)
            .await
            .ok()
            .flatten()
    });
    names
        .unwrap_or_default()
        .into_iter()
        .map(|n| (n, String::new()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn complete(words: &[&str]) -> String {
        let mut out = Vec::new();
        let words: Vec<String> = words.iter().map(|s| s.to_string()).collect();
        run(&words, &CompletionEnv::default(), &mut out).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn output_formats_complete_after_the_flag() {
        let out = complete(&["-o", ""]);
        assert!(out.lines().any(|l| l == "matrix"), "{out}");
        assert!(out.ends_with(":4\n"));
        assert_eq!(complete(&["--output", "ja"]), ":4\n");
        assert_eq!(complete(&["--output=js"]), "--output=json\n:4\n");
    }

    #[test]
    fn flags_complete_with_descriptions() {
        let out = complete(&["--all"]);
        assert!(out.starts_with("--all-namespaces\t"), "{out}");
        assert!(out.contains("--all-nodes\t"), "{out}");
        let explain = complete(&["explain", "--"]);
        assert!(explain.contains("--namespace\t"), "{explain}");
    }

    #[test]
    fn files_are_left_to_the_shell() {
        assert_eq!(complete(&["--from-file", ""]), ":0\n");
    }

    #[test]
    fn subcommands_and_shells() {
        let out = complete(&["ex"]);
        assert!(out.starts_with("explain\t"), "{out}");
        assert_eq!(complete(&["completion", "f"]), "fish\n:4\n");
    }

    #[test]
    fn scan_reads_connection_flags_in_every_form() {
        let t = scan(&[
            "--kubeconfig=/k".into(),
            "--context".into(),
            "c".into(),
            "-n".into(),
            "ns".into(),
            "explain".into(),
            "ds".into(),
        ]);
        assert_eq!(t.kubeconfig.as_deref(), Some("/k"));
        assert_eq!(t.context.as_deref(), Some("c"));
        assert_eq!(t.namespace.as_deref(), Some("ns"));
        assert_eq!(t.subcommand.as_deref(), Some("explain"));
        assert_eq!(t.positionals, ["ds"]);
    }

    #[test]
    fn fix_completes_its_flags_and_values() {
        assert!(complete(&["fi"]).starts_with("fix\t"));
        let flags = complete(&["fix", "--"]);
        for f in [
            "--yes\t",
            "--dry-run\t",
            "--outdated\t",
            "--max-unavailable\t",
        ] {
            assert!(flags.contains(f), "{f} in {flags}");
        }
        assert_eq!(
            complete(&["fix", "--dry-run="]),
            "--dry-run=client\n--dry-run=server\n--dry-run=none\n:4\n"
        );
        assert_eq!(complete(&["fix", "--plan-file", ""]), ":0\n");
    }
}
