//! The browser playground: `dist/playground/` (the static site from `playground/` plus the engine
//! compiled with wasm-bindgen) and `cargo xtask playground`, which serves it on 127.0.0.1.
//!
//! `wasm-bindgen-cli` must equal the `wasm-bindgen` crate version exactly; xtask installs that
//! version with `cargo install` into `target/tools/wasm-bindgen-<version>/` once and reuses it.

use crate::artifacts::{Artifact, build_wasm};
use crate::root;
use crate::toolchain::Route;
use anyhow::{Context, Result, bail};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The pinned wasm-bindgen version (crate `=0.2.130` in `policy-wasm/adapters/playground`).
pub const WASM_BINDGEN_VERSION: &str = "0.2.130";
/// The playground's wasm must stay below this.
pub const MAX_WASM_BYTES: u64 = 1024 * 1024;
/// The site's own files, copied as they are.
const SITE_FILES: [&str; 4] = ["index.html", "style.css", "app.js", "examples.js"];

/// `dist/playground/`.
pub fn dist_dir() -> PathBuf {
    root().join("dist/playground")
}

/// Checks that the crate pins the same wasm-bindgen version xtask installs.
fn check_pin() -> Result<()> {
    let manifest = root().join("policy-wasm/adapters/playground/Cargo.toml");
    let text = std::fs::read_to_string(&manifest)
        .with_context(|| format!("cannot read {}", manifest.display()))?;
    let pin = format!("wasm-bindgen = {{ version = \"={WASM_BINDGEN_VERSION}\"");
    if !text.contains(&pin) {
        bail!(
            "{} must pin wasm-bindgen to ={WASM_BINDGEN_VERSION}, the wasm-bindgen-cli version xtask installs",
            manifest.display()
        );
    }
    Ok(())
}

/// The `wasm-bindgen` binary at the pinned version, installed into `target/tools` when missing.
pub fn wasm_bindgen_cli() -> Result<PathBuf> {
    let tools = root().join(format!("target/tools/wasm-bindgen-{WASM_BINDGEN_VERSION}"));
    let bin = tools.join("bin/wasm-bindgen");
    let version_ok = |bin: &Path| {
        Command::new(bin).arg("--version").output().is_ok_and(|o| {
            String::from_utf8_lossy(&o.stdout).trim()
                == format!("wasm-bindgen {WASM_BINDGEN_VERSION}")
        })
    };
    if version_ok(&bin) {
        return Ok(bin);
    }
    eprintln!(
        "xtask: installing wasm-bindgen-cli {WASM_BINDGEN_VERSION} from crates.io into {} (cargo install; compiles for a few minutes, once)",
        tools.display()
    );
    let install = |locked: bool| {
        let mut cmd = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
        cmd.args([
            "install",
            "wasm-bindgen-cli",
            "--version",
            WASM_BINDGEN_VERSION,
        ]);
        if locked {
            cmd.arg("--locked");
        }
        cmd.arg("--root")
            .arg(&tools)
            .env("CARGO_TARGET_DIR", tools.join("build"));
        crate::run(&mut cmd)
    };
    if let Err(e) = install(true) {
        // The CLI's own Cargo.lock names webpki-roots 1.0.11, which crates.io no longer serves;
        // resolving afresh picks a compatible release.
        eprintln!(
            "xtask: `cargo install --locked` failed ({e:#}); retrying without --locked (dependencies resolved afresh)"
        );
        install(false)?;
    }
    let _ = std::fs::remove_dir_all(tools.join("build"));
    if !version_ok(&bin) {
        bail!(
            "{} does not report wasm-bindgen {WASM_BINDGEN_VERSION} after installing",
            bin.display()
        );
    }
    Ok(bin)
}

