//! The interpreter against a fake stopped thread: every opcode
//! (opcodes.rs), every error (errors.rs), printf's conversions
//! (formats.rs), and thousands of random and mutated programs (fuzz.rs).
//! Programs are written as bytes, with the helpers below.

mod errors;
mod formats;
mod fuzz;
mod opcodes;

use super::op::*;
use super::{Error, EvalError, Fault, Machine, Program, ProgramError, Variables};
use std::collections::BTreeMap;

/// Where the fake's readable memory starts: 0x100 bytes of `DATA`.
const MEM: u64 = 0x1000;
/// The start of a second readable region, holding `STRING`.
const STR: u64 = 0x2000;
const STRING: &[u8] = b"hello, world\0";
/// Register `n` of the fake holds `REG_BASE + n`, for n up to 23.
const REG_BASE: u64 = 0x7000;

/// The valid opcodes that gdbserver does not run: floating point, trace16.
const UNSUPPORTED: [u8; 7] = [
    FLOAT,
    REF_FLOAT,
    REF_DOUBLE,
    REF_LONG_DOUBLE,
    L_TO_D,
    D_TO_L,
    TRACE16,
];

/// Byte `i` of the memory at `MEM`.
fn data(i: u64) -> u8 {
    (i as u8).wrapping_mul(7).wrapping_add(1)
}

/// A stopped thread: registers 0 to 23, memory in page-like regions that
/// start and end on multiples of 256, nothing else readable.
struct Fake {
    registers: BTreeMap<usize, u64>,
    regions: Vec<(u64, Vec<u8>)>,
    reads: usize,
}

impl Fake {
    fn new() -> Fake {
        let mut string = STRING.to_vec();
        string.resize(0x100, 0xee);
        Fake {
            registers: (0..24).map(|n| (n, REG_BASE + n as u64)).collect(),
            regions: vec![(MEM, (0..0x100).map(data).collect()), (STR, string)],
            reads: 0,
        }
    }

    /// Also readable: `bytes` at `addr`.
    fn with_region(mut self, addr: u64, bytes: Vec<u8>) -> Fake {
        self.regions.push((addr, bytes));
        self
    }
}

impl Machine for Fake {
    fn register(&mut self, regnum: usize) -> Option<u64> {
        self.registers.get(&regnum).copied()
    }

    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> bool {
        self.reads += 1;
        let found = self.regions.iter().find_map(|(start, bytes)| {
            let from = usize::try_from(addr.checked_sub(*start)?).ok()?;
            bytes.get(from..from.checked_add(buf.len())?)
        });
        found.map(|bytes| buf.copy_from_slice(bytes)).is_some()
    }
}

/// The bytes of a program made of `parts`.
fn prog(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

fn c8(v: u8) -> Vec<u8> {
    vec![CONST8, v]
}

fn c16(v: u16) -> Vec<u8> {
    prog(&[&[CONST16], &v.to_be_bytes()])
}

fn c32(v: u32) -> Vec<u8> {
    prog(&[&[CONST32], &v.to_be_bytes()])
}

fn c64(v: u64) -> Vec<u8> {
    prog(&[&[CONST64], &v.to_be_bytes()])
}

/// An instruction with a 16-bit operand (a jump, `reg`, `getv`...).
fn op16(opcode: u8, operand: u16) -> Vec<u8> {
    prog(&[&[opcode], &operand.to_be_bytes()])
}

/// Push `values`, the first deepest.
fn push(values: &[u64]) -> Vec<u8> {
    values.iter().flat_map(|&v| c64(v)).collect()
}

/// `printf nargs format`, the format's NUL added.
fn printf(nargs: u8, format: &[u8]) -> Vec<u8> {
    let len = (format.len() + 1) as u16;
    prog(&[&[PRINTF, nargs], &len.to_be_bytes(), format, &[0]])
}

/// Parse and evaluate `code` on a fresh fake.
fn run(code: &[u8]) -> Result<Option<u64>, Error> {
    super::evaluate(code, &mut Fake::new())
}

/// The value `code` leaves on top.
fn value(code: &[u8]) -> u64 {
    match run(code) {
        Ok(Some(v)) => v,
        other => panic!("{code:02x?}: {other:?}"),
    }
}

/// `values` pushed, then `ops` and `end`: what is left on top.
fn after(values: &[u64], ops: &[u8]) -> u64 {
    value(&prog(&[&push(values), ops, &[END]]))
}

/// How evaluating a valid `code` fails, and where.
fn eval_error(code: &[u8]) -> EvalError {
    match run(code) {
        Err(Error::Eval(e)) => e,
        other => panic!("{code:02x?}: {other:?}"),
    }
}

fn fault(code: &[u8]) -> Fault {
    eval_error(code).fault
}

/// Why `code` is rejected.
fn invalid(code: &[u8]) -> ProgramError {
    match Program::parse(code) {
        Err(e) => e,
        Ok(p) => panic!("{code:02x?} accepted: {p:?}"),
    }
}

/// What `code` prints, evaluated as a command; it must succeed.
fn printed(code: &[u8]) -> String {
    let program = Program::parse(code).unwrap_or_else(|e| panic!("{code:02x?}: {e}"));
    let mut out = Vec::new();
    let result = program.evaluate(&mut Fake::new(), &mut Variables::new(), &mut out);
    assert!(result.is_ok(), "{code:02x?}: {result:?}");
    String::from_utf8_lossy(&out).into_owned()
}

/// What a dprintf as gdb compiles it prints: the arguments pushed last
/// first, channel and function 0, printf, end.
fn dprintf(format: &str, args: &[u64]) -> String {
    let mut code: Vec<u8> = args.iter().rev().flat_map(|&v| c64(v)).collect();
    code.extend(prog(&[
        &c8(0),
        &c8(0),
        &printf(args.len() as u8, format.as_bytes()),
        &[END],
    ]));
    printed(&code)
}
