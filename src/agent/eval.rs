//! Evaluating a parsed program at a hit: a loop over its decoded
//! instructions with a fixed stack, no allocation (printf grows only the
//! caller's buffer), each instruction's stack needs checked, and at most
//! `MAX_STEPS` steps. Arithmetic is on 64-bit words and wraps, as
//! gdbserver's does on its `ULONGEST`s; where C leaves gdbserver undefined
//! (shifts of 64 or more, `ext 0`), the result is defined here and said.

use super::bytecode::{Insn, Program};
use super::error::{Error, EvalError, Fault};
use super::limits::{MAX_STEPS, STACK_MAX};
use super::machine::{Machine, Variables};
use super::printf::Output;

impl Program {
    /// Evaluate a condition: true if the value left on top is non-zero.
    /// An empty stack at `end` is an error, as in gdbserver. printf
    /// output, if the program has any, is appended to `output`.
    pub fn condition<M: Machine + ?Sized>(
        &self,
        machine: &mut M,
        variables: &mut Variables,
        output: &mut Vec<u8>,
    ) -> Result<bool, EvalError> {
        let value = self.execute(machine, variables, output, true)?;
        Ok(value.is_some_and(|v| v != 0))
    }

    /// Evaluate a command (a dprintf's printf): the value left on top, if
    /// any. printf output is appended to `output`, at most `MAX_OUTPUT`
    /// bytes; after an error it holds what was printed before.
    pub fn evaluate<M: Machine + ?Sized>(
        &self,
        machine: &mut M,
        variables: &mut Variables,
        output: &mut Vec<u8>,
    ) -> Result<Option<u64>, EvalError> {
        self.execute(machine, variables, output, false)
    }

    fn execute<M: Machine + ?Sized>(
        &self,
        machine: &mut M,
        variables: &mut Variables,
        output: &mut Vec<u8>,
        need_value: bool,
    ) -> Result<Option<u64>, EvalError> {
        let mut cpu = Cpu {
            stack: Stack {
                slots: [0; STACK_MAX],
                len: 0,
            },
            machine,
            variables,
            out: Output::new(output),
            need_value,
        };
        // Parsing made every jump target an index and put an end or goto
        // last, so `pc` always indexes an instruction.
        let mut pc = 0;
        for _ in 0..MAX_STEPS {
            match cpu.step(&self.insns[pc]) {
                Ok(Flow::Next) => pc += 1,
                Ok(Flow::Jump(target)) => pc = target,
                Ok(Flow::End(value)) => return Ok(value),
                Err(fault) => return Err(self.error(pc, fault)),
            }
        }
        Err(self.error(pc, Fault::StepLimit))
    }

    fn error(&self, pc: usize, fault: Fault) -> EvalError {
        EvalError {
            at: self.offsets[pc],
            fault,
        }
    }
}

/// Parse `code` and evaluate it with no trace state variables, dropping
/// printf's output: one call for a fuzzer, or a quick check.
pub fn evaluate<M: Machine + ?Sized>(code: &[u8], machine: &mut M) -> Result<Option<u64>, Error> {
    let program = Program::parse(code)?;
    let value = program.evaluate(machine, &mut Variables::new(), &mut Vec::new())?;
    Ok(value)
}

/// What to run after an instruction.
enum Flow {
    Next,
    Jump(usize),
    End(Option<u64>),
}

/// The state of one evaluation.
struct Cpu<'a, M: ?Sized> {
    stack: Stack,
    machine: &'a mut M,
    variables: &'a mut Variables,
    out: Output<'a>,
    need_value: bool,
}