/// Builds `dist/playground/`: the engine with wasm-bindgen (`pkg/`) and the site's files.
pub fn build(route: &Route) -> Result<Artifact> {
    check_pin()?;
    let bindgen = wasm_bindgen_cli()?;
    let core = build_wasm(route, "policy-playground")?;
    let out = dist_dir();
    let _ = std::fs::remove_dir_all(&out);
    std::fs::create_dir_all(&out).context("cannot create dist/playground")?;
    crate::run(
        Command::new(&bindgen)
            .args(["--target", "web", "--no-typescript", "--out-dir"])
            .arg(out.join("pkg"))
            .arg(&core),
    )?;
    for file in SITE_FILES {
        let from = root().join("playground").join(file);
        std::fs::copy(&from, out.join(file))
            .with_context(|| format!("cannot copy {}", from.display()))?;
    }
    let wasm = out.join("pkg/policy_playground_bg.wasm");
    let bindgen_output =
        std::fs::read(&wasm).with_context(|| format!("{} was not written", wasm.display()))?;
    let optimized = crate::wasm_opt::optimize(&bindgen_output)?;
    std::fs::write(&wasm, &optimized)
        .with_context(|| format!("cannot write {}", wasm.display()))?;
    let size = optimized.len() as u64;
    if size >= MAX_WASM_BYTES {
        bail!("the playground's wasm is {size} bytes; it must stay under {MAX_WASM_BYTES}");
    }
    Ok(Artifact {
        name: "playground/pkg/policy_playground_bg.wasm".into(),
        size,
    })
}

/// `cargo xtask playground [PORT]`: builds the playground, serves it on 127.0.0.1 until stopped.
pub fn command(args: &[String]) -> Result<()> {
    let route = crate::toolchain::ensure_wasm_route()?;
    let built = build(&route)?;
    println!("playground wasm: {} bytes", built.size);
    let port: u16 = match args.first() {
        Some(p) => p.parse().with_context(|| format!("{p:?} is not a port"))?,
        None => 8080,
    };
    let listener = TcpListener::bind(("127.0.0.1", port))
        .or_else(|_| TcpListener::bind(("127.0.0.1", 0)))
        .context("cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    println!(
        "serving {} at http://{addr}/ (Ctrl+C stops)",
        dist_dir().display()
    );
    serve(listener, dist_dir());
    Ok(())
}

/// Starts a static file server for `dir` on 127.0.0.1 (an ephemeral port) in a thread.
pub fn spawn_server(dir: PathBuf) -> Result<SocketAddr> {
    let listener = TcpListener::bind(("127.0.0.1", 0)).context("cannot listen on 127.0.0.1")?;
    let addr = listener.local_addr()?;
    std::thread::spawn(move || serve(listener, dir));
    Ok(addr)
}

fn serve(listener: TcpListener, dir: PathBuf) {
    for stream in listener.incoming().flatten() {
        let dir = dir.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &dir);
        });
    }
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    }
}

/// Answers GET requests (keep-alive) with files under `dir`; nothing else.
fn answer(stream: TcpStream, dir: &Path) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut stream = stream;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(());
        }
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header)? == 0 || header == "\r\n" || header == "\n" {
                break;
            }
        }
        let mut parts = line.split_whitespace();
        let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
        let path = target.split(['?', '#']).next().unwrap_or("/");
        let rel = path.trim_start_matches('/');
        let rel = if rel.is_empty() { "index.html" } else { rel };
        let file = dir.join(rel);
        let safe = !rel.split('/').any(|s| s == ".." || s.is_empty());
        let (status, body, ctype) = match (method, safe, std::fs::read(&file)) {
            ("GET" | "HEAD", true, Ok(body)) => ("200 OK", body, content_type(&file)),
            ("GET" | "HEAD", _, _) => ("404 Not Found", b"not found\n".to_vec(), "text/plain"),
            _ => (
                "405 Method Not Allowed",
                b"GET only\n".to_vec(),
                "text/plain",
            ),
        };
        write!(
            stream,
            "HTTP/1.1 {status}\r\nContent-Type: {ctype}\r\nContent-Length: {}\r\nCache-Control: no-store\r\n\r\n",
            body.len()
        )?;
        if method != "HEAD" {
            stream.write_all(&body)?;
        }
        stream.flush()?;
    }
}
