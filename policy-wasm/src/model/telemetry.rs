//! The `Telemetry` resource of `telemetry.istio.io` (`v1`, `v1beta1`, `v1alpha1` share one schema).
//!
//! Field presence matters for Istio's merge rules (a `BoolValue` that is absent is not the same as
//! `false`), so wrapper types are `Option`s. Unknown fields are ignored here; the schema walk in
//! `crate::schema` reports them with their path.

use crate::sorted_map::SortedMap;
use alloc::string::String;
use alloc::vec::Vec;

/// The API group every Telemetry version belongs to.
pub const GROUP: &str = "telemetry.istio.io";
/// The API versions that serve the Telemetry schema.
pub const VERSIONS: [&str; 3] = ["v1", "v1beta1", "v1alpha1"];

/// A Kubernetes object's identity, as far as Telemetry resolution needs it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ObjectMeta {
    /// Object name.
    pub name: String,
    /// Object namespace (empty when the input did not say).
    pub namespace: String,
    /// Object labels (the `istio.io/rev` label selects a control-plane revision).
    pub labels: SortedMap<String>,
    /// RFC 3339 creation time; Istio orders resources by it.
    pub creation_timestamp: Option<String>,
}

/// A whole `Telemetry` object.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Telemetry {
    /// `telemetry.istio.io/v1` and friends.
    pub api_version: String,
    /// Always `Telemetry`.
    pub kind: String,
    /// Name, namespace, labels.
    pub metadata: ObjectMeta,
    /// The telemetry configuration.
    pub spec: TelemetrySpec,
}

/// `istio.telemetry.v1alpha1.Telemetry` (the spec).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TelemetrySpec {
    /// Workload selector; absent means every workload of the namespace.
    pub selector: Option<WorkloadSelector>,
    /// Single policy target (hidden from the docs).
    pub target_ref: Option<PolicyTargetReference>,
    /// Policy targets (gateways, waypoints).
    pub target_refs: Option<Vec<PolicyTargetReference>>,
    /// Tracing rules (left empty when built without the `tracing` feature).
    pub tracing: Vec<Tracing>,
    /// Metrics rules.
    pub metrics: Vec<Metrics>,
    /// Access-logging rules.
    pub access_logging: Vec<AccessLogging>,
}

/// `istio.type.v1beta1.WorkloadSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkloadSelector {
    /// Labels a workload must all carry.
    pub match_labels: SortedMap<String>,
}

/// `istio.type.v1beta1.PolicyTargetReference`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PolicyTargetReference {
    /// API group; empty means core.
    pub group: String,
    /// Kind of the target.
    pub kind: String,
    /// Name of the target.
    pub name: String,
    /// Must stay empty: cross-namespace references are not supported.
    pub namespace: String,
}

/// `ProviderRef`: names a MeshConfig extension provider.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProviderRef {
    /// Provider name, matched case-insensitively.
    pub name: String,
}

/// `WorkloadMode` of the telemetry package.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum WorkloadMode {
    /// Both directions (the default).
    #[default]
    ClientAndServer,
    /// The workload is the source (outbound).
    Client,
    /// The workload is the destination (inbound).
    Server,
}

/// `match` of an access-logging or tracing rule.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ModeSelector {
    /// Traffic direction the rule applies to.
    pub mode: WorkloadMode,
}

/// `AccessLogging`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessLogging {
    /// Direction the rule applies to; absent means both.
    pub match_: Option<ModeSelector>,
    /// Providers; empty inherits the parent's.
    pub providers: Vec<ProviderRef>,
    /// `BoolValue`: present `true` turns logging off for the selected providers.
    pub disabled: Option<bool>,
    /// CEL filter: log only when it evaluates to `true`.
    pub filter: Option<AccessLogFilter>,
}

/// `AccessLogging.Filter`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AccessLogFilter {
    /// CEL expression over Envoy attributes.
    pub expression: String,
}

/// `Metrics`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Metrics {
    /// Providers; empty inherits the parent's.
    pub providers: Vec<ProviderRef>,
    /// Overrides, applied in order.
    pub overrides: Vec<MetricsOverrides>,
    /// TCP reporting interval as a protobuf duration string (`"5s"`).
    pub reporting_interval: Option<String>,
}

