//! Output collected from a child's pipe by a background thread, which tests
//! wait on without sleeping; and reading what debuggers print: sections
//! between `@@name` marker lines, `$N = VALUE` lines, numbers.

use std::io::{self, Read};
use std::process::Command;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

/// Text read from a pipe until its end of file.
pub struct Output {
    state: Mutex<State>,
    cond: Condvar,
}

struct State {
    text: String,
    open: bool,
}

impl Output {
    /// Starts collecting what `reader` yields, up to its end of file.
    pub fn collect<R: Read + Send + 'static>(mut reader: R) -> Arc<Output> {
        let out = Arc::new(Output {
            state: Mutex::new(State {
                text: String::new(),
                open: true,
            }),
            cond: Condvar::new(),
        });
        let collected = Arc::clone(&out);
        thread::spawn(move || {
            let mut buf = [0u8; 8192];
            loop {
                match reader.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => {
                        let mut st = collected.lock();
                        st.text.push_str(&String::from_utf8_lossy(&buf[..n]));
                        collected.cond.notify_all();
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(_) => break,
                }
            }
            collected.lock().open = false;
            collected.cond.notify_all();
        });
        out
    }

    /// Sends `cmd`'s stdout and stderr to one pipe, so that their order is
    /// kept, and collects it. The command holds the write ends: drop it
    /// once the child is spawned, or the end of file never comes.
    pub fn combined(cmd: &mut Command) -> Arc<Output> {
        let (reader, writer) = io::pipe().expect("creating a pipe for a child's output");
        let writer2 = writer
            .try_clone()
            .expect("duplicating a child's output pipe");
        cmd.stdout(writer).stderr(writer2);
        Output::collect(reader)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Everything collected so far.
    pub fn text(&self) -> String {
        self.lock().text.clone()
    }

    /// Waits until `pred(text)` returns `Some`, the pipe closes, or the
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
            if !st.open || now >= deadline {
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

    /// Waits until the pipe is closed; false on timeout.
    pub fn wait_closed(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |_| None::<()>);
        !self.lock().open
    }
}

/// `text`, what `name` (gdb, lldb...) printed, framed for a failure
/// message.
pub fn framed(name: &str, text: &str) -> String {
    format!("--- {name} output:\n{text}\n--- end of {name} output")
}

/// Text after the `@@name` line up to the next `@@` marker line (debuggers
/// print the markers on the tests' request: `gdb::mark`, `lldb::mark`).
pub fn section<'a>(output: &'a str, name: &str) -> Option<&'a str> {
    let marker = format!("@@{name}\n");
    let start = output.find(&marker)? + marker.len();
    let rest = &output[start..];
    let end = rest.find("\n@@").map(|i| i + 1).unwrap_or(rest.len());
    Some(&rest[..end])
}

/// The value of the first `$N = VALUE` line gdb printed in `text` (after
/// its prompt, in an interactive session).
pub fn printed_value(text: &str) -> Option<&str> {
    text.lines().find_map(|l| {
        let rest = l.trim_start_matches("(gdb) ").strip_prefix('$')?;
        let (num, value) = rest.split_once(" = ")?;
        num.parse::<u32>().ok()?;
        Some(value.trim())
    })
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

/// The decimal number right after `prefix` in `line`.
pub fn parse_number_after(line: &str, prefix: &str) -> Option<u64> {
    let rest = &line[line.find(prefix)? + prefix.len()..];
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}
