//! What gdb needs to find the program's files without a local copy, as
//! whole documents our layer serves in slices (front.rs answers the
//! `qXfer` reads itself: gdbstub would take an extra round trip for each
//! document, even one that fits in a single reply):
//! `qXfer:exec-file` (the executable's path), `qXfer:auxv` (where a PIE is
//! loaded), `qXfer:libraries-svr4` (the loaded libraries).

use super::front::Dialect;
use super::DebugTarget;
use crate::inferior::libraries;
use crate::sys::procfs;
use std::os::unix::ffi::OsStrExt;

impl DebugTarget {
    fn current_pid(&mut self) -> Option<i32> {
        self.inferior().map(|i| i.process.pid())
    }

    /// The path of process `pid` (hex; empty: the current one).
    pub(super) fn exec_file_document(&mut self, pid_annex: &[u8]) -> Option<Vec<u8>> {
        let pid = match std::str::from_utf8(pid_annex).ok()? {
            "" => self.current_pid()?,
            hex => i32::from_str_radix(hex, 16).ok()?,
        };
        let path = procfs::exe_path(pid).ok()?;
        Some(path.as_os_str().as_bytes().to_vec())
    }

    pub(super) fn auxv_document(&mut self) -> Option<Vec<u8>> {
        procfs::auxv(self.current_pid()?).ok()
    }

    /// For lldb: no document (an error) until the dynamic linker has set
    /// up its list, as lldb-server does, and no `main-lm`, which lldb takes
    /// for the address of the pointer to `r_debug`.
    pub(super) fn libraries_document(&mut self, dialect: Dialect) -> Option<Vec<u8>> {
        let mut maps = libraries::link_maps(self.current_pid()?);
        if dialect == Dialect::Lldb {
            maps.main_lm.take()?;
        }
        Some(maps.to_xml().into_bytes())
    }
}