/// `MetricSelector.IstioMetric`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum IstioMetric {
    /// Every standard metric.
    #[default]
    AllMetrics,
    /// `istio_requests_total`.
    RequestCount,
    /// `istio_request_duration_milliseconds`.
    RequestDuration,
    /// `istio_request_bytes`.
    RequestSize,
    /// `istio_response_bytes`.
    ResponseSize,
    /// `istio_tcp_connections_opened_total`.
    TcpOpenedConnections,
    /// `istio_tcp_connections_closed_total`.
    TcpClosedConnections,
    /// `istio_tcp_sent_bytes_total`.
    TcpSentBytes,
    /// `istio_tcp_received_bytes_total`.
    TcpReceivedBytes,
    /// `istio_request_messages_total`.
    GrpcRequestMessages,
    /// `istio_response_messages_total`.
    GrpcResponseMessages,
}

impl IstioMetric {
    /// The ten standard metrics (everything but `ALL_METRICS`), in Istio's sorted-name order.
    pub const STANDARD: [IstioMetric; 10] = [
        IstioMetric::GrpcRequestMessages,
        IstioMetric::GrpcResponseMessages,
        IstioMetric::RequestCount,
        IstioMetric::RequestDuration,
        IstioMetric::RequestSize,
        IstioMetric::ResponseSize,
        IstioMetric::TcpClosedConnections,
        IstioMetric::TcpOpenedConnections,
        IstioMetric::TcpReceivedBytes,
        IstioMetric::TcpSentBytes,
    ];

    /// The enum name as written in YAML.
    pub fn name(self) -> &'static str {
        match self {
            IstioMetric::AllMetrics => "ALL_METRICS",
            IstioMetric::RequestCount => "REQUEST_COUNT",
            IstioMetric::RequestDuration => "REQUEST_DURATION",
            IstioMetric::RequestSize => "REQUEST_SIZE",
            IstioMetric::ResponseSize => "RESPONSE_SIZE",
            IstioMetric::TcpOpenedConnections => "TCP_OPENED_CONNECTIONS",
            IstioMetric::TcpClosedConnections => "TCP_CLOSED_CONNECTIONS",
            IstioMetric::TcpSentBytes => "TCP_SENT_BYTES",
            IstioMetric::TcpReceivedBytes => "TCP_RECEIVED_BYTES",
            IstioMetric::GrpcRequestMessages => "GRPC_REQUEST_MESSAGES",
            IstioMetric::GrpcResponseMessages => "GRPC_RESPONSE_MESSAGES",
        }
    }

    /// The Prometheus name Istio exports (with the `istio_` prefix); empty for `ALL_METRICS`.
    pub fn prometheus_name(self) -> &'static str {
        match self {
            IstioMetric::AllMetrics => "",
            IstioMetric::RequestCount => "istio_requests_total",
            IstioMetric::RequestDuration => "istio_request_duration_milliseconds",
            IstioMetric::RequestSize => "istio_request_bytes",
            IstioMetric::ResponseSize => "istio_response_bytes",
            IstioMetric::TcpOpenedConnections => "istio_tcp_connections_opened_total",
            IstioMetric::TcpClosedConnections => "istio_tcp_connections_closed_total",
            IstioMetric::TcpSentBytes => "istio_tcp_sent_bytes_total",
            IstioMetric::TcpReceivedBytes => "istio_tcp_received_bytes_total",
            IstioMetric::GrpcRequestMessages => "istio_request_messages_total",
            IstioMetric::GrpcResponseMessages => "istio_response_messages_total",
        }
    }
}

/// `MetricSelector`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricSelector {
    /// A standard metric (oneof with `custom_metric`).
    pub metric: Option<IstioMetric>,
    /// A custom metric name (oneof with `metric`).
    pub custom_metric: Option<String>,
    /// Direction the override applies to.
    pub mode: WorkloadMode,
}

/// `MetricsOverrides`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MetricsOverrides {
    /// Metric and mode selector; absent means every metric in both modes.
    pub match_: Option<MetricSelector>,
    /// `BoolValue`: present replaces the inherited value.
    pub disabled: Option<bool>,
    /// Tag overrides by tag name; merged key by key across levels.
    pub tag_overrides: SortedMap<TagOverride>,
}

/// `TagOverride.Operation`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TagOperation {
    /// Insert or replace the tag with the CEL value.
    #[default]
    Upsert,
    /// Drop the tag.
    Remove,
}

/// `MetricsOverrides.TagOverride`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TagOverride {
    /// What to do with the tag; absent means UPSERT.
    pub operation: Option<TagOperation>,
    /// CEL expression for UPSERT.
    pub value: Option<String>,
}

