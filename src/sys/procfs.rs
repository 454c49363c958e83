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
    Ok(field_in(&status, field).map(str::to_string))
}

/// The value of `field` in the text of a /proc status file.
fn field_in<'a>(status: &'a str, field: &str) -> Option<&'a str> {
    status.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name == field).then(|| value.trim())
    })
}

/// A real and an effective id, from a `Uid:` or `Gid:` line.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Ids {
    pub real: u32,
    pub effective: u32,
}

/// What a debugger reports of /proc/PID/status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProcessStatus {
    pub parent_pid: Tid,
    pub uid: Ids,
    pub gid: Ids,
}

/// The thread group (process) task `tid` belongs to. /proc/TID works for
/// any task, not only for processes.
pub fn thread_group(tid: Tid) -> io::Result<Tid> {
    status_field(tid, "Tgid")?
        .and_then(|g| g.parse().ok())
        .ok_or_else(|| io::Error::other("no Tgid line"))
}

/// The parent and the ids of process `pid`.
pub fn process_status(pid: Tid) -> io::Result<ProcessStatus> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    parse_status(&status).ok_or_else(|| io::Error::other("no PPid, Uid or Gid line"))
}

fn parse_status(status: &str) -> Option<ProcessStatus> {
    // `Uid:` and `Gid:` list real, effective, saved and filesystem ids.
    let ids = |name| {
        let mut ids = field_in(status, name)?.split_whitespace();
        Some(Ids {
            real: ids.next()?.parse().ok()?,
            effective: ids.next()?.parse().ok()?,
        })
    };
    Some(ProcessStatus {
        parent_pid: field_in(status, "PPid")?.parse().ok()?,
        uid: ids("Uid")?,
        gid: ids("Gid")?,
    })
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

/// The CPU thread `tid` of `pid` last ran on (`processor`, field 39 of
/// its stat file).
pub fn thread_core(pid: Tid, tid: Tid) -> io::Result<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/task/{tid}/stat"))?;
    stat_core(&stat).ok_or_else(|| io::Error::other("no processor field"))
}

fn stat_core(stat: &str) -> Option<u32> {
    // The fields after the command name, which may hold spaces and
    // parentheses, start at field 3.
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(39 - 3)?.parse().ok()
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

/// One line of /proc/PID/maps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mapping {
    pub start: u64,
    pub end: u64,
    pub readable: bool,
    pub writable: bool,
    pub executable: bool,
    /// The file mapped, or `[stack]`, `[heap]`, `[vdso]`...; empty if anonymous.
    pub name: String,
}

/// The process's memory mappings, in address order.
pub fn memory_maps(pid: Tid) -> io::Result<Vec<Mapping>> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps"))?;
    Ok(maps.lines().filter_map(parse_mapping).collect())
}

/// `START-END PERMS OFFSET DEV INODE [NAME]`
fn parse_mapping(line: &str) -> Option<Mapping> {
    let mut fields = line.splitn(6, ' ');
    let (start, end) = fields.next()?.split_once('-')?;
    let perms = fields.next()?.as_bytes();
    let name = fields.nth(3).unwrap_or("").trim_start();
    Some(Mapping {
        start: u64::from_str_radix(start, 16).ok()?,
        end: u64::from_str_radix(end, 16).ok()?,
        readable: perms.first() == Some(&b'r'),
        writable: perms.get(1) == Some(&b'w'),
        executable: perms.get(2) == Some(&b'x'),
        name: name.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_lines_parse_with_and_without_names() {
        let m = parse_mapping(
            "7ffff7fc8000-7ffff7fca000 r-xp 00000000 00:00 0                          [vdso]",
        )
        .unwrap();
        assert_eq!((m.start, m.end), (0x7ffff7fc8000, 0x7ffff7fca000));
        assert!(m.readable && !m.writable && m.executable);
        assert_eq!(m.name, "[vdso]");
        let anon = parse_mapping("7ffff7dd0000-7ffff7dd4000 rw-p 00000000 00:00 0").unwrap();
        assert_eq!(anon.name, "");
        assert!(anon.writable);
        let spaced = parse_mapping("1000-2000 r--p 00000000 08:01 42   /tmp/a b").unwrap();
        assert_eq!(spaced.name, "/tmp/a b");
    }

    #[test]
    fn status_gives_parent_and_ids() {
        let text =
            "Name:\tcat\nPPid:\t42\nUid:\t1000\t1001\t1002\t1003\nGid:\t100\t101\t102\t103\n";
        let status = parse_status(text).unwrap();
        assert_eq!(status.parent_pid, 42);
        assert_eq!(
            (status.uid, status.gid),
            (
                Ids {
                    real: 1000,
                    effective: 1001
                },
                Ids {
                    real: 100,
                    effective: 101
                }
            )
        );
        assert_eq!(parse_status("Name:\tcat\nPPid:\t42\n"), None);
    }

    #[test]
    fn our_own_status_names_our_parent() {
        let status = process_status(std::process::id() as Tid).unwrap();
        assert_eq!(
            status.parent_pid as u32,
            std::os::unix::process::parent_id()
        );
    }

    #[test]
    fn the_core_is_field_39() {
        let stat = "42 (a) b) S 1 42 42 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 \
                    300 1000 50 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 3 0 0 0 0 0";
        assert_eq!(stat_core(stat), Some(3));
        assert_eq!(stat_core("42 (a) S 1"), None);
        let pid = std::process::id() as Tid;
        let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u32;
        assert!(thread_core(pid, pid).unwrap() < cpus.max(1024));
    }

    #[test]
    fn our_own_maps_have_a_stack() {
        let maps = memory_maps(std::process::id() as Tid).unwrap();
        assert!(maps.iter().any(|m| m.name == "[stack]"), "{maps:?}");
        assert!(maps.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
