//! The debugging target: the processes the server debugs, and the
//! session's settings. Both engines act on it: our dispatch through its
//! methods, gdbstub's engine through the target traits it implements (one
//! file per trait here), on the process of the selected thread.

mod base;
mod catch_syscalls;
mod extended_mode;
mod host_files;
mod host_io;

use super::codec;
use crate::arch::x86_64::{Mode, X86_64Linux};
use crate::console::say;
use crate::inferior::tracer::{LiveTracer, LiveWaiter};
use crate::inferior::{self, Inferiors, LaunchSettings, Origin, Process};
use crate::sys::Tid;
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::{Target, TargetError};
use std::collections::BTreeSet;
use std::ffi::OsString;

use host_files::HostFiles;

/// What the server debugs, as a whole.
pub type Processes = Inferiors<LiveTracer, LiveWaiter>;

pub struct DebugTarget {
    pub processes: Processes,
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
    /// The thread register and memory requests go to (`Hg`, or the last
    /// stop's), and so its process; `None`: the first process's main
    /// thread, as with gdbserver.
    selected: Option<Tid>,
}

impl DebugTarget {
    pub fn new(
        processes: Processes,
        multi: bool,
        settings: LaunchSettings,
        last_program: Option<OsString>,
    ) -> DebugTarget {
        DebugTarget {
            processes,
            multi,
            settings,
            last_program,
            last_args: Vec::new(),
            exit_requested: false,
            disabled_packets: super::disabled::DisabledPackets::default(),
            files: HostFiles::default(),
            selected: None,
        }
    }

    /// The process requests go to: the selected thread's, else the first.
    pub fn pid(&self) -> Option<Tid> {
        self.selected
            .and_then(|tid| self.processes.process_of(tid))
            .or_else(|| self.processes.pids().first().copied())
    }

    /// That process, or the refusal a request about no process gets.
    pub fn process(&mut self) -> Result<&mut Process<LiveTracer>, codec::Refusal> {
        let pid = self.pid().ok_or(codec::Refusal::NoProcess)?;
        self.process_by_pid(pid)
    }

    pub fn process_by_pid(&mut self, pid: Tid) -> Result<&mut Process<LiveTracer>, codec::Refusal> {
        match self.processes.get_mut(pid) {
            Some(inferior) => Ok(&mut inferior.process),
            None => Err(codec::Refusal::NoProcess),
        }
    }

    /// The process thread `tid` belongs to.
    pub fn process_of_thread(
        &mut self,
        tid: Tid,
    ) -> Result<&mut Process<LiveTracer>, codec::Refusal> {
        let pid = self
            .processes
            .process_of(tid)
            .ok_or(codec::Refusal::Failed)?;
        self.process_by_pid(pid)
    }

    /// How process `pid` came to be debugged.
    pub fn origin(&self, pid: Tid) -> Option<Origin> {
        self.processes.get(pid).map(|i| i.origin)
    }

    /// The register mode of the current program (32-bit or 64-bit code).
    pub fn mode(&self) -> Mode {
        self.pid()
            .and_then(|pid| self.processes.get(pid))
            .map_or(Mode::default(), |i| i.process.mode())
    }

    /// Every thread the client can see, as (process, thread), in order.
    pub fn threads(&self) -> Vec<(Tid, Tid)> {
        let mut threads = Vec::new();
        for pid in self.processes.pids() {
            threads.extend(
                self.processes
                    .threads_of(pid)
                    .into_iter()
                    .map(|tid| (pid, tid)),
            );
        }
        threads
    }

    pub fn is_thread(&self, tid: Tid) -> bool {
        self.processes.process_of(tid).is_some()
    }

    /// The thread register and memory requests go to.
    pub fn selected_thread(&self) -> Option<Tid> {
        self.selected
            .filter(|&tid| self.is_thread(tid))
            .or_else(|| self.pid())
    }

    pub fn select_thread(&mut self, tid: Option<Tid>) {
        self.selected = tid;
    }

    /// Forget the processes that are gone and whose end was told.
    pub fn drop_finished(&mut self) {
        self.processes.drop_finished();
    }

    /// Let go of every process the way its origin says.
    pub fn leave(&mut self) {
        self.processes.leave_all();
        self.selected = None;
    }

    /// The signals to pass to the programs without a stop (QPassSignals).
    pub fn set_pass_signals(&mut self, signals: BTreeSet<i32>) {
        self.processes.set_pass_signals(signals);
    }

    /// `run`: start `program` (the last one run if empty) with `args`. With
    /// `alongside`, next to the processes there are; without (a client that
    /// knows one process only), in place of them.
    pub fn run(
        &mut self,
        program: Option<OsString>,
        args: Vec<OsString>,
        alongside: bool,
    ) -> Result<Tid, String> {
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
        if !alongside {
            self.leave();
        }
        self.processes.add(process, Origin::Launched);
        Ok(pid)
    }

    /// `R`: run the last program again, with its arguments, in place of
    /// the processes there are.
    pub fn restart(&mut self) -> Result<Tid, String> {
        say("rgdbserver restarting");
        let args = self.last_args.clone();
        self.run(None, args, false)
    }

    /// `attach PID`, alongside the processes there are or in place of them.
    pub fn attach(&mut self, pid: Tid, alongside: bool) -> Result<(), String> {
        self.refuse_unless_multi("attach")?;
        if self.processes.get(pid).is_some() {
            return Err(format!("already debugging process {pid}"));
        }
        let process = inferior::attach(pid).map_err(|e| e.to_string())?;
        say(&format!("Attached; pid = {pid}"));
        if !alongside {
            self.leave();
        }
        self.processes.add(process, Origin::Attached);
        Ok(())
    }

    /// Kill process `pid`, or every process.
    pub fn kill(&mut self, pid: Option<Tid>) -> Result<(), inferior::Error> {
        let pids = match pid {
            Some(pid) => vec![pid],
            None => self.processes.pids(),
        };
        for pid in pids {
            self.processes.kill(pid)?;
        }
        Ok(())
    }

    /// The client's `D`: let process `pid` (or every process) go on
    /// without us.
    pub fn detach(&mut self, pid: Option<Tid>) -> Result<(), inferior::Error> {
        let pids = match pid {
            Some(pid) => vec![pid],
            None => self.processes.pids(),
        };
        for pid in pids {
            say(&format!("Detaching from process {pid}"));
            if let Err(e) = self.processes.detach(pid) {
                say(&format!(
                    "rgdbserver: detach from {pid} failed ({e}); letting go of it"
                ));
                return Err(e);
            }
        }
        Ok(())
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

    /// The current process, for gdbstub's engine (which replies `E01`
    /// without one).
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

    // Breakpoints (`Z`, `z`) are our dispatch's, never gdbstub's engine's:
    // this tells its start-up check that no breakpoint support is meant.
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
