//! The process model driven by a fake tracer: synthetic wait statuses,
//! including the races of all-stop (stops that cross our stop requests,
//! threads that exit or appear while we stop everyone), fake memory and
//! fake /proc facts. One module per topic, sharing the tracer and the
//! helpers below.

mod all_stop;
mod conditions;
mod fake;
mod fork_exec;
mod lifecycle;
mod non_stop;
mod processes;
mod program;
mod signals;
mod stepping;

use super::process::{Action, Process, Report, ResumePlan};
use super::thread::{Resume, Stop, StopEvent, ThreadState};
use crate::sys::wait::{PtraceEvent, WaitStatus};
use crate::sys::Tid;
use fake::{FakeTracer, Op};
use std::collections::BTreeMap;

const PID: Tid = 100;
const A: Tid = 101;
const B: Tid = 102;
const BP: u64 = 0x4000;
const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;
const INT3: u8 = 0xcc;

/// A fake tracer for process PID.
fn fake_tracer() -> FakeTracer {
    FakeTracer {
        pid: PID,
        ..FakeTracer::default()
    }
}

fn continue_all() -> ResumePlan {
    ResumePlan {
        actions: BTreeMap::new(),
        others: Some(Action {
            resume: Resume::Continue,
            signal: 0,
        }),
    }
}

/// A PTRACE_EVENT stop of `tid`.
fn ptrace_event(tid: Tid, event: PtraceEvent) -> WaitStatus {
    WaitStatus::Event {
        tid,
        event,
        signal: libc::SIGTRAP,
    }
}

fn interrupt_stop(tid: Tid) -> WaitStatus {
    ptrace_event(tid, PtraceEvent::Stop)
}

fn sigtrap(tid: Tid) -> WaitStatus {
    WaitStatus::SignalStop {
        tid,
        signal: libc::SIGTRAP,
    }
}

/// Three threads stopped, a breakpoint at BP, everyone resumed.
fn running_process() -> Process<FakeTracer> {
    let mut p = Process::new(PID, fake_tracer(), &[PID, A, B]);
    p.insert_breakpoint(BP).unwrap();
    p.resume(continue_all()).unwrap();
    p.tracer().ops.clear();
    p
}

/// `tid` has executed the int3 at BP: its SIGTRAP is from the kernel and
/// its pc one past the int3.
fn at_breakpoint(p: &mut Process<FakeTracer>, tid: Tid) {
    p.tracer().pcs.insert(tid, BP + 1);
    p.tracer().signal_codes.insert(tid, SI_KERNEL);
}

/// `tid` executes the int3 at BP, and the SIGTRAP comes in.
fn hit_breakpoint(p: &mut Process<FakeTracer>, tid: Tid) {
    at_breakpoint(p, tid);
    p.handle(sigtrap(tid));
}

/// The kernel has `statuses` for the process: the waiter hands it each in
/// turn (what the process waits for itself, a new child's first stop, it
/// takes out of turn). Then the process's report.
fn feed(p: &mut Process<FakeTracer>, statuses: &[WaitStatus]) -> Option<Report> {
    p.tracer().statuses.extend(statuses.iter().copied());
    while let Some(status) = p.tracer().statuses.pop_front() {
        p.handle(status);
    }
    p.take_report()
}
