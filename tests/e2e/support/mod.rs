//! What the end-to-end tests share, one module for each thing they drive
//! or read:
//! - [`server`]: the server under test: starting it, its output, its exit;
//! - [`client`]: a debugger (gdb, lldb) run as a child process, and a
//!   finished session (the debugger's output and the server);
//! - [`gdb`]: gdb in batch mode or reading commands from a pipe;
//!   [`mi`]: gdb's machine interface, as IDEs drive it;
//! - [`lldb`]: lldb in batch mode; [`dap`] and [`vscode`]: lldb-dap, the
//!   Debug Adapter Protocol as VS Code speaks it;
//! - [`rsp`]: a raw Remote Serial Protocol client;
//! - [`fixtures`]: the C programs in tests/fixtures (built once), their
//!   markers and symbols, and temporary directories;
//! - [`process`]: processes the tests start themselves, and what /proc
//!   says about any process; [`workers`]: the program the attach tests
//!   attach to;
//! - [`output`]: output collected from pipes, and reading what debuggers
//!   print (sections, printed values, numbers).
//!
//! Environment variables:
//! - `RGDB_TEST_SERVER`: path of the server to test instead of rgdbserver
//!   (for example `/usr/bin/gdbserver`, which must behave the same).
//! - `RGDB_TEST_TIMEOUT_SCALE`: multiplies every timeout (default 1).
//! - `CC`: the C compiler for the fixtures (default `cc`).

pub mod client;
pub mod dap;
pub mod fixtures;
pub mod gdb;
pub mod lldb;
pub mod mi;
pub mod output;
pub mod process;
pub mod rsp;
pub mod server;
pub mod vscode;
pub mod workers;

use std::time::Duration;

/// Default time for one debugger run (tests run in parallel on a loaded
/// machine).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(90);
/// Default time to wait for a line from the server or a program, or for a
/// process to change state.
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
