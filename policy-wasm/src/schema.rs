//! Schema walk: unknown or misspelled fields, wrong types and enum values, with their paths.
//!
//! The schema is the Telemetry CRD's structural schema (both served versions share it), written
//! out as static data. The walk reports problems and returns a cleaned copy of the spec with the
//! offending values removed, so the typed model can always be built from what remains.
//! Checks that Istio's own validation also makes (empty provider names, …) are left to
//! `crate::validate`, so one mistake gives one finding.

use crate::finding::Finding;
use crate::input::{index_path, key_path};
use crate::json::{Json, Map};
use alloc::format;
use alloc::string::ToString;
use alloc::vec::Vec;

/// A schema node.
enum Ty {
    /// An object with known fields; `one_of` lists fields of which at most one may be set.
    Object {
        fields: &'static [(&'static str, &'static Ty)],
        one_of: &'static [&'static str],
    },
    /// A list (with an optional maximum length).
    Array(&'static Ty, Option<usize>),
    /// A map from free-form keys to values (with an optional maximum size).
    Map(&'static Ty, Option<usize>),
    /// A string with optional enum values, length bounds and pattern.
    Str(StrRule),
    /// A boolean (`BoolValue`, nullable).
    Bool,
    /// A number (`DoubleValue`, nullable).
    Number,
}

/// Constraints on a string.
struct StrRule {
    values: &'static [&'static str],
    min: usize,
    max: Option<usize>,
    pattern: Option<Pattern>,
}

