//! kubectl-style durations: parsing (`30s`, `2m`, `1h30m`, `0`) and short printing (`40s`, `3m`).

/// A compact age as kubectl prints it: `40s`, `3m`, `5h`, `2d`.
pub fn short(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=119 => format!("{s}s"),
        120..=7199 => format!("{}m", s / 60),
        7200..=172_799 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86400),
    }
}

/// Parse a Go-style duration (`0`, `500ms`, `30s`, `2m`, `1h30m`) into seconds (fractions kept).
pub fn parse(s: &str) -> Result<f64, String> {
    let bad = || format!("invalid duration {s:?} (use a number with a unit, e.g. 30s, 2m, 1h)");
    let t = s.trim();
    if t == "0" {
        return Ok(0.0);
    }
    if t.is_empty() {
        return Err(bad());
    }
    let mut total = 0.0;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let n: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let factor = match &rest[..unit_len] {
            "ns" => 1e-9,
            "us" | "µs" => 1e-6,
            "ms" => 1e-3,
            "s" => 1.0,
            "m" => 60.0,
            "h" => 3600.0,
            _ => return Err(bad()),
        };
        total += n * factor;
        rest = &rest[unit_len..];
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubectl_durations() {
        assert_eq!(parse("0").unwrap(), 0.0);
        assert_eq!(parse("30s").unwrap(), 30.0);
        assert_eq!(parse("2m").unwrap(), 120.0);
        assert_eq!(parse("1h30m").unwrap(), 5400.0);
        assert_eq!(parse("500ms").unwrap(), 0.5);
        for bad in ["", "30", "m", "2x", "-1s", "1.2.3s"] {
            assert!(parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn prints_short_ages() {
        assert_eq!(short(40), "40s");
        assert_eq!(short(180), "3m");
        assert_eq!(short(5 * 3600), "5h");
        assert_eq!(short(3 * 86400), "3d");
    }
}
