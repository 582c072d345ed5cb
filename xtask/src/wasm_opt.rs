//! Post-link size optimisation with Binaryen's `wasm-opt -Oz`.
//!
//! rustc's `opt-level = "z"` with LTO leaves 10–20% that Binaryen's whole-module passes remove
//! (duplicate functions, dead globals, local coalescing). Binaryen comes from npm (`binaryen`, a
//! wasm build of the tool run by Node) because Debian's package is too old to read what rustc
//! emits. Results are cached by content hash: the pass takes seconds per module under Node.

use crate::root;
use anyhow::{Context, Result, bail};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::PathBuf;
use std::process::Command;

/// The pinned npm `binaryen` release.
pub const BINARYEN_VERSION: &str = "132.0.0";

/// The features rustc enables by default for `wasm32-unknown-unknown`; a stripped module no
/// longer carries its `target_features` section, so Binaryen must be told.
const FEATURES: [&str; 6] = [
    "--enable-bulk-memory",
    "--enable-sign-ext",
    "--enable-mutable-globals",
    "--enable-nontrapping-float-to-int",
    "--enable-multivalue",
    "--enable-reference-types",
];

fn tools_dir() -> PathBuf {
    root().join("target/tools/binaryen")
}

/// The `wasm-opt` launcher, installed on first use.
fn wasm_opt() -> Result<PathBuf> {
    let dir = tools_dir();
    crate::npm::ensure(&dir, "binaryen", BINARYEN_VERSION)?;
    Ok(dir.join("node_modules/binaryen/bin/wasm-opt"))
}

/// The passes every module gets.
const DEFAULT_PASSES: &[&str] = &["-Oz"];

/// The proxy filter's passes: after `-Oz`, flattening and re-running the relooper on every
/// function lets a second `-Oz` (to a fixed point) fold another ~1.8 KB of control flow; the
/// filter executes as many wasm operations per request either way (wasmtime fuel, ±0.2%).
///
/// `--merge-similar-functions` (-250 bytes) folds functions that differ only in constants into
/// one with a parameter. `--low-memory-unused` (-1.3 KB) moves `ptr + C` (`C` < 1024) into
/// load/store offsets; the two differ only when `ptr + C` wraps past 2^32, which needs a base
/// within 1 KB of 4 GiB: never a pointer in a module whose memory is a few MiB. (Low memory is
/// Rust's stack here, and stays usable: an access to it through a real pointer is unchanged.)
pub const FILTER_PASSES: &[&str] = &[
    "--low-memory-unused",
    "-Oz",
    "--flatten",
    "--rereloop",
    "-Oz",
    "--merge-similar-functions",
    "-Oz",
    "--converge",
];

/// Returns `module` after `wasm-opt -Oz`, keeping custom sections (the OPA and Kubewarden
/// rewrites add theirs afterwards anyway).
pub fn optimize(module: &[u8]) -> Result<Vec<u8>> {
    optimize_with(module, DEFAULT_PASSES)
}

/// Like [`optimize`], with the `wasm-opt` passes given.
pub fn optimize_with(module: &[u8], passes: &[&str]) -> Result<Vec<u8>> {
    let mut hasher = DefaultHasher::new();
    (BINARYEN_VERSION, FEATURES, passes, module).hash(&mut hasher);
    let cache = tools_dir().join("cache");
    let cached = cache.join(format!("{:016x}.wasm", hasher.finish()));
    if let Ok(bytes) = std::fs::read(&cached) {
        return Ok(bytes);
    }
    let tool = wasm_opt()?;
    std::fs::create_dir_all(&cache)
        .with_context(|| format!("cannot create {}", cache.display()))?;
    let input = cached.with_extension("in.wasm");
    std::fs::write(&input, module).with_context(|| format!("cannot write {}", input.display()))?;
    let out = Command::new(&tool)
        .args(passes)
        .args(FEATURES)
        .arg(&input)
        .arg("-o")
        .arg(&cached)
        .output()
        .with_context(|| format!("cannot run {} (needs node)", tool.display()))?;
    let _ = std::fs::remove_file(&input);
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let first: Vec<&str> = stderr.lines().take(8).collect();
        bail!("wasm-opt failed with {}:\n{}", out.status, first.join("\n"));
    }
    std::fs::read(&cached).with_context(|| format!("cannot read {}", cached.display()))
}
