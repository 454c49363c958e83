//! The ptrace operations and /proc facts the process model needs, as a
//! trait, so that the state machine can be driven by synthetic wait
//! statuses in tests and the program's layout read from fake memory.

use crate::arch::x86_64::{general_register, xsave_size, Features, Mode, Registers};
use crate::sys::memory::{self, MemFile};
use crate::sys::procfs::{self, Mapping, ProcessStatus};
use crate::sys::wait::{self, WaitStatus};
use crate::sys::{ptrace, spawn, Errno, Tid};
use std::collections::HashMap;
use std::path::PathBuf;

/// How a thread is let go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceMode {
    Continue,
    Step,
    /// Continue, but stop at syscall entries and exits too (catch syscall).
    ToSyscall,
}

/// Reading the program's memory: all the link_map walk and the TLS lookup
/// need, so they can be tested on fake memory.
pub trait MemoryReader {
    /// Read what is readable at `addr`; short at the first unreadable byte.
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno>;
}

/// Writing it too: what breakpoints need.
pub trait MemoryWriter: MemoryReader {
    /// Write all of `data`, read-only pages included.
    fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno>;
}

/// Everything the model asks of the kernel. A thread or process that
/// vanished answers `ESRCH`.
pub trait Tracer: MemoryWriter {
    /// Resume a stopped thread, delivering `signal` (0 for none).
    fn resume(&mut self, tid: Tid, how: TraceMode, signal: i32) -> Result<(), Errno>;
    /// At a syscall stop: (is it the entry, the syscall number).
    fn syscall_stop(&mut self, tid: Tid) -> Result<(bool, u64), Errno>;
    /// Ask a running thread to stop.
    fn interrupt(&mut self, tid: Tid) -> Result<(), Errno>;
    fn detach(&mut self, tid: Tid, signal: i32) -> Result<(), Errno>;
    /// The tid of the thread a PTRACE_EVENT_CLONE stop just created.
    fn new_thread_id(&mut self, tid: Tid) -> Result<Tid, Errno>;
    /// The `si_code` of the signal that stopped `tid`.
    fn signal_code(&mut self, tid: Tid) -> Result<i32, Errno>;
    /// Load DR0-DR3 and DR7 into a stopped thread.
    fn set_debug_registers(
        &mut self,
        tid: Tid,
        addresses: [u64; 4],
        control: u64,
    ) -> Result<(), Errno>;
    /// Read DR6 (which slot fired) and clear it for the next hit.
    fn take_debug_status(&mut self, tid: Tid) -> Result<u64, Errno>;
    /// Whether a SIGTRAP is queued for `tid` (and not yet delivered).
    fn has_pending_sigtrap(&mut self, tid: Tid) -> bool;
    /// The whole `siginfo_t` of the signal that stopped `tid`, raw.
    fn siginfo(&mut self, tid: Tid) -> Result<Vec<u8>, Errno>;
    /// Replace it, whole.
    fn set_siginfo(&mut self, tid: Tid, siginfo: &[u8]) -> Result<(), Errno>;
    fn registers(&mut self, tid: Tid) -> Result<Registers, Errno>;
    fn set_registers(&mut self, tid: Tid, regs: &Registers) -> Result<(), Errno>;
    fn pc(&mut self, tid: Tid) -> Result<u64, Errno>;
    fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<(), Errno>;
    /// The frame pointer, stack pointer and pc (rbp, rsp, rip).
    fn frame_registers(&mut self, tid: Tid) -> Result<[u64; 3], Errno>;
    /// GDB register `regnum` of a stopped thread whose code runs in `mode`,
    /// if it is one of the general registers (cheap: what a breakpoint
    /// condition reads at every hit); `None` for the others.
    fn general_register(
        &mut self,
        tid: Tid,
        mode: Mode,
        regnum: usize,
    ) -> Result<Option<u64>, Errno>;
    /// Send `signal` to the whole process (SIGKILL to kill it).
    fn send_signal(&mut self, signal: i32) -> Result<(), Errno>;
    /// Block until thread `tid` of ours reports a status (the statuses of
    /// every other task stay queued for whoever waits for them).
    fn wait_for(&mut self, tid: Tid) -> Result<Option<WaitStatus>, Errno>;
    /// A tracer for process `pid` (a forked child we keep).
    fn for_process(&self, pid: Tid) -> Result<Self, Errno>
    where
        Self: Sized;
    /// Write into the memory of a forked child.
    fn write_child_memory(&mut self, child: Tid, addr: u64, data: &[u8]) -> Result<(), Errno>;
    /// The process has a new address space (exec): reopen what refers to the old.
    fn exec_happened(&mut self) -> Result<(), Errno>;

