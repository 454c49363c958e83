//! The protocol's encodings, in one place: packet framing, hex, binary
//! escapes, numbers, thread ids, XML and JSON text, `qXfer` slices, and the
//! replies every handler builds from (`OK`, errors, unsupported).

use crate::inferior;
use crate::sys::Tid;
use std::fmt::Write as _;

/// The largest packet the client may send, and the largest reply it must
/// take: large, so that a memory dump takes few round trips.
pub const PACKET_SIZE: usize = 256 * 1024;

/// Largest memory or file read answered: half a packet, as hex.
pub const MAX_READ: usize = PACKET_SIZE / 2;

/// The sum of a packet body's bytes, as its checksum.
pub fn checksum(body: &[u8]) -> u8 {
    body.iter().fold(0u8, |sum, &b| sum.wrapping_add(b))
}

/// Append `body` framed as a packet: `$body#xx`.
pub fn frame_into(out: &mut Vec<u8>, body: &[u8]) {
    out.reserve(body.len() + 4);
    out.push(b'$');
    out.extend_from_slice(body);
    out.push(b'#');
    push_hex(out, checksum(body));
}

/// An asynchronous notification (`%NAME:BODY#CS`, non-stop mode's stops).
pub fn notification_into(out: &mut Vec<u8>, name: &[u8], body: &[u8]) {
    out.push(b'%');
    out.extend_from_slice(name);
    out.push(b':');
    out.extend_from_slice(body);
    out.push(b'#');
    let sum = checksum(name)
        .wrapping_add(b':')
        .wrapping_add(checksum(body));
    push_hex(out, sum);
}

/// `body` framed as a packet.
pub fn frame(body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    frame_into(&mut out, body);
    out
}

// ----- replies -----

pub fn ok() -> Vec<u8> {
    b"OK".to_vec()
}

/// The empty reply: "this packet is not supported".
pub fn unsupported() -> Vec<u8> {
    Vec::new()
}

/// Why a request is refused, each with its error reply.
#[derive(Debug)]
pub enum Refusal {
    /// The packet's arguments cannot be parsed.
    Malformed,
    /// There is no process (extended-remote before `run` or `attach`).
    NoProcess,
    /// What was asked for cannot be found or done.
    Failed,
    /// Nothing to act on where the request points (`z` of no breakpoint).
    Invalid,
    /// The model said no.
    Model(inferior::Error),
}

impl From<inferior::Error> for Refusal {
    fn from(e: inferior::Error) -> Refusal {
        Refusal::Model(e)
    }
}

/// The error code of a model error, for every reply that reports one
/// (ours and gdbstub's): a failed memory access is EFAULT, a failed system
/// call says its errno; everything else (a dead thread, a running
/// process...) is `01`, as gdbserver says for all.
pub fn error_code(e: &inferior::Error) -> u8 {
    use inferior::Error as E;
    match e {
        E::Memory { .. } => libc::EFAULT as u8,
        E::Sys { errno, .. } => *errno as u8,
        _ => 1,
    }
}

/// The `Exx` reply for a refusal.
pub fn error(refusal: &Refusal) -> Vec<u8> {
    let code = match refusal {
        Refusal::Malformed | Refusal::NoProcess | Refusal::Failed => 1,
        Refusal::Invalid => libc::EINVAL as u8,
        Refusal::Model(e) => error_code(e),
    };
    let mut reply = b"E".to_vec();
    push_hex(&mut reply, code);
    reply
}

// ----- hex -----

const DIGITS: &[u8; 16] = b"0123456789abcdef";

pub fn push_hex(out: &mut Vec<u8>, byte: u8) {
    out.push(DIGITS[usize::from(byte >> 4)]);
    out.push(DIGITS[usize::from(byte & 0xf)]);
}

/// Append `data` as hex digits.
pub fn hex_into(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(2 * data.len());
    for &byte in data {
        push_hex(out, byte);
    }
}

pub fn hex(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    hex_into(&mut out, data);
    out
}

