//! waitpid(2) and the decoding of its status word, done once, here.
//!
//! The rest of the program sees only [`WaitStatus`], a closed enum named
//! after the stop kinds of ptrace(2). `WIFSTOPPED` and friends appear in this
//! file only.

use super::{Errno, Tid};

/// A ptrace event stop (`status >> 16`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PtraceEvent {
    Clone,
    Fork,
    Vfork,
    VforkDone,
    Exec,
    /// The thread is about to exit; it can still be inspected.
    Exit,
    /// PTRACE_EVENT_STOP: an interrupt stop, a group stop of a seized
    /// tracee, or the first stop of an auto-attached new thread.
    Stop,
    Seccomp,
}

/// What one waitpid(2) result means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitStatus {
    /// The thread exited with this status (for a thread-group leader this is
    /// the process's exit code).
    Exited { tid: Tid, code: i32 },
    /// The thread was killed by a signal.
    Killed { tid: Tid, signal: i32 },
    /// Signal-delivery-stop: the thread is about to receive `signal`.
    SignalStop { tid: Tid, signal: i32 },
    /// A PTRACE_EVENT stop; `signal` is the stop signal the kernel reports
    /// with it (SIGTRAP, or the group-stop signal for PTRACE_EVENT_STOP).
    Event {
        tid: Tid,
        event: PtraceEvent,
        signal: i32,
    },
    /// A syscall-enter or syscall-exit stop (PTRACE_O_TRACESYSGOOD).
    SyscallStop { tid: Tid },
}

impl WaitStatus {
    pub fn tid(&self) -> Tid {
        match *self {
            WaitStatus::Exited { tid, .. }
            | WaitStatus::Killed { tid, .. }
            | WaitStatus::SignalStop { tid, .. }
            | WaitStatus::Event { tid, .. }
            | WaitStatus::SyscallStop { tid } => tid,
        }
    }

    /// Decode a raw status word. `None` for statuses a tracer never sees
    /// (continued); they carry nothing to act on.
    pub fn decode(tid: Tid, status: i32) -> Option<WaitStatus> {
        if libc::WIFEXITED(status) {
            return Some(WaitStatus::Exited {
                tid,
                code: libc::WEXITSTATUS(status),
            });
        }
        if libc::WIFSIGNALED(status) {
            return Some(WaitStatus::Killed {
                tid,
                signal: libc::WTERMSIG(status),
            });
        }
        if !libc::WIFSTOPPED(status) {
            return None;
        }
        let signal = libc::WSTOPSIG(status);
        if signal == libc::SIGTRAP | 0x80 {
            return Some(WaitStatus::SyscallStop { tid });
        }
        let event = match status >> 16 {
            0 => return Some(WaitStatus::SignalStop { tid, signal }),
            libc::PTRACE_EVENT_CLONE => PtraceEvent::Clone,
            libc::PTRACE_EVENT_FORK => PtraceEvent::Fork,
            libc::PTRACE_EVENT_VFORK => PtraceEvent::Vfork,
            libc::PTRACE_EVENT_VFORK_DONE => PtraceEvent::VforkDone,
            libc::PTRACE_EVENT_EXEC => PtraceEvent::Exec,
            libc::PTRACE_EVENT_EXIT => PtraceEvent::Exit,
            libc::PTRACE_EVENT_STOP => PtraceEvent::Stop,
            libc::PTRACE_EVENT_SECCOMP => PtraceEvent::Seccomp,
            other => {
                log::warn!("thread {tid}: unknown ptrace event {other}, treated as a signal stop");
                return Some(WaitStatus::SignalStop { tid, signal });
            }
        };
        Some(WaitStatus::Event { tid, event, signal })
    }
}

/// Collect one pending wait status of any of this thread's tracees, without
/// blocking. `Ok(None)` when nothing is pending (or there are no tracees).
///
/// `__WNOTHREAD` keeps one session thread from reaping another session's
/// tracees; `__WALL` includes clone children (threads).
pub fn poll_any() -> Result<Option<WaitStatus>, Errno> {
    wait_raw(-1, libc::WNOHANG)
}

/// Block until `tid` reports a status. Used only where the thread is known
/// to report promptly (after SIGKILL, after a single-step of a stopped process).
pub fn wait_for(tid: Tid) -> Result<Option<WaitStatus>, Errno> {
    wait_raw(tid, 0)
}

fn wait_raw(pid: Tid, flags: libc::c_int) -> Result<Option<WaitStatus>, Errno> {
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: `status` is a valid, writable c_int for the call's duration.
        let ret =
            unsafe { libc::waitpid(pid, &mut status, flags | libc::__WALL | libc::__WNOTHREAD) };
        match ret {
            0 => return Ok(None),
            -1 => match Errno::last() {
                Errno::EINTR => continue,
                Errno::ECHILD => return Ok(None),
                e => return Err(e),
            },
            tid => {
                let decoded = WaitStatus::decode(tid, status);
                log::trace!("waitpid -> {tid}: {status:#x} = {decoded:?}");
                match decoded {
                    Some(ws) => return Ok(Some(ws)),
                    None => continue,
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Status words as the kernel builds them.
    fn stopped(sig: i32, event: i32) -> i32 {
        (event << 16) | (sig << 8) | 0x7f
    }

    #[test]
    fn decodes_every_kind() {
        assert_eq!(
            WaitStatus::decode(5, 7 << 8),
            Some(WaitStatus::Exited { tid: 5, code: 7 })
        );
        assert_eq!(
            WaitStatus::decode(5, libc::SIGSEGV),
            Some(WaitStatus::Killed {
                tid: 5,
                signal: libc::SIGSEGV
            })
        );
        assert_eq!(
            WaitStatus::decode(5, stopped(libc::SIGTRAP, 0)),
            Some(WaitStatus::SignalStop {
                tid: 5,
                signal: libc::SIGTRAP
            })
        );
        assert_eq!(
            WaitStatus::decode(5, stopped(libc::SIGTRAP, libc::PTRACE_EVENT_CLONE)),
            Some(WaitStatus::Event {
                tid: 5,
                event: PtraceEvent::Clone,
                signal: libc::SIGTRAP
            })
        );
        assert_eq!(
            WaitStatus::decode(5, stopped(libc::SIGSTOP, libc::PTRACE_EVENT_STOP)),
            Some(WaitStatus::Event {
                tid: 5,
                event: PtraceEvent::Stop,
                signal: libc::SIGSTOP
            })
        );
        assert_eq!(
            WaitStatus::decode(5, stopped(libc::SIGTRAP | 0x80, 0)),
            Some(WaitStatus::SyscallStop { tid: 5 })
        );
        // "continued" is never acted on
        assert_eq!(WaitStatus::decode(5, 0xffff), None);
    }
}
