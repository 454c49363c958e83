//! The one door for ptrace(2): every request goes through [`request`], which
//! logs it at trace level and turns errno into a typed error.

use super::{Errno, Tid};
use libc::c_void;

/// The register set of `PTRACE_GETREGS` (the kernel's `user_regs_struct`).
pub type UserRegs = libc::user_regs_struct;

/// The legacy FXSAVE area of `PTRACE_GETFPREGS` (x87, SSE, mxcsr).
#[derive(Clone, Copy)]
#[repr(C, align(16))]
pub struct FxSave(pub [u8; 512]);

impl Default for FxSave {
    fn default() -> Self {
        FxSave([0; 512])
    }
}

impl std::fmt::Debug for FxSave {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FxSave(..)")
    }
}

/// The ptrace options every tracee gets, each for a reason.
pub fn default_options() -> libc::c_int {
    // Never let the program outlive a crashed or killed server.
    libc::PTRACE_O_EXITKILL
        // Threads created later are traced from their first instruction.
        | libc::PTRACE_O_TRACECLONE
        // A thread's exit is an event we see, not a thread that silently vanished.
        | libc::PTRACE_O_TRACEEXIT
        // exec replaces the address space (and our breakpoints): we must know.
        | libc::PTRACE_O_TRACEEXEC
        // A forked child inherits our int3 bytes: catch it at birth to take
        // them out and let it go (gdb's detach-on-fork).
        | libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        // A vfork child shares our memory until it execs or exits: this
        // says when the breakpoints lifted for it can go back.
        | libc::PTRACE_O_TRACEVFORKDONE
        // Tell syscall stops apart from SIGTRAP signals.
        | libc::PTRACE_O_TRACESYSGOOD
}

/// The options while a program starts (through a shell or a wrapper): we
/// follow its execs, but not yet the forks a shell may make.
pub fn startup_options() -> libc::c_int {
    libc::PTRACE_O_EXITKILL | libc::PTRACE_O_TRACEEXEC | libc::PTRACE_O_TRACESYSGOOD
}

fn name(req: libc::c_uint) -> &'static str {
    match req {
        libc::PTRACE_SEIZE => "SEIZE",
        libc::PTRACE_INTERRUPT => "INTERRUPT",
        libc::PTRACE_CONT => "CONT",
        libc::PTRACE_SINGLESTEP => "SINGLESTEP",
        libc::PTRACE_SYSCALL => "SYSCALL",
        libc::PTRACE_GET_SYSCALL_INFO => "GET_SYSCALL_INFO",
        libc::PTRACE_DETACH => "DETACH",
        libc::PTRACE_GETREGS => "GETREGS",
        libc::PTRACE_SETREGS => "SETREGS",
        libc::PTRACE_GETFPREGS => "GETFPREGS",
        libc::PTRACE_GETREGSET => "GETREGSET",
        libc::PTRACE_SETREGSET => "SETREGSET",
        libc::PTRACE_SETFPREGS => "SETFPREGS",
        libc::PTRACE_GETEVENTMSG => "GETEVENTMSG",
        libc::PTRACE_GETSIGINFO => "GETSIGINFO",
        libc::PTRACE_SETSIGINFO => "SETSIGINFO",
        libc::PTRACE_PEEKUSER => "PEEKUSER",
        libc::PTRACE_SETOPTIONS => "SETOPTIONS",
        libc::PTRACE_POKEUSER => "POKEUSER",
        _ => "?",
    }
}

/// Issue one ptrace request. `addr` and `data` are passed through as the
/// kernel expects them for `req`; callers below build them from typed values.
fn request(req: libc::c_uint, tid: Tid, addr: usize, data: usize) -> Result<libc::c_long, Errno> {
    Errno::clear();
    // SAFETY: every caller in this file passes, for its request, either plain
    // integers or a pointer to a live, correctly sized and aligned buffer that
    // outlives the call; the kernel validates the tid.
    let ret = unsafe { libc::ptrace(req, tid, addr as *mut c_void, data as *mut c_void) };
    // PEEK requests may legitimately return -1: only errno tells failure.
    let result = if ret == -1 && Errno::last_raw() != 0 {
        Err(Errno::last())
    } else {
        Ok(ret)
    };
    log::trace!(
        "ptrace({}, {tid}, {addr:#x}, {data:#x}) = {result:?}",
        name(req)
    );
    result
}

pub fn seize(tid: Tid, options: libc::c_int) -> Result<(), Errno> {
    request(libc::PTRACE_SEIZE, tid, 0, options as usize).map(drop)
}

/// offsetof(struct user, u_debugreg) on x86_64.
const DEBUGREG_OFFSET: usize = 848;

pub fn debug_register(tid: Tid, index: usize) -> Result<u64, Errno> {
    request(libc::PTRACE_PEEKUSER, tid, DEBUGREG_OFFSET + index * 8, 0).map(|v| v as u64)
}

pub fn set_debug_register(tid: Tid, index: usize, value: u64) -> Result<(), Errno> {
    request(
        libc::PTRACE_POKEUSER,
        tid,
        DEBUGREG_OFFSET + index * 8,
        value as usize,
    )
    .map(drop)
}

pub fn set_options(tid: Tid, options: libc::c_int) -> Result<(), Errno> {
    request(libc::PTRACE_SETOPTIONS, tid, 0, options as usize).map(drop)
}

/// Ask a running seized thread to stop; it reports a PTRACE_EVENT_STOP,
/// distinguishable from any real signal.
pub fn interrupt(tid: Tid) -> Result<(), Errno> {
    request(libc::PTRACE_INTERRUPT, tid, 0, 0).map(drop)
}

