//! Packets we answer ourselves, in front of gdbstub: the ones it lacks or
//! gets wrong for a debugger of real processes. The session offers every
//! packet here first; `None` lets it through to gdbstub.
//!
//! Owned here: `Hg`/`Hc` with an unknown thread (refused), `qXfer:threads`
//! (thread names), `qXfer:siginfo` (`$_siginfo`), `QPassSignals` and
//! `QProgramSignals`, registers (`g`), memory reads and writes (`m`, the
//! binary `x`, `M`, `X`), `vFile:pread` and `vFile:pwrite`, and the
//! packets only lldb sends (see [`super::lldb`]); plus our features and PacketSize in the
//! `qSupported` reply and the exec stop reply, which gdbstub cannot word.

use super::{lldb, signals, DebugTarget};
use crate::inferior::Report;
use crate::sys::procfs;
use gdbstub::common::Signal;
use std::collections::BTreeSet;
use std::fmt::Write as _;

/// What the client said it supports in `qSupported`, as far as this layer cares.
#[derive(Debug, Default, Clone, Copy)]
pub struct ClientFeatures {
    pub multiprocess: bool,
    pub exec_events: bool,
}

impl ClientFeatures {
    pub fn from_q_supported(body: &[u8]) -> ClientFeatures {
        let list = body.strip_prefix(b"qSupported").unwrap_or_default();
        let list = list.strip_prefix(b":").unwrap_or(list);
        let has = |name: &[u8]| list.split(|&b| b == b';').any(|f| f == name);
        ClientFeatures {
            multiprocess: has(b"multiprocess+"),
            exec_events: has(b"exec-events+"),
        }
    }
}

/// Which debugger is on the other end. Told apart by what it says: lldb
/// opens with packets of its own (`QThreadSuffixSupported`, `qHostInfo`...)
/// that gdb never sends. The few packets both send but read differently
/// are answered in the client's way.
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

/// This layer's view of the session.
#[derive(Debug, Default)]
pub struct Front {
    pub client: ClientFeatures,
    pub dialect: Dialect,
    /// The thread gdbstub reads registers and memory of, when we know it
    /// for sure: the one an `Hg` named, or the last stop's. `None` after
    /// `Hg0`, `?`, `vRun`, `vAttach` or a new gdbstub: `g` is then left to
    /// gdbstub, and `$_siginfo` and TLS lookups take the main thread.
    selected: Option<i32>,
    /// What lldb has been told of the current stop, for `jThreadsInfo`.
    told: lldb::StopNews,
    /// lldb's `QListThreadsInStopReply`: stop replies list every thread.
    threads_in_stop_reply: bool,
    /// The `qXfer:threads` document being read.
    threads_document: Option<Vec<u8>>,
}

