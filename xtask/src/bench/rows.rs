//! The table: each row says what is measured, our figure, the alternative's figure from the same
//! run, their ratio, and the goal with whether it is met. Rows only read figures.

use super::figures::Figures;

/// One row of the table, ready to print.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Section heading the row belongs to.
    pub group: &'static str,
    /// What is measured.
    pub measure: String,
    /// meshtel's figure.
    pub ours: String,
    /// The alternative's figure (`—` when there is none).
    pub alternative: String,
    /// ours / alternative, or how it is stated.
    pub ratio: String,
    /// The goal, empty when there is none.
    pub goal: String,
    /// Whether the goal is met; `None` with no goal or no figure.
    pub met: Option<bool>,
    /// Runs the figures are medians of.
    pub runs: u64,
}

const ENVOY: &str = "real Envoy 1.40, 1 worker, wrk 8 connections on loopback";
const GUEST: &str = "dist/proxy-filter.wasm under wasmtime, guest time per request (the host's time for the same host calls, replayed from a trace, subtracted)";
const POLICY: &str =
    "policy evaluation per AdmissionReview (bench/admission-input.json, AKS scope)";
const SERVE: &str = "meshtel serve, HTTPS, 8 keep-alive connections";
const RESOLVE: &str =
    "effective configuration, one resolution (generated Telemetry, 1,000 namespaces)";
const SIZES: &str = "artifact sizes in dist/ (bytes)";

/// A formatted number with thousands separators.
pub fn thousands(v: f64) -> String {
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if v < 0.0 { format!("-{out}") } else { out }
}

fn micros(ns: Option<f64>) -> String {
    ns.map_or("not measured".into(), |ns| format!("{:.2} µs", ns / 1000.0))
}

fn or_missing(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map_or("not measured".into(), f)
}

fn dash() -> String {
    "—".into()
}

fn runs(figures: &Figures, ids: &[&str]) -> u64 {
    ids.iter()
        .filter_map(|id| figures.get(id).map(|f| f.runs))
        .max()
        .unwrap_or(0)
}

fn row(group: &'static str, measure: impl Into<String>) -> Row {
    Row {
        group,
        measure: measure.into(),
        ours: dash(),
        alternative: dash(),
        ratio: String::new(),
        goal: String::new(),
        met: None,
        runs: 0,
    }
}

fn percent(a: Option<f64>, b: Option<f64>) -> (String, Option<f64>) {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => (format!("{:.0} %", a / b * 100.0), Some(a / b)),
        _ => (String::new(), None),
    }
}

fn latency(figures: &Figures, config: &str) -> String {
    match (
        figures.value(&format!("envoy.{config}.p50")),
        figures.value(&format!("envoy.{config}.p99")),
    ) {
        (Some(a), Some(b)) => format!("{a:.2} / {b:.2} ms"),
        _ => "not measured".into(),
    }
}

fn envoy_rows(figures: &Figures) -> Vec<Row> {
    let rps = |c: &str| figures.value(&format!("envoy.{c}.rps"));
    let n = runs(figures, &["envoy.b.rps"]);
    let mut out = Vec::new();
    for (config, what, goal) in [
        (
            "a",
            "(a) no access log (ceiling), req/s vs (b) native TEXT log",
            None,
        ),
        (
            "c",
            "(c) filter writing Istio TEXT records, req/s vs (b) Envoy's native TEXT file log",
            Some(0.9),
        ),
        (
            "d",
            "(d) filter: TEXT records + the 4 standard HTTP metrics, req/s vs (b)",
            None,
        ),
        (
            "e",
            "(e) a wasm filter whose callbacks do nothing (any filter's floor), req/s vs (b)",
            None,
        ),
    ] {
        let mut r = row(ENVOY, what);
        r.ours = or_missing(rps(config), |v| format!("{} req/s", thousands(v)));
        r.alternative = or_missing(rps("b"), |v| format!("{} req/s", thousands(v)));
        let (text, ratio) = percent(rps(config), rps("b"));
        r.ratio = text;
        if let Some(goal) = goal {
            r.goal = format!("≥ {:.0} % of (b)", goal * 100.0);
            r.met = ratio.map(|x| x >= goal);
        }
        r.runs = n;
        out.push(r);
        let mut r = row(ENVOY, format!("{} p50 / p99 latency", &what[..3]));
        r.ours = latency(figures, config);
        r.alternative = latency(figures, "b");
        r.runs = n;
        out.push(r);
    }
    out
}

