//! The client connection as gdbstub sees it: writes are gathered and sent
//! in one go on flush (gdbstub writes a byte at a time); reads are done by
//! the event loop when the socket is readable.
//!
//! The connection is a shared handle: gdbstub owns one copy and drops it
//! when it fails on a packet, and the session keeps another, so the client
//! is still there when the session rebuilds gdbstub.

use super::transport::Stream;
use gdbstub::conn::Connection;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use std::cell::RefCell;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};
use std::rc::Rc;

#[derive(Clone)]
pub struct ClientConn(Rc<RefCell<Inner>>);

struct Inner {
    input: File,
    output: File,
    out: Vec<u8>,
    /// While set, replies are thrown away (replaying a handshake).
    muted: bool,
    /// While set, replies are kept here instead of sent (to amend them).
    captured: Option<Vec<u8>>,
    /// The last packet sent, for a client that asks for it again (`-`);
    /// kept only while the client acknowledges packets.
    last_packet: Vec<u8>,
    acks: bool,
}

impl ClientConn {
    pub fn new(stream: Stream) -> io::Result<ClientConn> {
        // The event loop reads until EAGAIN (mio is edge-triggered).
        set_nonblocking(&stream.input)?;
        set_nonblocking(&stream.output)?;
        Ok(ClientConn(Rc::new(RefCell::new(Inner {
            input: stream.input,
            output: stream.output,
            out: Vec::with_capacity(64 * 1024),
            muted: false,
            captured: None,
            last_packet: Vec::new(),
            acks: true,
        }))))
    }

    /// The fd to watch for client input.
    pub fn raw_fd(&self) -> RawFd {
        self.0.borrow().input.as_raw_fd()
    }

    /// Read what is available into `buf`. `Ok(0)` means the client closed
    /// the connection; `WouldBlock` means nothing more is there for now.
    pub fn read_available(&self, buf: &mut [u8]) -> io::Result<usize> {
        let mut inner = self.0.borrow_mut();
        loop {
            match inner.input.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Send bytes of our own (not gdbstub's) right away.
    pub fn send(&self, bytes: &[u8]) -> io::Result<()> {
        let mut inner = self.0.borrow_mut();
        inner.out.extend_from_slice(bytes);
        inner.send_all()
    }

    /// Send what gdbstub wrote without flushing: it leaves the ack of a
    /// resume packet unsent until the stop reply, and an acking client
    /// would not wait that long.
    pub fn send_pending(&self) -> io::Result<()> {
        let mut inner = self.0.borrow_mut();
        if inner.out.is_empty() {
            return Ok(());
        }
        inner.send_all()
    }

    /// Keep what is sent from now on, until [`ClientConn::end_capture`].
    pub fn start_capture(&self) {
        self.0.borrow_mut().captured = Some(Vec::new());
    }

    /// Stop capturing; returns what would have been sent.
    pub fn end_capture(&self) -> Vec<u8> {
        let mut inner = self.0.borrow_mut();
        let pending = std::mem::take(&mut inner.out);
        let mut captured = inner.captured.take().unwrap_or_default();
        captured.extend_from_slice(&pending);
        captured
    }

    /// Whether the client acknowledges packets (before `QStartNoAckMode`).
    /// Without acks no packet is ever asked for again, so none is kept:
    /// that would copy every reply, 256 KiB memory reads included.
    pub fn set_acks(&self, acks: bool) {
        let mut inner = self.0.borrow_mut();
        inner.acks = acks;
        if !acks {
            inner.last_packet = Vec::new();
        }
    }

    /// Send the last packet again (the client's `-` in ack mode).
    pub fn resend_last_packet(&self) -> io::Result<()> {
        let mut inner = self.0.borrow_mut();
        let packet = inner.last_packet.clone();
        inner.out.extend_from_slice(&packet);
        inner.send_all()
    }

    pub fn set_muted(&self, muted: bool) {
        self.0.borrow_mut().muted = muted;
    }

    /// Drop what gdbstub wrote but did not flush (a reply it abandoned).
    pub fn discard_unsent(&self) {
        self.0.borrow_mut().out.clear();
    }
}

impl Inner {
    /// Send everything gathered, waiting for the socket when its buffer is
    /// full: a reply is never dropped or reordered.
    fn send_all(&mut self) -> io::Result<()> {
        if self.muted {
            self.out.clear();
            return Ok(());
        }
        if let Some(captured) = &mut self.captured {
            captured.append(&mut self.out);
            return Ok(());
        }
        // Remember the last whole packet in what goes out (acks aside).
        if self.acks {
            if let Some(start) = self.out.iter().rposition(|&b| b == b'$') {
                self.last_packet.clear();
                self.last_packet.extend_from_slice(&self.out[start..]);
            }
        }
        let mut sent = 0;
        while sent < self.out.len() {
            match self.output.write(&self.out[sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_writable(&self.output)?,
                Err(e) => {
                    self.out.clear();
                    return Err(e);
                }
            }
        }
        self.out.clear();
        Ok(())
    }
}

fn set_nonblocking(file: &File) -> io::Result<()> {
    let flags = OFlag::from_bits_truncate(fcntl(file.as_raw_fd(), FcntlArg::F_GETFL)?);
    fcntl(
        file.as_raw_fd(),
        FcntlArg::F_SETFL(flags | OFlag::O_NONBLOCK),
    )?;
    Ok(())
}

fn wait_writable(output: &File) -> io::Result<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(output.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::NONE) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl Connection for ClientConn {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.0.borrow_mut().out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.0.borrow_mut().out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.0.borrow_mut().send_all()
    }
}