    // What /proc tells of the process.
    /// The name of thread `tid` (its `comm`), as `info threads` shows it.
    fn thread_name(&mut self, tid: Tid) -> Result<String, Errno>;
    /// The CPU thread `tid` last ran on.
    fn thread_core(&mut self, tid: Tid) -> Result<u32, Errno>;
    /// The program's executable, as the kernel resolved it.
    fn executable_path(&mut self) -> Result<PathBuf, Errno>;
    /// The auxiliary vector the kernel gave the program, raw.
    fn auxv(&mut self) -> Result<Vec<u8>, Errno>;
    /// The memory mappings, in address order.
    fn memory_maps(&mut self) -> Result<Vec<Mapping>, Errno>;
    /// The parent pid and the real and effective user and group ids.
    fn process_status(&mut self) -> Result<ProcessStatus, Errno>;
}

/// Waiting for any task we trace, whichever process it belongs to: one
/// waiter serves them all (every tracee of this thread reports to it).
pub trait Waiter {
    /// The next wait status of any of our tasks; `None` if nothing is
    /// pending (only when `block` is false) or no task is left.
    fn wait(&mut self, block: bool) -> Result<Option<WaitStatus>, Errno>;
    /// The process a task we have not heard of yet belongs to: its thread
    /// group, or, for a new process, its parent.
    fn owner(&mut self, tid: Tid) -> Option<Tid>;
}

/// The real waiter: `waitpid(-1, __WALL | __WNOTHREAD)`.
#[derive(Debug, Default)]
pub struct LiveWaiter;

impl Waiter for LiveWaiter {
    fn wait(&mut self, block: bool) -> Result<Option<WaitStatus>, Errno> {
        if block {
            wait::wait_for(-1)
        } else {
            wait::poll_any()
        }
    }

    fn owner(&mut self, tid: Tid) -> Option<Tid> {
        let group = procfs::thread_group(tid).ok()?;
        if group != tid {
            return Some(group);
        }
        procfs::process_status(tid).ok().map(|s| s.parent_pid)
    }
}

/// The real thing: ptrace on the threads of process `pid`.
#[derive(Debug)]
pub struct LiveTracer {
    pid: Tid,
    mem: MemFile,
    /// General registers of stopped threads as last read or written: they
    /// change only while the thread runs, so a resume forgets them.
    general: HashMap<Tid, ptrace::UserRegs>,
    /// The same for the x87/SSE area and, when the host has XSAVE, the
    /// XSAVE area (AVX...): a `g` per stop reads them once.
    extended: HashMap<Tid, (ptrace::FxSave, Option<Vec<u8>>)>,
}

impl LiveTracer {
    pub fn new(pid: Tid) -> std::io::Result<LiveTracer> {
        Ok(LiveTracer {
            pid,
            mem: MemFile::open(pid)?,
            general: HashMap::new(),
            extended: HashMap::new(),
        })
    }
}

impl LiveTracer {
    fn general_registers(&mut self, tid: Tid) -> Result<ptrace::UserRegs, Errno> {
        if let Some(regs) = self.general.get(&tid) {
            return Ok(*regs);
        }
        let regs = ptrace::get_regs(tid)?;
        self.general.insert(tid, regs);
        Ok(regs)
    }

    fn set_general_registers(&mut self, tid: Tid, regs: &ptrace::UserRegs) -> Result<(), Errno> {
        self.general.remove(&tid);
        ptrace::set_regs(tid, regs)?;
        self.general.insert(tid, *regs);
        Ok(())
    }
}

