//! The process state machine fed synthetic wait statuses, including the
//! races of all-stop: stops that cross our stop requests, threads that exit
//! or appear while we stop everyone.

use super::process::{Action, Process, Report, ResumePlan};
use super::thread::{Resume, Stop, StopEvent, ThreadState};
use super::tracer::{TraceMode, Tracer};
use crate::arch::x86_64::Registers;
use crate::sys::wait::{PtraceEvent, WaitStatus};
use crate::sys::{Errno, Tid};
use std::collections::{BTreeMap, VecDeque};

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
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

/// A tracer with no process behind it: it records requests and answers
/// from tables the test fills in.
#[derive(Default)]
struct FakeTracer {
    ops: Vec<Op>,
    pcs: BTreeMap<Tid, u64>,
    signal_codes: BTreeMap<Tid, i32>,
    new_threads: BTreeMap<Tid, Tid>,
    memory: BTreeMap<u64, u8>,
    /// Statuses `wait` hands out, in order.
    statuses: VecDeque<WaitStatus>,
    /// Threads that have died: requests on them fail with ESRCH.
    dead: Vec<Tid>,
    /// (entry?, number) of each thread's syscall stop.
    syscalls: BTreeMap<Tid, (bool, u64)>,
    /// Threads with a SIGTRAP queued behind their interrupt stop.
    pending_sigtraps: Vec<Tid>,
    /// DR6 per thread, as the next hardware trap leaves it.
    debug_status: BTreeMap<Tid, u64>,
}

impl FakeTracer {
    fn alive(&self, tid: Tid) -> Result<(), Errno> {
        if self.dead.contains(&tid) {
            Err(Errno::ESRCH)
        } else {
            Ok(())
        }
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
    fn siginfo(&mut self, _tid: Tid) -> Result<Vec<u8>, Errno> {
        Ok(vec![0; 128])
    }
    fn signal_code(&mut self, tid: Tid) -> Result<i32, Errno> {
        Ok(self.signal_codes.get(&tid).copied().unwrap_or(0))
    }
    fn registers(&mut self, tid: Tid) -> Result<Registers, Errno> {
        let mut regs = Registers::default();
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
    fn set_pc(&mut self, tid: Tid, pc: u64) -> Result<(), Errno> {
        self.pcs.insert(tid, pc);
        Ok(())
    }
    fn read_memory(&mut self, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        for (i, b) in buf.iter_mut().enumerate() {
            *b = self.memory.get(&(addr + i as u64)).copied().unwrap_or(0x90);
        }
        Ok(buf.len())
    }
    fn write_memory(&mut self, addr: u64, data: &[u8]) -> Result<(), Errno> {
        for (i, &b) in data.iter().enumerate() {
            self.memory.insert(addr + i as u64, b);
        }
        Ok(())
    }
    fn wait(&mut self, _block: bool) -> Result<Option<WaitStatus>, Errno> {
        Ok(self.statuses.pop_front())
    }
    fn syscall_stop(&mut self, tid: Tid) -> Result<(bool, u64), Errno> {
        Ok(self.syscalls.get(&tid).copied().unwrap_or((true, 0)))
    }
    fn kill(&mut self) -> Result<(), Errno> {
        self.ops.push(Op::Kill);
        Ok(())
    }
    fn wait_for(&mut self, tid: Tid) -> Result<Option<WaitStatus>, Errno> {
        let at = self.statuses.iter().position(|s| s.tid() == tid);
        Ok(at.and_then(|i| self.statuses.remove(i)))
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
}

const PID: Tid = 100;
const A: Tid = 101;
const B: Tid = 102;
const BP: u64 = 0x4000;
const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;

fn continue_all() -> ResumePlan {
    ResumePlan {
        actions: BTreeMap::new(),
        others: Some(Action {
            resume: Resume::Continue,
            signal: 0,
        }),
    }
}

fn interrupt_stop(tid: Tid) -> WaitStatus {
    WaitStatus::Event {
        tid,
        event: PtraceEvent::Stop,
        signal: libc::SIGTRAP,
    }
}

fn sigtrap(tid: Tid) -> WaitStatus {
    WaitStatus::SignalStop {
        tid,
        signal: libc::SIGTRAP,
    }
}

/// Three threads stopped, a breakpoint at BP, everyone resumed.
fn running_process() -> Process<FakeTracer> {
    let mut p = Process::new(PID, FakeTracer::default(), &[PID, A, B]);
    p.insert_breakpoint(BP).unwrap();
    p.resume(continue_all()).unwrap();
    p.tracer().ops.clear();
    p
}

/// `tid` executes the int3 at BP: SIGTRAP from the kernel, pc one past it.
fn hit_breakpoint(p: &mut Process<FakeTracer>, tid: Tid) {
    p.tracer().pcs.insert(tid, BP + 1);
    p.tracer().signal_codes.insert(tid, SI_KERNEL);
    p.handle(sigtrap(tid));
}

fn feed(p: &mut Process<FakeTracer>, statuses: &[WaitStatus]) -> Option<Report> {
    p.tracer().statuses.extend(statuses.iter().copied());
    p.poll().unwrap()
}

#[test]
fn breakpoint_hit_stops_everyone_before_it_is_reported() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    assert_eq!(p.tracer().pcs[&A], BP, "pc backed up onto the breakpoint");
    assert_eq!(p.tracer().ops, vec![Op::Interrupt(PID), Op::Interrupt(B)]);
    // Not reported while PID and B still run.
    assert_eq!(feed(&mut p, &[interrupt_stop(PID)]), None);
    assert_eq!(
        feed(&mut p, &[interrupt_stop(B)]),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
    assert!(p.is_stopped());
}

#[test]
fn a_stop_racing_our_interrupt_is_kept_and_reported_next() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    // B hits the breakpoint too before our interrupt lands: that stop is
    // its stop (the kernel drops the interrupt), and it must not be lost.
    p.tracer().pcs.insert(B, BP + 1);
    p.tracer().signal_codes.insert(B, SI_KERNEL);
    let first = feed(&mut p, &[interrupt_stop(PID), sigtrap(B)]);
    assert_eq!(
        first,
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
    assert_eq!(
        p.thread_state(B),
        Some(ThreadState::Stopped(Stop::Pending(StopEvent::Breakpoint)))
    );
    // The next resume runs nothing and reports B at once.
    p.tracer().ops.clear();
    p.resume(continue_all()).unwrap();
    assert_eq!(p.tracer().ops, vec![]);
    assert_eq!(
        feed(&mut p, &[]),
        Some(Report::Thread {
            tid: B,
            event: StopEvent::Breakpoint
        })
    );
}

#[test]
fn a_late_interrupt_stop_is_not_reported_twice() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]).unwrap();
    p.remove_breakpoint(BP).unwrap();
    p.resume(continue_all()).unwrap();
    p.tracer().ops.clear();
    // A stray interrupt stop of a running thread: resumed silently.
    assert_eq!(feed(&mut p, &[interrupt_stop(B)]), None);
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: B,
            step: false,
            signal: 0
        }]
    );
    assert_eq!(
        p.thread_state(B),
        Some(ThreadState::Running(Resume::Continue))
    );
}

