//! Thin typed wrappers over the kernel interfaces the debugger needs:
//! ptrace, waitpid, signalfd, process_vm_readv, /proc and fork/exec.
//!
//! Every `unsafe` block of the project lives in this module, each with a
//! `// SAFETY:` line. Above this layer, a tracee that vanished is an
//! ordinary error value (`Errno::ESRCH`), never a panic.

pub mod host;
pub mod memory;
pub mod procfs;
pub mod ptrace;
pub mod signals;
pub mod spawn;
pub mod terminal;
pub mod wait;

pub use nix::errno::Errno;

/// A kernel thread id (equal to the process id for the thread-group leader).
pub type Tid = i32;
