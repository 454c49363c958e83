//! Ending the debugging of a process: killing it and reaping every thread,
//! or detaching with our breakpoints out and each thread's unreported
//! signal handed back.

use super::{Process, RunState};
use crate::inferior::thread::ThreadState;
use crate::inferior::tracer::Tracer;
use crate::inferior::Error;
use crate::sys::wait::WaitStatus;
use crate::sys::{Errno, Tid};

impl<T: Tracer> Process<T> {
    /// Kill the process and reap every thread. Returns once it is gone.
    pub fn kill(&mut self) -> Result<(), Error> {
        if self.state == RunState::Gone {
            return Ok(());
        }
        if let Err(errno) = self.tracer.send_signal(libc::SIGKILL) {
            if errno != Errno::ESRCH {
                return Err(Error::Sys {
                    what: "kill",
                    tid: self.pid,
                    errno,
                });
            }
        }
        // Every thread dies: take each one's last status, the leader's last
        // (the kernel reports it only after the others are reaped).
        while !matches!(self.state, RunState::Exited(_) | RunState::Gone) {
            let next = self.threads.keys().copied().find(|&tid| tid != self.pid);
            let Some(tid) =
                next.or_else(|| self.threads.contains_key(&self.pid).then_some(self.pid))
            else {
                break;
            };
            match self.tracer.wait_for(tid) {
                Ok(Some(status)) => self.handle(status),
                Ok(None) | Err(_) => self.lost(tid),
            }
        }
        self.threads.clear();
        self.set_run_state(RunState::Gone);
        Ok(())
    }

    /// Take every breakpoint out and let every thread go, each with the
    /// signal it stopped with and was not yet told about.
    pub fn detach(&mut self) -> Result<(), Error> {
        match self.state {
            RunState::Stopped => {}
            // Non-stop, paused: every thread stopped.
            RunState::Running if self.non_stop && !self.has_running_threads() => {}
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => return Err(Error::ProcessRunning),
        }
        for addr in self.breakpoints.addresses() {
            self.remove_breakpoint(addr)?;
        }
        let threads: Vec<(Tid, ThreadState)> =
            self.threads.values().map(|t| (t.tid, t.state())).collect();
        for (tid, state) in threads {
            match state {
                ThreadState::Stopped(stop) => {
                    let signal = stop.signal().unwrap_or(0);
                    if let Err(errno) = self.tracer.detach(tid, signal) {
                        log::debug!("thread {tid}: detach: {errno}");
                    }
                }
                // Exiting, and still ours until reaped: with
                // PTRACE_O_EXITKILL it would be SIGKILLed when the server
                // exits, and that kills the whole process. Its last status
                // is due at once (a leader's only after its threads: left).
                ThreadState::Zombie if tid != self.pid => self.reap(tid),
                _ => {}
            }
        }
        self.threads.clear();
        self.set_run_state(RunState::Gone);
        Ok(())
    }

    /// Wait for an exiting thread's last status.
    fn reap(&mut self, tid: Tid) {
        loop {
            match self.tracer.wait_for(tid) {
                Ok(Some(WaitStatus::Exited { .. } | WaitStatus::Killed { .. }))
                | Ok(None)
                | Err(_) => return,
                Ok(Some(other)) => log::debug!("thread {tid}: {other:?} while reaping"),
            }
        }
    }
}
