//! Replaying recorded streams through a proxy filter: one VM per sidecar (node), as in a mesh.

use crate::fixture::Fixture;
use crate::proxy::{LOG_INFO, LogRecord, Metrics, Properties, ProxyHost, ProxyModule};
use anyhow::Result;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// What one stream produced.
#[derive(Debug, Clone)]
pub struct Replayed {
    /// The fixture replayed.
    pub fixture: PathBuf,
    /// Access-log records: the stream's info-level `proxy_log` messages, byte for byte.
    pub records: Vec<Vec<u8>>,
    /// Everything else the filter logged during the stream (other levels).
    pub other_logs: Vec<LogRecord>,
}

/// Replays `fixtures` in order through `module` configured with `plugin_configuration`. Streams of
/// the same node share one VM, like the streams of one sidecar.
pub fn replay(
    module: &ProxyModule,
    plugin_configuration: &[u8],
    fixtures: &[Fixture],
) -> Result<Vec<Replayed>> {
    Ok(replay_with_metrics(module, plugin_configuration, fixtures)?.0)
}

/// Like [`replay`], also returning the metrics of all VMs together, as one Envoy's stats store
/// holds them.
pub fn replay_with_metrics(
    module: &ProxyModule,
    plugin_configuration: &[u8],
    fixtures: &[Fixture],
) -> Result<(Vec<Replayed>, Metrics)> {
    let mut hosts: BTreeMap<Properties, ProxyHost> = BTreeMap::new();
    let mut out = Vec::with_capacity(fixtures.len());
    for fixture in fixtures {
        let host = match hosts.entry(fixture.root_properties.clone()) {
            std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::btree_map::Entry::Vacant(e) => e.insert(ProxyHost::start(
                module,
                plugin_configuration,
                fixture.root_properties.clone(),
            )?),
        };
        let logs = host.replay(fixture)?;
        let (records, other_logs): (Vec<_>, Vec<_>) =
            logs.into_iter().partition(|l| l.level == LOG_INFO);
        out.push(Replayed {
            fixture: fixture.path.clone(),
            records: records.into_iter().map(|l| l.message).collect(),
            other_logs,
        });
    }
    let mut metrics = Metrics::default();
    for host in hosts.values() {
        metrics.merge(host.metrics());
    }
    Ok((out, metrics))
}
