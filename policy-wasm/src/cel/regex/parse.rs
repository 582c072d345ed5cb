//! RE2-syntax parser: pattern text to a [`Node`] tree. Classes are resolved here (case folding,
//! negation) into sorted code-point ranges, interned in a table the program shares.

use super::RegexError;
use alloc::boxed::Box;
use alloc::vec::Vec;

/// The largest count in `{n,m}` (RE2's limit).
const MAX_REPEAT: u32 = 1000;
/// The deepest group nesting accepted (keeps the parser's and compiler's recursion bounded).
const MAX_DEPTH: u32 = 64;
/// The last code point.
const MAX_CHAR: u32 = 0x10_FFFF;

/// A set of code points: sorted, disjoint, non-adjacent inclusive ranges.
pub(crate) type Ranges = Box<[(u32, u32)]>;

/// A zero-width assertion about the characters around the current position.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Look {
    StartText,
    EndText,
    StartLine,
    EndLine,
    WordBoundary,
    NotWordBoundary,
}

/// A parsed pattern.
#[derive(Debug)]
pub(crate) enum Node {
    Empty,
    Char(char),
    /// An index into the class table returned by [`parse`].
    Class(u32),
    AnyChar,
    AnyNotNewline,
    Look(Look),
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        node: Box<Node>,
        min: u32,
        max: Option<u32>,
    },
}

/// The flags `(?i)`, `(?m)`, `(?s)` in force (`(?U)` only swaps greediness: no effect here).
#[derive(Debug, Clone, Copy, Default)]
struct Flags {
    fold: bool,
    multi_line: bool,
    dot_nl: bool,
}

/// Parses a whole pattern into its tree and class table.
pub(crate) fn parse(pattern: &str) -> Result<(Node, Vec<Ranges>), RegexError> {
    let mut p = Parser {
        chars: pattern.chars().collect(),
        pos: 0,
        classes: Vec::new(),
    };
    let node = p.alternation(Flags::default(), 0)?;
    if p.pos < p.chars.len() {
        return Err(p.error_at(p.pos, "unmatched ')'"));
    }
    Ok((node, p.classes))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    classes: Vec<Ranges>,
}

impl Parser {
    fn error_at(&self, at: usize, reason: &'static str) -> RegexError {
        RegexError {
            column: u32::try_from(at + 1).unwrap_or(u32::MAX),
            reason,
        }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn eat(&mut self, c: char) -> bool {
        let hit = self.peek() == Some(c);
        self.pos += usize::from(hit);
        hit
    }

    /// Alternatives up to an unmatched `)` or the end. `(?flags)` changes the flags for the rest
    /// of the group, across `|` (as in RE2).
    fn alternation(&mut self, mut flags: Flags, depth: u32) -> Result<Node, RegexError> {
        if depth > MAX_DEPTH {
            return Err(self.error_at(self.pos, "groups nested too deeply"));
        }
        let mut alts = Vec::new();
        let mut seq = Vec::new();
        loop {
            match self.peek() {
                None | Some(')') => break,
                Some('|') => {
                    self.pos += 1;
                    alts.push(concat(core::mem::take(&mut seq)));
                }
                Some(_) => {
                    if let Some(atom) = self.atom(&mut flags, depth)? {
                        seq.push(self.repetition(atom)?);
                    }
                }
            }
        }
        alts.push(concat(seq));
        Ok(if alts.len() == 1 {
            alts.swap_remove(0)
        } else {
            Node::Alt(alts)
        })
    }

    /// One atom, or `None` for a flag group `(?i)` that only changes `flags`.
    fn atom(&mut self, flags: &mut Flags, depth: u32) -> Result<Option<Node>, RegexError> {
        let at = self.pos;
        let Some(c) = self.peek() else {
            return Ok(None);
        };
        self.pos += 1;
        let node = match c {
            '(' => return self.group(at, flags, depth),
            '[' => self.class(at, *flags)?,
            '.' if flags.dot_nl => Node::AnyChar,
            '.' => Node::AnyNotNewline,
            '^' if flags.multi_line => Node::Look(Look::StartLine),
            '^' => Node::Look(Look::StartText),
            '$' if flags.multi_line => Node::Look(Look::EndLine),
            '$' => Node::Look(Look::EndText),
            '*' | '+' | '?' => {
                return Err(self.error_at(at, "missing argument to repetition operator"));
            }
            '{' if self.counted_at(at).is_some() => {
                return Err(self.error_at(at, "missing argument to repetition operator"));
            }
            '\\' => self.escape(at, *flags)?,
            c => self.literal(c, *flags),
        };
        Ok(Some(node))
    }

    /// After `(`: a capturing, named, non-capturing or flag group.
    fn group(
        &mut self,
        at: usize,
        flags: &mut Flags,
        depth: u32,
    ) -> Result<Option<Node>, RegexError> {
        let mut inner = *flags;
        if self.eat('?') {
            if self.eat('P') && self.peek() != Some('<') {
                return Err(
                    self.error_at(at, "invalid named group (backreferences are not supported)")
                );
            }
            if self.eat('<') {
                self.group_name(at)?;
            } else if !self.eat(':') {
                let mut negate = false;
                let mut since_sign = 0;
                loop {
                    let on = !negate;
                    match self.peek() {
                        Some('i') => inner.fold = on,
                        Some('m') => inner.multi_line = on,
                        Some('s') => inner.dot_nl = on,
                        Some('U') => {}
                        Some('-') if !negate => {
                            negate = true;
                            since_sign = 0;
                            self.pos += 1;
                            continue;
                        }
                        Some(end @ (':' | ')')) if since_sign > 0 => {
                            self.pos += 1;
                            if end == ')' {
                                *flags = inner;
                                return Ok(None);
                            }
                            break;
                        }
                        _ => return Err(self.error_at(at, "invalid or unsupported group syntax")),
                    }
                    since_sign += 1;
                    self.pos += 1;
                }
            }
        }
        let node = self.alternation(inner, depth + 1)?;
        if !self.eat(')') {
            return Err(self.error_at(at, "missing closing )"));
        }
        Ok(Some(node))
    }

    /// The `name>` of `(?P<name>` or `(?<name>`: word characters (the name itself is unused).
    fn group_name(&mut self, at: usize) -> Result<(), RegexError> {
        let start = self.pos;
        while self
            .peek()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            self.pos += 1;
        }
        if self.pos == start || !self.eat('>') {
            return Err(self.error_at(at, "invalid named group"));
        }
        Ok(())
    }

