//! End-to-end tests with gdb in batch mode on tests/fixtures/basic.c:
//! breakpoints, backtraces, finish, reading and writing memory and
//! registers, stepping, and running to the exit code.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture};
use crate::support::gdb::{self, debug_fixture, mark};
use crate::support::output::hex_values_after;
use crate::support::server::{Server, ServerOptions};

fn basic() -> Fixture {
    fixture("basic")
}

/// The program starts stopped at the dynamic loader's entry, and running it
/// gives its exit code (gdb prints it in octal: 7 -> "07"). The server
/// reports the connection and the exit on stderr.
#[test]
fn starts_at_loader_entry_and_continues_to_exit_code() {
    let f = basic();
    let mut s = debug_fixture(
        &f,
        &[
            &mark("regs"),
            "info registers rip",
            &mark("cont"),
            "continue",
        ],
    );
    s.expect("in _start ()");
    let regs = s.section("regs");
    assert!(
        regs.lines()
            .any(|l| l.starts_with("rip") && l.contains("<_start>")),
        "`info registers rip` should show rip at <_start>\n{}",
        s.dump()
    );
    let cont = s.section("cont");
    assert!(
        cont.contains("[Inferior 1 (process ") && cont.contains(") exited with code 07]"),
        "continue should run to `exited with code 07`\n{}",
        s.dump()
    );
    s.wait_stderr("Remote debugging from host ");
    s.wait_stderr("Child exited with status 7");
    s.wait_clean_exit();
}

/// Break by function name, backtrace, print arguments and globals.
#[test]
fn break_on_function_backtrace_and_print() {
    let f = basic();
    let body = f.at("add-body");
    let call = f.at("loop-call");
    let s = debug_fixture(
        &f,
        &[
            "break add",
            &mark("hit1"),
            "continue",
            &mark("bt"),
            "bt",
            &mark("print"),
            "print a",
            "print b",
            "print counter",
            "print exit_code",
            "print &counter",
            &mark("hit2"),
            "continue",
            "print a + b * 100",
        ],
    );
    s.expect("Breakpoint 1 at 0x");
    let hit1 = s.section("hit1");
    assert!(
        hit1.contains("Breakpoint 1, add (a=0, b=0) at ") && hit1.contains(&body),
        "first stop should be in add (a=0, b=0) at {body:?}\n{}",
        s.dump()
    );
    let bt = s.section("bt");
    assert!(
        bt.contains("#0  add (a=0, b=0) at ")
            && bt.contains("#1  0x")
            && bt.contains(" in main () at "),
        "bt should show add then main\n{}",
        s.dump()
    );
    assert!(
        bt.contains(&call),
        "bt frame #1 should be at {call:?}\n{}",
        s.dump()
    );
    let print = s.section("print");
    for expected in ["$1 = 0", "$2 = 0", "$3 = 5", "$4 = 7", "(int *) 0x"] {
        assert!(
            print.contains(expected),
            "print output lacks {expected:?}\n{}",
            s.dump()
        );
    }
    assert!(
        print.contains("<counter>"),
        "&counter should name the symbol\n{}",
        s.dump()
    );
    let hit2 = s.section("hit2");
    assert!(
        hit2.contains("Breakpoint 1, add (a=0, b=1) at ") && hit2.contains("$6 = 100"),
        "second stop should be add (a=0, b=1)\n{}",
        s.dump()
    );
}

/// Break by file:line; locals and globals computed so far are right.
#[test]
fn break_on_file_line() {
    let f = basic();
    let loc = f.location("counter-inc");
    let at = f.at("counter-inc");
    let line = f.line("counter-inc");
    let s = debug_fixture(
        &f,
        &[
            &format!("break {loc}"),
            &mark("hit"),
            "continue",
            &mark("print"),
            "print total",
            "print acc",
            "print counter",
            "info line *$pc",
        ],
    );
    s.expect("Breakpoint 1 at 0x");
    let hit = s.section("hit");
    assert!(
        hit.contains("Breakpoint 1, main () at ") && hit.contains(&at),
        "should stop in main at {loc}\n{}",
        s.dump()
    );
    assert!(
        hit.lines().any(|l| l.starts_with(&format!("{line}\t"))),
        "gdb should print source line {line}\n{}",
        s.dump()
    );
    // acc = add(0,0) -> 0, add(0,1) -> 1, add(1,2) -> 3; total = 120 + 3.
    let print = s.section("print");
    for expected in [
        "$1 = 123",
        "$2 = 3",
        "$3 = 5",
        &format!("Line {line} of \""),
    ] {
        assert!(
            print.contains(expected),
            "print output lacks {expected:?}\n{}",
            s.dump()
        );
    }
}

