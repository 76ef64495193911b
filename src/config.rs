//! `Cli` → `Config`: validated and resolved once. Nothing past here sees clap types, reads the
//! environment or the clock: those come in through [`Env`].

use jiff::Timestamp;

use crate::cli::{Cli, ColorWhen, Format};
use crate::client::{ConnectArgs, FetchArgs};
use crate::coverage::Options;
use crate::eligibility::labels::Selector;
use crate::error::{Error, Result};

/// What the process environment says, gathered by `main` (and faked by tests).
#[derive(Debug, Clone)]
pub struct Env {
    pub now: Timestamp,
    /// `KUBECONFIG`.
    pub kubeconfig: Option<std::ffi::OsString>,
    /// The home directory (for `~/.kube/config`).
    pub home: Option<std::path::PathBuf>,
    /// `KUBERNETES_SERVICE_HOST` is set.
    pub in_cluster: bool,
    pub stderr_is_terminal: bool,
    /// `NO_COLOR` is set to a non-empty value.
    pub no_color: bool,
    pub stdout_is_terminal: bool,
    /// Standard input is a terminal (`fix` asks before acting only when it and stderr are).
    pub stdin_is_terminal: bool,
    /// `HTTPS_PROXY`, `HTTP_PROXY`, `NO_PROXY` (or their lower-case forms).
    pub proxy: crate::client::ProxyEnv,
    /// Columns of the terminal standard output is, else the `COLUMNS` variable; `None` when
    /// neither says (then [`DEFAULT_WIDTH`]).
    pub width: Option<usize>,
    /// The same for standard error (the gate's verdict): its terminal's columns, else `COLUMNS`.
    pub stderr_width: Option<usize>,
    /// Rows of the terminal standard output is, else the `LINES` variable (`--watch` fits its
    /// redrawn report to them).
    pub height: Option<usize>,
}

/// The width human formats fit when neither the terminal nor `COLUMNS` tells it (the classic
/// terminal's, as in a CI log or a file).
pub const DEFAULT_WIDTH: usize = 80;

#[derive(Debug, Clone)]
pub enum Input {
    Files(Vec<String>),
    Cluster {
        connect: Box<ConnectArgs>,
        fetch: FetchArgs,
        /// `-n` as given; `None` means the context's namespace (unless all namespaces).
        namespace: Option<String>,
        all_namespaces: bool,
    },
}

#[derive(Debug, Clone)]
pub struct RenderOptions {
    pub format: Format,
    pub color: bool,
    pub no_headers: bool,
    pub group_by: Option<String>,
    pub all_nodes: bool,
    /// Columns every line of a human format fits in (words wider than a line are cut).
    pub width: usize,
    /// List every problem node under a DaemonSet (`--all-problems`, or one DaemonSet named).
    pub all_problems: bool,
    /// Matrix: leave out fully covered DaemonSet columns.
    pub hide_covered: bool,
    /// Matrix: at most this many DaemonSet columns per page.
    pub max_columns: Option<usize>,
    /// Colour what goes to stderr (the gate's verdict): `--color`, else a terminal and no
    /// `NO_COLOR`.
    pub stderr_color: bool,
    /// Columns the gate's verdict on stderr fits in: standard error's terminal, else `COLUMNS`;
    /// `None` when neither tells (a CI log, a pipe): its lines are left whole, for grep.
    pub stderr_width: Option<usize>,
    /// `-o prometheus`: at most this many per-node gap series (`--metrics-max-gaps`).
    pub metrics_max_gaps: usize,
}

#[derive(Debug, Clone)]
pub struct Config {
    pub mode: Mode,
    pub input: Input,
    /// `--manifest` files: DaemonSets not applied yet.
    pub manifests: Vec<String>,
    pub audit: Options,
    pub render: RenderOptions,
    /// `--check`: the gate policy.
    pub gate: Option<crate::gate::Policy>,
    /// `--check --wait`: follow the cluster until the gate passes or the deadline.
    pub wait: Option<WaitSettings>,
    /// `--watch`: follow the cluster and show what changes.
    pub watch: Option<WatchSettings>,
    /// Several clusters in one run (`--context A,B`, `--all-contexts`, `--contexts-matching`,
    /// `-f NAME=PATH`); `input` is then the template each cluster's input is made from.
    pub fleet: Option<FleetSettings>,
}

/// A fleet run, checked (see `crate::fleet`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSettings {
    pub selection: FleetSelection,
    /// How many clusters are read at once.
    pub max_concurrent: usize,
    /// An unreadable cluster is a warning, not exit 3.
    pub allow_unreachable: bool,
}

/// Which clusters a fleet is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FleetSelection {
    /// `--context A --context B,C`, in the order given (duplicates dropped).
    Contexts(Vec<String>),
    /// `--all-contexts`.
    AllContexts,
    /// `--contexts-matching GLOB`.
    Matching(String),
    /// `-f NAME=PATH`: per cluster name, its paths in the order given.
    Files(Vec<(String, Vec<String>)>),
}

