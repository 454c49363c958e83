//! The kernel's `user_regs_struct` as an array: the index of each of its
//! fields, in its order, so that a register table can name a field by a
//! number.
#![allow(dead_code)]

pub const R15: usize = 0;
pub const R14: usize = 1;
pub const R13: usize = 2;
pub const R12: usize = 3;
pub const RBP: usize = 4;
pub const RBX: usize = 5;
pub const R11: usize = 6;
pub const R10: usize = 7;
pub const R9: usize = 8;
pub const R8: usize = 9;
pub const RAX: usize = 10;
pub const RCX: usize = 11;
pub const RDX: usize = 12;
pub const RSI: usize = 13;
pub const RDI: usize = 14;
pub const ORIG_RAX: usize = 15;
pub const RIP: usize = 16;
pub const CS: usize = 17;
pub const EFLAGS: usize = 18;
pub const RSP: usize = 19;
pub const SS: usize = 20;
pub const FS_BASE: usize = 21;
pub const GS_BASE: usize = 22;
pub const DS: usize = 23;
pub const ES: usize = 24;
pub const FS: usize = 25;
pub const GS: usize = 26;
pub const COUNT: usize = 27;
