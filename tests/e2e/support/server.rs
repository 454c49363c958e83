//! The server under test (rgdbserver, or `$RGDB_TEST_SERVER`): starting it
//! on a program or with the test's own arguments, waiting for what it
//! prints and for its exit, and the program it launched or attached to.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use super::fixtures::Fixture;
use super::output::{parse_number_after, Output};
use super::process::Spawned;
use super::process::{
    descendants, poll_until, process_belongs_to, process_state, send_signal, start_time,
};
use super::{scaled, WAIT_TIMEOUT};

/// The server binary: `$RGDB_TEST_SERVER` or the crate's rgdbserver.
pub fn server_path() -> PathBuf {
    match std::env::var_os("RGDB_TEST_SERVER") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => PathBuf::from(env!("CARGO_BIN_EXE_rgdbserver")),
    }
}

/// True when testing GNU gdbserver rather than rgdbserver.
pub fn testing_gnu_gdbserver() -> bool {
    server_path().file_name().is_some_and(|n| {
        n.to_string_lossy().contains("gdbserver") && !n.to_string_lossy().contains("rgdb")
    })
}

/// How to start the server.
#[derive(Clone, Debug)]
pub struct ServerOptions {
    /// Pass `--once` (default true).
    pub once: bool,
    /// Host part of `HOST:0` (default empty, i.e. `:0`).
    pub host: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            once: true,
            host: String::new(),
        }
    }
}

/// A running server. Dropping it kills the launched program (if the server
/// still owns it) and the server.
pub struct Server {
    process: Spawned,
    /// The server's own pid (under script(1), a descendant of `process`).
    server_pid: u32,
    port: u16,
    inferior_pid: u32,
    /// Start time of the program, to tell it from a later process that
    /// reuses its pid.
    inferior_start_time: Option<u64>,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
}

impl Server {
    /// Starts `server --once :0 PROG ARGS...` and waits until it listens.
    pub fn start(prog: &Path, args: &[&str]) -> Server {
        Server::start_with(&ServerOptions::default(), prog, args)
    }

    /// Starts the server on a fixture with no arguments.
    pub fn start_fixture(fixture: &Fixture) -> Server {
        Server::start(&fixture.exe, &[])
    }

    /// Starts the server with options, on port 0, on `prog ARGS...`; checks
    /// that it says `Process PROG created; pid = N`.
    pub fn start_with(opts: &ServerOptions, prog: &Path, args: &[&str]) -> Server {
        let mut all = Vec::new();
        if opts.once {
            all.push("--once".to_string());
        }
        all.push(format!("{}:0", opts.host));
        all.push(prog.to_str().expect("UTF-8 program path").to_string());
        all.extend(args.iter().map(|a| a.to_string()));
        let all: Vec<&str> = all.iter().map(String::as_str).collect();
        let server = Server::start_args(&all);
        if server.port == 0 || server.inferior_pid == 0 {
            panic!(
                "server never said `Process PROG created; pid = N` and `Listening on port N`\n{}",
                server.dump()
            );
        }
        server
    }

    /// Starts the server with `args` exactly as given, e.g. `["--once",
    /// "--attach", ":0", PID]`, `["--multi", ":0"]` or `["--once",
    /// "unix:/tmp/d/sock", PROG]`, and waits for its `Listening on ...`
    /// line (TCP or Unix socket). The port is parsed from `Listening on
    /// port N` (0 for a Unix socket); the program's pid from `Process PROG
    /// created; pid = N` or `Attached; pid = N` when the server printed one
    /// (0 otherwise).
    ///
    /// A server without a program of its own (`--multi :0`) gets SIGTERM
    /// when dropped, so that it ends what it started before it is killed.
    pub fn start_args(args: &[&str]) -> Server {
        let mut server = Server::spawn(args);
        server.wait_for_listening();
        server
    }

