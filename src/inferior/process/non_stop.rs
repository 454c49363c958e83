//! Non-stop mode: each thread runs and stops on its own. A thread's stop
//! stops no other thread and is reported at once ([`Process::take_report`]
//! hands out one pending stop after another while the rest run); the
//! client resumes and stops threads one by one (`vCont;c:T`, `vCont;t:T`),
//! whatever the others are doing.
//!
//! Two things still need the other threads still for a moment, as with
//! gdbserver: stepping a thread off a breakpoint (a running thread could
//! pass the lifted `int3`), done by regrouping them first
//! (`RunState::Regrouping`); and what needs every thread stopped at once
//! (debug registers, detach), done by [`Process::pause`], which waits for
//! them there and then.
//!
//! A thread stopped by us and not told of (`Stop::Quiet`) is running as
//! far as the client knows: stopping it is reported (`Requested`).

use super::{Action, Cause, Process, Report, ResumePlan, RunState};
use crate::inferior::thread::{Resume, Stop, StopEvent, ThreadState};
use crate::inferior::tracer::Tracer;
use crate::inferior::Error;
use crate::sys::Tid;
use std::collections::{BTreeMap, BTreeSet};

/// The threads [`Process::pause`] stopped, to go on as they were.
#[derive(Debug, Default)]
#[must_use = "paused threads stay stopped until unpaused"]
pub struct Paused {
    threads: BTreeMap<Tid, Resume>,
}

impl<T: Tracer> Process<T> {
    /// Non-stop (or all-stop) from now on. Stops the client asked for and
    /// not yet seen are plain stops in all-stop.
    pub fn set_non_stop(&mut self, on: bool) {
        self.non_stop = on;
        if !on {
            self.stop_requests.clear();
        }
    }

    pub fn is_non_stop(&self) -> bool {
        self.non_stop
    }

    /// Whether any thread runs (or a stop of one is due).
    pub fn has_running_threads(&self) -> bool {
        self.threads.values().any(|t| t.state().is_running())
    }

    /// Non-stop resume: the stopped threads the plan names run; every
    /// other thread goes on as it is. A thread on a breakpoint is stepped
    /// off it first, with the running threads regrouped for that step.
    pub(super) fn resume_non_stop(&mut self, plan: ResumePlan) -> Result<(), Error> {
        if matches!(self.state, RunState::Gone | RunState::Exited(_)) {
            return Err(Error::Gone);
        }
        let actions: BTreeMap<Tid, Action> = self
            .threads
            .values()
            .filter(|t| t.is_resumable())
            .filter_map(|t| Some((t.tid, plan.action(t.tid)?)))
            .collect();
        if actions.is_empty() {
            return Ok(());
        }
        if let RunState::Regrouping { plan } | RunState::SteppingOver { plan, .. } = &mut self.state
        {
            // They start with the others, once the step is done.
            plan.actions.extend(actions);
            return Ok(());
        }
        let on_breakpoint = !self.breakpoints.is_empty()
            && actions.keys().any(|&tid| {
                !self.pc_moved.contains(&tid)
                    && self
                        .tracer
                        .pc(tid)
                        .is_ok_and(|pc| self.breakpoints.contains(pc))
            });
        let mut plan = ResumePlan {
            actions,
            others: None,
        };
        let running = self.running_threads();
        if on_breakpoint && !running.is_empty() {
            for (tid, resume) in running {
                plan.actions.insert(tid, Action { resume, signal: 0 });
            }
            self.set_run_state(RunState::Regrouping { plan });
            self.stop_running_threads();
        } else {
            self.start(plan, BTreeSet::new());
        }
        Ok(())
    }

    /// `vCtrlC`: a SIGINT to the process, as if typed at its terminal; the
    /// thread that takes it stops and is reported.
    pub fn interrupt_with_sigint(&mut self) -> Result<(), Error> {
        self.tracer
            .send_signal(libc::SIGINT)
            .map_err(|errno| Error::Sys {
                what: "sending SIGINT",
                tid: self.pid,
                errno,
            })
    }

    /// What `?` tells of thread `tid` in non-stop: its stop (now told, and
    /// it stays stopped), or `None` if it runs. A thread stopped by us is
    /// told as stopped at the client's request.
    pub fn tell_stop(&mut self, tid: Tid) -> Option<StopEvent> {
        let event = match self.thread_state(tid)? {
            ThreadState::Stopped(Stop::Pending(event) | Stop::Reported(event)) => event,
            ThreadState::Stopped(Stop::Held(signal)) => StopEvent::Signal(signal),
            ThreadState::Stopped(Stop::Quiet) => StopEvent::Requested,
            _ => return None,
        };
        self.drop_from_plan(tid);
        self.set_state(tid, ThreadState::Stopped(Stop::Reported(event)));
        Some(event)
    }

    /// The threads that run, with how they were resumed.
    fn running_threads(&self) -> Vec<(Tid, Resume)> {
        self.threads
            .values()
            .filter_map(|t| match t.state() {
                ThreadState::Running(resume) => Some((t.tid, resume)),
                _ => None,
            })
            .collect()
    }

