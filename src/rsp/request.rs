//! The packets our layer answers, parsed once into one typed request.
//! [`parse`] says for every packet whether it is ours (well-formed or not)
//! or gdbstub's engine's (see the table in rsp/mod.rs).

use super::codec::{self, ThreadRef};
use crate::sys::Tid;

/// A memory read's reply encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    /// `m`/`M`: hex digits.
    Hex,
    /// `x`/`X`: binary, escaped.
    Binary,
}

/// One `vCont` action (or the action of `c`, `s`, `C`, `S`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VContAction {
    pub kind: VContKind,
    /// GDB signal number to deliver, if any.
    pub signal: Option<u8>,
    /// `None`: every thread without an action of its own.
    pub thread: Option<ThreadRef>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VContKind {
    Continue,
    Step,
    /// `r START,END`: step while the pc stays in the range.
    RangeStep {
        start: u64,
        end: u64,
    },
    /// `t`: stop (non-stop mode only).
    Stop,
}

/// What `Z`/`z` set: the number in the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PointKind {
    /// 0: an `int3` in memory.
    Software,
    /// 1: a debug register on an instruction.
    Hardware,
    /// 2, 3, 4: a debug register on data written, read, or accessed.
    WriteWatch,
    ReadWatch,
    AccessWatch,
}

