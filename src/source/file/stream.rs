//! Reading a file or a stream document by document, without holding it whole: JSON documents
//! one after another (`kubectl get -o json`, or the stream `kubectl cluster-info dump` prints,
//! with the container logs it writes between them), or YAML (one or many documents).

use std::io::Read;

use serde::de::DeserializeSeed;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::doc::{self, Decoded, Doc, DocSeed, Item, TextFail, classify, decode_text, items_kind};
use super::tee::{Teed, Unhashed};
use super::{fastyaml, hash};
use crate::model::{ControllerRevision, Node, Pod};

/// The log blocks `kubectl cluster-info dump` writes between its JSON documents
/// (kubectl `pkg/cmd/clusterinfo/clusterinfo_dump.go`, `printContainer`): a START line, the
/// container's log as it is, an END line naming the same container and pod.
const LOG_START: &str = "==== START logs for container ";
const LOG_END: &str = "==== END logs for container ";

/// A buffered reader that counts the lines it hands out, for error positions.
pub(super) struct Counted<R> {
    inner: R,
    buf: Vec<u8>,
    pos: usize,
    len: usize,
    /// Newlines handed out so far.
    lines: u64,
    /// Bytes handed out since the last newline.
    col: u64,
    eof: bool,
    /// `buf[pos..utf8_end]` is known to be UTF-8 ([`Counted::text`]).
    utf8_end: usize,
    /// Bytes handed out before `buf[pos]`: the input offset of the next byte.
    offset: u64,
    /// The newlines [`Counted::value_len`] counted in the value it measured last (at `offset`),
    /// so that consuming it need not look for them again.
    scanned: Option<Scanned>,
    /// The input can be read again at an offset (a regular file read as it is): the JSON items
    /// read in one pass are hashed by their bytes and their place, not by their content
    /// ([`Decoded::text_at`]).
    pub(super) rereadable: bool,
}

/// A value measured by [`Counted::value_len`]: where, how long, its newlines.
#[derive(Clone, Copy)]
struct Scanned {
    offset: u64,
    len: usize,
    newlines: u64,
    last_newline: Option<usize>,
}

impl<R: Read> Counted<R> {
    pub(super) fn new(inner: R) -> Self {
        Counted {
            inner,
            // Large beside the one-pass window (`FAST_WINDOW`), so that keeping it filled moves
            // little.
            buf: vec![0; 1024 * 1024],
            pos: 0,
            len: 0,
            lines: 0,
            col: 0,
            eof: false,
            utf8_end: 0,
            offset: 0,
            scanned: None,
            rereadable: false,
        }
    }

    /// Make at least `n` bytes available (fewer at the end of the input).
    fn fill(&mut self, n: usize) -> std::io::Result<()> {
        if self.len - self.pos >= n || self.eof {
            return Ok(());
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.len, 0);
            self.len -= self.pos;
            self.utf8_end = self.utf8_end.saturating_sub(self.pos);
            self.pos = 0;
        }
        if self.buf.len() < n {
            self.buf.resize(n, 0);
        }
        while self.len < n && !self.eof {
            match self.inner.read(&mut self.buf[self.len..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.len += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    fn available(&self) -> &[u8] {
        &self.buf[self.pos..self.len]
    }

    /// The buffered input, up to where it is UTF-8. Each byte is checked once, however many
    /// times it is asked for: the one-pass decode asks for it at every item, and serde_json's
    /// slice reader would check each string again.
    fn text(&mut self) -> &str {
        // A continuation byte cannot start the text (the position was moved into a character
        // by a raw skip): check again from here, which finds nothing valid.
        let boundary = self.buf[self.pos..self.len]
            .first()
            .is_none_or(|&b| (b as i8) >= -0x40);
        let from = if boundary {
            self.utf8_end.max(self.pos)
        } else {
            self.pos
        };
        self.utf8_end = match std::str::from_utf8(&self.buf[from..self.len]) {
            Ok(_) => self.len,
            // Invalid, or a character cut at the end of the buffer.
            Err(e) => from + e.valid_up_to(),
        };
        // SAFETY: `buf[pos..utf8_end]` is UTF-8: `from_utf8` checked `buf[from..utf8_end]`, and
        // when `from > pos`, `buf[pos..from]` was checked by an earlier call (`utf8_end` only
        // moves with the bytes it covers: `fill` shifts both, reads only append after `len`)
        // and starts on a character boundary (checked above), so it is a valid suffix of
        // checked text ending where the checked `buf[from..]` begins, on a boundary too.
        unsafe { std::str::from_utf8_unchecked(&self.buf[self.pos..self.utf8_end]) }
    }

    fn consume(&mut self, n: usize) {
        let (newlines, last) = match self.scanned.take() {
            Some(v) if v.offset == self.offset && v.len == n => (v.newlines, v.last_newline),
            _ => {
                let s = &self.buf[self.pos..self.pos + n];
                match memchr::memrchr(b'\n', s) {
                    Some(last) => (memchr::memchr_iter(b'\n', s).count() as u64, Some(last)),
                    None => (0, None),
                }
            }
        };
        match last {
            Some(last) => {
                self.lines += newlines;
                self.col = (n - last - 1) as u64;
            }
            None => self.col += n as u64,
        }
        self.pos += n;
        self.offset += n as u64;
    }

    /// Where the next item's text can be found again, if the input can be read again.
    fn place(&self) -> Option<u64> {
        self.rereadable.then_some(self.offset)
    }

    /// The length of the JSON value that starts at the next byte, with all of it buffered;
    /// `None` when the input ends inside it. Only its extent is found here (strings, escapes
    /// and nesting); whoever parses the text checks it.
    fn value_len(&mut self) -> std::io::Result<Option<usize>> {
        self.fill(1)?;
        let Some(&first) = self.available().first() else {
            return Ok(None);
        };
        if matches!(first, b'{' | b'[') {
            let mut scan = super::scan::Scan::default();
            loop {
                if let Some(len) = scan.run(self.available()) {
                    self.scanned = Some(Scanned {
                        offset: self.offset,
                        len,
                        newlines: scan.newlines,
                        last_newline: scan.last_newline,
                    });
                    return Ok(Some(len));
                }
                if self.eof {
                    return Ok(None);
                }
                let have = self.available().len();
                self.fill((have * 2).max(have + 256 * 1024))?;
            }
        }
        // A string or a scalar (list items are objects; these are rare).
        let string = first == b'"';
        let (mut i, mut esc) = (usize::from(string), false);
        loop {
            let avail = self.available();
            while i < avail.len() {
                let b = avail[i];
                i += 1;
                if string {
                    if esc {
                        esc = false;
                    } else if b == b'\\' {
                        esc = true;
                    } else if b == b'"' {
                        return Ok(Some(i));
                    }
                } else if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    return Ok(Some(i - 1));
                }
            }
            if self.eof {
                return Ok((!string && i > 0).then_some(i));
            }
            let have = avail.len();
            self.fill((have * 2).max(have + 256 * 1024))?;
        }
    }

    fn peek(&mut self) -> std::io::Result<Option<u8>> {
        self.fill(1)?;
        Ok(self.available().first().copied())
    }

    /// The first byte that is not whitespace, without consuming anything (looks up to 1 MiB).
    pub(super) fn peek_content(&mut self) -> std::io::Result<Option<u8>> {
        let mut n = 4096;
        loop {
            self.fill(n)?;
            let avail = self.available();
            if let Some(b) = avail.iter().find(|b| !b.is_ascii_whitespace()) {
                return Ok(Some(*b));
            }
            if avail.len() < n || n >= 1 << 20 {
                return Ok(None);
            }
            n *= 4;
        }
    }

    /// Skip a UTF-8 byte-order mark.
    pub(super) fn skip_bom(&mut self) -> std::io::Result<()> {
        self.fill(3)?;
        if self.available().starts_with(b"\xef\xbb\xbf") {
            self.pos += 3;
            self.offset += 3;
        }
        Ok(())
    }

    fn skip_whitespace(&mut self) -> std::io::Result<()> {
        loop {
            self.fill(1)?;
            let n = self
                .available()
                .iter()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            if n == 0 {
                return Ok(());
            }
            self.consume(n);
        }
    }

    /// One line (without its newline), at most `max` bytes; `None` when longer.
    fn line(&mut self, max: usize) -> std::io::Result<Option<Vec<u8>>> {
        self.fill(max + 1)?;
        let avail = self.available();
        let end = avail.iter().position(|&b| b == b'\n');
        match end {
            Some(i) if i <= max => {
                let line = avail[..i].to_vec();
                self.consume(i + 1);
                Ok(Some(line))
            }
            None if avail.len() <= max => {
                let line = avail.to_vec();
                self.consume(avail.len());
                Ok(Some(line))
            }
            _ => Ok(None),
        }
    }

    /// Consume up to and including `needle`; false when the input ends first.
    fn skip_past(&mut self, needle: &[u8]) -> std::io::Result<bool> {
        loop {
            self.fill(needle.len().max(64 * 1024))?;
            let avail = self.available();
            if let Some(i) = avail.windows(needle.len()).position(|w| w == needle) {
                self.consume(i + needle.len());
                return Ok(true);
            }
            if self.eof {
                let n = avail.len();
                self.consume(n);
                return Ok(false);
            }
            // Keep a tail that may hold the start of the needle.
            let keep = needle.len() - 1;
            let n = avail.len().saturating_sub(keep);
            self.consume(n);
        }
    }

    /// 1-based line and column of the next byte.
    fn position(&self) -> (u64, u64) {
        (self.lines + 1, self.col + 1)
    }
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.pos == self.len {
            if self.eof {
                return Ok(0);
            }
            self.fill(1)?;
        }
        // serde_json's reader asks for one byte at a time: keep that path short.
        if let [only] = out {
            let b = self.buf[self.pos];
            *only = b;
            self.pos += 1;
            self.offset += 1;
            if b == b'\n' {
                self.lines += 1;
                self.col = 0;
            } else {
                self.col += 1;
            }
            return Ok(1);
        }
        let n = out.len().min(self.len - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.consume(n);
        Ok(n)
    }
}

/// What went wrong, as one line (the caller prefixes the input's name).
pub(super) type Fail = String;

/// Where decoded documents go. `Send`: a JSON list's items are handed to it on a thread of its
/// own while this one cuts the next ([`read_json_items_parallel`]).
pub(super) type Sink<'s> = dyn FnMut(Doc) -> Result<(), Fail> + Send + 's;

/// Read JSON documents one after another, skipping `kubectl cluster-info dump`'s log blocks.
pub(super) fn read_json<R: Read>(c: &mut Counted<R>, sink: &mut Sink<'_>) -> Result<(), Fail> {
    loop {
        c.skip_whitespace().map_err(io_fail)?;
        let (line, col) = c.position();
        match c.peek().map_err(io_fail)? {
            None => return Ok(()),
            Some(b'{') => read_object(c, sink)?,
            Some(b'[') => read_array(c, sink)?,
            Some(b'=') => {
                let text = c.line(4096).map_err(io_fail)?.unwrap_or_default();
                let text = String::from_utf8_lossy(&text);
                let Some(what) = text
                    .strip_prefix(LOG_START)
                    .and_then(|r| r.strip_suffix(" ===="))
                else {
                    return Err(format!(
                        "invalid JSON at line {line}, column {col}: expected a JSON document or \
                         a `kubectl cluster-info dump` log block"
                    ));
                };
                let end = format!("{LOG_END}{what} ====");
                if !c.skip_past(end.as_bytes()).map_err(io_fail)? {
                    return Err(format!(
                        "the log block at line {line} (container {what}) has no END line: the \
                         `kubectl cluster-info dump` output is cut short"
                    ));
                }
            }
            Some(_) => {
                return Err(format!(
                    "invalid JSON at line {line}, column {col}: expected a JSON document (or a \
                     `kubectl cluster-info dump` log block)"
                ));
            }
        }
    }
}

/// Run `f` on the text of the JSON value at the reader's position (whitespace skipped) and its
/// line and column, then consume it.
fn with_value<R: Read, T>(
    c: &mut Counted<R>,
    f: impl FnOnce(&str, u64, u64) -> Result<T, Fail>,
) -> Result<T, Fail> {
    let (n, line, col) = value_at(c)?;
    let text = std::str::from_utf8(&c.available()[..n])
        .map_err(|_| io_fail(std::io::ErrorKind::InvalidData.into()))?;
    let out = f(text, line, col);
    c.consume(n);
    out
}

/// The length, line and column of the JSON value at the reader's position (whitespace
/// skipped), all of it buffered.
fn value_at<R: Read>(c: &mut Counted<R>) -> Result<(usize, u64, u64), Fail> {
    c.skip_whitespace().map_err(io_fail)?;
    let (line, col) = c.position();
    let Some(n) = c.value_len().map_err(io_fail)? else {
        return Err(format!(
            "invalid JSON at line {line}, column {col}: the input ends inside this value (cut \
             short?)"
        ));
    };
    Ok((n, line, col))
}

/// After a member of an object or an array: `,` (true: more follow) or the closing `close`.
fn next_member<R: Read>(c: &mut Counted<R>, close: u8) -> Result<bool, Fail> {
    c.skip_whitespace().map_err(io_fail)?;
    let (line, col) = c.position();
    match c.peek().map_err(io_fail)? {
        Some(b',') => {
            c.consume(1);
            Ok(true)
        }
        Some(b) if b == close => {
            c.consume(1);
            Ok(false)
        }
        Some(_) => Err(format!(
            "invalid JSON at line {line}, column {col}: expected `,` or `{}`",
            close as char
        )),
        None => Err(format!(
            "invalid JSON at line {line}, column {col}: the input ends inside a document (cut \
             short?)"
        )),
    }
}

/// Whether the next byte (whitespace skipped) is `b`, consumed if so.
fn eat<R: Read>(c: &mut Counted<R>, b: u8) -> Result<bool, Fail> {
    c.skip_whitespace().map_err(io_fail)?;
    if c.peek().map_err(io_fail)? == Some(b) {
        c.consume(1);
        return Ok(true);
    }
    Ok(false)
}

/// Decode one item's text into `out`, errors placed at its position.
fn item(
    text: &str,
    line: u64,
    col: u64,
    implied: Option<&str>,
    out: &mut Vec<Decoded>,
) -> Result<(), Fail> {
    decode_text(text, implied, out).map_err(|e| match e {
        TextFail::Json(e) => json_fail(&e, line, col),
        TextFail::Object(m) => format!("at line {line}, column {col}: {m}"),
    })
}

/// How much of the input the one-pass decode ([`fast_item`]) sees at once: items larger than
/// this (or not whole in the buffer) take the general way.
const FAST_WINDOW: usize = 64 * 1024;

/// Decode the item at the reader's position in one pass, straight from the reader's buffer:
/// typed by the `kind` among its first members (or `implied`), hashed as it is decoded
/// ([`super::tee`]), consumed. False, with nothing consumed, where the item needs the general
/// way ([`with_value`], [`decode_text`]: two passes over its text): a kind the audit reads as a
/// tree (DaemonSet) or not at all, an item not whole in the window, an odd shape, any error
/// (which the general way then reports as it always has).
fn fast_item<R: Read>(
    c: &mut Counted<R>,
    implied: Option<&str>,
    out: &mut Vec<Decoded>,
) -> Result<bool, Fail> {
    c.skip_whitespace().map_err(io_fail)?;
    c.fill(FAST_WINDOW).map_err(io_fail)?;
    let at = c.place();
    let avail = c.text();
    if !avail.starts_with('{') {
        return Ok(false);
    }
    let Some(kind) = first_kind(avail.as_bytes()).or(implied) else {
        return Ok(false);
    };
    if let Some((d, n)) = fast_pod(avail.as_bytes(), kind, implied, at) {
        out.push(d);
        c.consume(n);
        return Ok(true);
    }
    let decoded = match kind {
        "Pod" => one_pass::<Pod>(avail, kind, implied, Item::Pod, at),
        "Node" => one_pass::<Node>(avail, kind, implied, Item::Node, at),
        "ControllerRevision" => {
            one_pass::<ControllerRevision>(avail, kind, implied, Item::Revision, at)
        }
        _ => None,
    };
    let Some((d, n)) = decoded else {
        return Ok(false);
    };
    out.push(d);
    c.consume(n);
    Ok(true)
}

/// `T` from the object at the start of `text`, with its length, if it decodes and is of `kind`
/// as [`decode_text`] would tell it. With `at` (the text's offset in an input that can be read
/// again), hashed by its bytes and placed ([`Decoded::text_at`]) instead of by its content.
fn one_pass<'a, T: serde::Deserialize<'a>>(
    text: &'a str,
    kind: &str,
    implied: Option<&str>,
    item: fn(T) -> Item,
    at: Option<u64>,
) -> Option<(Decoded, usize)> {
    let (t, n) = if at.is_some() {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Unhashed<T>>();
        let Unhashed(t) = stream.next()?.ok()?;
        (t, stream.byte_offset())
    } else {
        let mut stream = serde_json::Deserializer::from_str(text).into_iter::<Teed<T>>();
        let t = stream.next()?.ok()?;
        (t, stream.byte_offset())
    };
    let told = t
        .kind
        .as_deref()
        .filter(|k| !k.is_empty())
        .or(implied)
        .filter(|_| t.object && !t.odd);
    (told == Some(kind)).then(|| {
        let d = match at {
            Some(at) => Decoded::placed(item(t.value), &text.as_bytes()[..n], at, false),
            None => Decoded::hashed(item(t.value), t.hash),
        };
        (d, n)
    })
}

/// The string value of `kind` when it is among an object's first members, before any member
/// whose value is an object or an array (`kubectl` and the API server write `apiVersion` and
/// `kind` first; sorted keys put `kind` before `metadata`). Only a guess: the decode checks it.
fn first_kind(b: &[u8]) -> Option<&str> {
    fn ws(b: &[u8], mut i: usize) -> usize {
        while b.get(i).is_some_and(|c| c.is_ascii_whitespace()) {
            i += 1;
        }
        i
    }
    // A string without escapes starting at `i` (its opening quote): its content and the index
    // after it.
    fn plain(b: &[u8], i: usize) -> Option<(&[u8], usize)> {
        let rest = b.get(i + 1..)?;
        let end = rest.iter().position(|&c| c == b'"' || c == b'\\')?;
        (rest[end] == b'"').then(|| (&rest[..end], i + end + 2))
    }
    let mut i = 1;
    for _ in 0..8 {
        i = ws(b, i);
        if b.get(i) != Some(&b'"') {
            return None;
        }
        let (key, after) = plain(b, i)?;
        i = ws(b, after);
        if b.get(i) != Some(&b':') {
            return None;
        }
        i = ws(b, i + 1);
        match b.get(i)? {
            b'"' => {
                let (value, after) = plain(b, i)?;
                if key == b"kind" {
                    return std::str::from_utf8(value).ok();
                }
                i = after;
            }
            b'{' | b'[' => return None,
            _ => {
                while b.get(i).is_some_and(|c| !matches!(c, b',' | b'}')) {
                    i += 1;
                }
            }
        }
        i = ws(b, i);
        if b.get(i) != Some(&b',') {
            return None;
        }
        i += 1;
    }
    None
}

/// A list's items one after another, each decoded and handed over as it is read.
fn read_json_items<R: Read>(
    c: &mut Counted<R>,
    implied: Option<&str>,
    held: &mut Vec<Decoded>,
    sink: &mut Sink<'_>,
) -> Result<(), Fail> {
    let mut out = Vec::new();
    loop {
        if !fast_item(c, implied, &mut out)? {
            with_value(c, |t, l, co| item(t, l, co, implied, &mut out))?;
        }
        hand_over(&mut out, held, sink)?;
        if !next_member(c, b']')? {
            return Ok(());
        }
    }
}

/// Typed items go to the sink; kindless ones wait, as the list's kind may come after them.
/// Without kindless ones (as in any dump kubectl writes), the items go as they are, in one
/// call: not a vector allocated an item.
fn hand_over(
    out: &mut Vec<Decoded>,
    held: &mut Vec<Decoded>,
    sink: &mut Sink<'_>,
) -> Result<(), Fail> {
    if !out.iter().any(|d| matches!(d.item, Item::Kindless(_))) {
        return match out.len() {
            0 => Ok(()),
            _ => sink(Doc {
                items: std::mem::take(out),
            }),
        };
    }
    for d in out.drain(..) {
        match d.item {
            Item::Kindless(_) => held.push(d),
            _ => sink(Doc { items: vec![d] })?,
        }
    }
    Ok(())
}

/// How many threads decode a list's items: the items are independent, and decoding them is
/// most of the time of reading a dump.
fn decoders() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(4))
}

