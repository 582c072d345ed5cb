//! `validateTelemetryTracing`.

use super::{check_provider_names, entries};
use crate::finding::Finding;
use crate::input::key_path;
use crate::json::Json;
use alloc::format;
use alloc::vec::Vec;

pub(super) fn check(spec: &Json, findings: &mut Vec<Finding>) {
    let tracing = entries(spec, "tracing", "spec");
    if tracing.len() > 1 {
        findings.push(
            Finding::warning("istio.tracing.multiple", "spec.tracing", "multiple tracing is not currently supported")
                .with_hint("Istio applies the entries in order, each present field overriding the last; prefer one entry"),
        );
    }
    for (path, entry) in tracing {
        if !entry.is_object() {
            continue;
        }
        if entry
            .get("providers")
            .and_then(Json::as_array)
            .is_some_and(|p| p.len() > 1)
        {
            findings.push(
                Finding::warning(
                    "istio.tracing.multiple-providers",
                    key_path(&path, "providers"),
                    "multiple providers is not currently supported",
                )
                .with_hint("Istio uses only the first provider; list one"),
            );
        }
        check_provider_names(entry, &path, findings);
        if let Some(p) = entry.get("randomSamplingPercentage").and_then(Json::as_f64)
            && !(0.0..=100.0).contains(&p)
        {
            findings.push(
                Finding::error(
                    "istio.tracing.sampling-range",
                    key_path(&path, "randomSamplingPercentage"),
                    "randomSamplingPercentage must be in range [0.0, 100.0]",
                )
                .with_hint(format!(
                    "{} is a percentage outside 0–100",
                    crate::num::display(p)
                )),
            );
        }
        custom_tags(entry, &path, findings);
    }
}

fn custom_tags(entry: &Json, path: &str, findings: &mut Vec<Finding>) {
    let Some(tags) = entry.get("customTags").and_then(Json::as_object) else {
        return;
    };
    let base = key_path(path, "customTags");
    for (name, tag) in tags {
        let at = key_path(&base, name);
        if name.is_empty() {
            findings.push(Finding::error(
                "istio.custom-tag.empty-name",
                at.clone(),
                "tag name may not be empty",
            ));
        }
        if tag.is_null() {
            findings.push(
                Finding::error(
                    "istio.custom-tag.nil",
                    at,
                    format!("tag '{name}' may not have a nil value"),
                )
                .with_hint("give the tag one of `literal`, `environment`, `header` or `formatter`"),
            );
            continue;
        }
        let empty = |kind: &str, field: &str| {
            tag.get(kind)
                .filter(|v| !v.is_null())
                .map(|v| v.get(field).and_then(Json::as_str).unwrap_or("").is_empty())
        };
        // Istio switches on the one type that is set; the schema walk reports more than one.
        if let Some(true) = empty("literal", "value") {
            findings.push(Finding::error(
                "istio.custom-tag.literal-empty",
                key_path(&key_path(&at, "literal"), "value"),
                "literal tag value may not be empty",
            ));
        } else if let Some(true) = empty("header", "name") {
            findings.push(Finding::error(
                "istio.custom-tag.header-empty",
                key_path(&key_path(&at, "header"), "name"),
                "header tag name may not be empty",
            ));
        } else if let Some(true) = empty("environment", "name") {
            findings.push(Finding::error(
                "istio.custom-tag.environment-empty",
                key_path(&key_path(&at, "environment"), "name"),
                "environment tag name may not be empty",
            ));
        }
    }
}
