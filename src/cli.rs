//! Command-line definition (clap derive only; `config` turns it into a validated `Config`).

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-ds_coverage",
    bin_name = "kubectl ds-coverage",
    version,
    // A flag given twice takes its last value, as kubectl's (pflag) do: `-o json -o yaml` is YAML.
    args_override_self = true,
    about = "Is every DaemonSet on every node where it should be, and only there? If not: where, and why.",
    long_about = "Audits DaemonSet coverage: for every (DaemonSet, node) pair decides, exactly as the \
DaemonSet controller does, whether a daemon pod belongs there, and shows which eligible nodes lack \
their daemon, which daemon pods sit where they should not, and why.",
    after_help = "Examples:\n  \
# every DaemonSet in every namespace, from kubectl output saved earlier\n  \
kubectl get nodes,daemonsets,pods,controllerrevisions -A -o json > cluster.json\n  \
kubectl ds-coverage -A --from-file cluster.json\n\n  \
# one DaemonSet, as JSON for jq\n  \
kubectl ds-coverage -n logging fluent-bit -f cluster.json -o json \\\n    | jq '.daemonSets[0].counts'\n\n\
Exit codes: 0 report produced, 1 --check failed, 2 usage error, 3 cannot read the cluster or input,\n\
4 fix: an action failed."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,

    /// DaemonSet names to audit (default: all in the namespace).
    #[arg(value_name = "DAEMONSET")]
    pub daemon_sets: Vec<String>,

    #[command(flatten)]
    pub scope: ScopeArgs,

    #[command(flatten)]
    pub output: OutputArgs,

    #[command(flatten)]
    pub gate: GateArgs,

    #[command(flatten)]
    pub statics: StaticArgs,

    #[command(flatten)]
    pub follow: FollowArgs,

    #[command(flatten)]
    pub connection: ConnectionArgs,

    #[command(flatten)]
    pub fleet: FleetArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every rule, checked, for one (DaemonSet, node) pair, and what to change.
    Explain(ExplainArgs),
    /// Print the JSON Schema of a JSON output: the report (the default), explain's
    /// explanation, fix's plan or a fleet's report (as JSON, or YAML with -o yaml).
    Schema {
        #[arg(value_enum, value_name = "WHICH", default_value_t = SchemaKind::Report)]
        which: SchemaKind,
    },
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted
    /// nodes, with --outdated OnDelete pods), show it, and carry it out with --yes.
    Fix(FixArgs),
}

/// Which JSON output `schema` describes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SchemaKind {
    /// The report (`-o json`).
    Report,
    /// `explain -o json`.
    Explain,
    /// `fix -o json`: the plan, and the result once it acted.
    Plan,
    /// A fleet's `-o json` (several clusters).
    Fleet,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The DaemonSet: NAME (with -n) or NAMESPACE/NAME.
    #[arg(value_name = "DAEMONSET")]
    pub daemon_set: String,

    /// The node.
    #[arg(value_name = "NODE")]
    pub node: String,
}

#[derive(Debug, Args)]
#[command(
    next_help_heading = "Fix",
    after_help = "Exit codes: 0 plan shown, or every action attempted succeeded; 2 usage \
error; 3 cannot read the cluster; 4 an action failed (or a roll stopped)."
)]
pub struct FixArgs {
    /// DaemonSet names to fix (default: all in the namespace).
    #[arg(value_name = "DAEMONSET")]
    pub daemon_sets: Vec<String>,

    /// Act without asking (otherwise only on a terminal, after typing yes).
    #[arg(short = 'y', long)]
    pub yes: bool,

    /// Delete misscheduled pods instead of evicting them (evictions respect
    /// PodDisruptionBudgets).
    #[arg(long)]
    pub delete: bool,

    /// Leave misscheduled pods that the controller itself keeps (only NoSchedule taints
    /// untolerated).
    #[arg(long)]
    pub keep_tolerated: bool,

    /// Also replace outdated pods of OnDelete DaemonSets, node by node, waiting for each
    /// replacement to be Ready.
    #[arg(long)]
    pub outdated: bool,

