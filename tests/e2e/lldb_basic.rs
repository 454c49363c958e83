//! End-to-end tests with lldb (`lldb-19`, batch mode) as the client:
//! `target create PROG` then `gdb-remote 127.0.0.1:PORT`, and what lldb
//! prints for breakpoints by name and by line, `frame variable`, `bt`
//! through libc, `finish`/`next`/`step`, `memory read`, registers
//! (general, flags, fs_base, xmm, ymm), `thread list` with names,
//! watchpoints, a signal stop, exit statuses, `process kill`, and attaching
//! (`--attach`) then `detach`.
//!
//! Sections of lldb's output are delimited by `@@name` lines printed with
//! [`mark`] (see support/lldb.rs for lldb's batch mode quirks).

use std::collections::BTreeSet;

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::lldb::{
    self, at, continue_until_exit, debug_fixture, debug_fixture_with_crash_commands, mark,
};
use crate::support::output::hex_values_after;
use crate::support::process::{
    cpu_flags, mappings, poll_until, read_memory, thread_ids, tracer_pid, Program,
};
use crate::support::server::Server;
use crate::support::{scaled, WAIT_TIMEOUT};

/// The first `0x...` value after `prefix` in section `name`, or a panic
/// with all output.
#[track_caller]
fn hex_after(s: &Session, name: &str, prefix: &str) -> u64 {
    hex_values_after(s.section(name), prefix)
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no `{prefix} 0x...` in section @@{name}\n{}", s.dump()))
}

/// The `id=K` of the `frame #0:` line after each thread line (`thread #N,
/// ... stop reason = REASON`) that lldb printed for a stop, in order.
fn worker_ids_stopped_for(text: &str, reason: &str) -> Vec<u32> {
    let needle = format!("stop reason = {reason}");
    let lines: Vec<&str> = text.lines().collect();
    let mut ids = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim_start().trim_start_matches('*').trim_start();
        if !(t.starts_with("thread #") && line.trim_end().ends_with(&needle)) {
            continue;
        }
        let id = lines[i + 1..]
            .iter()
            .find(|l| l.contains("frame #0:"))
            .and_then(|l| l.split("worker(id=").nth(1))
            .and_then(|rest| rest.split(')').next())
            .and_then(|n| n.parse().ok());
        if let Some(id) = id {
            ids.push(id);
        }
    }
    ids
}

/// Breakpoints by name and by line, `frame variable`, `bt` down to libc,
/// `finish` with the return value, `next`, `step` into a function,
/// `memory read` of a global, and `continue` to the exit status.
#[test]
fn breakpoints_frames_stepping_and_exit() {
    let f = fixture("basic");
    let after_loop = f.line("after-loop").to_string();
    let loop_call = f.line("loop-call").to_string();
    let mut s = debug_fixture(
        &f,
        &[
            "breakpoint set -n add",
            &format!("breakpoint set -f basic.c -l {after_loop}"),
            &mark("hit"),
            "continue",
            &mark("vars"),
            "frame variable",
            &mark("bt"),
            "bt",
            &mark("finish"),
            "finish",
            &mark("next"),
            "next",
            &mark("counter"),
            "memory read --format x --size 4 --count 1 &counter",
            &mark("line-call"),
            "breakpoint disable 1",
            &format!("breakpoint set -f basic.c -l {loop_call}"),
            "continue",
            &mark("step"),
            "step",
            &mark("line"),
            "breakpoint delete 3",
            "continue",
            &mark("exit"),
            "breakpoint delete",
            "continue",
            &mark("end"),
        ],
    );

    s.expect_in("hit", "stop reason = breakpoint 1.1");
    s.expect_in(
        "hit",
        &format!("basic`add(a=0, b=0) {}", at(&f, "add-body")),
    );

    for var in ["(int) a = 0", "(int) b = 0", "(int) sum = "] {
        s.expect_in("vars", var);
    }

    let bt = s.section("bt");
    let frame = |n: u32| {
        bt.lines()
            .find(|l| l.contains(&format!("frame #{n}:")))
            .unwrap_or_else(|| panic!("bt lacks frame #{n}\n{}", s.dump()))
    };
    assert!(
        frame(0).contains("basic`add(a=0, b=0)"),
        "frame #0 should be add\n{}",
        s.dump()
    );
    assert!(
        frame(1).contains(&format!("basic`main {}", at(&f, "loop-call"))),
        "frame #1 should be main at the call\n{}",
        s.dump()
    );
    assert!(
        bt.contains("libc.so.6`__libc_start_call_main"),
        "bt should go on through libc\n{}",
        s.dump()
    );

    s.expect_in("finish", "stop reason = step out");
    s.expect_in("finish", "Return value: (int) $0 = 0");
    s.expect_in("finish", &format!("basic`main {}", at(&f, "loop-call")));

    s.expect_in("next", "stop reason = step over");
    s.expect_in("next", "basic`main at basic.c:");

    s.expect_in("counter", ": 0x00000005");

    // Second time round the loop: acc is 0, i is 1.
    s.expect_in("line-call", "stop reason = breakpoint 3.1");
    s.expect_in("line-call", &format!("basic`main {}", at(&f, "loop-call")));
    s.expect_in("step", "stop reason = step in");
    s.expect_in(
        "step",
        &format!("basic`add(a=0, b=1) {}", at(&f, "add-body")),
    );

    s.expect_in("line", "stop reason = breakpoint 2.1");
    s.expect_in("line", &format!("basic`main {}", at(&f, "after-loop")));

    s.expect_in("exit", "exited with status = 7");
    s.wait_clean_exit();
    s.wait_stderr("Child exited with status 7");
}

