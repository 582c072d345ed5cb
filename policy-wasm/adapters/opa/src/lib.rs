//! OPA wasm ABI adapter over the policy engine (issue 5; not implemented yet).
