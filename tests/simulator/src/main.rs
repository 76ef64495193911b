//! `ds-coverage-simulator`: serve a cluster file from the simulated API server until killed.
//!
//! ```text
//! ds-coverage-simulator --listen 127.0.0.1:0 --from-file cluster.json [--token T]
//!     [--kubeconfig PATH] [--gzip-threshold BYTES] [--workers N] [--controller]
//! ```
//! Prints `url: http://…` and `kubeconfig: PATH` on stdout. `GET /_sim/stats` returns the serving
//! statistics as JSON; `POST /_sim/reset` clears them.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use ds_coverage_simulator::{ControllerMode, SimOptions, Simulator};
use serde_json::Value;

const USAGE: &str = "usage: ds-coverage-simulator --from-file FILE [--listen ADDR] [--token TOKEN]
       [--kubeconfig PATH] [--gzip-threshold BYTES] [--workers N] [--controller]

Serves the objects in FILE (JSON or YAML: a List, an array, or a single object) as a simulated
kube-apiserver, and prints its URL and a kubeconfig path. Runs until killed.";

struct Args {
    listen: SocketAddr,
    file: PathBuf,
    token: Option<String>,
    kubeconfig: Option<PathBuf>,
    gzip_threshold: Option<usize>,
    workers: Option<usize>,
    controller: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let (mut file, mut token, mut kubeconfig, mut gzip_threshold, mut workers, mut controller) =
        (None, None, None, None, None, false);
    while let Some(a) = args.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (a.clone(), None),
        };
        let mut value = || {
            inline
                .clone()
                .or_else(|| args.next())
                .ok_or_else(|| format!("{flag} needs a value"))
        };
        match flag.as_str() {
            "--listen" => {
                let v = value()?;
                listen = v.parse().map_err(|e| format!("--listen {v}: {e}"))?;
            }
            "--from-file" | "-f" => file = Some(PathBuf::from(value()?)),
            "--token" => token = Some(value()?),
            "--kubeconfig" => kubeconfig = Some(PathBuf::from(value()?)),
            "--gzip-threshold" => {
                let v = value()?;
                gzip_threshold = Some(
                    v.parse()
                        .map_err(|e| format!("--gzip-threshold {v}: {e}"))?,
                );
            }
            "--workers" => {
                let v = value()?;
                workers = Some(v.parse().map_err(|e| format!("--workers {v}: {e}"))?);
            }
            "--controller" => controller = true,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        listen,
        file: file.ok_or("--from-file is required")?,
        token,
        kubeconfig,
        gzip_threshold,
        workers,
        controller,
    })
}

/// Starts the simulator on the file: JSON is streamed item by item; YAML is read whole.
fn start(path: &PathBuf, opts: SimOptions) -> Result<Simulator, String> {
    let mut file =
        std::fs::File::open(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut first = [0u8; 512];
    let n = file
        .read(&mut first)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let is_json = first[..n]
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| matches!(b, b'{' | b'['));
    let reader = std::io::Cursor::new(first[..n].to_vec()).chain(file);
    let started = if is_json {
        Simulator::try_start_from_reader(reader, opts)
    } else {
        let mut text = String::new();
        let mut reader = reader;
        reader
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let doc: Value = serde_saphyr::from_str(&text)
            .map_err(|e| format!("{}: invalid YAML: {e}", path.display()))?;
        let objects = match doc {
            Value::Array(items) => items,
            other => vec![other],
        };
        Simulator::try_start(objects, opts)
    };
    started.map_err(|e| format!("{}: {e}", path.display()))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            if !e.is_empty() {
                eprintln!("ds-coverage-simulator: {e}\n");
            }
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    let mut opts = SimOptions {
        listen: args.listen,
        token: args.token.clone(),
        controller: args.controller.then(ControllerMode::default),
        ..SimOptions::default()
    };
    if let Some(t) = args.gzip_threshold {
        opts.gzip_threshold = t;
    }
    if let Some(w) = args.workers {
        opts.worker_threads = w;
    }
    let sim = match start(&args.file, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("ds-coverage-simulator: {e}");
            return ExitCode::from(1);
        }
    };
    let kubeconfig = args.kubeconfig.unwrap_or_else(|| {
        std::env::temp_dir().join(format!(
            "ds-coverage-simulator-{}.kubeconfig",
            sim.addr().port()
        ))
    });
    if let Err(e) = sim.write_kubeconfig(&kubeconfig, args.token.as_deref(), None) {
        eprintln!(
            "ds-coverage-simulator: cannot write {}: {e}",
            kubeconfig.display()
        );
        return ExitCode::from(1);
    }
    println!("url: {}", sim.url());
    println!("kubeconfig: {}", kubeconfig.display());
    loop {
        std::thread::park();
    }
}
