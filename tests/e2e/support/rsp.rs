//! A small, strict GDB Remote Serial Protocol client for protocol tests,
//! and the exchanges they share: opening a session as gdb or lldb does,
//! requests that fail the test with the server's output, resuming, running
//! to a breakpoint or to the exit.
//!
//! The client frames packets (`$payload#cs`), handles `+`/`-` acknowledgements
//! (and their absence after `QStartNoAckMode`), reads replies with a
//! timeout and verifies their checksums. It is deliberately strict: any
//! unexpected byte where a packet or an ack should start is an error, so
//! protocol bugs in the server show up as test failures.

use std::io::{self, Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::fixtures::Fixture;
use super::scaled;
use super::server::Server;

/// What gdb 13 sends first (the features relevant here).
pub const GDB_QSUPPORTED: &str =
    "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;no-resumed+;exec-events+";

/// lldb 19's `qSupported`.
pub const LLDB_QSUPPORTED: &str =
    "qSupported:xmlRegisters=i386,arm,mips,arc;multiprocess+;fork-events+;vfork-events+";

/// Default time to wait for any single reply or ack.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

/// Modulo-256 sum of the bytes, as used in `#cs`.
pub fn checksum(payload: &[u8]) -> u8 {
    payload.iter().fold(0u8, |acc, b| acc.wrapping_add(*b))
}

/// `$payload#cs` with a correct checksum. The payload is sent as is: the
/// caller escapes `$`, `#`, `}` and `*` when they must appear literally.
pub fn frame(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 4);
    out.push(b'$');
    out.extend_from_slice(payload);
    out.extend_from_slice(format!("#{:02x}", checksum(payload)).as_bytes());
    out
}

/// Expands run-length encoding (`X*n` repeats X `n - 29` more times).
pub fn decode_rle(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len());
    let mut i = 0;
    while i < payload.len() {
        let b = payload[i];
        if b == b'*' && i + 1 < payload.len() {
            if let Some(&prev) = out.last() {
                let count = usize::from(payload[i + 1]).saturating_sub(29);
                out.extend(std::iter::repeat_n(prev, count));
                i += 2;
                continue;
            }
        }
        out.push(b);
        i += 1;
    }
    out
}

/// Lower-case hex encoding of bytes (as in `M`, `qRcmd`, ...).
pub fn hex_encode(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Decodes an even-length hex string; `None` if it is not one.
pub fn hex_decode(hex: &str) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok())
        .collect()
}

/// True for an error reply: `E` followed by two hex digits (`E01`), or the
/// textual form `E.message` that newer stubs may send.
pub fn is_error_reply(reply: &str) -> bool {
    let b = reply.as_bytes();
    (b.len() == 3 && b[0] == b'E' && b[1].is_ascii_hexdigit() && b[2].is_ascii_hexdigit())
        || reply.starts_with("E.")
}

/// True for a stop reply (`S`, `T`, `W`, `X` packets).
pub fn is_stop_reply(reply: &str) -> bool {
    matches!(reply.as_bytes().first(), Some(b'S' | b'T' | b'W' | b'X'))
}

/// A connection to a stub.
pub struct RspClient {
    stream: TcpStream,
    no_ack: bool,
    /// Every byte received, for failure messages.
    transcript: Vec<u8>,
}

impl RspClient {
    /// Connects to `127.0.0.1:port` with [`DEFAULT_TIMEOUT`] (scaled by
    /// `RGDB_TEST_TIMEOUT_SCALE`) on reads and writes.
    pub fn connect(port: u16) -> io::Result<RspClient> {
        let stream = TcpStream::connect(("127.0.0.1", port))?;
        stream.set_nodelay(true)?;
        let timeout = scaled(DEFAULT_TIMEOUT);
        stream.set_read_timeout(Some(timeout))?;
        stream.set_write_timeout(Some(timeout))?;
        Ok(RspClient {
            stream,
            no_ack: false,
            transcript: Vec::new(),
        })
    }