fn io_errno(e: std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// A /proc file that is not there: the process or thread is gone, which
/// the model hears as ESRCH like any other request on a vanished tracee.
fn proc_errno(e: std::io::Error) -> Errno {
    match io_errno(e) {
        Errno::ENOENT => Errno::ESRCH,
        errno => errno,
    }
}

impl MemoryReader for LiveTracer {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        match memory::read_vm(self.pid, addr, buf) {
            Ok(n) if n == buf.len() => Ok(n),
            // Short or failed: /proc/PID/mem also reads pages that
            // process_vm_readv refuses (e.g. without read permission).
            _ => self.mem.read(addr, buf).map_err(io_errno),
        }
    }
}

impl MemoryWriter for LiveTracer {
    fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.mem.write(addr, data).map_err(io_errno)
    }
}

impl Tracer for LiveTracer {
    fn resume(&mut self, tid: Tid, how: TraceMode, signal: i32) -> Result<(), Errno> {
        self.general.remove(&tid);
        self.extended.remove(&tid);
        match how {
            TraceMode::Continue => ptrace::cont(tid, signal),
            TraceMode::Step => ptrace::single_step(tid, signal),
            TraceMode::ToSyscall => ptrace::cont_to_syscall(tid, signal),
        }
    }

    fn syscall_stop(&mut self, tid: Tid) -> Result<(bool, u64), Errno> {
        let entry = ptrace::at_syscall_entry(tid)?;
        // orig_rax holds the number at both ends of the syscall.
        Ok((entry, self.general_registers(tid)?.orig_rax))
    }

    fn interrupt(&mut self, tid: Tid) -> Result<(), Errno> {
        ptrace::interrupt(tid)
    }

    fn detach(&mut self, tid: Tid, signal: i32) -> Result<(), Errno> {
        self.general.remove(&tid);
        self.extended.remove(&tid);
        ptrace::detach(tid, signal)
    }

    fn new_thread_id(&mut self, tid: Tid) -> Result<Tid, Errno> {
        Ok(ptrace::event_message(tid)? as Tid)
    }

    fn signal_code(&mut self, tid: Tid) -> Result<i32, Errno> {
        Ok(ptrace::siginfo(tid)?.si_code)
    }

    fn siginfo(&mut self, tid: Tid) -> Result<Vec<u8>, Errno> {
        ptrace::siginfo_bytes(tid)
    }

    fn set_siginfo(&mut self, tid: Tid, siginfo: &[u8]) -> Result<(), Errno> {
        ptrace::set_siginfo_bytes(tid, siginfo)
    }

    fn has_pending_sigtrap(&mut self, tid: Tid) -> bool {
        procfs::thread_pending_signals(self.pid, tid)
            .is_ok_and(|mask| mask & (1 << (libc::SIGTRAP - 1)) != 0)
    }

    fn set_debug_registers(
        &mut self,
        tid: Tid,
        addresses: [u64; 4],
        control: u64,
    ) -> Result<(), Errno> {
        // Disable first: the kernel checks each address against DR7 as it stands.
        ptrace::set_debug_register(tid, 7, 0)?;
        for (i, &addr) in addresses.iter().enumerate() {
            ptrace::set_debug_register(tid, i, addr)?;
        }
        ptrace::set_debug_register(tid, 7, control)
    }

    fn take_debug_status(&mut self, tid: Tid) -> Result<u64, Errno> {
        let status = ptrace::debug_register(tid, 6)?;
        ptrace::set_debug_register(tid, 6, 0)?;
        Ok(status)
    }

    fn registers(&mut self, tid: Tid) -> Result<Registers, Errno> {
        let regs = self.general_registers(tid)?;
        if let Some((fx, xstate)) = self.extended.get(&tid) {
            return Ok(Registers::from_kernel(&regs, fx, xstate.clone()));
        }
        // The XSAVE area holds the FXSAVE one and more; without XSAVE (or
        // if the kernel refuses it) the FXSAVE area alone.
        let xstate = if Features::host().avx || Features::host().pkeys {
            ptrace::get_xstate(tid, xsave_size()).ok()
        } else {
            None
        };
        let fx = match &xstate {
            Some(_) => ptrace::FxSave::default(),
            None => ptrace::get_fpregs(tid)?,
        };
        let registers = Registers::from_kernel(&regs, &fx, xstate.clone());
        self.extended.insert(tid, (fx, xstate));
        Ok(registers)
    }

