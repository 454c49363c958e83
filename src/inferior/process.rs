//! A traced process: its threads, all-stop, breakpoints and memory.
//!
//! The process moves between run states ([`RunState`]) as the client
//! resumes it and as wait statuses come in. The rule of all-stop: when a
//! thread stops for a reason the client must hear of, every other thread is
//! stopped before the stop is reported. Stops that arrive meanwhile are kept
//! as pending and reported, one per resume, before the thread runs again.

use super::breakpoints::{Breakpoints, INT3};
use super::debug_registers::{DebugRegisters, HwKind};
use super::thread::{Resume, Stop, StopEvent, Thread, ThreadState};
use super::tracer::{TraceMode, Tracer};
use super::Error;
use crate::arch::x86_64::Registers;
use crate::sys::wait::{PtraceEvent, WaitStatus};
use crate::sys::{Errno, Tid};
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;

/// What the client asked one thread to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Action {
    pub resume: Resume,
    /// Signal to deliver on resume, 0 for none.
    pub signal: i32,
}

/// A resume request: actions per thread, and what the other threads do
/// (`None`: they stay stopped, as with scheduler locking).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResumePlan {
    pub actions: BTreeMap<Tid, Action>,
    pub others: Option<Action>,
}

impl ResumePlan {
    fn action(&self, tid: Tid) -> Option<Action> {
        self.actions.get(&tid).copied().or(self.others)
    }
}

/// What the client is told when the process stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Report {
    Thread {
        tid: Tid,
        event: StopEvent,
    },
    /// Stopped at the client's request (Ctrl-C).
    Interrupted {
        tid: Tid,
    },
    Exited(i32),
    Killed(i32),
}

/// Why the threads are being stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cause {
    /// A thread has a stop to report.
    Event,
    /// The client asked (Ctrl-C).
    Interrupt,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum RunState {
    /// Every thread stopped and the client told so.
    Stopped,
    /// Threads run as the client asked.
    Running,
    /// `tid` single-steps off the breakpoint at `addr` (removed meanwhile)
    /// while the others wait; then `plan` resumes everyone.
    SteppingOver {
        tid: Tid,
        addr: u64,
        plan: ResumePlan,
        stepped: BTreeSet<Tid>,
        interrupted: bool,
    },
    /// Stopping every thread before reporting.
    Stopping(Cause),
    /// The process ended; the report is still to be taken.
    Exited(Report),
    /// Nothing left: exited and reported, killed or detached.
    Gone,
}

/// `si_code` of a SIGTRAP from an `int3` (SI_KERNEL) and from a single-step.
const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;
const TRAP_HWBKPT: i32 = 4;

pub struct Process<T: Tracer> {
    pid: Tid,
    tracer: T,
    threads: BTreeMap<Tid, Thread>,
    breakpoints: Breakpoints,
    state: RunState,
    /// Round-robin among pending stops, so no thread starves the others.
    last_reported: Tid,
    /// Forked children seen stopped before their parent's fork event.
    /// New tasks whose first stop came before their parent's clone or fork
    /// event: the event says which they are (thread or child process).
    early_births: BTreeSet<Tid>,
    /// vfork children running in our memory, with our breakpoints lifted.
    lifted_for_vfork: usize,
    /// Signals delivered at once, without a stop the client hears of.
    pass_signals: BTreeSet<i32>,
    /// Hardware breakpoints and watchpoints, the same in every thread.
    debug_registers: DebugRegisters,
    /// Syscalls to stop at (`catch syscall`): `None` for none, an empty
    /// set for all.
    catch_syscalls: Option<BTreeSet<u64>>,
    /// ptrace requests must come from the thread that attached: keep the
    /// process on that thread (`!Send`).
    _tracer_thread: PhantomData<*const ()>,
}

impl<T: Tracer> Process<T> {
    /// A process whose threads `tids` are all in a ptrace stop.
    pub fn new(pid: Tid, tracer: T, tids: &[Tid]) -> Process<T> {
        let threads = tids
            .iter()
            .map(|&tid| (tid, Thread::new(tid, ThreadState::Stopped(Stop::Quiet))))
            .collect();
        Process {
            pid,
            tracer,
            threads,
            breakpoints: Breakpoints::default(),
            state: RunState::Stopped,
            last_reported: pid,
            early_births: BTreeSet::new(),
            lifted_for_vfork: 0,
            pass_signals: BTreeSet::new(),
            debug_registers: DebugRegisters::default(),
            catch_syscalls: None,
            _tracer_thread: PhantomData,
        }
    }

    /// A process whose threads `tids` were just seized and interrupted: it
    /// is stopping, and `wait_for_report` says when every thread has stopped.
    pub fn attaching(pid: Tid, tracer: T, tids: &[Tid]) -> Process<T> {
        let mut process = Process::new(pid, tracer, &[]);
        for &tid in tids {
            let thread = Thread::new(tid, ThreadState::Stopping(Resume::Continue));
            process.threads.insert(tid, thread);
        }
        process.state = RunState::Stopping(Cause::Interrupt);
        process
    }

