//! The terminal of a launched program, with the server started by hand in
//! a terminal (made by script(1) here): each program leads a process group
//! of its own and is the terminal's foreground, as under gdbserver, so that
//! keyboard input and Ctrl-C reach it; a second program run alongside takes
//! the terminal, and the first then gets SIGTTOU when it changes the
//! terminal's settings; when the holder is gone, the terminal is the
//! server's again.
//!
//! tests/fixtures/terminal.c says whether it is in the foreground, stops in
//! checked(), then sets the terminal's settings.

use crate::support::client::Session;
use crate::support::fixtures::{fixture, Fixture};
use crate::support::gdb::{self, mark};
use crate::support::process::{poll_until, process_group_and_foreground};
use crate::support::server::Server;
use crate::support::{scaled, WAIT_TIMEOUT};

/// gdb in batch mode on the extended-remote `server`, with `f` as the
/// program, then `cmds`.
fn ext_gdb(server: Server, f: &Fixture, cmds: &[&str]) -> Session {
    let mut all = vec![
        format!("target extended-remote 127.0.0.1:{}", server.port()),
        format!("file {}", f.exe_str()),
        format!("set remote exec-file {}", f.exe_str()),
    ];
    all.extend(cmds.iter().map(|c| c.to_string()));
    let all: Vec<&str> = all.iter().map(String::as_str).collect();
    Session::run(server, gdb::batch(&gdb::args(None, &all), None))
}

/// The program started with the server has the terminal: it changes the
/// terminal's settings without being stopped.
#[test]
fn a_launched_program_has_the_terminal() {
    let f = fixture("terminal");
    let server = Server::start_in_terminal(&["--once", ":0", f.exe_str()]);
    let gdb = gdb::spawn(
        &f.exe,
        server.port(),
        &["break checked", "continue", &mark("exit"), "continue"],
    );
    let mut s = Session::run(server, gdb);
    s.wait_stdout("own group 1, foreground 1");
    s.expect_in("exit", "exited normally");
    s.wait_stdout("settings set");
    s.wait_clean_exit();
}

/// Two programs run in one terminal: the second takes it, so the first is
/// stopped by SIGTTOU when it sets the terminal's settings.
#[test]
fn the_second_program_takes_the_terminal() {
    let f = fixture("terminal");
    let server = Server::start_in_terminal(&["--multi", ":0"]);
    let s = ext_gdb(
        server,
        &f,
        &[
            "break checked",
            "run",
            "add-inferior",
            "inferior 2",
            &format!("file {}", f.exe_str()),
            &format!("set remote exec-file {}", f.exe_str()),
            "run",
            "inferior 1",
            &mark("first"),
            "continue",
            "kill inferiors 1 2",
        ],
    );
    s.expect_in("first", "received signal SIGTTOU");
    let terminal = s.server.stdout().text();
    assert_eq!(
        terminal.matches("own group 1, foreground 1").count(),
        2,
        "each program had the terminal when it started\n{}",
        s.dump()
    );
}

/// When the program holding the terminal has ended, the server (which goes
/// on, with --multi) has its terminal back.
#[test]
fn the_terminal_comes_back_when_the_program_ends() {
    let f = fixture("terminal");
    let server = Server::start_in_terminal(&["--multi", ":0"]);
    let server_pid = server.pid();
    let s = ext_gdb(server, &f, &[&mark("exit"), "run"]);
    s.expect_in("exit", "exited normally");
    s.wait_stdout("own group 1, foreground 1");
    s.wait_stdout("settings set");
    // The server may still be taking in gdb's leaving: poll.
    let server_in_foreground =
        || process_group_and_foreground(server_pid).is_some_and(|(group, fg)| group == fg);
    assert!(
        poll_until(scaled(WAIT_TIMEOUT), server_in_foreground),
        "the server's group should be the terminal's foreground again: {:?}\n{}",
        process_group_and_foreground(server_pid),
        s.dump()
    );
}
