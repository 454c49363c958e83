//! Signal plumbing for the event loop: SIGCHLD (and the signals that end
//! the server) arrive as a readable fd.
//!
//! A signalfd sees a signal only while it is blocked in *every* thread, so
//! [`block_in_this_thread`] must run in `main` before any thread is spawned
//! (threads inherit the mask).

use super::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};

/// The signals the server handles through its event loop: SIGCHLD for
/// tracee events, and the ones that ask it to clean up and exit.
pub fn handled_signals() -> SigSet {
    let mut set = SigSet::empty();
    for signal in [
        Signal::SIGCHLD,
        Signal::SIGTERM,
        Signal::SIGINT,
        Signal::SIGHUP,
    ] {
        set.add(signal);
    }
    set
}

pub fn block_in_this_thread(set: &SigSet) -> Result<(), Errno> {
    set.thread_block()
}

/// A non-blocking signalfd for `set`; drain it with [`drain`] on readiness.
pub fn signal_fd(set: &SigSet) -> Result<SignalFd, Errno> {
    SignalFd::with_flags(set, SfdFlags::SFD_NONBLOCK | SfdFlags::SFD_CLOEXEC)
}

/// Read every queued signal; returns their numbers. One SIGCHLD can stand
/// for many child state changes, so callers then drain waitpid as well.
pub fn drain(fd: &SignalFd) -> Vec<i32> {
    let mut seen = Vec::new();
    while let Ok(Some(info)) = fd.read_signal() {
        seen.push(info.ssi_signo as i32);
    }
    seen
}