impl<M: Machine + ?Sized> Cpu<'_, M> {
    /// Run one instruction. Stack effects are the manual's, written
    /// bottom to top: `a b => a-b` pops b, then a, and pushes a-b.
    fn step(&mut self, insn: &Insn) -> Result<Flow, Fault> {
        let stack = &mut self.stack;
        match insn {
            Insn::Add => stack.binary(|a, b| Ok(a.wrapping_add(b)))?,
            Insn::Sub => stack.binary(|a, b| Ok(a.wrapping_sub(b)))?,
            Insn::Mul => stack.binary(|a, b| Ok(a.wrapping_mul(b)))?,
            Insn::DivSigned => {
                stack.binary(|a, b| Ok((a as i64).wrapping_div(nonzero(b)? as i64) as u64))?
            }
            Insn::DivUnsigned => stack.binary(|a, b| Ok(a / nonzero(b)?))?,
            Insn::RemSigned => {
                stack.binary(|a, b| Ok((a as i64).wrapping_rem(nonzero(b)? as i64) as u64))?
            }
            Insn::RemUnsigned => stack.binary(|a, b| Ok(a % nonzero(b)?))?,
            // A shift by 64 or more shifts every bit out.
            Insn::Lsh => stack.binary(|a, b| Ok(shift(b).map_or(0, |n| a << n)))?,
            Insn::RshSigned => {
                stack.binary(|a, b| Ok(((a as i64) >> shift(b).unwrap_or(63)) as u64))?
            }
            Insn::RshUnsigned => stack.binary(|a, b| Ok(shift(b).map_or(0, |n| a >> n)))?,
            Insn::LogNot => stack.unary(|a| u64::from(a == 0))?,
            Insn::BitAnd => stack.binary(|a, b| Ok(a & b))?,
            Insn::BitOr => stack.binary(|a, b| Ok(a | b))?,
            Insn::BitXor => stack.binary(|a, b| Ok(a ^ b))?,
            Insn::BitNot => stack.unary(|a| !a)?,
            Insn::Equal => stack.binary(|a, b| Ok(u64::from(a == b)))?,
            Insn::LessSigned => stack.binary(|a, b| Ok(u64::from((a as i64) < (b as i64))))?,
            Insn::LessUnsigned => stack.binary(|a, b| Ok(u64::from(a < b)))?,
            Insn::Ext(bits) => stack.unary(|a| sign_extend(a, *bits))?,
            Insn::ZeroExt(bits) => stack.unary(|a| zero_extend(a, *bits))?,
            Insn::Ref(size) => {
                let top = stack.top()?;
                *top = read(&mut *self.machine, *top, *size)?;
            }
            Insn::IfGoto(target) => {
                if stack.pop()? != 0 {
                    return Ok(Flow::Jump(*target));
                }
            }
            Insn::Goto(target) => return Ok(Flow::Jump(*target)),
            Insn::Const(value) => stack.push(*value)?,
            Insn::Reg(regnum) => {
                let value = self.machine.register(*regnum);
                stack.push(value.ok_or(Fault::Register(*regnum))?)?;
            }
            Insn::End => {
                let value = stack.top().ok().map(|top| *top);
                if value.is_none() && self.need_value {
                    return Err(Fault::EmptyStack);
                }
                return Ok(Flow::End(value));
            }
            Insn::Dup => {
                let top = *stack.top()?;
                stack.push(top)?;
            }
            Insn::Pop => stack.discard(1)?,
            Insn::Swap => stack.top_n(2)?.swap(0, 1),
            // a_n ... a_0 => a_n ... a_0 a_n
            Insn::Pick(depth) => {
                let entry = stack.top_n(usize::from(*depth) + 1)?[0];
                stack.push(entry)?;
            }
            // a b c => c a b
            Insn::Rot => stack.top_n(3)?.rotate_right(1),
            // The value of a variable that is not defined is 0.
            Insn::GetV(number) => stack.push(self.variables.get(*number).unwrap_or(0) as u64)?,
            // v => v: the value stays for the expression around it.
            Insn::SetV(number) => {
                self.variables.set(*number, *stack.top()? as i64);
            }
            // No trace frame to record into: only the stack effects.
            Insn::Trace | Insn::TraceNz => stack.discard(2)?, // addr size =>
            Insn::TraceQuick => {
                stack.top()?; // addr => addr
            }
            Insn::TraceV => {}
            // args... channel function =>; the function and channel are
            // for targets that call a print function of their own: gdb
            // sends 0 for both and gdbserver ignores them, as we do.
            Insn::Printf { nargs, format } => {
                let count = usize::from(*nargs) + 2;
                let entries = stack.top_n(count)?;
                format.render(&entries[..count - 2], &mut *self.machine, &mut self.out)?;
                stack.discard(count)?;
            }
        }
        Ok(Flow::Next)
    }
}

