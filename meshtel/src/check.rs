//! `meshtel check`: Istio validation, support scope and analysis over files, folders or stdin.

use anyhow::{Context, Result, bail};
use policy_wasm::check::{self, Options, Report, Source, Verdict};
use policy_wasm::finding::Severity;
use policy_wasm::input;
use policy_wasm::json::ToJson;
use policy_wasm::model::MeshConfig;
use policy_wasm::scope::Scope;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One row per finding, for people.
    Table,
    /// The report as JSON.
    Json,
}

/// Arguments of `meshtel check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Support scope: `aks`, `istio`, or a scope file (YAML/JSON).
    #[arg(long, default_value = "istio")]
    pub scope: String,
    /// MeshConfig (YAML/JSON) whose `extensionProviders` and `defaultProviders` apply; a ConfigMap
    /// with a `mesh` key is accepted too.
    #[arg(long)]
    pub mesh_config: Option<PathBuf>,
    /// Control-plane revision of the cluster (e.g. `asm-1-22`).
    #[arg(long)]
    pub revision: Option<String>,
    /// Root namespace (default: the scope's, else `istio-system`).
    #[arg(long)]
    pub root_namespace: Option<String>,
    /// Treat warnings as denials.
    #[arg(long)]
    pub warnings_deny: bool,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Format,
    /// Files, folders (searched for *.yaml, *.yml, *.json) or `-` for stdin.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
}

/// Loads the scope named or stored at `spec`.
pub fn load_scope(spec: &str) -> Result<Scope> {
    if let Some(scope) = Scope::builtin(spec) {
        return Ok(scope);
    }
    let text =
        std::fs::read_to_string(spec).with_context(|| format!("reading scope file {spec}"))?;
    Ok(Scope::parse(&text, spec)?)
}

/// Loads a MeshConfig file: the MeshConfig itself, or a ConfigMap whose `data.mesh` holds it.
pub fn load_mesh(path: &Path) -> Result<MeshConfig> {
    let name = path.display().to_string();
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {name}"))?;
    let objects = input::parse(&text, &name)?;
    let Some(object) = objects.into_iter().next() else {
        bail!("{name}: empty mesh config")
    };
    let mut value = object.value;
    if let Some(inner) = value.pointer("/data/mesh").and_then(|m| m.as_str()) {
        let inner = input::parse(inner, &format!("{name} (data.mesh)"))?;
        value = inner
            .into_iter()
            .next()
            .map(|o| o.value)
            .unwrap_or_default();
    }
    policy_wasm::json::FromJson::from_json(&value)
        .with_context(|| format!("{name}: not a MeshConfig"))
}

/// Files named by `paths` (folders searched recursively, sorted), `-` for stdin.
pub fn collect_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for path in paths {
        if path.as_os_str() == "-" {
            out.push(path.clone());
        } else if path.is_dir() {
            walk(path, &mut out).with_context(|| format!("reading folder {}", path.display()))?;
        } else if path.is_file() {
            out.push(path.clone());
        } else {
            bail!("{}: no such file or folder", path.display());
        }
    }
    Ok(out)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk(&path, out)?;
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
    Ok(())
}

/// Reads every file as UTF-8 text, with its display name.
pub fn read_all(files: &[PathBuf]) -> Result<Vec<(String, String)>> {
    files
        .iter()
        .map(|path| {
            let mut bytes = Vec::new();
            let name = if path.as_os_str() == "-" {
                std::io::stdin()
                    .read_to_end(&mut bytes)
                    .context("reading stdin")?;
                "-".to_string()
            } else {
                bytes =
                    std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
                path.display().to_string()
            };
            let text = input::decode(&bytes, &name)?.to_string();
            Ok((name, text))
        })
        .collect()
}

/// Options from the shared flags.
pub fn options(
    scope: &str,
    mesh: Option<&Path>,
    revision: Option<String>,
    root: Option<String>,
) -> Result<Options> {
    let mut options = Options::for_scope(load_scope(scope)?);
    if let Some(mesh) = mesh {
        options.mesh = load_mesh(mesh)?;
    }
    options.revision = revision;
    options.root_namespace = root.unwrap_or_default();
    Ok(options)
}

/// Runs the command: exit 0 when nothing is denied, 1 when something is.
pub fn run(args: Args) -> Result<ExitCode> {
    let mut options = options(
        &args.scope,
        args.mesh_config.as_deref(),
        args.revision,
        args.root_namespace,
    )?;
    options.warnings_deny = args.warnings_deny;
    let texts = read_all(&collect_files(&args.paths)?)?;
    let sources: Vec<Source<'_>> = texts
        .iter()
        .map(|(name, text)| Source { text, name })
        .collect();
    let report = check::check_sources(&sources, &options)?;
    let mut out = std::io::stdout().lock();
    match args.output {
        Format::Json => writeln!(
            out,
            "{}",
            policy_wasm::json::to_string_pretty(&report.to_json())
        )?,
        Format::Table => write!(out, "{}", table(&report, std::io::stdout().is_terminal()))?,
    }
    Ok(if report.denied() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn paint(text: &str, code: &str, colour: bool) -> String {
    if colour {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

/// The report as a table: one row per finding (or per resource without findings).
pub fn table(report: &Report, colour: bool) -> String {
    let mut rows: Vec<[String; 5]> = Vec::new();
    let mut styles: Vec<&str> = Vec::new();
    for r in &report.resources {
        let resource = format!(
            "{}/{}",
            if r.namespace.is_empty() {
                "-"
            } else {
                &r.namespace
            },
            r.name
        );
        let verdict = match r.verdict {
            Verdict::Allow => "allow",
            Verdict::Warn => "warn",
            Verdict::Deny => "deny",
        };
        if r.findings.is_empty() {
            rows.push([
                verdict.into(),
                resource.clone(),
                String::new(),
                String::new(),
                r.source.clone(),
            ]);
            styles.push("32");
        }
        for f in &r.findings {
            let at = match f.line {
                Some(line) => format!("{}:{line}", r.source),
                None => r.source.clone(),
            };
            let mut message = format!("{} [{}]", f.message, f.rule);
            if let Some(hint) = &f.hint {
                message.push_str(&format!(" — {hint}"));
            }
            rows.push([
                f.severity.as_str().into(),
                resource.clone(),
                f.path.clone(),
                message,
                at,
            ]);
            styles.push(if f.severity == Severity::Error {
                "31"
            } else {
                "33"
            });
        }
    }
    let header = ["SEVERITY", "RESOURCE", "PATH", "MESSAGE", "AT"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row).take(3) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 5]| {
        format!(
            "{:w0$}  {:w1$}  {:w2$}  {}  ({})\n",
            cells[0],
            cells[1],
            cells[2],
            cells[3],
            cells[4],
            w0 = widths[0],
            w1 = widths[1],
            w2 = widths[2]
        )
    };
    let mut out = paint(&line(header), "1", colour);
    for (row, style) in rows.iter().zip(styles) {
        let first = format!("{:w$}", row[0], w = widths[0]);
        let text = line([&first, &row[1], &row[2], &row[3], &row[4]]);
        out.push_str(&text.replacen(&first, &paint(&first, style, colour), 1));
    }
    let s = &report.summary;
    out.push_str(&format!(
        "\n{} resources: {} allowed, {} warned, {} denied; {} errors, {} warnings; {} non-Telemetry objects skipped\n",
        s.resources, s.allowed, s.warned, s.denied, s.errors, s.warnings, s.skipped
    ));
    out
}
