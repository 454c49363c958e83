//! The debugging target: the process the server debugs (if any), how it
//! came to debug it, and the session's settings. Both engines act on it:
//! our dispatch through its methods, gdbstub's engine through the target
//! traits it implements (one file per trait here).

mod base;
mod breakpoints;
mod catch_syscalls;
mod extended_mode;
mod host_files;
mod host_io;

use super::codec;
use crate::arch::x86_64::{Mode, X86_64Linux};
use crate::console::say;
use crate::inferior::tracer::LiveTracer;
use crate::inferior::{self, LaunchSettings, Process};
use crate::sys::Tid;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError};
use std::collections::BTreeSet;
use std::ffi::OsString;

use host_files::HostFiles;

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
                    say(&format!("rgdbserver: cannot kill process {pid}: {e}"));
                }
            }
            Origin::Attached => {
                let detached = self
                    .process
                    .stop_all_now()
                    .and_then(|()| self.process.detach());
                match detached {
                    Ok(()) => say(&format!("Detached from process {pid}")),
                    Err(inferior::Error::Gone) => {}
                    Err(e) => say(&format!(
                        "rgdbserver: cannot detach from process {pid}: {e}"
                    )),
                }
            }
        }
    }
}

/// A debugging server's view of its process, if it has one.
pub struct DebugTarget {
    inferior: Option<Inferior>,
    /// Extended remote (`--multi`): programs can be run and attached to,
    /// and the server outlives them.
    pub multi: bool,
    /// How `run` starts programs.
    pub settings: LaunchSettings,
    /// What `run` with no program starts: the last program run (or the
    /// command line's).
    pub last_program: Option<OsString>,
    /// The arguments it was run with, for `R` (restart).
    pub last_args: Vec<OsString>,
    /// `monitor exit` was asked for.
    pub exit_requested: bool,
    /// What `--disable-packet` turned off.
    pub disabled_packets: super::disabled::DisabledPackets,
    /// Files opened through host I/O.
    pub files: HostFiles,
    /// Signals to pass without stopping (QPassSignals), for every process.
    pass_signals: BTreeSet<i32>,
    /// The thread register and memory requests go to (`Hg`, or the last
    /// stop's); `None`: the main thread, as with gdbserver.
    selected: Option<Tid>,
}

impl DebugTarget {
    pub fn new(
        inferior: Option<Inferior>,
        multi: bool,
        settings: LaunchSettings,
        last_program: Option<OsString>,
    ) -> DebugTarget {
        DebugTarget {
            inferior,
            multi,
            settings,
            last_program,
            last_args: Vec::new(),
            exit_requested: false,
            disabled_packets: super::disabled::DisabledPackets::default(),
            files: HostFiles::default(),
            pass_signals: BTreeSet::new(),
            selected: None,
        }
    }

    pub fn inferior(&mut self) -> Option<&mut Inferior> {
        self.inferior.as_mut()
    }

    /// The process, or the refusal a request about no process gets.
    pub fn process(&mut self) -> Result<&mut Process<LiveTracer>, codec::Refusal> {
        match &mut self.inferior {
            Some(inferior) => Ok(&mut inferior.process),
            None => Err(codec::Refusal::NoProcess),
        }
    }

    /// How the current process came to be debugged.
    pub fn origin(&self) -> Option<Origin> {
        self.inferior.as_ref().map(|i| i.origin)
    }

    pub fn pid(&self) -> Option<Tid> {
        self.inferior.as_ref().map(|i| i.process.pid())
    }

    /// The register mode of the current program (32-bit or 64-bit code).
    pub fn mode(&self) -> Mode {
        self.inferior
            .as_ref()
            .map_or(Mode::default(), |i| i.process.mode())
    }

    /// The threads the client can see, in order.
    pub fn thread_ids(&self) -> Vec<Tid> {
        self.inferior
            .as_ref()
            .map(|i| i.process.thread_ids().collect())
            .unwrap_or_default()
    }

    pub fn is_thread(&self, tid: Tid) -> bool {
        self.inferior
            .as_ref()
            .is_some_and(|i| i.process.thread_state(tid).is_some())
    }

    /// The thread register and memory requests go to.
    pub fn selected_thread(&self) -> Option<Tid> {
        self.selected.or_else(|| self.pid())
    }

    pub fn select_thread(&mut self, tid: Option<Tid>) {
        self.selected = tid;
    }

    /// Forget a process that is gone (exited, killed, detached).
    pub fn drop_finished(&mut self) {
        if self.inferior.as_ref().is_some_and(|i| i.process.is_gone()) {
            self.inferior = None;
            self.selected = None;
        }
    }

