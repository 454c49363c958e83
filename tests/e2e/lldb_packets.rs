//! Remote Serial Protocol tests with a raw client (support/rsp.rs)
//! for the packets lldb sends and gdb does not: `qHostInfo`,
//! `qProcessInfo`, `qMemoryRegionInfo`, `jThreadsInfo`,
//! `QListThreadsInStopReply` (threads, pcs and `jstopinfo` in stop
//! replies), and the ones both send but read differently: the binary
//! memory read `x` (lldb: the bytes alone, `OK` for the `x0,0` probe; gdb:
//! `b` then the bytes) and `k` (lldb wants `X09`).
//!
//! The server tells the two apart by what the client sends: a session is
//! lldb's once it has sent one of lldb's own packets (`qHostInfo` here).
//! Binary replies are run-length decoded, then unescaped (`}` then the
//! byte XOR 0x20), as lldb does.
//!
//! rgdbserver only: GNU gdbserver answers none of lldb's own packets.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use crate::support::fixtures::fixture;
use crate::support::process::{mappings, read_memory, thread_ids};
use crate::support::rsp::{
    self, connect_as_gdb, connect_as_lldb, continue_to_exit, hex_decode, hex_encode, interrupt,
    is_stop_reply, request, request_raw, run_to, unescape, RspClient, LLDB_QSUPPORTED,
};
use crate::support::server::Server;

/// The GDB register numbers (as in the target description) of rbp, rsp
/// and rip.
const RBP: u32 = 6;
const RSP: u32 = 7;
const RIP: u32 = 16;

/// `key:value;...` replies (qHostInfo, qProcessInfo, qMemoryRegionInfo,
/// stop replies after the `T05`).
fn fields(reply: &str) -> BTreeMap<&str, &str> {
    reply
        .split(';')
        .filter_map(|kv| kv.split_once(':'))
        .collect()
}

/// A hex-encoded text field decoded.
#[track_caller]
fn hex_text(hex: &str) -> String {
    let bytes = hex_decode(hex).unwrap_or_else(|| panic!("not hex: {hex:?}"));
    String::from_utf8(bytes).unwrap_or_else(|e| panic!("hex field is not UTF-8: {e}"))
}

/// A register's value, `p` on the thread selected with `Hg`.
fn register(c: &mut RspClient, server: &Server, tid: u32, regnum: u32) -> u64 {
    let hg = request(c, server, &format!("Hg{tid:x}"));
    assert_eq!(hg, "OK", "Hg{tid:x}\n{}", server.dump());
    let reply = request(c, server, &format!("p{regnum:x}"));
    le_value(&reply)
        .unwrap_or_else(|| panic!("p{regnum:x} on {tid} gave {reply:?}\n{}", server.dump()))
}

/// A little-endian register value in hex (as `p` and jThreadsInfo give it).
fn le_value(hex: &str) -> Option<u64> {
    let bytes = hex_decode(hex)?;
    if bytes.is_empty() || bytes.len() > 8 {
        return None;
    }
    let mut buf = [0u8; 8];
    buf[..bytes.len()].copy_from_slice(&bytes);
    Some(u64::from_le_bytes(buf))
}

// ---------------------------------------------------------------------------
// Host, process and memory regions
// ---------------------------------------------------------------------------

/// `qHostInfo`: x86_64 Linux (the triple hex-encoded), 8-byte pointers,
/// little endian, and watchpoints that trap after the access (lldb must
/// know to step over them); `qWatchpointSupportInfo`: four debug
/// registers.
#[test]
fn host_info_describes_x86_64_linux() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = rsp::connect(&server);
    request(&mut c, &server, LLDB_QSUPPORTED);
    let reply = request(&mut c, &server, "qHostInfo");
    let kv = fields(&reply);
    let triple = kv
        .get("triple")
        .unwrap_or_else(|| panic!("qHostInfo lacks triple: {reply:?}"));
    assert_eq!(hex_text(triple), "x86_64-pc-linux-gnu", "{reply:?}");
    assert_eq!(kv.get("ptrsize"), Some(&"8"), "{reply:?}");
    assert_eq!(kv.get("endian"), Some(&"little"), "{reply:?}");
    assert_eq!(
        kv.get("watchpoint_exceptions_received"),
        Some(&"after"),
        "{reply:?}"
    );
    let wp = request(&mut c, &server, "qWatchpointSupportInfo:");
    assert_eq!(
        fields(&wp).get("num"),
        Some(&"4"),
        "qWatchpointSupportInfo: {wp:?}"
    );
    let stop = request(&mut c, &server, "?");
    assert!(is_stop_reply(&stop), "`?` after qHostInfo: {stop:?}");
    continue_to_exit(&mut c, &server, 7);
}

