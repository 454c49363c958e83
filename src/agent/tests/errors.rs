//! Every error: programs rejected at parse time, and evaluations that fail,
//! each with the offset of its instruction.

use super::*;
use crate::agent::{FormatError, MAX_LEN, MAX_OUTPUT, MAX_STEPS, STACK_MAX};

#[test]
fn an_empty_program_is_rejected() {
    assert_eq!(invalid(&[]), ProgramError::Empty);
}

#[test]
fn a_program_over_the_limit_is_rejected() {
    assert!(Program::parse(&vec![END; MAX_LEN]).is_ok());
    assert_eq!(
        invalid(&vec![END; MAX_LEN + 1]),
        ProgramError::TooLong { len: MAX_LEN + 1 }
    );
}

#[test]
fn unknown_opcodes_are_rejected_where_they_are() {
    for opcode in [0x00, 0x31, 0x35, 0x80, 0xff] {
        let code = prog(&[&c8(1), &[opcode, END]]);
        assert_eq!(
            invalid(&code),
            ProgramError::UnknownOpcode { at: 2, opcode },
            "{opcode:#x}"
        );
    }
}

#[test]
fn opcodes_gdbserver_does_not_handle_are_rejected() {
    for opcode in UNSUPPORTED {
        let code = prog(&[&c64(MEM), &[opcode], &[0, 4, END]]);
        assert_eq!(invalid(&code), ProgramError::Unsupported { at: 9, opcode });
    }
}

#[test]
fn operands_past_the_end_are_rejected() {
    assert_eq!(
        invalid(&[END, CONST64, 1, 2, 3]),
        ProgramError::Truncated {
            at: 1,
            opcode: CONST64
        }
    );
    assert_eq!(
        invalid(&[GOTO, 0]),
        ProgramError::Truncated {
            at: 0,
            opcode: GOTO
        }
    );
    // A printf's header, then its format, past the end.
    for code in [&[PRINTF, 0, 0][..], &[PRINTF, 0, 0, 9, b'a', 0, END]] {
        assert_eq!(
            invalid(code),
            ProgramError::Truncated {
                at: 0,
                opcode: PRINTF
            }
        );
    }
}

#[test]
fn a_jump_outside_the_program_is_rejected() {
    let code = prog(&[&c8(1), &op16(IF_GOTO, 0x100), &c8(0), &[END]]);
    assert_eq!(
        invalid(&code),
        ProgramError::BadJump {
            at: 2,
            target: 0x100
        }
    );
    // Just past the end is outside too.
    let code = prog(&[&op16(GOTO, 4), &[END]]);
    assert_eq!(invalid(&code), ProgramError::BadJump { at: 0, target: 4 });
}

#[test]
fn a_jump_into_an_instruction_is_rejected() {
    // Offset 4 is the second byte of const16's operand.
    let code = prog(&[&op16(GOTO, 4), &c16(0x2727), &[END]]);
    assert_eq!(invalid(&code), ProgramError::BadJump { at: 0, target: 4 });
    let code = prog(&[&op16(GOTO, 3), &c16(0x2727), &[END]]);
    assert_eq!(value(&code), 0x2727);
}

#[test]
fn a_program_that_could_run_past_its_end_is_rejected() {
    assert_eq!(
        invalid(&prog(&[&c8(1), &c8(2), &[ADD]])),
        ProgramError::NoEnd
    );
    let code = prog(&[&c8(1), &op16(IF_GOTO, 0)]);
    assert_eq!(invalid(&code), ProgramError::NoEnd);
    // `end` or `goto` last is enough: what comes before may jump anywhere.
    assert!(Program::parse(&prog(&[&[END], &op16(GOTO, 0)])).is_ok());
}