    /// Wait for `Listening on ...`; learn the port and the program's pid.
    fn wait_for_listening(&mut self) {
        let server = self;
        let listening = server.wait_stderr("Listening on ", None);
        if listening.contains("Listening on port ") {
            server.port = parse_number_after(&listening, "Listening on port ")
                .and_then(|n| u16::try_from(n).ok())
                .filter(|p| *p != 0)
                .unwrap_or_else(|| panic!("bad port in {listening:?}\n{}", server.dump()));
        }
        // Both lines come before `Listening on ...`.
        let text = server.stderr.text();
        let pid = text.lines().find_map(|l| {
            parse_number_after(l, "created; pid = ")
                .or_else(|| parse_number_after(l, "Attached; pid = "))
        });
        if let Some(pid) = pid {
            server.inferior_pid =
                u32::try_from(pid).unwrap_or_else(|_| panic!("bad pid {pid}\n{}", server.dump()));
            server.inferior_start_time = start_time(server.inferior_pid);
        }
    }

    /// Like [`start_args`](Self::start_args), with the server in the
    /// foreground of a terminal of its own (a pseudo-terminal made by
    /// script(1), util-linux), as when started by hand. What the server and
    /// its programs print to the terminal is the server's stderr here (and
    /// its stdout, the same text).
    pub fn start_in_terminal(args: &[&str]) -> Server {
        let quote = |word: &str| format!("'{}'", word.replace('\'', "'\\''"));
        let mut command = quote(server_path().to_str().expect("UTF-8 server path"));
        for arg in args {
            command.push(' ');
            command.push_str(&quote(arg));
        }
        let mut cmd = Command::new("script");
        cmd.args([
            "--quiet",
            "--flush",
            "--return",
            "--command",
            &command,
            "/dev/null",
        ])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut process = Spawned::spawn(cmd, "install util-linux (script)");
        let child = process.child();
        let terminal = Output::collect(child.stdout.take().expect("script stdout is piped"));
        let _ = Output::collect(child.stderr.take().expect("script stderr is piped"));
        let script_pid = process.pid();
        let mut server = Server {
            process,
            server_pid: 0,
            port: 0,
            inferior_pid: 0,
            inferior_start_time: None,
            stdout: Arc::clone(&terminal),
            stderr: terminal,
        };
        server.wait_for_listening();
        let exe = std::fs::canonicalize(server_path()).expect("the server binary");
        server.server_pid = descendants(script_pid)
            .into_iter()
            .find(|&pid| std::fs::read_link(format!("/proc/{pid}/exe")).ok() == Some(exe.clone()))
            .unwrap_or_else(|| panic!("no server process under script\n{}", server.dump()));
        server
    }

    /// Spawns the server with `args` and its output piped.
    fn spawn(args: &[&str]) -> Server {
        let mut cmd = Command::new(server_path());
        cmd.args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = Spawned::spawn(cmd, "set RGDB_TEST_SERVER to an existing server");
        let child = process.child();
        let stdout = Output::collect(child.stdout.take().expect("server stdout is piped"));
        let stderr = Output::collect(child.stderr.take().expect("server stderr is piped"));
        let server_pid = process.pid();
        Server {
            process,
            server_pid,
            port: 0,
            inferior_pid: 0,
            inferior_start_time: None,
            stdout,
            stderr,
        }
    }

    /// Sends `signal` (e.g. "TERM") to the server; false if kill(1) failed.
    pub fn signal(&self, signal: &str) -> bool {
        send_signal(self.server_pid, signal)
    }

