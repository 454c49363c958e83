//! Every opcode: its number, its operands and its stack effect.

use super::*;

#[test]
fn arithmetic_wraps_on_64_bits() {
    assert_eq!(after(&[7, 3], &[ADD]), 10);
    assert_eq!(after(&[u64::MAX, 2], &[ADD]), 1);
    assert_eq!(after(&[7, 3], &[SUB]), 4);
    assert_eq!(after(&[3, 7], &[SUB]), (-4i64) as u64);
    assert_eq!(after(&[6, 7], &[MUL]), 42);
    assert_eq!(after(&[1 << 63, 2], &[MUL]), 0);
}

#[test]
fn division_and_remainder_signed_and_unsigned() {
    let minus = |v: i64| v as u64;
    assert_eq!(after(&[minus(-7), 2], &[DIV_SIGNED]), minus(-3));
    assert_eq!(after(&[minus(-7), 2], &[DIV_UNSIGNED]), minus(-7) / 2);
    assert_eq!(after(&[minus(-7), 2], &[REM_SIGNED]), minus(-1));
    assert_eq!(after(&[minus(-7), 2], &[REM_UNSIGNED]), 1);
    assert_eq!(after(&[17, 5], &[DIV_UNSIGNED]), 3);
    assert_eq!(after(&[17, 5], &[REM_UNSIGNED]), 2);
    // The one signed overflow wraps instead of trapping.
    assert_eq!(after(&[1 << 63, minus(-1)], &[DIV_SIGNED]), 1 << 63);
    assert_eq!(after(&[1 << 63, minus(-1)], &[REM_SIGNED]), 0);
}

#[test]
fn shifts_including_counts_of_64_and_more() {
    assert_eq!(after(&[1, 4], &[LSH]), 16);
    assert_eq!(after(&[0x80, 4], &[RSH_UNSIGNED]), 8);
    assert_eq!(after(&[(-64i64) as u64, 4], &[RSH_SIGNED]), (-4i64) as u64);
    assert_eq!(after(&[u64::MAX, 4], &[RSH_UNSIGNED]), u64::MAX >> 4);
    assert_eq!(after(&[1, 64], &[LSH]), 0);
    assert_eq!(after(&[u64::MAX, 1 << 40], &[RSH_UNSIGNED]), 0);
    assert_eq!(after(&[1 << 63, 100], &[RSH_SIGNED]), u64::MAX);
    assert_eq!(after(&[1 << 62, 100], &[RSH_SIGNED]), 0);
}

#[test]
fn logic_and_bits() {
    assert_eq!(after(&[0], &[LOG_NOT]), 1);
    assert_eq!(after(&[42], &[LOG_NOT]), 0);
    assert_eq!(after(&[0b1100, 0b1010], &[BIT_AND]), 0b1000);
    assert_eq!(after(&[0b1100, 0b1010], &[BIT_OR]), 0b1110);
    assert_eq!(after(&[0b1100, 0b1010], &[BIT_XOR]), 0b0110);
    assert_eq!(after(&[0], &[BIT_NOT]), u64::MAX);
}

#[test]
fn comparisons_signed_and_unsigned() {
    let minus_one = u64::MAX;
    assert_eq!(after(&[5, 5], &[EQUAL]), 1);
    assert_eq!(after(&[5, 6], &[EQUAL]), 0);
    assert_eq!(after(&[minus_one, 1], &[LESS_SIGNED]), 1);
    assert_eq!(after(&[minus_one, 1], &[LESS_UNSIGNED]), 0);
    assert_eq!(after(&[1, minus_one], &[LESS_UNSIGNED]), 1);
    assert_eq!(after(&[3, 3], &[LESS_SIGNED]), 0);
    assert_eq!(after(&[3, 3], &[LESS_UNSIGNED]), 0);
}

