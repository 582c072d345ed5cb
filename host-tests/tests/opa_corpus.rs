//! The case corpus gives identical results natively and through `dist/policy-opa.wasm` in the
//! strict OPA host, on both the `opa_eval` fast path and the eval-context path, and the host's
//! heap discipline keeps memory flat.

use host_tests::opa::{INITIAL_PAGES, OpaPolicy, corpus};
use serde_json::{Value, json};

fn policy(name: &str) -> OpaPolicy {
    let path = host_tests::dist(name);
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask build`",
        path.display()
    );
    OpaPolicy::load(&path).unwrap_or_else(|e| panic!("{name} refused by the strict host: {e:#}"))
}

#[test]
fn corpus_is_identical_natively_and_in_wasmtime_on_both_paths() {
    let policy = policy("policy-opa.wasm");
    let (evaluations, cases) = corpus::evaluations(&corpus::cases_dir()).unwrap();
    assert!(
        evaluations.len() > cases,
        "the corpus produced no evaluations"
    );
    let tally = corpus::run_in_host(&policy, &evaluations).unwrap();
    let n = evaluations.len();
    println!(
        "opa-wasm wasmtime opa_eval: {}/{n} identical ({cases} cases)",
        tally.fast_identical
    );
    println!(
        "opa-wasm wasmtime eval ctx: {}/{n} identical ({cases} cases)",
        tally.ctx_identical
    );
    assert!(
        tally.mismatches.is_empty(),
        "{} mismatches:\n{}",
        tally.mismatches.len(),
        tally.mismatches.join("\n")
    );
    assert_eq!((tally.fast_identical, tally.ctx_identical), (n, n));
}

#[test]
fn heap_resets_keep_memory_flat_over_many_evaluations() {
    let policy = policy("policy-opa.wasm");
    let mut instance = policy.instantiate(&json!({"scope": "aks"})).unwrap();
    let id = instance.entrypoint("telemetry/response").unwrap();
    let input = json!({"request": {"uid": "u", "namespace": "aks-istio-system", "object": {
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "t"}, "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}]}}}});
    let bytes = serde_json::to_vec(&input).unwrap();
    let first = instance.eval_fast(id, &bytes).unwrap();
    let pages = instance.memory_pages();
    for _ in 0..2000 {
        assert_eq!(instance.eval_fast(id, &bytes).unwrap(), first);
        assert_eq!(instance.eval_ctx(id, &input).unwrap(), first);
    }
    assert_eq!(
        instance.memory_pages(),
        pages,
        "memory grew although the heap is reset"
    );
    assert!(
        pages <= u64::from(INITIAL_PAGES) + 2,
        "{pages} pages for one small review"
    );
    assert_eq!(first[0]["result"]["response"]["allowed"], true);
    assert!(
        first[0]["result"]["response"]["warnings"]
            .as_array()
            .is_some_and(|w| !w.is_empty())
    );
}

#[test]
fn entrypoints_and_kubewarden_variant() {
    let opa = policy("policy-opa.wasm").instantiate(&json!({})).unwrap();
    assert_eq!(opa.entrypoint("telemetry/violation").unwrap(), 0);
    let mut kw = policy("policy-kubewarden.wasm")
        .instantiate(&json!({"scope": "aks"}))
        .unwrap();
    assert_eq!(kw.entrypoint("telemetry/response").unwrap(), 0);
    // Kubewarden's evaluator: entrypoint 0 on the context path, settings as data.
    let input = json!({"request": {"uid": "k1", "namespace": "aks-istio-system", "object": {
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry", "metadata": {"name": "t"},
        "spec": {"accessLogging": [{"providers": [{"name": "envoy"}],
                 "filter": {"expression": "response.code >= 400"}}]}}}});
    let got = kw.eval_ctx(0, &input).unwrap();
    let response = &got[0]["result"]["response"];
    assert_eq!(response["uid"], "k1");
    assert_eq!(response["allowed"], false);
    assert_eq!(response["status"]["code"], 403);
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("accessLogging[0].filter")
    );
    // The metadata section Kubewarden reads.
    let bytes = std::fs::read(host_tests::dist("policy-kubewarden.wasm")).unwrap();
    let metadata = custom_section(&bytes, "io.kubewarden.metadata").expect("metadata section");
    let metadata: Value = serde_json::from_slice(&metadata).unwrap();
    assert_eq!(metadata["executionMode"], "opa");
    assert_eq!(
        metadata["rules"][0]["apiGroups"],
        json!(["telemetry.istio.io"])
    );
    assert_eq!(
        metadata["rules"][0]["operations"],
        json!(["CREATE", "UPDATE"])
    );
    assert!(
        custom_section(
            &std::fs::read(host_tests::dist("policy-opa.wasm")).unwrap(),
            "io.kubewarden.metadata"
        )
        .is_none()
    );
}

#[test]
fn hostile_inputs_fail_cleanly_and_the_instance_recovers() {
    let mut instance = policy("policy-opa.wasm").instantiate(&json!({})).unwrap();
    let id = instance.entrypoint("telemetry/violation").unwrap();
    assert!(instance.eval_fast(id, b"{not json").is_err());
    assert!(
        instance.eval_fast(99, b"{}").is_err(),
        "unknown entrypoint must abort"
    );
    let deep = format!(
        "{{\"review\":{{\"object\":{}1{}}}}}",
        "[".repeat(120),
        "]".repeat(120)
    );
    let _ = instance.eval_fast(id, deep.as_bytes());
    let bad_params = json!({"review": {"object": {}}, "parameters": {"scope": "nowhere"}});
    let got = instance.eval_ctx(id, &bad_params).unwrap();
    assert!(
        got[0]["result"][0]["msg"]
            .as_str()
            .unwrap()
            .contains("unknown scope")
    );
    let fine = instance
        .eval_fast(id, br#"{"review": {"object": null}}"#)
        .unwrap();
    assert_eq!(fine, json!([{"result": []}]));
}

/// The bytes of custom section `name`, if the module has one.
fn custom_section(module: &[u8], name: &str) -> Option<Vec<u8>> {
    fn leb(b: &[u8], at: &mut usize) -> usize {
        let (mut v, mut shift) = (0usize, 0);
        loop {
            let byte = b[*at];
            *at += 1;
            v |= usize::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return v;
            }
            shift += 7;
        }
    }
    let mut at = 8;
    while at < module.len() {
        let id = module[at];
        at += 1;
        let size = leb(module, &mut at);
        let end = at + size;
        if id == 0 {
            let mut p = at;
            let len = leb(module, &mut p);
            if &module[p..p + len] == name.as_bytes() {
                return Some(module[p + len..end].to_vec());
            }
        }
        at = end;
    }
    None
}
