//! Runs the cel-spec "simple" conformance tests (converted to JSON in `shared/cel-conformance`)
//! against `policy_wasm::cel`, prints the pass count per file, and fails on any failure that is
//! not listed in `tests/cel-expected-failures.txt` — and on any listed failure that now passes,
//! so the list stays honest.
//!
//! Expected-failures file: one `file/section/test: reason` per line; `#` starts a comment.
//! Lines `@flag: reason` skip every test carrying that JSON flag (`skip_reason`,
//! `uses_test_protos`, `check_only`), which need machinery this implementation does not have.

use policy_wasm::cel::{Activation, Lookup, Program, Value};
use serde_json::Value as Json;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

/// The files CEL-in-Istio needs.
const FILES: &[&str] = &[
    "basic",
    "comparisons",
    "conversions",
    "fields",
    "fp_math",
    "integer_math",
    "lists",
    "logic",
    "macros",
    "parse",
    "plumbing",
    "string",
    "timestamps",
];

fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/cel-conformance/testdata")
}

/// Test variables, looked up by their dotted name.
struct Bindings(HashMap<String, Value>);

impl Activation for Bindings {
    fn resolve(&self, path: &[&str]) -> Lookup {
        match self.0.get(&path.join(".")) {
            Some(v) => Lookup::Found(v.clone()),
            None => Lookup::Unbound,
        }
    }
}

fn b64(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("bad base64 {text}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

fn eval_literal(expr: &str) -> Result<Value, String> {
    Program::compile(expr)
        .map_err(|e| e.to_string())?
        .evaluate_with(&Bindings(HashMap::new()))
        .map_err(|e| e.to_string())
}

/// Converts a tagged JSON VALUE to a CEL value.
fn to_value(j: &Json) -> Result<Value, String> {
    let obj = j.as_object().ok_or("value is not an object")?;
    let (tag, v) = obj.iter().next().ok_or("empty value")?;
    let s = || v.as_str().ok_or_else(|| format!("{tag} is not a string"));
    Ok(match tag.as_str() {
        "int" => Value::Int(s()?.parse().map_err(|e| format!("{e}"))?),
        "uint" => Value::Uint(s()?.parse().map_err(|e| format!("{e}"))?),
        "double" => Value::Double(match v {
            Json::String(x) if x == "NaN" => f64::NAN,
            Json::String(x) if x == "Infinity" => f64::INFINITY,
            Json::String(x) if x == "-Infinity" => f64::NEG_INFINITY,
            _ => v.as_f64().ok_or("bad double")?,
        }),
        "string" => Value::String(Arc::from(s()?)),
        "bytes_b64" => Value::Bytes(Arc::from(b64(s()?)?)),
        "bool" => Value::Bool(v.as_bool().ok_or("bad bool")?),
        "null" => Value::Null,
        "list" => Value::List(
            v.as_array()
                .ok_or("bad list")?
                .iter()
                .map(to_value)
                .collect::<Result<Vec<_>, _>>()?
                .into(),
        ),
        "map" => {
            let mut entries = Vec::new();
            for pair in v.as_array().ok_or("bad map")? {
                let pair = pair.as_array().ok_or("bad map entry")?;
                let (Some(k), Some(val)) = (pair.first(), pair.get(1)) else {
                    return Err("bad map entry".into());
                };
                entries.push((to_value(k)?, to_value(val)?));
            }
            Value::Map(Arc::new(
                policy_wasm::cel::MapValue::from_entries(entries).map_err(|e| format!("{e:?}"))?,
            ))
        }
        "type" => {
            Value::Type(policy_wasm::cel::Type::from_name(s()?).ok_or_else(|| format!("type {v}"))?)
        }
        "timestamp" => eval_literal(&format!("timestamp('{}')", s()?))?,
        "duration" => eval_literal(&format!("duration('{}')", s()?))?,
        other => return Err(format!("unsupported value kind '{other}'")),
    })
}

/// Exact equality as the conformance suite means it: same types all the way down.
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Double(x), Value::Double(y)) => (x.is_nan() && y.is_nan()) || x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| same(p, q))
        }
        (Value::Map(x), Value::Map(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.iter().any(|(k2, v2)| same(k, k2) && same(v, v2)))
        }
        _ => a.type_of() == b.type_of() && a.equals(b),
    }
}

