//! Shared helpers for the end-to-end tests: building the C fixtures,
//! starting the server under test on a fixture, running gdb in batch mode
//! against it, and (in [`rsp`]) a raw Remote Serial Protocol client.
//!
//! Every test file does `mod support;` and uses a subset of this, hence the
//! `dead_code` allowance.
//!
//! Environment variables:
//! - `RGDB_TEST_SERVER`: path of the server to test instead of rgdbserver
//!   (for example `/usr/bin/gdbserver`, which must behave the same).
//! - `RGDB_TEST_TIMEOUT_SCALE`: multiplies every timeout (default 1).
//! - `CC`: the C compiler for the fixtures (default `cc`).
#![allow(dead_code)]

pub mod lldb;
pub mod rsp;
pub mod workers;

use std::collections::HashMap;
use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

/// Default time for one gdb run (tests run in parallel on a loaded machine).
pub const GDB_TIMEOUT: Duration = Duration::from_secs(90);
/// Default time to wait for a line from the server or a program.
pub const WAIT_TIMEOUT: Duration = Duration::from_secs(60);

/// `RGDB_TEST_TIMEOUT_SCALE` applied to a timeout.
pub fn scaled(timeout: Duration) -> Duration {
    let scale = std::env::var("RGDB_TEST_TIMEOUT_SCALE")
        .ok()
        .and_then(|s| s.parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(1.0);
    timeout.mul_f64(scale)
}

// ---------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------

/// A C program from `tests/fixtures`, compiled with `-g -O0 -pthread`.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// The fixture's name, e.g. `basic`.
    pub name: String,
    /// Absolute path of the source file.
    pub source: PathBuf,
    /// Absolute path of the built executable.
    pub exe: PathBuf,
}

impl Fixture {
    /// The executable's path as a string (for gdb and server arguments).
    pub fn exe_str(&self) -> &str {
        self.exe.to_str().expect("fixture path is not UTF-8")
    }

    /// The source file name, e.g. `basic.c`.
    pub fn file_name(&self) -> String {
        format!("{}.c", self.name)
    }

    /// 1-based line number of the line holding `MARK:<marker>`.
    pub fn line(&self, marker: &str) -> u32 {
        let text = fs::read_to_string(&self.source)
            .unwrap_or_else(|e| panic!("reading {}: {e}", self.source.display()));
        let needle = format!("MARK:{marker} ");
        let needle_end = format!("MARK:{marker}");
        let found = text
            .lines()
            .position(|l| l.contains(&needle) || l.trim_end().ends_with(&needle_end));
        let idx = found.unwrap_or_else(|| panic!("no MARK:{marker} in {}", self.source.display()));
        u32::try_from(idx + 1).expect("line number fits u32")
    }

    /// `file.c:LINE` of the marker, for `break`.
    pub fn location(&self, marker: &str) -> String {
        format!("{}:{}", self.file_name(), self.line(marker))
    }

    /// `file.c:LINE` plus the newline gdb prints after a frame's location
    /// (`... at /path/file.c:LINE`), so that line 3 does not match 33.
    pub fn at(&self, marker: &str) -> String {
        format!("{}\n", self.location(marker))
    }

    /// Address of a symbol in the executable (as linked, before any PIE
    /// relocation), from `nm`.
    pub fn symbol_offset(&self, symbol: &str) -> u64 {
        let out = Command::new("nm")
            .arg(&self.exe)
            .output()
            .unwrap_or_else(|e| panic!("running nm on {}: {e}", self.exe.display()));
        let text = String::from_utf8_lossy(&out.stdout);
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if let (Some(addr), Some(_kind), Some(name)) =
                (parts.next(), parts.next(), parts.next())
            {
                if name == symbol {
                    return u64::from_str_radix(addr, 16)
                        .unwrap_or_else(|e| panic!("bad nm address {addr:?}: {e}"));
                }
            }
        }
        panic!(
            "symbol {symbol} not found by nm in {}:\n{text}",
            self.exe.display()
        )
    }

    /// Address of a symbol in the running process `pid` (the fixtures are
    /// PIEs: load base plus the linked offset); `None` if the executable's
    /// mapping is not found.
    pub fn address_in(&self, pid: u32, symbol: &str) -> Option<u64> {
        load_base(pid, &self.exe).map(|base| base + self.symbol_offset(symbol))
    }
}

fn fixtures_src_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

fn fixtures_out_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("rgdb-fixtures")
}

