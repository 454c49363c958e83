//! Taking in wait statuses and moving the state machine on: what each stop
//! means (a SIGTRAP is a breakpoint, a step, a watchpoint or the program's
//! own), stopping every thread before a stop is reported (all-stop, with
//! the races of stops that cross our interrupts), and picking the one stop
//! to report once all have stopped.

use super::{Cause, Process, Report, RunState};
use crate::inferior::thread::{Resume, Stop, StopEvent, ThreadState};
use crate::inferior::tracer::{TraceMode, Tracer};
use crate::inferior::Error;
use crate::sys::wait::{PtraceEvent, WaitStatus};
use crate::sys::{Errno, Tid};

/// `si_code` of a SIGTRAP from an `int3` (SI_KERNEL) and from a single-step.
const SI_KERNEL: i32 = 0x80;
const TRAP_TRACE: i32 = 2;
pub(super) const TRAP_HWBKPT: i32 = 4;

impl<T: Tracer> Process<T> {
    /// Block until the process has a report, waiting for its own threads
    /// only: for a process on its own (attaching, tests). The statuses of
    /// other tasks stay queued for whoever waits for them.
    pub fn settle(&mut self) -> Result<Report, Error> {
        loop {
            if let Some(report) = self.take_report() {
                return Ok(report);
            }
            self.wait_for_one()?;
        }
    }

    /// Wait for one status due from this process's threads and take it in.
    pub(super) fn wait_for_one(&mut self) -> Result<(), Error> {
        // A thread whose stop is due; the leader last, as the kernel
        // reports a leader's exit only after its threads are reaped.
        let due = |t: &&crate::inferior::thread::Thread| t.state().is_running();
        let tid = self
            .threads
            .values()
            .filter(due)
            .map(|t| t.tid)
            .find(|&tid| tid != self.pid)
            .or_else(|| self.threads.values().find(due).map(|t| t.tid))
            .ok_or(Error::NotRunning)?;
        match self.tracer.wait_for(tid) {
            Ok(Some(status)) => self.handle(status),
            Ok(None) => self.lost(tid),
            Err(errno) => {
                return Err(Error::Sys {
                    what: "waitpid",
                    tid,
                    errno,
                })
            }
        }
        Ok(())
    }

    /// A thread whose status can no longer be had (reaped elsewhere):
    /// forget it, and the process with its leader.
    pub(super) fn lost(&mut self, tid: Tid) {
        log::debug!("thread {tid}: gone without a status");
        self.thread_gone(tid, Report::Killed(libc::SIGKILL));
    }

    /// Take in one wait status.
    pub fn handle(&mut self, status: WaitStatus) {
        let tid = status.tid();
        if !self.threads.contains_key(&tid) {
            self.set_aside_unknown(status);
            return;
        }
        match status {
            WaitStatus::Exited { code, .. } => self.thread_gone(tid, Report::Exited(code)),
            WaitStatus::Killed { signal, .. } => self.thread_gone(tid, Report::Killed(signal)),
            WaitStatus::Event { event, .. } => match event {
                PtraceEvent::Exit => self.thread_exiting(tid),
                PtraceEvent::Clone => self.cloned(tid),
                PtraceEvent::Exec => self.exec_stop(tid),
                PtraceEvent::Fork => self.forked(tid, false),
                PtraceEvent::Vfork => self.forked(tid, true),
                PtraceEvent::VforkDone => self.vfork_done(tid),
                PtraceEvent::Stop | PtraceEvent::Seccomp => self.quiet_stop(tid),
            },
            WaitStatus::SyscallStop { .. } => self.syscall_stop(tid),
            WaitStatus::SignalStop { signal, .. } if signal == libc::SIGTRAP => {
                let event = self.classify_sigtrap(tid);
                if event == StopEvent::Stepped && self.range_step_goes_on(tid) {
                    return;
                }
                if let StopEvent::Breakpoint | StopEvent::HwBreakpoint = event {
                    let at = self.tracer.pc(tid).unwrap_or(0);
                    if !self.hit_is_reported(tid, at) {
                        return self.pass_breakpoint(tid, event == StopEvent::Breakpoint);
                    }
                }
                self.event_stop(tid, event);
            }
            WaitStatus::SignalStop { signal, .. } if self.pass_signals.contains(&signal) => {
                self.pass_signal(tid, signal)
            }
            WaitStatus::SignalStop { signal, .. } => {
                self.event_stop(tid, StopEvent::Signal(signal))
            }
        }
    }

