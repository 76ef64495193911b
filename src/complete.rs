//! kubectl plugin completion: kubectl (≥ 1.26) runs `kubectl_complete-ds_coverage ARGS... WORD`
//! and reads Cobra's protocol — one candidate per line (`value\tdescription`), then a last line
//! `:<directive>`. kubectl clears its own flags while completing a plugin, so flags, formats,
//! contexts and namespaces (from the kubeconfig, offline) and DaemonSet and node names (from the
//! cluster, quickly, silently on failure) are completed here.

use std::io::Write;
use std::time::Duration;

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
///
/// As cobra's `__complete` does: for `--flag=prefix` the answer is the bare values that start
/// with `prefix` (the shells' scripts, and kubectl's, put `--flag=` back in front).
pub fn run(words: &[String], env: &CompletionEnv, out: &mut dyn Write) -> std::io::Result<()> {
    let (typed, current) = match words.split_last() {
        Some((cur, rest)) => (rest, cur.as_str()),
        None => (&[][..], ""),
    };
    let (candidates, directive) = candidates(typed, current, env);
    let prefix = match split_flag_value(current) {
        Some((_, value)) => value,
        None => current,
    };
    // A list after a comma (`--context prod,<TAB>`, `--fail-on Missing,<TAB>`): the last item
    // is completed, each answer the whole word, and an item already in the list is not offered
    // again.
    let (head, last) = match prefix.rsplit_once(',') {
        Some((head, last)) => (Some(head), last),
        None => (None, prefix),
    };
    let given: Vec<&str> = head.map(|h| h.split(',').collect()).unwrap_or_default();
    for (value, help) in candidates
        .iter()
        .filter(|(v, _)| v.starts_with(last) && !given.contains(&v.as_str()))
    {
        let value = match head {
            Some(head) => format!("{head},{value}"),
            None => value.clone(),
        };
        if help.is_empty() {
            writeln!(out, "{value}")?;
        } else {
            writeln!(out, "{value}\t{help}")?;
        }
    }
    writeln!(out, ":{directive}")
}

/// `--flag=value` (or `-o=value`) as (`--flag`, `value`).
fn split_flag_value(word: &str) -> Option<(&str, &str)> {
    word.split_once('=').filter(|_| word.starts_with('-'))
}

/// The completion script for `kubectl-ds_coverage` in one shell's language. Bash, zsh and fish
/// get scripts that ask the binary (`__complete`, the engine above); PowerShell and elvish get
/// clap_complete's static scripts.
pub fn write_script(shell: clap_complete::Shell, out: &mut dyn Write) -> std::io::Result<()> {
    use clap_complete::Shell;
    let script = match shell {
        Shell::Bash => include_str!("../completions/kubectl-ds_coverage.bash"),
        Shell::Zsh => include_str!("../completions/_kubectl-ds_coverage"),
        Shell::Fish => include_str!("../completions/kubectl-ds_coverage.fish"),
        other => {
            let mut cmd = crate::cli::command();
            let mut buf = Vec::new();
            clap_complete::generate(other, &mut cmd, "kubectl-ds_coverage", &mut buf);
            if other == Shell::PowerShell {
                let script = String::from_utf8_lossy(&buf);
                return out.write_all(powershell_positional_values(&script).as_bytes());
            }
            return out.write_all(&buf);
        }
    };
    out.write_all(script.as_bytes())
}

/// clap_complete's PowerShell script offers flags and subcommands only; a subcommand's positional
/// values (`schema report|explain|plan`, `completion bash|…`) are added to its block, as
/// `ParameterValue` results, from the same clap definition the `__complete` engine reads.
fn powershell_positional_values(script: &str) -> String {
    let mut cmd = crate::cli::command();
    cmd.build();
    let quote = |s: &str| s.replace('\'', "''");
    let mut out = script.to_string();
    for sub in cmd.get_subcommands() {
        let values: Vec<String> = sub
            .get_positionals()
            .flat_map(|a| a.get_possible_values())
            .filter(|v| !v.is_hide_set())
            .map(|v| {
                let name = quote(v.get_name());
                let help = v
                    .get_help()
                    .map(|h| quote(&h.to_string()))
                    .unwrap_or_else(|| name.clone());
                format!(
                    "            [CompletionResult]::new('{name}', '{name}', \
                     [CompletionResultType]::ParameterValue, '{help}')\n"
                )
            })
            .collect();
        let block = format!("        'kubectl-ds_coverage;{}' {{\n", sub.get_name());
        if let Some(at) = out.find(&block) {
            out.insert_str(at + block.len(), &values.concat());
        }
    }
    out
}

type Candidates = Vec<(String, String)>;

