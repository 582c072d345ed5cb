//! The part of Istio's `MeshConfig` that Telemetry resources point at: providers and defaults.

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// `MeshConfig`, reduced to the telemetry fields.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct MeshConfig {
    /// `extensionProviders`; Istio's built-ins are added by [`MeshConfig::with_builtin_providers`].
    pub extension_providers: Vec<ExtensionProvider>,
    /// `defaultProviders`.
    pub default_providers: DefaultProviders,
    /// Legacy `accessLogFile`; used only when no Telemetry configures logging.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_file: Option<String>,
    /// Legacy `accessLogFormat` for the built-in `envoy` provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_format: Option<String>,
    /// Legacy `accessLogEncoding` (`TEXT` or `JSON`) for the built-in `envoy` provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_encoding: Option<String>,
    /// `rootNamespace`; meshtel's callers usually pass it separately.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_namespace: Option<String>,
}

/// `MeshConfig.DefaultProviders`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DefaultProviders {
    /// Default tracing providers (only the first is used).
    pub tracing: Vec<String>,
    /// Default metrics providers.
    pub metrics: Vec<String>,
    /// Default access-log providers.
    pub access_logging: Vec<String>,
}

/// `MeshConfig.ExtensionProvider`: a name plus one provider kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExtensionProvider {
    /// Provider name that Telemetry resources refer to.
    pub name: String,
    /// `envoyFileAccessLog`, the provider kind meshtel's filter implements.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub envoy_file_access_log: Option<EnvoyFileAccessLog>,
    /// Every other provider kind, kept as written (`prometheus`, `zipkin`, …).
    #[serde(flatten)]
    pub other: Map<String, Value>,
}

/// `EnvoyFileAccessLogProvider`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct EnvoyFileAccessLog {
    /// Output path (`/dev/stdout` by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Text or JSON format; absent means Istio's default TEXT format.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<LogFormat>,
    /// TEXT: print `""` instead of `-`; JSON: drop null keys.
    pub omit_empty_values: bool,
}

/// `EnvoyFileAccessLogProvider.LogFormat` (a oneof).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct LogFormat {
    /// An Envoy format string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// JSON key → command operator; `{}` selects Istio's default JSON label set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub labels: Option<Map<String, Value>>,
}

impl ExtensionProvider {
    /// The provider kind's YAML key (`envoyFileAccessLog`, `prometheus`, …), or `unknown`.
    pub fn kind(&self) -> &str {
        if self.envoy_file_access_log.is_some() {
            return "envoyFileAccessLog";
        }
        self.other
            .keys()
            .next()
            .map(String::as_str)
            .unwrap_or("unknown")
    }
}

impl MeshConfig {
    /// Istio's built-in providers (`prometheus`, `stackdriver`, `envoy`), present in every mesh.
    pub fn builtin_providers() -> Vec<ExtensionProvider> {
        let with_kind = |name: &str, kind: &str| {
            let mut other = Map::new();
            other.insert(kind.to_string(), Value::Object(Map::new()));
            ExtensionProvider {
                name: name.to_string(),
                envoy_file_access_log: None,
                other,
            }
        };
        let envoy = ExtensionProvider {
            name: "envoy".to_string(),
            envoy_file_access_log: Some(EnvoyFileAccessLog {
                path: Some("/dev/stdout".to_string()),
                ..EnvoyFileAccessLog::default()
            }),
            other: Map::new(),
        };
        alloc::vec![
            with_kind("prometheus", "prometheus"),
            with_kind("stackdriver", "stackdriver"),
            envoy
        ]
    }

    /// This mesh config with Istio's built-in providers appended where no provider of that name exists.
    pub fn with_builtin_providers(mut self) -> Self {
        for builtin in Self::builtin_providers() {
            if self.provider(&builtin.name).is_none() {
                self.extension_providers.push(builtin);
            }
        }
        self
    }

    /// The provider called `name`, matched case-insensitively as istiod's `fetchProvider` does.
    pub fn provider(&self, name: &str) -> Option<&ExtensionProvider> {
        self.extension_providers
            .iter()
            .find(|p| p.name.eq_ignore_ascii_case(name))
    }
}