/// Builds `tests/fixtures/<name>.c` once per test process and returns it.
///
/// The executable is compiled to a unique temporary name, then renamed into
/// place, so concurrent test processes never see a half-written file; an
/// identical executable already in place is kept rather than replaced.
pub fn fixture(name: &str) -> Fixture {
    static BUILT: OnceLock<Mutex<HashMap<String, Fixture>>> = OnceLock::new();
    static COUNTER: AtomicUsize = AtomicUsize::new(0);

    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    // Holding the lock while compiling serializes builds within a process,
    // which is what we want: each fixture is built once.
    let mut built = built.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(f) = built.get(name) {
        return f.clone();
    }

    let source = fixtures_src_dir().join(format!("{name}.c"));
    assert!(source.is_file(), "no fixture source {}", source.display());
    let out_dir = fixtures_out_dir();
    fs::create_dir_all(&out_dir).unwrap_or_else(|e| panic!("creating {}: {e}", out_dir.display()));
    let exe = out_dir.join(name);
    let tmp = out_dir.join(format!(
        ".{name}.{}.{}.tmp",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .args(["-g", "-O0", "-pthread", "-Wall", "-o"])
        .arg(&tmp)
        .arg(&source)
        .output()
        .unwrap_or_else(|e| panic!("running {cc} (is a C compiler installed?): {e}"));
    assert!(
        out.status.success(),
        "compiling {} failed ({}):\n{}{}",
        source.display(),
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // Other test processes may be running the executable already: keep it
    // when the new build is the same (builds are deterministic), so that a
    // running program's /proc/PID/exe never becomes "(deleted)" (a program
    // that execs itself through it would fail).
    let same = matches!((fs::read(&tmp), fs::read(&exe)), (Ok(new), Ok(old)) if new == old);
    if same {
        let _ = fs::remove_file(&tmp);
    } else {
        fs::rename(&tmp, &exe)
            .unwrap_or_else(|e| panic!("renaming {} to {}: {e}", tmp.display(), exe.display()));
    }

    let f = Fixture {
        name: name.to_string(),
        source,
        exe,
    };
    built.insert(name.to_string(), f.clone());
    f
}

// ---------------------------------------------------------------------------
// Collected output
// ---------------------------------------------------------------------------

/// Text read from one or more pipes by a background thread, which tests can
/// wait on without sleeping.
pub struct Output {
    state: Mutex<OutputState>,
    cond: Condvar,
}

struct OutputState {
    text: String,
    open_readers: usize,
}

impl Output {
    fn new(readers: usize) -> Arc<Output> {
        Arc::new(Output {
            state: Mutex::new(OutputState {
                text: String::new(),
                open_readers: readers,
            }),
            cond: Condvar::new(),
        })
    }

    fn spawn_reader<R: Read + Send + 'static>(self: &Arc<Self>, mut reader: R) {
        let out = Arc::clone(self);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let mut st = out.lock();
                        st.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                        out.cond.notify_all();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            let mut st = out.lock();
            st.open_readers -= 1;
            out.cond.notify_all();
        });
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, OutputState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything collected so far.
    pub fn text(&self) -> String {
        self.lock().text.clone()
    }

    /// Complete and partial lines collected so far.
    pub fn lines(&self) -> Vec<String> {
        self.lock().text.lines().map(str::to_string).collect()
    }

    /// True once every pipe reached end of file.
    pub fn closed(&self) -> bool {
        self.lock().open_readers == 0
    }

    /// Waits until `pred(text)` returns `Some`, the pipes close, or the
    /// timeout passes. Returns the predicate's value, if it matched.
    pub fn wait_until<T>(
        &self,
        timeout: Duration,
        mut pred: impl FnMut(&str) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        loop {
            if let Some(v) = pred(&st.text) {
                return Some(v);
            }
            let now = Instant::now();
            if st.open_readers == 0 || now >= deadline {
                return None;
            }
            st = self
                .cond
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Waits for a line containing `needle`; returns that line.
    pub fn wait_for_line(&self, needle: &str, timeout: Duration) -> Option<String> {
        self.wait_until(timeout, |text| {
            text.lines()
                .find(|l| l.contains(needle))
                .map(str::to_string)
        })
    }

    /// Waits until `needle` occurs at least `count` times.
    pub fn wait_for_count(&self, needle: &str, count: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |text| {
            (text.matches(needle).count() >= count).then_some(())
        })
        .is_some()
    }

    /// Waits until every pipe is closed.
    pub fn wait_closed(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut st = self.lock();
        while st.open_readers > 0 {
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            st = self
                .cond
                .wait_timeout(st, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        true
    }
}

/// Sends `signal` (e.g. "INT", "KILL") to a process with kill(1).
fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Waits for a child to exit, with a timeout. The output readers tell us
/// when the pipes close, which normally happens when the child exits; after
/// that (or if something else keeps the pipes open) `try_wait` is polled.
fn wait_child(child: &mut Child, output: &Output, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    output.wait_closed(timeout);
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) => {}
            Err(e) => panic!("waiting for child {}: {e}", child.id()),
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(20));
    }
}

// ---------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------

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
    /// Extra options before the address, e.g. `--debug`.
    pub extra_args: Vec<String>,
    /// Host part of `HOST:0` (default empty, i.e. `:0`).
    pub host: String,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            once: true,
            extra_args: Vec::new(),
            host: String::new(),
        }
    }
}

