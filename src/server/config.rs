//! What the server is asked to do: where clients connect, what it debugs
//! from the start, and the options (the command line makes one, cli.rs).

use crate::rsp::DisabledPackets;
use std::ffi::OsString;
use std::path::PathBuf;

/// Where clients connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Transport {
    Tcp { host: String, port: u16 },
    Unix(PathBuf),
    Stdio,
}

/// What the server debugs from the start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Start {
    Launch {
        program: OsString,
        args: Vec<OsString>,
    },
    Attach(i32),
    /// Nothing yet (`--multi` without a program).
    Nothing,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub transport: Transport,
    pub start: Start,
    pub multi: bool,
    pub once: bool,
    pub debug: bool,
    pub remote_debug: bool,
    /// `--debug-format=timestamp`: debugging lines start with the time.
    pub debug_timestamps: bool,
    /// `--debug-file=FILE`: debugging output there instead of stderr.
    pub debug_file: Option<PathBuf>,
    /// `--disable-packet=LIST`
    pub disabled_packets: DisabledPackets,
    pub startup_with_shell: bool,
    pub disable_randomization: bool,
    pub wrapper: Vec<OsString>,
}
