//! The debugging model: the traced processes, their threads and their
//! state machine, all-stop, breakpoints and memory. Knows nothing of the protocol
//! or of sockets, so it can be driven and tested without a client.

mod attach;
mod breakpoint_logic;
mod breakpoints;
pub mod debug_registers;
mod elf;
mod inferiors;
mod launch;
pub mod libraries;
mod process;
#[cfg(test)]
mod tests;
mod thread;
pub mod tls;
pub mod tracer;

/// What /proc says of a process, as the model hands it on.
pub use crate::sys::procfs::{Ids, Mapping, ProcessStatus};
pub use attach::{attach, executable_of};
pub use breakpoint_logic::BreakpointLogic;
pub use inferiors::{Inferior, Inferiors, Origin};
pub use launch::{launch, LaunchSettings};
pub use libraries::{Library, LinkMaps, ListFrom};
pub use process::{Action, Process, Report, ResumePlan};
pub use thread::{Resume, StopEvent};

use crate::sys::{Errno, Tid};
use std::fmt;

#[derive(Debug)]
pub enum Error {
    /// No such thread: never was, or has exited.
    NoSuchThread(Tid),
    /// The thread is running or dying and cannot be inspected now.
    NotStopped(Tid),
    /// The request needs every thread stopped, and the process is running.
    ProcessRunning,
    /// The request needs the process running, and it is stopped.
    NotRunning,
    /// A memory access at `addr` failed.
    Memory { addr: u64, errno: Errno },
    /// A system call on thread `tid` failed.
    Sys {
        what: &'static str,
        tid: Tid,
        errno: Errno,
    },
    /// The program could not be started.
    Launch(String),
    /// The process has exited; nothing is left to debug.
    Gone,
    /// A hardware breakpoint or watchpoint that cannot be set.
    Hardware(debug_registers::HwError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoSuchThread(tid) => write!(f, "no thread {tid}"),
            Error::NotStopped(tid) => write!(f, "thread {tid} is not stopped"),
            Error::ProcessRunning => write!(f, "the process is running"),
            Error::NotRunning => write!(f, "the process is not running"),
            Error::Memory { addr, errno } => {
                write!(f, "cannot access memory at {addr:#x}: {errno}")
            }
            Error::Sys { what, tid, errno } => write!(f, "{what} on thread {tid}: {errno}"),
            Error::Launch(msg) => f.write_str(msg),
            Error::Gone => write!(f, "the process has exited"),
            Error::Hardware(debug_registers::HwError::NoSlots) => {
                write!(f, "all four debug registers are in use")
            }
            Error::Hardware(debug_registers::HwError::BadLength) => write!(
                f,
                "x86 debug registers watch 1 to 32 bytes, and break on 1-byte instructions"
            ),
        }
    }
}

impl std::error::Error for Error {}