/// The `qXfer` objects we serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum XferObject<'a> {
    Features(&'a [u8]),
    Threads,
    Siginfo,
    /// The annex: a process id in hex, or empty for the current process.
    ExecFile(&'a [u8]),
    Auxv,
    /// The annex: empty, or where to read from (`lmid=..;start=..;prev=..`).
    Libraries(&'a [u8]),
    /// The annex: an `info os` type, or empty for the list of types.
    OsData(&'a [u8]),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request<'a> {
    /// `qSupported[:features]`: negotiated with gdbstub's engine too.
    Supported(&'a [u8]),
    StartNoAckMode,
    /// `?`
    StopReason,
    /// `vCont?`
    VContQuery,
    /// `vCont;...`, `c`, `C`, `s`, `S` (the last four as their vCont
    /// action on the thread `Hc` chose).
    Resume(Vec<VContAction>),
    /// `Hg` (registers and memory) or `Hc` (legacy `c`/`s`).
    SelectThread {
        general: bool,
        thread: ThreadRef,
    },
    /// `qC`
    CurrentThread,
    /// `qfThreadInfo` (first) or `qsThreadInfo` (the rest).
    ThreadList {
        first: bool,
    },
    /// `T`: is this thread alive?
    ThreadAlive(ThreadRef),
    /// `qAttached[:PID]`
    Attached(Option<Tid>),
    /// `k`, or `vKill;PID`.
    Kill(Option<Tid>),
    /// `D`, or `D;PID`.
    Detach(Option<Tid>),
    /// `vRun;PROGRAM[;ARG]...` (hex-encoded).
    Run {
        program: Vec<u8>,
        args: Vec<Vec<u8>>,
    },
    /// `vAttach;PID`
    Attach(Tid),
    /// `R`: restart.
    Restart,
    /// `g`
    ReadRegisters,
    /// `G` with the registers in hex.
    WriteRegisters(Vec<u8>),
    /// `p N`
    ReadRegister(usize),
    /// `P N=VALUE`
    WriteRegister {
        regnum: usize,
        value: Vec<u8>,
    },
    /// `m` or `x`
    ReadMemory {
        addr: u64,
        len: usize,
        encoding: Encoding,
    },
    /// `M` or `X`
    WriteMemory {
        addr: u64,
        data: Vec<u8>,
    },
    /// `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH` (`slice` is OFFSET,LENGTH).
    Xfer {
        object: XferObject<'a>,
        slice: &'a [u8],
    },
    /// `qXfer:siginfo:write::OFFSET:DATA`, the only object written.
    SiginfoWrite {
        offset: usize,
        data: Vec<u8>,
    },
    /// `vFile:pread:FD,COUNT,OFFSET`
    FilePread {
        fd: u64,
        count: u64,
        offset: u64,
    },
    /// `vFile:pwrite:FD,OFFSET,DATA`
    FilePwrite {
        fd: u64,
        offset: u64,
        data: Vec<u8>,
    },
    /// `qGetTLSAddr:THREAD,OFFSET,LM`
    TlsAddress {
        thread: ThreadRef,
        offset: u64,
        lm: u64,
    },
    /// `QPassSignals:` GDB signal numbers.
    PassSignals(Vec<u8>),
    /// `QProgramSignals:` (gdb passes the signals in vCont itself).
    ProgramSignals,
    /// `Z`: a breakpoint or watchpoint, with the agent bytecode of its
    /// conditions and commands (`;X LEN,BYTES...;cmds:PERSIST,X...`).
    InsertPoint {
        kind: PointKind,
        addr: u64,
        len: u64,
        conditions: Vec<Vec<u8>>,
        commands: Vec<Vec<u8>>,
    },
    /// `z`
    RemovePoint {
        kind: PointKind,
        addr: u64,
        len: u64,
    },
    /// `QNonStop:1` (non-stop mode) or `QNonStop:0` (all-stop).
    NonStop(bool),
    /// `vStopped`: the client has the last stop; the next, or `OK`.
    NextStop,
    /// `vCtrlC`: interrupt as a Ctrl-C typed at the program's terminal.
    CtrlC,
    /// `qRcmd,HEX`: a `monitor` command, its text.
    Monitor(Vec<u8>),
    /// `qCRC:ADDR,LEN`
    Crc {
        addr: u64,
        len: u64,
    },
    /// `qSearch:memory:ADDR;LEN;PATTERN` (the pattern binary-escaped).
    SearchMemory {
        addr: u64,
        len: u64,
        pattern: Vec<u8>,
    },
    // lldb's own packets
    HostInfo,
    ProcessInfo,
    ThreadsInfo,
    ListThreadsInStopReply,
    WatchpointSupportInfo,
    MemoryRegionInfo(u64),
}

/// What [`parse`] made of a packet.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Ours(Request<'a>),
    /// Ours, but its arguments are wrong: refused with `E01`.
    Malformed,
    /// For gdbstub's engine.
    Engine,
}

/// Parse a packet body.
pub fn parse(body: &[u8]) -> Parsed<'_> {
    let Some((&first, args)) = body.split_first() else {
        return Parsed::Engine;
    };
    let parsed = match first {
        b'?' if args.is_empty() => Some(Request::StopReason),
        b'g' if args.is_empty() => Some(Request::ReadRegisters),
        b'G' => codec::unhex(args).map(Request::WriteRegisters),
        b'p' => codec::length(args).map(Request::ReadRegister),
        b'P' => write_register(args),
        b'm' => read_memory(args, Encoding::Hex),
        b'x' => read_memory(args, Encoding::Binary),
        b'M' => write_memory(args, Encoding::Hex),
        b'X' => write_memory(args, Encoding::Binary),
        b'c' | b's' | b'C' | b'S' => legacy_resume(first, args),
        b'H' => select_thread(args),
        b'T' => codec::thread_ref(args).map(Request::ThreadAlive),
        b'k' if args.is_empty() => Some(Request::Kill(None)),
        b'D' => detach(args),
        b'R' => Some(Request::Restart),
        b'Z' => insert_point(args),
        b'z' => remove_point(args),
        b'q' | b'Q' | b'v' | b'j' => return parse_named(body),
        _ => return Parsed::Engine,
    };
    parsed.map_or(Parsed::Malformed, Parsed::Ours)
}

/// Parses what follows a packet's name.
type ArgsParser = fn(&[u8]) -> Option<Request<'_>>;

/// The packets with a name (`qSupported`, `vCont`, `qXfer:...`).
fn parse_named(body: &[u8]) -> Parsed<'_> {
    let exact = match body {
        b"QStartNoAckMode" => Some(Request::StartNoAckMode),
        b"vCont?" => Some(Request::VContQuery),
        b"qC" => Some(Request::CurrentThread),
        b"qfThreadInfo" => Some(Request::ThreadList { first: true }),
        b"qsThreadInfo" => Some(Request::ThreadList { first: false }),
        b"qAttached" => Some(Request::Attached(None)),
        b"qHostInfo" => Some(Request::HostInfo),
        b"qProcessInfo" => Some(Request::ProcessInfo),
        b"jThreadsInfo" => Some(Request::ThreadsInfo),
        b"QListThreadsInStopReply" => Some(Request::ListThreadsInStopReply),
        b"vStopped" => Some(Request::NextStop),
        b"vCtrlC" => Some(Request::CtrlC),
        b"qWatchpointSupportInfo" | b"qWatchpointSupportInfo:" => {
            Some(Request::WatchpointSupportInfo)
        }
        _ => None,
    };
    if let Some(request) = exact {
        return Parsed::Ours(request);
    }
    if let Some(rest) = body.strip_prefix(b"qXfer:") {
        return xfer(rest);
    }
    let prefixed: &[(&[u8], ArgsParser)] = &[
        (b"qSupported", |rest| match rest {
            [] => Some(Request::Supported(b"")),
            // Every feature has a name.
            [b':', list @ ..] if !list.split(|&b| b == b';').any(<[u8]>::is_empty) => {
                Some(Request::Supported(list))
            }
            _ => None,
        }),
        (b"vCont;", |rest| vcont(rest).map(Request::Resume)),
        (b"qAttached:", |rest| {
            pid(rest).map(|pid| Request::Attached(Some(pid)))
        }),
        (b"vKill;", |rest| {
            pid(rest).map(|pid| Request::Kill(Some(pid)))
        }),
        (b"vRun;", run),
        (b"vAttach;", |rest| pid(rest).map(Request::Attach)),
        (b"vFile:pread:", |rest| {
            let mut fields = rest.split(|&b| b == b',').map(codec::number);
            let (fd, count, offset) = (fields.next()??, fields.next()??, fields.next()??);
            Some(Request::FilePread { fd, count, offset })
        }),
        (b"vFile:pwrite:", |rest| {
            let mut fields = rest.splitn(3, |&b| b == b',');
            let fd = codec::number(fields.next()?)?;
            let offset = codec::number(fields.next()?)?;
            let data = codec::unescape_binary(fields.next()?);
            Some(Request::FilePwrite { fd, offset, data })
        }),
        (b"qGetTLSAddr:", |rest| {
            let mut fields = rest.split(|&b| b == b',');
            let thread = codec::thread_ref(fields.next()?)?;
            let offset = codec::number(fields.next()?)?;
            let lm = codec::number(fields.next()?)?;
            Some(Request::TlsAddress { thread, offset, lm })
        }),
        (b"QPassSignals:", |rest| {
            signal_list(rest).map(Request::PassSignals)
        }),
        (b"QProgramSignals:", |_| Some(Request::ProgramSignals)),
        (b"QNonStop:", |rest| match rest {
            b"0" => Some(Request::NonStop(false)),
            b"1" => Some(Request::NonStop(true)),
            _ => None,
        }),
        (b"qRcmd,", |rest| codec::unhex(rest).map(Request::Monitor)),
        (b"qCRC:", |rest| {
            let (addr, len) = codec::number_pair(rest)?;
            Some(Request::Crc { addr, len })
        }),
        (b"qSearch:memory:", |rest| {
            let mut fields = rest.splitn(3, |&b| b == b';');
            let addr = codec::number(fields.next()?)?;
            let len = codec::number(fields.next()?)?;
            let pattern = codec::unescape_binary(fields.next()?);
            Some(Request::SearchMemory { addr, len, pattern })
        }),
        (b"qMemoryRegionInfo:", |rest| {
            codec::number(rest).map(Request::MemoryRegionInfo)
        }),
    ];
    for (prefix, parse) in prefixed {
        if let Some(rest) = body.strip_prefix(*prefix) {
            return parse(rest).map_or(Parsed::Malformed, Parsed::Ours);
        }
    }
    // `qXfer` of an object we do not serve, and everything else, is the engine's.
    Parsed::Engine
}

fn pid(text: &[u8]) -> Option<Tid> {
    i32::try_from(codec::number(text)?).ok()
}

fn read_memory(args: &[u8], encoding: Encoding) -> Option<Request<'_>> {
    let (addr, len) = codec::number_pair(args)?;
    Some(Request::ReadMemory {
        addr,
        len: usize::try_from(len).ok()?,
        encoding,
    })
}

/// `ADDR,LENGTH:DATA`, the data's length checked against LENGTH.
fn write_memory(args: &[u8], encoding: Encoding) -> Option<Request<'_>> {
    let colon = args.iter().position(|&b| b == b':')?;
    let (addr, len) = codec::number_pair(&args[..colon])?;
    let data = match encoding {
        Encoding::Hex => codec::unhex(&args[colon + 1..])?,
        Encoding::Binary => codec::unescape_binary(&args[colon + 1..]),
    };
    (u64::try_from(data.len()).ok()? == len).then_some(Request::WriteMemory { addr, data })
}

