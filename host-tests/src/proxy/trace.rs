//! What a stream's host calls cost the host, measured apart from the guest's own work.
//!
//! A filter's time per request under this host is its own code plus the host serving its calls
//! (property lookups, copies into guest memory, the allocation callback). To tell the two apart,
//! the host can record the calls a stream makes ([`super::ProxyHost::trace_next_stream`]);
//! [`replayer`] turns that trace into a module that makes exactly those calls, with the same
//! arguments, and nothing else. The filter's time minus the replayer's is the filter's own.

use anyhow::{Result, bail};
use std::fmt::Write;

/// One host call of a traced stream, with what decides its cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostCall {
    /// `proxy_get_property` with this serialized path.
    Property(Vec<u8>),
    /// `proxy_get_header_map_pairs` of this map.
    HeaderPairs(i32),
    /// `proxy_get_header_map_value` of this map and key.
    HeaderValue(i32, Vec<u8>),
    /// `proxy_log` at this level with this message.
    Log(i32, Vec<u8>),
    /// `proxy_increment_metric`.
    Increment(i32, i64),
    /// `proxy_record_metric`.
    Record(i32, i64),
    /// Any other call, which the replayer cannot make.
    Other(&'static str),
}

/// Addresses in the replayer's memory: the two out-pointers, then the constant arguments.
const OUT_PTR: u32 = 8;
const OUT_SIZE: u32 = 12;
const DATA: u32 = 1024;
const PAGE: u32 = 65_536;

/// A proxy-wasm module whose `proxy_on_log` makes the calls of `trace` in order and whose
/// allocator is a bump pointer rewound per stream. Its `proxy_on_configure` defines `metrics`
/// (kind, name) in order, so that the host hands out the ids the trace increments. It exports the
/// stream callbacks the filter exports and no others, so the host makes the same callback calls.
/// `returned` is the most bytes the host returns during one stream (the heap it needs).
pub fn replayer(trace: &[HostCall], metrics: &[(i32, String)], returned: usize) -> Result<String> {
    let mut data = Vec::new();
    let mut place = |bytes: &[u8]| {
        let at = DATA + data.len() as u32;
        data.extend_from_slice(bytes);
        (at, bytes.len())
    };
    let outs = format!("(i32.const {OUT_PTR}) (i32.const {OUT_SIZE})");
    let mut body = String::new();
    for call in trace {
        let line = match call {
            HostCall::Property(path) => {
                let (at, len) = place(path);
                format!("(call $get_property (i32.const {at}) (i32.const {len}) {outs})")
            }
            HostCall::HeaderPairs(map) => format!("(call $pairs (i32.const {map}) {outs})"),
            HostCall::HeaderValue(map, key) => {
                let (at, len) = place(key);
                format!("(call $value (i32.const {map}) (i32.const {at}) (i32.const {len}) {outs})")
            }
            HostCall::Log(level, message) => {
                let (at, len) = place(message);
                format!("(call $log (i32.const {level}) (i32.const {at}) (i32.const {len}))")
            }
            HostCall::Increment(id, delta) => {
                format!("(call $increment (i32.const {id}) (i64.const {delta}))")
            }
            HostCall::Record(id, value) => {
                format!("(call $record (i32.const {id}) (i64.const {value}))")
            }
            HostCall::Other(name) => bail!("the replayer cannot make host call {name}"),
        };
        writeln!(body, "    (drop {line})")?;
    }
    let mut defines = String::new();
    for (kind, name) in metrics {
        let (at, len) = place(name.as_bytes());
        writeln!(
            defines,
            "    (drop (call $define (i32.const {kind}) (i32.const {at}) (i32.const {len}) (i32.const {OUT_PTR})))"
        )?;
    }
    let heap = (DATA + data.len() as u32).next_multiple_of(8);
    let pages = (heap as usize + returned).div_ceil(PAGE as usize) + 1;
    Ok(format!(
        r#"(module
  (import "env" "proxy_get_property" (func $get_property (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_pairs" (func $pairs (param i32 i32 i32) (result i32)))
  (import "env" "proxy_get_header_map_value" (func $value (param i32 i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
  (import "env" "proxy_define_metric" (func $define (param i32 i32 i32 i32) (result i32)))
  (import "env" "proxy_increment_metric" (func $increment (param i32 i64) (result i32)))
  (import "env" "proxy_record_metric" (func $record (param i32 i64) (result i32)))
  (memory (export "memory") {pages})
  (global $heap (mut i32) (i32.const {heap}))
  (data (i32.const {DATA}) "{data}")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param $size i32) (result i32)
    (local $at i32)
    (local.set $at (global.get $heap))
    (global.set $heap (i32.and (i32.add (i32.add (local.get $at) (local.get $size)) (i32.const 7)) (i32.const -8)))
    (local.get $at))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_configure") (param i32 i32) (result i32)
{defines}    (i32.const 1))
  (func (export "proxy_on_log") (param i32)
    (global.set $heap (i32.const {heap}))
{body}  )
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))"#,
        data = escape(&data),
    ))
}

/// `bytes` as a WAT string literal's contents.
fn escape(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 3);
    for b in bytes {
        let _ = write!(out, "\\{b:02x}");
    }
    out
}
