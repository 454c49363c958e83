//! One debugging session: the event loop of the tracer thread.
//!
//! The loop sleeps in `mio::Poll` on the client socket and on a signalfd
//! for SIGCHLD, and moves only when one of them is ready: client bytes are
//! framed into packets and handed to gdbstub's state machine; SIGCHLD means
//! wait statuses to collect.
//!
//! gdbstub gives up its state machine on a packet it cannot parse. So we
//! check checksums ourselves, and if gdbstub still fails on a packet we
//! answer `E01`, rebuild it and replay the handshake the client negotiated
//! (qSupported, no-ack mode, selected threads): bad input never ends a session.

use super::conn::ClientConn;
use super::framing::{frame, Framer, Input};
use crate::inferior::Report;
use crate::inferior::StopEvent;
use crate::target::front::{Dialect, Front};
use crate::target::{signals, stop_reason, DebugTarget};
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::{DisconnectReason, GdbStub, MultiThreadStopReason};
use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Token};
use nix::sys::signalfd::SignalFd;
use std::io;
use std::os::fd::AsRawFd;

const CLIENT: Token = Token(0);
const SIGNALS: Token = Token(1);

/// gdbstub's packet buffer: small, and kept free of bulk data. gdbstub
/// 0.7.10 checks each packet's checksum by scanning from the packet's end
/// to the next `#` left in this buffer by an earlier packet, or to the
/// buffer's end. After a 16 KiB file read through it, every later packet
/// scanned 15 KiB: some 15 µs of each single-step. So the packets that
/// carry bulk data are answered by our layer (target/front.rs, which also
/// offers the client its larger PacketSize), and gdbstub's buffer only
/// ever holds short packets. It grows if a long one comes anyway.
const GDBSTUB_BUFFER: usize = 16 * 1024;

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

type Stub<'a> = GdbStubStateMachine<'a, DebugTarget, ClientConn>;

fn protocol_error(e: impl std::fmt::Display) -> io::Error {
    io::Error::other(format!("protocol error: {e}"))
}

/// The packets that set up the client's session with gdbstub, kept to
/// replay into a rebuilt one.
struct Handshake {
    /// The thread register and memory requests go to until the client
    /// picks one: the main thread, as with gdbserver (gdbstub's default is
    /// a made-up thread 1).
    main_thread: Option<i32>,
    supported: Option<Vec<u8>>,
    no_ack: bool,
    select_general: Option<Vec<u8>>,
    select_continue: Option<Vec<u8>>,
}

impl Handshake {
    fn note(&mut self, raw: &[u8]) {
        let body = Input::body(raw);
        if body.starts_with(b"qSupported") {
            self.supported = Some(raw.to_vec());
        } else if body == b"QStartNoAckMode" {
            self.no_ack = true;
        } else if body.starts_with(b"Hg") {
            self.select_general = Some(raw.to_vec());
        } else if body.starts_with(b"Hc") {
            self.select_continue = Some(raw.to_vec());
        }
    }

    /// A packet gdbstub failed on is no part of the handshake to replay.
    fn forget(&mut self, raw: &[u8]) {
        for slot in [
            &mut self.supported,
            &mut self.select_general,
            &mut self.select_continue,
        ] {
            if slot.as_deref() == Some(raw) {
                *slot = None;
            }
        }
    }

    fn new(main_thread: Option<i32>) -> Handshake {
        Handshake {
            main_thread,
            supported: None,
            no_ack: false,
            select_general: None,
            select_continue: None,
        }
    }

