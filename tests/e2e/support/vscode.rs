//! A debugging session as VS Code runs it with lldb-dap: the server under
//! test on a fixture, lldb-dap attached to it with `attachCommands`
//! (`target create PROG`, `gdb-remote HOST:PORT`: how the lldb-dap
//! extension reaches a remote stub), and the requests VS Code makes at
//! each stop, each checked.
//!
//! lldb-dap prints its own packet log on the debug console when
//! `RGDB_TEST_DAP_PACKETS=1` is set (the failure messages then show every
//! packet lldb exchanged with the server).

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{json, Value};

use super::dap::Dap;
use super::fixtures::Fixture;
use super::server::Server;
use super::{scaled, CLIENT_TIMEOUT, WAIT_TIMEOUT};

/// lldb-dap attached to the server under test, which runs a fixture. The
/// adapter is dropped (killed if still running) before the server.
pub struct Session {
    pub dap: Dap,
    pub server: Server,
    fixture: Fixture,
    /// `seq` of the `attach` request, whose response may come late.
    attach_seq: u64,
}

/// How lldb-dap 19 fails an attach when it loses a race of its own (see
/// [`Session::attach`]).
const UNLOADED_RACE: &str = "process unloaded during launch or attach";

/// A stack frame of a `stackTrace` response.
#[derive(Debug)]
pub struct Frame {
    pub id: i64,
    pub name: String,
    /// File name of the frame's source (`basic.c`), empty if none.
    pub file: String,
    pub line: u64,
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
    pub fn attach(fixture: &Fixture) -> Session {
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
        let timeout = scaled(CLIENT_TIMEOUT).as_secs().max(1);
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
            .take("initialized event", scaled(CLIENT_TIMEOUT), |v| {
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
    pub fn fail(&self, msg: &str) -> ! {
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
        let r = self.dap.take(&what, scaled(CLIENT_TIMEOUT), |v| {
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
    pub fn request(&mut self, command: &str, arguments: Value) -> Value {
        let seq = self.send(command, arguments);
        self.response(seq, command)
    }

    /// Takes the first `event` not taken yet (waiting for it).
    #[track_caller]
    fn event(&mut self, event: &str) -> Value {
        let what = format!("{event} event");
        self.dap
            .take(&what, scaled(CLIENT_TIMEOUT), |v| {
                v["type"] == "event" && v["event"] == event
            })
            .unwrap_or_else(|e| self.fail(&e))
    }

    /// The next `stopped` event; fails if the program exits instead.
    #[track_caller]
    pub fn stopped(&mut self, expected: &str) -> Value {
        let what = format!("stopped event ({expected})");
        let ev = self
            .dap
            .take(&what, scaled(CLIENT_TIMEOUT), |v| {
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
    pub fn configuration_done(&mut self) {
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
    pub fn first_stop(&mut self, expected: &str) -> Value {
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
        let continued = self
            .dap
            .take("continued event", scaled(CLIENT_TIMEOUT), |v| {
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
    pub fn single_breakpoint(&self, body: &Value, line: u32, what: &str) -> i64 {
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
    pub fn expect_breakpoint_stop(&self, stop: &Value, bp_id: i64, what: &str) -> i64 {
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
    pub fn threads(&mut self) -> Vec<(i64, String)> {
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
    pub fn stack(&mut self, thread_id: i64) -> Vec<Frame> {
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
    pub fn expect_frame(&self, frames: &[Frame], index: usize, function: &str, marker: &str) {
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
    pub fn variables(&mut self, frame_id: i64, scope: &str) -> BTreeMap<String, String> {
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
    pub fn expect_value(
        &self,
        vars: &BTreeMap<String, String>,
        name: &str,
        value: &str,
        when: &str,
    ) {
        if vars.get(name).map(String::as_str) != Some(value) {
            self.fail(&format!(
                "{when}: {name} should be {value}; variables: {vars:?}"
            ));
        }
    }

    /// `continue` on a thread (lldb-dap resumes every thread).
    #[track_caller]
    pub fn resume(&mut self, thread_id: i64) {
        self.request("continue", json!({"threadId": thread_id}));
    }

    /// Waits for `exited` with `code` then `terminated`, disconnects as VS
    /// Code does after `terminated`, and checks that lldb-dap and the
    /// server (`--once`) both end.
    #[track_caller]
    pub fn expect_exit(&mut self, code: i64) {
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
        if let Err(e) = self.dap.finish(scaled(CLIENT_TIMEOUT)) {
            self.fail(&e);
        }
        // The connection is closed: the server ends its only session.
        if self.server.wait_exit_within(scaled(WAIT_TIMEOUT)).is_none() {
            self.fail("the server did not exit after the session");
        }
    }
}
