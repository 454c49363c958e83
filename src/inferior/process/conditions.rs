//! Breakpoint conditions and commands evaluated in the server, from the
//! agent bytecode gdb sends with a breakpoint (`ConditionalBreakpoints`,
//! `BreakpointCommands`): a hit whose conditions are all false, or a
//! dprintf, goes on without a word to the client, and costs no round trip.
//! What the conditions are and how they are evaluated is
//! inferior/breakpoint_logic.rs; here, what the process does with a hit
//! that is not reported.
//!
//! A hit that is not reported lets its thread go on as it was going: past
//! the breakpoint by one step with the `int3` lifted. If other threads
//! run, they are stopped for that step first (one of them could pass the
//! lifted breakpoint meanwhile), then everyone goes on as they were
//! (`RunState::Regrouping`). Alone, the thread steps over at once.

use super::{Action, Process, ResumePlan, RunState};
use crate::inferior::breakpoint_logic::BreakpointLogic;
use crate::inferior::thread::{Resume, Stop, ThreadState};
use crate::inferior::tracer::Tracer;
use crate::sys::Tid;
use std::collections::BTreeSet;

impl<T: Tracer> Process<T> {
    /// Conditions and commands for the breakpoint at `addr` (replacing
    /// what it had, as gdb re-sends a breakpoint to change them).
    pub fn set_breakpoint_logic(&mut self, addr: u64, logic: BreakpointLogic) {
        self.agent.set(addr, logic);
    }

    /// Whether `tid`'s hit of the breakpoint at `addr` is to be reported
    /// (see [`AgentState::hit_is_reported`]).
    pub(super) fn hit_is_reported(&mut self, tid: Tid, addr: u64) -> bool {
        self.agent
            .hit_is_reported(&mut self.tracer, &self.breakpoints, tid, self.mode, addr)
    }

    /// A hit not to be reported: the thread goes on as it was going. With
    /// a software breakpoint it is stepped off it first, with the other
    /// threads stopped for that step if they run; everyone then goes on
    /// as before. When everyone is being stopped anyway, it just stops
    /// (it is stepped off at the next resume).
    pub(super) fn pass_breakpoint(&mut self, tid: Tid, software: bool) {
        let mode = match self.thread_state(tid) {
            Some(ThreadState::Running(mode) | ThreadState::Stopping(mode)) => mode,
            _ => Resume::Continue,
        };
        self.set_state(tid, ThreadState::Stopped(Stop::Quiet));
        let action = Action {
            resume: mode,
            signal: 0,
        };
        match &mut self.state {
            RunState::Running if !software => self.run_thread(tid, mode, 0),
            RunState::Running => {
                let running: Vec<(Tid, Resume)> = self
                    .threads
                    .values()
                    .filter_map(|t| match t.state() {
                        ThreadState::Running(mode) => Some((t.tid, mode)),
                        _ => None,
                    })
                    .collect();
                let mut plan = ResumePlan::default();
                plan.actions.insert(tid, action);
                if running.is_empty() {
                    self.start(plan, BTreeSet::new());
                    return;
                }
                for (other, mode) in running {
                    plan.actions.insert(
                        other,
                        Action {
                            resume: mode,
                            signal: 0,
                        },
                    );
                }
                self.set_run_state(RunState::Regrouping { plan });
                self.stop_running_threads();
            }
            RunState::Regrouping { plan } => {
                plan.actions.insert(tid, action);
            }
            _ => {}
        }
    }

    /// Once every thread has stopped for a regrouping: on as planned (the
    /// threads on a breakpoint stepped off it first), or, if one of them
    /// stopped with something to report meanwhile, stop and report.
    /// Returns whether the process is now stopping.
    pub(super) fn finish_regrouping(&mut self) -> bool {
        let RunState::Regrouping { plan } = &self.state else {
            return false;
        };
        if self.threads.values().any(|t| t.state().is_running()) {
            return false;
        }
        // In non-stop a stop with something to tell stops nobody else.
        if !self.non_stop && self.threads.values().any(|t| t.pending().is_some()) {
            self.set_run_state(RunState::Stopping(super::Cause::Event));
            return true;
        }
        let plan = plan.clone();
        self.start(plan, BTreeSet::new());
        false
    }
}
