//! The metrics plan: which standard metrics a workload reports in each mode and with which labels,
//! compiled once from the effective configuration (overrides applied as Istio's stats filter
//! applies its `MetricConfig`s). The proxy filter runs it per request; tools can preview series.

use super::encode::encode_name;
use super::labels::{Peer, STANDARD_LABELS, standard_values};
use crate::attributes::AttributeSource;
use crate::cel::{Program, Value};
use crate::model::{IstioMetric, MeshConfig};
use crate::resolve::{MetricsPolicy, ModeMetrics};
use crate::workload::Mode;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// `proxy_metric_type_t` of a standard metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Counter.
    Counter,
    /// Histogram.
    Histogram,
}

/// What a metric observes per HTTP request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observation {
    /// 1 per request.
    One,
    /// `request.duration` in whole milliseconds.
    DurationMs,
    /// `request.total_size`.
    RequestBytes,
    /// `response.total_size`.
    ResponseBytes,
}

/// The four HTTP metrics: selector, short name, kind, observation.
pub const HTTP_METRICS: [(IstioMetric, &str, Kind, Observation); 4] = [
    (
        IstioMetric::RequestCount,
        "requests_total",
        Kind::Counter,
        Observation::One,
    ),
    (
        IstioMetric::RequestDuration,
        "request_duration_milliseconds",
        Kind::Histogram,
        Observation::DurationMs,
    ),
    (
        IstioMetric::RequestSize,
        "request_bytes",
        Kind::Histogram,
        Observation::RequestBytes,
    ),
    (
        IstioMetric::ResponseSize,
        "response_bytes",
        Kind::Histogram,
        Observation::ResponseBytes,
    ),
];

/// Where a label's value comes from.
#[derive(Debug)]
pub enum LabelSource {
    /// One of the 25 standard values (index into [`STANDARD_LABELS`]).
    Standard(usize),
    /// A tagOverride UPSERT: CEL evaluated per request; an error gives `unknown`.
    Cel(Program),
}

/// One output label.
#[derive(Debug)]
pub struct Label {
    /// Prometheus label name.
    pub name: String,
    /// Its value source.
    pub source: LabelSource,
}

/// One metric reported in one mode.
#[derive(Debug)]
pub struct MetricPlan {
    /// The standard metric.
    pub metric: IstioMetric,
    /// Name without `istio_` (`requests_total`).
    pub short_name: &'static str,
    /// Counter or histogram.
    pub kind: Kind,
    /// What is recorded.
    pub observation: Observation,
    /// Labels in output order.
    pub labels: Vec<Label>,
}

/// One value to report: the encoded series name, its kind and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Encoded name (`istio_reporter=.=source;.;…requests_total`).
    pub name: String,
    /// Counter (increment by `value`) or histogram (record `value`).
    pub kind: Kind,
    /// The value.
    pub value: u64,
}

/// The metrics of both modes.
#[derive(Debug, Default)]
pub struct MetricsPlan {
    /// Outbound.
    pub client: Vec<MetricPlan>,
    /// Inbound.
    pub server: Vec<MetricPlan>,
}

impl MetricsPlan {
    /// Builds the plan from the merged metrics policies (`Effective::metrics`, identical for both
    /// modes). Only Prometheus providers produce these metrics; the first one found is used.
    pub fn build(mesh: &MeshConfig, policies: &[MetricsPolicy]) -> Result<MetricsPlan, String> {
        let Some(policy) = policies.iter().find(|p| {
            mesh.provider(&p.provider)
                .is_some_and(|provider| provider.kind() == "prometheus")
        }) else {
            return Ok(MetricsPlan::default());
        };
        Ok(MetricsPlan {
            client: mode_plan(&policy.client, Mode::Client)?,
            server: mode_plan(&policy.server, Mode::Server)?,
        })
    }

    /// The metrics of `mode`.
    pub fn metrics(&self, mode: Mode) -> &[MetricPlan] {
        match mode {
            Mode::Client => &self.client,
            Mode::Server => &self.server,
        }
    }

