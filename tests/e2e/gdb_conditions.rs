//! Breakpoint conditions and dprintf evaluated in the server (gdb sends
//! them as agent bytecode: `ConditionalBreakpoints`, `BreakpointCommands`):
//! conditions on ints, pointers, struct fields, globals, with `&&` and
//! `||`, several at one address, in a multi-threaded program, one that
//! reads unmapped memory; `dprintf-style agent`; and host evaluation still
//! working. tests/fixtures/cond.c calls f() 2000 times and prints how many
//! calls it made: every false hit went on unharmed.

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{self, mark};
use crate::support::process::cpu_flags;
use crate::support::rsp::{self, request};
use crate::support::server::{testing_gnu_gdbserver, Server};

/// gdb on cond.c (with `args`), then `cmds`.
fn debug_cond(args: &[&str], cmds: &[&str]) -> Session {
    let f = fixture("cond");
    let server = Server::start(&f.exe, args);
    let gdb = gdb::spawn(&f.exe, server.port(), cmds);
    Session::run(server, gdb)
}

/// `break f if COND`, continue to each stop in turn: the values of `i` gdb
/// stopped at, and the session (the program run to its end).
fn stops_of(condition: &str) -> (Vec<String>, Session) {
    let mut cmds = vec![format!("break f if {condition}")];
    for n in 0..6 {
        cmds.extend([mark(&format!("stop{n}")), "continue".into(), "p i".into()]);
    }
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let s = debug_cond(&[], &cmds);
    let stops = (0..6)
        .filter_map(|n| {
            let section = s.section(&format!("stop{n}"));
            if !section.contains("Breakpoint 1, f (") {
                return None;
            }
            let line = section.lines().find(|l| l.starts_with('$'))?;
            Some(line.split(" = ").nth(1)?.trim().to_string())
        })
        .collect();
    (stops, s)
}

#[test]
fn conditions_stop_exactly_where_they_hold() {
    for (condition, expected) in [
        ("i == 1999", vec!["1999"]),
        // A pointer and a struct field.
        ("p->y == 100", vec!["50"]),
        // A global.
        ("counter_global == 300", vec!["100"]),
        // && and comparisons.
        ("i > 10 && p->x < 13", vec!["11", "12"]),
        // ||
        ("i == 5 || i == 1500", vec!["5", "1500"]),
        // A string the program passes.
        ("name[0] == 'o' && i > 1996", vec!["1997", "1999"]),
    ] {
        let (stops, mut s) = stops_of(condition);
        assert_eq!(
            stops,
            expected,
            "`break f if {condition}` should stop at i = {expected:?}\n{}",
            s.dump()
        );
        s.expect("exited normally");
        s.wait_stdout("calls 2000");
        s.wait_clean_exit();
    }
}

/// The server says it evaluates the condition (gdb shows "target evals"),
/// and gdb counts only the hits it was told of.
#[test]
fn the_target_evaluates_and_gdb_hears_of_one_hit() {
    let mut s = debug_cond(
        &[],
        &[
            "set breakpoint condition-evaluation target",
            "break f if i == 1999",
            "continue",
            &mark("info"),
            "info breakpoints",
            "continue",
        ],
    );
    s.expect_in("info", "(target evals)");
    s.expect_in("info", "breakpoint already hit 1 time");
    s.wait_stdout("calls 2000");
    s.wait_clean_exit();
}

/// `condition-evaluation host`: gdb evaluates; every hit is reported.
#[test]
fn host_evaluation_still_works() {
    let mut s = debug_cond(
        &["20"],
        &[
            "set breakpoint condition-evaluation host",
            "break f if i == 17",
            &mark("stop"),
            "continue",
            "p i",
            &mark("info"),
            "info breakpoints",
            "continue",
        ],
    );
    s.expect_in("stop", "$1 = 17");
    s.expect_in("info", "stop only if i == 17\n");
    s.wait_stdout("calls 20");
    s.wait_clean_exit();
}

