//! The register table: for each GDB register number, its name, size and
//! type, the GDB feature it belongs to, and where its bytes live in the
//! kernel's register sets. One table per mode and feature set, so that the
//! `g` packet and the target description cannot disagree.

use super::features::{Feature, Features, HI16_ZMM, OPMASK, PKRU, YMM_HI128, ZMM_HI256};
use super::mode::Mode;
use super::user_regs::*;
use std::ops::Range;
use std::sync::OnceLock;

/// Where a GDB register's bytes live.
#[derive(Clone, Copy, Debug)]
pub(super) enum Slot {
    /// `len` bytes at `offset` in XSAVE state component `component`.
    Xsave {
        component: usize,
        offset: usize,
        len: usize,
    },
    /// A 64-bit field of `user_regs_struct`.
    Gpr64(usize),
    /// The low 32 bits of a `user_regs_struct` field (eflags, selectors).
    Gpr32(usize),
    /// `len` bytes at `offset` in the FXSAVE area.
    Fx { offset: usize, len: usize },
    /// The x87 tag word, which FXSAVE keeps in abridged form.
    FullTag,
}

/// One GDB register: what the target description says of it, and where
/// its bytes are.
#[derive(Clone, Debug)]
pub(super) struct RegDesc {
    pub(super) name: &'static str,
    pub(super) bits: usize,
    pub(super) ty: &'static str,
    pub(super) group: Option<&'static str>,
    pub(super) feature: Feature,
    pub(super) slot: Slot,
}

impl RegDesc {
    /// A register of `core`, in no group: the start of every other.
    const fn new(name: &'static str, bits: usize, ty: &'static str, slot: Slot) -> RegDesc {
        RegDesc {
            name,
            bits,
            ty,
            group: None,
            feature: Feature::Core,
            slot,
        }
    }

    const fn in_group(self, group: &'static str) -> RegDesc {
        RegDesc {
            group: Some(group),
            ..self
        }
    }

    const fn in_feature(self, feature: Feature) -> RegDesc {
        RegDesc { feature, ..self }
    }
}

/// A whole `user_regs_struct` field.
const fn gpr(name: &'static str, index: usize, ty: &'static str) -> RegDesc {
    RegDesc::new(name, 64, ty, Slot::Gpr64(index))
}

/// The low half of a `user_regs_struct` field.
const fn gpr32(name: &'static str, index: usize, ty: &'static str) -> RegDesc {
    RegDesc::new(name, 32, ty, Slot::Gpr32(index))
}

const fn seg(name: &'static str, index: usize) -> RegDesc {
    gpr32(name, index, "int32")
}

/// x87 stack slot `i`, in its 16-byte FXSAVE slot.
const fn st(name: &'static str, i: usize) -> RegDesc {
    let offset = 32 + 16 * i;
    RegDesc::new(name, 80, "i387_ext", Slot::Fx { offset, len: 10 })
}

/// An x87 control register: `len` bytes of FXSAVE shown as 32 bits.
const fn fpu_control(name: &'static str, offset: usize, len: usize) -> RegDesc {
    RegDesc::new(name, 32, "int", Slot::Fx { offset, len }).in_group("float")
}

const fn xmm(name: &'static str, i: usize) -> RegDesc {
    let offset = 160 + 16 * i;
    RegDesc::new(name, 128, "vec128", Slot::Fx { offset, len: 16 }).in_feature(Feature::Sse)
}

/// The general registers of a 64-bit process, in GDB's amd64 numbering
/// (`org.gnu.gdb.i386.core`, first part).
static AMD64_GENERAL: [RegDesc; 17] = [
    gpr("rax", RAX, "int64"),
    gpr("rbx", RBX, "int64"),
    gpr("rcx", RCX, "int64"),
    gpr("rdx", RDX, "int64"),
    gpr("rsi", RSI, "int64"),
    gpr("rdi", RDI, "int64"),
    gpr("rbp", RBP, "data_ptr"),
    gpr("rsp", RSP, "data_ptr"),
    gpr("r8", R8, "int64"),
    gpr("r9", R9, "int64"),
    gpr("r10", R10, "int64"),
    gpr("r11", R11, "int64"),
    gpr("r12", R12, "int64"),
    gpr("r13", R13, "int64"),
    gpr("r14", R14, "int64"),
    gpr("r15", R15, "int64"),
    gpr("rip", RIP, "code_ptr"),
];

/// The general registers of a 32-bit process, in GDB's i386 numbering. The
/// kernel shows a 32-bit tracee through the same 64-bit register sets: eax
/// is the low half of rax, and so on.
static I386_GENERAL: [RegDesc; 9] = [
    gpr32("eax", RAX, "int32"),
    gpr32("ecx", RCX, "int32"),
    gpr32("edx", RDX, "int32"),
    gpr32("ebx", RBX, "int32"),
    gpr32("esp", RSP, "data_ptr"),
    gpr32("ebp", RBP, "data_ptr"),
    gpr32("esi", RSI, "int32"),
    gpr32("edi", RDI, "int32"),
    gpr32("eip", RIP, "code_ptr"),
];