#[test]
fn a_thread_exiting_while_we_stop_all_does_not_block_the_report() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    let exit_event = WaitStatus::Event {
        tid: B,
        event: PtraceEvent::Exit,
        signal: libc::SIGTRAP,
    };
    let report = feed(&mut p, &[exit_event, interrupt_stop(PID)]);
    assert_eq!(
        report,
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
    assert_eq!(p.thread_ids().collect::<Vec<_>>(), vec![PID, A]);
    // Its last status reaps it.
    p.handle(WaitStatus::Exited { tid: B, code: 0 });
    assert_eq!(p.thread_state(B), None);
}

#[test]
fn new_threads_run_whichever_event_comes_first() {
    for clone_first in [true, false] {
        let mut p = running_process();
        let c: Tid = 103;
        p.tracer().new_threads.insert(A, c);
        let clone = WaitStatus::Event {
            tid: A,
            event: PtraceEvent::Clone,
            signal: libc::SIGTRAP,
        };
        let order = if clone_first {
            [clone, interrupt_stop(c)]
        } else {
            [interrupt_stop(c), clone]
        };
        assert_eq!(feed(&mut p, &order), None);
        assert_eq!(
            p.thread_state(c),
            Some(ThreadState::Running(Resume::Continue))
        );
        assert_eq!(
            p.thread_state(A),
            Some(ThreadState::Running(Resume::Continue))
        );
        assert_eq!(p.thread_ids().count(), 4);
    }
}