/// `P N=VALUE`
fn write_register(args: &[u8]) -> Option<Request<'_>> {
    let eq = args.iter().position(|&b| b == b'=')?;
    Some(Request::WriteRegister {
        regnum: codec::length(&args[..eq])?,
        value: codec::unhex(&args[eq + 1..])?,
    })
}

/// `c[ADDR]`, `s[ADDR]`, `CSIG[;ADDR]`, `SSIG[;ADDR]`: the thread `Hc`
/// chose does it (the address to resume at is not supported, as in
/// gdbstub before us).
fn legacy_resume(first: u8, args: &[u8]) -> Option<Request<'static>> {
    let kind = match first {
        b'c' | b'C' => VContKind::Continue,
        _ => VContKind::Step,
    };
    let signal = match first {
        b'C' | b'S' => {
            let sig = args.split(|&b| b == b';').next()?;
            Some(u8::try_from(codec::number(sig)?).ok()?)
        }
        _ => None,
    };
    Some(Request::Resume(vec![VContAction {
        kind,
        signal,
        // Resolved against the `Hc` thread by the dispatcher.
        thread: Some(ThreadRef::Any),
    }]))
}

fn select_thread(args: &[u8]) -> Option<Request<'_>> {
    let (&op, thread) = args.split_first()?;
    let general = match op {
        b'g' => true,
        b'c' => false,
        _ => return None,
    };
    let thread = codec::thread_ref(thread)?;
    Some(Request::SelectThread { general, thread })
}