/// What follows the general registers in `core`, in either mode: eflags
/// and the segment selectors, 32 bits each.
static FLAGS_AND_SELECTORS: [RegDesc; 7] = [
    gpr32("eflags", EFLAGS, "i386_eflags"),
    seg("cs", CS),
    seg("ss", SS),
    seg("ds", DS),
    seg("es", ES),
    seg("fs", FS),
    seg("gs", GS),
];

/// x87: st0-st7 and the control registers (the rest of `core`).
static X87: [RegDesc; 16] = [
    st("st0", 0),
    st("st1", 1),
    st("st2", 2),
    st("st3", 3),
    st("st4", 4),
    st("st5", 5),
    st("st6", 6),
    st("st7", 7),
    fpu_control("fctrl", 0, 2),
    fpu_control("fstat", 2, 2),
    RegDesc::new("ftag", 32, "int", Slot::FullTag).in_group("float"),
    fpu_control("fiseg", 12, 2),
    fpu_control("fioff", 8, 4),
    fpu_control("foseg", 20, 2),
    fpu_control("fooff", 16, 4),
    fpu_control("fop", 6, 2),
];

/// `org.gnu.gdb.i386.sse`: xmm0-15 (xmm0-7 for 32-bit code), then mxcsr.
static XMM: [RegDesc; 16] = [
    xmm("xmm0", 0),
    xmm("xmm1", 1),
    xmm("xmm2", 2),
    xmm("xmm3", 3),
    xmm("xmm4", 4),
    xmm("xmm5", 5),
    xmm("xmm6", 6),
    xmm("xmm7", 7),
    xmm("xmm8", 8),
    xmm("xmm9", 9),
    xmm("xmm10", 10),
    xmm("xmm11", 11),
    xmm("xmm12", 12),
    xmm("xmm13", 13),
    xmm("xmm14", 14),
    xmm("xmm15", 15),
];

static MXCSR: RegDesc = RegDesc::new("mxcsr", 32, "i386_mxcsr", Slot::Fx { offset: 24, len: 4 })
    .in_group("vector")
    .in_feature(Feature::Sse);

/// `org.gnu.gdb.i386.linux` (orig_rax) and `.segments` (fs_base, gs_base).
static AMD64_LINUX: [RegDesc; 3] = [
    gpr("orig_rax", ORIG_RAX, "int")
        .in_group("system")
        .in_feature(Feature::Linux),
    gpr("fs_base", FS_BASE, "int").in_feature(Feature::Segments),
    gpr("gs_base", GS_BASE, "int").in_feature(Feature::Segments),
];

/// `org.gnu.gdb.i386.linux` for 32-bit code.
static I386_LINUX: RegDesc = gpr32("orig_eax", ORIG_RAX, "int")
    .in_group("system")
    .in_feature(Feature::Linux);

/// The registers every process of `mode` has, in GDB's numbering.
fn base_registers(mode: Mode) -> Vec<RegDesc> {
    let (general, vectors, linux): (&[RegDesc], usize, &[RegDesc]) = match mode {
        Mode::Amd64 => (&AMD64_GENERAL, 16, &AMD64_LINUX),
        Mode::I386 => (&I386_GENERAL, 8, std::slice::from_ref(&I386_LINUX)),
    };
    general
        .iter()
        .chain(&FLAGS_AND_SELECTORS)
        .chain(&X87)
        .chain(&XMM[..vectors])
        .chain(std::iter::once(&MXCSR))
        .chain(linux)
        .cloned()
        .collect()
}

/// Registers of one kind in the XSAVE area: the one numbered `n` is named
/// `name` with `n` for its `{}` (a name without one is a bank of one), and
/// its bytes are at `offset + stride * (n - numbers.start)` in state
/// component `component`.
struct Bank {
    name: &'static str,
    numbers: Range<usize>,
    bits: usize,
    ty: &'static str,
    feature: Feature,
    component: usize,
    offset: usize,
    stride: usize,
}

/// `bits`-bit registers packed one after the other from the start of
/// `component`.
const fn bank(
    name: &'static str,
    numbers: Range<usize>,
    bits: usize,
    ty: &'static str,
    feature: Feature,
    component: usize,
) -> Bank {
    Bank {
        name,
        numbers,
        bits,
        ty,
        feature,
        component,
        offset: 0,
        stride: bits / 8,
    }
}

/// Parts of zmm16-31, which Hi16_ZMM keeps whole, 64 bytes a register:
/// the part (xmm, upper ymm half, upper zmm half) at `offset` in each.
const fn hi16_zmm(name: &'static str, bits: usize, ty: &'static str, offset: usize) -> Bank {
    Bank {
        offset,
        stride: 64,
        ..bank(name, 16..32, bits, ty, Feature::Avx512, HI16_ZMM)
    }
}

