//! `ds-coverage-simulator`: serve a cluster file from the simulated API server until killed.
//!
//! ```text
//! ds-coverage-simulator --listen 127.0.0.1:0 --from-file cluster.json [--token T]
//!     [--kubeconfig PATH] [--gzip-threshold BYTES|never] [--workers N] [--controller] [--no-pack]
//!     [--no-protobuf]
//! ds-coverage-simulator --generate nodes=5000,daemonsets=40,ordinary=10,drift=0.05,seed=1 …
//! ```
//! Prints `url: http://…` and `kubeconfig: PATH` on stdout (after `generated: …` with
//! `--generate`). `GET /_sim/stats` returns the serving statistics as JSON; `POST /_sim/reset`
//! clears them; `POST /_sim/config?gzipThreshold=N|never` changes the gzip threshold.

use std::io::Read;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use ds_coverage_simulator::generator::ClusterSpec;
use ds_coverage_simulator::{ControllerMode, SimOptions, Simulator};
use serde_json::Value;

const USAGE: &str =
    "usage: ds-coverage-simulator (--from-file FILE | --generate SPEC) [--listen ADDR]
       [--token TOKEN] [--kubeconfig PATH] [--gzip-threshold BYTES|never] [--workers N]
       [--controller] [--no-pack] [--no-protobuf]

Serves the objects in FILE (JSON or YAML: a List, an array, or a single object), or a generated
cluster, as a simulated kube-apiserver, and prints its URL and a kubeconfig path. Runs until
killed.

SPEC is comma-separated key=value: nodes=N (required), daemonsets=M (40), ordinary=K ordinary
pods per node (10), drift=F (0.05), seed=S (1), padding=true|false (true: daemon pods of 5-8 KB
of JSON). Objects stream from the generator into the store, each kept LZ4-compressed against the
first object of its family: 65,000 nodes x 40 DaemonSets (about 15 GB of JSON) fits in a few GiB.
--no-pack keeps every object's JSON whole instead (same responses; for comparison).
--no-protobuf answers pods in JSON even to a client that prefers Kubernetes protobuf, as a
JSON-only proxy would (for comparison: the plugin then reads JSON).";

enum Source {
    File(PathBuf),
    Generate(ClusterSpec),
}

struct Args {
    listen: SocketAddr,
    source: Source,
    token: Option<String>,
    kubeconfig: Option<PathBuf>,
    gzip_threshold: Option<usize>,
    workers: Option<usize>,
    controller: bool,
    pack: bool,
    protobuf: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let (mut source, mut token, mut kubeconfig, mut gzip_threshold, mut workers, mut controller) =
        (None, None, None, None, None, false);
    let (mut pack, mut protobuf) = (true, true);
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
            "--from-file" | "-f" => source = Some(Source::File(PathBuf::from(value()?))),
            "--generate" => source = Some(Source::Generate(parse_spec(&value()?)?)),
            "--token" => token = Some(value()?),
            "--kubeconfig" => kubeconfig = Some(PathBuf::from(value()?)),
            "--gzip-threshold" => {
                let v = value()?;
                gzip_threshold = Some(if v == "never" {
                    usize::MAX
                } else {
                    v.parse()
                        .map_err(|e| format!("--gzip-threshold {v}: {e}"))?
                });
            }
            "--workers" => {
                let v = value()?;
                workers = Some(v.parse().map_err(|e| format!("--workers {v}: {e}"))?);
            }
            "--controller" => controller = true,
            "--no-pack" => pack = false,
            "--no-protobuf" => protobuf = false,
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        listen,
        source: source.ok_or("--from-file or --generate is required")?,
        token,
        kubeconfig,
        gzip_threshold,
        workers,
        controller,
        pack,
        protobuf,
    })
}

/// `nodes=N,daemonsets=M,ordinary=K,drift=F,seed=S,padding=B`.
fn parse_spec(text: &str) -> Result<ClusterSpec, String> {
    let mut spec = ClusterSpec {
        seed: 1,
        nodes: 0,
        daemon_sets: 40,
        ordinary_pods_per_node: 10,
        drift: 0.05,
        daemon_pod_padding: true,
    };
    let mut nodes = false;
    for part in text.split(',').filter(|p| !p.is_empty()) {
        let (k, v) = part
            .split_once('=')
            .ok_or_else(|| format!("--generate: {part:?} is not key=value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("--generate {k}={v}: {e}");
        match k.trim() {
            "nodes" => {
                spec.nodes = v.parse().map_err(|e| bad(&e))?;
                nodes = true;
            }
            "daemonsets" | "daemon_sets" => spec.daemon_sets = v.parse().map_err(|e| bad(&e))?,
            "ordinary" => spec.ordinary_pods_per_node = v.parse().map_err(|e| bad(&e))?,
            "drift" => spec.drift = v.parse().map_err(|e| bad(&e))?,
            "seed" => spec.seed = v.parse().map_err(|e| bad(&e))?,
            "padding" => spec.daemon_pod_padding = v.parse().map_err(|e| bad(&e))?,
            other => return Err(format!("--generate: unknown key {other:?}")),
        }
    }
    if !nodes {
        return Err("--generate needs nodes=N".into());
    }
    Ok(spec)
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
        pack_objects: args.pack,
        protobuf: args.protobuf,
        ..SimOptions::default()
    };
    if let Some(t) = args.gzip_threshold {
        opts.gzip_threshold = t;
    }
    if let Some(w) = args.workers {
        opts.worker_threads = w;
    }
    let started = match &args.source {
        Source::File(path) => start(path, opts),
        Source::Generate(spec) => {
            let t = std::time::Instant::now();
            Simulator::try_start_generated(spec, opts)
                .map(|(sim, shape)| {
                    println!(
                        "generated: {} in {:.1}s",
                        shape.summary(),
                        t.elapsed().as_secs_f64()
                    );
                    sim
                })
                .map_err(|e| e.to_string())
        }
    };
    let sim = match started {
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
