//! `meshtel`: check Telemetry resources, compute effective configuration, replay recorded
//! requests through the built proxy filter, and run the demo.

mod cel;
mod check;
mod demo;
mod effective;
mod replay;
mod serve;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// meshtel: the Istio Telemetry API, checked at admission and applied in the proxy.
#[derive(Debug, Parser)]
#[command(name = "meshtel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check Telemetry resources against Istio's rules and a support scope.
    Check(check::Args),
    /// Print the configuration a workload ends up with.
    Effective(effective::Args),
    /// Check a CEL expression and evaluate it against a recorded request.
    Cel(cel::Args),
    /// Replay recorded request fixtures through dist/proxy-filter.wasm and print the records.
    Replay(replay::Args),
    /// Replay the AKS brief's scenario and show the policy verdicts.
    Demo(demo::Args),
    /// Serve the admission policy as a Kubernetes validating webhook.
    Serve(serve::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Check(args) => check::run(args),
        Command::Effective(args) => effective::run(args),
        Command::Cel(args) => cel::run(args),
        Command::Replay(args) => replay::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Serve(args) => serve::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            eprintln!("meshtel: {err:#}");
            ExitCode::from(2)
        }
    }
}
