//! Evaluating command operators against a request's attributes.

use super::flags;
use super::format::{HeaderSource, Operator};
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

fn prop(src: &dyn AttributeSource, path: &[&str]) -> Value {
    text(src.property(path))
}

fn header(src: &dyn AttributeSource, source: HeaderSource, name: &str) -> Option<Vec<u8>> {
    let map = match source {
        HeaderSource::Request => HeaderMap::RequestHeaders,
        HeaderSource::Response => HeaderMap::ResponseHeaders,
        HeaderSource::Trailer => HeaderMap::ResponseTrailers,
    };
    src.header(map, name)
}

/// Evaluates `operator` for the request behind `src`.
pub fn evaluate(operator: &Operator, src: &dyn AttributeSource) -> Value {
    match operator {
        Operator::StartTime => match src.property_i64(&["request", "time"]) {
            Some(nanos) => {
                let mut out = Vec::with_capacity(24);
                time::format_default(nanos, &mut out);
                Value::Text(out)
            }
            None => Value::Absent,
        },
        Operator::Header {
            source,
            name,
            alternative,
        } => {
            // A header present with an empty value prints as empty, not as unset.
            match header(src, *source, name).or_else(|| {
                alternative
                    .as_deref()
                    .and_then(|alt| header(src, *source, alt))
            }) {
                Some(v) => Value::Text(v),
                None => Value::Absent,
            }
        }
        Operator::Protocol => prop(src, &["request", "protocol"]),
        Operator::ResponseCode => {
            Value::Number(src.property_i64(&["response", "code"]).unwrap_or(0))
        }
        Operator::ResponseFlags => {
            let bits = src.property_i64(&["response", "flags"]).unwrap_or(0) as u64;
            let mut out = Vec::new();
            flags::write_short_codes(bits, &mut out);
            Value::Text(out)
        }
        Operator::ResponseCodeDetails => prop(src, &["response", "code_details"]),
        Operator::ConnectionTerminationDetails => prop(src, &["connection", "termination_details"]),
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
        Operator::BytesSent => Value::Number(src.property_i64(&["response", "size"]).unwrap_or(0)),
        Operator::Duration => match src.property_i64(&["request", "duration"]) {
            Some(ns) => Value::Number(ns / 1_000_000),
            None => Value::Absent,
        },
        Operator::UpstreamHost => prop(src, &["upstream", "address"]),
        Operator::UpstreamClusterRaw => prop(src, &["xds", "cluster_name"]),
        Operator::UpstreamLocalAddress => prop(src, &["upstream", "local_address"]),
        Operator::DownstreamLocalAddress => prop(src, &["destination", "address"]),
        Operator::DownstreamRemoteAddress => prop(src, &["source", "address"]),
        Operator::RequestedServerName => prop(src, &["connection", "requested_server_name"]),
        Operator::RouteName => prop(src, &["xds", "route_name"]),
    }
}

/// Body bytes received: the request's wire size less its headers, else its body size.
fn bytes_received(src: &dyn AttributeSource) -> i64 {
    let total = src.property_i64(&["request", "total_size"]);
    let headers = src.property_i64(&["request", "headers_bytes"]);
    match (total, headers) {
        (Some(t), Some(h)) if t >= h => t - h,
        _ => src.property_i64(&["request", "size"]).unwrap_or(0),
    }
}
