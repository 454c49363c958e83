//! The command line, compatible with gdbserver's:
//!
//! ```text
//! rgdbserver [OPTIONS] COMM PROG [ARGS...]
//! rgdbserver [OPTIONS] --attach COMM PID
//! rgdbserver [OPTIONS] --multi COMM [PROG [ARGS...]]
//! ```

use crate::debug_output;
use crate::rsp::DisabledPackets;
use crate::server::{Config, Start, Transport};
use std::ffi::OsString;

pub const USAGE: &str = "\
Usage: rgdbserver [OPTIONS] COMM PROG [ARGS...]
       rgdbserver [OPTIONS] --attach COMM PID
       rgdbserver [OPTIONS] --multi COMM [PROG [ARGS...]]

Debug PROG (started stopped at its first instruction) or the running
process PID with GDB (target remote / target extended-remote COMM) or LLDB
(gdb-remote COMM).

COMM is where the client connects:
  [HOST]:PORT   TCP; PORT 0 picks a free port, printed as 'Listening on port N'
  unix:PATH     a Unix domain socket, created mode 0600 and removed on exit
                (gdb 13: target remote PATH)
  - or stdio    the server's stdin and stdout (gdb: target remote | rgdbserver - PROG)

Modes:
  --attach      attach to the running process PID
  --multi       extended-remote: the client may `run` and `attach`, and the
                server outlives the programs until `monitor exit`

Options:
  --once        exit when the first connection closes (otherwise the server
                keeps the program stopped and waits for the next client)
  --wrapper WRAPPER... --
                run PROG through WRAPPER (which must exec it)
  --startup-with-shell, --no-startup-with-shell
                start PROG through $SHELL -c 'exec PROG ARGS' (default: on)
  --disable-randomization, --no-disable-randomization
                turn off address space randomization for PROG (default: on)
Debugging the server (also `monitor set debug 1` and the like):
  --debug       log the server's events to stderr
  --remote-debug
                log every protocol packet to stderr
  --debug-format=all|none|timestamp[,...]
                start each debugging line with the time (all, timestamp)
  --debug-file=FILE
                write the debugging output to FILE instead of stderr
  --disable-packet=vCont|T|Tthread|qC|qfThreadInfo|threads[,...]
                answer as a stub without these packets (for testing
                debuggers; `--disable-packet` alone lists them)
  --help        print this help and exit
  --version     print the version and exit

Logging can also be set with RUST_LOG (e.g. RUST_LOG=rgdbserver=trace).";

#[derive(Debug, PartialEq, Eq)]
pub enum Command {
    Run(Config),
    Help,
    /// `--disable-packet` with no list: print what can be disabled.
    ListDisableable,
    Version,
}

/// Parse the arguments after the program name. Options come before COMM;
/// everything after PROG belongs to PROG, dashes included.
pub fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let mut config = Config {
        transport: Transport::Stdio,
        start: Start::Nothing,
        multi: false,
        once: false,
        debug: false,
        remote_debug: false,
        debug_timestamps: false,
        debug_file: None,
        disabled_packets: DisabledPackets::default(),
        startup_with_shell: true,
        disable_randomization: true,
        wrapper: Vec::new(),
    };
    let mut attach = false;
    let comm = loop {
        let Some(arg) = args.next() else {
            return Err("missing COMM ([HOST]:PORT, unix:PATH or -)".into());
        };
        match arg.to_str() {
            Some("--help" | "-h") => return Ok(Command::Help),
            Some("--version" | "-V") => return Ok(Command::Version),
            Some("--once") => config.once = true,
            Some("--multi") => config.multi = true,
            Some("--attach") => attach = true,
            Some("--debug") => config.debug = true,
            Some("--remote-debug") => config.remote_debug = true,
            Some("--disable-packet") => return Ok(Command::ListDisableable),
            Some(opt) if opt.starts_with("--disable-packet=") => config
                .disabled_packets
                .disable(&opt["--disable-packet=".len()..])?,
            Some(opt) if opt.starts_with("--debug-format=") => {
                (config.debug_timestamps, _) =
                    debug_output::parse_format(&opt["--debug-format=".len()..])?;
            }
            Some(opt) if opt.starts_with("--debug-file=") => {
                config.debug_file = Some(opt["--debug-file=".len()..].into());
            }
            Some("--startup-with-shell") => config.startup_with_shell = true,
            Some("--no-startup-with-shell") => config.startup_with_shell = false,
            Some("--disable-randomization") => config.disable_randomization = true,
            Some("--no-disable-randomization") => config.disable_randomization = false,
            Some("--wrapper") => {
                for word in args.by_ref() {
                    if word == "--" {
                        break;
                    }
                    config.wrapper.push(word);
                }
                if config.wrapper.is_empty() {
                    return Err("--wrapper needs a command, ended by --".into());
                }
            }
            Some(opt) if opt.starts_with("--") => return Err(format!("unknown option {opt}")),
            Some(comm) => break comm.to_string(),
            None => return Err(format!("{}: not a valid COMM", arg.to_string_lossy())),
        }
    };
    // `COMM --attach PID`, gdbserver's older order, is still accepted.
    let mut args = args.peekable();
    if args.peek().is_some_and(|a| a == "--attach") {
        args.next();
        attach = true;
    }
    if attach && config.multi {
        return Err("--attach and --multi do not go together (attach from gdb instead)".into());
    }
    config.transport = parse_transport(&comm)?;
    config.start = if attach {
        let pid = args.next().ok_or("--attach needs a PID")?;
        let pid = pid
            .to_str()
            .and_then(|p| p.parse::<i32>().ok())
            .filter(|&p| p > 0)
            .ok_or_else(|| format!("{}: not a process id", pid.to_string_lossy()))?;
        if let Some(extra) = args.next() {
            return Err(format!(
                "unexpected {} after the PID",
                extra.to_string_lossy()
            ));
        }
        Start::Attach(pid)
    } else {
        match args.next() {
            Some(program) => Start::Launch {
                program,
                args: args.collect(),
            },
            None if config.multi => Start::Nothing,
            None => {
                return Err(
                    "missing PROG: the program to debug (or --attach PID, or --multi)".into(),
                )
            }
        }
    };
    Ok(Command::Run(config))
}

