//! The client connection as gdbstub sees it: writes are gathered and sent
//! in one go on flush (gdbstub writes a byte at a time), reads are done by
//! the event loop when the socket is readable.

use gdbstub::conn::Connection;
use std::io::{self, Read};
use std::net::TcpStream;
use std::os::fd::{AsFd, AsRawFd, RawFd};

pub struct ClientConn {
    stream: TcpStream,
    out: Vec<u8>,
}

impl ClientConn {
    pub fn new(stream: TcpStream) -> io::Result<ClientConn> {
        stream.set_nonblocking(true)?;
        // Replies are small and latency-bound: never wait to coalesce them.
        stream.set_nodelay(true)?;
        Ok(ClientConn {
            stream,
            out: Vec::with_capacity(64 * 1024),
        })
    }

    pub fn raw_fd(&self) -> RawFd {
        self.stream.as_raw_fd()
    }

    /// Read what is available into `buf`. `Ok(0)` means the client closed
    /// the connection; `WouldBlock` means nothing more is there for now.
    pub fn read_available(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            match self.stream.read(buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => return other,
            }
        }
    }

    /// Send everything gathered, waiting for the socket when its buffer is
    /// full (a reply is never dropped or reordered).
    fn send_all(&mut self) -> io::Result<()> {
        let mut sent = 0;
        while sent < self.out.len() {
            match io::Write::write(&mut self.stream, &self.out[sent..]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => sent += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => wait_writable(&self.stream)?,
                Err(e) => return Err(e),
            }
        }
        self.out.clear();
        Ok(())
    }
}

fn wait_writable(stream: &TcpStream) -> io::Result<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    let mut fds = [PollFd::new(stream.as_fd(), PollFlags::POLLOUT)];
    match poll(&mut fds, PollTimeout::NONE) {
        Ok(_) | Err(nix::errno::Errno::EINTR) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

impl Connection for ClientConn {
    type Error = io::Error;

    fn write(&mut self, byte: u8) -> io::Result<()> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> io::Result<()> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        self.send_all()?;
        io::Write::flush(&mut self.stream)
    }
}
