//! One debugging session: the event loop of the tracer thread.
//!
//! The loop sleeps in `mio::Poll` on the client socket and on a signalfd
//! for SIGCHLD (and the signals that end the server), and moves only when
//! one of them is ready: client bytes are framed into packets, acknowledged
//! and handed to the protocol layer; SIGCHLD means wait statuses to collect
//! while a stop is owed to the client.

use super::conn::ClientConn;
use super::framing::{Framer, Input};
use crate::rsp::debug_target::DebugTarget;
use crate::rsp::{Outcome, Protocol};
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
    /// Plain remote: the program exited, was killed, or was detached: the
    /// session is over with it.
    ProgramGone,
    /// The client went away without a word (gdb's `disconnect`, or gdb died).
    ConnectionClosed,
    /// `monitor exit`.
    ExitRequested,
    /// The server got SIGTERM, SIGINT or SIGHUP.
    Signal(i32),
}

struct Session {
    conn: ClientConn,
    framer: Framer,
    protocol: Protocol,
    /// What goes to the client next, framed.
    out: Vec<u8>,
}

impl Session {
    /// Send what the protocol layer answered.
    fn flush(&mut self) -> io::Result<()> {
        let sent = self.conn.send(&self.out);
        self.out.clear();
        sent
    }

    fn ended(outcome: Outcome) -> Option<SessionEnd> {
        match outcome {
            Outcome::Serving => None,
            Outcome::ProgramGone => Some(SessionEnd::ProgramGone),
            Outcome::ExitRequested => Some(SessionEnd::ExitRequested),
        }
    }

    /// Collect wait statuses if a stop is owed; send its reply if it came.
    fn poll_program(&mut self, target: &mut DebugTarget) -> io::Result<Option<SessionEnd>> {
        if !self.protocol.watching_program() {
            return Ok(None);
        }
        let outcome = self
            .protocol
            .poll(target, &mut self.out)
            .map_err(io::Error::other)?;
        self.flush()?;
        Ok(Session::ended(outcome))
    }

    fn handle_input(
        &mut self,
        target: &mut DebugTarget,
        input: Input,
    ) -> io::Result<Option<SessionEnd>> {
        let acks = self.protocol.acks();
        match input {
            Input::Byte(0x03) => self.protocol.interrupt(target),
            Input::Byte(b'+') => {}
            // gdb sends `-` when a reply is slow, even without acks: then
            // there is nothing to resend; with acks, the last reply goes again.
            Input::Byte(b'-') if !acks => {}
            Input::Byte(b'-') => self.conn.resend_last_packet()?,
            Input::Byte(byte) => log::debug!("ignoring stray byte {byte:#04x} between packets"),
            Input::Packet { raw, checksum_ok } => {
                if !checksum_ok {
                    if acks {
                        log::warn!(
                            "bad checksum on {:?}: asking for it again",
                            String::from_utf8_lossy(&raw)
                        );
                        return self.conn.send(b"-").map(|()| None);
                    }
                    // Without acks the client will not resend: take it, as gdbserver does.
                    log::warn!(
                        "bad checksum on {:?} (no-ack mode): accepted",
                        String::from_utf8_lossy(&raw)
                    );
                }
                if acks {
                    self.out.push(b'+');
                }
                let outcome = self
                    .protocol
                    .packet(target, Input::body(&raw), &mut self.out);
                // The reply to QStartNoAckMode itself is still acknowledged.
                self.conn.set_acks(self.protocol.acks());
                self.flush()?;
                return Ok(Session::ended(outcome));
            }
        }
        Ok(None)
    }
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

    let mut session = Session {
        conn,
        framer: Framer::default(),
        protocol: Protocol::new(target).map_err(io::Error::other)?,
        out: Vec::with_capacity(64 * 1024),
    };
    let mut input = vec![0u8; 64 * 1024];
    let (mut start, mut end) = (0usize, 0usize);
    // Set at end of stream; what came before it is still handled first
    // (a `D` just before the client hangs up must detach, not kill).
    let mut client_closed = false;

    loop {
        if let Some(ended) = session.poll_program(target)? {
            return Ok(ended);
        }
        // Frame what was read, up to the end of the next packet: each one
        // handled is followed by a poll (a resume may have a stop to report).
        let mut handled = false;
        while start < end && !handled {
            let byte = input[start];
            start += 1;
            if let Some(unit) = session.framer.push(byte) {
                if let Some(ended) = session.handle_input(target, unit)? {
                    return Ok(ended);
                }
                handled = true;
            }
        }
        if handled {
            continue;
        }
        if client_closed {
            return Ok(SessionEnd::ConnectionClosed);
        }

        // Nothing to do without the kernel: sleep until it has something.
        if let Err(e) = poll.poll(&mut events, None) {
            if e.kind() == io::ErrorKind::Interrupted {
                continue;
            }
            return Err(e);
        }
        for event in events.iter() {
            match event.token() {
                SIGNALS => {
                    if let Some(sig) = crate::sys::signals::drain(signals)
                        .into_iter()
                        .find(|&sig| sig != libc::SIGCHLD)
                    {
                        return Ok(SessionEnd::Signal(sig));
                    }
                }
                CLIENT => {
                    // Edge-triggered: read until the socket is empty. An
                    // end of stream already signalled must be read too.
                    let hung_up = event.is_read_closed() || event.is_error();
                    start = 0;
                    end = 0;
                    loop {
                        if end == input.len() {
                            input.resize(input.len() * 2, 0);
                        }
                        match session.conn.read_available(&mut input[end..]) {
                            Ok(0) => {
                                client_closed = true;
                                break;
                            }
                            Ok(n) => {
                                end += n;
                                // A short read took all there was: skip the
                                // read that would only say EAGAIN (it costs
                                // every packet a syscall). Data or a hang-up
                                // arriving later makes the socket ready again.
                                if end < input.len() && !hung_up {
                                    break;
                                }
                            }
                            Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == io::ErrorKind::ConnectionReset => {
                                client_closed = true;
                                break;
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
