//! What /proc and /sys say about the whole host, not the debugged
//! process: every process and thread, open files, internet sockets,
//! System V IPC objects, kernel modules and CPUs, for gdb's `info os`
//! (IDEs' remote process pickers list `info os processes`). Each reader
//! returns what it could read: a process that exits meanwhile is left out.

use super::procfs;
use super::Tid;
use nix::unistd::{Gid, Group, Pid, Uid, User};
use std::fs;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::os::unix::fs::MetadataExt;

/// The processes there are now, by pid.
pub fn process_ids() -> Vec<Tid> {
    let mut pids: Vec<Tid> = fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    pids.sort_unstable();
    pids
}

/// The user owning process `pid`.
pub fn process_owner(pid: Tid) -> Option<u32> {
    fs::metadata(format!("/proc/{pid}")).ok().map(|m| m.uid())
}

/// The process's command name (`comm`), or its pid when it is gone.
pub fn command(pid: Tid) -> String {
    procfs::command_name(pid).unwrap_or_else(|| pid.to_string())
}

/// The command line, arguments separated by spaces; `[comm]` for a
/// process without one (a kernel thread); `None` if it is gone.
pub fn command_line(pid: Tid) -> Option<String> {
    let raw = fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    if raw.is_empty() {
        return Some(format!("[{}]", command(pid)));
    }
    let words: Vec<_> = raw
        .strip_suffix(&[0])
        .unwrap_or(&raw)
        .split(|&b| b == 0)
        .map(String::from_utf8_lossy)
        .collect();
    Some(words.join(" "))
}

/// The process group of `pid`.
pub fn process_group(pid: Tid) -> Option<Tid> {
    nix::unistd::getpgid(Some(Pid::from_raw(pid)))
        .ok()
        .map(Pid::as_raw)
}

/// How many CPUs the host may have: the highest number in
/// /sys/devices/system/cpu/possible, plus one.
pub fn possible_cpus() -> usize {
    let possible = fs::read_to_string("/sys/devices/system/cpu/possible").unwrap_or_default();
    let highest = possible
        .trim()
        .split([',', '-'])
        .filter_map(|n| n.parse::<usize>().ok())
        .max();
    highest.map_or_else(
        || std::thread::available_parallelism().map_or(1, |n| n.get()),
        |n| n + 1,
    )
}

/// The open files of `pid`: each descriptor and what it refers to.
pub fn open_files(pid: Tid) -> Vec<(String, String)> {
    let dir = format!("/proc/{pid}/fd");
    let mut fds: Vec<(u32, String)> = fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            Some((name.parse().ok()?, name))
        })
        .collect();
    fds.sort_unstable();
    fds.into_iter()
        .map(|(_, fd)| {
            let target = fs::read_link(format!("{dir}/{fd}"))
                .map_or_else(|_| fd.clone(), |t| t.to_string_lossy().into_owned());
            (fd, target)
        })
        .collect()
}

/// The fields of /proc/cpuinfo, one list per processor.
pub fn cpus() -> Vec<Vec<(String, String)>> {
    let text = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let mut cpus: Vec<Vec<(String, String)>> = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once(':') else {
            continue;
        };
        let key = key.trim_end().to_string();
        if key == "processor" || cpus.is_empty() {
            cpus.push(Vec::new());
        }
        if let Some(cpu) = cpus.last_mut() {
            cpu.push((key, value.trim().to_string()));
        }
    }
    cpus
}

/// One internet socket, from /proc/net/{tcp,udp,tcp6,udp6}.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Socket {
    pub local: String,
    pub local_port: u16,
    pub remote: String,
    pub remote_port: u16,
    /// The TCP state name (UDP sockets use the same numbers).
    pub state: &'static str,
    pub uid: u32,
    pub ipv6: bool,
    pub tcp: bool,
}

/// Every internet socket: TCP then UDP, IPv4 then IPv6.
pub fn sockets() -> Vec<Socket> {
    let mut all = Vec::new();
    for (file, ipv6, tcp) in [
        ("tcp", false, true),
        ("udp", false, false),
        ("tcp6", true, true),
        ("udp6", true, false),
    ] {
        let text = fs::read_to_string(format!("/proc/net/{file}")).unwrap_or_default();
        all.extend(
            text.lines()
                .skip(1)
                .filter_map(|line| parse_socket(line, ipv6, tcp)),
        );
    }
    all
}

/// `sl: LOCAL:PORT REMOTE:PORT ST tx:rx tr:when retrnsmt UID ...`
fn parse_socket(line: &str, ipv6: bool, tcp: bool) -> Option<Socket> {
    let mut fields = line.split_whitespace().skip(1);
    let (local, local_port) = parse_endpoint(fields.next()?, ipv6)?;
    let (remote, remote_port) = parse_endpoint(fields.next()?, ipv6)?;
    let state = tcp_state(u8::from_str_radix(fields.next()?, 16).ok()?);
    let uid = fields.nth(3)?.parse().ok()?;
    Some(Socket {
        local,
        local_port,
        remote,
        remote_port,
        state,
        uid,
        ipv6,
        tcp,
    })
}

/// `0100007F:1F90`: the address as the kernel prints it (32-bit words in
/// the host's order, little-endian here) and the port.
fn parse_endpoint(text: &str, ipv6: bool) -> Option<(String, u16)> {
    let (address, port) = text.split_once(':')?;
    let words: Vec<u32> = (0..address.len() / 8)
        .map(|i| u32::from_str_radix(address.get(8 * i..8 * i + 8)?, 16).ok())
        .collect::<Option<_>>()?;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    let address = match (ipv6, bytes.len()) {
        (false, 4) => Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?).to_string(),
        (true, 16) => Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?).to_string(),
        _ => return None,
    };
    Some((address, u16::from_str_radix(port, 16).ok()?))
}