/// `qProcessInfo`: the program's pid and its parent's (the server), in
/// hex, and its triple.
#[test]
fn process_info_names_the_program() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let reply = request(&mut c, &server, "qProcessInfo");
    let kv = fields(&reply);
    let hex_field = |key: &str| {
        kv.get(key)
            .and_then(|v| u32::from_str_radix(v, 16).ok())
            .unwrap_or_else(|| panic!("qProcessInfo lacks a hex {key}: {reply:?}"))
    };
    assert_eq!(
        hex_field("pid"),
        server.inferior_pid(),
        "pid (hex) should be the program's: {reply:?}\n{}",
        server.dump()
    );
    assert_eq!(
        hex_field("parent-pid"),
        server.pid(),
        "the program's parent is the server: {reply:?}"
    );
    let triple = kv
        .get("triple")
        .unwrap_or_else(|| panic!("qProcessInfo lacks triple: {reply:?}"));
    assert_eq!(hex_text(triple), "x86_64-pc-linux-gnu", "{reply:?}");
    assert_eq!(kv.get("ptrsize"), Some(&"8"), "{reply:?}");
    assert_eq!(kv.get("ostype"), Some(&"linux"), "{reply:?}");
    continue_to_exit(&mut c, &server, 7);
}

/// `qMemoryRegionInfo:ADDR`: for an address in the stack, the [stack]
/// mapping (bounds as in /proc/PID/maps, read-write, its name in hex);
/// for an address between two mappings, the whole gap and no
/// permissions.
#[test]
fn memory_region_info_for_stack_and_gap() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let pid = server.inferior_pid();
    let mappings = mappings(pid);

    let rsp = register(&mut c, &server, pid, RSP);
    let (start, end) = mappings
        .iter()
        .find(|m| m.path == "[stack]")
        .map(|m| (m.start, m.end))
        .unwrap_or_else(|| panic!("no [stack] in {mappings:?}"));
    assert!(
        (start..end).contains(&rsp),
        "rsp {rsp:#x} should be in the stack {start:#x}-{end:#x}"
    );
    let reply = request(&mut c, &server, &format!("qMemoryRegionInfo:{rsp:x}"));
    let kv = fields(&reply);
    assert_eq!(
        kv.get("start").copied(),
        Some(format!("{start:x}").as_str()),
        "stack region start: {reply:?}"
    );
    assert_eq!(
        kv.get("size").copied(),
        Some(format!("{:x}", end - start).as_str()),
        "stack region size: {reply:?}"
    );
    assert_eq!(kv.get("permissions"), Some(&"rw"), "stack: {reply:?}");
    let name = kv
        .get("name")
        .unwrap_or_else(|| panic!("stack region has no name: {reply:?}"));
    assert_eq!(hex_text(name), "[stack]", "{reply:?}");

    // A gap: the first pair of mappings that do not touch.
    let (gap_start, gap_end) = mappings
        .windows(2)
        .map(|w| (w[0].end, w[1].start))
        .find(|(a, b)| a < b)
        .unwrap_or_else(|| panic!("no gap between mappings in {mappings:?}"));
    let addr = gap_start + (gap_end - gap_start) / 2;
    let reply = request(&mut c, &server, &format!("qMemoryRegionInfo:{addr:x}"));
    let kv = fields(&reply);
    assert_eq!(
        kv.get("start").copied(),
        Some(format!("{gap_start:x}").as_str()),
        "gap start ({addr:#x} in {gap_start:#x}-{gap_end:#x}): {reply:?}"
    );
    assert_eq!(
        kv.get("size").copied(),
        Some(format!("{:x}", gap_end - gap_start).as_str()),
        "gap size ({addr:#x} in {gap_start:#x}-{gap_end:#x}): {reply:?}"
    );
    assert!(
        kv.get("permissions").is_none_or(|p| p.is_empty()),
        "an unmapped gap has no permissions: {reply:?}"
    );
    continue_to_exit(&mut c, &server, 7);
}

// ---------------------------------------------------------------------------
// Binary memory reads
// ---------------------------------------------------------------------------

