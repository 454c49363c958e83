//! Signal plumbing for the event loop: SIGCHLD (and the signals that end
//! the server) arrive as a readable fd.
//!
//! A signalfd sees a signal only while it is blocked in *every* thread, so
//! [`block_in_this_thread`] must run in `main` before any thread is spawned
//! (threads inherit the mask).

use super::Errno;
use nix::sys::signal::{SigSet, Signal};
use nix::sys::signalfd::{SfdFlags, SignalFd};
use std::os::fd::AsRawFd;

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
///
/// The handled signals are standard ones, queued at most once each, so one
/// read with room for all of them empties the fd: no read to EAGAIN.
pub fn drain(fd: &SignalFd) -> Vec<i32> {
    const RECORD: usize = std::mem::size_of::<libc::signalfd_siginfo>();
    let mut buf = [0u8; 4 * RECORD];
    let n = nix::unistd::read(fd.as_raw_fd(), &mut buf).unwrap_or(0);
    buf[..n]
        .chunks_exact(RECORD)
        // ssi_signo is the record's first field, a u32.
        .map(|record| u32::from_ne_bytes([record[0], record[1], record[2], record[3]]) as i32)
        .collect()
}
