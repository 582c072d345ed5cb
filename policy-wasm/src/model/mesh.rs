//! The part of Istio's `MeshConfig` that Telemetry resources point at: providers and defaults.

use crate::json::{DecodeError, DecodeInto, FromJson, Json, Map, ToJson};
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// `MeshConfig`, reduced to the telemetry fields.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MeshConfig {
    /// `extensionProviders`; Istio's built-ins are added by [`MeshConfig::with_builtin_providers`].
    pub extension_providers: Vec<ExtensionProvider>,
    /// `defaultProviders`.
    pub default_providers: DefaultProviders,
    /// Legacy `accessLogFile`; used only when no Telemetry configures logging.
    pub access_log_file: Option<String>,
    /// Legacy `accessLogFormat` for the built-in `envoy` provider.
    pub access_log_format: Option<String>,
    /// Legacy `accessLogEncoding` (`TEXT` or `JSON`) for the built-in `envoy` provider.
    pub access_log_encoding: Option<String>,
    /// `rootNamespace`; meshtel's callers usually pass it separately.
    pub root_namespace: Option<String>,
}

/// `MeshConfig.DefaultProviders`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DefaultProviders {
    /// Default tracing providers (only the first is used).
    pub tracing: Vec<String>,
    /// Default metrics providers.
    pub metrics: Vec<String>,
    /// Default access-log providers.
    pub access_logging: Vec<String>,
}

/// `MeshConfig.ExtensionProvider`: a name plus one provider kind.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ExtensionProvider {
    /// Provider name that Telemetry resources refer to.
    pub name: String,
    /// `envoyFileAccessLog`, the provider kind meshtel's filter implements.
    pub envoy_file_access_log: Option<EnvoyFileAccessLog>,
    /// Every other provider kind, kept as written (`prometheus`, `zipkin`, …).
    pub other: Map,
}

/// `EnvoyFileAccessLogProvider`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnvoyFileAccessLog {
    /// Output path (`/dev/stdout` by default).
    pub path: Option<String>,
    /// Text or JSON format; absent means Istio's default TEXT format.
    pub log_format: Option<LogFormat>,
    /// TEXT: print `""` instead of `-`; JSON: drop null keys.
    pub omit_empty_values: bool,
}

/// `EnvoyFileAccessLogProvider.LogFormat` (a oneof).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LogFormat {
    /// An Envoy format string.
    pub text: Option<String>,
    /// JSON key → command operator; `{}` selects Istio's default JSON label set.
    pub labels: Option<Map>,
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
            other.insert(kind.to_string(), Json::Object(Map::new()));
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

crate::json_struct!(decode MeshConfig {
    "extensionProviders" => extension_providers, "defaultProviders" => default_providers,
    "accessLogFile" => access_log_file, "accessLogFormat" => access_log_format,
    "accessLogEncoding" => access_log_encoding, "rootNamespace" => root_namespace,
});
crate::json_struct!(encode MeshConfig {
    "extensionProviders" => extension_providers, "defaultProviders" => default_providers,
    "accessLogFile" => access_log_file [optional], "accessLogFormat" => access_log_format [optional],
    "accessLogEncoding" => access_log_encoding [optional], "rootNamespace" => root_namespace [optional],
});
crate::json_struct!(decode DefaultProviders {
    "tracing" => tracing, "metrics" => metrics, "accessLogging" => access_logging,
});
crate::json_struct!(encode DefaultProviders {
    "tracing" => tracing, "metrics" => metrics, "accessLogging" => access_logging,
});
crate::json_struct!(decode EnvoyFileAccessLog {
    "path" => path, "logFormat" => log_format, "omitEmptyValues" => omit_empty_values,
});
crate::json_struct!(encode EnvoyFileAccessLog {
    "path" => path [optional], "logFormat" => log_format [optional], "omitEmptyValues" => omit_empty_values,
});
crate::json_struct!(decode LogFormat { "text" => text, "labels" => labels });
crate::json_struct!(encode LogFormat { "text" => text [optional], "labels" => labels [optional] });

const NAME: &str = "name";
const ENVOY_FILE_ACCESS_LOG: &str = "envoyFileAccessLog";

// `other` is serde's `flatten`: every member but the two named ones, kept as written.
impl DecodeInto for ExtensionProvider {
    fn decode_into(&mut self, value: &Json) -> Result<(), DecodeError> {
        let map = crate::json::decode_fields(value, "ExtensionProvider")?;
        crate::json::decode_struct(
            map,
            &[(NAME, true), (ENVOY_FILE_ACCESS_LOG, false)],
            &mut [&mut self.name, &mut self.envoy_file_access_log],
        )?;
        self.other = map
            .iter()
            .filter(|(k, _)| *k != NAME && *k != ENVOY_FILE_ACCESS_LOG)
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        Ok(())
    }
}

impl FromJson for ExtensionProvider {
    fn from_json(value: &Json) -> Result<Self, DecodeError> {
        crate::json::decode_new(value)
    }
}

impl ToJson for ExtensionProvider {
    fn to_json(&self) -> Json {
        let mut map = Map::new();
        crate::json::put(&mut map, NAME, &self.name, false);
        crate::json::put(
            &mut map,
            ENVOY_FILE_ACCESS_LOG,
            &self.envoy_file_access_log,
            true,
        );
        for (k, v) in &self.other {
            map.push(k.clone(), v.clone());
        }
        Json::Object(map)
    }
}
