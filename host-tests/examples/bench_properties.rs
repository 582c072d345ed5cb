//! Guest-to-host cost per `proxy_get_property` call under the wasmtime host: a module whose
//! `on_log` reads `request.path` N times, against the same module with N = 0 (the host's own cost
//! of replaying a stream). Run by `cargo xtask bench`; prints one JSON line
//! (`filter.get_property`, ns per call).

use host_tests::bench::{Counts, Figure, median_ns};
use host_tests::fixture::Fixture;
use host_tests::proxy::{ProxyHost, ProxyModule};
use std::path::PathBuf;

/// Streams per timed run.
const FULL: Counts = Counts {
    runs: 5,
    iterations: 20_000,
};

/// Property reads per stream in the measured module.
const CALLS: u32 = 100;

/// A proxy-wasm module whose `on_log` reads `request.path` `calls` times and traps if a read
/// fails, so a broken host path cannot pass for a fast one.
fn module(calls: u32) -> String {
    format!(
        r#"(module
  (import "env" "proxy_get_property" (func $get (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 16) "request\00path")
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "malloc") (param i32) (result i32) (i32.const 4096))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "proxy_on_configure") (param i32 i32) (result i32) (i32.const 1))
  (func (export "proxy_on_request_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_response_headers") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "proxy_on_log") (param i32) (local $i i32)
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (i32.const {calls})))
        (if (call $get (i32.const 16) (i32.const 12) (i32.const 64) (i32.const 68))
          (then unreachable))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next))))
  (func (export "proxy_on_done") (param i32) (result i32) (i32.const 1))
  (func (export "proxy_on_delete") (param i32)))"#
    )
}

fn main() -> anyhow::Result<()> {
    let counts = Counts::from_args(FULL);
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default();
    let fixture = Fixture::load(root.join("host-tests/fixtures/envoy/00-get-200-outbound.json"))?;
    let mut per_stream = Vec::new();
    for calls in [0, CALLS] {
        let wasm = ProxyModule::from_bytes(module(calls).as_bytes())?;
        let mut host = ProxyHost::start(&wasm, b"{}", fixture.root_properties.clone())?;
        host.replay_http(&fixture)?;
        let mut failed = None;
        per_stream.push(median_ns(counts, || {
            if let Err(e) = host.replay_http(&fixture) {
                failed.get_or_insert(e);
            }
        }));
        if let Some(e) = failed {
            return Err(e.context("a stream failed"));
        }
    }
    let per_call = (per_stream[1] - per_stream[0]) / f64::from(CALLS);
    Figure::new("filter.get_property", per_call, "ns", counts.runs).emit();
    Ok(())
}
