//! Effective-configuration resolution at scale: 1,000 and 10,000 generated Telemetry resources
//! across 1,000 namespaces plus a mesh-wide one, loaded once through the core's text boundary
//! (`check::check_resources`), then the time of one resolution for a workload.

use anyhow::{Result, ensure};
use host_tests::bench::{Counts, Figure, median_ns};
use policy_wasm::check::{self, Options, Source};
use policy_wasm::model::Telemetry;
use policy_wasm::resolve::{self, Scene};
use policy_wasm::workload::{Mode, Workload};
use serde_json::json;
use std::hint::black_box;

/// Resolutions per timed run in a full bench.
pub const FULL: Counts = Counts {
    runs: 5,
    iterations: 2_000,
};

/// Namespaces the resources are spread over.
pub const NAMESPACES: usize = 1_000;

/// The resource counts measured.
pub const SIZES: [usize; 2] = [1_000, 10_000];

/// `count` Telemetry resources as a JSON List: per namespace one without a selector, the others
/// selecting `app: app-K`, alternating access logging and metrics overrides.
pub fn generate(count: usize) -> String {
    let mut items = vec![json!({
        "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
        "metadata": {"name": "mesh-default", "namespace": "istio-system"},
        "spec": {"accessLogging": [{"providers": [{"name": "envoy"}]}]}
    })];
    for i in 0..count {
        let (ns, k) = (i % NAMESPACES, i / NAMESPACES);
        let mut spec = if i % 2 == 0 {
            json!({"accessLogging": [{"providers": [{"name": "envoy"}], "disabled": k % 3 == 1}]})
        } else {
            json!({"metrics": [{"providers": [{"name": "prometheus"}],
                "overrides": [{"match": {"metric": "REQUEST_COUNT"}, "tagOverrides": {"k": {"value": "'v'"}}}]}]})
        };
        if k > 0 {
            spec["selector"] = json!({"matchLabels": {"app": format!("app-{k}")}});
        }
        items.push(json!({
            "apiVersion": "telemetry.istio.io/v1", "kind": "Telemetry",
            "metadata": {"name": format!("t-{i}"), "namespace": format!("ns-{ns}")},
            "spec": spec
        }));
    }
    json!({"apiVersion": "v1", "kind": "List", "items": items}).to_string()
}

/// Loads the generated resources as the CLI does.
pub fn load(text: &str) -> Result<Vec<Telemetry>> {
    let options = Options::default();
    let (checked, _) = check::check_resources(
        &[Source {
            text,
            name: "generated.json",
        }],
        &options,
    )?;
    let mut telemetries: Vec<Telemetry> = checked.into_iter().map(|c| c.telemetry).collect();
    resolve::sort_like_istiod(&mut telemetries);
    Ok(telemetries)
}

/// Measures one resolution per size (ns each).
pub fn measure(counts: Counts) -> Result<Vec<Figure>> {
    let options = Options::default();
    let mesh = options.mesh_with_builtins();
    let workload = Workload {
        namespace: "ns-7".into(),
        name: "app-3".into(),
        labels: [("app".to_string(), "app-3".to_string())].into(),
    };
    let mut figures = Vec::new();
    for size in SIZES {
        let telemetries = load(&generate(size))?;
        ensure!(
            telemetries.len() == size + 1,
            "{} of {} generated resources loaded",
            telemetries.len(),
            size + 1
        );
        let scene = Scene {
            telemetries: &telemetries,
            mesh: &mesh,
            root_namespace: options.root_namespace(),
        };
        let effective = resolve::resolve(&scene, &workload, Mode::Client);
        ensure!(
            !effective.sources.is_empty(),
            "nothing applies to the bench workload"
        );
        let ns = median_ns(counts, || {
            black_box(resolve::resolve(black_box(&scene), &workload, Mode::Client));
        });
        figures.push(Figure::new(
            format!("resolve.{size}"),
            ns,
            "ns",
            counts.runs,
        ));
    }
    Ok(figures)
}
