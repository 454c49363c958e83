//! A tracer with no process behind it: it records requests and answers
//! from tables the test fills in, so the model can be tested on synthetic
//! wait statuses, fake memory and fake /proc facts.

use crate::arch::x86_64::{Mode, Registers};
use crate::inferior::tracer::{MemoryReader, MemoryWriter, TraceMode, Tracer, Waiter};
use crate::sys::procfs::{Mapping, ProcessStatus};
use crate::sys::wait::WaitStatus;
use crate::sys::{Errno, Tid};
use std::collections::{BTreeMap, VecDeque};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    Resume {
        tid: Tid,
        step: bool,
        signal: i32,
    },
    Interrupt(Tid),
    Detach {
        tid: Tid,
        signal: i32,
    },
    Kill,
    /// Another signal to the whole process.
    Signal(i32),
    ToSyscall(Tid),
    ChildWrite {
        child: Tid,
        addr: u64,
        data: Vec<u8>,
    },
    DebugRegisters {
        tid: Tid,
        addresses: [u64; 4],
        control: u64,
    },
}

/// Memory the test did not write reads as this (a `nop`).
pub const UNWRITTEN: u8 = 0x90;

#[derive(Default)]
pub struct FakeTracer {
    pub ops: Vec<Op>,
    pub pcs: BTreeMap<Tid, u64>,
    pub signal_codes: BTreeMap<Tid, i32>,
    /// Each thread's siginfo (all zeros until written).
    pub siginfos: BTreeMap<Tid, Vec<u8>>,
    pub new_threads: BTreeMap<Tid, Tid>,
    pub memory: BTreeMap<u64, u8>,
    /// Statuses `wait_for` hands out (the first of the thread asked for).
    pub statuses: VecDeque<WaitStatus>,
    /// Threads that have died: requests on them fail with ESRCH (the
    /// process's facts too, once its leader is among them).
    pub dead: Vec<Tid>,
    /// (entry?, number) of each thread's syscall stop.
    pub syscalls: BTreeMap<Tid, (bool, u64)>,
    /// Threads with a SIGTRAP queued behind their interrupt stop.
    pub pending_sigtraps: Vec<Tid>,
    /// DR6 per thread, as the next hardware trap leaves it.
    pub debug_status: BTreeMap<Tid, u64>,
    /// The code segment every thread's registers show.
    pub mode: Mode,
    /// General registers by (thread, GDB number), for breakpoint conditions.
    pub gprs: BTreeMap<(Tid, usize), u64>,
    /// What /proc would say.
    pub pid: Tid,
    pub names: BTreeMap<Tid, String>,
    pub executable: PathBuf,
    pub auxv: Vec<u8>,
    pub maps: Vec<Mapping>,
    pub status: ProcessStatus,
}

impl FakeTracer {
    fn alive(&self, tid: Tid) -> Result<(), Errno> {
        if self.dead.contains(&tid) {
            Err(Errno::ESRCH)
        } else {
            Ok(())
        }
    }

    /// Put `bytes` in memory at `addr`.
    pub fn poke(&mut self, addr: u64, bytes: &[u8]) {
        self.memory.extend((addr..).zip(bytes.iter().copied()));
    }

    /// Put `value` in memory at `addr`, as a little-endian word of `size` bytes.
    pub fn poke_word(&mut self, addr: u64, value: u64, size: usize) {
        self.poke(addr, &value.to_le_bytes()[..size]);
    }
}

impl MemoryReader for FakeTracer {
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self
                .memory
                .get(&(addr + i as u64))
                .copied()
                .unwrap_or(UNWRITTEN);
        }
        Ok(buf.len())
    }
}

impl MemoryWriter for FakeTracer {
    fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.poke(addr, data);
        Ok(())
    }
}

