//! The extended-remote hooks gdbstub routes some plain-remote packets
//! through too: the real process id (instead of a fake one), whether the
//! process was launched or attached (`qAttached`: gdb kills a launched
//! program when it quits, and detaches from an attached one), and `vKill`.

use super::{map_error, DebugTarget};
use gdbstub::common::Pid;
use gdbstub::target::ext::extended_mode::{
    Args, AttachKind, CurrentActivePid, CurrentActivePidOps, ExtendedMode, ShouldTerminate,
};
use gdbstub::target::{TargetError, TargetResult};

impl ExtendedMode for DebugTarget {
    fn run(&mut self, _filename: Option<&[u8]>, _args: Args<'_, '_>) -> TargetResult<Pid, Self> {
        log::warn!("vRun refused: this server debugs the one program it started");
        Err(TargetError::NonFatal)
    }

    fn attach(&mut self, _pid: Pid) -> TargetResult<(), Self> {
        log::warn!("vAttach refused: this server debugs the one program it started");
        Err(TargetError::NonFatal)
    }

    fn query_if_attached(&mut self, _pid: Pid) -> TargetResult<AttachKind, Self> {
        Ok(AttachKind::Run)
    }

    fn kill(&mut self, _pid: Option<Pid>) -> TargetResult<ShouldTerminate, Self> {
        self.process.kill().map_err(map_error)?;
        Ok(ShouldTerminate::Yes)
    }

    fn restart(&mut self) -> Result<(), Self::Error> {
        log::warn!("restart (R) is not supported; ignored");
        Ok(())
    }

    #[inline(always)]
    fn support_current_active_pid(&mut self) -> Option<CurrentActivePidOps<'_, Self>> {
        Some(self)
    }
}

impl CurrentActivePid for DebugTarget {
    fn current_active_pid(&mut self) -> Result<Pid, Self::Error> {
        Pid::new(self.process.pid() as usize).ok_or(crate::inferior::Error::Gone)
    }
}
