//! JSON numbers as serde_json keeps them: unsigned, negative or floating point.

use alloc::string::String;
use core::fmt;

/// A JSON number; integers stay exact, floats are finite.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Number(Repr);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Repr {
    PosInt(u64),
    NegInt(i64),
    Float(f64),
}

impl Number {
    /// A float number; `None` for NaN and infinities, which JSON cannot write.
    pub fn from_f64(f: f64) -> Option<Number> {
        f.is_finite().then_some(Number(Repr::Float(f)))
    }

    /// The value as `f64` (integers convert, possibly rounding).
    pub fn as_f64(&self) -> Option<f64> {
        Some(match self.0 {
            Repr::PosInt(u) => u as f64,
            Repr::NegInt(i) => i as f64,
            Repr::Float(f) => f,
        })
    }

    /// The value as `i64` when it is an integer in range.
    pub fn as_i64(&self) -> Option<i64> {
        match self.0 {
            Repr::PosInt(u) => i64::try_from(u).ok(),
            Repr::NegInt(i) => Some(i),
            Repr::Float(_) => None,
        }
    }

    /// The value as `u64` when it is a non-negative integer.
    pub fn as_u64(&self) -> Option<u64> {
        match self.0 {
            Repr::PosInt(u) => Some(u),
            _ => None,
        }
    }

    /// True for numbers written with a fraction or exponent.
    pub fn is_f64(&self) -> bool {
        matches!(self.0, Repr::Float(_))
    }

    /// True for integers that fit `i64`.
    pub fn is_i64(&self) -> bool {
        self.as_i64().is_some()
    }

    /// True for non-negative integers.
    pub fn is_u64(&self) -> bool {
        self.as_u64().is_some()
    }
}

impl From<u64> for Number {
    fn from(u: u64) -> Number {
        Number(Repr::PosInt(u))
    }
}

impl From<i64> for Number {
    fn from(i: i64) -> Number {
        match u64::try_from(i) {
            Ok(u) => Number(Repr::PosInt(u)),
            Err(_) => Number(Repr::NegInt(i)),
        }
    }
}

impl From<usize> for Number {
    fn from(u: usize) -> Number {
        Number(Repr::PosInt(u as u64))
    }
}

impl From<i32> for Number {
    fn from(i: i32) -> Number {
        Number::from(i64::from(i))
    }
}

impl From<u32> for Number {
    fn from(u: u32) -> Number {
        Number(Repr::PosInt(u64::from(u)))
    }
}

impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Repr::PosInt(u) => write!(f, "{u}"),
            Repr::NegInt(i) => write!(f, "{i}"),
            Repr::Float(x) => f.write_str(&shortest(x)),
        }
    }
}

/// `x` the way serde_json (ryu) writes a finite float: shortest round-trip digits, `1.0` for
/// integral values, an exponent (`1e20`, `1.5e-7`) outside ryu's plain-decimal range.
fn shortest(x: f64) -> String {
    use alloc::format;
    let Some(shortest) = crate::num::Shortest::of(x) else {
        return String::new();
    };
    let digits = core::str::from_utf8(shortest.digits()).unwrap_or("0");
    let len = digits.len() as i32;
    // ryu: value = digits × 10^k, kk = position of the decimal point.
    let kk = i32::from(shortest.exp);
    let k = kk - len;
    let mut out = String::new();
    if x.is_sign_negative() {
        out.push('-');
    }
    if 0 <= k && kk <= 16 {
        out.push_str(digits);
        out.extend(core::iter::repeat_n('0', k as usize));
        out.push_str(".0");
    } else if 0 < kk && kk <= 16 {
        out.push_str(&digits[..kk as usize]);
        out.push('.');
        out.push_str(&digits[kk as usize..]);
    } else if -5 < kk && kk <= 0 {
        out.push_str("0.");
        out.extend(core::iter::repeat_n('0', (-kk) as usize));
        out.push_str(digits);
    } else if len == 1 {
        out.push_str(digits);
        out.push_str(&format!("e{:+}", kk - 1));
    } else {
        out.push_str(&digits[..1]);
        out.push('.');
        out.push_str(&digits[1..]);
        out.push_str(&format!("e{:+}", kk - 1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn floats_print_like_serde_json() {
        let mut cases = alloc::vec![
            1.0,
            0.5,
            -2.25,
            10.0,
            1e15,
            1e16,
            1.5e20,
            0.001,
            0.0001,
            0.00001,
            1.25e-7,
            0.0,
            -0.0,
            123.456,
            2.104877,
            33.3,
            1e-300,
            5e-324,
            f64::MAX,
            f64::MIN_POSITIVE,
            9007199254740993.0,
        ];
        // Values with up to 15 significant digits across magnitudes (what configurations hold).
        // For 17-digit values the last digit may differ from serde_json's (zmij); both
        // round-trip to the same f64.
        for mantissa in [1.0, 25.0, 2_104_877.0, 333_333_333_333_333.0, 987_654_321.0] {
            for exp in -25..25 {
                let x = mantissa * 10f64.powi(exp);
                cases.push(x);
                cases.push(-x);
            }
        }
        for x in cases {
            let want = serde_json::to_string(&x).unwrap();
            assert_eq!(Number::from_f64(x).unwrap().to_string(), want, "{x:e}");
        }
    }
}
