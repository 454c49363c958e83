//! One traced thread and its state machine.
//!
//! Every thread is always in exactly one state; the state carries its data
//! and changes only through [`Thread::set_state`], which logs `tid: old -> new`.

use super::debug_registers::HwKind;
use crate::sys::Tid;

/// Why a stopped thread stopped, as far as the client is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopEvent {
    /// It executed one of our `int3`s; its pc is already backed up.
    Breakpoint,
    /// A single-step the client asked for completed.
    Stepped,
    /// A signal is about to be delivered to it.
    Signal(i32),
    /// It called execve: a new program, with its own address space.
    Exec,
    /// A hardware breakpoint (debug register) fired before this instruction.
    HwBreakpoint,
    /// A watched region starting at `addr` was written (or accessed).
    Watchpoint { kind: HwKind, addr: u64 },
    /// It entered (or returned from) a syscall the client catches.
    Syscall { entry: bool, number: u64 },
    /// It forked `child`, a new process of ours stopped at birth (when the
    /// client follows forks).
    Forked { child: Tid },
    /// It vforked `child`, which shares its memory until it execs or exits.
    Vforked { child: Tid },
    /// Its vfork child has exec'd or exited: the memory is its own again.
    VforkDone,
    /// Stopped because the client asked (`vCont;t`, non-stop mode).
    Requested,
}

/// A stopped thread's stop, and whether the client still has to hear of it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// Nothing to tell: stopped by us, or newly created.
    Quiet,
    /// A stop the client has not been told about yet; it is reported before
    /// this thread runs again.
    Pending(StopEvent),
    /// Stopped by a signal the client asked to pass without hearing of it
    /// (QPassSignals); it is delivered when the thread next runs.
    Held(i32),
    /// The stop the client was last told about for this thread. On resume
    /// the client says which signal to deliver; on detach without a resume,
    /// a real signal is handed back to the program.
    Reported(StopEvent),
}

impl Stop {
    /// The program's own signal this stop holds back, if any.
    pub fn signal(self) -> Option<i32> {
        match self {
            Stop::Pending(StopEvent::Signal(sig)) | Stop::Held(sig) => Some(sig),
            // Traps and our interrupts are the debugger's, not the program's.
            Stop::Reported(StopEvent::Signal(sig))
                if ![libc::SIGTRAP, libc::SIGINT, libc::SIGSTOP].contains(&sig) =>
            {
                Some(sig)
            }
            _ => None,
        }
    }
}

/// How a running thread was resumed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resume {
    Continue,
    Step,
    /// Step, and keep stepping while the pc stays in `start..end` (vCont;r):
    /// a `next` over a loop costs one round trip instead of one per
    /// instruction.
    RangeStep {
        start: u64,
        end: u64,
    },
}

impl Resume {
    pub fn is_step(self) -> bool {
        matches!(self, Resume::Step | Resume::RangeStep { .. })
    }

    /// Whether a step that ended at `pc` goes on without a report.
    pub fn steps_on_at(self, pc: u64) -> bool {
        matches!(self, Resume::RangeStep { start, end } if (start..end).contains(&pc))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadState {
    /// Resumed; must be waited on, cannot be inspected.
    Running(Resume),
    /// Running, but asked to stop (PTRACE_INTERRUPT); its stop is due.
    Stopping(Resume),
    /// Just created; its first stop (PTRACE_EVENT_STOP) is due.
    Starting,
    /// In a ptrace stop: can be inspected and resumed.
    Stopped(Stop),
    /// Past its exit event and resumed to die: cannot be stopped, awaits reaping.
    Zombie,
}

impl ThreadState {
    /// Whether a wait status is still to come from this thread before it
    /// can be called stopped.
    pub fn is_running(self) -> bool {
        matches!(
            self,
            ThreadState::Running(_) | ThreadState::Stopping(_) | ThreadState::Starting
        )
    }
}

#[derive(Debug)]
pub struct Thread {
    pub tid: Tid,
    state: ThreadState,
}

impl Thread {
    pub fn new(tid: Tid, state: ThreadState) -> Thread {
        log::debug!("thread {tid}: new, {state:?}");
        Thread { tid, state }
    }

    pub fn state(&self) -> ThreadState {
        self.state
    }

    pub fn set_state(&mut self, new: ThreadState) {
        log::debug!("thread {}: {:?} -> {:?}", self.tid, self.state, new);
        self.state = new;
    }

    /// The pending stop event, if the client has yet to hear of one.
    pub fn pending(&self) -> Option<StopEvent> {
        match self.state {
            ThreadState::Stopped(Stop::Pending(event)) => Some(event),
            _ => None,
        }
    }

    /// Stopped with nothing left to report: free to run.
    pub fn is_resumable(&self) -> bool {
        matches!(
            self.state,
            ThreadState::Stopped(Stop::Quiet | Stop::Reported(_) | Stop::Held(_))
        )
    }
}
