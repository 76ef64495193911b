//! `explain` output: every rule with ✓/✗, the verdict, the daemon pods, what to change (as YAML
//! to paste) and the fit table. `-o json` / `-o yaml` print the [`Explanation`] itself.

use std::io::Write;

use super::style::{self, Painter, Tone};
use crate::cli::Format;
use crate::config::RenderOptions;
use crate::eligibility::trace::{AffinityCheck, Check, RequirementKind, Status, TermKind};
use crate::explain::{Action, Explanation, Fit, Suggestion, Target};

/// Width of the rule column.
const RULE: usize = 13;

pub fn render(e: &Explanation, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    match opts.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, e)?;
            writeln!(out)
        }
        Format::Yaml => {
            let text = serde_saphyr::to_string(e).map_err(std::io::Error::other)?;
            out.write_all(text.as_bytes())
        }
        _ => {
            let mut w = Wrapping::new(out, opts.width);
            text(e, &Painter { color: opts.color }, &mut w)?;
            w.flush()
        }
    }
}

/// Lines fitted to `width` columns, wrapped between words as they are written: a continuation
/// lines up under its line's text — after the first run of two spaces when that is in the
/// line's first half (a rule's detail, a table's second column), else after the indentation
/// (and a `- `); a `# ` comment goes on as a comment. What is written [`Wrapping::verbatim`]
/// (YAML and commands to paste) is never wrapped. Colour codes take no columns.
struct Wrapping<'a> {
    out: &'a mut dyn Write,
    width: usize,
    pending: Vec<u8>,
    verbatim: bool,
}

impl<'a> Wrapping<'a> {
    fn new(out: &'a mut dyn Write, width: usize) -> Wrapping<'a> {
        Wrapping {
            out,
            width,
            pending: Vec::new(),
            verbatim: false,
        }
    }

    /// `line` written whole, however wide.
    fn verbatim(&mut self, line: &str) -> std::io::Result<()> {
        self.verbatim = true;
        let written = writeln!(self, "{line}");
        self.verbatim = false;
        written
    }

    fn emit(&mut self, line: &[u8]) -> std::io::Result<()> {
        let line = String::from_utf8_lossy(line);
        if self.verbatim || visible_width(&line) <= self.width {
            return writeln!(self.out, "{line}");
        }
        for l in wrap_line(&line, self.width) {
            writeln!(self.out, "{l}")?;
        }
        Ok(())
    }
}

impl Write for Wrapping<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.pending.extend_from_slice(buf);
        while let Some(i) = self.pending.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.pending.drain(..=i).collect();
            self.emit(&line[..i])?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.pending.is_empty() {
            let rest = std::mem::take(&mut self.pending);
            self.emit(&rest)?;
        }
        self.out.flush()
    }
}

/// Columns `s` takes on a terminal: its colour codes (`ESC [ … m`) take none.
fn visible_width(s: &str) -> usize {
    let mut plain = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            plain.push(c);
        }
    }
    style::width(&plain)
}

/// `word` cut into pieces of at most `room` columns (itself when it fits), a colour code never
/// cut nor counted.
fn visible_pieces(word: &str, room: usize) -> Vec<String> {
    if visible_width(word) <= room {
        return vec![word.to_string()];
    }
    let mut out = vec![String::new()];
    let mut used = 0;
    let mut chars = word.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            let last = out.last_mut().expect("one piece");
            last.push(c);
            for c in chars.by_ref() {
                last.push(c);
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
            continue;
        }
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if used > 0 && used + w > room {
            out.push(String::new());
            used = 0;
        }
        out.last_mut().expect("one piece").push(c);
        used += w;
    }
    out
}