    /// Waits up to `timeout` for the server to exit.
    pub fn wait_exit_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        self.process.wait_within(timeout, Some(&self.stderr))
    }

    /// Waits for the server to exit; panics on timeout, with `context`
    /// (what a client printed, say) and the server's output.
    pub fn wait_exit(&mut self, context: Option<&str>) -> ExitStatus {
        let timeout = scaled(WAIT_TIMEOUT);
        match self.wait_exit_within(timeout) {
            Some(status) => status,
            None => panic!(
                "server did not exit within {timeout:?}\n{}{}",
                context.map(|c| format!("{c}\n")).unwrap_or_default(),
                self.dump()
            ),
        }
    }

    /// Waits for the server to exit, like [`wait_exit`](Self::wait_exit),
    /// and asserts that it exited with status 0.
    #[track_caller]
    pub fn wait_clean_exit(&mut self, context: Option<&str>) {
        let status = self.wait_exit(context);
        assert!(
            status.success(),
            "server exit status {status}\n{}{}",
            context.map(|c| format!("{c}\n")).unwrap_or_default(),
            self.dump()
        );
    }

    /// True while the launched program still runs (exists and is not a
    /// zombie). Pid reuse is detected with the process start time.
    pub fn inferior_alive(&self) -> bool {
        start_time(self.inferior_pid).is_some_and(|t| Some(t) == self.inferior_start_time)
            && !matches!(process_state(self.inferior_pid), None | Some('Z' | 'X'))
    }

    /// Waits up to `timeout` until the program is gone (or a zombie); false
    /// on timeout. There is nothing to block on for a process that is not
    /// our child, so this polls.
    pub fn wait_inferior_gone_within(&self, timeout: Duration) -> bool {
        poll_until(timeout, || !self.inferior_alive())
    }

    /// Waits (default timeout) until the program is gone.
    pub fn wait_inferior_gone(&self) -> bool {
        self.wait_inferior_gone_within(scaled(WAIT_TIMEOUT))
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pid of the launched program.
    pub fn inferior_pid(&self) -> u32 {
        self.inferior_pid
    }

    /// Where `symbol` of the fixture `f` is in the program the server
    /// runs, found without the server (see [`Fixture::address_in`]);
    /// panics with the server's output if the program is not mapped.
    pub fn address_of(&self, f: &Fixture, symbol: &str) -> u64 {
        let pid = self.inferior_pid;
        f.address_in(pid, symbol).unwrap_or_else(|| {
            panic!(
                "{} is not mapped in {pid}\n{}",
                f.exe.display(),
                self.dump()
            )
        })
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.server_pid
    }

    /// The server's stdout, which the program inherits.
    pub fn stdout(&self) -> &Output {
        &self.stdout
    }

    /// The server's stderr (its messages; the program's stderr too).
    pub fn stderr(&self) -> &Output {
        &self.stderr
    }

    /// Waits for a stdout line containing `needle`; panics on timeout, with
    /// `context` (what a client printed, say) and the server's output.
    pub fn wait_stdout(&self, needle: &str, context: Option<&str>) -> String {
        self.wait_line(&self.stdout, "stdout", needle, context)
    }

    /// Waits for a stderr line containing `needle`, like
    /// [`wait_stdout`](Self::wait_stdout).
    pub fn wait_stderr(&self, needle: &str, context: Option<&str>) -> String {
        self.wait_line(&self.stderr, "stderr", needle, context)
    }

    fn wait_line(
        &self,
        output: &Output,
        name: &str,
        needle: &str,
        context: Option<&str>,
    ) -> String {
        output
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| {
                panic!(
                    "no server {name} line containing {needle:?}\n{}{}",
                    context.map(|c| format!("{c}\n")).unwrap_or_default(),
                    self.dump()
                )
            })
    }

    /// The command line and everything the server printed, for messages.
    pub fn dump(&self) -> String {
        format!(
            "--- server: {}, exit status {:?}\n--- server stderr:\n{}\n--- server stdout:\n{}\n--- end of server output",
            self.process.command_line(),
            self.process.status(),
            self.stderr.text(),
            self.stdout.text()
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if self.process.try_wait().is_some() {
            return;
        }
        if self.inferior_pid == 0 {
            // No program of its own (`--multi`): ask it to end what it
            // launched since, and to leave.
            self.signal("TERM");
        }
        // Kill the program first, but only while it provably still belongs
        // to the server (its child or its tracee), so its pid cannot have
        // been reused by an unrelated process.
        if self.inferior_alive() && process_belongs_to(self.inferior_pid, self.server_pid) {
            send_signal(self.inferior_pid, "KILL");
        }
        // Give the server a moment to reap the program and exit by itself
        // (a program orphaned by a killed server may stay a zombie), then
        // kill it.
        if self
            .process
            .wait_within(Duration::from_secs(2), Some(&self.stderr))
            .is_none()
        {
            self.process.kill();
        }
    }
}

/// Runs the server with `args` as given and waits (default timeout) for
/// it to exit (for the error cases, where it exits at once); kills it and
/// panics if it does not. Returns the exited server, to read its output.
pub fn run_server_to_exit(args: &[&str]) -> (ExitStatus, Server) {
    let mut server = Server::spawn(args);
    let status = server.wait_exit(None);
    server.stdout.wait_closed(Duration::from_secs(5));
    (status, server)
}
