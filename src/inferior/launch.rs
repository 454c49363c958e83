//! Starting a program under the debugger, stopped at its first instruction
//! (the exec stop: the dynamic loader's entry point, where gdbserver stops).

use super::process::Process;
use super::tracer::LiveTracer;
use super::Error;
use crate::sys::spawn::{self, ExecSpec};
use crate::sys::wait::{self, PtraceEvent, WaitStatus};
use crate::sys::{ptrace, Errno};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub program: OsString,
    pub args: Vec<OsString>,
}

fn cstring(s: &OsStr) -> Result<CString, Error> {
    CString::new(s.as_bytes())
        .map_err(|_| Error::Launch(format!("{}: contains a NUL byte", s.to_string_lossy())))
}

/// Find the program as a shell would: a name with a slash is a path, a bare
/// name is looked up in PATH, then in the current directory (as gdbserver does).
fn resolve(program: &OsStr) -> Result<PathBuf, Error> {
    let name = Path::new(program);
    let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
        vec![name.to_path_buf()]
    } else {
        std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain(std::iter::once(name.to_path_buf()))
            .collect()
    };
    let shown = name.display();
    let mut found_not_executable = None;
    for path in candidates {
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => {
                return Ok(path)
            }
            Ok(meta) if meta.is_dir() => {
                found_not_executable = Some(format!("{shown}: is a directory"))
            }
            Ok(_) => {
                found_not_executable = Some(format!("{shown}: permission denied (not executable)"))
            }
            Err(_) => {}
        }
    }
    Err(Error::Launch(found_not_executable.unwrap_or_else(|| {
        format!("{shown}: no such file or program in PATH")
    })))
}

/// Fork and exec the program, traced from its first instruction.
pub fn launch(spec: &LaunchSpec) -> Result<Process<LiveTracer>, Error> {
    let path = resolve(&spec.program)?;
    let mut argv = vec![cstring(&spec.program)?];
    for arg in &spec.args {
        argv.push(cstring(arg)?);
    }
    let envp = std::env::vars_os()
        .map(|(k, v)| {
            let mut kv = k;
            kv.push("=");
            kv.push(v);
            cstring(&kv)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let exec = ExecSpec {
        path: cstring(path.as_os_str())?,
        argv,
        envp,
    };
    let sys_err = |what| move |errno: Errno| Error::Launch(format!("{what}: {errno}"));
    let forked = spawn::fork_blocked(&exec).map_err(sys_err("fork"))?;
    let pid = forked.pid;
    if let Err(errno) = ptrace::seize(pid, ptrace::default_options()) {
        let _ = spawn::kill_process(pid, libc::SIGKILL);
        let _ = wait::wait_for(pid);
        return Err(Error::Launch(format!(
            "cannot trace the new process: {errno}"
        )));
    }
    if let Err(errno) = forked.release() {
        // The child reports its exec failure, then exits: reap it.
        while let Ok(Some(status)) = wait::wait_for(pid) {
            if matches!(
                status,
                WaitStatus::Exited { .. } | WaitStatus::Killed { .. }
            ) {
                break;
            }
            let _ = ptrace::cont(pid, 0);
        }
        return Err(Error::Launch(format!(
            "cannot execute {}: {}",
            path.display(),
            errno.desc()
        )));
    }
    loop {
        match wait::wait_for(pid).map_err(sys_err("waitpid"))? {
            Some(WaitStatus::Event {
                event: PtraceEvent::Exec,
                ..
            }) => break,
            // Anything before the exec (a signal sent to the child early) is
            // passed on: it is not the program's yet.
            Some(WaitStatus::SignalStop { signal, .. }) => {
                ptrace::cont(pid, signal).map_err(sys_err("resume before exec"))?
            }
            Some(WaitStatus::Exited { code, .. }) => {
                return Err(Error::Launch(format!(
                    "the program exited with status {code} before it started"
                )))
            }
            Some(WaitStatus::Killed { signal, .. }) => {
                return Err(Error::Launch(format!(
                    "the program was killed by signal {signal} before it started"
                )))
            }
            Some(_) => ptrace::cont(pid, 0).map_err(sys_err("resume before exec"))?,
            None => return Err(Error::Launch("the new process vanished".into())),
        }
    }
    let tracer = LiveTracer::new(pid)
        .map_err(|e| Error::Launch(format!("cannot open /proc/{pid}/mem: {e}")))?;
    Ok(Process::new(pid, tracer, &[pid]))
}
