//! Just enough HTTP/1.1 for an admission webhook: one request at a time per connection,
//! `Content-Length` bodies, keep-alive. Every limit is checked before memory is committed.

use std::io::{self, Read, Write};

/// Largest request head accepted.
const MAX_HEAD: usize = 16 * 1024;
/// Oversized bodies up to this size are read and discarded so the client sees the 400 instead of
/// a reset connection; anything larger is answered and the connection closed at once.
const MAX_DRAIN: usize = 64 * 1024 * 1024;

/// One parsed request.
#[derive(Debug)]
pub struct Request {
    /// `GET`, `POST`, …
    pub method: String,
    /// The path without the query string.
    pub path: String,
    /// The body.
    pub body: Vec<u8>,
    /// The client asked to close the connection after this request.
    pub close: bool,
}

/// Why no request could be read.
#[derive(Debug)]
pub enum ReadError {
    /// The connection ended (or timed out) between requests: nothing to answer.
    Closed,
    /// The request is unusable: answer with this status and message, then close.
    Bad(u16, String),
}

impl From<io::Error> for ReadError {
    fn from(_: io::Error) -> Self {
        ReadError::Closed
    }
}

/// Reads one request from `stream`; `buffer` keeps bytes of the next pipelined request.
pub fn read_request(
    stream: &mut impl Read,
    buffer: &mut Vec<u8>,
    max_body: usize,
) -> Result<Request, ReadError> {
    let mut chunk = [0u8; 8192];
    let head_len = loop {
        if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break end + 4;
        }
        if buffer.len() > MAX_HEAD {
            return Err(ReadError::Bad(
                431,
                "request head larger than 16 KiB".into(),
            ));
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            if buffer.is_empty() {
                return Err(ReadError::Closed);
            }
            return Err(ReadError::Bad(
                400,
                "connection closed inside the request head".into(),
            ));
        }
        buffer.extend_from_slice(&chunk[..n]);
    };
    let mut headers = [httparse::EMPTY_HEADER; 64];
    let mut parsed = httparse::Request::new(&mut headers);
    match parsed.parse(&buffer[..head_len]) {
        Ok(httparse::Status::Complete(_)) => {}
        Ok(httparse::Status::Partial) | Err(_) => {
            return Err(ReadError::Bad(400, "malformed HTTP request head".into()));
        }
    }
    let method = parsed.method.unwrap_or("").to_string();
    let path = parsed.path.unwrap_or("/");
    let path = path.split('?').next().unwrap_or("/").to_string();
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| String::from_utf8_lossy(h.value).trim().to_ascii_lowercase())
    };
    let close = header("connection").is_some_and(|v| v == "close") || parsed.version == Some(0);
    if header("transfer-encoding").is_some() {
        return Err(ReadError::Bad(
            411,
            "chunked request bodies are not supported: send Content-Length".into(),
        ));
    }
    let length = match header("content-length") {
        None if method == "POST" => {
            return Err(ReadError::Bad(411, "a POST needs a Content-Length".into()));
        }
        None => 0,
        Some(v) => v
            .parse::<usize>()
            .map_err(|_| ReadError::Bad(400, format!("invalid Content-Length `{v}`")))?,
    };
    buffer.drain(..head_len);
    if length > max_body {
        // Read and discard what was announced (bounded) so the answer reaches the client.
        if length <= MAX_DRAIN {
            let mut left = length.saturating_sub(buffer.len());
            buffer.clear();
            while left > 0 {
                let n = stream.read(&mut chunk[..left.min(8192)])?;
                if n == 0 {
                    break;
                }
                left -= n;
            }
        }
        return Err(ReadError::Bad(
            400,
            format!("request body is {length} bytes; the limit is {max_body} bytes"),
        ));
    }
    while buffer.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(ReadError::Bad(
                400,
                format!("body ended after {} of {length} bytes", buffer.len()),
            ));
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    let body: Vec<u8> = buffer.drain(..length).collect();
    Ok(Request {
        method,
        path,
        body,
        close,
    })
}

/// Writes a response with `Content-Length`.
pub fn write_response(
    stream: &mut impl Write,
    status: u16,
    content_type: &str,
    body: &[u8],
    close: bool,
) -> io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        411 => "Length Required",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    };
    let connection = if close { "close" } else { "keep-alive" };
    let head = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: {connection}\r\n\r\n",
        body.len()
    );
    let mut out = Vec::with_capacity(head.len() + body.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(body);
    stream.write_all(&out)?;
    stream.flush()
}

/// A reader over a socket with short read timeouts: it keeps waiting through them, but gives up
/// once `idle` has passed, and ends quietly (EOF) when the server stops before a request began.
pub struct Patient<'a, R> {
    inner: &'a mut R,
    since: std::time::Instant,
    idle: std::time::Duration,
    stop: &'a dyn Fn() -> bool,
    got: usize,
}

impl<'a, R: Read> Patient<'a, R> {
    /// Wraps `inner` for one request.
    pub fn new(inner: &'a mut R, idle: std::time::Duration, stop: &'a dyn Fn() -> bool) -> Self {
        Patient {
            inner,
            since: std::time::Instant::now(),
            idle,
            stop,
            got: 0,
        }
    }
}

impl<R: Read> Read for Patient<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.inner.read(buf) {
                Ok(n) => {
                    self.got += n;
                    return Ok(n);
                }
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                    ) =>
                {
                    if self.got == 0 && (self.stop)() {
                        return Ok(0);
                    }
                    if self.since.elapsed() > self.idle {
                        return Err(e);
                    }
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