impl Front {
    /// The reply body for a packet we own, or `None` to let gdbstub have it.
    pub fn answer(&mut self, target: &mut DebugTarget, body: &[u8]) -> Option<Vec<u8>> {
        if body.starts_with(b"qSupported") {
            self.client = ClientFeatures::from_q_supported(body);
            return None;
        }
        if LLDB_ONLY.iter().any(|p| body.starts_with(p)) {
            self.dialect = Dialect::Lldb;
        }
        if body == b"?" || body.starts_with(b"vRun") || body.starts_with(b"vAttach") {
            self.told = lldb::StopNews::default();
            self.selected = None;
            return None;
        }
        if body == b"g" {
            // Ours for speed: gdbstub writes the reply a byte at a time.
            return read_registers(target, self.selected?);
        }
        if let Some(reply) = self.answer_lldb(target, body) {
            return Some(reply);
        }
        if let Some(thread) = body.strip_prefix(b"Hg") {
            return self.select_thread(target, thread, true);
        }
        if let Some(thread) = body.strip_prefix(b"Hc") {
            return self.select_thread(target, thread, false);
        }
        if let Some(rest) = body.strip_prefix(b"qXfer:exec-file:read:") {
            let (pid, annex) = split_annex(rest)?;
            return Some(document_reply(target.exec_file_document(pid), annex));
        }
        if let Some(annex) = body.strip_prefix(b"qXfer:auxv:read::") {
            return Some(document_reply(target.auxv_document(), annex));
        }
        if let Some(annex) = body.strip_prefix(b"qXfer:libraries-svr4:read::") {
            let document = target.libraries_document(self.dialect);
            return Some(document_reply(document, annex));
        }
        if let Some(annex) = body.strip_prefix(b"qXfer:features:read:target.xml:") {
            // Ours rather than gdbstub's: one round trip less, and lldb's variant.
            return Some(qxfer(super::description::description(self.dialect), annex));
        }
        if let Some(annex) = body.strip_prefix(b"qXfer:threads:read::") {
            // gdb reads it in 4 KiB slices: build it once, at the first.
            if annex.starts_with(b"0,") || self.threads_document.is_none() {
                self.threads_document = Some(self.threads_xml(target));
            }
            return Some(qxfer(
                self.threads_document.as_deref().unwrap_or_default(),
                annex,
            ));
        }
        if let Some(args) = body.strip_prefix(b"m") {
            return read_memory(target, args, Encoding::Hex);
        }
        if let Some(args) = body.strip_prefix(b"x") {
            let encoding = match self.dialect {
                Dialect::Gdb => Encoding::Binary,
                Dialect::Lldb => Encoding::BinaryLldb,
            };
            // gdbstub does not know `x`: a malformed one is refused here.
            return read_memory(target, args, encoding).or_else(|| Some(b"E01".to_vec()));
        }
        if let Some(args) = body.strip_prefix(b"M") {
            return write_memory(target, args, Encoding::Hex);
        }
        if let Some(args) = body.strip_prefix(b"X") {
            return write_memory(target, args, Encoding::Binary);
        }
        if let Some(args) = body.strip_prefix(b"vFile:pread:") {
            return target.host_pread(args, MAX_READ - 1);
        }
        if let Some(args) = body.strip_prefix(b"vFile:pwrite:") {
            return target.host_pwrite(args);
        }
        if let Some(args) = body.strip_prefix(b"qGetTLSAddr:") {
            return Some(self.tls_address(target, args));
        }
        if let Some(annex) = body.strip_prefix(b"qXfer:siginfo:read::") {
            return Some(self.siginfo(target, annex));
        }
        if let Some(list) = body.strip_prefix(b"QPassSignals:") {
            let signals = parse_signal_list(list)?;
            if let Some(inferior) = target.inferior() {
                inferior.process.set_pass_signals(signals.clone());
            }
            target.pass_signals = signals;
            return Some(b"OK".to_vec());
        }
        if body.starts_with(b"Z3,") || body.starts_with(b"z3,") {
            // x86 cannot watch reads alone; "unsupported" makes gdb use an
            // access watchpoint instead.
            return Some(Vec::new());
        }
        if body.starts_with(b"QProgramSignals:") {
            // Which signals gdb lets reach the program: it passes them in
            // vCont itself, so nothing to keep.
            return Some(b"OK".to_vec());
        }
        None
    }

    /// lldb's own packets; `None` for the rest.
    fn answer_lldb(&mut self, target: &mut DebugTarget, body: &[u8]) -> Option<Vec<u8>> {
        let reply = match body {
            b"qHostInfo" => lldb::host_info(),
            b"qProcessInfo" => lldb::process_info(target),
            b"jThreadsInfo" => lldb::threads_info(target, &mut self.told),
            b"QListThreadsInStopReply" => {
                self.threads_in_stop_reply = true;
                b"OK".to_vec()
            }
            // x86 has four debug registers.
            b"qWatchpointSupportInfo" | b"qWatchpointSupportInfo:" => b"num:4;".to_vec(),
            _ => {
                let args = body.strip_prefix(b"qMemoryRegionInfo:")?;
                lldb::memory_region_info(target, args)
            }
        };
        Some(escape_binary(&reply))
    }

    /// gdbstub was built anew: which thread it points at is its business.
    pub fn stub_rebuilt(&mut self) {
        self.selected = None;
    }

    /// A stop was reported: gdbstub now points at its thread, and so do we.
    pub fn note_stop(&mut self, report: Report) {
        self.selected = match report {
            Report::Thread { tid, .. } | Report::Interrupted { tid } => Some(tid),
            _ => None,
        };
        self.told = lldb::StopNews::new(report);
    }

