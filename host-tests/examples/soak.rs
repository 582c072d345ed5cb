//! Soak runs, driven by `cargo xtask soak` (full) and `cargo xtask test` (short):
//!
//! - `soak wasmtime N`: N HTTP streams through `dist/proxy-filter.wasm` under the wasmtime host, the
//!   recorded Envoy streams in turn; the guest's linear memory at the end must equal its size after
//!   warm-up.
//! - `soak envoy N`: N requests through the real Envoy (`MESHTEL_ENVOY`) with the filter, from a
//!   bounded loop over keep-alive connections on 127.0.0.1; not a single 503, no wasm failure in
//!   Envoy's log, and two records (TEXT and JSON) from the filter for every request.
//!
//! Prints the figures; exits non-zero when a condition fails. Nothing is timed.

use anyhow::{Context, Result, bail, ensure};
use host_tests::envoy::{Setup, run_with};
use host_tests::fixture::Fixture;
use host_tests::proxy::{LOG_INFO, ProxyHost};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::time::Duration;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
}

fn plugin_config() -> Result<String> {
    std::fs::read_to_string(workspace().join("host-tests/envoy/plugin-config.json"))
        .context("cannot read host-tests/envoy/plugin-config.json")
}

fn fixtures() -> Result<Vec<Fixture>> {
    let dir = workspace().join("host-tests/fixtures/envoy");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    paths.sort();
    paths.iter().map(Fixture::load).collect()
}

/// N streams through one VM per node; memory after warm-up must equal memory at the end.
fn wasmtime(requests: usize) -> Result<()> {
    let module = host_tests::proxy_filter()?;
    let config = plugin_config()?;
    let fixtures = fixtures()?;
    ensure!(!fixtures.is_empty(), "no recorded fixtures");
    // One VM per sidecar (node), as in replay.rs.
    let mut hosts: BTreeMap<_, ProxyHost> = BTreeMap::new();
    for f in &fixtures {
        if !hosts.contains_key(&f.root_properties) {
            let host = ProxyHost::start(&module, config.as_bytes(), f.root_properties.clone())?;
            hosts.insert(f.root_properties.clone(), host);
        }
    }
    // Warm-up: every fixture 100 times, so every code path has allocated what it keeps.
    let warm_up = (fixtures.len() * 100).min(requests / 10);
    let (mut records, mut sent) = (0usize, 0usize);
    let mut after_warm_up = 0;
    for i in 0..requests {
        if i == warm_up {
            after_warm_up = hosts.values_mut().map(ProxyHost::memory_size).sum();
        }
        let f = &fixtures[i % fixtures.len()];
        let host = hosts
            .get_mut(&f.root_properties)
            .context("a VM for every node")?;
        let logs = host
            .replay_http(f)
            .with_context(|| format!("request {i}"))?;
        records += logs.iter().filter(|l| l.level == LOG_INFO).count();
        host.clear_logs();
        sent += 1;
    }
    let at_end: usize = hosts.values_mut().map(ProxyHost::memory_size).sum();
    let crashed = hosts.values().filter_map(|h| h.crashed()).count();
    println!(
        "soak: wasmtime host, dist/proxy-filter.wasm ({} VMs)",
        hosts.len()
    );
    println!("  requests:                      {sent}");
    println!("  access-log records written:    {records}");
    println!("  warm-up requests:              {warm_up}");
    println!("  linear memory after warm-up:   {after_warm_up} bytes");
    println!("  linear memory at the end:      {at_end} bytes");
    println!("  VM crashes:                    {crashed}");
    ensure!(crashed == 0, "a VM crashed");
    ensure!(
        at_end == after_warm_up,
        "linear memory grew from {after_warm_up} to {at_end} bytes"
    );
    ensure!(
        records == sent * 2,
        "expected a TEXT and a JSON record per request, got {records} for {sent}"
    );
    Ok(())
}

/// Status counts of one keep-alive connection's share of the load.
#[derive(Debug, Default)]
struct Tally {
    statuses: BTreeMap<u16, usize>,
    errors: usize,
    reconnects: usize,
}

const PATHS: [&str; 3] = ["/direct", "/direct?soak=1", "/nr/soak"];

fn connect(port: u16) -> std::io::Result<BufReader<TcpStream>> {
    let s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_nodelay(true)?;
    // A stuck connection ends the run with an error instead of hanging it.
    s.set_read_timeout(Some(Duration::from_secs(30)))?;
    Ok(BufReader::new(s))
}

