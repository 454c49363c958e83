//! Starting a program under ptrace.
//!
//! The child waits on a pipe until the parent has seized it, then execs: so
//! the tracee is seized (not TRACEME'd, which would rule out PTRACE_INTERRUPT)
//! before its first instruction, and the exec stop is its first stop. A
//! second, close-on-exec pipe carries a failed exec's errno back.

use super::{Errno, Tid};
use std::ffi::CString;
use std::os::fd::{AsRawFd, OwnedFd};

/// Everything the child needs, prepared before fork: after fork the child
/// may only make async-signal-safe calls (no allocation).
pub struct ExecSpec {
    pub path: CString,
    pub argv: Vec<CString>,
    pub envp: Vec<CString>,
    /// Directory to run in; `None` keeps the server's.
    pub cwd: Option<CString>,
    /// Turn off address space randomization (personality ADDR_NO_RANDOMIZE),
    /// so addresses are the same from run to run.
    pub disable_randomization: bool,
    /// stdin from /dev/null and stdout to stderr: our stdin and stdout carry
    /// the protocol.
    pub stdio_to_stderr: bool,
}

/// A forked child, blocked before exec until [`Forked::release`].
pub struct Forked {
    pub pid: Tid,
    gate: OwnedFd,
    exec_error: OwnedFd,
}

fn pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    nix::unistd::pipe2(nix::fcntl::OFlag::O_CLOEXEC)
}

/// Fork a child that will exec `spec` once released.
pub fn fork_blocked(spec: &ExecSpec) -> Result<Forked, Errno> {
    let (gate_read, gate_write) = pipe()?;
    let (err_read, err_write) = pipe()?;
    let mut argv: Vec<*const libc::c_char> = spec.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = spec.envp.iter().map(|e| e.as_ptr()).collect();
    envp.push(std::ptr::null());
    let dev_null = c"/dev/null";

    // SAFETY: fork in a process that may have other threads: the child only
    // makes async-signal-safe libc calls on memory prepared before the fork,
    // then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid == -1 {
        return Err(Errno::last());
    }
    if pid == 0 {
        // SAFETY: child side, see above; all pointers point into `spec`,
        // `argv` and `envp`, which live in this (copied) address space.
        unsafe {
            // Signal masks and ignored dispositions survive exec: give the
            // program what it would get from a shell.
            let mut empty: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut empty);
            libc::sigprocmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
            libc::signal(libc::SIGPIPE, libc::SIG_DFL);
            // A process group of its own, as under a shell's job control
            // (and gdbserver): the terminal can be handed to it alone.
            libc::setpgid(0, 0);
            if spec.stdio_to_stderr {
                let null = libc::open(dev_null.as_ptr(), libc::O_RDONLY);
                if null >= 0 {
                    libc::dup2(null, 0);
                    libc::close(null);
                }
                libc::dup2(2, 1);
            }
            if spec.disable_randomization {
                let current = libc::personality(0xffff_ffff);
                if current != -1 {
                    libc::personality((current | libc::ADDR_NO_RANDOMIZE) as libc::c_ulong);
                }
            }
            let mut byte = 0u8;
            while libc::read(gate_read.as_raw_fd(), &mut byte as *mut u8 as *mut _, 1) < 0
                && *libc::__errno_location() == libc::EINTR
            {}
            let in_dir = match &spec.cwd {
                Some(dir) => libc::chdir(dir.as_ptr()) == 0,
                None => true,
            };
            if in_dir {
                libc::execve(spec.path.as_ptr(), argv.as_ptr(), envp.as_ptr());
            }
            let errno = *libc::__errno_location();
            libc::write(
                err_write.as_raw_fd(),
                &errno as *const i32 as *const _,
                std::mem::size_of::<i32>(),
            );
            libc::_exit(127);
        }
    }
    drop(gate_read);
    drop(err_write);
    Ok(Forked {
        pid,
        gate: gate_write,
        exec_error: err_read,
    })
}

impl Forked {
    /// Let the child exec. Returns the exec's errno if it failed (the child
    /// has then exited with status 127 and must still be reaped).
    pub fn release(self) -> Result<(), Errno> {
        nix::unistd::write(&self.gate, &[1])?;
        drop(self.gate);
        let mut buf = [0u8; 4];
        let mut got = 0;
        while got < buf.len() {
            match nix::unistd::read(self.exec_error.as_raw_fd(), &mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(Errno::EINTR) => continue,
                Err(e) => return Err(e),
            }
        }
        if got == buf.len() {
            return Err(Errno::from_raw(i32::from_ne_bytes(buf)));
        }
        Ok(())
    }
}

/// Send a signal to a whole process.
pub fn kill_process(pid: Tid, signal: i32) -> Result<(), Errno> {
    let signal = nix::sys::signal::Signal::try_from(signal)?;
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)
}
