//! How the engine reads a request's attributes: a lazy source implemented by the proxy filter
//! (over proxy-wasm host calls), by the wasmtime host's fixtures and by the playground.
//!
//! Values arrive encoded as Envoy serialises them for `proxy_get_property`: strings and bytes raw,
//! integers, timestamps and durations as 8-byte little-endian (timestamps/durations in
//! nanoseconds), bools as one byte.
//!
//! Reads return [`Bytes`]: borrowed from the source where it holds the value (a fixture's map,
//! the filter's per-request arena of host-returned buffers), owned only where it computes one. A
//! record reads a few dozen values, so an allocation and a copy per read would cost more than
//! the record's own work.

use alloc::borrow::Cow;
use alloc::vec::Vec;

/// One attribute value's bytes, borrowed from the source where possible.
pub type Bytes<'a> = Cow<'a, [u8]>;

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

/// A property path written in the code, held as its segments joined by NUL: the serialized form
/// proxy-wasm hosts take, so that reading it builds nothing per request. Make one with
/// [`path!`](crate::path).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Path {
    /// The segments joined by NUL (`"request\0time"`).
    pub joined: &'static str,
}

impl Path {
    /// The segments (`["request", "time"]`).
    pub fn segments(&self) -> impl Iterator<Item = &'static str> + Clone {
        self.joined.split('\0')
    }
}

/// A [`Path`] from its segments: `path!("request", "time")`.
#[macro_export]
macro_rules! path {
    ($first:literal $(, $rest:literal)* $(,)?) => {
        $crate::attributes::Path {
            joined: concat!($first $(, "\0", $rest)*),
        }
    };
}

/// A source of request attributes. Every read may fail; a failure reads as absent.
pub trait AttributeSource {
    /// The raw bytes of the property at `path` (segments such as `["request", "time"]`),
    /// or `None` when the host has no value (absent, not readable, or an error status).
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>>;

    /// The value of header `name` (lower case) in `map`, or `None` when absent.
    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>>;

    /// The property at a path known in advance; a source that takes serialized paths uses
    /// [`Path::joined`] as it is.
    fn get(&self, path: &Path) -> Option<Bytes<'_>> {
        let segments: Vec<&str> = path.segments().collect();
        self.property(&segments)
    }

    /// A signed 64-bit property (also timestamps and durations, in ns); `None` when absent or
    /// not exactly 8 bytes.
    fn get_i64(&self, path: &Path) -> Option<i64> {
        decode_i64(&self.get(path)?)
    }

    /// A boolean property; `None` when absent or not exactly one byte.
    fn get_bool(&self, path: &Path) -> Option<bool> {
        match self.get(path)?.as_ref() {
            [b] => Some(*b != 0),
            _ => None,
        }
    }
}

/// How Envoy encodes a property's value for `proxy_get_property`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 (or raw) text, no terminator.
    String,
    /// Raw bytes.
    Bytes,
    /// Signed 64-bit, 8 bytes little-endian.
    Int,
    /// Unsigned 64-bit, 8 bytes little-endian.
    Uint,
    /// One byte, 0 or 1.
    Bool,
    /// Nanoseconds since the Unix epoch, 8 bytes little-endian.
    Timestamp,
    /// Nanoseconds, 8 bytes little-endian.
    Duration,
    /// String pairs, serialized like a proxy-wasm header map.
    Map,
}

/// The encoding of the well-known leaf properties (Envoy attributes, as Envoy 1.40 serves them).
/// Paths not listed here (metadata, filter state) have no fixed encoding.
pub const PROPERTY_ENCODINGS: &[(&str, Encoding)] = &[
    ("request.path", Encoding::String),
    ("request.url_path", Encoding::String),
    ("request.host", Encoding::String),
    ("request.scheme", Encoding::String),
    ("request.method", Encoding::String),
    ("request.headers", Encoding::Map),
    ("request.referer", Encoding::String),
    ("request.useragent", Encoding::String),
    ("request.time", Encoding::Timestamp),
    ("request.id", Encoding::String),
    ("request.protocol", Encoding::String),
    ("request.query", Encoding::String),
    ("request.duration", Encoding::Duration),
    ("request.size", Encoding::Int),
    ("request.total_size", Encoding::Int),
    ("request.headers_bytes", Encoding::Uint),
    ("response.code", Encoding::Int),
    ("response.code_details", Encoding::String),
    ("response.flags", Encoding::Int),
    ("response.grpc_status", Encoding::Int),
    ("response.headers", Encoding::Map),
    ("response.trailers", Encoding::Map),
    ("response.headers_bytes", Encoding::Uint),
    ("response.size", Encoding::Int),
    ("response.total_size", Encoding::Int),
    ("response.backend_latency", Encoding::Duration),
    ("source.address", Encoding::String),
    ("source.port", Encoding::Int),
    ("destination.address", Encoding::String),
    ("destination.port", Encoding::Int),
    ("connection.id", Encoding::Uint),
    ("connection.mtls", Encoding::Bool),
    ("connection.requested_server_name", Encoding::String),
    ("connection.tls_version", Encoding::String),
    ("connection.subject_local_certificate", Encoding::String),
    ("connection.subject_peer_certificate", Encoding::String),
    ("connection.dns_san_local_certificate", Encoding::String),
    ("connection.dns_san_peer_certificate", Encoding::String),
    ("connection.uri_san_local_certificate", Encoding::String),
    ("connection.uri_san_peer_certificate", Encoding::String),
    (
        "connection.sha256_peer_certificate_digest",
        Encoding::String,
    ),
    ("connection.transport_failure_reason", Encoding::String),
    ("connection.termination_details", Encoding::String),
    ("upstream.address", Encoding::String),
    ("upstream.port", Encoding::Int),
    ("upstream.local_address", Encoding::String),
    ("upstream.local_port", Encoding::Int),
    ("upstream.tls_version", Encoding::String),
    ("upstream.transport_failure_reason", Encoding::String),
    ("upstream.request_attempt_count", Encoding::Uint),
    ("upstream.cx_pool_ready_duration", Encoding::Duration),
    ("upstream.locality", Encoding::Map),
    ("upstream.num_endpoints", Encoding::Uint),
    ("xds.cluster_name", Encoding::String),
    ("xds.listener_direction", Encoding::Int),
    ("xds.route_name", Encoding::String),
    ("xds.virtual_host_name", Encoding::String),
    ("xds.filter_chain_name", Encoding::String),
    ("xds.node.id", Encoding::String),
    ("plugin_name", Encoding::String),
    ("plugin_root_id", Encoding::String),
    ("plugin_vm_id", Encoding::String),
];

