//! The top-level check: input documents in, per-resource verdicts and findings out.

use crate::analyze;
use crate::finding::{Finding, Severity};
use crate::input::{self, InputError, Object};
use crate::json::{FromJson, Json};
use crate::model::{MeshConfig, ObjectMeta, Telemetry, TelemetrySpec, VERSIONS};
use crate::schema;
use crate::scope::Scope;
use crate::sorted_map::SortedMap;
use crate::validate;
use crate::workload::Workload;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

/// Everything a check needs besides the resources.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Support scope (`Scope::aks()`, `Scope::istio()` or a user file).
    pub scope: Scope,
    /// Mesh config; Istio's built-in providers are added by the check.
    pub mesh: MeshConfig,
    /// The cluster's control-plane revision (`asm-1-22`), if known; a resource's `istio.io/rev`
    /// label takes precedence.
    pub revision: Option<String>,
    /// Root namespace; empty means the scope's, else `istio-system`.
    pub root_namespace: String,
    /// Treat warnings as denials.
    pub warnings_deny: bool,
    /// Workloads known to exist, for the selector analysis (IST0101, IST0159).
    pub workloads: Vec<Workload>,
}

impl Options {
    /// Options for `scope` with everything else defaulted.
    pub fn for_scope(scope: Scope) -> Options {
        // Not `..Options::default()`: that would build the default scope only to drop it.
        Options {
            scope,
            mesh: MeshConfig::default(),
            revision: None,
            root_namespace: String::new(),
            warnings_deny: false,
            workloads: Vec::new(),
        }
    }

    /// The root namespace in effect.
    pub fn root_namespace(&self) -> &str {
        if !self.root_namespace.is_empty() {
            return &self.root_namespace;
        }
        self.scope
            .root_namespace
            .as_deref()
            .unwrap_or("istio-system")
    }

    /// The mesh config with Istio's built-in providers.
    pub fn mesh_with_builtins(&self) -> MeshConfig {
        self.mesh.clone().with_builtin_providers()
    }
}

/// The outcome for one resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// No findings that matter.
    Allow,
    /// Admitted with warnings.
    Warn,
    /// Rejected.
    Deny,
}

/// One checked resource.
#[derive(Debug, Clone)]
pub struct ResourceReport {
    /// Where it came from (`file.yaml`, `file.yaml#2` for the third document).
    pub source: String,
    /// `apiVersion` as written.
    pub api_version: String,
    /// `kind` as written.
    pub kind: String,
    /// Namespace (empty when neither the object nor an AdmissionReview said).
    pub namespace: String,
    /// Name.
    pub name: String,
    /// allow / warn / deny.
    pub verdict: Verdict,
    /// Findings, in rule order of discovery.
    pub findings: Vec<Finding>,
}

/// Counts over a report.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Summary {
    /// Telemetry resources checked.
    pub resources: usize,
    /// Resources allowed without warnings.
    pub allowed: usize,
    /// Resources allowed with warnings.
    pub warned: usize,
    /// Resources denied.
    pub denied: usize,
    /// Objects that are not Telemetry resources and were skipped.
    pub skipped: usize,
    /// Error findings.
    pub errors: usize,
    /// Warning findings.
    pub warnings: usize,
}

/// The result of a check.
#[derive(Debug, Clone)]
pub struct Report {
    /// One entry per Telemetry resource.
    pub resources: Vec<ResourceReport>,
    /// Counts.
    pub summary: Summary,
}

impl Report {
    /// True when some resource is denied.
    pub fn denied(&self) -> bool {
        self.summary.denied > 0
    }
}

/// One input text and its name.
#[derive(Debug, Clone, Copy)]
pub struct Source<'a> {
    /// The text (YAML or JSON).
    pub text: &'a str,
    /// Its name in findings (`file.yaml`, `-`).
    pub name: &'a str,
}

/// A checked Telemetry with its typed form, for cross-resource analysis and resolution.
#[derive(Debug, Clone)]
pub struct Checked {
    /// The report entry.
    pub report: ResourceReport,
    /// The typed resource built from the cleaned spec.
    pub telemetry: Telemetry,
    /// The object it came from (for line numbers).
    pub object: Object,
}