/// Items cut from the input by the reader, to be decoded on another thread.
#[derive(Default)]
struct JsonBatch {
    /// The items' bytes, checked to be UTF-8 by the thread that decodes them.
    text: Vec<u8>,
    /// Each item's end in `text`, its line and column in the input, and its offset there if
    /// the input can be read again ([`Counted::place`]).
    items: Vec<(usize, u64, u64, Option<u64>)>,
}

/// About how much text a [`JsonBatch`] holds. Measured on a 1.1 GB dump: 256 KiB batches cost
/// 16,900 context switches; a megabyte, 4,600, but 10 % more CPU (the batches no longer in the
/// caches when they are decoded); half a megabyte, neither.
const BATCH: usize = 512 * 1024;

/// A batch's items decoded in order, up to the first that fails (and its error).
type Done = (Vec<Decoded>, Option<Fail>);

fn decode_json_batch(b: &JsonBatch, implied: Option<&str>) -> Done {
    let mut out = Vec::with_capacity(b.items.len());
    let mut start = 0;
    for &(end, line, col, at) in &b.items {
        let bytes = &b.text[start..end];
        start = end;
        if let Some(d) = fast_pod_whole(bytes, implied, at) {
            out.push(d);
            continue;
        }
        let Ok(text) = std::str::from_utf8(bytes) else {
            return (out, Some(io_fail(std::io::ErrorKind::InvalidData.into())));
        };
        if let Some(d) = one_pass_whole(text, implied, at) {
            out.push(d);
        } else if let Err(e) = item(text, line, col, implied, &mut out) {
            return (out, Some(e));
        }
    }
    (out, None)
}

/// A pod at the start of `text` through [`super::fastjson`], with its length, if the input can
/// be read again (`at`: it is hashed by its bytes, see [`one_pass`]) and that reader takes it.
fn fast_pod(
    text: &[u8],
    kind: &str,
    implied: Option<&str>,
    at: Option<u64>,
) -> Option<(Decoded, usize)> {
    let at = at.filter(|_| kind == "Pod")?;
    let (pod, n) = super::fastjson::pod(text, implied)?;
    let d = Decoded::placed(Item::Pod(pod.into()), &text[..n], at, false);
    Some((d, n))
}

/// [`fast_pod`] on one item's whole text (not yet checked to be UTF-8: that reader checks it).
fn fast_pod_whole(text: &[u8], implied: Option<&str>, at: Option<u64>) -> Option<Decoded> {
    let kind = first_kind(text).or(implied)?;
    let (d, n) = fast_pod(text, kind, implied, at)?;
    (n == text.len()).then_some(d)
}

/// [`fast_item`] on one item's whole text.
fn one_pass_whole(text: &str, implied: Option<&str>, at: Option<u64>) -> Option<Decoded> {
    let kind = first_kind(text.as_bytes()).or(implied)?;
    let (d, n) = match kind {
        "Pod" => one_pass::<Pod>(text, kind, implied, Item::Pod, at),
        "Node" => one_pass::<Node>(text, kind, implied, Item::Node, at),
        "ControllerRevision" => {
            one_pass::<ControllerRevision>(text, kind, implied, Item::Revision, at)
        }
        _ => None,
    }?;
    (n == text.len()).then_some(d)
}

