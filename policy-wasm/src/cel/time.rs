//! Timestamps and durations without a clock or a time-zone database: RFC 3339 and Go-style
//! duration text, civil-date arithmetic, fixed UTC offsets.

use crate::calendar::{civil_from_days, days_from_civil, is_leap};
use crate::num::{div_rem, div_rem_euclid};
use alloc::format;
use alloc::string::String;

/// Nanoseconds per second.
pub(crate) const NANOS: i128 = 1_000_000_000;
/// [`NANOS`] as a divisor of [`crate::num`]'s 128-bit division.
pub(crate) const NANOS_DIVISOR: u32 = 1_000_000_000;
/// 0001-01-01T00:00:00Z in seconds since the epoch.
const MIN_TS_SECS: i128 = -62_135_596_800;
/// 9999-12-31T23:59:59Z in seconds since the epoch.
const MAX_TS_SECS: i128 = 253_402_300_799;
/// The protobuf Duration range: ±10,000 years in seconds.
const MAX_DURATION_SECS: i128 = 315_576_000_000;

/// Whether a timestamp (ns since the epoch) lies in CEL's range, years 1 to 9999.
pub(crate) fn timestamp_in_range(ns: i128) -> bool {
    (MIN_TS_SECS * NANOS..=MAX_TS_SECS * NANOS + (NANOS - 1)).contains(&ns)
}

/// Whether a duration (ns) lies in the protobuf Duration range.
pub(crate) fn duration_in_range(ns: i128) -> bool {
    let max = MAX_DURATION_SECS * NANOS + (NANOS - 1);
    (-max..=max).contains(&ns)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if is_leap(y) => 29,
        _ => 28,
    }
}

/// Why a timestamp or duration could not be made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimeError {
    /// The text is not RFC 3339 / a duration.
    Syntax,
    /// The value is outside the representable range.
    Range,
}

fn digits(s: &[u8], at: usize, n: usize) -> Option<u32> {
    let part = s.get(at..at.checked_add(n)?)?;
    let mut v = 0u32;
    for &c in part {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v * 10 + u32::from(c - b'0');
    }
    Some(v)
}

/// Parses an RFC 3339 timestamp (`2009-02-13T23:31:30.5Z`, `...+01:00`) to ns since the epoch.
pub(crate) fn parse_timestamp(text: &str) -> Result<i128, TimeError> {
    let s = text.as_bytes();
    // A five-digit year is a valid-looking but out-of-range timestamp.
    let year_len = s.iter().take_while(|c| c.is_ascii_digit()).count();
    if year_len > 4 && s.get(year_len) == Some(&b'-') {
        return Err(TimeError::Range);
    }
    let year = digits(s, 0, 4).ok_or(TimeError::Syntax)?;
    let sep = |at: usize, c: &[u8]| s.get(at).is_some_and(|x| c.contains(x));
    if !(sep(4, b"-") && sep(7, b"-") && sep(10, b"Tt") && sep(13, b":") && sep(16, b":")) {
        return Err(TimeError::Syntax);
    }
    let month = digits(s, 5, 2).ok_or(TimeError::Syntax)?;
    let day = digits(s, 8, 2).ok_or(TimeError::Syntax)?;
    let hour = digits(s, 11, 2).ok_or(TimeError::Syntax)?;
    let min = digits(s, 14, 2).ok_or(TimeError::Syntax)?;
    let sec = digits(s, 17, 2).ok_or(TimeError::Syntax)?;
    let y = i64::from(year);
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(y, month)
        || hour > 23
        || min > 59
        || sec > 59
    {
        return Err(TimeError::Syntax);
    }
    let mut at = 19;
    let mut nanos: i128 = 0;
    if s.get(at) == Some(&b'.') {
        at += 1;
        let start = at;
        while s.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        let n = at - start;
        if n == 0 || n > 9 {
            return Err(TimeError::Syntax);
        }
        let frac = digits(s, start, n).ok_or(TimeError::Syntax)?;
        // Below 10^9: 64 bits hold it.
        nanos = i128::from(i64::from(frac) * 10i64.pow(9 - n as u32));
    }
    let offset_secs: i128 = match s.get(at) {
        Some(b'Z' | b'z') if at + 1 == s.len() => 0,
        Some(&c @ (b'+' | b'-')) if at + 6 == s.len() && s.get(at + 3) == Some(&b':') => {
            let oh = digits(s, at + 1, 2).ok_or(TimeError::Syntax)?;
            let om = digits(s, at + 4, 2).ok_or(TimeError::Syntax)?;
            if oh > 23 || om > 59 {
                return Err(TimeError::Syntax);
            }
            let off = i128::from(oh * 3600 + om * 60);
            if c == b'+' { off } else { -off }
        }
        _ => return Err(TimeError::Syntax),
    };
    let days = i128::from(days_from_civil(y, month, day));
    let secs = days * 86_400 + i128::from(hour * 3600 + min * 60 + sec) - offset_secs;
    let ns = secs * NANOS + nanos;
    if timestamp_in_range(ns) {
        Ok(ns)
    } else {
        Err(TimeError::Range)
    }
}

