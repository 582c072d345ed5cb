//! Reporting Istio's standard metrics: the plan's samples go to the host through metric handles
//! cached by encoded series name, so steady traffic defines nothing new.

use crate::host::{self, METRIC_COUNTER, METRIC_HISTOGRAM};
use policy_wasm::attributes::AttributeSource;
use policy_wasm::metrics::{Kind, MetricsPlan, Peer, Sample, TcpReport};
use policy_wasm::workload::Mode;
use std::cell::RefCell;
use std::collections::HashMap;

/// The metrics side of one plugin instance: plan, local identity and the handle cache.
pub struct Reporter {
    plan: MetricsPlan,
    local: Peer,
    handles: RefCell<HashMap<String, u32>>,
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
        for sample in self.plan.http_samples(mode, attrs, &self.local) {
            self.emit(sample);
        }
    }

    /// Reports one TCP connection's counts since its previous report.
    pub fn report_tcp(&self, mode: Mode, attrs: &dyn AttributeSource, report: &TcpReport) {
        for sample in self.plan.tcp_samples(mode, attrs, &self.local, report) {
            self.emit(sample);
        }
    }

    /// True when either mode reports TCP metrics.
    pub fn has_tcp(&self) -> bool {
        self.plan.has_tcp(Mode::Client) || self.plan.has_tcp(Mode::Server)
    }

    /// How often open connections report, in milliseconds.
    pub fn reporting_interval_ms(&self) -> u32 {
        self.plan.reporting_interval_ms
    }

    fn emit(&self, sample: Sample) {
        let mut handles = self.handles.borrow_mut();
        let id = match handles.get(&sample.name) {
            Some(id) => *id,
            None => {
                let kind = match sample.kind {
                    Kind::Counter => METRIC_COUNTER,
                    Kind::Histogram => METRIC_HISTOGRAM,
                };
                let Some(id) = host::define_metric(kind, &sample.name) else {
                    return;
                };
                handles.insert(sample.name, id);
                id
            }
        };
        match sample.kind {
            Kind::Counter => host::increment_metric(id, sample.value as i64),
            Kind::Histogram => host::record_metric(id, sample.value),
        }
    }
}