/// A flag that takes a value: its spellings, its id, and whether the value must follow `=`.
struct ValueFlag {
    names: Vec<String>,
    id: String,
    require_equals: bool,
}

/// Flags that take a value, with their aliases, from the clap definition.
fn value_flags() -> Vec<ValueFlag> {
    let mut cmd = crate::cli::command();
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
                out.push(ValueFlag {
                    names,
                    id: a.get_id().to_string(),
                    require_equals: a.is_require_equals_set(),
                });
            }
        }
    }
    out
}

/// The subcommands, with their one-line help, and clap's `help`.
fn subcommands() -> Candidates {
    let mut cmd = crate::cli::command();
    cmd.build();
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| {
            let about = s.get_about().map(|a| a.to_string()).unwrap_or_default();
            (s.get_name().to_string(), first_sentence(&about))
        })
        .collect()
}

/// A short description for the shells' menus: the first sentence, at most about 60 columns.
fn first_sentence(help: &str) -> String {
    let mut end = help.len();
    for (i, _) in help.match_indices(". ") {
        let before = &help[..i];
        if !before.ends_with('.') && !before.ends_with("e.g") && !before.ends_with("i.e") {
            end = i;
            break;
        }
    }
    let sentence = help[..end].trim_end_matches('.');
    if sentence.chars().count() <= 60 {
        return sentence.to_string();
    }
    let cut: String = sentence.chars().take(60).collect();
    let cut = cut.rsplit_once(' ').map_or(cut.as_str(), |(head, _)| head);
    format!("{}…", cut.trim_end_matches([',', ';', ':', '(']))
}