/// Runs one test; `Err` says why it failed.
fn run_test(t: &Json) -> Result<(), String> {
    let expr = t["expr"].as_str().ok_or("no expr")?;
    let mut vars = HashMap::new();
    if let Some(b) = t["bindings"].as_object() {
        for (name, v) in b {
            vars.insert(name.clone(), to_value(v)?);
        }
    }
    let program = Program::compile(expr).map_err(|e| format!("parse: {e}"))?;
    let got = program.evaluate_with(&Bindings(vars));
    let expect = &t["expect"];
    if expect.get("error").is_some() || expect.get("any_error").is_some() {
        return match got {
            Err(_) => Ok(()),
            Ok(v) => Err(format!("expected an error, got {v}")),
        };
    }
    let want = to_value(expect)?;
    match got {
        Ok(v) if same(&v, &want) => Ok(()),
        Ok(v) => Err(format!(
            "got {v} ({}), want {want} ({})",
            v.type_name(),
            want.type_name()
        )),
        Err(e) => Err(format!("error {e}, want {want}")),
    }
}

struct Expected {
    tests: BTreeMap<String, String>,
    flags: BTreeMap<String, String>,
}

fn load_expected() -> Expected {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/cel-expected-failures.txt");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let mut tests = BTreeMap::new();
    let mut flags = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (id, reason) = line
            .split_once(": ")
            .unwrap_or_else(|| panic!("line {}: want 'id: reason'", n + 1));
        assert!(!reason.trim().is_empty(), "line {}: empty reason", n + 1);
        match id.strip_prefix('@') {
            Some(flag) => flags.insert(flag.to_string(), reason.to_string()),
            None => tests.insert(id.to_string(), reason.to_string()),
        };
    }
    Expected { tests, flags }
}

#[test]
fn cel_spec_conformance() {
    let dir = data_dir();
    assert!(
        dir.is_dir(),
        "CEL conformance data not found at {} (expected the shared folder beside the repository: \
         ../shared/cel-conformance/testdata)",
        dir.display()
    );
    let expected = load_expected();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    let mut seen = BTreeSet::new();
    for file in FILES {
        let path = dir.join(format!("{file}.json"));
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        let doc: Json = serde_json::from_str(&text).expect("conformance JSON");
        let (mut passed, mut listed, mut skipped, mut total) = (0, 0, 0, 0);
        for section in doc["sections"].as_array().into_iter().flatten() {
            let sname = section["name"].as_str().unwrap_or("");
            let mut names_here = BTreeSet::new();
            for t in section["tests"].as_array().into_iter().flatten() {
                total += 1;
                let tname = t["name"].as_str().unwrap_or("");
                let mut id = format!("{file}/{sname}/{tname}");
                let mut k = 2;
                while !names_here.insert(id.clone()) {
                    id = format!("{file}/{sname}/{tname}@{k}");
                    k += 1;
                }
                let flagged = ["skip_reason", "uses_test_protos", "check_only"]
                    .iter()
                    .find(|f| {
                        t.get(**f)
                            .is_some_and(|v| !v.is_null() && *v != Json::Bool(false))
                    });
                if let Some(f) = flagged
                    && expected.flags.contains_key(*f)
                {
                    skipped += 1;
                    continue;
                }
                seen.insert(id.clone());
                let outcome = std::panic::catch_unwind(|| run_test(t))
                    .unwrap_or_else(|_| Err("PANIC".into()));
                match (outcome, expected.tests.contains_key(&id)) {
                    (Ok(()), false) => passed += 1,
                    (Ok(()), true) => now_passing.push(id),
                    (Err(_), true) => listed += 1,
                    (Err(why), false) => {
                        unexpected.push(format!("{id}: {why}\n    expr: {}", t["expr"]))
                    }
                }
            }
        }
        println!(
            "{file:>13}: {passed}/{total} passed, {listed} expected failures, {skipped} skipped"
        );
    }
    let stale: Vec<_> = expected
        .tests
        .keys()
        .filter(|id| !seen.contains(*id))
        .collect();
    assert!(
        unexpected.is_empty(),
        "{} unexpected failures:\n{}",
        unexpected.len(),
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "listed as expected failures but now pass (remove them): {now_passing:?}"
    );
    assert!(
        stale.is_empty(),
        "expected failures that name no test: {stale:?}"
    );
}
