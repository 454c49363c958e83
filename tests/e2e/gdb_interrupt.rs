//! Ctrl-C in gdb while `continue` runs a multi-threaded program that never
//! stops by itself (tests/fixtures/spin.c).


use crate::support::{fixture, mark, section, Gdb, Server};

/// spin.c's threads: main plus 3 spinners.
const THREADS: usize = 4;

#[test]
fn ctrl_c_interrupts_continue() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let gdb = Gdb::spawn(
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
    server.wait_stdout("ready");
    gdb.interrupt();
    let out = gdb.finish();
    let dump = || {
        format!(
            "--- gdb output:\n{out}\n--- end of gdb output\n{}",
            server.dump()
        )
    };
    let get =
        |name: &str| section(&out, name).unwrap_or_else(|| panic!("no section {name}\n{}", dump()));

    let cont = get("cont");
    assert!(
        cont.contains("received signal SIGINT, Interrupt."),
        "gdb should report SIGINT after Ctrl-C\n{}",
        dump()
    );

    let info = get("info");
    let rows: Vec<&str> = info
        .lines()
        .filter(|l| {
            let t = l.trim_start().trim_start_matches('*').trim_start();
            t.starts_with(|c: char| c.is_ascii_digit()) && l.contains("Thread ")
        })
        .collect();
    assert_eq!(
        rows.len(),
        THREADS,
        "info threads should list {THREADS} threads\n{}",
        dump()
    );
    assert_eq!(
        info.matches("spinner (arg=").count(),
        THREADS - 1,
        "every spinner thread should be stopped in spinner()\n{}",
        dump()
    );

    let bt = get("bt");
    assert_eq!(
        bt.lines().filter(|l| l.starts_with("Thread ")).count(),
        THREADS,
        "thread apply all should visit {THREADS} threads\n{}",
        dump()
    );

    let kill = get("kill");
    assert!(
        kill.contains("[Inferior 1 (process ") && kill.contains(") killed]"),
        "kill\n{}",
        dump()
    );
    assert!(
        server.wait_inferior_gone(),
        "the program should be gone after kill\n{}",
        dump()
    );
}
