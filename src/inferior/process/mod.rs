//! A traced process: its threads, all-stop, breakpoints and memory.
//!
//! The process moves between run states ([`RunState`]) as the client
//! resumes it and as wait statuses come in. The rule of all-stop: when a
//! thread stops for a reason the client must hear of, every other thread is
//! stopped before the stop is reported. Stops that arrive meanwhile are kept
//! as pending and reported, one per resume, before the thread runs again.
//!
//! This file holds the process, its construction and the inspection of
//! stopped threads; the rest is split by concern: `resume` (resume plans,
//! step-over, range stepping), `events` (wait statuses, stopping everyone,
//! picking the report), `fork` (new tasks, fork, vfork, exec), `hardware`
//! (debug registers), `program` (what the program looks like: libraries,
//! TLS, /proc facts) and `lifecycle` (kill, detach, reaping).

mod conditions;
mod events;
mod fork;
mod hardware;
mod lifecycle;
mod non_stop;
mod program;
mod resume;

use super::breakpoint_logic::AgentState;
use super::breakpoints::Breakpoints;
use super::debug_registers::DebugRegisters;
use super::thread::{Resume, Stop, StopEvent, Thread, ThreadState};
use super::tracer::Tracer;
use super::Error;
use crate::arch::x86_64::{Mode, Registers};
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
    /// `tid` single-steps off the breakpoint at `addr` (lifted meanwhile)
    /// while the others wait; then `plan` resumes everyone. `stepped`: the
    /// threads already stepped off theirs; `interrupted`: a Ctrl-C came
    /// meanwhile, so the step ends in a stop instead.
    SteppingOver {
        tid: Tid,
        addr: u64,
        plan: ResumePlan,
        stepped: BTreeSet<Tid>,
        interrupted: bool,
    },
    /// Stopping every thread before reporting.
    Stopping(Cause),
    /// Stopping every thread so that one can step off a breakpoint whose
    /// hit is not reported (a false condition, a dprintf); then every
    /// thread goes on as `plan` says (as they were going).
    Regrouping { plan: ResumePlan },
    /// The process ended; the report is still to be taken.
    Exited(Report),
    /// Nothing left: exited and reported, killed or detached.
    Gone,
}

pub struct Process<T: Tracer> {
    pid: Tid,
    tracer: T,
    threads: BTreeMap<Tid, Thread>,
    breakpoints: Breakpoints,
    state: RunState,
    /// The register layout of the program's code: detected at the start
    /// and after each exec.
    mode: Mode,
    /// Process-wide: the round-robin cursor among pending stops, so no
    /// thread starves the others; it outlives each stop.
    last_reported: Tid,
    /// Process-wide: new tasks whose first stop came before their parent's
    /// clone or fork event. They are no thread of ours yet (a forked child
    /// never will be), so they have no state in the thread table; the
    /// parent's event says which they are.
    early_births: BTreeSet<Tid>,
    /// Signals delivered at once, without a stop the client hears of.
    pass_signals: BTreeSet<i32>,
    /// Hardware breakpoints and watchpoints, the same in every thread.
    debug_registers: DebugRegisters,
    /// Syscalls to stop at (`catch syscall`): `None` for none, an empty
    /// set for all.
    catch_syscalls: Option<BTreeSet<u64>>,
    /// Forked children are kept, stopped, and reported (the client follows
    /// forks), or let go at once.
    follow_forks: bool,
    /// Children forked and kept since the container last looked.
    new_children: Vec<Tid>,
    /// Breakpoint conditions and commands (agent bytecode).
    agent: AgentState,
    /// The main thread's registers at its exit event, kept with the process
    /// once it has ended: another process's stop may be told first, and
    /// until the client hears of this end it sees the main thread still
    /// there (gdb needs its pc to resume, and the end is told at the
    /// resume).
    last_registers: Option<Registers>,
    /// Non-stop mode: a thread's stop stops no other thread, and is told
    /// at once (see non_stop.rs).
    non_stop: bool,
    /// Non-stop: threads the client asked to stop (`vCont;t`) whose stop
    /// is still to come; it is reported as [`StopEvent::Requested`].
    stop_requests: BTreeSet<Tid>,
    /// Stopped threads whose pc the client moved (a `jump`, a function
    /// call, gdb skipping the program's own `int3`): a breakpoint at the
    /// new pc is hit when they run, not stepped over, as with gdbserver,
    /// which steps over only at the pc a thread stopped at.
    pc_moved: BTreeSet<Tid>,
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
            mode: Mode::default(),
            last_reported: pid,
            early_births: BTreeSet::new(),
            pass_signals: BTreeSet::new(),
            debug_registers: DebugRegisters::default(),
            catch_syscalls: None,
            follow_forks: false,
            new_children: Vec::new(),
            agent: AgentState::default(),
            last_registers: None,
            non_stop: false,
            stop_requests: BTreeSet::new(),
            pc_moved: BTreeSet::new(),
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