fn guest_rows(figures: &Figures) -> Vec<Row> {
    let mut out = Vec::new();
    for (id, what, goal_us) in [
        ("filter.text", "Istio TEXT record", Some(2.0)),
        ("filter.json", "Istio JSON record", None),
        (
            "filter.metrics",
            "TEXT record + the 4 standard HTTP metrics",
            Some(5.0),
        ),
        ("filter.cel", "CEL filter expression + TEXT record", None),
    ] {
        let ns = figures.value(id);
        let what = match figures.value(&format!("{id}.host_calls")) {
            Some(calls) => format!("{what} ({calls:.0} host calls)"),
            None => what.to_string(),
        };
        let mut r = row(GUEST, &what);
        r.ours = micros(ns);
        if let Some(goal) = goal_us {
            r.goal = format!("< {goal} µs");
            r.met = ns.map(|ns| ns / 1000.0 < goal);
        }
        r.runs = runs(figures, &[id]);
        out.push(r);
    }
    let mut r = row(
        GUEST,
        "one proxy_get_property call (guest → host → guest copy), per call",
    );
    r.ours = or_missing(figures.value("filter.get_property"), |ns| {
        format!("{ns:.0} ns")
    });
    r.runs = runs(figures, &["filter.get_property"]);
    out.push(r);
    for (id, expr) in [
        ("cel.status", "`response.code >= 400`"),
        (
            "cel.mtls_path",
            "`connection.mtls && request.url_path.contains('v1beta3')`",
        ),
    ] {
        let mut r = row(GUEST, format!("CEL evaluation in the native core: {expr}"));
        r.ours = micros(figures.value(id));
        r.runs = runs(figures, &[id]);
        out.push(r);
    }
    out
}

fn speedup(ours: Option<f64>, alt: Option<f64>) -> (String, Option<f64>) {
    match (ours, alt) {
        (Some(o), Some(a)) if o > 0.0 && a >= o => (format!("{:.1}× faster", a / o), Some(a / o)),
        (Some(o), Some(a)) if a > 0.0 => (format!("{:.1}× slower", o / a), Some(a / o)),
        _ => (String::new(), None),
    }
}

fn policy_rows(figures: &Figures) -> Vec<Row> {
    let wasm = figures.value("policy.wasmtime");
    let n = runs(figures, &["policy.wasmtime"]);
    let mut out = Vec::new();
    let mut r = row(
        POLICY,
        "dist/policy-opa.wasm in our wasmtime OPA host (opa_eval) vs the native core",
    );
    r.ours = micros(wasm);
    r.alternative = micros(figures.value("policy.native"));
    if let (Some(w), Some(n)) = (wasm, figures.value("policy.native")) {
        r.ratio = format!("{:.1}× the native time", w / n);
    }
    r.goal = "< 20 µs".into();
    r.met = wasm.map(|ns| ns < 20_000.0);
    r.runs = n;
    out.push(r);
    let mut r = row(POLICY, "same, eval-context path (Kubewarden, Rust SDK)");
    r.ours = micros(figures.value("policy.wasmtime.ctx"));
    r.runs = n;
    out.push(r);
    let mut r = row(POLICY, "same module in the npm OPA SDK 1.10.0 (Node)");
    r.ours = micros(wasm);
    r.alternative = micros(figures.value("policy.npm"));
    r.ratio = speedup(wasm, figures.value("policy.npm")).0;
    r.runs = runs(figures, &["policy.npm"]);
    out.push(r);
    let mut r = row(
        POLICY,
        "vs the Rego baseline bench/telemetry.rego in regorus (native)",
    );
    r.ours = micros(wasm);
    r.alternative = micros(figures.value("policy.regorus"));
    let (text, ratio) = speedup(wasm, figures.value("policy.regorus"));
    r.ratio = text;
    r.goal = "≥ 5× faster".into();
    r.met = ratio.map(|x| x >= 5.0);
    r.runs = n;
    out.push(r);
    out
}