    /// Let go of the process, if any, the way its origin says.
    pub fn leave(&mut self) {
        if let Some(mut inferior) = self.inferior.take() {
            inferior.leave();
        }
        self.selected = None;
    }

    /// The signals to pass to the program without a stop (QPassSignals).
    pub fn set_pass_signals(&mut self, signals: BTreeSet<i32>) {
        if let Some(inferior) = self.inferior() {
            inferior.process.set_pass_signals(signals.clone());
        }
        self.pass_signals = signals;
    }

    /// `run`: start `program` (the last one run if empty) with `args`; the
    /// process it replaces, if any, is left as its origin says.
    pub fn run(&mut self, program: Option<OsString>, args: Vec<OsString>) -> Result<Tid, String> {
        self.refuse_unless_multi("run")?;
        // No program named: the last one run (or the command line's), as
        // gdbserver does; the arguments are always the new ones.
        let program = program
            .filter(|p| !p.is_empty())
            .or_else(|| self.last_program.clone())
            .ok_or("run: no program given (use `set remote exec-file` in gdb)")?;
        let process =
            inferior::launch(&program, &args, &self.settings).map_err(|e| e.to_string())?;
        self.last_program = Some(program.clone());
        self.last_args = args;
        let pid = process.pid();
        say(&format!(
            "Process {} created; pid = {pid}",
            program.to_string_lossy()
        ));
        self.replace(Inferior {
            process,
            origin: Origin::Launched,
        });
        Ok(pid)
    }

    /// `R`: run the last program again, with its arguments.
    pub fn restart(&mut self) -> Result<Tid, String> {
        say("rgdbserver restarting");
        let args = self.last_args.clone();
        self.run(None, args)
    }

    /// `attach PID`; the process it replaces, if any, is left as its origin says.
    pub fn attach(&mut self, pid: Tid) -> Result<(), String> {
        self.refuse_unless_multi("attach")?;
        let process = inferior::attach(pid).map_err(|e| e.to_string())?;
        say(&format!("Attached; pid = {pid}"));
        self.replace(Inferior {
            process,
            origin: Origin::Attached,
        });
        Ok(())
    }

    /// `k`: kill the process, if any.
    pub fn kill(&mut self) -> Result<(), inferior::Error> {
        if let Some(inferior) = self.inferior() {
            inferior.process.kill()?;
        }
        self.drop_finished();
        Ok(())
    }

    /// The client's `D`: let the program go on without us.
    pub fn detach(&mut self) {
        let Some(inferior) = self.inferior() else {
            return;
        };
        let pid = inferior.process.pid();
        say(&format!("Detaching from process {pid}"));
        if let Err(e) = inferior.process.detach() {
            say(&format!(
                "rgdbserver: detach from {pid} failed ({e}); letting go of it"
            ));
            inferior.leave();
        }
        self.drop_finished();
    }

    fn refuse_unless_multi(&self, what: &str) -> Result<(), String> {
        if self.multi {
            Ok(())
        } else {
            Err(format!(
                "{what} needs extended-remote: start the server with --multi"
            ))
        }
    }

    fn replace(&mut self, mut inferior: Inferior) {
        self.leave();
        inferior.process.set_pass_signals(self.pass_signals.clone());
        self.inferior = Some(inferior);
    }
}

impl DebugTarget {
    /// The process, for gdbstub's engine (which replies `E01` without one).
    fn model(&mut self) -> Result<&mut Process<LiveTracer>, TargetError<inferior::Error>> {
        self.process()
            .map_err(|_| TargetError::Errno(codec::error_code(&inferior::Error::Gone)))
    }
}

/// A model error as gdbstub's engine replies it: the code comes from the
/// one table in codec; the ones a user should see are said on stderr too.
fn map_error(e: inferior::Error) -> TargetError<inferior::Error> {
    use inferior::Error as E;
    match &e {
        E::Hardware(_) | E::Launch(_) => say(&format!("rgdbserver: {e}")),
        _ => log::debug!("request refused: {e}"),
    }
    TargetError::Errno(codec::error_code(&e))
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
    fn support_host_io(&mut self) -> Option<gdbstub::target::ext::host_io::HostIoOps<'_, Self>> {
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

    // Replies are short: RLE only costs time.
    fn use_rle(&self) -> bool {
        false
    }

    // Resumes are ours: gdbstub must not answer one with a stop of its own.
    fn use_resume_stub(&self) -> bool {
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
