//! The registers of one thread, kept in the kernel's own formats
//! (`user_regs_struct`, the FXSAVE area, the XSAVE area), read and written
//! by GDB register number through the layout; and gdbstub's view of them.

use super::features::{
    component_offset, component_size, xsave_size, Features, FXSAVE_SIZE, SW_XCR0,
    XSAVE_HEADER_SIZE, XSTATE_BV,
};
use super::layout::{layout, RegDesc, Slot};
use super::mode::{frame_regnums, Mode, USER32_CS};
use super::user_regs::{self, COUNT, ORIG_RAX, RIP};
use crate::sys::ptrace::{FxSave, UserRegs};

/// All registers of one thread, in the kernel's own formats.
#[derive(Clone, Debug, PartialEq)]
pub struct Registers {
    pub gpr: [u64; COUNT],
    pub fx: [u8; 512],
    /// The whole XSAVE area (its first 512 bytes mirror `fx`), when the
    /// host has state beyond SSE; empty otherwise.
    pub xsave: Vec<u8>,
    pub features: Features,
    pub mode: Mode,
}

impl Default for Registers {
    fn default() -> Self {
        let features = Features::host();
        Registers {
            gpr: [0; COUNT],
            fx: [0; 512],
            xsave: if features.any_xsave() {
                vec![0; xsave_size()]
            } else {
                Vec::new()
            },
            features,
            mode: Mode::default(),
        }
    }
}

/// GDB register `regnum` when it is one of the general registers (the
/// kernel's GETREGS set), zero-extended; `None` for any other register.
/// What a breakpoint condition reads at each hit, without the cost of the
/// whole register set (the XSAVE area).
pub fn general_register(regs: &UserRegs, mode: Mode, regnum: usize) -> Option<u64> {
    let desc = layout(mode, Features::host()).get(regnum)?;
    let value = |i: usize| user_regs::to_array(regs)[i];
    match desc.slot {
        Slot::Gpr64(i) => Some(value(i)),
        Slot::Gpr32(i) => Some(value(i) & 0xffff_ffff),
        _ => None,
    }
}

impl Registers {
    /// All zeros, for a process in `mode` with this host's features.
    pub fn new(mode: Mode) -> Registers {
        Registers {
            mode,
            ..Registers::default()
        }
    }

    /// From the kernel's sets: general registers, and either the XSAVE area
    /// (PTRACE_GETREGSET NT_X86_XSTATE) or, without it, the FXSAVE area.
    pub fn from_kernel(regs: &UserRegs, fx: &FxSave, xsave: Option<Vec<u8>>) -> Registers {
        let mut fx = fx.0;
        let (xsave, features) = match xsave {
            Some(area) if area.len() >= FXSAVE_SIZE + XSAVE_HEADER_SIZE => {
                fx.copy_from_slice(&area[..FXSAVE_SIZE]);
                let xcr0 = u64_at(&area, SW_XCR0).unwrap_or(0);
                (area, Features::from_xcr0(xcr0))
            }
            _ => (Vec::new(), Features::default()),
        };
        Registers {
            gpr: user_regs::to_array(regs),
            fx,
            xsave,
            features,
            mode: if regs.cs == USER32_CS {
                Mode::I386
            } else {
                Mode::Amd64
            },
        }
    }

    /// The kernel's sets to write back: general registers, the FXSAVE area,
    /// and the XSAVE area (with `fx` folded in) if there is one.
    pub fn to_kernel(&self) -> (UserRegs, FxSave, Option<Vec<u8>>) {
        let regs = user_regs::from_array(&self.gpr);
        let xsave = (!self.xsave.is_empty()).then(|| {
            let mut area = self.xsave.clone();
            area[..FXSAVE_SIZE].copy_from_slice(&self.fx);
            area
        });
        (regs, FxSave(self.fx), xsave)
    }

