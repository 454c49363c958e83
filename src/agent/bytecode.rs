//! Parsing a program once, when its breakpoint is inserted: the opcode
//! table of the GDB manual ("Bytecode Descriptions"), each instruction
//! decoded with its operands, every jump checked and resolved to an
//! instruction index, every printf format parsed. What evaluation then
//! sees can only go wrong at run time (the stack, memory, registers,
//! division by zero, loops), and needs no decoding.
//!
//! Operands follow the opcode, big-endian (the manual's rule); a jump's
//! operand is a byte offset from the program's start.

use super::error::{FormatError, ProgramError};
use super::limits::MAX_LEN;
use super::printf::Format;

/// The opcodes, by their numbers in the GDB manual and gdb's `ax.def`.
pub mod op {
    pub const FLOAT: u8 = 0x01;
    pub const ADD: u8 = 0x02;
    pub const SUB: u8 = 0x03;
    pub const MUL: u8 = 0x04;
    pub const DIV_SIGNED: u8 = 0x05;
    pub const DIV_UNSIGNED: u8 = 0x06;
    pub const REM_SIGNED: u8 = 0x07;
    pub const REM_UNSIGNED: u8 = 0x08;
    pub const LSH: u8 = 0x09;
    pub const RSH_SIGNED: u8 = 0x0a;
    pub const RSH_UNSIGNED: u8 = 0x0b;
    pub const TRACE: u8 = 0x0c;
    pub const TRACE_QUICK: u8 = 0x0d;
    pub const LOG_NOT: u8 = 0x0e;
    pub const BIT_AND: u8 = 0x0f;
    pub const BIT_OR: u8 = 0x10;
    pub const BIT_XOR: u8 = 0x11;
    pub const BIT_NOT: u8 = 0x12;
    pub const EQUAL: u8 = 0x13;
    pub const LESS_SIGNED: u8 = 0x14;
    pub const LESS_UNSIGNED: u8 = 0x15;
    pub const EXT: u8 = 0x16;
    pub const REF8: u8 = 0x17;
    pub const REF16: u8 = 0x18;
    pub const REF32: u8 = 0x19;
    pub const REF64: u8 = 0x1a;
    pub const REF_FLOAT: u8 = 0x1b;
    pub const REF_DOUBLE: u8 = 0x1c;
    pub const REF_LONG_DOUBLE: u8 = 0x1d;
    pub const L_TO_D: u8 = 0x1e;
    pub const D_TO_L: u8 = 0x1f;
    pub const IF_GOTO: u8 = 0x20;
    pub const GOTO: u8 = 0x21;
    pub const CONST8: u8 = 0x22;
    pub const CONST16: u8 = 0x23;
    pub const CONST32: u8 = 0x24;
    pub const CONST64: u8 = 0x25;
    pub const REG: u8 = 0x26;
    pub const END: u8 = 0x27;
    pub const DUP: u8 = 0x28;
    pub const POP: u8 = 0x29;
    pub const ZERO_EXT: u8 = 0x2a;
    pub const SWAP: u8 = 0x2b;
    pub const GETV: u8 = 0x2c;
    pub const SETV: u8 = 0x2d;
    pub const TRACEV: u8 = 0x2e;
    pub const TRACENZ: u8 = 0x2f;
    pub const TRACE16: u8 = 0x30;
    // 0x31 is `invalid2`: reserved, never valid.
    pub const PICK: u8 = 0x32;
    pub const ROT: u8 = 0x33;
    pub const PRINTF: u8 = 0x34;
}

