//! `meshtel serve`: a Kubernetes validating admission webhook (AdmissionReview
//! `admission.k8s.io/v1`) over HTTPS, answering from `dist/policy-opa.wasm` under wasmtime.
//!
//! A thread per connection (bounded), a pool of policy instances (one evaluation per instance at
//! a time), evaluation timeouts by epoch interruption, a configurable failure mode, `/healthz`,
//! `/readyz`, Prometheus `/metrics`, and a graceful stop on SIGTERM.

mod http;
mod metrics;
mod pool;
mod tls;

use anyhow::{Context, Result, bail};
use http::{ReadError, Request};
use metrics::{Metrics, Outcome};
use policy_wasm::json::ToJson;
use pool::Pool;
use rustls::{ServerConfig, ServerConnection, StreamOwned};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What to do when the policy traps or times out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FailureMode {
    /// Deny the request (fail closed).
    Deny,
    /// Admit it with a warning (fail open).
    Allow,
}

/// Arguments of `meshtel serve`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Address to listen on.
    #[arg(long, default_value = "0.0.0.0:8443")]
    pub listen: SocketAddr,
    /// TLS certificate chain (PEM); without it a self-signed pair is generated.
    #[arg(long, requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM).
    #[arg(long, requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Names for the generated self-signed certificate (DNS names or IPs).
    #[arg(long, value_delimiter = ',', default_value = "localhost,127.0.0.1")]
    pub self_signed_names: Vec<String>,
    /// Write the generated self-signed certificate (PEM) here, for clients and `caBundle`.
    #[arg(long)]
    pub self_signed_cert_out: Option<PathBuf>,
    /// The OPA-ABI policy module.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Support scope: `aks`, `istio`, or a scope file (YAML/JSON).
    #[arg(long, default_value = "istio")]
    pub scope: String,
    /// MeshConfig (YAML/JSON, or a ConfigMap with a `mesh` key) whose providers apply.
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
    /// Answer when an evaluation traps or times out.
    #[arg(long, value_enum, default_value = "deny")]
    pub failure_mode: FailureMode,
    /// Evaluation time limit in milliseconds.
    #[arg(long, default_value_t = 500)]
    pub eval_timeout_ms: u64,
    /// Policy instances (concurrent evaluations); default: available cores.
    #[arg(long)]
    pub instances: Option<usize>,
    /// Largest request body accepted, in bytes.
    #[arg(long, default_value_t = 8 * 1024 * 1024)]
    pub max_body_bytes: usize,
    /// Most concurrent connections; more are closed at once.
    #[arg(long, default_value_t = 256)]
    pub max_connections: usize,
    /// Seconds a connection may sit idle (or send one request) before it is closed.
    #[arg(long, default_value_t = 30)]
    pub idle_timeout_s: u64,
    /// Seconds to let open connections finish after SIGTERM.
    #[arg(long, default_value_t = 10)]
    pub shutdown_grace_s: u64,
}

/// Shared by every connection.
struct Server {
    pool: Pool,
    metrics: Metrics,
    failure_mode: FailureMode,
    max_body: usize,
    idle: Duration,
    stopping: Arc<AtomicBool>,
    active: AtomicUsize,
}

/// The settings document the policy reads as data (Kubewarden's convention).
fn settings(args: &Args) -> Result<Value> {
    let scope = match args.scope.as_str() {
        "aks" | "istio" => json!(args.scope),
        file => serde_json::from_str(&crate::check::load_scope(file)?.to_json().to_string())?,
    };
    let mut settings = json!({
        "scope": scope,
        "warnings": if args.warnings_deny { "deny" } else { "warn" },
    });
    if let Some(mesh) = &args.mesh_config {
        settings["mesh"] =
            serde_json::from_str(&crate::check::load_mesh(mesh)?.to_json().to_string())?;
    }
    if let Some(revision) = &args.revision {
        settings["revision"] = json!(revision);
    }
    if let Some(root) = &args.root_namespace {
        settings["rootNamespace"] = json!(root);
    }
    Ok(settings)
}