/// A running server. Dropping it kills the launched program (if the server
/// still owns it) and the server.
pub struct Server {
    child: Child,
    port: u16,
    inferior_pid: u32,
    /// Start time (clock ticks since boot) of the program, to tell it from
    /// a later process that reuses its pid.
    inferior_start_time: Option<u64>,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
    command_line: String,
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

    /// Starts the server with options, on port 0, and parses the
    /// `Process PROG created; pid = N` and `Listening on port N` lines.
    pub fn start_with(opts: &ServerOptions, prog: &Path, args: &[&str]) -> Server {
        let server = server_path();
        let mut cmd = Command::new(&server);
        if opts.once {
            cmd.arg("--once");
        }
        cmd.args(&opts.extra_args);
        cmd.arg(format!("{}:0", opts.host));
        cmd.arg(prog);
        cmd.args(args);
        let mut server = Server::spawn(cmd);

        let timeout = scaled(WAIT_TIMEOUT);
        let listening = server
            .stderr
            .wait_for_line("Listening on port ", timeout)
            .unwrap_or_else(|| {
                panic!("server never said `Listening on port N`\n{}", server.dump())
            });
        server.port = parse_number_after(&listening, "Listening on port ")
            .and_then(|n| u16::try_from(n).ok())
            .filter(|p| *p != 0)
            .unwrap_or_else(|| panic!("bad port in {listening:?}\n{}", server.dump()));

        let created = server
            .stderr
            .wait_for_line("created; pid = ", timeout)
            .unwrap_or_else(|| {
                panic!(
                    "server never said `Process PROG created; pid = N`\n{}",
                    server.dump()
                )
            });
        server.inferior_pid = parse_number_after(&created, "created; pid = ")
            .and_then(|n| u32::try_from(n).ok())
            .unwrap_or_else(|| panic!("bad pid in {created:?}\n{}", server.dump()));
        server.inferior_start_time = proc_stat(server.inferior_pid).map(|s| s.start_time);
        server
    }

