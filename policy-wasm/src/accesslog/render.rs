//! Evaluating command operators against a request's attributes.

use super::flags;
use super::format::{AddressPart, HeaderSource, Operator, PropertyKind};
use super::time;
use crate::attributes::{AttributeSource, Bytes, HeaderMap};
use crate::path;
use alloc::vec::Vec;

/// What an operator wrote for one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value {
    /// Unset: nothing written; `-` in TEXT, `null` in JSON.
    Absent,
    /// Text (bytes as the proxy saw them); JSON quotes it.
    Text,
    /// A number; JSON prints it unquoted.
    Number,
}

/// Appends a text value: absent or empty is unset.
fn text(bytes: Option<Bytes<'_>>, out: &mut Vec<u8>) -> Value {
    match bytes {
        Some(b) if !b.is_empty() => {
            put(out, &b);
            Value::Text
        }
        _ => Value::Absent,
    }
}

fn number(value: i64, out: &mut Vec<u8>) -> Value {
    write_int(value, 0, out);
    Value::Number
}

fn header<'s>(src: &'s dyn AttributeSource, source: HeaderSource, name: &str) -> Option<Bytes<'s>> {
    let map = match source {
        HeaderSource::Request => HeaderMap::RequestHeaders,
        HeaderSource::Response => HeaderMap::ResponseHeaders,
        HeaderSource::Trailer => HeaderMap::ResponseTrailers,
    };
    src.header(map, name)
}

/// Splits `ip:port` / `[ip6]:port`; `None` when there is no port.
fn split_address(address: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = address.iter().rposition(|b| *b == b':')?;
    let (ip, port) = (&address[..colon], &address[colon + 1..]);
    let ip = ip
        .strip_prefix(b"[")
        .and_then(|i| i.strip_suffix(b"]"))
        .unwrap_or(ip);
    Some((ip, port))
}

fn address_part(bytes: Option<Bytes<'_>>, part: AddressPart, out: &mut Vec<u8>) -> Value {
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Value::Absent;
    };
    match (split_address(&bytes), part) {
        (Some((ip, _)), AddressPart::Ip) => {
            put(out, ip);
            Value::Text
        }
        (Some((_, port)), AddressPart::Port) => core::str::from_utf8(port)
            .ok()
            .and_then(crate::num::parse_i64)
            .map_or(Value::Absent, |p| number(p, out)),
        // A pipe or other non-IP address has no port.
        (None, AddressPart::Ip) => {
            put(out, &bytes);
            Value::Text
        }
        (None, AddressPart::Port) => Value::Absent,
    }
}

/// Evaluates `operator` for the request behind `src`, appending its value's bytes to `out`
/// (nothing when unset), and says what it wrote. Values go straight from the source's bytes to
/// the record: a record has two dozen operators, and a buffer per value would cost more than
/// the rest of its work.
pub fn evaluate(operator: &Operator, src: &dyn AttributeSource, out: &mut Vec<u8>) -> Value {
    match operator {
        Operator::StartTime(format) => match src.get_i64(&path!("request", "time")) {
            Some(nanos) => {
                match format {
                    None => time::format_default(nanos, out),
                    Some(f) => f.render(nanos, out),
                }
                Value::Text
            }
            None => Value::Absent,
        },
        Operator::Header {
            source,
            name,
            alternative,
            without_query,
        } => {
            // A header present with an empty value prints as empty, not as unset.
            let value = header(src, *source, name).or_else(|| {
                alternative
                    .as_deref()
                    .and_then(|alt| header(src, *source, alt))
            });
            match value {
                Some(v) => {
                    let end = match without_query {
                        true => v.iter().position(|b| *b == b'?').unwrap_or(v.len()),
                        false => v.len(),
                    };
                    put(out, &v[..end]);
                    Value::Text
                }
                None => Value::Absent,
            }
        }
        Operator::Property { path, kind } => match kind {
            PropertyKind::Text => text(src.get(path), out),
            PropertyKind::Number => src.get_i64(path).map_or(Value::Absent, |n| number(n, out)),
            PropertyKind::NumberOrZero => number(src.get_i64(path).unwrap_or(0), out),
        },
        Operator::Address { path, part } => address_part(src.get(path), *part, out),
        Operator::ResponseCode => number(src.get_i64(&path!("response", "code")).unwrap_or(0), out),
        Operator::ResponseFlags { long } => {
            let bits = src.get_i64(&path!("response", "flags")).unwrap_or(0) as u64;
            flags::write_codes(bits, *long, out);
            Value::Text
        }
        Operator::UpstreamTransportFailureReason => {
            let start = out.len();
            match text(src.get(&path!("upstream", "transport_failure_reason")), out) {
                Value::Text => {
                    out[start..]
                        .iter_mut()
                        .filter(|b| **b == b' ')
                        .for_each(|b| *b = b'_');
                    Value::Text
                }
                other => other,
            }
        }
        Operator::BytesReceived => number(bytes_received(src), out),
        Operator::Duration => match src.get_i64(&path!("request", "duration")) {
            Some(ns) => number(ns / 1_000_000, out),
            None => Value::Absent,
        },
    }
}