/// `TYPE,ADDR,KIND`, and what follows it.
fn point(args: &[u8]) -> Option<(PointKind, u64, u64, &[u8])> {
    let (&digit, rest) = args.split_first()?;
    let kind = match digit {
        b'0' => PointKind::Software,
        b'1' => PointKind::Hardware,
        b'2' => PointKind::WriteWatch,
        b'3' => PointKind::ReadWatch,
        b'4' => PointKind::AccessWatch,
        _ => return None,
    };
    let rest = rest.strip_prefix(b",")?;
    let end = rest.iter().position(|&b| b == b';').unwrap_or(rest.len());
    let (addr, len) = codec::number_pair(&rest[..end])?;
    Some((kind, addr, len, &rest[end..]))
}

fn remove_point(args: &[u8]) -> Option<Request<'_>> {
    let (kind, addr, len, rest) = point(args)?;
    rest.is_empty()
        .then_some(Request::RemovePoint { kind, addr, len })
}

/// `Z`: the point, then `;X..` conditions, then `;cmds:PERSIST,X..`.
fn insert_point(args: &[u8]) -> Option<Request<'_>> {
    let (kind, addr, len, mut rest) = point(args)?;
    let mut conditions = Vec::new();
    let mut commands = Vec::new();
    if let Some(list) = rest.strip_prefix(b";X") {
        let end = list
            .windows(6)
            .position(|w| w == b";cmds:")
            .unwrap_or(list.len());
        conditions = bytecode_list(&rest[1..end + 2])?;
        rest = &list[end..];
    }
    if let Some(list) = rest.strip_prefix(b";cmds:") {
        // PERSIST (whether the commands outlive gdb: we run them only
        // while a client is there), then the programs.
        let comma = list.iter().position(|&b| b == b',')?;
        codec::number(&list[..comma])?;
        commands = bytecode_list(&list[comma + 1..])?;
        rest = &[];
    }
    rest.is_empty().then_some(Request::InsertPoint {
        kind,
        addr,
        len,
        conditions,
        commands,
    })
}

/// `XLEN,HEXBYTES` repeated with nothing between them, as gdb writes its
/// lists of agent expressions.
fn bytecode_list(mut list: &[u8]) -> Option<Vec<Vec<u8>>> {
    let mut programs = Vec::new();
    while let Some(rest) = list.strip_prefix(b"X") {
        let comma = rest.iter().position(|&b| b == b',')?;
        let len = codec::length(&rest[..comma])?;
        let hex_len = len.checked_mul(2)?;
        let hex = rest.get(comma + 1..comma + 1 + hex_len)?;
        programs.push(codec::unhex(hex)?);
        list = &rest[comma + 1 + hex_len..];
    }
    list.is_empty().then_some(programs)
}

/// `D` or `D;PID`
fn detach(args: &[u8]) -> Option<Request<'_>> {
    match args {
        [] => Some(Request::Detach(None)),
        [b';', pid_hex @ ..] => pid(pid_hex).map(|p| Request::Detach(Some(p))),
        _ => None,
    }
}

