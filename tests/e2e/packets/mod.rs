//! Remote Serial Protocol tests with a raw client (support/rsp.rs)
//! for the packets the server's own layer answers in front of gdbstub, and
//! the ones gdb needs with no local copy of the program: `qSupported`
//! features, `qXfer:threads`, `qXfer:siginfo`, `QPassSignals`,
//! `QProgramSignals`, `Z2`/`Z3` (debug registers), `Hg`, `qXfer:exec-file`,
//! `qXfer:libraries-svr4` and `qGetTLSAddr`; [`transfers`]: `vFile:` and
//! transfers larger than gdbstub's packet buffer.
//!
//! Replies are checked by class (`E..`, empty, `OK`) where the protocol
//! does not fix them; binary replies are unescaped (`}` X) before checking.
//! Allowances for GNU gdbserver 13 (`RGDB_TEST_SERVER=/usr/bin/gdbserver`,
//! to check the tests themselves) are marked "GNU:".

mod debugging;
mod libraries;
mod non_stop;
mod transfers;

use std::collections::BTreeSet;
use std::fs;

use crate::support::fixtures::fixture;
use crate::support::process::{thread_ids, unused_pid};
use crate::support::rsp::{
    self, assert_usable, connect_as_gdb, continue_to_exit, exit_status, is_error_reply, request,
    request_raw, resume, run_to, unescape, RspClient,
};
use crate::support::server::{testing_gnu_gdbserver, Server};

/// A whole `qXfer` object, read in chunks of 0xfff from `prefix` (e.g.
/// `qXfer:threads:read::`): the data of every `m` reply and the final
/// `l` one, unescaped.
fn qxfer_read(c: &mut RspClient, server: &Server, prefix: &str) -> Vec<u8> {
    let mut doc = Vec::new();
    for _ in 0..1000 {
        let packet = format!("{prefix}{:x},fff", doc.len());
        let reply = request_raw(c, server, &packet);
        match reply.split_first() {
            Some((b'm', data)) => doc.extend(unescape(data)),
            Some((b'l', data)) => {
                doc.extend(unescape(data));
                return doc;
            }
            _ => panic!(
                "{packet:?} should get an `m` or `l` reply, got {:?}\n{}",
                String::from_utf8_lossy(&reply),
                server.dump()
            ),
        }
    }
    panic!("{prefix} never ended with an `l` reply\n{}", server.dump())
}

/// The `;`-separated features of a qSupported reply.
fn features(reply: &str) -> BTreeSet<&str> {
    reply.split(';').collect()
}

#[test]
fn qsupported_lists_our_features() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = rsp::connect(&server);

    let reply = request(&mut c, &server, "qSupported:multiprocess+;exec-events+");
    let set = features(&reply);
    for feature in [
        "qXfer:threads:read+",
        "qXfer:siginfo:read+",
        "QPassSignals+",
        "exec-events+",
        "qXfer:libraries-svr4:read+",
        "qXfer:exec-file:read+",
        "qXfer:auxv:read+",
    ] {
        assert!(
            set.contains(feature),
            "qSupported reply lacks {feature}: {reply:?}\n{}",
            server.dump()
        );
    }
    assert_usable(&mut c, &server, "qSupported");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn qsupported_offers_exec_events_only_when_asked() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let mut c = rsp::connect(&server);

    let reply = request(&mut c, &server, "qSupported:multiprocess+;swbreak+");
    let set = features(&reply);
    // GNU: gdbserver 13 offers exec-events+ whatever the client says.
    assert!(
        testing_gnu_gdbserver() || !set.contains("exec-events+"),
        "without exec-events+ in the request, the reply must not offer it: {reply:?}\n{}",
        server.dump()
    );
    assert!(
        set.contains("qXfer:threads:read+") && set.contains("QPassSignals+"),
        "the other features stay: {reply:?}\n{}",
        server.dump()
    );
    assert_usable(&mut c, &server, "qSupported");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn qxfer_threads_lists_every_thread_with_its_name() {
    let f = fixture("thread_names");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    run_to(&mut c, &server, &f, "all_named");

    // One read, as gdb does it.
    let first = request_raw(&mut c, &server, "qXfer:threads:read::0,fff");
    assert!(
        matches!(first.first(), Some(b'l' | b'm')),
        "qXfer:threads:read should get `l` or `m`, got {:?}\n{}",
        String::from_utf8_lossy(&first),
        server.dump()
    );
    let xml = String::from_utf8(qxfer_read(&mut c, &server, "qXfer:threads:read::"))
        .expect("thread list is UTF-8");
    assert!(
        xml.contains("<threads>") && xml.contains("</threads>"),
        "not a thread list: {xml:?}\n{}",
        server.dump()
    );

    let tasks = thread_ids(pid);
    assert_eq!(tasks.len(), 4, "main and three workers should exist");
    assert_eq!(
        xml.matches("<thread id=").count(),
        tasks.len(),
        "one <thread id=...> per thread ({tasks:?}): {xml}\n{}",
        server.dump()
    );
    for tid in &tasks {
        let id = format!("<thread id=\"p{pid:x}.{tid:x}\"");
        assert!(
            xml.contains(&id),
            "thread {tid} ({id}) missing from {xml}\n{}",
            server.dump()
        );
    }
    for name in ["worker-1", "worker-2", "worker-3", "thread_names"] {
        assert!(
            xml.contains(&format!("name=\"{name}\"")),
            "thread name {name:?} missing from {xml}\n{}",
            server.dump()
        );
    }

    // A bad annex is an error, and the server goes on.
    // GNU: gdbserver 13 drops the connection instead.
    if testing_gnu_gdbserver() {
        return;
    }
    let bad = request(&mut c, &server, "qXfer:threads:read::zz");
    assert!(
        is_error_reply(&bad),
        "qXfer:threads:read::zz should get E.., got {bad:?}\n{}",
        server.dump()
    );
    assert_usable(&mut c, &server, "qXfer:threads:read::zz");
    continue_to_exit(&mut c, &server, 4);
}

