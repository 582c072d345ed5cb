//! The parsed form of a CEL expression, with the byte offset of every node.
//!
//! Qualified names (`request.headers`) are kept as one [`Kind::Attr`] path so that evaluation
//! can ask the attribute source for exactly that path; comprehension variables are
//! [`Kind::Local`].

use super::parser::SyntaxError;
use super::value::Value;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// An expression node.
#[derive(Debug, Clone)]
pub(crate) struct Expr {
    /// Byte offset of the node's operator or first token in the source.
    pub pos: u32,
    /// Height of the subtree (a leaf is 1), bounded by the parser's depth limit.
    pub depth: u16,
    pub kind: Kind,
}

/// Unary operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Not,
    Neg,
}

/// Binary operators other than the short-circuiting `&&` and `||`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    In,
}

impl BinOp {
    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::In => "in",
        }
    }
}

/// The comprehension macros.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Macro {
    All,
    Exists,
    ExistsOne,
    Map,
    Filter,
}

impl Macro {
    /// The macro's name as written.
    pub fn name(self) -> &'static str {
        match self {
            Macro::All => "all",
            Macro::Exists => "exists",
            Macro::ExistsOne => "exists_one",
            Macro::Map => "map",
            Macro::Filter => "filter",
        }
    }
}

/// Node kinds.
#[derive(Debug, Clone)]
pub(crate) enum Kind {
    Lit(Value),
    /// A (possibly qualified) name not bound by a comprehension: `x`, `request.url_path`.
    Attr(Box<[Box<str>]>),
    /// A comprehension variable.
    Local(Box<str>),
    /// Field selection on a computed value.
    Select(Box<Expr>, Box<str>),
    /// `has(e.f)`.
    Has(Box<Expr>, Box<str>),
    /// `has(a.b.c)` on a qualified name: presence of the whole path.
    HasAttr(Box<[Box<str>]>),
    Index(Box<Expr>, Box<Expr>),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    /// A function or method call that is not a macro.
    Call {
        name: Box<str>,
        target: Option<Box<Expr>>,
        args: Vec<Expr>,
    },
    /// `s.matches('literal')` with the pattern compiled once.
    Matches(Box<Expr>, Box<super::regex::Regex>),
    List(Vec<Expr>),
    Map(Vec<(Expr, Expr)>),
    /// A message literal `Name{field: value}` (only protobuf wrapper types evaluate).
    Struct {
        name: Box<str>,
        fields: Vec<(Box<str>, Expr)>,
    },
    Comprehension(Box<Comprehension>),
}

impl Kind {
    /// Calls `f` on each direct child in source order, stopping at the first error: the one walk
    /// the tree rewrites share (one copy of this match instead of one per rewrite).
    pub(crate) fn try_for_each_child(
        &mut self,
        f: &mut dyn FnMut(&mut Expr) -> Result<(), SyntaxError>,
    ) -> Result<(), SyntaxError> {
        match self {
            Kind::Lit(_) | Kind::Attr(_) | Kind::HasAttr(_) | Kind::Local(_) => Ok(()),
            Kind::Select(a, _) | Kind::Has(a, _) | Kind::Unary(_, a) | Kind::Matches(a, _) => f(a),
            Kind::Index(a, b) | Kind::Binary(_, a, b) | Kind::And(a, b) | Kind::Or(a, b) => {
                f(a)?;
                f(b)
            }
            Kind::Cond(a, b, c) => {
                f(a)?;
                f(b)?;
                f(c)
            }
            Kind::Call { target, args, .. } => {
                if let Some(t) = target {
                    f(t)?;
                }
                args.iter_mut().try_for_each(f)
            }
            Kind::List(items) => items.iter_mut().try_for_each(f),
            Kind::Map(entries) => entries.iter_mut().try_for_each(|(k, v)| {
                f(k)?;
                f(v)
            }),
            Kind::Struct { fields, .. } => fields.iter_mut().try_for_each(|(_, v)| f(v)),
            Kind::Comprehension(c) => {
                f(&mut c.range)?;
                c.pred.iter_mut().try_for_each(&mut *f)?;
                c.value.iter_mut().try_for_each(f)
            }
        }
    }
}

/// `range.all(var, pred)` and friends; `map` may carry a filter (`map(x, pred, value)`).
#[derive(Debug, Clone)]
pub(crate) struct Comprehension {
    pub kind: Macro,
    pub range: Expr,
    pub var: Box<str>,
    /// The predicate (all/exists/exists_one/filter), or the filter of a three-argument `map`.
    pub pred: Option<Expr>,
    /// The value of `map`.
    pub value: Option<Expr>,
}
