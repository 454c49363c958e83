//! Registers and memory of the stopped program, read and written for the
//! client: `g`, `G`, `p`, `P`, `m`, `x`, `M`, `X`, and `qGetTLSAddr`.

use super::client::BinaryRead;
use super::codec::{self, Refusal, ThreadRef, MAX_READ};
use super::debug_target::DebugTarget;
use super::request::Encoding;
use crate::sys::Tid;
use gdbstub::arch::Registers as _;

fn selected(target: &DebugTarget) -> Result<Tid, Refusal> {
    target.selected_thread().ok_or(Refusal::NoProcess)
}

/// `g`: every register of the selected thread, in hex.
pub fn read_registers(target: &mut DebugTarget) -> Result<Vec<u8>, Refusal> {
    let tid = selected(target)?;
    let regs = target.process()?.read_registers(tid)?;
    let mut hex = Vec::with_capacity(2048);
    regs.gdb_serialize(|byte| match byte {
        Some(byte) => codec::push_hex(&mut hex, byte),
        None => hex.extend_from_slice(b"xx"),
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
    let regs = target.process()?.read_registers(tid)?;
    let mut bytes = Vec::with_capacity(64);
    match regs.read(regnum, &mut bytes) {
        Some(()) => Ok(codec::hex(&bytes)),
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
    match target.process()?.tls_address(tid, lm, offset) {
        Ok(addr) => Ok(format!("{addr:x}").into_bytes()),
        Err(e) => {
            log::debug!("TLS address in {tid} (lm {lm:#x}): {e}");
            Err(Refusal::Failed)
        }
    }
}