fn flags(subcommand: Option<&str>) -> Candidates {
    let mut root = crate::cli::command();
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
            a.get_long()
                .map(|l| (format!("--{l}"), first_sentence(&help)))
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
    let subcommands = subcommands();
    let mut t = Typed::default();
    let mut i = 0;
    while i < words.len() {
        let w = &words[i];
        let (flag, inline) = match split_flag_value(w) {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (w.clone(), None),
        };
        if flag.starts_with('-') && flag.len() > 1 {
            let known = takes_value.iter().find(|f| f.names.contains(&flag));
            let value = match (known, inline) {
                (Some(_), Some(v)) => Some(v),
                // `--dry-run server`: the value must follow `=`, so `server` is an argument.
                (Some(f), None) if !f.require_equals => {
                    i += 1;
                    words.get(i).cloned()
                }
                _ => None,
            };
            match known.map(|f| f.id.as_str()) {
                Some("kubeconfig") => t.kubeconfig = value,
                // A fleet's `--context A,B`: names are completed from the first context.
                Some("context") => {
                    t.context = value.and_then(|v| v.split(',').next().map(str::to_string))
                }
                Some("namespace") => t.namespace = value,
                _ => {}
            }
            if flag == "-A" || flag == "--all-namespaces" {
                t.all_namespaces = true;
            }
        } else if t.subcommand.is_none()
            && t.positionals.is_empty()
            && subcommands.iter().any(|(name, _)| name == w)
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
    // A value for the flag just typed (`-o <TAB>`); not for flags whose value follows `=`.
    if let Some(prev) = typed
        .last()
        .filter(|p| p.starts_with('-') && !p.contains('='))
        && let Some(f) = value_flags()
            .into_iter()
            .find(|f| f.names.contains(prev) && !f.require_equals)
    {
        return flag_values(&f.id, &t, env);
    }
    if let Some((flag, _)) = split_flag_value(current) {
        // `--output=<TAB>`: the values alone (see `run`).
        return match value_flags()
            .into_iter()
            .find(|f| f.names.iter().any(|n| n == flag))
        {
            Some(f) => flag_values(&f.id, &t, env),
            None => (Vec::new(), NO_FILE),
        };
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
        (Some("schema"), 0) => {
            use clap::ValueEnum;
            (
                crate::cli::SchemaKind::value_variants()
                    .iter()
                    .filter_map(|k| k.to_possible_value())
                    .map(|v| {
                        let help = v.get_help().map(|h| h.to_string()).unwrap_or_default();
                        (v.get_name().to_string(), help)
                    })
                    .collect(),
                NO_FILE,
            )
        }
        (Some("help"), 0) => (
            subcommands()
                .into_iter()
                .filter(|(name, _)| name != "help")
                .collect(),
            NO_FILE,
        ),
        (Some("explain"), 0) => (cluster_names(&t, env, Kind::DaemonSets), NO_FILE),
        (Some("explain"), 1) => (cluster_names(&t, env, Kind::Nodes), NO_FILE),
        (Some("fix"), _) => (cluster_names(&t, env, Kind::DaemonSets), NO_FILE),
        (Some(_), _) => (Vec::new(), NO_FILE),
        (None, n) => {
            let mut c = cluster_names(&t, env, Kind::DaemonSets);
            if n == 0 {
                c.extend(subcommands());
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
        // The formats of the subcommand typed (explain, fix and schema print fewer).
        "output" => {
            let mut root = crate::cli::command();
            root.build();
            let cmd = t
                .subcommand
                .as_deref()
                .and_then(|s| root.find_subcommand(s))
                .unwrap_or(&root);
            let formats = cmd
                .get_arguments()
                .find(|a| a.get_id() == "output")
                .map(|a| a.get_possible_values())
                .unwrap_or_default();
            let names: Vec<&str> = formats.iter().map(|v| v.get_name()).collect();
            (plain(&names), NO_FILE)
        }
        "color" => (plain(&["auto", "always", "never"]), NO_FILE),
        "dry_run" => (plain(&["client", "server", "none"]), NO_FILE),
        "fail_on" => (
            plain(&[
                "Missing",
                "Pending",
                "NotReady",
                "Failed",
                "Misscheduled",
                "NoEligibleNode",
                "Unknown",
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
    let env_paths = args
        .kubeconfig_env
        .as_deref()
        .and_then(crate::client::connect::kubeconfig_env_paths);
    let configs: Vec<kube::config::Kubeconfig> = match (&args.kubeconfig, env_paths) {
        (Some(p), _) => read(p).into_iter().collect(),
        (None, Some(paths)) => paths.iter().filter_map(|p| read(p)).collect(),
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
        // Cobra strips `--output=` before completing, and the shells put it back.
        assert_eq!(complete(&["--output=js"]), "json\n:4\n");
        assert_eq!(complete(&["-o=ya"]), "yaml\n:4\n");
    }

    #[test]
    fn flags_complete_with_descriptions() {
        let out = complete(&["--all"]);
        assert!(out.starts_with("--all-contexts\t"), "{out}");
        assert!(out.contains("--all-namespaces\t"), "{out}");
        assert!(out.contains("--all-nodes\t"), "{out}");
        let explain = complete(&["explain", "--"]);
        assert!(explain.contains("--namespace\t"), "{explain}");
        // Flags that do not apply to explain are not offered there.
        for absent in ["--selector\t", "--group-by\t", "--check\t", "--all-nodes\t"] {
            assert!(!explain.contains(absent), "{absent} in {explain}");
        }
        assert_eq!(complete(&["completion", "--"]), "--help\tPrint help\n:4\n");
    }

    /// After a comma the list's last item is completed, each answer the whole word, items
    /// already given not offered again.
    #[test]
    fn a_comma_list_completes_its_last_item() {
        assert_eq!(
            complete(&["--fail-on", "Missing,P"]),
            "Missing,Pending\n:4\n"
        );
        let out = complete(&["--fail-on=Missing,Pending,"]);
        assert!(out.lines().any(|l| l == "Missing,Pending,Failed"), "{out}");
        assert!(!out.lines().any(|l| l.ends_with(",Missing")), "{out}");
    }

    #[test]
    fn files_are_left_to_the_shell() {
        assert_eq!(complete(&["--from-file", ""]), ":0\n");
    }

    #[test]
    fn subcommands_and_shells() {
        let out = complete(&["ex"]);
        assert!(out.starts_with("explain\t"), "{out}");
        let all = complete(&[""]);
        for sub in ["explain\t", "schema\t", "completion\t", "fix\t", "help\t"] {
            assert!(all.contains(sub), "{sub} in {all}");
        }
        assert_eq!(complete(&["schema", "-o", ""]), "json\nyaml\n:4\n");
        let help = complete(&["help", "f"]);
        assert!(help.starts_with("fix\t"), "{help}");
        assert_eq!(complete(&["completion", "f"]), "fish\n:4\n");
        assert_eq!(
            complete(&["schema", ""]),
            "report\tThe report (`-o json`)\nexplain\t`explain -o json`\nplan\t`fix -o json`: the plan, and the result once it acted\nfleet\tA fleet's `-o json` (several clusters)\n:4\n"
        );
        assert_eq!(
            complete(&["schema", "pl"]),
            "plan\t`fix -o json`: the plan, and the result once it acted\n:4\n"
        );
        assert_eq!(complete(&["schema", "plan", ""]), ":4\n");
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
            "client\nserver\nnone\n:4\n"
        );
        assert_eq!(complete(&["fix", "--dry-run=s"]), "server\n:4\n");
        // `--dry-run` takes its value only after `=`: a space ends it.
        let after_space = complete(&["fix", "--dry-run", ""]);
        assert!(!after_space.contains("client"), "{after_space}");
        assert_eq!(complete(&["fix", "--plan-file", ""]), ":0\n");
    }
}
