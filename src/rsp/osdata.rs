//! `qXfer:osdata:read` (gdb's `info os`, MI's `-info-os`): tables of what
//! runs on the server's host, with gdbserver's types, columns and order.
//! IDEs list `info os processes` to pick a process to attach to. The host
//! is read by sys::host; this file words the tables.

use super::codec;
use crate::sys::{host, procfs, Tid};
use std::fmt::Write as _;

/// The types, as `info os` with no argument lists them: name,
/// description, title.
const TYPES: &[(&str, &str, &str)] = &[
    ("cpus", "Listing of all cpus/cores on the system", "CPUs"),
    (
        "files",
        "Listing of all file descriptors",
        "File descriptors",
    ),
    (
        "modules",
        "Listing of all loaded kernel modules",
        "Kernel modules",
    ),
    ("msg", "Listing of all message queues", "Message queues"),
    ("processes", "Listing of all processes", "Processes"),
    (
        "procgroups",
        "Listing of all process groups",
        "Process groups",
    ),
    ("semaphores", "Listing of all semaphores", "Semaphores"),
    (
        "shm",
        "Listing of all shared-memory regions",
        "Shared-memory regions",
    ),
    (
        "sockets",
        "Listing of all internet-domain sockets",
        "Sockets",
    ),
    ("threads", "Listing of all threads", "Threads"),
];

/// A table under construction: `<osdata type=...>` and its items.
struct Table(String);

impl Table {
    fn new(kind: &str) -> Table {
        Table(format!("<osdata type=\"{kind}\">\n"))
    }

    /// One row: its columns' names and values, escaped.
    fn item<S: AsRef<str>>(&mut self, columns: &[(&str, S)]) {
        self.0.push_str("<item>");
        for (name, value) in columns {
            let _ = write!(
                self.0,
                "<column name=\"{}\">{}</column>",
                codec::xml_escape(name),
                codec::xml_escape(value.as_ref())
            );
        }
        self.0.push_str("</item>");
    }

    fn end(mut self) -> Vec<u8> {
        self.0.push_str("</osdata>\n");
        self.0.into_bytes()
    }
}

/// The document for `annex` (a type; empty: the list of types). An unknown
/// type is an empty document: gdb says "Wrong osdata type?".
pub fn document(annex: &[u8]) -> Vec<u8> {
    match annex {
        b"" => types(),
        b"cpus" => cpus(),
        b"files" => files(),
        b"modules" => modules(),
        b"msg" => message_queues(),
        b"processes" => processes(),
        b"procgroups" => process_groups(),
        b"semaphores" => semaphores(),
        b"shm" => shared_memory(),
        b"sockets" => sockets(),
        b"threads" => threads(),
        _ => Vec::new(),
    }
}

fn types() -> Vec<u8> {
    let mut table = Table::new("types");
    for (kind, description, title) in TYPES {
        table.item(&[
            ("Type", kind),
            ("Description", description),
            ("Title", title),
        ]);
    }
    table.end()
}

fn processes() -> Vec<u8> {
    let mut table = Table::new("processes");
    let cpus = host::possible_cpus();
    for pid in host::process_ids() {
        let Some(command) = host::command_line(pid) else {
            continue; // gone meanwhile
        };
        let user = host::process_owner(pid).map_or("?".into(), host::user_name);
        table.item(&[
            ("pid", pid.to_string()),
            ("user", user),
            ("command", command),
            ("cores", cores_of(pid, cpus)),
        ]);
    }
    table.end()
}

/// The CPUs the threads of `pid` last ran on, in order, without repeats.
fn cores_of(pid: Tid, cpus: usize) -> String {
    let mut used = vec![false; cpus];
    for tid in procfs::task_ids(pid).unwrap_or_default() {
        if let Some(slot) = procfs::thread_core(pid, tid)
            .ok()
            .and_then(|core| used.get_mut(core as usize))
        {
            *slot = true;
        }
    }
    let cores: Vec<String> = (0..cpus)
        .filter(|&c| used[c])
        .map(|c| c.to_string())
        .collect();
    cores.join(",")
}

fn process_groups() -> Vec<u8> {
    let mut table = Table::new("process groups");
    let mut members: Vec<(Tid, Tid)> = host::process_ids()
        .into_iter()
        .filter_map(|pid| Some((host::process_group(pid).filter(|&g| g > 0)?, pid)))
        .collect();
    // By group, its leader first, then by pid.
    members.sort_by_key(|&(group, pid)| (group, pid != group, pid));
    for (group, pid) in members {
        table.item(&[
            ("pgid", group.to_string()),
            ("leader command", host::command(group)),
            ("pid", pid.to_string()),
            ("command line", host::command_line(pid).unwrap_or_default()),
        ]);
    }
    table.end()
}

fn threads() -> Vec<u8> {
    let mut table = Table::new("threads");
    for pid in host::process_ids() {
        let command = host::command(pid);
        for tid in procfs::task_ids(pid).unwrap_or_default() {
            let core = procfs::thread_core(pid, tid).map_or(-1, i64::from);
            table.item(&[
                ("pid", pid.to_string()),
                ("command", command.clone()),
                ("tid", tid.to_string()),
                ("core", core.to_string()),
            ]);
        }
    }
    table.end()
}

fn files() -> Vec<u8> {
    let mut table = Table::new("files");
    for pid in host::process_ids() {
        let command = host::command(pid);
        for (fd, name) in host::open_files(pid) {
            table.item(&[
                ("pid", pid.to_string()),
                ("command", command.clone()),
                ("file descriptor", fd),
                ("name", name),
            ]);
        }
    }
    table.end()
}

