//! Pinned npm packages installed into a directory under `target/`, once.

use crate::run;
use anyhow::{Context, Result};
use std::path::Path;
use std::process::Command;

/// Installs `package@version` under `dir/node_modules` unless that exact version is there.
pub fn ensure(dir: &Path, package: &str, version: &str) -> Result<()> {
    let manifest = dir.join("node_modules").join(package).join("package.json");
    let installed = std::fs::read_to_string(&manifest)
        .is_ok_and(|t| t.contains(&format!("\"version\": \"{version}\"")));
    if installed {
        return Ok(());
    }
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    eprintln!(
        "xtask: installing npm {package}@{version} into {}",
        dir.display()
    );
    run(Command::new("npm")
        .args([
            "install",
            "--no-audit",
            "--no-fund",
            "--no-save",
            "--prefix",
        ])
        .arg(dir)
        .arg(format!("{package}@{version}")))
    .with_context(|| format!("cannot install {package}@{version} (needs node and npm)"))
}
