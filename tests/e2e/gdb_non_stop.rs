//! Non-stop mode under gdb (`set non-stop on`): a breakpoint stops the
//! thread that hit it while the others go on counting; threads are
//! continued, interrupted and inspected one by one or all at once; threads
//! and the whole program end while a thread is stopped.
//!
//! tests/fixtures/counters.c: three workers (gdb's threads 2-4) count in
//! `counts[]`; worker 0 stops at on_break() when its count reaches 1000;
//! `stop = 1` ends them (each through worker_done()), and main (thread 1)
//! then exits 0; `end_now = 1` makes worker 1 end the program with status 3.

use crate::support::client::Client;
use crate::support::fixtures::{fixture, Fixture};
use crate::support::gdb::{self, thread_rows};
use crate::support::output::printed_value;
use crate::support::server::Server;
use crate::support::{scaled, CLIENT_TIMEOUT};
use std::time::Instant;

/// gdb in non-stop mode, driven one command at a time.
struct NonStopGdb {
    gdb: Client,
    server: Server,
    /// How much of gdb's output the commands so far have taken.
    seen: usize,
    commands: usize,
}

impl NonStopGdb {
    /// The server on `f` with `args`, gdb connected to it in non-stop mode.
    fn start(f: &Fixture, args: &[&str]) -> NonStopGdb {
        let server = Server::start(&f.exe, args);
        let gdb = gdb::interactive(&gdb::args(
            Some(&f.exe),
            &["set non-stop on", &gdb::target_remote(server.port())],
        ));
        let mut ns = NonStopGdb {
            gdb,
            server,
            seen: 0,
            commands: 0,
        };
        ns.run("echo connected\\n");
        ns
    }

    /// Started, and stopped where worker 0 (thread 2) hits on_break while
    /// the other threads run.
    fn at_worker_breakpoint(args: &[&str]) -> NonStopGdb {
        let mut ns = NonStopGdb::start(&fixture("counters"), args);
        ns.run("break on_break");
        let hit = ns.run("continue");
        ns.expect(
            hit.contains("Thread 2 \"counters\" hit Breakpoint 1, on_break (id=0)"),
            "worker 0 (thread 2) should stop at on_break",
        );
        ns
    }

    /// Runs `command` and waits until gdb has done it (and any synchronous
    /// execution it started has stopped); returns what gdb printed.
    fn run(&mut self, command: &str) -> String {
        self.commands += 1;
        let marker = format!("@@done{}@@", self.commands);
        self.gdb.send(command);
        self.gdb.send(&format!("echo {marker}\\n"));
        let text = self.gdb.wait_for(&marker);
        let end = text.find(&marker).expect("the marker");
        let printed = text[self.seen.min(end)..end].to_string();
        self.seen = end + marker.len();
        printed
    }

    /// The value of an integer expression.
    fn value(&mut self, expr: &str) -> u64 {
        let printed = self.run(&format!("print {expr}"));
        printed_value(&printed)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("no number for {expr} in {printed:?}\n{}", self.dump()))
    }

    /// Reads `expr` until it differs from `from` (it changes only if a
    /// thread runs); the new value.
    fn wait_change(&mut self, expr: &str, from: u64) -> u64 {
        let deadline = Instant::now() + scaled(CLIENT_TIMEOUT);
        loop {
            let now = self.value(expr);
            if now != from {
                return now;
            }
            self.expect(
                Instant::now() < deadline,
                &format!("{expr} stayed {from}: the thread should be running"),
            );
        }
    }

    /// Waits until gdb has printed `needle` `count` times in all.
    fn wait_count(&self, needle: &str, count: usize) {
        let timeout = scaled(CLIENT_TIMEOUT);
        let seen = self
            .gdb
            .output_handle()
            .wait_for_count(needle, count, timeout);
        self.expect(seen, &format!("gdb should print {needle:?} {count} times"));
    }

    /// `info threads`: how many rows, and how many of them run.
    fn threads(&mut self) -> (usize, usize) {
        let info = self.run("info threads");
        let rows = thread_rows(&info);
        let running = rows.iter().filter(|r| r.contains("(running)")).count();
        (rows.len(), running)
    }

    #[track_caller]
    fn expect(&self, ok: bool, what: &str) {
        assert!(ok, "{what}\n{}", self.dump());
    }

    fn dump(&self) -> String {
        format!("{}\n{}", self.gdb.dump(), self.server.dump())
    }

    /// Quits gdb (the program, if still there, is killed) and checks that
    /// the server ended cleanly.
    fn finish(self) {
        let NonStopGdb {
            gdb, mut server, ..
        } = self;
        let output = gdb.finish();
        server.wait_clean_exit(Some(&output));
    }
}

