//! Who is on the other end and what it agreed to: the dialect (gdb or
//! lldb) and every feature the client negotiated. Every place where gdb and
//! lldb are answered differently is a method here, so the differences can
//! be read in one screen (docs/architecture.md has them as a table).

use super::signals;
use crate::arch::x86_64::Reader;
use crate::sys::Tid;
use gdbstub::common::Signal;

/// Which debugger is on the other end. Told apart by what it says: lldb
/// opens with packets of its own (`QThreadSuffixSupported`, `qHostInfo`...)
/// that gdb never sends. Nothing is guessed from names or versions.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub enum Dialect {
    #[default]
    Gdb,
    Lldb,
}

/// Packets that only lldb sends.
const LLDB_ONLY: &[&[u8]] = &[
    b"QThreadSuffixSupported",
    b"QListThreadsInStopReply",
    b"qHostInfo",
    b"qProcessInfo",
    b"QEnableErrorStrings",
    b"qVAttachOrWaitSupported",
    b"jThreadsInfo",
    b"qMemoryRegionInfo",
    b"qWatchpointSupportInfo",
];

/// How a memory read with `x` is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryRead {
    /// gdb: `b` then the bytes.
    Prefixed,
    /// lldb: the bytes alone, and `OK` for an empty read (its probe).
    Bare,
}

/// The client and everything it negotiated.
#[derive(Debug, Clone, Copy)]
pub struct ClientProfile {
    pub dialect: Dialect,
    /// The client acknowledges packets (until `QStartNoAckMode`).
    pub acks: bool,
    /// `multiprocess+`: thread ids are `pPID.TID`.
    pub multiprocess: bool,
    /// `exec-events+`: an exec is reported as such, not as a SIGTRAP.
    pub exec_events: bool,
    /// `fork-events+` and `vfork-events+`: forked children are kept and
    /// reported, and the client decides what becomes of them.
    pub fork_events: bool,
    /// lldb's `QListThreadsInStopReply`: stop replies list every thread.
    pub threads_in_stop_reply: bool,
    /// `QNonStop:1`: threads stop on their own, stops are notifications.
    pub non_stop: bool,
}

impl Default for ClientProfile {
    fn default() -> Self {
        ClientProfile {
            dialect: Dialect::Gdb,
            acks: true,
            multiprocess: false,
            exec_events: false,
            fork_events: false,
            threads_in_stop_reply: false,
            non_stop: false,
        }
    }
}

impl ClientProfile {
    /// Learn from a packet the client sent: lldb shows itself by its own
    /// packets.
    pub fn note_packet(&mut self, body: &[u8]) {
        if LLDB_ONLY.iter().any(|p| body.starts_with(p)) {
            self.dialect = Dialect::Lldb;
        }
    }

    /// The features of a `qSupported:` list (everything after the colon).
    pub fn negotiate(&mut self, features: &[u8]) {
        let has = |name: &[u8]| features.split(|&b| b == b';').any(|f| f == name);
        self.multiprocess = has(b"multiprocess+");
        self.exec_events = has(b"exec-events+");
        // Both or neither: a vfork child cannot be let go while a fork
        // child is kept, or the other way round, in one consistent model.
        self.fork_events = has(b"fork-events+") && has(b"vfork-events+");
    }

    /// The signal an interrupt (Ctrl-C) is reported with: SIGINT for gdb,
    /// as gdbserver does; SIGSTOP for lldb, as lldb-server does, which lldb
    /// does not pass back to the program when it resumes it.
    pub fn interrupt_signal(&self) -> Signal {
        match self.dialect {
            Dialect::Gdb => Signal::SIGINT,
            Dialect::Lldb => signals::to_gdb(libc::SIGSTOP),
        }
    }

    pub fn binary_read(&self) -> BinaryRead {
        match self.dialect {
            Dialect::Gdb => BinaryRead::Prefixed,
            Dialect::Lldb => BinaryRead::Bare,
        }
    }

    /// The reply to `k`: gdb wants `OK`; lldb wants to hear how the
    /// process ended (killed: `X09`).
    pub fn kill_reply(&self) -> Vec<u8> {
        match self.dialect {
            Dialect::Gdb => super::codec::ok(),
            Dialect::Lldb => format!("X{:02x}", signals::to_gdb(libc::SIGKILL).0).into_bytes(),
        }
    }

    /// Whether the libraries document names the main program's `link_map`
    /// (`main-lm`) and exists before the dynamic linker has run: gdb reads
    /// `main-lm` as that; lldb takes it for the address of the pointer to
    /// `r_debug`, and wants an error until the list exists, as
    /// lldb-server gives.
    pub fn wants_main_lm(&self) -> bool {
        self.dialect == Dialect::Gdb
    }

    /// Whether every pending stop is told at once (in the stop reply and in
    /// `jThreadsInfo`), as lldb-server does: lldb would otherwise step
    /// threads sitting on a breakpoint off it and lose their hits. gdb
    /// hears of them one at a time.
    pub fn tells_pending_stops_at_once(&self) -> bool {
        self.threads_in_stop_reply
    }

    /// A thread id as this client reads it (`pPID.TID` with multiprocess).
    pub fn thread_id(&self, pid: Tid, tid: Tid) -> String {
        super::codec::thread_id(self.multiprocess, pid, tid)
    }

    /// Who reads the target description: lldb gets its own attributes.
    pub fn description_reader(&self) -> Reader {
        match self.dialect {
            Dialect::Gdb => Reader::Gdb,
            Dialect::Lldb => Reader::Lldb,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_and_dialect() {
        let mut client = ClientProfile::default();
        client.negotiate(b"multiprocess+;swbreak+;exec-events+");
        assert!(client.multiprocess && client.exec_events);
        client.negotiate(b"");
        assert!(!client.exec_events);
        client.note_packet(b"qSupported:xmlRegisters=i386");
        assert_eq!(client.dialect, Dialect::Gdb);
        client.note_packet(b"QThreadSuffixSupported");
        assert_eq!(client.dialect, Dialect::Lldb);
        assert_eq!(client.kill_reply(), b"X09");
    }
}
