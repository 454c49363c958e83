//! Remote Serial Protocol tests with a raw client (support/rsp.rs):
//! framing errors and acknowledgements (a reply resent on `-`, a stray `-`
//! in no-ack mode), malformed and invalid requests, memory access errors,
//! and that the server stays usable and the program still runs to its
//! exit afterwards.
//!
//! Allowances for GNU gdbserver 13 (which these tests are validated
//! against) are marked "GNU:". Replies are checked by class (`E..`, empty,
//! `OK`), never by exact error number: gdbserver always says `E01`.

use crate::support::fixtures::fixture;
use crate::support::process::read_memory;
use crate::support::rsp::{
    self, assert_usable, connect_as_gdb, continue_to_exit, hex_decode, hex_encode, interrupt,
    is_error_reply, is_stop_reply, request, thread_id, RspClient, GDB_QSUPPORTED,
};
use crate::support::server::{testing_gnu_gdbserver, Server};

/// Sends `packet` and asserts an `E..` reply, then that the server is
/// still usable.
#[track_caller]
fn assert_error_reply(c: &mut RspClient, server: &Server, packet: &str) {
    let reply = request(c, server, packet);
    assert!(
        is_error_reply(&reply),
        "{packet:?} should get an E.. reply, got {reply:?}\n{}",
        server.dump()
    );
    assert_usable(c, server, packet);
}

/// Thread ids from `qfThreadInfo`/`qsThreadInfo`, as sent (`p1.2` or `2`).
fn thread_list(c: &mut RspClient, server: &Server) -> Vec<String> {
    let mut ids = Vec::new();
    let mut reply = request(c, server, "qfThreadInfo");
    loop {
        match reply.strip_prefix('m') {
            Some(list) => ids.extend(list.split(',').map(str::to_string)),
            None => {
                assert_eq!(reply, "l", "thread list should end with `l`");
                return ids;
            }
        }
        reply = request(c, server, "qsThreadInfo");
    }
}

/// The thread id part of a `p<pid>.<tid>` or `<tid>` id, as a number.
fn tid_of(id: &str) -> u64 {
    thread_id(id).unwrap_or_else(|| panic!("bad thread id {id:?}"))
}

/// Reads the program's memory directly through /proc/PID/mem, to check the
/// server's reads and writes independently.
fn proc_mem(pid: u32, addr: u64, len: usize) -> Vec<u8> {
    read_memory(pid, addr, len).expect("reading /proc/PID/mem")
}

