//! The client connection: non-blocking reads when the event loop says the
//! socket is readable, and whole writes of what the protocol layer
//! answered, keeping the last packet for a client that asks for it again.

use super::transport::Stream;
use nix::fcntl::{fcntl, FcntlArg, OFlag};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, RawFd};

pub struct ClientConn {
    input: File,
    output: File,
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
        Ok(ClientConn {
            input: stream.input,
            output: stream.output,
            last_packet: Vec::new(),
            acks: true,
        })
    }

    /// The fd to watch for client input.
    pub fn raw_fd(&self) -> RawFd {
        self.input.as_raw_fd()
    }

    /// Read what is available into `buf`. `Ok(0)` means the client closed
    /// the connection; `WouldBlock` means nothing more is there for now.
    pub fn read_available(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.input.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Whether the client acknowledges packets (before `QStartNoAckMode`).
    /// Without acks no packet is ever asked for again, so none is kept:
    /// that would copy every reply, 256 KiB memory reads included.
    pub fn set_acks(&mut self, acks: bool) {
        self.acks = acks;
        if !acks {
            self.last_packet = Vec::new();
        }
    }

    /// Send the last packet again (the client's `-` in ack mode).
    pub fn resend_last_packet(&mut self) -> io::Result<()> {
        let packet = std::mem::take(&mut self.last_packet);
        let sent = self.write_all(&packet);
        self.last_packet = packet;
        sent
    }

    /// Send `bytes` whole, waiting for the socket when its buffer is full:
    /// a reply is never dropped or reordered.
    pub fn send(&mut self, bytes: &[u8]) -> io::Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        // Remember the last whole packet in what goes out (acks aside).
        if self.acks {
            if let Some(start) = bytes.iter().rposition(|&b| b == b'$') {
                self.last_packet.clear();
                self.last_packet.extend_from_slice(&bytes[start..]);
            }
        }
        self.write_all(bytes)
    }

    fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let mut sent = 0;
        while sent < bytes.len() {
            match self.output.write(&bytes[sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_writable(&self.output)?,
                Err(e) => return Err(e),
            }
        }
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