    /// At most this many outdated pods of a DaemonSet replaced and not yet Ready at a time.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 1
    )]
    pub max_unavailable: usize,

    /// At most this many deletions or evictions in flight at once.
    #[arg(
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 4
    )]
    pub max_concurrent: usize,

    /// How long to retry an eviction a PodDisruptionBudget refuses, and to wait for each
    /// replacement to be Ready (e.g. 30s, 5m).
    #[arg(long, value_name = "DURATION", default_value = "5m")]
    pub timeout: String,

    /// client: re-read the pods, send no change; server: send every call with dryRun=All.
    #[arg(long, value_enum, value_name = "MODE", num_args = 0..=1, require_equals = true, default_missing_value = "client")]
    pub dry_run: Option<DryRunArg>,

    /// Act on a plan saved with `fix -o json` (only its pods that are unchanged and still
    /// planned).
    #[arg(long, value_name = "FILE")]
    pub plan_file: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DryRunArg {
    None,
    Client,
    Server,
}

/// The CI gate.
#[derive(Debug, Args)]
#[command(next_help_heading = "CI gate")]
pub struct GateArgs {
    /// Exit 1 when DaemonSets are not where they should be (eligible pairs not Ready, and
    /// misscheduled pairs); a short verdict goes to stderr in every output format.
    #[arg(global = true, long)]
    pub check: bool,

    /// States that fail the gate, comma-separated: Missing, Pending, NotReady, Failed,
    /// Misscheduled, NoEligibleNode (not judged with --node-selector), Unknown, outdated.
    /// Default: all but outdated.
    #[arg(global = true, long, value_name = "STATES", value_delimiter = ',')]
    pub fail_on: Vec<String>,

    /// Pass a DaemonSet whose coverage is at least PCT percent despite not-Ready pairs.
    #[arg(global = true, long, value_name = "PCT", allow_negative_numbers = true)]
    pub min_coverage: Option<f64>,

    /// Ignore nodes and pods younger than this (e.g. 2m); measured against --as-of when given.
    #[arg(global = true, long, value_name = "DURATION")]
    pub grace: Option<String>,

    /// Ignore nodes whose own Ready condition is not True.
    #[arg(global = true, long)]
    pub ignore_unready_nodes: bool,

    /// Count nodes that the cluster autoscaler or Karpenter is removing (ignored by default).
    #[arg(global = true, long)]
    pub include_draining_nodes: bool,

    /// Require every node matching this label selector to be eligible for every audited
    /// DaemonSet (catches a toleration or selector typo before desired=0 goes unnoticed).
    #[arg(global = true, long, value_name = "SELECTOR")]
    pub expect_nodes: Option<String>,

    /// Pass the gate when no DaemonSet is audited (by default an empty audit fails: a CI job
    /// that forgot -A, or a -l typo, must not pass).
    #[arg(global = true, long)]
    pub allow_empty: bool,
}

/// Static pods: the kubelet's own pods (mirror pods), beside the DaemonSets.
#[derive(Debug, Args)]
#[command(next_help_heading = "Static pods")]
pub struct StaticArgs {
    /// Also audit static-pod families (mirror pods, grouped by manifest name), in every
    /// namespace: per node Ready, NotReady, Pending, Failed, or Missing where expected.
    #[arg(global = true, long)]
    pub static_pods: bool,

    /// With --static-pods: every node matching SELECTOR must run static pod NAME (or
    /// NAMESPACE/NAME), e.g. etcd=node-role.kubernetes.io/control-plane. Repeatable. Without
    /// one, a family is expected on the nodes sharing the roles of the nodes that run it.
    #[arg(global = true, long, value_name = "NAME=SELECTOR")]
    pub expect_static: Vec<String>,
}

/// Following a rollout on a live cluster (`--wait`).
#[derive(Debug, Args)]
#[command(next_help_heading = "Follow a rollout")]
pub struct FollowArgs {
    /// With --check: follow the cluster (watch) until the gate passes, the rollout included
    /// (every eligible node runs an updated, available pod; outdated counts unless --fail-on
    /// says otherwise), or until DURATION (e.g. 10m) runs out; exits 1 early when waiting
    /// cannot help (image pull, crash loop, no room on the node, eligible on no node).
    #[arg(long, value_name = "DURATION")]
    pub wait: Option<String>,

    /// With --wait: wait until the deadline even when a pod cannot start.
    #[arg(long)]
    pub no_fail_fast: bool,

