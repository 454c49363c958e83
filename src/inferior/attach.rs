//! Attaching to a running process: seize every thread, including threads
//! created while we attach, then stop them all.

use super::process::Process;
use super::tracer::LiveTracer;
use super::Error;
use crate::sys::{procfs, ptrace, Errno, Tid};
use std::collections::BTreeSet;

/// The executable of process `pid`, which may not be ours yet: gdb asks
/// for it before it attaches.
pub fn executable_of(pid: Tid) -> Result<std::path::PathBuf, Error> {
    procfs::exe_path(pid).map_err(|e| Error::Sys {
        what: "reading the executable's path",
        tid: pid,
        errno: Errno::from_raw(e.raw_os_error().unwrap_or(libc::ESRCH)),
    })
}

/// Seize and stop every thread of `pid`.
pub fn attach(pid: Tid) -> Result<Process<LiveTracer>, Error> {
    if pid <= 0 || !std::path::Path::new(&format!("/proc/{pid}")).exists() {
        return Err(Error::Launch(format!(
            "cannot attach to process {pid}: no such process"
        )));
    }
    if let Ok(Some(tgid)) = procfs::status_field(pid, "Tgid") {
        if tgid != pid.to_string() {
            return Err(Error::Launch(format!(
                "cannot attach to {pid}: it is a thread of process {tgid}; attach to {tgid}"
            )));
        }
    }
    if let Ok(Some(tracer)) = procfs::status_field(pid, "TracerPid") {
        if tracer != "0" {
            let name = tracer
                .parse()
                .ok()
                .and_then(procfs::command_name)
                .unwrap_or_else(|| "?".into());
            return Err(Error::Launch(format!(
                "cannot attach to process {pid}: it is already traced by process {tracer} ({name}); detach that debugger first"
            )));
        }
    }

    let mut seized = BTreeSet::new();
    // Threads can be created while we attach: scan until a pass finds none new.
    loop {
        let tids = procfs::task_ids(pid).map_err(|e| {
            Error::Launch(format!(
                "cannot attach to process {pid}: cannot list its threads: {e}"
            ))
        })?;
        let new: Vec<Tid> = tids.into_iter().filter(|t| !seized.contains(t)).collect();
        if new.is_empty() {
            break;
        }
        for tid in new {
            seized.insert(tid);
            if procfs::is_zombie(pid, tid) {
                continue;
            }
            match ptrace::seize(tid, ptrace::default_options()) {
                Ok(()) => {}
                // Exited since the scan.
                Err(Errno::ESRCH) => continue,
                // A thread created by a thread already seized is traced by us
                // already (PTRACE_O_TRACECLONE); its events are on their way.
                Err(Errno::EPERM) if tid != pid => continue,
                Err(errno) => {
                    // Undo what was done: leave the process as we found it.
                    for &t in seized.iter().filter(|&&t| t != tid) {
                        let _ = ptrace::detach(t, 0);
                    }
                    return Err(attach_error(pid, errno));
                }
            }
            // Stop it; the interrupt stop is collected below.
            let _ = ptrace::interrupt(tid);
        }
    }
    let tracer = LiveTracer::new(pid)
        .map_err(|e| Error::Launch(format!("cannot open /proc/{pid}/mem: {e}")))?;
    let live: Vec<Tid> = seized
        .into_iter()
        .filter(|&t| !procfs::is_zombie(pid, t))
        .collect();
    let mut process = Process::attaching(pid, tracer, &live);
    match process.settle() {
        Ok(report) => {
            log::debug!("attached to {pid}: {report:?}");
            process.keep_unreported(report);
            process.detect_mode();
            Ok(process)
        }
        Err(e) => Err(Error::Launch(format!(
            "cannot attach to process {pid}: {e}"
        ))),
    }
}

fn attach_error(pid: Tid, errno: Errno) -> Error {
    let hint = match errno {
        Errno::EPERM => {
            let scope = std::fs::read_to_string("/proc/sys/kernel/yama/ptrace_scope")
                .map(|s| s.trim().to_string())
                .unwrap_or_else(|_| "?".into());
            format!(
                ": operation not permitted. Tracing another process needs the same user and \
                 kernel.yama.ptrace_scope 0 (now {scope}; `sysctl kernel.yama.ptrace_scope=0`), \
                 or root / CAP_SYS_PTRACE"
            )
        }
        other => format!(": {}", other.desc()),
    };
    Error::Launch(format!("cannot attach to process {pid}{hint}"))
}
