//! Replaying recorded streams through a proxy filter: one VM per sidecar (node), as in a mesh.

use crate::fixture::Fixture;
use crate::proxy::{LOG_INFO, LogRecord, Properties, ProxyHost, ProxyModule};
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
        let logs = host.replay_http(fixture)?;
        let (records, other_logs): (Vec<_>, Vec<_>) =
            logs.into_iter().partition(|l| l.level == LOG_INFO);
        out.push(Replayed {
            fixture: fixture.path.clone(),
            records: records.into_iter().map(|l| l.message).collect(),
            other_logs,
        });
    }
    Ok(out)
}
