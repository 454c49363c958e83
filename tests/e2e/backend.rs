//! Backend tests: the `inferior` layer on real processes, no client. Each
//! checks the sequence of stops a fixture produces.
//!
//! Every test runs its body on a thread of its own (ptrace requests must
//! come from the thread that traced the process) and fails if that takes
//! longer than a generous timeout.

use crate::support;

use rgdbserver::inferior::tracer::LiveTracer;
use rgdbserver::inferior::{
    self, Action, LaunchSpec, Process, Report, Resume, ResumePlan, StopEvent,
};
use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

fn with_timeout(body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(support::scaled(Duration::from_secs(60))) {
        Ok(()) => worker.join().expect("test body panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("backend test timed out"),
    }
}

fn launch(fixture: &support::Fixture) -> Process<LiveTracer> {
    inferior::launch(&LaunchSpec::new(
        fixture.exe.clone().into_os_string(),
        vec![],
    ))
    .expect("launch the fixture")
}

/// Where the executable is loaded: its first mapping in /proc/PID/maps.
fn load_base(pid: i32, exe: &std::path::Path) -> u64 {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("read maps");
    let exe = exe.canonicalize().expect("canonical exe path");
    let line = maps
        .lines()
        .find(|l| l.ends_with(exe.to_str().expect("utf-8 path")))
        .unwrap_or_else(|| panic!("{} not mapped in:\n{maps}", exe.display()));
    let start = line.split('-').next().expect("maps line has a range");
    u64::from_str_radix(start, 16).expect("hex start address")
}

fn continue_all() -> ResumePlan {
    ResumePlan {
        actions: Default::default(),
        others: Some(Action {
            resume: Resume::Continue,
            signal: 0,
        }),
    }
}

/// Run from the exec stop to main, where the executable is mapped and its
/// breakpoints can be placed.
fn run_to(process: &mut Process<LiveTracer>, fixture: &support::Fixture, symbol: &str) -> u64 {
    // At the exec stop only the loader runs; the executable is already mapped.
    let addr = load_base(process.pid(), &fixture.exe) + fixture.symbol_offset(symbol);
    process.insert_breakpoint(addr).expect("insert breakpoint");
    process.resume(continue_all()).expect("resume");
    let report = process.wait_for_report().expect("a stop");
    assert!(
        matches!(
            report,
            Report::Thread {
                event: StopEvent::Breakpoint,
                ..
            }
        ),
        "expected a breakpoint stop at {symbol}, got {report:?}"
    );
    addr
}

#[test]
fn launch_stops_at_the_first_instruction_with_one_thread() {
    with_timeout(|| {
        let fixture = support::fixture("basic");
        let mut process = launch(&fixture);
        let tids: Vec<i32> = process.thread_ids().collect();
        assert_eq!(tids, vec![process.pid()]);
        let regs = process.read_registers(process.pid()).expect("registers");
        // The dynamic loader's entry, not the program's code.
        let maps = std::fs::read_to_string(format!("/proc/{}/maps", process.pid())).unwrap();
        let loader = maps
            .lines()
            .find(|l| l.contains("ld-linux") && l.contains("r-xp"))
            .expect("loader mapped");
        let (lo, hi) = loader
            .split_whitespace()
            .next()
            .unwrap()
            .split_once('-')
            .unwrap();
        let (lo, hi) = (
            u64::from_str_radix(lo, 16).unwrap(),
            u64::from_str_radix(hi, 16).unwrap(),
        );
        assert!(
            (lo..hi).contains(&regs.pc()),
            "pc {:#x} not in the loader",
            regs.pc()
        );
        process.kill().expect("kill");
        assert!(process.is_gone());
    });
}

#[test]
fn every_thread_reports_its_own_breakpoint_hit_with_all_others_stopped() {
    with_timeout(|| {
        let fixture = support::fixture("threads");
        let mut process = launch(&fixture);
        run_to(&mut process, &fixture, "main");
        let worker = load_base(process.pid(), &fixture.exe) + fixture.symbol_offset("worker");
        process
            .insert_breakpoint(worker)
            .expect("breakpoint in worker");
        let mut hit_by = BTreeSet::new();
        let exit = loop {
            process.resume(continue_all()).expect("resume");
            match process.wait_for_report().expect("a stop") {
                Report::Thread {
                    tid,
                    event: StopEvent::Breakpoint,
                } => {
                    let pc = process.read_registers(tid).expect("registers").pc();
                    assert_eq!(pc, worker, "pc backed up onto the breakpoint");
                    // All-stop: nothing runs while a stop is reported.
                    for other in process.thread_ids().collect::<Vec<_>>() {
                        assert!(
                            process.read_registers(other).is_ok(),
                            "thread {other} is not stopped"
                        );
                    }
                    assert!(hit_by.insert(tid), "thread {tid} reported twice");
                }
                Report::Exited(code) => break code,
                other => panic!("unexpected stop {other:?}"),
            }
        };
        assert_eq!(
            hit_by.len(),
            4,
            "each worker thread hit the breakpoint once"
        );
        assert_eq!(exit, 3, "the program ran to its normal end");
    });
}

#[test]
fn memory_reads_hide_breakpoints_and_unmapped_reads_fail() {
    with_timeout(|| {
        let fixture = support::fixture("basic");
        let mut process = launch(&fixture);
        let main = run_to(&mut process, &fixture, "main");
        let mut byte = [0u8];
        process.read_memory(main, &mut byte).expect("read main");
        assert_ne!(byte[0], 0xcc, "the int3 is hidden");
        let mut buf = [0u8; 16];
        assert!(matches!(
            process.read_memory(0, &mut buf),
            Err(inferior::Error::Memory { .. }) | Ok(0)
        ));
        process.kill().expect("kill");
    });
}

#[test]
fn a_missing_program_is_a_clear_launch_error() {
    let err = inferior::launch(&LaunchSpec::new("/nonexistent/prog".into(), vec![]))
        .err()
        .expect("launch must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/prog") && msg.contains("no such file"),
        "{msg}"
    );
}