    /// A SIGTRAP is one of our breakpoints, the end of a single-step, or a
    /// real SIGTRAP for the program.
    fn classify_sigtrap(&mut self, tid: Tid) -> StopEvent {
        let stepping = matches!(
            self.thread_state(tid),
            Some(ThreadState::Running(resume) | ThreadState::Stopping(resume)) if resume.is_step()
        );
        let code = match self.tracer.signal_code(tid) {
            Ok(code) => code,
            Err(_) => return StopEvent::Signal(libc::SIGTRAP),
        };
        if let Some(event) = self.hardware_trap(tid, code, stepping) {
            return event;
        }
        if code == SI_KERNEL {
            if let Ok(pc) = self.tracer.pc(tid) {
                let addr = pc.wrapping_sub(1);
                if self.breakpoints.contains(addr) {
                    // The pc is one past the int3: put it back on the breakpoint.
                    if let Err(errno) = self.tracer.set_pc(tid, addr) {
                        log::warn!("thread {tid}: cannot back up pc: {errno}");
                    }
                    return StopEvent::Breakpoint;
                }
            }
        }
        if code == TRAP_TRACE && stepping {
            return StopEvent::Stepped;
        }
        StopEvent::Signal(libc::SIGTRAP)
    }

    /// A stop with nothing to report: let the thread go on if its siblings
    /// are running, else leave it stopped.
    pub(super) fn quiet_stop(&mut self, tid: Tid) {
        let Some(state) = self.thread_state(tid) else {
            return;
        };
        match state {
            ThreadState::Running(resume) => self.run_thread(tid, resume, 0),
            // A new thread's first stop: it gets the debug registers (a
            // clone does not inherit them) and joins its siblings if they run.
            ThreadState::Starting => {
                self.load_debug_registers_into(tid);
                if self.requested_stop_came(tid) {
                    return;
                }
                match &mut self.state {
                    RunState::Running => self.run_thread(tid, Resume::Continue, 0),
                    // It goes on with the others once they are regrouped.
                    RunState::Regrouping { plan } => {
                        plan.actions.insert(
                            tid,
                            crate::inferior::Action {
                                resume: Resume::Continue,
                                signal: 0,
                            },
                        );
                        self.set_state(tid, ThreadState::Stopped(Stop::Quiet))
                    }
                    _ => self.set_state(tid, ThreadState::Stopped(Stop::Quiet)),
                }
            }
            ThreadState::Stopping(resume) if self.trap_queued_behind_stop(tid, resume) => {
                // Let it take the trap: it stops again before running any code.
                log::debug!("thread {tid}: a SIGTRAP is queued behind its stop");
                if let Err(errno) = self.tracer.resume(tid, TraceMode::Continue, 0) {
                    log::warn!("thread {tid}: cannot collect its queued trap: {errno}");
                    self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
                }
            }
            ThreadState::Stopping(_) => {
                if !self.requested_stop_came(tid) {
                    self.set_state(tid, ThreadState::Stopped(Stop::Quiet))
                }
            }
            ThreadState::Stopped(_) | ThreadState::Zombie => {
                log::warn!("thread {tid}: unexpected stop in state {state:?}")
            }
        }
    }

