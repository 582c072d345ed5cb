//! Decimal text to the nearest `f64` (ties to even), exactly: the digits become a bignum, which is
//! scaled by a power of ten and rounded once.

use super::big::Big;

/// Significant digits kept; any non-zero digit past them only matters as a sticky bit, since a
/// halfway point between two `f64` has at most 767 significant digits.
const MAX_DIGITS: u32 = 800;

/// Parses `[+-]digits[.digits][(e|E)[+-]digits]` (at least one mantissa digit) like
/// `str::parse::<f64>` does, to the correctly rounded value; `None` for anything else,
/// including the `inf`/`nan` words, which no caller passes through.
pub fn parse_f64(text: &str) -> Option<f64> {
    let s = text.as_bytes();
    let (negative, mut i) = match s.first() {
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        _ => (false, 0),
    };
    let mut digits = Big::from_u64(0);
    let (mut kept, mut exp10, mut sticky, mut any, mut dot) = (0u32, 0i64, false, false, false);
    while let Some(&c) = s.get(i) {
        match c {
            b'0'..=b'9' => {
                any = true;
                if kept < MAX_DIGITS {
                    if kept > 0 || c != b'0' {
                        digits.mul_add_small(10, u32::from(c - b'0'));
                        kept += 1;
                    }
                    exp10 -= i64::from(dot);
                } else {
                    sticky |= c != b'0';
                    exp10 += i64::from(!dot);
                }
            }
            b'.' if !dot => dot = true,
            _ => break,
        }
        i += 1;
    }
    if !any {
        return None;
    }
    if let Some(b'e' | b'E') = s.get(i) {
        i += 1;
        let sign = match s.get(i) {
            Some(b'-') => {
                i += 1;
                -1
            }
            Some(b'+') => {
                i += 1;
                1
            }
            _ => 1,
        };
        let start = i;
        let mut e = 0i64;
        while let Some(c) = s.get(i).filter(|c| c.is_ascii_digit()) {
            e = (e * 10 + i64::from(c - b'0')).min(1_000_000);
            i += 1;
        }
        if i == start {
            return None;
        }
        exp10 += sign * e;
    }
    if i != s.len() {
        return None;
    }
    if sticky {
        digits.mul_add_small(10, 1);
        kept += 1;
        exp10 -= 1;
    }
    let magnitude = magnitude(digits, i64::from(kept), exp10);
    Some(if negative { -magnitude } else { magnitude })
}

/// `digits × 10^exp10` rounded to the nearest `f64`; `count` is the number of decimal digits.
fn magnitude(mut digits: Big, count: i64, exp10: i64) -> f64 {
    if digits.is_zero() || count + exp10 < -330 {
        return 0.0;
    }
    if count + exp10 > 310 {
        return f64::INFINITY;
    }
    if exp10 >= 0 {
        digits.mul_pow10(exp10 as u32);
        let len = digits.bit_len();
        if len <= 64 {
            let (m, _) = digits.bits_below(64);
            return round(m, 0, false);
        }
        let (m, sticky) = digits.bits_below(len);
        return round(m, len as i32 - 64, sticky);
    }
    let mut den = Big::from_u64(1);
    den.mul_pow10(exp10.unsigned_abs() as u32);
    // Scale so that the quotient lies in (2^62, 2^64): at least 63 exact bits.
    let shift = 63 - (digits.bit_len() as i32 - den.bit_len() as i32);
    if shift >= 0 {
        digits.shl(shift as u32);
    } else {
        den.shl(shift.unsigned_abs());
    }
    let q = digits.div_small_quotient(&den);
    round(q, -shift, !digits.is_zero())
}

/// `(m + f) × 2^e2` for some `0 <= f < 1`, non-zero exactly when `sticky`, rounded to the
/// nearest `f64` with ties to even (subnormals and overflow included); `m` is not zero.
fn round(m: u64, e2: i32, sticky: bool) -> f64 {
    let lz = m.leading_zeros();
    let m = m << lz;
    // The unbiased exponent of the leading bit.
    let mut exp = e2 - lz as i32 + 63;
    if exp > 1023 {
        return f64::INFINITY;
    }
    let keep = if exp >= -1022 { 53 } else { exp + 1075 };
    if keep < 0 {
        return 0.0;
    }
    let drop = 64 - keep as u32;
    let wide = u128::from(m);
    let mut kept = (wide >> drop) as u64;
    let rest = wide & ((1 << drop) - 1);
    let half = 1 << (drop - 1);
    if rest > half || (rest == half && (sticky || kept & 1 == 1)) {
        kept += 1;
    }
    if exp < -1022 {
        // Subnormal; a carry into bit 52 is exactly the smallest normal's encoding.
        return f64::from_bits(kept);
    }
    if kept == 1 << 53 {
        kept >>= 1;
        exp += 1;
        if exp > 1023 {
            return f64::INFINITY;
        }
    }
    f64::from_bits(((exp + 1023) as u64) << 52 | (kept & ((1 << 52) - 1)))
}
