//! x86_64 Linux: the kernel's register sets laid out as GDB's amd64
//! features: `core`, `sse`, `linux` (orig_rax), `segments` (fs_base,
//! gs_base) and, where the CPU has them, `avx`, `avx512` and `pkeys`.
//!
//! One table, [`layout`], drives both the `g` packet and the target
//! description, so the two cannot disagree. The optional features live in
//! the XSAVE area, found where CPUID leaf 0xD says; which ones are there is
//! the same for every process on the host (XCR0), so the layout is too.

use crate::sys::ptrace::{FxSave, UserRegs};
use gdbstub::arch::{Arch, RegId};
use std::fmt::Write as _;
use std::num::NonZeroUsize;
use std::sync::OnceLock;

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

/// Index of each field in the kernel's `user_regs_struct`, in its order.
#[allow(dead_code)]
mod kernel {
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
}

/// Where a GDB register's bytes live.
#[derive(Clone, Copy, Debug)]
enum Slot {
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

#[derive(Clone, Debug)]
struct RegDesc {
    name: &'static str,
    bits: usize,
    ty: &'static str,
    group: Option<&'static str>,
    feature: Feature,
    slot: Slot,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Feature {
    Core,
    Sse,
    Linux,
    Segments,
    Avx,
    Avx512,
    Pkeys,
}

impl Feature {
    fn name(self) -> &'static str {
        match self {
            Feature::Core => "org.gnu.gdb.i386.core",
            Feature::Sse => "org.gnu.gdb.i386.sse",
            Feature::Linux => "org.gnu.gdb.i386.linux",
            Feature::Segments => "org.gnu.gdb.i386.segments",
            Feature::Avx => "org.gnu.gdb.i386.avx",
            Feature::Avx512 => "org.gnu.gdb.i386.avx512",
            Feature::Pkeys => "org.gnu.gdb.i386.pkeys",
        }
    }
}

const fn gpr(name: &'static str, index: usize, ty: &'static str) -> RegDesc {
    RegDesc {
        name,
        bits: 64,
        ty,
        group: None,
        feature: Feature::Core,
        slot: Slot::Gpr64(index),
    }
}

const fn seg(name: &'static str, index: usize) -> RegDesc {
    RegDesc {
        name,
        bits: 32,
        ty: "int32",
        group: None,
        feature: Feature::Core,
        slot: Slot::Gpr32(index),
    }
}

const fn st(name: &'static str, i: usize) -> RegDesc {
    RegDesc {
        name,
        bits: 80,
        ty: "i387_ext",
        group: None,
        feature: Feature::Core,
        slot: Slot::Fx {
            offset: 32 + 16 * i,
            len: 10,
        },
    }
}

const fn fx32(name: &'static str, offset: usize, len: usize, group: &'static str) -> RegDesc {
    RegDesc {
        name,
        bits: 32,
        ty: "int",
        group: Some(group),
        feature: Feature::Core,
        slot: Slot::Fx { offset, len },
    }
}

const fn xmm(name: &'static str, i: usize) -> RegDesc {
    RegDesc {
        name,
        bits: 128,
        ty: "vec128",
        group: None,
        feature: Feature::Sse,
        slot: Slot::Fx {
            offset: 160 + 16 * i,
            len: 16,
        },
    }
}

use kernel::*;

const fn gpr32(name: &'static str, index: usize, ty: &'static str) -> RegDesc {
    RegDesc {
        name,
        bits: 32,
        ty,
        group: None,
        feature: Feature::Core,
        slot: Slot::Gpr32(index),
    }
}

/// The general registers of a 64-bit process, in GDB's amd64 numbering
/// (`org.gnu.gdb.i386.core`, first part).
static AMD64_CORE: [RegDesc; 24] = [
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
    RegDesc {
        name: "eflags",
        bits: 32,
        ty: "i386_eflags",
        group: None,
        feature: Feature::Core,
        slot: Slot::Gpr32(EFLAGS),
    },
    seg("cs", CS),
    seg("ss", SS),
    seg("ds", DS),
    seg("es", ES),
    seg("fs", FS),
    seg("gs", GS),
];

/// The general registers of a 32-bit process, in GDB's i386 numbering. The
/// kernel shows a 32-bit tracee through the same 64-bit register sets: eax
/// is the low half of rax, and so on.
static I386_CORE: [RegDesc; 16] = [
    gpr32("eax", RAX, "int32"),
    gpr32("ecx", RCX, "int32"),
    gpr32("edx", RDX, "int32"),
    gpr32("ebx", RBX, "int32"),
    gpr32("esp", RSP, "data_ptr"),
    gpr32("ebp", RBP, "data_ptr"),
    gpr32("esi", RSI, "int32"),
    gpr32("edi", RDI, "int32"),
    gpr32("eip", RIP, "code_ptr"),
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
    fx32("fctrl", 0, 2, "float"),
    fx32("fstat", 2, 2, "float"),
    RegDesc {
        name: "ftag",
        bits: 32,
        ty: "int",
        group: Some("float"),
        feature: Feature::Core,
        slot: Slot::FullTag,
    },
    fx32("fiseg", 12, 2, "float"),
    fx32("fioff", 8, 4, "float"),
    fx32("foseg", 20, 2, "float"),
    fx32("fooff", 16, 4, "float"),
    fx32("fop", 6, 2, "float"),
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

static MXCSR: RegDesc = RegDesc {
    name: "mxcsr",
    bits: 32,
    ty: "i386_mxcsr",
    group: Some("vector"),
    feature: Feature::Sse,
    slot: Slot::Fx { offset: 24, len: 4 },
};

/// `org.gnu.gdb.i386.linux` (orig_rax) and `.segments` (fs_base, gs_base).
static AMD64_LINUX: [RegDesc; 3] = [
    RegDesc {
        name: "orig_rax",
        bits: 64,
        ty: "int",
        group: Some("system"),
        feature: Feature::Linux,
        slot: Slot::Gpr64(ORIG_RAX),
    },
    RegDesc {
        name: "fs_base",
        bits: 64,
        ty: "int",
        group: None,
        feature: Feature::Segments,
        slot: Slot::Gpr64(FS_BASE),
    },
    RegDesc {
        name: "gs_base",
        bits: 64,
        ty: "int",
        group: None,
        feature: Feature::Segments,
        slot: Slot::Gpr64(GS_BASE),
    },
];

/// `org.gnu.gdb.i386.linux` for 32-bit code.
static I386_LINUX: RegDesc = RegDesc {
    name: "orig_eax",
    bits: 32,
    ty: "int",
    group: Some("system"),
    feature: Feature::Linux,
    slot: Slot::Gpr32(ORIG_RAX),
};

/// The registers every process of `mode` has, in GDB's numbering.
fn base_registers(mode: Mode) -> Vec<RegDesc> {
    let (core, vectors, linux): (&[RegDesc], usize, &[RegDesc]) = match mode {
        Mode::Amd64 => (&AMD64_CORE, 16, &AMD64_LINUX),
        Mode::I386 => (&I386_CORE, 8, std::slice::from_ref(&I386_LINUX)),
    };
    core.iter()
        .chain(&X87)
        .chain(&XMM[..vectors])
        .chain(std::iter::once(&MXCSR))
        .chain(linux)
        .cloned()
        .collect()
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
pub const FS_BASE_INDEX: usize = FS_BASE;

/// The optional register features, from XCR0 (which state the OS saves).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub avx: bool,
    pub avx512: bool,
    pub pkeys: bool,
}

impl Features {
    pub fn from_xcr0(xcr0: u64) -> Features {
        Features {
            avx: xcr0 & 0b100 != 0,
            // opmask, ZMM_Hi256 and Hi16_ZMM together
            avx512: xcr0 & 0b1110_0000 == 0b1110_0000,
            pkeys: xcr0 & (1 << 9) != 0,
        }
    }

    /// This host's features (std checks XCR0 through xgetbv for us).
    pub fn host() -> Features {
        static HOST: OnceLock<Features> = OnceLock::new();
        *HOST.get_or_init(|| Features {
            avx: std::arch::is_x86_feature_detected!("avx"),
            avx512: std::arch::is_x86_feature_detected!("avx512f"),
            pkeys: host_has_pkeys(),
        })
    }

    fn has(self, feature: Feature) -> bool {
        match feature {
            Feature::Core | Feature::Sse | Feature::Linux | Feature::Segments => true,
            Feature::Avx => self.avx,
            Feature::Avx512 => self.avx512,
            Feature::Pkeys => self.pkeys,
        }
    }

    fn any_xsave(self) -> bool {
        self.avx || self.avx512 || self.pkeys
    }
}

/// PKU enabled by the OS shows as `ospke` in /proc/cpuinfo.
fn host_has_pkeys() -> bool {
    std::fs::read_to_string("/proc/cpuinfo")
        .map(|info| {
            info.lines()
                .find(|l| l.starts_with("flags"))
                .is_some_and(|l| l.split_whitespace().any(|f| f == "ospke"))
        })
        .unwrap_or(false)
}

/// Where XSAVE state component `component` starts in the (standard format)
/// XSAVE area, from CPUID leaf 0xD.
fn component_offset(component: usize) -> usize {
    static OFFSETS: OnceLock<[usize; 10]> = OnceLock::new();
    OFFSETS.get_or_init(|| {
        let mut offsets = [0usize; 10];
        for (i, offset) in offsets.iter_mut().enumerate().skip(2) {
            *offset = std::arch::x86_64::__cpuid_count(0xd, i as u32).ebx as usize;
        }
        offsets
    })[component]
}

/// Bytes of the XSAVE area for the state XCR0 enables.
pub fn xsave_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        let size = std::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize;
        size.max(FXSAVE_SIZE + XSAVE_HEADER_SIZE)
    })
}