    /// Whether stop replies get [`amend_stop_reply`](Self::amend_stop_reply).
    pub fn amends_stop_replies(&self) -> bool {
        self.threads_in_stop_reply
    }

    /// A stop reply of gdbstub's with what the client asked to have in it.
    pub fn amend_stop_reply(&mut self, target: &mut DebugTarget, reply: &[u8]) -> Vec<u8> {
        let mut reply = reply.to_vec();
        if self.threads_in_stop_reply && reply.first() == Some(&b'T') {
            let extras = lldb::stop_reply_extras(target, &mut self.told);
            reply.extend_from_slice(extras.as_bytes());
        }
        reply
    }

    /// gdbstub's `qSupported` reply with this layer's features added, and
    /// our PacketSize in place of its (the size of its own buffer).
    pub fn amend_supported(&self, gdbstubs: &[u8]) -> Vec<u8> {
        let mut reply = format!("PacketSize={PACKET_SIZE:x}").into_bytes();
        for feature in gdbstubs.split(|&b| b == b';') {
            if !feature.starts_with(b"PacketSize=") {
                reply.push(b';');
                reply.extend_from_slice(feature);
            }
        }
        reply.extend_from_slice(
            b";qXfer:threads:read+;qXfer:siginfo:read+;qXfer:exec-file:read+;qXfer:auxv:read+\
              ;qXfer:libraries-svr4:read+;QPassSignals+;QProgramSignals+;binary-upload+",
        );
        if self.client.exec_events {
            reply.extend_from_slice(b";exec-events+");
        }
        reply
    }

    /// The stop reply for an exec (gdbstub has none): gdb then loads the
    /// new program and puts its breakpoints back.
    pub fn exec_stop_reply(&self, pid: i32, tid: i32) -> Vec<u8> {
        let mut reply = format!("T05thread:{};exec:", self.thread_id(pid, tid));
        let path = procfs::exe_path(pid).unwrap_or_default();
        for byte in path.as_os_str().as_encoded_bytes() {
            let _ = write!(reply, "{byte:02x}");
        }
        reply.push(';');
        reply.into_bytes()
    }

    fn thread_id(&self, pid: i32, tid: i32) -> String {
        if self.client.multiprocess {
            format!("p{pid:x}.{tid:x}")
        } else {
            format!("{tid:x}")
        }
    }

    /// `Hg`/`Hc` naming a thread that does not exist: gdbstub would accept
    /// it and fail every later request; refuse it now, as gdbserver does.
    fn select_thread(
        &mut self,
        target: &mut DebugTarget,
        thread: &[u8],
        general: bool,
    ) -> Option<Vec<u8>> {
        match parse_thread_id(thread)? {
            // -1 (all) and 0 (any) are always valid.
            ThreadId::All | ThreadId::Any => {
                if general {
                    self.selected = None;
                }
                None
            }
            ThreadId::Id(tid) => {
                let known = target
                    .inferior()
                    .is_some_and(|i| i.process.thread_state(tid).is_some());
                if !known {
                    return Some(b"E01".to_vec());
                }
                if general {
                    self.selected = Some(tid);
                }
                None
            }
        }
    }

    fn threads_xml(&self, target: &mut DebugTarget) -> Vec<u8> {
        let mut xml = String::from("<?xml version=\"1.0\"?>\n<threads>\n");
        if let Some(inferior) = target.inferior() {
            let pid = inferior.process.pid();
            for tid in inferior.process.thread_ids() {
                let _ = write!(xml, "<thread id=\"{}\"", self.thread_id(pid, tid));
                if let Ok(name) = procfs::thread_name(pid, tid) {
                    let _ = write!(xml, " name=\"{}\"", xml_escape(&name));
                }
                xml.push_str("/>\n");
            }
        }
        xml.push_str("</threads>\n");
        xml.into_bytes()
    }