#[test]
fn a_new_thread_during_stop_all_stays_stopped_and_is_waited_for() {
    let mut p = running_process();
    let c: Tid = 103;
    p.tracer().new_threads.insert(B, c);
    hit_breakpoint(&mut p, A);
    let clone = WaitStatus::Event {
        tid: B,
        event: PtraceEvent::Clone,
        signal: libc::SIGTRAP,
    };
    // The clone stop stands for B's stop; C's first stop is still due.
    assert_eq!(feed(&mut p, &[interrupt_stop(PID), clone]), None);
    let report = feed(&mut p, &[interrupt_stop(c)]);
    assert!(matches!(report, Some(Report::Thread { tid: A, .. })));
    assert_eq!(p.thread_state(c), Some(ThreadState::Stopped(Stop::Quiet)));
}

#[test]
fn continuing_from_an_inserted_breakpoint_steps_over_it_alone() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]).unwrap();
    p.tracer().ops.clear();
    p.resume(continue_all()).unwrap();
    // Only A runs, one step, with the original byte back in place.
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: A,
            step: true,
            signal: 0
        }]
    );
    assert_eq!(p.tracer().memory[&BP], 0x90);
    p.tracer().ops.clear();
    p.tracer().pcs.insert(A, BP + 2);
    p.tracer().signal_codes.insert(A, TRAP_TRACE);
    assert_eq!(
        feed(&mut p, &[sigtrap(A)]),
        None,
        "a step-over is not reported"
    );
    assert_eq!(p.tracer().memory[&BP], 0xcc, "breakpoint back in");
    let resumed: Vec<Tid> = p
        .tracer()
        .ops
        .iter()
        .filter_map(|op| match op {
            Op::Resume {
                tid, step: false, ..
            } => Some(*tid),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, vec![PID, A, B]);
}

#[test]
fn a_step_requested_on_a_breakpoint_is_reported_as_a_step() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]).unwrap();
    let mut plan = continue_all();
    plan.actions.insert(
        A,
        Action {
            resume: Resume::Step,
            signal: 0,
        },
    );
    plan.others = None;
    p.resume(plan).unwrap();
    p.tracer().pcs.insert(A, BP + 2);
    p.tracer().signal_codes.insert(A, TRAP_TRACE);
    assert_eq!(
        feed(&mut p, &[sigtrap(A)]),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Stepped
        })
    );
    assert_eq!(p.tracer().memory[&BP], 0xcc);
}

#[test]
fn a_pending_breakpoint_stop_is_dropped_once_the_breakpoint_is_removed() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    p.tracer().pcs.insert(B, BP + 1);
    p.tracer().signal_codes.insert(B, SI_KERNEL);
    feed(&mut p, &[interrupt_stop(PID), sigtrap(B)]).unwrap();
    p.remove_breakpoint(BP).unwrap();
    p.tracer().ops.clear();
    p.resume(continue_all()).unwrap();
    assert_eq!(feed(&mut p, &[]), None);
    assert!(p.tracer().ops.contains(&Op::Resume {
        tid: B,
        step: false,
        signal: 0
    }));
}

#[test]
fn ctrl_c_stops_everyone_and_reports_an_interrupt() {
    let mut p = running_process();
    p.interrupt();
    assert_eq!(
        p.tracer().ops,
        vec![Op::Interrupt(PID), Op::Interrupt(A), Op::Interrupt(B)]
    );
    let report = feed(
        &mut p,
        &[interrupt_stop(PID), interrupt_stop(A), interrupt_stop(B)],
    );
    assert!(matches!(report, Some(Report::Interrupted { .. })));
}

#[test]
fn a_signal_is_reported_and_delivered_as_the_client_says() {
    let mut p = running_process();
    p.handle(WaitStatus::SignalStop {
        tid: A,
        signal: libc::SIGUSR1,
    });
    let report = feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]);
    assert_eq!(
        report,
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Signal(libc::SIGUSR1)
        })
    );
    let mut plan = continue_all();
    plan.actions.insert(
        A,
        Action {
            resume: Resume::Continue,
            signal: libc::SIGUSR1,
        },
    );
    p.tracer().ops.clear();
    p.resume(plan).unwrap();
    assert!(p.tracer().ops.contains(&Op::Resume {
        tid: A,
        step: false,
        signal: libc::SIGUSR1
    }));
}

#[test]
fn the_leaders_exit_ends_the_process() {
    let mut p = running_process();
    let report = feed(
        &mut p,
        &[
            WaitStatus::Exited { tid: A, code: 0 },
            WaitStatus::Exited { tid: B, code: 0 },
            WaitStatus::Exited { tid: PID, code: 7 },
        ],
    );
    assert_eq!(report, Some(Report::Exited(7)));
    assert!(p.is_gone());
}