/// One decoded instruction, named as in the manual. Stack effects are in
/// eval.rs; operands are decoded here.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Insn {
    Add,
    Sub,
    Mul,
    DivSigned,
    DivUnsigned,
    RemSigned,
    RemUnsigned,
    Lsh,
    RshSigned,
    RshUnsigned,
    LogNot,
    BitAnd,
    BitOr,
    BitXor,
    BitNot,
    Equal,
    LessSigned,
    LessUnsigned,
    /// Sign-extend from this many bits.
    Ext(u8),
    /// Zero-extend from this many bits.
    ZeroExt(u8),
    /// Read this many bytes (1, 2, 4 or 8) at the address on top.
    Ref(usize),
    /// Jump, if the popped top is non-zero, to this instruction index.
    IfGoto(usize),
    /// Jump to this instruction index.
    Goto(usize),
    /// Push this value (`const8` to `const64`, zero-extended).
    Const(u64),
    /// Push this register.
    Reg(usize),
    End,
    Dup,
    Pop,
    Swap,
    /// Copy the entry this deep (0 is the top) to the top.
    Pick(u8),
    Rot,
    GetV(u16),
    SetV(u16),
    // The trace opcodes record into a trace frame; at a breakpoint there
    // is none, and gdbserver's collection then silently does nothing, so
    // only their stack effects remain (see eval.rs).
    Trace,
    TraceQuick,
    TraceV,
    TraceNz,
    Printf {
        nargs: u8,
        format: Box<Format>,
    },
}

/// A validated program, ready to evaluate at every hit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    pub(super) insns: Vec<Insn>,
    /// The byte offset of each instruction, for errors.
    pub(super) offsets: Vec<usize>,
}

impl Program {
    /// Decode and validate `code`, the bytes gdb sent after `X len,`.
    pub fn parse(code: &[u8]) -> Result<Program, ProgramError> {
        if code.is_empty() {
            return Err(ProgramError::Empty);
        }
        if code.len() > MAX_LEN {
            return Err(ProgramError::TooLong { len: code.len() });
        }
        let mut insns = Vec::new();
        let mut offsets = Vec::new();
        let mut at = 0;
        while at < code.len() {
            let (insn, size) = decode(code, at)?;
            insns.push(insn);
            offsets.push(at);
            at += size;
        }
        // Every other instruction goes on to the next one: with one of
        // these last, execution never runs past the end.
        if !matches!(insns.last(), Some(Insn::End | Insn::Goto(_))) {
            return Err(ProgramError::NoEnd);
        }
        for (insn, &at) in insns.iter_mut().zip(&offsets) {
            if let Insn::IfGoto(target) | Insn::Goto(target) = insn {
                *target = offsets
                    .binary_search(target)
                    .map_err(|_| ProgramError::BadJump {
                        at,
                        target: *target,
                    })?;
            }
        }
        Ok(Program { insns, offsets })
    }
}

/// The `size` bytes after `from`, big-endian.
fn operand(code: &[u8], from: usize, size: usize) -> Option<u64> {
    let bytes = code.get(from..from.checked_add(size)?)?;
    Some(bytes.iter().fold(0, |n, &b| n << 8 | u64::from(b)))
}