    /// True when nothing is reported in either mode.
    pub fn is_empty(&self) -> bool {
        self.client.is_empty() && self.server.is_empty()
    }

    /// The samples one completed HTTP request produces in `mode`.
    pub fn http_samples(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        local: &Peer,
    ) -> Vec<Sample> {
        let metrics = self.metrics(mode);
        if metrics.is_empty() {
            return Vec::new();
        }
        let standard = standard_values(attrs, mode, local);
        metrics
            .iter()
            .map(|m| {
                let values: Vec<String> = m
                    .labels
                    .iter()
                    .map(|l| value_of(l, &standard, attrs))
                    .collect();
                let name = encode_name(
                    m.short_name,
                    m.labels
                        .iter()
                        .zip(&values)
                        .map(|(l, v)| (l.name.as_str(), v.as_str())),
                );
                Sample {
                    name,
                    kind: m.kind,
                    value: observe(m.observation, attrs),
                }
            })
            .collect()
    }
}

fn value_of(label: &Label, standard: &[String], attrs: &dyn AttributeSource) -> String {
    match &label.source {
        LabelSource::Standard(i) => standard[*i].clone(),
        LabelSource::Cel(program) => match program.evaluate(attrs) {
            Ok(Value::String(s)) => s.to_string(),
            Ok(Value::Int(i)) => i.to_string(),
            Ok(Value::Uint(u)) => u.to_string(),
            Ok(Value::Bool(b)) => b.to_string(),
            Ok(Value::Double(d)) => format!("{d}"),
            Ok(Value::Bytes(b)) => String::from_utf8_lossy(&b).into_owned(),
            _ => "unknown".to_string(),
        },
    }
}

fn observe(observation: Observation, attrs: &dyn AttributeSource) -> u64 {
    let read = |path: &[&str]| attrs.property_i64(path).unwrap_or(0).max(0) as u64;
    match observation {
        Observation::One => 1,
        Observation::DurationMs => read(&["request", "duration"]) / 1_000_000,
        Observation::RequestBytes => read(&["request", "total_size"]),
        Observation::ResponseBytes => read(&["response", "total_size"]),
    }
}

fn mode_plan(policy: &ModeMetrics, mode: Mode) -> Result<Vec<MetricPlan>, String> {
    if policy.disabled {
        return Ok(Vec::new());
    }
    let mut out = Vec::new();
    for (metric, short_name, kind, observation) in HTTP_METRICS {
        let o = policy.overrides.iter().find(|o| o.name == metric.name());
        if o.is_some_and(|o| o.disabled) {
            continue;
        }
        let mut labels: Vec<Label> = STANDARD_LABELS
            .iter()
            .enumerate()
            .map(|(i, name)| Label {
                name: name.to_string(),
                source: LabelSource::Standard(i),
            })
            .collect();
        for tag in o.map(|o| o.tags.as_slice()).unwrap_or_default() {
            if tag.remove {
                labels.retain(|l| l.name != tag.name);
                continue;
            }
            let expr = tag.value.as_deref().unwrap_or_default();
            let program = Program::compile(expr).map_err(|e| {
                format!(
                    "metric {} ({} mode): tag {:?} expression {expr:?} does not parse at column {}: {}",
                    metric.name(),
                    mode.as_str(),
                    tag.name,
                    e.column,
                    e.reason
                )
            })?;
            match labels.iter_mut().find(|l| l.name == tag.name) {
                Some(label) => label.source = LabelSource::Cel(program),
                // A new tag goes after the standard ones (tags arrive sorted by name).
                None => labels.push(Label {
                    name: tag.name.clone(),
                    source: LabelSource::Cel(program),
                }),
            }
        }
        out.push(MetricPlan {
            metric,
            short_name,
            kind,
            observation,
            labels,
        });
    }
    Ok(out)
}
