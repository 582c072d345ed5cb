//! Turns the built-in support scopes (annotated YAML in `src/scope/`) into JSON at build time, so
//! the engine reads them with its small JSON parser: a YAML parse per admission review cost about
//! 120 µs, most of an evaluation.

use saphyr::{LoadableYamlNode, Scalar, Yaml};
use std::fmt::Write;
use std::path::PathBuf;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for name in ["aks", "istio"] {
        let path = format!("src/scope/{name}.yaml");
        println!("cargo:rerun-if-changed={path}");
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let documents = Yaml::load_from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
        let [document] = documents.as_slice() else {
            panic!("{path}: expected exactly one YAML document");
        };
        let mut json = String::new();
        write_json(document, &path, &mut json);
        std::fs::write(out.join(format!("{name}.json")), json).expect("OUT_DIR is writable");
    }
}

fn write_json(node: &Yaml, path: &str, out: &mut String) {
    match node {
        Yaml::Value(Scalar::Null) => out.push_str("null"),
        Yaml::Value(Scalar::Boolean(b)) => write!(out, "{b}").unwrap(),
        Yaml::Value(Scalar::Integer(i)) => write!(out, "{i}").unwrap(),
        Yaml::Value(Scalar::FloatingPoint(f)) => write!(out, "{}", f.into_inner()).unwrap(),
        Yaml::Value(Scalar::String(s)) => write_string(s, out),
        Yaml::Sequence(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, path, out);
            }
            out.push(']');
        }
        Yaml::Mapping(map) => {
            out.push('{');
            for (i, (key, value)) in map.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                let Yaml::Value(Scalar::String(key)) = key else {
                    panic!("{path}: mapping keys must be strings, found {key:?}");
                };
                write_string(key, out);
                out.push(':');
                write_json(value, path, out);
            }
            out.push('}');
        }
        other => panic!("{path}: unsupported YAML node {other:?}"),
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => write!(out, "\\u{:04x}", c as u32).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
}
