//! JSON records as Envoy's `json_format` writes them: keys in alphabetical order (the configured
//! object is a protobuf `Struct`), typed values for single operators, `null` for unset.

use super::format::{FormatError, Piece, parse};
use super::render::{Value, evaluate, put};
use super::text::render_pieces;
use crate::attributes::AttributeSource;
use crate::sorted_map::SortedMap;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Istio's default JSON labels (`EnvoyJSONLogFormatIstio`), used when `logFormat.labels` is `{}`.
pub const ISTIO_JSON_LABELS: [(&str, &str); 24] = [
    ("start_time", "%START_TIME%"),
    ("route_name", "%ROUTE_NAME%"),
    ("method", "%REQ(:METHOD)%"),
    ("path", "%REQ(X-ENVOY-ORIGINAL-PATH?:PATH)%"),
    ("protocol", "%PROTOCOL%"),
    ("response_code", "%RESPONSE_CODE%"),
    ("response_flags", "%RESPONSE_FLAGS%"),
    ("response_code_details", "%RESPONSE_CODE_DETAILS%"),
    (
        "connection_termination_details",
        "%CONNECTION_TERMINATION_DETAILS%",
    ),
    ("bytes_received", "%BYTES_RECEIVED%"),
    ("bytes_sent", "%BYTES_SENT%"),
    ("duration", "%DURATION%"),
    (
        "upstream_service_time",
        "%RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)%",
    ),
    ("x_forwarded_for", "%REQ(X-FORWARDED-FOR)%"),
    ("user_agent", "%REQ(USER-AGENT)%"),
    ("request_id", "%REQ(X-REQUEST-ID)%"),
    ("authority", "%REQ(:AUTHORITY)%"),
    ("upstream_host", "%UPSTREAM_HOST%"),
    ("upstream_cluster", "%UPSTREAM_CLUSTER_RAW%"),
    ("upstream_local_address", "%UPSTREAM_LOCAL_ADDRESS%"),
    ("downstream_local_address", "%DOWNSTREAM_LOCAL_ADDRESS%"),
    ("downstream_remote_address", "%DOWNSTREAM_REMOTE_ADDRESS%"),
    ("requested_server_name", "%REQUESTED_SERVER_NAME%"),
    (
        "upstream_transport_failure_reason",
        "%UPSTREAM_TRANSPORT_FAILURE_REASON%",
    ),
];

/// How one key's value is produced.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Template {
    /// The value is exactly one operator: typed output.
    Single(Piece),
    /// Text mixed with operators: always a string.
    Mixed(Vec<Piece>),
}

/// A compiled JSON formatter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JsonFormatter {
    /// Each key already written as JSON with its colon (`"key":`), and its value's template.
    keys: Vec<(Vec<u8>, Template)>,
    omit_empty_values: bool,
}

impl JsonFormatter {
    /// Compiles `labels` (key → format string); an error names the key.
    pub fn new(
        labels: &[(&str, &str)],
        omit_empty_values: bool,
    ) -> Result<Self, (String, FormatError)> {
        let mut sorted = SortedMap::new();
        for &(key, format) in labels {
            let pieces = parse(format).map_err(|e| (key.to_string(), e))?;
            let template = match <[Piece; 1]>::try_from(pieces) {
                Ok([piece @ Piece::Command(_)]) => Template::Single(piece),
                Ok([piece]) => Template::Mixed(alloc::vec![piece]),
                Err(pieces) => Template::Mixed(pieces),
            };
            sorted.insert(key.to_string(), template);
        }
        Ok(JsonFormatter {
            keys: sorted
                .into_iter()
                .map(|(key, template)| {
                    let mut written = Vec::with_capacity(key.len() + 3);
                    write_string(key.as_bytes(), &mut written);
                    written.push(b':');
                    (written, template)
                })
                .collect(),
            omit_empty_values,
        })
    }

    /// Istio's default JSON formatter.
    pub fn istio_default(omit_empty_values: bool) -> Self {
        Self::new(&ISTIO_JSON_LABELS, omit_empty_values).unwrap_or(JsonFormatter {
            keys: Vec::new(),
            omit_empty_values,
        })
    }

