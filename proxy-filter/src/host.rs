//! Host calls that never panic: each proxy-wasm status is handled, and values stay bytes.
//!
//! The proxy-wasm SDK's wrappers `panic!` on statuses they do not expect (and a panic kills the VM,
//! which then fails every later request with 503), so the filter declares the `env` imports it
//! uses itself, with plain integer types so that an unexpected status is just a number.

use crate::arena::Scope;
use crate::bytes;
use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap, Path, visit_pairs};
use std::borrow::Cow;
use std::cell::OnceCell;

#[link(wasm_import_module = "env")]
unsafe extern "C" {
    fn proxy_log(level: u32, message_data: *const u8, message_size: usize) -> u32;
    fn proxy_get_property(
        path_data: *const u8,
        path_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_value(
        map_type: u32,
        key_data: *const u8,
        key_size: usize,
        return_value_data: *mut *mut u8,
        return_value_size: *mut usize,
    ) -> u32;
    fn proxy_get_header_map_pairs(
        map_type: u32,
        return_map_data: *mut *mut u8,
        return_map_size: *mut usize,
    ) -> u32;
    fn proxy_define_metric(
        metric_type: u32,
        name_data: *const u8,
        name_size: usize,
        return_metric_id: *mut u32,
    ) -> u32;
    fn proxy_increment_metric(metric_id: u32, offset: i64) -> u32;
    fn proxy_record_metric(metric_id: u32, value: u64) -> u32;
    fn proxy_get_buffer_bytes(
        buffer_type: u32,
        start: usize,
        max_size: usize,
        return_buffer_data: *mut *mut u8,
        return_buffer_size: *mut usize,
    ) -> u32;
}

/// `proxy_status_t` OK.
const OK: u32 = 0;
/// `proxy_log_level_t` INFO, the level access-log records are written at.
pub const LEVEL_INFO: u32 = 2;
/// `proxy_log_level_t` WARN.
pub const LEVEL_WARN: u32 = 3;
/// `proxy_log_level_t` ERROR.
pub const LEVEL_ERROR: u32 = 4;
/// `proxy_buffer_type_t` PLUGIN_CONFIGURATION.
const PLUGIN_CONFIGURATION: u32 = 7;

/// The bytes a host call returned: `None` unless the status is OK and the pointer non-null.
fn returned(scope: &Scope, status: u32, data: *mut u8, size: usize) -> Option<&[u8]> {
    if status != OK {
        return None;
    }
    // SAFETY: on OK the host allocated `size` bytes through `proxy_on_memory_allocate` (the
    // arena) during this call, inside `scope`, and filled them.
    unsafe { scope.returned(data, size) }
}

/// Writes `message` to the proxy log at `level`, bytes as they are. Failures are ignored: there is
/// nowhere else to report them.
pub fn log(level: u32, message: &[u8]) {
    // SAFETY: pointer and length describe a live slice.
    unsafe {
        proxy_log(level, message.as_ptr(), message.len());
    }
}

/// The plugin configuration bytes, or `None` when the host has none.
pub fn plugin_configuration(scope: &Scope) -> Option<&[u8]> {
    let (mut data, mut size) = (core::ptr::null_mut(), 0usize);
    // SAFETY: out-pointers are valid for writes.
    let status = unsafe {
        proxy_get_buffer_bytes(PLUGIN_CONFIGURATION, 0, usize::MAX, &mut data, &mut size)
    };
    returned(scope, status, data, size)
}

/// Paths up to this many serialized bytes are built on the stack (every path the filter reads
/// per request fits), longer ones in a `Vec`.
const PATH_ON_STACK: usize = 128;

/// Reads a property; any status but OK reads as absent.
pub fn property<'s>(scope: &'s Scope, path: &[&str]) -> Option<&'s [u8]> {
    let size = path
        .iter()
        .map(|p| p.len() + 1)
        .sum::<usize>()
        .saturating_sub(1);
    let mut stack = [0u8; PATH_ON_STACK];
    let mut heap = Vec::new();
    let serialized: &mut [u8] = if size <= PATH_ON_STACK {
        &mut stack[..size]
    } else {
        heap.resize(size, 0);
        &mut heap
    };
    // Segments joined by NUL: the buffer starts zeroed, so only the segments are copied.
    let mut at = 0;
    for segment in path {
        serialized[at..at + segment.len()].copy_from_slice(segment.as_bytes());
        at += segment.len() + 1;
    }
    property_serialized(scope, serialized)
}

