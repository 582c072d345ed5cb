//! The row producers: each runs one measuring program (a `bench_*` example, Node with the npm OPA
//! SDK) or reads `dist/`, and adds its figures. A producer that fails is recorded, not fatal, so
//! the table shows every other row.

use super::Mode;
use super::figures::Figures;
use crate::root;
use anyhow::{Context, Result, bail};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo profile the drivers are built with (root Cargo.toml).
pub const PROFILE: &str = "bench-host";

/// A named producer.
pub struct Producer {
    /// Shown while it runs and in the failure list.
    pub name: &'static str,
    /// Measures and adds figures.
    pub run: fn(Mode, &mut Figures) -> Result<()>,
}

/// Every producer, in the order the bench runs them (the long real-Envoy runs last).
pub fn all() -> Vec<Producer> {
    vec![
        Producer {
            name: "artifact sizes",
            run: sizes,
        },
        Producer {
            name: "filter guest time (bench_filter)",
            run: filter,
        },
        Producer {
            name: "get_property per call (bench_properties)",
            run: |m, f| example("bench_properties", m, f),
        },
        Producer {
            name: "CEL (bench_cel)",
            run: |m, f| example("bench_cel", m, f),
        },
        Producer {
            name: "policy evaluation (bench_policy)",
            run: |m, f| example("bench_policy", m, f),
        },
        Producer {
            name: "policy evaluation in the npm OPA SDK",
            run: npm,
        },
        Producer {
            name: "resolution scaling (bench_resolve)",
            run: |m, f| example("bench_resolve", m, f),
        },
        Producer {
            name: "meshtel serve (bench_serve)",
            run: serve,
        },
        Producer {
            name: "real Envoy (bench_envoy)",
            run: envoy,
        },
    ]
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

/// Where the drivers land.
fn built(path: &str) -> PathBuf {
    target_dir().join(PROFILE).join(path)
}

/// Builds every driver once (the examples of host-tests and meshtel, and the meshtel binary).
pub fn build_drivers() -> Result<()> {
    crate::run(crate::cargo().args([
        "build",
        "--quiet",
        "--profile",
        PROFILE,
        "--package",
        "host-tests",
        "--package",
        "meshtel",
        "--examples",
        "--bin",
        "meshtel",
    ]))
}

/// Runs `cmd` in the workspace root, stderr shown, and returns its standard output.
fn output(cmd: &mut Command) -> Result<String> {
    let shown = format!("{cmd:?}");
    let out = cmd
        .current_dir(root())
        .stderr(std::process::Stdio::inherit())
        .output()
        .with_context(|| format!("cannot start {shown}"))?;
    if !out.status.success() {
        bail!("{shown} failed with {}", out.status);
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Runs a built example with the mode's flag and adds the figures it prints.
fn run_example(name: &str, mode: Mode, figures: &mut Figures, env: &[(&str, &Path)]) -> Result<()> {
    let mut cmd = Command::new(built(&format!("examples/{name}")));
    cmd.args(mode.flag());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let stdout = output(&mut cmd)?;
    if figures.add_output(&stdout) == 0 {
        bail!("{name} printed no figures");
    }
    Ok(())
}

fn example(name: &str, mode: Mode, figures: &mut Figures) -> Result<()> {
    run_example(name, mode, figures, &[])
}

/// `bench_filter` prints a table and writes `target/bench/filter.json`: its cases become
/// `filter.text`, `filter.json`, `filter.metrics`, `filter.cel` (guest ns: the filter's time less
/// the host's time for the same calls, replayed from a trace) and `<id>.host_calls`.
fn filter(mode: Mode, figures: &mut Figures) -> Result<()> {
    output(Command::new(built("examples/bench_filter")).args(mode.flag()))?;
    let path = root().join("target/bench/filter.json");
    let text =
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))?;
    let cases: Vec<Value> = serde_json::from_str(&text).context("filter.json")?;
    for case in cases {
        let name = case["case"]
            .as_str()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let Some(ns) = case["guest_ns_per_request"].as_f64() else {
            continue;
        };
        let id = if name.contains("cel") {
            "filter.cel"
        } else if name.contains("metric") {
            "filter.metrics"
        } else if name.contains("json") {
            "filter.json"
        } else if name.contains("text") {
            "filter.text"
        } else {
            continue;
        };
        let runs = case["runs"].as_u64().unwrap_or(9);
        figures.insert(id, ns, "ns", runs);
        if let Some(calls) = case["host_calls"].as_f64() {
            figures.insert(&format!("{id}.host_calls"), calls, "calls", runs);
        }
    }
    Ok(())
}

/// The same module and input in `@open-policy-agent/opa-wasm` under Node (`bench/opa-npm-bench.js`).
fn npm(mode: Mode, figures: &mut Figures) -> Result<()> {
    let dir = root().join("target/opa-hosts");
    std::fs::create_dir_all(&dir)?;
    use crate::suites::opa_hosts::{NPM_PACKAGE, NPM_VERSION};
    crate::npm::ensure(&dir, NPM_PACKAGE, NPM_VERSION)?;
    let (runs, iterations) = match mode {
        Mode::Full => (7, 5_000),
        Mode::Quick => (3, 500),
    };
    let stdout = output(
        Command::new("node")
            .env("NODE_PATH", dir.join("node_modules"))
            .arg(root().join("bench/opa-npm-bench.js"))
            .arg(root().join("dist/policy-opa.wasm"))
            .arg(root().join("bench/admission-input.json"))
            .args([runs.to_string(), iterations.to_string()]),
    )?;
    if figures.add_output(&stdout) == 0 {
        bail!("the npm bench printed no figure");
    }
    Ok(())
}

fn serve(mode: Mode, figures: &mut Figures) -> Result<()> {
    let bin = built("meshtel");
    run_example("bench_serve", mode, figures, &[("MESHTEL_BIN", &bin)])
}

fn envoy(mode: Mode, figures: &mut Figures) -> Result<()> {
    let envoy = crate::suites::envoy::envoy_binary()?;
    super::tools::ensure_wrk()?;
    run_example("bench_envoy", mode, figures, &[("MESHTEL_ENVOY", &envoy)])
}

/// Every file in `dist/` (`size.NAME`), and the playground's wasm (`size.playground`).
fn sizes(_: Mode, figures: &mut Figures) -> Result<()> {
    let dist = root().join("dist");
    let entries =
        std::fs::read_dir(&dist).with_context(|| format!("reading {}", dist.display()))?;
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_file() {
            figures.insert(
                &format!("size.{name}"),
                entry.metadata()?.len() as f64,
                "bytes",
                1,
            );
        } else if name == "playground" {
            figures.insert("size.playground", wasm_bytes(&path) as f64, "bytes", 1);
        }
    }
    Ok(())
}

/// Bytes of every `.wasm` file under `dir`, at any depth.
fn wasm_bytes(dir: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .map(|p| match p.is_dir() {
            true => wasm_bytes(&p),
            false if p.extension().is_some_and(|x| x == "wasm") => {
                p.metadata().map_or(0, |m| m.len())
            }
            false => 0,
        })
        .sum()
}
