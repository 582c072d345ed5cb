//! Making sure the wasm targets exist: rustup first, Debian's toolchain with build-std as the
//! fallback, or one sentence saying what is missing.

use anyhow::{Result, bail};
use std::path::Path;
use std::process::Command;

/// How wasm artifacts get compiled on this machine.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// rustup's prebuilt `wasm32-unknown-unknown` standard library.
    Rustup,
    /// Debian's `rustc-web` with `-Zbuild-std` (toolchain.md §5).
    DebianBuildStd,
    /// rustup's nightly with the standard library rebuilt for size: `panic = immediate-abort`
    /// drops every panic message and the formatting they pull in, `optimize_for_size` picks the
    /// small variants of core's algorithms. Same source, same behaviour; ~17% smaller modules.
    NightlyBuildStd,
}

const TARGETS: [&str; 2] = ["wasm32-unknown-unknown", "wasm32-wasip1"];

fn installed_targets() -> Option<String> {
    let out = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Set to build the wasm artifacts with the stable toolchain even when nightly is there.
pub const STABLE_ENV: &str = "MESHTEL_STABLE_WASM";

/// The route for the shipped artifacts: nightly's size-optimised standard library when rustup
/// has a nightly toolchain (installing its `rust-src` if needed), else the stable route.
pub fn ensure_wasm_route() -> Result<Route> {
    let stable = ensure_wasm_targets()?;
    if stable != Route::Rustup || std::env::var_os(STABLE_ENV).is_some() {
        return Ok(stable);
    }
    if nightly_ready() {
        return Ok(Route::NightlyBuildStd);
    }
    eprintln!(
        "xtask: no rustup nightly with rust-src; building wasm with stable (modules are ~17% larger than the size budgets assume)"
    );
    Ok(stable)
}

/// True when `rustup run nightly` works and has (or can be given) `rust-src`.
fn nightly_ready() -> bool {
    let has_src = || {
        Command::new("rustup")
            .args(["component", "list", "--installed", "--toolchain", "nightly"])
            .output()
            .is_ok_and(|o| {
                o.status.success()
                    && String::from_utf8_lossy(&o.stdout)
                        .lines()
                        .any(|l| l.trim() == "rust-src")
            })
    };
    if has_src() {
        return true;
    }
    let nightly = Command::new("rustup")
        .args(["run", "nightly", "rustc", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !nightly {
        return false;
    }
    eprintln!("xtask: installing rust-src for the nightly toolchain (rebuilds std for size)");
    Command::new("rustup")
        .args(["component", "add", "rust-src", "--toolchain", "nightly"])
        .status()
        .is_ok_and(|s| s.success())
        && has_src()
}

/// Ensures the wasm targets; says what it installs.
pub fn ensure_wasm_targets() -> Result<Route> {
    if let Some(installed) = installed_targets() {
        let missing: Vec<&str> = TARGETS
            .iter()
            .copied()
            .filter(|t| !installed.lines().any(|l| l.trim() == *t))
            .collect();
        if missing.is_empty() {
            return Ok(Route::Rustup);
        }
        eprintln!("xtask: installing Rust targets {}", missing.join(", "));
        let ok = Command::new("rustup")
            .arg("target")
            .arg("add")
            .args(&missing)
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(Route::Rustup);
        }
        eprintln!(
            "xtask: rustup could not add the wasm targets; trying Debian's toolchain with build-std"
        );
    }
    debian_route()
}

fn debian_route() -> Result<Route> {
    let ready = Path::new("/usr/bin/rustc").exists() && Path::new("/usr/lib/rust-web-src").exists()
        || Path::new("/usr/src/rustc-src").exists();
    if !ready && Path::new("/usr/bin/apt-get").exists() {
        eprintln!("xtask: installing Debian packages rustc-web cargo-web rust-web-src lld");
        let ok = Command::new("sh")
            .args(["-c", "apt-get update -qq && apt-get install -y -qq rustc-web cargo-web rust-web-src lld >/dev/null"])
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            return Ok(Route::DebianBuildStd);
        }
    } else if ready {
        return Ok(Route::DebianBuildStd);
    }
    bail!(
        "the wasm32-unknown-unknown target is missing and could not be installed: run `rustup target add wasm32-unknown-unknown wasm32-wasip1`, or install Debian's rustc-web, cargo-web, rust-web-src and lld"
    )
}