/// Every byte value, written with `M` at 4 KiB below the stack pointer
/// (unused stack at the program's first instruction); returns the address.
fn write_every_byte(c: &mut RspClient, server: &Server) -> u64 {
    let pid = server.inferior_pid();
    let rsp = register(c, server, pid, RSP);
    let addr = rsp - 0x1000;
    let pattern: Vec<u8> = (0..=255).collect();
    let reply = request(
        c,
        server,
        &format!("M{addr:x},{:x}:{}", pattern.len(), hex_encode(&pattern)),
    );
    assert_eq!(reply, "OK", "M at {addr:#x}\n{}", server.dump());
    addr
}

/// The bytes that must be escaped in binary data, and how they are sent.
const ESCAPED: [(u8, [u8; 2]); 4] = [
    (b'#', [b'}', 0x03]),
    (b'$', [b'}', 0x04]),
    (b'}', [b'}', 0x5d]),
    (b'*', [b'}', 0x0a]),
];

/// Asserts that raw binary data carries `# $ } *` escaped, nothing else.
#[track_caller]
fn assert_escaped(raw: &[u8], len: usize, context: &str) {
    for (byte, escaped) in ESCAPED {
        assert!(
            raw.windows(2).any(|w| w == escaped),
            "{context}: {:?} should be sent as `}}` {:#04x}: {raw:?}",
            char::from(byte),
            escaped[1]
        );
    }
    assert!(
        !raw.contains(&b'#') && !raw.contains(&b'$') && !raw.contains(&b'*'),
        "{context}: unescaped # $ or * in {raw:?}"
    );
    assert_eq!(
        raw.len(),
        len + ESCAPED.len(),
        "{context}: only the four special bytes take two bytes"
    );
}

/// In lldb's dialect (after `qHostInfo`), `xADDR,LEN` replies with the
/// bytes alone, binary-escaped, the same bytes `m` gives in hex and
/// /proc/PID/mem holds; `x0,0` (lldb's probe for `x`) replies `OK`.
#[test]
fn binary_read_in_lldb_dialect() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let pid = server.inferior_pid();

    let probe = request(&mut c, &server, "x0,0");
    assert_eq!(probe, "OK", "x0,0 in lldb's dialect\n{}", server.dump());

    let addr = write_every_byte(&mut c, &server);
    let raw = request_raw(&mut c, &server, &format!("x{addr:x},100"));
    assert_escaped(&raw, 256, "x in lldb's dialect");
    let data = unescape(&raw);
    let expected: Vec<u8> = (0..=255).collect();
    assert_eq!(data, expected, "x{addr:x},100 should give every byte value");
    let m = request(&mut c, &server, &format!("m{addr:x},100"));
    assert_eq!(hex_decode(&m), Some(data.clone()), "m and x should agree");

    // The program's ELF header and code: x, m and /proc/PID/mem agree.
    let text = f
        .address_in(pid, "main")
        .unwrap_or_else(|| panic!("basic is not mapped\n{}", server.dump()));
    let base = text - f.symbol_offset("main");
    for (at, len) in [(base, 0x40usize), (text, 0x80)] {
        let raw = request_raw(&mut c, &server, &format!("x{at:x},{len:x}"));
        let data = unescape(&raw);
        let m = request(&mut c, &server, &format!("m{at:x},{len:x}"));
        let mem = read_memory(pid, at, len).expect("reading /proc/PID/mem");
        assert_eq!(data, mem, "x{at:x},{len:x} vs /proc/PID/mem");
        assert_eq!(
            hex_decode(&m),
            Some(mem),
            "m{at:x},{len:x} vs /proc/PID/mem"
        );
    }
    assert_eq!(
        &unescape(&request_raw(&mut c, &server, &format!("x{base:x},4")))[..],
        b"\x7fELF"
    );

    continue_to_exit(&mut c, &server, 7);
}