#[test]
fn a_bad_printf_format_is_rejected_with_where() {
    let code = prog(&[&c8(0), &c8(0), &printf(0, b"%d"), &[END]]);
    assert_eq!(
        invalid(&code),
        ProgramError::BadFormat {
            at: 4,
            error: FormatError::ArgumentCount {
                wanted: 1,
                given: 0
            }
        }
    );
    // The length must count a final NUL.
    let code = [PRINTF, 0, 0, 2, b'a', b'b', END];
    assert_eq!(
        invalid(&code),
        ProgramError::BadFormat {
            at: 0,
            error: FormatError::Unterminated
        }
    );
    let code = [PRINTF, 0, 0, 0, END];
    assert!(matches!(invalid(&code), ProgramError::BadFormat { .. }));
}

#[test]
fn stack_underflow() {
    assert_eq!(eval_error(&[ADD, END]).fault, Fault::StackUnderflow);
    assert_eq!(fault(&prog(&[&c8(1), &[ADD, END]])), Fault::StackUnderflow);
    assert_eq!(fault(&[POP, END]), Fault::StackUnderflow);
    assert_eq!(fault(&[DUP, END]), Fault::StackUnderflow);
    assert_eq!(fault(&[REF8, END]), Fault::StackUnderflow);
    assert_eq!(fault(&prog(&[&c8(1), &[SWAP, END]])), Fault::StackUnderflow);
    assert_eq!(
        fault(&prog(&[&push(&[1, 2]), &[ROT, END]])),
        Fault::StackUnderflow
    );
    assert_eq!(
        fault(&prog(&[&push(&[1, 2, 3]), &[PICK, 3, END]])),
        Fault::StackUnderflow
    );
    assert_eq!(
        fault(&prog(&[&op16(IF_GOTO, 0), &[END]])),
        Fault::StackUnderflow
    );
    assert_eq!(
        fault(&prog(&[&op16(SETV, 1), &[END]])),
        Fault::StackUnderflow
    );
    assert_eq!(
        fault(&prog(&[&c8(1), &[TRACE, END]])),
        Fault::StackUnderflow
    );
    assert_eq!(fault(&[TRACE_QUICK, 1, END]), Fault::StackUnderflow);
    // printf needs its arguments, the channel and the function.
    let code = prog(&[&push(&[1, 0, 0]), &printf(2, b"%d %d"), &[END]]);
    assert_eq!(
        eval_error(&code),
        EvalError {
            at: 27,
            fault: Fault::StackUnderflow
        }
    );
}

#[test]
fn stack_overflow() {
    let full: Vec<u8> = (0..STACK_MAX).flat_map(|_| c8(1)).collect();
    assert_eq!(value(&prog(&[&full, &[END]])), 1);
    let code = prog(&[&full, &c8(1), &[END]]);
    assert_eq!(
        eval_error(&code),
        EvalError {
            at: 2 * STACK_MAX,
            fault: Fault::StackOverflow
        }
    );
    // A loop that pushes fills the stack before the step limit.
    assert_eq!(
        fault(&prog(&[&c8(1), &[DUP], &op16(GOTO, 2)])),
        Fault::StackOverflow
    );
}

#[test]
fn an_endless_loop_ends_at_the_step_limit() {
    let code = prog(&[&c8(1), &op16(GOTO, 0)]);
    assert_eq!(fault(&code), Fault::StackOverflow);
    for code in [
        op16(GOTO, 0),
        prog(&[&op16(GOTO, 3), &op16(GOTO, 0)]),
        prog(&[&c8(1), &op16(IF_GOTO, 0), &op16(GOTO, 0)]),
    ] {
        assert_eq!(fault(&code), Fault::StepLimit, "{code:02x?}");
    }
    // A loop that runs just under the limit finishes: count down from n,
    // 4 instructions a turn.
    let countdown = |n: u16| prog(&[&c16(n), &c8(1), &[SUB, DUP], &op16(IF_GOTO, 3), &[END]]);
    let turns = (MAX_STEPS - 2) / 4;
    assert_eq!(value(&countdown(turns as u16)), 0);
    assert_eq!(fault(&countdown(turns as u16 + 1)), Fault::StepLimit);
}