const FXSAVE_SIZE: usize = 512;
const XSAVE_HEADER_SIZE: usize = 64;
/// XSTATE_BV, in the XSAVE header: which components hold state.
const XSTATE_BV: usize = FXSAVE_SIZE;
/// Where the kernel puts XCR0 in the FXSAVE area's software-reserved bytes.
const SW_XCR0: usize = 464;

fn leak(name: String) -> &'static str {
    Box::leak(name.into_boxed_str())
}

fn xsave_reg(
    name: String,
    bits: usize,
    ty: &'static str,
    feature: Feature,
    component: usize,
    offset: usize,
) -> RegDesc {
    RegDesc {
        name: leak(name),
        bits,
        ty,
        group: None,
        feature,
        slot: Slot::Xsave {
            component,
            offset,
            len: bits / 8,
        },
    }
}

/// The XSAVE-held registers of every optional feature, in GDB's order.
fn extended_registers(mode: Mode) -> Vec<RegDesc> {
    let mut regs = Vec::new();
    if mode == Mode::I386 {
        // 32-bit code sees eight vector registers; AVX-512 is not offered.
        for i in 0..8 {
            regs.push(xsave_reg(
                format!("ymm{i}h"),
                128,
                "uint128",
                Feature::Avx,
                2,
                16 * i,
            ));
        }
        regs.push(xsave_reg("pkru".into(), 32, "uint32", Feature::Pkeys, 9, 0));
        return regs;
    }
    for i in 0..16 {
        regs.push(xsave_reg(
            format!("ymm{i}h"),
            128,
            "uint128",
            Feature::Avx,
            2,
            16 * i,
        ));
    }
    for i in 0..16 {
        regs.push(xsave_reg(
            format!("xmm{}", i + 16),
            128,
            "vec128",
            Feature::Avx512,
            7,
            64 * i,
        ));
    }
    for i in 0..16 {
        regs.push(xsave_reg(
            format!("ymm{}h", i + 16),
            128,
            "uint128",
            Feature::Avx512,
            7,
            64 * i + 16,
        ));
    }
    for i in 0..8 {
        regs.push(xsave_reg(
            format!("k{i}"),
            64,
            "uint64",
            Feature::Avx512,
            5,
            8 * i,
        ));
    }
    for i in 0..16 {
        regs.push(xsave_reg(
            format!("zmm{i}h"),
            256,
            "v2ui128",
            Feature::Avx512,
            6,
            32 * i,
        ));
    }
    for i in 0..16 {
        regs.push(xsave_reg(
            format!("zmm{}h", i + 16),
            256,
            "v2ui128",
            Feature::Avx512,
            7,
            64 * i + 32,
        ));
    }
    regs.push(xsave_reg("pkru".into(), 32, "uint32", Feature::Pkeys, 9, 0));
    regs
}

