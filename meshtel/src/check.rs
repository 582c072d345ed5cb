//! `meshtel check` (not implemented yet).

use std::process::ExitCode;

/// Arguments of `meshtel check`.
#[derive(Debug, clap::Args)]
pub struct Args {}

/// Runs the command.
pub fn run(_args: Args) -> anyhow::Result<ExitCode> {
    anyhow::bail!("meshtel check is not implemented yet")
}