/// In gdb's dialect (no lldb packet sent), `qSupported` offers
/// `binary-upload+` and `xADDR,LEN` replies `b` then the bytes,
/// binary-escaped.
#[test]
fn binary_read_in_gdb_dialect() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, sup) = connect_as_gdb(&server);
    assert!(
        sup.split(';').any(|feature| feature == "binary-upload+"),
        "qSupported should offer binary-upload+: {sup:?}\n{}",
        server.dump()
    );
    let addr = write_every_byte(&mut c, &server);
    let raw = request_raw(&mut c, &server, &format!("x{addr:x},100"));
    let (first, rest) = raw
        .split_first()
        .unwrap_or_else(|| panic!("empty x reply\n{}", server.dump()));
    assert_eq!(
        *first,
        b'b',
        "gdb's x reply starts with `b`: {:?}\n{}",
        String::from_utf8_lossy(&raw),
        server.dump()
    );
    assert_escaped(rest, 256, "x in gdb's dialect");
    let expected: Vec<u8> = (0..=255).collect();
    assert_eq!(
        unescape(rest),
        expected,
        "x{addr:x},100 should give every byte value"
    );
    let m = request(&mut c, &server, &format!("m{addr:x},100"));
    assert_eq!(hex_decode(&m), Some(expected), "m and x should agree");
    continue_to_exit(&mut c, &server, 7);
}

// ---------------------------------------------------------------------------
// Threads
// ---------------------------------------------------------------------------

/// `jThreadsInfo` at a breakpoint in a four-thread program: a JSON array
/// with every thread, its name, the stop reason of the one at the
/// breakpoint (none for the others), and rbp, rsp and rip, equal to what
/// `p` gives for that thread.
#[test]
fn jthreads_info_lists_every_thread() {
    let f = fixture("thread_names");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let pid = server.inferior_pid();
    let (bp, _) = run_to(&mut c, &server, &f, "all_named");

    let raw = request_raw(&mut c, &server, "jThreadsInfo");
    let text = String::from_utf8(unescape(&raw)).expect("jThreadsInfo is UTF-8");
    let json: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("jThreadsInfo is not JSON ({e}): {text}\n{}", server.dump()));
    let threads = json.as_array().map(Vec::as_slice).unwrap_or_default();
    let by_tid: BTreeMap<u32, &Value> = threads
        .iter()
        .map(|t| {
            let tid = t["tid"]
                .as_u64()
                .unwrap_or_else(|| panic!("thread without a tid in {text}"));
            (tid as u32, t)
        })
        .collect();
    let tasks = thread_ids(pid);
    assert_eq!(tasks.len(), 4, "main and three workers");
    assert_eq!(threads.len(), 4, "one entry per thread: {text}");
    assert_eq!(
        by_tid.keys().copied().collect::<BTreeSet<_>>(),
        tasks,
        "jThreadsInfo tids vs /proc/{pid}/task: {text}"
    );
    let names: BTreeSet<&str> = threads.iter().filter_map(|t| t["name"].as_str()).collect();
    assert_eq!(
        names,
        BTreeSet::from(["thread_names", "worker-1", "worker-2", "worker-3"]),
        "thread names: {text}"
    );

    for (&tid, thread) in &by_tid {
        if tid == pid {
            assert_eq!(
                thread["reason"].as_str(),
                Some("breakpoint"),
                "main: {text}"
            );
            assert_eq!(thread["signal"].as_u64(), Some(5), "main: SIGTRAP: {text}");
        } else {
            assert_eq!(
                thread.get("reason"),
                None,
                "thread {tid} only stopped because main did: {text}"
            );
        }
        let regs = thread
            .get("registers")
            .unwrap_or_else(|| panic!("thread {tid} has no registers: {text}"));
        for regnum in [RBP, RSP, RIP] {
            let hex = regs[regnum.to_string()]
                .as_str()
                .unwrap_or_else(|| panic!("thread {tid} lacks register {regnum}: {text}"));
            assert_eq!(hex.len(), 16, "register {regnum} is 8 bytes: {text}");
            let value = le_value(hex).expect("hex register");
            assert_eq!(
                value,
                register(&mut c, &server, tid, regnum),
                "thread {tid} register {regnum}: jThreadsInfo vs p\n{text}"
            );
        }
        if tid == pid {
            let rip = le_value(regs[RIP.to_string()].as_str().unwrap_or_default());
            assert_eq!(rip, Some(bp), "main's rip is the breakpoint: {text}");
        }
    }
    continue_to_exit(&mut c, &server, 4);
}