/// `--watch`, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WatchSettings {
    /// Redraw the report in place (a terminal, a human format).
    pub redraw: bool,
    /// One JSON object per changed pair (`-o json`); text lines otherwise.
    pub ndjson: bool,
    /// The terminal's rows, when known: a redrawn report taller is cut to them.
    pub height: Option<usize>,
}

/// `--wait` and its companions, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct WaitSettings {
    /// How long to follow the cluster before the gate fails.
    pub deadline: std::time::Duration,
    /// Exit 1 before the deadline when waiting cannot help (`--no-fail-fast` turns it off).
    pub fail_fast: bool,
    /// Progress is redrawn in place on a terminal, a line per change otherwise.
    pub stderr_is_terminal: bool,
}

/// What to do with the objects read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// The coverage report.
    Report,
    /// `explain DAEMONSET NODE`: `namespace` is set when given as NAMESPACE/NAME.
    Explain {
        namespace: Option<String>,
        name: String,
        node: String,
    },
    /// `completion SHELL`: print the completion script.
    Completion(clap_complete::Shell),
    /// `fix`: plan the removal of drift, and carry it out when told to.
    Fix(Box<crate::fix::FixSettings>),
    /// `schema [report|explain|plan]`: print a JSON output's JSON Schema.
    Schema(crate::cli::SchemaKind),
}

