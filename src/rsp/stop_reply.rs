//! Stop replies: how a stop of the process is told to the client (`T`,
//! `W`, `X`), with the registers gdb reads at every stop sent along
//! ("expedited") so that it need not ask for them.

use super::client::ClientProfile;
use super::codec;
use super::debug_target::DebugTarget;
use super::lldb::{self, StopNews};
use super::signals;
use crate::arch::x86_64::frame_regnums;
use crate::console::say;
use crate::inferior::debug_registers::HwKind;
use crate::inferior::{Report, StopEvent};
use crate::sys::Tid;
use std::fmt::Write as _;
use std::os::unix::ffi::OsStrExt;

/// The reply that tells `report` of process `pid`.
pub fn stop_reply(
    target: &mut DebugTarget,
    client: &ClientProfile,
    pid: Tid,
    report: Report,
    news: &mut StopNews,
) -> Vec<u8> {
    // With the multiprocess extensions an end names its process.
    let process = if client.multiprocess {
        format!(";process:{pid:x}")
    } else {
        String::new()
    };
    let (tid, signal, reason) = match report {
        Report::Exited(code) => return format!("W{:02x}{process}", code as u8).into_bytes(),
        Report::Killed(sig) => {
            return format!("X{:02x}{process}", signals::to_gdb(sig).0).into_bytes()
        }
        Report::Interrupted { tid } => (tid, client.interrupt_signal().0, String::new()),
        Report::Thread { tid, event } => {
            if event == StopEvent::Exec && client.exec_events && !target.disabled_packets.t {
                return exec_reply(target, client, pid, tid);
            }
            let (signal, reason) = thread_event(client, event);
            (tid, signal, reason)
        }
    };
    let Some(mut reply) = thread_stop(target, client, pid, tid, signal) else {
        return format!("S{signal:02x}").into_bytes();
    };
    reply.push_str(&reason);
    expedite_registers(target, pid, tid, &mut reply);
    if client.tells_pending_stops_at_once() {
        reply.push_str(&lldb::stop_reply_extras(target, news));
    }
    reply.into_bytes()
}

/// The reply to `?` (and to `vRun` and `vAttach`): process `pid` is
/// stopped at `tid`; `W00` when there is no process.
pub fn initial_stop_reply(
    target: &mut DebugTarget,
    client: &ClientProfile,
    pid: Option<Tid>,
    tid: Option<Tid>,
) -> Vec<u8> {
    let (Some(pid), Some(tid)) = (pid, tid) else {
        return b"W00".to_vec();
    };
    let trap = signals::to_gdb(libc::SIGTRAP).0;
    match thread_stop(target, client, pid, tid, trap) {
        // The registers any stop reply carries: gdb need not read them.
        Some(mut reply) => {
            expedite_registers(target, pid, tid, &mut reply);
            reply.into_bytes()
        }
        None => format!("S{trap:02x}").into_bytes(),
    }
}

/// The start of a `T` reply for a stop of `tid` (of process `pid`) with
/// `signal`: `Tss` and the thread (unless `--disable-packet=Tthread`);
/// `None` when the reply is to be a plain `S` (`--disable-packet=T`).
fn thread_stop(
    target: &DebugTarget,
    client: &ClientProfile,
    pid: Tid,
    tid: Tid,
    signal: u8,
) -> Option<String> {
    let disabled = target.disabled_packets;
    if disabled.t {
        return None;
    }
    let mut reply = format!("T{signal:02x}");
    if !disabled.t_thread {
        let _ = write!(reply, "thread:{};", client.thread_id(pid, tid));
    }
    Some(reply)
}

/// The signal and the reason fields of a thread's stop.
fn thread_event(client: &ClientProfile, event: StopEvent) -> (u8, String) {
    let trap = signals::to_gdb(libc::SIGTRAP).0;
    match event {
        StopEvent::Breakpoint => (trap, "swbreak:;".into()),
        StopEvent::HwBreakpoint => (trap, "hwbreak:;".into()),
        StopEvent::Watchpoint { kind, addr } => {
            let name = match kind {
                HwKind::Write => "watch",
                _ => "awatch",
            };
            (trap, format!("{name}:{addr:x};"))
        }
        StopEvent::Syscall { entry, number } => {
            let name = if entry {
                "syscall_entry"
            } else {
                "syscall_return"
            };
            (trap, format!("{name}:{number:x};"))
        }
        StopEvent::Forked { child } => (trap, format!("fork:{};", client.thread_id(child, child))),
        StopEvent::Vforked { child } => {
            (trap, format!("vfork:{};", client.thread_id(child, child)))
        }
        StopEvent::VforkDone => (trap, "vforkdone:;".into()),
        // Non-stop's `vCont;t`: signal 0, as gdbserver reports it.
        StopEvent::Requested => (0, String::new()),
        // For a client without exec events: a trap in the new program.
        StopEvent::Stepped | StopEvent::Exec => (trap, String::new()),
        StopEvent::Signal(sig) => (signals::to_gdb(sig).0, String::new()),
    }
}

/// The frame pointer, stack pointer and pc of `tid`, as `NN:VALUE;`.
fn expedite_registers(target: &mut DebugTarget, pid: Tid, tid: Tid, reply: &mut String) {
    let Ok(process) = target.process_by_pid(pid) else {
        return;
    };
    let mode = process.mode();
    let Ok(values) = process.frame_registers(tid) else {
        return;
    };
    for (&(regnum, size), value) in frame_regnums(mode).iter().zip(values) {
        let bytes = &value.to_le_bytes()[..size];
        let _ = write!(reply, "{regnum:02x}:{};", codec::hex_string(bytes));
    }
}

/// The stop reply for an exec: gdb then loads the new program and puts its
/// breakpoints back.
fn exec_reply(target: &mut DebugTarget, client: &ClientProfile, pid: Tid, tid: Tid) -> Vec<u8> {
    let trap = signals::to_gdb(libc::SIGTRAP).0;
    let mut reply = thread_stop(target, client, pid, tid, trap).unwrap_or_default();
    let path = target
        .process_by_pid(pid)
        .ok()
        .and_then(|process| process.executable_path().ok())
        .unwrap_or_default();
    let _ = write!(
        reply,
        "exec:{};",
        codec::hex_string(path.as_os_str().as_bytes())
    );
    reply.into_bytes()
}

/// The lines gdbserver prints when the program ends; IDEs wait for them.
pub fn announce(report: Report) {
    match report {
        Report::Exited(code) => say(&format!("\nChild exited with status {code}")),
        Report::Killed(sig) => {
            let name = nix::sys::signal::Signal::try_from(sig).map_or("?", |s| s.as_str());
            say(&format!(
                "\nChild terminated with signal = {sig:#x} ({name})"
            ))
        }
        Report::Thread { .. } | Report::Interrupted { .. } => {}
    }
}
