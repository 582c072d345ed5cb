//! Selector / targetRef / targetRefs rules (`validateOneOfSelectorType`, `validateWorkloadSelector`,
//! `validatePolicyTargetReference`) and the CRD's matching CEL rules.

use super::entries;
use crate::finding::Finding;
use crate::input::key_path;
use crate::json::Json;
use alloc::format;
use alloc::vec::Vec;

/// The group/kind pairs Istio accepts (empty group means core).
const ALLOWED: [(&str, &str); 4] = [
    ("core", "Service"),
    ("networking.istio.io", "ServiceEntry"),
    ("gateway.networking.k8s.io", "Gateway"),
    ("gateway.networking.k8s.io", "GatewayClass"),
];

pub(super) fn check(spec: &Json, findings: &mut Vec<Finding>) {
    exclusive(spec, findings);
    if let Some(selector) = spec.get("selector").filter(|s| !s.is_null()) {
        selector_rules(selector, findings);
    }
    if let Some(target) = spec.get("targetRef").filter(|t| t.is_object()) {
        target_ref(target, "spec.targetRef", findings);
    }
    for (path, target) in entries(spec, "targetRefs", "spec") {
        if target.is_object() {
            target_ref(target, &path, findings);
        }
    }
}

/// Only one of selector / targetRef / targetRefs.
fn exclusive(spec: &Json, findings: &mut Vec<Finding>) {
    let present = |k: &str| spec.get(k).is_some_and(|v| !v.is_null());
    let refs_len = spec
        .get("targetRefs")
        .and_then(Json::as_array)
        .map_or(0, Vec::len);
    // Istio counts a non-empty targetRefs; the CRD rule (checked first by the API server) counts
    // a present one, so `targetRefs: []` next to a selector fails only the CRD rule.
    let go = [present("selector"), present("targetRef"), refs_len > 0]
        .iter()
        .filter(|b| **b)
        .count();
    let crd = [
        present("selector"),
        present("targetRef"),
        present("targetRefs"),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    let hint = "keep `selector` for sidecars, or `targetRefs` for gateways and waypoints, not both";
    if go > 1 {
        findings.push(
            Finding::error(
                "istio.target.exclusive",
                "spec",
                "only one of targetRefs or workloadSelector can be set",
            )
            .with_hint(hint),
        );
    } else if crd > 1 {
        findings.push(
            Finding::error(
                "crd.target.exclusive",
                "spec",
                "only one of targetRefs or selector can be set",
            )
            .with_hint(hint),
        );
    }
}

fn selector_rules(selector: &Json, findings: &mut Vec<Finding>) {
    let labels = selector.get("matchLabels").and_then(Json::as_object);
    let path = "spec.selector.matchLabels";
    if let Some(labels) = labels {
        for (key, value) in labels {
            let value = value.as_str().unwrap_or("");
            let at = key_path(path, key);
            if key.is_empty() {
                findings.push(
                    Finding::error(
                        "istio.selector.empty-key",
                        at.clone(),
                        format!(
                            "empty key is not supported in selector: {:?}",
                            format!("{key}={value}")
                        ),
                    )
                    .with_hint("give the label a key"),
                );
            }
            if key.contains('*') || value.contains('*') {
                findings.push(
                    Finding::error(
                        "istio.selector.wildcard",
                        at,
                        format!("wildcard is not supported in selector: {:?}", format!("{key}={value}")),
                    )
                    .with_hint("selectors match exact label values; list the label exactly or drop the selector"),
                );
            }
        }
    }
    if labels.is_none_or(|l| l.is_empty()) {
        findings.push(
            Finding::warning(
                "istio.selector.no-labels",
                "spec.selector",
                "workload selector specified without labels",
            )
            .with_hint("remove `selector` to apply to the whole namespace, or add `matchLabels`"),
        );
    }
}

fn target_ref(target: &Json, path: &str, findings: &mut Vec<Finding>) {
    let field = |k: &str| target.get(k).and_then(Json::as_str).unwrap_or("");
    if field("name").is_empty() {
        findings.push(Finding::error(
            "istio.target-ref.name",
            key_path(path, "name"),
            "targetRef name must be set",
        ));
    }
    if !field("namespace").is_empty() {
        findings.push(
            Finding::error(
                "istio.target-ref.namespace",
                key_path(path, "namespace"),
                "targetRef namespace must not be set; cross namespace referencing is not supported",
            )
            .with_hint("put the Telemetry in the target's namespace and drop `namespace`"),
        );
    }
    let group = if field("group").is_empty() {
        "core"
    } else {
        field("group")
    };
    let kind = field("kind");
    if !ALLOWED.iter().any(|(g, k)| *g == group && *k == kind) {
        findings.push(
            Finding::error(
                "istio.target-ref.kind",
                path,
                format!(
                    "targetRef must be to one of [core/Service networking.istio.io/ServiceEntry \
                     gateway.networking.k8s.io/Gateway gateway.networking.k8s.io/GatewayClass] but was {}/{}",
                    field("group"),
                    kind
                ),
            )
            .with_hint("use group `gateway.networking.k8s.io` with kind `Gateway` or `GatewayClass`, core `Service`, or `networking.istio.io` `ServiceEntry`"),
        );
    }
}