impl Config {
    pub fn from_cli(mut cli: Cli, env: &Env) -> Result<Config> {
        let mut s = cli.scope;
        // `-n ""` names no namespace, as with kubectl: the context's (or, with files, every one).
        if s.namespace.as_deref() == Some("") {
            s.namespace = None;
        }
        // DaemonSets named NAMESPACE/NAME (the report's and fix's, as explain's) name the
        // namespace as -n would.
        let names = match &mut cli.command {
            Some(crate::cli::Command::Fix(f)) => &mut f.daemon_sets,
            _ => &mut cli.daemon_sets,
        };
        if let Some(ns) = split_names(names, s.namespace.as_deref())? {
            s.namespace = Some(ns);
            s.all_namespaces = false;
        }
        let now = match &s.as_of {
            Some(t) => t.parse::<Timestamp>().map_err(|e| {
                Error::Usage(format!(
                    "invalid --as-of {t:?}: {e} (expected RFC 3339, e.g. 2026-11-20T12:00:00Z)"
                ))
            })?,
            None => env.now,
        };
        // `-l ''` selects everything, as `kubectl get -l ''` does: the same as no selector.
        let everything = |s: &Selector| *s != Selector::Everything;
        let selector = parse_selector("--selector", s.selector.as_deref())?.filter(everything);
        let node_selector =
            parse_selector("--node-selector", s.node_selector.as_deref())?.filter(everything);
        if s.all_namespaces && !cli.daemon_sets.is_empty() {
            return Err(Error::Usage(
                "a DaemonSet name cannot be combined with --all-namespaces; use -n NAMESPACE"
                    .into(),
            ));
        }
        let mut c = cli.connection;
        let request_timeout = parse_request_timeout(&c.request_timeout)?;
        // One cluster's commands read a dump named once (`-f prod=dump/ explain …`) as that
        // cluster: the name says which, there is nothing to tell apart.
        if matches!(
            cli.command,
            Some(crate::cli::Command::Explain(_) | crate::cli::Command::Fix(_))
        ) || !s.manifest.is_empty()
        {
            unname_single_cluster(&mut s.from_file);
        }
        let fleet = fleet_settings(&cli.fleet, &mut c.context, &mut s.from_file)?;
        if !s.from_file.is_empty() {
            // A flag that only says how to reach a cluster, given with files to read: refused
            // rather than ignored (`--context prod -f dump.json` reads the dump, not prod).
            let connection = [
                (c.kubeconfig.is_some(), "--kubeconfig"),
                (!c.context.is_empty(), "--context"),
                (c.cluster.is_some(), "--cluster"),
                (c.user.is_some(), "--user"),
                (c.server.is_some(), "--server"),
                (c.token.is_some(), "--token"),
                (c.as_user.is_some(), "--as"),
                (!c.as_group.is_empty(), "--as-group"),
                (c.as_uid.is_some(), "--as-uid"),
                (c.certificate_authority.is_some(), "--certificate-authority"),
                (c.client_certificate.is_some(), "--client-certificate"),
                (c.client_key.is_some(), "--client-key"),
                (c.tls_server_name.is_some(), "--tls-server-name"),
                (c.insecure_skip_tls_verify, "--insecure-skip-tls-verify"),
            ];
            if let Some((_, flag)) = connection.iter().find(|(given, _)| *given) {
                return Err(Error::Usage(format!(
                    "{flag} says how to reach a cluster: --from-file reads files instead; \
                     give one or the other"
                )));
            }
        }
        if fleet.is_some() {
            let refused = [
                (
                    matches!(cli.command, Some(crate::cli::Command::Explain(_))),
                    "explain",
                ),
                (
                    matches!(cli.command, Some(crate::cli::Command::Fix(_))),
                    "fix",
                ),
                (cli.follow.wait.is_some(), "--wait"),
                (cli.follow.watch, "--watch"),
                (!s.manifest.is_empty(), "--manifest"),
            ];
            if let Some((_, what)) = refused.iter().find(|(given, _)| *given) {
                return Err(Error::Usage(format!(
                    "{what} reads one cluster: name one --context (or one -f dump), not a fleet"
                )));
            }
        }
        let input = if s.from_file.is_empty() {
            Input::Cluster {
                connect: Box::new(ConnectArgs {
                    kubeconfig: c.kubeconfig,
                    kubeconfig_env: env.kubeconfig.clone(),
                    default_kubeconfig: env.home.as_ref().map(|h| h.join(".kube").join("config")),
                    in_cluster: env.in_cluster,
                    context: c.context.into_iter().next(),
                    cluster: c.cluster,
                    user: c.user,
                    impersonate: c.as_user,
                    impersonate_groups: c.as_group,
                    request_timeout,
                    insecure_skip_tls_verify: c.insecure_skip_tls_verify,
                    impersonate_uid: c.as_uid,
                    server: c.server,
                    token: c.token,
                    certificate_authority: c.certificate_authority,
                    client_certificate: c.client_certificate,
                    client_key: c.client_key,
                    tls_server_name: c.tls_server_name,
                    disable_compression: c.disable_compression,
                    proxy: env.proxy.clone(),
                }),
                fetch: FetchArgs {
                    page_size: c.chunk_size,
                    verbose: c.verbosity.is_some_and(|v| v > 0),
                    // Concurrent clusters would redraw one progress line over each other.
                    progress: (env.stderr_is_terminal && fleet.is_none()).then(|| {
                        crate::render::style::redraw_width(env.stderr_width.filter(|w| *w > 0))
                    }),
                    ..FetchArgs::default()
                },
                namespace: s.namespace.clone(),
                all_namespaces: s.all_namespaces,
            }
        } else {
            Input::Files(s.from_file)
        };
        // With files the files are the scope (as `kubectl get -f`): every namespace unless -n.
        // With a cluster, `run` resolves the context's namespace once connected.
        let namespace = if s.all_namespaces { None } else { s.namespace };
        let mut audit = Options::new(now);
        audit.namespace = namespace;
        let mode = match cli.command {
            None => Mode::Report,
            Some(crate::cli::Command::Completion { shell }) => Mode::Completion(shell),
            Some(crate::cli::Command::Fix(f)) => {
                let offline = matches!(input, Input::Files(_));
                if !s.manifest.is_empty() {
                    return Err(Error::Usage(
                        "fix does not take --manifest: it acts on what is applied".into(),
                    ));
                }
                if cli.gate.check {
                    return Err(Error::Usage("fix does not take --check".into()));
                }
                if !matches!(
                    cli.output.output,
                    Format::Table | Format::Json | Format::Yaml
                ) {
                    return Err(Error::Usage(
                        "fix supports -o table (default), json, yaml".into(),
                    ));
                }
                if s.all_namespaces && !f.daemon_sets.is_empty() {
                    return Err(Error::Usage(
                        "a DaemonSet name cannot be combined with --all-namespaces; use -n NAMESPACE"
                            .into(),
                    ));
                }
                Mode::Fix(Box::new(fix_settings(f, offline, env)?))
            }
            Some(crate::cli::Command::Schema { which }) => Mode::Schema(which),
            Some(crate::cli::Command::Explain(e)) => {
                if !cli.daemon_sets.is_empty() {
                    return Err(Error::Usage(
                        "explain takes exactly one DAEMONSET and one NODE".into(),
                    ));
                }
                let (namespace, name) = match e.daemon_set.split_once('/') {
                    Some((ns, n)) if !ns.is_empty() && !n.is_empty() => {
                        not_a_kubectl_type(ns, n)?;
                        (Some(ns.to_string()), n.to_string())
                    }
                    Some(_) => {
                        return Err(Error::Usage(format!(
                            "invalid DAEMONSET {:?}: use NAME or NAMESPACE/NAME",
                            e.daemon_set
                        )));
                    }
                    None => (None, e.daemon_set),
                };
                if let (Some(a), Some(b)) = (&namespace, &audit.namespace)
                    && a != b
                {
                    return Err(Error::Usage(format!(
                        "{}/{name} is not in namespace {b} (-n)",
                        a
                    )));
                }
                if !matches!(
                    cli.output.output,
                    Format::Table | Format::Json | Format::Yaml
                ) {
                    return Err(Error::Usage(
                        "explain supports -o table (default), json, yaml".into(),
                    ));
                }
                Mode::Explain {
                    namespace,
                    name,
                    node: e.node,
                }
            }
        };
        audit.names = cli.daemon_sets;
        if let Mode::Fix(f) = &mode {
            audit.names.extend(f.names.iter().cloned());
        }
        audit.only_manifests = !s.manifest.is_empty();
        audit.selector = selector;
        audit.node_selector = node_selector;
        audit.include_ineligible = cli.output.include_ineligible;
        audit.comparison_operators = s.toleration_comparison_operators;
        let machine = matches!(
            cli.output.output,
            Format::Json | Format::Yaml | Format::Prometheus
        );
        let color = !machine
            && match cli.output.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => env.stdout_is_terminal && !env.no_color,
            };
        if cli.output.all_nodes && cli.output.output != Format::Matrix {
            return Err(Error::Usage("--all-nodes applies to -o matrix".into()));
        }
        if cli.output.group_by.is_some() && cli.output.output != Format::Matrix {
            return Err(Error::Usage("--group-by applies to -o matrix".into()));
        }
        if cli
            .output
            .group_by
            .as_deref()
            .is_some_and(|l| l.trim().is_empty())
        {
            return Err(Error::Usage(
                "--group-by takes a node label key, such as topology.kubernetes.io/zone".into(),
            ));
        }
        if (cli.output.hide_covered || cli.output.max_columns.is_some())
            && cli.output.output != Format::Matrix
        {
            return Err(Error::Usage(
                "--hide-covered and --max-columns apply to -o matrix".into(),
            ));
        }
        if cli.output.max_columns == Some(0) {
            return Err(Error::Usage("--max-columns must be at least 1".into()));
        }
        if cli.output.all_problems && !matches!(cli.output.output, Format::Table | Format::Wide) {
            return Err(Error::Usage(
                "--all-problems applies to -o table and -o wide".into(),
            ));
        }
        if cli.output.metrics_max_gaps.is_some() && cli.output.output != Format::Prometheus {
            return Err(Error::Usage(
                "--metrics-max-gaps applies to -o prometheus".into(),
            ));
        }
        let render = RenderOptions {
            metrics_max_gaps: cli
                .output
                .metrics_max_gaps
                .unwrap_or(crate::render::prometheus::DEFAULT_MAX_GAPS),
            format: cli.output.output,
            color,
            no_headers: cli.output.no_headers,
            group_by: cli.output.group_by,
            all_nodes: cli.output.all_nodes,
            width: env.width.filter(|w| *w > 0).unwrap_or(DEFAULT_WIDTH),
            all_problems: cli.output.all_problems || audit.names.len() == 1,
            hide_covered: cli.output.hide_covered,
            max_columns: cli.output.max_columns,
            stderr_color: match cli.output.color {
                ColorWhen::Always => true,
                ColorWhen::Never => false,
                ColorWhen::Auto => env.stderr_is_terminal && !env.no_color,
            },
            stderr_width: env.stderr_width.filter(|w| *w > 0),
        };
        audit.static_pods = static_options(cli.statics)?;
        let fail_on_given = !cli.gate.fail_on.is_empty();
        let statics = audit.static_pods.is_some();
        let watch = watch_settings(
            &cli.gate,
            &cli.follow,
            &input,
            (&s.manifest, statics),
            s.as_of.is_some(),
            cli.output.output,
            env,
        )?;
        let mut gate = gate_policy(cli.gate)?;
        refuse_unjudgeable(gate.as_ref(), fail_on_given, &audit)?;
        let wait = wait_settings(
            cli.follow,
            &gate,
            &input,
            (&s.manifest, statics),
            s.as_of.is_some(),
            env,
        )?;
        if let (Some(_), Some(policy)) = (&wait, &mut gate)
            && !fail_on_given
        {
            // While waiting for a rollout, outdated pods are not done (unless --fail-on says).
            policy.fail_on.insert(crate::gate::FailOn::Outdated);
        }
        Ok(Config {
            mode,
            manifests: s.manifest,
            input,
            audit,
            render,
            gate,
            wait,
            watch,
            fleet,
        })
    }
}

