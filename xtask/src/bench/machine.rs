//! What the report says about the run: date, machine and tool versions.

use crate::root;
use serde_json::{Value, json};
use std::process::Command;

/// First line of a command's output (stdout, else stderr), or `unknown`.
fn first_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .and_then(|o| {
            let text = if o.stdout.is_empty() {
                o.stderr
            } else {
                o.stdout
            };
            String::from_utf8_lossy(&text)
                .lines()
                .find(|l| !l.trim().is_empty())
                .map(|l| l.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The value of `key` in a `key: value` file such as /proc/cpuinfo.
fn field(path: &str, key: &str) -> String {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(key))
                .and_then(|l| l.split_once(':').or_else(|| l.split_once('=')))
                .map(|(_, v)| v.trim().trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

/// The version of `package` in Cargo.lock.
fn locked(package: &str) -> String {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).unwrap_or_default();
    let needle = format!("name = \"{package}\"\nversion = \"");
    lock.find(&needle)
        .map(|i| {
            let rest = &lock[i + needle.len()..];
            rest[..rest.find('"').unwrap_or(0)].to_string()
        })
        .unwrap_or_else(|| "unknown".into())
}

fn npm_sdk() -> String {
    let path =
        root().join("target/opa-hosts/node_modules/@open-policy-agent/opa-wasm/package.json");
    std::fs::read_to_string(path)
        .ok()
        .and_then(|t| serde_json::from_str::<Value>(&t).ok())
        .and_then(|v| v["version"].as_str().map(String::from))
        .unwrap_or_else(|| "not installed".into())
}

fn envoy() -> String {
    match crate::suites::envoy::envoy_binary() {
        Ok(path) => first_line(&path.to_string_lossy(), &["--version"])
            .split("version:")
            .nth(1)
            .and_then(|v| v.split('/').nth(1))
            .map_or_else(|| "unknown".into(), |v| v.trim().to_string()),
        Err(e) => format!("not installed ({e})"),
    }
}

/// The machine and the versions, as JSON.
pub fn describe() -> Value {
    let memory_kb: f64 = field("/proc/meminfo", "MemTotal")
        .trim_end_matches("kB")
        .trim()
        .parse()
        .unwrap_or(f64::NAN);
    json!({
        "date": first_line("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        "machine": {
            "cores": std::thread::available_parallelism().map_or(0, usize::from),
            "cpu": field("/proc/cpuinfo", "model name"),
            "memory_gib": (memory_kb / 1024.0 / 1024.0 * 10.0).round() / 10.0,
            "os": field("/etc/os-release", "PRETTY_NAME"),
            "load_average_at_start": field_words("/proc/loadavg", 3),
        },
        "versions": {
            "rustc": first_line("rustc", &["--version"]),
            "wasmtime": locked("wasmtime"),
            "envoy": envoy(),
            "node": first_line("node", &["--version"]),
            "npm @open-policy-agent/opa-wasm": npm_sdk(),
            "regorus": locked("regorus"),
            "wrk": first_line("wrk", &["-v"]).split(" [").next().unwrap_or_default(),
        },
    })
}

/// The first `n` words of a file.
fn field_words(path: &str, n: usize) -> String {
    std::fs::read_to_string(path)
        .map(|t| t.split_whitespace().take(n).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}
