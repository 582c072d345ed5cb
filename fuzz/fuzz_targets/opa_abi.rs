//! `dist/policy-opa.wasm` under the strict wasmtime OPA host (`host_tests::opa`): arbitrary input
//! bytes through the fast path (`opa_eval`) or the evaluation-context path (`opa_json_parse`,
//! `opa_eval_ctx_*`, `eval`), on every entrypoint and one id past the last, optionally with an
//! arbitrary data document. Build `dist/` first (`cargo xtask build`).
//!
//! Input: byte 0 chooses; bit 0 the path (0 `opa_eval`, 1 eval context), bits 1–2 the entrypoint
//! id (3 is unknown), bit 3 says the rest is `data 0xFF input` (the data is set when it is JSON).
//!
//! Findings: a trap or an abort other than the two the ABI allows (input that is not JSON, an
//! unknown entrypoint), a result that differs from the native `policy_opa::evaluate` on the same
//! documents, memory past 64 MiB, or a heap that is not back where it was: after every input the
//! same canary evaluation must give the same result and leave the heap pointer at the same address.
#![no_main]

use host_tests::opa::{OpaInstance, OpaPolicy};
use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use std::cell::RefCell;

/// More than any input up to `-max_len` can need; past it allocation is unbounded.
const MAX_PAGES: u64 = 1024;

/// The entrypoint id past the last one the module declares.
const UNKNOWN_ID: usize = policy_opa::ENTRYPOINTS.len();

struct Vm {
    opa: OpaInstance,
    canary_id: i32,
    canary_input: Vec<u8>,
    canary_result: Value,
    canary_heap: i32,
}

fn canary_input() -> Value {
    let telemetry = json!({
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "mesh-logging", "namespace": "istio-system"},
        "spec": {"accessLogging": [{"providers": [{"name": "envoy"}],
                                    "filter": {"expression": "response.code >= 400"}}]},
    });
    json!({
        "review": {"uid": "canary", "operation": "CREATE", "namespace": "istio-system",
                   "object": telemetry},
        "parameters": {"scope": "aks"},
    })
}

fn start() -> Vm {
    let policy = OpaPolicy::load(host_tests::dist("policy-opa.wasm"))
        .expect("dist/policy-opa.wasm loads (run `cargo xtask build`)");
    let mut opa = policy
        .instantiate(&json!({}))
        .expect("the policy instantiates");
    let canary_id = opa
        .entrypoint(policy_opa::VIOLATION)
        .expect("the violation entrypoint");
    let input = canary_input();
    let canary_input = serde_json::to_vec(&input).expect("the canary serializes");
    let canary_result = opa
        .eval_fast(canary_id, &canary_input)
        .expect("the canary evaluates");
    let native = native(canary_id as usize, &input, &json!({}));
    assert_eq!(Some(&canary_result), native.as_ref(), "canary differs");
    let canary_heap = opa.heap_ptr().expect("the heap pointer reads");
    Vm {
        opa,
        canary_id,
        canary_input,
        canary_result,
        canary_heap,
    }
}

thread_local! {
    static VM: RefCell<Option<Vm>> = const { RefCell::new(None) };
}

/// Why an evaluation may fail: `None` when it must succeed.
fn allowed_failure(input: Option<&Value>, id: usize) -> Option<&'static str> {
    match input {
        None => Some("input is not JSON"),
        Some(_) if id == UNKNOWN_ID => Some("unknown entrypoint id"),
        Some(_) => None,
    }
}

fuzz_target!(|bytes: &[u8]| {
    let Some((&mode, rest)) = bytes.split_first() else {
        return;
    };
    let context_path = mode & 1 == 1;
    let id = usize::from(mode >> 1 & 3);
    let (data, input) = match (mode & 8 != 0, rest.iter().position(|b| *b == 0xFF)) {
        (true, Some(at)) => (serde_json::from_slice(&rest[..at]).ok(), &rest[at + 1..]),
        _ => (None, rest),
    };
    VM.with_borrow_mut(|vm| {
        let vm = vm.get_or_insert_with(start);
        if let Some(data) = &data {
            vm.opa.set_data(data).expect("set_data on a JSON document");
        }
        let got = if context_path {
            vm.opa.eval_ctx_json(id as i32, input)
        } else {
            vm.opa.eval_fast(id as i32, input)
        };
        let parsed: Option<Value> = serde_json::from_slice(input).ok();
        match (got, allowed_failure(parsed.as_ref(), id)) {
            (Ok(got), None) => {
                let empty = json!({});
                let data = data.as_ref().unwrap_or(&empty);
                let native = native(id, parsed.as_ref().unwrap_or(&Value::Null), data);
                assert_eq!(
                    Some(&got),
                    native.as_ref(),
                    "the module differs from the native engine"
                );
            }
            (Ok(got), Some(why)) => panic!("expected a failure ({why}), got {got}"),
            (Err(e), None) => panic!("the evaluation failed: {e:#}"),
            (Err(e), Some(why)) => {
                let message = format!("{e:#}");
                let expected = match (why, context_path) {
                    ("unknown entrypoint id", _) => {
                        vm.opa.aborted() == Some("unknown entrypoint id")
                    }
                    (_, false) => vm.opa.aborted() == Some("input is not valid JSON"),
                    (_, true) => vm.opa.aborted().is_none() && message.contains("refused the JSON"),
                };
                assert!(expected, "{why}: expected the ABI's failure, got {message}");
            }
        }
        let pages = vm.opa.memory_pages();
        assert!(pages <= MAX_PAGES, "memory grew to {pages} pages");
        if data.is_some() {
            vm.opa.set_data(&json!({})).expect("set_data back to {}");
        }
        let canary = vm
            .opa
            .eval_fast(vm.canary_id, &vm.canary_input)
            .expect("the canary evaluates after any input");
        assert_eq!(canary, vm.canary_result, "the canary's result changed");
        let heap = vm.opa.heap_ptr().expect("the heap pointer reads");
        assert_eq!(
            heap, vm.canary_heap,
            "the heap was not reset to where it was"
        );
    });
});

/// The native engine's answer, through the core's own JSON type (as the module reads its input).
fn native(id: usize, input: &Value, data: &Value) -> Option<Value> {
    let core =
        |v: &Value| policy_wasm::json::parse(&v.to_string()).expect("serde_json writes JSON");
    let result = policy_opa::evaluate(id, &core(input), &core(data))?;
    Some(serde_json::from_str(&result.to_string()).expect("the engine writes JSON"))
}
