//! `meshtel serve` under load: AdmissionReviews per second and p50/p99 latency over 8 keep-alive
//! HTTPS connections on 127.0.0.1, the review of `bench/admission-input.json`. Every answer is
//! checked (uid, allowed). Run by `cargo xtask bench` with `MESHTEL_BIN` naming the binary to
//! start; prints one JSON line per figure (`--quick` / `--tiny` for fewer requests).

use anyhow::{Context, Result, bail, ensure};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

const CONNECTIONS: usize = 8;

type Tls = StreamOwned<ClientConnection, TcpStream>;

/// The server process; killed when dropped.
struct Server {
    child: Child,
    addr: String,
    tls: Arc<ClientConfig>,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn start(dir: &Path) -> Result<Server> {
    let bin =
        std::env::var_os("MESHTEL_BIN").context("MESHTEL_BIN must name the meshtel binary")?;
    let cert = dir.join("cert.pem");
    let mut child = Command::new(bin)
        .args(["serve", "--listen", "127.0.0.1:0", "--scope", "aks"])
        .arg("--policy")
        .arg(workspace().join("dist/policy-opa.wasm"))
        .arg("--self-signed-cert-out")
        .arg(&cert)
        .stderr(Stdio::piped())
        .spawn()
        .context("starting meshtel serve")?;
    let mut lines = BufReader::new(child.stderr.take().context("no stderr")?).lines();
    let addr = loop {
        let Some(line) = lines.next().transpose()? else {
            bail!("meshtel serve exited before listening");
        };
        if let Some(rest) = line.split("listening on https://").nth(1) {
            break rest
                .split_whitespace()
                .next()
                .unwrap_or_default()
                .to_string();
        }
    };
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&cert)? {
        roots.add(c?)?;
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Server {
        child,
        addr,
        tls: Arc::new(tls),
    })
}

fn connect(server: &Server) -> Result<Tls> {
    let tcp = TcpStream::connect(&server.addr)?;
    tcp.set_read_timeout(Some(Duration::from_secs(20)))?;
    tcp.set_nodelay(true)?;
    let name = ServerName::try_from("localhost")?;
    Ok(StreamOwned::new(
        ClientConnection::new(server.tls.clone(), name)?,
        tcp,
    ))
}

/// Posts one review and returns the response body (status 200 required).
fn post(tls: &mut Tls, body: &[u8]) -> Result<Vec<u8>> {
    let head = format!(
        "POST /validate HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    tls.write_all(head.as_bytes())?;
    tls.write_all(body)?;
    tls.flush()?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        ensure!(tls.read(&mut byte)? > 0, "connection closed mid-response");
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head);
    ensure!(head.starts_with("HTTP/1.1 200"), "answer {head}");
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse().ok())
        })
        .context("no content-length")?;
    let mut out = vec![0u8; length];
    tls.read_exact(&mut out)?;
    Ok(out)
}

/// One run: `per_connection` reviews on each of the 8 connections; (reviews/s, latencies in ms).
fn run(server: &Server, body: &Arc<Vec<u8>>, per_connection: usize) -> Result<(f64, Vec<f64>)> {
    let mut conns = (0..CONNECTIONS)
        .map(|_| connect(server))
        .collect::<Result<Vec<_>>>()?;
    // The TLS handshake is not what is measured: one review per connection first.
    for tls in &mut conns {
        post(tls, body)?;
    }
    let start = Instant::now();
    let workers: Vec<_> = conns
        .into_iter()
        .map(|mut tls| {
            let body = body.clone();
            std::thread::spawn(move || -> Result<Vec<f64>> {
                let mut latencies = Vec::with_capacity(per_connection);
                for _ in 0..per_connection {
                    let t = Instant::now();
                    let answer: Value = serde_json::from_slice(&post(&mut tls, &body)?)?;
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                    ensure!(
                        answer["response"]["allowed"] == json!(true),
                        "wrong answer {answer}"
                    );
                }
                Ok(latencies)
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for w in workers {
        latencies.extend(
            w.join()
                .map_err(|_| anyhow::anyhow!("a client panicked"))??,
        );
    }
    let rps = latencies.len() as f64 / start.elapsed().as_secs_f64();
    Ok((rps, latencies))
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let i = ((sorted.len() as f64 * p).ceil() as usize).saturating_sub(1);
    sorted.get(i).copied().unwrap_or(f64::NAN)
}

fn main() -> Result<()> {
    let counts = host_tests::bench::Counts::from_args(host_tests::bench::Counts {
        runs: 3,
        iterations: 8_000,
    });
    let input: Value = serde_json::from_str(&std::fs::read_to_string(
        workspace().join("bench/admission-input.json"),
    )?)?;
    let review = json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": input["review"],
    });
    let body = Arc::new(serde_json::to_vec(&review)?);
    let dir = std::env::temp_dir().join(format!("meshtel-bench-serve-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    let server = start(&dir)?;
    let per_connection = (counts.iterations / CONNECTIONS).max(1);
    let (mut rps, mut p50, mut p99) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..counts.runs {
        let (r, mut latencies) = run(&server, &body, per_connection)?;
        latencies.sort_by(f64::total_cmp);
        rps.push(r);
        p50.push(percentile(&latencies, 0.50));
        p99.push(percentile(&latencies, 0.99));
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
    use host_tests::bench::{Figure, median};
    for (id, samples, unit) in [
        ("serve.rps", &mut rps, "rps"),
        ("serve.p50", &mut p50, "ms"),
        ("serve.p99", &mut p99, "ms"),
    ] {
        Figure::new(id, median(samples), unit, counts.runs).emit();
    }
    Ok(())
}
