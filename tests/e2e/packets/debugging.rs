//! gdbserver's switches for testing debuggers, over raw packets:
//! `--disable-packet` (unknown packets, plain stop replies) and the
//! monitor commands' console output (`O` packets before the reply).

use crate::support::fixtures::fixture;
use crate::support::rsp::{self, hex_decode, hex_encode, request, RspClient, GDB_QSUPPORTED};
use crate::support::server::Server;

/// The server on basic.c with `--disable-packet=LIST`, and a client that
/// sent gdb's `qSupported` and `?`; returns the `?` reply too.
fn start(list: &str) -> (Server, RspClient, String) {
    let f = fixture("basic");
    let opt = format!("--disable-packet={list}");
    let server = Server::start_args(&["--once", &opt, ":0", f.exe_str()]);
    let mut c = rsp::connect(&server);
    request(&mut c, &server, GDB_QSUPPORTED);
    let stop = request(&mut c, &server, "?");
    (server, c, stop)
}

/// Sets a breakpoint at `add` and continues to it with the legacy `c`;
/// returns the stop reply.
fn continue_to_add(c: &mut RspClient, server: &Server) -> String {
    let f = fixture("basic");
    let addr = server.address_of(&f, "add");
    assert_eq!(request(c, server, &format!("Z0,{addr:x},1")), "OK");
    request(c, server, "c")
}

/// `threads`: `vCont`, `qC` and the thread list are unknown packets, and
/// stop replies name no thread but still carry the registers.
#[test]
fn threads_disabled() {
    let (server, mut c, stop) = start("threads");
    assert!(
        stop.starts_with("T05") && !stop.contains("thread:"),
        "{stop:?}"
    );
    for packet in ["vCont?", "vCont;c", "qC", "qfThreadInfo", "qsThreadInfo"] {
        assert_eq!(
            request(&mut c, &server, packet),
            "",
            "{packet} should be unknown\n{}",
            server.dump()
        );
    }
    let hit = continue_to_add(&mut c, &server);
    assert!(
        hit.starts_with("T05") && !hit.contains("thread:") && hit.contains("10:"),
        "a stop reply with registers and no thread: {hit:?}\n{}",
        server.dump()
    );
}

/// `T`: every stop reply is a plain `S`, the one at connection too.
#[test]
fn t_disabled() {
    let (server, mut c, stop) = start("T");
    assert_eq!(stop, "S05", "{}", server.dump());
    let hit = continue_to_add(&mut c, &server);
    assert_eq!(hit, "S05", "{}", server.dump());
    // Everything else is as usual.
    assert!(request(&mut c, &server, "qC").starts_with("QC"));
}

/// Sends `qRcmd` with `command`; returns what came to the console (the
/// `O` packets, decoded) and the final reply.
fn monitor(c: &mut RspClient, server: &Server, command: &str) -> (String, String) {
    let mut console = String::new();
    let mut reply = request(
        c,
        server,
        &format!("qRcmd,{}", hex_encode(command.as_bytes())),
    );
    while let Some(hex) = reply.strip_prefix('O').filter(|_| reply != "OK") {
        let text = hex_decode(hex).unwrap_or_else(|| panic!("bad O packet {reply:?}"));
        console.push_str(&String::from_utf8_lossy(&text));
        reply = c
            .read_reply()
            .unwrap_or_else(|e| panic!("no reply after O: {e}\n{}", server.dump()));
    }
    (console, reply)
}

/// A monitor command's words go to the console before `OK`; an unknown
/// command says so, lists the commands and gets an error reply.
#[test]
fn monitor_output_comes_before_the_reply() {
    let (server, mut c, _) = start("");
    let (said, reply) = monitor(&mut c, &server, "set debug 1");
    assert_eq!(
        (said.as_str(), reply.as_str()),
        ("Debug output enabled.\n", "OK")
    );
    monitor(&mut c, &server, "set debug 0");
    let (said, reply) = monitor(&mut c, &server, "frobnicate");
    assert!(
        said.starts_with("Unknown monitor command.\n") && said.contains("set remote-debug"),
        "{said:?}"
    );
    assert_eq!(reply, "E01");
    let (said, reply) = monitor(&mut c, &server, "exit");
    assert_eq!((said.as_str(), reply.as_str()), ("", "OK"));
}