/// Reads a property by its serialized path (segments joined by NUL).
pub fn property_serialized<'s>(scope: &'s Scope, serialized: &[u8]) -> Option<&'s [u8]> {
    let (mut data, mut size) = (core::ptr::null_mut(), 0usize);
    // SAFETY: input slice is live; out-pointers are valid for writes.
    let status =
        unsafe { proxy_get_property(serialized.as_ptr(), serialized.len(), &mut data, &mut size) };
    returned(scope, status, data, size)
}

/// A property copied out of the arena, for values kept past the callback (configure time).
pub fn property_owned(path: &[&str]) -> Option<Vec<u8>> {
    property(&Scope::enter(), path).map(<[u8]>::to_vec)
}

/// `proxy_metric_type_t` COUNTER.
pub const METRIC_COUNTER: u32 = 0;
/// `proxy_metric_type_t` HISTOGRAM.
pub const METRIC_HISTOGRAM: u32 = 2;

/// Defines a metric; `None` when the host refuses.
pub fn define_metric(kind: u32, name: &str) -> Option<u32> {
    let mut id = 0u32;
    // SAFETY: input slice is live; the out-pointer is valid for writes.
    let status = unsafe { proxy_define_metric(kind, name.as_ptr(), name.len(), &mut id) };
    (status == OK).then_some(id)
}

/// Adds `delta` to a counter; a failure is ignored (a metric is never worth a crash).
pub fn increment_metric(id: u32, delta: i64) {
    // SAFETY: plain values.
    unsafe {
        proxy_increment_metric(id, delta);
    }
}

/// Records a histogram sample; a failure is ignored.
pub fn record_metric(id: u32, value: u64) {
    // SAFETY: plain values.
    unsafe {
        proxy_record_metric(id, value);
    }
}

/// Reads one header; any status but OK reads as absent.
pub fn header<'s>(scope: &'s Scope, map: HeaderMap, name: &str) -> Option<&'s [u8]> {
    let map_type = map_id(map);
    let (mut data, mut size) = (core::ptr::null_mut(), 0usize);
    // SAFETY: input slice is live; out-pointers are valid for writes.
    let status = unsafe {
        proxy_get_header_map_value(map_type, name.as_ptr(), name.len(), &mut data, &mut size)
    };
    match returned(scope, status, data, size) {
        // OK with a null pointer is an empty value: the header is present.
        None if status == OK => Some(&[]),
        other => other,
    }
}

/// Every pair of a header map (serialized as proxy-wasm pairs), or `None` when unavailable.
pub fn header_pairs(scope: &Scope, map: HeaderMap) -> Option<&[u8]> {
    let (mut data, mut size) = (core::ptr::null_mut(), 0usize);
    // SAFETY: out-pointers are valid for writes.
    let status = unsafe { proxy_get_header_map_pairs(map_id(map), &mut data, &mut size) };
    returned(scope, status, data, size)
}

fn map_id(map: HeaderMap) -> u32 {
    match map {
        HeaderMap::RequestHeaders => 0,
        HeaderMap::RequestTrailers => 1,
        HeaderMap::ResponseHeaders => 2,
        HeaderMap::ResponseTrailers => 3,
    }
}