/// Text as hex digits (lldb's string fields, exec paths).
pub fn hex_string(text: &[u8]) -> String {
    let mut out = String::with_capacity(2 * text.len());
    for &byte in text {
        out.push(DIGITS[usize::from(byte >> 4)] as char);
        out.push(DIGITS[usize::from(byte & 0xf)] as char);
    }
    out
}

/// Pairs of hex digits -> bytes; `None` if any is not a digit.
pub fn unhex(hex: &[u8]) -> Option<Vec<u8>> {
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    hex.chunks_exact(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// A hex number field (`1f`); `None` if empty or not hex.
pub fn number(field: &[u8]) -> Option<u64> {
    u64::from_str_radix(std::str::from_utf8(field).ok()?, 16).ok()
}

/// A hex number that must fit `usize` (lengths, counts).
pub fn length(field: &[u8]) -> Option<usize> {
    usize::try_from(number(field)?).ok()
}

/// `A,B` as two hex numbers.
pub fn number_pair(text: &[u8]) -> Option<(u64, u64)> {
    let comma = text.iter().position(|&b| b == b',')?;
    Some((number(&text[..comma])?, number(&text[comma + 1..])?))
}

// ----- binary -----

/// Binary data in a packet: `#`, `$`, `}` and `*` (the run-length marker)
/// become `}` and the byte xor 0x20.
pub fn escape_binary_into(out: &mut Vec<u8>, data: &[u8]) {
    out.reserve(data.len() + data.len() / 16);
    for &byte in data {
        if matches!(byte, b'#' | b'$' | b'}' | b'*') {
            out.push(b'}');
            out.push(byte ^ 0x20);
        } else {
            out.push(byte);
        }
    }
}

pub fn escape_binary(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    escape_binary_into(&mut out, data);
    out
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

// ----- thread ids -----

/// A thread as a packet names it: `TID`, `pPID.TID`, `-1` (all), `0`
/// (any), and with the multiprocess extensions `pPID` or `pPID.-1` (every
/// thread of process PID) and `pPID.0` (any thread of it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ThreadRef {
    All,
    Any,
    /// A thread (Linux thread ids are unique system-wide: the pid of
    /// `pPID.TID` is not needed to find it).
    Id(Tid),
    /// Every thread of a process.
    AllOf(Tid),
    /// Any thread of a process.
    AnyOf(Tid),
}

/// Parse a thread id in any of its forms (hex).
pub fn thread_ref(text: &[u8]) -> Option<ThreadRef> {
    let id = |hex: &[u8]| match hex {
        b"-1" => Some(Id::All),
        b"0" => Some(Id::Any),
        hex => i32::try_from(number(hex)?).ok().map(Id::One),
    };
    enum Id {
        All,
        Any,
        One(Tid),
    }
    let Some(rest) = text.strip_prefix(b"p") else {
        return Some(match id(text)? {
            Id::All => ThreadRef::All,
            Id::Any => ThreadRef::Any,
            Id::One(tid) => ThreadRef::Id(tid),
        });
    };
    let (pid, tid) = match rest.iter().position(|&b| b == b'.') {
        Some(dot) => (id(&rest[..dot])?, id(&rest[dot + 1..])?),
        None => (id(rest)?, Id::All),
    };
    Some(match (pid, tid) {
        (_, Id::One(tid)) => ThreadRef::Id(tid),
        (Id::All, _) => ThreadRef::All,
        (Id::Any, _) => ThreadRef::Any,
        (Id::One(pid), Id::All) => ThreadRef::AllOf(pid),
        (Id::One(pid), Id::Any) => ThreadRef::AnyOf(pid),
    })
}

/// A thread id as the client reads it: `pPID.TID` once it has agreed to
/// the multiprocess extensions, else `TID`.
pub fn thread_id(multiprocess: bool, pid: Tid, tid: Tid) -> String {
    if multiprocess {
        format!("p{pid:x}.{tid:x}")
    } else {
        format!("{tid:x}")
    }
}

// ----- documents -----

/// A `qXfer` read reply: `OFFSET,LENGTH` (`annex`) of `document`, `m` when
/// more follows, `l` for the last part, binary-escaped.
pub fn qxfer(document: &[u8], annex: &[u8]) -> Vec<u8> {
    let Some((offset, length)) = number_pair(annex) else {
        return error(&Refusal::Malformed);
    };
    let len = document.len();
    let start = usize::try_from(offset).unwrap_or(usize::MAX).min(len);
    let end = start
        .saturating_add(usize::try_from(length).unwrap_or(usize::MAX))
        .min(len);
    let mut reply = vec![if end < len { b'm' } else { b'l' }];
    escape_binary_into(&mut reply, &document[start..end]);
    reply
}

/// Text for an XML attribute or element.
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Text as a JSON string, quotes included.
pub fn json_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_with_checksum() {
        assert_eq!(frame(b"OK"), b"$OK#9a");
        assert_eq!(frame(b""), b"$#00");
    }

    #[test]
    fn binary_data_escapes_round_trip() {
        let data: Vec<u8> = (0..=255).collect();
        let escaped = escape_binary(&data);
        assert!(!escaped.iter().any(|b| matches!(b, b'#' | b'$' | b'*')));
        assert_eq!(unescape_binary(&escaped), data);
        assert_eq!(escape_binary(b"a#$}*b"), b"a}\x03}\x04}]}\x0ab");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0x00, 0xab, 0x7f]), b"00ab7f");
        assert_eq!(unhex(b"00ab7F"), Some(vec![0x00, 0xab, 0x7f]));
        assert_eq!(unhex(b"0"), None);
        assert_eq!(unhex(b"zz"), None);
        assert_eq!(hex_string(b"/bin"), "2f62696e");
        assert_eq!(number(b"1f"), Some(31));
        assert_eq!(number(b""), None);
        assert_eq!(number_pair(b"10,20"), Some((16, 32)));
        assert_eq!(number_pair(b"10"), None);
    }

    #[test]
    fn qxfer_slices_and_escapes() {
        assert_eq!(qxfer(b"abcdef", b"0,3"), b"mabc");
        assert_eq!(qxfer(b"abcdef", b"3,10"), b"ldef");
        assert_eq!(qxfer(b"abc", b"5,1"), b"l");
        assert_eq!(qxfer(b"a#b", b"0,3"), b"la}\x03b");
        assert_eq!(qxfer(b"abc", b"zz"), b"E01");
        assert_eq!(qxfer(b"abc", b"1,ffffffffffffffff"), b"lbc");
    }

    #[test]
    fn thread_ids_in_every_form() {
        assert_eq!(thread_ref(b"-1"), Some(ThreadRef::All));
        assert_eq!(thread_ref(b"0"), Some(ThreadRef::Any));
        assert_eq!(thread_ref(b"1f"), Some(ThreadRef::Id(31)));
        assert_eq!(thread_ref(b"p1f.20"), Some(ThreadRef::Id(32)));
        assert_eq!(thread_ref(b"p1f.-1"), Some(ThreadRef::AllOf(31)));
        assert_eq!(thread_ref(b"p1f"), Some(ThreadRef::AllOf(31)));
        assert_eq!(thread_ref(b"p1f.0"), Some(ThreadRef::AnyOf(31)));
        assert_eq!(thread_ref(b"p-1.-1"), Some(ThreadRef::All));
        assert_eq!(thread_ref(b"p-1"), Some(ThreadRef::All));
        assert_eq!(thread_ref(b"p0.0"), Some(ThreadRef::Any));
        assert_eq!(thread_ref(b"p1f.zz"), None);
        assert_eq!(thread_ref(b"zz"), None);
        assert_eq!(thread_ref(b"ffffffffff"), None);
    }

    #[test]
    fn text_escapes() {
        assert_eq!(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
        assert_eq!(json_string("a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
    }
}