/// `Tracing`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tracing {
    /// Direction the rule applies to.
    pub match_: Option<ModeSelector>,
    /// Providers; only the first is used.
    pub providers: Vec<ProviderRef>,
    /// Sampling percentage in [0, 100].
    pub random_sampling_percentage: Option<f64>,
    /// Stop reporting spans (propagation continues).
    pub disable_span_reporting: Option<bool>,
    /// Custom span tags; replaces the parent's map whole.
    pub custom_tags: Option<SortedMap<CustomTag>>,
    /// Use the request id for the sampling decision (default true).
    pub use_request_id_for_trace_sampling: Option<bool>,
    /// Add Istio's own span tags (default true).
    pub enable_istio_tags: Option<bool>,
    /// Stop forwarding trace context headers (default false).
    pub disable_context_propagation: Option<bool>,
}

/// `Tracing.CustomTag` (a oneof; more than one set is a schema error).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomTag {
    /// A fixed value.
    pub literal: Option<LiteralTag>,
    /// From an environment variable of the proxy.
    pub environment: Option<NamedTag>,
    /// From a request header.
    pub header: Option<NamedTag>,
    /// From an access-log formatter string.
    pub formatter: Option<LiteralTag>,
}

/// `Tracing.Literal` / `Tracing.Formatter`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LiteralTag {
    /// The value (required).
    pub value: String,
}

/// `Tracing.Environment` / `Tracing.RequestHeader`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NamedTag {
    /// Variable or header name (required).
    pub name: String,
    /// Used when the variable or header is absent.
    pub default_value: Option<String>,
}

impl Telemetry {
    /// True when the object's `apiVersion`/`kind` name a Telemetry of any served version.
    pub fn is_telemetry(api_version: &str, kind: &str) -> bool {
        kind == "Telemetry"
            && api_version
                .split_once('/')
                .is_some_and(|(g, v)| g == GROUP && VERSIONS.contains(&v))
    }

    /// True when the resource selects workloads by label (a non-empty `selector`).
    pub fn has_selector(&self) -> bool {
        self.spec
            .selector
            .as_ref()
            .is_some_and(|s| !s.match_labels.is_empty())
    }
}

