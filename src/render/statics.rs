//! `--static-pods` in the human formats: a "Static pods" section after the DaemonSets (table,
//! wide, markdown), and static-pod columns in the matrix (see [`matrix_view`]).

use std::io::Write;

use super::style::{self, Painter, Tone};
use crate::config::RenderOptions;
use crate::report::{DaemonSetReport, PlacementSummary, Report, State, StaticPodReport};

/// The report with each static-pod family appended as a DaemonSet-shaped entry (their pairs
/// have the same shape), named `NAME (static pod)` so that the matrix key and the JUnit suite read
/// `NAMESPACE/NAME (static pod)`, the gate's name for the family ([`crate::gate::static_id`]).
/// `None` without `--static-pods` (or without families): the report is drawn as it is.
pub fn with_static_columns(report: &Report) -> Option<Report> {
    let families = report.static_pods.as_ref().filter(|f| !f.is_empty())?;
    let mut view = report.clone();
    for f in families {
        view.daemon_sets.push(DaemonSetReport {
            namespace: f.namespace.clone(),
            name: format!("{} (static pod)", f.name),
            uid: format!("static-pod:{}/{}", f.namespace, f.name),
            from_manifest: false,
            update_strategy: crate::model::UpdateStrategyType::OnDelete,
            current_revision: None,
            placement: PlacementSummary::default(),
            counts: f.counts.clone(),
            computed_status: Default::default(),
            controller_status: None,
            status_agrees: None,
            nodes: f.nodes.clone(),
            exclusions: Vec::new(),
            pods_on_missing_nodes: Vec::new(),
            warnings: f.warnings.clone(),
            unknown: None,
        });
    }
    Some(view)
}

/// `lead` (`lead_w` columns wide, whatever its colour codes) then `text` wrapped to `width`,
/// the following lines indented by `indent`.
fn write_led(
    out: &mut dyn Write,
    lead: &str,
    lead_w: usize,
    text: &str,
    indent: usize,
    width: usize,
) -> std::io::Result<()> {
    for (i, l) in style::wrap(text, lead_w, indent, width)
        .into_iter()
        .enumerate()
    {
        if i == 0 {
            writeln!(out, "{}", format!("{lead}{l}").trim_end())?;
        } else {
            writeln!(out, "{:indent$}{l}", "")?;
        }
    }
    Ok(())
}

fn problems(f: &StaticPodReport) -> impl Iterator<Item = &crate::report::PairReport> {
    f.nodes
        .iter()
        .filter(|p| p.state != State::Ready || !p.eligible)
}

fn expectation(f: &StaticPodReport) -> String {
    if f.expectation.inferred {
        format!("{} (inferred from node roles)", f.expectation.nodes)
    } else {
        f.expectation.nodes.clone()
    }
}

/// Table and wide: one row per family, the nodes concerned under each imperfect one.
pub fn write_table(
    report: &Report,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let Some(families) = &report.static_pods else {
        return Ok(());
    };
    let p = Painter { color: opts.color };
    if !opts.no_headers {
        writeln!(out)?;
    }
    if families.is_empty() {
        if !opts.no_headers {
            writeln!(out, "Static pods: no mirror pod in the input.")?;
        }
        return Ok(());
    }
    let ns_w = families
        .iter()
        .map(|f| style::width(&f.namespace))
        .chain([9])
        .max()
        .unwrap_or(9);
    let name_w = families
        .iter()
        .map(|f| style::width(&f.name))
        .chain(["STATIC POD".len()])
        .max()
        .unwrap_or(10);
    let ready: Vec<String> = families
        .iter()
        .map(|f| format!("{}/{}", f.counts.ready, f.counts.eligible))
        .collect();
    let ready_w = ready.iter().map(|r| r.len()).chain([5]).max().unwrap_or(5);
    if !opts.no_headers {
        writeln!(
            out,
            "{:ns_w$}  {:name_w$}  {:>ready_w$}     COV",
            "NAMESPACE", "STATIC POD", "READY"
        )?;
    }
    let detail = |out: &mut dyn Write, lead: &str, text: &str| {
        write_led(out, lead, style::width(lead), text, 6, opts.width)
    };
    for (f, r) in families.iter().zip(&ready) {
        let line = format!(
            "{:ns_w$}  {:name_w$}  {}  {}",
            f.namespace,
            f.name,
            style::rpad_paint(&p, r, ready_w, style::counts_tone(&f.counts)),
            style::rpad_paint(&p, &style::coverage(&f.counts), 6, Tone::Plain),
        );
        writeln!(out, "{}", line.trim_end())?;
        if opts.no_headers {
            continue;
        }
        detail(out, "  expected on: ", &expectation(f))?;
        let concerned: Vec<_> = problems(f).collect();
        let limit = if opts.all_problems { usize::MAX } else { 5 };
        let node_w = concerned
            .iter()
            .map(|c| style::width(&c.node))
            .max()
            .unwrap_or(0);
        for pair in concerned.iter().take(limit) {
            let why = pair
                .reasons
                .first()
                .map(|r| r.message.as_str())
                .unwrap_or("");
            let lead = format!(
                "  {:node_w$}  {}  ",
                pair.node,
                p.paint(pair.state.as_str(), style::tone(pair.state))
            );
            let plain_w = 2 + node_w + 2 + pair.state.as_str().len() + 2;
            write_led(out, &lead, plain_w, why, 6, opts.width)?;
        }
        if concerned.len() > limit {
            writeln!(
                out,
                "  … and {} more (--all-problems lists them)",
                concerned.len() - limit
            )?;
        }
        for w in &f.warnings {
            detail(out, "  note: ", w)?;
        }
    }
    if !opts.no_headers {
        let total: usize = families.iter().map(|f| f.counts.eligible).sum();
        let ready: usize = families.iter().map(|f| f.counts.ready).sum();
        let line = format!(
            "{} static-pod {}: {ready} of {total} pairs Ready. The kubelet runs what its \
             manifest folder holds: no rule places a static pod.",
            families.len(),
            if families.len() == 1 {
                "family"
            } else {
                "families"
            }
        );
        writeln!(out)?;
        for l in style::wrap(&line, 0, 0, opts.width) {
            writeln!(out, "{l}")?;
        }
    }
    Ok(())
}