fn serve_rows(figures: &Figures) -> Vec<Row> {
    let n = runs(figures, &["serve.rps"]);
    let mut r = row(SERVE, "AdmissionReviews per second");
    let rps = figures.value("serve.rps");
    r.ours = or_missing(rps, |v| format!("{}/s", thousands(v)));
    r.goal = "≥ 2,000/s".into();
    r.met = rps.map(|v| v >= 2000.0);
    r.runs = n;
    let mut l = row(SERVE, "p50 / p99 latency");
    let p99 = figures.value("serve.p99");
    l.ours = match (figures.value("serve.p50"), p99) {
        (Some(a), Some(b)) => format!("{a:.2} / {b:.2} ms"),
        _ => "not measured".into(),
    };
    l.goal = "p99 < 10 ms".into();
    l.met = p99.map(|v| v < 10.0);
    l.runs = n;
    vec![r, l]
}

fn resolve_rows(figures: &Figures) -> Vec<Row> {
    let small = figures.value("resolve.1000");
    let large = figures.value("resolve.10000");
    let mut a = row(RESOLVE, "1,000 resources");
    a.ours = micros(small);
    a.runs = runs(figures, &["resolve.1000"]);
    let mut b = row(RESOLVE, "10,000 resources (ratio: growth over 1,000)");
    b.ours = micros(large);
    if let (Some(s), Some(l)) = (small, large) {
        b.ratio = format!("{:.1}×", l / s);
    }
    b.runs = runs(figures, &["resolve.10000"]);
    vec![a, b]
}

/// Size budgets: (figure id, bytes).
const BUDGETS: [(&str, f64); 3] = [
    ("size.proxy-filter.wasm", 200_000.0),
    ("size.policy-opa.wasm", 300_000.0),
    ("size.playground", 1_000_000.0),
];

fn size_rows(figures: &Figures) -> Vec<Row> {
    figures
        .ids_with_prefix("size.")
        .map(|id| {
            let bytes = figures.value(id);
            let mut r = row(SIZES, id.trim_start_matches("size."));
            if id == "size.playground" {
                r.measure = "playground/ (its wasm)".into();
            }
            r.ours = or_missing(bytes, thousands);
            if let Some((_, budget)) = BUDGETS.iter().find(|(b, _)| *b == id) {
                r.goal = format!("< {}", thousands(*budget));
                r.met = bytes.map(|b| b < *budget);
            }
            r.runs = 1;
            r
        })
        .collect()
}

/// Every row, grouped.
pub fn table(figures: &Figures) -> Vec<Row> {
    [
        envoy_rows(figures),
        guest_rows(figures),
        policy_rows(figures),
        serve_rows(figures),
        resolve_rows(figures),
        size_rows(figures),
    ]
    .concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        assert_eq!(thousands(1234567.4), "1,234,567");
        assert_eq!(thousands(999.0), "999");
    }

    #[test]
    fn goals_are_judged_from_the_figures() {
        let mut f = Figures::default();
        f.insert("envoy.b.rps", 1000.0, "rps", 3);
        f.insert("envoy.c.rps", 850.0, "rps", 3);
        f.insert("policy.wasmtime", 15_000.0, "ns", 5);
        f.insert("policy.regorus", 60_000.0, "ns", 5);
        let rows = table(&f);
        let find = |s: &str| rows.iter().find(|r| r.measure.starts_with(s)).unwrap();
        assert_eq!(find("(c) filter").met, Some(false));
        assert_eq!(find("(c) filter").ratio, "85 %");
        assert_eq!(find("vs the Rego").met, Some(false));
        assert_eq!(find("vs the Rego").ratio, "4.0× faster");
        f.insert("policy.regorus", 7_500.0, "ns", 5);
        assert_eq!(
            table(&f)
                .iter()
                .find(|r| r.measure.starts_with("vs the Rego"))
                .unwrap()
                .ratio,
            "2.0× slower"
        );
        assert_eq!(find("dist/policy-opa").met, Some(true));
        assert_eq!(find("AdmissionReviews").met, None);
    }
}