/// The fleet flags, checked: `None` for a single-cluster run. Several `--context` values or a
/// named `-f` make a fleet; `-f` values are turned into their paths (`from_file` keeps every
/// path, for the messages that name the input).
fn fleet_settings(
    f: &crate::cli::FleetArgs,
    contexts: &mut Vec<String>,
    from_file: &mut Vec<String>,
) -> Result<Option<FleetSettings>> {
    if f.max_concurrent_clusters == 0 {
        return Err(Error::Usage(
            "--max-concurrent-clusters must be at least 1".into(),
        ));
    }
    // `--context ""` names no context, as with kubectl: the current one.
    contexts.retain(|c| !c.is_empty());
    let mut unique: Vec<String> = Vec::new();
    for c in contexts.drain(..) {
        if !unique.contains(&c) {
            unique.push(c);
        }
    }
    *contexts = unique;
    let named: Vec<Option<(String, String)>> = from_file.iter().map(|p| named_file(p)).collect();
    let any_named = named.iter().any(Option::is_some);
    if any_named && named.iter().any(Option::is_none) {
        return Err(Error::Usage(
            "-f: either name every dump (-f NAME=PATH, a fleet) or none (one cluster)".into(),
        ));
    }
    let selectors = [
        (contexts.len() > 1, "several --context"),
        (f.all_contexts, "--all-contexts"),
        (f.contexts_matching.is_some(), "--contexts-matching"),
        (any_named, "-f NAME=PATH"),
    ];
    let given: Vec<&str> = selectors
        .iter()
        .filter(|(set, _)| *set)
        .map(|(_, s)| *s)
        .collect();
    if given.len() > 1 {
        return Err(Error::Usage(format!(
            "choose the fleet one way: {} cannot be combined",
            given.join(" and ")
        )));
    }
    if given.is_empty() {
        if f.allow_unreachable {
            return Err(Error::Usage(
                "--allow-unreachable applies to a fleet (several --context, --all-contexts, \
                 --contexts-matching or -f NAME=PATH)"
                    .into(),
            ));
        }
        return Ok(None);
    }
    if !from_file.is_empty() && !any_named {
        return Err(Error::Usage(format!(
            "{} reads clusters: it cannot be combined with --from-file (name the dumps: -f NAME=PATH)",
            given[0]
        )));
    }
    if any_named && !contexts.is_empty() {
        return Err(Error::Usage(
            "-f NAME=PATH names offline clusters: it cannot be combined with --context".into(),
        ));
    }
    let selection = if any_named {
        let mut clusters: Vec<(String, Vec<String>)> = Vec::new();
        for (name, path) in named.into_iter().flatten() {
            match clusters.iter_mut().find(|(n, _)| *n == name) {
                Some((_, paths)) => paths.push(path),
                None => clusters.push((name, vec![path])),
            }
        }
        let stdin = clusters
            .iter()
            .filter(|(_, paths)| paths.iter().any(|p| p == "-"))
            .count();
        if stdin > 1 {
            return Err(Error::Usage(
                "-f NAME=-: standard input can be the dump of one cluster only".into(),
            ));
        }
        *from_file = clusters
            .iter()
            .flat_map(|(_, paths)| paths.iter().cloned())
            .collect();
        FleetSelection::Files(clusters)
    } else if f.all_contexts {
        FleetSelection::AllContexts
    } else if let Some(glob) = &f.contexts_matching {
        if glob.is_empty() {
            return Err(Error::Usage(
                "--contexts-matching: the GLOB is empty".into(),
            ));
        }
        FleetSelection::Matching(glob.clone())
    } else {
        FleetSelection::Contexts(contexts.clone())
    };
    Ok(Some(FleetSettings {
        selection,
        max_concurrent: f.max_concurrent_clusters,
        allow_unreachable: f.allow_unreachable,
    }))
}

