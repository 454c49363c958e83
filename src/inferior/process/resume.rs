//! Letting threads run as the client asks: resume plans, stepping a thread
//! off the breakpoint it sits on before anything runs (the `int3` is lifted
//! for that one step, the others wait), and range stepping, which steps on
//! without a report while the pc stays in the range.

use super::{Action, Cause, Process, ResumePlan, RunState};
use crate::inferior::thread::{Resume, Stop, StopEvent, Thread, ThreadState};
use crate::inferior::tracer::{TraceMode, Tracer};
use crate::inferior::Error;
use crate::sys::Tid;
use std::collections::BTreeSet;

impl<T: Tracer> Process<T> {
    /// Resume the threads as `plan` says. A pending stop of a thread the
    /// plan resumes is reported at once instead, without running anything.
    ///
    /// Actions for threads that are gone are dropped. A plan that resumes
    /// nothing is answered with an immediate stop, as the client waits for one.
    pub fn resume(&mut self, mut plan: ResumePlan) -> Result<(), Error> {
        if self.non_stop {
            return self.resume_non_stop(plan);
        }
        match self.state {
            RunState::Stopped => {}
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => return Err(Error::ProcessRunning),
        }
        plan.actions.retain(|tid, _| {
            let known = self.threads.contains_key(tid);
            if !known {
                log::debug!("resume: thread {tid} is gone, its action is dropped");
            }
            known
        });
        if !self.threads.keys().any(|&tid| plan.action(tid).is_some()) {
            self.set_run_state(RunState::Stopping(Cause::Interrupt));
            return Ok(());
        }
        self.discard_stale_breakpoint_stops(&plan);
        let has_pending = self
            .threads
            .values()
            .any(|t| t.pending().is_some() && plan.action(t.tid).is_some());
        if has_pending {
            log::debug!("a pending stop is reported before anything runs");
            self.set_run_state(RunState::Stopping(Cause::Event));
            return Ok(());
        }
        self.start(plan, BTreeSet::new());
        Ok(())
    }

    /// A breakpoint hit kept pending is void if the client has since
    /// removed the breakpoint: the thread simply runs from there.
    fn discard_stale_breakpoint_stops(&mut self, plan: &ResumePlan) {
        let stale: Vec<Tid> = self
            .threads
            .values()
            .filter(|t| t.pending() == Some(StopEvent::Breakpoint) && plan.action(t.tid).is_some())
            .map(|t| t.tid)
            .collect();
        for tid in stale {
            let still_there = match self.tracer.pc(tid) {
                Ok(pc) => self.breakpoints.contains(pc),
                Err(_) => true,
            };
            if !still_there {
                self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
            }
        }
    }

    /// Resume every stopped thread the plan names, stepping threads that sit
    /// on an inserted breakpoint off it first, one at a time.
    pub(super) fn start(&mut self, plan: ResumePlan, mut stepped: BTreeSet<Tid>) {
        let to_run: Vec<(Tid, Action)> = self
            .threads
            .values()
            .filter(|t| t.is_resumable())
            .filter_map(|t| {
                let mut action = plan.action(t.tid)?;
                if let ThreadState::Stopped(Stop::Held(signal)) = t.state() {
                    action.signal = signal;
                }
                Some((t.tid, action))
            })
            .collect();
        if !self.breakpoints.is_empty() {
            for &(tid, action) in &to_run {
                if stepped.contains(&tid) {
                    continue;
                }
                let Ok(pc) = self.tracer.pc(tid) else {
                    continue;
                };
                if !self.breakpoints.contains(pc) || self.pc_moved.contains(&tid) {
                    continue;
                }
                log::debug!("thread {tid}: stepping off the breakpoint at {pc:#x}");
                stepped.insert(tid);
                self.breakpoints.lift(&mut self.tracer, pc);
                self.set_run_state(RunState::SteppingOver {
                    tid,
                    addr: pc,
                    plan,
                    stepped,
                    interrupted: false,
                });
                self.run_thread(tid, Resume::Step, action.signal);
                return;
            }
        }
        self.set_run_state(RunState::Running);
        for (tid, action) in to_run {
            self.run_thread(tid, action.resume, action.signal);
        }
    }

    /// Once the thread stepping over a breakpoint has stopped: put the
    /// breakpoint back, then resume everyone as planned, or stop everyone if
    /// the client interrupted or the step has a stop to report. Returns
    /// whether the process is now stopping.
    pub(super) fn finish_step_over(&mut self) -> bool {
        let RunState::SteppingOver {
            tid,
            addr,
            plan,
            stepped,
            interrupted,
        } = &self.state
        else {
            return false;
        };
        let (tid, addr) = (*tid, *addr);
        if self.thread_state(tid).is_some_and(ThreadState::is_running) {
            return false;
        }
        let (mut plan, stepped, interrupted) = (plan.clone(), stepped.clone(), *interrupted);
        self.breakpoints.reinsert(&mut self.tracer, addr);
        // In non-stop a stop of the stepping thread stops nobody else.
        let pending = self.threads.get(&tid).and_then(Thread::pending).is_some();
        if interrupted || (pending && !self.non_stop) {
            let cause = if interrupted {
                Cause::Interrupt
            } else {
                Cause::Event
            };
            self.set_run_state(RunState::Stopping(cause));
            return true;
        }
        // The signal, if any, went in with the step.
        if let Some(action) = plan.action(tid) {
            plan.actions.insert(
                tid,
                Action {
                    signal: 0,
                    ..action
                },
            );
        }
        self.start(plan, stepped);
        false
    }

    pub(super) fn run_thread(&mut self, tid: Tid, resume: Resume, signal: i32) {
        let how = match resume {
            Resume::Step | Resume::RangeStep { .. } => TraceMode::Step,
            Resume::Continue if self.catch_syscalls.is_some() => TraceMode::ToSyscall,
            Resume::Continue => TraceMode::Continue,
        };
        self.pc_moved.remove(&tid);
        match self.tracer.resume(tid, how, signal) {
            Ok(()) => self.set_state(tid, ThreadState::Running(resume)),
            // Killed under us: its exit status is on its way.
            Err(errno) => {
                log::debug!("thread {tid}: cannot resume ({errno}), it is dying");
                self.set_state(tid, ThreadState::Zombie);
            }
        }
    }

    /// Whether the single step that took `tid` off a breakpoint is the step
    /// the client asked for: a plain step is; a range step only if it left
    /// the range; a continue never.
    pub(super) fn step_over_is_reported(&mut self, tid: Tid, plan: &ResumePlan) -> bool {
        match plan.action(tid).map(|a| a.resume) {
            Some(Resume::Step) => true,
            Some(range @ Resume::RangeStep { .. }) => self
                .tracer
                .pc(tid)
                .map_or(true, |pc| !range.steps_on_at(pc)),
            _ => false,
        }
    }

    /// A range step that ended inside its range: step again (or, if
    /// everyone is being stopped, just stop quietly). `false` if the step
    /// ended outside the range, which is to be reported.
    pub(super) fn range_step_goes_on(&mut self, tid: Tid) -> bool {
        let (Some(ThreadState::Running(resume) | ThreadState::Stopping(resume)), Ok(pc)) =
            (self.thread_state(tid), self.tracer.pc(tid))
        else {
            return false;
        };
        if !resume.steps_on_at(pc) {
            return false;
        }
        match self.thread_state(tid) {
            Some(ThreadState::Running(_)) if self.state == RunState::Running => {
                self.run_thread(tid, resume, 0)
            }
            _ => self.set_state(tid, ThreadState::Stopped(Stop::Quiet)),
        }
        true
    }
}