#[test]
fn ext_sign_extends_and_zero_ext_truncates() {
    assert_eq!(after(&[0x80], &[EXT, 8]), 0xffff_ffff_ffff_ff80);
    assert_eq!(after(&[0x17f], &[EXT, 8]), 0x7f);
    assert_eq!(after(&[0x8000], &[EXT, 16]), 0xffff_ffff_ffff_8000);
    assert_eq!(after(&[0xffff_ffff], &[EXT, 32]), u64::MAX);
    assert_eq!(after(&[1], &[EXT, 1]), u64::MAX);
    assert_eq!(after(&[0xabc], &[EXT, 64]), 0xabc);
    assert_eq!(after(&[0xabc], &[EXT, 200]), 0xabc);
    assert_eq!(after(&[0xabc], &[EXT, 0]), 0);
    assert_eq!(after(&[u64::MAX], &[ZERO_EXT, 8]), 0xff);
    assert_eq!(after(&[u64::MAX], &[ZERO_EXT, 32]), 0xffff_ffff);
    assert_eq!(after(&[u64::MAX], &[ZERO_EXT, 0]), 0);
    assert_eq!(after(&[u64::MAX], &[ZERO_EXT, 64]), u64::MAX);
}

#[test]
fn ref_reads_memory_in_the_targets_byte_order() {
    let at = |i: u64| data(i);
    let le = |n: u64| (0..n).map(|i| u64::from(at(8 + i)) << (8 * i)).sum::<u64>();
    assert_eq!(after(&[MEM + 8], &[REF8]), u64::from(at(8)));
    assert_eq!(after(&[MEM + 8], &[REF16]), le(2));
    assert_eq!(after(&[MEM + 8], &[REF32]), le(4));
    assert_eq!(after(&[MEM + 8], &[REF64]), le(8));
    // The last byte of a region reads; one more does not.
    assert_eq!(after(&[MEM + 0xff], &[REF8]), u64::from(at(0xff)));
}

#[test]
fn if_goto_jumps_on_non_zero_and_pops() {
    // if (top) goto L; push 1; end; L: push 2; end
    let code = |cond: u64| {
        let start = 9; // after the const64 of the condition
        let target = start + 3 + 2 + 1;
        prog(&[
            &c64(cond),
            &op16(IF_GOTO, target),
            &c8(1),
            &[END],
            &c8(2),
            &[END],
        ])
    };
    assert_eq!(value(&code(0)), 1);
    assert_eq!(value(&code(5)), 2);
    // The condition is popped either way.
    let below = |cond: u64| {
        let target = 18 + 3 + 1;
        prog(&[&push(&[77, cond]), &op16(IF_GOTO, target), &[END], &[END]])
    };
    assert_eq!(value(&below(0)), 77);
    assert_eq!(value(&below(1)), 77);
}

#[test]
fn goto_jumps_forward_and_backward() {
    // goto L; push 1; end; L: push 2; end
    assert_eq!(
        value(&prog(&[&op16(GOTO, 6), &c8(1), &[END], &c8(2), &[END]])),
        2
    );
    // A loop that ends: count 5 down to 0, adding 10 each time.
    // 0: c8 5 (n) 2: c8 0 (sum)
    // 4: swap dup log_not if_goto 20   (n sum -> sum n, out when n == 0)
    // 10: c8 1 sub swap c8 10 add goto 4
    // 20: pop end
    let code = prog(&[
        &c8(5),
        &c8(0),
        &[SWAP, DUP, LOG_NOT],
        &op16(IF_GOTO, 20),
        &c8(1),
        &[SUB, SWAP],
        &c8(10),
        &[ADD],
        &op16(GOTO, 4),
        &[POP, END],
    ]);
    assert_eq!(value(&code), 50);
}

#[test]
fn constants_are_big_endian_and_zero_extended() {
    assert_eq!(value(&prog(&[&[CONST8, 0xff], &[END]])), 0xff);
    assert_eq!(value(&prog(&[&[CONST16, 0x12, 0x34], &[END]])), 0x1234);
    assert_eq!(value(&prog(&[&c16(0xfffe), &[END]])), 0xfffe);
    assert_eq!(value(&prog(&[&c32(0x8000_0001), &[END]])), 0x8000_0001);
    let c = [CONST64, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, END];
    assert_eq!(value(&c), 0x0123_4567_89ab_cdef);
}

#[test]
fn reg_pushes_a_register_by_gdb_number() {
    assert_eq!(value(&prog(&[&op16(REG, 6), &[END]])), REG_BASE + 6);
    assert_eq!(value(&prog(&[&op16(REG, 16), &[END]])), REG_BASE + 16);
}

