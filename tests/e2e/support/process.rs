//! Processes: the children the tests start (killed and reaped when
//! dropped), programs the tests run themselves (to attach to), and what
//! /proc says about any process: its state, tracer, threads, mappings and
//! memory; and the CPU's features.

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::output::Output;
use super::{scaled, WAIT_TIMEOUT};

/// A child process the tests started. Dropping it kills it (if it still
/// runs) and reaps it.
pub struct Spawned {
    child: Child,
    command_line: String,
    status: Option<ExitStatus>,
}

impl Spawned {
    /// Spawns `cmd`, then drops it (so that the pipe ends it holds close).
    /// `missing` tells what to install when the program is not found.
    pub fn spawn(mut cmd: Command, missing: &str) -> Spawned {
        let command_line = format!("{cmd:?}");
        let child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                panic!("starting {command_line}: {e} ({missing})")
            }
            Err(e) => panic!("starting {command_line}: {e}"),
        };
        Spawned {
            child,
            command_line,
            status: None,
        }
    }

    /// The child's pid.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The command line, for messages.
    pub fn command_line(&self) -> &str {
        &self.command_line
    }

    /// The exit status, once the child has been reaped.
    pub fn status(&self) -> Option<ExitStatus> {
        self.status
    }

    /// The child's stdin, stdout and stderr, where piped.
    pub fn child(&mut self) -> &mut Child {
        &mut self.child
    }

    /// The exit status if the child has exited (never blocks).
    pub fn try_wait(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self
                .child
                .try_wait()
                .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.command_line));
        }
        self.status
    }

    /// Waits up to `timeout` for the child to exit. There is nothing to
    /// block on with a timeout but the child's `pipe`, which normally
    /// closes when it exits; after that (or when something else keeps the
    /// pipe open), this polls.
    pub fn wait_within(&mut self, timeout: Duration, pipe: Option<&Output>) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        if let Some(pipe) = pipe {
            pipe.wait_closed(timeout);
        }
        poll_until(deadline.saturating_duration_since(Instant::now()), || {
            self.try_wait().is_some()
        });
        self.status
    }

    /// Kills the child with SIGKILL unless it has exited, and reaps it.
    pub fn kill(&mut self) -> ExitStatus {
        if let Some(status) = self.try_wait() {
            return status;
        }
        let _ = self.child.kill();
        let status = self
            .child
            .wait()
            .unwrap_or_else(|e| panic!("waiting for {}: {e}", self.command_line));
        self.status = Some(status);
        status
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        if self.status.is_none() {
            if let Ok(None) = self.child.try_wait() {
                let _ = self.child.kill();
            }
            let _ = self.child.wait();
        }
    }
}

