//! Renderers: each a function of (&Report, options, writer). None decides a verdict.

pub mod explain;
pub mod fleet;
mod json;
pub mod junit;
pub mod markdown;
pub mod matrix;
pub mod prometheus;
pub mod safe;
pub mod statics;
pub mod style;
pub mod table;

use std::io::Write;

use crate::cli::Format;
use crate::config::RenderOptions;
use crate::report::Report;

pub fn render(report: &Report, opts: &RenderOptions, out: &mut dyn Write) -> std::io::Result<()> {
    match opts.format {
        Format::Json | Format::Yaml => serialized(report, opts.format, out),
        Format::Table | Format::Wide => {
            table::render(report, opts, opts.format == Format::Wide, out)?;
            statics::write_table(report, opts, out)
        }
        Format::Matrix => match statics::with_static_columns(report) {
            Some(view) => matrix::render(&view, opts, out),
            None => matrix::render(report, opts, out),
        },
        Format::Markdown => {
            markdown::render(report, out)?;
            statics::write_markdown(report, out)
        }
        Format::Junit => {
            // Without --check the default policy decides which pairs fail.
            let gate = match &report.gate {
                Some(g) => g.clone(),
                None => crate::gate::evaluate(report, &crate::gate::Policy::default()),
            };
            match statics::with_static_columns(report) {
                Some(view) => junit::render(&view, &gate, out),
                None => junit::render(report, &gate, out),
            }
        }
        Format::Prometheus => prometheus::write(
            &[prometheus::ClusterMetrics {
                cluster: metrics_cluster(report),
                outcome: prometheus::Outcome::Report(report),
            }],
            &prometheus::Options {
                max_gaps: opts.metrics_max_gaps,
            },
            out,
        ),
    }
}

/// The `cluster` label of a single run: the kubeconfig context; none for files, none for the
/// in-cluster configuration, whose context names no cluster (the Pushgateway grouping key or
/// Prometheus' external labels say which), and none for connection flags alone (`-s URL`).
fn metrics_cluster(report: &Report) -> Option<&str> {
    match &report.source {
        crate::report::Source::Cluster { context, .. }
            if context != "in-cluster" && !context.is_empty() =>
        {
            Some(context.as_str())
        }
        _ => None,
    }
}

/// `-o json` or `-o yaml` of a report produced as it is written ([`crate::coverage::Streamed`]).
/// JSON: each DaemonSet's report is serialized on the audit thread that produced it, indented
/// for its place in the document, and spliced in whole; the output is byte for byte what
/// [`serialized`] writes of the whole report (`tests/bench_shape.rs`).
pub fn streamed(
    report: &crate::coverage::Streamed,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if format == Format::Yaml {
        return serialized(report, format, out);
    }
    // Each DaemonSet's text goes into `slot`; the element serialized in its place is a
    // one-byte `RawValue`, and the document's formatter writes the slot where serde_json asks
    // it to write that fragment. (Splicing the texts as `RawValue`s of their own would have
    // serde_json parse each again to check it: 9 % of `-o json`'s instructions.)
    type Slot = std::rc::Rc<std::cell::RefCell<Vec<u8>>>;
    // The texts' buffers, back from the writer for the next DaemonSets: a DaemonSet's text is
    // megabytes at scale (8 MB at 15,000 nodes), and a fresh one a DaemonSet was grown by
    // doubling (its bytes copied again each time) into pages the kernel had to fault in.
    type Pool = std::sync::Mutex<Vec<Vec<u8>>>;
    struct Json<'s, 'a>(&'s crate::coverage::Streamed<'a>, Slot, &'s Pool);
    impl serde::Serialize for Json<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            self.0
                .serialize_with(s, &Spliced(self.0, self.1.clone(), self.2))
        }
    }
    struct Spliced<'s, 'a>(&'s crate::coverage::Streamed<'a>, Slot, &'s Pool);
    impl serde::Serialize for Spliced<'_, '_> {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            use serde::ser::{Error, SerializeSeq};
            let placeholder: &serde_json::value::RawValue =
                serde_json::from_str("0").map_err(S::Error::custom)?;
            let pool = self.2;
            let mut seq = s.serialize_seq(Some(self.0.daemon_set_count()))?;
            self.0.each_daemon_set(
                |report| {
                    let mut text = pool
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .pop()
                        .unwrap_or_default();
                    text.clear();
                    json::daemon_set(&report, 2, &mut text).map(|()| text)
                },
                |text| match text {
                    Ok(text) => {
                        *self.1.borrow_mut() = text;
                        let written = seq.serialize_element(placeholder);
                        let used = std::mem::take(&mut *self.1.borrow_mut());
                        pool.lock().unwrap_or_else(|p| p.into_inner()).push(used);
                        written
                    }
                    Err(e) => Err(S::Error::custom(e)),
                },
            )?;
            seq.end()
        }
    }
    // serde_json writes a token at a time: to a concrete buffer, not through `dyn Write`.
    let mut buffered = std::io::BufWriter::with_capacity(1 << 16, out);
    let slot = Slot::default();
    let mut document = serde_json::Serializer::with_formatter(
        &mut buffered,
        Nested {
            depth: 0,
            has_value: false,
            splice: Some(slot.clone()),
        },
    );
    let pool = Pool::default();
    serde::Serialize::serialize(&Json(report, slot, &pool), &mut document)?;
    writeln!(buffered)?;
    buffered.flush()
}

