//! Packets we answer ourselves, in front of gdbstub: the ones it lacks or
//! gets wrong for a debugger of real processes. The session offers every
//! packet here first; `None` lets it through to gdbstub.

use super::DebugTarget;
use crate::sys::procfs;
use std::fmt::Write as _;

/// What the client said it supports in `qSupported`, as far as the packets
/// and replies of this layer care.
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

/// gdbstub's `qSupported` reply with this layer's features added.
pub fn amend_supported(reply: &[u8], client: ClientFeatures) -> Vec<u8> {
    let mut reply = reply.to_vec();
    if client.exec_events {
        reply.extend_from_slice(b";exec-events+");
    }
    reply
}

/// The stop reply for an exec (gdbstub has none): gdb then loads the new
/// program and puts its breakpoints back.
pub fn exec_stop_reply(pid: i32, tid: i32, client: ClientFeatures) -> Vec<u8> {
    let mut reply = String::from("T05thread:");
    if client.multiprocess {
        let _ = write!(reply, "p{pid:x}.{tid:x};");
    } else {
        let _ = write!(reply, "{tid:x};");
    }
    let path = procfs::exe_path(pid).unwrap_or_default();
    reply.push_str("exec:");
    for byte in path.as_os_str().as_encoded_bytes() {
        let _ = write!(reply, "{byte:02x}");
    }
    reply.push(';');
    reply.into_bytes()
}

/// The reply body for a packet we own, or `None` to let gdbstub have it.
pub fn answer(target: &mut DebugTarget, body: &[u8]) -> Option<Vec<u8>> {
    match body {
        [b'H', b'g' | b'c', thread @ ..] => select_thread(target, thread),
        _ => None,
    }
}

/// `Hg`/`Hc` naming a thread that does not exist: gdbstub would accept it
/// and fail every later request; refuse it now, as gdbserver does.
fn select_thread(target: &mut DebugTarget, thread: &[u8]) -> Option<Vec<u8>> {
    let tid = parse_thread_id(thread)?;
    match tid {
        // -1 (all) and 0 (any) are always valid.
        ThreadId::All | ThreadId::Any => None,
        ThreadId::Id(tid)
            if target
                .inferior()
                .is_some_and(|i| i.process.thread_state(tid).is_some()) =>
        {
            None
        }
        ThreadId::Id(_) => Some(b"E01".to_vec()),
    }
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
        assert_eq!(
            amend_supported(b"PacketSize=100", client),
            b"PacketSize=100;exec-events+"
        );
        let none = ClientFeatures::from_q_supported(b"qSupported");
        assert!(!none.exec_events);
        assert_eq!(amend_supported(b"X", none), b"X");
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
