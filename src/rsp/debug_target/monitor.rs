//! `monitor` commands (qRcmd).

use super::DebugTarget;
use gdbstub::target::ext::monitor_cmd::{outputln, ConsoleOutput, MonitorCmd};

const HELP: &str = "\
The following monitor commands are supported:
  exit     -- stop the server once this connection ends (the program is
              killed if it was started, detached if it was attached to)
  help     -- this list";

impl MonitorCmd for DebugTarget {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Self::Error> {
        match std::str::from_utf8(cmd).map(str::trim) {
            Ok("exit") => {
                self.exit_requested = true;
                outputln!(out, "Exiting");
            }
            Ok("help") => outputln!(out, "{HELP}"),
            _ => outputln!(out, "Unknown monitor command.\n{HELP}"),
        }
        Ok(())
    }
}
