//! The bounds that keep what a program costs small and known in advance,
//! whatever bytes gdb (or a fuzzer) sends: its size, its stack, its steps
//! and what its printf may print.

/// The longest program accepted, in bytes: jump targets and printf
/// format lengths are 16-bit, so nothing gdb compiles needs more (a
/// condition is tens of bytes, a dprintf its format and a few more).
pub const MAX_LEN: usize = 0x10000;

/// Stack entries, as gdbserver's `STACK_MAX`: a fixed array, so an
/// evaluation allocates nothing for its stack.
pub const STACK_MAX: usize = 100;

/// Instructions executed per evaluation. A program without a backward jump
/// runs each of its at most `MAX_LEN` instructions once at most, so only a
/// loop reaches this: it ends in an error instead of hanging the server.
pub const MAX_STEPS: usize = MAX_LEN;

/// Bytes that one evaluation's printf opcodes may print in all: it bounds
/// a `%s` of a string with no end and a printf in a loop.
pub const MAX_OUTPUT: usize = 0x10000;
