//! `cargo xtask fuzz`: runs every cargo-fuzz target of `fuzz/` for a bounded time; `cargo xtask
//! test` runs the pure-Rust ones briefly ([`brief`]).
//!
//! cargo-fuzz is installed from crates.io into `target/tools` (project-local) when missing; the
//! targets build with the toolchain running xtask (stable: without a sanitizer cargo-fuzz needs no
//! nightly; the code under test is safe Rust, and panics, traps, hangs and allocations are what we
//! look for) into `target/fuzz`, which later runs reuse. The targets that load artifacts under
//! wasmtime sit behind the fuzz crate's `wasm` feature, so a build of the pure ones does not
//! compile wasmtime. Each run starts from the committed seeds `fuzz/corpus/<target>/` plus what
//! earlier runs found (`target/fuzz/corpus/`), with `-rss_limit_mb`, `-malloc_limit_mb` and
//! `-max_len` set. A crash leaves its input under `fuzz/artifacts/<target>/` and fails the command.

use crate::root;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// The cargo-fuzz release xtask installs.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// One cargo-fuzz target.
pub struct Target {
    /// The `[[bin]]` name in `fuzz/Cargo.toml`.
    pub name: &'static str,
    /// libFuzzer's `-max_len`.
    pub max_len: usize,
    /// Needs the `wasm` feature (wasmtime and `dist/`).
    pub wasm: bool,
}

const fn target(name: &'static str, max_len: usize, wasm: bool) -> Target {
    Target {
        name,
        max_len,
        wasm,
    }
}

/// Every target.
pub const TARGETS: &[Target] = &[
    target("cel", 4096, false),
    target("check_text", 16384, false),
    target("accesslog", 4096, false),
    target("filter_on_log", 8192, true),
    target("filter_configure", 8192, true),
    target("opa_abi", 16384, true),
];

/// Seconds per pure target in `cargo xtask test`.
pub const BRIEF_SECONDS: u64 = 20;

/// Memory ceiling per fuzz process; also the largest single allocation allowed.
const RSS_LIMIT_MB: u32 = 2048;
const MALLOC_LIMIT_MB: u32 = 512;

/// What one target did.
#[derive(Debug)]
pub struct Outcome {
    /// Target name.
    pub target: &'static str,
    /// Executions libFuzzer reported.
    pub execs: u64,
    /// Corpus entries after the run.
    pub corpus: usize,
}

fn tools_bin() -> PathBuf {
    root().join("target/tools/bin")
}

fn path_with_tools() -> String {
    let old = std::env::var("PATH").unwrap_or_default();
    format!("{}:{old}", tools_bin().display())
}

/// Installs cargo-fuzz into `target/tools` when missing.
fn ensure_tools() -> Result<()> {
    if !tools_bin().join("cargo-fuzz").exists() {
        eprintln!(
            "xtask: installing cargo-fuzz {CARGO_FUZZ_VERSION} from crates.io into target/tools"
        );
        crate::run(crate::cargo().args([
            "install",
            "cargo-fuzz",
            "--locked",
            "--version",
            CARGO_FUZZ_VERSION,
            "--root",
            "target/tools",
        ]))
        .context("cannot install cargo-fuzz")?;
    }
    Ok(())
}

/// `cargo fuzz <sub> …` in the workspace root with cargo-fuzz on PATH; `wasm` turns on the
/// targets that need wasmtime.
fn cargo_fuzz(sub: &str, wasm: bool) -> Command {
    let mut cmd = crate::cargo();
    cmd.env("PATH", path_with_tools())
        .env_remove("CARGO_TARGET_DIR")
        .args(["fuzz", sub, "-s", "none", "--target-dir", "target/fuzz"]);
    if wasm {
        cmd.args(["--features", "wasm"]);
    }
    cmd
}

/// Builds the pure targets, or every target when `wasm`.
pub fn build_targets(wasm: bool) -> Result<()> {
    ensure_tools()?;
    crate::run(&mut cargo_fuzz("build", wasm))
}