/// Four threads hit one breakpoint: lldb shows every thread that stopped
/// there with "stop reason = breakpoint 1.1" (the server reports all
/// threads' stop reasons at once), and over the whole run each worker's
/// hit is reported exactly once (none lost, none twice). The program then
/// exits with 3, which it only does if every worker ran.
#[test]
fn every_thread_hitting_a_breakpoint_is_reported() {
    let f = fixture("threads");
    let s = debug_fixture(
        &f,
        &[
            "breakpoint set -n worker",
            &mark("first"),
            "continue",
            &mark("rest"),
            &continue_until_exit(8),
            &mark("end"),
        ],
    );
    let first = worker_ids_stopped_for(s.section("first"), "breakpoint 1.1");
    assert!(
        !first.is_empty(),
        "the first stop should show a worker at breakpoint 1.1\n{}",
        s.dump()
    );
    s.expect_in("first", &at(&f, "worker-body"));
    let rest = worker_ids_stopped_for(s.section("rest"), "breakpoint 1.1");
    let mut all: Vec<u32> = first.iter().chain(&rest).copied().collect();
    all.sort_unstable();
    assert_eq!(
        all,
        [0, 1, 2, 3],
        "each worker's hit should be reported once (first stop: {first:?}, later: {rest:?})\n{}",
        s.dump()
    );
    s.expect_in("rest", "exited with status = 3");
}

/// An expression that calls a function, run on the main thread while it
/// waits in a syscall (pthread_join): lldb moves the pc alone, and the
/// server must keep the kernel from restarting the syscall there (the
/// program died of SIGSEGV).
#[test]
fn function_call_from_a_thread_in_a_syscall() {
    let f = fixture("threads");
    let s = debug_fixture(
        &f,
        &[
            "breakpoint set -n worker",
            "continue",
            "thread select 1",
            &mark("call"),
            "expression -- (int)worker(2)",
            &mark("end"),
            "breakpoint delete",
            &continue_until_exit(8),
        ],
    );
    s.expect_in("call", "(int) $0 = 21");
    assert!(
        !s.output.contains("SIGSEGV"),
        "the call should not crash the program\n{}",
        s.dump()
    );
}

