//! `monitor` commands (`qRcmd`), gdbserver's: the debugging output
//! switches (see debug_output), `help` and `exit`. What a command says goes
//! to the client's console; a command that fails says why and gets `E01`,
//! which gdb shows as a protocol error, as with gdbserver.

use super::debug_target::DebugTarget;
use crate::debug_output;
use std::path::Path;

const HELP: &str = "\
The following monitor commands are supported:
  set debug <0|1>
    Enable general debugging messages
  set remote-debug <0|1>
    Enable remote protocol debugging messages
  set debug-format option1[,option2,...]
    Add additional information to debugging messages
    Options: all, none, timestamp
  set debug-file [FILE]
    Send debugging messages to FILE (to stderr without one)
  exit
    Quit the server (a program it started is killed, one it attached to
    is detached)
";

/// What a monitor command answered.
#[derive(Debug, PartialEq, Eq)]
pub struct Answer {
    /// Text for the client's console (empty: nothing to say).
    pub console: String,
    /// Whether the command was understood and done.
    pub ok: bool,
}

impl Answer {
    fn done(console: &str) -> Answer {
        Answer {
            console: console.to_string(),
            ok: true,
        }
    }

    fn failed(why: &str) -> Answer {
        Answer {
            console: format!("{why}{HELP}"),
            ok: false,
        }
    }
}

/// Run the monitor command `command` (its text, as the user typed it).
pub fn run(target: &mut DebugTarget, command: &[u8]) -> Answer {
    let text = String::from_utf8_lossy(command);
    match text.as_ref() {
        "set debug 1" => switch(debug_output::set_debug, true, "Debug output enabled."),
        "set debug 0" => switch(debug_output::set_debug, false, "Debug output disabled."),
        "set remote-debug 1" => switch(
            debug_output::set_remote_debug,
            true,
            "Protocol debug output enabled.",
        ),
        "set remote-debug 0" => switch(
            debug_output::set_remote_debug,
            false,
            "Protocol debug output disabled.",
        ),
        "set debug-file" => {
            debug_output::set_file(None);
            Answer::done("")
        }
        "help" => Answer::done(HELP),
        // The session ends after this reply; the server then leaves the
        // program as its origin says.
        "exit" => {
            target.exit_requested = true;
            Answer::done("")
        }
        _ => {
            if let Some(list) = text.strip_prefix("set debug-format ") {
                return match debug_output::parse_format(list) {
                    Ok((timestamps, said)) => {
                        debug_output::set_timestamps(timestamps);
                        Answer::done(&lines(&said))
                    }
                    Err(e) => Answer::failed(&format!("{e}\n")),
                };
            }
            if let Some(path) = text.strip_prefix("set debug-file ") {
                debug_output::set_file(Some(Path::new(path)));
                return Answer::done("");
            }
            Answer::failed("Unknown monitor command.\n\n")
        }
    }
}

fn switch(set: fn(bool), on: bool, message: &str) -> Answer {
    set(on);
    Answer::done(&lines(&[message]))
}

fn lines(said: &[&str]) -> String {
    said.iter().map(|line| format!("{line}\n")).collect()
}
