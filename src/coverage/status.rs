//! The seven status numbers the DaemonSet controller writes, computed from the objects
//! (`pkg/controller/daemon/daemon_controller.go: updateDaemonSetStatus`), and the comparison with
//! the status as read.

use jiff::Timestamp;

use crate::model::{DaemonSet, Pod};
use crate::report::{ComputedStatus, ControllerStatus};

/// One node's share of `updateDaemonSetStatus`: `first` is the pod the controller looks at
/// (the first in its order), `updated` whether it runs the current template.
pub(super) fn count(
    status: &mut ComputedStatus,
    should_run: bool,
    first: Option<&Pod>,
    updated: bool,
    ds: &DaemonSet,
    now: Timestamp,
) {
    if should_run {
        status.desired_number_scheduled += 1;
        if let Some(p) = first {
            status.current_number_scheduled += 1;
            if p.is_ready() {
                status.number_ready += 1;
                if p.is_available(ds.spec.min_ready_seconds, now) {
                    status.number_available += 1;
                }
            }
            if updated {
                status.updated_number_scheduled += 1;
            }
        }
    } else if first.is_some() {
        status.number_misscheduled += 1;
    }
}

/// The derived number, once every node is counted.
pub(super) fn finish(status: &mut ComputedStatus) {
    status.number_unavailable = (status.desired_number_scheduled - status.number_available).max(0);
}

/// The DaemonSet's `.status` as read (absent numbers read as 0).
pub(super) fn read(ds: &DaemonSet) -> Option<ControllerStatus> {
    ds.status.as_ref().map(|s| ControllerStatus {
        numbers: ComputedStatus {
            desired_number_scheduled: s.desired_number_scheduled,
            current_number_scheduled: s.current_number_scheduled,
            number_misscheduled: s.number_misscheduled,
            number_ready: s.number_ready,
            number_available: s.number_available.unwrap_or(0),
            updated_number_scheduled: s.updated_number_scheduled.unwrap_or(0),
            number_unavailable: s.number_unavailable.unwrap_or(0),
        },
        observed_generation: s.observed_generation,
        generation: ds.metadata.generation,
    })
}

/// Whether the status as read agrees with the computed one and is current, with a warning
/// when it does not. `updated_unknowable`: without a revision hash or template generation,
/// "updated" cannot be computed, so the status is not called wrong for it.
pub(super) fn agrees(
    read: &ControllerStatus,
    computed: &ComputedStatus,
    updated_unknowable: bool,
    warnings: &mut Vec<String>,
) -> bool {
    let mut comparable = computed.clone();
    if updated_unknowable {
        comparable.updated_number_scheduled = read.numbers.updated_number_scheduled;
    }
    let numbers_agree = read.numbers == comparable;
    let generation_current = match (read.observed_generation, read.generation) {
        (Some(o), Some(g)) => o >= g,
        _ => true,
    };
    if !generation_current {
        warnings.push(format!(
            "status is stale: observedGeneration {} is behind generation {}; the \
             controller has not processed the latest change",
            read.observed_generation.unwrap_or(0),
            read.generation.unwrap_or(0)
        ));
    } else if !numbers_agree {
        warnings.push(status_difference(&read.numbers, &comparable));
    }
    numbers_agree && generation_current
}

fn status_difference(read: &ComputedStatus, computed: &ComputedStatus) -> String {
    let pairs = [
        (
            "desiredNumberScheduled",
            read.desired_number_scheduled,
            computed.desired_number_scheduled,
        ),
        (
            "currentNumberScheduled",
            read.current_number_scheduled,
            computed.current_number_scheduled,
        ),
        (
            "numberMisscheduled",
            read.number_misscheduled,
            computed.number_misscheduled,
        ),
        ("numberReady", read.number_ready, computed.number_ready),
        (
            "numberAvailable",
            read.number_available,
            computed.number_available,
        ),
        (
            "updatedNumberScheduled",
            read.updated_number_scheduled,
            computed.updated_number_scheduled,
        ),
        (
            "numberUnavailable",
            read.number_unavailable,
            computed.number_unavailable,
        ),
    ];
    let diffs: Vec<String> = pairs
        .iter()
        .filter(|(_, r, c)| r != c)
        .map(|(n, r, c)| format!("{n} {r} (objects say {c})"))
        .collect();
    format!(
        "the DaemonSet's status disagrees with its pods: {}; the status lags or the controller is not syncing",
        diffs.join(", ")
    )
}