    /// `qGetTLSAddr:THREAD,OFFSET,LM`: the address of a thread-local variable.
    fn tls_address(&self, target: &mut DebugTarget, args: &[u8]) -> Vec<u8> {
        let parsed = std::str::from_utf8(args).ok().and_then(|a| {
            let mut parts = a.split(',');
            let thread = parse_thread_id(parts.next()?.as_bytes())?;
            let offset = u64::from_str_radix(parts.next()?, 16).ok()?;
            let lm = u64::from_str_radix(parts.next()?, 16).ok()?;
            Some((thread, offset, lm))
        });
        let (Some((thread, offset, lm)), Some(inferior)) = (parsed, target.inferior()) else {
            return b"E01".to_vec();
        };
        let tid = match thread {
            ThreadId::Id(tid) => tid,
            ThreadId::All | ThreadId::Any => self.selected.unwrap_or(inferior.process.pid()),
        };
        match inferior.process.tls_address(tid, lm, offset) {
            Ok(addr) => format!("{addr:x}").into_bytes(),
            Err(e) => {
                log::debug!("TLS address in {tid} (lm {lm:#x}): {e}");
                b"E01".to_vec()
            }
        }
    }

    fn siginfo(&self, target: &mut DebugTarget, annex: &[u8]) -> Vec<u8> {
        let Some(inferior) = target.inferior() else {
            return b"E01".to_vec();
        };
        let tid = self.selected.unwrap_or(inferior.process.pid());
        match inferior.process.siginfo(tid) {
            Ok(info) => qxfer(&info, annex),
            Err(e) => {
                log::debug!("siginfo of {tid}: {e}");
                b"E01".to_vec()
            }
        }
    }
}

/// The largest packet the client may send, and the largest reply it must
/// take: large, so that a memory dump takes few round trips. The packets
/// that carry that much are answered here (`m`, `x`, `M`, `X`,
/// `vFile:pread`, `vFile:pwrite`), never in gdbstub's buffer: see
/// `GDBSTUB_BUFFER` in server/session.rs.
pub const PACKET_SIZE: usize = 256 * 1024;

/// Largest memory read answered: half a packet, in hex.
const MAX_READ: usize = PACKET_SIZE / 2;

/// How a memory read is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    /// `m`: hex digits.
    Hex,
    /// gdb's `x`: `b` then the bytes, binary-escaped.
    Binary,
    /// lldb's `x`: the bytes alone, and `OK` for an empty read (its probe).
    BinaryLldb,
}

/// `mADDR,LENGTH` or `xADDR,LENGTH`: one read of the process's memory.
/// `None` for a malformed request, left to gdbstub to refuse.
fn read_memory(target: &mut DebugTarget, args: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    let (addr, len) = std::str::from_utf8(args).ok()?.split_once(',')?;
    let addr = u64::from_str_radix(addr, 16).ok()?;
    // Escaped binary may double: one byte less keeps a `b` reply in the packet.
    let max = if encoding == Encoding::Hex {
        MAX_READ
    } else {
        MAX_READ - 1
    };
    let len = usize::from_str_radix(len, 16).ok()?.min(max);
    if len == 0 && encoding == Encoding::BinaryLldb {
        return Some(b"OK".to_vec());
    }
    let Some(inferior) = target.inferior() else {
        return Some(b"E01".to_vec());
    };
    let mut data = vec![0u8; len];
    let read = match inferior.process.read_memory(addr, &mut data) {
        Ok(n) if n > 0 || len == 0 => &data[..n],
        Ok(_) => return Some(format!("E{:02x}", libc::EFAULT).into_bytes()),
        Err(e) => {
            log::debug!("read {addr:#x},{len:#x}: {e}");
            return Some(format!("E{:02x}", libc::EFAULT).into_bytes());
        }
    };
    Some(match encoding {
        Encoding::Hex => hex_encode(read),
        Encoding::Binary => {
            let mut reply = b"b".to_vec();
            reply.extend_from_slice(&escape_binary(read));
            reply
        }
        Encoding::BinaryLldb => escape_binary(read),
    })
}

/// `g`: every register of thread `tid`, in hex. `None` if they cannot be
/// read, for gdbstub to try and word the error.
fn read_registers(target: &mut DebugTarget, tid: i32) -> Option<Vec<u8>> {
    use gdbstub::arch::Registers as _;
    let regs = target.inferior()?.process.read_registers(tid).ok()?;
    let mut hex = Vec::with_capacity(2048);
    regs.gdb_serialize(|byte| match byte {
        Some(byte) => push_hex(&mut hex, byte),
        None => hex.extend_from_slice(b"xx"),
    });
    Some(hex)
}

