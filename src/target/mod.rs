//! The gdb adapter: gdbstub's `Target` and its extension traits, one file
//! per trait, over the `inferior` model. Errors from the model are mapped to
//! protocol errors in one place, [`map_error`].

mod auxv;
mod base;
mod breakpoints;
mod extended_mode;
pub mod front;
mod resume;
pub mod signals;

use crate::arch::x86_64::X86_64Linux;
use crate::inferior::tracer::LiveTracer;
use crate::inferior::{self, Process, Report, ResumePlan, StopEvent};
use crate::sys::Tid as OsTid;
use gdbstub::common::Tid;
use gdbstub::stub::MultiThreadStopReason;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError};

/// A debugging session's view of its process.
pub struct DebugTarget {
    pub process: Process<LiveTracer>,
    /// The resume request gdbstub is assembling (vCont actions).
    plan: ResumePlan,
}

impl DebugTarget {
    pub fn new(process: Process<LiveTracer>) -> DebugTarget {
        DebugTarget {
            process,
            plan: ResumePlan::default(),
        }
    }
}

/// Bad addresses and dead threads are the client's business (an `E`
/// reply); only a broken invariant ends the session.
fn map_error(e: inferior::Error) -> TargetError<inferior::Error> {
    use inferior::Error as E;
    match e {
        E::Memory { errno, .. } | E::Sys { errno, .. } => TargetError::Errno(errno as u8),
        E::NoSuchThread(_) | E::NotStopped(_) | E::ProcessRunning | E::Gone => {
            log::debug!("request refused: {e}");
            TargetError::NonFatal
        }
        E::Launch(_) => TargetError::Fatal(e),
    }
}

fn os_tid(tid: Tid) -> OsTid {
    tid.get() as OsTid
}

fn gdb_tid(tid: OsTid) -> Option<Tid> {
    Tid::new(tid as usize)
}

/// A stop of the process as gdbstub reports it.
pub fn stop_reason(report: Report) -> Option<MultiThreadStopReason<u64>> {
    use MultiThreadStopReason as R;
    Some(match report {
        Report::Thread { tid, event } => {
            let tid = gdb_tid(tid)?;
            match event {
                StopEvent::Breakpoint => R::SwBreak(tid),
                StopEvent::Stepped => R::SignalWithThread {
                    tid,
                    signal: gdbstub::common::Signal::SIGTRAP,
                },
                StopEvent::Signal(sig) => R::SignalWithThread {
                    tid,
                    signal: signals::to_gdb(sig),
                },
            }
        }
        Report::Interrupted { tid } => R::SignalWithThread {
            tid: gdb_tid(tid)?,
            signal: gdbstub::common::Signal::SIGINT,
        },
        Report::Exited(code) => R::Exited(code as u8),
        Report::Killed(sig) => R::Terminated(signals::to_gdb(sig)),
    })
}

impl Target for DebugTarget {
    type Arch = X86_64Linux;
    type Error = inferior::Error;

    #[inline(always)]
    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::MultiThread(self)
    }

    #[inline(always)]
    fn support_breakpoints(
        &mut self,
    ) -> Option<gdbstub::target::ext::breakpoints::BreakpointsOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_extended_mode(
        &mut self,
    ) -> Option<gdbstub::target::ext::extended_mode::ExtendedModeOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_auxv(&mut self) -> Option<gdbstub::target::ext::auxv::AuxvOps<'_, Self>> {
        Some(self)
    }

    // Our breakpoints are real int3s in memory: gdb must not insert its own
    // behind our back, so the guard rail stays on.
    fn guard_rail_implicit_sw_breakpoints(&self) -> bool {
        true
    }

    // Memory and register dumps are not repetitive: RLE only costs time.
    fn use_rle(&self) -> bool {
        false
    }
}
