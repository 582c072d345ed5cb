//! wasmtime hosts that load meshtel's built `.wasm` files exactly as real hosts do, the recorded
//! request fixtures they replay, and the conformance tests.

pub mod fixture;
pub mod proxy;
pub mod replay;
