//! Remote Serial Protocol tests with a raw client (tests/support/rsp.rs):
//! framing errors, malformed and invalid requests, memory access errors,
//! and that the server stays usable and the program still runs to its
//! exit afterwards.
//!
//! Allowances for GNU gdbserver 13 (which these tests are validated
//! against) are marked "GNU:". Replies are checked by class (`E..`, empty,
//! `OK`), never by exact error number: gdbserver always says `E01`.

use crate::support;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::time::Duration;

use crate::support::rsp::{hex_decode, hex_encode, is_error_reply, is_stop_reply, RspClient};
use crate::support::{fixture, testing_gnu_gdbserver, Fixture, Server};

/// What gdb 13 sends first (minus features irrelevant here).
const QSUPPORTED: &str = "qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;no-resumed+";

/// Connects and does the start of gdb's handshake: `qSupported`, `?`.
/// Returns the client and the `?` reply.
fn connect(server: &Server) -> (RspClient, String) {
    let mut c = RspClient::connect(server.port()).unwrap_or_else(|e| {
        panic!(
            "connecting to port {}: {e}\n{}",
            server.port(),
            server.dump()
        )
    });
    let sup = c.req(QSUPPORTED);
    assert!(
        sup.contains("PacketSize="),
        "qSupported reply lacks PacketSize: {sup:?}"
    );
    let stop = c.req("?");
    assert!(
        stop.starts_with("T05") || stop.starts_with("S05"),
        "the program should be stopped with SIGTRAP at its first instruction: {stop:?}"
    );
    (c, stop)
}

/// Asserts that the server still answers normally: `?` gives a stop reply.
#[track_caller]
fn assert_usable(c: &mut RspClient, after: &str) {
    let reply = c.request("?").unwrap_or_else(|e| {
        panic!(
            "server unusable after {after}: {e}\nreceived: {}",
            c.transcript()
        )
    });
    assert!(is_stop_reply(&reply), "after {after}, `?` gave {reply:?}");
}

/// Sends `packet` and asserts an `E..` reply, then that the server is
/// still usable.
#[track_caller]
fn assert_error_reply(c: &mut RspClient, packet: &str) {
    let reply = c.req(packet);
    assert!(
        is_error_reply(&reply),
        "{packet:?} should get an E.. reply, got {reply:?}"
    );
    assert_usable(c, packet);
}

/// Thread ids from `qfThreadInfo`/`qsThreadInfo`, as sent (`p1.2` or `2`).
fn thread_list(c: &mut RspClient) -> Vec<String> {
    let mut ids = Vec::new();
    let mut reply = c.req("qfThreadInfo");
    loop {
        match reply.strip_prefix('m') {
            Some(list) => ids.extend(list.split(',').map(str::to_string)),
            None => {
                assert_eq!(reply, "l", "thread list should end with `l`");
                return ids;
            }
        }
        reply = c.req("qsThreadInfo");
    }
}

/// The thread id part of a `p<pid>.<tid>` or `<tid>` id, as a number.
fn tid_of(id: &str) -> u64 {
    let tid = id.rsplit('.').next().unwrap_or(id);
    u64::from_str_radix(tid, 16).unwrap_or_else(|e| panic!("bad thread id {id:?}: {e}"))
}

/// Runtime address of `symbol` in the program, from its load address in
/// /proc/PID/maps and `nm` (independent of the server).
fn runtime_address(f: &Fixture, pid: u32, symbol: &str) -> u64 {
    let offset = f.symbol_offset(symbol);
    let mut header = [0u8; 18];
    File::open(&f.exe)
        .and_then(|mut file| file.read_exact(&mut header))
        .unwrap_or_else(|e| panic!("reading ELF header of {}: {e}", f.exe.display()));
    // e_type 2 = ET_EXEC (absolute addresses), 3 = ET_DYN (PIE).
    if u16::from_le_bytes([header[16], header[17]]) == 2 {
        return offset;
    }
    let exe = std::fs::canonicalize(&f.exe).expect("canonical fixture path");
    let maps =
        std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("reading /proc/PID/maps");
    let base = maps
        .lines()
        .find(|l| l.ends_with(exe.to_str().expect("UTF-8 path")))
        .and_then(|l| l.split('-').next())
        .and_then(|a| u64::from_str_radix(a, 16).ok())
        .unwrap_or_else(|| panic!("{} not mapped in:\n{maps}", exe.display()));
    base + offset
}

