//! Registers, memory and the thread list.

use super::{gdb_tid, map_error, os_tid, DebugTarget};
use crate::arch::x86_64::{RegNum, Registers};
use gdbstub::common::Tid;
use gdbstub::target::ext::base::multithread::{MultiThreadBase, MultiThreadResumeOps};
use gdbstub::target::ext::base::single_register_access::{
    SingleRegisterAccess, SingleRegisterAccessOps,
};
use gdbstub::target::{TargetError, TargetResult};

impl MultiThreadBase for DebugTarget {
    fn read_registers(&mut self, regs: &mut Registers, tid: Tid) -> TargetResult<(), Self> {
        *regs = self
            .process()?
            .read_registers(os_tid(tid))
            .map_err(map_error)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &Registers, tid: Tid) -> TargetResult<(), Self> {
        self.process()?
            .write_registers(os_tid(tid), regs)
            .map_err(map_error)
    }

    fn read_addrs(
        &mut self,
        start_addr: u64,
        data: &mut [u8],
        _tid: Tid,
    ) -> TargetResult<usize, Self> {
        match self
            .process()?
            .read_memory(start_addr, data)
            .map_err(map_error)?
        {
            0 if !data.is_empty() => Err(TargetError::Errno(libc::EFAULT as u8)),
            n => Ok(n),
        }
    }

    fn write_addrs(&mut self, start_addr: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        self.process()?
            .write_memory(start_addr, data)
            .map_err(map_error)
    }

    fn list_active_threads(
        &mut self,
        thread_is_active: &mut dyn FnMut(Tid),
    ) -> Result<(), Self::Error> {
        if let Some(inferior) = self.inferior() {
            for tid in inferior.process.thread_ids().filter_map(gdb_tid) {
                thread_is_active(tid);
            }
        }
        Ok(())
    }

    fn is_thread_alive(&mut self, tid: Tid) -> Result<bool, Self::Error> {
        let tid = os_tid(tid);
        Ok(self
            .inferior()
            .is_some_and(|i| i.process.thread_state(tid).is_some()))
    }

    #[inline(always)]
    fn support_resume(&mut self) -> Option<MultiThreadResumeOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_single_register_access(&mut self) -> Option<SingleRegisterAccessOps<'_, Tid, Self>> {
        Some(self)
    }
}

impl SingleRegisterAccess<Tid> for DebugTarget {
    fn read_register(
        &mut self,
        tid: Tid,
        reg: RegNum,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let regs = self
            .process()?
            .read_registers(os_tid(tid))
            .map_err(map_error)?;
        let mut bytes = Vec::with_capacity(16);
        regs.read(reg.0, &mut bytes).ok_or(TargetError::NonFatal)?;
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }

    fn write_register(&mut self, tid: Tid, reg: RegNum, val: &[u8]) -> TargetResult<(), Self> {
        let tid = os_tid(tid);
        let mut regs = self.process()?.read_registers(tid).map_err(map_error)?;
        regs.write(reg.0, val).ok_or(TargetError::NonFatal)?;
        if regs.is_pc(reg.0) {
            // A pc moved alone (a function call by lldb): no syscall restart there.
            regs.cancel_syscall_restart();
        }
        self.process()?
            .write_registers(tid, &regs)
            .map_err(map_error)
    }
}
