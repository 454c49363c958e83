//! One debugging session: the event loop of the tracer thread.
//!
//! The loop sleeps in `mio::Poll` on the client socket and on a signalfd
//! for SIGCHLD, and moves only when one of them is ready: client bytes go
//! to gdbstub's state machine; SIGCHLD means wait statuses to collect.

use super::conn::ClientConn;
use crate::inferior::Report;
use crate::target::{stop_reason, DebugTarget};
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signalfd::SignalFd;
use std::io;
use std::os::fd::AsRawFd;

const CLIENT: Token = Token(0);
const SIGNALS: Token = Token(1);

/// How a session ended.
#[derive(Debug)]
pub enum SessionEnd {
    /// The process exited or was killed by a signal (already reported).
    ProcessEnded(Report),
    /// The client detached (`D`).
    Detached,
    /// The client killed the process (`k`).
    Killed,
    /// The client went away without a word.
    ConnectionClosed,
}

type Stub<'a> = GdbStubStateMachine<'a, DebugTarget, ClientConn>;

fn protocol_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("protocol error: {e}"))
}

pub fn run(
    conn: ClientConn,
    target: &mut DebugTarget,
    signals: &SignalFd,
) -> io::Result<SessionEnd> {
    let mut poll = Poll::new()?;
    let mut events = Events::with_capacity(16);
    let client_fd = conn.raw_fd();
    poll.registry()
        .register(&mut SourceFd(&client_fd), CLIENT, Interest::READABLE)?;
    let signal_fd = signals.as_raw_fd();
    poll.registry()
        .register(&mut SourceFd(&signal_fd), SIGNALS, Interest::READABLE)?;

    let mut stub: Stub<'_> = GdbStub::new(conn)
        .run_state_machine(target)
        .map_err(protocol_error)?;
    let mut input = vec![0u8; 64 * 1024];
    let (mut start, mut end) = (0usize, 0usize);

    loop {
        // First move as far as possible without waiting.
        stub = match stub {
            GdbStubStateMachine::Running(running) => match target.process.poll() {
                Ok(Some(report)) => {
                    announce(report);
                    match stop_reason(report) {
                        Some(reason) => running
                            .report_stop(target, reason)
                            .map_err(protocol_error)?,
                        None => GdbStubStateMachine::Running(running),
                    }
                }
                Ok(None) => GdbStubStateMachine::Running(running),
                Err(e) => return Err(io::Error::other(e.to_string())),
            },
            GdbStubStateMachine::CtrlCInterrupt(interrupt) => {
                target.process.interrupt();
                // The stop is reported once every thread has stopped.
                interrupt
                    .interrupt_handled(target, None::<MultiThreadStopReason<u64>>)
                    .map_err(protocol_error)?
            }
            GdbStubStateMachine::Disconnected(gone) => {
                return Ok(match gone.get_reason() {
                    DisconnectReason::TargetExited(code) => {
                        SessionEnd::ProcessEnded(Report::Exited(i32::from(code)))
                    }
                    DisconnectReason::TargetTerminated(sig) => SessionEnd::ProcessEnded(
                        Report::Killed(crate::target::signals::from_gdb(sig)),
                    ),
                    DisconnectReason::Disconnect => SessionEnd::Detached,
                    DisconnectReason::Kill => SessionEnd::Killed,
                });
            }
            idle @ GdbStubStateMachine::Idle(_) => idle,
        };
        if start < end {
            let byte = input[start];
            start += 1;
            stub = feed(stub, target, byte)?;
            continue;
        }

        // Nothing to do without the kernel: sleep until it has something.
        poll.poll(&mut events, None).or_else(|e| {
            if e.kind() == io::ErrorKind::Interrupted {
                Ok(())
            } else {
                Err(e)
            }
        })?;
        for event in events.iter() {
            match event.token() {
                SIGNALS => {
                    crate::sys::signals::drain(signals);
                }
                CLIENT => {
                    // Edge-triggered: read until the socket is empty.
                    if start == end {
                        start = 0;
                        end = 0;
                    }
                    loop {
                        if end == input.len() {
                            input.resize(input.len() * 2, 0);
                        }
                        match borrow_conn(&mut stub).read_available(&mut input[end..]) {
                            Ok(0) => return Ok(SessionEnd::ConnectionClosed),
                            Ok(n) => end += n,
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                                return Ok(SessionEnd::ConnectionClosed)
                            }
                            Err(e) => return Err(e),
                        }
                    }
                }
                _ => {}
            }
        }
    }
}

fn borrow_conn<'s, 'a>(stub: &'s mut Stub<'a>) -> &'s mut ClientConn {
    match stub {
        GdbStubStateMachine::Idle(s) => s.borrow_conn(),
        GdbStubStateMachine::Running(s) => s.borrow_conn(),
        GdbStubStateMachine::CtrlCInterrupt(s) => s.borrow_conn(),
        GdbStubStateMachine::Disconnected(s) => s.borrow_conn(),
    }
}

fn feed<'a>(stub: Stub<'a>, target: &mut DebugTarget, byte: u8) -> io::Result<Stub<'a>> {
    let next = match stub {
        GdbStubStateMachine::Idle(idle) => idle.incoming_data(target, byte),
        GdbStubStateMachine::Running(running) => running.incoming_data(target, byte),
        other => return Ok(other),
    };
    next.map_err(protocol_error)
}

/// The lines gdbserver prints when the program ends; IDEs wait for them.
fn announce(report: Report) {
    match report {
        Report::Exited(code) => eprintln!("\nChild exited with status {code}"),
        Report::Killed(sig) => eprintln!("\nChild terminated with signal = {sig}"),
        _ => {}
    }
}
