//! 128-bit division by small divisors in 64-bit steps. Time values are `i128` nanoseconds, and a
//! plain `/` or `%` on them links compiler-builtins' general 128-bit division routine (over a
//! kilobyte of wasm, plus its callers' setup); every divisor here fits 32 bits.

/// `n / d` and `n % d`, by long division over 32-bit limbs.
pub fn div_rem(n: u128, d: u32) -> (u128, u32) {
    let d = u64::from(d);
    let mut quotient = 0u128;
    let mut rest = 0u64;
    for shift in [96, 64, 32, 0] {
        // `rest < d < 2^32`, so the partial dividend fits 64 bits.
        let part = (rest << 32) | ((n >> shift) as u64 & 0xffff_ffff);
        quotient |= u128::from(part / d) << shift;
        rest = part % d;
    }
    (quotient, rest as u32)
}

/// `n.div_euclid(d)` and `n.rem_euclid(d)`: the quotient rounded toward negative infinity and a
/// remainder in `0..d`.
pub fn div_rem_euclid(n: i128, d: u32) -> (i128, u32) {
    let (q, r) = div_rem(n.unsigned_abs(), d);
    // `q <= 2^127`; only `n = i128::MIN, d = 1` reaches it, and wraps back to `i128::MIN`.
    let q = q as i128;
    match (n < 0, r) {
        (false, _) => (q, r),
        (true, 0) => (q.wrapping_neg(), 0),
        (true, r) => (q.wrapping_neg() - 1, d - r),
    }
}

/// `n / d` and `n % d` with Rust's signs: the quotient rounded toward zero, the remainder with
/// the sign of `n`.
pub fn div_rem_trunc(n: i128, d: u32) -> (i128, i64) {
    let (q, r) = div_rem(n.unsigned_abs(), d);
    let (q, r) = (q as i128, i64::from(r));
    if n < 0 {
        (q.wrapping_neg(), -r)
    } else {
        (q, r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_128_bit_division() {
        let values = [
            0i128,
            1,
            -1,
            999_999_999,
            1_000_000_000,
            -1_000_000_000,
            -1_000_000_001,
            253_402_300_799_999_999_999,
            -62_135_596_800_000_000_000,
            i128::MAX,
            i128::MIN,
            i128::MIN + 1,
            0x1234_5678_9abc_def0_1122_3344_5566_7788,
        ];
        for n in values {
            for d in [
                1u32,
                7,
                10,
                1_000,
                86_400,
                1_000_000,
                1_000_000_000,
                u32::MAX,
            ] {
                let wide = i128::from(d);
                assert_eq!(
                    div_rem(n.unsigned_abs(), d),
                    (
                        n.unsigned_abs() / d as u128,
                        (n.unsigned_abs() % d as u128) as u32
                    )
                );
                assert_eq!(
                    div_rem_euclid(n, d),
                    (n.div_euclid(wide), n.rem_euclid(wide) as u32),
                    "{n} {d}"
                );
                assert_eq!(
                    div_rem_trunc(n, d),
                    (n / wide, (n % wide) as i64),
                    "{n} {d}"
                );
            }
        }
    }
}
