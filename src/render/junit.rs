//! `-o junit`: one testsuite per DaemonSet, one testcase per eligible pair (plus misscheduled
//! pairs), a failure when the pair violates the gate policy — the shape GitHub, GitLab, Jenkins
//! and Azure test-report readers take.

use std::collections::HashMap;
use std::io::Write;

use crate::gate::{FailOn, GateReport, Violation, ViolationState};
use crate::report::{Report, State};

pub fn render(report: &Report, gate: &GateReport, out: &mut dyn Write) -> std::io::Result<()> {
    write_suites(&suites(report, gate), report.generated_at, out)
}

/// One cluster of a fleet for [`render_fleet`]: its name, and its report with the gate's
/// verdict, or why it could not be read.
pub type FleetCluster<'a> = (&'a str, Result<(&'a Report, GateReport), &'a str>);

/// A fleet's JUnit: each cluster's testsuites (one per DaemonSet) with names led by the
/// cluster's (`CLUSTER: NAMESPACE/NAME`); a cluster that could not be read is one testsuite
/// named after it, with one failed testcase saying why.
pub fn render_fleet(
    clusters: &[FleetCluster<'_>],
    generated_at: jiff::Timestamp,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut all = Vec::new();
    for (name, outcome) in clusters {
        match outcome {
            Ok((report, gate)) => all.extend(suites(report, gate).into_iter().map(|mut s| {
                s.name = format!("{name}: {}", s.name);
                s
            })),
            Err(message) => all.push(Suite {
                name: name.to_string(),
                cases: vec![Case {
                    name: "(cluster could not be read)".into(),
                    failures: vec![("Unreadable", message.to_string())],
                    skipped: None,
                    state: State::Ineligible,
                }],
                coverage: "Unknown".into(),
                what_if: false,
                notes: Vec::new(),
                whole: false,
            }),
        }
    }
    write_suites(&all, generated_at, out)
}

fn suites(report: &Report, gate: &GateReport) -> Vec<Suite> {
    let mut by_pair: HashMap<(&str, &str), Vec<&Violation>> = HashMap::new();
    for v in &gate.violations {
        by_pair
            .entry((v.daemon_set.as_str(), v.node.as_str()))
            .or_default()
            .push(v);
    }
    let ignored: HashMap<(&str, &str), &crate::gate::Exemption> = gate
        .ignored
        .iter()
        .map(|i| ((i.daemon_set.as_str(), i.node.as_str()), &i.reason))
        .collect();

    let suites: Vec<Suite> = report
        .daemon_sets
        .iter()
        .map(|d| {
            let id = format!("{}/{}", d.namespace, d.name);
            let mut cases: Vec<Case> = d
                .nodes
                .iter()
                .filter(|p| p.state.is_eligible() || p.state == State::Misscheduled)
                .map(|p| {
                    let failures: Vec<&Violation> = by_pair
                        .get(&(id.as_str(), p.node.as_str()))
                        .into_iter()
                        .flatten()
                        .copied()
                        .filter(|v| v.state != ViolationState::Ineligible)
                        .collect();
                    Case {
                        name: p.node.clone(),
                        failures: failures
                            .iter()
                            .map(|v| (v.state.as_str(), v.reason.clone()))
                            .collect(),
                        skipped: ignored
                            .get(&(id.as_str(), p.node.as_str()))
                            .map(|s| s.to_string()),
                        state: p.state,
                    }
                })
                .collect();
            // A DaemonSet eligible on no node fails as one testcase of its own.
            for v in gate.violations.iter().filter(|v| {
                v.daemon_set == id && v.state == ViolationState::FailOn(FailOn::NoEligibleNode)
            }) {
                cases.push(Case {
                    name: "(no eligible node)".to_string(),
                    failures: vec![(v.state.as_str(), v.reason.clone())],
                    skipped: None,
                    state: State::Ineligible,
                });
            }
            // With --node-selector, eligible on none of the selected nodes is not judged (it
            // may run on the nodes left out): one skipped testcase says so.
            if let Some(sel) = &report.node_selector
                && d.counts.eligible == 0
                && d.unknown.is_none()
                && !d.exclusions.is_empty()
            {
                cases.push(Case {
                    name: "(no eligible node)".to_string(),
                    failures: Vec::new(),
                    skipped: Some(format!(
                        "eligible on none of the nodes selected by --node-selector {sel}; the \
                         others were not audited, so whether it is eligible on any node is not \
                         known"
                    )),
                    state: State::Ineligible,
                });
            }
            // A DaemonSet whose pods could not be read is one testcase: failed when the gate
            // fails it (Unknown in --fail-on), else skipped with the reason.
            if let Some(u) = &d.unknown {
                let failures: Vec<(&'static str, String)> = gate
                    .violations
                    .iter()
                    .filter(|v| {
                        v.daemon_set == id && v.state == ViolationState::FailOn(FailOn::Unknown)
                    })
                    .map(|v| (v.state.as_str(), v.reason.clone()))
                    .collect();
                cases.push(Case {
                    name: "(pods could not be read)".to_string(),
                    skipped: failures
                        .is_empty()
                        .then(|| format!("pods could not be read: {}", u.reason)),
                    failures,
                    state: State::Ineligible,
                });
            }
            // --expect-nodes violations are about nodes that are not pairs of the report.
            for v in gate
                .violations
                .iter()
                .filter(|v| v.daemon_set == id && v.state == ViolationState::Ineligible)
            {
                cases.push(Case {
                    name: format!("{} (expected eligible)", v.node),
                    failures: vec![(v.state.as_str(), v.reason.clone())],
                    skipped: None,
                    state: State::Ineligible,
                });
            }
            // Facts that are not a testcase: the suite's system-out, as the table tells them.
            let mut notes: Vec<String> = d
                .pods_on_missing_nodes
                .iter()
                .map(crate::render::table::stranded_text)
                .collect();
            notes.extend(
                report
                    .orphans
                    .iter()
                    .filter(|o| o.daemon_set == id)
                    .map(crate::render::table::orphan_text),
            );
            notes.extend(d.warnings.iter().cloned());
            notes.extend(report.warnings.iter().cloned());
            Suite {
                name: id,
                cases,
                coverage: if d.unknown.is_some() {
                    "Unknown".to_string()
                } else {
                    crate::render::style::coverage(&d.counts)
                },
                what_if: d.from_manifest,
                notes,
                whole: false,
            }
        })
        .collect();
    let mut suites = suites;
    // What fails the gate as a whole (nothing audited, no node checked, no node matching
    // --expect-nodes) is a testcase too: a CI report must not read green while the run fails.
    let whole: Vec<Case> = gate
        .violations
        .iter()
        .filter(|v| v.daemon_set == "*")
        .map(|v| Case {
            name: v.state.as_str().to_string(),
            failures: vec![(v.state.as_str(), v.reason.clone())],
            skipped: None,
            state: State::Ineligible,
        })
        .collect();
    if !whole.is_empty() {
        suites.push(Suite {
            name: "(gate)".to_string(),
            cases: whole,
            coverage: crate::render::style::coverage(&report.summary.counts),
            what_if: false,
            notes: Vec::new(),
            whole: true,
        });
    }
    suites
}

fn write_suites(
    suites: &[Suite],
    generated_at: jiff::Timestamp,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let tests: usize = suites.iter().map(|s| s.cases.len()).sum();
    let failures: usize = suites.iter().map(|s| s.failed()).sum();
    let skipped: usize = suites.iter().map(|s| s.skipped()).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="ds-coverage" tests="{tests}" failures="{failures}" errors="0" skipped="{skipped}" time="0">"#
    )?;
    let stamp = generated_at.strftime("%Y-%m-%dT%H:%M:%S").to_string();
    for s in suites {
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{}" errors="0" skipped="{}" time="0" timestamp="{stamp}">"#,
            xml(&s.name),
            s.cases.len(),
            s.failed(),
            s.skipped()
        )?;
        writeln!(out, "    <properties>")?;
        writeln!(
            out,
            r#"      <property name="coverage" value="{}"/>"#,
            xml(&s.coverage)
        )?;
        if s.what_if {
            writeln!(
                out,
                r#"      <property name="what-if" value="not applied (--manifest)"/>"#
            )?;
        }
        writeln!(out, "    </properties>")?;
        for c in &s.cases {
            write!(
                out,
                r#"    <testcase name="{}" classname="{}" time="0""#,
                xml(&c.name),
                xml(&s.name)
            )?;
            if c.failures.is_empty() && c.skipped.is_none() {
                writeln!(out, "/>")?;
                continue;
            }
            writeln!(out, ">")?;
            if let Some(why) = &c.skipped {
                writeln!(out, r#"      <skipped message="{}"/>"#, xml(why))?;
            }
            for (state, reason) in &c.failures {
                let body = if s.whole {
                    format!("the audit as a whole: {reason}")
                } else if c.name.starts_with('(') {
                    // A case of the DaemonSet as a whole ("(no eligible node)"), not of a node:
                    // its reason says which ("eligible on no node: …").
                    format!("{}: {reason}", s.name)
                } else {
                    format!("{} on node {}: {reason}", s.name, c.name)
                };
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{}">{}</failure>"#,
                    xml(&format!("{state}: {reason}")),
                    xml(state),
                    xml(&body)
                )?;
            }
            if c.state != State::Ready && c.failures.is_empty() && c.skipped.is_none() {
                writeln!(
                    out,
                    "      <system-out>{}</system-out>",
                    xml(c.state.as_str())
                )?;
            }
            writeln!(out, "    </testcase>")?;
        }
        if !s.notes.is_empty() {
            writeln!(
                out,
                "    <system-out>{}</system-out>",
                xml(&s.notes.join("\n"))
            )?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

struct Suite {
    name: String,
    cases: Vec<Case>,
    coverage: String,
    what_if: bool,
    notes: Vec<String>,
    /// The gate's verdicts on the audit as a whole (suite `(gate)`), on no node.
    whole: bool,
}

impl Suite {
    fn failed(&self) -> usize {
        self.cases.iter().filter(|c| !c.failures.is_empty()).count()
    }

    fn skipped(&self) -> usize {
        self.cases
            .iter()
            .filter(|c| c.failures.is_empty() && c.skipped.is_some())
            .count()
    }
}

struct Case {
    name: String,
    failures: Vec<(&'static str, String)>,
    skipped: Option<String>,
    state: State,
}

/// Escape text for XML attributes and content; drop characters XML 1.0 cannot carry.
fn xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 => {}
            c => out.push(c),
        }
    }
    out
}
