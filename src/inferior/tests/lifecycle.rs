//! The end: the process exits, or we detach and leave it as it was.

use super::*;

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
fn detach_reaps_exiting_threads_so_exitkill_cannot_touch_them() {
    let mut p = running_process();
    let exit_event = ptrace_event(B, PtraceEvent::Exit);
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
