//! How the engine reads a request's attributes: a lazy source implemented by the proxy filter
//! (over proxy-wasm host calls), by the wasmtime host's fixtures and by the playground.
//!
//! Values arrive encoded as Envoy serialises them for `proxy_get_property`: strings and bytes raw,
//! integers, timestamps and durations as 8-byte little-endian (timestamps/durations in
//! nanoseconds), bools as one byte.

use alloc::vec::Vec;

/// The four header maps of an HTTP stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HeaderMap {
    /// Request headers, including pseudo-headers (`:method`, `:path`, `:authority`).
    RequestHeaders,
    /// Request trailers.
    RequestTrailers,
    /// Response headers, including `:status`.
    ResponseHeaders,
    /// Response trailers.
    ResponseTrailers,
}

/// A source of request attributes. Every read may fail; a failure reads as absent.
pub trait AttributeSource {
    /// The raw bytes of the property at `path` (segments such as `["request", "time"]`),
    /// or `None` when the host has no value (absent, not readable, or an error status).
    fn property(&self, path: &[&str]) -> Option<Vec<u8>>;

    /// The value of header `name` (lower case) in `map`, or `None` when absent.
    fn header(&self, map: HeaderMap, name: &str) -> Option<Vec<u8>>;

    /// A signed 64-bit property (also timestamps and durations, in ns); `None` when absent or
    /// not exactly 8 bytes.
    fn property_i64(&self, path: &[&str]) -> Option<i64> {
        decode_i64(&self.property(path)?)
    }

    /// A boolean property; `None` when absent or not exactly one byte.
    fn property_bool(&self, path: &[&str]) -> Option<bool> {
        match self.property(path)?.as_slice() {
            [b] => Some(*b != 0),
            _ => None,
        }
    }
}

/// Decodes Envoy's 8-byte little-endian integer encoding.
pub fn decode_i64(bytes: &[u8]) -> Option<i64> {
    Some(i64::from_le_bytes(bytes.try_into().ok()?))
}

/// Encodes an integer the way Envoy does for `proxy_get_property`.
pub fn encode_i64(value: i64) -> Vec<u8> {
    value.to_le_bytes().to_vec()
}

/// Splits a dotted property path (`request.time`) into segments. A segment may be written in
/// brackets and quotes to hold dots: `xds.node.metadata.LABELS["app.kubernetes.io/name"]`.
/// Returns `None` for a malformed path (unbalanced brackets, empty segment).
pub fn split_path(path: &str) -> Option<Vec<alloc::string::String>> {
    let mut out = Vec::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix("[\"") {
            let end = after.find("\"]")?;
            out.push(after[..end].into());
            rest = &after[end + 2..];
            rest = rest.strip_prefix('.').unwrap_or(rest);
            continue;
        }
        let end = rest.find(['.', '[']).unwrap_or(rest.len());
        if end == 0 {
            return None;
        }
        out.push(rest[..end].into());
        rest = &rest[end..];
        rest = rest.strip_prefix('.').unwrap_or(rest);
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_plain_and_quoted_segments() {
        assert_eq!(split_path("request.time").unwrap(), ["request", "time"]);
        assert_eq!(
            split_path("xds.node.metadata.LABELS[\"app.kubernetes.io/name\"]").unwrap(),
            ["xds", "node", "metadata", "LABELS", "app.kubernetes.io/name"]
        );
        assert!(split_path("a..b").is_none());
        assert!(split_path("a[\"b").is_none());
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(decode_i64(&encode_i64(418)), Some(418));
        assert_eq!(decode_i64(&[1, 2, 3]), None);
    }
}