    /// Follow the cluster until interrupted: on a terminal the report is redrawn as it
    /// changes; otherwise one line per pair whose state changed (NDJSON with -o json).
    #[arg(long)]
    pub watch: bool,
}

/// kubectl's connection flags.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection (as kubectl)")]
pub struct ConnectionArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(global = true, long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to use. Several (repeated, or comma-separated) audit each
    /// context as a cluster of a fleet.
    #[arg(global = true, long, value_name = "NAME", value_delimiter = ',')]
    pub context: Vec<String>,

    /// The kubeconfig cluster to use.
    #[arg(global = true, long, value_name = "NAME")]
    pub cluster: Option<String>,

    /// The kubeconfig user to use.
    #[arg(global = true, long, value_name = "NAME")]
    pub user: Option<String>,

    /// Username to impersonate for the requests.
    #[arg(global = true, long = "as", value_name = "USER")]
    pub as_user: Option<String>,

    /// Group to impersonate (repeatable).
    #[arg(global = true, long = "as-group", value_name = "GROUP")]
    pub as_group: Vec<String>,

    /// How long to wait for a single server request: 0 (never give up), or 30s, 2m...
    #[arg(global = true, long, value_name = "DURATION", default_value = "0")]
    pub request_timeout: String,

    /// Don't verify the server's certificate (insecure).
    #[arg(global = true, long)]
    pub insecure_skip_tls_verify: bool,

    /// The address and port of the API server (over the kubeconfig's).
    #[arg(global = true, short = 's', long, value_name = "URL")]
    pub server: Option<String>,

    /// Bearer token for the API server (over the kubeconfig's; never sent over http://).
    #[arg(global = true, long, value_name = "TOKEN")]
    pub token: Option<String>,

    /// Path to a certificate file for the certificate authority.
    #[arg(global = true, long, value_name = "PATH")]
    pub certificate_authority: Option<std::path::PathBuf>,

    /// Path to a client certificate file for TLS.
    #[arg(global = true, long, value_name = "PATH")]
    pub client_certificate: Option<std::path::PathBuf>,

    /// Path to a client key file for TLS.
    #[arg(global = true, long, value_name = "PATH")]
    pub client_key: Option<std::path::PathBuf>,

    /// Server name to check the server's certificate against (default: the server's host).
    #[arg(global = true, long, value_name = "NAME")]
    pub tls_server_name: Option<String>,

    /// UID to impersonate for the requests.
    #[arg(global = true, long = "as-uid", value_name = "UID")]
    pub as_uid: Option<String>,

    /// Don't ask the server to compress responses.
    #[arg(global = true, long)]
    pub disable_compression: bool,

    /// List in pages of this many objects (0: one request per list), as kubectl --chunk-size.
    #[arg(
        global = true,
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 500
    )]
    pub chunk_size: u32,

    /// Log every API request (method, path, status, time) and retry to stderr; never tokens.
    #[arg(global = true, short = 'v', long = "v", value_name = "LEVEL", num_args = 0..=1, require_equals = true, default_missing_value = "6")]
    pub verbosity: Option<u8>,
}

/// Fleets: several clusters (kubeconfig contexts, or named dumps) in one run.
#[derive(Debug, Args)]
#[command(next_help_heading = "Fleets")]
pub struct FleetArgs {
    /// Audit every context of the kubeconfig, each as a cluster of the fleet.
    #[arg(global = true, long)]
    pub all_contexts: bool,

    /// Audit the kubeconfig contexts whose names match GLOB (`*` any run of characters, `?`
    /// one character), e.g. 'prod-*'.
    #[arg(global = true, long, value_name = "GLOB")]
    pub contexts_matching: Option<String>,

    /// At most this many clusters of a fleet read at once.
    #[arg(
        global = true,
        long,
        value_name = "N",
        allow_negative_numbers = true,
        default_value_t = 4
    )]
    pub max_concurrent_clusters: usize,

    /// In a fleet, a cluster that cannot be read is a warning, not exit 3: the rest decide.
    #[arg(global = true, long)]
    pub allow_unreachable: bool,
}

