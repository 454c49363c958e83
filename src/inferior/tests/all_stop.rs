//! All-stop: a stop is reported only once every thread has stopped, and
//! stops that race with our interrupts are neither lost nor doubled.

use super::*;

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
    at_breakpoint(&mut p, B);
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
    let exit_event = ptrace_event(B, PtraceEvent::Exit);
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
        let clone = ptrace_event(A, PtraceEvent::Clone);
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
    let clone = ptrace_event(B, PtraceEvent::Clone);
    // The clone stop stands for B's stop; C's first stop is still due.
    assert_eq!(feed(&mut p, &[interrupt_stop(PID), clone]), None);
    let report = feed(&mut p, &[interrupt_stop(c)]);
    assert!(matches!(report, Some(Report::Thread { tid: A, .. })));
    assert_eq!(p.thread_state(c), Some(ThreadState::Stopped(Stop::Quiet)));
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