/// The expression stack, in a fixed array.
struct Stack {
    slots: [u64; STACK_MAX],
    len: usize,
}

impl Stack {
    fn push(&mut self, value: u64) -> Result<(), Fault> {
        let slot = self.slots.get_mut(self.len).ok_or(Fault::StackOverflow)?;
        *slot = value;
        self.len += 1;
        Ok(())
    }

    fn pop(&mut self) -> Result<u64, Fault> {
        let value = *self.top()?;
        self.len -= 1;
        Ok(value)
    }

    fn top(&mut self) -> Result<&mut u64, Fault> {
        Ok(&mut self.top_n(1)?[0])
    }

    /// The top `n` entries, deepest first.
    fn top_n(&mut self, n: usize) -> Result<&mut [u64], Fault> {
        let from = self.len.checked_sub(n).ok_or(Fault::StackUnderflow)?;
        Ok(&mut self.slots[from..self.len])
    }

    fn discard(&mut self, n: usize) -> Result<(), Fault> {
        self.top_n(n)?;
        self.len -= n;
        Ok(())
    }

    fn unary(&mut self, f: impl FnOnce(u64) -> u64) -> Result<(), Fault> {
        let top = self.top()?;
        *top = f(*top);
        Ok(())
    }

    /// `a b => f(a, b)`.
    fn binary(&mut self, f: impl FnOnce(u64, u64) -> Result<u64, Fault>) -> Result<(), Fault> {
        let [a, b] = self.top_n(2)? else {
            return Err(Fault::StackUnderflow);
        };
        *a = f(*a, *b)?;
        self.len -= 1;
        Ok(())
    }
}

fn nonzero(divisor: u64) -> Result<u64, Fault> {
    match divisor {
        0 => Err(Fault::DivisionByZero),
        d => Ok(d),
    }
}

/// A shift count below 64, the only ones a u64 shift takes.
fn shift(count: u64) -> Option<u32> {
    u32::try_from(count).ok().filter(|&n| n < 64)
}

/// `ext bits`: the low `bits` bits as a two's complement number; `ext 0`
/// gives 0 (gdbserver's shift by -1 is undefined) and 64 or more changes
/// nothing.
fn sign_extend(value: u64, bits: u8) -> u64 {
    match bits {
        0 => 0,
        1..=63 => {
            let unused = 64 - u32::from(bits);
            (((value << unused) as i64) >> unused) as u64
        }
        _ => value,
    }
}

/// `zero_ext bits`: the low `bits` bits; 64 or more changes nothing.
fn zero_extend(value: u64, bits: u8) -> u64 {
    match bits {
        0..=63 => value & ((1u64 << bits) - 1),
        _ => value,
    }
}

/// `ref8` to `ref64`: `size` bytes at `addr` in the target's byte order
/// (the host's: the server runs beside its inferior), zero-extended.
fn read<M: Machine + ?Sized>(machine: &mut M, addr: u64, size: usize) -> Result<u64, Fault> {
    let mut b = [0u8; 8];
    if !machine.read_memory(addr, &mut b[..size]) {
        return Err(Fault::Memory { addr, len: size });
    }
    Ok(match size {
        1 => u64::from(b[0]),
        2 => u64::from(u16::from_ne_bytes([b[0], b[1]])),
        4 => u64::from(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        _ => u64::from_ne_bytes(b),
    })
}
