//! Symbols and colours per state. Colour is decided once in `config` (terminal, `--color`,
//! `NO_COLOR`); every symbol also reads without colour.

use owo_colors::OwoColorize;

use crate::report::{Counts, State};

/// One symbol per state, distinct without colour.
pub fn symbol(state: State) -> &'static str {
    match state {
        State::Ready => "✓",
        State::NotReady => "!",
        State::Pending => "◐",
        State::Failed => "‼",
        State::Missing => "✗",
        State::Misscheduled => "⊘",
        State::Ineligible => "·",
    }
}

pub const OUTDATED: &str = "↻";
pub const DUPLICATE: &str = "+";

/// The legend of the matrix, one entry per symbol (wrapped between entries by [`wrap_entries`]).
pub fn legend() -> Vec<String> {
    let mut parts: Vec<String> = State::ALL
        .iter()
        .map(|s| match s {
            State::Ineligible => format!("{} not eligible", symbol(*s)),
            _ => format!("{} {s}", symbol(*s)),
        })
        .collect();
    parts.push(format!("{OUTDATED} outdated"));
    parts.push(format!("{DUPLICATE} duplicate pods"));
    parts
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Odd,
    Dim,
    Plain,
    /// A what-if (`--manifest`): what would happen, not a live finding.
    WhatIf,
}

pub fn tone(state: State) -> Tone {
    match state {
        State::Ready => Tone::Good,
        State::NotReady | State::Pending => Tone::Warn,
        State::Failed | State::Missing => Tone::Bad,
        State::Misscheduled => Tone::Odd,
        State::Ineligible => Tone::Dim,
    }
}

/// How a DaemonSet's row reads: green when full, red when a node has no working pod at all,
/// yellow otherwise.
pub fn counts_tone(c: &Counts) -> Tone {
    if c.eligible == 0 {
        // Nothing to cover: neither good nor bad (a typo'd toleration looks exactly like this).
        Tone::Plain
    } else if c.missing > 0 || c.failed > 0 {
        Tone::Bad
    } else if c.ready < c.eligible || c.misscheduled > 0 || c.outdated > 0 {
        Tone::Warn
    } else {
        Tone::Good
    }
}

#[derive(Debug, Clone, Copy)]
pub struct Painter {
    pub color: bool,
}

impl Painter {
    pub fn paint(&self, text: &str, tone: Tone) -> String {
        if !self.color {
            return text.to_string();
        }
        match tone {
            Tone::Good => text.green().to_string(),
            Tone::Warn => text.yellow().to_string(),
            Tone::Bad => text.red().to_string(),
            Tone::Odd => text.magenta().to_string(),
            Tone::Dim => text.dimmed().to_string(),
            Tone::Plain => text.to_string(),
            Tone::WhatIf => text.cyan().to_string(),
        }
    }

    pub fn bold(&self, text: &str) -> String {
        if self.color {
            text.bold().to_string()
        } else {
            text.to_string()
        }
    }
}

/// The gate's verdict text with its first word (PASS or FAIL) painted green or red.
pub fn verdict(text: &str, passed: bool, color: bool) -> String {
    let word = if passed { "PASS" } else { "FAIL" };
    match text.strip_prefix(word) {
        Some(rest) if color => {
            let tone = if passed { Tone::Good } else { Tone::Bad };
            let p = Painter { color };
            format!("{}{rest}", p.bold(&p.paint(word, tone)))
        }
        _ => text.to_string(),
    }
}

/// A percentage as the tables print it: one decimal, rounded half-up (2 of 3 reads 66.7 %),
/// except that anything short of 100 never reads 100.0 %.
pub fn percent(p: f64) -> String {
    // Round the two-decimal figure in integer hundredths, so 66.65 reads 66.7 (not 66.6).
    let hundredths = (p * 100.0).round() as i64;
    let mut tenths = (hundredths + 5).div_euclid(10);
    if tenths >= 1000 && hundredths < 10000 {
        tenths = 999;
    }
    format!("{}.{}%", tenths / 10, tenths % 10)
}

