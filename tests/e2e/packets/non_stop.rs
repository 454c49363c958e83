//! Non-stop mode on the wire: `QNonStop:1`, `vCont` answered `OK` at once,
//! stops as `%Stop` notifications and the `vStopped` queue behind them,
//! `vCont;t` (a stop at the client's request, signal 0), `?` listing every
//! stopped thread, and `vCtrlC`. On tests/fixtures/counters.c: worker 0
//! stops at on_break() when its count reaches 1000; the other workers and
//! main run on.

use crate::support::fixtures::fixture;
use crate::support::rsp::{connect_as_gdb, request, RspClient};
use crate::support::server::Server;
use crate::support::{scaled, CLIENT_TIMEOUT};

/// The next notification: a `Stop:` one, whose stop reply is returned.
fn stop_notification(c: &mut RspClient, server: &Server) -> String {
    c.set_timeout(scaled(CLIENT_TIMEOUT)).expect("set timeout");
    let note = c
        .read_notification()
        .unwrap_or_else(|e| panic!("no notification: {e}\n{}", server.dump()));
    note.strip_prefix("Stop:")
        .unwrap_or_else(|| panic!("not a stop notification: {note:?}\n{}", server.dump()))
        .to_string()
}

/// The notification's stop and every one `vStopped` hands out after it,
/// up to its `OK`.
fn all_stops(c: &mut RspClient, server: &Server, first: String) -> Vec<String> {
    let mut stops = vec![first];
    loop {
        let next = request(c, server, "vStopped");
        if next == "OK" {
            return stops;
        }
        assert!(
            next.starts_with('T'),
            "vStopped should give a stop or OK, got {next:?}\n{}",
            server.dump()
        );
        stops.push(next);
    }
}

/// `count` stops, from as many notifications (and the `vStopped`
/// series behind each) as they take: threads stop one by one.
fn collect_stops(c: &mut RspClient, server: &Server, count: usize) -> Vec<String> {
    let mut stops = Vec::new();
    while stops.len() < count {
        let first = stop_notification(c, server);
        stops.extend(all_stops(c, server, first));
    }
    stops
}

/// The thread a `T` stop reply names (`pPID.TID`).
fn thread_of(stop: &str) -> String {
    stop.split(';')
        .find_map(|field| field.split_once("thread:").map(|(_, id)| id.to_string()))
        .unwrap_or_else(|| panic!("no thread in {stop:?}"))
}

#[test]
fn notifications_vstopped_vcont_t_and_status() {
    let f = fixture("counters");
    let server = Server::start_fixture(&f);
    let (mut c, supported) = connect_as_gdb(&server);
    assert!(
        supported.contains("QNonStop+"),
        "{supported:?}\n{}",
        server.dump()
    );
    assert_eq!(request(&mut c, &server, "QNonStop:1"), "OK");
    // The program, stopped at its first instruction, is one stopped thread.
    let status = request(&mut c, &server, "?");
    assert!(status.starts_with('T'), "{status:?}\n{}", server.dump());
    assert_eq!(request(&mut c, &server, "vStopped"), "OK");

    let addr = server.address_of(&f, "on_break");
    assert_eq!(request(&mut c, &server, &format!("Z0,{addr:x},1")), "OK");
    assert_eq!(
        request(&mut c, &server, "vCont;c"),
        "OK",
        "vCont is answered at once"
    );
    let hit = stop_notification(&mut c, &server);
    assert!(
        hit.starts_with("T05") && hit.contains("swbreak:"),
        "worker 0's breakpoint: {hit:?}\n{}",
        server.dump()
    );
    assert_eq!(all_stops(&mut c, &server, hit.clone()).len(), 1);
    let worker = thread_of(&hit);

    // Memory while threads run.
    let count = request(&mut c, &server, &format!("m{addr:x},1"));
    assert_eq!(count.len(), 2, "{count:?}\n{}", server.dump());

    // Stop everything: the three running threads stop with signal 0.
    assert_eq!(request(&mut c, &server, "vCont;t"), "OK");
    let stops = collect_stops(&mut c, &server, 3);
    assert_eq!(
        stops.len(),
        3,
        "main and workers 1 and 2: {stops:?}\n{}",
        server.dump()
    );
    assert!(
        stops.iter().all(|s| s.starts_with("T00")),
        "{stops:?}\n{}",
        server.dump()
    );
    assert!(!stops.iter().any(|s| thread_of(s) == worker));

    // `?`: every thread is stopped now, each told once more.
    let status = request(&mut c, &server, "?");
    assert_eq!(all_stops(&mut c, &server, status).len(), 4);

    // One thread on its own: resumed, then stopped.
    let other = thread_of(&stops[0]);
    assert_eq!(request(&mut c, &server, &format!("vCont;c:{other}")), "OK");
    assert_eq!(request(&mut c, &server, &format!("vCont;t:{other}")), "OK");
    let stop = stop_notification(&mut c, &server);
    assert_eq!(thread_of(&stop), other, "{stop:?}");
    assert!(stop.starts_with("T00"), "{stop:?}");
    assert_eq!(request(&mut c, &server, "vStopped"), "OK");

    // vCtrlC: SIGINT to the program; the thread that takes it stops.
    assert_eq!(request(&mut c, &server, &format!("z0,{addr:x},1")), "OK");
    assert_eq!(request(&mut c, &server, "vCont;c"), "OK");
    assert_eq!(request(&mut c, &server, "vCtrlC"), "OK");
    let stop = stop_notification(&mut c, &server);
    assert!(stop.starts_with("T02"), "{stop:?}\n{}", server.dump());
    assert_eq!(request(&mut c, &server, "vStopped"), "OK");

    let kill = format!("vKill;{:x}", server.inferior_pid());
    assert_eq!(request(&mut c, &server, &kill), "OK");
    assert!(server.wait_inferior_gone(), "{}", server.dump());
}