    fn set_registers(&mut self, tid: Tid, regs: &Registers) -> Result<(), Errno> {
        let (gpr, fx, xstate) = regs.to_kernel();
        self.set_general_registers(tid, &gpr)?;
        // Read back next time: the kernel may tidy what it was given.
        self.extended.remove(&tid);
        match xstate {
            Some(area) => ptrace::set_xstate(tid, &area),
            None => ptrace::set_fpregs(tid, &fx),
        }
    }

    fn pc(&mut self, tid: Tid) -> Result<u64, Errno> {
        Ok(self.general_registers(tid)?.rip)
    }

    fn frame_registers(&mut self, tid: Tid) -> Result<[u64; 3], Errno> {
        let regs = self.general_registers(tid)?;
        Ok([regs.rbp, regs.rsp, regs.rip])
    }

    fn general_register(
        &mut self,
        tid: Tid,
        mode: Mode,
        regnum: usize,
    ) -> Result<Option<u64>, Errno> {
        let regs = self.general_registers(tid)?;
        Ok(general_register(&regs, mode, regnum))
    }

    fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<(), Errno> {
        let mut regs = self.general_registers(tid)?;
        regs.rip = pc;
        self.set_general_registers(tid, &regs)
    }

    fn send_signal(&mut self, signal: i32) -> Result<(), Errno> {
        spawn::kill_process(self.pid, signal)
    }

    fn wait_for(&mut self, tid: Tid) -> Result<Option<WaitStatus>, Errno> {
        wait::wait_for(tid)
    }

    fn for_process(&self, pid: Tid) -> Result<Self, Errno> {
        LiveTracer::new(pid).map_err(io_errno)
    }

    fn write_child_memory(&mut self, child: Tid, addr: u64, data: &[u8]) -> Result<(), Errno> {
        MemFile::open(child)
            .and_then(|mem| mem.write(addr, data))
            .map_err(io_errno)
    }

    fn exec_happened(&mut self) -> Result<(), Errno> {
        self.general.clear();
        self.extended.clear();
        self.mem = MemFile::open(self.pid).map_err(io_errno)?;
        Ok(())
    }

    fn thread_name(&mut self, tid: Tid) -> Result<String, Errno> {
        procfs::thread_name(self.pid, tid).map_err(proc_errno)
    }

    fn thread_core(&mut self, tid: Tid) -> Result<u32, Errno> {
        procfs::thread_core(self.pid, tid).map_err(proc_errno)
    }

    fn executable_path(&mut self) -> Result<PathBuf, Errno> {
        procfs::exe_path(self.pid).map_err(proc_errno)
    }

    fn auxv(&mut self) -> Result<Vec<u8>, Errno> {
        procfs::auxv(self.pid).map_err(proc_errno)
    }

    fn memory_maps(&mut self) -> Result<Vec<Mapping>, Errno> {
        procfs::memory_maps(self.pid).map_err(proc_errno)
    }

    fn process_status(&mut self) -> Result<ProcessStatus, Errno> {
        procfs::process_status(self.pid).map_err(proc_errno)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn our_own_process_through_proc() {
        let pid = std::process::id() as Tid;
        let mut tracer = LiveTracer::new(pid).unwrap();
        let exe = std::env::current_exe().unwrap();
        assert_eq!(tracer.executable_path().unwrap(), exe);
        assert!(!tracer.thread_name(pid).unwrap().is_empty());
        let maps = tracer.memory_maps().unwrap();
        assert!(maps.iter().any(|m| m.name == "[stack]"), "{maps:?}");
        let status = tracer.process_status().unwrap();
        assert_eq!(
            status.parent_pid as u32,
            std::os::unix::process::parent_id()
        );
        assert!(!tracer.auxv().unwrap().is_empty());
        // A thread that is not there is a thread gone.
        assert_eq!(tracer.thread_name(Tid::MAX), Err(Errno::ESRCH));
    }
}
