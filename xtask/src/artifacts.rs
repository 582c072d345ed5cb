//! Building each wasm artifact into `dist/`.

use crate::root;
use crate::toolchain::Route;
use anyhow::{Context, Result};
use std::path::PathBuf;
use std::process::Command;

/// A built artifact.
#[derive(Debug, Clone)]
pub struct Artifact {
    /// File name under `dist/`.
    pub name: String,
    /// Size in bytes.
    pub size: u64,
}

/// Builds the cdylib `package` for wasm32-unknown-unknown in release and returns the .wasm path.
pub fn build_wasm(route: &Route, package: &str) -> Result<PathBuf> {
    build_wasm_features(route, package, &[])
}

/// Like [`build_wasm`], with cargo features enabled. Copy the result out before building the same
/// package with other features: the output path is the same.
pub fn build_wasm_features(route: &Route, package: &str, features: &[&str]) -> Result<PathBuf> {
    build_wasm_profile(route, package, features, "release")
}

/// Like [`build_wasm_features`], with a cargo profile of the root `Cargo.toml` (one that inherits
/// `release`).
pub fn build_wasm_profile(
    route: &Route,
    package: &str,
    features: &[&str],
    profile: &str,
) -> Result<PathBuf> {
    let mut cmd;
    let target_dir = match route {
        Route::Rustup => {
            cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
            cmd.args(["build", "--profile", profile]);
            cmd.args(["--target", "wasm32-unknown-unknown", "--package", package]);
            std::env::var_os("CARGO_TARGET_DIR")
                .map(PathBuf::from)
                .unwrap_or_else(|| root().join("target"))
        }
        Route::NightlyBuildStd => {
            let dir = root().join("target/wasm-nightly");
            cmd = Command::new("rustup");
            // The outer cargo's toolchain variables would pin the stable compiler.
            cmd.env_remove("RUSTC")
                .env_remove("RUSTUP_TOOLCHAIN")
                .env_remove("CARGO")
                .env("CARGO_TARGET_DIR", &dir)
                .env(
                    "CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS",
                    "-Zunstable-options -Cpanic=immediate-abort",
                );
            cmd.args(["run", "nightly", "cargo", "build", "--profile", profile]);
            cmd.args(["--target", "wasm32-unknown-unknown", "--package", package]);
            cmd.args([
                "-Zbuild-std=std,panic_abort",
                "-Zbuild-std-features=optimize_for_size",
            ]);
            dir
        }
        Route::DebianBuildStd => {
            let dir = root().join("target/deb");
            cmd = Command::new("/usr/bin/cargo");
            cmd.env("RUSTC", "/usr/bin/rustc")
                .env("RUSTC_BOOTSTRAP", "1")
                .env("CARGO_TARGET_DIR", &dir);
            cmd.args(["build", "--profile", profile]);
            cmd.args(["--target", "wasm32-unknown-unknown", "--package", package]);
            cmd.args(["-Zbuild-std=std,panic_abort"]);
            dir
        }
    };
    if !features.is_empty() {
        cmd.args(["--features", &features.join(",")]);
    }
    crate::run(&mut cmd)?;
    Ok(target_dir
        .join("wasm32-unknown-unknown")
        .join(profile)
        .join(format!("{}.wasm", package.replace('-', "_"))))
}

/// Optimises a built core module with the `wasm-opt` passes given and installs it into `dist/`
/// under `name`.
pub fn install(from: PathBuf, name: &str, passes: &[&str]) -> Result<Artifact> {
    let bytes = std::fs::read(&from).with_context(|| format!("cannot read {}", from.display()))?;
    install_bytes(&crate::wasm_opt::optimize_with(&bytes, passes)?, name)
}

/// Writes finished module bytes into `dist/` under `name`.
pub fn install_bytes(bytes: &[u8], name: &str) -> Result<Artifact> {
    let dist = root().join("dist");
    std::fs::create_dir_all(&dist).context("cannot create dist/")?;
    let to = dist.join(name);
    std::fs::write(&to, bytes).with_context(|| format!("cannot write {}", to.display()))?;
    Ok(Artifact {
        name: name.to_string(),
        size: bytes.len() as u64,
    })
}

/// The size budget of an artifact, from the issues that set one (#6 filter, #5 OPA module, #8
/// playground), in bytes; "KB" read as 1,000 bytes, the stricter reading.
pub fn budget(name: &str) -> Option<u64> {
    match name {
        "proxy-filter.wasm" => Some(200_000),
        "policy-opa.wasm" | "policy-kubewarden.wasm" => Some(300_000),
        "playground/pkg/policy_playground_bg.wasm" => Some(1024 * 1024),
        _ => None,
    }
}

/// Builds every artifact.
pub fn build_all(route: &Route) -> Result<Vec<Artifact>> {
    let passes = crate::wasm_opt::FILTER_PASSES;
    let recorder = install(
        build_wasm_features(route, "proxy-filter", &["record"])?,
        "proxy-recorder.wasm",
        passes,
    )?;
    let filter = install(
        build_wasm(route, "proxy-filter")?,
        "proxy-filter.wasm",
        passes,
    )?;
    Ok(vec![
        filter,
        recorder,
        crate::opa::build(route, crate::opa::Variant::Opa)?,
        crate::opa::build(route, crate::opa::Variant::Kubewarden)?,
        crate::component::build(route)?,
        crate::playground::build(route)?,
    ])
}
