//! A small HTTP/1.1 application server for the Envoy suite: the "httpbin" behind the sidecars.
//!
//! Paths: `/status/N` answers N; `/delay/MS` waits then answers 200; `/drip/MS` answers 200 with
//! a first line at once and a last one MS later (a connection that stays open with bytes both
//! ways); `/reset` closes the connection without answering; `/bytes/N` answers N bytes; anything
//! else answers 200 with the
//! request body's length. Every connection is served by its own thread and closes after one
//! response, so the server needs no parser beyond headers and Content-Length / chunked bodies.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// A running upstream; stops when dropped.
pub struct Upstream {
    /// The port it listens on (127.0.0.1).
    pub port: u16,
    stop: Arc<AtomicBool>,
}

impl Upstream {
    /// Starts the server on a free loopback port.
    pub fn start() -> std::io::Result<Upstream> {
        let listener = TcpListener::bind("127.0.0.1:0")?;
        let port = listener.local_addr()?.port();
        listener.set_nonblocking(true)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        std::thread::spawn(move || {
                            let _ = serve(stream);
                        });
                    }
                    Err(_) => std::thread::sleep(Duration::from_millis(5)),
                }
            }
        });
        Ok(Upstream { port, stop })
    }
}

impl Drop for Upstream {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn serve(stream: TcpStream) -> std::io::Result<()> {
    stream.set_nonblocking(false)?;
    stream.set_read_timeout(Some(Duration::from_secs(5)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let line = read_line(&mut reader)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let (mut length, mut chunked, mut protobuf) = (0usize, false, false);
    loop {
        let header = read_line(&mut reader)?;
        if header.is_empty() || header == "\r\n" {
            break;
        }
        let lower = header.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().unwrap_or(0);
        }
        if lower.starts_with("transfer-encoding:") && lower.contains("chunked") {
            chunked = true;
        }
        // Envoy's gRPC reverse bridge sends x-protobuf and wants the same type back.
        if lower.starts_with("content-type:") && lower.contains("application/x-protobuf") {
            protobuf = true;
        }
    }
    let received = if chunked {
        read_chunked(&mut reader)?
    } else {
        read_exact(&mut reader, length)?
    };
    let mut stream = stream;
    let segments: Vec<&str> = path.split('?').next().unwrap_or("").split('/').collect();
    let (status, body) = match segments.as_slice() {
        ["", "reset", ..] => return Ok(()), // close without a response
        ["", "drip", ms, ..] => {
            // No content-length: the body ends when the connection closes.
            stream.write_all(b"HTTP/1.1 200 OK\r\nconnection: close\r\n\r\nfirst\n")?;
            stream.flush()?;
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(0)));
            return stream.write_all(b"last\n");
        }
        ["", "status", code, ..] => (
            code.parse().unwrap_or(400),
            format!("status {code}\n").into_bytes(),
        ),
        ["", "delay", ms, ..] => {
            std::thread::sleep(Duration::from_millis(ms.parse().unwrap_or(0)));
            (200, b"delayed\n".to_vec())
        }
        ["", "bytes", n, ..] => (
            200,
            vec![b'x'; n.parse::<usize>().unwrap_or(0).min(1 << 20)],
        ),
        _ => (200, format!("received {received} bytes\n").into_bytes()),
    };
    let body: &[u8] = if matches!(status, 204 | 304) {
        &[]
    } else {
        &body
    };
    let content_type = if protobuf {
        "application/x-protobuf"
    } else {
        "text/plain"
    };
    let head = format!(
        "HTTP/1.1 {status} {}\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
        reason(status),
        body.len()
    );
    stream.write_all(head.as_bytes())?;
    stream.write_all(body)?;
    stream.flush()
}

/// One line, bytes that are not UTF-8 replaced (header values may be Latin-1).
fn read_line(reader: &mut impl BufRead) -> std::io::Result<String> {
    let mut line = Vec::new();
    reader.read_until(b'\n', &mut line)?;
    Ok(String::from_utf8_lossy(&line).into_owned())
}

fn read_exact(reader: &mut impl Read, n: usize) -> std::io::Result<usize> {
    let mut buf = vec![0; n.min(1 << 24)];
    reader.read_exact(&mut buf)?;
    Ok(buf.len())
}

fn read_chunked(reader: &mut BufReader<TcpStream>) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let size = read_line(reader)?;
        let n =
            usize::from_str_radix(size.trim().split(';').next().unwrap_or("0"), 16).unwrap_or(0);
        if n == 0 {
            // Trailers end with an empty line.
            loop {
                let t = read_line(reader)?;
                if t.is_empty() || t == "\r\n" {
                    return Ok(total);
                }
            }
        }
        total += read_exact(reader, n)?;
        let mut crlf = [0; 2];
        reader.read_exact(&mut crlf)?;
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        204 => "No Content",
        301 => "Moved Permanently",
        404 => "Not Found",
        418 => "I'm a teapot",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}
