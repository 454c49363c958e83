//! Software breakpoints (Z0/z0).

use super::{map_error, DebugTarget};
use gdbstub::target::ext::breakpoints::{Breakpoints, SwBreakpoint, SwBreakpointOps};
use gdbstub::target::TargetResult;

impl Breakpoints for DebugTarget {
    #[inline(always)]
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for DebugTarget {
    fn add_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.process()?.insert_breakpoint(addr).map_err(map_error)?;
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u64, _kind: usize) -> TargetResult<bool, Self> {
        self.process()?.remove_breakpoint(addr).map_err(map_error)
    }
}