/// A coverage figure as every human format shows it (the one place that decides how a figure,
/// or its absence, reads).
pub fn coverage(c: &Counts) -> String {
    // No eligible node: no figure, not 100 %.
    c.coverage_percent.map_or_else(|| "–".to_string(), percent)
}

/// Display width of plain text in terminal columns (wide characters count two), a control
/// character as wide as the output writes it (`super::safe`: `^[` for ESC, `\u{9b}` for a C1
/// control), so that a row holding a name from a hand-made `-f` file stays aligned.
pub fn width(s: &str) -> usize {
    if !s.bytes().any(|b| b < 0x20 || b == 0x7f || b == 0xc2) {
        return unicode_width::UnicodeWidthStr::width(s);
    }
    s.chars().map(char_width).sum()
}

/// The columns one character takes as the output writes it (see [`width`]).
fn char_width(ch: char) -> usize {
    match ch {
        '\n' => 0,
        '\u{0}'..='\u{1f}' | '\u{7f}' => 2,
        // `\u{80}` to `\u{9f}`.
        '\u{80}'..='\u{9f}' => 6,
        _ => unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0),
    }
}

/// Plain text cut to at most `w` columns, ending in "…" when cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = char_width(ch);
        if used + cw + 1 > w {
            break;
        }
        used += cw;
        out.push(ch);
    }
    let trimmed = out.trim_end().len();
    out.truncate(trimmed);
    out.push('…');
    out
}

/// Sentences joined by "; ", each but the last without its closing full stop (a pod's message
/// often ends in one: "…consumption of memory; container c…", not "memory.; container").
pub fn join_sentences<'a>(parts: impl IntoIterator<Item = &'a str>) -> String {
    let parts: Vec<&str> = parts.into_iter().collect();
    let mut out = String::new();
    for (i, p) in parts.iter().enumerate() {
        if i + 1 < parts.len() {
            out.push_str(p.strip_suffix('.').unwrap_or(p));
            out.push_str("; ");
        } else {
            out.push_str(p);
        }
    }
    out
}

/// `s` cut to `w` columns by an ellipsis in its middle, its start and end kept: for names that
/// differ at the end (`gke-prod-default-pool-8f6e5d4c-k2m1`), where [`truncate`] would leave
/// them all alike.
pub fn truncate_middle(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    if w < 3 {
        return truncate(s, w);
    }
    let keep = w - 1;
    let head_w = keep / 2;
    let mut head = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = char_width(ch);
        if used + cw > head_w {
            break;
        }
        used += cw;
        head.push(ch);
    }
    let mut tail: Vec<char> = Vec::new();
    let mut tail_used = 0;
    for ch in s.chars().rev() {
        let cw = char_width(ch);
        if used + tail_used + cw > keep {
            break;
        }
        tail_used += cw;
        tail.push(ch);
    }
    head.push('…');
    head.extend(tail.into_iter().rev());
    head
}

/// The columns a progress line redrawn in place (`\r\x1b[2K`, which clears one row) may take
/// on a terminal `stderr_width` columns wide (standard error's, else `COLUMNS`; when neither
/// tells, [`crate::config::DEFAULT_WIDTH`]): one short of it, so that no line reaches the last
/// column, past which a terminal without deferred wrapping is already on the next row.
pub fn redraw_width(stderr_width: Option<usize>) -> usize {
    stderr_width
        .unwrap_or(crate::config::DEFAULT_WIDTH)
        .saturating_sub(1)
        .max(1)
}

