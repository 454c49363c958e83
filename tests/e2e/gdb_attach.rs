//! Attaching to a running program: `rgdbserver --once --attach :0 PID`,
//! with gdb in batch mode (`target remote`) on tests/fixtures/workers.c,
//! a program with 60 worker threads that the test starts itself. Every test
//! ends by letting the program finish its work: it must exit with status 0,
//! which it only does if every worker's bookkeeping is right.
//!
//! Also the command-line errors of `--attach`.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture};
use crate::support::gdb::{self, mark, thread_rows};
use crate::support::output::framed;
use crate::support::process::{
    poll_until, process_state, read_memory, tracer_pid, unused_pid, Program,
};
use crate::support::server::{run_server_to_exit, testing_gnu_gdbserver, Server};
use crate::support::workers::{
    attach, dump, finish as finish_program, start as start_workers, workers, THREADS,
};
use crate::support::{scaled, WAIT_TIMEOUT};

/// Starts workers.c, attaches the server to it, and runs gdb in batch mode
/// on it with `cmds`.
fn attach_and_run(f: &Fixture, cmds: &[&str]) -> (Program, Session) {
    let program = start_workers(f);
    let server = attach(&program);
    let gdb = gdb::spawn(&f.exe, server.port(), cmds);
    (program, Session::run(server, gdb))
}

/// Asserts that gdb said it detached from the program, in section
/// `detach`.
#[track_caller]
fn expect_detached(s: &Session, program: &Program) {
    assert!(
        s.section("detach").contains(&format!(
            "[Inferior 1 (process {}) detached]",
            program.pid()
        )),
        "detach\n{}",
        dump(&s.output, &s.server, program)
    );
}

/// Every thread of the attached program is listed. gdb then quits (end of
/// its batch commands) without an explicit `detach`: the server says the
/// process was attached (`qAttached`), so gdb detaches rather than kills,
/// and the program goes on.
#[test]
fn attach_lists_every_thread() {
    let f = workers();
    let (mut program, mut s) = attach_and_run(&f, &[&mark("info"), "info threads", &mark("end")]);
    let rows = thread_rows(s.section("info"));
    assert_eq!(
        rows.len(),
        THREADS,
        "info threads should list {THREADS} threads\n{}",
        dump(&s.output, &s.server, &program)
    );
    // Each row names a distinct thread of this process: `Thread PID.TID`.
    let prefix = format!("Thread {}.", program.pid());
    let mut tids: Vec<&str> = rows
        .iter()
        .filter_map(|r| r.split(&prefix).nth(1))
        .filter_map(|r| r.split_whitespace().next())
        .collect();
    tids.sort_unstable();
    tids.dedup();
    assert_eq!(
        tids.len(),
        THREADS,
        "every row should be a distinct thread of process {}\n{}",
        program.pid(),
        dump(&s.output, &s.server, &program)
    );
    s.wait_clean_exit();
    finish_program(&mut program, &s.output, &s.server);
}

/// A breakpoint in a function the running threads call over and over is
/// hit after `continue`, and `bt` shows the worker's stack.
#[test]
fn breakpoint_in_running_thread_after_attach() {
    let f = workers();
    let (mut program, mut s) = attach_and_run(
        &f,
        &[
            "break work_step",
            &mark("hit"),
            "continue",
            &mark("bt"),
            "bt",
            &mark("detach"),
            "detach",
        ],
    );
    let hit = s.section("hit");
    assert!(
        hit.contains("hit Breakpoint 1, work_step (id=") && hit.contains(&f.at("work-step")),
        "continue should stop at the breakpoint in work_step\n{}",
        dump(&s.output, &s.server, &program)
    );
    let bt = s.section("bt");
    assert!(
        bt.contains("#0  work_step (id=") && bt.contains(" in worker (arg="),
        "bt should show work_step called from worker\n{}",
        dump(&s.output, &s.server, &program)
    );
    expect_detached(&s, &program);
    s.wait_clean_exit();
    finish_program(&mut program, &s.output, &s.server);
}

/// `detach` while stopped at a breakpoint, with a second breakpoint that
/// only the end of the program reaches: both are removed, and the program
/// finishes its work.
#[test]
fn detach_lets_program_finish() {
    let f = workers();
    let (mut program, mut s) = attach_and_run(
        &f,
        &[
            "break work_step",
            "break thread_done",
            &mark("hit"),
            "continue",
            &mark("detach"),
            "detach",
        ],
    );
    assert!(
        s.section("hit")
            .contains("hit Breakpoint 1, work_step (id="),
        "continue should stop in work_step\n{}",
        dump(&s.output, &s.server, &program)
    );
    expect_detached(&s, &program);
    s.wait_stderr(&format!("Detaching from process {}", program.pid()));
    s.wait_clean_exit();
    assert_eq!(
        tracer_pid(program.pid()),
        Some(0),
        "the program should not be traced any more\n{}",
        dump(&s.output, &s.server, &program)
    );
    finish_program(&mut program, &s.output, &s.server);
}

