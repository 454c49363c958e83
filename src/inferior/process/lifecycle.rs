//! Ending the debugging of a process: stopping it where it stands to leave
//! it, killing it and reaping every thread, or detaching with our
//! breakpoints out and each thread's unreported signal handed back.

use super::{Process, Report, RunState};
use crate::inferior::thread::ThreadState;
use crate::inferior::tracer::Tracer;
use crate::inferior::Error;
use crate::sys::wait::WaitStatus;
use crate::sys::{Errno, Tid};

impl<T: Tracer> Process<T> {
    /// Stop every thread now and wait until they have, whatever the run
    /// state: for leaving a running program (detach, a client gone). A stop
    /// that would have been reported stays pending for the next client.
    pub fn stop_all_now(&mut self) -> Result<(), Error> {
        match self.state {
            RunState::Stopped => return Ok(()),
            RunState::Gone | RunState::Exited(_) => return Err(Error::Gone),
            _ => {}
        }
        self.interrupt();
        match self.wait_for_report()? {
            Report::Exited(_) | Report::Killed(_) => Err(Error::Gone),
            report => {
                self.keep_unreported(report);
                Ok(())
            }
        }
    }

    /// Kill the process and reap every thread. Returns once it is gone.
    pub fn kill(&mut self) -> Result<(), Error> {
        if self.state == RunState::Gone {
            return Ok(());
        }
        if let Err(errno) = self.tracer.kill() {
            if errno != Errno::ESRCH {
                return Err(Error::Sys {
                    what: "kill",
                    tid: self.pid,
                    errno,
                });
            }
        }
        while !matches!(self.state, RunState::Exited(_) | RunState::Gone) {
            match self.tracer.wait(true) {
                Ok(Some(status)) => self.handle(status),
                Ok(None) | Err(_) => break,
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
