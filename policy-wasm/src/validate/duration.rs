//! Durations as the CRD's CEL `duration()` reads them (Go's `time.ParseDuration` syntax).

/// Nanoseconds of a duration like `5s`, `1m30s`, `1.5h`, `-2ms`; `None` when malformed.
pub fn parse_duration_nanos(text: &str) -> Option<i128> {
    // Bytes rather than chars: digits, `.` and the signs are ASCII, so every split falls where
    // the `char` one would, without UTF-8 decoding or slicing checks compiled in.
    let (negative, mut rest) = match text.as_bytes() {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        rest => (false, rest),
    };
    if rest == b"0" {
        return Some(0);
    }
    if rest.is_empty() {
        return None;
    }
    let in_number = |c: &u8| c.is_ascii_digit() || *c == b'.';
    let mut total: i128 = 0;
    while !rest.is_empty() {
        let number_len = rest
            .iter()
            .position(|c| !in_number(c))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_len);
        if number.is_empty() || number == b"." || number.iter().filter(|c| **c == b'.').count() > 1
        {
            return None;
        }
        let unit_len = after.iter().position(in_number).unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        rest = after;
        let scale: i64 = match unit {
            b"ns" => 1,
            // `us`, `µs` (U+00B5) and `μs` (U+03BC) in UTF-8.
            b"us" | b"\xC2\xB5s" | b"\xCE\xBCs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => return None,
        };
        let (whole, frac) = match number.iter().position(|c| *c == b'.') {
            Some(dot) => (&number[..dot], &number[dot + 1..]),
            None => (number, &[][..]),
        };
        // Bounded digits keep the arithmetic in range for any input length.
        if whole.len() > 20 {
            return None;
        }
        // Only ASCII digits here, at most 20 of them: no overflow, no parser needed.
        let whole = whole
            .iter()
            .fold(0i128, |n, digit| n * 10 + i128::from(digit - b'0'));
        // whole < 10^20 and scale < 2^42: the product fits an i128.
        let mut part = whole * i128::from(scale);
        // digit * scale < 2^45 and denom <= 10^18: 64-bit arithmetic, no 128-bit division.
        let mut denom: i64 = 1;
        for digit in frac.iter().take(18) {
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
        assert_eq!(p("1µs"), Some(1_000));
        assert_eq!(p("1μs"), Some(1_000));
        assert_eq!(p("1.5h2.25us"), Some(5_400_000_002_250));
        assert_eq!(p(".5s"), Some(500_000_000));
        assert_eq!(p("+-5s"), None);
        assert_eq!(p("1..5s"), None);
        assert_eq!(p("1é"), None);
    }
}
