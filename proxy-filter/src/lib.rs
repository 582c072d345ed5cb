//! meshtel's proxy-wasm filter: applies Istio Telemetry resources inside Envoy and writes
//! access-log records byte-identical to Envoy's own file access log.
//!
//! Everything about Telemetry (model, resolution, formatting) lives in `policy-wasm`; this crate
//! only connects it to the proxy: configuration in, host calls, records out.

mod abi;
mod arena;
#[cfg_attr(feature = "record", allow(dead_code))]
mod bytes;
#[cfg(not(feature = "record"))]
mod config;
#[cfg(target_arch = "wasm32")]
mod heap;
// The recorder uses a subset of the host calls.
#[cfg_attr(feature = "record", allow(dead_code))]
mod host;
#[cfg(not(feature = "record"))]
mod metrics;
#[cfg(feature = "record")]
mod record;
#[cfg(not(feature = "record"))]
mod root;
#[cfg(not(feature = "record"))]
mod stream;
#[cfg(not(feature = "record"))]
mod tcp;

#[cfg(target_arch = "wasm32")]
#[global_allocator]
static HEAP: heap::Heap = heap::Heap::new();

/// The root context the host gets for each plugin instance.
#[cfg(not(feature = "record"))]
fn new_root() -> Box<dyn abi::RootContext> {
    Box::new(root::Root::default())
}

/// The recorder's root context.
#[cfg(feature = "record")]
fn new_root() -> Box<dyn abi::RootContext> {
    Box::new(record::Recorder)
}