/// Reads the program's memory directly through /proc/PID/mem, to check the
/// server's reads and writes independently.
fn proc_mem(pid: u32, addr: u64, len: usize) -> Vec<u8> {
    let mut file = File::open(format!("/proc/{pid}/mem")).expect("opening /proc/PID/mem");
    file.seek(SeekFrom::Start(addr))
        .expect("seeking /proc/PID/mem");
    let mut buf = vec![0u8; len];
    file.read_exact(&mut buf).expect("reading /proc/PID/mem");
    buf
}

/// The exit status of a `W` reply: `W07`, or `W7;process:1f04` as GNU
/// gdbserver sends in multiprocess mode (not zero-padded).
fn exit_status(reply: &str) -> Option<u8> {
    let rest = reply.strip_prefix('W')?;
    let status = rest.split(';').next()?;
    u8::from_str_radix(status, 16).ok()
}

/// Resumes and expects the exit reply `W07` (with `;process:PID` in
/// multiprocess mode).
#[track_caller]
fn continue_to_exit(c: &mut RspClient, server: &Server) {
    c.set_timeout(support::scaled(Duration::from_secs(60)))
        .expect("set timeout");
    let reply = c.req("vCont;c");
    assert_eq!(
        exit_status(&reply),
        Some(7),
        "continuing should end with W07, got {reply:?}\n{}",
        server.dump()
    );
    server.wait_stderr("Child exited with status 7");
}

#[test]
fn bad_checksums_are_nacked_and_server_stays_usable() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = RspClient::connect(server.port()).expect("connect");

    // Wrong checksums (valid hex digits) get `-` and no reply.
    for raw in [&b"$?#00"[..], b"$g#00", b"$qSupported#ff"] {
        c.send_raw(raw).expect("send");
        let ack = c
            .read_ack()
            .unwrap_or_else(|e| panic!("no ack for {raw:?}: {e}\n{}", server.dump()));
        assert_eq!(
            ack,
            b'-',
            "{:?} has a bad checksum and must be refused",
            String::from_utf8_lossy(raw)
        );
    }
    // Bytes outside packets are ignored.
    c.send_raw(b"garbage\r\n").expect("send");
    // `$` inside a packet: either the first packet is refused (`-`, as GNU
    // gdbserver does: it keeps the `$` in the payload) or it restarts the
    // packet, which is then valid.
    c.send_raw(b"$?$?#3f").expect("send");
    match c.read_ack().expect("ack for $?$?#3f") {
        b'-' => {}
        _ => {
            let reply = c.read_reply().expect("reply to restarted packet");
            assert!(
                is_stop_reply(&reply),
                "`?` should get a stop reply, got {reply:?}"
            );
        }
    }
    // Non-hex checksum digits.
    // GNU: gdbserver 13 drops the connection ("Invalid hex digit 122").
    if !testing_gnu_gdbserver() {
        c.send_raw(b"$?#zz").expect("send");
        assert_eq!(
            c.read_ack().expect("ack for $?#zz"),
            b'-',
            "non-hex checksum must be refused"
        );
    }

    // Still usable: the normal handshake works.
    let sup = c.req(QSUPPORTED);
    assert!(sup.contains("PacketSize="), "qSupported: {sup:?}");
    let stop = c.req("?");
    assert!(stop.starts_with("T05"), "stop reply: {stop:?}");
    let regs = c.req("g");
    assert!(
        regs.len() >= 2 * 8 * 17 && regs.len().is_multiple_of(2) && hex_decode(&regs).is_some(),
        "g should return the registers in hex, got {regs:?}"
    );
    continue_to_exit(&mut c, &server);
}

#[test]
fn malformed_requests_get_error_replies() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);

    for packet in [
        "m,4",     // no address (GNU parses it as 0: unmapped, E01 anyway)
        "Z0,xyz",  // bad address
        "vCont;x", // unknown action
        "M0,4",    // no data
    ] {
        // GNU: gdbserver 13 answers `M0,4` with E01 but then drops the
        // connection ("Invalid hex digit 0").
        if testing_gnu_gdbserver() && packet == "M0,4" {
            continue;
        }
        assert_error_reply(&mut c, packet);
    }

    // GNU: gdbserver 13 answers these with E01 (or not at all) and then
    // drops the connection, so they are checked on rgdbserver only. `G00`
    // (register block of the wrong size) gets OK from gdbserver, which only
    // warns "Wrong sized register packet" on its stderr.
    if !testing_gnu_gdbserver() {
        for packet in [
            "G00",
            "m",
            "mzz,4",
            "m0;4",
            "m0",
            "M0,4:zz",
            "qXfer:features:read:target.xml:zz",
            "xzz,4",
            "x0",
            "qSupported:bad;;feature",
        ] {
            assert_error_reply(&mut c, packet);
        }
    }

    // Unknown packets get the empty reply.
    for packet in ["qNoSuchQuery", "vNoSuchPacket", "vMustReplyEmpty"] {
        let reply = c.req(packet);
        assert_eq!(reply, "", "{packet:?} should get the empty reply");
    }
    assert_usable(&mut c, "unknown packets");
    continue_to_exit(&mut c, &server);
}

