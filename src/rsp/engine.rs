//! gdbstub's engine, for the packets it serves (see the table in
//! rsp/mod.rs): it gets one packet at a time and its reply comes back as
//! a body, which our layer sends like any other.
//!
//! Everything this project does around gdbstub 0.7.10 lives here:
//! - its replies are written to a buffer of ours, never to the client, so
//!   one place frames and sends every reply;
//! - it is put in no-ack mode when built: our layer acknowledges packets
//!   (it checks checksums before anyone parses a packet);
//! - a packet it cannot parse consumes its state machine: we reply `E01`
//!   and build a fresh one, which holds nothing worth restoring, because
//!   every packet that sets state a later packet depends on (thread
//!   selection, run control, processes) is ours.

use super::codec;
use super::debug_target::DebugTarget;
use gdbstub::conn::Connection;
use gdbstub::stub::state_machine::GdbStubStateMachine;
use gdbstub::stub::GdbStub;
use std::cell::RefCell;
use std::rc::Rc;

/// gdbstub's packet buffer. Only short packets reach it; it grows if a
/// long one comes anyway. (gdbstub 0.7.10 checks a checksum by scanning
/// from the packet's end to the next `#` left in this buffer, so a buffer
/// that once held bulk data costs every later packet a long scan: the
/// packets that carry bulk data are ours.)
const BUFFER: usize = 4 * 1024;

/// The bytes gdbstub writes, shared with the engine that reads them.
#[derive(Clone, Default)]
struct Written(Rc<RefCell<Vec<u8>>>);

impl Connection for Written {
    type Error = std::convert::Infallible;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.0.borrow_mut().push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.0.borrow_mut().extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        Ok(())
    }
}

type StateMachine = GdbStubStateMachine<'static, DebugTarget, Written>;

pub struct Engine {
    /// `None` only while gdbstub moves it, or if building one failed.
    stub: Option<StateMachine>,
    written: Written,
}

impl Engine {
    pub fn new(target: &mut DebugTarget) -> Result<Engine, String> {
        let mut engine = Engine {
            stub: None,
            written: Written::default(),
        };
        engine.build(target)?;
        Ok(engine)
    }

    /// gdbstub's reply body to the packet `body`; `E01` if it cannot
    /// parse it (and a fresh gdbstub for the next one).
    pub fn answer(&mut self, target: &mut DebugTarget, body: &[u8]) -> Vec<u8> {
        let fed = match self.stub {
            Some(_) => self.feed(target, &codec::frame(body)),
            None => self
                .build(target)
                .and_then(|()| self.feed(target, &codec::frame(body))),
        };
        let written = std::mem::take(&mut *self.written.0.borrow_mut());
        if let Err(e) = fed {
            log::warn!(
                "gdbstub failed on {:?}: {e}; replying E01",
                String::from_utf8_lossy(body)
            );
            if let Err(e) = self.build(target) {
                log::warn!("cannot build a new gdbstub: {e}");
            }
            return codec::error(&codec::Refusal::Malformed);
        }
        reply_body(&written).to_vec()
    }

    fn feed(&mut self, target: &mut DebugTarget, bytes: &[u8]) -> Result<(), String> {
        for &byte in bytes {
            let stub = self.stub.take().ok_or("no gdbstub")?;
            let next = match stub {
                GdbStubStateMachine::Idle(idle) => idle.incoming_data(target, byte),
                // Resumes and disconnects are ours: gdbstub never leaves Idle.
                other => Ok(other),
            };
            self.stub = Some(next.map_err(|e| e.to_string())?);
        }
        Ok(())
    }

    /// A new gdbstub, in no-ack mode.
    fn build(&mut self, target: &mut DebugTarget) -> Result<(), String> {
        let stub = GdbStub::builder(self.written.clone())
            .packet_buffer_size(BUFFER)
            .build()
            .map_err(|e| e.to_string())?
            .run_state_machine(target)
            .map_err(|e| e.to_string())?;
        self.stub = Some(stub);
        let fed = self.feed(target, &codec::frame(b"QStartNoAckMode"));
        self.written.0.borrow_mut().clear();
        fed
    }
}

/// The body of the packet gdbstub wrote (`$body#xx`); empty if none.
fn reply_body(written: &[u8]) -> &[u8] {
    let start = written.iter().position(|&b| b == b'$');
    let end = written.iter().rposition(|&b| b == b'#');
    match (start, end) {
        (Some(start), Some(end)) if start < end => &written[start + 1..end],
        _ => &[],
    }
}
