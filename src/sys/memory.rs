//! Reading and writing another process's memory.
//!
//! `process_vm_readv` copies a whole packet's worth in one syscall but
//! cannot write read-only pages; `/proc/PID/mem` can (the kernel writes
//! through the tracer's FOLL_FORCE), so writes and failed reads go there.

use super::{Errno, Tid};
use nix::sys::uio::{process_vm_readv, RemoteIoVec};
use nix::unistd::Pid;
use std::fs::File;
use std::io::IoSliceMut;
use std::os::unix::fs::FileExt;

/// Read up to `buf.len()` bytes at `addr` with one process_vm_readv.
/// Returns how many bytes were read (short at an unmapped page).
pub fn read_vm(pid: Tid, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    if buf.is_empty() {
        return Ok(0);
    }
    let remote = [RemoteIoVec {
        base: addr as usize,
        len: buf.len(),
    }];
    let mut local = [IoSliceMut::new(buf)];
    process_vm_readv(Pid::from_raw(pid), &mut local, &remote)
}

/// `/proc/PID/mem` of a traced process, opened once per process.
#[derive(Debug)]
pub struct MemFile(File);

impl MemFile {
    pub fn open(pid: Tid) -> std::io::Result<MemFile> {
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(format!("/proc/{pid}/mem"))?;
        Ok(MemFile(file))
    }

    /// Read as much as is readable from `addr`: stops at the first unmapped byte.
    pub fn read(&self, addr: u64, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            match self.0.read_at(&mut buf[done..], addr + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Write all of `data` at `addr`, read-only pages included.
    pub fn write(&self, addr: u64, data: &[u8]) -> std::io::Result<()> {
        self.0.write_all_at(data, addr)
    }
}
