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

/// Display width of plain text in terminal columns (wide characters count two).
pub fn width(s: &str) -> usize {
    unicode_width::UnicodeWidthStr::width(s)
}

/// Plain text cut to at most `w` columns, ending in "…" when cut.
pub fn truncate(s: &str, w: usize) -> String {
    if width(s) <= w {
        return s.to_string();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in s.chars() {
        let cw = unicode_width::UnicodeWidthChar::width(ch).unwrap_or(0);
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

/// Words of `text` in lines of at most `w` columns: the first line after `first` (already
/// written, its width counted), the others after `indent`. A word wider than a line stands alone.
pub fn wrap(text: &str, first: usize, indent: usize, w: usize) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut start = first;
    for word in text.split_whitespace() {
        if !line.is_empty() && start + width(&line) + 1 + width(word) > w {
            lines.push(std::mem::take(&mut line));
            start = indent;
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
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

    #[test]
    fn truncate_ends_in_an_ellipsis_within_the_width() {
        assert_eq!(truncate("abcdef", 6), "abcdef");
        assert_eq!(truncate("abc def", 5), "abc…");
        assert_eq!(truncate("abcdef", 4), "abc…");
        assert_eq!(width(&truncate("ｗｉｄｅ text", 5)), 5);
    }

    #[test]
    fn wrap_breaks_between_words_and_keeps_long_words_whole() {
        assert_eq!(wrap("aa bb cc", 0, 2, 5), ["aa bb", "cc"]);
        assert_eq!(wrap("averylongword x", 0, 0, 4), ["averylongword", "x"]);
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