/// The instruction at `at` and its size in bytes. Jump targets are still
/// byte offsets.
fn decode(code: &[u8], at: usize) -> Result<(Insn, usize), ProgramError> {
    let opcode = code[at];
    let truncated = ProgramError::Truncated { at, opcode };
    // The operand of `size` bytes, and the instruction's size with it.
    let with = |size: usize| {
        operand(code, at + 1, size)
            .map(|n| (n, 1 + size))
            .ok_or(truncated.clone())
    };
    let simple = |insn| Ok((insn, 1));
    match opcode {
        op::ADD => simple(Insn::Add),
        op::SUB => simple(Insn::Sub),
        op::MUL => simple(Insn::Mul),
        op::DIV_SIGNED => simple(Insn::DivSigned),
        op::DIV_UNSIGNED => simple(Insn::DivUnsigned),
        op::REM_SIGNED => simple(Insn::RemSigned),
        op::REM_UNSIGNED => simple(Insn::RemUnsigned),
        op::LSH => simple(Insn::Lsh),
        op::RSH_SIGNED => simple(Insn::RshSigned),
        op::RSH_UNSIGNED => simple(Insn::RshUnsigned),
        op::TRACE => simple(Insn::Trace),
        op::TRACE_QUICK => with(1).map(|(_, size)| (Insn::TraceQuick, size)),
        op::LOG_NOT => simple(Insn::LogNot),
        op::BIT_AND => simple(Insn::BitAnd),
        op::BIT_OR => simple(Insn::BitOr),
        op::BIT_XOR => simple(Insn::BitXor),
        op::BIT_NOT => simple(Insn::BitNot),
        op::EQUAL => simple(Insn::Equal),
        op::LESS_SIGNED => simple(Insn::LessSigned),
        op::LESS_UNSIGNED => simple(Insn::LessUnsigned),
        op::EXT => with(1).map(|(n, size)| (Insn::Ext(n as u8), size)),
        op::REF8 => simple(Insn::Ref(1)),
        op::REF16 => simple(Insn::Ref(2)),
        op::REF32 => simple(Insn::Ref(4)),
        op::REF64 => simple(Insn::Ref(8)),
        op::IF_GOTO => with(2).map(|(n, size)| (Insn::IfGoto(n as usize), size)),
        op::GOTO => with(2).map(|(n, size)| (Insn::Goto(n as usize), size)),
        op::CONST8 => with(1).map(|(n, size)| (Insn::Const(n), size)),
        op::CONST16 => with(2).map(|(n, size)| (Insn::Const(n), size)),
        op::CONST32 => with(4).map(|(n, size)| (Insn::Const(n), size)),
        op::CONST64 => with(8).map(|(n, size)| (Insn::Const(n), size)),
        op::REG => with(2).map(|(n, size)| (Insn::Reg(n as usize), size)),
        op::END => simple(Insn::End),
        op::DUP => simple(Insn::Dup),
        op::POP => simple(Insn::Pop),
        op::ZERO_EXT => with(1).map(|(n, size)| (Insn::ZeroExt(n as u8), size)),
        op::SWAP => simple(Insn::Swap),
        op::GETV => with(2).map(|(n, size)| (Insn::GetV(n as u16), size)),
        op::SETV => with(2).map(|(n, size)| (Insn::SetV(n as u16), size)),
        op::TRACEV => with(2).map(|(_, size)| (Insn::TraceV, size)),
        op::TRACENZ => simple(Insn::TraceNz),
        op::PICK => with(1).map(|(n, size)| (Insn::Pick(n as u8), size)),
        op::ROT => simple(Insn::Rot),
        op::PRINTF => decode_printf(code, at).map_err(|e| e.unwrap_or(truncated)),
        // Valid, but gdb never generates them and gdbserver fails on them.
        op::FLOAT
        | op::REF_FLOAT
        | op::REF_DOUBLE
        | op::REF_LONG_DOUBLE
        | op::L_TO_D
        | op::D_TO_L
        | op::TRACE16 => Err(ProgramError::Unsupported { at, opcode }),
        _ => Err(ProgramError::UnknownOpcode { at, opcode }),
    }
}

/// `printf nargs len format`: the argument count (one byte), the format's
/// length (two bytes, its NUL included) and the format. `Err(None)` if it
/// runs past the end.
fn decode_printf(code: &[u8], at: usize) -> Result<(Insn, usize), Option<ProgramError>> {
    let nargs = operand(code, at + 1, 1).ok_or(None)? as u8;
    let len = operand(code, at + 2, 2).ok_or(None)? as usize;
    let format = code.get(at + 4..at + 4 + len).ok_or(None)?;
    let bad = |error| Some(ProgramError::BadFormat { at, error });
    // gdbserver gives up on a format whose last byte is not its NUL.
    let Some((&0, text)) = format.split_last() else {
        return Err(bad(FormatError::Unterminated));
    };
    // A C string: it ends at its first NUL.
    let text = text.split(|&b| b == 0).next().unwrap_or_default();
    let format = Format::parse(text, nargs).map_err(bad)?;
    let insn = Insn::Printf {
        nargs,
        format: Box::new(format),
    };
    Ok((insn, 4 + len))
}
