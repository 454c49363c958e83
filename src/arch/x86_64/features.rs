//! What this CPU and kernel save of the extended register state: the
//! optional features (AVX, AVX-512, protection keys) from XCR0, and where
//! CPUID leaf 0xD puts each XSAVE state component.

use std::sync::OnceLock;

/// The GDB feature a register belongs to (`org.gnu.gdb.i386.*`).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Feature {
    Core,
    Sse,
    Linux,
    Segments,
    Avx,
    Avx512,
    Pkeys,
}

impl Feature {
    pub(super) fn name(self) -> &'static str {
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

/// The optional register features, from XCR0 (which state the OS saves).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Features {
    pub avx: bool,
    pub avx512: bool,
    pub pkeys: bool,
}

impl Features {
    pub fn from_xcr0(xcr0: u64) -> Features {
        let saved = |component: usize| xcr0 & (1 << component) != 0;
        Features {
            avx: saved(YMM_HI128),
            avx512: saved(OPMASK) && saved(ZMM_HI256) && saved(HI16_ZMM),
            pkeys: saved(PKRU),
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

    pub(super) fn has(self, feature: Feature) -> bool {
        match feature {
            Feature::Core | Feature::Sse | Feature::Linux | Feature::Segments => true,
            Feature::Avx => self.avx,
            Feature::Avx512 => self.avx512,
            Feature::Pkeys => self.pkeys,
        }
    }

    pub(super) fn any_xsave(self) -> bool {
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
pub(super) fn component_offset(component: usize) -> usize {
    static OFFSETS: OnceLock<[usize; 10]> = OnceLock::new();
    OFFSETS.get_or_init(|| {
        let mut offsets = [0usize; 10];
        for (i, offset) in offsets.iter_mut().enumerate().skip(2) {
            *offset = std::arch::x86_64::__cpuid_count(0xd, i as u32).ebx as usize;
        }
        offsets
    })[component]
}

/// Bytes of XSAVE state component `component`, from CPUID leaf 0xD.
pub(super) fn component_size(component: usize) -> usize {
    std::arch::x86_64::__cpuid_count(0xd, component as u32).eax as usize
}

/// Bytes of the XSAVE area for the state XCR0 enables.
pub fn xsave_size() -> usize {
    static SIZE: OnceLock<usize> = OnceLock::new();
    *SIZE.get_or_init(|| {
        let size = std::arch::x86_64::__cpuid_count(0xd, 0).ebx as usize;
        size.max(FXSAVE_SIZE + XSAVE_HEADER_SIZE)
    })
}

/// The XSAVE state components (bits of XCR0 and XSTATE_BV) that hold the
/// registers of the optional features.
pub(super) const YMM_HI128: usize = 2;
pub(super) const OPMASK: usize = 5;
pub(super) const ZMM_HI256: usize = 6;
pub(super) const HI16_ZMM: usize = 7;
pub(super) const PKRU: usize = 9;

pub(super) const FXSAVE_SIZE: usize = 512;
pub(super) const XSAVE_HEADER_SIZE: usize = 64;
/// XSTATE_BV, in the XSAVE header: which components hold state.
pub(super) const XSTATE_BV: usize = FXSAVE_SIZE;
/// Where the kernel puts XCR0 in the FXSAVE area's software-reserved bytes.
pub(super) const SW_XCR0: usize = 464;