#[test]
fn bad_checksums_are_nacked_and_server_stays_usable() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = rsp::connect(&server);

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
    let sup = request(&mut c, &server, GDB_QSUPPORTED);
    assert!(sup.contains("PacketSize="), "qSupported: {sup:?}");
    let stop = request(&mut c, &server, "?");
    assert!(stop.starts_with("T05"), "stop reply: {stop:?}");
    let regs = request(&mut c, &server, "g");
    assert!(
        regs.len() >= 2 * 8 * 17 && regs.len().is_multiple_of(2) && hex_decode(&regs).is_some(),
        "g should return the registers in hex, got {regs:?}"
    );
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn malformed_requests_get_error_replies() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);

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
        assert_error_reply(&mut c, &server, packet);
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
            assert_error_reply(&mut c, &server, packet);
        }
    }

    // Unknown packets get the empty reply.
    for packet in ["qNoSuchQuery", "vNoSuchPacket", "vMustReplyEmpty"] {
        let reply = request(&mut c, &server, packet);
        assert_eq!(reply, "", "{packet:?} should get the empty reply");
    }
    assert_usable(&mut c, &server, "unknown packets");
    continue_to_exit(&mut c, &server, 7);
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
    let mut c = rsp::connect(&server);
    let sup = request(&mut c, &server, "qSupported");
    assert!(
        sup.contains("PacketSize="),
        "a bare qSupported should be answered: {sup:?}\n{}",
        server.dump()
    );
    assert_error_reply(&mut c, &server, "qSupported:bad;;feature");
    // gdbstub was rebuilt: the session goes on.
    let stop = request(&mut c, &server, "?");
    assert!(
        stop.starts_with("T05"),
        "? after a refused packet: {stop:?}"
    );
    assert_usable(&mut c, &server, "a refused qSupported");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn unmapped_memory_reads_give_errors() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);

    for packet in [
        "m0,4",
        "m0,1",
        "mffffffffffff0000,4",
        "m8,100",
        "mffffffffffffff00,10",
    ] {
        assert_error_reply(&mut c, &server, packet);
    }

    // Mapped memory reads fine and matches /proc/PID/mem.
    let pid = server.inferior_pid();
    let main = server.address_of(&f, "main");
    let reply = request(&mut c, &server, &format!("m{main:x},10"));
    let bytes = hex_decode(&reply).unwrap_or_else(|| panic!("m{main:x},10 gave {reply:?}"));
    assert_eq!(
        bytes,
        proc_mem(pid, main, 16),
        "memory at main ({main:#x}) differs from /proc/PID/mem"
    );

    // Writing to unmapped memory fails too.
    assert_error_reply(&mut c, &server, "M0,4:01020304");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn unknown_thread_ids_give_errors() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);

    let threads = thread_list(&mut c, &server);
    assert_eq!(threads.len(), 1, "basic.c has one thread: {threads:?}");
    let tid = tid_of(&threads[0]);
    assert_eq!(
        tid,
        u64::from(server.inferior_pid()),
        "the only thread is the main thread"
    );
    let current = request(&mut c, &server, "qC");
    assert!(current.starts_with("QC"), "qC: {current:?}");
    assert_eq!(tid_of(&current[2..]), tid, "qC should name the main thread");

    // Thread ids above pid_max (at most 2^22) cannot exist.
    let bogus = 0x7fff_fff0u64;
    let pid = server.inferior_pid();
    assert_error_reply(&mut c, &server, &format!("Hg{bogus:x}"));
    assert_error_reply(&mut c, &server, &format!("Hgp{pid:x}.{bogus:x}"));
    assert_error_reply(&mut c, &server, &format!("T{bogus:x}"));
    assert_error_reply(&mut c, &server, &format!("Tp{pid:x}.{bogus:x}"));

    // The real thread is fine.
    let alive = request(&mut c, &server, &format!("T{}", threads[0]));
    assert_eq!(alive, "OK", "T for the main thread");
    let sel = request(&mut c, &server, &format!("Hg{}", threads[0]));
    assert_eq!(sel, "OK", "Hg for the main thread");
    let regs = request(&mut c, &server, "g");
    assert!(
        hex_decode(&regs).is_some() && regs.len() >= 2 * 8 * 17,
        "g after Hg: {regs:?}"
    );
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn writes_to_text_then_program_runs_to_exit() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    let main = server.address_of(&f, "main");

    let orig_hex = request(&mut c, &server, &format!("m{main:x},4"));
    let orig = hex_decode(&orig_hex).unwrap_or_else(|| panic!("reading main gave {orig_hex:?}"));
    assert_eq!(orig, proc_mem(pid, main, 4), "m at main vs /proc/PID/mem");

    // Text is mapped read-only; a debugger may still write it (that is how
    // software breakpoints work). Either it succeeds and really changes the
    // program's memory, or it fails cleanly with E..
    let reply = request(&mut c, &server, &format!("M{main:x},4:cccccccc"));
    if reply == "OK" {
        assert_eq!(
            proc_mem(pid, main, 4),
            vec![0xcc; 4],
            "M reported OK but memory is unchanged"
        );
        let back = request(&mut c, &server, &format!("m{main:x},4"));
        assert_eq!(back, "cccccccc", "reading back the written bytes");
        let restore = request(
            &mut c,
            &server,
            &format!("M{main:x},4:{}", hex_encode(&orig)),
        );
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
    assert_usable(&mut c, &server, "writing to text");

    // Binary write (X) of zero bytes is how gdb probes for X support: OK or
    // empty (unsupported).
    let probe = request(&mut c, &server, &format!("X{main:x},0:"));
    assert!(probe == "OK" || probe.is_empty(), "X probe: {probe:?}");

    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn no_ack_mode() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let reply = c.start_no_ack_mode().expect("QStartNoAckMode");
    assert_eq!(reply, "OK", "QStartNoAckMode should be accepted");
    assert!(c.no_ack());
    // From now on the strict client fails on any stray `+`.
    for _ in 0..3 {
        assert_usable(&mut c, &server, "QStartNoAckMode");
    }
    let threads = thread_list(&mut c, &server);
    assert_eq!(threads.len(), 1, "one thread: {threads:?}");
    assert_error_reply(&mut c, &server, "m0,4");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn disconnect_kills_program() {
    let f = fixture("spin");
    let mut server = Server::start_fixture(&f);
    let (c, _) = connect_as_gdb(&server);
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
    server.wait_exit(None);
}

#[test]
fn interrupt_byte_stops_all_threads() {
    let f = fixture("spin");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    c.send_packet(b"vCont;c").expect("vCont;c");
    server.wait_stdout("ready", None);
    let reply = interrupt(&mut c, &server);
    assert!(
        reply.starts_with("T02") || reply.starts_with("S02"),
        "^C should stop the program with SIGINT, got {reply:?}"
    );
    let threads = thread_list(&mut c, &server);
    assert_eq!(threads.len(), 4, "spin.c has 4 threads: {threads:?}");
    for t in &threads {
        assert_eq!(
            request(&mut c, &server, &format!("T{t}")),
            "OK",
            "thread {t} is alive"
        );
    }
    assert_usable(&mut c, &server, "^C");
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
    let (mut c, _) = connect_as_gdb(&server);
    let vcont = request(&mut c, &server, "vCont?");
    for action in ["c", "C", "s", "S"] {
        assert!(
            vcont.starts_with("vCont") && vcont.split(';').any(|a| a == action),
            "vCont? should list {action:?}: {vcont:?}"
        );
    }
    let threads = thread_list(&mut c, &server);
    assert_eq!(threads.len(), 1, "{threads:?}");
    // Reading registers one by one (`p`) is optional: GNU gdbserver answers
    // empty (not supported) here; otherwise rip (0x10) is 8 bytes of hex.
    let rip = request(&mut c, &server, "p10");
    assert!(
        rip.is_empty() || (rip.len() == 16 && hex_decode(&rip).is_some()),
        "p10: {rip:?}"
    );
    continue_to_exit(&mut c, &server, 7);
}

/// A resume with nothing to resume (extended-remote before `run`) gets an
/// error at once; it used to leave the client waiting for a stop that could
/// never come.
#[test]
fn resume_without_a_process_is_refused() {
    if testing_gnu_gdbserver() {
        return; // GNU: gdbserver 13 dies of an internal error (wait_1: Assertion).
    }
    let server = Server::start_args(&["--multi", ":0"]);
    let mut c = rsp::connect(&server);
    request(&mut c, &server, GDB_QSUPPORTED);
    for packet in ["vCont;c", "vCont;s:1", "c", "s"] {
        let reply = request(&mut c, &server, packet);
        assert!(
            is_error_reply(&reply),
            "{packet} with no process should be refused at once, got {reply:?}\n{}",
            server.dump()
        );
    }
    // The server goes on, and still says there is no process.
    assert!(is_error_reply(&request(&mut c, &server, "qAttached")));
    // The server goes on answering.
    assert!(request(&mut c, &server, "vCont?").starts_with("vCont;"));
}

/// Stop replies carry the frame pointer, stack pointer and pc (GDB amd64
/// registers 6, 7 and 16), so gdb need not send `g` after every stop (the
/// `?` at connection too); the pc must be the thread's real one.
#[test]
fn stop_replies_carry_the_frame_registers() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let threads = thread_list(&mut c, &server);
    let tid = threads.first().expect("one thread");
    let initial = request(&mut c, &server, "?");
    let reply = request(&mut c, &server, &format!("vCont;s:{tid}"));
    for reg in ["06:", "07:", "10:"] {
        for reply in [&initial, &reply] {
            assert!(
                reply.split(';').any(|field| field.starts_with(reg)),
                "stop reply {reply:?} should carry register {reg}"
            );
        }
    }
    let expedited_pc = reply
        .split(';')
        .find_map(|field| field.strip_prefix("10:"))
        .expect("pc field")
        .to_string();
    let pc_register = request(&mut c, &server, "p10");
    assert_eq!(expedited_pc, pc_register, "expedited pc is the thread's pc");
    continue_to_exit(&mut c, &server, 7);
}