/// Markdown: a "Static pods" section.
pub fn write_markdown(report: &Report, out: &mut dyn Write) -> std::io::Result<()> {
    let Some(families) = &report.static_pods else {
        return Ok(());
    };
    writeln!(out, "\n### Static pods\n")?;
    if families.is_empty() {
        return writeln!(out, "No mirror pod in the input.");
    }
    writeln!(
        out,
        "| Static pod | Ready | Coverage | Expected on | Problems |"
    )?;
    writeln!(out, "| --- | ---: | ---: | --- | --- |")?;
    for f in families {
        let problems: Vec<String> = problems(f)
            .map(|p| format!("{} {}", p.node, p.state))
            .collect();
        writeln!(
            out,
            "| {}/{} | {}/{} | {} | {} | {} |",
            f.namespace,
            f.name,
            f.counts.ready,
            f.counts.eligible,
            style::coverage(&f.counts),
            expectation(f).replace('|', "\\|"),
            if problems.is_empty() {
                "–".to_string()
            } else {
                problems.join(", ")
            }
        )?;
    }
    Ok(())
}

/// `explain --static-pods`: the static-pod family on one node.
pub fn render_explanation(
    e: &crate::explain::statics::StaticExplanation,
    opts: &RenderOptions,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    use crate::cli::Format;
    match opts.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, e)?;
            return writeln!(out);
        }
        Format::Yaml => {
            let text = serde_saphyr::to_string(e).map_err(std::io::Error::other)?;
            return out.write_all(text.as_bytes());
        }
        _ => {}
    }
    let p = Painter { color: opts.color };
    let w = opts.width;
    let para = |out: &mut dyn Write, lead: &str, text: &str| {
        write_led(out, lead, style::width(lead), text, 4, w)
    };
    writeln!(
        out,
        "Static pod {} on node {}: {}",
        e.static_pod,
        e.node,
        p.paint(e.state.as_str(), style::tone(e.state))
    )?;
    para(
        out,
        "  expected on: ",
        &format!(
            "{}{} ({})",
            e.expectation.nodes,
            if e.expectation.inferred {
                " (inferred from node roles)"
            } else {
                ""
            },
            if e.expected {
                "this node is"
            } else {
                "this node is not"
            }
        ),
    )?;
    para(out, "  placement: ", &e.placement)?;
    if !e.reasons.is_empty() {
        writeln!(out, "\nWhy")?;
        for r in &e.reasons {
            para(out, "  - ", &r.message)?;
        }
    }
    writeln!(out, "\nMirror pod")?;
    if e.pods.is_empty() {
        writeln!(out, "  (none on this node)")?;
    }
    for pod in &e.pods {
        writeln!(
            out,
            "  {}  {}  ready={}  restarts={}",
            pod.name, pod.phase, pod.ready, pod.restarts
        )?;
    }
    writeln!(out, "\nNode conditions")?;
    for c in &e.node_conditions {
        let mut line = format!("{}={}", c.type_, c.status);
        if !c.reason.is_empty() {
            line.push_str(&format!(" ({})", c.reason));
        }
        if !c.message.is_empty() && c.status != "False" {
            line.push_str(&format!(": {}", c.message));
        }
        para(out, "  ", &line)?;
    }
    if !e.next_steps.is_empty() {
        writeln!(out, "\nWhat to do")?;
        for s in &e.next_steps {
            para(out, "  - ", s)?;
        }
    }
    Ok(())
}