/// `MADDR,LENGTH:HEX` or `XADDR,LENGTH:BINARY`: one write of the process's
/// memory. `None` for a malformed request, left to gdbstub to refuse.
fn write_memory(target: &mut DebugTarget, args: &[u8], encoding: Encoding) -> Option<Vec<u8>> {
    let colon = args.iter().position(|&b| b == b':')?;
    let (addr, len) = std::str::from_utf8(&args[..colon]).ok()?.split_once(',')?;
    let addr = u64::from_str_radix(addr, 16).ok()?;
    let len = usize::from_str_radix(len, 16).ok()?;
    let data = match encoding {
        Encoding::Hex => hex_decode(&args[colon + 1..])?,
        Encoding::Binary | Encoding::BinaryLldb => unescape_binary(&args[colon + 1..]),
    };
    if data.len() != len {
        return Some(b"E01".to_vec());
    }
    let Some(inferior) = target.inferior() else {
        return Some(b"E01".to_vec());
    };
    if data.is_empty() {
        // gdb's probe for `X`.
        return Some(b"OK".to_vec());
    }
    Some(match inferior.process.write_memory(addr, &data) {
        Ok(()) => b"OK".to_vec(),
        Err(e) => {
            log::debug!("write {addr:#x},{len:#x}: {e}");
            format!("E{:02x}", libc::EFAULT).into_bytes()
        }
    })
}

/// Pairs of hex digits -> bytes; `None` if any is not a digit.
fn hex_decode(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// Binary data from a packet: `}` escapes the next byte (xor 0x20).
pub fn unescape_binary(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    let mut bytes = data.iter();
    while let Some(&byte) = bytes.next() {
        match byte {
            b'}' => out.extend(bytes.next().map(|b| b ^ 0x20)),
            _ => out.push(byte),
        }
    }
    out
}

/// Hex digits from a table (gdbstub writes replies a byte at a time).
fn hex_encode(data: &[u8]) -> Vec<u8> {
    let mut hex = Vec::with_capacity(2 * data.len());
    for &byte in data {
        push_hex(&mut hex, byte);
    }
    hex
}

fn push_hex(hex: &mut Vec<u8>, byte: u8) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    hex.push(DIGITS[usize::from(byte >> 4)]);
    hex.push(DIGITS[usize::from(byte & 0xf)]);
}

/// Binary data in a packet: `#`, `$`, `}` and `*` (run-length marker)
/// become `}` and the byte xor 0x20.
pub fn escape_binary(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &byte in data {
        if matches!(byte, b'#' | b'$' | b'}' | b'*') {
            out.push(b'}');
            out.push(byte ^ 0x20);
        } else {
            out.push(byte);
        }
    }
    out
}

/// `ANNEX:OFFSET,LENGTH` -> (annex, offset and length).
fn split_annex(rest: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = rest.iter().position(|&b| b == b':')?;
    Some((&rest[..colon], &rest[colon + 1..]))
}

/// A `qXfer` read of a document that may not exist (no process).
fn document_reply(document: Option<Vec<u8>>, annex: &[u8]) -> Vec<u8> {
    match document {
        Some(document) => qxfer(&document, annex),
        None => b"E01".to_vec(),
    }
}

/// A `qXfer` read reply: `OFFSET,LENGTH` of `document`, `m` when more
/// follows, `l` for the last part, binary-escaped.
fn qxfer(document: &[u8], annex: &[u8]) -> Vec<u8> {
    let Some((offset, length)) = std::str::from_utf8(annex).ok().and_then(|a| {
        let (o, l) = a.split_once(',')?;
        Some((
            usize::from_str_radix(o, 16).ok()?,
            usize::from_str_radix(l, 16).ok()?,
        ))
    }) else {
        return b"E01".to_vec();
    };
    let start = offset.min(document.len());
    let end = start.saturating_add(length).min(document.len());
    let mut reply = vec![if end < document.len() { b'm' } else { b'l' }];
    reply.extend_from_slice(&escape_binary(&document[start..end]));
    reply
}

