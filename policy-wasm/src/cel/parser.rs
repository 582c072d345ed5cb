//! A hand-written recursive-descent parser for the CEL grammar, with macro expansion.
//!
//! Guards: the source length is capped, recursion is counted, and every node's subtree height is
//! tracked so that no later walk (evaluation, checking, dropping) can recurse deeper than
//! [`MAX_DEPTH`]. Chains of `&&` and `||` are built as balanced trees, as cel-go does, so long
//! conjunctions stay shallow.

use super::ast::{BinOp, Comprehension, Expr, Kind, Macro, UnOp};
use super::lexer::{Tok, Token, tokenize};
use super::value::Value;
use alloc::boxed::Box;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;

/// Longest accepted source text, in bytes.
pub(crate) const MAX_SOURCE_LEN: usize = 100_000;
/// Deepest accepted nesting of the expression tree.
pub(crate) const MAX_DEPTH: u16 = 100;

/// A syntax error at a byte offset.
#[derive(Debug, Clone)]
pub(crate) struct SyntaxError {
    pub pos: u32,
    pub reason: String,
}

type PResult<T> = Result<T, SyntaxError>;

/// Words CEL reserves: not usable as identifiers, but fine as field and method names.
const RESERVED: &[&str] = &[
    "as",
    "break",
    "const",
    "continue",
    "else",
    "for",
    "function",
    "if",
    "import",
    "let",
    "loop",
    "package",
    "namespace",
    "return",
    "var",
    "void",
    "while",
];

/// Parses `src` into an expression tree.
pub(crate) fn parse(src: &str) -> PResult<Expr> {
    if src.len() > MAX_SOURCE_LEN {
        return Err(SyntaxError {
            pos: 0,
            reason: format!("expression longer than {MAX_SOURCE_LEN} bytes"),
        });
    }
    let toks = tokenize(src).map_err(|e| SyntaxError {
        pos: e.pos,
        reason: e.reason,
    })?;
    let mut p = Parser {
        toks,
        i: 0,
        nesting: 0,
    };
    let e = p.expr()?;
    match p.peek() {
        Tok::Eof => Ok(e),
        t => Err(SyntaxError {
            pos: p.pos(),
            reason: format!("unexpected {} after the end of the expression", describe(t)),
        }),
    }
}

struct Parser {
    toks: Vec<Token>,
    i: usize,
    nesting: u16,
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Int(_) | Tok::Uint(_) | Tok::Double(_) => "number".into(),
        Tok::Str(_) => "string".into(),
        Tok::Bytes(_) => "bytes".into(),
        Tok::Ident(name) => format!("name '{name}'"),
        Tok::Quoted(name) => format!("`{name}`"),
        Tok::True => "'true'".into(),
        Tok::False => "'false'".into(),
        Tok::Null => "'null'".into(),
        Tok::In => "'in'".into(),
        Tok::LParen => "'('".into(),
        Tok::RParen => "')'".into(),
        Tok::LBracket => "'['".into(),
        Tok::RBracket => "']'".into(),
        Tok::LBrace => "'{'".into(),
        Tok::RBrace => "'}'".into(),
        Tok::Dot => "'.'".into(),
        Tok::Comma => "','".into(),
        Tok::Colon => "':'".into(),
        Tok::Question => "'?'".into(),
        Tok::Not => "'!'".into(),
        Tok::Minus => "'-'".into(),
        Tok::Plus => "'+'".into(),
        Tok::Star => "'*'".into(),
        Tok::Slash => "'/'".into(),
        Tok::Percent => "'%'".into(),
        Tok::Eq => "'=='".into(),
        Tok::Ne => "'!='".into(),
        Tok::Lt => "'<'".into(),
        Tok::Le => "'<='".into(),
        Tok::Gt => "'>'".into(),
        Tok::Ge => "'>='".into(),
        Tok::And => "'&&'".into(),
        Tok::Or => "'||'".into(),
        Tok::Eof => "end of expression".into(),
    }
}