/// A string test and what it expects, for the message.
type Pattern = (fn(&str) -> bool, &'static str);

const fn s() -> StrRule {
    StrRule {
        values: &[],
        min: 0,
        max: None,
        pattern: None,
    }
}

const STRING: Ty = Ty::Str(s());
const MODES: &[&str] = &["CLIENT_AND_SERVER", "CLIENT", "SERVER"];
const METRICS: &[&str] = &[
    "ALL_METRICS",
    "REQUEST_COUNT",
    "REQUEST_DURATION",
    "REQUEST_SIZE",
    "RESPONSE_SIZE",
    "TCP_OPENED_CONNECTIONS",
    "TCP_CLOSED_CONNECTIONS",
    "TCP_SENT_BYTES",
    "TCP_RECEIVED_BYTES",
    "GRPC_REQUEST_MESSAGES",
    "GRPC_RESPONSE_MESSAGES",
];
const MODE: Ty = Ty::Str(StrRule {
    values: MODES,
    ..s()
});
const MODE_SELECTOR: Ty = Ty::Object {
    fields: &[("mode", &MODE)],
    one_of: &[],
};
const PROVIDER: Ty = Ty::Object {
    fields: &[("name", &STRING)],
    one_of: &[],
};
const PROVIDERS: Ty = Ty::Array(&PROVIDER, None);

const FILTER: Ty = Ty::Object {
    fields: &[("expression", &STRING)],
    one_of: &[],
};
const ACCESS_LOGGING: Ty = Ty::Object {
    fields: &[
        ("match", &MODE_SELECTOR),
        ("providers", &PROVIDERS),
        ("disabled", &Ty::Bool),
        ("filter", &FILTER),
    ],
    one_of: &[],
};

const METRIC_SELECTOR: Ty = Ty::Object {
    fields: &[
        (
            "metric",
            &Ty::Str(StrRule {
                values: METRICS,
                ..s()
            }),
        ),
        ("customMetric", &STRING),
        ("mode", &MODE),
    ],
    one_of: &["metric", "customMetric"],
};
const TAG_OVERRIDE: Ty = Ty::Object {
    fields: &[
        (
            "operation",
            &Ty::Str(StrRule {
                values: &["UPSERT", "REMOVE"],
                ..s()
            }),
        ),
        ("value", &STRING),
    ],
    one_of: &[],
};
const OVERRIDE: Ty = Ty::Object {
    fields: &[
        ("match", &METRIC_SELECTOR),
        ("disabled", &Ty::Bool),
        ("tagOverrides", &Ty::Map(&TAG_OVERRIDE, None)),
    ],
    one_of: &[],
};
const METRICS_ENTRY: Ty = Ty::Object {
    fields: &[
        ("providers", &PROVIDERS),
        ("overrides", &Ty::Array(&OVERRIDE, None)),
        ("reportingInterval", &STRING),
    ],
    one_of: &[],
};

const NAMED: Ty = Ty::Object {
    fields: &[("name", &STRING), ("defaultValue", &STRING)],
    one_of: &[],
};
const LITERAL: Ty = Ty::Object {
    fields: &[("value", &STRING)],
    one_of: &[],
};
const FORMATTER: Ty = Ty::Object {
    fields: &[("value", &Ty::Str(StrRule { min: 1, ..s() }))],
    one_of: &[],
};
const CUSTOM_TAG: Ty = Ty::Object {
    fields: &[
        ("literal", &LITERAL),
        ("environment", &NAMED),
        ("header", &NAMED),
        ("formatter", &FORMATTER),
    ],
    one_of: &["literal", "environment", "header", "formatter"],
};
const TRACING: Ty = Ty::Object {
    fields: &[
        ("match", &MODE_SELECTOR),
        ("providers", &PROVIDERS),
        ("randomSamplingPercentage", &Ty::Number),
        ("disableSpanReporting", &Ty::Bool),
        ("customTags", &Ty::Map(&CUSTOM_TAG, None)),
        ("useRequestIdForTraceSampling", &Ty::Bool),
        ("enableIstioTags", &Ty::Bool),
        ("disableContextPropagation", &Ty::Bool),
    ],
    one_of: &[],
};

const LABEL_VALUE: Ty = Ty::Str(StrRule {
    max: Some(63),
    ..s()
});
const SELECTOR: Ty = Ty::Object {
    fields: &[("matchLabels", &Ty::Map(&LABEL_VALUE, Some(4096)))],
    one_of: &[],
};
const TARGET_REF: Ty = Ty::Object {
    fields: &[
        (
            "group",
            &Ty::Str(StrRule {
                max: Some(253),
                pattern: Some((is_dns_subdomain_or_empty, "a DNS subdomain")),
                ..s()
            }),
        ),
        (
            "kind",
            &Ty::Str(StrRule {
                max: Some(63),
                pattern: Some((is_kind, "a kind such as `Gateway`")),
                ..s()
            }),
        ),
        (
            "name",
            &Ty::Str(StrRule {
                max: Some(253),
                ..s()
            }),
        ),
        ("namespace", &STRING),
    ],
    one_of: &[],
};

/// The Telemetry `spec`.
const SPEC: Ty = Ty::Object {
    fields: &[
        ("selector", &SELECTOR),
        ("targetRef", &TARGET_REF),
        ("targetRefs", &Ty::Array(&TARGET_REF, Some(16))),
        ("tracing", &Ty::Array(&TRACING, None)),
        ("metrics", &Ty::Array(&METRICS_ENTRY, None)),
        ("accessLogging", &Ty::Array(&ACCESS_LOGGING, None)),
    ],
    one_of: &[],
};

/// Top-level keys of a Kubernetes object.
const TOP_LEVEL: &[&str] = &["apiVersion", "kind", "metadata", "spec", "status"];

fn is_kind(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b[0].is_ascii_alphabetic()
        && b.iter().all(|c| c.is_ascii_alphanumeric() || *c == b'-')
        && b[b.len() - 1] != b'-'
}

fn is_dns_subdomain_or_empty(s: &str) -> bool {
    s.is_empty()
        || s.split('.').all(|label| {
            let b = label.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_lowercase() | b[0].is_ascii_digit()
                && b[b.len() - 1] != b'-'
                && b.iter()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        })
}

/// Checks the top-level keys and `spec` of a Telemetry object; returns the findings and the
/// cleaned `spec` (an empty object when `spec` is missing or not an object).
pub fn check(object: &Json) -> (Vec<Finding>, Json) {
    let mut findings = Vec::new();
    if let Some(map) = object.as_object() {
        for key in map.keys() {
            if !TOP_LEVEL.contains(&key.as_str()) {
                findings.push(unknown_field(key, "", TOP_LEVEL));
            }
        }
    }
    let spec = match object.get("spec") {
        None | Some(Json::Null) => Json::Object(Map::new()),
        Some(spec) => {
            walk(spec, &SPEC, "spec", &mut findings).unwrap_or_else(|| Json::Object(Map::new()))
        }
    };
    (findings, spec)
}

/// Walks `value` against `ty`; `None` means the value is dropped from the cleaned copy.
fn walk(value: &Json, ty: &Ty, path: &str, findings: &mut Vec<Finding>) -> Option<Json> {
    // `null` reads as "unset" for every field (proto JSON semantics); list items and map values
    // that are null are kept for Istio's own null checks in `crate::validate`, then dropped here.
    if value.is_null() {
        return None;
    }
    match ty {
        Ty::Object { fields, one_of } => {
            let Some(map) = value.as_object() else {
                findings.push(type_error(path, "an object", value));
                return None;
            };
            let names: Vec<&str> = fields.iter().map(|(n, _)| *n).collect();
            let mut out = Map::new();
            for (key, child) in map {
                let child_path = key_path(path, key);
                match fields.iter().find(|(n, _)| n == key) {
                    Some((_, child_ty)) => {
                        if let Some(v) = walk(child, child_ty, &child_path, findings) {
                            out.insert(key.clone(), v);
                        }
                    }
                    None => findings.push(unknown_field(key, path, &names)),
                }
            }
            let set: Vec<&str> = one_of
                .iter()
                .copied()
                .filter(|k| out.contains_key(k))
                .collect();
            if set.len() > 1 {
                findings.push(
                    Finding::error(
                        "schema.one-of",
                        path,
                        format!(
                            "only one of {} may be set, but {} are",
                            one_of.join(", "),
                            set.join(" and ")
                        ),
                    )
                    .with_hint(format!("keep `{}` and remove the others", set[0])),
                );
                for extra in &set[1..] {
                    out.remove(extra);
                }
            }
            Some(Json::Object(out))
        }
        Ty::Array(item, max) => {
            let Some(items) = value.as_array() else {
                findings.push(type_error(path, "a list", value));
                return None;
            };
            if let Some(max) = max.filter(|m| items.len() > *m) {
                findings.push(Finding::error(
                    "schema.max-items",
                    path,
                    format!("at most {max} items are allowed, found {}", items.len()),
                ));
            }
            let out = items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| walk(v, item, &index_path(path, i), findings))
                .collect();
            Some(Json::Array(out))
        }
        Ty::Map(item, max) => {
            let Some(map) = value.as_object() else {
                findings.push(type_error(path, "a map", value));
                return None;
            };
            if let Some(max) = max.filter(|m| map.len() > *m) {
                findings.push(Finding::error(
                    "schema.max-properties",
                    path,
                    format!("at most {max} entries are allowed, found {}", map.len()),
                ));
            }
            let mut out = Map::new();
            for (key, child) in map {
                if let Some(v) = walk(child, item, &key_path(path, key), findings) {
                    out.insert(key.clone(), v);
                }
            }
            Some(Json::Object(out))
        }
        Ty::Str(rule) => {
            let Some(text) = value.as_str() else {
                findings.push(type_error(path, "a string", value));
                return None;
            };
            string_rules(text, rule, path, findings).then(|| value.clone())
        }
        Ty::Bool => {
            if value.is_boolean() {
                Some(value.clone())
            } else {
                findings.push(type_error(path, "a boolean (true or false)", value));
                None
            }
        }
        Ty::Number => {
            if value.is_number() {
                Some(value.clone())
            } else {
                findings.push(type_error(path, "a number", value));
                None
            }
        }
    }
}

