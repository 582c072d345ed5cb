//! The OPA-ABI artifacts: build `policy-opa`, then rewrite the linked module so OPA hosts accept it
//! (opa-wasm-abi.md §6): the version globals as constant i32 globals (Rust can only export the
//! address of a static), a `memory` export of the imported memory, and for Kubewarden the
//! `io.kubewarden.metadata` custom section. Sections are edited directly: the change is small and
//! the hosts validate the result when they load it.

use crate::artifacts::{Artifact, build_wasm_features, install_bytes};
use crate::toolchain::Route;
use anyhow::{Context, Result, bail};

/// ABI major version the hosts require.
const ABI_VERSION: i32 = 1;
/// ABI minor version: 2 is the first with `opa_eval`, which the npm and Python SDKs use.
const ABI_MINOR_VERSION: i32 = 2;

/// Which module to build.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Variant {
    /// `dist/policy-opa.wasm`: entrypoint 0 is `telemetry/violation`.
    Opa,
    /// `dist/policy-kubewarden.wasm`: entrypoint 0 is `telemetry/response`, plus metadata.
    Kubewarden,
}

/// Builds, rewrites and installs one variant.
pub fn build(route: &Route, variant: Variant) -> Result<Artifact> {
    let (features, name): (&[&str], _) = match variant {
        Variant::Opa => (&[], "policy-opa.wasm"),
        Variant::Kubewarden => (&["kubewarden"], "policy-kubewarden.wasm"),
    };
    let linked = build_wasm_features(route, "policy-opa", features)?;
    let bytes = std::fs::read(&linked).with_context(|| format!("reading {}", linked.display()))?;
    let bytes = crate::wasm_opt::optimize(&bytes)?;
    let metadata = (variant == Variant::Kubewarden).then(kubewarden_metadata);
    let rewritten = rewrite(&bytes, metadata.as_deref())
        .with_context(|| format!("rewriting {}", linked.display()))?;
    install_bytes(&rewritten, name)
}

/// The metadata JSON, minified (Kubewarden reads it with a JSON parser; whitespace is waste).
fn kubewarden_metadata() -> Vec<u8> {
    let text = include_str!("../../policy-wasm/adapters/opa/kubewarden-metadata.json");
    let mut out = Vec::with_capacity(text.len());
    let mut in_string = false;
    let mut escaped = false;
    for b in text.bytes() {
        if in_string {
            escaped = !escaped && b == b'\\';
            in_string = escaped || b != b'"';
        } else if b == b'"' {
            in_string = true;
        } else if b.is_ascii_whitespace() {
            continue;
        }
        out.push(b);
    }
    out
}

fn uleb(mut v: u64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

fn sleb(mut v: i64, out: &mut Vec<u8>) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        let done = (v == 0 && byte & 0x40 == 0) || (v == -1 && byte & 0x40 != 0);
        out.push(if done { byte } else { byte | 0x80 });
        if done {
            return;
        }
    }
}

fn name(text: &str, out: &mut Vec<u8>) {
    uleb(text.len() as u64, out);
    out.extend_from_slice(text.as_bytes());
}

/// A cursor over module bytes.
struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn byte(&mut self) -> Result<u8> {
        let b = *self.bytes.get(self.at).context("module ends early")?;
        self.at += 1;
        Ok(b)
    }

    fn uleb(&mut self) -> Result<u64> {
        let (mut v, mut shift) = (0u64, 0);
        loop {
            let b = self.byte()?;
            v |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(v);
            }
            shift += 7;
            if shift > 63 {
                bail!("LEB128 too long");
            }
        }
    }

    fn take(&mut self, n: usize) -> Result<&[u8]> {
        let s = self
            .bytes
            .get(self.at..self.at + n)
            .context("module ends early")?;
        self.at += n;
        Ok(s)
    }

    fn name(&mut self) -> Result<String> {
        let n = self.uleb()? as usize;
        Ok(String::from_utf8_lossy(self.take(n)?).into_owned())
    }
}

/// One export entry: name, kind, index.
type Export = (String, u8, u64);

fn read_exports(body: &[u8]) -> Result<Vec<Export>> {
    let mut r = Reader { bytes: body, at: 0 };
    let count = r.uleb()?;
    let mut exports = Vec::new();
    for _ in 0..count {
        let name = r.name()?;
        let kind = r.byte()?;
        let index = r.uleb()?;
        exports.push((name, kind, index));
    }
    Ok(exports)
}

