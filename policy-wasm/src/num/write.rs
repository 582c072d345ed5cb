//! `f64` as text the way `core`'s `Display`, `Debug` and `LowerExp` write it without a precision.

use super::shortest::Shortest;
use alloc::string::String;

/// `format!("{x}")`: plain decimal, no exponent (`100000000000000000000`, `0.0000001`, `-0`).
pub fn display(x: f64) -> String {
    write_with(x, |out, d| plain(out, d, 0))
}

/// `format!("{x:?}")`: plain decimal with at least one fraction digit (`1.0`), exponent form
/// (`1e16`, `1.5e-7`) for magnitudes from 1e16 up and below 1e-4.
pub fn debug(x: f64) -> String {
    let abs = x.abs();
    if (abs != 0.0 && abs < 1e-4) || abs >= 1e16 {
        lower_exp(x)
    } else {
        write_with(x, |out, d| plain(out, d, 1))
    }
}

/// `format!("{x:e}")`: shortest digits in exponent form (`1e16`, `-1.25e-7`, `0e0`).
pub fn lower_exp(x: f64) -> String {
    write_with(x, exponent)
}

fn write_with(x: f64, body: impl FnOnce(&mut String, &Shortest)) -> String {
    let mut out = String::new();
    if x.is_nan() {
        return "NaN".into();
    }
    if x.is_sign_negative() {
        out.push('-');
    }
    match Shortest::of(x) {
        Some(d) => body(&mut out, &d),
        None => out.push_str("inf"),
    }
    out
}

/// `core::num::flt2dec::digits_to_dec_str`, zero included.
fn plain(out: &mut String, d: &Shortest, frac_digits: usize) {
    let digits = d.digits();
    let zero = digits == b"0";
    let exp = if zero { 1 } else { i32::from(d.exp) };
    let zeros = |out: &mut String, n: usize| out.extend(core::iter::repeat_n('0', n));
    if exp <= 0 {
        out.push_str("0.");
        zeros(out, exp.unsigned_abs() as usize);
        push_ascii(out, digits);
        zeros(
            out,
            frac_digits.saturating_sub(digits.len() + exp.unsigned_abs() as usize),
        );
        return;
    }
    let point = exp as usize;
    if point < digits.len() {
        push_ascii(out, digits.get(..point).unwrap_or_default());
        out.push('.');
        let fraction = digits.get(point..).unwrap_or_default();
        push_ascii(out, fraction);
        zeros(out, frac_digits.saturating_sub(fraction.len()));
    } else {
        push_ascii(out, digits);
        zeros(out, point - digits.len());
        if frac_digits > 0 {
            out.push('.');
            zeros(out, frac_digits);
        }
    }
}

/// `core::num::flt2dec::digits_to_exp_str` with no minimum precision.
fn exponent(out: &mut String, d: &Shortest) {
    let digits = d.digits();
    let (first, rest) = digits.split_at(1.min(digits.len()));
    push_ascii(out, first);
    if !rest.is_empty() {
        out.push('.');
        push_ascii(out, rest);
    }
    let exp = if digits == b"0" {
        0
    } else {
        i32::from(d.exp) - 1
    };
    out.push('e');
    if exp < 0 {
        out.push('-');
    }
    push_decimal(out, exp.unsigned_abs());
}

fn push_ascii(out: &mut String, ascii: &[u8]) {
    out.extend(ascii.iter().map(|&b| char::from(b)));
}

/// A small non-negative integer in decimal, without `core::fmt`.
fn push_decimal(out: &mut String, n: u32) {
    if n >= 10 {
        push_decimal(out, n / 10);
    }
    out.push(char::from(b'0' + (n % 10) as u8));
}

/// `n` in decimal, as `format!("{n}")` writes it, without linking `core`'s 128-bit formatter.
pub fn i128_text(n: i128) -> String {
    let mut out = String::new();
    if n < 0 {
        out.push('-');
    }
    let mut digits = [0u8; 39];
    let mut at = digits.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        let (quotient, digit) = super::div_rem(rest, 10);
        if let Some(slot) = digits.get_mut(at) {
            *slot = b'0' + digit as u8;
        }
        rest = quotient;
        if rest == 0 || at == 0 {
            break;
        }
    }
    push_ascii(&mut out, digits.get(at..).unwrap_or_default());
    out
}
