//! meshtel's engine as a component (`wit/policy.wit`, world `meshtel:policy/policy`): typed WIT in,
//! typed WIT out, over `policy_wasm` — no logic of its own beyond converting types.
//! `cargo xtask build` compiles it for wasm32-unknown-unknown and wraps the core module with
//! `wit-component` into `dist/policy.component.wasm`.

use exports::meshtel::policy::engine as wit;
use policy_wasm::attributes::{AttributeSource, Bytes, HeaderMap, encode_i64, encode_pairs};
use policy_wasm::check::{self, Options, Report, Source};
use policy_wasm::finding::{Finding, Severity};
use policy_wasm::input::{self, InputError};
use policy_wasm::model::{CustomTag, MeshConfig, NamedTag, Telemetry};
use policy_wasm::plan::Plan;
use policy_wasm::resolve::{self, Effective, Scene};
use policy_wasm::scope::Scope;
use policy_wasm::workload::{Mode, Workload};
use std::collections::BTreeMap;

wit_bindgen::generate!({ path: "../../../wit", world: "policy" });

struct Component;
export!(Component);

impl wit::Guest for Component {
    fn check(sources: Vec<wit::Source>, options: wit::Options) -> Result<wit::Report, wit::Error> {
        let options = native_options(options)?;
        let report = check::check_sources(&borrow(&sources), &options).map_err(input_error)?;
        Ok(report_to_wit(report))
    }

    fn effective_config(
        sources: Vec<wit::Source>,
        options: wit::Options,
        workload: wit::Workload,
        mode: wit::Mode,
    ) -> Result<wit::Effective, wit::Error> {
        let options = native_options(options)?;
        let (telemetries, mesh) = scene_parts(&sources, &options)?;
        let scene = Scene {
            telemetries: &telemetries,
            mesh: &mesh,
            root_namespace: options.root_namespace(),
        };
        let effective = resolve::resolve(&scene, &native_workload(workload), native_mode(mode));
        Ok(effective_to_wit(effective))
    }

    fn format_records(
        sources: Vec<wit::Source>,
        options: wit::Options,
        workload: wit::Workload,
        request: wit::Request,
    ) -> Result<Vec<Vec<u8>>, wit::Error> {
        let options = native_options(options)?;
        let (telemetries, mesh) = scene_parts(&sources, &options)?;
        let scene = Scene {
            telemetries: &telemetries,
            mesh: &mesh,
            root_namespace: options.root_namespace(),
        };
        let plan = Plan::build(&scene, &native_workload(workload)).map_err(wit::Error::Plan)?;
        let mode = native_mode(request.mode);
        let request = Request::from_wit(request);
        Ok(plan.records(mode, &request))
    }
}

fn borrow(sources: &[wit::Source]) -> Vec<Source<'_>> {
    sources
        .iter()
        .map(|s| Source {
            text: &s.text,
            name: &s.name,
        })
        .collect()
}

/// The checked resources in istiod's order and the mesh config with the built-in providers.
fn scene_parts(
    sources: &[wit::Source],
    options: &Options,
) -> Result<(Vec<Telemetry>, MeshConfig), wit::Error> {
    let (checked, _) = check::check_resources(&borrow(sources), options).map_err(input_error)?;
    let mut telemetries: Vec<Telemetry> = checked.into_iter().map(|c| c.telemetry).collect();
    resolve::sort_like_istiod(&mut telemetries);
    Ok((telemetries, options.mesh_with_builtins()))
}

fn input_error(e: InputError) -> wit::Error {
    let column = match &e {
        InputError::Syntax { column, .. } | InputError::Utf8 { column, .. } => Some(*column as u32),
        InputError::TooLarge { .. } => None,
    };
    wit::Error::Input(wit::InputError {
        message: e.to_string(),
        line: e.line().map(|l| l as u32),
        column,
    })
}

fn native_options(o: wit::Options) -> Result<Options, wit::Error> {
    let scope = match o.scope {
        wit::Scope::Aks => Scope::aks(),
        wit::Scope::Istio => Scope::istio(),
        wit::Scope::Custom(text) => {
            Scope::parse(&text, "scope").map_err(|e| wit::Error::Scope(e.to_string()))?
        }
    };
    let mesh = match o.mesh_config {
        Some(text) => parse_mesh(&text).map_err(wit::Error::MeshConfig)?,
        None => MeshConfig::default(),
    };
    Ok(Options {
        scope,
        mesh,
        revision: o.revision,
        root_namespace: o.root_namespace.unwrap_or_default(),
        warnings_deny: o.warnings_deny,
        workloads: o.workloads.into_iter().map(native_workload).collect(),
    })
}

/// A MeshConfig, or a ConfigMap whose `data.mesh` holds one (as `meshtel check --mesh-config`).
fn parse_mesh(text: &str) -> Result<MeshConfig, String> {
    let first = |text: &str, name: &str| -> Result<policy_wasm::json::Json, String> {
        let objects = input::parse(text, name).map_err(|e| e.to_string())?;
        Ok(objects
            .into_iter()
            .next()
            .map(|o| o.value)
            .unwrap_or_default())
    };
    let mut value = first(text, "meshConfig")?;
    if let Some(inner) = value.pointer("/data/mesh").and_then(|m| m.as_str()) {
        value = first(inner, "meshConfig (data.mesh)")?;
    }
    if value.is_null() {
        return Ok(MeshConfig::default());
    }
    policy_wasm::json::FromJson::from_json(&value)
        .map_err(|e| format!("meshConfig: not a MeshConfig: {e}"))
}

fn native_workload(w: wit::Workload) -> Workload {
    Workload {
        namespace: w.namespace,
        name: w.name,
        labels: w.labels.into_iter().collect(),
    }
}

