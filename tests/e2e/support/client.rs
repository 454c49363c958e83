//! A debugger (gdb, lldb) run as a child process, its stdout and stderr
//! collected together; and a finished session: what the debugger printed,
//! and the server it talked to, to check how that ended.

use std::io::Write;
use std::process::{ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::output::{framed, section, Output};
use super::process::{send_signal, Spawned};
use super::server::Server;
use super::{scaled, CLIENT_TIMEOUT};

/// A debugger process. Its stdout and stderr go to one pipe, so their
/// order is kept. Dropping it kills the debugger if it still runs.
pub struct Client {
    /// `gdb`, `lldb`: names the output in messages.
    name: &'static str,
    // Declared first: stdin closes before the process is killed.
    stdin: Option<ChildStdin>,
    process: Spawned,
    output: Arc<Output>,
}

impl Client {
    /// Spawns `cmd` as the debugger `name`; with `interactive`, its stdin
    /// is a pipe for [`send`](Self::send), else `/dev/null`. `missing`
    /// tells what to install when the debugger is not found.
    pub fn spawn(name: &'static str, mut cmd: Command, interactive: bool, missing: &str) -> Client {
        let output = Output::combined(&mut cmd);
        cmd.stdin(if interactive {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        let mut process = Spawned::spawn(cmd, missing);
        let stdin = process.child().stdin.take();
        Client {
            name,
            stdin,
            process,
            output,
        }
    }

    /// Writes one command line to the debugger's stdin.
    pub fn send(&mut self, cmd: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("the debugger's stdin is not a pipe"));
        if let Err(e) = writeln!(stdin, "{cmd}").and_then(|()| stdin.flush()) {
            panic!("sending {cmd:?} to {}: {e}\n{}", self.name, self.dump());
        }
    }

    /// Everything the debugger printed so far.
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// The collected output, to wait on.
    pub fn output_handle(&self) -> &Output {
        &self.output
    }

    /// Waits until the debugger's output contains `needle`; panics with
    /// the output on timeout or if the debugger exits first.
    pub fn wait_for(&self, needle: &str) -> String {
        let timeout = scaled(CLIENT_TIMEOUT);
        self.output
            .wait_until(timeout, |t| t.contains(needle).then(|| t.to_string()))
            .unwrap_or_else(|| {
                panic!(
                    "{} output never contained {needle:?} (waited up to {timeout:?})\n{}",
                    self.name,
                    self.dump()
                )
            })
    }

    /// Sends SIGINT to the debugger, as a user pressing Ctrl-C does.
    pub fn interrupt(&self) {
        assert!(
            send_signal(self.process.pid(), "INT"),
            "kill -INT {} failed\n{}",
            self.name,
            self.dump()
        );
    }

    /// Kills the debugger with SIGKILL, as a crash would, reaps it and
    /// returns its output.
    pub fn kill(mut self) -> String {
        self.process.kill();
        self.output.wait_closed(Duration::from_secs(5));
        self.output.text()
    }

    /// Waits (default timeout) for the debugger to exit and returns its
    /// output. On timeout, kills it and panics with the output so far. A
    /// debugger reading commands from a pipe quits at the end of its
    /// commands.
    pub fn finish(mut self) -> String {
        let timeout = scaled(CLIENT_TIMEOUT);
        self.stdin = None;
        match self.process.wait_within(timeout, Some(&self.output)) {
            Some(_) => {
                // The reader may still hold the last bytes for a moment.
                self.output.wait_closed(Duration::from_secs(5));
                self.output.text()
            }
            None => {
                self.process.kill();
                panic!(
                    "{} did not finish within {timeout:?}; killed it\n{}",
                    self.name,
                    self.dump()
                )
            }
        }
    }

    /// The command line and the output, for messages.
    pub fn dump(&self) -> String {
        format!(
            "--- {}: {}\n{}",
            self.name,
            self.process.command_line(),
            framed(self.name, &self.output.text())
        )
    }
}

/// A finished session: a debugger's output and the server (still running
/// or exited) for checking its messages.
pub struct Session {
    /// `gdb`, `lldb`.
    pub client: &'static str,
    /// What the debugger printed.
    pub output: String,
    pub server: Server,
}

impl Session {
    /// Waits (default timeout) for `client`, which talks to `server`, to
    /// finish; a debugger that does not finish in time fails the test with
    /// the server's output as well as its own.
    pub fn run(server: Server, client: Client) -> Session {
        let timeout = scaled(CLIENT_TIMEOUT);
        if !client.output.wait_closed(timeout) {
            panic!(
                "{} did not finish within {timeout:?}\n{}\n{}",
                client.name,
                client.dump(),
                server.dump()
            );
        }
        Session {
            client: client.name,
            output: client.finish(),
            server,
        }
    }

    /// The debugger's output, framed for messages.
    pub fn framed_output(&self) -> String {
        framed(self.client, &self.output)
    }

    /// The debugger's output then the server's, for assertion messages.
    pub fn dump(&self) -> String {
        format!("{}\n{}", self.framed_output(), self.server.dump())
    }

    /// Panics (showing all output) unless the output contains `needle`.
    #[track_caller]
    pub fn expect(&self, needle: &str) {
        assert!(
            self.output.contains(needle),
            "{} output lacks {needle:?}\n{}",
            self.client,
            self.dump()
        );
    }

    /// Panics (showing all output) if the output contains `needle`.
    #[track_caller]
    pub fn expect_not(&self, needle: &str) {
        assert!(
            !self.output.contains(needle),
            "{} output has {needle:?}\n{}",
            self.client,
            self.dump()
        );
    }

    /// The output between the `@@name` marker line and the next one;
    /// panics with all output if there is none.
    #[track_caller]
    pub fn section(&self, name: &str) -> &str {
        section(&self.output, name).unwrap_or_else(|| {
            panic!(
                "no section @@{name} in {} output\n{}",
                self.client,
                self.dump()
            )
        })
    }

    /// Panics (showing all output) unless section `name` contains `needle`.
    #[track_caller]
    pub fn expect_in(&self, name: &str, needle: &str) {
        assert!(
            self.section(name).contains(needle),
            "{} section @@{name} lacks {needle:?}\n{}",
            self.client,
            self.dump()
        );
    }

    /// Waits for a line of the server's stdout, with this session's output
    /// in the failure message.
    pub fn wait_stdout(&self, needle: &str) -> String {
        self.server.wait_stdout(needle, Some(&self.framed_output()))
    }

    /// Waits for a line of the server's stderr, like
    /// [`wait_stdout`](Self::wait_stdout).
    pub fn wait_stderr(&self, needle: &str) -> String {
        self.server.wait_stderr(needle, Some(&self.framed_output()))
    }

    /// Waits for the server to exit, like [`wait_stdout`](Self::wait_stdout).
    pub fn wait_exit(&mut self) -> ExitStatus {
        let context = self.framed_output();
        self.server.wait_exit(Some(&context))
    }

    /// Waits for the server to exit with status 0, like
    /// [`wait_stdout`](Self::wait_stdout).
    #[track_caller]
    pub fn wait_clean_exit(&mut self) {
        let context = self.framed_output();
        self.server.wait_clean_exit(Some(&context))
    }

    /// Panics (showing all output) unless section `name` says the program
    /// exited with `code` as gdb prints it (in octal, e.g. `07`, `011`):
    /// `[Inferior 1 (process N) exited with code 07]`.
    #[track_caller]
    pub fn expect_exited(&self, name: &str, code: &str) {
        assert!(
            self.section(name)
                .contains(&format!(") exited with code {code}]")),
            "the program should run to `exited with code {code}` in section @@{name}\n{}",
            self.dump()
        );
    }
}
