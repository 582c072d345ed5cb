//! `cargo xtask fuzz`: runs every cargo-fuzz target of `fuzz/` for a bounded time.
//!
//! cargo-fuzz is installed from crates.io into `target/tools` (project-local) when missing; the
//! targets build with the nightly toolchain into `target/fuzz`, without a sanitizer (the code under
//! test is safe Rust; panics, traps and allocations are what we look for). Each run starts from the
//! committed seeds `fuzz/corpus/<target>/` plus what earlier runs found (`target/fuzz/corpus/`),
//! with `-rss_limit_mb`, `-malloc_limit_mb` and `-max_len` set. A crash leaves its input under
//! `fuzz/artifacts/<target>/` and fails the command.

use crate::root;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// The cargo-fuzz release xtask installs.
const CARGO_FUZZ_VERSION: &str = "0.13.2";

/// Every target, with its `-max_len`.
pub const TARGETS: &[(&str, usize)] = &[
    ("cel", 4096),
    ("check_text", 16384),
    ("accesslog", 4096),
    ("filter_on_log", 8192),
    ("filter_configure", 8192),
];

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

/// Installs cargo-fuzz into `target/tools` and checks the nightly toolchain.
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
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        bail!(
            "cargo fuzz needs the nightly toolchain: run `rustup toolchain install nightly --profile minimal`"
        );
    }
    Ok(())
}

/// `cargo +nightly fuzz <sub> …` in the workspace root, with cargo-fuzz on PATH.
fn cargo_fuzz(sub: &str) -> Command {
    // The outer `cargo xtask` sets variables for its own toolchain; the nightly cargo must not
    // inherit them.
    let mut cmd = Command::new("cargo");
    cmd.env("PATH", path_with_tools())
        .env_remove("CARGO")
        .env_remove("RUSTC")
        .env_remove("RUSTUP_TOOLCHAIN")
        .env_remove("CARGO_TARGET_DIR")
        .args([
            "+nightly",
            "fuzz",
            sub,
            "-s",
            "none",
            "--target-dir",
            "target/fuzz",
        ]);
    cmd
}

/// Builds every target.
pub fn build_targets() -> Result<()> {
    ensure_tools()?;
    crate::run(&mut cargo_fuzz("build"))
}

fn count_files(dir: &PathBuf) -> usize {
    std::fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

/// Runs `target` for `seconds`; fails on a crash, naming the input that caused it.
pub fn run_target(target: &'static str, max_len: usize, seconds: u64) -> Result<Outcome> {
    let work = root().join("target/fuzz/corpus").join(target);
    let seeds = root().join("fuzz/corpus").join(target);
    let artifacts = root().join("fuzz/artifacts").join(target);
    std::fs::create_dir_all(&work)?;
    std::fs::create_dir_all(&artifacts)?;
    let out = cargo_fuzz("run")
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
    build_targets()?;
    let mut outcomes = Vec::new();
    for &(target, max_len) in TARGETS {
        if only.is_some_and(|o| o != target) {
            continue;
        }
        eprintln!("xtask: fuzzing {target} for {seconds} s");
        outcomes.push(run_target(target, max_len, seconds)?);
    }
    if outcomes.is_empty() {
        bail!("no fuzz target named {:?}", only.unwrap_or_default());
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