    /// Changes the time to wait for each reply.
    pub fn set_timeout(&mut self, timeout: Duration) -> io::Result<()> {
        self.stream.set_read_timeout(Some(timeout))
    }

    /// Whether `QStartNoAckMode` was accepted.
    pub fn no_ack(&self) -> bool {
        self.no_ack
    }

    /// Everything received so far (lossy UTF-8), for failure messages.
    pub fn transcript(&self) -> String {
        String::from_utf8_lossy(&self.transcript).into_owned()
    }

    /// Writes bytes exactly as given (malformed packets, `\x03`, ...).
    pub fn send_raw(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.stream.write_all(bytes)?;
        self.stream.flush()
    }

    /// Reads one byte, failing with `TimedOut` after the read timeout.
    pub fn read_byte(&mut self) -> io::Result<u8> {
        let mut b = [0u8; 1];
        loop {
            match self.stream.read(&mut b) {
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "connection closed by the server",
                    ))
                }
                Ok(_) => {
                    self.transcript.push(b[0]);
                    return Ok(b[0]);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e)
                    if e.kind() == io::ErrorKind::WouldBlock
                        || e.kind() == io::ErrorKind::TimedOut =>
                {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        format!(
                            "timed out waiting for the server; received so far: {:?}",
                            self.transcript()
                        ),
                    ))
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Reads one acknowledgement byte, which must be `+` or `-`.
    pub fn read_ack(&mut self) -> io::Result<u8> {
        let b = self.read_byte()?;
        match b {
            b'+' | b'-' => Ok(b),
            other => Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "expected an ack ('+' or '-'), got {:?}; received so far: {:?}",
                    char::from(other),
                    self.transcript()
                ),
            )),
        }
    }

    /// Sends `$payload#cs`. Outside no-ack mode, waits for the ack and
    /// resends on `-` (up to 3 times).
    pub fn send_packet(&mut self, payload: &[u8]) -> io::Result<()> {
        let framed = frame(payload);
        for _ in 0..3 {
            self.send_raw(&framed)?;
            if self.no_ack {
                return Ok(());
            }
            if self.read_ack()? == b'+' {
                return Ok(());
            }
        }
        Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "server refused packet {:?} three times",
                String::from_utf8_lossy(payload)
            ),
        ))
    }

    /// Reads one packet `$...#cs`, checks its checksum, acks it (outside
    /// no-ack mode) and returns the payload as received (still escaped and
    /// run-length encoded).
    pub fn read_packet(&mut self) -> io::Result<Vec<u8>> {
        self.read_framed(b'$')
    }

    /// Reads one asynchronous notification `%NAME:BODY#cs` (never acked)
    /// and returns `NAME:BODY`.
    pub fn read_notification(&mut self) -> io::Result<String> {
        let acks = !self.no_ack;
        self.no_ack = true;
        let read = self.read_framed(b'%');
        self.no_ack = !acks;
        read.map(|raw| String::from_utf8_lossy(&raw).into_owned())
    }

    /// Reads `START...#cs`: a packet (`$`) or a notification (`%`).
    fn read_framed(&mut self, expected: u8) -> io::Result<Vec<u8>> {
        let start = self.read_byte()?;
        if start != expected {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "expected {:?} to start a packet, got {:?}; received so far: {:?}",
                    char::from(expected),
                    char::from(start),
                    self.transcript()
                ),
            ));
        }
        let mut payload = Vec::new();
        loop {
            let b = self.read_byte()?;
            if b == b'#' {
                break;
            }
            payload.push(b);
        }
        let hi = self.read_byte()?;
        let lo = self.read_byte()?;
        let sent = std::str::from_utf8(&[hi, lo])
            .ok()
            .and_then(|s| u8::from_str_radix(s, 16).ok());
        let ok = sent == Some(checksum(&payload));
        if !self.no_ack {
            self.send_raw(if ok { b"+" } else { b"-" })?;
        }
        if !ok {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                format!(
                    "bad checksum from server: packet {:?} with #{}{}",
                    String::from_utf8_lossy(&payload),
                    char::from(hi),
                    char::from(lo)
                ),
            ));
        }
        Ok(payload)
    }

    /// Reads one packet and returns it run-length decoded, as text.
    pub fn read_reply(&mut self) -> io::Result<String> {
        let raw = self.read_packet()?;
        Ok(String::from_utf8_lossy(&decode_rle(&raw)).into_owned())
    }

    /// Sends `QStartNoAckMode`; on `OK`, stops sending and expecting acks.
    /// Returns the reply.
    pub fn start_no_ack_mode(&mut self) -> io::Result<String> {
        self.send_packet(b"QStartNoAckMode")?;
        let reply = self.read_reply()?;
        if reply == "OK" {
            self.no_ack = true;
        }
        Ok(reply)
    }
}

