//! The OPA SDKs written by others load `dist/policy-opa.wasm` and evaluate the policy core's whole
//! case corpus; every result set must equal the native engine's. Installs, under
//! `target/opa-hosts/`: npm `@open-policy-agent/opa-wasm@1.10.0` (Node) and PyPI
//! `opa-py-wasm==1.2.1` (in a virtualenv it makes). Fails if either cannot be installed.

use crate::{root, run};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

pub const NPM_PACKAGE: &str = "@open-policy-agent/opa-wasm";
pub const NPM_VERSION: &str = "1.10.0";
const PYPI_PACKAGE: &str = "opa-py-wasm";
const PYPI_VERSION: &str = "1.2.1";

/// Runs the suite.
pub fn run_suite() -> Result<()> {
    let dir = root().join("target/opa-hosts");
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    crate::npm::ensure(&dir, NPM_PACKAGE, NPM_VERSION)?;
    let python = install_pypi(&dir)?;
    let corpus = dir.join("evaluations.json");
    eprintln!(
        "xtask: computing the corpus evaluations natively and in the wasmtime OPA host (host-tests bin opa-corpus)"
    );
    run(crate::cargo()
        .args([
            "run",
            "--quiet",
            "--package",
            "host-tests",
            "--bin",
            "opa-corpus",
            "--",
        ])
        .arg(&corpus))?;
    let wasm = root().join("dist/policy-opa.wasm");
    let scripts = root().join("host-tests/opa-hosts");
    run(Command::new("node")
        .env("NODE_PATH", dir.join("node_modules"))
        .arg(scripts.join("npm.js"))
        .args([&wasm, &corpus]))
    .context("the npm SDK disagrees with the native engine")?;
    run(Command::new(&python)
        .arg(scripts.join("python.py"))
        .args([&wasm, &corpus]))
    .context("the Python SDK disagrees with the native engine")?;
    Ok(())
}

fn install_pypi(dir: &Path) -> Result<std::path::PathBuf> {
    let venv = dir.join("venv");
    let python = venv.join("bin/python");
    if !python.exists() {
        eprintln!("xtask: creating a Python virtualenv in {}", venv.display());
        run(Command::new("python3").args(["-m", "venv"]).arg(&venv)).context(
            "cannot create a virtualenv (needs python3 with the venv module, e.g. Debian's python3-venv)",
        )?;
    }
    let shown = Command::new(&python)
        .args(["-m", "pip", "show", PYPI_PACKAGE])
        .output()
        .is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).contains(&format!("Version: {PYPI_VERSION}"))
        });
    if !shown {
        eprintln!(
            "xtask: installing PyPI {PYPI_PACKAGE}=={PYPI_VERSION} into {}",
            venv.display()
        );
        run(Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .arg(format!("{PYPI_PACKAGE}=={PYPI_VERSION}")))
        .with_context(|| format!("cannot install {PYPI_PACKAGE}=={PYPI_VERSION}"))?;
    }
    if !python.exists() {
        bail!("the virtualenv has no {}", python.display());
    }
    Ok(python)
}
