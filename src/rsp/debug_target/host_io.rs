//! Host I/O (`vFile:*`): gdb reads the program and its libraries through
//! the server when it has no local copy (its default sysroot `target:`).
//! gdbstub's engine answers the small requests; `vFile:pread` and
//! `vFile:pwrite`, which carry the data, are our dispatch's, through
//! [`DebugTarget::host_pread`] and [`DebugTarget::host_pwrite`], so that
//! bulk data never goes through gdbstub's buffer (see rsp/engine.rs).

use super::host_files::HostFiles;
use super::DebugTarget;
use crate::rsp::codec;
use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoFstat,
    HostIoFstatOps, HostIoOpen, HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoReadlink,
    HostIoReadlinkOps, HostIoResult, HostIoSetfs, HostIoSetfsOps, HostIoStat, HostIoUnlink,
    HostIoUnlinkOps,
};
use std::fs::File;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};

/// The file the client knows as `fd`.
fn file(files: &HostFiles, fd: u32) -> Result<&File, HostIoError<crate::inferior::Error>> {
    files.get(fd).ok_or(HostIoError::Errno(HostIoErrno::EBADF))
}

fn errno<E>(e: std::io::Error) -> HostIoError<E> {
    use HostIoErrno as H;
    HostIoError::Errno(match e.raw_os_error().unwrap_or(0) {
        libc::EPERM => H::EPERM,
        libc::ENOENT => H::ENOENT,
        libc::EINTR => H::EINTR,
        libc::EBADF => H::EBADF,
        libc::EACCES => H::EACCES,
        libc::EFAULT => H::EFAULT,
        libc::EBUSY => H::EBUSY,
        libc::EEXIST => H::EEXIST,
        libc::ENODEV => H::ENODEV,
        libc::ENOTDIR => H::ENOTDIR,
        libc::EISDIR => H::EISDIR,
        libc::EINVAL => H::EINVAL,
        libc::ENFILE => H::ENFILE,
        libc::EMFILE => H::EMFILE,
        libc::EFBIG => H::EFBIG,
        libc::ENOSPC => H::ENOSPC,
        libc::ESPIPE => H::ESPIPE,
        libc::EROFS => H::EROFS,
        libc::ENAMETOOLONG => H::ENAMETOOLONG,
        libc::EIO => H::EIO,
        _ => H::EUNKNOWN,
    })
}

/// `F-1,ERRNO`, the protocol's failure reply.
fn failure(e: HostIoError<crate::inferior::Error>) -> Vec<u8> {
    let code = match e {
        HostIoError::Errno(errno) => errno as u32,
        HostIoError::Fatal(_) => HostIoErrno::EUNKNOWN as u32,
    };
    format!("F-1,{code:x}").into_bytes()
}

impl DebugTarget {
    /// `vFile:pread`: up to `count` bytes (at most `max`) of file `fd` at
    /// `offset`, as the reply (`Fn;DATA` or `F-1,ERRNO`).
    pub fn host_pread(&mut self, fd: u64, count: u64, offset: u64, max: usize) -> Vec<u8> {
        let mut data = vec![0u8; usize::try_from(count).unwrap_or(max).min(max)];
        let read = u32::try_from(fd)
            .map_err(|_| HostIoError::Errno(HostIoErrno::EBADF))
            .and_then(|fd| file(&self.files, fd))
            .and_then(|file| file.read_at(&mut data, offset).map_err(errno));
        match read {
            Ok(n) => {
                let mut reply = format!("F{n:x};").into_bytes();
                codec::escape_binary_into(&mut reply, &data[..n]);
                reply
            }
            Err(e) => failure(e),
        }
    }

    /// `vFile:pwrite`: `data` into file `fd` at `offset`, as the reply.
    pub fn host_pwrite(&mut self, fd: u64, offset: u64, data: &[u8]) -> Vec<u8> {
        let written = u32::try_from(fd)
            .map_err(|_| HostIoError::Errno(HostIoErrno::EBADF))
            .and_then(|fd| file(&self.files, fd))
            .and_then(|file| file.write_at(data, offset).map_err(errno));
        match written {
            Ok(n) => format!("F{n:x}").into_bytes(),
            Err(e) => failure(e),
        }
    }
}

impl HostIo for DebugTarget {
    #[inline(always)]
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_fstat(&mut self) -> Option<HostIoFstatOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_unlink(&mut self) -> Option<HostIoUnlinkOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_readlink(&mut self) -> Option<HostIoReadlinkOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_setfs(&mut self) -> Option<HostIoSetfsOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for DebugTarget {
    fn open(
        &mut self,
        filename: &[u8],
        flags: HostIoOpenFlags,
        mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        let write = flags.intersects(HostIoOpenFlags::O_WRONLY | HostIoOpenFlags::O_RDWR);
        let file = std::fs::OpenOptions::new()
            .read(!flags.contains(HostIoOpenFlags::O_WRONLY))
            .write(write)
            .append(flags.contains(HostIoOpenFlags::O_APPEND))
            .create(flags.contains(HostIoOpenFlags::O_CREAT))
            .truncate(flags.contains(HostIoOpenFlags::O_TRUNC))
            .custom_flags(if flags.contains(HostIoOpenFlags::O_EXCL) {
                libc::O_EXCL
            } else {
                0
            })
            .mode(mode.bits() & 0o777)
            .open(self.files.path(filename))
            .map_err(errno)?;
        Ok(self.files.add(file))
    }
}

impl HostIoClose for DebugTarget {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        self.files
            .remove(fd)
            .map(drop)
            .ok_or(HostIoError::Errno(HostIoErrno::EBADF))
    }
}

impl HostIoFstat for DebugTarget {
    fn fstat(&mut self, fd: u32) -> HostIoResult<HostIoStat, Self> {
        let meta = file(&self.files, fd)?.metadata().map_err(errno)?;
        // The protocol's stat has 32-bit fields: larger values are cut.
        Ok(HostIoStat {
            st_dev: meta.dev() as u32,
            st_ino: meta.ino() as u32,
            st_mode: HostIoOpenMode::from_bits_truncate(meta.mode()),
            st_nlink: meta.nlink() as u32,
            st_uid: meta.uid(),
            st_gid: meta.gid(),
            st_rdev: meta.rdev() as u32,
            st_size: meta.size(),
            st_blksize: meta.blksize(),
            st_blocks: meta.blocks(),
            st_atime: meta.atime() as u32,
            st_mtime: meta.mtime() as u32,
            st_ctime: meta.ctime() as u32,
        })
    }
}

impl HostIoUnlink for DebugTarget {
    fn unlink(&mut self, filename: &[u8]) -> HostIoResult<(), Self> {
        std::fs::remove_file(self.files.path(filename)).map_err(errno)
    }
}

impl HostIoReadlink for DebugTarget {
    fn readlink(&mut self, filename: &[u8], buf: &mut [u8]) -> HostIoResult<usize, Self> {
        let target = std::fs::read_link(self.files.path(filename)).map_err(errno)?;
        let bytes = std::os::unix::ffi::OsStrExt::as_bytes(target.as_os_str());
        let n = bytes.len().min(buf.len());
        buf[..n].copy_from_slice(&bytes[..n]);
        Ok(n)
    }
}

impl HostIoSetfs for DebugTarget {
    fn setfs(&mut self, fs: FsKind) -> HostIoResult<(), Self> {
        self.files.set_fs(match fs {
            FsKind::Stub => None,
            FsKind::Pid(pid) => Some(pid.get() as u32),
        });
        Ok(())
    }
}
