//! `meshtel demo` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel demo`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel demo is not implemented yet")
}