/// `-f NAME=PATH` → (NAME, PATH); `None` for a plain path. A NAME starts with a letter or a
/// digit and holds only letters, digits and `.` `_` `-` `:` `@` (no `/`: `dir/a=b.json` and
/// `./a=b.json` are paths). A file whose own name reads as NAME=PATH is refused when the fleet
/// is read (`crate::fleet`), so `-f ./NAME=PATH` is the way to name it.
pub fn named_file(arg: &str) -> Option<(String, String)> {
    let (name, path) = arg.split_once('=')?;
    let valid = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '@'));
    (valid && !path.is_empty()).then(|| (name.to_string(), path.to_string()))
}

/// `-f NAME=PATH` entries that all name the same cluster become plain paths.
fn unname_single_cluster(from_file: &mut [String]) {
    let named: Option<Vec<(String, String)>> = from_file.iter().map(|p| named_file(p)).collect();
    if let Some(named) = named
        && let Some((first, _)) = named.first()
        && named.iter().all(|(n, _)| n == first)
    {
        for (f, (_, path)) in from_file.iter_mut().zip(named) {
            *f = path;
        }
    }
}

/// Turn `NAMESPACE/NAME` into `NAME` in place; the namespace they name (one for all, agreeing
/// with -n), if any.
fn split_names(names: &mut [String], namespace: Option<&str>) -> Result<Option<String>> {
    let mut named: Option<String> = None;
    for n in names.iter_mut() {
        let Some((ns, name)) = n.split_once('/') else {
            continue;
        };
        if ns.is_empty() || name.is_empty() || name.contains('/') {
            return Err(Error::Usage(format!(
                "invalid DAEMONSET {n:?}: use NAME or NAMESPACE/NAME"
            )));
        }
        not_a_kubectl_type(ns, name)?;
        if let Some(other) = named.as_deref().or(namespace)
            && other != ns
        {
            return Err(Error::Usage(format!(
                "{n} is not in namespace {other}: name DaemonSets of one namespace per run"
            )));
        }
        named = Some(ns.to_string());
        *n = name.to_string();
    }
    Ok(named)
}

