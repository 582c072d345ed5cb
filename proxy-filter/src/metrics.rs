//! Reporting Istio's standard metrics: each series the plan reports goes to the host through a
//! metric handle cached by the series' label values, so steady traffic defines nothing new and a
//! cache hit costs one hash of the values, not the encoding of a series name.

use crate::host::{self, METRIC_COUNTER, METRIC_HISTOGRAM};
use policy_wasm::attributes::AttributeSource;
use policy_wasm::metrics::{Kind, MetricPlan, MetricsPlan, Peer, TcpReport};
use policy_wasm::workload::Mode;
use std::cell::RefCell;
use std::collections::HashMap;

/// One defined series: which metric, its label values, and the host's handle.
struct Series {
    /// The metric's address in the plan (plans never move: the reporter owns its plan).
    metric: usize,
    values: Box<[Box<str>]>,
    id: u32,
}

/// The metrics side of one plugin instance: plan, local identity and the handle cache.
pub struct Reporter {
    plan: MetricsPlan,
    local: Peer,
    /// Series by [`series_hash`]; a bucket holds the (rare) series whose hashes collide.
    handles: RefCell<HashMap<u64, Vec<Series>>>,
}

impl Reporter {
    /// A reporter for `plan`; `local` is this proxy's node identity.
    pub fn new(plan: MetricsPlan, local: Peer) -> Reporter {
        Reporter {
            plan,
            local,
            handles: RefCell::new(HashMap::new()),
        }
    }

    /// Reports one completed HTTP request.
    pub fn report_http(&self, mode: Mode, attrs: &dyn AttributeSource) {
        self.plan
            .report_http(mode, attrs, &self.local, &mut |m, values, value| {
                self.emit(m, values, value)
            });
    }

    /// Reports one TCP connection's counts since its previous report.
    pub fn report_tcp(&self, mode: Mode, attrs: &dyn AttributeSource, report: &TcpReport) {
        self.plan
            .report_tcp(mode, attrs, &self.local, report, &mut |m, values, value| {
                self.emit(m, values, value)
            });
    }

    /// True when either mode reports TCP metrics.
    pub fn has_tcp(&self) -> bool {
        self.plan.has_tcp(Mode::Client) || self.plan.has_tcp(Mode::Server)
    }

    /// How often open connections report, in milliseconds.
    pub fn reporting_interval_ms(&self) -> u32 {
        self.plan.reporting_interval_ms
    }

    fn emit(&self, metric: &MetricPlan, values: &[&str], value: u64) {
        let Some(id) = self.handle(metric, values) else {
            return;
        };
        match metric.kind {
            Kind::Counter => host::increment_metric(id, value as i64),
            Kind::Histogram => host::record_metric(id, value),
        }
    }

    /// The handle of `metric`'s series `values`, defined on first use; `None` when the host
    /// refuses the definition.
    fn handle(&self, metric: &MetricPlan, values: &[&str]) -> Option<u32> {
        let address = core::ptr::from_ref(metric) as usize;
        let hash = series_hash(address, values);
        let mut handles = self.handles.borrow_mut();
        let bucket = handles.entry(hash).or_default();
        let same = |s: &&Series| {
            s.metric == address
                && s.values.len() == values.len()
                && s.values.iter().zip(values).all(|(a, b)| **a == **b)
        };
        if let Some(series) = bucket.iter().find(same) {
            return Some(series.id);
        }
        let kind = match metric.kind {
            Kind::Counter => METRIC_COUNTER,
            Kind::Histogram => METRIC_HISTOGRAM,
        };
        let id = host::define_metric(kind, &metric.series_name(values))?;
        bucket.push(Series {
            metric: address,
            values: values.iter().map(|v| Box::from(*v)).collect(),
            id,
        });
        Some(id)
    }
}

/// A word-at-a-time multiplicative hash (FxHash's) of a metric and its label values: a series has
/// ~700 bytes of values and this runs four times a request, where SipHash would cost more than
/// everything else the reporter does.
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
