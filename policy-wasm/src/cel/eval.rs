//! The tree-walking evaluator: CEL semantics over a compiled expression, with names resolved
//! lazily through an [`Activation`].

use super::ast::{BinOp, Comprehension, Expr, Kind, Macro, UnOp};
use super::error::{ErrorKind, EvalError};
use super::functions as f;
use super::value::{Type, Value};
use alloc::boxed::Box;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Most steps (nodes visited, comprehension iterations, container elements scanned) one
/// evaluation may take; stops runaway nested comprehensions.
pub(crate) const STEP_BUDGET: u64 = 5_000_000;

/// What an [`Activation`] knows about a name.
#[derive(Debug, Clone)]
pub enum Lookup {
    /// The name has this value.
    Found(Value),
    /// The name is known but has no value (an attribute the request does not carry).
    Absent,
    /// The value exists but does not decode as the attribute's type.
    Malformed,
    /// The name is not known here; the evaluator tries a shorter prefix of a qualified name.
    Unbound,
}

/// Resolves the names an expression uses: attributes of a request, or test variables.
pub trait Activation {
    /// The value of the qualified name `path` (`["request", "url_path"]`).
    fn resolve(&self, path: &[&str]) -> Lookup;

    /// The entry `key` of the map-valued name `path`, when the source can read one entry without
    /// building the whole map (a header). `Unbound` means "build the map and index it".
    fn resolve_key(&self, path: &[&str], key: &str) -> Lookup {
        let _ = (path, key);
        Lookup::Unbound
    }
}

type R = Result<Value, EvalError>;

/// One evaluation: the activation, the comprehension variables in scope and the step count.
pub(crate) struct Evaluator<'p, 'a> {
    act: &'a dyn Activation,
    locals: Vec<(&'p str, Value)>,
    steps: u64,
}

/// Runs `f` with the path as a slice of `&str`, without allocating for ordinary paths.
fn with_segments<T>(path: &[Box<str>], extra: Option<&str>, f: impl FnOnce(&[&str]) -> T) -> T {
    const N: usize = 12;
    let total = path.len() + usize::from(extra.is_some());
    if total <= N {
        let mut buf: [&str; N] = [""; N];
        for (slot, seg) in buf.iter_mut().zip(path.iter().map(|s| &**s).chain(extra)) {
            *slot = seg;
        }
        f(buf.get(..total).unwrap_or(&[]))
    } else {
        let v: Vec<&str> = path.iter().map(|s| &**s).chain(extra).collect();
        f(&v)
    }
}

fn err(e: &Expr, kind: ErrorKind) -> EvalError {
    EvalError::at(e.pos, kind)
}

impl<'p, 'a> Evaluator<'p, 'a> {
    pub(crate) fn new(act: &'a dyn Activation) -> Self {
        Evaluator {
            act,
            locals: Vec::new(),
            steps: 0,
        }
    }

    fn charge(&mut self, e: &Expr, n: u64) -> Result<(), EvalError> {
        self.steps = self.steps.saturating_add(n);
        if self.steps > STEP_BUDGET {
            return Err(err(e, ErrorKind::Budget(STEP_BUDGET)));
        }
        Ok(())
    }

    /// Evaluates `e`. A small dispatcher: each kind's work lives in its own `#[inline(never)]`
    /// method so that the frames stacked per nesting level stay small.
    pub(crate) fn eval(&mut self, e: &'p Expr) -> R {
        self.charge(e, 1)?;
        match &e.kind {
            Kind::Lit(v) => Ok(v.clone()),
            Kind::Attr(path) => self.attr(e, path),
            Kind::Local(name) => self.local(e, name),
            Kind::Select(target, field) => self.select(e, target, field, false),
            Kind::Has(target, field) => self.select(e, target, field, true),
            Kind::HasAttr(path) => self.has_attr(e, path),
            Kind::Index(target, idx) => self.index(e, target, idx),
            Kind::Unary(op, operand) => self.unary(e, *op, operand),
            Kind::Binary(BinOp::In, elem, container) => self.contains(e, elem, container),
            Kind::Binary(op, a, b) => self.binary(e, *op, a, b),
            Kind::And(a, b) => self.logic(e, a, b, false),
            Kind::Or(a, b) => self.logic(e, a, b, true),
            Kind::Cond(c, yes, no) => self.cond(e, c, yes, no),
            Kind::Call { name, target, args } => self.call(e, name, target.as_deref(), args),
            Kind::Matches(target, re) => self.matches(e, target, re),
            Kind::List(items) => self.list(items),
            Kind::Map(entries) => self.map(e, entries),
            Kind::Struct { name, fields } => self.message(e, name, fields),
            Kind::Comprehension(c) => self.comprehension(e, c),
        }
    }