#[test]
fn an_unreadable_address() {
    for (opcode, len) in [(REF8, 1), (REF16, 2), (REF32, 4), (REF64, 8)] {
        let code = prog(&[&c8(0), &[opcode, END]]);
        assert_eq!(
            eval_error(&code),
            EvalError {
                at: 2,
                fault: Fault::Memory { addr: 0, len }
            }
        );
    }
    // Straddling the end of readable memory.
    let code = prog(&[&c64(MEM + 0xfe), &[REF32, END]]);
    assert_eq!(
        fault(&code),
        Fault::Memory {
            addr: MEM + 0xfe,
            len: 4
        }
    );
}

#[test]
fn an_unknown_register() {
    let code = prog(&[&c8(1), &op16(REG, 400), &[END]]);
    assert_eq!(
        eval_error(&code),
        EvalError {
            at: 2,
            fault: Fault::Register(400)
        }
    );
}

#[test]
fn division_by_zero() {
    for opcode in [DIV_SIGNED, DIV_UNSIGNED, REM_SIGNED, REM_UNSIGNED] {
        let code = prog(&[&push(&[7, 0]), &[opcode, END]]);
        assert_eq!(
            eval_error(&code),
            EvalError {
                at: 18,
                fault: Fault::DivisionByZero
            }
        );
    }
}

#[test]
fn a_condition_with_an_empty_stack_at_end_fails() {
    let program = Program::parse(&prog(&[&c8(1), &[POP, END]])).unwrap();
    let result = program.condition(&mut Fake::new(), &mut Variables::new(), &mut Vec::new());
    assert_eq!(
        result,
        Err(EvalError {
            at: 3,
            fault: Fault::EmptyStack
        })
    );
}

#[test]
fn printf_output_is_bounded() {
    let chan_fn = prog(&[&c8(0), &c8(0)]);
    // A printf in a loop.
    let code = prog(&[&chan_fn, &printf(0, &[b'x'; 1000]), &op16(GOTO, 0)]);
    assert_eq!(fault(&code), Fault::OutputTooLong);
    // A width larger than the limit.
    let code = prog(&[&c8(1), &chan_fn, &printf(1, b"%999999999d"), &[END]]);
    assert_eq!(fault(&code), Fault::OutputTooLong);
    // A string with no end in sight: it stops at the limit, not at the
    // end of memory.
    let mut endless = Fake::new().with_region(0x10_0000, vec![b'a'; 2 * MAX_OUTPUT]);
    let code = prog(&[&c64(0x10_0000), &chan_fn, &printf(1, b"%s"), &[END]]);
    let result = crate::agent::evaluate(&code, &mut endless);
    assert!(
        matches!(
            result,
            Err(Error::Eval(EvalError {
                fault: Fault::OutputTooLong,
                ..
            }))
        ),
        "{result:?}"
    );
    // Exactly the limit is fine.
    let code = prog(&[
        &c8(1),
        &chan_fn,
        &printf(1, format!("%{MAX_OUTPUT}d").as_bytes()),
        &[END],
    ]);
    assert_eq!(printed(&code).len(), MAX_OUTPUT);
}

#[test]
fn errors_say_what_and_where() {
    let eval = Error::Eval(EvalError {
        at: 7,
        fault: Fault::Memory { addr: 0x10, len: 4 },
    });
    assert_eq!(
        eval.to_string(),
        "agent expression failed: cannot read 4 bytes of memory at 0x10 at byte 7"
    );
    let program = Error::Program(ProgramError::UnknownOpcode {
        at: 3,
        opcode: 0x31,
    });
    assert_eq!(
        program.to_string(),
        "invalid agent expression: unknown opcode 0x31 at byte 3"
    );
    let format = ProgramError::BadFormat {
        at: 0,
        error: FormatError::NotInAgent(b'f'),
    };
    assert_eq!(
        format.to_string(),
        "bad printf format at byte 0: format directive 'f' not supported in agent printf"
    );
}