/// `qSupported` without a feature list is valid; gdbstub's parser refused
/// it, and rebuilding gdbstub then replayed the refused packet and crashed
/// the server. Now it is answered, and a refused packet is never replayed.
#[test]
fn bare_q_supported_and_a_refused_one_keep_the_session() {
    if testing_gnu_gdbserver() {
        return; // gdbserver drops the connection on a malformed qSupported.
    }
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = RspClient::connect(server.port()).expect("connect");
    let sup = c.req("qSupported");
    assert!(
        sup.contains("PacketSize="),
        "a bare qSupported should be answered: {sup:?}\n{}",
        server.dump()
    );
    assert_error_reply(&mut c, "qSupported:bad;;feature");
    // gdbstub was rebuilt: the session goes on.
    let stop = c.req("?");
    assert!(
        stop.starts_with("T05"),
        "? after a refused packet: {stop:?}"
    );
    assert_usable(&mut c, "a refused qSupported");
    continue_to_exit(&mut c, &server);
}

#[test]
fn unmapped_memory_reads_give_errors() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);

    for packet in [
        "m0,4",
        "m0,1",
        "mffffffffffff0000,4",
        "m8,100",
        "mffffffffffffff00,10",
    ] {
        assert_error_reply(&mut c, packet);
    }

    // Mapped memory reads fine and matches /proc/PID/mem.
    let pid = server.inferior_pid();
    let main = runtime_address(&f, pid, "main");
    let reply = c.req(&format!("m{main:x},10"));
    let bytes = hex_decode(&reply).unwrap_or_else(|| panic!("m{main:x},10 gave {reply:?}"));
    assert_eq!(
        bytes,
        proc_mem(pid, main, 16),
        "memory at main ({main:#x}) differs from /proc/PID/mem"
    );

    // Writing to unmapped memory fails too.
    assert_error_reply(&mut c, "M0,4:01020304");
    continue_to_exit(&mut c, &server);
}

#[test]
fn unknown_thread_ids_give_errors() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);

    let threads = thread_list(&mut c);
    assert_eq!(threads.len(), 1, "basic.c has one thread: {threads:?}");
    let tid = tid_of(&threads[0]);
    assert_eq!(
        tid,
        u64::from(server.inferior_pid()),
        "the only thread is the main thread"
    );
    let current = c.req("qC");
    assert!(current.starts_with("QC"), "qC: {current:?}");
    assert_eq!(tid_of(&current[2..]), tid, "qC should name the main thread");

    // Thread ids above pid_max (at most 2^22) cannot exist.
    let bogus = 0x7fff_fff0u64;
    let pid = server.inferior_pid();
    assert_error_reply(&mut c, &format!("Hg{bogus:x}"));
    assert_error_reply(&mut c, &format!("Hgp{pid:x}.{bogus:x}"));
    assert_error_reply(&mut c, &format!("T{bogus:x}"));
    assert_error_reply(&mut c, &format!("Tp{pid:x}.{bogus:x}"));

    // The real thread is fine.
    let alive = c.req(&format!("T{}", threads[0]));
    assert_eq!(alive, "OK", "T for the main thread");
    let sel = c.req(&format!("Hg{}", threads[0]));
    assert_eq!(sel, "OK", "Hg for the main thread");
    let regs = c.req("g");
    assert!(
        hex_decode(&regs).is_some() && regs.len() >= 2 * 8 * 17,
        "g after Hg: {regs:?}"
    );
    continue_to_exit(&mut c, &server);
}

#[test]
fn writes_to_text_then_program_runs_to_exit() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);
    let pid = server.inferior_pid();
    let main = runtime_address(&f, pid, "main");

    let orig_hex = c.req(&format!("m{main:x},4"));
    let orig = hex_decode(&orig_hex).unwrap_or_else(|| panic!("reading main gave {orig_hex:?}"));
    assert_eq!(orig, proc_mem(pid, main, 4), "m at main vs /proc/PID/mem");

    // Text is mapped read-only; a debugger may still write it (that is how
    // software breakpoints work). Either it succeeds and really changes the
    // program's memory, or it fails cleanly with E..
    let reply = c.req(&format!("M{main:x},4:cccccccc"));
    if reply == "OK" {
        assert_eq!(
            proc_mem(pid, main, 4),
            vec![0xcc; 4],
            "M reported OK but memory is unchanged"
        );
        let back = c.req(&format!("m{main:x},4"));
        assert_eq!(back, "cccccccc", "reading back the written bytes");
        let restore = c.req(&format!("M{main:x},4:{}", hex_encode(&orig)));
        assert_eq!(restore, "OK", "restoring main's bytes");
        assert_eq!(proc_mem(pid, main, 4), orig, "main's bytes are restored");
    } else {
        assert!(
            is_error_reply(&reply),
            "M to text: OK or E.., got {reply:?}"
        );
        assert_eq!(
            proc_mem(pid, main, 4),
            orig,
            "a failed M must not change memory"
        );
    }
    assert_usable(&mut c, "writing to text");

    // Binary write (X) of zero bytes is how gdb probes for X support: OK or
    // empty (unsupported).
    let probe = c.req(&format!("X{main:x},0:"));
    assert!(probe == "OK" || probe.is_empty(), "X probe: {probe:?}");

    continue_to_exit(&mut c, &server);
}

