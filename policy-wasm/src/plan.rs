//! The access-log plan: what records a workload writes per request, compiled once from its
//! effective configuration in both modes. The proxy filter runs it per request; the playground and
//! `meshtel` run the very same code to preview records.

use crate::accesslog::{Formatter, ISTIO_TEXT_FORMAT, JsonFormatter, TextFormatter};
use crate::attributes::AttributeSource;
use crate::cel::{Program, Value as CelValue};
use crate::json::{Json, Map};
use crate::model::{LogFormat, MeshConfig};
use crate::quote::Quoted;
use crate::resolve::{AccessLogPolicy, Scene, applicable_telemetries, merge_access_logging};
use crate::workload::{Mode, Workload};
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// One access-log output: a provider's formatter and the rule's CEL filter.
#[derive(Debug)]
pub struct Sink {
    /// Record formatter.
    pub formatter: Formatter,
    /// Log only when this evaluates to `true`; an error or a non-bool means no record, as in
    /// Envoy's CEL access-log filter.
    pub filter: Option<Program>,
}

impl Sink {
    /// True when the request passes the filter (or there is none).
    pub fn admits(&self, attrs: &dyn AttributeSource) -> bool {
        match &self.filter {
            None => true,
            Some(program) => matches!(program.evaluate(attrs), Ok(CelValue::Bool(true))),
        }
    }
}

/// Sinks per mode.
#[derive(Debug, Default)]
pub struct Plan {
    /// Outbound (CLIENT) requests.
    pub client: Vec<Sink>,
    /// Inbound (SERVER) requests.
    pub server: Vec<Sink>,
    /// Configure-time notes worth a warning (providers this filter does not serve).
    pub warnings: Vec<String>,
}

impl Plan {
    /// Resolves and compiles the plan for `workload`; an error is one line naming what is wrong.
    /// `scene.mesh` must include Istio's built-in providers.
    pub fn build(scene: &Scene<'_>, workload: &Workload) -> Result<Plan, String> {
        let mut plan = Plan::default();
        // Only the access-logging part of `resolve`: the plan needs neither metrics nor tracing.
        let applicable = applicable_telemetries(scene, workload);
        for mode in Mode::BOTH {
            let policies = merge_access_logging(&applicable, scene.mesh, mode);
            let mut sinks = Vec::new();
            for policy in policies.unwrap_or_default() {
                if let Some(sink) = sink_for(scene.mesh, &policy, mode, &mut plan.warnings)? {
                    sinks.push(sink);
                }
            }
            match mode {
                Mode::Client => plan.client = sinks,
                Mode::Server => plan.server = sinks,
            }
        }
        Ok(plan)
    }

    /// The sinks for a request in `mode`.
    pub fn sinks(&self, mode: Mode) -> &[Sink] {
        match mode {
            Mode::Client => &self.client,
            Mode::Server => &self.server,
        }
    }

    /// Renders the records of one request; each is one complete access-log line without newline.
    pub fn records(&self, mode: Mode, attrs: &dyn AttributeSource) -> Vec<Vec<u8>> {
        let mut records = Vec::new();
        self.for_each_record(mode, attrs, &mut Vec::new(), |r| records.push(r.to_vec()));
        records
    }

    /// Renders the records of one request in turn into `buffer` (cleared first; a caller that
    /// keeps it allocates nothing per request) and hands each to `emit`.
    pub fn for_each_record(
        &self,
        mode: Mode,
        attrs: &dyn AttributeSource,
        buffer: &mut Vec<u8>,
        mut emit: impl FnMut(&[u8]),
    ) {
        for sink in self.sinks(mode).iter().filter(|sink| sink.admits(attrs)) {
            buffer.clear();
            sink.formatter.render(attrs, buffer);
            emit(buffer);
        }
    }
}

fn sink_for(
    mesh: &MeshConfig,
    policy: &AccessLogPolicy,
    mode: Mode,
    warnings: &mut Vec<String>,
) -> Result<Option<Sink>, String> {
    let Some(provider) = mesh.provider(&policy.provider) else {
        // istiod skips providers it cannot find; say so once.
        warnings.push(format!(
            "access-log provider {} is not defined in meshConfig.extensionProviders; ignored",
            Quoted(&policy.provider)
        ));
        return Ok(None);
    };
    let Some(file_log) = &provider.envoy_file_access_log else {
        warnings.push(format!(
            "access-log provider {} is of kind {}, which this filter does not serve; ignored",
            Quoted(&provider.name),
            provider.kind()
        ));
        return Ok(None);
    };
    let filter = match &policy.filter {
        None => None,
        Some(expr) => Some(Program::compile(expr).map_err(|e| {
            format!(
                "access-log provider {} ({} mode): filter {} does not parse at column {}: {}",
                Quoted(&provider.name),
                mode.as_str(),
                Quoted(expr),
                e.column,
                e.reason
            )
        })?),
    };
    let omit = file_log.omit_empty_values;
    let named = |e: String| format!("access-log provider {}: {e}", Quoted(&provider.name));
    let formatter = match &file_log.log_format {
        Some(LogFormat {
            labels: Some(labels),
            ..
        }) => json_formatter(labels, omit).map_err(named)?,
        Some(LogFormat {
            text: Some(text), ..
        }) => text_formatter(text, omit).map_err(named)?,
        _ if provider.name == "envoy" && !omit => legacy_formatter(mesh).map_err(named)?,
        _ => Formatter::Text(TextFormatter::istio_default_with(omit)),
    };
    Ok(Some(Sink { formatter, filter }))
}

fn text_formatter(format: &str, omit: bool) -> Result<Formatter, String> {
    let format = if format.is_empty() {
        ISTIO_TEXT_FORMAT
    } else {
        format
    };
    TextFormatter::new(format, omit)
        .map(Formatter::Text)
        .map_err(|e| format!("logFormat.text: {e}"))
}

fn json_formatter(labels: &Map, omit: bool) -> Result<Formatter, String> {
    if labels.is_empty() {
        return Ok(Formatter::Json(JsonFormatter::istio_default(omit)));
    }
    let mut pairs = Vec::with_capacity(labels.len());
    for (key, value) in labels {
        let Json::String(format) = value else {
            return Err(format!(
                "logFormat.labels.{key}: only string values (format strings) are supported"
            ));
        };
        pairs.push((key.as_str(), format.as_str()));
    }
    JsonFormatter::new(&pairs, omit)
        .map(Formatter::Json)
        .map_err(|(key, e)| format!("logFormat.labels.{key}: {e}"))
}

/// istiod formats the built-in `envoy` provider with the legacy MeshConfig `accessLogFormat` and
/// `accessLogEncoding` when the provider sets neither `logFormat` nor `omitEmptyValues`.
fn legacy_formatter(mesh: &MeshConfig) -> Result<Formatter, String> {
    let format = mesh.access_log_format.as_deref().unwrap_or("");
    if mesh.access_log_encoding.as_deref() == Some("JSON") {
        let labels: Map = if format.is_empty() {
            Map::new()
        } else {
            crate::json::from_str(format)
                .map_err(|e| format!("meshConfig.accessLogFormat is not a JSON object: {e}"))?
        };
        return json_formatter(&labels, false);
    }
    text_formatter(format, false)
}