/// `thread list` at a breakpoint: the four threads, the workers by the
/// names they gave themselves.
#[test]
fn thread_list_shows_every_thread_and_its_name() {
    let f = fixture("thread_names");
    let s = debug_fixture(
        &f,
        &[
            "breakpoint set -n all_named",
            &mark("hit"),
            "continue",
            &mark("list"),
            "thread list",
            &mark("exit"),
            "breakpoint delete",
            "continue",
            &mark("end"),
        ],
    );
    s.expect_in("hit", "stop reason = breakpoint 1.1");
    let list = s.section("list");
    let rows: Vec<&str> = list
        .lines()
        .filter(|l| {
            let t = l.trim_start().trim_start_matches('*').trim_start();
            t.starts_with("thread #") && t.contains("tid = ")
        })
        .collect();
    assert_eq!(
        rows.len(),
        4,
        "thread list should show 4 threads\n{}",
        s.dump()
    );
    for name in ["thread_names", "worker-1", "worker-2", "worker-3"] {
        assert!(
            rows.iter().any(|r| r.contains(&format!("name = '{name}'"))),
            "no thread named {name:?}\n{}",
            s.dump()
        );
    }
    let current: Vec<&&str> = rows
        .iter()
        .filter(|r| r.trim_start().starts_with('*'))
        .collect();
    assert!(
        current.len() == 1
            && current[0].contains("name = 'thread_names'")
            && current[0].contains("stop reason = breakpoint 1.1"),
        "the main thread, at the breakpoint, should be the current one\n{}",
        s.dump()
    );
    s.expect_in("exit", "exited with status = 4");
}

/// `register read` of general registers (rip is the breakpoint's address,
/// rsp is in the stack and equal to rbp in this leaf function), the flags
/// (`rflags`, which lldb knows as an alias of `eflags`), fs_base (the
/// thread pointer, which the program saved), and xmm0/ymm0, which the
/// program loaded with {10, 20, ..., 80} when the CPU has AVX.
#[test]
fn register_read_general_flags_and_vector_registers() {
    let avx = cpu_flags().contains("avx");
    let f = fixture("regs");
    let server = Server::start_fixture(&f);
    // The top of the stack, which stays where it is for the whole run.
    let maps = mappings(server.inferior_pid());
    let stack = maps
        .iter()
        .find(|m| m.path == "[stack]")
        .map(|m| m.end)
        .unwrap_or_else(|| panic!("no [stack] in maps: {maps:?}\n{}", server.dump()));

    let mut cmds = vec![
        mark("bp"),
        "breakpoint set -n regs_here".to_string(),
        mark("hit"),
        "continue".to_string(),
        mark("general"),
        "register read rax rip rsp rbp".to_string(),
        mark("flags"),
        "register read rflags".to_string(),
        mark("fs_base"),
        "register read fs_base".to_string(),
        mark("self"),
        "p/x self_pointer".to_string(),
    ];
    if avx {
        cmds.extend([
            mark("vector"),
            "register read xmm0 ymm0".to_string(),
            mark("vector-int"),
            "register read --format int32_t xmm0 ymm0".to_string(),
        ]);
    } else {
        cmds.extend([
            mark("vector"),
            "register read xmm0".to_string(),
            mark("no-ymm"),
            // The last command: it fails, and lldb stops there.
            "register read ymm0".to_string(),
        ]);
    }
    cmds.push(mark("end"));
    let cmds: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let lldb = lldb::spawn(&f.exe, server.port(), &cmds);
    let s = Session::run(server, lldb);

    s.expect_in("hit", "stop reason = breakpoint 1.1");
    let bp = hex_after(&s, "bp", "address =");
    let rip = hex_after(&s, "general", "rip =");
    assert_eq!(
        rip,
        bp,
        "rip should be the breakpoint's address\n{}",
        s.dump()
    );
    // The pc's symbol once (a `code_ptr` type made lldb print it twice).
    let rip_line = s
        .section("general")
        .lines()
        .find(|l| l.trim_start().starts_with("rip ="))
        .unwrap_or_default()
        .to_string();
    assert_eq!(
        rip_line.matches("regs_here").count(),
        1,
        "rip should show its symbol once: {rip_line:?}\n{}",
        s.dump()
    );
    let rsp = hex_after(&s, "general", "rsp =");
    let rbp = hex_after(&s, "general", "rbp =");
    assert!(
        rsp < stack && stack - rsp < 1 << 20,
        "rsp {rsp:#x} should be just below the stack's top {stack:#x}\n{}",
        s.dump()
    );
    assert_eq!(
        rsp,
        rbp,
        "regs_here is a leaf: after its prologue rbp == rsp\n{}",
        s.dump()
    );
    assert!(
        s.section("general").contains("rax = 0x"),
        "rax should be read\n{}",
        s.dump()
    );

    // rgdbserver's target description calls it eflags (32 bits, as gdb
    // does); lldb-server's rflags. Bit 1 is always set, IF (bit 9) is set
    // in user mode.
    let flags = hex_values_after(s.section("flags"), "flags =");
    let flags = flags
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no eflags/rflags value\n{}", s.dump()));
    assert_eq!(
        flags & 0x202,
        0x202,
        "flags {flags:#x} should have bits 1 and 9 (IF) set\n{}",
        s.dump()
    );

    let fs_base = hex_after(&s, "fs_base", "fs_base =");
    let self_pointer = hex_values_after(s.section("self"), ")")
        .first()
        .copied()
        .unwrap_or_else(|| panic!("no self_pointer value\n{}", s.dump()));
    assert_eq!(
        fs_base,
        self_pointer,
        "fs_base should be the thread pointer pthread_self() returned\n{}",
        s.dump()
    );

    if avx {
        s.expect_in(
            "vector",
            "xmm0 = {0x0a 0x00 0x00 0x00 0x14 0x00 0x00 0x00 0x1e 0x00 0x00 0x00 0x28 0x00 0x00 0x00}",
        );
        s.expect_in(
            "vector",
            "ymm0 = {0x0a 0x00 0x00 0x00 0x14 0x00 0x00 0x00 0x1e 0x00 0x00 0x00 0x28 0x00 0x00 0x00 \
             0x32 0x00 0x00 0x00 0x3c 0x00 0x00 0x00 0x46 0x00 0x00 0x00 0x50 0x00 0x00 0x00}",
        );
        s.expect_in("vector-int", "xmm0 = {10 20 30 40}");
        s.expect_in("vector-int", "ymm0 = {10 20 30 40 50 60 70 80}");
        s.section("end");
    } else {
        s.expect_in("vector", "xmm0 = {");
        s.expect_in("no-ymm", "Invalid register name 'ymm0'");
    }
}