/// Connects to the server; panics with its output if that fails.
pub fn connect(server: &Server) -> RspClient {
    RspClient::connect(server.port()).unwrap_or_else(|e| {
        panic!(
            "connecting to port {}: {e}\n{}",
            server.port(),
            server.dump()
        )
    })
}

/// Connects and opens the session as gdb does: `qSupported` (with
/// multiprocess, so thread ids are `pPID.TID`), `?`. Returns the client and
/// the `qSupported` reply.
pub fn connect_as_gdb(server: &Server) -> (RspClient, String) {
    let mut c = connect(server);
    let sup = open_session(&mut c, server, GDB_QSUPPORTED, |_| {});
    (c, sup)
}

/// Connects and opens the session as lldb does: `qSupported`,
/// `QThreadSuffixSupported`, `qHostInfo` (from then on the server speaks
/// lldb's dialect), `?`.
pub fn connect_as_lldb(server: &Server) -> RspClient {
    let mut c = connect(server);
    open_session(&mut c, server, LLDB_QSUPPORTED, |c| {
        // Either answer is fine (lldb then names threads with Hg).
        request(c, server, "QThreadSuffixSupported");
        let host = request(c, server, "qHostInfo");
        assert!(
            host.contains("triple:"),
            "qHostInfo: {host:?}\n{}",
            server.dump()
        );
    });
    c
}

/// `qsupported`, which must offer a `PacketSize`, then what `then` sends,
/// then `?`, which must say the program is stopped with SIGTRAP at its
/// first instruction. Returns the `qSupported` reply.
fn open_session(
    c: &mut RspClient,
    server: &Server,
    qsupported: &str,
    then: impl FnOnce(&mut RspClient),
) -> String {
    let sup = request(c, server, qsupported);
    assert!(
        sup.contains("PacketSize="),
        "qSupported reply lacks PacketSize: {sup:?}\n{}",
        server.dump()
    );
    then(c);
    let stop = request(c, server, "?");
    assert!(
        stop.starts_with("T05"),
        "the program should be stopped with SIGTRAP at its first instruction: {stop:?}\n{}",
        server.dump()
    );
    sup
}

/// Sends `packet` and returns the reply run-length decoded but still
/// binary-escaped; panics with the transcript and the server's output on
/// I/O errors (timeouts, closed connection, bad framing).
pub fn request_raw(c: &mut RspClient, server: &Server, packet: &str) -> Vec<u8> {
    let result = c
        .send_packet(packet.as_bytes())
        .and_then(|()| c.read_packet());
    match result {
        Ok(raw) => decode_rle(&raw),
        Err(e) => panic!(
            "RSP request {packet:?} failed: {e}\nreceived: {}\n{}",
            c.transcript(),
            server.dump()
        ),
    }
}

/// Sends `packet` and returns the reply as text (lossy), with the same
/// failure messages as [`request_raw`].
pub fn request(c: &mut RspClient, server: &Server, packet: &str) -> String {
    String::from_utf8_lossy(&request_raw(c, server, packet)).into_owned()
}

