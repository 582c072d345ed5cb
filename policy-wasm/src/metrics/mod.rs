//! Istio's standard metrics: labels and their value rules, the old stats plugin's name encoding
//! that Envoy's `stats_tags` understand, and the per-mode plan with Telemetry overrides applied.

pub mod encode;
pub mod labels;
pub mod plan;

pub use encode::{encode_name, stats_tag_regex};
pub use labels::{Peer, STANDARD_LABELS, standard_values, tcp_values};
pub use plan::{Kind, MetricPlan, MetricsPlan, Sample, SeriesGroup, TcpReport};
