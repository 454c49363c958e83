//! Linux signal numbers <-> GDB's own signal numbering (gdb/signals.def),
//! which the remote protocol uses and which differs from Linux above 6.

use gdbstub::common::Signal;

/// (Linux, GDB) for every signal whose numbers differ or matter.
const TABLE: &[(i32, u8)] = &[
    (libc::SIGHUP, 1),
    (libc::SIGINT, 2),
    (libc::SIGQUIT, 3),
    (libc::SIGILL, 4),
    (libc::SIGTRAP, 5),
    (libc::SIGABRT, 6),
    (libc::SIGBUS, 10),
    (libc::SIGFPE, 8),
    (libc::SIGKILL, 9),
    (libc::SIGUSR1, 30),
    (libc::SIGSEGV, 11),
    (libc::SIGUSR2, 31),
    (libc::SIGPIPE, 13),
    (libc::SIGALRM, 14),
    (libc::SIGTERM, 15),
    (libc::SIGCHLD, 20),
    (libc::SIGCONT, 19),
    (libc::SIGSTOP, 17),
    (libc::SIGTSTP, 18),
    (libc::SIGTTIN, 21),
    (libc::SIGTTOU, 22),
    (libc::SIGURG, 16),
    (libc::SIGXCPU, 24),
    (libc::SIGXFSZ, 25),
    (libc::SIGVTALRM, 26),
    (libc::SIGPROF, 27),
    (libc::SIGWINCH, 28),
    (libc::SIGIO, 23),
    (libc::SIGPWR, 32),
    (libc::SIGSYS, 12),
];

/// GDB_SIGNAL_UNKNOWN.
const GDB_UNKNOWN: u8 = 143;
/// GDB numbers real-time signals 33..=63 from 45, and 32 and 64 apart.
const GDB_REALTIME_33: u8 = 45;
const GDB_REALTIME_32: u8 = 77;
const GDB_REALTIME_64: u8 = 78;

pub fn to_gdb(linux: i32) -> Signal {
    if let Some(&(_, gdb)) = TABLE.iter().find(|(l, _)| *l == linux) {
        return Signal(gdb);
    }
    Signal(match linux {
        0 => 0,
        32 => GDB_REALTIME_32,
        33..=63 => GDB_REALTIME_33 + (linux - 33) as u8,
        64 => GDB_REALTIME_64,
        _ => GDB_UNKNOWN,
    })
}

/// The Linux signal for a GDB signal number; 0 (none) for signals Linux lacks.
pub fn from_gdb(signal: Signal) -> i32 {
    let gdb = signal.0;
    if let Some(&(linux, _)) = TABLE.iter().find(|(_, g)| *g == gdb) {
        return linux;
    }
    match gdb {
        GDB_REALTIME_32 => 32,
        GDB_REALTIME_64 => 64,
        g if (GDB_REALTIME_33..GDB_REALTIME_33 + 31).contains(&g) => {
            i32::from(g - GDB_REALTIME_33) + 33
        }
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_every_linux_signal() {
        for linux in 1..=64 {
            if linux == libc::SIGSTKFLT {
                continue; // GDB has no number for it
            }
            assert_eq!(from_gdb(to_gdb(linux)), linux, "signal {linux}");
        }
        assert_eq!(to_gdb(libc::SIGUSR1), Signal(30));
        assert_eq!(to_gdb(libc::SIGSEGV), Signal::SIGSEGV);
    }
}