    /// `vCont;t`: stop these threads; each stop is reported (as
    /// `Requested`, unless the thread stops for a reason of its own first).
    pub fn stop_threads(&mut self, tids: &[Tid]) {
        for &tid in tids {
            match self.thread_state(tid) {
                Some(ThreadState::Running(_)) => {
                    self.stop_thread(tid);
                    self.stop_requests.insert(tid);
                }
                Some(ThreadState::Stopping(_) | ThreadState::Starting) => {
                    self.stop_requests.insert(tid);
                }
                // Stopped by us, and running for the client.
                Some(ThreadState::Stopped(Stop::Quiet)) => {
                    self.drop_from_plan(tid);
                    self.set_state(
                        tid,
                        ThreadState::Stopped(Stop::Pending(StopEvent::Requested)),
                    );
                }
                Some(ThreadState::Stopped(Stop::Held(signal))) => {
                    self.drop_from_plan(tid);
                    let event = StopEvent::Signal(signal);
                    self.set_state(tid, ThreadState::Stopped(Stop::Pending(event)));
                }
                // Already stopped for the client, or dying.
                Some(ThreadState::Stopped(_) | ThreadState::Zombie) | None => {}
            }
        }
    }

    /// A thread to stop is no longer to be resumed after a step-over.
    fn drop_from_plan(&mut self, tid: Tid) {
        if let RunState::Regrouping { plan } | RunState::SteppingOver { plan, .. } = &mut self.state
        {
            plan.actions.remove(&tid);
        }
    }

    /// A stop that was asked for (`vCont;t`) has come: `true` if so, and
    /// the thread now has it pending.
    pub(super) fn requested_stop_came(&mut self, tid: Tid) -> bool {
        if !self.non_stop || !self.stop_requests.remove(&tid) {
            return false;
        }
        self.set_state(
            tid,
            ThreadState::Stopped(Stop::Pending(StopEvent::Requested)),
        );
        true
    }

    /// Non-stop: the next thing to tell, while the other threads run:
    /// the end of the process, or one thread's stop.
    pub(super) fn take_report_non_stop(&mut self) -> Option<Report> {
        match &self.state {
            RunState::Exited(report) => {
                let report = *report;
                self.set_run_state(RunState::Gone);
                return Some(report);
            }
            RunState::SteppingOver { .. } => {
                self.finish_step_over();
            }
            RunState::Regrouping { .. } => {
                self.finish_regrouping();
            }
            _ => {}
        }
        let (tid, event) = self.pick_pending()?;
        // Told it is stopped, it stays so until the client resumes it.
        self.drop_from_plan(tid);
        self.set_state(tid, ThreadState::Stopped(Stop::Reported(event)));
        self.last_reported = tid;
        Some(Report::Thread { tid, event })
    }

    /// Stop every running thread now and wait until each has, for what
    /// needs the whole process still (debug registers, detach). A stop
    /// with something to tell stays pending. [`unpause`](Self::unpause)
    /// lets the threads go on as they were.
    pub fn pause(&mut self) -> Result<Paused, Error> {
        // A step-over under way ends first: its threads then run or stop
        // as planned.
        loop {
            match self.state {
                RunState::SteppingOver { .. } => self.finish_step_over(),
                RunState::Regrouping { .. } => self.finish_regrouping(),
                _ => break,
            };
            if matches!(
                self.state,
                RunState::SteppingOver { .. } | RunState::Regrouping { .. }
            ) {
                self.wait_for_one()?;
            }
        }
        if matches!(self.state, RunState::Gone | RunState::Exited(_)) {
            return Ok(Paused::default());
        }
        let before: BTreeSet<Tid> = self.threads.keys().copied().collect();
        let mut going: BTreeMap<Tid, Resume> = self.running_threads().into_iter().collect();
        let state = self.state.clone();
        // While stopping, the handlers leave every thread stopped.
        self.set_run_state(RunState::Stopping(Cause::Interrupt));
        self.stop_running_threads();
        while self.has_running_threads() {
            self.wait_for_one()?;
            if matches!(self.state, RunState::Exited(_)) {
                return Ok(Paused::default());
            }
        }
        self.set_run_state(state);
        // Threads born meanwhile run too.
        for tid in self.threads.keys() {
            if !before.contains(tid) {
                going.insert(*tid, Resume::Continue);
            }
        }
        Ok(Paused { threads: going })
    }

    /// Let the threads [`pause`](Self::pause) stopped go on as they were;
    /// those that stopped with something to tell stay stopped.
    pub fn unpause(&mut self, paused: Paused) -> Result<(), Error> {
        let actions = paused
            .threads
            .into_iter()
            .filter(|&(tid, _)| self.thread_state(tid) == Some(ThreadState::Stopped(Stop::Quiet)))
            .map(|(tid, resume)| (tid, Action { resume, signal: 0 }))
            .collect();
        self.resume_non_stop(ResumePlan {
            actions,
            others: None,
        })
    }
}