    /// A syscall entry or exit: a stop to report if the client catches it.
    fn syscall_stop(&mut self, tid: Tid) {
        let caught = match (&self.catch_syscalls, self.tracer.syscall_stop(tid)) {
            (Some(filter), Ok((entry, number)))
                if filter.is_empty() || filter.contains(&number) =>
            {
                Some(StopEvent::Syscall { entry, number })
            }
            _ => None,
        };
        match caught {
            Some(event) => self.event_stop(tid, event),
            None => self.quiet_stop(tid),
        }
    }

    /// A signal the client wants passed without a word: a running thread
    /// gets it at once; one being stopped holds it until it runs again.
    fn pass_signal(&mut self, tid: Tid, signal: i32) {
        match self.thread_state(tid) {
            Some(ThreadState::Running(resume)) => self.run_thread(tid, resume, signal),
            Some(ThreadState::Stopping(_) | ThreadState::Starting) => {
                self.set_state(tid, ThreadState::Stopped(Stop::Held(signal)))
            }
            state => log::warn!("thread {tid}: signal {signal} in state {state:?}"),
        }
    }

    /// A thread can execute our int3 (or finish a step) just as our
    /// interrupt arrives: the kernel then reports the interrupt stop first,
    /// with the SIGTRAP still queued and the pc one past the int3. Left so,
    /// the hit would be lost and the SIGTRAP delivered later (fatal after a
    /// detach). Only a thread past one of our breakpoints or stepping can be
    /// in this state, so only they cost a look at its pending signals.
    fn trap_queued_behind_stop(&mut self, tid: Tid, resume: Resume) -> bool {
        let suspicious = resume.is_step()
            || (!self.breakpoints.is_empty()
                && self
                    .tracer
                    .pc(tid)
                    .is_ok_and(|pc| self.breakpoints.contains(pc.wrapping_sub(1))));
        suspicious && self.tracer.has_pending_sigtrap(tid)
    }

    /// A stop the client must hear of: keep it, and stop everyone else.
    pub(super) fn event_stop(&mut self, tid: Tid, event: StopEvent) {
        // The end of a step-over the client did not ask for as a step.
        if let (
            RunState::SteppingOver {
                tid: stepper, plan, ..
            },
            StopEvent::Stepped,
        ) = (&self.state, event)
        {
            let plan = plan.clone();
            if *stepper == tid && !self.step_over_is_reported(tid, &plan) {
                if !self.requested_stop_came(tid) {
                    self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
                }
                return;
            }
        }
        // Its own stop is what the client hears of, if it asked for one.
        self.stop_requests.remove(&tid);
        self.set_state(tid, ThreadState::Stopped(Stop::Pending(event)));
        if self.state == RunState::Running && !self.non_stop {
            self.set_run_state(RunState::Stopping(Cause::Event));
            self.stop_running_threads();
        }
    }

    /// PTRACE_EVENT_EXIT: the thread is on its way out. It cannot be stopped
    /// again, so let it finish dying whatever else is going on.
    fn thread_exiting(&mut self, tid: Tid) {
        if tid == self.pid {
            // The last look at the main thread: what the client sees of a
            // process that ended until it hears of the end.
            self.last_registers = self.tracer.registers(tid).ok();
        }
        match self.tracer.resume(tid, TraceMode::Continue, 0) {
            Ok(()) | Err(Errno::ESRCH) => {}
            Err(errno) => log::warn!("thread {tid}: cannot release exiting thread: {errno}"),
        }
        self.set_state(tid, ThreadState::Zombie);
    }

    fn thread_gone(&mut self, tid: Tid, status: Report) {
        self.threads.remove(&tid);
        self.stop_requests.remove(&tid);
        self.pc_moved.remove(&tid);
        if tid == self.pid {
            log::debug!("process {tid} ended: {status:?}");
            self.threads.clear();
            self.set_run_state(RunState::Exited(status));
        }
    }

    // ----- stopping everyone -----