/// `head`, `middle` and `tail` on one line of at most `w` columns (a progress line redrawn in
/// place: a wrapped one would leave a row behind at each redraw): `middle` cut with "…" so that
/// `head` and `tail` stay in sight, or, when that would leave it fewer than 12 columns (too few
/// to say anything), the whole line cut.
pub fn fit_middle(head: &str, middle: &str, tail: &str, w: usize) -> String {
    let whole = format!("{head}{middle}{tail}");
    if width(&whole) <= w {
        return whole;
    }
    const LEAST: usize = 12;
    let room = w.saturating_sub(width(head) + width(tail));
    if room >= LEAST {
        format!("{head}{}{tail}", truncate(middle, room))
    } else {
        truncate(&whole, w)
    }
}

/// Words of `text` in lines of at most `w` columns: the first line after `first` (already
/// written, its width counted), the others after `indent`. A word wider than a whole line (after
/// `indent`) is cut into pieces that fill lines, so no line is ever wider than `w`. A command
/// in backquotes (`` `kubectl describe node n1` ``) is kept on one line as a word is, to be
/// pasted whole, when a line has room for it.
pub fn wrap(text: &str, first: usize, indent: usize, w: usize) -> Vec<String> {
    // The spaces inside backquotes become this joiner while words are placed (a character no
    // text here holds; with one there, spans are not joined).
    const JOIN: char = '\u{E000}';
    if !text.contains('`') || text.contains(JOIN) {
        return wrap_words(text, first, indent, w);
    }
    // Backquoted spans are the odd pieces between backquotes; one wider than a line stays
    // words, broken between them.
    let room = w.saturating_sub(indent);
    let joined = text
        .split('`')
        .enumerate()
        .map(|(i, piece)| {
            if i % 2 == 1 && width(piece) + 2 <= room {
                piece.replace(' ', &JOIN.to_string())
            } else {
                piece.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("`");
    wrap_words(&joined, first, indent, w)
        .into_iter()
        .map(|l| l.replace(JOIN, " "))
        .collect()
}

/// [`wrap`], every run of non-space characters a word.
fn wrap_words(text: &str, first: usize, indent: usize, w: usize) -> Vec<String> {
    let room = w.saturating_sub(indent).max(1);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut start = first;
    for whole in text.split_whitespace() {
        let mut rest = whole;
        while !rest.is_empty() {
            let used = if line.is_empty() {
                start
            } else {
                start + width(&line) + 1
            };
            if used + width(rest) <= w {
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(rest);
                break;
            }
            if !line.is_empty() || (start > indent && width(rest) <= room) {
                // On a line of its own: a continuation line, where a word that fits it moves
                // whole.
                lines.push(std::mem::take(&mut line));
                start = indent;
                continue;
            }
            // Wider than what is left of an empty line: cut to it, the rest on the next.
            let (head, tail) = split_at_width(rest, w.saturating_sub(used).max(1));
            lines.push(head.to_string());
            start = indent;
            rest = tail;
        }
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

/// `s` cut after at most `room` columns (at least one character): the head and the rest.
fn split_at_width(s: &str, room: usize) -> (&str, &str) {
    let mut used = 0;
    for (i, ch) in s.char_indices() {
        used += char_width(ch);
        if used > room && i > 0 {
            return s.split_at(i);
        }
    }
    (s, "")
}

/// `word` cut into pieces of at most `room` columns (itself when it fits).
fn pieces(word: &str, room: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = word;
    while !rest.is_empty() {
        let (head, tail) = split_at_width(rest, room);
        out.push(head.to_string());
        rest = tail;
    }
    out
}

/// Every line of `text` fitted to `w` columns, broken between words as the table's notes are,
/// the spacing within each piece kept (so aligned columns stay aligned): continuation lines are
/// indented two columns past the line's own indent (past `PASS  `/`FAIL  ` on the gate's verdict
/// line). A word wider than a line stands alone.
pub fn fit_lines(text: &str, w: usize) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let lead = line.len() - line.trim_start().len();
        let indent = if line.starts_with("PASS  ") || line.starts_with("FAIL  ") {
            6
        } else {
            lead + 2
        };
        let mut current = line[..lead].to_string();
        let mut rest = &line[lead..];
        let mut fresh = true;
        while !rest.is_empty() {
            // The next word, with the spaces before it.
            let spaces = rest.len() - rest.trim_start().len();
            let word_end = rest[spaces..]
                .find(char::is_whitespace)
                .map_or(rest.len(), |i| spaces + i);
            let (gap, word) = (&rest[..spaces], &rest[spaces..word_end]);
            rest = &rest[word_end..];
            if word.is_empty() {
                break;
            }
            for (i, piece) in pieces(word, w.saturating_sub(indent).max(1))
                .iter()
                .enumerate()
            {
                let gap = if i == 0 { gap } else { "" };
                if !fresh && width(&current) + width(gap) + width(piece) > w {
                    out.push_str(current.trim_end());
                    out.push('\n');
                    current = " ".repeat(indent);
                    current.push_str(piece);
                } else {
                    current.push_str(gap);
                    current.push_str(piece);
                }
                fresh = false;
            }
        }
        out.push_str(current.trim_end());
        out.push('\n');
    }
    out
}

/// Entries (each kept whole) joined by two spaces in lines of at most `w` columns.
pub fn wrap_entries(entries: &[String], w: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    for entry in entries {
        if !line.is_empty() && width(&line) + 2 + width(entry) > w {
            lines.push(std::mem::take(&mut line));
        }
        if !line.is_empty() {
            line.push_str("  ");
        }
        line.push_str(entry);
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}

/// Pad plain text to `w` columns, then paint it (so colour codes never upset alignment).
pub fn pad_paint(p: &Painter, text: &str, w: usize, tone: Tone) -> String {
    let pad = w.saturating_sub(width(text));
    format!("{}{}", p.paint(text, tone), " ".repeat(pad))
}

/// Pad plain text on the left to `w` columns, then paint it.
pub fn rpad_paint(p: &Painter, text: &str, w: usize, tone: Tone) -> String {
    let pad = w.saturating_sub(width(text));
    format!("{}{}", " ".repeat(pad), p.paint(text, tone))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A control character counts as wide as the output writes it: what the terminal filter
    /// writes of a text is exactly `width` columns, so padding computed from it aligns.
    #[test]
    fn control_characters_count_as_wide_as_they_are_written() {
        for text in [
            "n3\u{1b}]0;NODE\u{7}",
            "a\u{0}b\u{7f}c",
            "x\u{9b}2J",
            "plain",
            "ünï",
        ] {
            let written = crate::render::safe::one_line(text);
            assert_eq!(width(text), width(&written), "{text:?} written {written:?}");
        }
        assert_eq!(width("n3\u{1b}]0;NODE\u{7}"), 13);
    }

    #[test]
    fn sentences_join_without_a_stop_before_the_semicolon() {
        assert_eq!(
            join_sentences(["low on memory.", "container c restarted."]),
            "low on memory; container c restarted."
        );
        assert_eq!(join_sentences(["one."]), "one.");
        assert_eq!(join_sentences([] as [&str; 0]), "");
    }

    #[test]
    fn truncate_middle_keeps_both_ends_within_the_width() {
        let name = "gke-production-cluster-01-default-pool-8f6e5d4c-k2m1";
        assert_eq!(truncate_middle(name, 100), name);
        for w in [3, 10, 24, 51] {
            let cut = truncate_middle(name, w);
            assert_eq!(width(&cut), w, "{cut}");
            assert!(cut.starts_with(&name[..(w - 1) / 2]), "{cut}");
            assert!(
                cut.ends_with(&name[name.len() - (w - 1 - (w - 1) / 2)..]),
                "{cut}"
            );
        }
        assert_eq!(truncate_middle(name, 24), "gke-product…f6e5d4c-k2m1");
        assert_eq!(width(&truncate_middle("ｗｉｄｅｗｉｄｅ", 6)), 5);
    }

    #[test]
    fn truncate_ends_in_an_ellipsis_within_the_width() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abc def", 5), "abc…");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(width(&truncate("ｗｉｄｅ text", 5)), 5);
    }

    #[test]
    fn fit_lines_breaks_long_lines_and_keeps_aligned_columns() {
        let text = "FAIL  1 of 2 DaemonSets below policy, 1 violation (fail-on: Missing,Pending)\n  \
                    logging/fluent-bit  worker-3  Misscheduled  untolerated taint a=b:NoSchedule; the controller keeps the pod\n\
                    short\n";
        let got = fit_lines(text, 40);
        for line in got.lines() {
            assert!(width(line) <= 40, "{line:?} in\n{got}");
        }
        let lines: Vec<&str> = got.lines().collect();
        assert_eq!(lines[0], "FAIL  1 of 2 DaemonSets below policy, 1");
        assert_eq!(lines[1], "      violation (fail-on:");
        assert_eq!(lines[2], "      Missing,Pending)");
        assert_eq!(lines[3], "  logging/fluent-bit  worker-3");
        assert_eq!(lines[4], "    Misscheduled  untolerated taint");
        assert_eq!(*lines.last().unwrap(), "short");
        let words = |s: &str| s.split_whitespace().map(str::to_string).collect::<Vec<_>>();
        assert_eq!(words(&got), words(text), "no word lost or cut");
        // Lines that fit are left exactly as they are.
        assert_eq!(fit_lines(text, 200), text);
    }

    #[test]
    fn wrap_breaks_between_words_and_cuts_only_words_wider_than_a_line() {
        assert_eq!(wrap("aa bb cc", 0, 2, 5), ["aa bb", "cc"]);
        assert_eq!(
            wrap("averylongword x", 0, 0, 4),
            ["aver", "ylon", "gwor", "d x"]
        );
        // A word that fits a continuation line moves there whole.
        assert_eq!(
            wrap("container fluent-bit-long:", 10, 2, 20),
            ["container", "fluent-bit-long:"]
        );
        // Under a column (indent 10 of 20), a longer word is cut to the column's room.
        assert_eq!(
            wrap("x fluent-bit-long-name", 10, 10, 20),
            ["x", "fluent-bit", "-long-name"]
        );
        // A command in backquotes stays on one line when one has room for it; else it is cut
        // as a word is.
        assert_eq!(
            wrap("see `kubectl describe node n1` now", 0, 2, 28),
            ["see", "`kubectl describe node n1`", "now"]
        );
        assert_eq!(
            wrap("see `kubectl describe node n1`", 0, 0, 12),
            ["see `kubectl", "describe", "node n1`"]
        );
        // A word wider than a line starts where the first line does and is cut to its room
        // (`    name: NAMESPACE/NAME` under a wide row), the rest at the indent.
        assert_eq!(
            wrap("abcdefghijklmnop", 10, 6, 16),
            ["abcdef", "ghijklmnop"]
        );
        for (first, indent, w) in [(10, 6, 16), (10, 6, 40), (3, 2, 7), (0, 0, 5), (12, 4, 9)] {
            let text = "ns-with-a-long-name/a-daemonset-with-a-longer-name x";
            let lines = wrap(text, first, indent, w);
            assert_eq!(lines.concat().replace(' ', ""), text.replace(' ', ""));
            for (i, l) in lines.iter().enumerate() {
                let at = if i == 0 { first } else { indent };
                assert!(
                    at + width(l) <= w.max(at + 1),
                    "{first} {indent} {w}: {lines:?}"
                );
            }
        }
        assert_eq!(
            wrap_entries(&["a b".into(), "c d".into()], 7),
            ["a b", "c d"]
        );
        assert_eq!(wrap_entries(&["a b".into(), "c d".into()], 8), ["a b  c d"]);
    }

    #[test]
    fn display_width_counts_wide_characters_twice() {
        assert_eq!(width("✓"), 1);
        assert_eq!(width("⚠"), 1);
        assert_eq!(width("日本"), 4);
    }
}