// JSON field tables: camelCase names; `?` fields are left out when empty, as the Kubernetes
// API server leaves them out.
crate::json_struct!(decode ObjectMeta {
    "name" => name, "namespace" => namespace, "labels" => labels,
    "creationTimestamp" => creation_timestamp,
});
crate::json_struct!(encode ObjectMeta {
    "name" => name, "namespace" => namespace, "labels" => labels,
    "creationTimestamp" => creation_timestamp,
});
crate::json_struct!(decode Telemetry {
    "apiVersion" => api_version, "kind" => kind, "metadata" => metadata, "spec" => spec,
});
crate::json_struct!(encode Telemetry {
    "apiVersion" => api_version, "kind" => kind, "metadata" => metadata, "spec" => spec,
});
// The same table twice, the second without `tracing`: the macro cannot leave out one entry.
// Keep the two in step.
#[cfg(feature = "tracing")]
crate::json_struct!(decode TelemetrySpec {
    "selector" => selector, "targetRef" => target_ref, "targetRefs" => target_refs,
    "tracing" => tracing, "metrics" => metrics, "accessLogging" => access_logging,
});
#[cfg(not(feature = "tracing"))]
crate::json_struct!(decode TelemetrySpec {
    "selector" => selector, "targetRef" => target_ref, "targetRefs" => target_refs,
    "metrics" => metrics, "accessLogging" => access_logging,
});
crate::json_struct!(encode TelemetrySpec {
    "selector" => selector [optional], "targetRef" => target_ref [optional], "targetRefs" => target_refs [optional],
    "tracing" => tracing [optional], "metrics" => metrics [optional], "accessLogging" => access_logging [optional],
});
crate::json_struct!(decode WorkloadSelector { "matchLabels" => match_labels });
crate::json_struct!(encode WorkloadSelector { "matchLabels" => match_labels });
crate::json_struct!(decode PolicyTargetReference {
    "group" => group, "kind" => kind, "name" => name, "namespace" => namespace,
});
crate::json_struct!(encode PolicyTargetReference {
    "group" => group, "kind" => kind, "name" => name, "namespace" => namespace,
});
crate::json_struct!(decode ProviderRef { "name" => name });
crate::json_struct!(encode ProviderRef { "name" => name });
crate::json_enum!(WorkloadMode {
    "CLIENT_AND_SERVER" => ClientAndServer, "CLIENT" => Client, "SERVER" => Server,
});
crate::json_struct!(decode ModeSelector { "mode" => mode });
crate::json_struct!(encode ModeSelector { "mode" => mode });
crate::json_struct!(decode AccessLogging {
    "match" => match_, "providers" => providers, "disabled" => disabled, "filter" => filter,
});
crate::json_struct!(encode AccessLogging {
    "match" => match_ [optional], "providers" => providers [optional], "disabled" => disabled [optional], "filter" => filter [optional],
});
crate::json_struct!(decode AccessLogFilter { "expression" => expression });
crate::json_struct!(encode AccessLogFilter { "expression" => expression });
crate::json_struct!(decode Metrics {
    "providers" => providers, "overrides" => overrides, "reportingInterval" => reporting_interval,
});
crate::json_struct!(encode Metrics {
    "providers" => providers [optional], "overrides" => overrides [optional],
    "reportingInterval" => reporting_interval [optional],
});
crate::json_enum!(IstioMetric {
    "ALL_METRICS" => AllMetrics, "REQUEST_COUNT" => RequestCount,
    "REQUEST_DURATION" => RequestDuration, "REQUEST_SIZE" => RequestSize,
    "RESPONSE_SIZE" => ResponseSize, "TCP_OPENED_CONNECTIONS" => TcpOpenedConnections,
    "TCP_CLOSED_CONNECTIONS" => TcpClosedConnections, "TCP_SENT_BYTES" => TcpSentBytes,
    "TCP_RECEIVED_BYTES" => TcpReceivedBytes, "GRPC_REQUEST_MESSAGES" => GrpcRequestMessages,
    "GRPC_RESPONSE_MESSAGES" => GrpcResponseMessages,
});
crate::json_struct!(decode MetricSelector {
    "metric" => metric, "customMetric" => custom_metric, "mode" => mode,
});
crate::json_struct!(encode MetricSelector {
    "metric" => metric [optional], "customMetric" => custom_metric [optional], "mode" => mode,
});
crate::json_struct!(decode MetricsOverrides {
    "match" => match_, "disabled" => disabled, "tagOverrides" => tag_overrides,
});
crate::json_struct!(encode MetricsOverrides {
    "match" => match_ [optional], "disabled" => disabled [optional], "tagOverrides" => tag_overrides [optional],
});
crate::json_enum!(TagOperation { "UPSERT" => Upsert, "REMOVE" => Remove });
crate::json_struct!(decode TagOverride { "operation" => operation, "value" => value });
crate::json_struct!(encode TagOverride { "operation" => operation [optional], "value" => value [optional] });
crate::json_struct!(decode Tracing {
    "match" => match_, "providers" => providers,
    "randomSamplingPercentage" => random_sampling_percentage,
    "disableSpanReporting" => disable_span_reporting, "customTags" => custom_tags,
    "useRequestIdForTraceSampling" => use_request_id_for_trace_sampling,
    "enableIstioTags" => enable_istio_tags,
    "disableContextPropagation" => disable_context_propagation,
});
crate::json_struct!(encode Tracing {
    "match" => match_ [optional], "providers" => providers [optional],
    "randomSamplingPercentage" => random_sampling_percentage [optional],
    "disableSpanReporting" => disable_span_reporting [optional], "customTags" => custom_tags [optional],
    "useRequestIdForTraceSampling" => use_request_id_for_trace_sampling [optional],
    "enableIstioTags" => enable_istio_tags [optional],
    "disableContextPropagation" => disable_context_propagation [optional],
});
crate::json_struct!(decode CustomTag {
    "literal" => literal, "environment" => environment, "header" => header,
    "formatter" => formatter,
});
crate::json_struct!(encode CustomTag {
    "literal" => literal [optional], "environment" => environment [optional], "header" => header [optional],
    "formatter" => formatter [optional],
});
crate::json_struct!(decode LiteralTag { "value" => value });
crate::json_struct!(encode LiteralTag { "value" => value });
crate::json_struct!(decode NamedTag { "name" => name, "defaultValue" => default_value });
crate::json_struct!(encode NamedTag { "name" => name, "defaultValue" => default_value [optional] });
