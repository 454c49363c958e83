//! Extended remote: `rgdbserver --multi :0 [PROG]` and gdb's
//! `target extended-remote`: `run` (again, with arguments, environment,
//! working directory, with and without a shell and address randomization),
//! `attach`/`detach`, `kill`, and the `monitor` commands.


use std::fs;

use crate::support::workers::{self, THREADS};
use crate::support::{
    fixture, hex_values_after, mark, parse_number_after, poll_until, process_state, scaled,
    section, testing_gnu_gdbserver, thread_rows, Fixture, Gdb, Server, TempDir, WAIT_TIMEOUT,
};

/// `--multi :0`: a server with no program yet.
fn multi_server() -> Server {
    Server::start_args(&["--multi", ":0"])
}

/// gdb in batch mode: `target extended-remote`, then `file EXE` and
/// `set remote exec-file EXE` for `f`, then `cmds`.
fn ext_gdb(port: u16, f: Option<&Fixture>, cmds: &[&str]) -> String {
    let mut args = vec![
        "-ex".to_string(),
        format!("target extended-remote 127.0.0.1:{port}"),
    ];
    if let Some(f) = f {
        args.push("-ex".into());
        args.push(format!("file {}", f.exe_str()));
        args.push("-ex".into());
        args.push(format!("set remote exec-file {}", f.exe_str()));
    }
    for c in cmds {
        args.push("-ex".into());
        args.push((*c).to_string());
    }
    Gdb::spawn_args(&args).finish()
}

fn dump(gdb: &str, server: &Server) -> String {
    format!(
        "--- gdb output:\n{gdb}\n--- end of gdb output\n{}",
        server.dump()
    )
}

/// The section `name` of gdb's output, or a panic showing everything.
fn get<'a>(gdb: &'a str, server: &Server, name: &str) -> &'a str {
    section(gdb, name).unwrap_or_else(|| panic!("no section @@{name}\n{}", dump(gdb, server)))
}

/// Pids from the server's `Process PROG created; pid = N` lines.
fn created_pids(server: &Server) -> Vec<u64> {
    server
        .stderr()
        .lines()
        .iter()
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
    let out = ext_gdb(
        server.port(),
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
        let text = get(&out, &server, run);
        assert!(
            text.contains("Breakpoint 1, main () at ") && text.contains(&f.at("counter-inc")),
            "{run}: `run` should stop at {bp}\n{}",
            dump(&out, &server)
        );
    }
    for exit in ["exit1", "exit2"] {
        assert!(
            get(&out, &server, exit).contains(") exited with code 07]"),
            "{exit}: `continue` should run to the exit code\n{}",
            dump(&out, &server)
        );
    }
    assert!(
        server
            .stderr()
            .wait_for_count("Child exited with status 7", 2, scaled(WAIT_TIMEOUT)),
        "the server should report both exits\n{}",
        dump(&out, &server)
    );
    let pids = created_pids(&server);
    assert!(
        pids.len() == 2 && pids[0] != pids[1],
        "two programs should have been created\n{}",
        dump(&out, &server)
    );
}

/// `run ARGS`: the arguments reach the program (args.c prints them and
/// exits with argc).
#[test]
fn run_passes_arguments() {
    let f = fixture("args");
    let server = multi_server();
    let out = ext_gdb(server.port(), Some(&f), &[&mark("run"), "run one two"]);
    assert!(
        get(&out, &server, "run").contains(") exited with code 03]"),
        "args.c should exit with argc = 3\n{}",
        dump(&out, &server)
    );
    server.expect_stdout("arg1=[one]", &out);
    server.expect_stdout("arg2=[two]", &out);
}