/// The encoding of a well-known property given as a dotted path, if it has a fixed one.
pub fn encoding_of(dotted_path: &str) -> Option<Encoding> {
    PROPERTY_ENCODINGS
        .iter()
        .find(|(p, _)| *p == dotted_path)
        .map(|(_, e)| *e)
}

/// Serializes string pairs the way proxy-wasm serializes header maps (and Envoy serializes maps):
/// `u32 count`, then `u32 key_len, u32 value_len` per pair, then each key and value NUL-terminated.
pub fn encode_pairs<K: AsRef<[u8]>, V: AsRef<[u8]>>(pairs: &[(K, V)]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&(pairs.len() as u32).to_le_bytes());
    for (k, v) in pairs {
        out.extend_from_slice(&(k.as_ref().len() as u32).to_le_bytes());
        out.extend_from_slice(&(v.as_ref().len() as u32).to_le_bytes());
    }
    for (k, v) in pairs {
        out.extend_from_slice(k.as_ref());
        out.push(0);
        out.extend_from_slice(v.as_ref());
        out.push(0);
    }
    out
}

/// Calls `visit` with each (key, value) of the pair serialization of [`encode_pairs`], in order,
/// until it returns false; `None` when the bytes are malformed (the pairs before the fault have
/// been visited). An empty buffer (or a single NUL) is an empty map.
pub fn visit_pairs<'b>(
    bytes: &'b [u8],
    mut visit: impl FnMut(&'b [u8], &'b [u8]) -> bool,
) -> Option<()> {
    if bytes.len() <= 1 {
        return Some(());
    }
    let word = |at: usize| -> Option<usize> {
        let b = bytes.get(at..at.checked_add(4)?)?;
        Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
    };
    let count = word(0)?;
    let mut sizes_at = 4usize;
    let mut data_at = count.checked_mul(8)?.checked_add(4)?;
    for _ in 0..count {
        let (klen, vlen) = (word(sizes_at)?, word(sizes_at.checked_add(4)?)?);
        sizes_at = sizes_at.checked_add(8)?;
        let key = bytes.get(data_at..data_at.checked_add(klen)?)?;
        data_at = data_at.checked_add(klen)?.checked_add(1)?;
        let value = bytes.get(data_at..data_at.checked_add(vlen)?)?;
        data_at = data_at.checked_add(vlen)?.checked_add(1)?;
        if !visit(key, value) {
            break;
        }
    }
    Some(())
}

/// Parses the pair serialization of [`encode_pairs`]; `None` when the bytes are malformed.
/// An empty buffer (or a single NUL) is an empty map.
pub fn decode_pairs(bytes: &[u8]) -> Option<Vec<(Vec<u8>, Vec<u8>)>> {
    let mut out = Vec::new();
    visit_pairs(bytes, |k, v| {
        out.push((k.to_vec(), v.to_vec()));
        true
    })?;
    Some(out)
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
            [
                "xds",
                "node",
                "metadata",
                "LABELS",
                "app.kubernetes.io/name"
            ]
        );
        assert!(split_path("a..b").is_none());
        assert!(split_path("a[\"b").is_none());
    }

    #[test]
    fn pairs_round_trip_and_match_the_spec_example() {
        let bytes = encode_pairs(&[("a", "1"), ("b", "22")]);
        assert_eq!(
            bytes,
            [
                2, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'a', 0, b'1', 0, b'b',
                0, b'2', b'2', 0
            ]
        );
        let back = decode_pairs(&bytes).unwrap();
        assert_eq!(
            back,
            [
                (b"a".to_vec(), b"1".to_vec()),
                (b"b".to_vec(), b"22".to_vec())
            ]
        );
        assert_eq!(decode_pairs(&bytes[..bytes.len() - 2]), None);
        assert_eq!(decode_pairs(&[0xff, 0xff, 0xff, 0xff]), None);
    }

    #[test]
    fn paths_join_their_segments_with_nul() {
        let p = crate::path!("xds", "node", "id");
        assert!(p.segments().eq(["xds", "node", "id"]));
        assert_eq!(p.joined, "xds\0node\0id");
        assert_eq!(crate::path!("plugin_name").joined, "plugin_name");
    }

    #[test]
    fn integers_round_trip() {
        assert_eq!(decode_i64(&encode_i64(418)), Some(418));
        assert_eq!(decode_i64(&[1, 2, 3]), None);
    }
}
