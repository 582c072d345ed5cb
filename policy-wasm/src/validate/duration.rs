//! Durations as the CRD's CEL `duration()` reads them (Go's `time.ParseDuration` syntax).

/// Nanoseconds of a duration like `5s`, `1m30s`, `1.5h`, `-2ms`; `None` when malformed.
pub fn parse_duration_nanos(text: &str) -> Option<i128> {
    let (negative, mut rest) = match text.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    if rest == "0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return None;
        }
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let scale: i64 = match &rest[..unit_len] {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return None,
        };
        rest = &rest[unit_len..];
        let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
        // Bounded digits keep the arithmetic in range for any input length.
        if whole.len() > 20 {
            return None;
        }
        // Only ASCII digits here, at most 20 of them: no overflow, no parser needed.
        let whole = whole
            .bytes()
            .fold(0i128, |n, digit| n * 10 + i128::from(digit - b'0'));
        // whole < 10^20 and scale < 2^42: the product fits an i128.
        let mut part = whole * i128::from(scale);
        // digit * scale < 2^45 and denom <= 10^18: 64-bit arithmetic, no 128-bit division.
        let mut denom: i64 = 1;
        for digit in frac.bytes().take(18) {
            denom *= 10;
            part = part.checked_add(i128::from(i64::from(digit - b'0') * scale / denom))?;
        }
        total = total.checked_add(part)?;
    }
    Some(if negative { -total } else { total })
}

#[cfg(test)]
mod tests {
    use super::parse_duration_nanos as p;

    #[test]
    fn go_syntax() {
        assert_eq!(p("5s"), Some(5_000_000_000));
        assert_eq!(p("1m30s"), Some(90_000_000_000));
        assert_eq!(p("1.5ms"), Some(1_500_000));
        assert_eq!(p("0"), Some(0));
        assert_eq!(p("-1s"), Some(-1_000_000_000));
        assert_eq!(p("5"), None);
        assert_eq!(p("s"), None);
        assert_eq!(p("1d"), None);
        assert_eq!(p(""), None);
    }
}
