//! Thousands of random, generated and mutated programs, from a fixed seed:
//! whatever the bytes, parsing and evaluating return (no panic; no hang,
//! the step limit ends every loop), printf's output and the memory reads
//! stay within their bounds, an error names an instruction of the program,
//! and the one-call entry point a fuzzer uses agrees with the two steps.

use super::*;
use crate::agent::{MAX_OUTPUT, MAX_STEPS};

/// xorshift64*: small, deterministic, good enough to shake a parser.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// What one program did, for the tallies.
#[derive(Debug, PartialEq)]
enum Outcome {
    Rejected,
    Failed(Fault),
    Ran,
}

/// Parse and evaluate `code`, checking what must hold whatever it is.
fn check(code: &[u8]) -> Outcome {
    let one_call = crate::agent::evaluate(code, &mut Fake::new());
    let program = match Program::parse(code) {
        Ok(program) => program,
        Err(e) => {
            assert_eq!(one_call, Err(Error::Program(e.clone())), "{code:02x?}");
            assert!(!e.to_string().is_empty());
            return Outcome::Rejected;
        }
    };
    let mut fake = Fake::new();
    let mut out = Vec::new();
    let result = program.evaluate(&mut fake, &mut Variables::new(), &mut out);
    assert!(out.len() <= MAX_OUTPUT, "{code:02x?}: {} bytes", out.len());
    // A read per step at most, plus a read per chunk of a %s string,
    // each of which prints a byte at least or ends the string.
    assert!(fake.reads <= MAX_STEPS + MAX_OUTPUT, "{code:02x?}");
    assert_eq!(one_call, result.clone().map_err(Error::Eval), "{code:02x?}");
    match result {
        Ok(_) => Outcome::Ran,
        Err(e) => {
            assert!(e.at < code.len(), "{code:02x?}: {e}");
            assert!(!e.to_string().is_empty());
            Outcome::Failed(e.fault)
        }
    }
}

/// Formats a generated printf may use, with their argument counts.
const FORMATS: &[(&str, u8)] = &[
    ("", 0),
    ("%d", 1),
    ("%s", 1),
    (r"x=%#x %c\n", 2),
    ("%-5.3s|%05d", 2),
    ("%lu %hd %zx", 3),
];

/// A value worth pushing: small, an address that reads, or anything.
fn operand(rng: &mut Rng) -> u64 {
    match rng.below(5) {
        0 => rng.below(8) as u64,
        1 => MEM + rng.below(0x110) as u64,
        2 => STR + rng.below(16) as u64,
        3 => (rng.below(130) as u64).wrapping_sub(2),
        _ => rng.next(),
    }
}

/// A program made of valid instructions, jumps landing on instruction
/// starts (backward ones too), `end` or `goto` last: it always parses.
fn generated(rng: &mut Rng) -> Vec<u8> {
    const SIMPLE: &[u8] = &[
        ADD,
        SUB,
        MUL,
        DIV_SIGNED,
        DIV_UNSIGNED,
        REM_SIGNED,
        REM_UNSIGNED,
        LSH,
        RSH_SIGNED,
        RSH_UNSIGNED,
        TRACE,
        LOG_NOT,
        BIT_AND,
        BIT_OR,
        BIT_XOR,
        BIT_NOT,
        EQUAL,
        LESS_SIGNED,
        LESS_UNSIGNED,
        REF8,
        REF16,
        REF32,
        REF64,
        END,
        DUP,
        POP,
        SWAP,
        TRACENZ,
        ROT,
    ];
    let mut code = Vec::new();
    let mut starts = Vec::new();
    let mut jumps = Vec::new();
    let count = 1 + rng.below(30);
    for i in 0..=count {
        starts.push(code.len());
        if i == count {
            // Last: end, or a goto.
            if rng.chance(80) {
                code.push(END);
                break;
            }
        }
        match if i == count { 9 } else { rng.below(10) } {
            0..=2 => {
                let v = operand(rng);
                match rng.below(4) {
                    0 => code.extend(c8(v as u8)),
                    1 => code.extend(c16(v as u16)),
                    2 => code.extend(c32(v as u32)),
                    _ => code.extend(c64(v)),
                }
            }
            3 => code.extend(op16(REG, rng.below(30) as u16)),
            4 => {
                let (format, nargs) = *rng.pick(FORMATS);
                for _ in 0..nargs {
                    code.extend(c64(operand(rng)));
                }
                code.extend(c8(0));
                code.extend(c8(0));
                code.extend(printf(nargs, format.as_bytes()));
            }
            5 => {
                let opcode = *rng.pick(&[EXT, ZERO_EXT, PICK, TRACE_QUICK]);
                code.extend([opcode, rng.below(70) as u8]);
            }
            6 => {
                let opcode = *rng.pick(&[GETV, SETV, TRACEV]);
                code.extend(op16(opcode, rng.below(3) as u16));
            }
            7 => code.push(*rng.pick(SIMPLE)),
            _ => {
                let opcode = if i == count || rng.chance(50) {
                    GOTO
                } else {
                    IF_GOTO
                };
                jumps.push(code.len() + 1);
                code.extend(op16(opcode, 0));
            }
        }
    }
    for at in jumps {
        let target = *rng.pick(&starts) as u16;
        code[at..at + 2].copy_from_slice(&target.to_be_bytes());
    }
    code
}

