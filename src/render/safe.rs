//! Human-readable output made harmless on a terminal. Text from the cluster (a pod's status
//! message, a container's waiting message) or from a `-f` file (whose names and strings no API
//! server validated) can hold control characters: an escape sequence that retitles the window,
//! clears the screen or rewrites what was printed, a carriage return that hides the start of a
//! line, a NUL. kubectl escapes them in what it prints (`k8s.io/cli-runtime/pkg/printers:
//! EscapeTerminal`, after CVE-2021-25743); here every human-readable output is written through
//! [`TerminalSafe`], which writes each control character as `cat -v` does (`ESC` as `^[`, `CR` as
//! `^M`, `DEL` as `^?`; a C1 control as `\u{9b}`) and lets through newlines and only the escape
//! sequences the renderers write themselves: their own colours (SGR, `ESC [ … m`, [`OURS`]) when
//! the output is coloured, and the few cursor sequences a live display uses on a terminal
//! ([`Allowed`]).
//!
//! The filter sees bytes, not where they came from: where a sequence is allowed, the same bytes
//! in the input pass too. So the free text of the cluster (status and condition messages, the
//! API server's error messages) is escaped where it is read into a reason or an error
//! (`client::error::one_line`), and what the filter alone guards are names and label values,
//! which the API server validates (no control characters) and only a hand-made `-f` file can
//! carry: there an allowed sequence (one of our colours; on a terminal, the progress line's or
//! `--watch`'s redraw) still passes.
//!
//! JSON and YAML escape control characters themselves; JUnit drops them.

use std::io::Write;

/// Which escape sequences pass.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Allowed {
    /// `ESC [ n m` for the renderers' own `n` ([`OURS`]): the colours of a coloured output.
    pub colour: bool,
    /// `ESC [ H`, `ESC [ 2 J`, `ESC [ K` and `ESC [ J` (a screen redrawn over itself:
    /// `--watch`), `CR` followed by `ESC [ 2 K` (a progress line redrawn in place).
    pub redraw: bool,
}

/// The longest escape sequence looked at before it is judged not one of ours.
const LONGEST: usize = 24;

/// The colour sequences the renderers write (`style::Painter`, through owo-colors): reset,
/// bold, dim, red, green, yellow, magenta, cyan and the foreground's reset, each alone. Any other
/// (conceal, blink, reverse video, a background, several at once) comes from the input and is
/// escaped: text could otherwise be hidden, on screen and after the run.
const OURS: &[&[u8]] = &[
    b"0", b"1", b"2", b"22", b"31", b"32", b"33", b"35", b"36", b"39",
];

/// A writer that escapes control characters (see the module documentation).
pub struct TerminalSafe<W: Write> {
    inner: W,
    allowed: Allowed,
    /// An escape sequence (or a lone `CR`, or the first byte of a C1 control) not yet complete.
    pending: Vec<u8>,
}

impl<W: Write> TerminalSafe<W> {
    pub fn new(inner: W, allowed: Allowed) -> TerminalSafe<W> {
        TerminalSafe {
            inner,
            allowed,
            pending: Vec::new(),
        }
    }

    /// Whether `seq` (starting with `ESC` or `CR`) is, so far, a prefix of an allowed sequence;
    /// `Some(true)` once it is one whole.
    fn judge(&self, seq: &[u8]) -> Option<bool> {
        let redraw: &[&[u8]] = &[b"\x1b[H", b"\x1b[2J", b"\x1b[J", b"\x1b[K", b"\r\x1b[2K"];
        if self.allowed.redraw {
            for whole in redraw {
                if seq == *whole {
                    return Some(true);
                }
                if whole.starts_with(seq) {
                    return Some(false);
                }
            }
        }
        if self.allowed.colour && seq.len() <= LONGEST {
            match seq {
                [0x1b] | [0x1b, b'['] => return Some(false),
                [0x1b, b'[', params @ .., last] if params.iter().all(u8::is_ascii_digit) => {
                    if *last == b'm' {
                        return OURS.contains(&params).then_some(true);
                    }
                    if last.is_ascii_digit() && params.len() < 2 {
                        return Some(false);
                    }
                }
                _ => {}
            }
        }
        None
    }

