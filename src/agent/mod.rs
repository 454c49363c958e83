//! The agent expression interpreter (GDB manual, "Agent Expressions"). gdb
//! compiles a breakpoint's condition to bytecode and sends it with the
//! breakpoint (`Z0,addr,kind;X len,bytes`, feature
//! `ConditionalBreakpoints+`), and a `dprintf-style agent` dprintf as a
//! printf program (`;cmds:persist,X len,bytes`, `BreakpointCommands+`).
//! Run in the server, a false condition costs no round trip to gdb.
//!
//! Pure: it uses nothing of the crate. The model gives it the stopped
//! thread through a [`Machine`] (registers by GDB number, memory) and the
//! trace state variables in a [`Variables`] store it keeps.
//!
//! Two steps, so that a hit parses nothing and allocates nothing:
//! - [`Program::parse`], once, when the breakpoint is inserted, decodes
//!   and validates the bytes: every opcode known and supported, operands
//!   inside the program, jumps onto instruction starts, an `end` or `goto`
//!   last (execution cannot run off the end), printf formats the agent
//!   can print with the right argument count, at most [`MAX_LEN`] bytes.
//! - [`Program::condition`] (or [`Program::evaluate`] for a command), at
//!   each hit: a loop over the decoded instructions with a fixed stack of
//!   [`STACK_MAX`] entries, checked at each instruction, and at most
//!   [`MAX_STEPS`] steps (a backward jump can loop); printf appends to the
//!   caller's buffer, at most [`MAX_OUTPUT`] bytes. A bad program ends in
//!   an error, never a panic or a hang. [`evaluate`] does both steps in
//!   one call: a fuzzer's entry point.
//!
//! Opcodes as gdbserver runs them: the floating point ones and `trace16`
//! are valid but gdbserver fails on them ("valid, but not handled"): they
//! are rejected here at parse time. The other trace opcodes record into a
//! trace frame, and at a breakpoint there is none: gdbserver's collection
//! then does nothing, so they keep only their stack effects here too.
//! Reading an undefined trace state variable gives 0, setting one does
//! nothing, as in gdbserver.
//!
//! What gdbserver tells gdb, and so what the integration should do:
//! - **At insertion** gdbserver only decodes the hex; it never rejects
//!   bytecode, and replies `OK`. A program [`Program::parse`] rejects
//!   would fail at every hit it reaches, so keep the breakpoint
//!   unconditional (every hit reported, gdb decides), reply `OK`, and
//!   warn on stderr as gdbserver does for a condition it cannot take
//!   ("Condition evaluation failed. Assuming unconditional."), with the
//!   [`ProgramError`]. A rejected command is dropped with a warning.
//! - **A condition that fails at a hit** counts as true ("this forces GDB
//!   to reevaluate the conditions", gdbserver's mem-break.cc): the hit is
//!   reported as an ordinary breakpoint stop, with no error packet. gdb
//!   keeps the condition and evaluates it again on its side, so the user
//!   gets gdb's verdict, or gdb's own error ("Error in testing condition
//!   for breakpoint N: ...") and a stop. The [`EvalError`] goes to the
//!   server's log only (gdbserver prints it only with `--debug`). Several
//!   conditions at one address are or'ed: evaluate them in turn, up to
//!   the first true one or the first error.
//! - **Commands** (dprintf) run in order at a hit, up to the first error;
//!   what printf printed goes to the server's stdout, as gdbserver's
//!   printf does. gdbserver reports a hit to gdb only if its condition
//!   holds and the breakpoint has no commands. A dprintf program leaves
//!   its stack empty: [`Program::evaluate`] gives `Ok(None)`, a success
//!   (gdbserver calls it "empty stack" and ignores it).

mod bytecode;
mod error;
mod eval;
mod limits;
mod machine;
mod printf;

pub use bytecode::{op, Program};
pub use error::{Error, EvalError, Fault, FormatError, ProgramError};
pub use eval::evaluate;
pub use limits::{MAX_LEN, MAX_OUTPUT, MAX_STEPS, STACK_MAX};
pub use machine::{Machine, Variables};

#[cfg(test)]
mod tests;
