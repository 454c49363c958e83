//! Several processes (inferiors.rs): all-stop across them, what the others
//! had to say kept for later, statuses of tasks we have not heard of handed
//! to their process, and forked children kept as processes of their own.

use super::*;
use crate::inferior::inferiors::{Inferiors, Origin};
use fake::FakeWaiter;

/// The second process: one thread.
const Q: Tid = 200;
const CHILD: Tid = 300;

type Processes = Inferiors<FakeTracer, FakeWaiter>;

/// PID (threads PID, A, B) and Q (thread Q), both running.
fn two_running() -> Processes {
    let mut processes = Inferiors::new(FakeWaiter::default());
    processes.add(
        Process::new(PID, fake_tracer(), &[PID, A, B]),
        Origin::Launched,
    );
    let q_tracer = FakeTracer {
        pid: Q,
        ..FakeTracer::default()
    };
    processes.add(Process::new(Q, q_tracer, &[Q]), Origin::Attached);
    let plans = [(PID, continue_all()), (Q, continue_all())].into();
    processes.resume(plans).unwrap();
    for pid in [PID, Q] {
        tracer(&mut processes, pid).ops.clear();
    }
    processes
}

fn tracer(processes: &mut Processes, pid: Tid) -> &mut FakeTracer {
    processes.get_mut(pid).unwrap().process.tracer()
}

/// The waiter has `statuses`; then the stop to report, if any.
fn poll(processes: &mut Processes, statuses: &[WaitStatus]) -> Option<(Tid, Report)> {
    processes.waiter().statuses.extend(statuses.iter().copied());
    processes.poll().unwrap()
}

fn signal_stop(tid: Tid, signal: i32) -> WaitStatus {
    WaitStatus::SignalStop { tid, signal }
}

#[test]
fn a_stop_in_one_process_stops_the_others_first() {
    let mut processes = two_running();
    let stop = poll(&mut processes, &[signal_stop(A, libc::SIGUSR1)]);
    assert_eq!(stop, None, "PID's other threads and Q still run");
    assert_eq!(tracer(&mut processes, Q).ops, vec![Op::Interrupt(Q)]);
    assert_eq!(
        poll(&mut processes, &[interrupt_stop(PID), interrupt_stop(B)]),
        None,
        "Q still runs"
    );
    assert_eq!(
        poll(&mut processes, &[interrupt_stop(Q)]),
        Some((
            PID,
            Report::Thread {
                tid: A,
                event: StopEvent::Signal(libc::SIGUSR1)
            }
        ))
    );
    assert!(!processes.is_running());
}

#[test]
fn what_the_others_had_to_say_is_reported_at_the_next_resume() {
    let mut processes = two_running();
    poll(&mut processes, &[signal_stop(A, libc::SIGUSR1)]);
    // Q stopped for a signal of its own before our interrupt landed.
    let first = poll(
        &mut processes,
        &[
            interrupt_stop(PID),
            interrupt_stop(B),
            signal_stop(Q, libc::SIGUSR2),
        ],
    );
    assert_eq!(first.map(|(pid, _)| pid), Some(PID));
    // Resuming Q reports its stop without running anything.
    tracer(&mut processes, Q).ops.clear();
    processes.resume([(Q, continue_all())].into()).unwrap();
    assert_eq!(tracer(&mut processes, Q).ops, vec![]);
    assert_eq!(
        poll(&mut processes, &[]),
        Some((
            Q,
            Report::Thread {
                tid: Q,
                event: StopEvent::Signal(libc::SIGUSR2)
            }
        ))
    );
}

#[test]
fn a_process_that_ends_meanwhile_is_told_at_the_next_resume() {
    let mut processes = two_running();
    poll(&mut processes, &[signal_stop(A, libc::SIGUSR1)]);
    let exited = WaitStatus::Exited { tid: Q, code: 3 };
    let first = poll(
        &mut processes,
        &[interrupt_stop(PID), interrupt_stop(B), exited],
    );
    assert_eq!(first.map(|(pid, _)| pid), Some(PID));
    processes.drop_finished();
    assert!(processes.get(Q).is_some(), "kept until its end is told");
    tracer(&mut processes, PID).ops.clear();
    processes.resume([(PID, continue_all())].into()).unwrap();
    assert_eq!(tracer(&mut processes, PID).ops, vec![], "nothing ran");
    assert_eq!(poll(&mut processes, &[]), Some((Q, Report::Exited(3))));
    processes.drop_finished();
    assert!(processes.get(Q).is_none());
}

#[test]
fn stops_are_told_in_the_order_they_came() {
    let mut processes = two_running();
    // Q's exit came first (say it woke PID from waitpid), then PID's stop.
    let exited = WaitStatus::Exited { tid: Q, code: 0 };
    let first = poll(&mut processes, &[exited, signal_stop(A, libc::SIGUSR1)]);
    assert_eq!(first, None, "PID's other threads still run");
    let first = poll(&mut processes, &[interrupt_stop(PID), interrupt_stop(B)]);
    assert_eq!(first, Some((Q, Report::Exited(0))));
}

