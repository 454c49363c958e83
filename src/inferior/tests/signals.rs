//! Signals reported, delivered as the client says or passed without a
//! stop; syscalls caught or let run.

use super::*;

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
