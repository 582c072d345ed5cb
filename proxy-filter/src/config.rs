//! The plugin configuration a `WasmPlugin`'s `pluginConfig` carries.

use policy_wasm::json::{DecodeError, DecodeInto, FromJson, Json};
use policy_wasm::model::{MeshConfig, Telemetry};
use policy_wasm::quote::Quoted;
use policy_wasm::workload::Workload;

/// Root namespace when the configuration does not name one (upstream Istio's default).
pub const DEFAULT_ROOT_NAMESPACE: &str = "istio-system";

/// `pluginConfig` as written by the operator.
#[derive(Debug, Default)]
pub struct PluginConfig {
    /// Istio's root namespace (`aks-istio-system` on AKS).
    pub root_namespace: Option<String>,
    /// Extension providers and default providers.
    pub mesh_config: MeshConfig,
    /// Telemetry objects as `kubectl get telemetry -A -o json` prints their items.
    pub telemetry: Vec<Json>,
    /// The workload this sidecar serves; read from the node metadata when absent.
    pub workload: Option<Workload>,
}

policy_wasm::json_struct!(decode_strict PluginConfig {
    "rootNamespace" => root_namespace, "meshConfig" => mesh_config, "telemetry" => telemetry,
    "workload" => workload,
});

/// A configuration parsed and checked far enough to resolve.
#[derive(Debug)]
pub struct Parsed {
    /// Root namespace.
    pub root_namespace: String,
    /// Mesh config with Istio's built-in providers added.
    pub mesh: MeshConfig,
    /// The Telemetry resources.
    pub telemetries: Vec<Telemetry>,
    /// The workload, when the configuration names it.
    pub workload: Option<Workload>,
}

fn plugin_config(bytes: &[u8]) -> Result<PluginConfig, DecodeError> {
    PluginConfig::from_json(&policy_wasm::json::parse_bytes(bytes)?)
}

/// Parses the plugin configuration bytes; the error is one line saying what is wrong and where.
pub fn parse(bytes: &[u8]) -> Result<Parsed, String> {
    let config =
        plugin_config(bytes).map_err(|e| format!("plugin configuration is not valid: {e}"))?;
    let mut telemetries: Vec<Telemetry> = Vec::with_capacity(config.telemetry.len());
    for (i, value) in config.telemetry.iter().enumerate() {
        let mut telemetry = Telemetry::default();
        telemetry
            .decode_into(value)
            .map_err(|e| format!("plugin configuration telemetry[{i}] is not a Telemetry: {e}"))?;
        if !Telemetry::is_telemetry(&telemetry.api_version, &telemetry.kind) {
            return Err(format!(
                "plugin configuration telemetry[{i}] has apiVersion {} kind {}, expected telemetry.istio.io Telemetry",
                Quoted(&telemetry.api_version),
                Quoted(&telemetry.kind)
            ));
        }
        telemetries.push(telemetry);
    }
    Ok(Parsed {
        root_namespace: config
            .root_namespace
            .unwrap_or_else(|| DEFAULT_ROOT_NAMESPACE.to_string()),
        mesh: config.mesh_config.with_builtin_providers(),
        telemetries,
        workload: config.workload,
    })
}
