//! What the program looks like, for the documents the client reads: its
//! libraries, a thread's TLS block, and the facts /proc keeps (names, the
//! executable, the auxv, the memory map, the ids). All come through the
//! tracer, so the protocol layer never reads /proc past the model and tests
//! can answer from tables.

use super::{Process, RunState};
use crate::arch::x86_64::{Mode, FS_BASE_INDEX};
use crate::inferior::libraries::{self, LinkMaps, ListFrom};
use crate::inferior::tls::TlsLayout;
use crate::inferior::tracer::Tracer;
use crate::inferior::{elf, Error};
use crate::sys::procfs::{Mapping, ProcessStatus};
use crate::sys::{Errno, Tid};
use std::path::PathBuf;

impl<T: Tracer> Process<T> {
    /// The program's word size in bytes, as its structures in memory use it.
    fn word_size(&self) -> usize {
        match self.mode {
            Mode::Amd64 => 8,
            Mode::I386 => 4,
        }
    }

    /// A process-wide fact from the tracer; the process must still be there.
    fn fact<V>(
        &mut self,
        what: &'static str,
        read: impl FnOnce(&mut T) -> Result<V, Errno>,
    ) -> Result<V, Error> {
        if self.state == RunState::Gone {
            return Err(Error::Gone);
        }
        read(&mut self.tracer).map_err(|errno| self.sys_error(what, self.pid, errno))
    }

    /// The loaded libraries, from the dynamic linker's list. Empty before
    /// the dynamic linker has set it up, for a static program, and when
    /// nothing can be read.
    pub fn link_maps(&mut self) -> LinkMaps {
        let Ok(auxv) = self.auxv() else {
            return LinkMaps::default();
        };
        let word_size = self.word_size();
        libraries::link_maps(&mut self.tracer, &auxv, word_size)
    }

    /// One namespace's libraries from a known point on (see [`ListFrom`]).
    pub fn link_maps_from(&mut self, from: ListFrom) -> LinkMaps {
        if self.state == RunState::Gone {
            return LinkMaps::default();
        }
        let word_size = self.word_size();
        libraries::link_maps_from(&mut self.tracer, word_size, from)
    }

    /// The address of `offset` in the TLS block of the module whose
    /// `link_map` is `lm`, in stopped thread `tid`.
    pub fn tls_address(&mut self, tid: Tid, lm: u64, offset: u64) -> Result<u64, Error> {
        let tp = self.read_registers(tid)?.gpr[FS_BASE_INDEX];
        let maps = self.link_maps();
        let symbol = |path: &std::path::Path, name: &str| elf::dynamic_symbol(path, name).ok()?;
        let layout = TlsLayout::find(&mut self.tracer, &maps, symbol).ok_or(Error::Memory {
            addr: lm,
            errno: Errno::ENOENT,
        })?;
        layout
            .address(&mut self.tracer, tp, lm, offset)
            .ok_or(Error::Memory {
                addr: lm,
                errno: Errno::EFAULT,
            })
    }

    /// A fact about one of our threads, from the tracer.
    fn thread_fact<V>(
        &mut self,
        tid: Tid,
        what: &'static str,
        read: impl FnOnce(&mut T, Tid) -> Result<V, Errno>,
    ) -> Result<V, Error> {
        if !self.threads.contains_key(&tid) {
            return Err(Error::NoSuchThread(tid));
        }
        read(&mut self.tracer, tid).map_err(|errno| self.sys_error(what, tid, errno))
    }

    /// The name of thread `tid`, as `info threads` shows it.
    pub fn thread_name(&mut self, tid: Tid) -> Result<String, Error> {
        self.thread_fact(tid, "reading the thread's name", T::thread_name)
    }

    /// The CPU thread `tid` last ran on.
    pub fn thread_core(&mut self, tid: Tid) -> Result<u32, Error> {
        self.thread_fact(tid, "reading the thread's core", T::thread_core)
    }

    /// The program's executable, as the kernel resolved it.
    pub fn executable_path(&mut self) -> Result<PathBuf, Error> {
        self.fact("reading the executable's path", T::executable_path)
    }

    /// The auxiliary vector the kernel gave the program, raw.
    pub fn auxv(&mut self) -> Result<Vec<u8>, Error> {
        self.fact("reading the auxv", T::auxv)
    }

    /// The program's memory mappings, in address order.
    pub fn memory_maps(&mut self) -> Result<Vec<Mapping>, Error> {
        self.fact("reading the memory map", T::memory_maps)
    }

    /// The parent pid and the real and effective user and group ids.
    pub fn process_status(&mut self) -> Result<ProcessStatus, Error> {
        self.fact("reading the process status", T::process_status)
    }
}
