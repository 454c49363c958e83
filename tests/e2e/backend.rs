//! Backend tests: the `inferior` layer on real processes, no client. Each
//! checks the sequence of stops a fixture produces.
//!
//! Every test runs its body on a thread of its own (ptrace requests must
//! come from the thread that traced the process) and fails if that takes
//! longer than a generous timeout.

use rgdbserver::inferior::tracer::{LiveTracer, LiveWaiter};
use rgdbserver::inferior::{
    self, Action, Inferiors, LaunchSettings, Origin, Process, Report, Resume, ResumePlan, StopEvent,
};
use std::collections::BTreeSet;
use std::sync::mpsc;
use std::time::Duration;

use crate::support::fixtures::{fixture, Fixture};
use crate::support::process::mappings;
use crate::support::scaled;

fn with_timeout(body: impl FnOnce() + Send + 'static) {
    let (done_tx, done_rx) = mpsc::channel();
    let worker = std::thread::spawn(move || {
        body();
        let _ = done_tx.send(());
    });
    match done_rx.recv_timeout(scaled(Duration::from_secs(60))) {
        Ok(()) => worker.join().expect("test body panicked"),
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            if let Err(panic) = worker.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("backend test timed out"),
    }
}

/// The launched fixture, alone in the model's set of processes (which
/// does the waiting).
struct Launched {
    processes: Inferiors<LiveTracer, LiveWaiter>,
    pid: i32,
}

impl Launched {
    fn process(&mut self) -> &mut Process<LiveTracer> {
        &mut self
            .processes
            .get_mut(self.pid)
            .expect("the process")
            .process
    }

    /// Continue every thread and wait for the stop to report.
    fn continue_to_stop(&mut self) -> Report {
        let plan = ResumePlan {
            actions: Default::default(),
            others: Some(Action {
                resume: Resume::Continue,
                signal: 0,
            }),
        };
        self.processes
            .resume([(self.pid, plan)].into())
            .expect("resume");
        let (pid, report) = self.processes.wait_for_report().expect("a stop");
        assert_eq!(pid, self.pid);
        report
    }
}

fn launch(fixture: &Fixture) -> Launched {
    let process = inferior::launch(fixture.exe.as_os_str(), &[], &LaunchSettings::default())
        .expect("launch the fixture");
    let pid = process.pid();
    let mut processes = Inferiors::new(LiveWaiter);
    processes.add(process, Origin::Launched);
    Launched { processes, pid }
}

/// Where `symbol` is in the launched fixture.
fn address(process: &Process<LiveTracer>, fixture: &Fixture, symbol: &str) -> u64 {
    let pid = u32::try_from(process.pid()).expect("a pid is positive");
    fixture
        .address_in(pid, symbol)
        .unwrap_or_else(|| panic!("{} is not mapped in {pid}", fixture.exe.display()))
}

/// Run from the exec stop to main, where the executable is mapped and its
/// breakpoints can be placed.
fn run_to(launched: &mut Launched, fixture: &Fixture, symbol: &str) -> u64 {
    // At the exec stop only the loader runs; the executable is already mapped.
    let addr = address(launched.process(), fixture, symbol);
    launched
        .process()
        .insert_breakpoint(addr)
        .expect("insert breakpoint");
    let report = launched.continue_to_stop();
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
        let fixture = fixture("basic");
        let mut launched = launch(&fixture);
        let process = launched.process();
        let tids: Vec<i32> = process.thread_ids().collect();
        assert_eq!(tids, vec![process.pid()]);
        let regs = process.read_registers(process.pid()).expect("registers");
        // The dynamic loader's entry, not the program's code.
        let pid = u32::try_from(process.pid()).expect("a pid is positive");
        let loader = mappings(pid)
            .into_iter()
            .find(|m| m.path.contains("ld-linux") && m.perms == "r-xp")
            .expect("loader mapped");
        assert!(
            (loader.start..loader.end).contains(&regs.pc()),
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
        let fixture = fixture("threads");
        let mut launched = launch(&fixture);
        run_to(&mut launched, &fixture, "main");
        let worker = address(launched.process(), &fixture, "worker");
        launched
            .process()
            .insert_breakpoint(worker)
            .expect("breakpoint in worker");
        let mut hit_by = BTreeSet::new();
        let exit = loop {
            match launched.continue_to_stop() {
                Report::Thread {
                    tid,
                    event: StopEvent::Breakpoint,
                } => {
                    let process = launched.process();
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
        let fixture = fixture("basic");
        let mut launched = launch(&fixture);
        let main = run_to(&mut launched, &fixture, "main");
        let process = launched.process();
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
    let err = inferior::launch(
        "/nonexistent/prog".as_ref(),
        &[],
        &LaunchSettings::default(),
    )
    .err()
    .expect("launch must fail");
    let msg = err.to_string();
    assert!(
        msg.contains("/nonexistent/prog") && msg.contains("no such file"),
        "{msg}"
    );
}
