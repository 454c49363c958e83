//! End-to-end tests with lldb-dap, LLDB's Debug Adapter Protocol server,
//! driven over stdio the way VS Code drives it: `initialize`, `attach` with
//! `attachCommands` (`target create PROG`, `gdb-remote HOST:PORT`: how the
//! lldb-dap extension reaches a remote stub), breakpoints, then
//! `configurationDone`, and the requests VS Code makes at each stop.
//!
//! lldb-dap-19 is in Debian's `lldb-19` package. It prints its own packet
//! log on the debug console when `RGDB_TEST_DAP_PACKETS=1` is set (the
//! failure messages then show every packet lldb exchanged with the server).

use crate::support;

use std::collections::BTreeMap;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::support::{fixture, scaled, Fixture, Server, GDB_TIMEOUT};

/// The debug adapter under which the tests run.
const ADAPTER: &str = "lldb-dap-19";

// ---------------------------------------------------------------------------
// A Debug Adapter Protocol client
// ---------------------------------------------------------------------------

/// Messages received from the adapter, each taken at most once.
struct Inbox {
    messages: Vec<Value>,
    taken: Vec<bool>,
    /// The adapter closed its stdout (or sent something unreadable).
    closed: Option<String>,
}

/// lldb-dap run as VS Code runs it: requests on its stdin, responses and
/// events on its stdout, each framed as `Content-Length: N\r\n\r\n{json}`.
struct Dap {
    child: Child,
    stdin: Option<ChildStdin>,
    inbox: Arc<(Mutex<Inbox>, Condvar)>,
    /// Every message sent and received, in order, for failure messages.
    transcript: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Mutex<String>>,
    seq: u64,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// One message body from a DAP stream; `None` at end of file.
fn read_frame(reader: &mut impl BufRead) -> io::Result<Option<Vec<u8>>> {
    let mut length: Option<usize> = None;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 {
            return Ok(None);
        }
        let line = line.trim_end_matches(['\r', '\n']);
        if line.is_empty() {
            if length.is_some() {
                break;
            }
            continue;
        }
        if let Some(n) = line.strip_prefix("Content-Length:") {
            let n = n.trim().parse().map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("bad {line:?}: {e}"))
            })?;
            length = Some(n);
        }
    }
    let mut body = vec![0u8; length.unwrap_or(0)];
    reader.read_exact(&mut body)?;
    Ok(Some(body))
}

/// A message for the transcript: one line, long ones shortened.
fn brief(direction: &str, msg: &Value) -> String {
    let text = msg.to_string();
    const MAX: usize = 3000;
    if text.len() > MAX {
        let mut end = MAX;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        format!("{direction} {}... ({} bytes)", &text[..end], text.len())
    } else {
        format!("{direction} {text}")
    }
}

impl Dap {
    /// Starts lldb-dap-19 with its stdio piped.
    fn spawn() -> Dap {
        let mut cmd = Command::new(ADAPTER);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // No symbol server lookups from the test machine.
            .env_remove("DEBUGINFOD_URLS");
        let mut child = match cmd.spawn() {
            Ok(child) => child,
            Err(e) if e.kind() == io::ErrorKind::NotFound => panic!(
                "{ADAPTER} not found ({e}): these tests need LLDB's debug adapter; \
                 apt-get install lldb-19"
            ),
            Err(e) => panic!("starting {ADAPTER}: {e}"),
        };

        let inbox = Arc::new((
            Mutex::new(Inbox {
                messages: Vec::new(),
                taken: Vec::new(),
                closed: None,
            }),
            Condvar::new(),
        ));
        let transcript = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout is piped");
        {
            let inbox = Arc::clone(&inbox);
            let transcript = Arc::clone(&transcript);
            thread::spawn(move || {
                let mut reader = BufReader::new(stdout);
                let end = loop {
                    let body = match read_frame(&mut reader) {
                        Ok(Some(body)) => body,
                        Ok(None) => break "end of file".to_string(),
                        Err(e) => break format!("reading: {e}"),
                    };
                    let msg: Value = match serde_json::from_slice(&body) {
                        Ok(v) => v,
                        Err(e) => {
                            break format!("not JSON ({e}): {}", String::from_utf8_lossy(&body))
                        }
                    };
                    lock(&transcript).push(brief("<-", &msg));
                    let (m, cond) = &*inbox;
                    let mut inbox = lock(m);
                    inbox.messages.push(msg);
                    inbox.taken.push(false);
                    cond.notify_all();
                };
                let (m, cond) = &*inbox;
                lock(m).closed = Some(end);
                cond.notify_all();
            });
        }
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let stderr = Arc::clone(&stderr);
            let mut pipe = child.stderr.take().expect("stderr is piped");
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    lock(&stderr).push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let stdin = child.stdin.take();
        Dap {
            child,
            stdin,
            inbox,
            transcript,
            stderr,
            seq: 0,
        }
    }