/// `vCont;ACTION[:THREAD][;ACTION[:THREAD]]...`
fn vcont(list: &[u8]) -> Option<Vec<VContAction>> {
    list.split(|&b| b == b';')
        .map(|item| {
            let (action, thread) = match item.iter().position(|&b| b == b':') {
                Some(colon) => (&item[..colon], Some(codec::thread_ref(&item[colon + 1..])?)),
                None => (item, None),
            };
            let (&letter, rest) = action.split_first()?;
            let signal = || Some(u8::try_from(codec::number(rest)?).ok());
            let (kind, signal) = match letter {
                b'c' if rest.is_empty() => (VContKind::Continue, None),
                b's' if rest.is_empty() => (VContKind::Step, None),
                b't' if rest.is_empty() => (VContKind::Stop, None),
                b'C' => (VContKind::Continue, signal()?),
                b'S' => (VContKind::Step, signal()?),
                b'r' => {
                    let (start, end) = codec::number_pair(rest)?;
                    (VContKind::RangeStep { start, end }, None)
                }
                _ => return None,
            };
            Some(VContAction {
                kind,
                signal,
                thread,
            })
        })
        .collect()
}

/// `vRun;PROGRAM;ARG...`, each hex-encoded.
fn run(rest: &[u8]) -> Option<Request<'_>> {
    let mut fields = rest.split(|&b| b == b';').map(codec::unhex);
    let program = fields.next()??;
    let args = fields.collect::<Option<Vec<_>>>()?;
    Some(Request::Run { program, args })
}

/// `qXfer:OBJECT:read:ANNEX:OFFSET,LENGTH`: ours for the objects we
/// serve, the engine's (unsupported) for the others.
fn xfer(rest: &[u8]) -> Parsed<'_> {
    let mut fields = rest.splitn(4, |&b| b == b':');
    let (object, op, annex, slice) = (
        fields.next().unwrap_or_default(),
        fields.next(),
        fields.next(),
        fields.next(),
    );
    let object = match object {
        b"features" => XferObject::Features(annex.unwrap_or_default()),
        b"threads" => XferObject::Threads,
        b"siginfo" => XferObject::Siginfo,
        b"exec-file" => XferObject::ExecFile(annex.unwrap_or_default()),
        b"auxv" => XferObject::Auxv,
        b"libraries-svr4" => XferObject::Libraries(annex.unwrap_or_default()),
        b"osdata" => XferObject::OsData(annex.unwrap_or_default()),
        _ => return Parsed::Engine,
    };
    match (op, slice) {
        (Some(b"read"), Some(slice)) => Parsed::Ours(Request::Xfer { object, slice }),
        (Some(b"write"), Some(rest)) if object == XferObject::Siginfo => {
            let write = rest.iter().position(|&b| b == b':').and_then(|colon| {
                Some(Request::SiginfoWrite {
                    offset: codec::length(&rest[..colon])?,
                    data: codec::unescape_binary(&rest[colon + 1..]),
                })
            });
            write.map_or(Parsed::Malformed, Parsed::Ours)
        }
        _ => Parsed::Malformed,
    }
}