#[derive(Debug, Args)]
pub struct ScopeArgs {
    /// Namespace of the DaemonSets (default: the context's namespace, then `default`; with
    /// --from-file, every namespace in the files, as `kubectl get -f` does).
    #[arg(global = true, short = 'n', long, value_name = "NAMESPACE")]
    pub namespace: Option<String>,

    /// Audit DaemonSets in all namespaces.
    #[arg(global = true, short = 'A', long)]
    pub all_namespaces: bool,

    /// Label selector on DaemonSets (`key=value,key2 in (a,b),!key3`).
    #[arg(global = true, short = 'l', long, value_name = "SELECTOR")]
    pub selector: Option<String>,

    /// Audit only the nodes matching this label selector (the others are not read, so a
    /// DaemonSet eligible on none of the selected nodes is not judged NoEligibleNode).
    #[arg(global = true, long, value_name = "SELECTOR")]
    pub node_selector: Option<String>,

    /// Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster:
    /// files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`),
    /// or `-` for stdin. Repeatable. NAME=PATH names the cluster a dump is of: a fleet, one
    /// cluster per NAME.
    #[arg(global = true, short = 'f', long = "from-file", value_name = "PATH")]
    pub from_file: Vec<String>,

    /// Evaluate ages and minReadySeconds as of this instant (RFC 3339), e.g. for a dump taken
    /// days ago. Default: now.
    #[arg(global = true, long, value_name = "TIME")]
    pub as_of: Option<String>,

    /// DaemonSet manifests that are not applied yet (multi-document YAML as `helm template` or
    /// `kustomize build` print it; repeatable): where would they land? A manifest with the name
    /// of an existing DaemonSet shows the effect of the change on its pods.
    #[arg(global = true, long, value_name = "FILE")]
    pub manifest: Vec<String>,

    /// Evaluate Lt/Gt tolerations, as clusters with the TaintTolerationComparisonOperators
    /// feature gate (alpha in 1.35, off by default) do.
    #[arg(global = true, long)]
    pub toleration_comparison_operators: bool,
}

#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Output format.
    #[arg(global = true, short = 'o', long, value_enum, default_value_t = Format::Table)]
    pub output: Format,

    /// Also report pairs where the DaemonSet wants no pod, with the reasons.
    #[arg(global = true, long)]
    pub include_ineligible: bool,

    /// Matrix rows: fold nodes by the value of this label (e.g. topology.kubernetes.io/zone).
    #[arg(global = true, long, value_name = "LABEL")]
    pub group_by: Option<String>,

    /// Matrix: show every row, also on large clusters where fully covered rows are hidden.
    #[arg(global = true, long)]
    pub all_nodes: bool,

    /// Matrix: leave out the columns of DaemonSets with every eligible node Ready and nothing
    /// else to report.
    #[arg(global = true, long)]
    pub hide_covered: bool,

    /// Matrix: at most N DaemonSet columns per page (default: as many as fit the width).
    #[arg(global = true, long, value_name = "N", allow_negative_numbers = true)]
    pub max_columns: Option<usize>,

    /// Table and wide: list every problem node under each DaemonSet, not only the first 5
    /// (the default when a single DaemonSet is named).
    #[arg(global = true, long)]
    pub all_problems: bool,

    /// Don't print headers (and, in tables, the detail and summary lines), like kubectl.
    /// Table and wide rows then always have every column, names whole, whatever the width.
    #[arg(global = true, long)]
    pub no_headers: bool,

    /// -o prometheus: at most N per-node gap series (ds_coverage_gap) per run, 500 by default;
    /// the rest are counted in ds_coverage_gaps_truncated.
    #[arg(global = true, long, value_name = "N", allow_negative_numbers = true)]
    pub metrics_max_gaps: Option<usize>,

    /// When to colour the output (json and yaml are never coloured). NO_COLOR is honoured.
    #[arg(global = true, long, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One row per DaemonSet, with the nodes concerned under each imperfect row.
    Table,
    /// The table plus placement rules and the reasons nodes are excluded.
    Wide,
    /// Nodes × DaemonSets, one symbol per pair (see --group-by, --all-nodes).
    Matrix,
    /// The report as JSON (schemaVersion 1).
    Json,
    /// The report as YAML.
    Yaml,
    /// Summary table and per-DaemonSet details for a PR comment or CI step summary.
    Markdown,
    /// JUnit XML: one testsuite per DaemonSet, one testcase per eligible pair.
    Junit,
    /// OpenMetrics text for node-exporter's textfile collector or a Pushgateway.
    Prometheus,
}

