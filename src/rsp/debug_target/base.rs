//! gdbstub's base trait: registers, memory and the thread list. Our
//! dispatch serves those packets (`g`, `G`, `m`, `M`, `qfThreadInfo`...), so
//! gdbstub's engine never calls these; they are the trait's contract,
//! kept as thin calls into the model.

use super::{map_error, DebugTarget};
use crate::arch::x86_64::Registers;
use gdbstub::common::Tid;
use gdbstub::target::ext::base::multithread::MultiThreadBase;
use gdbstub::target::TargetResult;

fn os_tid(tid: Tid) -> crate::sys::Tid {
    tid.get() as crate::sys::Tid
}

impl MultiThreadBase for DebugTarget {
    fn read_registers(&mut self, regs: &mut Registers, tid: Tid) -> TargetResult<(), Self> {
        *regs = self
            .model()?
            .read_registers(os_tid(tid))
            .map_err(map_error)?;
        Ok(())
    }

    fn write_registers(&mut self, regs: &Registers, tid: Tid) -> TargetResult<(), Self> {
        self.model()?
            .write_registers(os_tid(tid), regs)
            .map_err(map_error)
    }

    fn read_addrs(
        &mut self,
        start_addr: u64,
        data: &mut [u8],
        _tid: Tid,
    ) -> TargetResult<usize, Self> {
        self.model()?
            .read_memory(start_addr, data)
            .map_err(map_error)
    }

    fn write_addrs(&mut self, start_addr: u64, data: &[u8], _tid: Tid) -> TargetResult<(), Self> {
        self.model()?
            .write_memory(start_addr, data)
            .map_err(map_error)
    }

    fn list_active_threads(
        &mut self,
        thread_is_active: &mut dyn FnMut(Tid),
    ) -> Result<(), Self::Error> {
        for (_, tid) in self.threads() {
            if let Some(tid) = Tid::new(tid as usize) {
                thread_is_active(tid);
            }
        }
        Ok(())
    }
}
