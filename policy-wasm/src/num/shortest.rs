//! Shortest round-trip digits of an `f64`: the Steele & White / Dragon4 free-format algorithm
//! exactly as `core::num::flt2dec::strategy::dragon::format_shortest` runs it (same rounding and
//! tie-breaking), on heap bignums so that no power-of-ten table is linked.

use super::big::Big;

/// The shortest decimal digits that read back as the same finite `f64`:
/// `|x| = 0.d₁d₂…dₙ × 10^exp` (zero is the single digit `0` with `exp` 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shortest {
    buf: [u8; 18],
    len: u8,
    /// The decimal exponent: the value is `0.digits × 10^exp`.
    pub exp: i16,
}

impl Shortest {
    /// The digits of `|x|`, `None` for NaN and infinities.
    pub fn of(x: f64) -> Option<Shortest> {
        if !x.is_finite() {
            return None;
        }
        let mut out = Shortest {
            buf: [b'0'; 18],
            len: 1,
            exp: 1,
        };
        if x != 0.0 {
            out.generate(decode(x));
        }
        Some(out)
    }

    /// The ASCII digits, without leading zeros (unless the value is zero).
    pub fn digits(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or(&[])
    }

    fn generate(&mut self, d: Decoded) {
        // `a.partial_cmp(b) < rounding` is `a <= b` when the bounds are inclusive, else `a < b`.
        let below = |a: &Big, b: &Big| if d.inclusive { a <= b } else { a < b };
        let mut k = estimate_scaling_factor(d.mant + d.plus, d.exp);
        let mut mant = Big::from_u64(d.mant);
        let mut minus = Big::from_u64(d.minus);
        let mut plus = Big::from_u64(d.plus);
        let mut scale = Big::from_u64(1);
        if d.exp < 0 {
            scale.shl(d.exp.unsigned_abs().into());
        } else {
            for n in [&mut mant, &mut minus, &mut plus] {
                n.shl(d.exp.unsigned_abs().into());
            }
        }
        if k >= 0 {
            scale.mul_pow10(k.unsigned_abs().into());
        } else {
            for n in [&mut mant, &mut minus, &mut plus] {
                n.mul_pow10(k.unsigned_abs().into());
            }
        }
        if below(&scale, &sum(&mant, &plus)) {
            k += 1;
        } else {
            times10([&mut mant, &mut minus, &mut plus]);
        }
        let mut len = 0;
        let (down, up) = loop {
            let mut digit = 0;
            while mant >= scale {
                mant.sub(&scale);
                digit += 1;
            }
            if let Some(slot) = self.buf.get_mut(len) {
                *slot = b'0' + digit;
                len += 1;
            }
            let down = below(&mant, &minus);
            let up = below(&scale, &sum(&mant, &plus));
            if down || up || len == self.buf.len() {
                break (down, up);
            }
            times10([&mut mant, &mut minus, &mut plus]);
        };
        let mut twice = mant;
        twice.shl(1);
        if up && (!down || twice >= scale) && round_up(&mut self.buf[..len]) {
            // `9…9` became `10…0`: like `core`, one more digit and one more power of ten.
            if let Some(slot) = self.buf.get_mut(len) {
                *slot = b'0';
                len += 1;
            }
            k += 1;
        }
        self.len = len as u8;
        self.exp = k;
    }
}

/// `x = mant × 2^exp`, its neighbours' midpoints at `(mant - minus)` and `(mant + plus)`, which
/// round to `x` themselves when `inclusive` (even mantissa: ties go to even).
struct Decoded {
    mant: u64,
    minus: u64,
    plus: u64,
    exp: i16,
    inclusive: bool,
}

/// `core::num::flt2dec::decoder::decode` for a finite non-zero `f64`.
fn decode(x: f64) -> Decoded {
    let bits = x.to_bits();
    let biased = ((bits >> 52) & 0x7ff) as i16;
    let fraction = bits & ((1 << 52) - 1);
    let (mant, exp) = if biased == 0 {
        (fraction << 1, -1075)
    } else {
        (fraction | (1 << 52), biased - 1075)
    };
    let inclusive = mant & 1 == 0;
    if biased == 0 {
        Decoded {
            mant,
            minus: 1,
            plus: 1,
            exp,
            inclusive,
        }
    } else if mant == 1 << 52 {
        // A power of two: the gap below is half the gap above.
        Decoded {
            mant: mant << 2,
            minus: 1,
            plus: 2,
            exp: exp - 2,
            inclusive,
        }
    } else {
        Decoded {
            mant: mant << 1,
            minus: 1,
            plus: 1,
            exp: exp - 1,
            inclusive,
        }
    }
}

/// `k` with `10^(k-1) < mant × 2^exp <= 10^(k+1)`: never above the exact value, at most one below.
fn estimate_scaling_factor(mant: u64, exp: i16) -> i16 {
    let nbits = 64 - i64::from((mant - 1).leading_zeros());
    // 1292913986 = floor(2^32 × log10(2)).
    (((nbits + i64::from(exp)) * 1_292_913_986) >> 32) as i16
}

fn sum(a: &Big, b: &Big) -> Big {
    let mut s = a.clone();
    s.add(b);
    s
}

fn times10(ns: [&mut Big; 3]) {
    for n in ns {
        n.mul_add_small(10, 0);
    }
}

/// Adds one unit in the last digit; true when `9…9` became `10…0` (one more power of ten).
fn round_up(digits: &mut [u8]) -> bool {
    match digits.iter().rposition(|&c| c != b'9') {
        Some(i) => {
            if let Some(d) = digits.get_mut(i) {
                *d += 1;
            }
            digits.iter_mut().skip(i + 1).for_each(|d| *d = b'0');
            false
        }
        None => {
            digits.iter_mut().for_each(|d| *d = b'0');
            if let Some(first) = digits.first_mut() {
                *first = b'1';
            }
            true
        }
    }
}
