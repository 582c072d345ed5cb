//! Support scope as data: field paths mapped to supported / allowed / blocked.
//!
//! A scope is a YAML or JSON file (see `aks.yaml` for the annotated format). Built-in scopes are
//! embedded here; users pass their own with `meshtel check --scope FILE`.

mod revision;

pub use revision::Revision;

use crate::finding::Finding;
use crate::input::{self, InputError, index_path, key_path};
use crate::json::{DecodeError, FromJson, Json, Map, ToJson, field, put};
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use thiserror::Error;

/// How a support scope classifies a field.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Class {
    /// Usable and covered by support: no finding.
    #[default]
    Supported,
    /// Usable but not covered by support: a warning.
    Allowed,
    /// Rejected by the platform: an error.
    Blocked,
}

/// A per-value refinement of a field rule (e.g. one provider name).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ValueRule {
    /// The value, matched case-insensitively (provider names are).
    pub value: String,
    /// Class for this value; absent keeps the field's class.
    pub class: Option<Class>,
    /// What support covers for this value.
    pub note: Option<String>,
}

/// One row of a scope: a field path pattern and its class.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FieldRule {
    /// Spec path without `spec.` and list indices; `*` matches one segment.
    pub path: String,
    /// The field's class.
    pub class: Class,
    /// What support does not cover (shown with `allowed` and `blocked`).
    pub note: Option<String>,
    /// Refinements for the string values found under the field (e.g. provider names).
    pub values: Vec<ValueRule>,
    /// Note for string values no `values` entry names; `{value}` is replaced by the value.
    pub other_values: Option<String>,
}

/// An API version the platform serves only from some revision on.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ApiVersionRule {
    /// `telemetry.istio.io/v1`.
    pub api_version: String,
    /// Oldest control-plane revision that serves it (`asm-1-22`).
    pub min_revision: String,
    /// Why, in words.
    pub note: Option<String>,
}

/// A support scope.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// Short name; prefixes rule ids (`aks.blocked`).
    pub name: String,
    /// Human name of the platform.
    pub title: Option<String>,
    /// Class of fields no rule covers.
    pub default: Class,
    /// Who rejects blocked fields (for the message).
    pub blocked_by: Option<String>,
    /// The platform's root namespace for mesh-wide configuration.
    pub root_namespace: Option<String>,
    /// API versions with a minimum revision.
    pub api_versions: Vec<ApiVersionRule>,
    /// Field rules.
    pub fields: Vec<FieldRule>,
    /// Fix hints for blocked fields by normalized path.
    pub hints: BTreeMap<String, String>,
}

/// Why a scope file could not be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ScopeError {
    /// The file is not YAML or JSON.
    #[error(transparent)]
    Input(#[from] InputError),
    /// The file does not describe a scope.
    #[error("{file}: not a support scope: {message}")]
    Invalid {
        /// Where the scope came from.
        file: String,
        /// What is wrong.
        message: String,
    },
}

impl Default for Scope {
    fn default() -> Self {
        Scope::istio()
    }
}

impl Scope {
    /// The AKS Istio add-on scope.
    pub fn aks() -> Scope {
        // Built by code that build.rs wrote from `aks.yaml`: no parse per evaluation.
        include!(concat!(env!("OUT_DIR"), "/aks.rs"))
    }

    /// Upstream Istio: nothing blocked.
    pub fn istio() -> Scope {
        include!(concat!(env!("OUT_DIR"), "/istio.rs"))
    }

    /// A built-in scope by name (`aks`, `istio`).
    pub fn builtin(name: &str) -> Option<Scope> {
        match name {
            "aks" => Some(Scope::aks()),
            "istio" => Some(Scope::istio()),
            _ => None,
        }
    }

    /// Reads a scope file (YAML or JSON).
    pub fn parse(text: &str, file: &str) -> Result<Scope, ScopeError> {
        let objects = input::parse(text, file)?;
        let Some(object) = objects.into_iter().next() else {
            return Err(ScopeError::Invalid {
                file: file.to_string(),
                message: "empty file".into(),
            });
        };
        Scope::from_json(&object.value).map_err(|e| ScopeError::Invalid {
            file: file.to_string(),
            message: e.to_string(),
        })
    }

    /// The platform's name for messages.
    pub fn title(&self) -> &str {
        self.title.as_deref().unwrap_or(&self.name)
    }

    /// Findings for the fields `spec` sets (`spec` is a Telemetry spec object).
    pub fn classify(&self, spec: &Json) -> Vec<Finding> {
        let mut findings = Vec::new();
        let mut segments = Vec::new();
        self.walk(spec, "spec", &mut segments, &mut findings);
        findings
    }

