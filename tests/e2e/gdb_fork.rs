//! fork, vfork and exec under gdb (which follows the parent and detaches
//! children, its defaults). A child must never carry one of the parent's
//! breakpoints away (it would die of SIGTRAP), and exec must not stop the
//! program with a stray SIGTRAP.
//!
//! tests/fixtures/forker.c and vforker.c check their 300 children
//! themselves: main returns 0 only if every child exited 0.

use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark};

/// Runs the fixture `name` (forker or vforker) with a breakpoint in child_work(),
/// which only children call: the program must exit 0 (every child
/// healthy), with no SIGTRAP and no breakpoint hit on the way.
fn children_stay_healthy(name: &str) {
    let f = fixture(name);
    let mut s = debug_fixture(&f, &["break child_work", &mark("cont"), "continue"]);
    assert!(
        s.section("cont").contains(") exited normally]"),
        "{name}.c should exit 0 (every child healthy)\n{}",
        s.dump()
    );
    s.expect_not("SIGTRAP");
    s.expect_not("hit Breakpoint");
    s.wait_stdout("healthy 300/300");
    s.wait_clean_exit();
}

/// 300 forked children each call child_work(), where gdb has a breakpoint
/// (inserted in the parent, which never calls it): every child is detached
/// without the breakpoint and exits 0, and the parent runs to its end.
#[test]
fn fork_children_stay_healthy() {
    children_stay_healthy("forker");
}

/// 300 vforked children, sharing the parent's memory (and so its
/// breakpoints) until they exec /bin/true or exit: half of them call
/// child_work(), where gdb has a breakpoint. None may die of SIGTRAP, and
/// the parent runs to its end.
#[test]
fn vfork_children_stay_healthy() {
    children_stay_healthy("vforker");
}

/// A program that execs itself runs to the new program's exit code (42),
/// with no SIGTRAP reported on the way. gdb may say `process N is executing
/// new program` (when the server reports exec events) or nothing at all.
#[test]
fn exec_runs_to_completion() {
    let f = fixture("execself");
    let mut s = debug_fixture(&f, &[&mark("cont"), "continue"]);
    // 42, of the program it execs.
    s.expect_exited("cont", "052");
    s.expect_not("SIGTRAP");
    s.wait_stdout("before exec");
    s.wait_stdout("after exec");
    s.wait_stderr("Child exited with status 42");
    s.wait_clean_exit();
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
    s.expect_exited("exit", "052");
    s.expect_not("SIGTRAP");
}
