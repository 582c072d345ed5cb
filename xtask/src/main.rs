//! `cargo xtask`: build every wasm artifact into `dist/`, run the tests, run the demo.

mod artifacts;
mod bench;
mod component;
mod fuzz;
mod npm;
mod opa;
mod playground;
mod size;
mod soak;
mod suites;
mod toolchain;
mod wasm_opt;

use anyhow::{Context, Result, bail};
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

const USAGE: &str =
    "usage: cargo xtask <build|test|demo|bench|record-fixtures|fuzz|soak|playground>
  build   build every wasm artifact into dist/ and print their sizes
  test    build, then run the workspace tests, every conformance suite, short soaks and
          brief fuzzing
  suites [WORD]  build, then run only the conformance suites whose name contains WORD
  demo    build, then replay the AKS brief's scenario through dist/proxy-filter.wasm
  bench [--quick]
          build, then measure (medians, never asserted), print one table and write
          target/bench/report.json and report.md; --quick is a short smoke run
  record-fixtures  re-record host-tests/fixtures/envoy/ from a real Envoy
  fuzz [--seconds N] [--target NAME] [--seed]
          build, then run each cargo-fuzz target of fuzz/ for N seconds (default 30);
          --seed rewrites the committed seed corpus fuzz/corpus/ from the test corpus
  soak [--short]
          build, then 1,000,000 streams through the filter under wasmtime (memory flat),
          100,000 requests through the real Envoy with the filter (no 503) and 1,000,000
          evaluations through dist/policy-opa.wasm (heap flat); prints the figures
  playground [PORT]  build dist/playground/ and serve it on 127.0.0.1 (prints the URL)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("build") => build().map(|_| ()),
        Some("test") => test(),
        Some("suites") => build().and_then(|_| run_suites(args.get(1).map(String::as_str))),
        Some("demo") => demo(),
        Some("bench") => build().and_then(|_| bench::command(&args[1..])),
        Some("record-fixtures") => build().and_then(|_| suites::envoy::record_fixtures()),
        Some("fuzz") => fuzz_command(&args[1..]),
        Some("soak") => {
            let counts = if args.get(1).is_some_and(|a| a == "--short") {
                &soak::SHORT
            } else {
                &soak::FULL
            };
            build().and_then(|_| soak::run(counts, true))
        }
        Some("playground") => playground::command(&args[1..]),
        _ => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("xtask: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// The workspace root (the parent of this crate).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

/// Runs a command in the workspace root, failing with its command line if it fails.
pub fn run(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    let status = cmd
        .current_dir(root())
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed with {status}");
    }
    Ok(())
}

/// `cargo`, as the one running xtask.
pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

fn build() -> Result<Vec<artifacts::Artifact>> {
    let route = toolchain::ensure_wasm_route()?;
    let built = artifacts::build_all(&route)?;
    println!("artifacts in dist/:");
    for a in &built {
        let verdict = match artifacts::budget(&a.name) {
            Some(b) if a.size <= b => format!("(budget {b}: ok)"),
            Some(b) => format!("(budget {b}: OVER by {})", a.size - b),
            None => String::new(),
        };
        println!("  {:<42} {:>9} bytes {verdict}", a.name, a.size);
    }
    size::report_cel(&route)?;
    Ok(built)
}

fn test() -> Result<()> {
    build()?;
    eprintln!("xtask: running the workspace tests (native, against the artifacts in dist/)");
    run(cargo().args(["test", "--workspace", "--exclude", "proxy-filter"]))?;
    run_suites(None)?;
    eprintln!("xtask: short soaks (filter under wasmtime, real Envoy, OPA module)");
    soak::run(&soak::SHORT, false)?;
    eprintln!("xtask: brief fuzzing of the pure-Rust targets");
    fuzz::brief()
}

/// Runs the conformance suites, or those whose name contains `word`.
fn run_suites(word: Option<&str>) -> Result<()> {
    let chosen: Vec<_> = suites::all()
        .into_iter()
        .filter(|s| word.is_none_or(|w| s.name.contains(w)))
        .collect();
    if chosen.is_empty() {
        bail!("no conformance suite's name contains {word:?}");
    }
    for suite in chosen {
        eprintln!("xtask: conformance suite: {}", suite.name);
        (suite.run)().map_err(|e| e.context(format!("suite {} failed", suite.name)))?;
    }
    Ok(())
}

fn fuzz_command(args: &[String]) -> Result<()> {
    let mut seconds = 30;
    let mut only = None;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        match arg.as_str() {
            "--seconds" => {
                seconds = it
                    .next()
                    .and_then(|s| s.parse().ok())
                    .context("--seconds takes a number")?
            }
            "--target" => only = Some(it.next().context("--target takes a name")?.clone()),
            "--seed" => return fuzz::seed(),
            other => bail!("unknown fuzz argument {other:?}\n{USAGE}"),
        }
    }
    build()?;
    fuzz::run(seconds, only.as_deref())
}

fn demo() -> Result<()> {
    build()?;
    run(cargo().args(["run", "--quiet", "--package", "meshtel", "--", "demo"]))
}
