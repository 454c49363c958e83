//! rgdbserver: a gdbserver for Linux. The layers, top to bottom (each uses
//! only those below it):
//!
//! - [`cli`]: the gdbserver-compatible command line;
//! - [`server`]: transports, sessions and the event loop;
//! - [`target`]: the gdbstub adapter and our own packets in front of it;
//! - [`arch`]: register layouts and target descriptions;
//! - [`inferior`]: the traced process, its threads, all-stop, breakpoints;
//! - [`sys`]: thin typed wrappers over the kernel (the only `unsafe`).

pub mod arch;
pub mod cli;
pub mod inferior;
pub mod server;
pub mod sys;
pub mod target;