/// The registers of a process with `features`: the index is the GDB
/// register number (`p`/`P`) and the order is the `g` packet's.
fn layout(mode: Mode, features: Features) -> &'static [RegDesc] {
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
            mode: current_mode(),
        }
    }
}

impl Registers {
    /// From the kernel's sets: general registers, and either the XSAVE area
    /// (PTRACE_GETREGSET NT_X86_XSTATE) or, without it, the FXSAVE area.
    pub fn from_kernel(regs: &UserRegs, fx: &FxSave, xsave: Option<Vec<u8>>) -> Registers {
        let r = regs;
        let mut fx = fx.0;
        let (xsave, features) = match xsave {
            Some(area) if area.len() >= FXSAVE_SIZE + XSAVE_HEADER_SIZE => {
                fx.copy_from_slice(&area[..FXSAVE_SIZE]);
                let xcr0 =
                    u64::from_le_bytes(area[SW_XCR0..SW_XCR0 + 8].try_into().unwrap_or([0; 8]));
                (area, Features::from_xcr0(xcr0))
            }
            _ => (Vec::new(), Features::default()),
        };
        Registers {
            gpr: [
                r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx,
                r.rdx, r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base,
                r.gs_base, r.ds, r.es, r.fs, r.gs,
            ],
            fx,
            xsave,
            features,
            mode: if r.cs == USER32_CS {
                Mode::I386
            } else {
                Mode::Amd64
            },
        }
    }

