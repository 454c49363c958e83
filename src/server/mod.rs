//! Transports and sessions: listen, accept a client, run the session's
//! event loop, and end the program the way the session ended.
//! The only module that names mio.

mod conn;
mod framing;
mod session;

use crate::cli::Config;
use crate::inferior::{self, LaunchSpec};
use crate::sys::signals;
use crate::target::DebugTarget;
use conn::ClientConn;
use session::SessionEnd;
use std::net::{TcpListener, ToSocketAddrs};

/// Print one of the status lines IDEs and scripts wait for, whole, in one
/// write (Rust's stderr is unbuffered and would write a formatted line in
/// pieces, which a reader can catch half-written).
pub fn say(line: &str) {
    use std::io::Write;
    let mut text = String::with_capacity(line.len() + 1);
    text.push_str(line);
    text.push('\n');
    let _ = std::io::stderr().write_all(text.as_bytes());
}

/// Run the server as configured; returns the server's exit code.
pub fn run(config: &Config) -> Result<i32, String> {
    // SIGCHLD must be blocked before any thread exists (threads inherit the
    // mask), or a signalfd would miss it.
    let handled = signals::handled_signals();
    signals::block_in_this_thread(&handled).map_err(|e| format!("cannot block SIGCHLD: {e}"))?;
    let signal_fd =
        signals::signal_fd(&handled).map_err(|e| format!("cannot create a signalfd: {e}"))?;

    // Bind before launching, so a busy port leaves nothing half-started.
    let listener = listen(&config.host, config.port)?;
    let spec = LaunchSpec {
        program: config.program.clone(),
        args: config.args.clone(),
    };
    let process = inferior::launch(&spec).map_err(|e| e.to_string())?;
    say(&format!(
        "Process {} created; pid = {}",
        config.program.to_string_lossy(),
        process.pid()
    ));
    let port = listener
        .local_addr()
        .map(|a| a.port())
        .unwrap_or(config.port);
    say(&format!("Listening on port {port}"));
    let mut target = DebugTarget::new(process);

    let (stream, peer) = listener
        .accept()
        .map_err(|e| format!("cannot accept a connection: {e}"))?;
    drop(listener);
    say(&format!(
        "Remote debugging from host {}, port {}",
        peer.ip(),
        peer.port()
    ));
    let conn = ClientConn::new(stream).map_err(|e| format!("cannot set up the connection: {e}"))?;

    let end = session::run(conn, &mut target, &signal_fd);
    log::debug!("session ended: {end:?}");
    let process = &mut target.process;
    match end {
        // Like gdbserver, the server's own status says nothing of the program's.
        Ok(SessionEnd::ProcessEnded) => Ok(0),
        Ok(SessionEnd::Detached) => {
            say(&format!("Detaching from process {}", process.pid()));
            if let Err(e) = process.detach() {
                eprintln!(
                    "rgdbserver: detach failed ({e}); killing process {}",
                    process.pid()
                );
                let _ = process.kill();
            }
            Ok(0)
        }
        Ok(SessionEnd::Killed) | Ok(SessionEnd::ConnectionClosed) => {
            kill(process);
            Ok(0)
        }
        Err(e) => {
            kill(process);
            Err(format!("session failed: {e}"))
        }
    }
}

fn kill(process: &mut inferior::Process<inferior::tracer::LiveTracer>) {
    if process.is_gone() {
        return;
    }
    if let Err(e) = process.kill() {
        eprintln!("rgdbserver: cannot kill process {}: {e}", process.pid());
    }
}

fn listen(host: &str, port: u16) -> Result<TcpListener, String> {
    // An empty host means every interface, as with gdbserver.
    let host = if host.is_empty() { "0.0.0.0" } else { host };
    let addrs: Vec<_> = (host, port)
        .to_socket_addrs()
        .map_err(|e| format!("{host}:{port}: cannot resolve the address: {e}"))?
        .collect();
    TcpListener::bind(&addrs[..]).map_err(|e| format!("cannot listen on {host}:{port}: {e}"))
}
