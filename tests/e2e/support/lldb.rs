//! lldb (`lldb-19`) in batch mode against the server under test, the way
//! [`gdb`](super::gdb) runs gdb: `lldb-19 --no-lldbinit -b` with settings
//! for plain output, `target create PROG`, `gdb-remote 127.0.0.1:PORT`,
//! then the test's commands, each as `-o CMD`.
//!
//! Two things of lldb's batch mode shape the tests:
//! - it stops running `-o` commands after one fails (the output then lacks
//!   the later sections, which [`Session::section`] reports);
//! - it also stops when the program stops "abnormally" (a signal other
//!   than SIGINT/SIGSTOP, such as SIGUSR1), and then runs the `-k`
//!   commands instead: give those as `after_crash` to
//!   [`spawn_with_crash_commands`].
//!
//! `continue`, `step`, `finish`... are synchronous in batch mode: each
//! returns once the program stopped again (or exited).

use std::path::Path;
use std::process::Command;

use super::client::{Client, Session};
use super::fixtures::Fixture;
use super::server::Server;

/// The lldb the tests drive.
pub const LLDB: &str = "lldb-19";

/// Settings given before anything else: no init files are read
/// (`--no-lldbinit`), nothing to confirm, no colors, no disassembly at
/// stops (source lines are shown where there is debug information).
const LLDB_INIT: &[&str] = &[
    "settings set auto-confirm true",
    "settings set use-color false",
    "settings set stop-disassembly-display never",
];

/// A command printing a section marker line `@@name` (with lldb's Python,
/// which the lldb-19 package depends on). The following commands' output
/// is then `Session::section(name)`; the echoed command itself (`(lldb)
/// script print('@@name')`) is not a marker line.
pub fn mark(name: &str) -> String {
    format!("script print('@@{name}')")
}

/// A command that continues the program until it exits, at most `max`
/// times (lldb stops running batch commands after a failed `continue`, so
/// a test that does not know how many stops come uses this).
pub fn continue_until_exit(max: usize) -> String {
    format!(
        "script _ = [lldb.debugger.HandleCommand('continue') for _ in range({max}) \
         if lldb.process.GetState() == lldb.eStateStopped]"
    )
}

/// `at FILE:LINE:` as lldb prints a frame's location (a column follows),
/// for the line of `MARK:marker` in the fixture.
pub fn at(f: &Fixture, marker: &str) -> String {
    format!("at {}:{}:", f.file_name(), f.line(marker))
}

/// `lldb-19 --no-lldbinit -b [settings] -o "target create PROG"
/// -o "gdb-remote 127.0.0.1:PORT" -o CMD...`
pub fn spawn(prog: &Path, port: u16, cmds: &[&str]) -> Client {
    spawn_with_crash_commands(prog, port, cmds, &[])
}

/// Like [`spawn`], with `-k` commands that lldb runs instead of the rest
/// when the program stops for a signal.
pub fn spawn_with_crash_commands(
    prog: &Path,
    port: u16,
    cmds: &[&str],
    after_crash: &[&str],
) -> Client {
    let prog = prog.to_str().expect("UTF-8 program path");
    let connect = [
        format!("target create {prog}"),
        format!("gdb-remote 127.0.0.1:{port}"),
    ];
    let all = LLDB_INIT
        .iter()
        .map(|s| (*s).to_string())
        .chain(connect)
        .chain(cmds.iter().map(|s| (*s).to_string()));
    let mut cmd = Command::new(LLDB);
    cmd.args(["--no-lldbinit", "-b"]);
    for c in all {
        cmd.arg("-o").arg(c);
    }
    for c in after_crash {
        cmd.arg("-k").arg(c);
    }
    // No symbol downloads.
    cmd.env_remove("DEBUGINFOD_URLS");
    Client::spawn(
        "lldb",
        cmd,
        false,
        "apt-get install lldb-19 (scripts/test.sh installs it)",
    )
}

/// Starts the server on a fixture and runs lldb with `cmds`.
pub fn debug_fixture(f: &Fixture, cmds: &[&str]) -> Session {
    debug_fixture_with_crash_commands(f, cmds, &[])
}

/// Starts the server on a fixture and runs lldb with `cmds` and `-k`
/// commands `after_crash`.
pub fn debug_fixture_with_crash_commands(
    f: &Fixture,
    cmds: &[&str],
    after_crash: &[&str],
) -> Session {
    let server = Server::start_fixture(f);
    let lldb = spawn_with_crash_commands(&f.exe, server.port(), cmds, after_crash);
    Session::run(server, lldb)
}
