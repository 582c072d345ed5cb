//! The three entrypoints as plain functions over JSON: input and data in, OPA result set out.
//! Nothing here knows about wasm, so hosts and tests run the same code natively to compare.

use crate::params;
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use policy_wasm::check::{self, Options, Report, Verdict};
use policy_wasm::finding::{Finding, Severity};
use policy_wasm::json::{self, Json, Map, ToJson};

/// Gatekeeper's rule: input `{"review", "parameters"}`, result the violation set.
pub const VIOLATION: &str = "telemetry/violation";
/// Kubewarden `opa` mode: input `{"request"}`, settings as data, result `{"response"}`.
pub const RESPONSE: &str = "telemetry/response";
/// Every finding, for tools: a review, a request, or `{"resources": [<document>, …]}` (also one
/// document, or JSON text of one). OPA input is JSON, so the module carries no YAML reader: tools
/// convert YAML to JSON documents first.
pub const FINDINGS: &str = "telemetry/findings";

/// Entrypoint names by id. Kubewarden's evaluator always asks for entrypoint 0.
#[cfg(not(feature = "kubewarden"))]
pub const ENTRYPOINTS: [&str; 3] = [VIOLATION, RESPONSE, FINDINGS];
/// Entrypoint names by id. Kubewarden's evaluator always asks for entrypoint 0.
#[cfg(feature = "kubewarden")]
pub const ENTRYPOINTS: [&str; 3] = [RESPONSE, VIOLATION, FINDINGS];

/// Source name given to objects that arrive in an admission request.
const ADMISSION_SOURCE: &str = "admission";

/// Evaluates entrypoint `id` and returns the OPA result set `[{"result": …}]`; `None` for an
/// unknown id (hosts treat that as an abort).
pub fn evaluate(id: usize, input: &Json, data: &Json) -> Option<Json> {
    evaluate_owned(id, input.clone(), data)
}

/// [`evaluate`] consuming the input, so the checked object is moved rather than copied (the
/// module's `opa_eval` owns the input it parsed).
pub fn evaluate_owned(id: usize, mut input: Json, data: &Json) -> Option<Json> {
    let result = match *ENTRYPOINTS.get(id)? {
        VIOLATION => violation(&mut input, data),
        RESPONSE => response(&mut input, data),
        _ => findings(&mut input, data),
    };
    Some(Json::Array(alloc::vec![Json::object([("result", result)])]))
}

/// Evaluates an entrypoint by name (for native callers that do not care about ids).
pub fn evaluate_named(name: &str, input: &Json, data: &Json) -> Option<Json> {
    let id = ENTRYPOINTS.iter().position(|e| *e == name)?;
    evaluate(id, input, data)
}

/// Parameters come from `input.parameters` (Gatekeeper) or else the data document (Kubewarden).
fn parameters<'a>(input: &'a Json, data: &'a Json) -> &'a Json {
    input.get("parameters").unwrap_or(data)
}

/// Checks the object of an AdmissionRequest (taken out of it). DELETE and CONNECT carry no
/// object: nothing to check.
fn check_request(request: &mut Json, options: &Options) -> Report {
    let object = request
        .get_mut("object")
        .map(Json::take)
        .unwrap_or_default();
    // Wrapped as an AdmissionReview so the engine takes the namespace from the request when the
    // object omits it, as the API server does.
    let namespace = request.get("namespace").cloned().unwrap_or_default();
    let review = Json::object([
        ("apiVersion", "admission.k8s.io/v1".into()),
        ("kind", "AdmissionReview".into()),
        (
            "request",
            Json::object([("namespace", namespace), ("object", object)]),
        ),
    ]);
    check::check_json(review, ADMISSION_SOURCE, options)
}

/// One entry of Gatekeeper's violation set.
fn violation_entry(msg: String, path: &str, rule: &str, severity: &str) -> Json {
    let details = Json::object([
        ("path", path.into()),
        ("rule", rule.into()),
        ("severity", severity.into()),
    ]);
    Json::object([("msg", msg.into()), ("details", details)])
}

/// `path: message`, the form findings take in admission messages.
fn describe(finding: &Finding) -> String {
    if finding.path.is_empty() {
        finding.message.clone()
    } else {
        format!("{}: {}", finding.path, finding.message)
    }
}