/// `QPassSignals:` list: GDB signal numbers in hex, `;`-separated.
fn signal_list(list: &[u8]) -> Option<Vec<u8>> {
    list.split(|&b| b == b';')
        .filter(|s| !s.is_empty())
        .map(|s| u8::try_from(codec::number(s)?).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(body: &[u8]) -> Request<'_> {
        match parse(body) {
            Parsed::Ours(request) => request,
            other => panic!("{:?}: {other:?}", String::from_utf8_lossy(body)),
        }
    }

    #[test]
    fn resume_actions() {
        assert_eq!(
            ours(b"vCont;s:p1.2;c"),
            Request::Resume(vec![
                VContAction {
                    kind: VContKind::Step,
                    signal: None,
                    thread: Some(ThreadRef::Id(2)),
                },
                VContAction {
                    kind: VContKind::Continue,
                    signal: None,
                    thread: None,
                },
            ])
        );
        assert_eq!(
            ours(b"vCont;C1e:5;r10,20:5"),
            Request::Resume(vec![
                VContAction {
                    kind: VContKind::Continue,
                    signal: Some(0x1e),
                    thread: Some(ThreadRef::Id(5)),
                },
                VContAction {
                    kind: VContKind::RangeStep {
                        start: 0x10,
                        end: 0x20
                    },
                    signal: None,
                    thread: Some(ThreadRef::Id(5)),
                },
            ])
        );
        assert_eq!(parse(b"vCont;q"), Parsed::Malformed);
        assert_eq!(parse(b"vCont;"), Parsed::Malformed);
        assert_eq!(ours(b"vCont?"), Request::VContQuery);
    }

    #[test]
    fn memory_and_registers() {
        assert_eq!(
            ours(b"m1000,10"),
            Request::ReadMemory {
                addr: 0x1000,
                len: 16,
                encoding: Encoding::Hex
            }
        );
        assert_eq!(
            ours(b"X10,2:a}\x03"),
            Request::WriteMemory {
                addr: 0x10,
                data: b"a#".to_vec()
            }
        );
        assert_eq!(parse(b"M10,2:00"), Parsed::Malformed);
        assert_eq!(parse(b"m,4"), Parsed::Malformed);
        assert_eq!(
            ours(b"P10=0100"),
            Request::WriteRegister {
                regnum: 16,
                value: vec![1, 0]
            }
        );
    }

    #[test]
    fn documents_and_the_engines_share() {
        assert_eq!(
            ours(b"qXfer:threads:read::0,fff"),
            Request::Xfer {
                object: XferObject::Threads,
                slice: b"0,fff"
            }
        );
        assert_eq!(parse(b"qXfer:memory-map:read::0,10"), Parsed::Engine);
        assert_eq!(parse(b"qXfer:threads:read:"), Parsed::Malformed);
        assert_eq!(
            ours(b"z3,1000,4"),
            Request::RemovePoint {
                kind: PointKind::ReadWatch,
                addr: 0x1000,
                len: 4
            }
        );
        assert_eq!(
            ours(b"Z0,1000,1;X3,260000X2,2227;cmds:1,X1,27"),
            Request::InsertPoint {
                kind: PointKind::Software,
                addr: 0x1000,
                len: 1,
                conditions: vec![vec![0x26, 0, 0], vec![0x22, 0x27]],
                commands: vec![vec![0x27]],
            }
        );
        assert_eq!(
            ours(b"Z1,1000,1;cmds:0,X1,27"),
            Request::InsertPoint {
                kind: PointKind::Hardware,
                addr: 0x1000,
                len: 1,
                conditions: vec![],
                commands: vec![vec![0x27]],
            }
        );
        assert_eq!(parse(b"Z0,1000,1;X3,26"), Parsed::Malformed);
        assert_eq!(parse(b"Z0,1000,1;Xffffffffffffffff,00"), Parsed::Malformed);
        assert_eq!(parse(b"Z5,1000,1"), Parsed::Malformed);
        assert_eq!(parse(b"z0,1000,1;X1,27"), Parsed::Malformed);
        assert_eq!(
            ours(b"qXfer:siginfo:write::8:}]:"),
            Request::SiginfoWrite {
                offset: 8,
                data: b"}:".to_vec()
            }
        );
        assert_eq!(parse(b"qXfer:siginfo:write::8"), Parsed::Malformed);
        assert_eq!(parse(b"qXfer:auxv:write::0:00"), Parsed::Malformed);
        assert_eq!(parse(b"vFile:open:2f,0,0"), Parsed::Engine);
        assert_eq!(ours(b"qRcmd,68656c70"), Request::Monitor(b"help".to_vec()));
        assert_eq!(ours(b"qRcmd,"), Request::Monitor(Vec::new()));
        assert_eq!(parse(b"qRcmd,6"), Parsed::Malformed);
        assert_eq!(
            ours(b"qSearch:memory:10;20;a;}]"),
            Request::SearchMemory {
                addr: 0x10,
                len: 0x20,
                pattern: b"a;}".to_vec()
            }
        );
        assert_eq!(parse(b"qCRC:10"), Parsed::Malformed);
        assert_eq!(parse(b""), Parsed::Engine);
        assert_eq!(ours(b"qSupported"), Request::Supported(b""));
        assert_eq!(parse(b"qSupported:bad;;feature"), Parsed::Malformed);
        assert_eq!(ours(b"D;1f"), Request::Detach(Some(31)));
        assert_eq!(
            ours(b"vRun;2f62696e;61"),
            Request::Run {
                program: b"/bin".to_vec(),
                args: vec![b"a".to_vec()]
            }
        );
        assert_eq!(
            ours(b"QPassSignals:1e;e"),
            Request::PassSignals(vec![30, 14])
        );
    }
}
