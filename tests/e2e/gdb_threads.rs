//! End-to-end tests with gdb on tests/fixtures/threads.c: a breakpoint hit
//! by every thread, thread listing and switching.

use std::collections::BTreeSet;

use crate::support::fixtures::fixture;
use crate::support::gdb::{debug_fixture, mark, thread_rows};
use crate::support::output::parse_number_after;

/// Worker threads in threads.c (NTHREADS); with main, NTHREADS + 1.
const WORKERS: usize = 4;

#[test]
fn breakpoint_hit_by_every_thread() {
    let f = fixture("threads");
    let mut cmds: Vec<String> = vec![
        "break worker".into(),
        mark("hit0"),
        "continue".into(),
        mark("info"),
        "info threads".into(),
    ];
    for n in 1..=WORKERS + 1 {
        cmds.push(mark(&format!("thread{n}")));
        cmds.push(format!("thread {n}"));
        cmds.push("bt".into());
    }
    cmds.push(mark("all"));
    cmds.push("thread apply all bt".into());
    for i in 1..WORKERS {
        cmds.push(mark(&format!("hit{i}")));
        cmds.push("continue".into());
    }
    cmds.push(mark("exit"));
    cmds.push("continue".into());
    let cmd_refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let mut s = debug_fixture(&f, &cmd_refs);

    // Each stop names the thread that hit the breakpoint, e.g.
    // `Thread 3 "threads" hit Breakpoint 1, worker (id=0) at ...` (the
    // quoted name is there only if the server reports thread names).
    let mut ids = BTreeSet::new();
    for i in 0..WORKERS {
        let hit = s.section(&format!("hit{i}"));
        let line = hit
            .lines()
            .find(|l| l.contains("hit Breakpoint 1, worker (id="))
            .unwrap_or_else(|| panic!("stop {i} is not at the worker breakpoint\n{}", s.dump()));
        assert!(
            line.starts_with("Thread "),
            "stop {i} should name its thread: {line:?}\n{}",
            s.dump()
        );
        let id = parse_number_after(line, "worker (id=")
            .unwrap_or_else(|| panic!("no id in {line:?}\n{}", s.dump()));
        assert!(ids.insert(id), "worker (id={id}) hit twice\n{}", s.dump());
    }
    let expected: BTreeSet<u64> = (0..WORKERS as u64).collect();
    assert_eq!(
        ids,
        expected,
        "every worker should hit the breakpoint once\n{}",
        s.dump()
    );

    let info = s.section("info");
    let rows = thread_rows(info);
    assert_eq!(
        rows.len(),
        WORKERS + 1,
        "info threads should list {} threads\n{}",
        WORKERS + 1,
        s.dump()
    );
    assert!(
        rows.iter()
            .any(|r| r.trim_start().starts_with('*') && r.contains("worker (id=")),
        "the current thread should be the one in worker\n{}",
        s.dump()
    );

    for n in 1..=WORKERS + 1 {
        let sec = s.section(&format!("thread{n}"));
        assert!(
            sec.contains(&format!("[Switching to thread {n} (Thread ")),
            "`thread {n}` should switch to it\n{}",
            s.dump()
        );
        assert!(
            sec.contains("#0  "),
            "bt in thread {n} should show frame #0\n{}",
            s.dump()
        );
        let want = if n == 1 {
            "main () at "
        } else {
            "thread_main (arg="
        };
        assert!(
            sec.contains(want),
            "bt in thread {n} should reach {want:?}\n{}",
            s.dump()
        );
    }

    let all = s.section("all");
    let headers = all.lines().filter(|l| l.starts_with("Thread ")).count();
    assert_eq!(
        headers,
        WORKERS + 1,
        "thread apply all bt should cover every thread\n{}",
        s.dump()
    );
    assert_eq!(
        all.matches("thread_main (arg=").count(),
        WORKERS,
        "every worker's backtrace should reach thread_main\n{}",
        s.dump()
    );

    // threads.c exits with 3 when every worker ran.
    s.expect_exited("exit", "03");
    s.wait_stderr("Child exited with status 3");
    s.wait_exit();
}