    /// A stop that nobody was told of (the client is not there yet, or has
    /// gone): keep it pending, to be reported on the next resume.
    pub fn keep_unreported(&mut self, report: Report) {
        if let Report::Thread { tid, event } = report {
            self.set_state(tid, ThreadState::Stopped(Stop::Pending(event)));
        }
    }

    /// Stop at these syscalls (an empty set: all), or at none.
    pub fn set_catch_syscalls(&mut self, syscalls: Option<BTreeSet<u64>>) {
        self.catch_syscalls = syscalls;
    }

    /// The signals to pass to the program without stopping (QPassSignals).
    pub fn set_pass_signals(&mut self, signals: BTreeSet<i32>) {
        self.pass_signals = signals;
    }

    pub fn pid(&self) -> Tid {
        self.pid
    }

    pub fn tracer(&mut self) -> &mut T {
        &mut self.tracer
    }

    /// Threads the client can see: all but those already dying.
    pub fn thread_ids(&self) -> impl Iterator<Item = Tid> + '_ {
        self.threads
            .values()
            .filter(|t| t.state() != ThreadState::Zombie)
            .map(|t| t.tid)
    }

    /// Every stop still pending, now told to the client at once (lldb
    /// takes all of a stop's events together, as lldb-server gives them);
    /// they will not be reported again.
    pub fn report_pending_stops(&mut self) -> Vec<(Tid, StopEvent)> {
        let pending: Vec<(Tid, StopEvent)> = self
            .threads
            .values()
            .filter_map(|t| Some((t.tid, t.pending()?)))
            .collect();
        for &(tid, event) in &pending {
            self.set_state(tid, ThreadState::Stopped(Stop::Reported(event)));
        }
        pending
    }

    pub fn thread_state(&self, tid: Tid) -> Option<ThreadState> {
        self.threads.get(&tid).map(Thread::state)
    }

    pub fn is_gone(&self) -> bool {
        matches!(self.state, RunState::Gone)
    }

    /// Whether every thread is stopped and the client knows it.
    pub fn is_stopped(&self) -> bool {
        self.state == RunState::Stopped
    }

    // ----- inspection: only of stopped threads -----

    fn stopped(&self, tid: Tid) -> Result<StoppedTid, Error> {
        match self.threads.get(&tid).map(Thread::state) {
            Some(ThreadState::Stopped(_)) => Ok(StoppedTid(tid)),
            Some(_) => Err(Error::NotStopped(tid)),
            None => Err(Error::NoSuchThread(tid)),
        }
    }

    pub fn read_registers(&mut self, tid: Tid) -> Result<Registers, Error> {
        let t = self.stopped(tid)?;
        self.tracer
            .registers(t.0)
            .map_err(|errno| self.sys_error("reading registers", t.0, errno))
    }

    /// The address of `offset` in the TLS block of the module whose
    /// `link_map` is `lm`, in stopped thread `tid`.
    pub fn tls_address(&mut self, tid: Tid, lm: u64, offset: u64) -> Result<u64, Error> {
        let tp = self.read_registers(tid)?.gpr[crate::arch::x86_64::FS_BASE_INDEX];
        let maps = super::libraries::link_maps(self.pid);
        let layout = super::tls::TlsLayout::find(self.pid, &maps).ok_or(Error::Memory {
            addr: lm,
            errno: Errno::ENOENT,
        })?;
        layout
            .address(self.pid, tp, lm, offset)
            .ok_or(Error::Memory {
                addr: lm,
                errno: Errno::EFAULT,
            })
    }

    /// Note whether the program runs 64-bit or 32-bit code (from its main
    /// thread's code segment), for the register layout of this tracer thread.
    pub fn detect_mode(&mut self) {
        if let Ok(regs) = self.read_registers(self.pid) {
            crate::arch::x86_64::set_current_mode(regs.mode);
        }
    }

    /// The frame pointer, stack pointer and pc of a stopped thread: what gdb
    /// reads at every stop, sent along with the stop reply.
    pub fn frame_registers(&mut self, tid: Tid) -> Result<[u64; 3], Error> {
        let t = self.stopped(tid)?;
        self.tracer
            .frame_registers(t.0)
            .map_err(|errno| self.sys_error("reading registers", t.0, errno))
    }

    /// The siginfo of the signal a stopped thread stopped with.
    pub fn siginfo(&mut self, tid: Tid) -> Result<Vec<u8>, Error> {
        let t = self.stopped(tid)?;
        self.tracer
            .siginfo(t.0)
            .map_err(|errno| self.sys_error("reading siginfo", t.0, errno))
    }

    /// Write a whole register set; state no GDB register shows is kept.
    pub fn write_registers(&mut self, tid: Tid, regs: &Registers) -> Result<(), Error> {
        let t = self.stopped(tid)?;
        let mut regs = regs.clone();
        let current = self
            .tracer
            .registers(t.0)
            .map_err(|errno| self.sys_error("reading registers", t.0, errno))?;
        regs.keep_hidden_state(&current);
        self.tracer
            .set_registers(t.0, &regs)
            .map_err(|errno| self.sys_error("writing registers", t.0, errno))
    }

    /// An error from a request on a thread we believed stopped: ESRCH means
    /// it died under us (SIGKILL from outside), which is not our bug.
    fn sys_error(&self, what: &'static str, tid: Tid, errno: Errno) -> Error {
        if errno == Errno::ESRCH {
            Error::NoSuchThread(tid)
        } else {
            Error::Sys { what, tid, errno }
        }
    }

    /// Read program memory, as the program sees it (our `int3`s hidden).
    /// Returns the number of bytes read: short where memory ends.
    pub fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        if self.state == RunState::Gone {
            return Err(Error::Gone);
        }
        let n = self
            .tracer
            .read_memory(addr, buf)
            .map_err(|errno| Error::Memory { addr, errno })?;
        self.breakpoints.hide_in(addr, &mut buf[..n]);
        Ok(n)
    }

    /// Write program memory; breakpoints inside the range stay inserted.
    pub fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Error> {
        if self.state == RunState::Gone {
            return Err(Error::Gone);
        }
        let mut bytes = data.to_vec();
        let saved: Vec<(u64, u8)> = self.breakpoints.iter().collect();
        self.breakpoints.write_through(addr, &mut bytes);
        let result = self.tracer.write_memory(addr, &bytes);
        if result.is_err() {
            // Nothing was written: the old originals still stand.
            for (a, b) in saved {
                if self.breakpoints.contains(a) {
                    self.breakpoints.add(a, b);
                }
            }
        }
        result.map_err(|errno| Error::Memory { addr, errno })
    }

    // ----- breakpoints -----

    pub fn insert_breakpoint(&mut self, addr: u64) -> Result<(), Error> {
        if self.breakpoints.contains(addr) {
            return Ok(());
        }
        let mut original = [0u8];
        let n = self
            .tracer
            .read_memory(addr, &mut original)
            .map_err(|errno| Error::Memory { addr, errno })?;
        if n != 1 {
            return Err(Error::Memory {
                addr,
                errno: Errno::EFAULT,
            });
        }
        // While a vfork child runs in our memory, breakpoints wait in the
        // table and go in when it is done.
        if self.lifted_for_vfork == 0 {
            self.tracer
                .write_memory(addr, &[INT3])
                .map_err(|errno| Error::Memory { addr, errno })?;
        }
        self.breakpoints.add(addr, original[0]);
        Ok(())
    }

    /// Remove a breakpoint; `false` if there was none at `addr`.
    pub fn remove_breakpoint(&mut self, addr: u64) -> Result<bool, Error> {
        let Some(original) = self.breakpoints.original(addr) else {
            return Ok(false);
        };
        if self.lifted_for_vfork == 0 {
            self.tracer
                .write_memory(addr, &[original])
                .map_err(|errno| Error::Memory { addr, errno })?;
        }
        self.breakpoints.remove(addr);
        Ok(true)
    }

    fn restore_original(&mut self, addr: u64) {
        if let Some(original) = self.breakpoints.original(addr) {
            if let Err(errno) = self.tracer.write_memory(addr, &[original]) {
                log::warn!("cannot lift breakpoint at {addr:#x}: {errno}");
            }
        }
    }

    fn reinsert(&mut self, addr: u64) {
        if self.breakpoints.contains(addr) {
            if let Err(errno) = self.tracer.write_memory(addr, &[INT3]) {
                log::warn!("cannot reinsert breakpoint at {addr:#x}: {errno}");
            }
        }
    }

    // ----- hardware breakpoints and watchpoints -----

    /// Set a hardware breakpoint (`Execute`) or watchpoint in every thread.
    pub fn insert_hardware(&mut self, addr: u64, len: u64, kind: HwKind) -> Result<(), Error> {
        let mut wanted = self.debug_registers.clone();
        wanted.insert(addr, len, kind).map_err(Error::Hardware)?;
        self.load_debug_registers(wanted)
    }

    /// Remove one; `false` if there was none like it.
    pub fn remove_hardware(&mut self, addr: u64, len: u64, kind: HwKind) -> Result<bool, Error> {
        let mut wanted = self.debug_registers.clone();
        if !wanted.remove(addr, len, kind) {
            return Ok(false);
        }
        self.load_debug_registers(wanted).map(|()| true)
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

    // ----- resuming and stopping -----

    /// Resume the threads as `plan` says. A pending stop of a thread the
    /// plan resumes is reported at once instead, without running anything.
    ///
    /// Actions for threads that are gone are dropped. A plan that resumes
    /// nothing is answered with an immediate stop, as the client waits for one.
    pub fn resume(&mut self, mut plan: ResumePlan) -> Result<(), Error> {
        match self.state {
            RunState::Stopped => {}
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => return Err(Error::ProcessRunning),
        }
        plan.actions.retain(|tid, _| {
            let known = self.threads.contains_key(tid);
            if !known {
                log::debug!("resume: thread {tid} is gone, its action is dropped");
            }
            known
        });
        if !self.threads.keys().any(|&tid| plan.action(tid).is_some()) {
            self.state = RunState::Stopping(Cause::Interrupt);
            return Ok(());
        }
        self.discard_stale_breakpoint_stops(&plan);
        let has_pending = self
            .threads
            .values()
            .any(|t| t.pending().is_some() && plan.action(t.tid).is_some());
        if has_pending {
            log::debug!("a pending stop is reported before anything runs");
            self.state = RunState::Stopping(Cause::Event);
            return Ok(());
        }
        self.start(plan, BTreeSet::new());
        Ok(())
    }

    /// A breakpoint hit kept pending is void if the client has since
    /// removed the breakpoint: the thread simply runs from there.
    fn discard_stale_breakpoint_stops(&mut self, plan: &ResumePlan) {
        let stale: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.pending() == Some(StopEvent::Breakpoint) && plan.action(t.tid).is_some())
            .map(|t| t.tid)
            .collect();
        for tid in stale {
            let still_there = match self.tracer.pc(tid) {
                Ok(pc) => self.breakpoints.contains(pc),
                Err(_) => true,
            };
            if !still_there {
                self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
            }
        }
    }

    /// Resume every stopped thread the plan names, stepping threads that sit
    /// on an inserted breakpoint off it first, one at a time.
    fn start(&mut self, plan: ResumePlan, mut stepped: BTreeSet<Tid>) {
        let to_run: Vec<(Tid, Action)> = self
            .threads
            .values()
            .filter(|t| t.is_resumable())
            .filter_map(|t| {
                let mut action = plan.action(t.tid)?;
                if let ThreadState::Stopped(Stop::Held(signal)) = t.state() {
                    action.signal = signal;
                }
                Some((t.tid, action))
            })
            .collect();
        if !self.breakpoints.is_empty() {
            for &(tid, action) in &to_run {
                if stepped.contains(&tid) {
                    continue;
                }
                let Ok(pc) = self.tracer.pc(tid) else {
                    continue;
                };
                if !self.breakpoints.contains(pc) {
                    continue;
                }
                log::debug!("thread {tid}: stepping off the breakpoint at {pc:#x}");
                stepped.insert(tid);
                self.restore_original(pc);
                self.state = RunState::SteppingOver {
                    tid,
                    addr: pc,
                    plan,
                    stepped,
                    interrupted: false,
                };
                self.run_thread(tid, Resume::Step, action.signal);
                return;
            }
        }
        self.state = RunState::Running;
        for (tid, action) in to_run {
            self.run_thread(tid, action.resume, action.signal);
        }
    }

    fn run_thread(&mut self, tid: Tid, resume: Resume, signal: i32) {
        let how = match resume {
            Resume::Step | Resume::RangeStep { .. } => TraceMode::Step,
            Resume::Continue if self.catch_syscalls.is_some() => TraceMode::ToSyscall,
            Resume::Continue => TraceMode::Continue,
        };
        match self.tracer.resume(tid, how, signal) {
            Ok(()) => self.set_state(tid, ThreadState::Running(resume)),
            // Killed under us: its exit status is on its way.
            Err(errno) => {
                log::debug!("thread {tid}: cannot resume ({errno}), it is dying");
                self.set_state(tid, ThreadState::Zombie);
            }
        }
    }

    /// Stop every thread at the client's request (Ctrl-C). The stop is
    /// reported once all threads have stopped.
    pub fn interrupt(&mut self) {
        match &mut self.state {
            RunState::Running => {
                self.state = RunState::Stopping(Cause::Interrupt);
                self.stop_running_threads();
            }
            RunState::SteppingOver {
                tid, interrupted, ..
            } => {
                *interrupted = true;
                let tid = *tid;
                self.stop_thread(tid);
            }
            RunState::Stopping(cause) => *cause = Cause::Interrupt,
            RunState::Stopped | RunState::Exited(_) | RunState::Gone => {}
        }
    }

    fn stop_running_threads(&mut self) {
        let running: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| matches!(t.state(), ThreadState::Running(_)))
            .map(|t| t.tid)
            .collect();
        for tid in running {
            self.stop_thread(tid);
        }
    }

    fn stop_thread(&mut self, tid: Tid) {
        let Some(ThreadState::Running(resume)) = self.thread_state(tid) else {
            return;
        };
        match self.tracer.interrupt(tid) {
            Ok(()) => self.set_state(tid, ThreadState::Stopping(resume)),
            Err(errno) => {
                log::debug!("thread {tid}: cannot interrupt ({errno}), it is dying");
                self.set_state(tid, ThreadState::Zombie);
            }
        }
    }

    fn set_state(&mut self, tid: Tid, state: ThreadState) {
        if let Some(thread) = self.threads.get_mut(&tid) {
            thread.set_state(state);
        }
    }

    // ----- wait statuses -----

    /// Take in every wait status that is pending now, then move the state
    /// machine on. Returns the stop to report, if one is ready.
    pub fn poll(&mut self) -> Result<Option<Report>, Error> {
        loop {
            match self.tracer.wait(false) {
                Ok(Some(status)) => self.handle(status),
                Ok(None) => break,
                Err(errno) => {
                    return Err(Error::Sys {
                        what: "waitpid",
                        tid: -1,
                        errno,
                    })
                }
            }
        }
        Ok(self.progress())
    }

    /// Block until the process has a stop to report (used where the client
    /// waits synchronously: backend tests, kill).
    pub fn wait_for_report(&mut self) -> Result<Report, Error> {
        match self.state {
            RunState::Gone => return Err(Error::Gone),
            RunState::Stopped => return Err(Error::NotRunning),
            _ => {}
        }
        loop {
            if let Some(report) = self.progress() {
                return Ok(report);
            }
            match self.tracer.wait(true) {
                Ok(Some(status)) => self.handle(status),
                Ok(None) => return Err(Error::Gone),
                Err(errno) => {
                    return Err(Error::Sys {
                        what: "waitpid",
                        tid: -1,
                        errno,
                    })
                }
            }
        }
    }

    /// Take in one wait status.
    pub fn handle(&mut self, status: WaitStatus) {
        let tid = status.tid();
        if !self.threads.contains_key(&tid) && !self.adopt_unknown(status) {
            return;
        }
        match status {
            WaitStatus::Exited { code, .. } => self.thread_gone(tid, Report::Exited(code)),
            WaitStatus::Killed { signal, .. } => self.thread_gone(tid, Report::Killed(signal)),
            WaitStatus::Event { event, .. } => match event {
                PtraceEvent::Exit => self.thread_exiting(tid),
                PtraceEvent::Clone => {
                    match self.tracer.new_thread_id(tid) {
                        Ok(new) if !self.threads.contains_key(&new) => {
                            self.threads
                                .insert(new, Thread::new(new, ThreadState::Starting));
                            // Its first stop (PTRACE_EVENT_STOP) may have come already.
                            if self.early_births.remove(&new) {
                                self.quiet_stop(new);
                            }
                        }
                        Ok(_) => {}
                        Err(errno) => log::warn!("thread {tid}: clone event unreadable: {errno}"),
                    }
                    self.quiet_stop(tid);
                }
                PtraceEvent::Exec => self.exec_stop(tid),
                PtraceEvent::Fork | PtraceEvent::Vfork => {
                    match self.tracer.new_thread_id(tid) {
                        Ok(child) => self.release_child(child, event == PtraceEvent::Vfork),
                        Err(errno) => log::warn!("thread {tid}: fork event unreadable: {errno}"),
                    }
                    self.quiet_stop(tid);
                }
                PtraceEvent::VforkDone => {
                    self.vfork_done();
                    self.quiet_stop(tid);
                }
                PtraceEvent::Stop | PtraceEvent::Seccomp => self.quiet_stop(tid),
            },
            WaitStatus::SyscallStop { .. } => self.syscall_stop(tid),
            WaitStatus::SignalStop { signal, .. } if signal == libc::SIGTRAP => {
                let event = self.classify_sigtrap(tid);
                if event == StopEvent::Stepped && self.range_step_goes_on(tid) {
                    return;
                }
                self.event_stop(tid, event);
            }
            WaitStatus::SignalStop { signal, .. } if self.pass_signals.contains(&signal) => {
                self.pass_signal(tid, signal)
            }
            WaitStatus::SignalStop { signal, .. } => {
                self.event_stop(tid, StopEvent::Signal(signal))
            }
        }
    }

    /// A status from a tid we do not know: the first stop of a new thread or
    /// forked child whose parent's event is still to come. It is set aside
    /// until that event says which it is. Returns whether `status` is ours
    /// to handle now (never, for an unknown tid).
    fn adopt_unknown(&mut self, status: WaitStatus) -> bool {
        let tid = status.tid();
        if matches!(
            status,
            WaitStatus::Exited { .. } | WaitStatus::Killed { .. }
        ) {
            return false;
        }
        log::debug!("task {tid}: first stop before its parent's clone or fork event");
        self.early_births.insert(tid);
        false
    }

    /// A SIGTRAP is one of our breakpoints, the end of a single-step, or a
    /// real SIGTRAP for the program.
    fn classify_sigtrap(&mut self, tid: Tid) -> StopEvent {
        let stepping = matches!(
            self.thread_state(tid),
            Some(ThreadState::Running(resume) | ThreadState::Stopping(resume)) if resume.is_step()
        );
        let code = match self.tracer.signal_code(tid) {
            Ok(code) => code,
            Err(_) => return StopEvent::Signal(libc::SIGTRAP),
        };
        // The debug registers say which slot fired (a single-step may also
        // land on a watched write).
        if !self.debug_registers.is_empty() && (code == TRAP_HWBKPT || stepping) {
            if let Ok(dr6) = self.tracer.take_debug_status(tid) {
                match self.debug_registers.hit(dr6) {
                    Some((_, HwKind::Execute)) => return StopEvent::HwBreakpoint,
                    Some((addr, kind)) => return StopEvent::Watchpoint { kind, addr },
                    None => {}
                }
            }
        }
        if code == SI_KERNEL {
            if let Ok(pc) = self.tracer.pc(tid) {
                let addr = pc.wrapping_sub(1);
                if self.breakpoints.contains(addr) {
                    // The pc is one past the int3: put it back on the breakpoint.
                    if let Err(errno) = self.tracer.set_pc(tid, addr) {
                        log::warn!("thread {tid}: cannot back up pc: {errno}");
                    }
                    return StopEvent::Breakpoint;
                }
            }
        }
        if code == TRAP_TRACE && stepping {
            return StopEvent::Stepped;
        }
        StopEvent::Signal(libc::SIGTRAP)
    }

    /// A range step that ended inside its range: step again (or, if
    /// everyone is being stopped, just stop quietly). `false` if the step
    /// ended outside the range, which is to be reported.
    fn range_step_goes_on(&mut self, tid: Tid) -> bool {
        let (Some(ThreadState::Running(resume) | ThreadState::Stopping(resume)), Ok(pc)) =
            (self.thread_state(tid), self.tracer.pc(tid))
        else {
            return false;
        };
        if !resume.steps_on_at(pc) {
            return false;
        }
        match self.thread_state(tid) {
            Some(ThreadState::Running(_)) if self.state == RunState::Running => {
                self.run_thread(tid, resume, 0)
            }
            _ => self.set_state(tid, ThreadState::Stopped(Stop::Quiet)),
        }
        true
    }

    /// A stop with nothing to report: let the thread go on if its siblings
    /// are running, else leave it stopped.
    fn quiet_stop(&mut self, tid: Tid) {
        let Some(state) = self.thread_state(tid) else {
            return;
        };
        match state {
            ThreadState::Running(resume) => self.run_thread(tid, resume, 0),
            // A new thread's first stop: it gets the debug registers (a
            // clone does not inherit them) and joins its siblings if they run.
            ThreadState::Starting => {
                if !self.debug_registers.is_empty() {
                    let dr = &self.debug_registers;
                    let loaded = self
                        .tracer
                        .set_debug_registers(tid, dr.addresses(), dr.control());
                    if let Err(errno) = loaded {
                        log::warn!("thread {tid}: cannot load debug registers: {errno}");
                    }
                }
                if self.state == RunState::Running {
                    self.run_thread(tid, Resume::Continue, 0)
                } else {
                    self.set_state(tid, ThreadState::Stopped(Stop::Quiet))
                }
            }
            ThreadState::Stopping(resume) if self.trap_queued_behind_stop(tid, resume) => {
                // Let it take the trap: it stops again before running any code.
                log::debug!("thread {tid}: a SIGTRAP is queued behind its stop");
                if let Err(errno) = self.tracer.resume(tid, TraceMode::Continue, 0) {
                    log::warn!("thread {tid}: cannot collect its queued trap: {errno}");
                    self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
                }
            }
            ThreadState::Stopping(_) => self.set_state(tid, ThreadState::Stopped(Stop::Quiet)),
            ThreadState::Stopped(_) | ThreadState::Zombie => {
                log::warn!("thread {tid}: unexpected stop in state {state:?}")
            }
        }
    }

    /// A syscall entry or exit: a stop to report if the client catches it.
    fn syscall_stop(&mut self, tid: Tid) {
        let caught = match (&self.catch_syscalls, self.tracer.syscall_stop(tid)) {
            (Some(filter), Ok((entry, number)))
                if filter.is_empty() || filter.contains(&number) =>
            {
                Some(StopEvent::Syscall { entry, number })
            }
            _ => None,
        };
        match caught {
            Some(event) => self.event_stop(tid, event),
            None => self.quiet_stop(tid),
        }
    }

    /// A signal the client wants passed without a word: a running thread
    /// gets it at once; one being stopped holds it until it runs again.
    fn pass_signal(&mut self, tid: Tid, signal: i32) {
        match self.thread_state(tid) {
            Some(ThreadState::Running(resume)) => self.run_thread(tid, resume, signal),
            Some(ThreadState::Stopping(_) | ThreadState::Starting) => {
                self.set_state(tid, ThreadState::Stopped(Stop::Held(signal)))
            }
            state => log::warn!("thread {tid}: signal {signal} in state {state:?}"),
        }
    }

    /// A thread can execute our int3 (or finish a step) just as our
    /// interrupt arrives: the kernel then reports the interrupt stop first,
    /// with the SIGTRAP still queued and the pc one past the int3. Left so,
    /// the hit would be lost and the SIGTRAP delivered later (fatal after a
    /// detach). Only a thread past one of our breakpoints or stepping can be
    /// in this state, so only they cost a look at its pending signals.
    fn trap_queued_behind_stop(&mut self, tid: Tid, resume: Resume) -> bool {
        let suspicious = resume.is_step()
            || (!self.breakpoints.is_empty()
                && self
                    .tracer
                    .pc(tid)
                    .is_ok_and(|pc| self.breakpoints.contains(pc.wrapping_sub(1))));
        suspicious && self.tracer.has_pending_sigtrap(tid)
    }

    /// A stop the client must hear of: keep it, and stop everyone else.
    fn event_stop(&mut self, tid: Tid, event: StopEvent) {
        // The end of a step-over the client did not ask for as a step.
        if let (
            RunState::SteppingOver {
                tid: stepper, plan, ..
            },
            StopEvent::Stepped,
        ) = (&self.state, event)
        {
            let plan = plan.clone();
            if *stepper == tid && !self.step_over_is_reported(tid, &plan) {
                self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
                return;
            }
        }
        self.set_state(tid, ThreadState::Stopped(Stop::Pending(event)));
        if self.state == RunState::Running {
            self.state = RunState::Stopping(Cause::Event);
            self.stop_running_threads();
        }
    }

    /// Whether the single step that took `tid` off a breakpoint is the step
    /// the client asked for: a plain step is; a range step only if it left
    /// the range; a continue never.
    fn step_over_is_reported(&mut self, tid: Tid, plan: &ResumePlan) -> bool {
        match plan.action(tid).map(|a| a.resume) {
            Some(Resume::Step) => true,
            Some(range @ Resume::RangeStep { .. }) => self
                .tracer
                .pc(tid)
                .map_or(true, |pc| !range.steps_on_at(pc)),
            _ => false,
        }
    }

    /// PTRACE_EVENT_EXIT: the thread is on its way out. It cannot be stopped
    /// again, so let it finish dying whatever else is going on.
    fn thread_exiting(&mut self, tid: Tid) {
        match self.tracer.resume(tid, TraceMode::Continue, 0) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => log::warn!("thread {tid}: cannot release exiting thread: {errno}"),
        }
        self.set_state(tid, ThreadState::Zombie);
    }

    fn thread_gone(&mut self, tid: Tid, status: Report) {
        self.threads.remove(&tid);
        if tid == self.pid {
            log::debug!("process {tid} ended: {status:?}");
            self.threads.clear();
            self.state = RunState::Exited(status);
        }
    }

    /// The program called execve: a new address space without our
    /// breakpoints, and only the execing thread left, now with the leader's tid.
    fn exec_stop(&mut self, tid: Tid) {
        log::debug!("thread {tid}: exec");
        if let Err(errno) = self.tracer.exec_happened() {
            log::warn!("after exec: {errno}");
        }
        self.breakpoints = Breakpoints::default();
        // exec clears the debug registers too.
        self.debug_registers = DebugRegisters::default();
        self.lifted_for_vfork = 0;
        // The other threads are gone; their last statuses, if any, are ignored.
        self.threads.clear();
        self.threads
            .insert(self.pid, Thread::new(self.pid, ThreadState::Starting));
        self.event_stop(self.pid, StopEvent::Exec);
        // The new program may be 32-bit where the old one was 64-bit.
        self.detect_mode();
    }

    /// A child was forked: take our breakpoints out of its memory and let it
    /// go (the client follows the parent). A vfork child shares our memory,
    /// so there they are lifted until the parent's VFORK_DONE.
    fn release_child(&mut self, child: Tid, vfork: bool) {
        if !self.early_births.remove(&child) {
            // Its first stop is due at once: the child is created stopped.
            match self.tracer.wait_for(child) {
                Ok(Some(WaitStatus::Event { .. } | WaitStatus::SignalStop { .. })) => {}
                other => {
                    log::debug!("child {child}: gone before release ({other:?})");
                    return;
                }
            }
        }
        let originals: Vec<(u64, u8)> = self.breakpoints.iter().collect();
        if vfork {
            if self.lifted_for_vfork == 0 {
                for &(addr, _) in &originals {
                    self.restore_original(addr);
                }
            }
            self.lifted_for_vfork += 1;
        } else {
            for (addr, original) in originals {
                if let Err(errno) = self.tracer.write_child_memory(child, addr, &[original]) {
                    log::warn!("child {child}: cannot take out breakpoint at {addr:#x}: {errno}");
                }
            }
        }
        if let Err(errno) = self.tracer.detach(child, 0) {
            log::warn!("child {child}: detach: {errno}");
        }
        log::debug!(
            "child {child}: released ({})",
            if vfork { "vfork" } else { "fork" }
        );
    }

    /// A vfork child has exec'd or exited: our memory is ours again.
    fn vfork_done(&mut self) {
        if self.lifted_for_vfork == 0 {
            return;
        }
        self.lifted_for_vfork -= 1;
        if self.lifted_for_vfork == 0 {
            let addrs: Vec<u64> = self.breakpoints.iter().map(|(a, _)| a).collect();
            for addr in addrs {
                self.reinsert(addr);
            }
        }
    }

    /// Move on after events: finish a step-over, or report once all are stopped.
    fn progress(&mut self) -> Option<Report> {
        match &self.state {
            RunState::Exited(report) => {
                let report = *report;
                self.state = RunState::Gone;
                Some(report)
            }
            RunState::SteppingOver {
                tid,
                addr,
                plan,
                stepped,
                interrupted,
            } => {
                let (tid, addr) = (*tid, *addr);
                if self.thread_state(tid).is_some_and(ThreadState::is_running) {
                    return None;
                }
                let (mut plan, stepped, interrupted) =
                    (plan.clone(), stepped.clone(), *interrupted);
                self.reinsert(addr);
                let pending = self.threads.get(&tid).and_then(Thread::pending).is_some();
                if interrupted || pending {
                    let cause = if interrupted {
                        Cause::Interrupt
                    } else {
                        Cause::Event
                    };
                    self.state = RunState::Stopping(cause);
                    return self.progress();
                }
                // The signal, if any, went in with the step.
                if let Some(action) = plan.action(tid) {
                    plan.actions.insert(
                        tid,
                        Action {
                            signal: 0,
                            ..action
                        },
                    );
                }
                self.start(plan, stepped);
                None
            }
            RunState::Stopping(cause) => {
                let cause = *cause;
                if self.threads.values().any(|t| t.state().is_running()) {
                    return None;
                }
                let report = match self.pick_pending() {
                    Some((tid, event)) => {
                        self.set_state(tid, ThreadState::Stopped(Stop::Reported(event)));
                        Report::Thread { tid, event }
                    }
                    None => {
                        let tid = self.report_thread()?;
                        if cause == Cause::Event {
                            log::debug!("the stop to report vanished; reporting an interrupt");
                        }
                        Report::Interrupted { tid }
                    }
                };
                if let Report::Thread { tid, .. } | Report::Interrupted { tid } = report {
                    self.last_reported = tid;
                }
                self.state = RunState::Stopped;
                Some(report)
            }
            RunState::Stopped | RunState::Running | RunState::Gone => None,
        }
    }

    /// The pending stop to report: a finished step first (the client is
    /// waiting on it), else the next thread after the last one reported.
    fn pick_pending(&self) -> Option<(Tid, StopEvent)> {
        let pending = || {
            self.threads
                .values()
                .filter_map(|t| Some((t.tid, t.pending()?)))
        };
        pending()
            .find(|&(_, e)| e == StopEvent::Stepped)
            .or_else(|| pending().find(|&(tid, _)| tid > self.last_reported))
            .or_else(|| pending().next())
    }

    /// The thread to name in a report that has none of its own.
    fn report_thread(&self) -> Option<Tid> {
        let live = |tid: &Tid| {
            self.thread_state(*tid)
                .is_some_and(|s| matches!(s, ThreadState::Stopped(_)))
        };
        [self.last_reported, self.pid]
            .into_iter()
            .find(live)
            .or_else(|| self.thread_ids().find(live))
    }

    /// Stop every thread now and wait until they have, whatever the run
    /// state: for leaving a running program (detach, a client gone). A stop
    /// that would have been reported stays pending for the next client.
    pub fn stop_all_now(&mut self) -> Result<(), Error> {
        match self.state {
            RunState::Stopped => return Ok(()),
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => {}
        }
        self.interrupt();
        match self.wait_for_report()? {
            Report::Exited(_) | Report::Killed(_) => Err(Error::Gone),
            report => {
                self.keep_unreported(report);
                Ok(())
            }
        }
    }

    // ----- ending -----

    /// Kill the process and reap every thread. Returns once it is gone.
    pub fn kill(&mut self) -> Result<(), Error> {
        if self.state == RunState::Gone {
            return Ok(());
        }
        if let Err(errno) = self.tracer.kill() {
            if errno != Errno::ESRCH {
                return Err(Error::Sys {
                    what: "kill",
                    tid: self.pid,
                    errno,
                });
            }
        }
        while !matches!(self.state, RunState::Exited(_) | RunState::Gone) {
            match self.tracer.wait(true) {
                Ok(Some(status)) => self.handle(status),
                Ok(None) | Err(_) => break,
            }
        }
        self.threads.clear();
        self.state = RunState::Gone;
        Ok(())
    }

    /// Take every breakpoint out and let every thread go, each with the
    /// signal it stopped with and was not yet told about.
    pub fn detach(&mut self) -> Result<(), Error> {
        match self.state {
            RunState::Stopped => {}
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => return Err(Error::ProcessRunning),
        }
        let addrs: Vec<u64> = self.breakpoints.iter().map(|(a, _)| a).collect();
        for addr in addrs {
            self.remove_breakpoint(addr)?;
        }
        let threads: Vec<(Tid, ThreadState)> =
            self.threads.values().map(|t| (t.tid, t.state())).collect();
        for (tid, state) in threads {
            match state {
                ThreadState::Stopped(stop) => {
                    let signal = stop.signal().unwrap_or(0);
                    if let Err(errno) = self.tracer.detach(tid, signal) {
                        log::debug!("thread {tid}: detach: {errno}");
                    }
                }
                // Exiting, and still ours until reaped: with
                // PTRACE_O_EXITKILL it would be SIGKILLed when the server
                // exits, and that kills the whole process. Its last status
                // is due at once (a leader's only after its threads: left).
                ThreadState::Zombie if tid != self.pid => self.reap(tid),
                _ => {}
            }
        }
        self.threads.clear();
        self.state = RunState::Gone;
        Ok(())
    }
}

impl<T: Tracer> Process<T> {
    /// Wait for an exiting thread's last status.
    fn reap(&mut self, tid: Tid) {
        loop {
            match self.tracer.wait_for(tid) {
                Ok(Some(WaitStatus::Exited { .. } | WaitStatus::Killed { .. }))
                | Ok(None)
                | Err(_) => return,
                Ok(Some(other)) => log::debug!("thread {tid}: {other:?} while reaping"),
            }
        }
    }
}

/// Proof that a thread was stopped when we looked: inspection needs one.
struct StoppedTid(Tid);
