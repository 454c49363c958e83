//! New tasks and new programs: a clone is a new thread of ours. A forked
//! child is either kept, stopped at birth, as a new process of ours with a
//! copy of our breakpoints (when the client follows forks: it then decides
//! what becomes of it), or let go once our breakpoints are out of its copy
//! of the memory; a vfork child, which shares our memory, runs with them
//! lifted until the parent's VFORK_DONE. An exec leaves one thread in a new
//! address space, with nothing of ours in it. A new task's first stop can
//! come before its parent's event: it is set aside until the event says
//! which it is.

use super::Process;
use crate::inferior::breakpoints::Breakpoints;
use crate::inferior::debug_registers::DebugRegisters;
use crate::inferior::thread::{StopEvent, Thread, ThreadState};
use crate::inferior::tracer::Tracer;
use crate::inferior::Error;
use crate::sys::wait::WaitStatus;
use crate::sys::Tid;

impl<T: Tracer> Process<T> {
    /// A status from a tid we do not know: the first stop of a new thread or
    /// forked child whose parent's event is still to come.
    pub(super) fn set_aside_unknown(&mut self, status: WaitStatus) {
        let tid = status.tid();
        if matches!(
            status,
            WaitStatus::Exited { .. } | WaitStatus::Killed { .. }
        ) {
            return;
        }
        log::debug!("task {tid}: first stop before its parent's clone or fork event");
        self.early_births.insert(tid);
    }

    /// PTRACE_EVENT_CLONE: `parent` made a new thread.
    pub(super) fn cloned(&mut self, parent: Tid) {
        match self.tracer.new_thread_id(parent) {
            Ok(new) if !self.threads.contains_key(&new) => {
                self.threads
                    .insert(new, Thread::new(new, ThreadState::Starting));
                // Its first stop (PTRACE_EVENT_STOP) may have come already.
                if self.early_births.remove(&new) {
                    self.quiet_stop(new);
                }
            }
            Ok(_) => {}
            Err(errno) => log::warn!("thread {parent}: clone event unreadable: {errno}"),
        }
        self.quiet_stop(parent);
    }

    /// PTRACE_EVENT_FORK or _VFORK: `parent` made a child process.
    pub(super) fn forked(&mut self, parent: Tid, vfork: bool) {
        let child = match self.tracer.new_thread_id(parent) {
            Ok(child) => child,
            Err(errno) => {
                log::warn!("thread {parent}: fork event unreadable: {errno}");
                return self.quiet_stop(parent);
            }
        };
        if !self.child_stopped_at_birth(child) {
            return self.quiet_stop(parent);
        }
        if self.follow_forks {
            // The client decides; until then the child waits, stopped.
            self.new_children.push(child);
            let event = if vfork {
                StopEvent::Vforked { child }
            } else {
                StopEvent::Forked { child }
            };
            self.event_stop(parent, event);
        } else {
            self.release_child(child, vfork);
            self.quiet_stop(parent);
        }
    }

    /// Wait for a new child's first stop, unless it came already; `false`
    /// if the child is gone.
    fn child_stopped_at_birth(&mut self, child: Tid) -> bool {
        if self.early_births.remove(&child) {
            return true;
        }
        // It is due at once: the child is created stopped.
        match self.tracer.wait_for(child) {
            Ok(Some(WaitStatus::Event { .. } | WaitStatus::SignalStop { .. })) => true,
            other => {
                log::debug!("child {child}: gone at birth ({other:?})");
                false
            }
        }
    }

    /// Take our breakpoints out of a forked child's memory and let it go.
    /// A vfork child shares our memory, so there they are lifted until the
    /// parent's VFORK_DONE.
    pub fn release_child(&mut self, child: Tid, vfork: bool) {
        if vfork {
            self.breakpoints.lift_for_vfork(&mut self.tracer);
        } else {
            let originals: Vec<(u64, u8)> = self.breakpoints.iter().collect();
            for (addr, original) in originals {
                if let Err(errno) = self.tracer.write_child_memory(child, addr, &[original]) {
                    log::warn!("child {child}: cannot take out breakpoint at {addr:#x}: {errno}");
                }
            }
        }
        if let Err(errno) = self.tracer.detach(child, 0) {
            log::warn!("child {child}: detach: {errno}");
        }
        log::debug!(
            "child {child}: released ({})",
            if vfork { "vfork" } else { "fork" }
        );
    }

    /// The children forked since the last call, each stopped at birth, for
    /// [`fork_child`](Self::fork_child) to make processes of.
    pub fn take_new_children(&mut self) -> Vec<Tid> {
        std::mem::take(&mut self.new_children)
    }

    /// The process of a child we forked and keep: one thread, stopped at
    /// birth, with our breakpoints (its memory is a copy of ours, int3s
    /// included, or ours itself after a vfork), our debug registers (which
    /// the kernel does not copy) and our settings.
    pub fn fork_child(&mut self, child: Tid) -> Result<Process<T>, Error> {
        let tracer = self.tracer.for_process(child).map_err(|errno| Error::Sys {
            what: "opening a forked child",
            tid: child,
            errno,
        })?;
        let mut process = Process::new(child, tracer, &[child]);
        process.breakpoints = self.breakpoints.clone();
        process.mode = self.mode;
        process.pass_signals = self.pass_signals.clone();
        process.catch_syscalls = self.catch_syscalls.clone();
        process.follow_forks = self.follow_forks;
        process.non_stop = self.non_stop;
        process.debug_registers = self.debug_registers.clone();
        process.agent = self.agent.clone();
        process.load_debug_registers_into(child);
        Ok(process)
    }

    /// PTRACE_EVENT_VFORK_DONE: a vfork child of `parent` has exec'd or
    /// exited, and no longer runs in our memory.
    pub(super) fn vfork_done(&mut self, parent: Tid) {
        if self.follow_forks {
            // The client was told of the vfork and may have taken
            // breakpoints out through the child, in what is our memory too:
            // ours go back in, and the client hears the vfork is done.
            for addr in self.breakpoints.addresses() {
                self.breakpoints.reinsert(&mut self.tracer, addr);
            }
            self.event_stop(parent, StopEvent::VforkDone);
        } else {
            self.breakpoints.vfork_done(&mut self.tracer);
            self.quiet_stop(parent);
        }
    }

    /// The program called execve: a new address space without our
    /// breakpoints, and only the execing thread left, now with the leader's tid.
    pub(super) fn exec_stop(&mut self, tid: Tid) {
        log::debug!("thread {tid}: exec");
        if let Err(errno) = self.tracer.exec_happened() {
            log::warn!("after exec: {errno}");
        }
        // Whether lifted for a vfork child or not, they are gone with the
        // old memory.
        self.breakpoints = Breakpoints::default();
        // exec clears the debug registers too.
        self.debug_registers = DebugRegisters::default();
        self.agent.clear();
        // The other threads are gone; their last statuses, if any, are ignored.
        self.threads.clear();
        self.threads
            .insert(self.pid, Thread::new(self.pid, ThreadState::Starting));
        self.event_stop(self.pid, StopEvent::Exec);
        // The new program may be 32-bit where the old one was 64-bit.
        self.detect_mode();
    }
}