/// Height of a node made of `kind`: one more than its highest child.
fn height(kind: &Kind) -> usize {
    let child_max = |e: &Expr| usize::from(e.depth);
    1 + match kind {
        Kind::Lit(_) | Kind::Local(_) => 0,
        Kind::Attr(path) | Kind::HasAttr(path) => path.len().saturating_sub(1),
        Kind::Select(e, _) | Kind::Has(e, _) | Kind::Unary(_, e) | Kind::Matches(e, _) => {
            child_max(e)
        }
        Kind::Index(a, b) | Kind::Binary(_, a, b) | Kind::And(a, b) | Kind::Or(a, b) => {
            child_max(a).max(child_max(b))
        }
        Kind::Cond(a, b, c) => child_max(a).max(child_max(b)).max(child_max(c)),
        Kind::Call { target, args, .. } => target
            .iter()
            .map(|t| child_max(t))
            .chain(args.iter().map(child_max))
            .max()
            .unwrap_or(0),
        Kind::List(items) => items.iter().map(child_max).max().unwrap_or(0),
        Kind::Map(entries) => entries
            .iter()
            .map(|(k, v)| child_max(k).max(child_max(v)))
            .max()
            .unwrap_or(0),
        Kind::Struct { fields, .. } => fields.iter().map(|(_, v)| child_max(v)).max().unwrap_or(0),
        Kind::Comprehension(c) => {
            // A comprehension variable may expand to a select chain; leave room for it.
            child_max(&c.range)
                .max(c.pred.as_ref().map_or(0, child_max))
                .max(c.value.as_ref().map_or(0, child_max))
        }
    }
}

#[cold]
#[inline(never)]
fn too_deep<T>(pos: u32) -> PResult<T> {
    Err(SyntaxError {
        pos,
        reason: format!("expression nested too deeply (limit {MAX_DEPTH} levels)"),
    })
}

/// Makes a node, refusing trees deeper than [`MAX_DEPTH`].
#[inline(never)]
pub(crate) fn node(pos: u32, kind: Kind) -> PResult<Expr> {
    let h = height(&kind);
    if h > usize::from(MAX_DEPTH) {
        return too_deep(pos);
    }
    Ok(Expr {
        pos,
        depth: h as u16,
        kind,
    })
}

