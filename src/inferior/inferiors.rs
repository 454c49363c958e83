//! Every process the server debugs, and all-stop across them: a stop of
//! any thread of any process stops every other process before it is
//! reported, as gdbserver does. In non-stop mode nothing stops for another
//! process's stop: each report is handed out as it comes.
//!
//! One waiter takes every wait status (waitpid sees all the tracees of this
//! thread, whatever their process) and hands it to the process whose
//! thread it is; a task nobody knows yet (a new thread or child whose
//! parent's event is still to come) goes to the process the kernel says it
//! belongs to. Children forked and kept become processes of their own.

use super::process::{Process, Report, ResumePlan};
use super::thread::StopEvent;
use super::tracer::{Tracer, Waiter};
use super::Error;
use crate::console::say;
use crate::sys::wait::WaitStatus;
use crate::sys::Tid;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// How we came to debug a process, which decides how we leave it: a
/// program we launched is killed, one we attached to is detached. A forked
/// child goes the way of its parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Launched,
    Attached,
}

pub struct Inferior<T: Tracer> {
    pub process: Process<T>,
    pub origin: Origin,
}

impl<T: Tracer> Inferior<T> {
    /// Let go of the process the way its origin says. An attached process
    /// must be stopped (see [`Inferiors::stop_all_now`]).
    fn leave(&mut self) {
        let pid = self.process.pid();
        match self.origin {
            Origin::Launched => {
                if let Err(e) = self.process.kill() {
                    say(&format!("rgdbserver: cannot kill process {pid}: {e}"));
                }
            }
            Origin::Attached => match self.process.detach() {
                Ok(()) => say(&format!("Detached from process {pid}")),
                Err(Error::Gone) => {}
                Err(e) => say(&format!(
                    "rgdbserver: cannot detach from process {pid}: {e}"
                )),
            },
        }
    }
}

/// The processes as a whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Every process stopped, and the client told so.
    Stopped,
    /// Processes run as the client asked.
    Running,
    /// `report` of process `pid` is told once every other process has
    /// stopped too.
    Stopping { pid: Tid, report: Report },
}

pub struct Inferiors<T: Tracer, W: Waiter> {
    processes: BTreeMap<Tid, Inferior<T>>,
    waiter: W,
    run: Run,
    /// Reports that could not be told yet: a process that ended while the
    /// others were being stopped for another's stop, or a stop nobody was
    /// there to hear. Each is told at the next resume, before anything runs.
    queued: VecDeque<(Tid, Report)>,
    /// Forked children the client has not heard of yet (their parent's fork
    /// stop is still to be reported), with their parents: until then they
    /// are no process of the client's (gdb would take one it meets in a
    /// thread list for a process it attached to), and they stay stopped.
    unannounced: BTreeMap<Tid, Tid>,
    /// The processes in the order their news came since the last resume:
    /// stops are reported in the order they happened (a child's exit
    /// before the stop of the parent it woke from `waitpid`).
    arrivals: Vec<Tid>,
    /// Settings every process gets, new ones included.
    follow_forks: bool,
    pass_signals: BTreeSet<i32>,
    non_stop: bool,
}

fn waitpid_error(errno: crate::sys::Errno) -> Error {
    Error::Sys {
        what: "waitpid",
        tid: -1,
        errno,
    }
}

impl<T: Tracer, W: Waiter> Inferiors<T, W> {
    pub fn new(waiter: W) -> Inferiors<T, W> {
        Inferiors {
            processes: BTreeMap::new(),
            waiter,
            run: Run::Stopped,
            queued: VecDeque::new(),
            unannounced: BTreeMap::new(),
            arrivals: Vec::new(),
            follow_forks: false,
            pass_signals: BTreeSet::new(),
            non_stop: false,
        }
    }

    /// A new process, stopped (launched, attached, or forked).
    pub fn add(&mut self, mut process: Process<T>, origin: Origin) {
        process.set_follow_forks(self.follow_forks);
        process.set_pass_signals(self.pass_signals.clone());
        process.set_non_stop(self.non_stop);
        self.processes
            .insert(process.pid(), Inferior { process, origin });
    }

    /// The waiter (tests queue statuses in a fake one).
    pub fn waiter(&mut self) -> &mut W {
        &mut self.waiter
    }

    /// Whether no process is left (that the client knows of).
    pub fn is_empty(&self) -> bool {
        self.processes
            .keys()
            .all(|pid| self.unannounced.contains_key(pid))
    }

