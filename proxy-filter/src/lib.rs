//! meshtel's proxy-wasm filter: applies Istio Telemetry resources inside Envoy and writes
//! access-log records byte-identical to Envoy's own file access log.
//!
//! Everything about Telemetry (model, resolution, formatting) lives in `policy-wasm`; this crate
//! only connects it to the proxy: configuration in, host calls, records out.

#[cfg(not(feature = "record"))]
mod config;
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
mod tcp;

#[cfg(not(feature = "record"))]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> { Box::new(root::Root::default()) });
}}

#[cfg(feature = "record")]
proxy_wasm::main! {{
    proxy_wasm::set_log_level(proxy_wasm::types::LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn proxy_wasm::traits::RootContext> { Box::new(record::Recorder) });
}}