    /// Sends a request; returns its `seq`.
    fn send(&mut self, command: &str, arguments: Option<Value>) -> Result<u64, String> {
        self.seq += 1;
        let mut msg = json!({"seq": self.seq, "type": "request", "command": command});
        if let Some(args) = arguments {
            msg["arguments"] = args;
        }
        lock(&self.transcript).push(brief("->", &msg));
        let body = msg.to_string();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("sending {command}: stdin already closed"))?;
        write!(stdin, "Content-Length: {}\r\n\r\n{body}", body.len())
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("sending {command}: {e}"))?;
        Ok(self.seq)
    }

    /// Takes the first message not taken yet for which `pred` holds,
    /// waiting up to `timeout` for it.
    fn take(
        &self,
        what: &str,
        timeout: Duration,
        mut pred: impl FnMut(&Value) -> bool,
    ) -> Result<Value, String> {
        let deadline = Instant::now() + timeout;
        let (m, cond) = &*self.inbox;
        let mut inbox = lock(m);
        loop {
            let found =
                (0..inbox.messages.len()).find(|&i| !inbox.taken[i] && pred(&inbox.messages[i]));
            if let Some(i) = found {
                inbox.taken[i] = true;
                return Ok(inbox.messages[i].clone());
            }
            if let Some(end) = &inbox.closed {
                return Err(format!("{ADAPTER}'s output ended ({end}) before {what}"));
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(format!("no {what} from {ADAPTER} within {timeout:?}"));
            }
            inbox = cond
                .wait_timeout(inbox, deadline - now)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// The text of every `output` event received so far.
    fn output_text(&self) -> String {
        let (m, _) = &*self.inbox;
        lock(m)
            .messages
            .iter()
            .filter(|v| v["type"] == "event" && v["event"] == "output")
            .filter_map(|v| v["body"]["output"].as_str())
            .collect()
    }

    /// Closes stdin and waits for the adapter to exit (killing it after
    /// `timeout`). Its exit status is not checked: lldb-dap 19 aborts on
    /// its way out after a `disconnect` whatever the stub (its event
    /// threads are not joined before its DAP object is destroyed; it does
    /// the same with lldb-server).
    fn finish(&mut self, timeout: Duration) -> Result<(), String> {
        self.stdin = None;
        let deadline = Instant::now() + timeout;
        {
            let (m, cond) = &*self.inbox;
            let mut inbox = lock(m);
            while inbox.closed.is_none() {
                let now = Instant::now();
                if now >= deadline {
                    break;
                }
                inbox = cond
                    .wait_timeout(inbox, deadline - now)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
        }
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return Ok(()),
                Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(20)),
                Ok(None) => {
                    let _ = self.child.kill();
                    let _ = self.child.wait();
                    return Err(format!(
                        "{ADAPTER} did not exit within {timeout:?}; killed it"
                    ));
                }
                Err(e) => return Err(format!("waiting for {ADAPTER}: {e}")),
            }
        }
    }

    fn dump(&self) -> String {
        format!(
            "--- {ADAPTER} messages (-> sent, <- received):\n{}\n--- {ADAPTER} stderr:\n{}\n--- end of {ADAPTER} output",
            lock(&self.transcript).join("\n"),
            lock(&self.stderr)
        )
    }
}

