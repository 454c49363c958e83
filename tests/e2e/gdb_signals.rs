//! Signals with gdb: a fatal SIGSEGV (tests/fixtures/segv.c) and a handled
//! SIGUSR1 (tests/fixtures/sigusr1.c).

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark};

/// The fault is reported where it happens; continuing delivers it and the
/// program dies of it.
#[test]
fn segv_is_reported_then_fatal() {
    let f = fixture("segv");
    let mut s = debug_fixture(
        &f,
        &[
            &mark("fault"),
            "continue",
            &mark("where"),
            "info registers rip",
            "print null_ptr",
            &mark("fatal"),
            "continue",
            &mark("after"),
            "info threads",
        ],
    );
    let fault = s.section("fault");
    assert!(
        fault.contains("Program received signal SIGSEGV, Segmentation fault."),
        "gdb should report SIGSEGV\n{}",
        s.dump()
    );
    assert!(
        fault.contains("main () at ") && fault.contains(&f.at("crash")),
        "the fault should be at {}\n{}",
        f.location("crash"),
        s.dump()
    );
    let wh = s.section("where");
    assert!(
        wh.lines()
            .any(|l| l.starts_with("rip") && l.contains("<main+")),
        "rip should be in main\n{}",
        s.dump()
    );
    assert!(
        wh.contains("$1 = (int * volatile) 0x0"),
        "null_ptr is 0\n{}",
        s.dump()
    );
    let fatal = s.section("fatal");
    assert!(
        fatal.contains("Program terminated with signal SIGSEGV, Segmentation fault."),
        "continuing should kill the program with SIGSEGV\n{}",
        s.dump()
    );
    assert!(
        fatal.contains("The program no longer exists."),
        "{}",
        s.dump()
    );
    assert!(
        s.section("after").contains("No threads."),
        "no threads after death\n{}",
        s.dump()
    );
    // GNU gdbserver prints `Child terminated with signal = 0xb (SIGSEGV)`.
    let line = s.wait_stderr("Child terminated with signal = ");
    assert!(
        line.contains("0xb") || line.contains("= 11"),
        "the server should report signal 11: {line:?}\n{}",
        s.dump()
    );
    s.wait_exit();
}

/// sigusr1.c raises SIGUSR1 once and exits with 5 if its handler ran, 1
/// if not. Runs it with the `settings` given, checks that gdb reports the
/// SIGUSR1 stop, resumes with `resume` and checks the exit code (as gdb
/// prints it).
fn sigusr1_stop_then(settings: &[&str], resume: &str, exit_code: &str) -> Session {
    let f = fixture("sigusr1");
    let mut cmds = settings.to_vec();
    let (stop, exit) = (mark("stop"), mark("exit"));
    cmds.extend([stop.as_str(), "continue", exit.as_str(), resume]);
    let s = debug_fixture(&f, &cmds);
    s.expect_in(
        "stop",
        "Program received signal SIGUSR1, User defined signal 1.",
    );
    s.expect_exited("exit", exit_code);
    s
}

/// SIGUSR1 is reported, and `continue` delivers it: the handler runs and
/// the program exits with 5.
#[test]
fn sigusr1_is_reported_then_delivered() {
    let s = sigusr1_stop_then(&[], "continue", "05");
    s.wait_stderr("Child exited with status 5");
}

/// `signal 0` resumes without delivering the pending SIGUSR1: the handler
/// never runs and the program exits with 1.
#[test]
fn sigusr1_can_be_discarded() {
    sigusr1_stop_then(&[], "signal 0", "01");
}

/// With `handle SIGUSR1 nostop noprint pass`, the signal goes straight to
/// the program (QPassSignals, or a stop that gdb resumes silently).
#[test]
fn sigusr1_passed_without_stopping() {
    let f = fixture("sigusr1");
    let s = debug_fixture(
        &f,
        &[
            "handle SIGUSR1 nostop noprint pass",
            &mark("exit"),
            "continue",
        ],
    );
    assert!(
        !s.section("exit").contains("received signal SIGUSR1"),
        "SIGUSR1 should not stop\n{}",
        s.dump()
    );
    // The handler ran: exit 5.
    s.expect_exited("exit", "05");
}

/// `handle SIGUSR1 stop print nopass`: reported, but not delivered on
/// `continue`.
#[test]
fn sigusr1_nopass_is_not_delivered() {
    sigusr1_stop_then(&["handle SIGUSR1 stop print nopass"], "continue", "01");
}