/// Formats a timestamp as RFC 3339 in UTC with the fraction trimmed of trailing zeros
/// (Go's `RFC3339Nano`, which cel-go's `string(timestamp)` uses).
pub(crate) fn format_timestamp(ns: i128) -> Option<String> {
    if !timestamp_in_range(ns) {
        return None;
    }
    let (secs, frac) = div_rem_euclid(ns, NANOS_DIVISOR);
    let (days, sod) = div_rem_euclid(secs, 86_400);
    let (y, m, d) = civil_from_days(days as i64);
    let mut out = format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
        sod / 3600,
        sod / 60 % 60,
        sod % 60
    );
    if frac != 0 {
        // `frac` < 10^9 fits a u32, whose formatter is linked anyway (unlike the 128-bit one).
        let f = format!("{frac:09}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
    out.push('Z');
    Some(out)
}

/// Parses a Go-style duration (`1h30m`, `-1.5s`, `100ms`, `0`) to nanoseconds.
pub(crate) fn parse_duration(text: &str) -> Result<i128, TimeError> {
    let s = text.as_bytes();
    let mut at = 0;
    let neg = match s.first() {
        Some(b'-') => {
            at = 1;
            true
        }
        Some(b'+') => {
            at = 1;
            false
        }
        _ => false,
    };
    if &s[at.min(s.len())..] == b"0" {
        return Ok(0);
    }
    if at >= s.len() {
        return Err(TimeError::Syntax);
    }
    let mut total: i128 = 0;
    let limit = (MAX_DURATION_SECS + 1) * NANOS;
    while at < s.len() {
        let start = at;
        let mut whole: i128 = 0;
        while let Some(c) = s.get(at).filter(|c| c.is_ascii_digit()) {
            // `whole <= limit` (about 2^68) before each step: the arithmetic cannot overflow.
            whole = Some(whole * 10 + i128::from(c - b'0'))
                .filter(|w| *w <= limit)
                .ok_or(TimeError::Range)?;
            at += 1;
        }
        let mut frac: i128 = 0;
        let mut frac_digits = 0u32;
        let had_whole = at > start;
        let mut had_frac = false;
        if s.get(at) == Some(&b'.') {
            at += 1;
            while let Some(c) = s.get(at).filter(|c| c.is_ascii_digit()) {
                had_frac = true;
                // Digits beyond nanosecond precision cannot change the result.
                if frac_digits < 18 {
                    frac = frac * 10 + i128::from(c - b'0');
                    frac_digits += 1;
                }
                at += 1;
            }
        }
        if !had_whole && !had_frac {
            return Err(TimeError::Syntax);
        }
        let unit_start = at;
        while s.get(at).is_some_and(|c| !c.is_ascii_digit() && *c != b'.') {
            at += 1;
        }
        let unit: i128 = match text.get(unit_start..at) {
            Some("ns") => 1,
            Some("us" | "µs" | "μs") => 1_000,
            Some("ms") => 1_000_000,
            Some("s") => NANOS,
            Some("m") => 60 * NANOS,
            Some("h") => 3600 * NANOS,
            _ => return Err(TimeError::Syntax),
        };
        // whole <= limit < 2^69 and unit < 2^42: the product fits an i128 (128-bit overflow
        // checks link a routine of their own).
        let part = (whole * unit)
            .checked_add(fraction_of(frac * unit, frac_digits))
            .ok_or(TimeError::Range)?;
        total = total.checked_add(part).ok_or(TimeError::Range)?;
        if total > limit {
            return Err(TimeError::Range);
        }
    }
    let total = if neg { -total } else { total };
    if duration_in_range(total) {
        Ok(total)
    } else {
        Err(TimeError::Range)
    }
}

/// `scaled / 10^digits` for a non-negative `scaled`, in steps whose divisors fit 32 bits
/// (`(x / a) / b == x / (a * b)` for non-negative integers).
fn fraction_of(scaled: i128, mut digits: u32) -> i128 {
    let mut rest = scaled.unsigned_abs();
    while digits > 0 {
        let step = digits.min(9);
        rest = div_rem(rest, 10u32.pow(step)).0;
        digits -= step;
    }
    rest as i128
}

/// Formats a duration as protobuf JSON does: seconds with a trimmed fraction (`1.5s`).
pub(crate) fn format_duration(ns: i128) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let (secs, frac) = div_rem(ns.unsigned_abs(), NANOS_DIVISOR);
    let secs = crate::num::i128_text(secs as i128);
    if frac == 0 {
        format!("{sign}{secs}s")
    } else {
        let f = format!("{frac:09}");
        format!("{sign}{secs}.{}s", f.trim_end_matches('0'))
    }
}

