//! The OPA-ABI artifacts: build `policy-opa`, then rewrite the linked module so OPA hosts accept it
//! (opa-wasm-abi.md §6): the version globals as constant i32 globals (Rust can only export the
//! address of a static), a `memory` export of the imported memory, and for Kubewarden the
//! `io.kubewarden.metadata` custom section, and wrappers that reset the shadow stack pointer on
//! entry to every exported function (see `wrap_exports`). Sections are edited directly: the change
//! is small and the hosts validate the result when they load it.

use crate::artifacts::{Artifact, build_wasm_profile, install_bytes};
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
    // Not the filter's `opt-level = "z"`, which inlines so little that an evaluation took 2.6×
    // longer; the profile (root Cargo.toml) trades the budget's headroom for speed.
    let linked = build_wasm_profile(route, "policy-opa", features, "release-policy")?;
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

    fn sleb(&mut self) -> Result<i64> {
        let (mut v, mut shift) = (0i64, 0);
        loop {
            let b = self.byte()?;
            v |= i64::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                return Ok(if shift < 64 && b & 0x40 != 0 {
                    v | (-1 << shift)
                } else {
                    v
                });
            }
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

/// What the import section declares that the rewrite must number around.
#[derive(Default)]
struct Imports {
    /// Type index of each imported function, in function-index order.
    function_types: Vec<u64>,
    /// Number of imported globals (kind 3).
    globals: u64,
}

fn read_imports(body: &[u8]) -> Result<Imports> {
    let mut r = Reader { bytes: body, at: 0 };
    let mut imports = Imports::default();
    for _ in 0..r.uleb()? {
        r.name()?;
        r.name()?;
        match r.byte()? {
            0 => imports.function_types.push(r.uleb()?),
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
                imports.globals += 1;
            }
            4 => {
                r.byte()?;
                r.uleb()?;
            }
            kind => bail!("unknown import kind {kind}"),
        }
    }
    Ok(imports)
}

/// The body of the section with this id, if the module has one.
fn section(sections: &[(u8, Vec<u8>)], id: u8) -> Option<&[u8]> {
    sections.iter().find(|(i, _)| *i == id).map(|(_, b)| &b[..])
}

/// A vector section (count, then entries) with `added` more entries (`bytes`) at its end.
fn extend_vec(body: Option<&[u8]>, added: u64, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut r = Reader {
        bytes: body.unwrap_or_default(),
        at: 0,
    };
    let count = if r.bytes.is_empty() { 0 } else { r.uleb()? };
    let mut out = Vec::new();
    uleb(count + added, &mut out);
    out.extend_from_slice(&r.bytes[r.at..]);
    out.extend_from_slice(bytes);
    Ok(out)
}

/// Index and initial value of the shadow stack pointer (lld's `__stack_pointer`): the one mutable
/// i32 global the module defines, initialised to the stack top.
fn stack_pointer(globals: &[u8], imported: u64) -> Result<(u64, i32)> {
    let mut r = Reader {
        bytes: globals,
        at: 0,
    };
    let mut found = Vec::new();
    for index in imported..imported + r.uleb()? {
        let (valtype, mutable) = (r.byte()?, r.byte()?);
        let mut constant = None;
        loop {
            match r.byte()? {
                0x0b => break,
                0x41 => constant = Some(r.sleb()?),
                0x42 => drop(r.sleb()?),
                0x43 => drop(r.take(4)?),
                0x44 => drop(r.take(8)?),
                0x23 | 0xd2 => drop(r.uleb()?),
                0xd0 => drop(r.byte()?),
                0x6a..=0x6c | 0x7c..=0x7e => constant = None,
                op => bail!("global {index}: unexpected opcode {op:#04x} in its initialiser"),
            }
        }
        if valtype == 0x7f && mutable == 1 {
            found.push((index, constant));
        }
    }
    match found[..] {
        [(index, Some(top))] if top > 0 && top % 16 == 0 => Ok((index, i32::try_from(top)?)),
        [(index, top)] => bail!(
            "the stack pointer (global {index}) starts at {top:?}, not a positive 16-byte aligned \
             i32.const: the wrappers that reset it cannot know its value"
        ),
        _ => bail!(
            "expected exactly one mutable i32 global (the shadow stack pointer), found {}: \
             the wrappers that reset it need to know which one it is",
            found.len()
        ),
    }
}

