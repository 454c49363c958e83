//! Transports and sessions: wait for a client, run its session, and when
//! it ends decide what becomes of the program and of the server. The only
//! module that names mio.

mod config;
mod conn;
mod framing;
mod session;
mod transport;

use crate::console::say;
use crate::inferior::tracer::LiveWaiter;
use crate::inferior::Origin;
use crate::inferior::{self, LaunchSettings};
use crate::rsp::debug_target::{DebugTarget, Processes};
use crate::sys::signals;
pub use config::{Config, Start, Transport};
use conn::ClientConn;
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signalfd::SignalFd;
use session::SessionEnd;
use std::os::fd::AsRawFd;
use transport::{Listener, Stream};

/// Run the server as configured; returns the server's exit code.
pub fn run(config: &Config) -> Result<i32, String> {
    // These signals must be blocked before any thread exists (threads
    // inherit the mask), or the signalfd would miss them.
    let handled = signals::handled_signals();
    signals::block_in_this_thread(&handled).map_err(|e| format!("cannot block signals: {e}"))?;
    crate::sys::terminal::block_job_control_stops()
        .map_err(|e| format!("cannot block signals: {e}"))?;
    let signal_fd =
        signals::signal_fd(&handled).map_err(|e| format!("cannot create a signalfd: {e}"))?;

    // Bind before launching, so a busy address leaves nothing half-started.
    let listener = Listener::open(&config.transport)?;
    if listener.is_stdio() {
        crate::console::program_output_to_stderr();
    }
    let settings = LaunchSettings {
        startup_with_shell: config.startup_with_shell,
        disable_randomization: config.disable_randomization,
        wrapper: config.wrapper.clone(),
        program_output_to_stderr: listener.is_stdio(),
        take_terminal: !listener.is_stdio(),
        ..LaunchSettings::default()
    };
    let last_program = match &config.start {
        Start::Launch { program, .. } => Some(program.clone()),
        _ => None,
    };
    let mut processes = Processes::new(LiveWaiter);
    match &config.start {
        Start::Launch { program, args } => {
            let process = inferior::launch(program, args, &settings).map_err(|e| e.to_string())?;
            say(&format!(
                "Process {} created; pid = {}",
                program.to_string_lossy(),
                process.pid()
            ));
            processes.add(process, Origin::Launched);
        }
        Start::Attach(pid) => {
            let process = inferior::attach(*pid).map_err(|e| e.to_string())?;
            say(&format!("Attached; pid = {pid}"));
            processes.add(process, Origin::Attached);
        }
        Start::Nothing => {}
    }
    let mut target = DebugTarget::new(processes, config.multi, settings, last_program);
    target.disabled_packets = config.disabled_packets;
    if let Start::Launch { args, .. } = &config.start {
        target.last_args = args.clone();
    }
    let result = serve(config, &listener, &mut target, &signal_fd);
    // However the server ends: kill what it launched, detach from the rest.
    target.leave();
    crate::sys::terminal::take_back();
    result
}

/// Serve clients one after the other until there is no reason to go on.
fn serve(
    config: &Config,
    listener: &Listener,
    target: &mut DebugTarget,
    signals: &SignalFd,
) -> Result<i32, String> {
    loop {
        listener.announce();
        let Some(stream) = wait_for_client(listener, signals)? else {
            return Ok(0);
        };
        let conn =
            ClientConn::new(stream).map_err(|e| format!("cannot set up the connection: {e}"))?;
        let end =
            session::run(conn, target, signals).map_err(|e| format!("session failed: {e}"))?;
        log::debug!("session ended: {end:?}");
        match end {
            SessionEnd::ProgramGone | SessionEnd::ExitRequested => return Ok(0),
            SessionEnd::Signal(sig) => {
                say(&format!("rgdbserver: got signal {sig}, exiting"));
                return Ok(0);
            }
            SessionEnd::ConnectionClosed => {
                if config.once || listener.is_stdio() {
                    return Ok(0);
                }
                // Keep the programs, stopped, for the next client.
                if let Err(e) = target.processes.stop_all_now() {
                    log::debug!("stopping for the next client: {e}");
                }
                target.drop_finished();
                if !config.multi && target.processes.is_empty() {
                    return Ok(0);
                }
                say("Remote side has terminated connection.  rgdbserver will reopen the connection.");
            }
        }
    }
}

const LISTENER: Token = Token(0);
const SIGNALS: Token = Token(1);

/// Block until a client connects, or a signal says to stop (`None`).
fn wait_for_client(listener: &Listener, signals: &SignalFd) -> Result<Option<Stream>, String> {
    let Some(listen_fd) = listener.raw_fd() else {
        return listener
            .accept()
            .map(Some)
            .map_err(|e| format!("cannot use stdio: {e}"));
    };
    let io_err = |e: std::io::Error| format!("waiting for a client: {e}");
    let mut poll = Poll::new().map_err(io_err)?;
    poll.registry()
        .register(&mut SourceFd(&listen_fd), LISTENER, Interest::READABLE)
        .map_err(io_err)?;
    let signal_fd = signals.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&signal_fd), SIGNALS, Interest::READABLE)
        .map_err(io_err)?;
    let mut events = Events::with_capacity(4);
    loop {
        match poll.poll(&mut events, None) {
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            other => other.map_err(io_err)?,
        }
        for event in events.iter() {
            match event.token() {
                SIGNALS => {
                    if let Some(sig) = signals::drain(signals)
                        .into_iter()
                        .find(|&s| s != libc::SIGCHLD)
                    {
                        say(&format!("rgdbserver: got signal {sig}, exiting"));
                        return Ok(None);
                    }
                }
                _ => match listener.accept() {
                    Ok(stream) => return Ok(Some(stream)),
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                    Err(e) => return Err(format!("cannot accept a connection: {e}")),
                },
            }
        }
    }
}