#[test]
fn detach_restores_code_and_hands_back_unreported_signals() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    feed(
        &mut p,
        &[
            interrupt_stop(PID),
            WaitStatus::SignalStop {
                tid: B,
                signal: libc::SIGUSR2,
            },
        ],
    )
    .unwrap();
    p.tracer().ops.clear();
    p.detach().unwrap();
    assert_eq!(p.tracer().memory[&BP], 0x90, "original byte restored");
    assert!(p.tracer().ops.contains(&Op::Detach {
        tid: B,
        signal: libc::SIGUSR2
    }));
    assert!(p.tracer().ops.contains(&Op::Detach { tid: A, signal: 0 }));
}

#[test]
fn memory_reads_never_show_our_int3() {
    let mut p = running_process();
    let mut buf = [0u8; 4];
    p.read_memory(BP - 1, &mut buf).unwrap();
    assert_eq!(buf, [0x90; 4]);
    assert_eq!(p.tracer().memory[&BP], 0xcc);
}

fn fork_event(tid: Tid, vfork: bool) -> WaitStatus {
    WaitStatus::Event {
        tid,
        event: if vfork {
            PtraceEvent::Vfork
        } else {
            PtraceEvent::Fork
        },
        signal: libc::SIGTRAP,
    }
}

#[test]
fn a_forked_child_loses_our_breakpoints_and_is_let_go() {
    for child_stops_first in [false, true] {
        let mut p = running_process();
        let child: Tid = 200;
        p.tracer().new_threads.insert(A, child);
        let events = if child_stops_first {
            [interrupt_stop(child), fork_event(A, false)]
        } else {
            [fork_event(A, false), interrupt_stop(child)]
        };
        assert_eq!(feed(&mut p, &events), None);
        let ops = &p.tracer().ops;
        assert!(
            ops.contains(&Op::ChildWrite {
                child,
                addr: BP,
                data: vec![0x90]
            }),
            "child stopped first: {child_stops_first}: {ops:?}"
        );
        assert!(ops.contains(&Op::Detach {
            tid: child,
            signal: 0
        }));
        assert_eq!(
            p.tracer().memory[&BP],
            0xcc,
            "the parent keeps its breakpoint"
        );
        assert_eq!(
            p.thread_state(A),
            Some(ThreadState::Running(Resume::Continue))
        );
        assert_eq!(p.thread_ids().count(), 3, "the child is no thread of ours");
    }
}

#[test]
fn a_vfork_lifts_breakpoints_until_the_child_is_done() {
    let mut p = running_process();
    let child: Tid = 200;
    p.tracer().new_threads.insert(A, child);
    feed(&mut p, &[fork_event(A, true), interrupt_stop(child)]);
    assert_eq!(
        p.tracer().memory[&BP],
        0x90,
        "lifted from the shared memory"
    );
    assert!(p.tracer().ops.contains(&Op::Detach {
        tid: child,
        signal: 0
    }));
    let done = WaitStatus::Event {
        tid: A,
        event: PtraceEvent::VforkDone,
        signal: libc::SIGTRAP,
    };
    feed(&mut p, &[done]);
    assert_eq!(p.tracer().memory[&BP], 0xcc, "back once the child is done");
}

#[test]
fn exec_forgets_breakpoints_and_threads_and_is_reported() {
    let mut p = running_process();
    let exec = WaitStatus::Event {
        tid: PID,
        event: PtraceEvent::Exec,
        signal: libc::SIGTRAP,
    };
    let report = feed(&mut p, &[exec]);
    assert_eq!(
        report,
        Some(Report::Thread {
            tid: PID,
            event: StopEvent::Exec
        })
    );
    assert_eq!(p.thread_ids().collect::<Vec<_>>(), vec![PID]);
    // Removing a breakpoint of the old program touches nothing.
    p.tracer().memory.insert(BP, 0x55);
    assert!(!p.remove_breakpoint(BP).unwrap());
    assert_eq!(p.tracer().memory[&BP], 0x55);
}

