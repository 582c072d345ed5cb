//! Reporting Istio's standard metrics: each series the plan reports goes to the host through a
//! metric handle cached by the series' label values, so steady traffic defines nothing new and a
//! cache hit costs one hash of the values, not the encoding of a series name.

use crate::bytes;
use crate::host::{self, METRIC_COUNTER, METRIC_HISTOGRAM};
use policy_wasm::attributes::AttributeSource;
use policy_wasm::metrics::plan::MAX_GROUP;
use policy_wasm::metrics::{Kind, MetricsPlan, Peer, SeriesGroup, TcpReport};
use policy_wasm::workload::Mode;
use std::cell::RefCell;

/// One group's series for one set of label values: the values, and per metric of the group
/// its host handle once defined (a metric is defined on its first report, as Envoy shows a
/// defined counter even at zero).
struct Series {
    /// The group's address in the plan (plans never move: the reporter owns its plan).
    group: usize,
    values: Box<[Box<str>]>,
    ids: [Option<u32>; MAX_GROUP],
}

/// The metrics side of one plugin instance: plan, local identity and the handle cache.
pub struct Reporter {
    plan: MetricsPlan,
    local: Peer<'static>,
    /// Series sorted by [`series_hash`] (the hash already spreads the keys, so a binary
    /// search finds one without hashbrown and SipHash in the module); equal hashes are the
    /// (rare) collisions, told apart by their values.
    handles: RefCell<Vec<(u64, Series)>>,
}

impl Reporter {
    /// A reporter for `plan`; `local` is this proxy's node identity.
    pub fn new(plan: MetricsPlan, local: Peer<'static>) -> Reporter {
        Reporter {
            plan,
            local,
            handles: RefCell::new(Vec::new()),
        }
    }

    /// Reports one completed HTTP request.
    pub fn report_http(&self, mode: Mode, attrs: &dyn AttributeSource) {
        self.plan
            .report_http(mode, attrs, &self.local, &mut |g, values, observed| {
                self.emit(g, values, observed)
            });
    }

    /// Reports one TCP connection's counts since its previous report.
    pub fn report_tcp(&self, mode: Mode, attrs: &dyn AttributeSource, report: &TcpReport) {
        self.plan.report_tcp(
            mode,
            attrs,
            &self.local,
            report,
            &mut |g, values, observed| self.emit(g, values, observed),
        );
    }

    /// True when either mode reports TCP metrics.
    pub fn has_tcp(&self) -> bool {
        self.plan.has_tcp(Mode::Client) || self.plan.has_tcp(Mode::Server)
    }

    /// How often open connections report, in milliseconds.
    pub fn reporting_interval_ms(&self) -> u32 {
        self.plan.reporting_interval_ms
    }

    /// Reports each observed value of `group` to its series for `values`: one hash and one
    /// lookup for the whole group, a definition only the first time a series is seen.
    fn emit(&self, group: &SeriesGroup, values: &[&str], observed: &[Option<u64>]) {
        let Ok(mut handles) = self.handles.try_borrow_mut() else {
            return;
        };
        let address = core::ptr::from_ref(group) as usize;
        let hash = series_hash(address, values);
        let same = |s: &Series| {
            s.group == address
                && s.values.len() == values.len()
                && s.values
                    .iter()
                    .zip(values)
                    .all(|(a, b)| bytes::same(a.as_bytes(), b.as_bytes()))
        };
        let first = handles.partition_point(|(h, _)| *h < hash);
        let found = handles[first..]
            .iter()
            .take_while(|(h, _)| *h == hash)
            .position(|(_, s)| same(s));
        let at = match found {
            Some(offset) => first + offset,
            None => {
                let series = Series {
                    group: address,
                    values: values.iter().map(|v| Box::from(*v)).collect(),
                    ids: [None; MAX_GROUP],
                };
                handles.insert(first, (hash, series));
                first
            }
        };
        let Some((_, series)) = handles.get_mut(at) else {
            return;
        };
        for ((metric, value), id) in group.metrics.iter().zip(observed).zip(&mut series.ids) {
            let Some(value) = *value else { continue };
            if id.is_none() {
                let kind = match metric.kind {
                    Kind::Counter => METRIC_COUNTER,
                    Kind::Histogram => METRIC_HISTOGRAM,
                };
                *id = host::define_metric(kind, &group.series_name(metric, values));
            }
            match (*id, metric.kind) {
                (Some(id), Kind::Counter) => host::increment_metric(id, value as i64),
                (Some(id), Kind::Histogram) => host::record_metric(id, value),
                // The host refused the definition; it will be asked again next time.
                (None, _) => {}
            }
        }
    }
}

/// A word-at-a-time multiplicative hash (FxHash's) of a group and its label values: a series has
/// ~700 bytes of values and this runs once per group on every request, where SipHash would cost
/// more than everything else the reporter does.
fn series_hash(metric: usize, values: &[&str]) -> u64 {
    const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;
    let mix = |h: u64, word: u64| (h.rotate_left(5) ^ word).wrapping_mul(SEED);
    let mut h = mix(0, metric as u64);
    for value in values {
        // The length first, so that ("ab", "c") and ("a", "bc") differ.
        h = mix(h, value.len() as u64);
        let mut words = value.as_bytes().chunks_exact(8);
        for word in &mut words {
            let mut le = [0u8; 8];
            le.copy_from_slice(word);
            h = mix(h, u64::from_le_bytes(le));
        }
        let mut tail = [0u8; 8];
        tail[..words.remainder().len()].copy_from_slice(words.remainder());
        h = mix(h, u64::from_le_bytes(tail));
    }
    h
}
