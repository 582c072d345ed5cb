//! The input format shared by meshtel's fuzz targets, and an [`AttributeSource`] built from it.
//!
//! A fuzz input is a sequence of chunks separated by `0xFF` (a byte that never occurs in UTF-8):
//!
//! - chunk 0 is the text under test (a CEL expression, a format string), read as lossy UTF-8;
//! - every other chunk is `key=value`: `h0:name` … `h3:name` set a header in the request headers,
//!   request trailers, response headers or response trailers; any other key is a dotted property
//!   path (`request.time`, `xds.node.metadata.LABELS["app"]`) whose value is Envoy-encoded bytes.
//!
//! Inside a value, `0xFE 0x00` stands for `0xFE` and `0xFE 0x01` for `0xFF`, so any byte string can
//! be written; another byte after `0xFE` stands for itself. Seeds are written by [`encode`].

use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap, split_path};
use std::collections::BTreeMap;

/// Property values by path segments (the wasmtime host's and the fixtures' representation).
pub type Properties = BTreeMap<Vec<String>, Vec<u8>>;

/// The four header maps, in proxy-wasm's order.
pub type Headers = [Vec<(String, Vec<u8>)>; 4];

/// A decoded fuzz input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Input {
    /// Chunk 0.
    pub text: String,
    /// Properties.
    pub properties: Properties,
    /// Header maps (names lower-cased, as the proxy serves them).
    pub headers: Headers,
}

const SEP: u8 = 0xFF;
const ESC: u8 = 0xFE;

fn unescape(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    let mut it = bytes.iter().copied();
    while let Some(b) = it.next() {
        if b == ESC {
            match it.next() {
                Some(0) => out.push(ESC),
                Some(1) => out.push(SEP),
                Some(other) => out.push(other),
                None => out.push(ESC),
            }
        } else {
            out.push(b);
        }
    }
    out
}

fn escape(bytes: &[u8], out: &mut Vec<u8>) {
    for &b in bytes {
        match b {
            ESC => out.extend_from_slice(&[ESC, 0]),
            SEP => out.extend_from_slice(&[ESC, 1]),
            _ => out.push(b),
        }
    }
}

impl Input {
    /// Decodes any byte string (never fails).
    pub fn decode(data: &[u8]) -> Input {
        let mut chunks = data.split(|b| *b == SEP);
        let mut input = Input {
            text: String::from_utf8_lossy(chunks.next().unwrap_or_default()).into_owned(),
            ..Input::default()
        };
        for chunk in chunks {
            let eq = chunk.iter().position(|b| *b == b'=').unwrap_or(chunk.len());
            let key = String::from_utf8_lossy(&chunk[..eq]);
            let value = unescape(chunk.get(eq + 1..).unwrap_or_default());
            let map = match key.as_bytes() {
                [b'h', d @ b'0'..=b'3', b':', ..] => Some(usize::from(d - b'0')),
                _ => None,
            };
            match map {
                Some(i) => input.headers[i].push((key[3..].to_ascii_lowercase(), value)),
                None => {
                    let path = split_path(&key)
                        .unwrap_or_else(|| key.split('.').map(str::to_string).collect());
                    input.properties.insert(path, value);
                }
            }
        }
        input
    }
}

/// Encodes `text`, properties (dotted key → bytes) and headers (map index, name, value) into the
/// fuzz input format.
pub fn encode(
    text: &str,
    properties: &[(String, Vec<u8>)],
    headers: &[(usize, &str, &[u8])],
) -> Vec<u8> {
    let mut out = Vec::new();
    escape(text.as_bytes(), &mut out);
    for (key, value) in properties {
        out.push(SEP);
        out.extend_from_slice(key.as_bytes());
        out.push(b'=');
        escape(value, &mut out);
    }
    for (map, name, value) in headers {
        out.push(SEP);
        out.extend_from_slice(format!("h{map}:{name}=").as_bytes());
        escape(value, &mut out);
    }
    out
}

/// Dotted form of a path, quoting segments that hold dots (inverse of [`split_path`]).
pub fn dotted(path: &[String]) -> String {
    let mut out = String::new();
    for seg in path {
        if seg.contains('.') || seg.contains('[') || seg.is_empty() {
            out.push_str(&format!("[\"{seg}\"]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(seg);
        }
    }
    out
}

fn map_index(map: HeaderMap) -> usize {
    match map {
        HeaderMap::RequestHeaders => 0,
        HeaderMap::RequestTrailers => 1,
        HeaderMap::ResponseHeaders => 2,
        HeaderMap::ResponseTrailers => 3,
    }
}

impl AttributeSource for Input {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        let key: Vec<String> = path.iter().map(|s| s.to_string()).collect();
        self.properties
            .get(&key)
            .map(|v| Bytes::Borrowed(v.as_slice()))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        self.headers[map_index(map)]
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let bytes = encode(
            "a == 1",
            &[("request.time".into(), vec![0xFF, 0xFE, 0, 1])],
            &[(2, ":status", b"200")],
        );
        let input = Input::decode(&bytes);
        assert_eq!(input.text, "a == 1");
        assert_eq!(
            input.properties[&vec!["request".to_string(), "time".to_string()]],
            [0xFF, 0xFE, 0, 1]
        );
        assert_eq!(input.headers[2], [(":status".to_string(), b"200".to_vec())]);
    }
}