    /// Starts the server with `args` exactly as given (no `--once`, no
    /// address added), e.g. `["--once", "--attach", ":0", PID]`,
    /// `["--multi", ":0"]` or `["--once", "unix:/tmp/d/sock", PROG]`, and
    /// waits for its `Listening on ...` line (TCP or Unix socket). The
    /// port is parsed from `Listening on port N` (0 for a Unix socket); the
    /// program's pid from `Process PROG created; pid = N` or
    /// `Attached; pid = N` when the server printed one (0 otherwise).
    ///
    /// A server without a program of its own (`--multi :0`) gets SIGTERM
    /// when dropped, so that it ends what it started before it is killed.
    pub fn start_args(args: &[&str]) -> Server {
        let mut cmd = Command::new(server_path());
        cmd.args(args);
        let mut server = Server::spawn(cmd);
        let timeout = scaled(WAIT_TIMEOUT);
        let listening = server
            .stderr
            .wait_for_line("Listening on ", timeout)
            .unwrap_or_else(|| panic!("server never said `Listening on ...`\n{}", server.dump()));
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
            server.inferior_start_time = proc_stat(server.inferior_pid).map(|s| s.start_time);
        }
        server
    }

    /// Spawns the server command with piped output, readers started.
    fn spawn(mut cmd: Command) -> Server {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let command_line = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command_line}: {e}"));

        let stdout = Output::new(1);
        stdout.spawn_reader(child.stdout.take().expect("server stdout is piped"));
        let stderr = Output::new(1);
        stderr.spawn_reader(child.stderr.take().expect("server stderr is piped"));

        Server {
            child,
            port: 0,
            inferior_pid: 0,
            inferior_start_time: None,
            stdout,
            stderr,
            command_line,
        }
    }

    /// Sends `signal` (e.g. "TERM") to the server; false if kill(1) failed.
    pub fn signal(&self, signal: &str) -> bool {
        send_signal(self.child.id(), signal)
    }

    /// The server's exit status if it has exited (never blocks).
    pub fn try_exit_status(&mut self) -> Option<ExitStatus> {
        self.child
            .try_wait()
            .unwrap_or_else(|e| panic!("waiting for the server: {e}"))
    }

    /// Waits up to `timeout` for the server to exit.
    pub fn wait_exit_within(&mut self, timeout: Duration) -> Option<ExitStatus> {
        wait_child(&mut self.child, &self.stderr, timeout)
    }

    /// Waits up to `timeout` until the program is gone (or a zombie);
    /// false on timeout. Polls, like [`wait_inferior_gone`](Self::wait_inferior_gone).
    pub fn wait_inferior_gone_within(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while self.inferior_alive() {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(5));
        }
        true
    }

    /// True while the launched program still runs (exists and is not a
    /// zombie). Pid reuse is detected with the process start time.
    pub fn inferior_alive(&self) -> bool {
        match proc_stat(self.inferior_pid) {
            Some(st) => {
                Some(st.start_time) == self.inferior_start_time
                    && st.state != 'Z'
                    && st.state != 'X'
            }
            None => false,
        }
    }

    /// Waits until the launched program is gone (or a zombie). There is
    /// nothing to block on for a process that is not our child, so this
    /// polls. Returns false on timeout.
    pub fn wait_inferior_gone(&self) -> bool {
        let deadline = Instant::now() + scaled(WAIT_TIMEOUT);
        while self.inferior_alive() {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(20));
        }
        true
    }

    /// The port the server listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pid of the launched program.
    pub fn inferior_pid(&self) -> u32 {
        self.inferior_pid
    }

    /// The server's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's stdout, which the program inherits.
    pub fn stdout(&self) -> &Output {
        &self.stdout
    }

    /// The server's stderr (its messages; the program's stderr too).
    pub fn stderr(&self) -> &Output {
        &self.stderr
    }

    /// Waits for a stdout line containing `needle`; panics on timeout.
    pub fn wait_stdout(&self, needle: &str) -> String {
        self.stdout
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| panic!("no stdout line containing {needle:?}\n{}", self.dump()))
    }

    /// Waits for a stderr line containing `needle`; panics on timeout.
    pub fn wait_stderr(&self, needle: &str) -> String {
        self.stderr
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| panic!("no stderr line containing {needle:?}\n{}", self.dump()))
    }

    /// Like [`wait_stdout`](Self::wait_stdout), with gdb's output (or any
    /// other context) in the failure message.
    pub fn expect_stdout(&self, needle: &str, gdb_output: &str) -> String {
        self.stdout
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| {
                panic!(
                    "no server stdout line containing {needle:?}\n--- gdb output:\n{gdb_output}\n--- end of gdb output\n{}",
                    self.dump()
                )
            })
    }

    /// Like [`wait_stderr`](Self::wait_stderr), with gdb's output (or any
    /// other context) in the failure message.
    pub fn expect_stderr(&self, needle: &str, gdb_output: &str) -> String {
        self.stderr
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| {
                panic!(
                    "no server stderr line containing {needle:?}\n--- gdb output:\n{gdb_output}\n--- end of gdb output\n{}",
                    self.dump()
                )
            })
    }

    /// Like [`wait_exit`](Self::wait_exit), with gdb's output (or any other
    /// context) in the failure message.
    pub fn expect_exit(&mut self, gdb_output: &str) -> ExitStatus {
        let timeout = scaled(WAIT_TIMEOUT);
        match wait_child(&mut self.child, &self.stderr, timeout) {
            Some(status) => status,
            None => panic!(
                "server did not exit within {timeout:?}\n--- gdb output:\n{gdb_output}\n--- end of gdb output\n{}",
                self.dump()
            ),
        }
    }

    /// Waits for the server to exit; panics on timeout.
    pub fn wait_exit(&mut self) -> ExitStatus {
        let timeout = scaled(WAIT_TIMEOUT);
        match wait_child(&mut self.child, &self.stderr, timeout) {
            Some(status) => status,
            None => panic!("server did not exit within {timeout:?}\n{}", self.dump()),
        }
    }

    /// The command line and everything the server printed, for messages.
    pub fn dump(&self) -> String {
        format!(
            "--- server: {}\n--- server stderr:\n{}\n--- server stdout:\n{}\n--- end of server output",
            self.command_line,
            self.stderr.text(),
            self.stdout.text()
        )
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        if self.inferior_pid == 0 {
            // No program of its own (`--multi`): ask it to end what it
            // launched since, and to leave.
            send_signal(self.child.id(), "TERM");
        }
        // Kill the program first, but only while it provably still belongs
        // to the server (its child or its tracee), so its pid cannot have
        // been reused by an unrelated process.
        if self.inferior_alive() && process_belongs_to(self.inferior_pid, self.child.id()) {
            send_signal(self.inferior_pid, "KILL");
        }
        // Give the server a moment to reap the program and exit by itself
        // (a program orphaned by a killed server may stay a zombie), then
        // kill it.
        if wait_child(&mut self.child, &self.stderr, Duration::from_secs(2)).is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The fields of `/proc/PID/stat` that the tests use.
struct ProcStat {
    state: char,
    start_time: u64,
}

fn proc_stat(pid: u32) -> Option<ProcStat> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name, which is in parentheses and may
    // contain spaces: state is field 3, starttime field 22.
    let rest = &text[text.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Some(ProcStat {
        state: fields.first()?.chars().next()?,
        start_time: fields.get(19)?.parse().ok()?,
    })
}

/// True if `pid`'s parent or tracer is `owner`.
fn process_belongs_to(pid: u32, owner: u32) -> bool {
    let Ok(status) = fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status.lines().any(|l| {
        (l.starts_with("PPid:") || l.starts_with("TracerPid:"))
            && l.split_whitespace().nth(1) == Some(owner.to_string().as_str())
    })
}

/// The decimal number right after `prefix` in `line`.
pub fn parse_number_after(line: &str, prefix: &str) -> Option<u64> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

// ---------------------------------------------------------------------------
// gdb
// ---------------------------------------------------------------------------

/// Settings given to every gdb before it loads anything.
const GDB_INIT: &[&str] = &[
    "set debuginfod enabled off",
    "set pagination off",
    "set width 0",
    "set height 0",
    "set confirm off",
];

/// A gdb process in batch mode. Its stdout and stderr go to one pipe, so
/// their order is kept. Dropping it kills gdb if it is still running.
pub struct Gdb {
    child: Child,
    output: Arc<Output>,
    command_line: String,
    finished: Option<ExitStatus>,
    /// Interactive gdb only: where commands are written.
    stdin: Option<ChildStdin>,
}

/// The `-ex` command that connects gdb to the server.
pub fn target_remote(port: u16) -> String {
    format!("target remote 127.0.0.1:{port}")
}

impl Gdb {
    /// `gdb -nx -batch PROG -ex "target remote 127.0.0.1:PORT" -ex CMD...`
    pub fn spawn(prog: &Path, port: u16, cmds: &[&str]) -> Gdb {
        let mut args: Vec<String> = vec![prog.to_str().expect("UTF-8 program path").to_string()];
        args.push("-ex".to_string());
        args.push(target_remote(port));
        for c in cmds {
            args.push("-ex".to_string());
            args.push((*c).to_string());
        }
        Gdb::spawn_args(&args)
    }

    /// `gdb -nx -batch [init settings] ARGS...` with ARGS as given.
    pub fn spawn_args(args: &[String]) -> Gdb {
        Gdb::spawn_mode(args, true)
    }

    /// gdb reading commands from a pipe instead of running in batch mode:
    /// `gdb -nx -q [init settings] PROG -ex "target remote 127.0.0.1:PORT"`,
    /// then `cmds` written to its stdin. More can be sent with
    /// [`send`](Self::send); gdb quits at [`close_stdin`](Self::close_stdin).
    ///
    /// Unlike batch mode, gdb then prints what it prints for a user (its
    /// `(gdb) ` prompts, and `Continuing.` when `continue` starts, flushed),
    /// so a test can tell when a command is under way.
    pub fn spawn_interactive(prog: &Path, port: u16, cmds: &[&str]) -> Gdb {
        let args = vec![
            prog.to_str().expect("UTF-8 program path").to_string(),
            "-ex".to_string(),
            target_remote(port),
        ];
        let mut gdb = Gdb::spawn_interactive_args(&args);
        for c in cmds {
            gdb.send(c);
        }
        gdb
    }

    /// `gdb -nx -q [init settings] ARGS...` reading commands from a pipe.
    pub fn spawn_interactive_args(args: &[String]) -> Gdb {
        Gdb::spawn_mode(args, false)
    }

    fn spawn_mode(args: &[String], batch: bool) -> Gdb {
        let mut cmd = Command::new("gdb");
        cmd.arg("-nx");
        if batch {
            cmd.arg("-batch");
        } else {
            cmd.arg("-q");
        }
        for s in GDB_INIT {
            cmd.arg("-iex").arg(s);
        }
        cmd.args(args);
        let command_line = format!("{cmd:?}");
        let (reader, writer) = io::pipe().expect("creating a pipe for gdb's output");
        let writer2 = writer.try_clone().expect("duplicating gdb's output pipe");
        let stdin = if batch { Stdio::null() } else { Stdio::piped() };
        cmd.stdin(stdin).stdout(writer).stderr(writer2);
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command_line} (is gdb installed?): {e}"));
        // The Command holds the write ends: drop it so EOF can be seen.
        drop(cmd);
        let output = Output::new(1);
        output.spawn_reader(reader);
        let stdin = child.stdin.take();
        Gdb {
            child,
            output,
            command_line,
            finished: None,
            stdin,
        }
    }

    /// Interactive gdb: writes one command line to gdb's stdin.
    pub fn send(&mut self, cmd: &str) {
        let stdin = self
            .stdin
            .as_mut()
            .unwrap_or_else(|| panic!("gdb's stdin is not a pipe (batch mode?)"));
        if let Err(e) = writeln!(stdin, "{cmd}").and_then(|()| stdin.flush()) {
            panic!("sending {cmd:?} to gdb: {e}\n{}", self.dump());
        }
    }

    /// Interactive gdb: closes its stdin, so that it quits once it has
    /// read every command sent.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits until `needle` occurs `count` times in gdb's output; panics
    /// with the output on timeout or if gdb exits first.
    pub fn wait_for_count(&self, needle: &str, count: usize) -> String {
        let timeout = scaled(GDB_TIMEOUT);
        self.output
            .wait_until(timeout, |t| {
                (t.matches(needle).count() >= count).then(|| t.to_string())
            })
            .unwrap_or_else(|| {
                panic!(
                    "gdb output never contained {needle:?} {count} times (waited up to {timeout:?})\n{}",
                    self.dump()
                )
            })
    }

    /// Kills gdb with SIGKILL, as a crash would, reaps it and returns its
    /// output.
    pub fn kill(mut self) -> String {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("waiting for gdb: {e}\n{}", self.dump()));
        self.finished = Some(status);
        self.stdin = None;
        self.output.wait_closed(Duration::from_secs(5));
        self.output.text()
    }

    /// gdb's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything gdb printed so far.
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// The collected output, to wait on.
    pub fn output_handle(&self) -> &Output {
        &self.output
    }

    /// Waits until gdb's output contains `needle`; panics with the output
    /// on timeout or if gdb exits first.
    pub fn wait_for(&self, needle: &str) -> String {
        let timeout = scaled(GDB_TIMEOUT);
        self.output
            .wait_until(timeout, |t| t.contains(needle).then(|| t.to_string()))
            .unwrap_or_else(|| {
                panic!(
                    "gdb output never contained {needle:?} (waited up to {timeout:?})\n{}",
                    self.dump()
                )
            })
    }

    /// Sends SIGINT to gdb, as a user pressing Ctrl-C does.
    pub fn interrupt(&self) {
        if self.finished.is_none() {
            assert!(
                send_signal(self.child.id(), "INT"),
                "kill -INT gdb failed\n{}",
                self.dump()
            );
        }
    }

    /// Waits (default timeout) for gdb to exit and returns its output.
    /// On timeout, kills gdb and panics with the output so far.
    pub fn finish(self) -> String {
        self.finish_within(scaled(GDB_TIMEOUT))
    }

    /// Like [`finish`](Self::finish) with an explicit timeout.
    pub fn finish_within(mut self, timeout: Duration) -> String {
        // Interactive gdb quits at the end of its commands.
        self.stdin = None;
        match wait_child(&mut self.child, &self.output, timeout) {
            Some(status) => {
                self.finished = Some(status);
                // Readers may still hold the last bytes for a moment.
                self.output.wait_closed(Duration::from_secs(5));
                self.output.text()
            }
            None => {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "gdb did not finish within {timeout:?}; killed it\n{}",
                    self.dump()
                )
            }
        }
    }

    /// gdb's command line and output, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- gdb: {}\n--- gdb output:\n{}\n--- end of gdb output",
            self.command_line,
            self.output.text()
        )
    }
}