    /// The pending bytes, judged not an allowed sequence: the first escaped, the rest read again.
    fn release(&mut self, out: &mut Vec<u8>) {
        let pending = std::mem::take(&mut self.pending);
        if let Some((&first, rest)) = pending.split_first() {
            escape_byte(first, out);
            self.feed(rest, out);
        }
    }

    /// `buf` into `out`, escaped; an incomplete sequence at its end is kept in `pending`.
    fn feed(&mut self, buf: &[u8], out: &mut Vec<u8>) {
        let mut i = 0;
        while i < buf.len() {
            if !self.pending.is_empty() {
                let b = buf[i];
                if self.pending == [0xc2] {
                    self.pending.clear();
                    if (0x80..=0x9f).contains(&b) {
                        out.extend_from_slice(format!("\\u{{{b:x}}}").as_bytes());
                    } else {
                        out.push(0xc2);
                        continue;
                    }
                    i += 1;
                    continue;
                }
                self.pending.push(b);
                match self.judge(&self.pending) {
                    Some(true) => {
                        out.append(&mut self.pending);
                    }
                    Some(false) => {}
                    None => {
                        // Not ours: the sequence's first byte escaped, the byte just taken read
                        // again with the rest.
                        self.pending.pop();
                        self.release(out);
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            // The clean run up to the next byte that needs a look.
            let run = buf[i..]
                .iter()
                .position(|&b| needs_look(b))
                .unwrap_or(buf.len() - i);
            out.extend_from_slice(&buf[i..i + run]);
            i += run;
            let Some(&b) = buf.get(i) else { break };
            i += 1;
            // The first byte of a C1 control, or what may start an allowed sequence, waits for
            // what follows.
            if b == 0xc2 || ((b == 0x1b || b == b'\r') && self.judge(&[b]).is_some()) {
                self.pending.push(b);
            } else {
                escape_byte(b, out);
            }
        }
    }
}

impl<W: Write> Write for TerminalSafe<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.pending.is_empty() && !buf.iter().any(|&b| needs_look(b)) {
            self.inner.write_all(buf)?;
            return Ok(buf.len());
        }
        let mut out = Vec::with_capacity(buf.len() + 16);
        self.feed(buf, &mut out);
        self.inner.write_all(&out)?;
        Ok(buf.len())
    }

    /// Anything pending is written as it is judged now: an incomplete sequence escaped.
    fn flush(&mut self) -> std::io::Result<()> {
        let mut out = Vec::new();
        // Each release escapes a byte and reads the rest again, so the pending bytes shrink.
        while !self.pending.is_empty() {
            if self.pending == [0xc2] {
                out.append(&mut self.pending);
            } else {
                self.release(&mut out);
            }
        }
        self.inner.write_all(&out)?;
        self.inner.flush()
    }
}

/// A byte that is, or may start, a control character: C0 but newline, DEL, and `0xC2` (the
/// first byte of a C1 control in UTF-8).
fn needs_look(b: u8) -> bool {
    (b < 0x20 && b != b'\n') || b == 0x7f || b == 0xc2
}

/// `b` as `cat -v` shows it: `^[` for ESC, `^M` for CR, `^?` for DEL; anything else as it is.
fn escape_byte(b: u8, out: &mut Vec<u8>) {
    match b {
        b'\n' => out.push(b),
        0..0x20 => out.extend_from_slice(&[b'^', b + 0x40]),
        0x7f => out.extend_from_slice(b"^?"),
        _ => out.push(b),
    }
}

/// `s` with its control characters escaped as [`TerminalSafe`] escapes them, nothing allowed
/// (newlines too become `^J`): for one line of text such as an error message.
pub fn one_line(s: &str) -> std::borrow::Cow<'_, str> {
    if !s.bytes().any(|b| b == b'\n' || needs_look(b)) {
        return std::borrow::Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\u{0}'..='\u{1f}' => {
                out.push('^');
                out.push(char::from(c as u8 + 0x40));
            }
            '\u{7f}' => out.push_str("^?"),
            '\u{80}'..='\u{9f}' => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            _ => out.push(c),
        }
    }
    std::borrow::Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::{Allowed, TerminalSafe, one_line};
    use std::io::Write;

    fn through(allowed: Allowed, pieces: &[&[u8]]) -> String {
        let mut out = Vec::new();
        {
            let mut safe = TerminalSafe::new(&mut out, allowed);
            for p in pieces {
                safe.write_all(p).unwrap();
            }
            safe.flush().unwrap();
        }
        String::from_utf8(out).unwrap()
    }

    const NONE: Allowed = Allowed {
        colour: false,
        redraw: false,
    };
    const COLOUR: Allowed = Allowed {
        colour: true,
        redraw: false,
    };
    const ALL: Allowed = Allowed {
        colour: true,
        redraw: true,
    };

    #[test]
    fn control_characters_are_written_as_cat_v_shows_them() {
        let hostile = "a\x1b]0;TITLE\x07b\rc\0d\x7fe\u{9b}2Jf\tg\nh";
        assert_eq!(
            through(NONE, &[hostile.as_bytes()]),
            "a^[]0;TITLE^Gb^Mc^@d^?e\\u{9b}2Jf^Ig\nh"
        );
        // Nothing of the hostile text passes where colour and redraws do either.
        assert_eq!(
            through(ALL, &[hostile.as_bytes()]),
            "a^[]0;TITLE^Gb^Mc^@d^?e\\u{9b}2Jf^Ig\nh"
        );
    }

    #[test]
    fn colour_passes_only_when_the_output_is_coloured() {
        let painted = "\x1b[1m\x1b[31mred\x1b[39m\x1b[0m plain";
        assert_eq!(through(COLOUR, &[painted.as_bytes()]), painted);
        assert_eq!(
            through(NONE, &[painted.as_bytes()]),
            "^[[1m^[[31mred^[[39m^[[0m plain"
        );
        // Not ours: conceal (it would hide the rest, the shell's prompt too), several at once,
        // a background.
        assert_eq!(
            through(COLOUR, &[b"a\x1b[8mb\x1b[1;31mc\x1b[41md"]),
            "a^[[8mb^[[1;31mc^[[41md"
        );
        // Another CSI sequence (clear the screen) is escaped even when colour passes.
        assert_eq!(through(COLOUR, &[b"\x1b[2Jx"]), "^[[2Jx");
        // An unfinished colour sequence at the end is escaped, not swallowed.
        assert_eq!(through(COLOUR, &[b"x\x1b[31"]), "x^[[31");
    }

    #[test]
    fn sequences_split_across_writes_are_judged_whole() {
        let pieces: &[&[u8]] = &[
            b"a\x1b", b"[3", b"2m", b"b\r", b"\x1b[2", b"K", b"c\xc2", b"\x9b",
        ];
        assert_eq!(through(ALL, pieces), "a\x1b[32mb\r\x1b[2Kc\\u{9b}");
        assert_eq!(through(COLOUR, pieces), "a\x1b[32mb^M^[[2Kc\\u{9b}");
        // A multi-byte character split after its first byte (0xC2 and not a C1) passes whole.
        assert_eq!(through(NONE, &[b"\xc2", b"\xa9 ok"]), "\u{a9} ok");
    }

    #[test]
    fn redraw_sequences_pass_only_for_a_live_display() {
        let frame = "\x1b[H\x1b[2Jframe\r\x1b[2Kline";
        assert_eq!(through(ALL, &[frame.as_bytes()]), frame);
        assert_eq!(
            through(COLOUR, &[frame.as_bytes()]),
            "^[[H^[[2Jframe^M^[[2Kline"
        );
    }

    #[test]
    fn one_line_escapes_newlines_too_and_borrows_clean_text() {
        assert!(matches!(one_line("clean"), std::borrow::Cow::Borrowed(_)));
        assert_eq!(one_line("a\nb\x1b[2J"), "a^Jb^[[2J");
    }
}