/// True when `finding` denies under `options`.
fn denies(finding: &Finding, options: &Options) -> bool {
    finding.severity == Severity::Error || options.warnings_deny
}

fn violation(input: &mut Json, data: &Json) -> Json {
    let fail = |rule: &str, path: &str, msg: String| {
        Json::Array(alloc::vec![violation_entry(msg, path, rule, "error")])
    };
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return fail("meshtel.parameters", "parameters", e.to_string()),
    };
    let Some(review) = input.get_mut("review").filter(|r| r.is_object()) else {
        return fail(
            "meshtel.input",
            "review",
            "input.review is missing: expected {\"review\": <AdmissionRequest>, \"parameters\": {…}}".into(),
        );
    };
    let report = check_request(review, &options);
    let set: Vec<Json> = report
        .resources
        .iter()
        .flat_map(|r| &r.findings)
        .filter(|f| denies(f, &options))
        .map(|f| violation_entry(describe(f), &f.path, &f.rule, f.severity.as_str()))
        .collect();
    Json::Array(set)
}

fn response(input: &mut Json, data: &Json) -> Json {
    let uid = input
        .get("request")
        .filter(|r| r.is_object())
        .and_then(|r| r.get("uid"))
        .cloned()
        .unwrap_or_else(|| Json::String(String::new()));
    let deny = |code: u16, message: String| {
        let status = Json::object([
            ("message", message.into()),
            ("code", u64::from(code).into()),
        ]);
        let response = Json::object([
            ("uid", uid.clone()),
            ("allowed", false.into()),
            ("status", status),
        ]);
        Json::object([("response", response)])
    };
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return deny(500, format!("meshtel: {e}")),
    };
    let Some(request) = input.get_mut("request").filter(|r| r.is_object()) else {
        return deny(
            400,
            "meshtel: input.request is missing: expected {\"request\": <AdmissionRequest>}".into(),
        );
    };
    let report = check_request(request, &options);
    let findings: Vec<&Finding> = report.resources.iter().flat_map(|r| &r.findings).collect();
    let reasons: Vec<String> = findings
        .iter()
        .filter(|f| denies(f, &options))
        .map(|f| describe(f))
        .collect();
    let warnings: Vec<String> = findings
        .iter()
        .filter(|f| !denies(f, &options))
        .map(|f| describe(f))
        .collect();
    let allowed = report.resources.iter().all(|r| r.verdict != Verdict::Deny);
    let mut response = Map::new();
    response.insert("uid", uid.clone());
    response.insert("allowed", Json::Bool(allowed));
    if !allowed {
        response.insert(
            "status",
            Json::object([
                ("message", reasons.join("; ").into()),
                ("code", 403u64.into()),
            ]),
        );
    }
    if !warnings.is_empty() {
        response.insert("warnings", warnings.to_json());
    }
    Json::object([("response", Json::Object(response))])
}

fn findings(input: &mut Json, data: &Json) -> Json {
    let options = match params::options(parameters(input, data)) {
        Ok(options) => options,
        Err(e) => return Json::object([("error", e.to_string().into())]),
    };
    let name = input
        .get("source")
        .and_then(Json::as_str)
        .unwrap_or("input")
        .to_string();
    let request = if input.get("review").is_some() {
        "review"
    } else {
        "request"
    };
    let report = if let Some(resources) = input.get_mut("resources") {
        documents(resources.take(), &name).map(|docs| check::check_documents(docs, &name, &options))
    } else if let Some(request) = input.get_mut(request).filter(|r| r.is_object()) {
        Ok(check_request(request, &options))
    } else {
        Err("expected input.resources (JSON documents), input.review or input.request".to_string())
    };
    match report {
        Ok(report) => report.to_json(),
        Err(e) => Json::object([("error", e.into())]),
    }
}

/// The documents of `input.resources`: an array is one document per item, JSON text is read by
/// the engine's JSON parser (YAML text is refused with a hint), anything else is one document.
fn documents(resources: Json, name: &str) -> Result<Vec<Json>, String> {
    match resources {
        Json::Array(items) => Ok(items),
        Json::String(text) => json::parse(&text).map(|doc| alloc::vec![doc]).map_err(|e| {
            format!(
                "{name}: {e} (input.resources text must be JSON: convert YAML to JSON documents)"
            )
        }),
        other => Ok(alloc::vec![other]),
    }
}
