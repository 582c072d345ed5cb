//! meshtel's engine: the Istio Telemetry model, validation, support scope, effective-config
//! resolution, CEL and the access-log formatter. Plain Rust with no ABI code: every wasm form
//! (OPA module, component, playground, proxy filter) is a thin adapter over this crate.

extern crate alloc;

pub mod accesslog;
pub mod analyze;
pub mod attributes;
pub mod calendar;
pub mod cel;
pub mod check;
pub mod finding;
pub mod input;
pub mod json;
pub mod metrics;
pub mod model;
pub mod num;
pub mod plan;
pub mod quote;
pub mod resolve;
pub mod schema;
pub mod scope;
pub mod sorted_map;
pub mod validate;
pub mod workload;