/// Checks a string; false when it must be dropped (a bad enum value).
fn string_rules(text: &str, rule: &StrRule, path: &str, findings: &mut Vec<Finding>) -> bool {
    if !rule.values.is_empty() && !rule.values.contains(&text) {
        let mut f = Finding::error(
            "schema.enum",
            path,
            format!("`{text}` is not one of {}", rule.values.join(", ")),
        );
        if let Some(best) = did_you_mean(text, rule.values.iter().copied()) {
            f = f.with_hint(format!("did you mean `{best}`?"));
        }
        findings.push(f);
        return false;
    }
    let chars = text.chars().count();
    if chars < rule.min {
        findings.push(Finding::error(
            "schema.min-length",
            path,
            format!("must be at least {} character(s) long", rule.min),
        ));
    }
    if let Some(max) = rule.max.filter(|m| chars > *m) {
        findings.push(Finding::error(
            "schema.max-length",
            path,
            format!("must be at most {max} characters long, found {chars}"),
        ));
    }
    if let Some((ok, what)) = rule.pattern
        && !ok(text)
    {
        findings.push(Finding::error(
            "schema.pattern",
            path,
            format!("`{text}` is not {what}"),
        ));
    }
    true
}

fn type_error(path: &str, expected: &str, value: &Json) -> Finding {
    let found = match value {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "a list",
        Json::Object(_) => "an object",
    };
    let mut f = Finding::error(
        "schema.type",
        path,
        format!("must be {expected}, found {found}"),
    );
    if expected.starts_with("a boolean") && value.is_string() {
        f = f.with_hint("write true or false without quotes");
    } else if expected == "a string" && !value.is_object() && !value.is_array() {
        f = f.with_hint("quote the value");
    }
    f
}

fn unknown_field(key: &str, parent: &str, known: &[&str]) -> Finding {
    let path = key_path(parent, key);
    let where_ = if parent.is_empty() {
        "the object".to_string()
    } else {
        format!("`{parent}`")
    };
    let mut f = Finding::error(
        "schema.unknown-field",
        path,
        format!(
            "unknown field `{key}` in {where_} (known: {})",
            known.join(", ")
        ),
    );
    f = match did_you_mean(key, known.iter().copied()) {
        Some(best) => f.with_hint(format!("did you mean `{best}`?")),
        None => {
            f.with_hint("remove it; the API server would reject it (kubectl --validate=strict)")
        }
    };
    f
}

/// The candidate closest to `word` when it is close enough to be a likely typo.
pub fn did_you_mean<'a>(word: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    // Bounded so that a huge unknown key cannot make this quadratic in the input size.
    if word.len() > 64 {
        return None;
    }
    let lower = word.to_ascii_lowercase();
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let distance = if candidate.eq_ignore_ascii_case(word) {
            0
        } else {
            levenshtein(&lower, &candidate.to_ascii_lowercase())
        };
        if best.is_none_or(|(d, _)| distance < d) {
            best = Some((distance, candidate));
        }
    }
    let limit = (word.chars().count() / 3).max(2);
    best.filter(|(d, _)| *d <= limit).map(|(_, c)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            let next = (row[j + 1] + 1).min(row[j] + 1).min(prev + cost);
            prev = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}