/// After `QListThreadsInStopReply`, a stop reply lists every thread
/// (`threads:`), their pcs in the same order (`thread-pcs:`) and the stop
/// reasons in hex-encoded JSON (`jstopinfo:`).
#[test]
fn stop_reply_lists_threads_pcs_and_stop_info() {
    let f = fixture("thread_names");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let pid = server.inferior_pid();
    let ok = request(&mut c, &server, "QListThreadsInStopReply");
    assert_eq!(ok, "OK", "QListThreadsInStopReply\n{}", server.dump());

    let (bp, stop) = run_to(&mut c, &server, &f, "all_named");
    let kv = fields(&stop);
    let list = |key: &str| -> Vec<u64> {
        kv.get(key)
            .unwrap_or_else(|| panic!("stop reply lacks {key}: {stop:?}\n{}", server.dump()))
            .split(',')
            .map(|n| {
                u64::from_str_radix(n, 16).unwrap_or_else(|e| panic!("{key} {n:?}: {e}: {stop:?}"))
            })
            .collect()
    };
    let threads = list("threads");
    let pcs = list("thread-pcs");
    let tasks = thread_ids(pid);
    assert_eq!(
        threads.iter().map(|&t| t as u32).collect::<BTreeSet<_>>(),
        tasks,
        "threads: vs /proc/{pid}/task: {stop:?}"
    );
    assert_eq!(threads.len(), tasks.len(), "no thread twice: {stop:?}");
    assert_eq!(pcs.len(), threads.len(), "one pc per thread: {stop:?}");
    let main = threads
        .iter()
        .position(|&t| t == u64::from(pid))
        .expect("main is listed");
    assert_eq!(pcs[main], bp, "main's pc is the breakpoint: {stop:?}");
    for (&tid, &pc) in threads.iter().zip(&pcs) {
        assert_eq!(
            pc,
            register(&mut c, &server, tid as u32, RIP),
            "thread {tid}: thread-pcs vs p\n{stop:?}"
        );
    }

    let info = hex_text(
        kv.get("jstopinfo")
            .unwrap_or_else(|| panic!("stop reply lacks jstopinfo: {stop:?}")),
    );
    let json: Value = serde_json::from_str(&info)
        .unwrap_or_else(|e| panic!("jstopinfo is not JSON ({e}): {info}"));
    let items = json.as_array().map(Vec::as_slice).unwrap_or_default();
    let main_info = items
        .iter()
        .find(|t| t["tid"].as_u64() == Some(u64::from(pid)))
        .unwrap_or_else(|| panic!("jstopinfo lacks the main thread: {info}"));
    assert_eq!(main_info["reason"].as_str(), Some("breakpoint"), "{info}");
    assert_eq!(main_info["signal"].as_u64(), Some(5), "{info}");
    for t in items {
        let tid = t["tid"]
            .as_u64()
            .unwrap_or_else(|| panic!("no tid: {info}"));
        assert!(
            tasks.contains(&(tid as u32)),
            "jstopinfo names thread {tid}, not in the program: {info}"
        );
    }
    continue_to_exit(&mut c, &server, 4);
}

/// `k` in lldb's dialect: the reply says how the process ended (`X09`,
/// killed by SIGKILL), the program is gone and the server exits.
#[test]
fn kill_in_lldb_dialect_replies_x09() {
    let f = fixture("basic");
    let mut server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    let reply = request(&mut c, &server, "k");
    assert!(
        reply == "X09" || reply.starts_with("X09;"),
        "k should get X09, got {reply:?}\n{}",
        server.dump()
    );
    assert!(
        server.wait_inferior_gone(),
        "the program should be gone after k\n{}",
        server.dump()
    );
    server.wait_clean_exit(None);
}

/// An interrupt is reported to lldb as SIGSTOP (GDB number 17), as
/// lldb-server does: lldb takes it for its own interrupt and does not pass
/// it to the program on resume. (gdb gets SIGINT: protocol.rs.)
#[test]
fn interrupt_in_lldb_dialect_is_sigstop() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let mut c = connect_as_lldb(&server);
    for round in 0..2 {
        c.send_packet(b"vCont;c").expect("vCont;c");
        if round == 0 {
            server.wait_stdout("ready", None);
        }
        let reply = interrupt(&mut c, &server);
        assert!(
            reply.starts_with("T11"),
            "^C should stop the program with SIGSTOP (T11) for lldb, got {reply:?}\n{}",
            server.dump()
        );
        let info = request(&mut c, &server, "jThreadsInfo");
        assert!(
            info.contains("\"signal\":17"),
            "jThreadsInfo should give the interrupted thread signal 17: {info:?}"
        );
    }
    assert!(server.inferior_alive(), "the program should still be alive");
}