    #[inline(never)]
    fn local(&mut self, e: &Expr, name: &str) -> R {
        self.locals
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| err(e, ErrorKind::UnknownName(String::from(name))))
    }

    #[inline(never)]
    fn select(&mut self, e: &Expr, target: &'p Expr, field: &str, test_only: bool) -> R {
        let v = self.eval(target)?;
        let r = if test_only {
            f::has_field(&v, field)
        } else {
            f::select(&v, field)
        };
        r.map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn index(&mut self, e: &Expr, target: &'p Expr, idx: &'p Expr) -> R {
        if let (Kind::Attr(path), Kind::Lit(Value::String(key))) = (&target.kind, &idx.kind) {
            match with_segments(path, None, |segs| self.act.resolve_key(segs, key)) {
                Lookup::Found(v) => return Ok(v),
                Lookup::Absent => {
                    let shown = Value::String(key.clone()).key_text();
                    return Err(err(e, ErrorKind::NoSuchKey(shown)));
                }
                Lookup::Malformed => return Err(err(e, malformed(path))),
                Lookup::Unbound => {}
            }
        }
        let t = self.eval(target)?;
        let i = self.eval(idx)?;
        f::index(&t, &i).map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn unary(&mut self, e: &Expr, op: UnOp, operand: &'p Expr) -> R {
        let v = self.eval(operand)?;
        let at = |k: ErrorKind| err(e, k);
        match (op, &v) {
            (UnOp::Not, Value::Bool(b)) => Ok(Value::Bool(!b)),
            (UnOp::Neg, Value::Int(i)) => i
                .checked_neg()
                .map(Value::Int)
                .ok_or_else(|| at(ErrorKind::Overflow("-"))),
            (UnOp::Neg, Value::Double(d)) => Ok(Value::Double(-d)),
            (UnOp::Neg, Value::Duration(d)) => Ok(Value::Duration(-d)),
            (UnOp::Not, _) => Err(at(f::no_overload("!", &[&v]))),
            (UnOp::Neg, _) => Err(at(f::no_overload("-", &[&v]))),
        }
    }

    #[inline(never)]
    fn contains(&mut self, e: &Expr, elem: &'p Expr, container: &'p Expr) -> R {
        if let (Kind::Lit(Value::String(key)), Kind::Attr(path)) = (&elem.kind, &container.kind) {
            match with_segments(path, None, |segs| self.act.resolve_key(segs, key)) {
                Lookup::Found(_) => return Ok(Value::Bool(true)),
                Lookup::Absent => return Ok(Value::Bool(false)),
                Lookup::Malformed => return Err(err(e, malformed(path))),
                Lookup::Unbound => {}
            }
        }
        let l = self.eval(elem)?;
        let r = self.eval(container)?;
        self.charge(e, container_len(&r))?;
        f::binary(BinOp::In, &l, &r).map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn binary(&mut self, e: &Expr, op: BinOp, a: &'p Expr, b: &'p Expr) -> R {
        let l = self.eval(a)?;
        let r = self.eval(b)?;
        if matches!(op, BinOp::Eq | BinOp::Ne | BinOp::Add) {
            // Comparing or concatenating containers costs their size.
            let n = container_len(&l) + container_len(&r);
            self.charge(e, n)?;
        }
        f::binary(op, &l, &r).map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn cond(&mut self, e: &Expr, c: &'p Expr, yes: &'p Expr, no: &'p Expr) -> R {
        match self.eval(c)? {
            Value::Bool(true) => self.eval(yes),
            Value::Bool(false) => self.eval(no),
            v => Err(err(e, f::no_overload("_?_:_", &[&v]))),
        }
    }

    #[inline(never)]
    fn matches(&mut self, e: &Expr, target: &'p Expr, re: &super::regex::Regex) -> R {
        match self.eval(target)? {
            Value::String(s) => Ok(Value::Bool(re.is_match(&s))),
            v => Err(err(
                e,
                f::no_overload("matches", &[&v, &Value::string(re.as_str())]),
            )),
        }
    }

    #[inline(never)]
    fn list(&mut self, items: &'p [Expr]) -> R {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.eval(item)?);
        }
        Ok(Value::List(Arc::from(out)))
    }

    #[inline(never)]
    fn map(&mut self, e: &Expr, entries: &'p [(Expr, Expr)]) -> R {
        let mut out = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            let k = self.eval(k)?;
            let v = self.eval(v)?;
            out.push((k, v));
        }
        f::make_map(out).map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn message(&mut self, e: &Expr, name: &str, fields: &'p [(Box<str>, Expr)]) -> R {
        let mut out = Vec::with_capacity(fields.len());
        for (n, v) in fields {
            out.push((&**n, self.eval(v)?));
        }
        f::message(name, &out).map_err(|k| err(e, k))
    }

    /// `&&` (or `||` when `or`): the deciding value wins over an error on the other side.
    #[inline(never)]
    fn logic(&mut self, e: &Expr, a: &'p Expr, b: &'p Expr, or: bool) -> R {
        let decisive = or;
        let l = self.eval(a);
        if let Ok(Value::Bool(v)) = l
            && v == decisive
        {
            return Ok(Value::Bool(decisive));
        }
        let r = self.eval(b);
        if let Ok(Value::Bool(v)) = r
            && v == decisive
        {
            return Ok(Value::Bool(decisive));
        }
        let name = if or { "_||_" } else { "_&&_" };
        match (l, r) {
            (Ok(Value::Bool(_)), Ok(Value::Bool(_))) => Ok(Value::Bool(!decisive)),
            (Err(x), _) => Err(x),
            (Ok(Value::Bool(_)), Err(y)) => Err(y),
            (Ok(v @ Value::Bool(_)), Ok(w)) | (Ok(v), Ok(w)) => {
                Err(err(e, f::no_overload(name, &[&v, &w])))
            }
            (Ok(v), Err(_)) => Err(err(e, f::no_overload(name, &[&v]))),
        }
    }

    #[inline(never)]
    fn attr(&mut self, e: &Expr, path: &[Box<str>]) -> R {
        // Type names (`int`, `google.protobuf.Timestamp`) denote type values.
        if path.len() == 1 || path.len() == 3 {
            let joined_type = with_segments(path, None, |segs| Type::from_name(&segs.join(".")));
            if let Some(t) = joined_type {
                return Ok(Value::Type(t));
            }
        }
        let act = self.act;
        let found = with_segments(path, None, |segs| {
            for n in (1..=segs.len()).rev() {
                let prefix = segs.get(..n).unwrap_or(&[]);
                match act.resolve(prefix) {
                    Lookup::Found(v) => return Ok((v, n)),
                    Lookup::Absent => {
                        return Err(ErrorKind::NoSuchAttribute(prefix.join(".")));
                    }
                    Lookup::Malformed => {
                        return Err(ErrorKind::MalformedAttribute(prefix.join(".")));
                    }
                    Lookup::Unbound => {}
                }
            }
            Err(ErrorKind::UnknownName(segs.join(".")))
        });
        let (mut v, used) = found.map_err(|k| err(e, k))?;
        for field in path.iter().skip(used) {
            v = f::select(&v, field).map_err(|k| err(e, k))?;
        }
        Ok(v)
    }

    #[inline(never)]
    fn has_attr(&mut self, e: &Expr, path: &[Box<str>]) -> R {
        let act = self.act;
        let direct = with_segments(path, None, |segs| act.resolve(segs));
        match direct {
            Lookup::Found(_) => return Ok(Value::Bool(true)),
            Lookup::Absent => return Ok(Value::Bool(false)),
            Lookup::Malformed => return Err(err(e, malformed(path))),
            Lookup::Unbound => {}
        }
        // Test the last field on the value of the rest of the path.
        let (last, parent) = match path.split_last() {
            Some(x) => x,
            None => return Err(err(e, ErrorKind::UnknownName(String::new()))),
        };
        let v = self.attr(e, parent)?;
        f::has_field(&v, last).map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn call(&mut self, e: &Expr, name: &str, target: Option<&'p Expr>, args: &'p [Expr]) -> R {
        let t = match target {
            Some(t) => Some(self.eval(t)?),
            None => None,
        };
        let result = match args {
            [] => f::call(name, t.as_ref(), &[]),
            [a] => {
                let a = self.eval(a)?;
                f::call(name, t.as_ref(), core::slice::from_ref(&a))
            }
            [a, b] => {
                let pair = [self.eval(a)?, self.eval(b)?];
                f::call(name, t.as_ref(), &pair)
            }
            _ => {
                let mut vals = Vec::with_capacity(args.len());
                for a in args {
                    vals.push(self.eval(a)?);
                }
                f::call(name, t.as_ref(), &vals)
            }
        };
        result.map_err(|k| err(e, k))
    }

    #[inline(never)]
    fn comprehension(&mut self, e: &Expr, c: &'p Comprehension) -> R {
        let range = self.eval(&c.range)?;
        let items: Vec<Value> = match &range {
            Value::List(items) => items.to_vec(),
            Value::Map(m) => m.iter().map(|(k, _)| k.clone()).collect(),
            v => return Err(err(e, f::no_overload(c.kind.name(), &[v]))),
        };
        let mut count: i64 = 0;
        let mut first_error: Option<EvalError> = None;
        let mut out = Vec::new();
        for item in items {
            self.charge(e, 1)?;
            let kept = (c.kind == Macro::Filter).then(|| item.clone());
            self.locals.push((&*c.var, item));
            let step = self.iteration(c, &mut count, &mut first_error, &mut out);
            self.locals.pop();
            match step? {
                Step::Next => {}
                Step::Keep => out.extend(kept),
                Step::Done(v) => return Ok(v),
            }
        }
        if let Some(x) = first_error {
            return Err(x);
        }
        Ok(match c.kind {
            Macro::All => Value::Bool(true),
            Macro::Exists => Value::Bool(false),
            Macro::ExistsOne => Value::Bool(count == 1),
            Macro::Map | Macro::Filter => Value::List(Arc::from(out)),
        })
    }

    /// One iteration of the comprehension body.
    fn iteration(
        &mut self,
        c: &'p Comprehension,
        count: &mut i64,
        first_error: &mut Option<EvalError>,
        out: &mut Vec<Value>,
    ) -> Result<Step, EvalError> {
        let pred = |me: &mut Self| -> Result<Option<bool>, EvalError> {
            match &c.pred {
                None => Ok(None),
                Some(p) => match me.eval(p)? {
                    Value::Bool(b) => Ok(Some(b)),
                    v => Err(err(p, f::no_overload(c.kind.name(), &[&v]))),
                },
            }
        };
        match c.kind {
            Macro::All | Macro::Exists => {
                let decisive = c.kind == Macro::Exists;
                match pred(self) {
                    Ok(Some(b)) if b == decisive => return Ok(Step::Done(Value::Bool(decisive))),
                    Ok(_) => {}
                    Err(x) => {
                        if first_error.is_none() {
                            *first_error = Some(x);
                        }
                    }
                }
            }
            Macro::ExistsOne => {
                if pred(self)? == Some(true) {
                    *count += 1;
                }
            }
            Macro::Filter => {
                if pred(self)? == Some(true) {
                    return Ok(Step::Keep);
                }
            }
            Macro::Map => {
                if pred(self)? != Some(false)
                    && let Some(v) = &c.value
                {
                    out.push(self.eval(v)?);
                }
            }
        }
        Ok(Step::Next)
    }
}

/// What one comprehension iteration asks for.
enum Step {
    Next,
    /// `filter`: keep the current element.
    Keep,
    /// The result is decided.
    Done(Value),
}

fn container_len(v: &Value) -> u64 {
    match v {
        Value::List(items) => items.len() as u64,
        Value::Map(m) => m.len() as u64,
        Value::String(s) => s.len() as u64 / 16,
        Value::Bytes(b) => b.len() as u64 / 16,
        _ => 0,
    }
}

fn malformed(path: &[Box<str>]) -> ErrorKind {
    ErrorKind::MalformedAttribute(path.join("."))
}
