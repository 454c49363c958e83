//! gdb as the tests run it: in batch mode with `-ex` commands, or reading
//! commands from a pipe as from a user, always with the same settings
//! first; `@@name` marks between commands, to cut its output into
//! sections; and the rows of `info threads`.

use std::path::Path;
use std::process::Command;

use super::client::{Client, Session};
use super::fixtures::Fixture;
use super::server::Server;

/// Settings given to every gdb before it loads anything.
const GDB_INIT: &[&str] = &[
    "set debuginfod enabled off",
    "set pagination off",
    "set width 0",
    "set height 0",
    "set confirm off",
];

/// The `-ex` command that connects gdb to the server.
pub fn target_remote(port: u16) -> String {
    format!("target remote 127.0.0.1:{port}")
}

/// gdb's arguments for a program (if any) and commands: `PROG -ex CMD...`.
pub fn args(prog: Option<&Path>, cmds: &[&str]) -> Vec<String> {
    let prog = prog.map(|p| p.to_str().expect("UTF-8 program path").to_string());
    let ex = cmds.iter().flat_map(|c| ["-ex".to_string(), c.to_string()]);
    prog.into_iter().chain(ex).collect()
}

/// `gdb -nx -batch [settings] ARGS...`, run in `dir` if given.
pub fn batch(args: &[String], dir: Option<&Path>) -> Client {
    start(args, false, dir)
}

/// `gdb -nx -q [settings] ARGS...` reading commands from a pipe instead of
/// running in batch mode: send them with [`Client::send`]; gdb quits when
/// the pipe closes ([`Client::finish`]).
///
/// Unlike batch mode, gdb then prints what it prints for a user (its
/// `(gdb) ` prompts, and `Continuing.` when `continue` starts, flushed),
/// so a test can tell when a command is under way.
pub fn interactive(args: &[String]) -> Client {
    start(args, true, None)
}

fn start(args: &[String], interactive: bool, dir: Option<&Path>) -> Client {
    let mut cmd = Command::new("gdb");
    cmd.arg("-nx")
        .arg(if interactive { "-q" } else { "-batch" });
    for s in GDB_INIT {
        cmd.arg("-iex").arg(s);
    }
    cmd.args(args);
    if let Some(dir) = dir {
        cmd.current_dir(dir);
    }
    Client::spawn("gdb", cmd, interactive, "is gdb installed?")
}

/// gdb in batch mode on `prog`, connected to the server on `port`, running
/// `cmds`.
pub fn spawn(prog: &Path, port: u16, cmds: &[&str]) -> Client {
    let connect = target_remote(port);
    let all: Vec<&str> = [connect.as_str()]
        .into_iter()
        .chain(cmds.iter().copied())
        .collect();
    batch(&args(Some(prog), &all), None)
}

/// gdb reading commands from a pipe (see [`interactive`]), on `prog`,
/// connected to the server on `port`, sent `cmds`.
pub fn spawn_interactive(prog: &Path, port: u16, cmds: &[&str]) -> Client {
    let mut gdb = interactive(&args(Some(prog), &[&target_remote(port)]));
    for c in cmds {
        gdb.send(c);
    }
    gdb
}

/// Runs gdb in batch mode on `prog`, connected to `port`, with `cmds`;
/// returns its output.
pub fn run(prog: &Path, port: u16, cmds: &[&str]) -> String {
    spawn(prog, port, cmds).finish()
}

/// Starts the server on `fixture` (no arguments), runs gdb on it with
/// `cmds` after `target remote`, and returns both outputs.
pub fn debug_fixture(fixture: &Fixture, cmds: &[&str]) -> Session {
    let server = Server::start_fixture(fixture);
    let gdb = spawn(&fixture.exe, server.port(), cmds);
    Session::run(server, gdb)
}

/// A gdb command printing a section marker: `echo \n@@name\n`. The
/// following commands' output is then `Session::section(name)`.
pub fn mark(name: &str) -> String {
    format!("echo \\n@@{name}\\n")
}

/// Rows of `info threads` (`  1    Thread 1234.1234 "name" frame`, `* 2 ...`
/// for the current one).
pub fn thread_rows(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.strip_prefix("(gdb) ").unwrap_or(l))
        .filter(|l| {
            let t = l.trim_start().trim_start_matches('*').trim_start();
            t.starts_with(|c: char| c.is_ascii_digit()) && l.contains("Thread ")
        })
        .collect()
}
