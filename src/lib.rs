//! rgdbserver: a gdbserver for Linux. The layers, top to bottom (each uses
//! only those below it):
//!
//! - [`cli`]: the gdbserver-compatible command line;
//! - [`server`]: transports, sessions and the event loop;
//! - [`rsp`]: the Remote Serial Protocol: one dispatch, our packets and
//!   gdbstub's engine for the rest, over one debugging target;
//! - [`inferior`]: the traced processes, their threads, all-stop, breakpoints;
//! - [`agent`]: the agent expression interpreter (breakpoint conditions and
//!   dprintf compiled by gdb to bytecode); pure, it uses nothing of the crate;
//! - [`arch`]: register layouts and target descriptions;
//! - [`sys`]: thin typed wrappers over the kernel (the only `unsafe`);
//! - [`console`]: the status lines any layer may print;
//! - [`debug_output`]: the logger behind every layer's debugging output.

pub mod agent;
pub mod arch;
pub mod cli;
pub mod console;
pub mod debug_output;
pub mod inferior;
pub mod rsp;
pub mod server;
pub mod sys;

#[cfg(test)]
mod layering;
