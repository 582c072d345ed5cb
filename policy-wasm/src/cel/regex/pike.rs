//! The Pike VM without captures: a set of live instructions per input position, so matching
//! takes O(instructions × characters) whatever the pattern.

use super::compile::{Inst, Program};
use super::parse::Look;
use alloc::vec::Vec;

/// Whether `program` matches anywhere in `text`.
pub(crate) fn is_match(program: &Program, text: &str) -> bool {
    let n = program.insts.len();
    let mut now = Threads::new(n);
    let mut next = Threads::new(n);
    let mut stack = Vec::new();
    let mut chars = text.chars();
    let mut prev = None;
    let mut at = chars.next();
    let mut after = chars.next();
    loop {
        if prev.is_none() || !program.anchored {
            add(program, &mut now, &mut stack, 0, prev, at);
        } else if now.dense.is_empty() {
            return false;
        }
        for &pc in &now.dense {
            let step = match program.insts[pc as usize] {
                Inst::Match => return true,
                Inst::Char(c) => at == Some(c),
                Inst::Class(i) => at.is_some_and(|c| in_class(&program.classes[i as usize], c)),
                Inst::AnyChar => at.is_some(),
                Inst::AnyNotNewline => at.is_some_and(|c| c != '\n'),
                Inst::Look(_) | Inst::Split(..) | Inst::Jump(_) => false,
            };
            if step {
                add(program, &mut next, &mut stack, pc + 1, at, after);
            }
        }
        if at.is_none() {
            return false;
        }
        prev = at;
        at = after;
        after = chars.next();
        core::mem::swap(&mut now, &mut next);
        next.clear();
    }
}

/// Adds `pc` and everything reachable from it without consuming a character (between `prev`
/// and `at`) to `set`.
fn add(
    program: &Program,
    set: &mut Threads,
    stack: &mut Vec<u32>,
    pc: u32,
    prev: Option<char>,
    at: Option<char>,
) {
    stack.push(pc);
    while let Some(pc) = stack.pop() {
        if !set.insert(pc) {
            continue;
        }
        match program.insts[pc as usize] {
            Inst::Jump(to) => stack.push(to),
            Inst::Split(a, b) => {
                stack.push(b);
                stack.push(a);
            }
            Inst::Look(look) if holds(look, prev, at) => stack.push(pc + 1),
            _ => {}
        }
    }
}

fn holds(look: Look, prev: Option<char>, at: Option<char>) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    match look {
        Look::StartText => prev.is_none(),
        Look::EndText => at.is_none(),
        Look::StartLine => matches!(prev, None | Some('\n')),
        Look::EndLine => matches!(at, None | Some('\n')),
        Look::WordBoundary => word(prev) != word(at),
        Look::NotWordBoundary => word(prev) == word(at),
    }
}

fn in_class(ranges: &[(u32, u32)], c: char) -> bool {
    let c = c as u32;
    ranges
        .binary_search_by(|&(lo, hi)| {
            if hi < c {
                core::cmp::Ordering::Less
            } else if lo > c {
                core::cmp::Ordering::Greater
            } else {
                core::cmp::Ordering::Equal
            }
        })
        .is_ok()
}

/// A sparse set of instruction indices (Briggs–Torczon): O(1) insert, test and clear.
struct Threads {
    dense: Vec<u32>,
    sparse: Vec<u32>,
}

impl Threads {
    fn new(n: usize) -> Threads {
        Threads {
            dense: Vec::with_capacity(n),
            sparse: alloc::vec![0; n],
        }
    }

    fn insert(&mut self, pc: u32) -> bool {
        let i = self.sparse[pc as usize] as usize;
        if self.dense.get(i) == Some(&pc) {
            return false;
        }
        self.sparse[pc as usize] = self.dense.len() as u32;
        self.dense.push(pc);
        true
    }

    fn clear(&mut self) {
        self.dense.clear();
    }
}