/// `ds/NAME`, kubectl's TYPE/NAME out of habit, is refused with the form to give: here a
/// DAEMONSET is NAME or NAMESPACE/NAME, and read as the latter it would look for a namespace
/// `ds` and say the DaemonSet is not found. (A namespace of that name is still named with -n.)
fn not_a_kubectl_type(ns: &str, name: &str) -> Result<()> {
    const DAEMON_SET_TYPES: [&str; 5] = [
        "ds",
        "daemonset",
        "daemonsets",
        "daemonset.apps",
        "daemonsets.apps",
    ];
    if DAEMON_SET_TYPES.contains(&ns.to_ascii_lowercase().as_str()) {
        return Err(Error::Usage(format!(
            "{ns}/{name}: a DAEMONSET is NAME or NAMESPACE/NAME, not kubectl's TYPE/NAME: give \
             {name} (-n NAMESPACE, or NAMESPACE/{name}); for a namespace named {ns}, -n {ns} {name}"
        )));
    }
    Ok(())
}

fn gate_policy(g: crate::cli::GateArgs) -> Result<Option<crate::gate::Policy>> {
    use crate::gate::{FailOn, Policy};
    let given = [
        (!g.fail_on.is_empty(), "--fail-on"),
        (g.min_coverage.is_some(), "--min-coverage"),
        (g.grace.is_some(), "--grace"),
        (g.ignore_unready_nodes, "--ignore-unready-nodes"),
        (g.include_draining_nodes, "--include-draining-nodes"),
        (g.expect_nodes.is_some(), "--expect-nodes"),
        (g.allow_empty, "--allow-empty"),
    ];
    if !g.check {
        if let Some((_, flag)) = given.iter().find(|(set, _)| *set) {
            return Err(Error::Usage(format!(
                "{flag} is a gate policy: add --check"
            )));
        }
        return Ok(None);
    }
    let mut policy = Policy::default();
    if !g.fail_on.is_empty() {
        policy.fail_on = g
            .fail_on
            .iter()
            .map(|s| FailOn::parse(s).map_err(|e| Error::Usage(format!("invalid --fail-on: {e}"))))
            .collect::<Result<_>>()?;
    }
    if let Some(p) = g.min_coverage {
        if !(0.0..=100.0).contains(&p) {
            return Err(Error::Usage(format!(
                "invalid --min-coverage {p}: use a percentage from 0 to 100"
            )));
        }
        policy.min_coverage = Some(p);
    }
    if let Some(d) = &g.grace {
        let secs =
            crate::duration::parse(d).map_err(|e| Error::Usage(format!("invalid --grace: {e}")))?;
        policy.grace_seconds = Some(secs.ceil() as i64);
    }
    policy.ignore_unready_nodes = g.ignore_unready_nodes;
    policy.include_draining_nodes = g.include_draining_nodes;
    policy.allow_empty = g.allow_empty;
    policy.expect_nodes = parse_selector("--expect-nodes", g.expect_nodes.as_deref())?;
    Ok(Some(policy))
}

/// A `--fail-on` that names what the audit cannot judge is refused rather than left to pass:
/// `NoEligibleNode` with `--node-selector`. Only the selected nodes are read, so a DaemonSet
/// eligible on none of them may be eligible on a node left out; by default the gate does not
/// judge it then (`gate::evaluate_scoped`), but a gate asked for it by name would pass without
/// having looked.
fn refuse_unjudgeable(
    gate: Option<&crate::gate::Policy>,
    fail_on_given: bool,
    audit: &crate::coverage::Options,
) -> Result<()> {
    use crate::gate::FailOn;
    if let (Some(policy), Some(sel)) = (gate, &audit.node_selector)
        && fail_on_given
        && policy.fail_on.contains(&FailOn::NoEligibleNode)
    {
        return Err(Error::Usage(format!(
            "--fail-on NoEligibleNode cannot be judged with --node-selector {sel}: only the \
             selected nodes are audited, and a DaemonSet eligible on none of them may be \
             eligible on another; drop NoEligibleNode from --fail-on, or drop --node-selector \
             (--expect-nodes SELECTOR requires the nodes it matches to be eligible)"
        )));
    }
    Ok(())
}

