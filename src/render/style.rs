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

/// The legend line of the matrix.
pub fn legend() -> String {
    let mut parts: Vec<String> = State::ALL
        .iter()
        .map(|s| match s {
            State::Ineligible => format!("{} not eligible", symbol(*s)),
            _ => format!("{} {s}", symbol(*s)),
        })
        .collect();
    parts.push(format!("{OUTDATED} outdated"));
    parts.push(format!("{DUPLICATE} duplicate pods"));
    parts.join("  ")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Good,
    Warn,
    Bad,
    Odd,
    Dim,
    Plain,
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

/// A percentage as the tables print it: one decimal, rounded down so 99.96 % never reads 100.0 %.
pub fn percent(p: f64) -> String {
    format!("{:.1}%", (p * 10.0).floor() / 10.0)
}

/// Display width of plain text (every symbol used here is one column wide).
pub fn width(s: &str) -> usize {
    s.chars().count()
}

/// Pad plain text to `w` columns, then paint it (so colour codes never upset alignment).
pub fn pad_paint(p: &Painter, text: &str, w: usize, tone: Tone) -> String {
    let pad = w.saturating_sub(width(text));
    format!("{}{}", p.paint(text, tone), " ".repeat(pad))
}
