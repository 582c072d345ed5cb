//! Compiles a [`Node`] tree into a Thompson NFA program for the Pike VM.

use super::parse::{Look, Node, Ranges};
use alloc::boxed::Box;
use alloc::vec::Vec;

/// The most instructions a program may have: bounds the matcher's per-character work.
const MAX_INSTS: usize = 10_000;
/// The most tree nodes compiled (counting repeated copies): bounds compile time for repetitions
/// of empty groups, which add no instructions.
const MAX_WORK: u32 = 100_000;

/// One NFA instruction; `Split`/`Jump` targets are instruction indices.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Inst {
    Char(char),
    Class(u32),
    AnyChar,
    AnyNotNewline,
    Look(Look),
    Split(u32, u32),
    Jump(u32),
    Match,
}

/// A compiled pattern.
#[derive(Debug, Clone)]
pub(crate) struct Program {
    pub insts: Box<[Inst]>,
    pub classes: Box<[Ranges]>,
    /// The pattern starts with `^`/`\A`: only try a match at the start.
    pub anchored: bool,
}

/// Compiles `tree` (with its class table), or says why the program would be too large.
pub(crate) fn compile(tree: &(Node, Vec<Ranges>)) -> Result<Program, &'static str> {
    let mut c = Compiler {
        insts: Vec::new(),
        work: 0,
    };
    c.node(&tree.0)?;
    c.emit(Inst::Match)?;
    Ok(Program {
        anchored: matches!(c.insts.first(), Some(Inst::Look(Look::StartText))),
        insts: c.insts.into_boxed_slice(),
        classes: tree.1.clone().into_boxed_slice(),
    })
}

struct Compiler {
    insts: Vec<Inst>,
    work: u32,
}

impl Compiler {
    fn pc(&self) -> u32 {
        self.insts.len() as u32
    }

    fn emit(&mut self, inst: Inst) -> Result<u32, &'static str> {
        if self.insts.len() >= MAX_INSTS {
            return Err("pattern too large");
        }
        self.insts.push(inst);
        Ok(self.pc() - 1)
    }

    fn patch(&mut self, at: u32, inst: Inst) {
        if let Some(slot) = self.insts.get_mut(at as usize) {
            *slot = inst;
        }
    }

    fn node(&mut self, node: &Node) -> Result<(), &'static str> {
        self.work += 1;
        if self.work > MAX_WORK {
            return Err("pattern too large");
        }
        match node {
            Node::Empty => {}
            Node::Char(c) => _ = self.emit(Inst::Char(*c))?,
            Node::Class(i) => _ = self.emit(Inst::Class(*i))?,
            Node::AnyChar => _ = self.emit(Inst::AnyChar)?,
            Node::AnyNotNewline => _ = self.emit(Inst::AnyNotNewline)?,
            Node::Look(l) => _ = self.emit(Inst::Look(*l))?,
            Node::Concat(items) => {
                for item in items {
                    self.node(item)?;
                }
            }
            Node::Alt(alts) => {
                let mut jumps = Vec::new();
                let (last, rest) = alts.split_last().ok_or("empty alternation")?;
                for alt in rest {
                    let split = self.emit(Inst::Split(0, 0))?;
                    self.node(alt)?;
                    jumps.push(self.emit(Inst::Jump(0))?);
                    self.patch(split, Inst::Split(split + 1, self.pc()));
                }
                self.node(last)?;
                for jump in jumps {
                    self.patch(jump, Inst::Jump(self.pc()));
                }
            }
            Node::Repeat { node, min, max } => {
                for _ in 0..*min {
                    self.node(node)?;
                }
                match max {
                    None => {
                        let split = self.emit(Inst::Split(0, 0))?;
                        self.node(node)?;
                        self.emit(Inst::Jump(split))?;
                        self.patch(split, Inst::Split(split + 1, self.pc()));
                    }
                    Some(max) => {
                        // (x(x(x)?)?)?: every skip goes straight to the end.
                        let mut splits = Vec::new();
                        for _ in *min..*max {
                            splits.push(self.emit(Inst::Split(0, 0))?);
                            self.node(node)?;
                        }
                        for split in splits {
                            self.patch(split, Inst::Split(split + 1, self.pc()));
                        }
                    }
                }
            }
        }
        Ok(())
    }
}