/// `--static-pods` and its `--expect-static NAME=SELECTOR` expectations.
fn static_options(s: crate::cli::StaticArgs) -> Result<Option<crate::coverage::StaticOptions>> {
    if !s.static_pods {
        if !s.expect_static.is_empty() {
            return Err(Error::Usage(
                "--expect-static applies to --static-pods: add --static-pods".into(),
            ));
        }
        return Ok(None);
    }
    let mut expectations = Vec::new();
    for e in &s.expect_static {
        let invalid = |why: &str| {
            Error::Usage(format!(
                "invalid --expect-static {e:?}: {why} (expected NAME=SELECTOR, e.g. \
                 etcd=node-role.kubernetes.io/control-plane)"
            ))
        };
        let (name, selector) = e.split_once('=').ok_or_else(|| invalid("no `=`"))?;
        let (namespace, name) = match name.split_once('/') {
            Some((ns, n)) if !ns.is_empty() && !n.is_empty() && !n.contains('/') => {
                (Some(ns.to_string()), n.to_string())
            }
            Some(_) => return Err(invalid("use NAME or NAMESPACE/NAME")),
            None => (None, name.to_string()),
        };
        if name.is_empty() {
            return Err(invalid("no NAME"));
        }
        // A mirror pod is named NAME-<node>, a DNS subdomain: lowercase letters, digits, '-'
        // and '.'; any other NAME names no family.
        if !name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        {
            return Err(invalid(
                "NAME is a pod's name without its node, in lowercase letters, digits, '-' and '.'",
            ));
        }
        let parsed = Selector::parse(selector).map_err(|why| invalid(&why.to_string()))?;
        expectations.push(crate::coverage::ExpectStatic {
            namespace,
            name,
            selector: parsed,
            // An empty selector selects every node, as `-l ''` does.
            text: if selector.trim().is_empty() {
                "every node".to_string()
            } else {
                selector.to_string()
            },
        });
    }
    Ok(Some(crate::coverage::StaticOptions { expectations }))
}

/// `--static-pods` with `--wait` or `--watch`: the follow loop's feeds (`follow/live.rs`) are the
/// DaemonSet reads; the mirror pods, read per node (`source/cluster.rs: static_pod_nodes`), are
/// not followed, so static-pod families would be judged on no pods at all.
const STATIC_NOT_FOLLOWED: &str = "{flag} does not follow static pods: drop --static-pods, or \
     audit them once without {flag} (kubectl ds-coverage --static-pods --check)";

/// `--watch`: a live cluster, no gate (`--check --wait` is the gate's way to follow), and a
/// format that can show changes: table, wide or matrix redrawn on a terminal, text lines
/// otherwise, NDJSON with `-o json`.
fn watch_settings(
    gate: &crate::cli::GateArgs,
    follow: &crate::cli::FollowArgs,
    input: &Input,
    (manifests, statics): (&[String], bool),
    as_of: bool,
    format: Format,
    env: &Env,
) -> Result<Option<WatchSettings>> {
    if !follow.watch {
        return Ok(None);
    }
    if gate.check || follow.wait.is_some() {
        return Err(Error::Usage(
            "--watch shows changes; to wait for the gate use --check --wait DURATION".into(),
        ));
    }
    if matches!(input, Input::Files(_)) {
        return Err(Error::Usage(
            "--watch follows a live cluster: it cannot read --from-file".into(),
        ));
    }
    if !manifests.is_empty() {
        return Err(Error::Usage(
            "--watch cannot follow a what-if (--manifest)".into(),
        ));
    }
    if as_of {
        return Err(Error::Usage(
            "--watch follows the clock: it cannot be combined with --as-of".into(),
        ));
    }
    if statics {
        return Err(Error::Usage(
            STATIC_NOT_FOLLOWED.replace("{flag}", "--watch"),
        ));
    }
    if !matches!(
        format,
        Format::Table | Format::Wide | Format::Matrix | Format::Json
    ) {
        return Err(Error::Usage(
            "--watch supports -o table (default), wide, matrix and json (NDJSON)".into(),
        ));
    }
    let ndjson = format == Format::Json;
    Ok(Some(WatchSettings {
        redraw: !ndjson && env.stdout_is_terminal,
        ndjson,
        height: env.height,
    }))
}

/// `--wait DURATION` (read as kubectl reads `--request-timeout`) and `--no-fail-fast`: only
/// with `--check`, on a live cluster, and not for a what-if (`--manifest`: nothing will roll).
fn wait_settings(
    f: crate::cli::FollowArgs,
    gate: &Option<crate::gate::Policy>,
    input: &Input,
    (manifests, statics): (&[String], bool),
    as_of: bool,
    env: &Env,
) -> Result<Option<WaitSettings>> {
    let Some(wait) = f.wait else {
        if f.no_fail_fast {
            return Err(Error::Usage("--no-fail-fast applies to --wait".into()));
        }
        return Ok(None);
    };
    if gate.is_none() {
        return Err(Error::Usage(
            "--wait waits for the gate to pass: add --check".into(),
        ));
    }
    if matches!(input, Input::Files(_)) {
        return Err(Error::Usage(
            "--wait follows a live cluster: it cannot read --from-file".into(),
        ));
    }
    if !manifests.is_empty() {
        return Err(Error::Usage(
            "--wait cannot wait for a what-if (--manifest): apply it, then wait".into(),
        ));
    }
    if as_of {
        return Err(Error::Usage(
            "--wait follows the clock: it cannot be combined with --as-of".into(),
        ));
    }
    if statics {
        return Err(Error::Usage(
            STATIC_NOT_FOLLOWED.replace("{flag}", "--wait"),
        ));
    }
    let deadline = match parse_request_timeout(&wait) {
        Ok(Some(d)) => d,
        _ => {
            return Err(Error::Usage(format!(
                "invalid --wait {wait:?}: use a positive number of seconds or a duration such as 30s or 10m"
            )));
        }
    };
    Ok(Some(WaitSettings {
        deadline,
        fail_fast: !f.no_fail_fast,
        stderr_is_terminal: env.stderr_is_terminal,
    }))
}