#[test]
fn no_ack_mode() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);
    let reply = c.start_no_ack_mode().expect("QStartNoAckMode");
    assert_eq!(reply, "OK", "QStartNoAckMode should be accepted");
    assert!(c.no_ack());
    // From now on the strict client fails on any stray `+`.
    for _ in 0..3 {
        assert_usable(&mut c, "QStartNoAckMode");
    }
    let threads = thread_list(&mut c);
    assert_eq!(threads.len(), 1, "one thread: {threads:?}");
    assert_error_reply(&mut c, "m0,4");
    continue_to_exit(&mut c, &server);
}

#[test]
fn disconnect_kills_program() {
    let f = fixture("spin");
    let mut server = Server::start_fixture(&f);
    let (c, _) = connect(&server);
    assert!(
        server.inferior_alive(),
        "program should exist while connected\n{}",
        server.dump()
    );
    drop(c);
    assert!(
        server.wait_inferior_gone(),
        "the program should be killed when the client disconnects\n{}",
        server.dump()
    );
    // With --once the server exits afterwards.
    server.wait_exit();
}

#[test]
fn interrupt_byte_stops_all_threads() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);
    c.send_packet(b"vCont;c").expect("vCont;c");
    server.wait_stdout("ready");
    c.send_raw(b"\x03").expect("send ^C");
    let reply = c
        .read_reply()
        .unwrap_or_else(|e| panic!("no stop reply after ^C: {e}\n{}", server.dump()));
    assert!(
        reply.starts_with("T02") || reply.starts_with("S02"),
        "^C should stop the program with SIGINT, got {reply:?}"
    );
    let threads = thread_list(&mut c);
    assert_eq!(threads.len(), 4, "spin.c has 4 threads: {threads:?}");
    for t in &threads {
        assert_eq!(c.req(&format!("T{t}")), "OK", "thread {t} is alive");
    }
    assert_usable(&mut c, "^C");
    drop(c);
    assert!(
        server.wait_inferior_gone(),
        "the program should be killed on disconnect\n{}",
        server.dump()
    );
}

#[test]
fn basic_queries() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);
    let vcont = c.req("vCont?");
    for action in ["c", "C", "s", "S"] {
        assert!(
            vcont.starts_with("vCont") && vcont.split(';').any(|a| a == action),
            "vCont? should list {action:?}: {vcont:?}"
        );
    }
    let threads = thread_list(&mut c);
    assert_eq!(threads.len(), 1, "{threads:?}");
    // Reading registers one by one (`p`) is optional: GNU gdbserver answers
    // empty (not supported) here; otherwise rip (0x10) is 8 bytes of hex.
    let rip = c.req("p10");
    assert!(
        rip.is_empty() || (rip.len() == 16 && hex_decode(&rip).is_some()),
        "p10: {rip:?}"
    );
    continue_to_exit(&mut c, &server);
}

/// Stop replies carry the frame pointer, stack pointer and pc (GDB amd64
/// registers 6, 7 and 16), so gdb need not send `g` after every stop; the
/// pc must be the thread's real one.
#[test]
fn stop_replies_carry_the_frame_registers() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect(&server);
    let threads = thread_list(&mut c);
    let tid = threads.first().expect("one thread");
    let reply = c.req(&format!("vCont;s:{tid}"));
    for reg in ["06:", "07:", "10:"] {
        assert!(
            reply.split(';').any(|field| field.starts_with(reg)),
            "stop reply {reply:?} should carry register {reg}"
        );
    }
    let expedited_pc = reply
        .split(';')
        .find_map(|field| field.strip_prefix("10:"))
        .expect("pc field")
        .to_string();
    let pc_register = c.req("p10");
    assert_eq!(expedited_pc, pc_register, "expedited pc is the thread's pc");
    continue_to_exit(&mut c, &server);
}