/// The breakpoint stops worker 0 alone: the other workers' counters go on
/// while it stays at 1000; continued, it counts again; the program then
/// ends normally.
#[test]
fn a_breakpoint_stops_one_thread_while_the_others_count() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    let (rows, running) = ns.threads();
    ns.expect(
        rows == 4 && running == 3,
        "four threads, all running but thread 2",
    );
    let other = ns.value("counts[1]");
    ns.wait_change("counts[1]", other);
    let stopped = ns.value("counts[0]");
    ns.expect(stopped == 1000, "the stopped worker does not count");
    // gdb keeps thread 1 selected: continue the stopped one.
    ns.run("thread 2");
    ns.run("continue &");
    ns.wait_change("counts[0]", 1000);
    ns.run("set var stop = 1");
    ns.wait_count("exited normally", 1);
    ns.server.wait_stdout("done", None);
    ns.finish();
}

/// `interrupt -a` stops every thread (each stop told), after which the
/// counters are still and every thread has a backtrace; `continue -a`
/// runs them all again to the end.
#[test]
fn interrupt_all_then_continue_all() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    ns.run("interrupt -a");
    ns.wait_count("\" stopped.", 3);
    let (rows, running) = ns.threads();
    ns.expect(rows == 4 && running == 0, "every thread stopped");
    let before = ns.value("counts[1]");
    let bt = ns.run("thread apply all bt 1");
    ns.expect(
        bt.matches("\nThread ").count() == 4 && bt.contains("on_break"),
        "a frame for each of the four threads",
    );
    let after = ns.value("counts[1]");
    ns.expect(after == before, "nothing counts while all are stopped");
    ns.run("set var stop = 1");
    ns.run("continue -a &");
    ns.wait_count("exited normally", 1);
    ns.finish();
}

/// `thread apply all bt` with one thread stopped and three running: the
/// stopped one's frames, and gdb's refusal for the running ones (`-c`:
/// gdb goes on past each).
#[test]
fn backtraces_with_some_threads_running() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    let bt = ns.run("thread apply all -c bt 1");
    ns.expect(bt.contains("on_break (id=0)"), "the stopped thread's frame");
    ns.expect(
        bt.matches("Selected thread is running.").count() == 3,
        "the three running threads cannot be looked at",
    );
    ns.run("set var stop = 1");
    ns.run("thread 2");
    ns.run("continue &");
    ns.wait_count("exited normally", 1);
    ns.finish();
}

/// A breakpoint every worker hits on its way out: each hit stops its own
/// thread only, while another thread sits at on_break; continuing a thread
/// from a breakpoint while others run steps it over without losing any hit.
#[test]
fn a_breakpoint_hit_by_every_thread_in_turn() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    ns.run("break worker_done");
    ns.run("set var stop = 1");
    ns.wait_count("hit Breakpoint 2, worker_done", 2);
    let (rows, running) = ns.threads();
    ns.expect(
        rows == 4 && running == 1,
        "workers 1 and 2 at worker_done, worker 0 at on_break, main running",
    );
    // Worker 0 goes on from on_break to worker_done.
    ns.run("thread 2");
    ns.run("continue &");
    ns.wait_count("hit Breakpoint 2, worker_done", 3);
    ns.run("continue -a &");
    ns.wait_count("exited normally", 1);
    ns.finish();
}

/// Workers 1 and 2 end while worker 0 is stopped: gdb's list loses them,
/// and worker 0, continued, ends the program normally.
#[test]
fn threads_exit_while_another_is_stopped() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    ns.run("set var stop = 1");
    let deadline = Instant::now() + scaled(CLIENT_TIMEOUT);
    while ns.threads().0 != 2 {
        ns.expect(
            Instant::now() < deadline,
            "only main and the stopped worker should be left",
        );
    }
    ns.run("thread 2");
    ns.run("continue &");
    ns.wait_count("exited normally", 1);
    ns.finish();
}

/// The program ends (worker 1 calls exit(3)) while worker 0 is stopped.
#[test]
fn the_program_exits_while_a_thread_is_stopped() {
    let mut ns = NonStopGdb::at_worker_breakpoint(&[]);
    ns.run("set var end_now = 1");
    ns.wait_count("exited with code 03", 1);
    ns.finish();
}