impl Drop for Dap {
    fn drop(&mut self) {
        self.stdin = None;
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

// ---------------------------------------------------------------------------
// A debugging session as VS Code runs it
// ---------------------------------------------------------------------------

/// lldb-dap attached to the server under test, which runs a fixture. The
/// adapter is dropped (killed if still running) before the server.
struct Session {
    dap: Dap,
    server: Server,
    fixture: Fixture,
    /// `seq` of the `attach` request, whose response may come late.
    attach_seq: u64,
}

/// How lldb-dap 19 fails an attach when it loses a race of its own (see
/// [`Session::attach`]).
const UNLOADED_RACE: &str = "process unloaded during launch or attach";

/// A stack frame of a `stackTrace` response.
#[derive(Debug)]
struct Frame {
    id: i64,
    name: String,
    /// File name of the frame's source (`basic.c`), empty if none.
    file: String,
    line: u64,
}

impl Session {
    /// Starts the server on `fixture`, lldb-dap, and does what VS Code does
    /// for an `attach` configuration up to the `initialized` event:
    /// `initialize`, then `attach` with the `attachCommands`.
    ///
    /// lldb-dap 19 has a race of its own here: after the attachCommands it
    /// polls the process state, and fails the attach with "process
    /// unloaded during launch or attach" when its event thread has not yet
    /// taken the stop event of the connection (frequent on a loaded
    /// machine, with lldb-server too; fixed upstream in May 2025 by
    /// llvm-project pull request 138601). The whole session is then started
    /// again, as a user would, a few times.
    fn attach(fixture: &Fixture) -> Session {
        const ATTEMPTS: usize = 10;
        let mut raced = 0;
        loop {
            match Session::try_attach(fixture) {
                Ok(s) => return s,
                Err(s) if raced + 1 < ATTEMPTS => {
                    raced += 1;
                    eprintln!(
                        "lldb-dap failed the attach with \"{UNLOADED_RACE}\" (its race): again"
                    );
                    drop(s);
                }
                Err(s) => s.fail(&format!(
                    "lldb-dap failed the attach with \"{UNLOADED_RACE}\" {ATTEMPTS} times"
                )),
            }
        }
    }

    /// One attempt of [`attach`](Self::attach): `Err` if lldb-dap lost its
    /// race (the session is of no use then); fails the test on any other
    /// error.
    fn try_attach(fixture: &Fixture) -> Result<Session, Box<Session>> {
        let server = Server::start_fixture(fixture);
        let dap = Dap::spawn();
        let mut s = Session {
            dap,
            server,
            fixture: fixture.clone(),
            attach_seq: 0,
        };

        // What VS Code sends, plus lldb-dap's own `sourceInitFile` (no
        // ~/.lldbinit of the machine running the tests).
        let init = s.request(
            "initialize",
            json!({
                "clientID": "vscode",
                "clientName": "Visual Studio Code",
                "adapterID": "lldb-dap",
                "pathFormat": "path",
                "linesStartAt1": true,
                "columnsStartAt1": true,
                "supportsVariableType": true,
                "supportsVariablePaging": true,
                "supportsRunInTerminalRequest": true,
                "locale": "en",
                "supportsProgressReporting": true,
                "supportsInvalidatedEvent": true,
                "supportsMemoryReferences": true,
                "supportsArgsCanBeInterpretedByShell": true,
                "supportsMemoryEvent": true,
                "supportsStartDebuggingRequest": true,
                "sourceInitFile": false
            }),
        );
        for capability in [
            "supportsConfigurationDoneRequest",
            "supportsFunctionBreakpoints",
        ] {
            if init[capability] != true {
                s.fail(&format!("initialize: {capability} is not true: {init}"));
            }
        }

        let exe = s.fixture.exe_str().to_string();
        let mut attach_commands = vec![format!("target create {exe}")];
        if std::env::var_os("RGDB_TEST_DAP_PACKETS").is_some_and(|v| v != "0") {
            attach_commands.push("log enable gdb-remote packets".to_string());
        }
        attach_commands.push(format!("gdb-remote 127.0.0.1:{}", s.server.port()));
        let timeout = scaled(GDB_TIMEOUT).as_secs().max(1);
        // A launch.json configuration: VS Code sends it as the arguments.
        let args = json!({
            "name": "Attach to rgdbserver",
            "type": "lldb-dap",
            "request": "attach",
            "program": exe,
            "attachCommands": attach_commands,
            // On a loaded machine the default 5 s packet timeout and 30 s
            // attach timeout are short.
            "initCommands": [
                format!("settings set plugin.process.gdb-remote.packet-timeout {timeout}")
            ],
            "timeout": timeout,
        });
        let seq = s.send("attach", args);
        s.attach_seq = seq;
        // lldb-dap 19 attaches (runs the attachCommands) before it sends
        // `initialized`; a failed attach gets no `initialized` at all.
        let ev = s
            .dap
            .take("initialized event", scaled(GDB_TIMEOUT), |v| {
                (v["type"] == "event" && v["event"] == "initialized")
                    || (v["type"] == "response" && v["request_seq"] == seq && v["success"] != true)
            })
            .unwrap_or_else(|e| s.fail(&e));
        if ev["type"] == "response" {
            if ev["message"] == UNLOADED_RACE {
                return Err(Box::new(s));
            }
            s.fail(&format!("attach failed: {ev}"));
        }
        Ok(s)
    }

    /// Panics with `msg`, everything lldb-dap said and the server's output.
    #[track_caller]
    fn fail(&self, msg: &str) -> ! {
        panic!("{msg}\n{}\n{}", self.dap.dump(), self.server.dump())
    }

    #[track_caller]
    fn send(&mut self, command: &str, arguments: Value) -> u64 {
        match self.dap.send(command, Some(arguments)) {
            Ok(seq) => seq,
            Err(e) => self.fail(&e),
        }
    }

    /// Waits for the response to request `seq`; fails unless it succeeded.
    /// Returns its body.
    #[track_caller]
    fn response(&mut self, seq: u64, command: &str) -> Value {
        let what = format!("response to {command} (seq {seq})");
        let r = self.dap.take(&what, scaled(GDB_TIMEOUT), |v| {
            v["type"] == "response" && v["request_seq"] == seq
        });
        let r = r.unwrap_or_else(|e| self.fail(&e));
        if r["success"] != true {
            self.fail(&format!("{command} failed: {r}"));
        }
        r["body"].clone()
    }

    /// Sends a request and returns the body of its successful response.
    #[track_caller]
    fn request(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments);
        self.response(seq, command)
    }

    /// Takes the first `event` not taken yet (waiting for it).
    #[track_caller]
    fn event(&mut self, event: &str) -> Value {
        let what = format!("{event} event");
        self.dap
            .take(&what, scaled(GDB_TIMEOUT), |v| {
                v["type"] == "event" && v["event"] == event
            })
            .unwrap_or_else(|e| self.fail(&e))
    }

    /// The next `stopped` event; fails if the program exits instead.
    #[track_caller]
    fn stopped(&mut self, expected: &str) -> Value {
        let what = format!("stopped event ({expected})");
        let ev = self
            .dap
            .take(&what, scaled(GDB_TIMEOUT), |v| {
                v["type"] == "event" && (v["event"] == "stopped" || v["event"] == "exited")
            })
            .unwrap_or_else(|e| self.fail(&e));
        if ev["event"] != "stopped" {
            self.fail(&format!("expected a stop ({expected}), got {ev}"));
        }
        ev["body"].clone()
    }

    /// `configurationDone`, which lets lldb-dap resume the program, and the
    /// response to `attach` (lldb-dap 19 sends it early, VS Code waits for
    /// it here).
    #[track_caller]
    fn configuration_done(&mut self) {
        self.request("configurationDone", json!({}));
        let seq = self.attach_seq;
        self.response(seq, "attach");
    }

    /// The first stop after `configurationDone`.
    ///
    /// lldb-dap 19 has a race here too: its event thread takes the stop
    /// event of the connection, which makes the attach succeed, and only
    /// then checks whether `configurationDone` came, to not report that
    /// stop. When it is slow enough for `configurationDone` to come in
    /// between, it reports the connection's stop after all: a `stopped`
    /// event with the entry stop's reason (an `exception`, "signal
    /// SIGTRAP" or "signal SIGSTOP"), or with no reason at all once the
    /// program runs again. A `continued` event then follows it, since the
    /// program was resumed by `configurationDone` (at a real stop, nothing
    /// resumes it). Such a stop is skipped, once; anything else is
    /// returned.
    #[track_caller]
    fn first_stop(&mut self, expected: &str) -> Value {
        let stop = self.stopped(expected);
        let entry_echo = match stop["reason"].as_str() {
            None => true,
            Some("exception") => stop["description"]
                .as_str()
                .is_some_and(|d| d == "signal SIGTRAP" || d == "signal SIGSTOP"),
            Some(_) => false,
        };
        if !entry_echo {
            return stop;
        }
        // Only the stale report of the entry stop is followed by this.
        let continued = self.dap.take("continued event", scaled(GDB_TIMEOUT), |v| {
            v["type"] == "event" && v["event"] == "continued"
        });
        if let Err(e) = continued {
            self.fail(&format!(
                "the first stop should be {expected}, got {stop} (and {e}, so it was no stale report)"
            ));
        }
        eprintln!(
            "lldb-dap reported the entry stop after configurationDone (its race): skipped {stop}"
        );
        self.stopped(expected)
    }

    /// `setBreakpoints` and `setFunctionBreakpoints` answer with one
    /// breakpoint per requested one: checks there is one, verified, at
    /// `line`, and returns its id.
    #[track_caller]
    fn single_breakpoint(&self, body: &Value, line: u32, what: &str) -> i64 {
        let bps = body["breakpoints"].as_array().cloned().unwrap_or_default();
        if bps.len() != 1 {
            self.fail(&format!("{what}: expected one breakpoint, got {body}"));
        }
        let bp = &bps[0];
        if bp["verified"] != true || bp["line"] != line {
            self.fail(&format!(
                "{what}: expected a verified breakpoint at line {line}, got {bp}"
            ));
        }
        bp["id"]
            .as_i64()
            .unwrap_or_else(|| self.fail(&format!("{what}: breakpoint without id: {bp}")))
    }

    /// Checks a `stopped` event for a breakpoint hit of breakpoint `bp_id`
    /// and returns the thread id.
    #[track_caller]
    fn expect_breakpoint_stop(&self, stop: &Value, bp_id: i64, what: &str) -> i64 {
        // lldb-dap 19 says "breakpoint" for function breakpoints too; the
        // protocol also has "function breakpoint".
        let reason = stop["reason"].as_str().unwrap_or("");
        if reason != "breakpoint" && reason != "function breakpoint" {
            self.fail(&format!("{what}: stop reason is not a breakpoint: {stop}"));
        }
        let hit = stop["hitBreakpointIds"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|id| id.as_i64() == Some(bp_id)));
        if !hit {
            self.fail(&format!(
                "{what}: breakpoint {bp_id} is not among the hit ones: {stop}"
            ));
        }
        stop["threadId"]
            .as_i64()
            .unwrap_or_else(|| self.fail(&format!("{what}: stop without threadId: {stop}")))
    }

