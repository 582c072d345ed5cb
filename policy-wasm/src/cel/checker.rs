//! Admission-time checks of an expression against the Envoy/Istio attribute vocabulary: syntax,
//! unknown attributes (with the nearest known name), operand types, the result type the context
//! needs, and HTTP-only attributes that make a filter fail on TCP connections.

use super::ast::{BinOp, Comprehension, Expr, Kind, Macro, UnOp};
use super::value::Value;
use super::vocabulary::{self, AttrType, Resolved};
use super::{functions, parser, position, time};
use alloc::borrow::ToOwned;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

/// Where an expression is used, which decides the result type it needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Context {
    /// `accessLogging[].filter.expression`: must be boolean; also evaluated for TCP connections.
    Filter,
    /// A `metrics[].overrides[].tagOverrides[].value`: must give a string, or a value Istio
    /// turns into one (number, bool, bytes, timestamp, duration).
    TagValue,
}

/// How serious a diagnostic is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// The expression cannot work as written.
    Error,
    /// The expression works, but probably not as the author meant.
    Warning,
}

/// One finding about an expression, worded for an operator.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// 1-based column (in characters) of the part of the expression concerned.
    pub column: u32,
    /// What is wrong.
    pub message: String,
    /// How to fix it, when there is a likely fix.
    pub hint: Option<String>,
}

/// Checks `expr` for use in `context`. An empty result means no findings.
pub fn check(expr: &str, context: Context) -> Vec<Diagnostic> {
    let root = match parser::parse(expr) {
        Ok(root) => root,
        Err(e) => {
            return alloc::vec![Diagnostic {
                severity: Severity::Error,
                column: position(expr, e.pos).1,
                message: format!("not a valid CEL expression: {}", e.reason),
                hint: None,
            }];
        }
    };
    let mut c = Checker {
        src: expr,
        context,
        out: Vec::new(),
        guards: Vec::new(),
    };
    let ty = c.expr(&root, false);
    c.result(&root, ty);
    c.out.sort_by_key(|d| (d.severity, d.column));
    c.out.dedup();
    c.out
}

/// Static types, as far as the checker tracks them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ty {
    Dyn,
    Null,
    Bool,
    Int,
    Uint,
    Double,
    String,
    Bytes,
    Timestamp,
    Duration,
    List,
    Map,
    /// A map with string keys and string values (headers, labels).
    StrMap,
    Type,
}

impl Ty {
    fn name(self) -> &'static str {
        match self {
            Ty::Dyn => "dyn",
            Ty::Null => "null",
            Ty::Bool => "bool",
            Ty::Int => "int",
            Ty::Uint => "uint",
            Ty::Double => "double",
            Ty::String => "string",
            Ty::Bytes => "bytes",
            Ty::Timestamp => "timestamp",
            Ty::Duration => "duration",
            Ty::List => "list",
            Ty::Map | Ty::StrMap => "map",
            Ty::Type => "type",
        }
    }

    fn of_value(v: &Value) -> Ty {
        match v {
            Value::Null => Ty::Null,
            Value::Bool(_) => Ty::Bool,
            Value::Int(_) => Ty::Int,
            Value::Uint(_) => Ty::Uint,
            Value::Double(_) => Ty::Double,
            Value::String(_) => Ty::String,
            Value::Bytes(_) => Ty::Bytes,
            Value::List(_) => Ty::List,
            Value::Map(_) => Ty::Map,
            Value::Timestamp(_) => Ty::Timestamp,
            Value::Duration(_) => Ty::Duration,
            Value::Type(_) => Ty::Type,
        }
    }

    fn of_attr(t: AttrType) -> Ty {
        match t {
            AttrType::String => Ty::String,
            AttrType::Int => Ty::Int,
            AttrType::Uint => Ty::Uint,
            AttrType::Bool => Ty::Bool,
            AttrType::Timestamp => Ty::Timestamp,
            AttrType::Duration => Ty::Duration,
            AttrType::Headers(_) | AttrType::StringMap => Ty::StrMap,
            AttrType::Struct | AttrType::Dyn => Ty::Dyn,
        }
    }

    fn is(self, want: Ty) -> bool {
        self == want || self == Ty::Dyn
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::Uint | Ty::Double)
    }
}

