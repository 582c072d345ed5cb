//! Cross-resource analysis over a set of Telemetry resources (istioctl analyze checks, AKS traps).
//!
//! Ported from istio/istio `pkg/config/analysis/analyzers/telemetry/` (IST0159, IST0160, IST0101);
//! the provider checks (IST0157, IST0002, unknown providers) live in `crate::validate` because
//! they need one resource only.

use crate::check::Options;
use crate::finding::Finding;
use crate::model::Telemetry;
use crate::sorted_map::SortedMap;
use alloc::collections::BTreeMap;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Findings as (index into `telemetries`, finding).
pub fn analyze(telemetries: &[&Telemetry], options: &Options) -> Vec<(usize, Finding)> {
    let mut out = Vec::new();
    multiple_without_selector(telemetries, &mut out);
    if options.workloads.is_empty() {
        overlapping_selectors(telemetries, &mut out);
    } else {
        selectors_against_workloads(telemetries, options, &mut out);
    }
    root_namespace_trap(telemetries, options, &mut out);
    out
}

fn names(telemetries: &[&Telemetry], indexes: &[usize]) -> String {
    let mut names: Vec<&str> = indexes
        .iter()
        .map(|i| telemetries[*i].metadata.name.as_str())
        .collect();
    names.sort_unstable();
    names.join(" ")
}

/// IST0160: more than one Telemetry without `selector` in a namespace (istioctl counts an absent
/// selector only; istiod then uses the oldest one).
fn multiple_without_selector(telemetries: &[&Telemetry], out: &mut Vec<(usize, Finding)>) {
    let mut by_namespace: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, t) in telemetries.iter().enumerate() {
        if t.spec.selector.is_none() && t.spec.target_ref.is_none() && t.spec.target_refs.is_none()
        {
            by_namespace
                .entry(t.metadata.namespace.as_str())
                .or_default()
                .push(i);
        }
    }
    for (namespace, indexes) in by_namespace.into_iter().filter(|(_, v)| v.len() > 1) {
        let list = names(telemetries, &indexes);
        for i in &indexes {
            out.push((
                *i,
                Finding::error(
                    "istio.analyze.multiple-without-selector",
                    "metadata.name",
                    format!(
                        "IST0160: The Telemetries [{list}] in namespace {namespace:?} have no workload selector; \
                         istiod uses only the oldest one"
                    ),
                )
                .with_hint("merge them into one namespace-wide Telemetry"),
            ));
        }
    }
}

fn selector(t: &Telemetry) -> Option<&SortedMap<String>> {
    t.spec
        .selector
        .as_ref()
        .map(|s| &s.match_labels)
        .filter(|l| !l.is_empty())
}

/// IST0159 and IST0101 with a known set of workloads.
fn selectors_against_workloads(
    telemetries: &[&Telemetry],
    options: &Options,
    out: &mut Vec<(usize, Finding)>,
) {
    let mut per_workload: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (i, t) in telemetries.iter().enumerate() {
        let Some(labels) = selector(t) else { continue };
        let mut found = false;
        for (w, workload) in options.workloads.iter().enumerate() {
            if workload.namespace == t.metadata.namespace && workload.matches(labels) {
                found = true;
                per_workload.entry(w).or_default().push(i);
            }
        }
        if !found {
            let text: Vec<String> = labels.iter().map(|(k, v)| format!("{k}={v}")).collect();
            out.push((
                i,
                Finding::error(
                    "istio.analyze.selector-no-match",
                    "spec.selector",
                    format!(
                        "IST0101: Referenced selector not found: \"{}\" (no workload in namespace {:?} carries these labels)",
                        text.join(","),
                        t.metadata.namespace
                    ),
                )
                .with_hint("check the label keys and values against the pods' labels"),
            ));
        }
    }
    for (w, indexes) in per_workload.into_iter().filter(|(_, v)| v.len() > 1) {
        let workload = &options.workloads[w];
        let list = names(telemetries, &indexes);
        let name = if workload.name.is_empty() {
            "a workload".to_string()
        } else {
            format!("{:?}", workload.name)
        };
        for i in &indexes {
            out.push((
                *i,
                Finding::error(
                    "istio.analyze.conflicting-selectors",
                    "spec.selector",
                    format!(
                        "IST0159: The Telemetries [{list}] in namespace {:?} select the same workload {name}, \
                         which leads to undefined behavior",
                        workload.namespace
                    ),
                )
                .with_hint("make the selectors disjoint, or merge the resources"),
            ));
        }
    }
}

/// Without workloads: two selectors where one is a subset of the other select the same pods
/// whenever the larger one matches anything.
fn overlapping_selectors(telemetries: &[&Telemetry], out: &mut Vec<(usize, Finding)>) {
    for (i, a) in telemetries.iter().enumerate() {
        let Some(la) = selector(a) else { continue };
        for (j, b) in telemetries.iter().enumerate().skip(i + 1) {
            let Some(lb) = selector(b) else { continue };
            if a.metadata.namespace != b.metadata.namespace {
                continue;
            }
            let subset = |x: &SortedMap<String>, y: &SortedMap<String>| {
                x.iter().all(|(k, v)| y.get(k) == Some(v))
            };
            if subset(la, lb) || subset(lb, la) {
                let list = names(telemetries, &[i, j]);
                for k in [i, j] {
                    out.push((
                        k,
                        Finding::warning(
                            "istio.analyze.overlapping-selectors",
                            "spec.selector",
                            format!(
                                "The Telemetries [{list}] in namespace {:?} have selectors that match the same \
                                 pods (one is contained in the other); two Telemetries selecting one workload is \
                                 undefined behavior (IST0159 once pods exist)",
                                a.metadata.namespace
                            ),
                        )
                        .with_hint("make the selectors disjoint, or merge the resources"),
                    ));
                }
            }
        }
    }
}

/// A selector-less Telemetry in `istio-system` when the platform's root namespace is elsewhere
/// (AKS: `aks-istio-system`) configures only the workloads of `istio-system`, not the mesh.
fn root_namespace_trap(
    telemetries: &[&Telemetry],
    options: &Options,
    out: &mut Vec<(usize, Finding)>,
) {
    let root = options.root_namespace();
    if root == "istio-system" {
        return;
    }
    for (i, t) in telemetries.iter().enumerate() {
        let namespace_wide =
            selector(t).is_none() && t.spec.target_ref.is_none() && t.spec.target_refs.is_none();
        if t.metadata.namespace == "istio-system" && namespace_wide {
            out.push((
                i,
                Finding::warning(
                    format!("{}.root-namespace", options.scope.name),
                    "metadata.namespace",
                    format!(
                        "this Telemetry in `istio-system` has no mesh-wide effect on {}: the root namespace is \
                         `{root}`, so it applies only to workloads in `istio-system`",
                        options.scope.title()
                    ),
                )
                .with_hint(format!("apply it in `{root}` for mesh-wide configuration")),
            ));
        }
    }
}
