//! Parsing Envoy format strings (`[%START_TIME%] "%REQ(:METHOD)% …"`) into literal text and
//! command operators, and compiling operators into what the filter can serve.

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

/// The command operators the filter can serve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operator {
    /// `%START_TIME%` (default rendering; custom strftime formats come with the full formatter).
    StartTime,
    /// `%REQ(X?Y)%`, `%RESP(...)%`, `%TRAILER(...)%`: a header with an optional alternative.
    Header {
        /// Which map.
        source: HeaderSource,
        /// Primary header name, lower case.
        name: String,
        /// Alternative header name, lower case.
        alternative: Option<String>,
    },
    /// `%PROTOCOL%`.
    Protocol,
    /// `%RESPONSE_CODE%`.
    ResponseCode,
    /// `%RESPONSE_FLAGS%`.
    ResponseFlags,
    /// `%RESPONSE_CODE_DETAILS%`.
    ResponseCodeDetails,
    /// `%CONNECTION_TERMINATION_DETAILS%`.
    ConnectionTerminationDetails,
    /// `%UPSTREAM_TRANSPORT_FAILURE_REASON%`.
    UpstreamTransportFailureReason,
    /// `%BYTES_RECEIVED%`.
    BytesReceived,
    /// `%BYTES_SENT%`.
    BytesSent,
    /// `%DURATION%`.
    Duration,
    /// `%UPSTREAM_HOST%`.
    UpstreamHost,
    /// `%UPSTREAM_CLUSTER_RAW%`.
    UpstreamClusterRaw,
    /// `%UPSTREAM_LOCAL_ADDRESS%`.
    UpstreamLocalAddress,
    /// `%DOWNSTREAM_LOCAL_ADDRESS%`.
    DownstreamLocalAddress,
    /// `%DOWNSTREAM_REMOTE_ADDRESS%`.
    DownstreamRemoteAddress,
    /// `%REQUESTED_SERVER_NAME%`.
    RequestedServerName,
    /// `%ROUTE_NAME%`.
    RouteName,
}

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
    let operator = match name {
        "START_TIME" => match arg {
            None => Operator::StartTime,
            Some(_) => return Err(FormatError::Unsupported(body.to_string())),
        },
        "REQ" => header(HeaderSource::Request, body, arg)?,
        "RESP" => header(HeaderSource::Response, body, arg)?,
        "TRAILER" => header(HeaderSource::Trailer, body, arg)?,
        "PROTOCOL" => no_arg(Operator::Protocol)?,
        "RESPONSE_CODE" => no_arg(Operator::ResponseCode)?,
        "RESPONSE_FLAGS" => no_arg(Operator::ResponseFlags)?,
        "RESPONSE_CODE_DETAILS" => no_arg(Operator::ResponseCodeDetails)?,
        "CONNECTION_TERMINATION_DETAILS" => no_arg(Operator::ConnectionTerminationDetails)?,
        "UPSTREAM_TRANSPORT_FAILURE_REASON" => no_arg(Operator::UpstreamTransportFailureReason)?,
        "BYTES_RECEIVED" => no_arg(Operator::BytesReceived)?,
        "BYTES_SENT" => no_arg(Operator::BytesSent)?,
        "DURATION" => no_arg(Operator::Duration)?,
        "UPSTREAM_HOST" => no_arg(Operator::UpstreamHost)?,
        "UPSTREAM_CLUSTER_RAW" => no_arg(Operator::UpstreamClusterRaw)?,
        "UPSTREAM_LOCAL_ADDRESS" => no_arg(Operator::UpstreamLocalAddress)?,
        "DOWNSTREAM_LOCAL_ADDRESS" => no_arg(Operator::DownstreamLocalAddress)?,
        "DOWNSTREAM_REMOTE_ADDRESS" => no_arg(Operator::DownstreamRemoteAddress)?,
        "REQUESTED_SERVER_NAME" => no_arg(Operator::RequestedServerName)?,
        "ROUTE_NAME" => no_arg(Operator::RouteName)?,
        _ => return Err(FormatError::Unsupported(body.to_string())),
    };
    Ok(Command { operator, max_len })
}

fn split_max_len(body: &str) -> Result<(&str, Option<usize>), FormatError> {
    match body.rfind(':') {
        Some(colon)
            if body[colon + 1..].bytes().all(|b| b.is_ascii_digit())
                && colon + 1 < body.len()
                && !body[colon..].contains(')') =>
        {
            let n = body[colon + 1..]
                .parse()
                .map_err(|_| bad(body, "length out of range"))?;
            Ok((&body[..colon], Some(n)))
        }
        _ => Ok((body, None)),
    }
}

fn header(source: HeaderSource, body: &str, arg: Option<&str>) -> Result<Operator, FormatError> {
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
