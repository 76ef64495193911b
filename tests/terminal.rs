//! Human output that fits the terminal and tells the same story in every format: the binary at
//! a given width (`COLUMNS`), the problem-node cap, NAMESPACE/NAME, colours and the smaller
//! points of the report's wording.

mod support;

use std::process::{Command, Output};

const AS_OF: &str = "2026-11-20T12:00:00Z";

fn run(width: usize, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(args)
        .env_remove("NO_COLOR")
        .env_remove("KUBECONFIG")
        .env("COLUMNS", width.to_string())
        .output()
        .expect("binary runs")
}

fn ok(o: &Output) -> String {
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).expect("UTF-8")
}

fn example<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec!["-f", "examples/cluster.yaml", "--as-of", AS_OF];
    v.extend_from_slice(extra);
    v
}

/// The generated 300-node, 40-DaemonSet cluster of the goldens.
fn generated() -> String {
    support::generated_file(40, 300, 40, 0.03)
}

/// The problem-node lines under the `kube-system/ebs-csi-node` row of a table.
fn detail_lines(table: &str) -> Vec<String> {
    table
        .lines()
        .skip_while(|l| !l.starts_with("kube-system ") || !l.contains(" ebs-csi-node "))
        .skip(1)
        .take_while(|l| l.starts_with("  "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_problem_list_is_capped_with_a_hint_unless_asked_or_one_daemon_set_is_named() {
    let file = generated();
    let capped = ok(&run(120, &["-f", &file, "--as-of", AS_OF]));
    let capped = detail_lines(&capped);
    let more = capped.last().expect("detail lines");
    assert!(
        more.starts_with("  … and ") && more.ends_with(" more (--all-problems lists them)"),
        "{more}"
    );
    let hidden: usize = more.split_whitespace().nth(2).unwrap().parse().unwrap();
    assert_eq!(capped.len(), 5 + 1);

    let all = detail_lines(&ok(&run(
        120,
        &["-f", &file, "--as-of", AS_OF, "--all-problems"],
    )));
    assert_eq!(all.len(), 5 + hidden, "every problem node listed");
    assert!(all.iter().all(|l| !l.contains("… and")));

    // One DaemonSet named: no cap, NAME or NAMESPACE/NAME alike.
    for args in [
        vec!["-n", "kube-system", "ebs-csi-node"],
        vec!["kube-system/ebs-csi-node"],
    ] {
        let mut a = vec!["-f", file.as_str(), "--as-of", AS_OF];
        a.extend(args);
        let one = detail_lines(&ok(&run(120, &a)));
        assert_eq!(one, all, "{a:?}");
    }
}

#[test]
fn namespace_slash_name_names_a_daemon_set_of_the_report() {
    let o = run(80, &example(&["logging/fluent-bit", "-o", "json"]));
    let report: serde_json::Value = serde_json::from_str(&ok(&o)).unwrap();
    let ds = report["daemonSets"].as_array().unwrap();
    assert_eq!(ds.len(), 1);
    assert_eq!(ds[0]["namespace"], "logging");
    assert_eq!(ds[0]["name"], "fluent-bit");

    let clash = run(80, &example(&["-n", "monitoring", "logging/fluent-bit"]));
    assert_eq!(clash.status.code(), Some(2));
    let err = String::from_utf8_lossy(&clash.stderr);
    assert!(err.contains("not in namespace monitoring"), "{err}");
    assert_eq!(err.lines().count(), 1, "one line: {err}");

    let bad = run(80, &example(&["logging/"]));
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn an_empty_namespace_flag_is_no_namespace() {
    let all = ok(&run(200, &example(&[])));
    let empty = run(200, &example(&["-n", ""]));
    assert!(!String::from_utf8_lossy(&empty.stderr).contains("namespace ."));
    assert_eq!(ok(&empty), all);
}

#[test]
fn the_gate_verdict_is_coloured_and_grammatical() {
    let args = [
        "--check",
        "--fail-on",
        "Missing",
        "-n",
        "monitoring",
        "netdata",
    ];
    let colour = run(80, &example(&[&args[..], &["--color", "always"]].concat()));
    assert_eq!(colour.status.code(), Some(0));
    let err = String::from_utf8_lossy(&colour.stderr);
    assert!(err.contains("\x1b[32mPASS"), "green PASS: {err:?}");
    assert!(err.contains("1 DaemonSet meets the policy"), "{err}");

    let plain = run(80, &example(&[&args[..], &["--color", "never"]].concat()));
    let err = String::from_utf8_lossy(&plain.stderr);
    assert!(
        err.starts_with("PASS  1 DaemonSet meets the policy"),
        "{err}"
    );
    assert!(!err.contains('\x1b'));

    let fail = run(80, &example(&["--check", "--color", "always"]));
    assert_eq!(fail.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&fail.stderr).contains("\x1b[31mFAIL"));
}

/// The SGR parameters of every escape sequence in `text`.
fn sgr_codes(text: &str) -> Vec<String> {
    text.split('\x1b')
        .skip(1)
        .map(|s| {
            s.strip_prefix('[')
                .and_then(|s| s.split_once('m'))
                .map(|(codes, _)| codes.to_string())
                .unwrap_or_else(|| panic!("not an SGR sequence: {s:?}"))
        })
        .collect()
}

#[test]
fn colours_are_the_basic_sixteen() {
    for format in ["table", "wide", "matrix"] {
        let text = ok(&run(120, &example(&["-o", format, "--color", "always"])));
        let codes = sgr_codes(&text);
        assert!(!codes.is_empty(), "{format} is coloured");
        for c in codes {
            for n in c.split(';') {
                let n: u32 = n.parse().unwrap_or_else(|_| panic!("{format}: {c:?}"));
                assert!(
                    matches!(n, 0 | 1 | 2 | 22 | 39 | 30..=37 | 90..=97),
                    "{format}: SGR {c:?} is not a basic colour or attribute"
                );
            }
        }
    }
}

#[test]
fn what_if_rows_are_painted_as_what_ifs_not_as_failures() {
    let text = ok(&run(
        120,
        &example(&[
            "--manifest",
            "examples/whatif-gpu-operator.yaml",
            "--color",
            "always",
        ]),
    ));
    let row = text
        .lines()
        .find(|l| l.contains("dcgm-exporter (what-if)"))
        .expect("the what-if row");
    assert!(row.contains("\x1b[36m"), "cyan: {row:?}");
    assert!(!row.contains("\x1b[31m"), "not red: {row:?}");
}

#[test]
fn an_audit_instant_before_every_object_warns() {
    let o = run(
        120,
        &[
            "-f",
            "examples/cluster.yaml",
            "--as-of",
            "2000-01-01T00:00:00Z",
        ],
    );
    let text = ok(&o);
    assert!(
        text.contains("is before every object was created"),
        "{text}"
    );
    let fine = ok(&run(120, &example(&[])));
    assert!(!fine.contains("before every object"));
}

#[test]
fn every_format_tells_stranded_pods_orphans_and_stale_status() {
    let facts = [
        "pod nvidia-device-plugin-zskwg is for node gpu-3, which no longer exists",
        "pod logging/fluent-bit-debug on worker-1 has no DaemonSet controller reference",
        "status is stale: observedGeneration 2 is behind generation 3",
    ];
    for format in ["table", "wide", "matrix", "markdown", "junit"] {
        let text = ok(&run(200, &example(&["-o", format])));
        let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for f in facts {
            assert!(flat.contains(f), "{format} lacks {f:?}");
        }
    }
    let markdown = ok(&run(200, &example(&["-o", "markdown"])));
    assert!(markdown.contains("| worker-1 | Ready, duplicate |"));
    assert!(markdown.contains("| worker-1 | Ready, outdated |"));
    let junit = ok(&run(200, &example(&["-o", "junit"])));
    assert!(junit.contains(r#"<property name="coverage" value="50.0%"/>"#));
}

#[test]
fn no_stranded_pod_in_the_node_column() {
    let text = ok(&run(120, &example(&[])));
    assert!(!text.lines().any(|l| l.trim_start().starts_with("gone ")));
}

#[test]
fn matrix_pages_columns_and_hides_covered_daemon_sets() {
    let file = generated();
    let paged = ok(&run(80, &["-f", &file, "--as-of", AS_OF, "-o", "matrix"]));
    let pages: Vec<&str> = paged.lines().filter(|l| l.contains("(page ")).collect();
    assert!(pages.len() > 1, "40 DaemonSets do not fit 80 columns");
    let capped = ok(&run(
        200,
        &[
            "-f",
            &file,
            "--as-of",
            AS_OF,
            "-o",
            "matrix",
            "--max-columns",
            "10",
        ],
    ));
    assert_eq!(
        capped.lines().filter(|l| l.contains("(page ")).count(),
        4,
        "40 columns, 10 a page"
    );
    let hidden = ok(&run(
        200,
        &[
            "-f",
            &file,
            "--as-of",
            AS_OF,
            "-o",
            "matrix",
            "--hide-covered",
        ],
    ));
    let line = hidden
        .lines()
        .find(|l| l.contains("fully covered DaemonSets hidden (--hide-covered)"))
        .expect("the hidden-columns line");
    let n: usize = line.split_whitespace().nth(1).unwrap().parse().unwrap();
    let keys = hidden.matches("] ").count();
    assert_eq!(keys + n, 40, "key entries and hidden columns add up");
    assert_eq!(
        run(80, &example(&["--hide-covered"])).status.code(),
        Some(2),
        "--hide-covered is a matrix flag"
    );
    // In the example every Ready-only DaemonSet has something else to report: dcgm-exporter no
    // eligible node (a gate failure), netdata a status that lags (a note). Neither is hidden.
    let example_matrix = ok(&run(
        200,
        &example(&["-o", "matrix", "--hide-covered", "--color", "never"]),
    ));
    for id in ["gpu-operator/dcgm-exporter", "monitoring/netdata"] {
        assert!(
            example_matrix.contains(&format!("] {id}")),
            "{id} keeps its column:\n{example_matrix}"
        );
    }
    assert!(
        !example_matrix.contains("hidden (--hide-covered)"),
        "{example_matrix}"
    );
}

/// The example cluster with `logging/fluent-bit` renamed to a long name (56 characters, within
/// the API's limits), written once to a temp file: its path.
fn long_named_example() -> String {
    let text = std::fs::read_to_string("examples/cluster.yaml").expect("examples/cluster.yaml");
    let text = text.replace("name: fluent-bit\n", &format!("name: {LONG_NAME}\n"));
    assert!(
        text.matches(LONG_NAME).count() > 5,
        "the DaemonSet and its pods renamed"
    );
    let dir = std::env::temp_dir().join(format!("ds-coverage-terminal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("long-name.yaml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const LONG_NAME: &str = "fluent-bit-log-forwarder-with-a-very-long-name-for-tests";

fn columns(line: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(line)
}

/// Every line of the table, wide and matrix outputs, and of the gate's verdict on stderr, fits
/// the width (80 and 120, from `COLUMNS`); a name cut to fit ends in "…", and `-o wide` then gives
/// it whole under its row; the verdict is wrapped between words, nothing lost (and left whole
/// when no width is known).
#[test]
fn every_line_of_every_human_output_and_the_verdict_fits_the_width() {
    let file = long_named_example();
    let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    // Neither a terminal nor COLUMNS (a CI log, a pipe): the verdict's lines are left whole.
    let unwrapped = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(["-f", &file, "--as-of", AS_OF, "--check"])
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    let verdict = String::from_utf8(unwrapped.stderr).unwrap();
    assert!(
        verdict.lines().any(|l| columns(l) > 120),
        "the verdict has lines wider than 120 to wrap:\n{verdict}"
    );
    assert!(
        verdict
            .lines()
            .skip(1)
            .all(|l| l.starts_with("  ") && !l.starts_with("    ") || !l.starts_with(' ')),
        "no continuation line without a width:\n{verdict}"
    );
    for width in [80, 120] {
        for format in ["table", "wide", "matrix"] {
            let o = run(
                width,
                &["-f", &file, "--as-of", AS_OF, "--check", "-o", format],
            );
            assert_eq!(o.status.code(), Some(1), "the example fails the gate");
            let stdout = String::from_utf8(o.stdout).unwrap();
            let stderr = String::from_utf8(o.stderr).unwrap();
            for (what, text) in [("stdout", &stdout), ("stderr", &stderr)] {
                for line in text.lines() {
                    assert!(
                        columns(line) <= width,
                        "{format} at {width}: {what} line of {} columns:\n{line}\nin\n{text}",
                        columns(line)
                    );
                }
            }
            assert_eq!(
                words(&stderr),
                words(&verdict),
                "{format} at {width}: the verdict wrapped, every word kept"
            );
            if format == "matrix" {
                continue;
            }
            let row = stdout
                .lines()
                .find(|l| l.starts_with("logging "))
                .expect("the logging row");
            if row.contains(LONG_NAME) {
                assert!(width >= 120, "the whole name fits only the wide terminal");
            } else {
                assert!(
                    row.contains("fluent-bit-log-forward") && row.contains('…'),
                    "{format} at {width}: a cut name ends in …: {row}"
                );
                if format == "wide" {
                    assert!(
                        stdout.contains(&format!("    name: logging/{LONG_NAME}\n")),
                        "wide gives the cut name whole:\n{stdout}"
                    );
                }
            }
        }
    }
}

/// The example with names at the API's lengths that cloud providers give: nodes named as GKE
/// names them (52 characters, differing only at the end) and a 44-character namespace; written
/// once to a temp file: its path.
fn cloud_named_example() -> String {
    let text = std::fs::read_to_string("examples/cluster.yaml").expect("examples/cluster.yaml");
    let mut text = text.replace(
        "namespace: logging\n",
        &format!("namespace: {LONG_NAMESPACE}\n"),
    );
    for n in 1..=5 {
        text = text.replace(&format!("worker-{n}"), &format!("{GKE_NODE}{n}"));
    }
    assert!(text.matches(LONG_NAMESPACE).count() > 5 && text.matches(GKE_NODE).count() > 20);
    let dir = std::env::temp_dir().join(format!("ds-coverage-terminal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("cloud-names.yaml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

const GKE_NODE: &str = "gke-production-cluster-01-default-pool-8f6e5d4c-k2m";
const LONG_NAMESPACE: &str = "logging-team-with-a-very-long-namespace-name";

/// Long node names and namespaces fit too, from a narrow terminal up: the matrix cuts node
/// names in the middle (their distinguishing ends kept) rather than page one DaemonSet at a
/// time, the table puts a reason under its row when long names leave it no room, and `wide`'s
/// `name:` line wraps within the width.
#[test]
fn long_node_names_and_namespaces_fit_the_width() {
    let file = cloud_named_example();
    for width in [60, 80, 120] {
        for format in ["table", "wide", "matrix"] {
            let o = run(
                width,
                &[
                    "-f", &file, "--as-of", AS_OF, "-o", format, "--color", "never",
                ],
            );
            let text = ok(&o);
            for line in text.lines() {
                assert!(
                    columns(line) <= width,
                    "{format} at {width}: a line of {}:\n{line}\nin\n{text}",
                    columns(line)
                );
            }
            match format {
                "matrix" => {
                    // Six columns: one page from 80 columns (at 60 the status column leaves
                    // the cut names room for five).
                    let pages = text.matches("(page ").count();
                    assert!(
                        pages == 0 || width < 80 && pages == 2,
                        "{width}: {pages} pages:\n{text}"
                    );
                    for n in 1..=5 {
                        let end = format!("k2m{n}  ");
                        assert_eq!(
                            text.lines()
                                .filter(|l| l.starts_with("gke-") && l.contains(&end))
                                .count(),
                            pages.max(1),
                            "{width}: node {n}, its end kept, once a page:\n{text}"
                        );
                    }
                }
                "table" => assert!(
                    text.contains("\n      no daemon pod for this node\n")
                        || text.contains("  no daemon pod for this node\n"),
                    "{width}: the Missing reason whole:\n{text}"
                ),
                _ => {
                    let name: String = text
                        .lines()
                        .skip_while(|l| !l.starts_with("    name: logging-team"))
                        .take_while(|l| l.starts_with("    name:") || l.starts_with("      "))
                        .map(|l| l.trim_start_matches("    name:").trim())
                        .collect();
                    assert!(
                        name == format!("{LONG_NAMESPACE}/fluent-bit")
                            || text.contains(&format!("\n{LONG_NAMESPACE}  fluent-bit ")),
                        "{width}: wide gives the name whole: {name:?}\n{text}"
                    );
                }
            }
        }
    }
}

/// `explain` fits the width too: long lines wrap between words under their text, comments of
/// the YAML to paste go on as comments, and the YAML and commands to paste are never cut.
#[test]
fn explain_wraps_to_the_width_and_keeps_what_is_pasted_whole() {
    let words = |s: &str| {
        s.split_whitespace()
            .filter(|w| *w != "#")
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    for (ds, node) in [
        ("gpu-operator/dcgm-exporter", "gpu-1"),
        ("logging/fluent-bit", "worker-5"),
        ("gpu-operator/nvidia-device-plugin", "gpu-2"),
    ] {
        let whole = ok(&run(1000, &example(&["explain", ds, node])));
        assert!(whole.lines().any(|l| columns(l) > 120), "{whole}");
        for width in [80, 120] {
            let text = ok(&run(width, &example(&["explain", ds, node])));
            for line in text.lines() {
                // A command to paste is the one line that may not fit.
                if !line.trim_start().starts_with("kubectl ") {
                    assert!(columns(line) <= width, "{width}: {line}\nin\n{text}");
                }
            }
            assert_eq!(words(&text), words(&whole), "{ds} {node} at {width}");
            for line in whole.lines().filter(|l| columns(l) <= width) {
                assert!(
                    text.lines().any(|l| l == line),
                    "{width}: lost {line:?}\n{text}"
                );
            }
            for line in whole.lines() {
                let t = line.trim_start();
                if t.starts_with("kubectl ") || t.starts_with("- key:") || t.starts_with("effect:")
                {
                    assert!(text.contains(&format!("{line}\n")), "{width}: cut {line:?}");
                }
            }
            // Comments of the YAML to paste stay comments.
            let mut in_comment = false;
            for line in text.lines() {
                if line.starts_with("  # ") {
                    in_comment = true;
                } else if in_comment && line.starts_with("    ") {
                    panic!("{width}: a comment continued outside a comment: {line}\n{text}");
                } else {
                    in_comment = false;
                }
            }
        }
    }
}

/// The gate's violations line up: the state column is padded as the DaemonSet and node ones are,
/// so every reason starts at one column.
#[test]
fn the_verdicts_reasons_start_at_one_column() {
    let o = Command::new(env!("CARGO_BIN_EXE_kubectl-ds_coverage"))
        .args(example(&["--check"]))
        .env_remove("COLUMNS")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let verdict = String::from_utf8(o.stderr).unwrap();
    let starts: std::collections::BTreeSet<usize> = verdict
        .lines()
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .map(|l| {
            // After the DaemonSet, node and state columns (separated by two spaces or more).
            let mut at = 2;
            for _ in 0..3 {
                at += l[at..].find("  ").expect("a column");
                at += l[at..].len() - l[at..].trim_start().len();
            }
            at
        })
        .collect();
    assert!(verdict.lines().count() > 5, "{verdict}");
    assert_eq!(starts.len(), 1, "reasons start at {starts:?}:\n{verdict}");
}

/// Wrapped `explain` never cuts a colour code (a word wider than the line is cut between
/// characters it shows), and a comment of the YAML to paste goes on as a comment even when it
/// holds two spaces running (a label value can).
#[test]
fn explain_wraps_colour_codes_whole_and_comments_as_comments() {
    for width in [55, 56, 60, 70] {
        let o = run(
            width,
            &example(&[
                "explain",
                "monitoring/netdata",
                "gpu-1",
                "--color",
                "always",
            ]),
        );
        let text = ok(&o);
        for line in text.lines() {
            let mut plain = String::new();
            let mut rest = line;
            while let Some(i) = rest.find('\u{1b}') {
                plain.push_str(&rest[..i]);
                let code = &rest[i..];
                let end = code.find('m').expect("a colour code ends on its line");
                assert!(
                    code[2..end]
                        .bytes()
                        .all(|b| b.is_ascii_digit() || b == b';')
                        && code.as_bytes()[1] == b'[',
                    "{width}: a cut colour code in {line:?}"
                );
                rest = &code[end + 1..];
            }
            plain.push_str(rest);
            assert!(!plain.starts_with('['), "{width}: a code's tail: {line:?}");
            assert!(
                columns(&plain) <= width || plain.trim_start().starts_with("kubectl "),
                "{width}: {line:?}"
            );
        }
    }
    let text = std::fs::read_to_string("examples/cluster.yaml").unwrap();
    // dcgm-exporter's node selector (the first in a template, after the nodes' labels).
    let at = text
        .find("        nodeSelector:\n          nvidia.com/gpu.present: \"true\"")
        .expect("the selector");
    let odd = format!(
        "{}{}",
        &text[..at],
        text[at..].replacen("nvidia.com/gpu.present: \"true\"", "gpu: \"on  demand\"", 1)
    );
    assert_ne!(odd, text);
    let dir = std::env::temp_dir().join(format!("ds-coverage-terminal-odd-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("odd.yaml");
    std::fs::write(&path, odd).unwrap();
    let path = path.to_str().unwrap();
    let text = ok(&run(
        60,
        &[
            "-f",
            path,
            "--as-of",
            AS_OF,
            "explain",
            "gpu-operator/dcgm-exporter",
            "worker-1",
        ],
    ));
    let comment = text
        .lines()
        .position(|l| l.starts_with("  # ") && l.contains("on  demand"))
        .unwrap_or_else(|| panic!("the comment with two spaces:\n{text}"));
    let next = text.lines().nth(comment + 1).unwrap();
    assert!(
        next.starts_with("  # ") || next.starts_with("  - ") || !next.starts_with("   "),
        "{next:?}\n{text}"
    );
}

/// `-o wide` says why nodes are excluded right under the placement rules they follow from,
/// before the problem nodes and notes of the DaemonSet.
#[test]
fn wide_exclusions_follow_the_placement_rules() {
    let text = ok(&run(120, &example(&["-o", "wide"])));
    let block: Vec<&str> = text
        .lines()
        .skip_while(|l| !l.starts_with("logging "))
        .skip(1)
        .take_while(|l| l.starts_with(' '))
        .collect();
    let excluded = block
        .iter()
        .position(|l| l.contains(" excluded: "))
        .expect("exclusions");
    let rules = block
        .iter()
        .rposition(|l| l.starts_with("    tolerations:"))
        .expect("rules");
    let problem = block
        .iter()
        .position(|l| l.starts_with("  worker-"))
        .expect("a problem node");
    assert_eq!(excluded, rules + 1, "{block:#?}");
    assert!(excluded < problem, "{block:#?}");
}

/// The YAML a fit hint gives to paste is written whole however narrow the terminal.
#[test]
fn a_fit_hints_yaml_is_written_whole() {
    let text = ok(&run(
        36,
        &[
            "explain",
            "agents/hungry",
            "node-full",
            "-f",
            "tests/fixtures/explain/cluster.json",
            "--as-of",
            AS_OF,
        ],
    ));
    assert!(
        text.contains("\n    priorityClassName: system-node-critical\n"),
        "{text}"
    );
}

/// The characters a terminal acts on: C0 controls but the newline, DEL and C1 controls.
fn control_bytes(b: &[u8]) -> Vec<char> {
    String::from_utf8_lossy(b)
        .chars()
        .filter(|&c| c.is_control() && c != '\n')
        .collect()
}

/// Text from the input reaches the terminal with its control characters written as `cat -v`
/// shows them (kubectl escapes them too, since CVE-2021-25743): a pod's message holding a
/// newline, colour and window-title sequences, a BEL, a NUL and a C1 CSI, and a node (in a file no API
/// server validated) named with an escape sequence. Only the output's own colours pass, when
/// it is coloured.
#[test]
fn control_characters_from_the_input_are_escaped_in_every_human_output() {
    let file = "tests/fixtures/hostile-text.json";
    for (args, shown) in [
        (vec!["-o", "table"], "^[]0;TITLE^G end^@nul c1\\u{9b}2J"),
        (vec!["-o", "wide"], "^[]0;TITLE^G"),
        (vec!["-o", "markdown"], "^[]0;TITLE^G end^@nul"),
        (vec!["-o", "matrix"], "n3^[]0;NODE^G"),
        (vec!["explain", "evil", "n1"], "^[]0;TITLE^G end^@nul"),
    ] {
        let mut a = vec!["-f", file, "--as-of", AS_OF, "--color", "never"];
        a.extend(&args);
        let o = run(200, &a);
        assert!(o.status.code().is_some(), "{args:?}");
        assert_eq!(control_bytes(&o.stdout), [], "{args:?} stdout");
        assert_eq!(control_bytes(&o.stderr), [], "{args:?} stderr");
        let text = String::from_utf8(o.stdout).expect("UTF-8");
        assert!(text.contains(shown), "{args:?}: {text}");
    }
    // The pod's two-line message stays on its row of the table.
    let table = String::from_utf8(run(300, &["-f", file, "--as-of", AS_OF]).stdout).unwrap();
    let row = table
        .lines()
        .find(|l| l.contains("Evicted: line1"))
        .expect("the Failed row");
    assert!(row.contains("line2 <b>bold</b>"), "{row}");
    // Rows stay aligned: a control character counts as wide as it is written (`^[`), in the
    // table's node rows and the matrix's.
    let column = |text: &str, node: &str, word: &str| {
        let row = text
            .lines()
            .find(|l| l.trim_start().starts_with(node))
            .unwrap_or_else(|| panic!("no {node} row: {text}"));
        row.find(word)
            .unwrap_or_else(|| panic!("no {word} in {row}"))
    };
    assert_eq!(
        column(&table, "n3", "Missing"),
        column(&table, "n1", "Failed"),
        "{table}"
    );
    let matrix = String::from_utf8(
        run(
            300,
            &[
                "-f", file, "--as-of", AS_OF, "-o", "matrix", "--color", "never",
            ],
        )
        .stdout,
    )
    .unwrap();
    assert_eq!(
        column(&matrix, "n3", "Ready"),
        column(&matrix, "n1", "Ready"),
        "{matrix}"
    );

    // Coloured: the escapes are the output's own colour sequences and nothing else; the
    // message's own colour is escaped like the rest of it.
    let o = run(300, &["-f", file, "--as-of", AS_OF, "--color", "always"]);
    let text = String::from_utf8(o.stdout).unwrap();
    assert!(text.contains("\u{1b}[31mMissing"), "{text}");
    assert!(text.contains("^[[31mRED^[[0m ^[]0;TITLE^G"), "{text}");
    // What the renderers write (owo-colors through `style::Painter`): one code a sequence.
    let ours = ["0", "1", "2", "22", "31", "32", "33", "35", "36", "39"];
    let mut rest = text.as_str();
    while let Some(at) = rest.find('\u{1b}') {
        let seq = &rest[at + 1..];
        let end = seq.find('m').expect("a colour sequence ends in m");
        assert!(
            seq.starts_with('[') && ours.contains(&&seq[1..end]),
            "{:?}",
            &seq[..end.min(20)]
        );
        rest = &seq[end..];
    }
}

/// A message quoted from the cluster is one line with its control characters written as a
/// terminal is shown them (`^[`), in JSON and YAML too: escaped where it is read, so that the
/// colour sequences a coloured output lets through can never come from it, and `jq -r` prints
/// it harmlessly. Names are data: JSON escapes a hand-made file's control characters in them.
#[test]
fn machine_outputs_carry_messages_as_the_terminal_shows_them() {
    let file = "tests/fixtures/hostile-text.json";
    let shown = "^[[31mRED^[[0m ^[]0;TITLE^G end^@nul c1\\u{9b}2J";
    for format in ["json", "yaml"] {
        let o = run(200, &["-f", file, "--as-of", AS_OF, "-o", format]);
        let text = String::from_utf8(o.stdout).expect("UTF-8");
        let report: serde_json::Value = if format == "json" {
            serde_json::from_str(&text).expect("JSON")
        } else {
            serde_saphyr::from_str(&text).expect("YAML")
        };
        let messages: Vec<&str> = report["daemonSets"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|d| d["nodes"].as_array().unwrap())
            .flat_map(|n| n["reasons"].as_array().unwrap())
            .filter_map(|r| r["message"].as_str())
            .filter(|m| m.contains("Evicted: line1"))
            .collect();
        assert_eq!(messages.len(), 1, "-o {format}: {messages:?}");
        assert!(
            messages[0].contains(shown),
            "-o {format}: {:?}",
            messages[0]
        );
        assert!(
            !messages[0].chars().any(char::is_control),
            "-o {format}: {:?}",
            messages[0]
        );
        let nodes: Vec<&str> = report["daemonSets"][0]["nodes"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|n| n["node"].as_str())
            .collect();
        assert!(
            nodes.contains(&"n3\u{1b}]0;NODE\u{7}"),
            "-o {format}: {nodes:?}"
        );
    }
}

/// `fix`'s plan fits the terminal as the table does: each reason and hint wrapped under its
/// column (or below its row when the row leaves it too little room), no word lost.
#[test]
fn the_fix_plan_fits_the_width_and_keeps_every_word() {
    let whole = ok(&run(100_000, &example(&["fix", "-A"])));
    let words = |t: &str| -> Vec<String> { t.split_whitespace().map(str::to_string).collect() };
    for width in [60, 80, 120] {
        let plan = ok(&run(width, &example(&["fix", "-A"])));
        for line in plan.lines() {
            assert!(
                unicode_width::UnicodeWidthStr::width(line) <= width,
                "{width}: {line:?}"
            );
        }
        assert_eq!(
            words(&plan),
            words(&whole),
            "{width}: the same words in the same order"
        );
        assert!(
            plan.lines().count() > whole.lines().count(),
            "{width}: wrapped"
        );
        // A command to paste is on one line wherever a line has room for it.
        if width >= 80 {
            for command in [
                "`kubectl ds-coverage explain -n gpu-operator nvidia-device-plugin gpu-2`",
                "`kubectl delete pod -n logging fluent-bit-debug`",
            ] {
                assert!(plan.contains(command), "{width}: {command} whole:\n{plan}");
            }
        }
    }
}

/// Names from a hand-made file that spell exactly the sequences the outputs write themselves:
/// a redraw (stderr is no terminal here, so none is drawn and none passes) and a colour that is
/// not one of the renderers' (conceal, which would hide the rest of the screen).
#[test]
fn sequences_of_our_own_kind_in_names_are_escaped_where_we_write_none() {
    let text = std::fs::read_to_string("tests/fixtures/hostile-text.json").unwrap();
    let mut list: serde_json::Value = serde_json::from_str(&text).unwrap();
    for item in list["items"].as_array_mut().unwrap() {
        if item["kind"] == "DaemonSet" {
            item["metadata"]["name"] = "wipe\u{1b}[H\u{1b}[2J\r\u{1b}[2K\u{1b}[8mhidden".into();
        }
    }
    let dir = std::env::temp_dir().join(format!("ds-coverage-own-kind-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("own-kind.json");
    std::fs::write(&file, list.to_string()).unwrap();
    let file = file.to_str().unwrap();

    // The gate's verdict on stderr (not a terminal) names the DaemonSet.
    let o = run(
        200,
        &["-f", file, "--as-of", AS_OF, "--check", "-o", "json"],
    );
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8(o.stderr).unwrap();
    assert!(err.contains("wipe^[[H^[[2J^M^[[2K^[[8mhidden"), "{err}");
    assert_eq!(control_bytes(err.as_bytes()), [], "{err}");

    // Coloured: our colours pass, the conceal of the name does not.
    let o = run(200, &["-f", file, "--as-of", AS_OF, "--color", "always"]);
    let out = String::from_utf8(o.stdout).unwrap();
    assert!(out.contains("\u{1b}[31m"), "{out}");
    assert!(
        !out.contains("\u{1b}[8m") && !out.contains("\u{1b}[2J"),
        "{out}"
    );
    assert!(out.contains("^[[8mhidden"), "{out}");
}
