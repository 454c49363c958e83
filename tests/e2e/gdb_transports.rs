//! Transports other than TCP: the server's stdin/stdout
//! (`target remote | rgdbserver - PROG`) and a Unix domain socket
//! (`rgdbserver unix:PATH PROG`).

use std::os::unix::fs::{FileTypeExt, PermissionsExt};

use crate::support::client::Session;
use crate::support::fixtures::{fixture, TempDir};
use crate::support::gdb::{self, mark};
use crate::support::output::section;
use crate::support::server::{run_server_to_exit, server_path, Server};

/// chatty.c prints ROUNDS * LINES lines.
const CHATTY_LINES: usize = 5 * 200;

/// `target remote | SERVER - PROG`: gdb starts the server itself and talks
/// to it over a pipe. Breakpoints and running to the exit work, and the
/// program's own stdout (1000 lines full of `$`, `#`, `+`, `-`) does not
/// get into the protocol stream: the server sends it to its stderr, which
/// is gdb's, so every line shows intact in gdb's output.
#[test]
fn stdio_transport() {
    let f = fixture("chatty");
    let server = server_path();
    let args = gdb::args(
        Some(&f.exe),
        &[
            &format!(
                "target remote | {} - {}",
                server.to_str().expect("UTF-8 server path"),
                f.exe_str()
            ),
            "break chat",
            &mark("hit"),
            "continue",
            "delete",
            &mark("exit"),
            "continue",
        ],
    );
    let out = gdb::batch(&args, None).finish();
    let dump = || format!("--- gdb output (the server's stderr included):\n{out}\n--- end");
    let get = |name: &str| section(&out, name).unwrap_or_else(|| panic!("no {name}\n{}", dump()));
    assert!(
        out.contains("Remote debugging using "),
        "gdb should connect through the pipe\n{}",
        dump()
    );
    assert!(
        get("hit").contains("Breakpoint 1, chat (round=0) at "),
        "continue should stop in chat\n{}",
        dump()
    );
    assert!(
        get("exit").contains(") exited with code 011]"),
        "continue should run chatty.c to its exit code 9\n{}",
        dump()
    );
    let mut expected = Vec::with_capacity(CHATTY_LINES);
    for round in 0..5 {
        for i in 0..200 {
            expected.push(format!("chatty {round}.{i} $O00#ff +-+ }}*{{ $T05#b9"));
        }
    }
    let got: Vec<&str> = out.lines().filter(|l| l.starts_with("chatty ")).collect();
    assert_eq!(
        got.len(),
        CHATTY_LINES,
        "every line the program printed should reach gdb's stderr once\n{}",
        dump()
    );
    for (line, want) in got.iter().zip(&expected) {
        assert_eq!(
            line,
            want,
            "the program's output should be intact and in order\n{}",
            dump()
        );
    }
    assert!(
        !out.contains("Ignoring packet error") && !out.contains("Remote connection closed"),
        "the protocol should not be disturbed\n{}",
        dump()
    );
}

/// `unix:PATH`: the socket is created with mode 0600, gdb (13) connects
/// with `target remote PATH` (gdb 13 does not know the `unix::PATH` form:
/// it reports "cannot resolve name"), debugging works, and the socket file
/// is removed when the server exits.
///
/// rgdbserver only: GNU gdbserver 13 has no Unix-socket transport.
#[test]
fn unix_socket_transport() {
    let f = fixture("basic");
    let dir = TempDir::new("unix");
    let sock = dir.join("sock");
    let sock_str = sock.to_str().expect("UTF-8 temp path").to_string();
    let server = Server::start_args(&["--once", &format!("unix:{sock_str}"), f.exe_str()]);
    server.wait_stderr(&format!("Listening on Unix socket {sock_str}"), None);
    let meta = std::fs::symlink_metadata(&sock)
        .unwrap_or_else(|e| panic!("no socket file {sock_str}: {e}\n{}", server.dump()));
    assert!(
        meta.file_type().is_socket(),
        "{sock_str} should be a socket\n{}",
        server.dump()
    );
    assert_eq!(
        meta.permissions().mode() & 0o777,
        0o600,
        "the socket should be for its owner only\n{}",
        server.dump()
    );

    let args = gdb::args(
        Some(&f.exe),
        &[
            &format!("target remote {sock_str}"),
            "break add",
            &mark("hit"),
            "continue",
            "delete",
            &mark("exit"),
            "continue",
        ],
    );
    let mut s = Session::run(server, gdb::batch(&args, None));
    assert!(
        s.section("hit")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "continue should stop in add\n{}",
        s.dump()
    );
    s.expect_exited("exit", "07");
    s.wait_stderr("Remote debugging using Unix socket");
    s.wait_clean_exit();
    assert!(
        !sock.exists(),
        "the socket file should be removed when the server exits\n{}",
        s.dump()
    );
}

/// The socket file is removed too when the server ends on SIGTERM before
/// any client came, and the launched program is killed. (rgdbserver only.)
#[test]
fn unix_socket_removed_after_sigterm() {
    let f = fixture("basic");
    let dir = TempDir::new("unixterm");
    let sock = dir.join("sock");
    let sock_str = sock.to_str().expect("UTF-8 temp path").to_string();
    let mut server = Server::start_args(&["--once", &format!("unix:{sock_str}"), f.exe_str()]);
    assert!(sock.exists(), "no socket file\n{}", server.dump());
    assert!(server.signal("TERM"), "kill -TERM\n{}", server.dump());
    server.wait_clean_exit(None);
    assert!(
        !sock.exists(),
        "the socket file should be removed when the server exits\n{}",
        server.dump()
    );
    assert!(
        server.wait_inferior_gone(),
        "the launched program should be killed\n{}",
        server.dump()
    );
}

/// A host that cannot be resolved is said the way gdbserver says it
/// (`HOST:PORT: cannot resolve name: ...`, which test harnesses wait
/// for), and the server exits with an error, starting nothing.
#[test]
fn unresolvable_host_is_refused_in_gdbservers_words() {
    let f = fixture("basic");
    for comm in ["garbage:1234:0", "tcp8:123:0"] {
        let (status, run) = run_server_to_exit(&["--once", comm, f.exe_str()]);
        assert!(!status.success(), "{comm}\n{}", run.dump());
        let text = run.stderr().text();
        assert!(
            text.lines().any(|l| l.contains(": cannot resolve name: ")),
            "{comm}: {text}"
        );
        assert!(!text.contains("created; pid"), "{}", run.dump());
    }
}
