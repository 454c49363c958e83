//! The gdb adapter: gdbstub's `Target` and its extension traits, one file
//! per trait, over the `inferior` model. Errors from the model are mapped to
//! protocol errors in one place, [`map_error`].

mod base;
mod breakpoints;
mod catch_syscalls;
pub mod description;
mod extended_mode;
pub mod front;
mod host_io;
mod lldb;
mod monitor;
mod program_files;
mod resume;
pub mod signals;

use crate::arch::x86_64::{current_mode, frame_regnums, RegNum, X86_64Linux};
use crate::inferior::debug_registers::HwKind;
use crate::inferior::tracer::LiveTracer;
use crate::inferior::{self, LaunchSpec, Process, Report, ResumePlan, StopEvent};
use crate::sys::Tid as OsTid;
use crate::target::front::Dialect;
use gdbstub::common::Tid;
use gdbstub::stub::MultiThreadStopReason;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::WatchKind;
use gdbstub::target::ext::catch_syscalls::CatchSyscallPosition;
use gdbstub::target::{Target, TargetError, TargetResult};
use std::ffi::OsString;
use std::path::PathBuf;

/// How we came to debug a process, which decides how we leave it: a
/// program we launched is killed, one we attached to is detached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Launched,
    Attached,
}

pub struct Inferior {
    pub process: Process<LiveTracer>,
    pub origin: Origin,
}

impl Inferior {
    /// Let go of the process the way its origin says, from any state.
    pub fn leave(&mut self) {
        let pid = self.process.pid();
        match self.origin {
            Origin::Launched => {
                if let Err(e) = self.process.kill() {
                    crate::server::say(&format!("rgdbserver: cannot kill process {pid}: {e}"));
                }
            }
            Origin::Attached => {
                let detached = self
                    .process
                    .stop_all_now()
                    .and_then(|()| self.process.detach());
                match detached {
                    Ok(()) => crate::server::say(&format!("Detached from process {pid}")),
                    Err(inferior::Error::Gone) => {}
                    Err(e) => crate::server::say(&format!(
                        "rgdbserver: cannot detach from process {pid}: {e}"
                    )),
                }
            }
        }
    }
}

/// How `run` (vRun) starts programs: gdb's `set environment`, `set cwd`,
/// `set startup-with-shell`, `set disable-randomization`, and `--wrapper`.
#[derive(Debug, Clone)]
pub struct LaunchSettings {
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<PathBuf>,
    pub startup_with_shell: bool,
    pub disable_randomization: bool,
    pub wrapper: Vec<OsString>,
    /// The protocol runs over our stdin/stdout: the program must not touch them.
    pub program_output_to_stderr: bool,
    /// What `run` with no program starts: the last program run.
    pub last_program: Option<OsString>,
}

impl LaunchSettings {
    pub fn spec(&self, program: OsString, args: Vec<OsString>) -> LaunchSpec {
        LaunchSpec {
            program,
            args,
            env: self.env.clone(),
            cwd: self.cwd.clone(),
            startup_with_shell: self.startup_with_shell,
            disable_randomization: self.disable_randomization,
            wrapper: self.wrapper.clone(),
            program_output_to_stderr: self.program_output_to_stderr,
        }
    }
}

/// A debugging server's view of its process, if it has one.
pub struct DebugTarget {
    inferior: Option<Inferior>,
    /// Extended remote (`--multi`): programs can be run and attached to,
    /// and the server outlives them.
    pub multi: bool,
    pub settings: LaunchSettings,
    /// The resume request gdbstub is assembling (vCont actions).
    plan: ResumePlan,
    /// `monitor exit` was asked for.
    pub exit_requested: bool,
    /// Files opened through host I/O.
    files: host_io::HostFiles,
    /// Signals to pass without stopping (QPassSignals), for every process.
    pub pass_signals: std::collections::BTreeSet<i32>,
}

impl DebugTarget {
    pub fn new(inferior: Option<Inferior>, multi: bool, settings: LaunchSettings) -> DebugTarget {
        DebugTarget {
            inferior,
            multi,
            settings,
            plan: ResumePlan::default(),
            exit_requested: false,
            files: host_io::HostFiles::default(),
            pass_signals: Default::default(),
        }
    }

    pub fn inferior(&mut self) -> Option<&mut Inferior> {
        self.inferior.as_mut()
    }

    /// The process, or the error a request about no process gets.
    pub fn process(&mut self) -> TargetResult<&mut Process<LiveTracer>, Self> {
        match &mut self.inferior {
            Some(inferior) => Ok(&mut inferior.process),
            None => Err(TargetError::NonFatal),
        }
    }

    /// Forget a process that is gone (exited, killed, detached).
    pub fn drop_finished(&mut self) {
        if self.inferior.as_ref().is_some_and(|i| i.process.is_gone()) {
            self.inferior = None;
        }
    }

