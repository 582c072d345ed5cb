//! `dist/policy.component.wasm` under wasmtime's component model: the typed `meshtel:policy`
//! world (`wit/policy.wit`) bound with `bindgen!`, plus conversions from the component's results
//! back to the engine's native types so tests can compare them with `policy_wasm` directly.

use anyhow::{Context, Result};
use policy_wasm::check::{Report, ResourceReport, Summary, Verdict};
use policy_wasm::finding::{Finding, Severity};
use policy_wasm::model::{CustomTag, LiteralTag, NamedTag};
use policy_wasm::resolve::{
    AccessLogPolicy, Effective, MetricOverride, MetricsPolicy, ModeMetrics, TagPolicy,
    TracingPolicy,
};
use policy_wasm::workload::Mode;
use std::path::Path;
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, Store};

wasmtime::component::bindgen!({ path: "../wit", world: "policy" });

/// The WIT types of `meshtel:policy/engine`.
pub use exports::meshtel::policy::engine as wit;

/// A compiled policy component.
pub struct PolicyComponent {
    engine: Engine,
    component: Component,
    linker: Linker<()>,
}

impl PolicyComponent {
    /// Compiles the component at `path`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let mut config = Config::new();
        config.wasm_component_model(true);
        let engine = Engine::new(&config)?;
        let component = Component::from_file(&engine, path)
            .map_err(anyhow::Error::from)
            .with_context(|| format!("cannot load {}", path.display()))?;
        // The world imports nothing: an empty linker must do.
        let linker = Linker::new(&engine);
        Ok(PolicyComponent {
            engine,
            component,
            linker,
        })
    }

    /// A fresh instance in its own store (no state carries over between instances).
    pub fn instantiate(&self) -> Result<Instance> {
        let mut store = Store::new(&self.engine, ());
        let bindings = Policy::instantiate(&mut store, &self.component, &self.linker)?;
        Ok(Instance { store, bindings })
    }
}

/// One instance of the component.
pub struct Instance {
    store: Store<()>,
    bindings: Policy,
}

impl Instance {
    /// `check`.
    pub fn check(
        &mut self,
        sources: &[wit::Source],
        options: &wit::Options,
    ) -> Result<Result<wit::Report, wit::Error>> {
        self.bindings
            .meshtel_policy_engine()
            .call_check(&mut self.store, sources, options)
            .map_err(anyhow::Error::from)
    }

    /// `effective-config`.
    pub fn effective(
        &mut self,
        sources: &[wit::Source],
        options: &wit::Options,
        workload: &wit::Workload,
        mode: wit::Mode,
    ) -> Result<Result<wit::Effective, wit::Error>> {
        self.bindings
            .meshtel_policy_engine()
            .call_effective_config(&mut self.store, sources, options, workload, mode)
            .map_err(anyhow::Error::from)
    }

    /// `format-records`.
    pub fn format_records(
        &mut self,
        sources: &[wit::Source],
        options: &wit::Options,
        workload: &wit::Workload,
        request: &wit::Request,
    ) -> Result<Result<Vec<Vec<u8>>, wit::Error>> {
        self.bindings
            .meshtel_policy_engine()
            .call_format_records(&mut self.store, sources, options, workload, request)
            .map_err(anyhow::Error::from)
    }
}

/// Loads `dist/policy.component.wasm`, saying how to build it when it is missing.
pub fn from_dist() -> Result<PolicyComponent> {
    let path = crate::dist("policy.component.wasm");
    if !path.exists() {
        anyhow::bail!(
            "{} is missing: run `cargo xtask build` (cargo xtask test does)",
            path.display()
        );
    }
    PolicyComponent::load(path)
}