fn parse_transport(comm: &str) -> Result<Transport, String> {
    if comm == "-" || comm == "stdio" {
        return Ok(Transport::Stdio);
    }
    if let Some(path) = comm.strip_prefix("unix:") {
        if path.is_empty() {
            return Err("unix: needs a socket path (unix:/tmp/rgdb.sock)".into());
        }
        return Ok(Transport::Unix(path.into()));
    }
    let bad = || format!("{comm}: not a valid COMM (e.g. :1234, localhost:1234, unix:/tmp/s or -)");
    let (host, port) = comm.rsplit_once(':').ok_or_else(bad)?;
    let port: u16 = port.parse().map_err(|_| bad())?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    Ok(Transport::Tcp {
        host: host.to_string(),
        port,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Result<Config, String> {
        match parse(args.iter().map(OsString::from))? {
            Command::Run(config) => Ok(config),
            other => panic!("expected a run, got {other:?}"),
        }
    }

    #[test]
    fn program_arguments_are_kept_verbatim() {
        let config = run(&["--once", ":1234", "./prog", "--debug", "x"]).unwrap();
        assert_eq!(
            config.transport,
            Transport::Tcp {
                host: String::new(),
                port: 1234
            }
        );
        assert!(config.once && !config.debug);
        assert_eq!(
            config.start,
            Start::Launch {
                program: "./prog".into(),
                args: vec!["--debug".into(), "x".into()]
            }
        );
    }

    #[test]
    fn modes_and_transports() {
        assert_eq!(
            run(&["--attach", ":1", "42"]).unwrap().start,
            Start::Attach(42)
        );
        let multi = run(&["--multi", "unix:/tmp/s"]).unwrap();
        assert!(multi.multi);
        assert_eq!(multi.start, Start::Nothing);
        assert_eq!(multi.transport, Transport::Unix("/tmp/s".into()));
        assert_eq!(run(&["-", "p"]).unwrap().transport, Transport::Stdio);
        let c = run(&["[::1]:0", "p"]).unwrap();
        assert_eq!(
            c.transport,
            Transport::Tcp {
                host: "::1".into(),
                port: 0
            }
        );
        let w = run(&[
            "--wrapper",
            "env",
            "A=1",
            "--",
            "--no-startup-with-shell",
            ":1",
            "p",
        ])
        .unwrap();
        assert_eq!(
            w.wrapper,
            vec![OsString::from("env"), OsString::from("A=1")]
        );
        assert!(!w.startup_with_shell && w.disable_randomization);
    }

    #[test]
    fn gdbservers_debugging_options() {
        let c = run(&[
            "--disable-packet=Tthread,qC",
            "--debug-format=timestamp",
            "--debug-file=/tmp/log",
            ":1",
            "p",
        ])
        .unwrap();
        assert!(c.disabled_packets.t_thread && c.disabled_packets.qc && !c.disabled_packets.t);
        assert!(c.debug_timestamps);
        assert_eq!(c.debug_file, Some("/tmp/log".into()));
        assert!(run(&["--disable-packet=bogus", ":1", "p"])
            .unwrap_err()
            .contains("\"bogus\""));
        assert!(run(&["--debug-format=bogus", ":1", "p"])
            .unwrap_err()
            .contains("Unknown debug-format argument"));
        assert_eq!(
            parse(["--disable-packet"].map(OsString::from)),
            Ok(Command::ListDisableable)
        );
    }

    #[test]
    fn errors_say_what_is_wrong() {
        assert!(run(&["1234", "p"]).is_err());
        assert!(run(&[":99999", "p"]).is_err());
        assert!(run(&[":1"]).unwrap_err().contains("PROG"));
        assert!(run(&["--bogus", ":1", "p"])
            .unwrap_err()
            .contains("--bogus"));
        assert!(run(&["--attach", ":1", "x"])
            .unwrap_err()
            .contains("process id"));
        assert!(run(&["--attach", ":1"]).unwrap_err().contains("PID"));
        assert!(run(&["--attach", "--multi", ":1", "3"]).is_err());
        assert_eq!(
            run(&[":1", "--attach", "42"]).unwrap().start,
            Start::Attach(42)
        );
        assert_eq!(parse(["--help"].map(OsString::from)), Ok(Command::Help));
    }
}