/// Checks one text (all its documents, with cross-resource analysis among them).
pub fn check_text(text: &str, source: &str, options: &Options) -> Result<Report, InputError> {
    check_sources(&[Source { text, name: source }], options)
}

/// Checks several texts together, so cross-resource analysis sees all of them.
pub fn check_sources(sources: &[Source<'_>], options: &Options) -> Result<Report, InputError> {
    let (checked, skipped) = check_resources(sources, options)?;
    Ok(report(checked, skipped, options))
}

/// Checks resources already parsed as JSON (an admission request's object, say): the same checks
/// as [`check_text`] without reading text, so findings carry no line.
pub fn check_json(value: Json, source: &str, options: &Options) -> Report {
    let (checked, skipped) = check_objects([(input::from_json(value), source)], options);
    report(checked, skipped, options)
}

/// Checks documents already parsed as JSON as one source, the way [`check_text`] checks the
/// documents of a text (same numbering and names, cross-resource analysis among them), without
/// lines. This is the path of hosts that hand JSON and must not carry a YAML reader.
pub fn check_documents(documents: Vec<Json>, source: &str, options: &Options) -> Report {
    let (checked, skipped) = check_objects([(input::from_documents(documents), source)], options);
    report(checked, skipped, options)
}

/// Parses and checks every resource without building the report (used by `resolve` callers that
/// also want the typed resources). Returns the checked resources and the count of skipped objects.
pub fn check_resources(
    sources: &[Source<'_>],
    options: &Options,
) -> Result<(Vec<Checked>, usize), InputError> {
    let mut parsed = Vec::with_capacity(sources.len());
    for source in sources {
        parsed.push((input::parse(source.text, source.name)?, source.name));
    }
    Ok(check_objects(parsed, options))
}

/// Checks the objects of each named source, then analyses them together.
fn check_objects<'s>(
    sources: impl IntoIterator<Item = (Vec<Object>, &'s str)>,
    options: &Options,
) -> (Vec<Checked>, usize) {
    let mesh = options.mesh_with_builtins();
    let mut checked = Vec::new();
    let mut skipped = 0;
    for (objects, source) in sources {
        let multi = objects.len() > 1 || objects.iter().any(|o| !o.prefix.is_empty());
        for object in objects {
            if !is_telemetry_kind(&object) {
                skipped += 1;
                continue;
            }
            let name = if multi {
                format!("{}#{}", source, describe_position(&object))
            } else {
                source.to_string()
            };
            checked.push(check_object(object, name, &mesh, options));
        }
    }
    let telemetries: Vec<&Telemetry> = checked.iter().map(|c| &c.telemetry).collect();
    for (index, finding) in analyze::analyze(&telemetries, options) {
        let c = &mut checked[index];
        let mut finding = finding;
        finding.line = c.object.line(&finding.path);
        c.report.findings.push(finding);
    }
    (checked, skipped)
}

fn describe_position(object: &Object) -> String {
    if object.prefix.is_empty() {
        object.document.to_string()
    } else {
        format!("{}/{}", object.document, object.prefix)
    }
}

/// True for objects of group `telemetry.istio.io` and kind `Telemetry` (any version).
fn is_telemetry_kind(object: &Object) -> bool {
    object.kind() == "Telemetry"
        && object
            .api_version()
            .split_once('/')
            .is_some_and(|(g, _)| g == crate::model::GROUP)
}

fn check_object(object: Object, source: String, mesh: &MeshConfig, options: &Options) -> Checked {
    let mut findings = Vec::new();
    let api_version = object.api_version().to_string();
    let version = api_version.split_once('/').map_or("", |(_, v)| v);
    if !VERSIONS.contains(&version) || version == "v1beta1" {
        findings.push(
            Finding::error(
                "schema.api-version",
                "apiVersion",
                format!("`{api_version}` is not served: Istio's Telemetry CRD serves telemetry.istio.io/v1 and v1alpha1"),
            )
            .with_hint("use `apiVersion: telemetry.istio.io/v1`"),
        );
    }
    let (schema_findings, spec) = schema::check(&object.value);
    findings.extend(schema_findings);
    let raw_spec = object.value.get("spec").cloned().unwrap_or(Json::Null);
    findings.extend(validate::validate(&raw_spec));
    findings.extend(validate::check_providers(&raw_spec, mesh));
    findings.extend(options.scope.classify(&spec));
    let meta = metadata(&object);
    let revision = meta
        .labels
        .get("istio.io/rev")
        .cloned()
        .or_else(|| options.revision.clone());
    if let Some(revision) = revision {
        findings.extend(options.scope.check_revision(&api_version, &revision));
    }
    for finding in &mut findings {
        finding.line = object.line(&finding.path);
    }
    let spec = TelemetrySpec::from_json(&spec).unwrap_or_default();
    let telemetry = Telemetry {
        api_version: api_version.clone(),
        kind: object.kind().to_string(),
        metadata: meta,
        spec,
    };
    let report = ResourceReport {
        source,
        api_version,
        kind: object.kind().to_string(),
        namespace: object.namespace().to_string(),
        name: object.name().to_string(),
        verdict: Verdict::Allow,
        findings,
    };
    Checked {
        report,
        telemetry,
        object,
    }
}

/// The metadata Istio uses, read leniently (label values of any scalar type become strings).
fn metadata(object: &Object) -> ObjectMeta {
    let meta = object.value.get("metadata");
    let text = |k: &str| {
        meta.and_then(|m| m.get(k))
            .and_then(Json::as_str)
            .map(ToString::to_string)
    };
    let mut labels = SortedMap::new();
    if let Some(map) = meta.and_then(|m| m.get("labels")).and_then(Json::as_object) {
        for (k, v) in map {
            let v = match v {
                Json::String(s) => s.clone(),
                Json::Null => String::new(),
                other => other.to_string(),
            };
            labels.insert(k.clone(), v);
        }
    }
    ObjectMeta {
        name: text("name").unwrap_or_default(),
        namespace: object.namespace().to_string(),
        labels,
        creation_timestamp: text("creationTimestamp"),
    }
}

/// Builds the report: verdicts and counts.
pub fn report(checked: Vec<Checked>, skipped: usize, options: &Options) -> Report {
    let mut summary = Summary {
        skipped,
        ..Summary::default()
    };
    let resources: Vec<ResourceReport> = checked
        .into_iter()
        .map(|c| {
            let mut r = c.report;
            r.verdict = verdict(&r.findings, options.warnings_deny);
            summary.resources += 1;
            match r.verdict {
                Verdict::Allow => summary.allowed += 1,
                Verdict::Warn => summary.warned += 1,
                Verdict::Deny => summary.denied += 1,
            }
            for f in &r.findings {
                match f.severity {
                    Severity::Error => summary.errors += 1,
                    Severity::Warning => summary.warnings += 1,
                }
            }
            r
        })
        .collect();
    Report { resources, summary }
}

/// Deny on any error (or any warning when `warnings_deny`), warn on warnings, else allow.
pub fn verdict(findings: &[Finding], warnings_deny: bool) -> Verdict {
    if findings.iter().any(|f| f.severity == Severity::Error) {
        Verdict::Deny
    } else if findings.is_empty() {
        Verdict::Allow
    } else if warnings_deny {
        Verdict::Deny
    } else {
        Verdict::Warn
    }
}

crate::json_enum!(Verdict { "allow" => Allow, "warn" => Warn, "deny" => Deny });
crate::json_struct!(encode ResourceReport {
    "source" => source, "apiVersion" => api_version, "kind" => kind, "namespace" => namespace,
    "name" => name, "verdict" => verdict, "findings" => findings,
});
crate::json_struct!(encode Summary {
    "resources" => resources, "allowed" => allowed, "warned" => warned, "denied" => denied,
    "skipped" => skipped, "errors" => errors, "warnings" => warnings,
});
crate::json_struct!(encode Report { "resources" => resources, "summary" => summary });
