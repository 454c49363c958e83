//! What /proc tells about a process and its threads.

use super::Tid;
use std::io;

/// The ids of every thread of `pid`, from /proc/PID/task.
pub fn task_ids(pid: Tid) -> io::Result<Vec<Tid>> {
    let mut tids: Vec<Tid> = std::fs::read_dir(format!("/proc/{pid}/task"))?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    tids.sort_unstable();
    Ok(tids)
}

/// The auxiliary vector the kernel gave the program, raw.
pub fn auxv(pid: Tid) -> io::Result<Vec<u8>> {
    std::fs::read(format!("/proc/{pid}/auxv"))
}

/// The thread's name (`comm`), as shown by `info threads`.
pub fn thread_name(pid: Tid, tid: Tid) -> io::Result<String> {
    let name = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/comm"))?;
    Ok(name.trim_end_matches('\n').to_string())
}

/// The process's executable, as the kernel resolved it.
pub fn exe_path(pid: Tid) -> io::Result<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/exe"))
}

/// A field of /proc/PID/status, e.g. `TracerPid`.
pub fn status_field(pid: Tid, field: &str) -> io::Result<Option<String>> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    Ok(status.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim().to_string())
    }))
}

/// Whether thread `tid` of `pid` has exited but is not yet reaped.
pub fn is_zombie(pid: Tid, tid: Tid) -> bool {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat")) else {
        return true; // gone altogether
    };
    // The state follows the parenthesised command name, which may hold spaces.
    stat.rsplit_once(')')
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .is_some_and(|state| state == "Z" || state == "X")
}

/// The process's command name.
pub fn command_name(pid: Tid) -> Option<String> {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .ok()
        .map(|s| s.trim_end().to_string())
}

/// The signals pending for thread `tid` alone (`SigPnd`), as a mask with
/// bit `n - 1` for signal `n`.
pub fn thread_pending_signals(pid: Tid, tid: Tid) -> io::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/status"))?;
    let mask = status
        .lines()
        .find_map(|line| line.strip_prefix("SigPnd:"))
        .and_then(|hex| u64::from_str_radix(hex.trim(), 16).ok());
    mask.ok_or_else(|| io::Error::other("no SigPnd line"))
}