/// The thread of a `QC` reply, as a number (`QCp1f.1f` or `QC1f`).
fn qc_thread(reply: &str) -> Option<u64> {
    thread_id(reply.strip_prefix("QC")?)
}

/// gdb writes a `-` when a reply takes longer than its `remotetimeout`
/// (2 s, easily exceeded on a loaded machine), even in no-ack mode, and
/// then reads the late reply. The `-` is no request: a reply to it would
/// be taken by gdb as the reply to its next request, shifting every later
/// reply by one. GNU gdbserver ignores it.
#[test]
fn stray_nack_in_no_ack_mode_gets_no_reply() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let reply = c.start_no_ack_mode().expect("QStartNoAckMode");
    assert_eq!(reply, "OK", "QStartNoAckMode\n{}", server.dump());

    let stop = request(&mut c, &server, "?");
    assert!(
        stop.starts_with("T05"),
        "? gave {stop:?}\n{}",
        server.dump()
    );
    c.send_raw(b"-").expect("sending a stray `-`");
    // The next reply must be the one to the next request.
    let pid = u64::from(server.inferior_pid());
    let qc = request(&mut c, &server, "qC");
    assert_eq!(
        qc_thread(&qc),
        Some(pid),
        "after a stray `-` in no-ack mode, qC got {qc:?} (a reply to the `-` \
         shifts the replies by one)\nreceived: {}\n{}",
        c.transcript(),
        server.dump()
    );
    let stop = request(&mut c, &server, "?");
    assert!(
        stop.starts_with("T05"),
        "after a stray `-`, ? gave {stop:?}\nreceived: {}\n{}",
        c.transcript(),
        server.dump()
    );
    continue_to_exit(&mut c, &server, 7);
}