/// Functions the evaluator implements (for "unknown function" findings).
const FUNCTIONS: &[&str] = &[
    "size",
    "contains",
    "startsWith",
    "endsWith",
    "matches",
    "int",
    "uint",
    "double",
    "string",
    "bytes",
    "bool",
    "timestamp",
    "duration",
    "type",
    "dyn",
    "getFullYear",
    "getMonth",
    "getDate",
    "getDayOfMonth",
    "getDayOfWeek",
    "getDayOfYear",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
];

struct Checker<'s> {
    src: &'s str,
    context: Context,
    out: Vec<Diagnostic>,
    /// Attribute paths known to be present here (inside `has(p) && ...` and the like).
    guards: Vec<String>,
}

fn joined(path: &[Box<str>]) -> String {
    path.join(".")
}

/// The path `e` tests with `has()`, when `e` is `has(path)` (`positive`) or `!has(path)`.
fn has_test(e: &Expr, positive: bool) -> Option<String> {
    match (&e.kind, positive) {
        (Kind::HasAttr(path), true) => Some(joined(path)),
        (Kind::Unary(UnOp::Not, inner), false) => has_test(inner, true),
        (Kind::Unary(UnOp::Not, inner), true) => has_test(inner, false),
        _ => None,
    }
}

impl Checker<'_> {
    fn column(&self, e: &Expr) -> u32 {
        position(self.src, e.pos).1
    }

    fn report(&mut self, severity: Severity, e: &Expr, message: String, hint: Option<String>) {
        let column = self.column(e);
        self.out.push(Diagnostic {
            severity,
            column,
            message,
            hint,
        });
    }

    fn error(&mut self, e: &Expr, message: String, hint: Option<String>) {
        self.report(Severity::Error, e, message, hint);
    }

    /// Runs `f` with `path` counted as present.
    fn guarded<T>(&mut self, path: Option<String>, f: impl FnOnce(&mut Self) -> T) -> T {
        let pushed = path.is_some();
        if let Some(p) = path {
            self.guards.push(p);
        }
        let r = f(self);
        if pushed {
            self.guards.pop();
        }
        r
    }

    fn is_guarded(&self, path: &str) -> bool {
        self.guards.iter().any(|g| {
            path == g
                || path
                    .strip_prefix(g.as_str())
                    .is_some_and(|rest| rest.starts_with('.'))
        })
    }

    /// Infers the type of `e`. `negated` is true where an error from `e` can turn a filter that
    /// would log into one that does not (under `!`, `!=` or a conditional's test).
    fn expr(&mut self, e: &Expr, negated: bool) -> Ty {
        match &e.kind {
            Kind::Lit(v) => Ty::of_value(v),
            Kind::Attr(path) => self.attr(e, path, negated, false),
            Kind::HasAttr(path) => {
                self.attr(e, path, negated, true);
                Ty::Bool
            }
            Kind::Local(_) => Ty::Dyn,
            Kind::Select(target, field) | Kind::Has(target, field) => {
                let t = self.expr(target, negated);
                if !matches!(t, Ty::Dyn | Ty::Map | Ty::StrMap) {
                    self.error(
                        e,
                        format!("a {} has no fields, so '.{field}' cannot work", t.name()),
                        None,
                    );
                }
                match (&e.kind, t) {
                    (Kind::Has(..), _) => Ty::Bool,
                    (_, Ty::StrMap) => Ty::String,
                    _ => Ty::Dyn,
                }
            }
            Kind::Index(target, idx) => {
                let t = self.expr(target, negated);
                let i = self.expr(idx, negated);
                match t {
                    Ty::List if !matches!(i, Ty::Int | Ty::Uint | Ty::Dyn) => {
                        self.error(
                            e,
                            format!("a list index must be an int, not {}", i.name()),
                            None,
                        );
                        Ty::Dyn
                    }
                    Ty::StrMap if !i.is(Ty::String) => {
                        self.error(
                            e,
                            format!("this map is keyed by strings, not {}", i.name()),
                            None,
                        );
                        Ty::Dyn
                    }
                    Ty::StrMap => Ty::String,
                    Ty::List | Ty::Map | Ty::Dyn => Ty::Dyn,
                    other => {
                        self.error(
                            e,
                            format!("a {} cannot be indexed with [...]", other.name()),
                            None,
                        );
                        Ty::Dyn
                    }
                }
            }
            Kind::Unary(op, operand) => self.unary(e, *op, operand, negated),
            Kind::Binary(op, a, b) => self.binary(e, *op, a, b, negated),
            Kind::And(a, b) | Kind::Or(a, b) => {
                let is_and = matches!(e.kind, Kind::And(..));
                let ta = self.expr(a, negated);
                // `has(p) && use(p)` and `!has(p) || use(p)` guard p on the right.
                let guard = has_test(a, is_and);
                let tb = self.guarded(guard, |c| c.expr(b, negated));
                let op = if is_and { "&&" } else { "||" };
                for (side, t) in [(a, ta), (b, tb)] {
                    if !t.is(Ty::Bool) {
                        self.error(
                            side,
                            format!("'{op}' needs bool operands, but this is {}", t.name()),
                            None,
                        );
                    }
                }
                Ty::Bool
            }
            Kind::Cond(c, yes, no) => {
                let tc = self.expr(c, true);
                if !tc.is(Ty::Bool) {
                    self.error(
                        c,
                        format!("a condition must be bool, not {}", tc.name()),
                        None,
                    );
                }
                let ty = self.guarded(has_test(c, true), |k| k.expr(yes, negated));
                let tn = self.guarded(has_test(c, false), |k| k.expr(no, negated));
                if ty == tn { ty } else { Ty::Dyn }
            }
            Kind::Call { name, target, args } => {
                self.call(e, name, target.as_deref(), args, negated)
            }
            Kind::Matches(target, _) => {
                self.expr(target, negated);
                Ty::Bool
            }
            Kind::List(items) => {
                for i in items {
                    self.expr(i, negated);
                }
                Ty::List
            }
            Kind::Map(entries) => {
                for (k, v) in entries {
                    let tk = self.expr(k, negated);
                    if matches!(tk, Ty::Double | Ty::Null | Ty::List | Ty::Map | Ty::StrMap) {
                        self.error(k, format!("a map key cannot be a {}", tk.name()), None);
                    }
                    self.expr(v, negated);
                }
                Ty::Map
            }
            Kind::Struct { name, fields } => {
                for (_, v) in fields {
                    self.expr(v, negated);
                }
                if !name.starts_with("google.protobuf.") {
                    self.error(
                        e,
                        format!("message literal '{name}' is not available in Envoy expressions"),
                        None,
                    );
                }
                Ty::Dyn
            }
            Kind::Comprehension(c) => self.comprehension(e, c, negated),
        }
    }

    fn attr(&mut self, e: &Expr, path: &[Box<str>], negated: bool, in_has: bool) -> Ty {
        let name = joined(path);
        if !in_has && let Some(t) = super::value::Type::from_name(&name) {
            let _ = t;
            return Ty::Type;
        }
        let segs: Vec<&str> = path.iter().map(|s| &**s).collect();
        let (ty, http_only) = match vocabulary::resolve(&segs) {
            Resolved::Exact(t, http) => (Ty::of_attr(t), http),
            Resolved::Open { http_only } => (Ty::Dyn, http_only),
            Resolved::Key(_, http) => (Ty::String, http),
            Resolved::Unknown { consumed } => {
                self.unknown_attr(e, &segs, consumed);
                return if in_has { Ty::Bool } else { Ty::Dyn };
            }
        };
        if ty == Ty::Dyn
            && matches!(
                vocabulary::resolve(&segs),
                Resolved::Exact(AttrType::Struct, _)
            )
            && !in_has
        {
            self.error(
                e,
                format!("'{name}' is a group of attributes, not a value"),
                Some(format!("use one of its attributes, such as '{name}.…'")),
            );
        }
        if http_only
            && !in_has
            && negated
            && self.context == Context::Filter
            && !self.is_guarded(&name)
        {
            self.report(
                Severity::Warning,
                e,
                format!(
                    "'{name}' exists only for HTTP requests; this filter also runs for TCP \
                     connections, where '{name}' is absent, the expression fails and the \
                     connection is not logged"
                ),
                Some(format!(
                    "guard it with has(): `!has({name}) || ...` or `has({name}) && ...`"
                )),
            );
        }
        ty
    }

    fn unknown_attr(&mut self, e: &Expr, segs: &[&str], consumed: usize) {
        let name = segs.join(".");
        // Selecting a field of a scalar attribute is a type error, not a typo.
        if consumed > 0
            && let Resolved::Exact(t, _) = vocabulary::resolve(segs.get(..consumed).unwrap_or(&[]))
            && !matches!(t, AttrType::Struct)
        {
            let base = segs.get(..consumed).unwrap_or(&[]).join(".");
            self.error(
                e,
                format!(
                    "'{base}' is {} and has no field '{}'",
                    t.cel_name(),
                    segs.get(consumed).copied().unwrap_or("")
                ),
                None,
            );
            return;
        }
        let hint = vocabulary::nearest(&name).map(|n| format!("did you mean '{n}'?"));
        let message = match &hint {
            Some(_) => format!("unknown attribute '{name}'; it has no value at run time"),
            None => format!("unknown attribute '{name}'; Envoy does not provide it"),
        };
        self.report(Severity::Warning, e, message, hint);
    }

    fn unary(&mut self, e: &Expr, op: UnOp, operand: &Expr, negated: bool) -> Ty {
        let t = self.expr(operand, if op == UnOp::Not { !negated } else { negated });
        match op {
            UnOp::Not if t.is(Ty::Bool) => Ty::Bool,
            UnOp::Not => {
                self.error(e, format!("'!' needs a bool, not {}", t.name()), None);
                Ty::Bool
            }
            UnOp::Neg if matches!(t, Ty::Int | Ty::Double | Ty::Duration | Ty::Dyn) => t,
            UnOp::Neg => {
                self.error(e, format!("'-' cannot negate a {}", t.name()), None);
                Ty::Dyn
            }
        }
    }

    fn binary(&mut self, e: &Expr, op: BinOp, a: &Expr, b: &Expr, negated: bool) -> Ty {
        let inner = if op == BinOp::Ne { !negated } else { negated };
        let ta = self.expr(a, inner);
        let tb = self.expr(b, inner);
        let known = ta != Ty::Dyn && tb != Ty::Dyn;
        let mismatch = |c: &mut Self| {
            c.error(
                e,
                format!(
                    "no matching overload for '{}' applied to ({}, {})",
                    op.symbol(),
                    ta.name(),
                    tb.name()
                ),
                conversion_hint(ta, tb),
            );
        };
        match op {
            BinOp::Eq | BinOp::Ne => {
                let comparable = ta == tb
                    || (ta.numeric() && tb.numeric())
                    || (matches!(ta, Ty::Map | Ty::StrMap) && matches!(tb, Ty::Map | Ty::StrMap))
                    || ta == Ty::Null
                    || tb == Ty::Null;
                if known && !comparable {
                    let always = if op == BinOp::Eq { "false" } else { "true" };
                    self.report(
                        Severity::Warning,
                        e,
                        format!(
                            "compares {} with {}, which is always {always}",
                            ta.name(),
                            tb.name()
                        ),
                        conversion_hint(ta, tb),
                    );
                }
                Ty::Bool
            }
            BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => {
                let ordered = (ta == tb
                    && matches!(
                        ta,
                        Ty::Int
                            | Ty::Uint
                            | Ty::Double
                            | Ty::String
                            | Ty::Bytes
                            | Ty::Bool
                            | Ty::Timestamp
                            | Ty::Duration
                    ))
                    || (ta.numeric() && tb.numeric());
                if known && !ordered {
                    mismatch(self);
                }
                Ty::Bool
            }
            BinOp::In => {
                if tb != Ty::Dyn && !matches!(tb, Ty::List | Ty::Map | Ty::StrMap) {
                    self.error(
                        e,
                        format!("'in' needs a list or map on its right, not {}", tb.name()),
                        None,
                    );
                }
                Ty::Bool
            }
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => {
                let result = arith(op, ta, tb);
                match result {
                    Some(t) => t,
                    None if known => {
                        mismatch(self);
                        Ty::Dyn
                    }
                    None => {
                        if ta == Ty::Dyn {
                            tb
                        } else {
                            ta
                        }
                    }
                }
            }
        }
    }

    fn call(
        &mut self,
        e: &Expr,
        name: &str,
        target: Option<&Expr>,
        args: &[Expr],
        negated: bool,
    ) -> Ty {
        let tt = target.map(|t| self.expr(t, negated));
        let targs: Vec<Ty> = args.iter().map(|a| self.expr(a, negated)).collect();
        if !FUNCTIONS.contains(&name) {
            let hint = FUNCTIONS
                .iter()
                .find(|f| {
                    f.eq_ignore_ascii_case(name) || f.eq_ignore_ascii_case(&name.replace('_', ""))
                })
                .map(|f| format!("did you mean '{f}'?"));
            self.error(e, format!("unknown function '{name}'"), hint);
            return Ty::Dyn;
        }
        // Receiver-style or global, the subject and arguments in one list.
        let mut all: Vec<Ty> = tt.into_iter().collect();
        all.extend(targs.iter().copied());
        let lit_arg = |i: usize| match args.get(i).map(|a| &a.kind) {
            Some(Kind::Lit(Value::String(s))) => Some(&**s),
            _ => None,
        };
        let bad = |c: &mut Self| {
            let types: Vec<&str> = all.iter().map(|t| t.name()).collect();
            c.error(
                e,
                format!(
                    "no matching overload for '{name}' applied to ({})",
                    types.join(", ")
                ),
                None,
            );
        };
        let fits =
            |want: &[Ty]| all.len() == want.len() && all.iter().zip(want).all(|(t, w)| t.is(*w));
        match name {
            "size" => {
                if !(all.len() == 1
                    && matches!(
                        all.first(),
                        Some(Ty::String | Ty::Bytes | Ty::List | Ty::Map | Ty::StrMap | Ty::Dyn)
                    ))
                {
                    bad(self);
                }
                Ty::Int
            }
            "contains" | "startsWith" | "endsWith" => {
                if target.is_none() || !fits(&[Ty::String, Ty::String]) {
                    bad(self);
                }
                Ty::Bool
            }
            "matches" => {
                if !fits(&[Ty::String, Ty::String]) {
                    bad(self);
                }
                let pattern_at = if target.is_some() { 0 } else { 1 };
                if let Some(p) = lit_arg(pattern_at)
                    && let Err(err) = functions::compile_regex(p)
                {
                    self.error(e, format!("{err}"), None);
                }
                Ty::Bool
            }
            "int" | "uint" | "double" | "string" | "bytes" | "bool" | "type" | "dyn" => {
                if target.is_some() || all.len() != 1 {
                    bad(self);
                }
                match name {
                    "int" => Ty::Int,
                    "uint" => Ty::Uint,
                    "double" => Ty::Double,
                    "string" => Ty::String,
                    "bytes" => Ty::Bytes,
                    "bool" => Ty::Bool,
                    "type" => Ty::Type,
                    _ => all.first().copied().unwrap_or(Ty::Dyn),
                }
            }
            "timestamp" | "duration" => {
                if target.is_some() || all.len() != 1 {
                    bad(self);
                }
                if let Some(text) = lit_arg(0) {
                    let ok = if name == "timestamp" {
                        time::parse_timestamp(text).is_ok()
                    } else {
                        time::parse_duration(text).is_ok()
                    };
                    if !ok {
                        let example = if name == "timestamp" {
                            "'2024-01-31T12:00:00Z'"
                        } else {
                            "'1.5s', '250ms' or '1h30m'"
                        };
                        self.error(
                            e,
                            format!("'{text}' is not a valid {name}"),
                            Some(format!("write it like {example}")),
                        );
                    }
                }
                if name == "timestamp" {
                    Ty::Timestamp
                } else {
                    Ty::Duration
                }
            }
            _ => {
                // Timestamp and duration accessors.
                let ok = match all.first() {
                    Some(Ty::Timestamp) => all.len() <= 2,
                    Some(Ty::Duration) => {
                        all.len() == 1
                            && matches!(
                                name,
                                "getHours" | "getMinutes" | "getSeconds" | "getMilliseconds"
                            )
                    }
                    Some(Ty::Dyn) => true,
                    _ => false,
                };
                if target.is_none() || !ok {
                    bad(self);
                }
                if let Some(tz) = lit_arg(0)
                    && time::parse_offset(tz).is_none()
                {
                    self.error(
                        e,
                        format!("time zone '{tz}' is not supported"),
                        Some("use UTC or a fixed offset such as '+01:00'".to_owned()),
                    );
                }
                Ty::Int
            }
        }
    }

    fn comprehension(&mut self, e: &Expr, c: &Comprehension, negated: bool) -> Ty {
        let tr = self.expr(&c.range, negated);
        if !matches!(tr, Ty::List | Ty::Map | Ty::StrMap | Ty::Dyn) {
            self.error(
                e,
                format!("{}() needs a list or map, not {}", c.kind.name(), tr.name()),
                None,
            );
        }
        if let Some(p) = &c.pred {
            let tp = self.expr(p, negated);
            if !tp.is(Ty::Bool) {
                self.error(
                    p,
                    format!(
                        "the condition of {}() must be bool, not {}",
                        c.kind.name(),
                        tp.name()
                    ),
                    None,
                );
            }
        }
        if let Some(v) = &c.value {
            self.expr(v, negated);
        }
        match c.kind {
            Macro::All | Macro::Exists | Macro::ExistsOne => Ty::Bool,
            Macro::Map | Macro::Filter => Ty::List,
        }
    }

    /// The whole expression's type against what the context needs.
    fn result(&mut self, root: &Expr, ty: Ty) {
        match self.context {
            Context::Filter if !ty.is(Ty::Bool) => {
                let hint = match ty {
                    Ty::String => {
                        Some("compare it, for example `request.host == 'example.com'`".to_owned())
                    }
                    Ty::Int | Ty::Uint => {
                        Some("compare it, for example `response.code >= 400`".to_owned())
                    }
                    Ty::StrMap | Ty::Map => Some(
                        "test an entry, for example `request.headers['x-debug'] == '1'`".to_owned(),
                    ),
                    _ => None,
                };
                self.out.push(Diagnostic {
                    severity: Severity::Error,
                    column: 1,
                    message: format!(
                        "an access-log filter must be a boolean expression, but this one gives {} \
                         (Envoy treats a non-boolean result as 'do not log')",
                        ty.name()
                    ),
                    hint,
                });
                let _ = root;
            }
            Context::TagValue
                if matches!(ty, Ty::Null | Ty::List | Ty::Map | Ty::StrMap | Ty::Type) =>
            {
                self.out.push(Diagnostic {
                    severity: Severity::Error,
                    column: 1,
                    message: format!(
                        "a metric tag value must be a string (or a number, bool, timestamp or \
                         duration, which Istio turns into text), but this one gives {}",
                        ty.name()
                    ),
                    hint: match ty {
                        Ty::StrMap | Ty::Map => Some(
                            "select one entry, for example `request.headers['x-tenant']`"
                                .to_owned(),
                        ),
                        _ => None,
                    },
                });
            }
            _ => {}
        }
    }
}