impl Tracer for FakeTracer {
    fn resume(&mut self, tid: Tid, how: TraceMode, signal: i32) -> Result<(), Errno> {
        self.alive(tid)?;
        let step = how == TraceMode::Step;
        if how == TraceMode::ToSyscall {
            self.ops.push(Op::ToSyscall(tid));
        }
        self.ops.push(Op::Resume { tid, step, signal });
        Ok(())
    }
    fn interrupt(&mut self, tid: Tid) -> Result<(), Errno> {
        self.alive(tid)?;
        self.ops.push(Op::Interrupt(tid));
        Ok(())
    }
    fn detach(&mut self, tid: Tid, signal: i32) -> Result<(), Errno> {
        self.ops.push(Op::Detach { tid, signal });
        Ok(())
    }
    fn new_thread_id(&mut self, tid: Tid) -> Result<Tid, Errno> {
        self.new_threads.get(&tid).copied().ok_or(Errno::EINVAL)
    }
    fn set_debug_registers(
        &mut self,
        tid: Tid,
        addresses: [u64; 4],
        control: u64,
    ) -> Result<(), Errno> {
        self.ops.push(Op::DebugRegisters {
            tid,
            addresses,
            control,
        });
        Ok(())
    }
    fn take_debug_status(&mut self, tid: Tid) -> Result<u64, Errno> {
        Ok(self.debug_status.remove(&tid).unwrap_or(0))
    }
    fn has_pending_sigtrap(&mut self, tid: Tid) -> bool {
        self.pending_sigtraps.contains(&tid)
    }
    fn siginfo(&mut self, tid: Tid) -> Result<Vec<u8>, Errno> {
        Ok(self.siginfos.get(&tid).cloned().unwrap_or(vec![0; 128]))
    }
    fn set_siginfo(&mut self, tid: Tid, siginfo: &[u8]) -> Result<(), Errno> {
        self.alive(tid)?;
        self.siginfos.insert(tid, siginfo.to_vec());
        Ok(())
    }
    fn signal_code(&mut self, tid: Tid) -> Result<i32, Errno> {
        Ok(self.signal_codes.get(&tid).copied().unwrap_or(0))
    }
    fn registers(&mut self, tid: Tid) -> Result<Registers, Errno> {
        let mut regs = Registers {
            mode: self.mode,
            ..Registers::default()
        };
        regs.set_pc(self.pc(tid)?);
        Ok(regs)
    }
    fn set_registers(&mut self, tid: Tid, regs: &Registers) -> Result<(), Errno> {
        self.set_pc(tid, regs.pc())
    }
    fn pc(&mut self, tid: Tid) -> Result<u64, Errno> {
        self.alive(tid)?;
        Ok(self.pcs.get(&tid).copied().unwrap_or(0))
    }
    fn frame_registers(&mut self, tid: Tid) -> Result<[u64; 3], Errno> {
        Ok([0, 0, self.pc(tid)?])
    }
    fn general_register(
        &mut self,
        tid: Tid,
        _mode: Mode,
        regnum: usize,
    ) -> Result<Option<u64>, Errno> {
        self.alive(tid)?;
        Ok(self.gprs.get(&(tid, regnum)).copied())
    }
    fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<(), Errno> {
        self.pcs.insert(tid, pc);
        Ok(())
    }
    fn syscall_stop(&mut self, tid: Tid) -> Result<(bool, u64), Errno> {
        Ok(self.syscalls.get(&tid).copied().unwrap_or((true, 0)))
    }
    fn send_signal(&mut self, signal: i32) -> Result<(), Errno> {
        self.ops.push(if signal == libc::SIGKILL {
            Op::Kill
        } else {
            Op::Signal(signal)
        });
        Ok(())
    }
    fn wait_for(&mut self, tid: Tid) -> Result<Option<WaitStatus>, Errno> {
        let at = self.statuses.iter().position(|s| s.tid() == tid);
        Ok(at.and_then(|i| self.statuses.remove(i)))
    }
    fn for_process(&self, pid: Tid) -> Result<Self, Errno> {
        Ok(FakeTracer {
            pid,
            mode: self.mode,
            ..FakeTracer::default()
        })
    }
    fn write_child_memory(&mut self, child: Tid, addr: u64, data: &[u8]) -> Result<(), Errno> {
        self.ops.push(Op::ChildWrite {
            child,
            addr,
            data: data.to_vec(),
        });
        Ok(())
    }
    fn exec_happened(&mut self) -> Result<(), Errno> {
        Ok(())
    }
    fn thread_name(&mut self, tid: Tid) -> Result<String, Errno> {
        self.alive(tid)?;
        self.names.get(&tid).cloned().ok_or(Errno::ESRCH)
    }
    fn thread_core(&mut self, tid: Tid) -> Result<u32, Errno> {
        self.alive(tid)?;
        Ok(0)
    }
    fn executable_path(&mut self) -> Result<PathBuf, Errno> {
        self.alive(self.pid)?;
        Ok(self.executable.clone())
    }
    fn auxv(&mut self) -> Result<Vec<u8>, Errno> {
        self.alive(self.pid)?;
        Ok(self.auxv.clone())
    }
    fn memory_maps(&mut self) -> Result<Vec<Mapping>, Errno> {
        self.alive(self.pid)?;
        Ok(self.maps.clone())
    }
    fn process_status(&mut self) -> Result<ProcessStatus, Errno> {
        self.alive(self.pid)?;
        Ok(self.status)
    }
}

/// A waiter with no processes behind it: it hands out the statuses the
/// test queued, and says who owns the tasks it was told of.
#[derive(Default)]
pub struct FakeWaiter {
    pub statuses: VecDeque<WaitStatus>,
    pub owners: BTreeMap<Tid, Tid>,
}

impl Waiter for FakeWaiter {
    fn wait(&mut self, _block: bool) -> Result<Option<WaitStatus>, Errno> {
        Ok(self.statuses.pop_front())
    }
    fn owner(&mut self, tid: Tid) -> Option<Tid> {
        self.owners.get(&tid).copied()
    }
}
