//! Reads attributes for the evaluator from an [`AttributeSource`], decoding Envoy's property
//! encodings by the vocabulary's types. Only the paths an expression names are read.

use super::eval::{Activation, Lookup};
use super::value::{MapValue, Value};
use super::vocabulary::{self, AttrType, Resolved};
use crate::attributes::{AttributeSource, HeaderMap};
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// An [`Activation`] over a request's attributes.
pub(crate) struct Attributes<'a> {
    pub source: &'a dyn AttributeSource,
}

fn text_or_bytes(bytes: &[u8]) -> Value {
    match core::str::from_utf8(bytes) {
        Ok(s) => Value::String(Arc::from(s)),
        Err(_) => Value::Bytes(Arc::from(bytes)),
    }
}

fn decode(ty: AttrType, bytes: &[u8]) -> Lookup {
    let word = || <[u8; 8]>::try_from(bytes).ok();
    let v = match ty {
        AttrType::String | AttrType::Dyn | AttrType::Struct => text_or_bytes(bytes),
        AttrType::Int => match word() {
            Some(w) => Value::Int(i64::from_le_bytes(w)),
            None => return Lookup::Malformed,
        },
        AttrType::Uint => match word() {
            Some(w) => Value::Uint(u64::from_le_bytes(w)),
            None => return Lookup::Malformed,
        },
        AttrType::Timestamp => match word() {
            Some(w) => Value::Timestamp(i128::from(i64::from_le_bytes(w))),
            None => return Lookup::Malformed,
        },
        AttrType::Duration => match word() {
            Some(w) => Value::Duration(i128::from(i64::from_le_bytes(w))),
            None => return Lookup::Malformed,
        },
        AttrType::Bool => match bytes {
            [b] => Value::Bool(*b != 0),
            _ => return Lookup::Malformed,
        },
        AttrType::Headers(_) | AttrType::StringMap => match decode_pairs(bytes) {
            Some(m) => m,
            None => return Lookup::Malformed,
        },
    };
    Lookup::Found(v)
}

/// Decodes the proxy-wasm pair serialization into a string map (later duplicates are joined
/// with ',', as Envoy joins repeated headers).
fn decode_pairs(bytes: &[u8]) -> Option<Value> {
    let mut entries: Vec<(Value, Value)> = Vec::new();
    if bytes.len() > 1 {
        let word = |at: usize| -> Option<usize> {
            let b = bytes.get(at..at.checked_add(4)?)?;
            Some(u32::from_le_bytes(b.try_into().ok()?) as usize)
        };
        let count = word(0)?;
        let mut sizes = 4usize;
        let mut data = count.checked_mul(8)?.checked_add(4)?;
        if data > bytes.len() {
            return None;
        }
        for _ in 0..count {
            let (klen, vlen) = (word(sizes)?, word(sizes.checked_add(4)?)?);
            sizes = sizes.checked_add(8)?;
            let key = bytes.get(data..data.checked_add(klen)?)?;
            data = data.checked_add(klen)?.checked_add(1)?;
            let value = bytes.get(data..data.checked_add(vlen)?)?;
            data = data.checked_add(vlen)?.checked_add(1)?;
            let key = String::from_utf8_lossy(key);
            let value = String::from_utf8_lossy(value);
            match entries
                .iter_mut()
                .find(|(k, _)| matches!(k, Value::String(s) if **s == *key))
            {
                Some((_, Value::String(old))) => {
                    let mut joined = String::from(&**old);
                    joined.push(',');
                    joined.push_str(&value);
                    *old = Arc::from(joined);
                }
                _ => entries.push((Value::string(&key), Value::string(&value))),
            }
        }
    }
    Some(Value::Map(Arc::new(MapValue::from_unique_entries(entries))))
}

fn header(map: HeaderMap, source: &dyn AttributeSource, name: &str) -> Lookup {
    let lower = name.to_ascii_lowercase();
    match source.header(map, &lower) {
        Some(v) => Lookup::Found(text_or_bytes(&v)),
        None => Lookup::Absent,
    }
}