#[test]
fn passed_signals_are_delivered_without_a_stop() {
    let mut p = running_process();
    p.set_pass_signals([libc::SIGUSR1].into());
    let usr1 = |tid| WaitStatus::SignalStop {
        tid,
        signal: libc::SIGUSR1,
    };
    assert_eq!(feed(&mut p, &[usr1(A)]), None);
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: A,
            step: false,
            signal: libc::SIGUSR1
        }]
    );
    // One arriving while everyone is being stopped is held, then delivered.
    hit_breakpoint(&mut p, PID);
    let report = feed(&mut p, &[usr1(A), interrupt_stop(B)]);
    assert!(matches!(report, Some(Report::Thread { tid: PID, .. })));
    p.remove_breakpoint(BP).unwrap();
    p.tracer().ops.clear();
    p.resume(continue_all()).unwrap();
    assert!(p.tracer().ops.contains(&Op::Resume {
        tid: A,
        step: false,
        signal: libc::SIGUSR1
    }));
}

#[test]
fn caught_syscalls_stop_and_others_run_on() {
    let mut p = running_process();
    p.set_catch_syscalls(Some([1].into()));
    let syscall_stop = |tid| WaitStatus::SyscallStop { tid };
    // getpid (39) is not caught: the thread goes on, to the next syscall.
    p.tracer().syscalls.insert(A, (true, 39));
    assert_eq!(feed(&mut p, &[syscall_stop(A)]), None);
    assert!(p.tracer().ops.contains(&Op::ToSyscall(A)));
    // write (1) is.
    p.tracer().syscalls.insert(A, (true, 1));
    let report = feed(
        &mut p,
        &[syscall_stop(A), interrupt_stop(PID), interrupt_stop(B)],
    );
    assert_eq!(
        report,
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Syscall {
                entry: true,
                number: 1
            }
        })
    );
}

#[test]
fn a_range_step_goes_on_inside_its_range_and_reports_outside() {
    let mut p = Process::new(PID, FakeTracer::default(), &[PID]);
    let range = Resume::RangeStep {
        start: 0x1000,
        end: 0x1010,
    };
    let mut plan = ResumePlan::default();
    plan.actions.insert(
        PID,
        Action {
            resume: range,
            signal: 0,
        },
    );
    p.resume(plan).unwrap();
    p.tracer().signal_codes.insert(PID, TRAP_TRACE);
    p.tracer().pcs.insert(PID, 0x1004);
    assert_eq!(
        feed(&mut p, &[sigtrap(PID)]),
        None,
        "still in range: no report"
    );
    assert_eq!(p.thread_state(PID), Some(ThreadState::Running(range)));
    p.tracer().pcs.insert(PID, 0x2000);
    assert_eq!(
        feed(&mut p, &[sigtrap(PID)]),
        Some(Report::Thread {
            tid: PID,
            event: StopEvent::Stepped
        })
    );
    let steps = p
        .tracer()
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Resume { step: true, .. }))
        .count();
    assert_eq!(steps, 2);
}

#[test]
fn a_breakpoint_trap_queued_behind_an_interrupt_stop_is_not_lost() {
    let mut p = running_process();
    hit_breakpoint(&mut p, A);
    // B executed the int3 as our interrupt arrived: interrupt stop first,
    // pc one past the int3, SIGTRAP still queued.
    p.tracer().pcs.insert(B, BP + 1);
    p.tracer().pending_sigtraps.push(B);
    p.tracer().ops.clear();
    assert_eq!(
        feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]),
        None
    );
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: B,
            step: false,
            signal: 0
        }],
        "B is let go to take its trap"
    );
    p.tracer().pending_sigtraps.clear();
    p.tracer().signal_codes.insert(B, SI_KERNEL);
    let report = feed(&mut p, &[sigtrap(B)]);
    assert!(matches!(report, Some(Report::Thread { tid: A, .. })));
    assert_eq!(
        p.thread_state(B),
        Some(ThreadState::Stopped(Stop::Pending(StopEvent::Breakpoint)))
    );
    assert_eq!(p.tracer().pcs[&B], BP, "pc backed up");
}

#[test]
fn detach_reaps_exiting_threads_so_exitkill_cannot_touch_them() {
    let mut p = running_process();
    let exit_event = WaitStatus::Event {
        tid: B,
        event: PtraceEvent::Exit,
        signal: libc::SIGTRAP,
    };
    hit_breakpoint(&mut p, A);
    feed(&mut p, &[exit_event, interrupt_stop(PID)]).unwrap();
    assert_eq!(p.thread_state(B), Some(ThreadState::Zombie));
    p.tracer()
        .statuses
        .push_back(WaitStatus::Exited { tid: B, code: 0 });
    p.detach().unwrap();
    assert!(
        p.tracer().statuses.is_empty(),
        "B's last status was collected"
    );
    assert!(!p.tracer().ops.contains(&Op::Detach { tid: B, signal: 0 }));
}
