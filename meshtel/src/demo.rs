//! `meshtel demo`: the AKS brief end to end. Its Telemetry resource goes through the policy engine
//! and, as plugin configuration, into `dist/proxy-filter.wasm` under the wasmtime host, which
//! replays the brief's request through sleep's sidecar (outbound) and httpbin's (inbound).

use anyhow::{Context, Result, bail};
use host_tests::fixture::Fixture;
use host_tests::proxy::ProxyModule;
use host_tests::replay::replay;
use policy_wasm::check::{Options, check_text};
use policy_wasm::scope::Scope;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `meshtel demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The filter module to load.
    #[arg(long, default_value = "dist/proxy-filter.wasm")]
    module: PathBuf,
}

const EXAMPLES: [(&str, &str); 2] = [
    (
        "examples/aks-brief/mesh-logging-default.yaml",
        include_str!("../../examples/aks-brief/mesh-logging-default.yaml"),
    ),
    (
        "examples/aks-brief/blocked-filter.yaml",
        include_str!("../../examples/aks-brief/blocked-filter.yaml"),
    ),
];
const PLUGIN_CONFIG: &str = include_str!("../../examples/aks-brief/plugin-config.json");
const EXPECTED: &str = include_str!("../../examples/aks-brief/expected.log");
const STREAMS: [(&str, &str, &str); 2] = [
    (
        "sleep's sidecar, outbound (CLIENT)",
        "sleep-outbound-status-418.json",
        include_str!("../../host-tests/fixtures/seed/sleep-outbound-status-418.json"),
    ),
    (
        "httpbin's sidecar, inbound (SERVER)",
        "httpbin-inbound-status-418.json",
        include_str!("../../host-tests/fixtures/seed/httpbin-inbound-status-418.json"),
    ),
];

/// Runs the demo; exits 1 if a record differs from the brief.
pub fn run(args: Args) -> Result<ExitCode> {
    let module = ProxyModule::load(&args.module)
        .with_context(|| "build it first with `cargo xtask build` (or run `cargo xtask demo`)")?;
    let size = std::fs::metadata(&args.module)
        .map(|m| m.len())
        .unwrap_or(0);
    let fixtures = STREAMS
        .iter()
        .map(|(_, name, text)| Fixture::parse(text, Path::new(name)))
        .collect::<Result<Vec<_>>>()?;
    let replayed = replay(&module, PLUGIN_CONFIG.as_bytes(), &fixtures)?;

    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "meshtel demo: the AKS brief's Telemetry `aks-istio-system/mesh-logging-default`"
    )?;
    writeln!(
        out,
        "replayed through {} ({size} bytes) under wasmtime\n",
        args.module.display()
    )?;
    let mut produced = Vec::new();
    for ((label, _, _), stream) in STREAMS.iter().zip(&replayed) {
        writeln!(out, "{label}:")?;
        for record in &stream.records {
            out.write_all(record)?;
            out.write_all(b"\n")?;
            produced.push(record.clone());
        }
        writeln!(out)?;
    }
    let expected: Vec<&[u8]> = EXPECTED.lines().map(str::as_bytes).collect();
    if produced
        .iter()
        .map(Vec::as_slice)
        .ne(expected.iter().copied())
    {
        bail!("the records differ from the brief's lines:\n{EXPECTED}");
    }
    writeln!(
        out,
        "Both records are byte-identical to the brief's two lines.\n"
    )?;
    write_verdicts(&mut out)?;
    Ok(ExitCode::SUCCESS)
}

/// The admission verdicts of the AKS scope for the brief's resource and for a blocked one.
fn write_verdicts(out: &mut impl Write) -> Result<()> {
    let options = Options {
        revision: Some("asm-1-22".into()),
        ..Options::for_scope(Scope::aks())
    };
    writeln!(
        out,
        "Admission verdicts, scope {} (revision asm-1-22):",
        options.scope.title()
    )?;
    for (source, text) in EXAMPLES {
        let report = check_text(text, source, &options)?;
        for resource in &report.resources {
            let verdict = format!("{:?}", resource.verdict).to_lowercase();
            writeln!(
                out,
                "  {verdict:<5} {}/{} ({source})",
                resource.namespace, resource.name
            )?;
            for f in &resource.findings {
                writeln!(
                    out,
                    "        {} {} {}: {}",
                    f.severity.as_str(),
                    f.rule,
                    f.path,
                    f.message
                )?;
            }
        }
    }
    Ok(())
}
