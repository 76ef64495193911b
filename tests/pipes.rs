//! A reader that goes away (`| head`, `2>&-`) never changes the exit code of any subcommand, and
//! a closed stderr never panics (exit 101). The pipes here are closed before the binary starts,
//! so every write it makes meets a closed pipe. A report written into a file (`> report.json
//! 2>&1`, written by a thread of its own) is the report written into a pipe, whole, with
//! standard error's text where it came.

mod support;

use std::process::{Command, Output, Stdio};

/// Which of the binary's outputs has no reader.
#[derive(Clone, Copy)]
enum Closed {
    Stdout,
    Stderr,
    Both,
}

fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    Stdio::from(writer)
}

fn run(args: &[&str], closed: Closed) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"));
    cmd.args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    match closed {
        Closed::Stdout => cmd.stdout(closed_pipe()),
        Closed::Stderr => cmd.stderr(closed_pipe()),
        Closed::Both => cmd.stdout(closed_pipe()).stderr(closed_pipe()),
    };
    cmd.output().expect("run the binary")
}

/// The exit code with both outputs open, and with each way of closing them: all equal.
fn same_exit_code_whatever_is_closed(args: &[&str], expected: i32) {
    let open = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("KUBECONFIG")
        .env("HOME", "/nonexistent")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(
        open.status.code(),
        Some(expected),
        "{args:?} with open pipes: {}",
        String::from_utf8_lossy(&open.stderr)
    );
    assert!(!open.stdout.is_empty() || !open.stderr.is_empty());
    for closed in [Closed::Stdout, Closed::Stderr, Closed::Both] {
        let o = run(args, closed);
        assert_eq!(
            o.status.code(),
            Some(expected),
            "{args:?}: stdout {:?} stderr {:?}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        if let Closed::Stdout = closed {
            let err = String::from_utf8_lossy(&o.stderr);
            assert!(
                !err.contains("Broken pipe") && !err.contains("cannot write output"),
                "{args:?}: a closed stdout is not an error: {err}"
            );
        }
    }
}

#[test]
fn the_report_keeps_its_exit_code_and_the_gates() {
    same_exit_code_whatever_is_closed(&["-f", "examples/cluster.yaml"], 0);
    same_exit_code_whatever_is_closed(&["-f", "examples/cluster.yaml", "-o", "json"], 0);
    // The example has drift: the gate fails (1), whoever reads the output.
    same_exit_code_whatever_is_closed(&["-f", "examples/cluster.yaml", "--check"], 1);
    same_exit_code_whatever_is_closed(&["-f", "examples/cluster.yaml", "--check", "-o", "json"], 1);
    same_exit_code_whatever_is_closed(&["-f", "examples/healthy-cluster.yaml", "--check"], 0);
}

#[test]
fn errors_keep_their_exit_code_and_a_closed_stderr_never_panics() {
    // Not found: exit 3, even when nobody reads the message.
    same_exit_code_whatever_is_closed(&["-f", "examples/cluster.yaml", "nosuch"], 3);
    // A usage error from clap: exit 2.
    same_exit_code_whatever_is_closed(&["--output", "nosuch"], 2);
    // An unreadable input: exit 3.
    same_exit_code_whatever_is_closed(&["-f", "/nonexistent/cluster.json"], 3);
}

#[test]
fn explain_fix_and_schema_keep_their_exit_codes() {
    same_exit_code_whatever_is_closed(
        &[
            "explain",
            "-f",
            "examples/cluster.yaml",
            "logging/fluent-bit",
            "worker-5",
        ],
        0,
    );
    same_exit_code_whatever_is_closed(
        &[
            "explain",
            "-f",
            "examples/cluster.yaml",
            "-o",
            "json",
            "logging/fluent-bit",
            "worker-5",
        ],
        0,
    );
    same_exit_code_whatever_is_closed(&["fix", "-f", "examples/cluster.yaml"], 0);
    same_exit_code_whatever_is_closed(&["fix", "-f", "examples/cluster.yaml", "-o", "json"], 0);
    same_exit_code_whatever_is_closed(&["schema"], 0);
    same_exit_code_whatever_is_closed(&["completion", "bash"], 0);
}

/// `> FILE 2>&1`: the file holds exactly what the two pipes get, standard error's text (the
/// gate's verdict, written before the report) first, and the same exit code; the report is
/// megabytes, so the file's writer thread is given it in many chunks.
#[test]
fn a_report_into_a_file_is_the_report_into_a_pipe() {
    let input = support::generated_file(300, 300, 12, 0.3);
    let dir = std::env::temp_dir().join(format!("ds-coverage-file-out-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for format in ["json", "yaml", "table", "matrix"] {
        let args = [
            "-f",
            input.as_str(),
            "-o",
            format,
            "--check",
            "--color",
            "never",
            "--as-of",
            "2026-12-01T00:00:00Z",
        ];
        let piped = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
            .args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent")
            .env("COLUMNS", "200")
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let path = dir.join(format!("report.{format}"));
        let file = std::fs::File::create(&path).unwrap();
        let status = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
            .args(args)
            .env_remove("KUBECONFIG")
            .env("HOME", "/nonexistent")
            .env("COLUMNS", "200")
            .stdin(Stdio::null())
            .stdout(file.try_clone().unwrap())
            .stderr(file)
            .status()
            .unwrap();
        assert_eq!(status.code(), piped.status.code(), "-o {format}");
        assert_eq!(
            piped.status.code(),
            Some(1),
            "-o {format}: the drift fails the gate"
        );
        if format == "json" {
            assert!(piped.stdout.len() > 2 << 20, "{} bytes", piped.stdout.len());
        }
        let written = std::fs::read(&path).unwrap();
        let expected = [piped.stderr.as_slice(), piped.stdout.as_slice()].concat();
        assert!(
            written == expected,
            "-o {format}: the file ({} bytes) is not stderr then stdout ({} + {} bytes)",
            written.len(),
            piped.stderr.len(),
            piped.stdout.len()
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
