//! vCont: per-thread continue and step, with signals, and scheduler locking.

use super::{os_tid, signals, DebugTarget};
use crate::inferior::{Action, Resume, ResumePlan};
use gdbstub::common::{Signal, Tid};
use gdbstub::target::ext::base::multithread::{
    MultiThreadRangeStepping, MultiThreadRangeSteppingOps, MultiThreadResume,
    MultiThreadSchedulerLocking, MultiThreadSchedulerLockingOps, MultiThreadSingleStep,
    MultiThreadSingleStepOps,
};

fn action(resume: Resume, signal: Option<Signal>) -> Action {
    Action {
        resume,
        signal: signal.map_or(0, signals::from_gdb),
    }
}

impl MultiThreadResume for DebugTarget {
    fn resume(&mut self) -> Result<(), Self::Error> {
        let plan = std::mem::take(&mut self.plan);
        // gdbstub has no error reply for vCont: a refused resume is logged.
        match self.inferior() {
            Some(inferior) => {
                if let Err(e) = inferior.process.resume(plan) {
                    log::warn!("resume refused: {e}");
                }
            }
            None => log::warn!("resume refused: no process"),
        }
        Ok(())
    }

    fn clear_resume_actions(&mut self) -> Result<(), Self::Error> {
        // Threads without an action continue, unless scheduler locking says otherwise.
        self.plan = ResumePlan {
            actions: Default::default(),
            others: Some(action(Resume::Continue, None)),
        };
        Ok(())
    }

    fn set_resume_action_continue(
        &mut self,
        tid: Tid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.plan
            .actions
            .insert(os_tid(tid), action(Resume::Continue, signal));
        Ok(())
    }

    #[inline(always)]
    fn support_single_step(&mut self) -> Option<MultiThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_range_step(&mut self) -> Option<MultiThreadRangeSteppingOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_scheduler_locking(&mut self) -> Option<MultiThreadSchedulerLockingOps<'_, Self>> {
        Some(self)
    }
}

impl MultiThreadSingleStep for DebugTarget {
    fn set_resume_action_step(
        &mut self,
        tid: Tid,
        signal: Option<Signal>,
    ) -> Result<(), Self::Error> {
        self.plan
            .actions
            .insert(os_tid(tid), action(Resume::Step, signal));
        Ok(())
    }
}

impl MultiThreadRangeStepping for DebugTarget {
    fn set_resume_action_range_step(
        &mut self,
        tid: Tid,
        start: u64,
        end: u64,
    ) -> Result<(), Self::Error> {
        let resume = Resume::RangeStep { start, end };
        self.plan.actions.insert(os_tid(tid), action(resume, None));
        Ok(())
    }
}

impl MultiThreadSchedulerLocking for DebugTarget {
    fn set_resume_action_scheduler_lock(&mut self) -> Result<(), Self::Error> {
        self.plan.others = None;
        Ok(())
    }
}
