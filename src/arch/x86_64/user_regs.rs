//! The kernel's `user_regs_struct` as an array: the index of each of its
//! fields, in its order, so that a register table can name a field by a
//! number, and the conversions both ways.

use crate::sys::ptrace::UserRegs;

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

/// The fields of `r`, each at its index.
pub fn to_array(r: &UserRegs) -> [u64; COUNT] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds,
        r.es, r.fs, r.gs,
    ]
}

/// The `user_regs_struct` whose fields are `g`, each at its index.
pub fn from_array(g: &[u64; COUNT]) -> UserRegs {
    UserRegs {
        r15: g[R15],
        r14: g[R14],
        r13: g[R13],
        r12: g[R12],
        rbp: g[RBP],
        rbx: g[RBX],
        r11: g[R11],
        r10: g[R10],
        r9: g[R9],
        r8: g[R8],
        rax: g[RAX],
        rcx: g[RCX],
        rdx: g[RDX],
        rsi: g[RSI],
        rdi: g[RDI],
        orig_rax: g[ORIG_RAX],
        rip: g[RIP],
        cs: g[CS],
        eflags: g[EFLAGS],
        rsp: g[RSP],
        ss: g[SS],
        fs_base: g[FS_BASE],
        gs_base: g[GS_BASE],
        ds: g[DS],
        es: g[ES],
        fs: g[FS],
        gs: g[GS],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_has_its_own_index() {
        let mut g = [0u64; COUNT];
        for (i, v) in g.iter_mut().enumerate() {
            *v = 0x100 + i as u64;
        }
        let regs = from_array(&g);
        assert_eq!(
            (regs.r15, regs.rip, regs.gs),
            (0x100, 0x100 + 16, 0x100 + 26)
        );
        assert_eq!(to_array(&regs), g);
    }
}