impl Drop for Gdb {
    fn drop(&mut self) {
        if self.finished.is_none() {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
            let _ = self.child.wait();
        }
    }
}

/// Runs gdb in batch mode on `prog`, connected to `port`, with `cmds`;
/// returns its combined stdout and stderr.
pub fn gdb_batch(prog: &Path, port: u16, cmds: &[&str]) -> String {
    Gdb::spawn(prog, port, cmds).finish()
}

/// A finished gdb session: gdb's output and the server (still alive or
/// exited) for checking its messages.
pub struct Session {
    pub gdb: String,
    pub server: Server,
}

impl Session {
    /// gdb's output then the server's, for assertion messages.
    pub fn dump(&self) -> String {
        format!(
            "--- gdb output:\n{}\n--- end of gdb output\n{}",
            self.gdb,
            self.server.dump()
        )
    }

    /// Panics (showing all output) unless gdb's output contains `needle`.
    pub fn expect(&self, needle: &str) {
        assert!(
            self.gdb.contains(needle),
            "gdb output lacks {needle:?}\n{}",
            self.dump()
        );
    }

    /// Panics (showing all output) if gdb's output contains `needle`.
    pub fn expect_not(&self, needle: &str) {
        assert!(
            !self.gdb.contains(needle),
            "gdb output has {needle:?}\n{}",
            self.dump()
        );
    }

