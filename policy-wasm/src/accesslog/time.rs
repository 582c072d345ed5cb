//! UTC calendar formatting for `%START_TIME%`, without a clock or a time-zone database.

use alloc::vec::Vec;

/// A UTC instant broken into calendar fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Civil {
    /// Year (proleptic Gregorian).
    pub year: i64,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
    /// Nanoseconds within the second.
    pub nanos: u32,
}

impl Civil {
    /// Breaks nanoseconds since the Unix epoch into UTC fields.
    pub fn from_unix_nanos(nanos: i64) -> Civil {
        let secs = nanos.div_euclid(1_000_000_000);
        let sub = nanos.rem_euclid(1_000_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400) as u32;
        let (year, month, day) = crate::calendar::civil_from_days(days);
        Civil {
            year,
            month,
            day,
            hour: tod / 3600,
            minute: tod / 60 % 60,
            second: tod % 60,
            nanos: sub,
        }
    }
}

fn push_num(out: &mut Vec<u8>, value: i64, width: usize) {
    super::render::write_int(value, width, out);
}

/// Envoy's default `%START_TIME%` rendering: `YYYY-MM-DDTHH:MM:SS.mmmZ`, milliseconds truncated.
pub fn format_default(nanos: i64, out: &mut Vec<u8>) {
    let c = Civil::from_unix_nanos(nanos);
    // Every field has a fixed width (i64 nanoseconds span the years 1677 to 2262): the line is
    // filled in place and appended at once.
    let mut line = *b"0000-00-00T00:00:00.000Z";
    let mut digits = |at: usize, width: usize, mut value: u32| {
        for i in (at..at + width).rev() {
            line[i] = b'0' + (value % 10) as u8;
            value /= 10;
        }
    };
    digits(0, 4, c.year as u32);
    digits(5, 2, c.month);
    digits(8, 2, c.day);
    digits(11, 2, c.hour);
    digits(14, 2, c.minute);
    digits(17, 2, c.second);
    digits(20, 3, c.nanos / 1_000_000);
    super::render::put(out, &line);
}

/// One piece of a `%START_TIME(...)%` format.
#[derive(Debug, Clone, PartialEq, Eq)]
enum TimePiece {
    /// Copied as is.
    Literal(Vec<u8>),
    /// A conversion specifier (the byte after `%`, with its digit count for fractions).
    Spec(u8, u8),
}

/// A compiled `%START_TIME(...)%` format: strftime/absl specifiers plus Envoy's `%s` and `%Nf`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimeFormat {
    pieces: Vec<TimePiece>,
}

const DAYS: [&str; 7] = [
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
];
const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

impl TimeFormat {
    /// Compiles `format`; an unknown specifier is an error naming it.
    pub fn parse(format: &str) -> Result<TimeFormat, alloc::string::String> {
        let bytes = format.as_bytes();
        let mut pieces = Vec::new();
        let mut literal = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] != b'%' {
                literal.push(bytes[i]);
                i += 1;
                continue;
            }
            let rest = &bytes[i + 1..];
            let (spec, digits, used) = match rest {
                [b'E', d @ b'1'..=b'9', b'S', ..] => (b'S', d - b'0', 3),
                [b'E', b'*', b'S', ..] => (b'S', 9, 3),
                [d @ b'1'..=b'9', b'f', ..] => (b'f', d - b'0', 2),
                [c, ..] if b"YmdHMSyjeaAbBhpIzZsfTDFRnt%".contains(c) => (*c, 9, 1),
                [c, ..] => {
                    return Err(alloc::format!("unsupported time specifier %{}", *c as char));
                }
                [] => return Err("format ends with a lone %".into()),
            };
            match spec {
                b'%' => literal.push(b'%'),
                b'n' => literal.push(b'\n'),
                b't' => literal.push(b'\t'),
                _ => {
                    if !literal.is_empty() {
                        pieces.push(TimePiece::Literal(core::mem::take(&mut literal)));
                    }
                    let digits = if spec == b'S' && used == 1 { 0 } else { digits };
                    pieces.push(TimePiece::Spec(spec, digits));
                }
            }
            i += 1 + used;
        }
        if !literal.is_empty() {
            pieces.push(TimePiece::Literal(literal));
        }
        Ok(TimeFormat { pieces })
    }

    /// Renders `nanos` (since the epoch, UTC).
    pub fn render(&self, nanos: i64, out: &mut Vec<u8>) {
        let c = Civil::from_unix_nanos(nanos);
        let days = nanos.div_euclid(1_000_000_000).div_euclid(86_400);
        let weekday = (days + 4).rem_euclid(7) as usize; // 1970-01-01 was a Thursday
        for piece in &self.pieces {
            match piece {
                TimePiece::Literal(text) => out.extend_from_slice(text),
                TimePiece::Spec(spec, digits) => {
                    write_spec(*spec, *digits, &c, nanos, weekday, out)
                }
            }
        }
    }
}

fn fraction(nanos: u32, digits: u8, out: &mut Vec<u8>) {
    let digits = u32::from(digits.clamp(1, 9));
    push_num(
        out,
        i64::from(nanos / 10u32.pow(9 - digits)),
        digits as usize,
    );
}

