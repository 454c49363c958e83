//! Registers and memory of the stopped program, read and written for the
//! client: `g`, `G`, `p`, `P`, `m`, `x`, `M`, `X`, and `qGetTLSAddr`.

use super::client::BinaryRead;
use super::codec::{self, Refusal, ThreadRef, MAX_READ};
use super::debug_target::DebugTarget;
use super::request::Encoding;
use crate::arch::x86_64::Registers;
use crate::sys::Tid;
use gdbstub::arch::Registers as _;

fn selected(target: &DebugTarget) -> Result<Tid, Refusal> {
    target.selected_thread().ok_or(Refusal::NoProcess)
}

/// The registers of a thread. A process that has ended but whose end the
/// client has not heard of yet (told at the next resume) still shows its
/// main thread: with the registers it had at its exit, or, if there was no
/// exit event (killed from outside), none at all.
fn registers(target: &mut DebugTarget, tid: Tid) -> Result<Option<Registers>, Refusal> {
    let process = target.process()?;
    match process.read_registers(tid) {
        Ok(regs) => Ok(Some(regs)),
        Err(_) if process.is_gone() => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// `g`: every register of the selected thread, in hex (`xx` for what is
/// unavailable).
pub fn read_registers(target: &mut DebugTarget) -> Result<Vec<u8>, Refusal> {
    let tid = selected(target)?;
    let mode = target.mode();
    let (regs, available) = match registers(target, tid)? {
        Some(regs) => (regs, true),
        None => (Registers::new(mode), false),
    };
    let mut hex = Vec::with_capacity(2048);
    regs.gdb_serialize(|byte| match byte {
        Some(byte) if available => codec::push_hex(&mut hex, byte),
        _ => hex.extend_from_slice(b"xx"),
    });
    Ok(hex)
}

/// `G`: every register of the selected thread; state no GDB register
/// shows is kept.
pub fn write_registers(target: &mut DebugTarget, bytes: &[u8]) -> Result<Vec<u8>, Refusal> {
    let tid = selected(target)?;
    let process = target.process()?;
    let mut regs = process.read_registers(tid)?;
    regs.gdb_deserialize(bytes)
        .map_err(|()| Refusal::Malformed)?;
    process.write_registers(tid, &regs)?;
    Ok(codec::ok())
}

/// `p`: one register of the selected thread; unsupported for a number
/// the target description does not have.
pub fn read_register(target: &mut DebugTarget, regnum: usize) -> Result<Vec<u8>, Refusal> {
    let tid = selected(target)?;
    let mode = target.mode();
    let (regs, available) = match registers(target, tid)? {
        Some(regs) => (regs, true),
        None => (Registers::new(mode), false),
    };
    let mut bytes = Vec::with_capacity(64);
    match regs.read(regnum, &mut bytes) {
        Some(()) if available => Ok(codec::hex(&bytes)),
        Some(()) => Ok(b"xx".repeat(bytes.len())),
        None => Ok(codec::unsupported()),
    }
}

/// `P`: one register of the selected thread.
pub fn write_register(
    target: &mut DebugTarget,
    regnum: usize,
    value: &[u8],
) -> Result<Vec<u8>, Refusal> {
    let tid = selected(target)?;
    let process = target.process()?;
    let mut regs = process.read_registers(tid)?;
    if regs.read(regnum, &mut Vec::new()).is_none() {
        return Ok(codec::unsupported());
    }
    regs.write(regnum, value).ok_or(Refusal::Malformed)?;
    if regs.is_pc(regnum) {
        // A pc moved alone (a function call by lldb): no syscall restart there.
        regs.cancel_syscall_restart();
    }
    process.write_registers(tid, &regs)?;
    Ok(codec::ok())
}

/// `m`/`x`: one read of the process's memory, as much as is readable.
pub fn read_memory(
    target: &mut DebugTarget,
    addr: u64,
    len: usize,
    encoding: Encoding,
    binary: BinaryRead,
) -> Result<Vec<u8>, Refusal> {
    // Escaped binary may double: one byte less keeps a `b` reply in the packet.
    let max = match encoding {
        Encoding::Hex => MAX_READ,
        Encoding::Binary => MAX_READ - 1,
    };
    let len = len.min(max);
    if len == 0 && encoding == Encoding::Binary && binary == BinaryRead::Bare {
        // lldb's probe for `x`.
        return Ok(codec::ok());
    }
    let process = target.process()?;
    let mut data = vec![0u8; len];
    let n = process.read_memory(addr, &mut data)?;
    if n == 0 && len > 0 {
        return Err(Refusal::Model(crate::inferior::Error::Memory {
            addr,
            errno: crate::sys::Errno::EFAULT,
        }));
    }
    let read = &data[..n];
    Ok(match (encoding, binary) {
        (Encoding::Hex, _) => codec::hex(read),
        (Encoding::Binary, BinaryRead::Prefixed) => {
            let mut reply = b"b".to_vec();
            codec::escape_binary_into(&mut reply, read);
            reply
        }
        (Encoding::Binary, BinaryRead::Bare) => codec::escape_binary(read),
    })
}

/// `M`/`X`: one write of the process's memory.
pub fn write_memory(target: &mut DebugTarget, addr: u64, data: &[u8]) -> Result<Vec<u8>, Refusal> {
    let process = target.process()?;
    if data.is_empty() {
        // gdb's probe for `X`.
        return Ok(codec::ok());
    }
    process.write_memory(addr, data)?;
    Ok(codec::ok())
}

/// `qGetTLSAddr`: the address of a thread-local variable.
pub fn tls_address(
    target: &mut DebugTarget,
    thread: ThreadRef,
    offset: u64,
    lm: u64,
) -> Result<Vec<u8>, Refusal> {
    let tid = match thread {
        ThreadRef::Id(tid) => tid,
        ThreadRef::All | ThreadRef::Any | ThreadRef::AllOf(_) | ThreadRef::AnyOf(_) => {
            selected(target)?
        }
    };
    // The thread names its process: gdb asks about a thread of any of them.
    match target.process_of_thread(tid)?.tls_address(tid, lm, offset) {
        Ok(addr) => Ok(format!("{addr:x}").into_bytes()),
        Err(e) => {
            log::debug!("TLS address in {tid} (lm {lm:#x}): {e}");
            Err(Refusal::Failed)
        }
    }
}