    /// `threads`: the ids and names of the program's threads.
    #[track_caller]
    fn threads(&mut self) -> Vec<(i64, String)> {
        let body = self.request("threads", json!({}));
        let threads = body["threads"].as_array().cloned().unwrap_or_default();
        threads
            .iter()
            .map(|t| match (t["id"].as_i64(), t["name"].as_str()) {
                (Some(id), Some(name)) => (id, name.to_string()),
                _ => self.fail(&format!("bad thread in threads response: {t}")),
            })
            .collect()
    }

    /// `stackTrace` of a thread, as VS Code asks for it (first frames).
    #[track_caller]
    fn stack(&mut self, thread_id: i64) -> Vec<Frame> {
        let body = self.request(
            "stackTrace",
            json!({"threadId": thread_id, "startFrame": 0, "levels": 20}),
        );
        let frames = body["stackFrames"].as_array().cloned().unwrap_or_default();
        if frames.is_empty() {
            self.fail(&format!("no stack frames for thread {thread_id}: {body}"));
        }
        frames
            .iter()
            .map(|f| Frame {
                id: f["id"]
                    .as_i64()
                    .unwrap_or_else(|| self.fail(&format!("frame without id: {f}"))),
                name: f["name"].as_str().unwrap_or("").to_string(),
                file: f["source"]["path"]
                    .as_str()
                    .and_then(|p| Path::new(p).file_name())
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
                line: f["line"].as_u64().unwrap_or(0),
            })
            .collect()
    }

