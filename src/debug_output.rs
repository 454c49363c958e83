//! The server's debugging output, as gdbserver's options and monitor
//! commands control it while the server runs: general debugging (`--debug`,
//! `monitor set debug 1`), every packet (`--remote-debug`, `monitor set
//! remote-debug 1`), timestamps (`--debug-format`, `monitor set
//! debug-format`) and where it goes (`--debug-file`, stderr by default).
//! `RUST_LOG` still picks log records finely on top of these.
//!
//! Every layer logs through the `log` crate; this is the logger behind it.

use log::{Level, LevelFilter, Log, Metadata, Record};
use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{SystemTime, UNIX_EPOCH};

/// The log target of the packet log (`--remote-debug`).
pub const REMOTE: &str = "remote";

/// The server's own log records, which `--debug` shows.
const OURS: &str = "rgdbserver";

static DEBUG: AtomicBool = AtomicBool::new(false);
static REMOTE_DEBUG: AtomicBool = AtomicBool::new(false);
static TIMESTAMPS: AtomicBool = AtomicBool::new(false);
/// The debug file; `None`: stderr.
static FILE: Mutex<Option<File>> = Mutex::new(None);
static LOGGER: OnceLock<Logger> = OnceLock::new();

struct Logger {
    /// What `RUST_LOG` asks for (default: warnings and errors).
    env: env_logger::Logger,
}

/// Install the logger with the command line's settings.
pub fn init(debug: bool, remote_debug: bool, timestamps: bool, file: Option<&Path>) {
    DEBUG.store(debug, Ordering::Relaxed);
    REMOTE_DEBUG.store(remote_debug, Ordering::Relaxed);
    TIMESTAMPS.store(timestamps, Ordering::Relaxed);
    let env =
        env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).build();
    let logger = LOGGER.get_or_init(|| Logger { env });
    if log::set_logger(logger).is_ok() {
        update_max_level();
    }
    if let Some(path) = file {
        set_file(Some(path));
    }
}

pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
    update_max_level();
}

pub fn set_remote_debug(on: bool) {
    REMOTE_DEBUG.store(on, Ordering::Relaxed);
    update_max_level();
}

/// Send the debugging output to `path` (created or truncated), or back to
/// stderr (`None`, or a file that cannot be opened: that is said there).
pub fn set_file(path: Option<&Path>) {
    let file = path.filter(|p| !p.as_os_str().is_empty()).and_then(|p| {
        File::create(p)
            .map_err(|e| {
                write_line(&format!(
                    "Cannot open {} for writing. {e}. Switching to stderr.",
                    p.display()
                ))
            })
            .ok()
    });
    // Swap only after the message above went to the old output.
    *FILE.lock().unwrap_or_else(|e| e.into_inner()) = file;
}

pub fn set_timestamps(on: bool) {
    TIMESTAMPS.store(on, Ordering::Relaxed);
}

/// Read a `--debug-format` / `monitor set debug-format` list: `all`,
/// `none`, `timestamp`, comma-separated, applied in order from nothing (a
/// format not named is off; an empty item is ignored). Returns whether
/// lines get timestamps and what each item did (the monitor says it), or
/// the error for an unknown item.
pub fn parse_format(list: &str) -> Result<(bool, Vec<&'static str>), String> {
    let mut timestamps = false;
    let mut said = Vec::new();
    for item in list.trim_start().split(',') {
        let (on, message) = match item {
            "all" => (true, "All extra debug format options enabled."),
            "none" => (false, "All extra debug format options disabled."),
            "timestamp" => (true, "Timestamps will be added to debug output."),
            "" => continue,
            other => return Err(format!("Unknown debug-format argument: \"{other}\"")),
        };
        timestamps = on;
        said.push(message);
    }
    Ok((timestamps, said))
}

/// Only the records someone asked for are even formatted.
fn update_max_level() {
    let env = LOGGER.get().map_or(LevelFilter::Warn, |l| l.env.filter());
    let ours = if DEBUG.load(Ordering::Relaxed) || REMOTE_DEBUG.load(Ordering::Relaxed) {
        LevelFilter::Debug
    } else {
        LevelFilter::Off
    };
    log::set_max_level(env.max(ours));
}

/// Whether the settings ask for a record of `target` at `level`.
fn wanted(target: &str, level: Level) -> bool {
    if target == REMOTE {
        return REMOTE_DEBUG.load(Ordering::Relaxed);
    }
    level <= Level::Debug && DEBUG.load(Ordering::Relaxed) && target.starts_with(OURS)
}

fn write_line(line: &str) {
    let mut text = String::new();
    if TIMESTAMPS.load(Ordering::Relaxed) {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        text.push_str(&format!("{}.{:06} ", now.as_secs(), now.subsec_micros()));
    }
    text.push_str(line);
    text.push('\n');
    // One write per line: lines from the program or the console stay whole.
    let mut file = FILE.lock().unwrap_or_else(|e| e.into_inner());
    let _ = match file.as_mut() {
        Some(file) => file.write_all(text.as_bytes()),
        None => std::io::stderr().write_all(text.as_bytes()),
    };
}

impl Log for Logger {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        wanted(metadata.target(), metadata.level()) || self.env.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        if !(wanted(record.target(), record.level()) || self.env.matches(record)) {
            return;
        }
        let target = record.target();
        let source = target
            .strip_prefix(OURS)
            .map(|t| t.trim_start_matches("::"))
            .unwrap_or(target);
        let line = match (record.level(), source) {
            (_, REMOTE) => format!("[remote] {}", record.args()),
            (level, "") => format!("[{level}] {}", record.args()),
            (level, source) => format!("[{level} {source}] {}", record.args()),
        };
        write_line(&line);
    }

    fn flush(&self) {
        if let Some(file) = FILE.lock().unwrap_or_else(|e| e.into_inner()).as_mut() {
            let _ = file.flush();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_apply_in_order_and_unknown_ones_are_refused() {
        assert_eq!(
            parse_format("all"),
            Ok((true, vec!["All extra debug format options enabled."]))
        );
        assert_eq!(
            parse_format(" timestamp,,none").map(|(on, said)| (on, said.len())),
            Ok((false, 2))
        );
        assert_eq!(
            parse_format("none,bogus"),
            Err("Unknown debug-format argument: \"bogus\"".to_string())
        );
    }

    #[test]
    fn packets_and_our_records_follow_their_switches() {
        // Only this test changes these switches.
        set_remote_debug(true);
        assert!(wanted(REMOTE, Level::Debug));
        set_remote_debug(false);
        assert!(!wanted(REMOTE, Level::Debug));
        set_debug(true);
        assert!(wanted("rgdbserver::inferior::process", Level::Debug));
        assert!(!wanted("rgdbserver::inferior::process", Level::Trace));
        assert!(!wanted("gdbstub::stub", Level::Debug));
        assert!(!wanted(REMOTE, Level::Debug));
        set_debug(false);
        assert!(!wanted("rgdbserver::rsp", Level::Debug));
    }
}
