//! End-to-end tests of `info os` (`qXfer:osdata`): the server host's
//! processes, threads, files and sockets, as IDEs' remote process pickers
//! list them before `attach`, and MI's `-info-os`.

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{self, mark};
use crate::support::mi::Mi;
use crate::support::process::Program;
use crate::support::server::Server;

/// The rows of a section whose first column is `first`.
fn rows_starting<'a>(text: &'a str, first: &str) -> Vec<&'a str> {
    text.lines()
        .filter(|l| l.split_whitespace().next() == Some(first))
        .collect()
}

/// An extended-remote server with no process lists a program the test
/// started, its threads and open files, and the server's own listening
/// socket; `info os` lists the types, and an unknown type is an error.
/// (The server used to answer no `qXfer:osdata`.)
#[test]
fn info_os_lists_the_hosts_processes() {
    let f = fixture("spin");
    let program = Program::spawn(&f.exe, &[]);
    program.wait_stdout("ready");
    let pid = program.pid().to_string();
    let server = Server::start_args(&["--multi", ":0"]);
    let port = server.port().to_string();
    let args = gdb::args(
        None,
        &[
            &format!("target extended-remote 127.0.0.1:{port}"),
            &mark("types"),
            "info os",
            &mark("processes"),
            "info os processes",
            &mark("threads"),
            "info os threads",
            &mark("files"),
            "info os files",
            &mark("sockets"),
            "info os sockets",
            &mark("procgroups"),
            "info os procgroups",
            &mark("unknown"),
            "info os unknown_entry",
            &mark("end"),
        ],
    );
    let s = Session::run(server, gdb::batch(&args, None));
    for kind in [
        "processes",
        "procgroups",
        "threads",
        "files",
        "sockets",
        "shm",
    ] {
        assert!(
            !rows_starting(s.section("types"), kind).is_empty(),
            "info os should list {kind}\n{}",
            s.dump()
        );
    }
    let process = rows_starting(s.section("processes"), &pid);
    assert!(
        process.len() == 1 && process[0].contains(f.exe_str()),
        "one row for pid {pid} with its command line: {process:?}\n{}",
        s.dump()
    );
    // spin.c: main and its spinning threads, each on some core.
    let threads = rows_starting(s.section("threads"), &pid);
    assert!(threads.len() > 1, "{threads:?}\n{}", s.dump());
    assert!(
        rows_starting(s.section("files"), &pid)
            .iter()
            .any(|r| r.split_whitespace().nth(2) == Some("0")),
        "the program's stdin should be listed\n{}",
        s.dump()
    );
    assert!(
        s.section("sockets")
            .lines()
            .any(|l| l.contains(&format!(" {port} ")) && l.contains("LISTEN")),
        "the server's socket should be listed\n{}",
        s.dump()
    );
    assert!(s.section("procgroups").contains(&pid), "{}", s.dump());
    s.expect_in("unknown", "Wrong osdata type?");
}

/// MI's `-info-os processes` has the program being debugged.
#[test]
fn mi_info_os_processes() {
    let f = fixture("basic");
    let mut mi = Mi::start(&f);
    let pid = mi.server.inferior_pid();
    let table = mi.done("-info-os processes");
    mi.check(
        // Its first column, the pid.
        table.line.contains(&format!("{{col0=\"{pid}\",")),
        &format!("-info-os processes should list pid {pid}: {}", table.line),
    );
    let types = mi.done("-info-os");
    mi.check(
        types.line.contains("col0=\"processes\""),
        &format!("-info-os should list the types: {}", types.line),
    );
}
