//! printf: each conversion, flags, widths and precisions as C prints them,
//! escapes, and the formats the agent refuses.

use super::*;
use crate::agent::FormatError;

/// Why the format of a printf of `nargs` arguments is rejected.
fn format_error(format: &str, nargs: u8) -> FormatError {
    let code = prog(&[
        &push(&vec![0; usize::from(nargs) + 2]),
        &printf(nargs, format.as_bytes()),
        &[END],
    ]);
    match invalid(&code) {
        ProgramError::BadFormat { error, .. } => error,
        other => panic!("{format:?}: {other:?}"),
    }
}

const MINUS_ONE: u64 = u64::MAX;

#[test]
fn literals_and_escapes() {
    assert_eq!(dprintf("hello", &[]), "hello");
    assert_eq!(dprintf(r#"a\nb\tc\\d\"e"#, &[]), "a\nb\tc\\d\"e");
    assert_eq!(dprintf(r"\a\b\e\f\r\v", &[]), "\x07\x08\x1b\x0c\r\x0b");
    assert_eq!(dprintf("100%%", &[]), "100%");
    assert_eq!(dprintf("", &[]), "");
    // An unescaped quote ends the format, as in gdbserver.
    assert_eq!(dprintf("ab\"cd", &[]), "ab");
}

#[test]
fn the_format_is_a_c_string() {
    let code = prog(&[&c8(0), &c8(0), &printf(0, b"ab\0cd"), &[END]]);
    assert_eq!(printed(&code), "ab");
}

/// Each format printed with its one argument, and what C prints.
fn check_one(cases: &[(&str, u64, &str)]) {
    for &(format, arg, expected) in cases {
        assert_eq!(dprintf(format, &[arg]), expected, "{format}");
    }
}

const MINUS_42: u64 = (-42i64) as u64;

#[test]
fn signed_integers() {
    check_one(&[
        ("%d", 42, "42"),
        ("%i", MINUS_42, "-42"),
        // int: the low 32 bits.
        ("%d", 0x1_0000_0005, "5"),
        ("%d", 0xffff_ffff, "-1"),
        ("%ld", MINUS_ONE, "-1"),
        ("%lld", 1 << 40, "1099511627776"),
        ("%zd", MINUS_ONE, "-1"),
        ("%ld", 1 << 63, "-9223372036854775808"),
        // short: the low 16 bits.
        ("%hd", 70000, "4464"),
        ("%hd", 0xffff, "-1"),
    ]);
}

#[test]
fn unsigned_integers() {
    check_one(&[
        ("%u", MINUS_ONE, "4294967295"),
        ("%lu", MINUS_ONE, "18446744073709551615"),
        ("%zu", 7, "7"),
        ("%hu", MINUS_ONE, "65535"),
        ("%x", 0xbeef, "beef"),
        ("%X", 0xbeef, "BEEF"),
        ("%o", 8, "10"),
        ("%lx", MINUS_ONE, "ffffffffffffffff"),
        ("%llo", MINUS_ONE, "1777777777777777777777"),
        ("%x", 0x1_0000_00ff, "ff"),
    ]);
}

#[test]
fn alternate_forms() {
    check_one(&[
        ("%#x", 255, "0xff"),
        ("%#X", 255, "0XFF"),
        ("%#x", 0, "0"),
        ("%#o", 8, "010"),
        ("%#o", 0, "0"),
        ("%#.0o", 0, "0"),
        ("%#.3o", 8, "010"),
        ("%#10x", 255, "      0xff"),
        ("%#010x", 255, "0x000000ff"),
    ]);
}

#[test]
fn widths_precisions_and_flags() {
    check_one(&[
        ("[%5d]", 42, "[   42]"),
        ("[%-5d]", 42, "[42   ]"),
        ("[%05d]", 42, "[00042]"),
        ("[%05d]", MINUS_42, "[-0042]"),
        ("[%-05d]", 42, "[42   ]"),
        ("[%+d]", 42, "[+42]"),
        ("[% d]", 42, "[ 42]"),
        ("[%+d]", MINUS_42, "[-42]"),
        ("[%.5d]", 42, "[00042]"),
        ("[%8.5d]", MINUS_42, "[  -00042]"),
        // The 0 flag is ignored with a precision.
        ("[%08.3d]", 42, "[     042]"),
        // A zero precision prints no digits for zero.
        ("[%.0d]", 0, "[]"),
        ("[%3.0d]", 0, "[   ]"),
        ("[%.d]", 0, "[]"),
        ("[%.0d]", 1, "[1]"),
        ("[%2d]", 12345, "[12345]"),
    ]);
}

#[test]
fn characters() {
    check_one(&[
        ("%c", u64::from(b'A'), "A"),
        ("%c", 0x141, "A"),
        ("[%3c]", u64::from(b'A'), "[  A]"),
        ("[%-3c]", u64::from(b'A'), "[A  ]"),
    ]);
}

#[test]
fn strings_from_memory() {
    check_one(&[
        ("%s", STR, "hello, world"),
        ("[%.5s]", STR, "[hello]"),
        ("[%15s]", STR, "[   hello, world]"),
        ("[%-15s]", STR, "[hello, world   ]"),
        ("[%8.3s]", STR, "[     hel]"),
        ("%s", STR + 7, "world"),
        ("%s", STR + 12, ""),
        // A null pointer prints as gdbserver prints it.
        ("%s", 0, "(null)"),
        ("[%.3s]", 0, "[(nu]"),
        ("[%8s]", 0, "[  (null)]"),
    ]);
}

#[test]
fn a_string_that_ends_at_the_end_of_readable_memory() {
    // Chunked reads never touch the unreadable page after the string.
    let mut bytes = vec![b'z'; 0x300];
    *bytes.last_mut().unwrap() = 0;
    let mut fake = Fake::new().with_region(0x40_0000, bytes);
    let code = prog(&[
        &c64(0x40_0000 + 0x10),
        &c8(0),
        &c8(0),
        &printf(1, b"%s"),
        &[END],
    ]);
    let program = Program::parse(&code).unwrap();
    let mut out = Vec::new();
    let result = program.evaluate(&mut fake, &mut Variables::new(), &mut out);
    assert_eq!(result, Ok(None));
    assert_eq!(out, vec![b'z'; 0x300 - 0x10 - 1]);
    // In chunks, not a read per byte.
    assert!(fake.reads <= 4, "{} reads", fake.reads);
}

#[test]
fn an_unreadable_string_is_an_error() {
    let code = prog(&[&c64(0x9000), &c8(0), &c8(0), &printf(1, b"%s"), &[END]]);
    assert_eq!(
        eval_error(&code),
        EvalError {
            at: 13,
            fault: Fault::Memory {
                addr: 0x9000,
                len: 256
            }
        }
    );
    // A string that runs into unreadable memory.
    let fake = Fake::new().with_region(0x50_0000, vec![b'y'; 0x100]);
    let code = prog(&[&c64(0x50_0080), &c8(0), &c8(0), &printf(1, b"%s"), &[END]]);
    let result = crate::agent::evaluate(&code, &mut { fake });
    assert!(
        matches!(
            result,
            Err(Error::Eval(EvalError {
                fault: Fault::Memory {
                    addr: 0x50_0100,
                    ..
                },
                ..
            }))
        ),
        "{result:?}"
    );
}

#[test]
fn arguments_in_order_with_literals_between() {
    assert_eq!(
        dprintf(r"x=%d y=%s z=%#x\n", &[1, STR, 0x30]),
        "x=1 y=hello, world z=0x30\n"
    );
    assert_eq!(dprintf("%d%d%d", &[1, 2, 3]), "123");
    assert_eq!(dprintf("%%d %d", &[5]), "%d 5");
}

#[test]
fn output_is_appended_to_the_callers_buffer() {
    let code = prog(&[&c8(7), &c8(0), &c8(0), &printf(1, b"%d;"), &[END]]);
    let program = Program::parse(&code).unwrap();
    let mut out = b"before;".to_vec();
    for _ in 0..2 {
        let result = program.evaluate(&mut Fake::new(), &mut Variables::new(), &mut out);
        assert_eq!(result, Ok(None));
    }
    assert_eq!(out, b"before;7;7;");
}

#[test]
fn formats_the_agent_refuses() {
    for c in [b'f', b'e', b'g', b'E', b'G', b'p'] {
        let format = format!("%{}", char::from(c));
        assert_eq!(
            format_error(&format, 1),
            FormatError::NotInAgent(c),
            "{format}"
        );
    }
    assert_eq!(format_error("%lc", 1), FormatError::NotInAgent(b'c'));
    assert_eq!(format_error("%ls", 1), FormatError::NotInAgent(b's'));
    assert_eq!(format_error("%*d", 1), FormatError::Star);
    assert_eq!(format_error("%.*d", 1), FormatError::Star);
    assert_eq!(format_error("%n", 1), FormatError::PercentN);
    assert_eq!(format_error("%q", 1), FormatError::Unrecognized(b'q'));
    assert_eq!(format_error("%hhd", 1), FormatError::Unrecognized(b'h'));
    assert_eq!(format_error("%5%", 1), FormatError::Unrecognized(b'%'));
    assert_eq!(format_error("abc%", 1), FormatError::Incomplete);
    assert_eq!(format_error("%-", 1), FormatError::Incomplete);
}

#[test]
fn modifiers_that_do_not_go_with_their_conversion() {
    for (format, c) in [
        ("%#u", b'u'),
        ("%+u", b'u'),
        ("% x", b'x'),
        ("%+o", b'o'),
        ("%Ld", b'd'),
        ("%05s", b's'),
        ("%+s", b's'),
        ("%hs", b's'),
        ("%lls", b's'),
        ("%.3c", b'c'),
        ("%0c", b'c'),
        ("%hc", b'c'),
        ("%zc", b'c'),
    ] {
        assert_eq!(
            format_error(format, 1),
            FormatError::BadModifiers(c),
            "{format}"
        );
    }
}

#[test]
fn bad_escapes_and_argument_counts() {
    assert_eq!(format_error(r"\q", 0), FormatError::BadEscape(b'q'));
    assert_eq!(format_error("ab\\", 0), FormatError::BadEscape(0));
    assert_eq!(
        format_error("%d %d", 1),
        FormatError::ArgumentCount {
            wanted: 2,
            given: 1
        }
    );
    assert_eq!(
        format_error("none", 2),
        FormatError::ArgumentCount {
            wanted: 0,
            given: 2
        }
    );
}