impl Parser {
    fn peek(&self) -> &Tok {
        self.toks.get(self.i).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn peek_at(&self, n: usize) -> &Tok {
        self.toks.get(self.i + n).map_or(&Tok::Eof, |t| &t.tok)
    }

    fn pos(&self) -> u32 {
        self.toks
            .get(self.i)
            .or_else(|| self.toks.last())
            .map_or(0, |t| t.pos)
    }

    fn bump(&mut self) -> Tok {
        let t = self
            .toks
            .get_mut(self.i)
            .map_or(Tok::Eof, |t| core::mem::replace(&mut t.tok, Tok::Eof));
        if self.i < self.toks.len() {
            self.i += 1;
        }
        t
    }

    fn fail<T>(&self, reason: String) -> PResult<T> {
        Err(SyntaxError {
            pos: self.pos(),
            reason,
        })
    }

    fn expect(&mut self, want: Tok, what: &str) -> PResult<()> {
        if *self.peek() == want {
            self.bump();
            Ok(())
        } else {
            self.unexpected(what)
        }
    }

    fn enter(&mut self) -> PResult<()> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return self.fail(format!(
                "expression nested too deeply (limit {MAX_DEPTH} levels)"
            ));
        }
        Ok(())
    }

    /// Expr = Or ["?" Or ":" Expr]
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.conditional();
        self.nesting -= 1;
        result
    }

    fn conditional(&mut self) -> PResult<Expr> {
        let cond = self.binary(0)?;
        if *self.peek() != Tok::Question {
            return Ok(cond);
        }
        let pos = self.pos();
        self.bump();
        let yes = self.binary(0)?;
        self.expect(Tok::Colon, "':' of the conditional")?;
        let no = self.expr()?;
        node(pos, Kind::Cond(Box::new(cond), Box::new(yes), Box::new(no)))
    }

    /// Binary operators by precedence climbing (one frame per precedence level, not per
    /// operator); runs of `&&` or `||` become balanced trees.
    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut left = self.unary()?;
        loop {
            let Some((prec, op)) = binop(self.peek()) else {
                return Ok(left);
            };
            if prec < min_prec {
                return Ok(left);
            }
            let pos = self.pos();
            self.bump();
            let right = self.binary(prec + 1)?;
            left = match op {
                None => self.logical_run(prec, left, pos, right)?,
                Some(op) => node(pos, Kind::Binary(op, Box::new(left), Box::new(right)))?,
            };
        }
    }

    /// Collects `a || b || c ...` (or `&&`) and builds a balanced tree.
    #[inline(never)]
    fn logical_run(&mut self, prec: u8, first: Expr, pos: u32, second: Expr) -> PResult<Expr> {
        let or = prec == PREC_OR;
        let same = if or { Tok::Or } else { Tok::And };
        let mut operands = alloc::vec![first, second];
        let mut positions = alloc::vec![pos];
        while *self.peek() == same {
            positions.push(self.pos());
            self.bump();
            operands.push(self.binary(prec + 1)?);
        }
        balance(or, operands, &positions)
    }

    /// Prefix operators are collected in a loop (no recursion), then applied innermost first.
    fn unary(&mut self) -> PResult<Expr> {
        let mut ops: Vec<(u32, UnOp)> = Vec::new();
        loop {
            match self.peek() {
                Tok::Not => ops.push((self.pos(), UnOp::Not)),
                Tok::Minus => {
                    if let Some(lit) = self.negative_literal()? {
                        let e = self.member_suffix(lit)?;
                        return apply_prefix(ops, e);
                    }
                    ops.push((self.pos(), UnOp::Neg));
                }
                _ => break,
            }
            if ops.len() > usize::from(MAX_DEPTH) {
                return too_deep(self.pos());
            }
            self.bump();
        }
        let primary = self.primary()?;
        let e = self.member_suffix(primary)?;
        apply_prefix(ops, e)
    }

    /// `-` directly followed by a number is one literal (so `-9223372036854775808` is an int).
    #[inline(never)]
    fn negative_literal(&mut self) -> PResult<Option<Expr>> {
        let pos = self.pos();
        let value = match *self.peek_at(1) {
            Tok::Int(m) => {
                if m > 1u64 << 63 {
                    self.bump();
                    return self.fail("integer literal out of range".into());
                }
                Value::Int((m as i64).wrapping_neg())
            }
            Tok::Double(d) => Value::Double(-d),
            _ => return Ok(None),
        };
        self.bump();
        self.bump();
        node(pos, Kind::Lit(value)).map(Some)
    }

    // The functions on the recursion path (expr, conditional, binary, unary, primary,
    // member_suffix, args, ...) keep their frames small: literal decoding and error messages
    // live in `#[inline(never)]` helpers that return before recursing.

    fn member_suffix(&mut self, mut e: Expr) -> PResult<Expr> {
        loop {
            e = match self.peek() {
                Tok::Dot => self.dot_suffix(e)?,
                Tok::LBracket => self.index_suffix(e)?,
                Tok::LBrace if matches!(e.kind, Kind::Attr(_)) => self.struct_literal(e)?,
                _ => return Ok(e),
            };
        }
    }

    #[inline(never)]
    fn dot_suffix(&mut self, e: Expr) -> PResult<Expr> {
        let pos = self.pos();
        self.bump();
        let name: Box<str> = match self.peek() {
            Tok::Ident(_) | Tok::Quoted(_) => match self.bump() {
                Tok::Ident(n) | Tok::Quoted(n) => n.into(),
                _ => return self.unexpected("a field or method name after '.'"),
            },
            _ => return self.unexpected("a field or method name after '.'"),
        };
        if *self.peek() == Tok::LParen {
            self.bump();
            let args = self.args(Tok::RParen)?;
            self.method(pos, e, name, args)
        } else {
            select(pos, e, name)
        }
    }

    #[inline(never)]
    fn index_suffix(&mut self, e: Expr) -> PResult<Expr> {
        let pos = self.pos();
        self.bump();
        let index = self.expr()?;
        self.expect(Tok::RBracket, "']'")?;
        node(pos, Kind::Index(Box::new(e), Box::new(index)))
    }

    #[inline(never)]
    fn struct_literal(&mut self, e: Expr) -> PResult<Expr> {
        let name = match &e.kind {
            Kind::Attr(path) => path.join(".").into_boxed_str(),
            _ => return self.unexpected("a message name"),
        };
        self.bump();
        let fields = self.field_inits()?;
        node(e.pos, Kind::Struct { name, fields })
    }

    fn primary(&mut self) -> PResult<Expr> {
        match self.peek() {
            Tok::LParen => {
                self.bump();
                let e = self.expr()?;
                self.expect(Tok::RParen, "')'")?;
                Ok(e)
            }
            Tok::LBracket => self.list_literal(),
            Tok::LBrace => self.map_literal(),
            Tok::Dot | Tok::Ident(_) => self.name(),
            _ => self.literal(),
        }
    }

    #[inline(never)]
    fn list_literal(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        self.bump();
        self.enter()?;
        let items = self.args(Tok::RBracket);
        self.nesting -= 1;
        node(pos, Kind::List(items?))
    }

    #[inline(never)]
    fn map_literal(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        self.bump();
        self.enter()?;
        let entries = self.map_inits();
        self.nesting -= 1;
        node(pos, Kind::Map(entries?))
    }

    #[inline(never)]
    fn name(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        if *self.peek() == Tok::Dot {
            self.bump();
        }
        match self.peek() {
            Tok::Ident(_) => match self.bump() {
                Tok::Ident(name) => self.ident(pos, name),
                _ => self.unexpected("a name"),
            },
            _ => self.unexpected("a name after a leading '.'"),
        }
    }

    #[inline(never)]
    fn literal(&mut self) -> PResult<Expr> {
        let pos = self.pos();
        let value = match self.peek() {
            Tok::Int(m) if *m > i64::MAX as u64 => {
                return self.fail("integer literal out of range".into());
            }
            Tok::Int(m) => Value::Int(*m as i64),
            Tok::Uint(v) => Value::Uint(*v),
            Tok::Double(d) => Value::Double(*d),
            Tok::True => Value::Bool(true),
            Tok::False => Value::Bool(false),
            Tok::Null => Value::Null,
            Tok::Str(_) | Tok::Bytes(_) => match self.bump() {
                Tok::Str(s) => return node(pos, Kind::Lit(Value::String(Arc::from(s)))),
                Tok::Bytes(b) => return node(pos, Kind::Lit(Value::Bytes(Arc::from(b)))),
                _ => return self.unexpected("a literal"),
            },
            _ => return self.unexpected_here(),
        };
        self.bump();
        node(pos, Kind::Lit(value))
    }

    #[cold]
    #[inline(never)]
    fn unexpected<T>(&self, want: &str) -> PResult<T> {
        let found = describe(self.peek());
        self.fail(format!("expected {want}, found {found}"))
    }

    #[cold]
    #[inline(never)]
    fn unexpected_here<T>(&self) -> PResult<T> {
        let found = describe(self.peek());
        self.fail(format!("unexpected {found}"))
    }

    #[inline(never)]
    fn ident(&mut self, pos: u32, name: String) -> PResult<Expr> {
        if RESERVED.contains(&name.as_str()) {
            return Err(SyntaxError {
                pos,
                reason: format!("'{name}' is a reserved word"),
            });
        }
        if *self.peek() == Tok::LParen {
            self.bump();
            let args = self.args(Tok::RParen)?;
            return self.global_call(pos, name, args);
        }
        node(pos, Kind::Attr(Box::new([name.into_boxed_str()])))
    }

    /// Comma-separated expressions up to `close` (a trailing comma is allowed).
    #[inline(never)]
    fn args(&mut self, close: Tok) -> PResult<Vec<Expr>> {
        let mut out = Vec::new();
        let allow_trailing = close == Tok::RBracket;
        loop {
            if *self.peek() == close && (out.is_empty() || allow_trailing) {
                self.bump();
                return Ok(out);
            }
            out.push(self.expr()?);
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                    if *self.peek() == close && !allow_trailing {
                        return self.fail("unexpected ',' before ')'".into());
                    }
                }
                t if *t == close => {
                    self.bump();
                    return Ok(out);
                }
                _ => {
                    let closing = if close == Tok::RParen {
                        "',' or ')'"
                    } else {
                        "',' or ']'"
                    };
                    return self.unexpected(closing);
                }
            }
        }
    }

    #[inline(never)]
    fn map_inits(&mut self) -> PResult<Vec<(Expr, Expr)>> {
        let mut out = Vec::new();
        loop {
            if *self.peek() == Tok::RBrace {
                self.bump();
                return Ok(out);
            }
            let k = self.expr()?;
            self.expect(Tok::Colon, "':' in the map literal")?;
            let v = self.expr()?;
            out.push((k, v));
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBrace => {}
                _ => return self.unexpected("',' or '}'"),
            }
        }
    }

    #[inline(never)]
    fn field_inits(&mut self) -> PResult<Vec<(Box<str>, Expr)>> {
        let mut out = Vec::new();
        self.enter()?;
        loop {
            if *self.peek() == Tok::RBrace {
                self.bump();
                break;
            }
            let name = match self.peek() {
                Tok::Ident(_) | Tok::Quoted(_) => match self.bump() {
                    Tok::Ident(n) | Tok::Quoted(n) => n.into_boxed_str(),
                    _ => Box::from(""),
                },
                _ => {
                    self.nesting -= 1;
                    return self.unexpected("a field name");
                }
            };
            self.expect(Tok::Colon, "':' after the field name")?;
            let v = self.expr()?;
            out.push((name, v));
            match self.peek() {
                Tok::Comma => {
                    self.bump();
                }
                Tok::RBrace => {}
                _ => {
                    self.nesting -= 1;
                    return self.unexpected("',' or '}'");
                }
            }
        }
        self.nesting -= 1;
        Ok(out)
    }

    #[inline(never)]
    fn global_call(&mut self, pos: u32, name: String, mut args: Vec<Expr>) -> PResult<Expr> {
        if name == "has" && args.len() == 1 {
            let arg = args.pop().ok_or_else(|| SyntaxError {
                pos,
                reason: "has() needs an argument".into(),
            })?;
            return match arg.kind {
                Kind::Select(target, field) => node(pos, Kind::Has(target, field)),
                Kind::Attr(path) if path.len() >= 2 => node(pos, Kind::HasAttr(path)),
                _ => Err(SyntaxError {
                    pos: arg.pos,
                    reason: "has() takes a field selection such as has(request.useragent)".into(),
                }),
            };
        }
        node(
            pos,
            Kind::Call {
                name: name.into_boxed_str(),
                target: None,
                args,
            },
        )
    }

    #[inline(never)]
    fn method(&mut self, pos: u32, target: Expr, name: Box<str>, args: Vec<Expr>) -> PResult<Expr> {
        let kind = match (&*name, args.len()) {
            ("all", 2) => Some(Macro::All),
            ("exists", 2) => Some(Macro::Exists),
            ("exists_one", 2) => Some(Macro::ExistsOne),
            ("map", 2 | 3) => Some(Macro::Map),
            ("filter", 2) => Some(Macro::Filter),
            _ => None,
        };
        let Some(kind) = kind else {
            return node(
                pos,
                Kind::Call {
                    name,
                    target: Some(Box::new(target)),
                    args,
                },
            );
        };
        let mut args = args.into_iter();
        let var = match args.next() {
            Some(Expr {
                kind: Kind::Attr(path),
                ..
            }) if path.len() == 1 => path.into_vec().pop().unwrap_or_default(),
            Some(other) => {
                return Err(SyntaxError {
                    pos: other.pos,
                    reason: format!(
                        "{}() takes a variable name as its first argument",
                        kind.name()
                    ),
                });
            }
            None => return self.fail("missing macro argument".into()),
        };
        let mut rest: Vec<Expr> = args.collect();
        for e in &mut rest {
            bind_local(e, &var)?;
        }
        let (pred, value) = match (kind, rest.len()) {
            (Macro::Map, 1) => (None, rest.pop()),
            (Macro::Map, _) => {
                let value = rest.pop();
                (rest.pop(), value)
            }
            _ => (rest.pop(), None),
        };
        node(
            pos,
            Kind::Comprehension(Box::new(Comprehension {
                kind,
                range: target,
                var,
                pred,
                value,
            })),
        )
    }
}

