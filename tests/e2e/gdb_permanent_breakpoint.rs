//! End-to-end tests with gdb of breakpoints a thread is moved onto while
//! stopped: a "permanent" breakpoint (the program's own `int3`, which gdb
//! steps past by moving the pc) and a function called from gdb. gdbserver
//! steps a thread over a breakpoint only at the pc where it stopped; a
//! thread the client moved hits the breakpoint at its new pc.

use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark};
use crate::support::output::printed_value;

/// A breakpoint on own_trap.c's own `int3`: `continue` reports it once
/// per call, `stepi` and `next` move past it. (`stepi` used to run on to
/// the next call: gdb skips the `int3` by moving the pc and continuing to
/// a breakpoint at the next instruction, which the server stepped over.)
#[test]
fn stepping_past_the_programs_own_int3() {
    let f = fixture("own_trap");
    let s = debug_fixture(
        &f,
        &[
            "break *own_trap",
            &mark("first"),
            "continue",
            &mark("stepi"),
            "stepi",
            "p counter",
            &mark("second"),
            "continue",
            "p counter",
            &mark("next"),
            "next",
            "p counter",
            &mark("end"),
            "continue",
        ],
    );
    for section in ["first", "second"] {
        s.expect_in(section, "Breakpoint 1, ");
    }
    assert!(
        !s.section("stepi").contains("Breakpoint 1, "),
        "stepi should stop past the int3\n{}",
        s.dump()
    );
    for (section, counter) in [("stepi", "1"), ("second", "12"), ("next", "12")] {
        assert_eq!(
            printed_value(s.section(section)),
            Some(counter),
            "counter in @@{section}\n{}",
            s.dump()
        );
    }
    s.expect_in("next", "MARK:after-trap");
    s.expect_exited("end", "026");
}

/// A breakpoint on the first instruction of a function gdb calls stops
/// the call, as gdb expects (the server used to step the thread over it:
/// gdb moves the pc there to make the call).
#[test]
fn a_called_function_stops_at_its_breakpoint() {
    let f = fixture("basic");
    let s = debug_fixture(
        &f,
        &[
            "break main",
            "continue",
            "break *add",
            &mark("call"),
            "call add(1, 2)",
            &mark("bt"),
            "bt",
        ],
    );
    s.expect_in("call", "Breakpoint 2, ");
    s.expect_in(
        "call",
        "The program being debugged stopped while in a function called from GDB.",
    );
    s.expect_in("bt", "<function called from gdb>");
}