pub fn cont(tid: Tid, signal: i32) -> Result<(), Errno> {
    request(libc::PTRACE_CONT, tid, 0, signal as usize).map(drop)
}

/// Continue to the next syscall entry or exit (or other stop).
pub fn cont_to_syscall(tid: Tid, signal: i32) -> Result<(), Errno> {
    request(libc::PTRACE_SYSCALL, tid, 0, signal as usize).map(drop)
}

/// At a syscall stop: whether it is the entry (else the exit), from
/// PTRACE_GET_SYSCALL_INFO (`op` is its first byte: 1 entry, 2 exit).
pub fn at_syscall_entry(tid: Tid) -> Result<bool, Errno> {
    let mut info = [0u64; 11]; // struct ptrace_syscall_info: 88 bytes
    request(
        libc::PTRACE_GET_SYSCALL_INFO,
        tid,
        std::mem::size_of_val(&info),
        info.as_mut_ptr() as usize,
    )?;
    Ok(info[0] as u8 == libc::PTRACE_SYSCALL_INFO_ENTRY)
}

pub fn single_step(tid: Tid, signal: i32) -> Result<(), Errno> {
    request(libc::PTRACE_SINGLESTEP, tid, 0, signal as usize).map(drop)
}

pub fn detach(tid: Tid, signal: i32) -> Result<(), Errno> {
    request(libc::PTRACE_DETACH, tid, 0, signal as usize).map(drop)
}

pub fn get_regs(tid: Tid) -> Result<UserRegs, Errno> {
    // SAFETY: user_regs_struct is plain integers; all-zero is a valid value.
    let mut regs: UserRegs = unsafe { std::mem::zeroed() };
    request(
        libc::PTRACE_GETREGS,
        tid,
        0,
        &mut regs as *mut UserRegs as usize,
    )?;
    Ok(regs)
}

pub fn set_regs(tid: Tid, regs: &UserRegs) -> Result<(), Errno> {
    request(
        libc::PTRACE_SETREGS,
        tid,
        0,
        regs as *const UserRegs as usize,
    )
    .map(drop)
}

/// NT_X86_XSTATE: the XSAVE area, for PTRACE_GETREGSET/SETREGSET.
const NT_X86_XSTATE: usize = 0x202;

/// The thread's XSAVE area (x87, SSE, AVX, AVX-512, PKU...), `size` bytes
/// at most; the kernel says how many it filled.
pub fn get_xstate(tid: Tid, size: usize) -> Result<Vec<u8>, Errno> {
    let mut area = vec![0u8; size];
    let mut iov = libc::iovec {
        iov_base: area.as_mut_ptr() as *mut c_void,
        iov_len: area.len(),
    };
    request(
        libc::PTRACE_GETREGSET,
        tid,
        NT_X86_XSTATE,
        &mut iov as *mut libc::iovec as usize,
    )?;
    area.truncate(iov.iov_len);
    Ok(area)
}

pub fn set_xstate(tid: Tid, area: &[u8]) -> Result<(), Errno> {
    let mut iov = libc::iovec {
        iov_base: area.as_ptr() as *mut c_void,
        iov_len: area.len(),
    };
    request(
        libc::PTRACE_SETREGSET,
        tid,
        NT_X86_XSTATE,
        &mut iov as *mut libc::iovec as usize,
    )
    .map(drop)
}

pub fn get_fpregs(tid: Tid) -> Result<FxSave, Errno> {
    let mut area = FxSave::default();
    request(
        libc::PTRACE_GETFPREGS,
        tid,
        0,
        &mut area as *mut FxSave as usize,
    )?;
    Ok(area)
}

pub fn set_fpregs(tid: Tid, area: &FxSave) -> Result<(), Errno> {
    request(
        libc::PTRACE_SETFPREGS,
        tid,
        0,
        area as *const FxSave as usize,
    )
    .map(drop)
}

/// The message of the last PTRACE_EVENT stop (a new thread's tid, an exit status).
pub fn event_message(tid: Tid) -> Result<u64, Errno> {
    let mut msg: libc::c_ulong = 0;
    request(
        libc::PTRACE_GETEVENTMSG,
        tid,
        0,
        &mut msg as *mut libc::c_ulong as usize,
    )?;
    Ok(msg)
}

/// The siginfo as the kernel lays it out (what gdb's `$_siginfo` decodes).
pub fn siginfo_bytes(tid: Tid) -> Result<Vec<u8>, Errno> {
    let mut bytes = vec![0u8; std::mem::size_of::<libc::siginfo_t>()];
    request(libc::PTRACE_GETSIGINFO, tid, 0, bytes.as_mut_ptr() as usize)?;
    Ok(bytes)
}

/// Replace the siginfo of the signal `tid` stopped with (delivered on
/// resume if the signal is passed): `bytes` laid out as the kernel does.
pub fn set_siginfo_bytes(tid: Tid, bytes: &[u8]) -> Result<(), Errno> {
    let mut info = vec![0u8; std::mem::size_of::<libc::siginfo_t>()];
    if bytes.len() != info.len() {
        return Err(Errno::EINVAL);
    }
    info.copy_from_slice(bytes);
    request(libc::PTRACE_SETSIGINFO, tid, 0, info.as_mut_ptr() as usize).map(drop)
}

pub fn siginfo(tid: Tid) -> Result<libc::siginfo_t, Errno> {
    // SAFETY: siginfo_t is plain data; all-zero is a valid value.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    request(
        libc::PTRACE_GETSIGINFO,
        tid,
        0,
        &mut info as *mut libc::siginfo_t as usize,
    )?;
    Ok(info)
}