    fn walk<'v>(
        &self,
        value: &'v Json,
        path: &str,
        segments: &mut Vec<&'v str>,
        findings: &mut Vec<Finding>,
    ) {
        match value {
            Json::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    self.walk(item, &index_path(path, i), segments, findings);
                }
            }
            Json::Object(map) => {
                for (key, child) in map {
                    let child_path = key_path(path, key);
                    segments.push(key);
                    self.field(child, &child_path, segments, findings);
                    segments.pop();
                }
            }
            _ => {}
        }
    }

    /// Classifies one field (at `segments`) or descends when only its children have rules.
    fn field<'v>(
        &self,
        value: &'v Json,
        path: &str,
        segments: &mut Vec<&'v str>,
        findings: &mut Vec<Finding>,
    ) {
        if let Some(rule) = self
            .fields
            .iter()
            .find(|r| pattern_matches(&r.path, segments))
        {
            self.report(rule, value, path, segments, findings);
            return;
        }
        let below = self.fields.iter().any(|r| pattern_below(&r.path, segments));
        if below && (value.is_object() || value.is_array()) {
            self.walk(value, path, segments, findings);
            return;
        }
        let field = segments.join(".");
        let rule = FieldRule {
            path: field,
            class: self.default,
            note: None,
            values: Vec::new(),
            other_values: None,
        };
        self.report(&rule, value, path, segments, findings);
    }

    fn report(
        &self,
        rule: &FieldRule,
        value: &Json,
        path: &str,
        segments: &[&str],
        findings: &mut Vec<Finding>,
    ) {
        let field = segments.join(".");
        if rule.values.is_empty() && rule.other_values.is_none() {
            if let Some(f) = self.finding(rule.class, &field, path, rule.note.as_deref()) {
                findings.push(f);
            }
            return;
        }
        let mut leaves = Vec::new();
        string_leaves(value, path, &mut leaves);
        for (leaf_path, text) in leaves {
            let named = rule
                .values
                .iter()
                .find(|v| v.value.eq_ignore_ascii_case(text));
            let (class, note) = match named {
                Some(v) => (
                    v.class.unwrap_or(rule.class),
                    v.note.clone().or(rule.note.clone()),
                ),
                None => (
                    rule.class,
                    rule.other_values
                        .as_ref()
                        .map(|n| n.replace("{value}", text))
                        .or(rule.note.clone()),
                ),
            };
            if let Some(f) = self.finding(class, &field, &leaf_path, note.as_deref()) {
                findings.push(f);
            }
        }
    }

    fn finding(
        &self,
        class: Class,
        field: &str,
        path: &str,
        note: Option<&str>,
    ) -> Option<Finding> {
        let title = self.title();
        match class {
            Class::Supported => None,
            Class::Allowed => {
                let mut message = format!("`{field}` is allowed on {title} but not supported");
                if let Some(note) = note {
                    message.push_str(": ");
                    message.push_str(note);
                }
                Some(Finding::warning(
                    format!("{}.allowed", self.name),
                    path,
                    message,
                ))
            }
            Class::Blocked => {
                let by = self.blocked_by.as_deref().unwrap_or("the platform");
                let mut message = format!("`{field}` is blocked on {title}: {by} rejects it");
                if let Some(note) = note {
                    message.push_str("; ");
                    message.push_str(note);
                }
                let hint = self
                    .hints
                    .iter()
                    .find(|(k, _)| field == k.as_str() || field.starts_with(&format!("{k}.")))
                    .map(|(_, h)| h.clone())
                    .unwrap_or_else(|| format!("remove `{path}`"));
                Some(
                    Finding::error(format!("{}.blocked", self.name), path, message).with_hint(hint),
                )
            }
        }
    }

    /// A finding when `api_version` needs a newer revision than `revision`.
    pub fn check_revision(&self, api_version: &str, revision: &str) -> Option<Finding> {
        let rule = self
            .api_versions
            .iter()
            .find(|r| r.api_version == api_version)?;
        let have = Revision::parse(revision)?;
        let need = Revision::parse(&rule.min_revision)?;
        if have >= need {
            return None;
        }
        let mut message = format!(
            "`{api_version}` needs revision `{}` or later on {}, but the revision is `{revision}`",
            rule.min_revision,
            self.title()
        );
        if let Some(note) = &rule.note {
            message.push_str(": ");
            message.push_str(note);
        }
        Some(
            Finding::error(format!("{}.revision", self.name), "apiVersion", message).with_hint(
                format!(
                    "upgrade the add-on to `{}` or later before applying `{api_version}` Telemetry",
                    rule.min_revision
                ),
            ),
        )
    }
}