/// A UTC offset in seconds from a CEL time-zone argument: `UTC`, `+05:30`, `-02:00`, `02:00`.
/// Named IANA zones other than UTC need a zone database this build does not carry.
pub(crate) fn parse_offset(tz: &str) -> Option<i64> {
    if tz.eq_ignore_ascii_case("utc") || tz == "Z" || tz == "GMT" {
        return Some(0);
    }
    let (sign, rest) = match tz.as_bytes().first()? {
        b'+' => (1, tz.get(1..)?),
        b'-' => (-1, tz.get(1..)?),
        _ => (1, tz),
    };
    let (h, m) = rest.split_once(':')?;
    if h.is_empty() || h.len() > 2 || m.len() != 2 {
        return None;
    }
    let h = crate::num::parse_i64(h)?;
    let m = crate::num::parse_i64(m)?;
    if h > 23 || m > 59 {
        return None;
    }
    Some(sign * (h * 3600 + m * 60))
}

/// A timestamp's calendar fields in a fixed offset.
pub(crate) struct Civil {
    /// Full year.
    pub year: i64,
    /// Month, 1-12.
    pub month: u32,
    /// Day of month, 1-31.
    pub day: u32,
    /// Day of week, 0 = Sunday.
    pub weekday: u32,
    /// Day of year, 0-based.
    pub yday: u32,
    /// Hours, minutes, seconds of the day.
    pub hms: (u32, u32, u32),
    /// Milliseconds of the second.
    pub millis: u32,
}

/// Splits a timestamp into calendar fields at a UTC offset (seconds).
pub(crate) fn civil(ns: i128, offset_secs: i64) -> Civil {
    let (secs, frac) = div_rem_euclid(ns, NANOS_DIVISOR);
    let millis = frac / 1_000_000;
    let (days, sod) = div_rem_euclid(secs + i128::from(offset_secs), 86_400);
    let days = days as i64;
    let (year, month, day) = civil_from_days(days);
    let yday = (days - days_from_civil(year, 1, 1)) as u32;
    // 1970-01-01 was a Thursday (4).
    let weekday = (days + 4).rem_euclid(7) as u32;
    Civil {
        year,
        month,
        day,
        weekday,
        yday,
        hms: (sod / 3600, sod / 60 % 60, sod % 60),
        millis,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips() {
        let ns = parse_timestamp("2009-02-13T23:31:30Z").unwrap();
        assert_eq!(ns, 1_234_567_890 * NANOS);
        assert_eq!(format_timestamp(ns).unwrap(), "2009-02-13T23:31:30Z");
        let max = parse_timestamp("9999-12-31T23:59:59.999999999Z").unwrap();
        assert_eq!(
            format_timestamp(max).unwrap(),
            "9999-12-31T23:59:59.999999999Z"
        );
        assert_eq!(
            parse_timestamp("0000-01-01T00:00:00Z"),
            Err(TimeError::Range)
        );
        assert_eq!(parse_duration("1h30m").unwrap(), 5400 * NANOS);
        assert_eq!(parse_duration("-1.5s").unwrap(), -1_500_000_000);
        assert_eq!(format_duration(123_321_456_789), "123.321456789s");
        assert_eq!(parse_duration("320000000000s"), Err(TimeError::Range));
        assert!(parse_duration("").is_err() && parse_duration("1x").is_err());
        let c = civil(1_234_567_890 * NANOS, 0);
        assert_eq!(
            (c.year, c.month, c.day, c.weekday, c.yday),
            (2009, 2, 13, 5, 43)
        );
    }
}