fn sockets() -> Vec<u8> {
    let mut table = Table::new("I sockets");
    for s in host::sockets() {
        table.item(&[
            ("local address", s.local),
            ("local port", s.local_port.to_string()),
            ("remote address", s.remote),
            ("remote port", s.remote_port.to_string()),
            ("state", s.state.to_string()),
            ("user", host::user_name(s.uid)),
            ("family", if s.ipv6 { "INET6" } else { "INET" }.to_string()),
            (
                "protocol",
                if s.tcp { "STREAM" } else { "DGRAM" }.to_string(),
            ),
        ]);
    }
    table.end()
}

/// A System V IPC table's rows, with the numbers in `columns` printed as
/// `how` says, in the order given.
#[derive(Clone, Copy)]
enum Show {
    /// A number as it is.
    Number,
    /// Permissions, in octal.
    Octal,
    /// A pid, as its command's name.
    Command,
    User,
    Group,
    /// Seconds since the epoch, as a local date.
    Time,
}

fn ipc_table(kind: &str, file: &str, columns: &[(&str, usize, Show)]) -> Vec<u8> {
    let mut table = Table::new(kind);
    for row in host::sysv_ipc(file) {
        let Some(values) = columns
            .iter()
            .map(|&(name, index, show)| Some((name, shown(*row.get(index)?, show))))
            .collect::<Option<Vec<_>>>()
        else {
            continue;
        };
        table.item(&values);
    }
    table.end()
}

fn shown(value: i64, show: Show) -> String {
    match show {
        Show::Number => value.to_string(),
        Show::Octal => format!("{value:o}"),
        Show::Command => host::command(value as Tid),
        Show::User => host::user_name(value as u32),
        Show::Group => host::group_name(value as u32),
        Show::Time => host::local_time(value),
    }
}

/// /proc/sysvipc/shm: key shmid perms size cpid lpid nattch uid gid cuid
/// cgid atime dtime ctime.
fn shared_memory() -> Vec<u8> {
    use Show::*;
    ipc_table(
        "shared memory",
        "shm",
        &[
            ("key", 0, Number),
            ("shmid", 1, Number),
            ("permissions", 2, Octal),
            ("size", 3, Number),
            ("creator command", 4, Command),
            ("last op. command", 5, Command),
            ("num attached", 6, Number),
            ("user", 7, User),
            ("group", 8, Group),
            ("creator user", 9, User),
            ("creator group", 10, Group),
            ("last shmat() time", 11, Time),
            ("last shmdt() time", 12, Time),
            ("last shmctl() time", 13, Time),
        ],
    )
}

/// /proc/sysvipc/sem: key semid perms nsems uid gid cuid cgid otime ctime.
fn semaphores() -> Vec<u8> {
    use Show::*;
    ipc_table(
        "semaphores",
        "sem",
        &[
            ("key", 0, Number),
            ("semid", 1, Number),
            ("permissions", 2, Octal),
            ("num semaphores", 3, Number),
            ("user", 4, User),
            ("group", 5, Group),
            ("creator user", 6, User),
            ("creator group", 7, Group),
            ("last semop() time", 8, Time),
            ("last semctl() time", 9, Time),
        ],
    )
}

/// /proc/sysvipc/msg: key msqid perms cbytes qnum lspid lrpid uid gid cuid
/// cgid stime rtime ctime.
fn message_queues() -> Vec<u8> {
    use Show::*;
    ipc_table(
        "message queues",
        "msg",
        &[
            ("key", 0, Number),
            ("msqid", 1, Number),
            ("permissions", 2, Octal),
            ("num used bytes", 3, Number),
            ("num messages", 4, Number),
            ("last msgsnd() command", 5, Command),
            ("last msgrcv() command", 6, Command),
            ("user", 7, User),
            ("group", 8, Group),
            ("creator user", 9, User),
            ("creator group", 10, Group),
            ("last msgsnd() time", 11, Time),
            ("last msgrcv() time", 12, Time),
            ("last msgctl() time", 13, Time),
        ],
    )
}

fn modules() -> Vec<u8> {
    let mut table = Table::new("modules");
    for m in host::modules() {
        table.item(&[
            ("name", m.name),
            ("size", m.size.to_string()),
            ("num uses", m.uses.to_string()),
            ("dependencies", m.dependencies),
            ("status", m.status),
            ("address", format!("{:x}", m.address)),
        ]);
    }
    table.end()
}

fn cpus() -> Vec<u8> {
    let mut table = Table::new("cpus");
    for cpu in host::cpus() {
        let columns: Vec<(&str, &str)> = cpu
            .iter()
            .map(|(key, value)| (key.as_str(), value.as_str()))
            .collect();
        table.item(&columns);
    }
    table.end()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_are_listed_and_unknown_ones_empty() {
        let types = String::from_utf8(document(b"")).unwrap();
        assert!(
            types.starts_with("<osdata type=\"types\">\n<item><column name=\"Type\">cpus</column>")
        );
        assert_eq!(types.matches("<item>").count(), TYPES.len());
        assert!(document(b"bogus").is_empty());
    }

    #[test]
    fn we_are_among_the_processes_and_threads() {
        let pid = std::process::id();
        let processes = String::from_utf8(document(b"processes")).unwrap();
        assert!(processes.contains(&format!("<item><column name=\"pid\">{pid}</column>")));
        let threads = String::from_utf8(document(b"threads")).unwrap();
        assert!(threads.contains(&format!("<column name=\"tid\">{pid}</column>")));
    }
}
