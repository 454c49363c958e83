//! fork, vfork and exec under gdb (which follows the parent and detaches
//! children, its defaults). A child must never carry one of the parent's
//! breakpoints away (it would die of SIGTRAP), and exec must not stop the
//! program with a stray SIGTRAP.
//!
//! tests/fixtures/forker.c and vforker.c check their 300 children
//! themselves: main returns 0 only if every child exited 0.

use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark};

/// 300 forked children each call child_work(), where gdb has a breakpoint
/// (inserted in the parent, which never calls it): every child is detached
/// without the breakpoint and exits 0, and the parent runs to its end.
#[test]
fn fork_children_stay_healthy() {
    let f = fixture("forker");
    let mut s = debug_fixture(&f, &["break child_work", &mark("cont"), "continue"]);
    let cont = s.section("cont");
    assert!(
        cont.contains(") exited normally]"),
        "forker.c should exit 0 (every child healthy)\n{}",
        s.dump()
    );
    s.expect_not("SIGTRAP");
    s.expect_not("hit Breakpoint");
    s.wait_stdout("healthy 300/300");
    let status = s.wait_exit();
    assert!(
        status.success(),
        "server exit status {status}\n{}",
        s.dump()
    );
}

/// 300 vforked children, sharing the parent's memory (and so its
/// breakpoints) until they exec /bin/true or exit: half of them call
/// child_work(), where gdb has a breakpoint. None may die of SIGTRAP, and
/// the parent runs to its end.
#[test]
fn vfork_children_stay_healthy() {
    let f = fixture("vforker");
    let mut s = debug_fixture(&f, &["break child_work", &mark("cont"), "continue"]);
    let cont = s.section("cont");
    assert!(
        cont.contains(") exited normally]"),
        "vforker.c should exit 0 (every child healthy)\n{}",
        s.dump()
    );
    s.expect_not("SIGTRAP");
    s.expect_not("hit Breakpoint");
    s.wait_stdout("healthy 300/300");
    let status = s.wait_exit();
    assert!(
        status.success(),
        "server exit status {status}\n{}",
        s.dump()
    );
}

/// A program that execs itself runs to the new program's exit code (42),
/// with no SIGTRAP reported on the way. gdb may say `process N is executing
/// new program` (when the server reports exec events) or nothing at all.
#[test]
fn exec_runs_to_completion() {
    let f = fixture("execself");
    let mut s = debug_fixture(&f, &[&mark("cont"), "continue"]);
    let cont = s.section("cont");
    assert!(
        cont.contains(") exited with code 052]"),
        "execself.c should run to the exit code 42 of the program it execs\n{}",
        s.dump()
    );
    s.expect_not("SIGTRAP");
    s.wait_stdout("before exec");
    s.wait_stdout("after exec");
    s.wait_stderr("Child exited with status 42");
    let status = s.wait_exit();
    assert!(
        status.success(),
        "server exit status {status}\n{}",
        s.dump()
    );
}

/// With exec events, gdb reloads the program after the exec and inserts
/// its breakpoints in the new image: a breakpoint in code only the new
/// program runs is hit, then the program runs to its end.
#[test]
fn breakpoint_after_exec() {
    let f = fixture("execself");
    let s = debug_fixture(
        &f,
        &[
            "break after_exec",
            &mark("hit"),
            "continue",
            &mark("bt"),
            "bt 1",
            &mark("exit"),
            "continue",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("is executing new program: "),
        "gdb should be told of the exec\n{}",
        s.dump()
    );
    assert!(
        hit.contains("Breakpoint 1, after_exec () at ") && hit.contains(&f.at("after-exec")),
        "the breakpoint should be hit in the new program\n{}",
        s.dump()
    );
    assert!(
        s.section("exit").contains(") exited with code 052]"),
        "the new program should run to its exit code 42\n{}",
        s.dump()
    );
    s.expect_not("SIGTRAP");
}
