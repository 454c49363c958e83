//! Non-stop: a thread's stop is reported while the others run on; the
//! client stops and resumes threads one by one; stepping a thread off a
//! breakpoint regroups the running ones for that step; debug registers
//! are set with the running threads paused.

use super::*;
use crate::inferior::debug_registers::HwKind;

/// Three threads, a breakpoint at BP, non-stop, everyone resumed.
fn running_non_stop() -> Process<FakeTracer> {
    let mut p = Process::new(PID, fake_tracer(), &[PID, A, B]);
    p.set_non_stop(true);
    p.insert_breakpoint(BP).unwrap();
    p.resume(continue_all()).unwrap();
    p.tracer().ops.clear();
    p
}

fn continue_only(tid: Tid) -> ResumePlan {
    let mut plan = ResumePlan::default();
    plan.actions.insert(
        tid,
        Action {
            resume: Resume::Continue,
            signal: 0,
        },
    );
    plan
}

fn running(p: &Process<FakeTracer>, tid: Tid) -> bool {
    p.thread_state(tid) == Some(ThreadState::Running(Resume::Continue))
}

#[test]
fn a_breakpoint_hit_stops_only_its_thread_and_is_reported_at_once() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    assert_eq!(p.tracer().ops, vec![], "nobody else is stopped");
    assert_eq!(
        p.take_report(),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
    assert!(running(&p, PID) && running(&p, B));
    assert_eq!(p.take_report(), None, "told once");
}

#[test]
fn two_hits_are_two_reports_and_the_others_run_on() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    hit_breakpoint(&mut p, B);
    let first = p.take_report().unwrap();
    let second = p.take_report().unwrap();
    let mut tids = [first, second].map(|r| match r {
        Report::Thread {
            tid,
            event: StopEvent::Breakpoint,
        } => tid,
        other => panic!("unexpected {other:?}"),
    });
    tids.sort_unstable();
    assert_eq!(tids, [A, B]);
    assert!(running(&p, PID));
}

#[test]
fn a_stop_the_client_asks_for_is_reported_as_requested() {
    let mut p = running_non_stop();
    p.stop_threads(&[B]);
    assert_eq!(p.tracer().ops, vec![Op::Interrupt(B)]);
    assert_eq!(
        feed(&mut p, &[interrupt_stop(B)]),
        Some(Report::Thread {
            tid: B,
            event: StopEvent::Requested
        })
    );
    assert!(running(&p, PID) && running(&p, A));
}

#[test]
fn a_thread_stopping_on_its_own_first_reports_its_own_stop() {
    let mut p = running_non_stop();
    p.stop_threads(&[A]);
    // A hits the breakpoint before the interrupt lands.
    hit_breakpoint(&mut p, A);
    assert_eq!(
        p.take_report(),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
    assert_eq!(p.take_report(), None);
}

#[test]
fn threads_stopped_by_us_are_reported_when_the_client_stops_them() {
    // As after an attach: stopped, and never told of.
    let mut p = Process::new(PID, fake_tracer(), &[PID, A]);
    p.set_non_stop(true);
    p.stop_threads(&[PID, A]);
    assert_eq!(p.tracer().ops, vec![], "they are stopped already");
    let mut told = vec![p.take_report(), p.take_report()];
    told.sort_by_key(|r| format!("{r:?}"));
    assert_eq!(
        told,
        vec![
            Some(Report::Thread {
                tid: PID,
                event: StopEvent::Requested
            }),
            Some(Report::Thread {
                tid: A,
                event: StopEvent::Requested
            }),
        ]
    );
}

#[test]
fn resuming_one_thread_leaves_the_stopped_ones_stopped() {
    let mut p = Process::new(PID, fake_tracer(), &[PID, A, B]);
    p.set_non_stop(true);
    p.resume(continue_only(A)).unwrap();
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: A,
            step: false,
            signal: 0
        }]
    );
    p.tracer().ops.clear();
    // Another while A runs.
    p.resume(continue_only(B)).unwrap();
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: B,
            step: false,
            signal: 0
        }]
    );
    assert_eq!(p.thread_state(PID), Some(ThreadState::Stopped(Stop::Quiet)));
}

