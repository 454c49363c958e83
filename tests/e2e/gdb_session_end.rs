//! How a session ends, and what becomes of the program: gdb killed while
//! the program runs, gdb's `disconnect` and a second client, and SIGTERM to
//! the server (a launched program is killed, an attached one detached).

use std::time::{Duration, Instant};

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{self, mark};
use crate::support::output::framed;
use crate::support::process::{process_state, thread_ids, tracer_pid};
use crate::support::server::{testing_gnu_gdbserver, Server, ServerOptions};
use crate::support::workers::{self, THREADS};
use crate::support::{scaled, WAIT_TIMEOUT};

/// gdb dies (SIGKILL) while `continue` runs a launched program: the server
/// (`--once`) kills the program at once, and exits. The requirement is
/// "within a second"; the test allows 5 s on a loaded machine and prints
/// the time it took (`cargo test -- --nocapture` shows it; typically a few
/// milliseconds).
///
/// rgdbserver only: GNU gdbserver 13 leaves the program running when the
/// connection drops during `continue`.
#[test]
fn killing_gdb_kills_launched_program() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let gdb = gdb::spawn(&f.exe, server.port(), &["continue"]);
    // spin.c prints "ready" once all its threads run: gdb's `continue` is
    // under way.
    server.wait_stdout("ready", Some(&framed("gdb", &gdb.output())));
    assert!(
        server.inferior_alive(),
        "the program should run\n{}",
        server.dump()
    );

    let mut s = Session {
        client: "gdb",
        output: gdb.kill(),
        server,
    };
    let killed_at = Instant::now();
    let gone = s
        .server
        .wait_inferior_gone_within(scaled(Duration::from_secs(5)));
    let elapsed = killed_at.elapsed();
    eprintln!("killing_gdb_kills_launched_program: program gone {elapsed:?} after gdb was killed");
    assert!(
        gone,
        "the program should be gone within 5 s of gdb's death (still there after {elapsed:?})\n{}",
        s.dump()
    );
    s.wait_clean_exit();
}

/// Without `--once`, gdb's `disconnect` leaves the program stopped (at the
/// breakpoint where it was), the server says so and listens again on the
/// same port, and a second gdb takes the program over and runs it to its
/// end (basic.c exits with 7).
///
/// The reconnect line names the server; GNU gdbserver says `GDBserver`.
#[test]
fn disconnect_keeps_program_for_next_client() {
    let f = fixture("basic");
    let opts = ServerOptions {
        once: false,
        ..ServerOptions::default()
    };
    let server = Server::start_with(&opts, &f.exe, &[]);
    let gdb = gdb::spawn(
        &f.exe,
        server.port(),
        &[
            "break add",
            &mark("hit"),
            "continue",
            &mark("disconnect"),
            "disconnect",
        ],
    );
    let mut s = Session::run(server, gdb);
    assert!(
        s.section("hit")
            .contains("Breakpoint 1, add (a=0, b=0) at "),
        "the first gdb should stop in add\n{}",
        s.dump()
    );
    let name = if testing_gnu_gdbserver() {
        "GDBserver"
    } else {
        "rgdbserver"
    };
    s.wait_stderr(&format!(
        "Remote side has terminated connection.  {name} will reopen the connection."
    ));
    assert!(
        s.server
            .stderr()
            .wait_for_count("Listening on port ", 2, scaled(WAIT_TIMEOUT)),
        "the server should listen again\n{}",
        s.dump()
    );
    let port_line = format!("Listening on port {}", s.server.port());
    assert_eq!(
        s.server
            .stderr()
            .text()
            .lines()
            .filter(|l| *l == port_line)
            .count(),
        2,
        "the server should listen again on the same port\n{}",
        s.dump()
    );
    assert!(
        s.server.inferior_alive(),
        "the program should still be there\n{}",
        s.dump()
    );
    assert_eq!(
        process_state(s.server.inferior_pid()),
        Some('t'),
        "the program should be stopped (tracing stop) between clients\n{}",
        s.dump()
    );

    let second = gdb::run(
        &f.exe,
        s.server.port(),
        &[&mark("where"), "bt 1", &mark("cont"), "continue"],
    );
    s.output = format!("{}\n--- second gdb:\n{second}", s.output);
    assert!(
        s.section("where").contains("add (a=0, b=0) at "),
        "the second gdb should find the program where the first left it\n{}",
        s.dump()
    );
    s.expect_exited("cont", "07");
    s.wait_stderr("Child exited with status 7");
    assert!(
        s.server
            .stderr()
            .wait_for_count("Remote debugging from host ", 2, scaled(WAIT_TIMEOUT)),
        "two connections\n{}",
        s.dump()
    );
    s.wait_clean_exit();
}

