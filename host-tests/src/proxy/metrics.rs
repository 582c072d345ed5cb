//! The host's metric store: what `proxy_define_metric` and friends act on.

use super::abi::status;

/// `proxy_metric_type_t`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    /// Monotonic counter.
    Counter,
    /// Gauge.
    Gauge,
    /// Histogram (samples kept).
    Histogram,
}

/// One defined metric.
#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    /// Type given at definition.
    pub kind: MetricKind,
    /// Name as the filter defined it (Envoy stores it as `wasmcustom.<name>`).
    pub name: String,
    /// Counter or gauge value.
    pub value: i64,
    /// Histogram samples in recording order.
    pub samples: Vec<u64>,
}

/// All metrics of one VM, by id (ids start at 1).
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    /// Defined metrics; id = index + 1.
    pub defined: Vec<Metric>,
    /// Number of `proxy_define_metric` calls (to check that handles are cached).
    pub define_calls: u64,
}

impl Metrics {
    /// Defines a metric; defining the same name and kind again returns the same id, as Envoy does.
    pub fn define(&mut self, kind: MetricKind, name: String) -> u32 {
        self.define_calls += 1;
        if let Some(i) = self
            .defined
            .iter()
            .position(|m| m.name == name && m.kind == kind)
        {
            return i as u32 + 1;
        }
        self.defined.push(Metric {
            kind,
            name,
            value: 0,
            samples: Vec::new(),
        });
        self.defined.len() as u32
    }

    fn metric(&mut self, id: u32) -> Option<&mut Metric> {
        self.defined.get_mut((id as usize).checked_sub(1)?)
    }

    /// `proxy_increment_metric`; decrementing a counter is BAD_ARGUMENT.
    pub fn increment(&mut self, id: u32, delta: i64) -> i32 {
        match self.metric(id) {
            None => status::NOT_FOUND,
            Some(m) if m.kind == MetricKind::Counter && delta < 0 => status::BAD_ARGUMENT,
            Some(m) if m.kind == MetricKind::Histogram => status::BAD_ARGUMENT,
            Some(m) => {
                m.value = m.value.saturating_add(delta);
                status::OK
            }
        }
    }

    /// `proxy_record_metric`: sets a gauge, adds a histogram sample, sets a counter.
    pub fn record(&mut self, id: u32, value: u64) -> i32 {
        match self.metric(id) {
            None => status::NOT_FOUND,
            Some(m) if m.kind == MetricKind::Histogram => {
                m.samples.push(value);
                status::OK
            }
            Some(m) => {
                m.value = value as i64;
                status::OK
            }
        }
    }

    /// Adds `other`'s values into these, by name and kind: the metrics of several VMs sharing
    /// one Envoy's stats store.
    pub fn merge(&mut self, other: &Metrics) {
        for m in &other.defined {
            let id = self.define(m.kind, m.name.clone());
            self.define_calls -= 1;
            let mine = &mut self.defined[id as usize - 1];
            mine.value = mine.value.saturating_add(m.value);
            mine.samples.extend_from_slice(&m.samples);
        }
    }

    /// `proxy_get_metric`.
    pub fn get(&self, id: u32) -> Option<u64> {
        let m = self.defined.get((id as usize).checked_sub(1)?)?;
        Some(match m.kind {
            MetricKind::Histogram => m.samples.len() as u64,
            _ => m.value as u64,
        })
    }
}
