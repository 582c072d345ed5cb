//! Turns the built-in support scopes (annotated YAML in `src/scope/`) into Rust expressions that
//! build the `Scope` directly, so an evaluation neither reads YAML (about 120 µs) nor parses JSON
//! and decodes it (about a third of an OPA evaluation). The fields follow the scope's `FromJson`
//! table; the test `built_in_scopes_equal_their_yaml` checks both readings give the same scope.

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
        let code = Emitter { path: &path }.scope(document);
        std::fs::write(out.join(format!("{name}.rs")), code).expect("OUT_DIR is writable");
    }
}

/// Writes Rust expressions for the scope types; panics (failing the build) on anything the
/// scope format does not have, so a new key in the YAML cannot be silently dropped.
struct Emitter<'a> {
    path: &'a str,
}

impl Emitter<'_> {
    /// The entries of a mapping, checked against the keys its type knows.
    fn mapping<'y>(
        &self,
        node: &'y Yaml<'y>,
        what: &str,
        known: &[&str],
    ) -> Vec<(&'y str, &'y Yaml<'y>)> {
        let Yaml::Mapping(map) = node else {
            panic!("{}: {what} must be a mapping, found {node:?}", self.path);
        };
        map.iter()
            .map(|(key, value)| {
                let Yaml::Value(Scalar::String(key)) = key else {
                    panic!("{}: {what} keys must be strings, found {key:?}", self.path);
                };
                let key: &str = key;
                assert!(
                    known.contains(&key),
                    "{}: unknown {what} key `{key}`",
                    self.path
                );
                (key, value)
            })
            .collect()
    }

    fn get<'y>(entries: &[(&str, &'y Yaml<'y>)], key: &str) -> Option<&'y Yaml<'y>> {
        entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| !matches!(v, Yaml::Value(Scalar::Null)))
    }

    fn string(&self, node: &Yaml) -> String {
        let Yaml::Value(Scalar::String(s)) = node else {
            panic!("{}: expected a string, found {node:?}", self.path);
        };
        format!("String::from({s:?})")
    }

    fn required(&self, entries: &[(&str, &Yaml)], key: &str, what: &str) -> String {
        let node = Self::get(entries, key)
            .unwrap_or_else(|| panic!("{}: {what} needs `{key}`", self.path));
        self.string(node)
    }

    fn optional(&self, entries: &[(&str, &Yaml)], key: &str) -> String {
        Self::get(entries, key).map_or("None".into(), |v| format!("Some({})", self.string(v)))
    }

    fn class(&self, node: &Yaml) -> String {
        match node {
            Yaml::Value(Scalar::String(s)) if s == "supported" => "Class::Supported".into(),
            Yaml::Value(Scalar::String(s)) if s == "allowed" => "Class::Allowed".into(),
            Yaml::Value(Scalar::String(s)) if s == "blocked" => "Class::Blocked".into(),
            other => panic!("{}: not a class: {other:?}", self.path),
        }
    }

    fn list(&self, node: Option<&Yaml>, item: impl Fn(&Yaml) -> String) -> String {
        let items = match node {
            None => return "Vec::new()".into(),
            Some(Yaml::Sequence(items)) => items,
            Some(other) => panic!("{}: expected a list, found {other:?}", self.path),
        };
        let mut out = String::from("alloc::vec![");
        for node in items {
            write!(out, "{},", item(node)).unwrap();
        }
        out.push(']');
        out
    }

    fn scope(&self, node: &Yaml) -> String {
        let known = [
            "name",
            "title",
            "default",
            "blockedBy",
            "rootNamespace",
            "apiVersions",
            "fields",
            "hints",
        ];
        let e = self.mapping(node, "scope", &known);
        let default = Self::get(&e, "default")
            .unwrap_or_else(|| panic!("{}: a scope needs `default`", self.path));
        let mut hints = String::from("[");
        if let Some(node) = Self::get(&e, "hints") {
            for (key, value) in self.mapping(node, "hints", &key_of_any(node)) {
                write!(hints, "({key:?},{}),", self.string(value)).unwrap();
            }
        }
        hints.push(']');
        format!(
            "Scope {{ name: {}, title: {}, default: {}, blocked_by: {}, root_namespace: {}, \
             api_versions: {}, fields: {}, hints: {hints}.into_iter().map(|(k, v): (&str, String)| (String::from(k), v)).collect() }}",
            self.required(&e, "name", "a scope"),
            self.optional(&e, "title"),
            self.class(default),
            self.optional(&e, "blockedBy"),
            self.optional(&e, "rootNamespace"),
            self.list(Self::get(&e, "apiVersions"), |n| self.api_version(n)),
            self.list(Self::get(&e, "fields"), |n| self.field(n)),
        )
    }

    fn api_version(&self, node: &Yaml) -> String {
        let e = self.mapping(
            node,
            "apiVersions entry",
            &["apiVersion", "minRevision", "note"],
        );
        format!(
            "ApiVersionRule {{ api_version: {}, min_revision: {}, note: {} }}",
            self.required(&e, "apiVersion", "an apiVersions entry"),
            self.required(&e, "minRevision", "an apiVersions entry"),
            self.optional(&e, "note"),
        )
    }

    fn field(&self, node: &Yaml) -> String {
        let known = ["path", "class", "note", "values", "otherValues"];
        let e = self.mapping(node, "fields entry", &known);
        let class = Self::get(&e, "class")
            .unwrap_or_else(|| panic!("{}: a fields entry needs `class`", self.path));
        format!(
            "FieldRule {{ path: {}, class: {}, note: {}, values: {}, other_values: {} }}",
            self.required(&e, "path", "a fields entry"),
            self.class(class),
            self.optional(&e, "note"),
            self.list(Self::get(&e, "values"), |n| self.value(n)),
            self.optional(&e, "otherValues"),
        )
    }

    fn value(&self, node: &Yaml) -> String {
        let e = self.mapping(node, "values entry", &["value", "class", "note"]);
        let class =
            Self::get(&e, "class").map_or("None".into(), |c| format!("Some({})", self.class(c)));
        format!(
            "ValueRule {{ value: {}, class: {class}, note: {} }}",
            self.required(&e, "value", "a values entry"),
            self.optional(&e, "note"),
        )
    }
}

/// Every key of a mapping (hints are free-form: any key is known).
fn key_of_any<'y>(node: &'y Yaml<'y>) -> Vec<&'y str> {
    let Yaml::Mapping(map) = node else {
        return Vec::new();
    };
    map.keys()
        .filter_map(|k| match k {
            Yaml::Value(Scalar::String(s)) => Some(&**s),
            _ => None,
        })
        .collect()
}