    /// Checks that frame `index` is `function` at the line of `marker`.
    #[track_caller]
    fn expect_frame(&self, frames: &[Frame], index: usize, function: &str, marker: &str) {
        let line = u64::from(self.fixture.line(marker));
        let file = self.fixture.file_name();
        match frames.get(index) {
            Some(f) if f.name == function && f.file == file && f.line == line => {}
            _ => self.fail(&format!(
                "frame #{index} should be {function} at {file}:{line} (MARK:{marker}); frames: {frames:#?}"
            )),
        }
    }

    /// `scopes` of a frame, then `variables` of the scope called `scope`
    /// ("Locals", "Globals"): variable name to displayed value.
    #[track_caller]
    fn variables(&mut self, frame_id: i64, scope: &str) -> BTreeMap<String, String> {
        let body = self.request("scopes", json!({"frameId": frame_id}));
        let scopes = body["scopes"].as_array().cloned().unwrap_or_default();
        let reference = scopes
            .iter()
            .find(|s| s["name"] == scope)
            .and_then(|s| s["variablesReference"].as_i64())
            .unwrap_or_else(|| self.fail(&format!("no {scope} scope in {body}")));
        let body = self.request("variables", json!({"variablesReference": reference}));
        let vars = body["variables"].as_array().cloned().unwrap_or_default();
        vars.iter()
            .map(|v| match (v["name"].as_str(), v["value"].as_str()) {
                (Some(n), Some(val)) => (n.to_string(), val.to_string()),
                _ => self.fail(&format!("bad variable in {scope}: {v}")),
            })
            .collect()
    }