    /// `*`, `+`, `?` or `{n,m}` (each optionally lazy) applied to `node`, if one follows.
    fn repetition(&mut self, node: Node) -> Result<Node, RegexError> {
        let at = self.pos;
        let (min, max) = match self.peek() {
            Some('*') => (0, None),
            Some('+') => (1, None),
            Some('?') => (0, Some(1)),
            Some('{') => match self.counted_at(at) {
                Some((min, max, end)) => {
                    self.pos = end - 1;
                    (min, max)
                }
                None => return Ok(node),
            },
            _ => return Ok(node),
        };
        self.pos += 1;
        if min > MAX_REPEAT || max.is_some_and(|m| m > MAX_REPEAT || m < min) {
            return Err(self.error_at(at, "invalid repeat count"));
        }
        // Laziness changes which match is found, never whether one is.
        self.eat('?');
        let nested = match self.peek() {
            Some('*' | '+' | '?') => true,
            Some('{') => self.counted_at(self.pos).is_some(),
            _ => false,
        };
        if nested {
            return Err(self.error_at(at, "invalid nested repetition operator"));
        }
        Ok(Node::Repeat {
            node: Box::new(node),
            min,
            max,
        })
    }

    /// `{n}`, `{n,}` or `{n,m}` at `at`: (min, max, position after `}`); `None` if it is not one
    /// (then `{` is a literal, as in RE2).
    fn counted_at(&self, at: usize) -> Option<(u32, Option<u32>, usize)> {
        let number = |i: &mut usize| {
            let start = *i;
            let mut n: u32 = 0;
            while let Some(d) = self.chars.get(*i).and_then(|c| c.to_digit(10)) {
                n = n.saturating_mul(10).saturating_add(d);
                *i += 1;
            }
            (*i > start).then_some(n)
        };
        let mut i = at + 1;
        let min = number(&mut i)?;
        let max = if self.chars.get(i) == Some(&',') {
            i += 1;
            if self.chars.get(i) == Some(&'}') {
                None
            } else {
                Some(number(&mut i)?)
            }
        } else {
            Some(min)
        };
        (self.chars.get(i) == Some(&'}')).then_some((min, max, i + 1))
    }