/// One line wider than `width` as lines of at most `width` columns ([`Wrapping`]).
fn wrap_line(line: &str, width: usize) -> Vec<String> {
    let indent = line.len() - line.trim_start_matches(' ').len();
    let body = &line[indent..];
    // Where the words to wrap start, and what starts each continuation.
    let column = body
        .find("  ")
        .map(|i| i + body[i..].len() - body[i..].trim_start().len());
    let (split, hang) = match column {
        // A comment goes on as a comment, whatever it holds.
        _ if body.starts_with("# ") => (indent + 2, format!("{}# ", " ".repeat(indent))),
        Some(at) if visible_width(&line[..indent + at]) <= width / 2 => {
            (indent + at, " ".repeat(visible_width(&line[..indent + at])))
        }
        _ if body.starts_with("- ") => (indent + 2, " ".repeat(indent + 2)),
        _ => (indent, " ".repeat(indent + 2)),
    };
    let room = width.saturating_sub(visible_width(&hang)).max(1);
    let mut lines = Vec::new();
    let mut current = line[..split].to_string();
    let mut used = visible_width(&current);
    let mut words_on_line = 0;
    // Each word with the spaces before it (kept between words on a line: `value   message`).
    let mut gap = 0;
    for whole in line[split..].split(' ') {
        if whole.is_empty() {
            gap += 1;
            continue;
        }
        for word in visible_pieces(whole, room) {
            let w = visible_width(&word);
            let sep = gap + 1;
            if words_on_line > 0 && used + sep + w > width {
                lines.push(std::mem::take(&mut current));
                current.clone_from(&hang);
                used = visible_width(&hang);
                words_on_line = 0;
            }
            if words_on_line > 0 {
                current.push_str(&" ".repeat(sep));
                used += sep;
            }
            current.push_str(&word);
            used += w;
            words_on_line += 1;
            gap = 0;
        }
    }
    lines.push(current);
    lines
}

fn symbol(s: Status) -> (&'static str, Tone) {
    match s {
        Status::Pass => ("✓", Tone::Good),
        Status::Fail => ("✗", Tone::Bad),
        Status::Ignored => ("·", Tone::Dim),
        Status::Invalid => ("!", Tone::Warn),
    }
}

fn text(e: &Explanation, p: &Painter, out: &mut Wrapping) -> std::io::Result<()> {
    let (word, tone) = if e.verdict.should_run {
        ("ELIGIBLE", Tone::Good)
    } else {
        ("NOT ELIGIBLE", Tone::Bad)
    };
    writeln!(
        out,
        "{}{}: {}",
        p.bold(&format!("DaemonSet {} on node {}", e.daemon_set, e.node)),
        if e.from_manifest {
            " (from --manifest, not applied)"
        } else {
            ""
        },
        p.paint(word, tone)
    )?;
    writeln!(out)?;
    let any_term_matches = e
        .checks
        .iter()
        .any(|c| matches!(c, Check::NodeAffinity(a) if a.outcome == TermKind::Matched));
    let has = |f: fn(&Check) -> bool| e.checks.iter().any(f);
    let no_selector = !has(|c| matches!(c, Check::NodeSelector(_)));
    for (i, c) in e.checks.iter().enumerate() {
        // Rules with nothing to check read as passed, so that every rule is on the page.
        if no_selector && i > 0 && matches!(c, Check::NodeAffinity(_)) {
            let first_affinity = !matches!(e.checks[i - 1], Check::NodeAffinity(_));
            if first_affinity {
                line(
                    p,
                    Status::Pass,
                    "nodeSelector",
                    "not set in the template",
                    out,
                )?;
            }
        }
        write_check(c, any_term_matches, p, out)?;
    }
    if !has(|c| matches!(c, Check::Taint(_))) {
        line(p, Status::Pass, "taints", "the node has none", out)?;
    }
    writeln!(out)?;
    writeln!(out, "{} {}", p.bold("Verdict:"), e.verdict.text)?;
    writeln!(out)?;
    write_pods(e, p, out)?;
    if !e.suggestions.is_empty() {
        writeln!(out)?;
        write_suggestions(&e.suggestions, p, out)?;
    }
    if let Some(fit) = &e.fit {
        writeln!(out)?;
        write_fit(e, fit, p, out)?;
    }
    if !e.warnings.is_empty() {
        writeln!(out)?;
        writeln!(out, "{}", p.bold("Notes:"))?;
        for w in &e.warnings {
            writeln!(out, "  - {w}")?;
        }
    }
    Ok(())
}

fn line(
    p: &Painter,
    status: Status,
    rule: &str,
    detail: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let (sym, tone) = symbol(status);
    let pad = RULE.saturating_sub(style::width(rule));
    writeln!(
        out,
        "  {} {rule}{}  {detail}",
        p.paint(sym, tone),
        " ".repeat(pad)
    )
}

/// A continuation line under a rule.
fn more(detail: &str, out: &mut dyn Write) -> std::io::Result<()> {
    writeln!(out, "{}{detail}", " ".repeat(4 + RULE + 4))
}

