//! Starting a program under the debugger, stopped at its first instruction
//! (the exec stop of the program itself: the dynamic loader's entry, where
//! gdbserver stops), optionally through a shell and a wrapper.

use super::process::Process;
use super::tracer::LiveTracer;
use super::Error;
use crate::sys::spawn::{self, ExecSpec};
use crate::sys::wait::{self, PtraceEvent, WaitStatus};
use crate::sys::{ptrace, Errno, Tid};
use std::ffi::{CString, OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// How programs are started: gdbserver's defaults, changed by the command
/// line and by gdb (`set environment`, `set cwd`, `set startup-with-shell`,
/// `set disable-randomization`).
#[derive(Debug, Clone)]
pub struct LaunchSettings {
    /// The whole environment of the program, `NAME=value` pairs.
    pub env: Vec<(OsString, OsString)>,
    pub cwd: Option<PathBuf>,
    /// Start it as `$SHELL -c 'exec PROG ARGS'`, like gdbserver by default.
    pub startup_with_shell: bool,
    pub disable_randomization: bool,
    /// A command that runs first and execs the program (`--wrapper`).
    pub wrapper: Vec<OsString>,
    /// Give the program /dev/null for stdin and our stderr for stdout (when
    /// the protocol runs over our stdin/stdout, as gdbserver does).
    pub program_output_to_stderr: bool,
    /// Make the program the foreground of the server's terminal (the
    /// server's own programs; not the tests').
    pub take_terminal: bool,
}

impl Default for LaunchSettings {
    /// The server's environment and gdbserver's defaults (shell on,
    /// randomization off).
    fn default() -> Self {
        LaunchSettings {
            env: std::env::vars_os().collect(),
            cwd: None,
            startup_with_shell: true,
            disable_randomization: true,
            wrapper: Vec::new(),
            program_output_to_stderr: false,
            take_terminal: false,
        }
    }
}

fn cstring(s: &OsStr) -> Result<CString, Error> {
    CString::new(s.as_bytes())
        .map_err(|_| Error::Launch(format!("{}: contains a NUL byte", s.to_string_lossy())))
}

/// Find the program as a shell would: a name with a slash is a path, a bare
/// name is looked up in PATH, then in the current directory (as gdbserver does).
fn resolve(program: &OsStr, cwd: Option<&Path>) -> Result<PathBuf, Error> {
    let name = Path::new(program);
    let candidates: Vec<PathBuf> = if program.as_bytes().contains(&b'/') {
        match cwd {
            Some(dir) if name.is_relative() => vec![dir.join(name)],
            _ => vec![name.to_path_buf()],
        }
    } else {
        std::env::var_os("PATH")
            .map(|paths| {
                std::env::split_paths(&paths)
                    .map(|d| d.join(name))
                    .collect::<Vec<_>>()
            })
            .unwrap_or_default()
            .into_iter()
            .chain(std::iter::once(cwd.unwrap_or(Path::new(".")).join(name)))
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

/// Quote a word for a POSIX shell.
fn shell_quote(word: &OsStr) -> Vec<u8> {
    let bytes = word.as_bytes();
    let plain = |b: &u8| b.is_ascii_alphanumeric() || b"/._-+=:,@%".contains(b);
    if !bytes.is_empty() && bytes.iter().all(plain) {
        return bytes.to_vec();
    }
    let mut quoted = b"'".to_vec();
    for &b in bytes {
        if b == b'\'' {
            quoted.extend_from_slice(b"'\\''");
        } else {
            quoted.push(b);
        }
    }
    quoted.push(b'\'');
    quoted
}

/// The path to exec and its argv, and how many execs come before the
/// program's own (the shell's, the wrapper's).
fn command_line(
    name: &OsStr,
    args: &[OsString],
    settings: &LaunchSettings,
    program: &Path,
) -> Result<(PathBuf, Vec<CString>, usize), Error> {
    let mut words: Vec<OsString> = settings.wrapper.clone();
    words.push(program.as_os_str().to_owned());
    let execs_before = usize::from(!settings.wrapper.is_empty());
    if settings.startup_with_shell {
        let shell = std::env::var_os("SHELL")
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "/bin/sh".into());
        let mut script = b"exec".to_vec();
        for word in &words {
            script.push(b' ');
            script.extend_from_slice(&shell_quote(word));
        }
        for arg in args {
            script.push(b' ');
            // Arguments come split already (by the user's shell or by gdb).
            script.extend_from_slice(&shell_quote(arg));
        }
        let argv = vec![
            cstring(&shell)?,
            cstring(OsStr::new("-c"))?,
            cstring(OsStr::from_bytes(&script))?,
        ];
        let shell_path = resolve(&shell, None)?;
        return Ok((shell_path, argv, execs_before + 1));
    }
    let first = match settings.wrapper.first() {
        Some(wrapper) => resolve(wrapper, settings.cwd.as_deref())?,
        None => program.to_path_buf(),
    };
    let mut argv: Vec<CString> = Vec::new();
    for (i, word) in words.iter().enumerate() {
        // The program's argv[0] is the name the user gave.
        let word = if i == words.len() - 1 { name } else { word };
        argv.push(cstring(word)?);
    }
    for arg in args {
        argv.push(cstring(arg)?);
    }
    Ok((first, argv, execs_before))
}

/// Fork and exec `program` with `args`, traced from its first instruction.
pub fn launch(
    program: &OsStr,
    args: &[OsString],
    settings: &LaunchSettings,
) -> Result<Process<LiveTracer>, Error> {
    let name = program;
    let program = resolve(name, settings.cwd.as_deref())?;
    let (path, argv, mut execs_before) = command_line(name, args, settings, &program)?;
    let envp = settings
        .env
        .iter()
        .map(|(k, v)| {
            let mut kv = k.clone();
            kv.push("=");
            kv.push(v);
            cstring(&kv)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let exec = ExecSpec {
        path: cstring(path.as_os_str())?,
        argv,
        envp,
        cwd: settings
            .cwd
            .as_ref()
            .map(|d| cstring(d.as_os_str()))
            .transpose()?,
        disable_randomization: settings.disable_randomization,
        stdio_to_stderr: settings.program_output_to_stderr,
    };
    let sys_err = |what| move |errno: Errno| Error::Launch(format!("{what}: {errno}"));
    let forked = spawn::fork_blocked(&exec).map_err(sys_err("fork"))?;
    let pid = forked.pid;
    if let Err(errno) = ptrace::seize(pid, ptrace::startup_options()) {
        let _ = spawn::kill_process(pid, libc::SIGKILL);
        let _ = wait::wait_for(pid);
        return Err(Error::Launch(format!(
            "cannot trace the new process: {errno}"
        )));
    }
    if let Err(errno) = forked.release() {
        reap(pid);
        let what = match &settings.cwd {
            Some(dir) if errno == Errno::ENOENT && !dir.is_dir() => {
                format!("cannot run in {}: no such directory", dir.display())
            }
            _ => format!("cannot execute {}: {}", path.display(), errno.desc()),
        };
        return Err(Error::Launch(what));
    }
    // Let the shell and the wrapper exec their way to the program.
    loop {
        match wait::wait_for(pid).map_err(sys_err("waitpid"))? {
            Some(WaitStatus::Event {
                event: PtraceEvent::Exec,
                ..
            }) if execs_before == 0 => break,
            Some(WaitStatus::Event {
                event: PtraceEvent::Exec,
                ..
            }) => {
                execs_before -= 1;
                ptrace::cont(pid, 0).map_err(sys_err("resume before exec"))?;
            }
            // Signals before the program runs (one sent to the shell) are passed on.
            Some(WaitStatus::SignalStop { signal, .. }) => {
                ptrace::cont(pid, signal).map_err(sys_err("resume before exec"))?
            }
            Some(WaitStatus::Exited { code, .. }) => {
                return Err(Error::Launch(format!(
                    "{} exited with status {code} before the program started",
                    path.display()
                )))
            }
            Some(WaitStatus::Killed { signal, .. }) => {
                return Err(Error::Launch(format!(
                    "{} was killed by signal {signal} before the program started",
                    path.display()
                )))
            }
            Some(_) => ptrace::cont(pid, 0).map_err(sys_err("resume before exec"))?,
            None => return Err(Error::Launch("the new process vanished".into())),
        }
    }
    // From here on it is the program: follow its threads, forks and exits.
    if let Err(errno) = ptrace::set_options(pid, ptrace::default_options()) {
        let _ = spawn::kill_process(pid, libc::SIGKILL);
        reap(pid);
        return Err(Error::Launch(format!("cannot set ptrace options: {errno}")));
    }
    let tracer = LiveTracer::new(pid)
        .map_err(|e| Error::Launch(format!("cannot open /proc/{pid}/mem: {e}")))?;
    let mut process = Process::new(pid, tracer, &[pid]);
    process.detect_mode();
    if settings.take_terminal {
        crate::sys::terminal::hand_to(pid);
    }
    Ok(process)
}

/// Collect a failed child's exit.
fn reap(pid: Tid) {
    while let Ok(Some(status)) = wait::wait_for(pid) {
        if matches!(
            status,
            WaitStatus::Exited { .. } | WaitStatus::Killed { .. }
        ) {
            break;
        }
        let _ = ptrace::cont(pid, 0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(shell_quote(OsStr::new("a/b.c")), b"a/b.c");
        assert_eq!(shell_quote(OsStr::new("a b")), b"'a b'");
        assert_eq!(shell_quote(OsStr::new("it's")), b"'it'\\''s'");
        assert_eq!(shell_quote(OsStr::new("")), b"''");
    }
}
