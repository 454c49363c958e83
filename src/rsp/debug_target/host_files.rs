//! The files the client opened through host I/O, by the numbers it was
//! given, and where their names are looked up (`vFile:setfs`).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fs::File;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

#[derive(Default)]
pub struct HostFiles {
    open: BTreeMap<u32, File>,
    next_fd: u32,
    /// `vFile:setfs`: paths are looked up in this process's mount namespace.
    fs_pid: Option<u32>,
}

impl HostFiles {
    /// Where the file the client calls `name` is.
    pub fn path(&self, name: &[u8]) -> PathBuf {
        let name = OsStr::from_bytes(name);
        match self.fs_pid {
            // The process's root, which sees its own mounts.
            Some(pid) => {
                let mut path = PathBuf::from(format!("/proc/{pid}/root"));
                path.push(
                    name.as_bytes()
                        .strip_prefix(b"/")
                        .map_or(name, OsStr::from_bytes),
                );
                path
            }
            None => PathBuf::from(name),
        }
    }

    /// Keep an opened file; returns the number the client will use.
    pub fn add(&mut self, file: File) -> u32 {
        let fd = self.next_fd;
        self.next_fd += 1;
        self.open.insert(fd, file);
        fd
    }

    pub fn get(&self, fd: u32) -> Option<&File> {
        self.open.get(&fd)
    }

    pub fn remove(&mut self, fd: u32) -> Option<File> {
        self.open.remove(&fd)
    }

    /// Look names up in process `pid`'s mount namespace (`None`: ours).
    pub fn set_fs(&mut self, pid: Option<u32>) {
        self.fs_pid = pid;
    }
}