#[test]
fn qxfer_siginfo_after_sigsegv() {
    let f = fixture("segv_addr");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let stop = resume(&mut c, &server);
    assert!(
        stop.starts_with("T0b"),
        "the program should stop with SIGSEGV (T0b), got {stop:?}\n{}",
        server.dump()
    );

    let reply = request_raw(&mut c, &server, "qXfer:siginfo:read::0,80");
    let (kind, data) = reply
        .split_first()
        .unwrap_or_else(|| panic!("empty qXfer:siginfo reply\n{}", server.dump()));
    assert!(
        matches!(kind, b'l' | b'm'),
        "qXfer:siginfo:read should get `l` or `m` + data, got {:?}\n{}",
        String::from_utf8_lossy(&reply),
        server.dump()
    );
    let info = unescape(data);
    assert!(
        info.len() >= 24,
        "siginfo should be binary data (128 bytes on Linux), got {} bytes: {info:x?}\n{}",
        info.len(),
        server.dump()
    );
    let signo = i32::from_le_bytes(info[0..4].try_into().expect("4 bytes"));
    assert_eq!(signo, 11, "si_signo should be SIGSEGV: {info:x?}");
    let addr = u64::from_le_bytes(info[16..24].try_into().expect("8 bytes"));
    assert_eq!(addr, 0x10, "si_addr should be 0x10: {info:x?}");

    // Past the end: the last (empty) part.
    let past = request(&mut c, &server, "qXfer:siginfo:read::1000,80");
    // GNU: gdbserver 13 answers E01.
    let expected = if testing_gnu_gdbserver() { "E01" } else { "l" };
    assert_eq!(
        past,
        expected,
        "reading past the end of siginfo should give `l` with no data\n{}",
        server.dump()
    );
    assert_usable(&mut c, &server, "qXfer:siginfo:read past the end");
}

#[test]
fn pass_signals_and_program_signals() {
    let f = fixture("usr1_storm");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);

    // A malformed list: an error or "unsupported", and nothing breaks.
    // GNU: gdbserver 13 drops the connection instead.
    if !testing_gnu_gdbserver() {
        let bad = request(&mut c, &server, "QPassSignals:zz");
        assert!(
            bad.is_empty() || is_error_reply(&bad),
            "QPassSignals:zz should get E.. or the empty reply, got {bad:?}\n{}",
            server.dump()
        );
        assert_usable(&mut c, &server, "QPassSignals:zz");
    }

    // SIGUSR1 is GDB's signal 30 (0x1e).
    let pass = request(&mut c, &server, "QPassSignals:1e");
    assert_eq!(pass, "OK", "QPassSignals:1e\n{}", server.dump());
    let program = request(&mut c, &server, "QProgramSignals:");
    assert_eq!(program, "OK", "QProgramSignals:\n{}", server.dump());

    // The 100 SIGUSR1s are delivered without a stop: the next reply is the
    // exit, with code 100 (every signal handled).
    let reply = resume(&mut c, &server);
    assert_eq!(
        exit_status(&reply),
        Some(100),
        "with SIGUSR1 passed, the program should run to W64 without stopping, got {reply:?}\n{}",
        server.dump()
    );
    server.wait_stdout("usr1_storm: delivered 100 of 100", None);
}

