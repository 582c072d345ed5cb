//! `meshtel serve` as a real HTTPS webhook: AdmissionReview answers with warnings and denials,
//! 10,000 reviews over 8 connections, hostile bodies, the failure mode, metrics and SIGTERM.
//! Servers listen on 127.0.0.1 with a self-signed certificate the test trusts.

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::{ClientConfig, ClientConnection, RootCertStore, StreamOwned};
use serde_json::{Value, json};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

struct Server {
    child: Child,
    addr: String,
    tls: Arc<ClientConfig>,
    dir: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn policy() -> PathBuf {
    let path = host_tests::dist("policy-opa.wasm");
    assert!(
        path.exists(),
        "{} is missing: run `cargo xtask build`",
        path.display()
    );
    path
}

fn start(name: &str, extra: &[&str]) -> Server {
    let dir = std::env::temp_dir().join(format!("meshtel-serve-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let cert = dir.join("cert.pem");
    let mut child = Command::new(env!("CARGO_BIN_EXE_meshtel"))
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--scope",
            "aks",
            "--instances",
            "4",
        ])
        .arg("--policy")
        .arg(policy())
        .arg("--self-signed-cert-out")
        .arg(&cert)
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let addr = loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if let Some(rest) = line.split("listening on https://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // Keep draining the server's log so it never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    let mut roots = RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&cert).unwrap() {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let tls = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    Server {
        child,
        addr,
        tls: Arc::new(tls),
        dir,
    }
}

type Tls = StreamOwned<ClientConnection, TcpStream>;

impl Server {
    fn connect(&self) -> Tls {
        let tcp = TcpStream::connect(&self.addr).unwrap();
        tcp.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        tcp.set_nodelay(true).unwrap();
        let name = ServerName::try_from("localhost").unwrap();
        StreamOwned::new(ClientConnection::new(self.tls.clone(), name).unwrap(), tcp)
    }
}

/// Sends one request and reads the response: (status, body).
fn exchange(tls: &mut Tls, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    let mut request = head.into_bytes();
    request.extend_from_slice(body);
    tls.write_all(&request).unwrap();
    tls.flush().unwrap();
    read_response(tls)
}

fn read_response(tls: &mut impl Read) -> (u16, Vec<u8>) {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        let n = tls.read(&mut byte).expect("reading the response head");
        assert!(
            n > 0,
            "connection closed before a response; got {:?}",
            String::from_utf8_lossy(&buf)
        );
        buf.push(byte[0]);
    }
    let head = String::from_utf8(buf).unwrap();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .map(|v| v.trim().parse().unwrap())
        })
        .unwrap();
    let mut body = vec![0u8; length];
    tls.read_exact(&mut body).unwrap();
    (status, body)
}

fn review(uid: &str, object: Value) -> Value {
    json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": "telemetry.istio.io", "version": "v1", "kind": "Telemetry"},
            "resource": {"group": "telemetry.istio.io", "version": "v1", "resource": "telemetries"},
            "namespace": "aks-istio-system",
            "operation": "CREATE",
            "userInfo": {"username": "test"},
            "object": object,
        }
    })
}

fn telemetry(spec: Value) -> Value {
    json!({"apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
           "metadata": {"name": "t", "namespace": "aks-istio-system"}, "spec": spec})
}

/// The review templates and what each must get: (object, allowed, has warnings).
fn templates() -> Vec<(Value, bool, bool)> {
    vec![
        // Allowed on AKS with a warning (the envoy provider is "allowed", not "supported").
        (
            telemetry(json!({"accessLogging": [{"providers": [{"name": "envoy"}]}]})),
            true,
            true,
        ),
        // accessLogging.filter is blocked on AKS: denied.
        (
            telemetry(json!({"accessLogging": [{"providers": [{"name": "envoy"}],
            "filter": {"expression": "response.code >= 400"}}]})),
            false,
            true,
        ),
        // Not a Telemetry: nothing to say.
        (
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}),
            true,
            false,
        ),
    ]
}