fn policy_path(args: &Args) -> PathBuf {
    args.policy.clone().unwrap_or_else(|| {
        let local = PathBuf::from("dist/policy-opa.wasm");
        if local.exists() {
            local
        } else {
            host_tests::dist("policy-opa.wasm")
        }
    })
}

/// Runs the command until SIGTERM or SIGINT.
pub fn run(args: Args) -> Result<ExitCode> {
    let (tls, origin) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => (tls::from_files(cert, key)?, "certificate from files"),
        _ => {
            let (config, pem) = tls::self_signed(&args.self_signed_names)?;
            if let Some(out) = &args.self_signed_cert_out {
                std::fs::write(out, &pem).with_context(|| format!("writing {}", out.display()))?;
            }
            (config, "self-signed certificate")
        }
    };
    let path = policy_path(&args);
    let module = std::fs::read(&path).with_context(|| {
        format!(
            "reading {} (run `cargo xtask build`, or pass --policy)",
            path.display()
        )
    })?;
    let instances = args
        .instances
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let timeout = Duration::from_millis(args.eval_timeout_ms);
    let pool = Pool::new(&module, settings(&args)?, instances, timeout)?;
    let stopping = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, stopping.clone())?;
    }
    let listener = TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let server = Arc::new(Server {
        pool,
        metrics: Metrics::default(),
        failure_mode: args.failure_mode,
        max_body: args.max_body_bytes,
        idle: Duration::from_secs(args.idle_timeout_s.max(1)),
        stopping: stopping.clone(),
        active: AtomicUsize::new(0),
    });
    eprintln!(
        "meshtel serve: listening on https://{} ({origin}; policy {}, {instances} instances, failure mode {:?})",
        listener.local_addr()?,
        path.display(),
        args.failure_mode
    );
    while !stopping.load(Ordering::Relaxed) {
        match listener.accept() {
            Ok((tcp, peer)) => {
                if server.active.load(Ordering::Relaxed) >= args.max_connections {
                    eprintln!(
                        "meshtel serve: refusing {peer}: {} connections open",
                        args.max_connections
                    );
                    continue;
                }
                server.active.fetch_add(1, Ordering::Relaxed);
                let (shared, tls) = (server.clone(), tls.clone());
                let spawned =
                    std::thread::Builder::new()
                        .name("connection".into())
                        .spawn(move || {
                            if let Err(e) = connection(&shared, tls, tcp) {
                                eprintln!("meshtel serve: connection from {peer}: {e:#}");
                            }
                            shared.active.fetch_sub(1, Ordering::Relaxed);
                        });
                if spawned.is_err() {
                    server.active.fetch_sub(1, Ordering::Relaxed);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Err(e) => eprintln!("meshtel serve: accept: {e}"),
        }
    }
    drop(listener);
    eprintln!("meshtel serve: stopping; waiting for open connections");
    let deadline = Instant::now() + Duration::from_secs(args.shutdown_grace_s);
    while server.active.load(Ordering::Relaxed) > 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    let left = server.active.load(Ordering::Relaxed);
    if left > 0 {
        eprintln!("meshtel serve: {left} connections still open after the grace period");
    }
    eprintln!("meshtel serve: stopped");
    Ok(ExitCode::SUCCESS)
}

/// Serves one connection until the client closes it, it idles out, or the server stops.
fn connection(server: &Server, tls: Arc<ServerConfig>, tcp: TcpStream) -> Result<()> {
    tcp.set_nonblocking(false)?;
    tcp.set_nodelay(true)?;
    // Short read timeouts let an idle connection notice a stop; `idle` bounds the real wait.
    tcp.set_read_timeout(Some(Duration::from_millis(200)))?;
    tcp.set_write_timeout(Some(Duration::from_secs(10)))?;
    let mut stream = StreamOwned::new(ServerConnection::new(tls)?, tcp);
    let mut buffer = Vec::new();
    loop {
        let stop = || server.stopping.load(Ordering::Relaxed);
        let mut reader = http::Patient::new(&mut stream, server.idle, &stop);
        match http::read_request(&mut reader, &mut buffer, server.max_body) {
            Ok(request) => {
                let close = request.close || stop();
                let (status, kind, body) = respond(server, &request);
                http::write_response(&mut stream, status, kind, &body, close)?;
                if close {
                    break;
                }
            }
            Err(ReadError::Closed) => break,
            Err(ReadError::Bad(status, message)) => {
                server.metrics.review(Outcome::BadRequest, false, 0);
                let body = json!({ "error": message }).to_string();
                let _ = http::write_response(
                    &mut stream,
                    status,
                    "application/json",
                    body.as_bytes(),
                    true,
                );
                break;
            }
        }
    }
    stream.conn.send_close_notify();
    let _ = std::io::Write::flush(&mut stream);
    Ok(())
}

/// Routes one request: (status, content type, body).
fn respond(server: &Server, request: &Request) -> (u16, &'static str, Vec<u8>) {
    let text = |status, body: &str| {
        (
            status,
            "text/plain; charset=utf-8",
            body.as_bytes().to_vec(),
        )
    };
    match (request.method.as_str(), request.path.as_str()) {
        ("GET", "/healthz") => text(200, "ok\n"),
        ("GET", "/readyz") if server.stopping.load(Ordering::Relaxed) => text(503, "stopping\n"),
        ("GET", "/readyz") => text(200, "ready\n"),
        ("GET", "/metrics") => (
            200,
            "text/plain; version=0.0.4; charset=utf-8",
            server.metrics.render().into_bytes(),
        ),
        ("POST", "/validate" | "/") => match review(server, &request.body) {
            Ok(body) => (200, "application/json", body),
            Err(message) => {
                server.metrics.review(Outcome::BadRequest, false, 0);
                let body = json!({ "error": format!("{message:#}") }).to_string();
                (400, "application/json", body.into_bytes())
            }
        },
        (_, "/validate" | "/healthz" | "/readyz" | "/metrics") => text(405, "method not allowed\n"),
        _ => text(404, "not found: POST AdmissionReviews to /validate\n"),
    }
}

/// Answers one AdmissionReview body; an error is a malformed review (400).
fn review(server: &Server, body: &[u8]) -> Result<Vec<u8>> {
    let review: Value = serde_json::from_slice(body).context("the body is not JSON")?;
    let api_version = review.get("apiVersion").and_then(Value::as_str);
    if review.get("kind").and_then(Value::as_str) != Some("AdmissionReview")
        || api_version != Some("admission.k8s.io/v1")
    {
        bail!("expected an AdmissionReview of apiVersion admission.k8s.io/v1");
    }
    let Some(request) = review.get("request").filter(|r| r.is_object()) else {
        bail!("the AdmissionReview has no request");
    };
    let Some(uid) = request.get("uid").and_then(Value::as_str) else {
        bail!("the AdmissionReview request has no uid");
    };
    let input = serde_json::to_vec(&json!({ "request": request }))?;
    let (result, took) = server.pool.evaluate(&input);
    server.metrics.evaluation(took);
    let answer = result.and_then(|set| {
        set.pointer("/0/result/response")
            .filter(|r| r.is_object())
            .cloned()
            .context("the policy returned no response")
    });
    let (mut response, outcome) = match answer {
        Ok(response) => {
            let allowed = response.get("allowed") == Some(&Value::Bool(true));
            (
                response,
                if allowed {
                    Outcome::Allowed
                } else {
                    Outcome::Denied
                },
            )
        }
        Err(e) => {
            eprintln!("meshtel serve: evaluation failed for uid {uid}: {e:#}");
            let reason = format!("meshtel: policy evaluation failed ({e:#})");
            let response = match server.failure_mode {
                FailureMode::Deny => json!({
                    "allowed": false,
                    "status": { "code": 500, "message": format!("{reason}; failure mode deny") },
                }),
                FailureMode::Allow => json!({
                    "allowed": true,
                    "warnings": [format!("{reason}; admitted by failure mode allow")],
                }),
            };
            (response, Outcome::Failed)
        }
    };
    response["uid"] = json!(uid);
    let warnings = response
        .get("warnings")
        .and_then(Value::as_array)
        .map_or(0, Vec::len);
    let denied = response.get("allowed") != Some(&Value::Bool(true));
    server.metrics.review(outcome, denied, warnings);
    let answer = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "response": response,
    });
    Ok(serde_json::to_vec(&answer)?)
}