    /// The processes the client knows of, in pid order.
    pub fn pids(&self) -> Vec<Tid> {
        self.processes
            .keys()
            .copied()
            .filter(|pid| !self.unannounced.contains_key(pid))
            .collect()
    }

    pub fn get(&self, pid: Tid) -> Option<&Inferior<T>> {
        if self.unannounced.contains_key(&pid) {
            return None;
        }
        self.processes.get(&pid)
    }

    pub fn get_mut(&mut self, pid: Tid) -> Option<&mut Inferior<T>> {
        if self.unannounced.contains_key(&pid) {
            return None;
        }
        self.processes.get_mut(&pid)
    }

    /// The process thread `tid` belongs to (among those the client knows).
    /// A process that ended and whose end is still to be told keeps its
    /// main thread until then.
    pub fn process_of(&self, tid: Tid) -> Option<Tid> {
        self.processes
            .iter()
            .find(|(&pid, i)| {
                let listed =
                    i.process.thread_state(tid).is_some() || (pid == tid && i.process.is_gone());
                listed && !self.unannounced.contains_key(&pid)
            })
            .map(|(&pid, _)| pid)
    }

    /// The threads of process `pid` the client can see: its live ones, or
    /// the main thread of a process whose end is still to be told.
    pub fn threads_of(&self, pid: Tid) -> Vec<Tid> {
        match self.get(pid) {
            Some(i) if i.process.is_gone() => vec![pid],
            Some(i) => i.process.thread_ids().collect(),
            None => Vec::new(),
        }
    }

    /// Keep forked children (the client follows forks), or let them go.
    pub fn set_follow_forks(&mut self, follow: bool) {
        self.follow_forks = follow;
        for inferior in self.processes.values_mut() {
            inferior.process.set_follow_forks(follow);
        }
    }

    /// The signals to pass without a stop (QPassSignals), in every process.
    pub fn set_pass_signals(&mut self, signals: BTreeSet<i32>) {
        for inferior in self.processes.values_mut() {
            inferior.process.set_pass_signals(signals.clone());
        }
        self.pass_signals = signals;
    }

    /// Whether processes run (a stop is yet to be reported).
    pub fn is_running(&self) -> bool {
        self.run != Run::Stopped
    }

    /// Non-stop mode, or all-stop. Back to all-stop, whatever runs is
    /// stopped (its stops kept for the next resume), as all-stop starts
    /// with everything stopped.
    pub fn set_non_stop(&mut self, on: bool) -> Result<(), Error> {
        if on == self.non_stop {
            return Ok(());
        }
        self.non_stop = on;
        for inferior in self.processes.values_mut() {
            inferior.process.set_non_stop(on);
        }
        let resumed = self
            .processes
            .values()
            .any(|i| !i.process.is_stopped() && !i.process.is_gone());
        if on || !resumed {
            return Ok(());
        }
        self.run = Run::Running;
        self.stop_all_now()
    }

    pub fn is_non_stop(&self) -> bool {
        self.non_stop
    }

    /// Non-stop `vCont;t`: stop these threads of process `pid`.
    pub fn stop_threads(&mut self, pid: Tid, tids: &[Tid]) {
        if let Some(inferior) = self.processes.get_mut(&pid) {
            inferior.process.stop_threads(tids);
        }
    }

    // ----- running and stopping -----

    /// Resume each process by its plan; processes without one stay
    /// stopped. A report still to be told goes first, without running
    /// anything; with no plan at all, the first process stops at once (the
    /// client waits for a stop).
    pub fn resume(&mut self, mut plans: BTreeMap<Tid, ResumePlan>) -> Result<(), Error> {
        if self.non_stop {
            // Whatever runs goes on; each process takes its plan.
            for (pid, plan) in plans {
                let inferior = self.processes.get_mut(&pid).ok_or(Error::Gone)?;
                inferior.process.resume(plan)?;
            }
            self.run = Run::Running;
            return Ok(());
        }
        if self.run != Run::Stopped {
            return Err(Error::ProcessRunning);
        }
        if let Some((pid, report)) = self.queued.pop_front() {
            self.run = Run::Stopping { pid, report };
            return Ok(());
        }
        if let Some(&pid) = plans.keys().find(|pid| !self.processes.contains_key(pid)) {
            return Err(Error::NoSuchThread(pid));
        }
        if plans.is_empty() {
            let first = *self.processes.keys().next().ok_or(Error::Gone)?;
            plans.insert(first, ResumePlan::default());
        }
        for (pid, plan) in plans {
            if let Some(inferior) = self.processes.get_mut(&pid) {
                inferior.process.resume(plan)?;
            }
        }
        self.arrivals.clear();
        self.run = Run::Running;
        Ok(())
    }