    /// Checks `name` has the displayed value `value` in `vars`.
    #[track_caller]
    fn expect_value(&self, vars: &BTreeMap<String, String>, name: &str, value: &str, when: &str) {
        if vars.get(name).map(String::as_str) != Some(value) {
            self.fail(&format!(
                "{when}: {name} should be {value}; variables: {vars:?}"
            ));
        }
    }

    /// `continue` on a thread (lldb-dap resumes every thread).
    #[track_caller]
    fn resume(&mut self, thread_id: i64) {
        self.request("continue", json!({"threadId": thread_id}));
    }

    /// Waits for `exited` with `code` then `terminated`, disconnects as VS
    /// Code does after `terminated`, and checks that lldb-dap and the
    /// server (`--once`) both end.
    #[track_caller]
    fn expect_exit(&mut self, code: i64) {
        // Only `exited` is looked for: lldb-dap sends one `stopped` event
        // per thread with a stop reason, so a stop may have left some that
        // were not taken (and a stop instead of the exit shows in the
        // failure message).
        let exited = self.event("exited");
        if exited["body"]["exitCode"].as_i64() != Some(code) {
            self.fail(&format!("exit code should be {code}: {exited}"));
        }
        self.event("terminated");
        self.request("disconnect", json!({"restart": false}));
        if let Err(e) = self.dap.finish(scaled(GDB_TIMEOUT)) {
            self.fail(&e);
        }
        // The connection is closed: the server ends its only session.
        if self
            .server
            .wait_exit_within(scaled(support::WAIT_TIMEOUT))
            .is_none()
        {
            self.fail("the server did not exit after the session");
        }
    }
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

/// basic.c under VS Code: a function breakpoint on `add` (hit three times,
/// with a `next` over its first line each time), a line breakpoint after
/// the loop, `threads`, `stackTrace`, `scopes` and `variables` at each stop,
/// `continue` to the end, and the exit code (7).
#[test]
fn function_and_line_breakpoints() {
    let f = fixture("basic");
    let mut s = Session::attach(&f);

    let body = s.request(
        "setBreakpoints",
        json!({
            "source": {"name": f.file_name(), "path": f.source.to_str().expect("UTF-8 path")},
            "breakpoints": [{"line": f.line("after-loop")}],
            "lines": [f.line("after-loop")],
            "sourceModified": false
        }),
    );
    let line_bp = s.single_breakpoint(&body, f.line("after-loop"), "setBreakpoints");
    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "add"}]}),
    );
    let add_bp = s.single_breakpoint(&body, f.line("add-body"), "setFunctionBreakpoints add");
    s.request("setExceptionBreakpoints", json!({"filters": []}));
    s.configuration_done();

    // main calls add(acc, i) for i = 0, 1, 2: acc is 0, 0, 1.
    let mut acc = 0;
    for i in 0..3 {
        let when = format!("hit {} of add", i + 1);
        let stop = if i == 0 {
            s.first_stop(&when)
        } else {
            s.stopped(&when)
        };
        let tid = s.expect_breakpoint_stop(&stop, add_bp, &when);

        // What VS Code asks at a stop.
        let threads = s.threads();
        if threads.len() != 1 || threads[0].0 != tid {
            s.fail(&format!(
                "{when}: expected the one thread {tid}, got {threads:?}"
            ));
        }
        if tid != i64::from(s.server.inferior_pid()) {
            s.fail(&format!(
                "{when}: the thread id should be the program's pid {}",
                s.server.inferior_pid()
            ));
        }
        let frames = s.stack(tid);
        s.expect_frame(&frames, 0, "add", "add-body");
        s.expect_frame(&frames, 1, "main", "loop-call");
        let locals = s.variables(frames[0].id, "Locals");
        s.expect_value(&locals, "a", &acc.to_string(), &when);
        s.expect_value(&locals, "b", &i.to_string(), &when);
        if !locals.contains_key("sum") {
            s.fail(&format!("{when}: no local sum in add: {locals:?}"));
        }
        let caller = s.variables(frames[1].id, "Locals");
        s.expect_value(&caller, "i", &i.to_string(), &format!("{when}, in main"));

        // Step over `int sum = a + b;`.
        s.request("next", json!({"threadId": tid}));
        let stop = s.stopped(&format!("next in {when}"));
        if stop["reason"] != "step" || stop["threadId"] != tid {
            s.fail(&format!(
                "{when}: next should stop with reason step: {stop}"
            ));
        }
        let frames = s.stack(tid);
        let add_body = u64::from(f.line("add-body"));
        if frames[0].name != "add" || frames[0].line <= add_body {
            s.fail(&format!(
                "{when}: next should stay in add, past line {add_body}: {frames:#?}"
            ));
        }
        let locals = s.variables(frames[0].id, "Locals");
        acc += i;
        s.expect_value(
            &locals,
            "sum",
            &acc.to_string(),
            &format!("{when}, after next"),
        );

        s.resume(tid);
    }

    let stop = s.stopped("the line breakpoint");
    let tid = s.expect_breakpoint_stop(&stop, line_bp, "the line breakpoint");
    let frames = s.stack(tid);
    s.expect_frame(&frames, 0, "main", "after-loop");
    let locals = s.variables(frames[0].id, "Locals");
    s.expect_value(&locals, "acc", "3", "at the line breakpoint");
    s.expect_value(&locals, "i", "3", "at the line breakpoint");
    let globals = s.variables(frames[0].id, "Globals");
    s.expect_value(&globals, "exit_code", "7", "at the line breakpoint");
    s.expect_value(&globals, "counter", "5", "at the line breakpoint");

    s.resume(tid);
    s.expect_exit(7);
}

