//! What a program reads: the stopped thread, through a [`Machine`] the
//! model implements, and trace state variables, in a [`Variables`] store
//! the caller keeps from hit to hit.

use std::collections::BTreeMap;

/// The stopped thread a program runs against.
pub trait Machine {
    /// Register `regnum`, zero-extended to 64 bits; `None` if the thread
    /// has no such register or it is wider than 64 bits (gdbserver aborts
    /// there; we fail the evaluation). gdb compiles `reg N` with its own
    /// raw register number for the architecture, which gdbserver reads by
    /// the same number from its target description: for amd64, rax 0, rbx
    /// 1, rcx 2, rdx 3, rsi 4, rdi 5, rbp 6, rsp 7, r8-r15 8-15, rip 16,
    /// eflags 17, cs ss ds es fs gs 18-23; for i386, eax ecx edx ebx esp
    /// ebp esi edi 0-7, eip 8, eflags 9.
    fn register(&mut self, regnum: usize) -> Option<u64>;

    /// Fill `buf` from memory at `addr`; false if any of it is unreadable.
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool;
}

/// Trace state variables: 64-bit signed values by number, defined by gdb
/// (`QTDV`). As in gdbserver, reading one that is not defined gives 0 and
/// setting one that is not defined does nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Variables {
    values: BTreeMap<u16, i64>,
}

impl Variables {
    pub fn new() -> Variables {
        Variables::default()
    }

    /// Define variable `number` (or redefine it) with `value`.
    pub fn define(&mut self, number: u16, value: i64) {
        self.values.insert(number, value);
    }

    /// The value of variable `number`, if it is defined.
    pub fn get(&self, number: u16) -> Option<i64> {
        self.values.get(&number).copied()
    }

    /// Set variable `number` if it is defined; whether it was. Never
    /// allocates: only defined variables change.
    pub fn set(&mut self, number: u16, value: i64) -> bool {
        match self.values.get_mut(&number) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }
}
