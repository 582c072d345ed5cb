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
    /// Breaks nanoseconds since the Unix epoch into UTC fields (Howard Hinnant's days-to-civil).
    pub fn from_unix_nanos(nanos: i64) -> Civil {
        let secs = nanos.div_euclid(1_000_000_000);
        let sub = nanos.rem_euclid(1_000_000_000) as u32;
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400) as u32;
        let z = days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z.rem_euclid(146_097);
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
        let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
        let year = yoe + era * 400 + i64::from(month <= 2);
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
    let digits = alloc::format!("{:0width$}", value, width = width);
    out.extend_from_slice(digits.as_bytes());
}

/// Envoy's default `%START_TIME%` rendering: `YYYY-MM-DDTHH:MM:SS.mmmZ`, milliseconds truncated.
pub fn format_default(nanos: i64, out: &mut Vec<u8>) {
    let c = Civil::from_unix_nanos(nanos);
    push_num(out, c.year, 4);
    out.push(b'-');
    push_num(out, c.month.into(), 2);
    out.push(b'-');
    push_num(out, c.day.into(), 2);
    out.push(b'T');
    push_num(out, c.hour.into(), 2);
    out.push(b':');
    push_num(out, c.minute.into(), 2);
    out.push(b':');
    push_num(out, c.second.into(), 2);
    out.push(b'.');
    push_num(out, (c.nanos / 1_000_000).into(), 3);
    out.push(b'Z');
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
