//! meshtel's admission policy as an OPA wasm ABI module: Gatekeeper's `violation` convention,
//! Kubewarden's `opa` mode response and a findings entrypoint, over the policy engine.
//!
//! Natively this crate is just [`entrypoints::evaluate`], so hosts and tests can compute what the
//! module must answer. On wasm32 it adds the ABI exports and the heap that the OPA hosts drive.

extern crate alloc;

pub mod entrypoints;
pub mod params;

#[cfg(target_arch = "wasm32")]
mod abi;
#[cfg(target_arch = "wasm32")]
mod heap;

pub use entrypoints::{ENTRYPOINTS, FINDINGS, RESPONSE, VIOLATION, evaluate, evaluate_named};
