//! `--watch` against the simulated API server, the rollout scripted by the test one step at a
//! time: not on a terminal, each pair whose state changed is one line — NDJSON with `-o json`,
//! text otherwise — and the stream equals the expected transitions. No timing is asserted.

mod support;

use std::io::{BufRead, BufReader};
use std::process::Child;
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::rollout::*;

/// The lines of `r`, read on a thread as they come.
fn lines_of(r: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines() {
            let Ok(line) = line else { return };
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// The plugin's stdout, line by line, read on a thread; killed on drop.
struct Stream {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Stream {
    fn open(live: &Live, args: &[&str]) -> Stream {
        let mut child = live.spawn(args);
        let lines = lines_of(child.stdout.take().unwrap());
        Stream { child, lines }
    }

    /// The next line; generous patience, only a bound on a hang.
    fn next(&mut self) -> String {
        self.lines
            .recv_timeout(Duration::from_secs(60))
            .expect("a line from --watch")
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// (node, from, to) of one NDJSON line, after checking its shape.
fn transition(line: &str) -> (String, Option<String>, Option<String>) {
    let v: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        ["daemonSet", "from", "node", "reason", "time", "to"],
        "{line}"
    );
    assert_eq!(v["daemonSet"], "monitoring/agent", "{line}");
    // An RFC 3339 instant to the second, as kubectl prints them (`2026-11-20T10:02:11Z`).
    let time = v["time"].as_str().unwrap();
    assert!(time.parse::<jiff::Timestamp>().is_ok(), "{line}");
    assert!(time.len() == 20 && time.ends_with('Z'), "{line}");
    let s = |k: &str| v[k].as_str().map(str::to_string);
    (s("node").unwrap(), s("from"), s("to"))
}

fn t(node: &str, from: Option<&str>, to: Option<&str>) -> (String, Option<String>, Option<String>) {
    (
        node.to_string(),
        from.map(str::to_string),
        to.map(str::to_string),
    )
}

#[test]
fn the_ndjson_stream_of_a_scripted_rollout_is_its_transitions() {
    let live = start("watch-ndjson");
    let mut s = Stream::open(&live, &["--watch", "-o", "json"]);
    // First, every pair as it is.
    let first: Vec<_> = (0..3).map(|_| transition(&s.next())).collect();
    assert_eq!(
        first,
        [
            t("n1", None, Some("Ready")),
            t("n2", None, Some("Ready/outdated")),
            t("n3", None, Some("Missing")),
        ]
    );
    // Then each step of the rollout, one at a time, as the line it causes.
    live.sim
        .apply(pod("agent-c", "n3", 2, Is::Creating))
        .unwrap();
    assert_eq!(
        transition(&s.next()),
        t("n3", Some("Missing"), Some("Pending"))
    );
    live.sim.apply(pod("agent-c", "n3", 2, Is::Ready)).unwrap();
    assert_eq!(
        transition(&s.next()),
        t("n3", Some("Pending"), Some("Ready"))
    );
    assert!(live.sim.remove("pods", Some("monitoring"), "agent-b"));
    assert_eq!(
        transition(&s.next()),
        t("n2", Some("Ready/outdated"), Some("Missing"))
    );
    live.sim.apply(pod("agent-b2", "n2", 2, Is::Ready)).unwrap();
    assert_eq!(
        transition(&s.next()),
        t("n2", Some("Missing"), Some("Ready"))
    );
    // A node leaving takes its pair with it.
    assert!(live.sim.remove("nodes", None, "n1"));
    let gone = s.next();
    assert_eq!(transition(&gone), t("n1", Some("Ready"), None));
    // A change that moves no pair prints nothing: the next line is the next real change.
    live.sim.apply(daemon_set(2)).unwrap();
    live.sim
        .apply(pod("agent-c", "n3", 2, Is::Waiting("ImagePullBackOff")))
        .unwrap();
    let line = s.next();
    assert_eq!(transition(&line), t("n3", Some("Ready"), Some("Pending")));
    let v: Value = serde_json::from_str(&line).unwrap();
    assert!(
        v["reason"].as_str().unwrap().contains("ImagePullBackOff"),
        "{line}"
    );
}

#[test]
fn not_on_a_terminal_the_text_stream_is_one_line_per_change() {
    let live = start("watch-text");
    let mut s = Stream::open(&live, &["--watch"]);
    let first: Vec<String> = (0..3).map(|_| s.next()).collect();
    assert!(
        first[2].contains("  monitoring/agent  n3  - -> Missing"),
        "{first:?}"
    );
    live.sim.apply(pod("agent-c", "n3", 2, Is::Ready)).unwrap();
    let line = s.next();
    assert!(
        line.contains("  monitoring/agent  n3  Missing -> Ready"),
        "{line}"
    );
    assert!(!line.contains('\x1b'), "{line:?}");
}

#[test]
fn watch_is_a_usage_error_with_the_gate_files_or_a_format_that_cannot_stream() {
    let live = start("watch-usage");
    let cluster = live.dir.join("cluster.json");
    let list = serde_json::json!({"kind": "List", "apiVersion": "v1", "items": mid_rollout()});
    std::fs::write(&cluster, list.to_string()).unwrap();
    for (args, says) in [
        (vec!["--watch", "--check"], "--check --wait"),
        (
            vec!["--watch", "-f", cluster.to_str().unwrap()],
            "--from-file",
        ),
        (vec!["--watch", "-o", "yaml"], "--watch supports"),
        (
            vec!["--watch", "--as-of", "2026-11-20T12:00:00Z"],
            "--as-of",
        ),
        // The feeds follow DaemonSets' reads only: mirror pods are not followed.
        (
            vec!["--watch", "--static-pods"],
            "--watch does not follow static pods",
        ),
    ] {
        let out = live.run(&args);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}

/// script(1) (util-linux, `bsdutils` on Debian; .ci/run installs it) gives the binary a
/// terminal: without it these fail, never pass unrun. `timeout -s INT` is the Ctrl-C.
fn under_a_terminal(command: &str) -> String {
    let o = std::process::Command::new("script")
        .args(["-qec", command, "/dev/null"])
        .env("HOME", "/nonexistent")
        .output()
        .expect("script(1) is required on PATH (.ci/run installs bsdutils)");
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn on_a_terminal_the_report_is_redrawn_in_place_until_ctrl_c() {
    let live = start("watch-tty");
    let screen = under_a_terminal(&format!(
        "timeout -s INT 3 {} --watch --kubeconfig {}",
        env!("CARGO_BIN_EXE_kubectl-ds_coverage"),
        live.kubeconfig
    ));
    // Home and clear, then the table with its DaemonSet, then when it last changed.
    let drawn = screen
        .find("\x1b[H\x1b[2J")
        .unwrap_or_else(|| panic!("{screen:?}"));
    let rest = &screen[drawn..];
    assert!(rest.contains("agent"), "{screen:?}");
    assert!(rest.contains("last change: "), "{screen:?}");
    // No alternate screen or raw mode to restore: none is ever entered.
    assert!(!screen.contains("\x1b[?1049h"), "{screen:?}");
}

#[test]
fn on_a_terminal_wait_progress_is_redrawn_in_place() {
    let live = start("wait-tty");
    let screen = under_a_terminal(&format!(
        "{} --check --wait 2s --kubeconfig {} >/dev/null",
        env!("CARGO_BIN_EXE_kubectl-ds_coverage"),
        live.kubeconfig
    ));
    assert!(
        screen.contains("\r\x1b[2Kwaiting (") && screen.contains("monitoring/agent 2/3 available"),
        "{screen:?}"
    );
    assert!(screen.contains("timed out after 2s"), "{screen:?}");
}

/// `\r\x1b[2K` redraws one row: a progress line wider than the terminal would wrap and leave
/// a row behind at every redraw. On a 40-column terminal each redrawn line is cut to fit, one
/// column short of the width (`COLUMNS` says the width: script(1)'s terminal has no size).
#[test]
fn on_a_narrow_terminal_wait_progress_fits_one_row() {
    let live = start("wait-tty-narrow");
    let screen = under_a_terminal(&format!(
        "COLUMNS=40 {} --check --wait 2s --kubeconfig {} >/dev/null",
        env!("CARGO_BIN_EXE_kubectl-ds_coverage"),
        live.kubeconfig
    ));
    let drawn: Vec<&str> = screen
        .split("\r\x1b[2K")
        .filter(|s| s.starts_with("waiting ("))
        .map(|s| s.split(['\r', '\n']).next().unwrap_or(""))
        .collect();
    assert!(!drawn.is_empty(), "{screen:?}");
    for line in &drawn {
        assert!(line.chars().count() <= 39, "{line:?} in {screen:?}");
        assert!(
            line.contains("): monitoring/ag") && line.ends_with('…'),
            "{line:?}"
        );
    }
    assert!(screen.contains("timed out after 2s"), "{screen:?}");
}

/// The API server lost while watching is said on stderr once it has been gone a few seconds;
/// the watch goes on retrying (it ends on Ctrl-C, or on a refusal no retry changes).
#[test]
fn an_api_server_lost_while_watching_is_said() {
    let live = start("watch-lost");
    let mut child = live.spawn(&["--watch"]);
    let rx = lines_of(child.stderr.take().unwrap());
    live.await_pod_watches(1);
    drop(live);
    let line = rx
        .recv_timeout(Duration::from_secs(60))
        .expect("a line on stderr");
    assert!(
        line.starts_with("warning: ")
            && line.ends_with("; retrying until it answers (the report stays as last read)"),
        "{line}"
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the watch goes on retrying"
    );
    let _ = child.kill();
    let _ = child.wait();
}

/// On a terminal shorter than the report the redrawn screen is cut to its rows, saying how much
/// is left out, so it never scrolls (a scrolled frame would leave copies in the scrollback).
#[test]
fn on_a_short_terminal_the_redrawn_report_is_cut_to_its_rows() {
    let live = start("watch-short");
    let screen = under_a_terminal(&format!(
        "stty rows 5 cols 100; timeout -s INT 3 {} --watch --kubeconfig {}",
        env!("CARGO_BIN_EXE_kubectl-ds_coverage"),
        live.kubeconfig
    ));
    let drawn = screen
        .find("\x1b[H\x1b[2J")
        .unwrap_or_else(|| panic!("{screen:?}"));
    let frame = &screen[drawn..];
    let end = frame.find("\x1b[J").unwrap_or_else(|| panic!("{screen:?}"));
    let frame = &frame[..end];
    assert!(
        frame.contains("more lines: a taller terminal shows them"),
        "{frame:?}"
    );
    assert!(frame.contains("last change: "), "{frame:?}");
    assert!(frame.matches('\n').count() <= 4, "five rows: {frame:?}");
}