/// [`read_json_items`] with the decoding on `workers` threads: this thread cuts the items (finding
/// each one's extent, [`Counted::value_len`]) into batches, and another hands the decoded items to
/// the sink in the order of the input, so that the snapshot, its warnings and any error are those
/// of reading them one by one (an error the cutting meets is reported after the items before
/// it, as it would have been). Cutting, decoding and the sink's work overlap: on a 5,000-node dump
/// the cutting and the sink together were the serial part of reading it.
fn read_json_items_parallel<R: Read>(
    c: &mut Counted<R>,
    implied: Option<&str>,
    workers: usize,
    held: &mut Vec<Decoded>,
    sink: &mut Sink<'_>,
) -> Result<(), Fail> {
    let stopped = || "cannot read: a decoding thread stopped".to_string();
    let (job_tx, job_rx) = std::sync::mpsc::sync_channel::<(u64, JsonBatch)>(workers);
    // Held by the decoders only: when they have all stopped (the sink failed), the cutting stops.
    let job_rx = std::sync::Arc::new(std::sync::Mutex::new(job_rx));
    // Bounded, so that a slow sink holds the decoders and they the cutting: the batches in flight
    // are a few, whatever the input's size.
    let (done_tx, done_rx) = std::sync::mpsc::sync_channel::<(u64, Done, JsonBatch)>(2 * workers);
    // Delivered batches come back emptied, to be filled again: a fresh quarter-megabyte buffer a
    // batch is an mmap, its page faults and an munmap each (4,300 of them for a 1 GB dump: a
    // second of system time).
    let (pool_tx, pool_rx) = std::sync::mpsc::channel::<JsonBatch>();
    // One a batch handed over: the cutting runs at most `ahead` batches before the delivery, so
    // that the decoded ones waiting for an earlier one are a few, and it stops as soon as the
    // delivery has (an error).
    let (credit_tx, credit_rx) = std::sync::mpsc::channel::<()>();
    let ahead = 4 * workers as u64;
    std::thread::scope(|s| {
        for _ in 0..workers {
            let done_tx = done_tx.clone();
            let job_rx = std::sync::Arc::clone(&job_rx);
            s.spawn(move || {
                loop {
                    let job = job_rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
                    let Ok((seq, mut batch)) = job else { return };
                    let decoded = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        decode_json_batch(&batch, implied)
                    }));
                    let done = match decoded {
                        Ok(done) => done,
                        Err(panic) => {
                            // The delivery waits for this batch: told it failed, it stops the
                            // reading at once; the panic goes on (a bug, exit code 101).
                            let _ = done_tx.send((seq, (Vec::new(), Some(stopped())), batch));
                            std::panic::resume_unwind(panic);
                        }
                    };
                    batch.text.clear();
                    batch.items.clear();
                    if done_tx.send((seq, done, batch)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((done_tx, job_rx));
        // Hands the batches over in order until the decoders have all stopped; how many.
        let delivery = s.spawn(move || -> Result<u64, Fail> {
            let mut ready = std::collections::BTreeMap::new();
            let mut next = 0u64;
            for (seq, done, batch) in done_rx {
                ready.insert(seq, done);
                // The cutting may be over: then nobody takes it back.
                let _ = pool_tx.send(batch);
                while let Some((mut out, fail)) = ready.remove(&next) {
                    hand_over(&mut out, held, sink)?;
                    if let Some(e) = fail {
                        return Err(e);
                    }
                    next += 1;
                    let _ = credit_tx.send(());
                }
            }
            Ok(next)
        });
        let mut cut_fail = None;
        let mut sent = 0u64;
        let mut more = true;
        while more {
            let mut batch = pool_rx.try_recv().unwrap_or_else(|_| JsonBatch {
                text: Vec::with_capacity(2 * BATCH),
                items: Vec::new(),
            });
            while more && batch.text.len() < BATCH {
                let cut = value_at(c).and_then(|(n, line, col)| {
                    batch.text.extend_from_slice(&c.available()[..n]);
                    batch.items.push((batch.text.len(), line, col, c.place()));
                    c.consume(n);
                    next_member(c, b']')
                });
                match cut {
                    Ok(m) => more = m,
                    Err(e) => {
                        cut_fail = Some(e);
                        more = false;
                    }
                }
            }
            if !batch.items.is_empty() {
                // Waiting for the delivery fails once it has stopped, and so does sending once
                // the decoders have: either way the delivery tells why.
                if (sent >= ahead && credit_rx.recv().is_err())
                    || job_tx.send((sent, batch)).is_err()
                {
                    break;
                }
                sent += 1;
            }
        }
        drop(job_tx);
        // A panic of the sink's is the loader's bug, not a decoder's: it goes on as a panic.
        let delivered = delivery
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        if delivered != sent {
            return Err(stopped());
        }
        cut_fail.map_or(Ok(()), Err)
    })
}

fn emit(out: &mut Vec<Decoded>, sink: &mut Sink<'_>) -> Result<(), Fail> {
    for d in out.drain(..) {
        sink(Doc { items: vec![d] })?;
    }
    Ok(())
}

/// A JSON document that is an array (sonobuoy's bare arrays): each element decoded and handed
/// over as it is read.
fn read_array<R: Read>(c: &mut Counted<R>, sink: &mut Sink<'_>) -> Result<(), Fail> {
    c.consume(1);
    if eat(c, b']')? {
        return Ok(());
    }
    let mut out = Vec::new();
    loop {
        if !fast_item(c, None, &mut out)? {
            with_value(c, |t, l, co| item(t, l, co, None, &mut out))?;
        }
        emit(&mut out, sink)?;
        if !next_member(c, b']')? {
            return Ok(());
        }
    }
}

/// A JSON document that is an object: a `List` or typed list, whose `items` are decoded and
/// handed over one by one as they are read (kindless ones once the list's kind is known,
/// wherever `kind` stands), or a single object.
fn read_object<R: Read>(c: &mut Counted<R>, sink: &mut Sink<'_>) -> Result<(), Fail> {
    let (line, col) = c.position();
    c.consume(1);
    // The members other than `items`, as text.
    let mut rest: Vec<(String, String)> = Vec::new();
    let kind_of = |rest: &[(String, String)]| {
        rest.iter()
            .rev()
            .find(|(k, _)| k == "kind")
            .and_then(|(_, t)| serde_json::from_str::<String>(t).ok())
            .filter(|k| !k.is_empty())
    };
    let mut items = false;
    let mut held: Vec<Decoded> = Vec::new();
    let mut out = Vec::new();
    let mut more = !eat(c, b'}')?;
    while more {
        c.skip_whitespace().map_err(io_fail)?;
        let (kl, kc) = c.position();
        if c.peek().map_err(io_fail)? != Some(b'"') {
            return Err(format!(
                "invalid JSON at line {kl}, column {kc}: expected a key (a string)"
            ));
        }
        let key = with_value(c, |t, l, co| {
            serde_json::from_str::<String>(t).map_err(|e| json_fail(&e, l, co))
        })?;
        if !eat(c, b':')? {
            let (l, co) = c.position();
            return Err(format!(
                "invalid JSON at line {l}, column {co}: expected `:`"
            ));
        }
        if key == "items" && !items {
            items = true;
            if eat(c, b'[')? {
                // A typed list's kind read before its items (the API server and kubectl write
                // `kind` first) types each item as it is read.
                let list_kind = kind_of(&rest);
                let implied = items_kind(list_kind.as_deref());
                if !eat(c, b']')? {
                    match decoders() {
                        1 => read_json_items(c, implied, &mut held, sink)?,
                        n => read_json_items_parallel(c, implied, n, &mut held, sink)?,
                    }
                }
            } else {
                with_value(c, |t, l, co| match t {
                    "null" => Ok(()),
                    _ => Err(format!(
                        "at line {l}, column {co}: expected a list of Kubernetes objects in \
                         `items`"
                    )),
                })?;
            }
        } else {
            let text = with_value(c, |t, l, co| {
                serde_json::from_str::<serde::de::IgnoredAny>(t)
                    .map(|_| t.to_string())
                    .map_err(|e| json_fail(&e, l, co))
            })?;
            rest.push((key, text));
        }
        more = next_member(c, b'}')?;
    }
    let kind = kind_of(&rest);
    if !items {
        // A single object, put back together from its members.
        let mut text = String::from("{");
        for (i, (k, v)) in rest.iter().enumerate() {
            if i > 0 {
                text.push(',');
            }
            text.push_str(&serde_json::to_string(k).unwrap_or_default());
            text.push(':');
            text.push_str(v);
        }
        text.push('}');
        item(&text, line, col, None, &mut out)?;
        return emit(&mut out, sink);
    }
    if !kind.as_deref().is_none_or(|k| k.ends_with("List")) {
        // Some other kind with an `items` field: not one the audit reads.
        return Ok(());
    }
    // A List, a typed list (`NodeList`: items carry no kind), or a kindless list.
    let implied = items_kind(kind.as_deref());
    for d in held {
        match (d.item, implied) {
            (Item::Kindless(v), Some(k)) => classify(v, Some(k), &mut out)
                .map_err(|e| format!("at line {line}, column {col}: {e}"))?,
            (item, _) => out.push(Decoded::hashed(item, d.hash)),
        }
    }
    sink(Doc { items: out })
}

fn io_fail(e: std::io::Error) -> Fail {
    match e.kind() {
        std::io::ErrorKind::InvalidData => {
            "not UTF-8 text: expected kubectl -o json or -o yaml output".into()
        }
        _ => format!("cannot read: {e}"),
    }
}

/// A JSON error at a position relative to the document that started at `line`, `col`.
fn json_fail(e: &serde_json::Error, line: u64, col: u64) -> Fail {
    if e.is_io() {
        return format!("cannot read: {}", strip_position(&e.to_string()));
    }
    let l = line + e.line() as u64 - 1;
    let c = if e.line() == 1 {
        col + e.column() as u64 - 1
    } else {
        e.column() as u64
    };
    let msg = strip_position(&e.to_string());
    if e.is_data() {
        format!("at line {l}, column {c}: {msg}")
    } else {
        format!("invalid JSON at line {l}, column {c}: {msg}")
    }
}

fn strip_position(s: &str) -> String {
    // serde_json appends " at line X column Y"; the position is given in front.
    match s.rfind(" at line ") {
        Some(i) => s[..i].to_string(),
        None => s.to_string(),
    }
}

/// The YAML reader's options: no cap on the size of the input or on its count of documents,
/// nodes and events (a `kubectl get -o yaml` of a large cluster has millions, and documents
/// are decoded one by one), but the protections against hostile input kept: anchors and aliases
/// (alias bombs) at the library's defaults, and nesting depth at 128, as serde_json's limit for
/// JSON (the default 64 is too shallow for some CRD schemas in a must-gather folder).
pub(super) fn yaml_options() -> serde_saphyr::Options {
    serde_saphyr::options! {
        budget: serde_saphyr::budget! {
            max_depth: 128,
            max_reader_input_bytes: None,
            max_events: usize::MAX,
            max_nodes: usize::MAX,
            max_total_scalar_bytes: usize::MAX,
            max_documents: usize::MAX,
        },
    }
}

/// Read YAML documents one by one, each list's typed items handed over as they are read.
///
/// Each document is first read by the fast reader of kubectl's YAML ([`fast_doc`]), top-level
/// entry by entry and list item by list item. At the first block it does not take, the rest
/// of the document goes to serde-saphyr ([`slow_doc`]) behind the top-level lines read before
/// the list's items, so that serde-saphyr sees the document as it is, less the items already
/// handed over.
pub(super) fn read_yaml<R: Read>(c: &mut Counted<R>, sink: &mut Sink<'_>) -> Result<(), Fail> {
    read_yaml_with(c, sink, true)
}

/// [`read_yaml`], with the fast reader or (`fast` false) serde-saphyr alone.
pub(super) fn read_yaml_with<R: Read>(
    c: &mut Counted<R>,
    sink: &mut Sink<'_>,
    fast: bool,
) -> Result<(), Fail> {
    while c.peek().map_err(io_fail)?.is_some() {
        let (start, _) = c.position();
        let mut header = Vec::new();
        let mut marks = Vec::new();
        let (pending, resume) = match fast {
            true => match fast_doc(c, sink, &mut header, &mut marks)? {
                Fast::Done => continue,
                Fast::Slow => (Vec::new(), c.position().0),
                Fast::SlowFrom(pending, line) => (pending, line),
            },
            false => (Vec::new(), c.position().0),
        };
        let h = header.iter().filter(|&&b| b == b'\n').count() as u64;
        let line = move |l: u64| {
            if l > h {
                return resume + (l - h - 1);
            }
            // The header's lines run on from the document's start, but for the keys read after
            // a list's items, each at its own line ([`fast_doc`]'s `marks`).
            match marks.iter().rev().find(|&&(at, _)| at < l) {
                Some(&(at, input)) => input + (l - at - 1),
                None => start + l - 1,
            }
        };
        slow_doc(c, sink, &header, &pending, line)?;
    }
    Ok(())
}

/// One document (or its rest: `pending`, then the reader's, behind `header`) through
/// serde-saphyr; `line` maps its line numbers to the input's.
fn slow_doc<R: Read>(
    c: &mut Counted<R>,
    sink: &mut Sink<'_>,
    header: &[u8],
    pending: &[u8],
    line: impl Fn(u64) -> u64,
) -> Result<(), Fail> {
    let mut failed = None;
    let mut emit = |d: Decoded| {
        sink(Doc { items: vec![d] }).map_err(|e| {
            failed = Some(e);
            String::from("(stopped)")
        })
    };
    let mut rest = YamlDoc::new(c);
    rest.begun = !header.is_empty() || !pending.is_empty();
    let doc = serde_saphyr::with_deserializer_from_reader_with_options(
        header.chain(pending).chain(rest),
        yaml_options(),
        |d| DocSeed(&mut emit).deserialize(d),
    );
    if let Some(e) = failed {
        return Err(e);
    }
    sink(doc.map_err(|e| yaml_fail(&e, line))?)
}

/// The length of the top-level block at the reader's position (a line at column 0 and the
/// lines below it that are blank, indented or comments — a comment at column 0 inside a list
/// item is still inside it, and the fast reader refuses a block holding one), all of it
/// buffered. Its newlines are noted for
/// consuming it (`Counted::scanned`), so that they are not looked for twice.
fn block_len<R: Read>(c: &mut Counted<R>) -> std::io::Result<usize> {
    let done = |c: &mut Counted<R>, len: usize, s: &LineScan| {
        c.scanned = Some(Scanned {
            offset: c.offset,
            len,
            newlines: s.newlines,
            last_newline: s.last,
        });
        Ok(len)
    };
    let mut s = LineScan {
        i: 0,
        newlines: 0,
        last: None,
        carry: false,
    };
    loop {
        let a = c.available();
        if let Some(end) = s.blocks(a) {
            return done(c, end, &s);
        }
        if s.carry {
            match a.get(s.i) {
                Some(b' ' | b'\n' | b'#') => s.carry = false,
                Some(_) => return done(c, s.i, &s),
                None if c.eof => return done(c, a.len(), &s),
                None => {
                    let have = a.len();
                    c.fill((have * 2).max(have + 256 * 1024))?;
                    continue;
                }
            }
        }
        let a = c.available();
        let found = memchr::memchr(b'\n', &a[s.i..]).map(|k| s.i + k);
        if let Some(nl) = found {
            let next = nl + 1;
            if next < a.len() {
                s.newlines += 1;
                s.last = Some(nl);
                if !matches!(a[next], b' ' | b'\n' | b'#') {
                    return done(c, next, &s);
                }
                s.i = next;
                continue;
            }
        }
        if c.eof {
            let len = a.len();
            if let Some(nl) = found {
                s.newlines += 1;
                s.last = Some(nl);
            }
            return done(c, len, &s);
        }
        let have = a.len();
        c.fill((have * 2).max(have + 256 * 1024))?;
    }
}

/// Where [`block_len`]'s scan stands: the next byte to look at, the newlines before it and the
/// last one's offset, and whether the byte before it is a newline whose next byte was not yet
/// read.
struct LineScan {
    i: usize,
    newlines: u64,
    last: Option<usize>,
    carry: bool,
}

impl LineScan {
    /// On over the whole blocks of `a` from `i`, sixty-four bytes at a time (a line of a pod is
    /// forty bytes on average, and a search for each newline cost more than the lines' bytes):
    /// where the first line that starts with neither a space, a newline nor `#` starts (the
    /// block's end), its newlines counted; `None` once the whole blocks run out.
    fn blocks(&mut self, a: &[u8]) -> Option<usize> {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            // SAFETY: the processor has AVX2 and POPCNT (checked above).
            return unsafe { self.avx2_blocks(a) };
        }
        // SAFETY: without AVX2 nothing is asked of the processor.
        unsafe { self.blocks_with(a, false) }
    }

    /// [`LineScan::blocks`] compiled for AVX2 and POPCNT (the baseline target counts bits
    /// without an instruction), its masks built inline.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2,popcnt")]
    fn avx2_blocks(&mut self, a: &[u8]) -> Option<usize> {
        // SAFETY: this function runs only where the processor has AVX2.
        unsafe { self.blocks_with(a, true) }
    }

    /// # Safety
    /// With `avx2`, the processor must have AVX2.
    #[inline(always)]
    unsafe fn blocks_with(&mut self, a: &[u8], avx2: bool) -> Option<usize> {
        while let Some(block) = a.get(self.i..self.i + 64) {
            let block: &[u8; 64] = block.try_into().unwrap_or(&[0; 64]);
            // SAFETY: as this function's.
            let (newline, space) = unsafe { line_masks(block, avx2) };
            let starts = ((newline << 1) | u64::from(self.carry)) & !space;
            if starts != 0 {
                let k = starts.trailing_zeros() as usize;
                let before = newline & ((1u64 << k) - 1);
                self.newlines += u64::from(before.count_ones());
                if before != 0 {
                    self.last = Some(self.i + 63 - before.leading_zeros() as usize);
                }
                return Some(self.i + k);
            }
            self.newlines += u64::from(newline.count_ones());
            if newline != 0 {
                self.last = Some(self.i + 63 - newline.leading_zeros() as usize);
            }
            self.carry = newline >> 63 == 1;
            self.i += 64;
        }
        None
    }
}

/// Of 64 bytes, which are newlines and which go on a block when they start a line: a space, a
/// newline, or a `#` (a comment line, whatever its column, ends no block in YAML) (bit `k` for
/// byte `k`).
///
/// # Safety
/// With `avx2`, the processor must have AVX2.
#[inline(always)]
unsafe fn line_masks(block: &[u8; 64], avx2: bool) -> (u64, u64) {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of every x86_64 target; AVX2 as this function's.
        unsafe {
            if avx2 {
                avx2_line_masks(block)
            } else {
                sse2_line_masks(block)
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = avx2;
        portable_line_masks(block)
    }
}

/// [`line_masks`] a byte at a time (other architectures, and the tests' reference).
#[cfg(any(not(target_arch = "x86_64"), test))]
fn portable_line_masks(block: &[u8; 64]) -> (u64, u64) {
    let (mut newline, mut space) = (0u64, 0u64);
    for (k, &b) in block.iter().enumerate() {
        newline |= u64::from(b == b'\n') << k;
        space |= u64::from(matches!(b, b'\n' | b' ' | b'#')) << k;
    }
    (newline, space)
}

/// [`line_masks`], sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn sse2_line_masks(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm_cmpeq_epi8, _mm_loadu_si128, _mm_movemask_epi8, _mm_or_si128, _mm_set1_epi8,
    };
    let (nl, sp, hash) = (
        _mm_set1_epi8(b'\n' as i8),
        _mm_set1_epi8(b' ' as i8),
        _mm_set1_epi8(b'#' as i8),
    );
    let (mut newline, mut space) = (0u64, 0u64);
    for (k, chunk) in block.chunks_exact(16).enumerate() {
        // SAFETY: `chunk` holds 16 bytes, and `loadu` has no alignment requirement.
        let v = unsafe { _mm_loadu_si128(chunk.as_ptr().cast()) };
        let is_nl = _mm_cmpeq_epi8(v, nl);
        let bits = |x| u64::from(_mm_movemask_epi8(x) as u16) << (16 * k);
        newline |= bits(is_nl);
        let on = _mm_or_si128(_mm_cmpeq_epi8(v, sp), _mm_cmpeq_epi8(v, hash));
        space |= bits(_mm_or_si128(is_nl, on));
    }
    (newline, space)
}

