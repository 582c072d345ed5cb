//! Access-log records exactly as Envoy's file access logger writes them for Istio.
//!
//! The same code runs in the proxy filter, the playground and `meshtel`, so a record previewed
//! anywhere is byte-for-byte the record the filter writes.

pub mod flags;
mod format;
mod json;
mod render;
mod text;
mod time;

pub use format::{
    AddressPart, Command, FormatError, HeaderSource, Operator, Piece, PropertyKind, parse,
};
pub use json::{ISTIO_JSON_LABELS, JsonFormatter, write_string as write_json_string};
pub use render::{Value, evaluate, write_int};
pub use text::TextFormatter;
pub use time::TimeFormat;

use crate::attributes::AttributeSource;
use alloc::vec::Vec;

/// Istio's default TEXT format (`EnvoyTextLogFormat`), without the trailing newline Envoy's file
/// logger adds.
pub const ISTIO_TEXT_FORMAT: &str = "[%START_TIME%] \"%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%\" %RESPONSE_CODE% %RESPONSE_FLAGS% %RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS% \"%UPSTREAM_TRANSPORT_FAILURE_REASON%\" %BYTES_RECEIVED% %BYTES_SENT% %DURATION% %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% \"%REQ(X-FORWARDED-FOR)%\" \"%REQ(USER-AGENT)%\" \"%REQ(X-REQUEST-ID)%\" \"%REQ(:AUTHORITY)%\" \"%UPSTREAM_HOST%\" %UPSTREAM_CLUSTER_RAW% %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% %REQUESTED_SERVER_NAME% %ROUTE_NAME%";

/// A record formatter of either encoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Formatter {
    /// A TEXT line.
    Text(TextFormatter),
    /// A JSON object.
    Json(JsonFormatter),
}

impl Formatter {
    /// Renders one record, appending to `out`.
    pub fn render(&self, src: &dyn AttributeSource, out: &mut Vec<u8>) {
        match self {
            Formatter::Text(f) => f.render(src, out),
            Formatter::Json(f) => f.render(src, out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn istio_default_format_compiles_to_24_operators() {
        let f = TextFormatter::new(ISTIO_TEXT_FORMAT, false).unwrap();
        assert_eq!(f.operator_count(), 24);
        let json = JsonFormatter::new(&ISTIO_JSON_LABELS, false);
        assert!(json.is_ok());
    }
}