/// Precedence of `||`; `&&` is one higher.
const PREC_OR: u8 = 1;

/// Precedence and operator of a binary token; `None` as operator for `&&`/`||`.
fn binop(t: &Tok) -> Option<(u8, Option<BinOp>)> {
    Some(match t {
        Tok::Or => (PREC_OR, None),
        Tok::And => (PREC_OR + 1, None),
        Tok::Eq => (3, Some(BinOp::Eq)),
        Tok::Ne => (3, Some(BinOp::Ne)),
        Tok::Lt => (3, Some(BinOp::Lt)),
        Tok::Le => (3, Some(BinOp::Le)),
        Tok::Gt => (3, Some(BinOp::Gt)),
        Tok::Ge => (3, Some(BinOp::Ge)),
        Tok::In => (3, Some(BinOp::In)),
        Tok::Plus => (4, Some(BinOp::Add)),
        Tok::Minus => (4, Some(BinOp::Sub)),
        Tok::Star => (5, Some(BinOp::Mul)),
        Tok::Slash => (5, Some(BinOp::Div)),
        Tok::Percent => (5, Some(BinOp::Rem)),
        _ => return None,
    })
}

/// Wraps `e` in the prefix operators, the last-written one innermost.
fn apply_prefix(ops: Vec<(u32, UnOp)>, mut e: Expr) -> PResult<Expr> {
    for (pos, op) in ops.into_iter().rev() {
        e = node(pos, Kind::Unary(op, Box::new(e)))?;
    }
    Ok(e)
}

