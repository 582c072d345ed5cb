//! `meshtel serve` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel serve`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel serve is not implemented yet")
}
