//! `validateTelemetryMetrics` plus the CRD rules on tag overrides and `reportingInterval`.

use super::{cel_rules, check_provider_names, entries, parse_duration_nanos};
use crate::finding::Finding;
use crate::input::key_path;
use crate::json::Json;
use alloc::format;
use alloc::vec::Vec;

pub(super) fn check(spec: &Json, findings: &mut Vec<Finding>) {
    for (path, entry) in entries(spec, "metrics", "spec") {
        if !entry.is_object() {
            continue;
        }
        check_provider_names(entry, &path, findings);
        for (opath, o) in entries(entry, "overrides", &path) {
            if o.is_null() {
                findings.push(
                    Finding::error(
                        "istio.metrics.override-null",
                        opath,
                        "tagOverrides may not be null",
                    )
                    .with_hint("remove the empty list item"),
                );
                continue;
            }
            tag_overrides(o, &opath, findings);
            if let Some(m) = o.get("match").and_then(|m| m.get("customMetric"))
                && m.as_str() == Some("")
            {
                findings.push(
                    Finding::error(
                        "istio.metrics.custom-metric-empty",
                        key_path(&key_path(&opath, "match"), "customMetric"),
                        "customMetric may not be empty",
                    )
                    .with_hint("name the custom metric, or use `metric` for a standard one"),
                );
            }
        }
        if let Some(interval) = entry.get("reportingInterval").and_then(Json::as_str) {
            reporting_interval(interval, &key_path(&path, "reportingInterval"), findings);
        }
    }
}

fn tag_overrides(o: &Json, opath: &str, findings: &mut Vec<Finding>) {
    let Some(tags) = o.get("tagOverrides").and_then(Json::as_object) else {
        return;
    };
    let tpath = key_path(opath, "tagOverrides");
    for (name, to) in tags {
        let at = key_path(&tpath, name);
        if name.is_empty() {
            findings.push(
                Finding::warning(
                    "istio.tag-override.empty-name",
                    at.clone(),
                    "tagOverrides.name may not be empty",
                )
                .with_hint("give the tag a name"),
            );
        }
        if to.is_null() {
            findings.push(Finding::error(
                "istio.tag-override.null",
                at,
                "tagOverrides may not be null",
            ));
            continue;
        }
        let operation = to.get("operation").and_then(Json::as_str);
        let value = to.get("value");
        let value_text = value.and_then(Json::as_str).unwrap_or("");
        match operation {
            None | Some("UPSERT") => {
                if value_text.is_empty() {
                    findings.push(
                        Finding::error(
                            "istio.tag-override.upsert-value",
                            key_path(&at, "value"),
                            "tagOverrides.value must be set when operation is UPSERT",
                        )
                        .with_hint("set `value` to a CEL expression such as `request.host`, or use `operation: REMOVE`"),
                    );
                } else {
                    let vpath = key_path(&at, "value");
                    findings.extend(cel_rules::check_tag_value(value_text, &vpath));
                }
            }
            Some("REMOVE") => {
                if !value_text.is_empty() {
                    findings.push(
                        Finding::error(
                            "istio.tag-override.remove-value",
                            key_path(&at, "value"),
                            "tagOverrides.value may only be set when operation is UPSERT",
                        )
                        .with_hint("drop `value` (REMOVE removes the tag)"),
                    );
                } else if value.is_some() {
                    // Istio accepts an empty value; the CRD rule `!has(self.value)` does not.
                    findings.push(
                        Finding::error(
                            "crd.tag-override.remove-value",
                            key_path(&at, "value"),
                            "value must not be set when operation is REMOVE",
                        )
                        .with_hint("drop `value`"),
                    );
                }
            }
            // Unknown operations are reported by the schema walk.
            Some(_) => {}
        }
    }
}

fn reporting_interval(text: &str, path: &str, findings: &mut Vec<Finding>) {
    let message = "must be a valid duration greater than 1ms";
    match parse_duration_nanos(text) {
        Some(nanos) if nanos >= 1_000_000 => {}
        Some(_) => findings.push(
            Finding::error("crd.reporting-interval", path, message)
                .with_hint(format!("`{text}` is below 1ms; the default is `5s`")),
        ),
        None => findings.push(
            Finding::error("crd.reporting-interval", path, message)
                .with_hint("write a duration such as `10s`, `1m` or `500ms`"),
        ),
    }
}
