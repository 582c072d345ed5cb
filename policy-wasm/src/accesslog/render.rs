//! Evaluating command operators against a request's attributes.

use super::flags;
use super::format::{AddressPart, HeaderSource, Operator, PropertyKind};
use super::time;
use crate::attributes::{AttributeSource, HeaderMap};
use alloc::vec::Vec;

/// The value of one operator for one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    /// Unset: `-` in TEXT, `null` in JSON.
    Absent,
    /// Text (bytes as the proxy saw them).
    Text(Vec<u8>),
    /// A number (JSON prints it unquoted).
    Number(i64),
}

fn text(bytes: Option<Vec<u8>>) -> Value {
    match bytes {
        Some(b) if !b.is_empty() => Value::Text(b),
        _ => Value::Absent,
    }
}

fn header(src: &dyn AttributeSource, source: HeaderSource, name: &str) -> Option<Vec<u8>> {
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

fn address_part(bytes: Option<Vec<u8>>, part: AddressPart) -> Value {
    let Some(bytes) = bytes.filter(|b| !b.is_empty()) else {
        return Value::Absent;
    };
    match (split_address(&bytes), part) {
        (Some((ip, _)), AddressPart::Ip) => Value::Text(ip.to_vec()),
        (Some((_, port)), AddressPart::Port) => core::str::from_utf8(port)
            .ok()
            .and_then(|p| p.parse().ok())
            .map_or(Value::Absent, Value::Number),
        // A pipe or other non-IP address has no port.
        (None, AddressPart::Ip) => Value::Text(bytes),
        (None, AddressPart::Port) => Value::Absent,
    }
}

/// Evaluates `operator` for the request behind `src`.
pub fn evaluate(operator: &Operator, src: &dyn AttributeSource) -> Value {
    match operator {
        Operator::StartTime(format) => match src.property_i64(&["request", "time"]) {
            Some(nanos) => {
                let mut out = Vec::with_capacity(24);
                match format {
                    None => time::format_default(nanos, &mut out),
                    Some(f) => f.render(nanos, &mut out),
                }
                Value::Text(out)
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
                Some(mut v) => {
                    if *without_query && let Some(q) = v.iter().position(|b| *b == b'?') {
                        v.truncate(q);
                    }
                    Value::Text(v)
                }
                None => Value::Absent,
            }
        }
        Operator::Property { path, kind } => match kind {
            PropertyKind::Text => text(src.property(path)),
            PropertyKind::Number => src.property_i64(path).map_or(Value::Absent, Value::Number),
            PropertyKind::NumberOrZero => Value::Number(src.property_i64(path).unwrap_or(0)),
        },
        Operator::Address { path, part } => address_part(src.property(path), *part),
        Operator::ResponseCode => {
            Value::Number(src.property_i64(&["response", "code"]).unwrap_or(0))
        }
        Operator::ResponseFlags { long } => {
            let bits = src.property_i64(&["response", "flags"]).unwrap_or(0) as u64;
            let mut out = Vec::new();
            flags::write_codes(bits, *long, &mut out);
            Value::Text(out)
        }
        Operator::UpstreamTransportFailureReason => {
            match src.property(&["upstream", "transport_failure_reason"]) {
                Some(mut reason) if !reason.is_empty() => {
                    reason
                        .iter_mut()
                        .filter(|b| **b == b' ')
                        .for_each(|b| *b = b'_');
                    Value::Text(reason)
                }
                _ => Value::Absent,
            }
        }
        Operator::BytesReceived => Value::Number(bytes_received(src)),
        Operator::Duration => match src.property_i64(&["request", "duration"]) {
            Some(ns) => Value::Number(ns / 1_000_000),
            None => Value::Absent,
        },
    }
}

/// Body bytes received: the request's wire size less its headers, else its body size.
fn bytes_received(src: &dyn AttributeSource) -> i64 {
    let total = src.property_i64(&["request", "total_size"]);
    let headers = src.property_i64(&["request", "headers_bytes"]);
    match (total, headers) {
        // `headers_bytes` is unsigned: read as i64 a huge value is negative, and `t - h` overflows.
        (Some(t), Some(h)) if h >= 0 && t >= h => t - h,
        _ => src.property_i64(&["request", "size"]).unwrap_or(0),
    }
}

/// Appends `value` in decimal, zero-padded to `width` characters sign included: what
/// `format!("{value:0width$}")` prints, without the formatting machinery (which costs more per
/// number than the rest of a record's work).
pub fn write_int(value: i64, width: usize, out: &mut Vec<u8>) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    let mut rest = value.unsigned_abs();
    loop {
        at -= 1;
        digits[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    let sign = usize::from(value < 0);
    if sign == 1 {
        out.push(b'-');
    }
    let zeros = width.saturating_sub(digits.len() - at + sign);
    out.resize(out.len() + zeros, b'0');
    out.extend_from_slice(&digits[at..]);
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
