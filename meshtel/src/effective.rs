//! `meshtel effective`: the configuration one workload ends up with.

use crate::check::{Format, collect_files, options, read_all};
use anyhow::{Result, bail};
use policy_wasm::check::{self, Source};
use policy_wasm::json::ToJson;
use policy_wasm::model::Telemetry;
use policy_wasm::resolve::{self, Effective, Scene};
use policy_wasm::sorted_map::SortedMap;
use policy_wasm::workload::{Mode, Workload};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Traffic direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModeArg {
    /// Outbound (the workload is the source).
    Client,
    /// Inbound (the workload is the destination).
    Server,
    /// Both.
    Both,
}

/// Arguments of `meshtel effective`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Namespace of the workload.
    #[arg(long)]
    pub namespace: String,
    /// Labels of the workload: `k=v,k2=v2`.
    #[arg(long, default_value = "")]
    pub labels: String,
    /// Mode to resolve.
    #[arg(long, value_enum, default_value = "both")]
    pub mode: ModeArg,
    /// Support scope (for its root namespace): `aks`, `istio` or a file.
    #[arg(long, default_value = "istio")]
    pub scope: String,
    /// MeshConfig file.
    #[arg(long)]
    pub mesh_config: Option<PathBuf>,
    /// Root namespace (default: the scope's).
    #[arg(long)]
    pub root_namespace: Option<String>,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Format,
    /// Files, folders or `-`.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

fn parse_labels(text: &str) -> Result<SortedMap<String>> {
    let mut labels = SortedMap::new();
    for pair in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let Some((k, v)) = pair.split_once('=') else {
            bail!("label `{pair}` is not k=v")
        };
        labels.insert(k.trim().to_string(), v.trim().to_string());
    }
    Ok(labels)
}

/// Runs the command.
pub fn run(args: Args) -> Result<ExitCode> {
    let options = options(
        &args.scope,
        args.mesh_config.as_deref(),
        None,
        args.root_namespace,
    )?;
    let texts = read_all(&collect_files(&args.paths)?)?;
    let sources: Vec<Source<'_>> = texts
        .iter()
        .map(|(name, text)| Source { text, name })
        .collect();
    let (checked, _) = check::check_resources(&sources, &options)?;
    let mut telemetries: Vec<Telemetry> = checked.into_iter().map(|c| c.telemetry).collect();
    resolve::sort_like_istiod(&mut telemetries);
    let mesh = options.mesh_with_builtins();
    let scene = Scene {
        telemetries: &telemetries,
        mesh: &mesh,
        root_namespace: options.root_namespace(),
    };
    let workload = Workload {
        namespace: args.namespace,
        name: String::new(),
        labels: parse_labels(&args.labels)?,
    };
    let modes: &[Mode] = match args.mode {
        ModeArg::Client => &[Mode::Client],
        ModeArg::Server => &[Mode::Server],
        ModeArg::Both => &Mode::BOTH,
    };
    let results: Vec<Effective> = modes
        .iter()
        .map(|m| resolve::resolve(&scene, &workload, *m))
        .collect();
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => writeln!(
            out,
            "{}",
            policy_wasm::json::to_string_pretty(&results.to_json())
        )?,
        Format::Table => {
            for e in &results {
                write!(out, "{}", table(e))?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn table(e: &Effective) -> String {
    let mut out = format!(
        "== mode {} (from: {})\n",
        e.mode.as_str().to_uppercase(),
        if e.sources.is_empty() {
            "-".into()
        } else {
            e.sources.join(" → ")
        }
    );
    match &e.access_logging {
        None => out.push_str(
            "access logging   not configured by Telemetry (MeshConfig accessLogFile applies)\n",
        ),
        Some(list) if list.is_empty() => out.push_str("access logging   off\n"),
        Some(list) => {
            for p in list {
                out.push_str(&format!(
                    "access logging   {:<12} on{}\n",
                    p.provider,
                    p.filter
                        .as_ref()
                        .map(|f| format!(", filter: {f}"))
                        .unwrap_or_default()
                ));
            }
        }
    }
    if e.metrics.is_empty() {
        out.push_str("metrics          no provider\n");
    }
    for m in &e.metrics {
        let mode = m.mode(e.mode);
        let state = if mode.disabled {
            "off (ALL_METRICS disabled)"
        } else {
            "on"
        };
        out.push_str(&format!("metrics          {:<12} {state}", m.provider));
        if let Some(i) = &m.reporting_interval {
            out.push_str(&format!(", reportingInterval {i}"));
        }
        out.push('\n');
        for o in &mode.overrides {
            let tags: Vec<String> = o
                .tags
                .iter()
                .map(|t| {
                    if t.remove {
                        format!("-{}", t.name)
                    } else {
                        format!("{}={}", t.name, t.value.as_deref().unwrap_or(""))
                    }
                })
                .collect();
            out.push_str(&format!(
                "                   {:<24} {}{}\n",
                o.name,
                if o.disabled { "disabled" } else { "enabled" },
                if tags.is_empty() {
                    String::new()
                } else {
                    format!(" tags: {}", tags.join(" "))
                }
            ));
        }
    }
    match &e.tracing {
        None => out.push_str("tracing          not configured by Telemetry\n"),
        Some(t) => {
            out.push_str(&format!(
                "tracing          {} {}, sampling {}, requestIdSampling {}, istioTags {}, contextPropagation {}",
                t.provider.as_deref().unwrap_or("(no provider)"),
                if t.disabled { "off" } else { "on" },
                t.random_sampling_percentage.map_or("default".to_string(), |p| format!("{p}%")),
                t.use_request_id_for_trace_sampling,
                t.enable_istio_tags,
                !t.disable_context_propagation
            ));
            if let Some(tags) = &t.custom_tags {
                let names: Vec<&str> = tags.keys().map(String::as_str).collect();
                out.push_str(&format!(", customTags: {}", names.join(" ")));
            }
            out.push('\n');
        }
    }
    out
}