/// Number of imported globals (kind 3), to number the globals we add.
fn imported_globals(body: &[u8]) -> Result<u64> {
    let mut r = Reader { bytes: body, at: 0 };
    let mut globals = 0;
    for _ in 0..r.uleb()? {
        r.name()?;
        r.name()?;
        match r.byte()? {
            0 => {
                r.uleb()?;
            }
            1 => {
                r.byte()?;
                let flags = r.uleb()?;
                r.uleb()?;
                if flags & 1 != 0 {
                    r.uleb()?;
                }
            }
            2 => {
                let flags = r.uleb()?;
                r.uleb()?;
                if flags & 1 != 0 {
                    r.uleb()?;
                }
            }
            3 => {
                r.take(2)?;
                globals += 1;
            }
            4 => {
                r.byte()?;
                r.uleb()?;
            }
            kind => bail!("unknown import kind {kind}"),
        }
    }
    Ok(globals)
}

/// Adds the version globals and the `memory` export (and a custom section) to a linked module.
pub fn rewrite(module: &[u8], kubewarden_metadata: Option<&[u8]>) -> Result<Vec<u8>> {
    if module.get(..8) != Some(b"\0asm\x01\0\0\0".as_slice()) {
        bail!("not a wasm module");
    }
    let mut r = Reader {
        bytes: module,
        at: 8,
    };
    let mut sections: Vec<(u8, Vec<u8>)> = Vec::new();
    while r.at < module.len() {
        let id = r.byte()?;
        let size = r.uleb()? as usize;
        sections.push((id, r.take(size)?.to_vec()));
    }
    let imports = sections.iter().find(|(id, _)| *id == 2);
    let memory_import = b"\x03env\x06memory";
    if !imports.is_some_and(|(_, body)| {
        body.windows(memory_import.len())
            .any(|w| w == memory_import)
    }) {
        bail!("the module does not import env.memory: check policy-opa's build.rs link flags");
    }
    let first_global = imported_globals(imports.map_or(&[][..], |(_, b)| b))?;

    // Globals: append two immutable i32 constants (creating the section if there is none).
    let defined = match sections.iter().find(|(id, _)| *id == 6) {
        Some((_, body)) => Reader { bytes: body, at: 0 }.uleb()?,
        None => 0,
    };
    let mut globals = Vec::new();
    uleb(defined + 2, &mut globals);
    if let Some((_, body)) = sections.iter().find(|(id, _)| *id == 6) {
        let mut r = Reader { bytes: body, at: 0 };
        r.uleb()?;
        globals.extend_from_slice(&body[r.at..]);
    }
    for value in [ABI_VERSION, ABI_MINOR_VERSION] {
        globals.extend_from_slice(&[0x7f, 0x00, 0x41]);
        sleb(value.into(), &mut globals);
        globals.push(0x0b);
    }
    let version_index = first_global + defined;

    // Exports: drop the linker's address globals, add the constants and the memory.
    let old = sections
        .iter()
        .find(|(id, _)| *id == 7)
        .map(|(_, body)| read_exports(body))
        .transpose()?
        .unwrap_or_default();
    let mut exports: Vec<Export> = old
        .into_iter()
        .filter(|(n, _, _)| {
            !n.starts_with("opa_wasm_abi_") && !n.starts_with("__") && n != "memory"
        })
        .collect();
    exports.push(("opa_wasm_abi_version".into(), 3, version_index));
    exports.push(("opa_wasm_abi_minor_version".into(), 3, version_index + 1));
    exports.push(("memory".into(), 2, 0));
    let mut export_body = Vec::new();
    uleb(exports.len() as u64, &mut export_body);
    for (n, kind, index) in &exports {
        name(n, &mut export_body);
        export_body.push(*kind);
        uleb(*index, &mut export_body);
    }

    // Reassemble in section order; the global section sits just before the exports.
    sections.retain(|(id, _)| *id != 6 && *id != 7);
    let at = sections
        .iter()
        .position(|(id, _)| !matches!(id, 0..=5 | 13))
        .unwrap_or(sections.len());
    sections.insert(at, (7, export_body));
    sections.insert(at, (6, globals));
    if let Some(json) = kubewarden_metadata {
        let mut body = Vec::new();
        name("io.kubewarden.metadata", &mut body);
        body.extend_from_slice(json);
        sections.push((0, body));
    }
    let mut out = module[..8].to_vec();
    for (id, body) in sections {
        out.push(id);
        uleb(body.len() as u64, &mut out);
        out.extend_from_slice(&body);
    }
    Ok(out)
}
