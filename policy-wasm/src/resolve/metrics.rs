//! Metrics merge (istiod's `mergeMetrics`, istio/istio `pilot/pkg/model/telemetry.go`).
//!
//! Odd corners kept on purpose: the provider set comes from the last entry naming providers,
//! regardless of mode; an override matching all metrics with `disabled: true` turns the whole
//! stats filter off for that provider and mode, and *any* later override touching that provider
//! and mode turns it back on; `disabled` is replaced only when present, and tag overrides merge
//! key by key.

use crate::model::{
    IstioMetric, MeshConfig, MetricSelector, Metrics, TagOperation, TagOverride, WorkloadMode,
};
use crate::sorted_map::{SortedMap, SortedSet};
use crate::workload::Mode;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Metrics for one provider after the merge.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsPolicy {
    /// Provider name as the resources spell it.
    pub provider: String,
    /// TCP reporting interval from the last entry that set one for this provider.
    pub reporting_interval: Option<String>,
    /// Client-side (outbound, gateway) metrics.
    pub client: ModeMetrics,
    /// Server-side (inbound) metrics.
    pub server: ModeMetrics,
}

impl MetricsPolicy {
    /// The metrics of one mode.
    pub fn mode(&self, mode: Mode) -> &ModeMetrics {
        match mode {
            Mode::Client => &self.client,
            Mode::Server => &self.server,
        }
    }
}

/// Metrics of one provider in one mode.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeMetrics {
    /// True when an ALL_METRICS disable dropped the stats filter for this mode.
    pub disabled: bool,
    /// Per-metric overrides, sorted by metric name.
    pub overrides: Vec<MetricOverride>,
}

/// The merged override of one metric.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricOverride {
    /// `REQUEST_COUNT`, … or a custom metric name.
    pub name: String,
    /// True when the metric is not reported.
    pub disabled: bool,
    /// Tag changes, sorted by tag name.
    pub tags: Vec<TagPolicy>,
}

/// One tag change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TagPolicy {
    /// Tag (Prometheus label) name.
    pub name: String,
    /// True to drop the tag.
    pub remove: bool,
    /// CEL expression for the value (UPSERT).
    pub value: Option<String>,
}

/// Merged state of one metric before output.
#[derive(Default, Clone)]
struct Merged {
    disabled: Option<bool>,
    tags: SortedMap<TagOverride>,
}

fn modes(mode: WorkloadMode) -> &'static [Mode] {
    match mode {
        WorkloadMode::Client => &[Mode::Client],
        WorkloadMode::Server => &[Mode::Server],
        WorkloadMode::ClientAndServer => &Mode::BOTH,
    }
}

/// True when the selector matches every metric (no match, no metric, or ALL_METRICS).
fn is_all_metrics(selector: Option<&MetricSelector>) -> bool {
    match selector {
        None => true,
        Some(s) if s.custom_metric.is_some() => false,
        Some(s) => s.metric.is_none_or(|m| m == IstioMetric::AllMetrics),
    }
}

/// Metric names a selector covers; ALL_METRICS expands to the ten standard ones (in no
/// particular order: each goes into a map sorted by name).
fn matches(selector: Option<&MetricSelector>) -> Vec<String> {
    match selector {
        Some(MetricSelector {
            custom_metric: Some(custom),
            ..
        }) => alloc::vec![custom.clone()],
        Some(MetricSelector {
            metric: Some(m), ..
        }) if *m != IstioMetric::AllMetrics => {
            alloc::vec![m.name().to_string()]
        }
        _ => IstioMetric::STANDARD
            .iter()
            .map(|m| m.name().to_string())
            .collect(),
    }
}

fn names(entry: &Metrics) -> Vec<String> {
    entry.providers.iter().map(|p| p.name.clone()).collect()
}