    fn layout(&self) -> &'static [RegDesc] {
        layout(self.mode, self.features)
    }

    fn xsave_range(
        &self,
        component: usize,
        offset: usize,
        len: usize,
    ) -> Option<std::ops::Range<usize>> {
        let start = component_offset(component) + offset;
        (start + len <= self.xsave.len()).then_some(start..start + len)
    }

    /// The bytes of GDB register `regnum`, little-endian, as `p` shows them.
    pub fn read(&self, regnum: usize, out: &mut Vec<u8>) -> Option<()> {
        let desc = self.layout().get(regnum)?;
        match desc.slot {
            Slot::Gpr64(i) => out.extend_from_slice(&self.gpr[i].to_le_bytes()),
            Slot::Gpr32(i) => out.extend_from_slice(&(self.gpr[i] as u32).to_le_bytes()),
            Slot::Fx { offset, len } => {
                let start = out.len();
                out.extend_from_slice(&self.fx[offset..offset + len]);
                out.resize(start + desc.bits / 8, 0);
            }
            Slot::FullTag => out.extend_from_slice(&u32::from(self.full_tag_word()).to_le_bytes()),
            Slot::Xsave {
                component,
                offset,
                len,
            } => {
                // A component not in XSTATE_BV is in its initial state: zeros.
                let range = self.xsave_range(component, offset, len)?;
                if self.component_in_use(component) {
                    out.extend_from_slice(&self.xsave[range]);
                } else {
                    out.resize(out.len() + len, 0);
                }
            }
        }
        Some(())
    }

    /// XSTATE_BV, from the XSAVE header: which components hold state
    /// (`None` without an XSAVE area).
    fn xstate_bv(&self) -> Option<u64> {
        u64_at(&self.xsave, XSTATE_BV)
    }

    fn set_xstate_bv(&mut self, bv: u64) {
        self.xsave[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
    }

    fn component_in_use(&self, component: usize) -> bool {
        self.xstate_bv().unwrap_or(0) & (1 << component) != 0
    }

    /// Set GDB register `regnum` from its little-endian bytes.
    pub fn write(&mut self, regnum: usize, bytes: &[u8]) -> Option<()> {
        let desc = self.layout().get(regnum)?;
        if bytes.len() != desc.bits / 8 {
            return None;
        }
        let mut word = [0u8; 8];
        let n = bytes.len().min(8);
        word[..n].copy_from_slice(&bytes[..n]);
        let value = u64::from_le_bytes(word);
        match desc.slot {
            Slot::Gpr64(i) => self.gpr[i] = value,
            Slot::Gpr32(i) => self.gpr[i] = value & 0xffff_ffff,
            Slot::Fx { offset, len } => {
                self.fx[offset..offset + len].copy_from_slice(&bytes[..len])
            }
            Slot::FullTag => self.fx[4] = abridged_tag(value as u16),
            Slot::Xsave {
                component,
                offset,
                len,
            } => {
                let range = self.xsave_range(component, offset, len)?;
                if !self.component_in_use(component) {
                    // Bring the component out of its initial state: zeros
                    // but for what is written now.
                    let start = component_offset(component);
                    let end = (start + component_size(component)).min(self.xsave.len());
                    self.xsave[start..end].iter_mut().for_each(|b| *b = 0);
                    self.set_xstate_bv(self.xstate_bv().unwrap_or(0) | 1 << component);
                }
                self.xsave[range].copy_from_slice(bytes);
            }
        }
        Some(())
    }

    pub fn pc(&self) -> u64 {
        self.gpr[RIP]
    }

    pub fn set_pc(&mut self, pc: u64) {
        self.gpr[RIP] = pc;
    }

    /// Whether GDB register `regnum` is the pc.
    pub fn is_pc(&self, regnum: usize) -> bool {
        frame_regnums(self.mode)[2].0 == regnum
    }

    /// Tell the kernel the thread is not in a system call, so that resuming
    /// does not restart an interrupted one at (pc - 2). gdb does this itself
    /// when it moves the pc; lldb leaves it to the stub, as lldb-server
    /// does it.
    pub fn cancel_syscall_restart(&mut self) {
        self.gpr[ORIG_RAX] = u64::MAX;
    }

    /// Take from `current` the state no GDB register carries (mxcsr_mask,
    /// the upper half of the x87 instruction and data pointers, reserved
    /// bytes, the XSAVE header), so writing a whole set leaves it alone.
    pub fn keep_hidden_state(&mut self, current: &Registers) {
        let mut fx_covered = [false; FXSAVE_SIZE];
        let mut xsave_covered = vec![false; self.xsave.len()];
        for desc in self.layout() {
            match desc.slot {
                Slot::Fx { offset, len } => fx_covered[offset..offset + len]
                    .iter_mut()
                    .for_each(|c| *c = true),
                Slot::Xsave {
                    component,
                    offset,
                    len,
                } => {
                    if let Some(range) = self.xsave_range(component, offset, len) {
                        xsave_covered[range].iter_mut().for_each(|c| *c = true);
                    }
                }
                _ => {}
            }
        }
        fx_covered[4] = true; // the tag, via FullTag
        for (i, byte) in self.fx.iter_mut().enumerate() {
            if !fx_covered[i] {
                *byte = current.fx[i];
            }
        }
        if self.xsave.len() == current.xsave.len() {
            let written_bv = self.xstate_bv();
            for (i, byte) in self.xsave.iter_mut().enumerate().skip(FXSAVE_SIZE) {
                if !xsave_covered[i] {
                    *byte = current.xsave[i];
                }
            }
            // Components written here are in use, whatever they were before.
            if let (Some(mine), Some(theirs)) = (written_bv, current.xstate_bv()) {
                self.set_xstate_bv(mine | theirs);
            }
        }
    }

    /// FXSAVE keeps one "valid" bit per x87 register; GDB wants the full
    /// two-bit tag (valid, zero, special, empty), derived from the contents.
    fn full_tag_word(&self) -> u16 {
        let abridged = self.fx[4];
        let top = (u16::from_le_bytes([self.fx[2], self.fx[3]]) >> 11) & 7;
        let mut tag = 0u16;
        for physical in 0..8usize {
            let bits = if abridged & (1 << physical) == 0 {
                3 // empty
            } else {
                // The FXSAVE stack slots are ordered from ST(0), not by physical register.
                let st = (physical + 8 - top as usize) % 8;
                let raw = &self.fx[32 + 16 * st..32 + 16 * st + 10];
                let exponent = u16::from_le_bytes([raw[8], raw[9]]) & 0x7fff;
                let mantissa = u64::from_le_bytes(raw[..8].try_into().unwrap_or([0; 8]));
                if exponent == 0x7fff {
                    2 // special: infinity or NaN
                } else if exponent == 0 {
                    if mantissa == 0 {
                        1 // zero
                    } else {
                        2 // special: denormal
                    }
                } else if mantissa >> 63 == 0 {
                    2 // special: unnormal
                } else {
                    0 // valid
                }
            };
            tag |= bits << (2 * physical);
        }
        tag
    }
}

