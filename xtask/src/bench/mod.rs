//! `cargo xtask bench`: runs every producer (`producers.rs`), then prints one table (`rows.rs`) and
//! writes `target/bench/report.json` and `report.md` (`report.rs`). Figures are medians; nothing is
//! asserted about speed. `--quick` is a smoke run with short counts.

mod figures;
mod machine;
mod producers;
mod report;
mod rows;
mod tools;

use crate::root;
use anyhow::{Result, bail};

/// How long the producers measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The real bench (about 10 minutes on the project's 2-core machine).
    Full,
    /// A smoke run: every producer, a tenth of the work.
    Quick,
}

impl Mode {
    /// The flag the drivers take.
    fn flag(self) -> &'static [&'static str] {
        match self {
            Mode::Full => &[],
            Mode::Quick => &["--quick"],
        }
    }
}

/// Runs the bench with the command-line arguments after `bench`.
pub fn command(args: &[String]) -> Result<()> {
    let mode = match args.first().map(String::as_str) {
        None => Mode::Full,
        Some("--quick") => Mode::Quick,
        Some(other) => bail!("unknown bench argument {other:?} (only --quick)"),
    };
    eprintln!(
        "xtask: building the bench drivers (profile {})",
        producers::PROFILE
    );
    producers::build_drivers()?;
    let mut figures = figures::Figures::default();
    for producer in producers::all() {
        eprintln!("xtask: bench: {}", producer.name);
        if let Err(e) = (producer.run)(mode, &mut figures) {
            eprintln!("xtask: bench: {} failed: {e:#}", producer.name);
            figures
                .failures
                .push((producer.name.into(), format!("{e:#}")));
        }
    }
    let about = machine::describe();
    let rows = rows::table(&figures);
    let shown = if mode == Mode::Quick { " --quick" } else { "" };
    println!();
    report::print(&rows, &about, shown);
    let dir = root().join("target/bench");
    report::write(&dir, &rows, &figures, &about, shown)?;
    println!(
        "\nreport: {} and report.md",
        dir.join("report.json").display()
    );
    if !figures.failures.is_empty() {
        let names: Vec<&str> = figures.failures.iter().map(|(n, _)| n.as_str()).collect();
        bail!("{} producer(s) failed: {}", names.len(), names.join(", "));
    }
    Ok(())
}