/// SIGTERM to the server while gdb is connected and the launched program is
/// stopped at a breakpoint: the program is killed and the server exits.
/// (rgdbserver only: GNU gdbserver just dies of SIGTERM.)
#[test]
fn sigterm_kills_launched_program() {
    let f = fixture("basic");
    let mut server = Server::start_fixture(&f);
    let gdb = gdb::spawn_interactive(&f.exe, server.port(), &["break add", "continue"]);
    gdb.wait_for("Breakpoint 1, add (a=0, b=0)");
    let context = framed("gdb", &gdb.output());
    assert!(
        server.signal("TERM"),
        "kill -TERM failed\n{context}\n{}",
        server.dump()
    );
    server.wait_clean_exit(Some(&context));
    let s = Session {
        client: "gdb",
        output: gdb.kill(),
        server,
    };
    assert!(
        s.server.wait_inferior_gone(),
        "the launched program should be killed\n{}",
        s.dump()
    );
}

/// SIGTERM to the server while gdb is connected and the attached program is
/// stopped at a breakpoint: the program is detached (breakpoint removed)
/// and finishes its work normally. (rgdbserver only.)
#[test]
fn sigterm_detaches_attached_program() {
    let f = workers::workers();
    let mut program = workers::start(&f);
    let mut server = workers::attach(&program);
    let gdb = gdb::spawn_interactive(
        &f.exe,
        server.port(),
        &["break work_step", "break thread_done", "continue"],
    );
    gdb.wait_for("hit Breakpoint 1, work_step (id=");
    assert!(
        server.signal("TERM"),
        "kill -TERM failed\n{}",
        workers::dump(&gdb.output(), &server, &program)
    );
    server.wait_clean_exit(Some(&framed("gdb", &gdb.output())));
    let out = gdb.kill();
    assert!(
        program.alive(),
        "the attached program should survive\n{}",
        workers::dump(&out, &server, &program)
    );
    assert_eq!(
        tracer_pid(program.pid()),
        Some(0),
        "the program should be detached\n{}",
        workers::dump(&out, &server, &program)
    );
    assert_eq!(
        thread_ids(program.pid()).len(),
        THREADS,
        "every thread should still be there\n{}",
        workers::dump(&out, &server, &program)
    );
    workers::finish(&mut program, &out, &server);
}

/// After the launched program ran to its end, gdb's session and the server
/// end too (`--once` or not, plain remote has nothing left to debug).
#[test]
fn program_exit_ends_server_without_once() {
    let f = fixture("basic");
    let opts = ServerOptions {
        once: false,
        ..ServerOptions::default()
    };
    let server = Server::start_with(&opts, &f.exe, &[]);
    let gdb = gdb::spawn(&f.exe, server.port(), &["continue"]);
    let mut s = Session::run(server, gdb);
    assert!(
        s.output.contains(") exited with code 07]"),
        "continue should run to the end\n{}",
        s.dump()
    );
    s.wait_clean_exit();
}

/// Without the multiprocess extensions gdb asks `qAttached` with no pid:
/// a launched program is `0`, so gdb's quit kills it rather than detach
/// it (the server used to answer `1`, and the program ran on).
#[test]
fn quit_kills_launched_program_without_multiprocess() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let args = gdb::args(
        Some(&f.exe),
        &[
            "set remote multiprocess-feature-packet off",
            &gdb::target_remote(server.port()),
            "info inferiors",
        ],
    );
    let mut s = Session::run(server, gdb::batch(&args, None));
    s.expect_not("detached]");
    s.wait_clean_exit();
    assert!(
        s.server.wait_inferior_gone(),
        "gdb's quit should kill the launched program\n{}",
        s.dump()
    );
}