impl Activation for Attributes<'_> {
    fn resolve(&self, path: &[&str]) -> Lookup {
        match vocabulary::resolve(path) {
            // A group (`request`) cannot be read as a whole; let the caller report the name.
            Resolved::Exact(AttrType::Struct, _) => Lookup::Unbound,
            Resolved::Exact(ty, _) => match self.source.property(path) {
                Some(bytes) => decode(ty, &bytes),
                None => self.derived_from_headers(path),
            },
            Resolved::Open { .. } => match self.source.property(path) {
                Some(bytes) => Lookup::Found(text_or_bytes(&bytes)),
                None => Lookup::Absent,
            },
            Resolved::Key(ty, _) => {
                let (parent, key) = match path.split_last() {
                    Some((key, parent)) => (parent, *key),
                    None => return Lookup::Unbound,
                };
                self.resolve_key_typed(ty, parent, key)
            }
            // A misspelt member of a known group: nothing to read.
            Resolved::Unknown { consumed } if consumed > 0 => Lookup::Unbound,
            Resolved::Unknown { .. } => {
                if path.first().is_some_and(|r| vocabulary::is_known_root(r)) {
                    return Lookup::Unbound;
                }
                // Unknown names may still be host properties (Envoy falls back to filter state).
                match self.source.property(path) {
                    Some(bytes) => Lookup::Found(text_or_bytes(&bytes)),
                    None => Lookup::Unbound,
                }
            }
        }
    }

    fn resolve_key(&self, path: &[&str], key: &str) -> Lookup {
        match vocabulary::resolve(path) {
            Resolved::Exact(ty @ (AttrType::Headers(_) | AttrType::StringMap), _) => {
                self.resolve_key_typed(ty, path, key)
            }
            Resolved::Exact(AttrType::Dyn, _) | Resolved::Open { .. } => {
                let mut full: Vec<&str> = path.to_vec();
                full.push(key);
                match self.source.property(&full) {
                    Some(bytes) => Lookup::Found(text_or_bytes(&bytes)),
                    None => Lookup::Absent,
                }
            }
            _ => Lookup::Unbound,
        }
    }
}

impl Attributes<'_> {
    /// Envoy derives these request attributes from headers; a source that only has the headers
    /// (a recorded fixture, a host without the property) still answers them.
    fn derived_from_headers(&self, path: &[&str]) -> Lookup {
        let (map, name) = match path {
            ["request", "path" | "url_path" | "query"] => (HeaderMap::RequestHeaders, ":path"),
            ["request", "host"] => (HeaderMap::RequestHeaders, ":authority"),
            ["request", "scheme"] => (HeaderMap::RequestHeaders, ":scheme"),
            ["request", "method"] => (HeaderMap::RequestHeaders, ":method"),
            ["request", "useragent"] => (HeaderMap::RequestHeaders, "user-agent"),
            ["request", "referer"] => (HeaderMap::RequestHeaders, "referer"),
            ["request", "id"] => (HeaderMap::RequestHeaders, "x-request-id"),
            _ => return Lookup::Absent,
        };
        let Some(bytes) = self.source.header(map, name) else {
            return Lookup::Absent;
        };
        let text = text_or_bytes(&bytes);
        let Value::String(full) = &text else {
            return Lookup::Found(text);
        };
        let (before, after) = full.split_once('?').unwrap_or((full, ""));
        Lookup::Found(match path.get(1) {
            Some(&"url_path") => Value::string(before),
            Some(&"query") => Value::string(after),
            _ => text.clone(),
        })
    }

    fn resolve_key_typed(&self, ty: AttrType, parent: &[&str], key: &str) -> Lookup {
        match ty {
            AttrType::Headers(map) => header(map, self.source, key),
            _ => {
                let mut full: Vec<&str> = parent.to_vec();
                full.push(key);
                match self.source.property(&full) {
                    Some(bytes) => Lookup::Found(text_or_bytes(&bytes)),
                    None => Lookup::Absent,
                }
            }
        }
    }
}