/// The current stream's attributes, read through the host into the arena and borrowed from it.
/// The request headers are fetched once, as one map, on the first read of any of them, and
/// indexed: a record reads half a dozen request headers, and one host call and one parse instead
/// of one each is what makes them cheap.
pub struct StreamAttributes {
    scope: Scope,
    /// The request headers; `None` when the host had none to give.
    request_headers: OnceCell<Option<Headers>>,
}

/// Header pairs indexed this far; a stream with more (rare) scans the rest in place.
const INDEXED: usize = 32;

/// One header map as returned by the host, with its first [`INDEXED`] pairs as slices.
///
/// The slices point into the arena, which keeps them until the [`Scope`] of the
/// [`StreamAttributes`] holding this ends; the `'static` never escapes: lookups hand them out
/// borrowed from the attributes.
struct Headers {
    raw: &'static [u8],
    pairs: [(&'static [u8], &'static [u8]); INDEXED],
    len: usize,
    /// Every pair is in `pairs` (the map is well-formed and short enough).
    complete: bool,
}

impl Headers {
    fn new(raw: &'static [u8]) -> Headers {
        let mut headers = Headers {
            raw,
            pairs: [(&[], &[]); INDEXED],
            len: 0,
            complete: false,
        };
        let mut overflow = false;
        let parsed = visit_pairs(raw, |k, v| {
            overflow = headers.len == INDEXED;
            if !overflow {
                headers.pairs[headers.len] = (k, v);
                headers.len += 1;
            }
            !overflow
        });
        headers.complete = parsed.is_some() && !overflow;
        headers
    }

    /// The first value of `name` (compared without regard to ASCII case, as hosts do):
    /// `Some(None)` when absent, `None` when the map is malformed before it is found.
    fn find(&self, name: &str) -> Option<Option<&[u8]>> {
        let name = name.as_bytes();
        let same = |key: &[u8]| key.len() == name.len() && key.eq_ignore_ascii_case(name);
        if self.complete {
            // A plain loop (at opt-level "z" an iterator adapter costs a call per pair). Envoy's
            // keys are lower case, as the names asked for are: an exact match is tried first,
            // the case-folding one only for a key that differs.
            for (key, value) in &self.pairs[..self.len] {
                if key.len() == name.len()
                    && (bytes::same(key, name) || key.eq_ignore_ascii_case(name))
                {
                    return Some(Some(value));
                }
            }
            return Some(None);
        }
        let mut found = None;
        visit_pairs(self.raw, |k, v| {
            if same(k) {
                found = Some(v);
            }
            found.is_none()
        })?;
        Some(found)
    }
}

impl StreamAttributes {
    /// Attributes of the current (effective) context, valid while this value lives.
    pub fn new() -> StreamAttributes {
        StreamAttributes {
            scope: Scope::enter(),
            request_headers: OnceCell::new(),
        }
    }

    fn request_headers(&self) -> Option<&Headers> {
        self.request_headers
            .get_or_init(|| {
                let raw = header_pairs(&self.scope, HeaderMap::RequestHeaders)?;
                // SAFETY: see `Headers`: the bytes stay in the arena while `self.scope` lives.
                let raw = unsafe { core::slice::from_raw_parts(raw.as_ptr(), raw.len()) };
                Some(Headers::new(raw))
            })
            .as_ref()
    }
}

impl AttributeSource for StreamAttributes {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        property(&self.scope, path).map(Cow::Borrowed)
    }

    fn get(&self, path: &Path) -> Option<Bytes<'_>> {
        property_serialized(&self.scope, path.joined.as_bytes()).map(Cow::Borrowed)
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        if map == HeaderMap::RequestHeaders {
            // Malformed pairs (never seen from a real host) fall back to the single read.
            if let Some(found) = self.request_headers().and_then(|h| h.find(name)) {
                return found.map(Cow::Borrowed);
            }
        }
        header(&self.scope, map, name).map(Cow::Borrowed)
    }
}