/// [`line_masks`], thirty-two bytes at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_line_masks(block: &[u8; 64]) -> (u64, u64) {
    use std::arch::x86_64::{
        _mm256_cmpeq_epi8, _mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256,
        _mm256_set1_epi8,
    };
    let (nl, sp, hash) = (
        _mm256_set1_epi8(b'\n' as i8),
        _mm256_set1_epi8(b' ' as i8),
        _mm256_set1_epi8(b'#' as i8),
    );
    let (mut newline, mut space) = (0u64, 0u64);
    for (k, chunk) in block.chunks_exact(32).enumerate() {
        // SAFETY: `chunk` holds 32 bytes, and `loadu` has no alignment requirement.
        let v = unsafe { _mm256_loadu_si256(chunk.as_ptr().cast()) };
        let is_nl = _mm256_cmpeq_epi8(v, nl);
        let bits = |x| u64::from(_mm256_movemask_epi8(x) as u32) << (32 * k);
        newline |= bits(is_nl);
        let on = _mm256_or_si256(_mm256_cmpeq_epi8(v, sp), _mm256_cmpeq_epi8(v, hash));
        space |= bits(_mm256_or_si256(is_nl, on));
    }
    (newline, space)
}

/// `bytes` as text: found ASCII a hundred and twenty-eight bytes at a time where the
/// processor has AVX2 (a dump is ASCII but for rare names and messages), else checked by
/// `from_utf8`. Checking each YAML list item with `from_utf8` was 5 % of the instructions of
/// reading a YAML dump.
fn as_text(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: ASCII is UTF-8.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

fn is_ascii(bytes: &[u8]) -> bool {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the processor has AVX2 (checked above).
        return unsafe { avx2_is_ascii(bytes) };
    }
    bytes.is_ascii()
}

/// Whether no byte of `bytes` has its top bit set, four 32-byte loads ORed together at a time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn avx2_is_ascii(bytes: &[u8]) -> bool {
    use std::arch::x86_64::{_mm256_loadu_si256, _mm256_movemask_epi8, _mm256_or_si256};
    let mut chunks = bytes.chunks_exact(128);
    for c in &mut chunks {
        // SAFETY: `c` holds 128 bytes, and `loadu` has no alignment requirement.
        let v = |k: usize| unsafe { _mm256_loadu_si256(c.as_ptr().add(32 * k).cast()) };
        let any = _mm256_or_si256(_mm256_or_si256(v(0), v(1)), _mm256_or_si256(v(2), v(3)));
        if _mm256_movemask_epi8(any) != 0 {
            return false;
        }
    }
    chunks.remainder().is_ascii()
}

/// How far the fast reader read a document.
enum Fast {
    /// Whole.
    Done,
    /// Up to a block it does not take: the reader is at that block's first line.
    Slow,
    /// Up to a list item it does not take, read already: these bytes (from that item on) come
    /// before the reader's, and the item starts at this line.
    SlowFrom(Vec<u8>, u64),
}

/// Read a document with the fast reader of kubectl's YAML (`fastyaml.rs`), `header` holding
/// the lines read but a list's items (for serde-saphyr, should it read the document's rest):
/// those after the items each with a mark in `marks` (the header's lines before it, and its
/// line in the input).
fn fast_doc<R: Read>(
    c: &mut Counted<R>,
    sink: &mut Sink<'_>,
    header: &mut Vec<u8>,
    marks: &mut Vec<(u64, u64)>,
) -> Result<Fast, Fail> {
    let mut rest = Map::new();
    // `items:` has been read; `in_items`: its `- ` entries are being read.
    let (mut items, mut in_items) = (false, false);
    let mut implied: Option<String> = None;
    let mut content = false;
    let mut out = Vec::new();
    loop {
        c.fill(4).map_err(io_fail)?;
        let a = c.available();
        if a.is_empty() {
            break;
        }
        if marker(a, b"---") {
            if content || !header.is_empty() {
                break;
            }
            // The document's own start: `---` alone.
            let n = block_len(c).map_err(io_fail)?;
            let a = c.available();
            if !a[..n].iter().skip(3).all(|b| matches!(b, b' ' | b'\n')) {
                return Ok(Fast::Slow);
            }
            header.extend_from_slice(&a[..n]);
            c.consume(n);
            continue;
        }
        if a[0] == b'\n' {
            if !items {
                header.push(b'\n');
            }
            c.consume(1);
            continue;
        }
        if marker(a, b"...") || !(a[0].is_ascii_alphanumeric() || a[0] == b'-') {
            // Documents ended by `...`, comments, quoted keys, indented or odd top levels.
            return Ok(Fast::Slow);
        }
        let n = block_len(c).map_err(io_fail)?;
        let a = c.available();
        let Ok(text) = std::str::from_utf8(&a[..n]) else {
            return Ok(Fast::Slow);
        };
        // A key whose value is a sequence at its column: only `items` is read here.
        let next_dash = a.get(n) == Some(&b'-');
        if a[0] == b'-' {
            if !in_items || !a[..n].starts_with(b"- ") {
                return Ok(Fast::Slow);
            }
            if let Some((pending, line)) = read_items(c, sink, implied.as_deref())? {
                return Ok(Fast::SlowFrom(pending, line));
            }
            in_items = false;
            content = true;
            continue;
        }
        in_items = false;
        if let Some(after) = text.strip_prefix("items:")
            && !items
        {
            let value = after.trim_end_matches([' ', '\n']);
            if after.trim_end_matches(' ').matches('\n').count() > 1 {
                return Ok(Fast::Slow);
            }
            match value.trim_start_matches(' ') {
                "" if next_dash => in_items = true,
                "[]" if !next_dash => {}
                _ => return Ok(Fast::Slow),
            }
            items = true;
            // Noted, so that a second `items` is a repeated key here too.
            rest.insert("items".to_string(), Value::Null);
            implied = doc::items_kind(rest.get("kind").and_then(Value::as_str)).map(str::to_string);
            header.extend_from_slice(&a[..n]);
            c.consume(n);
            content = true;
            continue;
        }
        if next_dash {
            return Ok(Fast::Slow);
        }
        let Ok(tape) = fastyaml::parse(text) else {
            return Ok(Fast::Slow);
        };
        let (Some(fastyaml::Node::Key(k)), Ok(v)) = (
            tape.get(1),
            Value::deserialize(&mut fastyaml::Cursor::new(&tape, 2)),
        ) else {
            return Ok(Fast::Slow);
        };
        if rest.contains_key(k.as_ref()) {
            return Ok(Fast::Slow);
        }
        rest.insert(k.to_string(), v);
        // After the items too: should serde-saphyr read the document's rest, it sees every key
        // read here (the list's `kind: List`, its `metadata`), its items already handed over.
        if items {
            let lines = header.iter().filter(|&&b| b == b'\n').count() as u64;
            marks.push((lines, c.position().0));
        }
        header.extend_from_slice(&a[..n]);
        c.consume(n);
        content = true;
    }
    if !content {
        // Nothing but blank lines and `---`: serde-saphyr's to read.
        return Ok(Fast::Slow);
    }
    if items && doc::looks_cut_short(&rest) {
        return Err(format!("line {}: {}", c.position().0, doc::CUT_SHORT));
    }
    if items {
        // Every item has been handed over (kindless ones are left to serde-saphyr).
        sink(Doc::default())?;
        return Ok(Fast::Done);
    }
    // A single object, as `DocVisitor` reads one; its errors are serde-saphyr's to word.
    if doc::classify(Value::Object(rest), None, &mut out).is_err() {
        return Ok(Fast::Slow);
    }
    sink(Doc {
        items: std::mem::take(&mut out),
    })?;
    Ok(Fast::Done)
}

/// List items read one after another (`- ` blocks at column 0), cut into batches here and
/// decoded on worker threads (items are independent; their order is kept), handed over in
/// order. At an item the fast reader does not take: that item's text and the rest read
/// already, and its line, for serde-saphyr to go on from.
fn read_items<R: Read>(
    c: &mut Counted<R>,
    sink: &mut Sink<'_>,
    implied: Option<&str>,
) -> Result<Option<(Vec<u8>, u64)>, Fail> {
    /// A batch and its items (`None`: its decoder panicked).
    type Done = (usize, Batch, Option<Vec<Option<Vec<Decoded>>>>);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    let lost = || String::from("internal error: a YAML decoding thread stopped");
    std::thread::scope(|s| {
        let (done_tx, done_rx) = std::sync::mpsc::channel::<Done>();
        let mut jobs = Vec::new();
        for _ in 0..workers {
            let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Batch)>(1);
            let done_tx = done_tx.clone();
            s.spawn(move || {
                for (k, b) in rx {
                    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        decode_batch(&b, implied)
                    }));
                    match out {
                        Ok(out) => {
                            if done_tx.send((k, b, Some(out))).is_err() {
                                break;
                            }
                        }
                        Err(panic) => {
                            // The delivery waits for this batch: told it failed, it stops at
                            // once (the other decoders still hold the channel, so it would
                            // wait for ever); the panic goes on (a bug, exit code 101).
                            let _ = done_tx.send((k, b, None));
                            std::panic::resume_unwind(panic);
                        }
                    }
                }
            });
            jobs.push(tx);
        }
        drop(done_tx);
        // Batch texts handed back, to be filled again (a fresh megabyte a batch is an mmap, its
        // page faults and its growth by mremap each time).
        let (pool_tx, pool_rx) = std::sync::mpsc::channel::<String>();
        // One a batch handed over: the cutting runs at most `ahead` batches before the delivery,
        // and stops as soon as the delivery has (the fast reader's end, or an error).
        let (credit_tx, credit_rx) = std::sync::mpsc::channel::<()>();
        let ahead = 2 * workers;
        // The batches handed to the sink in order, on a thread of their own (the loader's work
        // overlaps the cutting, as for a JSON list, `read_json_items_parallel`), until the last
        // or an item the fast reader does not take: then that item's text and every later
        // batch's, for serde-saphyr, and the line the item starts at.
        let delivery = s.spawn(move || -> Result<Option<(Vec<u8>, u64)>, Fail> {
            let mut waiting = std::collections::BTreeMap::new();
            let mut emitted = 0usize;
            loop {
                while !waiting.contains_key(&emitted) {
                    match done_rx.recv() {
                        Ok((k, b, out)) => {
                            waiting.insert(k, (b, out));
                        }
                        // Every batch cut has been decoded and delivered.
                        Err(_) => return Ok(None),
                    }
                }
                let Some((b, Some(out))) = waiting.remove(&emitted) else {
                    return Err(lost());
                };
                emitted += 1;
                for (j, r) in out.into_iter().enumerate() {
                    let Some(items) = r else {
                        // This item and everything cut after it go to serde-saphyr: the cutting
                        // stops (no more credit), and the batches it cut come back decoded.
                        drop(credit_tx);
                        let from = if j == 0 { 0 } else { b.ends[j - 1] };
                        let line = b.line
                            + memchr::memchr_iter(b'\n', &b.text.as_bytes()[..from]).count() as u64;
                        let mut pending = b.text.as_bytes()[from..].to_vec();
                        for (k, b2, out2) in done_rx {
                            waiting.insert(k, (b2, out2));
                        }
                        for k in emitted.. {
                            match waiting.remove(&k) {
                                Some((b2, Some(_))) => {
                                    pending.extend_from_slice(b2.text.as_bytes())
                                }
                                Some((_, None)) => return Err(lost()),
                                None => break,
                            }
                        }
                        if !waiting.is_empty() {
                            return Err(lost());
                        }
                        return Ok(Some((pending, line)));
                    };
                    if !items.is_empty() {
                        sink(Doc { items })?;
                    }
                }
                let mut text = b.text;
                text.clear();
                // The cutting may be over: then nobody takes it back.
                let _ = pool_tx.send(text);
                let _ = credit_tx.send(());
            }
        });
        let mut sent = 0usize;
        let mut cut_fail = None;
        loop {
            // Waiting for the delivery fails once it has stopped.
            if sent >= ahead && credit_rx.recv().is_err() {
                break;
            }
            match read_batch(c, pool_rx.try_recv().unwrap_or_default()) {
                Ok(Some(b)) => {
                    if jobs[sent % workers].send((sent, b)).is_err() {
                        // A decoder has stopped (a panic): the delivery tells.
                        break;
                    }
                    sent += 1;
                }
                Ok(None) => break,
                Err(e) => {
                    cut_fail = Some(e);
                    break;
                }
            }
        }
        drop(jobs);
        // A panic of the sink's is the loader's bug, not a decoder's: it goes on as a panic.
        let delivered = delivery
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        if let Some(e) = cut_fail {
            return Err(e);
        }
        if sent == 0 {
            // Not even one item read (not UTF-8?): serde-saphyr's to read.
            return Ok(Some((Vec::new(), c.position().0)));
        }
        Ok(delivered)
    })
}