/// Body bytes received: the request's wire size less its headers, else its body size.
fn bytes_received(src: &dyn AttributeSource) -> i64 {
    let total = src.get_i64(&path!("request", "total_size"));
    let headers = src.get_i64(&path!("request", "headers_bytes"));
    match (total, headers) {
        // `headers_bytes` is unsigned: read as i64 a huge value is negative, and `t - h` overflows.
        (Some(t), Some(h)) if h >= 0 && t >= h => t - h,
        _ => src.get_i64(&path!("request", "size")).unwrap_or(0),
    }
}

/// Appends `bytes` to `out`. Records are written in dozens of small pieces into a buffer with
/// room to spare; `extend_from_slice` costs three calls a piece at opt-level "z", this a check
/// and a copy.
#[inline(always)]
pub(crate) fn put(out: &mut Vec<u8>, bytes: &[u8]) {
    let len = out.len();
    if out.capacity() - len < bytes.len() {
        out.reserve(bytes.len());
    }
    // SAFETY: the reserve above leaves room for `bytes` after `len`; the regions are distinct
    // (`bytes` cannot borrow `out`, which is borrowed mutably).
    unsafe {
        core::ptr::copy_nonoverlapping(bytes.as_ptr(), out.as_mut_ptr().add(len), bytes.len());
        out.set_len(len + bytes.len());
    }
}

/// Appends `value` in decimal, zero-padded to `width` characters sign included: what
/// `format!("{value:0width$}")` prints, without the formatting machinery (which costs more per
/// number than the rest of a record's work).
pub fn write_int(value: i64, width: usize, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    // Wasm has no 64-bit multiply-high, so a 64-bit division by 10 stays a division; a 32-bit
    // one becomes a multiply, and nearly every number a record prints fits 32 bits.
    while rest > u64::from(u32::MAX) {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
    }
    let mut small = rest as u32;
    loop {
        at -= 1;
        digits[at] = b'0' + (small % 10) as u8;
        small /= 10;
        if small == 0 {
            break;
        }
    }
    let sign = usize::from(value < 0);
    if sign == 1 {
        out.push(b'-');
    }
    let zeros = width.saturating_sub(digits.len() - at + sign);
    if zeros > 0 {
        out.resize(out.len() + zeros, b'0');
    }
    put(out, &digits[at..]);
}

#[cfg(test)]
mod tests {
    use super::write_int;

    #[test]
    fn integers_print_as_format_does() {
        for width in [0, 2, 3, 4] {
            for n in [0, 7, -7, 10, 404, -1_000_000, i64::MAX, i64::MIN] {
                let mut out = Vec::new();
                write_int(n, width, &mut out);
                assert_eq!(out, alloc::format!("{n:0width$}").as_bytes(), "{n} {width}");
            }
        }
    }
}