/// Parameter count of each type in the type section (plain function types only).
fn param_counts(types: &[u8]) -> Result<Vec<u64>> {
    let mut r = Reader {
        bytes: types,
        at: 0,
    };
    let mut counts = Vec::new();
    for _ in 0..r.uleb()? {
        if r.byte()? != 0x60 {
            bail!("type {}: not a plain function type", counts.len());
        }
        let params = r.uleb()?;
        r.take(params as usize)?;
        let results = r.uleb()? as usize;
        r.take(results)?;
        counts.push(params);
    }
    Ok(counts)
}

/// Points every function export at a wrapper that first sets the shadow stack pointer back to the
/// stack top, then calls the original with the same arguments. A host's `opa_abort` traps out of
/// the module, skipping the epilogues that restore the pointer, so without this each abort leaks
/// the frames that were active. Resetting is safe because a host calls exports only when no guest
/// frame is active: the OPA ABI has no re-entrant exports.
fn wrap_exports(
    sections: &mut [(u8, Vec<u8>)],
    imports: &Imports,
    exports: &mut [Export],
) -> Result<()> {
    let (sp, top) = stack_pointer(
        section(sections, 6).context("the module defines no globals: no stack pointer")?,
        imports.globals,
    )?;
    let params = param_counts(section(sections, 1).unwrap_or_default())?;
    let mut types = imports.function_types.clone();
    let mut r = Reader {
        bytes: section(sections, 3).context("the module defines no functions")?,
        at: 0,
    };
    for _ in 0..r.uleb()? {
        types.push(r.uleb()?);
    }
    let (mut wrapped, mut type_indices, mut bodies) = (Vec::new(), Vec::new(), Vec::new());
    for (_, _, index) in exports.iter_mut().filter(|(_, kind, _)| *kind == 0) {
        if let Some(at) = wrapped.iter().position(|original| original == index) {
            *index = (types.len() + at) as u64;
            continue;
        }
        let ty = *types
            .get(*index as usize)
            .context("export of an unknown function")?;
        let count = *params
            .get(ty as usize)
            .context("function of an unknown type")?;
        let mut body = vec![0x00, 0x41]; // no locals; i32.const top
        sleb(top.into(), &mut body);
        body.push(0x24); // global.set sp
        uleb(sp, &mut body);
        for param in 0..count {
            body.push(0x20); // local.get param
            uleb(param, &mut body);
        }
        body.push(0x10); // call original
        uleb(*index, &mut body);
        body.push(0x0b);
        uleb(body.len() as u64, &mut bodies);
        bodies.extend_from_slice(&body);
        uleb(ty, &mut type_indices);
        wrapped.push(*index);
        *index = (types.len() + wrapped.len() - 1) as u64;
    }
    let added = wrapped.len() as u64;
    for (id, body) in sections.iter_mut() {
        match id {
            3 => *body = extend_vec(Some(body), added, &type_indices)?,
            10 => *body = extend_vec(Some(body), added, &bodies)?,
            _ => {}
        }
    }
    Ok(())
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
    let memory_import = b"\x03env\x06memory";
    if !section(&sections, 2).is_some_and(|body| {
        body.windows(memory_import.len())
            .any(|w| w == memory_import)
    }) {
        bail!("the module does not import env.memory: check policy-opa's build.rs link flags");
    }
    let imports = section(&sections, 2).map_or(Ok(Imports::default()), read_imports)?;

    // Globals: append two immutable i32 constants (creating the section if there is none).
    let globals_section = section(&sections, 6);
    let defined = match globals_section {
        Some(body) => Reader { bytes: body, at: 0 }.uleb()?,
        None => 0,
    };
    let mut constants = Vec::new();
    for value in [ABI_VERSION, ABI_MINOR_VERSION] {
        constants.extend_from_slice(&[0x7f, 0x00, 0x41]);
        sleb(value.into(), &mut constants);
        constants.push(0x0b);
    }
    let globals = extend_vec(globals_section, 2, &constants)?;
    let version_index = imports.globals + defined;

    // Exports: drop the linker's address globals, add the constants and the memory.
    let old = section(&sections, 7)
        .map(read_exports)
        .transpose()?
        .unwrap_or_default();
    let mut exports: Vec<Export> = old
        .into_iter()
        .filter(|(n, _, _)| {
            !n.starts_with("opa_wasm_abi_") && !n.starts_with("__") && n != "memory"
        })
        .collect();
    wrap_exports(&mut sections, &imports, &mut exports)?;
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