/// Merges metrics entries (root → namespace → workload, flattened in order) into per-provider
/// configuration, sorted by provider name.
pub fn merge_metrics(entries: &[&Metrics], mesh: &MeshConfig) -> Vec<MetricsPolicy> {
    let defaults = &mesh.default_providers.metrics;
    // Per provider, the merged overrides of each mode by metric name (indexed by `mode_index`).
    let mut providers: SortedMap<[SortedMap<Merged>; 2]> = SortedMap::new();
    if entries.is_empty() {
        for provider in defaults {
            providers.insert(provider.clone(), Default::default());
        }
    }
    let mut in_scope: Vec<String> = defaults.clone();
    for entry in entries {
        let n = names(entry);
        if !n.is_empty() {
            in_scope = n;
        }
    }
    let in_scope: SortedSet = in_scope.into_iter().collect();

    let mut parent: Vec<String> = defaults.clone();
    // Providers whose stats filter an ALL_METRICS disable dropped, per mode.
    let mut all_disabled: [SortedSet; 2] = Default::default();
    let mut intervals: SortedMap<String> = SortedMap::new();
    for entry in entries {
        let mut provider_names = names(entry);
        if provider_names.is_empty() {
            provider_names = parent.clone();
        }
        parent = provider_names.clone();
        for provider in provider_names.iter().filter(|p| in_scope.contains(p)) {
            if let Some(interval) = &entry.reporting_interval {
                intervals.insert(provider.clone(), interval.clone());
            }
            let by_mode = providers.get_or_insert_with(provider, Default::default);
            for o in &entry.overrides {
                let selector = o.match_.as_ref();
                let mode = selector.map_or(WorkloadMode::ClientAndServer, |s| s.mode);
                if is_all_metrics(selector) && o.disabled == Some(true) {
                    for m in modes(mode) {
                        all_disabled[mode_index(*m)].insert(provider.clone());
                    }
                    continue;
                }
                let metric_names = matches(selector);
                for m in modes(mode) {
                    // Root disables all, a lower level re-enables by overriding anything.
                    all_disabled[mode_index(*m)].remove(provider);
                    let per_metric = &mut by_mode[mode_index(*m)];
                    for name in &metric_names {
                        let merged = per_metric.get_or_insert_with(name, Merged::default);
                        if o.disabled.is_some() {
                            merged.disabled = o.disabled;
                        }
                        for (tag, value) in &o.tag_overrides {
                            merged.tags.insert(tag.clone(), value.clone());
                        }
                    }
                }
            }
        }
    }

    providers
        .into_iter()
        .map(|(provider, by_mode)| {
            let mut policy = MetricsPolicy {
                reporting_interval: intervals.get(&provider).cloned(),
                client: ModeMetrics::default(),
                server: ModeMetrics::default(),
                provider: provider.clone(),
            };
            for mode in Mode::BOTH {
                let out = match mode {
                    Mode::Client => &mut policy.client,
                    Mode::Server => &mut policy.server,
                };
                if all_disabled[mode_index(mode)].contains(&provider) {
                    out.disabled = true;
                    continue;
                }
                for (name, merged) in &by_mode[mode_index(mode)] {
                    out.overrides.push(metric_override(name, merged));
                }
            }
            policy
        })
        .collect()
}

fn mode_index(mode: Mode) -> usize {
    match mode {
        Mode::Client => 0,
        Mode::Server => 1,
    }
}

fn metric_override(name: &str, merged: &Merged) -> MetricOverride {
    let tags = merged
        .tags
        .iter()
        .map(|(tag, o)| {
            let remove = o.operation == Some(TagOperation::Remove);
            TagPolicy {
                name: tag.clone(),
                remove,
                value: if remove {
                    None
                } else {
                    Some(o.value.clone().unwrap_or_default())
                },
            }
        })
        .collect();
    MetricOverride {
        name: name.to_string(),
        disabled: merged.disabled == Some(true),
        tags,
    }
}

crate::json_struct!(encode MetricsPolicy {
    "provider" => provider, "reportingInterval" => reporting_interval [optional],
    "client" => client, "server" => server,
});
crate::json_struct!(encode ModeMetrics { "disabled" => disabled, "overrides" => overrides });
crate::json_struct!(encode MetricOverride { "name" => name, "disabled" => disabled, "tags" => tags });
crate::json_struct!(encode TagPolicy {
    "name" => name, "remove" => remove, "value" => value [optional],
});