fn tcp_state(state: u8) -> &'static str {
    const NAMES: [&str; 11] = [
        "ESTABLISHED",
        "SYN_SENT",
        "SYN_RECV",
        "FIN_WAIT1",
        "FIN_WAIT2",
        "TIME_WAIT",
        "CLOSE",
        "CLOSE_WAIT",
        "LAST_ACK",
        "LISTEN",
        "CLOSING",
    ];
    state
        .checked_sub(1)
        .and_then(|i| NAMES.get(usize::from(i)))
        .copied()
        .unwrap_or("(unknown)")
}

/// The rows of a /proc/sysvipc table (`shm`, `sem`, `msg`) as numbers, in
/// the file's column order; the permissions column is octal.
pub fn sysv_ipc(table: &str) -> Vec<Vec<i64>> {
    let text = fs::read_to_string(format!("/proc/sysvipc/{table}")).unwrap_or_default();
    text.lines()
        .skip(1)
        .filter_map(|line| {
            line.split_whitespace()
                .enumerate()
                .map(|(i, field)| match i {
                    2 => i64::from_str_radix(field, 8).ok(),
                    _ => field.parse().ok(),
                })
                .collect()
        })
        .collect()
}

/// One line of /proc/modules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Module {
    pub name: String,
    pub size: u64,
    pub uses: i64,
    pub dependencies: String,
    pub status: String,
    pub address: u64,
}

/// The loaded kernel modules (none where /proc/modules is not there).
pub fn modules() -> Vec<Module> {
    let text = fs::read_to_string("/proc/modules").unwrap_or_default();
    text.lines().filter_map(parse_module).collect()
}

/// `NAME SIZE USES DEPS STATUS ADDRESS [TAINT]`
fn parse_module(line: &str) -> Option<Module> {
    let mut fields = line.split_whitespace();
    Some(Module {
        name: fields.next()?.to_string(),
        size: fields.next()?.parse().ok()?,
        uses: fields.next()?.parse().ok()?,
        dependencies: fields.next()?.to_string(),
        status: fields.next()?.to_string(),
        address: u64::from_str_radix(fields.next()?.trim_start_matches("0x"), 16).ok()?,
    })
}

/// The name of user `uid` (empty if it has none).
pub fn user_name(uid: u32) -> String {
    User::from_uid(Uid::from_raw(uid))
        .ok()
        .flatten()
        .map(|u| u.name)
        .unwrap_or_default()
}

/// The name of group `gid` (empty if it has none).
pub fn group_name(gid: u32) -> String {
    Group::from_gid(Gid::from_raw(gid))
        .ok()
        .flatten()
        .map(|g| g.name)
        .unwrap_or_default()
}

/// A time in seconds since the epoch as `ctime` words it in local time
/// (`Wed Jun 30 21:49:08 1993`); empty for 0 (never).
pub fn local_time(secs: i64) -> String {
    if secs == 0 {
        return String::new();
    }
    let mut buf = [0 as libc::c_char; 32];
    let time = secs as libc::time_t;
    // SAFETY: ctime_r writes at most 26 bytes, NUL included, into the
    // 32-byte buffer, and reads only `time`; both outlive the call.
    let written = unsafe { libc::ctime_r(&time, buf.as_mut_ptr()) };
    if written.is_null() {
        return secs.to_string();
    }
    let bytes: Vec<u8> = buf
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    String::from_utf8_lossy(&bytes).trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sockets_parse_in_both_families() {
        let v4 = parse_socket(
            "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1636 1",
            false,
            true,
        )
        .unwrap();
        assert_eq!(
            (
                v4.local.as_str(),
                v4.local_port,
                v4.remote.as_str(),
                v4.state,
                v4.uid
            ),
            ("127.0.0.1", 8080, "0.0.0.0", "LISTEN", 1000)
        );
        let v6 = parse_socket(
            "   0: 00000000000000000000000001000000:0016 00000000000000000000000000000000:0000 07 00000000:00000000 00:00000000 00000000     0        0 1 1",
            true,
            false,
        )
        .unwrap();
        assert_eq!(
            (v6.local.as_str(), v6.local_port, v6.state),
            ("::1", 22, "CLOSE")
        );
        assert_eq!(tcp_state(0), "(unknown)");
    }

    #[test]
    fn modules_parse() {
        let m = parse_module("nf_tables 356352 2 nft_ct, Live 0xffffffffc0a00000 (E)").unwrap();
        assert_eq!(
            (m.size, m.uses, m.address),
            (356352, 2, 0xffff_ffff_c0a0_0000)
        );
        assert_eq!(m.dependencies, "nft_ct,");
    }

    #[test]
    fn our_own_process_is_listed() {
        let pid = std::process::id() as Tid;
        assert!(process_ids().contains(&pid));
        assert!(command_line(pid).is_some_and(|c| !c.is_empty()));
        assert_eq!(process_owner(pid), Some(nix::unistd::geteuid().as_raw()));
        assert!(process_group(pid).is_some());
        assert!(open_files(pid).iter().any(|(fd, _)| fd == "0"));
        assert!(possible_cpus() >= 1);
        assert!(!cpus().is_empty());
        assert_eq!(user_name(0), "root");
        assert_eq!(local_time(0), "");
        assert!(local_time(86400 * 365).contains("1971"));
    }
}
