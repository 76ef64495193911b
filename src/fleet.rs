//! Fleets: several clusters in one run. Each cluster is read and audited exactly as a
//! single-cluster run reads it (`session::load_opened`, `coverage::compute`, the gate), at most
//! `--max-concurrent-clusters` at once, each on its own connection and runtime with its own
//! `--request-timeout`; a cluster that cannot be read becomes an error entry and never stops
//! the others. Then one fleet report, one output, one exit code.

use std::io::{Read, Write};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::SharedWriter;
use crate::config::{Config, FleetSelection, FleetSettings, Input};
use crate::error::{Error, Exit, Result};
use crate::report::Source;
use crate::report::fleet::{ClusterEntry, ClusterError, FleetGate, FleetReport, Outcome};
use crate::session::{self, Session};

/// One cluster to read: its name and its input (a context, or its dumps).
#[derive(Debug, Clone)]
struct Target {
    name: String,
    input: Input,
}

/// Run the audit over the fleet `fleet` describes.
pub fn run(
    config: &Config,
    fleet: &FleetSettings,
    stdin: &mut dyn Read,
    out: &mut dyn Write,
    err: SharedWriter,
) -> Result<Exit> {
    let targets = resolve(config, fleet)?;
    let reads_stdin = targets
        .iter()
        .any(|t| matches!(&t.input, Input::Files(p) if p.iter().any(|p| p == "-")));
    let mut piped = Vec::new();
    if reads_stdin {
        stdin.read_to_end(&mut piped).map_err(Error::Stdin)?;
    }
    let entries = read_all(config, &targets, fleet.max_concurrent, &piped, &err);
    let failed: Vec<String> = entries
        .iter()
        .filter(|e| matches!(&e.outcome, Outcome::Report(r) if r.gate.as_ref().is_some_and(|g| !g.passed)))
        .map(|e| e.name.clone())
        .collect();
    let unreadable: Vec<String> = entries
        .iter()
        .filter(|e| matches!(e.outcome, Outcome::Error(_)))
        .map(|e| e.name.clone())
        .collect();
    let all_unreadable = unreadable.len() == entries.len();
    let gate = config.gate.as_ref().map(|_| FleetGate {
        passed: failed.is_empty()
            && !all_unreadable
            && (unreadable.is_empty() || fleet.allow_unreachable),
        failed: failed.clone(),
        unreadable: unreadable.clone(),
        allow_unreachable: fleet.allow_unreachable,
    });
    let report = FleetReport::new(config.audit.now, entries, gate);
    {
        let mut e = err.lock().unwrap_or_else(|p| p.into_inner());
        write_stderr(&report, config, fleet, &mut *e)?;
    }
    crate::render::fleet::render(&report, &config.render, out)?;
    // A definite policy failure is the answer even when another cluster could not be read;
    // otherwise an unreadable cluster is exit 3 (a fleet read nowhere always is).
    Ok(if !failed.is_empty() {
        Exit::GateFailed
    } else if all_unreadable || (!unreadable.is_empty() && !fleet.allow_unreachable) {
        Exit::Input
    } else {
        Exit::Ok
    })
}

/// Each unreadable cluster's line, then with `--check` each cluster's verdict and the fleet's.
fn write_stderr(
    report: &FleetReport,
    config: &Config,
    fleet: &FleetSettings,
    e: &mut dyn Write,
) -> Result<()> {
    let color = config.render.stderr_color;
    for c in &report.clusters {
        match &c.outcome {
            Outcome::Error(x) if fleet.allow_unreachable => writeln!(
                e,
                "warning: cluster {} cannot be read (--allow-unreachable): {}",
                c.name, x.message
            )?,
            Outcome::Error(x) => writeln!(e, "error: cluster {}: {}", c.name, x.message)?,
            Outcome::Report(r) => {
                if let Some(g) = &r.gate {
                    let text = format!("{}: {}", c.name, crate::gate::verdict_text(r, g));
                    let text = match config.render.stderr_width {
                        Some(w) => crate::render::style::fit_lines(&text, w),
                        None => text,
                    };
                    write!(
                        e,
                        "{}",
                        crate::render::style::verdict(&text, g.passed, color)
                    )?;
                }
            }
        }
    }
    if let Some(g) = &report.summary.gate {
        let s = &report.summary;
        let clusters = |n: usize| format!("{n} {}", if n == 1 { "cluster" } else { "clusters" });
        let mut text = if g.passed {
            format!("FLEET PASS  {} of {} pass", s.read, clusters(s.clusters))
        } else if s.read == 0 {
            format!(
                "FLEET FAIL  no cluster of {} could be read",
                clusters(s.clusters)
            )
        } else {
            format!(
                "FLEET FAIL  {} of {} below policy",
                g.failed.len(),
                clusters(s.clusters)
            )
        };
        if !g.failed.is_empty() {
            text.push_str(&format!(" ({})", g.failed.join(", ")));
        }
        if !g.unreadable.is_empty() {
            text.push_str(&format!(
                ", {} unreadable ({}){}",
                g.unreadable.len(),
                g.unreadable.join(", "),
                if g.allow_unreachable { ": allowed" } else { "" }
            ));
        }
        text.push('\n');
        write!(
            e,
            "{}",
            crate::render::style::verdict(&text, g.passed, color)
        )?;
    }
    Ok(())
}