    /// The output between `echo @@name` (see [`mark`]) and the next mark.
    pub fn section(&self, name: &str) -> &str {
        section(&self.gdb, name)
            .unwrap_or_else(|| panic!("no section @@{name} in gdb output\n{}", self.dump()))
    }
}

/// Starts the server on `fixture` (no arguments), runs gdb with `cmds`
/// after `target remote`, and returns both outputs.
pub fn debug_fixture(fixture: &Fixture, cmds: &[&str]) -> Session {
    debug_program(&fixture.exe, cmds)
}

/// Starts the server on `prog` and runs gdb in batch mode with `cmds`; a
/// gdb that does not finish in time fails the test with the server's
/// output as well as gdb's.
pub fn debug_program(prog: &Path, cmds: &[&str]) -> Session {
    let server = Server::start(prog, &[]);
    let gdb = Gdb::spawn(prog, server.port(), cmds);
    let timeout = scaled(GDB_TIMEOUT);
    if !gdb.output_handle().wait_closed(timeout) {
        panic!(
            "gdb did not finish within {timeout:?}\n{}\n{}",
            gdb.dump(),
            server.dump()
        );
    }
    Session {
        gdb: gdb.finish(),
        server,
    }
}

/// The value of the first `$N = VALUE` line gdb printed in `text`.
pub fn printed_value(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let rest = l.strip_prefix('$')?;
        let (num, value) = rest.split_once(" = ")?;
        num.parse::<u32>().ok()?;
        Some(value.trim())
    })
}

