//! Command-line definition (clap derive only; `config` turns it into a validated `Config`).

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "kubectl-ds_coverage",
    bin_name = "kubectl ds-coverage",
    version,
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
Exit codes: 0 report produced, 1 --check failed, 2 usage error, 3 cannot read the cluster or input."
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
    pub connection: ConnectionArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Every rule, checked, for one (DaemonSet, node) pair, and what to change.
    Explain(ExplainArgs),
    /// Print the JSON Schema of the `-o json` report.
    Schema,
    /// Print a shell completion script (bash, zsh, fish, powershell, elvish).
    Completion {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Plan the removal of drift (misscheduled, duplicate, failed daemon pods, pods of deleted
    /// nodes, with --outdated OnDelete pods), show it, and carry it out with --yes.
    Fix(FixArgs),
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
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub max_unavailable: usize,

    /// At most this many deletions or evictions in flight at once.
    #[arg(long, value_name = "N", default_value_t = 4)]
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
    #[arg(long)]
    pub check: bool,

    /// States that fail the gate, comma-separated: Missing, Pending, NotReady, Failed,
    /// Misscheduled, outdated. Default: all but outdated.
    #[arg(long, value_name = "STATES", value_delimiter = ',')]
    pub fail_on: Vec<String>,

    /// Pass a DaemonSet whose coverage is at least PCT percent despite not-Ready pairs.
    #[arg(long, value_name = "PCT")]
    pub min_coverage: Option<f64>,

    /// Ignore nodes and pods younger than this (e.g. 2m); measured against --as-of when given.
    #[arg(long, value_name = "DURATION")]
    pub grace: Option<String>,

    /// Ignore nodes whose own Ready condition is not True.
    #[arg(long)]
    pub ignore_unready_nodes: bool,

    /// Count nodes that the cluster autoscaler or Karpenter is removing (ignored by default).
    #[arg(long)]
    pub include_draining_nodes: bool,

    /// Require every node matching this label selector to be eligible for every audited
    /// DaemonSet (catches a toleration or selector typo before desired=0 goes unnoticed).
    #[arg(long, value_name = "SELECTOR")]
    pub expect_nodes: Option<String>,
}

/// kubectl's connection flags.
#[derive(Debug, Args)]
#[command(next_help_heading = "Connection (as kubectl)")]
pub struct ConnectionArgs {
    /// Path to the kubeconfig file (default: KUBECONFIG, then ~/.kube/config, then in-cluster).
    #[arg(global = true, long, value_name = "PATH")]
    pub kubeconfig: Option<std::path::PathBuf>,

    /// The kubeconfig context to use.
    #[arg(global = true, long, value_name = "NAME")]
    pub context: Option<String>,

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

    /// List in pages of this many objects (0: one request per list), as kubectl --chunk-size.
    #[arg(global = true, long, value_name = "N", default_value_t = 500)]
    pub chunk_size: u32,

    /// Log every API request (method, path, status, time) and retry to stderr; never tokens.
    #[arg(global = true, short = 'v', long = "v", value_name = "LEVEL", num_args = 0..=1, require_equals = true, default_missing_value = "6")]
    pub verbosity: Option<u8>,
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

    /// Audit only the nodes matching this label selector.
    #[arg(global = true, long, value_name = "SELECTOR")]
    pub node_selector: Option<String>,

    /// Read cluster state from `kubectl get ... -o json|yaml` output instead of a cluster:
    /// files, directories (recursively, e.g. `kubectl cluster-info dump --output-directory`),
    /// or `-` for stdin. Repeatable.
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
    #[arg(global = true, long, value_name = "N")]
    pub max_columns: Option<usize>,

    /// Table and wide: list every problem node under each DaemonSet, not only the first 5
    /// (the default when a single DaemonSet is named).
    #[arg(global = true, long)]
    pub all_problems: bool,

    /// Don't print headers (and, in tables, the detail and summary lines), like kubectl.
    #[arg(global = true, long)]
    pub no_headers: bool,

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
