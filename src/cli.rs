//! The command line, compatible with gdbserver's:
//! `rgdbserver [OPTIONS] [HOST]:PORT PROG [ARGS...]`.

use std::ffi::OsString;

pub const USAGE: &str = "\
Usage: rgdbserver [OPTIONS] [HOST]:PORT PROG [ARGS...]

Start PROG under the debugger, stopped at its first instruction, and wait
for a GDB (target remote HOST:PORT) or LLDB (gdb-remote HOST:PORT) client.
PORT 0 picks a free port; the port is printed as 'Listening on port N'.

Options:
  --once            exit after the first connection closes (the default
                    in this version: the server serves one session)
  --debug           log the server's events to stderr
  --remote-debug    log every protocol packet to stderr
  --help            print this help and exit
  --version         print the version and exit

Logging can also be set with RUST_LOG (e.g. RUST_LOG=rgdbserver=trace).";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub host: String,
    pub port: u16,
    pub program: OsString,
    pub args: Vec<OsString>,
    pub once: bool,
    pub debug: bool,
    pub remote_debug: bool,
}

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
    Version,
}

/// Parse the arguments after the program name. Options come before
/// `[HOST]:PORT`; everything after PROG belongs to PROG, dashes included.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let (mut once, mut debug, mut remote_debug) = (false, false, false);
    let comm = loop {
        let Some(arg) = args.next() else {
            return Err("missing [HOST]:PORT and PROG".into());
        };
        match arg.to_str() {
            Some("--help" | "-h") => return Ok(Command::Help),
            Some("--version" | "-V") => return Ok(Command::Version),
            Some("--once") => once = true,
            Some("--debug") => debug = true,
            Some("--remote-debug") => remote_debug = true,
            Some(opt) if opt.starts_with("--") => return Err(format!("unknown option {opt}")),
            Some(comm) => break comm.to_string(),
            None => {
                return Err(format!(
                    "{}: not a valid [HOST]:PORT",
                    arg.to_string_lossy()
                ))
            }
        }
    };
    let (host, port) = parse_address(&comm)?;
    let program = args.next().ok_or("missing PROG: the program to debug")?;
    Ok(Command::Run(Config {
        host,
        port,
        program,
        args: args.collect(),
        once,
        debug,
        remote_debug,
    }))
}

/// `[HOST]:PORT`, where HOST may be a name, an IPv4 address or `[IPv6]`.
fn parse_address(comm: &str) -> Result<(String, u16), String> {
    let bad = || format!("{comm}: not a valid [HOST]:PORT (e.g. :1234 or localhost:1234)");
    let (host, port) = comm.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok((host.to_string(), port))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Command, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn program_arguments_are_kept_verbatim() {
        let Ok(Command::Run(config)) = run(&["--once", ":1234", "./prog", "--debug", "x"]) else {
            panic!("should parse");
        };
        assert_eq!(config.port, 1234);
        assert_eq!(config.host, "");
        assert!(config.once && !config.debug);
        assert_eq!(
            config.args,
            vec![OsString::from("--debug"), OsString::from("x")]
        );
    }

    #[test]
    fn hosts_and_errors() {
        let Ok(Command::Run(c)) = run(&["[::1]:0", "p"]) else {
            panic!()
        };
        assert_eq!((c.host.as_str(), c.port), ("::1", 0));
        assert!(run(&["1234", "p"]).is_err());
        assert!(run(&[":99999", "p"]).is_err());
        assert!(run(&[":1"]).unwrap_err().contains("PROG"));
        assert!(run(&["--bogus", ":1", "p"])
            .unwrap_err()
            .contains("--bogus"));
        assert_eq!(run(&["--help"]), Ok(Command::Help));
    }
}
