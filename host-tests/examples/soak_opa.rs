//! `soak_opa N`, driven by `cargo xtask soak` (1,000,000) and `cargo xtask test` (short): N
//! evaluations through `dist/policy-opa.wasm` in the strict wasmtime OPA host, the case corpus's
//! evaluations in turn, alternating the fast path (`opa_eval`) and the evaluation-context path.
//!
//! Checked: every result equals the native engine's; the linear memory at the end equals its size
//! after warm-up; and the heap is reset exactly, i.e. each evaluation leaves the heap pointer at
//! the same address every time it runs. Prints the figures; exits non-zero when a check fails.
//! Nothing is timed.

use anyhow::{Context, Result, ensure};
use host_tests::opa::OpaPolicy;
use host_tests::opa::corpus::{cases_dir, evaluations};
use serde_json::json;

fn main() -> Result<()> {
    let requested: usize = match std::env::args().nth(1) {
        Some(s) => s.parse().context("the evaluation count is a number")?,
        None => 1_000_000,
    };
    let (evals, cases) = evaluations(&cases_dir())?;
    ensure!(!evals.is_empty(), "the case corpus gave no evaluation");
    let policy = OpaPolicy::load(host_tests::dist("policy-opa.wasm"))?;
    let mut opa = policy.instantiate(&json!({}))?;
    let inputs: Vec<Vec<u8>> = evals
        .iter()
        .map(|e| serde_json::to_vec(&e.input))
        .collect::<Result<_, _>>()?;
    let ids: Vec<i32> = evals
        .iter()
        .map(|e| opa.entrypoint(&e.entrypoint))
        .collect::<Result<_>>()?;
    // One slot per (evaluation, path): the heap pointer it left the first time it ran.
    let slots = evals.len() * 2;
    let mut heap_after: Vec<Option<i32>> = vec![None; slots];
    // Warm-up: every evaluation on both paths twice, so every code path has grown what it keeps.
    let warm_up = (slots * 2).min(requested / 10);
    let (mut memory_after_warm_up, mut heap_checks, mut data_changes) = (0, 0usize, 0usize);
    let mut data = json!({});
    for i in 0..requested {
        if i == warm_up {
            memory_after_warm_up = opa.memory_pages() * 65_536;
        }
        let slot = i % slots;
        let (e, fast) = (&evals[slot / 2], slot % 2 == 0);
        if e.data != data {
            opa.set_data(&e.data)?;
            data = e.data.clone();
            data_changes += 1;
        }
        let id = ids[slot / 2];
        let got = if fast {
            opa.eval_fast(id, &inputs[slot / 2])
        } else {
            opa.eval_ctx_json(id, &inputs[slot / 2])
        }
        .with_context(|| format!("evaluation {i}: {}", e.label))?;
        ensure!(
            got == e.expected,
            "evaluation {i} ({}): got {got}, want {}",
            e.label,
            e.expected
        );
        let heap = opa.heap_ptr()?;
        match heap_after[slot] {
            None => heap_after[slot] = Some(heap),
            Some(first) => {
                ensure!(
                    heap == first,
                    "evaluation {i} ({}) left the heap pointer at {heap}, first time at {first}",
                    e.label
                );
                heap_checks += 1;
            }
        }
    }
    let memory_at_end = opa.memory_pages() * 65_536;
    println!("soak: wasmtime OPA host, dist/policy-opa.wasm");
    println!("  evaluations:                   {requested}");
    println!(
        "  distinct evaluations:          {} from {cases} corpus cases, each on both paths",
        evals.len()
    );
    println!("  data document changes:         {data_changes}");
    println!("  warm-up evaluations:           {warm_up}");
    println!("  linear memory after warm-up:   {memory_after_warm_up} bytes");
    println!("  linear memory at the end:      {memory_at_end} bytes");
    println!("  heap pointer checks equal:     {heap_checks} (every repeat of an evaluation)");
    println!("  results equal to native:       {requested}");
    ensure!(
        memory_at_end == memory_after_warm_up,
        "linear memory grew from {memory_after_warm_up} to {memory_at_end} bytes"
    );
    Ok(())
}