fn check_answer(body: &[u8], uid: &str, allowed: bool, warned: bool) {
    let answer: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(answer["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(answer["kind"], "AdmissionReview");
    let response = &answer["response"];
    assert_eq!(response["uid"], uid, "{answer}");
    assert_eq!(response["allowed"], allowed, "{answer}");
    let warnings = response["warnings"].as_array().map_or(0, Vec::len);
    assert_eq!(warnings > 0, warned, "{answer}");
    if !allowed {
        assert_eq!(response["status"]["code"], 403, "{answer}");
        assert!(
            response["status"]["message"]
                .as_str()
                .unwrap()
                .contains("filter"),
            "{answer}"
        );
    }
}

#[test]
fn answers_reviews_with_warnings_and_denials_and_serves_probes_and_metrics() {
    let server = start("basic", &[]);
    let mut tls = server.connect();
    for (i, (object, allowed, warned)) in templates().into_iter().enumerate() {
        let uid = format!("uid-{i}");
        let body = serde_json::to_vec(&review(&uid, object)).unwrap();
        let (status, answer) = exchange(&mut tls, "POST", "/validate", &body);
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&answer));
        check_answer(&answer, &uid, allowed, warned);
    }
    assert_eq!(exchange(&mut tls, "GET", "/healthz", b"").0, 200);
    assert_eq!(exchange(&mut tls, "GET", "/readyz", b"").0, 200);
    assert_eq!(exchange(&mut tls, "GET", "/nowhere", b"").0, 404);
    let (status, metrics) = exchange(&mut tls, "GET", "/metrics", b"");
    assert_eq!(status, 200);
    let metrics = String::from_utf8(metrics).unwrap();
    for line in [
        "meshtel_admission_requests_total{result=\"allowed\"} 2",
        "meshtel_admission_requests_total{result=\"denied\"} 1",
        "meshtel_admission_denials_total 1",
        "meshtel_policy_evaluation_seconds_count 3",
    ] {
        assert!(metrics.contains(line), "{line} missing from\n{metrics}");
    }
    assert!(
        metrics.contains("meshtel_admission_warnings_total "),
        "{metrics}"
    );
}

#[test]
fn ten_thousand_reviews_over_eight_connections_are_all_right() {
    let server = start("load", &[]);
    let templates = templates();
    let started = Instant::now();
    std::thread::scope(|s| {
        for c in 0..8 {
            let (server, templates) = (&server, &templates);
            s.spawn(move || {
                let mut tls = server.connect();
                for i in 0..1250 {
                    let (object, allowed, warned) = &templates[(c + i) % templates.len()];
                    let uid = format!("c{c}-r{i}");
                    let body = serde_json::to_vec(&review(&uid, object.clone())).unwrap();
                    let (status, answer) = exchange(&mut tls, "POST", "/validate", &body);
                    assert_eq!(status, 200);
                    check_answer(&answer, &uid, *allowed, *warned);
                }
            });
        }
    });
    eprintln!(
        "10,000 reviews over 8 connections in {:?}",
        started.elapsed()
    );
    let (_, metrics) = exchange(&mut server.connect(), "GET", "/metrics", b"");
    let metrics = String::from_utf8(metrics).unwrap();
    assert!(
        metrics.contains("meshtel_policy_evaluation_seconds_count 10000"),
        "{metrics}"
    );
}

