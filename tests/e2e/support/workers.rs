//! Helpers for tests/fixtures/workers.c, the 60-thread program the tests
//! start themselves and attach to: start it, attach the server to it, and
//! let it finish its work.

use super::fixtures::{fixture, Fixture};
use super::output::framed;
use super::process::Program;
use super::server::Server;

/// workers.c's threads: main plus NTHREADS (60) workers.
pub const THREADS: usize = 61;

/// The fixture.
pub fn workers() -> Fixture {
    fixture("workers")
}

/// Starts workers.c and waits until every thread is at work.
pub fn start(f: &Fixture) -> Program {
    let program = Program::spawn(&f.exe, &[]);
    program.wait_stdout(&format!("ready {THREADS}"));
    program
}

/// `server --once --attach :0 PID`; checks the `Attached; pid = N` line.
pub fn attach(program: &Program) -> Server {
    let pid = program.pid().to_string();
    let server = Server::start_args(&["--once", "--attach", ":0", &pid]);
    let line = server.wait_stderr("Attached; pid = ", None);
    assert!(
        line.contains(&format!("Attached; pid = {pid}")),
        "wrong attach line {line:?}\n{}",
        server.dump()
    );
    assert_eq!(
        server.inferior_pid(),
        program.pid(),
        "the server should report the pid it attached to\n{}",
        server.dump()
    );
    server
}

/// Ends the program's work (end of file on its stdin) and checks that it
/// exits with status 0 after printing "done". `gdb` (what gdb printed) and
/// `server` are only for the failure message.
pub fn finish(program: &mut Program, gdb: &str, server: &Server) {
    program.close_stdin();
    let context = format!("{}\n{}", framed("gdb", gdb), server.dump());
    let status = program.wait_exit(&context);
    assert!(
        status.success(),
        "the program should finish its work and exit 0, got {status}\n{}",
        dump(gdb, server, program)
    );
    assert!(
        program.stdout().text().lines().any(|l| l == "done"),
        "the program should print \"done\"\n{}",
        dump(gdb, server, program)
    );
}

/// gdb's output, the server's and the program's, for assertion messages.
pub fn dump(gdb: &str, server: &Server, program: &Program) -> String {
    format!(
        "{}\n{}\n{}",
        framed("gdb", gdb),
        server.dump(),
        program.dump()
    )
}