    /// After `\` outside a class.
    fn escape(&mut self, at: usize, flags: Flags) -> Result<Node, RegexError> {
        let Some(c) = self.peek() else {
            return Err(self.error_at(at, "trailing backslash"));
        };
        self.pos += 1;
        Ok(match c {
            'A' => Node::Look(Look::StartText),
            'z' => Node::Look(Look::EndText),
            'b' => Node::Look(Look::WordBoundary),
            'B' => Node::Look(Look::NotWordBoundary),
            'd' | 'D' | 'w' | 'W' | 's' | 'S' => {
                let mut set = Vec::new();
                perl_class(c, &mut set);
                self.intern(set, false, false)
            }
            c => {
                let c = self.escaped_char(at, c)?;
                self.literal(c, flags)
            }
        })
    }

    /// The character an escape `\c` stands for (inside or outside a class).
    fn escaped_char(&mut self, at: usize, c: char) -> Result<char, RegexError> {
        Ok(match c {
            'a' => '\x07',
            'f' => '\x0c',
            't' => '\t',
            'n' => '\n',
            'r' => '\r',
            'v' => '\x0b',
            'x' => return self.hex(at),
            'p' | 'P' => return Err(self.error_at(at, "Unicode classes are not supported")),
            c if c.is_ascii() && !c.is_ascii_alphanumeric() => c,
            _ => return Err(self.error_at(at, "invalid escape sequence")),
        })
    }

    /// After `\x`: two hex digits, or `{` up to six hex digits `}`.
    fn hex(&mut self, at: usize) -> Result<char, RegexError> {
        let braced = self.eat('{');
        let mut value: u32 = 0;
        let mut digits = 0;
        while let Some(d) = self.peek().and_then(|c| c.to_digit(16)) {
            if !braced && digits == 2 {
                break;
            }
            value = value.saturating_mul(16).saturating_add(d);
            digits += 1;
            self.pos += 1;
        }
        let complete = if braced {
            digits > 0 && self.eat('}')
        } else {
            digits == 2
        };
        match char::from_u32(value) {
            Some(c) if complete => Ok(c),
            _ => Err(self.error_at(at, "invalid escape sequence")),
        }
    }

    /// A literal character, as a two-letter class when case folding applies.
    fn literal(&mut self, c: char, flags: Flags) -> Node {
        if flags.fold && c.is_ascii_alphabetic() {
            self.intern(alloc::vec![(c as u32, c as u32)], true, false)
        } else {
            Node::Char(c)
        }
    }

    /// After `[`: a bracketed class.
    fn class(&mut self, at: usize, flags: Flags) -> Result<Node, RegexError> {
        let negated = self.eat('^');
        let mut set = Vec::new();
        let mut first = true;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.error_at(at, "missing closing ]"));
            };
            if c == ']' && !first {
                self.pos += 1;
                break;
            }
            first = false;
            if c == '[' && self.chars.get(self.pos + 1) == Some(&':') && self.posix(&mut set)? {
                continue;
            }
            if c == '\\'
                && let Some(&p @ ('d' | 'D' | 'w' | 'W' | 's' | 'S')) = self.chars.get(self.pos + 1)
            {
                self.pos += 2;
                perl_class(p, &mut set);
                continue;
            }
            let start = self.pos;
            let lo = self.class_char()?;
            let hi = match self.chars.get(self.pos..self.pos + 2) {
                Some(['-', next]) if *next != ']' => {
                    self.pos += 1;
                    self.class_char()?
                }
                _ => lo,
            };
            if hi < lo {
                return Err(self.error_at(start, "invalid character class range"));
            }
            set.push((lo as u32, hi as u32));
        }
        Ok(self.intern(set, flags.fold, negated))
    }

    /// One character of a class, escaped or not.
    fn class_char(&mut self) -> Result<char, RegexError> {
        let at = self.pos;
        match self.peek() {
            None => Err(self.error_at(at, "missing closing ]")),
            Some('\\') => {
                self.pos += 1;
                match self.peek() {
                    None => Err(self.error_at(at, "trailing backslash")),
                    Some(c) => {
                        self.pos += 1;
                        self.escaped_char(at, c)
                    }
                }
            }
            Some(c) => {
                self.pos += 1;
                Ok(c)
            }
        }
    }

    /// `[:name:]` or `[:^name:]` at the position: adds its ranges and returns true, or returns
    /// false when there is no closing `:]` (then `[` is a literal).
    fn posix(&mut self, set: &mut Vec<(u32, u32)>) -> Result<bool, RegexError> {
        let at = self.pos;
        let rest = &self.chars[at + 2..];
        let Some(len) = rest.windows(2).position(|w| w == [':', ']']) else {
            return Ok(false);
        };
        let (negated, name) = match &rest[..len] {
            ['^', name @ ..] => (true, name),
            name => (false, name),
        };
        let Some(ranges) = POSIX
            .iter()
            .find(|(n, _)| n.chars().eq(name.iter().copied()))
            .map(|(_, r)| *r)
        else {
            return Err(self.error_at(at, "invalid character class range"));
        };
        let ranges = ranges
            .iter()
            .map(|&(lo, hi)| (u32::from(lo), u32::from(hi)));
        if negated {
            set.extend(complement(&ranges.collect::<Vec<_>>()));
        } else {
            set.extend(ranges);
        }
        self.pos = at + 2 + len + 2;
        Ok(true)
    }

    /// Folds (ASCII), normalises and negates `set`, stores it and returns the node naming it.
    fn intern(&mut self, mut set: Vec<(u32, u32)>, fold: bool, negated: bool) -> Node {
        if fold {
            for i in 0..set.len() {
                let (lo, hi) = set[i];
                for (from, to) in [(0x61, 0x41), (0x41, 0x61)] {
                    let (a, b) = (lo.max(from), hi.min(from + 25));
                    if a <= b {
                        set.push((a - from + to, b - from + to));
                    }
                }
            }
        }
        let mut set = normalize(set);
        if negated {
            set = complement(&set);
        }
        self.classes.push(set.into_boxed_slice());
        Node::Class(u32::try_from(self.classes.len() - 1).unwrap_or(u32::MAX))
    }
}