    /// Keep forked children and report forks (the client follows them), or
    /// let children go at birth.
    pub fn set_follow_forks(&mut self, follow: bool) {
        self.follow_forks = follow;
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

    /// Whether the program runs 64-bit or 32-bit code.
    pub fn mode(&self) -> Mode {
        self.mode
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

    /// Whether the process has something to report once its threads have
    /// stopped: every other process should stop too.
    pub fn is_stopping(&self) -> bool {
        matches!(self.state, RunState::Stopping(_) | RunState::Exited(_))
    }

    /// Whether every thread is stopped and the client knows it.
    pub fn is_stopped(&self) -> bool {
        self.state == RunState::Stopped
    }

    /// The one way the run state changes, logged like a thread's.
    fn set_run_state(&mut self, new: RunState) {
        log::debug!("process {}: {:?} -> {:?}", self.pid, self.state, new);
        self.state = new;
    }

    /// The one way a thread's state changes (the thread logs it).
    fn set_state(&mut self, tid: Tid, state: ThreadState) {
        if let Some(thread) = self.threads.get_mut(&tid) {
            thread.set_state(state);
        }
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
        if let (true, Some(last)) = (tid == self.pid && self.is_gone(), &self.last_registers) {
            return Ok(last.clone());
        }
        let t = self.stopped(tid)?;
        self.tracer
            .registers(t.0)
            .map_err(|errno| self.sys_error("reading registers", t.0, errno))
    }

    /// Note whether the program runs 64-bit or 32-bit code (from its main
    /// thread's code segment), for its register layout.
    pub fn detect_mode(&mut self) {
        if let Ok(regs) = self.read_registers(self.pid) {
            log::debug!("process {}: mode {:?}", self.pid, regs.mode);
            self.mode = regs.mode;
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

    /// Write `data` at `offset` into the siginfo of a stopped thread: gdb
    /// puts back, after a function call, the one the thread stopped with
    /// (and `set $_siginfo...` changes the signal to be delivered).
    pub fn write_siginfo(&mut self, tid: Tid, offset: usize, data: &[u8]) -> Result<(), Error> {
        let mut siginfo = self.siginfo(tid)?;
        let end = offset
            .checked_add(data.len())
            .filter(|&end| end <= siginfo.len());
        let Some(end) = end else {
            return Err(Error::Sys {
                what: "writing past the siginfo",
                tid,
                errno: Errno::EINVAL,
            });
        };
        siginfo[offset..end].copy_from_slice(data);
        self.tracer
            .set_siginfo(tid, &siginfo)
            .map_err(|errno| self.sys_error("writing siginfo", tid, errno))
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
            .map_err(|errno| self.sys_error("writing registers", t.0, errno))?;
        if regs.pc() != current.pc() {
            self.pc_moved.insert(t.0);
        }
        Ok(())
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

    // ----- memory and software breakpoints -----

    /// Read program memory, as the program sees it (our `int3`s hidden).
    /// Returns the number of bytes read: short where memory ends.
    pub fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Error> {
        if self.state == RunState::Gone {
            return Err(Error::Gone);
        }
        self.breakpoints
            .read(&mut self.tracer, addr, buf)
            .map_err(|errno| Error::Memory { addr, errno })
    }

    /// Write program memory; breakpoints inside the range stay inserted.
    pub fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Error> {
        if self.state == RunState::Gone {
            return Err(Error::Gone);
        }
        self.breakpoints
            .write(&mut self.tracer, addr, data)
            .map_err(|errno| Error::Memory { addr, errno })
    }

    pub fn insert_breakpoint(&mut self, addr: u64) -> Result<(), Error> {
        self.breakpoints
            .insert(&mut self.tracer, addr)
            .map_err(|errno| Error::Memory { addr, errno })
    }

    /// Remove a breakpoint; `false` if there was none at `addr`.
    pub fn remove_breakpoint(&mut self, addr: u64) -> Result<bool, Error> {
        if self.is_gone() || matches!(self.state, RunState::Exited(_)) {
            // Its memory went with it; the client may not know it yet (the
            // end is reported after another process's stop): nothing is
            // left to take out.
            return Ok(true);
        }
        self.agent.forget(addr);
        self.breakpoints
            .remove(&mut self.tracer, addr)
            .map_err(|errno| Error::Memory { addr, errno })
    }
}

/// Proof that a thread was stopped when we looked: inspection needs one.
struct StoppedTid(Tid);