fn count_files(dir: &PathBuf) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Runs `target` for `seconds`; fails on a crash, naming the input that caused it.
pub fn run_target(target: &Target, seconds: u64) -> Result<Outcome> {
    let Target {
        name: target,
        max_len,
        wasm,
    } = *target;
    let work = root().join("target/fuzz/corpus").join(target);
    let seeds = root().join("fuzz/corpus").join(target);
    let artifacts = root().join("fuzz/artifacts").join(target);
    std::fs::create_dir_all(&work)?;
    std::fs::create_dir_all(&artifacts)?;
    let out = cargo_fuzz("run", wasm)
        .current_dir(root())
        .arg(target)
        .arg(&work)
        .arg(&seeds)
        .arg("--")
        .arg(format!("-max_total_time={seconds}"))
        .arg(format!("-max_len={max_len}"))
        .arg(format!("-rss_limit_mb={RSS_LIMIT_MB}"))
        .arg(format!("-malloc_limit_mb={MALLOC_LIMIT_MB}"))
        // A hang detector, not a performance assertion: one input taking a minute is a bug.
        .arg("-timeout=60")
        .arg(format!("-artifact_prefix={}/", artifacts.display()))
        .arg("-print_final_stats=1")
        .output()
        .with_context(|| format!("cannot run the fuzz target {target}"))?;
    let log = String::from_utf8_lossy(&out.stderr);
    let log_path = root().join(format!("target/fuzz/{target}.log"));
    std::fs::write(&log_path, log.as_bytes())?;
    let execs = log
        .lines()
        .find_map(|l| l.strip_prefix("stat::number_of_executed_units:"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    if !out.status.success() {
        let tail: Vec<&str> = log.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        bail!(
            "fuzz target {target} failed ({}); full log {}; the crashing input is under {}:\n{}",
            out.status,
            log_path.display(),
            artifacts.display(),
            tail.join("\n")
        );
    }
    Ok(Outcome {
        target,
        execs,
        corpus: count_files(&work) + count_files(&seeds),
    })
}

/// Builds and runs every target (or only `only`) for `seconds` each and prints a table.
pub fn run(seconds: u64, only: Option<&str>) -> Result<()> {
    let chosen: Vec<&Target> = TARGETS
        .iter()
        .filter(|t| only.is_none_or(|o| o == t.name))
        .collect();
    if chosen.is_empty() {
        bail!("no fuzz target named {:?}", only.unwrap_or_default());
    }
    build_targets(true)?;
    run_all(&chosen, seconds)
}

/// `cargo xtask test`'s share: the pure-Rust targets (CEL, admission input, access-log formats)
/// for [`BRIEF_SECONDS`] each, built without wasmtime.
pub fn brief() -> Result<()> {
    let pure: Vec<&Target> = TARGETS.iter().filter(|t| !t.wasm).collect();
    build_targets(false)?;
    run_all(&pure, BRIEF_SECONDS)
}

fn run_all(targets: &[&Target], seconds: u64) -> Result<()> {
    let mut outcomes = Vec::new();
    for target in targets {
        eprintln!("xtask: fuzzing {} for {seconds} s", target.name);
        outcomes.push(run_target(target, seconds)?);
    }
    println!("fuzzing ({seconds} s per target, no sanitizer, rss limit {RSS_LIMIT_MB} MB):");
    println!("  {:<16} {:>12} {:>10}", "target", "executions", "corpus");
    for o in &outcomes {
        println!("  {:<16} {:>12} {:>10}", o.target, o.execs, o.corpus);
    }
    println!("  no crash, panic, trap, timeout or over-limit allocation");
    Ok(())
}

/// Rewrites the committed seed corpus from the test corpus.
pub fn seed() -> Result<()> {
    crate::run(crate::cargo().args([
        "run",
        "--quiet",
        "--package",
        "host-tests",
        "--example",
        "fuzz_seed",
    ]))
}
