//! lldb (`lldb-19`) in batch mode against the server under test, the way
//! [`Gdb`](super::Gdb) runs gdb: `lldb-19 --no-lldbinit -b` with settings
//! for plain output, `target create PROG`, `gdb-remote 127.0.0.1:PORT`,
//! then the test's commands, each as `-o CMD`.
//!
//! Two things of lldb's batch mode shape the tests:
//! - it stops running `-o` commands after one fails (the output then lacks
//!   the later sections, which [`LldbSession::section`] reports);
//! - it also stops when the program stops "abnormally" (a signal other
//!   than SIGINT/SIGSTOP, such as SIGUSR1), and then runs the `-k`
//!   commands instead: give those as `after_crash` to
//!   [`Lldb::spawn_with_crash_commands`].
//!
//! `continue`, `step`, `finish`... are synchronous in batch mode: each
//! returns once the program stopped again (or exited).

use std::io;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::{scaled, section, wait_child, Fixture, Output, Server, GDB_TIMEOUT};

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
/// which the lldb-19 package depends on). Use [`LldbSession::section`] or
/// [`section`](super::section) to get what the following commands printed;
/// the echoed command itself (`(lldb) script print('@@name')`) is not a
/// marker line.
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

/// An lldb process in batch mode. Its stdout and stderr go to one pipe, so
/// their order is kept. Dropping it kills lldb if it is still running.
pub struct Lldb {
    child: Child,
    output: Arc<Output>,
    command_line: String,
    finished: Option<ExitStatus>,
}

impl Lldb {
    /// `lldb-19 --no-lldbinit -b [settings] -o "target create PROG"
    /// -o "gdb-remote 127.0.0.1:PORT" -o CMD...`
    pub fn spawn(prog: &Path, port: u16, cmds: &[&str]) -> Lldb {
        Lldb::spawn_with_crash_commands(prog, port, cmds, &[])
    }

    /// Like [`spawn`](Self::spawn), with `-k` commands that lldb runs
    /// instead of the rest when the program stops for a signal.
    pub fn spawn_with_crash_commands(
        prog: &Path,
        port: u16,
        cmds: &[&str],
        after_crash: &[&str],
    ) -> Lldb {
        let prog = prog.to_str().expect("UTF-8 program path");
        let mut args: Vec<String> = vec!["--no-lldbinit".into(), "-b".into()];
        let connect = [
            format!("target create {prog}"),
            format!("gdb-remote 127.0.0.1:{port}"),
        ];
        let all = LLDB_INIT
            .iter()
            .map(|s| (*s).to_string())
            .chain(connect)
            .chain(cmds.iter().map(|s| (*s).to_string()));
        for c in all {
            args.push("-o".into());
            args.push(c);
        }
        for c in after_crash {
            args.push("-k".into());
            args.push((*c).to_string());
        }
        Lldb::spawn_args(&args)
    }

    /// `lldb-19 ARGS...` as given.
    pub fn spawn_args(args: &[String]) -> Lldb {
        let mut cmd = Command::new(LLDB);
        cmd.args(args);
        // No symbol downloads.
        cmd.env_remove("DEBUGINFOD_URLS");
        let command_line = format!("{cmd:?}");
        let (reader, writer) = io::pipe().expect("creating a pipe for lldb's output");
        let writer2 = writer.try_clone().expect("duplicating lldb's output pipe");
        cmd.stdin(Stdio::null()).stdout(writer).stderr(writer2);
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => panic!(
                "{LLDB} is not installed ({e}): apt-get install lldb-19 \
                 (scripts/test.sh installs it)"
            ),
            Err(e) => panic!("starting {command_line}: {e}"),
        };
        // The Command holds the write ends: drop it so EOF can be seen.
        drop(cmd);
        let output = Output::new(1);
        output.spawn_reader(reader);
        Lldb {
            child,
            output,
            command_line,
            finished: None,
        }
    }

    /// Everything lldb printed so far.
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// The collected output, to wait on.
    pub fn output_handle(&self) -> &Output {
        &self.output
    }

    /// Waits (default timeout) for lldb to exit and returns its output.
    /// On timeout, kills lldb and panics with the output so far.
    pub fn finish(self) -> String {
        self.finish_within(scaled(GDB_TIMEOUT))
    }

    /// Like [`finish`](Self::finish) with an explicit timeout.
    pub fn finish_within(mut self, timeout: Duration) -> String {
        match wait_child(&mut self.child, &self.output, timeout) {
            Some(status) => {
                self.finished = Some(status);
                self.output.wait_closed(Duration::from_secs(5));
                self.output.text()
            }
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "lldb did not finish within {timeout:?}; killed it\n{}",
                    self.dump()
                )
            }
        }
    }

    /// lldb's command line and output, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- lldb: {}\n--- lldb output:\n{}\n--- end of lldb output",
            self.command_line,
            self.output.text()
        )
    }
}

impl Drop for Lldb {
    fn drop(&mut self) {
        if self.finished.is_none() {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
            let _ = self.child.wait();
        }
    }
}

/// A finished lldb session: lldb's output and the server (still alive or
/// exited) for checking its messages.
pub struct LldbSession {
    pub lldb: String,
    pub server: Server,
}

impl LldbSession {
    /// lldb's output then the server's, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- lldb output:\n{}\n--- end of lldb output\n{}",
            self.lldb,
            self.server.dump()
        )
    }

    /// The output between the `@@name` marker line (see [`mark`]) and the
    /// next one; panics with all output if there is none.
    #[track_caller]
    pub fn section(&self, name: &str) -> &str {
        section(&self.lldb, name)
            .unwrap_or_else(|| panic!("no section @@{name} in lldb output\n{}", self.dump()))
    }

    /// Panics (showing all output) unless section `name` contains `needle`.
    #[track_caller]
    pub fn expect_in(&self, name: &str, needle: &str) {
        assert!(
            self.section(name).contains(needle),
            "lldb section @@{name} lacks {needle:?}\n{}",
            self.dump()
        );
    }
}

/// Starts the server on `prog` and runs lldb with `cmds` (and `-k`
/// commands `after_crash`); an lldb that does not finish in time fails the
/// test with the server's output as well as lldb's.
pub fn debug_program_with_crash_commands(
    prog: &Path,
    cmds: &[&str],
    after_crash: &[&str],
) -> LldbSession {
    let server = Server::start(prog, &[]);
    let lldb = Lldb::spawn_with_crash_commands(prog, server.port(), cmds, after_crash);
    let timeout = scaled(GDB_TIMEOUT);
    if !lldb.output_handle().wait_closed(timeout) {
        panic!(
            "lldb did not finish within {timeout:?}\n{}\n{}",
            lldb.dump(),
            server.dump()
        );
    }
    LldbSession {
        lldb: lldb.finish(),
        server,
    }
}

/// Starts the server on a fixture and runs lldb with `cmds`.
pub fn debug_fixture(f: &Fixture, cmds: &[&str]) -> LldbSession {
    debug_program_with_crash_commands(&f.exe, cmds, &[])
}
