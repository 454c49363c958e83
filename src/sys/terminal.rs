//! The terminal a launched program runs in, as with gdbserver: each program
//! gets a process group of its own (set in the child before exec) and, when
//! the server runs in the foreground of a terminal, that terminal's
//! foreground: keyboard input and Ctrl-C go to the program, and a second
//! program run alongside gets SIGTTOU when it changes the terminal's
//! settings, as under a shell. The terminal goes back to the server's
//! process group when the program holding it is gone, and at exit.
//!
//! Unlike gdbserver, a server started in the background (`&`) leaves the
//! terminal alone: taking it would take it from the shell.

use super::{Errno, Tid};
use nix::sys::signal::{SigSet, Signal};
use nix::unistd::{getpgrp, isatty, tcgetpgrp, tcsetpgrp, Pid};
use std::sync::Mutex;

/// The server's own foreground group, and the program holding the terminal.
struct Handover {
    server_group: Pid,
    holder: Option<Tid>,
}

static HANDOVER: Mutex<Option<Handover>> = Mutex::new(None);

/// The terminal is the one on stderr, where the server's messages go.
fn terminal() -> std::io::Stderr {
    std::io::stderr()
}

/// While a program holds the terminal the server is a background job: its
/// writes to the terminal and its tcsetpgrp must not stop it. Blocked, the
/// job control signals are not even sent (the kernel counts blocked as
/// ignored); the program starts with an empty mask. Call before any thread
/// exists, as threads inherit the mask.
pub fn block_job_control_stops() -> Result<(), Errno> {
    let mut set = SigSet::empty();
    set.add(Signal::SIGTTOU);
    set.add(Signal::SIGTTIN);
    set.thread_block()
}

/// Give the terminal to program `pid` (the leader of its own process group),
/// if the server holds it now or handed it to an earlier program.
pub fn hand_to(pid: Tid) {
    let mut handover = HANDOVER.lock().unwrap_or_else(|e| e.into_inner());
    let server_group = match &*handover {
        Some(h) => h.server_group,
        None => {
            let ours = getpgrp();
            let in_foreground = isatty(2).unwrap_or(false) && tcgetpgrp(terminal()) == Ok(ours);
            if !in_foreground {
                return;
            }
            ours
        }
    };
    match tcsetpgrp(terminal(), Pid::from_raw(pid)) {
        Ok(()) => {
            *handover = Some(Handover {
                server_group,
                holder: Some(pid),
            })
        }
        Err(errno) => log::debug!("cannot give the terminal to {pid}: {errno}"),
    }
}

/// Program `pid` is gone: if it held the terminal, take the terminal back.
pub fn take_back_from(pid: Tid) {
    let mut handover = HANDOVER.lock().unwrap_or_else(|e| e.into_inner());
    if handover.as_ref().is_some_and(|h| h.holder == Some(pid)) {
        restore(&mut handover);
    }
}

/// The server is ending: take the terminal back from whoever holds it.
pub fn take_back() {
    restore(&mut HANDOVER.lock().unwrap_or_else(|e| e.into_inner()));
}

fn restore(handover: &mut Option<Handover>) {
    if let Some(h) = handover.as_mut() {
        if h.holder.take().is_some() {
            if let Err(errno) = tcsetpgrp(terminal(), h.server_group) {
                log::debug!("cannot take the terminal back: {errno}");
            }
        }
    }
}