    /// Let go of the process, if any, the way its origin says.
    pub fn leave(&mut self) {
        if let Some(mut inferior) = self.inferior.take() {
            inferior.leave();
        }
    }

    fn replace(&mut self, mut inferior: Inferior) {
        self.leave();
        inferior.process.set_pass_signals(self.pass_signals.clone());
        self.inferior = Some(inferior);
    }
}

impl DebugTarget {
    /// The frame pointer, stack pointer and pc of the thread a stop names,
    /// as (GDB register number, bytes), for the stop reply.
    pub fn expedited_registers(&mut self, report: Report) -> Vec<(RegNum, Vec<u8>)> {
        let (Report::Thread { tid, .. } | Report::Interrupted { tid }) = report else {
            return Vec::new();
        };
        let Some(Ok(values)) = self.inferior().map(|i| i.process.frame_registers(tid)) else {
            return Vec::new();
        };
        frame_regnums(current_mode())
            .iter()
            .zip(values)
            .map(|(&(regnum, size), value)| (RegNum(regnum), value.to_le_bytes()[..size].to_vec()))
            .collect()
    }
}

/// Bad addresses and dead threads are the client's business (an `E`
/// reply); only a broken invariant ends the session.
fn map_error(e: inferior::Error) -> TargetError<inferior::Error> {
    use inferior::Error as E;
    match e {
        E::Memory { errno, .. } | E::Sys { errno, .. } => TargetError::Errno(errno as u8),
        E::NoSuchThread(_) | E::NotStopped(_) | E::ProcessRunning | E::NotRunning | E::Gone => {
            log::debug!("request refused: {e}");
            TargetError::NonFatal
        }
        E::Hardware(_) => {
            crate::server::say(&format!("rgdbserver: {e}"));
            TargetError::NonFatal
        }
        E::Launch(msg) => {
            crate::server::say(&format!("rgdbserver: {msg}"));
            TargetError::NonFatal
        }
    }
}

fn os_tid(tid: Tid) -> OsTid {
    tid.get() as OsTid
}

fn gdb_tid(tid: OsTid) -> Option<Tid> {
    Tid::new(tid as usize)
}

/// A stop of the process as gdbstub reports it, in the client's words.
pub fn stop_reason(report: Report, dialect: Dialect) -> Option<MultiThreadStopReason<u64>> {
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
                StopEvent::HwBreakpoint => R::HwBreak(tid),
                StopEvent::Syscall { entry, number } => R::CatchSyscall {
                    tid: Some(tid),
                    number,
                    position: if entry {
                        CatchSyscallPosition::Entry
                    } else {
                        CatchSyscallPosition::Return
                    },
                },
                StopEvent::Watchpoint { kind, addr } => R::Watch {
                    tid,
                    kind: match kind {
                        HwKind::Write => WatchKind::Write,
                        _ => WatchKind::ReadWrite,
                    },
                    addr,
                },
                // For a client without exec events: a trap in the new program.
                StopEvent::Exec => R::SignalWithThread {
                    tid,
                    signal: gdbstub::common::Signal::SIGTRAP,
                },
            }
        }
        Report::Interrupted { tid } => R::SignalWithThread {
            tid: gdb_tid(tid)?,
            signal: interrupt_signal(dialect),
        },
        Report::Exited(code) => R::Exited(code as u8),
        Report::Killed(sig) => R::Terminated(signals::to_gdb(sig)),
    })
}

/// The signal an interrupt (Ctrl-C) is reported with: SIGINT for gdb, as
/// gdbserver does; SIGSTOP for lldb, as lldb-server does, which lldb does
/// not pass back to the program when it resumes it.
pub fn interrupt_signal(dialect: Dialect) -> gdbstub::common::Signal {
    match dialect {
        Dialect::Gdb => gdbstub::common::Signal::SIGINT,
        Dialect::Lldb => signals::to_gdb(libc::SIGSTOP),
    }
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
    fn support_monitor_cmd(
        &mut self,
    ) -> Option<gdbstub::target::ext::monitor_cmd::MonitorCmdOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_host_io(&mut self) -> Option<gdbstub::target::ext::host_io::HostIoOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_target_description_xml_override(
        &mut self,
    ) -> Option<
        gdbstub::target::ext::target_description_xml_override::TargetDescriptionXmlOverrideOps<
            '_,
            Self,
        >,
    > {
        Some(self)
    }

    #[inline(always)]
    fn support_catch_syscalls(
        &mut self,
    ) -> Option<gdbstub::target::ext::catch_syscalls::CatchSyscallsOps<'_, Self>> {
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

    // Forked children are released by the server (gdb's default follow-fork
    // parent, detach-on-fork), so gdb is never told of forks.
    fn use_fork_stop_reason(&self) -> bool {
        false
    }

    fn use_vfork_stop_reason(&self) -> bool {
        false
    }

    fn use_vforkdone_stop_reason(&self) -> bool {
        false
    }
}