/// `e.name`: extends a qualified name, or selects a field of a computed value.
fn select(pos: u32, e: Expr, name: Box<str>) -> PResult<Expr> {
    match e.kind {
        Kind::Attr(path) => {
            let mut path = path.into_vec();
            path.push(name);
            node(e.pos, Kind::Attr(path.into_boxed_slice()))
        }
        kind => {
            let target = Expr { kind, ..e };
            node(pos, Kind::Select(Box::new(target), name))
        }
    }
}

/// Builds a balanced tree of `&&` / `||` over `operands`.
fn balance(or: bool, mut operands: Vec<Expr>, positions: &[u32]) -> PResult<Expr> {
    if operands.len() == 1 {
        return operands.pop().ok_or_else(|| SyntaxError {
            pos: 0,
            reason: "empty operand list".into(),
        });
    }
    let mid = operands.len() / 2;
    let right = operands.split_off(mid);
    let pos = positions.get(mid - 1).copied().unwrap_or(0);
    let (lp, rp) = positions.split_at(mid.saturating_sub(1).min(positions.len()));
    let rp = rp.get(1..).unwrap_or(&[]);
    let l = balance(or, operands, lp)?;
    let r = balance(or, right, rp)?;
    let kind = if or {
        Kind::Or(Box::new(l), Box::new(r))
    } else {
        Kind::And(Box::new(l), Box::new(r))
    };
    node(pos, kind)
}