/// A line that makes a YAML decoder panic, in the tests.
#[cfg(test)]
const PANIC_IN_DECODER: &str = "  panicInTheDecoder: test\n";

/// Consecutive list items' text, with where each ends and the line the first starts at.
struct Batch {
    text: String,
    ends: Vec<usize>,
    line: u64,
    /// The first item's offset in the input, if it can be read again ([`Counted::place`]).
    offset: Option<u64>,
}

/// About how much text a YAML [`Batch`] holds.
const YAML_BATCH: usize = 1 << 20;

/// Read the list items at the reader's position, about [`YAML_BATCH`] of them; `None` when
/// there are none (the list has ended). `text` is an emptied buffer to fill (handed back after
/// use).
fn read_batch<R: Read>(c: &mut Counted<R>, text: String) -> Result<Option<Batch>, Fail> {
    let mut b = Batch {
        text,
        ends: Vec::new(),
        line: c.position().0,
        offset: c.place(),
    };
    while b.text.len() < YAML_BATCH {
        c.fill(2).map_err(io_fail)?;
        if !c.available().starts_with(b"- ") {
            break;
        }
        let n = block_len(c).map_err(io_fail)?;
        let Some(t) = as_text(&c.available()[..n]) else {
            break;
        };
        b.text.push_str(t);
        b.ends.push(b.text.len());
        c.consume(n);
    }
    Ok((!b.ends.is_empty()).then_some(b))
}

/// Decode a batch's items, up to the first the fast reader does not take (`None`).
fn decode_batch(b: &Batch, implied: Option<&str>) -> Vec<Option<Vec<Decoded>>> {
    #[cfg(test)]
    if b.text.contains(PANIC_IN_DECODER) {
        panic!("a decoder's bug (test)");
    }
    let mut out = Vec::with_capacity(b.ends.len());
    let mut from = 0;
    for &end in &b.ends {
        let mut items = Vec::new();
        let at = b.offset.map(|o| o + from as u64);
        if !fast_yaml_item(&b.text[from..end], implied, &mut items, at) {
            out.push(None);
            break;
        }
        out.push(Some(items));
        from = end;
    }
    out
}

/// One list item (a `- ` block) read by the fast reader into `out`, as [`DocSeed`]'s items
/// are decoded (typed straight from the tape, like a JSON item from its text, `decode_text`);
/// false (and `out` empty) when serde-saphyr should read it: outside the subset, kindless, or
/// not decodable (its error is then serde-saphyr's).
///
/// With `at` (the item's offset in an input that can be read again), a typed item is hashed by
/// its bytes and placed ([`Decoded::text_at`]) instead of by its content.
fn fast_yaml_item(
    text: &str,
    implied: Option<&str>,
    out: &mut Vec<Decoded>,
    at: Option<u64>,
) -> bool {
    if let Some(offset) = at
        && looks_like_pod(text, implied)
    {
        // Only what a pod's audit reads is put on the tape; the head is read from it as from
        // the whole (every top-level and `metadata` member is kept).
        let Ok(read) = fastyaml::parse_pod(text) else {
            return false;
        };
        let tape = &read.tape;
        let cur = || fastyaml::Cursor::new(tape, 1);
        // A pod read through a template has the template's head when its `kind` is the same.
        let head = match &read.head {
            Some(head) => Ok(std::rc::Rc::clone(head)),
            None => hash::head_unhashed(&mut cur()).map(std::rc::Rc::new),
        };
        if (read.set.is_some() || matches!(tape.first(), Some(fastyaml::Node::Seq { len: 1, .. })))
            && let Ok(head) = head
            && head.typed_kind(implied) == Some("Pod")
        {
            let Ok(pod) = read.pod() else {
                return false;
            };
            out.push(Decoded::placed(
                Item::Pod(pod),
                text.as_bytes(),
                offset,
                true,
            ));
            return true;
        }
    }
    let Ok(tape) = fastyaml::parse(text) else {
        return false;
    };
    if !matches!(tape.first(), Some(fastyaml::Node::Seq { len: 1, .. })) {
        return false;
    }
    let cur = || fastyaml::Cursor::new(&tape, 1);
    let head = if at.is_some() {
        hash::head_unhashed(&mut cur())
    } else {
        hash::head(&mut cur())
    };
    let Ok(head) = head else {
        return false;
    };
    let kind = head.typed_kind(implied);
    let item = match kind {
        None => {
            let ok = Value::deserialize(&mut cur())
                .ok()
                .is_some_and(|v| doc::classify(v, implied, out).is_ok());
            if !ok || out.iter().any(|d| matches!(d.item, Item::Kindless(_))) {
                out.clear();
                return false;
            }
            return true;
        }
        Some("Node") => Node::deserialize(&mut cur()).map(Item::Node).ok(),
        Some("Pod") => Pod::deserialize(&mut cur()).map(Item::Pod).ok(),
        Some("ControllerRevision") => ControllerRevision::deserialize(&mut cur())
            .map(Item::Revision)
            .ok(),
        Some("DaemonSet") => Value::deserialize(&mut cur())
            .ok()
            .and_then(|v| super::daemon_set_from_value(v).ok())
            .map(Item::DaemonSet),
        Some(_) => return true,
    };
    let Some(item) = item else {
        return false;
    };
    out.push(match at {
        Some(offset) => Decoded::placed(item, text.as_bytes(), offset, true),
        None => Decoded::hashed(item, head.hash),
    });
    true
}

/// Whether a list item is, by its first lines, a pod in kubectl's YAML (`kind` after
/// `apiVersion`, keys sorted) or an item of a pod list without a kind of its own: what
/// [`fast_yaml_item`] reads through [`fastyaml::parse_pod`]. Only a guess: the item's kind is
/// read from its tape before the pod is, and anything else is read again whole.
fn looks_like_pod(text: &str, implied: Option<&str>) -> bool {
    let mut lines = text.lines();
    let (first, second) = (lines.next().unwrap_or(""), lines.next().unwrap_or(""));
    first == "- kind: Pod"
        || (first.starts_with("- apiVersion: ") && second == "  kind: Pod")
        || (implied == Some("Pod") && !text.contains("\n  kind: "))
}

/// One document of a YAML stream: the input up to the next line that starts with the marker
/// `---` (or just after a line that is the marker `...`). YAML 1.2 forbids either marker at the
/// start of a line inside a document's content (the production `c-forbidden`), so this cut is
/// where the parser's own document boundary is.
struct YamlDoc<'a, R> {
    c: &'a mut Counted<R>,
    /// The next byte starts a line.
    line_start: bool,
    /// Something of this document has been handed out.
    begun: bool,
    done: bool,
}

impl<'a, R: Read> YamlDoc<'a, R> {
    fn new(c: &'a mut Counted<R>) -> Self {
        YamlDoc {
            c,
            line_start: true,
            begun: false,
            done: false,
        }
    }
}

/// Whether a line starts with the document marker `m` (`---` or `...`) standing alone.
fn marker(line: &[u8], m: &[u8; 3]) -> bool {
    line.starts_with(m)
        && line
            .get(3)
            .is_none_or(|b| matches!(b, b' ' | b'\t' | b'\r' | b'\n'))
}

impl<R: Read> Read for YamlDoc<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.done || out.is_empty() {
            return Ok(0);
        }
        self.c.fill(4)?;
        let a = self.c.available();
        if a.is_empty() {
            self.done = true;
            return Ok(0);
        }
        if self.line_start && self.begun && marker(a, b"---") {
            self.done = true;
            return Ok(0);
        }
        // Whole lines where there is a newline, so that each line's start is seen.
        let lim = a.len().min(out.len());
        let mut n = a[..lim]
            .iter()
            .rposition(|&b| b == b'\n')
            .map_or(lim, |i| i + 1);
        // A `---` line ends the document before it (seen at the start of the next read), a
        // `...` line just after it.
        let line_end = |from: usize, n: usize| {
            a[from..n]
                .iter()
                .position(|&b| b == b'\n')
                .map_or(n, |j| from + j + 1)
        };
        let mut dots = false;
        if self.line_start && marker(a, b"...") {
            n = line_end(0, n);
            dots = true;
        }
        let mut i = 0;
        while !dots && let Some(p) = a[i..n].iter().position(|&b| b == b'\n') {
            let next = i + p + 1;
            if next >= n {
                break;
            }
            if marker(&a[next..n], b"---") {
                n = next;
                break;
            }
            if marker(&a[next..n], b"...") {
                n = line_end(next, n);
                dots = true;
            }
            i = next;
        }
        out[..n].copy_from_slice(&a[..n]);
        self.line_start = a[n - 1] == b'\n';
        self.c.consume(n);
        self.begun = true;
        self.done = dots;
        Ok(n)
    }
}
fn yaml_fail(e: &serde_saphyr::Error, line: impl Fn(u64) -> u64) -> Fail {
    let text = e.to_string();
    let mut first = text.lines().next().unwrap_or("").trim();
    // The parser's own text repeats "error: line X column Y:"; the location is given once.
    first = first.strip_prefix("error: ").unwrap_or(first);
    if first.starts_with("line ")
        && let Some(i) = first.find(": ")
    {
        first = &first[i + 2..];
    }
    // A second position the parser may add (where a flow collection started) counts lines of
    // what serde-saphyr was given, which after the fast reader is not the whole input.
    if let Some(i) = first.rfind(" at line ")
        && first[i + 9..]
            .split(", column ")
            .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
    {
        first = &first[..i];
    }
    // serde-saphyr names an I/O failure only "IO error" (its cause, e.g. bytes that are not
    // UTF-8, is the error's source) and a limit by its Rust debug form ("budget breached:
    // Depth { depth: 129 }"): both said in words.
    let cause;
    if first == "IO error"
        && let Some(source) = std::error::Error::source(e)
    {
        cause = super::clip(&source.to_string());
        first = &cause;
    }
    let limit;
    if let Some(breach) = first.strip_prefix("budget breached: ") {
        let what = breach.split([' ', '{']).next().unwrap_or(breach);
        let number: String = breach.chars().filter(char::is_ascii_digit).collect();
        limit = match what {
            "Depth" => format!("nested {number} levels deep, more than the YAML reader allows"),
            _ => format!(
                "past the YAML reader's limit on {} ({number})",
                what.to_lowercase()
            ),
        };
        first = &limit;
    }
    // Advice to serde-saphyr's own callers, not to whoever wrote the file (kubectl refuses a
    // repeated key too).
    if let Some(i) = first.find(", set DuplicateKeyPolicy") {
        first = &first[..i];
    }
    if let Some(object) = doc::object_fault(e) {
        // Valid YAML, an object at fault: said as the JSON reader says it.
        return match e.location() {
            Some(loc) => format!(
                "at line {}, column {}: {object}",
                line(loc.line()),
                loc.column()
            ),
            None => object,
        };
    }
    if first == doc::CUT_SHORT {
        // Not invalid: only short of what kubectl writes.
        return match e.location() {
            Some(loc) => format!("line {}: {first}", line(loc.line())),
            None => first.to_string(),
        };
    }
    match e.location() {
        Some(loc) => format!(
            "invalid YAML at line {}, column {}: {first}",
            line(loc.line()),
            loc.column()
        ),
        None => format!("invalid YAML: {first}"),
    }
}

