//! Inputs the `opa_abi` fuzz target (`fuzz/`) found, replayed against `dist/policy-opa.wasm` in the
//! strict wasmtime OPA host. Build `dist/` first (`cargo xtask build`).

use host_tests::opa::OpaPolicy;
use serde_json::json;

/// The `opa_abi` crash input: mode byte 4 (`opa_eval`, entrypoint 2) then JSON that is not valid.
const INPUT: &[u8] = include_bytes!("fuzz-regressions/opa-abort-leaks-stack");

/// After an abort (`input is not valid JSON`) the module's shadow stack pointer is not restored,
/// since the trap skips the epilogues: each abort leaks the active frames, and after enough of
/// them a valid evaluation faulted (found at 0xfffffffc in 5 pages of memory). Fixed by the
/// build's wrappers that reset the stack pointer on entry to each export (`xtask/src/opa.rs`); the
/// instance must keep working after any number of aborts.
#[test]
fn evaluations_still_work_after_many_aborts() {
    let policy =
        OpaPolicy::load(host_tests::dist("policy-opa.wasm")).expect("dist/policy-opa.wasm");
    let mut opa = policy.instantiate(&json!({})).unwrap();
    let canary = br#"{"review": {"uid": "c", "operation": "CREATE", "object": {"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"name": "a", "namespace": "istio-system"}, "spec": {}}}}"#;
    let first = opa.eval_fast(0, canary).expect("the canary evaluates");
    for i in 0..10_000 {
        let err = opa
            .eval_fast(2, &INPUT[1..])
            .expect_err("the input is not JSON");
        assert_eq!(opa.aborted(), Some("input is not valid JSON"), "{err:#}");
        let again = opa
            .eval_fast(0, canary)
            .unwrap_or_else(|e| panic!("after {} aborts: {e:#}", i + 1));
        assert_eq!(again, first);
    }
}
