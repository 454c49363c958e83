//! `catch syscall` (QCatchSyscalls): stop at the entry and return of the
//! syscalls the client names, or of all of them.

use super::DebugTarget;
use gdbstub::target::ext::catch_syscalls::{CatchSyscalls, SyscallNumbers};
use gdbstub::target::TargetResult;

impl CatchSyscalls for DebugTarget {
    fn enable_catch_syscalls(
        &mut self,
        filter: Option<SyscallNumbers<'_, u64>>,
    ) -> TargetResult<(), Self> {
        let syscalls = filter.map(|numbers| numbers.collect()).unwrap_or_default();
        self.model()?.set_catch_syscalls(Some(syscalls));
        Ok(())
    }

    fn disable_catch_syscalls(&mut self) -> TargetResult<(), Self> {
        self.model()?.set_catch_syscalls(None);
        Ok(())
    }
}