    /// Stop every thread at the client's request (Ctrl-C). The stop is
    /// reported once all threads have stopped.
    pub fn interrupt(&mut self) {
        match &mut self.state {
            RunState::Running => {
                self.set_run_state(RunState::Stopping(Cause::Interrupt));
                self.stop_running_threads();
            }
            RunState::SteppingOver {
                tid, interrupted, ..
            } => {
                // The step-over will end in a stop instead of a resume.
                *interrupted = true;
                let tid = *tid;
                log::debug!("process {}: interrupted during a step-over", self.pid);
                self.stop_thread(tid);
            }
            RunState::Stopping(_) | RunState::Regrouping { .. } => {
                self.set_run_state(RunState::Stopping(Cause::Interrupt))
            }
            RunState::Stopped | RunState::Exited(_) | RunState::Gone => {}
        }
    }

    pub(super) fn stop_running_threads(&mut self) {
        let running: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| matches!(t.state(), ThreadState::Running(_)))
            .map(|t| t.tid)
            .collect();
        for tid in running {
            self.stop_thread(tid);
        }
    }

    pub(super) fn stop_thread(&mut self, tid: Tid) {
        let Some(ThreadState::Running(resume)) = self.thread_state(tid) else {
            return;
        };
        match self.tracer.interrupt(tid) {
            Ok(()) => self.set_state(tid, ThreadState::Stopping(resume)),
            Err(errno) => {
                log::debug!("thread {tid}: cannot interrupt ({errno}), it is dying");
                self.set_state(tid, ThreadState::Zombie);
            }
        }
    }

    // ----- reporting -----

    /// Move on after events: finish a step-over, or, once every thread has
    /// stopped, the stop to report (taken: the process is then stopped).
    pub fn take_report(&mut self) -> Option<Report> {
        if self.non_stop {
            return self.take_report_non_stop();
        }
        match &self.state {
            RunState::Exited(report) => {
                let report = *report;
                self.set_run_state(RunState::Gone);
                Some(report)
            }
            RunState::SteppingOver { .. } => {
                if self.finish_step_over() {
                    self.take_report()
                } else {
                    None
                }
            }
            RunState::Regrouping { .. } => {
                if self.finish_regrouping() {
                    self.take_report()
                } else {
                    None
                }
            }
            RunState::Stopping(cause) => {
                let cause = *cause;
                if self.threads.values().any(|t| t.state().is_running()) {
                    return None;
                }
                let report = match self.pick_pending() {
                    Some((tid, event)) => {
                        self.set_state(tid, ThreadState::Stopped(Stop::Reported(event)));
                        Report::Thread { tid, event }
                    }
                    None => {
                        let tid = self.report_thread()?;
                        if cause == Cause::Event {
                            log::debug!("the stop to report vanished; reporting an interrupt");
                        }
                        Report::Interrupted { tid }
                    }
                };
                if let Report::Thread { tid, .. } | Report::Interrupted { tid } = report {
                    self.last_reported = tid;
                }
                self.set_run_state(RunState::Stopped);
                Some(report)
            }
            RunState::Stopped | RunState::Running | RunState::Gone => None,
        }
    }

    /// The pending stop to report: a finished step first (the client is
    /// waiting on it), else the next thread after the last one reported.
    pub(super) fn pick_pending(&self) -> Option<(Tid, StopEvent)> {
        let pending = || {
            self.threads
                .values()
                .filter_map(|t| Some((t.tid, t.pending()?)))
        };
        pending()
            .find(|&(_, e)| e == StopEvent::Stepped)
            .or_else(|| pending().find(|&(tid, _)| tid > self.last_reported))
            .or_else(|| pending().next())
    }

    /// The thread to name in a report that has none of its own.
    fn report_thread(&self) -> Option<Tid> {
        let live = |tid: &Tid| {
            self.thread_state(*tid)
                .is_some_and(|s| matches!(s, ThreadState::Stopped(_)))
        };
        [self.last_reported, self.pid]
            .into_iter()
            .find(live)
            .or_else(|| self.thread_ids().find(live))
    }
}