/// The component's report as the engine's native type.
pub fn native_report(r: wit::Report) -> Report {
    let s = r.summary;
    Report {
        resources: r
            .resources
            .into_iter()
            .map(|r| ResourceReport {
                source: r.source,
                api_version: r.api_version,
                kind: r.kind,
                namespace: r.namespace,
                name: r.name,
                verdict: match r.verdict {
                    wit::Verdict::Allow => Verdict::Allow,
                    wit::Verdict::Warn => Verdict::Warn,
                    wit::Verdict::Deny => Verdict::Deny,
                },
                findings: r
                    .findings
                    .into_iter()
                    .map(|f| Finding {
                        severity: match f.severity {
                            wit::Severity::Error => Severity::Error,
                            wit::Severity::Warning => Severity::Warning,
                        },
                        rule: f.rule,
                        path: f.path,
                        message: f.message,
                        hint: f.hint,
                        line: f.line.map(|l| l as usize),
                    })
                    .collect(),
            })
            .collect(),
        summary: Summary {
            resources: s.resources as usize,
            allowed: s.allowed as usize,
            warned: s.warned as usize,
            denied: s.denied as usize,
            skipped: s.skipped as usize,
            errors: s.errors as usize,
            warnings: s.warnings as usize,
        },
    }
}

/// The component's effective configuration as the engine's native type.
pub fn native_effective(e: wit::Effective) -> Effective {
    let mode_metrics = |m: wit::ModeMetrics| ModeMetrics {
        disabled: m.disabled,
        overrides: m
            .overrides
            .into_iter()
            .map(|o| MetricOverride {
                name: o.name,
                disabled: o.disabled,
                tags: o
                    .tags
                    .into_iter()
                    .map(|t| TagPolicy {
                        name: t.name,
                        remove: t.remove,
                        value: t.value,
                    })
                    .collect(),
            })
            .collect(),
    };
    let named = |n: wit::NamedTag| NamedTag {
        name: n.name,
        default_value: n.default_value,
    };
    let literal = |value: String| LiteralTag { value };
    Effective {
        mode: native_mode(e.mode),
        sources: e.sources,
        access_logging: e.access_logging.map(|list| {
            list.into_iter()
                .map(|p| AccessLogPolicy {
                    provider: p.provider,
                    filter: p.filter,
                })
                .collect()
        }),
        metrics: e
            .metrics
            .into_iter()
            .map(|m| MetricsPolicy {
                provider: m.provider,
                reporting_interval: m.reporting_interval,
                client: mode_metrics(m.client),
                server: mode_metrics(m.server),
            })
            .collect(),
        tracing: e.tracing.map(|t| TracingPolicy {
            provider: t.provider,
            disabled: t.disabled,
            random_sampling_percentage: t.random_sampling_percentage,
            custom_tags: t.custom_tags.map(|tags| {
                tags.into_iter()
                    .map(|(k, v)| {
                        let tag = CustomTag {
                            literal: v.literal.map(literal),
                            environment: v.environment.map(named),
                            header: v.header.map(named),
                            formatter: v.formatter.map(literal),
                        };
                        (k, tag)
                    })
                    .collect()
            }),
            use_request_id_for_trace_sampling: t.use_request_id_for_trace_sampling,
            enable_istio_tags: t.enable_istio_tags,
            disable_context_propagation: t.disable_context_propagation,
        }),
    }
}

/// WIT mode → native mode.
pub fn native_mode(m: wit::Mode) -> Mode {
    match m {
        wit::Mode::Client => Mode::Client,
        wit::Mode::Server => Mode::Server,
    }
}

/// Native mode → WIT mode.
pub fn wit_mode(m: Mode) -> wit::Mode {
    match m {
        Mode::Client => wit::Mode::Client,
        Mode::Server => wit::Mode::Server,
    }
}

/// A recorded fixture as the component's request type (properties passed Envoy-encoded).
pub fn wit_request(fixture: &crate::fixture::Fixture) -> wit::Request {
    use policy_wasm::attributes::HeaderMap;
    let headers = |map| fixture.header_pairs(map).to_vec();
    wit::Request {
        mode: wit_mode(Mode::from_listener_direction(
            fixture.direction().unwrap_or(0),
        )),
        request_headers: headers(HeaderMap::RequestHeaders),
        request_trailers: headers(HeaderMap::RequestTrailers),
        response_headers: headers(HeaderMap::ResponseHeaders),
        response_trailers: headers(HeaderMap::ResponseTrailers),
        properties: fixture
            .properties
            .iter()
            .map(|(path, bytes)| wit::Property {
                path: path.clone(),
                value: wit::PropertyValue::Raw(bytes.clone()),
            })
            .collect(),
    }
}