/// `QPassSignals:` list: GDB signal numbers in hex, `;`-separated, as
/// Linux signals. `None` if malformed (gdbstub then says it is unknown).
fn parse_signal_list(list: &[u8]) -> Option<BTreeSet<i32>> {
    let text = std::str::from_utf8(list).ok()?;
    text.split(';')
        .filter(|s| !s.is_empty())
        .map(|s| {
            u8::from_str_radix(s, 16)
                .ok()
                .map(|n| signals::from_gdb(Signal(n)))
        })
        .filter(|s| s != &Some(0))
        .collect()
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[derive(Debug, PartialEq, Eq)]
enum ThreadId {
    All,
    Any,
    Id(i32),
}

/// A thread id as the protocol writes it: `TID`, `pPID.TID`, `-1` or `0`
/// (hex). `None` if it is malformed (gdbstub then rejects it).
fn parse_thread_id(text: &[u8]) -> Option<ThreadId> {
    let text = std::str::from_utf8(text).ok()?;
    let tid = match text.strip_prefix('p') {
        Some(rest) => rest.split_once('.').map_or("-1", |(_, tid)| tid),
        None => text,
    };
    match tid {
        "-1" => Some(ThreadId::All),
        "0" => Some(ThreadId::Any),
        hex => i32::from_str_radix(hex, 16).ok().map(ThreadId::Id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_features_and_amended_reply() {
        let client =
            ClientFeatures::from_q_supported(b"qSupported:multiprocess+;swbreak+;exec-events+");
        assert!(client.multiprocess && client.exec_events);
        let front = Front {
            client,
            ..Front::default()
        };
        // gdbstub's PacketSize is the size of its own buffer: ours replaces it.
        let reply = front.amend_supported(b"PacketSize=100;vContSupported+");
        assert!(reply.starts_with(b"PacketSize=40000;vContSupported+;"));
        assert_eq!(reply.windows(11).filter(|w| w == b"PacketSize=").count(), 1);
        assert!(reply.ends_with(b";exec-events+"));
        let none = ClientFeatures::from_q_supported(b"qSupported");
        assert!(!none.exec_events);
    }

    #[test]
    fn binary_data_escapes_round_trip() {
        let data: Vec<u8> = (0..=255).collect();
        let escaped = escape_binary(&data);
        assert!(!escaped.iter().any(|b| matches!(b, b'#' | b'$' | b'*')));
        assert_eq!(unescape_binary(&escaped), data);
        assert_eq!(hex_decode(b"00ab7F"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(hex_decode(b"0"), None);
        assert_eq!(hex_decode(b"zz"), None);
    }

    #[test]
    fn memory_is_hex_encoded() {
        assert_eq!(hex_encode(&[0x00, 0xab, 0x7f]), b"00ab7f");
    }

    #[test]
    fn binary_escapes_the_four_special_bytes() {
        assert_eq!(escape_binary(b"a#$}*b"), b"a}\x03}\x04}]}\x0ab");
    }

    #[test]
    fn qxfer_slices_and_escapes() {
        assert_eq!(qxfer(b"abcdef", b"0,3"), b"mabc");
        assert_eq!(qxfer(b"abcdef", b"3,10"), b"ldef");
        assert_eq!(qxfer(b"abc", b"5,1"), b"l");
        assert_eq!(qxfer(b"a#b", b"0,3"), b"la}\x03b");
        assert_eq!(qxfer(b"abc", b"zz"), b"E01");
    }

    #[test]
    fn signal_lists_are_gdb_numbers() {
        // GDB's SIGUSR1 is 30 (0x1e), Linux's is 10.
        assert_eq!(
            parse_signal_list(b"1e;e"),
            Some([libc::SIGUSR1, libc::SIGALRM].into())
        );
        assert_eq!(parse_signal_list(b""), Some(BTreeSet::new()));
        assert_eq!(parse_signal_list(b"zz"), None);
    }

    #[test]
    fn thread_ids_in_every_form() {
        assert_eq!(parse_thread_id(b"-1"), Some(ThreadId::All));
        assert_eq!(parse_thread_id(b"0"), Some(ThreadId::Any));
        assert_eq!(parse_thread_id(b"1f"), Some(ThreadId::Id(31)));
        assert_eq!(parse_thread_id(b"p1f.20"), Some(ThreadId::Id(32)));
        assert_eq!(parse_thread_id(b"p1f.-1"), Some(ThreadId::All));
        assert_eq!(parse_thread_id(b"p1f"), Some(ThreadId::All));
        assert_eq!(parse_thread_id(b"zz"), None);
    }
}
