//! Breakpoints and steps: stepping off a breakpoint before running,
//! pending hits of removed breakpoints, range steps, memory reads.

use super::*;

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
fn a_thread_the_client_moved_onto_a_breakpoint_hits_it() {
    // Stopped elsewhere; gdb moves its pc onto a breakpoint (a jump, a
    // function call, skipping the program's own int3) and continues: the
    // breakpoint is hit, not stepped over.
    let mut p = Process::new(PID, fake_tracer(), &[PID]);
    p.insert_breakpoint(BP).unwrap();
    p.tracer().pcs.insert(PID, BP - 5);
    let mut regs = p.read_registers(PID).unwrap();
    regs.set_pc(BP);
    p.write_registers(PID, &regs).unwrap();
    p.resume(continue_all()).unwrap();
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: PID,
            step: false,
            signal: 0
        }]
    );
    assert_eq!(p.tracer().memory[&BP], 0xcc, "the breakpoint stays in");
    // Once it has run, its pc is its own again: stopped on the breakpoint,
    // it is stepped over.
    at_breakpoint(&mut p, PID);
    feed(&mut p, &[sigtrap(PID)]).unwrap();
    p.tracer().ops.clear();
    p.resume(continue_all()).unwrap();
    assert!(matches!(
        p.tracer().ops[..],
        [Op::Resume { step: true, .. }]
    ));
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
    at_breakpoint(&mut p, B);
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
fn memory_reads_never_show_our_int3() {
    let mut p = running_process();
    let mut buf = [0u8; 4];
    p.read_memory(BP - 1, &mut buf).unwrap();
    assert_eq!(buf, [0x90; 4]);
    assert_eq!(p.tracer().memory[&BP], 0xcc);
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