/// Sends `signal` (e.g. "INT", "KILL") to a process with kill(1).
pub fn send_signal(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// A program the test starts itself (not through the server), with its
/// stdin, stdout and stderr piped. Dropping it kills it.
pub struct Program {
    // Declared first: stdin closes before the process is killed.
    stdin: Option<ChildStdin>,
    process: Spawned,
    stdout: Arc<Output>,
    stderr: Arc<Output>,
}

impl Program {
    /// Starts `exe ARGS...`.
    pub fn spawn(exe: &Path, args: &[&str]) -> Program {
        let mut cmd = Command::new(exe);
        cmd.args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut process = Spawned::spawn(cmd, "is the fixture built?");
        let child = process.child();
        let stdin = child.stdin.take();
        let stdout = Output::collect(child.stdout.take().expect("stdout is piped"));
        let stderr = Output::collect(child.stderr.take().expect("stderr is piped"));
        Program {
            stdin,
            process,
            stdout,
            stderr,
        }
    }

    /// The program's pid.
    pub fn pid(&self) -> u32 {
        self.process.pid()
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
    pub fn wait_exit(&mut self, context: &str) -> ExitStatus {
        let timeout = scaled(WAIT_TIMEOUT);
        match self.process.wait_within(timeout, Some(&self.stdout)) {
            Some(status) => {
                self.stderr.wait_closed(Duration::from_secs(5));
                status
            }
            None => panic!(
                "the program did not exit within {timeout:?}\n{}\n{context}",
                self.dump(),
            ),
        }
    }

    /// True until the program has exited (a zombie counts as exited).
    pub fn alive(&self) -> bool {
        self.process.status().is_none()
            && !matches!(process_state(self.pid()), None | Some('Z' | 'X'))
    }

    /// The command line and the output so far, for messages.
    pub fn dump(&self) -> String {
        format!(
            "--- program: {} (pid {}), exit status {:?}\n--- program stdout:\n{}\n--- program stderr:\n{}\n--- end of program output",
            self.process.command_line(),
            self.pid(),
            self.process.status(),
            self.stdout.text(),
            self.stderr.text()
        )
    }
}

/// The fields of `/proc/PID/stat` that the tests use: the state letter and
/// the start time (clock ticks since boot, which tells a process from a
/// later one that reuses its pid).
/// The fields of `/proc/PID/stat` after the command name (which is in
/// parentheses and may contain spaces): index 0 is field 3, the state.
fn proc_stat(pid: u32) -> Option<Vec<String>> {
    let text = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 1..];
    Some(rest.split_whitespace().map(str::to_string).collect())
}

/// Field `n` (numbered as in proc(5)) of `/proc/PID/stat`, as a number.
fn proc_stat_number(pid: u32, n: usize) -> Option<i64> {
    proc_stat(pid)?.get(n - 3)?.parse().ok()
}

/// The state letter of `/proc/PID/stat` (`R`, `S`, `t` for a tracing stop,
/// `Z`, ...), or `None` if there is no such process.
pub fn process_state(pid: u32) -> Option<char> {
    proc_stat(pid)?.first()?.chars().next()
}

/// When the process started (clock ticks since boot), to tell it from a
/// later process that reuses its pid.
pub fn start_time(pid: u32) -> Option<u64> {
    proc_stat_number(pid, 22).and_then(|t| u64::try_from(t).ok())
}

/// The process group of a process and the foreground process group of its
/// controlling terminal (-1 without one).
pub fn process_group_and_foreground(pid: u32) -> Option<(i64, i64)> {
    Some((proc_stat_number(pid, 5)?, proc_stat_number(pid, 8)?))
}

/// Every descendant of a process, parents before their children.
pub fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut next = vec![pid];
    while let Some(parent) = next.pop() {
        let Ok(tasks) = fs::read_dir(format!("/proc/{parent}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            let children = fs::read_to_string(task.path().join("children")).unwrap_or_default();
            for child in children.split_whitespace().filter_map(|c| c.parse().ok()) {
                found.push(child);
                next.push(child);
            }
        }
    }
    found
}

/// A number field of `/proc/PID/status`, e.g. `PPid` or `TracerPid`.
fn status_field(pid: u32, name: &str) -> Option<u32> {
    let status = fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
}

/// The `TracerPid:` of a process (0 when not traced).
pub fn tracer_pid(pid: u32) -> Option<u32> {
    status_field(pid, "TracerPid")
}

/// True if `pid`'s parent or tracer is `owner`.
pub fn process_belongs_to(pid: u32, owner: u32) -> bool {
    status_field(pid, "PPid") == Some(owner) || tracer_pid(pid) == Some(owner)
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

/// The threads of a process, from /proc/PID/task.
pub fn thread_ids(pid: u32) -> BTreeSet<u32> {
    fs::read_dir(format!("/proc/{pid}/task"))
        .unwrap_or_else(|e| panic!("reading /proc/{pid}/task: {e}"))
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect()
}

/// One line of /proc/PID/maps.
#[derive(Clone, Debug)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    /// `r-xp` and the like.
    pub perms: String,
    pub offset: u64,
    /// The file, `[stack]` and the like, or empty.
    pub path: String,
}

/// The mappings of a process, in address order.
pub fn mappings(pid: u32) -> Vec<Mapping> {
    try_mappings(pid).unwrap_or_else(|e| panic!("reading /proc/{pid}/maps: {e}"))
}

fn try_mappings(pid: u32) -> io::Result<Vec<Mapping>> {
    let maps = fs::read_to_string(format!("/proc/{pid}/maps"))?;
    Ok(maps
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let (start, end) = fields.first()?.split_once('-')?;
            Some(Mapping {
                start: u64::from_str_radix(start, 16).ok()?,
                end: u64::from_str_radix(end, 16).ok()?,
                perms: fields.get(1)?.to_string(),
                offset: u64::from_str_radix(fields.get(2)?, 16).ok()?,
                path: fields.get(5..).unwrap_or_default().join(" "),
            })
        })
        .collect())
}

/// Where `exe` is loaded in process `pid`: the start of its mapping at
/// file offset 0 (for a PIE, add a symbol's offset in the file to get its
/// address); `None` if it is not mapped (or there is no such process).
pub fn load_base(pid: u32, exe: &Path) -> Option<u64> {
    let exe = fs::canonicalize(exe).ok()?;
    try_mappings(pid)
        .ok()?
        .into_iter()
        .find(|m| m.offset == 0 && Path::new(&m.path) == exe)
        .map(|m| m.start)
}

/// Reads `len` bytes at `addr` in process `pid` through `/proc/PID/mem`.
pub fn read_memory(pid: u32, addr: u64, len: usize) -> io::Result<Vec<u8>> {
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

/// The CPU's feature flags, from the first `flags` line of /proc/cpuinfo.
pub fn cpu_flags() -> BTreeSet<String> {
    let info = fs::read_to_string("/proc/cpuinfo").expect("reading /proc/cpuinfo");
    let line = info
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_else(|| panic!("no flags line in /proc/cpuinfo:\n{info}"));
    let list = line.split_once(':').map_or("", |(_, v)| v);
    list.split_whitespace().map(str::to_string).collect()
}