impl Bank {
    fn registers(&self) -> impl Iterator<Item = RegDesc> + '_ {
        self.numbers.clone().enumerate().map(|(i, n)| {
            // Leaked once per layout, and the layouts are kept for good.
            let name = Box::leak(self.name.replace("{}", &n.to_string()).into_boxed_str());
            let slot = Slot::Xsave {
                component: self.component,
                offset: self.offset + self.stride * i,
                len: self.bits / 8,
            };
            RegDesc::new(name, self.bits, self.ty, slot).in_feature(self.feature)
        })
    }
}

/// The XSAVE-held registers of every optional feature, in GDB's order.
static AMD64_XSAVE: [Bank; 7] = [
    bank("ymm{}h", 0..16, 128, "uint128", Feature::Avx, YMM_HI128),
    hi16_zmm("xmm{}", 128, "vec128", 0),
    hi16_zmm("ymm{}h", 128, "uint128", 16),
    bank("k{}", 0..8, 64, "uint64", Feature::Avx512, OPMASK),
    bank("zmm{}h", 0..16, 256, "v2ui128", Feature::Avx512, ZMM_HI256),
    hi16_zmm("zmm{}h", 256, "v2ui128", 32),
    PKRU_BANK,
];

/// 32-bit code sees eight vector registers; AVX-512 is not offered.
static I386_XSAVE: [Bank; 2] = [
    bank("ymm{}h", 0..8, 128, "uint128", Feature::Avx, YMM_HI128),
    PKRU_BANK,
];

const PKRU_BANK: Bank = bank("pkru", 0..1, 32, "uint32", Feature::Pkeys, PKRU);

fn extended_registers(mode: Mode) -> Vec<RegDesc> {
    let banks: &[Bank] = match mode {
        Mode::Amd64 => &AMD64_XSAVE,
        Mode::I386 => &I386_XSAVE,
    };
    banks.iter().flat_map(Bank::registers).collect()
}

/// The registers of a process with `features`: the index is the GDB
/// register number (`p`/`P`) and the order is the `g` packet's.
pub(super) fn layout(mode: Mode, features: Features) -> &'static [RegDesc] {
    // One layout per mode and combination of the three optional features.
    static LAYOUTS: [OnceLock<Vec<RegDesc>>; 16] = [const { OnceLock::new() }; 16];
    let index = usize::from(features.avx)
        | usize::from(features.avx512) << 1
        | usize::from(features.pkeys) << 2
        | usize::from(mode == Mode::I386) << 3;
    LAYOUTS[index].get_or_init(|| {
        base_registers(mode)
            .into_iter()
            .chain(extended_registers(mode))
            .filter(|r| features.has(r.feature))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::arch::x86_64::pinned::{assert_same_sections, every_feature_set, label};
    use std::fmt::Write as _;

    #[test]
    fn layouts_grow_with_features() {
        let base = layout(Mode::Amd64, Features::default());
        assert_eq!(base.len(), 60);
        let all = Features {
            avx: true,
            avx512: true,
            pkeys: true,
        };
        let full = layout(Mode::Amd64, all);
        assert_eq!(full.len(), 60 + 16 + 16 + 16 + 8 + 32 + 1);
        assert_eq!(full[60].name, "ymm0h");
        assert!(full.iter().any(|r| r.name == "zmm31h" && r.bits == 256));
        assert_eq!(full.last().map(|r| r.name), Some("pkru"));
        assert_eq!(
            Features::from_xcr0(0x7),
            Features {
                avx: true,
                avx512: false,
                pkeys: false
            }
        );
        assert_eq!(Features::from_xcr0(0x2e7), all);
    }

    #[test]
    fn i386_layout_is_gdbs() {
        let regs = layout(Mode::I386, Features::default());
        assert_eq!(regs.len(), 42);
        assert_eq!(regs[8].name, "eip");
        assert_eq!(regs[40].name, "mxcsr");
        assert_eq!(regs[41].name, "orig_eax");
        let size: usize = regs.iter().map(|r| r.bits / 8).sum();
        assert_eq!(size, 16 * 4 + 8 * 10 + 8 * 4 + 8 * 16 + 4 + 4);
    }

    /// Where every register of every layout lives (which the description
    /// does not say), pinned likewise.
    #[test]
    fn layouts_are_the_pinned_ones() {
        let mut actual = String::new();
        for mode in [Mode::Amd64, Mode::I386] {
            for features in every_feature_set() {
                let _ = writeln!(actual, "### {}", label(mode, features));
                for (regnum, r) in layout(mode, features).iter().enumerate() {
                    let _ = writeln!(
                        actual,
                        "{regnum} {} {} {} {:?} {:?} {:?}",
                        r.name, r.bits, r.ty, r.group, r.feature, r.slot
                    );
                }
            }
        }
        assert_same_sections(&actual, include_str!("testdata/layouts.txt"), "layouts.txt");
    }
}
