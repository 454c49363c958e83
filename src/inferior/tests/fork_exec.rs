//! fork, vfork and exec: our breakpoints leave the child's memory, are
//! lifted while a vfork child shares ours, and are forgotten at an exec.

use super::*;

fn fork_event(tid: Tid, vfork: bool) -> WaitStatus {
    let event = if vfork {
        PtraceEvent::Vfork
    } else {
        PtraceEvent::Fork
    };
    ptrace_event(tid, event)
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
    feed(&mut p, &[ptrace_event(A, PtraceEvent::VforkDone)]);
    assert_eq!(p.tracer().memory[&BP], 0xcc, "back once the child is done");
}

#[test]
fn exec_forgets_breakpoints_and_threads_and_is_reported() {
    let mut p = running_process();
    let exec = ptrace_event(PID, PtraceEvent::Exec);
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
fn a_breakpoint_inserted_while_a_vfork_child_runs_goes_in_after() {
    let mut p = running_process();
    let child: Tid = 200;
    p.tracer().new_threads.insert(A, child);
    feed(&mut p, &[fork_event(A, true), interrupt_stop(child)]);
    p.insert_breakpoint(BP + 0x10).unwrap();
    assert_eq!(
        p.tracer().memory.get(&(BP + 0x10)),
        None,
        "not in the memory the child shares"
    );
    feed(&mut p, &[ptrace_event(A, PtraceEvent::VforkDone)]);
    assert_eq!(p.tracer().memory[&BP], 0xcc);
    assert_eq!(p.tracer().memory[&(BP + 0x10)], 0xcc);
}