fn write_check(
    c: &Check,
    any_term_matches: bool,
    p: &Painter,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    match c {
        Check::NodeName(n) => line(p, n.status, "nodeName", &n.message, out),
        Check::NodeSelector(s) => line(
            p,
            s.status,
            "nodeSelector",
            &format!("{}={}   {}", s.key, s.wanted, s.message),
            out,
        ),
        Check::NodeAffinity(a) => write_affinity(a, any_term_matches, p, out),
        Check::Taint(t) => {
            line(
                p,
                t.status,
                "taint",
                &format!("{}   {}", t.taint, t.message),
                out,
            )?;
            if let Some(meaning) = &t.meaning {
                more(meaning, out)?;
            }
            if let Some(why) = &t.near_miss {
                more(why, out)?;
            }
            Ok(())
        }
    }
}

fn write_affinity(
    a: &AffinityCheck,
    any_term_matches: bool,
    p: &Painter,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let Some(index) = a.index else {
        return line(p, a.status, "affinity", &a.message, out);
    };
    let head = match a.outcome {
        TermKind::Matched => "matches".to_string(),
        TermKind::Failed if any_term_matches => {
            "does not match (another term matches; terms are OR-ed)".to_string()
        }
        TermKind::Failed => "does not match".to_string(),
        TermKind::Invalid => "invalid, so it matches no node".to_string(),
        _ => a.message.clone(),
    };
    line(
        p,
        a.status,
        "affinity",
        &format!("required term {}: {head}", index + 1),
        out,
    )?;
    for r in &a.requirements {
        let (sym, tone) = symbol(r.status);
        let node = match (&r.error, r.kind, &r.node_value) {
            (Some(e), _, _) => format!("invalid: {e}"),
            (None, RequirementKind::Field, Some(v)) => format!("node is {v}"),
            (None, RequirementKind::Field, None) => {
                format!("nodes have no field {}", r.key)
            }
            (None, RequirementKind::Expression, Some(v)) if v.is_empty() => {
                format!("node has {} (empty value)", r.key)
            }
            (None, RequirementKind::Expression, Some(v)) => format!("node has {}={v}", r.key),
            (None, RequirementKind::Expression, None) => format!("node has no label {}", r.key),
        };
        let field = if r.kind == RequirementKind::Field {
            "field "
        } else {
            ""
        };
        more(
            &format!("{} {field}{}   {node}", p.paint(sym, tone), r.text),
            out,
        )?;
    }
    Ok(())
}

