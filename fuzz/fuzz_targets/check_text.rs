//! The admission check over arbitrary text: YAML, JSON, Lists and AdmissionReviews, under the
//! Istio and the AKS support scopes. The OPA entrypoints build AdmissionReviews from their input
//! and go through this same call; `opa_abi` fuzzes them inside the module.
#![no_main]

use libfuzzer_sys::fuzz_target;
use policy_wasm::check::{Options, check_text};
use policy_wasm::scope::Scope;
use std::sync::LazyLock;

static OPTIONS: LazyLock<[Options; 2]> = LazyLock::new(|| {
    [
        Options::for_scope(Scope::istio()),
        Options::for_scope(Scope::aks()),
    ]
});

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    for options in OPTIONS.iter() {
        if let Ok(report) = check_text(&text, "fuzz.yaml", options) {
            // Serialising the report is part of what admission does with it.
            let _ = policy_wasm::json::ToJson::to_json(&report).to_string();
        }
    }
});