    fn packets(&self) -> Vec<Vec<u8>> {
        let no_ack = self.no_ack.then(|| frame(b"QStartNoAckMode"));
        let default_thread = self
            .main_thread
            .map(|tid| frame(format!("Hg{tid:x}").as_bytes()));
        [
            self.supported.clone(),
            no_ack,
            self.select_general.clone().or(default_thread),
            self.select_continue.clone(),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

struct Session<'a> {
    conn: ClientConn,
    /// Always `Some` between calls; taken while gdbstub moves it.
    stub: Option<Stub<'a>>,
    framer: Framer,
    handshake: Handshake,
    front: Front,
}

fn new_stub<'a>(conn: ClientConn, target: &mut DebugTarget) -> io::Result<Stub<'a>> {
    GdbStub::builder(conn)
        .packet_buffer_size(GDBSTUB_BUFFER)
        .build()
        .map_err(protocol_error)?
        .run_state_machine(target)
        .map_err(protocol_error)
}

impl<'a> Session<'a> {
    fn stub(&mut self) -> Stub<'a> {
        self.stub.take().expect("the stub is always put back")
    }

    /// Move on without waiting: report a stop, act on a Ctrl-C, or end.
    fn advance(&mut self, target: &mut DebugTarget) -> io::Result<Option<SessionEnd>> {
        let next = match self.stub() {
            GdbStubStateMachine::Running(running) => {
                let polled = match target.inferior() {
                    Some(inferior) => inferior.process.poll(),
                    None => Ok(None),
                };
                match polled {
                    Ok(Some(report)) => {
                        announce(report);
                        self.front.note_stop(report);
                        match stop_reason(report, self.front.dialect) {
                            Some(reason) => {
                                // An exec stop gdbstub cannot word: it moves
                                // its state machine, muted, and we answer.
                                let exec = match report {
                                    Report::Thread {
                                        tid,
                                        event: StopEvent::Exec,
                                    } if self.front.client.exec_events => Some(tid),
                                    _ => None,
                                };
                                // The registers gdb reads at every stop go with it.
                                let expedited = target.expedited_registers(report);
                                let mut regs =
                                    expedited.iter().map(|(id, bytes)| (*id, bytes.as_slice()));
                                let amend = exec.is_none() && self.front.amends_stop_replies();
                                self.conn.set_muted(exec.is_some());
                                if amend {
                                    self.conn.start_capture();
                                }
                                let next = running.report_stop_with_regs(target, reason, &mut regs);
                                self.conn.set_muted(false);
                                if amend {
                                    let captured = self.conn.end_capture();
                                    if let (_, Some(body)) = split_captured(&captured) {
                                        let reply = self.front.amend_stop_reply(target, body);
                                        self.conn.send(&frame(&reply))?;
                                    }
                                }
                                let next = next.map_err(protocol_error)?;
                                if let (Some(tid), Some(inferior)) = (exec, target.inferior()) {
                                    let pid = inferior.process.pid();
                                    let reply = self.front.exec_stop_reply(pid, tid);
                                    self.conn.send(&frame(&reply))?;
                                }
                                next
                            }
                            None => GdbStubStateMachine::Running(running),
                        }
                    }
                    Ok(None) => GdbStubStateMachine::Running(running),
                    Err(e) => return Err(io::Error::other(e.to_string())),
                }
            }
            GdbStubStateMachine::CtrlCInterrupt(interrupt) => {
                if let Some(inferior) = target.inferior() {
                    inferior.process.interrupt();
                }
                // The stop is reported once every thread has stopped.
                interrupt
                    .interrupt_handled(target, None::<MultiThreadStopReason<u64>>)
                    .map_err(protocol_error)?
            }
            GdbStubStateMachine::Disconnected(gone) => {
                match gone.get_reason() {
                    DisconnectReason::Disconnect => detach(target),
                    DisconnectReason::Kill
                    | DisconnectReason::TargetExited(_)
                    | DisconnectReason::TargetTerminated(_) => {}
                }
                target.drop_finished();
                if !target.multi {
                    return Ok(Some(SessionEnd::ProgramGone));
                }
                // Extended remote: the session outlives the program.
                gone.return_to_idle()
            }
            idle @ GdbStubStateMachine::Idle(_) => idle,
        };
        self.stub = Some(next);
        Ok(None)
    }

    fn handle_input(&mut self, target: &mut DebugTarget, input: Input) -> io::Result<()> {
        match input {
            Input::Byte(0x03) => self.feed(target, &[0x03]),
            Input::Byte(b'+') => Ok(()),
            // gdb sends `-` when a reply is slow, even without acks: then
            // there is nothing to resend; with acks, the last reply goes again.
            Input::Byte(b'-') if self.handshake.no_ack => Ok(()),
            Input::Byte(b'-') => self.conn.resend_last_packet(),
            Input::Byte(byte) => {
                log::debug!("ignoring stray byte {byte:#04x} between packets");
                Ok(())
            }
            Input::Packet { raw, checksum_ok } => {
                // As the client left it after its last packet: the reply to
                // QStartNoAckMode itself is still acknowledged.
                self.conn.set_acks(!self.handshake.no_ack);
                let raw = if checksum_ok {
                    raw
                } else if !self.handshake.no_ack {
                    log::warn!(
                        "bad checksum on {:?}: asking for it again",
                        String::from_utf8_lossy(&raw)
                    );
                    return self.conn.send(b"-");
                } else {
                    // Without acks the client will not resend: take it, as gdbserver does.
                    log::warn!(
                        "bad checksum on {:?} (no-ack mode): accepted",
                        String::from_utf8_lossy(&raw)
                    );
                    frame(Input::body(&raw))
                };
                if matches!(self.stub, Some(GdbStubStateMachine::Running(_))) {
                    // An all-stop client sends nothing but Ctrl-C while the program runs.
                    log::warn!(
                        "ignoring packet {:?} sent while the program runs",
                        String::from_utf8_lossy(&raw)
                    );
                    return Ok(());
                }
                if let Some(reply) = self.front.answer(target, Input::body(&raw)) {
                    let mut out = if self.handshake.no_ack {
                        Vec::new()
                    } else {
                        b"+".to_vec()
                    };
                    out.extend_from_slice(&frame(&reply));
                    return self.conn.send(&out);
                }
                // A bare `qSupported` (the feature list is optional) fails
                // gdbstub's parser: give it one feature that changes nothing.
                let raw = if Input::body(&raw) == b"qSupported" {
                    frame(b"qSupported:multiprocess-")
                } else {
                    raw
                };
                self.handshake.note(&raw);
                let body = Input::body(&raw);
                if body.starts_with(b"qSupported") {
                    // gdbstub answers; we add this layer's features.
                    return self.feed_rewritten(target, &raw, |front, reply| {
                        if reply.starts_with(b"E") {
                            reply.to_vec()
                        } else {
                            front.amend_supported(reply)
                        }
                    });
                }
                if body == b"k" && self.front.dialect == Dialect::Lldb {
                    // lldb wants to hear how the process ended, not OK.
                    return self.feed_rewritten(target, &raw, |_, reply| match reply {
                        b"OK" => format!("X{:02x}", signals::to_gdb(libc::SIGKILL).0).into_bytes(),
                        other => other.to_vec(),
                    });
                }
                self.feed(target, &raw)
            }
        }
    }

    /// Hand bytes to gdbstub; if it fails on them, reply `E01` and rebuild it.
    fn feed(&mut self, target: &mut DebugTarget, bytes: &[u8]) -> io::Result<()> {
        for &byte in bytes {
            let result = match self.stub() {
                GdbStubStateMachine::Idle(idle) => idle.incoming_data(target, byte),
                GdbStubStateMachine::Running(running) => running.incoming_data(target, byte),
                other => Ok(other),
            };
            match result {
                Ok(next) => self.stub = Some(next),
                Err(e) if e.is_connection_error() => return Err(protocol_error(e)),
                Err(e) => {
                    log::warn!(
                        "packet {:?} failed: {e}; replying E01",
                        String::from_utf8_lossy(bytes)
                    );
                    self.handshake.forget(bytes);
                    self.rebuild(target)?;
                    let mut reply = if self.handshake.no_ack {
                        Vec::new()
                    } else {
                        b"+".to_vec()
                    };
                    reply.extend_from_slice(&frame(b"E01"));
                    return self.conn.send(&reply);
                }
            }
        }
        self.conn.send_pending()
    }

    /// Feed a packet to gdbstub and send its reply as `rewrite` makes it.
    fn feed_rewritten(
        &mut self,
        target: &mut DebugTarget,
        raw: &[u8],
        rewrite: impl FnOnce(&mut Front, &[u8]) -> Vec<u8>,
    ) -> io::Result<()> {
        self.conn.start_capture();
        let fed = self.feed(target, raw);
        let reply = self.conn.end_capture();
        fed?;
        let (ack, body) = split_captured(&reply);
        let mut out = ack.to_vec();
        if let Some(body) = body {
            out.extend_from_slice(&frame(&rewrite(&mut self.front, body)));
        }
        self.conn.send(&out)
    }

    /// A fresh gdbstub, brought to where the client left the old one.
    fn rebuild(&mut self, target: &mut DebugTarget) -> io::Result<()> {
        self.conn.discard_unsent();
        self.stub = Some(new_stub(self.conn.clone(), target)?);
        self.front.stub_rebuilt();
        self.conn.set_muted(true);
        for packet in self.handshake.packets() {
            for &byte in &packet {
                let result = match self.stub() {
                    GdbStubStateMachine::Idle(idle) => idle.incoming_data(target, byte),
                    other => Ok(other),
                };
                match result {
                    Ok(next) => self.stub = Some(next),
                    Err(e) => {
                        // Taken once, refused now: go on without it.
                        log::warn!(
                            "replaying {:?} failed: {e}",
                            String::from_utf8_lossy(&packet)
                        );
                        self.handshake.forget(&packet);
                        self.stub = Some(new_stub(self.conn.clone(), target)?);
                        break;
                    }
                }
            }
        }
        self.conn.set_muted(false);
        Ok(())
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
        conn: conn.clone(),
        stub: None,
        framer: Framer::default(),
        front: Front::default(),
        handshake: Handshake::new(target.inferior().map(|i| i.process.pid())),
    };
    session.rebuild(target)?;
    let mut input = vec![0u8; 64 * 1024];
    let (mut start, mut end) = (0usize, 0usize);
    // Set at end of stream; what came before it is still handled first
    // (a `D` just before the client hangs up must detach, not kill).
    let mut client_closed = false;

    loop {
        if let Some(ended) = session.advance(target)? {
            return Ok(ended);
        }
        // Frame what was read, up to the end of the next packet: each one
        // handled is followed by `advance` (a resume may have a stop to report).
        let mut handled = false;
        while start < end && !handled {
            let byte = input[start];
            start += 1;
            if let Some(unit) = session.framer.push(byte) {
                session.handle_input(target, unit)?;
                if target.exit_requested {
                    return Ok(SessionEnd::ExitRequested);
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

/// What gdbstub wrote while captured: the ack, if any, then one packet
/// (`$body#xx`), whose body is returned.
fn split_captured(captured: &[u8]) -> (&[u8], Option<&[u8]>) {
    let start = captured.iter().position(|&b| b == b'$');
    let (ack, packet) = captured.split_at(start.unwrap_or(captured.len()));
    (ack, (packet.len() >= 4).then(|| Input::body(packet)))
}

/// The lines gdbserver prints when the program ends; IDEs wait for them.
fn announce(report: Report) {
    match report {
        Report::Exited(code) => super::say(&format!("\nChild exited with status {code}")),
        Report::Killed(sig) => {
            let name = nix::sys::signal::Signal::try_from(sig).map_or("?", |s| s.as_str());
            super::say(&format!(
                "\nChild terminated with signal = {sig:#x} ({name})"
            ))
        }
        _ => {}
    }
}

/// The client's `D`: let the program go on without us.
fn detach(target: &mut DebugTarget) {
    let Some(inferior) = target.inferior() else {
        return;
    };
    let pid = inferior.process.pid();
    super::say(&format!("Detaching from process {pid}"));
    if let Err(e) = inferior.process.detach() {
        super::say(&format!(
            "rgdbserver: detach from {pid} failed ({e}); letting go of it"
        ));
        inferior.leave();
    }
}
