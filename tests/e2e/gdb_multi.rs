//! Several processes under gdb: fork, vfork and exec catchpoints, following
//! the child, keeping both parent and child (`detach-on-fork off`), forks
//! from a multi-threaded program, fork bombs under each setting, and
//! several programs run at once in extended-remote, each killed, detached
//! or left behind at a disconnect on its own.
//!
//! The fixtures check themselves: tests/fixtures/fork_once.c's child exits
//! 7 and its parent 5 when both computed right; vfork_exec.c's exec'd child
//! exits 9; forker.c exits 0 only if every child did.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture, TempDir};
use crate::support::gdb::{self, mark};
use crate::support::output::parse_number_after;
use crate::support::process::{poll_until, process_state, tracer_pid, Program};
use crate::support::server::Server;
use crate::support::{scaled, WAIT_TIMEOUT};

/// gdb in batch mode on `f`, launched by the server with `args`.
fn debug_with_args(f: &Fixture, args: &[&str], cmds: &[&str]) -> Session {
    let server = Server::start(&f.exe, args);
    let gdb = gdb::spawn(&f.exe, server.port(), cmds);
    Session::run(server, gdb)
}

/// The pid gdb printed after `prefix` in section `name`.
fn pid_after(s: &Session, name: &str, prefix: &str) -> u64 {
    s.section(name)
        .lines()
        .find_map(|l| parse_number_after(l, prefix))
        .unwrap_or_else(|| panic!("no {prefix:?} in section @@{name}\n{}", s.dump()))
}