#[test]
fn end_returns_the_top_or_nothing() {
    assert_eq!(after(&[1, 2, 3], &[]), 3);
    assert_eq!(run(&[END]), Ok(None));
    let program = Program::parse(&prog(&[&c8(9), &[POP, END]])).unwrap();
    let result = program.evaluate(&mut Fake::new(), &mut Variables::new(), &mut Vec::new());
    assert_eq!(result, Ok(None));
}

#[test]
fn condition_is_the_top_as_a_truth_value() {
    let holds = |code: &[u8]| {
        let program = Program::parse(code).unwrap();
        program.condition(&mut Fake::new(), &mut Variables::new(), &mut Vec::new())
    };
    assert_eq!(holds(&prog(&[&c8(0), &[END]])), Ok(false));
    assert_eq!(holds(&prog(&[&c8(2), &[END]])), Ok(true));
    assert_eq!(holds(&prog(&[&c64(1 << 63), &[END]])), Ok(true));
}

#[test]
fn a_condition_as_gdb_compiles_it() {
    // `*(int *)($rbp - 0x1000 + 8) == 0x09080701`-like: reg, arithmetic,
    // a 32-bit read sign-extended, a comparison.
    let word = u32::from_le_bytes([data(8), data(9), data(10), data(11)]);
    let code = prog(&[
        &op16(REG, 6),
        &c16((REG_BASE + 6 - MEM - 8) as u16),
        &[SUB, REF32, EXT, 32],
        &c32(word),
        &[EXT, 32, EQUAL, END],
    ]);
    assert_eq!(value(&code), 1);
}

#[test]
fn dup_pop_swap() {
    assert_eq!(after(&[4], &[DUP, ADD]), 8);
    assert_eq!(after(&[4, 5], &[POP]), 4);
    assert_eq!(after(&[4, 5], &[SWAP]), 4);
    assert_eq!(after(&[4, 5], &[SWAP, POP]), 5);
    assert_eq!(after(&[10, 3], &[SWAP, SUB]), (-7i64) as u64);
}

#[test]
fn pick_copies_an_entry_by_depth() {
    assert_eq!(after(&[1, 2, 3], &[PICK, 0]), 3);
    assert_eq!(after(&[1, 2, 3], &[PICK, 2]), 1);
    // The entries stay: 1 2 3 1 -> 1+2+3+1.
    assert_eq!(after(&[1, 2, 3], &[PICK, 2, ADD, ADD, ADD]), 7);
}

#[test]
fn rot_takes_the_top_below_the_next_two() {
    // a b c => c a b, checked by popping: top b, then a, then c.
    assert_eq!(after(&[1, 2, 3], &[ROT]), 2);
    assert_eq!(after(&[1, 2, 3], &[ROT, POP]), 1);
    assert_eq!(after(&[1, 2, 3], &[ROT, POP, POP]), 3);
    assert_eq!(after(&[9, 1, 2, 3], &[ROT, POP, POP, POP]), 9);
}

#[test]
fn getv_and_setv_use_the_callers_variables() {
    let mut variables = Variables::new();
    variables.define(3, -5);
    let run_with = |code: &[u8], variables: &mut Variables| {
        let program = Program::parse(code).unwrap();
        program.evaluate(&mut Fake::new(), variables, &mut Vec::new())
    };
    let get3 = prog(&[&op16(GETV, 3), &[END]]);
    assert_eq!(run_with(&get3, &mut variables), Ok(Some((-5i64) as u64)));
    // setv leaves its value on the stack, and the store keeps it.
    let set3 = prog(&[&c8(42), &op16(SETV, 3), &[END]]);
    assert_eq!(run_with(&set3, &mut variables), Ok(Some(42)));
    assert_eq!(variables.get(3), Some(42));
    assert_eq!(run_with(&get3, &mut variables), Ok(Some(42)));
    // Undefined: reads 0, a set is ignored.
    let set9 = prog(&[&c8(1), &op16(SETV, 9), &op16(GETV, 9), &[END]]);
    assert_eq!(run_with(&set9, &mut variables), Ok(Some(0)));
    assert_eq!(variables.get(9), None);
}