fn native_mode(m: wit::Mode) -> Mode {
    match m {
        wit::Mode::Client => Mode::Client,
        wit::Mode::Server => Mode::Server,
    }
}

fn report_to_wit(r: Report) -> wit::Report {
    let s = r.summary;
    wit::Report {
        resources: r
            .resources
            .into_iter()
            .map(|r| wit::ResourceReport {
                source: r.source,
                api_version: r.api_version,
                kind: r.kind,
                namespace: r.namespace,
                name: r.name,
                verdict: match r.verdict {
                    check::Verdict::Allow => wit::Verdict::Allow,
                    check::Verdict::Warn => wit::Verdict::Warn,
                    check::Verdict::Deny => wit::Verdict::Deny,
                },
                findings: r.findings.into_iter().map(finding_to_wit).collect(),
            })
            .collect(),
        summary: wit::Summary {
            resources: s.resources as u32,
            allowed: s.allowed as u32,
            warned: s.warned as u32,
            denied: s.denied as u32,
            skipped: s.skipped as u32,
            errors: s.errors as u32,
            warnings: s.warnings as u32,
        },
    }
}

fn finding_to_wit(f: Finding) -> wit::Finding {
    wit::Finding {
        severity: match f.severity {
            Severity::Error => wit::Severity::Error,
            Severity::Warning => wit::Severity::Warning,
        },
        rule: f.rule,
        path: f.path,
        message: f.message,
        hint: f.hint,
        line: f.line.map(|l| l as u32),
    }
}

fn effective_to_wit(e: Effective) -> wit::Effective {
    let mode_metrics = |m: resolve::ModeMetrics| wit::ModeMetrics {
        disabled: m.disabled,
        overrides: m
            .overrides
            .into_iter()
            .map(|o| wit::MetricOverride {
                name: o.name,
                disabled: o.disabled,
                tags: o
                    .tags
                    .into_iter()
                    .map(|t| wit::TagPolicy {
                        name: t.name,
                        remove: t.remove,
                        value: t.value,
                    })
                    .collect(),
            })
            .collect(),
    };
    let named = |n: NamedTag| wit::NamedTag {
        name: n.name,
        default_value: n.default_value,
    };
    let custom = |t: CustomTag| wit::CustomTag {
        literal: t.literal.map(|l| l.value),
        environment: t.environment.map(named),
        header: t.header.map(named),
        formatter: t.formatter.map(|l| l.value),
    };
    wit::Effective {
        mode: match e.mode {
            Mode::Client => wit::Mode::Client,
            Mode::Server => wit::Mode::Server,
        },
        sources: e.sources,
        access_logging: e.access_logging.map(|list| {
            list.into_iter()
                .map(|p| wit::AccessLogPolicy {
                    provider: p.provider,
                    filter: p.filter,
                })
                .collect()
        }),
        metrics: e
            .metrics
            .into_iter()
            .map(|m| wit::MetricsPolicy {
                provider: m.provider,
                reporting_interval: m.reporting_interval,
                client: mode_metrics(m.client),
                server: mode_metrics(m.server),
            })
            .collect(),
        tracing: e.tracing.map(|t| wit::TracingPolicy {
            provider: t.provider,
            disabled: t.disabled,
            random_sampling_percentage: t.random_sampling_percentage,
            custom_tags: t
                .custom_tags
                .map(|tags| tags.into_iter().map(|(k, v)| (k, custom(v))).collect()),
            use_request_id_for_trace_sampling: t.use_request_id_for_trace_sampling,
            enable_istio_tags: t.enable_istio_tags,
            disable_context_propagation: t.disable_context_propagation,
        }),
    }
}

/// A request's attributes, Envoy-encoded, served to the access-log plan.
struct Request {
    properties: BTreeMap<Vec<String>, Vec<u8>>,
    headers: [Vec<(String, Vec<u8>)>; 4],
}

impl Request {
    fn from_wit(r: wit::Request) -> Request {
        let properties = r
            .properties
            .into_iter()
            .map(|p| {
                let bytes = match p.value {
                    wit::PropertyValue::Text(s) => s.into_bytes(),
                    wit::PropertyValue::Int(n)
                    | wit::PropertyValue::TimestampNs(n)
                    | wit::PropertyValue::DurationNs(n) => encode_i64(n),
                    wit::PropertyValue::Uint(n) => n.to_le_bytes().to_vec(),
                    wit::PropertyValue::Boolean(b) => vec![u8::from(b)],
                    wit::PropertyValue::Pairs(pairs) => encode_pairs(&pairs),
                    wit::PropertyValue::Raw(bytes) => bytes,
                };
                (p.path, bytes)
            })
            .collect();
        let lower = |h: Vec<(String, Vec<u8>)>| {
            h.into_iter()
                .map(|(k, v)| (k.to_ascii_lowercase(), v))
                .collect()
        };
        Request {
            properties,
            headers: [
                lower(r.request_headers),
                lower(r.request_trailers),
                lower(r.response_headers),
                lower(r.response_trailers),
            ],
        }
    }
}

impl AttributeSource for Request {
    fn property(&self, path: &[&str]) -> Option<Bytes<'_>> {
        self.properties
            .iter()
            .find(|(k, _)| k.iter().map(String::as_str).eq(path.iter().copied()))
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }

    fn header(&self, map: HeaderMap, name: &str) -> Option<Bytes<'_>> {
        let index = match map {
            HeaderMap::RequestHeaders => 0,
            HeaderMap::RequestTrailers => 1,
            HeaderMap::ResponseHeaders => 2,
            HeaderMap::ResponseTrailers => 3,
        };
        self.headers[index]
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| Bytes::Borrowed(v.as_slice()))
    }
}