/// The little-endian u64 at `at` in `bytes`, if they reach that far.
fn u64_at(bytes: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(bytes.get(at..at + 8)?.try_into().ok()?))
}

fn abridged_tag(full: u16) -> u8 {
    (0..8).fold(0u8, |acc, i| {
        if (full >> (2 * i)) & 3 != 3 {
            acc | (1 << i)
        } else {
            acc
        }
    })
}

impl gdbstub::arch::Registers for Registers {
    type ProgramCounter = u64;

    fn pc(&self) -> u64 {
        Registers::pc(self)
    }

    fn gdb_serialize(&self, mut write_byte: impl FnMut(Option<u8>)) {
        let mut bytes = Vec::with_capacity(2048);
        for regnum in 0..self.layout().len() {
            self.read(regnum, &mut bytes);
        }
        bytes.into_iter().for_each(|b| write_byte(Some(b)));
    }

    fn gdb_deserialize(&mut self, bytes: &[u8]) -> Result<(), ()> {
        // A block of the wrong size is refused whole: guessing which
        // registers it meant would put garbage in the others.
        let layout = self.layout();
        if bytes.len() != layout.iter().map(|d| d.bits / 8).sum::<usize>() {
            return Err(());
        }
        let mut rest = bytes;
        for (regnum, desc) in layout.iter().enumerate() {
            let (value, tail) = rest.split_at(desc.bits / 8);
            self.write(regnum, value).ok_or(())?;
            rest = tail;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::x86_64::user_regs::{FS_BASE, RAX};
    use gdbstub::arch::Registers as _;

    fn sse_only() -> Registers {
        Registers {
            xsave: Vec::new(),
            features: Features::default(),
            ..Registers::default()
        }
    }

    #[test]
    fn g_packet_round_trips_and_has_gdb_size() {
        let mut regs = sse_only();
        for (i, v) in regs.gpr.iter_mut().enumerate() {
            *v = 0x1111_0000_0000_0000 * (i as u64 % 7) + i as u64;
        }
        for (i, b) in regs.fx.iter_mut().enumerate() {
            *b = i as u8;
        }
        regs.fx[4] = 0xff; // all x87 registers valid, so the tag survives
        let mut bytes = Vec::new();
        regs.gdb_serialize(|b| bytes.push(b.unwrap_or(0)));
        // 16*8 + 8 + 4 + 6*4 + 8*10 + 8*4 + 16*16 + 4 + 8 + 8 + 8
        assert_eq!(bytes.len(), 560);
        let mut back = sse_only();
        back.gdb_deserialize(&bytes).unwrap();
        // Fields GDB does not carry are not compared.
        assert_eq!(back.pc(), regs.pc());
        assert_eq!(back.gpr[RAX], regs.gpr[RAX]);
        assert_eq!(back.gpr[FS_BASE], regs.gpr[FS_BASE]);
        assert_eq!(back.fx[160..416], regs.fx[160..416]);
        assert!(
            back.gdb_deserialize(&bytes[1..]).is_err(),
            "wrong size refused"
        );
    }

    #[test]
    fn tag_word_marks_empty_and_zero() {
        let mut regs = sse_only();
        regs.fx[4] = 0b0000_0001; // only physical register 0 in use, top = 0, value 0.0
        assert_eq!(regs.full_tag_word(), 0xfffd);
        assert_eq!(abridged_tag(0xfffd), 1);
    }

    #[test]
    fn hidden_state_comes_from_the_current_registers() {
        let mut current = sse_only();
        for (i, b) in current.fx.iter_mut().enumerate() {
            *b = i as u8;
        }
        current.xsave = (0..640).map(|i| (i * 7) as u8).collect();
        let theirs_bv = u64::from_le_bytes(current.xsave[512..520].try_into().unwrap());
        let mut written = sse_only();
        written.fx = [0xaa; 512];
        written.xsave = vec![0xbb; 640];
        written.keep_hidden_state(&current);
        // What GDB registers carry stays as written: fctrl, the tag, st0,
        // mxcsr, xmm0-15.
        assert_eq!(written.fx[0..2], [0xaa; 2]);
        assert_eq!(written.fx[4], 0xaa);
        assert_eq!(written.fx[24..28], [0xaa; 4]);
        assert_eq!(written.fx[32..42], [0xaa; 10]);
        assert_eq!(written.fx[160..416], [0xaa; 256]);
        // The rest is the current state: mxcsr_mask, st0's padding, the
        // reserved bytes.
        assert_eq!(written.fx[5], current.fx[5]);
        assert_eq!(written.fx[28..32], current.fx[28..32]);
        assert_eq!(written.fx[42..48], current.fx[42..48]);
        assert_eq!(written.fx[416..512], current.fx[416..512]);
        // The XSAVE area beyond FXSAVE is the current one, but XSTATE_BV,
        // which has every component either side holds.
        assert_eq!(written.xsave[..512], [0xbb; 512]);
        let bv = u64::from_le_bytes(written.xsave[512..520].try_into().unwrap());
        assert_eq!(bv, u64::from_le_bytes([0xbb; 8]) | theirs_bv);
        assert_eq!(written.xsave[520..], current.xsave[520..]);
        // Areas of different sizes are left alone.
        let mut short = sse_only();
        short.xsave = vec![0xbb; 600];
        short.keep_hidden_state(&current);
        assert_eq!(short.xsave, vec![0xbb; 600]);
    }

    #[test]
    fn writing_a_component_in_its_initial_state_brings_it_into_use() {
        if !Features::host().avx {
            return; // nothing to place without AVX state on this host
        }
        let mut regs = Registers::default();
        let ymm0h = 60;
        let ymm1h = 61;
        let start = component_offset(2);
        regs.xsave[start..start + 32].fill(0x55); // stale bytes, not in use
        regs.write(ymm1h, &[7; 16]).unwrap();
        let bv = u64::from_le_bytes(regs.xsave[XSTATE_BV..XSTATE_BV + 8].try_into().unwrap());
        assert_eq!(bv, 1 << 2);
        let mut out = Vec::new();
        regs.read(ymm0h, &mut out).unwrap();
        assert_eq!(out, vec![0; 16], "the rest of the component is zeroed");
        out.clear();
        regs.read(ymm1h, &mut out).unwrap();
        assert_eq!(out, vec![7; 16]);
    }

    #[test]
    fn avx_registers_live_in_the_xsave_area() {
        if !Features::host().avx {
            return; // nothing to place without AVX state on this host
        }
        let mut regs = Registers::default();
        let ymm0h = 60;
        let mut out = Vec::new();
        regs.read(ymm0h, &mut out).unwrap();
        assert_eq!(out, vec![0; 16], "initial state reads as zeros");
        regs.write(ymm0h, &[7; 16]).unwrap();
        assert!(regs.component_in_use(2));
        out.clear();
        regs.read(ymm0h, &mut out).unwrap();
        assert_eq!(out, vec![7; 16]);
    }
}