/// `watchpoint set variable` on a global: lldb stops where main writes
/// it, then where another thread does, with the old and new values; the
/// program then runs to its end (status 10 when everything it did ran).
#[test]
fn watchpoint_on_a_global_stops_at_each_write() {
    let f = fixture("watch");
    let s = debug_fixture(
        &f,
        &[
            "breakpoint set -n main",
            "continue",
            &mark("set"),
            "watchpoint set variable global",
            &mark("main-write"),
            "continue",
            &mark("thread-write"),
            "continue",
            &mark("exit"),
            "watchpoint delete",
            "continue",
            &mark("end"),
        ],
    );
    s.expect_in("set", "Watchpoint created: Watchpoint 1:");
    s.expect_in("main-write", "stop reason = watchpoint 1");
    s.expect_in("main-write", "old value: 0");
    s.expect_in("main-write", "new value: 1");
    s.expect_in("main-write", "watch`main at watch.c:");
    s.expect_in("thread-write", "stop reason = watchpoint 1");
    s.expect_in("thread-write", "old value: 1");
    s.expect_in("thread-write", "new value: 2");
    s.expect_in("thread-write", "watch`writer(");
    s.expect_in("exit", "exited with status = 10");
}

/// A signal stop: lldb names it (SIGUSR1: the server's signal numbers are
/// the ones lldb expects), shows where it was raised, and continuing
/// delivers it: the handler runs and the program exits with 5.
///
/// lldb's batch mode treats a signal stop as a crash: it stops running the
/// `-o` commands and runs the `-k` ones.
#[test]
fn signal_stop_then_delivery() {
    let f = fixture("sigusr1");
    let s = debug_fixture_with_crash_commands(
        &f,
        &[&mark("signal"), "continue", "script print('not a crash?')"],
        &[&mark("bt"), "bt", &mark("exit"), "continue", &mark("end")],
    );
    s.expect_in("signal", "stop reason = signal SIGUSR1");
    s.expect_in("bt", &format!("sigusr1`main {}", at(&f, "raise")));
    s.expect_in("exit", "exited with status = 5");
}