/// `run hello "two words"`: gdb 13 splits the line into arguments itself
/// (removing the quotes) and sends each in `vRun`; an argument with a
/// space must reach the program whole, as with gdbserver (which quotes
/// each argument for the startup shell).
#[test]
fn run_keeps_quoted_argument_whole() {
    let f = fixture("args");
    let server = multi_server();
    let out = ext_gdb(
        server.port(),
        Some(&f),
        &[&mark("run"), "run hello \"two words\""],
    );
    server.expect_stdout("arg1=[hello]", &out);
    let arg2 = server.expect_stdout("arg2=", &out);
    assert!(
        arg2.contains("arg2=[two words]"),
        "the quoted argument should arrive whole, got {arg2:?}\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "run").contains(") exited with code 03]"),
        "args.c should get 2 arguments (exit with argc = 3)\n{}",
        dump(&out, &server)
    );
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
    let mut args = vec![
        f.exe_str().to_string(),
        "-ex".into(),
        format!("target extended-remote 127.0.0.1:{}", server.port()),
    ];
    for c in [
        "break add",
        &mark("cont1"),
        "continue",
        "delete",
        &mark("exit1"),
        "continue",
        &mark("run2"),
        "run",
    ] {
        args.push("-ex".into());
        args.push(c.to_string());
    }
    let out = Gdb::spawn_args(&args).finish();
    assert!(
        get(&out, &server, "cont1").contains("Breakpoint 1, add (a=0, b=0) at "),
        "continue should stop in add\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "exit1").contains(") exited with code 07]"),
        "continue should run to the exit\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "run2").contains(") exited with code 07]"),
        "`run` should run the same program again\n{}",
        dump(&out, &server)
    );
    assert_eq!(
        created_pids(&server).len(),
        2,
        "two programs should have been created\n{}",
        dump(&out, &server)
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
    let out = ext_gdb(
        server.port(),
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
    let info = get(&out, &server, "info");
    assert_eq!(
        thread_rows(info).len(),
        THREADS,
        "info threads should list every thread\n{}",
        workers::dump(&out, &server, &program)
    );
    assert!(
        get(&out, &server, "bt").contains("#0  work_step (id="),
        "the breakpoint should be hit by a worker\n{}",
        workers::dump(&out, &server, &program)
    );
    assert!(
        get(&out, &server, "detach").contains(&format!("[Inferior 1 (process {pid}) detached]")),
        "detach\n{}",
        workers::dump(&out, &server, &program)
    );
    workers::finish(&mut program, &out, &server);
}

/// `kill` ends the program; the server stays for the next `run`.
#[test]
fn kill_then_run_again() {
    let f = fixture("basic");
    let server = multi_server();
    let out = ext_gdb(
        server.port(),
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
        get(&out, &server, "run").contains("Breakpoint 1, add (a=0, b=0) at "),
        "run should stop in add\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "kill").contains(") killed]"),
        "kill\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "run2").contains("Breakpoint 1, add (a=0, b=0) at "),
        "the second run should stop in add\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "exit").contains(") exited with code 07]"),
        "the second program should run to its end\n{}",
        dump(&out, &server)
    );
    let pids = created_pids(&server);
    let first = *pids
        .first()
        .unwrap_or_else(|| panic!("no program created\n{}", dump(&out, &server)));
    let first = u32::try_from(first).expect("pid fits u32");
    let gone = poll_until(scaled(WAIT_TIMEOUT), || {
        matches!(process_state(first), None | Some('X'))
    });
    assert!(
        gone,
        "the killed program should be gone and reaped (state {:?})\n{}",
        process_state(first),
        dump(&out, &server)
    );
}

/// `monitor help` lists `exit`; `monitor exit` makes the server exit.
#[test]
fn monitor_help_and_exit() {
    let mut server = multi_server();
    let out = ext_gdb(
        server.port(),
        None,
        &[&mark("help"), "monitor help", &mark("exit"), "monitor exit"],
    );
    let help = get(&out, &server, "help");
    assert!(
        help.lines().any(|l| l.trim_start().starts_with("exit")),
        "monitor help should list exit\n{}",
        dump(&out, &server)
    );
    let status = server.expect_exit(&out);
    assert!(
        status.success(),
        "server exit status {status} after monitor exit\n{}",
        dump(&out, &server)
    );
}

