//! qXfer:auxv:read: gdb finds a PIE program's load address from AT_ENTRY.

use super::DebugTarget;
use crate::sys::procfs;
use gdbstub::target::ext::auxv::Auxv;
use gdbstub::target::{TargetError, TargetResult};

impl Auxv for DebugTarget {
    fn get_auxv(&self, offset: u64, length: usize, buf: &mut [u8]) -> TargetResult<usize, Self> {
        let pid = self
            .inferior
            .as_ref()
            .map(|i| i.process.pid())
            .ok_or(TargetError::NonFatal)?;
        let auxv = procfs::auxv(pid).map_err(|_| TargetError::NonFatal)?;
        let start = (offset as usize).min(auxv.len());
        let n = (auxv.len() - start).min(length).min(buf.len());
        buf[..n].copy_from_slice(&auxv[start..start + n]);
        Ok(n)
    }
}
