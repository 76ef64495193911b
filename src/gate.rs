//! The CI gate: Report + policy → violations and an exit code.

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GateReport {
    pub passed: bool,
}
