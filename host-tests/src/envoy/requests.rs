//! The kinds of request the Envoy suite sends: each exercises a different corner of the access log.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::time::Duration;

/// How a request goes out.
#[derive(Debug, Clone)]
pub enum Request {
    /// Exact HTTP/1.x bytes over one TCP connection.
    Raw(Vec<u8>),
    /// HTTP/2 with prior knowledge, through curl: method, path, extra headers, body.
    H2 {
        method: &'static str,
        path: String,
        headers: Vec<String>,
        body: Option<String>,
    },
}

/// One kind of request.
#[derive(Debug, Clone)]
pub struct Case {
    /// Short name, used for fixture file names.
    pub name: &'static str,
    /// What is sent.
    pub request: Request,
}

/// The request id a case sends (deterministic, so records can be found and compared).
pub fn request_id(index: usize) -> String {
    format!("6d657368-7465-4c00-8000-{index:012}")
}

struct Raw {
    method: &'static str,
    path: String,
    version: &'static str,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
    chunked: bool,
}

impl Raw {
    fn new(method: &'static str, path: &str) -> Raw {
        Raw {
            method,
            path: path.into(),
            version: "HTTP/1.1",
            headers: Vec::new(),
            body: Vec::new(),
            chunked: false,
        }
    }
    fn header(mut self, name: &str, value: impl Into<Vec<u8>>) -> Raw {
        self.headers.push((name.into(), value.into()));
        self
    }
    fn body(mut self, body: &str) -> Raw {
        self.body = body.as_bytes().to_vec();
        self
    }
    fn version(mut self, version: &'static str) -> Raw {
        self.version = version;
        self
    }
    fn chunked(mut self) -> Raw {
        self.chunked = true;
        self
    }
    /// Serializes with Host, a request id and a user agent unless the case set its own.
    fn bytes(self, index: usize) -> Vec<u8> {
        let has = |n: &str| self.headers.iter().any(|(k, _)| k.eq_ignore_ascii_case(n));
        let mut out = format!("{} {} {}\r\n", self.method, self.path, self.version).into_bytes();
        let mut defaults = Vec::new();
        if !has("host") {
            defaults.push(("Host".to_string(), b"httpbin:8000".to_vec()));
        }
        if !has("x-request-id") && !has("x-no-request-id") {
            defaults.push(("x-request-id".to_string(), request_id(index).into_bytes()));
        }
        if !has("user-agent") && !has("x-no-user-agent") {
            defaults.push(("User-Agent".to_string(), b"meshtel-suite/1.0".to_vec()));
        }
        for (k, v) in defaults.iter().chain(self.headers.iter()) {
            if k.starts_with("x-no-") {
                continue;
            }
            out.extend_from_slice(k.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(v);
            out.extend_from_slice(b"\r\n");
        }
        if self.chunked {
            out.extend_from_slice(b"Transfer-Encoding: chunked\r\n\r\n");
            for chunk in self.body.chunks(4) {
                out.extend_from_slice(format!("{:x}\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\n\r\n");
        } else {
            if !self.body.is_empty() {
                out.extend_from_slice(
                    format!("Content-Length: {}\r\n", self.body.len()).as_bytes(),
                );
            }
            out.extend_from_slice(b"Connection: close\r\n\r\n");
            out.extend_from_slice(&self.body);
        }
        out
    }
}

fn h2(method: &'static str, path: &str, headers: &[&str], body: Option<&str>) -> Request {
    Request::H2 {
        method,
        path: path.into(),
        headers: headers.iter().map(|h| h.to_string()).collect(),
        body: body.map(str::to_string),
    }
}

/// A file holding one gRPC message frame (uncompressed, 5 bytes of payload), for curl's
/// `--data-binary @file` (the frame has NUL bytes, which no argument can carry).
fn grpc_frame_file() -> String {
    let path = std::env::temp_dir().join("meshtel-grpc-frame.bin");
    let _ = std::fs::write(&path, b"\0\0\0\0\x05hello");
    format!("@{}", path.display())
}

/// Every case, in the order they are sent.
pub fn catalogue() -> Vec<Case> {
    let raw: Vec<(&'static str, Raw)> = vec![
        ("get-200", Raw::new("GET", "/status/200")),
        (
            "get-418-curl",
            Raw::new("GET", "/status/418").header("User-Agent", "curl/8.9.1"),
        ),
        ("get-404", Raw::new("GET", "/status/404")),
        ("get-500", Raw::new("GET", "/status/500")),
        ("get-503", Raw::new("GET", "/status/503")),
        ("get-204", Raw::new("GET", "/status/204")),
        ("get-301", Raw::new("GET", "/status/301")),
        ("head-200", Raw::new("HEAD", "/status/200")),
        (
            "post-body",
            Raw::new("POST", "/post?x=1").body("hello world"),
        ),
        (
            "put-body",
            Raw::new("PUT", "/anything/put").body("{\"a\": 1}"),
        ),
        (
            "patch-body",
            Raw::new("PATCH", "/anything/patch").body("patch"),
        ),
        ("delete", Raw::new("DELETE", "/anything/item/7")),
        ("options", Raw::new("OPTIONS", "/anything")),
        (
            "post-chunked",
            Raw::new("POST", "/anything/chunked")
                .body("a chunked request body")
                .chunked(),
        ),
        (
            "query-string",
            Raw::new("GET", "/status/200?x=1&y=two&z=%20"),
        ),
        ("percent-path", Raw::new("GET", "/anything/a%20b/%C3%A9")),
        (
            "long-path",
            Raw::new("GET", &format!("/anything/{}", "p".repeat(2000))),
        ),
        (
            "original-path",
            Raw::new("GET", "/status/200").header("X-Envoy-Original-Path", "/orig"),
        ),
        (
            "no-user-agent",
            Raw::new("GET", "/status/200").header("x-no-user-agent", ""),
        ),
        (
            "empty-user-agent",
            Raw::new("GET", "/status/200").header("User-Agent", ""),
        ),
        (
            "latin1-user-agent",
            Raw::new("GET", "/status/200").header("User-Agent", b"caf\xe9-client/1".to_vec()),
        ),
        (
            "quoted-user-agent",
            Raw::new("GET", "/status/200").header("User-Agent", "a \"quoted\" \\ agent"),
        ),
        (
            "xff-one",
            Raw::new("GET", "/status/200").header("X-Forwarded-For", "1.2.3.4"),
        ),
        (
            "xff-two",
            Raw::new("GET", "/status/200").header("X-Forwarded-For", "1.2.3.4, 5.6.7.8"),
        ),
        (
            "xff-empty",
            Raw::new("GET", "/status/200").header("X-Forwarded-For", ""),
        ),
        (
            "other-authority",
            Raw::new("GET", "/status/200").header("Host", "example.com:8080"),
        ),
        (
            "no-request-id",
            Raw::new("GET", "/status/200").header("x-no-request-id", ""),
        ),
        (
            "large-header",
            Raw::new("GET", "/status/200").header("X-Large", "v".repeat(16_000)),
        ),
        ("large-response", Raw::new("GET", "/bytes/200000")),
        (
            "http10-rejected",
            Raw::new("GET", "/status/200").version("HTTP/1.0"),
        ), // 426 DPE, as in an Istio sidecar
        ("dead-upstream", Raw::new("GET", "/dead")),
        ("no-route", Raw::new("GET", "/nr")),
        ("direct-response", Raw::new("GET", "/direct")),
        ("upstream-timeout", Raw::new("GET", "/timeout/delay/1500")),
        ("upstream-reset", Raw::new("GET", "/reset")),
        ("retries-exhausted", Raw::new("GET", "/retry/status/503")),
        ("retry-then-ok", Raw::new("GET", "/retry/status/200")),
        (
            "tab-in-header",
            Raw::new("GET", "/status/200").header("User-Agent", "tab\there"),
        ),
        (
            "utf8-user-agent",
            Raw::new("GET", "/status/200").header("User-Agent", "caf\u{e9}/\u{1F680}"),
        ),
        (
            "control-user-agent",
            Raw::new("GET", "/status/200")
                .header("User-Agent", b"del\x7f c1\xc2\x85 esc\x1b".to_vec()),
        ),
    ];
    let mut cases: Vec<Case> = Vec::new();
    for (i, (name, r)) in raw.into_iter().enumerate() {
        cases.push(Case {
            name,
            request: Request::Raw(r.bytes(i)),
        });
    }
    let h2_cases = [
        ("h2-get", h2("GET", "/status/200", &[], None)),
        ("h2-post", h2("POST", "/post?h2=1", &[], Some("h2 body"))),
        (
            "h2-418",
            h2("GET", "/status/418", &["user-agent: curl/8.9.1"], None),
        ),
        ("h2-no-route", h2("GET", "/nr", &[], None)),
        (
            "grpc-unary",
            h2(
                "POST",
                "/reviews.Reviews/Get",
                &["content-type: application/grpc", "te: trailers"],
                Some(&grpc_frame_file()),
            ),
        ),
    ];
    for (name, request) in h2_cases {
        cases.push(Case { name, request });
    }
    cases
}

/// Sends `case` (number `index`) to `port`, waiting for the whole response. Errors are returned,
/// not raised: a reset or a timeout is a legitimate outcome for some cases.
pub fn send(case: &Case, index: usize, port: u16) -> Result<Vec<u8>, String> {
    match &case.request {
        Request::Raw(bytes) => {
            let mut stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| e.to_string())?;
            stream
                .set_read_timeout(Some(Duration::from_secs(10)))
                .map_err(|e| e.to_string())?;
            stream.write_all(bytes).map_err(|e| e.to_string())?;
            let mut response = Vec::new();
            stream
                .read_to_end(&mut response)
                .map_err(|e| e.to_string())?;
            Ok(response)
        }
        Request::H2 {
            method,
            path,
            headers,
            body,
        } => {
            let mut cmd = Command::new("curl");
            cmd.args([
                "-s",
                "-o",
                "/dev/null",
                "--http2-prior-knowledge",
                "--max-time",
                "10",
                "-X",
                method,
            ]);
            cmd.args(["-H", "Host: httpbin:8000", "-H"])
                .arg(format!("x-request-id: {}", request_id(index)));
            if !headers
                .iter()
                .any(|h| h.to_ascii_lowercase().starts_with("user-agent"))
            {
                cmd.args(["-H", "User-Agent: meshtel-suite/1.0"]);
            }
            for h in headers {
                cmd.args(["-H", h]);
            }
            if let Some(b) = body {
                cmd.args(["--data-binary", b]);
            }
            cmd.arg(format!("http://127.0.0.1:{port}{path}"));
            let out = cmd.output().map_err(|e| format!("cannot run curl: {e}"))?;
            Ok(out.stdout)
        }
    }
}
