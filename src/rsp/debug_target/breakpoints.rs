//! Breakpoints and watchpoints: software breakpoints (Z0/z0) as `int3`s,
//! hardware breakpoints (Z1) and watchpoints (Z2, Z4) in the debug
//! registers. x86 cannot watch reads alone: Z3 gets the empty reply (our
//! dispatch answers it), and gdb then emulates `rwatch` with an access
//! watchpoint.

use super::{map_error, DebugTarget};
use crate::inferior::debug_registers::HwKind;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, HwBreakpoint, HwBreakpointOps, HwWatchpoint, HwWatchpointOps, SwBreakpoint,
    SwBreakpointOps, WatchKind,
};
use gdbstub::target::TargetResult;

impl Breakpoints for DebugTarget {
    #[inline(always)]
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_hw_breakpoint(&mut self) -> Option<HwBreakpointOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_hw_watchpoint(&mut self) -> Option<HwWatchpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for DebugTarget {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.model()?.insert_breakpoint(addr).map_err(map_error)?;
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.model()?.remove_breakpoint(addr).map_err(map_error)
    }
}

impl HwBreakpoint for DebugTarget {
    fn add_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let process = self.model()?;
        process
            .insert_hardware(addr, 1, HwKind::Execute)
            .map_err(map_error)?;
        Ok(true)
    }

    fn remove_hw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        let process = self.model()?;
        process
            .remove_hardware(addr, 1, HwKind::Execute)
            .map_err(map_error)
    }
}

fn hw_kind(kind: WatchKind) -> Option<HwKind> {
    match kind {
        WatchKind::Write => Some(HwKind::Write),
        WatchKind::ReadWrite => Some(HwKind::Access),
        WatchKind::Read => None,
    }
}

impl HwWatchpoint for DebugTarget {
    fn add_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let Some(kind) = hw_kind(kind) else {
            return Ok(false);
        };
        self.model()?
            .insert_hardware(addr, len, kind)
            .map_err(map_error)?;
        Ok(true)
    }

    fn remove_hw_watchpoint(
        &mut self,
        addr: u64,
        len: u64,
        kind: WatchKind,
    ) -> TargetResult<bool, Self> {
        let Some(kind) = hw_kind(kind) else {
            return Ok(false);
        };
        self.model()?
            .remove_hardware(addr, len, kind)
            .map_err(map_error)
    }
}