/// `set environment FOO=bar` reaches the program run next.
#[test]
fn set_environment_reaches_program() {
    let f = fixture("env");
    let server = multi_server();
    let out = ext_gdb(
        server.port(),
        Some(&f),
        &["set environment FOO=bar", &mark("run"), "run"],
    );
    assert!(
        get(&out, &server, "run").contains(") exited normally]"),
        "env.c should exit normally\n{}",
        dump(&out, &server)
    );
    let line = server.expect_stdout("FOO", &out);
    assert_eq!(
        line,
        "FOO=[bar]",
        "the program should see FOO=bar\n{}",
        dump(&out, &server)
    );
}

/// `set cwd DIR` is the program's working directory.
#[test]
fn set_cwd_reaches_program() {
    let f = fixture("env");
    let dir = TempDir::new("cwd");
    let server = multi_server();
    let out = ext_gdb(
        server.port(),
        Some(&f),
        &[
            &format!("set cwd {}", dir.path().display()),
            &mark("run"),
            "run",
        ],
    );
    assert!(
        get(&out, &server, "run").contains(") exited normally]"),
        "env.c should exit normally\n{}",
        dump(&out, &server)
    );
    let line = server.expect_stdout("cwd=", &out);
    assert_eq!(
        line,
        format!("cwd=[{}]", dir.path().display()),
        "the program should run in the directory set\n{}",
        dump(&out, &server)
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
    let out = ext_gdb(
        server.port(),
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
        get(&out, &server, "run").contains("Breakpoint 1, add (a=0, b=0) at "),
        "run should stop in add\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "exit").contains(") exited with code 07]"),
        "continue should run to the end\n{}",
        dump(&out, &server)
    );
    assert!(
        get(&out, &server, "args").contains(") exited with code 03]"),
        "args.c should get 2 arguments\n{}",
        dump(&out, &server)
    );
    server.expect_stdout("arg1=[one]", &out);
    let arg2 = server.expect_stdout("arg2=", &out);
    assert_eq!(
        arg2,
        second,
        "arguments are passed as they are\n{}",
        dump(&out, &server)
    );
}

/// Where `counter` is, in two runs of basic.c (stopped at main).
fn counter_addresses(server: &Server, f: &Fixture, settings: &[&str]) -> (Vec<u64>, String) {
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
    let out = ext_gdb(server.port(), Some(f), &refs);
    for i in 1..=2 {
        assert!(
            get(&out, server, &format!("exit{i}")).contains(") exited with code 07]"),
            "run {i} should run to the end\n{}",
            dump(&out, server)
        );
    }
    let addrs: Vec<u64> = (1..=2)
        .flat_map(|i| hex_values_after(get(&out, server, &format!("run{i}")), "(int *)"))
        .collect();
    assert_eq!(
        addrs.len(),
        2,
        "each run should print &counter\n{}",
        dump(&out, server)
    );
    (addrs, out)
}

/// By default (`disable-randomization on`) a program loads at the same
/// address each run.
#[test]
fn disable_randomization_on_by_default() {
    let server = multi_server();
    let (addrs, out) = counter_addresses(&server, &fixture("basic"), &[]);
    assert_eq!(
        addrs[0],
        addrs[1],
        "without randomization both runs should load at the same address\n{}",
        dump(&out, &server)
    );
}

/// `set disable-randomization off` runs fine, with the kernel's address
/// randomization (when the system has it on, the two runs load at
/// different addresses).
#[test]
fn disable_randomization_off() {
    let server = multi_server();
    let (addrs, out) = counter_addresses(
        &server,
        &fixture("basic"),
        &["set disable-randomization off"],
    );
    let aslr = fs::read_to_string("/proc/sys/kernel/randomize_va_space")
        .map(|s| s.trim() != "0")
        .unwrap_or(false);
    if aslr {
        assert_ne!(
            addrs[0],
            addrs[1],
            "with randomization the two runs should load at different addresses\n{}",
            dump(&out, &server)
        );
    }
}
