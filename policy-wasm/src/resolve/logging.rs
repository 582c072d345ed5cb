//! Access-logging merge (istiod's `mergeLogs`).

use super::Applicable;
use crate::model::{AccessLogging, MeshConfig, WorkloadMode};
use crate::sorted_map::{SortedMap, SortedSet};
use crate::workload::Mode;
use alloc::string::String;
use alloc::vec::Vec;

/// Access logging for one provider after the merge: it is on, with an optional CEL filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessLogPolicy {
    /// Provider name as the resources spell it.
    pub provider: String,
    /// CEL filter expression; `None` logs every request.
    pub filter: Option<String>,
}

/// True when a rule's `match` covers `mode` (istiod's `matchWorkloadMode`).
pub(crate) fn matches_mode(selector: Option<WorkloadMode>, mode: Mode) -> bool {
    match selector {
        None | Some(WorkloadMode::ClientAndServer) => true,
        Some(WorkloadMode::Client) => mode == Mode::Client,
        Some(WorkloadMode::Server) => mode == Mode::Server,
    }
}

fn rule_mode(rule: &AccessLogging) -> Option<WorkloadMode> {
    rule.match_.as_ref().map(|m| m.mode)
}

fn provider_names(rule: &AccessLogging) -> Vec<String> {
    rule.providers.iter().map(|p| p.name.clone()).collect()
}

/// Merges the access-logging rules that apply to a workload for one mode.
///
/// Returns `None` when neither a Telemetry nor `defaultProviders.accessLogging` configures logging
/// (Istio then falls back to the legacy `accessLogFile`). Otherwise the enabled providers, sorted by
/// name; an empty list means logging is explicitly off.
pub fn merge_access_logging(
    applicable: &Applicable<'_>,
    mesh: &MeshConfig,
    mode: Mode,
) -> Option<Vec<AccessLogPolicy>> {
    let levels: Vec<&[AccessLogging]> = applicable
        .levels
        .iter()
        .map(|t| t.spec.access_logging.as_slice())
        .filter(|rules| !rules.is_empty())
        .collect();
    let defaults = &mesh.default_providers.access_logging;
    if levels.is_empty() && defaults.is_empty() {
        return None;
    }
    let mut enabled: SortedMap<Option<String>> = SortedMap::new();
    if levels.is_empty() {
        for provider in defaults {
            enabled.insert(provider.clone(), None);
        }
        return Some(to_policies(enabled));
    }

    // The last level that names providers (in rules matching the mode) decides which are in scope;
    // each provider's filter comes from the last mode-matching rule that names it.
    let mut in_scope: Vec<String> = defaults.clone();
    let mut filters: SortedMap<Option<String>> = SortedMap::new();
    for rules in &levels {
        let mut named = SortedSet::new();
        for rule in rules.iter().filter(|r| matches_mode(rule_mode(r), mode)) {
            for provider in provider_names(rule) {
                filters.insert(
                    provider.clone(),
                    rule.filter.as_ref().map(|f| f.expression.clone()),
                );
                named.insert(provider);
            }
        }
        if !named.is_empty() {
            in_scope = named.into_iter().collect();
        }
    }
    let in_scope: SortedSet = in_scope.into_iter().collect();

    // Rules without providers inherit the previous rule's (starting from the defaults).
    let mut parent: Vec<String> = defaults.clone();
    for rule in levels.iter().flat_map(|rules| rules.iter()) {
        let mut names = provider_names(rule);
        if names.is_empty() {
            names = parent.clone();
        }
        parent = names.clone();
        if !matches_mode(rule_mode(rule), mode) {
            continue;
        }
        for provider in names.into_iter().filter(|p| in_scope.contains(p)) {
            if rule.disabled == Some(true) {
                enabled.remove(&provider);
            } else {
                let filter = filters.get(&provider).cloned().flatten();
                enabled.insert(provider, filter);
            }
        }
    }
    Some(to_policies(enabled))
}

fn to_policies(enabled: SortedMap<Option<String>>) -> Vec<AccessLogPolicy> {
    enabled
        .into_iter()
        .map(|(provider, filter)| AccessLogPolicy { provider, filter })
        .collect()
}

crate::json_struct!(encode AccessLogPolicy { "provider" => provider, "filter" => filter [optional] });
