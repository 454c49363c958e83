//! x86_64 Linux: the kernel's register sets laid out as GDB's amd64
//! features: `core`, `sse`, `linux` (orig_rax), `segments` (fs_base,
//! gs_base) and, where the CPU has them, `avx`, `avx512` and `pkeys`.
//!
//! One table, the layout, drives both the `g` packet and the target
//! description, so the two cannot disagree. The optional features live in
//! the XSAVE area, found where CPUID leaf 0xD says; which ones are there is
//! the same for every process on the host (XCR0), so the layout is too.
//!
//! The modules, one concern each:
//! - `layout`: the register table, per mode and feature set;
//! - `features`: what the host saves (XCR0) and where (CPUID leaf 0xD);
//! - `registers`: one thread's registers, read and written by GDB number;
//! - `description`: the target description XML;
//! - `user_regs`: the kernel's `user_regs_struct` by index.
//!
//! - `mode`: 64-bit or 32-bit code.
//!
//! This file holds the gdbstub architecture and the register id.

mod description;
mod features;
mod layout;
mod mode;
#[cfg(test)]
mod pinned;
mod registers;
mod user_regs;

pub use description::{target_description, Reader};
pub use features::{xsave_size, Features};
pub use mode::{frame_regnums, Mode};
pub use registers::{general_register, Registers};

use gdbstub::arch::{Arch, RegId};
use std::num::NonZeroUsize;

/// The gdbstub architecture of a 64-bit Linux inferior. The target
/// description is given at run time (it depends on the CPU): see
/// [`target_description`].
pub enum X86_64Linux {}

impl Arch for X86_64Linux {
    type Usize = u64;
    type Registers = Registers;
    type BreakpointKind = usize;
    type RegId = RegNum;
}

/// A GDB register number, as used by `p` and `P`. Its size depends on the
/// host's features, so it is left to the register read to tell.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegNum(pub usize);

impl RegId for RegNum {
    // Sizes depend on the process's mode and the host's features: the
    // register read tells them.
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        Some((RegNum(id), None))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(self.0)
    }
}

/// Where fs_base (the thread pointer) is in [`Registers::gpr`].
pub const FS_BASE_INDEX: usize = user_regs::FS_BASE;