#[test]
fn trace_opcodes_keep_only_their_stack_effects() {
    // trace: addr size =>
    assert_eq!(after(&[7, MEM, 4], &[TRACE]), 7);
    // trace_quick n: addr => addr
    assert_eq!(after(&[7, MEM], &[TRACE_QUICK, 4]), MEM);
    // tracev n: =>
    assert_eq!(value(&prog(&[&c8(7), &op16(TRACEV, 1), &[END]])), 7);
    // tracenz: addr size =>
    assert_eq!(after(&[7, MEM, 4], &[TRACENZ]), 7);
}

#[test]
fn printf_pops_its_arguments_channel_and_function() {
    // 99 stays below: printf pops 2 arguments + channel + function.
    let code = prog(&[&push(&[99, 2, 1, 0, 0]), &printf(2, b"%d %d"), &[END]]);
    assert_eq!(value(&code), 99);
    assert_eq!(printed(&code), "1 2");
}

/// Each opcode of the manual's table, with its operand size.
const TABLE: &[(u8, usize)] = &[
    (ADD, 0),
    (SUB, 0),
    (MUL, 0),
    (DIV_SIGNED, 0),
    (DIV_UNSIGNED, 0),
    (REM_SIGNED, 0),
    (REM_UNSIGNED, 0),
    (LSH, 0),
    (RSH_SIGNED, 0),
    (RSH_UNSIGNED, 0),
    (TRACE, 0),
    (TRACE_QUICK, 1),
    (LOG_NOT, 0),
    (BIT_AND, 0),
    (BIT_OR, 0),
    (BIT_XOR, 0),
    (BIT_NOT, 0),
    (EQUAL, 0),
    (LESS_SIGNED, 0),
    (LESS_UNSIGNED, 0),
    (EXT, 1),
    (REF8, 0),
    (REF16, 0),
    (REF32, 0),
    (REF64, 0),
    (IF_GOTO, 2),
    (GOTO, 2),
    (CONST8, 1),
    (CONST16, 2),
    (CONST32, 4),
    (CONST64, 8),
    (REG, 2),
    (END, 0),
    (DUP, 0),
    (POP, 0),
    (ZERO_EXT, 1),
    (SWAP, 0),
    (GETV, 2),
    (SETV, 2),
    (TRACEV, 2),
    (TRACENZ, 0),
    (PICK, 1),
    (ROT, 0),
];

#[test]
fn the_opcode_table() {
    let numbers: Vec<u8> = TABLE.iter().map(|&(op, _)| op).collect();
    let expected: Vec<u8> = (0x02..=0x1a)
        .chain(0x20..=0x2f)
        .chain([0x32, 0x33])
        .collect();
    assert_eq!(numbers, expected);
    for &(opcode, size) in TABLE {
        // Jump operands of 0 land on the instruction itself.
        let whole = prog(&[&[opcode], &vec![0; size], &[END]]);
        assert!(Program::parse(&whole).is_ok(), "{opcode:#x}");
        if size > 0 {
            let cut = prog(&[&[opcode], &vec![0; size - 1]]);
            assert_eq!(
                invalid(&cut),
                ProgramError::Truncated { at: 0, opcode },
                "{opcode:#x}"
            );
        }
    }
    assert!(Program::parse(&prog(&[&printf(0, b""), &[END]])).is_ok());
    assert_eq!(UNSUPPORTED, [0x01, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x30]);
    assert_eq!(PRINTF, 0x34);
    for opcode in 0..=255u8 {
        let result = Program::parse(&[opcode, 0, 0, 0, 0, 0, 0, 0, 0, END]);
        let known = numbers.contains(&opcode) || opcode == PRINTF;
        match result {
            Err(ProgramError::UnknownOpcode { at: 0, .. }) => {
                assert!(!known && !UNSUPPORTED.contains(&opcode), "{opcode:#x}")
            }
            Err(ProgramError::Unsupported { at: 0, .. }) => {
                assert!(UNSUPPORTED.contains(&opcode), "{opcode:#x}")
            }
            _ => assert!(known, "{opcode:#x}: {result:?}"),
        }
    }
}