/// A gdb command printing a section marker: `echo \n@@name\n`. Use
/// [`section`] to get what the following commands printed.
pub fn mark(name: &str) -> String {
    format!("echo \\n@@{name}\\n")
}

/// Text after the `@@name` line up to the next `@@` marker line.
pub fn section<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("@@{name}\n");
    let start = output.find(&marker)? + marker.len();
    let rest = &output[start..];
    let end = rest.find("\n@@").map(|i| i + 1).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Panics with the whole output unless `haystack` contains `needle`.
#[track_caller]
pub fn assert_contains(haystack: &str, needle: &str, context: &str) {
    assert!(
        haystack.contains(needle),
        "{context}: expected to find {needle:?} in:\n{haystack}\n--- end"
    );
}

/// Panics with the whole output if `haystack` contains `needle`.
#[track_caller]
pub fn assert_not_contains(haystack: &str, needle: &str, context: &str) {
    assert!(
        !haystack.contains(needle),
        "{context}: did not expect {needle:?} in:\n{haystack}\n--- end"
    );
}

/// All `0x...` hex numbers that follow `prefix` on lines of `text`.
pub fn hex_values_after(text: &str, prefix: &str) -> Vec<u64> {
    let mut out = Vec::new();
    for line in text.lines() {
        let mut rest = line;
        while let Some(i) = rest.find(prefix) {
            rest = &rest[i + prefix.len()..];
            let t = rest.trim_start();
            if let Some(hex) = t.strip_prefix("0x") {
                let digits: String = hex.chars().take_while(char::is_ascii_hexdigit).collect();
                if let Ok(v) = u64::from_str_radix(&digits, 16) {
                    out.push(v);
                }
            }
        }
    }
    out
}

/// Rows of `info threads` (`  1    Thread 1234.1234 "name" frame`, `* 2 ...`
/// for the current one).
pub fn thread_rows(text: &str) -> Vec<&str> {
    text.lines()
        .map(|l| l.strip_prefix("(gdb) ").unwrap_or(l))
        .filter(|l| {
            let t = l.trim_start().trim_start_matches('*').trim_start();
            t.starts_with(|c: char| c.is_ascii_digit()) && l.contains("Thread ")
        })
        .collect()
}

// ---------------------------------------------------------------------------
// Programs started by the tests themselves (to attach to)
// ---------------------------------------------------------------------------

/// A program the test starts itself (not through the server), with its
/// stdin, stdout and stderr piped. Dropping it kills it.
pub struct Program {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
    command_line: String,
    status: Option<ExitStatus>,
}

impl Program {
    /// Starts `exe ARGS...`.
    pub fn spawn(exe: &Path, args: &[&str]) -> Program {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let command_line = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("starting {command_line}: {e}"));
        let stdout = Output::new(1);
        stdout.spawn_reader(child.stdout.take().expect("stdout is piped"));
        let stderr = Output::new(1);
        stderr.spawn_reader(child.stderr.take().expect("stderr is piped"));
        let stdin = child.stdin.take();
        Program {
            child,
            stdin,
            stdout,
            stderr,
            command_line,
            status: None,
        }
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its stdout.
    pub fn stdout(&self) -> &Output {
        &self.stdout
    }

    /// Waits for a stdout line containing `needle`; panics on timeout.
    pub fn wait_stdout(&self, needle: &str) -> String {
        self.stdout
            .wait_for_line(needle, scaled(WAIT_TIMEOUT))
            .unwrap_or_else(|| panic!("no stdout line containing {needle:?}\n{}", self.dump()))
    }

    /// Closes the program's stdin (it sees end of file).
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Waits for the program to exit; panics (with `context` and the
    /// program's output) on timeout.
    pub fn wait_exit(&mut self, context: &dyn Fn() -> String) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let timeout = scaled(WAIT_TIMEOUT);
        match wait_child(&mut self.child, &self.stdout, timeout) {
            Some(status) => {
                self.status = Some(status);
                self.stderr.wait_closed(Duration::from_secs(5));
                status
            }
            None => panic!(
                "the program did not exit within {timeout:?}\n{}\n{}",
                self.dump(),
                context()
            ),
        }
    }

    /// True until the program has exited (a zombie counts as exited).
    pub fn alive(&mut self) -> bool {
        if self.status.is_some() {
            return false;
        }
        match process_state(self.child.id()) {
            None | Some('Z') | Some('X') => false,
            Some(_) => true,
        }
    }

