//! Mutated real captures, fed to every reader through the library's entry point
//! (`source::file::load`): JSON, YAML, the `kubectl cluster-info dump` stream, Python-client
//! dumps and kindless arrays named by their file. Each case must give a report or one clear
//! line with exit 3, never a panic, and a report of bounded size. Seeded (splitmix64) and
//! bounded: `DS_COVERAGE_FUZZ_CASES` sets the cases per capture (default 40),
//! `DS_COVERAGE_FUZZ_SEED` the seed.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;

use ds_coverage::coverage::{Options, compute};
use ds_coverage::error::Exit;
use ds_coverage::source::file::load;
use serde_json::Value;

/// splitmix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators").
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Format {
    Json,
    Yaml,
    /// JSON documents and log blocks, read from stdin.
    Stream,
}

struct Capture {
    /// The file name it is written under (kindless arrays take their kind from it).
    name: &'static str,
    format: Format,
    text: String,
}

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn corpus() -> Vec<Capture> {
    let stream = format!(
        "{}\n==== START logs for container c of pod default/p ====\n{{\"x\": [1,\n==== END logs for container c of pod default/p ====\n{}\n",
        fixture("cluster-info-dump/nodes.json"),
        fixture("cluster-info-dump/default/daemonsets.json"),
    );
    vec![
        Capture {
            name: "kalc-gke5-daemonsets.json",
            format: Format::Json,
            text: fixture("real/kalc-gke5-daemonsets.json"),
        },
        Capture {
            name: "kalc-gke5-daemonsets.pyclient.yaml",
            format: Format::Yaml,
            text: fixture("real/kalc-gke5-daemonsets.pyclient.yaml"),
        },
        Capture {
            name: "mustgather-ocp48-aws6-daemonsets.yaml",
            format: Format::Yaml,
            text: fixture("real/mustgather-ocp48-aws6-daemonsets.yaml"),
        },
        Capture {
            name: "Nodes.json",
            format: Format::Json,
            text: fixture("real/sonobuoy-aws3-nodes.json"),
        },
        Capture {
            name: "sonobuoy-kind1-pods.list.json",
            format: Format::Json,
            text: fixture("real/sonobuoy-kind1-pods.list.json"),
        },
        Capture {
            name: "dump.txt",
            format: Format::Stream,
            text: stream,
        },
    ]
}

/// Every value in a tree, by JSON pointer.
fn pointers(v: &Value, at: String, out: &mut Vec<String>) {
    match v {
        Value::Object(o) => {
            for (k, x) in o {
                let p = format!("{at}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                let p = format!("{at}/{i}");
                out.push(p.clone());
                pointers(x, p, out);
            }
        }
        _ => {}
    }
}

fn parse(c: &Capture) -> Option<Value> {
    match c.format {
        Format::Json => serde_json::from_str(&c.text).ok(),
        Format::Yaml => serde_saphyr::from_multiple::<Value>(&c.text)
            .ok()
            .map(Value::Array),
        Format::Stream => None,
    }
}

fn print(c: &Capture, v: &Value) -> String {
    match c.format {
        Format::Yaml => v
            .as_array()
            .unwrap()
            .iter()
            .map(|d| format!("---\n{}", serde_saphyr::to_string(d).unwrap()))
            .collect(),
        _ => serde_json::to_string_pretty(v).unwrap(),
    }
}

/// One mutation of a capture: cut, bytes flipped, a field of the wrong type, a huge string,
/// deep nesting.
fn mutate(c: &Capture, rng: &mut Rng) -> Vec<u8> {
    let bytes = c.text.as_bytes();
    let tree = parse(c);
    let kind = if tree.is_some() {
        rng.below(5)
    } else {
        rng.below(2)
    };
    match kind {
        0 => bytes[..rng.below(bytes.len())].to_vec(),
        1 => {
            let mut b = bytes.to_vec();
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(b.len());
                b[i] ^= 1 << rng.below(8);
            }
            b
        }
        _ => {
            let mut v = tree.unwrap();
            let mut ps = Vec::new();
            pointers(&v, String::new(), &mut ps);
            let p = ps[rng.below(ps.len())].clone();
            let target = v.pointer_mut(&p).unwrap();
            *target = match kind {
                2 => match rng.below(6) {
                    0 => Value::Null,
                    1 => Value::Bool(true),
                    2 => Value::from(-1i64 << rng.below(63)),
                    3 => Value::from(1.5e300),
                    4 => Value::Array(vec![Value::from("x")]),
                    _ => Value::from("not-what-you-expect"),
                },
                3 => Value::from("x".repeat(1 << (10 + rng.below(11)))),
                _ => {
                    let mut deep = target.take();
                    for _ in 0..rng.below(400) {
                        deep = Value::Array(vec![deep]);
                    }
                    deep
                }
            };
            // Deep values cannot always be printed back (the printers' own limits).
            match catch_unwind(AssertUnwindSafe(|| print(c, &v))) {
                Ok(s) => s.into_bytes(),
                Err(_) => bytes[..bytes.len() / 2].to_vec(),
            }
        }
    }
}

#[test]
fn mutated_captures_give_a_report_or_one_line_never_a_panic() {
    // The stack the binary's main thread has (8 MiB), not a test thread's 2 MiB.
    std::thread::Builder::new()
        .stack_size(8 << 20)
        .spawn(run_cases)
        .unwrap()
        .join()
        .unwrap();
}

fn run_cases() {
    let cases: usize = std::env::var("DS_COVERAGE_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(40);
    let seed: u64 = std::env::var("DS_COVERAGE_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x5eed_d5c0);
    let dir: PathBuf =
        std::env::temp_dir().join(format!("ds-coverage-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let now = "2027-01-01T00:00:00Z".parse().unwrap();
    let (mut reports, mut errors) = (0, 0);
    let mut rng = Rng(seed);
    for c in corpus() {
        for case in 0..cases {
            let input = mutate(&c, &mut rng);
            let what = format!("{} case {case} (seed {seed})", c.name);
            let outcome = catch_unwind(AssertUnwindSafe(|| {
                let loaded = if c.format == Format::Stream {
                    load(&["-".to_string()], &mut input.as_slice())
                } else {
                    let f = dir.join(c.name);
                    std::fs::write(&f, &input).unwrap();
                    load(&[f.display().to_string()], &mut std::io::empty())
                };
                loaded.map(|snap| compute(&snap, &Options::new(now)))
            }));
            match outcome {
                Err(_) => panic!("{what}: panicked"),
                Ok(Ok(Ok(report))) => {
                    let size = serde_json::to_vec(&report).unwrap().len();
                    assert!(
                        size <= 64 * input.len() + (1 << 20),
                        "{what}: a {size}-byte report from {} bytes",
                        input.len()
                    );
                    reports += 1;
                }
                Ok(Ok(Err(e))) => {
                    // compute's own refusal (e.g. nothing to audit) is a clear line too.
                    assert_eq!(e.to_string().lines().count(), 1, "{what}: {e}");
                    errors += 1;
                }
                Ok(Err(e)) => {
                    let msg = e.to_string();
                    assert_eq!(e.exit(), Exit::Input, "{what}: {msg}");
                    assert_eq!(msg.lines().count(), 1, "{what}: {msg}");
                    assert!(msg.len() < 4096, "{what}: a {}-byte message", msg.len());
                    errors += 1;
                }
            }
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    // Both outcomes occur: the mutator does reach past the parsers.
    assert!(
        reports > 0 && errors > 0,
        "{reports} reports, {errors} errors"
    );
}