    /// Renders one record (one JSON object, no newline), appending to `out`.
    pub fn render(&self, src: &dyn AttributeSource, out: &mut Vec<u8>) {
        out.push(b'{');
        let mut first = true;
        for (key, template) in &self.keys {
            let before_key = out.len();
            if !first {
                out.push(b',');
            }
            put(out, key);
            // A string's opening quote goes first, its bytes raw after it; they are escaped
            // afterwards in the rare case they must be.
            let quoted =
                !matches!(template, Template::Single(Piece::Command(c)) if c.operator.is_numeric());
            if quoted {
                out.push(b'"');
            }
            let at = out.len();
            let value = match template {
                Template::Single(Piece::Command(cmd)) => {
                    let value = evaluate(&cmd.operator, src, out);
                    if let (Value::Text, Some(max)) = (value, cmd.max_len) {
                        out.truncate(at + max.min(out.len() - at));
                    }
                    value
                }
                Template::Single(Piece::Literal(t)) => {
                    put(out, t);
                    Value::Text
                }
                Template::Mixed(pieces) => {
                    render_pieces(pieces, src, false, out);
                    Value::Text
                }
            };
            match value {
                Value::Absent if self.omit_empty_values => {
                    out.truncate(before_key);
                    continue;
                }
                Value::Absent => {
                    out.truncate(at - usize::from(quoted));
                    put(out, b"null");
                }
                Value::Number if !quoted => {}
                _ if quoted => close_string(out, at),
                // Text from an operator `is_numeric` calls a number: quoted after all.
                _ => {
                    out.insert(at, b'"');
                    close_string(out, at + 1);
                }
            }
            first = false;
        }
        out.push(b'}');
    }
}

/// Ends the JSON string whose raw bytes are `out[at..]` (its opening quote just before). Values
/// are nearly always plain ASCII, which only needs the closing quote; anything else is rewritten
/// by [`write_string`].
fn close_string(out: &mut Vec<u8>, at: usize) {
    let plain = out[at..]
        .iter()
        .all(|&b| (0x20..0x80).contains(&b) && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
    } else {
        let raw = out.split_off(at - 1);
        write_string(&raw[1..], out);
    }
}

/// Writes `bytes` as a JSON string the way Envoy's JSON sanitizer does: quotes, backslashes and
/// control characters escaped, valid UTF-8 kept, each byte of invalid UTF-8 written as `\u00XX`
/// (observed on Envoy 1.40: a Latin-1 `é` comes out as `\u00e9`).
pub fn write_string(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    for chunk in bytes.utf8_chunks() {
        let valid = chunk.valid().as_bytes();
        // Runs of bytes that need no escape are copied at once, not byte by byte.
        let mut run = 0;
        for (at, &b) in valid.iter().enumerate() {
            let escaped: &[u8] = match b {
                b'"' => b"\\\"",
                b'\\' => b"\\\\",
                b'\n' => b"\\n",
                b'\r' => b"\\r",
                b'\t' => b"\\t",
                0x08 => b"\\b",
                0x0c => b"\\f",
                0..=0x1f => b"",
                _ => continue,
            };
            out.extend_from_slice(&valid[run..at]);
            run = at + 1;
            if escaped.is_empty() {
                escape_byte(b, out);
            } else {
                out.extend_from_slice(escaped);
            }
        }
        out.extend_from_slice(&valid[run..]);
        for &b in chunk.invalid() {
            escape_byte(b, out);
        }
    }
    out.push(b'"');
}

fn escape_byte(b: u8, out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.extend_from_slice(b"\\u00");
    out.push(HEX[usize::from(b >> 4)]);
    out.push(HEX[usize::from(b & 0xf)]);
}

#[cfg(test)]
mod tests {
    use super::write_string;

    #[test]
    fn strings_escape_as_envoy_writes_them() {
        let mut out = Vec::new();
        write_string(b"a\"b\\c\nd\x01\te\xe9f/", &mut out);
        assert_eq!(out, br#""a\"b\\c\nd\u0001\te\u00e9f/""#);
    }
}