/// Reads one packet `$...#cs` without acknowledging it; returns the
/// payload.
fn read_packet_unacked(c: &mut RspClient, server: &Server) -> String {
    let mut byte = || {
        c.read_byte()
            .unwrap_or_else(|e| panic!("reading a packet: {e}\n{}", server.dump()))
    };
    let mut b = byte();
    // An ack of our request may come first.
    while b == b'+' {
        b = byte();
    }
    assert_eq!(b, b'$', "a packet should start with `$`\n{}", server.dump());
    let mut payload = Vec::new();
    loop {
        match byte() {
            b'#' => break,
            other => payload.push(other),
        }
    }
    byte();
    byte();
    String::from_utf8_lossy(&payload).into_owned()
}

/// In ack mode, `-` instead of `+` after a reply asks for that reply
/// again (as gdb does when a reply arrives damaged or late).
#[test]
fn nack_gets_the_last_reply_again() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = u64::from(server.inferior_pid());

    c.send_packet(b"qC").expect("sending qC");
    let first = read_packet_unacked(&mut c, &server);
    assert_eq!(qc_thread(&first), Some(pid), "qC gave {first:?}");
    c.send_raw(b"-").expect("sending `-`");
    let again = read_packet_unacked(&mut c, &server);
    assert_eq!(
        again,
        first,
        "`-` should get the last reply retransmitted\nreceived: {}\n{}",
        c.transcript(),
        server.dump()
    );
    c.send_raw(b"+").expect("sending `+`");
    let stop = request(&mut c, &server, "?");
    assert!(
        stop.starts_with("T05"),
        "after the retransmission, ? gave {stop:?}\nreceived: {}\n{}",
        c.transcript(),
        server.dump()
    );
    continue_to_exit(&mut c, &server, 7);
}
