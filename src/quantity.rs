//! Kubernetes resource quantities (`resource.Quantity`), parsed exactly: `100m`, `1.5`, `2`,
//! `512Mi`, `1Gi`, `1e3`, `129M`, `123k`, `128974848`.
//!
//! A quantity is `<sign><digits>[.<digits>]<suffix>` where the suffix is a binary SI one (`Ki`,
//! `Mi`, `Gi`, `Ti`, `Pi`, `Ei`), a decimal SI one (`n`, `u`, `m`, ``, `k`, `M`, `G`, `T`, `P`,
//! `E`) or a decimal exponent (`e3`, `E-2`). The value is kept as an exact fraction until it is
//! scaled; like `Quantity.MilliValue()` / `Value()` the scaled value is rounded up.

/// Why a string is not a quantity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuantityError(pub String);

impl std::fmt::Display for QuantityError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The quantity in thousandths of its unit, rounded up (CPU: millicores).
pub fn milli(s: &str) -> Result<i128, QuantityError> {
    scaled(s, 3)
}

/// The quantity in whole units, rounded up (memory: bytes; pods: a count).
pub fn units(s: &str) -> Result<i128, QuantityError> {
    scaled(s, 0)
}

/// `value × 10^scale`, rounded towards positive infinity.
fn scaled(s: &str, scale: i32) -> Result<i128, QuantityError> {
    let bad = |why: &str| QuantityError(format!("invalid quantity {s:?}: {why}"));
    let text = s.trim();
    if text.is_empty() {
        return Err(bad("empty"));
    }
    let (negative, rest) = match text.as_bytes()[0] {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let number_len = rest
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(rest.len());
    let (number, suffix) = rest.split_at(number_len);
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    if whole.is_empty() && frac.is_empty() {
        return Err(bad("no digits"));
    }
    if frac.contains('.') {
        return Err(bad("more than one decimal point"));
    }
    let mut mantissa: i128 = 0;
    for b in whole.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or_else(|| bad("too many digits"))?;
    }
    let frac_digits = i32::try_from(frac.len()).map_err(|_| bad("too many digits"))?;
    // value = mantissa × 10^exp10 × 1024^binary
    let (exp10, binary): (i32, u32) = match suffix {
        "" => (0, 0),
        "n" => (-9, 0),
        "u" => (-6, 0),
        "m" => (-3, 0),
        "k" => (3, 0),
        "M" => (6, 0),
        "G" => (9, 0),
        "T" => (12, 0),
        "P" => (15, 0),
        "E" => (18, 0),
        "Ki" => (0, 1),
        "Mi" => (0, 2),
        "Gi" => (0, 3),
        "Ti" => (0, 4),
        "Pi" => (0, 5),
        "Ei" => (0, 6),
        other => {
            let exp = other
                .strip_prefix('e')
                .or_else(|| other.strip_prefix('E'))
                .ok_or_else(|| bad("unknown suffix"))?;
            let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("unknown suffix"));
            }
            (
                exp.parse::<i32>()
                    .map_err(|_| bad("exponent out of range"))?,
                0,
            )
        }
    };
    let mut value = mantissa
        .checked_mul(1024i128.pow(binary))
        .ok_or_else(|| bad("too large"))?;
    let exp = exp10 - frac_digits + scale;
    if negative {
        value = -value;
    }
    if exp >= 0 {
        let factor = 10i128
            .checked_pow(u32::try_from(exp).map_err(|_| bad("too large"))?)
            .ok_or_else(|| bad("too large"))?;
        value.checked_mul(factor).ok_or_else(|| bad("too large"))
    } else {
        // Past 10^38 the value rounds up to 1 (or 0 when negative or zero).
        let Some(divisor) = u32::try_from(-exp).ok().and_then(|e| 10i128.checked_pow(e)) else {
            return Ok(i128::from(value > 0));
        };
        let quotient = value.div_euclid(divisor);
        Ok(if value.rem_euclid(divisor) == 0 {
            quotient
        } else {
            quotient + 1
        })
    }
}

/// Millicores as kubectl prints CPU: `250m`, or whole cores (`2`) when exact.
pub fn format_milli(m: i128) -> String {
    if m % 1000 == 0 {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

/// Bytes in the largest binary unit that keeps the number readable (`512Mi`, `14.4Gi`, `20Ki`).
pub fn format_bytes(b: i128) -> String {
    const UNITS: [&str; 6] = ["Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];
    let mut unit = "";
    let mut scale: i128 = 1;
    for u in UNITS {
        if b.abs() >= scale * 1024 {
            scale *= 1024;
            unit = u;
        } else {
            break;
        }
    }
    if scale == 1 {
        return b.to_string();
    }
    if b % scale == 0 {
        return format!("{}{unit}", b / scale);
    }
    // One decimal, rounded down so free space is never overstated.
    let tenths = (b * 10).div_euclid(scale);
    format!("{}.{}{unit}", tenths.div_euclid(10), tenths.rem_euclid(10))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_in_millicores() {
        assert_eq!(milli("100m"), Ok(100));
        assert_eq!(milli("1.5"), Ok(1500));
        assert_eq!(milli("2"), Ok(2000));
        assert_eq!(milli("0.25"), Ok(250));
        assert_eq!(milli(".5"), Ok(500));
        assert_eq!(milli("3920m"), Ok(3920));
        assert_eq!(milli("1e3"), Ok(1_000_000));
        assert_eq!(milli("+1"), Ok(1000));
        // Below a millicore rounds up, as Quantity.MilliValue does.
        assert_eq!(milli("0.1m"), Ok(1));
        assert_eq!(milli("1n"), Ok(1));
        assert_eq!(milli("0"), Ok(0));
    }

    #[test]
    fn memory_in_bytes() {
        assert_eq!(units("512Mi"), Ok(512 * 1024 * 1024));
        assert_eq!(units("1Gi"), Ok(1 << 30));
        assert_eq!(units("129M"), Ok(129_000_000));
        assert_eq!(units("123k"), Ok(123_000));
        assert_eq!(units("128974848"), Ok(128_974_848));
        assert_eq!(units("1e3"), Ok(1000));
        assert_eq!(units("1E3"), Ok(1000));
        assert_eq!(units("1.5Gi"), Ok(1_610_612_736));
        assert_eq!(units("15056996Ki"), Ok(15_056_996 * 1024));
        assert_eq!(units("12e-1"), Ok(2), "1.2 bytes rounds up");
        assert_eq!(units("110"), Ok(110));
        assert_eq!(units("-1k"), Ok(-1000));
    }

    #[test]
    fn rejects_what_the_api_rejects() {
        for bad in [
            "", "m", "1.2.3", "1Kb", "1 Gi", "abc", "1e", "1e+", "Mi", "1ki", "0x10",
        ] {
            assert!(milli(bad).is_err(), "{bad:?} should not parse");
        }
        assert!(units(&"9".repeat(60)).is_err(), "overflow is an error");
    }

    #[test]
    fn prints_like_kubectl() {
        assert_eq!(format_milli(250), "250m");
        assert_eq!(format_milli(2000), "2");
        assert_eq!(format_bytes(512 * 1024 * 1024), "512Mi");
        assert_eq!(format_bytes(1000), "1000");
        assert_eq!(format_bytes(15_056_996 * 1024), "14.3Gi");
        assert_eq!(format_bytes(20 * 1024), "20Ki");
    }
}
