//! Ctrl-C in gdb while `continue` runs a multi-threaded program that never
//! stops by itself (tests/fixtures/spin.c).

use crate::support::client::Session;
use crate::support::fixtures::fixture;
use crate::support::gdb::{self, mark, thread_rows};
use crate::support::server::Server;

/// spin.c's threads: main plus 3 spinners.
const THREADS: usize = 4;

#[test]
fn ctrl_c_interrupts_continue() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let gdb = gdb::spawn(
        &f.exe,
        server.port(),
        &[
            &mark("cont"),
            "continue",
            &mark("info"),
            "info threads",
            &mark("bt"),
            "thread apply all bt 1",
            &mark("kill"),
            "kill",
        ],
    );
    // spin.c prints "ready" once every thread runs, which also means gdb is
    // inside `continue`; then interrupt as a user pressing Ctrl-C would.
    server.wait_stdout("ready", None);
    gdb.interrupt();
    let s = Session::run(server, gdb);

    let cont = s.section("cont");
    assert!(
        cont.contains("received signal SIGINT, Interrupt."),
        "gdb should report SIGINT after Ctrl-C\n{}",
        s.dump()
    );

    let info = s.section("info");
    let rows = thread_rows(info);
    assert_eq!(
        rows.len(),
        THREADS,
        "info threads should list {THREADS} threads\n{}",
        s.dump()
    );
    assert_eq!(
        info.matches("spinner (arg=").count(),
        THREADS - 1,
        "every spinner thread should be stopped in spinner()\n{}",
        s.dump()
    );

    let bt = s.section("bt");
    assert_eq!(
        bt.lines().filter(|l| l.starts_with("Thread ")).count(),
        THREADS,
        "thread apply all should visit {THREADS} threads\n{}",
        s.dump()
    );

    let kill = s.section("kill");
    assert!(
        kill.contains("[Inferior 1 (process ") && kill.contains(") killed]"),
        "kill\n{}",
        s.dump()
    );
    assert!(
        s.server.wait_inferior_gone(),
        "the program should be gone after kill\n{}",
        s.dump()
    );
}
