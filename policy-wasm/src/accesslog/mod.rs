//! Access-log records exactly as Envoy's file access logger writes them for Istio.
//!
//! The same code runs in the proxy filter, the playground and `meshtel`, so a record previewed
//! anywhere is byte-for-byte the record the filter writes.

mod flags;
mod format;
mod render;
mod time;

pub use format::{Command, FormatError, HeaderSource, Operator, Piece, parse};
pub use render::{Value, evaluate};

use crate::attributes::AttributeSource;
use alloc::vec::Vec;

/// Istio's default TEXT format (`EnvoyTextLogFormat`), without the trailing newline Envoy's file
/// logger adds.
pub const ISTIO_TEXT_FORMAT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%";

/// A compiled TEXT formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextFormatter {
    pieces: Vec<Piece>,
    omit_empty_values: bool,
}

impl TextFormatter {
    /// Compiles `format`; a trailing newline is dropped (the proxy log adds its own line break).
    pub fn new(format: &str, omit_empty_values: bool) -> Result<Self, FormatError> {
        let format = format.strip_suffix('\n').unwrap_or(format);
        Ok(TextFormatter {
            pieces: parse(format)?,
            omit_empty_values,
        })
    }

    /// Istio's default TEXT formatter.
    pub fn istio_default() -> Self {
        // The constant is known to parse; a failure would be caught by the unit tests.
        Self::new(ISTIO_TEXT_FORMAT, false).unwrap_or(TextFormatter {
            pieces: Vec::new(),
            omit_empty_values: false,
        })
    }

    /// Renders one record for the request behind `src`, appending to `out`.
    pub fn render(&self, src: &dyn AttributeSource, out: &mut Vec<u8>) {
        for piece in &self.pieces {
            match piece {
                Piece::Literal(text) => out.extend_from_slice(text),
                Piece::Command(cmd) => {
                    let start = out.len();
                    match evaluate(&cmd.operator, src) {
                        Value::Absent if self.omit_empty_values => {}
                        Value::Absent => out.push(b'-'),
                        Value::Text(t) => out.extend_from_slice(&t),
                        Value::Number(n) => out.extend_from_slice(alloc::format!("{n}").as_bytes()),
                    }
                    if let Some(max) = cmd.max_len {
                        out.truncate(start + max.min(out.len() - start));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_default_format_compiles_to_24_operators() {
        let f = TextFormatter::new(ISTIO_TEXT_FORMAT, false).unwrap();
        let ops = f
            .pieces
            .iter()
            .filter(|p| matches!(p, Piece::Command(_)))
            .count();
        assert_eq!(ops, 24);
    }
}
