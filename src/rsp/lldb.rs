//! The packets only lldb sends: what it asks of the host and the process,
//! memory regions, and every thread's state in one `jThreadsInfo` reply.
//! Signal numbers stay GDB's: we do not claim `native-signals+`, so lldb
//! translates them as it does for gdbserver.

use super::codec::{hex_string, json_string, Refusal};
use super::debug_target::DebugTarget;
use super::signals;
use crate::arch::x86_64::{frame_regnums, Mode};
use crate::inferior::{Mapping, Report, StopEvent};
use std::fmt::Write as _;

/// `qHostInfo`: what lldb needs to pick its platform and ABI. Watchpoints
/// on x86 trap after the access, which lldb must know to step over them.
pub fn host_info() -> Vec<u8> {
    let mut reply = String::new();
    let _ = write!(
        reply,
        "triple:{};ptrsize:8;endian:little;watchpoint_exceptions_received:after;",
        hex("x86_64-pc-linux-gnu")
    );
    let kernel = |name: &str| std::fs::read_to_string(format!("/proc/sys/kernel/{name}"));
    if let Ok(release) = kernel("osrelease") {
        let release = release.trim();
        // lldb wants a plain version number; the release may have a suffix.
        let version: String = release
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        let _ = write!(reply, "os_version:{version};os_build:{};", hex(release));
    }
    if let Ok(name) = kernel("hostname") {
        let _ = write!(reply, "hostname:{};", hex(name.trim()));
    }
    reply.into_bytes()
}

/// `qProcessInfo`: the process's ids and architecture.
pub fn process_info(target: &mut DebugTarget) -> Result<Vec<u8>, Refusal> {
    let mode = target.mode();
    let process = target.process()?;
    let pid = process.pid();
    let (triple, ptrsize) = match mode {
        Mode::Amd64 => ("x86_64-pc-linux-gnu", 8),
        Mode::I386 => ("i386-pc-linux-gnu", 4),
    };
    let mut reply = format!("pid:{pid:x};");
    if let Ok(status) = process.process_status() {
        let _ = write!(
            reply,
            "parent-pid:{:x};real-uid:{:x};effective-uid:{:x};real-gid:{:x};effective-gid:{:x};",
            status.parent_pid,
            status.uid.real,
            status.uid.effective,
            status.gid.real,
            status.gid.effective
        );
    }
    let _ = write!(
        reply,
        "triple:{};ostype:linux;endian:little;ptrsize:{ptrsize};",
        hex(triple)
    );
    Ok(reply.into_bytes())
}

/// `qMemoryRegionInfo:ADDR`: the mapping holding ADDR, or the gap around
/// it (no permissions), from /proc/PID/maps.
pub fn memory_region_info(target: &mut DebugTarget, addr: u64) -> Result<Vec<u8>, Refusal> {
    let maps = target.process()?.memory_maps()?;
    Ok(region_reply(&maps, addr).into_bytes())
}

fn region_reply(maps: &[Mapping], addr: u64) -> String {
    if let Some(m) = maps.iter().find(|m| m.start <= addr && addr < m.end) {
        let mut permissions = String::new();
        for (has, letter) in [(m.readable, 'r'), (m.writable, 'w'), (m.executable, 'x')] {
            if has {
                permissions.push(letter);
            }
        }
        let mut reply = format!(
            "start:{:x};size:{:x};permissions:{permissions};",
            m.start,
            m.end - m.start
        );
        if !m.name.is_empty() {
            let _ = write!(reply, "name:{};", hex(&m.name));
        }
        return reply;
    }
    // Unmapped: from the end of the mapping below to the start of the one above.
    let start = maps
        .iter()
        .rev()
        .find(|m| m.end <= addr)
        .map_or(0, |m| m.end);
    let end = maps
        .iter()
        .find(|m| m.start > addr)
        .map_or(u64::MAX, |m| m.start);
    format!("start:{start:x};size:{:x};", end - start)
}

/// The events of one stop lldb has heard of: the one reported, and those
/// of other threads that stopped at the same time.
#[derive(Debug, Default)]
pub struct StopNews {
    /// `None` at the initial stop (the `T05` gdbstub gives for `?`,
    /// `vRun`, `vAttach`).
    reported: Option<Report>,
    others: Vec<(i32, StopEvent)>,
}

impl StopNews {
    pub fn new(reported: Report) -> StopNews {
        StopNews {
            reported: Some(reported),
            others: Vec::new(),
        }
    }

    /// `,"reason":...,"signal":...` for a thread with a stop to tell.
    fn json_fields(&self, tid: i32, pid: i32) -> Option<String> {
        let (reason, signal, description) = self.reason(tid, pid)?;
        let mut fields = format!(",\"reason\":\"{reason}\",\"signal\":{signal}");
        if let Some(description) = description {
            let _ = write!(fields, ",\"description\":\"{description}\"");
        }
        Some(fields)
    }

