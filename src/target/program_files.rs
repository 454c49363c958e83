//! What gdb needs to find the program's files without a local copy:
//! `qXfer:exec-file` (the executable's path), `qXfer:libraries-svr4`
//! (the loaded libraries), each a document read in slices.

use super::DebugTarget;
use crate::inferior::libraries;
use crate::sys::procfs;
use gdbstub::common::Pid;
use gdbstub::target::ext::exec_file::ExecFile;
use gdbstub::target::ext::libraries::LibrariesSvr4;
use gdbstub::target::{TargetError, TargetResult};
use std::os::unix::ffi::OsStrExt;

/// Copy the slice `offset..offset+length` of `document` into `buf`.
fn slice_into(document: &[u8], offset: u64, length: usize, buf: &mut [u8]) -> usize {
    let start = usize::try_from(offset)
        .unwrap_or(usize::MAX)
        .min(document.len());
    let n = (document.len() - start).min(length).min(buf.len());
    buf[..n].copy_from_slice(&document[start..start + n]);
    n
}

impl DebugTarget {
    fn current_pid(&self) -> Option<i32> {
        self.inferior.as_ref().map(|i| i.process.pid())
    }
}

impl ExecFile for DebugTarget {
    fn get_exec_file(
        &self,
        pid: Option<Pid>,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let pid = match pid {
            Some(pid) => pid.get() as i32,
            None => self.current_pid().ok_or(TargetError::NonFatal)?,
        };
        let path = procfs::exe_path(pid).map_err(|_| TargetError::NonFatal)?;
        Ok(slice_into(path.as_os_str().as_bytes(), offset, length, buf))
    }
}

impl LibrariesSvr4 for DebugTarget {
    fn get_libraries_svr4(
        &self,
        offset: u64,
        length: usize,
        buf: &mut [u8],
    ) -> TargetResult<usize, Self> {
        let pid = self.current_pid().ok_or(TargetError::NonFatal)?;
        let xml = libraries::link_maps(pid).to_xml();
        Ok(slice_into(xml.as_bytes(), offset, length, buf))
    }
}
