//! End-to-end tests with gdb of gdbserver's options and monitor commands
//! for debugging the server and for testing gdb itself: `monitor set
//! debug`, `remote-debug` and `debug-format` with gdbserver's replies,
//! `--debug-file` and `--debug-format`, and `--disable-packet`, which makes
//! the server answer like an older stub.

use std::fs;

use crate::support::client::Session;
use crate::support::fixtures::{fixture, TempDir};
use crate::support::gdb::{self, mark};
use crate::support::server::{testing_gnu_gdbserver, Server};

/// The monitor commands that switch the debugging output answer as
/// gdbserver's do, `monitor help` lists them, an unknown (or empty)
/// command is a protocol error, and `monitor exit` ends the server
/// without a word. They used to be "Unknown monitor command".
#[test]
fn monitor_debug_commands() {
    let f = fixture("basic");
    let s = gdb::debug_fixture(
        &f,
        &[
            &mark("help"),
            "monitor help",
            &mark("debug"),
            "monitor set debug 1",
            "monitor set debug 0",
            &mark("remote-debug"),
            "monitor set remote-debug 1",
            "info registers rip",
            "monitor set remote-debug 0",
            &mark("format"),
            "monitor set debug-format all",
            "monitor set debug-format none",
            &mark("empty"),
            "monitor",
            &mark("exit"),
            "monitor exit",
            &mark("end"),
        ],
    );
    for command in [
        "set debug <0|1>",
        "set remote-debug <0|1>",
        "set debug-format",
    ] {
        s.expect_in("help", command);
    }
    s.expect_in("debug", "Debug output enabled.");
    s.expect_in("debug", "Debug output disabled.");
    s.expect_in("remote-debug", "Protocol debug output enabled.");
    s.expect_in("remote-debug", "Protocol debug output disabled.");
    s.expect_in("format", "All extra debug format options enabled.");
    s.expect_in("format", "All extra debug format options disabled.");
    s.expect_in("empty", "Unknown monitor command.");
    s.expect_in("empty", "Protocol error");
    assert_eq!(s.section("exit").trim(), "", "{}", s.dump());
    // While remote-debug was on, the server logged the packets.
    s.wait_stderr("getpkt");
    let mut s = s;
    s.wait_clean_exit();
}

/// `--debug-file` takes the debugging output (stderr keeps only the
/// status lines) and `--debug-format=timestamp` starts its lines with the
/// time; both used to be refused as unknown options.
#[test]
fn debug_file_and_format() {
    let f = fixture("basic");
    let dir = TempDir::new("dbgfile");
    let log = dir.path().join("debug.log");
    let file_opt = format!("--debug-file={}", log.display());
    let server = Server::start_args(&[
        "--once",
        "--remote-debug",
        "--debug-format=timestamp",
        &file_opt,
        ":0",
        f.exe_str(),
    ]);
    let gdb = gdb::spawn(&f.exe, server.port(), &[&mark("run"), "continue"]);
    let mut s = Session::run(server, gdb);
    s.expect_exited("run", "07");
    s.wait_clean_exit();
    // Binary packets are logged as they are (gdbserver): read it lossily.
    let bytes =
        fs::read(&log).unwrap_or_else(|e| panic!("reading {}: {e}\n{}", log.display(), s.dump()));
    let text = String::from_utf8_lossy(&bytes);
    let line = text
        .lines()
        .find(|l| l.contains("getpkt (\"qSupported:"))
        .unwrap_or_else(|| panic!("no qSupported packet in the debug file:\n{text}"));
    let stamp = line.split(' ').next().unwrap_or_default();
    let (secs, micros) = stamp.split_once('.').unwrap_or_default();
    assert!(
        !secs.is_empty()
            && secs.bytes().all(|b| b.is_ascii_digit())
            && micros.len() == 6
            && micros.bytes().all(|b| b.is_ascii_digit()),
        "the line should start with a timestamp: {line:?}"
    );
    assert!(
        !s.server.stderr().text().contains("getpkt"),
        "packets should go to the debug file only\n{}",
        s.dump()
    );
}

/// With each of gdbserver's `--disable-packet` switches gdb still debugs
/// the program: it stops at a breakpoint, lists threads and runs the
/// program to its end (`T`: plain `S` stop replies; `Tthread`: no thread
/// in them; `vCont`: `Hc` and `c`/`s`; `threads`: all but `T`). The
/// option used to be refused.
#[test]
fn gdb_debugs_with_packets_disabled() {
    let f = fixture("basic");
    for disabled in ["T", "Tthread", "vCont", "qC", "qfThreadInfo", "threads"] {
        let opt = format!("--disable-packet={disabled}");
        let server = Server::start_args(&["--once", &opt, ":0", f.exe_str()]);
        let gdb = gdb::spawn(
            &f.exe,
            server.port(),
            &[
                "break add",
                &mark("hit"),
                "continue",
                &mark("threads"),
                "info threads",
                &mark("step"),
                "stepi",
                "info line *$pc",
                "delete",
                &mark("run"),
                "continue",
            ],
        );
        let mut s = Session::run(server, gdb);
        s.expect_in("hit", "Breakpoint 1, add");
        assert!(
            gdb::thread_rows(s.section("threads")).len() == 1,
            "{disabled}: one thread\n{}",
            s.dump()
        );
        // GNU: gdbserver 13's `s` without vCont runs on past the breakpoint.
        if !(testing_gnu_gdbserver() && disabled == "vCont") {
            s.expect_in("step", "<add+");
        }
        s.expect_exited("run", "07");
        s.wait_clean_exit();
    }
}
