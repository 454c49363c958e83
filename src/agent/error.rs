//! How a program fails: rejected when it is parsed, at the breakpoint's
//! insertion ([`ProgramError`], with [`FormatError`] for a printf format),
//! or failing at a hit ([`EvalError`], what went wrong being a [`Fault`]).
//! Offsets (`at`) are byte offsets in the program, as gdb compiled it.

use super::limits::{MAX_LEN, MAX_OUTPUT, MAX_STEPS, STACK_MAX};
use std::fmt;

/// Why `Program::parse` rejected a program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProgramError {
    /// No bytes at all (gdbserver: "empty agent expression").
    Empty,
    /// Longer than [`MAX_LEN`].
    TooLong { len: usize },
    /// A byte that is no opcode of the GDB manual's table.
    UnknownOpcode { at: usize, opcode: u8 },
    /// A valid opcode that gdbserver does not run either (the floating
    /// point ones and `trace16`): its evaluation would always fail.
    Unsupported { at: usize, opcode: u8 },
    /// The operands of the opcode at `at` run past the program's end.
    Truncated { at: usize, opcode: u8 },
    /// A jump to a byte that does not start an instruction, or that is
    /// outside the program.
    BadJump { at: usize, target: usize },
    /// The last instruction is neither `end` nor `goto`: execution could
    /// run past the program's end.
    NoEnd,
    /// The printf at `at` has a format that the agent cannot print.
    BadFormat { at: usize, error: FormatError },
}

/// Why a printf format was rejected (gdb's own words for most of them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FormatError {
    /// The format's length includes no terminating NUL.
    Unterminated,
    /// A backslash followed by this byte (0 at the format's end).
    BadEscape(u8),
    /// A `%` at the end of the format.
    Incomplete,
    /// `*` as a width or precision.
    Star,
    /// `%n`.
    PercentN,
    /// A conversion that printf does not know.
    Unrecognized(u8),
    /// Flags or a length that do not go with this conversion.
    BadModifiers(u8),
    /// A conversion gdb knows but the agent's printf does not print, as in
    /// gdbserver: floating point, `%p`, wide characters and strings.
    NotInAgent(u8),
    /// The format's conversions and the opcode's argument count differ.
    ArgumentCount { wanted: usize, given: u8 },
}

/// An evaluation that failed: the fault, and the offset of its instruction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    pub at: usize,
    pub fault: Fault,
}

/// What went wrong while evaluating.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// An instruction needed more entries than the stack held.
    StackUnderflow,
    /// A push beyond [`STACK_MAX`] entries.
    StackOverflow,
    /// `end` with an empty stack: a condition has no value.
    EmptyStack,
    /// `div_*` or `rem_*` by zero.
    DivisionByZero,
    /// Memory the program read (`ref*`, a printf `%s`) is unreadable.
    Memory { addr: u64, len: usize },
    /// `reg` named a register the thread does not have, or one wider
    /// than 64 bits.
    Register(usize),
    /// More than [`MAX_STEPS`] instructions: the program loops.
    StepLimit,
    /// printf would print more than [`MAX_OUTPUT`] bytes.
    OutputTooLong,
}

/// Either failure, for callers that parse and evaluate in one call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    Program(ProgramError),
    Eval(EvalError),
}

impl From<ProgramError> for Error {
    fn from(e: ProgramError) -> Self {
        Error::Program(e)
    }
}

impl From<EvalError> for Error {
    fn from(e: EvalError) -> Self {
        Error::Eval(e)
    }
}

impl fmt::Display for ProgramError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            ProgramError::Empty => write!(f, "empty agent expression"),
            ProgramError::TooLong { len } => {
                write!(f, "{len} bytes long, over the limit of {MAX_LEN}")
            }
            ProgramError::UnknownOpcode { at, opcode } => {
                write!(f, "unknown opcode 0x{opcode:02x} at byte {at}")
            }
            ProgramError::Unsupported { at, opcode } => write!(
                f,
                "opcode 0x{opcode:02x} at byte {at} is not supported \
                 (floating point and trace16: gdb does not generate them)"
            ),
            ProgramError::Truncated { at, opcode } => write!(
                f,
                "the operands of opcode 0x{opcode:02x} at byte {at} run past the end"
            ),
            ProgramError::BadJump { at, target } => write!(
                f,
                "the jump at byte {at} goes to byte {target}, where no instruction starts"
            ),
            ProgramError::NoEnd => write!(
                f,
                "the last instruction is neither end nor goto: execution could run past it"
            ),
            ProgramError::BadFormat { at, error } => {
                write!(f, "bad printf format at byte {at}: {error}")
            }
        }
    }
}

impl fmt::Display for FormatError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            FormatError::Unterminated => write!(f, "unterminated format string"),
            FormatError::BadEscape(c) => {
                write!(f, "unrecognized escape character \\{}", c.escape_ascii())
            }
            FormatError::Incomplete => {
                write!(f, "incomplete format specifier at end of format string")
            }
            FormatError::Star => write!(f, "'*' not supported for precision or width"),
            FormatError::PercentN => write!(f, "format specifier 'n' not supported"),
            FormatError::Unrecognized(c) => {
                write!(f, "unrecognized format specifier '{}'", c.escape_ascii())
            }
            FormatError::BadModifiers(c) => write!(
                f,
                "inappropriate modifiers to format specifier '{}'",
                c.escape_ascii()
            ),
            FormatError::NotInAgent(c) => write!(
                f,
                "format directive '{}' not supported in agent printf",
                c.escape_ascii()
            ),
            FormatError::ArgumentCount { wanted, given } => write!(
                f,
                "wrong number of arguments: the format wants {wanted}, the opcode passes {given}"
            ),
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Fault::StackUnderflow => write!(f, "stack underflow"),
            Fault::StackOverflow => write!(f, "stack overflow (over {STACK_MAX} entries)"),
            Fault::EmptyStack => write!(f, "the stack is empty at end: no value"),
            Fault::DivisionByZero => write!(f, "division by zero"),
            Fault::Memory { addr, len } => {
                write!(f, "cannot read {len} bytes of memory at 0x{addr:x}")
            }
            Fault::Register(regnum) => {
                write!(f, "no register {regnum} (or wider than 64 bits)")
            }
            Fault::StepLimit => write!(f, "over {MAX_STEPS} steps: the program loops"),
            Fault::OutputTooLong => write!(f, "printf output over {MAX_OUTPUT} bytes"),
        }
    }
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} at byte {}", self.fault, self.at)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        match self {
            Error::Program(e) => write!(f, "invalid agent expression: {e}"),
            Error::Eval(e) => write!(f, "agent expression failed: {e}"),
        }
    }
}

impl std::error::Error for ProgramError {}
impl std::error::Error for FormatError {}
impl std::error::Error for EvalError {}
impl std::error::Error for Error {}