/// kubectl's `--request-timeout`: `0` (no timeout), a plain integer (seconds), or a duration.
fn parse_request_timeout(s: &str) -> Result<Option<std::time::Duration>> {
    let secs = match s.trim().parse::<u64>() {
        Ok(n) => n as f64,
        Err(_) => crate::duration::parse(s).map_err(|_| {
            Error::Usage(format!(
                "invalid --request-timeout {s:?}: use 0, a number of seconds, or a duration such as 30s or 2m"
            ))
        })?,
    };
    if secs <= 0.0 {
        return Ok(None);
    }
    std::time::Duration::try_from_secs_f64(secs)
        .map(Some)
        .map_err(|_| Error::Usage(format!("invalid --request-timeout {s:?}: too long")))
}

fn parse_selector(flag: &str, s: Option<&str>) -> Result<Option<Selector>> {
    s.map(|s| Selector::parse(s).map_err(|e| Error::Usage(format!("invalid {flag}: {e}"))))
        .transpose()
}

/// `fix`'s flags, checked: acting (`--yes`, `--dry-run`, `--plan-file`) needs a live cluster.
fn fix_settings(
    f: crate::cli::FixArgs,
    offline: bool,
    env: &Env,
) -> Result<crate::fix::FixSettings> {
    use crate::cli::DryRunArg;
    use crate::fix::apply::{ApplyOptions, DryRun};
    let dry_run = match f.dry_run {
        None | Some(DryRunArg::None) => DryRun::None,
        Some(DryRunArg::Client) => DryRun::Client,
        Some(DryRunArg::Server) => DryRun::Server,
    };
    if offline {
        let acting = [
            (f.yes, "--yes"),
            (dry_run != DryRun::None, "--dry-run"),
            (f.plan_file.is_some(), "--plan-file"),
        ];
        if let Some((_, flag)) = acting.iter().find(|(set, _)| *set) {
            return Err(Error::Usage(format!(
                "fix needs a live cluster to act ({flag} given with --from-file); without it, fix only shows the plan"
            )));
        }
    }
    let timeout = crate::duration::parse(&f.timeout)
        .ok()
        .filter(|s| *s > 0.0 && s.is_finite())
        .ok_or_else(|| {
            Error::Usage(format!(
                "invalid --timeout {:?}: use a positive duration such as 30s or 5m",
                f.timeout
            ))
        })?;
    if f.max_unavailable == 0 || f.max_concurrent == 0 {
        return Err(Error::Usage(
            "--max-unavailable and --max-concurrent must be at least 1".into(),
        ));
    }
    Ok(crate::fix::FixSettings {
        names: f.daemon_sets,
        options: crate::fix::plan::FixOptions {
            delete: f.delete,
            keep_tolerated: f.keep_tolerated,
            outdated: f.outdated,
        },
        apply: ApplyOptions {
            dry_run,
            timeout: std::time::Duration::from_secs_f64(timeout.min(1e9)),
            max_concurrent: f.max_concurrent,
            max_unavailable: f.max_unavailable,
        },
        yes: f.yes,
        plan_file: f.plan_file,
        interactive: env.stdin_is_terminal && env.stderr_is_terminal,
    })
}

#[cfg(test)]
mod request_timeout_tests {
    use super::parse_request_timeout;
    use std::time::Duration;

    #[test]
    fn request_timeouts_parse_as_kubectl_and_never_overflow() {
        assert_eq!(parse_request_timeout("0").unwrap(), None);
        assert_eq!(
            parse_request_timeout("30").unwrap(),
            Some(Duration::from_secs(30))
        );
        assert_eq!(
            parse_request_timeout("2m").unwrap(),
            Some(Duration::from_secs(120))
        );
        let e = parse_request_timeout("99999999999999999h").unwrap_err();
        assert!(e.to_string().contains("too long"), "{e}");
        assert!(parse_request_timeout("soon").is_err());
    }
}

#[cfg(test)]
mod named_file_tests {
    use super::named_file;

    #[test]
    fn a_dump_is_named_only_by_a_context_like_name_before_the_first_equals_sign() {
        let named = |n: &str, p: &str| Some((n.to_string(), p.to_string()));
        assert_eq!(named_file("prod=dump.json"), named("prod", "dump.json"));
        assert_eq!(named_file("prod-eu.1=dir/"), named("prod-eu.1", "dir/"));
        assert_eq!(named_file("ctx@admin=-"), named("ctx@admin", "-"));
        assert_eq!(named_file("x=./a=b.json"), named("x", "./a=b.json"));
        for path in [
            "dump.json",
            "./a=b.json",
            "dumps/a=b.json",
            "/abs/a=b",
            "=dump.json",
            "prod=",
            "-",
            "my dump=x",
        ] {
            assert_eq!(named_file(path), None, "{path}");
        }
    }
}