#[test]
fn stepping_off_a_breakpoint_regroups_the_running_threads() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    p.take_report().unwrap();
    p.tracer().pcs.insert(A, BP);
    p.resume(continue_only(A)).unwrap();
    assert_eq!(
        p.tracer().ops,
        vec![Op::Interrupt(PID), Op::Interrupt(B)],
        "the others stop for the step"
    );
    p.tracer().ops.clear();
    assert_eq!(
        feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]),
        None
    );
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: A,
            step: true,
            signal: 0
        }],
        "A steps alone, the breakpoint lifted"
    );
    assert_eq!(p.tracer().memory[&BP], fake::UNWRITTEN);
    p.tracer().ops.clear();
    p.tracer().signal_codes.insert(A, TRAP_TRACE);
    p.tracer().pcs.insert(A, BP + 1);
    assert_eq!(feed(&mut p, &[sigtrap(A)]), None, "the step is not told");
    assert_eq!(p.tracer().memory[&BP], INT3, "back in");
    let mut resumed: Vec<Tid> = p
        .tracer()
        .ops
        .iter()
        .map(|op| match op {
            Op::Resume {
                tid, step: false, ..
            } => *tid,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    resumed.sort_unstable();
    assert_eq!(resumed, vec![PID, A, B], "everyone goes on");
}

#[test]
fn a_stop_asked_for_during_a_regroup_is_reported_and_not_resumed() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    p.take_report().unwrap();
    p.tracer().pcs.insert(A, BP);
    p.resume(continue_only(A)).unwrap();
    // The client stops B while it is being stopped for A's step.
    p.stop_threads(&[B]);
    p.tracer().ops.clear();
    assert_eq!(
        feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]),
        Some(Report::Thread {
            tid: B,
            event: StopEvent::Requested
        })
    );
    p.tracer().signal_codes.insert(A, TRAP_TRACE);
    p.tracer().pcs.insert(A, BP + 1);
    assert_eq!(feed(&mut p, &[sigtrap(A)]), None);
    assert!(running(&p, PID) && running(&p, A));
    assert_eq!(
        p.thread_state(B),
        Some(ThreadState::Stopped(Stop::Reported(StopEvent::Requested)))
    );
}

#[test]
fn a_new_thread_runs_with_the_others() {
    let mut p = running_non_stop();
    const C: Tid = 103;
    p.tracer().new_threads.insert(A, C);
    assert_eq!(
        feed(
            &mut p,
            &[ptrace_event(A, PtraceEvent::Clone), interrupt_stop(C)]
        ),
        None
    );
    assert!(running(&p, A) && running(&p, C));
}

#[test]
fn the_end_of_the_process_is_reported() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    p.take_report().unwrap();
    let exits = [
        WaitStatus::Exited { tid: B, code: 0 },
        WaitStatus::Exited { tid: A, code: 0 },
        WaitStatus::Exited { tid: PID, code: 3 },
    ];
    assert_eq!(feed(&mut p, &exits), Some(Report::Exited(3)));
    assert!(p.is_gone());
}

#[test]
fn debug_registers_are_set_with_the_running_threads_paused() {
    let mut p = running_non_stop();
    hit_breakpoint(&mut p, A);
    p.take_report().unwrap();
    p.tracer()
        .statuses
        .extend([interrupt_stop(PID), interrupt_stop(B)]);
    p.insert_hardware(0x5000, 4, HwKind::Write).unwrap();
    let ops = p.tracer().ops.clone();
    assert_eq!(&ops[..2], &[Op::Interrupt(PID), Op::Interrupt(B)]);
    let loaded: Vec<Tid> = ops
        .iter()
        .filter_map(|op| match op {
            Op::DebugRegisters { tid, .. } => Some(*tid),
            _ => None,
        })
        .collect();
    assert_eq!(loaded, vec![PID, A, B], "every thread has them");
    let resumed: Vec<Tid> = ops
        .iter()
        .filter_map(|op| match op {
            Op::Resume { tid, .. } => Some(*tid),
            _ => None,
        })
        .collect();
    assert_eq!(resumed, vec![PID, B], "the paused ones go on; A stays");
    assert_eq!(
        p.thread_state(A),
        Some(ThreadState::Stopped(Stop::Reported(StopEvent::Breakpoint)))
    );
}

#[test]
fn detach_with_threads_running_pauses_them_first() {
    let mut p = running_non_stop();
    p.tracer()
        .statuses
        .extend([interrupt_stop(PID), interrupt_stop(A), interrupt_stop(B)]);
    let paused = p.pause().unwrap();
    drop(paused);
    p.tracer().ops.clear();
    p.detach().unwrap();
    let detached = p
        .tracer()
        .ops
        .iter()
        .filter(|op| matches!(op, Op::Detach { .. }))
        .count();
    assert_eq!(detached, 3);
    assert_eq!(p.tracer().memory[&BP], fake::UNWRITTEN, "no int3 left");
}