/// The strings under `value` with their paths (for an array of `{name}` objects: the names).
fn string_leaves<'v>(value: &'v Json, path: &str, out: &mut Vec<(String, &'v str)>) {
    match value {
        Json::String(s) => out.push((path.to_string(), s)),
        Json::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                string_leaves(item, &index_path(path, i), out);
            }
        }
        Json::Object(map) => {
            for (k, v) in map {
                string_leaves(v, &key_path(path, k), out);
            }
        }
        _ => {}
    }
}

/// True when `pattern` (dot-separated, `*` for one segment) names exactly `segments`.
fn pattern_matches(pattern: &str, segments: &[&str]) -> bool {
    prefix_parts(pattern, segments) == Some(segments.len())
}

/// True when `pattern` names something strictly below `segments`.
fn pattern_below(pattern: &str, segments: &[&str]) -> bool {
    prefix_parts(pattern, segments).is_some_and(|parts| parts > segments.len())
}

/// The number of parts of `pattern` when its first parts match all of `segments`, else `None`.
/// Counted without collecting: this runs for every rule at every field of every resource.
fn prefix_parts(pattern: &str, segments: &[&str]) -> Option<usize> {
    let mut parts = pattern.split('.');
    for segment in segments {
        let part = parts.next()?;
        if part != "*" && part != *segment {
            return None;
        }
    }
    Some(segments.len() + parts.count())
}

crate::json_enum!(Class { "supported" => Supported, "allowed" => Allowed, "blocked" => Blocked });
crate::json_struct!(decode ValueRule { "value" => value [required], "class" => class, "note" => note });
crate::json_struct!(encode ValueRule { "value" => value, "class" => class, "note" => note });
crate::json_struct!(decode FieldRule {
    "path" => path [required], "class" => class [required], "note" => note, "values" => values,
    "otherValues" => other_values,
});
crate::json_struct!(encode FieldRule {
    "path" => path, "class" => class, "note" => note, "values" => values,
    "otherValues" => other_values,
});
crate::json_struct!(decode ApiVersionRule {
    "apiVersion" => api_version [required], "minRevision" => min_revision [required],
    "note" => note,
});
crate::json_struct!(encode ApiVersionRule {
    "apiVersion" => api_version, "minRevision" => min_revision, "note" => note,
});

fn required<T: FromJson>(map: &Map, key: &str) -> Result<T, DecodeError> {
    field(map, key)?.ok_or_else(|| DecodeError::missing(key))
}

// By hand: `Scope::default()` is the istio scope, not an empty starting point.
impl FromJson for Scope {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        let map = crate::json::decode_fields(value, "Scope")?;
        Ok(Scope {
            name: required(map, "name")?,
            title: field(map, "title")?.flatten(),
            default: required(map, "default")?,
            blocked_by: field(map, "blockedBy")?.flatten(),
            root_namespace: field(map, "rootNamespace")?.flatten(),
            api_versions: field(map, "apiVersions")?.unwrap_or_default(),
            fields: field(map, "fields")?.unwrap_or_default(),
            hints: field(map, "hints")?.unwrap_or_default(),
        })
    }
}

impl ToJson for Scope {
    fn to_json(&self) -> Json {
        let mut map = Map::new();
        put(&mut map, "name", &self.name, false);
        put(&mut map, "title", &self.title, false);
        put(&mut map, "default", &self.default, false);
        put(&mut map, "blockedBy", &self.blocked_by, false);
        put(&mut map, "rootNamespace", &self.root_namespace, false);
        put(&mut map, "apiVersions", &self.api_versions, false);
        put(&mut map, "fields", &self.fields, false);
        put(&mut map, "hints", &self.hints, false);
        Json::Object(map)
    }
}

#[cfg(test)]
mod tests {
    use super::Scope;

    /// The code that build.rs writes must build the scope the annotated YAML describes.
    #[test]
    fn built_in_scopes_equal_their_yaml() {
        let aks = Scope::parse(include_str!("aks.yaml"), "aks.yaml").unwrap();
        let istio = Scope::parse(include_str!("istio.yaml"), "istio.yaml").unwrap();
        assert_eq!(Scope::aks(), aks);
        assert_eq!(Scope::istio(), istio);
        assert!(!aks.fields.is_empty());
    }
}
