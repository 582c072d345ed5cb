//! The playground in a real browser: Debian's Chromium (installed with apt-get when missing)
//! driven by npm `playwright-core` (installed into `target/browser-test/node/`) runs
//! `playground/tests/browser.mjs` against `dist/playground/` served on 127.0.0.1. The records the
//! page simulates are compared with what `dist/proxy-filter.wasm` writes for the same streams
//! (`meshtel replay` of the seed fixtures). Screenshots land in `target/browser-test/`.

use crate::{playground, root, run};
use anyhow::{Context, Result, bail};
use std::path::Path;
use std::process::Command;

const PLAYWRIGHT_VERSION: &str = "1.64.1";
const CHROMIUM: &str = "/usr/bin/chromium";
/// The streams the page simulates; the brief's plugin configuration is the brief example.
const FIXTURES: [&str; 2] = [
    "host-tests/fixtures/seed/httpbin-inbound-status-418.json",
    "host-tests/fixtures/seed/sleep-outbound-status-418.json",
];
const PLUGIN_CONFIG: &str = "examples/aks-brief/plugin-config.json";

/// Runs the suite.
pub fn run_suite() -> Result<()> {
    ensure_chromium()?;
    let out = root().join("target/browser-test");
    std::fs::create_dir_all(&out).context("cannot create target/browser-test")?;
    let node_dir = out.join("node");
    ensure_playwright(&node_dir)?;
    if !playground::dist_dir().join("index.html").exists() {
        bail!("dist/playground/ is missing: run `cargo xtask build`");
    }
    // What the proxy filter writes for the same streams.
    let mut expected = Vec::new();
    for fixture in FIXTURES {
        let output = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .args(["run", "--quiet", "--package", "meshtel", "--", "replay"])
            .args(["--config", PLUGIN_CONFIG, fixture])
            .current_dir(root())
            .output()
            .context("cannot run meshtel replay")?;
        if !output.status.success() {
            bail!(
                "meshtel replay {fixture} failed: {}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        let text = String::from_utf8(output.stdout).context("replay output is not UTF-8")?;
        expected.push(serde_json_string_list(text.lines()));
    }
    let expected_path = out.join("filter-records.json");
    std::fs::write(&expected_path, format!("[{}]\n", expected.join(",")))?;
    let addr = playground::spawn_server(playground::dist_dir())?;
    let url = format!("http://{addr}/");
    eprintln!("xtask: playground served at {url}; running Chromium headless");
    let mut cmd = Command::new("node");
    cmd.arg(root().join("playground/tests/browser.mjs"))
        .env("PLAYGROUND_URL", &url)
        .env("PLAYWRIGHT_DIR", &node_dir)
        .env("CHROMIUM", CHROMIUM)
        .env("OUT_DIR", &out)
        .env("FIXTURES", FIXTURES.join(":"))
        .env("FILTER_RECORDS", &expected_path);
    run(&mut cmd).context("the browser test failed")
}

/// `["a","b"]` without a JSON library in xtask.
fn serde_json_string_list<'a>(lines: impl Iterator<Item = &'a str>) -> String {
    let items: Vec<String> = lines
        .map(|l| {
            let mut s = String::from("\"");
            for c in l.chars() {
                match c {
                    '"' => s.push_str("\\\""),
                    '\\' => s.push_str("\\\\"),
                    c if (c as u32) < 0x20 => s.push_str(&format!("\\u{:04x}", c as u32)),
                    c => s.push(c),
                }
            }
            s.push('"');
            s
        })
        .collect();
    format!("[{}]", items.join(","))
}

fn ensure_chromium() -> Result<()> {
    if Path::new(CHROMIUM).exists() {
        return Ok(());
    }
    eprintln!("xtask: installing Debian's chromium package with apt-get (for the browser test)");
    let status = Command::new("sh")
        .args([
            "-c",
            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null",
        ])
        .status();
    match status {
        Ok(s) if s.success() && Path::new(CHROMIUM).exists() => Ok(()),
        Ok(s) => bail!(
            "Chromium cannot be installed: `apt-get install chromium` exited with {s} (needs root and Debian's package repository); the browser test cannot run"
        ),
        Err(e) => bail!(
            "Chromium cannot be installed: cannot run apt-get ({e}); the browser test cannot run"
        ),
    }
}

fn ensure_playwright(dir: &Path) -> Result<()> {
    crate::npm::ensure(dir, "playwright-core", PLAYWRIGHT_VERSION)
        .context("no browser download: playwright-core drives Debian's Chromium")
}
