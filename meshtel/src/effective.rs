//! `meshtel effective` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel effective`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel effective is not implemented yet")
}
