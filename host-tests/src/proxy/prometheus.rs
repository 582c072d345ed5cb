//! Renders the host's metrics as Envoy's `/stats/prometheus` renders wasm metrics: the
//! `wasmcustom.` prefix dropped, `stats_tags` fragments (`<tag>=.=<value>;.;`) lifted into labels,
//! one `# TYPE` line per metric name, histograms with Envoy's default buckets and the
//! approximations of its circllhist (values binned to two significant digits).

use super::{MetricKind, Metrics};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Envoy's default histogram buckets.
pub const DEFAULT_BUCKETS: [f64; 19] = [
    0.5, 1.0, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 500.0, 1000.0, 2500.0, 5000.0, 10000.0, 30000.0,
    60000.0, 300000.0, 600000.0, 1800000.0, 3600000.0,
];

/// The tag names of a bootstrap's `stats_tags` (`- {tag_name: X, regex: ...}` lines), in order.
pub fn stats_tag_names(bootstrap_yaml: &str) -> Vec<String> {
    bootstrap_yaml
        .lines()
        .filter_map(|l| l.trim().strip_prefix("- {tag_name: "))
        .filter_map(|rest| rest.split(',').next())
        .map(|name| name.trim().to_string())
        .collect()
}

/// Splits a metric name into the extracted name and its tags, as a `stats_tags` regex
/// `(<tag>=\.=(.*?);\.;)` does: the first occurrence of each configured tag is removed.
pub fn extract(name: &str, tags: &[String]) -> (String, Vec<(String, String)>) {
    let mut name = name.to_string();
    let mut out = Vec::new();
    for tag in tags {
        let head = format!("{tag}=.=");
        let Some(start) = name.find(&head) else {
            continue;
        };
        let value_at = start + head.len();
        let Some(len) = name[value_at..].find(";.;") else {
            continue;
        };
        out.push((tag.clone(), name[value_at..value_at + len].to_string()));
        name.replace_range(start..value_at + len + 3, "");
    }
    (name, out)
}

/// circllhist bin of a non-negative integer sample: (lower edge, width); 0 has width 0.
fn bin(value: u64) -> (f64, f64) {
    if value == 0 {
        return (0.0, 0.0);
    }
    if value < 10 {
        return (value as f64, 0.1);
    }
    let mut width = 1u64;
    while value / width >= 100 {
        width *= 10;
    }
    ((value / width * width) as f64, width as f64)
}

fn labels(tags: &[(String, String)], extra: Option<(&str, &str)>) -> String {
    let mut parts: Vec<String> = tags.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
    if let Some((k, v)) = extra {
        parts.push(format!("{k}=\"{v}\""));
    }
    if parts.is_empty() {
        String::new()
    } else {
        format!("{{{}}}", parts.join(","))
    }
}

/// One metric family: its type and, per series labels, the rendered lines.
type Group<'a> = (&'a str, BTreeMap<String, Vec<String>>);