    /// Why `tid` stopped, as lldb words it: (reason, GDB signal number,
    /// description). Threads stopped only because others did have none.
    /// Before any report, the main thread is where the initial `T05` stopped.
    fn reason(&self, tid: i32, pid: i32) -> Option<(&'static str, u8, Option<String>)> {
        let trap = signals::to_gdb(libc::SIGTRAP).0;
        let event = match self.reported {
            None if tid == pid => return Some(("signal", trap, None)),
            Some(Report::Interrupted { tid: t }) if t == tid => {
                return Some(("signal", signals::to_gdb(libc::SIGSTOP).0, None))
            }
            Some(Report::Thread { tid: t, event }) if t == tid => event,
            _ => self.others.iter().find(|(t, _)| *t == tid)?.1,
        };
        Some(match event {
            StopEvent::Breakpoint | StopEvent::HwBreakpoint => ("breakpoint", trap, None),
            StopEvent::Stepped => ("trace", trap, None),
            StopEvent::Signal(sig) => ("signal", signals::to_gdb(sig).0, None),
            StopEvent::Watchpoint { addr, .. } => ("watchpoint", trap, Some(addr.to_string())),
            StopEvent::Exec => ("exec", trap, None),
            StopEvent::Syscall { .. }
            | StopEvent::Forked { .. }
            | StopEvent::Vforked { .. }
            | StopEvent::VforkDone => ("signal", trap, None),
            // lldb runs in all-stop.
            StopEvent::Requested => ("signal", 0, None),
        })
    }
}

/// What lldb adds to a `T` stop reply once it has sent
/// `QListThreadsInStopReply`: every thread and its pc, and the stop
/// reasons of all threads (pending ones are told now, see
/// [`threads_info`]), so it needs no more round trips to show the stop.
pub fn stop_reply_extras(target: &mut DebugTarget, news: &mut StopNews) -> String {
    let Ok(process) = target.process() else {
        return String::new();
    };
    news.others.extend(process.report_pending_stops());
    let pid = process.pid();
    let tids: Vec<_> = process.thread_ids().collect();
    let mut threads = Vec::new();
    let mut pcs = Vec::new();
    for &tid in &tids {
        if let Ok([_, _, pc]) = process.frame_registers(tid) {
            threads.push(format!("{tid:x}"));
            pcs.push(format!("{pc:x}"));
        }
    }
    let stops: Vec<String> = tids
        .iter()
        .filter_map(|&tid| Some(format!("{{\"tid\":{tid}{}}}", news.json_fields(tid, pid)?)))
        .collect();
    let json = format!("[{}]", stops.join(","));
    format!(
        "threads:{};thread-pcs:{};jstopinfo:{};",
        threads.join(","),
        pcs.join(","),
        hex(&json)
    )
}

/// `jThreadsInfo`: every thread's name, frame registers and stop reason,
/// in JSON. lldb asks for it at every stop instead of querying each thread.
///
/// Stops of other threads still pending are told here too, and so not
/// reported later: lldb would otherwise see threads sitting on a
/// breakpoint with no reason to be there, step them off it, and the hits
/// would be lost.
pub fn threads_info(target: &mut DebugTarget, news: &mut StopNews) -> Result<Vec<u8>, Refusal> {
    let mode = target.mode();
    let process = target.process()?;
    news.others.extend(process.report_pending_stops());
    let pid = process.pid();
    let regnums = frame_regnums(mode);
    let tids: Vec<_> = process.thread_ids().collect();
    let mut json = String::from("[");
    for (i, &tid) in tids.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        let _ = write!(json, "{{\"tid\":{tid}");
        if let Ok(name) = process.thread_name(tid) {
            let _ = write!(json, ",\"name\":{}", json_string(&name));
        }
        if let Some(fields) = news.json_fields(tid, pid) {
            json.push_str(&fields);
        }
        if let Ok(values) = process.frame_registers(tid) {
            json.push_str(",\"registers\":{");
            for (j, (&(regnum, size), value)) in regnums.iter().zip(values).enumerate() {
                if j > 0 {
                    json.push(',');
                }
                let bytes = &value.to_le_bytes()[..size];
                let _ = write!(json, "\"{regnum}\":\"{}\"", hex_string(bytes));
            }
            json.push('}');
        }
        json.push('}');
    }
    json.push(']');
    Ok(json.into_bytes())
}

fn hex(text: &str) -> String {
    hex_string(text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapping(start: u64, end: u64, name: &str) -> Mapping {
        Mapping {
            start,
            end,
            readable: true,
            writable: false,
            executable: true,
            name: name.into(),
        }
    }

    #[test]
    fn regions_inside_between_and_beyond_mappings() {
        let maps = [
            mapping(0x1000, 0x3000, "/bin/x"),
            mapping(0x8000, 0x9000, ""),
        ];
        assert_eq!(
            region_reply(&maps, 0x2fff),
            format!(
                "start:1000;size:2000;permissions:rx;name:{};",
                hex("/bin/x")
            )
        );
        assert_eq!(region_reply(&maps, 0x3000), "start:3000;size:5000;");
        assert_eq!(region_reply(&maps, 0x10), "start:0;size:1000;");
        assert_eq!(
            region_reply(&maps, 0x9000),
            format!("start:9000;size:{:x};", u64::MAX - 0x9000)
        );
        assert_eq!(
            region_reply(&maps, 0x8000),
            "start:8000;size:1000;permissions:rx;"
        );
    }

    #[test]
    fn only_threads_with_events_have_a_reason() {
        let mut news = StopNews::new(Report::Thread {
            tid: 11,
            event: StopEvent::Signal(libc::SIGUSR1),
        });
        news.others.push((12, StopEvent::Breakpoint));
        // SIGUSR1 is 30 in GDB's numbering, which lldb expects from us.
        assert_eq!(news.reason(11, 10), Some(("signal", 30, None)));
        assert_eq!(news.reason(12, 10), Some(("breakpoint", 5, None)));
        assert_eq!(news.reason(10, 10), None);
        let initial = StopNews::default();
        assert_eq!(initial.reason(10, 10), Some(("signal", 5, None)));
        assert_eq!(initial.reason(11, 10), None);
    }
}
