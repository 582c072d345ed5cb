//! The report: the table printed, `target/bench/report.json` and `target/bench/report.md`.

use super::figures::Figures;
use super::rows::Row;
use anyhow::{Context, Result};
use serde_json::{Value, json};
use std::path::Path;

fn met(row: &Row) -> &'static str {
    match (row.goal.is_empty(), row.met) {
        (true, _) => "",
        (false, Some(true)) => "met",
        (false, Some(false)) => "NOT met",
        (false, None) => "not measured",
    }
}

fn goal(row: &Row) -> String {
    match met(row) {
        "" => String::new(),
        m => format!("{} ({m})", row.goal),
    }
}

/// The header lines: date, machine, versions, runs.
fn header(about: &Value, mode: &str) -> Vec<String> {
    let m = &about["machine"];
    let versions: Vec<String> = about["versions"]
        .as_object()
        .map(|o| {
            o.iter()
                .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or_default()))
                .collect()
        })
        .unwrap_or_default();
    vec![
        format!(
            "`cargo xtask bench{mode}`, {}; {} cores, {}, {} GiB, {}; load average at start {}",
            about["date"].as_str().unwrap_or_default(),
            m["cores"],
            m["cpu"].as_str().unwrap_or_default(),
            m["memory_gib"],
            m["os"].as_str().unwrap_or_default(),
            m["load_average_at_start"].as_str().unwrap_or_default(),
        ),
        format!("versions: {}", versions.join(", ")),
        "figures are medians of the number of runs in the `runs` column".into(),
    ]
}

/// The Markdown table (also what the README shows).
pub fn markdown(rows: &[Row], about: &Value, mode: &str) -> String {
    let mut out = header(about, mode).join("  \n");
    out.push_str("\n\n| measurement | meshtel | alternative | ratio | goal | runs |\n|---|---|---|---|---|---|\n");
    let mut group = "";
    for r in rows {
        if r.group != group {
            group = r.group;
            out.push_str(&format!("| **{group}** | | | | | |\n"));
        }
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} |\n",
            r.measure.replace('|', "\\|"),
            r.ours,
            r.alternative,
            r.ratio,
            goal(r),
            r.runs
        ));
    }
    out
}

/// The table for a terminal.
pub fn print(rows: &[Row], about: &Value, mode: &str) {
    for line in header(about, mode) {
        println!("{line}");
    }
    let mut group = "";
    for r in rows {
        if r.group != group {
            group = r.group;
            println!("\n{group}");
            println!(
                "  {:<82} {:>16} {:>16} {:>22} {:>24}",
                "measurement", "meshtel", "alternative", "ratio", "goal"
            );
        }
        println!(
            "  {:<82} {:>16} {:>16} {:>22} {:>24}",
            r.measure,
            r.ours,
            r.alternative,
            r.ratio,
            goal(r)
        );
    }
}

/// Writes `report.json` and `report.md` into `dir`.
pub fn write(dir: &Path, rows: &[Row], figures: &Figures, about: &Value, mode: &str) -> Result<()> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let json_rows: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "group": r.group, "measure": r.measure, "meshtel": r.ours,
                "alternative": r.alternative, "ratio": r.ratio, "goal": r.goal,
                "met": r.met, "runs": r.runs,
            })
        })
        .collect();
    let failures: Vec<Value> = figures
        .failures
        .iter()
        .map(|(name, why)| json!({ "producer": name, "error": why }))
        .collect();
    let report = json!({
        "about": about, "mode": mode.trim(), "rows": json_rows,
        "figures": figures.to_json(), "failures": failures,
    });
    std::fs::write(
        dir.join("report.json"),
        serde_json::to_string_pretty(&report)? + "\n",
    )?;
    std::fs::write(dir.join("report.md"), markdown(rows, about, mode))?;
    Ok(())
}