fn write_spec(spec: u8, digits: u8, c: &Civil, nanos: i64, weekday: usize, out: &mut Vec<u8>) {
    let month = MONTHS[(c.month as usize).clamp(1, 12) - 1];
    match spec {
        b'Y' => push_num(out, c.year, 4),
        b'y' => push_num(out, c.year.rem_euclid(100), 2),
        b'm' => push_num(out, c.month.into(), 2),
        b'd' => push_num(out, c.day.into(), 2),
        b'e' => out.extend_from_slice(alloc::format!("{:>2}", c.day).as_bytes()),
        b'H' => push_num(out, c.hour.into(), 2),
        b'I' => push_num(out, i64::from((c.hour + 11) % 12 + 1), 2),
        b'p' => out.extend_from_slice(if c.hour < 12 { b"AM" } else { b"PM" }),
        b'M' => push_num(out, c.minute.into(), 2),
        b'S' => {
            push_num(out, c.second.into(), 2);
            if digits > 0 {
                out.push(b'.');
                fraction(c.nanos, digits, out);
            }
        }
        b'f' => fraction(c.nanos, digits, out),
        b's' => push_num(out, nanos.div_euclid(1_000_000_000), 0),
        b'j' => push_num(out, day_of_year(c).into(), 3),
        b'a' => out.extend_from_slice(&DAYS[weekday].as_bytes()[..3]),
        b'A' => out.extend_from_slice(DAYS[weekday].as_bytes()),
        b'b' | b'h' => out.extend_from_slice(&month.as_bytes()[..3]),
        b'B' => out.extend_from_slice(month.as_bytes()),
        b'z' => out.extend_from_slice(b"+0000"),
        b'Z' => out.extend_from_slice(b"UTC"),
        b'T' => {
            write_spec(b'H', 0, c, nanos, weekday, out);
            out.push(b':');
            write_spec(b'M', 0, c, nanos, weekday, out);
            out.push(b':');
            write_spec(b'S', 0, c, nanos, weekday, out);
        }
        b'R' => {
            write_spec(b'H', 0, c, nanos, weekday, out);
            out.push(b':');
            write_spec(b'M', 0, c, nanos, weekday, out);
        }
        b'D' => {
            write_spec(b'm', 0, c, nanos, weekday, out);
            out.push(b'/');
            write_spec(b'd', 0, c, nanos, weekday, out);
            out.push(b'/');
            write_spec(b'y', 0, c, nanos, weekday, out);
        }
        b'F' => {
            write_spec(b'Y', 0, c, nanos, weekday, out);
            out.push(b'-');
            write_spec(b'm', 0, c, nanos, weekday, out);
            out.push(b'-');
            write_spec(b'd', 0, c, nanos, weekday, out);
        }
        _ => {}
    }
}

fn day_of_year(c: &Civil) -> u32 {
    const BEFORE: [u32; 12] = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let leap = crate::calendar::is_leap(c.year);
    BEFORE[(c.month as usize).clamp(1, 12) - 1] + c.day + u32::from(leap && c.month > 2)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(format: &str, nanos: i64) -> alloc::string::String {
        let mut out = Vec::new();
        TimeFormat::parse(format).unwrap().render(nanos, &mut out);
        alloc::string::String::from_utf8(out).unwrap()
    }

    #[test]
    fn strftime_specifiers() {
        let t = 1_723_509_107_690_123_456; // 2024-08-13T00:31:47.690123456Z, a Tuesday
        assert_eq!(
            render("%Y-%m-%dT%H:%M:%E3SZ", t),
            "2024-08-13T00:31:47.690Z"
        );
        assert_eq!(render("%s.%3f", t), "1723509107.690");
        assert_eq!(
            render("%a %b %e %T %Z %Y", t),
            "Tue Aug 13 00:31:47 UTC 2024"
        );
        assert_eq!(
            render("%F %R %j %I%p %9f %%", t),
            "2024-08-13 00:31 226 12AM 690123456 %"
        );
        assert!(TimeFormat::parse("%Q").is_err());
    }

    #[test]
    fn formats_the_brief_timestamp() {
        // 2024-08-13T00:31:47.690Z
        let nanos = 1_723_509_107_690_123_456;
        let mut out = Vec::new();
        format_default(nanos, &mut out);
        assert_eq!(out, b"2024-08-13T00:31:47.690Z");
    }

    #[test]
    fn handles_leap_days_and_the_epoch() {
        let mut out = Vec::new();
        format_default(0, &mut out);
        assert_eq!(out, b"1970-01-01T00:00:00.000Z");
        out.clear();
        format_default(951_782_400_000_000_000, &mut out); // 2000-02-29
        assert_eq!(out, b"2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn the_extremes_of_i64_nanoseconds_have_four_digit_years() {
        // Known values (the range of Go's and Envoy's int64-nanosecond clocks).
        let mut out = Vec::new();
        format_default(i64::MIN, &mut out);
        assert_eq!(out, b"1677-09-21T00:12:43.145Z");
        out.clear();
        format_default(i64::MAX, &mut out);
        assert_eq!(out, b"2262-04-11T23:47:16.854Z");
    }
}
