//! `meshtel replay`: recorded streams through the built proxy filter, records printed as written,
//! or with `--metrics` the Prometheus text Envoy would serve for the filter's metrics.

use anyhow::{Context, Result};
use host_tests::envoy::DEPLOY_ENVOY;
use host_tests::fixture::Fixture;
use host_tests::proxy::ProxyModule;
use host_tests::proxy::prometheus::{render, stats_tag_names};
use host_tests::replay::replay_with_metrics;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `meshtel replay`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Plugin configuration JSON (what a WasmPlugin's pluginConfig carries).
    #[arg(long)]
    config: PathBuf,
    /// The filter module to load.
    #[arg(long, default_value = "dist/proxy-filter.wasm")]
    module: PathBuf,
    /// Print the metrics as Envoy's `/stats/prometheus` would (with `deploy/envoy.yaml`'s
    /// `stats_tags`) instead of the records.
    #[arg(long)]
    metrics: bool,
    /// Recorded stream fixtures (JSON), replayed in order.
    #[arg(required = true)]
    fixtures: Vec<PathBuf>,
}

/// Runs the command: one line per record on stdout, the filter's other log lines on stderr.
pub fn run(args: Args) -> Result<ExitCode> {
    let config = std::fs::read(&args.config)
        .with_context(|| format!("cannot read {}", args.config.display()))?;
    let module = ProxyModule::load(&args.module)?;
    let fixtures = args
        .fixtures
        .iter()
        .map(Fixture::load)
        .collect::<Result<Vec<_>>>()?;
    let mut stdout = std::io::stdout().lock();
    let (streams, metrics) = replay_with_metrics(&module, &config, &fixtures)?;
    if args.metrics {
        stdout.write_all(render(&metrics, &stats_tag_names(DEPLOY_ENVOY)).as_bytes())?;
    }
    for stream in streams {
        for log in &stream.other_logs {
            eprintln!(
                "{}: {}",
                stream.fixture.display(),
                String::from_utf8_lossy(&log.message)
            );
        }
        for record in stream.records.iter().filter(|_| !args.metrics) {
            stdout.write_all(record)?;
            stdout.write_all(b"\n")?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