/// The clusters of the fleet, in order; a selection that names no cluster, or a context the
/// kubeconfig does not have, is a usage error naming the contexts there are.
fn resolve(config: &Config, fleet: &FleetSettings) -> Result<Vec<Target>> {
    if let FleetSelection::Files(clusters) = &fleet.selection {
        for (name, paths) in clusters {
            for path in paths {
                let arg = format!("{name}={path}");
                if std::path::Path::new(&arg).exists() {
                    return Err(Error::Usage(format!(
                        "-f {arg}: a file of that name exists, and it also reads as NAME=PATH; \
                         write -f ./{arg} to read the file, or NAME=./{arg} to name it"
                    )));
                }
            }
        }
        return Ok(clusters
            .iter()
            .map(|(name, paths)| Target {
                name: name.clone(),
                input: Input::Files(paths.clone()),
            })
            .collect());
    }
    let Input::Cluster { connect, .. } = &config.input else {
        return Err(Error::Usage("a fleet of contexts reads clusters".into()));
    };
    let known = crate::client::connect::context_names(connect)?;
    let listed = || {
        if known.is_empty() {
            "the kubeconfig has none".to_string()
        } else {
            format!("the contexts are: {}", known.join(", "))
        }
    };
    let names: Vec<String> = match &fleet.selection {
        FleetSelection::Contexts(names) => {
            if let Some(missing) = names.iter().find(|n| !known.contains(n)) {
                return Err(Error::Usage(format!(
                    "--context {missing}: no such context in the kubeconfig; {}",
                    listed()
                )));
            }
            names.clone()
        }
        FleetSelection::AllContexts => {
            if known.is_empty() {
                return Err(Error::Usage(
                    "--all-contexts: the kubeconfig has no context".into(),
                ));
            }
            known.clone()
        }
        FleetSelection::Matching(glob) => {
            let matched: Vec<String> = known
                .iter()
                .filter(|n| glob_match(glob, n))
                .cloned()
                .collect();
            if matched.is_empty() {
                return Err(Error::Usage(format!(
                    "--contexts-matching {glob}: no context matches; {}",
                    listed()
                )));
            }
            matched
        }
        FleetSelection::Files(_) => unreachable!("handled above"),
    };
    Ok(names
        .into_iter()
        .map(|name| {
            let mut input = config.input.clone();
            if let Input::Cluster { connect, .. } = &mut input {
                connect.context = Some(name.clone());
            }
            Target { name, input }
        })
        .collect())
}

/// `*` any run of characters, `?` one character, everything else itself.
pub fn glob_match(glob: &str, name: &str) -> bool {
    let (g, n): (Vec<char>, Vec<char>) = (glob.chars().collect(), name.chars().collect());
    let (mut gi, mut ni) = (0, 0);
    // Where the last `*` was, and how much of the name it has taken so far.
    let mut star: Option<(usize, usize)> = None;
    while ni < n.len() {
        match g.get(gi) {
            Some('*') => {
                star = Some((gi, ni));
                gi += 1;
            }
            Some(c) if *c == '?' || *c == n[ni] => {
                gi += 1;
                ni += 1;
            }
            _ => match star {
                Some((s, taken)) => {
                    gi = s + 1;
                    ni = taken + 1;
                    star = Some((s, taken + 1));
                }
                None => return false,
            },
        }
    }
    g[gi..].iter().all(|c| *c == '*')
}

/// Read every cluster, at most `bound` at once; the entries in the targets' order.
fn read_all(
    config: &Config,
    targets: &[Target],
    bound: usize,
    piped: &[u8],
    err: &SharedWriter,
) -> Vec<ClusterEntry> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<Option<ClusterEntry>>> = Mutex::new(vec![None; targets.len()]);
    std::thread::scope(|scope| {
        for _ in 0..bound.min(targets.len()) {
            scope.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(target) = targets.get(i) else {
                        break;
                    };
                    let log = Prefixed::shared(&target.name, err.clone());
                    let entry = read_one(config, target, piped, log);
                    done.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(entry);
                }
            });
        }
    });
    done.into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .zip(targets)
        .map(|(entry, t)| {
            entry.unwrap_or_else(|| ClusterEntry {
                name: t.name.clone(),
                source: source_of(t, None),
                outcome: Outcome::Error(ClusterError {
                    reason: "Error".into(),
                    message: "the cluster's reader stopped".into(),
                    exit_code: Exit::Input as u8,
                }),
                empty_notice: None,
            })
        })
        .collect()
}