    /// The command line and the output so far, for messages.
    pub fn dump(&self) -> String {
        format!(
            "--- program: {} (pid {}), exit status {:?}\n--- program stdout:\n{}\n--- program stderr:\n{}\n--- end of program output",
            self.command_line,
            self.child.id(),
            self.status,
            self.stdout.text(),
            self.stderr.text()
        )
    }
}

impl Drop for Program {
    fn drop(&mut self) {
        if self.status.is_none() {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
            let _ = self.child.wait();
        }
    }
}

/// Exit status and output of a server run to its end (for the error cases,
/// where it exits at once).
pub struct ServerRun {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
    pub command_line: String,
}

impl ServerRun {
    pub fn dump(&self) -> String {
        format!(
            "--- server: {} exited with {}\n--- server stderr:\n{}\n--- server stdout:\n{}\n--- end of server output",
            self.command_line, self.status, self.stderr, self.stdout
        )
    }
}

/// Runs the server with `args` as given and waits (default timeout) for
/// it to exit; kills it and panics if it does not.
pub fn run_server_to_exit(args: &[&str]) -> ServerRun {
    let mut cmd = Command::new(server_path());
    cmd.args(args);
    let mut server = Server::spawn(cmd);
    let timeout = scaled(WAIT_TIMEOUT);
    let status = server
        .wait_exit_within(timeout)
        .unwrap_or_else(|| panic!("server did not exit within {timeout:?}\n{}", server.dump()));
    server.stdout.wait_closed(Duration::from_secs(5));
    ServerRun {
        status,
        stdout: server.stdout.text(),
        stderr: server.stderr.text(),
        command_line: server.command_line.clone(),
    }
}

// ---------------------------------------------------------------------------
// Processes seen through /proc
// ---------------------------------------------------------------------------

/// The state letter of `/proc/PID/stat` (`R`, `S`, `t` for a tracing stop,
/// `Z`, ...), or `None` if there is no such process.
pub fn process_state(pid: u32) -> Option<char> {
    proc_stat(pid).map(|s| s.state)
}

/// The `TracerPid:` of a process (0 when not traced).
pub fn tracer_pid(pid: u32) -> Option<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("TracerPid:"))
        .and_then(|v| v.trim().parse().ok())
}

/// A pid no process has now (the highest possible ones are rarely used).
pub fn unused_pid() -> u32 {
    let max: u32 = fs::read_to_string("/proc/sys/kernel/pid_max")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(32768);
    // 999999 when pid_max allows fewer pids than that: never a process.
    let start = if max <= 999_999 { 999_999 } else { max - 1 };
    (1..=start)
        .rev()
        .find(|p| !Path::new(&format!("/proc/{p}")).exists())
        .expect("some pid is unused")
}

/// Where `exe` is loaded in process `pid`: the start of its mapping at
/// file offset 0, from `/proc/PID/maps` (for a PIE, add a symbol's
/// [`Fixture::symbol_offset`] to get its address).
pub fn load_base(pid: u32, exe: &Path) -> Option<u64> {
    let exe = fs::canonicalize(exe).ok()?;
    let maps = fs::read_to_string(format!("/proc/{pid}/maps")).ok()?;
    maps.lines().find_map(|line| {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.len() < 6 || Path::new(fields[5]) != exe || fields[2] != "00000000" {
            return None;
        }
        let start = fields[0].split('-').next()?;
        u64::from_str_radix(start, 16).ok()
    })
}

/// Reads `len` bytes at `addr` in process `pid` through `/proc/PID/mem`.
pub fn read_memory(pid: u32, addr: u64, len: usize) -> io::Result<Vec<u8>> {
    use std::os::unix::fs::FileExt;
    let file = fs::File::open(format!("/proc/{pid}/mem"))?;
    let mut buf = vec![0u8; len];
    file.read_exact_at(&mut buf, addr)?;
    Ok(buf)
}

/// Calls `check` every few milliseconds until it returns true or `timeout`
/// passes (for states nothing can be blocked on, such as another process's
/// memory); returns whether it did.
pub fn poll_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

// ---------------------------------------------------------------------------
// Temporary directories
// ---------------------------------------------------------------------------

/// A fresh directory under the system's temporary directory, removed with
/// everything in it when dropped.
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    /// Creates `$TMPDIR/rgdb-TAG-PID-N` (short, so that Unix socket paths
    /// in it stay under the 108-byte limit).
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let base = std::env::temp_dir();
        loop {
            let path = base.join(format!(
                "rgdb-{tag}-{}-{}",
                std::process::id(),
                COUNTER.fetch_add(1, Ordering::Relaxed)
            ));
            match fs::create_dir(&path) {
                Ok(()) => {
                    let path = fs::canonicalize(&path).unwrap_or(path);
                    return TempDir { path };
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                Err(e) => panic!("creating {}: {e}", path.display()),
            }
        }
    }

    /// The directory.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A path inside the directory.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.path);
    }
}
