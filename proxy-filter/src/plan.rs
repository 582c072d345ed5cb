//! What the filter does per request, compiled once at configure time from the effective
//! configuration of its workload in both modes.

use crate::config::Parsed;
use policy_wasm::accesslog::{ISTIO_TEXT_FORMAT, TextFormatter};
use policy_wasm::attributes::AttributeSource;
use policy_wasm::model::MeshConfig;
use policy_wasm::resolve::{AccessLogPolicy, Scene, resolve};
use policy_wasm::workload::{Mode, Workload};

/// One access-log output: a provider's formatter.
#[derive(Debug)]
pub struct Sink {
    /// Record formatter.
    pub formatter: TextFormatter,
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
    pub fn build(config: &Parsed, workload: &Workload) -> Result<Plan, String> {
        let scene = Scene {
            telemetries: &config.telemetries,
            mesh: &config.mesh,
            root_namespace: &config.root_namespace,
        };
        let mut plan = Plan::default();
        for mode in Mode::BOTH {
            let effective = resolve(&scene, workload, mode);
            let mut sinks = Vec::new();
            for policy in effective.access_logging.unwrap_or_default() {
                if let Some(sink) = sink_for(&config.mesh, &policy, mode, &mut plan.warnings)? {
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
        self.sinks(mode)
            .iter()
            .map(|sink| {
                let mut out = Vec::with_capacity(512);
                sink.formatter.render(attrs, &mut out);
                out
            })
            .collect()
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
            "access-log provider {:?} is not defined in meshConfig.extensionProviders; ignored",
            policy.provider
        ));
        return Ok(None);
    };
    let Some(file_log) = &provider.envoy_file_access_log else {
        warnings.push(format!(
            "access-log provider {:?} is of kind {}, which this filter does not serve; ignored",
            provider.name,
            provider.kind()
        ));
        return Ok(None);
    };
    if let Some(filter) = &policy.filter {
        return Err(format!(
            "access-log provider {:?} ({} mode) has filter {filter:?}: CEL filters are not supported by this build yet",
            provider.name,
            mode.as_str()
        ));
    }
    let format = match &file_log.log_format {
        Some(f) if f.labels.is_some() => {
            return Err(format!(
                "access-log provider {:?}: logFormat.labels (JSON) is not supported by this build yet",
                provider.name
            ));
        }
        Some(f) => f.text.clone(),
        None => None,
    };
    let format = format.or_else(|| legacy_format(mesh, &provider.name, file_log.omit_empty_values));
    let formatter = TextFormatter::new(
        format.as_deref().unwrap_or(ISTIO_TEXT_FORMAT),
        file_log.omit_empty_values,
    )
    .map_err(|e| {
        format!(
            "access-log provider {:?}: logFormat.text: {e}",
            provider.name
        )
    })?;
    Ok(Some(Sink { formatter }))
}

/// istiod formats the built-in `envoy` provider with the legacy MeshConfig `accessLogFormat` when
/// the provider sets neither `logFormat` nor `omitEmptyValues`.
fn legacy_format(mesh: &MeshConfig, provider: &str, omit_empty_values: bool) -> Option<String> {
    if provider == "envoy" && !omit_empty_values {
        mesh.access_log_format.clone().filter(|f| !f.is_empty())
    } else {
        None
    }
}