fn write_pods(e: &Explanation, p: &Painter, out: &mut dyn Write) -> std::io::Result<()> {
    let tone = style::tone(e.state);
    let state = p.paint(&format!("{} {}", style::symbol(e.state), e.state), tone);
    let head = p.bold(&format!("Daemon pods on {}:", e.node));
    if e.pods.is_empty() {
        writeln!(out, "{head} none ({state})")?;
    } else {
        writeln!(out, "{head} {state}")?;
        let rows: Vec<[String; 6]> = e
            .pods
            .iter()
            .map(|pod| {
                let mut name = pod.name.clone();
                if pod.terminating {
                    name.push_str(" (terminating)");
                }
                if pod.claim == crate::report::Claim::Adopted {
                    name.push_str(" (orphan, adopted)");
                }
                [
                    name,
                    pod.phase.clone(),
                    if pod.ready { "yes" } else { "no" }.to_string(),
                    pod.restarts.to_string(),
                    pod.revision.clone().unwrap_or_else(|| "-".into()),
                    pod.created_at
                        .map(|t| crate::duration::short(e.generated_at.as_second() - t.as_second()))
                        .unwrap_or_else(|| "-".into()),
                ]
            })
            .collect();
        write_table(
            &["NAME", "PHASE", "READY", "RESTARTS", "REVISION", "AGE"],
            &rows,
            "  ",
            out,
        )?;
    }
    // The placement rules are above; the rest says what the pods themselves are doing.
    for r in &e.reasons {
        use crate::reason::Rule;
        if !matches!(
            r.rule,
            Rule::NodeName | Rule::NodeSelector | Rule::NodeAffinity | Rule::Taint
        ) {
            writeln!(out, "  - {}", r.message)?;
        }
    }
    if let Some(events) = &e.events {
        if events.is_empty() {
            if !e.pods.is_empty() {
                writeln!(out, "  No recent Warning events.")?;
            }
        } else {
            writeln!(out, "  Warning events:")?;
            for ev in events {
                let when = ev
                    .last_timestamp
                    .map(|t| {
                        format!(
                            ", {} ago",
                            crate::duration::short(e.generated_at.as_second() - t.as_second())
                        )
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "    {}  {} (x{}{when}): {}",
                    ev.pod,
                    p.paint(&ev.reason, Tone::Warn),
                    ev.count,
                    ev.message.lines().next().unwrap_or("")
                )?;
            }
        }
    }
    Ok(())
}

fn write_suggestions(s: &[Suggestion], p: &Painter, out: &mut Wrapping) -> std::io::Result<()> {
    let groups = {
        let mut g: Vec<usize> = s.iter().map(|x| x.fixes).collect();
        g.dedup();
        g.len()
    };
    if groups > 1 {
        writeln!(
            out,
            "{}",
            p.bold("To make it eligible, every one of these changes is needed:")
        )?;
    }
    let mut last: Option<usize> = None;
    for x in s {
        let alternative = last == Some(x.fixes);
        last = Some(x.fixes);
        let what = match (x.target, x.action) {
            (Target::DaemonSet, Action::Append) => format!("add to {}:", x.path),
            (Target::DaemonSet, Action::Merge) => format!("set in {}:", x.path),
            (Target::DaemonSet, Action::Remove) => format!("remove from {}:", x.path),
            (Target::Node, Action::Remove) if x.path == "spec.taints" => {
                "take the taint off the node:".to_string()
            }
            (Target::Node, _) if x.path == "metadata.labels" => "label the node:".to_string(),
            (Target::Node, _) => format!("change the node's {}:", x.path),
        };
        let lead = match (alternative, groups > 1) {
            (true, _) => format!("or {what}"),
            (false, true) => format!("- {what}"),
            (false, false) => format!("To make it eligible, {what}"),
        };
        writeln!(out, "{}", p.bold(&lead))?;
        let indent = "  ";
        writeln!(out, "{indent}# {}", x.description)?;
        match (&x.command, x.target) {
            (Some(cmd), Target::Node) => out.verbatim(&format!("{indent}{cmd}"))?,
            _ => {
                for l in x.yaml.lines() {
                    out.verbatim(&format!("{indent}{l}"))?;
                }
            }
        }
    }
    Ok(())
}

fn write_fit(e: &Explanation, fit: &Fit, p: &Painter, out: &mut Wrapping) -> std::io::Result<()> {
    let verdict = match fit.fits {
        Some(true) => p.paint("fits", Tone::Good),
        Some(false) => p.paint("does not fit", Tone::Bad),
        None => p.paint("cannot tell", Tone::Warn),
    };
    writeln!(
        out,
        "{} {verdict} (allocatable minus the requests of the {} other pod{} bound to {})",
        p.bold("Fit:"),
        fit.pods_counted,
        if fit.pods_counted == 1 { "" } else { "s" },
        e.node
    )?;
    let rows: Vec<[String; 6]> = fit
        .resources
        .iter()
        .map(|r| {
            let show = |v: Option<i64>| {
                v.map(|v| crate::explain::show(&r.resource, i128::from(v)))
                    .unwrap_or_else(|| "?".into())
            };
            [
                r.resource.clone(),
                show(r.allocatable),
                show(r.requested),
                show(r.free),
                crate::explain::show(&r.resource, i128::from(r.needed)),
                match r.fits {
                    Some(true) => "yes",
                    Some(false) => "NO",
                    None => "?",
                }
                .to_string(),
            ]
        })
        .collect();
    write_table(
        &[
            "RESOURCE",
            "ALLOCATABLE",
            "REQUESTED",
            "FREE",
            "DAEMON NEEDS",
            "FITS",
        ],
        &rows,
        "  ",
        out,
    )?;
    for h in &fit.hints {
        writeln!(out, "  hint: {}", h.text)?;
        if let Some(y) = &h.yaml {
            writeln!(out, "    # in spec.template.spec:")?;
            for l in y.lines() {
                out.verbatim(&format!("    {l}"))?;
            }
        }
    }
    if let Some(n) = &fit.note {
        writeln!(out, "  note: {n}")?;
    }
    Ok(())
}

/// Left-aligned columns separated by two spaces (no trailing spaces).
fn write_table<const N: usize>(
    header: &[&str; N],
    rows: &[[String; N]],
    indent: &str,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    let mut widths = header.map(style::width);
    for r in rows {
        for (w, cell) in widths.iter_mut().zip(r) {
            *w = (*w).max(style::width(cell));
        }
    }
    let fmt = |cells: Vec<&str>| {
        let mut s = String::from(indent);
        for (i, (c, w)) in cells.iter().zip(widths).enumerate() {
            s.push_str(c);
            if i + 1 < N {
                s.push_str(&" ".repeat(w - style::width(c) + 2));
            }
        }
        s
    };
    writeln!(out, "{}", fmt(header.to_vec()))?;
    for r in rows {
        writeln!(out, "{}", fmt(r.iter().map(String::as_str).collect()))?;
    }
    Ok(())
}