impl Format {
    /// Meant for people (tables, matrix), as opposed to machine formats.
    pub fn is_human(self) -> bool {
        matches!(self, Format::Table | Format::Wide | Format::Matrix)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Flags of the report that do not apply to each subcommand: hidden from its help and
/// completion, and refused (a usage error naming the subcommand) when given.
const NOT_FOR: &[(&str, &[&str])] = &[
    (
        "explain",
        &[
            "selector",
            "node_selector",
            "include_ineligible",
            "group_by",
            "all_nodes",
            "hide_covered",
            "max_columns",
            "all_problems",
            "no_headers",
            "metrics_max_gaps",
            "all_contexts",
            "contexts_matching",
            "max_concurrent_clusters",
            "allow_unreachable",
        ],
    ),
    (
        "fix",
        &[
            "manifest",
            "include_ineligible",
            "group_by",
            "all_nodes",
            "hide_covered",
            "max_columns",
            "all_problems",
            "no_headers",
            "color",
            "static_pods",
            "expect_static",
            "metrics_max_gaps",
            "all_contexts",
            "contexts_matching",
            "max_concurrent_clusters",
            "allow_unreachable",
        ],
    ),
    ("schema", &["*"]),
    ("completion", &["*"]),
];

/// The report's gate flags: `--check` and its policy, for no subcommand.
const GATE: &[&str] = &[
    "check",
    "fail_on",
    "min_coverage",
    "grace",
    "ignore_unready_nodes",
    "include_draining_nodes",
    "expect_nodes",
    "allow_empty",
];

/// The formats each subcommand prints (`-o`), with what each one shows there.
fn formats_of(sub: &str) -> Option<Vec<clap::builder::PossibleValue>> {
    use clap::builder::PossibleValue;
    match sub {
        "explain" => Some(vec![
            PossibleValue::new("table").help("Every rule, checked, with what to change"),
            PossibleValue::new("json").help("The explanation as JSON (schemaVersion 1)"),
            PossibleValue::new("yaml").help("The explanation as YAML"),
        ]),
        "fix" => Some(vec![
            PossibleValue::new("table").help("The plan (and, when acting, each result)"),
            PossibleValue::new("json").help("The plan or result as JSON (schemaVersion 1)"),
            PossibleValue::new("yaml").help("The plan or result as YAML"),
        ]),
        "schema" => Some(vec![
            PossibleValue::new("json").help("The JSON Schema as JSON"),
            PossibleValue::new("yaml").help("The JSON Schema as YAML"),
        ]),
        _ => None,
    }
}

/// The command line definition with each subcommand's help trimmed to the flags that apply
/// to it (see [`parse_from`]).
pub fn command() -> clap::Command {
    use clap::CommandFactory;
    use clap::builder::TypedValueParser;
    let mut cmd = Cli::command();
    let names: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for name in names {
        // A subcommand's own copy of a global flag is kept when clap propagates the globals.
        let not_for = not_applicable(&cmd, &name);
        let mut own: Vec<clap::Arg> = cmd
            .get_arguments()
            .filter(|a| not_for.iter().any(|id| a.get_id() == id.as_str()))
            .map(|a| a.clone().hide(true))
            .collect();
        if let (Some(values), Some(output)) = (
            formats_of(&name),
            cmd.get_arguments().find(|a| a.get_id() == "output"),
        ) {
            let parser = clap::builder::PossibleValuesParser::new(values).map(|s: String| {
                <Format as ValueEnum>::from_str(&s, false).unwrap_or(Format::Json)
            });
            let default = if name == "schema" { "json" } else { "table" };
            own.push(output.clone().value_parser(parser).default_value(default));
        }
        cmd = cmd.mut_subcommand(&name, |sub| sub.args(own));
    }
    cmd
}

/// Ids of the flags that do not apply to subcommand `sub`.
fn not_applicable(cmd: &clap::Command, sub: &str) -> Vec<String> {
    let listed = NOT_FOR
        .iter()
        .find(|(name, _)| *name == sub)
        .map(|(_, ids)| *ids)
        .unwrap_or(&[]);
    if cmd.find_subcommand(sub).is_none() {
        return Vec::new();
    }
    cmd.get_arguments()
        .filter(|a| a.is_global_set())
        .map(|a| a.get_id().to_string())
        .filter(|id| {
            let everything = listed.contains(&"*") && !(sub == "schema" && id == "output");
            GATE.contains(&id.as_str()) || everything || listed.contains(&id.as_str())
        })
        .collect()
}

/// Parse the command line: clap's parse, then refuse flags given to a subcommand they do not
/// apply to (clap's own errors, exit code 2 in `main`).
pub fn parse_from<I, T>(args: I) -> Result<Cli, clap::Error>
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    use clap::FromArgMatches;
    use clap::parser::ValueSource;
    let mut cmd = command();
    let matches = cmd.try_get_matches_from_mut(args)?;
    if let Some((sub, sub_matches)) = matches.subcommand() {
        for id in not_applicable(&cmd, sub) {
            let given = |m: &clap::ArgMatches| {
                m.try_contains_id(&id).unwrap_or(false)
                    && m.value_source(&id) == Some(ValueSource::CommandLine)
            };
            if given(sub_matches) || given(&matches) {
                let flag = cmd
                    .get_arguments()
                    .find(|a| a.get_id() == id.as_str())
                    .and_then(|a| a.get_long())
                    .unwrap_or(id.as_str());
                let mut sc = cmd.find_subcommand(sub).cloned().unwrap_or_default();
                return Err(sc.error(
                    clap::error::ErrorKind::ArgumentConflict,
                    format!("`{sub}` does not take --{flag}"),
                ));
            }
        }
    }
    Cli::from_arg_matches(&matches).map_err(|e| e.format(&mut cmd))
}

/// [`parse_from`] on the process's arguments.
pub fn parse() -> Result<Cli, clap::Error> {
    parse_from(kubectl_verbosity(std::env::args_os()))
}

/// kubectl's verbosity forms as clap reads them: `-v 6`, `--v 6` and `-v6` become `--v=6` (a
/// number after `-v` is its level, as in kubectl); `-v` alone and `--v=6` pass unchanged.
pub fn kubectl_verbosity(
    args: impl IntoIterator<Item = std::ffi::OsString>,
) -> Vec<std::ffi::OsString> {
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let mut out = Vec::new();
    let mut args = args.into_iter().peekable();
    while let Some(a) = args.next() {
        let Some(text) = a.to_str() else {
            out.push(a);
            continue;
        };
        if text == "--" {
            out.push(a);
            out.extend(args);
            break;
        }
        if text == "-v" || text == "--v" {
            if let Some(level) = args.next_if(|n| n.to_str().is_some_and(digits)) {
                out.push(format!("--v={}", level.to_string_lossy()).into());
                continue;
            }
        } else if let Some(level) = text.strip_prefix("-v")
            && digits(level)
        {
            out.push(format!("--v={level}").into());
            continue;
        }
        out.push(a);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn level(args: &[&str]) -> (Option<u8>, Vec<String>) {
        let argv = std::iter::once("kubectl-ds_coverage")
            .chain(args.iter().copied())
            .map(std::ffi::OsString::from);
        let cli = Cli::try_parse_from(kubectl_verbosity(argv)).unwrap();
        (cli.connection.verbosity, cli.daemon_sets)
    }

    #[test]
    fn kubectl_verbosity_forms_are_accepted() {
        for args in [
            &["-v", "6", "ds"][..],
            &["--v", "6", "ds"],
            &["--v=6", "ds"],
            &["-v6", "ds"],
            &["-v=6", "ds"],
            &["ds", "-v"],
        ] {
            assert_eq!(level(args), (Some(6), vec!["ds".to_string()]), "{args:?}");
        }
        assert_eq!(level(&["-v", "ds"]), (Some(6), vec!["ds".to_string()]));
        assert_eq!(level(&["-v", "0"]), (Some(0), vec![]));
        assert_eq!(level(&["ds"]), (None, vec!["ds".to_string()]));
        // After `--`, everything is an argument.
        assert_eq!(level(&["--", "-v6"]), (None, vec!["-v6".to_string()]));
    }
}