/// Worker threads in threads.c (NTHREADS); with main, NTHREADS + 1.
const WORKERS: usize = 4;

/// threads.c: stopped at a function breakpoint in `worker`, `threads`
/// lists main and the four workers, the stopped one is in `worker` called
/// from `thread_main` with a worker's id; with the breakpoint cleared (as
/// a user does in the Breakpoints view) `continue` runs to the end
/// (exit code 3: every worker ran).
#[test]
fn threads_at_a_breakpoint() {
    let f = fixture("threads");
    let mut s = Session::attach(&f);

    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "worker"}]}),
    );
    let bp = s.single_breakpoint(
        &body,
        f.line("worker-body"),
        "setFunctionBreakpoints worker",
    );
    s.request("setExceptionBreakpoints", json!({"filters": []}));
    s.configuration_done();

    let stop = s.first_stop("worker");
    let tid = s.expect_breakpoint_stop(&stop, bp, "worker");

    let threads = s.threads();
    let pid = s.server.inferior_pid();
    let ids: std::collections::BTreeSet<i64> = threads.iter().map(|t| t.0).collect();
    if threads.len() != WORKERS + 1 || ids.len() != WORKERS + 1 {
        s.fail(&format!(
            "threads should list {} distinct threads: {threads:?}",
            WORKERS + 1
        ));
    }
    if !ids.contains(&tid) || !ids.contains(&i64::from(pid)) {
        s.fail(&format!(
            "threads should list the stopped thread {tid} and the main thread {pid}: {threads:?}"
        ));
    }
    for id in &ids {
        if !Path::new(&format!("/proc/{pid}/task/{id}")).exists() {
            s.fail(&format!(
                "thread {id} is not a thread of the program {pid}: {threads:?}"
            ));
        }
    }
    // Names come from the server (jThreadsInfo): the program's comm.
    if let Some((id, name)) = threads.iter().find(|(_, name)| !name.contains("threads")) {
        s.fail(&format!(
            "thread {id} should be named after the program (\"threads\"), got {name:?}: {threads:?}"
        ));
    }

    let frames = s.stack(tid);
    s.expect_frame(&frames, 0, "worker", "worker-body");
    if frames.get(1).map(|fr| fr.name.as_str()) != Some("thread_main") {
        s.fail(&format!(
            "worker should be called from thread_main: {frames:#?}"
        ));
    }
    let locals = s.variables(frames[0].id, "Locals");
    let id_ok = locals
        .get("id")
        .and_then(|v| v.parse::<usize>().ok())
        .is_some_and(|id| id < WORKERS);
    if !id_ok {
        s.fail(&format!(
            "worker's id should be a worker number: {locals:?}"
        ));
    }
    // Every thread has a stack VS Code can show.
    for (id, _) in &threads {
        s.stack(*id);
    }

    s.request("setFunctionBreakpoints", json!({"breakpoints": []}));
    s.resume(tid);
    s.expect_exit(3);
}

