//! Parsing Envoy format strings (`[%START_TIME%] "%REQ(:METHOD)% …"`) into literal text and
//! command operators, and compiling operators into what the filter can serve.

use crate::attributes::Path;
use crate::path;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use thiserror::Error;

/// Why a format string cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FormatError {
    /// A `%` opens an operator that is never closed.
    #[error("unterminated command operator starting at byte {0}")]
    Unterminated(usize),
    /// The operator name is not one meshtel can render from proxy-wasm properties.
    #[error("command operator %{0}% is not supported by the meshtel filter")]
    Unsupported(String),
    /// The operator needs an argument (`REQ(...)`) or has a malformed one.
    #[error("command operator %{operator}% has an invalid argument: {reason}")]
    BadArgument {
        /// The operator as written.
        operator: String,
        /// What is wrong.
        reason: String,
    },
}

/// One piece of a parsed format string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece {
    /// Text copied as is.
    Literal(Vec<u8>),
    /// A command operator to evaluate per request.
    Command(Command),
}

/// A command operator with its argument and optional maximum length.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    /// What to print.
    pub operator: Operator,
    /// `:N` truncation, in bytes.
    pub max_len: Option<usize>,
}

/// Which header map a header operator reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderSource {
    /// `%REQ(...)%`.
    Request,
    /// `%RESP(...)%`.
    Response,
    /// `%TRAILER(...)%`.
    Trailer,
}

/// How a property-backed operator prints its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PropertyKind {
    /// Text; absent or empty is unset.
    Text,
    /// An 8-byte integer printed as a number; absent is unset.
    Number,
    /// An 8-byte integer printed as a number; absent is `0`.
    NumberOrZero,
}

/// Which part of an `ip:port` address an operator prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressPart {
    /// The IP without the port (IPv6 without brackets).
    Ip,
    /// The port, as a number.
    Port,
}

/// The command operators the filter can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// `%START_TIME%` or `%START_TIME(strftime)%`.
    StartTime(Option<super::time::TimeFormat>),
    /// `%REQ(X?Y)%`, `%RESP(...)%`, `%TRAILER(...)%`, `%REQ_WITHOUT_QUERY(...)%`.
    Header {
        /// Which map.
        source: HeaderSource,
        /// Primary header name, lower case.
        name: String,
        /// Alternative header name, lower case.
        alternative: Option<String>,
        /// Drop everything from the first `?` (REQ_WITHOUT_QUERY).
        without_query: bool,
    },
    /// An operator read straight from one property.
    Property {
        /// Property path.
        path: Path,
        /// How the value prints.
        kind: PropertyKind,
    },
    /// Part of an address property.
    Address {
        /// Property path holding `ip:port`.
        path: Path,
        /// What to print.
        part: AddressPart,
    },
    /// `%RESPONSE_CODE%` (`0` when no response was sent).
    ResponseCode,
    /// `%RESPONSE_FLAGS%` (short codes) or `%RESPONSE_FLAGS_LONG%`.
    ResponseFlags {
        /// Long names (`UpstreamConnectionFailure`) instead of short codes.
        long: bool,
    },
    /// `%UPSTREAM_TRANSPORT_FAILURE_REASON%` (spaces become `_`).
    UpstreamTransportFailureReason,
    /// `%BYTES_RECEIVED%`: request body bytes.
    BytesReceived,
    /// `%DURATION%`: milliseconds, truncated.
    Duration,
}

impl Operator {
    /// True when the operator prints a number (or nothing): JSON writes it unquoted.
    pub fn is_numeric(&self) -> bool {
        match self {
            Operator::Property { kind, .. } => *kind != PropertyKind::Text,
            Operator::Address { part, .. } => *part == AddressPart::Port,
            Operator::ResponseCode | Operator::BytesReceived | Operator::Duration => true,
            Operator::StartTime(_)
            | Operator::Header { .. }
            | Operator::ResponseFlags { .. }
            | Operator::UpstreamTransportFailureReason => false,
        }
    }
}