/// Standard error for one cluster's reads (the `-v` request log): each line led by the
/// cluster's name, written whole, so the lines of concurrent clusters never mix.
struct Prefixed {
    prefix: String,
    line: Vec<u8>,
    inner: SharedWriter,
}

impl Prefixed {
    fn shared(name: &str, inner: SharedWriter) -> SharedWriter {
        std::sync::Arc::new(Mutex::new(Box::new(Prefixed {
            prefix: format!("[{name}] "),
            line: Vec::new(),
            inner,
        })))
    }
}

impl Write for Prefixed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.line.extend_from_slice(buf);
        while let Some(end) = self.line.iter().position(|b| *b == b'\n') {
            let rest = self.line.split_off(end + 1);
            let line = std::mem::replace(&mut self.line, rest);
            let mut e = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            e.write_all(self.prefix.as_bytes())?;
            e.write_all(&line)?;
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        if !self.line.is_empty() {
            let line = std::mem::take(&mut self.line);
            let mut e = self.inner.lock().unwrap_or_else(|p| p.into_inner());
            e.write_all(self.prefix.as_bytes())?;
            e.write_all(&line)?;
        }
        self.inner.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}

impl Drop for Prefixed {
    fn drop(&mut self) {
        let _ = self.flush();
    }
}

/// One cluster, read and audited as a single-cluster run (`lib.rs: run`) does.
fn read_one(config: &Config, target: &Target, piped: &[u8], err: SharedWriter) -> ClusterEntry {
    let mut one = config.clone();
    one.input = target.input.clone();
    one.fleet = None;
    let mut audit = one.audit.clone();
    let opened = Session::open(&one.input, err.clone());
    let source = source_of(target, opened.as_ref().ok().and_then(Option::as_ref));
    let mut stdin = std::io::Cursor::new(piped);
    let report = opened
        .and_then(|s| session::load_opened(s, &one, &mut audit, None, &[], &mut stdin, err))
        .and_then(|loaded| {
            audit.pairs = crate::pairs_read_by(&one, &loaded.snapshot, audit.now);
            crate::coverage::compute(&loaded.snapshot, &audit)
                .map_err(|e| Error::NotFound(e.to_string()))
        });
    let mut empty_notice = None;
    let outcome = match report {
        Ok(mut report) => {
            let notice = crate::no_daemon_sets_message(&audit, &one.input);
            if let Some(policy) = &one.gate {
                report.gate = Some(crate::gate::evaluate_scoped(&report, policy, &notice));
            }
            if report.daemon_sets.is_empty() {
                empty_notice = Some(notice);
            }
            Outcome::Report(Box::new(report))
        }
        Err(e) => Outcome::Error(ClusterError {
            reason: reason_of(&e).into(),
            message: e.to_string(),
            exit_code: e.exit() as u8,
        }),
    };
    ClusterEntry {
        name: target.name.clone(),
        source,
        outcome,
        empty_notice,
    }
}

/// Where a cluster's objects come from, as its report's `source` says it (the server is known
/// once connected, else empty).
fn source_of(target: &Target, session: Option<&Session>) -> Source {
    match (&target.input, session) {
        (Input::Files(paths), _) => Source::File {
            paths: paths.clone(),
        },
        (Input::Cluster { .. }, Some(s)) => Source::Cluster {
            context: s.context().to_string(),
            server: s.server().to_string(),
        },
        (Input::Cluster { .. }, None) => Source::Cluster {
            context: target.name.clone(),
            server: String::new(),
        },
    }
}

/// The kind of failure, for `clusters[].error.reason`.
fn reason_of(e: &Error) -> &'static str {
    use crate::client::ClientError;
    match e {
        Error::Client(c) => match c {
            ClientError::Unreachable { .. } => "Unreachable",
            ClientError::Timeout { .. } => "Timeout",
            ClientError::Api { api, .. } if api.status.as_u16() == 401 => "Unauthorized",
            ClientError::Api { api, .. } if api.status.as_u16() == 403 => "Forbidden",
            ClientError::Api { .. } => "ApiError",
            ClientError::Decode { .. } | ClientError::TooLarge { .. } => "BadResponse",
            ClientError::Config(_) => "Config",
        },
        Error::Input { .. } | Error::Stdin(_) | Error::Output(_) => "Input",
        Error::NotFound(_) => "NotFound",
        Error::Cluster(_) => "Cluster",
        Error::Usage(_) => "Usage",
    }
}

#[cfg(test)]
mod tests {
    use super::glob_match;

    #[test]
    fn globs_match_as_a_shell_does() {
        for (glob, name, expected) in [
            ("prod-*", "prod-eu", true),
            ("prod-*", "prod-", true),
            ("prod-*", "staging-eu", false),
            ("*-eu", "prod-eu", true),
            ("*-eu", "prod-us", false),
            ("p?od", "prod", true),
            ("p?od", "pood-x", false),
            ("*", "", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("exact", "exact", true),
            ("exact", "exactly", false),
        ] {
            assert_eq!(glob_match(glob, name), expected, "{glob} vs {name}");
        }
    }
}
