//! `meshtel cel`: checks a CEL expression the way admission does and, given a recorded request
//! fixture, evaluates it against that request's attributes.

use anyhow::{Context as _, Result};
use host_tests::fixture::Fixture;
use policy_wasm::cel::{self, Context, Diagnostic, Program, Severity, Value};
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Where the expression is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Use {
    /// `accessLogging[].filter.expression` (must be boolean).
    Filter,
    /// A `tagOverrides` value (must give a string or a value Istio turns into one).
    Tag,
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// One JSON object.
    Json,
}

/// Arguments of `meshtel cel`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The CEL expression.
    pub expr: String,
    /// A recorded request fixture (JSON) to evaluate the expression against.
    #[arg(long)]
    pub fixture: Option<PathBuf>,
    /// Where the expression is used.
    #[arg(long, value_enum, default_value = "filter")]
    pub context: Use,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "text")]
    pub output: Format,
}

/// The outcome of evaluating against a fixture.
enum Outcome {
    Value(Value),
    Error { column: u32, message: String },
}

/// Runs the command: exit 0 when the expression has no errors, 1 when it has.
pub fn run(args: Args) -> Result<ExitCode> {
    let context = match args.context {
        Use::Filter => Context::Filter,
        Use::Tag => Context::TagValue,
    };
    let diagnostics = cel::check(&args.expr, context);
    let outcome = match &args.fixture {
        None => None,
        Some(path) => {
            let fixture = Fixture::load(path)
                .with_context(|| format!("loading fixture {}", path.display()))?;
            Program::compile(&args.expr)
                .ok()
                .map(|p| match p.evaluate(&fixture) {
                    Ok(v) => Outcome::Value(v),
                    Err(e) => Outcome::Error {
                        column: e.column,
                        message: e.kind.to_string(),
                    },
                })
        }
    };
    match args.output {
        Format::Text => print_text(&args, &diagnostics, outcome.as_ref()),
        Format::Json => print_json(&args, &diagnostics, outcome.as_ref())?,
    }
    let failed = diagnostics.iter().any(|d| d.severity == Severity::Error);
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// What the proxy does with the result: log or not, or the tag text.
fn verdict(context: Use, outcome: &Outcome) -> String {
    match (context, outcome) {
        (Use::Filter, Outcome::Value(Value::Bool(true))) => "Envoy logs this request".into(),
        (Use::Filter, _) => "Envoy does not log this request".into(),
        (Use::Tag, Outcome::Value(v)) => match tag_text(v) {
            Some(text) => format!("the tag value is \"{text}\""),
            None => "the tag value is \"unknown\" (not convertible to text)".into(),
        },
        (Use::Tag, Outcome::Error { .. }) => {
            "the tag value is \"unknown\" (Istio's value when evaluation fails)".into()
        }
    }
}

/// The text Istio's stats filter makes of a tag value.
fn tag_text(v: &Value) -> Option<String> {
    Some(match v {
        Value::String(s) => s.to_string(),
        Value::Bytes(b) => String::from_utf8_lossy(b).into_owned(),
        Value::Bool(b) => b.to_string(),
        Value::Int(i) => i.to_string(),
        Value::Uint(u) => u.to_string(),
        Value::Double(d) => d.to_string(),
        // Displayed as `timestamp("…")` / `duration("…")`: keep the quoted text.
        Value::Timestamp(_) | Value::Duration(_) => {
            let shown = v.to_string();
            shown.split('"').nth(1).unwrap_or(&shown).to_string()
        }
        _ => return None,
    })
}

fn print_text(args: &Args, diagnostics: &[Diagnostic], outcome: Option<&Outcome>) {
    let single_line = !args.expr.contains('\n');
    for d in diagnostics {
        if single_line {
            println!("  {}", args.expr);
            println!("  {}^", " ".repeat(d.column.saturating_sub(1) as usize));
        }
        println!(
            "{} (column {}): {}",
            severity(d.severity),
            d.column,
            d.message
        );
        if let Some(hint) = &d.hint {
            println!("  hint: {hint}");
        }
    }
    if diagnostics.is_empty() {
        let what = match args.context {
            Use::Filter => "access-log filter",
            Use::Tag => "tag value",
        };
        println!("ok: valid {what}, no findings");
    }
    if let (Some(outcome), Some(path)) = (outcome, &args.fixture) {
        println!("against {}:", path.display());
        match outcome {
            Outcome::Value(v) => println!("  value: {v} ({})", v.type_name()),
            Outcome::Error { column, message } => {
                println!("  error (column {column}): {message}")
            }
        }
        println!("  {}", verdict(args.context, outcome));
    }
}

fn print_json(args: &Args, diagnostics: &[Diagnostic], outcome: Option<&Outcome>) -> Result<()> {
    let diags: Vec<_> = diagnostics
        .iter()
        .map(|d| {
            json!({
                "severity": severity(d.severity),
                "column": d.column,
                "message": d.message,
                "hint": d.hint,
            })
        })
        .collect();
    let evaluation = outcome.map(|o| {
        let mut out = match o {
            Outcome::Value(v) => json!({ "value": v.to_string(), "type": v.type_name() }),
            Outcome::Error { column, message } => json!({ "error": message, "column": column }),
        };
        out["verdict"] = json!(verdict(args.context, o));
        if args.context == Use::Filter {
            out["logs"] = json!(matches!(o, Outcome::Value(Value::Bool(true))));
        }
        out
    });
    let report = json!({
        "expression": args.expr,
        "context": match args.context { Use::Filter => "filter", Use::Tag => "tag" },
        "valid": !diagnostics.iter().any(|d| d.severity == Severity::Error),
        "diagnostics": diags,
        "evaluation": evaluation,
    });
    println!("{}", serde_json::to_string_pretty(&report)?);
    Ok(())
}