/// A backtrace through a recursion: fact(5) down to fact(1).
#[test]
fn backtrace_through_recursion() {
    let f = basic();
    let s = debug_fixture(
        &f,
        &[
            &format!("break {}", f.location("fact-base")),
            &mark("hit"),
            "continue",
            &mark("bt"),
            "bt",
            &mark("up"),
            "up 2",
            "print n",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("Breakpoint 1, fact (n=1) at "),
        "should stop in fact (n=1)\n{}",
        s.dump()
    );
    let bt = s.section("bt");
    for (i, n) in (1..=5).enumerate() {
        let frame = if i == 0 {
            format!("#0  fact (n={n}) at ")
        } else {
            format!("#{i}  0x")
        };
        assert!(bt.contains(&frame), "bt lacks {frame:?}\n{}", s.dump());
        assert!(
            bt.contains(&format!("fact (n={n})")),
            "bt lacks fact (n={n})\n{}",
            s.dump()
        );
    }
    assert!(
        bt.contains("#5  0x") && bt.contains(" in main () at "),
        "bt should end in main\n{}",
        s.dump()
    );
    assert!(
        !bt.contains("#6 "),
        "bt should have exactly 6 frames\n{}",
        s.dump()
    );
    let up = s.section("up");
    assert!(
        up.contains("#2  0x") && up.contains("$1 = 3"),
        "`up 2` should reach fact (n=3)\n{}",
        s.dump()
    );
}

/// `finish` runs to the caller and prints the return value.
#[test]
fn finish_prints_value_returned() {
    let f = basic();
    let s = debug_fixture(
        &f,
        &[
            "tbreak fact",
            &mark("hit"),
            "continue",
            &mark("finish"),
            "finish",
            &mark("cont"),
            "continue",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("Temporary breakpoint 1, fact (n=5) at "),
        "should stop in fact (n=5)\n{}",
        s.dump()
    );
    let finish = s.section("finish");
    assert!(
        finish.contains("Value returned is $1 = 120"),
        "finish should print `Value returned is $1 = 120`\n{}",
        s.dump()
    );
    assert!(
        finish.contains("main () at ") && finish.contains(&f.at("after-loop")),
        "finish should return into main at {}\n{}",
        f.location("after-loop"),
        s.dump()
    );
    s.expect_exited("cont", "07");
}

/// `set var` writes memory: read back, and the changed exit code shows the
/// program itself saw the write.
#[test]
fn set_var_writes_memory() {
    let f = basic();
    let s = debug_fixture(
        &f,
        &[
            &format!("break {}", f.location("counter-inc")),
            "continue",
            &mark("write"),
            "set var counter = 42",
            "print counter",
            "set var exit_code = 9",
            "print exit_code",
            "print/x counter",
            &mark("next"),
            "next",
            "print counter",
            &mark("cont"),
            "continue",
        ],
    );
    let write = s.section("write");
    for expected in ["$1 = 42", "$2 = 9", "$3 = 0x2a"] {
        assert!(
            write.contains(expected),
            "after set var: lacks {expected:?}\n{}",
            s.dump()
        );
    }
    // The program increments counter: 42 + 1.
    assert!(
        s.section("next").contains("$4 = 43"),
        "counter should be 43 after next\n{}",
        s.dump()
    );
    // 9 in octal, as gdb prints exit codes.
    s.expect_exited("cont", "011");
}

/// Register writes reach the program: read back after flushing gdb's
/// register cache, and a changed return value register changes what the
/// program stores.
#[test]
fn register_write() {
    let f = basic();
    let s = debug_fixture(
        &f,
        &[
            "break add",
            "continue",
            &mark("rax"),
            "set var $rax = 0x1234",
            "maint flush register-cache",
            "print/x $rax",
            "info registers rax",
            "delete",
            // Return from add(0, 0) with 100 in eax instead of 0: main
            // stores it in acc.
            &mark("finish"),
            "finish",
            "set var $rax = 100",
            "next",
            "print acc",
            "continue",
        ],
    );
    let rax = s.section("rax");
    assert!(
        rax.contains("$1 = 0x1234"),
        "$rax should read back 0x1234\n{}",
        s.dump()
    );
    assert!(
        rax.lines()
            .any(|l| l.starts_with("rax") && l.contains("0x1234") && l.contains("4660")),
        "info registers rax should show 0x1234 4660\n{}",
        s.dump()
    );
    let finish = s.section("finish");
    assert!(
        finish.contains("Value returned is $2 = 0"),
        "add(0, 0) returns 0\n{}",
        s.dump()
    );
    assert!(
        finish.contains("$3 = 100"),
        "acc should be the written 100\n{}",
        s.dump()
    );
    assert!(
        finish.contains("exited with code 07]"),
        "should exit with 07\n{}",
        s.dump()
    );
}

/// `stepi` moves the pc by one instruction; `x/i $pc` disassembles there.
#[test]
fn stepi_changes_pc() {
    let f = basic();
    let s = debug_fixture(
        &f,
        &[
            "break add",
            "continue",
            &mark("before"),
            "print $pc",
            &mark("stepi"),
            "stepi",
            &mark("after"),
            "print $pc",
            &mark("x"),
            "x/i $pc",
            &mark("info"),
            "info registers rip",
        ],
    );
    let before = hex_values_after(s.section("before"), ")");
    let after = hex_values_after(s.section("after"), ")");
    let (Some(&before), Some(&after)) = (before.first(), after.first()) else {
        panic!("could not parse $pc values\n{}", s.dump())
    };
    assert_ne!(before, after, "stepi should change the pc\n{}", s.dump());
    assert!(
        after > before && after - before <= 15,
        "stepi should advance by one x86 instruction ({before:#x} -> {after:#x})\n{}",
        s.dump()
    );
    let x = s.section("x");
    assert!(
        x.contains(&format!("=> {after:#x} <add+")),
        "x/i $pc should show `=> {after:#x} <add+...>`\n{}",
        s.dump()
    );
    let info = s.section("info");
    assert!(
        info.lines().any(|l| l.starts_with("rip")
            && l.contains(&format!("{after:#x}"))
            && l.contains("<add+")),
        "info registers rip should show {after:#x} <add+...>\n{}",
        s.dump()
    );
}

/// `step` enters a called function; `next` steps over calls line by line.
#[test]
fn step_and_next() {
    let f = basic();
    let call_line = f.line("loop-call");
    let body_line = f.line("add-body");
    let after_line = f.line("after-loop");
    let counter_line = f.line("counter-inc");
    let return_line = f.line("return");
    let s = debug_fixture(
        &f,
        &[
            &format!("break {}", f.location("loop-call")),
            &mark("hit"),
            "continue",
            &mark("step"),
            "step",
            &mark("bt"),
            "bt",
            &mark("next"),
            "next",
            "delete",
            &format!("tbreak {}", f.location("after-loop")),
            &mark("after"),
            "continue",
            &mark("next2"),
            "next",
            &mark("next3"),
            "next",
            &mark("exit"),
            "continue",
        ],
    );
    assert!(
        s.section("hit").contains("Breakpoint 1, main () at ")
            && s.section("hit").contains(&f.at("loop-call")),
        "should stop at line {call_line}\n{}",
        s.dump()
    );
    let step = s.section("step");
    assert!(
        step.contains("add (a=0, b=0) at ")
            && step
                .lines()
                .any(|l| l.starts_with(&format!("{body_line}\t"))),
        "step should enter add at line {body_line}\n{}",
        s.dump()
    );
    assert!(
        s.section("bt").contains("#0  add (a=0, b=0)"),
        "bt after step\n{}",
        s.dump()
    );
    assert!(
        s.section("next")
            .lines()
            .any(|l| l.starts_with(&format!("{}\t", body_line + 1))),
        "next in add should go to line {}\n{}",
        body_line + 1,
        s.dump()
    );
    assert!(
        s.section("after")
            .contains("Temporary breakpoint 2, main () at ")
            && s.section("after").contains(&f.at("after-loop")),
        "tbreak should stop at line {after_line}\n{}",
        s.dump()
    );
    // `next` steps over the fact() call.
    let next2 = s.section("next2");
    assert!(
        next2
            .lines()
            .any(|l| l.starts_with(&format!("{counter_line}\t")))
            && !next2.contains("fact ("),
        "next should step over fact() to line {counter_line}\n{}",
        s.dump()
    );
    assert!(
        s.section("next3")
            .lines()
            .any(|l| l.starts_with(&format!("{return_line}\t"))),
        "next should go to line {return_line}\n{}",
        s.dump()
    );
    s.expect_exited("exit", "07");
}

/// The program gets its arguments, inherits the server's stdout and stderr,
/// and `HOST:PORT` with an explicit host works.
#[test]
fn program_gets_arguments_and_inherits_stdio() {
    let f = fixture("args");
    let opts = ServerOptions {
        host: "127.0.0.1".to_string(),
        ..Default::default()
    };
    let server = Server::start_with(&opts, &f.exe, &["hello", "two words", "x"]);
    let gdb = gdb::spawn(&f.exe, server.port(), &["continue"]);
    let s = Session::run(server, gdb);
    assert!(
        s.output.contains("exited with code 04]"),
        "argc should be 4\n{}",
        s.dump()
    );
    s.wait_stdout("arg1=[hello]");
    s.wait_stdout("arg2=[two words]");
    s.wait_stdout("arg3=[x]");
    s.wait_stderr("args.c: argc=4");
    s.wait_stderr("Child exited with status 4");
}
