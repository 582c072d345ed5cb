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