#[test]
fn watchpoint_packets_and_debug_register_limit() {
    let f = fixture("watch");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let addr = |sym: &str| server.address_of(&f, sym);
    let words: Vec<u64> = ["w1", "w2", "w3", "w4", "w5"]
        .iter()
        .map(|s| addr(s))
        .collect();
    for w in &words {
        assert_eq!(w % 8, 0, "w1..w5 are aligned longs: {w:#x}");
    }

    // Read watchpoints: unsupported (gdb then uses an access watchpoint).
    let g2 = addr("g2");
    for packet in [format!("Z3,{g2:x},4"), format!("z3,{g2:x},4")] {
        let reply = request(&mut c, &server, &packet);
        assert_eq!(
            reply,
            "",
            "{packet} should get the empty reply (unsupported)\n{}",
            server.dump()
        );
    }

    // A write watchpoint in and out.
    let w1 = words[0];
    assert_eq!(request(&mut c, &server, &format!("Z2,{w1:x},4")), "OK");
    assert_eq!(request(&mut c, &server, &format!("z2,{w1:x},4")), "OK");

    // Four fit in the debug registers, the fifth does not.
    for w in &words[..4] {
        let reply = request(&mut c, &server, &format!("Z2,{w:x},4"));
        assert_eq!(reply, "OK", "Z2 at {w:#x}\n{}", server.dump());
    }
    let w5 = words[4];
    let fifth = request(&mut c, &server, &format!("Z2,{w5:x},4"));
    assert!(
        is_error_reply(&fifth),
        "a fifth Z2 should get E.., got {fifth:?}\n{}",
        server.dump()
    );
    if !testing_gnu_gdbserver() {
        server.wait_stderr("all four debug registers are in use", None);
    }
    assert_usable(&mut c, &server, "a fifth Z2");

    // Freed slots are reusable: remove the four, watch w5, and the
    // program stops on its write of w5 (not on w1..w4).
    for w in &words[..4] {
        let reply = request(&mut c, &server, &format!("z2,{w:x},4"));
        assert_eq!(reply, "OK", "z2 at {w:#x}\n{}", server.dump());
    }
    assert_eq!(
        request(&mut c, &server, &format!("Z2,{w5:x},4")),
        "OK",
        "Z2 at w5 after freeing the slots\n{}",
        server.dump()
    );
    let stop = resume(&mut c, &server);
    let watched = stop.split(';').find_map(|field| {
        let hex = field.split_once("watch:")?.1;
        u64::from_str_radix(hex, 16).ok()
    });
    assert!(
        stop.starts_with("T05") && watched == Some(w5),
        "the program should stop on the write of w5 with `watch:{w5:x}`, got {stop:?}\n{}",
        server.dump()
    );
    assert_eq!(request(&mut c, &server, &format!("z2,{w5:x},4")), "OK");
    continue_to_exit(&mut c, &server, 10);
}