/// The result type of an arithmetic operator, or `None` when the operand types do not fit.
fn arith(op: BinOp, a: Ty, b: Ty) -> Option<Ty> {
    use Ty::*;
    Some(match (op, a, b) {
        (_, Dyn, Dyn) => Dyn,
        (BinOp::Add, String, String) => String,
        (BinOp::Add, Bytes, Bytes) => Bytes,
        (BinOp::Add, List, List) => List,
        (BinOp::Add, Timestamp, Duration) | (BinOp::Add, Duration, Timestamp) => Timestamp,
        (BinOp::Add | BinOp::Sub, Duration, Duration) => Duration,
        (BinOp::Sub, Timestamp, Timestamp) => Duration,
        (BinOp::Sub, Timestamp, Duration) => Timestamp,
        (BinOp::Rem, Double, Double) => return None,
        (_, Int, Int) => Int,
        (_, Uint, Uint) => Uint,
        (_, Double, Double) => Double,
        _ => return None,
    })
}

/// A conversion that would make two operand types meet, for hints.
fn conversion_hint(a: Ty, b: Ty) -> Option<String> {
    match (a, b) {
        (Ty::String, Ty::Int | Ty::Uint | Ty::Double)
        | (Ty::Int | Ty::Uint | Ty::Double, Ty::String) => {
            Some("convert one side: string(x) or int(x)".to_owned())
        }
        (Ty::Int, Ty::Uint) | (Ty::Uint, Ty::Int) => {
            Some("convert one side: int(x) or uint(x)".to_owned())
        }
        (Ty::Int, Ty::Double) | (Ty::Double, Ty::Int) => {
            Some("convert one side: double(x)".to_owned())
        }
        _ => None,
    }
}