    /// Stop everything at the client's request (Ctrl-C); the first process
    /// to stop is reported.
    pub fn interrupt(&mut self) {
        for inferior in self.processes.values_mut() {
            inferior.process.interrupt();
        }
    }

    /// Take in every wait status that is there now and move on; the stop
    /// to report, with its process, once everything has stopped.
    pub fn poll(&mut self) -> Result<Option<(Tid, Report)>, Error> {
        while let Some(status) = self.waiter.wait(false).map_err(waitpid_error)? {
            self.route(status);
        }
        if self.non_stop {
            return Ok(self.next_report());
        }
        Ok(self.progress())
    }

    /// Non-stop: the next report of any process, in the order their news
    /// came; the others run on.
    fn next_report(&mut self) -> Option<(Tid, Report)> {
        let order: Vec<Tid> = self
            .arrivals
            .iter()
            .copied()
            .chain(self.processes.keys().copied())
            .collect();
        let found = order.into_iter().find_map(|pid| {
            let report = self.processes.get_mut(&pid)?.process.take_report()?;
            Some((pid, report))
        });
        match found {
            Some((_, report)) => self.announce_child(report),
            None => self.arrivals.clear(),
        }
        found
    }

    /// A forked child becomes the client's with its parent's fork stop.
    fn announce_child(&mut self, report: Report) {
        if let Report::Thread {
            event: StopEvent::Forked { child } | StopEvent::Vforked { child },
            ..
        } = report
        {
            self.unannounced.remove(&child);
        }
    }

    /// Block until there is a stop to report.
    pub fn wait_for_report(&mut self) -> Result<(Tid, Report), Error> {
        loop {
            if let Some(report) = self.progress() {
                return Ok(report);
            }
            if self.run == Run::Stopped {
                return Err(Error::NotRunning);
            }
            match self.waiter.wait(true).map_err(waitpid_error)? {
                Some(status) => self.route(status),
                None => return Err(Error::Gone),
            }
        }
    }

    /// Stop everything now and wait until it has, for leaving running
    /// programs (detach, a client gone); the stop that would have been
    /// reported is kept for the next client.
    pub fn stop_all_now(&mut self) -> Result<(), Error> {
        if self.run == Run::Stopped {
            return Ok(());
        }
        self.interrupt();
        let (pid, report) = self.wait_for_report()?;
        match report {
            Report::Interrupted { .. } => {}
            Report::Thread { .. } => {
                if let Some(inferior) = self.processes.get_mut(&pid) {
                    inferior.process.keep_unreported(report);
                }
            }
            Report::Exited(_) | Report::Killed(_) => self.queued.push_front((pid, report)),
        }
        Ok(())
    }

    /// Hand a status to the process whose task it is.
    fn route(&mut self, status: WaitStatus) {
        let tid = status.tid();
        let known = self
            .processes
            .iter()
            .find(|(&pid, i)| pid == tid || i.process.thread_state(tid).is_some())
            .map(|(&pid, _)| pid);
        // A task we have not heard of: the kernel says whose it is.
        let owner = known.or_else(|| {
            let owner = self.waiter.owner(tid)?;
            self.processes.contains_key(&owner).then_some(owner)
        });
        let Some(pid) = owner else {
            log::debug!("task {tid}: {status:?} from no process of ours");
            return;
        };
        let Some(inferior) = self.processes.get_mut(&pid) else {
            return;
        };
        inferior.process.handle(status);
        if !self.arrivals.contains(&pid) {
            self.arrivals.push(pid);
        }
        let origin = inferior.origin;
        let mut children = Vec::new();
        for child in inferior.process.take_new_children() {
            match inferior.process.fork_child(child) {
                Ok(process) => children.push(process),
                Err(e) => {
                    // Never left stopped and traced with nobody to free it.
                    log::warn!("child {child} of {pid} cannot be debugged ({e}): let go");
                    inferior.process.release_child(child, false);
                }
            }
        }
        for process in children {
            log::debug!("process {}: forked by {pid}, kept", process.pid());
            self.unannounced.insert(process.pid(), pid);
            self.processes
                .insert(process.pid(), Inferior { process, origin });
        }
    }

