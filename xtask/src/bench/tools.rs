//! Tools the bench needs besides those the test suites install: Debian's `wrk`.

use anyhow::Result;
use std::process::Command;

/// Installs Debian's `wrk` (the loopback load generator of the real-Envoy rows) if missing.
pub fn ensure_wrk() -> Result<()> {
    // `wrk -v` prints its version and exits 1; only a missing binary fails to start.
    if Command::new("wrk").arg("-v").output().is_ok() {
        return Ok(());
    }
    eprintln!("xtask: installing wrk (Debian) for the real-Envoy load");
    crate::run(Command::new("sh").args([
        "-c",
        "apt-get update -qq && apt-get install -y -qq wrk >/dev/null",
    ]))
}