/// Turns names rooted at the comprehension variable `var` into uses of the local variable.
fn bind_local(e: &mut Expr, var: &str) -> PResult<()> {
    match &mut e.kind {
        Kind::Attr(path) if path.first().is_some_and(|p| &**p == var) => {
            let mut out = node(e.pos, Kind::Local(var.into()))?;
            for seg in path.iter().skip(1) {
                out = node(e.pos, Kind::Select(Box::new(out), seg.clone()))?;
            }
            *e = out;
        }
        Kind::HasAttr(path) if path.first().is_some_and(|p| &**p == var) => {
            let mut out = node(e.pos, Kind::Local(var.into()))?;
            let n = path.len();
            for seg in path.iter().take(n.saturating_sub(1)).skip(1) {
                out = node(e.pos, Kind::Select(Box::new(out), seg.clone()))?;
            }
            let field = path.last().cloned().unwrap_or_default();
            *e = node(e.pos, Kind::Has(Box::new(out), field))?;
        }
        kind => kind.try_for_each_child(&mut |child| bind_local(child, var))?,
    }
    // The rewrite may have made the subtree taller; recompute and re-check the height.
    let h = height(&e.kind);
    if h > usize::from(MAX_DEPTH) {
        return too_deep(e.pos);
    }
    e.depth = h as u16;
    Ok(())
}