    /// Move on: the first process with a report stops the others; once all
    /// have stopped, it is the stop to report. What the others had to say
    /// is kept for later.
    fn progress(&mut self) -> Option<(Tid, Report)> {
        if self.run == Run::Running {
            // As soon as one process stops for something to report, the
            // others are told to stop: nothing runs on while it is told.
            if self.processes.values().any(|i| i.process.is_stopping()) {
                for inferior in self.processes.values_mut() {
                    if !inferior.process.is_stopping() {
                        inferior.process.interrupt();
                    }
                }
            }
            let order: Vec<Tid> = self
                .arrivals
                .iter()
                .copied()
                .chain(self.processes.keys().copied())
                .collect();
            let (pid, report) = order.into_iter().find_map(|pid| {
                let report = self.processes.get_mut(&pid)?.process.take_report()?;
                Some((pid, report))
            })?;
            self.run = Run::Stopping { pid, report };
            for inferior in self.processes.values_mut() {
                inferior.process.interrupt();
            }
        }
        let Run::Stopping { pid, report } = self.run else {
            return None;
        };
        let mut all_stopped = true;
        for (&other, inferior) in self.processes.iter_mut() {
            let process = &mut inferior.process;
            if other == pid || process.is_stopped() || process.is_gone() {
                continue;
            }
            match process.take_report() {
                None => all_stopped = false,
                Some(Report::Interrupted { .. }) => {}
                Some(thread @ Report::Thread { .. }) => process.keep_unreported(thread),
                Some(ended) => self.queued.push_back((other, ended)),
            }
        }
        if !all_stopped {
            return None;
        }
        self.run = Run::Stopped;
        self.announce_child(report);
        Some((pid, report))
    }

    // ----- ending -----

    /// Forget the processes that are gone and whose end has been told.
    pub fn drop_finished(&mut self) {
        let queued: BTreeSet<Tid> = self.queued.iter().map(|(pid, _)| *pid).collect();
        self.processes.retain(|&pid, i| {
            let keep = !i.process.is_gone() || queued.contains(&pid);
            if !keep {
                crate::sys::terminal::take_back_from(pid);
            }
            keep
        });
    }

    /// Kill process `pid` (stopped or not) and forget it, with the children
    /// it forked that the client has not heard of.
    pub fn kill(&mut self, pid: Tid) -> Result<(), Error> {
        let mut inferior = self.take(pid).ok_or(Error::Gone)?;
        for (_, mut child) in self.take_unannounced_children(pid) {
            let _ = child.process.kill();
        }
        let killed = inferior.process.kill();
        crate::sys::terminal::take_back_from(pid);
        killed
    }

    /// Detach from process `pid` (stopped) and forget it, with the children
    /// it forked that the client has not heard of.
    pub fn detach(&mut self, pid: Tid) -> Result<(), Error> {
        let inferior = self.processes.get_mut(&pid).ok_or(Error::Gone)?;
        if inferior.process.is_non_stop() {
            // Every thread stopped first; their stops go with them.
            let _paused = inferior.process.pause()?;
        }
        inferior.process.detach()?;
        self.take(pid);
        for (child, mut inferior) in self.take_unannounced_children(pid) {
            if let Err(e) = inferior.process.detach() {
                log::warn!("child {child} of {pid}: detach: {e}");
            }
        }
        Ok(())
    }

    fn take(&mut self, pid: Tid) -> Option<Inferior<T>> {
        self.queued.retain(|(p, _)| *p != pid);
        self.unannounced.remove(&pid);
        self.processes.remove(&pid)
    }

    fn take_unannounced_children(&mut self, parent: Tid) -> Vec<(Tid, Inferior<T>)> {
        let children: Vec<Tid> = self
            .unannounced
            .iter()
            .filter(|(_, &p)| p == parent)
            .map(|(&child, _)| child)
            .collect();
        children
            .into_iter()
            .filter_map(|child| Some((child, self.take(child)?)))
            .collect()
    }

    /// Let go of every process the way its origin says, from any state.
    pub fn leave_all(&mut self) {
        if let Err(e) = self.set_non_stop(false) {
            log::debug!("back to all-stop before leaving: {e}");
        }
        let attached = self
            .processes
            .values()
            .any(|i| i.origin == Origin::Attached && !i.process.is_gone());
        if attached {
            // Detaching needs every thread stopped.
            if let Err(e) = self.stop_all_now() {
                log::debug!("stopping before leaving: {e}");
            }
        }
        for (_, mut inferior) in std::mem::take(&mut self.processes) {
            inferior.leave();
        }
        self.queued.clear();
        self.unannounced.clear();
        self.run = Run::Stopped;
    }
}