/// Programs like the ones gdb sends, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    vec![
        prog(&[
            &op16(REG, 6),
            &c16(0x5ffe),
            &[SUB, REF32, EXT, 32],
            &c32(5),
            &[EQUAL, END],
        ]),
        prog(&[&c16(40), &c8(1), &[SUB, DUP], &op16(IF_GOTO, 3), &[END]]),
        prog(&[
            &c64(STR),
            &c64(7),
            &c8(0),
            &c8(0),
            &printf(2, br"n=%d s=%s\n"),
            &[END],
        ]),
        prog(&[&op16(GETV, 1), &c8(1), &[ADD], &op16(SETV, 1), &[END]]),
        prog(&[
            &push(&[1, 2, 3]),
            &[ROT, PICK, 2, SWAP, POP, LESS_SIGNED, END],
        ]),
    ]
}

/// `code` with a few random changes: bytes flipped, set, inserted,
/// removed, a cut, a slice copied elsewhere.
fn mutated(rng: &mut Rng, seed: &[u8]) -> Vec<u8> {
    let mut code = seed.to_vec();
    for _ in 0..1 + rng.below(4) {
        let len = code.len();
        let at = rng.below(len + 1);
        match rng.below(6) {
            0 if at < len => code[at] ^= 1 << rng.below(8),
            1 if at < len => code[at] = rng.next() as u8,
            2 => code.insert(at, rng.next() as u8),
            3 if at < len => {
                code.remove(at);
            }
            4 => code.truncate(at),
            _ if at < len => {
                let end = at + rng.below(len - at + 1);
                let slice = code[at..end].to_vec();
                let to = rng.below(len + 1);
                code.splice(to..to, slice);
            }
            _ => {}
        }
    }
    code
}

/// Bytes, mostly opcodes; half of them with an `end` last, so that more
/// get past the parser.
fn random_bytes(rng: &mut Rng) -> Vec<u8> {
    let len = rng.below(24);
    let mut code: Vec<u8> = (0..len)
        .map(|_| match rng.chance(70) {
            true => rng.below(0x36) as u8,
            false => rng.next() as u8,
        })
        .collect();
    if rng.chance(50) {
        code.push(END);
    }
    code
}

/// How many programs were rejected, failed and ran, and the faults seen.
fn tally(outcomes: impl Iterator<Item = Outcome>) -> ([usize; 3], Vec<Fault>) {
    let mut counts = [0; 3];
    let mut faults = Vec::new();
    for outcome in outcomes {
        match outcome {
            Outcome::Rejected => counts[0] += 1,
            Outcome::Failed(fault) => {
                counts[1] += 1;
                faults.push(fault);
            }
            Outcome::Ran => counts[2] += 1,
        }
    }
    (counts, faults)
}

#[test]
fn random_bytes_never_panic_or_hang() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let ([rejected, failed, ran], _) = tally((0..20_000).map(|_| check(&random_bytes(&mut rng))));
    // Most random bytes are rejected; some run.
    assert!(rejected > 10_000, "{rejected} {failed} {ran}");
    assert!(ran + failed > 500, "{rejected} {failed} {ran}");
}

#[test]
fn generated_programs_always_parse_and_end() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let outcomes = (0..3_000).map(|_| {
        let code = generated(&mut rng);
        let outcome = check(&code);
        assert_ne!(outcome, Outcome::Rejected, "{code:02x?}");
        outcome
    });
    let ([_, failed, ran], faults) = tally(outcomes);
    assert!(ran > 300 && failed > 300, "{failed} {ran}");
    // Loops among them, ended by the step limit, and the other faults.
    for fault in [
        Fault::StepLimit,
        Fault::StackUnderflow,
        Fault::StackOverflow,
        Fault::DivisionByZero,
        Fault::Register(24),
    ] {
        assert!(faults.contains(&fault), "no {fault:?}");
    }
    assert!(faults.iter().any(|f| matches!(f, Fault::Memory { .. })));
}

#[test]
fn mutated_programs_never_panic_or_hang() {
    let mut rng = Rng(0xdead_beef_cafe_f00d);
    let seeds = seeds();
    for seed in &seeds {
        assert_eq!(check(seed), Outcome::Ran, "{seed:02x?}");
    }
    let ([rejected, failed, ran], _) = tally((0..10_000).map(|_| {
        let seed = rng.pick(&seeds).clone();
        check(&mutated(&mut rng, &seed))
    }));
    assert!(
        rejected > 1_000 && failed + ran > 1_000,
        "{rejected} {failed} {ran}"
    );
}
