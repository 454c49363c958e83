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
//! This file holds the gdbstub architecture, the register id and the mode.

mod description;
mod features;
mod layout;
#[cfg(test)]
mod pinned;
mod registers;
mod user_regs;

pub use description::{target_description, Reader};
pub use features::{xsave_size, Features};
pub use registers::Registers;

use gdbstub::arch::{Arch, RegId};
use layout::layout;
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
    fn from_raw_id(id: usize) -> Option<(Self, Option<NonZeroUsize>)> {
        let desc = layout(current_mode(), Features::host()).get(id)?;
        Some((RegNum(id), NonZeroUsize::new(desc.bits / 8)))
    }

    fn to_raw_id(&self) -> Option<usize> {
        Some(self.0)
    }
}

/// Whether the process runs 64-bit or 32-bit code.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Amd64,
    I386,
}

/// The code segment selector of 32-bit user code on x86_64 Linux.
const USER32_CS: u64 = 0x23;

thread_local! {
    /// The mode of the process this (tracer) thread debugs: gdbstub builds
    /// register sets with `Default` and register ids with no context.
    static MODE: std::cell::Cell<Mode> = const { std::cell::Cell::new(Mode::Amd64) };
}

/// Record the mode of the process the calling tracer thread debugs.
pub fn set_current_mode(mode: Mode) {
    MODE.with(|m| m.set(mode));
}

pub fn current_mode() -> Mode {
    MODE.with(|m| m.get())
}

/// The GDB numbers and sizes of the frame pointer, stack pointer and pc,
/// which stop replies carry so that gdb need not ask for them.
pub fn frame_regnums(mode: Mode) -> [(usize, usize); 3] {
    match mode {
        Mode::Amd64 => [(6, 8), (7, 8), (16, 8)],
        Mode::I386 => [(5, 4), (4, 4), (8, 4)],
    }
}

/// Where fs_base (the thread pointer) is in [`Registers::gpr`].
pub const FS_BASE_INDEX: usize = user_regs::FS_BASE;