/// Asserts that the server still answers normally: `?` gives a stop reply
/// and `g` the registers.
#[track_caller]
pub fn assert_usable(c: &mut RspClient, server: &Server, after: &str) {
    let stop = request(c, server, "?");
    assert!(
        is_stop_reply(&stop),
        "after {after}, `?` gave {stop:?}\n{}",
        server.dump()
    );
    let regs = request(c, server, "g");
    assert!(
        regs.len() >= 2 * 8 * 17 && hex_decode(&regs).is_some(),
        "after {after}, `g` gave {regs:?}\n{}",
        server.dump()
    );
}

/// Undoes the binary escaping of `x`/`X`/`qXfer`/`vFile` data: `}` then the
/// byte XOR 0x20.
pub fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter();
    while let Some(&b) = bytes.next() {
        if b == b'}' {
            if let Some(&next) = bytes.next() {
                out.push(next ^ 0x20);
            }
        } else {
            out.push(b);
        }
    }
    out
}

/// The exit status of a `W` reply: `W07`, or `W7;process:1f04` as GNU
/// gdbserver sends in multiprocess mode (not zero-padded).
pub fn exit_status(reply: &str) -> Option<u8> {
    let rest = reply.strip_prefix('W')?;
    u8::from_str_radix(rest.split(';').next()?, 16).ok()
}

/// The thread of a thread id (`p1f.20` or `20`, as in `QC` and thread
/// lists), as a number.
pub fn thread_id(id: &str) -> Option<u64> {
    u64::from_str_radix(id.rsplit('.').next()?, 16).ok()
}

/// Resumes every thread and returns the stop reply (a longer wait: the
/// machine may be loaded).
pub fn resume(c: &mut RspClient, server: &Server) -> String {
    c.set_timeout(scaled(Duration::from_secs(60)))
        .expect("set timeout");
    let reply = request(c, server, "vCont;c");
    c.set_timeout(scaled(DEFAULT_TIMEOUT)).expect("set timeout");
    reply
}

/// Sends the interrupt byte (`^C`, while the program runs) and returns the
/// stop reply it brings; panics with the server's output if none comes.
pub fn interrupt(c: &mut RspClient, server: &Server) -> String {
    c.send_raw(b"\x03")
        .and_then(|()| c.read_reply())
        .unwrap_or_else(|e| panic!("no stop reply after ^C: {e}\n{}", server.dump()))
}

/// Resumes and expects the program to exit with `code` (`W` reply, and
/// the server says so).
#[track_caller]
pub fn continue_to_exit(c: &mut RspClient, server: &Server, code: u8) {
    let reply = resume(c, server);
    assert_eq!(
        exit_status(&reply),
        Some(code),
        "continuing should end with W{code:02x}, got {reply:?}\n{}",
        server.dump()
    );
    server.wait_stderr(&format!("Child exited with status {code}"), None);
}

/// Inserts a software breakpoint at `symbol`, resumes to it and removes
/// it; returns the breakpoint's address and the stop reply.
pub fn run_to(c: &mut RspClient, server: &Server, f: &Fixture, symbol: &str) -> (u64, String) {
    let addr = server.address_of(f, symbol);
    let z0 = request(c, server, &format!("Z0,{addr:x},1"));
    assert_eq!(z0, "OK", "Z0 at {symbol} ({addr:#x})\n{}", server.dump());
    let stop = resume(c, server);
    assert!(
        stop.starts_with("T05"),
        "resuming should stop at the breakpoint at {symbol} with T05, got {stop:?}\n{}",
        server.dump()
    );
    let z0 = request(c, server, &format!("z0,{addr:x},1"));
    assert_eq!(z0, "OK", "z0 at {symbol} ({addr:#x})\n{}", server.dump());
    (addr, stop)
}
