//! The fleet report (`-o json|yaml` of a run over several clusters): each cluster's report, or
//! why it could not be read, and the fleet's summary.

use jiff::Timestamp;
use serde::Serialize;

use super::{Counts, Report, Source};

pub const FLEET_KIND: &str = "DaemonSetCoverageFleetReport";

/// ds-coverage's fleet report (`kubectl ds-coverage --context A,B -o json`, schemaVersion 1):
/// one entry per cluster holding that cluster's `DaemonSetCoverageReport`, or the error that
/// kept it from being read, and a summary of the fleet.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DaemonSetCoverageFleetReport")]
pub struct FleetReport {
    pub schema_version: u32,
    pub kind: String,
    /// The instant the audits were evaluated at (`--as-of`, or the clock).
    pub generated_at: Timestamp,
    pub summary: FleetSummary,
    /// The clusters, in the order selected (`--context` as given; kubeconfig order for
    /// `--all-contexts` and `--contexts-matching`; `-f NAME=PATH` as first named).
    pub clusters: Vec<ClusterEntry>,
}

/// One cluster of the fleet: its report, or the error.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterEntry {
    /// The kubeconfig context, or the NAME of `-f NAME=PATH`.
    pub name: String,
    pub source: Source,
    #[serde(flatten)]
    pub outcome: Outcome,
    /// For human formats: what an audit of no DaemonSet looked at and how to widen it (the
    /// notice a single run prints on stderr); not part of the JSON.
    #[serde(skip)]
    #[schemars(skip)]
    pub empty_notice: Option<String>,
}

/// Exactly one of `report` and `error`.
#[derive(Debug, Clone, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Outcome {
    /// The cluster's report, as a single-cluster run prints it.
    Report(Box<Report>),
    /// Why the cluster could not be read.
    Error(ClusterError),
}

/// A cluster that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClusterError {
    /// Unreachable, Timeout, Unauthorized, Forbidden, ApiError, BadResponse, Config, Cluster,
    /// Input or NotFound.
    pub reason: String,
    /// The one line a single-cluster run would print.
    pub message: String,
    /// The exit code a single-cluster run would end with.
    pub exit_code: u8,
}

/// The fleet in numbers: the sums of the reports read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetSummary {
    pub clusters: usize,
    /// Clusters read (with a report).
    pub read: usize,
    /// Clusters that could not be read (with an error).
    pub unreadable: usize,
    pub daemon_sets: usize,
    pub nodes: usize,
    pub pairs: usize,
    #[serde(flatten)]
    pub counts: Counts,
    /// `--check`: the fleet's verdict.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gate: Option<FleetGate>,
}

/// The gate over the fleet: passed when every cluster read passed its own gate (in
/// `clusters[].report.gate`), at least one was read, and none was unreadable unless
/// `--allow-unreachable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub struct FleetGate {
    pub passed: bool,
    /// Clusters whose report failed the policy.
    pub failed: Vec<String>,
    /// Clusters that could not be read.
    pub unreadable: Vec<String>,
    pub allow_unreachable: bool,
}

impl FleetReport {
    /// Assemble the fleet report; the summary is the sum of the reports.
    pub fn new(
        generated_at: Timestamp,
        clusters: Vec<ClusterEntry>,
        gate: Option<FleetGate>,
    ) -> FleetReport {
        let mut summary = FleetSummary {
            clusters: clusters.len(),
            gate,
            ..FleetSummary::default()
        };
        for c in &clusters {
            match &c.outcome {
                Outcome::Report(r) => {
                    summary.read += 1;
                    summary.daemon_sets += r.summary.daemon_sets;
                    summary.nodes += r.summary.nodes;
                    summary.pairs += r.summary.pairs;
                    summary.counts.merge(&r.summary.counts);
                }
                Outcome::Error(_) => summary.unreadable += 1,
            }
        }
        summary.counts.finish();
        FleetReport {
            schema_version: super::SCHEMA_VERSION,
            kind: FLEET_KIND.to_string(),
            generated_at,
            summary,
            clusters,
        }
    }
}