    /// The kernel's sets to write back: general registers, the FXSAVE area,
    /// and the XSAVE area (with `fx` folded in) if there is one.
    pub fn to_kernel(&self) -> (UserRegs, FxSave, Option<Vec<u8>>) {
        let g = &self.gpr;
        let regs = UserRegs {
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
        };
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

    fn component_in_use(&self, component: usize) -> bool {
        let bv = self
            .xsave
            .get(XSTATE_BV..XSTATE_BV + 8)
            .map_or(0, |b| u64::from_le_bytes(b.try_into().unwrap_or([0; 8])));
        bv & (1 << component) != 0
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
                    let size = std::arch::x86_64::__cpuid_count(0xd, component as u32).eax as usize;
                    let end = (start + size).min(self.xsave.len());
                    self.xsave[start..end].iter_mut().for_each(|b| *b = 0);
                    let mut bv =
                        u64::from_le_bytes(self.xsave[XSTATE_BV..XSTATE_BV + 8].try_into().ok()?);
                    bv |= 1 << component;
                    self.xsave[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&bv.to_le_bytes());
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
            let written_bv = self.xsave.get(XSTATE_BV..XSTATE_BV + 8).map(<[u8]>::to_vec);
            for (i, byte) in self.xsave.iter_mut().enumerate().skip(FXSAVE_SIZE) {
                if !xsave_covered[i] {
                    *byte = current.xsave[i];
                }
            }
            // Components written here are in use, whatever they were before.
            if let Some(written) = written_bv {
                let mine = u64::from_le_bytes(written.try_into().unwrap_or([0; 8]));
                let theirs = u64::from_le_bytes(
                    current.xsave[XSTATE_BV..XSTATE_BV + 8]
                        .try_into()
                        .unwrap_or([0; 8]),
                );
                self.xsave[XSTATE_BV..XSTATE_BV + 8]
                    .copy_from_slice(&(mine | theirs).to_le_bytes());
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
        self.gpr[RIP]
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

const CORE_TYPES: &str = r#"  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/>
    <field name="PF" start="2" end="2"/><field name="AF" start="4" end="4"/>
    <field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/>
    <field name="DF" start="10" end="10"/><field name="OF" start="11" end="11"/>
    <field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/>
    <field name="VIF" start="19" end="19"/><field name="VIP" start="20" end="20"/>
    <field name="ID" start="21" end="21"/>
  </flags>
"#;

/// Types are scoped to their feature in GDB: the vector types go with `sse`.
const SSE_TYPES: &str = r#"  <vector id="v8bf16" type="bfloat16" count="8"/>
  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <union id="vec128">
    <field name="v8_bfloat16" type="v8bf16"/><field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>
  </union>
  <flags id="i386_mxcsr" size="4">
    <field name="IE" start="0" end="0"/><field name="DE" start="1" end="1"/>
    <field name="ZE" start="2" end="2"/><field name="OE" start="3" end="3"/>
    <field name="UE" start="4" end="4"/><field name="PE" start="5" end="5"/>
    <field name="DAZ" start="6" end="6"/><field name="IM" start="7" end="7"/>
    <field name="DM" start="8" end="8"/><field name="ZM" start="9" end="9"/>
    <field name="OM" start="10" end="10"/><field name="UM" start="11" end="11"/>
    <field name="PM" start="12" end="12"/><field name="FZ" start="15" end="15"/>
  </flags>
"#;

/// AVX-512 has its own scope in GDB: its vector types again.
const AVX512_TYPES: &str = r#"  <vector id="v4f" type="ieee_single" count="4"/>
  <vector id="v2d" type="ieee_double" count="2"/>
  <vector id="v16i8" type="int8" count="16"/>
  <vector id="v8i16" type="int16" count="8"/>
  <vector id="v4i32" type="int32" count="4"/>
  <vector id="v2i64" type="int64" count="2"/>
  <vector id="v8bf16" type="bfloat16" count="8"/>
  <union id="vec128">
    <field name="v8_bfloat16" type="v8bf16"/><field name="v4_float" type="v4f"/>
    <field name="v2_double" type="v2d"/><field name="v16_int8" type="v16i8"/>
    <field name="v8_int16" type="v8i16"/><field name="v4_int32" type="v4i32"/>
    <field name="v2_int64" type="v2i64"/><field name="uint128" type="uint128"/>
  </union>
  <vector id="v2ui128" type="uint128" count="2"/>
"#;

fn plain_int(bits: usize) -> &'static str {
    if bits == 32 {
        "int32"
    } else {
        "int64"
    }
}

/// What lldb reads from a register's attributes (gdb ignores them): its
/// role in the ABI (pc, sp, fp, flags, argument registers) and its DWARF
/// number, which for x86 is also its eh_frame number. Numbers from the
/// System V psABI (amd64 and i386).
fn lldb_roles(mode: Mode, name: &str) -> (Option<&'static str>, Option<u32>) {
    const AMD64: &[(&str, Option<&str>, u32)] = &[
        ("rax", None, 0),
        ("rdx", Some("arg3"), 1),
        ("rcx", Some("arg4"), 2),
        ("rbx", None, 3),
        ("rsi", Some("arg2"), 4),
        ("rdi", Some("arg1"), 5),
        ("rbp", Some("fp"), 6),
        ("rsp", Some("sp"), 7),
        ("r8", Some("arg5"), 8),
        ("r9", Some("arg6"), 9),
        ("r10", None, 10),
        ("r11", None, 11),
        ("r12", None, 12),
        ("r13", None, 13),
        ("r14", None, 14),
        ("r15", None, 15),
        ("rip", Some("pc"), 16),
        ("eflags", Some("flags"), 49),
        ("es", None, 50),
        ("cs", None, 51),
        ("ss", None, 52),
        ("ds", None, 53),
        ("fs", None, 54),
        ("gs", None, 55),
        ("fs_base", None, 58),
        ("gs_base", None, 59),
        ("mxcsr", None, 64),
        ("fctrl", None, 65),
        ("fstat", None, 66),
    ];
    const I386: &[(&str, Option<&str>, u32)] = &[
        ("eax", None, 0),
        ("ecx", None, 1),
        ("edx", None, 2),
        ("ebx", None, 3),
        ("esp", Some("sp"), 4),
        ("ebp", Some("fp"), 5),
        ("esi", None, 6),
        ("edi", None, 7),
        ("eip", Some("pc"), 8),
        ("eflags", Some("flags"), 9),
        ("es", None, 40),
        ("cs", None, 41),
        ("ss", None, 42),
        ("ds", None, 43),
        ("fs", None, 44),
        ("gs", None, 45),
        ("mxcsr", None, 39),
    ];
    let (table, xmm_base, st_base) = match mode {
        Mode::Amd64 => (AMD64, 17, 33),
        Mode::I386 => (I386, 21, 11),
    };
    if let Some(&(_, generic, dwarf)) = table.iter().find(|(n, _, _)| *n == name) {
        return (generic, Some(dwarf));
    }
    let numbered = |prefix: &str| name.strip_prefix(prefix)?.parse::<u32>().ok();
    if let Some(i) = numbered("xmm").filter(|&i| i < 16) {
        return (None, Some(xmm_base + i));
    }
    if let Some(i) = numbered("st").filter(|&i| i < 8) {
        return (None, Some(st_base + i));
    }
    (None, None)
}

/// Who reads a target description: lldb shows a `code_ptr` register's
/// symbol twice (once for the type, once for being the pc), so it gets
/// plain integers for the pointer registers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reader {
    Gdb,
    Lldb,
}

/// The target description for `features`: one `<feature>` per GDB feature,
/// registers in layout order with explicit numbers.
pub fn target_description(mode: Mode, features: Features, reader: Reader) -> String {
    let architecture = match mode {
        Mode::Amd64 => "i386:x86-64",
        Mode::I386 => "i386",
    };
    let xml_head = String::from(
        "<?xml version=\"1.0\"?>\n<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n<target version=\"1.0\">\n  <architecture>i386:x86-64</architecture>\n  <osabi>GNU/Linux</osabi>\n",
    );
    let mut xml = xml_head.replace("i386:x86-64", architecture);
    let mut current: Option<Feature> = None;
    for (regnum, desc) in layout(mode, features).iter().enumerate() {
        if current != Some(desc.feature) {
            if current.is_some() {
                xml.push_str("</feature>\n");
            }
            let _ = writeln!(xml, "<feature name=\"{}\">", desc.feature.name());
            match desc.feature {
                Feature::Core => xml.push_str(CORE_TYPES),
                Feature::Sse => xml.push_str(SSE_TYPES),
                Feature::Avx512 => xml.push_str(AVX512_TYPES),
                _ => {}
            }
            current = Some(desc.feature);
        }
        let ty = match (reader, desc.ty) {
            (Reader::Lldb, "code_ptr" | "data_ptr") => plain_int(desc.bits),
            (_, ty) => ty,
        };
        let _ = write!(
            xml,
            "  <reg name=\"{}\" bitsize=\"{}\" type=\"{ty}\" regnum=\"{regnum}\"",
            desc.name, desc.bits
        );
        if let Some(group) = desc.group {
            let _ = write!(xml, " group=\"{group}\"");
        }
        let (generic, dwarf) = lldb_roles(mode, desc.name);
        if mode == Mode::Amd64 && desc.name == "eflags" {
            // lldb's name for it.
            xml.push_str(" altname=\"rflags\"");
        }
        if let Some(generic) = generic {
            let _ = write!(xml, " generic=\"{generic}\"");
        }
        if let Some(dwarf) = dwarf {
            let _ = write!(xml, " dwarf_regnum=\"{dwarf}\" ehframe_regnum=\"{dwarf}\"");
        }
        xml.push_str("/>\n");
    }
    xml.push_str("</feature>\n</target>\n");
    xml
}

#[cfg(test)]
mod tests {
    use super::*;
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

    #[test]
    fn description_numbers_every_register() {
        let xml = target_description(Mode::Amd64, Features::default(), Reader::Gdb);
        assert!(xml.contains("name=\"rip\" bitsize=\"64\" type=\"code_ptr\" regnum=\"16\""));
        assert!(xml.contains("name=\"gs_base\" bitsize=\"64\" type=\"int\" regnum=\"59\""));
        assert_eq!(xml.matches("<feature").count(), 4);
        let lldb = target_description(Mode::Amd64, Features::default(), Reader::Lldb);
        assert!(lldb
            .contains("name=\"rip\" bitsize=\"64\" type=\"int64\" regnum=\"16\" generic=\"pc\""));
        let avx = target_description(
            Mode::Amd64,
            Features {
                avx: true,
                ..Features::default()
            },
            Reader::Gdb,
        );
        assert!(avx.contains("org.gnu.gdb.i386.avx"));
        assert!(avx.contains("name=\"ymm15h\" bitsize=\"128\" type=\"uint128\" regnum=\"75\""));
    }

    /// Every combination of the optional features, none first.
    fn every_feature_set() -> impl Iterator<Item = Features> {
        (0..8u8).map(|bits| Features {
            avx: bits & 1 != 0,
            avx512: bits & 2 != 0,
            pkeys: bits & 4 != 0,
        })
    }

    /// A short label for a combination: "amd64 avx+pkeys", "i386 none".
    fn label(mode: Mode, features: Features) -> String {
        let mode = match mode {
            Mode::Amd64 => "amd64",
            Mode::I386 => "i386",
        };
        let names = [
            (features.avx, "avx"),
            (features.avx512, "avx512"),
            (features.pkeys, "pkeys"),
        ]
        .iter()
        .filter(|(on, _)| *on)
        .map(|(_, name)| *name)
        .collect::<Vec<_>>()
        .join("+");
        let names = if names.is_empty() { "none" } else { &names };
        format!("{mode} {names}")
    }

    /// `actual` against `pinned`, both sections of text each opened by a
    /// line `### <label>`, compared section by section so that a failure
    /// names the combination that changed.
    fn assert_same_sections(actual: &str, pinned: &str) {
        let sections = |text: &str| -> Vec<(String, String)> {
            text.split("### ")
                .skip(1)
                .map(|s| {
                    let (label, body) = s.split_once('\n').unwrap_or((s, ""));
                    (label.to_string(), body.to_string())
                })
                .collect()
        };
        let (actual, pinned) = (sections(actual), sections(pinned));
        for ((label, body), (pinned_label, pinned_body)) in actual.iter().zip(&pinned) {
            assert_eq!(label, pinned_label);
            assert_eq!(body, pinned_body, "{label} differs from the pinned text");
        }
        assert_eq!(actual.len(), pinned.len(), "number of combinations");
    }

    /// The target description of every mode, feature set and reader, as
    /// the code gave it before it was split into modules: a refactor must
    /// not change one byte of what gdb and lldb read.
    #[test]
    fn descriptions_are_the_pinned_ones() {
        let mut actual = String::new();
        for mode in [Mode::Amd64, Mode::I386] {
            for features in every_feature_set() {
                for reader in [Reader::Gdb, Reader::Lldb] {
                    let _ = writeln!(actual, "### {} {reader:?}", label(mode, features));
                    actual.push_str(&target_description(mode, features, reader));
                }
            }
        }
        assert_same_sections(&actual, include_str!("x86_64/testdata/descriptions.txt"));
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
        assert_same_sections(&actual, include_str!("x86_64/testdata/layouts.txt"));
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
