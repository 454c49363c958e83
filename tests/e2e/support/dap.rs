//! A Debug Adapter Protocol client for lldb-dap (in Debian's `lldb-19`
//! package), run as VS Code runs it: requests on its stdin, responses and
//! events on its stdout, each framed as `Content-Length: N\r\n\r\n{json}`.
//! [`vscode`](super::vscode) builds a debugging session on it.

use std::io::{self, BufRead, BufReader, Write};
use std::process::{ChildStdin, Command, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use super::output::Output;
use super::process::Spawned;

/// The debug adapter under which the tests run.
pub const ADAPTER: &str = "lldb-dap-19";

/// Messages received from the adapter, each taken at most once.
struct Inbox {
    messages: Vec<Value>,
    taken: Vec<bool>,
    /// The adapter closed its stdout (or sent something unreadable).
    closed: Option<String>,
}

/// lldb-dap with its stdio piped. Dropping it closes its stdin and kills
/// it if it still runs.
pub struct Dap {
    // Declared first: stdin closes before the process is killed.
    stdin: Option<ChildStdin>,
    process: Spawned,
    inbox: Arc<(Mutex<Inbox>, Condvar)>,
    /// Every message sent and received, in order, for failure messages.
    transcript: Arc<Mutex<Vec<String>>>,
    stderr: Arc<Output>,
    seq: u64,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
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
    pub fn spawn() -> Dap {
        let mut cmd = Command::new(ADAPTER);
        cmd.stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // No symbol server lookups from the test machine.
            .env_remove("DEBUGINFOD_URLS");
        let mut process = Spawned::spawn(
            cmd,
            "these tests need LLDB's debug adapter: apt-get install lldb-19",
        );
        let child = process.child();
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = Output::collect(child.stderr.take().expect("stderr is piped"));

        let inbox = Arc::new((
            Mutex::new(Inbox {
                messages: Vec::new(),
                taken: Vec::new(),
                closed: None,
            }),
            Condvar::new(),
        ));
        let transcript = Arc::new(Mutex::new(Vec::new()));
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
        Dap {
            stdin,
            process,
            inbox,
            transcript,
            stderr,
            seq: 0,
        }
    }

    /// Sends a request; returns its `seq`.
    pub fn send(&mut self, command: &str, arguments: Option<Value>) -> Result<u64, String> {
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
    pub fn take(
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
    pub fn output_text(&self) -> String {
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
    pub fn finish(&mut self, timeout: Duration) -> Result<(), String> {
        self.stdin = None;
        let deadline = Instant::now() + timeout;
        // Its stdout closes first.
        let _ = self.take("the end of its output", timeout, |_| false);
        let left = deadline.saturating_duration_since(Instant::now());
        match self.process.wait_within(left, None) {
            Some(_) => Ok(()),
            None => {
                self.process.kill();
                Err(format!(
                    "{ADAPTER} did not exit within {timeout:?}; killed it"
                ))
            }
        }
    }

    /// Every message sent and received, and the adapter's stderr, for
    /// failure messages.
    pub fn dump(&self) -> String {
        format!(
            "--- {ADAPTER} messages (-> sent, <- received):\n{}\n--- {ADAPTER} stderr:\n{}\n--- end of {ADAPTER} output",
            lock(&self.transcript).join("\n"),
            self.stderr.text()
        )
    }
}