/// `value` as `serde_json::to_writer_pretty` writes it `depth` levels deep in a document (its
/// lines after the first indented two spaces a level more), appended to `out`.
fn pretty_into<T: serde::Serialize + ?Sized>(
    out: &mut Vec<u8>,
    value: &T,
    depth: usize,
) -> serde_json::Result<()> {
    value.serialize(&mut serde_json::Serializer::with_formatter(
        out,
        Nested {
            depth,
            has_value: false,
            splice: None,
        },
    ))
}

/// serde_json's `PrettyFormatter` (two spaces a level), started `depth` levels deep: its
/// methods as serde_json 1 writes them, with the indentation counted from `depth`.
struct Nested {
    depth: usize,
    has_value: bool,
    /// Text written in place of the next raw fragment (see [`streamed`]).
    splice: Option<std::rc::Rc<std::cell::RefCell<Vec<u8>>>>,
}

impl Nested {
    fn newline<W: ?Sized + Write>(&self, w: &mut W, comma: bool) -> std::io::Result<()> {
        w.write_all(if comma { b",\n" } else { b"\n" })?;
        for _ in 0..self.depth {
            w.write_all(b"  ")?;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> std::io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.newline(w, false)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Nested {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"[")
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"]")
    }
    fn begin_array_value<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.open(w, b"{")
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        self.close(w, b"}")
    }
    fn begin_object_key<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> std::io::Result<()> {
        self.newline(w, !first)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> std::io::Result<()> {
        w.write_all(b": ")
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> std::io::Result<()> {
        self.has_value = true;
        Ok(())
    }
    fn write_raw_fragment<W: ?Sized + Write>(
        &mut self,
        w: &mut W,
        fragment: &str,
    ) -> std::io::Result<()> {
        match &self.splice {
            Some(slot) => w.write_all(&slot.borrow()),
            None => w.write_all(fragment.as_bytes()),
        }
    }
}

/// `-o json` or `-o yaml` of a report, or of [`crate::coverage::Streamed`], written as it is
/// serialized (never built whole as text first).
pub fn serialized<T: serde::Serialize>(
    report: &T,
    format: Format,
    out: &mut dyn Write,
) -> std::io::Result<()> {
    if format == Format::Yaml {
        serde_saphyr::to_io_writer(&mut &mut *out, report).map_err(|e| match e {
            serde_saphyr::SerializeError::IO { error } => error,
            other => std::io::Error::other(other),
        })
    } else {
        serde_json::to_writer_pretty(&mut *out, report)?;
        writeln!(out)
    }
}
