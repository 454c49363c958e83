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