/// Read any input: JSON when it starts with `{` or `[`, else YAML.
pub(super) fn read_any<R: Read>(r: R, rereadable: bool, sink: &mut Sink<'_>) -> Result<(), Fail> {
    let mut c = Counted::new(r);
    c.rereadable = rereadable;
    c.skip_bom().map_err(io_fail)?;
    match c.peek_content().map_err(io_fail)? {
        Some(b'{' | b'[') => read_json(&mut c, sink),
        Some(_) => read_yaml(&mut c, sink),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    /// Every object of the JSON fixtures, as text (list items one by one), compact and indented.
    fn fixture_objects() -> Vec<String> {
        fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "json") {
                    out.push(p);
                }
            }
        }
        fn objects(v: Value, out: &mut Vec<String>) {
            match v {
                Value::Array(a) => a.into_iter().for_each(|x| objects(x, out)),
                Value::Object(mut o) if matches!(o.get("items"), Some(Value::Array(_))) => {
                    if let Some(Value::Array(a)) = o.remove("items") {
                        a.into_iter().for_each(|x| objects(x, out));
                    }
                }
                v @ Value::Object(_) => {
                    out.push(serde_json::to_string(&v).unwrap());
                    out.push(serde_json::to_string_pretty(&v).unwrap());
                }
                _ => {}
            }
        }
        let mut files = Vec::new();
        walk(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures"),
            &mut files,
        );
        let mut out = Vec::new();
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap();
            // Some fixtures are streams (`kubectl cluster-info dump`): each document.
            for v in serde_json::Deserializer::from_str(&text).into_iter::<Value>() {
                let Ok(v) = v else { break };
                objects(v, &mut out);
            }
        }
        out
    }

    fn describe(d: &Decoded) -> String {
        match &d.item {
            Item::Node(n) => format!("{n:?}"),
            Item::Pod(p) => format!("{p:?}"),
            Item::Revision(r) => format!("{r:?}"),
            Item::DaemonSet(ds) => format!("{ds:?}"),
            Item::Kindless(v) => format!("{v:?}"),
            Item::Bare => "bare".into(),
        }
    }

    /// The one-pass decode gives what the two-pass one gives (same object, same hash) for every
    /// object of the fixtures it takes, and it takes the pods, nodes and revisions.
    #[test]
    fn one_pass_and_two_passes_decode_the_fixtures_alike() {
        let mut taken = 0;
        for text in fixture_objects() {
            for implied in [None, Some("Pod")] {
                let mut two = Vec::new();
                let general = decode_text(&text, implied, &mut two);
                let mut c = Counted::new(text.as_bytes());
                let mut one = Vec::new();
                if !fast_item(&mut c, implied, &mut one).unwrap() {
                    assert!(one.is_empty());
                    continue;
                }
                taken += 1;
                assert!(general.is_ok(), "{text}");
                assert_eq!(one.len(), 1);
                assert_eq!(two.len(), 1, "{text}");
                assert_eq!(one[0].hash, two[0].hash, "{text}");
                assert_eq!(describe(&one[0]), describe(&two[0]));
                // The whole object was consumed.
                assert_eq!(c.peek_content().unwrap(), None);
            }
        }
        assert!(taken > 100, "only {taken} objects took the one-pass way");
    }

    #[test]
    fn the_kind_is_guessed_from_the_first_members_only() {
        assert_eq!(
            first_kind(br#"{"apiVersion":"v1", "kind" : "Pod","metadata":{}}"#),
            Some("Pod")
        );
        assert_eq!(
            first_kind(br#"{"a":1,"b":true,"kind":"Node"}"#),
            Some("Node")
        );
        // After a nested value, or with escapes: no guess (the general way reads it).
        assert_eq!(first_kind(br#"{"metadata":{},"kind":"Pod"}"#), None);
        assert_eq!(first_kind(br#"{"kind":"P\u006fd"}"#), None);
        assert_eq!(first_kind(br#"{"kind":"Pod""#), Some("Pod"));
    }

    #[test]
    fn an_item_not_whole_in_the_input_or_odd_takes_the_general_way() {
        for text in [
            r#"{"kind":"Pod","metadata":{"name":"p"}"#,
            r#"{"kind":"Pod","metadata":{"name":"p","creation_timestamp":null}}"#,
            r#"{"kind":"Pod","kind":"Node","metadata":{"name":"p"}}"#,
            r#"{"kind":"Pod","metadata":{"name":7}}"#,
            r#"{"kind":"DaemonSet","metadata":{"name":"d"}}"#,
        ] {
            let mut c = Counted::new(text.as_bytes());
            let mut out = Vec::new();
            assert!(!fast_item(&mut c, None, &mut out).unwrap(), "{text}");
            assert!(out.is_empty());
            // Nothing consumed.
            assert_eq!(c.peek_content().unwrap(), Some(b'{'));
        }
    }

    /// A reader that hands out one byte at a time: values end up cut across refills.
    struct Trickle<'a>(&'a [u8]);

    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let Some((&b, rest)) = self.0.split_first() else {
                return Ok(0);
            };
            out[0] = b;
            self.0 = rest;
            Ok(1)
        }
    }

    #[test]
    fn a_value_ends_where_its_brackets_close_whatever_its_strings_hold() {
        let value = r#"{"a":"x\"}]{[","b\\":["\\",{"c":"\u0022"}],"d":1}"#;
        let text = format!("{value} , 7");
        for trickle in [false, true] {
            let mut c = if trickle {
                Counted::new(Box::new(Trickle(text.as_bytes())) as Box<dyn Read>)
            } else {
                Counted::new(Box::new(text.as_bytes()) as Box<dyn Read>)
            };
            assert_eq!(
                c.value_len().unwrap(),
                Some(value.len()),
                "trickle {trickle}"
            );
        }
        // Cut short inside a string: no end.
        let mut c = Counted::new(&br#"{"a":"x\"}"#[..]);
        assert_eq!(c.value_len().unwrap(), None);
    }

    /// Every item a YAML input yields (kind, decoded object, content hash), read by the fast
    /// reader or by serde-saphyr alone; or the error line.
    fn items(text: &str, fast: bool) -> Result<Vec<String>, String> {
        let mut got = Vec::new();
        let mut sink = |doc: Doc| {
            for d in doc.items {
                let what = match &d.item {
                    Item::Node(n) => format!("{n:?}"),
                    Item::Pod(p) => format!("{p:?}"),
                    Item::DaemonSet(ds) => format!("{ds:?}"),
                    Item::Revision(r) => format!("{r:?}"),
                    Item::Kindless(v) => format!("kindless {v}"),
                    Item::Bare => "bare".into(),
                };
                got.push(format!("{what} #{:x}", d.hash));
            }
            Ok(())
        };
        let mut c = Counted::new(text.as_bytes());
        read_yaml_with(&mut c, &mut sink, fast)?;
        Ok(got)
    }

    fn same(text: &str) -> Result<Vec<String>, String> {
        let fast = items(text, true);
        let slow = items(text, false);
        if let (Ok(f), Ok(s)) = (&fast, &slow) {
            let first = f.iter().zip(s).position(|(a, b)| a != b);
            assert!(
                first.is_none() && f.len() == s.len(),
                "fast reader and serde-saphyr differ at item {first:?} of {}/{}:\n{:.3000}\n{:.3000}\nin:\n{:.2000}",
                f.len(),
                s.len(),
                first.map_or("", |i| &f[i]),
                first.map_or("", |i| &s[i]),
                text
            );
        }
        assert_eq!(
            fast.as_ref().err(),
            slow.as_ref().err(),
            "fast reader and serde-saphyr differ on:\n{text:.3000}"
        );
        fast
    }

    /// Keys after a list's items: a repeated one is refused as serde-saphyr refuses it, at its
    /// line, whether the document ends there or with `...`; an error serde-saphyr finds among
    /// the keys the fast reader read after the items is told at that key's line.
    #[test]
    fn keys_after_the_items_are_checked_at_their_lines() {
        let list = "apiVersion: v1\nitems:\n- apiVersion: v1\n  kind: Node\n  metadata:\n    name: n1\n    uid: u1\n\n\nkind: List\nitems: []\nmetadata:\n  resourceVersion: \"\"\n";
        for text in [list.to_string(), format!("{list}...\n")] {
            let err = same(&text).unwrap_err();
            assert!(
                err.contains("line 11,") && err.contains("duplicate"),
                "{err}"
            );
        }
        let whole = list.replace("items: []\n", "");
        for text in [whole.clone(), format!("{whole}...\n")] {
            assert_eq!(same(&text).unwrap().len(), 1, "{text}");
        }
        // `...` makes the fast reader leave the document's rest to serde-saphyr: a repeated
        // `kind` after it is found at its line, the first `kind` (line 10) read by the fast one.
        let text = format!("{whole}...\n").replace("...\n", "kind: List\n...\n");
        let err = same(&text).unwrap_err();
        assert!(
            err.contains("line 13,") && err.contains("duplicate"),
            "{err}"
        );
    }

    /// YAML as `kubectl get -o yaml` writes it (sigs.k8s.io/yaml, go-yaml v2's encoder): keys
    /// sorted, 2-space indentation, sequences at their key's column, strings plain unless they
    /// would read as something else, multi-line strings as `|`/`|-` block scalars.
    fn kubectl_yaml(v: &Value, indent: usize, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(m) => {
                let mut keys: Vec<_> = m.keys().collect();
                keys.sort();
                for (i, k) in keys.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(&pad);
                    }
                    out.push_str(&scalar(k, indent));
                    out.push(':');
                    entry(&m[k], indent, false, out);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&pad);
                    }
                    out.push('-');
                    entry(x, indent, true, out);
                }
            }
            _ => unreachable!(),
        }
    }

    fn entry(v: &Value, indent: usize, in_seq: bool, out: &mut String) {
        let pad = " ".repeat(indent);
        match v {
            Value::Object(_) | Value::Array(_)
                if v.as_object().map_or(0, |m| m.len()) + v.as_array().map_or(0, |a| a.len())
                    > 0 =>
            {
                // Mappings go 2 deeper; sequences under a key stay at its column.
                let deeper = in_seq || v.is_object();
                if in_seq {
                    out.push(' ');
                } else {
                    out.push('\n');
                    out.push_str(&pad);
                    if deeper {
                        out.push_str("  ");
                    }
                }
                kubectl_yaml(v, if deeper { indent + 2 } else { indent }, out);
            }
            Value::Object(_) => out.push_str(" {}\n"),
            Value::Array(_) => out.push_str(" []\n"),
            Value::String(s) => {
                out.push(' ');
                out.push_str(&scalar(s, indent));
                out.push('\n');
            }
            other => {
                out.push(' ');
                out.push_str(&other.to_string());
                out.push('\n');
            }
        }
    }

    fn scalar(s: &str, indent: usize) -> String {
        let typed_as_string =
            serde_saphyr::from_str::<Value>(s).ok() == Some(Value::String(s.into()));
        if s.contains('\n')
            && !s.starts_with(' ')
            && !s.chars().any(|c| c.is_control() && c != '\n')
        {
            let body = s.strip_suffix('\n').unwrap_or(s);
            let pad = " ".repeat(indent + 2);
            let mut t = String::from(if s.ends_with('\n') { "|" } else { "|-" });
            for l in body.split('\n') {
                t.push('\n');
                if !l.is_empty() {
                    t.push_str(&pad);
                    t.push_str(l);
                }
            }
            return t;
        }
        let plain = typed_as_string
            && !s.is_empty()
            && !s.starts_with([
                ' ', '-', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'',
                '"', '%', '@', '`',
            ])
            && !s.ends_with([' ', ':'])
            && !s.contains(": ")
            && !s.contains(" #")
            && !s.chars().any(char::is_control);
        if plain {
            s.to_string()
        } else if s.chars().any(char::is_control) {
            // Double-quoted, as JSON quotes it, and C1 controls escaped too (JSON leaves them
            // raw; YAML does not print them, and kubectl's encoder escapes them).
            serde_json::to_string(s)
                .unwrap()
                .chars()
                .map(|c| match c {
                    '\u{80}'..='\u{9f}' => format!("\\u{:04x}", c as u32),
                    c => c.to_string(),
                })
                .collect()
        } else {
            format!("'{}'", s.replace('\'', "''"))
        }
    }

    fn as_kubectl_list(objects: &[Value]) -> String {
        let mut out = String::from("apiVersion: v1\nitems:\n");
        for o in objects {
            out.push('-');
            entry(o, 0, true, &mut out);
        }
        out.push_str("kind: List\nmetadata:\n  resourceVersion: \"\"\n");
        out
    }

    fn fixtures() -> Vec<std::path::PathBuf> {
        let mut files = Vec::new();
        let mut dirs = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures"
        ))];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                } else {
                    files.push(p);
                }
            }
        }
        files.sort();
        files
    }

    #[test]
    fn every_yaml_fixture_reads_the_same_through_the_fast_reader_and_serde_saphyr() {
        let mut n = 0;
        for p in fixtures() {
            if !matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml")) {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let got = same(&text);
            assert!(
                got.as_ref().is_ok_and(|v| !v.is_empty()) || got.is_err(),
                "{}",
                p.display()
            );
            n += 1;
        }
        assert!(n >= 9, "only {n} YAML fixtures found");
    }

    #[test]
    fn json_fixtures_written_as_kubectl_yaml_read_the_same_both_ways_and_as_json() {
        let mut n = 0;
        for p in fixtures() {
            if p.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&p).unwrap();
            let Ok(v) = serde_json::from_str::<Value>(&text) else {
                continue; // a `cluster-info dump` stream: several documents
            };
            let objects = match &v {
                Value::Array(a) => a.clone(),
                Value::Object(o) => match o.get("items") {
                    Some(Value::Array(a)) => a.clone(),
                    _ => vec![v.clone()],
                },
                _ => continue,
            };
            if objects.iter().any(|o| !o.is_object()) {
                continue;
            }
            let yaml = as_kubectl_list(&objects);
            let got = same(&yaml).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
            // The same objects as JSON hash and decode alike (`hash.rs`: same data, same hash).
            let mut json = Vec::new();
            let mut sink = |doc: Doc| {
                json.extend(doc.items.into_iter().map(|d| d.hash));
                Ok(())
            };
            read_json(
                &mut Counted::new(as_json_list(&objects).as_bytes()),
                &mut sink,
            )
            .unwrap();
            let yaml_hashes: Vec<u64> = got
                .iter()
                .filter(|s| !s.starts_with("kindless") && !s.starts_with("bare"))
                .map(|s| u64::from_str_radix(s.rsplit('#').next().unwrap(), 16).unwrap())
                .collect();
            let json_typed: Vec<u64> = json.into_iter().filter(|&h| h != 0).collect();
            assert_eq!(yaml_hashes, json_typed, "{}", p.display());
            n += 1;
        }
        assert!(n >= 5, "only {n} JSON fixtures converted");
    }

    fn as_json_list(objects: &[Value]) -> String {
        serde_json::json!({"apiVersion": "v1", "kind": "List", "items": objects}).to_string()
    }

    /// kubectl's YAML from an input that can be read again: every typed item placed at the
    /// exact `- ` block it was read from and hashed by its bytes; the same items from one that
    /// cannot, hashed by content (the block's content hash, as the loader takes it again).
    #[test]
    fn yaml_items_from_a_rereadable_input_are_placed_at_their_blocks() {
        let spec = ds_coverage_simulator::generator::ClusterSpec::small(3);
        let cluster = ds_coverage_simulator::generator::generate(&spec);
        let objects: Vec<Value> = cluster.items().cloned().collect();
        let yaml = as_kubectl_list(&objects);
        let read = |rereadable: bool| {
            let mut got = Vec::new();
            let mut sink = |d: Doc| {
                got.extend(
                    d.items
                        .into_iter()
                        .map(|d| (describe(&d), d.hash, d.text_at)),
                );
                Ok(())
            };
            let mut c = Counted::new(yaml.as_bytes());
            c.rereadable = rereadable;
            read_yaml(&mut c, &mut sink).unwrap();
            got
        };
        let (placed, hashed) = (read(true), read(false));
        assert_eq!(placed.len(), hashed.len());
        assert!(placed.len() > 100, "{}", placed.len());
        let mut n = 0;
        for ((what, h, at), (what2, content, at2)) in placed.iter().zip(&hashed) {
            assert_eq!(what, what2);
            assert_eq!(*at2, None);
            // Every object of the kinds the audit reads is placed.
            let typed = ["Pod {", "Node {", "ControllerRevision {", "DaemonSet {"]
                .iter()
                .any(|k| what.starts_with(k));
            assert_eq!(at.is_some(), typed, "{what:.80}");
            let Some(at) = at else { continue };
            n += 1;
            assert!(at.yaml);
            let block = &yaml[at.offset as usize..at.offset as usize + at.len];
            assert!(block.starts_with("- ") && block.ends_with('\n'), "{block}");
            assert_eq!(*h, crate::fasthash::bytes_hash(block.as_bytes()));
            let tape = fastyaml::parse(block).unwrap();
            let again = hash::head(&mut fastyaml::Cursor::new(&tape, 1)).unwrap();
            assert_eq!(again.hash, *content, "{what}");
        }
        assert!(n * 10 >= placed.len() * 9, "{n} of {} placed", placed.len());
    }

    #[test]
    fn a_generated_cluster_as_kubectl_yaml_reads_the_same_both_ways() {
        let spec = ds_coverage_simulator::generator::ClusterSpec::small(7);
        let cluster = ds_coverage_simulator::generator::generate(&spec);
        let objects: Vec<Value> = cluster.items().cloned().collect();
        assert!(objects.len() > 100);
        let yaml = as_kubectl_list(&objects);
        let got = same(&yaml).unwrap();
        assert_eq!(
            got.len(),
            objects
                .iter()
                .filter(|o| {
                    matches!(
                        o["kind"].as_str(),
                        Some("Node" | "Pod" | "DaemonSet" | "ControllerRevision")
                    )
                })
                .count()
        );
        // Every item here is in the subset: serde-saphyr is not what read them.
        let mut c = Counted::new(yaml.as_bytes());
        let mut header = Vec::new();
        let mut none = |_: Doc| Ok(());
        assert!(matches!(
            fast_doc(&mut c, &mut none, &mut header, &mut Vec::new()),
            Ok(Fast::Done)
        ));
    }

    #[test]
    fn a_fallback_batches_after_the_first_reads_the_same_as_serde_saphyr() {
        // Items are decoded in batches of about 1 MiB on worker threads: an item outside the
        // subset deep in a long list hands that item and every batch read after it over.
        let spec = ds_coverage_simulator::generator::ClusterSpec::small(3);
        let cluster = ds_coverage_simulator::generator::generate(&spec);
        let one: Vec<Value> = cluster.items().cloned().collect();
        let mut objects = Vec::new();
        while as_kubectl_list(&objects).len() < 5 << 20 {
            objects.extend(one.iter().cloned());
        }
        let mut yaml = as_kubectl_list(&objects);
        let at = yaml[yaml.len() * 2 / 5..].find("\n- ").unwrap() + yaml.len() * 2 / 5 + 1;
        yaml.insert_str(at, "- kind: Node\n  metadata: {name: flow, uid: f1}\n");
        let fast = same(&yaml).unwrap();
        assert_eq!(fast.len(), objects.len() + 1);
        // Broken YAML deep in the list: serde-saphyr's error, at the input's line.
        let line = yaml[..at].matches('\n').count() + 2;
        let broken = yaml.replacen(
            "  metadata: {name: flow, uid: f1}",
            "  metadata: {name: flow",
            1,
        );
        let err = same(&broken).unwrap_err();
        assert!(
            err.contains(&format!("line {line},")) || err.contains(&format!("line {},", line + 1)),
            "{err} (item at line {line})"
        );
    }

    #[test]
    fn blocks_outside_the_subset_read_as_serde_saphyr_reads_them() {
        let pod = |name: &str, extra: &str| {
            format!(
                "- apiVersion: v1\n  kind: Pod\n  metadata:\n    name: {name}\n    namespace: ns\n    uid: u-{name}{extra}\n  spec:\n    nodeName: n1\n"
            )
        };
        let cases = [
            // An anchor in one item, its alias in the next.
            format!("apiVersion: v1\nitems:\n{}{}- apiVersion: v1\n  kind: Pod\n  metadata: *m\nkind: List\n", pod("a", ""), pod("b", "\n    labels: &m\n      app: x")),
            // A flow map, a multi-line plain scalar, a tag, comments, an indented sequence.
            format!("items:\n{}{}", pod("a", "\n    labels: {app: x, tier: web}"), pod("b", "")),
            format!("items:\n{}{}", pod("a", "\n    labels:\n      note: one\n        two"), pod("b", "")),
            format!("items:\n{}{}", pod("a", "\n    labels:\n      n: !!str 5"), pod("b", "")),
            format!("items:\n{}# between\n{}", pod("a", " # trailing"), pod("b", "")),
            format!("# first\napiVersion: v1\nitems:\n{}kind: List\n", pod("a", "")),
            format!("items:\n{}{}", pod("a", "\n    ownerReferences:\n      - kind: DaemonSet\n        name: d\n        uid: x"), pod("b", "")),
            // Kindless items, whose kind the list's kind gives after them.
            "items:\n- metadata:\n    name: n1\n- metadata:\n    name: n2\nkind: NodeList\n".to_string(),
            // A typed list's kind before its items.
            "kind: NodeList\nitems:\n- metadata:\n    name: n1\n".to_string(),
            // Documents, markers, a single object, a bare sequence, an empty document.
            format!("---\nkind: Pod\nmetadata:\n  name: s\n  uid: s1\n...\n---\n{}---\n\n", pod("a", "")),
            "- kind: Node\n  metadata:\n    name: n9\n".to_string(),
            "kind: Node\nmetadata:\n  name: q\n  labels:\n    \"quoted\": 'it''s'\n    b: \"tab\\there\"\n    c: |\n      block\n      text\n".to_string(),
            "items: []\nkind: List\n".to_string(),
            // Windows line ends, a duplicate key, a merge key.
            "kind: Node\r\nmetadata:\r\n  name: w\r\n".to_string(),
            format!("items:\n{}", pod("a", "\n    uid: again")),
            "items:\n- kind: Node\n  metadata:\n    <<: {name: m}\n".to_string(),
        ];
        for text in &cases {
            let got = same(text);
            if text.contains("uid: again") {
                // serde-saphyr's duplicate-key error, at the second key.
                assert!(got.is_err_and(|e| e.contains("line 8") && e.contains("duplicate")));
                continue;
            }
            assert!(
                got.as_ref().is_ok_and(|v| !v.is_empty()) || text.starts_with("items: []"),
                "{text}\n{got:?}"
            );
        }
    }

    #[test]
    fn broken_yaml_is_one_line_with_the_line_number_serde_saphyr_gives() {
        let good = "- apiVersion: v1\n  kind: Node\n  metadata:\n    name: node-1\n";
        for (text, line) in [
            (
                format!(
                    "apiVersion: v1\nitems:\n{good}{good}- kind: Node\n   metadata: x\n  bad\n"
                ),
                12,
            ),
            (
                format!("items:\n{good}{good}- kind: Node\n  metadata:\n    name: 'open\n"),
                12,
            ),
            (format!("items:\n{good}- kind: [Node\n"), 6),
        ] {
            let err = same(&text).unwrap_err();
            assert!(!err.contains('\n'), "{err}");
            assert!(err.contains(&format!("line {line}")), "{err}");
        }
    }

    /// A list's items (after its `[`) read one by one and on threads: the items handed over,
    /// in order, and the error.
    fn both_ways(text: &str) -> [(Vec<String>, Vec<String>, Option<Fail>); 2] {
        let run = |parallel: bool| {
            let mut c = Counted::new(text.as_bytes());
            let mut sunk = Vec::new();
            let mut held = Vec::new();
            let mut sink = |d: Doc| {
                sunk.extend(
                    d.items
                        .iter()
                        .map(|d| format!("{} {}", d.hash, describe(d))),
                );
                Ok(())
            };
            let res = if parallel {
                read_json_items_parallel(&mut c, None, 2, &mut held, &mut sink)
            } else {
                read_json_items(&mut c, None, &mut held, &mut sink)
            };
            let held = held.iter().map(describe).collect();
            (sunk, held, res.err())
        };
        [run(false), run(true)]
    }

    /// From an input that can be read again, items read in one pass (one by one and on
    /// threads) are placed: offset and length of their exact text, hashed by its bytes; from one
    /// that cannot, hashed by content as the general way hashes them.
    #[test]
    fn items_from_a_rereadable_input_are_placed_and_hashed_by_their_bytes() {
        let items: Vec<String> = (0..300)
            .map(|i| {
                format!(
                    r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p-{i}","uid":"u-{i}"}},"spec":{{"nodeName":"n","containers":[{{"name":"c","env":[{{"name":"X","value":"{}"}}]}}]}}}}"#,
                    "v".repeat(i * 7)
                )
            })
            .collect();
        let text = format!(
            "\u{feff}{{\"kind\":\"List\",\"items\":[\n{}\n]}}",
            items.join(",\n    ")
        );
        for rereadable in [true, false] {
            for parallel in [false, true] {
                let mut c = Counted::new(text.as_bytes());
                c.rereadable = rereadable;
                c.skip_bom().unwrap();
                let prefix = "{\"kind\":\"List\",\"items\":[";
                c.fill(prefix.len()).unwrap();
                assert!(c.available().starts_with(prefix.as_bytes()));
                c.consume(prefix.len());
                let mut got = Vec::new();
                let mut held = Vec::new();
                let mut sink = |d: Doc| {
                    got.extend(d.items.into_iter().map(|d| (d.hash, d.text_at)));
                    Ok(())
                };
                if parallel {
                    read_json_items_parallel(&mut c, None, 2, &mut held, &mut sink).unwrap();
                } else {
                    read_json_items(&mut c, None, &mut held, &mut sink).unwrap();
                }
                assert_eq!(got.len(), items.len());
                for ((h, at), item) in got.iter().zip(&items) {
                    match at {
                        Some(super::super::doc::TextAt { offset, len, yaml }) => {
                            assert!(rereadable && !yaml);
                            let at = *offset as usize;
                            assert_eq!(&text.as_bytes()[at..at + len], item.as_bytes());
                            assert_eq!(*h, crate::fasthash::bytes_hash(item.as_bytes()));
                        }
                        None => {
                            assert!(!rereadable);
                            let want = hash::head(&mut serde_json::Deserializer::from_str(item));
                            assert_eq!(*h, want.unwrap().hash);
                        }
                    }
                }
            }
        }
    }

    /// A reader handing out at most `step` bytes a read.
    struct Chunks<'a>(&'a [u8], usize);

    impl Read for Chunks<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// A block ends after the first newline followed by a byte that is neither a space nor a
    /// newline (or at the end), whatever the reads' sizes, with its newlines and the last one
    /// counted as a byte-by-byte scan counts them.
    #[test]
    fn blocks_end_where_a_byte_by_byte_scan_ends_them() {
        let reference = |t: &[u8]| {
            let mut newlines = Vec::new();
            for (k, &b) in t.iter().enumerate() {
                if b == b'\n' {
                    newlines.push(k);
                    if t.get(k + 1)
                        .is_some_and(|b| !matches!(b, b' ' | b'\n' | b'#'))
                    {
                        return (k + 1, newlines.len() as u64, Some(k));
                    }
                }
            }
            (t.len(), newlines.len() as u64, newlines.last().copied())
        };
        let mut rng = super::super::Rng(0x9e37_79b9_7f4a_7c15);
        let mut below = |n: usize| rng.below(n);
        let check = |text: &[u8], step: usize| {
            let want = reference(text);
            let mut c = Counted::new(Chunks(text, step));
            c.fill(1).unwrap();
            let n = block_len(&mut c).unwrap();
            let got = c.scanned.map(|s| (s.len, s.newlines, s.last_newline));
            assert_eq!(
                got,
                Some(want),
                "{:?} {step}",
                String::from_utf8_lossy(text)
            );
            assert_eq!(n, want.0);
        };
        // A newline at every place about the 64-byte blocks' edges, and what may follow it.
        for p in 0..140 {
            for tail in [
                "",
                "\n",
                " ",
                "y",
                "#",
                "\n\ny",
                " \ny",
                "#\ny",
                "\n \n  z\n",
            ] {
                let text = [&b"x".repeat(p), &b"\n"[..], tail.as_bytes()].concat();
                for step in [1, 63, 64, 65, 4096] {
                    check(&text, step);
                }
            }
        }
        for round in 0..3_000 {
            // Lines of every indentation and length, blank ones, runs of newlines, lines of
            // spaces; the block starts at the first byte whatever it is.
            let mut text = Vec::new();
            for _ in 0..below(40) {
                let indent = [0, 1, 2, 4, 10, 70][below(6)];
                text.extend(std::iter::repeat_n(b' ', indent));
                let len = [0, 1, 5, 40, 63, 64, 65, 200][below(8)];
                text.extend((0..len).map(|_| b"ab: -\n #"[below(8)]));
                text.push(b'\n');
            }
            if below(3) == 0 {
                text.pop();
            }
            check(&text, [1, 3, 64, 100, 4096][round % 5]);
            same_line_scans(&text);
        }
    }

    /// The whole-block scan finds the same with SSE2's masks as with AVX2's (where this
    /// processor has it: `block_len` takes the AVX2 path there, so the tests above check that
    /// one against the byte-by-byte reference).
    fn same_line_scans(text: &[u8]) {
        // Elsewhere the byte-by-byte masks are the only ones.
        #[cfg(not(target_arch = "x86_64"))]
        let _ = text;
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2")
            && std::arch::is_x86_feature_detected!("popcnt")
        {
            let fresh = || LineScan {
                i: 0,
                newlines: 0,
                last: None,
                carry: false,
            };
            let (mut a, mut b) = (fresh(), fresh());
            // SAFETY: without AVX2 nothing is asked of the processor.
            let end_a = unsafe { a.blocks_with(text, false) };
            // SAFETY: the processor has AVX2 and POPCNT (checked above).
            let end_b = unsafe { b.avx2_blocks(text) };
            assert_eq!(
                (end_a, a.i, a.newlines, a.last, a.carry),
                (end_b, b.i, b.newlines, b.last, b.carry)
            );
        }
    }

    /// A text is taken as ASCII exactly where every byte is below 0x80, whatever its length and
    /// wherever the one byte beyond ASCII stands; other text is checked as UTF-8.
    #[test]
    fn text_is_ascii_or_checked_as_utf8() {
        for len in [0, 1, 31, 32, 127, 128, 129, 300, 1000] {
            let text = vec![b'a'; len];
            assert!(is_ascii(&text));
            assert_eq!(as_text(&text), std::str::from_utf8(&text).ok());
            for at in 0..len {
                for high in [0x80u8, 0xc3, 0xff] {
                    let mut t = text.clone();
                    t[at] = high;
                    assert!(!is_ascii(&t), "{len} {at} {high:#x}");
                    assert_eq!(as_text(&t), None, "{len} {at} {high:#x}");
                }
            }
        }
        let text = "é-node ".repeat(40);
        assert_eq!(as_text(text.as_bytes()), Some(text.as_str()));
    }

    /// Every byte value, at every position of a block, is a newline, a space or neither alike
    /// in every way of building the line masks.
    #[test]
    fn line_masks_classify_every_byte_as_the_reference_does() {
        for v in 0..=255u8 {
            for at in [0, 15, 16, 31, 32, 47, 63] {
                let mut block = [b'x'; 64];
                block[at] = v;
                let want = portable_line_masks(&block);
                // SAFETY: without AVX2 nothing is asked of the processor.
                let sse2 = unsafe { line_masks(&block, false) };
                assert_eq!(sse2, want, "byte {v:#04x} at {at}");
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    // SAFETY: the processor has AVX2 (checked above).
                    let avx2 = unsafe { line_masks(&block, true) };
                    assert_eq!(avx2, want, "byte {v:#04x} at {at}");
                }
            }
        }
    }

    /// Consuming a measured block or value with its newlines counted by the measure leaves the
    /// reader at the line and column that counting them again gives.
    #[test]
    fn measured_newlines_give_the_positions_counting_gives() {
        let texts = [
            "- a: 1\n  b:\n  - c\n\n- d: 2\n  e: 3\nkind: List\n",
            "- a: 1\n- b: 2",
            "- a: 1\n  b: 2\n",
            "- x\n",
        ];
        for text in texts {
            let mut measured = Counted::new(text.as_bytes());
            let mut counted = Counted::new(text.as_bytes());
            loop {
                measured.fill(2).unwrap();
                counted.fill(2).unwrap();
                if !measured.available().starts_with(b"- ") {
                    break;
                }
                let n = block_len(&mut measured).unwrap();
                assert_eq!(block_len(&mut counted).unwrap(), n);
                counted.scanned = None;
                measured.consume(n);
                counted.consume(n);
                assert_eq!(measured.position(), counted.position(), "{text:?}");
            }
            assert!(measured.position().0 > 1, "{text:?}");
        }
        let json = "{\n  \"a\": [\n    1\n  ]\n}  ,\n[\"x\"]";
        let (mut measured, mut counted) =
            (Counted::new(json.as_bytes()), Counted::new(json.as_bytes()));
        for c in [&mut measured, &mut counted] {
            let n = c.value_len().unwrap().unwrap();
            assert_eq!(n, 22);
        }
        counted.scanned = None;
        measured.consume(22);
        counted.consume(22);
        assert_eq!(measured.position(), (5, 2));
        assert_eq!(measured.position(), counted.position());
    }

    /// A sink that fails (the loader refusing an object) stops the reading on threads as it
    /// stops the reading one by one: the same items handed over before, the same error, and no
    /// thread left waiting (the input is many batches long, more than are ever in flight).
    #[test]
    fn a_failing_sink_stops_the_threads_after_the_same_items() {
        let pad = "x".repeat(2000);
        let items: Vec<String> = (0..3000)
            .map(|i| {
                format!(
                    r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p-{i}","uid":"u-{i}"}},"spec":{{"nodeName":"n","containers":[{{"name":"c","env":[{{"name":"X","value":"{pad}"}}]}}]}}}}"#
                )
            })
            .collect();
        let text = format!("{}]", items.join(",\n"));
        for fail_at in [0, 5, 1500, 2999] {
            let run = |parallel: bool| {
                let mut c = Counted::new(text.as_bytes());
                let mut sunk = 0usize;
                // As the loader does: the items of a call in order, up to the first refused.
                let mut sink = |doc: Doc| {
                    for _ in doc.items {
                        if sunk == fail_at {
                            return Err(format!("refused item {sunk}"));
                        }
                        sunk += 1;
                    }
                    Ok(())
                };
                let mut held = Vec::new();
                let res = if parallel {
                    read_json_items_parallel(&mut c, None, 2, &mut held, &mut sink)
                } else {
                    read_json_items(&mut c, None, &mut held, &mut sink)
                };
                (sunk, res)
            };
            let (one, threads) = (run(false), run(true));
            assert_eq!(one, threads, "failing at {fail_at}");
            assert_eq!(one, (fail_at, Err(format!("refused item {fail_at}"))));
        }
    }

    /// A reader that counts the bytes read from it.
    struct Metered<'a>(&'a [u8], &'a std::sync::atomic::AtomicUsize);

    impl Read for Metered<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.fetch_add(n, std::sync::atomic::Ordering::SeqCst);
            Ok(n)
        }
    }

    /// A sink slower than the decoding holds the reading: however slow it is, the input read
    /// ahead of it is a few batches. (What holds it here is the bounded channel of decoded
    /// batches; the credits bound the batches decoded while an earlier one still is.)
    #[test]
    fn a_slow_sink_holds_the_reading() {
        let pad = "x".repeat(6000);
        let items: Vec<String> = (0..10_000)
            .map(|i| {
                format!(
                    r#"{{"kind":"Pod","metadata":{{"name":"p-{i}","uid":"u-{i}"}},"x":"{pad}"}}"#
                )
            })
            .collect();
        let text = format!("{}]", items.join(",\n"));
        let read = std::sync::atomic::AtomicUsize::new(0);
        let mut c = Counted::new(Metered(text.as_bytes(), &read));
        let mut ahead = Vec::new();
        let mut sink = |_: Doc| {
            if ahead.len() < 3 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                ahead.push(read.load(std::sync::atomic::Ordering::SeqCst));
            }
            Ok(())
        };
        read_json_items_parallel(&mut c, None, 2, &mut Vec::new(), &mut sink).unwrap();
        // Eight batches ahead (four a decoder), the reader's own megabyte, and a batch's slack.
        let bound = 8 * BATCH + 1024 * 1024 + 2 * BATCH;
        assert!(text.len() > 4 * bound);
        assert!(ahead.iter().all(|&n| n <= bound), "{ahead:?} > {bound}");
    }

    /// The same of a YAML list's items: the delivery, on its own thread, holds the cutting.
    #[test]
    fn a_slow_sink_holds_the_reading_of_yaml_items() {
        let pad = "x".repeat(6000);
        let items: Vec<String> = (0..10_000)
            .map(|i| {
                format!("- kind: Pod\n  metadata:\n    name: p-{i}\n    uid: u-{i}\n  x: {pad}\n")
            })
            .collect();
        let text = format!("{}kind: List\n", items.concat());
        let read = std::sync::atomic::AtomicUsize::new(0);
        let mut c = Counted::new(Metered(text.as_bytes(), &read));
        let mut ahead = Vec::new();
        let mut sink = |_: Doc| {
            if ahead.len() < 3 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                ahead.push(read.load(std::sync::atomic::Ordering::SeqCst));
            }
            Ok(())
        };
        assert_eq!(read_items(&mut c, &mut sink, None).unwrap(), None);
        // Two batches a decoder, the batch being cut, the reader's buffer (a megabyte, doubled
        // at most once for a long block) and a batch's slack.
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
        let bound = (2 * workers + 2) * YAML_BATCH + 2 * (1 << 20) + 2 * YAML_BATCH;
        assert!(text.len() > 4 * bound);
        assert!(ahead.iter().all(|&n| n <= bound), "{ahead:?} > {bound}");
    }

    /// A YAML decoder that panics (a bug) makes the reading panic, and does not leave it
    /// waiting for ever for the batch (it did: the other decoders still held the channel).
    #[test]
    fn a_panicking_yaml_decoder_is_a_panic_not_a_hang() {
        let mut items: Vec<String> = (0..2000)
            .map(|i| format!("- kind: Pod\n  metadata:\n    name: p-{i}\n    uid: u-{i}\n"))
            .collect();
        items[1500].push_str(PANIC_IN_DECODER);
        // The items of a list, at the reader's position.
        let text = format!("{}kind: List\n", items.concat());
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let outcome = std::panic::catch_unwind(|| {
                let mut c = Counted::new(text.as_bytes());
                let mut sink = |_: Doc| Ok(());
                let _ = read_items(&mut c, &mut sink, None);
            });
            let _ = tx.send(outcome.is_err());
        });
        let panicked = rx
            .recv_timeout(std::time::Duration::from_secs(120))
            .expect("the reading ended");
        assert!(panicked);
    }

    /// A sink that panics (a bug of the loader's) makes the reading on threads panic too,
    /// promptly, and is not reported as input that cannot be read.
    #[test]
    fn a_panicking_sink_is_a_panic_not_an_input_error() {
        let items: Vec<String> = (0..3000)
            .map(|i| format!(r#"{{"kind":"Pod","metadata":{{"name":"p-{i}","uid":"u-{i}"}}}}"#))
            .collect();
        let text = format!("{}]", items.join(",\n"));
        let outcome = std::panic::catch_unwind(|| {
            let mut c = Counted::new(text.as_bytes());
            let mut seen = 0;
            let mut sink = |doc: Doc| {
                seen += doc.items.len();
                assert!(seen < 10, "the loader's bug");
                Ok(())
            };
            read_json_items_parallel(&mut c, None, 2, &mut Vec::new(), &mut sink)
        });
        assert!(outcome.is_err());
    }

    #[test]
    fn items_decoded_on_threads_come_out_as_read_one_by_one() {
        let pad = "x".repeat(2000);
        let items: Vec<String> = (0..400)
            .map(|i| match i {
                7 => format!(r#"{{"metadata":{{"name":"kindless-{i}"}}}}"#),
                9 => format!(r#"{{"kind":"Node","metadata":{{"name":"n-{i}"}}}}"#),
                _ => format!(
                    r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"p-{i}","uid":"u-{i}"}},"spec":{{"nodeName":"n-{i}","containers":[{{"name":"c","env":[{{"name":"X","value":"{pad}"}}]}}]}}}}"#
                ),
            })
            .collect();
        let whole = format!("{}]", items.join(",\n"));
        let broken = |at: usize, with: &str| {
            let mut v = items.clone();
            v[at] = with.to_string();
            format!("{}]", v.join(",\n"))
        };
        let cases = [
            whole.clone(),
            // An object the audit cannot read, a syntax error, a missing comma, input cut short.
            broken(250, r#"{"kind":"Pod","metadata":{"name":7}}"#),
            broken(300, r#"{"kind":"Pod",,"metadata":{}}"#),
            format!(
                "{}\n{}]",
                items[..320].join(",\n"),
                items[320..].join(",\n")
            ),
            whole[..whole.len() * 7 / 8].to_string(),
            // An object the audit cannot read, then input cut short: the first error wins.
            {
                let b = broken(250, r#"{"kind":"Pod","metadata":{"name":7}}"#);
                b[..b.len() * 7 / 8].to_string()
            },
        ];
        for (n, text) in cases.iter().enumerate() {
            let [one, threads] = both_ways(text);
            assert_eq!(one.0, threads.0, "case {n}: items");
            assert_eq!(one.1, threads.1, "case {n}: kindless items");
            assert_eq!(one.2, threads.2, "case {n}: error");
            match n {
                0 => {
                    assert_eq!(one.0.len(), 399);
                    assert_eq!(one.1.len(), 1);
                    assert!(one.2.is_none());
                }
                // The items before the error were handed over.
                _ => {
                    assert!(one.2.is_some(), "case {n}");
                    assert!(one.0.len() >= 240, "case {n}: {}", one.0.len());
                    if n == 5 {
                        // The error of the unreadable object (case 1), not of the cut.
                        assert_eq!(one.2, both_ways(&cases[1])[0].2);
                        assert_eq!(one.0.len(), 249);
                    }
                }
            }
        }
    }
}