/// One request and its response on a keep-alive connection; returns the status.
fn exchange(conn: &mut BufReader<TcpStream>, path: &str, i: usize) -> std::io::Result<u16> {
    write!(
        conn.get_mut(),
        "GET {path} HTTP/1.1\r\nHost: httpbin:8000\r\nUser-Agent: meshtel-soak\r\nX-Request-Id: soak-{i}\r\n\r\n"
    )?;
    let mut line = String::new();
    conn.read_line(&mut line)?;
    let status: u16 = line
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("bad status line {line:?}")))?;
    let mut length = 0usize;
    let mut close = false;
    loop {
        line.clear();
        if conn.read_line(&mut line)? == 0 {
            return Err(std::io::Error::other("connection closed in headers"));
        }
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if l == "connection: close" {
            close = true;
        }
    }
    let mut body = vec![0; length];
    conn.read_exact(&mut body)?;
    if close {
        return Err(std::io::Error::new(
            std::io::ErrorKind::ConnectionAborted,
            format!("{status}"),
        ));
    }
    Ok(status)
}

/// `requests` requests over `connections` keep-alive connections, each its own thread.
fn load(port: u16, requests: usize, connections: usize) -> Tally {
    let handles: Vec<_> = (0..connections)
        .map(|c| {
            let share = requests / connections + usize::from(c < requests % connections);
            std::thread::spawn(move || {
                let mut t = Tally::default();
                let mut conn = connect(port).ok();
                for i in 0..share {
                    let Some(cn) = conn.as_mut() else {
                        t.errors += 1;
                        t.reconnects += 1;
                        conn = connect(port).ok();
                        continue;
                    };
                    let n = i * connections + c;
                    match exchange(cn, PATHS[n % PATHS.len()], n) {
                        Ok(status) => *t.statuses.entry(status).or_default() += 1,
                        Err(e) if e.kind() == std::io::ErrorKind::ConnectionAborted => {
                            // The response arrived, then Envoy closed the connection.
                            let status = e.to_string().parse().unwrap_or(0);
                            *t.statuses.entry(status).or_default() += 1;
                            t.reconnects += 1;
                            conn = connect(port).ok();
                        }
                        Err(_) => {
                            t.errors += 1;
                            t.reconnects += 1;
                            conn = connect(port).ok();
                        }
                    }
                }
                t
            })
        })
        .collect();
    let mut total = Tally::default();
    for h in handles {
        let t = h.join().unwrap_or_default();
        for (s, n) in t.statuses {
            *total.statuses.entry(s).or_default() += n;
        }
        total.errors += t.errors;
        total.reconnects += t.reconnects;
    }
    total
}

fn envoy(requests: usize) -> Result<()> {
    const CONNECTIONS: usize = 4;
    let envoy =
        std::env::var_os("MESHTEL_ENVOY").context("MESHTEL_ENVOY must name the envoy binary")?;
    let setup = Setup {
        envoy: envoy.into(),
        work_dir: workspace().join("target/envoy-soak"),
        filter: Some(host_tests::dist("proxy-filter.wasm")),
        plugin_config: plugin_config()?,
        recorder: None,
        // Only the filter logs: Envoy's native loggers are off.
        outbound_logs: "[]".into(),
        inbound_logs: "[]".into(),
    };
    let (tally, output) = run_with(&setup, |port| load(port, requests, CONNECTIONS))?;
    let answered: usize = tally.statuses.values().sum();
    let unavailable = tally.statuses.get(&503).copied().unwrap_or(0);
    println!(
        "soak: real Envoy with dist/proxy-filter.wasm ({CONNECTIONS} keep-alive connections on 127.0.0.1)"
    );
    println!("  requests sent:                 {requests}");
    println!("  responses by status:           {:?}", tally.statuses);
    println!("  503 responses:                 {unavailable}");
    println!("  connection errors:             {}", tally.errors);
    println!("  reconnects:                    {}", tally.reconnects);
    println!(
        "  filter records in Envoy's log: {}",
        output.filter_records.len()
    );
    println!(
        "  wasm failures in Envoy's log:  {}",
        output.wasm_failures.len()
    );
    if let Some(f) = output.wasm_failures.first() {
        println!("    first: {f}");
    }
    ensure!(output.wasm_failures.is_empty(), "the VM failed in Envoy");
    ensure!(unavailable == 0, "{unavailable} responses were 503");
    ensure!(
        tally.errors == 0,
        "{} requests got no response",
        tally.errors
    );
    ensure!(
        answered == requests,
        "{answered} of {requests} requests answered"
    );
    ensure!(
        output.filter_records.len() == 2 * requests,
        "expected a TEXT and a JSON record per request, got {} for {requests}",
        output.filter_records.len()
    );
    Ok(())
}

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n = |default: usize| -> Result<usize> {
        match args.get(1) {
            Some(s) => s.parse().context("the request count is a number"),
            None => Ok(default),
        }
    };
    match args.first().map(String::as_str) {
        Some("wasmtime") => wasmtime(n(1_000_000)?),
        Some("envoy") => envoy(n(100_000)?),
        _ => bail!("usage: soak <wasmtime|envoy> [REQUESTS]"),
    }
}