#[test]
fn an_unknown_task_goes_to_the_process_it_belongs_to() {
    let mut processes = two_running();
    // A new thread of Q stops before Q's clone event.
    const NEW: Tid = 201;
    processes.waiter().owners.insert(NEW, Q);
    tracer(&mut processes, Q).new_threads.insert(Q, NEW);
    poll(
        &mut processes,
        &[interrupt_stop(NEW), ptrace_event(Q, PtraceEvent::Clone)],
    );
    let q = &processes.get(Q).unwrap().process;
    assert_eq!(
        q.thread_state(NEW),
        Some(ThreadState::Running(Resume::Continue)),
        "its first stop was kept for it, and it joined its running siblings"
    );
    assert_eq!(processes.process_of(NEW), Some(Q));
}

#[test]
fn a_followed_fork_makes_a_process_with_our_breakpoints() {
    let mut processes: Processes = Inferiors::new(FakeWaiter::default());
    processes.set_follow_forks(true);
    let mut p = Process::new(PID, fake_tracer(), &[PID]);
    p.insert_breakpoint(BP).unwrap();
    processes.add(p, Origin::Attached);
    processes.resume([(PID, continue_all())].into()).unwrap();
    tracer(&mut processes, PID).new_threads.insert(PID, CHILD);
    // The child's first stop, which the parent waits for itself.
    tracer(&mut processes, PID)
        .statuses
        .push_back(interrupt_stop(CHILD));
    let stop = poll(&mut processes, &[ptrace_event(PID, PtraceEvent::Fork)]);
    assert_eq!(
        stop,
        Some((
            PID,
            Report::Thread {
                tid: PID,
                event: StopEvent::Forked { child: CHILD }
            }
        ))
    );
    let child = processes
        .get(CHILD)
        .expect("the child is a process of ours");
    assert_eq!(
        child.origin,
        Origin::Attached,
        "it leaves as its parent does"
    );
    assert!(child.process.is_stopped());
    assert_eq!(child.process.thread_ids().collect::<Vec<_>>(), vec![CHILD]);
    // Its memory is a copy of ours, int3 included: it has our breakpoint.
    let child = &mut processes.get_mut(CHILD).unwrap().process;
    child.tracer().memory.insert(BP, INT3);
    assert!(child.remove_breakpoint(BP).unwrap());
    assert_eq!(child.tracer().memory[&BP], fake::UNWRITTEN);
}

#[test]
fn a_followed_vfork_puts_our_breakpoints_back_when_done() {
    let mut processes: Processes = Inferiors::new(FakeWaiter::default());
    processes.set_follow_forks(true);
    let mut p = Process::new(PID, fake_tracer(), &[PID]);
    p.insert_breakpoint(BP).unwrap();
    processes.add(p, Origin::Launched);
    processes.resume([(PID, continue_all())].into()).unwrap();
    tracer(&mut processes, PID).new_threads.insert(PID, CHILD);
    tracer(&mut processes, PID)
        .statuses
        .push_back(interrupt_stop(CHILD));
    let stop = poll(&mut processes, &[ptrace_event(PID, PtraceEvent::Vfork)]);
    assert_eq!(
        stop.map(|(_, report)| report),
        Some(Report::Thread {
            tid: PID,
            event: StopEvent::Vforked { child: CHILD }
        })
    );
    // The client took the breakpoint out through the child (the memory is
    // shared), then let the child go.
    tracer(&mut processes, PID)
        .memory
        .insert(BP, fake::UNWRITTEN);
    processes.detach(CHILD).unwrap();
    processes.resume([(PID, continue_all())].into()).unwrap();
    let done = poll(&mut processes, &[ptrace_event(PID, PtraceEvent::VforkDone)]);
    assert_eq!(
        done.map(|(_, report)| report),
        Some(Report::Thread {
            tid: PID,
            event: StopEvent::VforkDone
        })
    );
    assert_eq!(tracer(&mut processes, PID).memory[&BP], INT3, "back in");
}

#[test]
fn a_process_that_ended_shows_its_main_thread_until_the_end_is_told() {
    let mut processes = two_running();
    poll(&mut processes, &[signal_stop(A, libc::SIGUSR1)]);
    tracer(&mut processes, Q).pcs.insert(Q, 0x7777);
    let exit_event = ptrace_event(Q, PtraceEvent::Exit);
    let exited = WaitStatus::Exited { tid: Q, code: 0 };
    poll(
        &mut processes,
        &[interrupt_stop(PID), interrupt_stop(B), exit_event, exited],
    )
    .expect("PID's stop is told");
    // Q's end is still to be told: its main thread is there, with the
    // registers it had at its exit (gdb needs a pc to resume).
    assert_eq!(processes.process_of(Q), Some(Q));
    assert_eq!(processes.threads_of(Q), vec![Q]);
    let q = &mut processes.get_mut(Q).unwrap().process;
    assert_eq!(q.read_registers(Q).unwrap().pc(), 0x7777);
}