#[test]
fn hg_selects_only_existing_threads() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    let bogus = unused_pid();

    for packet in [format!("Hgp{pid:x}.{bogus:x}"), format!("Hg{bogus:x}")] {
        let reply = request(&mut c, &server, &packet);
        assert_eq!(
            reply,
            "E01",
            "{packet} names no thread and should get E01\n{}",
            server.dump()
        );
    }
    let ok = request(&mut c, &server, &format!("Hgp{pid:x}.{pid:x}"));
    assert_eq!(ok, "OK", "Hg with the main thread's ids\n{}", server.dump());
    assert_usable(&mut c, &server, "Hg");
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn exec_file_names_the_program() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    let exe = fs::canonicalize(&f.exe).expect("canonical fixture path");
    let exe_str = exe.to_str().expect("UTF-8 path");

    let whole = qxfer_read(&mut c, &server, &format!("qXfer:exec-file:read:{pid:x}:"));
    assert_eq!(
        String::from_utf8_lossy(&whole),
        exe_str,
        "qXfer:exec-file should name the program\n{}",
        server.dump()
    );
    // The path fits in one read: it is the last part, `l` (as gdbserver
    // answers; gdb then needs no second request).
    let reply = request(
        &mut c,
        &server,
        &format!("qXfer:exec-file:read:{pid:x}:0,fff"),
    );
    assert_eq!(
        reply,
        format!("l{exe_str}"),
        "one read of 0xfff bytes should return the whole path as the last part\n{}",
        server.dump()
    );
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn libraries_svr4_at_main() {
    let f = fixture("basic");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    run_to(&mut c, &server, &f, "main");

    let first = request(&mut c, &server, "qXfer:libraries-svr4:read::0,ffff");
    assert!(
        (first.starts_with('l') || first.starts_with('m')) && first.contains("<library-list-svr4"),
        "qXfer:libraries-svr4:read::0,ffff should return the list: {first:?}\n{}",
        server.dump()
    );
    let libs = String::from_utf8(qxfer_read(&mut c, &server, "qXfer:libraries-svr4:read::"))
        .expect("library list is UTF-8");
    assert!(
        libs.contains("<library-list-svr4") && libs.contains("libc.so"),
        "at main, the library list should name libc: {libs:?}\n{}",
        server.dump()
    );
    continue_to_exit(&mut c, &server, 7);
}

#[test]
fn tls_address_with_bad_link_map() {
    let f = fixture("tls");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    run_to(&mut c, &server, &f, "tls_ready");

    for packet in [
        format!("qGetTLSAddr:p{pid:x}.{pid:x},0,1"),
        format!("qGetTLSAddr:{pid:x},0,1"),
        "qGetTLSAddr:zz".to_string(),
    ] {
        let reply = request(&mut c, &server, &packet);
        assert_eq!(reply, "E01", "{packet} should get E01\n{}", server.dump());
        assert_usable(&mut c, &server, &packet);
    }
    continue_to_exit(&mut c, &server, 5);
}

/// rsp and rip (registers 7 and 16) from a `g` reply.
fn sp_and_pc_of_g(g: &str) -> Option<(String, String)> {
    Some((
        g.get(7 * 16..8 * 16)?.to_owned(),
        g.get(16 * 16..17 * 16)?.to_owned(),
    ))
}

/// `g` always gives the registers of the thread gdbstub's single-register
/// reads (`p`) use: after a stop, after `Hg` of each thread, after `Hg0`.
/// Our layer answers `g` itself when it knows that thread, so the two
/// must never disagree.
#[test]
fn g_reads_the_selected_thread() {
    let f = fixture("thread_names");
    let server = Server::start_fixture(&f);
    let (mut c, _) = connect_as_gdb(&server);
    let pid = server.inferior_pid();
    let check = |c: &mut RspClient, after: &str| -> (String, String) {
        let g = request(c, &server, "g");
        let regs = sp_and_pc_of_g(&g)
            .unwrap_or_else(|| panic!("after {after}, g gave {g:?}\n{}", server.dump()));
        let p = (request(c, &server, "p7"), request(c, &server, "p10"));
        // GNU: gdbserver 13 has no `p` (empty replies).
        if !p.0.is_empty() || !testing_gnu_gdbserver() {
            assert_eq!(regs, p, "after {after}: g's rsp/rip vs p7/p10");
        }
        regs
    };
    check(&mut c, "the first stop");
    run_to(&mut c, &server, &f, "all_named");
    let at_stop = check(&mut c, "a breakpoint stop");

    let tasks = thread_ids(pid);
    assert_eq!(tasks.len(), 4, "main and three workers");
    let mut stacks = BTreeSet::new();
    for tid in &tasks {
        let hg = request(&mut c, &server, &format!("Hgp{pid:x}.{tid:x}"));
        assert_eq!(hg, "OK", "Hg of thread {tid}");
        let (sp, _) = check(&mut c, &format!("Hg of thread {tid}"));
        stacks.insert(sp);
    }
    assert_eq!(stacks.len(), 4, "each thread has its own stack pointer");
    let any = request(&mut c, &server, "Hg0");
    assert_eq!(any, "OK", "Hg0");
    check(&mut c, "Hg0");
    // Back to the stopped thread: the same registers as at the stop.
    request(&mut c, &server, &format!("Hgp{pid:x}.{pid:x}"));
    assert_eq!(check(&mut c, "Hg of the main thread"), at_stop);
    continue_to_exit(&mut c, &server, 4);
}
