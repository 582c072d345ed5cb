//! `meshtel cel` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel cel`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel cel is not implemented yet")
}
