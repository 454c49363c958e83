//! Extended remote: `rgdbserver --multi :0 [PROG]` and gdb's
//! `target extended-remote`: `run` (again, with arguments, environment,
//! working directory, with and without a shell and address randomization),
//! `attach`/`detach`, `kill`, and the `monitor` commands.

use std::fs;

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture, TempDir};
use crate::support::gdb::{self, mark, thread_rows};
use crate::support::output::{hex_values_after, parse_number_after};
use crate::support::process::{poll_until, process_state};
use crate::support::server::{testing_gnu_gdbserver, Server};
use crate::support::workers::{self, THREADS};
use crate::support::{scaled, WAIT_TIMEOUT};

/// `--multi :0`: a server with no program yet.
fn multi_server() -> Server {
    Server::start_args(&["--multi", ":0"])
}

/// gdb in batch mode: `target extended-remote` to `server`, then `file EXE`
/// and `set remote exec-file EXE` for `f`, then `cmds`.
fn ext_gdb(server: Server, f: Option<&Fixture>, cmds: &[&str]) -> Session {
    let mut all = vec![format!(
        "target extended-remote 127.0.0.1:{}",
        server.port()
    )];
    if let Some(f) = f {
        all.push(format!("file {}", f.exe_str()));
        all.push(format!("set remote exec-file {}", f.exe_str()));
    }
    all.extend(cmds.iter().map(|c| c.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    let gdb = gdb::batch(&gdb::args(None, &all), None);
    Session::run(server, gdb)
}

/// Pids from the server's `Process PROG created; pid = N` lines.
fn created_pids(server: &Server) -> Vec<u64> {
    server
        .stderr()
        .text()
        .lines()
        .filter_map(|l| parse_number_after(l, "created; pid = "))
        .collect()
}

/// `run` to a breakpoint, `continue` to the exit; then `run` again: the
/// second program stops at the same breakpoint and exits the same way.
#[test]
fn run_to_breakpoint_twice() {
    let f = fixture("basic");
    let server = multi_server();
    let bp = f.location("counter-inc");
    let s = ext_gdb(
        server,
        Some(&f),
        &[
            &format!("break {bp}"),
            &mark("run1"),
            "run",
            &mark("exit1"),
            "continue",
            &mark("run2"),
            "run",
            &mark("exit2"),
            "continue",
        ],
    );
    for run in ["run1", "run2"] {
        let text = s.section(run);
        assert!(
            text.contains("Breakpoint 1, main () at ") && text.contains(&f.at("counter-inc")),
            "{run}: `run` should stop at {bp}\n{}",
            s.dump()
        );
    }
    for exit in ["exit1", "exit2"] {
        s.expect_exited(exit, "07");
    }
    assert!(
        s.server
            .stderr()
            .wait_for_count("Child exited with status 7", 2, scaled(WAIT_TIMEOUT)),
        "the server should report both exits\n{}",
        s.dump()
    );
    let pids = created_pids(&s.server);
    assert!(
        pids.len() == 2 && pids[0] != pids[1],
        "two programs should have been created\n{}",
        s.dump()
    );
}

/// With gdb's run packet off (`vRun`), `run` restarts the program with
/// `R`: the same program, with the arguments it was started with, stops at
/// the breakpoint again (`R` used to be refused, and gdb's `run` failed).
#[test]
fn restart_runs_the_program_again() {
    let f = fixture("args");
    let server = Server::start_args(&["--once", "--multi", ":0", f.exe_str(), "x", "y"]);
    // No `set remote exec-file`: gdb restarts with `R` only without one.
    let file = format!("file {}", f.exe_str());
    let s = ext_gdb(
        server,
        None,
        &[
            &file,
            "set remote run-packet off",
            "break main",
            &mark("first"),
            "continue",
            &mark("restart"),
            "run",
            "p argc",
            &mark("exit"),
            "continue",
        ],
    );
    s.expect_in("first", "Breakpoint 1, main (argc=3, ");
    s.expect_in("restart", "Breakpoint 1, main (argc=3, ");
    s.expect_exited("exit", "03");
    assert_eq!(created_pids(&s.server).len(), 2, "{}", s.dump());
}

/// `run ARGS`: the arguments reach the program (args.c prints them and
/// exits with argc).
#[test]
fn run_passes_arguments() {
    let f = fixture("args");
    let server = multi_server();
    let s = ext_gdb(server, Some(&f), &[&mark("run"), "run one two"]);
    s.expect_exited("run", "03");
    s.wait_stdout("arg1=[one]");
    s.wait_stdout("arg2=[two]");
}

/// `run hello "two words"`: gdb 13 splits the line into arguments itself
/// (removing the quotes) and sends each in `vRun`; an argument with a
/// space must reach the program whole, as with gdbserver (which quotes
/// each argument for the startup shell).
#[test]
fn run_keeps_quoted_argument_whole() {
    let f = fixture("args");
    let server = multi_server();
    let s = ext_gdb(server, Some(&f), &[&mark("run"), "run hello \"two words\""]);
    s.wait_stdout("arg1=[hello]");
    let arg2 = s.wait_stdout("arg2=");
    assert!(
        arg2.contains("arg2=[two words]"),
        "the quoted argument should arrive whole, got {arg2:?}\n{}",
        s.dump()
    );
    s.expect_exited("run", "03");
}

/// `--multi :0 PROG`: the program is started at once and debugged like in
/// plain remote; after its exit, `run` (no exec-file set, so gdb sends a
/// `vRun` without a program name) runs it again, as gdbserver does.
#[test]
fn multi_with_program() {
    let f = fixture("basic");
    let server = Server::start_args(&["--multi", ":0", f.exe_str()]);
    assert_ne!(
        server.inferior_pid(),
        0,
        "the server should start the program\n{}",
        server.dump()
    );
    let args = gdb::args(
        Some(&f.exe),
        &[
            &format!("target extended-remote 127.0.0.1:{}", server.port()),
            "break add",
            &mark("cont1"),
            "continue",
            "delete",
            &mark("exit1"),
            "continue",
            &mark("run2"),
            "run",
        ],
    );
    let s = Session::run(server, gdb::batch(&args, None));
    assert!(
        s.section("cont1")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "continue should stop in add\n{}",
        s.dump()
    );
    s.expect_exited("exit1", "07");
    s.expect_exited("run2", "07");
    assert_eq!(
        created_pids(&s.server).len(),
        2,
        "two programs should have been created\n{}",
        s.dump()
    );
}

/// `attach PID` to a program the test started, then `detach`: the program
/// finishes its work normally.
#[test]
fn attach_and_detach() {
    let f = workers::workers();
    let mut program = workers::start(&f);
    let server = multi_server();
    let pid = program.pid();
    let s = ext_gdb(
        server,
        None,
        &[
            &format!("file {}", f.exe_str()),
            &mark("attach"),
            &format!("attach {pid}"),
            &mark("info"),
            "info threads",
            &mark("bt"),
            "break work_step",
            "continue",
            "bt",
            &mark("detach"),
            "detach",
        ],
    );
    let info = s.section("info");
    assert_eq!(
        thread_rows(info).len(),
        THREADS,
        "info threads should list every thread\n{}",
        workers::dump(&s.output, &s.server, &program)
    );
    assert!(
        s.section("bt").contains("#0  work_step (id="),
        "the breakpoint should be hit by a worker\n{}",
        workers::dump(&s.output, &s.server, &program)
    );
    assert!(
        s.section("detach")
            .contains(&format!("[Inferior 1 (process {pid}) detached]")),
        "detach\n{}",
        workers::dump(&s.output, &s.server, &program)
    );
    workers::finish(&mut program, &s.output, &s.server);
}

/// `kill` ends the program; the server stays for the next `run`.
#[test]
fn kill_then_run_again() {
    let f = fixture("basic");
    let server = multi_server();
    let s = ext_gdb(
        server,
        Some(&f),
        &[
            "break add",
            &mark("run"),
            "run",
            &mark("kill"),
            "kill",
            &mark("run2"),
            "run",
            &mark("exit"),
            "delete",
            "continue",
        ],
    );
    assert!(
        s.section("run")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "run should stop in add\n{}",
        s.dump()
    );
    assert!(
        s.section("kill").contains(") killed]"),
        "kill\n{}",
        s.dump()
    );
    assert!(
        s.section("run2")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "the second run should stop in add\n{}",
        s.dump()
    );
    s.expect_exited("exit", "07");
    let pids = created_pids(&s.server);
    let first = *pids
        .first()
        .unwrap_or_else(|| panic!("no program created\n{}", s.dump()));
    let first = u32::try_from(first).expect("pid fits u32");
    let gone = poll_until(scaled(WAIT_TIMEOUT), || {
        matches!(process_state(first), None | Some('X'))
    });
    assert!(
        gone,
        "the killed program should be gone and reaped (state {:?})\n{}",
        process_state(first),
        s.dump()
    );
}

/// `monitor help` lists `exit`; `monitor exit` makes the server exit.
#[test]
fn monitor_help_and_exit() {
    let server = multi_server();
    let mut s = ext_gdb(
        server,
        None,
        &[&mark("help"), "monitor help", &mark("exit"), "monitor exit"],
    );
    let help = s.section("help");
    assert!(
        help.lines().any(|l| l.trim_start().starts_with("exit")),
        "monitor help should list exit\n{}",
        s.dump()
    );
    s.wait_clean_exit();
}

/// `set environment FOO=bar` reaches the program run next.
#[test]
fn set_environment_reaches_program() {
    let f = fixture("env");
    let server = multi_server();
    let s = ext_gdb(
        server,
        Some(&f),
        &["set environment FOO=bar", &mark("run"), "run"],
    );
    assert!(
        s.section("run").contains(") exited normally]"),
        "env.c should exit normally\n{}",
        s.dump()
    );
    let line = s.wait_stdout("FOO");
    assert_eq!(
        line,
        "FOO=[bar]",
        "the program should see FOO=bar\n{}",
        s.dump()
    );
}

/// `set cwd DIR` is the program's working directory.
#[test]
fn set_cwd_reaches_program() {
    let f = fixture("env");
    let dir = TempDir::new("cwd");
    let server = multi_server();
    let s = ext_gdb(
        server,
        Some(&f),
        &[
            &format!("set cwd {}", dir.path().display()),
            &mark("run"),
            "run",
        ],
    );
    assert!(
        s.section("run").contains(") exited normally]"),
        "env.c should exit normally\n{}",
        s.dump()
    );
    let line = s.wait_stdout("cwd=");
    assert_eq!(
        line,
        format!("cwd=[{}]", dir.path().display()),
        "the program should run in the directory set\n{}",
        s.dump()
    );
}

/// `set startup-with-shell off`: the program is started directly, its
/// arguments passed as they are (no shell to split them), and debugging
/// works as usual.
///
/// GNU gdbserver refuses an argument with a space without a shell ("can't
/// handle command-line argument containing whitespace"), so it gets plain
/// words.
#[test]
fn startup_with_shell_off() {
    let server = multi_server();
    let basic = fixture("basic");
    let args = fixture("args");
    let (run_args, second) = if testing_gnu_gdbserver() {
        ("run one two", "arg2=[two]")
    } else {
        ("run one \"two words\"", "arg2=[two words]")
    };
    let s = ext_gdb(
        server,
        Some(&basic),
        &[
            "set startup-with-shell off",
            "break add",
            &mark("run"),
            "run",
            &mark("exit"),
            "delete",
            "continue",
            &format!("file {}", args.exe_str()),
            &format!("set remote exec-file {}", args.exe_str()),
            &mark("args"),
            run_args,
        ],
    );
    assert!(
        s.section("run")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "run should stop in add\n{}",
        s.dump()
    );
    s.expect_exited("exit", "07");
    s.expect_exited("args", "03");
    s.wait_stdout("arg1=[one]");
    let arg2 = s.wait_stdout("arg2=");
    assert_eq!(
        arg2,
        second,
        "arguments are passed as they are\n{}",
        s.dump()
    );
}

/// Where `counter` is, in two runs of basic.c (stopped at main).
fn counter_addresses(f: &Fixture, settings: &[&str]) -> (Vec<u64>, Session) {
    let mut cmds: Vec<String> = settings.iter().map(|s| s.to_string()).collect();
    cmds.push("break main".into());
    for i in 1..=2 {
        cmds.push(mark(&format!("run{i}")));
        cmds.push("run".into());
        cmds.push("print &counter".into());
        cmds.push(mark(&format!("exit{i}")));
        cmds.push("continue".into());
    }
    let refs: Vec<&str> = cmds.iter().map(String::as_str).collect();
    let s = ext_gdb(multi_server(), Some(f), &refs);
    for i in 1..=2 {
        s.expect_exited(&format!("exit{i}"), "07");
    }
    let addrs: Vec<u64> = (1..=2)
        .flat_map(|i| hex_values_after(s.section(&format!("run{i}")), "(int *)"))
        .collect();
    assert_eq!(
        addrs.len(),
        2,
        "each run should print &counter\n{}",
        s.dump()
    );
    (addrs, s)
}

/// By default (`disable-randomization on`) a program loads at the same
/// address each run.
#[test]
fn disable_randomization_on_by_default() {
    let (addrs, s) = counter_addresses(&fixture("basic"), &[]);
    assert_eq!(
        addrs[0],
        addrs[1],
        "without randomization both runs should load at the same address\n{}",
        s.dump()
    );
}

/// `set disable-randomization off` runs fine, with the kernel's address
/// randomization (when the system has it on, the two runs load at
/// different addresses).
#[test]
fn disable_randomization_off() {
    let (addrs, s) = counter_addresses(&fixture("basic"), &["set disable-randomization off"]);
    let aslr = fs::read_to_string("/proc/sys/kernel/randomize_va_space")
        .map(|s| s.trim() != "0")
        .unwrap_or(false);
    if aslr {
        assert_ne!(
            addrs[0],
            addrs[1],
            "with randomization the two runs should load at different addresses\n{}",
            s.dump()
        );
    }
}