/// `catch fork`, `catch vfork` and `catch exec` stop where gdbserver's do,
/// naming the new process and the new program; the programs then run to
/// their ends unharmed.
#[test]
fn catch_fork_vfork_and_exec() {
    let f = fixture("fork_once");
    let mut s = gdb::debug_fixture(
        &f,
        &[
            "catch fork",
            &mark("fork"),
            "continue",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("fork", "Catchpoint 1 (forked process ");
    s.expect_exited("exit", "05");
    s.wait_stdout("parent: 42, child exited 7");
    s.wait_clean_exit();

    let f = fixture("vfork_exec");
    let mut s = gdb::debug_fixture(
        &f,
        &[
            "catch vfork",
            "catch exec",
            &mark("vfork"),
            "continue",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("vfork", "Catchpoint 1 (vforked process ");
    s.expect_exited("exit", "05");
    s.wait_stdout("parent: 42, child exited 9");
    s.wait_clean_exit();

    // The exec happens in the child: follow it there.
    let f = fixture("vfork_exec");
    let s = gdb::debug_fixture(
        &f,
        &[
            "set follow-fork-mode child",
            "catch exec",
            &mark("exec"),
            "continue",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("exec", "(exec'd ");
    s.expect_in("exec", "vfork_exec)");
    s.expect_exited("exit", "011");
    s.wait_stdout("parent: 42, child exited 9");
}

/// `follow-fork-mode child`: gdb goes with the child, stops at a breakpoint
/// in its code, and the parent, detached with no breakpoint left behind,
/// runs on to its end.
#[test]
fn follow_fork_child_stops_in_the_child() {
    let f = fixture("fork_once");
    let mut s = gdb::debug_fixture(
        &f,
        &[
            "set follow-fork-mode child",
            "break child_work",
            &mark("hit"),
            "continue",
            &mark("inferiors"),
            "info inferiors",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("hit", " fork to child ");
    s.expect_in("hit", "hit Breakpoint 1, child_work (n=21)");
    let child = pid_after(&s, "hit", "[New inferior 2 (process ");
    s.expect_in("inferiors", &format!("process {child} "));
    s.expect_exited("exit", "07");
    // The parent ran to its own end on its own.
    s.wait_stdout("parent: 42, child exited 7");
    s.wait_stderr("Detaching from process");
    s.wait_clean_exit();
}

/// `detach-on-fork off` (with `schedule-multiple on`, so that the parent,
/// waiting for its child, is not stuck): both processes are debugged, each
/// stops at its own breakpoint and runs to its own exit code.
#[test]
fn detach_on_fork_off_debugs_both() {
    let f = fixture("fork_once");
    let s = gdb::debug_fixture(
        &f,
        &[
            "set detach-on-fork off",
            "set schedule-multiple on",
            "break child_work",
            "break parent_work",
            &mark("child"),
            "continue",
            &mark("inferiors"),
            "info inferiors",
            &mark("child-exit"),
            "continue",
            "inferior 1",
            &mark("parent"),
            "continue",
            &mark("parent-exit"),
            "continue",
        ],
    );
    s.expect_in("child", "[New inferior 2 (process ");
    s.expect_in("child", "Thread 2.1 ");
    s.expect_in("child", "child_work (n=21)");
    let inferiors = s.section("inferiors");
    assert_eq!(
        inferiors.matches(" process ").count(),
        2,
        "both processes should be inferiors of gdb\n{}",
        s.dump()
    );
    s.expect_exited("child-exit", "07");
    s.expect_in("parent", "Thread 1.1 ");
    s.expect_in("parent", "parent_work (n=41)");
    s.expect_exited("parent-exit", "05");
    s.wait_stdout("parent: 42, child exited 7");
}

/// `follow-fork-mode child` and `detach-on-fork off`: gdb goes with the
/// child and keeps the parent, stopped, as a second inferior it can go
/// back to.
#[test]
fn follow_the_child_and_keep_the_parent() {
    let f = fixture("fork_once");
    let s = gdb::debug_fixture(
        &f,
        &[
            "set follow-fork-mode child",
            "set detach-on-fork off",
            "break child_work",
            "break parent_work",
            &mark("child"),
            "continue",
            &mark("child-exit"),
            "continue",
            "inferior 1",
            &mark("parent"),
            "continue",
            &mark("parent-exit"),
            "continue",
        ],
    );
    s.expect_in("child", "child_work (n=21)");
    s.expect_exited("child-exit", "07");
    s.expect_in("parent", "parent_work (n=41)");
    s.expect_exited("parent-exit", "05");
}

/// A thread of a multi-threaded program forks: the child (one thread, a
/// copy of the forking one) is followed to a breakpoint, and the parent's
/// threads run on unharmed to the end.
#[test]
fn a_thread_of_a_multithreaded_program_forks() {
    let f = fixture("fork_threads");
    let mut s = gdb::debug_fixture(
        &f,
        &[
            "set follow-fork-mode child",
            "break child_work",
            &mark("hit"),
            "continue",
            &mark("threads"),
            "info threads",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("hit", "child_work (n=21)");
    let rows = gdb::thread_rows(s.section("threads"));
    assert_eq!(
        rows.len(),
        1,
        "the child has one thread, a copy of the forking one\n{}",
        s.dump()
    );
    s.expect_exited("exit", "07");
    s.wait_stdout("parent: child exited 7");
    s.wait_clean_exit();
}

/// vfork then exec in the child, followed: gdb goes with the child into
/// the new program and stops at a breakpoint there; the parent, which
/// shared its memory until then, runs on unharmed.
#[test]
fn vfork_then_exec_in_the_followed_child() {
    let f = fixture("vfork_exec");
    let mut s = gdb::debug_fixture(
        &f,
        &[
            "set follow-fork-mode child",
            "break exec_work",
            &mark("hit"),
            "continue",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("hit", " vfork to child ");
    s.expect_in("hit", "is executing new program");
    s.expect_in("hit", "exec_work (n=3)");
    s.expect_exited("exit", "011");
    s.wait_stdout("parent: 42, child exited 9");
    s.wait_clean_exit();
}

/// A gdb script that continues until every process has ended, switching to
/// a live inferior when the current one has exited, and counts the
/// breakpoint hits and the exits (with an exit code: not the detaches).
const CONTINUE_TO_THE_END: &str = r#"python
hits = 0
exits = 0
def on_stop(event):
    global hits
    if isinstance(event, gdb.BreakpointEvent):
        hits += 1
def on_exit(event):
    global exits
    if hasattr(event, "exit_code"):
        exits += 1
gdb.events.stop.connect(on_stop)
gdb.events.exited.connect(on_exit)
for _ in range(2000):
    live = [i for i in gdb.inferiors() if i.pid != 0]
    if not live:
        break
    if gdb.selected_inferior().pid == 0:
        gdb.execute("inferior %d" % live[0].num, to_string=True)
    gdb.execute("continue", to_string=True)
print("counted: %d hits, %d exits" % (hits, exits))
end
"#;

/// forker.c with 100 children, a breakpoint in the children's code, under
/// each of gdb's fork settings: every child is healthy (none dies of an
/// inherited int3), and gdb stops in a child exactly when it debugs it.
#[test]
fn fork_bomb_under_each_setting() {
    let f = fixture("forker");
    let dir = TempDir::new("fork-bomb");
    let script = dir.join("continue.gdb");
    std::fs::write(&script, CONTINUE_TO_THE_END).expect("writing the gdb script");
    let source = format!("source {}", script.display());
    // (settings, breakpoint hits gdb sees, processes it sees end)
    let cases: [(&[&str], usize, usize); 4] = [
        // gdb's defaults: follow the parent, detach every child.
        (&[], 0, 1),
        // The first child is followed (and stops); the parent is let go.
        (&["set follow-fork-mode child"], 1, 1),
        // Every child is kept: each stops at the breakpoint and ends.
        (
            &["set detach-on-fork off", "set schedule-multiple on"],
            100,
            101,
        ),
        (
            &[
                "set follow-fork-mode child",
                "set detach-on-fork off",
                "set schedule-multiple on",
            ],
            100,
            101,
        ),
    ];
    for (settings, hits, exits) in cases {
        let mut cmds: Vec<&str> = settings.to_vec();
        cmds.extend(["break child_work", &source]);
        let mut s = debug_with_args(&f, &["100"], &cmds);
        s.expect(&format!("counted: {hits} hits, {exits} exits"));
        s.expect_not("SIGTRAP");
        s.wait_stdout("healthy 100/100");
        s.wait_clean_exit();
    }
}

/// `--once --multi`: a server with no program yet, which ends with the
/// session.
fn multi_server() -> Server {
    Server::start_args(&["--once", "--multi", ":0"])
}

/// gdb in batch mode on extended-remote `server`, with `file` and `set
/// remote exec-file` of `f`, then `cmds`.
fn ext_gdb(server: &Server, f: &Fixture, cmds: &[&str]) -> crate::support::client::Client {
    let mut all = vec![
        format!("target extended-remote 127.0.0.1:{}", server.port()),
        format!("file {}", f.exe_str()),
        format!("set remote exec-file {}", f.exe_str()),
    ];
    all.extend(cmds.iter().map(|c| c.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    gdb::batch(&gdb::args(None, &all), None)
}

/// Extended-remote: a second `run` while the first program lives adds a
/// process; gdb lists both, steps in the first, kills it, detaches the
/// second, which runs on to its own end.
#[test]
fn two_programs_at_once_in_extended_remote() {
    let f = fixture("fork_once");
    let server = multi_server();
    let gdb = ext_gdb(
        &server,
        &f,
        &[
            "break parent_work",
            "run",
            "add-inferior",
            "inferior 2",
            &format!("file {}", f.exe_str()),
            &format!("set remote exec-file {}", f.exe_str()),
            &mark("second"),
            "run",
            &mark("inferiors"),
            "info inferiors",
            "inferior 1",
            &mark("next"),
            "next",
            &mark("kill"),
            "kill inferiors 1",
            "inferior 2",
            &mark("detach"),
            "detach inferiors 2",
        ],
    );
    let s = Session::run(server, gdb);
    s.expect_in("second", "parent_work (n=41)");
    assert_eq!(
        s.section("inferiors").matches(" process ").count(),
        2,
        "both programs should live\n{}",
        s.dump()
    );
    s.expect_in("next", "}");
    s.expect_in("detach", "detached");
    // The detached one ran on to its end (the killed one never printed).
    s.wait_stdout("parent: 42, child exited 7");
    let stdout = s.server.stdout().text();
    assert_eq!(
        stdout.matches("parent: 42").count(),
        1,
        "only the detached program ran to its end\n{}",
        s.dump()
    );
}

/// Disconnecting with two live processes, one launched and one attached:
/// the launched one is killed, the attached one detached, alive and
/// untraced.
#[test]
fn disconnect_with_two_live_processes() {
    let spin = fixture("spin");
    let attached = Program::spawn(&spin.exe, &[]);
    attached.wait_stdout("ready");
    let f = fixture("fork_once");
    let server = multi_server();
    let gdb = ext_gdb(
        &server,
        &f,
        &[
            "break parent_work",
            "run",
            "add-inferior",
            "inferior 2",
            &format!("attach {}", attached.pid()),
            &mark("inferiors"),
            "info inferiors",
            "inferior 1",
            &mark("first"),
            "bt 1",
            "disconnect",
        ],
    );
    let s = Session::run(server, gdb);
    s.expect_in("first", "parent_work (n=41)");
    assert_eq!(
        s.section("inferiors").matches(" process ").count(),
        2,
        "both processes should be there\n{}",
        s.dump()
    );
    let launched = s
        .server
        .stderr()
        .text()
        .lines()
        .find_map(|l| parse_number_after(l, "created; pid = "))
        .expect("the launched pid");
    let launched = u32::try_from(launched).expect("a pid");
    assert!(
        poll_until(scaled(WAIT_TIMEOUT), || process_state(launched).is_none()
            || process_state(launched) == Some('Z')),
        "the launched program should be killed at the disconnect\n{}",
        s.dump()
    );
    assert!(
        poll_until(scaled(WAIT_TIMEOUT), || tracer_pid(attached.pid())
            == Some(0)),
        "the attached program should be detached\n{}",
        s.dump()
    );
    assert!(attached.alive(), "and alive\n{}", s.dump());
}

/// Thread-local variables of each of two programs: gdb asks for a thread's
/// TLS block naming the thread, whichever process it last talked to (the
/// second program run was asked about in the first's process, and failed).
#[test]
fn thread_local_variables_in_each_of_two_programs() {
    let f = fixture("tls");
    let server = multi_server();
    let gdb = ext_gdb(
        &server,
        &f,
        &[
            "add-inferior",
            "inferior 2",
            &format!("file {}", f.exe_str()),
            &format!("set remote exec-file {}", f.exe_str()),
            "break tls_ready",
            "run",
            &mark("second"),
            "p tv",
            "inferior 1",
            "run",
            &mark("first"),
            "p tv",
            "kill inferiors 1 2",
        ],
    );
    let s = Session::run(server, gdb);
    s.expect_in("second", "= 100");
    s.expect_in("first", "= 100");
}