/// gdb dies (SIGKILL) while `continue` runs the attached program with a
/// breakpoint inserted (in thread_done, which only the end of the program
/// reaches). The server (`--once`) detaches, removing the breakpoint, and
/// exits; the program goes on and finishes normally rather than dying of
/// SIGTRAP on a leftover `int3`.
///
/// gdb reads its commands from a pipe here (not batch mode), so that it
/// prints `Continuing.` (batch mode does not).
///
/// rgdbserver only: GNU gdbserver 13 does not exit when the connection
/// drops while the program runs (it prints `client connection closed` and
/// waits).
#[test]
fn killing_gdb_leaves_attached_program_running() {
    let f = workers();
    let mut program = start_workers(&f);
    let pid = program.pid();
    let done_addr = f
        .address_in(pid, "thread_done")
        .unwrap_or_else(|| panic!("workers not found in /proc/{pid}/maps\n{}", program.dump()));
    let original = read_memory(pid, done_addr, 32)
        .unwrap_or_else(|e| panic!("reading /proc/{pid}/mem: {e}\n{}", program.dump()));

    let mut server = attach(&program);
    let gdb = gdb::spawn_interactive(&f.exe, server.port(), &["break thread_done", "continue"]);
    gdb.wait_for("Continuing.");

    // `Continuing.` comes just before gdb inserts its breakpoints and
    // resumes: wait until the int3 is in memory and the main thread runs
    // again (back in read(), not in a tracing stop).
    let inserted = poll_until(scaled(WAIT_TIMEOUT), || {
        read_memory(pid, done_addr, 32).is_ok_and(|now| now != original)
    });
    assert!(
        inserted,
        "the breakpoint in thread_done never showed in memory\n{}",
        dump(&gdb.output(), &server, &program)
    );
    let running = poll_until(scaled(WAIT_TIMEOUT), || process_state(pid) != Some('t'));
    assert!(
        running,
        "the program never ran after `continue` (main thread state {:?})\n{}",
        process_state(pid),
        dump(&gdb.output(), &server, &program)
    );

    let out = gdb.kill();
    server.wait_clean_exit(Some(&framed("gdb", &out)));
    assert!(
        program.alive(),
        "the program should survive its debugger's death\n{}",
        dump(&out, &server, &program)
    );
    assert_eq!(
        tracer_pid(pid),
        Some(0),
        "the program should be detached\n{}",
        dump(&out, &server, &program)
    );
    let now = read_memory(pid, done_addr, 32).unwrap_or_else(|e| {
        panic!(
            "reading /proc/{pid}/mem: {e}\n{}",
            dump(&out, &server, &program)
        )
    });
    assert_eq!(
        now,
        original,
        "thread_done's code should be restored (breakpoint removed)\n{}",
        dump(&out, &server, &program)
    );
    finish_program(&mut program, &out, &server);
}

// ---------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------

/// No such process: one clear line naming the pid, and a failure status.
#[test]
fn attach_to_missing_process_fails() {
    let pid = unused_pid().to_string();
    let (status, run) = run_server_to_exit(&["--once", "--attach", ":0", &pid]);
    let stderr = run.stderr().text();
    assert!(
        !status.success(),
        "attaching to no process should fail\n{}",
        run.dump()
    );
    assert!(
        stderr.lines().any(|l| l.contains(&pid)),
        "the error should mention pid {pid}\n{}",
        run.dump()
    );
}

/// A process that a debugger already traces (here, a program launched by
/// another server) cannot be attached to; the message says why. (The
/// "already traced" wording is rgdbserver's; gdbserver only reports
/// EPERM, so only the status and the pid are checked against it.)
#[test]
fn attach_to_traced_process_fails() {
    let f = fixture("spin");
    let owner = Server::start_fixture(&f);
    let pid = owner.inferior_pid().to_string();
    let (status, run) = run_server_to_exit(&["--once", "--attach", ":0", &pid]);
    let stderr = run.stderr().text();
    let dump = || format!("{}\n--- first server:\n{}", run.dump(), owner.dump());
    assert!(
        !status.success(),
        "attaching to a traced process should fail\n{}",
        dump()
    );
    assert!(
        stderr.lines().any(|l| l.contains(&pid)),
        "the error should mention pid {pid}\n{}",
        dump()
    );
    if !testing_gnu_gdbserver() {
        assert!(
            stderr
                .lines()
                .any(|l| l.contains(&pid) && l.contains("already traced")),
            "the error should say the process is already traced\n{}",
            dump()
        );
    }
    assert!(
        owner.inferior_alive(),
        "the first server's program should not be harmed\n{}",
        dump()
    );
}

/// A PID that is not a number is a usage error (rgdbserver: status 2 and
/// the usage text; rgdbserver-only wording).
#[test]
fn attach_needs_a_numeric_pid() {
    let (status, run) = run_server_to_exit(&["--attach", ":0", "notapid"]);
    let stderr = run.stderr().text();
    assert!(
        !status.success(),
        "a non-numeric pid should be refused\n{}",
        run.dump()
    );
    assert!(
        !stderr.lines().any(|l| l.starts_with("Listening on")),
        "nothing should be started\n{}",
        run.dump()
    );
    if !testing_gnu_gdbserver() {
        assert_eq!(
            status.code(),
            Some(2),
            "usage errors exit 2\n{}",
            run.dump()
        );
        assert!(
            stderr.contains("notapid: not a process id") && stderr.contains("Usage:"),
            "the error should name the bad pid and show the usage\n{}",
            run.dump()
        );
    }
}

/// `COMM --attach PID`, the order gdbserver still accepts (gdb's testsuite
/// starts it so): the server attaches, and gdb sees the program's threads.
/// It used to take `--attach` for the program to launch.
#[test]
fn attach_after_comm() {
    let f = fixture("workers");
    let mut program = start_workers(&f);
    let pid = program.pid().to_string();
    let server = Server::start_args(&["--once", ":0", "--attach", &pid]);
    server.wait_stderr(&format!("Attached; pid = {pid}"), None);
    let gdb = gdb::spawn(&f.exe, server.port(), &[&mark("threads"), "info threads"]);
    let s = Session::run(server, gdb);
    assert_eq!(
        gdb::thread_rows(s.section("threads")).len(),
        THREADS,
        "{}",
        dump(&s.output, &s.server, &program)
    );
    finish_program(&mut program, &s.output, &s.server);
}