#[test]
fn hostile_bodies_get_400_and_the_server_keeps_serving() {
    let server = start("hostile", &["--max-body-bytes", "1048576"]);
    let good = serde_json::to_vec(&review("ok", templates()[0].0.clone())).unwrap();
    let still_serving = |server: &Server| {
        let (status, answer) = exchange(&mut server.connect(), "POST", "/validate", &good);
        assert_eq!(status, 200);
        check_answer(&answer, "ok", true, true);
    };
    let expect_400 = |body: &[u8], needle: &str| {
        let (status, answer) = exchange(&mut server.connect(), "POST", "/validate", body);
        let text = String::from_utf8_lossy(&answer).into_owned();
        assert_eq!(status, 400, "{text}");
        assert!(text.contains(needle), "{text} lacks {needle}");
        still_serving(&server);
    };
    expect_400(b"\x00\xffgarbage\x13", "not JSON");
    expect_400(&good[..good.len() / 2], "not JSON");
    expect_400(b"{\"kind\": \"Pod\"}", "expected an AdmissionReview");
    expect_400(
        br#"{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview"}"#,
        "no request",
    );
    // 50 MB: refused by size, before any parsing.
    let huge = vec![b'x'; 50 * 1024 * 1024];
    expect_400(&huge, "the limit is 1048576 bytes");
    // Not HTTP at all, and a body cut short by a disconnect.
    let mut tls = server.connect();
    tls.write_all(b"\x16\x03garbage that is not HTTP\r\n\r\n")
        .unwrap();
    tls.flush().unwrap();
    assert_eq!(read_response(&mut tls).0, 400);
    let mut tls = server.connect();
    let head = "POST /validate HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n";
    tls.write_all(head.as_bytes()).unwrap();
    tls.write_all(&good[..100]).unwrap();
    tls.flush().unwrap();
    tls.conn.send_close_notify();
    let _ = tls.flush();
    drop(tls);
    // A client that vanishes during the TLS handshake.
    drop(TcpStream::connect(&server.addr).unwrap());
    still_serving(&server);
}

#[test]
fn a_timed_out_evaluation_gets_the_failure_mode() {
    // A zero budget makes every evaluation hit the epoch deadline.
    let denying = start("fail-deny", &["--eval-timeout-ms", "0"]);
    let body = serde_json::to_vec(&review("t1", templates()[0].0.clone())).unwrap();
    let (status, answer) = exchange(&mut denying.connect(), "POST", "/validate", &body);
    assert_eq!(status, 200);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["response"]["allowed"], false, "{answer}");
    assert_eq!(answer["response"]["status"]["code"], 500);
    assert!(
        answer["response"]["status"]["message"]
            .as_str()
            .unwrap()
            .contains("failure mode deny")
    );
    let allowing = start(
        "fail-allow",
        &["--eval-timeout-ms", "0", "--failure-mode", "allow"],
    );
    let (_, answer) = exchange(&mut allowing.connect(), "POST", "/validate", &body);
    let answer: Value = serde_json::from_slice(&answer).unwrap();
    assert_eq!(answer["response"]["allowed"], true, "{answer}");
    assert!(
        answer["response"]["warnings"][0]
            .as_str()
            .unwrap()
            .contains("failure mode allow")
    );
}

#[test]
fn sigterm_stops_gracefully() {
    let mut server = start("sigterm", &[]);
    let mut tls = server.connect();
    assert_eq!(exchange(&mut tls, "GET", "/healthz", b"").0, 200);
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            assert!(status.success(), "exit status {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the server did not stop within 10 s of SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn curl_gets_an_admission_review_answer() {
    if Command::new("curl").arg("--version").output().is_err() {
        eprintln!("curl not installed; the Rust client tests cover the same path");
        return;
    }
    let server = start("curl", &[]);
    let body = serde_json::to_vec(&review("curl-1", templates()[0].0.clone())).unwrap();
    let request = server.dir.join("review.json");
    std::fs::write(&request, body).unwrap();
    let port = server.addr.rsplit(':').next().unwrap();
    let out = Command::new("curl")
        .args(["--silent", "--show-error", "--fail", "--max-time", "20"])
        .arg("--cacert")
        .arg(server.dir.join("cert.pem"))
        .args(["-H", "Content-Type: application/json", "--data-binary"])
        .arg(format!("@{}", request.display()))
        .arg(format!("https://localhost:{port}/validate"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "curl: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    check_answer(&out.stdout, "curl-1", true, true);
}