/// basic.c stopped in `add`: lldb knows the program's shared libraries
/// (`modules` lists libc), so the stack goes on below `main` into libc.
///
/// lldb 19 takes the `main-lm` attribute of a `qXfer:libraries-svr4:read`
/// reply (the main program's link_map, for gdb) for the address of the
/// pointer to `r_debug`: given one, it set its shared-library breakpoint at
/// a garbage address and never loaded libc. The server gives lldb none.
#[test]
fn shared_libraries_are_known() {
    let f = fixture("basic");
    let mut s = Session::attach(&f);
    let body = s.request(
        "setFunctionBreakpoints",
        json!({"breakpoints": [{"name": "add"}]}),
    );
    let bp = s.single_breakpoint(&body, f.line("add-body"), "setFunctionBreakpoints add");
    s.configuration_done();

    let stop = s.first_stop("add");
    let tid = s.expect_breakpoint_stop(&stop, bp, "add");
    let body = s.request("modules", json!({"startModule": 0, "moduleCount": 0}));
    let modules: Vec<String> = body["modules"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .filter_map(|m| m["name"].as_str().map(str::to_string))
        .collect();
    if !modules.iter().any(|m| m.starts_with("libc.so")) {
        s.fail(&format!("modules should list libc: {modules:?}"));
    }
    let frames = s.stack(tid);
    s.expect_frame(&frames, 1, "main", "loop-call");
    if !frames
        .iter()
        .skip(2)
        .any(|fr| fr.name.starts_with("__libc_start"))
    {
        s.fail(&format!(
            "the stack should go on below main into libc: {frames:#?}"
        ));
    }
    let output = s.dap.output_text();
    if output.contains("failed to set breakpoint site") {
        s.fail("lldb failed to set one of its own breakpoints");
    }
    s.request("setFunctionBreakpoints", json!({"breakpoints": []}));
    s.resume(tid);
    s.expect_exit(7);
}

/// threads.c with a logpoint in `worker` (a breakpoint that logs
/// `{id}` and goes on): each of the four workers logs once, whichever
/// threads hit it at the same time.
///
/// When two threads hit the breakpoint before the program is stopped, the
/// stop reply names one and the other's hit is pending. lldb must hear of
/// both at once (`jstopinfo` in the stop reply, `jThreadsInfo`): seeing a
/// thread sit on a breakpoint with no reason, it would step it off and the
/// hit would be lost.
#[test]
fn every_worker_hit_is_reported() {
    let f = fixture("threads");
    let mut s = Session::attach(&f);
    let body = s.request(
        "setBreakpoints",
        json!({
            "source": {"name": f.file_name(), "path": f.source.to_str().expect("UTF-8 path")},
            "breakpoints": [{"line": f.line("worker-body"), "logMessage": "worker hit id={id}"}],
        }),
    );
    s.single_breakpoint(&body, f.line("worker-body"), "setBreakpoints worker-body");
    s.configuration_done();
    s.expect_exit(3);
    let output = s.dap.output_text();
    let mut hits: Vec<&str> = output
        .lines()
        .filter_map(|l| l.strip_prefix("worker hit id="))
        .collect();
    hits.sort_unstable();
    if hits != ["0", "1", "2", "3"] {
        s.fail(&format!("each worker should log one hit, got {hits:?}"));
    }
}