/// Renders every defined metric the way Envoy's admin endpoint does (metric names sorted, series
/// of one name sorted by their label text).
pub fn render(metrics: &Metrics, stats_tags: &[String]) -> String {
    // (type rank, name) -> (type, series label text -> lines); Envoy writes counters, then gauges,
    // then histograms.
    let mut groups: BTreeMap<(u8, String), Group<'_>> = BTreeMap::new();
    for m in &metrics.defined {
        let (name, tags) = extract(&m.name, stats_tags);
        let name = sanitize(&name);
        let kind = match m.kind {
            MetricKind::Counter => "counter",
            MetricKind::Gauge => "gauge",
            MetricKind::Histogram => "histogram",
        };
        let key = labels(&tags, None);
        let rank = match m.kind {
            MetricKind::Counter => 0,
            MetricKind::Gauge => 1,
            MetricKind::Histogram => 2,
        };
        let entry = groups
            .entry((rank, name.clone()))
            .or_insert((kind, BTreeMap::new()));
        let lines = entry.1.entry(key.clone()).or_default();
        match m.kind {
            MetricKind::Histogram => {
                let bins: Vec<(f64, f64)> = m.samples.iter().map(|s| bin(*s)).collect();
                for bound in DEFAULT_BUCKETS {
                    let count = bins.iter().filter(|(lo, _)| *lo <= bound).count();
                    let le = format_number(bound);
                    lines.push(format!(
                        "{name}_bucket{} {count}",
                        labels(&tags, Some(("le", &le)))
                    ));
                }
                lines.push(format!(
                    "{name}_bucket{} {}",
                    labels(&tags, Some(("le", "+Inf"))),
                    bins.len()
                ));
                // circllhist's bin "midpoint" minimises relative error: 2ab / (a + b).
                let mut sorted = bins.clone();
                sorted.sort_by(|a, b| a.0.total_cmp(&b.0));
                let sum: f64 = sorted
                    .iter()
                    .map(|(lo, w)| {
                        if *w == 0.0 {
                            0.0
                        } else {
                            2.0 * lo * (lo + w) / (2.0 * lo + w)
                        }
                    })
                    .sum();
                lines.push(format!("{name}_sum{key} {}", format_sum(sum)));
                lines.push(format!("{name}_count{key} {}", bins.len()));
            }
            _ => lines.push(format!("{name}{key} {}", m.value)),
        }
    }
    let mut out = String::new();
    for ((_, name), (kind, series)) in groups {
        let _ = writeln!(out, "# TYPE {name} {kind}");
        for lines in series.values() {
            for line in lines {
                let _ = writeln!(out, "{line}");
            }
        }
    }
    out
}

/// Prometheus-safe metric name: characters outside `[a-zA-Z0-9_:]` become `_`.
fn sanitize(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// A histogram sum as Envoy prints it (`%.32g`: 32 significant digits, trailing zeros dropped).
fn format_sum(v: f64) -> String {
    if v == 0.0 {
        return "0".to_string();
    }
    let digits = v.abs().log10().floor() as i32 + 1;
    let precision = (32 - digits).max(0) as usize;
    let text = format!("{v:.precision$}");
    if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        text
    }
}

/// Numbers as Envoy prints them: integers without a fraction, others in shortest form.
fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// True when two Prometheus lines are equal, `_sum` values (circllhist approximations printed
/// with many digits) to 1e-9 relative.
pub fn same_line(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (Some((ka, va)), Some((kb, vb))) = (a.rsplit_once(' '), b.rsplit_once(' ')) else {
        return false;
    };
    if ka != kb || !ka.contains("_sum") {
        return false;
    }
    match (va.parse::<f64>(), vb.parse::<f64>()) {
        (Ok(x), Ok(y)) => (x - y).abs() <= 1e-9 * x.abs().max(y.abs()).max(1.0),
        _ => false,
    }
}

/// The Istio series lines of a Prometheus text (`# TYPE` lines included).
pub fn istio_lines(text: &str) -> Vec<String> {
    text.lines()
        .filter(|l| l.starts_with("istio_") || l.starts_with("# TYPE istio_"))
        .map(str::to_string)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extraction_removes_fragments_wherever_they_are() {
        let tags = vec!["reporter".to_string(), "response_code".to_string()];
        let (name, t) = extract(
            "istio_reporter=.=source;.;response_code=.=418;.;requests_total",
            &tags,
        );
        assert_eq!(name, "istio_requests_total");
        assert_eq!(
            t,
            vec![
                ("reporter".into(), "source".into()),
                ("response_code".into(), "418".into())
            ]
        );
    }

    #[test]
    fn bins_have_two_significant_digits() {
        assert_eq!(bin(0), (0.0, 0.0));
        assert_eq!(bin(7), (7.0, 0.1));
        assert_eq!(bin(148), (140.0, 10.0));
    }
}
