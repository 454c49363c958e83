//! Breakpoint conditions evaluated in the server: a false one lets the
//! thread go on past the breakpoint without a report (stepped off it, the
//! other threads stopped for that step if they run, then everyone on as
//! before); a true one, or one that fails, is reported as usual.

use super::*;
use crate::agent::{op, Program};
use crate::inferior::BreakpointLogic;

/// `reg 0 == value` (rax in amd64 numbering) as gdb compiles it.
fn rax_is(value: u8) -> Program {
    Program::parse(&[op::REG, 0, 0, op::CONST8, value, op::EQUAL, op::END]).unwrap()
}

fn with_condition(p: &mut Process<FakeTracer>, condition: Program) {
    p.set_breakpoint_logic(
        BP,
        BreakpointLogic {
            conditions: vec![condition],
            commands: Vec::new(),
        },
    );
}

fn step_done(tid: Tid) -> Vec<WaitStatus> {
    vec![sigtrap(tid)]
}

#[test]
fn a_false_condition_of_a_lone_thread_steps_over_and_goes_on() {
    let mut p = Process::new(PID, fake_tracer(), &[PID]);
    p.insert_breakpoint(BP).unwrap();
    with_condition(&mut p, rax_is(5));
    p.resume(continue_all()).unwrap();
    p.tracer().ops.clear();
    p.tracer().gprs.insert((PID, 0), 4);
    at_breakpoint(&mut p, PID);
    assert_eq!(feed(&mut p, &[sigtrap(PID)]), None, "not reported");
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: PID,
            step: true,
            signal: 0
        }],
        "stepped off the breakpoint at once"
    );
    assert_eq!(
        p.tracer().memory[&BP],
        fake::UNWRITTEN,
        "lifted for the step"
    );
    p.tracer().ops.clear();
    p.tracer().signal_codes.insert(PID, TRAP_TRACE);
    p.tracer().pcs.insert(PID, BP + 2);
    assert_eq!(feed(&mut p, &step_done(PID)), None);
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: PID,
            step: false,
            signal: 0
        }],
        "then on as it was going"
    );
    assert_eq!(p.tracer().memory[&BP], INT3, "back in");
}

#[test]
fn a_true_condition_is_reported() {
    let mut p = running_process();
    with_condition(&mut p, rax_is(5));
    p.tracer().gprs.insert((A, 0), 5);
    hit_breakpoint(&mut p, A);
    assert_eq!(
        feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        })
    );
}

#[test]
fn a_condition_that_fails_is_reported() {
    let mut p = running_process();
    // Reads memory nobody mapped... in the fake, a register nobody has.
    let bad = Program::parse(&[op::REG, 0x7f, 0, op::END]).unwrap();
    with_condition(&mut p, bad);
    hit_breakpoint(&mut p, A);
    assert_eq!(
        feed(&mut p, &[interrupt_stop(PID), interrupt_stop(B)]),
        Some(Report::Thread {
            tid: A,
            event: StopEvent::Breakpoint
        }),
        "gdb evaluates it again and says what is wrong"
    );
}

#[test]
fn a_false_condition_with_others_running_regroups_them_for_the_step() {
    let mut p = running_process();
    with_condition(&mut p, rax_is(5));
    hit_breakpoint(&mut p, A);
    assert_eq!(
        p.tracer().ops,
        vec![Op::Interrupt(PID), Op::Interrupt(B)],
        "the others stop for the step"
    );
    p.tracer().ops.clear();
    assert_eq!(feed(&mut p, &[interrupt_stop(PID)]), None);
    assert_eq!(p.tracer().ops, vec![], "not while B runs");
    assert_eq!(feed(&mut p, &[interrupt_stop(B)]), None, "no report");
    assert_eq!(
        p.tracer().ops,
        vec![Op::Resume {
            tid: A,
            step: true,
            signal: 0
        }],
        "A steps off alone"
    );
    p.tracer().ops.clear();
    p.tracer().signal_codes.insert(A, TRAP_TRACE);
    p.tracer().pcs.insert(A, BP + 2);
    assert_eq!(feed(&mut p, &step_done(A)), None);
    let mut resumed: Vec<Tid> = p
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
    resumed.sort();
    assert_eq!(resumed, vec![PID, A, B], "then everyone goes on");
    assert_eq!(p.tracer().memory[&BP], INT3);
}

#[test]
fn a_stop_during_the_regrouping_is_reported_instead() {
    let mut p = running_process();
    with_condition(&mut p, rax_is(5));
    hit_breakpoint(&mut p, A);
    // B stops with a signal before our interrupt lands.
    let report = feed(
        &mut p,
        &[
            interrupt_stop(PID),
            WaitStatus::SignalStop {
                tid: B,
                signal: libc::SIGUSR1,
            },
        ],
    );
    assert_eq!(
        report,
        Some(Report::Thread {
            tid: B,
            event: StopEvent::Signal(libc::SIGUSR1)
        })
    );
    assert_eq!(
        p.thread_state(A),
        Some(ThreadState::Stopped(Stop::Quiet)),
        "A waits on its breakpoint, stepped off at the next resume"
    );
}
