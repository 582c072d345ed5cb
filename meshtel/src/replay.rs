//! `meshtel replay` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel replay`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel replay is not implemented yet")
}