/// Two breakpoints at one address with different conditions: gdb sends
/// both with the one `Z0`; a hit stops if either holds.
#[test]
fn two_conditions_at_one_address_are_ored() {
    let mut s = debug_cond(
        &[],
        &[
            "break f if i == 3",
            "break f if i == 7",
            &mark("first"),
            "continue",
            "p i",
            &mark("second"),
            "continue",
            "p i",
            &mark("end"),
            "continue",
        ],
    );
    s.expect_in("first", "$1 = 3");
    s.expect_in("second", "$2 = 7");
    s.expect_in("end", "exited normally");
    s.wait_stdout("calls 2000");
    s.wait_clean_exit();
}

/// A condition that reads unmapped memory fails in the server: the hit is
/// reported, and gdb, evaluating it again, says what is wrong and stops.
#[test]
fn a_condition_reading_unmapped_memory_stops_with_gdbs_error() {
    if testing_gnu_gdbserver() && cpu_flags().contains("amx_tile") {
        // GNU: gdbserver 13 stops too (a condition that fails counts as
        // true), but on a CPU with AMX it cannot write registers, cannot
        // step over its breakpoint, and runs on to the end.
        return;
    }
    let s = debug_cond(
        &["5"],
        &["break f if *(int *)8 == 1", &mark("stop"), "continue"],
    );
    s.expect_in("stop", "Error in testing breakpoint condition");
    s.expect_in("stop", "Cannot access memory at address 0x8");
    s.expect_in("stop", "Breakpoint 1, f (i=0,");
}

/// Conditions in a multi-threaded program: the thread where it holds
/// stops, once; the others run on through their hits.
#[test]
fn conditions_in_a_multithreaded_program() {
    let f = fixture("threads");
    let s = gdb::debug_fixture(
        &f,
        &[
            "break worker if id == 2",
            &mark("stop"),
            "continue",
            "p id",
            &mark("end"),
            "continue",
        ],
    );
    s.expect_in("stop", "$1 = 2");
    s.expect_in("end", "exited with code 03");
}

/// `dprintf` with `dprintf-style agent`: the server prints every line, in
/// order, and the program never stops.
#[test]
fn dprintf_in_the_server_prints_every_line() {
    let mut s = debug_cond(
        &["50"],
        &[
            "set dprintf-style agent",
            "dprintf f,\"at %d y=%d\\n\", i, p->y",
            &mark("run"),
            "continue",
        ],
    );
    s.expect_in("run", "exited normally");
    s.expect_not("Target cannot run dprintf commands");
    s.wait_stdout("calls 50");
    let lines: Vec<String> = s
        .server
        .stdout()
        .text()
        .lines()
        .filter(|l| l.starts_with("at "))
        .map(str::to_string)
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("at {i} y={}", 2 * i)).collect();
    assert_eq!(lines, expected, "every line, in order\n{}", s.dump());
    s.wait_clean_exit();
}

/// The raw protocol: a `Z0` with a condition in bytecode; `vCont;c` stops
/// only where it holds, with no client in between to evaluate it.
#[test]
fn the_server_alone_evaluates_a_condition() {
    let f = fixture("cond");
    let server = Server::start_fixture(&f);
    let (mut c, supported) = rsp::connect_as_gdb(&server);
    assert!(supported.contains("ConditionalBreakpoints+"), "{supported}");
    assert!(supported.contains("BreakpointCommands+"), "{supported}");
    rsp::run_to(&mut c, &server, &f, "main");
    // At f's entry, the global main set before the call:
    // `counter_global == 3000` (the 1000th call).
    let global = server.address_of(&f, "counter_global");
    let mut code = vec![0x25u8]; // const64 ADDRESS
    code.extend_from_slice(&global.to_be_bytes());
    // ref32, const16 3000, equal, end
    code.extend_from_slice(&[0x19, 0x23, 0x0b, 0xb8, 0x13, 0x27]);
    let hex: String = code.iter().map(|b| format!("{b:02x}")).collect();
    let entry = server.address_of(&f, "f");
    let z0 = format!("Z0,{entry:x},1;X{:x},{hex}", code.len());
    assert_eq!(request(&mut c, &server, &z0), "OK", "{}", server.dump());
    let stop = rsp::resume(&mut c, &server);
    assert!(stop.starts_with("T05"), "{stop}\n{}", server.dump());
    let value = request(&mut c, &server, &format!("m{global:x},4"));
    assert_eq!(
        value,
        "b80b0000",
        "it should stop where counter_global is 3000\n{}",
        server.dump()
    );
}