/// `process kill` at a breakpoint: lldb says the process exited with
/// status 9, the program is gone and the server (`--once`) exits.
///
/// lldb prints "Process N exited" from its event thread, at any time
/// after `process kill` returns: `process status` says it in order.
#[test]
fn process_kill_ends_program_and_server() {
    let f = fixture("basic");
    let mut s = debug_fixture(
        &f,
        &[
            "breakpoint set -n add",
            &mark("hit"),
            "continue",
            &mark("kill"),
            "process kill",
            &mark("status"),
            "process status",
            &mark("end"),
        ],
    );
    let pid = s.server.inferior_pid();
    s.expect_in("hit", "stop reason = breakpoint 1.1");
    s.section("end");
    s.expect_in(
        "status",
        &format!("Process {pid} exited with status = 9 (0x00000009) killed"),
    );
    assert!(
        s.server.wait_inferior_gone(),
        "the program should be gone after `process kill`\n{}",
        s.dump()
    );
    s.wait_clean_exit();
}

/// Attaching (`--attach PID`) to spin.c, which the test starts: lldb's
/// `thread list` shows its four threads (three in spinner), `detach` lets
/// it go on running (its spinners' counter keeps changing), no longer
/// traced, and the server exits. Dropping the program kills it.
#[test]
fn attach_list_threads_and_detach() {
    let f = fixture("spin");
    let program = Program::spawn(&f.exe, &[]);
    program.wait_stdout("ready");
    let pid = program.pid();
    let server = Server::start_args(&["--once", "--attach", ":0", &pid.to_string()]);
    let lldb = lldb::spawn(
        &f.exe,
        server.port(),
        &[
            &mark("list"),
            "thread list",
            &mark("detach"),
            "detach",
            &mark("end"),
        ],
    );
    let mut s = Session::run(server, lldb);
    let dump = |s: &Session| format!("{}\n{}", s.dump(), program.dump());
    let list = s.section("list");
    let tids: BTreeSet<u32> = list
        .lines()
        .filter_map(|l| l.split("tid = ").nth(1))
        .filter_map(|r| r.split(',').next()?.trim().parse().ok())
        .collect();
    let tasks = thread_ids(pid);
    assert_eq!(tasks.len(), 4, "spin has 4 threads\n{}", dump(&s));
    assert_eq!(
        tids,
        tasks,
        "thread list should show every thread\n{}",
        dump(&s)
    );
    assert_eq!(
        list.matches("spin`spinner(").count(),
        3,
        "three threads should be in spinner\n{}",
        dump(&s)
    );
    // lldb prints this from its event thread, maybe after later commands.
    let detached = format!("Process {pid} detached");
    s.section("end");
    assert!(
        s.output.contains(&detached),
        "lldb should say {detached:?}\n{}",
        dump(&s)
    );
    s.wait_stderr(&format!("Detaching from process {pid}"));
    s.wait_clean_exit();
    assert_eq!(tracer_pid(pid), Some(0), "no longer traced\n{}", dump(&s));

    // Still running: the spinners' counter goes on.
    let spins = f
        .address_in(pid, "spins")
        .unwrap_or_else(|| panic!("spin not mapped in {pid}\n{}", dump(&s)));
    let read = || read_memory(pid, spins, 8).ok();
    let before = read();
    assert!(before.is_some(), "reading spins[0] of {pid}\n{}", dump(&s));
    assert!(
        poll_until(scaled(WAIT_TIMEOUT), || read() != before),
        "the program should keep running after detach\n{}",
        dump(&s)
    );
}
