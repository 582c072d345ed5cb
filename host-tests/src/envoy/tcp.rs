//! TCP connections through the suite's `tcp_proxy` listeners: raw bytes to the app (an HTTP
//! server, which is as good a TCP peer as any), read to the end, with the app or the client
//! closing; and one long-lived connection that stays open across the filter's periodic reports.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::Duration;

/// One TCP connection: what the client sends, then whether it half-closes before reading.
pub struct TcpCase {
    /// What the case is.
    pub name: &'static str,
    /// Bytes the client writes.
    pub send: Vec<u8>,
    /// Close the write side after sending (the app then sees the end of the request).
    pub half_close: bool,
}

/// The TCP corpus: requests the app answers and closes, a connection closed by the client without
/// a byte, a body in two writes.
pub fn catalogue() -> Vec<TcpCase> {
    let get = |path: &str| format!("GET {path} HTTP/1.1\r\nHost: tcp-echo\r\n\r\n").into_bytes();
    let mut post =
        b"POST /post HTTP/1.1\r\nHost: tcp-echo\r\nContent-Length: 1000\r\n\r\n".to_vec();
    post.extend(std::iter::repeat_n(b'x', 1000));
    vec![
        TcpCase {
            name: "get-200",
            send: get("/status/200"),
            half_close: false,
        },
        TcpCase {
            name: "get-large-response",
            send: get("/bytes/100000"),
            half_close: false,
        },
        TcpCase {
            name: "post-body",
            send: post,
            half_close: false,
        },
        TcpCase {
            name: "client-closes-silently",
            send: Vec::new(),
            half_close: true,
        },
    ]
}

/// Runs one case against `port` on 127.0.0.1; returns the client's port and the bytes received.
pub fn send(case: &TcpCase, port: u16) -> std::io::Result<(u16, Vec<u8>)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    let local_port = stream.local_addr()?.port();
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    stream.write_all(&case.send)?;
    if case.half_close {
        stream.shutdown(Shutdown::Write)?;
    }
    let mut received = Vec::new();
    stream.read_to_end(&mut received)?;
    Ok((local_port, received))
}

/// The name of the long-lived connection's case.
pub const LONG_LIVED: &str = "long-lived";

/// How long the long-lived connection stays open for a filter that reports every `interval_ms`:
/// long enough for two reports and a look at them before it closes.
pub fn long_lived_ms(interval_ms: u64) -> u64 {
    3 * interval_ms + 500
}

/// A connection kept open by the app (`/drip/MS`): the request and a first line of the answer
/// have passed, the last line comes `MS` after the request.
pub struct LongLived {
    stream: TcpStream,
    /// The client's port.
    pub local_port: u16,
    /// Bytes sent so far.
    pub sent: usize,
    /// Bytes received so far.
    pub received: Vec<u8>,
}

impl LongLived {
    /// Opens the connection through `port` on 127.0.0.1 and waits for the first line; the app
    /// closes it `open_ms` after the request.
    pub fn open(port: u16, open_ms: u64) -> std::io::Result<LongLived> {
        let mut stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_read_timeout(Some(Duration::from_secs(10)))?;
        let request = format!("GET /drip/{open_ms} HTTP/1.1\r\nHost: tcp-echo\r\n\r\n");
        stream.write_all(request.as_bytes())?;
        let mut received = Vec::new();
        let mut buf = [0u8; 512];
        // Bounded: the first line is one write of the app, the read timeout ends a stall.
        while !received.ends_with(b"first\n") && received.len() < 4096 {
            let n = stream.read(&mut buf)?;
            if n == 0 {
                break;
            }
            received.extend_from_slice(&buf[..n]);
        }
        Ok(LongLived {
            local_port: stream.local_addr()?.port(),
            stream,
            sent: request.len(),
            received,
        })
    }

    /// Reads to the end (the app closes); returns every byte received.
    pub fn finish(mut self) -> std::io::Result<Vec<u8>> {
        self.stream.read_to_end(&mut self.received)?;
        Ok(self.received)
    }
}
