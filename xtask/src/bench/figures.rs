//! The figures the producers print, one JSON line each (`host_tests::bench::Figure::line`), kept
//! by id for the rows.

use serde_json::{Value, json};
use std::collections::BTreeMap;

/// One measured figure.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// The median.
    pub value: f64,
    /// Unit of `value` (`ns`, `ms`, `rps`, `bytes`).
    pub unit: String,
    /// Runs the median is taken over.
    pub runs: u64,
}

/// Every figure of one bench, by id, plus what failed.
#[derive(Debug, Default)]
pub struct Figures {
    by_id: BTreeMap<String, Figure>,
    /// Producers that failed, with why.
    pub failures: Vec<(String, String)>,
}

impl Figures {
    /// Adds every figure line of a producer's standard output; other lines are ignored.
    pub fn add_output(&mut self, stdout: &str) -> usize {
        let mut added = 0;
        for line in stdout.lines().filter(|l| l.starts_with("{\"figure\"")) {
            let Ok(v) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            let (Some(id), Some(value)) = (v["figure"].as_str(), v["value"].as_f64()) else {
                continue;
            };
            let unit = v["unit"].as_str().unwrap_or_default().to_string();
            let runs = v["runs"].as_u64().unwrap_or(1);
            self.insert(id, value, &unit, runs);
            added += 1;
        }
        added
    }

    /// Records one figure.
    pub fn insert(&mut self, id: &str, value: f64, unit: &str, runs: u64) {
        let unit = unit.to_string();
        self.by_id
            .insert(id.to_string(), Figure { value, unit, runs });
    }

    /// The figure `id`, if it was measured.
    pub fn get(&self, id: &str) -> Option<&Figure> {
        self.by_id.get(id)
    }

    /// The value of `id`, if it was measured and is a number.
    pub fn value(&self, id: &str) -> Option<f64> {
        self.get(id).map(|f| f.value).filter(|v| v.is_finite())
    }

    /// The ids starting with `prefix`.
    pub fn ids_with_prefix<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.by_id
            .keys()
            .filter(move |k| k.starts_with(prefix))
            .map(String::as_str)
    }

    /// All figures as a JSON object.
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::Map::new();
        for (id, f) in &self.by_id {
            out.insert(
                id.clone(),
                json!({ "value": f.value, "unit": f.unit, "runs": f.runs }),
            );
        }
        Value::Object(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_figure_lines_and_skips_the_rest() {
        let mut figures = Figures::default();
        let out = "warming up\n{\"figure\":\"a.b\",\"value\":12.5,\"unit\":\"ns\",\"runs\":5}\n{\"figure\":\"bad\"}\n";
        assert_eq!(figures.add_output(out), 1);
        assert_eq!(figures.value("a.b"), Some(12.5));
        assert_eq!(figures.get("a.b").map(|f| f.runs), Some(5));
        assert_eq!(figures.value("bad"), None);
    }
}