/// Operators served by reading one property, by name.
const PROPERTY_OPERATORS: &[(&str, Path, PropertyKind)] = &[
    ("PROTOCOL", path!("request", "protocol"), PropertyKind::Text),
    (
        "RESPONSE_CODE_DETAILS",
        path!("response", "code_details"),
        PropertyKind::Text,
    ),
    (
        "CONNECTION_TERMINATION_DETAILS",
        path!("connection", "termination_details"),
        PropertyKind::Text,
    ),
    (
        "BYTES_SENT",
        path!("response", "size"),
        PropertyKind::NumberOrZero,
    ),
    (
        "UPSTREAM_HOST",
        path!("upstream", "address"),
        PropertyKind::Text,
    ),
    (
        "UPSTREAM_REMOTE_ADDRESS",
        path!("upstream", "address"),
        PropertyKind::Text,
    ),
    (
        "UPSTREAM_CLUSTER_RAW",
        path!("xds", "cluster_name"),
        PropertyKind::Text,
    ),
    (
        "UPSTREAM_LOCAL_ADDRESS",
        path!("upstream", "local_address"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_LOCAL_ADDRESS",
        path!("destination", "address"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_REMOTE_ADDRESS",
        path!("source", "address"),
        PropertyKind::Text,
    ),
    (
        "REQUESTED_SERVER_NAME",
        path!("connection", "requested_server_name"),
        PropertyKind::Text,
    ),
    ("ROUTE_NAME", path!("xds", "route_name"), PropertyKind::Text),
    (
        "CONNECTION_ID",
        path!("connection", "id"),
        PropertyKind::Number,
    ),
    (
        "UPSTREAM_REQUEST_ATTEMPT_COUNT",
        path!("upstream", "request_attempt_count"),
        PropertyKind::Number,
    ),
    (
        "DOWNSTREAM_TLS_VERSION",
        path!("connection", "tls_version"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_PEER_URI_SAN",
        path!("connection", "uri_san_peer_certificate"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_LOCAL_URI_SAN",
        path!("connection", "uri_san_local_certificate"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_PEER_SUBJECT",
        path!("connection", "subject_peer_certificate"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_LOCAL_SUBJECT",
        path!("connection", "subject_local_certificate"),
        PropertyKind::Text,
    ),
    (
        "DOWNSTREAM_PEER_FINGERPRINT_256",
        path!("connection", "sha256_peer_certificate_digest"),
        PropertyKind::Text,
    ),
    (
        "UPSTREAM_TLS_VERSION",
        path!("upstream", "tls_version"),
        PropertyKind::Text,
    ),
    (
        "REQUEST_HEADERS_BYTES",
        path!("request", "headers_bytes"),
        PropertyKind::NumberOrZero,
    ),
    (
        "RESPONSE_HEADERS_BYTES",
        path!("response", "headers_bytes"),
        PropertyKind::NumberOrZero,
    ),
];

/// Operators that print part of an address property, by name.
const ADDRESS_OPERATORS: &[(&str, Path, AddressPart)] = &[
    (
        "DOWNSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        path!("source", "address"),
        AddressPart::Ip,
    ),
    (
        "DOWNSTREAM_REMOTE_PORT",
        path!("source", "address"),
        AddressPart::Port,
    ),
    (
        "DOWNSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        path!("destination", "address"),
        AddressPart::Ip,
    ),
    (
        "DOWNSTREAM_LOCAL_PORT",
        path!("destination", "address"),
        AddressPart::Port,
    ),
    (
        "UPSTREAM_LOCAL_ADDRESS_WITHOUT_PORT",
        path!("upstream", "local_address"),
        AddressPart::Ip,
    ),
    (
        "UPSTREAM_LOCAL_PORT",
        path!("upstream", "local_address"),
        AddressPart::Port,
    ),
    (
        "UPSTREAM_REMOTE_ADDRESS_WITHOUT_PORT",
        path!("upstream", "address"),
        AddressPart::Ip,
    ),
    (
        "UPSTREAM_REMOTE_PORT",
        path!("upstream", "address"),
        AddressPart::Port,
    ),
];

/// Parses and compiles a format string. Every operator is checked here, so an operator the filter
/// cannot serve is refused at configure time rather than printed wrong.
pub fn parse(format: &str) -> Result<Vec<Piece>, FormatError> {
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
        let end = find_operator_end(bytes, i + 1).ok_or(FormatError::Unterminated(i))?;
        let body = &format[i + 1..end];
        if body.is_empty() {
            literal.push(b'%'); // `%%` is an escaped percent sign
        } else {
            if !literal.is_empty() {
                pieces.push(Piece::Literal(core::mem::take(&mut literal)));
            }
            pieces.push(Piece::Command(compile(body)?));
        }
        i = end + 1;
    }
    if !literal.is_empty() {
        pieces.push(Piece::Literal(literal));
    }
    Ok(pieces)
}

/// Finds the `%` closing an operator, skipping `%` inside a parenthesised argument.
fn find_operator_end(bytes: &[u8], from: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (j, &b) in bytes.iter().enumerate().skip(from) {
        match b {
            b'(' => depth += 1,
            b')' => depth = depth.saturating_sub(1),
            b'%' if depth == 0 => return Some(j),
            _ => {}
        }
    }
    None
}

fn compile(body: &str) -> Result<Command, FormatError> {
    let (head, max_len) = split_max_len(body)?;
    let (name, arg) = match head.find('(') {
        Some(open) if head.ends_with(')') => (&head[..open], Some(&head[open + 1..head.len() - 1])),
        Some(_) => return Err(bad(body, "unbalanced parentheses")),
        None => (head, None),
    };
    let no_arg = |op: Operator| match arg {
        None => Ok(op),
        Some(_) => Err(bad(body, "takes no argument")),
    };
    if let Some((_, path, kind)) = PROPERTY_OPERATORS.iter().find(|(n, _, _)| *n == name) {
        return Ok(Command {
            operator: no_arg(Operator::Property {
                path: *path,
                kind: *kind,
            })?,
            max_len,
        });
    }
    if let Some((_, path, part)) = ADDRESS_OPERATORS.iter().find(|(n, _, _)| *n == name) {
        return Ok(Command {
            operator: no_arg(Operator::Address {
                path: *path,
                part: *part,
            })?,
            max_len,
        });
    }
    let operator = match name {
        "START_TIME" => match arg {
            None => Operator::StartTime(None),
            Some(f) => Operator::StartTime(Some(
                super::time::TimeFormat::parse(f).map_err(|reason| bad(body, &reason))?,
            )),
        },
        "REQ" => header(HeaderSource::Request, body, arg, false)?,
        "REQ_WITHOUT_QUERY" => header(HeaderSource::Request, body, arg, true)?,
        "RESP" => header(HeaderSource::Response, body, arg, false)?,
        "TRAILER" => header(HeaderSource::Trailer, body, arg, false)?,
        "RESPONSE_CODE" => no_arg(Operator::ResponseCode)?,
        "RESPONSE_FLAGS" => no_arg(Operator::ResponseFlags { long: false })?,
        "RESPONSE_FLAGS_LONG" => no_arg(Operator::ResponseFlags { long: true })?,
        "UPSTREAM_TRANSPORT_FAILURE_REASON" => no_arg(Operator::UpstreamTransportFailureReason)?,
        "BYTES_RECEIVED" => no_arg(Operator::BytesReceived)?,
        "DURATION" => no_arg(Operator::Duration)?,
        _ => return Err(FormatError::Unsupported(body.to_string())),
    };
    Ok(Command { operator, max_len })
}

fn split_max_len(body: &str) -> Result<(&str, Option<usize>), FormatError> {
    // Bytes, not `str` patterns: `:` and `)` are ASCII, and the digits are read by hand, so
    // no searcher or integer parser is compiled in for this.
    let bytes = body.as_bytes();
    let Some(colon) = bytes.iter().rposition(|&b| b == b':') else {
        return Ok((body, None));
    };
    let (head, digits) = (&body[..colon], &bytes[colon + 1..]);
    // (All digits also means no `)` after the colon: `%REQ(a:b)%` has no length.)
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return Ok((body, None));
    }
    let n = digits
        .iter()
        .try_fold(0usize, |n, d| {
            n.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        })
        .ok_or_else(|| bad(body, "length out of range"))?;
    Ok((head, Some(n)))
}

fn header(
    source: HeaderSource,
    body: &str,
    arg: Option<&str>,
    without_query: bool,
) -> Result<Operator, FormatError> {
    let arg = arg
        .filter(|a| !a.is_empty())
        .ok_or_else(|| bad(body, "a header name is required"))?;
    let (name, alternative) = match arg.split_once('?') {
        Some((a, b)) if !a.is_empty() && !b.is_empty() => (a, Some(b.to_ascii_lowercase())),
        Some(_) => return Err(bad(body, "empty header name around '?'")),
        None => (arg, None),
    };
    Ok(Operator::Header {
        source,
        name: name.to_ascii_lowercase(),
        alternative,
        without_query,
    })
}

fn bad(operator: &str, reason: &str) -> FormatError {
    FormatError::BadArgument {
        operator: operator.to_string(),
        reason: reason.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_headers_alternatives_and_lengths() {
        let pieces = parse("\"%REQ(X-ENVOY-ORIGINAL-PATH?:PATH):10%\" 100%%").unwrap();
        assert_eq!(
            pieces,
            [
                Piece::Literal(b"\"".to_vec()),
                Piece::Command(Command {
                    operator: Operator::Header {
                        source: HeaderSource::Request,
                        name: "x-envoy-original-path".into(),
                        alternative: Some(":path".into()),
                        without_query: false,
                    },
                    max_len: Some(10),
                }),
                Piece::Literal(b"\" 100%".to_vec()),
            ]
        );
    }

    #[test]
    fn refuses_unknown_and_broken_operators() {
        assert_eq!(
            parse("%NOPE%"),
            Err(FormatError::Unsupported("NOPE".into()))
        );
        assert_eq!(parse("abc %REQ(:PATH)"), Err(FormatError::Unterminated(4)));
        assert!(matches!(
            parse("%REQ()%"),
            Err(FormatError::BadArgument { .. })
        ));
        assert!(matches!(
            parse("%PROTOCOL(x)%"),
            Err(FormatError::BadArgument { .. })
        ));
    }
}