fn concat(mut seq: Vec<Node>) -> Node {
    match seq.len() {
        0 => Node::Empty,
        1 => seq.swap_remove(0),
        _ => Node::Concat(seq),
    }
}

/// Adds the ranges of `\d \w \s` (ASCII, as in RE2) or their negations `\D \W \S`.
fn perl_class(c: char, set: &mut Vec<(u32, u32)>) {
    let ranges: &[(u32, u32)] = match c.to_ascii_lowercase() {
        'd' => &[(0x30, 0x39)],
        's' => &[(0x09, 0x0a), (0x0c, 0x0d), (0x20, 0x20)],
        _ => &[(0x30, 0x39), (0x41, 0x5a), (0x5f, 0x5f), (0x61, 0x7a)],
    };
    if c.is_ascii_uppercase() {
        set.extend(complement(ranges));
    } else {
        set.extend_from_slice(ranges);
    }
}

/// The ASCII classes `[[:name:]]`.
const POSIX: &[(&str, &[(u8, u8)])] = &[
    ("alnum", &[(b'0', b'9'), (b'A', b'Z'), (b'a', b'z')]),
    ("alpha", &[(b'A', b'Z'), (b'a', b'z')]),
    ("ascii", &[(0, 0x7f)]),
    ("blank", &[(b'\t', b'\t'), (b' ', b' ')]),
    ("cntrl", &[(0, 0x1f), (0x7f, 0x7f)]),
    ("digit", &[(b'0', b'9')]),
    ("graph", &[(b'!', b'~')]),
    ("lower", &[(b'a', b'z')]),
    ("print", &[(b' ', b'~')]),
    (
        "punct",
        &[(b'!', b'/'), (b':', b'@'), (b'[', b'`'), (b'{', b'~')],
    ),
    ("space", &[(b'\t', b'\r'), (b' ', b' ')]),
    ("upper", &[(b'A', b'Z')]),
    (
        "word",
        &[(b'0', b'9'), (b'A', b'Z'), (b'_', b'_'), (b'a', b'z')],
    ),
    ("xdigit", &[(b'0', b'9'), (b'A', b'F'), (b'a', b'f')]),
];

/// Sorts and merges overlapping or adjacent ranges.
fn normalize(mut set: Vec<(u32, u32)>) -> Vec<(u32, u32)> {
    crate::cel::sort::heapsort(&mut set);
    let mut out: Vec<(u32, u32)> = Vec::with_capacity(set.len());
    for (lo, hi) in set {
        match out.last_mut() {
            Some(last) if lo <= last.1.saturating_add(1) => last.1 = last.1.max(hi),
            _ => out.push((lo, hi)),
        }
    }
    out
}

/// The code points not in the normalised `set`.
fn complement(set: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::with_capacity(set.len() + 1);
    let mut next = 0;
    for &(lo, hi) in set {
        if lo > next {
            out.push((next, lo - 1));
        }
        next = hi + 1;
    }
    if next <= MAX_CHAR {
        out.push((next, MAX_CHAR));
    }
    out
}
