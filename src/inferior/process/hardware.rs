//! Hardware breakpoints and watchpoints: one set of debug registers for the
//! whole process, loaded into every stopped thread (all or none) and into
//! each new thread at its first stop, since a clone does not inherit them;
//! and, at a SIGTRAP, which of them fired.

use super::events::TRAP_HWBKPT;
use super::Process;
use crate::inferior::debug_registers::{DebugRegisters, HwKind};
use crate::inferior::thread::{StopEvent, ThreadState};
use crate::inferior::tracer::Tracer;
use crate::inferior::Error;
use crate::sys::{Errno, Tid};

impl<T: Tracer> Process<T> {
    /// Set a hardware breakpoint (`Execute`) or watchpoint in every thread.
    pub fn insert_hardware(&mut self, addr: u64, len: u64, kind: HwKind) -> Result<(), Error> {
        let mut wanted = self.debug_registers.clone();
        wanted.insert(addr, len, kind).map_err(Error::Hardware)?;
        self.with_threads_paused(|p| p.load_debug_registers(wanted))
    }

    /// Remove one; `false` if there was none like it.
    pub fn remove_hardware(&mut self, addr: u64, len: u64, kind: HwKind) -> Result<bool, Error> {
        let mut wanted = self.debug_registers.clone();
        if !wanted.remove(addr, len, kind) {
            return Ok(false);
        }
        self.with_threads_paused(|p| p.load_debug_registers(wanted))
            .map(|()| true)
    }

    /// Debug registers can be set only in stopped threads: in non-stop the
    /// running ones are paused for it.
    fn with_threads_paused(
        &mut self,
        work: impl FnOnce(&mut Self) -> Result<(), Error>,
    ) -> Result<(), Error> {
        if !self.non_stop || !self.has_running_threads() {
            return work(self);
        }
        let paused = self.pause()?;
        let done = work(self);
        self.unpause(paused)?;
        done
    }

    /// Put `wanted` in every stopped thread (threads still starting get it
    /// at their first stop); on failure, every thread keeps the old set.
    fn load_debug_registers(&mut self, wanted: DebugRegisters) -> Result<(), Error> {
        let stopped: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| matches!(t.state(), ThreadState::Stopped(_)))
            .map(|t| t.tid)
            .collect();
        for (i, &tid) in stopped.iter().enumerate() {
            match self
                .tracer
                .set_debug_registers(tid, wanted.addresses(), wanted.control())
            {
                Ok(()) | Err(Errno::ESRCH) => {}
                Err(errno) => {
                    let old = &self.debug_registers;
                    for &done in &stopped[..i] {
                        let _ =
                            self.tracer
                                .set_debug_registers(done, old.addresses(), old.control());
                    }
                    return Err(Error::Sys {
                        what: "setting debug registers",
                        tid,
                        errno,
                    });
                }
            }
        }
        self.debug_registers = wanted;
        Ok(())
    }

    /// A new thread's first stop: give it the process's debug registers.
    pub(super) fn load_debug_registers_into(&mut self, tid: Tid) {
        if self.debug_registers.is_empty() {
            return;
        }
        let dr = &self.debug_registers;
        let loaded = self
            .tracer
            .set_debug_registers(tid, dr.addresses(), dr.control());
        if let Err(errno) = loaded {
            log::warn!("thread {tid}: cannot load debug registers: {errno}");
        }
    }

    /// The hardware breakpoint or watchpoint behind a SIGTRAP with `code`,
    /// if one fired: DR6 says which slot (a single-step may also land on a
    /// watched write).
    pub(super) fn hardware_trap(
        &mut self,
        tid: Tid,
        code: i32,
        stepping: bool,
    ) -> Option<StopEvent> {
        if self.debug_registers.is_empty() || (code != TRAP_HWBKPT && !stepping) {
            return None;
        }
        let dr6 = self.tracer.take_debug_status(tid).ok()?;
        match self.debug_registers.hit(dr6)? {
            (_, HwKind::Execute) => Some(StopEvent::HwBreakpoint),
            (addr, kind) => Some(StopEvent::Watchpoint { kind, addr }),
        }
    }
}
