//! End-to-end tests with gdb of the requests the server answers by reading
//! a whole range of memory itself: `compare-sections` (`qCRC`) and `find`
//! (`qSearch:memory`). gdb falls back to reading the memory through the
//! connection when a server lacks them, so the tests also check, with
//! `set debug remote 1`, that gdb got its answer from the server.

use crate::support::client::Session;
use crate::support::fixtures::{fixture_no_pie, Fixture};
use crate::support::gdb::{debug_fixture, mark};

/// The packets gdb sent in section `name` that read memory (`m`, `x`).
fn memory_reads<'a>(s: &'a Session, name: &str) -> Vec<&'a str> {
    s.section(name)
        .lines()
        .filter(|l| l.contains("Sending packet: $m") || l.contains("Sending packet: $x"))
        .collect()
}

/// Stops haystack.c at MARK:filled and runs `cmds`.
fn at_filled(f: &Fixture, cmds: &[&str]) -> Session {
    let stop = format!("break {}", f.location("filled"));
    let all: Vec<&str> = [stop.as_str(), "continue"]
        .into_iter()
        .chain(cmds.iter().copied())
        .collect();
    debug_fixture(f, &all)
}

/// `compare-sections`: the program's text matches its file until gdb
/// changes a byte of it; the server computes each CRC (`qCRC`). (gdb 13
/// compares a PIE's sections at their addresses in the file.)
#[test]
fn compare_sections_with_crcs_from_the_server() {
    let f = fixture_no_pie("haystack");
    let s = at_filled(
        &f,
        &[
            "set debug remote 1",
            &mark("same"),
            "compare-sections .text",
            "set debug remote 0",
            "set {unsigned char}((char *)main + 1) = ~*((unsigned char *)main + 1)",
            &mark("changed"),
            "compare-sections .text",
        ],
    );
    s.expect_in("same", "Section .text, range");
    s.expect_in("same", ": matched.");
    s.expect_in("same", "Packet received: C");
    let reads = memory_reads(&s, "same");
    assert!(
        reads.is_empty(),
        "gdb read the section itself: {reads:?}\n{}",
        s.dump()
    );
    s.expect_in("changed", "MIS-MATCHED!");
}

/// `find` finds both needles in a 200,000-byte array, the first across a
/// 64 KiB boundary; the server searches (`qSearch:memory`), gdb reads
/// none of the array.
#[test]
fn find_searches_in_the_server() {
    let f = fixture_no_pie("haystack");
    let s = at_filled(
        &f,
        &[
            "set debug remote 1",
            &mark("find"),
            "find /b haystack, +sizeof(haystack), 'n', 'e', 'e', 'd', 'l', 'e'",
            "set debug remote 0",
            &mark("absent"),
            "find /b haystack, +sizeof(haystack), 'n', 'e', 'e', 'd', 'l', 'x'",
        ],
    );
    s.expect_in("find", "<haystack+65533>");
    s.expect_in("find", "<haystack+150000>");
    s.expect_in("find", "2 patterns found.");
    s.expect_in("find", "Packet received: 1,");
    let reads = memory_reads(&s, "find");
    assert!(
        reads.is_empty(),
        "gdb read the array itself: {reads:?}\n{}",
        s.dump()
    );
    s.expect_in("absent", "Pattern not found.");
}
